// Scripting: the EVAL script cache, the function libraries, and the ScriptHost through which a
// running script's redis.call reaches the dispatcher. Knows commands, not Lua: the VM is reached
// only through engine/lua/api.ts. Runs are atomic (the shard runs one turn at a time); their
// writes propagate as their effects, wrapped in MULTI … EXEC by the dispatcher.

import type { CommandSpec } from "../command.js";
import { arityOk, keyPositions } from "../command.js";
import { humanBytes } from "../commands/server.js";
import { type DiskError, RedisError, diskError, oom } from "../errors.js";
import type { CreateLuaVm, LuaFunctionRef, LuaVm, ScriptHost } from "../lua/api.js";
import { type Reply, errorReply } from "../reply.js";
import { type ScriptFlags, flagNames, noFlags, parseLibrary, parseScript, setFlag } from "./shebang.js";
import { sha1hex } from "../lua/sha1.js";

/** What scripting needs of the engine: the table, nested runs, memory and the records being built. */
export interface ScriptEngine {
  lookup(name: string): CommandSpec | undefined;
  /** Runs a command for redis.call (checks done here); `propagate` false drops its records (set_repl). */
  runNested(spec: CommandSpec, argv: string[], propagate: boolean): Reply;
  /** Whether the command being run found memory over maxmemory that eviction could not free (server.script_oom). */
  readonly outOfMemory: boolean;
  readonly maxmemory: number;
  /** Why writes are refused while persisting fails (MISCONF), or null. */
  writesDenied(): DiskError | null;
  /** The caller holds the read-only token. */
  readonly readonlyToken: boolean;
  /** busy-reply-threshold in ms (0: none). */
  readonly busyThresholdMs: number;
  /** Wall clock in ms (moves in Node; in workerd only across I/O, so the hook also counts instructions). */
  clock(): number;
  /**
   * With several shards: the slot of a key and whether this shard holds it (Redis Cluster's checks on
   * keys a script touches); null when there is one shard (standalone Redis: no checks).
   */
  readonly cluster: { slotOf(key: string): number; isLocal(slot: number): boolean } | null;
}

export interface CachedScript {
  body: string;
  flags: ScriptFlags;
  fn: LuaFunctionRef;
}

export interface LibraryFunction {
  name: string;
  description: string | null;
  flags: ScriptFlags;
  fn: LuaFunctionRef;
  library: Library;
}

export interface Library {
  name: string;
  engine: "LUA";
  /** The whole payload FUNCTION LOAD was given (shebang line included): LIST WITHCODE, DUMP, the AOF. */
  code: string;
  functions: Map<string, LibraryFunction>;
}

// REPL_* of redis.set_repl.
const REPL_AOF = 1;
const REPL_ALL = 3;

/** Instruction-hook calls per ms of script time, where the clock does not move during a run (workerd). */
const HOOKS_PER_MS = 20;

export const NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL.";
const BUSY_KILLED = "ERR Script killed by user with SCRIPT KILL...";

const err = (text: string) => errorReply(`ERR ${text}`);

/**
 * Redis 7.0 commands flagged noscript that this server has no table row for (pub/sub streams and
 * connection state live in the worker; no replication, no ACL): a script naming one gets Redis's
 * "not allowed" rather than "unknown command".
 */
const NOSCRIPT_ELSEWHERE = new Set(
  "subscribe psubscribe ssubscribe unsubscribe punsubscribe sunsubscribe monitor client auth hello reset quit wait role sync psync replconf shutdown debug slaveof replicaof failover acl latency module".split(" "),
);

/** Commands a script may not run though the table allows them elsewhere (blocking with BLOCK). */
function blockArgument(name: string, argv: string[]): string | null {
  if (name !== "xread" && name !== "xreadgroup") return null;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i].toLowerCase();
    if (a === "streams") break;
    if (a === "block") return `ERR ${name} command is not allowed with BLOCK option from scripts`;
  }
  return null;
}

interface RunState {
  readOnly: boolean;
  allowOom: boolean;
  allowCrossSlot: boolean;
  /** A write ran: later OOM and read-only checks no longer stop the script. */
  writeDirty: boolean;
  repl: number;
  slot: number;
  startOom: boolean;
  startMs: number;
  hooks: number;
}

export class Scripting {
  /** EVAL's state and the functions' state are separate, as in Redis: SCRIPT FLUSH keeps the libraries. */
  private evalVm: LuaVm | null = null;
  private functionVm: LuaVm | null = null;
  readonly scripts = new Map<string, CachedScript>();
  private scriptsMemory = 0;
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, LibraryFunction>();
  private run: RunState | null = null;

  constructor(
    private readonly engine: ScriptEngine,
    private readonly createVm: CreateLuaVm | undefined,
  ) {}

  private vm(kind: "eval" | "function"): LuaVm {
    if (!this.createVm) throw new RedisError("ERR scripting is not available: no Lua VM");
    // One math.random sequence for both, as Redis has one per server.
    const random = (this.evalVm ?? this.functionVm)?.random;
    if (kind === "eval") return (this.evalVm ??= this.createVm(random));
    return (this.functionVm ??= this.createVm(random));
  }

  // ---- the script cache ----

  /** Compiles and caches a script (EVAL, SCRIPT LOAD); an error reply for a bad shebang or body. */
  load(body: string): { sha: string; script: CachedScript } | { error: string } {
    const sha = sha1hex(body);
    const cached = this.scripts.get(sha);
    if (cached) return { sha, script: cached };
    const parsed = parseScript(body);
    if ("error" in parsed) return err(parsed.error);
    const fn = this.vm("eval").compile(parsed.code, "user_script", sha);
    if ("error" in fn) return { error: fn.error.startsWith("ERR ") ? fn.error : `ERR ${fn.error}` };
    const script: CachedScript = { body, flags: parsed.flags, fn };
    this.scripts.set(sha, script);
    // Redis counts the sha's sds and the body's: about their lengths plus a header each.
    this.scriptsMemory += 40 + 9 + body.length + 9;
    return { sha, script };
  }

  exists(sha: string): boolean {
    return this.scripts.has(sha.toLowerCase());
  }

  flushScripts(): void {
    this.scripts.clear();
    this.scriptsMemory = 0;
    this.evalVm?.reset();
  }

  /** EVAL / EVALSHA (and their _RO forms) once the script is known; `ro` for the _RO forms. */
  eval(script: CachedScript, sha: string, keys: string[], args: string[], ro: boolean): Reply {
    const refused = this.prepare(script.flags, ro);
    if (refused) return refused;
    return this.runScript(script.flags, ro, keys, (host, onHook) => this.vm("eval").run(script.fn, { keys, args, host, onHook }), sha);
  }

  /** Redis's scriptPrepareForRun checks (with the OOM check processCommand makes first), for a shebang script or a function. */
  private prepare(flags: ScriptFlags, ro: boolean): Reply | null {
    if (flags.compat) return null;
    if (!flags.noWrites && !flags.allowOom && this.engine.outOfMemory && this.engine.maxmemory > 0) {
      return errorReply(oom().message);
    }
    // processCommand's check, as a script that may write counts as a write command there.
    const denied = flags.noWrites ? null : this.engine.writesDenied();
    if (denied) return errorReply(diskError(denied).message);
    if (flags.noCluster && this.engine.cluster) return err("Can not run script on cluster, 'no-cluster' flag is set.");
    if (!flags.noWrites && ro) return err("Can not execute a script with write flag using *_ro command.");
    return null;
  }

  private runScript(
    flags: ScriptFlags,
    ro: boolean,
    keys: string[],
    body: (host: ScriptHost, onHook: () => string | null) => Reply,
    _name: string,
  ): Reply {
    const cluster = this.engine.cluster;
    const state: RunState = {
      readOnly: ro || (!flags.compat && flags.noWrites),
      allowOom: !flags.compat && flags.allowOom,
      allowCrossSlot: flags.compat || flags.allowCrossSlotKeys,
      writeDirty: false,
      repl: REPL_ALL,
      // The router sent the script to its declared keys' slot (checked there to be one).
      slot: cluster && keys.length > 0 ? cluster.slotOf(keys[0]) : -1,
      startOom: this.engine.outOfMemory && this.engine.maxmemory > 0,
      startMs: this.engine.clock(),
      hooks: 0,
    };
    const outer = this.run;
    this.run = state;
    try {
      return body(this.host(state), () => this.hook(state));
    } finally {
      this.run = outer;
    }
  }

  /** The instruction hook: stops a script past busy-reply-threshold (measured by the clock, or by instructions where it stands still). */
  private hook(state: RunState): string | null {
    const limit = this.engine.busyThresholdMs;
    if (limit <= 0) return null;
    state.hooks++;
    const elapsed = Math.max(this.engine.clock() - state.startMs, state.hooks / HOOKS_PER_MS);
    return elapsed > limit ? BUSY_KILLED : null;
  }

  private host(state: RunState, registerFunction?: ScriptHost["registerFunction"]): ScriptHost {
    return {
      call: (argv) => this.call(state, argv),
      setRepl: (flags) => {
        state.repl = flags;
      },
      setResp: () => {},
      log: () => {},
      registerFunction,
    };
  }

  /** redis.call / redis.pcall: Redis's scriptCall checks, in its order, then the command. */
  private call(state: RunState, argv: string[]): Reply {
    if (argv.length === 0) return err("Please specify at least one argument for this redis lib call");
    const spec = this.engine.lookup(argv[0]);
    if (!spec) return err(NOSCRIPT_ELSEWHERE.has(argv[0].toLowerCase()) ? "This Redis command is not allowed from script" : "Unknown Redis command called from script");
    if (!arityOk(spec, argv.length)) return err("Wrong number of args calling Redis command from script");
    if (spec.flags.includes("noscript")) return err("This Redis command is not allowed from script");
    const write = spec.flags.includes("write");
    if (this.engine.readonlyToken && (write || spec.flags.includes("noreadonlytoken") || spec.flags.includes("admin"))) {
      // The read-only token is an ACL user without @write: Redis 7.0's text for a script's denied command.
      return err("The user executing the script can't run this command or subcommand");
    }
    if (state.readOnly && write) return err("Write commands are not allowed from read-only scripts.");
    // scriptVerifyWriteCommandAllow: a script that has written already goes on writing.
    const denied = write && !state.writeDirty ? this.engine.writesDenied() : null;
    if (denied) return errorReply(diskError(denied).message);
    if (!state.allowOom && !state.writeDirty && state.startOom && spec.flags.includes("denyoom")) {
      return errorReply(oom().message);
    }
    if (write) state.writeDirty = true;
    const clusterError = this.checkCluster(state, spec, argv);
    if (clusterError) return clusterError;
    const blocked = blockArgument(spec.name, argv);
    if (blocked) return errorReply(blocked);
    const propagate = (state.repl & REPL_AOF) !== 0;
    return this.engine.runNested(spec, argv, propagate);
  }

  /** With several shards, a script's keys must live here and, unless allow-cross-slot-keys, in one slot. */
  private checkCluster(state: RunState, spec: CommandSpec, argv: string[]): Reply | null {
    const cluster = this.engine.cluster;
    if (!cluster) return null;
    let slot = -1;
    for (const pos of keyPositions(spec, argv)) {
      const s = cluster.slotOf(argv[pos]);
      if (!cluster.isLocal(s)) return err("Script attempted to access a non local key in a cluster node");
      if (slot >= 0 && s !== slot) return errorReply("CROSSSLOT Keys in request don't hash to the same slot");
      slot = s;
    }
    if (slot >= 0 && !state.allowCrossSlot) {
      if (state.slot < 0) state.slot = slot;
      else if (state.slot !== slot) return err("Script attempted to access keys that do not hash to the same slot");
    }
    return null;
  }

  // ---- functions ----

  /** FUNCTION LOAD [REPLACE] code: the library's name, or an error reply. */
  loadLibrary(code: string, replace: boolean, releaseOld = true): string | { error: string } {
    const meta = parseLibrary(code);
    if ("error" in meta) return err(meta.error);
    const old = this.libraries.get(meta.name);
    if (old && !replace) return err(`Library '${meta.name}' already exists`);
    const library: Library = { name: meta.name, engine: "LUA", code, functions: new Map() };
    const vm = this.vm("function");
    const state: RunState = {
      readOnly: true,
      allowOom: false,
      allowCrossSlot: false,
      writeDirty: false,
      repl: REPL_ALL,
      slot: -1,
      startOom: false,
      startMs: this.engine.clock(),
      hooks: 0,
    };
    const register = (name: string, fn: LuaFunctionRef, flags: string[], description?: string): string | void => {
      if (!/^[A-Za-z0-9_]+$/.test(name)) {
        return "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long";
      }
      if (library.functions.has(name)) return "Function already exists in the library";
      const parsed = noFlags();
      for (const f of flags) if (!setFlag(parsed, f.toLowerCase(), false)) return "unknown flag given";
      library.functions.set(name, { name, description: description ?? null, flags: parsed, fn, library });
    };
    const releaseAll = () => {
      for (const f of library.functions.values()) vm.release(f.fn);
    };
    const failed = vm.loadLibrary(meta.code, meta.name, this.host(state, register));
    if (failed) {
      releaseAll();
      return { error: failed.error.startsWith("ERR ") ? failed.error : `ERR ${failed.error}` };
    }
    if (library.functions.size === 0) return err("No functions registered");
    for (const name of library.functions.keys()) {
      const owner = this.functions.get(name);
      if (owner && owner.library !== old) {
        releaseAll();
        return err(`Function ${name} already exists`);
      }
    }
    if (old) this.unlink(old, releaseOld);
    this.link(library);
    return library.name;
  }

  private link(library: Library): void {
    this.libraries.set(library.name, library);
    for (const f of library.functions.values()) this.functions.set(f.name, f);
  }

  private unlink(library: Library, release: boolean): void {
    this.libraries.delete(library.name);
    for (const f of library.functions.values()) {
      this.functions.delete(f.name);
      if (release) this.functionVm?.release(f.fn);
    }
  }

  /** Every library's code, in load order: what snapshots, rewrites and FUNCTION DUMP keep. */
  libraryCodes(): string[] {
    return [...this.libraries.values()].map((l) => l.code);
  }

  /**
   * The libraries a loaded snapshot held (FUNCTION2 records), replacing the current ones as a load
   * replaces the dataset. A library that fails to load is reported, not fatal.
   */
  replaceLibraries(codes: readonly string[]): string[] {
    this.flushFunctions();
    const problems: string[] = [];
    for (const code of codes) {
      try {
        const loaded = this.loadLibrary(code, true);
        if (typeof loaded !== "string") problems.push(loaded.error);
      } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
      }
    }
    return problems;
  }

  /** FUNCTION DELETE name. */
  deleteLibrary(name: string): boolean {
    const library = this.libraries.get(name);
    if (!library) return false;
    this.unlink(library, true);
    return true;
  }

  flushFunctions(): void {
    this.libraries.clear();
    this.functions.clear();
    this.functionVm?.reset();
  }

  /**
   * FUNCTION RESTORE's libraries (their codes) under a policy; all or nothing, Redis's errors.
   * Also what loading an RDB's FUNCTION2 records does (APPEND into an empty set).
   */
  restoreLibraries(codes: string[], policy: "FLUSH" | "APPEND" | "REPLACE"): { error: string } | null {
    const saved = [...this.libraries.values()];
    if (policy === "FLUSH") {
      this.libraries.clear();
      this.functions.clear();
    }
    for (const code of codes) {
      const meta = parseLibrary(code);
      if (!("error" in meta) && policy === "APPEND" && this.libraries.has(meta.name)) {
        return this.rollback(saved, `ERR Library ${meta.name} already exists`);
      }
      // Replaced libraries stay compiled until the restore stands: a rollback links them again.
      const loaded = this.loadLibrary(code, policy === "REPLACE" || policy === "FLUSH", false);
      if (typeof loaded !== "string") return this.rollback(saved, loaded.error);
    }
    return null;
  }

  private rollback(saved: Library[], error: string): { error: string } {
    this.libraries.clear();
    this.functions.clear();
    for (const l of saved) this.link(l);
    return { error };
  }

  /** FCALL / FCALL_RO. */
  fcall(name: string, keys: string[], args: string[], ro: boolean): Reply {
    const f = this.functions.get(name);
    if (!f) return err("Function not found");
    const refused = this.prepare(f.flags, ro);
    if (refused) return refused;
    return this.runScript(f.flags, ro, keys, (host, onHook) => this.vm("function").callFunction(f.fn, { keys, args, host, onHook }), name);
  }

  // ---- INFO and friends ----

  /** The caller holds the read-only token (FUNCTION's changes are refused to it). */
  get readonlyToken(): boolean {
    return this.engine.readonlyToken;
  }

  /** Whether a script is running: never, seen from outside (the shard runs one request at a time). */
  get running(): boolean {
    return this.run !== null;
  }

  memoryInfo(): [string, string | number][] {
    const evalVm = this.evalVm?.usedMemory() ?? 0;
    const functionVm = this.functionVm?.usedMemory() ?? 0;
    let functionsMemory = 0;
    for (const l of this.libraries.values()) functionsMemory += l.code.length + 64 + l.functions.size * 64;
    const scripts = this.scriptsMemory + functionsMemory;
    return [
      ["used_memory_lua", evalVm],
      ["used_memory_vm_eval", evalVm],
      ["used_memory_lua_human", humanBytes(evalVm)],
      ["used_memory_scripts_eval", this.scriptsMemory],
      ["number_of_cached_scripts", this.scripts.size],
      ["number_of_functions", this.functions.size],
      ["number_of_libraries", this.libraries.size],
      ["used_memory_vm_functions", functionVm],
      ["used_memory_vm_total", evalVm + functionVm],
      ["used_memory_vm_total_human", humanBytes(evalVm + functionVm)],
      ["used_memory_functions", functionsMemory],
      ["used_memory_scripts", scripts],
      ["used_memory_scripts_human", humanBytes(scripts)],
    ];
  }

  /** FUNCTION LIST's entry for a library. */
  listEntry(library: Library, withCode: boolean): Reply {
    const functions: Reply[] = [...library.functions.values()].map((f) => [
      "name",
      f.name,
      "description",
      f.description,
      "flags",
      flagNames(f.flags).map((n) => ({ status: n })),
    ]);
    const entry: Reply[] = ["library_name", library.name, "engine", library.engine, "functions", functions];
    if (withCode) entry.push("library_code", library.code);
    return entry;
  }
}

