// The `bit` library (LuaBitOp, as Redis bundles it): 32-bit operations on Lua numbers, results as
// signed 32-bit numbers. A number becomes 32 bits the way LuaBitOp does it on doubles: add 2^52+2^51
// and keep the low word (round half to even, then modulo 2^32).

import { lauxlib, lua, type LuaState } from "./fengari.js";

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;

export function toBit(x: number): number {
  f64[0] = x + 6755399441055744.0;
  return u32[LOW] | 0;
}

function arg(L: LuaState, i: number): number {
  return toBit(lauxlib.luaL_checknumber(L, i));
}

function push(L: LuaState, v: number): number {
  lua.lua_pushnumber(L, v | 0);
  return 1;
}

const HEX_LOWER = "0123456789abcdef";
const HEX_UPPER = "0123456789ABCDEF";

export function openBit(L: LuaState): void {
  const fns: Record<string, (L: LuaState) => number> = {
    tobit: (L) => push(L, arg(L, 1)),
    bnot: (L) => push(L, ~arg(L, 1)),
    band: (L) => {
      let b = arg(L, 1);
      for (let i = lua.lua_gettop(L); i > 1; i--) b &= arg(L, i);
      return push(L, b);
    },
    bor: (L) => {
      let b = arg(L, 1);
      for (let i = lua.lua_gettop(L); i > 1; i--) b |= arg(L, i);
      return push(L, b);
    },
    bxor: (L) => {
      let b = arg(L, 1);
      for (let i = lua.lua_gettop(L); i > 1; i--) b ^= arg(L, i);
      return push(L, b);
    },
    lshift: (L) => {
      const b = arg(L, 1);
      return push(L, b << (arg(L, 2) & 31));
    },
    rshift: (L) => {
      const b = arg(L, 1);
      return push(L, b >>> (arg(L, 2) & 31));
    },
    arshift: (L) => {
      const b = arg(L, 1);
      return push(L, b >> (arg(L, 2) & 31));
    },
    rol: (L) => {
      const b = arg(L, 1);
      const n = arg(L, 2) & 31;
      return push(L, (b << n) | (b >>> ((32 - n) & 31)));
    },
    ror: (L) => {
      const b = arg(L, 1);
      const n = arg(L, 2) & 31;
      return push(L, (b >>> n) | (b << ((32 - n) & 31)));
    },
    bswap: (L) => {
      const b = arg(L, 1);
      return push(L, ((b >>> 24) & 0xff) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | (b << 24));
    },
    tohex: (L) => {
      let b = arg(L, 1);
      let n = lua.lua_isnoneornil(L, 2) ? 8 : arg(L, 2);
      let digits = HEX_LOWER;
      if (n < 0) {
        n = -n;
        digits = HEX_UPPER;
      }
      if (n > 8) n = 8;
      let out = "";
      for (let i = 0; i < n; i++) {
        out = digits[b & 15] + out;
        b >>>= 4;
      }
      lua.lua_pushstring(L, out);
      return 1;
    },
  };
  lua.lua_createtable(L, 0, Object.keys(fns).length);
  for (const [name, f] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_setglobal(L, "bit");
}
