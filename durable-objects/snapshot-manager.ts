// RDB snapshots of a shard in R2: BGSAVE as a forkless cut streamed into a multipart upload, the
// manifest of snapshots in storage (committed only once an upload is complete), retention, save
// rules, and loading the newest snapshot at start. The RDB bytes come from persistence/rdb.

import { SliceBudget, runSlice } from "./slice-budget.js";
import type { Engine } from "./engine/engine.js";
import { KeyspaceCut } from "./persistence/keyspace-cut.js";
import { RdbWriter, crcHex } from "./persistence/rdb-codec/index.js";
import type { SyncKv } from "./persistence/kv.js";
import type { SnapshotStore, SnapshotUpload } from "./persistence/r2-snapshot-store.js";
import { type SaveRule, dueRule, parseSaveRules } from "./persistence/save-rules.js";

/** One complete snapshot, as recorded in the shard's manifest. */
export interface SnapshotRecord {
  key: string;
  size: number;
  /** The AOF sequence number the snapshot covers (segments up to it are in it). */
  seq: number;
  createdMs: number;
  /** True when written as an AOF base (aux aof-base 1). */
  aofBase: boolean;
  /** The CRC-64 in the file's trailer, in hex (absent with rdbchecksum no): which file this is. */
  checksum?: string;
}

const SNAPSHOTS_KEY = "rdb-snapshots";
/**
 * One slice of the walk: 4 ms where the clock moves, else 384 KiB of RDB output (about 1.5 ms of
 * small keys in the bench, which leaves room for a GC pause within the 4 ms), checked every 32
 * keys; a key costs 64 bytes beyond its encoding.
 */
const SLICE_MS = 4;
const SLICE_BYTES = 384 * 1024;
const KEYS_PER_CHECK = 32;

/** The budget of one slice of a snapshot walk (see SLICE_MS, SLICE_BYTES). */
export const snapshotSliceBudget = (): SliceBudget => new SliceBudget(SLICE_MS, SLICE_BYTES);

/**
 * One slice of a snapshot walk: serializes keys into the writer until the budget is spent.
 * Returns true once every key is written. The bench runs the same function.
 */
export function snapshotSlice(cut: KeyspaceCut, writer: RdbWriter, budget: SliceBudget): boolean {
  budget.start();
  return runSlice(budget, () => {
    const before = writer.buffered;
    if (cut.step(KEYS_PER_CHECK)) return null;
    return writer.buffered - before + 64 * KEYS_PER_CHECK;
  });
}

export interface SnapshotHost {
  clock(): number;
  kv: SyncKv;
  transaction<T>(fn: () => T): T;
  /** Yields to the event loop so requests run between slices. */
  yieldToRequests(): Promise<void>;
  store: SnapshotStore | null;
  /** The log the snapshots are cut from (AofManager implements it). */
  log: SnapshotLog;
}

/** What a snapshot asks of the AOF. */
export interface SnapshotLog {
  /** The AOF's last sequence number, after writing its buffer (the cut point). */
  cutSeq(): number;
  /** True for a snapshot retention must keep (the AOF's current base, or one kept for a fallback). */
  isBase(key: string): boolean;
}

export interface SaveOptions {
  /** SAVE: walk the keyspace without yielding (timers cannot run while the shard is blocked). */
  blocking?: boolean;
  /** Written as the AOF base (hybrid): aux aof-base 1. */
  aofBase?: boolean;
  /** Called inside the manifest transaction once the upload is complete. */
  onCommitted?: (record: SnapshotRecord) => void;
}

export class SnapshotManager {
  snapshots: SnapshotRecord[];
  /** The snapshot being written; `aofBase` when it is a hybrid rewrite's base, not a BGSAVE. */
  inProgress: { startedMs: number; cut: KeyspaceCut; aofBase: boolean } | null = null;
  lastSaveMs: number;
  lastOk = true;
  lastAttemptMs = 0;
  lastDurationSec = -1;
  lastCowBytes = 0;
  saves = 0;

  constructor(
    private readonly engine: Engine,
    private readonly host: SnapshotHost,
  ) {
    this.snapshots = host.kv.get<SnapshotRecord[]>(SNAPSHOTS_KEY) ?? [];
    const newest = this.snapshots[this.snapshots.length - 1];
    this.lastSaveMs = newest?.createdMs ?? engine.server.startedAt;
  }

  get r2(): SnapshotStore | null {
    return this.host.store;
  }

  get rules(): SaveRule[] {
    return parseSaveRules(this.engine.config.get("save"));
  }

  /**
   * Writes are refused (MISCONF) after a failed snapshot while save rules are set and
   * stop-writes-on-bgsave-error is yes, until a snapshot succeeds: Redis's condition.
   */
  stopsWrites(): boolean {
    return !this.lastOk && this.engine.config.getBool("stop-writes-on-bgsave-error") && this.rules.length > 0;
  }

  /** A save rule says it is time (serverCron's check). */
  shouldSave(): boolean {
    if (this.inProgress || !this.host.store) return false;
    const s = { dirty: this.engine.dirty, lastSaveMs: this.lastSaveMs, lastAttemptMs: this.lastAttemptMs, lastOk: this.lastOk };
    return dueRule(this.rules, s, this.host.clock()) !== null;
  }

  /**
   * Takes a snapshot: the cut is taken now (synchronously), the walk and upload run in slices.
   * Resolves once the snapshot is complete and recorded, or rejects (the previous one stays current).
   */
  async save(opts: SaveOptions = {}): Promise<{ record: SnapshotRecord; copiedBytes: number }> {
    const store = this.host.store;
    if (!store) throw new Error("no R2 bucket bound for snapshots");
    if (this.inProgress) throw new Error("Background save already in progress");
    const startedMs = this.host.clock();
    let seq: number;
    try {
      seq = this.host.log.cutSeq();
    } catch (e) {
      // The log could not write what it holds, so there is no cut to number the snapshot by.
      if (!opts.aofBase) this.lastOk = false;
      throw e;
    }
    const dirtyAtCut = this.engine.dirty;
    const db = this.engine.db;
    const writer = new RdbWriter({
      compression: this.engine.config.getBool("rdbcompression"),
      checksum: this.engine.config.getBool("rdbchecksum"),
      config: this.engine.config,
    });
    writer.header({ ctimeSec: Math.floor(startedMs / 1000), usedMem: db.usedMemory, aofBase: !!opts.aofBase });
    for (const code of this.engine.scripting.libraryCodes()) writer.writeFunction(code);
    writer.selectDb(0, db.size, db.expires.size);
    // Each key's last access goes with it (IDLE or FREQ, by the policy at the time it is written).
    const cut = new KeyspaceCut(db, (key, value, expireAt) =>
      writer.writeKey(key, value, expireAt, db.savedAccess(key, this.engine.config.get("maxmemory-policy"))),
    );
    const listener = (key: string) => cut.beforeWrite(key);
    this.engine.writeListeners.add(listener);
    this.inProgress = { startedMs, cut, aofBase: !!opts.aofBase };
    this.lastAttemptMs = startedMs;
    // INFO stats' fork fields: the pause from the save's start to its cut being in place (the log
    // flushed, the header written), by the host's clock.
    this.engine.server.totalForks++;
    this.engine.server.latestForkUsec = (this.host.clock() - startedMs) * 1000;
    const stem = this.engine.config.get("dbfilename").replace(/\.rdb$/, "");
    const key = store.keyFor(stem, startedMs, seq);
    let upload: SnapshotUpload | null = null;
    /** The object is in R2 but not in the manifest: a failure now (the manifest's transaction) must delete it. */
    let unrecorded = false;
    try {
      upload = await store.startUpload(key, { seq: String(seq), aofBase: opts.aofBase ? "1" : "0" });
      let done = false;
      const budget = snapshotSliceBudget();
      while (!done) {
        done = snapshotSlice(cut, writer, budget);
        if (done) {
          this.engine.writeListeners.delete(listener);
          writer.finish();
        }
        const chunk = writer.takeChunk();
        if (chunk.length > 0) await upload.write(chunk);
        if (!done && !opts.blocking) await this.host.yieldToRequests();
      }
      const obj = await upload.complete();
      unrecorded = true;
      const record: SnapshotRecord = { key, size: obj.size, seq, createdMs: startedMs, aofBase: !!opts.aofBase };
      if (writer.trailer !== 0n) record.checksum = crcHex(writer.trailer);
      const retain = this.engine.config.getNumber("rdb-retain-snapshots");
      let dropped: SnapshotRecord[] = [];
      this.host.transaction(() => {
        opts.onCommitted?.(record);
        // Retention keeps the newest N, and never the snapshot that is the AOF's current base.
        const all = [...this.snapshots, record];
        const keep = new Set(all.slice(Math.max(0, all.length - retain)).map((r) => r.key));
        dropped = all.filter((r) => !keep.has(r.key) && !this.host.log.isBase(r.key));
        this.snapshots = all.filter((r) => !dropped.includes(r));
        this.host.kv.put(SNAPSHOTS_KEY, this.snapshots);
      });
      unrecorded = false;
      await store.delete(dropped.map((d) => d.key)).catch((e) => console.warn("deleting old snapshots failed:", e));
      if (!opts.aofBase) {
        // As Redis: changes made during the save still count; BGREWRITEAOF is not a save.
        this.engine.dirty -= dirtyAtCut;
        this.lastSaveMs = startedMs;
        this.lastOk = true;
        this.saves++;
      }
      // An AOF base's copies are the rewrite's (aof_last_cow_size), not a save's.
      if (!opts.aofBase) this.lastCowBytes = cut.copiedBytes;
      return { record, copiedBytes: cut.copiedBytes };
    } catch (e) {
      if (!opts.aofBase) this.lastOk = false;
      if (unrecorded) await store.delete([key]).catch((d) => console.warn(`deleting the unrecorded snapshot ${key} failed:`, d));
      else if (upload) await upload.abort();
      throw e;
    } finally {
      this.engine.writeListeners.delete(listener);
      this.lastDurationSec = Math.round((this.host.clock() - startedMs) / 1000);
      this.inProgress = null;
    }
  }

  /** INFO persistence, RDB part, with Redis's field names. */
  info(): [string, string | number][] {
    const now = this.host.clock();
    return [
      ["rdb_changes_since_last_save", this.engine.dirty],
      ["rdb_bgsave_in_progress", this.inProgress ? 1 : 0],
      ["rdb_last_save_time", Math.floor(this.lastSaveMs / 1000)],
      ["rdb_last_bgsave_status", this.lastOk ? "ok" : "err"],
      ["rdb_last_bgsave_time_sec", this.lastDurationSec],
      ["rdb_current_bgsave_time_sec", this.inProgress ? Math.round((now - this.inProgress.startedMs) / 1000) : -1],
      ["rdb_saves", this.saves],
      ["rdb_last_cow_size", this.lastCowBytes],
    ];
  }
}
