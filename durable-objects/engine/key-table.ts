// The keyspace's hash table: a Map<string, V> with JS Map's semantics (insertion order, live iterators
// that see later inserts and skip deleted entries, updates keep their place), two to three times as
// fast as V8's Map at inserting fresh strings. V8 hashes each new string through a runtime call and
// chases a bucket chain per insert, so loading a million keys spent more time in Map.set than
// decoding the file (BENCHMARKS.md, RDB load); here the hash is computed in JavaScript and each
// entry's hash is kept, so a lookup touches one index slot and one entry, an insert probes once,
// and growth never rehashes a string.
//
// Layout: entries in insertion order (keys, values, hashes and access clocks in parallel arrays; a deleted entry is a
// hole, key undefined) and an open-addressing index (linear probing, at most half full) from a key's
// hash to its entry. Holes are dropped when the entries fill up or fall under a quarter: the table
// moves to a new store and leaves in the old one the positions of the holes it dropped, so an
// iterator still on the old store carries its position over (V8's Map does the same).
//
// The clocks (a Uint32Array, off the JS heap like the hashes and the index) cost 4 bytes per entry
// slot: 16.5 MB of array buffers against 12.5 MB without them for 1M string keys (Node 24), and no
// measurable change in heap bytes per key or in GET throughput.

/** Smallest number of entries a store holds. */
const MIN_CAPACITY = 8;

class Store<V> {
  keys: (string | undefined)[];
  values: (V | undefined)[];
  hashes: Int32Array;
  /** Per entry, a 32-bit word the owner keeps with the key (the keyspace: its LRU/LFU access clock). */
  clocks: Uint32Array;
  /** Slot → entry + 1; 0 is an empty slot. Twice the entries, so probes stay short. */
  index: Int32Array;
  readonly mask: number;
  /** Entries appended so far (live ones and holes). */
  used = 0;
  /** No live entry sits before this position (a hint that keeps "first key" O(1) after deletes at the front). */
  head = 0;
  /** Set when the table moved on: the store that replaced this one. */
  next: Store<V> | null = null;
  /** With `next`: positions of the holes dropped in the move, ascending; null when the table was cleared. */
  dropped: Int32Array | null = null;

  constructor(readonly capacity: number) {
    this.keys = new Array<string | undefined>(capacity);
    this.values = new Array<V | undefined>(capacity);
    this.hashes = new Int32Array(capacity);
    this.clocks = new Uint32Array(capacity);
    this.index = new Int32Array(capacity * 2);
    this.mask = capacity * 2 - 1;
  }

  /** Adds an entry known to be absent. */
  append(key: string, value: V, hash: number, clock: number, slot = this.emptySlot(hash)): void {
    const e = this.used++;
    this.keys[e] = key;
    this.values[e] = value;
    this.hashes[e] = hash;
    this.clocks[e] = clock;
    this.index[slot] = e + 1;
  }

  /** The first empty slot of the hash's probe sequence. */
  emptySlot(hash: number): number {
    const index = this.index;
    let slot = hash & this.mask;
    while (index[slot] !== 0) slot = (slot + 1) & this.mask;
    return slot;
  }

  /** Frees the arrays once the table has moved on; iterators left here need only `next` and `dropped`. */
  retire(next: Store<V>, dropped: Int32Array | null): void {
    this.next = next;
    this.dropped = dropped;
    this.keys = [];
    this.values = [];
    this.hashes = new Int32Array(0);
    this.clocks = new Uint32Array(0);
    this.index = new Int32Array(0);
  }
}

/**
 * HalfSipHash-1-3 (the 32-bit SipHash of Aumasson and Bernstein, as Linux's hsiphash) of a string's
 * UTF-16 units, two per 32-bit word, under a 64-bit key. A keyed hash, not merely a seeded one: with
 * murmur-style mixing, keys that collide under every seed can be computed offline, and a client could
 * then turn each insert into a walk over all of them (hash flooding). This costs a few nanoseconds more.
 */
export function hashKey(key: string, k0: number, k1: number): number {
  let v0 = k0;
  let v1 = k1;
  let v2 = 0x6c796765 ^ k0;
  let v3 = 0x74656462 ^ k1;
  const n = key.length;
  const words = n >> 1;
  // One SipRound per message word, then one for the last block (the length, mod 2^16, over the odd
  // unit left if any), then three finalization rounds with a zero word.
  for (let j = 0, rounds = words + 4; j < rounds; j++) {
    const m =
      j < words ? key.charCodeAt(2 * j) | (key.charCodeAt(2 * j + 1) << 16)
      : j === words ? (n << 16) | (n & 1 ? key.charCodeAt(n - 1) : 0)
      : 0;
    v3 ^= m;
    v0 = (v0 + v1) | 0; v1 = (v1 << 5) | (v1 >>> 27); v1 ^= v0; v0 = (v0 << 16) | (v0 >>> 16);
    v2 = (v2 + v3) | 0; v3 = (v3 << 8) | (v3 >>> 24); v3 ^= v2;
    v0 = (v0 + v3) | 0; v3 = (v3 << 7) | (v3 >>> 25); v3 ^= v0;
    v2 = (v2 + v1) | 0; v1 = (v1 << 13) | (v1 >>> 19); v1 ^= v2; v2 = (v2 << 16) | (v2 >>> 16);
    v0 ^= m;
    if (j === words) v2 ^= 0xff;
  }
  return v1 ^ v3;
}

/** Number of values in an ascending array below `pos`. */
function countBelow(sorted: Int32Array, pos: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const enum Yield {
  Keys,
  Values,
  Entries,
}

class KeyTableIterator<V, T> implements IterableIterator<T> {
  constructor(
    private store: Store<V> | null,
    private pos: number,
    private readonly yields: Yield,
  ) {}

  next(): IteratorResult<T, undefined> {
    let s = this.store;
    if (s === null) return { value: undefined, done: true };
    let pos = this.pos;
    while (s.next !== null) {
      pos = s.dropped === null ? 0 : pos - countBelow(s.dropped, pos);
      s = s.next;
    }
    const keys = s.keys;
    for (const used = s.used; pos < used; pos++) {
      const key = keys[pos];
      if (key === undefined) continue;
      this.store = s;
      this.pos = pos + 1;
      const value = this.yields === Yield.Keys ? key : this.yields === Yield.Values ? s.values[pos] : [key, s.values[pos]];
      return { value: value as T, done: false };
    }
    // Like a Map iterator: once done, it stays done.
    this.store = null;
    return { value: undefined, done: true };
  }

  [Symbol.iterator](): this {
    return this;
  }
}

export class KeyTable<V> implements Iterable<[string, V]> {
  private live = 0;
  /** The hash key, per table, so which keys collide cannot be worked out from outside. */
  private readonly k0 = (Math.random() * 0x100000000) | 0;
  private readonly k1 = (Math.random() * 0x100000000) | 0;

  private store = new Store<V>(MIN_CAPACITY);

  /** The last key hashed and its hash: a command looks its key up several times (get, then set). */
  private memoKey: string | undefined;
  private memoHash = 0;

  get size(): number {
    return this.live;
  }

  private hashOf(key: string): number {
    if (key === this.memoKey) return this.memoHash;
    const hash = hashKey(key, this.k0, this.k1);
    this.memoKey = key;
    this.memoHash = hash;
    return hash;
  }

  /** The key's entry, or -1. `missSlot` is then the empty slot where its probe ended. */
  private find(key: string, hash: number): number {
    const s = this.store;
    const index = s.index;
    let slot = hash & s.mask;
    for (;;) {
      const e = index[slot] - 1;
      if (e < 0) {
        this.missSlot = slot;
        return -1;
      }
      if (s.hashes[e] === hash && s.keys[e] === key) return e;
      slot = (slot + 1) & s.mask;
    }
  }

  private missSlot = 0;

  get(key: string): V | undefined {
    const e = this.find(key, this.hashOf(key));
    return e < 0 ? undefined : this.store.values[e];
  }

  /** The value, and its clock replaced by `touch(old clock)` (an access): one lookup for both. */
  getTouched(key: string, touch: (clock: number) => number): V | undefined {
    const e = this.find(key, this.hashOf(key));
    if (e < 0) return undefined;
    const s = this.store;
    s.clocks[e] = touch(s.clocks[e]);
    return s.values[e];
  }

  /** The key's clock word, or undefined when absent. */
  clockOf(key: string): number | undefined {
    const e = this.find(key, this.hashOf(key));
    return e < 0 ? undefined : this.store.clocks[e];
  }

  setClock(key: string, clock: number): void {
    const e = this.find(key, this.hashOf(key));
    if (e >= 0) this.store.clocks[e] = clock;
  }

  has(key: string): boolean {
    return this.find(key, this.hashOf(key)) >= 0;
  }

  /**
   * Stores a value; an existing key keeps its place in the order, and its clock unless one is given.
   * A new key's clock is `clock`, or 0.
   */
  set(key: string, value: V, clock?: number): this {
    const hash = this.hashOf(key);
    const e = this.find(key, hash);
    if (e >= 0) {
      this.store.values[e] = value;
      if (clock !== undefined) this.store.clocks[e] = clock;
      return this;
    }
    // A new key goes where the lookup's probe ended (found again only if the table moves first).
    if (this.store.used === this.store.capacity) {
      this.rebuild();
      this.store.append(key, value, hash, clock ?? 0);
    } else this.store.append(key, value, hash, clock ?? 0, this.missSlot);
    this.live++;
    return this;
  }

  delete(key: string): boolean {
    const s = this.store;
    const e = this.find(key, this.hashOf(key));
    if (e < 0) return false;
    s.keys[e] = undefined;
    s.values[e] = undefined;
    this.live--;
    if (this.live < s.capacity / 4 && s.capacity > MIN_CAPACITY) this.rebuild();
    return true;
  }

  clear(): void {
    const fresh = new Store<V>(MIN_CAPACITY);
    this.store.retire(fresh, null);
    this.store = fresh;
    this.live = 0;
  }

  /**
   * Moves the live entries, in order, to a new store with room for half as many again, dropping the
   * holes: a full table doubles, one under a quarter full halves or more, and neither can come back
   * here before many more writes.
   */
  private rebuild(): void {
    const old = this.store;
    const fresh = new Store<V>(capacityFor(this.live + (this.live >> 1) + 1));
    const dropped: number[] = [];
    const { keys, values, hashes, clocks } = old;
    for (let e = 0; e < old.used; e++) {
      const key = keys[e];
      if (key === undefined) dropped.push(e);
      else fresh.append(key, values[e] as V, hashes[e], clocks[e]);
    }
    old.retire(fresh, Int32Array.from(dropped));
    this.store = fresh;
  }

  /** The first key in order (the oldest written), or undefined when empty. */
  firstKey(): string | undefined {
    const s = this.store;
    while (s.head < s.used && s.keys[s.head] === undefined) s.head++;
    return s.keys[s.head];
  }

  /** A uniformly random key (`random` in [0, 1)), or undefined when empty. */
  randomKey(random: () => number): string | undefined {
    if (this.live === 0) return undefined;
    const s = this.store;
    // At least a quarter of the entries are live (rebuild keeps it so), so a few draws find one;
    // the bound only guards against a degenerate `random`.
    for (let draw = 0; draw < 64; draw++) {
      const key = s.keys[Math.floor(random() * s.used)];
      if (key !== undefined) return key;
    }
    return this.firstKey();
  }

  keys(): IterableIterator<string> {
    return new KeyTableIterator<V, string>(this.store, 0, Yield.Keys);
  }

  values(): IterableIterator<V> {
    return new KeyTableIterator<V, V>(this.store, 0, Yield.Values);
  }

  entries(): IterableIterator<[string, V]> {
    return new KeyTableIterator<V, [string, V]>(this.store, 0, Yield.Entries);
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}

/** Entries for `n` keys: the smallest power of two that holds them. */
function capacityFor(n: number): number {
  let c = MIN_CAPACITY;
  while (c < n) c *= 2;
  return c;
}
