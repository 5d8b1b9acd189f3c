// Recovery: the shard's load at start, as a small state machine out of the Shard class. It loads the
// newest snapshot (RDB-only), or the AOF's base and replays the log after it, within the start-up
// budget (loading-block-ms) and then in slices between requests, which are answered LOADING. It
// ends serving (`loading` null) or refusing to serve (`loadError` says why).

import type { AofBase, AofManager, RdbBase } from "./aof-manager.js";
import type { BackgroundJobs } from "./background-jobs.js";
import type { ReplayProgress } from "./aof-replay.js";
import { AofError } from "./persistence/aof/format.js";
import { type AofLoadResult, failedLoad } from "./persistence/aof/loader.js";
import type { Engine } from "./engine/engine.js";
import type { Keyspace } from "./engine/keyspace.js";
import { RdbLoadProblem, type RdbSourceStore, loadRdbStream } from "./persistence/rdb-stream-load.js";
import { SliceBudget, SlicedJob, type SliceStep, runSlice } from "./slice-budget.js";
import type { SnapshotManager } from "./snapshot-manager.js";

/**
 * A slice of a long recovery, between which requests are answered LOADING: 50 ms where the clock
 * moves, else 1.5 MiB of log (about 50 ms of replay in the bench). The start-up budget
 * (loading-block-ms) converts to log bytes at the same rate.
 */
const LOADING_SLICE_MS = 50;
const LOADING_BYTES_PER_MS = 30 * 1024;

export interface LoadingState {
  startedMs: number;
  totalBytes: number;
  loadedBytes: number;
  rdbUsedMem?: number;
}

/**
 * Loads an AOF's RDB base from the store into a keyspace (keys past their expiry kept: the log
 * may still refer to them). Returns the counts, or what is wrong with the base (the keyspace then
 * holds part of it and must be cleared).
 */
export async function loadRdbBase(
  store: RdbSourceStore | null,
  base: RdbBase,
  into: Keyspace,
  opts: { onAux?: (key: string, value: string) => void; onBytes?: (bytes: number) => void; maxMemory?: number } = {},
): Promise<{ problem: string } | { keys: number; expired: number; functions: string[] }> {
  try {
    return await loadRdbStream(async (sink) => (store ? store.readInto(base.key, sink) : false), into, {
      checksum: true,
      expected: base.checksum,
      ...opts,
    });
  } catch (e) {
    if (e instanceof RdbLoadProblem) return { problem: e.about(`the AOF base ${base.key}`) };
    throw e;
  }
}

export class Recovery {
  /** Set while recovery is still loading (in slices, after the start-up budget). */
  loading: LoadingState | null = null;
  /** Set when the shard must not serve (a corrupt log with aof-load-truncated no, …): every request gets it. */
  loadError: string | null = null;
  private lastLoadSeconds = 0;
  /** Keys the last RDB load (a snapshot, or the AOF's RDB base) added, and those it dropped as expired. */
  private lastRdbLoad = { keys: 0, expired: 0 };
  /** Set when recovery had to start from an earlier base than the manifest's current one. */
  private fellBackTo: RdbBase | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly aof: AofManager,
    private readonly snapshots: SnapshotManager,
    /** Starts the rewrite that gives the log a fresh base (after a fallback, or AOF being turned on). */
    private readonly jobs: Pick<BackgroundJobs, "bgrewriteaof" | "appendonlyChanged">,
    /** Called once the dataset is loaded and the shard serves (the cron is armed then). */
    private readonly serving: () => void,
    /** Runs the next slice of a long load (a macrotask, so requests run between slices). */
    private readonly later: (fn: () => void) => void = (fn) => void setTimeout(fn, 0),
  ) {}

  /**
   * Called inside the constructor's blockConcurrencyWhile: returns once the dataset is loaded, or
   * once the start-up budget (loading-block-ms) is spent, the base's bytes included. The rest of
   * the load then goes on between requests, which are answered LOADING: the base as R2 streams it,
   * the log in slices. A load never holds the block for long, so it cannot be reset. Never throws.
   */
  async run(): Promise<void> {
    try {
      await this.recover();
    } catch (e) {
      this.failed(e);
    }
  }

  private async recover(): Promise<void> {
    const startup = this.startupBudget();
    if (!this.aof.enabled || this.aof.manifest.waitingForBase) {
      this.loading = { startedMs: Date.now(), totalBytes: this.snapshots.snapshots.at(-1)?.size ?? 0, loadedBytes: 0 };
      const loading = this.loadNewestSnapshot(startup.spend).then(() => this.snapshotLoaded());
      if ((await Promise.race([loading, startup.over])) === "over budget") loading.catch((e: unknown) => this.failed(e));
      return;
    }
    this.loading = { startedMs: Date.now(), totalBytes: this.aof.loadTotalBytes(), loadedBytes: 0 };
    const starting = this.startReplay(startup.spend);
    const start = await Promise.race([starting, startup.over]);
    if (start === "over budget") {
      starting.then(
        (started) => ("failed" in started ? this.loaded(started.failed) : this.replay(started.steps, null)),
        (e: unknown) => this.failed(e),
      );
      return;
    }
    if ("failed" in start) return this.loaded(start.failed);
    this.replay(start.steps, startup);
  }

  /**
   * Replays the log: within the start-up budget first when given one (inside the block), then a
   * slice at a time, each a macrotask, so requests run between them.
   */
  private replay(steps: Generator<ReplayProgress, AofLoadResult>, startup: { spend(bytes: number): boolean } | null): void {
    let result: AofLoadResult | null = null;
    let lastBytes = this.loading!.loadedBytes;
    const step: SliceStep = () => {
      const r = steps.next();
      if (r.done) {
        result = r.value;
        return null;
      }
      const units = r.value.bytes - lastBytes;
      lastBytes = r.value.bytes;
      this.loading!.loadedBytes = r.value.bytes;
      return units;
    };
    if (startup && runSlice(startup, step)) return this.loaded(result!);
    const budget = new SliceBudget(LOADING_SLICE_MS, LOADING_SLICE_MS * LOADING_BYTES_PER_MS);
    new SlicedJob(budget, step, this.later, (e) => (e === null ? this.loaded(result!) : this.failed(e))).start();
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
    if (this.aof.enabled && !this.loadError) this.jobs.appendonlyChanged(true);
    this.serving();
  }

  /** The RDB being loaded says how much memory its writer used (INFO's loading_rdb_used_mem). */
  private readonly noteRdbAux = (key: string, value: string): void => {
    if (key === "used-mem" && this.loading) this.loading.rdbUsedMem = Number(value) || 0;
  };

  /** A load that threw: refuse to serve, saying why (a throw in the constructor would reset the object in a loop). */
  failed(e: unknown): void {
    this.loading = null;
    this.loadError = `ERR recovery failed: ${e instanceof Error ? e.message : e}`;
    console.error(this.loadError);
  }

  /** A restore replaced the dataset of a shard that could not load: it serves again. */
  mended(): void {
    this.loadError = null;
    this.fellBackTo = null;
  }

  /**
   * Loads the current base (an RDB streamed from R2) or, if it is missing or corrupt, the earlier
   * ones kept with the segments since them (aof-retain-bases), newest first; then starts the replay
   * of the log after it. Returns the replay, or why no base could be loaded.
   */
  private async startReplay(onBaseBytes: (bytes: number) => void): Promise<{ steps: Generator<ReplayProgress, AofLoadResult> } | { failed: AofLoadResult }> {
    const candidates: AofBase[] = this.aof.baseCandidates();
    for (let i = 0; ; i++) {
      const base = candidates[i];
      if (base.kind === "rdb") {
        const loaded = await loadRdbBase(this.snapshots.r2, base, this.engine.db, {
          onAux: this.noteRdbAux,
          maxMemory: this.engine.loadMemoryLimit() || undefined,
          onBytes: (bytes) => {
            this.loading!.loadedBytes += bytes;
            onBaseBytes(bytes);
          },
        });
        if ("problem" in loaded) {
          this.engine.db.clear();
          this.loading!.loadedBytes = 0;
          const next = candidates[i + 1];
          if (next?.kind !== "rdb") return { failed: failedLoad(new AofError("AOF_BAD_BASE", loaded.problem, 0)) };
          console.error(`${loaded.problem}: falling back to the previous base ${next.key} and the log since it`);
          this.fellBackTo = next;
          continue;
        }
        this.lastRdbLoad = { keys: loaded.keys, expired: loaded.expired };
        this.installLibraries(loaded.functions);
      }
      return { steps: this.aof.recoverSteps(base) };
    }
  }

  private loaded(result: AofLoadResult): void {
    const seconds = (Date.now() - this.loading!.startedMs) / 1000;
    this.loading = null;
    this.lastLoadSeconds = seconds;
    if (result.status === "FAILED" || (result.status === "TRUNCATED" && !this.engine.config.getBool("aof-load-truncated"))) {
      const overMemory = result.error?.code === "AOF_OVER_MAXMEMORY";
      // What it loaded can never serve; its memory goes back at once.
      if (overMemory) this.engine.db.clear();
      this.loadError =
        overMemory
          ? `ERR ${result.error!.reason}, at offset ${result.error!.offset} of the append only file`
          : result.status === "FAILED"
          ? `ERR Bad file format reading the append only file at offset ${result.error!.offset}: ${result.error!.reason}`
          : `ERR Unexpected end of file reading the append only file at offset ${result.validUpTo} (aof-load-truncated is no)`;
      console.error(this.loadError);
      return;
    }
    console.log(`DB loaded from append only file: ${seconds.toFixed(3)} seconds`);
    this.serving();
    if (this.fellBackTo) {
      // The earlier base is now the current one; a rewrite gives the shard a fresh base (and its
      // fallback) again instead of replaying the long increment at every start.
      this.aof.adoptBase(this.fellBackTo);
      this.jobs.bgrewriteaof();
    }
  }

  /** A snapshot's libraries replace the current ones; one that does not load here is logged, its keys still load. */
  private installLibraries(codes: string[]): void {
    for (const p of this.engine.scripting.replaceLibraries(codes)) console.error(`a function library in the snapshot did not load: ${p}`);
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
        const loaded = await loadRdbStream((sink) => store.readInto(snap.key, sink), this.engine.db, {
          now: this.engine.clock(),
          checksum: this.engine.config.getBool("rdbchecksum"),
          expected: snap.checksum,
          onAux: this.noteRdbAux,
          maxMemory: this.engine.loadMemoryLimit() || undefined,
          onBytes: (bytes) => {
            this.loading!.loadedBytes += bytes;
            onBytes(bytes);
          },
        });
        this.lastRdbLoad = { keys: loaded.keys, expired: loaded.expired };
        this.installLibraries(loaded.functions);
        console.log(`DB loaded from snapshot ${snap.key}`);
        return;
      } catch (e) {
        const why = e instanceof RdbLoadProblem ? (e.code === "missing" ? `snapshot ${snap.key} ${e.phrase}` : e.code === "mismatch" ? `it ${e.phrase}` : e.phrase) : e instanceof Error ? e.message : String(e);
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

  /** INFO persistence's load fields: those Redis puts among the RDB ones, and those it adds while loading. */
  rdbLoadInfo(): [string, number][] {
    return [
      ["rdb_last_load_keys_expired", this.lastRdbLoad.expired],
      ["rdb_last_load_keys_loaded", this.lastRdbLoad.keys],
    ];
  }

  loadingInfo(): [string, string | number][] {
    const l = this.loading;
    if (!l) return [];
    const elapsed = (Date.now() - l.startedMs) / 1000;
    const perc = l.totalBytes ? (l.loadedBytes * 100) / l.totalBytes : 0;
    const eta = l.loadedBytes ? Math.round((elapsed * (l.totalBytes - l.loadedBytes)) / l.loadedBytes) : 1;
    return [
      ["loading_start_time", Math.floor(l.startedMs / 1000)],
      ["loading_total_bytes", l.totalBytes],
      ["loading_rdb_used_mem", l.rdbUsedMem ?? 0],
      ["loading_loaded_bytes", l.loadedBytes],
      ["loading_loaded_perc", perc.toFixed(2)],
      ["loading_eta_seconds", eta],
    ];
  }

  /** durable-redis's own: how long the last load took. */
  get lastLoadDuration(): string {
    return this.lastLoadSeconds.toFixed(3);
  }
}
