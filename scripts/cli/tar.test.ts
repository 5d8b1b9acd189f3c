// The backup archive's tar writer and reader, beside the system's tar (GNU tar here).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tarBlocks, tarDigests, untar } from "./tar.js";
import { tempDir } from "./testing.js";

const concat = (blocks: Iterable<Uint8Array>) => Buffer.concat([...blocks]);
/** An archive as a stream of pieces of `size` bytes. */
async function* pieces(archive: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < archive.length; at += size) yield archive.subarray(at, at + size);
}
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe("tar", () => {
  const long = `${"d".repeat(60)}/${"e".repeat(60)}/file-with-a-long-name.bin`;
  const entries = [
    { name: "backup/manifest.json", data: new TextEncoder().encode('{"ok":true}\n') },
    { name: "backup/shard-0/dump.rdb", data: bytes(1000, 1) },
    { name: "backup/empty", data: new Uint8Array(0) },
    { name: "backup/block", data: bytes(512, 2) },
    { name: long, data: bytes(3, 3) },
  ];

  it("reads back what it writes, names over 100 bytes included", () => {
    const archive = concat(tarBlocks(entries));
    expect(archive.length % 512).toBe(0);
    expect(untar(archive).map((e) => [e.name, Buffer.from(e.data)])).toEqual(entries.map((e) => [e.name, Buffer.from(e.data)]));
  });

  it("writes what the system's tar extracts byte for byte", () => {
    const tmp = tempDir("cli-tar-");
    try {
      writeFileSync(join(tmp.path, "a.tar"), concat(tarBlocks(entries)));
      const r = spawnSync("tar", ["xf", "a.tar"], { cwd: tmp.path, encoding: "utf8" });
      expect(r.stderr).toBe("");
      for (const e of entries) expect(readFileSync(join(tmp.path, e.name))).toEqual(Buffer.from(e.data));
    } finally {
      tmp.remove();
    }
  });

  it("reads what the system's tar writes, in its pax and GNU formats", () => {
    const tmp = tempDir("cli-tar-");
    try {
      const dir = join(tmp.path, "src", "d".repeat(90));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "x".repeat(80)), bytes(700, 4));
      writeFileSync(join(tmp.path, "src", "small"), "hi\n");
      for (const format of ["pax", "gnu", "ustar"]) {
        const out = join(tmp.path, `${format}.tar`);
        const r = spawnSync("tar", ["cf", out, `--format=${format}`, "-C", join(tmp.path, "src"), "."], { encoding: "utf8" });
        expect(r.status).toBe(0);
        const files = untar(readFileSync(out)).map((e) => [e.name.replace(/^\.\//, ""), e.data.length]);
        expect(files.sort()).toEqual([[`${"d".repeat(90)}/${"x".repeat(80)}`, 700], ["small", 3]]);
      }
    } finally {
      tmp.remove();
    }
  });

  it("refuses a damaged header and an archive cut short, whole or as a stream", async () => {
    const archive = concat(tarBlocks(entries));
    const damaged = Buffer.from(archive);
    damaged[10] ^= 1;
    expect(() => untar(damaged)).toThrow("tar: bad header checksum at offset 0");
    expect(() => untar(archive.subarray(0, 3000))).toThrow(/^tar: archive cut short in the entry at offset \d+$/);
    expect(() => untar(archive.subarray(0, archive.length - 1024))).toThrow("tar: archive ends without its end-of-archive blocks");
    await expect(tarDigests(pieces(damaged, 100))).rejects.toThrow("tar: bad header checksum at offset 0");
    await expect(tarDigests(pieces(archive.subarray(0, 3000), 100))).rejects.toThrow(/^tar: archive cut short in the entry at offset \d+$/);
    await expect(tarDigests(pieces(archive.subarray(0, archive.length - 1024), 100))).rejects.toThrow("tar: archive ends without its end-of-archive blocks");
  });

  it("streams large files from disk into the archive, and digests an archive read in pieces of any size", async () => {
    const tmp = tempDir("cli-tar-");
    try {
      const big = bytes(3 * 1024 * 1024 + 17, 5);
      writeFileSync(join(tmp.path, "big"), big);
      const withFile = [...entries, { name: "backup/big", path: join(tmp.path, "big"), size: big.length }];
      const archive = concat(tarBlocks(withFile));
      const files = untar(archive);
      expect(Buffer.from(files.at(-1)!.data).equals(Buffer.from(big))).toBe(true);
      const want = new Map(files.map((f) => [f.name, { size: f.data.length, sha256: createHash("sha256").update(f.data).digest("hex") }]));
      for (const size of [1, 511, 4096, archive.length]) expect(await tarDigests(pieces(archive, size))).toEqual(want);
      // A file that changes size while archived is an error, not a silently wrong archive.
      expect(() => concat(tarBlocks([{ name: "x", path: join(tmp.path, "big"), size: 10 }]))).toThrow(/changed size while being archived/);
      // What the system's tar writes (pax long names) digests too.
      const out = join(tmp.path, "pax.tar");
      mkdirSync(join(tmp.path, "src", "d".repeat(90)), { recursive: true });
      writeFileSync(join(tmp.path, "src", "d".repeat(90), "x".repeat(80)), "pax\n");
      expect(spawnSync("tar", ["cf", out, "--format=pax", "-C", join(tmp.path, "src"), "."]).status).toBe(0);
      const digests = await tarDigests(pieces(readFileSync(out), 300));
      expect(digests.get(`./${"d".repeat(90)}/${"x".repeat(80)}`)).toEqual({ size: 4, sha256: createHash("sha256").update("pax\n").digest("hex") });
    } finally {
      tmp.remove();
    }
  });
});
