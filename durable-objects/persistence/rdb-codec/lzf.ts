// LZF, the compression of RDB strings (encoding 0xC3): a decompressor for liblzf's format and a
// small greedy compressor whose output Redis's lzf_decompress accepts.

/** Decompresses into exactly `outLen` bytes; null when the stream is invalid. */
export function lzfDecompress(input: Uint8Array, outLen: number): Uint8Array | null {
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

const MAX_HLOG = 14;
/** One hash table reused by every call (the compressor is synchronous), sized to the input. */
const TABLE = new Int32Array(1 << MAX_HLOG);
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);
const MAX_LIT = 1 << 5;

/** Compresses; null when the result would not be smaller than `maxLen` bytes. */
export function lzfCompress(input: Uint8Array, maxLen = input.length - 1): Uint8Array | null {
  const n = input.length;
  if (n < 4) return null;
  const out = new Uint8Array(Math.max(maxLen, 0) + 64);
  // Small inputs get a small table: clearing 16K slots per short string would dominate.
  let hlog = 8;
  while (hlog < MAX_HLOG && 1 << hlog < n) hlog++;
  const table = TABLE.subarray(0, 1 << hlog).fill(-1);
  const shift = 32 - hlog;
  let ip = 0;
  let op = 1; // room for the first literal-run control byte
  let lit = 0;
  const limit = maxLen;
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
  const hash = (p: number) => Math.imul((input[p] << 16) | (input[p + 1] << 8) | input[p + 2], 2654435761) >>> shift;
  while (ip < n - 2) {
    const h = hash(ip);
    const ref = table[h];
    table[h] = ip;
    const off = ip - ref - 1;
    if (ref >= 0 && off < MAX_OFF && input[ref] === input[ip] && input[ref + 1] === input[ip + 1] && input[ref + 2] === input[ip + 2]) {
      let len = 2;
      const maxlen = Math.min(n - ip - len, MAX_REF);
      do len++;
      while (len < maxlen && input[ref + len] === input[ip + len]);
      // Close the pending literal run.
      if (lit) out[op - lit - 1] = lit - 1;
      else op--;
      len -= 2;
      if (op + 3 + 1 >= limit) return null;
      ip++;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // next literal-run control byte
      ip += len + 1;
      if (ip >= n - 2) break;
      // Index the positions inside the match (cheaply: the last two).
      table[hash(ip - 2)] = ip - 2;
      table[hash(ip - 1)] = ip - 1;
    } else if (!literal()) return null;
  }
  while (ip < n) if (!literal()) return null;
  if (lit) out[op - lit - 1] = lit - 1;
  else op--; // drop the unused control byte
  if (op > limit) return null;
  return out.slice(0, op);
}
