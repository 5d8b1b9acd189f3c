// HTTP benchmark: the built worker and a trivial "floor" worker (one Durable Object hop, no logic),
// both in Miniflare started from this process, driven over 127.0.0.1 with bounded load.
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const TOKEN = "bench-token";
/** Runs CONFIG SET and the other @admin commands, which the data token may not. */
export const ADMIN_TOKEN = `${TOKEN}-admin`;

const FLOOR_SCRIPT = `
import { DurableObject } from "cloudflare:workers";
export class Floor extends DurableObject {
  async execute(body) { return body.length >= 0 ? '{"result":"OK"}' : ""; }
}
export default {
  async fetch(req, env) {
    const body = await req.text();
    const stub = env.FLOOR.get(env.FLOOR.idFromName("floor"));
    return new Response(await stub.execute(body), { headers: { "content-type": "application/json" } });
  },
};`;

const common = { host: "127.0.0.1", port: 0, compatibilityDate: "2026-10-20", compatibilityFlags: ["nodejs_compat"], modules: true };

/** Our built worker in Miniflare; `scriptPath` names another build of it (the A/B bench starts an older one). */
export async function startOurs(extraBindings = {}, scriptPath = "dist/index.js") {
  const persist = mkdtempSync(join(tmpdir(), "bench-state-"));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      ...common,
      scriptPath,
      durableObjects: { SHARD: { className: "Shard", useSQLite: true }, PUBSUB: { className: "PubSubHub", useSQLite: true } },
      r2Buckets: ["SNAPSHOTS"],
      durableObjectsPersist: join(persist, "do"),
      r2Persist: join(persist, "r2"),
      bindings: { REST_TOKEN: TOKEN, ADMIN_TOKEN, SHARDS: "1", PUBSUB_HUBS: "1", APPENDONLY: "yes", APPENDFSYNC: "everysec", AOF_USE_RDB_PREAMBLE: "yes", SAVE: "", MAXMEMORY: "100mb", MAXMEMORY_POLICY: "noeviction", MAX_REQUEST_BYTES: "10485760", MAX_RECORD_BYTES: "10485760", ...extraBindings },
    }),
  );
  return { mf, url: (await mf.ready).toString().replace(/\/$/, "") };
}

export async function startFloor() {
  const mf = new Miniflare(
    convertV4MiniflareOptions({ ...common, script: FLOOR_SCRIPT, durableObjects: { FLOOR: { className: "Floor", useSQLite: true } } }),
  );
  return { mf, url: (await mf.ready).toString().replace(/\/$/, "") };
}

export async function call(url, path, body, token = TOKEN) {
  const res = await fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return res.json();
}

/**
 * Sends `total` requests (or stops after `maxMs`) with `inFlight` at a time; returns ops/s (each
 * request counts `opsPerRequest`) and latency percentiles in ms.
 */
export async function load(url, path, makeBody, { inFlight, total, maxMs = 4000, opsPerRequest = 1, headers = {} }) {
  const latencies = [];
  let sent = 0;
  const started = performance.now();
  const deadline = started + maxMs;
  const worker = async () => {
    while (sent < total && performance.now() < deadline) {
      const i = sent++;
      const t0 = performance.now();
      const res = await fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, ...headers }, body: makeBody(i) });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`HTTP ${res.status} from ${path}`);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { ops: (latencies.length * opsPerRequest) / seconds, p50: pct(50), p99: pct(99), requests: latencies.length };
}

/** The round whose key is the median (of an odd number of rounds). */
function medianRound(rounds, key) {
  const sorted = [...rounds].sort((a, b) => key(a) - key(b));
  return sorted[(sorted.length - 1) >> 1];
}

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2));

export async function httpBench(report) {
  const ours = await startOurs();
  const floor = await startFloor();
  try {
    const rows = [];
    const setBody = (i) => JSON.stringify(["SET", `key:${i % 10000}`, "value-0123456789"]);
    const getBody = (i) => JSON.stringify(["GET", `key:${i % 10000}`]);
    const pipeBody = (i) => JSON.stringify(Array.from({ length: 100 }, (_, j) => ["SET", `key:${(i * 100 + j) % 10000}`, "value-0123456789"]));
    // Warm both up (JIT, Durable Object creation).
    await load(ours.url, "/", setBody, { inFlight: 8, total: 500 });
    await load(floor.url, "/", setBody, { inFlight: 8, total: 500 });
    // Each scenario three times, ours and the floor back to back in each round, and the round whose ratio
    // is the median: one run of a few seconds on this shared machine can move by half, and the two runs of a
    // round share whatever the machine was doing then.
    const single = {};
    for (const [name, path, body, opsPerRequest, total] of [
      ["SET", "/", setBody, 1, 6000],
      ["GET", "/", getBody, 1, 6000],
      ["pipeline of 100 SET", "/pipeline", pipeBody, 100, 600],
    ]) {
      for (const inFlight of [1, 32]) {
        const rounds = [];
        for (let round = 0; round < 3; round++) {
          // The side that goes first alternates, so neither always runs after the other.
          const run = (url) => load(url, path, body, { inFlight, total, opsPerRequest });
          const o = round % 2 === 0 ? await run(ours.url) : null;
          const f = await run(floor.url);
          rounds.push({ o: o ?? (await run(ours.url)), f });
        }
        const { o, f } = medianRound(rounds, (r) => r.o.ops / r.f.ops);
        if (opsPerRequest === 1) single[`${name}@${inFlight}`] = o.ops;
        rows.push([`${name}, ${inFlight} in flight`, fmt(o.ops), fmt(o.p50), fmt(o.p99), fmt(f.ops), fmt(f.p50), fmt(f.p99), (o.ops / f.ops).toFixed(2)]);
        if (opsPerRequest === 100) rows[rows.length - 1].push(`${(o.ops / single[`SET@${inFlight}`]).toFixed(0)}×`);
        else rows[rows.length - 1].push("");
      }
    }
    report.table(
      "HTTP: ours vs the floor worker (ops/s, latency ms)",
      ["scenario", "ours ops/s", "p50", "p99", "floor ops/s", "p50", "p99", "ours/floor", "pipeline ÷ single SET"],
      rows,
      "Each row is the median of three rounds by ratio, ours and the floor run back to back in each. Goals: single SET/GET at 32 in flight ours/floor ≥ 0.8; pipelines of 100 ≥ 50× the ops/s of single commands.",
    );

    // appendonly no / appendfsync everysec / always, side by side, and storage rows per 1,000 writes;
    // then everysec with every write made durable before its reply (WAITAOF after it, or the
    // Durable-Redis-Fsync header), which should cost what always costs.
    // Three rounds, the policies taking turns within each; each policy shows the round whose ratio to
    // appendonly no in the same round is the median, for the reason the HTTP table does.
    const everysec = [["appendonly", "yes"], ["appendfsync", "everysec"]];
    const setWaitaofBody = (i) => JSON.stringify([["SET", `key:${i % 10000}`, "value-0123456789"], ["WAITAOF", "1", "0", "0"]]);
    const policies = [
      ["appendonly no", [["appendonly", "no"]]],
      ["appendfsync everysec", everysec],
      ["appendfsync always", [["appendonly", "yes"], ["appendfsync", "always"]]],
      ["everysec + WAITAOF 1 0 0 each", everysec, { path: "/pipeline", body: setWaitaofBody }],
      ["everysec + Durable-Redis-Fsync", everysec, { headers: { "durable-redis-fsync": "always" } }],
    ];
    const rounds = [];
    const written = {};
    for (let round = 0; round < 3; round++) {
      const runs = {};
      for (const [label, settings, how = {}] of policies) {
        for (const [k, v] of settings) await call(ours.url, "/", ["CONFIG", "SET", k, v], ADMIN_TOKEN);
        const rowsBefore = await rowsWritten(ours.url);
        runs[label] = await load(ours.url, how.path ?? "/", how.body ?? setBody, { inFlight: 32, total: 6000, headers: how.headers });
        // everysec's last row is written by its timer within a second.
        await new Promise((res) => setTimeout(res, 1100));
        const w = (written[label] ??= { requests: 0, rows: 0 });
        w.requests += runs[label].requests;
        w.rows += (await rowsWritten(ours.url)) - rowsBefore;
      }
      rounds.push(runs);
    }
    const policyRows = policies.map(([label]) => {
      const runs = medianRound(rounds, (r) => (label === "appendonly no" ? r[label].ops : r[label].ops / r["appendonly no"].ops));
      const r = runs[label];
      const w = written[label];
      return [label, fmt(r.ops), fmt(r.p50), fmt(r.p99), w.requests, w.rows, ((w.rows * 1000) / w.requests).toFixed(1), (r.ops / runs["appendonly no"].ops).toFixed(2)];
    });
    report.table(
      "AOF policies: SET at 32 in flight",
      ["policy", "ops/s", "p50 ms", "p99 ms", "writes", "SQLite rows written", "rows per 1,000 writes", "ops/s ÷ appendonly no"],
      policyRows,
      "Ops/s, latencies and the ratio are from the round whose ratio is the median of three; writes and rows are the three rounds together. " +
        "Goals: everysec ≥ 0.9 × no, always ≥ 0.5 × no; everysec writes ≤ 1 row per second per shard; everysec with WAITAOF or the header on every write ≈ always (one SET per request, WAITAOF in the same pipeline).",
    );
  } finally {
    await ours.mf.dispose();
    await floor.mf.dispose();
  }
}

async function rowsWritten(url) {
  const info = (await call(url, "/", ["INFO", "persistence"])).result;
  return Number(/aof_rows_written:(\d+)/.exec(info)[1]);
}
