import { describe, expect, it } from "vitest";
import { textToBinary } from "../engine/bytes.js";
import type { Reply } from "../engine/reply.js";
import {
  RespCommandParser,
  RespError,
  RespReplyParser,
  detach,
  encodeCommand,
  encodeCommands,
  encodeReply,
  newParseState,
  parseCommandAt,
} from "./resp.js";

/** Pushes `input` split at `cut` and drains the parser after each part. */
function parseSplit(input: string, cut: number): string[][] {
  const p = new RespCommandParser();
  const out: string[][] = [];
  for (const part of [input.slice(0, cut), input.slice(cut)]) {
    p.push(part);
    for (let c = p.next(); c !== null; c = p.next()) out.push(c);
  }
  expect(p.pending).toBe(0);
  return out;
}

const utf8 = (s: string) => textToBinary(s);
const byteLength = (s: string) => new TextEncoder().encode(s).length;

const COMMANDS: string[][] = [
  ["SET", "k", "v"],
  ["SET", "bin", "\x00\xff\r\n"],
  ["SET", utf8("clé"), utf8("héllo wörld ✓ 🙂")],
  ["RPUSH", "list", ...Array.from({ length: 70 }, (_, i) => `item-${i}`)],
  ["SET", "big", "x".repeat(1500)],
  ["SET", "empty", ""],
  ["PING"],
];

describe("encodeCommand", () => {
  it("writes an array of bulk strings exactly as Redis writes an AOF record", () => {
    expect(encodeCommand(["SET", "k", "v"])).toBe("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n");
    expect(encodeCommand(["SET", "bin", "\x00\xff"])).toBe("*3\r\n$3\r\nSET\r\n$3\r\nbin\r\n$2\r\n\x00\xff\r\n");
  });

  it("counts bulk lengths in bytes, so multi-byte UTF-8 text gets its byte length", () => {
    const text = "héllo wörld ✓ 🙂";
    const arg = utf8(text);
    expect(byteLength(text)).toBe(22);
    expect(encodeCommand(["SET", "k", arg])).toBe(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$22\r\n${arg}\r\n`);
  });

  it("writes counts and lengths beyond its header caches", () => {
    const many = Array.from({ length: 100 }, () => "a");
    expect(encodeCommand(many).startsWith("*100\r\n$1\r\na\r\n")).toBe(true);
    const long = "y".repeat(5000);
    expect(encodeCommand([long])).toBe(`*1\r\n$5000\r\n${long}\r\n`);
    expect(encodeCommand(["x".repeat(1023)]).startsWith("*1\r\n$1023\r\n")).toBe(true);
    expect(encodeCommand(["x".repeat(1024)]).startsWith("*1\r\n$1024\r\n")).toBe(true);
  });

  it("encodes a batch as the concatenation of its commands", () => {
    expect(encodeCommands(COMMANDS)).toBe(COMMANDS.map(encodeCommand).join(""));
    expect(encodeCommands([])).toBe("");
  });
});

describe("RespCommandParser", () => {
  const stream = encodeCommands(COMMANDS);

  it("parses what encodeCommands writes", () => {
    expect(parseSplit(stream, 0)).toEqual(COMMANDS);
  });

  it("gives the same commands whatever byte the input is split at", () => {
    for (let cut = 1; cut < stream.length; cut++) expect(parseSplit(stream, cut)).toEqual(COMMANDS);
  });

  it("parses input that arrives one byte at a time", () => {
    const p = new RespCommandParser();
    const out: string[][] = [];
    for (const ch of stream) {
      p.push(ch);
      for (let c = p.next(); c !== null; c = p.next()) out.push(c);
    }
    expect(out).toEqual(COMMANDS);
    expect(p.offset).toBe(stream.length);
  });

  it("answers 'need more' on every proper prefix of a command, never an error", () => {
    const one = encodeCommand(["SET", utf8("ключ"), "\r\n\r\n"]);
    for (let n = 0; n < one.length; n++) {
      expect(parseCommandAt(one.slice(0, n), 0, newParseState())).toBeNull();
    }
    expect(parseCommandAt(one, 0, newParseState())).toEqual(["SET", utf8("ключ"), "\r\n\r\n"]);
  });

  it("says how many bytes a short bulk still needs", () => {
    const state = newParseState();
    expect(parseCommandAt("*1\r\n$10\r\nabc", 0, state)).toBeNull();
    expect(state.need).toBe(4 + 5 + 12);
    expect([state.stallAt, state.stallWant, state.stallGot]).toEqual([9, 12, 3]);
  });

  it("keeps absolute offsets across chunks", () => {
    const p = new RespCommandParser(100);
    p.push(encodeCommand(["A"]));
    p.push(encodeCommand(["BB"]).slice(0, 5));
    expect(p.next()).toEqual(["A"]);
    expect(p.offset).toBe(100 + 11);
    expect(p.next()).toBeNull();
    p.push(encodeCommand(["BB"]).slice(5));
    expect(p.next()).toEqual(["BB"]);
    expect(p.offset).toBe(100 + 11 + 12);
  });

  it("reassembles a bulk string spread over many small chunks", () => {
    const value = "z".repeat(100_000);
    const bytes = encodeCommand(["SET", "k", value]);
    const p = new RespCommandParser();
    for (let i = 0; i < bytes.length; i += 97) {
      p.push(bytes.slice(i, i + 97));
      if (i + 97 < bytes.length) expect(p.next()).toBeNull();
    }
    expect(p.next()).toEqual(["SET", "k", value]);
  });

  const bad: [string, string, number][] = [
    ["a first byte other than '*'", "+OK\r\n", 0],
    ["an argument that is not a bulk string", "*2\r\n$3\r\nSET\r\n:1\r\n", 13],
    ["a bulk not followed by CRLF", "*1\r\n$3\r\nSETXX", 8],
    ["a count with a stray byte", "*3x\r\n", 0],
    ["a negative bulk length", "*1\r\n$-1\r\n", 4],
    ["an empty command", "*0\r\n", 0],
    ["a count line with a bare LF", "*1\n$4\r\nPING\r\n", 0],
    ["a count without digits", "*\r\n", 0],
    ["a count too long to be one, before its line ends", "*1\r\n$" + "9".repeat(16), 4],
  ];
  for (const [what, input, offset] of bad) {
    it(`rejects ${what} with RESP_BAD_FORMAT and its offset`, () => {
      const p = new RespCommandParser(10);
      p.push(input);
      let err: unknown;
      try {
        p.next();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RespError);
      expect((err as RespError).code).toBe("RESP_BAD_FORMAT");
      expect((err as RespError).offset).toBe(10 + offset);
    });
  }

  it("reports the two bytes found where CRLF was expected, as redis-check-aof does", () => {
    expect(() => parseCommandAt("*1\r\n$3\r\nSETXX", 0, newParseState())).toThrow("Expected \\r\\n, got: 5858");
    expect(() => parseCommandAt("*2\r\n:1\r\n", 0, newParseState())).toThrow("Expected prefix '$', got: ':'");
  });

  it("copies arguments, so a kept argument does not pin the chunk it came from", () => {
    const s = "abcdefghijklmnopqrstuvwxyz";
    expect(detach(s)).toBe(s);
    expect(detach("short")).toBe("short");
  });
});

describe("encodeReply", () => {
  it("encodes each reply type as RESP2", () => {
    expect(encodeReply(null)).toBe("$-1\r\n");
    expect(encodeReply(42)).toBe(":42\r\n");
    expect(encodeReply(-7)).toBe(":-7\r\n");
    expect(encodeReply(9223372036854775807n)).toBe(":9223372036854775807\r\n");
    expect(encodeReply("bar")).toBe("$3\r\nbar\r\n");
    expect(encodeReply("")).toBe("$0\r\n\r\n");
    expect(encodeReply({ status: "OK" })).toBe("+OK\r\n");
    expect(encodeReply({ error: "ERR syntax error" })).toBe("-ERR syntax error\r\n");
    expect(encodeReply([])).toBe("*0\r\n");
    expect(encodeReply(["a", null, 1, ["b"]])).toBe("*4\r\n$1\r\na\r\n$-1\r\n:1\r\n*1\r\n$1\r\nb\r\n");
  });

  it("counts bulk reply lengths in bytes", () => {
    const v = utf8("naïve ✓");
    expect(encodeReply(v)).toBe(`$${byteLength("naïve ✓")}\r\n${v}\r\n`);
    expect(byteLength("naïve ✓")).toBe(10);
  });

  it("keeps status and error replies on one line", () => {
    expect(encodeReply({ error: "ERR bad\r\nthing" })).toBe("-ERR bad  thing\r\n");
    expect(encodeReply({ status: "a\nb" })).toBe("+a b\r\n");
  });

  it("sends a fractional number as a double's bulk string rather than a broken integer", () => {
    expect(encodeReply(1.5)).toBe("$3\r\n1.5\r\n");
  });
});

describe("RespReplyParser", () => {
  const replies: Reply[] = [
    { status: "OK" },
    { error: "WRONGTYPE Operation against a key holding the wrong kind of value" },
    12,
    -3,
    9007199254740993n,
    "\x00\xff\r\n",
    utf8("ünïcødé"),
    null,
    [],
    ["a", ["b", [null, 5]], { status: "QUEUED" }],
  ];
  const stream = replies.map(encodeReply).join("");

  it("decodes what encodeReply writes, whatever byte the input is split at", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const p = new RespReplyParser();
      const out: Reply[] = [];
      for (const part of [stream.slice(0, cut), stream.slice(cut)]) {
        p.push(part);
        for (let r = p.next(); r !== undefined; r = p.next()) out.push(r);
      }
      expect(out).toEqual(replies);
    }
  });

  it("decodes a null array as null", () => {
    const p = new RespReplyParser();
    p.push("*-1\r\n");
    expect(p.next()).toBeNull();
    expect(p.next()).toBeUndefined();
  });

  it("rejects an unknown reply type", () => {
    const p = new RespReplyParser();
    p.push("?what\r\n");
    expect(() => p.next()).toThrow(RespError);
  });
});
