import { describe, expect, it } from "vitest";
import { bytesToBinary } from "./engine/bytes.js";
import { restart, testShard } from "./testing.js";

const logText = (s: ReturnType<typeof testShard>) => [...s.stores.aof.segmentsAfter(0)].map((r) => bytesToBinary(r.data)).join("");

describe("AofManager over the in-memory store", () => {
  it("under always, writes each batch's records as a row before the batch returns, SELECT first", () => {
    const s = testShard();
    s.run("SET", "a", "1");
    s.run("INCR", "n");
    expect(logText(s)).toBe("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
    expect(s.stores.aof.lastSeq()).toBe(2);
    expect(s.aof.rowsWritten).toBe(2);
  });

  it("under everysec, keeps records until the timer writes them as one row", () => {
    const s = testShard({ appendfsync: "everysec" });
    s.run("SET", "a", "1");
    s.run("SET", "b", "2");
    expect(s.stores.aof.lastSeq()).toBe(0);
    expect(s.pendingTimers()).toBe(1);
    s.runTimers();
    expect(s.stores.aof.lastSeq()).toBe(1);
    expect(logText(s)).toContain("$1\r\nb\r\n$1\r\n2\r\n");
  });

  it("a failing append keeps its records, says err (and why) until a retry a second later writes them first, in order", () => {
    const s = testShard();
    s.stores.aof.failAppends = new Error("SQLITE_FULL (injected)");
    s.engine.executeBatch([["SET", "a", "1"]]);
    expect(s.aof.afterBatch()).toBe(false);
    expect([s.aof.lastWriteOk, s.aof.writeError(), s.stores.aof.lastSeq()]).toEqual([false, "SQLITE_FULL (injected)", 0]);
    expect(s.aof.info()).toContainEqual(["aof_last_write_status", "err"]);
    expect(() => s.aof.cutSeq()).toThrow("Errors writing to the AOF file: SQLITE_FULL (injected)");
    s.stores.aof.failAppends = null;
    expect(s.runTimers()).toBe(1);
    expect([s.aof.lastWriteOk, s.aof.writeError()]).toEqual([true, null]);
    s.run("SET", "b", "2");
    expect(logText(s)).toBe("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n");
  });

  it("an AOF-form rewrite runs in slices, replaces the covered rows with a base, and the shard recovers the same dataset", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "no" });
    for (let i = 0; i < 500; i++) s.run("SET", `k${i}`, "x".repeat(200));
    s.run("DEL", "k0");
    expect(s.jobs.bgrewriteaof()).toBe("started");
    expect(s.jobs.bgrewriteaof()).toBe("in-progress");
    s.run("SET", "during", "yes"); // lands in the new increment
    expect(s.runTimers()).toBeGreaterThan(1);
    expect(s.aof.rewriteInProgress).toBe(false);
    expect(s.aof.lastRewriteOk).toBe(true);
    expect(s.aof.manifest.base).toMatchObject({ kind: "aof", seq: 501 });
    expect([...s.stores.aof.segmentsAfter(0)].map((r) => r.seq)).toEqual([502]);
    const r = await restart(s);
    expect(r.recovery.loadError).toBe(null);
    expect(r.engine.db.size).toBe(500);
    expect(r.engine.execute(["GET", "during"])).toBe("yes");
    expect(r.engine.execute(["EXISTS", "k0"])).toBe(0);
  });

  it("a rewrite whose staging fails leaves the log as it was and counts the failure", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "no" });
    s.run("SET", "a", "1");
    s.stores.aof.failStage = new Error("SQLITE_IOERR (injected)");
    s.aof.startRewrite();
    s.runTimers();
    expect(s.aof.lastRewriteOk).toBe(false);
    expect(s.aof.rewriteFailures).toBe(1);
    expect(s.aof.manifest.base.kind).toBe("none");
    expect(s.stores.aof.staging).toEqual([]);
    expect((await restart(s)).engine.execute(["GET", "a"])).toBe("1");
  });

  it("a hybrid rewrite stores an RDB base through the snapshot store; a failing upload keeps the old base", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "yes" });
    s.run("SET", "a", "1");
    s.stores.snapshots.failUploads = new Error("R2 500 (injected)");
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    expect(s.aof.lastRewriteOk).toBe(false);
    expect(s.aof.manifest.base.kind).toBe("none");
    expect(s.stores.snapshots.aborted).toHaveLength(1);
    expect(s.stores.snapshots.objects.size).toBe(0);

    s.stores.snapshots.failUploads = null;
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    expect(s.aof.lastRewriteOk).toBe(true);
    expect(s.aof.rewriteFailures).toBe(0);
    const base = s.aof.manifest.base;
    expect(base).toMatchObject({ kind: "rdb", seq: 1 });
    expect(base.kind === "rdb" && s.stores.snapshots.objects.has(base.key)).toBe(true);
    // A snapshot that is the current base is never removed by retention.
    expect(s.aof.isBase(base.kind === "rdb" ? base.key : "")).toBe(true);
    s.run("SET", "b", "2");
    const r = await restart(s);
    expect(r.engine.execute(["MGET", "a", "b"])).toEqual(["1", "2"]);
  });


  it("WAITAOF's sync writes the buffered records now under everysec, and vouches for nothing without an AOF", () => {
    const s = testShard({ appendfsync: "everysec" });
    s.run("SET", "a", "1");
    expect(s.aof.syncNow()).toBe(1);
    expect(s.stores.aof.lastSeq()).toBe(1);
    const off = testShard({ appendonly: "no" });
    expect(off.aof.syncNow()).toBe(0);
  });

  it("a rewrite whose commit transaction fails keeps the old base and log current, and the next one commits", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "no" });
    for (let i = 0; i < 100; i++) s.run("SET", `k${i}`, "v");
    const manifest = structuredClone(s.aof.manifest);
    s.faults.transactions = new Error("SQLITE_IOERR (injected)");
    s.jobs.bgrewriteaof();
    s.runTimers();
    expect([s.aof.lastRewriteOk, s.aof.rewriteFailures, s.aof.rewriteInProgress]).toEqual([false, 1, false]);
    expect(s.aof.manifest).toEqual(manifest);
    expect(s.stores.aof.staging).toEqual([]);
    expect(s.stores.aof.lastSeq()).toBe(100);
    s.faults.transactions = null;
    expect((await restart(s)).engine.db.size).toBe(100);
    s.jobs.bgrewriteaof();
    s.runTimers();
    expect([s.aof.lastRewriteOk, s.aof.rewriteFailures, s.aof.manifest.base.kind]).toEqual([true, 0, "aof"]);
  });

  it("a hybrid rewrite whose commit transaction fails keeps the old manifest; the shard recovers every write", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "yes" });
    s.run("SET", "a", "1");
    s.faults.transactions = new Error("SQLITE_IOERR (injected)");
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    expect([s.aof.lastRewriteOk, s.aof.rewriteFailures]).toEqual([false, 1]);
    expect(s.aof.manifest).toEqual({ base: { kind: "none", seq: 0 } });
    expect(s.snapshots.snapshots).toEqual([]);
    // The object the manifest never recorded is deleted, not left in the bucket.
    expect(s.stores.snapshots.objects.size).toBe(0);
    s.faults.transactions = null;
    s.run("SET", "b", "2");
    expect((await restart(s)).engine.execute(["MGET", "a", "b"])).toEqual(["1", "2"]);
  });

  it("a failing append under always leaves the rows written before it, and recovery has exactly those", async () => {
    const s = testShard();
    s.run("SET", "a", "1");
    s.stores.aof.failAppends = new Error("SQLITE_FULL (injected)");
    s.run("SET", "b", "2");
    expect(s.stores.aof.lastSeq()).toBe(1);
    // The shard resets here (its memory holds b, which the log does not): a restart is what follows.
    s.stores.aof.failAppends = null;
    expect((await restart(s)).engine.execute(["MGET", "a", "b"])).toEqual(["1", null]);
  });
});
