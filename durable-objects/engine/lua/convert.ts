// Redis's conversions between replies and Lua values (RESP2, as script_lua.c does them).
// Redis → Lua: integer → number, bulk → string, nil bulk / nil array → false, status → {ok=…},
// error → {err=…}, array → table. Lua → Redis: number → integer (truncated), string → bulk,
// true → 1, false/nil → nil, {err=…} → error, {ok=…} → status, a table → array up to its first nil.

import type { Reply } from "../reply.js";
import { fromLuaBytes, lua, pushBytes, rawFieldValue, type LuaState } from "./fengari.js";
import { formatG } from "./number-format.js";

/** Nesting past this answers Redis's "reached lua stack limit" (a table that contains itself). */
const MAX_DEPTH = 1000;

/** Pushes {err=text} as is (an error reply of a command). */
export function pushErrTable(L: LuaState, text: string): void {
  lua.lua_createtable(L, 0, 1);
  pushBytes(L, text);
  lua.lua_setfield(L, -2, "err");
}

/**
 * Pushes {err=…} as Redis's luaPushError builds it: "-CODE msg" keeps its code, anything else
 * gets "ERR "; newlines at either end are trimmed.
 */
export function pushErrorTable(L: LuaState, text: string): void {
  let code = "ERR";
  let msg = text;
  if (text.startsWith("-")) {
    const sp = text.indexOf(" ");
    if (sp === -1) msg = text.slice(1);
    else {
      code = text.slice(1, sp);
      msg = text.slice(sp + 1);
    }
  }
  msg = msg.replace(/^[\r\n]+|[\r\n]+$/g, "");
  pushErrTable(L, `${code} ${msg}`);
}

/** Pushes a command's reply as the Lua value a script sees. */
export function replyToLua(L: LuaState, reply: Reply): void {
  if (reply === null) {
    lua.lua_pushboolean(L, false);
  } else if (typeof reply === "number") {
    lua.lua_pushnumber(L, reply);
  } else if (typeof reply === "bigint") {
    lua.lua_pushnumber(L, Number(reply));
  } else if (typeof reply === "string") {
    pushBytes(L, reply);
  } else if (Array.isArray(reply)) {
    lua.lua_checkstack(L, 4);
    lua.lua_createtable(L, reply.length, 0);
    for (let i = 0; i < reply.length; i++) {
      replyToLua(L, reply[i]);
      lua.lua_rawseti(L, -2, i + 1);
    }
  } else if ("error" in reply) {
    pushErrTable(L, reply.error);
  } else {
    lua.lua_createtable(L, 0, 1);
    pushBytes(L, reply.status);
    lua.lua_setfield(L, -2, "ok");
  }
}

const LLONG_MIN = -9223372036854775808n;

/** C's (long long) of a double, as x86-64 does it: out of range and NaN give LLONG_MIN. */
export function toLongLong(x: number): number | bigint {
  const t = Math.trunc(x);
  if (t === 0) return 0; // no -0
  if (t >= -9007199254740992 && t <= 9007199254740992) return t;
  if (!(t >= -9223372036854775808 && t < 9223372036854775808)) return LLONG_MIN;
  return BigInt(t);
}

function noNewlines(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}

/** The Lua value at idx as a Redis reply (RESP2). */
export function luaToReply(L: LuaState, idx: number, depth = 0): Reply {
  const abs = lua.lua_absindex(L, idx);
  switch (lua.lua_type(L, abs)) {
    case lua.LUA_TSTRING:
      return fromLuaBytes(lua.lua_tolstring(L, abs));
    case lua.LUA_TBOOLEAN:
      return lua.lua_toboolean(L, abs) ? 1 : null;
    case lua.LUA_TNUMBER:
      return toLongLong(lua.lua_tonumber(L, abs));
    case lua.LUA_TTABLE:
      return tableToReply(L, abs, depth);
    default:
      return null;
  }
}

/** rawget(t, name) when it is of the given Lua type (a string's bytes, a number, or true for a table). */
function rawField(L: LuaState, abs: number, name: string, type: number): unknown {
  const v = rawFieldValue(L, abs, name);
  if (v === undefined) return undefined;
  if (type === lua.LUA_TSTRING) return v.ttisstring() ? fromLuaBytes(v.value.realstring) : undefined;
  if (type === lua.LUA_TNUMBER) return v.ttisnumber() ? v.value : undefined;
  return v.ttistable() ? true : undefined;
}

function tableToReply(L: LuaState, abs: number, depth: number): Reply {
  if (depth >= MAX_DEPTH || !lua.lua_checkstack(L, 4)) return { error: "ERR reached lua stack limit" };
  const err = rawField(L, abs, "err", lua.LUA_TSTRING);
  if (err !== undefined) return { error: noNewlines(err as string) };
  const ok = rawField(L, abs, "ok", lua.LUA_TSTRING);
  if (ok !== undefined) return { status: noNewlines(ok as string) };
  const dbl = rawField(L, abs, "double", lua.LUA_TNUMBER);
  if (dbl !== undefined) {
    const d = dbl as number;
    return d === Infinity ? "inf" : d === -Infinity ? "-inf" : formatG(d, 17);
  }
  const big = rawField(L, abs, "big_number", lua.LUA_TSTRING);
  if (big !== undefined) return noNewlines(big as string);
  if (rawField(L, abs, "verbatim_string", lua.LUA_TTABLE) !== undefined) {
    lua.lua_pushstring(L, "verbatim_string");
    lua.lua_rawget(L, abs);
    const vt = lua.lua_gettop(L);
    const format = rawField(L, vt, "format", lua.LUA_TSTRING);
    const str = rawField(L, vt, "string", lua.LUA_TSTRING);
    lua.lua_pop(L, 1);
    if (format !== undefined && str !== undefined) return str as string;
  }
  for (const kind of ["map", "set"] as const) {
    if (rawField(L, abs, kind, lua.LUA_TTABLE) === undefined) continue;
    lua.lua_pushstring(L, kind);
    lua.lua_rawget(L, abs);
    const t = lua.lua_gettop(L);
    const out: Reply[] = [];
    lua.lua_pushnil(L);
    while (lua.lua_next(L, t)) {
      out.push(luaToReply(L, -2, depth + 1));
      if (kind === "map") out.push(luaToReply(L, -1, depth + 1));
      lua.lua_pop(L, 1);
    }
    lua.lua_pop(L, 1);
    return out;
  }
  const out: Reply[] = [];
  for (let j = 1; ; j++) {
    lua.lua_rawgeti(L, abs, j);
    if (lua.lua_type(L, -1) === lua.LUA_TNIL) {
      lua.lua_pop(L, 1);
      break;
    }
    out.push(luaToReply(L, -1, depth + 1));
    lua.lua_pop(L, 1);
  }
  return out;
}
