// Redis 7's HyperLogLog as the bytes it stores in a string: a 16-byte header ("HYLL", encoding,
// 3 unused bytes, the cached cardinality little-endian with bit 63 meaning "stale"), then 16384
// 6-bit registers, either packed (dense) or as runs (sparse: ZERO, XZERO and VAL opcodes).
// Every choice that shapes the bytes (where runs split and merge, when to go dense) is Redis's,
// so a value made here is byte-identical to one made by Redis from the same commands.

import { binaryToBytes, bytesToBinary } from "../bytes.js";

export const HLL_P = 14;
/** Bits of the hash left after the register index: the longest run counted is Q+1. */
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_BITS = 6;
const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + Math.ceil((HLL_REGISTERS * HLL_BITS) / 8);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;

// Sparse opcodes, one or two bytes each:
//   ZERO  00xxxxxx           xxxxxx+1 registers set to 0 (1..64)
//   XZERO 01xxxxxx yyyyyyyy  14-bit length+1 registers set to 0 (1..16384)
//   VAL   1vvvvvxx           xx+1 registers (1..4) set to vvvvv+1 (1..32)
const SPARSE_XZERO_BIT = 0x40;
const SPARSE_VAL_BIT = 0x80;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;

const isZero = (b: number) => (b & 0xc0) === 0;
const isXZero = (b: number) => (b & 0xc0) === SPARSE_XZERO_BIT;
const isVal = (b: number) => (b & SPARSE_VAL_BIT) !== 0;
const zeroLen = (b: number) => (b & 0x3f) + 1;
const xzeroLen = (b0: number, b1: number) => (((b0 & 0x3f) << 8) | b1) + 1;
const valValue = (b: number) => ((b >> 2) & 0x1f) + 1;
const valLen = (b: number) => (b & 0x3) + 1;
const valOp = (value: number, len: number) => (((value - 1) << 2) | (len - 1) | SPARSE_VAL_BIT) & 0xff;

function setXZero(buf: Uint8Array, p: number, len: number): void {
  const l = len - 1;
  buf[p] = (l >> 8) | SPARSE_XZERO_BIT;
  buf[p + 1] = l & 0xff;
}

/** Writes a ZERO or an XZERO run at p, whichever the length needs; returns the bytes written. */
function writeZeros(buf: Uint8Array, p: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    setXZero(buf, p, len);
    return 2;
  }
  buf[p] = len - 1;
  return 1;
}

// 0.5 / ln(2), the estimator's constant as Redis writes it.
const HLL_ALPHA_INF = 0.72134752044448170368;

// ---- MurmurHash64A, on 64-bit values held as two uint32 halves (no BigInt on the hot path) ----

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
/** Redis's seed for the element hash. */
export const HLL_HASH_SEED = 0xadc83b19;

let outHi = 0;
let outLo = 0;

/** (ah:al) * (bh:bl) mod 2^64, into outHi:outLo. */
function mul64(ah: number, al: number, bh: number, bl: number): void {
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const mid = a1 * b0 + a0 * b1; // < 2^33: exact in a double
  const low = a0 * b0 + (mid % 0x10000) * 0x10000; // < 2^33
  const carry = Math.floor(low / 0x100000000);
  outLo = low >>> 0;
  outHi = (a1 * b1 + Math.floor(mid / 0x10000) + carry + Math.imul(ah, bl) + Math.imul(al, bh)) >>> 0;
}

/** MurmurHash64A of a byte string, as [high 32 bits, low 32 bits]. */
export function murmurHash64A(data: string, seed: number): [number, number] {
  const len = data.length;
  mul64(0, len >>> 0, M_HI, M_LO);
  let hHi = outHi;
  let hLo = (outLo ^ seed) >>> 0;
  const end = len - (len & 7);
  let i = 0;
  for (; i < end; i += 8) {
    let kLo =
      (data.charCodeAt(i) | (data.charCodeAt(i + 1) << 8) | (data.charCodeAt(i + 2) << 16) | (data.charCodeAt(i + 3) << 24)) >>> 0;
    let kHi =
      (data.charCodeAt(i + 4) | (data.charCodeAt(i + 5) << 8) | (data.charCodeAt(i + 6) << 16) | (data.charCodeAt(i + 7) << 24)) >>> 0;
    mul64(kHi, kLo, M_HI, M_LO);
    kHi = outHi;
    kLo = (outLo ^ (outHi >>> 15)) >>> 0; // k ^= k >> 47
    mul64(kHi, kLo, M_HI, M_LO);
    hHi = (hHi ^ outHi) >>> 0;
    hLo = (hLo ^ outLo) >>> 0;
    mul64(hHi, hLo, M_HI, M_LO);
    hHi = outHi;
    hLo = outLo;
  }
  const rest = len & 7;
  if (rest > 0) {
    // The tail's bytes go in little-endian from bit 0, then one multiply.
    for (let j = rest - 1; j >= 0; j--) {
      const b = data.charCodeAt(i + j);
      if (j >= 4) hHi = (hHi ^ (b << ((j - 4) * 8))) >>> 0;
      else hLo = (hLo ^ (b << (j * 8))) >>> 0;
    }
    mul64(hHi, hLo, M_HI, M_LO);
    hHi = outHi;
    hLo = outLo;
  }
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  mul64(hHi, hLo, M_HI, M_LO);
  hHi = outHi;
  hLo = (outLo ^ (outHi >>> 15)) >>> 0;
  return [hHi, hLo];
}

const ctz32 = (x: number) => 31 - Math.clz32(x & -x);

/**
 * The register an element goes to and the length of its hash's "000…1" pattern after the index
 * bits (1..Q+1), as Redis's hllPatLen.
 */
export function patternLength(element: string): { index: number; count: number } {
  const [hi, lo] = murmurHash64A(element, HLL_HASH_SEED);
  const index = lo & HLL_P_MASK;
  const low18 = lo >>> HLL_P;
  let zeros: number;
  if (low18 !== 0) zeros = ctz32(low18);
  else if (hi !== 0) zeros = 32 - HLL_P + ctz32(hi);
  else zeros = HLL_Q;
  return { index, count: zeros + 1 };
}

// ---- The estimator: Otmar Ertl's "improved" estimator from register histograms, as Redis 7 ----

function sigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function tau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x; // Redis's pow(1 - x, 2), which the C compiler turns into d * d
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

const UINT63 = 1n << 63n;

/**
 * The cardinality from a histogram of register values (64 slots), as the uint64 Redis computes.
 * An estimate beyond int64 (only reachable with forged registers) comes out as 2^63, as llroundl's
 * overflow does on x86-64.
 */
export function estimate(histo: ArrayLike<number>): bigint {
  const m = HLL_REGISTERS;
  let z = m * tau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; j--) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * sigma(histo[0] / m);
  const e = (HLL_ALPHA_INF * m * m) / z;
  if (!(e < 9223372036854775808)) return UINT63;
  // llroundl: halves away from zero (e is never negative).
  const f = Math.floor(e);
  return BigInt(e - f >= 0.5 ? f + 1 : f);
}

/** Histogram of a raw register array (one byte per register), as PFCOUNT with several keys uses. */
export function rawHistogram(registers: Uint8Array): number[] {
  const histo = new Array<number>(64).fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[registers[i]]++;
  return histo;
}

// ---- The value ----

/** One HLL value, editable in place; parse() a stored string, toString() to store it back. */
export class Hll {
  private constructor(
    private buf: Uint8Array,
    /** Bytes in use (the string's length). */
    private len: number,
  ) {}

  /** A new HLL as Redis creates it: sparse, one XZERO for all registers, cached cardinality 0. */
  static empty(): Hll {
    const sparseLen = HLL_HDR_SIZE + Math.ceil(HLL_REGISTERS / SPARSE_XZERO_MAX_LEN) * 2;
    const h = new Hll(new Uint8Array(sparseLen + 8), sparseLen);
    h.buf.set([0x48, 0x59, 0x4c, 0x4c, HLL_SPARSE]); // "HYLL", sparse
    let p = HLL_HDR_SIZE;
    for (let left = HLL_REGISTERS; left > 0; ) {
      const run = Math.min(left, SPARSE_XZERO_MAX_LEN);
      setXZero(h.buf, p, run);
      p += 2;
      left -= run;
    }
    return h;
  }

  /**
   * The HLL a string holds, or null when it is not one: shorter than the header, without the
   * "HYLL" magic, an unknown encoding, or dense with the wrong length (Redis's isHLLObjectOrReply).
   * A sparse value is not checked further here; its runs are checked where they are read.
   */
  static parse(s: string): Hll | null {
    if (!Hll.isHll(s)) return null;
    const encoding = s.charCodeAt(4);
    // One spare byte past the dense registers (Redis's sds terminator), room for sparse growth.
    const buf = new Uint8Array(encoding === HLL_DENSE ? HLL_DENSE_SIZE + 1 : s.length + 64);
    buf.set(binaryToBytes(s));
    return new Hll(buf, s.length);
  }

  /** Whether a string passes parse()'s checks, without copying it. */
  static isHll(s: string): boolean {
    if (s.length < HLL_HDR_SIZE || !s.startsWith("HYLL")) return false;
    const encoding = s.charCodeAt(4);
    if (encoding > HLL_MAX_ENCODING) return false;
    return encoding !== HLL_DENSE || s.length === HLL_DENSE_SIZE;
  }

  /** The cached cardinality of an HLL string when the cache is fresh, else null; no copy. */
  static freshCardinality(s: string): bigint | null {
    if ((s.charCodeAt(15) & 0x80) !== 0) return null;
    let card = 0n;
    for (let i = 15; i >= 8; i--) card = (card << 8n) | BigInt(s.charCodeAt(i));
    return card;
  }

  toString(): string {
    return bytesToBinary(this.buf.subarray(0, this.len));
  }

  get encoding(): number {
    return this.buf[4];
  }

  get length(): number {
    return this.len;
  }

  // ---- The cached cardinality ----

  setCachedCardinality(card: bigint): void {
    for (let i = 8; i < 16; i++) {
      this.buf[i] = Number(card & 0xffn);
      card >>= 8n;
    }
  }

  /** Marks the cache stale; the other cache bytes keep the old value, as in Redis. */
  invalidateCache(): void {
    this.buf[15] |= 0x80;
  }

  // ---- Registers ----

  /**
   * Adds an element: 1 when a register grew, 0 when not, -1 when the sparse runs are corrupt.
   * A sparse value that would outgrow sparseMaxBytes, or needs a value above 32, turns dense.
   */
  add(element: string, sparseMaxBytes: number): -1 | 0 | 1 {
    if (this.encoding !== HLL_DENSE && this.encoding !== HLL_SPARSE) return -1;
    const { index, count } = patternLength(element);
    return this.set(index, count, sparseMaxBytes);
  }

  /** Raises register index to count if it is lower; the result as add()'s. */
  set(index: number, count: number, sparseMaxBytes: number): -1 | 0 | 1 {
    return this.encoding === HLL_DENSE ? this.denseSet(index, count) : this.sparseSet(index, count, sparseMaxBytes);
  }

  private denseGet(index: number): number {
    const bit = index * HLL_BITS;
    const byte = HLL_HDR_SIZE + (bit >>> 3);
    const fb = bit & 7;
    return ((this.buf[byte] >> fb) | (this.buf[byte + 1] << (8 - fb))) & HLL_REGISTER_MAX;
  }

  private denseWrite(index: number, value: number): void {
    const bit = index * HLL_BITS;
    const byte = HLL_HDR_SIZE + (bit >>> 3);
    const fb = bit & 7;
    const fb8 = 8 - fb;
    this.buf[byte] = (this.buf[byte] & ~(HLL_REGISTER_MAX << fb)) | (value << fb);
    this.buf[byte + 1] = (this.buf[byte + 1] & ~(HLL_REGISTER_MAX >> fb8)) | (value >> fb8);
  }

  private denseSet(index: number, count: number): 0 | 1 {
    if (count <= this.denseGet(index)) return 0;
    this.denseWrite(index, count);
    return 1;
  }

  private ensureRoom(extra: number): void {
    if (this.len + extra + 1 <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + extra + 1));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private sparseSet(index: number, count: number, sparseMaxBytes: number): -1 | 0 | 1 {
    if (count > SPARSE_VAL_MAX_VALUE) return this.promoteAndSet(index, count);
    // Splitting an XZERO in the middle gives XZERO VAL XZERO: at most 3 more bytes.
    this.ensureRoom(3);
    const buf = this.buf;
    const sparse = HLL_HDR_SIZE;
    let end = this.len;

    // Find the opcode covering the register.
    let p = sparse;
    let first = 0;
    let prev = -1;
    let span = 0;
    while (p < end) {
      let oplen = 1;
      const b = buf[p];
      if (isZero(b)) span = zeroLen(b);
      else if (isVal(b)) span = valLen(b);
      else {
        span = xzeroLen(b, buf[p + 1]);
        oplen = 2;
      }
      if (index <= first + span - 1) break;
      prev = p;
      p += oplen;
      first += span;
    }
    if (span === 0 || p >= end) return -1;

    const op = buf[p];
    let next = isXZero(op) ? p + 2 : p + 1;
    if (next >= end) next = -1;
    const zero = isZero(op);
    const xzero = isXZero(op);
    const runLen = zero ? zeroLen(op) : xzero ? xzeroLen(op, buf[p + 1]) : valLen(op);

    let split = true;
    if (!zero && !xzero) {
      // A VAL already at least as high: nothing to do. A VAL of one register: rewrite it.
      if (valValue(op) >= count) return 0;
      if (runLen === 1) {
        buf[p] = valOp(count, 1);
        split = false;
      }
    } else if (zero && runLen === 1) {
      buf[p] = valOp(count, 1);
      split = false;
    }

    if (split) {
      // Split the run into (before, our register, after): at most 5 bytes (XZERO VAL XZERO).
      const seq = new Uint8Array(5);
      let n = 0;
      const last = first + span - 1;
      if (zero || xzero) {
        if (index !== first) n += writeZeros(seq, n, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) n += writeZeros(seq, n, last - index);
      } else {
        const cur = valValue(op);
        if (index !== first) seq[n++] = valOp(cur, index - first);
        seq[n++] = valOp(count, 1);
        if (index !== last) seq[n++] = valOp(cur, last - index);
      }
      const delta = n - (xzero ? 2 : 1);
      if (delta > 0 && this.len + delta > sparseMaxBytes) return this.promoteAndSet(index, count);
      if (delta !== 0 && next !== -1) buf.copyWithin(next + delta, next, end);
      buf.set(seq.subarray(0, n), p);
      end += delta;
      this.len = end;
      buf[end] = 0; // Redis's sds terminator, read by a truncated XZERO at the end
    }

    // Merge adjacent VALs of the same value, scanning up to 5 opcodes from the one before ours.
    p = prev !== -1 ? prev : sparse;
    let scan = 5;
    while (p < end && scan-- > 0) {
      const b = buf[p];
      if (isXZero(b)) {
        p += 2;
        continue;
      }
      if (isZero(b)) {
        p++;
        continue;
      }
      if (p + 1 < end && isVal(buf[p + 1])) {
        const v = valValue(b);
        const len = valLen(b) + valLen(buf[p + 1]);
        if (v === valValue(buf[p + 1]) && len <= SPARSE_VAL_MAX_LEN) {
          buf[p + 1] = valOp(v, len);
          buf.copyWithin(p, p + 1, end);
          end--;
          this.len = end;
          buf[end] = 0;
          continue; // try the merged run with the next one
        }
      }
      p++;
    }
    this.invalidateCache();
    return 1;
  }

  private promoteAndSet(index: number, count: number): -1 | 1 {
    if (!this.toDense()) return -1;
    this.denseSet(index, count);
    return 1;
  }

  /**
   * Turns a sparse value dense (header and cached cardinality kept). False when the runs do not
   * cover exactly 16384 registers; a dense value is left as is.
   */
  toDense(): boolean {
    if (this.encoding === HLL_DENSE) return true;
    const dense = new Hll(new Uint8Array(HLL_DENSE_SIZE + 1), HLL_DENSE_SIZE);
    dense.buf.set(this.buf.subarray(0, HLL_HDR_SIZE));
    dense.buf[4] = HLL_DENSE;
    let ok = true;
    const idx = this.walkSparse((at, len, value) => {
      if (value === 0) return true;
      if (at + len > HLL_REGISTERS) return (ok = false);
      for (let i = 0; i < len; i++) dense.denseWrite(at + i, value);
      return true;
    });
    if (!ok || idx !== HLL_REGISTERS) return false;
    this.buf = dense.buf;
    this.len = dense.len;
    return true;
  }

  /**
   * Calls fn(firstRegister, runLength, value) for each sparse run until it returns false;
   * returns the register count covered.
   */
  private walkSparse(fn: (at: number, len: number, value: number) => boolean): number {
    const buf = this.buf;
    let idx = 0;
    for (let p = HLL_HDR_SIZE; p < this.len; ) {
      const b = buf[p];
      let len: number;
      let value = 0;
      if (isZero(b)) {
        len = zeroLen(b);
        p++;
      } else if (isXZero(b)) {
        len = xzeroLen(b, buf[p + 1]);
        p += 2;
      } else {
        len = valLen(b);
        value = valValue(b);
        p++;
      }
      if (!fn(idx, len, value)) break;
      idx += len;
    }
    return idx;
  }

  /** max[i] = max(max[i], register i). False for corrupt sparse runs (Redis's hllMerge). */
  mergeInto(max: Uint8Array): boolean {
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) {
        const v = this.denseGet(i);
        if (v > max[i]) max[i] = v;
      }
      return true;
    }
    let ok = true;
    const idx = this.walkSparse((at, len, value) => {
      if (value === 0) return true;
      if (at + len > HLL_REGISTERS) return (ok = false);
      for (let i = at; i < at + len; i++) if (value > max[i]) max[i] = value;
      return true;
    });
    return ok && idx === HLL_REGISTERS;
  }

  /** The register histogram, and whether sparse runs covered exactly 16384 registers. */
  histogram(): { histo: number[]; valid: boolean } {
    const histo = new Array<number>(64).fill(0);
    if (this.encoding === HLL_DENSE) {
      for (let i = 0; i < HLL_REGISTERS; i++) histo[this.denseGet(i)]++;
      return { histo, valid: true };
    }
    const idx = this.walkSparse((_at, len, value) => {
      histo[value] += len;
      return true;
    });
    return { histo, valid: idx === HLL_REGISTERS };
  }

  /** Register i (for tests and debugging). */
  register(i: number): number {
    if (this.encoding === HLL_DENSE) return this.denseGet(i);
    let out = 0;
    this.walkSparse((at, len, value) => {
      if (i < at + len) {
        out = value;
        return false;
      }
      return true;
    });
    return out;
  }
}
