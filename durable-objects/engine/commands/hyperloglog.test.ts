import { describe, expect, it } from "vitest";
import { type TestEngine, seededRandom, testEngine } from "../testing.js";
import { Engine } from "../engine.js";
import { RedisHash } from "../types/index.js";
import { HLL_DENSE_SIZE, HLL_HASH_SEED, Hll, estimate, murmurHash64A, patternLength } from "../types/hyperloglog.js";

const hex = (s: unknown) => Buffer.from(s as string, "latin1").toString("hex");
const unhex = (h: string) => Buffer.from(h, "hex").toString("latin1");
const NOT_HLL = { error: "WRONGTYPE Key is not a valid HyperLogLog string value." };
const WRONGTYPE = { error: "WRONGTYPE Operation against a key holding the wrong kind of value" };
const CORRUPT = { error: "INVALIDOBJ Corrupted HLL object detected" };

/** A 16-byte header: encoding 0 dense / 1 sparse, the 8 cache bytes as hex. */
const header = (encoding: number, card = "0000000000000080") => unhex(`48594c4c0${encoding}000000${card}`);
const xzero = (len: number) => String.fromCharCode(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);

function elements(seed: number, n: number): string[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, (_, i) => `e:${i}:${Math.floor(rnd() * 1e9)}`);
}

/**
 * Replays the propagated log into a fresh engine with the same configuration (CONFIG SET is not
 * logged, and hll-sparse-max-bytes shapes the bytes); the dataset must be the same.
 */
function expectReplayMatches(t: TestEngine): void {
  const other = new Engine({ clock: t.clock.now, config: t.engine.config.all() });
  for (const argv of t.log) other.replay(argv);
  expect(new Map(other.db.data)).toEqual(new Map(t.engine.db.data));
}

describe("HLL bytes", () => {
  it("MurmurHash64A gives Redis's hashes for every tail length", () => {
    const h = (s: string, seed = HLL_HASH_SEED) => murmurHash64A(s, seed).map((x) => x.toString(16).padStart(8, "0")).join("");
    expect(h("")).toBe("d8dfea6585bc9732");
    expect(h("a")).toBe("53d2470a9b43b1a7");
    expect(h("abc")).toBe("77ec90aeb374e502");
    expect(h("abcdefg")).toBe("22fe613bb08c9602");
    expect(h("abcdefgh")).toBe("f3a65df559914567");
    expect(h("abcdefghi")).toBe("834fba4d9152daf7");
    expect(h("hello world, HyperLogLog!")).toBe("43df2d3ed438a4e3");
    expect(h("\xff\x00\x80")).toBe("fe93fc73c4134391");
    expect(h("abc", 0)).toBe("9cc9c33498a95efb");
  });

  it("an element's register is the hash's low 14 bits and its count the run after them", () => {
    expect(patternLength("")).toEqual({ index: 5938, count: 2 });
    expect(patternLength("a")).toEqual({ index: 12711, count: 2 });
    expect(patternLength("abc")).toEqual({ index: 9474, count: 1 });
    expect(patternLength("abcdefghi")).toEqual({ index: 6903, count: 1 });
    // Rare elements (found by brute force) whose run is longer than a sparse VAL holds.
    expect(patternLength("hll:0918160738")).toEqual({ index: 8598, count: 36 });
    expect(patternLength("hll:6587865382")).toEqual({ index: 1832, count: 33 });
  });

  it("an empty HLL is a sparse header and one XZERO of 16384 registers", () => {
    expect(hex(Hll.empty().toString())).toBe("48594c4c01000000000000000000000" + "07fff");
  });

  it("parse refuses short strings, another magic, unknown encodings and dense values of the wrong size", () => {
    expect(Hll.parse("HYLL")).toBeNull();
    expect(Hll.parse(`HYLX${header(1).slice(4)}`)).toBeNull();
    expect(Hll.parse(header(2))).toBeNull();
    expect(Hll.parse(header(0) + "\0".repeat(12287))).toBeNull();
    expect(Hll.parse(header(0) + "\0".repeat(12288))?.length).toBe(HLL_DENSE_SIZE);
    expect(Hll.parse(header(1))?.length).toBe(16);
  });

  it("a register above 32 turns a sparse HLL dense with the header and cache kept", () => {
    const h = Hll.empty();
    expect(h.set(100, 5, 3000)).toBe(1);
    expect(h.encoding).toBe(1);
    expect(h.set(200, 40, 3000)).toBe(1);
    expect(h.encoding).toBe(0);
    expect(h.length).toBe(HLL_DENSE_SIZE);
    expect([h.register(100), h.register(200), h.register(201)]).toEqual([5, 40, 0]);
    expect(hex(h.toString().slice(0, 16))).toBe("48594c4c000000000000000000000080");
  });

  it("dense registers pack 6 bits each, the last one included", () => {
    const h = Hll.empty();
    h.toDense();
    for (const [i, v] of [[0, 63], [1, 1], [2, 62], [3, 2], [16383, 51]]) h.set(i, v, 3000);
    expect([0, 1, 2, 3, 4, 16382, 16383].map((i) => h.register(i))).toEqual([63, 1, 62, 2, 0, 0, 51]);
    expect(hex(h.toString().slice(16, 19))).toBe("7fe00b");
    expect(hex(h.toString().slice(-1))).toBe("cc");
  });

  it("the estimator gives 0 for no registers set and 2^63 when forged registers overflow it", () => {
    const histo = new Array(64).fill(0);
    histo[0] = 16384;
    expect(estimate(histo)).toBe(0n);
    const forged = new Array(64).fill(0);
    forged[63] = 16384;
    expect(estimate(forged)).toBe(1n << 63n);
  });
});

describe("PFADD", () => {
  it("PFADD with no element on a new key creates an empty HLL and replies 1", () => {
    const t = testEngine();
    expect(t.run("PFADD", "h")).toBe(1);
    expect(hex(t.run("GET", "h"))).toBe("48594c4c0100000000000000000000807fff");
    expect(t.run("PFADD", "h")).toBe(0);
    expect(t.log).toEqual([["PFADD", "h"]]);
  });

  it("PFADD replies 1 when a register changed and 0 when none did, and is propagated only then", () => {
    const t = testEngine();
    expect(t.run("PFADD", "h", "x", "y", "z")).toBe(1);
    expect(hex(t.run("GET", "h"))).toBe("48594c4c01000000000000000000008061848058cd8845a08408");
    expect(t.run("PFADD", "h", "x", "z")).toBe(0);
    expect(t.run("PFADD", "h", "x", "w")).toBe(1);
    expect(t.log).toEqual([
      ["PFADD", "h", "x", "y", "z"],
      ["PFADD", "h", "x", "w"],
    ]);
    expectReplayMatches(t);
  });

  it("PFADD turns a sparse HLL dense when it would pass hll-sparse-max-bytes", () => {
    const t = testEngine();
    t.run("CONFIG", "SET", "hll-sparse-max-bytes", "40");
    t.run("PFADD", "h", ...elements(1, 5));
    expect(t.run("STRLEN", "h")).toBeLessThanOrEqual(40);
    t.run("PFADD", "h", ...elements(2, 20));
    expect(t.run("STRLEN", "h")).toBe(HLL_DENSE_SIZE);
    expect(t.run("GETRANGE", "h", "4", "4")).toBe("\0");
    expectReplayMatches(t);
  });

  it("PFADD of an element whose run is above 32 turns a sparse HLL dense", () => {
    const t = testEngine();
    t.run("PFADD", "h", "a", "b");
    expect(t.run("STRLEN", "h")).toBeLessThan(100);
    expect(t.run("PFADD", "h", "hll:0918160738")).toBe(1);
    expect(t.run("STRLEN", "h")).toBe(HLL_DENSE_SIZE);
    expect(t.run("PFCOUNT", "h")).toBe(3);
  });

  it("PFADD keeps the key's TTL", () => {
    const t = testEngine();
    t.run("PFADD", "h", "a");
    t.run("EXPIRE", "h", "100");
    t.run("PFADD", "h", "b", "c");
    expect(t.run("TTL", "h")).toBe(100);
  });

  it("PFADD on a string that is not an HLL, or on another type, is refused", () => {
    const t = testEngine();
    t.run("SET", "s", "hello");
    expect(t.run("PFADD", "s", "a")).toEqual(NOT_HLL);
    t.run("SET", "s", `HYLL${"\0".repeat(12)}`); // encoding 0 (dense) but not 12304 bytes
    expect(t.run("PFADD", "s", "a")).toEqual(NOT_HLL);
    t.engine.db.set("hash", new RedisHash());
    expect(t.run("PFADD", "hash", "a")).toEqual(WRONGTYPE);
    expect(t.run("PFADD")).toEqual({ error: "ERR wrong number of arguments for 'pfadd' command" });
  });

  it("PFADD on sparse runs that do not reach the element's register is INVALIDOBJ", () => {
    const t = testEngine();
    t.run("SET", "h", header(1));
    expect(t.run("PFADD", "h", "a")).toEqual(CORRUPT);
    expect(t.run("PFADD", "h")).toBe(0);
    // "abc" goes to register 9474, "a" to 12711: runs covering 10000 registers take the first.
    t.run("SET", "h", header(1) + xzero(10000));
    expect(t.run("PFADD", "h", "abc", "a")).toEqual(CORRUPT);
    expect(hex(t.run("GET", "h"))).toBe("48594c4c010000000000000000000080" + "6501" + "80" + "420c");
    // Those kept edits are propagated, so a replay has them too.
    expect(t.log.at(-1)).toEqual(["PFADD", "h", "abc", "a"]);
    expectReplayMatches(t);
  });
});

describe("PFCOUNT", () => {
  it("PFCOUNT of a missing key is 0", () => {
    const t = testEngine();
    expect(t.run("PFCOUNT", "nope")).toBe(0);
    expect(t.log).toEqual([]);
  });

  it("PFCOUNT computes a stale cardinality, caches it in the header, and propagates that", () => {
    const t = testEngine();
    t.run("PFADD", "h", "x", "y", "z");
    expect(t.run("PFCOUNT", "h")).toBe(3);
    expect(hex(t.run("GET", "h"))).toBe("48594c4c01000000030000000000000061848058cd8845a08408");
    expect(t.run("PFCOUNT", "h")).toBe(3);
    expect(t.log).toEqual([
      ["PFADD", "h", "x", "y", "z"],
      ["PFCOUNT", "h"],
    ]);
    // A later PFADD only sets the stale bit: the old count stays in the other bytes.
    t.run("PFADD", "h", "w");
    expect(hex(t.run("GETRANGE", "h", "8", "15"))).toBe("0300000000000080");
    expectReplayMatches(t);
  });

  it("PFCOUNT is allowed with a read-only token and still caches", () => {
    const t = testEngine();
    t.run("PFADD", "h", "a", "b");
    expect(t.engine.execute(["PFCOUNT", "h"], { access: "readonly" })).toBe(2);
    expect(t.engine.execute(["PFADD", "h", "c"], { access: "readonly" })).toEqual({
      error: "NOPERM this user has no permissions to run the 'pfadd' command",
    });
    expect(t.log.at(-1)).toEqual(["PFCOUNT", "h"]);
  });

  it("PFCOUNT estimates 100,000 distinct elements within 2%", () => {
    const t = testEngine();
    const els = elements(3, 100_000);
    for (let i = 0; i < els.length; i += 5000) t.run("PFADD", "h", ...els.slice(i, i + 5000));
    const n = t.run("PFCOUNT", "h") as number;
    expect(Math.abs(n - 100_000)).toBeLessThan(2000);
    expect(t.run("STRLEN", "h")).toBe(HLL_DENSE_SIZE);
  });

  it("PFCOUNT of several keys counts their union and changes nothing", () => {
    const t = testEngine();
    t.run("PFADD", "a", "1", "2", "3");
    t.run("PFADD", "b", "3", "4");
    const before = [t.run("GET", "a"), t.run("GET", "b")];
    const logged = t.log.length;
    expect(t.run("PFCOUNT", "a", "b", "missing")).toBe(4);
    expect(t.run("PFCOUNT", "missing", "other")).toBe(0);
    expect([t.run("GET", "a"), t.run("GET", "b")]).toEqual(before);
    expect(t.log.length).toBe(logged);
  });

  it("PFCOUNT on a string that is not an HLL, or on another type, is refused", () => {
    const t = testEngine();
    t.run("SET", "s", "not an hll at all");
    t.engine.db.set("hash", new RedisHash());
    t.run("PFADD", "h", "a");
    expect(t.run("PFCOUNT", "s")).toEqual(NOT_HLL);
    expect(t.run("PFCOUNT", "h", "s")).toEqual(NOT_HLL);
    expect(t.run("PFCOUNT", "hash")).toEqual(WRONGTYPE);
    expect(t.run("PFCOUNT", "h", "hash")).toEqual(WRONGTYPE);
    expect(t.run("PFCOUNT")).toEqual({ error: "ERR wrong number of arguments for 'pfcount' command" });
  });

  it("PFCOUNT of corrupt sparse runs is INVALIDOBJ unless the cache is fresh", () => {
    const t = testEngine();
    t.run("SET", "stale", header(1) + xzero(16000));
    expect(t.run("PFCOUNT", "stale")).toEqual(CORRUPT);
    t.run("SET", "fresh", header(1, "0700000000000000") + xzero(16000));
    expect(t.run("PFCOUNT", "fresh")).toBe(7);
    expect(t.run("PFCOUNT", "fresh", "fresh")).toEqual(CORRUPT);
    t.run("SET", "overflow", header(1) + xzero(16383) + "\x83");
    expect(t.run("PFCOUNT", "overflow", "x")).toEqual(CORRUPT);
  });

  it("PFCOUNT of forged dense registers answers as Redis 7.0 does", () => {
    const t = testEngine();
    t.run("SET", "d40", header(0) + "\xa8\x8a\x28".repeat(4096)); // every register 40
    expect(t.run("PFCOUNT", "d40")).toBe(9681763);
    expect(hex(t.run("GETRANGE", "d40", "8", "15"))).toBe("63bb930000000000");
    // All registers 63: the estimate overflows int64 and Redis replies INT64_MIN, a stale cache.
    t.run("SET", "d63", header(0) + "\xff".repeat(12288));
    expect(t.run("PFCOUNT", "d63")).toBe(-9223372036854775808n);
    expect(hex(t.run("GETRANGE", "d63", "8", "15"))).toBe("0000000000000080");
  });
});

describe("PFMERGE", () => {
  it("PFMERGE with only a destination creates an empty HLL with a stale cache", () => {
    const t = testEngine();
    expect(t.run("PFMERGE", "d")).toEqual({ status: "OK" });
    expect(hex(t.run("GET", "d"))).toBe("48594c4c0100000000000000000000807fff");
    expect(t.run("PFMERGE", "d2", "missing")).toEqual({ status: "OK" });
    expect(t.log).toEqual([["PFMERGE", "d"], ["PFMERGE", "d2", "missing"]]);
  });

  it("PFMERGE stores the union, the destination counted as a source", () => {
    const t = testEngine();
    t.run("PFADD", "a", "1", "2", "3");
    t.run("PFADD", "b", "3", "4");
    t.run("PFADD", "d", "5");
    expect(t.run("PFMERGE", "d", "a", "b")).toEqual({ status: "OK" });
    expect(t.run("PFCOUNT", "d")).toBe(5);
    expect(t.log.at(-2)).toEqual(["PFMERGE", "d", "a", "b"]);
    expectReplayMatches(t);
  });

  it("PFMERGE with a dense source makes the destination dense, and keeps its TTL", () => {
    const t = testEngine();
    t.run("PFADD", "dense", ...elements(4, 3000));
    expect(t.run("STRLEN", "dense")).toBe(HLL_DENSE_SIZE);
    t.run("PFADD", "d", "x");
    t.run("EXPIRE", "d", "50");
    t.run("PFMERGE", "d", "dense");
    expect(t.run("STRLEN", "d")).toBe(HLL_DENSE_SIZE);
    expect(t.run("TTL", "d")).toBe(50);
    expect(t.run("PFCOUNT", "d")).toBe(t.run("PFCOUNT", "dense", "d"));
  });

  it("PFMERGE with a source that is not an HLL, or corrupt, is refused and creates nothing", () => {
    const t = testEngine();
    t.run("SET", "s", "plain");
    t.run("SET", "bad", header(1) + xzero(100));
    t.engine.db.set("hash", new RedisHash());
    expect(t.run("PFMERGE", "d", "s")).toEqual(NOT_HLL);
    expect(t.run("PFMERGE", "d", "hash")).toEqual(WRONGTYPE);
    expect(t.run("PFMERGE", "d", "bad")).toEqual(CORRUPT);
    expect(t.run("PFMERGE", "s", "missing")).toEqual(NOT_HLL);
    expect(t.run("EXISTS", "d")).toBe(0);
    expect(t.run("PFMERGE")).toEqual({ error: "ERR wrong number of arguments for 'pfmerge' command" });
  });
});

describe("OBJECT ENCODING of HLLs", () => {
  it("PFADD and PFMERGE create raw strings, however short", () => {
    const t = testEngine();
    t.run("PFADD", "n");
    expect(t.run("STRLEN", "n")).toBe(18);
    expect(t.run("OBJECT", "ENCODING", "n")).toBe("raw");
    t.run("PFMERGE", "m");
    expect(t.run("OBJECT", "ENCODING", "m")).toBe("raw");
  });

  it("PFADD, single-key PFCOUNT and PFMERGE's destination turn a copied embstr HLL raw even when nothing changes", () => {
    const t = testEngine();
    t.run("PFADD", "h", "a", "b");
    expect(t.run("PFCOUNT", "h")).toBe(2);
    const copy = t.run("GET", "h") as string;
    for (const k of ["c1", "c2", "c3", "c4", "c5"]) t.run("SET", k, copy);
    expect(t.run("OBJECT", "ENCODING", "c1")).toBe("embstr");
    expect(t.run("PFADD", "c1", "a")).toBe(0);
    expect(t.run("OBJECT", "ENCODING", "c1")).toBe("raw");
    expect(t.run("PFCOUNT", "c2")).toBe(2); // answered from the fresh cache
    expect(t.run("OBJECT", "ENCODING", "c2")).toBe("raw");
    expect(t.run("PFCOUNT", "c3", "c4")).toBe(2);
    expect(t.run("OBJECT", "ENCODING", "c3")).toBe("embstr");
    expect(t.run("PFMERGE", "c4", "c5")).toEqual({ status: "OK" });
    expect(t.run("OBJECT", "ENCODING", "c4")).toBe("raw");
    expect(t.run("OBJECT", "ENCODING", "c5")).toBe("embstr");
  });

  it("a corrupt HLL turns raw when PFADD or PFCOUNT reads it, but not as a PFMERGE source or destination", () => {
    const t = testEngine();
    const corrupt = header(1) + xzero(100);
    for (const k of ["a", "b", "c"]) t.run("SET", k, corrupt);
    expect(t.run("PFADD", "a", "x")).toEqual(CORRUPT);
    expect(t.run("OBJECT", "ENCODING", "a")).toBe("raw");
    expect(t.run("PFCOUNT", "b")).toEqual(CORRUPT);
    expect(t.run("OBJECT", "ENCODING", "b")).toBe("raw");
    expect(t.run("PFMERGE", "c")).toEqual(CORRUPT);
    expect(t.run("OBJECT", "ENCODING", "c")).toBe("embstr");
  });

  it("a string that is not an HLL keeps its encoding", () => {
    const t = testEngine();
    t.run("SET", "s", "HYLLxxxxxxxxxxxxxxxxxxx");
    expect(t.run("PFADD", "s", "a")).toEqual(NOT_HLL);
    expect(t.run("OBJECT", "ENCODING", "s")).toBe("embstr");
  });
});
