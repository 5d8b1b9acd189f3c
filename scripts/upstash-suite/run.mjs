#!/usr/bin/env node
// Runs test files of @upstash/redis's own suite (a checkout of upstash/redis-js, which we do not
// vendor) against a durable-redis server, the way its authors run them against Upstash: with
// UPSTASH_REDIS_REST_URL/TOKEN set. Bun's test API is mapped onto vitest (bun-shim.mjs).
//
//   npm run upstash-suite -- --repo /path/to/redis-js [--url URL --token T] [--shards N] GROUP|FILE…
//
// Without --url it starts `wrangler dev` on a free port with fresh local state. GROUPs name the
// files the issues cite (see GROUPS); a FILE is a path under packages/redis/pkg.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");

const GROUPS = {
  scripting: [
    "commands/eval.test.ts", "commands/evalRo.test.ts", "commands/evalsha.test.ts", "commands/evalshaRo.test.ts",
    "commands/script_exists.test.ts", "commands/script_load.test.ts", "script.test.ts", "scriptRo.test.ts",
  ],
  functions: [
    "commands/fcall.test.ts", "commands/fcall_ro.test.ts", "commands/function_delete.test.ts", "commands/function_flush.test.ts",
    "commands/function_list.test.ts", "commands/function_load.test.ts", "commands/function_stats.test.ts",
  ],
  pipelines: ["pipeline.test.ts", "auto-pipeline.test.ts", "read-your-writes.test.ts"],
  pubsub: ["commands/subscribe.test.ts", "commands/psubscribe.test.ts"],
  // Redis 7.0's stream commands (XACKDEL and XDELEX are Redis 8.2's).
  streams: (pkg) =>
    readdirSync(join(pkg, "commands")).filter((f) => /^x.*\.test\.ts$/.test(f) && !/^x(ackdel|delex)\./.test(f)).map((f) => `commands/${f}`),
  geo: (pkg) => readdirSync(join(pkg, "commands")).filter((f) => /^geo_.*\.test\.ts$/.test(f)).map((f) => `commands/${f}`),
  exec: ["commands/exec.test.ts"],
};

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
};
const repo = opt("--repo") ?? process.env.UPSTASH_REDIS_JS;
let url = opt("--url");
let token = opt("--token") ?? "durable-redis-suite-token";
const shards = opt("--shards") ?? "1";
if (!repo || !existsSync(join(repo, "packages/redis/pkg"))) {
  console.error("usage: upstash-suite --repo <checkout of upstash/redis-js> [--url URL --token T] [--shards N] GROUP|FILE…");
  console.error(`groups: ${Object.keys(GROUPS).join(", ")}`);
  process.exit(2);
}
const pkg = join(repo, "packages/redis/pkg");
const files = args.flatMap((a) => {
  const g = GROUPS[a];
  if (!g) return [a];
  return typeof g === "function" ? g(pkg) : g;
});
if (files.length === 0) {
  console.error(`name a group (${Object.keys(GROUPS).join(", ")}) or a file`);
  process.exit(2);
}

function freePort() {
  return new Promise((res) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

let server = null;
if (!url) {
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), "durable-redis-suite-state-"));
  server = spawn(
    "npx",
    ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--var", `REST_TOKEN:${token}`, "--var", `SHARDS:${shards}`],
    { cwd: root, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", CLOUDFLARE_CF_FETCH_ENABLED: "false" } },
  );
  let log = "";
  server.stdout.on("data", (d) => (log += d));
  server.stderr.on("data", (d) => (log += d));
  url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const r = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: '["PING"]' });
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      console.error(`wrangler dev did not answer within 60 s:\n${log}`);
      process.kill(-server.pid, "SIGKILL");
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

const configDir = mkdtempSync(join(tmpdir(), "durable-redis-suite-"));
const config = join(configDir, "vitest.config.mjs");
const shim = join(here, "bun-shim.mjs");
const resolveFrom = (name) => join(root, "node_modules", name);
writeFileSync(
  config,
  `export default {
  resolve: { alias: { "bun:test": ${JSON.stringify(shim)}, bun: ${JSON.stringify(shim)}, uncrypto: ${JSON.stringify(resolveFrom("uncrypto"))} } },
  test: { root: ${JSON.stringify(pkg)}, include: ${JSON.stringify(files)}, testTimeout: 20000, hookTimeout: 20000, fileParallelism: false, environment: "node" },
};\n`,
);
const code = await new Promise((res) => {
  const child = spawn("npx", ["vitest", "run", "--config", config], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token },
  });
  child.on("exit", (c) => res(c ?? 1));
});
if (server) process.kill(-server.pid, "SIGKILL");
process.exit(code);
