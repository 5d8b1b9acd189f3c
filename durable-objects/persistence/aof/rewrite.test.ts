import { describe, expect, it } from "vitest";
import { textToBinary } from "../../engine/bytes.js";
import { Engine } from "../../engine/engine.js";
import { isErrorReply } from "../../engine/reply.js";
import { RedisHash, RedisList, RedisSet, RedisZSet, type Value } from "../../engine/types/index.js";
import { encodeCommand, encodeCommands } from "../resp.js";
import { readFixture } from "../testing/fixtures.js";
import { dumpKeyspace } from "../testing/redis.js";
import { loadAof } from "./loader.js";
import { AofRewriter, type SnapshotEntry, keyspaceEntries, rewriteAll, rewriteKey } from "./rewrite.js";

const list = (...items: string[]) => {
  const l = new RedisList();
  for (const i of items) l.pushBack(i);
  return l;
};
const set = (...members: string[]) => {
  const s = new RedisSet();
  for (const m of members) s.add(m);
  return s;
};
const zset = (...entries: [string, number][]) => {
  const z = new RedisZSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
};
const hash = (...entries: [string, string][]) => {
  const h = new RedisHash();
  for (const [f, v] of entries) h.set(f, v);
  return h;
};
const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** The commands a rewrite wrote, parsed back. */
const commandsOf = (bytes: string) => loadAof(bytes, { collect: true }).records!;

describe("rewriteKey", () => {
  it("writes a string as SET", () => {
    expect(rewriteKey("k", "v", undefined)).toBe(encodeCommand(["SET", "k", "v"]));
  });

  it("writes each collection type with Redis 7.0's command for it", () => {
    expect(commandsOf(rewriteKey("l", list("a", "b"), undefined))).toEqual([["RPUSH", "l", "a", "b"]]);
    expect(commandsOf(rewriteKey("s", set("x", "y"), undefined))).toEqual([["SADD", "s", "x", "y"]]);
    expect(commandsOf(rewriteKey("z", zset(["a", 1], ["b", 2.5]), undefined))).toEqual([["ZADD", "z", "1", "a", "2.5", "b"]]);
    expect(commandsOf(rewriteKey("h", hash(["f", "v"]), undefined))).toEqual([["HMSET", "h", "f", "v"]]);
  });

  it("splits collections into commands of at most 64 items", () => {
    const items = range(130, (i) => `e${i}`);
    expect(commandsOf(rewriteKey("l", list(...items), undefined))).toEqual([
      ["RPUSH", "l", ...items.slice(0, 64)],
      ["RPUSH", "l", ...items.slice(64, 128)],
      ["RPUSH", "l", ...items.slice(128)],
    ]);
    expect(commandsOf(rewriteKey("s", set(...items.slice(0, 64)), undefined))).toEqual([["SADD", "s", ...items.slice(0, 64)]]);
    const fields = range(65, (i) => `f${i}`);
    const h = commandsOf(rewriteKey("h", hash(...fields.map((f) => [f, f.toUpperCase()] as [string, string])), undefined));
    expect(h.map((c) => c.length)).toEqual([2 + 128, 2 + 2]);
    const z = commandsOf(rewriteKey("z", zset(...fields.map((f, i) => [f, i] as [string, number])), undefined));
    expect(z.map((c) => c.length)).toEqual([2 + 128, 2 + 2]);
    expect(z[1]).toEqual(["ZADD", "z", "64", "f64"]);
  });

  it("prints scores as %.17g, with infinities spelled out", () => {
    const z = zset(["ninf", -Infinity], ["neg", -2.25], ["zero", 0], ["tenth", 0.1], ["big", 1e21], ["inf", Infinity]);
    expect(commandsOf(rewriteKey("z", z, undefined))).toEqual([
      ["ZADD", "z", "-inf", "ninf", "-2.25", "neg", "0", "zero", "0.10000000000000001", "tenth", "1e+21", "big", "inf", "inf"],
    ]);
  });

  it("follows a key that has a TTL with PEXPIREAT and its absolute time in ms", () => {
    expect(commandsOf(rewriteKey("k", "v", 4102444800123))).toEqual([
      ["SET", "k", "v"],
      ["PEXPIREAT", "k", "4102444800123"],
    ]);
    expect(commandsOf(rewriteKey("l", list(...range(70, String)), 5))).toMatchObject([{ 0: "RPUSH" }, { 0: "RPUSH" }, ["PEXPIREAT", "l", "5"]]);
  });

  it("keeps binary and multi-byte keys and values byte for byte", () => {
    const key = textToBinary("clé✓");
    const value = "\x00\xff\r\n";
    expect(commandsOf(rewriteKey(key, value, undefined))).toEqual([["SET", key, value]]);
    expect(rewriteKey(key, value, undefined)).toBe(`*3\r\n$3\r\nSET\r\n$7\r\n${key}\r\n$4\r\n${value}\r\n`);
  });

  it("writes nothing for an empty collection", () => {
    expect(rewriteKey("l", new RedisList(), 10)).toBe("");
  });
});

describe("AofRewriter", () => {
  it("writes what redis-server 7.0.15 wrote for the same keys, byte for byte", () => {
    // The fixture's base (aof-use-rdb-preamble no): database 0's part, before its SELECT 3.
    const base = readFixture("resp/appendonlydir/appendonly.aof.2.base.aof");
    const db0 = base.slice(0, base.indexOf(encodeCommand(["SELECT", "3"])));
    const entries: SnapshotEntry[] = [
      ["base:str", "hello", undefined],
      ["base:int", "12345", undefined],
      ["base:list", list("a", "b", "c"), undefined],
      ["base:bin", "\x00\xff\r\n", undefined],
      ["gone:soon", "x", undefined],
      ["base:set", set("1", "2", "3"), undefined],
      ["base:zset", zset(["a", 1], ["b", 2.5], ["c", Infinity]), undefined],
      ["base:hash", hash(["f1", "v1"], ["f2", "v2"]), undefined],
      ["base:exp", "v", 4102444800123],
      ["popset", set("only"), undefined],
    ];
    expect(rewriteAll(entries)).toBe(db0);
  });

  it("writes nothing at all for an empty keyspace, as Redis selects only databases with keys", () => {
    expect(rewriteAll([])).toBe("");
    expect(new AofRewriter([]).step(10)).toBeNull();
  });

  it("selects database 0 once, before the first key", () => {
    const out = rewriteAll([
      ["a", "1", undefined],
      ["b", "2", undefined],
    ]);
    expect(commandsOf(out)).toEqual([["SELECT", "0"], ["SET", "a", "1"], ["SET", "b", "2"]]);
  });

  it("starts with a #TS annotation when asked, as with aof-timestamp-enabled", () => {
    const out = rewriteAll([["a", "1", undefined]], { timestampSeconds: 1700000000.9 });
    expect(out.startsWith("#TS:1700000000\r\n*2\r\n$6\r\nSELECT")).toBe(true);
    expect(loadAof(out).lastTimestamp).toBe(1700000000);
  });

  it("can be driven a few keys at a time, and the slices add up to the whole rewrite", () => {
    const entries: SnapshotEntry[] = range(25, (i) => `k${i}`).map((k, i) => [k, i % 2 ? list(k, k) : k, i % 3 ? undefined : 1000 + i]);
    const whole = rewriteAll(entries);
    const rw = new AofRewriter(entries);
    const slices: string[] = [];
    for (let chunk = rw.step(4); chunk !== null; chunk = rw.step(4)) slices.push(chunk);
    expect(slices.join("")).toBe(whole);
    expect(slices.length).toBe(Math.ceil(25 / 4));
    expect(rw).toMatchObject({ keys: 25, bytes: whole.length, done: true });
  });

  it("ends a slice early once it has produced maxStepBytes, but always writes a key whole", () => {
    const big = "x".repeat(1000);
    const entries: SnapshotEntry[] = range(10, (i) => [`k${i}`, big, undefined] as SnapshotEntry);
    const rw = new AofRewriter(entries, { maxStepBytes: 2500 });
    const first = rw.step(100)!;
    expect(commandsOf(first).filter((c) => c[0] === "SET")).toHaveLength(3);
    let rest = "";
    for (let c = rw.step(100); c !== null; c = rw.step(100)) rest += c;
    expect(first + rest).toBe(rewriteAll(entries));
  });

  it("takes keys pushed by a keyspace cut, and is done once told the cut has ended", () => {
    const rw = new AofRewriter();
    expect(rw.take()).toBeNull();
    rw.addKey("a", "1", undefined);
    expect(rw.take(1000)).toBeNull();
    const first = rw.take()!;
    rw.addKey("b", list("x"), 77);
    expect(rw.done).toBe(false);
    rw.end();
    const second = rw.step(10)!;
    expect(rw.step(10)).toBeNull();
    expect(rw.done).toBe(true);
    expect(commandsOf(first + second)).toEqual([["SELECT", "0"], ["SET", "a", "1"], ["RPUSH", "b", "x"], ["PEXPIREAT", "b", "77"]]);
  });

  it("refuses to write a collection that changes size while it is being written", () => {
    class Miscounted extends RedisList {
      override get length(): number {
        return 3;
      }
    }
    const shrinking = new Miscounted();
    shrinking.pushBack("a");
    shrinking.pushBack("b");
    expect(() => rewriteKey("l", shrinking, undefined)).toThrow("item count changed");
  });
});

describe("rewrite → load → replay", () => {
  const T0 = 1_700_000_000_000;

  /** A keyspace with every type, binary and multi-byte bytes, large collections and TTLs. */
  function sourceEngine(): Engine {
    const e = new Engine({ clock: () => T0 });
    const put = (k: string, v: Value, exp?: number) => {
      e.db.set(k, v);
      if (exp !== undefined) e.db.setExpire(k, exp);
    };
    put("str", "hello");
    put("bin", "\x00\x01\xfe\xff\r\n");
    put(textToBinary("ключ"), textToBinary("значение ✓"));
    put("empty", "");
    put("ttl", "soon", T0 + 60_000);
    put("list", list(...range(150, (i) => `item:${i}`)), T0 + 3_600_000);
    put("set", set(...range(200, (i) => `m${i}`)));
    put("zset", zset(...range(100, (i) => [`z${i}`, (i - 50) / 3] as [string, number]), ["top", Infinity], ["bottom", -Infinity]));
    put("hash", hash(...range(130, (i) => [`f${i}`, `v${i}\x00`] as [string, string])));
    return e;
  }

  const needs = (e: Engine, ...cmds: string[]) => cmds.filter((c) => !e.lookup(c));

  it("rebuilds strings and TTLs exactly in a fresh engine", () => {
    const src = sourceEngine();
    const strings = [...keyspaceEntries(src.db)].filter(([, v]) => typeof v === "string");
    const dst = new Engine({ clock: () => T0 });
    const r = loadAof(rewriteAll(strings), { onItem: (i) => i.kind === "command" && expect(isErrorReply(dst.replay(i.argv))).toBe(false) });
    expect(r.status).toBe("OK");
    const expected = new Map([...dumpKeyspace(src.db)].filter(([, d]) => d.type === "string"));
    expect(dumpKeyspace(dst.db)).toEqual(expected);
  });

  // The collection commands arrive with the engine's list/set/zset/hash families; until they do,
  // this round trip is skipped (the interop test replays the same output in redis-server meanwhile).
  const missing = needs(new Engine(), "rpush", "sadd", "zadd", "hmset");
  it.skipIf(missing.length > 0)(`rebuilds every type exactly in a fresh engine (needs ${missing.join(", ") || "nothing"})`, () => {
    const src = sourceEngine();
    const dst = new Engine({ clock: () => T0 });
    const r = loadAof(rewriteAll(keyspaceEntries(src.db)), {
      onItem: (i) => {
        if (i.kind === "command") expect(dst.replay(i.argv)).not.toHaveProperty("error");
      },
    });
    expect(r.status).toBe("OK");
    expect(dumpKeyspace(dst.db)).toEqual(dumpKeyspace(src.db));
  });

  it("writes the same bytes for the same dataset however the rewrite is sliced", () => {
    const src = sourceEngine();
    const whole = rewriteAll(keyspaceEntries(src.db));
    const rw = new AofRewriter(keyspaceEntries(src.db), { maxStepBytes: 512 });
    let out = "";
    for (let c = rw.step(1); c !== null; c = rw.step(1)) out += c;
    expect(out).toBe(whole);
    expect(encodeCommands(commandsOf(whole))).toBe(whole);
  });
});
