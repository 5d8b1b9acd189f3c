// Streams in RDB files: Redis 7.0's own streams.rdb loads exactly; streams of every shape (many nodes,
// tombstones, groups with pending entries, consumers with none, an emptied stream keeping its last
// ID) round-trip through our codec, pass redis-check-rdb, and load into redis-server 7.0 with the
// same XINFO STREAM FULL; the AOF rewrite rebuilds them too. Needs redis-server and redis-check-rdb
// (under CI=true their absence fails the suite).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { streamFullInfo } from "../../engine/commands/streams.js";
import { Engine } from "../../engine/engine.js";
import { Keyspace } from "../../engine/keyspace.js";
import { testEngine } from "../../engine/testing.js";
import { RedisStream } from "../../engine/types/index.js";
import { rewriteKey } from "../aof/rewrite.js";
import { RespCommandParser } from "../resp.js";
import { findBinary, run, startRedis } from "../testing/redis.js";
import { encodeRdb, loadRdbInto } from "./index.js";

const fixturePath = join(__dirname, "fixtures", "streams.rdb");

const server = findBinary("redis-server");
const checker = findBinary("redis-check-rdb");
const required = process.env.CI === "true";

/** Streams of every shape, made through the commands (node limits small so there are many nodes). */
function streams(): Engine {
  const { engine, clock, run } = testEngine({ config: { "stream-node-max-entries": "7" } });
  for (let i = 1; i <= 120; i++) run("XADD", "big", `${1000 + i}-${i % 3}`, ...(i % 5 ? ["f", `v${i}`] : ["a", String(i), "b", "x".repeat(i)]));
  for (const id of ["1003-0", "1010-1", "1011-2", "1050-2", "1120-0"]) run("XDEL", "big", id);
  run("XTRIM", "big", "MAXLEN", "100");
  run("XGROUP", "CREATE", "big", "g1", "0");
  run("XGROUP", "CREATE", "big", "g2", "$", "ENTRIESREAD", "3");
  run("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "big", ">");
  clock.advance(1500);
  run("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "big", ">");
  run("XGROUP", "CREATECONSUMER", "big", "g1", "idle-carol");
  run("XCLAIM", "big", "g1", "bob", "0", "1025-1", "RETRYCOUNT", "7");
  run("XADD", "emptied", "5-1", "f", "v");
  run("XDEL", "emptied", "5-1");
  run("XGROUP", "CREATE", "mk", "g", "$", "MKSTREAM");
  run("XADD", "huge-ids", "18446744073709551614-18446744073709551615", "f", "v");
  run("XADD", "huge-ids", "18446744073709551615-0", "f", "\x00\xff");
  return engine;
}

const infoOf = (s: RedisStream) => JSON.stringify(streamFullInfo(s, 0));

describe("streams in RDB files", () => {
  it("Redis 7.0's streams.rdb loads exactly as its manifest says", () => {
    const ks = new Keyspace(() => 0);
    loadRdbInto(ks, readFileSync(fixturePath), { checksum: true });
    const s = ks.data.get("stream:s") as RedisStream;
    expect(s.range("\0".repeat(16), "\xff".repeat(16), 0).length).toBe(3);
    const info = streamFullInfo(s, 0) as unknown[];
    expect(info.slice(0, 14)).toEqual([
      "length", 3, "radix-tree-keys", 1, "radix-tree-nodes", 2, "last-generated-id", "3-5", "max-deleted-entry-id", "1-2",
      "entries-added", 4, "recorded-first-entry-id", "1-1",
    ]);
    expect(info[15]).toEqual([["1-1", ["f", "v"]], ["2-0", ["name", "x"]], ["3-5", ["k", "v", "k2", "v2"]]]);
    const groups = info[17] as unknown[][];
    expect(groups.map((g) => [g[1], g[3], g[5]])).toEqual([["g1", "2-0", null], ["g2", "3-5", null]]);
    expect((groups[0][11] as unknown[][]).map((p) => [p[0], p[1], p[3]])).toEqual([["1-1", "alice", 1], ["2-0", "alice", 1]]);
    expect((groups[1][13] as unknown[][]).map((c) => c[1])).toEqual(["bob"]);
    const emptied = ks.data.get("stream:emptied") as RedisStream;
    expect([emptied.length, emptied.entriesAdded]).toEqual([0, 1]);
    expect(streamFullInfo(emptied, 0)).toContain("5-1");
  });

  it("every shape round-trips through our encoder and decoder to the same XINFO STREAM FULL", () => {
    const engine = streams();
    const file = encodeRdb([...engine.db.data.entries()].map(([k, v]) => [k, v, undefined]));
    const ks = new Keyspace(() => 0);
    loadRdbInto(ks, file, { checksum: true });
    for (const [key, v] of engine.db.data.entries()) expect(infoOf(ks.data.get(key) as RedisStream)).toBe(infoOf(v as RedisStream));
    // Re-encoding what was loaded gives the same bytes: nodes keep their tombstones and master entries.
    expect(encodeRdb([...ks.data.entries()].map(([k, v]) => [k, v, undefined]), { ctimeSec: 1 })).toEqual(
      encodeRdb([...engine.db.data.entries()].map(([k, v]) => [k, v, undefined]), { ctimeSec: 1 }),
    );
  });

  it("the AOF rewrite of every shape replays to the same streams", () => {
    const engine = streams();
    const replayed = new Engine({ config: { "stream-node-max-entries": "7" } });
    const parser = new RespCommandParser();
    for (const [key, v] of engine.db.data.entries()) parser.push(rewriteKey(key, v, undefined));
    replayed.db.loading = true;
    for (let c = parser.next(); c; c = parser.next()) {
      const r = replayed.replay(c);
      expect(r).not.toHaveProperty("error");
    }
    for (const [key, v] of engine.db.data.entries()) {
      // Seen times are the replay's own (Redis's rewrite does not keep them either).
      const strip = (s: string) => s.replace(/"seen-time",\d+/g, '"seen-time",T');
      const ours = v as RedisStream;
      const back = replayed.db.data.get(key) as RedisStream;
      expect([back.length, back.lastId, back.entriesAdded, back.maxDeletedId]).toEqual([ours.length, ours.lastId, ours.entriesAdded, ours.maxDeletedId]);
      expect(strip(JSON.stringify(streamFullInfo(back, 0)).replace(/"radix-tree-(keys|nodes)",\d+/g, ""))).toBe(
        strip(JSON.stringify(streamFullInfo(ours, 0)).replace(/"radix-tree-(keys|nodes)",\d+/g, "")),
      );
    }
  });

  describe.skipIf((!server || !checker) && !required)("with redis-server 7.0", () => {
    const dir = mkdtempSync(join(tmpdir(), "stream-rdb-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("redis-check-rdb accepts our file and redis-server loads it to the same XINFO STREAM FULL", async () => {
      const engine = streams();
      const file = encodeRdb([...engine.db.data.entries()].map(([k, v]) => [k, v, undefined]));
      writeFileSync(join(dir, "dump.rdb"), file);
      const check = run(checker!, [join(dir, "dump.rdb")]);
      expect(check.stdout).toContain("RDB looks OK");
      expect(check.code).toBe(0);
      const redis = await startRedis(server!, ["--dir", dir, "--dbfilename", "dump.rdb", "--appendonly", "no"]);
      try {
        expect(redis.log()).toContain("DB loaded from disk");
        for (const [key, v] of engine.db.data.entries()) {
          const theirs = await redis.client.call("XINFO", "STREAM", key, "FULL", "COUNT", "0");
          expect(JSON.stringify(theirs)).toBe(infoOf(v as RedisStream));
        }
        // And what Redis saves from it loads back here the same.
        await redis.client.ok("SAVE");
        const ks = new Keyspace(() => 0);
        loadRdbInto(ks, readFileSync(join(dir, "dump.rdb")), { checksum: true });
        for (const [key, v] of engine.db.data.entries()) expect(infoOf(ks.data.get(key) as RedisStream)).toBe(infoOf(v as RedisStream));
      } finally {
        await redis.stop();
      }
    }, 30_000);
  });
});

