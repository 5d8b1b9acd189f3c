// The keyspace: keys → values, keys → absolute expiry (ms), with lazy expiry and memory accounting,
// and per key an access clock (LRU time or LFU counter) that lookups update, as Redis's lookupKey.
// It knows nothing of commands or storage; hooks tell the engine when keys expire or are about to change.

import { AccessClock, clockForIdle, lfuWord } from "./access-clock.js";
import { KeyTable } from "./key-table.js";
import { EXPIRE_COST, keyCost } from "./types/memory.js";
import { type Value, valueMemory } from "./types/index.js";

export interface KeyspaceHooks {
  /** A key was found expired on access and removed (the engine propagates a DEL). */
  onExpired(key: string): void;
  /** A key is about to change or be removed (the snapshotter serializes it first if needed). */
  beforeWrite(key: string): void;
  /** A key was added (Redis's dbAdd: the `new` keyspace event). */
  onNew?(key: string): void;
}

/** A key's access as an RDB file records it (opcodes IDLE and FREQ). */
export interface LoadedAccess {
  /** Seconds since the last access. */
  idle?: number;
  /** The LFU counter. */
  freq?: number;
}

const noHooks: KeyspaceHooks = { onExpired() {}, beforeWrite() {}, onNew() {} };

export class Keyspace {
  data = new KeyTable<Value>();
  expires = new KeyTable<number>();
  /** Approximate bytes held: keys, values, expiry entries. */
  usedMemory = 0;
  /** While loading (AOF replay) nothing expires on access, so replay reproduces the log exactly. */
  loading = false;
  /**
   * String keys whose OBJECT ENCODING is not the one their value implies: "raw" for strings changed
   * in place (APPEND, SETRANGE, SETBIT, BITFIELD, BITOP, PFADD, …), "embstr" for INCRBYFLOAT's
   * results (never "int"). Storing a new value or deleting the key forgets the mark.
   */
  stringEncodings = new Map<string, "raw" | "embstr">();
  hooks: KeyspaceHooks = noHooks;
  /** What an access writes into a key's clock; the engine keeps its time and policy current. */
  readonly access: AccessClock;
  private readonly touch: (clock: number) => number;

  constructor(private readonly clock: () => number, random: () => number = Math.random) {
    this.access = new AccessClock(random);
    this.access.now = clock();
    this.touch = (c) => this.access.touched(c);
  }

  get size(): number {
    return this.data.size;
  }

  /** True when the key has an expiry in the past (it is logically gone). */
  isExpired(key: string, now = this.clock()): boolean {
    if (this.loading) return false;
    const at = this.expires.get(key);
    return at !== undefined && at <= now;
  }

  /** Removes the key if it has expired; returns true when it did. */
  expireIfNeeded(key: string, now = this.clock()): boolean {
    if (!this.isExpired(key, now)) return false;
    this.delete(key);
    this.hooks.onExpired(key);
    return true;
  }

  /** The live value at key, applying lazy expiry; an access (the key's clock moves). */
  get(key: string): Value | undefined {
    const v = this.data.getTouched(key, this.touch);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return v;
  }

  /** The live value at key without counting an access (Redis's LOOKUP_NOTOUCH: TYPE, TTL, EXISTS, OBJECT). */
  peek(key: string): Value | undefined {
    const v = this.data.get(key);
    if (v === undefined) return undefined;
    if (this.expires.size !== 0 && this.expireIfNeeded(key)) return undefined;
    return v;
  }

  /** Whether the key is live; not an access. */
  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /** Stores a value. keepTtl=false (SET's default) clears any expiry. */
  set(key: string, value: Value, keepTtl = false): void {
    // Redis's setKey looks the key up first: one past its expiry is reclaimed (and notified) before.
    if (this.expires.size !== 0) this.expireIfNeeded(key);
    this.hooks.beforeWrite(key);
    const old = this.data.get(key);
    if (old === undefined) this.usedMemory += keyCost(key);
    else this.usedMemory -= valueMemory(old);
    this.usedMemory += valueMemory(value);
    // A new value is a new object to Redis: a fresh clock, except that LFU keeps the old counter.
    this.data.set(key, value, old !== undefined && this.access.lfu ? undefined : this.access.fresh());
    if (old === undefined) this.hooks.onNew?.(key);
    if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
    if (!keepTtl && this.expires.size !== 0) this.removeExpire(key);
  }

  /**
   * Adds a key while loading a dataset (no hooks: nothing else sees the keyspace yet). False when
   * the key was already there, which a loader treats as a corrupt file.
   */
  load(key: string, value: Value, expireAt: number | undefined, access?: LoadedAccess): boolean {
    const size = this.data.size;
    this.data.set(key, value, this.loadedClock(access));
    if (this.data.size === size) return false;
    this.usedMemory += keyCost(key) + valueMemory(value);
    if (expireAt !== undefined) {
      this.expires.set(key, expireAt);
      this.usedMemory += EXPIRE_COST;
    }
    return true;
  }

  /** A loaded key's clock: its RDB FREQ under an LFU policy, its IDLE under another, else a fresh one. */
  private loadedClock(access: LoadedAccess | undefined): number {
    const a = this.access;
    a.sync();
    if (a.lfu && access?.freq !== undefined) return lfuWord(access.freq, a.now);
    if (!a.lfu && access?.idle !== undefined) return clockForIdle(access.idle, a.now);
    return a.fresh();
  }

  /** What an RDB records of a key's access under the current policy: IDLE seconds (LRU), FREQ (LFU), or nothing. */
  savedAccess(key: string, policy: string): LoadedAccess | undefined {
    const clock = this.data.clockOf(key);
    if (clock === undefined) return undefined;
    if (policy.endsWith("-lru")) return { idle: Math.floor(this.access.idleMs(clock) / 1000) };
    if (policy.endsWith("-lfu")) return { freq: this.access.frequency(clock) };
    return undefined;
  }

  /** Deletes a key; returns true when it existed (expired or not). */
  delete(key: string): boolean {
    const old = this.data.get(key);
    if (old === undefined) return false;
    this.hooks.beforeWrite(key);
    this.usedMemory -= keyCost(key) + valueMemory(old);
    this.data.delete(key);
    if (this.stringEncodings.size !== 0) this.stringEncodings.delete(key);
    if (this.expires.delete(key)) this.usedMemory -= EXPIRE_COST;
    return true;
  }

  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  setExpire(key: string, atMs: number): void {
    this.hooks.beforeWrite(key);
    if (!this.expires.has(key)) this.usedMemory += EXPIRE_COST;
    this.expires.set(key, atMs);
  }

  removeExpire(key: string): boolean {
    if (!this.expires.has(key)) return false;
    this.hooks.beforeWrite(key);
    this.expires.delete(key);
    this.usedMemory -= EXPIRE_COST;
    return true;
  }

  /** Empties the keyspace. The old maps are left intact for anyone still iterating them. */
  clear(): void {
    this.data = new KeyTable();
    this.expires = new KeyTable();
    this.stringEncodings = new Map();
    this.usedMemory = 0;
  }

  private expireCursor: Iterator<[string, number]> | null = null;
  private expireCursorOf: KeyTable<number> | null = null;

  /** Next key with a TTL, walking the expires table round-robin (its iterators survive mutation). */
  private nextWithTtl(): [string, number] | undefined {
    if (this.expireCursorOf !== this.expires || this.expireCursor === null) {
      this.expireCursor = this.expires.entries();
      this.expireCursorOf = this.expires;
    }
    let r = this.expireCursor.next();
    if (r.done) {
      this.expireCursor = this.expires.entries();
      r = this.expireCursor.next();
    }
    return r.done ? undefined : r.value;
  }

  /**
   * One active-expiry pass, as Redis's: sample 20 keys with a TTL, delete the expired ones, repeat
   * while more than a quarter of a sample was expired and the time budget lasts. Returns the keys deleted.
   */
  activeExpire(budgetMs: number, timeNow: () => number = Date.now): string[] {
    const deleted: string[] = [];
    if (this.loading || this.expires.size === 0) return deleted;
    const started = timeNow();
    const now = this.clock();
    // Deployed Workers' clock stands still while code runs: cap the rounds too (20 keys each, about
    // 1 µs a key in the bench, so 40 rounds per ms of budget stays well within it).
    for (let round = 1; ; round++) {
      const sample = Math.min(20, this.expires.size);
      let expired = 0;
      for (let i = 0; i < sample; i++) {
        const entry = this.nextWithTtl();
        if (entry === undefined) break;
        if (entry[1] <= now) {
          this.delete(entry[0]);
          deleted.push(entry[0]);
          expired++;
        }
      }
      if (expired * 4 <= sample || this.expires.size === 0) break;
      if (timeNow() - started >= budgetMs || round >= budgetMs * 40) break;
    }
    return deleted;
  }
}
