// Memory (issue 14): the heap a shard really uses per byte of used_memory, and the worst case a
// deployed Durable Object (a 128 MiB isolate) must survive on top of its dataset, all alive at once:
// a full-size request overwriting a full-size value during a BGSAVE and an AOF rewrite (both cuts
// keep the old value's bytes), the RDB encoder and the R2 upload's buffered parts, the AOF buffer and
// its flush, and a reply at the reply budget with its RPC serialization. README's "Limits" derives
// the default maxmemory from these figures.
import { execFileSync } from "node:child_process";
import v8 from "node:v8";
import { randomBytes } from "node:crypto";
import { AofRewriter, Engine, KeyspaceCut, RdbWriter, binaryToBytes, encodeCommands, snapshotSlice, snapshotSliceBudget } from "./.build/lib.mjs";

const MiB = 2 ** 20;
/** A Durable Object isolate's memory limit. */
const ISOLATE = 128 * MiB;
/** MAX_REQUEST_BYTES's and MAX_RECORD_BYTES's default (wrangler.toml): one argument may be this long. */
const REQUEST = 10 * MiB;
/** The AOF buffer's size that makes a flush under appendfsync everysec, the default (aof-manager.ts: 4 rows of 1 MiB). */
const AOF_BUFFER = 4 * MiB;
/** What appendfsync no lets the buffer reach before its flush (16 rows). */
const AOF_BUFFER_NO = 16 * MiB;
/** An R2 upload buffers a 5 MiB part being filled plus two in flight (r2-snapshot-store.ts). */
const UPLOAD_BUFFERED = 3 * 5 * MiB;
/** The reply budget of a request (MAX_REPLY_BYTES). */
const REPLY = 16 * MiB;
/** The dataset each shape is filled to, in accounted bytes (used_memory). */
const FILL = 32 * MiB;

const fmtMiB = (n) => (n / MiB).toFixed(1);

/** Heap in use (V8's heap plus array buffers outside it), after full collections. */
function heap() {
  for (let i = 0; i < 4; i++) globalThis.gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** As RPC delivers arguments to a shard (and so with flat strings, as a shard holds them). */
const rpc = (value) => structuredClone(value);

/** An incompressible binary string (LZF cannot shrink it in the RDB encoder). */
const noise = (n) => rpc(randomBytes(n).toString("latin1"));

const SHAPES = [
  ["strings, 10-byte values", (i) => ["SET", `key:${i}`, `value:${i}`.padEnd(10, "v")]],
  ["strings, 1,000-byte values", (i) => ["SET", `key:${i}`, "v".repeat(1000)]],
  ["hashes, 10 fields of 20 bytes", (i) => ["HSET", `h:${i}`, ...Array.from({ length: 10 }, (_, f) => [`field:${f}`, `value:${i}:${f}`.padEnd(20, "v")]).flat()]],
  ["lists, 100 elements of 20 bytes", (i) => ["RPUSH", `l:${i}`, ...Array.from({ length: 100 }, (_, f) => `element:${i}:${f}`.padEnd(20, "e"))]],
  ["sets, 100 members of 20 bytes", (i) => ["SADD", `s:${i}`, ...Array.from({ length: 100 }, (_, f) => `member:${i}:${f}`.padEnd(20, "m"))]],
  ["sorted sets, 100 members of 20 bytes", (i) => ["ZADD", `z:${i}`, ...Array.from({ length: 100 }, (_, f) => [String(f), `member:${i}:${f}`.padEnd(20, "m")]).flat()]],
];

/** Fills the engine to `target` accounted bytes, a batch of 100 commands at a time. */
function fill(e, make, target) {
  for (let i = 0; e.db.usedMemory < target; ) {
    const batch = [];
    for (let k = 0; k < 100; k++) batch.push(make(i++));
    e.executeBatch(rpc(batch));
  }
}

/** Encoded AOF records of small SETs, up to `bytes`. */
function bufferedRecords(bytes) {
  const records = [];
  for (let i = 0, n = 0; n < bytes - 4096; i++) {
    const r = encodeCommands([["SET", `buffered:${i}`, "b".repeat(1000)]]);
    records.push(r);
    n += r.length;
  }
  return records;
}

/** A dataset of small strings and one full-size value, then the worst case made alive on top of it, step by step. */
function measureWorstCase() {
  const before = heap();
  const e = new Engine({ config: { maxmemory: "0" } });
  fill(e, SHAPES[0][1], FILL - REQUEST);
  e.executeBatch([["SET", "big", noise(REQUEST)]]);
  const datasetUsed = e.db.usedMemory;
  const dataset = heap() - before;
  const held = [];
  const steps = [];
  let last = heap();
  const step = (what) => {
    const now = heap();
    steps.push([what, fmtMiB(now - last)]);
    last = now;
  };

  // A BGSAVE (or a hybrid rewrite's base: they never run together) in progress, R2 slow to take its parts.
  const writer = new RdbWriter({ compression: true, checksum: true, config: e.config });
  writer.header({ ctimeSec: 0, usedMem: e.db.usedMemory, aofBase: false });
  writer.selectDb(0, e.db.size, e.db.expires.size);
  const cut = new KeyspaceCut(e.db, (k, v, x) => writer.writeKey(k, v, x));
  e.writeListeners.add((k) => cut.beforeWrite(k));
  const budget = snapshotSliceBudget();
  const parts = [];
  for (let buffered = 0, done = false; buffered < UPLOAD_BUFFERED - REQUEST && !done; ) {
    done = snapshotSlice(cut, writer, budget);
    const chunk = writer.takeChunk();
    parts.push(chunk);
    buffered += chunk.length;
  }
  held.push(parts);
  step("BGSAVE: its cut, the RDB encoder, 5 MiB of parts waiting for R2");

  // An AOF-form rewrite beside it (aof-use-rdb-preamble no): its cut and a row's worth of RESP pending.
  const rewriter = new AofRewriter();
  const rwCut = new KeyspaceCut(e.db, (k, v, x) => rewriter.addKey(k, v, x));
  e.writeListeners.add((k) => rwCut.beforeWrite(k));
  while (rewriter.pendingBytes < MiB && !rwCut.step(32));
  step("AOF rewrite: its cut, 1 MiB of RESP for the next row");

  // The AOF buffer just under its flush size.
  const records = bufferedRecords(AOF_BUFFER);
  held.push(records);
  step("AOF buffer: just under 4 MiB of records (appendfsync everysec)");

  // The full-size request: its argument as RPC delivers it; the overwrite, before which both cuts
  // serialize the old value (10 MiB into the RDB encoder, 10 MiB of RESP into the rewrite); its
  // record; the flush that joins the buffer and writes it a row at a time.
  const request = [["SET", "big", noise(REQUEST)]];
  e.sink = (cmds) => records.push(encodeCommands(cmds));
  e.executeBatch(request);
  held.push(request, writer.takeChunk());
  step("request: a 10 MiB argument overwriting a 10 MiB value mid-save (the save's cut copies the old one)");
  held.push(rewriter.take(0));
  step("… and the AOF rewrite's cut copies it as RESP");
  const joined = records.join("");
  held.push(joined, binaryToBytes(joined.slice(0, MiB)));
  step("the AOF flush: the buffer and the request's record joined, a 1 MiB row");

  // A reply at the budget: stored values, and the RPC's serialization of them.
  const values = [];
  let replyBytes = 0;
  for (const [k, v] of e.db.data) {
    if (replyBytes >= REPLY) break;
    if (typeof v === "string" && k !== "big") {
      values.push(v);
      replyBytes += v.length + 8;
    }
  }
  while (replyBytes < REPLY) {
    values.push(rpc("r".repeat(1000)));
    replyBytes += 1008;
  }
  held.push(values, v8.serialize(values));
  step("reply: 16 MiB of values and its RPC serialization");

  const transient = heap() - before - dataset;
  void held;
  // The part of it an AOF-form rewrite running beside the save adds (only with aof-use-rdb-preamble no:
  // a hybrid rewrite is a save, and two saves never run together).
  const rewriteOnly = steps.filter(([what]) => what.includes("AOF rewrite")).reduce((n, [, mib]) => n + Number(mib) * MiB, 0);
  return { datasetUsed, dataset, steps, transient, rewriteOnly };
}

/** A fresh process's heap with the shard's code loaded and a Lua VM made (as a shard makes one for scripts): the isolate's start. */
function startHeap() {
  const lib = new URL("./.build/lib.mjs", import.meta.url).href;
  const script = `const { Engine, createLuaVm } = await import(${JSON.stringify(lib)});
    const e = new Engine({ createLuaVm }); e.execute(["EVAL", "return 1", "0"]);
    for (let i = 0; i < 4; i++) gc();
    const m = process.memoryUsage(); console.log(m.heapUsed + m.arrayBuffers); void e;`;
  return Number(execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script]).toString().trim());
}

export async function memoryBench(report) {
  const start = startHeap();
  // The worst case first, on a clean heap; then each shape's heap per accounted byte.
  const { datasetUsed, dataset, steps, transient, rewriteOnly } = measureWorstCase();
  const rows = [];
  let worst = { ratio: 0, name: "" };
  for (const [name, make] of SHAPES) {
    const before = heap();
    let e = new Engine({ config: { maxmemory: "0" } });
    // Sampled every 4 MiB: the keyspace's tables double, so the ratio is worst just after a doubling.
    let highest = 0;
    for (let at = 4 * MiB; at <= FILL; at += 4 * MiB) {
      fill(e, make, at);
      highest = Math.max(highest, (heap() - before) / e.db.usedMemory);
    }
    const used = e.db.usedMemory;
    const real = heap() - before;
    rows.push([name, fmtMiB(used), fmtMiB(real), (real / used).toFixed(2), highest.toFixed(2)]);
    if (highest > worst.ratio) worst = { ratio: highest, name };
    e = null;
  }
  report.table("Memory: real heap per accounted byte (used_memory), by shape", ["dataset", "used_memory MiB", "heap MiB", "heap ÷ used_memory", "highest ratio on the way (every 4 MiB)"], rows,
    "Node's V8 (workerd's engine), after full collections, each batch structured-cloned as RPC delivers it; each shape filled to 32 MiB of used_memory. " +
      "The ratio moves with where each table is between two doublings; the derivation below takes the highest seen.");

  // The dataset's heap scales with maxmemory (by the worst shape's ratio); the transient does not. (A
  // write accepted just under the limit may leave the dataset one request over it: the request's
  // argument, counted in the transient, is that value.)
  const maxSafe = (ISOLATE - start - (transient - rewriteOnly)) / worst.ratio;
  const withRewrite = maxSafe - rewriteOnly / worst.ratio;
  const withNo = maxSafe - ((AOF_BUFFER_NO - AOF_BUFFER) * 2) / worst.ratio;
  report.table(
    `Memory: the worst case on top of ${fmtMiB(datasetUsed)} MiB of used_memory (${SHAPES[0][0]}, and one 10 MiB value)`,
    ["what is alive at once", "heap MiB"],
    [
      ["the isolate's start (a fresh process with the shard's code and a Lua VM)", fmtMiB(start)],
      [`the dataset (used_memory ${fmtMiB(datasetUsed)} MiB)`, fmtMiB(dataset)],
      ...steps,
      ["transient: all of the above but the start and the dataset", fmtMiB(transient)],
      ["peak heap: start + dataset + transient (the isolate's limit: 128 MiB)", fmtMiB(start + dataset + transient)],
      [`largest safe maxmemory, defaults (hybrid: a save or a rewrite, never both): (128 MiB − start − transient but the AOF rewrite's rows) ÷ ${worst.ratio.toFixed(2)} (heap per byte at worst, ${worst.name})`, fmtMiB(maxSafe)],
      ["… with aof-use-rdb-preamble no (an AOF rewrite beside a BGSAVE)", fmtMiB(withRewrite)],
      ["… with appendfsync no (its buffer and flush reach 16 MiB, not 4)", fmtMiB(withNo)],
    ],
    "The default maxmemory must stay below the last rows (README, Limits).",
  );
  return { start, ratio: worst.ratio, transient, peak: start + dataset + transient, maxSafe };
}
