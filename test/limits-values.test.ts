// Issue 14, values and growth: no command makes a value longer than proto-max-bulk-len (by default
// MAX_RECORD_BYTES, 32768 in this project's test config), with Redis's texts, and after every probe
// the shard's used_memory is still within maxmemory.
import { describe, expect, it } from "vitest";
import { exec, infoField, one, shardNamed, uniq, type ShardStub } from "./helpers.js";

const TOO_LONG = { error: "ERR string exceeds maximum allowed size (proto-max-bulk-len)" };
const BAD_OFFSET = { error: "ERR bit offset is not an integer or out of range" };
const OK = { status: "OK" };
const LIMIT = 32768;

/** used_memory ≤ maxmemory, both read from INFO memory. */
async function expectWithinMaxmemory(s: ShardStub): Promise<void> {
  const used = Number(await infoField(s, "used_memory", "memory"));
  const max = Number(await infoField(s, "maxmemory", "memory"));
  expect(used).toBeGreaterThan(0);
  expect(used).toBeLessThanOrEqual(max);
}

describe("proto-max-bulk-len bounds every value a command creates or grows", () => {
  it("defaults to MAX_RECORD_BYTES", async () => {
    const s = shardNamed(uniq("pmbl-default"));
    expect(await exec(s, ["CONFIG", "GET", "proto-max-bulk-len"])).toEqual([["proto-max-bulk-len", String(LIMIT)]]);
  });

  it("bounds SETRANGE, APPEND, SETBIT and BITFIELD offsets by it, not by Redis's 512 MB", async () => {
    const s = shardNamed(uniq("pmbl-strings"));
    expect(
      await exec(
        s,
        ["SETRANGE", "r", String(LIMIT), "x"],
        ["SETRANGE", "r", "67108864", "x"],
        ["SETRANGE", "r", String(LIMIT - 1), "x"],
        ["APPEND", "r", "y"],
        ["STRLEN", "r"],
        ["SETBIT", "b", String(LIMIT * 8), "1"],
        ["SETBIT", "b", "4294967295", "1"],
        ["SETBIT", "b", String(LIMIT * 8 - 1), "1"],
        ["BITFIELD", "f", "SET", "u8", "#8388607", "1"],
        ["BITFIELD", "f", "SET", "u8", `#${LIMIT}`, "1"],
        ["BITFIELD", "f", "SET", "u8", `#${LIMIT - 1}`, "1"],
        ["STRLEN", "b"],
        ["STRLEN", "f"],
        ["EXISTS", "nothing-made"],
      ),
    ).toEqual([TOO_LONG, TOO_LONG, LIMIT, TOO_LONG, LIMIT, BAD_OFFSET, BAD_OFFSET, 0, BAD_OFFSET, BAD_OFFSET, [0], LIMIT, LIMIT, 0]);
    await expectWithinMaxmemory(s);
  });

  it("bounds list, hash, set, sorted set and stream values once CONFIG SET lowers it below MAX_RECORD_BYTES", async () => {
    const s = shardNamed(uniq("pmbl-collections"));
    const big = "v".repeat(1001);
    const fits = "v".repeat(1000);
    expect(await exec(s, ["CONFIG", "SET", "proto-max-bulk-len", "1000"], ["RPUSH", "l", "a"], ["HSET", "h", "f", "a"])).toEqual([OK, 1, 1]);
    expect(
      await exec(
        s,
        ["SET", "k", big],
        ["RPUSH", "l", big],
        ["LSET", "l", "0", big],
        ["LINSERT", "l", "BEFORE", "a", big],
        ["HSET", "h", "f", big],
        ["HSET", "h", big, "1"],
        ["SADD", "s", big],
        ["ZADD", "z", "1", big],
        ["XADD", "x", "*", "f", big],
        ["GEOADD", "g", "13.361389", "38.115556", big],
        ["PFADD", "p", big],
        ["MSET", "k", "1", "k2", big],
        ["EXISTS", "k", "s", "z", "x", "g", "p", "k2"],
        ["LRANGE", "l", "0", "-1"],
        ["HGETALL", "h"],
        ["RPUSH", "l", fits],
        ["LLEN", "l"],
      ),
    ).toEqual([TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, TOO_LONG, 0, ["a"], ["f", "a"], 2, 2]);
    await expectWithinMaxmemory(s);
  });

  it("bounds what BITOP, SORT … STORE and scripts make from values stored before it was lowered", async () => {
    const s = shardNamed(uniq("pmbl-derived"));
    const old = "o".repeat(2000);
    expect(await exec(s, ["SET", "a", old], ["RPUSH", "ids", "1"], ["SET", "w_1", old], ["CONFIG", "SET", "proto-max-bulk-len", "1000"])).toEqual([OK, 1, OK, OK]);
    expect(
      await exec(
        s,
        ["BITOP", "OR", "dest", "a"],
        ["BITOP", "NOT", "dest", "a"],
        ["SORT", "ids", "GET", "w_*", "STORE", "sorted"],
        ["SORT", "ids", "GET", "#", "STORE", "sorted"],
        ["EVAL", "return redis.pcall('SET', KEYS[1], string.rep('x', 1001))", "1", "fromscript"],
        ["EXISTS", "dest", "fromscript"],
        ["LRANGE", "sorted", "0", "-1"],
      ),
    ).toEqual([TOO_LONG, TOO_LONG, TOO_LONG, 1, TOO_LONG, 0, ["1"]]);
    await expectWithinMaxmemory(s);
  });

  it("keeps LCS's table within it, with Redis's text", async () => {
    const s = shardNamed(uniq("pmbl-lcs"));
    // A (m+1)×(n+1) table of 4-byte cells: 101 × 101 × 4 > 32768 ≥ 101 × 51 × 4.
    expect(await exec(s, ["SET", "a", "a".repeat(100)], ["SET", "b", "b".repeat(100)], ["SET", "c", "a".repeat(50)], ["LCS", "a", "b"], ["LCS", "a", "c"])).toEqual([
      OK,
      OK,
      OK,
      { error: "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len" },
      "a".repeat(50),
    ]);
  });
});
