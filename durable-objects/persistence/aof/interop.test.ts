// Interop with real Redis (Debian's redis-server and redis-tools): our AOF bytes pass redis-check-aof
// and load in redis-server to the same dataset; what redis-server writes loads here; our checker
// agrees with redis-check-aof on damaged files. Locally the suite is skipped without the binaries;
// under CI=true their absence fails it.

import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, textToBinary } from "../../engine/bytes.js";
import { Engine } from "../../engine/engine.js";
import { isErrorReply } from "../../engine/reply.js";
import { RedisHash, RedisList, RedisSet, RedisZSet, type Value } from "../../engine/types/index.js";
import { encodeCommand, encodeCommands } from "../resp.js";
import { dumpKeyspace, dumpRedis, findBinary, run, startRedis } from "../testing/redis.js";
import { checkAof, checkAofDir, fixAof, truncateToTimestamp } from "./check.js";
import { AOF_DIRNAME } from "./format.js";
import { loadAof } from "./loader.js";
import { baseFileName, incrFileName, loadOrder, manifestFileName, parseManifest, serializeManifest } from "./manifest.js";
import { keyspaceEntries, rewriteAll } from "./rewrite.js";

const REDIS_SERVER = findBinary("redis-server");
const REDIS_CHECK_AOF = findBinary("redis-check-aof");
const missing = REDIS_SERVER === null || REDIS_CHECK_AOF === null;
const required = process.env.CI === "true";

/** A time in the near future of the real clock: redis-server judges PXAT/PEXPIREAT by its own clock. */
const NOW = Date.now();
const HOUR = 3_600_000;
const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/**
 * An engine holding every type (binary and multi-byte bytes, collections beyond 64 items, TTLs),
 * the RESP base a rewrite makes of it, then the records it propagates for a run of writes that
 * includes SET … PXAT, PEXPIREAT and a MULTI … EXEC.
 */
function scenario(): { engine: Engine; base: string; log: string[][] } {
  const engine = new Engine({ clock: () => NOW });
  const put = (k: string, v: Value, exp?: number) => {
    engine.db.set(k, v);
    if (exp !== undefined) engine.db.setExpire(k, exp);
  };
  const l = new RedisList();
  range(150, (i) => l.pushBack(i % 7 ? `item:${i}` : textToBinary(`élément ${i} ✓`)));
  const s = new RedisSet();
  range(200, (i) => s.add(i % 2 ? `m${i}` : String(i)));
  const z = new RedisZSet();
  range(100, (i) => z.add(`z${i}`, (i - 50) / 3));
  z.add("top", Infinity);
  z.add("bottom", -Infinity);
  z.add(textToBinary("ζ"), 1e-7);
  const h = new RedisHash();
  range(130, (i) => h.set(`f${i}`, `v${i}\x00\xff`));
  put("str", "hello");
  put("bin", "\x00\x01\xfe\xff\r\n");
  put(textToBinary("ключ ✓"), textToBinary("значение 🙂"));
  put("empty", "");
  put("int", "12345");
  put("ttl", "soon", NOW + HOUR);
  put("list", l, NOW + 2 * HOUR);
  put("set", s);
  put("zset", z);
  put("hash", h, NOW + 3 * HOUR);

  const base = rewriteAll(keyspaceEntries(engine.db));
  const log: string[][] = [];
  engine.sink = (records) => log.push(...records);
  const run = (...argv: string[]) => expect(isErrorReply(engine.execute(argv))).toBe(false);
  run("SET", "px", "v", "EX", "7200");
  run("SETEX", "setex", "7200", "v");
  run("EXPIRE", "str", "9000");
  run("INCRBYFLOAT", "float", "2.5");
  run("APPEND", "bin", "\x80tail");
  run("SET", textToBinary("ключ ✓"), "replaced", "KEEPTTL");
  run("PEXPIREAT", "int", String(NOW + 4 * HOUR));
  run("GETDEL", "empty");
  run("INCRBY", "counter", "41");
  const tx = engine.executeTransaction([
    ["SET", "tx:a", "1"],
    ["INCR", "counter"],
    ["EXPIRE", "tx:a", "5000"],
    ["DEL", "ttl"],
  ]);
  expect(Array.isArray(tx)).toBe(true);
  run("PERSIST", "hash");
  return { engine, base, log };
}

/** Writes an appendonlydir (base seq 1 + incr seq 1 + manifest) under dir; returns its path. */
function writeAofDir(dir: string, base: string, incr: string): string {
  const aofDir = join(dir, AOF_DIRNAME);
  mkdirSync(aofDir, { recursive: true });
  const manifest = serializeManifest({
    base: { name: baseFileName(1, "aof"), seq: 1, type: "b" },
    incrs: [{ name: incrFileName(1), seq: 1, type: "i" }],
    history: [],
  });
  writeFileSync(join(aofDir, baseFileName(1, "aof")), binaryToBytes(base));
  writeFileSync(join(aofDir, incrFileName(1)), binaryToBytes(incr));
  writeFileSync(join(aofDir, manifestFileName()), binaryToBytes(manifest));
  return aofDir;
}

const readBytes = (path: string) => bytesToBinary(readFileSync(path));

/** redis-check-aof's "ok_up_to" and "ok_up_to_line" for a file, or null when it did not analyze it. */
function toolVerdict(path: string): { code: number; okUpTo: number; okUpToLine: number } | null {
  const { code, stdout } = run(REDIS_CHECK_AOF!, [path]);
  const m = /ok_up_to=(\d+), ok_up_to_line=(\d+)/.exec(stdout);
  return m ? { code, okUpTo: Number(m[1]), okUpToLine: Number(m[2]) } : null;
}

describe.skipIf(missing && !required)("interop with redis-server and redis-check-aof", () => {
  let tmp = "";
  beforeAll(() => {
    if (missing) {
      throw new Error("redis-server and redis-check-aof are required under CI: apt-get install -y redis-server redis-tools");
    }
  });
  beforeEach(() => {
    tmp = mkdtempSync(join(tmpdir(), "durable-redis-aof-"));
  });
  afterEach(() => {
    rmSync(tmp, { recursive: true, force: true });
  });

  it("propagates the record forms the scenario is meant to exercise", () => {
    const { log } = scenario();
    const names = log.map((c) => c[0]);
    expect(names).toContain("MULTI");
    expect(names).toContain("EXEC");
    expect(names).toContain("PEXPIREAT");
    expect(log.some((c) => c[0] === "SET" && c.includes("PXAT"))).toBe(true);
  });

  it("redis-check-aof finds our rewrite, our log and our manifest valid", () => {
    const { base, log } = scenario();
    const incr = encodeCommands([["SELECT", "0"], ...log]);
    const aofDir = writeAofDir(tmp, base, incr);
    for (const name of [baseFileName(1, "aof"), incrFileName(1)]) {
      const r = run(REDIS_CHECK_AOF!, [join(aofDir, name)]);
      expect(r.stdout).toContain(`AOF ${join(aofDir, name)} is valid`);
      expect(r.code).toBe(0);
    }
    const all = run(REDIS_CHECK_AOF!, [join(aofDir, manifestFileName())]);
    expect(all.stdout).toContain("All AOF files and manifest are valid");
    expect(all.code).toBe(0);
    // And our checker says the same, with the same figures.
    const ours = checkAofDir({ manifest: readBytes(join(aofDir, manifestFileName())), files: { [baseFileName(1, "aof")]: base, [incrFileName(1)]: incr } });
    expect(ours.ok).toBe(true);
    for (const f of ours.files) {
      expect(all.stdout).toContain(`filename=${f.name}, size=${f.size}, ok_up_to=${f.okUpTo}, ok_up_to_line=${f.okUpToLine}, diff=0`);
    }
  });

  it("redis-server loads the directory we wrote and holds our dataset", async () => {
    const { engine, base, log } = scenario();
    writeAofDir(tmp, base, encodeCommands([["SELECT", "0"], ...log]));
    const redis = await startRedis(REDIS_SERVER!, ["--dir", tmp, "--appendonly", "yes", "--appenddirname", AOF_DIRNAME, "--aof-use-rdb-preamble", "no"]);
    try {
      expect(redis.log()).toContain("DB loaded from incr file");
      expect(redis.log()).not.toMatch(/truncat|Bad file format|Unrecoverable/i);
      expect(await dumpRedis(redis.client)).toEqual(dumpKeyspace(engine.db));
    } finally {
      await redis.stop();
    }
  }, 30_000);

  it("reads back what redis-server itself writes, annotations included", async () => {
    const redis = await startRedis(REDIS_SERVER!, [
      "--dir", tmp, "--appendonly", "yes", "--appenddirname", AOF_DIRNAME,
      "--aof-use-rdb-preamble", "no", "--aof-timestamp-enabled", "yes", "--appendfsync", "always",
    ]);
    const sent = [
      ["SET", "a", "1"],
      ["RPUSH", "l", "x", "y"],
      ["SET", "u", textToBinary("ünïcødé ✓")],
      ["MULTI"],
      ["INCR", "n"],
      ["SET", "b", "\x00\xff"],
      ["EXEC"],
      ["SET", "e", "v", "EX", "1000"],
    ];
    try {
      for (const argv of sent) await redis.client.ok(...argv);
      await redis.client.ok("BGREWRITEAOF");
      for (let i = 0; i < 200 && !redis.log().includes("Background AOF rewrite finished successfully"); i++) {
        await new Promise((r) => setTimeout(r, 25));
      }
      await redis.client.ok("SET", "after", "rewrite");
    } finally {
      await redis.stop();
    }
    const aofDir = join(tmp, AOF_DIRNAME);
    const files = new Map(readdirSync(aofDir).map((n) => [n, readBytes(join(aofDir, n))]));
    const manifestText = files.get(manifestFileName())!;
    const manifest = parseManifest(manifestText);
    expect(serializeManifest(manifest)).toBe(manifestText);
    const report = checkAofDir({ manifest: manifestText, files });
    expect(report.ok).toBe(true);
    const records: string[][] = [];
    let timestamps = 0;
    for (const f of loadOrder(manifest)) {
      const r = loadAof(files.get(f.name)!, { collect: true, onItem: (i) => void (i.kind === "annotation" && i.timestamp !== null && timestamps++) });
      expect(r.status === "OK" || r.status === "EMPTY").toBe(true);
      records.push(...r.records!);
    }
    expect(timestamps).toBeGreaterThan(0);
    expect(records).toContainEqual(["SET", "u", textToBinary("ünïcødé ✓")]);
    expect(records).toContainEqual(["SET", "b", "\x00\xff"]);
    expect(records).toContainEqual(["RPUSH", "l", "x", "y"]);
    expect(records).toContainEqual(["SET", "after", "rewrite"]);
  }, 30_000);

  it("agrees with redis-check-aof on where a cut file stops being whole, and on --fix", () => {
    const { log } = scenario();
    const file = encodeCommands([["SELECT", "0"], ...log]);
    const path = join(tmp, "cut.aof");
    // Cuts at 80 spread offsets, plus each record's edges.
    const offsets = new Set(range(80, (i) => Math.floor(((i + 1) * file.length) / 81)));
    loadAof(file, { onItem: (i) => (offsets.add(i.start + 1), offsets.add(i.end - 1)) });
    for (const n of [...offsets].sort((a, b) => a - b)) {
      const cut = file.slice(0, n);
      writeFileSync(path, binaryToBytes(cut));
      const tool = toolVerdict(path)!;
      const ours = checkAof(cut, { name: "cut.aof" });
      expect({ n, okUpTo: ours.okUpTo, okUpToLine: ours.okUpToLine }).toEqual({ n, okUpTo: tool.okUpTo, okUpToLine: tool.okUpToLine });
    }
    const n = Math.floor(file.length * 0.6);
    writeFileSync(path, binaryToBytes(file.slice(0, n)));
    expect(run(REDIS_CHECK_AOF!, ["--fix", path], "y\n").code).toBe(0);
    expect(readBytes(path)).toBe(fixAof(file.slice(0, n)).bytes);
  }, 60_000);

  it("agrees with redis-check-aof on damaged records", () => {
    const S = encodeCommand(["SET", "k", "v"]);
    const damaged = [
      S + "x" + S,
      S + encodeCommand(["MULTI"]) + encodeCommand(["MULTI"]) + S,
      S + encodeCommand(["EXEC"]) + S,
      S + "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nvXX" + S,
      S + "*3\r\n$3\r\nSET\r\n:1\r\nk\r\n",
      S + "*3x\r\n",
      "*1\r\n$-1\r\n" + S,
    ];
    const path = join(tmp, "bad.aof");
    for (const file of damaged) {
      writeFileSync(path, binaryToBytes(file));
      const tool = toolVerdict(path)!;
      expect(tool.code).toBe(1);
      const ours = checkAof(file);
      expect({ file, okUpTo: ours.okUpTo, okUpToLine: ours.okUpToLine }).toEqual({ file, okUpTo: tool.okUpTo, okUpToLine: tool.okUpToLine });
    }
  });

  it("agrees with redis-check-aof --truncate-to-timestamp", () => {
    const S = (k: string) => encodeCommand(["SET", k, "v"]);
    const file = `#TS:100\r\n${S("a")}#TS:200\r\n${S("b")}#TS:300\r\n${S("c")}`;
    const path = join(tmp, "ts.aof");
    for (const t of [150, 250, 500]) {
      writeFileSync(path, binaryToBytes(file));
      expect(run(REDIS_CHECK_AOF!, ["--truncate-to-timestamp", String(t), path]).code).toBe(0);
      expect(readBytes(path)).toBe(truncateToTimestamp(file, t).bytes);
    }
  });
});
