import { describe, expect, it } from "vitest";
import { crc16, keySlot, patternSlot, slotShard } from "./slots.js";

describe("hash slots", () => {
  it("computes CRC16-XMODEM as Redis Cluster does", () => {
    expect(crc16("123456789")).toBe(0x31c3);
  });
  it("maps keys to the slots CLUSTER KEYSLOT gives", () => {
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("bar")).toBe(5061);
    expect(keySlot("somekey")).toBe(11058);
  });
  it("hashes only the first non-empty hash tag", () => {
    expect(keySlot("{user1000}.following")).toBe(keySlot("user1000"));
    expect(keySlot("foo{}{bar}")).toBe(keySlot("foo{}{bar}"));
    expect(keySlot("foo{}{bar}")).not.toBe(keySlot("bar"));
    expect(keySlot("foo{{bar}}zap")).toBe(keySlot("{bar"));
  });
  it("assigns slots to shards in contiguous ranges", () => {
    expect(slotShard(0, 4)).toBe(0);
    expect(slotShard(4095, 4)).toBe(0);
    expect(slotShard(4096, 4)).toBe(1);
    expect(slotShard(16383, 4)).toBe(3);
    expect(slotShard(16383, 1)).toBe(0);
  });
  it("finds the slot of a SORT pattern only when a hash tag comes before any wildcard", () => {
    expect(patternSlot("{user1}:w_*")).toBe(keySlot("user1"));
    expect(patternSlot("{user1}:h_*->field")).toBe(keySlot("user1"));
    expect(patternSlot("w_*")).toBe(-1);
    expect(patternSlot("w_*{user1}")).toBe(-1);
    expect(patternSlot("{}*{user1}")).toBe(-1);
    expect(patternSlot("\\{a}*")).toBe(-1);
  });
});
