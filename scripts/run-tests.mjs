#!/usr/bin/env node
// Runs the whole test suite and ends with the plain summary line CI reads: "N passed, N failed,
// N skipped". Each project runs in its own vitest process, one after the other: the Node project
// (engine, persistence, CLI; some of its tests start the worker in Miniflare and real redis-servers),
// then workerd with one shard, then workerd with four. Run side by side in one vitest process, the
// workerd runtimes (and Miniflares started by Node tests) stalled each other. Extra arguments go to each run.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "durable-redis-tests-"));
const runs = [
  { name: "node", projects: ["node"] },
  // One file at a time in workerd: crash tests call abortAllDurableObjects(), which also aborted the
  // Durable Objects of files running beside them, and their tests then waited forever.
  { name: "workerd", projects: ["workerd"], flags: ["--no-file-parallelism"] },
  { name: "workerd-4-shards", projects: ["workerd-4-shards"], flags: ["--no-file-parallelism"] },
];
let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const { name, projects, flags = [] } of runs) {
  const out = join(dir, `${name}.json`);
  const run = spawnSync(
    "npx",
    ["vitest", "run", ...projects.flatMap((p) => ["--project", p]), ...flags, "--passWithNoTests", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)],
    { stdio: "inherit" },
  );
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numFailedTestSuites ?? 0);
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } else {
    failed += 1;
  }
  if (run.status !== 0) ok = false;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
