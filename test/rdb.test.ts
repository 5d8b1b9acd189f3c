// RDB snapshots in R2: BGSAVE is point-in-time under concurrent writes, a failed upload leaves the
// previous snapshot current, RDB-only recovery, hybrid (RDB base + AOF increment) recovery, and
// what a bad base in R2 does. "Crash" is abortAllDurableObjects() (memory lost, storage kept).
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Keyspace } from "../durable-objects/engine/keyspace.js";
import { RedisHash, RedisList } from "../durable-objects/engine/types/index.js";
import { loadRdbInto } from "../durable-objects/persistence/rdb-codec/index.js";
import type { SnapshotUpload } from "../durable-objects/persistence/r2-snapshot-store.js";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub as Stub, exec, one, settle, shardNamed, uniq } from "./helpers.js";

const shard = (name = uniq("rdb")): Stub => shardNamed(name);
const config = (stub: Stub, name: string, value: string) => one(stub, "CONFIG", "SET", name, value);

/** The newest snapshot's dataset, decoded from R2: key → [type, value, expireAt]. */
async function newestSnapshot(stub: Stub): Promise<Map<string, unknown>> {
  const key = await runInDurableObject(stub, (i: Shard) => i.snapshots.snapshots.at(-1)?.key);
  expect(key).toBeTruthy();
  const obj = await env.SNAPSHOTS.get(key!);
  const ks = new Keyspace(() => Date.now());
  loadRdbInto(ks, new Uint8Array(await obj!.arrayBuffer()), { checksum: true });
  return dump(ks);
}

function dump(ks: Keyspace): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of ks.data) {
    const value =
      typeof v === "string" ? v : "entries" in v ? [...(v as { entries(): Iterable<unknown> }).entries()] : [...(v as { values(): Iterable<unknown> }).values()];
    out.set(k, [value, ks.expires.get(k) ?? null]);
  }
  return out;
}

async function liveDump(stub: Stub): Promise<Map<string, unknown>> {
  return runInDurableObject(stub, (i: Shard) => dump(i.engine.db));
}

async function fill(stub: Stub, n: number, prefix = "k"): Promise<void> {
  for (let b = 0; b < n; b += 1000) {
    await exec(stub, ...Array.from({ length: Math.min(1000, n - b) }, (_, i) => ["SET", `${prefix}${b + i}`, `v${b + i}`]));
  }
}

describe("BGSAVE", () => {
  it("writes a snapshot that holds exactly the dataset at the cut, whatever is written during the save", async () => {
    const s = shard();
    await config(s, "appendonly", "no");
    await fill(s, 20_000);
    await exec(s, ["SET", "ttl", "x", "PX", "100000"]);
    const atCut = await liveDump(s);
    expect(await one(s, "BGSAVE")).toEqual({ status: "Background saving started" });
    let during = 0;
    for (let i = 0; i < 200; i++) {
      await exec(s, ["SET", `k${i * 97}`, "changed"], ["DEL", `k${i * 89 + 1}`], ["SET", `new${i}`, "n"], ["APPEND", `k${i * 13 + 5}`, "+"]);
      if (await runInDurableObject(s, (x: Shard) => x.snapshots.inProgress !== null)) during++;
    }
    expect(during).toBeGreaterThan(0);
    await settle(s);
    expect(await newestSnapshot(s)).toEqual(atCut);
    const info = (await one(s, "INFO", "persistence")) as string;
    expect(info).toContain("rdb_last_bgsave_status:ok\r\n");
    expect(info).toMatch(/rdb_last_cow_size:[1-9]\d*\r\n/);
  });

  it("INFO reports what the last load added and what it dropped as expired (rdb_last_load_keys_*)", async () => {
    const name = uniq("load-keys");
    const s = shard(name);
    await config(s, "appendonly", "no");
    // Saved while alive by a clock ten seconds behind; expired by the time the shard loads it.
    await runInDurableObject(s, (i: Shard) => {
      i.clockOffset = -10_000;
    });
    await exec(s, ["SET", "a", "1"], ["SET", "b", "2"], ["SET", "soon", "x", "PX", "5000"], ["SAVE"]);
    await abortAllDurableObjects();
    const info = (await one(shardNamed(name), "INFO", "persistence")) as string;
    expect(info).toContain("\r\nrdb_last_load_keys_expired:1\r\nrdb_last_load_keys_loaded:2\r\n");
    expect(await exec(shardNamed(name), ["DBSIZE"])).toEqual([2]);
  });

  it("LASTSAVE moves and changes since the last save are counted", async () => {
    const s = shard();
    await config(s, "appendonly", "no");
    await exec(s, ["SET", "a", "1"], ["SET", "b", "2"]);
    expect(await one(s, "INFO", "persistence")).toContain("rdb_changes_since_last_save:2\r\n");
    expect(await one(s, "SAVE")).toEqual({ status: "OK" });
    expect(await one(s, "INFO", "persistence")).toContain("rdb_changes_since_last_save:0\r\n");
    expect(await one(s, "LASTSAVE")).toBeGreaterThan(0);
  });

  it("a failed upload leaves the previous snapshot current", async () => {
    const s = shard();
    await config(s, "appendonly", "no");
    await exec(s, ["SET", "a", "1"]);
    await one(s, "SAVE");
    const before = await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.map((x) => x.key));
    await exec(s, ["SET", "a", "2"]);
    await runInDurableObject(s, (i: Shard) => {
      const store = i.snapshots.r2!;
      const start = store.startUpload.bind(store);
      store.startUpload = async (key, meta) => {
        const upload: SnapshotUpload = await start(key, meta);
        upload.complete = async () => {
          throw new Error("injected R2 failure");
        };
        return upload;
      };
    });
    expect(await one(s, "SAVE")).toEqual({ error: "ERR injected R2 failure" });
    expect(await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.map((x) => x.key))).toEqual(before);
    expect(await one(s, "INFO", "persistence")).toContain("rdb_last_bgsave_status:err\r\n");
    expect([...(await newestSnapshot(s)).keys()]).toEqual(["a"]);
    expect((await newestSnapshot(s)).get("a")).toEqual(["1", null]);
  });

  it("RDB-only: a crash after a save recovers the snapshot, dropping keys that expired", async () => {
    const name = uniq("rdb-only");
    let s = shard(name);
    await config(s, "appendonly", "no");
    await fill(s, 3000);
    // Collections of each type, and a key already expired but not yet removed (loading drops it).
    await runInDurableObject(s, (i: Shard) => {
      const list = new RedisList();
      list.pushBack("a");
      list.pushBack("b");
      i.engine.db.set("list", list);
      const h = new RedisHash();
      h.set("f", "v");
      i.engine.db.set("h", h);
      i.engine.db.set("gone", "x");
      i.engine.db.setExpire("gone", Date.now() - 1000);
    });
    await one(s, "SAVE");
    await exec(s, ["SET", "after", "lost"]);
    await abortAllDurableObjects();
    s = shard(name);
    expect(await exec(s, ["DBSIZE"], ["GET", "k2999"], ["GET", "after"], ["EXISTS", "gone"])).toEqual([3002, "v2999", null, 0]);
    const restored = await runInDurableObject(s, (i: Shard) => [[...(i.engine.db.data.get("list") as RedisList).values()], [...(i.engine.db.data.get("h") as RedisHash).entries()]]);
    expect(restored).toEqual([["a", "b"], [["f", "v"]]]);
  });

  /** An RDB-only shard with two snapshots: a = 1 in the older, a = 2 in the newest. */
  async function twoSnapshots(name: string): Promise<[string, string]> {
    const s = shard(name);
    await config(s, "appendonly", "no");
    await exec(s, ["SET", "a", "1"]);
    await one(s, "SAVE");
    await exec(s, ["SET", "a", "2"]);
    await one(s, "SAVE");
    const [older, newest] = await runInDurableObject(s, (i: Shard) => i.snapshots.snapshots.slice(-2).map((r) => r.key));
    return [older, newest];
  }

  it("RDB-only: a valid RDB file that is not the recorded snapshot is refused, naming both checksums", async () => {
    const name = uniq("rdb-swapped");
    const [older, newest] = await twoSnapshots(name);
    await env.SNAPSHOTS.put(newest, await (await env.SNAPSHOTS.get(older))!.arrayBuffer());
    await abortAllDurableObjects();
    const s = shard(name);
    expect(((await one(s, "GET", "a")) as { error: string }).error).toMatch(
      new RegExp(`^ERR Error loading the RDB snapshot ${newest}: it is not the file the manifest recorded \\(checksum [0-9a-f]{16}, expected [0-9a-f]{16}\\)$`),
    );
  });

  it("RDB-only: a corrupt newest snapshot refuses to serve unless fallback is configured", async () => {
    const name = uniq("rdb-corrupt");
    const [, newest] = await twoSnapshots(name);
    const bytes = new Uint8Array(await (await env.SNAPSHOTS.get(newest))!.arrayBuffer());
    bytes[bytes.length - 12] ^= 0xff;
    await env.SNAPSHOTS.put(newest, bytes);
    await abortAllDurableObjects();
    let s = shard(name);
    expect(((await one(s, "GET", "a")) as { error: string }).error).toMatch(/^ERR Error loading the RDB snapshot .*: /);
    await runInDurableObject(s, (_i: Shard, state) => {
      const cfg = state.storage.kv.get<Record<string, string>>("config")!;
      state.storage.kv.put("config", { ...cfg, "rdb-load-fallback": "yes" });
    });
    await abortAllDurableObjects();
    s = shard(name);
    expect(await one(s, "GET", "a")).toBe("1");
  });
});

describe("hybrid: RDB base in R2 + AOF increment", () => {
  it("BGREWRITEAOF writes the base to R2, drops the segments it covers, and recovery replays the rest", async () => {
    const name = uniq("hybrid");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await fill(s, 5000);
    for (let i = 0; i < 10; i++) await one(s, "INCR", "counter");
    expect(await one(s, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
    for (let i = 0; i < 10; i++) await one(s, "INCR", "counter");
    await settle(s);
    const manifest = await runInDurableObject(s, (i: Shard) => i.aof.manifest);
    expect(manifest.base.kind).toBe("rdb");
    for (let i = 0; i < 5; i++) await one(s, "INCR", "counter");
    const before = await liveDump(s);
    await abortAllDurableObjects();
    s = shard(name);
    expect(await one(s, "GET", "counter")).toBe("25");
    expect(await liveDump(s)).toEqual(before);
  });

  it("a base missing from R2 refuses to serve with a clear error", async () => {
    const name = uniq("hybrid-missing");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await exec(s, ["SET", "a", "1"]);
    await one(s, "BGREWRITEAOF");
    await settle(s);
    const key = await runInDurableObject(s, (i: Shard) => (i.aof.manifest.base as { key: string }).key);
    await env.SNAPSHOTS.delete(key);
    await abortAllDurableObjects();
    s = shard(name);
    expect(((await one(s, "GET", "a")) as { error: string }).error).toMatch(/is missing from R2/);
  });

  it("a bit-flipped base refuses to serve", async () => {
    const name = uniq("hybrid-flip");
    let s = shard(name);
    await config(s, "appendfsync", "always");
    await fill(s, 100);
    await one(s, "BGREWRITEAOF");
    await settle(s);
    const key = await runInDurableObject(s, (i: Shard) => (i.aof.manifest.base as { key: string }).key);
    const bytes = new Uint8Array(await (await env.SNAPSHOTS.get(key))!.arrayBuffer());
    bytes[40] ^= 0x01;
    await env.SNAPSHOTS.put(key, bytes);
    await abortAllDurableObjects();
    s = shard(name);
    expect(((await one(s, "GET", "k1")) as { error: string }).error).toMatch(/^ERR Bad file format reading the append only file/);
  });
});
