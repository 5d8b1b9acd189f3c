// The shard count from the deployment's vars and the key → shard mapping.
import { describe, expect, it } from "vitest";
import { keySlot, slotShard } from "../durable-objects/engine/slots.js";
import { MAX_SHARDS, shardCount, shardOfKey } from "./shards.js";

describe("shards", () => {
  it("reads SHARDS: 1 when unset, zero or not a number, at most MAX_SHARDS", () => {
    expect(shardCount({ SHARDS: "4" })).toBe(4);
    expect(shardCount({})).toBe(1);
    expect(shardCount({ SHARDS: "0" })).toBe(1);
    expect(shardCount({ SHARDS: "many" })).toBe(1);
    expect(shardCount({ SHARDS: "5000" })).toBe(MAX_SHARDS);
  });

  it("maps a key to the shard of its slot, and every key to shard 0 of one", () => {
    for (const key of ["foo", "bar", "{user1000}.following", "\xff\x00"]) {
      expect(shardOfKey(key, 4)).toBe(slotShard(keySlot(key), 4));
      expect(shardOfKey(key, 1)).toBe(0);
    }
    expect(shardOfKey("{tag}a", 16)).toBe(shardOfKey("{tag}b", 16));
  });
});
