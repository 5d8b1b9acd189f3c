// What the Node-side benchmarks use, bundled by esbuild into bench/.build/lib.mjs.
import { Engine as ShardEngine, type EngineOptions } from "../durable-objects/engine/engine.js";

/**
 * The engine with no maxmemory unless a bench sets one, as redis-server has none by default: the
 * datasets here (a million keys, 100,000-element collections) pass a shard's default of 24mb, and a
 * capped engine would answer OOM or stop a replay part-way and time the fraction it kept.
 */
export class Engine extends ShardEngine {
  constructor(opts: EngineOptions = {}) {
    super({ ...opts, config: { maxmemory: "0", ...opts.config } });
  }
}
export { Keyspace } from "../durable-objects/engine/keyspace.js";
export { RedisHash, RedisList, RedisSet, RedisStream, RedisZSet } from "../durable-objects/engine/types/index.js";
export { encodeRdb, loadRdbInto, RdbWriter } from "../durable-objects/persistence/rdb-codec/index.js";
export { KeyspaceCut } from "../durable-objects/persistence/keyspace-cut.js";
export { AofRewriter } from "../durable-objects/persistence/aof/rewrite.js";
export { encodeCommands } from "../durable-objects/persistence/resp.js";
export { replayAof } from "../durable-objects/aof-replay.js";
export { binaryToBytes } from "../durable-objects/engine/bytes.js";
export { findBinary, startRedis } from "../durable-objects/persistence/testing/redis.js";
export { snapshotSlice, snapshotSliceBudget } from "../durable-objects/snapshot-manager.js";
export { seededRandom } from "../durable-objects/engine/testing.js";
export { createLuaVm } from "../durable-objects/engine/lua/vm.js";
export { sha1hex } from "../durable-objects/engine/lua/sha1.js";
