// LZF, the compression of RDB strings (encoding 0xC3): a decompressor for liblzf's format and a
// small greedy compressor whose output Redis's lzf_decompress accepts.

/**
 * The most bytes one byte of LZF can stand for: a long back-reference, 3 bytes, copies at most 264
 * (7 + 255 + 2). A declared length past input × 88 cannot be true, and is refused before allocating it.
 */
export const LZF_MAX_EXPANSION = 88;

/** Decompresses into exactly `outLen` bytes; null when the stream is invalid. */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array | null {
  if (outLen > input.length * LZF_MAX_EXPANSION) return null;
  const out = new Uint8Array(outLen);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const ctrl = input[ip++];
    if (ctrl < 32) {
      const run = ctrl + 1;
      if (ip + run > input.length || op + run > outLen) return null;
      out.set(input.subarray(ip, ip + run), op);
      ip += run;
      op += run;
    } else {
      let len = ctrl >> 5;
      if (len === 7) {
        if (ip >= input.length) return null;
        len += input[ip++];
      }
      if (ip >= input.length) return null;
      const ref = op - (((ctrl & 0x1f) << 8) + input[ip++] + 1);
      len += 2;
      if (ref < 0 || op + len > outLen) return null;
      for (let i = 0; i < len; i++) out[op++] = out[ref + i];
    }
  }
  return op === outLen ? out : null;
}

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;
/**
 * One hash table reused by every call (the compressor is synchronous). A slot is valid only when
 * its stamp is the current call's, so nothing needs clearing between calls.
 */
const TABLE = new Int32Array(HSIZE);
const STAMPS = new Uint32Array(HSIZE);
let generation = 0;

/**
 * Compresses as liblzf 3.6 does in Redis's build (HLOG 16, VERY_FAST): the same rolling hash and
 * the same choices, so our RDB strings are no larger than Redis's. Null when the result would not
 * fit in `maxLen` bytes.
 */
export function lzfCompress(input: Uint8Array, maxLen = input.length - 1): Uint8Array | null {
  const n = input.length;
  if (n < 4) return null;
  if (++generation === 0xffffffff) {
    STAMPS.fill(0);
    generation = 1;
  }
  const gen = generation;
  const out = new Uint8Array(Math.max(maxLen, 0) + 64);
  const limit = maxLen;
  let ip = 0;
  let op = 1; // room for the first literal-run control byte
  let lit = 0;
  const slotOf = (h: number) => ((h >>> 8) - Math.imul(h, 5)) & (HSIZE - 1);
  /** Copies one byte into the current literal run, closing the run at 32 bytes; false when out of room. */
  const literal = (): boolean => {
    if (op >= limit) return false;
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
    return true;
  };
  let hval = (input[0] << 8) | input[1];
  while (ip < n - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = slotOf(hval);
    const ref = STAMPS[slot] === gen ? TABLE[slot] : -1;
    TABLE[slot] = ip;
    STAMPS[slot] = gen;
    const off = ip - ref - 1;
    // liblzf never refers to the first byte (its `ref > in_data`).
    if (ref > 0 && off < MAX_OFF && input[ref + 2] === input[ip + 2] && input[ref] === input[ip] && input[ref + 1] === input[ip + 1]) {
      let len = 2;
      const maxlen = Math.min(n - ip - len, MAX_REF);
      if (op - (lit ? 0 : 1) + 3 + 1 >= limit) return null;
      // Close the pending literal run (or take back its unused control byte).
      if (lit) out[op - lit - 1] = lit - 1;
      else op--;
      do len++;
      while (len < maxlen && input[ref + len] === input[ip + len]);
      len -= 2;
      ip++;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++;
      ip += len + 1;
      if (ip >= n - 2) break;
      // Index the last two positions of the match, as VERY_FAST does.
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      for (let k = 0; k < 2; k++) {
        hval = ((hval << 8) | input[ip + 2]) >>> 0;
        const sl = slotOf(hval);
        TABLE[sl] = ip;
        STAMPS[sl] = gen;
        ip++;
      }
    } else if (!literal()) return null;
  }
  while (ip < n) if (!literal()) return null;
  if (lit) out[op - lit - 1] = lit - 1;
  else op--; // drop the unused control byte
  if (op > limit) return null;
  return out.slice(0, op);
}
