// Recovery in workerd: the built worker in Miniflare, a shard filled over HTTP, then the runtime
// stopped and started again on the same storage; measured from the new start to the first reply
// that is not LOADING (the faster of two restarts), less the same start with an empty shard. This is the whole restart (R2 read,
// SQLite rows, decoding), where the persistence section measures the engine's load alone.
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_TOKEN, TOKEN, call } from "./http.mjs";

const KEYS = 500_000;
const TAIL = 50_000;
const PER_REQUEST = 1000;

async function start(persist, bindings) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      compatibilityDate: "2026-10-20",
      compatibilityFlags: ["nodejs_compat"],
      modules: true,
      scriptPath: "dist/index.js",
      durableObjects: { SHARD: { className: "Shard", useSQLite: true } },
      r2Buckets: ["SNAPSHOTS"],
      // Durable Object storage and R2 both live here, so a second runtime finds them.
      resourcePersistencePath: persist,
      bindings: {
        REST_TOKEN: TOKEN,
        ADMIN_TOKEN,
        SHARDS: "1",
        APPENDONLY: "yes",
        APPENDFSYNC: "always",
        SAVE: "",
        MAXMEMORY: "120mb",
        MAX_REQUEST_BYTES: "10485760",
        MAX_RECORD_BYTES: "10485760",
        ...bindings,
      },
    }),
  );
  return { mf, url: (await mf.ready).toString().replace(/\/$/, "") };
}

const admin = (url, path, method = "GET") => fetch(`${url}/admin${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }).then((r) => r.json());

async function fill(url, from, to) {
  for (let b = from; b < to; b += PER_REQUEST) {
    const cmds = Array.from({ length: Math.min(PER_REQUEST, to - b) }, (_, i) => ["SET", `key:${b + i}`, `value:${b + i}`]);
    const replies = await call(url, "/pipeline", cmds);
    if (!Array.isArray(replies) || replies.some((r) => r.result !== "OK")) throw new Error(`fill failed: ${JSON.stringify(replies).slice(0, 200)}`);
  }
}

/** Seconds from starting the runtime to the first reply that is not LOADING. */
async function restart(persist, bindings) {
  const t0 = performance.now();
  const { mf, url } = await start(persist, bindings);
  for (;;) {
    const r = await call(url, "/", ["DBSIZE"]);
    if (typeof r.result === "number") return { mf, url, seconds: (performance.now() - t0) / 1000, keys: r.result };
  }
}

/** A shard of KEYS keys and TAIL more writes, restarted twice (the faster counts: the machine is shared): `hybrid` with an RDB base before the TAIL writes, else a pure AOF of them all. */
async function scenario(hybrid) {
  const persist = mkdtempSync(join(tmpdir(), "bench-recovery-"));
  const bindings = { AOF_USE_RDB_PREAMBLE: hybrid ? "yes" : "no" };
  try {
    let { mf, url } = await start(persist, bindings);
    await fill(url, 0, KEYS);
    if (hybrid) {
      await admin(url, "/bgrewriteaof", "POST");
      for (;;) {
        const [info] = await admin(url, "/info?format=json");
        if (info.aof_rewrite_in_progress === 0) break;
      }
    }
    // Both shards take the same writes after, so both hold the same data and log the same tail.
    await fill(url, 0, TAIL);
    await mf.dispose();
    const first = await restart(persist, bindings);
    await first.mf.dispose();
    const r = await restart(persist, bindings);
    r.seconds = Math.min(r.seconds, first.seconds);
    await r.mf.dispose();
    if (r.keys !== KEYS) throw new Error(`recovered ${r.keys} keys, not ${KEYS}`);
    return r.seconds;
  } finally {
    rmSync(persist, { recursive: true, force: true });
  }
}

export async function recoveryBench(report) {
  globalThis.gc?.();
  // The same start with an empty shard: what the runtime itself takes.
  const empty = mkdtempSync(join(tmpdir(), "bench-recovery-"));
  let baseline;
  try {
    const first = await restart(empty, {});
    await first.mf.dispose();
    const r = await restart(empty, {});
    baseline = Math.min(first.seconds, r.seconds);
    await r.mf.dispose();
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  const hybrid = await scenario(true);
  const aof = await scenario(false);
  const rows = [
    ["restart to first reply", baseline.toFixed(3), aof.toFixed(3), hybrid.toFixed(3)],
    ["less the empty start", "", (aof - baseline).toFixed(3), (hybrid - baseline).toFixed(3)],
    ["pure AOF ÷ hybrid", "", "", ((aof - baseline) / (hybrid - baseline)).toFixed(1) + "×"],
  ];
  report.table(
    `Recovery in workerd of ${KEYS.toLocaleString("en-US")} keys (seconds, Miniflare on this machine)`,
    ["", "empty shard", `AOF only, no preamble (${(KEYS + TAIL).toLocaleString("en-US")} commands)`, `RDB base in R2 + ${TAIL.toLocaleString("en-US")} commands`],
    rows,
    "The whole restart of the shard in the local runtime: reading the base from R2 (streamed), the log rows from SQLite, and decoding them. " +
      "Both shards end with the same data after the same last 50,000 writes. Timed apart inside the Durable Object (with this base): decoding " +
      "takes 0.23–0.34 s in a fresh isolate (Node: the table below), R2's get() 7 ms, and reading the 12 MB body from Miniflare's R2 about 0.12 s, " +
      "which asking for the next mebibyte before decoding the last did not shorten here; then the 50,000 commands about 0.08 s.",
  );
}
