// Set commands through @upstash/redis against the worker (1 shard and 4 shards: multi-key commands
// use {tag} keys so that their keys share a hash slot).
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });
/** OBJECT ENCODING, which the client has no method for. */
const encoding = async (key: string) => (await cmd("OBJECT", "ENCODING", key)).body.result;
const sorted = <T>(xs: T[]) => xs.slice().sort();

describe("set commands through @upstash/redis", () => {
  it("adds, lists, tests and removes members", async () => {
    const r = redis();
    const k = uniq("set");
    expect(await r.sadd(k, "a", "b", "a")).toBe(2);
    expect(await r.sadd(k, { id: 1 })).toBe(1);
    expect(await r.scard(k)).toBe(3);
    expect(sorted((await r.smembers(k)).map((m) => JSON.stringify(m)))).toEqual(['"a"', '"b"', '{"id":1}']);
    expect(await r.sismember(k, "a")).toBe(1);
    expect(await r.smismember(k, ["b", "zz", "a"])).toEqual([1, 0, 1]);
    expect(await r.srem(k, "a", "zz")).toBe(1);
    expect(await r.srem<unknown>(k, "b", { id: 1 })).toBe(2);
    expect(await r.exists(k)).toBe(0);
  });

  it("lists an intset in ascending numeric order", async () => {
    const r = redis();
    const k = uniq("set");
    await r.sadd(k, 10, -5, 3, 100);
    expect(await r.smembers(k)).toEqual([-5, 3, 10, 100]);
    expect(await encoding(k)).toBe("intset");
  });

  it("intersects, unites and subtracts sets named by {tag} keys", async () => {
    const r = redis();
    const a = uniq("{sets}a");
    const b = uniq("{sets}b");
    const c = uniq("{sets}c");
    await r.sadd(a, 1, 2, 3, 4);
    await r.sadd(b, 3, 4, 5);
    expect(await r.sinter(a, b)).toEqual([3, 4]);
    expect(await r.sunion(a, b)).toEqual([1, 2, 3, 4, 5]);
    expect(await r.sdiff(a, b)).toEqual([1, 2]);
    expect(await r.sintercard([a, b])).toBe(2);
    expect(await r.sintercard([a, b], { limit: 1 })).toBe(1);
    expect(await r.sinterstore(c, a, b)).toBe(2);
    expect(await r.smembers(c)).toEqual([3, 4]);
    expect(await r.sunionstore(c, a, b)).toBe(5);
    expect(await r.sdiffstore(c, b, a)).toBe(1);
    expect(await r.smembers(c)).toEqual([5]);
    expect(await r.sinterstore(c, a, uniq("{sets}missing"))).toBe(0);
    expect(await r.exists(c)).toBe(0);
  });

  it("moves members between sets", async () => {
    const r = redis();
    const a = uniq("{mv}a");
    const b = uniq("{mv}b");
    await r.sadd(a, "x", "y");
    expect(await r.smove(a, b, "x")).toBe(1);
    expect(await r.smove(a, b, "zz")).toBe(0);
    expect(await r.smembers(a)).toEqual(["y"]);
    expect(await r.smembers(b)).toEqual(["x"]);
  });

  it("pops and samples random members", async () => {
    const r = redis();
    const k = uniq("set");
    const members = Array.from({ length: 20 }, (_, i) => `m${i}`);
    await r.sadd(k, members[0], ...members.slice(1));
    const one = await r.spop<string>(k);
    expect(members).toContain(one);
    const three = await r.spop<string[]>(k, 3);
    expect(new Set(three).size).toBe(3);
    expect(await r.scard(k)).toBe(16);
    expect(members).toContain(await r.srandmember<string>(k));
    const five = await r.srandmember<string[]>(k, 5);
    expect(new Set(five).size).toBe(5);
    expect(await r.srandmember<string[]>(k, -40)).toHaveLength(40);
    const rest = members.filter((m) => m !== one && !three!.includes(m));
    expect(sorted((await r.spop<string[]>(k, 100))!)).toEqual(sorted(rest));
    expect(await r.exists(k)).toBe(0);
    expect(await r.spop(k)).toBe(null);
  });

  it("scans a set with MATCH and COUNT until the cursor is 0", async () => {
    const r = redis();
    const k = uniq("set");
    const members = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await r.sadd(k, members[0], ...members.slice(1));
    const seen = new Set<string>();
    let cursor: string | number = 0;
    do {
      const [next, items]: [string, (string | number)[]] = await r.sscan(k, cursor, { match: "m2*", count: 40 });
      for (const m of items) seen.add(String(m));
      cursor = next;
    } while (String(cursor) !== "0");
    expect(sorted([...seen])).toEqual(sorted(members.filter((m) => m.startsWith("m2"))));
  });

  it("reports the encoding: intset for integers, hashtable after, and never back", async () => {
    const r = redis();
    const k = uniq("set");
    await r.sadd(k, 1, 2);
    expect(await encoding(k)).toBe("intset");
    await r.sadd(k, "x");
    expect(await encoding(k)).toBe("hashtable");
    await r.srem(k, "x");
    expect(await encoding(k)).toBe("hashtable");
  });

  it("refuses set commands on a key of another type", async () => {
    const r = redis();
    const k = uniq("str");
    await r.set(k, "x");
    await expect(r.sadd(k, "a")).rejects.toThrow("WRONGTYPE Operation against a key holding the wrong kind of value");
    await expect(r.spop(k, 0)).rejects.toThrow("WRONGTYPE");
  });
});
