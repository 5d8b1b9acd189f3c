import { describe, expect, it } from "vitest";
import { Engine } from "../engine.js";
import { seededRandom, testEngine } from "../testing.js";
import { RedisList } from "../types/index.js";
import { keyCost, stringCost } from "../types/memory.js";
import { valueMemory } from "../types/index.js";
import { parseTimeout } from "./args.js";
import { parseLposOptions } from "./lists.js";

const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const NOT_INT = { error: "ERR value is not an integer or out of range" };
const SYNTAX = { error: "ERR syntax error" };
const OK = { status: "OK" };
const RANK_ZERO = {
  error:
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
};
const TIMEOUT_NOT_FLOAT = { error: "ERR timeout is not a float or out of range" };
const TIMEOUT_NEGATIVE = { error: "ERR timeout is negative" };

/** An engine with a string at "s" and the list "l" = a b c d e; the log starts empty. */
function withList(...items: string[]) {
  const t = testEngine();
  t.run("SET", "s", "x");
  if (items.length > 0) t.run("RPUSH", "l", ...items);
  t.log.length = 0;
  return t;
}

const range = (t: ReturnType<typeof testEngine>, key = "l") => t.run("LRANGE", key, 0, -1);

/** Every key's contents, for comparing a dataset with its replay. */
function dump(engine: Engine): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of engine.db.data) out[k] = v instanceof RedisList ? [...v.values()] : v;
  return out;
}

/** Memory the keyspace should account for, recomputed from scratch. */
function recomputedMemory(engine: Engine): number {
  let sum = 0;
  for (const [k, v] of engine.db.data) sum += keyCost(k) + valueMemory(v);
  return sum + engine.db.expires.size * 24;
}

describe("RedisList", () => {
  /** What memoryUsage must be: a header, each element, each slot of the buffer. */
  const expectedMemory = (l: RedisList) => 64 + [...l.values()].reduce((n, v) => n + stringCost(v) + 8, 0) + l.capacity * 8;

  it("pushes and pops at both ends", () => {
    const l = new RedisList();
    l.pushBack("b");
    l.pushFront("a");
    l.pushBack("c");
    expect([...l.values()]).toEqual(["a", "b", "c"]);
    expect(l.popFront()).toBe("a");
    expect(l.popBack()).toBe("c");
    expect(l.popBack()).toBe("b");
    expect(l.popFront()).toBe(undefined);
    expect(l.popBack()).toBe(undefined);
    expect(l.length).toBe(0);
  });

  it("inserts and removes in the middle, moving whichever side is shorter", () => {
    const l = new RedisList();
    for (const v of "abcdefghij") l.pushBack(v);
    l.insertAt(1, "X");
    l.insertAt(9, "Y");
    l.insertAt(0, "<");
    l.insertAt(l.length, ">");
    expect([...l.values()].join("")).toBe("<aXbcdefghYij>");
    expect(l.removeAt(2)).toBe("X");
    expect(l.removeAt(9)).toBe("Y");
    expect(l.removeAt(0)).toBe("<");
    expect(l.removeAt(l.length - 1)).toBe(">");
    expect([...l.values()].join("")).toBe("abcdefghij");
    expect(() => l.insertAt(11, "z")).toThrow(RangeError);
    expect(() => l.removeAt(10)).toThrow(RangeError);
  });

  it("removes equal elements from the head or the tail, up to a limit", () => {
    const l = new RedisList();
    for (const v of "abacada") l.pushBack(v);
    expect(l.removeEqual("a", 2)).toBe(2);
    expect([...l.values()].join("")).toBe("bcada");
    expect(l.removeEqual("a", 1, true)).toBe(1);
    expect([...l.values()].join("")).toBe("bcad");
    expect(l.removeEqual("z", 0)).toBe(0);
    expect(l.removeEqual("a", 0, true)).toBe(1);
    expect([...l.values()].join("")).toBe("bcd");
  });

  it("trims to a range and slices one", () => {
    const l = new RedisList();
    for (const v of "abcdefgh") l.pushBack(v);
    expect(l.slice(2, 4)).toEqual(["c", "d", "e"]);
    l.trim(1, 5);
    expect([...l.values()].join("")).toBe("bcdef");
    l.trim(1, 0);
    expect(l.length).toBe(0);
  });

  it("matches an array model and keeps its memory figure exact through random operations", () => {
    const rnd = seededRandom(7);
    const l = new RedisList();
    const model: string[] = [];
    const word = () => "x".repeat(Math.floor(rnd() * 20)) + String(Math.floor(rnd() * 5));
    for (let step = 0; step < 20_000; step++) {
      const r = rnd();
      // Grow for the first half, shrink for the second, so the buffer both doubles and halves.
      const grow = step < 10_000 ? 0.6 : 0.3;
      if (r < grow / 2) {
        const v = word();
        l.pushBack(v);
        model.push(v);
      } else if (r < grow) {
        const v = word();
        l.pushFront(v);
        model.unshift(v);
      } else if (r < grow + 0.1) {
        expect(l.popFront()).toBe(model.shift());
      } else if (r < grow + 0.2) {
        expect(l.popBack()).toBe(model.pop());
      } else if (r < grow + 0.25) {
        const i = Math.floor(rnd() * (model.length + 1));
        const v = word();
        l.insertAt(i, v);
        model.splice(i, 0, v);
      } else if (r < grow + 0.3 && model.length > 0) {
        const i = Math.floor(rnd() * model.length);
        expect(l.removeAt(i)).toBe(model.splice(i, 1)[0]);
      } else if (r < grow + 0.32) {
        const v = word();
        const limit = Math.floor(rnd() * 3);
        const fromTail = rnd() < 0.5;
        let removed = 0;
        const order = fromTail ? [...model.keys()].reverse() : [...model.keys()];
        const drop = new Set<number>();
        for (const i of order) if (model[i] === v && (limit === 0 || removed < limit)) (drop.add(i), removed++);
        expect(l.removeEqual(v, limit, fromTail)).toBe(removed);
        model.splice(0, model.length, ...model.filter((_, i) => !drop.has(i)));
      } else if (model.length > 0) {
        const i = Math.floor(rnd() * model.length);
        const v = word();
        l.set(i, v);
        model[i] = v;
      }
      if (step % 97 === 0) {
        expect([...l.values()]).toEqual(model);
        expect(l.memoryUsage()).toBe(expectedMemory(l));
      }
      expect(l.length).toBe(model.length);
      if (model.length > 0) expect(l.at(model.length - 1)).toBe(model[model.length - 1]);
    }
    expect([...l.values()]).toEqual(model);
    expect(l.memoryUsage()).toBe(expectedMemory(l));
  });

  it("gives back buffer space once mostly empty", () => {
    const l = new RedisList();
    for (let i = 0; i < 1000; i++) l.pushBack(String(i));
    expect(l.capacity).toBe(1024);
    l.trim(0, 9);
    expect(l.capacity).toBe(32);
    while (l.length > 0) l.popFront();
    expect(l.capacity).toBe(8);
    expect(l.memoryUsage()).toBe(64 + 8 * 8);
  });

  it("indexes a large list directly", () => {
    const l = new RedisList();
    for (let i = 0; i < 100_000; i++) l.pushFront(String(i));
    expect(l.at(0)).toBe("99999");
    expect(l.at(50_000)).toBe("49999");
    expect(l.at(99_999)).toBe("0");
    expect(l.at(100_000)).toBe(undefined);
    expect(l.at(-1)).toBe(undefined);
  });
});

describe("LPUSH / RPUSH", () => {
  it("creates the list and returns its length, LPUSH putting each element at the head in turn", () => {
    const t = testEngine();
    expect(t.run("LPUSH", "l", "a", "b", "c")).toBe(3);
    expect(t.run("RPUSH", "l", "d", "e")).toBe(5);
    expect(range(t)).toEqual(["c", "b", "a", "d", "e"]);
    expect(t.log).toEqual([
      ["LPUSH", "l", "a", "b", "c"],
      ["RPUSH", "l", "d", "e"],
    ]);
  });

  it("refuses another type and needs at least one element", () => {
    const t = withList();
    expect(t.run("LPUSH", "s", "a")).toEqual(WRONGTYPE);
    expect(t.run("RPUSH", "s", "a")).toEqual(WRONGTYPE);
    expect(t.run("LPUSH", "l")).toEqual({ error: "ERR wrong number of arguments for 'lpush' command" });
    expect(t.log).toEqual([]);
  });

  it("is reported as a quicklist by OBJECT ENCODING, as Redis 7.0 does for any list", () => {
    const t = withList("a");
    expect(t.run("OBJECT", "ENCODING", "l")).toBe("quicklist");
    expect(t.run("TYPE", "l")).toEqual({ status: "list" });
  });

  it("charges the new list's memory to the keyspace", () => {
    const t = testEngine();
    t.run("RPUSH", "l", "a", "bb");
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
    expect(t.engine.db.usedMemory).toBe(keyCost("l") + 64 + stringCost("a") + 8 + stringCost("bb") + 8 + 8 * 8);
  });
});

describe("LPUSHX / RPUSHX", () => {
  it("pushes only onto an existing list", () => {
    const t = withList("a");
    expect(t.run("LPUSHX", "nokey", "a")).toBe(0);
    expect(t.run("EXISTS", "nokey")).toBe(0);
    expect(t.run("LPUSHX", "l", "b", "c")).toBe(3);
    expect(t.run("RPUSHX", "l", "d", "e")).toBe(5);
    expect(range(t)).toEqual(["c", "b", "a", "d", "e"]);
    expect(t.log).toEqual([
      ["LPUSHX", "l", "b", "c"],
      ["RPUSHX", "l", "d", "e"],
    ]);
  });

  it("refuses another type", () => {
    const t = withList();
    expect(t.run("LPUSHX", "s", "a")).toEqual(WRONGTYPE);
    expect(t.run("RPUSHX", "s", "a")).toEqual(WRONGTYPE);
  });
});

describe("LPOP / RPOP", () => {
  it("pops one element from either end and deletes the emptied list", () => {
    const t = withList("a", "b");
    expect(t.run("LPOP", "l")).toBe("a");
    expect(t.run("RPOP", "l")).toBe("b");
    expect(t.run("EXISTS", "l")).toBe(0);
    expect(t.run("LPOP", "l")).toBe(null);
    expect(t.log).toEqual([
      ["LPOP", "l"],
      ["RPOP", "l"],
    ]);
  });

  it("pops up to count elements as an array, and propagates the command as sent", () => {
    const t = withList("a", "b", "c", "d", "e");
    expect(t.run("LPOP", "l", 2)).toEqual(["a", "b"]);
    expect(t.run("RPOP", "l", 10)).toEqual(["e", "d", "c"]);
    expect(t.run("EXISTS", "l")).toBe(0);
    expect(t.log).toEqual([
      ["LPOP", "l", "2"],
      ["RPOP", "l", "10"],
    ]);
  });

  it("answers count 0 with an empty array on a list, and nil on a missing key", () => {
    const t = withList("a");
    expect(t.run("LPOP", "l", 0)).toEqual([]);
    expect(t.run("RPOP", "l", 0)).toEqual([]);
    expect(t.run("LPOP", "nokey", 0)).toBe(null);
    expect(t.run("LPOP", "nokey", 2)).toBe(null);
    expect(t.run("LLEN", "l")).toBe(1);
    expect(t.log).toEqual([]);
  });

  it("accepts a count up to LONG_MAX", () => {
    const t = withList("a");
    expect(t.run("LPOP", "l", "9223372036854775807")).toEqual(["a"]);
  });

  it("checks the count before the key", () => {
    const t = withList("a");
    const positive = { error: "ERR value is out of range, must be positive" };
    expect(t.run("LPOP", "l", -1)).toEqual(positive);
    expect(t.run("LPOP", "l", "x")).toEqual(positive);
    expect(t.run("RPOP", "l", "9223372036854775808")).toEqual(positive);
    expect(t.run("LPOP", "s", -1)).toEqual(positive);
    expect(t.run("LPOP", "nokey", "x")).toEqual(positive);
    expect(t.run("LPOP", "s", 0)).toEqual(WRONGTYPE);
    expect(t.run("RPOP", "s")).toEqual(WRONGTYPE);
  });

  it("takes at most one count", () => {
    const t = withList("a");
    expect(t.run("LPOP", "l", 1, 2)).toEqual({ error: "ERR wrong number of arguments for 'lpop' command" });
    expect(t.run("RPOP", "l", 1, 2)).toEqual({ error: "ERR wrong number of arguments for 'rpop' command" });
  });
});

describe("LLEN", () => {
  it("counts elements, 0 for a missing key", () => {
    const t = withList("a", "b");
    expect(t.run("LLEN", "l")).toBe(2);
    expect(t.run("LLEN", "nokey")).toBe(0);
    expect(t.run("LLEN", "s")).toEqual(WRONGTYPE);
  });
});

describe("LRANGE", () => {
  it("clamps indexes as Redis does, negative ones counting from the tail", () => {
    const t = withList("a", "b", "c", "d", "e");
    expect(t.run("LRANGE", "l", 0, -1)).toEqual(["a", "b", "c", "d", "e"]);
    expect(t.run("LRANGE", "l", 1, 2)).toEqual(["b", "c"]);
    expect(t.run("LRANGE", "l", -2, -1)).toEqual(["d", "e"]);
    expect(t.run("LRANGE", "l", -100, 100)).toEqual(["a", "b", "c", "d", "e"]);
    expect(t.run("LRANGE", "l", 5, 3)).toEqual([]);
    expect(t.run("LRANGE", "l", 3, 1)).toEqual([]);
    expect(t.run("LRANGE", "l", -1, -2)).toEqual([]);
    expect(t.run("LRANGE", "l", "9223372036854775807", "-9223372036854775808")).toEqual([]);
    expect(t.run("LRANGE", "nokey", 0, -1)).toEqual([]);
  });

  it("checks the indexes before the key's type", () => {
    const t = withList("a");
    expect(t.run("LRANGE", "l", "x", 1)).toEqual(NOT_INT);
    expect(t.run("LRANGE", "s", "x", "y")).toEqual(NOT_INT);
    expect(t.run("LRANGE", "s", 0, -1)).toEqual(WRONGTYPE);
  });
});

describe("LINDEX", () => {
  it("returns the element at an index, negative from the tail, nil outside the list", () => {
    const t = withList("a", "b", "c");
    expect(t.run("LINDEX", "l", 0)).toBe("a");
    expect(t.run("LINDEX", "l", -1)).toBe("c");
    expect(t.run("LINDEX", "l", 3)).toBe(null);
    expect(t.run("LINDEX", "l", -4)).toBe(null);
    expect(t.run("LINDEX", "nokey", 0)).toBe(null);
  });

  it("looks the key up before parsing the index", () => {
    const t = withList("a");
    expect(t.run("LINDEX", "l", "x")).toEqual(NOT_INT);
    expect(t.run("LINDEX", "nokey", "x")).toBe(null);
    expect(t.run("LINDEX", "s", "x")).toEqual(WRONGTYPE);
  });
});

describe("LSET", () => {
  it("replaces an element and keeps memory exact", () => {
    const t = withList("a", "b", "c");
    expect(t.run("LSET", "l", -1, "a much longer element")).toEqual(OK);
    expect(t.run("LSET", "l", 0, "z")).toEqual(OK);
    expect(range(t)).toEqual(["z", "b", "a much longer element"]);
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
    expect(t.log).toEqual([
      ["LSET", "l", "-1", "a much longer element"],
      ["LSET", "l", "0", "z"],
    ]);
  });

  it("answers Redis's errors for a missing key, an index outside the list and a bad index", () => {
    const t = withList("a");
    expect(t.run("LSET", "nokey", 0, "v")).toEqual({ error: "ERR no such key" });
    expect(t.run("LSET", "nokey", "x", "v")).toEqual({ error: "ERR no such key" });
    expect(t.run("LSET", "l", 1, "v")).toEqual({ error: "ERR index out of range" });
    expect(t.run("LSET", "l", -2, "v")).toEqual({ error: "ERR index out of range" });
    expect(t.run("LSET", "l", "x", "v")).toEqual(NOT_INT);
    expect(t.run("LSET", "s", 0, "v")).toEqual(WRONGTYPE);
    expect(t.log).toEqual([]);
  });
});

describe("LINSERT", () => {
  it("inserts before or after the first occurrence of the pivot", () => {
    const t = withList("a", "b", "c", "b", "a");
    expect(t.run("LINSERT", "l", "before", "b", "X")).toBe(6);
    expect(t.run("LINSERT", "l", "after", "b", "Y")).toBe(7);
    expect(t.run("LINSERT", "l", "AFTER", "a", "Z")).toBe(8);
    expect(range(t)).toEqual(["a", "Z", "X", "b", "Y", "c", "b", "a"]);
    expect(t.run("LINSERT", "l", "After", "a", "end")).toBe(9);
    expect(t.run("LINDEX", "l", 1)).toBe("end");
    expect(t.log[0]).toEqual(["LINSERT", "l", "before", "b", "X"]);
    expect(t.log).toHaveLength(4);
  });

  it("answers -1 without a pivot and 0 without a list, changing nothing", () => {
    const t = withList("a");
    expect(t.run("LINSERT", "l", "BEFORE", "nope", "v")).toBe(-1);
    expect(t.run("LINSERT", "nokey", "BEFORE", "a", "v")).toBe(0);
    expect(t.run("EXISTS", "nokey")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("checks BEFORE|AFTER before the key", () => {
    const t = withList("a");
    expect(t.run("LINSERT", "l", "middle", "a", "v")).toEqual(SYNTAX);
    expect(t.run("LINSERT", "nokey", "middle", "a", "v")).toEqual(SYNTAX);
    expect(t.run("LINSERT", "s", "middle", "a", "v")).toEqual(SYNTAX);
    expect(t.run("LINSERT", "s", "before", "a", "v")).toEqual(WRONGTYPE);
  });

  it("inserts in the middle of a large list", () => {
    const t = testEngine();
    const items = Array.from({ length: 5000 }, (_, i) => String(i));
    t.run("RPUSH", "l", ...items);
    expect(t.run("LINSERT", "l", "BEFORE", "2500", "mid")).toBe(5001);
    expect(t.run("LINDEX", "l", 2500)).toBe("mid");
    expect(t.run("LINDEX", "l", 2501)).toBe("2500");
    expect(t.run("LINDEX", "l", -1)).toBe("4999");
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
  });
});

describe("LREM", () => {
  it("removes count occurrences from the head, -count from the tail, 0 all", () => {
    const t = withList("a", "b", "a", "c", "a", "b", "a");
    expect(t.run("LREM", "l", 1, "a")).toBe(1);
    expect(range(t)).toEqual(["b", "a", "c", "a", "b", "a"]);
    expect(t.run("LREM", "l", -2, "a")).toBe(2);
    expect(range(t)).toEqual(["b", "a", "c", "b"]);
    expect(t.run("LREM", "l", 0, "b")).toBe(2);
    expect(range(t)).toEqual(["a", "c"]);
    expect(t.run("LREM", "l", 0, "nothing")).toBe(0);
    expect(t.log).toEqual([
      ["LREM", "l", "1", "a"],
      ["LREM", "l", "-2", "a"],
      ["LREM", "l", "0", "b"],
    ]);
  });

  it("deletes the list when the last element goes", () => {
    const t = withList("a", "a");
    expect(t.run("LREM", "l", 0, "a")).toBe(2);
    expect(t.run("EXISTS", "l")).toBe(0);
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
  });

  it("parses the count before looking at the key", () => {
    const t = withList("a");
    expect(t.run("LREM", "l", "x", "a")).toEqual(NOT_INT);
    expect(t.run("LREM", "nokey", "x", "a")).toEqual(NOT_INT);
    expect(t.run("LREM", "s", "x", "a")).toEqual(NOT_INT);
    expect(t.run("LREM", "s", 1, "a")).toEqual(WRONGTYPE);
    expect(t.run("LREM", "nokey", 1, "a")).toBe(0);
  });
});

describe("LTRIM", () => {
  it("keeps the range, clamped as LRANGE clamps it", () => {
    const t = withList("a", "b", "c", "d", "e");
    expect(t.run("LTRIM", "l", 1, -2)).toEqual(OK);
    expect(range(t)).toEqual(["b", "c", "d"]);
    expect(t.run("LTRIM", "l", -100, 100)).toEqual(OK);
    expect(t.run("LTRIM", "l", -2, -1)).toEqual(OK);
    expect(range(t)).toEqual(["c", "d"]);
  });

  it("propagates only a trim that removed something", () => {
    const t = withList("a", "b", "c", "d", "e");
    t.run("LTRIM", "l", 0, -1);
    t.run("LTRIM", "l", 1, -2);
    t.run("LTRIM", "nokey", 0, 1);
    expect(t.log).toEqual([["LTRIM", "l", "1", "-2"]]);
  });

  it("deletes the list when the range is empty", () => {
    for (const [start, stop] of [[2, 1], [5, 10], [-1, -100]]) {
      const t = withList("a", "b", "c");
      expect(t.run("LTRIM", "l", start, stop)).toEqual(OK);
      expect(t.run("EXISTS", "l")).toBe(0);
      expect(t.log).toEqual([["LTRIM", "l", String(start), String(stop)]]);
      expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
    }
  });

  it("parses the indexes before looking at the key", () => {
    const t = withList("a");
    expect(t.run("LTRIM", "l", "x", 1)).toEqual(NOT_INT);
    expect(t.run("LTRIM", "nokey", "x", 1)).toEqual(NOT_INT);
    expect(t.run("LTRIM", "s", "x", 1)).toEqual(NOT_INT);
    expect(t.run("LTRIM", "s", 0, 1)).toEqual(WRONGTYPE);
    expect(t.run("LTRIM", "nokey", 0, 1)).toEqual(OK);
  });
});

describe("LPOS", () => {
  const list = ["a", "b", "c", "1", "2", "3", "c", "c"];

  it("finds the first match, or the rank-th from the head or the tail", () => {
    const t = withList(...list);
    expect(t.run("LPOS", "l", "c")).toBe(2);
    expect(t.run("LPOS", "l", "c", "RANK", 2)).toBe(6);
    expect(t.run("LPOS", "l", "c", "rank", -1)).toBe(7);
    expect(t.run("LPOS", "l", "c", "RANK", -4)).toBe(null);
    expect(t.run("LPOS", "l", "c", "RANK", "9223372036854775807")).toBe(null);
    expect(t.run("LPOS", "l", "c", "RANK", "-9223372036854775808")).toBe(7);
    expect(t.run("LPOS", "l", "z")).toBe(null);
    expect(t.run("LPOS", "nokey", "c")).toBe(null);
  });

  it("RANK -9223372036854775808 with COUNT returns every match from the tail, as Redis's overflowing count test does", () => {
    const t = withList("a", "c", "b", "x", "y", "z", "b", "q", "b", "b");
    const min = "-9223372036854775808";
    expect(t.run("LPOS", "l", "b", "RANK", min)).toBe(9);
    expect(t.run("LPOS", "l", "b", "RANK", min, "COUNT", 1)).toEqual([9, 8, 6, 2]);
    expect(t.run("LPOS", "l", "b", "RANK", min, "COUNT", 2)).toEqual([9, 8, 6, 2]);
    expect(t.run("LPOS", "l", "b", "RANK", min, "COUNT", 0)).toEqual([9, 8, 6, 2]);
    expect(t.run("LPOS", "l", "b", "RANK", min, "MAXLEN", 4, "COUNT", 1)).toEqual([9, 8, 6]);
    expect(t.run("LPOS", "l", "b", "RANK", min, "MAXLEN", 4)).toBe(9);
    // One more is an ordinary rank, past every match.
    expect(t.run("LPOS", "l", "b", "RANK", "-9223372036854775807", "COUNT", 1)).toEqual([]);
    expect(t.run("LPOS", "l", "b", "RANK", "9223372036854775807", "COUNT", 0)).toEqual([]);
  });

  it("answers an array of up to COUNT matches (0: all) in scan order", () => {
    const t = withList(...list);
    expect(t.run("LPOS", "l", "c", "COUNT", 0)).toEqual([2, 6, 7]);
    expect(t.run("LPOS", "l", "c", "COUNT", 2)).toEqual([2, 6]);
    expect(t.run("LPOS", "l", "c", "COUNT", 2, "RANK", -1)).toEqual([7, 6]);
    expect(t.run("LPOS", "l", "c", "COUNT", 0, "RANK", 2)).toEqual([6, 7]);
    expect(t.run("LPOS", "l", "c", "COUNT", "9223372036854775807")).toEqual([2, 6, 7]);
    expect(t.run("LPOS", "l", "z", "COUNT", 0)).toEqual([]);
    expect(t.run("LPOS", "nokey", "c", "COUNT", 1)).toEqual([]);
  });

  it("compares at most MAXLEN elements (0: the whole list)", () => {
    const t = withList(...list);
    expect(t.run("LPOS", "l", "c", "MAXLEN", 3)).toBe(2);
    expect(t.run("LPOS", "l", "c", "MAXLEN", 2)).toBe(null);
    expect(t.run("LPOS", "l", "c", "MAXLEN", 4, "COUNT", 0)).toEqual([2]);
    expect(t.run("LPOS", "l", "c", "maxLen", 0, "COUNT", 0)).toEqual([2, 6, 7]);
    expect(t.run("LPOS", "l", "c", "RANK", -1, "MAXLEN", 2, "COUNT", 0)).toEqual([7, 6]);
  });

  it("lets a repeated option's last value win", () => {
    const t = withList(...list);
    expect(t.run("LPOS", "l", "c", "RANK", 1, "RANK", 2)).toBe(6);
    expect(t.run("LPOS", "l", "c", "COUNT", 1, "COUNT", 0)).toEqual([2, 6, 7]);
  });

  it("answers Redis's errors, checking each option as it is read and before the key", () => {
    const t = withList(...list);
    expect(t.run("LPOS", "l", "c", "RANK", 0)).toEqual(RANK_ZERO);
    expect(t.run("LPOS", "nokey", "c", "RANK", 0)).toEqual(RANK_ZERO);
    expect(t.run("LPOS", "s", "c", "RANK", 0)).toEqual(RANK_ZERO);
    expect(t.run("LPOS", "l", "c", "RANK", "x")).toEqual(NOT_INT);
    expect(t.run("LPOS", "l", "c", "RANK", "9223372036854775808")).toEqual(NOT_INT);
    expect(t.run("LPOS", "l", "c", "COUNT", -1)).toEqual({ error: "ERR COUNT can't be negative" });
    expect(t.run("LPOS", "l", "c", "COUNT", "x")).toEqual({ error: "ERR COUNT can't be negative" });
    expect(t.run("LPOS", "l", "c", "MAXLEN", -1)).toEqual({ error: "ERR MAXLEN can't be negative" });
    expect(t.run("LPOS", "l", "c", "MAXLEN", "9223372036854775808")).toEqual({ error: "ERR MAXLEN can't be negative" });
    expect(t.run("LPOS", "l", "c", "foo")).toEqual(SYNTAX);
    expect(t.run("LPOS", "l", "c", "RANK")).toEqual(SYNTAX);
    expect(t.run("LPOS", "l", "c", "RANK", 1, "COUNT")).toEqual(SYNTAX);
    expect(t.run("LPOS", "l", "c", "RANK", 0, "foo")).toEqual(RANK_ZERO);
    expect(t.run("LPOS", "l", "c", "foo", "RANK", 0)).toEqual(SYNTAX);
    expect(t.run("LPOS", "l", "c", "COUNT", -1, "RANK", 0)).toEqual({ error: "ERR COUNT can't be negative" });
    expect(t.run("LPOS", "nokey", "c", "foo")).toEqual(SYNTAX);
    expect(t.run("LPOS", "s", "c")).toEqual(WRONGTYPE);
    expect(t.run("LPOS", "s", "c", "COUNT", 1)).toEqual(WRONGTYPE);
  });

  it("parses options into rank, count and maxlen", () => {
    expect(parseLposOptions([])).toEqual({ rank: 1, maxlen: 0 });
    expect(parseLposOptions(["rank", "-2", "Count", "3", "MAXLEN", "10"])).toEqual({ rank: -2, count: 3, maxlen: 10 });
  });
});

describe("LMOVE / RPOPLPUSH", () => {
  it("moves an element between the given ends, creating the destination and deleting an emptied source", () => {
    const t = withList("1", "2", "3");
    expect(t.run("LMOVE", "l", "d", "left", "right")).toBe("1");
    expect(t.run("LMOVE", "l", "d", "RIGHT", "LEFT")).toBe("3");
    expect(t.run("LMOVE", "l", "d", "Left", "Left")).toBe("2");
    expect(range(t, "d")).toEqual(["2", "3", "1"]);
    expect(t.run("EXISTS", "l")).toBe(0);
    expect(t.run("LMOVE", "l", "d", "left", "right")).toBe(null);
    expect(t.log).toEqual([
      ["LMOVE", "l", "d", "left", "right"],
      ["LMOVE", "l", "d", "RIGHT", "LEFT"],
      ["LMOVE", "l", "d", "Left", "Left"],
    ]);
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
  });

  it("rotates a list onto itself", () => {
    const t = withList("1", "2", "3");
    expect(t.run("LMOVE", "l", "l", "left", "right")).toBe("1");
    expect(range(t)).toEqual(["2", "3", "1"]);
    expect(t.run("LMOVE", "l", "l", "right", "left")).toBe("1");
    expect(t.run("LMOVE", "l", "l", "left", "left")).toBe("1");
    expect(t.run("LMOVE", "l", "l", "right", "right")).toBe("3");
    expect(range(t)).toEqual(["1", "2", "3"]);
    expect(t.run("RPOPLPUSH", "l", "l")).toBe("3");
    expect(range(t)).toEqual(["3", "1", "2"]);
  });

  it("keeps a one-element list that moves onto itself", () => {
    const t = withList("v");
    expect(t.run("LMOVE", "l", "l", "left", "right")).toBe("v");
    expect(range(t)).toEqual(["v"]);
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
  });

  it("checks the directions first, and the destination's type only when the source has an element", () => {
    const t = withList("1");
    expect(t.run("LMOVE", "l", "d", "up", "right")).toEqual(SYNTAX);
    expect(t.run("LMOVE", "nokey", "d", "up", "right")).toEqual(SYNTAX);
    expect(t.run("LMOVE", "l", "d", "left", "down")).toEqual(SYNTAX);
    expect(t.run("LMOVE", "s", "d", "left", "right")).toEqual(WRONGTYPE);
    expect(t.run("LMOVE", "l", "s", "left", "right")).toEqual(WRONGTYPE);
    expect(t.run("RPOPLPUSH", "l", "s")).toEqual(WRONGTYPE);
    expect(t.run("RPOPLPUSH", "s", "d")).toEqual(WRONGTYPE);
    expect(t.run("LMOVE", "nokey", "s", "left", "right")).toBe(null);
    expect(t.run("RPOPLPUSH", "nokey", "s")).toBe(null);
    expect(range(t)).toEqual(["1"]);
    expect(t.log).toEqual([]);
  });

  it("RPOPLPUSH moves the tail to the destination's head", () => {
    const t = withList("1", "2", "3");
    t.run("RPUSH", "d", "x");
    expect(t.run("RPOPLPUSH", "l", "d")).toBe("3");
    expect(range(t, "d")).toEqual(["3", "x"]);
    expect(t.log).toEqual([["RPUSH", "d", "x"], ["RPOPLPUSH", "l", "d"]]);
  });
});

describe("LMPOP", () => {
  it("pops from the first non-empty list and propagates LPOP/RPOP with the number popped", () => {
    const t = withList("1", "2", "3");
    t.run("RPUSH", "b", "4", "5");
    t.log.length = 0;
    expect(t.run("LMPOP", 2, "nokey", "l", "left")).toEqual(["l", ["1"]]);
    expect(t.run("LMPOP", 2, "nokey", "l", "RIGHT", "count", 5)).toEqual(["l", ["3", "2"]]);
    expect(t.run("EXISTS", "l")).toBe(0);
    expect(t.run("LMPOP", 2, "l", "b", "LEFT", "COUNT", 1)).toEqual(["b", ["4"]]);
    expect(t.run("LMPOP", 2, "nokey", "nokey2", "left")).toBe(null);
    expect(t.log).toEqual([
      ["LPOP", "l", "1"],
      ["RPOP", "l", "2"],
      ["LPOP", "b", "1"],
    ]);
  });

  it("stops at a wrong-typed key only when no earlier list had elements", () => {
    const t = withList("1", "2");
    expect(t.run("LMPOP", 2, "l", "s", "left")).toEqual(["l", ["1"]]);
    expect(t.run("LMPOP", 2, "s", "l", "left")).toEqual(WRONGTYPE);
    expect(t.run("LMPOP", 2, "nokey", "s", "left")).toEqual(WRONGTYPE);
  });

  it("answers Redis's errors for numkeys, the direction and COUNT", () => {
    const t = withList("1");
    const numkeys = { error: "ERR numkeys should be greater than 0" };
    const count = { error: "ERR count should be greater than 0" };
    expect(t.run("LMPOP", 0, "l", "left")).toEqual(numkeys);
    expect(t.run("LMPOP", -1, "l", "left")).toEqual(numkeys);
    expect(t.run("LMPOP", "x", "l", "left")).toEqual(numkeys);
    expect(t.run("LMPOP", 3, "l", "b", "left")).toEqual(SYNTAX);
    expect(t.run("LMPOP", "9223372036854775807", "l", "left")).toEqual(SYNTAX);
    expect(t.run("LMPOP", 1, "l", "b", "left")).toEqual(SYNTAX);
    expect(t.run("LMPOP", 2, "l", "b", "middle")).toEqual(SYNTAX);
    expect(t.run("LMPOP", 1, "l", "left", "count", 0)).toEqual(count);
    expect(t.run("LMPOP", 1, "l", "left", "count", -1)).toEqual(count);
    expect(t.run("LMPOP", 1, "l", "left", "count", "x")).toEqual(count);
    expect(t.run("LMPOP", 1, "l", "left", "count", 1, "count", 1)).toEqual(SYNTAX);
    expect(t.run("LMPOP", 1, "l", "left", "foo")).toEqual(SYNTAX);
    expect(t.run("LMPOP", 1, "l", "left", "count")).toEqual(SYNTAX);
    expect(t.run("LMPOP", 1, "l")).toEqual({ error: "ERR wrong number of arguments for 'lmpop' command" });
    expect(t.log).toEqual([]);
  });

  it("accounts memory once when the same key is named twice", () => {
    const t = withList("1", "2", "3");
    expect(t.run("LMPOP", 2, "l", "l", "LEFT")).toEqual(["l", ["1"]]);
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
    expect(t.run("BLPOP", "l", "l", 0)).toEqual(["l", "2"]);
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
  });

  it("names its keys from numkeys, and none when numkeys is unusable", () => {
    const spec = t0().engine.lookup("lmpop")!;
    expect(spec.keys!(["LMPOP", "2", "a", "b", "LEFT"])).toEqual([2, 3]);
    expect(spec.keys!(["LMPOP", "3", "a", "b", "LEFT"])).toEqual([]);
    expect(spec.keys!(["LMPOP", "0", "a", "LEFT"])).toEqual([]);
    expect(spec.keys!(["LMPOP", "x", "a", "LEFT"])).toEqual([]);
    const blocking = t0().engine.lookup("blmpop")!;
    expect(blocking.keys!(["BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "3"])).toEqual([3, 4]);
  });
});

const t0 = () => testEngine();

describe("BLPOP / BRPOP", () => {
  it("pops from the first non-empty list at once and propagates LPOP/RPOP key", () => {
    const t = withList("1", "2", "3");
    expect(t.run("BLPOP", "nokey", "l", 0)).toEqual(["l", "1"]);
    expect(t.run("BRPOP", "nokey", "l", "0.5")).toEqual(["l", "3"]);
    expect(t.run("BLPOP", "l", 1)).toEqual(["l", "2"]);
    expect(t.run("EXISTS", "l")).toBe(0);
    expect(t.log).toEqual([["LPOP", "l"], ["RPOP", "l"], ["LPOP", "l"]]);
  });

  it("answers nil at once instead of blocking, propagating nothing", () => {
    const t = withList();
    expect(t.run("BLPOP", "nokey", 0)).toBe(null);
    expect(t.run("BRPOP", "nokey", "nokey2", 5)).toBe(null);
    expect(t.log).toEqual([]);
  });

  it("validates the timeout before the keys", () => {
    const t = withList("1");
    expect(t.run("BLPOP", "l", "x")).toEqual(TIMEOUT_NOT_FLOAT);
    expect(t.run("BLPOP", "s", "x")).toEqual(TIMEOUT_NOT_FLOAT);
    expect(t.run("BLPOP", "l", -1)).toEqual(TIMEOUT_NEGATIVE);
    expect(t.run("BRPOP", "s", "-0.5")).toEqual(TIMEOUT_NEGATIVE);
    expect(t.run("BLPOP", "l", "inf")).toEqual(TIMEOUT_NEGATIVE);
    expect(t.run("BLPOP", "nokey", "s", 0)).toEqual(WRONGTYPE);
    expect(t.run("BLPOP", "l")).toEqual({ error: "ERR wrong number of arguments for 'blpop' command" });
    expect(t.log).toEqual([]);
  });

  it("does not look past the first list with elements", () => {
    const t = withList("1");
    expect(t.run("BLPOP", "l", "s", 0)).toEqual(["l", "1"]);
    expect(t.run("BLPOP", "s", "l", 0)).toEqual(WRONGTYPE);
  });
});

describe("BLMOVE / BRPOPLPUSH", () => {
  it("moves at once and propagates LMOVE with the directions as sent, and RPOPLPUSH", () => {
    const t = withList("1", "2", "3");
    expect(t.run("BLMOVE", "l", "d", "LEFT", "Right", 0)).toBe("1");
    expect(t.run("BRPOPLPUSH", "l", "d", "0.1")).toBe("3");
    expect(t.run("BRPOPLPUSH", "d", "d", 0)).toBe("1");
    expect(range(t, "d")).toEqual(["1", "3"]);
    expect(t.log).toEqual([
      ["LMOVE", "l", "d", "LEFT", "Right"],
      ["RPOPLPUSH", "l", "d"],
      ["RPOPLPUSH", "d", "d"],
    ]);
  });

  it("answers nil at once when the source is missing", () => {
    const t = withList();
    expect(t.run("BLMOVE", "nokey", "d", "left", "right", "0.01")).toBe(null);
    expect(t.run("BRPOPLPUSH", "nokey", "d", 0)).toBe(null);
    expect(t.log).toEqual([]);
  });

  it("checks the directions, then the timeout, then the types", () => {
    const t = withList("1");
    expect(t.run("BLMOVE", "l", "d", "up", "right", "x")).toEqual(SYNTAX);
    expect(t.run("BLMOVE", "l", "d", "left", "right", "x")).toEqual(TIMEOUT_NOT_FLOAT);
    expect(t.run("BLMOVE", "l", "d", "left", "right", -1)).toEqual(TIMEOUT_NEGATIVE);
    expect(t.run("BLMOVE", "s", "d", "left", "right", 0)).toEqual(WRONGTYPE);
    expect(t.run("BLMOVE", "l", "s", "left", "right", 0)).toEqual(WRONGTYPE);
    expect(t.run("BRPOPLPUSH", "l", "d", -1)).toEqual(TIMEOUT_NEGATIVE);
    expect(t.run("BRPOPLPUSH", "s", "d", 0)).toEqual(WRONGTYPE);
    expect(t.log).toEqual([]);
  });
});

describe("BLMPOP", () => {
  it("pops at once and propagates LPOP/RPOP key count", () => {
    const t = withList("1", "2", "3");
    expect(t.run("BLMPOP", 0, 2, "nokey", "l", "left", "COUNT", 2)).toEqual(["l", ["1", "2"]]);
    expect(t.run("BLMPOP", "0.5", 1, "l", "Right")).toEqual(["l", ["3"]]);
    expect(t.run("BLMPOP", 0, 1, "l", "right")).toBe(null);
    expect(t.log).toEqual([
      ["LPOP", "l", "2"],
      ["RPOP", "l", "1"],
    ]);
  });

  it("checks numkeys, then the direction and COUNT, then the timeout, then the types", () => {
    const t = withList("1");
    expect(t.run("BLMPOP", -1, 0, "l", "up")).toEqual({ error: "ERR numkeys should be greater than 0" });
    expect(t.run("BLMPOP", 0, 0, "l", "right")).toEqual({ error: "ERR numkeys should be greater than 0" });
    expect(t.run("BLMPOP", "x", 1, "l", "up")).toEqual(SYNTAX);
    expect(t.run("BLMPOP", "x", 1, "l", "left", "count", 0)).toEqual({ error: "ERR count should be greater than 0" });
    expect(t.run("BLMPOP", "x", 1, "l", "left", "count", 1, "foo")).toEqual(SYNTAX);
    expect(t.run("BLMPOP", 0, 3, "l", "left")).toEqual(SYNTAX);
    expect(t.run("BLMPOP", "x", 1, "l", "right")).toEqual(TIMEOUT_NOT_FLOAT);
    expect(t.run("BLMPOP", -1, 1, "l", "right")).toEqual(TIMEOUT_NEGATIVE);
    expect(t.run("BLMPOP", "0.01", 2, "nokey", "s", "left")).toEqual(WRONGTYPE);
    expect(t.run("BLMPOP", 0, 1, "l")).toEqual({ error: "ERR wrong number of arguments for 'blmpop' command" });
    expect(t.log).toEqual([]);
  });
});

describe("parseTimeout", () => {
  it("reads seconds as strtold does and returns whole milliseconds", () => {
    expect(parseTimeout("0")).toBe(0);
    expect(parseTimeout("-0")).toBe(0);
    expect(parseTimeout("1.5")).toBe(1500);
    expect(parseTimeout("1.")).toBe(1000);
    expect(parseTimeout(".5")).toBe(500);
    expect(parseTimeout("+1")).toBe(1000);
    expect(parseTimeout("1e-3")).toBe(1);
    expect(parseTimeout("0.0009")).toBe(0);
    expect(parseTimeout("-0.0009")).toBe(0);
    expect(parseTimeout("1e-400")).toBe(0);
    expect(parseTimeout("-1e-400")).toBe(0);
    expect(parseTimeout("0x10")).toBe(16_000);
    expect(parseTimeout("0x1p3")).toBe(8000);
    expect(parseTimeout("0x.8")).toBe(500);
    expect(parseTimeout("9.2e15")).toBe(9.2e18);
  });

  it("refuses what is not a float within long double range", () => {
    for (const s of ["", "x", " 1", "1 ", "nan", "nan(1)", "0x", "1e", ".", "e5", "1e5000", "1e-5000", "0x1p20000", "1".padEnd(5120, "0")]) {
      expect(() => parseTimeout(s), s).toThrow("ERR timeout is not a float or out of range");
    }
  });

  it("calls a timeout negative when it is, or when its milliseconds overflow int64", () => {
    for (const s of ["-1", "-0.5", "-0.001", "inf", "-inf", "Infinity", "1e400", "1.5e20", "9.3e15", "-0x1"]) {
      expect(() => parseTimeout(s), s).toThrow("ERR timeout is negative");
    }
  });
});

describe("propagation", () => {
  it("replays to the same lists, including rewritten blocking commands", () => {
    const t = testEngine();
    const script: (string | number)[][] = [
      ["RPUSH", "a", "1", "2", "3", "4", "5", "6", "7", "8"],
      ["LPUSH", "b", "x", "y"],
      ["LPOP", "a", 2],
      ["RPOP", "a", 0],
      ["LSET", "a", 1, "changed"],
      ["LINSERT", "a", "AFTER", "changed", "new"],
      ["LREM", "a", -1, "8"],
      ["LTRIM", "a", 0, 3],
      ["LMOVE", "a", "b", "RIGHT", "LEFT"],
      ["RPOPLPUSH", "b", "c"],
      ["LMPOP", 3, "nokey", "b", "a", "RIGHT", "COUNT", 10],
      ["BLPOP", "nokey", "a", 0],
      ["BRPOP", "a", 1],
      ["BLMOVE", "c", "a", "LEFT", "RIGHT", 0],
      ["BRPOPLPUSH", "a", "c", 0],
      ["BLMPOP", 0, 2, "c", "a", "LEFT", "COUNT", 3],
      ["LPUSHX", "a", "p"],
      ["RPUSHX", "zzz", "p"],
    ];
    for (const argv of script) t.run(...argv);
    const replica = testEngine();
    for (const argv of t.log) expect(replica.engine.replay(argv)).not.toHaveProperty("error");
    expect(dump(replica.engine)).toEqual(dump(t.engine));
    expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
    expect(replica.engine.db.usedMemory).toBe(recomputedMemory(replica.engine));
  });

  it("propagates the DEL of an expired list before treating it as missing", () => {
    const t = withList("a");
    t.run("PEXPIRE", "l", 100);
    t.clock.advance(100);
    t.log.length = 0;
    expect(t.run("LPOP", "l")).toBe(null);
    expect(t.log).toEqual([["DEL", "l"]]);
  });

  it("accounts memory exactly through many mixed commands", () => {
    const t = testEngine();
    const rnd = seededRandom(3);
    const keys = ["a", "b", "c"];
    const pick = () => keys[Math.floor(rnd() * keys.length)];
    const word = () => "v".repeat(Math.floor(rnd() * 30)) + String(Math.floor(rnd() * 4));
    for (let i = 0; i < 3000; i++) {
      const r = Math.floor(rnd() * 10);
      if (r < 3) t.run(rnd() < 0.5 ? "LPUSH" : "RPUSH", pick(), word(), word());
      else if (r === 3) t.run("LPOP", pick(), Math.floor(rnd() * 3));
      else if (r === 4) t.run("LREM", pick(), Math.floor(rnd() * 5) - 2, word());
      else if (r === 5) t.run("LINSERT", pick(), rnd() < 0.5 ? "BEFORE" : "AFTER", word(), word());
      else if (r === 6) t.run("LTRIM", pick(), Math.floor(rnd() * 4), -Math.floor(rnd() * 4) - 1);
      else if (r === 7) t.run("LMOVE", pick(), pick(), rnd() < 0.5 ? "LEFT" : "RIGHT", rnd() < 0.5 ? "LEFT" : "RIGHT");
      else if (r === 8) t.run("LSET", pick(), Math.floor(rnd() * 6) - 3, word());
      else t.run("LMPOP", 2, pick(), pick(), "LEFT", "COUNT", 1 + Math.floor(rnd() * 3));
      expect(t.engine.db.usedMemory).toBe(recomputedMemory(t.engine));
    }
    const replica = testEngine();
    for (const argv of t.log) replica.engine.replay(argv);
    expect(dump(replica.engine)).toEqual(dump(t.engine));
  });
});
