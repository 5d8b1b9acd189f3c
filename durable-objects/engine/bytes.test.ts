import { describe, expect, it } from "vitest";
import { binaryToBytes, bytesToBinary, parseSafeInt } from "./bytes.js";
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

describe("parseSafeInt", () => {
  it("reads what Redis's string2ll reads (as the nearest number past safe integers), and nothing else", () => {
    // The definition: canonical decimal (no '+', no leading zeros, no "-0", no spaces) within int64.
    const reference = (s: string) => (/^(0|-?[1-9][0-9]*)$/.test(s) && s.length <= 20 && BigInt.asIntN(64, BigInt(s)) === BigInt(s) ? Number(BigInt(s)) : null);
    const rnd = seededRandom(21);
    const alphabet = "0123456789-+ .e";
    const samples = ["", "0", "-0", "00", "-", "1", "-1", "007", "+5", " 5", "5 ", "1e3", "999999999999999", "-999999999999999", "9007199254740991", "9007199254740992", "-9007199254740991", "1234567890123456", "9223372036854775807", "9223372036854775808", "-9223372036854775808"];
    for (let i = 0; i < 20_000; i++) samples.push(Array.from({ length: Math.floor(rnd() * 18) }, () => alphabet[Math.floor(rnd() * (rnd() < 0.8 ? 10 : alphabet.length))]).join(""));
    for (const s of samples) expect(parseSafeInt(s), JSON.stringify(s)).toBe(reference(s));
  });
});
