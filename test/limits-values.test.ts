// Issue 14, values and growth: no command makes a value longer than proto-max-bulk-len (by default
// MAX_RECORD_BYTES, 32768 in this project's test config), with Redis's texts, and after every probe
// the shard's used_memory is still within maxmemory.
import { SELF, abortAllDurableObjects, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Keyspace } from "../durable-objects/engine/keyspace.js";
import { encodeRdb } from "../durable-objects/persistence/rdb-codec/index.js";
import { ADMIN_TOKEN, exec, execOn, infoField, one, setLog, shardNamed, uniq, type ShardStub } from "./helpers.js";

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

const OOM = { error: "OOM command not allowed when used memory > 'maxmemory'." };

/** A shard holding a set `s` and a sorted set `z` of `n` members each, with maxmemory set just above what it uses, so that copying either cannot fit. */
async function nearlyFull(name: string, n = 2000): Promise<{ s: ShardStub; used: number }> {
  const s = shardNamed(uniq(name));
  const members = Array.from({ length: n }, (_, i) => `member-${i}-${"m".repeat(40)}`);
  const zargs = members.flatMap((m, i) => [String(i), m]);
  expect(await exec(s, ["SADD", "s", ...members], ["ZADD", "z", ...zargs], ["SADD", "small", "a"])).toEqual([n, n, 1]);
  const used = Number(await infoField(s, "used_memory", "memory"));
  const size = Math.min(Number(await one(s, "MEMORY", "USAGE", "s")), Number(await one(s, "MEMORY", "USAGE", "z")));
  expect(await one(s, "CONFIG", "SET", "maxmemory", String(used + Math.floor(size / 2)))).toEqual(OK);
  return { s, used };
}

describe("a write that may grow past what it carries is checked against maxmemory before it runs", () => {
  it("refuses large SETRANGE, SETBIT and BITFIELD offsets with OOM instead of growing", async () => {
    const s = shardNamed(uniq("grow-offsets"));
    expect(await exec(s, ["CONFIG", "SET", "proto-max-bulk-len", "64mb"], ["CONFIG", "SET", "maxmemory", "1mb"], ["SET", "k", "v"])).toEqual([OK, OK, OK]);
    expect(
      await exec(
        s,
        ["SETRANGE", "k", "67108863", "x"],
        ["SETBIT", "k", "67108863", "1"],
        ["BITFIELD", "k", "SET", "u8", "#8388607", "1"],
        ["BITFIELD", "k", "GET", "u8", "#8388607"],
        ["SETRANGE", "new", "2000000", "x"],
        ["SETRANGE", "k", "1000", "x"],
        ["STRLEN", "k"],
        ["EXISTS", "new"],
      ),
    ).toEqual([OOM, OOM, OOM, [0], OOM, 1001, 1001, 0]);
    await expectWithinMaxmemory(s);
  });

  it("refuses *STORE set and sorted-set operations, SORT … STORE, COPY, BITOP and GEO*STORE whose sources cannot fit", async () => {
    const { s } = await nearlyFull("grow-store");
    expect(
      await exec(
        s,
        ["SUNIONSTORE", "d", "s", "small"],
        ["SINTERSTORE", "d", "s", "s"],
        ["SDIFFSTORE", "d", "s", "small"],
        ["ZUNIONSTORE", "d", "2", "z", "s"],
        ["ZINTERSTORE", "d", "2", "z", "z"],
        ["ZDIFFSTORE", "d", "1", "z"],
        ["ZRANGESTORE", "d", "z", "0", "-1"],
        ["SORT", "s", "ALPHA", "STORE", "d"],
        ["COPY", "z", "d"],
        ["GEOSEARCHSTORE", "d", "z", "FROMLONLAT", "0", "0", "BYRADIUS", "20000", "km"],
        ["GEORADIUS", "z", "0", "0", "20000", "km", "STORE", "d"],
        ["GEORADIUSBYMEMBER", "z", "member-0-" + "m".repeat(40), "20000", "km", "STOREDIST", "d"],
        ["EXISTS", "d"],
        // What fits still runs: a small source, and an intersection that the smallest source bounds.
        ["SUNIONSTORE", "d", "small"],
        ["SINTERSTORE", "d2", "s", "small"],
        ["COPY", "small", "d3"],
      ),
    ).toEqual([OOM, OOM, OOM, OOM, OOM, OOM, OOM, OOM, OOM, OOM, OOM, OOM, 0, 1, 0, 1]);
    await expectWithinMaxmemory(s);
  });

  it("refuses BITOP over a long string whose result cannot fit", async () => {
    const s = shardNamed(uniq("grow-bitop"));
    expect(await exec(s, ["CONFIG", "SET", "proto-max-bulk-len", "1mb"], ["SETRANGE", "a", String(200_000), "x"])).toEqual([OK, 200_001]);
    const used = Number(await infoField(s, "used_memory", "memory"));
    expect(await exec(s, ["CONFIG", "SET", "maxmemory", String(used + 100_000)], ["BITOP", "NOT", "d", "a"], ["BITOP", "AND", "d", "a", "missing"], ["EXISTS", "d"])).toEqual([OK, OOM, OOM, 0]);
    await expectWithinMaxmemory(s);
  });

  it("refuses the same growth in a transaction and in a script, and lets the rest of them run", async () => {
    const { s } = await nearlyFull("grow-script");
    expect(await execOn(s, [["SET", "t", "1"], ["SUNIONSTORE", "d", "s"], ["INCR", "t"]], true)).toEqual([OK, OOM, 2]);
    expect(await one(s, "EVAL", "redis.call('SET', 'u', '1'); return redis.pcall('COPY', 's', 'd')", "0")).toEqual(OOM);
    expect(await exec(s, ["GET", "u"], ["EXISTS", "d"])).toEqual(["1", 0]);
    await expectWithinMaxmemory(s);
  });

  it("evicts first under an evicting policy, then runs the write within maxmemory", async () => {
    const { s, used } = await nearlyFull("grow-evict");
    // Keys with a TTL only, so volatile-lru evicts them and never the sources; twice the set's size.
    const size = Number(await one(s, "MEMORY", "USAGE", "s"));
    const filler = "f".repeat(Math.ceil((2 * size) / 60));
    const fillers = Array.from({ length: 60 }, (_, i) => ["SET", `filler-${i}`, filler, "EX", "1000"]);
    expect(await one(s, "CONFIG", "SET", "maxmemory", String(used + 3 * size))).toEqual(OK);
    expect(await exec(s, ...fillers)).toEqual(fillers.map(() => OK));
    expect(await exec(s, ["CONFIG", "SET", "maxmemory-policy", "volatile-lru"], ["SUNIONSTORE", "d", "s"], ["SCARD", "d"], ["SCARD", "s"])).toEqual([OK, 2000, 2000, 2000]);
    expect(Number(await infoField(s, "evicted_keys", "stats"))).toBeGreaterThan(0);
    await expectWithinMaxmemory(s);
  });
});

const resp = (...argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("");
/** `n` SETs of 1,000-byte values to keys k0000…: each takes 1,069 bytes of used_memory (53 for the key, 1,016 for the value). */
const sets = (n: number) => Array.from({ length: n }, (_, i) => ["SET", `k${String(i).padStart(4, "0")}`, "x".repeat(1000)]);
const PER_KEY = 1069;

/** An RDB of those keys, as a restore uploads it. */
function rdbOf(commands: string[][]): Uint8Array {
  const ks = new Keyspace(() => 0);
  for (const [, key, value] of commands) ks.set(key, value);
  return encodeRdb([...ks.data].map(([k, v]) => [k, v, undefined]));
}

const adminFetch = (path: string, init: RequestInit = {}) =>
  SELF.fetch(`http://localhost/admin${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(init.headers ?? {}) } });
const shard0 = (): ShardStub => env.SHARD.get(env.SHARD.idFromName("shard-0")) as ShardStub;

describe("restores and loads respect maxmemory", () => {
  it("refuses an RDB whose dataset passes maxmemory before anything is replaced", async () => {
    const s = shard0();
    expect(await exec(s, ["SET", "sentinel", "kept"], ["CONFIG", "SET", "maxmemory", "100000"])).toEqual([OK, OK]);
    const res = await adminFetch("/restore?shard=0", { method: "POST", body: rdbOf(sets(200)) });
    // 94 keys are 100,486 bytes: the load stops there.
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: `ERR the dataset exceeds maxmemory (100000 bytes): ${94 * PER_KEY} bytes of used_memory after 94 keys (RDB_OVER_MAXMEMORY at offset 0)` });
    expect(await exec(s, ["GET", "sentinel"], ["DBSIZE"])).toEqual(["kept", 1]);
    // One that fits is restored.
    const ok = await adminFetch("/restore?shard=0", { method: "POST", body: rdbOf(sets(50)) });
    expect(await ok.json()).toEqual({ shard: 0, keys: 50 });
    await expectWithinMaxmemory(s);
    expect(await exec(s, ["CONFIG", "SET", "maxmemory", "24mb"], ["FLUSHALL"])).toEqual([OK, OK]);
  });

  it("refuses an AOF upload whose dataset passes a shard's maxmemory before any shard is replaced", async () => {
    const s = shard0();
    // Under this project's 64 KiB request limit: 30 keys, 32,070 bytes of used_memory.
    expect(await exec(s, ["SET", "sentinel", "kept"], ["CONFIG", "SET", "maxmemory", "20000"])).toEqual([OK, OK]);
    const aof = resp("SELECT", "0") + sets(30).map((c) => resp(...c)).join("");
    const res = await adminFetch("/restore-aof", { method: "POST", body: aof });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: `ERR the AOF's dataset exceeds maxmemory on shard 0: its keys take ${30 * PER_KEY} bytes of used_memory, maxmemory is 20000; no shard was changed`,
    });
    // The worker's replay is bounded as a shard's load is: a SETBIT that would allocate 500 MB stops it first.
    const hostile = resp("SELECT", "0") + resp("SET", "a", "1") + resp("SETBIT", "k", "4000000000", "1");
    const refused = await adminFetch("/restore-aof", { method: "POST", body: hostile });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      error: `ERR appendonly.aof: the dataset exceeds maxmemory: loading it would pass 50000 bytes of used_memory (maxmemory 20000, with room for one write past it), at offset ${resp("SELECT", "0").length + resp("SET", "a", "1").length}`,
    });
    expect(await exec(s, ["GET", "sentinel"], ["DBSIZE"])).toEqual(["kept", 1]);
    expect(await exec(s, ["CONFIG", "SET", "maxmemory", "24mb"], ["FLUSHALL"])).toEqual([OK, OK]);
  });

  it("stops a log whose replay passes maxmemory with an error that names it, and serves again once restored", async () => {
    const name = uniq("replay-over");
    const s = shardNamed(name);
    expect(await exec(s, ["CONFIG", "SET", "maxmemory", "200000"])).toEqual([OK]);
    // The load limit: maxmemory and half again, and one value (proto-max-bulk-len, 32768 here): 332,768 bytes, passed by the 312th key.
    const log = resp("SELECT", "0") + sets(400).map((c) => resp(...c)).join("");
    await setLog(s, log);
    await abortAllDurableObjects();
    const again = shardNamed(name);
    const offset = resp("SELECT", "0").length + 311 * resp(...sets(1)[0]).length;
    const error = `ERR the dataset exceeds maxmemory: loading it would pass 332768 bytes of used_memory (maxmemory 200000, with room for one write past it), at offset ${offset} of the append only file`;
    expect(await exec(again, ["GET", "k0000"], ["INFO"])).toEqual([{ error }, { error }]);
    expect((await again.adminStatus()).health.failing).toEqual([`not serving: ${error}`]);
    // A restore mends it, and replaces the log.
    expect(await again.adminRestore(new Blob([rdbOf(sets(10))]).stream())).toEqual({ keys: 10 });
    expect(await exec(again, ["DBSIZE"])).toEqual([10]);
    await expectWithinMaxmemory(again);
  });

  it("refuses a logged SETBIT whose offset passes the load limit before allocating it", async () => {
    const name = uniq("replay-setrange");
    const s = shardNamed(name);
    expect(await exec(s, ["CONFIG", "SET", "maxmemory", "1mb"])).toEqual([OK]);
    await setLog(s, resp("SELECT", "0") + resp("SET", "a", "1") + resp("SETBIT", "k", "4000000000", "1"));
    await abortAllDurableObjects();
    const again = shardNamed(name);
    const offset = resp("SELECT", "0").length + resp("SET", "a", "1").length;
    const limit = Math.floor(1048576 * 1.5) + 32768;
    expect(await one(again, "GET", "a")).toEqual({
      error: `ERR the dataset exceeds maxmemory: loading it would pass ${limit} bytes of used_memory (maxmemory 1048576, with room for one write past it), at offset ${offset} of the append only file`,
    });
  });
});
