// Redis's `save <seconds> <changes>` rules: snapshot when at least <changes> writes happened and at
// least <seconds> passed since the last save. After a failed save, wait before trying again.

export interface SaveRule {
  seconds: number;
  changes: number;
}

/** Redis's CONFIG_BGSAVE_RETRY_DELAY. */
export const RETRY_DELAY_MS = 5000;

export function parseSaveRules(save: string): SaveRule[] {
  const parts = save.trim() === "" ? [] : save.trim().split(/\s+/).map(Number);
  const rules: SaveRule[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) rules.push({ seconds: parts[i], changes: parts[i + 1] });
  return rules;
}

export interface SaveState {
  dirty: number;
  lastSaveMs: number;
  lastAttemptMs: number;
  lastOk: boolean;
}

/** The rule that fires now, or null. */
export function dueRule(rules: SaveRule[], s: SaveState, nowMs: number): SaveRule | null {
  if (!s.lastOk && nowMs - s.lastAttemptMs <= RETRY_DELAY_MS) return null;
  for (const r of rules) {
    if (s.dirty >= r.changes && nowMs - s.lastSaveMs > r.seconds * 1000) return r;
  }
  return null;
}

/** How long until some rule could fire if the changes were there (for the shard's timer). */
export function nextCheckMs(rules: SaveRule[], s: SaveState, nowMs: number): number | null {
  let best: number | null = null;
  for (const r of rules) {
    if (s.dirty < r.changes) continue;
    const wait = Math.max(0, s.lastSaveMs + r.seconds * 1000 + 1 - nowMs);
    best = best === null ? wait : Math.min(best, wait);
  }
  return best;
}
