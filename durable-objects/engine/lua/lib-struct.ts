// The `struct` library as Redis bundles it (Roberto Ierusalimschy's lua_struct): pack, unpack and
// size of binary records. Formats: < > (endianness; native is little), !n (max alignment, default
// 8), x (a zero byte), b/B h/H l/L T i/In/I/In (integers of 1, 2, 8, 8, n (4) bytes; lower case
// signed), f d (float, double), cn (n chars; c0 = the whole string, or in unpack the previous
// number), s (zero-terminated), spaces ignored. Integers go through 64-bit C longs, as on x86-64.

import { lauxlib, lua, raiseError, toBytes, toLuaBytes, type LuaState } from "./fengari.js";

const MAXINTSIZE = 32;
const MAXALIGN = 8;

interface Header {
  little: boolean;
  align: number;
}

interface Cursor {
  fmt: string;
  i: number;
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

function getnum(L: LuaState, cur: Cursor, df: number): number {
  if (!isDigit(cur.fmt[cur.i])) return df;
  let a = 0;
  do {
    const d = cur.fmt.charCodeAt(cur.i) - 48;
    if (a > Math.floor(2147483647 / 10) || a * 10 > 2147483647 - d) raiseError(L, "integral size overflow");
    a = a * 10 + d;
    cur.i++;
  } while (isDigit(cur.fmt[cur.i]));
  return a;
}

function optsize(L: LuaState, opt: string, cur: Cursor): number {
  switch (opt) {
    case "B":
    case "b":
      return 1;
    case "H":
    case "h":
      return 2;
    case "L":
    case "l":
    case "T":
    case "d":
      return 8;
    case "f":
      return 4;
    case "x":
      return 1;
    case "c":
      return getnum(L, cur, 1);
    case "i":
    case "I": {
      const sz = getnum(L, cur, 4);
      if (sz > MAXINTSIZE) raiseError(L, `integral size ${sz} is larger than limit of ${MAXINTSIZE}`);
      return sz;
    }
    default:
      return 0;
  }
}

function gettoalign(len: number, h: Header, opt: string, size: number): number {
  if (size === 0 || opt === "c") return 0;
  if (size > h.align) size = h.align;
  return (size - (len & (size - 1))) & (size - 1);
}

function controloptions(L: LuaState, opt: string, cur: Cursor, h: Header): void {
  switch (opt) {
    case " ":
      return;
    case ">":
      h.little = false;
      return;
    case "<":
      h.little = true;
      return;
    case "!": {
      const a = getnum(L, cur, MAXALIGN);
      if (!(a > 0 && (a & (a - 1)) === 0)) raiseError(L, `alignment ${a} is not a power of 2`);
      h.align = a;
      return;
    }
    default:
      lauxlib.luaL_argerror(L, 1, `invalid format option '${opt}'`);
  }
}

const isInteger = (opt: string) => "bBhHlLTiI".includes(opt);

/** C's (unsigned long) of a double: negative through (long), as x86-64 converts. */
function toUint64(n: number): bigint {
  if (!Number.isFinite(n)) return 0x8000000000000000n;
  const t = Math.trunc(n);
  if (t < 0) return BigInt.asUintN(64, t < -9223372036854775808 ? -9223372036854775808n : BigInt(t));
  return t >= 18446744073709551616 ? 0n : BigInt(t);
}

function pack(L: LuaState): number {
  lauxlib.luaL_checklstring(L, 1);
  const fmt = toBytes(L, 1)!;
  lua.lua_pushnil(L); // as lua_struct: a missing argument reads as nil
  const cur: Cursor = { fmt, i: 0 };
  const h: Header = { little: true, align: 1 };
  let arg = 2;
  let total = 0;
  const out: number[] = [];
  const f32 = new DataView(new ArrayBuffer(8));
  while (cur.i < fmt.length) {
    const opt = fmt[cur.i++];
    let size = optsize(L, opt, cur);
    let toalign = gettoalign(total, h, opt, size);
    total += toalign;
    while (toalign-- > 0) out.push(0);
    if (isInteger(opt)) {
      let value = toUint64(lauxlib.luaL_checknumber(L, arg++));
      const bytes: number[] = new Array(size);
      for (let k = 0; k < size; k++) {
        bytes[h.little ? k : size - 1 - k] = Number(value & 0xffn);
        value >>= 8n;
      }
      out.push(...bytes);
    } else if (opt === "x") {
      out.push(0);
    } else if (opt === "f" || opt === "d") {
      const n = lauxlib.luaL_checknumber(L, arg++);
      if (opt === "f") f32.setFloat32(0, n, h.little);
      else f32.setFloat64(0, n, h.little);
      for (let k = 0; k < size; k++) out.push(f32.getUint8(k));
    } else if (opt === "c" || opt === "s") {
      lauxlib.luaL_checklstring(L, arg);
      const s = toBytes(L, arg++)!;
      if (size === 0) size = s.length;
      lauxlib.luaL_argcheck(L, s.length >= size, arg, "string too short");
      for (let k = 0; k < size; k++) out.push(s.charCodeAt(k));
      if (opt === "s") {
        out.push(0);
        size++;
      }
    } else {
      controloptions(L, opt, cur, h);
    }
    total += size;
  }
  lua.lua_pushlstring(L, Uint8Array.from(out), out.length);
  return 1;
}

function unpack(L: LuaState): number {
  lauxlib.luaL_checklstring(L, 1);
  const fmt = toBytes(L, 1)!;
  lauxlib.luaL_checklstring(L, 2);
  const data = toBytes(L, 2)!;
  const ld = data.length;
  let pos = lua.lua_isnoneornil(L, 3) ? 1 : Math.trunc(lauxlib.luaL_checknumber(L, 3));
  lauxlib.luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  pos--;
  const cur: Cursor = { fmt, i: 0 };
  const h: Header = { little: true, align: 1 };
  let n = 0;
  const view = new DataView(new ArrayBuffer(8));
  while (cur.i < fmt.length) {
    const opt = fmt[cur.i++];
    let size = optsize(L, opt, cur);
    pos += gettoalign(pos, h, opt, size);
    lauxlib.luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
    lauxlib.luaL_checkstack(L, 2, "too many results");
    if (isInteger(opt)) {
      let l = 0n;
      for (let k = 0; k < size; k++) {
        const byte = BigInt(data.charCodeAt(h.little ? pos + size - 1 - k : pos + k));
        l = BigInt.asUintN(64, (l << 8n) | byte);
      }
      let v: number;
      if (opt === opt.toLowerCase()) {
        const mask = BigInt.asUintN(64, ~0n << BigInt(Math.min(size * 8 - 1, 63)));
        if (l & mask) l |= mask;
        v = Number(BigInt.asIntN(64, l));
      } else {
        v = Number(l);
      }
      lua.lua_pushnumber(L, v);
      n++;
    } else if (opt === "x") {
      // nothing
    } else if (opt === "f" || opt === "d") {
      for (let k = 0; k < size; k++) view.setUint8(k, data.charCodeAt(pos + k));
      lua.lua_pushnumber(L, opt === "f" ? view.getFloat32(0, h.little) : view.getFloat64(0, h.little));
      n++;
    } else if (opt === "c") {
      if (size === 0) {
        if (n === 0 || !lua.lua_isnumber(L, -1)) raiseError(L, "format 'c0' needs a previous size");
        size = Math.trunc(lua.lua_tonumber(L, -1));
        lua.lua_pop(L, 1);
        n--;
        lauxlib.luaL_argcheck(L, size <= ld && pos <= ld - size, 2, "data string too short");
      }
      lua.lua_pushstring(L, toLuaBytes(data.slice(pos, pos + size)));
      n++;
    } else if (opt === "s") {
      const e = data.indexOf("\0", pos);
      if (e === -1) raiseError(L, "unfinished string in data");
      size = e - pos + 1;
      lua.lua_pushstring(L, toLuaBytes(data.slice(pos, e)));
      n++;
    } else {
      controloptions(L, opt, cur, h);
    }
    pos += size;
  }
  lua.lua_pushnumber(L, pos + 1);
  return n + 1;
}

function size(L: LuaState): number {
  lauxlib.luaL_checklstring(L, 1);
  const fmt = toBytes(L, 1)!;
  const cur: Cursor = { fmt, i: 0 };
  const h: Header = { little: true, align: 1 };
  let pos = 0;
  while (cur.i < fmt.length) {
    const opt = fmt[cur.i++];
    const sz = optsize(L, opt, cur);
    pos += gettoalign(pos, h, opt, sz);
    if (opt === "s") lauxlib.luaL_argerror(L, 1, "option 's' has no fixed size");
    else if (opt === "c" && sz === 0) lauxlib.luaL_argerror(L, 1, "option 'c0' has no fixed size");
    if (!/[A-Za-z0-9]/.test(opt)) controloptions(L, opt, cur, h);
    pos += sz;
  }
  lua.lua_pushnumber(L, pos);
  return 1;
}

export function openStruct(L: LuaState): void {
  lua.lua_createtable(L, 0, 3);
  for (const [name, f] of Object.entries({ pack, unpack, size })) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_setglobal(L, "struct");
}
