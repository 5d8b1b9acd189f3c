// The engine: a keyspace, the command table and the dispatcher. It checks arity, flags and memory,
// runs handlers, turns thrown RedisErrors into error replies, and hands the commands to propagate
// (the AOF's records) to a sink. Pure TypeScript: no storage, no Cloudflare APIs.

import { COMMANDS } from "./commands/index.js";

const BY_UPPER_NAME = new Map([...COMMANDS].map(([name, spec]) => [name.toUpperCase(), spec]));
import { arityOk, type CommandContext, type CommandSpec, keyPositions, type ServerInfo, type TokenAccess, tokenRefusal } from "./command.js";
import { Config } from "./config.js";
import { RedisError, diskError, loading as loadingError, oom, stringTooLong, unknownCommand, wrongArity } from "./errors.js";
import { Keyspace } from "./keyspace.js";
import { type ErrorReply, type Reply, errorReply } from "./reply.js";
import { evictKeys } from "./eviction.js";
import { noteEncoding } from "./encoding.js";
import { Scripting } from "./scripting/scripting.js";
import type { CreateLuaVm } from "./lua/api.js";
import { MAX_REPLY_BYTES, REPLY_TOO_LARGE, ReplyBudget } from "./reply-budget.js";
import { NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW, Notifier, parseNotifyFlags } from "./notify.js";

export interface EngineOptions {
  /** Wall clock in ms; tests inject one. */
  clock?: () => number;
  /** Uniform [0, 1); tests inject a seeded one. */
  random?: () => number;
  config?: Record<string, string>;
  /** Makes the Lua VMs scripts run in (EVAL's and the functions'). */
  createLuaVm?: CreateLuaVm;
  /**
   * With several shards: a key's slot and whether this shard serves it, for Redis Cluster's checks on
   * the keys a script touches. Absent with one shard (standalone Redis: no checks).
   */
  cluster?: { slotOf(key: string): number; isLocal(slot: number): boolean };
}

/** Receives, synchronously, the commands a batch propagates, in order (a transaction as MULTI … EXEC). */
export type PropagationSink = (commands: string[][]) => void;

/**
 * Receives the keyspace notifications a batch raised, as (channel, message) pairs in the order Redis
 * would publish them, once at the batch's end; the Durable Object hands them to pub/sub.
 */
export type NotificationSink = (messages: [channel: string, message: string][]) => void;

export interface ExecuteOptions {
  /**
   * What the caller's token may run (see tokenRefusal): the data token is refused Redis's @admin
   * commands, the read-only token writes as well. Absent: everything (replay, restore, tests).
   */
  access?: TokenAccess;
  /**
   * The shard is still loading its dataset: as in Redis, only commands flagged `loading` run (INFO,
   * TIME, CONFIG GET, …); the rest answer LOADING, after the unknown-command and arity checks.
   */
  datasetLoading?: boolean;
  /**
   * Bytes the batch's replies may take together (replyBytes; default MAX_REPLY_BYTES). A command whose
   * reply would pass what is left answers REPLY_TOO_LARGE; the rest of the batch still runs.
   */
  replyBudget?: number;
  /** The replies go out as JSON text (not base64 or RESP): their strings count as their JSON (jsonTextBytes). */
  textReplies?: boolean;
}

/** The reply room of a script's commands (not sent; bounded so that none holds the shard's memory), and of a load's. */
const NESTED_REPLY_ROOM = (): number => MAX_REPLY_BYTES;
const LOADING_REPLY_ROOM = (): number => Infinity;

const EXEC_ABORT = "EXECABORT Transaction discarded because of previous errors.";

export class Engine {
  readonly db: Keyspace;
  readonly config: Config;
  readonly server: ServerInfo;
  readonly clock: () => number;
  readonly random: () => number;
  /** Changes since the last save (rdb_changes_since_last_save). */
  dirty = 0;
  /** Total changes ever made; the Durable Object's write counter and sync token come from it. */
  writes = 0;
  sink: PropagationSink = () => {};
  notificationSink: NotificationSink = () => {};
  /** Collects the keyspace notifications of the batch being executed (notify-keyspace-events). */
  readonly notifier = new Notifier();
  /** Called before any key changes (snapshots serialize the old value first); usually empty. */
  readonly writeListeners = new Set<(key: string) => void>();
  private readonly table: Map<string, CommandSpec>;
  /** Records of the batch being executed, flushed to the sink at its end. */
  private records: string[][] = [];
  /** While a transaction runs, where its records start: they are held until its end (MULTI … EXEC). */
  private transactionStart: number | null = null;
  readonly scripting: Scripting;
  /** Set per command: memory was over maxmemory and eviction could not free enough (Redis's script_oom). */
  private outOfMemory = false;
  /** Set per command: the caller holds the read-only token. */
  private readonlyToken = false;
  /** What the replies of the batch being executed may still take (ExecuteOptions.replyBudget). */
  private readonly replyBudget = new ReplyBudget();
  /** CommandContext.replyBytes of the command run last (-1: its handler did not count them). */
  private countedReplyBytes = -1;
  /** CommandContext.replyRoom in a batch. */
  private readonly batchReplyRoom = (): number => this.replyBudget.room();
  /** CommandContext.propagateNow. */
  private readonly propagateNow = (): boolean => {
    if (this.transactionStart !== null) return this.records.length === this.transactionStart;
    this.flushRecords();
    return true;
  };

  constructor(opts: EngineOptions = {}) {
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
    this.config = new Config(opts.config);
    this.db = new Keyspace(this.clock, this.random);
    this.db.access.sync = () => {
      if (this.config.generation !== this.accessGeneration) this.syncAccessPolicy();
    };
    this.db.hooks = {
      onExpired: (key) => {
        this.server.expiredKeys++;
        if (!this.db.loading) this.records.push(["DEL", key]);
        this.notifier.notify(NOTIFY_EXPIRED, "expired", key);
      },
      beforeWrite: (key) => {
        for (const listener of this.writeListeners) listener(key);
      },
      onNew: (key) => {
        if (this.notifier.flags !== 0) this.notifier.notify(NOTIFY_NEW, "new", key);
      },
    };
    this.server = {
      startedAt: this.clock(),
      commandsProcessed: 0,
      expiredKeys: 0,
      evictedKeys: 0,
      keyspaceHits: 0,
      keyspaceMisses: 0,
      peakMemory: 0,
      latestForkUsec: 0,
      totalForks: 0,
      sections: new Map(),
      savesPending: [],
    };
    this.table = COMMANDS;
    const engine = this;
    this.scripting = new Scripting(
      {
        lookup: (name) => this.lookup(name),
        runNested: (spec, argv, propagate) => {
          if (this.growthRefused(spec, argv)) return errorReply(oom().message);
          // A script's command could build a reply bigger than any request may get (SRANDMEMBER's
          // negative count), and hold the shard's memory while it does: it gets the error instead.
          const estimate = spec.replyEstimate;
          if (estimate !== undefined && estimate(this.db, argv, this.batchNow ?? this.clock(), MAX_REPLY_BYTES) > MAX_REPLY_BYTES) return this.replyTooLarge();
          const mark = this.records.length;
          const reply = this.run(spec, argv, false, NESTED_REPLY_ROOM);
          if (!propagate) this.records.length = mark;
          return reply;
        },
        get outOfMemory() {
          return engine.outOfMemory;
        },
        get maxmemory() {
          return engine.config.getNumber("maxmemory");
        },
        writesDenied: () => this.server.host?.writesDenied?.() ?? null,
        get readonlyToken() {
          return engine.readonlyToken;
        },
        get busyThresholdMs() {
          return engine.config.getNumber("busy-reply-threshold");
        },
        clock: this.clock,
        cluster: opts.cluster ?? null,
      },
      opts.createLuaVm,
    );
  }

  private accessGeneration = -1;
  private configGeneration = -1;
  /** maxmemory and proto-max-bulk-len, read once per config change (syncConfig) rather than per command. */
  private maxmemory = 0;
  private maxBulk = 0;

  /** What commands read of the config on every call (the notifier's flags among it), once per config change. */
  private syncConfig(): void {
    this.notifier.flags = parseNotifyFlags(this.config.get("notify-keyspace-events")) ?? 0;
    this.maxmemory = this.config.getNumber("maxmemory");
    this.maxBulk = this.config.getNumber("proto-max-bulk-len");
    this.configGeneration = this.config.generation;
  }

  /** Keys' access clocks follow maxmemory-policy (LRU time or LFU counter) and the lfu-* parameters. */
  private syncAccessPolicy(): void {
    const a = this.db.access;
    a.lfu = this.config.get("maxmemory-policy").endsWith("-lfu");
    a.logFactor = this.config.getNumber("lfu-log-factor");
    a.decayTime = this.config.getNumber("lfu-decay-time");
    this.accessGeneration = this.config.generation;
  }

  lookup(name: string): CommandSpec | undefined {
    // Clients and logs send names in capitals: found without making a lowercase copy first.
    return BY_UPPER_NAME.get(name) ?? this.table.get(name.toLowerCase());
  }

  /**
   * The used_memory a load at start (the AOF's base and log, a snapshot) may reach before it stops
   * with an error naming maxmemory, rather than grow the isolate until it is killed, on every start.
   * Above maxmemory itself: live writes may end one command past it, eviction's DELs come after the
   * write that made them, and maxmemory may have been lowered since: half again, and one value (at
   * most maxmemory again). 0: no limit (maxmemory 0).
   */
  loadMemoryLimit(): number {
    const max = this.config.getNumber("maxmemory");
    return max === 0 ? 0 : Math.floor(max * 1.5) + Math.min(max, this.config.getNumber("proto-max-bulk-len"));
  }

  /** Runs one command and propagates what it changed. */
  execute(argv: string[], opts: ExecuteOptions = {}): Reply {
    return this.executeBatch([argv], opts)[0];
  }

  /**
   * One clock reading per batch or transaction (Redis gives a transaction one time, and the Workers
   * clock does not move within a turn anyway), and one per load: reading the clock is a call into
   * the runtime, and a replay runs hundreds of thousands of commands.
   */
  private batchNow: number | null = null;
  private loadNow: number | null = null;

  private atOneTime<T>(run: () => T): T {
    const outer = this.batchNow;
    this.batchNow = outer ?? this.clock();
    this.loadNow = null;
    try {
      return run();
    } finally {
      this.batchNow = outer;
    }
  }

  /** Runs a pipeline synchronously: nothing else interleaves; each command stands on its own. */
  executeBatch(batch: string[][], opts: ExecuteOptions = {}): Reply[] {
    return this.atOneTime(() => {
      const replies: Reply[] = new Array(batch.length);
      this.replyBudget.reset(opts.replyBudget ?? MAX_REPLY_BYTES, opts.textReplies === true);
      for (let i = 0; i < batch.length; i++) replies[i] = this.call(batch[i], opts);
      this.flush();
      return replies;
    });
  }

  /**
   * Runs a MULTI/EXEC transaction. If any command is refused while queueing (unknown, wrong arity,
   * not permitted) nothing runs and the whole reply is Redis's EXECABORT error, naming the cause.
   * Its effects are propagated as one MULTI … EXEC block.
   */
  executeTransaction(batch: string[][], opts: ExecuteOptions = {}): Reply[] | ErrorReply {
    return this.atOneTime(() => this.transaction(batch, opts));
  }

  private transaction(batch: string[][], opts: ExecuteOptions): Reply[] | ErrorReply {
    for (const argv of batch) {
      const checked = this.check(argv, opts, true);
      if ("error" in checked) return errorReply(`${EXEC_ABORT} ${checked.error}`);
    }
    const replies: Reply[] = new Array(batch.length);
    this.replyBudget.reset(opts.replyBudget ?? MAX_REPLY_BYTES, opts.textReplies === true);
    const start = this.records.length;
    this.transactionStart = start;
    try {
      for (let i = 0; i < batch.length; i++) replies[i] = this.call(batch[i], opts);
    } finally {
      this.transactionStart = null;
    }
    if (this.records.length > start) {
      this.records.splice(start, 0, ["MULTI"]);
      this.records.push(["EXEC"]);
    }
    this.flush();
    return replies;
  }

  /**
   * After a batch whose SAVE the host ran on past the batch (it blocks the shard until stored): its
   * OK stands, or becomes the error `failure` says. Replies are matched by identity, so only the
   * SAVE replies this engine handed out change.
   */
  settleSaves(replies: Reply[] | ErrorReply, failure: string | null): Reply[] | ErrorReply {
    const pending = this.server.savesPending;
    if (pending.length === 0) return replies;
    this.server.savesPending = [];
    if (failure === null || !Array.isArray(replies)) return replies;
    const err = errorReply(`ERR ${failure}`);
    return replies.map((r) => (pending.includes(r) ? err : r));
  }

  /** Replays one logged command while loading: no propagation, no lazy expiry, no memory limit, no notifications. */
  replay(argv: string[]): Reply {
    const spec = this.lookup(argv[0]);
    if (!spec) return errorReply(unknownCommand(argv[0], argv.slice(1)).message);
    if (!arityOk(spec, argv.length)) return errorReply(wrongArity(argv[0]).message);
    // A logged SETRANGE with a huge offset (or a *STORE of huge sources) must not allocate first.
    const limit = this.loadMemoryLimit();
    if (limit > 0 && spec.growth !== undefined && this.db.usedMemory + this.growthOf(spec, argv, true) > limit) return errorReply(this.overLoadLimit());
    const muted = this.notifier.muted;
    this.notifier.muted = true;
    try {
      return this.run(spec, argv, true, LOADING_REPLY_ROOM);
    } finally {
      this.notifier.muted = muted;
    }
  }

  /** Why a load stops: the text recovery and restores surface (it names maxmemory). */
  overLoadLimit(): string {
    return `ERR the dataset exceeds maxmemory: loading it would pass ${this.loadMemoryLimit()} bytes of used_memory (maxmemory ${this.config.getNumber("maxmemory")}, with room for one write past it)`;
  }

  /** One active-expiry cycle; the deletions are propagated as DELs and notified as `expired`. */
  activeExpireCycle(budgetMs: number): number {
    const deleted = this.db.activeExpire(budgetMs);
    if (deleted.length === 0) return 0;
    this.server.expiredKeys += deleted.length;
    if (this.config.generation !== this.configGeneration) this.syncConfig();
    for (const key of deleted) {
      this.records.push(["DEL", key]);
      this.notifier.notify(NOTIFY_EXPIRED, "expired", key);
    }
    this.flush();
    return deleted.length;
  }

  /** At a batch's end: its records to the sink, its notifications (once per batch) to the notification sink. */
  private flush(): void {
    this.flushRecords();
    if (this.notifier.pending.length !== 0) this.notificationSink(this.notifier.take());
  }

  private flushRecords(): void {
    if (this.records.length !== 0) {
      const out = this.records;
      this.records = [];
      this.sink(out);
    }
  }

  /** The command's table entry, or the refusal it gets before it runs. */
  private check(argv: string[], opts: ExecuteOptions, inTransaction: boolean): CommandSpec | ErrorReply {
    const spec = this.lookup(argv[0]);
    if (!spec) return errorReply(unknownCommand(argv[0], argv.slice(1)).message);
    if (!arityOk(spec, argv.length)) return errorReply(wrongArity(argv[0]).message);
    const refusal = opts.access === undefined ? null : tokenRefusal(spec, argv, opts.access);
    if (refusal) return errorReply(refusal.message);
    // CONFIG SET waits as well (Redis allows it): turning the AOF on or off mid-load would cut a
    // base from the part of the dataset loaded so far.
    if (opts.datasetLoading && (!spec.is.loading || (spec.name === "config" && argv[1]?.toLowerCase() === "set"))) {
      return errorReply(loadingError().message);
    }
    if (inTransaction && spec.is.notxn) {
      return errorReply(`ERR Command not allowed inside a transaction`);
    }
    // As Redis's processCommand: while persisting fails, writes (and PING, so that monitors notice) are refused.
    if (spec.is.write || spec.name === "ping") {
      const denied = this.server.host?.writesDenied?.();
      if (denied) return errorReply(diskError(denied).message);
    }
    return spec;
  }

  private call(argv: string[], opts: ExecuteOptions): Reply {
    const spec = this.check(argv, opts, false);
    if ("error" in spec) return spec;
    if (this.config.generation !== this.configGeneration) this.syncConfig();
    // Over maxmemory, Redis frees memory before every command; only denyoom ones are refused when it cannot.
    const limit = this.maxmemory;
    this.outOfMemory = false;
    this.readonlyToken = opts.access === "readonly";
    if (limit > 0 && this.db.usedMemory > limit) {
      if (!this.evictTo(limit)) {
        this.outOfMemory = true;
        if (spec.is.denyoom) return errorReply(oom().message);
      }
    }
    // A write that may grow past what it carries is held to the limit with its estimated growth on
    // top, after the policy has evicted what it may (Redis evicts before every command). A growth the
    // whole limit cannot hold evicts nothing.
    if (limit > 0 && spec.growth !== undefined) {
      const growth = this.growthOf(spec, argv);
      if (growth > 0 && this.db.usedMemory + growth > limit && (growth >= limit || !this.evictTo(limit - growth))) {
        return errorReply(oom().message);
      }
    }
    // A reply past the budget is refused before it is built where it can be estimated (here, or in a
    // long read's handler), and after it ran otherwise (then a write has still happened: the
    // estimates cover the writes that answer with data, so this is rare).
    const budget = this.replyBudget;
    const estimate = spec.replyEstimate;
    if (estimate !== undefined && !budget.fits(estimate(this.db, argv, this.batchNow ?? this.clock(), budget.most))) return this.replyTooLarge();
    const reply = this.run(spec, argv, false, this.batchReplyRoom);
    let bound = -1;
    const within = spec.replyWithinKey;
    if (within !== undefined && (within === 0 || within === argv.length) && Array.isArray(reply)) {
      const v = this.db.data.get(argv[1]);
      bound = budget.withinBound(v === undefined || typeof v === "string" ? 0 : v.memoryUsage());
    }
    return budget.charge(reply, bound, this.countedReplyBytes) ? reply : this.replyTooLarge();
  }

  /**
   * Not charged to the budget: the commands after it that fit still answer, and a request's
   * refusals (at most MAX_COMMANDS_PER_REQUEST short texts) fit in the room left below the RPC limit.
   */
  private replyTooLarge(): ErrorReply {
    return errorReply(REPLY_TOO_LARGE);
  }

  /** Evicts by maxmemory-policy until used memory is within `limit`; false when it cannot. */
  private evictTo(limit: number): boolean {
    return evictKeys(this, limit, this.config.get("maxmemory-policy"), (key) => {
      this.server.evictedKeys++;
      this.records.push(["DEL", key]);
      this.notifier.notify(NOTIFY_EVICTED, "evicted", key);
    });
  }

  private growthOf(spec: CommandSpec, argv: string[], replaying = false): number {
    return spec.growth === undefined ? 0 : spec.growth(this.db, argv, keyPositions(spec, argv), this.config, replaying);
  }

  /** A script's command: no eviction inside a script (as Redis), so a growth past maxmemory is refused. */
  private growthRefused(spec: CommandSpec, argv: string[]): boolean {
    const limit = this.config.getNumber("maxmemory");
    if (limit === 0 || spec.growth === undefined) return false;
    const growth = this.growthOf(spec, argv);
    return growth > 0 && this.db.usedMemory + growth > limit;
  }

  /** `replyRoom`: the bytes its reply may take (CommandContext.replyRoom). */
  private run(spec: CommandSpec, argv: string[], loading: boolean, replyRoom: () => number): Reply {
    const db = this.db;
    const isWrite = spec.is.write;
    // Until the handler has counted it: a refusal below is measured, not charged the last reply's count.
    this.countedReplyBytes = -1;
    // No write stores an argument longer than proto-max-bulk-len (a list element, a hash value, a
    // member, …): the worker bounds arguments by MAX_RECORD_BYTES, but CONFIG SET may lower the
    // parameter below it, and a script can build an argument of its own. The log is trusted.
    if (isWrite && !loading) {
      // (Read at the call's sync of the config: a script's commands run inside its call.)
      const maxBulk = this.maxBulk;
      for (let i = 1; i < argv.length; i++) if (argv[i].length > maxBulk) return errorReply(stringTooLong().message);
    }
    // Collections change in place: measure the keys this write names before and after.
    let tracked: [string, { memoryUsage(): number }, number][] | null = null;
    let seen: Set<string> | null = null;
    const keys = isWrite ? keyPositions(spec, argv) : null;
    if (keys) {
      for (const pos of keys) {
        const key = argv[pos];
        db.hooks.beforeWrite(key);
        const v = db.data.get(key);
        if (v !== undefined && typeof v !== "string") {
          // A key named twice (LMOVE l l, LMPOP 2 a a) is measured once, or its change would count twice.
          if (keys.length > 1) {
            if ((seen ??= new Set()).has(key)) continue;
            seen.add(key);
          }
          (tracked ??= []).push([key, v, v.memoryUsage()]);
        }
      }
    }
    const now = loading ? (this.loadNow ??= this.clock()) : (this.batchNow ?? this.clock());
    if (!isWrite && !loading && spec.firstKey > 0 && spec.is.readonly) {
      // keyspace_hits / keyspace_misses, as Redis counts its read lookups.
      const last = spec.lastKey < 0 ? argv.length + spec.lastKey : spec.lastKey;
      // Counted without expiring anything: the command's own lookup expires a key (and raises
      // `expired`) where Redis's does, after its arguments are checked.
      for (let i = spec.firstKey; i <= last && i < argv.length; i += spec.step) {
        if (db.data.has(argv[i]) && !db.isExpired(argv[i], now)) this.server.keyspaceHits++;
        else {
          this.server.keyspaceMisses++;
          this.notifier.notify(NOTIFY_KEY_MISS, "keymiss", argv[i]);
        }
      }
    }
    db.access.now = now;
    db.access.sync();
    const ctx = new CommandRun(db, this.config, now, this.random, loading, replyRoom, this.server, this.scripting, this.notifier, this.propagateNow);
    let reply: Reply;
    const mark = this.records.length;
    try {
      reply = spec.handler(ctx, argv);
    } catch (e) {
      ctx.replyBytes = -1;
      if (e instanceof RedisError) reply = errorReply(e.message);
      else {
        console.error(`internal error in ${spec.name}:`, e instanceof Error ? e.stack : e);
        reply = errorReply("ERR internal error");
      }
    }
    // A script's effects (Redis 7's effects replication): more than one becomes one MULTI … EXEC,
    // unless a transaction already wraps them.
    if (this.records.length - mark > 1 && this.transactionStart === null && spec.is.script) {
      this.records.splice(mark, 0, ["MULTI"]);
      this.records.push(["EXEC"]);
    }
    if (tracked) for (const [, v, before] of tracked) db.usedMemory += v.memoryUsage() - before;
    if (isWrite && db.usedMemory > this.server.peakMemory) this.server.peakMemory = db.usedMemory;
    if (keys && ctx.dirty > 0) {
      for (const pos of keys) {
        const v = db.data.get(argv[pos]);
        if (v !== undefined && typeof v !== "string") noteEncoding(v, this.config);
      }
    }
    this.server.commandsProcessed++;
    this.countedReplyBytes = ctx.replyBytes;
    if (ctx.dirty > 0) {
      this.dirty += ctx.dirty;
      this.writes++;
      if (!loading && !spec.is.nopropagate) {
        if (ctx.rewritten) for (const c of ctx.rewritten) this.records.push(c);
        else this.records.push(argv);
      }
    } else if (ctx.rewritten && !loading) {
      // A command can propagate without changing the dataset as such (e.g. a lazily expired key's DEL).
      for (const c of ctx.rewritten) this.records.push(c);
    }
    return reply;
  }
}

/**
 * A command's CommandContext: one object per run, with its methods on the prototype rather than
 * closures made for every command.
 */
class CommandRun implements CommandContext {
  dirty = 0;
  replyBytes = -1;
  /** What rewrite() was given: propagated instead of the command. */
  rewritten: string[][] | null = null;

  constructor(
    readonly db: Keyspace,
    readonly config: Config,
    readonly now: number,
    readonly random: () => number,
    readonly loading: boolean,
    readonly replyRoom: () => number,
    readonly server: ServerInfo,
    readonly scripting: Scripting,
    private readonly notifier: Notifier,
    readonly propagateNow: () => boolean,
  ) {}

  rewrite(...commands: string[][]): void {
    this.rewritten = commands;
  }

  notify(type: number, event: string, key: string): void {
    if (this.notifier.flags !== 0) this.notifier.notify(type, event, key);
  }
}
