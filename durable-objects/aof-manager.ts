// The AOF's lifecycle in a shard: takes the engine's propagated commands, writes them to SQLite rows
// as the appendfsync policy says, replays base + increment at start, and runs rewrites a slice at a
// time. Formats come from persistence/; storage from the SQLite adapter.

import { SliceBudget, SlicedJob } from "./slice-budget.js";
import type { Engine } from "./engine/engine.js";
import { encodeCommands } from "./persistence/resp.js";
import { type ReplayProgress, replayAofSteps } from "./aof-replay.js";
import { AofError } from "./persistence/aof/format.js";
import { type AofLoadResult, failedLoad } from "./persistence/aof/loader.js";
import { AofRewriter } from "./persistence/aof/rewrite.js";
import { KeyspaceCut } from "./persistence/keyspace-cut.js";
import type { SyncKv } from "./persistence/kv.js";
import { type AofSegmentStore, MAX_ROW_BYTES, type SegmentRow } from "./persistence/sqlite-aof-store.js";

/** Hybrid: an RDB snapshot in R2 as a base (aof-use-rdb-preamble yes). */
export interface RdbBase {
  kind: "rdb";
  seq: number;
  size: number;
  createdMs: number;
  key: string;
  /** The CRC-64 of the file's trailer, in hex: a different file under the key is refused. */
  checksum?: string;
}

export type AofBase = { kind: "none"; seq: number } | { kind: "aof"; seq: number; size: number; createdMs: number } | RdbBase;

/** Where the log starts: a base (covering segments up to `seq`) and the segments after it. */
export interface AofManifest {
  /** AOF turned on at runtime and its first base not written yet: the log is not loadable. */
  waitingForBase?: boolean;
  base: AofBase;
  /**
   * Earlier RDB bases kept for a fallback, oldest first (aof-retain-bases), together with every
   * segment written since the oldest of them: if the base is missing or corrupt in R2, the one
   * before it plus the segments after that one give the same dataset.
   */
  history?: RdbBase[];
}

const MANIFEST_KEY = "aof-manifest";
const SELECT_0 = encodeCommands([["SELECT", "0"]]);
const EVERYSEC_MS = 1000;
const NO_POLICY_MS = 30_000;
/** Buffer sizes that force a write before the timer: bounded memory whatever the write rate. */
const EVERYSEC_MAX_BUFFER = 4 * MAX_ROW_BYTES;
const NO_POLICY_MAX_BUFFER = 16 * MAX_ROW_BYTES;
/** A rewrite slice: 4 ms where the clock moves, else 128 KiB of RESP output; checked every 32 keys. */
const REWRITE_SLICE_MS = 4;
const REWRITE_SLICE_BYTES = 128 * 1024;
const REWRITE_KEYS_PER_CHECK = 32;

export interface AofHost {
  clock(): number;
  /** Runs fn after ms (a timer that lets an idle object sleep once it has fired). */
  schedule(fn: () => void, ms: number): void;
  /** Runs fn in one storage transaction. */
  transaction<T>(fn: () => T): T;
  kv: SyncKv;
}

/** The new base of a hybrid rewrite as the snapshot that holds it records it. */
export interface RdbBaseRecord {
  key: string;
  seq: number;
  size: number;
  createdMs: number;
  checksum?: string;
}

/**
 * Writes an RDB snapshot as a hybrid rewrite's base (background-jobs.ts gives the snapshots' save);
 * `commit` runs inside the storage transaction that records it. Rejects when the snapshot could not
 * be stored (the old base stays).
 */
export type WriteRdbBase = (commit: (record: RdbBaseRecord) => void) => Promise<{ copiedBytes: number }>;

interface RewriteState {
  cut: KeyspaceCut;
  rewriter: AofRewriter;
  job: SlicedJob;
  /** Segments up to here are covered by the new base. */
  coversSeq: number;
  startedMs: number;
  /** Settles the promise startRewrite returned. */
  ended: () => void;
}

export class AofManager {
  manifest: AofManifest;
  private buffer: string[] = [];
  /** Bytes of the increment's rows, kept as rows are added so no request has to ask SQLite; null: ask. */
  private incrementBytes: number | null = null;
  private bufferBytes = 0;
  private timerPending = false;
  /** The second of the last `#TS` annotation (Redis's aof_cur_timestamp). */
  private lastTimestamp = 0;
  /** Redis writes SELECT before the first command of each increment and after each restart. */
  private selected = false;
  private rewrite: RewriteState | null = null;
  /** A hybrid rewrite in progress (its base is being written to R2). */
  rdbRewrite: Promise<void> | null = null;
  /** WAITAOF calls, and requests that asked for their writes to be durable before the reply (INFO). */
  waitaofCalls = 0;
  durableRequests = 0;
  /** Rows written since start, per policy accounting (bench: rows per 1,000 writes). */
  rowsWritten = 0;
  lastWriteOk = true;
  /** Why the last write failed (Redis's strerror of aof_last_write_errno), for the MISCONF reply and health. */
  lastWriteError = "";
  lastRewriteOk = true;
  lastRewriteTimeSec = -1;
  rewrites = 0;
  /** Failed rewrites since the last one that succeeded (health checks alert on repeats). */
  rewriteFailures = 0;
  /** Bytes the last rewrite's cut copied before a write changed them (aof_last_cow_size). */
  private lastRewriteCowBytes = 0;
  /** Bytes of the log at the end of the last rewrite (or at start): the auto-rewrite baseline. */
  private baseSizeAtRewrite = 0;

  constructor(
    private readonly engine: Engine,
    private readonly store: AofSegmentStore,
    private readonly host: AofHost,
  ) {
    this.manifest = host.kv.get<AofManifest>(MANIFEST_KEY) ?? { base: { kind: "none", seq: 0 } };
    // Logs written before the floor existed: new rows must still number after the base.
    if (this.manifest.base.seq > store.lastSeq()) store.raiseFloor(this.manifest.base.seq);
  }

  /**
   * AOF turned on at runtime: until the first base is written (a rewrite the caller starts), the
   * log is not the dataset's record, so recovery ignores it (the manifest says `waitingForBase`).
   */
  awaitFirstBase(): void {
    this.manifest = { ...this.manifest, waitingForBase: true };
    this.host.kv.put(MANIFEST_KEY, this.manifest);
  }

  /**
   * Drops the whole log, its base and the bases kept before it: the log starts again empty. For AOF
   * turned off, and for a restore that replaces a log the shard could not load.
   */
  resetLog(): void {
    this.buffer = [];
    this.bufferBytes = 0;
    this.selected = false;
    this.host.transaction(() => {
      this.store.deleteThrough(Number.MAX_SAFE_INTEGER);
      this.incrementBytes = null;
      this.store.clearBase();
      this.store.clearStaging();
      this.manifest = { base: { kind: "none", seq: 0 } };
      this.host.kv.put(MANIFEST_KEY, this.manifest);
    });
  }

  get enabled(): boolean {
    return this.engine.config.getBool("appendonly");
  }

  /** The running AOF-form rewrite's cut (an RDB-form rewrite is a snapshot in progress). */
  get rewriteCut(): KeyspaceCut | null {
    return this.rewrite?.cut ?? null;
  }

  get rewriteInProgress(): boolean {
    return this.rewrite !== null || this.rdbRewrite !== null;
  }

  /** The engine's propagation sink: encode now (cheap), write per policy. */
  append(commands: string[][]): void {
    if (this.enabled) this.appendEncoded(encodeCommands(commands));
  }

  /** Appends records already encoded as RESP (a restore's rewrite output). */
  appendEncoded(bytes: string): void {
    if (!this.enabled) return;
    if (!this.selected) {
      this.selected = true;
      bytes = SELECT_0 + bytes;
    }
    if (this.engine.config.getBool("aof-timestamp-enabled")) bytes = this.timestampAnnotation() + bytes;
    this.buffer.push(bytes);
    this.bufferBytes += bytes.length;
  }

  /**
   * aof-timestamp-enabled: `#TS:<unix seconds>` before the first records of each new second (and
   * before the SELECT that may start them), as Redis's feedAppendOnlyFile writes it; "" within the
   * second of the last one. Like Redis's, the last second starts at 0 after a restart.
   */
  private timestampAnnotation(): string {
    const seconds = Math.floor(this.host.clock() / 1000);
    if (seconds <= this.lastTimestamp) return "";
    this.lastTimestamp = seconds;
    return `#TS:${seconds}\r\n`;
  }

  /**
   * After each batch: `always` writes now, in the same turn, so the output gate holds the reply.
   * False when that write failed: the batch must not be acknowledged (see Shard.execute).
   */
  afterBatch(): boolean {
    if (this.bufferBytes === 0) return true;
    const policy = this.engine.config.get("appendfsync");
    if (policy === "always") return this.flush();
    if (policy === "everysec") {
      if (this.bufferBytes >= EVERYSEC_MAX_BUFFER) this.flush();
      else this.armTimer(EVERYSEC_MS);
    } else {
      if (this.bufferBytes >= NO_POLICY_MAX_BUFFER) this.flush();
      else this.armTimer(NO_POLICY_MS);
    }
    return true;
  }

  private armTimer(ms: number): void {
    if (this.timerPending) return;
    this.timerPending = true;
    this.host.schedule(() => {
      this.timerPending = false;
      this.flush();
    }, ms);
  }

  /**
   * WAITAOF, or a request that asked for durable writes: every record appended so far is written
   * as a row now, in this turn, so the reply waits for its commit (the output gate), as under
   * `always`. 1 when the log vouches for them; 0 without an AOF, or while one being turned on has
   * no base yet (recovery would ignore the log).
   */
  syncNow(): number {
    if (!this.enabled || this.manifest.waitingForBase) return 0;
    return this.flush() ? 1 : 0;
  }

  /**
   * Writes the buffered records as rows; false when the store refused them. They then stay buffered,
   * in order, ahead of later records, and are retried every second (as Redis's serverCron retries)
   * and before any later write; until one succeeds aof_last_write_status is err and the shard
   * refuses writes with MISCONF, as Redis does.
   */
  flush(): boolean {
    if (this.bufferBytes === 0) return true;
    const bytes = this.buffer.length === 1 ? this.buffer[0] : this.buffer.join("");
    try {
      const now = this.host.clock();
      // Several rows in one transaction: a failure leaves none of them, so a retry writes no record twice.
      if (bytes.length > MAX_ROW_BYTES) this.host.transaction(() => this.store.append(bytes, now));
      else this.store.append(bytes, now);
    } catch (e) {
      this.buffer = [bytes];
      const reason = e instanceof Error ? e.message : String(e);
      if (this.lastWriteOk) console.error(`Error writing to the AOF file: ${reason}`);
      this.lastWriteOk = false;
      this.lastWriteError = reason;
      this.armTimer(EVERYSEC_MS);
      return false;
    }
    this.buffer = [];
    this.bufferBytes = 0;
    if (this.incrementBytes !== null) this.incrementBytes += bytes.length;
    this.rowsWritten += Math.ceil(bytes.length / MAX_ROW_BYTES);
    if (!this.lastWriteOk) console.log("AOF write error looks solved, Redis can write again.");
    this.lastWriteOk = true;
    return true;
  }

  /**
   * Writes the buffer before work that numbers the log from here (a snapshot's cut, a rewrite's
   * start): records left unwritten would get numbers after the cut although the cut holds their
   * effects, and a recovery would apply them twice.
   */
  flushOrThrow(): void {
    if (!this.flush()) throw new Error(`Errors writing to the AOF file: ${this.lastWriteError}`);
  }

  /** Why writes must be refused (the engine answers MISCONF): a log write failed and no retry has succeeded. */
  writeError(): string | null {
    return this.enabled && !this.lastWriteOk ? this.lastWriteError : null;
  }

  /** Bytes a recovery will read: base plus increment (for loading progress). */
  loadTotalBytes(): number {
    return this.currentSize();
  }

  /** The bases recovery may start from, in the order to try them: the current one, then the history, newest first. */
  baseCandidates(): AofBase[] {
    return [this.manifest.base, ...(this.manifest.history ?? []).slice().reverse()];
  }

  /** True when `base` is the current base or one kept for a fallback (its R2 object must stay). */
  isBase(key: string): boolean {
    const { base, history } = this.manifest;
    return (base.kind === "rdb" && base.key === key) || (history ?? []).some((h) => h.key === key);
  }

  /**
   * After recovering from an earlier base because the newer ones could not be loaded: that base
   * becomes the current one (the increment is then every segment since it) and the unloadable
   * ones leave the manifest, so retention may delete them.
   */
  adoptBase(base: RdbBase): void {
    const history = this.manifest.history ?? [];
    const at = history.findIndex((h) => h.key === base.key);
    this.manifest = { base, history: at < 0 ? [] : history.slice(0, at) };
    this.incrementBytes = null;
    this.host.kv.put(MANIFEST_KEY, this.manifest);
  }

  /**
   * Replays the log from a base (the current one unless told; an RDB base is loaded first, see
   * recovery.ts), pausing every few thousand commands so the shard can run it in slices. Called
   * before the shard serves.
   */
  *recoverSteps(base: AofBase = this.manifest.base): Generator<ReplayProgress, AofLoadResult> {
    const loadTruncated = this.engine.config.getBool("aof-load-truncated");
    this.engine.db.loading = true;
    try {
      let baseBytes = base.kind === "rdb" ? base.size : 0;
      if (base.kind === "aof") {
        const parts = [...this.store.baseParts()];
        if (parts.some((p) => !p.valid)) return failedLoad(new AofError("AOF_BAD_BASE", "bad checksum in the AOF base", 0));
        const r = yield* replayAofSteps(this.engine, parts);
        if (r.error) {
          // A base is written whole by a rewrite: a short one is damaged, not a torn tail to cut.
          return { ...r, status: "FAILED", truncateAt: undefined, error: new AofError("AOF_BAD_BASE", `AOF base: ${r.error.reason}`, r.status === "TRUNCATED" ? r.validUpTo : r.error.offset, { cause: r.error }) };
        }
        baseBytes = r.validUpTo;
      }
      const increment = replayAofSteps(this.engine, this.store.segmentsAfter(base.seq));
      let step = increment.next();
      while (!step.done) {
        yield { bytes: baseBytes + step.value.bytes };
        step = increment.next();
      }
      const result = step.value;
      if (result.status === "TRUNCATED" && loadTruncated && result.truncateAt) {
        console.warn(`AOF loaded anyway because aof-load-truncated is enabled: truncated at segment ${result.truncateAt.seq}, offset ${result.validUpTo}`);
        this.store.truncate(result.truncateAt.seq, result.truncateAt.keep);
        this.incrementBytes = null;
      }
      this.baseSizeAtRewrite = this.currentSize();
      return result;
    } finally {
      this.engine.db.loading = false;
    }
  }

  baseRows() {
    return this.store.baseParts();
  }

  incrementRows() {
    return this.store.segmentsAfter(this.manifest.base.seq);
  }

  rowsBetween(afterSeq: number, throughSeq: number, limit: number): SegmentRow[] {
    return this.store.rowsBetween(afterSeq, throughSeq, limit);
  }

  basePart(part: number): Uint8Array | null {
    return this.store.basePart(part);
  }

  /**
   * The log after `afterSeq` up to the first row written at or after `untilMs`: what a point-in-time
   * restore replays over a base, read as it is replayed (never all in memory). Null when the rows
   * right after `afterSeq` are no longer kept; a gap found later (a rewrite dropped rows meanwhile)
   * throws.
   */
  rowsUntil(afterSeq: number, untilMs: number): Iterable<SegmentRow> | null {
    this.flushOrThrow();
    const [first] = this.store.rowsBetween(afterSeq, Number.MAX_SAFE_INTEGER, 1);
    if (first && first.createdMs < untilMs && first.seq !== afterSeq + 1) return null;
    const store = this.store;
    return (function* () {
      let seq = afterSeq;
      for (const row of store.segmentsAfter(afterSeq)) {
        if (row.createdMs >= untilMs) return;
        if (row.seq !== seq + 1) throw new Error(`the log after row ${seq} is no longer kept`);
        seq = row.seq;
        yield row;
      }
    })();
  }

  lastSeq(): number {
    return this.store.lastSeq();
  }

  /** Where a snapshot cuts the log: everything appended so far is written, and its last row's number. */
  cutSeq(): number {
    this.flushOrThrow();
    return this.store.lastSeq();
  }

  baseSize(): number {
    return this.manifest.base.kind === "none" ? 0 : this.manifest.base.size;
  }

  /** aof_current_size: base plus increment. */
  currentSize(): number {
    this.incrementBytes ??= this.store.sizeAfter(this.manifest.base.seq).bytes;
    return this.baseSize() + this.incrementBytes + this.bufferBytes;
  }

  /**
   * A rewrite starts by writing the buffer (as Redis's does): records left in it would be numbered
   * after the cut, which holds their effects, and a recovery would apply them twice. False when the
   * log cannot write it: the rewrite cannot start, and counts as a failed one.
   */
  canStartRewrite(): boolean {
    if (this.flush()) return true;
    this.lastRewriteOk = false;
    this.rewriteFailures++;
    return false;
  }

  /**
   * An AOF-form rewrite (a RESP base in SQLite), cut now and written a slice at a time. Resolves
   * once it has ended, committed or failed (lastRewriteOk says which). One rewrite at a time: the
   * caller checks rewriteInProgress (background-jobs.ts).
   */
  startRewrite(): Promise<void> {
    if (this.rewriteInProgress) throw new Error("an AOF rewrite is already in progress");
    // Written already when the jobs checked canStartRewrite(); a caller that did not gets the error here.
    this.flushOrThrow();
    const startedMs = this.host.clock();
    const coversSeq = this.store.lastSeq();
    this.store.clearStaging();
    // As Redis's rewrite, a RESP base starts with the time it was cut at, then the functions.
    const rewriter = new AofRewriter(
      undefined,
      this.engine.config.getBool("aof-timestamp-enabled") ? { timestampSeconds: Math.floor(this.host.clock() / 1000) } : {},
    );
    rewriter.addFunctions(this.engine.scripting.libraryCodes());
    const cut = new KeyspaceCut(this.engine.db, (key, value, expireAt) => rewriter.addKey(key, value, expireAt));
    this.engine.writeListeners.add(this.onWrite);
    // Each step writes a few keys; a key costs 64 bytes beyond its encoding. After each slice the
    // RESP written so far is staged in SQLite (all of it once the walk is complete).
    const step = () => {
      const before = rewriter.pendingBytes;
      if (cut.step(REWRITE_KEYS_PER_CHECK)) return null;
      return rewriter.pendingBytes - before + 64 * REWRITE_KEYS_PER_CHECK;
    };
    const stage = (done: boolean) => {
      const chunk = rewriter.take(done ? 0 : MAX_ROW_BYTES);
      if (chunk) this.store.stage(chunk);
    };
    const job = new SlicedJob(new SliceBudget(REWRITE_SLICE_MS, REWRITE_SLICE_BYTES), step, (fn) => this.host.schedule(fn, 0), (e) => this.rewriteEnded(rw, e), stage);
    let ended!: () => void;
    const done = new Promise<void>((resolve) => (ended = resolve));
    const rw: RewriteState = { cut, rewriter, job, coversSeq, startedMs, ended };
    this.rewrite = rw;
    // INFO stats' fork fields (an RDB-form rewrite counts as its snapshot's cut).
    this.engine.server.totalForks++;
    this.engine.server.latestForkUsec = (this.host.clock() - startedMs) * 1000;
    // Later records belong to the new increment, which starts with its own SELECT.
    this.selected = false;
    job.start();
    return done;
  }

  /**
   * Hybrid rewrite: a forkless RDB snapshot (the cut is taken now) streamed to R2. Once it is
   * complete, one storage transaction records it as the base and drops the segments it covers;
   * segments written meanwhile stay as the increment.
   */
  startRdbRewrite(writeBase: WriteRdbBase): Promise<void> {
    if (this.rewriteInProgress) throw new Error("an AOF rewrite is already in progress");
    const startedMs = this.host.clock();
    this.selected = false;
    this.rdbRewrite = writeBase((record) => {
      // The base being replaced joins the history when it is an RDB in R2 (an AOF base in SQLite
      // is cleared here); segments stay from the oldest base kept on.
      const previous = this.manifest.base;
      const retain = this.engine.config.getNumber("aof-retain-bases");
      const kept = previous.kind === "rdb" ? [...(this.manifest.history ?? []), previous] : [];
      const history = kept.slice(Math.max(0, kept.length - retain));
      this.store.clearBase();
      this.store.deleteThrough(history.length > 0 ? history[0].seq : record.seq);
      this.incrementBytes = null;
      const base: RdbBase = { kind: "rdb", seq: record.seq, size: record.size, createdMs: record.createdMs, key: record.key };
      if (record.checksum) base.checksum = record.checksum;
      this.manifest = { base, history };
      this.host.kv.put(MANIFEST_KEY, this.manifest);
    })
      .then(({ copiedBytes }) => {
        this.lastRewriteCowBytes = copiedBytes;
        this.lastRewriteTimeSec = Math.round((this.host.clock() - startedMs) / 1000);
        this.rewrites++;
        this.baseSizeAtRewrite = this.currentSize();
        this.lastRewriteOk = true;
        this.rewriteFailures = 0;
      })
      .catch((e) => {
        console.error("AOF rewrite (RDB base) failed:", e instanceof Error ? e.message : e);
        this.lastRewriteOk = false;
        this.rewriteFailures++;
      })
      .finally(() => {
        this.rdbRewrite = null;
      });
    return this.rdbRewrite;
  }

  private readonly onWrite = (key: string): void => {
    this.rewrite?.cut.beforeWrite(key);
  };

  /** Runs one slice of the rewrite now (tests drive a rewrite with it); the next is scheduled. */
  rewriteStep(): void {
    this.rewrite?.job.slice();
  }

  private rewriteEnded(rw: RewriteState, error: unknown | null): void {
    try {
      if (error !== null) throw error;
      this.finishRewrite(rw);
    } catch (e) {
      console.error("AOF rewrite failed:", e instanceof Error ? e.stack : e);
      this.endRewrite(rw, false);
    }
  }

  private finishRewrite(rw: RewriteState): void {
    this.flush();
    this.host.transaction(() => {
      this.store.promoteStaging();
      this.store.deleteThrough(rw.coversSeq);
      this.incrementBytes = null;
      this.manifest = { base: { kind: "aof", seq: rw.coversSeq, size: this.store.baseSize(), createdMs: this.host.clock() } };
      this.host.kv.put(MANIFEST_KEY, this.manifest);
    });
    this.lastRewriteTimeSec = Math.round((this.host.clock() - rw.startedMs) / 1000);
    this.lastRewriteCowBytes = rw.cut.copiedBytes;
    this.rewrites++;
    this.baseSizeAtRewrite = this.currentSize();
    this.endRewrite(rw, true);
  }

  private endRewrite(rw: RewriteState, ok: boolean): void {
    this.engine.writeListeners.delete(this.onWrite);
    this.rewrite = null;
    this.lastRewriteOk = ok;
    this.rewriteFailures = ok ? 0 : this.rewriteFailures + 1;
    if (!ok) this.store.clearStaging();
    rw.ended();
  }

  /** auto-aof-rewrite-percentage / -min-size: growth of the log since the last rewrite. */
  shouldAutoRewrite(): boolean {
    if (!this.enabled || this.rewriteInProgress || !this.lastWriteOk) return false;
    const pct = this.engine.config.getNumber("auto-aof-rewrite-percentage");
    if (pct === 0) return false;
    const size = this.currentSize();
    if (size < this.engine.config.getNumber("auto-aof-rewrite-min-size")) return false;
    const base = Math.max(1, this.baseSizeAtRewrite);
    return ((size - base) * 100) / base >= pct;
  }

  /** INFO persistence, AOF part, with Redis's field names; `rewriteScheduled` is the jobs' (a rewrite waiting for a save). */
  info(rewriteScheduled = false): [string, string | number][] {
    return [
      ["aof_enabled", this.enabled ? 1 : 0],
      ["aof_rewrite_in_progress", this.rewriteInProgress ? 1 : 0],
      ["aof_rewrite_scheduled", rewriteScheduled ? 1 : 0],
      ["aof_last_rewrite_time_sec", this.lastRewriteTimeSec],
      ["aof_current_rewrite_time_sec", this.rewrite ? Math.round((this.host.clock() - this.rewrite.startedMs) / 1000) : -1],
      ["aof_last_bgrewrite_status", this.lastRewriteOk ? "ok" : "err"],
      ["aof_rewrites", this.rewrites],
      ["aof_rewrites_consecutive_failures", this.rewriteFailures],
      ["aof_last_write_status", this.lastWriteOk ? "ok" : "err"],
      ["aof_last_cow_size", this.lastRewriteCowBytes],
      ["module_fork_in_progress", 0],
      ["module_fork_last_cow_size", 0],
      // As Redis: the log's own fields only while there is one.
      ...(this.enabled
        ? ([
            ["aof_current_size", this.currentSize()],
            ["aof_base_size", this.baseSize()],
            ["aof_pending_rewrite", 0],
            ["aof_buffer_length", this.bufferBytes],
            ["aof_pending_bio_fsync", 0],
            ["aof_delayed_fsync", 0],
          ] as [string, number][])
        : []),
    ];
  }
}
