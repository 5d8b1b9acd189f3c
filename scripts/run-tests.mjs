#!/usr/bin/env node
// Runs the whole test suite and ends with the plain summary line CI reads: "N passed, N failed,
// N skipped". Each project runs in its own vitest process, one after the other: the Node project
// (engine, persistence, CLI; some of its tests start the worker in Miniflare and real redis-servers),
// then workerd with one shard (test/loading-refusals.test.ts in a run of its own), then workerd with four. Run side by side in one vitest process, the
// workerd runtimes (and Miniflares started by Node tests) stalled each other. Extra arguments go to each run.
//
// A run that makes no progress (no test starts or ends) for HANG_MS, or has not finished after
// RUN_TIMEOUT_MS, is killed (its whole process group) and fails, naming the files and tests that were
// still running (scripts/progress-reporter.mjs writes what starts and ends). It is not retried: a hang is
// a bug to see, not to hide.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const RUN_TIMEOUT_MS = 8 * 60_000;
/** Longer than a test may take (vitest.config.ts), so a hung test fails by its own timeout first; TEST_HANG_SECONDS overrides it (to try the watchdog). */
const HANG_MS = Number(process.env.TEST_HANG_SECONDS ?? 180) * 1000;
const dir = mkdtempSync(join(tmpdir(), "durable-redis-tests-"));
const reporter = new URL("./progress-reporter.mjs", import.meta.url).pathname;
const runs = [
  { name: "node", projects: ["node"] },
  // One file at a time in workerd: crash tests call abortAllDurableObjects(), which also aborted the
  // Durable Objects of files running beside them, and their tests then waited forever.
  { name: "workerd", projects: ["workerd"], flags: ["--no-file-parallelism"] },
  { name: "workerd-loading", projects: ["workerd-loading"], flags: ["--no-file-parallelism"] },
  { name: "workerd-4-shards", projects: ["workerd-4-shards"], flags: ["--no-file-parallelism"] },
];

/** Where a killed run was, by its progress file: the files started and not ended with their tests, or the last file that ended. */
function whereItStopped(progressFile) {
  const files = new Map();
  const ended = new Set();
  const counts = { passed: 0, failed: 0, skipped: 0 };
  let lastEnded = null;
  if (existsSync(progressFile)) {
    for (const line of readFileSync(progressFile, "utf8").split("\n")) {
      if (!line) continue;
      const { event, file, test } = JSON.parse(line);
      if (event === "file-start") files.set(file, new Set());
      else if (event === "file-end") {
        files.delete(file);
        ended.add(file);
        lastEnded = file;
      } else if (event === "test-start") files.get(file)?.add(test);
      else if (event === "test-end") {
        files.get(file)?.delete(test);
        const { state } = JSON.parse(line);
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
      }
    }
  }
  const running = [...files].map(([file, tests]) => (tests.size ? `${file} (${[...tests].map((t) => `"${t}"`).join(", ")})` : file));
  const text = running.length
    ? `still running: ${running.join("; ")}`
    : lastEnded
      ? `between files: ${lastEnded} had ended and the next file had not started (the runtime's teardown or start-up)`
      : "before any file started";
  return { files: files.size, text, betweenFiles: running.length === 0 && lastEnded !== null, ended, counts };
}

/** The test files a run of these projects takes (vitest list), relative to the project root. */
function filesOf(projects) {
  const out = execFileSync("npx", ["vitest", "list", "--filesOnly", "--json", ...projects.flatMap((p) => ["--project", p])], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return JSON.parse(out).map((f) => relative(process.cwd(), f.file));
}

/** Progress so far: bytes of the progress file (it only grows). */
const progressOf = (file) => (existsSync(file) ? readFileSync(file).length : 0);

/** Runs vitest in its own process group; resolves with its exit status, or why it was killed. */
function vitest(args, progressFile) {
  return new Promise((resolve) => {
    const child = spawn("npx", ["vitest", "run", ...args], { stdio: "inherit", detached: true, env: { ...process.env, TEST_PROGRESS_FILE: progressFile } });
    const startedMs = Date.now();
    let lastProgress = -1;
    let lastProgressMs = startedMs;
    const kill = (why) => {
      clearInterval(watch);
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      resolve({ killed: why });
    };
    const watch = setInterval(() => {
      const now = Date.now();
      const progress = progressOf(progressFile);
      if (progress !== lastProgress) {
        lastProgress = progress;
        lastProgressMs = now;
      }
      if (now - lastProgressMs >= HANG_MS) kill(`no test started or ended for ${HANG_MS / 1000} s`);
      else if (now - startedMs >= RUN_TIMEOUT_MS) kill(`not finished after ${RUN_TIMEOUT_MS / 60_000} minutes`);
    }, 1000);
    child.on("exit", (code) => {
      clearInterval(watch);
      resolve({ code: code ?? 1 });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
const hangs = [];
/**
 * A hang between files (every test of the files so far ended, the next file never started) is the
 * vitest plugin's runtime, not a test (cf. workers-sdk#15498; it has struck after different files, in
 * about one full run in seven, and after a run's last file). The tests that ended are counted from the
 * progress file, and the files not yet run go on in a new run (none after the last file), said in the
 * summary. A hang inside a file fails the run, naming it.
 */
const MAX_RESUMES = 3;
const resumed = [];
for (const { name, projects, flags = [] } of runs) {
  let files = [];
  for (let attempt = 0; ; attempt++) {
    const out = join(dir, `${name}-${attempt}.json`);
    const progressFile = join(dir, `${name}-${attempt}.progress`);
    const args = [...projects.flatMap((p) => ["--project", p]), ...flags, "--passWithNoTests", "--reporter=default", "--reporter=json", `--reporter=${reporter}`, `--outputFile.json=${out}`, ...process.argv.slice(2), ...files];
    const status = await vitest(args, progressFile);
    if ("killed" in status) {
      const where = whereItStopped(progressFile);
      // Only for the whole suite: with files named on the command line the rest is not known here.
      if (where.betweenFiles && attempt < MAX_RESUMES && process.argv.length === 2) {
        const all = files.length > 0 ? files : filesOf(projects);
        const rest = all.filter((f) => !where.ended.has(f));
        // After the last file (none left) every file ran: the runtime hung in its teardown.
        if (all.length > 0 && rest.length < all.length) {
          passed += where.counts.passed;
          failed += where.counts.failed;
          skipped += where.counts.skipped;
          if (where.counts.failed > 0) ok = false;
          const next = rest.length === 0 ? "it was the last file: every file had run" : `the ${rest.length} files not yet run went on in a new run`;
          const line = `${name}: the runtime hung ${where.text}; ${next}`;
          console.error(`\n${line}\n`);
          resumed.push(line);
          if (rest.length === 0) break;
          files = rest;
          continue;
        }
      }
      ok = false;
      const line = `${name}: HUNG, ${status.killed}; killed ${where.text}`;
      console.error(`\n${line}\n`);
      hangs.push(line);
      passed += where.counts.passed;
      failed += Math.max(1, where.files) + where.counts.failed;
      break;
    }
    if (existsSync(out)) {
      const r = JSON.parse(readFileSync(out, "utf8"));
      passed += r.numPassedTests;
      failed += r.numFailedTests + (r.numFailedTestSuites ?? 0);
      skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    } else {
      failed += 1;
    }
    if (status.code !== 0) ok = false;
    break;
  }
}
for (const line of resumed) console.error(line);
for (const line of hangs) console.error(line);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
