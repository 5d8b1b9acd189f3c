// Set commands against the engine: replies, errors and propagated commands as redis-server 7.0 gives them.
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { type TestEngine, testEngine } from "../testing.js";

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const SYNTAX = { error: "ERR syntax error" };
const NOT_INTEGER = { error: "ERR value is not an integer or out of range" };
const MUST_BE_POSITIVE = { error: "ERR value is out of range, must be positive" };

/** An engine holding `key` with these members, and an empty log. */
function withSet(members: (string | number)[], key = "s"): TestEngine {
  const t = testEngine();
  t.run("SADD", key, ...members);
  t.log.length = 0;
  return t;
}

/** Replays what `t` propagated into a fresh engine. */
function replay(t: TestEngine): Engine {
  const e = new Engine();
  for (const c of t.log) e.replay(c);
  return e;
}

const sorted = (r: unknown) => (r as string[]).slice().sort();
const range = (from: number, to: number, prefix = "") =>
  Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);

describe("SADD", () => {
  it("adds new members and counts them", () => {
    const t = testEngine();
    expect(t.run("SADD", "s", "a", "b", "a")).toBe(2);
    expect(t.run("SADD", "s", "b", "c")).toBe(1);
    expect(t.run("SCARD", "s")).toBe(3);
    expect(t.run("TYPE", "s")).toEqual({ status: "set" });
  });

  it("propagates only when a member was added", () => {
    const t = testEngine();
    t.run("SADD", "s", "a");
    t.run("SADD", "s", "a");
    expect(t.log).toEqual([["SADD", "s", "a"]]);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "str", "x");
    expect(t.run("SADD", "str", "a")).toEqual(WRONGTYPE);
  });
});

describe("SREM", () => {
  it("removes members and counts those that were there", () => {
    const t = withSet(["a", "b", "c"]);
    expect(t.run("SREM", "s", "a", "a", "zz")).toBe(1);
    expect(sorted(t.run("SMEMBERS", "s"))).toEqual(["b", "c"]);
    expect(t.log).toEqual([["SREM", "s", "a", "a", "zz"]]);
  });

  it("deletes the key with its last member", () => {
    const t = withSet(["a", "b"]);
    expect(t.run("SREM", "s", "a", "b", "c")).toBe(2);
    expect(t.run("EXISTS", "s")).toBe(0);
    expect(t.engine.db.usedMemory).toBe(0);
  });

  it("propagates nothing when nothing was removed", () => {
    const t = withSet(["a"]);
    expect(t.run("SREM", "s", "zz")).toBe(0);
    expect(t.run("SREM", "nokey", "a")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "str", "x");
    expect(t.run("SREM", "str", "a")).toEqual(WRONGTYPE);
  });
});

describe("SMEMBERS", () => {
  it("lists an intset in ascending numeric order", () => {
    const t = withSet(["10", "-5", "3", "-100", "9223372036854775807", "-9223372036854775808"]);
    expect(t.run("SMEMBERS", "s")).toEqual(["-9223372036854775808", "-100", "-5", "3", "10", "9223372036854775807"]);
  });

  it("lists any other set's members (in insertion order here)", () => {
    const t = withSet(["b", "a", "c", "1"]);
    expect(t.run("SMEMBERS", "s")).toEqual(["b", "a", "c", "1"]);
  });

  it("returns an empty array for a missing key and refuses another type", () => {
    const t = testEngine();
    t.run("SET", "str", "x");
    expect(t.run("SMEMBERS", "nokey")).toEqual([]);
    expect(t.run("SMEMBERS", "str")).toEqual(WRONGTYPE);
  });
});

describe("SISMEMBER and SMISMEMBER", () => {
  it("answer 1 for members and 0 otherwise, in the order asked", () => {
    const t = withSet(["a", "b"]);
    expect(t.run("SISMEMBER", "s", "a")).toBe(1);
    expect(t.run("SISMEMBER", "s", "z")).toBe(0);
    expect(t.run("SISMEMBER", "nokey", "a")).toBe(0);
    expect(t.run("SMISMEMBER", "s", "b", "z", "a")).toEqual([1, 0, 1]);
    expect(t.run("SMISMEMBER", "nokey", "a", "b")).toEqual([0, 0]);
  });

  it("refuse a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "str", "x");
    expect(t.run("SISMEMBER", "str", "a")).toEqual(WRONGTYPE);
    expect(t.run("SMISMEMBER", "str", "a")).toEqual(WRONGTYPE);
  });
});

describe("SCARD", () => {
  it("counts members, 0 for a missing key, and refuses another type", () => {
    const t = withSet(["a", "b", "c"]);
    t.run("SET", "str", "x");
    expect(t.run("SCARD", "s")).toBe(3);
    expect(t.run("SCARD", "nokey")).toBe(0);
    expect(t.run("SCARD", "str")).toEqual(WRONGTYPE);
  });
});

describe("SPOP", () => {
  it("without a count removes one random member, propagated as SREM of it", () => {
    const t = withSet(["a", "b", "c"]);
    const m = t.run("SPOP", "s") as string;
    expect(["a", "b", "c"]).toContain(m);
    expect(t.run("SISMEMBER", "s", m)).toBe(0);
    expect(t.run("SCARD", "s")).toBe(2);
    expect(t.log).toEqual([["SREM", "s", m]]);
  });

  it("without a count deletes the key with its last member, still propagated as SREM", () => {
    const t = withSet(["only"]);
    expect(t.run("SPOP", "s")).toBe("only");
    expect(t.run("EXISTS", "s")).toBe(0);
    expect(t.log).toEqual([["SREM", "s", "only"]]);
  });

  it("answers nil for a missing key, and an empty array with a count", () => {
    const t = testEngine();
    expect(t.run("SPOP", "nokey")).toBe(null);
    expect(t.run("SPOP", "nokey", "2")).toEqual([]);
    expect(t.log).toEqual([]);
  });

  it("with a count of 0 pops nothing", () => {
    const t = withSet(["a"]);
    expect(t.run("SPOP", "s", "0")).toEqual([]);
    expect(t.run("SCARD", "s")).toBe(1);
    expect(t.log).toEqual([]);
  });

  it("pops distinct members, propagated as one SREM of exactly those", () => {
    const t = withSet(range(1, 100, "m"));
    const popped = t.run("SPOP", "s", "10") as string[];
    expect(popped).toHaveLength(10);
    expect(new Set(popped).size).toBe(10);
    expect(t.run("SCARD", "s")).toBe(90);
    for (const m of popped) expect(t.run("SISMEMBER", "s", m)).toBe(0);
    expect(t.log).toEqual([["SREM", "s", ...popped]]);
  });

  it("keeps a few in a new set when most are popped, handing over the rest", () => {
    const t = withSet(range(1, 100, "m"));
    t.run("EXPIRE", "s", "100");
    t.log.length = 0;
    const popped = t.run("SPOP", "s", "90") as string[];
    expect(new Set(popped).size).toBe(90);
    const left = t.run("SMEMBERS", "s") as string[];
    expect(left).toHaveLength(10);
    expect(sorted([...popped, ...left])).toEqual(range(1, 100, "m").sort());
    expect(t.run("TTL", "s")).toBe(100);
    expect(t.log).toEqual([["SREM", "s", ...popped]]);
  });

  it("pops the whole set (in order, for an intset) when the count reaches its size, propagated as DEL", () => {
    const t = withSet([5, 3, 1, 4, 2]);
    expect(t.run("SPOP", "s", "9223372036854775807")).toEqual(["1", "2", "3", "4", "5"]);
    expect(t.run("EXISTS", "s")).toBe(0);
    expect(t.log).toEqual([["DEL", "s"]]);
  });

  it("turns a hashtable of integers back into an intset when it rebuilds the rest, as Redis 7.0 does", () => {
    const t = withSet(range(1, 1000));
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("hashtable");
    t.run("SPOP", "s", "900");
    expect(t.run("SCARD", "s")).toBe(100);
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("intset");
    const big = withSet(range(1, 1000));
    big.run("SPOP", "s", "100");
    expect(big.run("OBJECT", "ENCODING", "s")).toBe("hashtable");
  });

  it("checks the count before the key: a positive integer, and nothing after it", () => {
    const t = withSet(["a"]);
    t.run("SET", "str", "x");
    expect(t.run("SPOP", "s", "-1")).toEqual(MUST_BE_POSITIVE);
    expect(t.run("SPOP", "s", "x")).toEqual(MUST_BE_POSITIVE);
    expect(t.run("SPOP", "nokey", "x")).toEqual(MUST_BE_POSITIVE);
    expect(t.run("SPOP", "str", "-1")).toEqual(MUST_BE_POSITIVE);
    expect(t.run("SPOP", "s", "1", "2")).toEqual(SYNTAX);
    expect(t.run("SPOP", "s", "x", "2")).toEqual(SYNTAX);
    expect(t.run("SPOP", "str")).toEqual(WRONGTYPE);
    expect(t.run("SPOP", "str", "1")).toEqual(WRONGTYPE);
  });

  it("replays to the same set", () => {
    const t = withSet(range(1, 200, "m"));
    t.log.length = 0;
    const e = new Engine();
    e.replay(["SADD", "s", ...range(1, 200, "m")]);
    t.run("SPOP", "s");
    t.run("SPOP", "s", "20");
    t.run("SPOP", "s", "150");
    for (const c of t.log) e.replay(c);
    expect(sorted(e.execute(["SMEMBERS", "s"]))).toEqual(sorted(t.run("SMEMBERS", "s")));
    t.run("SPOP", "s", "1000");
    for (const c of t.log.slice(-1)) e.replay(c);
    expect(e.execute(["EXISTS", "s"])).toBe(0);
  });
});

describe("SRANDMEMBER", () => {
  it("without a count returns a member without removing it, or nil for a missing key", () => {
    const t = withSet(["a", "b", "c"]);
    for (let i = 0; i < 20; i++) expect(["a", "b", "c"]).toContain(t.run("SRANDMEMBER", "s"));
    expect(t.run("SCARD", "s")).toBe(3);
    expect(t.run("SRANDMEMBER", "nokey")).toBe(null);
    expect(t.log).toEqual([]);
  });

  it("returns the whole set (in order, for an intset) when the count reaches its size", () => {
    const t = withSet([3, 1, 2]);
    expect(t.run("SRANDMEMBER", "s", "10")).toEqual(["1", "2", "3"]);
    expect(t.run("SRANDMEMBER", "s", "3")).toEqual(["1", "2", "3"]);
  });

  it("returns distinct members for a smaller positive count, from a small or large share of the set", () => {
    const t = withSet(range(1, 300, "m"));
    for (const n of [1, 5, 50, 99, 100, 150, 299]) {
      const r = t.run("SRANDMEMBER", "s", n) as string[];
      expect(r).toHaveLength(n);
      expect(new Set(r).size).toBe(n);
      for (const m of r) expect(t.run("SISMEMBER", "s", m)).toBe(1);
    }
  });

  it("may repeat members for a negative count and returns exactly that many", () => {
    const t = withSet(["a", "b"]);
    const r = t.run("SRANDMEMBER", "s", "-50") as string[];
    expect(r).toHaveLength(50);
    expect(new Set(r)).toEqual(new Set(["a", "b"]));
  });

  it("returns an empty array for a zero count or a missing key", () => {
    const t = withSet(["a"]);
    expect(t.run("SRANDMEMBER", "s", "0")).toEqual([]);
    expect(t.run("SRANDMEMBER", "nokey", "5")).toEqual([]);
  });

  it("checks the count before the key", () => {
    const t = withSet(["a"]);
    t.run("SET", "str", "x");
    expect(t.run("SRANDMEMBER", "s", "x")).toEqual(NOT_INTEGER);
    expect(t.run("SRANDMEMBER", "nokey", "x")).toEqual(NOT_INTEGER);
    expect(t.run("SRANDMEMBER", "s", "-9223372036854775808")).toEqual({
      error: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    });
    expect(t.run("SRANDMEMBER", "s", "1", "2")).toEqual(SYNTAX);
    expect(t.run("SRANDMEMBER", "str")).toEqual(WRONGTYPE);
    expect(t.run("SRANDMEMBER", "str", "1")).toEqual(WRONGTYPE);
  });

  it("picks uniformly: every member of a big set turns up", () => {
    const t = withSet(range(1, 1000, "m"));
    for (let i = 0; i < 800; i++) t.run("SREM", "s", `m${i}`);
    const seen = new Set(t.run("SRANDMEMBER", "s", "-20000") as string[]);
    expect(seen).toEqual(new Set(range(800, 1000, "m")));
  });
});

describe("SMOVE", () => {
  it("moves a member, creating the destination and deleting an emptied source", () => {
    const t = withSet(["1", "2"], "a");
    expect(t.run("SMOVE", "a", "b", "1")).toBe(1);
    expect(t.run("SMOVE", "a", "b", "2")).toBe(1);
    expect(t.run("EXISTS", "a")).toBe(0);
    expect(t.run("SMEMBERS", "b")).toEqual(["1", "2"]);
    expect(t.log).toEqual([
      ["SMOVE", "a", "b", "1"],
      ["SMOVE", "a", "b", "2"],
    ]);
  });

  it("answers 1 when the member was already in the destination, and moves it out of the source", () => {
    const t = withSet(["x", "y"], "a");
    t.run("SADD", "b", "x");
    expect(t.run("SMOVE", "a", "b", "x")).toBe(1);
    expect(t.run("SMEMBERS", "a")).toEqual(["y"]);
    expect(t.run("SMEMBERS", "b")).toEqual(["x"]);
  });

  it("answers 0 and propagates nothing for a missing member or source", () => {
    const t = withSet(["x"], "a");
    expect(t.run("SMOVE", "a", "b", "zz")).toBe(0);
    expect(t.run("SMOVE", "nokey", "a", "x")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("is a no-op onto itself, answering whether the member is there", () => {
    const t = withSet(["x"], "a");
    expect(t.run("SMOVE", "a", "a", "x")).toBe(1);
    expect(t.run("SMOVE", "a", "a", "zz")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("refuses a source or an existing destination of another type, but not a missing source", () => {
    const t = withSet(["x"], "a");
    t.run("SET", "str", "v");
    expect(t.run("SMOVE", "a", "str", "x")).toEqual(WRONGTYPE);
    expect(t.run("SMOVE", "str", "a", "x")).toEqual(WRONGTYPE);
    expect(t.run("SMOVE", "nokey", "str", "x")).toBe(0);
    expect(t.run("SMEMBERS", "a")).toEqual(["x"]);
  });
});

describe("SINTER", () => {
  it("intersects, an intset's result in ascending order", () => {
    const t = withSet([10, -5, 3, -100, "9223372036854775807"]);
    t.run("SADD", "t", 3, 10, 99, -5);
    expect(t.run("SINTER", "s", "t")).toEqual(["-5", "3", "10"]);
    expect(t.run("SINTER", "s")).toEqual(["-100", "-5", "3", "10", "9223372036854775807"]);
  });

  it("intersects sets of strings", () => {
    const t = withSet(["a", "b", "c", "d"]);
    t.run("SADD", "t", "c", "a", "z");
    t.run("SADD", "u", "a", "c", "b");
    expect(sorted(t.run("SINTER", "s", "t", "u"))).toEqual(["a", "c"]);
  });

  it("is empty when any key is missing, but still refuses a key of another type", () => {
    const t = withSet(["a"]);
    t.run("SET", "str", "x");
    expect(t.run("SINTER", "s", "nokey")).toEqual([]);
    expect(t.run("SINTER", "s", "nokey", "str")).toEqual(WRONGTYPE);
    expect(t.run("SINTER", "str", "nokey")).toEqual(WRONGTYPE);
  });
});

describe("SINTERCARD", () => {
  it("counts the intersection, up to LIMIT (0: no limit; the last LIMIT wins)", () => {
    const t = withSet([1, 2, 3, 4]);
    t.run("SADD", "t", 2, 3, 4, 5);
    expect(t.run("SINTERCARD", "2", "s", "t")).toBe(3);
    expect(t.run("SINTERCARD", "2", "s", "t", "LIMIT", "2")).toBe(2);
    expect(t.run("SINTERCARD", "2", "s", "t", "limit", "0")).toBe(3);
    expect(t.run("SINTERCARD", "2", "s", "t", "LIMIT", "1", "LIMIT", "10")).toBe(3);
    expect(t.run("SINTERCARD", "1", "s")).toBe(4);
    expect(t.run("SINTERCARD", "2", "s", "nokey")).toBe(0);
  });

  it("checks numkeys, then the options, then the keys", () => {
    const t = withSet(["a"]);
    t.run("SET", "str", "x");
    const numkeys = { error: "ERR numkeys should be greater than 0" };
    expect(t.run("SINTERCARD", "0", "s")).toEqual(numkeys);
    expect(t.run("SINTERCARD", "-1", "s")).toEqual(numkeys);
    expect(t.run("SINTERCARD", "x", "s")).toEqual(numkeys);
    expect(t.run("SINTERCARD", "9223372036854775808", "s")).toEqual(numkeys);
    expect(t.run("SINTERCARD", "2", "s")).toEqual({ error: "ERR Number of keys can't be greater than number of args" });
    const limit = { error: "ERR LIMIT can't be negative" };
    expect(t.run("SINTERCARD", "1", "s", "LIMIT", "-1")).toEqual(limit);
    expect(t.run("SINTERCARD", "1", "s", "LIMIT", "x")).toEqual(limit);
    expect(t.run("SINTERCARD", "1", "s", "LIMIT")).toEqual(SYNTAX);
    expect(t.run("SINTERCARD", "1", "s", "foo", "1")).toEqual(SYNTAX);
    expect(t.run("SINTERCARD", "1", "nokey", "str")).toEqual(SYNTAX);
    expect(t.run("SINTERCARD", "2", "nokey", "str")).toEqual(WRONGTYPE);
  });

  it("names its keys by numkeys, and none when numkeys is unusable", () => {
    const spec = testEngine().engine.lookup("sintercard")!;
    expect(spec.keys!(["SINTERCARD", "2", "a", "b", "LIMIT", "1"])).toEqual([2, 3]);
    expect(spec.keys!(["SINTERCARD", "1", "a"])).toEqual([2]);
    expect(spec.keys!(["SINTERCARD", "3", "a", "b"])).toEqual([]);
    expect(spec.keys!(["SINTERCARD", "0", "a"])).toEqual([]);
    expect(spec.keys!(["SINTERCARD", "x", "a"])).toEqual([]);
  });
});

describe("SUNION and SDIFF", () => {
  it("unite sets, an all-integer result in ascending order", () => {
    const t = withSet([10, -5, 3]);
    t.run("SADD", "t", 3, 99);
    expect(t.run("SUNION", "s", "t", "nokey")).toEqual(["-5", "3", "10", "99"]);
    t.run("SADD", "w", "b", "a");
    expect(sorted(t.run("SUNION", "s", "w"))).toEqual(["-5", "10", "3", "a", "b"]);
    expect(t.run("SUNION", "nokey")).toEqual([]);
  });

  it("take the first set's members that are in none of the others", () => {
    const t = withSet([10, -5, 3, -100]);
    t.run("SADD", "t", 3, 10);
    t.run("SADD", "u", "-100", "x");
    expect(t.run("SDIFF", "s", "t")).toEqual(["-100", "-5"]);
    expect(t.run("SDIFF", "s", "t", "u", "nokey")).toEqual(["-5"]);
    expect(t.run("SDIFF", "nokey", "s")).toEqual([]);
    expect(t.run("SDIFF", "s")).toEqual(["-100", "-5", "3", "10"]);
  });

  it("refuse any key of another type, even after a missing first key", () => {
    const t = withSet(["a"]);
    t.run("SET", "str", "x");
    expect(t.run("SUNION", "s", "str")).toEqual(WRONGTYPE);
    expect(t.run("SDIFF", "s", "str")).toEqual(WRONGTYPE);
    expect(t.run("SDIFF", "nokey", "str")).toEqual(WRONGTYPE);
  });
});

describe("SINTERSTORE, SUNIONSTORE and SDIFFSTORE", () => {
  it("store the result, replacing the destination whatever it held and clearing its TTL", () => {
    const t = withSet([1, 2, 3], "a");
    t.run("SADD", "b", 2, 3, 4);
    t.run("SET", "d", "x", "EX", "100");
    expect(t.run("SINTERSTORE", "d", "a", "b")).toBe(2);
    expect(t.run("SMEMBERS", "d")).toEqual(["2", "3"]);
    expect(t.run("TTL", "d")).toBe(-1);
    expect(t.run("SUNIONSTORE", "d", "a", "b")).toBe(4);
    expect(t.run("SMEMBERS", "d")).toEqual(["1", "2", "3", "4"]);
    expect(t.run("SDIFFSTORE", "d", "a", "b")).toBe(1);
    expect(t.run("SMEMBERS", "d")).toEqual(["1"]);
  });

  it("may name a source as the destination", () => {
    const t = withSet([1, 2, 3], "a");
    t.run("SADD", "b", 4);
    expect(t.run("SUNIONSTORE", "a", "a", "b")).toBe(4);
    expect(t.run("SMEMBERS", "a")).toEqual(["1", "2", "3", "4"]);
  });

  it("delete the destination for an empty result, propagated only when it existed", () => {
    const t = withSet([1, 2, 3], "a");
    t.run("SADD", "b", 4);
    t.run("SET", "d", "x");
    t.log.length = 0;
    expect(t.run("SINTERSTORE", "d", "a", "b")).toBe(0);
    expect(t.run("EXISTS", "d")).toBe(0);
    expect(t.run("SINTERSTORE", "d", "a", "b")).toBe(0);
    t.run("SADD", "d", "1");
    expect(t.run("SDIFFSTORE", "d", "a", "a")).toBe(0);
    expect(t.run("SUNIONSTORE", "d", "nokey")).toBe(0);
    t.run("SADD", "d", "1");
    expect(t.run("SINTERSTORE", "d", "nokey", "a")).toBe(0);
    expect(t.run("EXISTS", "d")).toBe(0);
    expect(t.log).toEqual([
      ["SINTERSTORE", "d", "a", "b"],
      ["SADD", "d", "1"],
      ["SDIFFSTORE", "d", "a", "a"],
      ["SADD", "d", "1"],
      ["SINTERSTORE", "d", "nokey", "a"],
    ]);
  });

  it("are propagated as sent whenever they store, and replay to the same sets", () => {
    const t = withSet(["x", "y", "z"], "a");
    t.run("SADD", "b", "y", "w");
    t.run("SINTERSTORE", "i", "a", "b");
    t.run("SUNIONSTORE", "u", "a", "b");
    t.run("SDIFFSTORE", "d", "a", "b");
    expect(t.log.slice(1)).toEqual([
      ["SINTERSTORE", "i", "a", "b"],
      ["SUNIONSTORE", "u", "a", "b"],
      ["SDIFFSTORE", "d", "a", "b"],
    ]);
    const e = new Engine();
    e.replay(["SADD", "a", "x", "y", "z"]);
    for (const c of t.log) e.replay(c);
    for (const k of ["i", "u", "d"]) expect(sorted(e.execute(["SMEMBERS", k]))).toEqual(sorted(t.run("SMEMBERS", k)));
  });

  it("refuse a source of another type but overwrite a destination of another type", () => {
    const t = withSet(["a"], "a");
    t.run("SET", "str", "x");
    expect(t.run("SUNIONSTORE", "d", "a", "str")).toEqual(WRONGTYPE);
    expect(t.run("SINTERSTORE", "d", "str", "nokey")).toEqual(WRONGTYPE);
    expect(t.run("SUNIONSTORE", "str", "a")).toBe(1);
    expect(t.run("TYPE", "str")).toEqual({ status: "set" });
  });

  it("make an intset when every member is an integer, whatever the sources' encodings", () => {
    const t = withSet([1, 2, "x"], "a");
    t.run("SADD", "b", "x");
    t.run("SDIFFSTORE", "d", "a", "b");
    expect(t.run("OBJECT", "ENCODING", "a")).toBe("hashtable");
    expect(t.run("OBJECT", "ENCODING", "d")).toBe("intset");
  });
});

describe("SSCAN", () => {
  it("returns an intset whole, in order, with cursor 0, whatever the cursor and COUNT", () => {
    const t = withSet([5, 3, 10, 1]);
    expect(t.run("SSCAN", "s", "0", "COUNT", "1")).toEqual(["0", ["1", "3", "5", "10"]]);
    expect(t.run("SSCAN", "s", "5")).toEqual(["0", ["1", "3", "5", "10"]]);
    expect(t.run("SSCAN", "s", "0", "MATCH", "1*")).toEqual(["0", ["1", "10"]]);
  });

  it("walks a hashtable set in steps, returning every member exactly once", () => {
    const t = withSet(range(1, 300, "m"));
    const seen = new Set<string>();
    let cursor = "0";
    let steps = 0;
    do {
      const [next, items] = t.run("SSCAN", "s", cursor, "COUNT", "20") as [string, string[]];
      for (const m of items) {
        expect(seen.has(m)).toBe(false);
        seen.add(m);
      }
      cursor = next;
      steps++;
    } while (cursor !== "0");
    expect(steps).toBeGreaterThan(10);
    expect(seen).toEqual(new Set(range(1, 300, "m")));
  });

  it("returns members present for the whole scan even while others are added and removed", () => {
    const t = withSet(range(1, 600, "m"));
    const seen = new Set<string>();
    let cursor = "0";
    let i = 0;
    do {
      const [next, items] = t.run("SSCAN", "s", cursor, "COUNT", "50") as [string, string[]];
      for (const m of items) seen.add(m);
      // Remove members 1..300 as we go, add new ones.
      for (let k = 0; k < 30; k++) t.run("SREM", "s", `m${++i}`);
      t.run("SADD", "s", `new${i}`);
      cursor = next;
    } while (cursor !== "0");
    for (const m of range(301, 600, "m")) expect(seen.has(m)).toBe(true);
  });

  it("filters with MATCH and answers a missing key with an empty step", () => {
    const t = withSet(["apple", "avocado", "banana"]);
    expect(t.run("SSCAN", "s", "0", "MATCH", "a*")).toEqual(["0", ["apple", "avocado"]]);
    expect(t.run("SSCAN", "nokey", "0")).toEqual(["0", []]);
    expect(t.run("SSCAN", "nokey", "0", "foo")).toEqual(["0", []]);
  });

  it("refuses a bad cursor, bad options and a key of another type", () => {
    const t = withSet(["a"]);
    t.run("SET", "str", "x");
    expect(t.run("SSCAN", "s", "x")).toEqual({ error: "ERR invalid cursor" });
    expect(t.run("SSCAN", "s", "0", "COUNT", "0")).toEqual(SYNTAX);
    expect(t.run("SSCAN", "s", "0", "foo")).toEqual(SYNTAX);
    expect(t.run("SSCAN", "s", "0", "TYPE", "string")).toEqual(SYNTAX);
    expect(t.run("SSCAN", "str", "0")).toEqual(WRONGTYPE);
  });
});

describe("OBJECT ENCODING of a set", () => {
  it("is intset for up to 512 integers and hashtable from 513", () => {
    const t = withSet(range(1, 512));
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("intset");
    t.run("SADD", "s", "513");
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("hashtable");
  });

  it("is hashtable once a member is not a canonical int64", () => {
    for (const m of ["a", "-0", "01", "9223372036854775808", " 1", "1.0"]) {
      const t = withSet([1, 2]);
      t.run("SADD", "s", m);
      expect(t.run("OBJECT", "ENCODING", "s")).toBe("hashtable");
    }
    const t = withSet(["9223372036854775807", "-9223372036854775808"]);
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("intset");
  });

  it("never turns back to intset after shrinking or losing its non-integer member", () => {
    const t = withSet(range(1, 513));
    for (let i = 1; i <= 500; i++) t.run("SREM", "s", String(i));
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("hashtable");
    const u = withSet([1, "x"], "u");
    u.run("SREM", "u", "x");
    expect(u.run("OBJECT", "ENCODING", "u")).toBe("hashtable");
  });

  it("follows set-max-intset-entries as configured", () => {
    const t = testEngine({ config: { "set-max-intset-entries": "2" } });
    t.run("SADD", "s", 1, 2);
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("intset");
    t.run("SMOVE", "s", "m", 1);
    expect(t.run("OBJECT", "ENCODING", "m")).toBe("intset");
    t.run("SADD", "s", 3, 4);
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("hashtable");
  });
});

describe("set memory", () => {
  it("keeps used memory in step with the sets' contents", () => {
    const t = testEngine();
    t.run("SADD", "s", ...range(1, 100, "m"));
    const full = t.engine.db.usedMemory;
    t.run("SADD", "s", "extra");
    expect(t.engine.db.usedMemory).toBeGreaterThan(full);
    t.run("SREM", "s", "extra");
    expect(t.engine.db.usedMemory).toBe(full);
    t.run("SPOP", "s", "95");
    expect(t.engine.db.usedMemory).toBeLessThan(full);
    t.run("SMOVE", "s", "t", t.run("SRANDMEMBER", "s") as string);
    t.run("SUNIONSTORE", "u", "s", "t");
    t.run("DEL", "s", "t", "u");
    expect(t.engine.db.usedMemory).toBe(0);
  });
});
