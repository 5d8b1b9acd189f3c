// Fault injection: a seeded mixed write load (pipelines and transactions over every type the engine
// has), crashes at 100 random points per persistence mode, and after each restart the recovered
// dataset is compared with a model: a pure engine that ran exactly the acknowledged batches.
//   always:    recovered = model (no acknowledged write lost)
//   everysec:  recovered = model as of the last once-a-second write (the timer's flush)
//   RDB-only:  recovered = model as of the last complete snapshot
//   hybrid:    recovered = model, through rewrites (some still running at the crash) and current
//              bases deleted, truncated or bit-flipped in R2 (recovery falls back to the previous one)
//   hybrid, loading after the block: the same with loading-block-ms 0, so every load goes on between
//              requests; some restarts see the cron's alarm mid-load, and some crash again mid-load
// A prefix of the history, never reordered, never half a transaction.
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Engine } from "../durable-objects/engine/engine.js";
import type { Keyspace } from "../durable-objects/engine/keyspace.js";
import { seededRandom } from "../durable-objects/engine/testing.js";
import { RedisStream } from "../durable-objects/engine/types/index.js";
import { MAX_ID, MIN_ID } from "../durable-objects/engine/types/stream.js";
import type { Shard, ShardResult } from "../durable-objects/shard.js";
import { type ShardStub as Stub, settle, shardNamed as shard, uniq, untilLoaded } from "./helpers.js";
const call = (s: Stub) => s as unknown as Pick<Shard, "execute">;

/** Far-future absolute expiries keep model and shard in step whatever their clocks say. */
const FAR = String(Date.now() + 10 * 365 * 86400_000);

let streamMs = 0;

/** One random write command over small key pools, so commands collide; deterministic effects only. */
function writeCommand(rnd: () => number, has: (name: string) => boolean): string[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const n = () => String(Math.floor(rnd() * 20));
  const gens: (() => string[])[] = [
    () => ["SET", `s${n()}`, `v${n()}`],
    () => ["INCR", `c${n()}`],
    () => ["APPEND", `s${n()}`, "x"],
    () => ["DEL", pick([`s${n()}`, `c${n()}`, `l${n()}`, `h${n()}`])],
    () => ["SET", `t${n()}`, "ttl", "PXAT", FAR],
    () => ["INCRBYFLOAT", `f${n()}`, "0.5"],
    () => ["SETRANGE", `s${n()}`, n(), "zz"],
  ];
  if (has("rpush")) gens.push(() => ["RPUSH", `l${n()}`, `e${n()}`], () => ["LPOP", `l${n()}`], () => ["LPUSH", `l${n()}`, "a", "b"]);
  if (has("hset")) gens.push(() => ["HSET", `h${n()}`, `f${n()}`, `v${n()}`], () => ["HDEL", `h${n()}`, `f${n()}`], () => ["HINCRBY", `h${n()}`, "n", "3"]);
  if (has("sadd")) gens.push(() => ["SADD", `z${n()}`, `m${n()}`], () => ["SREM", `z${n()}`, `m${n()}`]);
  if (has("zadd")) gens.push(() => ["ZADD", `o${n()}`, n(), `m${n()}`], () => ["ZINCRBY", `o${n()}`, "1.5", `m${n()}`], () => ["ZREM", `o${n()}`, `m${n()}`]);
  if (has("pfadd")) gens.push(() => ["PFADD", `p${n()}`, `e${n()}`]);
  if (has("xadd")) {
    // IDs from one rising counter (never the clock, which model and shard read differently).
    gens.push(
      () => ["XADD", `x${n()}`, "MAXLEN", "~", "8", `${++streamMs}-*`, "f", `v${n()}`],
      () => ["XDEL", `x${n()}`, `${Math.max(1, streamMs - Math.floor(rnd() * 10))}-0`],
      () => ["XGROUP", "CREATE", `x${n()}`, "g", "0", "MKSTREAM"],
      () => ["XREADGROUP", "GROUP", "g", pick(["a", "b"]), "COUNT", "2", "STREAMS", `x${n()}`, ">"],
      () => ["XACK", `x${n()}`, "g", `${Math.max(1, streamMs - Math.floor(rnd() * 10))}-0`],
    );
  }
  return pick(gens)();
}

/**
 * A stream's entries, counters, groups and PELs; not delivery or seen times (model and shard clocks
 * differ), nor a group's entries_read: Redis 7.0 propagates deliveries as XCLAIM … LASTID, which moves
 * last_id but leaves entries_read as it was, so a replayed log has it unknown where the live one knew it.
 */
function streamShape(s: RedisStream): unknown {
  return {
    entries: s.range(MIN_ID, MAX_ID, 0),
    counters: [s.length, s.lastId, s.firstId, s.maxDeletedId, s.entriesAdded],
    groups: s.sortedGroups().map(([name, g]) => [
      name, g.lastId,
      g.pel.keys.map((id) => [id, g.pel.get(id)!.consumer?.name, g.pel.get(id)!.deliveryCount]),
      g.sortedConsumers().map((c) => [c.name, c.pel.keys]),
    ]),
  };
}

/** The dataset in a comparable form (types, values in order, expiries). */
function dump(ks: Keyspace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of [...ks.data.keys()].sort()) {
    const v = ks.data.get(key)!;
    if (v instanceof RedisStream) {
      out[key] = [streamShape(v), ks.expires.get(key) ?? null];
      continue;
    }
    const value =
      typeof v === "string"
        ? v
        : "entries" in v
          ? [...(v as { entries(): Iterable<unknown> }).entries()].map((x) => x).sort()
          : [...(v as { values(): Iterable<unknown> }).values()];
    out[key] = [value, ks.expires.get(key) ?? null];
  }
  return out;
}

/** "hybrid": appendfsync always with RDB bases in R2, rewrites now and then, and bases damaged in R2. */
type Mode = "always" | "everysec" | "rdb" | "hybrid" | "hybrid-sliced";
type Batch = { commands: string[][]; atomic: boolean };

/** A model engine that ran exactly these batches. */
function modelOf(history: Batch[]): Engine {
  const model = new Engine();
  for (const b of history) {
    if (b.atomic) model.executeTransaction(b.commands);
    else model.executeBatch(b.commands);
  }
  return model;
}

async function runFaultSuite(suite: Mode, seed: number, crashes: number): Promise<void> {
  const name = uniq(`fault-${suite}`);
  const sliced = suite === "hybrid-sliced";
  const mode = sliced ? "hybrid" : suite;
  let s = shard(name);
  const rnd = seededRandom(seed);
  let model = new Engine();
  const has = (cmd: string) => model.lookup(cmd) !== undefined;
  /** Acknowledged batches, and how many of them are durable (survive a crash). */
  let history: Batch[] = [];
  let durableCount = 0;
  const settings: [string, string][] =
    mode === "rdb"
      ? [["appendonly", "no"], ["save", ""]]
      : mode === "hybrid"
        ? [["appendonly", "yes"], ["appendfsync", "always"], ["aof-use-rdb-preamble", "yes"]]
        : [["appendonly", "yes"], ["appendfsync", mode], ["aof-use-rdb-preamble", "no"]];
  // The cron rewrites whenever it runs, so rewrites also start from alarms, mid-load ones included
  // (which must do nothing: test/loading-refusals.test.ts checks that on a load long enough to catch).
  if (sliced) settings.push(["loading-block-ms", "0"], ["auto-aof-rewrite-percentage", "1"], ["auto-aof-rewrite-min-size", "1"]);
  let fallbacks = 0;
  let loadsSeenMidway = 0;
  for (const [k, v] of settings) await call(s).execute([["CONFIG", "SET", k, v]], false, "admin");

  for (let crash = 0; crash < crashes; crash++) {
    const batches = 1 + Math.floor(rnd() * 5);
    for (let b = 0; b < batches; b++) {
      const atomic = rnd() < 0.3;
      const commands = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => writeCommand(rnd, has));
      const r = (await call(s).execute(commands, atomic, "admin")) as ShardResult;
      const expected = atomic ? model.executeTransaction(commands) : model.executeBatch(commands);
      expect(r.replies).toEqual(expected);
      history.push({ commands, atomic });
      if (mode === "always" || mode === "hybrid") durableCount = history.length;
      // The once-a-second timer (everysec) or a save (RDB) happens after some batches.
      if (mode === "everysec" && rnd() < 0.3) {
        await runInDurableObject(s, (i: Shard) => i.aof.flush());
        durableCount = history.length;
      }
      if (mode === "rdb" && rnd() < 0.15) {
        expect(await call(s).execute([["SAVE"]], false, "admin")).toMatchObject({ replies: [{ status: "OK" }] });
        durableCount = history.length;
      }
      // A rewrite: often finished before the next batch, sometimes still running at the crash.
      if (mode === "hybrid" && rnd() < 0.2) {
        await call(s).execute([["BGREWRITEAOF"]], false, "admin");
        if (rnd() < 0.7) await settle(s);
      }
    }
    if (mode === "hybrid" && rnd() < 0.3) {
      // Damage the current base in R2 when an earlier one is kept to fall back to.
      const { base, history: kept } = await runInDurableObject(s, async (i: Shard) => {
        await new Promise((r) => setTimeout(r, 0));
        return { base: i.aof.rewriteInProgress ? null : i.aof.manifest.base, history: i.aof.manifest.history ?? [] };
      });
      if (base?.kind === "rdb" && kept.length > 0) {
        const bytes = new Uint8Array(await (await env.SNAPSHOTS.get(base.key))!.arrayBuffer());
        const damage = Math.floor(rnd() * 3);
        if (damage === 0) await env.SNAPSHOTS.delete(base.key);
        else if (damage === 1) await env.SNAPSHOTS.put(base.key, bytes.subarray(0, Math.floor(bytes.length * rnd())));
        else {
          bytes[Math.floor(rnd() * bytes.length)] ^= 1 << Math.floor(rnd() * 8);
          await env.SNAPSHOTS.put(base.key, bytes);
        }
        fallbacks++;
      }
    }
    await abortAllDurableObjects();
    s = shard(name);
    if (sliced && rnd() < 0.5) {
      // Mid-load: the cron's alarm fires (it must not expire, save or rewrite), or the shard crashes again.
      const fire = rnd() < 0.5;
      if (await runInDurableObject(s, (i: Shard) => i.loading !== null)) loadsSeenMidway++;
      await runInDurableObject(s, async (i: Shard) => {
        if (fire) await i.alarm();
      });
      if (rnd() < 0.5) {
        await abortAllDurableObjects();
        s = shard(name);
      }
    }
    if (sliced) await untilLoaded(s);
    history = history.slice(0, durableCount);
    model = modelOf(history);
    const recovered = await runInDurableObject(s, (i: Shard) => {
      expect(i.loadError).toBe(null);
      return dump(i.engine.db);
    });
    expect(recovered, `after crash ${crash}`).toEqual(dump(model.db));
  }
  if (mode === "hybrid") expect(fallbacks, "bases damaged along the way").toBeGreaterThan(5);
  if (sliced) expect(loadsSeenMidway, "restarts that found the load still going").toBeGreaterThan(10);
}

describe("fault injection: crashes at random points under a mixed write load", () => {
  it("appendfsync always loses no acknowledged write", async () => {
    await runFaultSuite("always", 101, 100);
  });
  it("appendfsync everysec loses at most the writes since the last once-a-second write", async () => {
    await runFaultSuite("everysec", 202, 100);
  });
  it("RDB-only loses at most the writes since the last complete snapshot", async () => {
    await runFaultSuite("rdb", 303, 100);
  });
  it("hybrid (always, RDB bases) loses no acknowledged write through rewrites and bases damaged in R2", async () => {
    await runFaultSuite("hybrid", 404, 100);
  });
  it("hybrid loading between requests (loading-block-ms 0) loses nothing through alarms and crashes mid-load", async () => {
    await runFaultSuite("hybrid-sliced", 505, 100);
  });
});
