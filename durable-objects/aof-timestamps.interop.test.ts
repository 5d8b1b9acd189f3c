// `#TS` annotations round-trip through Redis's own tools: a shard (in Miniflare, its clock stopped at
// chosen seconds by test/clock-worker.ts) logs writes over three seconds with aof-timestamp-enabled;
// its exported AOF (GET /admin/aof: an RDB preamble, then the increment), cut by Debian's
// `redis-check-aof --truncate-to-timestamp`, loads into redis-server with exactly the writes made
// up to that second: the dataset of a reference redis-server that got only those.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, dumpRedis, findBinary, run, startRedis } from "./persistence/testing/redis.js";
import { ADMIN_TOKEN, TOKEN, type Worker, startWorker, tempDir } from "../scripts/cli/testing.js";

const REDIS_SERVER = findBinary("redis-server");
const CHECK_AOF = findBinary("redis-check-aof");
const required = process.env.CI === "true";

describe.skipIf((REDIS_SERVER === null || CHECK_AOF === null) && !required)("#TS annotations in an exported AOF, cut by redis-check-aof", () => {
  let worker: Worker;
  let reference: RedisProcess;
  const tmp = tempDir("aof-ts-");
  const redises: RedisProcess[] = [];

  beforeAll(async () => {
    worker = await startWorker(1, tmp.path, { entry: "test/clock-worker.ts" });
    reference = await startRedis(REDIS_SERVER!, ["--appendonly", "no"]);
    redises.push(reference);
  }, 60_000);
  afterAll(async () => {
    await worker?.dispose();
    for (const r of redises) await r.stop();
    tmp.remove();
  });

  const post = (path: string, body?: unknown, token = TOKEN) =>
    fetch(`${worker.url}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: body === undefined ? undefined : JSON.stringify(body) });

  /** Runs the commands on the shard; with `reference`, on the reference redis-server as well. */
  async function send(cmds: string[][], toReference: boolean): Promise<void> {
    const replies = (await (await post("/pipeline", cmds)).json()) as { error?: string }[];
    for (let i = 0; i < cmds.length; i++) {
      expect(replies[i].error, cmds[i].join(" ")).toBeUndefined();
      if (toReference) await reference.client.call(...cmds[i]);
    }
  }

  const at = async (seconds: number) => expect((await post(`/__clock?ms=${seconds * 1000 + 250}`)).status).toBe(200);

  it("keeps exactly the writes up to the second it is cut at", async () => {
    // Seconds around now, so the expiry below means the same on both sides.
    const t0 = Math.floor(Date.now() / 1000);
    const expireAt = String((t0 + 3600) * 1000);
    await post("/CONFIG/SET/aof-timestamp-enabled/yes", undefined, ADMIN_TOKEN);
    await at(t0);
    await send([["SET", "base", "in the preamble"], ["RPUSH", "list", "a", "b"], ["SET", "gone", "soon"]], true);
    // A rewrite: the writes so far go into the RDB preamble.
    expect((await post("/admin/bgrewriteaof", undefined, ADMIN_TOKEN)).status).toBe(200);
    for (let i = 0; ; i++) {
      const info = (await (await fetch(`${worker.url}/admin/info?format=json`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as Record<string, unknown>[];
      if (info[0].aof_rewrite_in_progress === 0 && info[0].aof_base_size !== 0) break;
      if (i > 1000) throw new Error("the rewrite did not finish");
      await new Promise((r) => setImmediate(r));
    }
    await send([["SET", "t0", "same second as the base"], ["DEL", "gone"]], true);
    await at(t0 + 1);
    await send([["INCR", "n"], ["RPUSH", "list", "c"], ["SET", "ttl", "v", "PXAT", expireAt]], true);
    await at(t0 + 2);
    await send([["SET", "base", "overwritten later"], ["INCR", "n"], ["DEL", "list"], ["SET", "late", "x"]], false);

    const res = await fetch(`${worker.url}/admin/aof?shard=0`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const file = Buffer.from(await res.arrayBuffer());
    expect(file.subarray(0, 5).toString("latin1")).toBe("REDIS");
    const text = file.toString("latin1");
    // The export keeps the annotations: t0's went before the rewrite (into no file: the base is an
    // RDB), t0+1's and t0+2's are in the increment, once each, in order.
    expect(text.indexOf(`#TS:${t0 + 1}\r\n`)).toBeGreaterThan(0);
    expect(text.indexOf(`#TS:${t0 + 2}\r\n`)).toBeGreaterThan(text.indexOf(`#TS:${t0 + 1}\r\n`));
    expect(text.split("#TS:").length - 1).toBe(2);

    const dir = join(tmp.path, "cut");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "exported.aof"), file);
    copyFileSync(join(dir, "exported.aof"), join(dir, "appendonly.aof"));
    const check = run(CHECK_AOF!, ["--truncate-to-timestamp", String(t0 + 1), join(dir, "appendonly.aof")]);
    expect(check.code, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/Successfully truncated AOF/);
    const cut = readFileSync(join(dir, "appendonly.aof"));
    expect(cut.length).toBe(text.indexOf(`#TS:${t0 + 2}\r\n`));
    const loaded = await startRedis(REDIS_SERVER!, ["--dir", dir, "--appendonly", "yes", "--appendfilename", "appendonly.aof"]);
    redises.push(loaded);
    expect(await dumpRedis(loaded.client)).toEqual(await dumpRedis(reference.client));
    expect(await loaded.client.call("GET", "late")).toBe(null);
  }, 120_000);
});
