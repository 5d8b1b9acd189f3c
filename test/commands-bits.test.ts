// Bit commands and LCS through @upstash/redis against the worker (1 shard and 4 shards: multi-key
// commands use {tag} keys so that their keys share a hash slot).
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });
/** The client's BITFIELD builder does not survive its auto-pipelining proxy, so builder tests use this. */
const plain = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: false });

describe("bit commands through @upstash/redis", () => {
  it("sets and gets bits, growing the string", async () => {
    const r = redis();
    const k = uniq("bits");
    expect(await r.setbit(k, 7, 1)).toBe(0);
    expect(await r.setbit(k, 7, 0)).toBe(1);
    expect(await r.setbit(k, 9, 1)).toBe(0);
    expect(await r.getbit(k, 9)).toBe(1);
    expect(await r.getbit(k, 7)).toBe(0);
    expect(await r.getbit(k, 1000)).toBe(0);
    expect(await r.strlen(k)).toBe(2);
    await expect(r.setbit(k, 4294967296, 1)).rejects.toThrow("ERR bit offset is not an integer or out of range");
  });

  it("counts bits and finds the first set or clear one", async () => {
    const r = redis();
    const k = uniq("bits");
    await r.set(k, "foobar");
    expect(await r.bitcount(k, 0, -1)).toBe(26);
    expect(await r.bitcount(k, 1, 1)).toBe(6);
    expect(await r.bitcount(k, -2, -1)).toBe(7);
    expect(await r.bitcount(uniq("missing"), 0, -1)).toBe(0);
    expect(await r.bitpos(k, 1)).toBe(1);
    expect(await r.bitpos(k, 0)).toBe(0);
    expect(await r.bitpos(k, 1, 2)).toBe(17);
    expect(await r.bitpos(k, 0, 1, 1)).toBe(8);
    expect(await r.bitpos(uniq("missing"), 1)).toBe(-1);
  });

  it("accepts BIT and BYTE units and reports Redis's errors", async () => {
    const r = redis();
    const k = uniq("bits");
    await r.set(k, "foobar");
    expect(await r.exec(["BITCOUNT", k, 5, 30, "BIT"])).toBe(17);
    expect(await r.exec(["BITPOS", k, 1, 7, 15, "BIT"])).toBe(9);
    expect(await r.exec(["BITPOS", k, 0, 0, -1, "BYTE"])).toBe(0);
    await expect(r.exec(["BITCOUNT", k, 0, 1, "bits"])).rejects.toThrow("ERR syntax error");
    await expect(r.exec(["BITPOS", k, 2])).rejects.toThrow("ERR The bit argument must be 1 or 0.");
  });

  it("combines strings with BITOP into a key of the same slot, and deletes it for an empty result", async () => {
    const r = redis();
    const a = uniq("{bitop}a");
    const b = uniq("{bitop}b");
    const d = uniq("{bitop}d");
    await r.mset({ [a]: "abc", [b]: "a" });
    expect(await r.bitop("and", d, a, b)).toBe(3);
    expect(await r.get(d)).toBe("a\x00\x00");
    expect(await r.strlen(d)).toBe(3);
    expect(await r.bitop("or", d, a, b)).toBe(3);
    expect(await r.get(d)).toBe("abc");
    expect(await r.bitop("xor", d, a, a)).toBe(3);
    expect(await r.bitcount(d, 0, -1)).toBe(0);
    expect(await r.bitop("not", d, b)).toBe(1);
    expect(await r.getbit(d, 1)).toBe(0);
    expect(await r.getbit(d, 0)).toBe(1);
    expect(await r.bitop("or", d, uniq("{bitop}missing"))).toBe(0);
    expect(await r.exists(d)).toBe(0);
    await expect(r.exec(["BITOP", "NOT", d, a, b])).rejects.toThrow(
      "ERR BITOP NOT must be called with a single source key.",
    );
  });

  it("runs BITFIELD through the client's builder, with overflow policies", async () => {
    const r = plain();
    const k = uniq("bitfield");
    expect(await r.bitfield(k).set("u8", 0, 255).get("u8", 0).exec()).toEqual([0, 255]);
    expect(await r.bitfield(k).incrby("u8", 0, 10).exec()).toEqual([9]);
    expect(await r.bitfield(k).overflow("SAT").incrby("u8", 0, 300).overflow("FAIL").incrby("u8", 0, 1).exec()).toEqual([
      255, null,
    ]);
    expect(await r.bitfield(k).set("i8", "#1", -5).get("i8", "#1").get("u4", 12).exec()).toEqual([0, -5, 11]);
    await expect(r.bitfield(k).get("u64", 0).exec()).rejects.toThrow(
      "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.",
    );
    await expect(r.bitfield(k).get("u8", -1).exec()).rejects.toThrow("ERR bit offset is not an integer or out of range");
    expect(await r.exec(["BITFIELD_RO", k, "GET", "u8", 0])).toEqual([255]);
    await expect(r.exec(["BITFIELD_RO", k, "SET", "u8", 0, 1])).rejects.toThrow(
      "ERR BITFIELD_RO only supports the GET subcommand",
    );
  });

  it("bitfield in a pipeline keeps its place among other commands", async () => {
    const r = plain();
    const k = uniq("bitfield");
    const p = r.pipeline();
    p.setbit(k, 0, 1);
    p.bitfield(k).get("u8", 0).incrby("u8", 0, 1).exec();
    p.bitcount(k, 0, -1);
    expect(await p.exec()).toEqual([0, [128, 129], 2]);
  });

  it("finds the longest common subsequence with LCS", async () => {
    const r = redis();
    const a = uniq("{lcs}a");
    const b = uniq("{lcs}b");
    await r.mset({ [a]: "ohmytext", [b]: "mynewtext" });
    expect(await r.exec(["LCS", a, b])).toBe("mytext");
    expect(await r.exec(["LCS", a, b, "LEN"])).toBe(6);
    expect(await r.exec(["LCS", a, b, "IDX", "MINMATCHLEN", 4, "WITHMATCHLEN"])).toEqual([
      "matches", [[[4, 7], [5, 8], 4]], "len", 6,
    ]);
    await expect(r.exec(["LCS", a, b, "LEN", "IDX"])).rejects.toThrow(
      "ERR If you want both the length and indexes, please just use IDX.",
    );
  });
});
