// Stream commands through @upstash/redis against the worker (1 shard and 4 shards: XREAD of two
// streams uses {tag} keys so they share a hash slot), and streams surviving the shard's restart.
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });
const raw = async (...argv: (string | number)[]) => (await cmd(...argv.map(String))).body;

describe("stream commands through @upstash/redis", () => {
  it("adds entries with explicit, partial and automatic IDs and reads ranges back", async () => {
    const r = redis();
    const k = uniq("stream");
    expect(await r.xadd(k, "1-1", { name: "ada", lang: "en" })).toBe("1-1");
    expect(await r.xadd(k, "1-*", { name: "bob", lang: "fr" })).toBe("1-2");
    expect(await r.xadd(k, "5", { name: "cy", lang: "de" })).toBe("5-0");
    const auto = await r.xadd(k, "*", { name: "dee", lang: "it" });
    expect(auto).toMatch(/^\d{13}-0$/);
    expect(await r.xlen(k)).toBe(4);
    expect(await r.xrange(k, "-", "+", 2)).toEqual({ "1-1": { name: "ada", lang: "en" }, "1-2": { name: "bob", lang: "fr" } });
    expect(await r.xrange(k, "(1-2", "5")).toEqual({ "5-0": { name: "cy", lang: "de" } });
    expect(Object.keys(await r.xrevrange(k, "+", "-", 2))).toEqual([auto, "5-0"]);
    await expect(r.xadd(k, "1-1", { a: "b" })).rejects.toThrow("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    expect(await r.xadd(uniq("none"), "*", { a: "b" }, { nomkStream: true })).toBe(null);
    expect(await r.type(k)).toBe("stream");
  });

  it("trims by length and by ID, deletes entries, and reads new entries with XREAD", async () => {
    const r = redis();
    const k = uniq("stream");
    for (let i = 1; i <= 10; i++) await r.xadd(k, `${i}-0`, { n: `v${i}` });
    expect(await r.xtrim(k, { strategy: "MAXLEN", threshold: 8, exactness: "=" })).toBe(2);
    expect(await r.xtrim(k, { strategy: "MINID", threshold: "5-0" })).toBe(0); // the client sends "~": whole nodes only
    expect(await r.xtrim(k, { strategy: "MINID", threshold: "5-0", exactness: "=" })).toBe(2);
    expect(await r.xdel(k, ["5-0", "6-0", "99-0"])).toBe(2);
    expect(await r.xlen(k)).toBe(4);
    expect(await r.xadd(k, "11-0", { n: "v11" }, { trim: { type: "MAXLEN", threshold: 3, comparison: "=" } })).toBe("11-0");
    expect(await r.xread(k, "9-0")).toEqual([[k, [["10-0", ["n", "v10"]], ["11-0", ["n", "v11"]]]]]);
    expect(await r.xread(k, "$")).toEqual(null);
    const a = uniq("{xr}a");
    const b = uniq("{xr}b");
    await r.xadd(a, "1-0", { x: "a1" });
    await r.xadd(b, "2-0", { x: "b2" });
    expect(await r.xread([a, b], ["0", "0"], { count: 1 })).toEqual([
      [a, [["1-0", ["x", "a1"]]]],
      [b, [["2-0", ["x", "b2"]]]],
    ]);
    // BLOCK answers at once over HTTP, as the other blocking commands do.
    expect(await raw("XREAD", "BLOCK", 1000, "STREAMS", k, "$")).toEqual({ result: null });
  });

  it("delivers to consumer groups, tracks pending entries, acknowledges and claims them", async () => {
    const r = redis();
    const k = uniq("stream");
    for (let i = 1; i <= 4; i++) await r.xadd(k, `${i}-0`, { job: `j${i}` });
    expect(await r.xgroup(k, { type: "CREATE", group: "workers", id: "0" })).toBe("OK");
    await expect(r.xgroup(k, { type: "CREATE", group: "workers", id: "0" })).rejects.toThrow("BUSYGROUP Consumer Group name already exists");
    expect(await r.xreadgroup("workers", "alice", k, ">", { count: 2 })).toEqual([[k, [["1-0", ["job", "j1"]], ["2-0", ["job", "j2"]]]]]);
    expect(await r.xreadgroup("workers", "bob", k, ">", { count: 1 })).toEqual([[k, [["3-0", ["job", "j3"]]]]]);
    expect(await raw("XPENDING", k, "workers")).toEqual({ result: [3, "1-0", "3-0", [["alice", "2"], ["bob", "1"]]] });
    expect(await r.xack(k, "workers", ["1-0", "9-0"])).toBe(1);
    const claimed = await r.xclaim(k, "workers", "bob", 0, "2-0", { justId: true });
    expect(claimed).toEqual(["2-0"]);
    expect(await r.xautoclaim(k, "workers", "carol", 0, "0-0", { count: 10, justId: true })).toEqual(["0-0", ["2-0", "3-0"], []]);
    const groups = (await raw("XINFO", "GROUPS", k)).result;
    expect(groups).toEqual([["name", "workers", "consumers", 3, "pending", 2, "last-delivered-id", "3-0", "entries-read", 3, "lag", 1]]);
    expect(await raw("XREADGROUP", "GROUP", "workers", "nobody", "STREAMS", k, "$")).toEqual({
      error:
        "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
    });
    expect(await raw("XGROUP", "DESTROY", k, "workers")).toEqual({ result: 1 });
  });

  it("answers XINFO STREAM with Redis 7.0's fields", async () => {
    const k = uniq("stream");
    await raw("XADD", k, "1-1", "f", "v");
    await raw("XADD", k, "2-0", "f", "w");
    await raw("XDEL", k, "1-1");
    expect((await raw("XINFO", "STREAM", k)).result).toEqual([
      "length", 1, "radix-tree-keys", 1, "radix-tree-nodes", 2, "last-generated-id", "2-0", "max-deleted-entry-id", "1-1",
      "entries-added", 2, "recorded-first-entry-id", "2-0", "groups", 0, "first-entry", ["2-0", ["f", "w"]],
      "last-entry", ["2-0", ["f", "w"]],
    ]);
    expect(await raw("XINFO", "STREAM", uniq("none"))).toEqual({ error: "ERR no such key" });
  });
});
