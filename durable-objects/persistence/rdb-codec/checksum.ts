// CRC-64/Jones as Redis uses it (reflected, init 0, no xorout), table-driven over two 32-bit halves
// so no BigInt is needed in the loop. check("123456789") = 0xe9c6d914c4b8d9ca.
// The halves are kept as signed 32-bit integers (Int32Array tables, no `>>> 0` in the loop): unsigned
// values above 2^31 are not small integers in V8 and push the loop into float arithmetic (about 2×
// slower on a 24 MB file).

const TABLE_LO = new Int32Array(256);
const TABLE_HI = new Int32Array(256);
(() => {
  // Reflected polynomial 0x95AC9329AC4BC9B5.
  const POLY_HI = 0x95ac9329;
  const POLY_LO = 0xac4bc9b5;
  for (let i = 0; i < 256; i++) {
    let lo = i;
    let hi = 0;
    for (let k = 0; k < 8; k++) {
      const lsb = lo & 1;
      lo = (lo >>> 1) | ((hi & 1) << 31);
      hi = hi >>> 1;
      if (lsb) {
        lo ^= POLY_LO;
        hi ^= POLY_HI;
      }
    }
    TABLE_LO[i] = lo;
    TABLE_HI[i] = hi;
  }
})();

// Slicing by 8: SLICE_LO[k][b] / SLICE_HI[k][b] is the CRC of byte b followed by k zero bytes, so
// eight input bytes fold into the CRC with eight lookups at once (about 5× the byte-wise loop).
const SLICE_LO: Int32Array[] = [TABLE_LO];
const SLICE_HI: Int32Array[] = [TABLE_HI];
for (let k = 1; k < 8; k++) {
  const lo = new Int32Array(256);
  const hi = new Int32Array(256);
  const plo = SLICE_LO[k - 1];
  const phi = SLICE_HI[k - 1];
  for (let b = 0; b < 256; b++) {
    const idx = plo[b] & 0xff;
    lo[b] = ((plo[b] >>> 8) | (phi[b] << 24)) ^ TABLE_LO[idx];
    hi[b] = (phi[b] >>> 8) ^ TABLE_HI[idx];
  }
  SLICE_LO.push(lo);
  SLICE_HI.push(hi);
}
const [L0, L1, L2, L3, L4, L5, L6, L7] = SLICE_LO;
const [H0, H1, H2, H3, H4, H5, H6, H7] = SLICE_HI;

/** A running CRC-64: update with chunks, read as a bigint. */
export class Crc64 {
  private lo = 0;
  private hi = 0;

  update(bytes: Uint8Array): this {
    let lo = this.lo;
    let hi = this.hi;
    const n = bytes.length;
    // Little-endian 32-bit reads through a DataView: one load instead of four bytes and three shifts.
    const words = new DataView(bytes.buffer, bytes.byteOffset, n);
    let i = 0;
    for (const end = n - 7; i < end; i += 8) {
      const a = lo ^ words.getInt32(i, true);
      const b = hi ^ words.getInt32(i + 4, true);
      lo =
        L7[a & 0xff] ^ L6[(a >>> 8) & 0xff] ^ L5[(a >>> 16) & 0xff] ^ L4[a >>> 24] ^
        L3[b & 0xff] ^ L2[(b >>> 8) & 0xff] ^ L1[(b >>> 16) & 0xff] ^ L0[b >>> 24];
      hi =
        H7[a & 0xff] ^ H6[(a >>> 8) & 0xff] ^ H5[(a >>> 16) & 0xff] ^ H4[a >>> 24] ^
        H3[b & 0xff] ^ H2[(b >>> 8) & 0xff] ^ H1[(b >>> 16) & 0xff] ^ H0[b >>> 24];
    }
    for (; i < n; i++) {
      const idx = (lo ^ bytes[i]) & 0xff;
      // crc >> 8, then xor the table entry.
      lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[idx];
      hi = (hi >>> 8) ^ TABLE_HI[idx];
    }
    this.lo = lo;
    this.hi = hi;
    return this;
  }

  get value(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }
}

export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value;
}
