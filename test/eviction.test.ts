// maxmemory eviction and introspection in a shard Durable Object: evicted keys are logged as DEL and stay
// gone after a crash and recovery; OBJECT and MEMORY answer through @upstash/redis (its exec test calls
// MEMORY USAGE). "Crash" is abortAllDurableObjects() (memory lost, storage kept).
import { abortAllDurableObjects } from "cloudflare:test";
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { type ShardStub, exec, logBytes, one, shardNamed, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");

describe("eviction in a shard", () => {
  it("allkeys-lru evicts keys until under maxmemory, logs their DELs, and they stay gone after recovery", async () => {
    const name = uniq("evict");
    const s: ShardStub = shardNamed(name);
    await exec(s, ["CONFIG", "SET", "appendfsync", "always"], ["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], ["CONFIG", "SET", "maxmemory-samples", "64"]);
    for (let i = 0; i < 20; i++) await one(s, "SET", `k${i}`, "v".repeat(100));
    const info = (await one(s, "INFO", "memory")) as string;
    const used = Number(/used_memory:(\d+)/.exec(info)![1]);
    await one(s, "CONFIG", "SET", "maxmemory", String(used - 500));
    const replies = await exec(s, ["SET", "more", "x"], ["DBSIZE"], ["INFO", "stats"]);
    expect(replies[0]).toEqual({ status: "OK" });
    const evicted = Number(/evicted_keys:(\d+)/.exec(replies[2] as string)![1]);
    expect(evicted).toBeGreaterThan(0);
    expect(replies[1]).toBe(21 - evicted);
    const log = await logBytes(s);
    const dels = [...log.matchAll(/\*2\r\n\$3\r\nDEL\r\n\$\d+\r\n(k\d+)\r\n/g)].map((m) => m[1]);
    expect(dels.length).toBe(evicted);
    expect(log).toContain(resp("SET", "more", "x"));

    await abortAllDurableObjects();
    const after = await exec(shardNamed(name), ["DBSIZE"], ["EXISTS", ...dels], ["GET", "more"]);
    expect(after).toEqual([21 - evicted, 0, "x"]);
  });

  it("answers OOM under noeviction", async () => {
    const s = shardNamed(uniq("oom"));
    await one(s, "SET", "a", "v".repeat(200));
    await one(s, "CONFIG", "SET", "maxmemory", "100");
    expect(await one(s, "SET", "b", "1")).toEqual({ error: "OOM command not allowed when used memory > 'maxmemory'." });
    expect(await one(s, "GET", "a")).toBe("v".repeat(200));
  });
});

describe("introspection through @upstash/redis", () => {
  const redis = () => new Redis({ url: "http://localhost", token: "test-token", enableAutoPipelining: true });

  it("MEMORY USAGE, OBJECT IDLETIME and OBJECT FREQ answer", async () => {
    const r = redis();
    const k = uniq("m");
    await r.set(k, "hello");
    const usage = await r.exec(["MEMORY", "USAGE", k]);
    expect(typeof usage).toBe("number");
    expect(usage as number).toBeGreaterThan(5);
    expect(await r.exec(["OBJECT", "IDLETIME", k])).toBe(0);
    await expect(r.exec(["OBJECT", "FREQ", k])).rejects.toThrow("ERR An LFU maxmemory policy is not selected");
    expect(await r.exec(["MEMORY", "USAGE", uniq("missing")])).toBe(null);
  });
});
