// SHA-1 of a byte string (chars 0–255), as hex: the name EVAL caches a script under and
// redis.sha1hex's result. Synchronous (crypto.subtle is async and a script runs in one turn).

const K = [0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6];

export function sha1hex(data: string): string {
  const n = data.length;
  // Message + 0x80 + zero padding + 64-bit length, in 64-byte blocks.
  const blocks = ((n + 8) >>> 6) + 1;
  const words = new Int32Array(blocks * 16);
  for (let i = 0; i < n; i++) words[i >>> 2] |= (data.charCodeAt(i) & 0xff) << (24 - (i & 3) * 8);
  words[n >>> 2] |= 0x80 << (24 - (n & 3) * 8);
  const bits = n * 8;
  words[blocks * 16 - 1] = bits >>> 0;
  words[blocks * 16 - 2] = Math.floor(bits / 0x100000000);
  let h0 = 0x67452301;
  let h1 = 0xefcdab89 | 0;
  let h2 = 0x98badcfe | 0;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0 | 0;
  const w = new Int32Array(80);
  for (let b = 0; b < blocks; b++) {
    for (let t = 0; t < 16; t++) w[t] = words[b * 16 + t];
    for (let t = 16; t < 80; t++) {
      const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
      w[t] = (x << 1) | (x >>> 31);
    }
    let a = h0;
    let bb = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      if (t < 20) f = (bb & c) | (~bb & d);
      else if (t < 40 || t >= 60) f = bb ^ c ^ d;
      else f = (bb & c) | (bb & d) | (c & d);
      const tmp = (((a << 5) | (a >>> 27)) + f + e + K[(t / 20) | 0] + w[t]) | 0;
      e = d;
      d = c;
      c = (bb << 30) | (bb >>> 2);
      bb = a;
      a = tmp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + bb) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  let out = "";
  for (const h of [h0, h1, h2, h3, h4]) out += (h >>> 0).toString(16).padStart(8, "0");
  return out;
}
