import { describe, expect, it } from "vitest";
import { testEngine } from "../testing.js";

const fields = (info: unknown): Record<string, string> =>
  Object.fromEntries(
    (info as string)
      .split("\r\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]),
  );

describe("INFO", () => {
  it("answers the default sections with Redis's headers, in Redis's order", () => {
    const t = testEngine();
    const info = t.run("INFO") as string;
    expect(info.match(/^# \w+/gm)).toEqual(["# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"]);
    expect(fields(info)).toMatchObject({ redis_version: "7.0.15", redis_mode: "standalone", connected_clients: "0" });
    expect(fields(info).run_id).toMatch(/^[0-9a-f]{40}$/);
  });

  it("counts keyspace hits and misses of read commands, and evicted keys", () => {
    const t = testEngine({ config: { maxmemory: "1000", "maxmemory-policy": "allkeys-lru" } });
    t.run("SET", "a", "1");
    t.run("GET", "a");
    t.run("GET", "nope");
    t.run("MGET", "a", "b", "a");
    let f = fields(t.run("INFO", "stats"));
    expect([f.keyspace_hits, f.keyspace_misses, f.evicted_keys]).toEqual(["3", "2", "0"]);
    for (let i = 0; i < 40; i++) t.run("SET", `k${i}`, "x".repeat(50));
    f = fields(t.run("INFO", "stats"));
    expect(Number(f.evicted_keys)).toBeGreaterThan(0);
    expect(t.run("CONFIG", "RESETSTAT")).toEqual({ status: "OK" });
    f = fields(t.run("INFO", "stats"));
    expect([f.keyspace_hits, f.keyspace_misses, f.evicted_keys]).toEqual(["0", "0", "0"]);
  });

  it("reports peak memory, which stays after keys go", () => {
    const t = testEngine();
    t.run("SET", "big", "x".repeat(10_000));
    t.run("DEL", "big");
    const f = fields(t.run("INFO", "memory"));
    expect(Number(f.used_memory_peak)).toBeGreaterThan(10_000);
    expect(Number(f.used_memory)).toBeLessThan(1000);
  });

  it("answers one section, or several, by name", () => {
    const t = testEngine();
    expect((t.run("INFO", "memory") as string).startsWith("# Memory\r\nused_memory:")).toBe(true);
    expect((t.run("INFO", "server", "keyspace") as string).match(/^# \w+/gm)).toEqual(["# Server", "# Keyspace"]);
  });
});
