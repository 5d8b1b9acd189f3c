// Interop with redis-server 7.0: the same PFADD/PFCOUNT/PFMERGE sequences on both give the same
// replies and byte-identical values (GET), and values Redis made behave the same here.
// Needs Debian's redis-server; under CI=true its absence fails the suite.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RedisProcess, findBinary, startRedis } from "../../persistence/testing/redis.js";
import type { Reply } from "../reply.js";
import { type TestEngine, seededRandom, testEngine } from "../testing.js";
import { HLL_DENSE_SIZE, patternLength } from "../types/hyperloglog.js";
import { RedisList } from "../types/index.js";

const server = findBinary("redis-server");
const required = process.env.CI === "true";

/** Found by brute force (runs of 36 and 33): longer than a sparse VAL can hold. */
const LONG_RUN_ELEMENTS = ["hll:0918160738", "hll:6587865382"];

const hex = (s: string) => Buffer.from(s, "latin1").toString("hex");

/** Equal byte strings, or a failure that shows where they first differ (not 12 KB of both). */
function expectSameBytes(ours: Reply, theirs: Reply, what: string): void {
  if (ours === theirs) return;
  if (typeof ours !== "string" || typeof theirs !== "string") {
    expect(ours, what).toEqual(theirs);
    return;
  }
  let i = 0;
  while (i < ours.length && i < theirs.length && ours[i] === theirs[i]) i++;
  const around = (s: string) => hex(s.slice(Math.max(0, i - 8), i + 8));
  expect.fail(`${what}: lengths ${ours.length}/${theirs.length}, first difference at byte ${i}: ours …${around(ours)}… redis …${around(theirs)}…`);
}

describe.skipIf(!server && !required)("HyperLogLog against redis-server 7", () => {
  let redis: RedisProcess;
  let t: TestEngine;

  beforeAll(async () => {
    if (!server) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    redis = await startRedis(server, ["--appendonly", "no"]);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });
  beforeEach(async () => {
    await redis.client.ok("FLUSHALL");
    await redis.client.ok("CONFIG", "SET", "hll-sparse-max-bytes", "3000");
    t = testEngine();
  });

  /** Runs a command on both; the replies must be equal. */
  async function both(...argv: string[]): Promise<Reply> {
    const theirs = await redis.client.call(...argv);
    const ours = t.run(...argv);
    expect(ours, argv.slice(0, 3).join(" ")).toEqual(theirs);
    return ours;
  }

  /** The key's bytes on both must be equal. */
  async function sameValue(key: string, what = key): Promise<string> {
    const theirs = await redis.client.call("GET", key);
    const ours = t.run("GET", key);
    expectSameBytes(ours, theirs, what);
    return ours as string;
  }

  /** Elements of 0..24 bytes, any byte values, so every tail length of the hash is used. */
  function elements(seed: number, n: number): string[] {
    const rnd = seededRandom(seed);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      if (rnd() < 0.5) out.push(`el:${seed}:${i}`);
      else out.push(Array.from({ length: Math.floor(rnd() * 25) }, () => String.fromCharCode(Math.floor(rnd() * 256))).join(""));
    }
    return out;
  }

  /** Adds the elements in batches of `batch`, comparing reply, bytes and PFCOUNT after each. */
  async function addInBatches(key: string, els: string[], batch: number, countEvery = 1): Promise<void> {
    for (let i = 0, n = 0; i < els.length; i += batch, n++) {
      await both("PFADD", key, ...els.slice(i, i + batch));
      await sameValue(key, `${key} after ${i + batch} elements`);
      if (n % countEvery === 0) {
        await both("PFCOUNT", key);
        await sameValue(key, `${key} after PFCOUNT at ${i + batch} elements`);
      }
    }
  }

  const encodingOf = (v: string) => (v.charCodeAt(4) === 0 ? "dense" : "sparse");

  it("PFADD with no element creates the same empty HLL, with a stale cache until PFCOUNT", async () => {
    expect(await both("PFADD", "h")).toBe(1);
    expect(hex(await sameValue("h"))).toBe("48594c4c0100000000000000000000807fff");
    expect(await both("PFADD", "h")).toBe(0);
    expect(await both("PFCOUNT", "h")).toBe(0);
    expect(hex(await sameValue("h"))).toBe("48594c4c0100000000000000000000007fff");
  });

  it("small sparse HLLs get the same bytes and counts after every command", async () => {
    for (const seed of [1, 2, 3]) {
      const els = elements(seed, 300);
      await addInBatches(`s${seed}`, els, seed, 1);
      // Adding them again changes nothing.
      expect(await both("PFADD", `s${seed}`, ...els.slice(0, 50))).toBe(0);
      expect(encodingOf(await sameValue(`s${seed}`))).toBe("sparse");
    }
  }, 60_000);

  it("crossing from sparse to dense at hll-sparse-max-bytes gives the same bytes at every step", async () => {
    const els = elements(7, 5000);
    let crossedAt = -1;
    for (let i = 0; i < els.length; i += 7) {
      await both("PFADD", "x", ...els.slice(i, i + 7));
      const v = await sameValue("x", `x after ${i + 7} elements`);
      if (crossedAt < 0 && encodingOf(v) === "dense") crossedAt = i;
      if (i % 70 === 0) await both("PFCOUNT", "x");
    }
    expect(crossedAt).toBeGreaterThan(0);
    expect(t.run("STRLEN", "x")).toBe(HLL_DENSE_SIZE);
  }, 60_000);

  it("a lower hll-sparse-max-bytes, and 0, turn HLLs dense where Redis does", async () => {
    for (const limit of ["200", "17", "0"]) {
      await both("CONFIG", "SET", "hll-sparse-max-bytes", limit);
      await addInBatches(`l${limit}`, elements(Number(limit) + 100, 120), 3);
    }
  }, 60_000);

  it("100,000 elements give the same dense bytes and count", async () => {
    const els = elements(100, 100_000);
    await addInBatches("big", els, 1000, 10);
    expect(await both("PFCOUNT", "big")).toBeGreaterThan(95_000);
  }, 120_000);

  it("a register above 32 turns a sparse HLL dense at once", async () => {
    for (const el of LONG_RUN_ELEMENTS) expect(patternLength(el).count).toBeGreaterThan(32);
    await both("PFADD", "r", "a", "b", "c");
    expect(encodingOf(await sameValue("r"))).toBe("sparse");
    await both("PFADD", "r", LONG_RUN_ELEMENTS[0]);
    expect(encodingOf(await sameValue("r"))).toBe("dense");
    await both("PFADD", "r2", ...LONG_RUN_ELEMENTS);
    await sameValue("r2");
    await both("PFCOUNT", "r2");
  });

  it("PFMERGE of sparse and dense sources, into new, sparse and dense destinations", async () => {
    await addInBatches("sp1", elements(21, 150), 50);
    await addInBatches("sp2", elements(22, 400), 100);
    await addInBatches("dn1", elements(23, 6000), 1000);
    // Sparse into a new key stays sparse; with a dense source it is dense from the start.
    await both("PFMERGE", "m1", "sp1", "sp2");
    expect(encodingOf(await sameValue("m1"))).toBe("sparse");
    await both("PFCOUNT", "m1");
    await sameValue("m1");
    await both("PFMERGE", "m2", "sp1", "dn1", "missing");
    expect(encodingOf(await sameValue("m2"))).toBe("dense");
    // Into an existing sparse destination (it is a source too), then an existing dense one.
    await both("PFADD", "m3", ...elements(24, 30));
    await both("PFMERGE", "m3", "sp2");
    await sameValue("m3");
    await both("PFMERGE", "m3", "dn1", "sp1");
    await sameValue("m3");
    await both("PFMERGE", "dn1", "sp2");
    await sameValue("dn1");
    await both("PFCOUNT", "m3");
    await both("PFCOUNT", "dn1");
    // Sparse sources whose union outgrows the sparse limit: the destination turns dense mid-merge.
    await addInBatches("sp3", elements(25, 1100), 550);
    await addInBatches("sp4", elements(26, 1100), 550);
    expect(encodingOf(await sameValue("sp3"))).toBe("sparse");
    await both("PFMERGE", "m4", "sp3", "sp4");
    expect(encodingOf(await sameValue("m4"))).toBe("dense");
  }, 60_000);

  it("the estimator gives Redis's count for 400 forged register histograms", async () => {
    // Dense values with registers drawn from many shapes: mostly empty, mid-range, saturated
    // (the tau term: registers at 51), and values above 51 that the estimator ignores.
    const rnd = seededRandom(99);
    const counts = new Set<Reply>();
    for (let n = 0; n < 400; n++) {
      const zeros = rnd();
      const top = 1 + Math.floor(rnd() * 63);
      const saturated = n % 5 === 0 ? rnd() : 0;
      const regs = new Uint8Array(16384);
      for (let i = 0; i < regs.length; i++) {
        const r = rnd();
        regs[i] = r < zeros ? 0 : r < zeros + saturated * (1 - zeros) ? 51 : 1 + Math.floor(rnd() * top);
      }
      const bytes = new Uint8Array(12288);
      for (let i = 0; i < regs.length; i++) {
        const bit = i * 6;
        const byte = bit >> 3;
        bytes[byte] |= (regs[i] << (bit & 7)) & 0xff;
        if ((bit & 7) > 2) bytes[byte + 1] |= regs[i] >> (8 - (bit & 7));
      }
      const value = `HYLL\0\0\0\0\0\0\0\0\0\0\0\x80${Buffer.from(bytes).toString("latin1")}`;
      await both("SET", "forged", value);
      await both("PFCOUNT", "forged", "missing");
      counts.add(await both("PFCOUNT", "forged"));
      await sameValue("forged", `forged #${n}`);
    }
    expect(counts.size).toBeGreaterThan(350);
  }, 60_000);

  it("PFMERGE with only a destination, or only missing sources, makes an empty HLL", async () => {
    expect(await both("PFMERGE", "d1")).toEqual({ status: "OK" });
    await sameValue("d1");
    expect(await both("PFMERGE", "d2", "nope1", "nope2")).toEqual({ status: "OK" });
    await sameValue("d2");
    await both("PFADD", "d3", "a", "b");
    await both("PFCOUNT", "d3");
    await both("PFMERGE", "d3");
    await sameValue("d3");
    await both("PFMERGE", "d3", "nope");
    await sameValue("d3");
  });

  it("PFCOUNT of several keys counts the union and stores nothing", async () => {
    await addInBatches("u1", elements(31, 500), 250);
    await addInBatches("u2", elements(32, 5000), 2500);
    await both("PFADD", "u3", ...elements(31, 100));
    const before = [await sameValue("u1"), await sameValue("u2"), await sameValue("u3")];
    await both("PFCOUNT", "u1", "u2", "u3", "missing");
    await both("PFCOUNT", "u1", "u3");
    await both("PFCOUNT", "missing", "u3");
    await both("PFCOUNT", "missing1", "missing2");
    expect([await sameValue("u1"), await sameValue("u2"), await sameValue("u3")]).toEqual(before);
  }, 60_000);

  it("values made by Redis, SET here, give the same PFCOUNT, and further PFADDs the same bytes", async () => {
    const c = redis.client;
    const sizes = [0, 5, 200, 1500, 20_000];
    for (const n of sizes) {
      const els = elements(40 + n, n + 1000);
      const key = `theirs${n}`;
      for (let i = 0; i < n; i += 1000) await c.ok("PFADD", key, ...els.slice(i, Math.min(n, i + 1000)));
      if (n === 0) await c.ok("PFADD", key);
      // Take one with a fresh cache too.
      if (n === 200) await c.ok("PFCOUNT", key);
      const value = (await c.call("GET", key)) as string;
      expect(t.run("SET", key, value)).toEqual({ status: "OK" });
      await both("PFCOUNT", key);
      await sameValue(key);
      for (let i = n; i < n + 1000; i += 100) {
        await both("PFADD", key, ...els.slice(i, i + 100));
        await sameValue(key, `${key} + ${i - n + 100}`);
      }
      await both("PFCOUNT", key);
      await sameValue(key);
    }
  }, 60_000);

  it("strings that are not HLLs and corrupt HLLs get Redis's errors and results", async () => {
    const header = (encoding: number, cardByte7 = 0) => `HYLL${String.fromCharCode(encoding)}\0\0\0\0\0\0\0\0\0\0${String.fromCharCode(cardByte7)}`;
    const xzero = (len: number) => String.fromCharCode(0x40 | ((len - 1) >> 8), (len - 1) & 0xff);
    const cases: Record<string, string> = {
      short: "hello",
      number: "12345",
      magic: `HYLX${header(1).slice(4)}\x7f\xff`,
      encoding2: `${header(2)}\x7f\xff`,
      denseShort: header(0) + "\0".repeat(12287),
      denseLong: header(0) + "\0".repeat(12289),
      headerOnlyFresh: header(1),
      headerOnlyStale: header(1, 0x80),
      tooFew: header(1, 0x80) + xzero(16000),
      tooMany: header(1, 0x80) + xzero(16384) + "\x09",
      valOverflow: header(1, 0x80) + xzero(16383) + "\x83",
      truncatedXzero: header(1, 0x80) + xzero(16000) + "\x41",
      dense63: header(0, 0x80) + "\xff".repeat(12288),
      dense40: header(0, 0x80) + "\xa8\x8a\x28".repeat(4096),
    };
    // Another type (placed directly: this test is about HLLs, not lists).
    await redis.client.ok("RPUSH", "list", "a");
    const list = new RedisList();
    list.pushBack("a");
    t.engine.db.set("list", list);
    for (const [key, value] of Object.entries(cases)) {
      await both("SET", key, value);
      await both("PFCOUNT", key);
      await sameValue(key);
      await both("PFCOUNT", key, "list");
      await both("PFCOUNT", "list", key);
      await both("PFMERGE", `${key}:dest`, key);
      await both("EXISTS", `${key}:dest`);
      await both("PFMERGE", key, "list");
      await both("PFADD", key);
      await both("PFADD", key, "a", "b", "c");
      await sameValue(key);
    }
    // Elements that land below register 16000 succeed before one above it fails: Redis keeps
    // the edits the first ones made.
    const below: string[] = [];
    let above = "";
    for (let i = 0; below.length < 5 || !above; i++) {
      const el = `e${i}`;
      if (patternLength(el).index < 16000) {
        if (below.length < 5) below.push(el);
      } else if (below.length === 5) above = el;
    }
    await both("SET", "partial", cases.tooFew);
    await both("PFADD", "partial", ...below, above, "later");
    await sameValue("partial");
    await both("PFADD", "list", "a");
    await both("PFCOUNT", "list");
    await both("PFMERGE", "list");
  });
});
