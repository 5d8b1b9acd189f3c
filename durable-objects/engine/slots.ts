// Redis Cluster's key → hash slot function (CRC16-XMODEM of the key or its {hash tag}, mod 16384),
// and slot → shard by contiguous ranges. Here in the engine because both layers above it use it: the
// worker's router to pick a shard, and each shard (durable-objects/cluster.ts) for scripts' slot checks.

export const SLOTS = 16384;

const CRC16_TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    t[i] = crc;
  }
  return t;
})();

/** CRC16-XMODEM over a byte string's chars [start, end). */
export function crc16(s: string, start = 0, end = s.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff];
  return crc;
}

/** The slot of a key (a byte string): only the first non-empty {…} counts, as in Redis Cluster. */
export function keySlot(key: string): number {
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) return crc16(key, open + 1, close) & (SLOTS - 1);
  }
  return crc16(key) & (SLOTS - 1);
}

/** Shard index for a slot: contiguous slot ranges, as a cluster would assign them. */
export function slotShard(slot: number, shards: number): number {
  return Math.floor((slot * shards) / SLOTS);
}

/**
 * The slot every key a pattern can form hashes to, or -1 when that depends on what fills it in:
 * a non-empty {tag} must come before any `*`, `?`, `[` or escape (as Redis Cluster decides for SORT).
 */
export function patternSlot(pattern: string): number {
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" || c === "?" || c === "[" || c === "\\") return -1;
    if (open < 0 && c === "{") open = i;
    else if (open >= 0 && c === "}") return i === open + 1 ? -1 : crc16(pattern, open + 1, i) & (SLOTS - 1);
  }
  return -1;
}
