// String commands where the differential test against redis-server 7 found us apart: INCRBYFLOAT's
// long double arithmetic, the order SET and GETEX check their options in, and string encodings.
import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";

const NAN_OR_INF = { error: "ERR increment would produce NaN or Infinity" };
const NOT_FLOAT = { error: "ERR value is not a valid float" };

describe("INCRBYFLOAT", () => {
  it("adds in long double precision, as Redis on x86-64 does", () => {
    const t = testEngine();
    expect(t.run("INCRBYFLOAT", "a", "0.1")).toBe("0.1");
    expect(t.run("INCRBYFLOAT", "a", "0.2")).toBe("0.3");
    t.run("SET", "b", "1000");
    expect(t.run("INCRBYFLOAT", "b", "0.2")).toBe("1000.20000000000000001");
    expect(t.run("INCRBYFLOAT", "c", "17.123456789012345678")).toBe("17.12345678901234568");
  });

  it("prints 17 decimals at most, rounding ties to even, and -0 as 0", () => {
    const t = testEngine();
    expect(t.run("INCRBYFLOAT", "a", "0.000003814697265625")).toBe("0.00000381469726562");
    expect(t.run("INCRBYFLOAT", "b", "0.1234567890123456789e-2")).toBe("0.00123456789012346");
    expect(t.run("INCRBYFLOAT", "c", "-0")).toBe("0");
    expect(t.run("INCRBYFLOAT", "d", "-1e-30")).toBe("0");
    t.run("SET", "e", "-1.5");
    expect(t.run("INCRBYFLOAT", "e", "1.5")).toBe("0");
  });

  it("accepts what strtold accepts: hexadecimal, a bare point, exponents beyond a double's range", () => {
    const t = testEngine();
    expect(t.run("INCRBYFLOAT", "a", "0x10")).toBe("16");
    expect(t.run("INCRBYFLOAT", "a", "0x1p-2")).toBe("16.25");
    expect(t.run("INCRBYFLOAT", "b", "5.")).toBe("5");
    expect(t.run("INCRBYFLOAT", "b", ".5")).toBe("5.5");
    const big = t.run("INCRBYFLOAT", "c", "1e400") as string;
    expect(big.length).toBe(401);
    expect(big.startsWith("1000000000000000000028188068394758651458645343362905203862591069353")).toBe(true);
    expect(big.endsWith("9734806343732497430221946880")).toBe(true);
    expect(t.run("INCRBYFLOAT", "d", "3.6e-4951")).toBe("0");
  });

  it("adds exactly to int64 values", () => {
    const t = testEngine();
    t.run("SET", "k", "9223372036854775807");
    expect(t.run("INCRBYFLOAT", "k", "1")).toBe("9223372036854775808");
  });

  it("refuses NaN, overflow, underflow to zero, spaces and partial numbers as not a valid float", () => {
    const t = testEngine();
    for (const bad of ["nan", "1e5000", "1e-5000", "1e-4951", " 1", "1e", "", "0x", "1 "]) {
      expect(t.run("INCRBYFLOAT", "h", bad)).toEqual(NOT_FLOAT);
    }
    t.run("SET", "s", "abc");
    expect(t.run("INCRBYFLOAT", "s", "1")).toEqual(NOT_FLOAT);
    expect(t.run("EXISTS", "h")).toBe(0);
  });

  it("answers NaN or Infinity for an infinite increment or value", () => {
    const t = testEngine();
    expect(t.run("INCRBYFLOAT", "a", "inf")).toEqual(NAN_OR_INF);
    expect(t.run("INCRBYFLOAT", "a", "-Infinity")).toEqual(NAN_OR_INF);
    t.run("SET", "g", "inf");
    expect(t.run("INCRBYFLOAT", "g", "1")).toEqual(NAN_OR_INF);
    expect(t.run("INCRBYFLOAT", "l", "1.18973149535723176502e+4932")).toHaveLength(4933);
    expect(t.run("INCRBYFLOAT", "l", "1.18973149535723176502e+4932")).toEqual(NAN_OR_INF);
  });

  it("leaves a string that is never int-encoded, and propagates SET … KEEPTTL", () => {
    const t = testEngine();
    t.run("SET", "j", "10");
    expect(t.run("OBJECT", "ENCODING", "j")).toBe("int");
    expect(t.run("INCRBYFLOAT", "j", "0")).toBe("10");
    expect(t.run("OBJECT", "ENCODING", "j")).toBe("embstr");
    expect(t.log.at(-1)).toEqual(["SET", "j", "10", "KEEPTTL"]);
    t.run("INCRBYFLOAT", "big", "1e60");
    expect(t.run("OBJECT", "ENCODING", "big")).toBe("raw");
  });
});

describe("SET", () => {
  it("accepts a repeated option word, the last expiry winning", () => {
    const t = testEngine();
    expect(t.run("SET", "k", "v", "NX", "NX", "GET", "GET")).toBe(null);
    expect(t.run("SET", "k", "w", "KEEPTTL", "KEEPTTL")).toEqual({ status: "OK" });
    expect(t.run("SET", "k", "v", "EX", "10", "EX", "20")).toEqual({ status: "OK" });
    expect(t.run("TTL", "k")).toBe(20);
  });

  it("checks the syntax before the expiry's number", () => {
    const t = testEngine();
    expect(t.run("SET", "k", "v", "EX", "abc", "NX", "XX")).toEqual({ error: "ERR syntax error" });
    expect(t.run("SET", "k", "v", "EX", "10", "PX", "20")).toEqual({ error: "ERR syntax error" });
    expect(t.run("SET", "k", "v", "EX", "abc")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(t.run("SET", "k", "v", "EX", "0")).toEqual({ error: "ERR invalid expire time in 'set' command" });
  });

  it("accepts expiries beyond 2^53 ms that fit in int64, as Redis does", () => {
    const t = testEngine();
    expect(t.run("SET", "k", "v", "PX", "9223372036854776")).toEqual({ status: "OK" });
    expect(t.run("PEXPIRETIME", "k")).toBe(BigInt(t.clock.ms) + 9223372036854776n);
    expect(t.run("SET", "k", "v", "EX", "9223372036854776")).toEqual({ error: "ERR invalid expire time in 'set' command" });
    // Kept to the nearest double (below 2^63) and logged as such, so replay reads it back.
    expect(t.run("SET", "m", "v", "PXAT", "9223372036854775807")).toEqual({ status: "OK" });
    expect(t.log.at(-1)).toEqual(["SET", "m", "v", "PXAT", "9223372036854774784"]);
  });
});

describe("SET KEEPTTL", () => {
  it("keeps nothing of a key already past its expiry: the new key has no TTL", () => {
    const t = testEngine();
    expect(t.run("SET", "k", "v", "PXAT", "1")).toEqual({ status: "OK" });
    expect(t.run("SET", "k", "w", "KEEPTTL")).toEqual({ status: "OK" });
    expect(t.run("TTL", "k")).toBe(-1);
    expect(t.run("GET", "k")).toBe("w");
  });
});

describe("GETEX", () => {
  it("answers nil for a missing key before reading the expiry", () => {
    const t = testEngine();
    expect(t.run("GETEX", "nokey", "PX", "abc")).toBe(null);
    expect(t.run("GETEX", "nokey", "EX", "-1")).toBe(null);
    expect(t.run("GETEX", "nokey", "BOGUS")).toEqual({ error: "ERR syntax error" });
  });

  it("reads the expiry of an existing key with Redis's errors", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    expect(t.run("GETEX", "k", "PX", "abc")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(t.run("GETEX", "k", "PX", "0")).toEqual({ error: "ERR invalid expire time in 'getex' command" });
    expect(t.run("GETEX", "k", "EX", "10", "PX", "10")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GETEX", "k", "EX", "10", "PERSIST")).toEqual({ error: "ERR syntax error" });
    expect(t.run("GETEX", "k", "NX")).toEqual({ error: "ERR syntax error" });
  });

  it("takes the last of repeated expiries", () => {
    const t = testEngine();
    t.run("SET", "h", "1");
    expect(t.run("GETEX", "h", "EX", "1", "EX", "100000")).toBe("1");
    expect(t.run("TTL", "h")).toBe(100000);
  });
});

describe("string encodings", () => {
  it("APPEND to an existing string makes it raw, a new key is encoded as SET encodes it", () => {
    const t = testEngine();
    t.run("SET", "s", "abc");
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("embstr");
    t.run("APPEND", "s", "d");
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("raw");
    t.run("APPEND", "n", "12");
    expect(t.run("OBJECT", "ENCODING", "n")).toBe("int");
    t.run("APPEND", "n", "3");
    expect(t.run("OBJECT", "ENCODING", "n")).toBe("raw");
  });

  it("SETRANGE makes a string raw unless it writes nothing", () => {
    const t = testEngine();
    t.run("SETRANGE", "r", "0", "ab");
    expect(t.run("OBJECT", "ENCODING", "r")).toBe("raw");
    t.run("SET", "q", "12");
    t.run("SETRANGE", "q", "0", "3");
    expect(t.run("OBJECT", "ENCODING", "q")).toBe("raw");
    t.run("SET", "e", "hello");
    expect(t.run("SETRANGE", "e", "0", "")).toBe(5);
    expect(t.run("OBJECT", "ENCODING", "e")).toBe("embstr");
  });

  it("a new value forgets how the old one was made", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    t.run("APPEND", "s", "y");
    t.run("SET", "s", "xy");
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("embstr");
    t.run("APPEND", "s", "z");
    t.run("INCR", "s");
    t.run("DEL", "s");
    t.run("SET", "s", "5");
    t.run("INCR", "s");
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("int");
  });

  it("an expiry change keeps the encoding", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    t.run("APPEND", "s", "y");
    t.run("EXPIRE", "s", "100");
    t.run("PERSIST", "s");
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("raw");
  });
});
