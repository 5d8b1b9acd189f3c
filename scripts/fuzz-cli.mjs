#!/usr/bin/env node
// Runs the fuzzer (scripts/fuzz.ts) against the built worker in Miniflare (workerd, the Durable Objects,
// SQLite storage and R2 under a fresh directory), with wrangler.toml's vars and 1 or more shards, or
// against a running server (--url). Bundles the TypeScript with esbuild first.
//
//   node scripts/fuzz-cli.mjs [--seed 1] [--count 100000] [--shards 1,4] [--concurrency 8] [--check-every 500]
//        [--known skip|include] [--keep 3] [--url http://127.0.0.1:8787 --token T --readonly-token R --admin-token A]
//   node scripts/fuzz-cli.mjs --seed 1 --print 600-699 [--grep FLUSH] [--body-chars 300]   (the requests of a range)
//   node scripts/fuzz-cli.mjs --seed 1 --index 731 [--alone]           (runs the stream up to 731, reports 731's reply)
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundle, bundleAndImport, root } from "./bundle-and-import.mjs";
import { flag, option } from "./cli-args.mjs";

const seed = Number(option("seed", "1"));
const count = Number(option("count", "10000"));
const shardCounts = option("shards", "1,4").split(",").map(Number);
const concurrency = Number(option("concurrency", "8"));
const checkEvery = Number(option("check-every", "500"));
const keep = Number(option("keep", "3"));
const known = option("known", "skip");
const url = option("url", null);
const TOKENS = { data: option("token", "fuzz-token"), readonly: option("readonly-token", "fuzz-readonly-token"), admin: option("admin-token", "fuzz-admin-token") };

// Inside the repository, two levels down: the bundles import packages from node_modules, and
// scripts/cli/testing.ts finds the repository two levels above itself.
const dir = mkdtempSync(join(root, "scripts", ".fuzz-"));
const f = await bundleAndImport("scripts/fuzz.ts", join(dir, "fuzz.mjs"));
const exclude = known === "include" ? [] : f.KNOWN_FAILING;
// The server's record limit: strings reach it, and one past it.
const maxString = Number(option("max-string", String(10 * 1024 * 1024)));

/** Prints requests of the seed's stream (the stream depends on nothing but the seed and options). */
const print = option("print", null);
if (print !== null) {
  const [from, to = from] = print.split("-").map(Number);
  const grep = option("grep", null);
  const stream = new f.RequestStream(seed, { tokens: TOKENS, maxString, exclude });
  for (let i = 0; i <= to; i++) {
    const req = stream.next();
    if (i < from) continue;
    const text = f.describeRequest(req, Number(option("body-chars", "300")));
    if (!grep || text.toLowerCase().includes(grep.toLowerCase())) console.log(`${i} ${text}`);
  }
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

/** wrangler.toml's [vars]: the deployment's defaults. */
function wranglerVars() {
  const text = readFileSync(join(root, "wrangler.toml"), "utf8");
  const vars = {};
  let inVars = false;
  for (const line of text.split("\n")) {
    if (/^\s*\[/.test(line)) inVars = /^\s*\[vars\]\s*$/.test(line);
    else if (inVars) {
      const m = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"(.*)"\s*$/.exec(line);
      if (m) vars[m[1]] = m[2];
    }
  }
  return vars;
}

function sender(base) {
  const send = async (req, retry = true) => {
    try {
      // A bound on each request, so one that never ends shows as such instead of stalling the run
      // (and letting the idle shards be evicted, which would read as resets).
      const signal = AbortSignal.timeout(60_000);
      const res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body, redirect: "manual", signal });
      return { status: res.status, text: await res.text() };
    } catch (e) {
      // The server answered (401, 413, …) before reading the whole body and closed the connection:
      // the request was refused, not lost.
      if (e.cause?.code === "EPIPE" || e.cause?.code === "ECONNRESET") return { status: "dropped", text: "" };
      // A kept-alive connection the server had just closed (undici's "other side closed"): once more on a new one.
      if (retry && e.cause?.code === "UND_ERR_SOCKET") return send(req, false);
      // undici says "fetch failed" and keeps the reason in `cause`.
      throw new Error(`${e.message}${e.cause ? `: ${e.cause.message ?? e.cause}` : ""}`);
    }
  };
  return (req) => send(req);
}

async function startServer(shards) {
  const state = mkdtempSync(join(tmpdir(), `fuzz-state-${shards}-`));
  const { startWorker } = await import(pathToFileURL(join(dir, "testing.mjs")).href);
  const worker = await startWorker(shards, state, { bindings: { ...wranglerVars(), SHARDS: String(shards), REST_TOKEN: TOKENS.data, READONLY_REST_TOKEN: TOKENS.readonly, ADMIN_TOKEN: TOKENS.admin } });
  return { url: worker.url, dispose: async () => (await worker.dispose(), rmSync(state, { recursive: true, force: true })) };
}

if (!url) {
  bundle("scripts/cli/testing.ts", join(dir, "testing.mjs"), ["--packages=external"]);
}

const index = option("index", null);
let failed = 0;
try {
  for (const shards of url ? [Number(option("shards", "1"))] : shardCounts) {
    const server = url ? { url, dispose: async () => {} } : await startServer(shards);
    try {
      const send = sender(server.url);
      if (index !== null) {
        // Replays the stream up to the request, then shows its reply.
        const stream = new f.RequestStream(seed, { tokens: TOKENS, maxString, exclude });
        // --alone: only that request, on a fresh server (quicker, when the earlier ones do not matter).
        for (let i = 0; i < Number(index); i++) {
          const earlier = stream.next();
          if (!flag("alone")) await send(earlier).catch(() => {});
        }
        const req = stream.next();
        console.log(f.describeRequest(req));
        const res = await send(req).catch((e) => ({ status: "no response", text: String(e) }));
        console.log(`→ ${res.status} ${res.text.slice(0, 2000)}`);
        continue;
      }
      const started = Date.now();
      const result = await f.runFuzz(send, {
        seed,
        count,
        shards,
        tokens: TOKENS,
        maxString,
        exclude,
        checkEvery,
        concurrency,
        keepPerKind: keep,
        maxRequestBytes: url ? Number(option("max-request", "10485760")) : Number(wranglerVars().MAX_REQUEST_BYTES),
        progress: (done) => {
          if (done % 10000 === 0) process.stderr.write(`  ${shards} shard(s): ${done} requests, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        },
      });
      console.log(f.formatResult(result));
      console.log(`  (${((Date.now() - started) / 1000).toFixed(1)} s; known-failing classes ${known === "include" ? "included" : `left out: ${exclude.map((e) => e.name).join(", ") || "none"}`})`);
      if (!f.clean(result)) failed++;
    } finally {
      await server.dispose();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
