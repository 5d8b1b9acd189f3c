import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sha1hex } from "./sha1.js";

describe("sha1hex", () => {
  it("matches Redis's SCRIPT LOAD for 'return 1'", () => {
    expect(sha1hex("return 1")).toBe("e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  });
  it("matches node's SHA-1 on every length around the block boundaries, over bytes 0–255", () => {
    for (let n = 0; n < 200; n++) {
      let s = "";
      for (let i = 0; i < n; i++) s += String.fromCharCode((i * 37 + n) & 0xff);
      expect(sha1hex(s)).toBe(createHash("sha1").update(Buffer.from(s, "latin1")).digest("hex"));
    }
  });
});
