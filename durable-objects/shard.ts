// The shard Durable Object: owns one engine, runs batches synchronously over RPC, and glues the
// engine to persistence (the AOF in SQLite storage, snapshots in R2). No command semantics here.

import { SliceBudget } from "./slice-budget.js";
import { DurableObject } from "cloudflare:workers";
import { AofManager, type RdbBase } from "./aof-manager.js";
import { Engine } from "./engine/engine.js";
import { type ErrorReply, type Reply, errorReply } from "./engine/reply.js";
import { RedisError, loading as loadingError } from "./engine/errors.js";
import type { AofReplayResult, ReplayProgress } from "./aof-replay.js";
import { configFromEnv } from "./env-config.js";
import { r2Prefix } from "./engine/config.js";
import { SqliteAofStore } from "./persistence/sqlite-aof-store.js";
import { R2SnapshotStore } from "./persistence/r2-snapshot-store.js";
import { SnapshotManager } from "./snapshot-manager.js";
import { ShardAdmin, type ShardStatus } from "./admin-ops.js";
import { RdbLoader, crcHex } from "./persistence/rdb-codec/index.js";

export interface ShardResult {
  replies: Reply[] | ErrorReply;
  token: string;
}

/** Longest an active-expiry pass may hold the shard, and how often it runs while it finds work. */
const EXPIRE_BUDGET_MS = 5;
/**
 * A slice of a long recovery, between which requests are answered LOADING: 50 ms where the clock
 * moves, else 1.5 MiB of log (about 50 ms of replay in the bench). The start-up budget
 * (loading-block-ms) converts to log bytes at the same rate.
 */
const LOADING_SLICE_MS = 50;
const LOADING_BYTES_PER_MS = 30 * 1024;
const CRON_INTERVAL_MS = 100;
const CRON_MAX_INTERVAL_MS = 60_000;

export class Shard extends DurableObject<Env> {
  readonly engine: Engine;
  readonly aof: AofManager;
  readonly snapshots: SnapshotManager;
  private readonly admin: ShardAdmin;
  /** The shard's index, from its Durable Object name (`shard-<n>`), for snapshot paths. */
  private readonly shardName: string;
  /** SAVE blocks the shard until its snapshot is stored: the batch's reply waits on this. */
  private barrier: Promise<Error | null> | null = null;
  /** Added to the wall clock; tests move time with it instead of sleeping. */
  clockOffset = 0;
  /** The AOF's timers (everysec, `no`, rewrite slices); tests swap in timers they fire by moving the clock. */
  schedule: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms);
  /** The cron's shortest interval (Redis's hz 10); tests lengthen it so that only runDurableObjectAlarm runs the cron. */
  cronMinIntervalMs = CRON_INTERVAL_MS;
  /** Set when the shard must not serve (a corrupt log with aof-load-truncated no, …): every request gets it. */
  loadError: string | null = null;
  /** Set while recovery is still replaying (in slices, after the start-up budget). */
  loading: { startedMs: number; totalBytes: number; loadedBytes: number; rdbUsedMem?: number } | null = null;
  private lastLoadSeconds = 0;
  /** Keys the last RDB load (a snapshot, or the AOF's RDB base) added, and those it dropped as expired. */
  private lastRdbLoad = { keys: 0, expired: 0 };
  /** Set when recovery had to start from an earlier base than the manifest's current one. */
  private fellBackTo: RdbBase | null = null;
  private readonly bootId = Date.now().toString(36);
  private cronInterval = CRON_INTERVAL_MS;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const clock = () => Date.now() + this.clockOffset;
    this.engine = new Engine({ clock, config: configFromEnv(env) });
    const stored = ctx.storage.kv.get<Record<string, string>>("config");
    if (stored) this.engine.config.restore(stored);
    this.aof = new AofManager(this.engine, new SqliteAofStore(ctx.storage.sql), {
      clock,
      schedule: (fn, ms) => this.schedule(fn, ms),
      transaction: (fn) => ctx.storage.transactionSync(fn),
      kv: ctx.storage.kv,
    });
    this.shardName = ctx.id.name ?? ctx.id.toString();
    this.snapshots = new SnapshotManager(this.engine, {
      clock,
      kv: ctx.storage.kv,
      transaction: (fn) => ctx.storage.transactionSync(fn),
      yieldToRequests: () => new Promise((resolve) => setTimeout(resolve, 0)),
      cutSeq: () => {
        this.aof.flush();
        return this.aof.lastSeq();
      },
      isProtected: (key) => this.aof.isBase(key),
      store: env.SNAPSHOTS ? new R2SnapshotStore(env.SNAPSHOTS, () => `${r2Prefix(this.engine.config.get("dir"))}/${this.shardName}/`) : null,
    });
    if (env.SNAPSHOTS) this.aof.setRdbBaseWriter((commit) => this.snapshots.save({ aofBase: true, onCommitted: commit }));
    this.admin = new ShardAdmin(this.engine, this.aof, this.snapshots, () => ({ loading: this.loading !== null, loadError: this.loadError }));
    this.engine.server.host = {
      save: () => this.startSave(true),
      bgsave: () => this.startSave(false),
      bgrewriteaof: () => this.aof.startRewrite(),
      lastsave: () => Math.floor(this.snapshots.lastSaveMs / 1000),
      aofEnabled: () => this.aof.enabled,
      syncAof: () => {
        this.aof.waitaofCalls++;
        return this.aof.syncNow();
      },
    };
    this.engine.server.sections.set("persistence", () => this.persistenceInfo());
    ctx.blockConcurrencyWhile(async () => {
      try {
        await this.recover();
      } catch (e) {
        this.recoveryFailed(e);
      }
      this.alarmAt = await ctx.storage.getAlarm();
    });
    this.engine.sink = (commands) => this.aof.append(commands);
    this.engine.config.onChange = (changes) => {
      // Only what CONFIG SET changed is kept: the rest keeps following the deployment's vars.
      const overrides = ctx.storage.kv.get<Record<string, string>>("config") ?? {};
      for (const [name, value] of changes) overrides[name] = value;
      ctx.storage.kv.put("config", overrides);
      const appendonly = changes.find(([name]) => name === "appendonly");
      if (appendonly) this.aof.switchTo(appendonly[1] === "yes");
    };
  }

  // The admin API's view of this shard (worker/admin.ts); each is one call into ShardAdmin.
  async adminStatus(): Promise<ShardStatus> {
    return this.admin.status();
  }
  async adminBgsave(): Promise<{ result: string } | { error: string }> {
    return this.notServing() ?? { result: this.startSave(false) };
  }
  async adminBgrewriteaof(): Promise<{ result: string } | { error: string }> {
    return this.notServing() ?? { result: this.aof.startRewrite() };
  }
  async adminManifest() {
    return this.admin.manifest();
  }
  async adminAof(): Promise<ReadableStream<Uint8Array>> {
    return this.admin.aofStream();
  }
  async adminRestore(rdb: ReadableStream<Uint8Array>): Promise<{ keys: number }> {
    return this.restoring((replaceLog) => this.admin.restore(rdb, replaceLog));
  }
  async adminRestoreToTime(time: number): Promise<{ keys: number; base: string; rows: number }> {
    return this.restoring((replaceLog) => this.admin.restoreToTime(time, replaceLog));
  }

  /**
   * Why the shard cannot save or rewrite now: while it loads, or when it could not load, a snapshot
   * or a new base would hold a partial dataset, and a rewrite would drop the log it was cut from.
   */
  private notServing(): { error: string } | null {
    if (this.loading) return { error: loadingError().message };
    if (this.loadError) return { error: this.loadError };
    return null;
  }

  /**
   * A restore replaces the dataset, so it is also how a shard that could not load its log is mended:
   * the restored dataset replaces that log, and the shard serves again. Not while loading. Without
   * an AOF nothing logs the restored dataset, so a snapshot of it starts at once.
   */
  private async restoring<T>(restore: (replaceLog: boolean) => Promise<T>): Promise<T> {
    if (this.loading) throw new Error(loadingError().message);
    const broken = this.loadError;
    const out = await restore(broken !== null);
    if (!this.aof.enabled) this.startSave(false);
    if (broken !== null) {
      console.log(`restored over a log that could not be loaded (${broken}): serving again`);
      this.loadError = null;
      this.fellBackTo = null;
      this.armCron();
    }
    return out;
  }
  async adminSnapshotKey(): Promise<string | null> {
    return this.snapshots.snapshots.at(-1)?.key ?? null;
  }

  /**
   * INFO persistence: Redis 7's fields in Redis's order, then durable-redis's own. The save in
   * progress is a forkless cut, so "copy on write" is what the cut copied before a write changed it,
   * and the fork's progress is the cut's.
   */
  private persistenceInfo(): [string, string | number][] {
    const cut = this.snapshots.inProgress?.cut ?? this.aof.rewriteCut;
    const l = this.loading;
    const fields: [string, string | number][] = [
      ["loading", l ? 1 : 0],
      ["async_loading", 0],
      ["current_cow_peak", cut?.copiedBytes ?? 0],
      ["current_cow_size", cut?.copiedBytes ?? 0],
      ["current_cow_size_age", 0],
      ["current_fork_perc", cut && cut.total > 0 ? ((cut.emittedKeys * 100) / cut.total).toFixed(2) : "0.00"],
      ["current_save_keys_processed", cut?.emittedKeys ?? 0],
      ["current_save_keys_total", cut?.total ?? 0],
      ...this.snapshots.info(),
      ["rdb_last_load_keys_expired", this.lastRdbLoad.expired],
      ["rdb_last_load_keys_loaded", this.lastRdbLoad.keys],
      ...this.aof.info(),
    ];
    if (l) {
      const elapsed = (Date.now() - l.startedMs) / 1000;
      const perc = l.totalBytes ? (l.loadedBytes * 100) / l.totalBytes : 0;
      const eta = l.loadedBytes ? Math.round((elapsed * (l.totalBytes - l.loadedBytes)) / l.loadedBytes) : 1;
      fields.push(
        ["loading_start_time", Math.floor(l.startedMs / 1000)],
        ["loading_total_bytes", l.totalBytes],
        ["loading_rdb_used_mem", l.rdbUsedMem ?? 0],
        ["loading_loaded_bytes", l.loadedBytes],
        ["loading_loaded_perc", perc.toFixed(2)],
        ["loading_eta_seconds", eta],
      );
    }
    // durable-redis's own: snapshots kept in R2, log rows written, how long the last load took,
    // WAITAOF calls and requests made durable by their header.
    fields.push(
      ["rdb_snapshots", this.snapshots.snapshots.length],
      ["aof_rows_written", this.aof.rowsWritten],
      ["loading_last_duration_sec", this.lastLoadSeconds.toFixed(3)],
      ["aof_waitaof_calls", this.aof.waitaofCalls],
      ["aof_durable_requests", this.aof.durableRequests],
    );
    return fields;
  }

  /** SAVE (blocking: nothing else runs until it is stored) and BGSAVE. Replies are Redis's texts. */
  private startSave(blocking: boolean): string {
    if (this.snapshots.inProgress) {
      if (blocking) throw new RedisError("ERR Background save already in progress");
      return "Background save already in progress";
    }
    // SAVE blocks the shard: the walk runs without yielding, and no other event runs until it is
    // stored. It must start inside blockConcurrencyWhile, or its own I/O would wait behind the block.
    if (blocking) {
      // A rejection inside blockConcurrencyWhile would reset the object: the failure is returned instead.
      this.barrier = this.ctx.blockConcurrencyWhile(() =>
        this.snapshots.save({ blocking }).then(
          () => null,
          (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
        ),
      );
      return "OK";
    }
    const saving = this.snapshots.save();
    saving.catch((e) => console.error("Background saving error:", e instanceof Error ? e.message : e));
    return "Background saving started";
  }

  /**
   * Recovery, called inside the constructor's blockConcurrencyWhile: returns once the dataset is
   * loaded, or once the start-up budget (loading-block-ms) is spent, the base's bytes included. The
   * rest of the load then goes on between requests, which are answered LOADING: the base as R2
   * streams it, the log in slices. A load never holds the block for long, so it cannot be reset.
   */
  private async recover(): Promise<void> {
    const startup = this.startupBudget();
    if (!this.aof.enabled || this.aof.manifest.waitingForBase) {
      this.loading = { startedMs: Date.now(), totalBytes: this.snapshots.snapshots.at(-1)?.size ?? 0, loadedBytes: 0 };
      const loading = this.loadNewestSnapshot(startup.spend).then(() => this.snapshotLoaded());
      if ((await Promise.race([loading, startup.over])) === "over budget") loading.catch((e: unknown) => this.recoveryFailed(e));
      return;
    }
    this.loading = { startedMs: Date.now(), totalBytes: this.aof.loadTotalBytes(), loadedBytes: 0 };
    const starting = this.startReplay(startup.spend);
    const start = await Promise.race([starting, startup.over]);
    if (start === "over budget") {
      starting.then(
        (started) => ("failed" in started ? this.loaded(started.failed) : this.replayInSlices(started.steps, started.first)),
        (e: unknown) => this.recoveryFailed(e),
      );
      return;
    }
    if ("failed" in start) return this.loaded(start.failed);
    const { steps } = start;
    let pending: IteratorResult<ReplayProgress, AofReplayResult> | null = start.first;
    for (let lastBytes = this.loading.loadedBytes; ; ) {
      const r = pending ?? steps.next();
      pending = null;
      if (r.done) return this.loaded(r.value);
      this.loading.loadedBytes = r.value.bytes;
      const spent = startup.spend(r.value.bytes - lastBytes);
      lastBytes = r.value.bytes;
      // Past the budget, go on in slices outside blockConcurrencyWhile; requests get LOADING meanwhile.
      if (spent) return this.replayInSlices(steps, null);
    }
  }

  /**
   * The start-up budget (loading-block-ms, or its worth of bytes): `spend` counts work and says when
   * the budget is gone, and `over` settles then, so a load awaiting R2 can leave the block mid-file.
   */
  private startupBudget(): { spend: (bytes: number) => boolean; over: Promise<"over budget"> } {
    const blockMs = this.engine.config.getNumber("loading-block-ms");
    const budget = new SliceBudget(blockMs, blockMs * LOADING_BYTES_PER_MS);
    budget.start();
    let overBudget!: () => void;
    const over = new Promise<"over budget">((resolve) => (overBudget = () => resolve("over budget")));
    const spend = (bytes: number): boolean => {
      const spent = budget.spend(bytes);
      if (spent) overBudget();
      return spent;
    };
    return { spend, over };
  }

  /** After an RDB-only load (or the one before turning the AOF on), from the block or after it. */
  private snapshotLoaded(): void {
    this.lastLoadSeconds = (Date.now() - this.loading!.startedMs) / 1000;
    this.loading = null;
    // AOF was being turned on when the shard stopped: finish the transition with a fresh base.
    if (this.aof.enabled && !this.loadError) this.aof.switchTo(true);
    this.armCron();
  }

  /** Replays the rest of the log a slice at a time, each a macrotask, so requests run between them. */
  private replayInSlices(steps: Generator<ReplayProgress, AofReplayResult>, first: IteratorResult<ReplayProgress, AofReplayResult> | null): void {
    const budget = new SliceBudget(LOADING_SLICE_MS, LOADING_SLICE_MS * LOADING_BYTES_PER_MS);
    let pending = first;
    let lastBytes = this.loading!.loadedBytes;
    const slice = () => {
      try {
        budget.start();
        for (;;) {
          const s = pending ?? steps.next();
          pending = null;
          if (s.done) return this.loaded(s.value);
          const spentNow = budget.spend(s.value.bytes - lastBytes);
          lastBytes = s.value.bytes;
          this.loading!.loadedBytes = s.value.bytes;
          if (spentNow) break;
        }
      } catch (e) {
        return this.recoveryFailed(e);
      }
      setTimeout(slice, 0);
    };
    setTimeout(slice, 0);
  }

  /** The RDB being loaded says how much memory its writer used (INFO's loading_rdb_used_mem). */
  private readonly noteRdbAux = (key: string, value: string): void => {
    if (key === "used-mem" && this.loading) this.loading.rdbUsedMem = Number(value) || 0;
  };

  /** A load that threw: refuse to serve, saying why (a throw in the constructor would reset the object in a loop). */
  private recoveryFailed(e: unknown): void {
    this.loading = null;
    this.loadError = `ERR recovery failed: ${e instanceof Error ? e.message : e}`;
    console.error(this.loadError);
  }

  /**
   * Loads the current base (an RDB streamed from R2) or, if it is missing or corrupt, the earlier
   * ones kept with the segments since them (aof-retain-bases), newest first; then starts the replay
   * of the log after it. Returns the replay and its first step, or why no base could be loaded.
   */
  private async startReplay(onBaseBytes: (bytes: number) => void): Promise<
    { steps: Generator<ReplayProgress, AofReplayResult>; first: IteratorResult<ReplayProgress, AofReplayResult> } | { failed: AofReplayResult }
  > {
    const candidates = this.aof.baseCandidates();
    for (let i = 0; ; i++) {
      const base = candidates[i];
      if (base.kind === "rdb") {
        const r2 = this.snapshots.r2;
        const loaded = await this.aof.loadRdbBase(
          base,
          async (sink) => {
            if (!r2) return false;
            return r2.readInto(base.key, (chunk) => {
              sink(chunk);
              this.loading!.loadedBytes += chunk.length;
              onBaseBytes(chunk.length);
            });
          },
          this.engine.db,
          this.noteRdbAux,
        );
        if ("problem" in loaded) {
          this.engine.db.clear();
          this.loading!.loadedBytes = 0;
          const next = candidates[i + 1];
          if (next?.kind !== "rdb") return { failed: { status: "FAILED", error: loaded.problem, offset: 0, commands: 0 } };
          console.error(`${loaded.problem}: falling back to the previous base ${next.key} and the log since it`);
          this.fellBackTo = next;
          continue;
        }
        this.lastRdbLoad = loaded;
      }
      const steps = this.aof.recoverSteps(base);
      return { steps, first: steps.next() };
    }
  }

  private loaded(result: AofReplayResult): void {
    const seconds = (Date.now() - this.loading!.startedMs) / 1000;
    this.loading = null;
    this.lastLoadSeconds = seconds;
    if (result.status === "FAILED" || (result.status === "TRUNCATED" && !this.engine.config.getBool("aof-load-truncated"))) {
      this.loadError =
        result.status === "FAILED"
          ? `ERR Bad file format reading the append only file at offset ${result.offset}: ${result.error}`
          : `ERR Unexpected end of file reading the append only file at offset ${result.offset} (aof-load-truncated is no)`;
      console.error(this.loadError);
      return;
    }
    console.log(`DB loaded from append only file: ${seconds.toFixed(3)} seconds`);
    this.armCron();
    if (this.fellBackTo) {
      // The earlier base is now the current one; a rewrite gives the shard a fresh base (and its
      // fallback) again instead of replaying the long increment at every start.
      this.aof.adoptBase(this.fellBackTo);
      this.aof.startRewrite();
    }
  }

  /** RDB-only mode: the newest complete snapshot, or the previous one when configured to fall back. */
  private async loadNewestSnapshot(onBytes: (bytes: number) => void): Promise<void> {
    const store = this.snapshots.r2;
    const list = [...this.snapshots.snapshots].reverse();
    if (!store || list.length === 0) return;
    const fallback = this.engine.config.getBool("rdb-load-fallback");
    for (const snap of list) {
      try {
        this.engine.db.clear();
        this.loading = { ...this.loading!, totalBytes: snap.size, loadedBytes: 0 };
        const loader = new RdbLoader(this.engine.db, { now: this.engine.clock(), checksum: this.engine.config.getBool("rdbchecksum"), onAux: this.noteRdbAux });
        const present = await store.readInto(snap.key, (chunk) => {
          loader.push(chunk);
          this.loading!.loadedBytes += chunk.length;
          onBytes(chunk.length);
        });
        if (!present) throw new Error(`snapshot ${snap.key} is missing from R2`);
        const { trailer, keys, expired } = loader.finish();
        const found = crcHex(trailer);
        if (snap.checksum && found !== snap.checksum) throw new Error(`it is not the file the manifest recorded (checksum ${found}, expected ${snap.checksum})`);
        this.lastRdbLoad = { keys, expired };
        console.log(`DB loaded from snapshot ${snap.key}`);
        return;
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        console.error(`loading snapshot ${snap.key} failed: ${why}`);
        this.engine.db.clear();
        if (!fallback) {
          this.loadError = `ERR Error loading the RDB snapshot ${snap.key}: ${why}`;
          return;
        }
      }
    }
    this.loadError = "ERR Error loading RDB snapshots: none of the retained snapshots could be loaded";
  }

  /**
   * Runs a batch (a pipeline, or a transaction when atomic) with no await inside: nothing interleaves.
   * `durable` (the request's Durable-Redis-Fsync header): its writes are durable before the reply,
   * as if it ended with WAITAOF 1 0 0.
   */
  async execute(batch: string[][], atomic: boolean, readonly: boolean, durable = false): Promise<ShardResult> {
    if (this.loading) {
      // Only the commands Redis answers while loading (INFO, TIME, CONFIG GET, …) run; a transaction waits.
      const replies = atomic ? errorReply(loadingError().message) : this.engine.executeBatch(batch, { readonly, datasetLoading: true });
      return { replies, token: this.bootId };
    }
    if (this.loadError) {
      const err = errorReply(this.loadError);
      return { replies: atomic ? err : batch.map(() => err), token: this.bootId };
    }
    let replies: Reply[] | ErrorReply;
    try {
      replies = atomic
        ? this.engine.executeTransaction(batch, { readonly })
        : this.engine.executeBatch(batch, { readonly });
      this.aof.afterBatch();
      if (durable) {
        this.aof.durableRequests++;
        this.aof.syncNow();
      }
      if (this.barrier) {
        const barrier = this.barrier;
        this.barrier = null;
        const failure = await barrier;
        if (failure && Array.isArray(replies)) {
          // The SAVE in this batch answers the failure instead of OK.
          const err = errorReply(`ERR ${failure.message}`);
          replies = replies.map((r, i) => (batch[i][0].toLowerCase() === "save" ? err : r));
        }
      }
    } catch (e) {
      // A failed AOF write under `always` must not be acknowledged: the batch answers an error.
      console.error("shard batch failed:", e instanceof Error ? e.stack : e);
      replies = atomic ? errorReply("ERR internal error") : batch.map(() => errorReply("ERR internal error"));
    }
    this.armCron();
    return { replies, token: `${this.bootId}-${this.engine.writes}` };
  }

  private armCron(): void {
    if (this.alarmAt !== null) return;
    const wanted = this.engine.db.expires.size > 0 || this.aof.shouldAutoRewrite() || (this.engine.dirty > 0 && this.snapshots.rules.length > 0);
    if (!wanted) return;
    this.alarmAt = Date.now() + Math.max(this.cronInterval, this.cronMinIntervalMs);
    void this.ctx.storage.setAlarm(this.alarmAt);
  }

  /** The shard's cron (Redis's serverCron): active expiry, automatic rewrites. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    // As in Redis, no cron work while the dataset loads (loaded() arms the cron again), and none on a
    // shard that could not load: expiring, saving or rewriting a partial dataset would lose the rest.
    if (this.loading || this.loadError) return;
    const deleted = this.engine.activeExpireCycle(EXPIRE_BUDGET_MS);
    this.aof.afterBatch();
    if (this.aof.shouldAutoRewrite()) this.aof.startRewrite();
    if (this.snapshots.shouldSave()) this.startSave(false);
    this.cronInterval = deleted > 0 ? CRON_INTERVAL_MS : Math.min(this.cronInterval * 2, CRON_MAX_INTERVAL_MS);
    this.armCron();
  }
}
