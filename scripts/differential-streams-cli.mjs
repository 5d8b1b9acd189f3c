#!/usr/bin/env node
// Runs the stream differential (scripts/differential/streams.ts) for any seeds and counts against a
// redis-server it starts, and prints the mismatches. Bundles the TypeScript with esbuild first.
//
//   node scripts/differential-streams-cli.mjs [--seeds 1-20] [--count 5000] [--limit 20]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleAndImport } from "./bundle-and-import.mjs";
import { option, parseSeeds } from "./cli-args.mjs";

const seeds = parseSeeds(option("seeds", "1"));
const count = Number(option("count", "5000"));
const limit = Number(option("limit", "20"));

const dir = mkdtempSync(join(tmpdir(), "differential-streams-"));
const d = await bundleAndImport("scripts/differential/index.ts", join(dir, "bundle.mjs"));

const bin = d.findBinary("redis-server");
if (!bin) {
  console.error("redis-server not found on PATH");
  process.exit(2);
}
const redis = await d.startRedis(bin, ["--appendonly", "yes", "--enable-debug-command", "yes", "--dir", dir]);
const profiles = [[100, 4096], [4, 4096], [10, 300]];
let total = 0;
let mismatches = 0;
try {
  for (const seed of seeds) {
    const [entries, bytes] = profiles[seed % profiles.length];
    const r = await d.runStreamDifferential(redis.client, { seed, count, nodeMaxEntries: entries, nodeMaxBytes: bytes });
    total += r.commands;
    mismatches += r.mismatches.length;
    console.log(`seed ${seed} (node max entries ${entries}, bytes ${bytes}): ${d.formatStreamResult(r, limit)}\n`);
  }
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${total} stream commands in ${seeds.length} runs, ${mismatches} mismatches`);
process.exit(mismatches > 0 ? 1 : 0);
