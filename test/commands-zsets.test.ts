// Sorted set commands through @upstash/redis against the worker (1 shard and 4 shards: multi-key
// commands use {tag} keys so that their keys share a hash slot).
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });

describe("sorted set commands through @upstash/redis", () => {
  it("adds members with NX, XX, GT, LT, CH and INCR", async () => {
    const r = redis();
    const k = uniq("z");
    expect(await r.zadd(k, { score: 1, member: "a" }, { score: 2, member: "b" })).toBe(2);
    expect(await r.zadd(k, { nx: true }, { score: 10, member: "a" }, { score: 3, member: "c" })).toBe(1);
    expect(await r.zadd(k, { xx: true, ch: true }, { score: 5, member: "b" }, { score: 9, member: "d" })).toBe(1);
    expect(await r.zadd(k, { gt: true, ch: true }, { score: 0, member: "a" }, { score: 4, member: "c" })).toBe(1);
    expect(await r.zadd(k, { lt: true }, { score: 0, member: "a" })).toBe(0);
    expect(await r.zadd(k, { incr: true }, { score: 1.5, member: "a" })).toBe(1.5);
    expect(await r.zadd(k, { nx: true, incr: true }, { score: 1, member: "a" })).toBe(null);
    expect(await r.zrange(k, 0, -1, { withScores: true })).toEqual(["a", 1.5, "c", 4, "b", 5]);
    expect(await r.zcard(k)).toBe(3);
  });

  it("reports Redis's errors for incompatible ZADD flags and NaN results", async () => {
    const r = redis();
    const k = uniq("z");
    // The client's option types forbid these combinations, so they go as raw commands.
    expect((await cmd("ZADD", k, "NX", "XX", "1", "a")).body).toEqual({ error: "ERR XX and NX options at the same time are not compatible" });
    expect((await cmd("ZADD", k, "GT", "LT", "1", "a")).body).toEqual({ error: "ERR GT, LT, and/or NX options at the same time are not compatible" });
    await expect(r.zadd(k, { incr: true }, { score: 1, member: "a" }, { score: 2, member: "b" })).rejects.toThrow(
      "ERR INCR option supports a single increment-element pair",
    );
    expect(await r.exists(k)).toBe(0);
    await cmd("ZADD", k, "inf", "a");
    expect((await cmd("ZINCRBY", k, "-inf", "a")).body).toEqual({ error: "ERR resulting score is not a number (NaN)" });
  });

  it("reads ranges by rank, by score (REV, LIMIT) and by member", async () => {
    const r = redis();
    const k = uniq("z");
    await r.zadd(k, { score: 1, member: "a" }, { score: 2, member: "b" }, { score: 3, member: "c" }, { score: 4, member: "d" }, { score: 5, member: "e" });
    expect(await r.zrange(k, 1, 2)).toEqual(["b", "c"]);
    expect(await r.zrange(k, 0, 1, { rev: true })).toEqual(["e", "d"]);
    expect(await r.zrange(k, "(1", 4, { byScore: true })).toEqual(["b", "c", "d"]);
    expect(await r.zrange(k, "+inf", "-inf", { byScore: true, rev: true, offset: 1, count: 2, withScores: true })).toEqual(["d", 4, "c", 3]);
    expect(await r.zrange(k, "-inf", "+inf", { byScore: true, offset: 3, count: -1 })).toEqual(["d", "e"]);
    expect(await r.zrange(k, "[b", "(d", { byLex: true })).toEqual(["b", "c"]);
    expect(await r.zcount(k, "(1", "+inf")).toBe(4);
    expect(await r.zlexcount(k, "-", "+")).toBe(5);
    expect(await r.zrank(k, "c")).toBe(2);
    expect(await r.zrevrank(k, "c")).toBe(2);
    expect(await r.zrank(k, "nope")).toBe(null);
    expect(await r.zscore(k, "e")).toBe(5);
    expect(await r.zmscore(k, ["a", "nope"])).toEqual([1, null]);
  });

  it("answers Redis's error for LIMIT with a rank range", async () => {
    const r = redis();
    const k = uniq("z");
    await r.zadd(k, { score: 1, member: "a" });
    await expect(r.zrange(k, 0, -1, { offset: 0, count: 1 })).rejects.toThrow(
      "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
    );
  });

  it("increments scores with ZINCRBY", async () => {
    const r = redis();
    const k = uniq("z");
    expect(await r.zincrby(k, 5, "a")).toBe(5);
    expect(await r.zincrby(k, -1.25, "a")).toBe(3.75);
    expect(await r.zscore(k, "a")).toBe(3.75);
  });

  it("stores unions and intersections of {tag} keys with weights and aggregates", async () => {
    const r = redis();
    const tag = uniq("t");
    const [a, b, dst] = [`{${tag}}a`, `{${tag}}b`, `{${tag}}dst`];
    await r.zadd(a, { score: 1, member: "x" }, { score: 2, member: "y" });
    await r.zadd(b, { score: 10, member: "y" }, { score: 20, member: "z" });
    expect(await r.zunionstore(dst, 2, [a, b])).toBe(3);
    expect(await r.zrange(dst, 0, -1, { withScores: true })).toEqual(["x", 1, "y", 12, "z", 20]);
    expect(await r.zunionstore(dst, 2, [a, b], { weights: [2, 1], aggregate: "max" })).toBe(3);
    expect(await r.zrange(dst, 0, -1, { withScores: true })).toEqual(["x", 2, "y", 10, "z", 20]);
    expect(await r.zinterstore(dst, 2, [a, b], { aggregate: "min" })).toBe(1);
    expect(await r.zrange(dst, 0, -1, { withScores: true })).toEqual(["y", 2]);
    expect(await r.zunion(2, [a, b], { withScores: true })).toEqual(["x", 1, "y", 12, "z", 20]);
    expect(await r.zdiffstore(dst, 2, a, b)).toBe(1);
    expect(await r.zrange(dst, 0, -1)).toEqual(["x"]);
  });

  it("pops the lowest and highest members", async () => {
    const r = redis();
    const k = uniq("z");
    await r.zadd(k, { score: 1, member: "a" }, { score: 2, member: "b" }, { score: 3, member: "c" });
    expect(await r.zpopmin(k)).toEqual(["a", 1]);
    expect(await r.zpopmax(k, 5)).toEqual(["c", 3, "b", 2]);
    expect(await r.zpopmin(k)).toEqual([]);
    expect(await r.exists(k)).toBe(0);
  });

  it("removes members and ranges", async () => {
    const r = redis();
    const k = uniq("z");
    await r.zadd(k, { score: 1, member: "a" }, { score: 2, member: "b" }, { score: 3, member: "c" }, { score: 4, member: "d" });
    expect(await r.zrem(k, "a", "nope")).toBe(1);
    expect(await r.zremrangebyscore(k, "(2", 3)).toBe(1);
    expect(await r.zremrangebyrank(k, 0, 0)).toBe(1);
    expect(await r.zrange(k, 0, -1)).toEqual(["d"]);
    expect(await r.zremrangebylex(k, "-", "+")).toBe(1);
    expect(await r.exists(k)).toBe(0);
  });

  it("scans a sorted set", async () => {
    const r = redis();
    const k = uniq("z");
    await r.zadd(k, { score: 1, member: "a" }, { score: 2, member: "b" });
    expect(await r.zscan(k, 0)).toEqual(["0", ["a", 1, "b", 2]]);
  });

  it("answers the multi-key pops and blocking pops at once over REST", async () => {
    const tag = uniq("t");
    const [a, b] = [`{${tag}}a`, `{${tag}}b`];
    await cmd("ZADD", b, "1", "x", "2", "y");
    expect((await cmd("ZMPOP", "2", a, b, "MAX", "COUNT", "5")).body).toEqual({ result: [b, [["y", "2"], ["x", "1"]]] });
    expect((await cmd("BZPOPMIN", a, b, "0")).body).toEqual({ result: null });
    expect((await cmd("BZMPOP", "0", "2", a, b, "MIN")).body).toEqual({ result: null });
    await cmd("ZADD", a, "inf", "top");
    expect((await cmd("BZPOPMAX", a, b, "1")).body).toEqual({ result: [a, "top", "inf"] });
  });

  it("keeps UTF-8 members intact and orders them bytewise", async () => {
    const r = redis();
    const k = uniq("z");
    await r.zadd(k, { score: 0, member: "é" }, { score: 0, member: "z" }, { score: 0, member: "✓" });
    expect(await r.zrange(k, "-", "+", { byLex: true })).toEqual(["z", "é", "✓"]);
    expect(await r.zrange(k, "[é", "+", { byLex: true })).toEqual(["é", "✓"]);
  });
});
