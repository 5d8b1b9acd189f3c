// The `cmsgpack` library as Redis bundles it (lua-cmsgpack 0.4.0 built for Lua 5.1): pack any
// number of values into one MessagePack string; unpack, unpack_one, unpack_limit. Numbers that are
// whole and fit 64 bits pack as the smallest integer format, others as float32 when exact, else
// float64; strings as fixstr/str8/16/32; a table whose keys are exactly 1..n as an array, any other
// as a map; tables nested 16 deep (cycles) and unpackable types as nil.

import { lauxlib, lua, raiseError, toBytes, toLuaBytes, type LuaState } from "./fengari.js";

const MAX_NESTING = 16;

class Buf {
  bytes: number[] = [];
  push(...b: number[]): void {
    for (const x of b) this.bytes.push(x & 0xff);
  }
  be(n: number, size: number): void {
    for (let i = size - 1; i >= 0; i--) this.bytes.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  }
}

const f32 = new DataView(new ArrayBuffer(8));

function encodeInt(buf: Buf, n: bigint): void {
  const v = Number(n);
  if (n >= 0n) {
    if (n <= 127n) buf.push(v);
    else if (n <= 0xffn) buf.push(0xcc, v);
    else if (n <= 0xffffn) (buf.push(0xcd), buf.be(v, 2));
    else if (n <= 0xffffffffn) (buf.push(0xce), buf.be(v, 4));
    else {
      buf.push(0xcf);
      for (let i = 7; i >= 0; i--) buf.push(Number((n >> BigInt(8 * i)) & 0xffn));
    }
  } else {
    if (n >= -32n) buf.push(v & 0xff);
    else if (n >= -128n) buf.push(0xd0, v & 0xff);
    else if (n >= -32768n) (buf.push(0xd1), buf.be(v & 0xffff, 2));
    else if (n >= -2147483648n) (buf.push(0xd2), buf.be(v >>> 0, 4));
    else {
      buf.push(0xd3);
      const u = BigInt.asUintN(64, n);
      for (let i = 7; i >= 0; i--) buf.push(Number((u >> BigInt(8 * i)) & 0xffn));
    }
  }
}

function encodeNumber(buf: Buf, n: number): void {
  if (Number.isFinite(n) && Number.isInteger(n) && n >= -9223372036854775808 && n < 9223372036854775808) {
    encodeInt(buf, BigInt(n));
    return;
  }
  if (Math.fround(n) === n) {
    f32.setFloat32(0, n);
    buf.push(0xca, f32.getUint8(0), f32.getUint8(1), f32.getUint8(2), f32.getUint8(3));
  } else {
    f32.setFloat64(0, n);
    buf.push(0xcb);
    for (let i = 0; i < 8; i++) buf.push(f32.getUint8(i));
  }
}

function encodeBytes(buf: Buf, s: string): void {
  const len = s.length;
  if (len < 32) buf.push(0xa0 | len);
  else if (len <= 0xff) buf.push(0xd9, len);
  else if (len <= 0xffff) (buf.push(0xda), buf.be(len, 2));
  else (buf.push(0xdb), buf.be(len, 4));
  for (let i = 0; i < len; i++) buf.bytes.push(s.charCodeAt(i));
}

function header(buf: Buf, n: number, fix: number, b16: number, b32: number): void {
  if (n <= 15) buf.push(fix | n);
  else if (n <= 65535) (buf.push(b16), buf.be(n, 2));
  else (buf.push(b32), buf.be(n, 4));
}

/** table_is_an_array of 5.1: every key a whole number in 1..2^31-1, and as many keys as the largest. */
function isArray(L: LuaState): boolean {
  let count = 0;
  let max = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    lua.lua_pop(L, 1);
    const n = lua.lua_type(L, -1) === lua.LUA_TNUMBER ? lua.lua_tonumber(L, -1) : NaN;
    if (!(n > 0) || (n | 0) !== n) {
      lua.lua_pop(L, 1);
      return false;
    }
    if (n > max) max = n;
    count++;
  }
  return max === count;
}

/** Encodes the value on top of the stack and pops it. */
function encodeValue(L: LuaState, buf: Buf, level: number): void {
  let t = lua.lua_type(L, -1);
  if (t === lua.LUA_TTABLE && level === MAX_NESTING) t = lua.LUA_TNIL;
  lauxlib.luaL_checkstack(L, 3, "in function mp_encode_lua_type");
  switch (t) {
    case lua.LUA_TSTRING:
      encodeBytes(buf, toBytes(L, -1)!);
      break;
    case lua.LUA_TBOOLEAN:
      buf.push(lua.lua_toboolean(L, -1) ? 0xc3 : 0xc2);
      break;
    case lua.LUA_TNUMBER:
      encodeNumber(buf, lua.lua_tonumber(L, -1));
      break;
    case lua.LUA_TTABLE:
      if (isArray(L)) {
        const len = lua.lua_rawlen(L, -1);
        header(buf, len, 0x90, 0xdc, 0xdd);
        for (let j = 1; j <= len; j++) {
          lua.lua_pushnumber(L, j);
          lua.lua_gettable(L, -2);
          encodeValue(L, buf, level + 1);
        }
      } else {
        let len = 0;
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2)) {
          lua.lua_pop(L, 1);
          len++;
        }
        header(buf, len, 0x80, 0xde, 0xdf);
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2)) {
          lua.lua_pushvalue(L, -2);
          encodeValue(L, buf, level + 1);
          encodeValue(L, buf, level + 1);
        }
      }
      break;
    default:
      buf.push(0xc0);
  }
  lua.lua_pop(L, 1);
}

function pack(L: LuaState): number {
  const nargs = lua.lua_gettop(L);
  if (nargs === 0) return lauxlib.luaL_argerror(L, 0, "MessagePack pack needs input.");
  const buf = new Buf();
  for (let i = 1; i <= nargs; i++) {
    lua.lua_pushvalue(L, i);
    encodeValue(L, buf, 0);
  }
  lua.lua_pushlstring(L, Uint8Array.from(buf.bytes), buf.bytes.length);
  return 1;
}

class Cursor {
  constructor(
    public s: string,
    public p: number,
  ) {}
  err: "eof" | "badfmt" | null = null;
  need(n: number): boolean {
    if (this.s.length - this.p < n) {
      this.err = "eof";
      return false;
    }
    return true;
  }
  byte(i: number): number {
    return this.s.charCodeAt(this.p + i);
  }
  uint(off: number, size: number): number {
    let v = 0;
    for (let i = 0; i < size; i++) v = v * 256 + this.byte(off + i);
    return v;
  }
  u64(off: number): bigint {
    let v = 0n;
    for (let i = 0; i < 8; i++) v = (v << 8n) | BigInt(this.byte(off + i));
    return v;
  }
}

function decodeArray(L: LuaState, c: Cursor, len: number): void {
  lua.lua_createtable(L, 0, 0);
  lauxlib.luaL_checkstack(L, 2, "in function mp_decode_to_lua_array");
  for (let index = 1; index <= len; index++) {
    lua.lua_pushnumber(L, index);
    decodeValue(L, c);
    if (c.err) return;
    lua.lua_settable(L, -3);
  }
}

function decodeHash(L: LuaState, c: Cursor, len: number): void {
  lua.lua_createtable(L, 0, 0);
  lauxlib.luaL_checkstack(L, 2, "in function mp_decode_to_lua_hash");
  for (let i = 0; i < len; i++) {
    decodeValue(L, c);
    if (c.err) return;
    decodeValue(L, c);
    if (c.err) return;
    lua.lua_settable(L, -3);
  }
}

function pushString(L: LuaState, c: Cursor, off: number, len: number): void {
  if (!c.need(off + len)) return;
  const s = c.s.slice(c.p + off, c.p + off + len);
  lua.lua_pushlstring(L, toLuaBytes(s), s.length);
  c.p += off + len;
}

function decodeValue(L: LuaState, c: Cursor): void {
  if (!c.need(1)) return;
  lauxlib.luaL_checkstack(L, 1, "too many return values at once; use unpack_one or unpack_limit instead.");
  const b = c.byte(0);
  const fixed = (n: number, size: number) => {
    if (!c.need(size)) return;
    lua.lua_pushnumber(L, n);
    c.p += size;
  };
  switch (b) {
    case 0xcc:
      if (c.need(2)) fixed(c.byte(1), 2);
      return;
    case 0xd0:
      if (c.need(2)) fixed((c.byte(1) << 24) >> 24, 2);
      return;
    case 0xcd:
      if (c.need(3)) fixed(c.uint(1, 2), 3);
      return;
    case 0xd1:
      if (c.need(3)) fixed((c.uint(1, 2) << 16) >> 16, 3);
      return;
    case 0xce:
      if (c.need(5)) fixed(c.uint(1, 4), 5);
      return;
    case 0xd2:
      if (c.need(5)) fixed(c.uint(1, 4) | 0, 5);
      return;
    case 0xcf:
      if (c.need(9)) fixed(Number(c.u64(1)), 9);
      return;
    case 0xd3:
      if (c.need(9)) fixed(Number(BigInt.asIntN(64, c.u64(1))), 9);
      return;
    case 0xc0:
      lua.lua_pushnil(L);
      c.p += 1;
      return;
    case 0xc3:
      lua.lua_pushboolean(L, true);
      c.p += 1;
      return;
    case 0xc2:
      lua.lua_pushboolean(L, false);
      c.p += 1;
      return;
    case 0xca:
      if (!c.need(5)) return;
      for (let i = 0; i < 4; i++) f32.setUint8(i, c.byte(1 + i));
      fixed(f32.getFloat32(0), 5);
      return;
    case 0xcb:
      if (!c.need(9)) return;
      for (let i = 0; i < 8; i++) f32.setUint8(i, c.byte(1 + i));
      fixed(f32.getFloat64(0), 9);
      return;
    case 0xd9:
      if (c.need(2)) pushString(L, c, 2, c.byte(1));
      return;
    case 0xda:
      if (c.need(3)) pushString(L, c, 3, c.uint(1, 2));
      return;
    case 0xdb:
      if (c.need(5)) pushString(L, c, 5, c.uint(1, 4));
      return;
    case 0xdc:
      if (!c.need(3)) return;
      c.p += 3;
      decodeArray(L, c, c.uint(-2, 2));
      return;
    case 0xdd:
      if (!c.need(5)) return;
      c.p += 5;
      decodeArray(L, c, c.uint(-4, 4));
      return;
    case 0xde:
      if (!c.need(3)) return;
      c.p += 3;
      decodeHash(L, c, c.uint(-2, 2));
      return;
    case 0xdf:
      if (!c.need(5)) return;
      c.p += 5;
      decodeHash(L, c, c.uint(-4, 4));
      return;
  }
  if ((b & 0x80) === 0) fixed(b, 1);
  else if ((b & 0xe0) === 0xe0) fixed((b << 24) >> 24, 1);
  else if ((b & 0xe0) === 0xa0) pushString(L, c, 1, b & 0x1f);
  else if ((b & 0xf0) === 0x90) {
    c.p += 1;
    decodeArray(L, c, b & 0xf);
  } else if ((b & 0xf0) === 0x80) {
    c.p += 1;
    decodeHash(L, c, b & 0xf);
  } else c.err = "badfmt";
}

function unpackFull(L: LuaState, limit: number, offset: number): number {
  lauxlib.luaL_checklstring(L, 1);
  const s = toBytes(L, 1)!;
  const decodeAll = limit === 0 && offset === 0;
  if (offset < 0 || limit < 0)
    return raiseError(L, `Invalid request to unpack with offset of ${offset} and limit of ${s.length}.`);
  if (offset > s.length) return raiseError(L, `Start offset ${offset} greater than input length ${s.length}.`);
  if (decodeAll) limit = 2147483647;
  const c = new Cursor(s, offset);
  let cnt = 0;
  for (; c.p < s.length && cnt < limit; cnt++) {
    decodeValue(L, c);
    if (c.err === "eof") return raiseError(L, "Missing bytes in input.");
    if (c.err === "badfmt") return raiseError(L, "Bad data format in input.");
  }
  if (!decodeAll) {
    lua.lua_pushnumber(L, c.p >= s.length ? -1 : c.p);
    lua.lua_insert(L, 2);
    cnt++;
  }
  return cnt;
}

export function openCmsgpack(L: LuaState): void {
  const fns: Record<string, (L: LuaState) => number> = {
    pack,
    unpack: (L) => unpackFull(L, 0, 0),
    unpack_one: (L) => {
      const offset = lua.lua_isnoneornil(L, 2) ? 0 : Math.trunc(lauxlib.luaL_checknumber(L, 2));
      lua.lua_settop(L, 1);
      return unpackFull(L, 1, offset);
    },
    unpack_limit: (L) => {
      const limit = Math.trunc(lauxlib.luaL_checknumber(L, 2));
      const offset = lua.lua_isnoneornil(L, 3) ? 0 : Math.trunc(lauxlib.luaL_checknumber(L, 3));
      lua.lua_settop(L, 1);
      return unpackFull(L, limit, offset);
    },
  };
  lua.lua_createtable(L, 0, 8);
  for (const [name, f] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  const meta: Record<string, string> = {
    _NAME: "cmsgpack",
    _VERSION: "lua-cmsgpack 0.4.0",
    _COPYRIGHT: "Copyright (C) 2012, Salvatore Sanfilippo",
    _DESCRIPTION: "MessagePack C implementation for Lua",
  };
  for (const [k, v] of Object.entries(meta)) {
    lua.lua_pushstring(L, v);
    lua.lua_setfield(L, -2, k);
  }
  lua.lua_setglobal(L, "cmsgpack");
}
