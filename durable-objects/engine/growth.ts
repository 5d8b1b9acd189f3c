// What a write may add to used memory beyond the arguments it carries, estimated before it runs from
// the sizes of what it reads (never by building the result): a 60-byte SETRANGE with a large offset,
// or a *STORE that copies a whole collection, must be refused under maxmemory before it grows, not
// measured afterwards. Writes whose growth is their arguments need no estimate: the request bounds them.

import { parseInt64 } from "./bytes.js";
import type { Config } from "./config.js";
import type { Keyspace } from "./keyspace.js";
import { valueMemory } from "./types/index.js";
import { keyCost, stringCost } from "./types/memory.js";

/**
 * Bytes a command may add, from the keyspace as it is and its arguments; 0 when it cannot tell (the
 * handler will refuse the arguments). `replaying`: a logged command, whose offsets no handler bounds.
 */
export type GrowthEstimate = (db: Keyspace, argv: string[], keys: number[], config: Config, replaying: boolean) => number;

/**
 * The cost of making `key` a string of `length` bytes, less what it holds now (when it is a string).
 * None past proto-max-bulk-len: the handler refuses that length with its own error, as Redis does.
 */
function stringGrowth(db: Keyspace, key: string, length: number, config: Config, replaying: boolean): number {
  if (!replaying && length > config.getNumber("proto-max-bulk-len")) return 0;
  const cur = db.data.get(key);
  if (cur === undefined) return keyCost(key) + stringCost("") + length;
  return typeof cur === "string" ? Math.max(0, length - cur.length) : 0;
}

/** An offset argument as a number, or null when it is not an integer (the handler refuses it). */
function offsetOf(arg: string): number | null {
  const n = parseInt64(arg);
  return n === null || n < 0n ? null : Number(n);
}

/** SETRANGE key offset value: the string grows to offset + the value's length. */
export const setrangeGrowth: GrowthEstimate = (db, argv, _keys, config, replaying) => {
  const offset = offsetOf(argv[2]);
  return offset === null || argv[3].length === 0 ? 0 : stringGrowth(db, argv[1], offset + argv[3].length, config, replaying);
};

/** SETBIT key offset value: the string grows to hold the offset's byte. */
export const setbitGrowth: GrowthEstimate = (db, argv, _keys, config, replaying) => {
  const offset = offsetOf(argv[2]);
  return offset === null ? 0 : stringGrowth(db, argv[1], Math.floor(offset / 8) + 1, config, replaying);
};

/** BITFIELD key [SET|INCRBY type offset value]…: the string grows to hold the furthest field written. */
export const bitfieldGrowth: GrowthEstimate = (db, argv, _keys, config, replaying) => {
  let end = 0;
  for (let i = 2; i < argv.length; i++) {
    const op = argv[i].toUpperCase();
    if (op === "GET") i += 2;
    else if (op === "OVERFLOW") i += 1;
    else if ((op === "SET" || op === "INCRBY") && i + 2 < argv.length) {
      const bits = Number(argv[i + 1].slice(1));
      const hash = argv[i + 2].startsWith("#");
      const at = offsetOf(hash ? argv[i + 2].slice(1) : argv[i + 2]);
      if (!(bits > 0) || at === null) return 0;
      end = Math.max(end, Math.ceil(((hash ? at * bits : at) + bits) / 8));
      i += 3;
    }
  }
  return end === 0 ? 0 : stringGrowth(db, argv[1], end, config, replaying);
};

/**
 * A command that stores a value made from others (its sources, every key but `dest`): at most what
 * `combine` makes of their sizes, less what the destination holds now (it is replaced).
 * - `sum`: a union, or a copy with patterns (SUNIONSTORE, ZUNIONSTORE);
 * - `min`: an intersection;
 * - `first`: a difference, a copy or a range of the first source (SDIFFSTORE, COPY, ZRANGESTORE, GEO*STORE, SORT … STORE);
 * - `max`: BITOP, whose result is as long as its longest source.
 */
export function derivedGrowth(combine: "sum" | "min" | "first" | "max", dest: "first" | "last"): GrowthEstimate {
  return (db, argv, keys) => {
    if (keys.length < 2) return 0; // no destination (GEORADIUS or SORT without STORE)
    const destAt = dest === "first" ? keys[0] : keys[keys.length - 1];
    let total = 0;
    let first = true;
    for (const pos of keys) {
      if (pos === destAt) continue;
      const v = db.data.get(argv[pos]);
      const size = v === undefined ? 0 : valueMemory(v);
      if (first) total = size;
      else if (combine === "sum") total += size;
      else if (combine === "min") total = Math.min(total, size);
      else if (combine === "max") total = Math.max(total, size);
      first = false;
    }
    if (total === 0) return 0;
    const cur = db.data.get(argv[destAt]);
    return cur === undefined ? keyCost(argv[destAt]) + total : Math.max(0, total - valueMemory(cur));
  };
}
