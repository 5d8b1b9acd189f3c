// The keyspace-notification differential (scripts/differential/notify.ts), short seeded runs: generated
// commands of every family on our engine and on a real redis-server 7.0 subscribed to `__key*__:*`,
// the notifications of every command compared exactly, lazy expiry included, active expiry as sets.
// Longer runs: node scripts/differential-notify-cli.mjs --seeds 1-10 --count 5000 --flags KEA,KEAn.
// Needs Debian's redis-server; under CI=true its absence fails the suite.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBinary, startRedis, type RedisProcess } from "../../durable-objects/persistence/testing/redis.js";
import { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { formatNotifyResult, runNotifyDifferential } from "./notify.js";

const bin = findBinary("redis-server");
const required = process.env.CI === "true";

describe.skipIf(bin === null && !required)("keyspace notifications against redis-server 7.0", () => {
  let redis: RedisProcess;
  let conn: RespClient;
  const dir = mkdtempSync(join(tmpdir(), "differential-notify-"));
  beforeAll(async () => {
    if (!bin) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    redis = await startRedis(bin, ["--appendonly", "no", "--enable-debug-command", "yes", "--dir", dir]);
    conn = await RespClient.connect(redis.port, "127.0.0.1", { timeoutMs: 10_000 });
  }, 30_000);
  afterAll(async () => {
    conn?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const runs: [seed: number, flags: string, count: number][] = [
    [1, "KEA", 5000],
    [2, "KEAn", 3000],
    [3, "Kgx", 1000],
    [4, "El$hzt", 1000],
  ];
  for (const [seed, flags, count] of runs) {
    it(`seed ${seed}, notify-keyspace-events ${flags}: ${count.toLocaleString("en")} commands raise exactly Redis's notifications`, async () => {
      const result = await runNotifyDifferential(conn, redis.port, { seed, count, flags });
      if (result.mismatches.length > 0) throw new Error(formatNotifyResult(result));
      expect(result.commands).toBe(count);
      // The runs mean something only if the events a command stream of every family raises show up.
      if (flags.includes("A")) {
        for (const event of ["set", "del", "expire", "expired", "lpush", "sadd", "hset", "zadd", "xadd", "rename_to"]) {
          expect(result.byEvent.get(event) ?? 0, event).toBeGreaterThan(0);
        }
      }
    }, 120_000);
  }
});
