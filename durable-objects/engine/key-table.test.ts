import { describe, expect, it } from "vitest";
import { seededRandom } from "./testing.js";
import { KeyTable, hashKey } from "./key-table.js";

describe("KeyTable", () => {
  it("behaves as a JS Map under random sets, deletes and clears, with iterators left open across every rebuild", () => {
    const rnd = seededRandom(7);
    const table = new KeyTable<number>();
    const model = new Map<string, number>();
    // Iterators opened at random moments and advanced now and then: each must yield what a Map
    // iterator opened at the same moment and advanced the same way yields.
    const open: { ours: Iterator<[string, number]>; theirs: Iterator<[string, number]> }[] = [];
    for (let step = 0; step < 40_000; step++) {
      // Phases of growth and of shrinking, so the table both doubles and halves many times.
      const growing = Math.floor(step / 5_000) % 2 === 0;
      const key = `k${Math.floor(rnd() * (growing ? 3000 : 600))}`;
      const op = rnd();
      if (op < (growing ? 0.6 : 0.2)) {
        table.set(key, step);
        model.set(key, step);
      } else if (op < 0.95) {
        expect(table.delete(key)).toBe(model.delete(key));
      } else if (op < 0.9995) {
        if (open.length < 20) open.push({ ours: table.entries(), theirs: model.entries() });
      } else {
        table.clear();
        model.clear();
      }
      if (step % 7 === 0 && open.length > 0) {
        const it = open[Math.floor(rnd() * open.length)];
        for (let n = Math.floor(rnd() * 5); n > 0; n--) expect(it.ours.next()).toEqual(it.theirs.next());
      }
      expect(table.size).toBe(model.size);
      expect(table.get(key)).toBe(model.get(key));
      expect(table.has(key)).toBe(model.has(key));
    }
    expect([...table]).toEqual([...model]);
    expect([...table.keys()]).toEqual([...model.keys()]);
    expect([...table.values()]).toEqual([...model.values()]);
    for (const it of open) {
      for (;;) {
        const r = it.theirs.next();
        expect(it.ours.next()).toEqual(r);
        if (r.done) break;
      }
    }
  });

  it("keeps an updated key in its place, appends a re-added one, and a finished iterator stays finished", () => {
    const t = new KeyTable<string>();
    t.set("a", "1").set("b", "2").set("c", "3");
    t.set("a", "x");
    t.delete("b");
    t.set("b", "y");
    expect([...t]).toEqual([["a", "x"], ["c", "3"], ["b", "y"]]);
    const it = t.keys();
    expect([...it]).toEqual(["a", "c", "b"]);
    t.set("d", "4");
    expect(it.next()).toEqual({ value: undefined, done: true });
  });

  it("an iterator sees keys added while it walks, through the table's growth", () => {
    const t = new KeyTable<number>();
    t.set("start", 0);
    const seen: string[] = [];
    let n = 0;
    for (const [key] of t) {
      seen.push(key);
      if (n < 1000) t.set(`k${n++}`, n);
    }
    expect(seen).toEqual(["start", ...Array.from({ length: 1000 }, (_, i) => `k${i}`)]);
  });

  it("firstKey is the oldest live key, also after deleting a long run at the front", () => {
    const t = new KeyTable<number>();
    expect(t.firstKey()).toBeUndefined();
    for (let i = 0; i < 100; i++) t.set(`k${i}`, i);
    for (let i = 0; i < 60; i++) {
      expect(t.firstKey()).toBe(`k${i}`);
      t.delete(`k${i}`);
    }
    expect(t.firstKey()).toBe("k60");
    t.clear();
    expect(t.firstKey()).toBeUndefined();
  });

  it("randomKey returns only live keys and reaches all of them", () => {
    const t = new KeyTable<number>();
    const rnd = seededRandom(3);
    expect(t.randomKey(rnd)).toBeUndefined();
    for (let i = 0; i < 64; i++) t.set(`k${i}`, i);
    for (let i = 0; i < 64; i += 2) t.delete(`k${i}`);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(t.randomKey(rnd)!);
    expect([...seen].sort()).toEqual([...t.keys()].sort());
    // A random source stuck on a hole still gets a live key.
    expect(t.randomKey(() => 0)).toBe("k1");
  });

  it("keys are compared as strings of any code units, including the empty string", () => {
    const t = new KeyTable<number>();
    const keys = ["", "\0", "\0\0", "\xff", "\xff\xff\xff", "ключ", "a", "ab", "abc"];
    keys.forEach((k, i) => t.set(k, i));
    keys.forEach((k, i) => expect(t.get(k)).toBe(i));
    expect(t.size).toBe(keys.length);
    expect(t.get("\0\0\0")).toBeUndefined();
  });

  it("hashKey depends on both halves of the key, every code unit and the length", () => {
    expect(hashKey("abc", 1, 2)).toBe(hashKey("abc", 1, 2));
    expect(hashKey("abc", 1, 2)).not.toBe(hashKey("abc", 3, 2));
    expect(hashKey("abc", 1, 2)).not.toBe(hashKey("abc", 1, 3));
    expect(hashKey("abc", 1, 2)).not.toBe(hashKey("abd", 1, 2));
    expect(hashKey("\0", 1, 2)).not.toBe(hashKey("\0\0", 1, 2));
    expect(hashKey("\u0100", 1, 2)).not.toBe(hashKey("\u0001\u0000", 1, 2));
    // Low bits pick the slot: 4096 keys over 4096 buckets by the low 12 bits land about as a
    // uniform throw would (about 63% of buckets hit).
    const hit = new Set(Array.from({ length: 4096 }, (_, i) => hashKey(`key:${i}`, 5, 6) & 4095));
    expect(hit.size).toBeGreaterThan(2500);
  });
});
