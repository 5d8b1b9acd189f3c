// A real shard's log, exported by the admin API, checked and loaded by Redis itself: the worker runs
// in Miniflare (Durable Object, SQLite storage, R2), the same commands go to a reference
// redis-server, and Debian's redis-check-aof must accept the file and redis-server 7 must load it to
// the reference's dataset. Once with a RESP base and once with an RDB preamble (hybrid).
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, dumpRedis, findBinary, run, startRedis } from "./persistence/testing/redis.js";
import { ADMIN_TOKEN, TOKEN, type Worker, startWorker, tempDir } from "../scripts/cli/testing.js";

const REDIS_SERVER = findBinary("redis-server");
const CHECK_AOF = findBinary("redis-check-aof");
const required = process.env.CI === "true";
const HOUR = 3_600_000;

/** Commands of every type whose effects are deterministic, so both sides end with the same data. */
function commands(round: number, now: number): string[][] {
  const p = `r${round}:`;
  return [
    ["SET", `${p}s`, "plain"],
    ["SET", `${p}ttl`, "v", "PXAT", String(now + HOUR)],
    ["SET", `${p}gone`, "v"],
    ["EXPIRE", `${p}gone`, "0"],
    ["INCRBYFLOAT", `${p}f`, "1.1"],
    ["INCRBYFLOAT", `${p}f`, "2.25"],
    ["RPUSH", `${p}l`, ...Array.from({ length: 200 }, (_, i) => `item${i}`)],
    ["LPOP", `${p}l`, "3"],
    ["LSET", `${p}l`, "5", "changed"],
    ["SADD", `${p}ints`, "3", "1", "2"],
    ["SADD", `${p}words`, "a", "b", "c", "d"],
    ["SREM", `${p}words`, "b"],
    ["ZADD", `${p}z`, "1", "one", "2.5", "two", "-3", "minus", "inf", "top"],
    ["ZINCRBY", `${p}z`, "0.1", "one"],
    ["HSET", `${p}h`, ...Array.from({ length: 150 }, (_, i) => [`f${i}`, `v${i}`]).flat()],
    ["HINCRBYFLOAT", `${p}h`, "f1", "0.5"],
    ["HDEL", `${p}h`, "f2"],
    ["PFADD", `${p}hll`, "a", "b", "c"],
    ["SETBIT", `${p}bits`, "100", "1"],
    ["APPEND", `${p}s`, "+more"],
    ["DEL", `r${round - 1}:s`],
    ["RENAME", `${p}words`, `${p}words2`],
  ];
}

describe.skipIf((REDIS_SERVER === null || CHECK_AOF === null) && !required)("a shard's exported AOF in real Redis", () => {
  let worker: Worker;
  let reference: RedisProcess;
  const tmp = tempDir("aof-export-");
  const redises: RedisProcess[] = [];

  beforeAll(async () => {
    worker = await startWorker(1, tmp.path);
    reference = await startRedis(REDIS_SERVER!, ["--appendonly", "no"]);
    redises.push(reference);
  }, 60_000);
  afterAll(async () => {
    await worker?.dispose();
    for (const r of redises) await r.stop();
    tmp.remove();
  });

  async function both(cmds: string[][]): Promise<void> {
    const res = await fetch(`${worker.url}/pipeline`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(cmds),
    });
    const ours = (await res.json()) as { result?: unknown; error?: string }[];
    for (let i = 0; i < cmds.length; i++) {
      const theirs = await reference.client.call(...cmds[i]);
      const failed = typeof theirs === "object" && theirs !== null && "error" in theirs;
      expect(ours[i].error !== undefined, `${cmds[i].join(" ")}: ours ${JSON.stringify(ours[i])}, redis ${JSON.stringify(theirs)}`).toBe(failed);
    }
  }

  const admin = (path: string, method = "GET") =>
    fetch(`${worker.url}/admin${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });

  async function rewriteAndWait(): Promise<void> {
    expect((await admin("/bgrewriteaof", "POST")).status).toBe(200);
    for (let i = 0; i < 1000; i++) {
      const info = (await (await admin("/info?format=json")).json()) as Record<string, unknown>[];
      if (info[0].aof_rewrite_in_progress === 0) {
        expect(info[0].aof_last_bgrewrite_status).toBe("ok");
        return;
      }
      await new Promise((r) => setImmediate(r));
    }
    throw new Error("the rewrite did not finish");
  }

  /** Downloads the shard's log, has redis-check-aof check it and redis-server load it. */
  async function exportAndLoad(name: string): Promise<{ file: Uint8Array; check: string; loaded: Awaited<ReturnType<typeof dumpRedis>> }> {
    const res = await admin("/aof?shard=0");
    expect(res.status).toBe(200);
    const file = new Uint8Array(await res.arrayBuffer());
    const dir = join(tmp.path, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "appendonly.aof"), file);
    copyFileSync(join(dir, "appendonly.aof"), join(dir, "checked.aof"));
    const check = run(CHECK_AOF!, [join(dir, "checked.aof")]);
    expect(check.code, check.stdout).toBe(0);
    const r = await startRedis(REDIS_SERVER!, ["--dir", dir, "--appendonly", "yes", "--appendfilename", "appendonly.aof"]);
    redises.push(r);
    return { file, check: check.stdout, loaded: await dumpRedis(r.client) };
  }

  it("with a RESP base: redis-check-aof accepts it and redis-server loads the same dataset", async () => {
    const now = Date.now();
    await fetch(`${worker.url}/CONFIG/SET/aof-use-rdb-preamble/no`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await both(commands(1, now));
    await rewriteAndWait();
    await both(commands(2, now));
    const { file, check, loaded } = await exportAndLoad("resp-base");
    expect(String.fromCharCode(...file.subarray(0, 2))).toBe("*2");
    expect(check).toMatch(/AOF .* is valid/);
    expect(loaded).toEqual(await dumpRedis(reference.client));
  }, 60_000);

  it("with an RDB preamble (hybrid): redis-check-aof accepts it and redis-server loads the same dataset", async () => {
    const now = Date.now();
    await fetch(`${worker.url}/CONFIG/SET/aof-use-rdb-preamble/yes`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    await both(commands(3, now));
    await rewriteAndWait();
    await both(commands(4, now));
    const { file, check, loaded } = await exportAndLoad("rdb-preamble");
    expect(String.fromCharCode(...file.subarray(0, 5))).toBe("REDIS");
    expect(check).toMatch(/RDB preamble is OK/);
    expect(loaded).toEqual(await dumpRedis(reference.client));
  }, 60_000);
});
