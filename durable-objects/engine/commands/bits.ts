// Bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO) and LCS, on byte
// strings (one char per byte, bit 0 is the most significant bit of byte 0, as in Redis).
// JS strings are immutable: writes rebuild the string around the few bytes they change.

import { bytesToBinary, parseInt64 } from "../bytes.js";
import { type CommandContext, type CommandSpec, command, withGrowth } from "../command.js";
import { bitfieldGrowth, derivedGrowth, setbitGrowth } from "../growth.js";
import { RedisError, bitOffsetError, notInteger, stringTooLong, syntaxError } from "../errors.js";
import type { Reply } from "../reply.js";
import { getString, opt } from "./args.js";
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../notify.js";

const MAX_STRING = 512 * 1024 * 1024;
/** V8's longest string (2^29 - 24 chars): a value cannot grow past it here. */
const MAX_JS_STRING = 0x1fffffe8;
const INT64_MAX = 9223372036854775807n;
/** LCS's DP table beyond this many bytes is refused as an allocation failure (a Worker has 128 MB). */
const MAX_LCS_TABLE = 64 * 1024 * 1024;

const bitValueError = () => new RedisError("ERR bit is not an integer or out of range");
const bitArgError = () => new RedisError("ERR The bit argument must be 1 or 0.");
const bitopNotError = () => new RedisError("ERR BITOP NOT must be called with a single source key.");
const bitfieldTypeError = () =>
  new RedisError("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.");
const overflowTypeError = () => new RedisError("ERR Invalid OVERFLOW type specified");
const bitfieldRoError = () => new RedisError("ERR BITFIELD_RO only supports the GET subcommand");
const lcsTypeError = () => new RedisError("ERR The specified keys must contain string values");
const lcsLenIdxError = () => new RedisError("ERR If you want both the length and indexes, please just use IDX.");

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

const byteAt = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0);

/** An integer reply: a number when it is exact as one, else a bigint. */
const intReply = (n: bigint): number | bigint => (n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n);

/**
 * The byte limit for bit offsets: min(512 MB, proto-max-bulk-len), none while replaying (Redis trusts
 * its AOF client).
 */
function offsetLimit(ctx: CommandContext): number {
  return ctx.loading ? Infinity : Math.min(MAX_STRING, ctx.config.getNumber("proto-max-bulk-len"));
}

/**
 * A bit offset argument, as Redis's getBitOffsetFromArgument: int64, not negative, its byte below
 * `limit`. With `fieldBits`, "#N" means N fields of that width (C's wrapping multiply included).
 */
export function bitOffsetArg(arg: string, limit: number, fieldBits = 0): number {
  const hash = fieldBits > 0 && arg.charCodeAt(0) === 35; // '#'
  let n = parseInt64(hash ? arg.slice(1) : arg);
  if (n === null) throw bitOffsetError();
  if (hash) n = BigInt.asIntN(64, n * BigInt(fieldBits));
  if (n < 0n || Number(n >> 3n) >= limit) throw bitOffsetError();
  return Number(n);
}

/** The string zero-padded to at least len bytes. */
function grow(s: string, len: number): string {
  if (len <= s.length) return s;
  if (len > MAX_JS_STRING) throw stringTooLong();
  return s + "\0".repeat(len - s.length);
}

/** Set bits in bytes [from, to). */
function popcount(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += POPCOUNT[s.charCodeAt(i)];
  return n;
}

/** Set bits from bit `first` to bit `last`, inclusive, both within s. */
function countBits(s: string, first: number, last: number): number {
  const fb = Math.floor(first / 8);
  const lb = Math.floor(last / 8);
  let n = popcount(s, fb, lb + 1);
  n -= POPCOUNT[s.charCodeAt(fb) & ~(0xff >> first % 8) & 0xff];
  n -= POPCOUNT[s.charCodeAt(lb) & (0xff >> ((last % 8) + 1))];
  return n;
}

/** Position of the first bit equal to `bit` from bit `first` to bit `last` (inclusive, within s), or -1. */
function findBit(s: string, bit: number, first: number, last: number): number {
  const fb = Math.floor(first / 8);
  const lb = Math.floor(last / 8);
  const skip = bit ? 0 : 0xff;
  for (let i = fb; i <= lb; i++) {
    let b = s.charCodeAt(i);
    if (b === skip && i !== fb && i !== lb) continue;
    if (!bit) b = ~b & 0xff;
    if (i === fb) b &= 0xff >> first % 8;
    if (i === lb) b &= ~(0xff >> ((last % 8) + 1)) & 0xff;
    if (b !== 0) return i * 8 + Math.clz32(b) - 24;
  }
  return -1;
}

/**
 * Redis's start/end rule for BITCOUNT and BITPOS: negatives count back from `total`, then both are
 * clamped into [0, total - 1]. The caller treats start > end as an empty range.
 */
function clampRange(start: bigint, end: bigint, total: number): [number, number] {
  const t = BigInt(total);
  if (start < 0n) start += t;
  if (end < 0n) end += t;
  if (start < 0n) start = 0n;
  if (end < 0n) end = 0n;
  if (end >= t) end = t - 1n;
  return [Number(start), Number(end)];
}

function int64(s: string): bigint {
  const n = parseInt64(s);
  if (n === null) throw notInteger();
  return n;
}

/** BYTE or BIT (case-insensitive); true for BIT. */
function unitArg(s: string): boolean {
  const u = opt(s);
  if (u === "BIT") return true;
  if (u === "BYTE") return false;
  throw syntaxError();
}

/** SETBIT key offset value */
function setbit(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const offset = bitOffsetArg(argv[2], offsetLimit(ctx));
  const on = parseInt64(argv[3]);
  if (on !== 0n && on !== 1n) throw bitValueError();
  const old = getString(ctx, key);
  const byte = Math.floor(offset / 8);
  const grown = old === undefined || byte >= old.length;
  const s = grow(old ?? "", byte + 1);
  const cur = s.charCodeAt(byte);
  const mask = 0x80 >> offset % 8;
  const was = cur & mask ? 1 : 0;
  // Redis 7.0 counts a change only when the string grew or the bit flipped.
  if (grown || was !== Number(on)) {
    const next = on ? cur | mask : cur & ~mask;
    ctx.db.set(key, s.slice(0, byte) + String.fromCharCode(next) + s.slice(byte + 1), true);
    ctx.notify(NOTIFY_STRING, "setbit", key);
    ctx.dirty++;
  }
  // Redis unshares the value for writing either way, so it is "raw" from now on.
  ctx.db.stringEncodings.set(key, "raw");
  return was;
}

/** GETBIT key offset */
function getbit(ctx: CommandContext, argv: string[]): Reply {
  const offset = bitOffsetArg(argv[2], offsetLimit(ctx));
  const s = getString(ctx, argv[1]) ?? "";
  return byteAt(s, Math.floor(offset / 8)) & (0x80 >> offset % 8) ? 1 : 0;
}

/** BITCOUNT key [start end [BYTE|BIT]] */
function bitcount(ctx: CommandContext, argv: string[]): Reply {
  // Redis looks the key up first: a missing key counts 0 whatever the arguments.
  const s = getString(ctx, argv[1]);
  if (s === undefined) return 0;
  if (argv.length === 2) return popcount(s, 0, s.length);
  if (argv.length !== 4 && argv.length !== 5) throw syntaxError();
  const start = int64(argv[2]);
  const end = int64(argv[3]);
  // Redis answers an empty negative range before it reads the unit word.
  if (start < 0n && end < 0n && start > end) return 0;
  const isBit = argv.length === 5 && unitArg(argv[4]);
  const total = isBit ? s.length * 8 : s.length;
  const [from, to] = clampRange(start, end, total);
  if (from > to) return 0;
  return isBit ? countBits(s, from, to) : popcount(s, from, to + 1);
}

/** BITPOS key bit [start [end [BYTE|BIT]]] */
function bitpos(ctx: CommandContext, argv: string[]): Reply {
  const bitArg = int64(argv[2]);
  if (bitArg !== 0n && bitArg !== 1n) throw bitArgError();
  const bit = Number(bitArg);
  // A missing key is an endless run of zeros.
  const s = getString(ctx, argv[1]);
  if (s === undefined) return bit ? -1 : 0;
  if (argv.length > 6) throw syntaxError();
  let isBit = false;
  let start = 0n;
  let end = -1n;
  const endGiven = argv.length >= 5;
  if (argv.length >= 4) {
    start = int64(argv[3]);
    if (argv.length === 6) isBit = unitArg(argv[5]);
    if (endGiven) end = int64(argv[4]);
  }
  const total = isBit ? s.length * 8 : s.length;
  const [from, to] = clampRange(start, end, total);
  if (from > to) return -1;
  const first = isBit ? from : from * 8;
  const last = isBit ? to : to * 8 + 7;
  const pos = findBit(s, bit, first, last);
  if (pos !== -1 || bit === 1 || endGiven) return pos;
  // Looking for a 0 with no end given: the string continues with zeros after its last byte.
  return s.length * 8;
}

/** BITOP AND|OR|XOR|NOT destkey key [key …] */
function bitop(ctx: CommandContext, argv: string[]): Reply {
  const op = opt(argv[1]);
  if (op !== "AND" && op !== "OR" && op !== "XOR" && op !== "NOT") throw syntaxError();
  if (op === "NOT" && argv.length !== 4) throw bitopNotError();
  const dest = argv[2];
  const sources: string[] = [];
  let maxLen = 0;
  for (let i = 3; i < argv.length; i++) {
    const s = getString(ctx, argv[i]) ?? "";
    sources.push(s);
    if (s.length > maxLen) maxLen = s.length;
  }
  // Sources may predate a lower proto-max-bulk-len; the result is a new value and obeys it.
  if (!ctx.loading && maxLen > ctx.config.getNumber("proto-max-bulk-len")) throw stringTooLong();
  if (maxLen === 0) {
    if (ctx.db.delete(dest)) {
      ctx.notify(NOTIFY_GENERIC, "del", dest);
      ctx.dirty++;
    }
    return 0;
  }
  const out = new Uint8Array(maxLen);
  const first = sources[0];
  if (op === "NOT") {
    for (let i = 0; i < maxLen; i++) out[i] = ~first.charCodeAt(i) & 0xff;
  } else {
    for (let i = 0; i < first.length; i++) out[i] = first.charCodeAt(i);
    for (let k = 1; k < sources.length; k++) {
      const s = sources[k];
      const n = s.length;
      if (op === "AND") {
        for (let i = 0; i < n; i++) out[i] &= s.charCodeAt(i);
        out.fill(0, n);
      } else if (op === "OR") {
        for (let i = 0; i < n; i++) out[i] |= s.charCodeAt(i);
      } else {
        for (let i = 0; i < n; i++) out[i] ^= s.charCodeAt(i);
      }
    }
  }
  ctx.db.set(dest, bytesToBinary(out));
  ctx.db.stringEncodings.set(dest, "raw");
  ctx.notify(NOTIFY_STRING, "set", dest);
  ctx.dirty++;
  return maxLen;
}

export type Overflow = "WRAP" | "SAT" | "FAIL";

export interface FieldOp {
  op: "GET" | "SET" | "INCRBY";
  signed: boolean;
  bits: number;
  offset: number;
  /** SET's value or INCRBY's increment. */
  value: bigint;
  overflow: Overflow;
}

/** A bitfield type: i1…i64 or u1…u63. */
function fieldType(s: string): { signed: boolean; bits: number } {
  const sign = s.charCodeAt(0);
  if (sign !== 105 && sign !== 117) throw bitfieldTypeError(); // 'i', 'u'
  const n = parseInt64(s.slice(1));
  const signed = sign === 105;
  if (n === null || n < 1n || n > (signed ? 64n : 63n)) throw bitfieldTypeError();
  return { signed, bits: Number(n) };
}

/** Parses BITFIELD's operations (argv from the key on) with Redis's checks in Redis's order. */
export function parseBitfield(argv: string[], readonly: boolean, limit: number): FieldOp[] {
  const ops: FieldOp[] = [];
  let overflow: Overflow = "WRAP";
  let writes = false;
  for (let i = 2; i < argv.length; ) {
    const word = opt(argv[i]);
    const rest = argv.length - i - 1;
    if (word === "OVERFLOW" && rest >= 1) {
      const o = opt(argv[i + 1]);
      if (o !== "WRAP" && o !== "SAT" && o !== "FAIL") throw overflowTypeError();
      overflow = o;
      i += 2;
      continue;
    }
    if (!((word === "GET" && rest >= 2) || ((word === "SET" || word === "INCRBY") && rest >= 3))) throw syntaxError();
    const { signed, bits } = fieldType(argv[i + 1]);
    const offset = bitOffsetArg(argv[i + 2], limit, bits);
    let value = 0n;
    if (word !== "GET") {
      value = int64(argv[i + 3]);
      writes = true;
    }
    ops.push({ op: word as FieldOp["op"], signed, bits, offset, value, overflow });
    i += word === "GET" ? 3 : 4;
  }
  if (readonly && writes) throw bitfieldRoError();
  return ops;
}

/**
 * The result fitted into the field by the overflow policy; null when FAIL refuses it. `set` marks a
 * signed SET, which Redis checks as value + 0 in wrapping int64 arithmetic: a value so negative that
 * max - value wraps counts as an overflow, so SAT stores the maximum.
 */
function fitField(v: bigint, signed: boolean, bits: number, overflow: Overflow, set: boolean): bigint | null {
  const b = BigInt(bits);
  const min = signed ? -(1n << (b - 1n)) : 0n;
  const max = signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  if (v >= min && v <= max) return v;
  if (overflow === "FAIL") return null;
  if (overflow === "SAT") return v > max || (set && signed && max - v > INT64_MAX) ? max : min;
  return signed ? BigInt.asIntN(bits, v) : BigInt.asUintN(bits, v);
}

/** A string being edited: changed bytes sit in an overlay until written back in one pass. */
class ByteEditor {
  private readonly patch = new Map<number, number>();
  constructor(private readonly s: string) {}

  byte(i: number): number {
    return this.patch.get(i) ?? byteAt(this.s, i);
  }

  /** The field's raw bits, unsigned. */
  read(offset: number, bits: number): bigint {
    const fb = Math.floor(offset / 8);
    const lb = Math.floor((offset + bits - 1) / 8);
    let chunk = 0n;
    for (let i = fb; i <= lb; i++) chunk = (chunk << 8n) | BigInt(this.byte(i));
    const tail = BigInt((lb - fb + 1) * 8 - (offset % 8) - bits);
    return (chunk >> tail) & ((1n << BigInt(bits)) - 1n);
  }

  write(offset: number, bits: number, value: bigint): void {
    const fb = Math.floor(offset / 8);
    const lb = Math.floor((offset + bits - 1) / 8);
    let chunk = 0n;
    for (let i = fb; i <= lb; i++) chunk = (chunk << 8n) | BigInt(this.byte(i));
    const tail = BigInt((lb - fb + 1) * 8 - (offset % 8) - bits);
    const mask = ((1n << BigInt(bits)) - 1n) << tail;
    chunk = (chunk & ~mask) | ((BigInt.asUintN(bits, value) << tail) & mask);
    for (let i = lb; i >= fb; i--) {
      this.patch.set(i, Number(chunk & 0xffn));
      chunk >>= 8n;
    }
  }

  /** The edited string (the original padded to cover every patched byte is the caller's job). */
  result(): string {
    if (this.patch.size === 0) return this.s;
    const at = [...this.patch.keys()].sort((a, b) => a - b);
    let out = "";
    let pos = 0;
    for (let k = 0; k < at.length; ) {
      let end = k;
      while (end + 1 < at.length && at[end + 1] === at[end] + 1) end++;
      const codes: number[] = [];
      for (let j = k; j <= end; j++) codes.push(this.patch.get(at[j])!);
      out += this.s.slice(pos, at[k]) + String.fromCharCode(...codes);
      pos = at[end] + 1;
      k = end + 1;
    }
    return out + this.s.slice(pos);
  }
}

/** BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] … */
function bitfieldGeneric(ctx: CommandContext, argv: string[], readonly: boolean): Reply {
  const key = argv[1];
  const ops = parseBitfield(argv, readonly, offsetLimit(ctx));
  let highest = -1;
  for (const o of ops) if (o.op !== "GET") highest = Math.max(highest, o.offset + o.bits - 1);
  const old = getString(ctx, key);
  let s = old ?? "";
  let grown = false;
  if (highest >= 0) {
    // Like Redis, the string is padded for every write up front, even one that FAIL refuses.
    const len = Math.floor(highest / 8) + 1;
    grown = old === undefined || len > s.length;
    s = grow(s, len);
  }
  const editor = new ByteEditor(s);
  const replies: Reply[] = [];
  let changes = 0;
  for (const o of ops) {
    const raw = editor.read(o.offset, o.bits);
    const cur = o.signed ? BigInt.asIntN(o.bits, raw) : raw;
    if (o.op === "GET") {
      replies.push(intReply(cur));
      continue;
    }
    // SET takes its value as C does: an unsigned field sees a negative value as a huge uint64.
    const wanted = o.op === "SET" ? (o.signed ? o.value : BigInt.asUintN(64, o.value)) : cur + o.value;
    const next = fitField(wanted, o.signed, o.bits, o.overflow, o.op === "SET");
    if (next === null) {
      replies.push(null);
      continue;
    }
    editor.write(o.offset, o.bits, next);
    // Redis 7.0 counts a write when the string grew or the field changed.
    if (grown || BigInt.asUintN(o.bits, next) !== raw) changes++;
    replies.push(intReply(o.op === "SET" ? cur : next));
  }
  // Redis pads the string even when every write FAILs, without counting it; we count it so that the
  // command is logged and replay pads the string too.
  const changed = changes > 0;
  if (grown && changes === 0) changes = 1;
  if (changes > 0) {
    ctx.db.set(key, editor.result(), true);
    if (changed) ctx.notify(NOTIFY_STRING, "setbit", key);
    ctx.dirty += changes;
  }
  if (highest >= 0) ctx.db.stringEncodings.set(key, "raw");
  return replies;
}

const bitfield = (ctx: CommandContext, argv: string[]) => bitfieldGeneric(ctx, argv, false);
const bitfieldRo = (ctx: CommandContext, argv: string[]) => bitfieldGeneric(ctx, argv, true);

export interface LcsOptions {
  len: boolean;
  idx: boolean;
  minMatchLen: number;
  withMatchLen: boolean;
}

/** Parses LCS's options after the two keys. */
export function parseLcsOptions(args: string[]): LcsOptions {
  const o: LcsOptions = { len: false, idx: false, minMatchLen: 0, withMatchLen: false };
  for (let i = 0; i < args.length; i++) {
    const a = opt(args[i]);
    if (a === "LEN") o.len = true;
    else if (a === "IDX") o.idx = true;
    else if (a === "WITHMATCHLEN") o.withMatchLen = true;
    else if (a === "MINMATCHLEN" && i + 1 < args.length) {
      const n = int64(args[++i]);
      o.minMatchLen = n < 0n ? 0 : n > 0xffffffffn ? 0xffffffff : Number(n);
    } else throw syntaxError();
  }
  if (o.len && o.idx) throw lcsLenIdxError();
  return o;
}

/** LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN] */
function lcs(ctx: CommandContext, argv: string[]): Reply {
  const read = (key: string): string => {
    const v = ctx.db.get(key);
    if (v !== undefined && typeof v !== "string") throw lcsTypeError();
    return v ?? "";
  };
  const a = read(argv[1]);
  const b = read(argv[2]);
  const o = parseLcsOptions(argv.slice(3));
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  const cells = (alen + 1) * w;
  if (cells * 4 > ctx.config.getNumber("proto-max-bulk-len")) {
    throw new RedisError("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
  }
  if (cells * 4 > MAX_LCS_TABLE) {
    throw new RedisError("ERR Insufficient memory, failed allocating transient memory for LCS");
  }
  // dp[i * w + j]: length of the LCS of a[0, i) and b[0, j).
  const dp = new Uint32Array(cells);
  for (let i = 1; i <= alen; i++) {
    const ac = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ac === b.charCodeAt(j - 1)) dp[row + j] = dp[prev + j - 1] + 1;
      else {
        const up = dp[prev + j];
        const left = dp[row + j - 1];
        dp[row + j] = up > left ? up : left;
      }
    }
  }
  const total = dp[cells - 1];
  if (o.len) return total;
  // Walk back from the end; matches come out last first, each a run contiguous in both strings.
  const chars: number[] = new Array(total);
  let k = total;
  const matches: Reply[] = [];
  let open = false;
  let aStart = 0;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  const emit = () => {
    const n = aEnd - aStart + 1;
    if (o.minMatchLen === 0 || n >= o.minMatchLen) {
      const m: Reply[] = [[aStart, aEnd], [bStart, bEnd]];
      if (o.withMatchLen) m.push(n);
      matches.push(m);
    }
  };
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[--k] = a.charCodeAt(i - 1);
      if (open && aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        if (open) emit();
        open = true;
        aStart = aEnd = i - 1;
        bStart = bEnd = j - 1;
      }
      i--;
      j--;
    } else if (dp[(i - 1) * w + j] > dp[i * w + j - 1]) i--;
    else j--;
  }
  if (open) emit();
  if (o.idx) return ["matches", matches, "len", total];
  let out = "";
  for (let c = 0; c < chars.length; c += 8192) out += String.fromCharCode(...chars.slice(c, c + 8192));
  return out;
}

export const bitCommands: CommandSpec[] = [
  withGrowth(command("setbit", 4, ["write", "denyoom"], [1, 1, 1], setbit), setbitGrowth),
  command("getbit", 3, ["readonly", "fast"], [1, 1, 1], getbit),
  command("bitcount", -2, ["readonly"], [1, 1, 1], bitcount),
  command("bitpos", -3, ["readonly"], [1, 1, 1], bitpos),
  withGrowth(command("bitop", -4, ["write", "denyoom"], [2, -1, 1], bitop), derivedGrowth("max", "first")),
  withGrowth(command("bitfield", -2, ["write", "denyoom"], [1, 1, 1], bitfield), bitfieldGrowth),
  command("bitfield_ro", -2, ["readonly", "fast"], [1, 1, 1], bitfieldRo),
  command("lcs", -3, ["readonly"], [1, 2, 1], lcs),
];
