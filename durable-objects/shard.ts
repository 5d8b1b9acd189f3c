// The shard Durable Object: owns one engine, runs batches synchronously over RPC, and glues the
// engine to persistence (the AOF in SQLite storage, snapshots in R2). No command semantics here.

import { DurableObject } from "cloudflare:workers";
import { AofManager } from "./aof-manager.js";
import { Engine } from "./engine/engine.js";
import { type ErrorReply, type Reply, errorReply } from "./engine/reply.js";
import { configFromEnv } from "./env-config.js";
import { SqliteAofStore } from "./persistence/sqlite-aof-store.js";

export interface ShardResult {
  replies: Reply[] | ErrorReply;
  token: string;
}

/** Longest an active-expiry pass may hold the shard, and how often it runs while it finds work. */
const EXPIRE_BUDGET_MS = 5;
const CRON_INTERVAL_MS = 100;
const CRON_MAX_INTERVAL_MS = 60_000;

export class Shard extends DurableObject<Env> {
  readonly engine: Engine;
  readonly aof: AofManager;
  /** Added to the wall clock; tests move time with it instead of sleeping. */
  clockOffset = 0;
  /** Set when the shard must not serve (a corrupt log with aof-load-truncated no, …): every request gets it. */
  loadError: string | null = null;
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
      schedule: (fn, ms) => setTimeout(fn, ms),
      transaction: (fn) => ctx.storage.transactionSync(fn),
      kv: ctx.storage.kv,
    });
    this.engine.server.host = {
      save: () => "OK",
      bgsave: () => "Background saving started",
      bgrewriteaof: () => this.aof.startRewrite(),
      lastsave: () => Math.floor(this.engine.server.startedAt / 1000),
    };
    this.engine.server.sections.set("persistence", () => [
      ["loading", 0],
      ["async_loading", 0],
      ...this.aof.info(),
    ]);
    ctx.blockConcurrencyWhile(async () => {
      this.recover();
      this.alarmAt = await ctx.storage.getAlarm();
    });
    this.engine.sink = (commands) => this.aof.append(commands);
    this.engine.config.onChange = () => ctx.storage.kv.put("config", this.engine.config.all());
  }

  private recover(): void {
    if (!this.aof.enabled) return;
    const started = Date.now();
    const result = this.aof.recover();
    if (result.status === "FAILED" || (result.status === "TRUNCATED" && !this.engine.config.getBool("aof-load-truncated"))) {
      this.loadError =
        result.status === "FAILED"
          ? `ERR Bad file format reading the append only file at offset ${result.offset}: ${result.error}`
          : `ERR Unexpected end of file reading the append only file at offset ${result.offset} (aof-load-truncated is no)`;
      console.error(this.loadError);
      return;
    }
    console.log(`DB loaded from append only file: ${((Date.now() - started) / 1000).toFixed(3)} seconds`);
  }

  /** Runs a batch (a pipeline, or a transaction when atomic) with no await inside: nothing interleaves. */
  async execute(batch: string[][], atomic: boolean, readonly: boolean): Promise<ShardResult> {
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
    const wanted = this.engine.db.expires.size > 0 || this.aof.shouldAutoRewrite();
    if (!wanted) return;
    this.alarmAt = Date.now() + this.cronInterval;
    void this.ctx.storage.setAlarm(this.alarmAt);
  }

  /** The shard's cron (Redis's serverCron): active expiry, automatic rewrites. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    const deleted = this.engine.activeExpireCycle(EXPIRE_BUDGET_MS);
    this.aof.afterBatch();
    if (this.aof.shouldAutoRewrite()) this.aof.startRewrite();
    this.cronInterval = deleted > 0 ? CRON_INTERVAL_MS : Math.min(this.cronInterval * 2, CRON_MAX_INTERVAL_MS);
    this.armCron();
  }
}
