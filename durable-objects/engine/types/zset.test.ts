// The sorted set structure: its API, order rules (scores, then members bytewise; -0 equals 0) and
// a randomized comparison against a naive sorted array.

import { describe, expect, it } from "vitest";
import { RedisZSet } from "./zset.js";
import { seededRandom } from "../testing.js";

type Entry = [string, number];

const cmp = (a: Entry, b: Entry): number => (a[1] !== b[1] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The model: a plain array kept sorted (binary search to find places, splice to move). */
class Naive {
  items: Entry[] = [];
  private scores = new Map<string, number>();
  private indexOf(e: Entry): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(this.items[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(m: string, s: number): boolean {
    const isNew = !this.delete(m);
    this.items.splice(this.indexOf([m, s]), 0, [m, s]);
    this.scores.set(m, s);
    return isNew;
  }
  delete(m: string): boolean {
    const old = this.scores.get(m);
    if (old === undefined) return false;
    this.items.splice(this.indexOf([m, old]), 1);
    this.scores.delete(m);
    return true;
  }
}

function zsetOf(...entries: Entry[]): RedisZSet {
  const z = new RedisZSet();
  for (const [m, s] of entries) z.add(m, s);
  return z;
}

describe("RedisZSet", () => {
  it("orders by score, then by member bytewise", () => {
    const z = zsetOf(["b", 1], ["a", 1], ["\xff", 0], ["\x00", 0], ["c", -1], ["B", 1]);
    expect(z.entries()).toEqual([["c", -1], ["\x00", 0], ["\xff", 0], ["B", 1], ["a", 1], ["b", 1]]);
  });

  it("add reports new members and updates scores in place", () => {
    const z = new RedisZSet();
    expect(z.add("a", 1)).toBe(true);
    expect(z.add("a", 5)).toBe(false);
    expect(z.add("b", 3)).toBe(true);
    expect(z.score("a")).toBe(5);
    expect(z.entries()).toEqual([["b", 3], ["a", 5]]);
    expect(z.size).toBe(2);
  });

  it("keeps -0 as given and sorts it equal to 0", () => {
    const z = zsetOf(["b", 0], ["a", -0], ["c", -0]);
    expect(Object.is(z.score("a"), -0)).toBe(true);
    expect(z.entries().map(([m]) => m)).toEqual(["a", "b", "c"]);
    z.add("b", -0);
    expect(Object.is(z.score("b"), -0)).toBe(true);
    expect(Object.is(z.entries()[1][1], -0)).toBe(true);
    z.add("a", 0);
    expect(Object.is(z.at(0)![1], 0)).toBe(true);
    z.check();
  });

  it("holds infinite scores at the ends", () => {
    const z = zsetOf(["x", Infinity], ["y", -Infinity], ["z", 1e308]);
    expect(z.entries()).toEqual([["y", -Infinity], ["z", 1e308], ["x", Infinity]]);
    expect(z.countScoreBelow(Infinity, false)).toBe(2);
    expect(z.countScoreBelow(Infinity, true)).toBe(3);
    expect(z.countScoreBelow(-Infinity, false)).toBe(0);
  });

  it("refuses a NaN score", () => {
    expect(() => new RedisZSet().add("a", NaN)).toThrow(RangeError);
  });

  it("delete removes members and reports whether they were there", () => {
    const z = zsetOf(["a", 1], ["b", 2]);
    expect(z.delete("a")).toBe(true);
    expect(z.delete("a")).toBe(false);
    expect(z.entries()).toEqual([["b", 2]]);
    expect(z.rank("a")).toBeUndefined();
  });

  it("answers rank, element at rank, score and lex bounds", () => {
    const z = zsetOf(["a", 1], ["b", 2], ["c", 2], ["d", 3]);
    expect(z.rank("c")).toBe(2);
    expect(z.at(3)).toEqual(["d", 3]);
    expect(z.at(4)).toBeUndefined();
    expect(z.at(-1)).toBeUndefined();
    expect(z.countScoreBelow(2, false)).toBe(1);
    expect(z.countScoreBelow(2, true)).toBe(3);
    const lex = zsetOf(["a", 0], ["b", 0], ["c", 0]);
    expect(lex.countLexBelow("b", false)).toBe(1);
    expect(lex.countLexBelow("b", true)).toBe(2);
    expect(lex.countLexBelow("bb", false)).toBe(2);
  });

  it("walks forwards and backwards from any rank, and stops when asked", () => {
    const z = new RedisZSet();
    for (let i = 0; i < 1000; i++) z.add(`m${i}`, i);
    const seen: string[] = [];
    z.walk(995, false, (m) => {
      seen.push(m);
    });
    expect(seen).toEqual(["m995", "m996", "m997", "m998", "m999"]);
    const back: number[] = [];
    z.walk(500, true, (_, s) => back.push(s) < 3);
    expect(back).toEqual([500, 499, 498]);
    expect(z.range(10, 12)).toEqual([["m10", 10], ["m11", 11], ["m12", 12]]);
    expect(z.range(10, 12, true)).toEqual([["m12", 12], ["m11", 11], ["m10", 10]]);
    expect(z.range(998, 5000)).toEqual([["m998", 998], ["m999", 999]]);
    expect(z.range(5, 4)).toEqual([]);
  });

  it("tracks the longest member and charges memory per member", () => {
    const z = new RedisZSet();
    const empty = z.memoryUsage();
    z.add("abc", 1);
    z.add("abcdefgh", 2);
    z.delete("abcdefgh");
    expect(z.maxLen).toBe(8);
    expect(z.memoryUsage()).toBeGreaterThan(empty);
    z.delete("abc");
    expect(z.memoryUsage()).toBe(empty);
  });

  it("stays balanced and full under ascending and descending inserts, then drains to empty", () => {
    for (const dir of [1, -1]) {
      const z = new RedisZSet();
      const n = 20000;
      for (let i = 0; i < n; i++) z.add(`m${i}`, dir * i);
      const { height, leaves } = z.check();
      expect(height).toBeLessThanOrEqual(3);
      expect(leaves).toBeLessThan(n / 100); // leaves nearly full (128 at most)
      for (let i = 0; i < n; i += 2) z.delete(`m${i}`);
      z.check();
      for (let i = 1; i < n; i += 2) z.delete(`m${i}`);
      expect(z.size).toBe(0);
      expect(z.check()).toEqual({ height: 1, leaves: 1 });
    }
  });

  it("matches a naive sorted array over thousands of random operations", () => {
    const random = seededRandom(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const SCORES = [-Infinity, -2.5, -1, -0, 0, 0.1, 1, 1, 2, 3.75, 1e300, Infinity];
    const z = new RedisZSet();
    const model = new Naive();
    // Several phases: grow past a few tree levels, churn, then shrink.
    const phases: [ops: number, pool: number, addBias: number][] = [
      [12000, 9000, 0.9],
      [6000, 9000, 0.5],
      [9000, 9000, 0.15],
      [3000, 50, 0.5],
    ];
    let ops = 0;
    for (const [count, pool, addBias] of phases) {
      for (let k = 0; k < count; k++, ops++) {
        const m = `m${Math.floor(random() * pool)}${random() < 0.1 ? "\xff" : ""}`;
        const r = random();
        if (r < addBias) {
          const s = random() < 0.5 ? pick(SCORES) : Math.round(random() * 2000 - 1000) / 8;
          expect(z.add(m, s)).toBe(model.add(m, s));
        } else {
          expect(z.delete(m)).toBe(model.delete(m));
        }
        const items = model.items;
        expect(z.size).toBe(items.length);
        if (ops % 97 === 0) {
          // Queries against the model.
          const probe = pick(SCORES);
          expect(z.countScoreBelow(probe, false)).toBe(items.filter(([, s]) => s < probe).length);
          expect(z.countScoreBelow(probe, true)).toBe(items.filter(([, s]) => s <= probe).length);
          if (items.length > 0) {
            const i = Math.floor(random() * items.length);
            const [mi, si] = items[i];
            expect(z.rank(mi)).toBe(i);
            expect(Object.is(z.score(mi), si)).toBe(true);
            const at = z.at(i)!;
            expect(at[0]).toBe(mi);
            expect(Object.is(at[1], si)).toBe(true);
            const len = Math.floor(random() * 300);
            expect(z.range(i, i + len)).toEqual(items.slice(i, i + len + 1));
            expect(z.range(i - len, i, true)).toEqual(items.slice(Math.max(0, i - len), i + 1).reverse());
          }
        }
        if (ops % 1499 === 0) {
          z.check();
          expect(z.entries()).toEqual(items);
        }
      }
    }
    z.check();
    expect(z.entries()).toEqual(model.items);
  });

  it("answers lex bounds like a naive scan when all scores are equal", () => {
    const random = seededRandom(7);
    const z = new RedisZSet();
    const members: string[] = [];
    for (let i = 0; i < 5000; i++) {
      let m = "";
      const len = Math.floor(random() * 4);
      for (let j = 0; j < len; j++) m += String.fromCharCode(Math.floor(random() * 256));
      if (z.add(m, 0)) members.push(m);
    }
    members.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(z.entries().map(([m]) => m)).toEqual(members);
    for (let k = 0; k < 300; k++) {
      const probe = String.fromCharCode(Math.floor(random() * 256)) + (random() < 0.5 ? String.fromCharCode(Math.floor(random() * 256)) : "");
      expect(z.countLexBelow(probe, false)).toBe(members.filter((m) => m < probe).length);
      expect(z.countLexBelow(probe, true)).toBe(members.filter((m) => m <= probe).length);
    }
  });
});
