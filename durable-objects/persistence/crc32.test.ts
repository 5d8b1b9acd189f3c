import { describe, expect, it } from "vitest";
import { seededRandom } from "../engine/testing.js";
import { crc32 } from "./crc32.js";

describe("crc32", () => {
  it("matches the standard check value", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });
  it("can be computed in pieces", () => {
    const all = new TextEncoder().encode("hello world");
    expect(crc32(all.subarray(5), crc32(all.subarray(0, 5)))).toBe(crc32(all));
  });
  it("eight bytes at a time equals the bit-by-bit definition, at every length, offset and split", () => {
    const slow = (bytes: Uint8Array): number => {
      let c = ~0;
      for (const byte of bytes) {
        c ^= byte;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return ~c >>> 0;
    };
    const rnd = seededRandom(32);
    const data = Uint8Array.from({ length: 100 }, () => Math.floor(rnd() * 256));
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= data.length; end += 7) expect(crc32(data.subarray(start, end)), `${start}..${end}`).toBe(slow(data.subarray(start, end)));
    }
    for (let split = 0; split <= data.length; split += 11) expect(crc32(data.subarray(split), crc32(data.subarray(0, split)))).toBe(slow(data));
  });
});
