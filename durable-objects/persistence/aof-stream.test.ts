import { describe, expect, it } from "vitest";
import { AofParser } from "./aof-stream.js";

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");

function parseAll(chunks: string[]): string[][] {
  const p = new AofParser();
  const out: string[][] = [];
  for (const c of chunks) {
    p.feed(c);
    for (let cmd = p.next(); cmd; cmd = p.next()) out.push(cmd);
  }
  return out;
}

describe("AofParser", () => {
  const log = resp("SELECT", "0") + "#TS:1700000000\r\n" + resp("SET", "k\xff\x00", "v\r\nx") + resp("DEL", "k");

  it("reads commands and skips annotations", () => {
    expect(parseAll([log])).toEqual([["SELECT", "0"], ["SET", "k\xff\x00", "v\r\nx"], ["DEL", "k"]]);
  });

  it("gives the same commands whatever the split point", () => {
    for (let i = 0; i <= log.length; i++) {
      expect(parseAll([log.slice(0, i), log.slice(i)])).toEqual([["SELECT", "0"], ["SET", "k\xff\x00", "v\r\nx"], ["DEL", "k"]]);
    }
  });

  it("reports the end of the last whole record on a short read", () => {
    const p = new AofParser();
    const whole = resp("SET", "a", "1");
    p.feed(whole + "*2\r\n$3\r\nDEL");
    expect(p.next()).toEqual(["SET", "a", "1"]);
    expect(p.next()).toBe(null);
    expect(p.offset).toBe(whole.length);
    expect(p.buffered).toBe(11);
  });

  it("throws on a bad record with its offset", () => {
    const p = new AofParser();
    p.feed(resp("SET", "a", "1") + "garbage\r\n");
    p.next();
    expect(() => p.next()).toThrow(expect.objectContaining({ message: "expected '*' or '#'", offset: 27 }));
  });

  it("checks the CRLF after bulk data", () => {
    const p = new AofParser();
    p.feed("*1\r\n$3\r\nGETxx");
    expect(() => p.next()).toThrow(expect.objectContaining({ message: "expected CRLF after bulk data", offset: 11 }));
  });
});
