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

// Slicing by 8: entry k·256 + b of SLICE_LO / SLICE_HI is the CRC of byte b followed by k zero bytes,
// so eight input bytes fold into the CRC with eight lookups at once (about 5× the byte-wise loop).
// One flat table per half rather than sixteen small ones: the loop then holds two base pointers,
// and the whole check runs about 1.7× faster (15 ms rather than 25 ms for a 12 MB file).
const SLICE_LO = new Int32Array(8 * 256);
const SLICE_HI = new Int32Array(8 * 256);
SLICE_LO.set(TABLE_LO);
SLICE_HI.set(TABLE_HI);
for (let k = 1; k < 8; k++) {
  for (let b = 0; b < 256; b++) {
    const plo = SLICE_LO[(k - 1) * 256 + b];
    const phi = SLICE_HI[(k - 1) * 256 + b];
    const idx = plo & 0xff;
    SLICE_LO[k * 256 + b] = ((plo >>> 8) | (phi << 24)) ^ TABLE_LO[idx];
    SLICE_HI[k * 256 + b] = (phi >>> 8) ^ TABLE_HI[idx];
  }
}

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
      // The first byte has seven bytes after it (table 7), the last none (table 0).
      const x0 = 1792 + (a & 0xff);
      const x1 = 1536 + ((a >>> 8) & 0xff);
      const x2 = 1280 + ((a >>> 16) & 0xff);
      const x3 = 1024 + (a >>> 24);
      const x4 = 768 + (b & 0xff);
      const x5 = 512 + ((b >>> 8) & 0xff);
      const x6 = 256 + ((b >>> 16) & 0xff);
      const x7 = b >>> 24;
      lo = SLICE_LO[x0] ^ SLICE_LO[x1] ^ SLICE_LO[x2] ^ SLICE_LO[x3] ^ SLICE_LO[x4] ^ SLICE_LO[x5] ^ SLICE_LO[x6] ^ SLICE_LO[x7];
      hi = SLICE_HI[x0] ^ SLICE_HI[x1] ^ SLICE_HI[x2] ^ SLICE_HI[x3] ^ SLICE_HI[x4] ^ SLICE_HI[x5] ^ SLICE_HI[x6] ^ SLICE_HI[x7];
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

/** A CRC-64 as manifests and snapshot records keep it, to tell one file from another: 16 hex digits. */
export function crcHex(crc: bigint): string {
  return crc.toString(16).padStart(16, "0");
}
