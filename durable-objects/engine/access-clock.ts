// Per-key access clocks, as Redis keeps them in each object's 24-bit `lru` field: under an LRU (or
// no-eviction) policy the time of last access in seconds (a 24-bit clock that wraps every ~194 days);
// under an LFU policy 16 bits of minutes since the last decrement and an 8-bit logarithmic access
// counter. One word per key, in the key table beside the key (KeyTable's clocks array).

export const LRU_CLOCK_MAX = (1 << 24) - 1;
/** Milliseconds per LRU clock tick. */
export const LRU_CLOCK_RESOLUTION = 1000;
/** A new key's LFU counter, so it is not evicted before it had a chance to be read. */
export const LFU_INIT_VAL = 5;

/** The LRU clock at `nowMs`. */
export const lruClock = (nowMs: number): number => Math.floor(nowMs / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX;

/** Minutes, 16 bits, at `nowMs` (LFU's decrement time). */
export const lfuMinutes = (nowMs: number): number => Math.floor(nowMs / 60_000) & 65535;

/** Milliseconds since the access recorded in an LRU clock (the clock wraps). */
export function idleTimeMs(clock: number, nowMs: number): number {
  const now = lruClock(nowMs);
  return (now >= clock ? now - clock : now + (LRU_CLOCK_MAX - clock)) * LRU_CLOCK_RESOLUTION;
}

/** An LRU clock that makes a key look idle for `idleSeconds` (RDB IDLE, RESTORE IDLETIME). */
export function clockForIdle(idleSeconds: number, nowMs: number): number {
  const abs = lruClock(nowMs) - Math.floor((idleSeconds * 1000) / LRU_CLOCK_RESOLUTION);
  return abs >= 0 ? abs : abs & LRU_CLOCK_MAX;
}

/** The LFU counter of a clock word after the decay its elapsed minutes call for. */
export function lfuDecrAndReturn(word: number, nowMs: number, decayTime: number): number {
  const ldt = word >>> 8;
  let counter = word & 255;
  const now = lfuMinutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = decayTime ? Math.floor(elapsed / decayTime) : 0;
  if (periods) counter = periods > counter ? 0 : counter - periods;
  return counter;
}

/** One access's increment: less and less likely as the counter grows (by lfu-log-factor). */
export function lfuLogIncr(counter: number, logFactor: number, random: () => number): number {
  if (counter === 255) return 255;
  const r = random();
  let base = counter - LFU_INIT_VAL;
  if (base < 0) base = 0;
  const p = 1.0 / (base * logFactor + 1);
  return r < p ? counter + 1 : counter;
}

/** An LFU clock word: the current minutes and a counter. */
export const lfuWord = (counter: number, nowMs: number): number => ((lfuMinutes(nowMs) << 8) | counter) >>> 0;

/**
 * What a lookup writes into the key's clock, per policy (Redis's lookupKey → updateLFU or LRU_CLOCK),
 * and what a new key starts with. The engine sets `now`, `lfu` and the factors before each command.
 */
export class AccessClock {
  /** The command's time, ms. */
  now = 0;
  /** An LFU policy is selected: clocks hold minutes and counters. */
  lfu = false;
  logFactor = 10;
  decayTime = 1;
  /** Brings `lfu` and the factors up to date with the configuration (the engine installs it). */
  sync: () => void = () => {};
  constructor(private readonly random: () => number) {}

  /** The word a read or write of a key with clock `word` leaves. */
  touched(word: number): number {
    if (!this.lfu) return lruClock(this.now);
    const counter = lfuLogIncr(lfuDecrAndReturn(word, this.now, this.decayTime), this.logFactor, this.random);
    return lfuWord(counter, this.now);
  }

  /** A new key's word. */
  fresh(): number {
    return this.lfu ? lfuWord(LFU_INIT_VAL, this.now) : lruClock(this.now);
  }

  /** The key's LFU counter now (OBJECT FREQ, eviction, RDB FREQ). */
  frequency(word: number): number {
    return lfuDecrAndReturn(word, this.now, this.decayTime);
  }

  /** The key's idle time now, ms (OBJECT IDLETIME in seconds, eviction, RDB IDLE). */
  idleMs(word: number): number {
    return idleTimeMs(word, this.now);
  }
}
