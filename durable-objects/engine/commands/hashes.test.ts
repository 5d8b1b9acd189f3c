// Hash commands against the engine: replies, errors and propagated commands as redis-server 7.0 gives them.
import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { type TestEngine, testEngine } from "../testing.js";

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const SYNTAX = { error: "ERR syntax error" };
const NOT_INTEGER = { error: "ERR value is not an integer or out of range" };
const OK = { status: "OK" };

/** A hash with fields a, b, c (values 1, 2, 3) and an empty log. */
function withHash(): TestEngine {
  const t = testEngine();
  t.run("HSET", "h", "a", "1", "b", "2", "c", "3");
  t.log.length = 0;
  return t;
}

/** Replays what `t` propagated into a fresh engine and returns HGETALL of `key` there. */
function replayed(t: TestEngine, key: string) {
  const e = new Engine();
  for (const c of t.log) e.replay(c);
  return e.execute(["HGETALL", key]);
}

const long = (n: number, c = "x") => c.repeat(n);

describe("HSET", () => {
  it("creates the hash and returns how many fields were new", () => {
    const t = testEngine();
    expect(t.run("HSET", "h", "a", "1", "b", "2")).toBe(2);
    expect(t.run("HSET", "h", "a", "10", "c", "3")).toBe(1);
    expect(t.run("HGETALL", "h")).toEqual(["a", "10", "b", "2", "c", "3"]);
    expect(t.run("TYPE", "h")).toEqual({ status: "hash" });
  });

  it("is propagated as sent even when no value changes, as Redis counts every pair", () => {
    const t = withHash();
    expect(t.run("HSET", "h", "a", "1")).toBe(0);
    expect(t.log).toEqual([["HSET", "h", "a", "1"]]);
  });

  it("takes the last value of a field named twice", () => {
    const t = testEngine();
    expect(t.run("HSET", "h", "a", "1", "a", "2")).toBe(1);
    expect(t.run("HGET", "h", "a")).toBe("2");
  });

  it("answers an odd number of field/value arguments with the arity error and creates nothing", () => {
    const t = testEngine();
    expect(t.run("HSET", "h", "a", "1", "b")).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
    expect(t.run("HSET", "h", "a")).toEqual({ error: "ERR wrong number of arguments for 'hset' command" });
    expect(t.run("EXISTS", "h")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HSET", "s", "a", "1")).toEqual(WRONGTYPE);
  });
});

describe("HMSET", () => {
  it("sets fields and replies OK", () => {
    const t = testEngine();
    expect(t.run("HMSET", "h", "a", "1", "b", "2")).toEqual(OK);
    expect(t.run("HMGET", "h", "a", "b")).toEqual(["1", "2"]);
    expect(t.log).toEqual([["HMSET", "h", "a", "1", "b", "2"]]);
  });

  it("names itself in the arity error for an odd pair", () => {
    const t = testEngine();
    expect(t.run("HMSET", "h", "a", "1", "b")).toEqual({ error: "ERR wrong number of arguments for 'hmset' command" });
  });
});

describe("HSETNX", () => {
  it("sets a new field only, propagating only when it did", () => {
    const t = testEngine();
    expect(t.run("HSETNX", "h", "a", "1")).toBe(1);
    expect(t.run("HSETNX", "h", "a", "2")).toBe(0);
    expect(t.run("HGET", "h", "a")).toBe("1");
    expect(t.log).toEqual([["HSETNX", "h", "a", "1"]]);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HSETNX", "s", "a", "1")).toEqual(WRONGTYPE);
  });
});

describe("HGET", () => {
  it("returns the value, or nil for a missing field or key", () => {
    const t = withHash();
    expect(t.run("HGET", "h", "b")).toBe("2");
    expect(t.run("HGET", "h", "zz")).toBe(null);
    expect(t.run("HGET", "nokey", "a")).toBe(null);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HGET", "s", "a")).toEqual(WRONGTYPE);
  });
});

describe("HMGET", () => {
  it("returns values in the order asked, nil where missing", () => {
    const t = withHash();
    expect(t.run("HMGET", "h", "c", "zz", "a", "c")).toEqual(["3", null, "1", "3"]);
    expect(t.run("HMGET", "nokey", "a", "b")).toEqual([null, null]);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HMGET", "s", "a")).toEqual(WRONGTYPE);
  });
});

describe("HGETALL, HKEYS and HVALS", () => {
  it("list fields in insertion order, as a listpack does; an update keeps a field's place", () => {
    const t = withHash();
    t.run("HSET", "h", "a", "9");
    t.run("HDEL", "h", "b");
    t.run("HSET", "h", "b", "4");
    expect(t.run("HGETALL", "h")).toEqual(["a", "9", "c", "3", "b", "4"]);
    expect(t.run("HKEYS", "h")).toEqual(["a", "c", "b"]);
    expect(t.run("HVALS", "h")).toEqual(["9", "3", "4"]);
  });

  it("return an empty array for a missing key", () => {
    const t = testEngine();
    expect(t.run("HGETALL", "nokey")).toEqual([]);
    expect(t.run("HKEYS", "nokey")).toEqual([]);
    expect(t.run("HVALS", "nokey")).toEqual([]);
  });

  it("refuse a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    for (const c of ["HGETALL", "HKEYS", "HVALS"]) expect(t.run(c, "s")).toEqual(WRONGTYPE);
  });
});

describe("HDEL", () => {
  it("counts the fields removed, once each", () => {
    const t = withHash();
    expect(t.run("HDEL", "h", "a", "a", "zz")).toBe(1);
    expect(t.run("HKEYS", "h")).toEqual(["b", "c"]);
    expect(t.log).toEqual([["HDEL", "h", "a", "a", "zz"]]);
  });

  it("deletes the key with its last field", () => {
    const t = withHash();
    expect(t.run("HDEL", "h", "a", "b", "c", "d")).toBe(3);
    expect(t.run("EXISTS", "h")).toBe(0);
    expect(t.engine.db.usedMemory).toBe(0);
  });

  it("propagates nothing when nothing was removed", () => {
    const t = withHash();
    expect(t.run("HDEL", "h", "zz")).toBe(0);
    expect(t.run("HDEL", "nokey", "a")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HDEL", "s", "a")).toEqual(WRONGTYPE);
  });
});

describe("HLEN", () => {
  it("counts fields, 0 for a missing key", () => {
    const t = withHash();
    expect(t.run("HLEN", "h")).toBe(3);
    expect(t.run("HLEN", "nokey")).toBe(0);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HLEN", "s")).toEqual(WRONGTYPE);
  });
});

describe("HEXISTS", () => {
  it("answers 1 for a field present and 0 otherwise", () => {
    const t = withHash();
    expect(t.run("HEXISTS", "h", "a")).toBe(1);
    expect(t.run("HEXISTS", "h", "zz")).toBe(0);
    expect(t.run("HEXISTS", "nokey", "a")).toBe(0);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HEXISTS", "s", "a")).toEqual(WRONGTYPE);
  });
});

describe("HSTRLEN", () => {
  it("gives the value's length in bytes, 0 when missing", () => {
    const t = testEngine();
    t.run("HSET", "h", "a", "hello", "n", "-12345", "u", "\xc3\xa9");
    expect(t.run("HSTRLEN", "h", "a")).toBe(5);
    expect(t.run("HSTRLEN", "h", "n")).toBe(6);
    expect(t.run("HSTRLEN", "h", "u")).toBe(2);
    expect(t.run("HSTRLEN", "h", "zz")).toBe(0);
    expect(t.run("HSTRLEN", "nokey", "a")).toBe(0);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HSTRLEN", "s", "a")).toEqual(WRONGTYPE);
  });
});

describe("HINCRBY", () => {
  it("adds to a field, starting from 0 for a missing field or key, and is propagated as sent", () => {
    const t = testEngine();
    expect(t.run("HINCRBY", "h", "n", "5")).toBe(5);
    expect(t.run("HINCRBY", "h", "n", "-7")).toBe(-2);
    expect(t.run("HINCRBY", "h", "m", "0")).toBe(0);
    expect(t.run("HGETALL", "h")).toEqual(["n", "-2", "m", "0"]);
    expect(t.log).toEqual([
      ["HINCRBY", "h", "n", "5"],
      ["HINCRBY", "h", "n", "-7"],
      ["HINCRBY", "h", "m", "0"],
    ]);
  });

  it("replies beyond 2^53 as an exact integer", () => {
    const t = testEngine();
    t.run("HSET", "h", "n", "9223372036854775806");
    expect(t.run("HINCRBY", "h", "n", "1")).toBe(9223372036854775807n);
  });

  it("refuses to overflow int64 either way, changing nothing", () => {
    const t = testEngine();
    t.run("HSET", "h", "big", "9223372036854775807", "small", "-9223372036854775808");
    t.log.length = 0;
    const overflow = { error: "ERR increment or decrement would overflow" };
    expect(t.run("HINCRBY", "h", "big", "1")).toEqual(overflow);
    expect(t.run("HINCRBY", "h", "small", "-1")).toEqual(overflow);
    expect(t.run("HGET", "h", "big")).toBe("9223372036854775807");
    expect(t.log).toEqual([]);
  });

  it("refuses a value that is not an integer", () => {
    const t = testEngine();
    t.run("HSET", "h", "f", "1.5", "s", " 1", "z", "01");
    const notHashInt = { error: "ERR hash value is not an integer" };
    expect(t.run("HINCRBY", "h", "f", "1")).toEqual(notHashInt);
    expect(t.run("HINCRBY", "h", "s", "1")).toEqual(notHashInt);
    expect(t.run("HINCRBY", "h", "z", "1")).toEqual(notHashInt);
  });

  it("refuses an increment that is not an integer before looking at the key", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HINCRBY", "s", "f", "x")).toEqual(NOT_INTEGER);
    expect(t.run("HINCRBY", "h", "f", "1.0")).toEqual(NOT_INTEGER);
    expect(t.run("HINCRBY", "h", "f", "9223372036854775808")).toEqual(NOT_INTEGER);
    expect(t.run("EXISTS", "h")).toBe(0);
    expect(t.run("HINCRBY", "s", "f", "1")).toEqual(WRONGTYPE);
  });
});

describe("HINCRBYFLOAT", () => {
  it("adds in long double precision and prints as Redis does", () => {
    const t = testEngine();
    t.run("HSET", "h", "a", "1", "fl", "10.50", "e", "1e2");
    expect(t.run("HINCRBYFLOAT", "h", "a", "1.5")).toBe("2.5");
    expect(t.run("HINCRBYFLOAT", "h", "a", "1e3")).toBe("1002.5");
    expect(t.run("HINCRBYFLOAT", "h", "fl", "0.1")).toBe("10.6");
    expect(t.run("HINCRBYFLOAT", "h", "fl", "-0.6")).toBe("10");
    expect(t.run("HINCRBYFLOAT", "h", "e", "1")).toBe("101");
    expect(t.run("HINCRBYFLOAT", "h", "new", "2.0e0")).toBe("2");
    expect(t.run("HINCRBYFLOAT", "h", "neg", "-5.5e-3")).toBe("-0.0055");
    expect(t.run("HINCRBYFLOAT", "h", "z", "-0")).toBe("0");
  });

  it("computes as an x87 long double would (1 + 1e100, as redis-server answers)", () => {
    const t = testEngine();
    t.run("HSET", "h", "a", "1");
    expect(t.run("HINCRBYFLOAT", "h", "a", "1e100")).toBe(
      "9999999999999999999669353532207342619498699019828496079271391541752018669482644324418977840117055488",
    );
  });

  it("is propagated as HSET of the new value", () => {
    const t = testEngine();
    t.run("HINCRBYFLOAT", "h", "a", "0.1");
    t.run("HINCRBYFLOAT", "h", "a", "0.2");
    expect(t.log).toEqual([
      ["HSET", "h", "a", "0.1"],
      ["HSET", "h", "a", "0.3"],
    ]);
    expect(replayed(t, "h")).toEqual(["a", "0.3"]);
  });

  it("checks the increment first: not a float, or infinite", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HINCRBYFLOAT", "s", "f", "x")).toEqual({ error: "ERR value is not a valid float" });
    expect(t.run("HINCRBYFLOAT", "h", "f", "nan")).toEqual({ error: "ERR value is not a valid float" });
    expect(t.run("HINCRBYFLOAT", "h", "f", "inf")).toEqual({ error: "ERR value is NaN or Infinity" });
    expect(t.run("HINCRBYFLOAT", "h", "f", "-inf")).toEqual({ error: "ERR value is NaN or Infinity" });
    expect(t.run("HINCRBYFLOAT", "s", "f", "1")).toEqual(WRONGTYPE);
    expect(t.log).toEqual([["SET", "s", "x"]]);
  });

  it("refuses a value that is not a float, and a result that is infinite", () => {
    const t = testEngine();
    t.run("HSET", "h", "s", "abc", "sp", " 1", "i", "inf");
    t.log.length = 0;
    expect(t.run("HINCRBYFLOAT", "h", "s", "1")).toEqual({ error: "ERR hash value is not a float" });
    expect(t.run("HINCRBYFLOAT", "h", "sp", "1")).toEqual({ error: "ERR hash value is not a float" });
    expect(t.run("HINCRBYFLOAT", "h", "i", "1")).toEqual({ error: "ERR increment would produce NaN or Infinity" });
    expect(t.log).toEqual([]);
  });
});

describe("HRANDFIELD", () => {
  it("without a count returns one field, or nil for a missing key", () => {
    const t = withHash();
    for (let i = 0; i < 20; i++) expect(["a", "b", "c"]).toContain(t.run("HRANDFIELD", "h"));
    expect(t.run("HRANDFIELD", "nokey")).toBe(null);
  });

  it("returns the whole hash in order when the count reaches its size", () => {
    const t = withHash();
    expect(t.run("HRANDFIELD", "h", "3")).toEqual(["a", "b", "c"]);
    expect(t.run("HRANDFIELD", "h", "5", "withvalues")).toEqual(["a", "1", "b", "2", "c", "3"]);
    expect(t.run("HRANDFIELD", "h", "9223372036854775807")).toEqual(["a", "b", "c"]);
  });

  it("returns distinct fields for a smaller positive count", () => {
    const t = testEngine();
    const fields = Array.from({ length: 50 }, (_, i) => `f${i}`);
    t.run("HSET", "h", ...fields.flatMap((f) => [f, `v${f}`]));
    for (const n of [1, 10, 20, 40, 49]) {
      const r = t.run("HRANDFIELD", "h", n) as string[];
      expect(r).toHaveLength(n);
      expect(new Set(r).size).toBe(n);
      for (const f of r) expect(fields).toContain(f);
    }
    const pairs = t.run("HRANDFIELD", "h", 5, "WITHVALUES") as string[];
    expect(pairs).toHaveLength(10);
    for (let i = 0; i < 10; i += 2) expect(pairs[i + 1]).toBe(`v${pairs[i]}`);
  });

  it("may repeat fields for a negative count and returns exactly that many", () => {
    const t = withHash();
    const r = t.run("HRANDFIELD", "h", "-20") as string[];
    expect(r).toHaveLength(20);
    expect(new Set(r).size).toBeLessThanOrEqual(3);
    const pairs = t.run("HRANDFIELD", "h", "-4", "WITHVALUES") as string[];
    expect(pairs).toHaveLength(8);
    const values: Record<string, string> = { a: "1", b: "2", c: "3" };
    for (let i = 0; i < 8; i += 2) expect(pairs[i + 1]).toBe(values[pairs[i]]);
  });

  it("returns an empty array for a zero count or a missing key", () => {
    const t = withHash();
    expect(t.run("HRANDFIELD", "h", "0")).toEqual([]);
    expect(t.run("HRANDFIELD", "nokey", "3")).toEqual([]);
    expect(t.run("HRANDFIELD", "nokey", "0", "WITHVALUES")).toEqual([]);
  });

  it("checks the count, then the option word, then the range WITHVALUES allows, before the key", () => {
    const t = withHash();
    t.run("SET", "s", "x");
    expect(t.run("HRANDFIELD", "h", "x")).toEqual(NOT_INTEGER);
    expect(t.run("HRANDFIELD", "h", "x", "foo")).toEqual(NOT_INTEGER);
    expect(t.run("HRANDFIELD", "h", "5", "foo")).toEqual(SYNTAX);
    expect(t.run("HRANDFIELD", "h", "5", "WITHVALUES", "x")).toEqual(SYNTAX);
    expect(t.run("HRANDFIELD", "nokey", "3", "foo")).toEqual(SYNTAX);
    expect(t.run("HRANDFIELD", "h", "-9223372036854775808")).toEqual({
      error: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
    });
    const range = { error: "ERR value is out of range" };
    expect(t.run("HRANDFIELD", "h", "-4611686018427387904", "withvalues")).toEqual(range);
    expect(t.run("HRANDFIELD", "h", "4611686018427387904", "withvalues")).toEqual(range);
    expect(t.run("HRANDFIELD", "h", "4611686018427387903", "withvalues")).toEqual(["a", "1", "b", "2", "c", "3"]);
    expect(t.run("HRANDFIELD", "s", "3")).toEqual(WRONGTYPE);
    expect(t.run("HRANDFIELD", "s")).toEqual(WRONGTYPE);
  });
});

describe("HSCAN", () => {
  it("returns a listpack hash whole, with cursor 0, whatever the cursor and COUNT", () => {
    const t = withHash();
    expect(t.run("HSCAN", "h", "0")).toEqual(["0", ["a", "1", "b", "2", "c", "3"]]);
    expect(t.run("HSCAN", "h", "0", "COUNT", "1")).toEqual(["0", ["a", "1", "b", "2", "c", "3"]]);
    expect(t.run("HSCAN", "h", "5")).toEqual(["0", ["a", "1", "b", "2", "c", "3"]]);
  });

  it("filters fields (not values) with MATCH", () => {
    const t = testEngine();
    t.run("HSET", "h", "apple", "x", "avocado", "apple", "banana", "y");
    expect(t.run("HSCAN", "h", "0", "MATCH", "a*")).toEqual(["0", ["apple", "x", "avocado", "apple"]]);
    expect(t.run("HSCAN", "h", "0", "match", "*an*", "count", "100")).toEqual(["0", ["banana", "y"]]);
    expect(t.run("HSCAN", "h", "0", "MATCH", "zz*")).toEqual(["0", []]);
  });

  it("walks a hashtable hash in steps, returning every field exactly once", () => {
    const t = testEngine();
    const fields = Array.from({ length: 300 }, (_, i) => `f${i}`);
    t.run("HSET", "h", ...fields.flatMap((f) => [f, f.toUpperCase()]));
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("hashtable");
    const seen = new Map<string, string>();
    let cursor = "0";
    let steps = 0;
    do {
      const [next, items] = t.run("HSCAN", "h", cursor, "COUNT", "25") as [string, string[]];
      expect(items.length).toBeLessThanOrEqual(50);
      for (let i = 0; i < items.length; i += 2) {
        expect(seen.has(items[i])).toBe(false);
        seen.set(items[i], items[i + 1]);
      }
      cursor = next;
      steps++;
    } while (cursor !== "0");
    expect(steps).toBeGreaterThan(10);
    expect([...seen.keys()].sort()).toEqual(fields.slice().sort());
    expect(seen.get("f7")).toBe("F7");
  });

  it("answers a missing key with an empty step, before looking at the options", () => {
    const t = testEngine();
    expect(t.run("HSCAN", "nokey", "0")).toEqual(["0", []]);
    expect(t.run("HSCAN", "nokey", "0", "foo")).toEqual(["0", []]);
  });

  it("refuses a bad cursor, COUNT 0, TYPE and NOVALUES (a 7.4 option)", () => {
    const t = withHash();
    expect(t.run("HSCAN", "nokey", "x")).toEqual({ error: "ERR invalid cursor" });
    expect(t.run("HSCAN", "h", "0", "COUNT", "0")).toEqual(SYNTAX);
    expect(t.run("HSCAN", "h", "0", "COUNT", "x")).toEqual(NOT_INTEGER);
    expect(t.run("HSCAN", "h", "0", "TYPE", "hash")).toEqual(SYNTAX);
    expect(t.run("HSCAN", "h", "0", "NOVALUES")).toEqual(SYNTAX);
    expect(t.run("HSCAN", "h", "0", "MATCH")).toEqual(SYNTAX);
  });

  it("refuses a key holding another type", () => {
    const t = testEngine();
    t.run("SET", "s", "x");
    expect(t.run("HSCAN", "s", "0")).toEqual(WRONGTYPE);
  });
});

describe("OBJECT ENCODING of a hash", () => {
  it("is listpack up to 128 fields and hashtable from 129", () => {
    const t = testEngine();
    for (let i = 0; i < 128; i++) t.run("HSET", "h", `f${i}`, "v");
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("listpack");
    t.run("HSET", "h", "f128", "v");
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("hashtable");
  });

  it("is listpack for fields and values up to 64 bytes and hashtable past that", () => {
    const t = testEngine();
    t.run("HSET", "h", long(64), long(64));
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("listpack");
    t.run("HSET", "v", "f", long(65));
    expect(t.run("OBJECT", "ENCODING", "v")).toBe("hashtable");
    t.run("HSETNX", "n", long(65), "1");
    expect(t.run("OBJECT", "ENCODING", "n")).toBe("hashtable");
  });

  it("turns hashtable when HINCRBYFLOAT writes a long value", () => {
    const t = testEngine();
    t.run("HSET", "h", "a", "1");
    t.run("HINCRBYFLOAT", "h", "a", "1e100");
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("hashtable");
    t.run("HSET", "i", "a", "1");
    t.run("HINCRBY", "i", "a", "1");
    expect(t.run("OBJECT", "ENCODING", "i")).toBe("listpack");
  });

  it("never turns back to listpack after shrinking", () => {
    const t = testEngine();
    for (let i = 0; i < 129; i++) t.run("HSET", "h", `f${i}`, "v");
    for (let i = 0; i < 128; i++) t.run("HDEL", "h", `f${i}`);
    expect(t.run("HLEN", "h")).toBe(1);
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("hashtable");
    t.run("HSET", "v", "f", long(65));
    t.run("HSET", "v", "f", "short");
    expect(t.run("OBJECT", "ENCODING", "v")).toBe("hashtable");
  });

  it("follows hash-max-listpack-entries and hash-max-listpack-value as configured", () => {
    const t = testEngine({ config: { "hash-max-listpack-entries": "2", "hash-max-listpack-value": "3" } });
    t.run("HSET", "h", "a", "1", "b", "2");
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("listpack");
    t.run("HSET", "h", "c", "3");
    expect(t.run("OBJECT", "ENCODING", "h")).toBe("hashtable");
    t.run("HSET", "v", "a", "1234");
    expect(t.run("OBJECT", "ENCODING", "v")).toBe("hashtable");
  });
});

describe("hash propagation", () => {
  it("replays to the same hash, fields in the same order", () => {
    const t = testEngine();
    t.run("HSET", "h", "a", "1", "b", "2", "c", "3");
    t.run("HMSET", "h", "d", "4");
    t.run("HSETNX", "h", "e", "5");
    t.run("HDEL", "h", "b");
    t.run("HINCRBY", "h", "a", "10");
    t.run("HINCRBYFLOAT", "h", "c", "0.25");
    t.run("HINCRBYFLOAT", "h", "f", "1.5e1");
    expect(replayed(t, "h")).toEqual(t.run("HGETALL", "h"));
    expect(t.run("HGETALL", "h")).toEqual(["a", "11", "c", "3.25", "d", "4", "e", "5", "f", "15"]);
  });

  it("keeps used memory in step with the hashes' contents", () => {
    const t = testEngine();
    t.run("HSET", "h", "a", "1", "b", long(100));
    const withTwo = t.engine.db.usedMemory;
    t.run("HSET", "h", "c", "3");
    expect(t.engine.db.usedMemory).toBeGreaterThan(withTwo);
    t.run("HDEL", "h", "c");
    expect(t.engine.db.usedMemory).toBe(withTwo);
    t.run("HDEL", "h", "a", "b");
    expect(t.engine.db.usedMemory).toBe(0);
  });
});
