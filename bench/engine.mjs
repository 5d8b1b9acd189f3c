// Engine-only benchmarks in Node: collection commands at 1k and 100k elements (per-operation cost
// must not grow linearly with size), and memory per key/element against used_memory's accounting.
import * as bundle from "./.build/lib.mjs";

function opsPerSec(engine, makeArgv, n) {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) engine.execute(makeArgv(i));
  return n / ((performance.now() - t0) / 1000);
}

const fmt = (n) => Math.round(n).toLocaleString("en-US");

/** `lib`: the bundle whose Engine is timed (bench/ab.mjs passes the older build's). */
export async function engineBench(report, { Engine } = bundle) {
  const probe = new Engine();
  const rows = [];
  const cases = [
    ["zadd", "ZADD (new member)", (size) => ["ZADD", "z", String(size + Math.random()), `m:${size}:${Math.random()}`], (size) => Array.from({ length: size }, (_, i) => ["ZADD", "z", String(i), `m${i}`])],
    ["zrange", "ZRANGE 10 from the middle", (size) => ["ZRANGE", "z", String(size >> 1), String((size >> 1) + 9)], null],
    ["zrank", "ZRANK", (size) => ["ZRANK", "z", `m${Math.floor(Math.random() * size)}`], null],
    ["lpush", "LPUSH", () => ["LPUSH", "l", "x"], (size) => Array.from({ length: size }, () => ["RPUSH", "l", "x"])],
    ["lindex", "LINDEX middle", (size) => ["LINDEX", "l", String(size >> 1)], null],
  ];
  for (const [cmd, label, op, fill] of cases) {
    if (!probe.lookup(cmd)) {
      rows.push([label, "—", "—", "—", `skipped: ${cmd.toUpperCase()} not implemented yet`]);
      continue;
    }
    const result = [];
    const filler = fill ?? cases.find((c) => c[0] === (cmd.startsWith("l") ? "lpush" : "zadd"))[3];
    const filled = (size) => {
      const e = new Engine();
      for (const argv of filler(size)) e.execute(argv);
      return e;
    };
    // The JIT's warm-up on a scratch engine, not timed: else the first size pays it, and an A/B
    // compares two builds' warm-ups.
    opsPerSec(filled(1000), () => op(1000), 20_000);
    for (const size of [1000, 100_000]) result.push(opsPerSec(filled(size), () => op(size), 20_000));
    rows.push([label, fmt(result[0]), fmt(result[1]), (result[0] / result[1]).toFixed(2), ""]);
  }
  report.table("Engine: collection operations at 1k vs 100k elements (ops/s)", ["operation", "1k", "100k", "1k ÷ 100k", ""], rows,
    "A ratio near 1 means the cost per operation does not grow with size (O(log n) or O(1)); linear growth would show ~100.");

  // Memory: real heap growth per key against what used_memory charges.
  if (typeof globalThis.gc !== "function") {
    report.note("Memory", "skipped: run with --expose-gc (npm run bench does)");
    return;
  }
  const memRows = [];
  const measure = (label, n, fillFn) => {
    globalThis.gc();
    const before = process.memoryUsage().heapUsed;
    const e = new Engine();
    fillFn(e);
    globalThis.gc();
    const real = (process.memoryUsage().heapUsed - before) / n;
    memRows.push([label, n.toLocaleString("en-US"), real.toFixed(0), (e.db.usedMemory / n).toFixed(0)]);
    return e;
  };
  measure("string keys (key ~10 B, value 16 B)", 1_000_000, (e) => {
    for (let b = 0; b < 1_000_000; b += 1000) e.executeBatch(Array.from({ length: 1000 }, (_, i) => ["SET", `key:${b + i}`, "value-0123456789"]));
  });
  for (const [cmd, label, argv] of [
    ["hset", "hash fields (field ~8 B, value 8 B)", (i) => ["HSET", "h", `f:${i}`, `v:${i}`]],
    ["sadd", "set members (~8 B)", (i) => ["SADD", "s", `m:${i}`]],
    ["zadd", "zset members (~8 B)", (i) => ["ZADD", "z", String(i), `m:${i}`]],
    ["rpush", "list elements (~8 B)", (i) => ["RPUSH", "l", `e:${i}`]],
  ]) {
    if (!probe.lookup(cmd)) {
      memRows.push([label, "—", "—", `skipped: ${cmd.toUpperCase()} not implemented yet`]);
      continue;
    }
    measure(label, 100_000, (e) => {
      for (let i = 0; i < 100_000; i++) e.execute(argv(i));
    });
  }
  report.table("Memory per key or element (bytes)", ["what", "count", "real heap per item", "used_memory charges"], memRows,
    "Real heap is V8's heapUsed growth after a full GC; the charge is the engine's own accounting behind used_memory and maxmemory.");
}
