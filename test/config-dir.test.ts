// CONFIG SET dir names the R2 prefix of the next snapshot at once, without a restart; the snapshots
// already recorded keep their keys and still load.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { one, settle, shardNamed, uniq } from "./helpers.js";

describe("CONFIG SET dir", () => {
  it("puts the next snapshot under the new prefix, and a restart loads it from there", async () => {
    const name = uniq("dir");
    const s = shardNamed(name);
    expect(await one(s, "CONFIG", "SET", "appendonly", "no")).toEqual({ status: "OK" });
    await one(s, "SET", "a", "1");
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    const first = await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.at(-1)!.key);
    expect(first.startsWith(`durable-redis/${name}/`)).toBe(true);

    expect(await one(s, "CONFIG", "SET", "dir", "/var/lib/redis/")).toEqual({ status: "OK" });
    await one(s, "SET", "b", "2");
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    const second = await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.at(-1)!.key);
    expect(second.startsWith(`var/lib/redis/${name}/dump-`)).toBe(true);

    await abortAllDurableObjects();
    const after = shardNamed(name);
    expect(await one(after, "MGET", "a", "b")).toEqual(["1", "2"]);
    expect(await runInDurableObject(after, (i: Shard) => i.snapshots.snapshots.map((x) => x.key))).toEqual([first, second]);
  });
});
