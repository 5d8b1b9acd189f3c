// Failures injected where they happen, in a shard's real stores: R2 part uploads and storage
// transactions that fail, as R2 answering an error or a failed commit would; and crashes with a request in flight.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import type { Shard } from "../durable-objects/shard.js";
import type { SnapshotUpload } from "../durable-objects/persistence/r2-snapshot-store.js";
import { type ShardStub, exec, execOn, shardNamed } from "./helpers.js";

/** The next `times` R2 part uploads of this shard fail, as R2 answering an error would. */
export const failPartUploads = (s: ShardStub, times: number) =>
  runInDurableObject(s, (i: Shard) => {
    const r2 = i.snapshots.r2!;
    const startUpload = r2.startUpload.bind(r2);
    let left = times;
    r2.startUpload = async (key, metadata) => {
      const upload = await startUpload(key, metadata);
      const multipart = (upload as unknown as { upload: R2MultipartUpload }).upload;
      const uploadPart = multipart.uploadPart.bind(multipart);
      (upload as unknown as { upload: Pick<R2MultipartUpload, "uploadPart" | "complete" | "abort" | "key"> }).upload = {
        key: multipart.key,
        uploadPart: (n: number, body: Uint8Array) => (left-- > 0 ? Promise.reject(new Error("R2 part upload failed (injected)")) : uploadPart(n, body)),
        complete: (parts: R2UploadedPart[]) => multipart.complete(parts),
        abort: () => multipart.abort(),
      };
      return upload as SnapshotUpload;
    };
  });

/** The next `times` storage transactions of this shard throw, as a failed commit would. */
export const failTransactions = (s: ShardStub, times: number) =>
  runInDurableObject(s, (_i: Shard, state) => {
    const transactionSync = state.storage.transactionSync.bind(state.storage);
    let left = times;
    state.storage.transactionSync = <T>(fn: () => T): T => {
      if (left-- > 0) throw new Error("SQLITE_IOERR: disk I/O error (injected)");
      return transactionSync(fn);
    };
  });

/**
 * Sends batches (transactions when `atomic`) at once, waits for the first to be answered, so the
 * others are on their way or running, and crashes every shard. Each one's outcome: "acked", "error"
 * (answered, with an error reply in it), or "rejected: <why>" (the call failed: cut short by the
 * crash, or refused by a shard resetting itself). Sent one by one and crashed at once, a batch
 * never reached the shard before the crash.
 */
export async function sendAndCrashAfterFirst(s: ShardStub, batches: (string | number)[][][], atomic: boolean): Promise<string[]> {
  const sent = batches.map((b) =>
    execOn(s, b, atomic).then(
      (r) => (Array.isArray(r) && r.every((x) => typeof x !== "object" || x === null || !("error" in x)) ? "acked" : "error"),
      (e: unknown) => `rejected: ${e instanceof Error ? e.message : String(e)}`,
    ),
  );
  await sent[0];
  await abortAllDurableObjects();
  return Promise.all(sent);
}

/**
 * One round of the crash test with transactions in flight: three of them (INCR a, RPUSH l <round>-<j>,
 * INCR b) sent to the shard `name` with a crash after the first, then read back, where a, b and the
 * list's length must agree (each transaction kept whole or not at all). Returns the values pushed,
 * each one's outcome (as sendAndCrashAfterFirst gives it) and the list as recovered.
 */
export async function crashWithTransactionsInFlight(name: string, round: number): Promise<{ values: string[]; outcomes: string[]; list: string[] }> {
  const values = [0, 1, 2].map((j) => `${round}-${j}`);
  const outcomes = await sendAndCrashAfterFirst(shardNamed(name), values.map((v) => [["INCR", "a"], ["RPUSH", "l", v], ["INCR", "b"]]), true);
  const [a, b, list] = (await exec(shardNamed(name), ["GET", "a"], ["GET", "b"], ["LRANGE", "l", 0, -1])) as [string | null, string | null, string[]];
  expect(a, `round ${round}`).toBe(b);
  expect(Number(a ?? 0), `round ${round}`).toBe(list.length);
  return { values, outcomes, list };
}
