// The standard library as Redis 7.0's Lua 5.1 shows it to scripts: fengari's 5.3 libraries less
// what 5.1 lacks or Redis removes (print, dofile, loadfile, rawlen, utf8, string.pack, table.move,
// math.type…), plus what 5.1 has and 5.3 dropped (unpack, loadstring, gcinfo, table.getn/maxn/
// foreach/foreachi/setn, math.mod/pow/ldexp/frexp/log10/cosh/sinh/tanh/atan2, string.gfind), and
// Redis's own math.random (a 48-bit LCG, one sequence per server, moved only by math.randomseed).

import {
  countAllocation,
  lauxlib,
  lbaselib,
  MAX_STRING_BYTES,
  outOfMemory,
  lcorolib,
  lmathlib,
  lstrlib,
  ltablib,
  lua,
  raiseError,
  toBytes,
  toLuaBytes,
  typeError,
  type LuaState,
} from "./fengari.js";
import type { LuaRandom } from "./api.js";
import { installFormat } from "./string-format.js";
import { formatG } from "./number-format.js";

/** tostring(v) of Lua 5.1 as a JS byte string. */
export function toStringLua(L: LuaState, idx: number): string {
  if (lua.lua_type(L, idx) === lua.LUA_TNUMBER) return numberToString(L, idx);
  // cjson.null is a NULL light userdata: glibc prints a null %p as "(nil)".
  if (lua.lua_type(L, idx) === lua.LUA_TLIGHTUSERDATA && lua.lua_touserdata(L, idx) === null) return "userdata: (nil)";
  lauxlib.luaL_tolstring(L, idx);
  const s = toBytes(L, -1)!;
  lua.lua_pop(L, 1);
  return s;
}

/** A table is read-only (Redis's patched Lua). */
function isReadonlyTable(L: LuaState, idx: number): boolean {
  lua.lua_pushvalue(L, idx);
  const ro = !!L.stack[L.top - 1].value.readonly;
  lua.lua_pop(L, 1);
  return ro;
}

/** A number as Lua 5.1 prints it (%.14g). */
export function numberToString(L: LuaState, idx: number): string {
  return lua.lua_isinteger(L, idx) ? String(lua.lua_tointeger(L, idx)) : formatG(lua.lua_tonumber(L, idx), 14);
}

type JsFn = (L: LuaState) => number;

function setFn(L: LuaState, name: string, f: JsFn): void {
  lua.lua_pushcfunction(L, f);
  lua.lua_setfield(L, -2, name);
}

function remove(L: LuaState, names: string[]): void {
  for (const n of names) {
    lua.lua_pushnil(L);
    lua.lua_setfield(L, -2, n);
  }
}

/** Copies field `from` of the table on top to field `to`. */
function alias(L: LuaState, from: string, to: string): void {
  lua.lua_getfield(L, -1, from);
  lua.lua_setfield(L, -2, to);
}

/**
 * Redis's redisLrand48: X ← (0x5DEECE66D·X + 0xB) mod 2^48, the top 31 bits. Its state starts at
 * 0x1234ABCD330E and is never reset but by math.randomseed (one state per server, as Redis's).
 */
export class Lrand48 implements LuaRandom {
  private x = 0x1234abcd330en;
  seed(v: number): void {
    const s = BigInt(v | 0) & 0xffffffffn;
    this.x = (s << 16n) | 0x330en;
  }
  next(): number {
    this.x = (this.x * 0x5deece66dn + 0xbn) & 0xffffffffffffn;
    return Number(this.x >> 17n);
  }
}

const LRAND48_MAX = 2147483647;

/** Opens the libraries into L's globals. `inScript` tells whether a script is running (math.random's check). */
export function openStdlib(L: LuaState, inScript: () => boolean, rand: LuaRandom, heapBytes: () => number): void {
  lauxlib.luaL_requiref(L, "_G", lbaselib.luaopen_base, 1);
  remove(L, ["print", "dofile", "loadfile", "rawlen"]);
  setFn(L, "error", (L) => {
    const level = lua.lua_isnoneornil(L, 2) ? 1 : Math.trunc(lauxlib.luaL_checknumber(L, 2));
    lua.lua_settop(L, 1);
    if (lua.lua_isstring(L, 1) && level > 0) {
      lauxlib.luaL_where(L, level);
      lua.lua_pushvalue(L, 1);
      lua.lua_concat(L, 2);
    }
    return lua.lua_error(L);
  });
  setFn(L, "assert", (L) => {
    lauxlib.luaL_checkany(L, 1);
    if (!lua.lua_toboolean(L, 1)) {
      let msg = "assertion failed!";
      if (!lua.lua_isnoneornil(L, 2)) {
        if (!lua.lua_isstring(L, 2)) typeError(L, 2, "string");
        msg = lua.lua_type(L, 2) === lua.LUA_TNUMBER ? numberToString(L, 2) : toBytes(L, 2)!;
      }
      return raiseError(L, msg);
    }
    return lua.lua_gettop(L);
  });
  setFn(L, "setmetatable", (L) => {
    const t = lua.lua_type(L, 2);
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lauxlib.luaL_argcheck(L, t === lua.LUA_TNIL || t === lua.LUA_TTABLE, 2, "nil or table expected");
    if (lauxlib.luaL_getmetafield(L, 1, "__metatable") !== lua.LUA_TNIL) return raiseError(L, "cannot change a protected metatable");
    if (isReadonlyTable(L, 1)) {
      lua.lua_pushstring(L, "Attempt to modify a readonly table");
      return lua.lua_error(L);
    }
    lua.lua_settop(L, 2);
    lua.lua_setmetatable(L, 1);
    return 1;
  });
  lua.lua_getfield(L, -1, "load");
  const load53 = lua.lua_tocfunction(L, -1);
  lua.lua_pop(L, 1);
  setFn(L, "load", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TFUNCTION);
    lua.lua_settop(L, 2);
    return load53(L);
  });
  setFn(L, "collectgarbage", (L) => {
    const opts = ["stop", "restart", "collect", "count", "step", "setpause", "setstepmul"];
    const o = lauxlib.luaL_checkoption(L, 1, "collect", opts.map((s) => toLuaBytes(s)));
    if (opts[o] === "count") lua.lua_pushnumber(L, heapBytes() / 1024);
    else if (opts[o] === "step") lua.lua_pushboolean(L, false);
    else lua.lua_pushnumber(L, 0);
    return 1;
  });
  lua.lua_pushstring(L, "Lua 5.1");
  lua.lua_setfield(L, -2, "_VERSION");
  setFn(L, "loadstring", (L) => {
    const s = lauxlib.luaL_checklstring(L, 1);
    const chunkname = lauxlib.luaL_optlstring(L, 2, s);
    const status = lauxlib.luaL_loadbufferx(L, s, s.length, chunkname, toLuaBytes("t"));
    if (status === lua.LUA_OK) return 1;
    lua.lua_pushnil(L);
    lua.lua_insert(L, -2);
    return 2;
  });
  setFn(L, "tostring", (L) => {
    lauxlib.luaL_checkany(L, 1);
    if (lua.lua_type(L, 1) === lua.LUA_TNUMBER) lua.lua_pushstring(L, numberToString(L, 1));
    // cjson.null is a NULL light userdata: glibc prints a null %p as "(nil)".
    else if (lua.lua_type(L, 1) === lua.LUA_TLIGHTUSERDATA && lua.lua_touserdata(L, 1) === null) lua.lua_pushliteral(L, "userdata: (nil)");
    else lauxlib.luaL_tolstring(L, 1);
    return 1;
  });
  // 5.1's tonumber reads base 10 with strtod, which also takes inf, infinity and nan (any case, signed);
  // 5.3's refuses them. The rest is the same, so only those are answered here.
  lua.lua_getfield(L, -1, "tonumber");
  lua.lua_pushcclosure(
    L,
    (L: LuaState) => {
      if (lua.lua_type(L, 1) === lua.LUA_TSTRING && lua.lua_isnoneornil(L, 2)) {
        const m = /^[ \t\n\v\f\r]*([+-]?)(inf|infinity|nan)[ \t\n\v\f\r]*$/i.exec(toBytes(L, 1) ?? "");
        if (m) {
          const v = m[2].toLowerCase() === "nan" ? NaN : Infinity;
          lua.lua_pushnumber(L, m[1] === "-" ? -v : v);
          return 1;
        }
      }
      lua.lua_pushvalue(L, lua.lua_upvalueindex(1));
      lua.lua_insert(L, 1);
      lua.lua_call(L, lua.lua_gettop(L) - 1, 1);
      return 1;
    },
    1,
  );
  lua.lua_setfield(L, -2, "tonumber");
  setFn(L, "gcinfo", (L) => {
    lua.lua_pushnumber(L, Math.floor(heapBytes() / 1024));
    return 1;
  });
  lua.lua_pop(L, 1);

  lauxlib.luaL_requiref(L, "table", ltablib.luaopen_table, 1);
  alias(L, "unpack", "__unpack");
  lua.lua_getfield(L, -1, "unpack");
  lua.lua_setglobal(L, "unpack");
  remove(L, ["move", "pack", "unpack", "__unpack"]);
  setFn(L, "getn", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lua.lua_pushnumber(L, lua.lua_rawlen(L, 1));
    return 1;
  });
  setFn(L, "setn", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    return raiseError(L, "'setn' is obsolete");
  });
  setFn(L, "maxn", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    let max = 0;
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1)) {
      lua.lua_pop(L, 1);
      if (lua.lua_type(L, -1) === lua.LUA_TNUMBER) {
        const v = lua.lua_tonumber(L, -1);
        if (v > max) max = v;
      }
    }
    lua.lua_pushnumber(L, max);
    return 1;
  });
  setFn(L, "foreach", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
    lua.lua_pushnil(L);
    while (lua.lua_next(L, 1)) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushvalue(L, -3);
      lua.lua_pushvalue(L, -3);
      lua.lua_call(L, 2, 1);
      if (!lua.lua_isnil(L, -1)) return 1;
      lua.lua_pop(L, 2);
    }
    return 0;
  });
  setFn(L, "foreachi", (L) => {
    lauxlib.luaL_checktype(L, 1, lua.LUA_TTABLE);
    lauxlib.luaL_checktype(L, 2, lua.LUA_TFUNCTION);
    const n = lua.lua_rawlen(L, 1);
    for (let i = 1; i <= n; i++) {
      lua.lua_pushvalue(L, 2);
      lua.lua_pushnumber(L, i);
      lua.lua_rawgeti(L, 1, i);
      lua.lua_call(L, 2, 1);
      if (!lua.lua_isnil(L, -1)) return 1;
      lua.lua_pop(L, 1);
    }
    return 0;
  });
  lua.lua_pop(L, 1);

  lauxlib.luaL_requiref(L, "string", lstrlib.luaopen_string, 1);
  remove(L, ["pack", "packsize", "unpack"]);
  alias(L, "gmatch", "gfind");
  // gsub with a string replacement: refuse before building more than a string may hold.
  lua.lua_getfield(L, -1, "gsub");
  const gsub53 = lua.lua_tocfunction(L, -1);
  lua.lua_pop(L, 1);
  setFn(L, "gsub", (L) => {
    if (lua.lua_type(L, 3) === lua.LUA_TSTRING || lua.lua_type(L, 3) === lua.LUA_TNUMBER) {
      const len = lua.lua_rawlen(L, 1) || (toBytes(L, 1)?.length ?? 0);
      const repl = lua.lua_rawlen(L, 3) || (toBytes(L, 3)?.length ?? 0);
      if ((len + 1) * repl > MAX_STRING_BYTES) {
        // Count the matches first (with an empty replacement), then bound the result.
        const top = lua.lua_gettop(L);
        lua.lua_pushcfunction(L, gsub53);
        for (let i = 1; i <= top; i++) {
          if (i === 3) lua.lua_pushstring(L, "");
          else lua.lua_pushvalue(L, i);
        }
        lua.lua_call(L, top, 2);
        const matches = lua.lua_tonumber(L, -1);
        lua.lua_pop(L, 2);
        if (len + matches * repl > MAX_STRING_BYTES) return outOfMemory(L);
      }
    }
    return gsub53(L);
  });
  installFormat(L);
  setFn(L, "rep", (L) => {
    lauxlib.luaL_checklstring(L, 1);
    const s = toBytes(L, 1)!;
    const n = Math.trunc(lauxlib.luaL_checknumber(L, 2));
    if (n <= 0 || s.length === 0) {
      lua.lua_pushstring(L, "");
      return 1;
    }
    if (s.length * n > MAX_STRING_BYTES) return outOfMemory(L);
    countAllocation(s.length * n);
    const out = s.repeat(n);
    lua.lua_pushlstring(L, toLuaBytes(out), out.length);
    return 1;
  });
  setFn(L, "char", (L) => {
    const n = lua.lua_gettop(L);
    const bytes = new Uint8Array(n);
    for (let i = 1; i <= n; i++) {
      const c = Math.trunc(lauxlib.luaL_checknumber(L, i));
      lauxlib.luaL_argcheck(L, (c & 0xff) === c, i, "invalid value");
      bytes[i - 1] = c;
    }
    lua.lua_pushlstring(L, bytes, n);
    return 1;
  });
  lua.lua_pop(L, 1);

  lauxlib.luaL_requiref(L, "math", lmathlib.luaopen_math, 1);
  remove(L, ["type", "tointeger", "ult", "maxinteger", "mininteger"]);
  alias(L, "fmod", "mod");
  const num1 = (name: string, f: (x: number) => number) =>
    setFn(L, name, (L) => {
      lua.lua_pushnumber(L, f(lauxlib.luaL_checknumber(L, 1)));
      return 1;
    });
  for (const [name, pick] of [["max", Math.max], ["min", Math.min]] as const) {
    setFn(L, name, (L) => {
      const n = lua.lua_gettop(L);
      let m = lauxlib.luaL_checknumber(L, 1);
      for (let i = 2; i <= n; i++) {
        const v = lauxlib.luaL_checknumber(L, i);
        if (pick(v, m) === v && v !== m) m = v;
      }
      lua.lua_pushnumber(L, m);
      return 1;
    });
  }
  num1("floor", Math.floor);
  num1("ceil", Math.ceil);
  num1("cosh", Math.cosh);
  num1("sinh", Math.sinh);
  num1("tanh", Math.tanh);
  num1("log10", Math.log10);
  setFn(L, "pow", (L) => {
    lua.lua_pushnumber(L, Math.pow(lauxlib.luaL_checknumber(L, 1), lauxlib.luaL_checknumber(L, 2)));
    return 1;
  });
  setFn(L, "atan2", (L) => {
    lua.lua_pushnumber(L, Math.atan2(lauxlib.luaL_checknumber(L, 1), lauxlib.luaL_checknumber(L, 2)));
    return 1;
  });
  setFn(L, "ldexp", (L) => {
    lua.lua_pushnumber(L, lauxlib.luaL_checknumber(L, 1) * Math.pow(2, Math.trunc(lauxlib.luaL_checknumber(L, 2))));
    return 1;
  });
  setFn(L, "frexp", (L) => {
    const x = lauxlib.luaL_checknumber(L, 1);
    if (x === 0 || !Number.isFinite(x)) {
      lua.lua_pushnumber(L, x);
      lua.lua_pushnumber(L, 0);
      return 2;
    }
    let e = Math.max(-1073, Math.floor(Math.log2(Math.abs(x))) + 1);
    let m = x * Math.pow(2, -e);
    while (Math.abs(m) < 0.5) { m *= 2; e--; }
    while (Math.abs(m) >= 1) { m /= 2; e++; }
    lua.lua_pushnumber(L, m);
    lua.lua_pushnumber(L, e);
    return 2;
  });
  setFn(L, "random", (L) => {
    if (!inScript()) return raiseError(L, "math.random can only be called inside a script invocation");
    const r = (rand.next() % LRAND48_MAX) / LRAND48_MAX;
    switch (lua.lua_gettop(L)) {
      case 0:
        lua.lua_pushnumber(L, r);
        break;
      case 1: {
        const u = checkInt(L, 1);
        lauxlib.luaL_argcheck(L, 1 <= u, 1, "interval is empty");
        lua.lua_pushnumber(L, Math.floor(r * u) + 1);
        break;
      }
      case 2: {
        const l = checkInt(L, 1);
        const u = checkInt(L, 2);
        lauxlib.luaL_argcheck(L, l <= u, 2, "interval is empty");
        lua.lua_pushnumber(L, Math.floor(r * (u - l + 1)) + l);
        break;
      }
      default:
        return raiseError(L, "wrong number of arguments");
    }
    return 1;
  });
  setFn(L, "randomseed", (L) => {
    rand.seed(checkInt(L, 1));
    return 0;
  });
  lua.lua_pop(L, 1);

  lauxlib.luaL_requiref(L, "coroutine", lcorolib.luaopen_coroutine, 1);
  remove(L, ["isyieldable"]);
  lua.lua_pop(L, 1);

  // No module table: errors name functions as 5.1 does ('rep', or '?' through pcall), not 'string.rep'.
  lua.lua_createtable(L, 0, 0);
  lua.lua_setfield(L, lua.LUA_REGISTRYINDEX, "_LOADED");
}

/** luaL_checkint of 5.1: a number truncated to a C int. */
function checkInt(L: LuaState, arg: number): number {
  return lauxlib.luaL_checknumber(L, arg) | 0;
}
