// The AOF's storage adapter over a Durable Object's SQLite: numbered segment rows (≤ 1 MiB each,
// under the 2 MB row limit) with a CRC-32 per row, a base written in parts, and a staging area for
// the base a rewrite is building. What rows mean is decided elsewhere; this only stores bytes.

import { binaryToBytes } from "../engine/bytes.js";
import { crc32 } from "./crc32.js";

export const MAX_ROW_BYTES = 1024 * 1024;

export interface SegmentRow {
  seq: number;
  data: Uint8Array;
  /** False when the stored checksum does not match the bytes. */
  valid: boolean;
  createdMs: number;
}

/**
 * Where the AOF is kept: numbered segment rows (the increment), the base in AOF form in parts, and
 * a staging area for the base a rewrite is building. SQLite in a shard (SqliteAofStore), memory in
 * unit tests (testing/memory-stores.ts).
 */
export interface AofSegmentStore {
  /** The last sequence number used: the newest row's, or the highest ever deleted. */
  lastSeq(): number;
  /** Makes sure sequence numbers continue after `seq`, whatever rows remain. */
  raiseFloor(seq: number): void;
  /** Appends bytes (a byte string) as one or more rows; returns the last sequence number used. */
  append(bytes: string, nowMs: number): number;
  /** Rows with seq > afterSeq, in order. */
  segmentsAfter(afterSeq: number): Iterable<SegmentRow>;
  /** Up to `limit` rows with afterSeq < seq ≤ throughSeq, in order. */
  rowsBetween(afterSeq: number, throughSeq: number, limit: number): SegmentRow[];
  /** Bytes and rows after a sequence number. */
  sizeAfter(afterSeq: number): { bytes: number; rows: number };
  deleteThrough(seq: number): void;
  /** Cuts the log at a byte offset inside row `seq`; later rows go. */
  truncate(seq: number, keep: number): void;
  /** The base in AOF form, part by part (`seq` is the part number). */
  baseParts(): Iterable<SegmentRow>;
  /** One part of the base, or null past the last. */
  basePart(part: number): Uint8Array | null;
  baseSize(): number;
  clearBase(): void;
  /** Adds a part to the base a rewrite is building. */
  stage(bytes: string): void;
  clearStaging(): void;
  /** Makes the staged base the base (inside the transaction that records it). */
  promoteStaging(): void;
}

export class SqliteAofStore implements AofSegmentStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`CREATE TABLE IF NOT EXISTS aof_segments (
      seq INTEGER PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL, created_ms INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS aof_base (part INTEGER PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS aof_base_staging (part INTEGER PRIMARY KEY, data BLOB NOT NULL, crc INTEGER NOT NULL)`);
    // The highest sequence number ever deleted: numbers are never reused, even once every row is
    // gone, because a base records the last number it covers and replay skips everything up to it.
    sql.exec(`CREATE TABLE IF NOT EXISTS aof_seq_floor (id INTEGER PRIMARY KEY CHECK (id = 0), seq INTEGER NOT NULL)`);
  }

  /** The last sequence number used: the newest row's, or the highest ever deleted. */
  lastSeq(): number {
    const row = this.sql
      .exec<{ s: number | null }>("SELECT MAX(s) AS s FROM (SELECT MAX(seq) AS s FROM aof_segments UNION ALL SELECT seq FROM aof_seq_floor)")
      .one();
    return row.s ?? 0;
  }

  /** Makes sure sequence numbers continue after `seq` (e.g. a base's), whatever rows remain. */
  raiseFloor(seq: number): void {
    if (seq <= 0) return;
    this.sql.exec("INSERT INTO aof_seq_floor (id, seq) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET seq = MAX(seq, excluded.seq)", seq);
  }

  /** Appends bytes (a byte string) as one or more rows; returns the last sequence number used. */
  append(bytes: string, nowMs: number): number {
    let seq = this.lastSeq();
    for (let off = 0; off < bytes.length; off += MAX_ROW_BYTES) {
      const chunk = binaryToBytes(bytes.slice(off, off + MAX_ROW_BYTES));
      seq++;
      this.sql.exec("INSERT INTO aof_segments (seq, data, crc, created_ms) VALUES (?, ?, ?, ?)", seq, chunk, crc32(chunk), nowMs);
    }
    return seq;
  }

  /** Rows with seq > afterSeq, in order. */
  *segmentsAfter(afterSeq: number): Generator<SegmentRow> {
    const cursor = this.sql.exec<{ seq: number; data: ArrayBuffer; crc: number; created_ms: number }>(
      "SELECT seq, data, crc, created_ms FROM aof_segments WHERE seq > ? ORDER BY seq",
      afterSeq,
    );
    for (const row of cursor) {
      const data = new Uint8Array(row.data);
      yield { seq: row.seq, data, valid: crc32(data) === row.crc, createdMs: row.created_ms };
    }
  }

  /** Up to `limit` rows with afterSeq < seq ≤ throughSeq, in order (a download reads the log in such batches). */
  rowsBetween(afterSeq: number, throughSeq: number, limit: number): SegmentRow[] {
    const rows = this.sql.exec<{ seq: number; data: ArrayBuffer; crc: number; created_ms: number }>(
      "SELECT seq, data, crc, created_ms FROM aof_segments WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
      afterSeq,
      throughSeq,
      limit,
    );
    return rows.toArray().map((row) => {
      const data = new Uint8Array(row.data);
      return { seq: row.seq, data, valid: crc32(data) === row.crc, createdMs: row.created_ms };
    });
  }

  /** One part of the base in AOF form, or null past the last. */
  basePart(part: number): Uint8Array | null {
    const row = this.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM aof_base WHERE part = ?", part).toArray()[0];
    return row ? new Uint8Array(row.data) : null;
  }

  /** Bytes and rows after a sequence number (aof_current_size − aof_base_size). */
  sizeAfter(afterSeq: number): { bytes: number; rows: number } {
    const r = this.sql
      .exec<{ b: number | null; n: number }>("SELECT SUM(LENGTH(data)) AS b, COUNT(*) AS n FROM aof_segments WHERE seq > ?", afterSeq)
      .one();
    return { bytes: r.b ?? 0, rows: r.n };
  }

  deleteThrough(seq: number): void {
    const last = this.sql.exec<{ s: number | null }>("SELECT MAX(seq) AS s FROM aof_segments WHERE seq <= ?", seq).one().s;
    if (last !== null) this.raiseFloor(last);
    this.sql.exec("DELETE FROM aof_segments WHERE seq <= ?", seq);
  }

  /**
   * Cuts the log at a byte offset inside row `seq`: that row keeps `keep` bytes (and its time, which
   * a point-in-time restore goes by), later rows go.
   */
  truncate(seq: number, keep: number): void {
    this.sql.exec("DELETE FROM aof_segments WHERE seq > ?", seq);
    const row = this.sql.exec<{ data: ArrayBuffer }>("SELECT data FROM aof_segments WHERE seq = ?", seq).toArray()[0];
    if (!row) return;
    if (keep === 0) {
      this.sql.exec("DELETE FROM aof_segments WHERE seq = ?", seq);
      return;
    }
    const data = new Uint8Array(row.data).slice(0, keep);
    this.sql.exec("UPDATE aof_segments SET data = ?, crc = ? WHERE seq = ?", data, crc32(data), seq);
  }

  /** The base in AOF (RESP) form, part by part (`seq` is the part number). */
  *baseParts(): Generator<SegmentRow> {
    for (const row of this.sql.exec<{ part: number; data: ArrayBuffer; crc: number }>("SELECT part, data, crc FROM aof_base ORDER BY part")) {
      const data = new Uint8Array(row.data);
      yield { seq: row.part, data, valid: crc32(data) === row.crc, createdMs: 0 };
    }
  }

  baseSize(): number {
    return this.sql.exec<{ b: number | null }>("SELECT SUM(LENGTH(data)) AS b FROM aof_base").one().b ?? 0;
  }

  clearStaging(): void {
    this.sql.exec("DELETE FROM aof_base_staging");
  }

  /** Adds a part to the base a rewrite is building. */
  stage(bytes: string): void {
    const next = this.sql.exec<{ p: number | null }>("SELECT MAX(part) AS p FROM aof_base_staging").one().p ?? 0;
    for (let off = 0, part = next + 1; off < bytes.length; off += MAX_ROW_BYTES, part++) {
      const chunk = binaryToBytes(bytes.slice(off, off + MAX_ROW_BYTES));
      this.sql.exec("INSERT INTO aof_base_staging (part, data, crc) VALUES (?, ?, ?)", part, chunk, crc32(chunk));
    }
  }

  /** Makes the staged base the base (call inside a storage transaction with the manifest update). */
  promoteStaging(): void {
    this.sql.exec("DELETE FROM aof_base");
    this.sql.exec("INSERT INTO aof_base SELECT part, data, crc FROM aof_base_staging");
    this.sql.exec("DELETE FROM aof_base_staging");
  }

  clearBase(): void {
    this.sql.exec("DELETE FROM aof_base");
  }
}
