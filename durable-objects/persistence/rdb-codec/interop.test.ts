// Interop with the real thing: redis-check-rdb accepts our files, redis-server 7 loads them to the
// same dataset, and for the same dataset our file is no larger than the one Redis writes.
// Needs Debian's redis-server and redis-tools; under CI=true their absence fails the suite.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Keyspace } from "../../engine/keyspace.js";
import { seededRandom } from "../../engine/testing.js";
import { RedisHash, RedisList, RedisSet, RedisZSet } from "../../engine/types/index.js";
import { dumpKeyspace, dumpRedis, findBinary, run, startRedis } from "../testing/redis.js";
import { encodeRdb, loadRdbInto } from "./index.js";

const server = findBinary("redis-server");
const checker = findBinary("redis-check-rdb");
const missing = !server || !checker;
const required = process.env.CI === "true";

function dataset(seed: number): Keyspace {
  const rnd = seededRandom(seed);
  const ks = new Keyspace(() => 0);
  const word = (n = 8) => Array.from({ length: 1 + Math.floor(rnd() * n) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join("");
  const bin = () => Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => String.fromCharCode(Math.floor(rnd() * 256))).join("");
  for (let i = 0; i < 400; i++) {
    const key = `key:${i}:${word(4)}`;
    const big = rnd() < 0.15;
    const n = big ? 150 + Math.floor(rnd() * 600) : 1 + Math.floor(rnd() * 30);
    switch (i % 6) {
      case 0:
        ks.set(key, rnd() < 0.3 ? String(Math.floor(rnd() * 1e12) - 5e11) : rnd() < 0.5 ? word(60).repeat(3) : bin());
        break;
      case 1: {
        const l = new RedisList();
        for (let j = 0; j < n * (big ? 10 : 1); j++) l.pushBack(rnd() < 0.3 ? String(j) : word(big ? 40 : 10));
        ks.set(key, l);
        break;
      }
      case 2: {
        const s = new RedisSet();
        const ints = rnd() < 0.5;
        for (let j = 0; j < n; j++) s.add(ints ? String(Math.floor(rnd() * 1e10) - 5e9) : word(12));
        ks.set(key, s);
        break;
      }
      case 3: {
        const z = new RedisZSet();
        for (let j = 0; j < n; j++) z.add(rnd() < 0.05 ? word(80) : word(12), rnd() < 0.5 ? Math.floor(rnd() * 1000) : (rnd() - 0.5) * 1e6);
        ks.set(key, z);
        break;
      }
      case 4: {
        const h = new RedisHash();
        for (let j = 0; j < n; j++) h.set(word(10), rnd() < 0.05 ? word(100) : rnd() < 0.5 ? String(j) : word(20));
        ks.set(key, h);
        break;
      }
      default:
        ks.set(key, bin());
    }
    if (rnd() < 0.25) ks.setExpire(key, 4_000_000_000_000 + Math.floor(rnd() * 1e9));
  }
  return ks;
}

const fileOf = (ks: Keyspace) => encodeRdb([...ks.data].map(([k, v]) => [k, v, ks.expires.get(k)]));

describe.skipIf(missing && !required)("RDB interop with redis-server 7 and redis-check-rdb", () => {
  let dir = "";
  beforeAll(() => {
    if (missing) throw new Error("redis-server and redis-check-rdb are required under CI: apt-get install -y redis-server redis-tools");
    dir = mkdtempSync(join(tmpdir(), "rdb-interop-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const seed of [11, 12]) {
    it(`redis-check-rdb accepts our file and redis-server loads it to the same dataset (seed ${seed})`, async () => {
      const ks = dataset(seed);
      const file = fileOf(ks);
      writeFileSync(join(dir, `ours-${seed}.rdb`), file);
      const check = run(checker!, [join(dir, `ours-${seed}.rdb`)]);
      expect(check.stdout).toContain("RDB looks OK!");
      expect(check.code).toBe(0);
      const redis = await startRedis(server!, ["--dir", dir, "--dbfilename", `ours-${seed}.rdb`, "--appendonly", "no"]);
      try {
        expect(await dumpRedis(redis.client)).toEqual(dumpKeyspace(ks));
        // Same dataset saved by Redis itself: ours is no larger.
        // (dbfilename is a protected config in 7.0, so SAVE overwrites the file it loaded.)
        expect(await redis.client.call("SAVE")).toEqual({ status: "OK" });
        const theirs = readFileSync(join(dir, `ours-${seed}.rdb`));
        const ratio = file.length / theirs.length;
        console.log(`RDB size, ours/redis: ${file.length}/${theirs.length} = ${ratio.toFixed(3)}`);
        expect(ratio).toBeLessThanOrEqual(1.0);
        // And we read what Redis wrote back to the same dataset.
        const back = new Keyspace(() => 0);
        loadRdbInto(back, new Uint8Array(theirs), { checksum: true });
        expect(dumpKeyspace(back)).toEqual(dumpKeyspace(ks));
      } finally {
        await redis.stop();
      }
    });
  }
});
