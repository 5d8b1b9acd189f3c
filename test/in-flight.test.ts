// Crashes and failures while work is in flight: a shard aborted with a pipeline or a transaction on its
// way, in the middle of an AOF rewrite, or while a hybrid rewrite's upload to R2 has not completed.
// What recovers is a prefix of what was sent that holds every acknowledged write and no half
// transaction. (An AOF append that throws, with and without a crash: test/misconf.test.ts.)
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub, exec, execOn, infoField, one, settle, shardNamed, uniq } from "./helpers.js";
import { crashWithTransactionsInFlight, sendAndCrashAfterFirst } from "./faults.js";

const config = async (s: ShardStub, settings: Record<string, string>) => {
  for (const [k, v] of Object.entries(settings)) expect(await one(s, "CONFIG", "SET", k, v)).toEqual({ status: "OK" });
};

describe("crashes with requests in flight", () => {
  it("always: pipelines cut short by a crash recover whole or not at all, in order, and every acknowledged one whole", async () => {
    const name = uniq("inflight-pipeline");
    await config(shardNamed(name), { appendfsync: "always" });
    let recovered = 0;
    const seen = new Set<string>();
    for (let round = 0; round < 12; round++) {
      const outcomes = await sendAndCrashAfterFirst(shardNamed(name), [0, 1, 2].map(() => Array.from({ length: 40 }, () => ["INCR", "n"])), false);
      const n = Number((await one(shardNamed(name), "GET", "n")) ?? 0);
      // One batch is one turn of the shard and one write: all of its increments or none, batches in order.
      const kept = (n - recovered) / 40;
      expect([0, 1, 2, 3], `round ${round}: ${recovered} → ${n}`).toContain(kept);
      outcomes.forEach((o, j) => {
        seen.add(o.startsWith("rejected") ? "rejected" : o);
        if (o === "acked") expect(kept, `round ${round}: batch ${j} acknowledged, so kept`).toBeGreaterThan(j);
      });
      recovered = n;
    }
    expect([...seen].sort()).toEqual(["acked", "rejected"]);
  });

  it("always: transactions cut short by a crash recover whole or not at all, in order", async () => {
    const name = uniq("inflight-multi");
    await config(shardNamed(name), { appendfsync: "always" });
    let recovered: string[] = [];
    for (let round = 0; round < 12; round++) {
      const { values, outcomes, list } = await crashWithTransactionsInFlight(name, round);
      expect(list.slice(0, recovered.length), `round ${round}: what was kept stays`).toEqual(recovered);
      const kept = list.slice(recovered.length);
      expect(kept, `round ${round}: a prefix of what was sent`).toEqual(values.slice(0, kept.length));
      outcomes.forEach((o, j) => {
        if (o === "acked") expect(kept.length, `round ${round}: ${values[j]} acknowledged, so kept`).toBeGreaterThan(j);
      });
      recovered = list;
    }
  });

  it("everysec: a crash keeps a prefix, whole batches and transactions up to the timer's last row", async () => {
    const name = uniq("inflight-everysec");
    let before = 0;
    for (let round = 0; round < 6; round++) {
      const s = shardNamed(name);
      await exec(s, ...Array.from({ length: 10 }, () => ["INCR", "n"]));
      await execOn(s, [["INCR", "a"], ["INCR", "b"]], true);
      await sendAndCrashAfterFirst(s, [[["INCR", "a"], ["INCR", "b"]], [["INCR", "a"], ["INCR", "b"]], Array.from({ length: 10 }, () => ["INCR", "n"])], true);
      const [n, a, b] = (await exec(shardNamed(name), ["GET", "n"], ["GET", "a"], ["GET", "b"])) as (string | null)[];
      expect(a).toBe(b);
      expect(Number(n ?? 0) % 10).toBe(0);
      expect(Number(n ?? 0)).toBeGreaterThanOrEqual(before);
      before = Number(n ?? 0);
    }
  });

  it("a crash in the middle of an AOF rewrite loses nothing: the old log stays the record until the new base is in", async () => {
    const name = uniq("inflight-rewrite");
    const s = shardNamed(name);
    await config(s, { appendfsync: "always", "aof-use-rdb-preamble": "no" });
    const value = "v".repeat(1000);
    for (let b = 0; b < 3; b++) await exec(s, ...Array.from({ length: 1000 }, (_, i) => ["SET", `k${b * 1000 + i}`, value]));
    const staged = await runInDurableObject(s, async (i: Shard, state) => {
      i.schedule = () => {}; // the rewrite's slices run only when called here: the crash comes before the last
      i.jobs.bgrewriteaof();
      const stagedParts = () => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM aof_base_staging").one().n;
      while (stagedParts() === 0) i.aof.rewriteStep();
      await i.execute([["SET", "k2999", "changed"], ["SET", "new", "1"], ["DEL", "k0"]], false, "admin");
      return stagedParts();
    });
    expect(staged).toBeGreaterThan(0);
    expect(await infoField(s, "aof_rewrite_in_progress")).toBe("1");
    await abortAllDurableObjects();
    const back = shardNamed(name);
    expect(await exec(back, ["DBSIZE"], ["GET", "k2999"], ["GET", "new"], ["EXISTS", "k0"], ["GET", "k1"])).toEqual([3000, "changed", "1", 0, value]);
    expect(await runInDurableObject(back, (i: Shard) => i.aof.manifest.base.kind)).toBe("none");
    // The next rewrite starts afresh and completes.
    expect(await one(back, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
    await settle(back);
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["DBSIZE"], ["GET", "k2999"])).toEqual([3000, "changed"]);
  });

  it("a hybrid rewrite whose upload to R2 has not completed leaves the manifest on the old base, and a crash then loses nothing", async () => {
    const name = uniq("inflight-upload");
    const s = shardNamed(name);
    await config(s, { appendfsync: "always", "aof-use-rdb-preamble": "yes" });
    await exec(s, ...Array.from({ length: 500 }, (_, i) => ["SET", `k${i}`, `v${i}`]));
    const manifest = await runInDurableObject(s, async (i: Shard) => {
      const r2 = i.snapshots.r2!;
      const startUpload = r2.startUpload.bind(r2);
      let completing = false;
      r2.startUpload = async (key, metadata) => {
        const upload = await startUpload(key, metadata);
        // R2 never answers the completion: the crash comes first.
        upload.complete = () => ((completing = true), new Promise(() => {}));
        return upload;
      };
      i.jobs.bgrewriteaof();
      while (!completing) await new Promise((r) => setTimeout(r, 0));
      await i.execute([["SET", "during", "1"]], false, "admin");
      return structuredClone(i.aof.manifest);
    });
    expect(manifest).toEqual({ base: { kind: "none", seq: 0 } });
    await abortAllDurableObjects();
    expect(await exec(shardNamed(name), ["DBSIZE"], ["GET", "k499"], ["GET", "during"])).toEqual([501, "v499", "1"]);
  });
});
