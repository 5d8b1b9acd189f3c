// The one way an RDB is read from a store into a keyspace: the bytes stream in (the whole file is
// never held), the decoder fills the keyspace, and the file's CRC-64 is checked against the one its
// manifest recorded. Snapshots at start, AOF bases, point-in-time and upload restores all use it.

import type { Keyspace } from "../engine/keyspace.js";
import { RdbLoader, crcHex } from "./rdb-codec/index.js";

/** Feeds a file's bytes to `sink`; false when there is no such file. */
export type ByteSource = (sink: (chunk: Uint8Array) => void) => Promise<boolean>;

/** What a store of RDB files offers to a loader (R2 in a shard, memory in unit tests). */
export interface RdbSourceStore {
  readInto(key: string, sink: (chunk: Uint8Array) => void): Promise<boolean>;
}

/** A ByteSource over a stream (an uploaded file). */
export function streamSource(stream: ReadableStream<Uint8Array>): ByteSource {
  return async (sink) => {
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      sink(value);
    }
  };
}

export type RdbLoadProblemCode = "missing" | "mismatch" | "corrupt";

/** Why an RDB could not be loaded; `phrase` reads after the file's name ("is missing from R2"). */
export class RdbLoadProblem extends Error {
  constructor(
    readonly code: RdbLoadProblemCode,
    readonly phrase: string,
  ) {
    super(phrase);
  }

  /** "the AOF base k is missing from R2", "the AOF base k: bad checksum…". */
  about(subject: string): string {
    return this.code === "corrupt" ? `${subject}: ${this.phrase}` : `${subject} ${this.phrase}`;
  }
}

export interface RdbStreamLoadOptions {
  /** Drops keys that have expired by then (a snapshot); absent for an AOF base, whose log may still refer to them. */
  now?: number;
  /** Verify the trailer's CRC-64 (rdbchecksum). */
  checksum: boolean;
  /** The CRC-64 the manifest recorded, in hex: a different file is refused. */
  expected?: string;
  onAux?: (key: string, value: string) => void;
  /** Called with each chunk's size as it is read (loading progress, start-up budget). */
  onBytes?: (bytes: number) => void;
  /** The used_memory the keyspace may reach: a file past it is refused as soon as it passes it. */
  maxMemory?: number;
}

/**
 * Streams an RDB into `into`. Throws an RdbLoadProblem; the keyspace then holds part of the file
 * and must be cleared by the caller. An AOF base (no `now`) loads with the keyspace marked loading:
 * nothing may expire before the log after it has replayed.
 */
export async function loadRdbStream(
  source: ByteSource,
  into: Keyspace,
  opts: RdbStreamLoadOptions,
): Promise<{ keys: number; expired: number; functions: string[] }> {
  const wasLoading = into.loading;
  if (opts.now === undefined) into.loading = true;
  try {
    // Function libraries (FUNCTION2 records) are handed back, for the caller to install with the keys.
    const functions: string[] = [];
    const loader = new RdbLoader(into, {
      now: opts.now,
      checksum: opts.checksum,
      onAux: opts.onAux,
      onFunction: (code) => functions.push(code),
      maxMemory: opts.maxMemory,
    });
    let present: boolean;
    try {
      present = await source((chunk) => {
        loader.push(chunk);
        opts.onBytes?.(chunk.length);
      });
    } catch (e) {
      throw new RdbLoadProblem("corrupt", e instanceof Error ? e.message : String(e));
    }
    if (!present) throw new RdbLoadProblem("missing", "is missing from R2");
    let finished: ReturnType<RdbLoader["finish"]>;
    try {
      finished = loader.finish();
    } catch (e) {
      throw new RdbLoadProblem("corrupt", e instanceof Error ? e.message : String(e));
    }
    const found = crcHex(finished.trailer);
    if (opts.expected && found !== opts.expected) {
      throw new RdbLoadProblem("mismatch", `is not the file the manifest recorded (checksum ${found}, expected ${opts.expected})`);
    }
    return { keys: finished.keys, expired: finished.expired, functions };
  } finally {
    into.loading = wasLoading;
  }
}
