import { describe, expect, it } from "vitest";
import { Keyspace } from "../engine/keyspace.js";
import { seededRandom } from "../engine/testing.js";
import type { Value } from "../engine/types/index.js";
import { KeyspaceCut } from "./keyspace-cut.js";

describe("KeyspaceCut", () => {
  it("emits every key of the cut exactly once, with its value at the cut, whatever is written during the walk", () => {
    for (const seed of [1, 2]) {
      const random = seededRandom(seed);
      const ks = new Keyspace(() => 0);
      const N = 140_000; // past two chunks of the visited set
      for (let i = 0; i < N; i++) ks.set(`k${i}`, `v${i}`);
      const atCut = new Map(ks.data);
      const emitted = new Map<string, Value>();
      const twice: string[] = [];
      const cut = new KeyspaceCut(ks, (key, value) => {
        if (emitted.has(key)) twice.push(key);
        emitted.set(key, value);
      });
      ks.hooks = { onExpired() {}, beforeWrite: (key) => cut.beforeWrite(key) };
      let n = 0;
      while (!cut.step(1000)) {
        // Between slices: overwrite, delete, re-create and create keys, before and after the walk passes them.
        for (let j = 0; j < 50; j++) {
          const key = `k${Math.floor(random() * N)}`;
          const op = random();
          if (op < 0.4) ks.set(key, `changed${n++}`);
          else if (op < 0.6) ks.delete(key);
          else if (op < 0.8) {
            ks.delete(key);
            ks.set(key, `recreated${n++}`);
          } else ks.set(`new${n++}`, "x");
        }
      }
      expect(twice).toEqual([]);
      expect(emitted.size).toBe(atCut.size);
      const wrong = [...atCut].filter(([k, v]) => emitted.get(k) !== v).map(([k]) => k);
      expect(wrong).toEqual([]);
    }
  });

  it("skips keys created after the cut even when the walk reaches them", () => {
    const ks = new Keyspace(() => 0);
    ks.set("a", "1");
    const out: string[] = [];
    const cut = new KeyspaceCut(ks, (key) => out.push(key));
    ks.hooks = { onExpired() {}, beforeWrite: (key) => cut.beforeWrite(key) };
    ks.set("b", "2");
    while (!cut.step(10));
    expect(out).toEqual(["a"]);
  });
});
