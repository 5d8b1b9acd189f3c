// Streams: XADD and XRANGE of 10 from the middle at 1k vs 1M entries (the cost per operation must not
// grow with the stream's length), and memory per entry beside redis-server's MEMORY USAGE of the same
// stream (one field-value pair, value 10 bytes, IDs in order).
import * as bundle from "./.build/lib.mjs";
import { findBinary, startRedis } from "./.build/lib.mjs";

const fmt = (n) => Math.round(n).toLocaleString("en-US");

function opsPerSec(engine, makeArgv, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) engine.execute(makeArgv(i));
  return n / ((performance.now() - t0) / 1000);
}

function filled(Engine, size) {
  // No maxmemory: a million entries is past the default 100 MB, where every XADD would answer OOM.
  const e = new Engine({ config: { maxmemory: "0" } });
  for (let b = 1; b <= size; b += 1000) {
    const batch = [];
    for (let i = b; i < b + 1000 && i <= size; i++) batch.push(["XADD", "s", `${i}-0`, "f", "0123456789"]);
    e.executeBatch(batch);
  }
  return e;
}

/** `lib`: the bundle whose Engine is timed (bench/ab.mjs passes the older build's). */
export async function streamsBench(report, { Engine } = bundle) {
  const rows = [];
  const sizes = [1000, 1_000_000];
  const engines = sizes.map((size) => filled(Engine, size));
  // The JIT's warm-up on a scratch stream, not timed (as in the engine section).
  const scratch = filled(Engine, 1000);
  let warmId = 1001;
  opsPerSec(scratch, () => ["XADD", "s", `${warmId++}-0`, "f", "0123456789"], 50_000);
  opsPerSec(scratch, () => ["XRANGE", "s", "500-0", "+", "COUNT", "10"], 50_000);
  const xadd = engines.map((e, k) => {
    let next = sizes[k] + 1;
    return opsPerSec(e, () => ["XADD", "s", `${next++}-0`, "f", "0123456789"], 50_000);
  });
  rows.push(["XADD (explicit increasing ID)", fmt(xadd[0]), fmt(xadd[1]), (xadd[0] / xadd[1]).toFixed(2)]);
  const xrange = engines.map((e, k) => {
    const mid = sizes[k] >> 1;
    return opsPerSec(e, () => ["XRANGE", "s", `${mid}-0`, "+", "COUNT", "10"], 50_000);
  });
  rows.push(["XRANGE 10 from the middle", fmt(xrange[0]), fmt(xrange[1]), (xrange[0] / xrange[1]).toFixed(2)]);
  report.table("Streams: operations at 1k vs 1M entries (ops/s)", ["operation", "1k", "1M", "1k ÷ 1M"], rows,
    "A ratio near 1: XADD appends to the tail node, XRANGE binary-searches nodes then the node's IDs.");
  engines.length = 0;

  if (typeof globalThis.gc !== "function") return;
  const n = 1_000_000;
  globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  const e = filled(Engine, n);
  globalThis.gc();
  const real = (process.memoryUsage().heapUsed - before) / n;
  const charged = e.db.usedMemory / n;
  let redisPerEntry = "—";
  const bin = findBinary("redis-server");
  if (bin) {
    const redis = await startRedis(bin, ["--appendonly", "no"]);
    try {
      // The same XADDs, 10,000 per script call rather than a million round trips.
      const script = "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('XADD', KEYS[1], i .. '-0', 'f', '0123456789') end";
      for (let b = 1; b <= n; b += 10_000) await redis.client.ok("EVAL", script, "1", "s", String(b), String(Math.min(n, b + 9999)));
      const usage = await redis.client.call("MEMORY", "USAGE", "s", "SAMPLES", "0");
      redisPerEntry = (Number(usage) / n).toFixed(1);
    } finally {
      await redis.stop();
    }
  }
  report.table("Streams: memory per entry (1M entries, one 10-byte value each)", ["", "bytes per entry"], [
    ["durable-redis, V8 heap growth", real.toFixed(0)],
    ["durable-redis, charged to used_memory", charged.toFixed(0)],
    ["redis-server 7.0, MEMORY USAGE ÷ entries", redisPerEntry],
  ], "Redis packs ~100 entries into one listpack with delta-encoded IDs; we keep each entry's ID and values as JS strings in per-node arrays.");
}
