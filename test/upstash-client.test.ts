// @upstash/redis, used as a newcomer would (default options: auto-pipelining, base64, read-your-writes),
// against the worker. The client calls the global fetch; here it is pointed at the worker under test.
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });

describe("@upstash/redis against durable-redis", () => {
  it("sets and gets strings, numbers and JSON", async () => {
    const r = redis();
    const k = uniq("k");
    expect(await r.set(k, "hello")).toBe("OK");
    expect(await r.get(k)).toBe("hello");
    await r.set(k, { a: 1, b: [1, 2] });
    expect(await r.get(k)).toEqual({ a: 1, b: [1, 2] });
    await r.set(k, 42);
    expect(await r.incr(k)).toBe(43);
    expect(await r.get(k)).toBe(43);
  });

  it("keeps UTF-8 text intact", async () => {
    const r = redis();
    const k = uniq("k");
    await r.set(k, "héllo wörld ✓ 😀");
    expect(await r.get(k)).toBe("héllo wörld ✓ 😀");
    expect(await r.strlen(k)).toBe(Buffer.byteLength("héllo wörld ✓ 😀"));
  });

  it("auto-pipelines concurrent commands and keeps their order", async () => {
    const r = redis();
    const k = uniq("k");
    const results = await Promise.all([r.set(k, 1), r.incr(k), r.incrby(k, 5), r.get(k), r.mget(k, uniq("missing"))]);
    expect(results).toEqual(["OK", 2, 7, 7, [7, null]]);
  });

  it("handles expiry options and TTLs", async () => {
    const r = redis();
    const k = uniq("k");
    expect(await r.set(k, "v", { ex: 100 })).toBe("OK");
    const ttl = await r.ttl(k);
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await r.persist(k)).toBe(1);
    expect(await r.ttl(k)).toBe(-1);
    expect(await r.expire(k, 50)).toBe(1);
    expect(await r.pttl(k)).toBeGreaterThan(45_000);
    expect(await r.set(k, "w", { nx: true })).toBe(null);
    expect(await r.set(k, "w", { xx: true, get: true })).toBe("v");
    expect(await r.ttl(k)).toBe(-1);
  });

  it("deletes, checks existence and renames keys", async () => {
    const r = redis();
    const a = uniq("{t}a");
    const b = uniq("{t}b");
    await r.mset({ [a]: "1", [b]: "2" });
    expect(await r.exists(a, b)).toBe(2);
    expect(await r.rename(a, `${a}:new`)).toBe("OK");
    expect(await r.type(`${a}:new`)).toBe("string");
    expect(await r.del(`${a}:new`, b)).toBe(2);
    expect(await r.exists(a, b)).toBe(0);
  });

  it("runs explicit pipelines and transactions", async () => {
    const r = redis();
    const k = uniq("k");
    const p = r.pipeline();
    p.set(k, 10);
    p.incrbyfloat(k, 0.5);
    p.getrange(k, 0, 1);
    expect(await p.exec()).toEqual(["OK", 10.5, 10]);
    const tx = r.multi();
    tx.incrbyfloat(k, 1);
    tx.get(k);
    expect(await tx.exec()).toEqual([11.5, 11.5]);
  });

  it("surfaces Redis errors as exceptions with Redis's text", async () => {
    const r = redis();
    const k = uniq("k");
    await r.set(k, "abc");
    await expect(r.incr(k)).rejects.toThrow("ERR value is not an integer or out of range");
  });

  it("scans keys with a cursor until it returns 0", async () => {
    const r = redis();
    const prefix = uniq("scan");
    for (let i = 0; i < 25; i++) await r.set(`${prefix}:${i}`, i);
    const seen = new Set<string>();
    let cursor: string | number = 0;
    do {
      const [next, keys]: [string | number, string[]] = await r.scan(cursor, { match: `${prefix}:*`, count: 7 });
      keys.forEach((k) => seen.add(k));
      cursor = next;
    } while (String(cursor) !== "0");
    expect(seen.size).toBe(25);
  });
});
