// Access clocks (OBJECT IDLETIME/FREQ) and maxmemory eviction as Redis implements them: which keys each
// policy evicts under a deterministic trace (an injected clock, samples ≥ keys where Redis's choice is
// deterministic too), the DELs it logs, and OOM when nothing may go.
import { describe, expect, it } from "vitest";
import { LFU_INIT_VAL, lfuLogIncr } from "./access-clock.js";
import { type TestEngine, seededRandom, testEngine } from "./testing.js";

const OOM = { error: "OOM command not allowed when used memory > 'maxmemory'." };

/** Five keys k1..k5 written one second apart, under a policy with samples ≥ keys. */
function fiveKeys(policy: string, volatile = false): TestEngine {
  const t = testEngine({ config: { "maxmemory-policy": policy, "maxmemory-samples": "10", maxmemory: "0" } });
  for (let i = 1; i <= 5; i++) {
    // Expiries in the reverse order of writing, so volatile-ttl's choice differs from LRU's.
    t.run("SET", `k${i}`, "v".repeat(10), ...(volatile ? ["PX", String(100_000 - i * 3000)] : []));
    t.clock.advance(1000);
  }
  t.log.length = 0;
  return t;
}

/** Sets maxmemory just under what is used, then writes a small key: one eviction (or OOM). */
function squeeze(t: TestEngine, by = 1) {
  t.run("CONFIG", "SET", "maxmemory", String(t.engine.db.usedMemory - by));
  return t.run("SET", "new", "x");
}

const evictedKeys = (t: TestEngine) => t.log.filter((c) => c[0] === "DEL").map((c) => c[1]);

describe("OBJECT IDLETIME and FREQ", () => {
  it("IDLETIME counts seconds since the last access; reads and writes reset it, TYPE/EXISTS/TTL/OBJECT do not", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    t.clock.advance(10_500);
    expect(t.run("OBJECT", "IDLETIME", "k")).toBe(10);
    for (const argv of [["TYPE", "k"], ["EXISTS", "k"], ["TTL", "k"], ["OBJECT", "ENCODING", "k"], ["MEMORY", "USAGE", "k"]]) t.run(...argv);
    expect(t.run("OBJECT", "IDLETIME", "k")).toBe(10);
    t.run("GET", "k");
    expect(t.run("OBJECT", "IDLETIME", "k")).toBe(0);
    t.clock.advance(3000);
    t.run("TOUCH", "k");
    expect(t.run("OBJECT", "IDLETIME", "k")).toBe(0);
    t.clock.advance(3000);
    t.run("APPEND", "k", "w");
    expect(t.run("OBJECT", "IDLETIME", "k")).toBe(0);
  });

  it("REFCOUNT shows Redis's shared integers 0…9999, which an LRU/LFU policy with maxmemory turns off", () => {
    const t = testEngine();
    t.run("SET", "small", "100");
    t.run("SET", "big", "10000");
    t.run("SET", "text", "abc");
    expect(["small", "big", "text"].map((k) => t.run("OBJECT", "REFCOUNT", k))).toEqual([2147483647, 1, 1]);
    t.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru");
    expect(t.run("OBJECT", "REFCOUNT", "small")).toBe(1);
    t.run("CONFIG", "SET", "maxmemory", "0");
    expect(t.run("OBJECT", "REFCOUNT", "small")).toBe(2147483647);
  });

  it("FREQ needs an LFU policy and IDLETIME another one, with Redis's texts", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    expect(t.run("OBJECT", "FREQ", "k")).toEqual({
      error: "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    });
    t.run("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu");
    expect(t.run("OBJECT", "IDLETIME", "k")).toEqual({
      error: "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.",
    });
  });

  it("FREQ starts at 5, grows logarithmically with accesses and decays by one per lfu-decay-time minutes", () => {
    const t = testEngine({ config: { "maxmemory-policy": "allkeys-lfu" } });
    t.run("SET", "k", "v");
    expect(t.run("OBJECT", "FREQ", "k")).toBe(LFU_INIT_VAL);
    for (let i = 0; i < 1000; i++) t.run("GET", "k");
    const hot = t.run("OBJECT", "FREQ", "k") as number;
    // With lfu-log-factor 10, 1000 hits bring the counter to about 18 (Redis's table: 100 → 10ish over 5, 1000 → 18).
    expect(hot).toBeGreaterThan(12);
    expect(hot).toBeLessThan(25);
    t.clock.advance(3 * 60_000);
    expect(t.run("OBJECT", "FREQ", "k")).toBe(hot - 3);
    // OBJECT FREQ does not store the decayed counter: with decay off, the stored one shows again.
    t.run("CONFIG", "SET", "lfu-decay-time", "0");
    t.clock.advance(60 * 60_000);
    expect(t.run("OBJECT", "FREQ", "k")).toBe(hot);
  });

  it("the log counter's increment is 1 / ((counter − 5) × factor + 1) likely, and stops at 255", () => {
    expect(lfuLogIncr(5, 10, () => 0.99)).toBe(6);
    expect(lfuLogIncr(6, 10, () => 0.09)).toBe(7);
    expect(lfuLogIncr(6, 10, () => 0.091)).toBe(6);
    expect(lfuLogIncr(255, 0, () => 0)).toBe(255);
  });

  it("an overwritten key keeps its LFU counter (Redis's dbOverwrite), a deleted one starts again", () => {
    const t = testEngine({ config: { "maxmemory-policy": "allkeys-lfu", "lfu-log-factor": "0" } });
    t.run("SET", "k", "v");
    for (let i = 0; i < 10; i++) t.run("GET", "k");
    const before = t.run("OBJECT", "FREQ", "k") as number;
    expect(before).toBe(LFU_INIT_VAL + 10);
    t.run("SET", "k", "w");
    expect(t.run("OBJECT", "FREQ", "k")).toBe(before);
    t.run("DEL", "k");
    t.run("SET", "k", "w");
    expect(t.run("OBJECT", "FREQ", "k")).toBe(LFU_INIT_VAL);
  });
});

describe("eviction", () => {
  it("allkeys-lru with samples ≥ keys evicts the least recently used, and logs a DEL", () => {
    const t = fiveKeys("allkeys-lru");
    t.run("GET", "k1");
    t.clock.advance(1000);
    t.run("GET", "k2");
    expect(squeeze(t)).toEqual({ status: "OK" });
    expect(evictedKeys(t)).toEqual(["k3"]);
    expect(t.log).toEqual([["DEL", "k3"], ["SET", "new", "x"]]);
    expect(squeeze(t)).toEqual({ status: "OK" });
    expect(evictedKeys(t)).toEqual(["k3", "k4"]);
  });

  it("allkeys-lfu evicts the least frequently used", () => {
    const t = fiveKeys("allkeys-lfu");
    for (const k of ["k1", "k2", "k3", "k5"]) for (let i = 0; i < 50; i++) t.run("GET", k);
    squeeze(t);
    expect(evictedKeys(t)).toEqual(["k4"]);
  });

  it("volatile-ttl evicts the key that expires soonest; volatile-lru only keys with a TTL", () => {
    const ttl = fiveKeys("volatile-ttl", true);
    squeeze(ttl);
    expect(evictedKeys(ttl)).toEqual(["k5"]);

    const lru = fiveKeys("volatile-lru");
    lru.run("PEXPIRE", "k4", "100000");
    lru.run("PEXPIRE", "k5", "100000");
    lru.clock.advance(1000);
    lru.run("GET", "k4");
    lru.log.length = 0;
    squeeze(lru);
    expect(evictedKeys(lru)).toEqual(["k5"]);
  });

  it("volatile-ttl evicts in expiry order, volatile-lfu the least used of the keys with a TTL", () => {
    const ttl = fiveKeys("volatile-ttl", true);
    squeeze(ttl, 150);
    expect(evictedKeys(ttl)).toEqual(["k5", "k4"]);

    const lfu = fiveKeys("volatile-lfu", true);
    lfu.run("PERSIST", "k1");
    for (const k of ["k1", "k2", "k4", "k5"]) for (let i = 0; i < 50; i++) lfu.run("GET", k);
    lfu.log.length = 0;
    squeeze(lfu);
    expect(evictedKeys(lfu)).toEqual(["k3"]);
  });

  it("the random policies evict what the injected random source picks, the same each run", () => {
    const run = () => {
      const t = fiveKeys("allkeys-random");
      squeeze(t, 200);
      return evictedKeys(t);
    };
    expect(run().length).toBeGreaterThan(1);
    expect(run()).toEqual(run());
    const v = fiveKeys("volatile-random");
    v.run("PEXPIRE", "k2", "100000");
    v.log.length = 0;
    squeeze(v);
    expect(evictedKeys(v)).toEqual(["k2"]);
  });

  it("answers OOM under noeviction, and under volatile-* once no key has a TTL", () => {
    expect(squeeze(fiveKeys("noeviction"))).toEqual(OOM);
    const t = fiveKeys("volatile-lru");
    expect(squeeze(t)).toEqual(OOM);
    expect(t.log).toEqual([]);
    expect(t.run("GET", "k1")).toBe("v".repeat(10));
  });

  it("evicts before any command once over maxmemory, as Redis does, but refuses only denyoom ones", () => {
    const t = fiveKeys("allkeys-lru");
    t.run("CONFIG", "SET", "maxmemory", String(t.engine.db.usedMemory - 1));
    expect(t.run("GET", "k5")).toBe("v".repeat(10));
    expect(evictedKeys(t)).toEqual(["k1"]);
    const n = fiveKeys("noeviction");
    n.run("CONFIG", "SET", "maxmemory", "1");
    expect(n.run("GET", "k5")).toBe("v".repeat(10));
    expect(n.run("DEL", "k5")).toBe(1);
  });

  it("counts evicted_keys in INFO stats", () => {
    const t = fiveKeys("allkeys-lru");
    squeeze(t, 300);
    // INFO itself may evict first (SET went over the limit again), so count after it.
    const info = t.run("INFO", "stats") as string;
    const n = evictedKeys(t).length;
    expect(n).toBeGreaterThan(1);
    expect(info).toContain(`evicted_keys:${n}\r\n`);
  });

  it("with few samples the pool still converges on old keys (Redis's approximation)", () => {
    const t = testEngine({ random: seededRandom(9), config: { "maxmemory-policy": "allkeys-lru", "maxmemory-samples": "5", maxmemory: "0" } });
    for (let i = 0; i < 200; i++) {
      t.run("SET", `k${i}`, "v");
      t.clock.advance(1000);
    }
    t.log.length = 0;
    t.run("CONFIG", "SET", "maxmemory", String(t.engine.db.usedMemory - 2000));
    t.run("SET", "new", "x");
    const evicted = evictedKeys(t).map((k) => Number(k.slice(1)));
    // Mostly from the older half, as sampling with a pool of 16 gives.
    expect(evicted.filter((i) => i < 100).length).toBeGreaterThan(evicted.length * 0.8);
  });
});
