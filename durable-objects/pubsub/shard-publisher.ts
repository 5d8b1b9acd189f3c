// What a shard sends to the pub/sub hubs: its keyspace notifications, and the MONITOR lines of its
// batches while hub 0 holds a monitor lease. Fire and forget: a publisher never waits on subscribers.

import { arityOk } from "../engine/command.js";
import type { Engine } from "../engine/engine.js";
import { hubCount, hubOf, hubStub } from "./hubs.js";
import { monitorLine } from "./monitor.js";

const logFailure = (what: string) => (e: unknown) => console.error(`${what}:`, e instanceof Error ? e.message : e);

export class ShardPublisher {
  /** Until when hub 0 asked for MONITOR lines (a lease its open monitors renew); 0: nobody monitors. */
  private monitorLease = 0;

  constructor(
    private readonly env: Env,
    private readonly engine: Engine,
    private readonly clock: () => number,
  ) {}

  /**
   * Keyspace notifications of a batch, to the hubs of their channels, in order (one call per hub;
   * calls on one stub arrive in order).
   */
  notify(messages: [string, string][]): void {
    const hubs = hubCount(this.env);
    const byHub = new Map<number, [string, string][]>();
    for (const m of messages) {
      const i = hubOf(m[0], hubs);
      let list = byHub.get(i);
      if (!list) byHub.set(i, (list = []));
      list.push(m);
    }
    for (const [i, list] of byHub) hubStub(this.env.PUBSUB, i).publishAll(list).catch(logFailure("keyspace notifications"));
  }

  /** Hub 0 asks for MONITOR lines until `untilMs` while monitors are open. */
  monitorUntil(untilMs: number): void {
    this.monitorLease = untilMs;
  }

  /** The batch's commands as MONITOR shows them (a transaction between MULTI and EXEC; not the admin ones). */
  monitor(batch: string[][], atomic: boolean, client: string): void {
    if (this.monitorLease <= Date.now()) return;
    const now = this.clock();
    const lines: string[] = [];
    const at = client || "unknown";
    if (atomic) lines.push(monitorLine(now, at, ["multi"]));
    for (const argv of batch) {
      const spec = this.engine.lookup(argv[0]);
      if (spec && arityOk(spec, argv.length) && !spec.flags.includes("admin")) lines.push(monitorLine(now, at, argv));
    }
    if (atomic) lines.push(monitorLine(now, at, ["exec"]));
    if (lines.length === 0) return;
    hubStub(this.env.PUBSUB, 0).feedMonitor(lines).catch(logFailure("monitor"));
  }
}
