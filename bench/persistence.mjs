// Persistence benchmarks in Node: RDB save/load of 1,000,000 keys beside a real redis-server, the
// longest pause of a forkless BGSAVE under writes, and recovery of 500,000 keys from an RDB base, a
// pure AOF, and a base plus 50,000 logged commands, beside redis-server loading the same files.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { snapshotSlice, snapshotSliceBudget, AofRewriter, Engine, KeyspaceCut, RdbWriter, binaryToBytes, encodeCommands, encodeRdb, findBinary, loadRdbInto, replayAof, startRedis } from "./.build/lib.mjs";

const fmt = (n) => Math.round(n).toLocaleString("en-US");
const secs = (ms) => (ms / 1000).toFixed(3);

function stringKeys(n) {
  const e = new Engine();
  for (let b = 0; b < n; b += 1000) e.executeBatch(Array.from({ length: Math.min(1000, n - b) }, (_, i) => ["SET", `key:${b + i}`, `value:${b + i}`]));
  // A figure about n keys must be about n keys (a maxmemory once stopped this at a quarter of them).
  if (e.db.data.size !== n) throw new Error(`stringKeys: ${e.db.data.size} keys, not ${n}`);
  return e;
}

const entriesOf = (db) => [...db.data].map(([k, v]) => [k, v, db.expires.get(k)]);

/** Starts redis-server on files in `dir`; returns how long it said loading took (from its log). */
async function redisLoadSeconds(bin, args) {
  const t0 = performance.now();
  const r = await startRedis(bin, args, 120_000);
  const wall = performance.now() - t0;
  const m = /DB loaded from (?:disk|append only file|base file [^:]*): ([\d.]+) seconds/.exec(r.log()) ?? /Done loading RDB.*?([\d.]+) seconds/.exec(r.log());
  return { r, seconds: m ? Number(m[1]) : wall / 1000 };
}

export async function persistenceBench(report) {
  const redis = findBinary("redis-server");
  const dir = mkdtempSync(join(tmpdir(), "bench-persist-"));
  try {
    // RDB save and load of 1,000,000 small string keys.
    const N = 1_000_000;
    const big = stringKeys(N);
    let t0 = performance.now();
    const file = encodeRdb(entriesOf(big.db));
    const saveMs = performance.now() - t0;
    t0 = performance.now();
    const back = new Engine();
    loadRdbInto(back.db, file, { checksum: true });
    const loadMs = performance.now() - t0;
    if (back.db.data.size !== N) throw new Error(`RDB load: ${back.db.data.size} keys, not ${N}`);
    const rows = [["durable-redis", secs(saveMs), fmt(N / (saveMs / 1000)), secs(loadMs), fmt(N / (loadMs / 1000)), (file.length / 2 ** 20).toFixed(1)]];
    let redisLoad = null;
    if (redis) {
      writeFileSync(join(dir, "dump.rdb"), file);
      const { r, seconds } = await redisLoadSeconds(redis, ["--dir", dir, "--dbfilename", "dump.rdb", "--appendonly", "no"]);
      redisLoad = seconds;
      const s0 = performance.now();
      await r.client.call("SAVE");
      const redisSave = performance.now() - s0;
      await r.stop();
      rows.push(["redis-server 7", secs(redisSave), fmt(N / (redisSave / 1000)), seconds.toFixed(3), fmt(N / seconds), ""]);
      rows.push(["ours ÷ redis (time)", (saveMs / redisSave).toFixed(2), "", (loadMs / 1000 / seconds).toFixed(2), "", ""]);
    }
    report.table("RDB: save and load of 1,000,000 small string keys", ["", "save s", "keys/s", "load s", "keys/s", "file MiB"], rows,
      redis ? "Goal: load ≤ 1.5 × Redis's time." : "redis-server not installed: apt-get install -y redis-server for the reference.");

    // The longest pause of a forkless BGSAVE of 500,000 keys under writes, sliced as the shard slices it.
    const K = 500_000;
    const e = stringKeys(K);
    const writer = new RdbWriter();
    writer.header({ ctimeSec: 0, usedMem: 0, aofBase: false });
    writer.selectDb(0, e.db.size, 0);
    const cut = new KeyspaceCut(e.db, (k, v, x) => writer.writeKey(k, v, x));
    e.writeListeners.add((k) => cut.beforeWrite(k));
    let longest = 0;
    let slices = 0;
    let writes = 0;
    const budget = snapshotSliceBudget();
    for (let done = false; !done; ) {
      const s = performance.now();
      done = snapshotSlice(cut, writer, budget);
      writer.takeChunk();
      longest = Math.max(longest, performance.now() - s);
      slices++;
      // Requests between slices: 20 writes to random keys (copied before mutate when not yet saved).
      for (let i = 0; i < 20; i++, writes++) e.execute(["SET", `key:${Math.floor(Math.random() * K)}`, "changed"]);
    }
    report.table("Forkless BGSAVE of 500,000 keys under writes", ["slices", "writes during the save", "longest pause ms", "copied-before-mutate bytes"],
      [[slices, writes, longest.toFixed(2), fmt(cut.copiedBytes)]], "Goal: longest pause ≤ 10 ms.");

    // Recovery of 500,000 keys: RDB base, pure AOF, base + 50,000 commands.
    const base = encodeRdb(entriesOf(e.db));
    const rw = new AofRewriter();
    for (const [k, v, x] of entriesOf(e.db)) rw.addKey(k, v, x);
    const aof = binaryToBytes(rw.take(0));
    const tail = binaryToBytes(encodeCommands(Array.from({ length: 50_000 }, (_, i) => ["SET", `key:${i * 7}`, `after:${i}`])));
    // The best of three for each, after a full collection, each run's dataset dropped before the next
    // (a single run on this shared machine moved by half from one bench to the next); redis-server's
    // loads are the better of two.
    const time = (f) => {
      let best = Infinity;
      for (let run = 0; run < 3; run++) {
        globalThis.gc?.();
        const s = performance.now();
        f();
        best = Math.min(best, performance.now() - s);
      }
      return best / 1000;
    };
    const rowsOf = (bytes) => [{ seq: 1, data: bytes, valid: true, createdMs: 0 }];
    // Each load must end with every key (the tail's keys are among the base's).
    const expectAll = (x, what) => {
      if (x.db.data.size !== K) throw new Error(`${what}: ${x.db.data.size} keys after the load, not ${K}`);
    };
    const tBase = time(() => {
      const x = new Engine();
      loadRdbInto(x.db, base, { checksum: true });
      expectAll(x, "(a)");
    });
    // (b) holds the same data as (c): the base in command form, then the same 50,000 commands.
    const tAof = time(() => {
      const x = new Engine();
      replayAof(x, [...rowsOf(aof), { ...rowsOf(tail)[0], seq: 2 }]);
      expectAll(x, "(b)");
    });
    const tHybrid = time(() => {
      const x = new Engine();
      loadRdbInto(x.db, base, { checksum: true });
      replayAof(x, rowsOf(tail));
      expectAll(x, "(c)");
    });
    const redisBest = async (args) => {
      let best = Infinity;
      for (let run = 0; run < 2; run++) {
        const { r, seconds } = await redisLoadSeconds(redis, args);
        await r.stop();
        best = Math.min(best, seconds);
      }
      return best;
    };
    const rec = [["durable-redis", tBase.toFixed(3), tAof.toFixed(3), tHybrid.toFixed(3)]];
    if (redis) {
      writeFileSync(join(dir, "base.rdb"), base);
      const rBase = await redisBest(["--dir", dir, "--dbfilename", "base.rdb", "--appendonly", "no"]);
      for (const [name, content] of [["aofonly", [aof, tail]], ["hybrid", [base, tail]]]) {
        const d = join(dir, name, "appendonlydir");
        mkdirSync(d, { recursive: true });
        const baseName = name === "aofonly" ? "appendonly.aof.1.base.aof" : "appendonly.aof.1.base.rdb";
        writeFileSync(join(d, baseName), content[0]);
        writeFileSync(join(d, "appendonly.aof.1.incr.aof"), content[1]);
        writeFileSync(join(d, "appendonly.aof.manifest"), `file ${baseName} seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n`);
      }
      const rAof = await redisBest(["--dir", join(dir, "aofonly"), "--appendonly", "yes"]);
      const rHybrid = await redisBest(["--dir", join(dir, "hybrid"), "--appendonly", "yes"]);
      rec.push(["redis-server 7", rBase.toFixed(3), rAof.toFixed(3), rHybrid.toFixed(3)]);
      rec.push(["ours ÷ redis", (tBase / rBase).toFixed(2), (tAof / rAof).toFixed(2), (tHybrid / rHybrid).toFixed(2)]);
      rec.push(["pure AOF ÷ hybrid (redis)", "", "", (rAof / rHybrid).toFixed(1) + "×"]);
    }
    rec.push(["pure AOF ÷ hybrid (ours)", "", "", (tAof / tHybrid).toFixed(1) + "×"]);
    report.table("Recovery of 500,000 keys (seconds)", ["", "(a) RDB base only", "(b) AOF only, no preamble, + 50,000", "(c) base + 50,000 commands"], rec,
      "Goals: hybrid recovery ≤ 1.5 × Redis's own load time for the same data, and ≥ 5 × faster than pure-AOF replay. Our figures are the engine's load in Node (the shard's own work, without reading R2). " +
        "(b) and (c) end with the same data and the same 50,000 logged commands, so even a base that cost nothing to load would make (c) at most 11 × faster than (b); " +
        "5 × needs a base key to load in a tenth of the time a logged SET takes to replay, where loading and replaying a small string key do the same work (allocate key and value, insert).");
    void redisLoad;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
