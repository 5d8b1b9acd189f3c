// The CLI's commands against a running deployment: the built worker in Miniflare with 4 shards (R2,
// SQLite storage), and real redis-servers as references. export → redis-server loads the same
// dataset; restore --rdb of Redis's own dumps puts every key on its slot's shard; backup → wipe →
// restore gives the identical dataset; info, health and cli as an operator uses them.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, compareBytes, textToBinary } from "../../durable-objects/engine/bytes.js";
import { loadAof } from "../../durable-objects/persistence/aof/loader.js";
import { keySlot, slotShard } from "../../worker/slots.js";
import { tarBlocks, untar } from "./tar.js";
import { type RedisProcess, dumpRedis, findBinary, startRedis } from "../../durable-objects/persistence/testing/redis.js";
import { ADMIN_TOKEN, RDB_FIXTURES, TOKEN, type Worker, cli, startWorker, tempDir } from "./testing.js";

const REDIS_SERVER = findBinary("redis-server");
const required = process.env.CI === "true";

const NOW = Date.now();
const HOUR = 3_600_000;

/** A dataset of every type, spread over the shards, with expiries, binary and multi-byte bytes. */
function dataset(): string[][] {
  const cmds: string[][] = [];
  for (let i = 0; i < 40; i++) cmds.push(["SET", `str:${i}`, `value ${i}`]);
  cmds.push(["SET", "bin", "\x00\x01\xfe\xff\r\n"]);
  cmds.push(["SET", textToBinary("ключ ✓"), textToBinary("значение 🙂")]);
  cmds.push(["SET", "int", "12345"]);
  cmds.push(["SET", "ttl", "soon", "PXAT", String(NOW + HOUR)]);
  cmds.push(["RPUSH", "list", ...Array.from({ length: 150 }, (_, i) => `item:${i}`)]);
  cmds.push(["PEXPIREAT", "list", String(NOW + 2 * HOUR)]);
  cmds.push(["SADD", "set", ...Array.from({ length: 20 }, (_, i) => String(i * 7))]);
  cmds.push(["SADD", "words", "a", "b", "c"]);
  cmds.push(["ZADD", "zset", "1", "one", "2.5", "two", "-3", "minus", "inf", "top"]);
  cmds.push(["HSET", "hash", ...Array.from({ length: 30 }, (_, i) => [`f${i}`, `v${i}`]).flat()]);
  cmds.push(["HSET", "{tag}big", "f", "x".repeat(200)]);
  return cmds;
}

/** Sends commands as JSON with byte strings as UTF-16 code units → the worker takes UTF-8, so send text. */
async function pipeline(url: string, cmds: string[][]): Promise<unknown[]> {
  // Path form keeps arbitrary bytes: /pipeline's JSON takes text, so binary values go one by one.
  const out: unknown[] = [];
  for (const argv of cmds) {
    const path = argv.slice(0, -1).map((a) => "/" + [...binaryToBytes(a)].map((b) => "%" + b.toString(16).padStart(2, "0")).join("")).join("");
    const res = await fetch(url + path, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: binaryToBytes(argv[argv.length - 1]) });
    out.push(await res.json());
  }
  return out;
}

describe.skipIf(REDIS_SERVER === null && !required)("the CLI against a 4-shard deployment", () => {
  let worker: Worker;
  const tmp = tempDir("cli-server-");
  const admin = () => ["--url", worker.url, "--token", ADMIN_TOKEN, "--quiet"];
  const redises: RedisProcess[] = [];

  /** A real redis-server, stopped after the suite. */
  async function redis(args: string[] = []): Promise<RedisProcess> {
    const r = await startRedis(REDIS_SERVER!, ["--appendonly", "no", ...args]);
    redises.push(r);
    return r;
  }

  /** redis-server loading an RDB file: its database 0 in comparable form. */
  async function loadInRedis(file: string, name: string): Promise<Awaited<ReturnType<typeof dumpRedis>>> {
    const dir = join(tmp.path, `load-${name}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(file, join(dir, "dump.rdb"));
    const r = await redis(["--dir", dir, "--dbfilename", "dump.rdb"]);
    expect(r.log()).toContain("DB loaded from disk");
    return dumpRedis(r.client);
  }

  beforeAll(async () => {
    if (REDIS_SERVER === null) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    worker = await startWorker(4, tmp.path);
  }, 60_000);

  afterAll(async () => {
    for (const r of redises) await r.stop();
    await worker?.dispose();
    tmp.remove();
  });

  it("export writes one RDB of every shard that redis-server loads to the same dataset", async () => {
    const cmds = dataset();
    const reference = await redis();
    for (const argv of cmds) await reference.client.ok(...argv);
    const replies = await pipeline(worker.url, cmds);
    expect(replies.filter((r) => (r as { error?: string }).error)).toEqual([]);

    const out = join(tmp.path, "export.rdb");
    const r = await cli(["export", ...admin(), "--out", out]);
    expect(r).toMatchObject({ code: 0, stdout: `${out}\n`, stderr: "" });
    expect(await loadInRedis(out, "export")).toEqual(await dumpRedis(reference.client));
  }, 30_000);

  /** The keys each shard holds, read from its AOF: what it logged since its last FLUSHALL. */
  async function keysByShard(): Promise<string[][]> {
    const out: string[][] = [];
    for (let shard = 0; shard < 4; shard++) {
      const res = await fetch(`${worker.url}/admin/aof?shard=${shard}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const { records } = loadAof(bytesToBinary(new Uint8Array(await res.arrayBuffer())), { collect: true });
      const last = records!.map((r) => r[0].toUpperCase()).lastIndexOf("FLUSHALL");
      out.push([...new Set(records!.slice(last + 1).map((r) => r[1]))].sort(compareBytes));
    }
    return out;
  }

  it.each(["all.rdb", "all_nocompress.rdb", "list_plain_nodes.rdb", "list_compressed_nodes.rdb", "lfu.rdb", "functions.rdb"])(
    "restore --rdb imports Redis's %s across 4 shards, every key on its slot's shard",
    async (name) => {
      const file = join(RDB_FIXTURES, name);
      const r = await cli(["restore", ...admin(), "--rdb", file, "--yes"]);
      const expected = [...(await loadInRedis(file, `fixture-${name}`)).keys()];
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const byShard = await keysByShard();
      expect(r.stdout).toBe(`restored ${expected.length} keys onto 4 shards: ${byShard.map((k, i) => `shard ${i} ${k.length}`).join(", ")}\n`);
      byShard.forEach((keys, shard) => {
        for (const key of keys) expect({ key, shard: slotShard(keySlot(key), 4) }).toEqual({ key, shard });
      });
      expect(byShard.flat().sort(compareBytes)).toEqual(expected.sort(compareBytes));
    },
    20_000,
  );

  it("restore --rdb then export gives redis-server the dump's database 0 back", async () => {
    const file = join(RDB_FIXTURES, "all.rdb");
    expect((await cli(["restore", ...admin(), "--rdb", file, "--yes"])).code).toBe(0);
    const out = join(tmp.path, "all-export.rdb");
    expect((await cli(["export", ...admin(), "--out", out])).code).toBe(0);
    expect(await loadInRedis(out, "all-export")).toEqual(await loadInRedis(file, "all-original"));
  }, 30_000);

  it("restore --rdb refuses streams unless told to leave them out, and changes nothing", async () => {
    const before = await keysByShard();
    const file = join(RDB_FIXTURES, "streams.rdb");
    const refused = await cli(["restore", ...admin(), "--rdb", file, "--yes"]);
    expect(refused).toMatchObject({
      code: 1,
      stdout: "",
      stderr: "durable-redis restore: db 0 holds 2 keys of types durable-redis does not have (streams, module values); --skip-unsupported restores the rest\n",
    });
    expect(await keysByShard()).toEqual(before);
    const damaged = await cli(["restore", ...admin(), "--rdb", join(RDB_FIXTURES, "corrupt_truncated.rdb"), "--yes"]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(`corrupt_truncated.rdb is damaged: Unexpected EOF reading RDB file at offset 27437`);
    expect(await keysByShard()).toEqual(before);
  });

  it("restore asks first, and a no (or no answer) changes nothing", async () => {
    const before = await keysByShard();
    const file = join(RDB_FIXTURES, "expiry.rdb");
    const no = await cli(["restore", "--url", worker.url, "--token", ADMIN_TOKEN, "--rdb", file], { input: "n\n" });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain(`This replaces every key on the 4 shards of ${worker.url} with the 6 keys of ${file}.\nContinue? [y/N]: Aborted: nothing was changed.\n`);
    const eof = await cli(["restore", ...admin(), "--rdb", file]);
    expect(eof.code).toBe(1);
    expect(await keysByShard()).toEqual(before);
  });

  it("backup → wipe → restore gives the identical dataset", async () => {
    const file = join(RDB_FIXTURES, "all.rdb");
    expect((await cli(["restore", ...admin(), "--rdb", file, "--yes"])).code).toBe(0);
    const before = join(tmp.path, "before.rdb");
    expect((await cli(["export", ...admin(), "--out", before])).code).toBe(0);

    const dir = join(tmp.path, "backups");
    const b = await cli(["backup", ...admin(), "--out", dir]);
    expect(b.code).toBe(0);
    const archive = b.stdout.trim();
    expect(archive).toMatch(new RegExp(`^${dir}/durable-redis-backup-\\d{8}T\\d{6}Z\\.tar\\.gz$`));
    // The system's tar reads it too.
    const listed = spawnSync("tar", ["tzf", archive], { encoding: "utf8" });
    const root = basename(archive, ".tar.gz");
    expect(listed.stdout.split("\n").filter((l) => !l.endsWith("/") && l)).toEqual([
      `${root}/manifest.json`,
      ...[0, 1, 2, 3].flatMap((s) => [`${root}/shard-${s}/dump.rdb`, `${root}/shard-${s}/appendonly.aof`, `${root}/shard-${s}/aof-manifest.json`]),
    ]);

    const wipe = await fetch(`${worker.url}/flushall`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await wipe.json()).toEqual({ result: "OK" });
    const size = await fetch(`${worker.url}/dbsize`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await size.json()).toEqual({ result: 0 });

    const r = await cli(["restore", ...admin(), archive, "--yes"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^restored 58 keys onto 4 shards: /);
    const after = join(tmp.path, "after.rdb");
    expect((await cli(["export", ...admin(), "--out", after])).code).toBe(0);
    expect(await loadInRedis(after, "after")).toEqual(await loadInRedis(before, "before"));
  }, 40_000);

  it("restore refuses an archive whose file does not match its checksum", async () => {
    const dir = join(tmp.path, "backups");
    const archive = join(dir, readdirSync(dir).find((n) => n.endsWith(".tar.gz"))!);
    const entries = untar(gunzipSync(readFileSync(archive)));
    const rdb = entries.find((e) => e.name.endsWith("shard-1/dump.rdb"))!;
    rdb.data = Uint8Array.from(rdb.data);
    rdb.data[rdb.data.length - 20] ^= 0xff;
    const bad = join(tmp.path, "tampered.tar.gz");
    writeFileSync(bad, gzipSync(Buffer.concat([...tarBlocks(entries)])));
    const r = await cli(["restore", ...admin(), bad, "--yes"]);
    expect(r).toMatchObject({ code: 1, stderr: `durable-redis restore: ${bad}: shard-1/dump.rdb does not match its checksum\n` });
  });
});
