#!/usr/bin/env node
// Runs the keyspace-notification differential (scripts/differential/notify.ts) for any seeds, counts
// and notify-keyspace-events flags against a redis-server it starts, and prints the mismatches.
// Bundles the TypeScript with esbuild first.
//
//   node scripts/differential-notify-cli.mjs [--seeds 1-10] [--count 5000] [--flags KEA,KEAn,Kgx] [--limit 20]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleAndImport } from "./bundle-and-import.mjs";
import { option, parseSeeds } from "./cli-args.mjs";

const seeds = parseSeeds(option("seeds", "1"));
const count = Number(option("count", "5000"));
const limit = Number(option("limit", "20"));
const flagSets = option("flags", "KEA").split(",");

const dir = mkdtempSync(join(tmpdir(), "differential-notify-"));
const d = await bundleAndImport("scripts/differential/index.ts", join(dir, "bundle.mjs"));

const bin = d.findBinary("redis-server");
if (!bin) {
  console.error("redis-server not found on PATH");
  process.exit(2);
}
const redis = await d.startRedis(bin, ["--appendonly", "no", "--enable-debug-command", "yes", "--dir", dir]);
const conn = await d.RespClient.connect(redis.port, "127.0.0.1", { timeoutMs: 10_000 });
let total = 0;
let events = 0;
let mismatches = 0;
try {
  for (const flags of flagSets) {
    for (const seed of seeds) {
      const r = await d.runNotifyDifferential(conn, redis.port, { seed, count, flags });
      total += r.commands;
      events += r.events;
      mismatches += r.mismatches.length;
      console.log(`seed ${seed}: ${d.formatNotifyResult(r, limit)}\n`);
    }
  }
} finally {
  conn.close();
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${total} commands, ${events} notifications in ${seeds.length * flagSets.length} runs, ${mismatches} mismatches`);
process.exit(mismatches > 0 ? 1 : 0);
