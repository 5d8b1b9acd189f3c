// The stream type, laid out as Redis 7.0 lays it out so that approximate trimming, XINFO and RDB
// files agree with Redis: entries live in nodes cut where Redis cuts its listpacks
// (stream-node-max-bytes / -entries, counted in the bytes Redis's listpack would take), each node
// with a master entry (its first ID and field names), entries flagged SAMEFIELDS or DELETED.
// Nodes sit in an array sorted by master ID: a range read is a binary search over nodes, then over
// the node's IDs, so O(log n) in the stream's length. Consumer groups hold their PEL (pending
// entries) globally and per consumer, in ID order.
//
// IDs are 16-character byte strings (ms and seq as big-endian uint64, Redis's rax key): full uint64
// range, ordered by plain string comparison, and no BigInt per entry.
//
// Memory, measured in Node 24 (x64) with gc() and heapUsed over 1M entries of one field-value pair
// ("f", 10-byte value) added in order: see ENTRY_COST and BENCHMARKS.md.

import { MAP_ENTRY, stringCost } from "./memory.js";

// ── IDs ────────────────────────────────────────────────────────────────────────────────────────

const TWO32 = 4294967296;
const U64_MAX = (1n << 64n) - 1n;
export const MIN_ID = "\0".repeat(16);
export const MAX_ID = "\xff".repeat(16);

const u32Chars = (n: number): string => String.fromCharCode(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
const u32At = (k: string, i: number): number =>
  k.charCodeAt(i) * 16777216 + ((k.charCodeAt(i + 1) << 16) | (k.charCodeAt(i + 2) << 8) | k.charCodeAt(i + 3));

function u64Chars(n: bigint): string {
  return u32Chars(Number(n >> 32n)) + u32Chars(Number(n & 0xffffffffn));
}

/** The ID ms-seq as its 16-byte key. */
export function idKey(ms: bigint, seq: bigint): string {
  return u64Chars(ms) + u64Chars(seq);
}

/** The key of an ID whose parts are safe integers (auto IDs from the clock), without BigInt. */
export function idKeyFromNumbers(ms: number, seq: number): string {
  return u32Chars(Math.floor(ms / TWO32)) + u32Chars(ms >>> 0) + u32Chars(Math.floor(seq / TWO32)) + u32Chars(seq >>> 0);
}

const u64Of = (k: string, at: number): bigint => (BigInt(u32At(k, at)) << 32n) | BigInt(u32At(k, at + 4));

export const idMs = (k: string): bigint => u64Of(k, 0);
export const idSeq = (k: string): bigint => u64Of(k, 8);

function u64Text(k: string, at: number): string {
  const hi = u32At(k, at);
  const lo = u32At(k, at + 4);
  return hi < 0x200000 ? String(hi * TWO32 + lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

/** "ms-seq", as Redis prints an ID. */
export function idText(k: string): string {
  return `${u64Text(k, 0)}-${u64Text(k, 8)}`;
}

/** The next ID (null past the last possible one), as streamIncrID. */
export function idIncr(k: string): string | null {
  if (k === MAX_ID) return null;
  let ms = idMs(k);
  let seq = idSeq(k);
  if (seq === U64_MAX) {
    ms++;
    seq = 0n;
  } else seq++;
  return idKey(ms, seq);
}

/** The previous ID (null before 0-0), as streamDecrID. */
export function idDecr(k: string): string | null {
  if (k === MIN_ID) return null;
  let ms = idMs(k);
  let seq = idSeq(k);
  if (seq === 0n) {
    ms--;
    seq = U64_MAX;
  } else seq--;
  return idKey(ms, seq);
}

// ── listpack sizes (to cut nodes where Redis does) ─────────────────────────────────────────────

const CANONICAL_INT = /^(?:0|-?[1-9][0-9]*)$/;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** Bytes a listpack integer entry takes, backlen included. */
export function lpIntSize(n: number | bigint): number {
  if (typeof n === "number" && Number.isSafeInteger(n)) {
    if (n >= 0 && n <= 127) return 2;
    if (n >= -4096 && n <= 4095) return 3;
    if (n >= -32768 && n <= 32767) return 4;
    if (n >= -8388608 && n <= 8388607) return 5;
    if (n >= -2147483648 && n <= 2147483647) return 6;
    return 10;
  }
  const b = BigInt(n);
  return b >= -2147483648n && b <= 2147483647n ? lpIntSize(Number(b)) : 10;
}

function backlenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/** Bytes a listpack entry for this element takes, as lpAppend encodes it (integers compactly). */
export function lpElementSize(s: string): number {
  if (s.length > 0 && s.length <= 20 && CANONICAL_INT.test(s)) {
    const n = s.length < 16 ? Number(s) : BigInt(s);
    if (typeof n === "number" || (n >= INT64_MIN && n <= INT64_MAX)) return lpIntSize(n);
  }
  const len = s.length;
  const enc = len < 64 ? 1 + len : len < 4096 ? 2 + len : 5 + len;
  return enc + backlenSize(enc);
}

/** An int64 delta as the listpack stores it (uint64 difference read back as int64). */
export const delta = (a: bigint, b: bigint): bigint => BigInt.asIntN(64, a - b);

// ── nodes ──────────────────────────────────────────────────────────────────────────────────────

export const FLAG_DELETED = 1;
export const FLAG_SAMEFIELDS = 2;

/** Bytes charged per entry beyond its strings (arrays and slots; measured, see the header). */
const ENTRY_COST = 72;
/** Bytes charged per node (its object and arrays) and per stream. */
const NODE_COST = 200;
const STREAM_COST = 160;
/** A PEL entry: its object, a slot in the group's and the consumer's maps and sorted arrays. */
const NACK_COST = 48 + 2 * (MAP_ENTRY + 8) + 32;

/** An entry's charge: its ID, its array and the strings it holds. */
function entryCost(id: string, data: string[]): number {
  let bytes = ENTRY_COST + stringCost(id) + 8 * data.length;
  for (const s of data) bytes += stringCost(s);
  return bytes;
}

export class StreamNode {
  readonly masterMs: bigint;
  readonly masterSeq: bigint;
  readonly ids: string[] = [];
  readonly flags: number[] = [];
  /** Each entry's values (SAMEFIELDS: master fields apply) or its field-value pairs. */
  readonly data: string[][] = [];
  live = 0;
  deleted = 0;
  /** Listpack bytes beyond the header, the two counters and the end byte. */
  bodyBytes: number;

  constructor(
    readonly masterId: string,
    readonly masterFields: string[],
  ) {
    this.masterMs = idMs(masterId);
    this.masterSeq = idSeq(masterId);
    let body = lpIntSize(masterFields.length) + lpIntSize(0);
    for (const f of masterFields) body += lpElementSize(f);
    this.bodyBytes = body;
  }

  /** lpBytes() of the listpack Redis would hold for this node. */
  get lpBytes(): number {
    return 7 + lpIntSize(this.live) + lpIntSize(this.deleted) + this.bodyBytes;
  }

  /** The entry's field-value pairs, flat. */
  pairs(i: number): string[] {
    const d = this.data[i];
    if (!(this.flags[i] & FLAG_SAMEFIELDS)) return d;
    const out: string[] = new Array(d.length * 2);
    for (let j = 0; j < d.length; j++) {
      out[2 * j] = this.masterFields[j];
      out[2 * j + 1] = d[j];
    }
    return out;
  }

  /**
   * Index of the first live entry whose ID is ≥ id (ids.length when none). Live IDs always ascend,
   * but a tombstone can sit out of order: after XDEL of the top entry, XSETID may lower the last ID
   * and a later XADD append below the tombstone's ID, as in Redis's listpacks. So a node holding
   * tombstones is searched as Redis's iterator does, one entry at a time.
   */
  lowerBound(id: string): number {
    const ids = this.ids;
    if (this.deleted === 0) {
      let lo = 0;
      let hi = ids.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ids[mid] < id) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    }
    for (let i = 0; i < ids.length; i++) if (!(this.flags[i] & FLAG_DELETED) && ids[i] >= id) return i;
    return ids.length;
  }

  /** Index of the last live entry whose ID is ≤ id (-1 when none); see lowerBound. */
  upperLive(id: string): number {
    const ids = this.ids;
    if (this.deleted === 0) {
      const i = this.lowerBound(id);
      return i < ids.length && ids[i] === id ? i : i - 1;
    }
    for (let i = ids.length - 1; i >= 0; i--) if (!(this.flags[i] & FLAG_DELETED) && ids[i] <= id) return i;
    return -1;
  }

  /** Appends an entry, with the flags Redis gives it; returns its listpack bytes. */
  push(id: string, ms: bigint, seq: bigint, fv: string[]): number {
    const n = fv.length / 2;
    let same = n === this.masterFields.length;
    for (let j = 0; same && j < n; j++) if (fv[2 * j] !== this.masterFields[j]) same = false;
    const flags = same ? FLAG_SAMEFIELDS : 0;
    let bytes = lpIntSize(flags) + lpIntSize(delta(ms, this.masterMs)) + lpIntSize(delta(seq, this.masterSeq));
    let values: string[];
    if (same) {
      values = new Array(n);
      for (let j = 0; j < n; j++) {
        values[j] = fv[2 * j + 1];
        bytes += lpElementSize(values[j]);
      }
      bytes += lpIntSize(n + 3);
    } else {
      values = fv;
      bytes += lpIntSize(n);
      for (const s of fv) bytes += lpElementSize(s);
      bytes += lpIntSize(2 * n + 4);
    }
    this.ids.push(id);
    this.flags.push(flags);
    this.data.push(values);
    this.live++;
    this.bodyBytes += bytes;
    return bytes;
  }
}

// ── consumer groups ────────────────────────────────────────────────────────────────────────────

export interface Nack {
  deliveryTime: number;
  deliveryCount: number;
  /** Null only for a PEL entry XCLAIM … FORCE made before it is given to its consumer. */
  consumer: Consumer | null;
}

/** IDs in order with a value each (a PEL): binary search over a sorted array beside a map. */
export class SortedIds<T> {
  readonly map = new Map<string, T>();
  readonly keys: string[] = [];

  get size(): number {
    return this.map.size;
  }
  get(id: string): T | undefined {
    return this.map.get(id);
  }
  /** Index of the first ID ≥ id. */
  seek(id: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid] < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  /** Adds id → v; false when id was there already (nothing changes). */
  insert(id: string, v: T): boolean {
    if (this.map.has(id)) return false;
    this.map.set(id, v);
    const n = this.keys.length;
    if (n === 0 || this.keys[n - 1] < id) this.keys.push(id);
    else this.keys.splice(this.seek(id), 0, id);
    return true;
  }
  delete(id: string): boolean {
    if (!this.map.delete(id)) return false;
    const i = this.seek(id);
    this.keys.splice(i, 1);
    return true;
  }
}

export class Consumer {
  readonly pel = new SortedIds<Nack>();
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

export class ConsumerGroup {
  readonly pel = new SortedIds<Nack>();
  readonly consumers = new Map<string, Consumer>();
  constructor(
    public lastId: string,
    /** entries_read; -1 when unknown (SCG_INVALID_ENTRIES_READ). */
    public entriesRead: number,
  ) {}

  /** Consumers in name order (Redis keeps them in a rax). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

// ── the stream ─────────────────────────────────────────────────────────────────────────────────

export type TrimStrategy = "maxlen" | "minid";

export interface TrimArgs {
  strategy: TrimStrategy;
  maxlen: number;
  minid: string;
  approx: boolean;
  /** Most entries to remove (0: no limit). */
  limit: number;
}

export class RedisStream {
  readonly nodes: StreamNode[] = [];
  /** Live entries. */
  length = 0;
  lastId = MIN_ID;
  firstId = MIN_ID;
  maxDeletedId = MIN_ID;
  entriesAdded = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  private bytes = STREAM_COST;

  memoryUsage(): number {
    return this.bytes;
  }

  /** Adjusts the memory charged for changes made from outside (groups, consumers, PEL entries). */
  charge(bytes: number): void {
    this.bytes += bytes;
  }

  static readonly NACK_COST = NACK_COST;

  /**
   * Appends an entry with an ID already checked to be greater than lastId, cutting a new node as
   * streamAppendItem does: when the tail's listpack bytes plus the new elements' lengths reach
   * maxBytes, or its entries (live and deleted) reach maxEntries.
   */
  append(id: string, ms: bigint, seq: bigint, fv: string[], maxBytes: number, maxEntries: number): void {
    let tail = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1] : null;
    if (tail) {
      let total = 0;
      for (const s of fv) total += s.length;
      const nodeMax = maxBytes === 0 || maxBytes > 1 << 30 ? 1 << 30 : maxBytes;
      if (tail.lpBytes + total >= nodeMax) tail = null;
      else if (maxEntries && tail.live + tail.deleted >= maxEntries) tail = null;
    }
    if (!tail) {
      const fields: string[] = new Array(fv.length / 2);
      for (let j = 0; j < fields.length; j++) fields[j] = fv[2 * j];
      tail = new StreamNode(id, fields);
      this.nodes.push(tail);
      this.bytes += NODE_COST;
    }
    tail.push(id, ms, seq, fv);
    this.bytes += entryCost(id, tail.data[tail.data.length - 1]);
    this.length++;
    this.entriesAdded++;
    this.lastId = id;
    if (this.length === 1) this.firstId = id;
  }

  /** Index of the last node whose master ID is ≤ id (-1 when none). */
  private nodeAtOrBefore(id: string): number {
    let lo = 0;
    let hi = this.nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.nodes[mid].masterId <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Calls visit(node, index) for live entries with start ≤ ID ≤ end, in order (or reversed), until it returns false. */
  walk(start: string, end: string, rev: boolean, visit: (node: StreamNode, i: number) => boolean): void {
    if (start > end || this.nodes.length === 0) return;
    if (!rev) {
      let n = Math.max(0, this.nodeAtOrBefore(start));
      let i = this.nodes[n].lowerBound(start);
      for (; n < this.nodes.length; n++, i = 0) {
        const node = this.nodes[n];
        for (; i < node.ids.length; i++) {
          // Tombstones are skipped before the range check, as Redis's iterator does: one may lie
          // out of order (see lowerBound).
          if (node.flags[i] & FLAG_DELETED) continue;
          if (node.ids[i] > end) return;
          if (!visit(node, i)) return;
        }
      }
    } else {
      let n = this.nodeAtOrBefore(end);
      if (n < 0) return;
      let i = this.nodes[n].upperLive(end);
      for (; n >= 0; n--, i = n >= 0 ? this.nodes[n].ids.length - 1 : 0) {
        const node = this.nodes[n];
        for (; i >= 0; i--) {
          if (node.flags[i] & FLAG_DELETED) continue;
          if (node.ids[i] < start) return;
          if (!visit(node, i)) return;
        }
      }
    }
  }

  /** Live entries with start ≤ ID ≤ end as [id, pairs], at most count (0: all). */
  range(start: string, end: string, count: number, rev = false): [string, string[]][] {
    const out: [string, string[]][] = [];
    this.walk(start, end, rev, (node, i) => {
      out.push([node.ids[i], node.pairs(i)]);
      return count === 0 || out.length < count;
    });
    return out;
  }

  /** Where a live entry with this ID is, or null. */
  find(id: string): { node: number; index: number } | null {
    const n = this.nodeAtOrBefore(id);
    if (n < 0) return null;
    const node = this.nodes[n];
    const i = node.lowerBound(id);
    if (i === node.ids.length || node.ids[i] !== id || node.flags[i] & FLAG_DELETED) return null;
    return { node: n, index: i };
  }

  has(id: string): boolean {
    return this.find(id) !== null;
  }

  /** Flags an entry deleted (a node left with no live entry goes), as streamIteratorRemoveEntry. */
  deleteEntry(id: string): boolean {
    const at = this.find(id);
    if (!at) return false;
    const node = this.nodes[at.node];
    if (node.live === 1) this.removeNode(at.node);
    else {
      node.flags[at.index] |= FLAG_DELETED;
      node.live--;
      node.deleted++;
    }
    this.length--;
    return true;
  }

  private removeNode(n: number): void {
    const node = this.nodes[n];
    this.bytes -= NODE_COST;
    for (let i = 0; i < node.ids.length; i++) this.bytes -= entryCost(node.ids[i], node.data[i]);
    this.nodes.splice(n, 1);
  }

  /** First (or last) entry ID, skipping tombstones or not; MAX_ID (MIN_ID) when there is none. */
  edgeId(first: boolean, skipTombstones: boolean): string {
    const nodes = this.nodes;
    if (first) {
      for (const node of nodes) {
        for (let i = 0; i < node.ids.length; i++) if (!skipTombstones || !(node.flags[i] & FLAG_DELETED)) return node.ids[i];
      }
      return MAX_ID;
    }
    for (let n = nodes.length - 1; n >= 0; n--) {
      const node = nodes[n];
      for (let i = node.ids.length - 1; i >= 0; i--) if (!skipTombstones || !(node.flags[i] & FLAG_DELETED)) return node.ids[i];
    }
    return MIN_ID;
  }

  /** Trims as streamTrim: whole nodes from the head, then (unless approximate) entries of one node. */
  trim(args: TrimArgs): number {
    let deleted = 0;
    while (this.nodes.length > 0) {
      if (args.strategy === "maxlen" && this.length <= args.maxlen) break;
      const node = this.nodes[0];
      const entries = node.live;
      if (args.limit && deleted + entries > args.limit) break;
      const removeNode =
        args.strategy === "maxlen" ? this.length - entries >= args.maxlen : node.ids[node.ids.length - 1] < args.minid;
      if (removeNode) {
        this.removeNode(0);
        this.length -= entries;
        deleted += entries;
        continue;
      }
      if (args.approx) break;
      let fromNode = 0;
      for (let i = 0; i < node.ids.length; i++) {
        const stop = args.strategy === "maxlen" ? this.length <= args.maxlen : node.ids[i] >= args.minid;
        if (stop) break;
        if (!(node.flags[i] & FLAG_DELETED)) {
          node.flags[i] |= FLAG_DELETED;
          fromNode++;
          this.length--;
        }
      }
      node.live -= fromNode;
      node.deleted += fromNode;
      deleted += fromNode;
      break;
    }
    if (this.length === 0) this.firstId = MIN_ID;
    else if (deleted) this.firstId = this.edgeId(true, true);
    return deleted;
  }

  /** Whether start ≤ max_deleted_entry_id ≤ end could hold a tombstone (streamRangeHasTombstones). */
  rangeHasTombstones(start: string | null, end: string | null): boolean {
    if (this.length === 0 || this.maxDeletedId === MIN_ID) return false;
    if (this.firstId > this.maxDeletedId) return false;
    return (start ?? MIN_ID) <= this.maxDeletedId && this.maxDeletedId <= (end ?? MAX_ID);
  }

  /** streamEstimateDistanceFromFirstEverEntry: the ID's logical read counter, or -1 when unknown. */
  estimateDistance(id: string): number {
    if (!this.entriesAdded) return 0;
    if (!this.length && id <= this.lastId) return this.entriesAdded;
    if (id === this.lastId) return this.entriesAdded;
    if (id > this.lastId) return -1;
    if (this.maxDeletedId === MIN_ID || this.maxDeletedId < this.firstId) {
      if (id < this.firstId) return this.entriesAdded - this.length;
      if (id === this.firstId) return this.entriesAdded - this.length + 1;
    }
    return -1;
  }

  /** A group's lag, or null when it cannot be known (streamReplyWithCGLag). */
  lag(group: ConsumerGroup): number | null {
    if (!this.entriesAdded) return 0;
    if (group.entriesRead !== -1 && !this.rangeHasTombstones(group.lastId, null)) return this.entriesAdded - group.entriesRead;
    const read = this.estimateDistance(group.lastId);
    return read !== -1 ? this.entriesAdded - read : null;
  }

  /** Groups in name order (Redis keeps them in a rax). */
  sortedGroups(): [string, ConsumerGroup][] {
    return [...this.groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /**
   * Nodes of the rax holding the stream's nodes (XINFO's radix-tree-nodes): a compressed trie over
   * the 16-byte master IDs, each run of shared bytes one node, each branching point one, each key a leaf.
   */
  radixTreeNodes(): number {
    const keys = this.nodes.map((n) => n.masterId);
    if (keys.length === 0) return 1;
    const count = (lo: number, hi: number, depth: number): number => {
      if (depth === 16) return 1;
      // Bytes all keys in [lo, hi) share from depth on.
      let shared = 0;
      while (depth + shared < 16 && keys[lo].charCodeAt(depth + shared) === keys[hi - 1].charCodeAt(depth + shared)) shared++;
      if (shared > 0) return 1 + count(lo, hi, depth + shared);
      let total = 1;
      for (let i = lo; i < hi; ) {
        const c = keys[i].charCodeAt(depth);
        let j = i + 1;
        while (j < hi && keys[j].charCodeAt(depth) === c) j++;
        total += count(i, j, depth + 1);
        i = j;
      }
      return total;
    };
    return count(0, keys.length, 0);
  }

  /** A deep copy (COPY): nodes, groups, consumers and PEL entries of its own. */
  clone(): RedisStream {
    const c = new RedisStream();
    for (const node of this.nodes) {
      const n = new StreamNode(node.masterId, node.masterFields);
      n.ids.push(...node.ids);
      n.flags.push(...node.flags);
      n.data.push(...node.data);
      n.live = node.live;
      n.deleted = node.deleted;
      n.bodyBytes = node.bodyBytes;
      c.nodes.push(n);
    }
    c.length = this.length;
    c.lastId = this.lastId;
    c.firstId = this.firstId;
    c.maxDeletedId = this.maxDeletedId;
    c.entriesAdded = this.entriesAdded;
    for (const [name, g] of this.groups) {
      const copy = new ConsumerGroup(g.lastId, g.entriesRead);
      const consumers = new Map<Consumer, Consumer>();
      for (const [cname, consumer] of g.consumers) {
        const cc = new Consumer(cname, consumer.seenTime);
        consumers.set(consumer, cc);
        copy.consumers.set(cname, cc);
      }
      for (const id of g.pel.keys) {
        const nack = g.pel.get(id)!;
        const owner = nack.consumer ? consumers.get(nack.consumer)! : null;
        const nc: Nack = { deliveryTime: nack.deliveryTime, deliveryCount: nack.deliveryCount, consumer: owner };
        copy.pel.insert(id, nc);
        owner?.pel.insert(id, nc);
      }
      c.groups.set(name, copy);
    }
    c.bytes = this.bytes;
    return c;
  }

  /** Loads a node as a file holds it (RDB), keeping its tombstones and master entry. */
  loadNode(node: StreamNode, lpBytes: number): void {
    node.bodyBytes = lpBytes - 7 - lpIntSize(node.live) - lpIntSize(node.deleted);
    this.nodes.push(node);
    this.bytes += NODE_COST;
    for (let i = 0; i < node.ids.length; i++) this.bytes += entryCost(node.ids[i], node.data[i]);
  }
}
