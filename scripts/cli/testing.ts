// Test helpers for the CLI: run `durable-redis` as a user does (a child process of bin.mjs), run a
// reference tool, and start the built worker in Miniflare with 4 shards and test tokens.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "scripts", "cli", "bin.mjs");
export const RDB_FIXTURES = join(ROOT, "durable-objects", "persistence", "rdb-codec", "fixtures");
export const AOF_FIXTURES = join(ROOT, "durable-objects", "persistence", "aof", "fixtures");

export interface Ran {
  code: number;
  /** stdout as UTF-8 text. */
  stdout: string;
  /** stdout's bytes, for byte-exact comparisons. */
  bytes: Buffer;
  stderr: string;
}

type Env = Record<string, string | undefined>;

/** Runs a program to its end (asynchronously: the worker under test keeps being served meanwhile). */
export function runProgram(bin: string, args: string[], opts: { input?: string | Uint8Array; cwd?: string; env?: Env } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env = (opts.env ?? process.env) as NodeJS.ProcessEnv;
    const child = spawn(bin, args, { cwd: opts.cwd ?? ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) => {
      const bytes = Buffer.concat(out);
      resolve({ code: code ?? -1, stdout: bytes.toString("utf8"), bytes, stderr: Buffer.concat(err).toString("utf8") });
    });
    // A program that exits without reading its input closes the pipe: that is not a failure.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.input ?? "");
  });
}

/** `durable-redis …` (Node 24 from the node devDependency, as npx runs it). */
export function cli(args: string[], opts: { input?: string | Uint8Array; cwd?: string; env?: Env } = {}): Promise<Ran> {
  // No connection settings leak in from the environment running the tests.
  const env = { ...process.env, DURABLE_REDIS_URL: "", DURABLE_REDIS_TOKEN: "", DURABLE_REDIS_ADMIN_TOKEN: "", ...opts.env };
  return runProgram(process.execPath, [BIN, ...args], { ...opts, env });
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const TOKEN = "cli-test-token";
export const ADMIN_TOKEN = "cli-test-admin-token";

export interface Worker {
  url: string;
  dispose(): Promise<void>;
}

/**
 * Bundles the worker with esbuild (as wrangler would, without its start-up cost) and starts it in
 * Miniflare with its Durable Objects, SQLite storage and an R2 bucket, all under a fresh directory.
 * `entry`: another entry module (test/clock-worker.ts: the worker with a clock the test sets).
 */
export async function startWorker(shards: number, state: string, opts: { entry?: string; bindings?: Record<string, string> } = {}): Promise<Worker> {
  const { build } = await import("esbuild");
  const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
  const script = join(state, "worker.mjs");
  await build({
    absWorkingDir: ROOT,
    entryPoints: [opts.entry ?? "worker/index.ts"],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    // fengari (the Lua VM) requires these at startup for libraries scripts never get; wrangler.toml
    // aliases the two packages, and the Node built-ins it asks for by bare name are stubbed too.
    alias: Object.fromEntries(
      ["readline-sync", "tmp", "fs", "path", "os", "child_process", "crypto"].map((m) => [m, "./durable-objects/engine/lua/node-stubs/empty.cjs"]),
    ),
    outfile: script,
    logLevel: "error",
  });
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      // The shards' own log lines ("DB loaded from append only file") would bury the test report;
      // warnings and errors still show.
      handleStructuredLogs(log: { level: string; message: string }) {
        if (log.level === "warn" || log.level === "error") process.stderr.write(log.message + "\n");
      },
      compatibilityDate: "2026-10-20",
      compatibilityFlags: ["nodejs_compat"],
      modules: true,
      scriptPath: script,
      // Module names are paths relative to this root; the default (the working directory) cannot reach a temporary directory.
      modulesRoot: state,
      durableObjects: { SHARD: { className: "Shard", useSQLite: true }, PUBSUB: { className: "PubSubHub", useSQLite: true } },
      r2Buckets: ["SNAPSHOTS"],
      durableObjectsPersist: join(state, "do"),
      r2Persist: join(state, "r2"),
      bindings: {
        REST_TOKEN: TOKEN,
        ADMIN_TOKEN,
        SHARDS: String(shards),
        APPENDONLY: "yes",
        APPENDFSYNC: "always",
        AOF_USE_RDB_PREAMBLE: "yes",
        SAVE: "",
        MAXMEMORY: "100mb",
        MAXMEMORY_POLICY: "noeviction",
        MAX_REQUEST_BYTES: "10485760",
        MAX_RECORD_BYTES: "10485760",
        ...opts.bindings,
      },
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, dispose: () => mf.dispose() };
}
