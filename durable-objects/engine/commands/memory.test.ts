// MEMORY's subcommands: figures from the keyspace's accounting, Redis 7.0's shapes and errors.
import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";

describe("MEMORY", () => {
  it("USAGE counts the key, its value and its expiry as used_memory does; nil for a missing key", () => {
    const t = testEngine();
    t.run("SET", "k", "v".repeat(100));
    const plain = t.run("MEMORY", "USAGE", "k") as number;
    expect(plain).toBeGreaterThan(100);
    expect(t.run("MEMORY", "USAGE", "k", "SAMPLES", "0")).toBe(plain);
    t.run("EXPIRE", "k", "100");
    expect(t.run("MEMORY", "USAGE", "k")).toBe(plain + 24);
    expect(t.run("MEMORY", "USAGE", "nokey")).toBe(null);
    t.run("RPUSH", "l", ...Array.from({ length: 100 }, (_, i) => `e${i}`));
    expect(t.run("MEMORY", "USAGE", "l")).toBe(t.engine.db.usedMemory - (plain + 24));
  });

  it("USAGE refuses what Redis refuses", () => {
    const t = testEngine();
    expect(t.run("MEMORY", "USAGE", "k", "SAMPLES")).toEqual({ error: "ERR syntax error" });
    expect(t.run("MEMORY", "USAGE", "k", "SAMPLES", "-1")).toEqual({ error: "ERR syntax error" });
    expect(t.run("MEMORY", "USAGE", "k", "SAMPLES", "x")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(t.run("MEMORY", "USAGE", "k", "junk", "1")).toEqual({ error: "ERR syntax error" });
    expect(t.run("MEMORY", "USAGE")).toEqual({ error: "ERR wrong number of arguments for 'memory|usage' command" });
    expect(t.run("MEMORY", "STATS", "x")).toEqual({ error: "ERR wrong number of arguments for 'memory|stats' command" });
    expect(t.run("MEMORY", "nosuch")).toEqual({ error: "ERR unknown subcommand 'nosuch'. Try MEMORY HELP." });
  });

  it("STATS reports the dataset, its overhead and the peak", () => {
    const t = testEngine();
    t.run("SET", "a", "1");
    t.run("SET", "b", "2", "EX", "100");
    const flat = t.run("MEMORY", "STATS") as unknown[];
    const stats = new Map<string, unknown>();
    for (let i = 0; i < flat.length; i += 2) stats.set(flat[i] as string, flat[i + 1]);
    expect(stats.get("total.allocated")).toBe(t.engine.db.usedMemory);
    expect(stats.get("keys.count")).toBe(2);
    expect(stats.get("db.0")).toEqual(["overhead.hashtable.main", 64, "overhead.hashtable.expires", 24]);
    expect(stats.get("overhead.total")).toBe(88);
    expect(stats.get("dataset.bytes")).toBe(t.engine.db.usedMemory - 88);
    expect(stats.get("peak.percentage")).toBe("100");
  });

  it("DOCTOR, MALLOC-STATS, PURGE and HELP answer", () => {
    const t = testEngine();
    expect(t.run("MEMORY", "DOCTOR")).toMatch(/^Hi Sam, this instance is empty/);
    expect(t.run("MEMORY", "PURGE")).toEqual({ status: "OK" });
    expect((t.run("MEMORY", "HELP") as string[])[0]).toBe("MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  });
});
