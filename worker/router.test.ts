// The router over four engines standing in for four shards: how each routing policy on the command
// table (Redis's request_policy / response_policy tips) splits, fans out and merges.
import { describe, expect, it } from "vitest";
import { keySlot, slotShard } from "../durable-objects/engine/slots.js";
import { testEngine } from "../durable-objects/engine/testing.js";
import { Router, type ShardCaller } from "./router.js";

function cluster(shards = 4) {
  const engines = Array.from({ length: shards }, () => testEngine().engine);
  const calls: [number, string[][]][] = [];
  const call: ShardCaller = async (shard, batch) => {
    calls.push([shard, batch]);
    return { replies: engines[shard].executeBatch(batch), token: "t" };
  };
  const router = new Router(shards);
  const run = async (...argv: string[]) => (await router.pipeline([argv], "admin", call)).replies[0];
  return { engines, calls, run, shardOf: (key: string) => slotShard(keySlot(key), shards) };
}

/** Keys that land on different shards. */
function spread(c: ReturnType<typeof cluster>, n: number): string[] {
  const keys: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; keys.length < n; i++) {
    const s = c.shardOf(`k${i}`);
    if (!seen.has(s)) {
      seen.add(s);
      keys.push(`k${i}`);
    }
  }
  return keys;
}

describe("routing by the command table's tips", () => {
  it("splits multi_shard commands by shard and merges by key order, sum and success", async () => {
    const c = cluster();
    const [a, b, d] = spread(c, 3);
    expect(await c.run("MSET", a, "1", b, "2", d, "3")).toEqual({ status: "OK" });
    expect(c.calls.length).toBe(3);
    expect(await c.run("MGET", d, "missing", a, b)).toEqual(["3", null, "1", "2"]);
    expect(await c.run("EXISTS", a, b, d, a)).toBe(4);
    expect(await c.run("DEL", a, b)).toBe(2);
  });

  it("fans all_shards commands out and merges by sum, concatenation and sections", async () => {
    const c = cluster();
    const keys = spread(c, 4);
    for (const k of keys) await c.run("SET", k, "v");
    expect(await c.run("DBSIZE")).toBe(4);
    expect(((await c.run("KEYS", "*")) as string[]).sort()).toEqual([...keys].sort());
    const info = (await c.run("INFO", "keyspace")) as string;
    expect(info.match(/^# Shard \d/gm)).toEqual(["# Shard 0", "# Shard 1", "# Shard 2", "# Shard 3"]);
    expect(await c.run("FLUSHALL")).toEqual({ status: "OK" });
    expect(await c.run("DBSIZE")).toBe(0);
  });

  it("fans WAITAOF out and merges its [local, replicas] arrays element by element (agg_min)", async () => {
    const c = cluster();
    c.engines.forEach((e, i) => {
      e.server.host = { save: () => "started", bgsave: () => "started", bgrewriteaof: () => "started", lastsave: () => 0, aofEnabled: () => true, syncAof: () => (i === 2 ? 0 : 1) };
    });
    expect(await c.run("WAITAOF", "1", "0", "0")).toEqual([0, 0]);
    expect(c.calls.map(([shard]) => shard).sort()).toEqual([0, 1, 2, 3]);
    c.engines[2].server.host!.syncAof = () => 1;
    expect(await c.run("WAITAOF", "1", "0", "0")).toEqual([1, 0]);
  });

  it("fans WAIT out to every shard and answers the least count (all_shards, agg_min): one row and a handler", async () => {
    const c = cluster();
    expect(await c.run("WAIT", "1", "0")).toBe(0);
    expect(c.calls.map(([shard, batch]) => [shard, batch])).toEqual([0, 1, 2, 3].map((s) => [s, [["WAIT", "1", "0"]]]));
    expect(await c.run("WAIT", "0", "-1")).toEqual({ error: "ERR timeout is negative" });
  });

  it("answers SCRIPT KILL with the shard that succeeded, else the first error (one_succeeded)", async () => {
    const c = cluster();
    expect(await c.run("SCRIPT", "KILL")).toEqual({ error: "NOTBUSY No scripts in execution right now." });
    expect(c.calls.map(([shard]) => shard)).toEqual([0, 1, 2, 3]);
    // A shard that did stop a script says OK; the others have none running.
    const killedOn2: ShardCaller = async (shard, batch) => ({ replies: shard === 2 ? [{ status: "OK" }] : c.engines[shard].executeBatch(batch), token: "t" });
    const { replies } = await new Router(4).pipeline([["FUNCTION", "KILL"]], "admin", killedOn2);
    expect(replies).toEqual([{ status: "OK" }]);
  });

  it("refuses SORT's BY and GET patterns outside the sorted key's slot (the row's patternKeys)", async () => {
    const c = cluster();
    expect(await c.run("SORT", "l", "BY", "w_*")).toEqual({
      error: "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.",
    });
    expect(await c.run("SORT_RO", "{t}l", "GET", "{t}h_*->f")).toEqual([]);
    expect(c.calls.length).toBe(1);
    expect(new Router(4).transactionShard([["SORT", "l", "GET", "x_*"]])).toEqual({
      error: "ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.",
    });
  });

  it("answers CROSSSLOT for keyed multi-key commands over slots, before any shard runs", async () => {
    const c = cluster();
    const [a, b] = spread(c, 2);
    expect(await c.run("SUNIONSTORE", a, b)).toEqual({ error: "CROSSSLOT Keys in request don't hash to the same slot" });
    expect(c.calls).toEqual([]);
  });
});
