import { describe, expect, it } from "vitest";
import { Keyspace } from "./engine/keyspace.js";
import { loadRdbInto } from "./persistence/rdb-codec/index.js";
import { testShard } from "./testing.js";

describe("SnapshotManager over the in-memory store", () => {
  it("BGSAVE writes the dataset as of the cut: writes made during the walk are not in it", async () => {
    const s = testShard({ appendonly: "no" });
    for (let i = 0; i < 300; i++) s.run("SET", `k${i}`, String(i));
    const saving = s.snapshots.save();
    expect(s.snapshots.inProgress).not.toBe(null);
    s.run("SET", "k0", "changed");
    s.run("SET", "new", "1");
    const { record } = await saving;
    expect(s.snapshots.inProgress).toBe(null);
    const ks = new Keyspace(s.clock.now);
    const r = loadRdbInto(ks, s.stores.snapshots.objects.get(record.key)!, { checksum: true });
    expect(r.keys).toBe(300);
    expect(ks.has("new")).toBe(false);
    expect(record).toMatchObject({ size: s.stores.snapshots.objects.get(record.key)!.length, aofBase: false });
    expect(record.checksum).toMatch(/^[0-9a-f]{16}$/);
    expect(s.snapshots.snapshots).toEqual([record]);
    expect(s.snapshots.lastOk).toBe(true);
    expect(s.engine.dirty).toBe(2); // the changes made during the save still count
  });

  it("a failing upload is aborted, keeps the previous snapshot current, and INFO says err", async () => {
    const s = testShard({ appendonly: "no" });
    s.run("SET", "a", "1");
    const { record: first } = await s.snapshots.save();
    s.stores.snapshots.failUploads = new Error("R2 500 (injected)");
    s.run("SET", "b", "2");
    await expect(s.snapshots.save()).rejects.toThrow("R2 500 (injected)");
    expect(s.snapshots.snapshots).toEqual([first]);
    expect(s.stores.snapshots.aborted).toHaveLength(1);
    expect(s.snapshots.info()).toContainEqual(["rdb_last_bgsave_status", "err"]);
    expect(s.snapshots.lastOk).toBe(false);
    expect(s.engine.dirty).toBe(1);
  });

  it("retention keeps the newest rdb-retain-snapshots and deletes the rest from the store", async () => {
    const s = testShard({ appendonly: "no", "rdb-retain-snapshots": "2" });
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      s.run("SET", "a", String(i));
      s.clock.advance(1000);
      keys.push((await s.snapshots.save()).record.key);
    }
    expect(s.snapshots.snapshots.map((r) => r.key)).toEqual(keys.slice(1));
    expect([...s.stores.snapshots.objects.keys()].sort()).toEqual(keys.slice(1).sort());
  });

  it("one save at a time; without a bucket there is none", async () => {
    const s = testShard({ appendonly: "no" });
    const first = s.snapshots.save();
    await expect(s.snapshots.save()).rejects.toThrow("Background save already in progress");
    await first;
    const none = testShard({ appendonly: "no" }, undefined, { bucket: false });
    await expect(none.snapshots.save()).rejects.toThrow("no R2 bucket bound for snapshots");
  });

  it("save rules: due once enough changes are old enough (serverCron's check)", () => {
    const s = testShard({ appendonly: "no", save: "10 2" });
    s.run("SET", "a", "1");
    s.clock.advance(11_000);
    expect(s.snapshots.shouldSave()).toBe(false);
    s.run("SET", "b", "1");
    expect(s.snapshots.shouldSave()).toBe(true);
  });
});
