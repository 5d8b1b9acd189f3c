// The boundary between the Lua VM (engine/lua/, which knows Lua and nothing of commands) and
// scripting (engine/commands/scripting.ts and engine/scripting/, which know commands and call the
// VM only through this file's types). Both sides build against it; change it in one commit that
// updates both.

import type { Reply } from "../reply.js";

/** What a script's redis.* functions reach; scripting implements it for each run. */
export interface ScriptHost {
  /**
   * redis.call / redis.pcall: runs one command (arguments as byte strings, already converted from
   * Lua by Redis's rules: strings as is, numbers as Redis formats them) and returns its reply.
   * An error the command answers comes back as an ErrorReply; redis.call raises it in Lua (with
   * Redis's formatting), redis.pcall returns it as a table {err=…}. Scripting decides what is
   * refused (scripting commands, blocking ones, writes in a read-only script, CROSSSLOT, OOM…)
   * and answers that as an ErrorReply too.
   */
  call(argv: string[], raise: boolean): Reply;
  /** redis.set_repl(flags); the REPL_* flags. */
  setRepl(flags: number): void;
  /** redis.setresp(2|3): the RESP version of the replies call() returns (3 maps, doubles, …). */
  setResp(version: 2 | 3): void;
  /** redis.log(level, message). */
  log(level: number, message: string): void;
  /**
   * redis.register_function inside a FUNCTION LOAD; absent (→ Redis's error) in EVAL. Returns an
   * error text for the VM to raise (a bad name or flag, a function registered twice: scripting checks
   * these, with Redis's texts), or nothing when registered. `flags` as the script gave them.
   */
  registerFunction?(name: string, fn: LuaFunctionRef, flags: string[], description?: string): string | void;
}

/** A Lua function kept alive in the VM's registry (a library's registered function). */
export interface LuaFunctionRef {
  readonly id: number;
}

export interface RunOptions {
  /** KEYS and ARGV as byte strings. */
  keys: string[];
  args: string[];
  host: ScriptHost;
  /**
   * Called by the instruction hook every `hookEvery` VM instructions; returning an error text
   * stops the script with it (busy-reply-threshold, SCRIPT KILL).
   */
  onHook?: () => string | null;
}

/** What running a script gives back: its return value as a Redis reply (Redis's Lua→RESP rules), or an error reply. */
export type RunResult = Reply;

/** A sandboxed Lua state with Redis's globals (redis, cjson, cmsgpack, bit, struct, KEYS/ARGV…). */
export interface LuaVm {
  /**
   * Compiles a script body as Redis does (`f_<sha>` for EVAL, the library for FUNCTION LOAD);
   * returns a handle or an error reply with Redis's "Error compiling script" text.
   * `chunkName` is what errors name: "user_script" for EVAL, the library's for functions.
   * `scriptName` is what a run's error suffix names (`… script: <scriptName>, on @user_script:1.`):
   * scripting passes the sha1 of the whole body, since `source` has a shebang line blanked (its line
   * feed kept, so line numbers stay the user's); without it, the sha1 of `source`.
   */
  compile(source: string, chunkName: string, scriptName?: string): LuaFunctionRef | { error: string };
  /** Runs a compiled script (EVAL) with KEYS/ARGV set as globals. */
  run(fn: LuaFunctionRef, opts: RunOptions): RunResult;
  /** Loads a library: runs its body once with only redis.register_function/log/… reachable (FUNCTION LOAD). */
  loadLibrary(source: string, libraryName: string, host: ScriptHost): { error: string } | null;
  /** Calls a registered function with (keys, args) tables (FCALL). */
  callFunction(fn: LuaFunctionRef, opts: RunOptions): RunResult;
  /** Drops a compiled script or function. */
  release(fn: LuaFunctionRef): void;
  /** An estimate of the VM's own heap, in bytes (for INFO used_memory_lua and its bound). */
  usedMemory(): number;
  /** Drops every script (SCRIPT FLUSH): a fresh state. */
  reset(): void;
  /** math.random's generator, to share with the next VM made (see CreateLuaVm). */
  readonly random: LuaRandom;
}

/** math.random's state: Redis has one per server, which EVAL and functions share and SCRIPT FLUSH keeps. */
export interface LuaRandom {
  seed(v: number): void;
  next(): number;
}

/** Makes a VM; give it another VM's `random` for the two to draw from one sequence. */
export type CreateLuaVm = (random?: LuaRandom) => LuaVm;
