// Failures injected where they happen, in a shard's real stores: R2 part uploads and storage
// transactions that fail, as R2 answering an error or a failed commit would; and crashes with a request in flight.
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import type { Shard } from "../durable-objects/shard.js";
import type { SnapshotUpload } from "../durable-objects/persistence/r2-snapshot-store.js";
import { type ShardStub, execOn } from "./helpers.js";

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

/** Sends a batch and crashes the shard at once, while the batch is on its way, running, or answered. Returns whether it was acknowledged. */
export async function sendAndCrash(s: ShardStub, batch: (string | number)[][], atomic: boolean): Promise<boolean> {
  const reply = execOn(s, batch, atomic).then(
    (r) => Array.isArray(r) && r.every((x) => typeof x !== "object" || x === null || !("error" in x)),
    () => false,
  );
  await abortAllDurableObjects();
  return reply;
}
