// The glob matcher against a reference (Redis 7.0's recursive stringmatchlen, transcribed), on random
// patterns built from every special byte, and against redis-server's own KEYS and SSCAN on a sample.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisProcess, findBinary, startRedis } from "../persistence/testing/redis.js";
import { globMatch } from "./glob.js";
import { seededRandom } from "./testing.js";

/**
 * Reference: Redis's recursive algorithm as it reads, exponential in the number of stars, used only on
 * short inputs. Bytes past the pattern read as C's NUL, chars are signed, tolower is ASCII's.
 */
function reference(pattern: string, s: string, nocase: boolean): boolean {
  const P = (i: number) => (i < pattern.length ? pattern.charCodeAt(i) : 0);
  const S = (i: number) => (i < s.length ? s.charCodeAt(i) : 0);
  const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);
  const signed = (c: number) => (c >= 128 ? c - 256 : c);
  const skip = { longer: false };
  const impl = (p: number, plen: number, si: number, slen: number): boolean => {
    while (plen && slen) {
      const c = P(p);
      if (c === 42) {
        while (plen && P(p + 1) === 42) (p++, plen--);
        if (plen === 1) return true;
        while (slen) {
          if (impl(p + 1, plen - 1, si, slen)) return true;
          if (skip.longer) return false;
          (si++, slen--);
        }
        skip.longer = true;
        return false;
      } else if (c === 63) {
        (si++, slen--);
      } else if (c === 91) {
        (p++, plen--);
        const not = P(p) === 94;
        if (not) (p++, plen--);
        let match = false;
        for (;;) {
          if (P(p) === 92 && plen >= 2) {
            (p++, plen--);
            if (P(p) === S(si)) match = true;
          } else if (P(p) === 93) break;
          else if (plen === 0) {
            (p--, plen++);
            break;
          } else if (plen >= 3 && P(p + 1) === 45) {
            let start = signed(P(p));
            let end = signed(P(p + 2));
            let x = signed(S(si));
            if (start > end) [start, end] = [end, start];
            if (nocase) [start, end, x] = [lower(start), lower(end), lower(x)];
            (p += 2), (plen -= 2);
            if (x >= start && x <= end) match = true;
          } else if (nocase ? lower(P(p)) === lower(S(si)) : P(p) === S(si)) match = true;
          (p++, plen--);
        }
        if (not) match = !match;
        if (!match) return false;
        (si++, slen--);
      } else {
        if (c === 92 && plen >= 2) (p++, plen--);
        if (nocase ? lower(P(p)) !== lower(S(si)) : P(p) !== S(si)) return false;
        (si++, slen--);
      }
      (p++, plen--);
      if (slen === 0) {
        while (P(p) === 42) (p++, plen--);
        break;
      }
    }
    return plen === 0 && slen === 0;
  };
  return impl(0, pattern.length, 0, s.length);
}

const PATTERN_BYTES = "*?[]^-\\aAbBz\x80\xff";
const STRING_BYTES = "aAbBz-]^\\*?[\x80\xff";

function randomText(rand: () => number, alphabet: string, max: number): string {
  let out = "";
  const n = Math.floor(rand() * (max + 1));
  for (let i = 0; i < n; i++) out += alphabet[Math.floor(rand() * alphabet.length)];
  return out;
}

describe("globMatch", () => {
  it("answers as Redis's stringmatchlen on 200,000 random patterns and strings, with and without nocase", () => {
    const rand = seededRandom(14);
    for (let i = 0; i < 200_000; i++) {
      const p = randomText(rand, PATTERN_BYTES, 9);
      const s = randomText(rand, STRING_BYTES, 7);
      const nocase = i % 2 === 1;
      const want = reference(p, s, nocase);
      if (globMatch(p, s, nocase) !== want) expect({ p, s, nocase, got: !want }).toEqual({ p, s, nocase, got: want });
    }
  });

  it("keeps Redis's quirks: an empty string, unterminated classes, escapes, signed ranges, nocase", () => {
    expect(globMatch("", "")).toBe(true);
    expect(globMatch("*", "")).toBe(false); // Redis's loop never starts (KEYS/SCAN special-case "*")
    expect(globMatch("a*", "a")).toBe(true);
    expect(globMatch("[", "x")).toBe(false);
    expect(globMatch("[^", "x")).toBe(true);
    expect(globMatch("[ab", "b")).toBe(true);
    expect(globMatch("[\\]", "]")).toBe(true);
    expect(globMatch("[\\]", "\\")).toBe(false);
    expect(globMatch("[a-]", "]")).toBe(true); // the range ]..a, unterminated
    expect(globMatch("a\\", "a\\")).toBe(true);
    expect(globMatch("\\*", "*")).toBe(true);
    expect(globMatch("\\*", "x")).toBe(false);
    expect(globMatch("[a-\xff]", "\x90")).toBe(false); // -1..97 as signed chars: \x90 is -112
    expect(globMatch("[a-\xff]", "Z")).toBe(true);
    expect(globMatch("[Z-a]", "z", true)).toBe(false); // swapped first, lowered after: z..a is empty
    expect(globMatch("[\\A]", "a", true)).toBe(false); // an escaped byte compares exactly
    expect(globMatch("HeLLo*", "hello world", true)).toBe(true);
    expect(globMatch("\xc0", "\xe0", true)).toBe(false); // C's tolower is ASCII only
  });

  // No timing here (the bench has the numbers): the exponential matcher would simply not return.
  it("matches 20 *a against 1,000 bytes without backtracking (the CVE-2022-36021 pattern)", () => {
    const member = "a".repeat(1000);
    const pattern = "*a".repeat(20) + "b";
    expect(globMatch(pattern, member)).toBe(false);
    expect(globMatch("*a".repeat(20), member)).toBe(true);
    expect(globMatch("*a".repeat(2000) + "*b", "a".repeat(100_000))).toBe(false);
  });
});

const server = findBinary("redis-server");
const required = process.env.CI === "true";

describe.skipIf(!server && !required)("globMatch against redis-server 7.0's KEYS and SSCAN", () => {
  let redis: RedisProcess;
  beforeAll(async () => {
    if (!server) throw new Error("redis-server is required under CI: apt-get install -y redis-server");
    redis = await startRedis(server, ["--appendonly", "no"]);
  }, 30_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it("selects the same members and keys for 300 random patterns", async () => {
    const rand = seededRandom(7);
    const members = new Set<string>();
    while (members.size < 80) members.add(randomText(rand, STRING_BYTES, 6));
    const list = [...members];
    await redis.client.call("FLUSHALL");
    await redis.client.call("SADD", "s", ...list);
    for (const m of list) await redis.client.call("SET", m, "1");
    for (let i = 0; i < 300; i++) {
      const p = randomText(rand, PATTERN_BYTES, 6);
      const want = list.filter((m) => globMatch(p, m) || (p === "*" && m === "")).sort();
      const [, scanned] = (await redis.client.call("SSCAN", "s", "0", "MATCH", p, "COUNT", "1000")) as [string, string[]];
      expect({ p, found: [...scanned].sort() }).toEqual({ p, found: want });
      const keys = ((await redis.client.call("KEYS", p)) as string[]).filter((k) => k !== "s" || members.has("s"));
      expect({ p, keys: keys.sort() }).toEqual({ p, keys: want });
    }
  });
});
