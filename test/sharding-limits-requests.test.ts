// Issue 14, requests, with four shards: a command split over shards is checked whole before any shard runs.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_REPLY_BYTES } from "../durable-objects/engine/reply-budget.js";
import type { Shard } from "../durable-objects/shard.js";
import { keySlot, slotShard } from "../durable-objects/engine/slots.js";
import { cmd, post, uniq } from "./helpers.js";

/** Two keys on different shards. */
function twoShards(prefix: string): [string, string] {
  const a = `{${prefix}a}x`;
  for (let i = 0; ; i++) {
    const b = `{${prefix}b${i}}y`;
    if (slotShard(keySlot(b), 4) !== slotShard(keySlot(a), 4)) return [a, b];
  }
}

describe("split commands' arity, with four shards", () => {
  it("MSET with a key and no value answers Redis's arity error and writes nothing on any shard", async () => {
    const [a, b] = twoShards(uniq("m"));
    const arity = { status: 400, body: { error: "ERR wrong number of arguments for 'mset' command" } };
    expect(await cmd("MSET", a, "1", b)).toMatchObject(arity);
    expect(await cmd("MSETNX", a, "1", b)).toMatchObject({ body: { error: "ERR wrong number of arguments for 'msetnx' command" } });
    expect((await post("/pipeline", [["MSET", b, "2", a], ["MGET", a, b]])).body).toEqual([
      { error: "ERR wrong number of arguments for 'mset' command" },
      { result: [null, null] },
    ]);
    expect((await cmd("EXISTS", a, b)).body).toEqual({ result: 0 });
  });

  it("refuses fan-out and split commands with too few arguments before any shard runs", async () => {
    for (const name of ["MGET", "DEL", "UNLINK", "EXISTS", "TOUCH"]) {
      expect((await cmd(name)).body).toEqual({ error: `ERR wrong number of arguments for '${name.toLowerCase()}' command` });
    }
    for (const argv of [["MSET"], ["MSET", "a"], ["KEYS"], ["DBSIZE", "x"], ["RANDOMKEY", "x"], ["SCAN"]]) {
      expect((await cmd(...argv)).body).toEqual({ error: `ERR wrong number of arguments for '${argv[0].toLowerCase()}' command` });
    }
  });
});

describe("the reply budget, with four shards", () => {
  it("gives each shard a request reaches an equal part of MAX_REPLY_BYTES", async () => {
    const MB = 1 << 20;
    const [a, b] = twoShards(uniq("budget"));
    for (const k of [a, b]) {
      const stub = env.SHARD.get(env.SHARD.idFromName(`shard-${slotShard(keySlot(k), 4)}`));
      await runInDurableObject(stub, (i: Shard) => i.engine.executeBatch([["CONFIG", "SET", "proto-max-bulk-len", "4mb"], ["SET", k, "x".repeat(MB)]]));
    }
    const r = await post("/pipeline", [...Array.from({ length: 10 }, () => ["GET", a]), ...Array.from({ length: 10 }, () => ["GET", b])]);
    expect(r.status).toBe(200);
    // Two shards: 8 MiB each, so 7 GETs of 1 MiB (+ 8 bytes) on each.
    const each = Math.floor(MAX_REPLY_BYTES / 2 / (MB + 8));
    expect(each).toBe(7);
    const got = r.body.map((x: { result?: string; error?: string }) => (x.result !== undefined ? x.result.length : x.error));
    const part = [...Array(7).fill(MB), ...Array(3).fill("ERR max reply size exceeded")];
    expect(got).toEqual([...part, ...part]);
    expect((await cmd("DEL", a, b)).body).toEqual({ result: 2 });
  });
});
