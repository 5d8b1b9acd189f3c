import { describe, expect, it } from "vitest";
import { crc32 } from "./persistence/crc32.js";
import { restart, testShard } from "./testing.js";

const base = (s: ReturnType<typeof testShard>) => {
  const b = s.aof.manifest.base;
  if (b.kind !== "rdb") throw new Error(`base is ${b.kind}`);
  return b;
};

describe("Recovery over the in-memory stores", () => {
  it("replays a long log past the start-up budget in slices, answering LOADING meanwhile", async () => {
    const s = testShard();
    for (let i = 0; i < 5000; i++) s.run("SET", `k${i}`, "v".repeat(100));
    const r = testShard({ "loading-block-ms": "0" }, s.stores);
    await r.recovery.run();
    expect(r.recovery.loading).not.toBe(null);
    expect(r.pendingTimers()).toBe(1);
    r.runTimers();
    expect(r.recovery.loading).toBe(null);
    expect(r.recovery.loadError).toBe(null);
    expect(r.engine.db.size).toBe(5000);
  });

  it("a log cut mid-record: refused with the offset under aof-load-truncated no, loaded and cut under yes", async () => {
    const s = testShard();
    s.run("SET", "a", "1");
    s.run("SET", "b", "2");
    s.stores.aof.cutTail(3);
    const no = await restart(s, { "aof-load-truncated": "no" });
    expect(no.recovery.loadError).toBe("ERR Unexpected end of file reading the append only file at offset 50 (aof-load-truncated is no)");
    const yes = await restart(s, { "aof-load-truncated": "yes" });
    expect(yes.recovery.loadError).toBe(null);
    expect(yes.engine.execute(["MGET", "a", "b"])).toEqual(["1", null]);
    expect(s.stores.aof.sizeAfter(0).bytes).toBe(50);
  });

  it("a damaged row before the last is a bad format, not a torn tail", async () => {
    const s = testShard();
    s.run("SET", "a", "1");
    s.run("SET", "b", "2");
    s.stores.aof.damage(1);
    const r = await restart(s, { "aof-load-truncated": "yes" });
    expect(r.recovery.loadError).toBe("ERR Bad file format reading the append only file at offset 0: bad checksum in segment 1");
  });

  it("a truncated RDB base falls back to the previous base and the log since it, then adopts it", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "yes", "aof-retain-bases": "1" });
    s.run("SET", "a", "1");
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    const first = base(s);
    s.run("SET", "b", "2");
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    const second = base(s);
    s.run("SET", "c", "3");
    const bytes = s.stores.snapshots.objects.get(second.key)!;
    s.stores.snapshots.objects.set(second.key, bytes.slice(0, bytes.length - 20));
    const r = await restart(s);
    expect(r.recovery.loadError).toBe(null);
    expect(r.engine.execute(["MGET", "a", "b", "c"])).toEqual(["1", "2", "3"]);
    // The earlier base was adopted, and a rewrite gave the shard a fresh base with it as the fallback.
    await r.aof.rdbRewrite;
    expect([second.key, first.key]).not.toContain(base(r).key);
    expect(r.aof.manifest.history?.map((h) => h.key)).toEqual([first.key]);
  });

  it("a corrupt RDB base with no earlier one refuses to serve, saying which file and why", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "yes", "aof-retain-bases": "0" });
    s.run("SET", "a", "1");
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    const b = base(s);
    const other = testShard({ appendonly: "no" });
    other.run("SET", "z", "9");
    const { record } = await other.snapshots.save();
    s.stores.snapshots.objects.set(b.key, other.stores.snapshots.objects.get(record.key)!);
    const r = await restart(s);
    expect(r.recovery.loadError).toMatch(
      new RegExp(`^ERR Bad file format reading the append only file at offset 0: the AOF base ${b.key} is not the file the manifest recorded \\(checksum [0-9a-f]{16}, expected ${b.checksum}\\)$`),
    );
    expect(r.engine.db.size).toBe(0);
    s.stores.snapshots.objects.delete(b.key);
    expect((await restart(s)).recovery.loadError).toBe(`ERR Bad file format reading the append only file at offset 0: the AOF base ${b.key} is missing from R2`);
  });

  it("RDB only: the newest snapshot, or with rdb-load-fallback the one before a corrupt newest", async () => {
    const s = testShard({ appendonly: "no" });
    s.run("SET", "a", "1");
    await s.snapshots.save();
    s.clock.advance(1000);
    s.run("SET", "a", "2");
    const { record: newest } = await s.snapshots.save();
    const ok = await restart(s);
    expect(ok.engine.execute(["GET", "a"])).toBe("2");
    expect(ok.recovery.rdbLoadInfo()).toEqual([["rdb_last_load_keys_expired", 0], ["rdb_last_load_keys_loaded", 1]]);
    const bytes = s.stores.snapshots.objects.get(newest.key)!;
    s.stores.snapshots.objects.set(newest.key, bytes.slice(0, 30));
    const refused = await restart(s, { "rdb-load-fallback": "no" });
    expect(refused.recovery.loadError).toMatch(new RegExp(`^ERR Error loading the RDB snapshot ${newest.key}: `));
    const fellBack = await restart(s, { "rdb-load-fallback": "yes" });
    expect(fellBack.recovery.loadError).toBe(null);
    expect(fellBack.engine.execute(["GET", "a"])).toBe("1");
  });

  it("an AOF-form base with a damaged part refuses to serve, whatever aof-load-truncated says", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "no" });
    for (let i = 0; i < 50; i++) s.run("SET", `k${i}`, "v");
    s.jobs.bgrewriteaof();
    s.runTimers();
    expect(s.aof.manifest.base.kind).toBe("aof");
    const part = s.stores.aof.base[0];
    const data = part.data.slice();
    data[10] ^= 0xff;
    s.stores.aof.base[0] = { ...part, data };
    const r = await restart(s, { "aof-load-truncated": "yes" });
    expect(r.recovery.loadError).toBe("ERR Bad file format reading the append only file at offset 0: bad checksum in the AOF base");
  });

  it("an AOF-form base cut mid-record is damaged, not a torn tail: refused with where its whole records end", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "no" });
    s.run("SET", "a", "1");
    s.run("SET", "b", "2");
    s.jobs.bgrewriteaof();
    s.runTimers();
    s.run("SET", "c", "3");
    const part = s.stores.aof.base[0];
    const whole = part.data.length;
    const data = part.data.slice(0, whole - 3);
    s.stores.aof.base[0] = { ...part, data, crc: crc32(data) };
    const r = await restart(s, { "aof-load-truncated": "yes" });
    // The base ends with SET b 2 (27 bytes): the whole records end where it starts.
    expect(r.recovery.loadError).toBe(
      `ERR Bad file format reading the append only file at offset ${whole - 27}: AOF base: Expected to read 3 bytes, got 0 bytes`,
    );
  });

  it("a truncated RDB base with no earlier one kept refuses to serve, naming the base", async () => {
    const s = testShard({ "aof-use-rdb-preamble": "yes", "aof-retain-bases": "0" });
    s.run("SET", "a", "1");
    s.jobs.bgrewriteaof();
    await s.aof.rdbRewrite;
    const b = base(s);
    const bytes = s.stores.snapshots.objects.get(b.key)!;
    s.stores.snapshots.objects.set(b.key, bytes.slice(0, bytes.length - 12));
    const r = await restart(s);
    expect(r.recovery.loadError).toMatch(new RegExp(`^ERR Bad file format reading the append only file at offset 0: the AOF base ${b.key}: unexpected end of file`));
    expect(r.engine.db.size).toBe(0);
  });
});
