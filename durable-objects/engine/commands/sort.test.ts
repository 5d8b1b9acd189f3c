import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";
import { RedisHash, RedisList, RedisSet, RedisZSet } from "../types/index.js";
import { sortKeyPatterns, sortWeight } from "./sort.js";

function withList(key: string, ...items: string[]) {
  const t = testEngine();
  const l = new RedisList();
  for (const i of items) l.pushBack(i);
  t.engine.db.set(key, l);
  return t;
}

describe("SORT", () => {
  it("sorts numerically by default, an empty string counting as 0", () => {
    const t = withList("l", "3", "1", "2", "10", "");
    expect(t.run("SORT", "l")).toEqual(["", "1", "2", "3", "10"]);
    expect(t.run("SORT", "l", "DESC", "LIMIT", "1", "2")).toEqual(["3", "2"]);
  });

  it("refuses elements that are not numbers unless ALPHA", () => {
    const t = withList("la", "b", "a", "c", "B");
    expect(t.run("SORT", "la")).toEqual({ error: "ERR One or more scores can't be converted into double" });
    expect(t.run("SORT", "la", "ALPHA")).toEqual(["B", "a", "b", "c"]);
    expect(t.run("SORT", "la", "alpha", "desc")).toEqual(["c", "b", "a", "B"]);
  });

  it("reads weights as strtod does: leading space, hex and inf pass; trailing space fails", () => {
    const t = withList("sp", " 5", "0x10", "inf", "-1e3");
    expect(t.run("SORT", "sp")).toEqual(["-1e3", " 5", "0x10", "inf"]);
    const u = withList("bad", "5 ");
    expect(u.run("SORT", "bad")).toEqual({ error: "ERR One or more scores can't be converted into double" });
    expect(sortWeight("nan")).toBe(null);
    expect(sortWeight("1e400")).toBe(null);
    // Underflow is ERANGE too, subnormal results included (redis-server 7.0.15: "can't be converted").
    expect(sortWeight("1e-400")).toBe(null);
    expect(sortWeight("1e-310")).toBe(null);
    expect(sortWeight("2.3e-308")).toBe(2.3e-308);
    expect(sortWeight("0x1.8p1")).toBe(3);
  });

  it("reads a weight only up to its first NUL byte, as strtod does on a C string", () => {
    const t = withList("l", "1\0zz", "2", "\0", "-1\0", "0.5", "1", "\0\0");
    expect(t.run("SORT", "l")).toEqual(["-1\0", "\0", "\0\0", "0.5", "1", "1\0zz", "2"]);
    const u = withList("l", "0x10\x001", " 3\0", "inf\0x", "-0\0");
    expect(u.run("SORT", "l")).toEqual(["-0\0", " 3\0", "0x10\x001", "inf\0x"]);
    for (const bad of [" \0", "1 \0", "nan\0", "x\x001"]) {
      expect(withList("l", bad).run("SORT", "l")).toEqual({ error: "ERR One or more scores can't be converted into double" });
    }
    expect(sortWeight("1\0zz")).toBe(1);
    expect(sortWeight("\0")).toBe(0);
  });

  it("BY weights are read up to their first NUL byte too", () => {
    const t = withList("n", "1", "2", "3", "4");
    t.run("MSET", "w_1", "5\0x", "w_2", "5", "w_3", "\0", "w_4", "4.5");
    expect(t.run("SORT", "n", "BY", "w_*")).toEqual(["3", "4", "1", "2"]);
  });

  it("ALPHA compares up to the first NUL byte when replying, keeping equal values in order, and whole values with STORE", () => {
    const t = withList("m", "a\0c", "a\0b", "a", "b\0", "b", "a\0a", "\0x", "");
    expect(t.run("SORT", "m", "ALPHA")).toEqual(["\0x", "", "a\0c", "a\0b", "a", "a\0a", "b\0", "b"]);
    expect(t.run("SORT", "m", "ALPHA", "DESC")).toEqual(["b\0", "b", "a\0c", "a\0b", "a", "a\0a", "\0x", ""]);
    expect(t.run("SORT", "m", "ALPHA", "LIMIT", "0", "3")).toEqual(["\0x", "", "a\0c"]);
    expect(t.run("SORT", "m", "ALPHA", "STORE", "d")).toBe(8);
    expect(t.run("LRANGE", "d", "0", "-1")).toEqual(["", "\0x", "a", "a\0a", "a\0b", "a\0c", "b", "b\0"]);
  });

  it("ALPHA BY values compare up to the first NUL byte when replying, and whole with STORE", () => {
    const t = withList("n", "1", "2", "3", "4");
    t.run("MSET", "w_1", "b\0x", "w_2", "b", "w_3", "\0", "w_4", "a\0z");
    expect(t.run("SORT", "n", "BY", "w_*", "ALPHA")).toEqual(["3", "4", "1", "2"]);
    expect(t.run("SORT", "n", "BY", "w_*", "ALPHA", "DESC")).toEqual(["1", "2", "4", "3"]);
    expect(t.run("SORT", "n", "BY", "w_*", "ALPHA", "STORE", "d")).toBe(4);
    expect(t.run("LRANGE", "d", "0", "-1")).toEqual(["3", "4", "2", "1"]);
  });

  it("breaks ties between equal scores bytewise", () => {
    const t = withList("l", "1.0", "1", "01");
    expect(t.run("SORT", "l")).toEqual(["01", "1", "1.0"]);
  });

  it("BY without a star keeps the list's order, reversed by DESC, with LIMIT", () => {
    const t = withList("la", "b", "a", "c", "B");
    expect(t.run("SORT", "la", "BY", "nosort")).toEqual(["b", "a", "c", "B"]);
    expect(t.run("SORT", "la", "BY", "nosort", "DESC", "LIMIT", "1", "2")).toEqual(["c", "a"]);
  });

  it("BY and GET patterns read strings and hash fields; # is the element; missing is nil", () => {
    const t = withList("la", "b", "a", "c", "B");
    t.run("MSET", "w_b", "3", "w_a", "1", "w_c", "2");
    const h = new RedisHash();
    h.set("f", "9");
    t.engine.db.set("h_a", h);
    expect(t.run("SORT", "la", "BY", "w_*", "GET", "#", "GET", "h_*->f", "GET", "w_*")).toEqual([
      "B", null, null, "a", "9", "1", "c", null, "2", "b", null, "3",
    ]);
    expect(t.run("SORT", "la", "BY", "w_*", "ALPHA")).toEqual(["B", "a", "c", "b"]);
    // Elements whose BY value is missing compare equal and keep their order.
    expect(t.run("SORT", "la", "BY", "h_*->f", "ALPHA")).toEqual(["b", "c", "B", "a"]);
    // A GET pattern without a star names nothing.
    expect(t.run("SORT", "la", "GET", "nostar", "ALPHA")).toEqual([null, null, null, null]);
  });

  it("STORE writes a list (missing GET values become empty strings) and propagates as sent", () => {
    const t = withList("la", "b", "a", "c", "B");
    const h = new RedisHash();
    h.set("f", "9");
    t.engine.db.set("h_a", h);
    expect(t.run("SORT", "la", "GET", "h_*->f", "ALPHA", "STORE", "dst")).toBe(4);
    expect([...(t.engine.db.get("dst") as RedisList).values()]).toEqual(["", "9", "", ""]);
    expect(t.log).toEqual([["SORT", "la", "GET", "h_*->f", "ALPHA", "STORE", "dst"]]);
  });

  it("STORE of an empty result deletes the destination", () => {
    const t = withList("l", "1");
    t.run("SET", "dst", "x");
    expect(t.run("SORT", "missing", "STORE", "dst")).toBe(0);
    expect(t.run("EXISTS", "dst")).toBe(0);
    expect(t.log).toEqual([["SET", "dst", "x"], ["SORT", "missing", "STORE", "dst"]]);
    expect(t.run("SORT", "missing", "STORE", "dst")).toBe(0);
    expect(t.log.length).toBe(2);
  });

  it("sorts a set stored with BY nosort, so the stored order is deterministic", () => {
    const t = testEngine();
    const s = new RedisSet();
    for (const m of ["c", "a", "b"]) s.add(m);
    t.engine.db.set("st", s);
    expect(t.run("SORT", "st", "BY", "nosort", "STORE", "d2")).toBe(3);
    expect([...(t.engine.db.get("d2") as RedisList).values()]).toEqual(["a", "b", "c"]);
  });

  it("sorts a sorted set's members and converts it to the skiplist encoding", () => {
    const t = testEngine();
    const z = new RedisZSet();
    z.add("b", 1);
    z.add("a", 2);
    t.engine.db.set("z", z);
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("listpack");
    expect(t.run("SORT", "z", "BY", "nosort")).toEqual(["b", "a"]);
    expect(t.run("SORT", "z", "BY", "nosort", "DESC")).toEqual(["a", "b"]);
    expect(t.run("SORT", "z", "ALPHA")).toEqual(["a", "b"]);
    expect(t.run("OBJECT", "ENCODING", "z")).toBe("skiplist");
  });

  it("answers errors as Redis does", () => {
    const t = withList("la", "a");
    t.run("SET", "s", "x");
    expect(t.run("SORT", "la", "foo")).toEqual({ error: "ERR syntax error" });
    expect(t.run("SORT", "la", "LIMIT", "a", "b")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(t.run("SORT", "la", "LIMIT", "1")).toEqual({ error: "ERR syntax error" });
    expect(t.run("SORT", "s")).toEqual({ error: "WRONGTYPE Operation against a key holding the wrong kind of value" });
    expect(t.run("SORT_RO", "la", "STORE", "x")).toEqual({ error: "ERR syntax error" });
    expect(t.run("SORT", "missing")).toEqual([]);
  });

  it("LIMIT clamps like Redis: negative start is 0, negative count is all, past the end is empty", () => {
    const t = withList("l", "1", "2", "3");
    expect(t.run("SORT", "l", "LIMIT", "-5", "2")).toEqual(["1", "2"]);
    expect(t.run("SORT", "l", "LIMIT", "1", "-1")).toEqual(["2", "3"]);
    expect(t.run("SORT", "l", "LIMIT", "5", "2")).toEqual([]);
    expect(t.run("SORT", "l", "LIMIT", "2", "100")).toEqual(["3"]);
  });

  it("names its keys: the sorted key and the STORE destination; patterns are listed for the router", () => {
    const t = testEngine();
    const spec = t.engine.lookup("sort")!;
    expect(spec.keys!(["SORT", "k", "BY", "w_*", "STORE", "d", "GET", "#"])).toEqual([1, 5]);
    expect(sortKeyPatterns(["SORT", "k", "BY", "w_*", "GET", "#", "GET", "x_*", "BY", "nosort"])).toEqual([
      { option: "BY", pattern: "w_*" },
      { option: "GET", pattern: "x_*" },
    ]);
  });
});
