// A key's last access through RDB files, both ways: Redis 7.0.15's lru.rdb/lfu.rdb load with their
// IDLE/FREQ opcodes, and our files carry them (IDLE under an LRU policy, FREQ under LFU) so that
// redis-server loads the same OBJECT IDLETIME/FREQ and redis-check-rdb accepts them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestEngine, testEngine } from "../../engine/testing.js";
import { findBinary, run, startRedis } from "../testing/redis.js";
import { encodeRdb, loadRdbInto } from "./index.js";

const fixture = (name: string) => new Uint8Array(readFileSync(join("/work/shared/fixtures/redis-7.0/rdb", name)));
const fixturesHere = (() => {
  try {
    fixture("lru.rdb");
    return true;
  } catch {
    return false;
  }
})();

/** The engine's dataset as an RDB file, each key with the access its policy saves. */
function fileOf(t: TestEngine): Uint8Array {
  const db = t.engine.db;
  const policy = t.engine.config.get("maxmemory-policy");
  return encodeRdb([...db.data].map(([k, v]) => [k, v, db.expires.get(k), db.savedAccess(k, policy)]));
}

function loaded(policy: string, file: Uint8Array): TestEngine {
  const t = testEngine({ config: { "maxmemory-policy": policy } });
  loadRdbInto(t.engine.db, file, { checksum: true });
  return t;
}

describe("IDLE and FREQ through our RDB codec", () => {
  it("loads Redis's lfu.rdb counters and lru.rdb idle times", () => {
    if (!fixturesHere) return;
    const lfu = loaded("allkeys-lfu", fixture("lfu.rdb"));
    expect(["lfu:a", "lfu:b", "lfu:list"].map((k) => lfu.run("OBJECT", "FREQ", k))).toEqual([8, 6, 6]);
    const lru = loaded("allkeys-lru", fixture("lru.rdb"));
    lru.clock.advance(7000);
    expect(lru.run("OBJECT", "IDLETIME", "lru:a")).toBe(7);
  });

  it("writes IDLE under an LRU policy and FREQ under LFU, and reads them back", () => {
    const lru = testEngine({ config: { "maxmemory-policy": "allkeys-lru" } });
    lru.run("SET", "old", "1");
    lru.clock.advance(1234_000);
    lru.run("SET", "new", "2");
    const back = loaded("allkeys-lru", fileOf(lru));
    expect([back.run("OBJECT", "IDLETIME", "old"), back.run("OBJECT", "IDLETIME", "new")]).toEqual([1234, 0]);

    const lfu = testEngine({ config: { "maxmemory-policy": "allkeys-lfu", "lfu-log-factor": "0" } });
    lfu.run("SET", "hot", "1");
    for (let i = 0; i < 20; i++) lfu.run("GET", "hot");
    lfu.run("SET", "cold", "1");
    const back2 = loaded("allkeys-lfu", fileOf(lfu));
    expect([back2.run("OBJECT", "FREQ", "hot"), back2.run("OBJECT", "FREQ", "cold")]).toEqual([25, 5]);
  });

  it("writes neither under noeviction, as Redis does", () => {
    const t = testEngine();
    t.run("SET", "k", "v");
    const plain = encodeRdb([["k", "v", undefined]]);
    expect(fileOf(t)).toEqual(plain);
  });
});

const server = findBinary("redis-server");
const checker = findBinary("redis-check-rdb");
const missing = !server || !checker;

describe.skipIf(missing && process.env.CI !== "true")("IDLE and FREQ with redis-server 7", () => {
  let dir = "";
  beforeAll(() => {
    if (missing) throw new Error("redis-server and redis-check-rdb are required under CI");
    dir = mkdtempSync(join(tmpdir(), "rdb-access-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("redis-server loads our counters and idle times, and redis-check-rdb accepts the files", async () => {
    const lfu = testEngine({ config: { "maxmemory-policy": "allkeys-lfu", "lfu-log-factor": "0" } });
    lfu.run("SET", "hot", "1");
    for (let i = 0; i < 20; i++) lfu.run("GET", "hot");
    lfu.run("RPUSH", "cold", "a", "b");
    writeFileSync(join(dir, "lfu.rdb"), fileOf(lfu));
    expect(run(checker!, [join(dir, "lfu.rdb")]).stdout).toContain("RDB looks OK!");
    const a = await startRedis(server!, ["--dir", dir, "--dbfilename", "lfu.rdb", "--appendonly", "no", "--maxmemory-policy", "allkeys-lfu"]);
    try {
      expect([await a.client.call("OBJECT", "FREQ", "hot"), await a.client.call("OBJECT", "FREQ", "cold")]).toEqual([25, 5]);
    } finally {
      await a.stop();
    }

    const lru = testEngine({ config: { "maxmemory-policy": "allkeys-lru" } });
    lru.clock.ms = Date.now() - 1234_000;
    lru.run("SET", "idle", "1");
    lru.clock.ms = Date.now();
    lru.run("PING");
    writeFileSync(join(dir, "lru.rdb"), fileOf(lru));
    expect(run(checker!, [join(dir, "lru.rdb")]).stdout).toContain("RDB looks OK!");
    const b = await startRedis(server!, ["--dir", dir, "--dbfilename", "lru.rdb", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"]);
    try {
      const idle = (await b.client.call("OBJECT", "IDLETIME", "idle")) as number;
      expect(idle).toBeGreaterThanOrEqual(1234);
      expect(idle).toBeLessThan(1234 + 10);
    } finally {
      await b.stop();
    }
  });
});
