import { describe, expect, it } from "vitest";
import { partialSort } from "./partial-sort.js";
import { seededRandom } from "./testing.js";

describe("partialSort", () => {
  it("puts the wanted ranks where a full sort would, for any size and range", () => {
    const rnd = seededRandom(3);
    for (let trial = 0; trial < 500; trial++) {
      const n = 1 + Math.floor(rnd() * 120);
      const a = Array.from({ length: n }, () => Math.floor(rnd() * 20));
      const sorted = [...a].sort((x, y) => x - y);
      const count = 1 + Math.floor(rnd() * n);
      partialSort(a, (x, y) => x - y, 0, count - 1);
      expect(a.slice(0, count)).toEqual(sorted.slice(0, count));
      expect([...a].sort((x, y) => x - y)).toEqual(sorted);
    }
  });
});
