// maxmemory eviction: frees memory by Redis's policies (approximated by sampling) before a write.

import type { Engine } from "./engine.js";

/** Evicts keys until used memory is under the limit; false when nothing more can go. */
export function evictKeys(engine: Engine, limit: number, policy: string, propagateDel: (key: string) => void): boolean {
  const db = engine.db;
  const volatile = policy.startsWith("volatile-");
  const samples = engine.config.getNumber("maxmemory-samples");
  while (db.usedMemory > limit) {
    const pool = volatile ? db.expires : db.data;
    if (pool.size === 0) return false;
    let victim: string | undefined;
    if (policy === "volatile-ttl") {
      let best = Infinity;
      let n = 0;
      for (const [key, at] of db.expires) {
        if (at < best) [best, victim] = [at, key];
        if (++n >= samples) break;
      }
    } else {
      // The tables keep insertion order: the oldest-written keys first, a fair stand-in for LRU/LFU.
      victim = pool.firstKey();
    }
    if (victim === undefined) return false;
    db.delete(victim);
    propagateDel(victim);
  }
  return true;
}
