// Sorted set commands against the engine: replies, errors and propagated commands as redis-server 7.0 gives them.
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { type TestEngine, seededRandom, testEngine } from "../testing.js";
import { RedisZSet } from "../types/index.js";
import { strtod } from "../bytes.js";
import { parseScoreRange, parseZaddOptions, parseZrangeOptions, scoreArg } from "./zsets.js";

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const SYNTAX = { error: "ERR syntax error" };
const NOT_INTEGER = { error: "ERR value is not an integer or out of range" };
const NOT_FLOAT = { error: "ERR value is not a valid float" };
const MINMAX_FLOAT = { error: "ERR min or max is not a float" };
const MINMAX_LEX = { error: "ERR min or max not valid string range item" };
const LIMIT_RANK = { error: "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX" };
const WITHSCORES_LEX = { error: "ERR syntax error, WITHSCORES not supported in combination with BYLEX" };

const SETUP_Z = ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"];

/** z = a:1 b:2 c:3 d:4 e:5, a string at s, and an empty log. */
function withZset(): TestEngine {
  const t = testEngine();
  t.run(...SETUP_Z);
  t.run("SET", "s", "str");
  t.log.length = 0;
  return t;
}

/** l = a…g all with score 0, for lex ranges. */
function withLex(): TestEngine {
  const t = testEngine();
  t.run("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "g");
  t.log.length = 0;
  return t;
}

/** Replays `setup` then what `t` propagated into a fresh engine; returns ZRANGE key 0 -1 WITHSCORES there. */
function replayed(t: TestEngine, key: string, setup: string[][] = []) {
  const e = new Engine();
  for (const c of [...setup, ...t.log]) e.replay(c);
  return e.execute(["ZRANGE", key, "0", "-1", "WITHSCORES"]);
}

describe("number parsing", () => {
  it("strtod reads decimal, hex, inf and nan forms and reports how much it used", () => {
    expect(strtod("1.5e3x")).toEqual({ value: 1500, end: 5, erange: false });
    expect(strtod("  -2")).toEqual({ value: -2, end: 4, erange: false });
    expect(strtod("0x10")).toEqual({ value: 16, end: 4, erange: false });
    expect(strtod("0x1p-3")).toEqual({ value: 0.125, end: 6, erange: false });
    expect(strtod("0x")).toEqual({ value: 0, end: 1, erange: false });
    expect(strtod("-Infinity")).toEqual({ value: -Infinity, end: 9, erange: false });
    expect(strtod("infx")).toEqual({ value: Infinity, end: 3, erange: false });
    expect(strtod("nan(12)").end).toBe(7);
    expect(strtod("1e400")).toEqual({ value: Infinity, end: 5, erange: true });
    expect(strtod("1e-400")).toEqual({ value: 0, end: 6, erange: true });
    expect(strtod("0e-400")).toEqual({ value: 0, end: 6, erange: false });
    expect(strtod("e5").end).toBe(0);
    expect(strtod("5e").end).toBe(1);
  });

  it("scoreArg accepts what Redis's getDoubleFromObject accepts", () => {
    expect(scoreArg("0x10")).toBe(16);
    expect(scoreArg("+.5e1")).toBe(5);
    expect(scoreArg("1.")).toBe(1);
    expect(scoreArg("-INF")).toBe(-Infinity);
    expect(scoreArg("1e-320")).toBeCloseTo(1e-320);
    expect(Object.is(scoreArg("-0"), -0)).toBe(true);
    for (const bad of ["", " 1", "1 ", "nan", "1e400", "1e-400", "5e", "1_0", "abc"]) {
      expect(() => scoreArg(bad), bad).toThrow("ERR value is not a valid float");
    }
  });

  it("score range items take '(' for exclusive, allow leading spaces and an empty number (0)", () => {
    expect(parseScoreRange("(1", "+inf")).toEqual({ min: 1, minEx: true, max: Infinity, maxEx: false });
    expect(parseScoreRange("", "(")).toEqual({ min: 0, minEx: false, max: 0, maxEx: true });
    expect(parseScoreRange(" 1", "1e400")).toEqual({ min: 1, minEx: false, max: Infinity, maxEx: false });
    expect(() => parseScoreRange("1 ", "2")).toThrow("ERR min or max is not a float");
    expect(() => parseScoreRange("nan", "2")).toThrow("ERR min or max is not a float");
  });
});

describe("ZADD", () => {
  it("adds members and replies how many were new", () => {
    const t = testEngine();
    expect(t.run("ZADD", "z", "1", "a", "2", "b")).toBe(2);
    expect(t.run("ZADD", "z", "3", "a", "4", "c")).toBe(1);
    expect(t.run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(["b", "2", "a", "3", "c", "4"]);
    expect(t.run("TYPE", "z")).toEqual({ status: "zset" });
    expect(t.log).toEqual([
      ["ZADD", "z", "1", "a", "2", "b"],
      ["ZADD", "z", "3", "a", "4", "c"],
    ]);
  });

  it("counts changed members too with CH", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "CH", "10", "a", "2", "b", "6", "f")).toBe(2);
  });

  it("propagates nothing when no score changed", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "1", "a", "2", "b")).toBe(0);
    expect(t.run("ZADD", "z", "GT", "0", "a")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("treats -0 and 0 as the same score", () => {
    const t = withZset();
    t.run("ZADD", "z", "0", "zero");
    t.log.length = 0;
    expect(t.run("ZADD", "z", "CH", "-0", "zero")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("NX only adds, XX only updates", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "NX", "10", "a", "6", "f")).toBe(1);
    expect(t.run("ZADD", "z", "XX", "CH", "10", "a", "7", "g")).toBe(1);
    expect(t.run("ZMSCORE", "z", "a", "f", "g")).toEqual(["10", "6", null]);
  });

  it("XX on a missing key creates nothing", () => {
    const t = testEngine();
    expect(t.run("ZADD", "z", "XX", "1", "a")).toBe(0);
    expect(t.run("EXISTS", "z")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("GT and LT update only in their direction but always add new members", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "GT", "CH", "0", "a", "10", "b", "1", "new")).toBe(2);
    expect(t.run("ZADD", "z", "LT", "CH", "5", "c", "0", "d")).toBe(1);
    expect(t.run("ZADD", "z", "GT", "XX", "CH", "10", "e", "10", "nope")).toBe(1);
    expect(t.run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(["d", "0", "a", "1", "new", "1", "c", "3", "b", "10", "e", "10"]);
  });

  it("INCR increments and replies with the new score, or nil when a flag stopped it", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "INCR", "1.5", "a")).toBe("2.5");
    expect(t.run("ZADD", "z", "INCR", "0.1", "new")).toBe("0.10000000000000001");
    expect(t.run("ZADD", "z", "NX", "INCR", "1", "a")).toBe(null);
    expect(t.run("ZADD", "z", "XX", "INCR", "1", "nope")).toBe(null);
    expect(t.run("ZADD", "z", "GT", "INCR", "-1", "a")).toBe(null);
    expect(t.run("ZADD", "z", "LT", "INCR", "-1", "a")).toBe("1.5");
    expect(t.run("ZADD", "nokey", "XX", "INCR", "1", "a")).toBe(null);
    expect(t.log).toEqual([
      ["ZADD", "z", "INCR", "1.5", "a"],
      ["ZADD", "z", "INCR", "0.1", "new"],
      ["ZADD", "z", "LT", "INCR", "-1", "a"],
    ]);
  });

  it("INCR by 0 replies with the score and propagates nothing", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "INCR", "0", "c")).toBe("3");
    expect(t.log).toEqual([]);
  });

  it("refuses a NaN result", () => {
    const t = testEngine();
    t.run("ZADD", "z", "inf", "a");
    expect(t.run("ZADD", "z", "INCR", "-inf", "a")).toEqual({ error: "ERR resulting score is not a number (NaN)" });
    expect(t.run("ZSCORE", "z", "a")).toBe("inf");
  });

  it("checks its options in Redis's order", () => {
    const t = withZset();
    expect(t.run("ZADD", "z", "NX", "XX", "1", "a")).toEqual({ error: "ERR XX and NX options at the same time are not compatible" });
    const gtlt = { error: "ERR GT, LT, and/or NX options at the same time are not compatible" };
    expect(t.run("ZADD", "z", "GT", "LT", "1", "a")).toEqual(gtlt);
    expect(t.run("ZADD", "z", "NX", "GT", "1", "a")).toEqual(gtlt);
    expect(t.run("ZADD", "z", "NX", "LT", "1", "a")).toEqual(gtlt);
    expect(t.run("ZADD", "z", "INCR", "1", "a", "2", "b")).toEqual({ error: "ERR INCR option supports a single increment-element pair" });
    expect(t.run("ZADD", "z", "1", "a", "2")).toEqual(SYNTAX);
    expect(t.run("ZADD", "z", "NX", "XX")).toEqual(SYNTAX);
    expect(t.run("ZADD", "z", "1")).toEqual({ error: "ERR wrong number of arguments for 'zadd' command" });
    expect(t.run("ZADD", "z", "nan", "a")).toEqual(NOT_FLOAT);
    expect(t.run("ZADD", "z", "1", "a", "x", "b")).toEqual(NOT_FLOAT);
    expect(t.run("ZADD", "s", "1", "a")).toEqual(WRONGTYPE);
    expect(t.run("ZADD", "s", "x", "a")).toEqual(NOT_FLOAT);
    expect(t.run("ZSCORE", "z", "a")).toBe("1");
  });

  it("parses options case-insensitively into their flags", () => {
    expect(parseZaddOptions(["zadd", "k", "xx", "Ch", "gt", "1", "m"])).toEqual({
      nx: false, xx: true, gt: true, lt: false, ch: true, incr: false, scoreIdx: 5,
    });
  });

  it("accepts the score forms strtod accepts and formats scores with %.17g", () => {
    const t = testEngine();
    t.run("ZADD", "z", "0x10", "hex", "1e300", "big", "0.1", "tenth", "3.0", "three", "+inf", "top", "-infinity", "bottom");
    expect(t.run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual([
      "bottom", "-inf", "tenth", "0.10000000000000001", "three", "3", "hex", "16", "big", "1.0000000000000001e+300", "top", "inf",
    ]);
  });

  it("reports a zset as listpack until 128 members or a member over 64 bytes, and never converts back", () => {
    const t = testEngine();
    t.run("ZADD", "z", "1", "a");
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("listpack");
    const args: string[] = [];
    for (let i = 0; i < 128; i++) args.push(String(i), `m${i}`);
    t.run("ZADD", "z", ...args);
    expect(t.run("ZCARD", "z")).toBe(129);
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("skiplist");
    t.run("ZREMRANGEBYRANK", "z", "0", "-2");
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("skiplist");
    t.run("ZADD", "long", "1", "x".repeat(64));
    expect(t.run("OBJECT", "ENCODING", "long")).toBe("listpack");
    t.run("ZADD", "long", "1", "x".repeat(65));
    expect(t.run("OBJECT", "ENCODING", "long")).toBe("skiplist");
  });

  it("keeps -0 only once the set is a skiplist, as a listpack stores 0", () => {
    const t = testEngine();
    t.run("CONFIG", "SET", "zset-max-listpack-entries", "2");
    t.run("ZADD", "z", "-0", "a", "-0", "b", "-0", "c");
    expect(t.run("ZRANGE", "z", "0", "-1", "WITHSCORES")).toEqual(["a", "0", "b", "0", "c", "-0"]);
    t.run("ZADD", "long", "1", "x".repeat(65), "-0", "a");
    expect(t.run("ZSCORE", "long", "a")).toBe("-0");
  });

  it("replies with the -0 it computed even when the listpack stores 0", () => {
    const t = testEngine();
    expect(t.run("ZADD", "z", "INCR", "-0", "a")).toBe("-0");
    expect(t.run("ZSCORE", "z", "a")).toBe("0");
  });

  it("charges memory for the new key and gives it all back when emptied", () => {
    const t = testEngine();
    const before = t.engine.db.usedMemory;
    t.run("ZADD", "z", "1", "a", "2", "b");
    const z = t.engine.db.data.get("z") as RedisZSet;
    expect(t.engine.db.usedMemory).toBeGreaterThan(before + z.memoryUsage());
    t.run("ZADD", "z", "3", "c");
    expect(t.engine.db.usedMemory - before).toBe(z.memoryUsage() + 32 + 1 + 16);
    t.run("ZREM", "z", "a", "b", "c");
    expect(t.engine.db.usedMemory).toBe(before);
  });
});

describe("ZINCRBY", () => {
  it("increments, creating the key and member, and replies with the score", () => {
    const t = testEngine();
    expect(t.run("ZINCRBY", "z", "5", "a")).toBe("5");
    expect(t.run("ZINCRBY", "z", "0.2", "a")).toBe("5.2000000000000002");
    expect(t.run("ZINCRBY", "z", "inf", "a")).toBe("inf");
    expect(t.log).toEqual([
      ["ZINCRBY", "z", "5", "a"],
      ["ZINCRBY", "z", "0.2", "a"],
      ["ZINCRBY", "z", "inf", "a"],
    ]);
  });

  it("propagates nothing for an increment of 0", () => {
    const t = withZset();
    expect(t.run("ZINCRBY", "z", "0", "b")).toBe("2");
    expect(t.log).toEqual([]);
  });

  it("answers Redis's errors, including its quirk of reading ZADD flags in the increment's place", () => {
    const t = withZset();
    t.run("ZADD", "z", "inf", "i");
    expect(t.run("ZINCRBY", "z", "-inf", "i")).toEqual({ error: "ERR resulting score is not a number (NaN)" });
    expect(t.run("ZINCRBY", "z", "abc", "a")).toEqual(NOT_FLOAT);
    expect(t.run("ZINCRBY", "z", "nx", "a")).toEqual(SYNTAX);
    expect(t.run("ZINCRBY", "s", "1", "a")).toEqual(WRONGTYPE);
  });
});

describe("ZSCORE, ZMSCORE, ZCARD", () => {
  it("answer scores, nils and the size", () => {
    const t = withZset();
    expect(t.run("ZSCORE", "z", "c")).toBe("3");
    expect(t.run("ZSCORE", "z", "nope")).toBe(null);
    expect(t.run("ZSCORE", "nokey", "a")).toBe(null);
    expect(t.run("ZMSCORE", "z", "a", "nope", "e")).toEqual(["1", null, "5"]);
    expect(t.run("ZMSCORE", "nokey", "a", "b")).toEqual([null, null]);
    expect(t.run("ZCARD", "z")).toBe(5);
    expect(t.run("ZCARD", "nokey")).toBe(0);
  });

  it("refuse another type", () => {
    const t = withZset();
    expect(t.run("ZSCORE", "s", "a")).toEqual(WRONGTYPE);
    expect(t.run("ZMSCORE", "s", "a")).toEqual(WRONGTYPE);
    expect(t.run("ZCARD", "s")).toEqual(WRONGTYPE);
  });
});

describe("ZRANK, ZREVRANK", () => {
  it("answer 0-based ranks from either end, nil for a missing member or key", () => {
    const t = withZset();
    expect(t.run("ZRANK", "z", "c")).toBe(2);
    expect(t.run("ZREVRANK", "z", "c")).toBe(2);
    expect(t.run("ZRANK", "z", "a")).toBe(0);
    expect(t.run("ZREVRANK", "z", "a")).toBe(4);
    expect(t.run("ZRANK", "z", "nope")).toBe(null);
    expect(t.run("ZRANK", "nokey", "a")).toBe(null);
    expect(t.run("ZRANK", "s", "a")).toEqual(WRONGTYPE);
  });

  it("take no WITHSCORE (a 7.2 addition)", () => {
    const t = withZset();
    expect(t.run("ZRANK", "z", "c", "WITHSCORE")).toEqual({ error: "ERR wrong number of arguments for 'zrank' command" });
  });
});

describe("ZCOUNT", () => {
  it("counts a score range with exclusive and infinite ends", () => {
    const t = withZset();
    expect(t.run("ZCOUNT", "z", "-inf", "+inf")).toBe(5);
    expect(t.run("ZCOUNT", "z", "(1", "3")).toBe(2);
    expect(t.run("ZCOUNT", "z", "(1", "(3")).toBe(1);
    expect(t.run("ZCOUNT", "z", "2", "2")).toBe(1);
    expect(t.run("ZCOUNT", "z", "(2", "(2")).toBe(0);
    expect(t.run("ZCOUNT", "z", "4", "2")).toBe(0);
    expect(t.run("ZCOUNT", "nokey", "0", "1")).toBe(0);
  });

  it("checks the range before the key", () => {
    const t = withZset();
    expect(t.run("ZCOUNT", "z", "a", "b")).toEqual(MINMAX_FLOAT);
    expect(t.run("ZCOUNT", "nokey", "1", "nan")).toEqual(MINMAX_FLOAT);
    expect(t.run("ZCOUNT", "s", "x", "1")).toEqual(MINMAX_FLOAT);
    expect(t.run("ZCOUNT", "s", "0", "1")).toEqual(WRONGTYPE);
  });
});

describe("ZLEXCOUNT", () => {
  it("counts a lex range with [ ( - +", () => {
    const t = withLex();
    expect(t.run("ZLEXCOUNT", "l", "-", "+")).toBe(7);
    expect(t.run("ZLEXCOUNT", "l", "[b", "[d")).toBe(3);
    expect(t.run("ZLEXCOUNT", "l", "(b", "(d")).toBe(1);
    expect(t.run("ZLEXCOUNT", "l", "[d", "[b")).toBe(0);
    expect(t.run("ZLEXCOUNT", "l", "+", "-")).toBe(0);
    expect(t.run("ZLEXCOUNT", "l", "-", "-")).toBe(0);
    expect(t.run("ZLEXCOUNT", "l", "[", "+")).toBe(7);
    expect(t.run("ZLEXCOUNT", "nokey", "-", "+")).toBe(0);
  });

  it("refuses items without a prefix", () => {
    const t = withLex();
    expect(t.run("ZLEXCOUNT", "l", "a", "b")).toEqual(MINMAX_LEX);
    expect(t.run("ZLEXCOUNT", "l", "-x", "+")).toEqual(MINMAX_LEX);
    expect(t.run("ZLEXCOUNT", "l", "", "+")).toEqual(MINMAX_LEX);
  });

  it("walks a small set with mixed scores as Redis's listpack scan does", () => {
    const t = testEngine();
    t.run("ZADD", "m", "1", "d", "2", "b", "3", "a", "4", "c");
    // The first member ≥ "b" in score order is d, past "[c": nothing. For "[d" the walk from d
    // takes every member ≤ "d". Backwards, the first ≤ "d" from the end is c, and a stops the walk.
    expect(t.run("ZLEXCOUNT", "m", "[b", "[c")).toBe(0);
    expect(t.run("ZLEXCOUNT", "m", "[b", "[d")).toBe(4);
    expect(t.run("ZRANGEBYLEX", "m", "[b", "[d")).toEqual(["d", "b", "a", "c"]);
    expect(t.run("ZREVRANGEBYLEX", "m", "[d", "[b")).toEqual(["c"]);
    // The first member (d) is past the max: Redis's quick check answers empty.
    expect(t.run("ZRANGEBYLEX", "m", "[a", "[b")).toEqual([]);
  });
});

describe("ZRANGE", () => {
  it("selects by rank, with negative indexes and clamping", () => {
    const t = withZset();
    expect(t.run("ZRANGE", "z", "0", "-1")).toEqual(["a", "b", "c", "d", "e"]);
    expect(t.run("ZRANGE", "z", "-2", "-1", "WITHSCORES")).toEqual(["d", "4", "e", "5"]);
    expect(t.run("ZRANGE", "z", "-100", "1")).toEqual(["a", "b"]);
    expect(t.run("ZRANGE", "z", "3", "1")).toEqual([]);
    expect(t.run("ZRANGE", "z", "5", "10")).toEqual([]);
    expect(t.run("ZRANGE", "z", "0", "1", "REV")).toEqual(["e", "d"]);
    expect(t.run("ZRANGE", "nokey", "0", "-1")).toEqual([]);
  });

  it("selects by score with BYSCORE, REV taking max first, and LIMIT", () => {
    const t = withZset();
    expect(t.run("ZRANGE", "z", "(1", "3", "BYSCORE", "WITHSCORES")).toEqual(["b", "2", "c", "3"]);
    expect(t.run("ZRANGE", "z", "+inf", "(3", "BYSCORE", "REV")).toEqual(["e", "d"]);
    expect(t.run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "1", "2")).toEqual(["b", "c"]);
    expect(t.run("ZRANGE", "z", "+inf", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2")).toEqual(["d", "c"]);
    expect(t.run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "3", "-1")).toEqual(["d", "e"]);
    expect(t.run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "-1", "2")).toEqual([]);
    expect(t.run("ZRANGE", "z", "-inf", "+inf", "BYSCORE", "LIMIT", "0", "0")).toEqual([]);
    expect(t.run("ZRANGE", "z", "1", "3", "BYSCORE", "REV")).toEqual([]);
  });

  it("selects by member with BYLEX", () => {
    const t = withLex();
    expect(t.run("ZRANGE", "l", "[b", "(e", "BYLEX")).toEqual(["b", "c", "d"]);
    expect(t.run("ZRANGE", "l", "+", "-", "BYLEX", "REV", "LIMIT", "1", "2")).toEqual(["f", "e"]);
    expect(t.run("ZRANGE", "l", "-", "+", "BYLEX", "REV")).toEqual([]);
  });

  it("allows LIMIT offset -1 with a rank range, as Redis only checks the count", () => {
    const t = withZset();
    expect(t.run("ZRANGE", "z", "0", "1", "LIMIT", "5", "-1")).toEqual(["a", "b"]);
  });

  it("answers Redis's errors for bad combinations, in its order", () => {
    const t = withZset();
    expect(t.run("ZRANGE", "z", "0", "-1", "LIMIT", "0", "1")).toEqual(LIMIT_RANK);
    expect(t.run("ZRANGE", "z", "[a", "[c", "BYLEX", "WITHSCORES")).toEqual(WITHSCORES_LEX);
    expect(t.run("ZRANGE", "z", "0", "-1", "BYSCORE", "LIMIT", "0")).toEqual(SYNTAX);
    expect(t.run("ZRANGE", "z", "0", "-1", "BYSCORE", "BYLEX")).toEqual(SYNTAX);
    expect(t.run("ZRANGE", "z", "0", "-1", "REV", "REV")).toEqual(SYNTAX);
    expect(t.run("ZRANGE", "z", "0", "-1", "foo")).toEqual(SYNTAX);
    expect(t.run("ZRANGE", "z", "x", "y", "foo")).toEqual(SYNTAX);
    expect(t.run("ZRANGE", "z", "0", "-1", "LIMIT", "x", "1")).toEqual(NOT_INTEGER);
    expect(t.run("ZRANGE", "z", "x", "y")).toEqual(NOT_INTEGER);
    expect(t.run("ZRANGE", "s", "x", "y")).toEqual(NOT_INTEGER);
    expect(t.run("ZRANGE", "s", "0", "-1")).toEqual(WRONGTYPE);
    expect(t.run("ZRANGE", "z", "0", "-1", "BYLEX")).toEqual(MINMAX_LEX);
    expect(t.run("ZRANGE", "z", "a", "b", "BYSCORE")).toEqual(MINMAX_FLOAT);
  });

  it("accepts WITHSCORES twice", () => {
    const t = withZset();
    expect(t.run("ZRANGE", "z", "0", "0", "WITHSCORES", "withscores")).toEqual(["a", "1"]);
  });

  it("parses its options into a range kind, direction and limit", () => {
    expect(parseZrangeOptions(["bylex", "LIMIT", "2", "3", "rev"], {})).toEqual({ by: "lex", rev: true, withScores: false, offset: 2, limit: 3 });
    expect(() => parseZrangeOptions(["REV"], { by: "score", rev: false })).toThrow("ERR syntax error");
    expect(() => parseZrangeOptions(["WITHSCORES"], { store: true })).toThrow("ERR syntax error");
  });
});

describe("ZRANGEBYSCORE, ZREVRANGEBYSCORE", () => {
  it("select a score range, reversed with max first", () => {
    const t = withZset();
    expect(t.run("ZRANGEBYSCORE", "z", "2", "(4", "WITHSCORES")).toEqual(["b", "2", "c", "3"]);
    expect(t.run("ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "1", "1")).toEqual(["b"]);
    expect(t.run("ZREVRANGEBYSCORE", "z", "5", "(3", "WITHSCORES")).toEqual(["e", "5", "d", "4"]);
    expect(t.run("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "5", "WITHSCORES")).toEqual(["d", "4", "c", "3", "b", "2", "a", "1"]);
    expect(t.run("ZRANGEBYSCORE", "z", "(-inf", "(inf")).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("take no REV, BYSCORE or BYLEX, and check their range", () => {
    const t = withZset();
    expect(t.run("ZRANGEBYSCORE", "z", "1", "2", "REV")).toEqual(SYNTAX);
    expect(t.run("ZRANGEBYSCORE", "z", "1", "2", "BYSCORE")).toEqual(SYNTAX);
    expect(t.run("ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "a", "b")).toEqual(NOT_INTEGER);
    expect(t.run("ZRANGEBYSCORE", "nokey", "a", "b")).toEqual(MINMAX_FLOAT);
    expect(t.run("ZRANGEBYSCORE", "s", "1", "2")).toEqual(WRONGTYPE);
  });
});

describe("ZRANGEBYLEX, ZREVRANGEBYLEX", () => {
  it("select a lex range with LIMIT, reversed with max first", () => {
    const t = withLex();
    expect(t.run("ZRANGEBYLEX", "l", "-", "[c")).toEqual(["a", "b", "c"]);
    expect(t.run("ZRANGEBYLEX", "l", "(a", "[c", "LIMIT", "1", "1")).toEqual(["c"]);
    expect(t.run("ZRANGEBYLEX", "l", "[a", "(c", "LIMIT", "0", "-1")).toEqual(["a", "b"]);
    expect(t.run("ZREVRANGEBYLEX", "l", "+", "-", "LIMIT", "1", "2")).toEqual(["f", "e"]);
    expect(t.run("ZREVRANGEBYLEX", "l", "(c", "-")).toEqual(["b", "a"]);
  });

  it("refuse WITHSCORES and bad items", () => {
    const t = withLex();
    expect(t.run("ZRANGEBYLEX", "l", "[a", "(c", "WITHSCORES")).toEqual(WITHSCORES_LEX);
    expect(t.run("ZRANGEBYLEX", "l", "a", "b")).toEqual(MINMAX_LEX);
    expect(t.run("ZREVRANGEBYLEX", "l", "+", "-", "WITHSCORES")).toEqual(WITHSCORES_LEX);
  });

  it("compare members bytewise", () => {
    const t = testEngine();
    t.run("ZADD", "l", "0", "\xff", "0", "\x00", "0", "A", "0", "a");
    expect(t.run("ZRANGEBYLEX", "l", "-", "+")).toEqual(["\x00", "A", "a", "\xff"]);
    expect(t.run("ZRANGEBYLEX", "l", "(a", "+")).toEqual(["\xff"]);
  });
});

describe("ZREVRANGE", () => {
  it("selects ranks from the top", () => {
    const t = withZset();
    expect(t.run("ZREVRANGE", "z", "0", "1", "WITHSCORES")).toEqual(["e", "5", "d", "4"]);
    expect(t.run("ZREVRANGE", "z", "-1", "-1")).toEqual(["a"]);
    expect(t.run("ZREVRANGE", "z", "0", "1", "LIMIT", "0", "1")).toEqual(LIMIT_RANK);
  });
});

describe("ZRANGESTORE", () => {
  it("stores a range and replies with its size, propagated as sent", () => {
    const t = withZset();
    expect(t.run("ZRANGESTORE", "d", "z", "1", "3")).toBe(3);
    expect(t.run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["b", "2", "c", "3", "d", "4"]);
    expect(t.run("ZRANGESTORE", "d", "z", "5", "(3", "BYSCORE", "REV", "LIMIT", "0", "1")).toBe(1);
    expect(t.run("ZRANGE", "d", "0", "-1")).toEqual(["e"]);
    expect(t.log).toEqual([
      ["ZRANGESTORE", "d", "z", "1", "3"],
      ["ZRANGESTORE", "d", "z", "5", "(3", "BYSCORE", "REV", "LIMIT", "0", "1"],
    ]);
    expect(replayed(t, "d", [SETUP_Z])).toEqual(["e", "5"]);
  });

  it("overwrites a key of any type and drops its TTL", () => {
    const t = withZset();
    t.run("SET", "d", "x", "EX", "100");
    expect(t.run("ZRANGESTORE", "d", "z", "0", "0")).toBe(1);
    expect(t.run("TYPE", "d")).toEqual({ status: "zset" });
    expect(t.run("TTL", "d")).toBe(-1);
  });

  it("deletes the destination for an empty result, propagating only if it existed", () => {
    const t = withZset();
    t.run("ZADD", "d", "1", "x");
    t.log.length = 0;
    expect(t.run("ZRANGESTORE", "d", "nokey", "0", "-1")).toBe(0);
    expect(t.run("EXISTS", "d")).toBe(0);
    expect(t.run("ZRANGESTORE", "d", "nokey", "0", "-1")).toBe(0);
    expect(t.log).toEqual([["ZRANGESTORE", "d", "nokey", "0", "-1"]]);
  });

  it("takes no WITHSCORES and refuses a source of another type", () => {
    const t = withZset();
    expect(t.run("ZRANGESTORE", "d", "z", "0", "-1", "WITHSCORES")).toEqual(SYNTAX);
    expect(t.run("ZRANGESTORE", "d", "z", "0", "-1", "LIMIT", "0", "1")).toEqual(LIMIT_RANK);
    expect(t.run("ZRANGESTORE", "d", "s", "0", "-1")).toEqual(WRONGTYPE);
    expect(t.run("EXISTS", "d")).toBe(0);
  });
});

describe("ZREM", () => {
  it("removes members, deleting the key when emptied", () => {
    const t = withZset();
    expect(t.run("ZREM", "z", "a", "nope", "b")).toBe(2);
    expect(t.run("ZREM", "z", "nope")).toBe(0);
    expect(t.run("ZREM", "z", "c", "d", "e")).toBe(3);
    expect(t.run("EXISTS", "z")).toBe(0);
    expect(t.run("ZREM", "nokey", "a")).toBe(0);
    expect(t.run("ZREM", "s", "a")).toEqual(WRONGTYPE);
    expect(t.log).toEqual([
      ["ZREM", "z", "a", "nope", "b"],
      ["ZREM", "z", "c", "d", "e"],
    ]);
  });
});

describe("ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX", () => {
  it("remove a rank range", () => {
    const t = withZset();
    expect(t.run("ZREMRANGEBYRANK", "z", "0", "0")).toBe(1);
    expect(t.run("ZREMRANGEBYRANK", "z", "-2", "-1")).toBe(2);
    expect(t.run("ZREMRANGEBYRANK", "z", "5", "1")).toBe(0);
    expect(t.run("ZRANGE", "z", "0", "-1")).toEqual(["b", "c"]);
    expect(t.run("ZREMRANGEBYRANK", "z", "x", "1")).toEqual(NOT_INTEGER);
    expect(t.log).toEqual([
      ["ZREMRANGEBYRANK", "z", "0", "0"],
      ["ZREMRANGEBYRANK", "z", "-2", "-1"],
    ]);
  });

  it("remove a score range, deleting the key when emptied", () => {
    const t = withZset();
    expect(t.run("ZREMRANGEBYSCORE", "z", "0", "0")).toBe(0);
    expect(t.run("ZREMRANGEBYSCORE", "z", "(1", "3")).toBe(2);
    expect(t.run("ZREMRANGEBYSCORE", "z", "-inf", "+inf")).toBe(3);
    expect(t.run("EXISTS", "z")).toBe(0);
    expect(t.run("ZREMRANGEBYSCORE", "z", "(a", "1")).toEqual(MINMAX_FLOAT);
    expect(t.log).toEqual([
      ["ZREMRANGEBYSCORE", "z", "(1", "3"],
      ["ZREMRANGEBYSCORE", "z", "-inf", "+inf"],
    ]);
  });

  it("remove a lex range", () => {
    const t = withLex();
    t.run("SET", "s", "str");
    expect(t.run("ZREMRANGEBYLEX", "l", "-", "(c")).toBe(2);
    expect(t.run("ZREMRANGEBYLEX", "l", "[e", "+")).toBe(3);
    expect(t.run("ZRANGE", "l", "0", "-1")).toEqual(["c", "d"]);
    expect(t.run("ZREMRANGEBYLEX", "l", "a", "b")).toEqual(MINMAX_LEX);
    expect(t.run("ZREMRANGEBYLEX", "s", "-", "+")).toEqual(WRONGTYPE);
    expect(t.run("ZREMRANGEBYLEX", "nokey", "-", "+")).toBe(0);
  });
});

describe("ZPOPMIN, ZPOPMAX", () => {
  it("pop from either end, with a count, propagated as sent", () => {
    const t = withZset();
    expect(t.run("ZPOPMIN", "z")).toEqual(["a", "1"]);
    expect(t.run("ZPOPMAX", "z", "2")).toEqual(["e", "5", "d", "4"]);
    expect(t.run("ZPOPMIN", "z", "10")).toEqual(["b", "2", "c", "3"]);
    expect(t.run("EXISTS", "z")).toBe(0);
    expect(t.log).toEqual([["ZPOPMIN", "z"], ["ZPOPMAX", "z", "2"], ["ZPOPMIN", "z", "10"]]);
  });

  it("answer an empty array for a missing key or a count of 0, and propagate nothing", () => {
    const t = withZset();
    expect(t.run("ZPOPMIN", "nokey")).toEqual([]);
    expect(t.run("ZPOPMIN", "nokey", "2")).toEqual([]);
    expect(t.run("ZPOPMIN", "z", "0")).toEqual([]);
    expect(t.log).toEqual([]);
  });

  it("check the count first and the type even for a count of 0", () => {
    const t = withZset();
    const positive = { error: "ERR value is out of range, must be positive" };
    expect(t.run("ZPOPMIN", "z", "-1")).toEqual(positive);
    expect(t.run("ZPOPMIN", "z", "x")).toEqual(positive);
    expect(t.run("ZPOPMIN", "s", "-1")).toEqual(positive);
    expect(t.run("ZPOPMIN", "s", "0")).toEqual(WRONGTYPE);
    expect(t.run("ZPOPMAX", "s")).toEqual(WRONGTYPE);
    expect(t.run("ZPOPMIN", "z", "1", "2")).toEqual(SYNTAX);
  });
});

describe("BZPOPMIN, BZPOPMAX", () => {
  it("pop from the first non-empty key and are propagated as ZPOPMIN/ZPOPMAX key", () => {
    const t = withZset();
    expect(t.run("BZPOPMIN", "nokey", "z", "0")).toEqual(["z", "a", "1"]);
    expect(t.run("BZPOPMAX", "z", "1.5")).toEqual(["z", "e", "5"]);
    expect(t.log).toEqual([["ZPOPMIN", "z"], ["ZPOPMAX", "z"]]);
  });

  it("answer nil at once when every key is empty (no blocking over REST)", () => {
    const t = testEngine();
    expect(t.run("BZPOPMIN", "a", "b", "0")).toBe(null);
    expect(t.log).toEqual([]);
  });

  it("check the timeout first, then the first existing key's type", () => {
    const t = withZset();
    expect(t.run("BZPOPMIN", "z", "x")).toEqual({ error: "ERR timeout is not a float or out of range" });
    expect(t.run("BZPOPMIN", "z", "-1")).toEqual({ error: "ERR timeout is negative" });
    expect(t.run("BZPOPMIN", "z", "inf")).toEqual({ error: "ERR timeout is negative" });
    expect(t.run("BZPOPMIN", "z", "9223372036854775807")).toEqual({ error: "ERR timeout is negative" });
    expect(t.run("BZPOPMIN", "nokey", "s", "z", "0")).toEqual(WRONGTYPE);
    expect(t.run("BZPOPMIN", "z", "-0.0001")).toEqual(["z", "a", "1"]);
  });
});

describe("ZMPOP", () => {
  it("pops up to count from the first existing key, propagated as ZPOPMIN/ZPOPMAX key <popped>", () => {
    const t = withZset();
    expect(t.run("ZMPOP", "2", "nokey", "z", "MIN")).toEqual(["z", [["a", "1"]]]);
    expect(t.run("ZMPOP", "1", "z", "max", "COUNT", "10")).toEqual(["z", [["e", "5"], ["d", "4"], ["c", "3"], ["b", "2"]]]);
    expect(t.run("ZMPOP", "1", "z", "MIN")).toBe(null);
    expect(t.log).toEqual([
      ["ZPOPMIN", "z", "1"],
      ["ZPOPMAX", "z", "4"],
    ]);
  });

  it("answers Redis's errors", () => {
    const t = withZset();
    const numkeys = { error: "ERR numkeys should be greater than 0" };
    const count = { error: "ERR count should be greater than 0" };
    expect(t.run("ZMPOP", "0", "z", "MIN")).toEqual(numkeys);
    expect(t.run("ZMPOP", "x", "z", "MIN")).toEqual(numkeys);
    expect(t.run("ZMPOP", "2", "z", "MIN")).toEqual(SYNTAX);
    expect(t.run("ZMPOP", "1", "z", "foo")).toEqual(SYNTAX);
    expect(t.run("ZMPOP", "1", "z", "MIN", "COUNT", "0")).toEqual(count);
    expect(t.run("ZMPOP", "1", "z", "MIN", "COUNT", "x")).toEqual(count);
    expect(t.run("ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "2")).toEqual(SYNTAX);
    expect(t.run("ZMPOP", "2", "s", "z", "MIN")).toEqual(WRONGTYPE);
  });
});

describe("BZMPOP", () => {
  it("pops as ZMPOP does, or answers nil at once", () => {
    const t = withZset();
    expect(t.run("BZMPOP", "0", "1", "z", "MAX", "COUNT", "2")).toEqual(["z", [["e", "5"], ["d", "4"]]]);
    expect(t.run("BZMPOP", "0", "1", "nokey", "MIN")).toBe(null);
    expect(t.log).toEqual([["ZPOPMAX", "z", "2"]]);
  });

  it("checks numkeys and the rest before the timeout", () => {
    const t = withZset();
    expect(t.run("BZMPOP", "x", "0", "z", "MIN")).toEqual({ error: "ERR numkeys should be greater than 0" });
    expect(t.run("BZMPOP", "x", "1", "z", "MIN")).toEqual({ error: "ERR timeout is not a float or out of range" });
    expect(t.run("BZMPOP", "-1", "1", "z", "MIN")).toEqual({ error: "ERR timeout is negative" });
  });
});

describe("ZRANDMEMBER", () => {
  it("answers one member, or nil for a missing key", () => {
    const t = withZset();
    expect(["a", "b", "c", "d", "e"]).toContain(t.run("ZRANDMEMBER", "z"));
    expect(t.run("ZRANDMEMBER", "nokey")).toBe(null);
  });

  it("answers distinct members for a positive count, the whole set from the top when it asks for more", () => {
    const t = withZset();
    const three = t.run("ZRANDMEMBER", "z", "3") as string[];
    expect(new Set(three).size).toBe(3);
    expect(t.run("ZRANDMEMBER", "z", "10", "WITHSCORES")).toEqual(["e", "5", "d", "4", "c", "3", "b", "2", "a", "1"]);
    const pairs = t.run("ZRANDMEMBER", "z", "2", "withscores") as string[];
    expect(pairs).toHaveLength(4);
    expect(t.run("ZSCORE", "z", pairs[0])).toBe(pairs[1]);
  });

  it("allows repeats for a negative count", () => {
    const t = withZset();
    const many = t.run("ZRANDMEMBER", "z", "-20") as string[];
    expect(many).toHaveLength(20);
    expect(new Set(many).size).toBeLessThanOrEqual(5);
  });

  it("answers an empty array for a count of 0 or a missing key", () => {
    const t = withZset();
    expect(t.run("ZRANDMEMBER", "z", "0")).toEqual([]);
    expect(t.run("ZRANDMEMBER", "nokey", "2")).toEqual([]);
  });

  it("answers Redis's errors, in its order", () => {
    const t = withZset();
    expect(t.run("ZRANDMEMBER", "z", "x")).toEqual(NOT_INTEGER);
    expect(t.run("ZRANDMEMBER", "z", "9223372036854775808")).toEqual(NOT_INTEGER);
    expect(t.run("ZRANDMEMBER", "z", "-9223372036854775808")).toEqual({
      error: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    });
    expect(t.run("ZRANDMEMBER", "z", "-4611686018427387904", "WITHSCORES")).toEqual({ error: "ERR value is out of range" });
    expect(t.run("ZRANDMEMBER", "nokey", "-9223372036854775807", "WITHSCORES")).toEqual({ error: "ERR value is out of range" });
    expect(t.run("ZRANDMEMBER", "z", "1", "WITHSCORE")).toEqual(SYNTAX);
    expect(t.run("ZRANDMEMBER", "z", "1", "WITHSCORES", "x")).toEqual(SYNTAX);
    expect(t.run("ZRANDMEMBER", "s")).toEqual(WRONGTYPE);
    expect(t.run("ZRANDMEMBER", "s", "0")).toEqual(WRONGTYPE);
  });
});

describe("ZUNION, ZINTER, ZDIFF", () => {
  /** z = a:1 b:2 c:3, z2 = b:10 c:20 d:30, st = the set {b, x}. */
  function withInputs(): TestEngine {
    const t = testEngine();
    t.run("ZADD", "z", "1", "a", "2", "b", "3", "c");
    t.run("ZADD", "z2", "10", "b", "20", "c", "30", "d");
    t.run("SADD", "st", "b", "x");
    t.run("SET", "s", "str");
    t.log.length = 0;
    return t;
  }

  it("ZUNION sums by default and takes WEIGHTS and AGGREGATE", () => {
    const t = withInputs();
    expect(t.run("ZUNION", "2", "z", "z2", "WITHSCORES")).toEqual(["a", "1", "b", "12", "c", "23", "d", "30"]);
    expect(t.run("ZUNION", "2", "z", "z2", "WEIGHTS", "1", "2", "AGGREGATE", "MAX", "WITHSCORES")).toEqual(["a", "1", "b", "20", "c", "40", "d", "60"]);
    expect(t.run("ZUNION", "2", "z", "z2", "AGGREGATE", "min")).toEqual(["a", "b", "c", "d"]);
    expect(t.run("ZUNION", "2", "z", "nokey")).toEqual(["a", "b", "c"]);
  });

  it("ZUNION and ZINTER read a set as scores of 1", () => {
    const t = withInputs();
    expect(t.run("ZUNION", "2", "z", "st", "WITHSCORES")).toEqual(["a", "1", "x", "1", "b", "3", "c", "3"]);
    expect(t.run("ZINTER", "2", "z", "st", "WEIGHTS", "1", "5", "WITHSCORES")).toEqual(["b", "7"]);
    expect(t.run("ZDIFF", "2", "z", "st", "WITHSCORES")).toEqual(["a", "1", "c", "3"]);
  });

  it("ZINTER keeps members in every input", () => {
    const t = withInputs();
    expect(t.run("ZINTER", "2", "z", "z2", "WITHSCORES")).toEqual(["b", "12", "c", "23"]);
    expect(t.run("ZINTER", "2", "z", "z2", "AGGREGATE", "MIN", "WITHSCORES")).toEqual(["b", "2", "c", "3"]);
    expect(t.run("ZINTER", "2", "z", "z", "WEIGHTS", "1", "2", "WITHSCORES")).toEqual(["a", "3", "b", "6", "c", "9"]);
    expect(t.run("ZINTER", "2", "z", "nokey")).toEqual([]);
  });

  it("ZDIFF keeps the first input's members found in no other, with their scores", () => {
    const t = withInputs();
    expect(t.run("ZDIFF", "2", "z", "z2", "WITHSCORES")).toEqual(["a", "1"]);
    expect(t.run("ZDIFF", "1", "z")).toEqual(["a", "b", "c"]);
    expect(t.run("ZDIFF", "2", "nokey", "z")).toEqual([]);
  });

  it("turn NaN into 0 as Redis does: inf + -inf, and 0 × inf", () => {
    const t = withInputs();
    expect(t.run("ZUNION", "2", "z", "z", "WEIGHTS", "inf", "-inf", "WITHSCORES")).toEqual(["a", "0", "b", "0", "c", "0"]);
    t.run("ZADD", "zero", "0", "m");
    expect(t.run("ZUNION", "1", "zero", "WEIGHTS", "inf", "WITHSCORES")).toEqual(["m", "0"]);
    expect(t.run("ZINTER", "2", "z", "z", "WEIGHTS", "0", "inf", "WITHSCORES")).toEqual(["a", "inf", "b", "inf", "c", "inf"]);
  });

  it("add in the order Redis does: smallest input first", () => {
    const t = testEngine();
    t.run("ZADD", "x", "-inf", "m");
    t.run("ZADD", "y", "inf", "m");
    t.run("ZADD", "y2", "inf", "m");
    t.run("ZADD", "xbig", "-inf", "m", "1", "other");
    // Equal sizes keep their order: -inf + inf = 0, then 0 + inf = inf; or inf + inf, then + -inf = 0.
    expect(t.run("ZUNION", "3", "x", "y", "y2", "WITHSCORES")).toEqual(["m", "inf"]);
    expect(t.run("ZUNION", "3", "y", "y2", "x", "WITHSCORES")).toEqual(["m", "0"]);
    // The bigger input goes last wherever it was given.
    expect(t.run("ZUNION", "3", "xbig", "y", "y2", "WITHSCORES")).toEqual(["m", "0", "other", "1"]);
  });

  it("answer Redis's errors, checking types before options", () => {
    const t = withInputs();
    expect(t.run("ZUNION", "0", "z")).toEqual({ error: "ERR at least 1 input key is needed for 'zunion' command" });
    expect(t.run("ZINTER", "-1", "z")).toEqual({ error: "ERR at least 1 input key is needed for 'zinter' command" });
    expect(t.run("ZUNION", "x", "z")).toEqual(NOT_INTEGER);
    expect(t.run("ZUNION", "3", "z", "z2")).toEqual(SYNTAX);
    expect(t.run("ZUNION", "2", "z", "z2", "WEIGHTS", "1")).toEqual(SYNTAX);
    expect(t.run("ZUNION", "2", "z", "z2", "WEIGHTS", "1", "x")).toEqual({ error: "ERR weight value is not a float" });
    expect(t.run("ZUNION", "2", "z", "z2", "WEIGHTS", "0", "nan")).toEqual({ error: "ERR weight value is not a float" });
    expect(t.run("ZUNION", "2", "z", "z2", "AGGREGATE", "foo")).toEqual(SYNTAX);
    expect(t.run("ZUNION", "2", "z", "s", "AGGREGATE", "foo")).toEqual(WRONGTYPE);
    expect(t.run("ZDIFF", "2", "z", "z2", "WEIGHTS", "1", "2")).toEqual(SYNTAX);
    expect(t.run("ZDIFF", "2", "z", "z2", "AGGREGATE", "SUM")).toEqual(SYNTAX);
  });
});

describe("ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE", () => {
  it("store the result, replying with its size, propagated as sent", () => {
    const t = testEngine();
    const setup = [
      ["ZADD", "{t}a", "1", "x", "2", "y"],
      ["ZADD", "{t}b", "3", "y", "4", "z"],
    ];
    for (const c of setup) t.run(...c);
    t.log.length = 0;
    expect(t.run("ZUNIONSTORE", "{t}d", "2", "{t}a", "{t}b", "WEIGHTS", "2", "1")).toBe(3);
    expect(t.run("ZRANGE", "{t}d", "0", "-1", "WITHSCORES")).toEqual(["x", "2", "z", "4", "y", "7"]);
    expect(t.run("ZINTERSTORE", "{t}i", "2", "{t}a", "{t}b", "AGGREGATE", "MAX")).toBe(1);
    expect(t.run("ZRANGE", "{t}i", "0", "-1", "WITHSCORES")).toEqual(["y", "3"]);
    expect(t.run("ZDIFFSTORE", "{t}f", "2", "{t}a", "{t}b")).toBe(1);
    expect(t.run("ZRANGE", "{t}f", "0", "-1", "WITHSCORES")).toEqual(["x", "1"]);
    expect(t.log).toEqual([
      ["ZUNIONSTORE", "{t}d", "2", "{t}a", "{t}b", "WEIGHTS", "2", "1"],
      ["ZINTERSTORE", "{t}i", "2", "{t}a", "{t}b", "AGGREGATE", "MAX"],
      ["ZDIFFSTORE", "{t}f", "2", "{t}a", "{t}b"],
    ]);
    expect(replayed(t, "{t}d", setup)).toEqual(["x", "2", "z", "4", "y", "7"]);
  });

  it("may name the destination among the inputs", () => {
    const t = testEngine();
    t.run("ZADD", "a", "1", "x");
    expect(t.run("ZUNIONSTORE", "a", "2", "a", "a")).toBe(1);
    expect(t.run("ZSCORE", "a", "x")).toBe("2");
  });

  it("delete the destination for an empty result, propagating only if it existed", () => {
    const t = testEngine();
    t.run("ZADD", "a", "1", "x");
    t.run("SET", "d", "v");
    t.log.length = 0;
    expect(t.run("ZINTERSTORE", "d", "2", "a", "nokey")).toBe(0);
    expect(t.run("EXISTS", "d")).toBe(0);
    expect(t.run("ZUNIONSTORE", "d", "1", "nokey")).toBe(0);
    expect(t.log).toEqual([["ZINTERSTORE", "d", "2", "a", "nokey"]]);
  });

  it("take no WITHSCORES", () => {
    const t = testEngine();
    t.run("ZADD", "a", "1", "x");
    expect(t.run("ZUNIONSTORE", "d", "1", "a", "WITHSCORES")).toEqual(SYNTAX);
    expect(t.run("ZUNIONSTORE", "d", "0", "a")).toEqual({ error: "ERR at least 1 input key is needed for 'zunionstore' command" });
  });

  it("store -0 as 0 in a small (listpack) result but reply -0 from ZUNION", () => {
    const t = testEngine();
    t.run("ZADD", "a", "0", "x", "1", "y");
    expect(t.run("ZUNION", "1", "a", "WEIGHTS", "-1", "WITHSCORES")).toEqual(["y", "-1", "x", "-0"]);
    t.run("ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "-1");
    expect(t.run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["y", "-1", "x", "0"]);
    expect(t.run("OBJECT", "ENCODING", "d")).toBe("listpack");
    t.run("CONFIG", "SET", "zset-max-listpack-entries", "1");
    t.run("ZUNIONSTORE", "d", "1", "a", "WEIGHTS", "-1");
    expect(t.run("ZRANGE", "d", "0", "-1", "WITHSCORES")).toEqual(["y", "-1", "x", "-0"]);
    expect(t.run("OBJECT", "ENCODING", "d")).toBe("skiplist");
  });

  it("report skiplist for a result over 128 members", () => {
    const t = testEngine();
    const args: string[] = [];
    for (let i = 0; i < 129; i++) args.push(String(i), `m${i}`);
    t.run("ZADD", "a", ...args);
    t.run("ZADD", "b", "1", "m1");
    t.run("ZUNIONSTORE", "u", "1", "a");
    expect(t.run("OBJECT", "ENCODING", "u")).toBe("skiplist");
    t.run("ZINTERSTORE", "i", "2", "a", "b");
    expect(t.run("OBJECT", "ENCODING", "i")).toBe("listpack");
  });
});

describe("ZINTERCARD", () => {
  it("counts the intersection, stopping at LIMIT (0: no limit)", () => {
    const t = testEngine();
    t.run("ZADD", "a", "1", "x", "2", "y", "3", "z");
    t.run("ZADD", "b", "1", "y", "2", "z");
    t.run("SADD", "st", "z", "q");
    expect(t.run("ZINTERCARD", "2", "a", "b")).toBe(2);
    expect(t.run("ZINTERCARD", "2", "a", "b", "LIMIT", "1")).toBe(1);
    expect(t.run("ZINTERCARD", "2", "a", "b", "LIMIT", "0")).toBe(2);
    expect(t.run("ZINTERCARD", "2", "a", "st")).toBe(1);
    expect(t.run("ZINTERCARD", "2", "a", "nokey")).toBe(0);
  });

  it("answers Redis's errors", () => {
    const t = testEngine();
    t.run("ZADD", "a", "1", "x");
    t.run("SET", "s", "v");
    expect(t.run("ZINTERCARD", "0", "a")).toEqual({ error: "ERR at least 1 input key is needed for 'zintercard' command" });
    expect(t.run("ZINTERCARD", "x", "a")).toEqual(NOT_INTEGER);
    expect(t.run("ZINTERCARD", "2", "a")).toEqual(SYNTAX);
    expect(t.run("ZINTERCARD", "1", "a", "foo")).toEqual(SYNTAX);
    expect(t.run("ZINTERCARD", "1", "a", "LIMIT", "-1")).toEqual({ error: "ERR LIMIT can't be negative" });
    expect(t.run("ZINTERCARD", "1", "a", "LIMIT", "x")).toEqual({ error: "ERR LIMIT can't be negative" });
    expect(t.run("ZINTERCARD", "1", "a", "WEIGHTS", "1")).toEqual(SYNTAX);
    expect(t.run("ZINTERCARD", "2", "a", "s")).toEqual(WRONGTYPE);
  });
});

describe("ZSCAN", () => {
  it("answers a listpack-sized set whole, in order, with cursor 0", () => {
    const t = withZset();
    expect(t.run("ZSCAN", "z", "0", "COUNT", "1")).toEqual(["0", ["a", "1", "b", "2", "c", "3", "d", "4", "e", "5"]]);
    expect(t.run("ZSCAN", "z", "0", "MATCH", "[bd]")).toEqual(["0", ["b", "2", "d", "4"]]);
  });

  it("walks a big set by cursor, returning every member once", () => {
    const t = testEngine();
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(String(i / 2), `m${i}`);
    t.run("ZADD", "z", ...args);
    const seen = new Map<string, string>();
    let cursor = "0";
    let calls = 0;
    do {
      const [next, items] = t.run("ZSCAN", "z", cursor, "COUNT", "50") as [string, string[]];
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
      cursor = next;
      calls++;
    } while (cursor !== "0");
    expect(calls).toBeGreaterThan(1);
    expect(seen.size).toBe(300);
    expect(seen.get("m3")).toBe("1.5");
  });

  it("prints a listpack's scores as it stores them: integral scores within ±2^62 as integers", () => {
    const t = testEngine();
    const scores = ["123456789012345678", "4611686018427387904", "-4611686018427387904", "4611686018427388928", "-4611686018427388928",
      "9223372036854775807", "1e17", "1e19", "-0", "0.1", "inf", "-inf", "1e-5", "123.0"];
    t.run("ZADD", "z", ...scores.flatMap((s, i) => [s, `m${String(i).padStart(2, "0")}`]));
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("listpack");
    expect(t.run("ZSCAN", "z", "0")).toEqual(["0", [
      "m11", "-inf", "m04", "-4.6116860184273889e+18", "m02", "-4611686018427387904", "m08", "0",
      "m12", "1.0000000000000001e-05", "m09", "0.10000000000000001", "m13", "123", "m06", "100000000000000000",
      "m00", "123456789012345680", "m01", "4611686018427387904", "m03", "4.6116860184273889e+18",
      "m05", "9.2233720368547758e+18", "m07", "1e+19", "m10", "inf",
    ]]);
    expect(t.run("ZSCAN", "z", "0", "MATCH", "m0[01]")).toEqual(["0", ["m00", "123456789012345680", "m01", "4611686018427387904"]]);
    // Other replies parse the score back and print it with %.17g.
    expect(t.run("ZRANGE", "z", "-2", "-2", "WITHSCORES")).toEqual(["m07", "1e+19"]);
    expect(t.run("ZSCORE", "z", "m00")).toBe("1.2345678901234568e+17");
    expect(t.run("ZMSCORE", "z", "m00", "m01")).toEqual(["1.2345678901234568e+17", "4.6116860184273879e+18"]);
  });

  it("prints a skiplist's scores with %.17g, keeping -0", () => {
    const t = testEngine();
    t.run("ZADD", "z", "1", "x".repeat(100));
    t.run("ZADD", "z", "123456789012345678", "a", "4611686018427387904", "b", "-0", "c", "4503599627370496", "d", "1e16", "e");
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("skiplist");
    const [cursor, items] = t.run("ZSCAN", "z", "0", "MATCH", "?", "COUNT", "100") as [string, string[]];
    expect(cursor).toBe("0");
    const scores = Object.fromEntries(Array.from({ length: items.length / 2 }, (_, i) => [items[2 * i], items[2 * i + 1]]));
    expect(scores).toEqual({ a: "1.2345678901234568e+17", b: "4.6116860184273879e+18", c: "-0", d: "4503599627370496", e: "10000000000000000" });
  });

  it("answers Redis's errors, and an empty scan for a missing key before reading options", () => {
    const t = withZset();
    expect(t.run("ZSCAN", "z", "x")).toEqual({ error: "ERR invalid cursor" });
    expect(t.run("ZSCAN", "z", "0", "TYPE", "zset")).toEqual(SYNTAX);
    expect(t.run("ZSCAN", "z", "0", "COUNT", "0")).toEqual(SYNTAX);
    expect(t.run("ZSCAN", "nokey", "0", "foo")).toEqual(["0", []]);
    expect(t.run("ZSCAN", "s", "0")).toEqual(WRONGTYPE);
  });
});

describe("propagation", () => {
  it("replays to the same data after thousands of random writes", () => {
    const random = seededRandom(9);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const t = testEngine();
    const keys = ["{k}a", "{k}b", "{k}c"];
    const member = () => `m${Math.floor(random() * 200)}`;
    const score = () => pick(["0", "-0", "1", "2.5", "-3", "inf", "-inf", "0.1", "1e10"]);
    for (let i = 0; i < 3000; i++) {
      const k = pick(keys);
      switch (Math.floor(random() * 12)) {
        case 0: case 1: case 2:
          t.run("ZADD", k, ...pick([[], ["GT"], ["LT"], ["NX"], ["XX"], ["CH"]]), score(), member(), score(), member());
          break;
        case 3: t.run("ZINCRBY", k, score(), member()); break;
        case 4: t.run("ZREM", k, member(), member()); break;
        case 5: t.run("ZPOPMIN", k, String(Math.floor(random() * 3))); break;
        case 6: t.run("BZPOPMAX", k, pick(keys), "0"); break;
        case 7: t.run("ZMPOP", "2", k, pick(keys), pick(["MIN", "MAX"]), "COUNT", "2"); break;
        case 8: t.run("ZREMRANGEBYSCORE", k, pick(["-inf", "(0", "1"]), pick(["2", "+inf", "(2.5"])); break;
        case 9: t.run("ZUNIONSTORE", k, "2", pick(keys), pick(keys), "WEIGHTS", score(), score(), "AGGREGATE", pick(["SUM", "MIN", "MAX"])); break;
        case 10: t.run("ZRANGESTORE", k, pick(keys), "0", String(Math.floor(random() * 50))); break;
        default: t.run("ZREMRANGEBYRANK", k, "0", String(Math.floor(random() * 5))); break;
      }
    }
    const e = new Engine();
    for (const c of t.log) e.replay(c);
    const dump = (en: Engine) =>
      [...en.db.data.entries()].sort().map(([k, v]) => [k, (v as RedisZSet).entries().map(([m, s]) => [m, Object.is(s, -0) ? "-0" : s]), (v as RedisZSet).bigEncoding]);
    expect(dump(e)).toEqual(dump(t.engine));
    expect(t.engine.db.size).toBeGreaterThan(0);
  });
});
