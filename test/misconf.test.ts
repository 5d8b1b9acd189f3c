// A failed log write never leaves memory and log apart (Redis's MISCONF): the SQLite append throws once,
// repeatedly, then recovers. Under everysec the records stay buffered and are retried in order, writes
// are refused until a retry succeeds, reads go on, INFO and /admin/health say so. Under always the batch
// whose row failed is not acknowledged and the shard resets, so memory never serves its effects.
import { SELF, abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { SqliteAofStore } from "../durable-objects/persistence/sqlite-aof-store.js";
import { encodeCommands } from "../durable-objects/persistence/resp.js";
import { ADMIN_TOKEN, type ShardStub, cmd, exec, execOn, infoField, logBytes, logRows, one, shardNamed, uniq } from "./helpers.js";
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
    // The retry, a second later, writes the kept records as they were, and writes are accepted again.
    expect(await advance(s, 1000)).toBe(1);
    expect([await infoField(s, "aof_last_write_status"), await infoField(s, "aof_buffer_length"), await logBytes(s)]).toEqual(["ok", "0", pending]);
    expect(await exec(s, ["SET", "b", "2"], ["PING"])).toEqual([OK, { status: "PONG" }]);
    expect(await advance(s, 1000)).toBe(1);
    expect(await logBytes(s)).toBe(pending + encodeCommands([["SET", "b", "2"]]));
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

  it("a failed commit of a batch's rows (over 1 MiB, several rows in one transaction) leaves no row of it", async () => {
    const name = uniq("misconf-commit");
    const s = shardNamed(name);
    await config(s, { appendfsync: "always" });
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
