// The `cjson` library as Redis bundles it (lua-cjson 2.1.0): encode and decode with its rules and
// error texts. Numbers encode with %.14g; an empty table encodes as {}; a table is an array when
// every key is an integer ≥ 1 and it is not too sparse (max > 2·count and max > 10 is an error);
// JSON null decodes to cjson.null (a NULL light userdata); numbers decode through strtod (so hex,
// inf, nan and leading zeros pass, as decode_invalid_numbers is on).

import { fromLuaBytes, lauxlib, lua, raiseError, toBytes, toLuaBytes, type LuaState } from "./fengari.js";
import { formatG } from "./number-format.js";

interface Config {
  encodeSparseConvert: boolean;
  encodeSparseRatio: number;
  encodeSparseSafe: number;
  encodeMaxDepth: number;
  decodeMaxDepth: number;
  encodeNumberPrecision: number;
  encodeKeepBuffer: boolean;
  encodeInvalidNumbers: 0 | 1 | 2; // off, on, null
  decodeInvalidNumbers: boolean;
}

const defaults = (): Config => ({
  encodeSparseConvert: false,
  encodeSparseRatio: 2,
  encodeSparseSafe: 10,
  encodeMaxDepth: 1000,
  decodeMaxDepth: 1000,
  encodeNumberPrecision: 14,
  encodeKeepBuffer: true,
  encodeInvalidNumbers: 0,
  decodeInvalidNumbers: true,
});

// ---- encode ---------------------------------------------------------------------------------

const ESCAPES: (string | null)[] = new Array(256).fill(null);
for (let i = 0; i < 32; i++) ESCAPES[i] = `\\u${i.toString(16).padStart(4, "0")}`;
ESCAPES[8] = "\\b";
ESCAPES[9] = "\\t";
ESCAPES[10] = "\\n";
ESCAPES[12] = "\\f";
ESCAPES[13] = "\\r";
ESCAPES[34] = '\\"';
ESCAPES[92] = "\\\\";
ESCAPES[47] = "\\/";
ESCAPES[127] = "\\u007f";

function encodeString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const esc = ESCAPES[s.charCodeAt(i)];
    if (esc !== null) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function encodeError(L: LuaState, idx: number, reason: string): never {
  return raiseError(L, `Cannot serialise ${fromLuaBytes(lauxlib.luaL_typename(L, idx))}: ${reason}`);
}

function encodeNumber(L: LuaState, cfg: Config, idx: number): string {
  const num = lua.lua_tonumber(L, idx);
  if (!Number.isFinite(num)) {
    if (cfg.encodeInvalidNumbers === 0) encodeError(L, idx, "must not be NaN or Inf");
    if (cfg.encodeInvalidNumbers === 2) return "null";
    if (Number.isNaN(num)) return "nan";
  }
  return formatG(num, cfg.encodeNumberPrecision);
}

/** lua_array_length: the array's length, or -1 for an object. Table on top. */
function arrayLength(L: LuaState, cfg: Config): number {
  let max = 0;
  let items = 0;
  lua.lua_pushnil(L);
  while (lua.lua_next(L, -2)) {
    if (lua.lua_type(L, -2) === lua.LUA_TNUMBER) {
      const k = lua.lua_tonumber(L, -2);
      if (k !== 0 && Math.floor(k) === k && k >= 1) {
        if (k > max) max = k;
        items++;
        lua.lua_pop(L, 1);
        continue;
      }
    }
    lua.lua_pop(L, 2);
    return -1;
  }
  if (cfg.encodeSparseRatio > 0 && max > items * cfg.encodeSparseRatio && max > cfg.encodeSparseSafe) {
    if (!cfg.encodeSparseConvert) raiseError(L, "Cannot serialise table: excessively sparse array");
    return -1;
  }
  return max;
}

/** Appends the value on top of the stack. */
function encodeValue(L: LuaState, cfg: Config, depth: number, out: string[]): void {
  switch (lua.lua_type(L, -1)) {
    case lua.LUA_TSTRING:
      out.push(encodeString(fromLuaBytes(lua.lua_tolstring(L, -1))));
      return;
    case lua.LUA_TNUMBER:
      out.push(encodeNumber(L, cfg, -1));
      return;
    case lua.LUA_TBOOLEAN:
      out.push(lua.lua_toboolean(L, -1) ? "true" : "false");
      return;
    case lua.LUA_TNIL:
      out.push("null");
      return;
    case lua.LUA_TLIGHTUSERDATA:
      if (lua.lua_touserdata(L, -1) === null) {
        out.push("null");
        return;
      }
      break;
    case lua.LUA_TTABLE: {
      depth++;
      if (depth > cfg.encodeMaxDepth || !lua.lua_checkstack(L, 3)) raiseError(L, `Cannot serialise, excessive nesting (${depth})`);
      const len = arrayLength(L, cfg);
      if (len > 0) {
        out.push("[");
        for (let i = 1; i <= len; i++) {
          if (i > 1) out.push(",");
          lua.lua_rawgeti(L, -1, i);
          encodeValue(L, cfg, depth, out);
          lua.lua_pop(L, 1);
        }
        out.push("]");
      } else {
        out.push("{");
        let comma = false;
        lua.lua_pushnil(L);
        while (lua.lua_next(L, -2)) {
          if (comma) out.push(",");
          else comma = true;
          const kt = lua.lua_type(L, -2);
          if (kt === lua.LUA_TNUMBER) out.push(`"${encodeNumber(L, cfg, -2)}":`);
          else if (kt === lua.LUA_TSTRING) out.push(`${encodeString(fromLuaBytes(lua.lua_tolstring(L, -2)))}:`);
          else encodeError(L, -2, "table key must be a number or string");
          encodeValue(L, cfg, depth, out);
          lua.lua_pop(L, 1);
        }
        out.push("}");
      }
      return;
    }
  }
  encodeError(L, -1, "type not supported");
}

// ---- decode ---------------------------------------------------------------------------------

type Tok =
  | { t: "T_OBJ_BEGIN" | "T_OBJ_END" | "T_ARR_BEGIN" | "T_ARR_END" | "T_COMMA" | "T_COLON" | "T_END" | "T_NULL"; i: number }
  | { t: "T_STRING"; i: number; s: string }
  | { t: "T_NUMBER"; i: number; n: number }
  | { t: "T_BOOLEAN"; i: number; b: boolean }
  | { t: "T_ERROR"; i: number; msg: string };

const SINGLE: Record<string, Tok["t"]> = { "{": "T_OBJ_BEGIN", "}": "T_OBJ_END", "[": "T_ARR_BEGIN", "]": "T_ARR_END", ",": "T_COMMA", ":": "T_COLON" };
const UNKNOWN_START = new Set(["f", "i", "I", "n", "N", "t", '"', "+", "-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
const ESCAPE_CHARS: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", t: "\t", n: "\n", f: "\f", r: "\r", u: "u" };

/** C's strtod on s from i: [value, end] (end === i when nothing converts). */
export function strtod(s: string, i: number): [number, number] {
  const m = /^[+-]?(?:0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)/.exec(s.slice(i, i + 400));
  if (m === null) return [0, i];
  let text = m[0];
  // An exponent without digits is not part of the number ("1e" is 1 and "e" is left).
  const sign = text[0] === "-" ? -1 : 1;
  const body = text.replace(/^[+-]/, "");
  let value: number;
  if (/^0[xX]/.test(body)) {
    const hm = /^0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)(?:[pP]([+-]?\d+))?/.exec(body)!;
    const digits = hm[1] + hm[2];
    value = 0;
    for (const d of digits) value = value * 16 + parseInt(d, 16);
    value *= Math.pow(2, -4 * hm[2].length + (hm[3] ? Number(hm[3]) : 0));
  } else if (/^[iI]/.test(body)) value = Infinity;
  else if (/^[nN]/.test(body)) value = NaN;
  else value = Number(body);
  // Digits too long for the slice above: take the rest of the digits as well.
  if (text.length === 400) text = text + (/^\d*/.exec(s.slice(i + 400))?.[0] ?? "");
  return [sign * value, i + text.length];
}

class Parser {
  i = 0;
  depth = 0;
  constructor(
    private L: LuaState,
    private cfg: Config,
    private s: string,
  ) {}

  private isInvalidNumber(): boolean {
    const s = this.s;
    let p = this.i;
    if (s[p] === "+") return true;
    if (s[p] === "-") p++;
    if (s[p] === "0") {
      const c2 = s[p + 1];
      return c2 !== undefined && ((c2 === "x" || c2 === "X") || (c2 >= "0" && c2 <= "9"));
    }
    if (s[p] !== undefined && s.charCodeAt(p) <= 57) return false;
    const three = s.slice(p, p + 3).toLowerCase();
    return three === "inf" || three === "nan";
  }

  private number(start: number): Tok {
    const [n, end] = strtod(this.s, this.i);
    if (end === this.i) return { t: "T_ERROR", i: this.i, msg: "invalid number" };
    this.i = end;
    return { t: "T_NUMBER", i: start, n };
  }

  next(): Tok {
    const s = this.s;
    while (s[this.i] === " " || s[this.i] === "\t" || s[this.i] === "\n" || s[this.i] === "\r") this.i++;
    const start = this.i;
    const ch = s[this.i];
    if (ch === undefined || ch === "\0") return { t: "T_END", i: start };
    const single = SINGLE[ch];
    if (single !== undefined) {
      this.i++;
      return { t: single, i: start } as Tok;
    }
    if (!UNKNOWN_START.has(ch)) return { t: "T_ERROR", i: start, msg: "invalid token" };
    if (ch === '"') return this.string(start);
    if (ch === "-" || (ch >= "0" && ch <= "9")) {
      if (!this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) return { t: "T_ERROR", i: start, msg: "invalid number" };
      return this.number(start);
    }
    if (s.startsWith("true", this.i)) {
      this.i += 4;
      return { t: "T_BOOLEAN", i: start, b: true };
    }
    if (s.startsWith("false", this.i)) {
      this.i += 5;
      return { t: "T_BOOLEAN", i: start, b: false };
    }
    if (s.startsWith("null", this.i)) {
      this.i += 4;
      return { t: "T_NULL", i: start };
    }
    if (this.cfg.decodeInvalidNumbers && this.isInvalidNumber()) return this.number(start);
    return { t: "T_ERROR", i: start, msg: "invalid token" };
  }

  private string(start: number): Tok {
    const s = this.s;
    this.i++;
    let out = "";
    for (;;) {
      const ch = s[this.i];
      if (ch === '"') break;
      if (ch === undefined || ch === "\0") return { t: "T_ERROR", i: this.i, msg: "unexpected end of string" };
      if (ch === "\\") {
        const esc = ESCAPE_CHARS[s[this.i + 1]];
        if (esc === "u") {
          const utf8 = this.unicodeEscape();
          if (utf8 === null) return { t: "T_ERROR", i: this.i, msg: "invalid unicode escape code" };
          out += utf8;
          continue;
        }
        if (esc === undefined) return { t: "T_ERROR", i: this.i, msg: "invalid escape code" };
        out += esc;
        this.i += 2;
        continue;
      }
      out += ch;
      this.i++;
    }
    this.i++;
    return { t: "T_STRING", i: start, s: out };
  }

  private hex4(at: number): number {
    const h = this.s.slice(at, at + 4);
    return /^[0-9a-fA-F]{4}$/.test(h) ? parseInt(h, 16) : -1;
  }

  /** \uXXXX (and a surrogate pair) at this.i as UTF-8 bytes; null when invalid. */
  private unicodeEscape(): string | null {
    let cp = this.hex4(this.i + 2);
    if (cp < 0) return null;
    let len = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return null;
      if (this.s[this.i + 6] !== "\\" || this.s[this.i + 7] !== "u") return null;
      const low = this.hex4(this.i + 8);
      if (low < 0 || (low & 0xfc00) !== 0xdc00) return null;
      cp = (((cp & 0x3ff) << 10) | (low & 0x3ff)) + 0x10000;
      len = 12;
    }
    this.i += len;
    if (cp <= 0x7f) return String.fromCharCode(cp);
    if (cp <= 0x7ff) return String.fromCharCode((cp >> 6) | 0xc0, (cp & 0x3f) | 0x80);
    if (cp <= 0xffff) return String.fromCharCode((cp >> 12) | 0xe0, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
    return String.fromCharCode((cp >> 18) | 0xf0, ((cp >> 12) & 0x3f) | 0x80, ((cp >> 6) & 0x3f) | 0x80, (cp & 0x3f) | 0x80);
  }

  fail(expected: string, tok: Tok): never {
    const found = tok.t === "T_ERROR" ? tok.msg : tok.t;
    return raiseError(this.L, `Expected ${expected} but found ${found} at character ${tok.i + 1}`);
  }

  private descend(slots: number): void {
    this.depth++;
    if (this.depth <= this.cfg.decodeMaxDepth && lua.lua_checkstack(this.L, slots)) return;
    raiseError(this.L, `Found too many nested data structures (${this.depth}) at character ${this.i}`);
  }

  value(tok: Tok): void {
    const L = this.L;
    switch (tok.t) {
      case "T_STRING":
        lua.lua_pushlstring(L, toLuaBytes(tok.s), tok.s.length);
        return;
      case "T_NUMBER":
        lua.lua_pushnumber(L, tok.n);
        return;
      case "T_BOOLEAN":
        lua.lua_pushboolean(L, tok.b);
        return;
      case "T_NULL":
        lua.lua_pushlightuserdata(L, null);
        return;
      case "T_OBJ_BEGIN": {
        this.descend(3);
        lua.lua_createtable(L, 0, 0);
        let t = this.next();
        if (t.t === "T_OBJ_END") {
          this.depth--;
          return;
        }
        for (;;) {
          if (t.t !== "T_STRING") this.fail("object key string", t);
          lua.lua_pushlstring(L, toLuaBytes(t.s), t.s.length);
          t = this.next();
          if (t.t !== "T_COLON") this.fail("colon", t);
          this.value(this.next());
          lua.lua_rawset(L, -3);
          t = this.next();
          if (t.t === "T_OBJ_END") {
            this.depth--;
            return;
          }
          if (t.t !== "T_COMMA") this.fail("comma or object end", t);
          t = this.next();
        }
      }
      case "T_ARR_BEGIN": {
        this.descend(2);
        lua.lua_createtable(L, 0, 0);
        let t = this.next();
        if (t.t === "T_ARR_END") {
          this.depth--;
          return;
        }
        for (let i = 1; ; i++) {
          this.value(t);
          lua.lua_rawseti(L, -2, i);
          t = this.next();
          if (t.t === "T_ARR_END") {
            this.depth--;
            return;
          }
          if (t.t !== "T_COMMA") this.fail("comma or array end", t);
          t = this.next();
        }
      }
      default:
        this.fail("value", tok);
    }
  }
}

// ---- the module -----------------------------------------------------------------------------

function makeModule(L: LuaState): void {
  const cfg = defaults();
  const fns: Record<string, (L: LuaState) => number> = {
    encode: (L) => {
      lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, "expected 1 argument");
      const out: string[] = [];
      encodeValue(L, cfg, 0, out);
      const s = out.join("");
      lua.lua_pushlstring(L, toLuaBytes(s), s.length);
      return 1;
    },
    decode: (L) => {
      lauxlib.luaL_argcheck(L, lua.lua_gettop(L) === 1, 1, "expected 1 argument");
      lauxlib.luaL_checklstring(L, 1);
      const s = toBytes(L, 1)!;
      if (s.length >= 2 && (s[0] === "\0" || s[1] === "\0")) raiseError(L, "JSON parser does not support UTF-16 or UTF-32");
      const p = new Parser(L, cfg, s);
      p.value(p.next());
      const end = p.next();
      if (end.t !== "T_END") p.fail("the end", end);
      return 1;
    },
    encode_sparse_array: (L) => {
      if (!lua.lua_isnoneornil(L, 1)) cfg.encodeSparseConvert = lua.lua_toboolean(L, 1);
      intOption(L, 2, 0, 2147483647, (v) => (cfg.encodeSparseRatio = v), cfg.encodeSparseRatio);
      intOption(L, 3, 0, 2147483647, (v) => (cfg.encodeSparseSafe = v), cfg.encodeSparseSafe);
      lua.lua_settop(L, 0);
      lua.lua_pushboolean(L, cfg.encodeSparseConvert);
      lua.lua_pushnumber(L, cfg.encodeSparseRatio);
      lua.lua_pushnumber(L, cfg.encodeSparseSafe);
      return 3;
    },
    encode_max_depth: (L) => intResult(L, 1, 1, 2147483647, (v) => (cfg.encodeMaxDepth = v), () => cfg.encodeMaxDepth),
    decode_max_depth: (L) => intResult(L, 1, 1, 2147483647, (v) => (cfg.decodeMaxDepth = v), () => cfg.decodeMaxDepth),
    encode_number_precision: (L) =>
      intResult(L, 1, 1, 14, (v) => (cfg.encodeNumberPrecision = v), () => cfg.encodeNumberPrecision),
    encode_keep_buffer: (L) => {
      if (!lua.lua_isnoneornil(L, 1)) cfg.encodeKeepBuffer = lua.lua_toboolean(L, 1);
      lua.lua_pushboolean(L, cfg.encodeKeepBuffer);
      return 1;
    },
    encode_invalid_numbers: (L) => {
      if (!lua.lua_isnoneornil(L, 1)) {
        if (lua.lua_type(L, 1) === lua.LUA_TBOOLEAN) cfg.encodeInvalidNumbers = lua.lua_toboolean(L, 1) ? 1 : 0;
        else {
          const o = toBytes(L, 1);
          const idx = ["off", "on", "null"].indexOf(o ?? "");
          lauxlib.luaL_argcheck(L, idx >= 0, 1, "invalid option");
          cfg.encodeInvalidNumbers = idx as 0 | 1 | 2;
        }
      }
      if (cfg.encodeInvalidNumbers === 2) lua.lua_pushstring(L, "null");
      else lua.lua_pushboolean(L, cfg.encodeInvalidNumbers === 1);
      return 1;
    },
    decode_invalid_numbers: (L) => {
      if (!lua.lua_isnoneornil(L, 1)) cfg.decodeInvalidNumbers = lua.lua_toboolean(L, 1);
      lua.lua_pushboolean(L, cfg.decodeInvalidNumbers);
      return 1;
    },
    new: (L) => {
      makeModule(L);
      return 1;
    },
  };
  lua.lua_createtable(L, 0, Object.keys(fns).length + 3);
  for (const [name, f] of Object.entries(fns)) {
    lua.lua_pushcfunction(L, f);
    lua.lua_setfield(L, -2, name);
  }
  lua.lua_pushlightuserdata(L, null);
  lua.lua_setfield(L, -2, "null");
  lua.lua_pushstring(L, "cjson");
  lua.lua_setfield(L, -2, "_NAME");
  lua.lua_pushstring(L, "2.1.0");
  lua.lua_setfield(L, -2, "_VERSION");
}

function intOption(L: LuaState, idx: number, min: number, max: number, set: (v: number) => void, _current: number): void {
  if (lua.lua_isnoneornil(L, idx)) return;
  const v = Math.trunc(lauxlib.luaL_checknumber(L, idx));
  lauxlib.luaL_argcheck(L, min <= v && v <= max, 1, `expected integer between ${min} and ${max}`);
  set(v);
}

function intResult(L: LuaState, idx: number, min: number, max: number, set: (v: number) => void, get: () => number): number {
  intOption(L, idx, min, max, set, get());
  lua.lua_pushnumber(L, get());
  return 1;
}

export function openCjson(L: LuaState): void {
  makeModule(L);
  lua.lua_setglobal(L, "cjson");
}
