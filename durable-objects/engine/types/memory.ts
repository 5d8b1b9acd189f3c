// Approximate per-item costs in V8, used for used_memory and maxmemory. Measured figures are in
// BENCHMARKS.md; these constants are what the accounting charges.

/** A string's payload: one byte per char for one-byte strings, plus V8's header. */
export const stringCost = (s: string): number => s.length + 16;
/** One entry in a JS Map or Set (hash table slot, amortised). */
export const MAP_ENTRY = 32;
/** A key in the keyspace: its Map entry plus the key string. */
export const keyCost = (key: string): number => MAP_ENTRY + stringCost(key);
/** A key's expiry: its entry in the expires table. */
export const EXPIRE_COST = 24;
