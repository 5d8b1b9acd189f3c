import { describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary } from "./bytes.js";
import { seededRandom } from "./testing.js";

describe("byte strings", () => {
  it("bytes → one char per byte and back, for ASCII (the fast path) and any bytes, at any offset", () => {
    const rnd = seededRandom(8);
    for (const high of [false, true]) {
      const data = Uint8Array.from({ length: 50_000 }, () => Math.floor(rnd() * (high ? 256 : 128)));
      for (const start of [0, 1, 3, 4]) {
        const part = data.subarray(start, data.length - start);
        const s = bytesToBinary(part);
        expect(s.length).toBe(part.length);
        for (let i = 0; i < part.length; i += 997) expect(s.charCodeAt(i)).toBe(part[i]);
        expect(binaryToBytes(s)).toEqual(part);
      }
    }
    // A UTF-8 BOM is bytes like any other, not something to strip.
    expect(bytesToBinary(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41))).toBe("\xef\xbb\xbfA");
    expect(bytesToBinary(new Uint8Array(0))).toBe("");
  });
});
