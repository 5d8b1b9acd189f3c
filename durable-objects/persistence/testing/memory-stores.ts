// In-memory stores for unit tests of the Durable Object's managers in Node: the AOF's segment
// store, the snapshot store and the manifest kv, behaving as the SQLite and R2 adapters do, with
// switches for the faults those can have (a failing append or upload, a torn row, a lost object).

import { binaryToBytes } from "../../engine/bytes.js";
import { crc32 } from "../crc32.js";
import type { SyncKv } from "../kv.js";
import type { SnapshotStore, SnapshotUpload } from "../r2-snapshot-store.js";
import { type AofSegmentStore, MAX_ROW_BYTES, type SegmentRow } from "../sqlite-aof-store.js";

interface StoredRow {
  data: Uint8Array;
  crc: number;
  createdMs: number;
}

const asRow = (seq: number, r: StoredRow): SegmentRow => ({ seq, data: r.data, valid: crc32(r.data) === r.crc, createdMs: r.createdMs });

function rowsOf(bytes: string, createdMs: number): StoredRow[] {
  const out: StoredRow[] = [];
  for (let off = 0; off < bytes.length; off += MAX_ROW_BYTES) {
    const data = binaryToBytes(bytes.slice(off, off + MAX_ROW_BYTES));
    out.push({ data, crc: crc32(data), createdMs });
  }
  return out;
}

export class MemoryAofStore implements AofSegmentStore {
  readonly segments = new Map<number, StoredRow>();
  base: StoredRow[] = [];
  staging: StoredRow[] = [];
  private floor = 0;
  /** Set: the next appends throw, as a failed SQLite write would. */
  failAppends: Error | null = null;
  /** Set: staging a rewrite's base throws. */
  failStage: Error | null = null;

  lastSeq(): number {
    return Math.max(this.floor, ...this.segments.keys());
  }

  raiseFloor(seq: number): void {
    this.floor = Math.max(this.floor, seq);
  }

  append(bytes: string, nowMs: number): number {
    if (this.failAppends) throw this.failAppends;
    let seq = this.lastSeq();
    for (const row of rowsOf(bytes, nowMs)) this.segments.set(++seq, row);
    return seq;
  }

  private sorted(): number[] {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  *segmentsAfter(afterSeq: number): Generator<SegmentRow> {
    for (const seq of this.sorted()) if (seq > afterSeq) yield asRow(seq, this.segments.get(seq)!);
  }

  rowsBetween(afterSeq: number, throughSeq: number, limit: number): SegmentRow[] {
    return this.sorted()
      .filter((s) => s > afterSeq && s <= throughSeq)
      .slice(0, limit)
      .map((s) => asRow(s, this.segments.get(s)!));
  }

  sizeAfter(afterSeq: number): { bytes: number; rows: number } {
    let bytes = 0;
    let rows = 0;
    for (const [seq, r] of this.segments) {
      if (seq <= afterSeq) continue;
      bytes += r.data.length;
      rows++;
    }
    return { bytes, rows };
  }

  deleteThrough(seq: number): void {
    for (const s of [...this.segments.keys()]) {
      if (s > seq) continue;
      this.raiseFloor(s);
      this.segments.delete(s);
    }
  }

  truncate(seq: number, keep: number): void {
    for (const s of [...this.segments.keys()]) if (s > seq) this.segments.delete(s);
    const row = this.segments.get(seq);
    if (!row) return;
    if (keep === 0) {
      this.segments.delete(seq);
      return;
    }
    const data = row.data.slice(0, keep);
    this.segments.set(seq, { ...row, data, crc: crc32(data) });
  }

  *baseParts(): Generator<SegmentRow> {
    for (const [i, r] of this.base.entries()) yield { ...asRow(i + 1, r), createdMs: 0 };
  }

  basePart(part: number): Uint8Array | null {
    return this.base[part - 1]?.data ?? null;
  }

  baseSize(): number {
    return this.base.reduce((n, r) => n + r.data.length, 0);
  }

  clearBase(): void {
    this.base = [];
  }

  stage(bytes: string): void {
    if (this.failStage) throw this.failStage;
    this.staging.push(...rowsOf(bytes, 0));
  }

  clearStaging(): void {
    this.staging = [];
  }

  promoteStaging(): void {
    this.base = this.staging;
    this.staging = [];
  }

  /** Flips a byte of a stored row (its checksum no longer matches), as a torn or damaged write. */
  damage(seq: number): void {
    const row = this.segments.get(seq)!;
    const data = row.data.slice();
    data[data.length - 1] ^= 0xff;
    this.segments.set(seq, { ...row, data });
  }

  /** Cuts the newest row's bytes short and gives it a matching checksum: a log that ends mid-record. */
  cutTail(bytes: number): void {
    const seq = this.lastSeq();
    const row = this.segments.get(seq)!;
    const data = row.data.slice(0, row.data.length - bytes);
    this.segments.set(seq, { ...row, data, crc: crc32(data) });
  }
}

class MemoryUpload implements SnapshotUpload {
  private readonly chunks: Uint8Array[] = [];

  constructor(
    private readonly store: MemorySnapshotStore,
    private readonly key: string,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.store.failUploads) throw this.store.failUploads;
    this.chunks.push(chunk.slice());
  }

  async complete(): Promise<{ size: number }> {
    if (this.store.failUploads) throw this.store.failUploads;
    const size = this.chunks.reduce((n, c) => n + c.length, 0);
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.store.objects.set(this.key, out);
    return { size };
  }

  async abort(): Promise<void> {
    this.store.aborted.push(this.key);
  }
}

export class MemorySnapshotStore implements SnapshotStore {
  readonly objects = new Map<string, Uint8Array>();
  /** Keys of uploads that were aborted. */
  readonly aborted: string[] = [];
  /** Set: every upload's writes and completion fail, as R2 answering errors would. */
  failUploads: Error | null = null;

  constructor(private readonly prefix = "shard-0/") {}

  keyFor(stem: string, timeMs: number, seq: number): string {
    return `${this.prefix}${stem}-${String(timeMs).padStart(15, "0")}-${String(seq).padStart(12, "0")}.rdb`;
  }

  async startUpload(key: string): Promise<SnapshotUpload> {
    return new MemoryUpload(this, key);
  }

  async readInto(key: string, sink: (chunk: Uint8Array) => void): Promise<boolean> {
    const obj = this.objects.get(key);
    if (!obj) return false;
    // In two chunks, so a reader sees a file arrive in pieces as it does from R2.
    const half = obj.length >> 1;
    if (half > 0) sink(obj.slice(0, half));
    sink(obj.slice(half));
    return true;
  }

  async object(key: string): Promise<{ body: ReadableStream<Uint8Array> } | null> {
    const obj = this.objects.get(key);
    if (!obj) return null;
    return { body: new Blob([obj]).stream() };
  }

  async delete(keys: string[]): Promise<void> {
    for (const k of keys) this.objects.delete(k);
  }
}

export class MemoryKv implements SyncKv {
  readonly map = new Map<string, unknown>();

  get<T>(key: string): T | undefined {
    const v = this.map.get(key);
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  put<T>(key: string, value: T): void {
    this.map.set(key, structuredClone(value));
  }
}
