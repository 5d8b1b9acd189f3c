import { describe, expect, it } from "vitest";
import { FakeClock } from "./engine/testing.js";
import { SliceBudget } from "./slice-budget.js";

describe("SliceBudget", () => {
  it("ends a slice on work done even when the clock stands still, as deployed Workers' clock does", () => {
    const clock = new FakeClock();
    const b = new SliceBudget(4, 1000, clock.now);
    b.start();
    expect(b.spend(600)).toBe(false);
    expect(b.spend(399)).toBe(false);
    expect(b.spend(1)).toBe(true);
    b.start();
    expect(b.spend(10)).toBe(false);
  });

  it("ends a slice on time where the clock moves", () => {
    const clock = new FakeClock();
    const b = new SliceBudget(4, 1_000_000, clock.now);
    b.start();
    clock.advance(3);
    expect(b.spend(1)).toBe(false);
    clock.advance(1);
    expect(b.spend(1)).toBe(true);
  });
});
