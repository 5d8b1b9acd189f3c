// Hash commands through @upstash/redis against the worker (1 shard and 4 shards).
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });
/** OBJECT ENCODING, which the client has no method for. */
const encoding = async (key: string) => (await cmd("OBJECT", "ENCODING", key)).body.result;

describe("hash commands through @upstash/redis", () => {
  it("sets fields from an object and reads them back, JSON values included", async () => {
    const r = redis();
    const k = uniq("hash");
    expect(await r.hset(k, { name: "ada", age: 36, tags: ["a", "b"], meta: { ok: true } })).toBe(4);
    expect(await r.hget(k, "name")).toBe("ada");
    expect(await r.hget(k, "age")).toBe(36);
    expect(await r.hget(k, "missing")).toBe(null);
    expect(await r.hgetall(k)).toEqual({ name: "ada", age: 36, tags: ["a", "b"], meta: { ok: true } });
    expect(await r.hmget(k, "name", "nope", "age")).toEqual({ name: "ada", nope: null, age: 36 });
    expect(await r.hset(k, { age: 37 })).toBe(0);
    expect(await r.hkeys(k)).toEqual(["name", "age", "tags", "meta"]);
    expect(await r.hlen(k)).toBe(4);
    expect(await r.hexists(k, "tags")).toBe(1);
    expect(await r.hstrlen(k, "name")).toBe(3);
  });

  it("answers null for HGETALL and HMGET of a missing key", async () => {
    const r = redis();
    const k = uniq("hash");
    expect(await r.hgetall(k)).toBe(null);
    expect(await r.hmget(k, "a", "b")).toBe(null);
    expect(await r.hkeys(k)).toEqual([]);
    expect(await r.hvals(k)).toEqual([]);
  });

  it("sets a field only when new with HSETNX and sets several with HMSET", async () => {
    const r = redis();
    const k = uniq("hash");
    expect(await r.hsetnx(k, "a", "1")).toBe(1);
    expect(await r.hsetnx(k, "a", "2")).toBe(0);
    expect(await r.hmset(k, { b: "x", c: "y" })).toBe("OK");
    expect(await r.hvals(k)).toEqual([1, "x", "y"]);
  });

  it("deletes fields and the key with the last one", async () => {
    const r = redis();
    const k = uniq("hash");
    await r.hset(k, { a: 1, b: 2 });
    expect(await r.hdel(k, "a", "zz")).toBe(1);
    expect(await r.hdel(k, "b")).toBe(1);
    expect(await r.exists(k)).toBe(0);
  });

  it("increments integers and floats", async () => {
    const r = redis();
    const k = uniq("hash");
    expect(await r.hincrby(k, "n", 5)).toBe(5);
    expect(await r.hincrby(k, "n", -8)).toBe(-3);
    await r.hset(k, { f: "10.50" });
    expect(await r.hincrbyfloat(k, "f", 0.1)).toBe(10.6);
    expect(await r.hincrbyfloat(k, "f", -0.6)).toBe(10);
    expect(await r.hincrbyfloat(k, "g", 1.5e3)).toBe(1500);
    expect(await r.hget(k, "f")).toBe(10);
    await r.hset(k, { s: "abc" });
    await expect(r.hincrby(k, "s", 1)).rejects.toThrow("ERR hash value is not an integer");
    await expect(r.hincrbyfloat(k, "s", 1)).rejects.toThrow("ERR hash value is not a float");
    await r.hset(k, { big: "9223372036854775807" });
    await expect(r.hincrby(k, "big", 1)).rejects.toThrow("ERR increment or decrement would overflow");
  });

  it("picks random fields, with values when asked", async () => {
    const r = redis();
    const k = uniq("hash");
    await r.hset(k, { a: "x", b: "y", c: "z" });
    expect(["a", "b", "c"]).toContain(await r.hrandfield(k));
    expect(await r.hrandfield(k, 3)).toEqual(["a", "b", "c"]);
    expect(await r.hrandfield(k, 5, true)).toEqual({ a: "x", b: "y", c: "z" });
    const two = (await r.hrandfield(k, 2)) as string[];
    expect(new Set(two).size).toBe(2);
    expect((await r.hrandfield(k, -6)) as string[]).toHaveLength(6);
  });

  it("scans a hash with MATCH and COUNT until the cursor is 0", async () => {
    const r = redis();
    const k = uniq("hash");
    const fields: Record<string, string> = {};
    for (let i = 0; i < 200; i++) fields[`f${i}`] = `v${i}`;
    await r.hset(k, fields);
    const seen: Record<string, unknown> = {};
    let cursor: string | number = 0;
    do {
      const [next, items]: [string, (string | number)[]] = await r.hscan(k, cursor, { match: "f1*", count: 30 });
      for (let i = 0; i < items.length; i += 2) seen[String(items[i])] = items[i + 1];
      cursor = next;
    } while (String(cursor) !== "0");
    const expected = Object.keys(fields).filter((f) => f.startsWith("f1"));
    expect(Object.keys(seen).sort()).toEqual(expected.sort());
    expect(seen.f10).toBe("v10");
  });

  it("reports the encoding: listpack while small, hashtable after, and never back", async () => {
    const r = redis();
    const k = uniq("hash");
    await r.hset(k, { a: "1" });
    expect(await encoding(k)).toBe("listpack");
    await r.hset(k, { long: "x".repeat(65) });
    expect(await encoding(k)).toBe("hashtable");
    await r.hdel(k, "long");
    expect(await encoding(k)).toBe("hashtable");
  });

  it("refuses hash commands on a key of another type", async () => {
    const r = redis();
    const k = uniq("str");
    await r.set(k, "x");
    await expect(r.hget(k, "a")).rejects.toThrow("WRONGTYPE Operation against a key holding the wrong kind of value");
    await expect(r.hset(k, { a: 1 })).rejects.toThrow("WRONGTYPE");
  });
});
