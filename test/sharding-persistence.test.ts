// Runs with SHARDS=4 only: persistence across four shards. All four restart and crash together (one
// abortAllDurableObjects), with requests in flight; each shard runs its own cron, saves on its own rules
// and rewrites its own log, to its own prefix in R2. Requests go through the worker, as clients send them.
import { abortAllDurableObjects, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { keySlot, slotShard } from "../durable-objects/engine/slots.js";
import { adminCmd, cmd, infoField, one, post, settle, type ShardStub, uniq } from "./helpers.js";
import { advance, useManualTimers } from "./manual-timers.js";

const SHARDS = [0, 1, 2, 3];
const stubOf = (n: number): ShardStub => env.SHARD.get(env.SHARD.idFromName(`shard-${n}`)) as ShardStub;
/** CONFIG SET through the worker: it goes to every shard. */
const configSet = async (...pairs: string[]) => expect((await adminCmd("CONFIG", "SET", ...pairs)).body).toEqual({ result: "OK" });

/** n keys under a prefix, with the shard each lands on; at least one key per shard. */
function keysOver(prefix: string, n: number): { key: string; shard: number }[] {
  // Hash tags: `{k}` and `{k}:l` are in one slot, so one pipeline to one shard writes both.
  const keys = Array.from({ length: n }, (_, i) => ({ key: `{${prefix}:${i}}`, shard: slotShard(keySlot(`{${prefix}:${i}}`), 4) }));
  expect(new Set(keys.map((k) => k.shard)).size).toBe(4);
  return keys;
}

/** Every shard's keys under a prefix, read from each shard's memory. */
const keysOnShards = (prefix: string) =>
  Promise.all(SHARDS.map((n) => runInDurableObject(stubOf(n), (i: Shard) => [...i.engine.db.data.keys()].filter((k) => k.startsWith(`{${prefix}:`) && k.endsWith("}")).length)));

describe("four shards: restarts and crashes together", () => {
  it("after all four crash at once, every acknowledged write is back on its own shard (always)", async () => {
    await configSet("appendfsync", "always");
    const prefix = uniq("four");
    const keys = keysOver(prefix, 200);
    for (let b = 0; b < 200; b += 50) {
      const batch = keys.slice(b, b + 50).flatMap(({ key }, i) => [key, `v${b + i}`]);
      expect((await cmd("MSET", ...batch)).body).toEqual({ result: "OK" });
    }
    expect((await cmd("INCRBY", keys[0].key + ":n", 7)).body).toEqual({ result: 7 });
    const before = await keysOnShards(prefix);
    expect(before).toEqual(SHARDS.map((n) => keys.filter((k) => k.shard === n).length));
    await abortAllDurableObjects();
    expect(await keysOnShards(prefix)).toEqual(before);
    const got = await cmd("MGET", ...keys.map((k) => k.key));
    expect(got.body).toEqual({ result: keys.map((_, i) => `v${i}`) });
    expect((await cmd("GET", keys[0].key + ":n")).body).toEqual({ result: "7" });
    // The setting each shard kept is back too.
    for (const n of SHARDS) expect(await one(stubOf(n), "CONFIG", "GET", "appendfsync")).toEqual(["appendfsync", "always"]);
  });

  it("a crash with pipelines to every shard in flight keeps whole the ones acknowledged", async () => {
    await configSet("appendfsync", "always");
    const prefix = uniq("four-inflight");
    const keys = keysOver(prefix, 8);
    const counts = new Map(keys.map(({ key }) => [key, 0]));
    for (let round = 0; round < 6; round++) {
      const sent = keys.map(({ key }) => post("/pipeline", [["INCR", key], ["RPUSH", `${key}:l`, String(round)]]));
      await abortAllDurableObjects();
      const replies = await Promise.allSettled(sent);
      for (const [i, { key }] of keys.entries()) {
        const r = replies[i];
        const acknowledged = r.status === "fulfilled" && r.value.status === 200 && r.value.body.every((x: { error?: string }) => x.error === undefined);
        const [n, len] = ((await post("/pipeline", [["GET", key], ["LLEN", `${key}:l`]])).body as { result: unknown }[]).map((x) => Number(x.result ?? 0));
        const was = counts.get(key)!;
        // The pipeline is one batch on one shard: both of its writes or neither, and both when acknowledged.
        expect(n, `${key} round ${round}`).toBe(len);
        expect(acknowledged ? [was + 1] : [was, was + 1], `${key} round ${round}`).toContain(n);
        counts.set(key, n);
      }
    }
  });
});

describe("four shards: each shard's cron", () => {
  it("each shard saves on its own rule and rewrites its own log, to its own prefix, from its own alarm", async () => {
    for (const n of SHARDS) await useManualTimers(stubOf(n));
    await configSet("save", "1 1", "auto-aof-rewrite-min-size", "1", "auto-aof-rewrite-percentage", "1", "appendfsync", "always");
    const prefix = uniq("four-cron");
    const keys = keysOver(prefix, 40);
    expect((await cmd("MSET", ...keys.flatMap(({ key }) => [key, "x".repeat(200)]))).body).toEqual({ result: "OK" });
    const savesBefore = await Promise.all(SHARDS.map(async (n) => Number(await infoField(stubOf(n), "rdb_saves"))));
    const rewritesBefore = await Promise.all(SHARDS.map(async (n) => Number(await infoField(stubOf(n), "aof_rewrites"))));
    for (const n of SHARDS) {
      await advance(stubOf(n), 2000);
      // The first run starts the rewrite (its base is a snapshot, so the save waits); the next, the save.
      for (let run = 0; run < 2; run++) {
        expect(await runDurableObjectAlarm(stubOf(n)), `shard-${n}'s cron is armed (run ${run})`).toBe(true);
        await settle(stubOf(n));
      }
    }
    for (const n of SHARDS) {
      const s = stubOf(n);
      expect([n, Number(await infoField(s, "rdb_saves"))]).toEqual([n, savesBefore[n] + 1]);
      expect([n, Number(await infoField(s, "aof_rewrites"))]).toEqual([n, rewritesBefore[n] + 1]);
      const where = await runInDurableObject(s, (i: Shard) => ({ base: i.aof.manifest.base, snapshots: i.snapshots.snapshots.map((r) => r.key) }));
      expect(where.base.kind).toBe("rdb");
      expect((where.base as { key: string }).key).toMatch(new RegExp(`^durable-redis/shard-${n}/`));
      for (const key of where.snapshots) expect(key).toMatch(new RegExp(`^durable-redis/shard-${n}/`));
    }
    // All four crash: each loads its own base and log.
    await abortAllDurableObjects();
    expect((await cmd("MGET", ...keys.map((k) => k.key))).body).toEqual({ result: keys.map(() => "x".repeat(200)) });
    expect(await keysOnShards(prefix)).toEqual(SHARDS.map((n) => keys.filter((k) => k.shard === n).length));
    // Back to this deployment's settings, so no alarm fires while the file's storage is torn down.
    await configSet("save", "", "auto-aof-rewrite-min-size", "64mb", "auto-aof-rewrite-percentage", "100");
  });
});
