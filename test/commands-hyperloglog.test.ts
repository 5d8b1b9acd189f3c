// HyperLogLog through @upstash/redis against the worker (1 and 4 shards: multi-key commands use
// {tag} keys so they land in one slot). Values are checked byte-exact through base64.
import { Redis } from "@upstash/redis/cloudflare";
import { describe, expect, it } from "vitest";
import { TOKEN, post, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN, enableAutoPipelining: true });

/** The key's bytes as hex, read through base64 so no byte is lost to text decoding. */
async function bytesOf(key: string): Promise<string> {
  const got = await post("/", ["GET", key], { "upstash-encoding": "base64" });
  return Buffer.from(got.body.result as string, "base64").toString("hex");
}

describe("HyperLogLog through @upstash/redis", () => {
  it("pfadd reports whether the HLL changed and pfcount estimates it", async () => {
    const r = redis();
    const k = uniq("hll");
    expect(await r.pfadd(k, "x", "y", "z")).toBe(1);
    expect(await r.pfadd(k, "x", "z")).toBe(0);
    // The same bytes Redis 7 stores: sparse runs, cardinality cache marked stale.
    expect(await bytesOf(k)).toBe("48594c4c01000000000000000000008061848058cd8845a08408");
    expect(await r.pfcount(k)).toBe(3);
    expect(await bytesOf(k)).toBe("48594c4c01000000030000000000000061848058cd8845a08408");
    expect(await r.pfcount(uniq("missing"))).toBe(0);
  });

  it("pfadd of many elements goes dense and pfcount stays close", async () => {
    const r = redis();
    const k = uniq("hll");
    const els = Array.from({ length: 5000 }, (_, i) => `member-${i}`);
    // One request at a time: the test worker's request size limit is 64 KB.
    for (let i = 0; i < els.length; i += 500) expect(await r.pfadd(k, ...els.slice(i, i + 500))).toBe(1);
    expect(await r.strlen(k)).toBe(12304);
    const n = await r.pfcount(k);
    expect(Math.abs(n - 5000)).toBeLessThan(150);
  });

  it("pfmerge and multi-key pfcount work on keys of one hash slot", async () => {
    const r = redis();
    const tag = uniq("hll");
    const [a, b, dest] = [`{${tag}}:a`, `{${tag}}:b`, `{${tag}}:dest`];
    await r.pfadd(a, "1", "2", "3");
    await r.pfadd(b, "3", "4");
    expect(await r.pfcount(a, b)).toBe(4);
    expect(await r.pfmerge(dest, a, b, `{${tag}}:missing`)).toBe("OK");
    expect(await r.pfcount(dest)).toBe(4);
    expect(await r.pfmerge(`{${tag}}:empty`)).toBe("OK");
    expect(await r.pfcount(`{${tag}}:empty`)).toBe(0);
  });

  it("a string that is not an HLL gets Redis's error", async () => {
    const r = redis();
    const k = uniq("hll");
    await r.set(k, "plain text");
    await expect(r.pfadd(k, "a")).rejects.toThrow("WRONGTYPE Key is not a valid HyperLogLog string value.");
    await expect(r.pfcount(k)).rejects.toThrow("WRONGTYPE Key is not a valid HyperLogLog string value.");
  });
});
