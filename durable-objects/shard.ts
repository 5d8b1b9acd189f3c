// The shard Durable Object: owns one engine, runs batches synchronously over RPC, and glues the
// engine to persistence (the AOF in SQLite storage, snapshots in R2). No command semantics here.

import { DurableObject } from "cloudflare:workers";
import { AofManager } from "./aof-manager.js";
import { Engine } from "./engine/engine.js";
import { type ErrorReply, type Reply, errorReply } from "./engine/reply.js";
import { diskError, loading as loadingError } from "./engine/errors.js";
import { configFromEnv } from "./env-config.js";
import { r2Prefix } from "./engine/config.js";
import { SqliteAofStore } from "./persistence/sqlite-aof-store.js";
import { R2SnapshotStore } from "./persistence/r2-snapshot-store.js";
import { SnapshotManager } from "./snapshot-manager.js";
import { BackgroundJobs } from "./background-jobs.js";
import { ShardAdmin, type ShardStatus } from "./admin-ops.js";
import { type LoadingState, Recovery } from "./recovery.js";
import { persistenceInfo } from "./persistence-info.js";
import { functionPayloadCodec } from "./persistence/rdb-codec/index.js";
import { clusterOf } from "./cluster.js";
import { ShardPublisher } from "./pubsub/shard-publisher.js";
import { CRON_INTERVAL_MS, ShardCron } from "./cron.js";
import type { TokenAccess } from "./engine/command.js";
import { createLuaVm } from "./engine/lua/vm.js";
import { MAX_REPLY_BYTES } from "./engine/reply-budget.js";

/** What a shard answers for a batch (the worker's ShardCaller returns it). A refused transaction is one error. */
export interface ShardResult {
  replies: Reply[] | ErrorReply;
  /** The shard's write counter after the batch (the sync token). */
  token: string;
}

export class Shard extends DurableObject<Env> {
  readonly engine: Engine;
  readonly aof: AofManager;
  readonly snapshots: SnapshotManager;
  readonly jobs: BackgroundJobs;
  private readonly admin: ShardAdmin;
  /** The shard's index, from its Durable Object name (`shard-<n>`), for snapshot paths. */
  private readonly shardName: string;
  /** Added to the wall clock; tests move time with it instead of sleeping. */
  clockOffset = 0;
  /** The AOF's timers (everysec, `no`, rewrite slices); tests swap in timers they fire by moving the clock. */
  schedule: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms);
  /** The cron's shortest interval (Redis's hz 10); tests lengthen it so that only runDurableObjectAlarm runs the cron. */
  cronMinIntervalMs = CRON_INTERVAL_MS;
  private readonly recovery: Recovery;
  private readonly cron: ShardCron;
  private readonly publisher: ShardPublisher;
  private readonly bootId = Date.now().toString(36);
  /** Set once a batch that had to be durable could not be written: the shard is resetting (see resetAfterLostWrite). */
  private lostWrite: string | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const clock = () => Date.now() + this.clockOffset;
    this.engine = new Engine({ clock, config: configFromEnv(env), cluster: clusterOf(env, ctx.id.name), createLuaVm });
    this.engine.server.functionPayload = functionPayloadCodec;
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
      log: this.aof,
      store: env.SNAPSHOTS ? new R2SnapshotStore(env.SNAPSHOTS, () => `${r2Prefix(this.engine.config.get("dir"))}/${this.shardName}/`) : null,
    });
    this.jobs = new BackgroundJobs(this.engine, this.aof, this.snapshots, { block: (fn) => ctx.blockConcurrencyWhile(fn) });
    this.cron = new ShardCron(this.engine, this.aof, this.snapshots, this.jobs, {
      setAlarm: (at) => void ctx.storage.setAlarm(at),
      minIntervalMs: () => this.cronMinIntervalMs,
      serving: () => !this.loading && !this.loadError && this.lostWrite === null,
    });
    this.recovery = new Recovery(this.engine, this.aof, this.snapshots, this.jobs, () => this.cron.arm());
    this.admin = new ShardAdmin(this.engine, this.aof, this.snapshots, () => ({ loading: this.loading !== null, loadError: this.loadError }), {
      jobs: this.jobs,
      mended: () => {
        this.recovery.mended();
        this.cron.arm();
      },
    });
    this.publisher = new ShardPublisher(env, this.engine, clock);
    this.engine.server.host = this.jobs;
    this.engine.server.sections.set("persistence", () => persistenceInfo(this.aof, this.snapshots, this.recovery, this.jobs));
    ctx.blockConcurrencyWhile(async () => {
      await this.recovery.run();
      this.cron.alarmAt = await ctx.storage.getAlarm();
    });
    this.engine.sink = (commands) => this.aof.append(commands);
    this.engine.notificationSink = (messages) => this.publisher.notify(messages);
    this.engine.config.onChange = (changes) => {
      // Only what CONFIG SET changed is kept: the rest keeps following the deployment's vars.
      const overrides = ctx.storage.kv.get<Record<string, string>>("config") ?? {};
      for (const [name, value] of changes) overrides[name] = value;
      ctx.storage.kv.put("config", overrides);
      const appendonly = changes.find(([name]) => name === "appendonly");
      if (appendonly) this.jobs.appendonlyChanged(appendonly[1] === "yes");
    };
  }

  /** Set while recovery is still loading (in slices, after the start-up budget). */
  get loading(): LoadingState | null {
    return this.recovery.loading;
  }
  /** Set when the shard must not serve (a corrupt log with aof-load-truncated no, …): every request gets it. */
  get loadError(): string | null {
    return this.recovery.loadError;
  }

  // The admin API's view of this shard (worker/admin.ts); each is one call into ShardAdmin.
  async adminStatus(): Promise<ShardStatus> {
    return this.admin.status();
  }
  async adminBgsave(): Promise<{ result: string } | { error: string }> {
    return this.admin.bgsave();
  }
  async adminBgrewriteaof(): Promise<{ result: string } | { error: string }> {
    return this.admin.bgrewriteaof();
  }
  async adminManifest() {
    return this.admin.manifest();
  }
  async adminAof(): Promise<ReadableStream<Uint8Array>> {
    return this.admin.aofStream();
  }
  async adminRestore(rdb: ReadableStream<Uint8Array>): Promise<{ keys: number }> {
    return this.admin.restoring((replaceLog) => this.admin.restore(rdb, replaceLog));
  }
  async adminRestoreToTime(time: number): Promise<{ keys: number; base: string; rows: number }> {
    return this.admin.restoring((replaceLog) => this.admin.restoreToTime(time, replaceLog));
  }

  async adminSnapshotKey(): Promise<string | null> {
    return this.snapshots.snapshots.at(-1)?.key ?? null;
  }

  /** Hub 0 asks for MONITOR lines until `untilMs` while monitors are open. */
  async monitorUntil(untilMs: number): Promise<void> {
    this.publisher.monitorUntil(untilMs);
  }

  /**
   * Runs a batch (a pipeline, or a transaction when atomic) with no await inside: nothing interleaves.
   * `durable` (the request's Durable-Redis-Fsync header): its writes are durable before the reply,
   * as if it ended with WAITAOF 1 0 0. `client` is the caller's address, for MONITOR. `access` is what
   * the request's token may run (the engine refuses the rest).
   * `replyBudget`: this shard's part of the request's reply budget (the worker splits it between the
   * shards it calls); `textReplies`: the worker sends the replies as JSON text, so they count as such.
   */
  async execute(batch: string[][], atomic: boolean, access: TokenAccess, durable = false, client = "", replyBudget = MAX_REPLY_BYTES, textReplies = false): Promise<ShardResult> {
    // Memory holds a batch the log lost: nothing may run on it until the reset.
    if (this.lostWrite !== null) throw new Error(this.lostWrite);
    this.publisher.monitor(batch, atomic, client);
    if (this.loading) {
      // Only the commands Redis answers while loading (INFO, TIME, CONFIG GET, …) run; a transaction waits.
      const replies = atomic ? errorReply(loadingError().message) : this.engine.executeBatch(batch, { access, datasetLoading: true, replyBudget, textReplies });
      return { replies, token: this.bootId };
    }
    if (this.loadError) {
      const err = errorReply(this.loadError);
      return { replies: atomic ? err : batch.map(() => err), token: this.bootId };
    }
    let replies: Reply[] | ErrorReply;
    let lost = false;
    try {
      replies = atomic
        ? this.engine.executeTransaction(batch, { access, replyBudget, textReplies })
        : this.engine.executeBatch(batch, { access, replyBudget, textReplies });
      lost = !this.aof.afterBatch();
      if (durable) {
        this.aof.durableRequests++;
        lost = !this.aof.flush() || lost;
      }
      // A SAVE in the batch blocks the shard until stored; its reply says how that went.
      if (!lost) replies = this.engine.settleSaves(replies, await this.jobs.blockingSaveEnded());
    } catch (e) {
      console.error("shard batch failed:", e instanceof Error ? e.stack : e);
      replies = atomic ? errorReply("ERR internal error") : batch.map(() => errorReply("ERR internal error"));
    }
    if (lost) await this.resetAfterLostWrite();
    this.cron.arm();
    return { replies, token: `${this.bootId}-${this.engine.writes}` };
  }

  /**
   * A batch that had to be durable before its reply (appendfsync always, Durable-Redis-Fsync) could
   * not be written: it is not acknowledged, and memory, which holds its effects, must not serve
   * again. The object resets (Redis exits here) and reloads from storage, which has every
   * acknowledged write and none of this batch; the worker answers the batch Redis's MISCONF error,
   * which the reset carries. Batches that arrive meanwhile are refused with it and never run.
   * Earlier batches whose rows are still committing (their replies held until then) are let go
   * first: a reset would drop their replies, and they would look refused although they are kept.
   */
  private async resetAfterLostWrite(): Promise<never> {
    const message = diskError({ kind: "aof", reason: this.aof.lastWriteError }).message;
    this.lostWrite = message;
    console.error(`${message}: resetting the shard to reload what its log holds`);
    await this.ctx.storage.sync();
    this.ctx.abort(message);
    throw new Error(message);
  }

  /** The shard's cron (Redis's serverCron): active expiry, automatic rewrites, save rules. */
  async alarm(): Promise<void> {
    this.cron.run();
  }
}
