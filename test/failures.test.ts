// Failures injected where they happen, in the real stores: an R2 part upload that fails (a save, a
// hybrid rewrite) and a storage transaction that fails when a rewrite commits its base. Each is
// reported with Redis's INFO fields, changes nothing that was current, loses nothing on a crash, and
// the next attempt succeeds. (An AOF append that throws: test/misconf.test.ts.)
import { SELF, abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import { ADMIN_TOKEN, type ShardStub, adminCmd, cmd, exec, infoField, one, settle, shardNamed, uniq } from "./helpers.js";
import { failPartUploads, failTransactions } from "./faults.js";

const config = async (s: ShardStub, settings: Record<string, string>) => {
  for (const [k, v] of Object.entries(settings)) expect(await one(s, "CONFIG", "SET", k, v)).toEqual({ status: "OK" });
};

const manifestOf = (s: ShardStub) => runInDurableObject(s, (i: Shard) => structuredClone(i.aof.manifest));

describe("an R2 part upload that fails", () => {
  it("fails the save: rdb_last_bgsave_status is err, the previous snapshot stays current, and the next save succeeds", async () => {
    const name = uniq("part-fails-save");
    const s = shardNamed(name);
    await exec(s, ["SET", "a", "1"]);
    expect(await one(s, "SAVE")).toEqual({ status: "OK" });
    const before = await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.map((r) => r.key));
    await exec(s, ["SET", "b", "2"]);
    await failPartUploads(s, 1);
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    expect([await infoField(s, "rdb_last_bgsave_status"), await infoField(s, "rdb_saves"), await infoField(s, "rdb_changes_since_last_save")]).toEqual(["err", "1", "1"]);
    expect(await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.map((r) => r.key))).toEqual(before);
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    await settle(s);
    expect([await infoField(s, "rdb_last_bgsave_status"), await infoField(s, "rdb_saves"), await infoField(s, "rdb_changes_since_last_save")]).toEqual(["ok", "2", "0"]);
  });

  it("fails a hybrid rewrite: aof_last_bgrewrite_status is err, the manifest and log are unchanged, a crash loses nothing", async () => {
    const name = uniq("part-fails-rewrite");
    const s = shardNamed(name);
    await config(s, { appendfsync: "always", "aof-use-rdb-preamble": "yes" });
    await exec(s, ...Array.from({ length: 100 }, (_, i) => ["SET", `k${i}`, `v${i}`]));
    const manifest = await manifestOf(s);
    await failPartUploads(s, 1);
    expect(await one(s, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
    await settle(s);
    expect([await infoField(s, "aof_last_bgrewrite_status"), await infoField(s, "aof_rewrites"), await infoField(s, "aof_rewrites_consecutive_failures")]).toEqual(["err", "0", "1"]);
    expect(await manifestOf(s)).toEqual(manifest);
    await abortAllDurableObjects();
    const back = shardNamed(name);
    expect(await exec(back, ["DBSIZE"], ["GET", "k99"])).toEqual([100, "v99"]);
    expect(await one(back, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
    await settle(back);
    expect([await infoField(back, "aof_last_bgrewrite_status"), await infoField(back, "aof_rewrites_consecutive_failures")]).toEqual(["ok", "0"]);
    expect((await manifestOf(back)).base.kind).toBe("rdb");
  });
});

describe("a storage transaction that fails when a rewrite commits", () => {
  for (const preamble of ["no", "yes"]) {
    it(`leaves the old base and log current (aof-use-rdb-preamble ${preamble}): status err, nothing lost on a crash, the next rewrite commits`, async () => {
      const name = uniq(`commit-fails-${preamble}`);
      const s = shardNamed(name);
      await config(s, { appendfsync: "always", "aof-use-rdb-preamble": preamble });
      await exec(s, ...Array.from({ length: 100 }, (_, i) => ["SET", `k${i}`, `v${i}`]));
      const manifest = await manifestOf(s);
      await failTransactions(s, 1);
      expect(await one(s, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
      await settle(s);
      expect([await infoField(s, "aof_last_bgrewrite_status"), await infoField(s, "aof_rewrites_consecutive_failures")]).toEqual(["err", "1"]);
      expect(await manifestOf(s)).toEqual(manifest);
      await exec(s, ["SET", "after", "1"]);
      await abortAllDurableObjects();
      const back = shardNamed(name);
      expect(await exec(back, ["DBSIZE"], ["GET", "k99"], ["GET", "after"])).toEqual([101, "v99", "1"]);
      expect(await one(back, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
      await settle(back);
      expect([await infoField(back, "aof_last_bgrewrite_status"), await infoField(back, "aof_rewrites")]).toEqual(["ok", "1"]);
      expect((await manifestOf(back)).base.kind).toBe(preamble === "yes" ? "rdb" : "aof");
      await abortAllDurableObjects();
      expect(await exec(shardNamed(name), ["DBSIZE"], ["GET", "after"])).toEqual([101, "1"]);
    });
  }
});

describe("/admin/health after failed rewrites", () => {
  it("turns 503 once rewrites have failed health-rewrite-failures times in a row, and 200 after one succeeds", async () => {
    // The shard the worker routes to (SHARDS=1): /admin/health reports it.
    const shard0 = shardNamed("shard-0");
    const health = async () => {
      const res = await SELF.fetch("http://localhost/admin/health", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, failing: ((await res.json()) as { failing: string[] }).failing };
    };
    for (const [k, v] of [["health-rewrite-failures", "2"], ["aof-use-rdb-preamble", "no"], ["appendfsync", "always"]]) {
      expect((await adminCmd("CONFIG", "SET", k, v)).body).toEqual({ result: "OK" });
    }
    expect((await cmd("SET", uniq("health"), "1")).body).toEqual({ result: "OK" });
    await failTransactions(shard0, 2);
    const rewrite = async () => {
      expect(await one(shard0, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
      await settle(shard0);
    };
    await rewrite();
    expect(await health()).toEqual({ status: 200, failing: [] });
    await rewrite();
    expect(await health()).toEqual({ status: 503, failing: ["shard 0: AOF rewrite failed 2 times in a row"] });
    await rewrite();
    expect(await health()).toEqual({ status: 200, failing: [] });
    expect((await adminCmd("CONFIG", "SET", "health-rewrite-failures", "3")).body).toEqual({ result: "OK" });
  });
});
