import { describe, expect, it } from "vitest";
import { Keyspace } from "../../engine/keyspace.js";
import { RdbError, encodeRdb, loadRdbInto } from "./index.js";
import { LZF_MAX_EXPANSION, lzfCompress, lzfDecompress } from "./lzf.js";

/** The error a load throws, or null. */
function loadError(bytes: Uint8Array, maxMemory?: number): RdbError | null {
  try {
    loadRdbInto(new Keyspace(() => 0), bytes, { checksum: true, maxMemory });
    return null;
  } catch (e) {
    if (e instanceof RdbError) return e;
    throw e;
  }
}

describe("loads bounded before they allocate", () => {
  it("refuses an LZF length that its input cannot stand for (88 bytes out per byte in)", () => {
    const zeros = new Uint8Array(1000);
    const packed = lzfCompress(zeros)!;
    expect(lzfDecompress(packed, 1000)).toEqual(zeros);
    expect(lzfDecompress(packed, packed.length * LZF_MAX_EXPANSION + 1)).toBeNull();
    // A 3-byte input declaring 4 GiB: refused without allocating it.
    expect(lzfDecompress(new Uint8Array([0xe0, 0xff, 0x00]), 2 ** 32)).toBeNull();
  });

  it("refuses an LZF string longer than the load's maxmemory before decompressing it, and a dataset past it", () => {
    const file = encodeRdb([["big", "a".repeat(100_000), undefined]]);
    expect(loadError(file)).toBeNull();
    const lzf = loadError(file, 50_000)!;
    expect([lzf.code, lzf.message]).toEqual(["RDB_OVER_MAXMEMORY", expect.stringContaining("a string of 100000 bytes exceeds maxmemory (50000 bytes)")]);
    const many = encodeRdb(Array.from({ length: 100 }, (_, i) => [`k${i}`, `value-${i}`, undefined] as [string, string, undefined]));
    expect(loadError(many, 1000)!.message).toMatch(/^the dataset exceeds maxmemory \(1000 bytes\): \d+ bytes of used_memory after \d+ keys/);
  });
});
