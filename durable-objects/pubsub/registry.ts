// Pub/sub's meeting point, pure: who is subscribed to which channel, pattern or shard channel, how
// a message becomes the event lines each subscriber reads (Upstash's `data: message,<ch>,<msg>`),
// and the per-stream output buffer limit (Redis's client-output-buffer-limit pubsub). The hub
// Durable Object gives it streams; nothing here touches Cloudflare APIs or is persisted.

import { globMatch } from "../engine/glob.js";
import { binaryToText } from "../engine/bytes.js";

export type SubscriptionKind = "channel" | "pattern" | "shard";

/** Redis's client-output-buffer-limit for one class: a hard byte limit, and a soft one held for so long. */
export interface BufferLimit {
  hardBytes: number;
  softBytes: number;
  softSeconds: number;
}

/** Redis's default for the pubsub class: 32mb 8mb 60. */
export const DEFAULT_PUBSUB_LIMIT: BufferLimit = { hardBytes: 32 * 1024 * 1024, softBytes: 8 * 1024 * 1024, softSeconds: 60 };

/** Where a subscriber's events go: a stream that holds what the client has not read yet. */
export interface Outlet {
  /** Queues one event's bytes. */
  write(bytes: Uint8Array): void;
  /** Bytes written and not yet taken by the client. */
  queued(): number;
  /** Drops what is queued and ends the stream (the client must reconnect). */
  cut(reason: string): void;
}

export interface Subscriber {
  readonly outlet: Outlet;
  /** Channel, pattern and message fields as base64 (binary-safe) rather than UTF-8 text. */
  readonly base64: boolean;
  readonly limit: BufferLimit;
  /** When the queue went over the soft limit and has stayed over it since, else null. */
  softSince: number | null;
  closed: boolean;
  readonly names: Map<SubscriptionKind, Set<string>>;
}

export function newSubscriber(outlet: Outlet, base64: boolean, limit: BufferLimit = DEFAULT_PUBSUB_LIMIT): Subscriber {
  return { outlet, base64, limit, softSince: null, closed: false, names: new Map() };
}

const utf8 = new TextEncoder();

/** A field of an event line, in the subscriber's encoding. Text cannot carry line breaks inside a data line. */
function field(s: string, base64: boolean): string {
  return base64 ? btoa(s) : binaryToText(s);
}

/**
 * One server-sent event: `data: <fields joined by commas>` and a blank line. In text, a line break
 * inside a field starts a new `data:` line, as the SSE format continues one event's data (an
 * EventSource joins them with "\n"; base64 never needs it).
 */
export function eventBytes(fields: string[], base64: boolean): Uint8Array {
  const data = fields.map((f, i) => (i === 0 ? f : field(f, base64))).join(",");
  return utf8.encode(`data: ${base64 ? data : data.replace(/\r\n|\r|\n/g, "\ndata: ")}\n\n`);
}

/** Parses the pubsub class out of a client-output-buffer-limit value ("normal 0 0 0 … pubsub 33554432 8388608 60"). */
export function pubsubLimit(value: string): BufferLimit {
  const parts = value.trim().split(/\s+/);
  for (let i = 0; i + 3 < parts.length; i += 4) {
    if (parts[i].toLowerCase() === "pubsub") {
      return { hardBytes: Number(parts[i + 1]), softBytes: Number(parts[i + 2]), softSeconds: Number(parts[i + 3]) };
    }
  }
  return DEFAULT_PUBSUB_LIMIT;
}

/** Channels, patterns and shard channels, and the subscribers of each. */
export class Registry {
  private readonly byKind: Record<SubscriptionKind, Map<string, Set<Subscriber>>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };
  /** Subscribers cut off for their buffer, counted for INFO-style reporting. */
  cutOff = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Subscribes; returns the subscriber's count of subscriptions after each name (Redis's confirmation count). */
  add(sub: Subscriber, kind: SubscriptionKind, names: string[]): number[] {
    const counts: number[] = [];
    let mine = sub.names.get(kind);
    if (!mine) sub.names.set(kind, (mine = new Set()));
    const map = this.byKind[kind];
    for (const name of names) {
      if (!mine.has(name)) {
        mine.add(name);
        let set = map.get(name);
        if (!set) map.set(name, (set = new Set()));
        set.add(sub);
      }
      counts.push(this.countOf(sub));
    }
    return counts;
  }

  private countOf(sub: Subscriber): number {
    let n = 0;
    for (const set of sub.names.values()) n += set.size;
    return n;
  }

  /** Drops every subscription of a closed stream, at once, so that counts stop including it. */
  remove(sub: Subscriber): void {
    if (sub.closed) return;
    sub.closed = true;
    for (const [kind, names] of sub.names) {
      const map = this.byKind[kind];
      for (const name of names) {
        const set = map.get(name);
        if (!set) continue;
        set.delete(sub);
        if (set.size === 0) map.delete(name);
      }
    }
  }

  /**
   * PUBLISH: a `message` to the channel's subscribers and a `pmessage` per matching pattern to its
   * subscribers. Returns the receivers as Redis counts them (a stream once per channel subscription
   * and once per matching pattern it holds).
   */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const direct = this.byKind.channel.get(channel);
    if (direct) receivers += this.deliver(direct, ["message", channel, message]);
    for (const [pattern, subs] of this.byKind.pattern) {
      if (globMatch(pattern, channel)) receivers += this.deliver(subs, ["pmessage", pattern, channel, message]);
    }
    return receivers;
  }

  /** SPUBLISH: shard-channel subscribers only. */
  spublish(channel: string, message: string): number {
    const subs = this.byKind.shard.get(channel);
    return subs ? this.deliver(subs, ["smessage", channel, message]) : 0;
  }

  /** Sends one event to each subscriber, encoding it once per encoding. */
  private deliver(subs: Set<Subscriber>, fields: string[]): number {
    let text: Uint8Array | null = null;
    let b64: Uint8Array | null = null;
    let n = 0;
    // A copy: a subscriber cut off while delivering leaves the set.
    for (const sub of [...subs]) {
      const bytes = sub.base64 ? (b64 ??= eventBytes(fields, true)) : (text ??= eventBytes(fields, false));
      this.send(sub, bytes);
      n++;
    }
    return n;
  }

  /**
   * Queues an event on a stream, then applies the buffer limit as Redis does after each append: over
   * the hard limit, or over the soft one for longer than its seconds, the stream is cut off.
   */
  send(sub: Subscriber, bytes: Uint8Array): void {
    if (sub.closed) return;
    sub.outlet.write(bytes);
    const queued = sub.outlet.queued();
    const { hardBytes, softBytes, softSeconds } = sub.limit;
    let over = hardBytes > 0 && queued > hardBytes;
    if (!over && softBytes > 0 && queued > softBytes) {
      const now = this.clock();
      sub.softSince ??= now;
      over = now - sub.softSince >= softSeconds * 1000;
    } else if (queued <= softBytes) sub.softSince = null;
    if (over) {
      this.remove(sub);
      this.cutOff++;
      sub.outlet.cut(`the stream's output buffer passed client-output-buffer-limit pubsub (${queued} bytes queued)`);
    }
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB: subscribers per channel. */
  numsub(kind: "channel" | "shard", channels: string[]): number[] {
    return channels.map((c) => this.byKind[kind].get(c)?.size ?? 0);
  }

  /** PUBSUB NUMPAT: distinct patterns subscribed to (Redis 7 counts patterns, not subscriptions). */
  numpat(): number {
    return this.byKind.pattern.size;
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS [pattern]: channels with at least one subscriber. */
  channels(kind: "channel" | "shard", pattern: string | null): string[] {
    const out: string[] = [];
    for (const name of this.byKind[kind].keys()) if (pattern === null || globMatch(pattern, name)) out.push(name);
    return out;
  }

  /** Streams open (for the hub's limits and INFO). */
  subscribers(): number {
    const all = new Set<Subscriber>();
    for (const map of Object.values(this.byKind)) for (const set of map.values()) for (const s of set) all.add(s);
    return all.size;
  }
}

/** A subscription's confirmation: `data: subscribe,<channel>,<count>` (psubscribe, ssubscribe alike). */
export function confirmationBytes(kind: SubscriptionKind, name: string, count: number, base64: boolean): Uint8Array {
  const verb = kind === "channel" ? "subscribe" : kind === "pattern" ? "psubscribe" : "ssubscribe";
  return utf8.encode(`data: ${verb},${field(name, base64).replace(/\r\n|\r|\n/g, " ")},${count}\n\n`);
}
