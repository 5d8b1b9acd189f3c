// The scripting differential (scripts/differential/scripting.ts), short seeded runs: generated Lua
// scripts and FUNCTION/FCALL commands on our engine and on a real redis-server 7.0, every reply
// compared, then both datasets and libraries, and the replay of our log (which holds no script).
// Longer runs: node scripts/differential-scripting-cli.mjs --seeds 1-20 --count 2000.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, findBinary, startRedis } from "../../durable-objects/persistence/testing/redis.js";
import { ScriptGen, formatScriptResult, runScriptDifferential } from "./scripting.js";

const bin = findBinary("redis-server");
const required = process.env.CI === "true";

describe.skipIf(bin === null && !required)("scripts against redis-server 7.0", () => {
  let redis: RedisProcess;
  const dir = mkdtempSync(join(tmpdir(), "differential-scripting-"));
  beforeAll(async () => {
    if (!bin) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    redis = await startRedis(bin, ["--dir", dir, "--appendonly", "no"]);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 500 generated scripts answer as Redis answers and leave the same keys and libraries`, async () => {
      const result = await runScriptDifferential(redis.client, { seed, count: 500 });
      if (result.mismatches.length > 0) throw new Error(formatScriptResult(result));
      expect(result.keys).toBeGreaterThan(3);
      // Every kind of script was generated.
      expect([...result.byKind.keys()].sort()).toEqual(
        ["compile", "conversion", "error", "eval_ro", "evalsha", "fcall", "function", "function-load", "library", "sandbox", "script", "shebang"],
      );
    }, 120_000);
  }
});

describe("the script generator", () => {
  it("is the same for the same seed and differs for another", () => {
    const take = (seed: number) => {
      const g = new ScriptGen(seed);
      return Array.from({ length: 100 }, () => g.next().argv);
    };
    expect(take(5)).toEqual(take(5));
    expect(take(5)).not.toEqual(take(6));
  });
});
