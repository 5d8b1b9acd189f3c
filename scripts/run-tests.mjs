#!/usr/bin/env node
// Runs the whole test suite and ends with the plain summary line CI reads: "N passed, N failed,
// N skipped". Each project runs in its own vitest process, one after the other: the Node project
// (engine, persistence, CLI; some of its tests start the worker in Miniflare and real redis-servers),
// then workerd with one shard, then workerd with four. Run side by side in one vitest process, the
// workerd runtimes (and Miniflares started by Node tests) stalled each other. Extra arguments go to each run.
//
// A run that has not finished after RUN_TIMEOUT_MS is killed (its whole process group) and run once
// more: rarely, the vitest plugin's workerd stops answering after crash tests, and CI must not hang.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const RUN_TIMEOUT_MS = 6 * 60_000;
const dir = mkdtempSync(join(tmpdir(), "durable-redis-tests-"));
const runs = [
  { name: "node", projects: ["node"] },
  // One file at a time in workerd: crash tests call abortAllDurableObjects(), which also aborted the
  // Durable Objects of files running beside them, and their tests then waited forever.
  { name: "workerd", projects: ["workerd"], flags: ["--no-file-parallelism"] },
  { name: "workerd-4-shards", projects: ["workerd-4-shards"], flags: ["--no-file-parallelism"] },
];

/** Runs vitest in its own process group; resolves with its exit status, or "timeout" after killing the group. */
function vitest(args) {
  return new Promise((resolve) => {
    const child = spawn("npx", ["vitest", "run", ...args], { stdio: "inherit", detached: true });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      resolve("timeout");
    }, RUN_TIMEOUT_MS);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve(code ?? 1);
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const { name, projects, flags = [] } of runs) {
  const out = join(dir, `${name}.json`);
  const args = [...projects.flatMap((p) => ["--project", p]), ...flags, "--passWithNoTests", "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...process.argv.slice(2)];
  let status = await vitest(args);
  if (status === "timeout") {
    console.error(`\n${name}: no result after ${RUN_TIMEOUT_MS / 60_000} minutes; killed, running it once more\n`);
    rmSync(out, { force: true });
    status = await vitest(args);
  }
  if (status === "timeout") console.error(`\n${name}: no result after ${RUN_TIMEOUT_MS / 60_000} minutes again; killed\n`);
  if (existsSync(out)) {
    const r = JSON.parse(readFileSync(out, "utf8"));
    passed += r.numPassedTests;
    failed += r.numFailedTests + (r.numFailedTestSuites ?? 0);
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
  } else {
    failed += 1;
  }
  if (status !== 0) ok = false;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
