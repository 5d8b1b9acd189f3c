// The one place that reaches into fengari (Lua 5.3 in JavaScript): its modules, byte-string
// helpers, and the few patches of its internals that make what scripts observe closer to Redis's
// Lua 5.1 and let tables be made read-only. The patches are installed once per isolate; fengari's
// modules are shared by every VM in it.

import fengari from "./fengari-modules.js";
import { formatG } from "./number-format.js";

export const { lua, lauxlib, lbaselib, ltablib, lstrlib, lmathlib, lcorolib } = fengari;
const { lobject, ltable, lstring, ldebug, ltm } = fengari;

/** A Lua state: fengari's lua_State. Opaque to everything but this folder. */
export type LuaState = any;

/** A JS byte string (chars 0–255) as a Lua string's bytes. */
export function toLuaBytes(s: string): Uint8Array {
  const n = s.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A Lua string's bytes as a JS byte string. */
export function fromLuaBytes(b: Uint8Array): string {
  const n = b.length;
  if (n <= 8192) return String.fromCharCode.apply(null, b as unknown as number[]);
  let out = "";
  for (let i = 0; i < n; i += 8192) out += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return out;
}

/** Pushes a JS byte string as a Lua string (its bytes become the string's own: no second copy). */
export function pushBytes(L: LuaState, s: string): void {
  if (L.top >= L.ci.top) lua.lua_checkstack(L, 1);
  lobject.pushsvalue2s(L, lstring.luaS_bless(L, toLuaBytes(s)));
}

const fieldKeys = new Map<string, string>();

/**
 * rawget(t, name) for the table at idx, read straight from fengari's table (no string pushed and
 * hashed per lookup): the value's TValue, or undefined.
 */
export function rawFieldValue(L: LuaState, idx: number, name: string): any {
  let key = fieldKeys.get(name);
  if (key === undefined) {
    key = lstring.luaS_hash(toLuaBytes(name)) as string;
    fieldKeys.set(name, key);
  }
  const t = L.stack[lua.lua_absindex(L, idx) + L.ci.funcOff]?.value;
  return t?.strong?.get(key)?.value;
}

/** The Lua string (or number, converted) at idx as a JS byte string; null if neither. */
export function toBytes(L: LuaState, idx: number): string | null {
  const b = lua.lua_tolstring(L, idx);
  return b === null || b === undefined ? null : fromLuaBytes(b);
}

/** luaL_argerror's "<tname> expected, got <type>" (5.1's luaL_typerror). */
export function typeError(L: LuaState, arg: number, tname: string): never {
  const got = fromLuaBytes(lauxlib.luaL_typename(L, arg));
  lauxlib.luaL_argerror(L, arg, `${tname} expected, got ${got}`);
  throw new Error("unreachable");
}

/**
 * Lua 5.3 words some runtime errors differently from 5.1: "attempt to index a nil value (local
 * 't')" is 5.1's "attempt to index local 't' (a nil value)". Applied where errors surface (the
 * run's error handler, pcall, xpcall).
 */
export function luaMessage51(msg: string): string {
  return msg.replace(
    /attempt to (index|call|perform arithmetic on|concatenate|get length of) a (\w+) value \((global|local|field|upvalue|method|constant) '([^']*)'\)/,
    (_m, op: string, type: string, kind: string, name: string) =>
      `attempt to ${op} ${kind === "constant" ? "field" : kind} '${name}' (a ${type} value)`,
  );
}

/** Raises a Lua error with a plain message at the current position (luaL_error without formats). */
export function raiseError(L: LuaState, message: string): never {
  lua.lua_checkstack(L, 4);
  lauxlib.luaL_where(L, 1);
  lua.lua_pushstring(L, message);
  lua.lua_concat(L, 2);
  lua.lua_error(L);
  throw new Error("unreachable");
}

const READONLY_TEXT = "Attempt to modify a readonly table";

/** Marks a table (fengari's Table object) read-only, as Redis 7.0's patched Lua does. */
export function setReadonly(table: { readonly?: boolean }, on: boolean): void {
  table.readonly = on;
}

/**
 * The state whose code is running: luaH_setint has no state argument, and a read-only error must
 * be raised in one. One script runs at a time in an isolate's thread.
 */
let runningState: LuaState = null;
export function setRunningState(L: LuaState): LuaState {
  const prev = runningState;
  runningState = L;
  return prev;
}

/**
 * The VM's running count of bytes allocated (table entries, concatenations, string.rep) since the
 * heap was last measured (heap.ts), and the bounds on single strings.
 */
export const allocation = { bytes: 0, concat: 0 };
export function countAllocation(bytes: number): void {
  counted(bytes);
}
/** The longest string a concatenation or string.rep may make. */
export const MAX_STRING_BYTES = 32 * 1024 * 1024;
const ENTRY_BYTES = 80;
const NOT_ENOUGH_MEMORY = "not enough memory";

/**
 * Past `step` bytes allocated, onStep (the VM's heap measure) runs at once, whatever the hook's
 * period: one instruction can allocate a lot (a 30 MB concatenation in a loop).
 */
export const heapGuard: { step: number; onStep: ((L: LuaState) => void) | null } = { step: 8 * 1024 * 1024, onStep: null };

function counted(bytes: number): void {
  allocation.bytes += bytes;
  if (allocation.bytes > heapGuard.step && heapGuard.onStep !== null && runningState !== null) heapGuard.onStep(runningState);
}

/** Lua's allocation failure, raised in the running state (as Lua's, without a position). */
export function outOfMemory(L: LuaState): never {
  lua.lua_checkstack(L, 2); // raised from inside the VM too, where the frame may be full
  lua.lua_pushstring(L, NOT_ENOUGH_MEMORY);
  lua.lua_error(L);
  throw new Error("unreachable");
}

/**
 * fengari keeps a table's entries in insertion order and `pairs` walks them so; Lua walks the
 * array part 1, 2, 3…. A table constructor stores its items last to first (in batches of 50), so
 * {1, 2, 3} would walk 3, 2, 1. A new integer key is moved back past the (at most 64) entries just
 * before it whose integer keys are larger, which restores ascending order for constructors and for
 * arrays filled from the end.
 */
function keepIntegerOrder(t: any, key: number): void {
  const e = t.l;
  if (e === undefined || e.key.value !== key) return;
  let target: any = undefined;
  let p = e.p;
  for (let steps = 0; p !== undefined && steps < 64; steps++, p = p.p) {
    if (!p.key.ttisinteger() || p.key.value < key) break;
    target = p;
  }
  if (target === undefined) return;
  t.l = e.p;
  e.p.n = undefined;
  e.p = target.p;
  e.n = target;
  if (target.p) target.p.n = e;
  else t.f = e;
  target.p = e;
}

let patched = false;

/** Installs the patches, once. */
export function installPatches(): void {
  if (patched) return;
  patched = true;

  // Lua 5.1 has one number type (double). Every numeral and every string converted to a number
  // becomes a float, so arithmetic never takes fengari's 32-bit integer path (which wraps).
  const str2num = lobject.luaO_str2num;
  lobject.luaO_str2num = (s: Uint8Array, o: any): number => {
    const r = str2num(s, o);
    if (r !== 0 && o.ttisinteger()) o.setfltvalue(o.value);
    return r;
  };

  // Numbers print as Lua 5.1 prints them: "%.14g" (10/2 is "5", not "5.0").
  lobject.luaO_tostring = (L: LuaState, obj: any): void => {
    const text = obj.ttisinteger() ? String(obj.value) : formatG(obj.value, 14);
    obj.setsvalue(lstring.luaS_bless(L, toLuaBytes(text)));
  };

  // Lua 5.1 ignores __len on tables (# is always the raw length).
  const fasttm = ltm.fasttm;
  const TM_LEN = ltm.TMS.TM_LEN;
  ltm.fasttm = (L: LuaState, mt: unknown, event: number) => (event === TM_LEN ? null : fasttm(L, mt, event));

  // Concatenation: fengari sums its operands' lengths (vslen, the top operand first) and then
  // allocates the result. The sum is kept here and refused past MAX_STRING_BYTES before the
  // allocation; the result's bytes are counted.
  const TValue = lobject.TValue;
  const vslen = TValue.prototype.vslen;
  TValue.prototype.vslen = function (this: any): number {
    const n = vslen.call(this);
    const L = runningState;
    if (L !== null) {
      if (this === L.stack[L.top - 1]) allocation.concat = 0;
      allocation.concat += n;
      if (allocation.concat > MAX_STRING_BYTES) outOfMemory(L);
    }
    return n;
  };
  const setsvalue2s = lobject.setsvalue2s;
  lobject.setsvalue2s = (L: LuaState, idx: number, ts: any): void => {
    setsvalue2s(L, idx, ts);
    counted(ts.realstring.length);
  };

  // Read-only tables: every write to one raises Redis's error.
  const setfrom = ltable.luaH_setfrom;
  ltable.luaH_setfrom = (L: LuaState, t: any, key: any, value: any): void => {
    if (t.readonly) ldebug.luaG_runerror(L, toLuaBytes(READONLY_TEXT));
    const before = t.strong.size;
    setfrom(L, t, key, value);
    if (t.strong.size > before) counted(ENTRY_BYTES);
  };
  const setint = ltable.luaH_setint;
  ltable.luaH_setint = (t: any, key: number, value: any): void => {
    if (t.readonly && runningState !== null) ldebug.luaG_runerror(runningState, toLuaBytes(READONLY_TEXT));
    const before = t.strong.size;
    setint(t, key, value);
    if (t.strong.size > before) {
      counted(ENTRY_BYTES);
      keepIntegerOrder(t, key);
    }
  };
}
