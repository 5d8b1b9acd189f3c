// The CLI's commands against a running deployment: the built worker in Miniflare with 4 shards (R2,
// SQLite storage), and real redis-servers as references. export → redis-server loads the same
// dataset; restore --rdb of Redis's own dumps puts every key on its slot's shard; backup → wipe →
// restore gives the identical dataset; info, health and cli as an operator uses them.

import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, textToBinary } from "../../durable-objects/engine/bytes.js";
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
    const { mkdirSync } = await import("node:fs");
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
});

export { bytesToBinary, readFileSync, RDB_FIXTURES };
