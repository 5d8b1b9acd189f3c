// maxmemory eviction as Redis's performEvictions does it: the LRU, LFU and TTL policies sample
// maxmemory-samples keys into an eviction pool of the 16 best candidates so far (kept between calls),
// and evict the best one that still exists; the random policies pick a random key. allkeys-* sample
// every key, volatile-* only keys with a TTL. Deterministic under the engine's injected random source.

import type { Engine } from "./engine.js";
import type { KeyTable } from "./key-table.js";

/** Redis's EVPOOL_SIZE. */
export const EVICTION_POOL_SIZE = 16;

interface Candidate {
  key: string;
  /** Higher is a better candidate: idle ms (LRU), 255 − counter (LFU), sooner expiry (TTL). */
  idle: number;
}

/** The pool, ascending by idle (the best candidate last), filled from the left. */
type Pool = (Candidate | null)[];

/** One pool per engine, as Redis has one per server. */
const pools = new WeakMap<Engine, Pool>();

function poolOf(engine: Engine): Pool {
  let pool = pools.get(engine);
  if (pool === undefined) {
    pool = new Array<Candidate | null>(EVICTION_POOL_SIZE).fill(null);
    pools.set(engine, pool);
  }
  return pool;
}

/** Up to `count` keys of the table: all of them when it has no more, else random draws. */
function sampleKeys(table: KeyTable<unknown>, count: number, random: () => number): string[] {
  if (table.size <= count) return [...table.keys()];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = table.randomKey(random);
    if (key !== undefined) out.push(key);
  }
  return out;
}

/** Inserts a candidate where Redis's evictionPoolPopulate puts it (before equal ones; the worst drops out when full). */
function insert(pool: Pool, key: string, idle: number): void {
  let k = 0;
  while (k < EVICTION_POOL_SIZE && pool[k] !== null && pool[k]!.idle < idle) k++;
  if (k === 0 && pool[EVICTION_POOL_SIZE - 1] !== null) return; // worse than everything in a full pool
  if (k < EVICTION_POOL_SIZE && pool[k] === null) {
    // An empty slot.
  } else if (pool[EVICTION_POOL_SIZE - 1] === null) {
    // Room on the right: shift right from k.
    for (let j = EVICTION_POOL_SIZE - 1; j > k; j--) pool[j] = pool[j - 1];
  } else {
    // Full: drop the worst (leftmost) and insert just before k.
    k--;
    for (let j = 0; j < k; j++) pool[j] = pool[j + 1];
  }
  pool[k] = { key, idle };
}

/** Samples keys into the pool, scored by the policy (Redis's evictionPoolPopulate). */
function populate(engine: Engine, policy: string, table: KeyTable<unknown>, pool: Pool, samples: number): void {
  const db = engine.db;
  for (const key of sampleKeys(table, samples, engine.random)) {
    let idle: number;
    if (policy === "volatile-ttl") idle = Number.MAX_SAFE_INTEGER - (db.expires.get(key) ?? 0);
    else {
      const clock = db.data.clockOf(key);
      if (clock === undefined) continue;
      idle = policy.endsWith("-lfu") ? 255 - db.access.frequency(clock) : db.access.idleMs(clock);
    }
    insert(pool, key, idle);
  }
}

/** The best candidate of the pool that still exists, refilling the pool while it finds none. */
function bestFromPool(engine: Engine, policy: string, table: KeyTable<unknown>): string | undefined {
  const pool = poolOf(engine);
  const samples = engine.config.getNumber("maxmemory-samples");
  while (table.size > 0) {
    populate(engine, policy, table, pool, samples);
    for (let k = EVICTION_POOL_SIZE - 1; k >= 0; k--) {
      const c = pool[k];
      if (c === null) continue;
      pool[k] = null;
      if (table.has(c.key)) return c.key;
    }
  }
  return undefined;
}

/**
 * Evicts keys by the policy until used memory is at most `limit`; false when nothing more can go
 * (noeviction, or no key the policy may take). Each eviction is reported to `evicted` (the engine
 * counts evicted_keys and propagates a DEL).
 */
export function evictKeys(engine: Engine, limit: number, policy: string, evicted: (key: string) => void): boolean {
  const db = engine.db;
  if (policy === "noeviction") return db.usedMemory <= limit;
  const allKeys = policy.startsWith("allkeys-");
  db.access.now = engine.clock();
  while (db.usedMemory > limit) {
    const table: KeyTable<unknown> = allKeys ? db.data : db.expires;
    const victim = policy.endsWith("-random") ? table.randomKey(engine.random) : bestFromPool(engine, policy, table);
    if (victim === undefined) return false;
    db.delete(victim);
    evicted(victim);
  }
  return true;
}
