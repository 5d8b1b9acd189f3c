import { describe, expect, it } from "vitest";
import { dueRule, nextCheckMs, parseSaveRules } from "./save-rules.js";

describe("save rules", () => {
  const rules = parseSaveRules("3600 1 300 100 60 10000");
  const t0 = 1_700_000_000_000;

  it("parses Redis's default and the empty rule set", () => {
    expect(rules).toEqual([
      { seconds: 3600, changes: 1 },
      { seconds: 300, changes: 100 },
      { seconds: 60, changes: 10000 },
    ]);
    expect(parseSaveRules("")).toEqual([]);
  });

  it("fires when enough changes and enough time have passed", () => {
    const s = { dirty: 100, lastSaveMs: t0, lastAttemptMs: t0, lastOk: true };
    expect(dueRule(rules, s, t0 + 300_000)).toBe(null);
    expect(dueRule(rules, s, t0 + 300_001)).toEqual({ seconds: 300, changes: 100 });
    expect(dueRule(rules, { ...s, dirty: 0 }, t0 + 10_000_000)).toBe(null);
  });

  it("waits five seconds after a failed save before retrying", () => {
    const s = { dirty: 10000, lastSaveMs: t0, lastAttemptMs: t0 + 61_000, lastOk: false };
    expect(dueRule(rules, s, t0 + 62_000)).toBe(null);
    expect(dueRule(rules, s, t0 + 66_001)).not.toBe(null);
  });

  it("tells when to look again", () => {
    const s = { dirty: 150, lastSaveMs: t0, lastAttemptMs: t0, lastOk: true };
    expect(nextCheckMs(rules, s, t0 + 1000)).toBe(299_001);
    expect(nextCheckMs(rules, { ...s, dirty: 0 }, t0)).toBe(null);
  });
});
