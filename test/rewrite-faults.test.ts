// A hybrid AOF rewrite (RDB base streamed to R2, then one storage transaction that records it and
// drops the segments it covers) crashed in each of its phases, and failing R2 writes. Whatever the
// phase, recovery gives back every acknowledged write. "Crash" is abortAllDurableObjects().
import { abortAllDurableObjects, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SnapshotUpload } from "../durable-objects/persistence/r2-snapshot-store.js";
import type { Shard } from "../durable-objects/shard.js";
import { type ShardStub as Stub, exec, one, settle as rewriteDone, shardNamed as shard, uniq } from "./helpers.js";

type Phase = "before-upload" | "mid-upload" | "before-commit";

/**
 * Makes the shard crash (its own ctx.abort(): memory gone, storage kept, nothing left running) when
 * its next R2 upload reaches a phase, and note on the instance that it got there.
 */
async function crashUploadAt(s: Stub, phase: Phase): Promise<void> {
  await runInDurableObject(s, (i: Shard, state) => {
    const mark = i as unknown as { crashedAt?: Phase };
    const crash = () => {
      mark.crashedAt = phase;
      state.abort(`injected crash: ${phase}`);
      throw new Error(`injected crash: ${phase}`);
    };
    const store = i.snapshots.r2!;
    const start = store.startUpload.bind(store);
    store.startUpload = async (key, meta) => {
      // Out of the BGREWRITEAOF call that started the save, as the other phases are.
      if (phase === "before-upload") await new Promise((r) => setTimeout(r, 0)).then(crash);
      const upload: SnapshotUpload = await start(key, meta);
      const write = upload.write.bind(upload);
      const complete = upload.complete.bind(upload);
      upload.write = async (chunk) => {
        await write(chunk);
        if (phase === "mid-upload") crash();
      };
      upload.complete = async () => {
        const obj = await complete();
        if (phase === "before-commit") crash();
        return obj;
      };
      return upload;
    };
  });
}

/** Waits inside the shard (yielding, no sleeping) until the crash; the shard's own abort ends the call. */
async function crashed(s: Stub, phase: Phase): Promise<void> {
  const outcome = await runInDurableObject(s, async (i: Shard) => {
    const mark = i as unknown as { crashedAt?: Phase };
    while (mark.crashedAt !== phase) {
      if (!i.aof.rewriteInProgress) return "ended";
      await new Promise((r) => setTimeout(r, 0));
    }
    return "crashed";
  }).catch((e: Error) => (/injected crash/.test(String(e)) ? "crashed" : Promise.reject(e)));
  if (outcome !== "crashed") throw new Error(`the rewrite ended before ${phase}`);
}

/** Every key and value: the acknowledged dataset to compare after recovery. */
const snapshotOf = (s: Stub) =>
  runInDurableObject(s, (i: Shard) => [...i.engine.db.data].map(([k, v]) => [k, v] as [string, unknown]).sort());

async function fill(s: Stub, n: number): Promise<void> {
  for (let b = 0; b < n; b += 1000) {
    await exec(s, ...Array.from({ length: Math.min(1000, n - b) }, (_, i) => ["SET", `k${b + i}`, `value-${b + i}-`.padEnd(60, "x")]));
  }
}

describe("hybrid rewrite crashed in each phase", () => {
  for (const phase of ["before-upload", "mid-upload", "before-commit"] as const) {
    it(`a crash ${phase.replace("-", " ")} keeps the old base and log, and loses no acknowledged write`, async () => {
      const name = uniq(`rw-${phase}`);
      let s = shard(name);
      await one(s, "CONFIG", "SET", "appendfsync", "always");
      await fill(s, 20_000);
      const manifestBefore = await runInDurableObject(s, (i: Shard) => i.aof.manifest);
      // Writes acknowledged while the rewrite runs belong to the log either way.
      expect(await exec(s, ["SET", "during", "1"], ["DEL", "k0"], ["INCR", "k-counter"])).toEqual([{ status: "OK" }, 1, 1]);
      const before = await snapshotOf(s);
      await crashUploadAt(s, phase);
      expect(await one(s, "BGREWRITEAOF")).toEqual({ status: "Background append only file rewriting started" });
      await crashed(s, phase);
      s = shard(name);
      expect(await one(s, "DBSIZE")).toBe(20_001);
      expect(await snapshotOf(s)).toEqual(before);
      expect(await runInDurableObject(s, (i: Shard) => i.aof.manifest)).toEqual(manifestBefore);
      // The next rewrite, in the new instance, completes and recovery uses it.
      await one(s, "BGREWRITEAOF");
      await rewriteDone(s);
      expect((await runInDurableObject(s, (i: Shard) => i.aof.manifest)).base.kind).toBe("rdb");
      await one(s, "SET", "after", "2");
      const final = await snapshotOf(s);
      await abortAllDurableObjects();
      s = shard(name);
      expect(await snapshotOf(s)).toEqual(final);
    });
  }

  it("a crash after the commit recovers from the new base plus the writes after it", async () => {
    const name = uniq("rw-after-commit");
    let s = shard(name);
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await fill(s, 5000);
    await one(s, "BGREWRITEAOF");
    await rewriteDone(s);
    const rows = await runInDurableObject(s, (i: Shard) => [...i.aof.incrementRows()].length);
    expect(rows).toBe(0);
    await exec(s, ["SET", "after", "1"], ["DEL", "k1"]);
    const before = await snapshotOf(s);
    await abortAllDurableObjects();
    s = shard(name);
    expect(await snapshotOf(s)).toEqual(before);
  });
});

describe("sequence numbers after a rewrite", () => {
  for (const preamble of ["yes", "no"]) {
    it(`writes after a rewrite that dropped every segment survive a crash (aof-use-rdb-preamble ${preamble})`, async () => {
      // Regression: with every row deleted, numbering restarted at 1, under the base's own number,
      // and recovery skipped the new rows as already covered by the base.
      const name = uniq(`rw-seq-${preamble}`);
      let s = shard(name);
      await one(s, "CONFIG", "SET", "appendfsync", "always");
      await one(s, "CONFIG", "SET", "aof-use-rdb-preamble", preamble);
      await exec(s, ...Array.from({ length: 100 }, (_, i) => ["SET", `k${i}`, "v"]));
      await one(s, "BGREWRITEAOF");
      await rewriteDone(s);
      const base = await runInDurableObject(s, (i: Shard) => i.aof.manifest.base);
      expect(base.kind).toBe(preamble === "yes" ? "rdb" : "aof");
      expect(await runInDurableObject(s, (i: Shard) => [...i.aof.incrementRows()].length)).toBe(0);
      await one(s, "SET", "after", "2");
      expect(await runInDurableObject(s, (i: Shard) => [...i.aof.incrementRows()].map((r) => r.seq))).toEqual([base.seq + 1]);
      await abortAllDurableObjects();
      s = shard(name);
      expect(await exec(s, ["GET", "after"], ["DBSIZE"])).toEqual(["2", 101]);
    });
  }
});

describe("R2 failures during a rewrite", () => {
  it("a failing R2 write fails the rewrite, keeps the log, and is reported; health fails after repeated failures", async () => {
    const name = uniq("rw-r2-fail");
    let s = shard(name);
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await fill(s, 2000);
    const manifestBefore = await runInDurableObject(s, (i: Shard) => i.aof.manifest);
    await runInDurableObject(s, (i: Shard) => {
      const store = i.snapshots.r2!;
      const start = store.startUpload.bind(store);
      (i as unknown as { restore: () => void }).restore = () => (store.startUpload = start);
      store.startUpload = async (key, meta) => {
        const upload = await start(key, meta);
        upload.write = async () => {
          throw new Error("injected R2 failure");
        };
        return upload;
      };
    });
    for (let n = 1; n <= 3; n++) {
      await one(s, "BGREWRITEAOF");
      await rewriteDone(s);
      expect(await one(s, "INFO", "persistence")).toContain("aof_last_bgrewrite_status:err\r\n");
      const failing = (await runInDurableObject(s, (i: Shard) => i.adminStatus())).health.failing;
      expect(failing.some((f) => f.startsWith("AOF rewrite failed"))).toBe(n >= 3);
    }
    expect(await runInDurableObject(s, (i: Shard) => i.aof.manifest)).toEqual(manifestBefore);
    await runInDurableObject(s, (i: Shard) => (i as unknown as { restore: () => void }).restore());
    await one(s, "BGREWRITEAOF");
    await rewriteDone(s);
    expect(await one(s, "INFO", "persistence")).toContain("aof_last_bgrewrite_status:ok\r\n");
    expect((await runInDurableObject(s, (i: Shard) => i.adminStatus())).health.failing).toEqual([]);
    const before = await snapshotOf(s);
    await abortAllDurableObjects();
    s = shard(name);
    expect(await snapshotOf(s)).toEqual(before);
  });

  it("a truncated base in R2 refuses to serve with a clear error", async () => {
    const name = uniq("rw-truncated");
    let s = shard(name);
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await fill(s, 500);
    await one(s, "BGREWRITEAOF");
    await rewriteDone(s);
    const key = await runInDurableObject(s, (i: Shard) => (i.aof.manifest.base as { key: string }).key);
    const bytes = new Uint8Array(await (await env.SNAPSHOTS.get(key))!.arrayBuffer());
    await env.SNAPSHOTS.put(key, bytes.subarray(0, bytes.length >> 1));
    await abortAllDurableObjects();
    s = shard(name);
    expect(((await one(s, "GET", "k1")) as { error: string }).error).toMatch(/^ERR Bad file format reading the append only file/);
  });
});

describe("a base that cannot be loaded falls back to the previous one (aof-retain-bases)", () => {
  const baseKey = (s: Stub) => runInDurableObject(s, (i: Shard) => (i.aof.manifest.base as { key: string }).key);
  /** The lowest sequence number of the log rows kept in SQLite. */
  const firstRow = (ctx: DurableObjectState) => ctx.storage.sql.exec<{ s: number }>("SELECT MIN(seq) AS s FROM aof_segments").one().s;

  /** Two hybrid rewrites with writes before, between and after them; returns the two base keys. */
  async function twoBases(s: Stub): Promise<[string, string]> {
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    await fill(s, 300);
    await one(s, "BGREWRITEAOF");
    await rewriteDone(s);
    const first = await baseKey(s);
    await exec(s, ["SET", "between", "1"], ["DEL", "k1"], ["RPUSH", "list", "a", "b"]);
    await one(s, "BGREWRITEAOF");
    await rewriteDone(s);
    await exec(s, ["SET", "after", "2"], ["INCR", "between"], ["RPUSH", "list", "c"]);
    return [first, await baseKey(s)];
  }

  const faults: Record<string, (key: string) => Promise<void>> = {
    missing: async (key) => env.SNAPSHOTS.delete(key),
    truncated: async (key) => {
      const bytes = new Uint8Array(await (await env.SNAPSHOTS.get(key))!.arrayBuffer());
      await env.SNAPSHOTS.put(key, bytes.subarray(0, bytes.length - 100));
    },
    "bit-flipped": async (key) => {
      const bytes = new Uint8Array(await (await env.SNAPSHOTS.get(key))!.arrayBuffer());
      bytes[bytes.length >> 1] ^= 0x10;
      await env.SNAPSHOTS.put(key, bytes);
    },
    // A whole, valid RDB file, but not this base: loading it and the log after this base's
    // sequence number would silently lose the writes in between.
    "swapped (another valid RDB)": async (key) => {
      const others = (await env.SNAPSHOTS.list({ prefix: key.slice(0, key.lastIndexOf("/") + 1) })).objects.filter((o) => o.key !== key);
      const other = await (await env.SNAPSHOTS.get(others[0].key))!.arrayBuffer();
      await env.SNAPSHOTS.put(key, other);
    },
  };

  for (const [fault, inject] of Object.entries(faults)) {
    it(`a ${fault} base: the previous base plus the log since it give back every acknowledged write`, async () => {
      const name = uniq(`rw-fallback-${fault}`);
      let s = shard(name);
      const [first, second] = await twoBases(s);
      const before = await snapshotOf(s);
      expect(await runInDurableObject(s, (i: Shard) => i.aof.manifest.history?.map((h) => h.key))).toEqual([first]);
      await inject(second);
      await abortAllDurableObjects();
      s = shard(name);
      expect(await snapshotOf(s)).toEqual(before);
      expect(await one(s, "GET", "between")).toBe("2");
      // The previous base became the current one and a rewrite gives the shard a fresh base again.
      await rewriteDone(s);
      const manifest = await runInDurableObject(s, (i: Shard) => i.aof.manifest);
      expect(manifest.history?.map((h) => h.key)).toEqual([first]);
      expect([first, second]).not.toContain((manifest.base as { key: string }).key);
      await abortAllDurableObjects();
      s = shard(name);
      expect(await snapshotOf(s)).toEqual(before);
    });
  }

  it("with aof-retain-bases 0 the covered log is dropped at once, and a bad base refuses to serve", async () => {
    const name = uniq("rw-fallback-off");
    let s = shard(name);
    await one(s, "CONFIG", "SET", "aof-retain-bases", "0");
    const [, second] = await twoBases(s);
    expect(await runInDurableObject(s, (i: Shard, ctx) => [i.aof.manifest.history, firstRow(ctx) > i.aof.manifest.base.seq])).toEqual([[], true]);
    await env.SNAPSHOTS.delete(second);
    await abortAllDurableObjects();
    s = shard(name);
    expect(((await one(s, "GET", "k1")) as { error: string }).error).toBe(
      `ERR Bad file format reading the append only file at offset 0: the AOF base ${second} is missing from R2`,
    );
  });

  it("keeps only the newest aof-retain-bases earlier bases, their R2 objects whatever rdb-retain-snapshots says, and the log since the oldest", async () => {
    const name = uniq("rw-fallback-retention");
    const s = shard(name);
    await one(s, "CONFIG", "SET", "rdb-retain-snapshots", "1");
    await one(s, "CONFIG", "SET", "aof-retain-bases", "2");
    const keys: string[] = [];
    await one(s, "CONFIG", "SET", "appendfsync", "always");
    for (let round = 0; round < 4; round++) {
      await exec(s, ["SET", `round${round}`, "x"]);
      await one(s, "BGREWRITEAOF");
      await rewriteDone(s);
      keys.push(await baseKey(s));
    }
    const state = await runInDurableObject(s, (i: Shard, ctx) => ({
      history: i.aof.manifest.history!.map((h) => [h.key, h.seq] as const),
      firstRow: firstRow(ctx),
    }));
    expect(state.history.map(([k]) => k)).toEqual([keys[1], keys[2]]);
    const shown = await runInDurableObject(s, (i: Shard) => i.adminManifest());
    expect(shown.history.map((h) => (h as { key: string }).key)).toEqual([keys[1], keys[2]]);
    // Segments are kept from just after the oldest retained base on.
    expect(state.firstRow).toBe(state.history[0][1] + 1);
    const listed = (await env.SNAPSHOTS.list({ prefix: keys[0].slice(0, keys[0].lastIndexOf("/") + 1) })).objects.map((o) => o.key).sort();
    expect(listed).toEqual([keys[1], keys[2], keys[3]].sort());
  });

  it("when the previous base is bad too, the shard refuses to serve, naming the oldest it tried", async () => {
    const name = uniq("rw-fallback-both");
    let s = shard(name);
    const [first, second] = await twoBases(s);
    await env.SNAPSHOTS.delete(second);
    await env.SNAPSHOTS.delete(first);
    await abortAllDurableObjects();
    s = shard(name);
    expect(((await one(s, "GET", "k1")) as { error: string }).error).toBe(
      `ERR Bad file format reading the append only file at offset 0: the AOF base ${first} is missing from R2`,
    );
  });
});
