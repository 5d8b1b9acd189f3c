// The CLI's commands against a running deployment: the built worker in Miniflare with 4 shards (R2,
// SQLite storage), and real redis-servers as references. export → redis-server loads the same
// dataset; restore --rdb of Redis's own dumps puts every key on its slot's shard; backup → wipe →
// restore gives the identical dataset; info, health and cli as an operator uses them. The tests run
// in order on one deployment, and later ones use what earlier ones left (the backup archive, before.rdb).

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, compareBytes, textToBinary } from "../../durable-objects/engine/bytes.js";
import { loadAof } from "../../durable-objects/persistence/aof/loader.js";
import { keySlot, slotShard } from "../../durable-objects/engine/slots.js";
import { tarBlocks, untar } from "./tar.js";
import { type RedisProcess, dumpRedis, findBinary, freePort, startRedis } from "../../durable-objects/persistence/testing/redis.js";
import { fixtureDataset } from "../../durable-objects/persistence/testing/fixtures.js";
import { ADMIN_TOKEN, AOF_FIXTURES, BIN, RDB_FIXTURES, TOKEN, type Worker, cli, runProgram, startWorker, tempDir } from "./testing.js";

const lines = (s: string) => s.split("\n").filter((l) => l.length > 0);

const REDIS_SERVER = findBinary("redis-server");
const REDIS_CLI = findBinary("redis-cli");
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

describe.skipIf((REDIS_SERVER === null || REDIS_CLI === null) && !required)("the CLI against a 4-shard deployment", () => {
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
    if (REDIS_SERVER === null || REDIS_CLI === null) throw new Error("redis-server and redis-cli are required under CI: apt-get install -y redis-server redis-tools");
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

  it("restore --rdb takes a dump holding streams, and export gives redis-server the same streams back", async () => {
    const file = join(RDB_FIXTURES, "streams.rdb");
    expect((await cli(["restore", ...admin(), "--rdb", file, "--yes"])).code).toBe(0);
    const out = join(tmp.path, "streams-export.rdb");
    expect((await cli(["export", ...admin(), "--out", out])).code).toBe(0);
    expect(await loadInRedis(out, "streams-export")).toEqual(await loadInRedis(file, "streams-original"));
  }, 30_000);

  it("restore --rdb refuses a damaged file and changes nothing", async () => {
    const before = await keysByShard();
    const damaged = await cli(["restore", ...admin(), "--rdb", join(RDB_FIXTURES, "corrupt_truncated.rdb"), "--yes"]);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(`corrupt_truncated.rdb is damaged: Unexpected EOF reading RDB file at offset 27437`);
    expect(await keysByShard()).toEqual(before);
  });

  it("restore --rdb refuses a dump that would pass a shard's maxmemory before any shard is changed", async () => {
    const before = await keysByShard();
    const config = ["cli", "--url", worker.url, "--token", ADMIN_TOKEN];
    expect((await cli([...config, "CONFIG", "SET", "maxmemory", "1000"])).stdout).toBe("OK\n");
    try {
      const r = await cli(["restore", ...admin(), "--rdb", join(RDB_FIXTURES, "all.rdb"), "--yes"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/shard \d: its keys would take \d+ bytes of used_memory, over its maxmemory \(1000\); nothing was restored \(raise maxmemory, or add shards\)/);
    } finally {
      expect((await cli([...config, "CONFIG", "SET", "maxmemory", "100mb"])).stdout).toBe("OK\n");
    }
    expect(await keysByShard()).toEqual(before);
  });

  it.each(["preamble/appendonlydir", "resp/appendonlydir", "oldstyle_preamble.aof"])(
    "restore --aof restores Redis's %s to exactly its manifest's database 0, across 4 shards",
    async (name) => {
      const r = await cli(["restore", ...admin(), "--aof", join(AOF_FIXTURES, name), "--yes"]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const byShard = await keysByShard();
      expect(r.stdout).toBe(`restored 26 keys onto 4 shards: ${byShard.map((k, i) => `shard ${i} ${k.length}`).join(", ")}\n`);
      const out = join(tmp.path, `aof-export-${basename(name)}.rdb`);
      expect((await cli(["export", ...admin(), "--out", out])).code).toBe(0);
      expect(await loadInRedis(out, `aof-${name.replace(/\W/g, "-")}`)).toEqual(fixtureDataset(`aof/${name}`, "0"));
    },
    30_000,
  );

  it("restore --aof refuses a truncated AOF with its offset and changes nothing; --truncate restores up to the last whole record", async () => {
    const before = await keysByShard();
    const dir = join(AOF_FIXTURES, "negative/aof_truncated/appendonlydir");
    const refused = await cli(["restore", ...admin(), "--aof", dir, "--yes"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("appendonly.aof.2.incr.aof is truncated at offset 1566: Expected to read 6 bytes, got 3 bytes; --truncate restores up to its last whole record");
    expect(await keysByShard()).toEqual(before);
    const cut = await cli(["restore", ...admin(), "--aof", dir, "--truncate", "--yes"]);
    expect(cut.code).toBe(0);
    expect(cut.stderr).toContain("appendonly.aof.2.incr.aof: cut at offset 1566");
    expect(cut.stdout).toMatch(/^restored 25 keys onto 4 shards: /);
  }, 30_000);

  /** POST /admin/restore-aof: one file as the body, or a directory's files as multipart/form-data. */
  async function restoreAofOverHttp(path: string, query = ""): Promise<{ status: number; body: Record<string, unknown> }> {
    let body: BodyInit;
    if (statSync(path).isDirectory()) {
      const form = new FormData();
      for (const name of readdirSync(path)) form.append("file", new Blob([readFileSync(join(path, name))]), name);
      body = form;
    } else body = readFileSync(path);
    const res = await fetch(`${worker.url}/admin/restore-aof${query}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it.each(["preamble/appendonlydir", "oldstyle_preamble.aof"])(
    "POST /admin/restore-aof restores Redis's %s to exactly its manifest's database 0",
    async (name) => {
      const r = await restoreAofOverHttp(join(AOF_FIXTURES, name));
      expect(r.status).toBe(200);
      const byShard = await keysByShard();
      expect(r.body).toEqual({
        keys: 26,
        shards: byShard.map((keys, shard) => ({ shard, keys: keys.length })),
        leftOut: { otherDatabases: 2, expired: 0 },
        cut: null,
      });
      const out = join(tmp.path, `aof-http-${basename(name)}.rdb`);
      expect((await cli(["export", ...admin(), "--out", out])).code).toBe(0);
      expect(await loadInRedis(out, `aof-http-${name.replace(/\W/g, "-")}`)).toEqual(fixtureDataset(`aof/${name}`, "0"));
    },
    30_000,
  );

  it("POST /admin/restore-aof refuses a truncated AOF with its offset (400, nothing changed); truncate=yes cuts it", async () => {
    const before = await keysByShard();
    const dir = join(AOF_FIXTURES, "negative/aof_truncated/appendonlydir");
    expect(await restoreAofOverHttp(dir)).toEqual({
      status: 400,
      body: { error: "ERR appendonly.aof.2.incr.aof is truncated at offset 1566: Expected to read 6 bytes, got 3 bytes; truncate=yes restores up to its last whole record" },
    });
    expect(await keysByShard()).toEqual(before);
    const cut = await restoreAofOverHttp(dir, "?truncate=yes");
    expect(cut.status).toBe(200);
    expect(cut.body).toMatchObject({ keys: 25, cut: { file: "appendonly.aof.2.incr.aof", offset: 1566, dropped: 20 } });
    const missing = new FormData();
    missing.append("file", new Blob([readFileSync(join(dir, "appendonly.aof.manifest"))]), "appendonly.aof.manifest");
    const res = await fetch(`${worker.url}/admin/restore-aof`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body: missing });
    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 400,
      body: { error: "ERR AOF file appendonly.aof.2.base.aof listed in the manifest was not uploaded" },
    });
  }, 30_000);

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

  it("a backup of 4 shards restores onto a deployment of 2, each key on its slot's shard there", async () => {
    const dir = join(tmp.path, "backups");
    const archive = join(dir, readdirSync(dir).find((n) => n.endsWith(".tar.gz"))!);
    const state = join(tmp.path, "two-shards");
    mkdirSync(state);
    const two = await startWorker(2, state);
    try {
      const r = await cli(["restore", "--url", two.url, "--token", ADMIN_TOKEN, "--quiet", "--yes", archive]);
      expect(r).toMatchObject({ code: 0, stderr: "" });
      expect(r.stdout).toMatch(/^restored 58 keys onto 2 shards: shard 0 \d+, shard 1 \d+\n$/);
      const out = join(tmp.path, "two-shards.rdb");
      expect((await cli(["export", "--url", two.url, "--token", ADMIN_TOKEN, "--quiet", "--out", out])).code).toBe(0);
      expect(await loadInRedis(out, "two-shards")).toEqual(await loadInRedis(join(tmp.path, "before.rdb"), "before-again"));
      const counts = r.stdout.match(/shard \d+ (\d+)/g)!.map((m) => Number(m.split(" ")[2]));
      const expected = [0, 0];
      for (const key of (await loadInRedis(out, "two-shards-keys")).keys()) expected[slotShard(keySlot(key), 2)]++;
      expect(counts).toEqual(expected);
    } finally {
      await two.dispose();
    }
  }, 30_000);

  it("restore --to-time takes every shard back from its bases and log, and says when a moment is out of reach", async () => {
    const call = (path: string, method = "GET") => fetch(`${worker.url}/admin${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    // A hybrid rewrite on every shard gives each a base in R2.
    await call("/bgrewriteaof", "POST");
    for (;;) {
      const info = (await (await call("/info?format=json")).json()) as { aof_rewrite_in_progress: number }[];
      if (info.every((s) => s.aof_rewrite_in_progress === 0)) break;
      await new Promise((r) => setImmediate(r));
    }
    const before = await keysByShard();
    const now = Math.floor(Date.now() / 1000);
    const r = await cli(["restore", ...admin(), "--to-time", new Date(now * 1000).toISOString(), "--yes"]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toBe(`restored 4 shards to ${new Date(now * 1000).toISOString()}: 58 keys\n`);
    expect(await keysByShard()).toEqual(before);

    const early = await cli(["restore", ...admin(), "--to-time", "1000", "--yes"]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(
      /^durable-redis restore: restoring shard 0 to 1970-01-01T00:16:40\.000Z failed: POST \/admin\/restore-to-time\?shard=0&time=1000: HTTP 409: ERR 1000 is before the oldest base kept, cut at \d+ \(aof-retain-bases keeps more\); no shard was changed\n$/,
    );
    const usage = await cli(["restore", ...admin(), "--to-time", "yesterday"]);
    expect(usage).toMatchObject({ code: 2 });
    expect(usage.stderr).toContain("--to-time takes Unix seconds or a date, not 'yesterday'");
  }, 30_000);

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

  it("info prints a line per shard, as a table, JSON or INFO text", async () => {
    const r = await cli(["info", ...admin()]);
    expect(r.code).toBe(0);
    const rows = lines(r.stdout);
    expect(rows[0].split(/\s{2,}/)).toEqual(["shard", "memory", "changes", "last save", "bgsave", "saving", "aof", "aof size", "rewrite", "aof writes", "loading"]);
    expect(rows.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["0", "1", "2", "3"]);
    for (const row of rows.slice(1)) expect(row).toMatch(/ ok +no +on +[\d.]+ [KMG]?B +ok +ok +no$/);
    const json = JSON.parse((await cli(["info", ...admin(), "--json"])).stdout) as Record<string, unknown>[];
    expect(json.map((s) => [s.shard, s.aof_enabled, s.rdb_last_bgsave_status])).toEqual([0, 1, 2, 3].map((s) => [s, 1, "ok"]));
    const watched = await cli(["info", ...admin(), "--watch", "--interval", "0.05", "--count", "2"]);
    expect(lines(watched.stdout).filter((l) => l.startsWith("shard "))).toHaveLength(2);
    const raw = await cli(["info", ...admin(), "--raw"]);
    expect(lines(raw.stdout).filter((l) => l.startsWith("# Shard"))).toEqual(["# Shard 0", "# Shard 1", "# Shard 2", "# Shard 3"]);
    expect(raw.stdout).toContain("aof_enabled:1\n");
  });

  it("health says OK and exits 0 while every check passes, repeating with --watch", async () => {
    expect(await cli(["health", ...admin()])).toMatchObject({ code: 0, stdout: "OK: 4 shards healthy\n" });
    const watched = await cli(["health", ...admin(), "--watch", "--interval", "0.05", "--count", "3"]);
    expect(watched.code).toBe(0);
    expect(lines(watched.stdout).filter((l) => l.startsWith("Every 0.05s — "))).toHaveLength(3);
    expect(lines(watched.stdout).filter((l) => l === "OK: 4 shards healthy")).toHaveLength(3);
    const json = JSON.parse((await cli(["health", ...admin(), "--json"])).stdout);
    expect(json).toEqual({ ok: true, failing: [], shards: [0, 1, 2, 3].map((shard) => ({ shard, failing: [] })) });
  });

  it("health prints each failing check and exits 1 while one fails, 0 once it passes again", async () => {
    const data = ["cli", "--url", worker.url, "--token", ADMIN_TOKEN];
    // The alert rule is configuration: memory over 1% of a 1 MB maxmemory fails on every shard.
    expect((await cli([...data, "CONFIG", "SET", "maxmemory", "1mb", "health-memory-percent", "1"])).stdout).toBe("OK\n");
    try {
      const r = await cli(["health", ...admin()]);
      expect(r.code).toBe(1);
      const failing = lines(r.stdout);
      expect(failing.map((l) => l.replace(/\d+ is over/, "N is over"))).toEqual([0, 1, 2, 3].map((s) => `FAIL shard ${s}: used memory N is over 1% of maxmemory`));
    } finally {
      expect((await cli([...data, "CONFIG", "SET", "maxmemory", "100mb", "health-memory-percent", "90"])).stdout).toBe("OK\n");
    }
    expect(await cli(["health", ...admin()])).toMatchObject({ code: 0, stdout: "OK: 4 shards healthy\n" });
  });

  it("refuses a wrong token or an unreachable server with exit status 3, never printing the token", async () => {
    const secret = "not-the-admin-token-0123456789";
    for (const command of [["info"], ["health"], ["export", "--out", join(tmp.path, "x.rdb")], ["backup", "--out", tmp.path]]) {
      const r = await cli([...command, "--url", worker.url, "--token", secret]);
      expect({ command, code: r.code, stderr: r.stderr }).toEqual({
        command,
        code: 3,
        stderr: `durable-redis ${command[0]}: ${worker.url} refused the admin token (HTTP 401: WRONGPASS invalid or missing admin token)\n`,
      });
    }
    // The data token is not an admin token; the admin token serves the data API too, where the data
    // token is refused Redis's @admin commands.
    expect((await cli(["health", "--url", worker.url, "--token", TOKEN])).code).toBe(3);
    expect(await cli(["cli", "--url", worker.url, "--token", ADMIN_TOKEN, "PING"])).toMatchObject({ code: 0, stdout: "PONG\n" });
    const refused = await cli(["cli", "--url", worker.url, "--token", TOKEN, "CONFIG", "SET", "save", ""]);
    expect(refused).toMatchObject({ code: 1, stdout: "NOPERM this user has no permissions to run the 'config|set' command\n\n" });
    const closed = `http://127.0.0.1:${await freePort()}`;
    const down = await cli(["health", "--url", closed, "--token", secret]);
    expect(down).toMatchObject({ code: 3, stderr: `durable-redis health: cannot reach ${closed} (ECONNREFUSED)\n` });
    // The environment supplies them too.
    const env = await cli(["health"], { env: { DURABLE_REDIS_URL: worker.url, DURABLE_REDIS_ADMIN_TOKEN: ADMIN_TOKEN } });
    expect(env).toMatchObject({ code: 0, stdout: "OK: 4 shards healthy\n" });
    // `cli` takes the admin token when the environment has it, else the data token.
    const both = { DURABLE_REDIS_URL: worker.url, DURABLE_REDIS_ADMIN_TOKEN: ADMIN_TOKEN, DURABLE_REDIS_TOKEN: TOKEN };
    expect(await cli(["cli", "CONFIG", "SET", "maxmemory-policy", "noeviction"], { env: both })).toMatchObject({ code: 0, stdout: "OK\n" });
    const dataOnly = { DURABLE_REDIS_URL: worker.url, DURABLE_REDIS_TOKEN: TOKEN };
    expect(await cli(["cli", "CONFIG", "SET", "maxmemory-policy", "noeviction"], { env: dataOnly })).toMatchObject({
      code: 1,
      stdout: "NOPERM this user has no permissions to run the 'config|set' command\n\n",
    });
    const none = await cli(["health"]);
    expect(none).toMatchObject({ code: 2, stderr: "durable-redis health: no server: give --url or set DURABLE_REDIS_URL. Run 'durable-redis health --help' for usage.\n" });
  });

  /** Commands whose replies a 4-shard deployment and a single redis-server give alike. */
  const SESSION = [
    'SET cli:s "hello world"',
    "GET cli:s",
    "GET cli:missing",
    "INCR cli:n",
    "INCRBY cli:n 41",
    "INCR cli:s",
    `RPUSH cli:l a "b c" "" "é" "x\\x01y" "\\"q\\"" 'back\\slash'`,
    "LRANGE cli:l 0 -1",
    "LRANGE cli:none 0 -1",
    "RPUSH cli:many 1 2 3 4 5 6 7 8 9 10 11 12",
    "LRANGE cli:many 0 -1",
    "HSET cli:h f1 v1 f2 v2",
    "HGETALL cli:h",
    "ZADD cli:z 1.5 m 2 n -inf lo",
    "ZRANGE cli:z 0 -1 WITHSCORES",
    "ZSCORE cli:z m",
    'SET cli:bin "a\\xffb\\r\\n"',
    "GET cli:bin",
    "STRLEN cli:bin",
    "MSET cli:a 1 cli:b 2",
    "MGET cli:a cli:missing cli:b",
    "TYPE cli:h",
    "NOSUCHCOMMAND x",
    "SET cli:x",
    "EXPIRE cli:s 100",
    "TTL cli:s",
    "DEL cli:s cli:n cli:l cli:many cli:h cli:z cli:bin cli:a cli:b",
  ].join("\n");

  it("cli prints what redis-cli prints for the same commands, raw into a pipe and formatted with --no-raw", async () => {
    const reference = await redis();
    for (const mode of [[], ["--no-raw"]]) {
      const theirs = await runProgram(REDIS_CLI!, ["-p", String(reference.port), ...mode], { input: SESSION + "\n" });
      const ours = await cli(["cli", "--url", worker.url, "--token", TOKEN, ...mode], { input: SESSION + "\n" });
      expect(ours.stderr).toBe("");
      expect(ours.bytes.toString("latin1")).toBe(theirs.bytes.toString("latin1"));
      // redis-cli 7.0 exits 0 after error replies; ours says so with 1.
      expect([ours.code, theirs.code]).toEqual([1, 0]);
    }
  });

  it("cli runs one command from its arguments, with exit status 1 for an error reply", async () => {
    const base = ["cli", "--url", worker.url, "--token", TOKEN];
    expect(await cli([...base, "SET", "cli:one", "café ✓"])).toMatchObject({ code: 0, stdout: "OK\n" });
    expect(await cli([...base, "--no-raw", "GET", "cli:one"])).toMatchObject({ code: 0, stdout: '"caf\\xc3\\xa9 \\xe2\\x9c\\x93"\n' });
    expect(await cli([...base, "GET", "cli:one"])).toMatchObject({ code: 0, stdout: "café ✓\n" });
    expect(await cli([...base, "--no-raw", "INCR", "cli:one"])).toMatchObject({ code: 1, stdout: "(error) ERR value is not an integer or out of range\n" });
    // After the command everything is the command's, --help included.
    expect(await cli([...base, "--no-raw", "ECHO", "--help"])).toMatchObject({ code: 0, stdout: '"--help"\n' });
    expect(await cli([...base, "DEL", "cli:one"])).toMatchObject({ code: 0, stdout: "1\n" });
  });

  it("cli is interactive on a terminal: a prompt, formatted replies, and a history file", async () => {
    const history = join(tmp.path, "history");
    const env = { DURABLE_REDIS_URL: worker.url, DURABLE_REDIS_TOKEN: TOKEN, DURABLE_REDIS_HISTFILE: history };
    // script(1) gives the CLI a pseudo-terminal for stdin and stdout.
    const r = await cli([], { env }).then(() =>
      runProgram("script", ["-qec", `${process.execPath} ${BIN} cli`, "/dev/null"], {
        input: "SET cli:tty 1\nGET cli:tty\nDEL cli:tty\nquit\n",
        env: { ...process.env, ...env },
      }),
    );
    const host = new URL(worker.url).host;
    const screen = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
    expect(screen).toContain(`${host}> `);
    expect(screen).toContain('OK\r\n');
    expect(screen).toContain('"1"\r\n');
    expect(screen).toContain("(integer) 1\r\n");
    expect(readFileSync(history, "utf8")).toBe("SET cli:tty 1\nGET cli:tty\nDEL cli:tty\nquit\n");
  });
});
