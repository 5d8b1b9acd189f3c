#!/usr/bin/env node
// Runs the differential test (scripts/differential/) for any seeds and counts and prints every
// mismatch with the history of the keys involved. Bundles the TypeScript with esbuild first.
//
//   node scripts/differential-cli.mjs [--seed 7 | --seeds 1-20 | --seeds 1,5,9] [--count 10000]
//        [--profile default|small|both] [--limit 50] [--no-history] [--family zsets] [--mutation 0.03]
//        [--kinds reply,state,encoding,final,replay] [--coverage] [--summary (grouped by command)]
//        [--strict-lex (compare lex ranges over mixed scores, which Redis leaves unspecified)]
//        [--only geo,zsets (generate only these families' commands)]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleAndImport } from "./bundle-and-import.mjs";
import { flag, option, parseSeeds } from "./cli-args.mjs";

const seeds = parseSeeds(option("seeds", option("seed", "1")));
const count = Number(option("count", "10000"));
const profileArg = option("profile", "both");
const profiles = profileArg === "both" ? ["default", "small"] : [profileArg];
const limit = Number(option("limit", "50"));
const family = option("family", null);
const mutationRate = Number(option("mutation", "0.03"));
const kinds = option("kinds", null)?.split(",");
const only = option("only", null)?.split(",");

const dir = mkdtempSync(join(tmpdir(), "differential-cli-"));
const d = await bundleAndImport("scripts/differential/index.ts", join(dir, "differential.mjs"));
rmSync(dir, { recursive: true, force: true });

const ref = await d.startReference();
if (!ref) {
  console.error("redis-server not found on PATH (apt-get install -y redis-server)");
  process.exit(2);
}
console.log(`reference: redis-server ${ref.version}`);
let failed = 0;
const results = [];
try {
  for (const seed of seeds) {
    for (const profile of profiles) {
      const result = await d.runDifferential(ref.conn, { seed, count, profile, mutationRate, strictLex: flag("strict-lex"), families: only });
      if (family) result.mismatches = result.mismatches.filter((m) => m.family === family);
      if (kinds) result.mismatches = result.mismatches.filter((m) => kinds.includes(m.kind));
      if (result.mismatches.length > 0) failed++;
      results.push(result);
      if (flag("summary")) console.log(d.formatResult(result, { limit: 0 }));
      else console.log(d.formatResult(result, { limit, history: !flag("no-history") }));
      if (flag("coverage")) console.log(d.formatCoverage(result));
      console.log("");
    }
  }
} finally {
  await ref.stop();
}
if (flag("summary")) console.log("\n" + d.formatSummary(results));
console.log(`${seeds.length * profiles.length} runs, ${failed} with mismatches`);
process.exit(failed > 0 ? 1 : 0);
