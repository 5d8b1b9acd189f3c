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

describe("WAITAOF", () => {
  /** An engine whose host records what the sink had received when WAITAOF synced. */
  function withHost(aof = true) {
    const t = testEngine();
    const synced: number[] = [];
    t.engine.server.host = {
      save: () => "started",
      bgsave: () => "started",
      bgrewriteaof: () => "started",
      lastsave: () => 0,
      aofEnabled: () => aof,
      syncAof: () => {
        synced.push(t.log.length);
        return aof ? 1 : 0;
      },
    };
    return { ...t, synced };
  }

  it("hands the writes before it to the log before syncing it, in a pipeline", () => {
    const t = withHost();
    const replies = t.engine.executeBatch([
      ["SET", "a", "1"],
      ["WAITAOF", "1", "0", "0"],
      ["SET", "b", "2"],
    ]);
    expect(replies).toEqual([{ status: "OK" }, [1, 0], { status: "OK" }]);
    expect(t.synced).toEqual([1]);
    expect(t.log).toEqual([
      ["SET", "a", "1"],
      ["SET", "b", "2"],
    ]);
  });

  it("in a transaction answers 0 once the transaction has written (its records go out at EXEC)", () => {
    const t = withHost();
    expect(t.engine.executeTransaction([["WAITAOF", "1", "0", "0"], ["SET", "a", "1"], ["WAITAOF", "1", "0", "0"]])).toEqual([[1, 0], { status: "OK" }, [0, 0]]);
    expect(t.log).toEqual([["MULTI"], ["SET", "a", "1"], ["EXEC"]]);
  });

  it("answers at once for replicas: there are none (Redis's reply when its timeout ends)", () => {
    const t = withHost();
    expect(t.run("WAITAOF", "1", "2", "100")).toEqual([1, 0]);
    expect(t.run("WAITAOF", "0", "1", "0")).toEqual([1, 0]);
  });

  it("has Redis 7.2's errors", () => {
    const t = withHost(false);
    const err = (...argv: string[]) => (t.run("WAITAOF", ...argv) as { error: string }).error;
    expect(err("1", "0", "0")).toBe("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.");
    expect(t.run("WAITAOF", "0", "0", "0")).toEqual([0, 0]);
    expect(err("2", "0", "0")).toBe("ERR value is out of range, value must between 0 and 1");
    expect(err("-1", "0", "0")).toBe("ERR value is out of range, value must between 0 and 1");
    expect(err("x", "0", "0")).toBe("ERR value is not an integer or out of range");
    expect(err("0", "-1", "0")).toBe("ERR value is out of range, must be positive");
    expect(err("0", "x", "0")).toBe("ERR value is out of range, must be positive");
    expect(err("0", "0", "x")).toBe("ERR timeout is not an integer or out of range");
    expect(err("0", "0", "1.5")).toBe("ERR timeout is not an integer or out of range");
    expect(err("0", "0", "-1")).toBe("ERR timeout is negative");
    expect(err("0", "0", "9223372036854775807")).toBe("ERR timeout is out of range");
    expect((t.run("WAITAOF", "0", "0") as { error: string }).error).toBe("ERR wrong number of arguments for 'waitaof' command");
  });
});

describe("INFO stats' fork fields", () => {
  it("come after keyspace_misses, as in Redis 7.0, and CONFIG RESETSTAT zeroes them", () => {
    const t = testEngine();
    t.engine.server.latestForkUsec = 3000;
    t.engine.server.totalForks = 2;
    const names = (t.run("INFO", "stats") as string).split("\r\n").slice(1, -1).map((l) => l.split(":")[0]);
    expect(names.slice(names.indexOf("keyspace_misses"))).toEqual(["keyspace_misses", "latest_fork_usec", "total_forks"]);
    expect(fields(t.run("INFO", "stats"))).toMatchObject({ latest_fork_usec: "3000", total_forks: "2" });
    t.run("CONFIG", "RESETSTAT");
    expect(fields(t.run("INFO", "stats"))).toMatchObject({ latest_fork_usec: "0", total_forks: "0" });
  });
});
