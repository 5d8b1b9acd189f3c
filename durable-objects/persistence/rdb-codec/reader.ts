// RDB's primitives read from a byte array: LEN (6-, 14-, 32- and 64-bit), STR with its integer and LZF
// encodings. Shared by the decoder, which loads values, and the walker, which checks files as
// redis-check-rdb does; they differ only in how they name a problem, so each says it in `problem`.

import { StringEncoding } from "./constants.js";
import { lzfDecompress } from "./lzf.js";

export type ReadProblem =
  | { kind: "eof"; needed: number }
  /** The first byte of a LEN is none of the four forms. */
  | { kind: "length-encoding"; byte: number }
  /** A string encoding where a plain length (a count) was expected. */
  | { kind: "string-where-count" }
  | { kind: "string-encoding"; encoding: number }
  | { kind: "lzf" }
  /** A string longer than the reader may make (an LZF string's declared length past the load's memory limit). */
  | { kind: "too-long"; length: number; limit: number };

const chars = String.fromCharCode;

/**
 * Bytes → a one-byte string (each byte one char, so any bytes round-trip). Up to 16 bytes, the usual
 * size of keys and small values, the bytes go to String.fromCharCode as arguments: about 1.7× faster
 * than apply over an array, and a million-key load reads two million of them.
 */
export const latin1 = (b: Uint8Array, s: number, end: number): string => {
  switch (end - s) {
    case 0: return "";
    case 1: return chars(b[s]);
    case 2: return chars(b[s], b[s + 1]);
    case 3: return chars(b[s], b[s + 1], b[s + 2]);
    case 4: return chars(b[s], b[s + 1], b[s + 2], b[s + 3]);
    case 5: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4]);
    case 6: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5]);
    case 7: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6]);
    case 8: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7]);
    case 9: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8]);
    case 10: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9]);
    case 11: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10]);
    case 12: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11]);
    case 13: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12]);
    case 14: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13]);
    case 15: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14]);
    case 16: return chars(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9], b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15]);
    default: return latin1Long(b, s, end);
  }
};

/** Reused for strings up to SHORT_MAX bytes: apply over a plain array is about twice as fast as over a typed subarray. */
const SHORT: number[] = [];
const SHORT_MAX = 64;

function latin1Long(b: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n <= SHORT_MAX) {
    SHORT.length = n;
    for (let j = 0; j < n; j++) SHORT[j] = b[start + j];
    return chars.apply(null, SHORT);
  }
  if (n < 4096) return chars.apply(null, b.subarray(start, end) as unknown as number[]);
  let out = "";
  for (let i = start; i < end; i += 8192) out += chars.apply(null, b.subarray(i, Math.min(end, i + 8192)) as unknown as number[]);
  return out;
}

/** A one-byte string → its bytes. */
export function ascii(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export abstract class RdbReader {
  pos = 0;
  readonly dv: DataView;
  /** Set by len(): the byte announced a special string encoding (its kind is the returned number). */
  special = false;
  /** The longest string an LZF record may expand to (a load's memory limit): checked before allocating. */
  maxString = Infinity;

  constructor(readonly b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  /** Throws the reader's own error for a problem found reading the item that began at `start`. */
  protected abstract problem(p: ReadProblem, start: number): never;

  need(n: number): void {
    if (this.pos + n > this.b.length) this.problem({ kind: "eof", needed: n }, this.pos);
  }

  u8(): number {
    this.need(1);
    return this.b[this.pos++];
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * LEN (no object per call: a load reads millions of them). A 64-bit length past 2^53 is clamped:
   * no file holds that many bytes, so reading it fails as a short read, as it does in Redis.
   */
  len(): number {
    const start = this.pos;
    const c = this.u8();
    const kind = c >> 6;
    this.special = false;
    if (kind === 0) return c & 0x3f;
    if (kind === 1) return ((c & 0x3f) << 8) | this.u8();
    if (kind === 3) {
      this.special = true;
      return c & 0x3f;
    }
    if (c === 0x80) {
      this.need(4);
      const n = this.dv.getUint32(this.pos, false);
      this.pos += 4;
      return n;
    }
    if (c === 0x81) {
      this.need(8);
      const n = this.dv.getBigUint64(this.pos, false);
      this.pos += 8;
      return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
    }
    return this.problem({ kind: "length-encoding", byte: c }, start);
  }

  /** A LEN read whole as an unsigned 64-bit number (stream IDs and counters). */
  bigLen(): bigint {
    const start = this.pos;
    if (this.need(1), this.b[this.pos] === 0x81) {
      this.pos++;
      this.need(8);
      const n = this.dv.getBigUint64(this.pos, false);
      this.pos += 8;
      return n;
    }
    const n = this.len();
    if (this.special) this.problem({ kind: "string-where-count" }, start);
    return BigInt(n);
  }

  /** A LEN that must be a plain number (a count or a size). */
  count(): number {
    const start = this.pos;
    const n = this.len();
    if (this.special) this.problem({ kind: "string-where-count" }, start);
    return n;
  }

  /** STR as bytes: raw, integer-encoded (as its decimal text) or LZF-compressed (decompressed). */
  stringBytes(): Uint8Array {
    const start = this.pos;
    const n = this.len();
    if (!this.special) return this.bytes(n);
    switch (n) {
      case StringEncoding.INT8:
      case StringEncoding.INT16:
      case StringEncoding.INT32:
        return ascii(this.intString(n));
      case StringEncoding.LZF: {
        const clen = this.count();
        const ulen = this.count();
        if (ulen > this.maxString) return this.problem({ kind: "too-long", length: ulen, limit: this.maxString }, start);
        const data = this.bytes(clen);
        // Redis compresses only strings longer than 20 bytes: an empty result is a corrupt file.
        const out = ulen === 0 ? null : lzfDecompress(data, ulen);
        if (!out) return this.problem({ kind: "lzf" }, start);
        return out;
      }
      default:
        return this.problem({ kind: "string-encoding", encoding: n }, start);
    }
  }

  /** STR as a one-byte string. Raw strings, the common case, are read straight from the file's bytes. */
  string(): string {
    const start = this.pos;
    const n = this.len();
    if (!this.special) {
      this.need(n);
      const s = latin1(this.b, this.pos, this.pos + n);
      this.pos += n;
      return s;
    }
    // Integer encodings become their decimal text directly (no bytes in between).
    if (n <= StringEncoding.INT32) return this.intString(n);
    this.pos = start;
    const b = this.stringBytes();
    return latin1(b, 0, b.length);
  }

  /** The decimal text of an integer-encoded string (INT8, INT16 or INT32, little-endian). */
  private intString(encoding: number): string {
    const size = 1 << encoding;
    this.need(size);
    const at = this.pos;
    this.pos += size;
    return String(size === 1 ? this.dv.getInt8(at) : size === 2 ? this.dv.getInt16(at, true) : this.dv.getInt32(at, true));
  }
}
