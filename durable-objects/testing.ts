// Test helper: a shard's persistence without the Durable Object — an engine, the AofManager and the
// SnapshotManager over the in-memory stores, timers fired by hand — and restarting one over the same
// stores through Recovery, as a shard's constructor does. For Node unit tests of the managers.

import { AofManager } from "./aof-manager.js";
import { BackgroundJobs } from "./background-jobs.js";
import { Engine } from "./engine/engine.js";
import { FakeClock, seededRandom } from "./engine/testing.js";
import { MemoryAofStore, MemoryKv, MemorySnapshotStore } from "./persistence/testing/memory-stores.js";
import { persistenceInfo } from "./persistence-info.js";
import { Recovery } from "./recovery.js";
import { SnapshotManager } from "./snapshot-manager.js";

/** What survives a restart: storage and the bucket. */
export interface Stores {
  aof: MemoryAofStore;
  snapshots: MemorySnapshotStore;
  kv: MemoryKv;
}

export const memoryStores = (): Stores => ({ aof: new MemoryAofStore(), snapshots: new MemorySnapshotStore(), kv: new MemoryKv() });

export interface TestShard {
  engine: Engine;
  aof: AofManager;
  snapshots: SnapshotManager;
  jobs: BackgroundJobs;
  recovery: Recovery;
  clock: FakeClock;
  stores: Stores;
  /** Runs a command as a one-command batch, then the AOF's after-batch step. */
  run(...argv: (string | number)[]): unknown;
  /** Fires due timers (and those they schedule) until none is left: rewrite slices, everysec writes. */
  runTimers(): number;
  /** Timers waiting to fire. */
  pendingTimers(): number;
  faults: Faults;
}

/** Switches for faults outside the stores: a storage transaction (the SQLite commit) that fails. */
export interface Faults {
  transactions: Error | null;
}

/**
 * A shard's persistence over `stores` (new ones unless given), with `config` as the deployment's
 * vars. Nothing is loaded: call `await shard.recovery.run()` (and `settle`) to recover.
 */
export function testShard(config: Record<string, string> = {}, stores: Stores = memoryStores(), opts: { bucket?: boolean; clock?: FakeClock } = {}): TestShard {
  const clock = opts.clock ?? new FakeClock();
  const engine = new Engine({ clock: clock.now, random: seededRandom(1), config: { appendonly: "yes", appendfsync: "always", ...config } });
  const timers: (() => void)[] = [];
  const schedule = (fn: () => void) => void timers.push(fn);
  const faults: Faults = { transactions: null };
  // A storage transaction that fails commits nothing: its writes to the in-memory stores are undone
  // by running nothing at all (the managers must leave their own state as it was).
  const transaction = <T>(fn: () => T): T => {
    if (faults.transactions) throw faults.transactions;
    return fn();
  };
  const aof = new AofManager(engine, stores.aof, { clock: clock.now, schedule, transaction, kv: stores.kv });
  const snapshots = new SnapshotManager(engine, {
    clock: clock.now,
    kv: stores.kv,
    transaction,
    yieldToRequests: () => Promise.resolve(),
    log: aof,
    store: opts.bucket === false ? null : stores.snapshots,
  });
  // SAVE's block: nothing else runs in a Node test while it is awaited.
  const jobs = new BackgroundJobs(engine, aof, snapshots, { block: (fn) => fn() });
  engine.server.host = jobs;
  engine.sink = (commands) => aof.append(commands);
  const recovery = new Recovery(engine, aof, snapshots, jobs, () => {}, schedule);
  engine.server.sections.set("persistence", () => persistenceInfo(aof, snapshots, recovery, jobs));
  const runTimers = (): number => {
    let ran = 0;
    for (let fn = timers.shift(); fn; fn = timers.shift()) {
      fn();
      if (++ran > 100_000) throw new Error("timers keep rescheduling");
    }
    return ran;
  };
  return {
    engine,
    aof,
    snapshots,
    jobs,
    recovery,
    clock,
    stores,
    run: (...argv) => {
      const [reply] = engine.executeBatch([argv.map(String)]);
      aof.afterBatch();
      return reply;
    },
    runTimers,
    pendingTimers: () => timers.length,
    faults,
  };
}

/** Restarts over the same stores and recovers; slices of a long load run as timers, all fired here. */
export async function restart(from: TestShard, config: Record<string, string> = {}): Promise<TestShard> {
  const next = testShard({ ...from.engine.config.all(), ...config }, from.stores, { clock: from.clock });
  await next.recovery.run();
  next.runTimers();
  return next;
}
