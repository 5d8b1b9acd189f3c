// The shard's background jobs: SAVE, BGSAVE and AOF rewrites (in either form), started, refused or
// scheduled as Redis's bgsaveCommand / bgrewriteaofCommand decide, where a running rewrite plays the
// part of Redis's child process. Answers outcomes; the engine owns the reply texts. The one place
// that knows both managers: AofManager and SnapshotManager never reach each other.

import type { AofManager } from "./aof-manager.js";
import type { BgsaveOutcome, PersistenceHost, RewriteOutcome, SaveOutcome } from "./engine/command.js";
import type { Engine } from "./engine/engine.js";
import type { DiskError } from "./engine/errors.js";
import type { SnapshotManager } from "./snapshot-manager.js";

export interface JobsHost {
  /** Runs `fn` with the shard blocked: no other event runs until it settles (blockConcurrencyWhile). */
  block<T>(fn: () => Promise<T>): Promise<T>;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class BackgroundJobs implements PersistenceHost {
  /** BGSAVE SCHEDULE (or a save rule) waiting for a rewrite to end (Redis's rdb_bgsave_scheduled). */
  saveScheduled = false;
  /** BGREWRITEAOF waiting for a snapshot to end (Redis's aof_rewrite_scheduled). */
  rewriteScheduled = false;
  /** A SAVE of the batch being run: the batch's reply waits for it (null: stored, else why not). */
  private blockingSave: Promise<string | null> | null = null;

  constructor(
    private readonly engine: Engine,
    private readonly aof: AofManager,
    private readonly snapshots: SnapshotManager,
    private readonly host: JobsHost,
  ) {}

  /** A BGSAVE's snapshot (not a hybrid rewrite's base) is being written. */
  private get saving(): boolean {
    return this.snapshots.inProgress !== null && !this.snapshots.inProgress.aofBase;
  }

  /**
   * SAVE: nothing else runs on the shard until the snapshot is stored. The walk starts inside the
   * block, or its own I/O would wait behind it; its end is read by `blockingSaveEnded`.
   */
  save(): SaveOutcome {
    if (this.snapshots.inProgress) return "in-progress";
    // A rejection inside blockConcurrencyWhile would reset the object: the failure is returned instead.
    this.blockingSave = this.host.block(() =>
      this.snapshots.save({ blocking: true }).then(
        () => null,
        (e: unknown) => message(e),
      ),
    );
    void this.blockingSave.then(() => this.runScheduled());
    return "started";
  }

  /** After a batch: waits for its SAVE, if it had one; null when stored (or none), else why it failed. */
  async blockingSaveEnded(): Promise<string | null> {
    const saving = this.blockingSave;
    if (!saving) return null;
    this.blockingSave = null;
    return saving;
  }

  /** BGSAVE [SCHEDULE], a save rule's snapshot, and the one after a restore without AOF. */
  bgsave(schedule = false): BgsaveOutcome {
    if (this.saving) return "in-progress";
    if (this.aof.rewriteInProgress) {
      if (!schedule) return "busy";
      this.saveScheduled = true;
      return "scheduled";
    }
    this.saveScheduled = false;
    this.snapshots
      .save()
      .catch((e: unknown) => console.error("Background saving error:", message(e)))
      .finally(() => this.runScheduled());
    return "started";
  }

  /**
   * BGREWRITEAOF, automatic rewrites, and the first base of an AOF turned on. With
   * aof-use-rdb-preamble and a bucket, the new base is a snapshot in R2.
   */
  bgrewriteaof(): RewriteOutcome {
    if (this.aof.rewriteInProgress) return "in-progress";
    if (this.snapshots.inProgress) {
      this.rewriteScheduled = true;
      return "scheduled";
    }
    this.rewriteScheduled = false;
    if (!this.aof.canStartRewrite()) return "failed";
    const ended =
      this.engine.config.getBool("aof-use-rdb-preamble") && this.snapshots.r2
        ? this.aof.startRdbRewrite((commit) => this.snapshots.save({ aofBase: true, onCommitted: commit }))
        : this.aof.startRewrite();
    void ended.then(() => this.runScheduled());
    return "started";
  }

  /**
   * CONFIG SET appendonly: off drops the log; on writes a base first, as Redis does (until it is
   * written, recovery ignores the log).
   */
  appendonlyChanged(on: boolean): void {
    if (!on) return this.aof.resetLog();
    this.aof.awaitFirstBase();
    this.bgrewriteaof();
  }

  /** A job ended: the one scheduled behind it starts (serverCron's check, run at once). */
  private runScheduled(): void {
    if (this.rewriteScheduled && !this.snapshots.inProgress && !this.aof.rewriteInProgress) this.bgrewriteaof();
    if (this.saveScheduled && !this.aof.rewriteInProgress && !this.snapshots.inProgress) this.bgsave(true);
  }

  /**
   * Why write commands (and PING) are refused while persisting fails: the last snapshot failed
   * (with stop-writes-on-bgsave-error and save rules), or a log write failed and no retry succeeded.
   */
  writesDenied(): DiskError | null {
    if (this.snapshots.stopsWrites()) return { kind: "rdb" };
    const reason = this.aof.writeError();
    return reason === null ? null : { kind: "aof", reason };
  }

  lastsave(): number {
    return Math.floor(this.snapshots.lastSaveMs / 1000);
  }

  aofEnabled(): boolean {
    return this.aof.enabled;
  }

  syncAof(): number {
    this.aof.waitaofCalls++;
    return this.aof.syncNow();
  }
}
