// List commands through @upstash/redis against the worker (1 shard and 4 shards); multi-key
// commands use {tag} keys so they stay in one hash slot. Commands the client lacks go through cmd().
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });

describe("list commands through @upstash/redis", () => {
  it("pushes at both ends and reads ranges, JSON values included", async () => {
    const r = redis();
    const k = uniq("list");
    expect(await r.rpush(k, "b", "c")).toBe(2);
    expect(await r.lpush(k, "a", "z")).toBe(4);
    expect(await r.rpush<unknown>(k, { n: 1 }, 42)).toBe(6);
    expect(await r.lrange(k, 0, -1)).toEqual(["z", "a", "b", "c", { n: 1 }, 42]);
    expect(await r.lrange(k, -2, 100)).toEqual([{ n: 1 }, 42]);
    expect(await r.lrange(k, 3, 1)).toEqual([]);
    expect(await r.llen(k)).toBe(6);
    expect(await r.lindex(k, -1)).toBe(42);
    expect(await r.lindex(k, 99)).toBe(null);
    expect(await r.type(k)).toBe("list");
    expect((await cmd("OBJECT", "ENCODING", k)).body.result).toBe("quicklist");
  });

  it("pushes only onto existing lists with LPUSHX and RPUSHX", async () => {
    const r = redis();
    const k = uniq("list");
    expect(await r.lpushx(k, "a")).toBe(0);
    expect(await r.exists(k)).toBe(0);
    await r.rpush(k, "m");
    expect(await r.lpushx(k, "l")).toBe(2);
    expect(await r.rpushx(k, "r")).toBe(3);
    expect(await r.lrange(k, 0, -1)).toEqual(["l", "m", "r"]);
  });

  it("pops one or count elements, with Redis's nil and empty replies", async () => {
    const r = redis();
    const k = uniq("list");
    await r.rpush(k, "a", "b", "c", "d", "e");
    expect(await r.lpop(k)).toBe("a");
    expect(await r.lpop(k, 2)).toEqual(["b", "c"]);
    expect(await r.rpop(k, 0)).toEqual([]);
    expect(await r.rpop(k, 10)).toEqual(["e", "d"]);
    expect(await r.exists(k)).toBe(0);
    expect(await r.lpop(k)).toBe(null);
    expect(await r.lpop(k, 3)).toBe(null);
    await expect(r.lpop(k, -1)).rejects.toThrow("ERR value is out of range, must be positive");
  });

  it("sets, inserts, removes and trims", async () => {
    const r = redis();
    const k = uniq("list");
    await r.rpush(k, "a", "b", "c", "b", "a");
    expect(await r.lset(k, 0, "A")).toBe("OK");
    await expect(r.lset(k, 9, "x")).rejects.toThrow("ERR index out of range");
    await expect(r.lset(uniq("missing"), 0, "x")).rejects.toThrow("ERR no such key");
    expect(await r.linsert(k, "before", "b", "X")).toBe(6);
    expect(await r.linsert(k, "after", "nope", "X")).toBe(-1);
    expect(await r.lrem(k, -1, "b")).toBe(1);
    expect(await r.lrange(k, 0, -1)).toEqual(["A", "X", "b", "c", "a"]);
    expect(await r.ltrim(k, 1, -2)).toBe("OK");
    expect(await r.lrange(k, 0, -1)).toEqual(["X", "b", "c"]);
    expect(await r.lrem(k, 0, "X")).toBe(1);
    expect(await r.ltrim(k, 5, 10)).toBe("OK");
    expect(await r.exists(k)).toBe(0);
  });

  it("finds positions with LPOS and its RANK, COUNT and MAXLEN options", async () => {
    const r = redis();
    const k = uniq("list");
    await r.rpush(k, "a", "b", "c", "x", "y", "z", "c", "c");
    expect(await r.lpos(k, "c")).toBe(2);
    expect(await r.lpos(k, "c", { rank: 2 })).toBe(6);
    expect(await r.lpos(k, "c", { rank: -1 })).toBe(7);
    expect(await r.lpos(k, "c", { count: 0 })).toEqual([2, 6, 7]);
    expect(await r.lpos(k, "c", { rank: -1, count: 2 })).toEqual([7, 6]);
    expect(await r.lpos(k, "c", { count: 0, maxLen: 4 })).toEqual([2]);
    expect(await r.lpos(k, "nope")).toBe(null);
    await expect(r.lpos(k, "c", { rank: 0 })).rejects.toThrow(
      "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
    );
  });

  it("moves elements between lists in one hash slot with LMOVE and RPOPLPUSH", async () => {
    const r = redis();
    const src = uniq("{lists}src");
    const dst = uniq("{lists}dst");
    await r.rpush(src, "1a", "2b", "3c");
    expect(await r.lmove(src, dst, "left", "right")).toBe("1a");
    expect(await r.lmove(src, dst, "right", "left")).toBe("3c");
    expect(await r.lmove(src, src, "left", "right")).toBe("2b");
    expect(await r.lrange(dst, 0, -1)).toEqual(["3c", "1a"]);
    expect((await cmd("RPOPLPUSH", dst, src)).body).toEqual({ result: "1a" });
    expect(await r.lrange(src, 0, -1)).toEqual(["1a", "2b"]);
    expect(await r.lmove(uniq("{lists}missing"), dst, "left", "left")).toBe(null);
  });

  it("pops from the first non-empty of several lists with LMPOP", async () => {
    const r = redis();
    const a = uniq("{lists}a");
    const b = uniq("{lists}b");
    await r.rpush(b, "x", "y", "z");
    expect(await r.lmpop(2, [a, b], "LEFT")).toEqual([b, ["x"]]);
    expect(await r.lmpop(2, [a, b], "RIGHT", 5)).toEqual([b, ["z", "y"]]);
    expect(await r.lmpop(2, [a, b], "LEFT")).toBe(null);
  });

  it("answers blocking pops at once, with the element or nil", async () => {
    const r = redis();
    const a = uniq("{lists}a");
    const b = uniq("{lists}b");
    await r.rpush(b, "one", "two", "three");
    expect((await cmd("BLPOP", a, b, 0)).body).toEqual({ result: [b, "one"] });
    expect((await cmd("BRPOP", a, b, "0.5")).body).toEqual({ result: [b, "three"] });
    expect((await cmd("BLMOVE", b, a, "LEFT", "LEFT", 0)).body).toEqual({ result: "two" });
    expect((await cmd("BRPOPLPUSH", a, b, 0)).body).toEqual({ result: "two" });
    expect((await cmd("BLMPOP", 0, 2, a, b, "RIGHT", "COUNT", 2)).body).toEqual({ result: [b, ["two"]] });
    expect((await cmd("BLPOP", a, b, 0)).body).toEqual({ result: null });
    expect((await cmd("BLMOVE", a, b, "LEFT", "LEFT", 10)).body).toEqual({ result: null });
    expect((await cmd("BLMPOP", 1, 2, a, b, "LEFT")).body).toEqual({ result: null });
  });

  it("validates blocking timeouts as Redis does", async () => {
    const k = uniq("list");
    expect(await cmd("BLPOP", k, "soon")).toMatchObject({ status: 400, body: { error: "ERR timeout is not a float or out of range" } });
    expect(await cmd("BRPOP", k, -1)).toMatchObject({ status: 400, body: { error: "ERR timeout is negative" } });
  });

  it("refuses another type with WRONGTYPE", async () => {
    const r = redis();
    const k = uniq("str");
    await r.set(k, "v");
    await expect(r.lpush(k, "a")).rejects.toThrow("WRONGTYPE Operation against a key holding the wrong kind of value");
    await expect(r.lrange(k, 0, -1)).rejects.toThrow("WRONGTYPE");
  });
});
