import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Keyspace } from "../../engine/keyspace.js";
import { seededRandom } from "../../engine/testing.js";
import { type Value, RedisHash, RedisList, RedisSet, RedisZSet, typeName } from "../../engine/types/index.js";
import { decodeIntset, decodeListpack, encodeIntset, encodeListpack } from "./blobs.js";
import { Crc64, crc64 } from "./checksum.js";
import { RdbDecoder, RdbError, decodeRdb, encodeRdb, loadRdbInto } from "./index.js";
import { lzfCompress, lzfDecompress } from "./lzf.js";

const FIXTURES = join(__dirname, "fixtures");
const manifest = JSON.parse(readFileSync(join(FIXTURES, "manifest.json"), "utf8")) as Record<string, any>;
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name.split("/").pop()!)));
const bytes = (j: string | { b64: string }) => (typeof j === "string" ? j : Buffer.from(j.b64, "base64").toString("latin1"));
const scoreOf = (s: number | string) => (s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s));

/** A decoded value in the manifest's shape. */
function shape(v: Value): unknown {
  if (typeof v === "string") return v;
  if (v instanceof RedisList) return [...v.values()];
  if (v instanceof RedisSet) return [...v.values()].sort();
  if (v instanceof RedisHash) return [...v.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return (v as RedisZSet).entries();
}

function expected(entry: any): unknown {
  const v = entry.value;
  switch (entry.type) {
    case "string":
      return bytes(v);
    case "list":
      return v.map(bytes);
    case "set":
      return v.map(bytes).sort();
    case "hash":
      return v.map(([f, x]: any) => [bytes(f), bytes(x)]).sort((a: string[], b: string[]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    case "zset":
      return v.map(([m, s]: any) => [bytes(m), scoreOf(s)]);
  }
}

describe("RDB decoder on Redis 7.0.15's own files", () => {
  const positives = Object.entries(manifest).filter(([name, f]) => f.kind === "rdb" && !name.startsWith("negative/") && name !== "rdb/streams.rdb"); // streams: stream.test.ts

  it("hands each AUX field to onAux as it decodes, the same fields as the result", () => {
    const seen: [string, string][] = [];
    const result = decodeRdb(fixture("rdb/all.rdb"), () => {}, { onAux: (k, v) => seen.push([k, v]) });
    expect(Object.fromEntries(seen)).toEqual(result.aux);
    expect(seen.map(([k]) => k)).toContain("used-mem");
  });

  for (const [name, f] of positives) {
    it(`decodes ${name} to exactly its manifest`, () => {
      const got: Record<string, unknown[]> = {};
      const result = decodeRdb(
        fixture(name),
        (db, key, value, expireAt) => {
          (got[db] ??= []).push({ key, type: typeName(value), value: shape(value), expire_at_ms: expireAt ?? null });
        },
        { checksum: true },
      );
      const want: Record<string, unknown[]> = {};
      for (const [db, entries] of Object.entries(f.databases as Record<string, any[]>)) {
        want[db] = entries.map((e) => ({ key: bytes(e.key), type: e.type, value: expected(e), expire_at_ms: e.expire_at_ms }));
      }
      for (const db of Object.keys(got)) got[db].sort((a: any, b: any) => (a.key < b.key ? -1 : 1));
      for (const db of Object.keys(want)) want[db].sort((a: any, b: any) => (a.key < b.key ? -1 : 1));
      expect(got).toEqual(want);
      expect(result.aux["redis-ver"]).toBe("7.0.15");
      if (name === "rdb/functions.rdb") expect(result.warnings.some((w) => w.includes("function"))).toBe(true);
    });
  }

  it("rejects a flipped byte with a checksum error at the trailer", () => {
    const err = catchRdb(() => decodeRdb(fixture("negative/corrupt_crc.rdb"), () => {}, { checksum: true }));
    expect(err.code).toBe("RDB_BAD_CHECKSUM");
    expect(err.offset).toBe(55956);
  });

  it("rejects a truncated file, a bad LZF blob and a version it cannot read", () => {
    expect(catchRdb(() => decodeRdb(fixture("negative/corrupt_truncated.rdb"), () => {}, { checksum: true })).code).toBe("RDB_TRUNCATED");
    expect(catchRdb(() => decodeRdb(fixture("negative/bad_lzf_valid_crc.rdb"), () => {}, { checksum: true })).code).toBe("RDB_BAD_LZF");
    // Version 11 is 7.2's; we read up to 12 (7.4) since we know every type it may hold.
    expect(() => decodeRdb(fixture("negative/version11_header.rdb"), () => {})).not.toThrow();
    const v13 = fixture("rdb/empty.rdb").slice();
    v13.set([0x30, 0x30, 0x31, 0x33], 5);
    expect(catchRdb(() => decodeRdb(v13, () => {})).code).toBe("RDB_BAD_VERSION");
  });

  it("decodes the same keys, warnings and errors when the file comes in chunks of any size", () => {
    const rnd = seededRandom(5);
    /** Every key decoded, with its value's shape, or the error, feeding chunks of up to `max` bytes. */
    const run = (file: Uint8Array, max: number) => {
      const keys: unknown[] = [];
      const decoder = new RdbDecoder((db, key, value, expireAt) => keys.push([db, key, shape(value), expireAt]), { checksum: true });
      try {
        for (let at = 0; at < file.length; ) {
          const n = 1 + Math.floor(rnd() * max);
          decoder.push(file.subarray(at, at + n));
          at += n;
        }
        const { end, warnings, aux } = decoder.finish();
        return { keys, end, warnings, aux };
      } catch (e) {
        return { keys, error: e instanceof RdbError ? [e.code, e.offset] : String(e) };
      }
    };
    const names = [...Object.keys(manifest).filter((n) => manifest[n].kind === "rdb"), "negative/corrupt_crc.rdb", "negative/corrupt_truncated.rdb", "negative/bad_lzf_valid_crc.rdb"];
    for (const name of names) {
      const file = fixture(name);
      const whole = run(file, file.length);
      for (const max of [1, 7, 100, 5000]) expect(run(file, max), `${name} in chunks of up to ${max} bytes`).toEqual(whole);
    }
    // A value far longer than the chunks (a 300 KB string, and an LZF one) is put together first.
    const ks = new Keyspace(() => 0);
    ks.set("big", "x".repeat(300_000));
    ks.set("random", Array.from({ length: 100_000 }, () => String.fromCharCode(Math.floor(rnd() * 256))).join(""));
    const big = encodeRdb([...ks.data].map(([k, v]) => [k, v, undefined]));
    expect(run(big, 1000)).toEqual(run(big, big.length));
    expect(run(big, 1000).keys).toHaveLength(2);
  });

  it("fails cleanly (an RdbError, never another exception) when cut at any byte", () => {
    const file = fixture("rdb/all.rdb");
    for (let i = 0; i < file.length - 8; i += Math.max(1, Math.floor(file.length / 2000))) {
      expect(() => decodeRdb(file.subarray(0, i), () => {})).toThrow(RdbError);
    }
  });
});

function catchRdb(f: () => void): RdbError {
  try {
    f();
  } catch (e) {
    if (e instanceof RdbError) return e;
    throw e;
  }
  throw new Error("expected an RdbError");
}

describe("RDB building blocks", () => {
  it("CRC-64 has Redis's check value", () => {
    expect(crc64(new TextEncoder().encode("123456789"))).toBe(0xe9c6d914c4b8d9can);
  });

  it("CRC-64 eight bytes at a time equals the bit-by-bit definition, at every length and split", () => {
    // The definition: reflected, polynomial 0x95AC9329AC4BC9B5, init 0, no final xor.
    const slow = (bytes: Uint8Array): bigint => {
      let crc = 0n;
      for (const byte of bytes) {
        crc ^= BigInt(byte);
        for (let k = 0; k < 8; k++) crc = crc & 1n ? (crc >> 1n) ^ 0x95ac9329ac4bc9b5n : crc >> 1n;
      }
      return crc;
    };
    const rnd = seededRandom(11);
    const data = Uint8Array.from({ length: 200 }, () => Math.floor(rnd() * 256));
    for (let len = 0; len <= 40; len++) expect(crc64(data.subarray(0, len)), `length ${len}`).toBe(slow(data.subarray(0, len)));
    for (let split = 0; split <= data.length; split += 13) {
      const c = new Crc64().update(data.subarray(0, split)).update(data.subarray(split));
      expect(c.value, `split at ${split}`).toBe(slow(data));
    }
  });

  it("LZF round-trips and refuses to expand", () => {
    const rnd = seededRandom(7);
    for (const text of ["abcabcabcabcabcabcabcabcabcabc", "a".repeat(5000), "hello world ".repeat(300)]) {
      const input = new TextEncoder().encode(text);
      const c = lzfCompress(input)!;
      expect(c.length).toBeLessThan(input.length);
      expect(lzfDecompress(c, input.length)).toEqual(input);
    }
    const noise = Uint8Array.from({ length: 200 }, () => Math.floor(rnd() * 256));
    expect(lzfCompress(noise, noise.length - 4)).toBe(null);
  });

  it("listpack and intset blobs use Redis's encodings", () => {
    const elems = ["name", "redis", "42", "-7", "", "9223372036854775807", "\x00\xff", "123", "007", "x".repeat(100), "-4097", "70000"];
    expect(decodeListpack(encodeListpack(elems))).toEqual(elems);
    const lp = encodeListpack(["42", "-7"]);
    expect([...lp]).toEqual([12, 0, 0, 0, 2, 0, 0x2a, 0x01, 0xdf, 0xf9, 0x02, 0xff]);
    const ints = ["5", "-3", "70000", "1"];
    expect(decodeIntset(encodeIntset(ints))).toEqual(["-3", "1", "5", "70000"]);
  });
});

describe("RDB round trip (property test, seeded)", () => {
  function randomDataset(seed: number): Keyspace {
    const rnd = seededRandom(seed);
    const ks = new Keyspace(() => 0);
    const str = () => {
      const kind = rnd();
      if (kind < 0.2) return String(Math.floor(rnd() * 2e6) - 1e6);
      if (kind < 0.3) return String(BigInt(Math.floor(rnd() * 2 ** 53)) * 1000n);
      const len = rnd() < 0.1 ? Math.floor(rnd() * 3000) : Math.floor(rnd() * 40);
      let s = "";
      for (let i = 0; i < len; i++) s += String.fromCharCode(rnd() < 0.7 ? 97 + Math.floor(rnd() * 4) : Math.floor(rnd() * 256));
      return s;
    };
    for (let i = 0; i < 300; i++) {
      const key = `k${i}:${str().slice(0, 5)}`;
      const size = rnd() < 0.2 ? 200 + Math.floor(rnd() * 800) : 1 + Math.floor(rnd() * 20);
      const t = Math.floor(rnd() * 5);
      let v: Value;
      if (t === 0) v = str();
      else if (t === 1) {
        const l = new RedisList();
        for (let j = 0; j < size; j++) l.pushBack(str());
        v = l;
      } else if (t === 2) {
        const s = new RedisSet();
        const ints = rnd() < 0.5;
        for (let j = 0; j < size; j++) s.add(ints ? String(Math.floor(rnd() * 1e9) - 5e8) : str());
        v = s;
      } else if (t === 3) {
        const z = new RedisZSet();
        for (let j = 0; j < size; j++) z.add(str(), rnd() < 0.1 ? Infinity : rnd() < 0.5 ? Math.floor(rnd() * 100) : (rnd() - 0.5) * 1e6);
        v = z;
      } else {
        const h = new RedisHash();
        for (let j = 0; j < size; j++) h.set(str(), str());
        v = h;
      }
      ks.set(key, v);
      if (rnd() < 0.2) ks.setExpire(key, 1_800_000_000_000 + Math.floor(rnd() * 1e9));
    }
    return ks;
  }

  for (const seed of [1, 2, 3, 4]) {
    for (const compression of [true, false]) {
      it(`encode → decode gives the same dataset (seed ${seed}, compression ${compression})`, () => {
        const ks = randomDataset(seed);
        const file = encodeRdb([...ks.data].map(([k, v]) => [k, v, ks.expires.get(k)]), { compression });
        const back = new Keyspace(() => 0);
        loadRdbInto(back, file, { checksum: true });
        const dump = (k: Keyspace) => [...k.data].map(([key, v]) => [key, shape(v), k.expires.get(key) ?? null]).sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1));
        expect(dump(back)).toEqual(dump(ks));
      });
    }
  }

  it("drops keys already expired at load time unless loading an AOF base", () => {
    const ks = new Keyspace(() => 0);
    ks.set("live", "1");
    ks.set("dead", "2");
    ks.setExpire("dead", 1000);
    const file = encodeRdb([...ks.data].map(([k, v]) => [k, v, ks.expires.get(k)]));
    const master = new Keyspace(() => 0);
    expect(loadRdbInto(master, file, { now: 5000 })).toMatchObject({ keys: 1, expired: 1 });
    const base = new Keyspace(() => 0);
    expect(loadRdbInto(base, file)).toMatchObject({ keys: 2, expired: 0 });
  });
});
