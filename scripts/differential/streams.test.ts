// The stream differential (scripts/differential/streams.ts), a short seeded run: X* commands on our
// engine and on a real redis-server 7.0, every reply compared, then the final streams and their
// replay from our log. Longer runs: node scripts/differential-streams-cli.mjs --seeds 1-10 --count 5000.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, it } from "vitest";
import { findBinary, startRedis, type RedisProcess } from "../../durable-objects/persistence/testing/redis.js";
import { formatStreamResult, runStreamDifferential } from "./streams.js";

const bin = findBinary("redis-server");
const required = process.env.CI === "true";

describe.skipIf(bin === null && !required)("stream commands against redis-server 7.0", () => {
  let redis: RedisProcess;
  const dir = mkdtempSync(join(tmpdir(), "differential-streams-"));
  beforeAll(async () => {
    if (!bin) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    redis = await startRedis(bin, ["--appendonly", "yes", "--enable-debug-command", "yes", "--dir", dir]);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const runs: [seed: number, nodeMaxEntries: number, nodeMaxBytes: number][] = [
    [1, 100, 4096],
    [2, 4, 4096],
    [3, 10, 300],
  ];
  for (const [seed, entries, bytes] of runs) {
    it(`seed ${seed} (stream-node-max-entries ${entries}, -bytes ${bytes}): 2,000 commands answer as Redis answers`, async () => {
      const result = await runStreamDifferential(redis.client, { seed, count: 2000, nodeMaxEntries: entries, nodeMaxBytes: bytes });
      if (result.mismatches.length > 0) throw new Error(formatStreamResult(result));
    }, 120_000);
  }
});
