// The Lua VM scripts run in: a fengari state set up as Redis 7.0 sets up its Lua 5.1 (the globals,
// the redis table, the libraries, the sandbox), with Redis's conversions both ways and its error
// texts. Implements the contract in api.ts; knows nothing of commands.

import type { Reply } from "../reply.js";
import type { CreateLuaVm, LuaFunctionRef, LuaVm, RunOptions, RunResult, ScriptHost } from "./api.js";
import {
  fromLuaBytes,
  installPatches,
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
import { Lrand48, openStdlib } from "./stdlib.js";
import { formatG } from "./number-format.js";
import { luaToReply, pushErrTable, pushErrorTable, replyToLua } from "./convert.js";

/** The instruction hook's period: onHook runs every this many VM instructions. */
export const HOOK_EVERY = 10_000;

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
  /** What errors name after "script:": the SHA for EVAL, the function's name for FCALL. */
  name: string;
}

class FengariVm implements LuaVm {
  private L: LuaState;
  private host: ScriptHost | null = null;
  private compiled = new Map<number, Compiled>();
  private globals: any;
  private killed: string | null = null;
  private onHook: (() => string | null) | undefined;
  private rand = new Lrand48();

  constructor() {
    installPatches();
    this.L = this.newState();
  }

  // --- setup -------------------------------------------------------------------------------

  private newState(): LuaState {
    const L = lauxlib.luaL_newstate();
    openStdlib(L, () => this.host !== null, this.rand);
    this.openRedis(L);
    this.installErrorHandler(L);
    this.installPcall(L);
    // Lock the globals: reading a missing one raises, writing any table reachable from them raises.
    lua.lua_pushglobaltable(L);
    lua.lua_createtable(L, 0, 1);
    lua.lua_pushcfunction(L, (L: LuaState) => {
      const name = toBytes(L, 2) ?? "";
      return raiseError(L, `Script attempted to access nonexistent global variable '${name}'`);
    });
    lua.lua_setfield(L, -2, "__index");
    lua.lua_setmetatable(L, -2);
    this.globals = tableAt(L, -1);
    protectRecursively(L, -1);
    lua.lua_pop(L, 1);
    return L;
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
        const msg = lauxlib.luaL_tolstring(L, 1);
        lua.lua_pop(L, 1);
        lua.lua_createtable(L, 0, 3);
        lua.lua_pushstring(L, toLuaBytes(`ERR ${fromLuaBytes(msg)}`));
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
        }
        lua.lua_pushboolean(L, false);
        lua.lua_insert(L, 1);
      }
      return lua.lua_gettop(L);
    });
    lua.lua_setglobal(L, "pcall");
  }

  // --- LuaVm -------------------------------------------------------------------------------

  compile(source: string, chunkName: string): LuaFunctionRef | { error: string } {
    const L = this.L;
    const name = sha1hex(source);
    // A shebang line (#!lua flags=…) is the caller's; the body keeps its line numbers.
    const body = source.startsWith("#!") ? source.slice(source.indexOf("\n") === -1 ? source.length : source.indexOf("\n")) : source;
    const bytes = toLuaBytes(body);
    const status = lauxlib.luaL_loadbuffer(L, bytes, bytes.length, toLuaBytes(`@${chunkName}`));
    if (status !== lua.LUA_OK) {
      const msg = compileMessage(toBytes(L, -1) ?? "");
      lua.lua_pop(L, 1);
      return { error: `ERR Error compiling script (new function): ${msg}` };
    }
    const id = lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX);
    this.compiled.set(id, { name });
    return { id };
  }

  run(fn: LuaFunctionRef, opts: RunOptions): RunResult {
    const L = this.L;
    this.setGlobalArray("KEYS", opts.keys);
    this.setGlobalArray("ARGV", opts.args);
    return this.invoke(fn, opts, 0);
  }

  callFunction(fn: LuaFunctionRef, opts: RunOptions): RunResult {
    const L = this.L;
    pushArray(L, opts.keys);
    pushArray(L, opts.args);
    return this.invoke(fn, opts, 2);
  }

  loadLibrary(_source: string, _libraryName: string, _host: ScriptHost): { error: string } | null {
    return { error: "ERR Functions are not supported yet" };
  }

  release(fn: LuaFunctionRef): void {
    if (!this.compiled.delete(fn.id)) return;
    lauxlib.luaL_unref(this.L, lua.LUA_REGISTRYINDEX, fn.id);
  }

  usedMemory(): number {
    return 0;
  }

  reset(): void {
    this.compiled.clear();
    this.L = this.newState();
  }

  // --- running -----------------------------------------------------------------------------

  private setGlobalArray(name: string, items: string[]): void {
    const L = this.L;
    pushArray(L, items);
    setReadonly(this.globals, false);
    lua.lua_setglobal(L, name);
    setReadonly(this.globals, true);
  }

  /** Calls the compiled function with `nargs` arguments already on the stack. */
  private invoke(fn: LuaFunctionRef, opts: RunOptions, nargs: number): RunResult {
    const L = this.L;
    const compiled = this.compiled.get(fn.id);
    if (compiled === undefined) {
      lua.lua_pop(L, nargs);
      return { error: "ERR internal error: no such compiled script" };
    }
    lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, "__redis__err__handler");
    lua.lua_rawgeti(L, lua.LUA_REGISTRYINDEX, fn.id);
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
    let status: number;
    try {
      status = lua.lua_pcall(L, nargs, 1, base);
    } finally {
      setRunningState(prevState);
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
    if (this.killed !== null) {
      raiseTable(L, this.killed);
      return;
    }
    const stop = this.onHook?.();
    if (stop) {
      this.killed = stop;
      // As Redis: from now on the hook fires at every line, so a pcall cannot swallow the kill.
      lua.lua_sethook(L, this.hook, lua.LUA_MASKLINE | lua.LUA_MASKCOUNT, 1);
      raiseTable(L, stop);
    }
  };
}

/** Lua 5.3's parser says `near <eof>`; 5.1's (Redis) says `near '<eof>'`. */
function compileMessage(msg: string): string {
  return msg.replace(/ near <eof>$/, " near '<eof>'");
}

/** The error reply for a failed run: Redis's "<err> script: <name>, on <source>:<line>." */
function errorResult(L: LuaState, name: string): RunResult {
  if (lua.lua_type(L, -1) !== lua.LUA_TTABLE) {
    const msg = toBytes(L, -1) ?? "execution failure";
    return { error: `ERR Error running script ${name}, ${msg.slice(0, 100)}`.replace(/[\r\n]/g, " ") };
  }
  const field = (k: string): string | null => {
    lua.lua_getfield(L, -1, k);
    const v = lua.lua_isstring(L, -1) ? toBytes(L, -1) : null;
    lua.lua_pop(L, 1);
    return v;
  };
  const err = field("err") ?? "ERR unknown error";
  const source = field("source");
  const line = field("line");
  let text = err;
  if (source !== null && line !== null) text += ` script: ${name}, on ${source}:${line}.`;
  return { error: text.replace(/[\r\n]/g, " ") };
}

/** Raises {err=…} with Redis's luaPushError normalisation. */
function raiseTable(L: LuaState, message: string): never {
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

export const createLuaVm: CreateLuaVm = () => new FengariVm();
