// CRC-32 (IEEE 802.3, reflected 0xEDB88320): the per-row checksum of AOF segments in SQLite.
// Slicing by 8 (eight table lookups fold eight bytes at once): recovery checks every row it reads.

const TABLES = (() => {
  const t: Int32Array[] = [new Int32Array(256)];
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][i] = c;
  }
  // t[k][b]: the CRC of byte b followed by k zero bytes.
  for (let k = 1; k < 8; k++) {
    t.push(new Int32Array(256));
    for (let b = 0; b < 256; b++) t[k][b] = (t[k - 1][b] >>> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES;

export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc;
  const n = bytes.length;
  const words = new DataView(bytes.buffer, bytes.byteOffset, n);
  let i = 0;
  for (const end = n - 7; i < end; i += 8) {
    const a = c ^ words.getInt32(i, true);
    const b = words.getInt32(i + 4, true);
    c =
      T7[a & 0xff] ^ T6[(a >>> 8) & 0xff] ^ T5[(a >>> 16) & 0xff] ^ T4[a >>> 24] ^
      T3[b & 0xff] ^ T2[(b >>> 8) & 0xff] ^ T1[(b >>> 16) & 0xff] ^ T0[b >>> 24];
  }
  for (; i < n; i++) c = T0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
