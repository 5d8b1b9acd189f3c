// Bit commands and LCS, with replies, errors and dirty counts checked against Redis 7.0.15.
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { type TestEngine, testEngine } from "../testing.js";
import { RedisList } from "../types/index.js";
import { bitOffsetArg, parseBitfield, parseLcsOptions } from "./bits.js";

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const SYNTAX = { error: "ERR syntax error" };
const NOT_INT = { error: "ERR value is not an integer or out of range" };
const BIT_OFFSET = { error: "ERR bit offset is not an integer or out of range" };
const BAD_TYPE = {
  error: "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
};

/** A list at key, made directly so these tests need no list command. */
function addList(t: TestEngine, key: string): void {
  const l = new RedisList();
  l.pushBack("a");
  t.engine.db.set(key, l);
}

/** Replays a log into a fresh engine and returns its data, to compare with the original's. */
function replayed(log: string[][]): Map<string, unknown> {
  const e = new Engine();
  e.db.loading = true;
  for (const argv of log) e.replay(argv);
  return new Map(e.db.data);
}

describe("SETBIT", () => {
  it("sets a bit, returns its old value and grows the string with zero bytes", () => {
    const t = testEngine();
    expect(t.run("SETBIT", "k", 7, 1)).toBe(0);
    expect(t.run("GET", "k")).toBe("\x01");
    expect(t.run("SETBIT", "k", 7, 0)).toBe(1);
    expect(t.run("SETBIT", "k", 0, 1)).toBe(0);
    expect(t.run("SETBIT", "k", 23, 1)).toBe(0);
    expect(t.run("GET", "k")).toBe("\x80\x00\x01");
  });

  it("accepts the last offset below 2^32 bits and refuses 2^32, negatives and non-integers", () => {
    const t = testEngine();
    expect(t.run("GETBIT", "k", 4294967295)).toBe(0);
    expect(t.run("SETBIT", "k", 4294967296, 1)).toEqual(BIT_OFFSET);
    expect(t.run("SETBIT", "k", -1, 1)).toEqual(BIT_OFFSET);
    expect(t.run("SETBIT", "k", "01", 1)).toEqual(BIT_OFFSET);
    expect(t.run("SETBIT", "k", "x", 1)).toEqual(BIT_OFFSET);
  });

  it("limits offsets by proto-max-bulk-len when it is below 512 MB", () => {
    const t = testEngine({ config: { "proto-max-bulk-len": "1mb" } });
    expect(t.run("SETBIT", "k", 8 * 1024 * 1024, 1)).toEqual(BIT_OFFSET);
    expect(t.run("SETBIT", "k", 8 * 1024 * 1024 - 1, 1)).toBe(0);
    expect(t.run("STRLEN", "k")).toBe(1024 * 1024);
  });

  it("does not limit offsets while replaying the log, as Redis trusts its AOF", () => {
    const e = new Engine({ config: { "proto-max-bulk-len": "1mb" } });
    expect(e.replay(["SETBIT", "k", String(8 * 1024 * 1024), "1"])).toBe(0);
    expect(e.execute(["STRLEN", "k"])).toBe(1024 * 1024 + 1);
  });

  it("refuses a bit other than 0 or 1", () => {
    const t = testEngine();
    const err = { error: "ERR bit is not an integer or out of range" };
    expect(t.run("SETBIT", "k", 1, 2)).toEqual(err);
    expect(t.run("SETBIT", "k", 1, -1)).toEqual(err);
    expect(t.run("SETBIT", "k", 1, "x")).toEqual(err);
    expect(t.run("EXISTS", "k")).toBe(0);
  });

  it("checks the offset and the bit before the key's type", () => {
    const t = testEngine();
    addList(t, "l");
    expect(t.run("SETBIT", "l", "x", 1)).toEqual(BIT_OFFSET);
    expect(t.run("SETBIT", "l", 1, 2)).toEqual({ error: "ERR bit is not an integer or out of range" });
    expect(t.run("SETBIT", "l", 1, 1)).toEqual(WRONGTYPE);
  });

  it("keeps the key's TTL", () => {
    const t = testEngine();
    t.run("SET", "k", "a", "EX", 100);
    t.run("SETBIT", "k", 1, 0);
    expect(t.run("TTL", "k")).toBe(100);
  });

  it("propagates as sent only when the string grew or the bit changed", () => {
    const t = testEngine();
    t.run("SETBIT", "k", 7, 1);
    t.run("SETBIT", "k", 7, 1);
    t.run("SETBIT", "k", 0, 0);
    t.run("SETBIT", "k", 100, 0);
    t.run("SETBIT", "k", 7, 0);
    expect(t.log).toEqual([
      ["SETBIT", "k", "7", "1"],
      ["SETBIT", "k", "100", "0"],
      ["SETBIT", "k", "7", "0"],
    ]);
    expect(replayed(t.log)).toEqual(new Map(t.engine.db.data));
  });
});

describe("OBJECT ENCODING after bit writes", () => {
  it("is raw after SETBIT (even one that changed nothing), a BITFIELD write (even a refused one) and BITOP", () => {
    const t = testEngine();
    const encoding = (k: string) => t.run("OBJECT", "ENCODING", k);
    t.run("SET", "k", "123");
    t.run("SETBIT", "k", 0, 0);
    expect(encoding("k")).toEqual("raw");
    t.run("SETBIT", "n", 1, 1);
    expect(encoding("n")).toEqual("raw");
    t.run("SET", "b", "12");
    t.run("BITFIELD", "b", "GET", "u8", 0);
    expect(encoding("b")).toEqual("int");
    t.run("BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u8", 0, 1000);
    expect(encoding("b")).toEqual("raw");
    t.run("SET", "f", "12");
    t.run("BITOP", "AND", "f", "f");
    expect(encoding("f")).toEqual("raw");
  });
});

describe("GETBIT", () => {
  it("reads bits most significant first, and zero past the end or on a missing key", () => {
    const t = testEngine();
    t.run("SET", "k", "\x40");
    expect(t.run("GETBIT", "k", 0)).toBe(0);
    expect(t.run("GETBIT", "k", 1)).toBe(1);
    expect(t.run("GETBIT", "k", 100)).toBe(0);
    expect(t.run("GETBIT", "missing", 3)).toBe(0);
  });

  it("reads an integer value's decimal digits", () => {
    const t = testEngine();
    t.run("SET", "n", 123);
    expect([2, 3, 4].map((i) => t.run("GETBIT", "n", i))).toEqual([1, 1, 0]);
  });

  it("checks the offset before the key's type", () => {
    const t = testEngine();
    addList(t, "l");
    expect(t.run("GETBIT", "l", -1)).toEqual(BIT_OFFSET);
    expect(t.run("GETBIT", "l", 4294967296)).toEqual(BIT_OFFSET);
    expect(t.run("GETBIT", "l", 1)).toEqual(WRONGTYPE);
  });
});

describe("BITCOUNT", () => {
  it("counts set bits in the whole string or a byte range with negative indexes", () => {
    const t = testEngine();
    t.run("SET", "s", "foobar");
    expect(t.run("BITCOUNT", "s")).toBe(26);
    expect(t.run("BITCOUNT", "s", 0, 0)).toBe(4);
    expect(t.run("BITCOUNT", "s", 1, 1)).toBe(6);
    expect(t.run("BITCOUNT", "s", 1, 1, "byte")).toBe(6);
    expect(t.run("BITCOUNT", "s", -100, -1)).toBe(26);
    expect(t.run("BITCOUNT", "s", 0, 100)).toBe(26);
    expect(t.run("BITCOUNT", "s", 2, 1)).toBe(0);
  });

  it("answers 0 for a negative start past a negative end before reading the unit word", () => {
    const t = testEngine();
    t.run("SET", "s", "foobar");
    expect(t.run("BITCOUNT", "s", -1, -3, "WORD")).toBe(0);
    expect(t.run("BITCOUNT", "s", -1, -3, "bit")).toBe(0);
    expect(t.run("BITCOUNT", "s", -3, -1, "WORD")).toEqual({ error: "ERR syntax error" });
    expect(t.run("BITCOUNT", "s", 1, -3, "WORD")).toEqual({ error: "ERR syntax error" });
    expect(t.run("BITCOUNT", "s", "x", -3, "WORD")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(t.run("BITCOUNT", "s", -1, -3, "WORD", "x")).toEqual({ error: "ERR syntax error" });
  });

  it("counts a bit range with BIT", () => {
    const t = testEngine();
    t.run("SET", "s", "foobar");
    expect(t.run("BITCOUNT", "s", 1, 1, "BIT")).toBe(1);
    expect(t.run("BITCOUNT", "s", 5, 30, "bit")).toBe(17);
    expect(t.run("BITCOUNT", "s", 0, 0, "bit")).toBe(0);
    expect(t.run("BITCOUNT", "s", -4, -1, "Bit")).toBe(1);
    expect(t.run("BITCOUNT", "s", 0, -1, "bit")).toBe(26);
    expect(t.run("BITCOUNT", "s", "-9223372036854775808", "9223372036854775807", "bit")).toBe(26);
  });

  it("answers 0 when both ends are negative and start is after end, before clamping", () => {
    const t = testEngine();
    t.run("SET", "s", "foobar");
    expect(t.run("BITCOUNT", "s", -1, -100)).toBe(0);
    expect(t.run("BITCOUNT", "s", -100, -200)).toBe(0);
    expect(t.run("BITCOUNT", "s", -100, -200, "bit")).toBe(0);
  });

  it("answers 0 for a missing key whatever the arguments, as Redis looks the key up first", () => {
    const t = testEngine();
    expect(t.run("BITCOUNT", "missing")).toBe(0);
    expect(t.run("BITCOUNT", "missing", 0)).toBe(0);
    expect(t.run("BITCOUNT", "missing", "x", 1)).toBe(0);
    expect(t.run("BITCOUNT", "missing", 0, 1, "foo")).toBe(0);
  });

  it("refuses bad ranges and units with Redis's errors", () => {
    const t = testEngine();
    t.run("SET", "s", "foobar");
    expect(t.run("BITCOUNT", "s", 0)).toEqual(SYNTAX);
    expect(t.run("BITCOUNT", "s", 0, 1, 2)).toEqual(SYNTAX);
    expect(t.run("BITCOUNT", "s", 0, 1, "bits")).toEqual(SYNTAX);
    expect(t.run("BITCOUNT", "s", 0, 1, "bit", "x")).toEqual(SYNTAX);
    expect(t.run("BITCOUNT", "s", "x", 1)).toEqual(NOT_INT);
    expect(t.run("BITCOUNT", "s", 0, "x", "foo")).toEqual(NOT_INT);
    addList(t, "l");
    expect(t.run("BITCOUNT", "l", "x", 1)).toEqual(WRONGTYPE);
  });

  it("counts an empty string as 0", () => {
    const t = testEngine();
    t.run("SET", "e", "");
    expect(t.run("BITCOUNT", "e")).toBe(0);
    expect(t.run("BITCOUNT", "e", 0, -1, "bit")).toBe(0);
  });

  // How fast is for the bench (npm run bench), not for an assertion on elapsed time.
  it("counts a 1 MB string", () => {
    const t = testEngine();
    t.run("SET", "big", "\xff\x01".repeat(512 * 1024));
    expect(t.run("BITCOUNT", "big")).toBe(9 * 512 * 1024);
    expect(t.run("BITCOUNT", "big", 1, -2, "bit")).toBe(9 * 512 * 1024 - 2);
  });
});

describe("BITPOS", () => {
  it("finds the first set or clear bit", () => {
    const t = testEngine();
    t.run("SET", "m", "\x00\xff\xf0");
    expect(t.run("BITPOS", "m", 1)).toBe(8);
    expect(t.run("BITPOS", "m", 0)).toBe(0);
    expect(t.run("BITPOS", "m", 1, 2)).toBe(16);
    expect(t.run("BITPOS", "m", 0, 1)).toBe(20);
    expect(t.run("BITPOS", "m", 0, 1, 2)).toBe(20);
    expect(t.run("BITPOS", "m", 0, -4, -1, "bit")).toBe(20);
    expect(t.run("BITPOS", "m", 1, 7, 10, "BIT")).toBe(8);
    expect(t.run("BITPOS", "m", 1, 17, -3, "bit")).toBe(17);
    expect(t.run("BITPOS", "m", 1, 0, -1, "bYte")).toBe(8);
  });

  it("looks past the end for a clear bit only when no end is given", () => {
    const t = testEngine();
    t.run("SET", "ff", "\xff\xff\xff");
    expect(t.run("BITPOS", "ff", 0)).toBe(24);
    expect(t.run("BITPOS", "ff", 0, 1)).toBe(24);
    expect(t.run("BITPOS", "ff", 0, -100)).toBe(24);
    expect(t.run("BITPOS", "ff", 0, 0, -1)).toBe(-1);
    expect(t.run("BITPOS", "ff", 0, 2, -1, "bit")).toBe(-1);
    t.run("SET", "m", "\x00\xff\xf0");
    expect(t.run("BITPOS", "m", 0, 1, 1)).toBe(-1);
    expect(t.run("BITPOS", "m", 0, 8, 19, "bit")).toBe(-1);
    expect(t.run("BITPOS", "m", 0, 8, 20, "bit")).toBe(20);
  });

  it("answers -1 for an empty range, an empty string or no set bit", () => {
    const t = testEngine();
    t.run("SET", "ff", "\xff\xff\xff");
    expect(t.run("BITPOS", "ff", 0, 3)).toBe(-1);
    expect(t.run("BITPOS", "ff", 1, -1, -2)).toBe(-1);
    t.run("SET", "e", "");
    expect(t.run("BITPOS", "e", 0)).toBe(-1);
    expect(t.run("BITPOS", "e", 1)).toBe(-1);
    t.run("SET", "z", "\x00\x00\x00");
    expect(t.run("BITPOS", "z", 1)).toBe(-1);
    expect(t.run("BITPOS", "z", 0, 1)).toBe(8);
  });

  it("clamps ranges without BITCOUNT's both-negative rule", () => {
    const t = testEngine();
    t.run("SET", "z", "\x00\x00\x00");
    expect(t.run("BITPOS", "z", 0, -100, -200)).toBe(0);
    t.run("SET", "m", "\x00\xff\xf0");
    expect(t.run("BITPOS", "m", 1, "-9223372036854775808", "9223372036854775807", "bit")).toBe(8);
    expect(t.run("BITPOS", "m", 0, "9223372036854775807", "9223372036854775807", "bit")).toBe(-1);
  });

  it("treats a missing key as endless zeros", () => {
    const t = testEngine();
    expect(t.run("BITPOS", "missing", 1)).toBe(-1);
    expect(t.run("BITPOS", "missing", 0)).toBe(0);
    expect(t.run("BITPOS", "missing", 0, "x")).toBe(0);
  });

  it("checks the bit first, then the key, then the range, with Redis's errors", () => {
    const t = testEngine();
    addList(t, "l");
    t.run("SET", "s", "foobar");
    expect(t.run("BITPOS", "missing", 2)).toEqual({ error: "ERR The bit argument must be 1 or 0." });
    expect(t.run("BITPOS", "l", 2)).toEqual({ error: "ERR The bit argument must be 1 or 0." });
    expect(t.run("BITPOS", "s", "x")).toEqual(NOT_INT);
    expect(t.run("BITPOS", "l", 1)).toEqual(WRONGTYPE);
    expect(t.run("BITPOS", "s", 1, "x")).toEqual(NOT_INT);
    expect(t.run("BITPOS", "s", 1, 0, "x")).toEqual(NOT_INT);
    expect(t.run("BITPOS", "s", 1, 0, "x", "foo")).toEqual(SYNTAX);
    expect(t.run("BITPOS", "s", 1, "x", 0, "foo")).toEqual(NOT_INT);
    expect(t.run("BITPOS", "s", 1, 0, 1, 2, 3)).toEqual(SYNTAX);
    expect(t.run("BITPOS", "s", 0, 2, "bit")).toEqual(NOT_INT);
  });
});

describe("BITOP", () => {
  it("computes AND, OR and XOR over the longest source, shorter ones padded with zeros", () => {
    const t = testEngine();
    t.run("SET", "a", "\xff\x0f\xaa");
    t.run("SET", "b", "\x0f\xff");
    expect(t.run("BITOP", "AND", "d", "a", "b")).toBe(3);
    expect(t.run("GET", "d")).toBe("\x0f\x0f\x00");
    expect(t.run("BITOP", "or", "d", "a", "b", "missing")).toBe(3);
    expect(t.run("GET", "d")).toBe("\xff\xff\xaa");
    expect(t.run("BITOP", "Xor", "d", "a", "b")).toBe(3);
    expect(t.run("GET", "d")).toBe("\xf0\xf0\xaa");
    expect(t.run("BITOP", "AND", "d", "a", "missing")).toBe(3);
    expect(t.run("GET", "d")).toBe("\x00\x00\x00");
  });

  it("computes NOT of a single source", () => {
    const t = testEngine();
    t.run("SET", "a", "\xff\x0f\xaa");
    expect(t.run("BITOP", "NOT", "d", "a")).toBe(3);
    expect(t.run("GET", "d")).toBe("\x00\xf0\x55");
    expect(t.run("BITOP", "NOT", "d", "a", "a")).toEqual({
      error: "ERR BITOP NOT must be called with a single source key.",
    });
  });

  it("can write over a source and replaces the destination's type and TTL", () => {
    const t = testEngine();
    t.run("SET", "a", "\x01");
    addList(t, "d");
    t.run("EXPIRE", "d", 100);
    expect(t.run("BITOP", "OR", "d", "a")).toBe(1);
    expect(t.run("TYPE", "d")).toEqual({ status: "string" });
    expect(t.run("TTL", "d")).toBe(-1);
    expect(t.run("BITOP", "NOT", "a", "a")).toBe(1);
    expect(t.run("GET", "a")).toBe("\xfe");
  });

  it("deletes the destination when every source is empty or missing", () => {
    const t = testEngine();
    t.run("SET", "d", "x");
    t.run("SET", "e", "");
    expect(t.run("BITOP", "OR", "d", "e", "missing")).toBe(0);
    expect(t.run("EXISTS", "d")).toBe(0);
    expect(t.run("BITOP", "NOT", "d", "missing")).toBe(0);
  });

  it("refuses an unknown operation, then a source of another type", () => {
    const t = testEngine();
    addList(t, "l");
    expect(t.run("BITOP", "foo", "d", "l")).toEqual(SYNTAX);
    expect(t.run("BITOP", "AND", "d", "l")).toEqual(WRONGTYPE);
    expect(t.run("BITOP", "AND", "d")).toEqual({ error: "ERR wrong number of arguments for 'bitop' command" });
  });

  it("propagates as sent when it stored or deleted, and not when there was nothing to delete", () => {
    const t = testEngine();
    t.run("SET", "a", "\x01");
    t.run("BITOP", "NOT", "d", "a");
    t.run("BITOP", "AND", "d", "missing");
    t.run("BITOP", "AND", "d", "missing");
    t.run("BITOP", "XOR", "d", "a", "a");
    expect(t.log).toEqual([
      ["SET", "a", "\x01"],
      ["BITOP", "NOT", "d", "a"],
      ["BITOP", "AND", "d", "missing"],
      ["BITOP", "XOR", "d", "a", "a"],
    ]);
    expect(replayed(t.log)).toEqual(new Map(t.engine.db.data));
  });
});

describe("parseBitfield", () => {
  it("turns operations into typed fields, each carrying the overflow policy in force", () => {
    const argv = ["BITFIELD", "k", "get", "i5", "#2", "OVERFLOW", "sat", "SET", "u63", "7", "-1", "overflow", "FAIL", "incrby", "i64", "0", "9"];
    expect(parseBitfield(argv, false, 512 * 1024 * 1024)).toEqual([
      { op: "GET", signed: true, bits: 5, offset: 10, value: 0n, overflow: "WRAP" },
      { op: "SET", signed: false, bits: 63, offset: 7, value: -1n, overflow: "SAT" },
      { op: "INCRBY", signed: true, bits: 64, offset: 0, value: 9n, overflow: "FAIL" },
    ]);
  });

  it("refuses writes only when read-only, and offsets at or past the limit in bytes", () => {
    expect(() => parseBitfield(["BITFIELD_RO", "k", "SET", "u8", "0", "1"], true, 100)).toThrow(
      "ERR BITFIELD_RO only supports the GET subcommand",
    );
    expect(parseBitfield(["BITFIELD_RO", "k", "GET", "u8", "799"], true, 100)).toHaveLength(1);
    expect(() => parseBitfield(["BITFIELD", "k", "GET", "u8", "800"], false, 100)).toThrow(BIT_OFFSET.error);
    expect(bitOffsetArg("#3", Infinity, 16)).toBe(48);
    expect(() => bitOffsetArg("#3", Infinity)).toThrow(BIT_OFFSET.error);
  });
});

describe("parseLcsOptions", () => {
  it("reads LEN, IDX, MINMATCHLEN and WITHMATCHLEN in any case and order", () => {
    expect(parseLcsOptions([])).toEqual({ len: false, idx: false, minMatchLen: 0, withMatchLen: false });
    expect(parseLcsOptions(["withmatchlen", "MinMatchLen", "3", "idx"])).toEqual({
      len: false, idx: true, minMatchLen: 3, withMatchLen: true,
    });
    expect(parseLcsOptions(["MINMATCHLEN", "-2", "LEN"]).minMatchLen).toBe(0);
  });
});

describe("BITFIELD", () => {
  it("gets, sets and increments fields, replying per operation", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "SET", "u8", 0, 255, "GET", "u8", 0)).toEqual([0, 255]);
    expect(t.run("BITFIELD", "k", "incrby", "u8", 0, 10)).toEqual([9]);
    expect(t.run("BITFIELD", "k", "set", "i8", 0, 200, "get", "i8", 0, "get", "u8", 0)).toEqual([9, -56, 200]);
    expect(t.run("BITFIELD", "k", "GET", "u8", 0, "Set", "u8", 0, 6, "InCrBy", "u8", 0, 1, "overflow", "Sat")).toEqual([
      200, 200, 7,
    ]);
  });

  it("addresses fields at any bit offset and at #N field offsets", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "SET", "i64", 0, -1)).toEqual([0]);
    expect(
      t.run("BITFIELD", "k", "GET", "i64", 0, "GET", "u63", 1, "GET", "u8", "#1", "SET", "u4", "#3", 15, "GET", "u16", 0),
    ).toEqual([-1, 9223372036854775807n, 255, 15, 65535]);
    t.run("SET", "k", "\x00\x0f\xf0");
    expect(t.run("BITFIELD", "k", "GET", "u8", 12, "GET", "u4", "#2", "GET", "u4", "#3", "GET", "i5", 11)).toEqual([255, 0, 15, 15]);
  });

  it("wraps, saturates or fails on overflow", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "SET", "u8", 0, 300, "GET", "u8", 0)).toEqual([0, 44]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", 0, 300)).toEqual([255]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 1, "GET", "u8", 0)).toEqual([null, 255]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 0, 300)).toEqual([null]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "i8", 0, -129, "SET", "i8", 0, -128, "SET", "i8", 0, 127, "SET", "i8", 0, 128)).toEqual([
      null, -1, -128, null,
    ]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "i8", 0, -1000, "INCRBY", "i8", 0, 1000, "OVERFLOW", "WRAP", "INCRBY", "i8", 0, 1)).toEqual([
      -128, 127, -128,
    ]);
    expect(t.run("BITFIELD", "k", "SET", "u1", 0, 3, "GET", "u1", 0, "SET", "i1", 0, 1, "GET", "i1", 0)).toEqual([1, 1, -1, -1]);
  });

  it("saturates a SET of a negative value into an unsigned field at its maximum, as C's cast does", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "u8", 0, -1, "GET", "u8", 0)).toEqual([0, 255]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 0, -1)).toEqual([null]);
  });

  it("saturates a SET of a hugely negative value into a signed field at its maximum, as Redis's int64 check does", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i16", 0, "-9223372036854775808", "GET", "i16", 0)).toEqual([0, 32767]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i16", 0, -40000, "GET", "i16", 0)).toEqual([32767, -32768]);
  });

  it("handles 64-bit signed and 63-bit unsigned fields at their limits", () => {
    const t = testEngine();
    expect(
      t.run("BITFIELD", "k", "SET", "i64", 0, "9223372036854775807", "OVERFLOW", "WRAP", "INCRBY", "i64", 0, 1,
        "OVERFLOW", "SAT", "INCRBY", "i64", 0, -1, "INCRBY", "i64", 0, "-9223372036854775808", "OVERFLOW", "FAIL", "INCRBY", "i64", 0, -1),
    ).toEqual([0, -9223372036854775808n, -9223372036854775808n, -9223372036854775808n, null]);
    expect(
      t.run("BITFIELD", "k", "SET", "u63", 0, "9223372036854775807", "INCRBY", "u63", 0, 1, "OVERFLOW", "SAT",
        "INCRBY", "u63", 0, "9223372036854775807", "INCRBY", "u63", 0, "-9223372036854775808"),
    ).toEqual([4611686018427387904n, 0, 9223372036854775807n, 0]);
  });

  it("reads zeros past the end and creates nothing with only GETs", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "GET", "u8", 0, "GET", "i8", 3)).toEqual([0, 0]);
    expect(t.run("BITFIELD", "k")).toEqual([]);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "WRAP", "OVERFLOW", "SAT")).toEqual([]);
    expect(t.run("EXISTS", "k")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("pads the string for every write up front, even one that FAIL refuses", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 300)).toEqual([null]);
    expect(t.run("STRLEN", "k")).toBe(1);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", 100, 3000)).toEqual([null]);
    expect(t.run("STRLEN", "k")).toBe(14);
    expect(t.log).toEqual([
      ["BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "300"],
      ["BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u8", "100", "3000"],
    ]);
    expect(replayed(t.log)).toEqual(new Map(t.engine.db.data));
  });

  it("propagates as sent only when a write changed a field or grew the string", () => {
    const t = testEngine();
    t.run("BITFIELD", "k", "SET", "u8", 0, 5);
    t.run("BITFIELD", "k", "SET", "u8", 0, 5, "INCRBY", "u8", 0, 0, "GET", "u8", 0);
    t.run("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", 0, 300);
    t.run("BITFIELD", "k", "SET", "u8", 16, 0);
    t.run("BITFIELD", "k", "INCRBY", "i5", 3, -7);
    expect(t.log).toEqual([
      ["BITFIELD", "k", "SET", "u8", "0", "5"],
      ["BITFIELD", "k", "SET", "u8", "16", "0"],
      ["BITFIELD", "k", "INCRBY", "i5", "3", "-7"],
    ]);
    expect(t.engine.dirty).toBe(3);
    expect(replayed(t.log)).toEqual(new Map(t.engine.db.data));
  });

  it("keeps the key's TTL", () => {
    const t = testEngine();
    t.run("SET", "k", "a", "EX", 100);
    t.run("BITFIELD", "k", "SET", "u8", 8, 1);
    expect(t.run("TTL", "k")).toBe(100);
    expect(t.run("GET", "k")).toBe("a\x01");
  });

  it("refuses bad types with Redis's text", () => {
    const t = testEngine();
    for (const type of ["u64", "i65", "i0", "u0", "x8", "U8", "u08", "u+8", "#8", "u", "i-1"]) {
      expect(t.run("BITFIELD", "k", "GET", type, 0)).toEqual(BAD_TYPE);
    }
  });

  it("refuses bad offsets, including #N that reaches 2^32 bits", () => {
    const t = testEngine();
    for (const offset of ["-1", "#-1", "#x", "x", "##1", "#", "#01", "4294967296", "#67108864"]) {
      expect(t.run("BITFIELD", "k", "GET", "i64", offset)).toEqual(BIT_OFFSET);
    }
    expect(t.run("BITFIELD", "k", "GET", "i64", "#67108863")).toEqual([0]);
    expect(t.run("BITFIELD", "k", "GET", "u8", 4294967295)).toEqual([0]);
  });

  it("multiplies #N with C's wrapping 64-bit arithmetic", () => {
    const t = testEngine();
    t.run("SET", "k", "\x07");
    expect(t.run("BITFIELD", "k", "GET", "i64", "#1152921504606846976")).toEqual([504403158265495552n]);
  });

  it("refuses bad values, overflow types and argument shapes", () => {
    const t = testEngine();
    expect(t.run("BITFIELD", "k", "SET", "u8", 0, "x")).toEqual(NOT_INT);
    expect(t.run("BITFIELD", "k", "INCRBY", "u8", 0, "9223372036854775808")).toEqual(NOT_INT);
    expect(t.run("BITFIELD", "k", "OVERFLOW", "foo")).toEqual({ error: "ERR Invalid OVERFLOW type specified" });
    for (const args of [["foo"], ["GET", "u8"], ["GET"], ["SET", "u8", "0"], ["OVERFLOW"], ["GET", "u8", "0", "foo"]]) {
      expect(t.run("BITFIELD", "k", ...args)).toEqual(SYNTAX);
    }
    expect(t.run("BITFIELD", "k", "GET", "u8", 0, "SET", "u8", "x", 1)).toEqual(BIT_OFFSET);
    expect(t.run("EXISTS", "k")).toBe(0);
  });

  it("parses every operation before it looks at the key's type", () => {
    const t = testEngine();
    addList(t, "l");
    expect(t.run("BITFIELD", "l", "GET", "u8", "x")).toEqual(BIT_OFFSET);
    expect(t.run("BITFIELD", "l", "foo")).toEqual(SYNTAX);
    expect(t.run("BITFIELD", "l", "GET", "u8", 0)).toEqual(WRONGTYPE);
    expect(t.run("BITFIELD", "l", "SET", "u8", 0, 1)).toEqual(WRONGTYPE);
  });

  it("limits offsets by proto-max-bulk-len but may write a field that ends past it", () => {
    const t = testEngine({ config: { "proto-max-bulk-len": "1mb" } });
    expect(t.run("BITFIELD", "k", "GET", "u8", 8388608)).toEqual(BIT_OFFSET);
    expect(t.run("BITFIELD", "k", "SET", "u8", 8388601, 1)).toEqual([0]);
    expect(t.run("STRLEN", "k")).toBe(1024 * 1024 + 1);
  });
});

describe("BITFIELD_RO", () => {
  it("runs GETs, accepts OVERFLOW and never writes", () => {
    const t = testEngine();
    t.run("SET", "k", "\x05");
    expect(t.run("BITFIELD_RO", "k", "GET", "u8", 0, "OVERFLOW", "wrap", "GET", "i4", 4)).toEqual([5, 5]);
    expect(t.run("BITFIELD_RO", "missing", "GET", "u8", 0)).toEqual([0]);
    expect(t.run("BITFIELD_RO", "k")).toEqual([]);
    expect(t.engine.execute(["BITFIELD_RO", "k", "GET", "u8", "0"], { access: "readonly" })).toEqual([5]);
  });

  it("refuses SET and INCRBY after parsing them, and before the key's type", () => {
    const t = testEngine();
    addList(t, "l");
    const ro = { error: "ERR BITFIELD_RO only supports the GET subcommand" };
    expect(t.run("BITFIELD_RO", "l", "SET", "u8", 0, 1)).toEqual(ro);
    expect(t.run("BITFIELD_RO", "l", "INCRBY", "u8", 0, 1)).toEqual(ro);
    expect(t.run("BITFIELD_RO", "l", "SET", "u64", 0, 1)).toEqual(BAD_TYPE);
    expect(t.run("BITFIELD_RO", "l", "SET", "u8", "x", 1)).toEqual(BIT_OFFSET);
    expect(t.run("BITFIELD_RO", "l", "SET", "u8", 0, "x")).toEqual(NOT_INT);
    expect(t.run("BITFIELD_RO", "l", "GET", "u8", 0, "SET", "u8", 0, 1, "foo")).toEqual(SYNTAX);
    expect(t.run("BITFIELD_RO", "l", "GET", "u8", 0)).toEqual(WRONGTYPE);
  });
});

describe("LCS", () => {
  it("returns the longest common subsequence, its length, or its matches", () => {
    const t = testEngine();
    t.run("MSET", "k1", "ohmytext", "k2", "mynewtext");
    expect(t.run("LCS", "k1", "k2")).toBe("mytext");
    expect(t.run("LCS", "k1", "k2", "len")).toBe(6);
    expect(t.run("LCS", "k1", "k2", "IDX")).toEqual(["matches", [[[4, 7], [5, 8]], [[2, 3], [0, 1]]], "len", 6]);
    expect(t.run("LCS", "k1", "k2", "IDX", "MINMATCHLEN", 4)).toEqual(["matches", [[[4, 7], [5, 8]]], "len", 6]);
    expect(t.run("LCS", "k1", "k2", "IDX", "WITHMATCHLEN")).toEqual([
      "matches", [[[4, 7], [5, 8], 4], [[2, 3], [0, 1], 2]], "len", 6,
    ]);
  });

  it("walks back as Redis does when several subsequences are longest", () => {
    const t = testEngine();
    t.run("MSET", "k1", "ABCBDAB", "k2", "BDCABA", "a", "ab", "b", "a_b");
    expect(t.run("LCS", "k1", "k2")).toBe("BDAB");
    expect(t.run("LCS", "k1", "k2", "IDX", "WITHMATCHLEN")).toEqual([
      "matches", [[[5, 6], [3, 4], 2], [[3, 4], [0, 1], 2]], "len", 4,
    ]);
    expect(t.run("LCS", "a", "b", "IDX")).toEqual(["matches", [[[1, 1], [2, 2]], [[0, 0], [0, 0]]], "len", 2]);
  });

  it("ignores WITHMATCHLEN and MINMATCHLEN without IDX, and treats a negative MINMATCHLEN as 0", () => {
    const t = testEngine();
    t.run("MSET", "k1", "ohmytext", "k2", "mynewtext");
    expect(t.run("LCS", "k1", "k2", "WITHMATCHLEN", "MINMATCHLEN", 2)).toBe("mytext");
    expect(t.run("LCS", "k1", "k2", "MINMATCHLEN", -5, "IDX")).toEqual(t.run("LCS", "k1", "k2", "IDX"));
    expect(t.run("LCS", "k1", "k2", "MINMATCHLEN", "9223372036854775807", "IDX")).toEqual(["matches", [], "len", 6]);
    expect(t.run("LCS", "k1", "k2", "LEN", "LEN")).toBe(6);
  });

  it("treats missing keys as empty strings", () => {
    const t = testEngine();
    t.run("SET", "k1", "abc");
    expect(t.run("LCS", "k1", "missing")).toBe("");
    expect(t.run("LCS", "missing", "other", "LEN")).toBe(0);
    expect(t.run("LCS", "missing", "k1", "IDX", "WITHMATCHLEN")).toEqual(["matches", [], "len", 0]);
  });

  it("checks the keys' types before its options, with Redis's errors", () => {
    const t = testEngine();
    t.run("MSET", "k1", "abc", "k2", "abd");
    addList(t, "l");
    const type = { error: "ERR The specified keys must contain string values" };
    expect(t.run("LCS", "k1", "l")).toEqual(type);
    expect(t.run("LCS", "l", "k1", "foo")).toEqual(type);
    expect(t.run("LCS", "k1", "k2", "LEN", "IDX")).toEqual({
      error: "ERR If you want both the length and indexes, please just use IDX.",
    });
    expect(t.run("LCS", "k1", "k2", "foo", "IDX", "LEN")).toEqual(SYNTAX);
    expect(t.run("LCS", "k1", "k2", "MINMATCHLEN")).toEqual(SYNTAX);
    expect(t.run("LCS", "k1", "k2", "MINMATCHLEN", "x")).toEqual(NOT_INT);
    expect(t.run("LCS", "k1")).toEqual({ error: "ERR wrong number of arguments for 'lcs' command" });
  });

  it("refuses a DP table larger than proto-max-bulk-len", () => {
    const t = testEngine({ config: { "proto-max-bulk-len": "1mb" } });
    t.run("MSET", "a", "a".repeat(600), "b", "a".repeat(510));
    expect(t.run("LCS", "a", "a", "LEN")).toEqual({
      error: "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len",
    });
    expect(t.run("LCS", "b", "b", "LEN")).toBe(510);
    expect(t.run("LCS", "a", "missing", "LEN")).toBe(0);
  });

  it("refuses a DP table too big for a Worker as an allocation failure", () => {
    const t = testEngine();
    t.run("MSET", "a", "a".repeat(5000));
    expect(t.run("LCS", "a", "a", "LEN")).toEqual({
      error: "ERR Insufficient memory, failed allocating transient memory for LCS",
    });
  });
});
