// The Lua VM scripts run in: a fengari state set up as Redis 7.0 sets up its Lua 5.1 (the globals,
// the redis table, the libraries, the sandbox), with Redis's conversions both ways and its error
// texts. Implements the contract in api.ts; knows nothing of commands.

import type { Reply } from "../reply.js";
import type { CreateLuaVm, LuaFunctionRef, LuaRandom, LuaVm, RunOptions, RunResult, ScriptHost } from "./api.js";
import {
  allocation,
  fromLuaBytes,
  heapGuard,
  installPatches,
  outOfMemory,
  luaMessage51,
  lauxlib,
  lua,
  pushBytes,
  raiseError,
  setReadonly,
  setRunningState,
  toBytes,
  toLuaBytes,
  type LuaState,
} from "./fengari.js";
import { sha1hex } from "./sha1.js";
import { measureReachable, stateRoots } from "./heap.js";
import { Lrand48, openStdlib, toStringLua } from "./stdlib.js";
import { openBit } from "./lib-bit.js";
import { openCjson } from "./lib-cjson.js";
import { openCmsgpack } from "./lib-cmsgpack.js";
import { openStruct } from "./lib-struct.js";
import { formatG } from "./number-format.js";
import { luaToReply, pushErrTable, pushErrorTable, replyToLua } from "./convert.js";

/** The instruction hook's period: onHook runs every this many VM instructions. */
export const HOOK_EVERY = 10_000;

/** The bound on a state's live heap (estimated, heap.ts); past it a script fails with "not enough memory". */
export const LUA_HEAP_LIMIT = 64 * 1024 * 1024;

const REDIS_VERSION = "7.0.15";
const REDIS_VERSION_NUM = 0x07000f;

const LOG_LEVELS = { LOG_DEBUG: 0, LOG_VERBOSE: 1, LOG_NOTICE: 2, LOG_WARNING: 3 } as const;
const REPL_FLAGS = { REPL_NONE: 0, REPL_AOF: 1, REPL_SLAVE: 2, REPL_REPLICA: 2, REPL_ALL: 3 } as const;

/**
 * What the engine answers for a command a script may not run as called; Redis checks these
 * before running it and answers its own script texts.
 */
function scriptCallError(text: string): string {
  if (text.startsWith("ERR unknown command '") || text.startsWith("ERR unknown subcommand '"))
    return "ERR Unknown Redis command called from script";
  if (text.startsWith("ERR wrong number of arguments for '"))
    return "ERR Wrong number of args calling Redis command from script";
  return text;
}

interface Compiled {
  /** The state it lives in: EVAL's or the functions'. */
  L: LuaState;
  /** Its reference in that state's registry. */
  ref: number;
  /** What errors name after "script:": the SHA for EVAL, the function's name for FCALL. */
  name: string;
}

/** Flags redis.register_function accepts (Redis's scripts_flags_def). */
const FUNCTION_FLAGS = new Set(["no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"]);

/** FUNCTION LOAD's budget: a library body that runs longer is stopped (Redis: a 500 ms timeout). */
export const LOAD_INSTRUCTION_LIMIT = 20_000_000;

class FengariVm implements LuaVm {
  /** EVAL's state. */
  private L: LuaState;
  /** The functions' state (FUNCTION LOAD, FCALL), made on first use; Redis keeps the two apart too. */
  private F: LuaState | null = null;
  private host: ScriptHost | null = null;
  /** True while a library body runs (redis.register_function is reachable only then). */
  private loading = false;
  private compiled = new Map<number, Compiled>();
  private nextId = 1;
  private killed: string | null = null;
  private onHook: (() => string | null) | undefined;
  readonly random: LuaRandom;

  constructor(random?: LuaRandom) {
    this.random = random ?? new Lrand48();
    installPatches();
    this.L = this.newState();
  }

  /** Measures the running state's live heap; raises "not enough memory" past the limit. */
  private heapStep = (L: LuaState): void => {
    allocation.bytes = 0;
    if (measureReachable(stateRoots(L)) > LUA_HEAP_LIMIT) outOfMemory(L);
  };

  private functionsState(): LuaState {
    if (this.F === null) this.F = this.newFunctionsState();
    return this.F;
  }

  private register(L: LuaState, ref: number, name: string): LuaFunctionRef {
    const id = this.nextId++;
    this.compiled.set(id, { L, ref, name });
    return { id };
  }

  // --- setup -------------------------------------------------------------------------------

  private newState(): LuaState {
    const L = lauxlib.luaL_newstate();
    openStdlib(L, () => this.host !== null, this.random, () => this.usedMemory());
    openCjson(L);
    openStruct(L);
    openBit(L);
    openCmsgpack(L);
    this.openRedis(L);
    this.installErrorHandler(L);
    this.installPcall(L);
    // Lock the globals: reading a missing one raises, writing any table reachable from them raises.
    // Strings' metatable too (getmetatable('').__index = … is refused, as in Redis).
    lua.lua_pushstring(L, "");
    lua.lua_getmetatable(L, -1);
    setReadonly(tableAt(L, -1), true);
    lua.lua_pop(L, 2);
    lua.lua_pushglobaltable(L);
    setErrorMetatable(L);
    protectRecursively(L, -1);
    lua.lua_pop(L, 1);
    return L;
  }

  /**
   * The functions' state, as Redis's function_lua.c builds it: the globals become an empty
   * read-only table whose metatable's __index is the real (locked) globals while functions run,
   * and a library API table ({redis = {register_function, log, LOG_*, REDIS_VERSION*}}) while a
   * library body loads.
   */
  private newFunctionsState(): LuaState {
    const L = this.newState();
    lua.lua_createtable(L, 0, 1); // library API globals
    lua.lua_createtable(L, 0, 8); // its redis table
    lua.lua_pushcfunction(L, (L: LuaState) => this.registerFunction(L));
    lua.lua_setfield(L, -2, "register_function");
    lua.lua_getglobal(L, "redis");
    for (const k of ["log", ...Object.keys(LOG_LEVELS), "REDIS_VERSION", "REDIS_VERSION_NUM"]) {
      lua.lua_getfield(L, -1, k);
      lua.lua_setfield(L, -3, k);
    }
    lua.lua_pop(L, 1);
    setErrorMetatable(L);
    lua.lua_setfield(L, -2, "redis");
    setErrorMetatable(L);
    protectRecursively(L, -1);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, "__library_api__");
    lua.lua_pushglobaltable(L);
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, "__globals_api__");
    // The new globals: an empty table reading through to the real ones.
    lua.lua_createtable(L, 0, 0);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushglobaltable(L);
    lua.lua_setfield(L, -2, "__index");
    setReadonly(tableAt(L, -1), true);
    lua.lua_setmetatable(L, -2);
    setReadonly(tableAt(L, -1), true);
    lua.lua_rawseti(L, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    return L;
  }

  /** Points the functions' globals at the library API (loading) or the real globals (running). */
  private setFunctionGlobals(L: LuaState, api: "__library_api__" | "__globals_api__"): void {
    lua.lua_pushglobaltable(L);
    lua.lua_getmetatable(L, -1);
    const meta = tableAt(L, -1);
    setReadonly(meta, false);
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, api);
    lua.lua_setfield(L, -2, "__index");
    setReadonly(meta, true);
    lua.lua_pop(L, 2);
  }

  /** redis.register_function(name, fn) or redis.register_function{function_name=…, callback=…, flags=…, description=…}. */
  private registerFunction(L: LuaState): number {
    const host = this.host;
    if (!this.loading || host === null || host.registerFunction === undefined)
      return raiseTable(L, "redis.register_function can only be called on FUNCTION LOAD command");
    const argc = lua.lua_gettop(L);
    if (argc < 1 || argc > 2) return raiseTable(L, "wrong number of arguments to redis.register_function");
    let name: string | null = null;
    let description: string | undefined;
    let flags: string[] = [];
    let callback: number | null = null; // its registry ref
    const fail = (text: string): number => {
      if (callback !== null) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, callback);
      return raiseTable(L, text);
    };
    if (argc === 2) {
      if (!lua.lua_isstring(L, 1)) return raiseTable(L, "first argument to redis.register_function must be a string");
      if (!lua.lua_isfunction(L, 2)) return raiseTable(L, "second argument to redis.register_function must be a function");
      name = toBytes(L, 1);
      lua.lua_pushvalue(L, 2);
      callback = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    } else {
      if (!lua.lua_istable(L, 1))
        return raiseTable(L, "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).");
      lua.lua_pushnil(L);
      while (lua.lua_next(L, 1)) {
        if (lua.lua_type(L, -2) !== lua.LUA_TSTRING && lua.lua_type(L, -2) !== lua.LUA_TNUMBER)
          return fail("named argument key given to redis.register_function is not a string");
        const key = (lua.lua_type(L, -2) === lua.LUA_TSTRING ? toBytes(L, -2)! : "").toLowerCase();
        if (key === "function_name") {
          if (!lua.lua_isstring(L, -1)) return fail("function_name argument given to redis.register_function must be a string");
          name = toBytes(L, -1);
        } else if (key === "description") {
          if (!lua.lua_isstring(L, -1)) return fail("description argument given to redis.register_function must be a string");
          description = toBytes(L, -1) ?? undefined;
        } else if (key === "callback") {
          if (!lua.lua_isfunction(L, -1)) return fail("callback argument given to redis.register_function must be a function");
          if (callback !== null) lauxlib.luaL_unref(L, lua.LUA_REGISTRYINDEX, callback);
          callback = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX); // pops the value
          continue;
        } else if (key === "flags") {
          if (!lua.lua_istable(L, -1))
            return fail("flags argument to redis.register_function must be a table representing function flags");
          flags = [];
          const t = lua.lua_gettop(L);
          for (let j = 1; ; j++) {
            lua.lua_pushnumber(L, j);
            lua.lua_gettable(L, t);
            if (lua.lua_isnil(L, -1)) {
              lua.lua_pop(L, 1);
              break;
            }
            const flag = lua.lua_isstring(L, -1) ? toBytes(L, -1) : null;
            lua.lua_pop(L, 1);
            if (flag === null || !FUNCTION_FLAGS.has(flag.toLowerCase())) return fail("unknown flag given");
            flags.push(flag);
          }
        } else {
          return fail("unknown argument given to redis.register_function");
        }
        lua.lua_pop(L, 1);
      }
      if (name === null) return fail("redis.register_function must get a function name argument");
      if (callback === null) return fail("redis.register_function must get a callback argument");
    }
    const fnRef = this.register(L, callback!, name!);
    const err = host.registerFunction(name!, fnRef, flags, description);
    if (typeof err === "string") {
      this.release(fnRef);
      // A text with its error code ("ERR …") as is; a bare one gets "ERR ", as luaPushError does.
      if (/^[A-Z][A-Z0-9_]* /.test(err)) {
        lua.lua_checkstack(L, 4);
        pushErrTable(L, err);
        return lua.lua_error(L);
      }
      return raiseTable(L, err);
    }
    return 0;
  }

  private openRedis(L: LuaState): void {
    lua.lua_createtable(L, 0, 32);
    const fn = (name: string, f: (L: LuaState) => number) => {
      lua.lua_pushcfunction(L, f);
      lua.lua_setfield(L, -2, name);
    };
    fn("call", (L) => this.redisCall(L, true));
    fn("pcall", (L) => this.redisCall(L, false));
    fn("sha1hex", (L) => {
      if (lua.lua_gettop(L) !== 1) return raiseTable(L, "wrong number of arguments");
      lua.lua_pushstring(L, sha1hex(toBytes(L, 1) ?? ""));
      return 1;
    });
    fn("error_reply", (L) => {
      if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(L, "wrong number or type of arguments");
        return 1;
      }
      const text = toBytes(L, -1)!;
      pushErrorTable(L, text.startsWith("-") ? text : `-${text}`);
      return 1;
    });
    fn("status_reply", (L) => {
      if (lua.lua_gettop(L) !== 1 || lua.lua_type(L, -1) !== lua.LUA_TSTRING) {
        pushErrorTable(L, "wrong number or type of arguments");
        return 1;
      }
      lua.lua_createtable(L, 0, 1);
      lua.lua_pushvalue(L, -2);
      lua.lua_setfield(L, -2, "ok");
      return 1;
    });
    fn("log", (L) => {
      const argc = lua.lua_gettop(L);
      if (argc < 2) return raiseTable(L, "redis.log() requires two arguments or more.");
      if (!lua.lua_isnumber(L, 1)) return raiseTable(L, "First argument must be a number (log level).");
      const level = Math.trunc(lua.lua_tonumber(L, 1));
      if (level < 0 || level > 3) return raiseTable(L, "Invalid debug level.");
      const parts: string[] = [];
      for (let j = 2; j <= argc; j++) {
        const s = lua.lua_type(L, j) === lua.LUA_TNUMBER ? formatG(lua.lua_tonumber(L, j), 14) : toBytes(L, j);
        if (s !== null) parts.push(s);
      }
      this.host?.log(level, parts.join(" "));
      return 0;
    });
    fn("setresp", (L) => {
      if (this.host === null) return raiseTable(L, "redis.setresp can only be called inside a script invocation");
      if (lua.lua_gettop(L) !== 1) return raiseTable(L, "redis.setresp() requires one argument.");
      const resp = Math.trunc(lua.lua_tonumber(L, 1));
      if (resp !== 2 && resp !== 3) return raiseTable(L, "RESP version must be 2 or 3.");
      this.host.setResp(resp);
      return 0;
    });
    fn("set_repl", (L) => {
      if (this.host === null) return raiseTable(L, "redis.set_repl can only be called inside a script invocation");
      if (lua.lua_gettop(L) !== 1) return raiseTable(L, "redis.set_repl() requires two arguments.");
      const flags = Math.trunc(lua.lua_tonumber(L, -1));
      if ((flags & ~3) !== 0)
        return raiseTable(L, "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.");
      this.host.setRepl(flags);
      return 0;
    });
    fn("replicate_commands", (L) => {
      lua.lua_pushboolean(L, true);
      return 1;
    });
    fn("breakpoint", (L) => {
      lua.lua_pushboolean(L, false);
      return 1;
    });
    fn("debug", () => 0);
    fn("acl_check_cmd", (L) => {
      if (this.host === null) return raiseTable(L, "redis.acl_check_cmd can only be called inside a script invocation");
      const argv = argsToArgv(L);
      if (argv === null) return lua.lua_error(L);
      // One user with every permission: a command the engine knows is allowed.
      const reply = this.host.call(["COMMAND", "INFO", argv[0]], false);
      if (!Array.isArray(reply) || reply.length !== 1 || reply[0] === null)
        return raiseTable(L, "Invalid command passed to redis.acl_check_cmd()");
      lua.lua_pushboolean(L, true);
      return 1;
    });
    for (const [k, v] of Object.entries(LOG_LEVELS)) {
      lua.lua_pushnumber(L, v);
      lua.lua_setfield(L, -2, k);
    }
    for (const [k, v] of Object.entries(REPL_FLAGS)) {
      lua.lua_pushnumber(L, v);
      lua.lua_setfield(L, -2, k);
    }
    lua.lua_pushnumber(L, REDIS_VERSION_NUM);
    lua.lua_setfield(L, -2, "REDIS_VERSION_NUM");
    lua.lua_pushstring(L, REDIS_VERSION);
    lua.lua_setfield(L, -2, "REDIS_VERSION");
    lua.lua_setglobal(L, "redis");
  }

  /** redis.call / redis.pcall. */
  private redisCall(L: LuaState, raise: boolean): number {
    const host = this.host;
    if (host === null) return raiseTable(L, "redis.call/pcall can only be called inside a script invocation");
    const argv = argsToArgv(L);
    if (argv === null) return raise ? lua.lua_error(L) : 1;
    let reply: Reply;
    const prev = setRunningState(null);
    try {
      reply = host.call(argv, raise);
    } finally {
      setRunningState(prev);
    }
    if (reply !== null && typeof reply === "object" && !Array.isArray(reply) && "error" in reply) {
      pushErrTable(L, scriptCallError(reply.error));
      return raise ? lua.lua_error(L) : 1;
    }
    replyToLua(L, reply);
    return 1;
  }

  /**
   * Redis's error handler: a string error becomes {err="ERR <msg>"}; the table gets the source
   * and line of the Lua code that raised it (skipping a C function such as redis.call or error).
   */
  private installErrorHandler(L: LuaState): void {
    const handler = (L: LuaState): number => {
      const ar = new lua.lua_Debug();
      let have = lua.lua_getstack(L, 1, ar) && lua.lua_getinfo(L, "nSl", ar);
      if (have && ar.what !== null && (fromLuaBytes(ar.what) === "C" || fromLuaBytes(ar.what) === "J")) {
        have = lua.lua_getstack(L, 2, ar) && lua.lua_getinfo(L, "nSl", ar);
      }
      if (lua.lua_type(L, 1) !== lua.LUA_TTABLE) {
        const msg = lua.lua_type(L, 1) === lua.LUA_TSTRING ? luaMessage51(toBytes(L, 1)!) : toStringLua(L, 1);
        lua.lua_createtable(L, 0, 3);
        lua.lua_pushstring(L, toLuaBytes(`ERR ${msg}`));
        lua.lua_setfield(L, -2, "err");
        lua.lua_replace(L, 1);
      }
      lua.lua_settop(L, 1);
      if (have) {
        const errTable = tableAt(L, 1);
        const ro = errTable.readonly;
        setReadonly(errTable, false);
        lua.lua_pushstring(L, ar.source);
        lua.lua_setfield(L, 1, "source");
        lua.lua_pushnumber(L, ar.currentline);
        lua.lua_setfield(L, 1, "line");
        setReadonly(errTable, !!ro);
      }
      return 1;
    };
    lua.lua_pushcfunction(L, handler);
    lua.lua_pushvalue(L, -1);
    lua.lua_setglobal(L, "__redis__err__handler");
    lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, "__redis__err__handler");
  }

  /** Redis's pcall: an error table {err=…} caught comes back as its err string. */
  private installPcall(L: LuaState): void {
    lua.lua_pushcfunction(L, (L: LuaState) => {
      const argc = lua.lua_gettop(L);
      lauxlib.luaL_checkany(L, 1);
      lua.lua_pushboolean(L, true);
      lua.lua_insert(L, 1);
      if (lua.lua_pcall(L, argc - 1, lua.LUA_MULTRET, 0) !== lua.LUA_OK) {
        lua.lua_remove(L, 1);
        if (lua.lua_istable(L, -1)) {
          lua.lua_getfield(L, -1, "err");
          if (lua.lua_isstring(L, -1)) lua.lua_replace(L, -2);
          else lua.lua_pop(L, 1);
        } else if (lua.lua_type(L, -1) === lua.LUA_TSTRING) {
          lua.lua_pushstring(L, toLuaBytes(luaMessage51(toBytes(L, -1)!)));
          lua.lua_replace(L, -2);
        }
        lua.lua_pushboolean(L, false);
        lua.lua_insert(L, 1);
      }
      return lua.lua_gettop(L);
    });
    lua.lua_setglobal(L, "pcall");
  }

  // --- LuaVm -------------------------------------------------------------------------------

  compile(source: string, chunkName: string, scriptName?: string): LuaFunctionRef | { error: string } {
    const L = this.L;
    const bytes = toLuaBytes(blankShebang(source));
    const status = lauxlib.luaL_loadbuffer(L, bytes, bytes.length, toLuaBytes(`@${chunkName}`));
    if (status !== lua.LUA_OK) {
      const msg = compileMessage(toBytes(L, -1) ?? "");
      lua.lua_pop(L, 1);
      return { error: `ERR Error compiling script (new function): ${msg}` };
    }
    return this.register(L, lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX), scriptName ?? sha1hex(source));
  }

  run(fn: LuaFunctionRef, opts: RunOptions): RunResult {
    const compiled = this.compiled.get(fn.id);
    if (compiled === undefined || compiled.L !== this.L) return { error: "ERR internal error: no such compiled script" };
    setGlobalArray(this.L, "KEYS", opts.keys);
    setGlobalArray(this.L, "ARGV", opts.args);
    return this.invoke(compiled, opts, 0);
  }

  callFunction(fn: LuaFunctionRef, opts: RunOptions): RunResult {
    const compiled = this.compiled.get(fn.id);
    if (compiled === undefined || compiled.L !== this.F) return { error: "ERR internal error: no such function" };
    pushArray(compiled.L, opts.keys);
    pushArray(compiled.L, opts.args);
    return this.invoke(compiled, opts, 2);
  }

  loadLibrary(source: string, _libraryName: string, host: ScriptHost): { error: string } | null {
    const L = this.functionsState();
    const bytes = toLuaBytes(blankShebang(source));
    this.setFunctionGlobals(L, "__library_api__");
    try {
      const status = lauxlib.luaL_loadbuffer(L, bytes, bytes.length, toLuaBytes("@user_function"));
      if (status !== lua.LUA_OK) {
        const msg = compileMessage(toBytes(L, -1) ?? "");
        lua.lua_pop(L, 1);
        return { error: `ERR Error compiling function: ${msg}` };
      }
      this.host = host;
      this.loading = true;
      let budget = LOAD_INSTRUCTION_LIMIT;
      let timedOut = false;
      const hook = (L: LuaState) => {
        budget -= HOOK_EVERY;
        if (timedOut || budget <= 0) {
          timedOut = true;
          lua.lua_sethook(L, hook, lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
          raiseTable(L, "FUNCTION LOAD timeout");
        }
      };
      lua.lua_sethook(L, hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
      const prevState = setRunningState(L);
      const prevGuard = heapGuard.onStep;
      heapGuard.onStep = this.heapStep;
      allocation.bytes = 0;
      let status2: number;
      try {
        status2 = lua.lua_pcall(L, 0, 0, 0);
      } finally {
        setRunningState(prevState);
        heapGuard.onStep = prevGuard;
        lua.lua_sethook(L, null, 0, 0);
        this.host = null;
        this.loading = false;
      }
      if (status2 !== lua.LUA_OK) {
        const msg = errorInfo(L).err;
        lua.lua_pop(L, 1);
        return { error: `ERR Error registering functions: ${msg}` };
      }
      return null;
    } finally {
      this.setFunctionGlobals(L, "__globals_api__");
    }
  }

  release(fn: LuaFunctionRef): void {
    const compiled = this.compiled.get(fn.id);
    if (compiled === undefined) return;
    this.compiled.delete(fn.id);
    lauxlib.luaL_unref(compiled.L, lua.LUA_REGISTRYINDEX, compiled.ref);
  }

  usedMemory(): number {
    // Measured when asked (INFO): a walk of what the states hold, EVAL's and the functions'.
    return measureReachable(stateRoots(this.L)) + (this.F === null ? 0 : measureReachable(stateRoots(this.F)));
  }

  reset(): void {
    for (const [id, c] of this.compiled) if (c.L === this.L) this.compiled.delete(id);
    this.L = this.newState();
  }

  // --- running -----------------------------------------------------------------------------

  /** Calls the compiled function with `nargs` arguments already on its state's stack. */
  private invoke(compiled: Compiled, opts: RunOptions, nargs: number): RunResult {
    const L = compiled.L;
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, "__redis__err__handler");
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, compiled.ref);
    if (nargs > 0) {
      // stack: args…, handler, fn → handler, fn, args…
      lua.lua_rotate(L, -(nargs + 2), 2);
    }
    const base = lua.lua_gettop(L) - nargs - 1; // the handler's index
    this.host = opts.host;
    this.killed = null;
    this.onHook = opts.onHook;
    lua.lua_sethook(L, this.hook, lua.LUA_MASKCOUNT, HOOK_EVERY);
    const prevState = setRunningState(L);
    const prevGuard = heapGuard.onStep;
    heapGuard.onStep = this.heapStep;
    allocation.bytes = 0;
    allocation.concat = 0;
    let status: number;
    try {
      status = lua.lua_pcall(L, nargs, 1, base);
    } finally {
      setRunningState(prevState);
      heapGuard.onStep = prevGuard;
      lua.lua_sethook(L, null, 0, 0);
      this.host = null;
      this.onHook = undefined;
    }
    let result: RunResult;
    if (status !== lua.LUA_OK) {
      result = errorResult(L, compiled.name);
    } else {
      result = luaToReply(L, -1);
    }
    lua.lua_settop(L, base - 1);
    return result;
  }

  private hook = (L: LuaState): void => {
    allocation.concat = 0;
    if (this.killed === null) {
      const stop = this.onHook?.();
      if (!stop) return;
      this.killed = stop;
      // As Redis: from now on the hook fires at every line, so a pcall cannot swallow the kill.
      lua.lua_sethook(L, this.hook, lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
    }
    lua.lua_checkstack(L, 4);
    pushErrTable(L, this.killed);
    lua.lua_error(L);
  };
}

/** The shebang line (#!lua …) is the caller's: blanked, its line feed kept so line numbers stay. */
function blankShebang(source: string): string {
  if (!source.startsWith("#!")) return source;
  const nl = source.indexOf("\n");
  return nl === -1 ? "" : source.slice(nl);
}

function setErrorMetatable(L: LuaState): void {
  lua.lua_createtable(L, 0, 1);
  lua.lua_pushcfunction(L, (L: LuaState) => {
    const name = toBytes(L, 2) ?? "";
    return raiseError(L, `Script attempted to access nonexistent global variable '${name}'`);
  });
  lua.lua_setfield(L, -2, "__index");
  lua.lua_setmetatable(L, -2);
}

function setGlobalArray(L: LuaState, name: string, items: string[]): void {
  lua.lua_pushglobaltable(L);
  const globals = tableAt(L, -1);
  pushArray(L, items);
  setReadonly(globals, false);
  lua.lua_setfield(L, -2, name);
  setReadonly(globals, true);
  lua.lua_pop(L, 1);
}

/**
 * Lua 5.3's parser says `near <eof>` and `<eof> expected`; 5.1's (Redis) quotes both (`near '<eof>'`,
 * `'<name>' expected`), and has no "(starting at line N)".
 */
function compileMessage(msg: string): string {
  return msg
    .replace(/ near <eof>$/, " near '<eof>'")
    .replace(/(^|: )(<eof>|<name>|<string>|<number>|<integer>) expected/, "$1'$2' expected")
    .replace(/ \(starting at line \d+\)/, "");
}

/** Redis's luaExtractErrorInformation of the error on top: a string is "ERR <it>", a table gives err/source/line. */
function errorInfo(L: LuaState): { err: string; source: string | null; line: string | null } {
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
    return { err: `ERR ${toBytes(L, -1) ?? "unknown error"}`, source: null, line: null };
  }
  const field = (k: string): string | null => {
    lua.lua_getfield(L, -1, k);
    const v = lua.lua_isstring(L, -1) ? toBytes(L, -1) : null;
    lua.lua_pop(L, 1);
    return v;
  };
  return { err: field("err") ?? "ERR unknown error", source: field("source"), line: field("line") };
}

/** The error reply for a failed run: Redis's "<err> script: <name>, on <source>:<line>." */
function errorResult(L: LuaState, name: string): RunResult {
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
    const msg = toBytes(L, -1) ?? "execution failure";
    return { error: `ERR Error running script ${name}, ${msg.slice(0, 100)}`.replace(/[\r\n]/g, " ") };
  }
  const { err, source, line } = errorInfo(L);
  let text = err;
  if (source !== null && line !== null) text += ` script: ${name}, on ${source}:${line}.`;
  return { error: text.replace(/[\r\n]/g, " ") };
}

/** Raises {err=…} with Redis's luaPushError normalisation. */
function raiseTable(L: LuaState, message: string): never {
  lua.lua_checkstack(L, 4);
  pushErrorTable(L, message);
  lua.lua_error(L);
  throw new Error("unreachable");
}

/** redis.call's arguments as byte strings; null (with an error table pushed) if one is not a string or number. */
function argsToArgv(L: LuaState): string[] | null {
  const argc = lua.lua_gettop(L);
  if (argc === 0) {
    pushErrorTable(L, "Please specify at least one argument for this redis lib call");
    return null;
  }
  const argv: string[] = new Array(argc);
  for (let j = 1; j <= argc; j++) {
    const t = lua.lua_type(L, j);
    if (t === lua.LUA_TNUMBER) argv[j - 1] = formatG(lua.lua_tonumber(L, j), 17);
    else if (t === lua.LUA_TSTRING) argv[j - 1] = fromLuaBytes(lua.lua_tolstring(L, j));
    else {
      pushErrorTable(L, "Lua redis lib command arguments must be strings or integers");
      return null;
    }
  }
  return argv;
}

/** fengari's Table object of the table at idx. */
function tableAt(L: LuaState, idx: number): any {
  lua.lua_pushvalue(L, idx);
  const t = L.stack[L.top - 1].value;
  lua.lua_pop(L, 1);
  return t;
}

function pushArray(L: LuaState, items: string[]): void {
  lua.lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushBytes(L, items[i]);
    lua.lua_rawseti(L, -2, i + 1);
  }
}

/** Makes the table at idx and every table reachable from it (and their metatables) read-only. */
function protectRecursively(L: LuaState, idx: number): void {
  const abs = lua.lua_absindex(L, idx);
  const t = tableAt(L, abs);
  if (t.readonly) return;
  setReadonly(t, true);
  lua.lua_pushnil(L);
  while (lua.lua_next(L, abs)) {
    if (lua.lua_istable(L, -1)) protectRecursively(L, -1);
    lua.lua_pop(L, 1);
  }
  if (lua.lua_getmetatable(L, abs)) {
    protectRecursively(L, -1);
    lua.lua_pop(L, 1);
  }
}

export const createLuaVm: CreateLuaVm = (random) => new FengariVm(random);
