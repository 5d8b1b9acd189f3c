// Function libraries in Redis's formats: FUNCTION DUMP payloads both ways with a real redis-server
// 7.0, and FUNCTION2 records in RDB files (the functions.rdb fixture Redis wrote; ours, which Redis loads).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesToBinary, binaryToBytes } from "../../engine/bytes.js";
import { Keyspace } from "../../engine/keyspace.js";
import { findBinary, startRedis, type RedisProcess } from "../testing/redis.js";
import { dumpFunctions, encodeRdb, loadRdbInto, restoreFunctions } from "./index.js";

const server = findBinary("redis-server");
const required = process.env.CI === "true";
const FIXTURE_CODE = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)";
const LONG = `#!lua name=long\n${"-- a comment that repeats and compresses well\n".repeat(40)}redis.register_function('longf', function() return 1 end)`;

describe("FUNCTION2 records", () => {
  it("the functions.rdb fixture Redis 7.0.15 wrote loads its library and its key", () => {
    const bytes = new Uint8Array(readFileSync("/work/shared/fixtures/redis-7.0/rdb/functions.rdb"));
    const functions: string[] = [];
    const ks = new Keyspace(() => 0);
    const result = loadRdbInto(ks, bytes, { checksum: true, onFunction: (code) => functions.push(code) });
    expect(functions).toEqual([FIXTURE_CODE]);
    expect(ks.data.get("fn:key")).toBe("v");
    expect(result.warnings).toEqual([]);
  });

  it("a payload round-trips, short and LZF-compressed libraries alike; damage is refused with Redis's text", () => {
    const payload = dumpFunctions([FIXTURE_CODE, LONG]);
    expect(restoreFunctions(payload)).toEqual([FIXTURE_CODE, LONG]);
    const bad = payload.slice();
    bad[3] ^= 1;
    expect(restoreFunctions(bad)).toBe("DUMP payload version or checksum are wrong");
    expect(restoreFunctions(new Uint8Array(5))).toBe("DUMP payload version or checksum are wrong");
    expect(restoreFunctions(dumpFunctions([]))).toEqual([]);
  });
});

describe.skipIf(!server && !required)("with redis-server 7.0", () => {
  let redis: RedisProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "fn-payload-"));
    redis = await startRedis(server!, ["--dir", dir, "--appendonly", "no"]);
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("Redis restores our FUNCTION DUMP, and we restore Redis's, to the same libraries", async () => {
    const c = redis.client;
    await c.ok("FUNCTION", "FLUSH");
    expect(await c.call("FUNCTION", "RESTORE", bytesToBinary(dumpFunctions([FIXTURE_CODE, LONG])))).toEqual({ status: "OK" });
    expect(await c.call("FCALL", "myfunc", "0", "hi")).toBe("hi");
    const theirs = (await c.ok("FUNCTION", "DUMP")) as string;
    const codes = restoreFunctions(binaryToBytes(theirs)) as string[];
    expect([...codes].sort()).toEqual([FIXTURE_CODE, LONG].sort());
  });

  it("Redis loads an RDB file of ours with a FUNCTION2 record", async () => {
    writeFileSync(join(dir, "ours.rdb"), encodeRdb([["k", "v", undefined]], { functions: [FIXTURE_CODE] }));
    const loaded = await startRedis(server!, ["--dir", dir, "--dbfilename", "ours.rdb", "--appendonly", "no"]);
    try {
      expect(await loaded.client.call("FCALL", "myfunc", "0", "x")).toBe("x");
      expect(await loaded.client.call("GET", "k")).toBe("v");
    } finally {
      await loaded.stop();
    }
  });
});
