// The synchronous key-value storage the managers keep their manifests in: a Durable Object's
// ctx.storage.kv in a shard, a Map in unit tests (testing/memory-stores.ts).

export interface SyncKv {
  get<T>(key: string): T | undefined;
  put<T>(key: string, value: T): void;
}
