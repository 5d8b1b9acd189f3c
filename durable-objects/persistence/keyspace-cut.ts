// A point-in-time view of the keyspace without fork: the forkless snapshot of Dragonfly and Valkey 9.
// Keys are visited a slice at a time between requests; a write to a key not yet visited first
// hands its old value to the consumer (serialize before mutate). Every key that existed at the cut
// is emitted exactly once, with its value as of the cut; keys created after the cut never are.
//
// Memory bound: one Set entry (~24 bytes) per key already emitted, plus whatever the consumer
// buffers. FLUSHALL swaps the keyspace's maps, so the iterator keeps walking the cut's maps.
//
// Two sets: `visited` (every key the walk emitted: large, only read when a write comes) and `early`
// (keys the walk must skip: emitted before it got there, created after the cut, or written after it
// passed them, which may bring them back at the end of the map). The walk reads only `early`.
// `visited` grows in chunks, so no single rehash of a half-million-entry set stalls a slice.

import type { KeyTable } from "../engine/key-table.js";
import type { Keyspace } from "../engine/keyspace.js";
import type { Value } from "../engine/types/index.js";
import { valueMemory } from "../engine/types/index.js";

export type CutEntry = (key: string, value: Value, expireAt: number | undefined) => void;

export class KeyspaceCut {
  private readonly data: KeyTable<Value>;
  private readonly expires: KeyTable<number>;
  private readonly iterator: Iterator<[string, Value]>;
  private readonly visited = new ChunkedSet();
  private readonly early = new Set<string>();
  /** Bytes of values emitted early because a write was about to change them (rdb_last_cow_size). */
  copiedBytes = 0;
  emittedKeys = 0;
  finished = false;

  constructor(
    readonly keyspace: Keyspace,
    private readonly emit: CutEntry,
  ) {
    this.data = keyspace.data;
    this.expires = keyspace.expires;
    this.total = keyspace.data.size;
    this.iterator = this.data.entries();
  }

  /** Number of keys at the cut (for progress: INFO's current_save_keys_total). */
  readonly total: number;

  /** Wire this to the keyspace's before-write hook while the cut is open. */
  beforeWrite(key: string): void {
    if (this.finished || this.early.has(key)) return;
    this.early.add(key);
    if (this.visited.has(key)) return;
    // A key not in the cut's map was created after the cut (or the maps were swapped by a flush
    // and the key was already emitted): nothing to save.
    const v = this.data.get(key);
    if (v === undefined) return;
    this.copiedBytes += valueMemory(v);
    this.emittedKeys++;
    this.emit(key, v, this.expires.get(key));
  }

  /** Emits up to `maxKeys` more keys; returns true when every key of the cut has been emitted. */
  step(maxKeys: number): boolean {
    if (this.finished) return true;
    for (let n = 0; n < maxKeys; n++) {
      const r = this.iterator.next();
      if (r.done) {
        this.finished = true;
        this.visited.clear();
        this.early.clear();
        return true;
      }
      const [key, value] = r.value;
      if (this.early.has(key)) continue;
      this.visited.add(key);
      this.emittedKeys++;
      this.emit(key, value, this.expires.get(key));
    }
    return false;
  }
}

/** Entries per chunk: growing a chunk rehashes at most this many (well under a millisecond). */
const CHUNK = 1 << 16;

/** A set of strings kept as a list of bounded Sets. */
class ChunkedSet {
  private chunks: Set<string>[] = [new Set()];

  has(key: string): boolean {
    for (const c of this.chunks) if (c.has(key)) return true;
    return false;
  }

  add(key: string): void {
    let last = this.chunks[this.chunks.length - 1];
    if (last.size >= CHUNK) this.chunks.push((last = new Set()));
    last.add(key);
  }

  clear(): void {
    this.chunks = [new Set()];
  }
}
