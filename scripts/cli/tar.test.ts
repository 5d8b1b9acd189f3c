// The backup archive's tar writer and reader, beside the system's tar (GNU tar here).

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tarBlocks, untar } from "./tar.js";
import { tempDir } from "./testing.js";

const concat = (blocks: Iterable<Uint8Array>) => Buffer.concat([...blocks]);
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

  it("refuses a damaged header and an archive cut short", () => {
    const archive = concat(tarBlocks(entries));
    const damaged = Buffer.from(archive);
    damaged[10] ^= 1;
    expect(() => untar(damaged)).toThrow("tar: bad header checksum at offset 0");
    expect(() => untar(archive.subarray(0, 3000))).toThrow(/^tar: archive cut short in the entry at offset \d+$/);
    expect(() => untar(archive.subarray(0, archive.length - 1024))).toThrow("tar: archive ends without its end-of-archive blocks");
  });
});
