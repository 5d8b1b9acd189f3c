// Point-in-time restore: a shard's dataset as it was at a given second, from a base kept in R2
// (the current one or an earlier one, aof-retain-bases) and the log rows after it. Time moves with
// the shard's clockOffset, ten seconds per step, so each step's writes have their own seconds.
import { SELF, abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { ADMIN_TOKEN, type ShardStub as Stub, exec, settle, shardNamed as shard, uniq } from "./helpers.js";

/** Moves the shard's clock to `seconds` after the step-0 moment; returns that moment in Unix seconds. */
const at = (s: Stub, seconds: number) =>
  runInDurableObject(s, (i: Shard) => {
    const start = ((i as unknown as { stepZero?: number }).stepZero ??= Date.now());
    i.clockOffset = start - Date.now() + seconds * 1000;
    return Math.floor((Date.now() + i.clockOffset) / 1000);
  });

const rewrite = async (s: Stub) => {
  await exec(s, ["BGREWRITEAOF"]);
  await settle(s);
};

const dataset = (s: Stub) =>
  runInDurableObject(s, (i: Shard) =>
    [...i.engine.db.data].map(([k, v]) => [k, typeof v === "string" ? v : [...(v as unknown as { values(): Iterable<string> }).values()]]).sort(),
  );

const restoreTo = (s: Stub, time: number) => runInDurableObject(s, (i: Shard) => i.adminRestoreToTime(time));

describe("point-in-time restore", () => {
  it("gives back the dataset of any second since the oldest base kept, and the restore itself survives a crash", async () => {
    const name = uniq("pitr");
    let s = shard(name);
    await exec(s, ["CONFIG", "SET", "appendfsync", "always"], ["CONFIG", "SET", "aof-retain-bases", "2"]);
    const t0 = await at(s, 0);
    await exec(s, ["SET", "a", "1"], ["RPUSH", "l", "x"]);
    await rewrite(s);
    const t1 = await at(s, 10);
    await exec(s, ["SET", "a", "2"], ["SET", "b", "1"]);
    const t2 = await at(s, 20);
    await rewrite(s);
    await exec(s, ["SET", "a", "3"], ["DEL", "b"], ["SET", "c", "1", "PX", "15000"], ["RPUSH", "l", "y"]);
    const t3 = await at(s, 30);
    await exec(s, ["INCR", "a"]);
    await at(s, 40);

    await expect(restoreTo(s, t0 - 5)).rejects.toThrow(`${t0 - 5} is before the oldest base kept, cut at ${t0}`);
    // From the first base and the rows after it.
    expect(await restoreTo(s, t1 + 5)).toMatchObject({ keys: 3, rows: 1 });
    expect(await dataset(s)).toEqual([["a", "2"], ["b", "1"], ["l", ["x"]]]);
    // From the second base; c expired (at t2 + 15) before now, so it is gone as it would be live.
    expect(await restoreTo(s, t2 + 5)).toMatchObject({ keys: 2 });
    expect(await dataset(s)).toEqual([["a", "3"], ["l", ["x", "y"]]]);
    expect(await restoreTo(s, t3 + 5)).toMatchObject({ keys: 2 });
    expect(await dataset(s)).toEqual([["a", "4"], ["l", ["x", "y"]]]);
    // A restore is logged: a crash right after it recovers the restored dataset.
    await restoreTo(s, t1 + 5);
    const restored = await dataset(s);
    await abortAllDurableObjects();
    s = shard(name);
    expect(await dataset(s)).toEqual(restored);
  });

  it("skips a base it cannot read for an earlier one, and says why when none is usable", async () => {
    const name = uniq("pitr-bad-base");
    const s = shard(name);
    await exec(s, ["CONFIG", "SET", "appendfsync", "always"]);
    await at(s, 0);
    await exec(s, ["SET", "a", "1"]);
    await rewrite(s);
    const first = await runInDurableObject(s, (i: Shard) => (i.aof.manifest.base as { key: string }).key);
    await at(s, 10);
    await exec(s, ["SET", "a", "2"]);
    await rewrite(s);
    const second = await runInDurableObject(s, (i: Shard) => (i.aof.manifest.base as { key: string }).key);
    await exec(s, ["SET", "a", "3"]);
    const now = await at(s, 20);
    await env.SNAPSHOTS.delete(second);
    expect(await restoreTo(s, now)).toMatchObject({ base: first, keys: 1 });
    expect(await exec(s, ["GET", "a"])).toEqual(["3"]);
    await env.SNAPSHOTS.delete(first);
    await expect(restoreTo(s, now)).rejects.toThrow(`no base kept can be used: the AOF base ${second} is missing from R2; the AOF base ${first} is missing from R2`);
  });

  it("POST /admin/restore-to-time checks its time and answers a shard's refusal as 409", async () => {
    const admin = (q: string) => SELF.fetch(`http://localhost/admin/restore-to-time${q}`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect((await admin("?shard=0&time=soon")).status).toBe(400);
    expect((await admin("?shard=0&time=-1")).status).toBe(400);
    const res = await admin("?shard=0&time=1");
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/^ERR (no RDB base is kept|1 is before the oldest base kept)/);
  });
});
