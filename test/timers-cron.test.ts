// The defaults at work on their own: the AOF's everysec and `no` timers write because their time came
// (the shard's timers are fired by moving its clock, test/manual-timers.ts), and the shard's cron runs
// active expiry, save rules and automatic rewrites from its alarm (runDurableObjectAlarm). No test here
// flushes the log or calls alarm() by hand.
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub, exec, infoField, logBytes, logRows, one, settle, shardNamed, uniq } from "./helpers.js";
import { advance, pendingTimers, useManualTimers } from "./manual-timers.js";

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");

/** A fresh shard whose timers and cron only run when the test says. */
async function freshShard(prefix: string, settings: Record<string, string> = {}): Promise<{ name: string; s: ShardStub }> {
  const name = uniq(prefix);
  const s = shardNamed(name);
  await useManualTimers(s);
  for (const [k, v] of Object.entries(settings)) expect(await one(s, "CONFIG", "SET", k, v)).toEqual({ status: "OK" });
  return { name, s };
}

describe("appendfsync everysec (the default) writes on its timer", () => {
  it("the default policy is everysec", async () => {
    const { s } = await freshShard("default-policy");
    expect(await one(s, "CONFIG", "GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
  });

  it("buffers writes, and one second after the first writes them all as one row", async () => {
    const { s } = await freshShard("everysec-row");
    for (let i = 0; i < 10; i++) await one(s, "INCR", "n");
    expect(await logBytes(s)).toBe("");
    expect(await pendingTimers(s)).toBe(1);
    expect(await advance(s, 999)).toBe(0);
    expect(await logBytes(s)).toBe("");
    expect(await advance(s, 1)).toBe(1);
    expect(await logBytes(s)).toBe(resp("SELECT", "0") + resp("INCR", "n").repeat(10));
    expect(await logRows(s)).toBe(1);
    expect(await pendingTimers(s)).toBe(0);
  });

  it("a crash keeps what the timer wrote and loses only the writes of the second since", async () => {
    const { name, s } = await freshShard("everysec-crash");
    for (let i = 0; i < 10; i++) await one(s, "INCR", "n");
    await advance(s, 1000);
    for (let i = 0; i < 5; i++) await one(s, "INCR", "n");
    await advance(s, 999);
    await abortAllDurableObjects();
    expect(await one(shardNamed(name), "GET", "n")).toBe("10");
  });

  it("after the timer fired, the next write arms it again: a row a second while writes go on", async () => {
    const { name, s } = await freshShard("everysec-again");
    await one(s, "SET", "a", "1");
    await advance(s, 1000);
    await one(s, "SET", "b", "2");
    expect(await pendingTimers(s)).toBe(1);
    await advance(s, 1000);
    expect(await logRows(s)).toBe(2);
    expect(await logBytes(s)).toBe(resp("SELECT", "0") + resp("SET", "a", "1") + resp("SET", "b", "2"));
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["GET", "a"], ["GET", "b"])).toEqual(["1", "2"]);
  });

  it("writes at once when 4 MiB are buffered, before the timer", async () => {
    // Values past the test project's MAX_RECORD_BYTES (proto-max-bulk-len's default) fill the buffer in a few commands.
    const { s } = await freshShard("everysec-full", { "proto-max-bulk-len": "2mb" });
    const value = "v".repeat(512 * 1024);
    for (let i = 0; i < 7; i++) await one(s, "SET", `k${i}`, value);
    expect(await logRows(s)).toBe(0);
    await one(s, "SET", "k7", value);
    // 4 MiB and a few bytes of RESP: written as rows of at most 1 MiB.
    expect(await logRows(s)).toBe(5);
    expect((await logBytes(s)).length).toBe(resp("SELECT", "0").length + 8 * resp("SET", "k0", value).length);
  });
});

describe("appendfsync no writes on its 30 s timer or at 16 MiB", () => {
  it("writes 30 seconds after the first buffered write", async () => {
    const { name, s } = await freshShard("no-timer", { appendfsync: "no" });
    await exec(s, ["SET", "a", "1"], ["RPUSH", "l", "x", "y"]);
    expect(await advance(s, 29_999)).toBe(0);
    expect(await logBytes(s)).toBe("");
    expect(await advance(s, 1)).toBe(1);
    expect(await logBytes(s)).toBe(resp("SELECT", "0") + resp("SET", "a", "1") + resp("RPUSH", "l", "x", "y"));
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["GET", "a"], ["LRANGE", "l", 0, -1])).toEqual(["1", ["x", "y"]]);
  });

  it("writes at once when 16 MiB are buffered, before the timer", async () => {
    const { s } = await freshShard("no-full", { appendfsync: "no", "proto-max-bulk-len": "2mb" });
    const value = "v".repeat(1024 * 1024 - 64);
    for (let i = 0; i < 15; i++) await one(s, "SET", `k${i}`, value);
    expect(await logRows(s)).toBe(0);
    await one(s, "SET", "k15", value);
    expect(await logRows(s)).toBe(0);
    await one(s, "SET", "k16", value);
    expect(await logRows(s)).toBe(17);
    expect(await pendingTimers(s)).toBe(1);
  });
});

describe("appendfsync always", () => {
  it("writes the row in the batch's own turn, before its reply, with no timer", async () => {
    const { s } = await freshShard("always", { appendfsync: "always" });
    const seen = await runInDurableObject(s, async (i: Shard, state) => {
      const reply = await i.execute([["SET", "a", "1"]], false, "admin");
      // Nothing else has run since the batch: the row is there already (the output gate holds the reply until it is stored).
      const n = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM aof_segments").one().n;
      return { replies: reply.replies, rows: n };
    });
    expect(seen).toEqual({ replies: [{ status: "OK" }], rows: 1 });
    expect(await logBytes(s)).toBe(resp("SELECT", "0") + resp("SET", "a", "1"));
    expect(await pendingTimers(s)).toBe(0);
  });
});

describe("the cron (the shard's alarm)", () => {
  it("is not armed while nothing needs it", async () => {
    const { s } = await freshShard("cron-idle");
    await one(s, "SET", "a", "1");
    expect(await runDurableObjectAlarm(s)).toBe(false);
  });

  it("expires keys whose time has passed without their being read, and logs each DEL", async () => {
    const { s } = await freshShard("cron-expire", { appendfsync: "always" });
    await exec(s, ["SET", "t1", "x", "PX", "1000"], ["SET", "t2", "x", "PX", "1000"], ["SET", "t3", "x", "PX", "5000"], ["SET", "keep", "x"]);
    await advance(s, 1001);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    const state = await runInDurableObject(s, (i: Shard) => ({ size: i.engine.db.size, keys: [...i.engine.db.expires.keys()] }));
    expect(state).toEqual({ size: 2, keys: ["t3"] });
    expect((await logBytes(s)).endsWith(resp("DEL", "t1") + resp("DEL", "t2"))).toBe(true);
    expect(await one(s, "INFO", "stats")).toContain("\r\nexpired_keys:2\r\n");
    // Still a key with a time to live: the cron stays armed and takes it when its time comes.
    await advance(s, 4000);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await runInDurableObject(s, (i: Shard) => i.engine.db.size)).toBe(1);
    expect((await logBytes(s)).endsWith(resp("DEL", "t3"))).toBe(true);
  });

  it("takes a snapshot when a save rule fires, and not before", async () => {
    const { s } = await freshShard("cron-save", { save: "60 2" });
    await exec(s, ["SET", "a", "1"], ["SET", "b", "2"]);
    expect(await infoField(s, "rdb_changes_since_last_save")).toBe("2");
    // Half the rule's time (the shard's clock also moves with real time, a little).
    await advance(s, 30_000);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    await settle(s);
    expect(await infoField(s, "rdb_saves")).toBe("0");
    await advance(s, 30_001);
    expect(await runDurableObjectAlarm(s)).toBe(true);
    await settle(s);
    expect(await infoField(s, "rdb_saves")).toBe("1");
    expect(await infoField(s, "rdb_changes_since_last_save")).toBe("0");
    expect(await infoField(s, "rdb_last_bgsave_status")).toBe("ok");
    expect(await infoField(s, "rdb_snapshots")).toBe("1");
    // Armed while the save ran (the changes were not yet saved); its next run finds none and does not arm it again.
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await runDurableObjectAlarm(s)).toBe(false);
  });

  it("starts an AOF rewrite when the log has grown by auto-aof-rewrite-percentage past auto-aof-rewrite-min-size", async () => {
    const { name, s } = await freshShard("cron-rewrite", { appendfsync: "always", "aof-use-rdb-preamble": "no", "auto-aof-rewrite-min-size": "2000", "auto-aof-rewrite-percentage": "100" });
    await exec(s, ...Array.from({ length: 10 }, (_, i) => ["SET", `k${i}`, "x".repeat(100)]));
    // 1,3xx bytes: under the minimum size, so no rewrite is wanted and the cron is not armed for it.
    expect(await runDurableObjectAlarm(s)).toBe(false);
    await exec(s, ...Array.from({ length: 10 }, (_, i) => ["SET", `k${i}`, "y".repeat(100)]));
    expect(await runDurableObjectAlarm(s)).toBe(true);
    expect(await infoField(s, "aof_rewrite_in_progress")).toBe("1");
    await settle(s);
    expect(await infoField(s, "aof_rewrites")).toBe("1");
    expect(await infoField(s, "aof_last_bgrewrite_status")).toBe("ok");
    expect(await runInDurableObject(s, (i: Shard) => i.aof.manifest.base.kind)).toBe("aof");
    expect(await logBytes(s)).toBe("");
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["DBSIZE"], ["GET", "k9"])).toEqual([10, "y".repeat(100)]);
  });
});
