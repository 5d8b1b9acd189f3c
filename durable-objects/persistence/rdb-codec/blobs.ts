// The compact blobs inside RDB values, as matched encoder/decoder pairs: listpack (Redis 7's
// small hashes, zsets and list nodes), intset (small integer sets), and ziplist (decode only, for
// files from Redis ≤ 6.2). Elements are byte strings; integers come back as canonical decimals.

import { parseInt64 } from "../../engine/bytes.js";
import { RdbError } from "./errors.js";

// ── listpack ────────────────────────────────────────────────────────────────────────────────────

const LP_HEADER = 6;
const LP_END = 0xff;

/** Listpack elements → blob, with Redis's own choice of entry encodings (so blobs match Redis's). */
export function encodeListpack(elements: readonly string[]): Uint8Array {
  const parts: number[] = [];
  for (const e of elements) appendLpEntry(parts, e);
  const total = LP_HEADER + parts.length + 1;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total, true);
  dv.setUint16(4, elements.length < 65535 ? elements.length : 65535, true);
  out.set(parts, LP_HEADER);
  out[total - 1] = LP_END;
  return out;
}

/** Size in bytes a listpack entry for `e` takes (to cut list nodes at 8 KB without encoding twice). */
export function listpackEntrySize(e: string): number {
  const tmp: number[] = [];
  appendLpEntry(tmp, e);
  return tmp.length;
}

function appendLpEntry(out: number[], e: string): void {
  const start = out.length;
  const n = e.length <= 20 ? parseInt64(e) : null;
  if (n !== null) {
    if (n >= 0n && n <= 127n) out.push(Number(n));
    else if (n >= -4096n && n <= 4095n) {
      const v = Number(n) & 0x1fff;
      out.push(0xc0 | (v >> 8), v & 0xff);
    } else if (n >= -32768n && n <= 32767n) pushInt(out, 0xf1, n, 2);
    else if (n >= -8388608n && n <= 8388607n) pushInt(out, 0xf2, n, 3);
    else if (n >= -2147483648n && n <= 2147483647n) pushInt(out, 0xf3, n, 4);
    else pushInt(out, 0xf4, n, 8);
  } else {
    const len = e.length;
    if (len < 64) out.push(0x80 | len);
    else if (len < 4096) out.push(0xe0 | (len >> 8), len & 0xff);
    else out.push(0xf0, len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >>> 24) & 0xff);
    for (let i = 0; i < len; i++) out.push(e.charCodeAt(i));
  }
  pushBacklen(out, out.length - start);
}

function pushInt(out: number[], tag: number, n: bigint, bytes: number): void {
  out.push(tag);
  let v = BigInt.asUintN(bytes * 8, n);
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
}

function pushBacklen(out: number[], l: number): void {
  if (l <= 127) out.push(l);
  else if (l < 16383) out.push(l >> 7, (l & 127) | 128);
  else if (l < 2097151) out.push(l >> 14, ((l >> 7) & 127) | 128, (l & 127) | 128);
  else if (l < 268435455) out.push(l >> 21, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128);
  else out.push(l >>> 28, ((l >> 21) & 127) | 128, ((l >> 14) & 127) | 128, ((l >> 7) & 127) | 128, (l & 127) | 128);
}

function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

const latin1 = (b: Uint8Array, start: number, end: number): string => {
  let s = "";
  for (let i = start; i < end; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  return s;
};

/** Blob → elements; checks every entry stays inside the blob (deep validation as redis-check-rdb). */
export function decodeListpack(b: Uint8Array, at = 0): string[] {
  const bad = (why: string) => new RdbError("RDB_BAD_LISTPACK", `invalid listpack: ${why}`, at);
  if (b.length < LP_HEADER + 1) throw bad("too short");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== b.length) throw bad("total bytes do not match");
  if (b[b.length - 1] !== LP_END) throw bad("no terminator");
  const count = dv.getUint16(4, true);
  const out: string[] = [];
  let p = LP_HEADER;
  const end = b.length - 1;
  while (p < end) {
    const start = p;
    const c = b[p];
    if (c < 0x80) {
      out.push(String(c));
      p += 1;
    } else if (c < 0xc0) {
      const len = c & 0x3f;
      if (p + 1 + len > end) throw bad("string past the end");
      out.push(latin1(b, p + 1, p + 1 + len));
      p += 1 + len;
    } else if (c < 0xe0) {
      if (p + 2 > end) throw bad("int past the end");
      let v = ((c & 0x1f) << 8) | b[p + 1];
      if (v >= 4096) v -= 8192;
      out.push(String(v));
      p += 2;
    } else if (c < 0xf0) {
      if (p + 2 > end) throw bad("string past the end");
      const len = ((c & 0x0f) << 8) | b[p + 1];
      if (p + 2 + len > end) throw bad("string past the end");
      out.push(latin1(b, p + 2, p + 2 + len));
      p += 2 + len;
    } else if (c === 0xf0) {
      if (p + 5 > end) throw bad("string past the end");
      const len = dv.getUint32(p + 1, true);
      if (p + 5 + len > end) throw bad("string past the end");
      out.push(latin1(b, p + 5, p + 5 + len));
      p += 5 + len;
    } else if (c >= 0xf1 && c <= 0xf4) {
      const bytes = c === 0xf1 ? 2 : c === 0xf2 ? 3 : c === 0xf3 ? 4 : 8;
      if (p + 1 + bytes > end) throw bad("int past the end");
      let v = 0n;
      for (let i = bytes - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[p + 1 + i]);
      out.push(BigInt.asIntN(bytes * 8, v).toString());
      p += 1 + bytes;
    } else throw bad(`bad entry encoding 0x${c.toString(16)}`);
    const l = p - start;
    const size = backlenSize(l);
    if (p + size > end) throw bad("backlen past the end");
    p += size;
  }
  if (count !== 65535 && count !== out.length) throw bad("element count does not match");
  return out;
}

// ── intset ──────────────────────────────────────────────────────────────────────────────────────

/** Integer members (canonical decimals) → intset blob, sorted, in the smallest width that fits. */
export function encodeIntset(members: readonly string[]): Uint8Array {
  const values = members.map((m) => BigInt(m)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let width = 2;
  for (const v of values) {
    if (v < -2147483648n || v > 2147483647n) width = 8;
    else if ((v < -32768n || v > 32767n) && width < 4) width = 4;
  }
  const out = new Uint8Array(8 + width * values.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, width, true);
  dv.setUint32(4, values.length, true);
  values.forEach((v, i) => {
    const at = 8 + i * width;
    if (width === 2) dv.setInt16(at, Number(v), true);
    else if (width === 4) dv.setInt32(at, Number(v), true);
    else dv.setBigInt64(at, v, true);
  });
  return out;
}

export function decodeIntset(b: Uint8Array, at = 0): string[] {
  const bad = (why: string) => new RdbError("RDB_BAD_INTSET", `invalid intset: ${why}`, at);
  if (b.length < 8) throw bad("too short");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const width = dv.getUint32(0, true);
  const n = dv.getUint32(4, true);
  if (width !== 2 && width !== 4 && width !== 8) throw bad(`width ${width}`);
  if (b.length !== 8 + width * n || n === 0) throw bad("size does not match");
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = 8 + i * width;
    out[i] = width === 2 ? String(dv.getInt16(p, true)) : width === 4 ? String(dv.getInt32(p, true)) : dv.getBigInt64(p, true).toString();
  }
  return out;
}

// ── ziplist (read only) ─────────────────────────────────────────────────────────────────────────

export function decodeZiplist(b: Uint8Array, at = 0): string[] {
  const bad = (why: string) => new RdbError("RDB_BAD_ZIPLIST", `invalid ziplist: ${why}`, at);
  if (b.length < 11) throw bad("too short");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (dv.getUint32(0, true) !== b.length) throw bad("total bytes do not match");
  const out: string[] = [];
  let p = 10;
  const end = b.length - 1;
  if (b[end] !== 0xff) throw bad("no terminator");
  while (p < end) {
    p += b[p] === 0xfe ? 5 : 1; // prevlen
    if (p >= end) throw bad("entry past the end");
    const c = b[p];
    const hi = c >> 6;
    if (hi === 0 || hi === 1 || hi === 2) {
      let len: number;
      if (hi === 0) (len = c & 0x3f), (p += 1);
      else if (hi === 1) (len = ((c & 0x3f) << 8) | b[p + 1]), (p += 2);
      else (len = dv.getUint32(p + 1, false)), (p += 5);
      if (p + len > end) throw bad("string past the end");
      out.push(latin1(b, p, p + len));
      p += len;
    } else if (c === 0xc0) (out.push(String(dv.getInt16(p + 1, true))), (p += 3));
    else if (c === 0xd0) (out.push(String(dv.getInt32(p + 1, true))), (p += 5));
    else if (c === 0xe0) (out.push(dv.getBigInt64(p + 1, true).toString()), (p += 9));
    else if (c === 0xf0) {
      let v = b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16);
      if (v & 0x800000) v -= 0x1000000;
      out.push(String(v));
      p += 4;
    } else if (c === 0xfe) (out.push(String(dv.getInt8(p + 1))), (p += 2));
    else if (c >= 0xf1 && c <= 0xfd) (out.push(String((c & 0x0f) - 1)), (p += 1));
    else throw bad(`bad entry encoding 0x${c.toString(16)}`);
  }
  return out;
}
