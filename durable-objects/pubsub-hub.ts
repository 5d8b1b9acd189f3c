// The pub/sub hub Durable Object: where published messages meet subscribers' event streams. It holds
// no data and persists nothing: when it is evicted or redeployed its streams end and clients
// reconnect. Hub 0 also carries MONITOR: it asks every shard to send it the commands they run.

import { DurableObject } from "cloudflare:workers";
import { type Outlet, Registry, type SubscriptionKind, type Subscriber, confirmationBytes, newSubscriber, pubsubLimit } from "./pubsub/registry.js";

/** How long a shard keeps feeding MONITOR lines after being asked, and how often open monitors renew it. */
export const MONITOR_LEASE_MS = 30_000;
const MONITOR_RENEW_MS = 10_000;

const utf8 = new TextEncoder();
const CLOSED_BY_CLIENT = "closed by the client";

/**
 * A stream whose queue is measured in bytes: what the client (through the worker) has not taken yet.
 * Cutting it errors the stream, which drops the queue at once, as Redis frees a client over its limit.
 */
function outletStream(onEnd: () => void): { stream: ReadableStream<Uint8Array>; outlet: Outlet } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      cancel() {
        if (ended) return;
        ended = true;
        onEnd();
      },
    },
    { highWaterMark: 0, size: (chunk) => chunk.byteLength },
  );
  const outlet: Outlet = {
    write(bytes) {
      if (!ended) controller.enqueue(bytes);
    },
    queued: () => (ended ? 0 : -(controller.desiredSize ?? 0)),
    cut(reason) {
      if (ended) return;
      ended = true;
      // Erroring drops the queue at once; a stream whose client left just closes.
      if (reason === CLOSED_BY_CLIENT) controller.close();
      else controller.error(new Error(reason));
      onEnd();
    },
  };
  return { stream, outlet };
}

export interface HubStats {
  subscribers: number;
  monitors: number;
  cutOff: number;
  published: number;
}

export class PubSubHub extends DurableObject<Env> {
  /** Added to the wall clock; tests move time (the soft buffer limit) with it instead of sleeping. */
  clockOffset = 0;
  readonly registry = new Registry(() => Date.now() + this.clockOffset);
  private readonly monitors = new Set<Subscriber>();
  /** Open streams by id, so that the worker can close one. */
  private readonly streams = new Map<string, Subscriber>();
  private lastId = 0;
  /** Stream ids differ across restarts, so a late close cannot end another stream. */
  private readonly boot = crypto.randomUUID().slice(0, 8);
  private monitorTimer: ReturnType<typeof setInterval> | null = null;
  private published = 0;

  /**
   * Opens a subscriber's event stream for these channels, patterns or shard channels. `limit` is the
   * client-output-buffer-limit value in force when it opened. Confirmations are the caller's to send
   * (a stream may span several hubs); `confirm` asks this hub to send them first.
   */
  open(kind: SubscriptionKind, names: string[], base64: boolean, limit: string, confirm = false): { id: string; stream: ReadableStream<Uint8Array> } {
    const id = `${this.boot}:${++this.lastId}`;
    const { stream, outlet } = outletStream(() => this.forget(id));
    const sub = newSubscriber(outlet, base64, pubsubLimit(limit));
    this.streams.set(id, sub);
    const counts = this.registry.add(sub, kind, names);
    if (confirm) names.forEach((name, i) => outlet.write(confirmationBytes(kind, name, counts[i], base64)));
    return { id, stream };
  }

  /**
   * The client went away: the worker says so when its side of the stream is cancelled (a cancel
   * does not always travel back through the RPC stream), and the subscriptions end at once.
   */
  close(id: string): void {
    this.streams.get(id)?.outlet.cut(CLOSED_BY_CLIENT);
  }

  /** A stream ended (cancelled, closed, or cut off at its buffer limit): it no longer counts anywhere. */
  private forget(id: string): void {
    const sub = this.streams.get(id);
    if (!sub) return;
    this.streams.delete(id);
    this.registry.remove(sub);
    if (this.monitors.delete(sub)) this.monitorsChanged();
  }

  /** PUBLISH: the receivers, as Redis counts them. */
  publish(channel: string, message: string): number {
    this.published++;
    return this.registry.publish(channel, message);
  }

  spublish(channel: string, message: string): number {
    this.published++;
    return this.registry.spublish(channel, message);
  }

  /** A pipeline's run of PUBLISH (or SPUBLISH, `shard`) to this hub, in order: the receivers of each. */
  publishMany(messages: [channel: string, message: string, shard: boolean][]): number[] {
    return messages.map(([channel, message, shard]) => (shard ? this.spublish(channel, message) : this.publish(channel, message)));
  }

  /** Keyspace notifications from a shard's batch, in order; nobody waits for the counts. */
  publishAll(messages: [string, string][]): void {
    for (const [channel, message] of messages) this.publish(channel, message);
  }

  numsub(kind: "channel" | "shard", channels: string[]): number[] {
    return this.registry.numsub(kind, channels);
  }

  numpat(): number {
    return this.registry.numpat();
  }

  channels(kind: "channel" | "shard", pattern: string | null): string[] {
    return this.registry.channels(kind, pattern);
  }

  stats(): HubStats {
    return { subscribers: this.registry.subscribers(), monitors: this.monitors.size, cutOff: this.registry.cutOff, published: this.published };
  }

  /** MONITOR: a stream of the commands every shard runs, from now on. */
  openMonitor(limit: string): { id: string; stream: ReadableStream<Uint8Array> } {
    const id = `${this.boot}:${++this.lastId}`;
    const { stream, outlet } = outletStream(() => this.forget(id));
    const sub = newSubscriber(outlet, false, pubsubLimit(limit));
    this.streams.set(id, sub);
    outlet.write(utf8.encode("data: OK\n\n"));
    this.monitors.add(sub);
    this.monitorsChanged();
    return { id, stream };
  }

  /** Renews the shards' lease while monitors are open, and stops when the last one closes. */
  private monitorsChanged(): void {
    if (this.monitors.size > 0 && this.monitorTimer === null) {
      this.renewMonitorLease();
      this.monitorTimer = setInterval(() => this.renewMonitorLease(), MONITOR_RENEW_MS);
    } else if (this.monitors.size === 0 && this.monitorTimer !== null) {
      clearInterval(this.monitorTimer);
      this.monitorTimer = null;
    }
  }

  /** Asks every shard to feed MONITOR lines until the lease runs out (a shard restarted meanwhile is asked again at the next renewal). */
  private renewMonitorLease(): void {
    const shards = Math.max(1, Math.min(1024, Number(this.env.SHARDS) || 1));
    const until = Date.now() + MONITOR_LEASE_MS;
    for (let i = 0; i < shards; i++) {
      const stub = this.env.SHARD.get(this.env.SHARD.idFromName(`shard-${i}`)) as unknown as { monitorUntil(ms: number): Promise<void> };
      stub.monitorUntil(until).catch((e: unknown) => console.error("monitor lease:", e instanceof Error ? e.message : e));
    }
  }

  /** Lines a shard ran, as MONITOR prints them, to every monitor stream. */
  feedMonitor(lines: string[]): void {
    if (this.monitors.size === 0) return;
    let text = "";
    for (const line of lines) text += `data: ${line}\n\n`;
    const bytes = utf8.encode(text);
    for (const sub of [...this.monitors]) this.registry.send(sub, bytes);
  }
}
