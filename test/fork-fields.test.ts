// INFO stats' fork fields in their forkless meaning: total_forks counts the cuts taken (snapshots,
// and rewrites in either form), latest_fork_usec is the last cut's pause by the shard's clock.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { infoField, one, settle, shardNamed, uniq } from "./helpers.js";

describe("INFO stats: latest_fork_usec and total_forks", () => {
  it("count snapshots and rewrites started, and time the last cut's pause", async () => {
    const s = shardNamed(uniq("forks"));
    const stats = async () => [await infoField(s, "latest_fork_usec", "stats"), await infoField(s, "total_forks", "stats")];
    expect(await stats()).toEqual(["0", "0"]);
    await one(s, "SET", "k", "v");
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    await one(s, "BGREWRITEAOF"); // hybrid: an RDB base, a snapshot's cut
    await settle(s);
    await one(s, "CONFIG", "SET", "aof-use-rdb-preamble", "no");
    // A clock that moves 1 ms at every reading: the pause is the readings between start and cut.
    await runInDurableObject(s, (i: Shard) => {
      let ticks = 0;
      Object.defineProperty(i, "clockOffset", { get: () => ++ticks, configurable: true });
    });
    await one(s, "BGREWRITEAOF");
    await settle(s);
    const [latest, total] = await stats();
    expect(total).toBe("3");
    expect(Number(latest)).toBeGreaterThan(0);
    expect(Number(latest) % 1000).toBe(0);
  });
});
