// Issue 14, requests, with four shards: a command split over shards is checked whole before any shard runs.
import { describe, expect, it } from "vitest";
import { keySlot, slotShard } from "../worker/slots.js";
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
