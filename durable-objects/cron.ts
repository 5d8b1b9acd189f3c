// The shard's cron (Redis's serverCron) on the Durable Object's one alarm: active expiry, automatic
// rewrites and save rules. Armed only while there is work it may do, so an idle shard sleeps.

import type { AofManager } from "./aof-manager.js";
import type { BackgroundJobs } from "./background-jobs.js";
import type { Engine } from "./engine/engine.js";
import type { SnapshotManager } from "./snapshot-manager.js";

/** Longest an active-expiry pass may hold the shard, and how often it runs while it finds work. */
const EXPIRE_BUDGET_MS = 5;
export const CRON_INTERVAL_MS = 100;
const CRON_MAX_INTERVAL_MS = 60_000;

export interface CronHost {
  /** Sets the Durable Object's alarm. */
  setAlarm(atMs: number): void;
  /** The shortest interval (Redis's hz 10); tests lengthen it so that only they run the cron. */
  minIntervalMs(): number;
  /** False while the dataset loads or could not be loaded: no cron work on a partial dataset. */
  serving(): boolean;
}

export class ShardCron {
  /** When the alarm is set for; null when none is (read from storage at start). */
  alarmAt: number | null = null;
  private interval = CRON_INTERVAL_MS;

  constructor(
    private readonly engine: Engine,
    private readonly aof: AofManager,
    private readonly snapshots: SnapshotManager,
    private readonly jobs: BackgroundJobs,
    private readonly host: CronHost,
  ) {}

  /** Sets the alarm when there is work the cron may do (keys with a TTL, a rewrite or a save due soon). */
  arm(): void {
    if (this.alarmAt !== null) return;
    const wanted = this.engine.db.expires.size > 0 || this.aof.shouldAutoRewrite() || (this.engine.dirty > 0 && this.snapshots.rules.length > 0);
    if (!wanted) return;
    this.alarmAt = Date.now() + Math.max(this.interval, this.host.minIntervalMs());
    this.host.setAlarm(this.alarmAt);
  }

  /** The alarm fired: one cron pass, backing off while it finds nothing to expire. */
  run(): void {
    this.alarmAt = null;
    // As in Redis, no cron work while the dataset loads (recovery arms the cron again once loaded),
    // and none on a shard that could not load (or is resetting): expiring, saving or rewriting a partial dataset would lose the rest.
    if (!this.host.serving()) return;
    const deleted = this.engine.activeExpireCycle(EXPIRE_BUDGET_MS);
    // A failed write keeps these DELs buffered for the retry, and writes are refused until it succeeds;
    // no reset, as no reply vouched for them.
    this.aof.afterBatch();
    if (this.aof.shouldAutoRewrite()) this.jobs.bgrewriteaof();
    if (this.snapshots.shouldSave()) this.jobs.bgsave(true);
    this.interval = deleted > 0 ? CRON_INTERVAL_MS : Math.min(this.interval * 2, CRON_MAX_INTERVAL_MS);
    this.arm();
  }
}
