// Timers a test fires by moving a shard's clock, in place of setTimeout: the AOF's everysec and `no`
// timers then write because their time came, not because a test flushed, and no test sleeps.
import { runInDurableObject } from "cloudflare:test";
import type { Shard } from "../durable-objects/shard.js";
import type { ShardStub } from "./helpers.js";

interface Pending {
  dueMs: number;
  fn: () => void;
}

/** The manual timers installed in each shard instance (the test and the Durable Object share the isolate). */
const installed = new WeakMap<Shard, Pending[]>();

/**
 * Replaces the shard's timers: a timer of 0 ms (a rewrite's next slice) still runs on the event loop,
 * a longer one waits until `advance` moves the clock past it. Call before the shard takes writes.
 */
export async function useManualTimers(stub: ShardStub, cronMinIntervalMs = 3_600_000): Promise<void> {
  await runInDurableObject(stub, (i: Shard) => {
    const pending: Pending[] = [];
    installed.set(i, pending);
    i.schedule = (fn, ms) => {
      if (ms <= 0) setTimeout(fn, 0);
      else pending.push({ dueMs: i.clockOffset + ms, fn });
    };
    // The cron's alarm would fire on its own after 100 ms of real time; tests run it with runDurableObjectAlarm.
    i.cronMinIntervalMs = cronMinIntervalMs;
  });
}

/** Moves the shard's clock by ms and runs, in time order, the timers that are then due. Returns how many ran. */
export function advance(stub: ShardStub, ms: number): Promise<number> {
  return runInDurableObject(stub, (i: Shard) => {
    const pending = installed.get(i);
    if (!pending) throw new Error("useManualTimers was not called on this shard instance");
    i.clockOffset += ms;
    let ran = 0;
    for (;;) {
      pending.sort((a, b) => a.dueMs - b.dueMs);
      if (pending.length === 0 || pending[0].dueMs > i.clockOffset) return ran;
      pending.shift()!.fn();
      ran++;
    }
  });
}

/** Timers waiting for the clock. */
export const pendingTimers = (stub: ShardStub): Promise<number> => runInDurableObject(stub, (i: Shard) => installed.get(i)?.length ?? 0);
