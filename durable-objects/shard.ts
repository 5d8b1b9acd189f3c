// The shard Durable Object: owns one engine, runs batches synchronously over RPC, and glues the
// engine to persistence (the AOF in SQLite storage, snapshots in R2). No command semantics here.

import { DurableObject } from "cloudflare:workers";
import { Engine } from "./engine/engine.js";
import { type ErrorReply, type Reply, errorReply } from "./engine/reply.js";
import { configFromEnv } from "./env-config.js";

export interface ShardResult {
  replies: Reply[] | ErrorReply;
  token: string;
}

/** Longest an active-expiry pass may hold the shard, and how often it runs while it finds work. */
const EXPIRE_BUDGET_MS = 5;
const EXPIRE_INTERVAL_MS = 100;
const EXPIRE_MAX_INTERVAL_MS = 60_000;

export class Shard extends DurableObject<Env> {
  readonly engine: Engine;
  /** Added to the wall clock; tests move time with it instead of sleeping. */
  clockOffset = 0;
  private readonly bootId = Date.now().toString(36);
  private expireInterval = EXPIRE_INTERVAL_MS;
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.engine = new Engine({ clock: () => Date.now() + this.clockOffset, config: configFromEnv(env) });
    ctx.blockConcurrencyWhile(async () => {
      const stored = ctx.storage.kv.get<Record<string, string>>("config");
      if (stored) this.engine.config.restore(stored);
      this.alarmAt = await ctx.storage.getAlarm();
    });
    this.engine.config.onChange = () => {
      ctx.storage.kv.put("config", this.engine.config.all());
    };
  }

  /** Runs a batch (a pipeline, or a transaction when atomic) with no await inside: nothing interleaves. */
  async execute(batch: string[][], atomic: boolean, readonly: boolean): Promise<ShardResult> {
    let replies: Reply[] | ErrorReply;
    try {
      replies = atomic
        ? this.engine.executeTransaction(batch, { readonly })
        : this.engine.executeBatch(batch, { readonly });
    } catch (e) {
      console.error("shard batch failed:", e instanceof Error ? e.stack : e);
      replies = errorReply("ERR internal error");
    }
    this.afterBatch();
    return { replies, token: `${this.bootId}-${this.engine.writes}` };
  }

  private afterBatch(): void {
    if (this.engine.db.expires.size > 0 && this.alarmAt === null) this.armAlarm(EXPIRE_INTERVAL_MS);
  }

  private armAlarm(inMs: number): void {
    const at = Date.now() + inMs;
    this.alarmAt = at;
    void this.ctx.storage.setAlarm(at);
  }

  /** Active expiry, as Redis's cron: fast while it finds expired keys, backing off while it does not. */
  async alarm(): Promise<void> {
    this.alarmAt = null;
    const deleted = this.engine.activeExpireCycle(EXPIRE_BUDGET_MS);
    this.expireInterval = deleted > 0 ? EXPIRE_INTERVAL_MS : Math.min(this.expireInterval * 2, EXPIRE_MAX_INTERVAL_MS);
    if (this.engine.db.expires.size > 0) this.armAlarm(this.expireInterval);
  }
}
