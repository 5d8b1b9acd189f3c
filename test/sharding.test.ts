// Runs with SHARDS=4 only: keys spread over shards by hash slot.
import { runInDurableObject, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keySlot, slotShard } from "../durable-objects/engine/slots.js";
import type { Shard } from "../durable-objects/shard.js";
import { adminCmd, cmd, post, uniq } from "./helpers.js";

/** Keys that land on four different shards. */
function spreadKeys(prefix: string): string[] {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < 4; i++) {
    const k = `${prefix}:${i}`;
    const s = slotShard(keySlot(k), 4);
    if (!byShard.has(s)) byShard.set(s, k);
  }
  return [...byShard.values()];
}

async function shardKeys(shard: number): Promise<string[]> {
  const stub = env.SHARD.get(env.SHARD.idFromName(`shard-${shard}`));
  return runInDurableObject(stub, (instance: Shard) => [...instance.engine.db.data.keys()]);
}

describe("with four shards", () => {
  it("stores each key on its slot's shard", async () => {
    const keys = spreadKeys(uniq("place"));
    for (const k of keys) await cmd("SET", k, "v");
    for (const k of keys) {
      expect(await shardKeys(slotShard(keySlot(k), 4))).toContain(k);
    }
  });

  it("splits MGET, MSET, DEL, EXISTS across shards and merges in order", async () => {
    const keys = spreadKeys(uniq("split"));
    expect((await cmd("MSET", keys[0], "a", keys[1], "b", keys[2], "c", keys[3], "d")).body).toEqual({ result: "OK" });
    expect((await cmd("MGET", keys[3], keys[0], "nope", keys[2], keys[1])).body).toEqual({ result: ["d", "a", null, "c", "b"] });
    expect((await cmd("EXISTS", ...keys, keys[0])).body).toEqual({ result: 5 });
    expect((await cmd("DEL", keys[0], keys[1], "nope")).body).toEqual({ result: 2 });
    expect((await cmd("UNLINK", keys[2], keys[3])).body).toEqual({ result: 2 });
  });

  it("refuses SORT BY/GET patterns that may name keys in other slots, as Redis Cluster does", async () => {
    const k = uniq("sortme");
    expect(await cmd("SORT", k, "BY", "w_*")).toMatchObject({
      status: 400,
      body: { error: "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots." },
    });
    expect(await cmd("SORT", k, "GET", "#", "GET", "h_*->f")).toMatchObject({
      status: 400,
      body: { error: "ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots." },
    });
    const tag = uniq("t");
    expect(await cmd("SORT", `{${tag}}:l`, "BY", `{${tag}}:w_*`, "GET", "#", "GET", `{${tag}}:h_*->f`)).toMatchObject({ status: 200, body: { result: [] } });
  });

  it("answers other cross-slot commands with CROSSSLOT", async () => {
    const [a, b] = spreadKeys(uniq("cross"));
    expect(await cmd("RENAME", a, b)).toMatchObject({
      status: 400,
      body: { error: "CROSSSLOT Keys in request don't hash to the same slot" },
    });
    expect(await cmd("MSETNX", a, "1", b, "2")).toMatchObject({ status: 400 });
  });

  it("allows multi-key commands within one hash tag", async () => {
    const a = `{${uniq("tag")}}:a`;
    const b = a.replace(":a", ":b");
    await cmd("SET", a, "1");
    expect((await cmd("RENAME", a, b)).body).toEqual({ result: "OK" });
    expect((await cmd("GET", b)).body).toEqual({ result: "1" });
  });

  it("refuses a cross-slot transaction whole", async () => {
    const [a, b] = spreadKeys(uniq("txn"));
    const res = await post("/multi-exec", [["SET", a, "1"], ["SET", b, "2"]]);
    expect(res).toMatchObject({ status: 400, body: { error: "CROSSSLOT Keys in request don't hash to the same slot" } });
    expect((await cmd("EXISTS", a, b)).body).toEqual({ result: 0 });
  });

  it("fans out KEYS and DBSIZE, and SCAN walks every shard", async () => {
    const prefix = uniq("fan");
    const keys = spreadKeys(prefix);
    for (const k of keys) await cmd("SET", k, "v");
    const found = (await cmd("KEYS", `${prefix}:*`)).body.result as string[];
    expect(found.sort()).toEqual([...keys].sort());
    const seen: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = (await cmd("SCAN", cursor, "MATCH", `${prefix}:*`, "COUNT", 1000)).body.result;
      seen.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual([...keys].sort());
    const size = (await cmd("DBSIZE")).body.result;
    expect(size).toBeGreaterThanOrEqual(4);
  });

  it("fans WAIT out to every shard (request_policy:all_shards) and answers the least count (agg_min)", async () => {
    const waited = await cmd("WAIT", "1", "0");
    expect(waited.body).toEqual({ result: 0 });
    // One sync token per shard that ran the command.
    expect(waited.headers.get("upstash-sync-token")!.split(",")).toHaveLength(4);
    expect((await cmd("GET", uniq("one"))).headers.get("upstash-sync-token")!.split(",")).toHaveLength(1);
    expect((await cmd("WAIT", "x", "0")).body).toEqual({ error: "ERR value is not an integer or out of range" });
    expect((await cmd("WAIT", "0", "1.5")).body).toEqual({ error: "ERR timeout is not an integer or out of range" });
    expect((await cmd("WAIT", "0", "-1")).body).toEqual({ error: "ERR timeout is negative" });
    expect((await cmd("WAIT", "0")).body).toEqual({ error: "ERR wrong number of arguments for 'wait' command" });
  });

  it("sends SCRIPT KILL and FUNCTION KILL to every shard; with no script running anywhere they answer NOTBUSY (one_succeeded)", async () => {
    for (const kill of [["SCRIPT", "KILL"], ["FUNCTION", "KILL"]]) {
      const r = await cmd(...kill);
      expect(r).toMatchObject({ status: 400, body: { error: "NOTBUSY No scripts in execution right now." } });
    }
  });

  it("applies CONFIG SET on every shard", async () => {
    expect((await adminCmd("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")).body).toEqual({ result: "OK" });
    for (let s = 0; s < 4; s++) {
      const stub = env.SHARD.get(env.SHARD.idFromName(`shard-${s}`));
      expect(await runInDurableObject(stub, (i: Shard) => i.engine.config.get("maxmemory-policy"))).toBe("allkeys-lru");
    }
    await adminCmd("CONFIG", "SET", "maxmemory-policy", "noeviction");
  });
});
