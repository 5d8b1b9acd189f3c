#!/usr/bin/env node
// `npm run mutants`: checks that the tests catch the bugs that matter. Each mutant below is one small
// textual change to the code (a line a careless edit could make), applied to a scratch copy of the
// working tree; the tests that should catch it run there, and the mutant is killed when one of them
// fails. Prints one line per mutant and "N killed, M survived"; exits 1 if any survived, did not apply,
// or if the tests fail on the unmutated copy. A tool for the team, not part of CI (a run takes minutes).
//
//   npm run mutants                 every mutant
//   npm run mutants -- everysec     only mutants whose name contains "everysec"
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** How long one test run may take before it counts as hung (the mutant is then killed by the hang). */
const RUN_TIMEOUT_MS = 4 * 60_000;

const AOF = "durable-objects/aof-manager.ts";
const SHARD = "durable-objects/shard.ts";
const ENGINE = "durable-objects/engine/engine.ts";
const SNAPSHOTS = "durable-objects/snapshot-manager.ts";
const RECOVERY = "durable-objects/recovery.ts";
const CRON = "durable-objects/cron.ts";

/**
 * The mutants: name, what the change does (one line), where (file, the exact text to replace, which
 * must occur once), and the test files that should catch it (project: files).
 */
const MUTANTS = [
  {
    name: "everysec-never-writes",
    does: "the everysec/no timer fires but writes nothing",
    file: AOF,
    find: "      this.timerPending = false;\n      this.flush();\n",
    replace: "      this.timerPending = false;\n",
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "cron-never-armed",
    does: "the shard never sets its alarm, so the cron never runs",
    file: CRON,
    find: "    if (!wanted) return;\n",
    replace: "    return;\n",
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "always-acks-before-write",
    does: "appendfsync always writes its row on the next turn, after the reply has gone",
    file: AOF,
    find: 'if (policy === "always") return this.flush();',
    replace: 'if (policy === "always") {\n      this.host.schedule(() => this.flush(), 0);\n      return true;\n    }',
    tests: { workerd: ["test/timers-cron.test.ts", "test/in-flight.test.ts"] },
  },
  {
    name: "rewrite-commits-before-upload",
    does: "a hybrid rewrite records its base in the manifest before the R2 upload has completed",
    file: SNAPSHOTS,
    find: "      const obj = await upload.complete();\n",
    replace:
      "      if (opts.aofBase) this.host.transaction(() => opts.onCommitted?.({ key, size: upload!.bytes, seq, createdMs: startedMs, aofBase: true }));\n" +
      "      const obj = await upload.complete();\n",
    tests: { workerd: ["test/in-flight.test.ts"] },
  },
  {
    name: "replay-drops-last-row",
    does: "recovery replays every log row but the last",
    file: AOF,
    find: "const increment = replayAofSteps(this.engine, this.store.segmentsAfter(base.seq));",
    replace: "const increment = replayAofSteps(this.engine, [...this.store.segmentsAfter(base.seq)].slice(0, -1));",
    tests: { workerd: ["test/aof.test.ts"] },
  },
  {
    name: "cut-ignores-before-write",
    does: "the forkless snapshot's cut does not save a key's old value before a write changes it",
    file: "durable-objects/persistence/keyspace-cut.ts",
    find: "    if (this.finished || this.early.has(key)) return;\n",
    replace: "    return;\n",
    tests: { node: ["durable-objects/persistence/keyspace-cut.test.ts"] },
  },
  {
    name: "base-crc-unchecked",
    does: "an RDB base is loaded without checking its CRC-64",
    file: RECOVERY,
    find: "      checksum: true,\n      expected: base.checksum,\n",
    replace: "      checksum: false,\n",
    tests: { workerd: ["test/rdb.test.ts"] },
  },
  {
    name: "rdb-loads-expired-keys",
    does: "keys already expired are loaded from an RDB snapshot",
    file: "durable-objects/persistence/rdb-codec/decoder.ts",
    find: "if (opts.now !== undefined && expireAt !== undefined && expireAt <= opts.now) {",
    replace: "if (false && opts.now !== undefined && expireAt !== undefined && expireAt <= opts.now) {",
    tests: { workerd: ["test/rdb.test.ts"] },
  },
  {
    name: "eviction-ignores-policy",
    does: "volatile-* policies evict keys without a time to live as allkeys-* do",
    file: "durable-objects/engine/eviction.ts",
    find: 'const allKeys = policy.startsWith("allkeys-");',
    replace: "const allKeys = true;",
    tests: { node: ["durable-objects/engine/eviction.test.ts"] },
  },
  {
    name: "readonly-check-skipped",
    does: "the read-only token may run write commands",
    file: "durable-objects/engine/command.ts",
    find: '  if (access === "readonly" && (flags.includes("write") || flags.includes("noreadonlytoken"))) return noPermission(name);\n',
    replace: "",
    tests: { node: ["durable-objects/engine/engine.test.ts"], workerd: ["test/http.test.ts"] },
  },
  {
    name: "multi-without-exec",
    does: "a transaction is logged as MULTI and its commands, without EXEC",
    file: ENGINE,
    find: '      this.records.push(["EXEC"]);\n    }\n    this.flush();\n',
    replace: "    }\n    this.flush();\n",
    tests: { workerd: ["test/aof.test.ts", "test/in-flight.test.ts"] },
  },
  {
    name: "failed-append-acked",
    does: "a batch whose AOF append threw under appendfsync always is acknowledged, and memory keeps its effects",
    file: SHARD,
    find: "    if (lost) await this.resetAfterLostWrite();\n",
    replace: "",
    tests: { workerd: ["test/misconf.test.ts"] },
  },
  {
    name: "failed-append-drops-records",
    does: "an AOF append that throws drops its records instead of keeping them for the retry",
    file: AOF,
    find: "      this.buffer = [bytes];\n",
    replace: "      this.buffer = [];\n      this.bufferBytes = 0;\n",
    tests: { workerd: ["test/misconf.test.ts"] },
  },
  {
    name: "misconf-never-refuses",
    does: "writes are accepted while the AOF cannot be written (no MISCONF)",
    file: ENGINE,
    find: "      if (denied) return errorReply(diskError(denied).message);\n",
    replace: "",
    tests: { workerd: ["test/misconf.test.ts"] },
  },
  {
    name: "bgsave-error-never-stops-writes",
    does: "stop-writes-on-bgsave-error is ignored: writes are accepted after a failed snapshot",
    file: SNAPSHOTS,
    find: 'return !this.lastOk && this.engine.config.getBool("stop-writes-on-bgsave-error") && this.rules.length > 0;',
    replace: "return false;",
    tests: { workerd: ["test/misconf.test.ts"] },
  },
  {
    name: "no-policy-timer-ignored",
    does: "appendfsync no waits five minutes instead of 30 s",
    file: AOF,
    find: "const NO_POLICY_MS = 30_000;",
    replace: "const NO_POLICY_MS = 300_000;",
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "everysec-buffer-unbounded",
    does: "everysec never writes early, whatever the buffer holds",
    file: AOF,
    find: "      if (this.bufferBytes >= EVERYSEC_MAX_BUFFER) this.flush();\n      else this.armTimer(EVERYSEC_MS);\n",
    replace: "      this.armTimer(EVERYSEC_MS);\n",
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "active-expiry-not-logged",
    does: "keys removed by active expiry are not logged as DEL",
    file: ENGINE,
    find: '      this.records.push(["DEL", key]);\n      this.notifier.notify(NOTIFY_EXPIRED, "expired", key);\n',
    replace: '      this.notifier.notify(NOTIFY_EXPIRED, "expired", key);\n',
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "save-rule-ignores-seconds",
    does: "a save rule fires on its changes alone, however little time has passed",
    file: "durable-objects/persistence/save-rules.ts",
    find: "if (s.dirty >= r.changes && nowMs - s.lastSaveMs > r.seconds * 1000) return r;",
    replace: "if (s.dirty >= r.changes) return r;",
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "rewrite-keeps-covered-rows",
    does: "an AOF rewrite leaves the rows its base covers in the log",
    file: AOF,
    find: "      this.store.deleteThrough(rw.coversSeq);\n",
    replace: "",
    tests: { workerd: ["test/timers-cron.test.ts"] },
  },
  {
    name: "load-truncated-ignored",
    does: "a truncated log is loaded even with aof-load-truncated no",
    file: RECOVERY,
    find: '(result.status === "TRUNCATED" && !this.engine.config.getBool("aof-load-truncated"))',
    replace: "false",
    tests: { workerd: ["test/aof.test.ts"] },
  },
  {
    name: "cron-works-while-loading",
    does: "the cron expires, saves and rewrites while the dataset is still loading",
    file: SHARD,
    find: "      serving: () => !this.loading && !this.loadError && this.lostWrite === null,\n",
    replace: "      serving: () => !this.loadError && this.lostWrite === null,\n",
    tests: { "workerd-loading": ["test/loading-refusals.test.ts"] },
  },
  {
    name: "set-ex-logged-relative",
    does: "SET … EX is logged as sent, so a replay restarts the time to live",
    file: "durable-objects/engine/commands/strings.ts",
    find: '    ctx.rewrite(["SET", key, value, "PXAT", msText(o.expireAt)]);\n',
    replace: "",
    tests: { workerd: ["test/aof.test.ts"] },
  },
  {
    name: "config-set-not-kept",
    does: "CONFIG SET is not kept in the shard's storage, so a restart forgets it",
    file: SHARD,
    find: '      ctx.storage.kv.put("config", overrides);\n',
    replace: "",
    tests: { workerd: ["test/aof.test.ts", "test/config-table.test.ts"] },
  },
  {
    name: "waitaof-acks-before-write",
    does: "WAITAOF (and the Durable-Redis-Fsync header) answers [1, 0] without writing the buffered records",
    file: AOF,
    find: "    return this.flush() ? 1 : 0;\n",
    replace: "    return 1;\n",
    tests: { workerd: ["test/waitaof.test.ts"] },
  },
  {
    name: "timestamp-every-batch",
    does: "aof-timestamp-enabled writes a #TS annotation before every batch, not once per new second",
    file: AOF,
    find: "    if (seconds <= this.lastTimestamp) return \"\";\n",
    replace: "",
    tests: { workerd: ["test/aof-timestamps.test.ts"] },
  },
  {
    name: "admin-check-skipped",
    does: "the data token may run Redis's @admin commands (CONFIG SET, SAVE, BGREWRITEAOF, …)",
    file: "durable-objects/engine/command.ts",
    find: '  if (flags.includes("admin")) return noPermission(name);\n',
    replace: "",
    tests: { workerd: ["test/access.test.ts"] },
  },
];

const root = new URL("..", import.meta.url).pathname;
const only = process.argv[2];
const chosen = MUTANTS.filter((m) => !only || m.name.includes(only));
if (chosen.length === 0) {
  console.error(`no mutant's name contains '${only}'`);
  process.exit(2);
}

/** A scratch copy of the working tree (tracked and new files, as they are now), sharing node_modules. */
function scratchCopy() {
  const dir = mkdtempSync(join(tmpdir(), "durable-redis-mutants-"));
  const files = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(root, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(root, f), join(dir, f));
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}

/** Runs vitest on these files in the scratch copy; the failed tests ("file > test"), or why the run did not finish. */
function runTests(dir, project, files) {
  const out = join(dir, `.mutant-${project}.json`);
  rmSync(out, { force: true });
  const progress = join(dir, `.mutant-${project}.progress`);
  rmSync(progress, { force: true });
  const args = ["vitest", "run", "--project", project, "--no-file-parallelism", "--bail=1", "--reporter=json", `--outputFile.json=${out}`, "--reporter=./scripts/progress-reporter.mjs", ...files];
  return new Promise((resolve) => {
    const child = spawn("npx", args, { cwd: dir, stdio: ["ignore", "ignore", "ignore"], detached: true, env: { ...process.env, TEST_PROGRESS_FILE: progress } });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
      // Where it stopped: the last lines the progress reporter wrote.
      const last = existsSync(progress) ? readFileSync(progress, "utf8").trim().split("\n").slice(-2).join(" then ") : "nothing had started";
      resolve({ hung: true, failed: [], last });
    }, RUN_TIMEOUT_MS);
    child.on("exit", () => {
      clearTimeout(timer);
      if (!existsSync(out)) return resolve({ hung: false, failed: ["(no report: the run did not start)"] });
      const report = JSON.parse(readFileSync(out, "utf8"));
      const failed = [];
      for (const file of report.testResults) {
        const rel = file.name.startsWith(dir) ? file.name.slice(dir.length + 1) : file.name;
        const tests = file.assertionResults.filter((t) => t.status === "failed");
        for (const t of tests) failed.push([rel, ...(t.ancestorTitles ?? []), t.title].join(" > "));
        if (tests.length === 0 && file.status === "failed") failed.push(`${rel} (the file failed: ${(file.message ?? "").split("\n")[0]})`);
      }
      resolve({ hung: false, failed });
    });
  });
}

/**
 * Each file in a run of its own: the vitest plugin's runtime has hung between two files of one run
 * (after the last test of loading-refusals.test.ts, before the next file started; once in two full
 * baselines, with no test at fault), and a hang there would count as a kill.
 */
async function runAll(dir, tests) {
  for (const [project, files] of Object.entries(tests)) {
    for (const file of files) {
      const r = await runTests(dir, project, [file]);
      if (r.hung) return { killedBy: `${project}: ${file} hung (no result in ${RUN_TIMEOUT_MS / 60_000} min; last: ${r.last})` };
      if (r.failed.length > 0) return { killedBy: r.failed[0] };
    }
  }
  return { killedBy: null };
}

const startedMs = Date.now();
const dir = scratchCopy();
let code = 0;
try {
  // The tests must pass unmutated, or a "kill" would mean nothing.
  const baseline = {};
  for (const m of chosen) for (const [p, files] of Object.entries(m.tests)) baseline[p] = [...new Set([...(baseline[p] ?? []), ...files])];
  for (const [p, files] of Object.entries(baseline)) baseline[p] = files.filter((f) => existsSync(join(dir, f)));
  const clean = await runAll(dir, baseline);
  if (clean.killedBy) {
    console.log(`the tests fail without any mutant: ${clean.killedBy}`);
    code = 1;
    chosen.length = 0;
  } else console.log(`unmutated: the tests pass (${((Date.now() - startedMs) / 1000).toFixed(0)} s)`);

  let killed = 0;
  let survived = 0;
  for (const m of chosen) {
    const path = join(dir, m.file);
    const original = readFileSync(path, "utf8");
    const at = original.indexOf(m.find);
    if (at < 0 || original.indexOf(m.find, at + 1) >= 0) {
      console.log(`${m.name}: DID NOT APPLY (the text to replace ${at < 0 ? "is not" : "is more than once"} in ${m.file}) — ${m.does}`);
      code = 1;
      continue;
    }
    writeFileSync(path, original.slice(0, at) + m.replace + original.slice(at + m.find.length));
    const tests = Object.fromEntries(Object.entries(m.tests).map(([p, files]) => [p, files.filter((f) => existsSync(join(dir, f)))]).filter(([, f]) => f.length > 0));
    const { killedBy } = await runAll(dir, tests);
    writeFileSync(path, original);
    if (killedBy) {
      killed++;
      console.log(`${m.name}: killed by ${killedBy} — ${m.does}`);
    } else {
      survived++;
      code = 1;
      console.log(`${m.name}: SURVIVED ${Object.values(tests).flat().join(", ")} — ${m.does}`);
    }
  }
  if (chosen.length > 0) console.log(`${killed} killed, ${survived} survived (${((Date.now() - startedMs) / 60_000).toFixed(1)} min)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
