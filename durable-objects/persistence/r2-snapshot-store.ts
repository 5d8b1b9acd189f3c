// Snapshots in R2: a streamed multipart upload (parts of at least 5 MiB, at most two in flight),
// reads, listing and deletion under `<dir>/<shard>/`. Bytes only; what they mean is the RDB codec's.

/** How much a read of a snapshot asks for at a time. */
const READ_BYTES = 1024 * 1024;

/** R2 needs every part but the last to be at least 5 MiB, all of the same size. */
export const PART_BYTES = 5 * 1024 * 1024;
const MAX_IN_FLIGHT = 2;

/** An upload in progress: chunks of any size, then complete (the object exists) or abort (it never will). */
export interface SnapshotUpload {
  write(chunk: Uint8Array): Promise<void>;
  complete(): Promise<{ size: number }>;
  abort(): Promise<void>;
}

/**
 * Where snapshots (and RDB AOF bases) are kept: R2 in a shard (R2SnapshotStore), memory in unit
 * tests (testing/memory-stores.ts). Objects are immutable once complete.
 */
export interface SnapshotStore {
  /** The key of a new file: names sort by time. */
  keyFor(stem: string, timeMs: number, seq: number): string;
  startUpload(key: string, metadata?: Record<string, string>): Promise<SnapshotUpload>;
  /** Streams an object into `sink`; false when there is no such object. */
  readInto(key: string, sink: (chunk: Uint8Array) => void): Promise<boolean>;
  /** The object's body as a stream (a download); null when there is no such object. */
  object(key: string): Promise<{ body: ReadableStream<Uint8Array> } | null>;
  delete(keys: string[]): Promise<void>;
}

export interface SnapshotInfo {
  key: string;
  size: number;
  uploadedMs: number;
}

/**
 * Writes one object as a multipart upload from chunks of any size. `write` may be called many
 * times; `complete` finishes the object; `abort` discards it. At most PART_BYTES × (MAX_IN_FLIGHT + 1)
 * bytes are buffered.
 */
export class R2SnapshotUpload implements SnapshotUpload {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private parts: Promise<R2UploadedPart>[] = [];
  private inFlight: Promise<unknown>[] = [];
  private partNumber = 0;
  bytes = 0;

  private constructor(private readonly upload: R2MultipartUpload) {}

  static async start(bucket: R2Bucket, key: string, customMetadata: Record<string, string> = {}): Promise<R2SnapshotUpload> {
    return new R2SnapshotUpload(await bucket.createMultipartUpload(key, { customMetadata }));
  }

  get key(): string {
    return this.upload.key;
  }

  /** Buffers bytes; uploads full parts, waiting when two are already in flight. */
  async write(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.bytes += chunk.length;
    while (this.pendingBytes >= PART_BYTES) await this.sendPart(PART_BYTES);
  }

  private takeBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const head = this.pending[0];
      const take = Math.min(head.length, n - filled);
      out.set(head.subarray(0, take), filled);
      filled += take;
      if (take === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(take);
    }
    this.pendingBytes -= n;
    return out;
  }

  private async sendPart(n: number): Promise<void> {
    while (this.inFlight.length >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
    const body = this.takeBytes(n);
    const number = ++this.partNumber;
    const part = this.upload.uploadPart(number, body);
    this.parts.push(part);
    const tracked: Promise<unknown> = part.then(
      () => this.inFlight.splice(this.inFlight.indexOf(tracked), 1),
      () => this.inFlight.splice(this.inFlight.indexOf(tracked), 1),
    );
    this.inFlight.push(tracked);
    // Surface a failed part at the next write rather than at completion.
    part.catch(() => {});
  }

  async complete(): Promise<R2Object> {
    if (this.pendingBytes > 0 || this.partNumber === 0) await this.sendPart(this.pendingBytes);
    const parts = await Promise.all(this.parts);
    return this.upload.complete(parts);
  }

  async abort(): Promise<void> {
    await Promise.allSettled(this.parts);
    await this.upload.abort().catch(() => {});
  }
}

export class R2SnapshotStore implements SnapshotStore {
  constructor(
    private readonly bucket: R2Bucket,
    /** `<dir>/<shard>/`, asked for each new file: CONFIG SET dir takes effect without a restart. */
    private readonly prefix: () => string,
  ) {}

  /** `<dir>/<shard>/<stem>-<time>-<seq>.rdb`, zero-padded so names sort by time. */
  keyFor(stem: string, timeMs: number, seq: number): string {
    return `${this.prefix()}${stem}-${String(timeMs).padStart(15, "0")}-${String(seq).padStart(12, "0")}.rdb`;
  }

  startUpload(key: string, metadata: Record<string, string> = {}): Promise<SnapshotUpload> {
    return R2SnapshotUpload.start(this.bucket, key, metadata);
  }

  /** The object, to stream its body; null when there is no such object. */
  object(key: string): Promise<R2ObjectBody | null> {
    return this.bucket.get(key);
  }

  /**
   * Streams an object into `sink` a mebibyte at a time, never holding all of it (a recovering shard
   * needs its memory for the dataset). Read into our own buffers: a plain reader gets 4 KiB chunks,
   * an await each. False when there is no such object.
   */
  async readInto(key: string, sink: (chunk: Uint8Array) => void): Promise<boolean> {
    const obj = await this.bucket.get(key);
    if (!obj) return false;
    const reader = obj.body.getReader({ mode: "byob" });
    try {
      for (;;) {
        // A fresh buffer each time: the sink may keep the one it was given.
        const { done, value } = await reader.readAtLeast(READ_BYTES, new Uint8Array(READ_BYTES));
        if (value && value.length > 0) sink(value);
        if (done) return true;
      }
    } finally {
      reader.releaseLock();
    }
  }

  async list(): Promise<SnapshotInfo[]> {
    const out: SnapshotInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.bucket.list({ prefix: this.prefix(), cursor });
      for (const o of page.objects) out.push({ key: o.key, size: o.size, uploadedMs: o.uploaded.getTime() });
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
    return out.sort((a, b) => (a.key < b.key ? -1 : 1));
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length) await this.bucket.delete(keys);
  }
}
