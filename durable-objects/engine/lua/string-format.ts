// string.format as Lua 5.1 does it (Redis's): %d/%i/%o/%u/%x/%X/%c take any number and truncate it
// through a C long (5.3 refuses 3.7), %s takes strings and numbers only (numbers printed %.14g) and
// stops at a zero byte unless the string is 100 bytes or more, %q quotes as 5.1, and the
// conversions print as glibc's printf.

import { lauxlib, lua, raiseError, toBytes, toLuaBytes, typeError, type LuaState } from "./fengari.js";
import { formatG, toExponentialEven, toFixedEven } from "./number-format.js";

const FLAGS = "-+ #0";

interface Spec {
  left: boolean;
  plus: boolean;
  space: boolean;
  alt: boolean;
  zero: boolean;
  width: number;
  precision: number | null;
}

function pad(body: string, sign: string, spec: Spec, numeric: boolean): string {
  const len = sign.length + body.length;
  if (len >= spec.width) return sign + body;
  const fill = spec.width - len;
  if (spec.left) return sign + body + " ".repeat(fill);
  if (spec.zero && numeric) return sign + "0".repeat(fill) + body;
  return " ".repeat(fill) + sign + body;
}

/** C's (long) of a double on x86-64. */
function toLong(n: number): bigint {
  if (!Number.isFinite(n)) return -9223372036854775808n;
  const t = Math.trunc(n);
  if (t >= 9223372036854775808 || t < -9223372036854775808) return -9223372036854775808n;
  return BigInt(t);
}

export function formatInteger(conv: string, n: number, spec: Spec): string {
  const v = toLong(n);
  let sign = "";
  let digits: string;
  if (conv === "d" || conv === "i") {
    if (v < 0n) sign = "-";
    else if (spec.plus) sign = "+";
    else if (spec.space) sign = " ";
    digits = (v < 0n ? -v : v).toString();
  } else {
    const u = BigInt.asUintN(64, v);
    digits = u.toString(conv === "o" ? 8 : conv === "u" ? 10 : 16);
    if (conv === "X") digits = digits.toUpperCase();
    if (spec.alt && conv === "o" && digits[0] !== "0") digits = `0${digits}`;
    if (spec.alt && (conv === "x" || conv === "X") && u !== 0n) sign = conv === "x" ? "0x" : "0X";
  }
  if (spec.precision !== null) {
    if (spec.precision === 0 && v === 0n) digits = conv === "o" && spec.alt ? "0" : "";
    else if (digits.length < spec.precision) digits = "0".repeat(spec.precision - digits.length) + digits;
    return pad(digits, sign, { ...spec, zero: false }, true);
  }
  return pad(digits, sign, spec, true);
}

/** x.toFixed(p) without JavaScript's switch to exponent form at 1e21. */
function toFixedExact(x: number, p: number): string {
  if (Math.abs(x) < 1e21) return toFixedEven(x, p);
  return BigInt(x).toString() + (p > 0 ? `.${"0".repeat(p)}` : "");
}

function expForm(x: number, p: number, upper: boolean): string {
  const s = toExponentialEven(x, p);
  const e = s.indexOf("e");
  const exp = Number(s.slice(e + 1));
  const a = Math.abs(exp);
  const out = `${s.slice(0, e)}e${exp < 0 ? "-" : "+"}${a < 10 ? "0" : ""}${a}`;
  return upper ? out.toUpperCase() : out;
}

export function formatFloat(conv: string, x: number, spec: Spec): string {
  const upper = conv === "E" || conv === "G" || conv === "F";
  let sign = "";
  const neg = x < 0 || Object.is(x, -0);
  if (neg) sign = "-";
  else if (spec.plus) sign = "+";
  else if (spec.space) sign = " ";
  if (!Number.isFinite(x)) {
    let body = Number.isNaN(x) ? "nan" : "inf";
    if (Number.isNaN(x)) sign = formatG(x, 1) === "-nan" ? "-" : spec.plus ? "+" : spec.space ? " " : "";
    if (upper) body = body.toUpperCase();
    return pad(body, sign, { ...spec, zero: false }, true);
  }
  const a = Math.abs(x);
  const p = spec.precision ?? 6;
  let body: string;
  if (conv === "f" || conv === "F") {
    body = toFixedExact(a, p);
    if (spec.alt && p === 0) body += ".";
  } else if (conv === "e" || conv === "E") {
    body = expForm(a, p, upper);
  } else {
    const P = p === 0 ? 1 : p;
    if (a === 0) body = "0";
    else {
      const X = Number(toExponentialEven(a, P - 1).split("e")[1]);
      if (P > X && X >= -4) {
        body = toFixedExact(a, P - 1 - X);
        if (!spec.alt && body.includes(".")) body = body.replace(/0+$/, "").replace(/\.$/, "");
      } else {
        body = expForm(a, P - 1, upper);
        if (!spec.alt) body = body.replace(/\.?0+(e|E)/, "$1");
      }
    }
    if (spec.alt && a === 0 && P > 1) body = `0.${"0".repeat(P - 1)}`;
  }
  return pad(body, sign, spec, true);
}

/** %q of Lua 5.1. */
function quoted(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' || c === "\\") out += `\\${c}`;
    else if (c === "\n") out += "\\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\0") out += "\\000";
    else out += c;
  }
  return `${out}"`;
}

/** luaL_checklstring of 5.1: strings, and numbers as %.14g. */
function checkString(L: LuaState, arg: number): string {
  const t = lua.lua_type(L, arg);
  if (t === lua.LUA_TNUMBER) return formatG(lua.lua_tonumber(L, arg), 14);
  if (t !== lua.LUA_TSTRING) typeError(L, arg, "string");
  return toBytes(L, arg)!;
}

function checkNumber(L: LuaState, arg: number): number {
  return lauxlib.luaL_checknumber(L, arg);
}

function format(L: LuaState): number {
  const top = lua.lua_gettop(L);
  let arg = 1;
  const fmt = checkString(L, 1);
  let out = "";
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i++];
    if (c !== "%") {
      out += c;
      continue;
    }
    if (fmt[i] === "%") {
      out += "%";
      i++;
      continue;
    }
    if (++arg > top) lauxlib.luaL_argerror(L, arg, "no value");
    // scanformat
    const start = i;
    while (i < fmt.length && FLAGS.includes(fmt[i])) i++;
    if (i - start >= FLAGS.length + 1) raiseError(L, "invalid format (repeated flags)");
    const flags = fmt.slice(start, i);
    let digits = 0;
    let width = "";
    while (fmt[i] >= "0" && fmt[i] <= "9") {
      width += fmt[i++];
      digits++;
    }
    let precision: string | null = null;
    if (fmt[i] === ".") {
      i++;
      precision = "";
      while (fmt[i] >= "0" && fmt[i] <= "9") precision += fmt[i++];
    }
    if (width.length > 2 || (precision !== null && precision.length > 2))
      raiseError(L, "invalid format (width or precision too long)");
    const spec: Spec = {
      left: flags.includes("-"),
      plus: flags.includes("+"),
      space: flags.includes(" "),
      alt: flags.includes("#"),
      zero: flags.includes("0"),
      width: width === "" ? 0 : Number(width),
      precision: precision === null ? null : precision === "" ? 0 : Number(precision),
    };
    const conv = fmt[i++];
    switch (conv) {
      case "c": {
        // 5.1 passes (int)n to sprintf (out of int's range: INT_MIN, as x86 converts), then keeps
        // strlen(buff) bytes: a NUL character ends the piece, and takes any padding after it along.
        const n = checkNumber(L, arg);
        const t = Math.trunc(n);
        const int = Number.isFinite(n) && t >= -2147483648 && t <= 2147483647 ? t : -2147483648;
        const piece = pad(String.fromCharCode(int & 0xff), "", { ...spec, zero: false }, false);
        out += piece.includes("\0") ? piece.slice(0, piece.indexOf("\0")) : piece;
        break;
      }
      case "d":
      case "i":
      case "o":
      case "u":
      case "x":
      case "X":
        out += formatInteger(conv, checkNumber(L, arg), spec);
        break;
      case "e":
      case "E":
      case "f":
      case "g":
      case "G":
        out += formatFloat(conv, checkNumber(L, arg), spec);
        break;
      case "q":
        out += quoted(checkString(L, arg));
        break;
      case "s": {
        const s = checkString(L, arg);
        if (spec.precision === null && s.length >= 100) {
          out += s; // 5.1 keeps the whole string, width and all, when it is long
        } else {
          let v = s.includes("\0") ? s.slice(0, s.indexOf("\0")) : s;
          if (spec.precision !== null) v = v.slice(0, spec.precision);
          out += pad(v, "", { ...spec, zero: false }, false);
        }
        break;
      }
      default:
        raiseError(L, `invalid option '%${conv ?? ""}' to 'format'`);
    }
  }
  lua.lua_pushlstring(L, toLuaBytes(out), out.length);
  return 1;
}

/** Replaces string.format in the string table on top of the stack. */
export function installFormat(L: LuaState): void {
  lua.lua_pushcfunction(L, format);
  lua.lua_setfield(L, -2, "format");
}
