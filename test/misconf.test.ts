// A failed log write never leaves memory and log apart (Redis's MISCONF): the SQLite append throws once,
// repeatedly, then recovers. Under everysec the records stay buffered and are retried in order, writes
// are refused until a retry succeeds, reads go on, INFO and /admin/health say so. Under always the batch
// whose row failed is not acknowledged and the shard resets, so memory never serves its effects.
// And stop-writes-on-bgsave-error: a failed snapshot with save rules refuses writes until one succeeds.
import { SELF, abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { SqliteAofStore } from "../durable-objects/persistence/sqlite-aof-store.js";
import { encodeCommands } from "../durable-objects/persistence/resp.js";
import { ADMIN_TOKEN, type ShardStub, cmd, post, exec, execOn, infoField, logBytes, logRows, one, settle, shardNamed, uniq } from "./helpers.js";
import { crashWithTransactionsInFlight, failPartUploads, sendAndCrashAfterFirst } from "./faults.js";
import { advance, useManualTimers } from "./manual-timers.js";

const REASON = "SQLITE_FULL: database or disk is full (injected)";
const MISCONF = `MISCONF Errors writing to the AOF file: ${REASON}`;
const REFUSED = { error: MISCONF };
const OK = { status: "OK" };
const EXECABORT = { error: `EXECABORT Transaction discarded because of previous errors. ${MISCONF}` };

const config = async (s: ShardStub, settings: Record<string, string>) => {
  for (const [k, v] of Object.entries(settings)) expect(await one(s, "CONFIG", "SET", k, v)).toEqual({ status: "OK" });
};

/**
 * The next `times` appends of every shard's log throw, as SQLite answering "disk full" would. Patched on
 * the store's class, so it outlives the resets it causes; put back after each test.
 */
const realAppend = SqliteAofStore.prototype.append;
function failAppends(times: number): void {
  let left = times;
  SqliteAofStore.prototype.append = function (this: SqliteAofStore, bytes: string, nowMs: number) {
    if (left-- > 0) throw new Error(REASON);
    return realAppend.call(this, bytes, nowMs);
  };
}
afterEach(() => {
  SqliteAofStore.prototype.append = realAppend;
});

const health = async () => {
  const res = await SELF.fetch("http://localhost/admin/health", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  return { status: res.status, failing: ((await res.json()) as { failing: string[] }).failing };
};

describe("everysec: an append that fails", () => {
  it("keeps its records, reports err, refuses writes (not reads) with MISCONF, and the retry a second later writes them in order", async () => {
    const name = uniq("misconf-once");
    const s = shardNamed(name);
    await useManualTimers(s);
    expect(await exec(s, ["SET", "a", "1"], ["INCR", "n"])).toEqual([OK, 1]);
    failAppends(1);
    expect(await advance(s, 1000)).toBe(1);
    const pending = encodeCommands([["SELECT", "0"], ["SET", "a", "1"], ["INCR", "n"]]);
    expect([await infoField(s, "aof_last_write_status"), await infoField(s, "aof_buffer_length"), await logRows(s)]).toEqual(["err", String(pending.length), 0]);
    // Writes and PING are refused as Redis refuses them; reads and read-only transactions answer.
    expect(await exec(s, ["SET", "b", "2"], ["GET", "a"], ["PING"], ["INCR", "n"], ["EXISTS", "b"])).toEqual([REFUSED, "1", REFUSED, REFUSED, 0]);
    expect(await execOn(s, [["GET", "a"], ["SET", "c", "1"]], true)).toEqual(EXECABORT);
    expect(await execOn(s, [["GET", "a"], ["GET", "n"]], true)).toEqual(["1", "1"]);
    // Scripts as Redis: one that may write is refused before it runs, an old-style one at its first write.
    expect(
      await exec(s, ["EVAL", "#!lua\nreturn redis.call('SET', 'b', '2')", 0], ["EVAL", "return redis.call('SET', 'b', '2')", 0], ["EVAL", "#!lua flags=no-writes\nreturn redis.call('GET', 'a')", 0]),
    ).toEqual([REFUSED, { error: `${MISCONF} script: 6fd5b784a814f1b9a1983a4b934a750803309fd9, on @user_script:1.` }, "1"]);
    // Nothing may cut the keyspace while the log holds records it could not write: a rewrite or a
    // snapshot numbered before them would hold their effects, and a recovery would apply them twice.
    failAppends(1000);
    expect(await exec(s, ["BGREWRITEAOF"], ["BGSAVE"], ["WAITAOF", 1, 0, 0])).toEqual([
      { error: "ERR Can't execute an AOF background rewriting. Please check the server logs for more information." },
      { status: "Background saving started" },
      [0, 0],
    ]);
    await settle(s);
    expect([await infoField(s, "aof_last_bgrewrite_status"), await infoField(s, "rdb_last_bgsave_status"), await infoField(s, "rdb_snapshots")]).toEqual(["err", "err", "0"]);
    // The retry, a second later, writes the kept records as they were, and writes are accepted again.
    SqliteAofStore.prototype.append = realAppend;
    expect(await advance(s, 1000)).toBe(1);
    expect([await infoField(s, "aof_last_write_status"), await infoField(s, "aof_buffer_length"), await logBytes(s)]).toEqual(["ok", "0", pending]);
    expect(await exec(s, ["SET", "b", "2"], ["PING"], ["WAITAOF", 1, 0, 0])).toEqual([OK, { status: "PONG" }, [1, 0]]);
    expect(pending + encodeCommands([["SET", "b", "2"]])).toBe(await logBytes(s));
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    expect(await infoField(s, "rdb_last_bgsave_status")).toBe("ok");
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["GET", "a"], ["GET", "n"], ["GET", "b"], ["EXISTS", "c"])).toEqual(["1", "1", "2", 0]);
  });

  it("fails again on every retry while the store refuses, then recovers with nothing lost or doubled", async () => {
    const name = uniq("misconf-repeated");
    const s = shardNamed(name);
    await useManualTimers(s);
    await exec(s, ["RPUSH", "l", "a"], ["INCR", "n"]);
    failAppends(4);
    for (let i = 0; i < 4; i++) {
      expect(await advance(s, 1000)).toBe(1);
      expect([await infoField(s, "aof_last_write_status"), await logRows(s)]).toEqual(["err", 0]);
      expect(await exec(s, ["RPUSH", "l", `x${i}`], ["LRANGE", "l", 0, -1])).toEqual([REFUSED, ["a"]]);
    }
    expect(await advance(s, 1000)).toBe(1);
    expect([await infoField(s, "aof_last_write_status"), await logRows(s)]).toEqual(["ok", 1]);
    expect(await exec(s, ["RPUSH", "l", "b"], ["INCR", "n"])).toEqual([2, 2]);
    expect(await advance(s, 1000)).toBe(1);
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["LRANGE", "l", 0, -1], ["GET", "n"])).toEqual([["a", "b"], "2"]);
  });

  it("an automatic rewrite the cron starts while the buffer will not write is counted as failed, and the cron goes on", async () => {
    const name = uniq("misconf-cron-rewrite");
    const s = shardNamed(name);
    await useManualTimers(s);
    await config(s, { "aof-use-rdb-preamble": "no", "auto-aof-rewrite-min-size": "1000", "auto-aof-rewrite-percentage": "100" });
    await exec(s, ...Array.from({ length: 20 }, (_, i) => ["SET", `k${i}`, "x".repeat(100)]));
    failAppends(1);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect([await infoField(s, "aof_last_write_status"), await infoField(s, "aof_last_bgrewrite_status"), await infoField(s, "aof_rewrite_in_progress")]).toEqual(["err", "err", "0"]);
    expect(await advance(s, 1000)).toBe(1);
    expect(await infoField(s, "aof_last_write_status")).toBe("ok");
    await abortAllDurableObjects();
    expect(await one(shardNamed(name), "DBSIZE")).toBe(20);
  });

  it("fails /admin/health with the reason, and answers MISCONF over HTTP, until a retry succeeds", async () => {
    // The shard the worker routes to (SHARDS=1): /admin/health reports it.
    const shard0 = shardNamed("shard-0");
    await useManualTimers(shard0);
    const key = uniq("misconf-http");
    expect((await cmd("SET", key, "1")).body).toEqual({ result: "OK" });
    failAppends(1);
    await advance(shard0, 1000);
    expect(await health()).toEqual({ status: 503, failing: [`shard 0: AOF writes are failing: ${REASON}`] });
    expect((await cmd("SET", key, "2")).body).toEqual({ error: MISCONF });
    expect((await cmd("GET", key)).body).toEqual({ result: "1" });
    await advance(shard0, 1000);
    expect(await health()).toEqual({ status: 200, failing: [] });
    expect((await cmd("SET", key, "2")).body).toEqual({ result: "OK" });
  });
});

describe("always: an append that fails", () => {
  it("is not acknowledged (MISCONF), and the shard resets: after it the batch is absent and every acknowledged write present", async () => {
    const name = uniq("misconf-always");
    const s = shardNamed(name);
    await config(s, { appendfsync: "always" });
    expect(await exec(s, ["SET", "acked", "1"], ["INCR", "n"])).toEqual([OK, 1]);
    failAppends(1);
    await expect(execOn(s, [["SET", "lost", "1"], ["INCR", "n"]])).rejects.toThrow(MISCONF);
    // A new instance, loaded from the log: the failed batch is not there, and writes work again.
    expect(await exec(shardNamed(name), ["GET", "acked"], ["GET", "n"], ["EXISTS", "lost"])).toEqual(["1", "1", 0]);
    expect(await infoField(shardNamed(name), "aof_last_write_status")).toBe("ok");
    expect(await exec(shardNamed(name), ["INCR", "n"])).toEqual([2]);
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["GET", "acked"], ["GET", "n"], ["EXISTS", "lost"])).toEqual(["1", "2", 0]);
  });

  it("resets on every failed batch while the store refuses, and a transaction is all or nothing; then recovers", async () => {
    const name = uniq("misconf-always-repeated");
    await config(shardNamed(name), { appendfsync: "always" });
    await execOn(shardNamed(name), [["INCR", "a"], ["INCR", "b"]], true);
    failAppends(3);
    for (let i = 0; i < 3; i++) {
      await expect(execOn(shardNamed(name), [["INCR", "a"], ["RPUSH", "l", i], ["INCR", "b"]], true)).rejects.toThrow(MISCONF);
      expect(await exec(shardNamed(name), ["GET", "a"], ["GET", "b"], ["EXISTS", "l"])).toEqual(["1", "1", 0]);
    }
    expect(await execOn(shardNamed(name), [["INCR", "a"], ["RPUSH", "l", "ok"], ["INCR", "b"]], true)).toEqual([2, 1, 2]);
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["GET", "a"], ["GET", "b"], ["LRANGE", "l", 0, -1])).toEqual(["2", "2", ["ok"]]);
  });

  it("answers MISCONF over HTTP for the batch whose row failed, and the next request finds it absent", async () => {
    const shard0 = shardNamed("shard-0");
    await config(shard0, { appendfsync: "always" });
    try {
      const key = uniq("misconf-always-http");
      expect((await cmd("SET", key, "1")).body).toEqual({ result: "OK" });
      failAppends(1);
      expect((await cmd("SET", key, "2")).body).toEqual({ error: MISCONF });
      expect((await cmd("GET", key)).body).toEqual({ result: "1" });
    } finally {
      await config(shardNamed("shard-0"), { appendfsync: "everysec" });
    }
  });

  it("under everysec, a request with Durable-Redis-Fsync: always whose rows fail is refused and reset as under always", async () => {
    const shard0 = shardNamed("shard-0");
    await useManualTimers(shard0);
    const key = uniq("misconf-fsync-header");
    expect((await cmd("SET", key, "1")).body).toEqual({ result: "OK" });
    await advance(shard0, 1000);
    failAppends(1);
    const res = await post("/", ["SET", key, "2"], { "durable-redis-fsync": "always" });
    expect(res.body).toEqual({ error: MISCONF });
    expect((await cmd("GET", key)).body).toEqual({ result: "1" });
  });

  it("a failed commit of a batch's rows (over 1 MiB, several rows in one transaction) leaves no row of it", async () => {
    const name = uniq("misconf-commit");
    const s = shardNamed(name);
    // 40 KiB values: past the test project's MAX_RECORD_BYTES, proto-max-bulk-len's default.
    await config(s, { appendfsync: "always", "proto-max-bulk-len": "1mb" });
    await one(s, "SET", "acked", "1");
    const rowsBefore = await logRows(s);
    await runInDurableObject(s, (_i: Shard, state) => {
      const transactionSync = state.storage.transactionSync.bind(state.storage);
      let left = 1;
      state.storage.transactionSync = <T>(fn: () => T): T => {
        // The rows are written, then the transaction fails: SQLite rolls all of them back.
        if (left-- > 0) {
          return transactionSync((): T => {
            fn();
            throw new Error(REASON);
          });
        }
        return transactionSync(fn);
      };
    });
    const big = "v".repeat(40 * 1024);
    const batch = Array.from({ length: 40 }, (_, i) => ["SET", `big${i}`, big]);
    await expect(execOn(s, batch)).rejects.toThrow(MISCONF);
    const back = shardNamed(name);
    expect([await logRows(back), await one(back, "DBSIZE"), await one(back, "GET", "acked")]).toEqual([rowsBefore, 1, "1"]);
  });
});

const RDB_REFUSED = {
  error:
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
};

describe("stop-writes-on-bgsave-error: a snapshot that fails (RDB only, an R2 part upload refused)", () => {
  it("refuses writes (not reads) with Redis's MISCONF text while save rules are set, until a snapshot succeeds", async () => {
    const name = uniq("misconf-rdb");
    const s = shardNamed(name);
    await config(s, { appendonly: "no", save: "3600 1" });
    await exec(s, ["SET", "a", "1"]);
    await failPartUploads(s, 1);
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    expect(await infoField(s, "rdb_last_bgsave_status")).toBe("err");
    expect(await exec(s, ["SET", "b", "2"], ["GET", "a"], ["PING"])).toEqual([RDB_REFUSED, "1", RDB_REFUSED]);
    expect(await execOn(s, [["GET", "a"], ["SET", "b", "2"]], true)).toEqual({ error: `EXECABORT Transaction discarded because of previous errors. ${RDB_REFUSED.error}` });
    // Redis's condition: the option is yes and there are save rules.
    await config(s, { "stop-writes-on-bgsave-error": "no" });
    expect(await one(s, "SET", "b", "2")).toEqual(OK);
    await config(s, { "stop-writes-on-bgsave-error": "yes", save: "" });
    expect(await one(s, "SET", "c", "3")).toEqual(OK);
    await config(s, { save: "3600 1" });
    expect(await one(s, "SET", "d", "4")).toEqual(RDB_REFUSED);
    // BGSAVE is no write: it runs, succeeds, and writes are accepted again.
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    expect(await infoField(s, "rdb_last_bgsave_status")).toBe("ok");
    expect(await one(s, "SET", "d", "4")).toEqual(OK);
    expect(await one(s, "SAVE")).toEqual(OK);
    await abortAllDurableObjects();
    expect(await one(shardNamed(name), "MGET", "a", "b", "c", "d")).toEqual(["1", "2", "3", "4"]);
  });

  it("after a save rule's snapshot fails in the cron, /admin/health fails and writes are refused until the cron's next snapshot succeeds", async () => {
    const shard0 = shardNamed("shard-0");
    await useManualTimers(shard0);
    await config(shard0, { appendonly: "no", save: "10 1" });
    try {
      const key = uniq("misconf-rdb-cron");
      expect((await cmd("SET", key, "1")).body).toEqual({ result: "OK" });
      await failPartUploads(shard0, 1);
      await advance(shard0, 11_000);
      expect(await runDurableObjectAlarm(shard0)).toBe(true);
      await settle(shard0);
      expect(await infoField(shard0, "rdb_last_bgsave_status")).toBe("err");
      expect(await health()).toEqual({ status: 503, failing: ["shard 0: the last snapshot failed"] });
      expect((await cmd("SET", key, "2")).body).toEqual(RDB_REFUSED);
      expect((await cmd("GET", key)).body).toEqual({ result: "1" });
      // Redis waits 5 s before a save rule retries a failed snapshot.
      await advance(shard0, 6_000);
      expect(await runDurableObjectAlarm(shard0)).toBe(true);
      await settle(shard0);
      expect(await infoField(shard0, "rdb_last_bgsave_status")).toBe("ok");
      expect(await health()).toEqual({ status: 200, failing: [] });
      expect((await cmd("SET", key, "2")).body).toEqual({ result: "OK" });
    } finally {
      await config(shardNamed("shard-0"), { appendonly: "yes", save: "" });
    }
  });
});

describe("crashes with requests in flight during a failing-append episode", () => {
  it("always: every other append fails; after each crash every acknowledged transaction is whole, every refused one absent, none half", async () => {
    const name = uniq("misconf-crash-always");
    await config(shardNamed(name), { appendfsync: "always" });
    let appends = 0;
    SqliteAofStore.prototype.append = function (this: SqliteAofStore, bytes: string, nowMs: number) {
      if (appends++ % 2 === 0) throw new Error(REASON);
      return realAppend.call(this, bytes, nowMs);
    };
    const seen = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const { values, outcomes, list } = await crashWithTransactionsInFlight(name, round);
      values.forEach((v, j) => {
        const outcome = outcomes[j] === `rejected: ${MISCONF}` ? "misconf" : outcomes[j];
        seen.add(outcome);
        if (outcome === "acked") expect(list, `round ${round}: ${v} acknowledged, so kept`).toContain(v);
        if (outcome === "misconf") expect(list, `round ${round}: ${v} refused, so absent`).not.toContain(v);
      });
    }
    expect([seen.has("acked"), seen.has("misconf")]).toEqual([true, true]);
  });

  it("everysec: writes are refused while the log fails, so a crash keeps the rows written before it, whole transactions, and nothing refused", async () => {
    // What everysec may lose is its buffer: here the acknowledged transaction the failing write kept
    // for its retry (Redis loses its buffer the same way when it dies before a retry succeeds).
    const name = uniq("misconf-crash-everysec");
    for (let round = 0; round < 4; round++) {
      SqliteAofStore.prototype.append = realAppend;
      const s = shardNamed(name);
      await useManualTimers(s);
      expect(await execOn(s, [["INCR", "a"], ["INCR", "b"]], true)).toEqual([round + 1, round + 1]);
      await advance(s, 1000);
      expect(await execOn(s, [["INCR", "a"], ["INCR", "b"]], true)).toEqual([round + 2, round + 2]);
      failAppends(1000);
      await advance(s, 1000);
      expect(await infoField(s, "aof_last_write_status")).toBe("err");
      const outcomes = await sendAndCrashAfterFirst(s, [[["INCR", "a"], ["INCR", "b"]], [["INCR", "a"], ["INCR", "b"]]], true);
      expect(outcomes[0]).toBe("error");
      expect(outcomes[1]).not.toBe("acked");
      expect(await exec(shardNamed(name), ["GET", "a"], ["GET", "b"])).toEqual([String(round + 1), String(round + 1)]);
    }
  });
});
