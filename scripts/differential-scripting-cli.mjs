#!/usr/bin/env node
// Runs the scripting differential (scripts/differential/scripting.ts) for any seeds and counts against
// a redis-server it starts, and prints the mismatches. Bundles the TypeScript with esbuild first.
//
//   node scripts/differential-scripting-cli.mjs [--seeds 1-20] [--count 2000] [--limit 20]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleAndImport, root } from "./bundle-and-import.mjs";
import { option, parseSeeds } from "./cli-args.mjs";

const seeds = parseSeeds(option("seeds", "1"));
const count = Number(option("count", "2000"));
const limit = Number(option("limit", "20"));

const dir = mkdtempSync(join(tmpdir(), "differential-scripting-"));
const entry = join(dir, "entry.ts");
writeFileSync(entry, `export * from ${JSON.stringify(join(root, "scripts/differential/scripting.ts"))};\nexport { startRedis, findBinary } from ${JSON.stringify(join(root, "durable-objects/persistence/testing/redis.ts"))};\n`);
// The banner gives the bundle a require() for the Node built-ins fengari (CommonJS) asks for.
const banner = "--banner:js=import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
const d = await bundleAndImport(entry, join(dir, "bundle.mjs"), [banner]);

const bin = d.findBinary("redis-server");
if (!bin) {
  console.error("redis-server not found on PATH");
  process.exit(2);
}
const redis = await d.startRedis(bin, ["--dir", dir, "--appendonly", "no"]);
const client = redis.client;
let total = 0;
let mismatches = 0;
try {
  for (const seed of seeds) {
    const r = await d.runScriptDifferential(client, { seed, count });
    total += r.commands;
    mismatches += r.mismatches.length;
    console.log(`seed ${seed}: ${d.formatScriptResult(r, limit)}\n`);
  }
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${total} scripts in ${seeds.length} runs, ${mismatches} mismatches`);
process.exit(mismatches > 0 ? 1 : 0);
