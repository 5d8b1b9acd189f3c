// Pub/sub over HTTP: PUBLISH, SPUBLISH and PUBSUB answered by the hub Durable Objects, and the event
// streams (/subscribe, /psubscribe, /ssubscribe, /monitor) opened on them. No subscription state here.

import { type Reply, errorReply } from "../durable-objects/engine/reply.js";
import { RedisError, noPermission } from "../durable-objects/engine/errors.js";
import { COMMANDS } from "../durable-objects/engine/commands/index.js";
import { PUBSUB_HELP, parsePubsub } from "../durable-objects/engine/commands/pubsub.js";
import { type HubStub, hubCount, hubOf, hubStub } from "../durable-objects/pubsub/hubs.js";
import { type SubscriptionKind, confirmationBytes } from "../durable-objects/pubsub/registry.js";
import type { HubCaller } from "./router.js";


const hubsOf = (env: Env): HubStub[] => Array.from({ length: hubCount(env) }, (_, i) => hubStub(env.PUBSUB, i));

/** Channels grouped by hub, each with its positions in the request. */
function byHub(channels: string[], hubs: number): Map<number, { names: string[]; at: number[] }> {
  const groups = new Map<number, { names: string[]; at: number[] }>();
  channels.forEach((c, at) => {
    const i = hubOf(c, hubs);
    let g = groups.get(i);
    if (!g) groups.set(i, (g = { names: [], at: [] }));
    g.names.push(c);
    g.at.push(at);
  });
  return groups;
}

async function numsub(env: Env, kind: "channel" | "shard", channels: string[]): Promise<Reply[]> {
  const counts: number[] = new Array(channels.length);
  await Promise.all(
    [...byHub(channels, hubCount(env))].map(async ([i, g]) => {
      const n = await hubStub(env.PUBSUB, i).numsub(kind, g.names);
      g.at.forEach((at, j) => (counts[at] = n[j]));
    }),
  );
  return channels.flatMap((c, i) => [c, counts[i]]);
}

async function runOne(env: Env, argv: string[], readonly: boolean): Promise<Reply> {
  const name = argv[0].toLowerCase();
  const spec = COMMANDS.get(name)!;
  if (readonly && spec.flags.includes("noreadonlytoken")) return errorReply(noPermission(argv[0]).message);
  const hubs = hubCount(env);
  if (name === "publish") return hubStub(env.PUBSUB, hubOf(argv[1], hubs)).publish(argv[1], argv[2]);
  if (name === "spublish") return hubStub(env.PUBSUB, hubOf(argv[1], hubs)).spublish(argv[1], argv[2]);
  const q = parsePubsub(argv);
  switch (q.sub) {
    case "help":
      return PUBSUB_HELP;
    case "numpat":
      // Every hub holds every pattern subscription.
      return hubStub(env.PUBSUB, 0).numpat();
    case "numsub":
    case "shardnumsub":
      return numsub(env, q.sub === "numsub" ? "channel" : "shard", q.channels);
    case "channels":
    case "shardchannels": {
      const kind = q.sub === "channels" ? "channel" : "shard";
      const lists = await Promise.all(hubsOf(env).map((h) => h.channels(kind, q.pattern)));
      return lists.flat();
    }
  }
}

/**
 * Runs a pipeline's pub/sub commands on the hubs, one after another (a publisher's messages keep their
 * order); consecutive PUBLISHes to one hub go in one call.
 */
export function hubCaller(env: Env): HubCaller {
  return async (batch, readonly) => {
    const out: Reply[] = [];
    const hubs = hubCount(env);
    for (let i = 0; i < batch.length; ) {
      const argv = batch[i];
      const name = argv[0].toLowerCase();
      if ((name === "publish" || name === "spublish") && !readonly) {
        const hub = hubOf(argv[1], hubs);
        const run: [string, string, boolean][] = [];
        for (; i < batch.length; i++) {
          const [cmd, channel, message] = batch[i];
          const n = cmd.toLowerCase();
          if ((n !== "publish" && n !== "spublish") || hubOf(channel, hubs) !== hub) break;
          run.push([channel, message, n === "spublish"]);
        }
        out.push(...(await hubStub(env.PUBSUB, hub).publishMany(run)));
        continue;
      }
      try {
        out.push(await runOne(env, argv, readonly));
      } catch (e) {
        if (!(e instanceof RedisError)) throw e;
        out.push(errorReply(e.message));
      }
      i++;
    }
    return out;
  };
}

const SSE_HEADERS = {
  "content-type": "text/event-stream",
  "cache-control": "no-cache",
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "upstash-sync-token",
};

/** An event stream; `cors: false` for MONITOR, which only the admin token opens. */
export const sseResponse = (body: ReadableStream<Uint8Array>, cors = true) =>
  new Response(body, { status: 200, headers: cors ? SSE_HEADERS : { "content-type": "text/event-stream", "cache-control": "no-cache" } });

/** Where the worker gives a merged stream back pressure: it reads from the hubs no faster than the client. */
const MERGE_HIGH_WATER = 64 * 1024;

function indexOfEventEnd(buf: Uint8Array): number {
  for (let i = buf.length - 2; i >= 0; i--) if (buf[i] === 10 && buf[i + 1] === 10) return i + 2;
  return -1;
}

/**
 * One client stream from several hubs' streams: the confirmations first, then whole events from each
 * source as they come (a chunk may end mid-event; the rest waits for its source's next chunk). When
 * any source ends (a hub evicted, a stream cut off at its buffer limit) the whole stream ends, so the
 * client reconnects to a full set of subscriptions rather than silently missing some.
 */
export function mergeEvents(head: Uint8Array, sources: ReadableStream<Uint8Array>[], onEnd: () => Promise<unknown>): ReadableStream<Uint8Array> {
  const readers = sources.map((s) => s.getReader());
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let waiting: (() => void)[] = [];
  let ended = false;
  const end = (error: unknown) => {
    if (ended) return;
    ended = true;
    onEnd().catch(() => {});
    for (const r of readers) r.cancel(error).catch(() => {});
    for (const w of waiting) w();
    waiting = [];
    if (error === null) controller.close();
    else controller.error(error);
  };
  const room = () =>
    new Promise<void>((resolve) => {
      if ((controller.desiredSize ?? 0) > 0 || ended) resolve();
      else waiting.push(resolve);
    });
  async function pump(reader: ReadableStreamDefaultReader<Uint8Array>) {
    let pending: Uint8Array = new Uint8Array(0);
    try {
      while (!ended) {
        await room();
        if (ended) return;
        const { done, value } = await reader.read();
        if (done) return end(null);
        let buf: Uint8Array = value;
        if (pending.length) {
          buf = new Uint8Array(pending.length + value.length);
          buf.set(pending);
          buf.set(value, pending.length);
        }
        const cut = indexOfEventEnd(buf);
        if (cut < 0) pending = buf;
        else {
          controller.enqueue(buf.subarray(0, cut));
          pending = buf.slice(cut);
        }
      }
    } catch (e) {
      end(e);
    }
  }
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
        if (head.length > 0) c.enqueue(head);
        for (const r of readers) void pump(r);
      },
      pull() {
        const w = waiting;
        waiting = [];
        for (const resolve of w) resolve();
      },
      async cancel(reason) {
        if (ended) return;
        ended = true;
        for (const r of readers) r.cancel(reason).catch(() => {});
        // Awaited, so that the calls go out before the request's context ends.
        await onEnd();
      },
    },
    { highWaterMark: MERGE_HIGH_WATER, size: (chunk) => chunk.byteLength },
  );
}

/**
 * Opens a subscriber's stream: on the one hub its channels live on (which confirms them itself), or
 * merged from each hub involved (patterns are on every hub). `limit` is client-output-buffer-limit.
 */
export async function openSubscription(env: Env, kind: SubscriptionKind, names: string[], base64: boolean, limit: string): Promise<ReadableStream<Uint8Array>> {
  const hubs = hubCount(env);
  const groups = kind === "pattern" ? new Map(hubsOf(env).map((_, i) => [i, { names, at: [] as number[] }])) : byHub(names, hubs);
  // One hub confirms the subscriptions itself; over several, the worker does.
  const single = groups.size === 1;
  const opened = await Promise.all([...groups].map(async ([i, g]) => ({ hub: hubStub(env.PUBSUB, i), ...(await hubStub(env.PUBSUB, i).open(kind, g.names, base64, limit, single)) })));
  let head = new Uint8Array(0);
  if (!single) {
    const seen = new Set<string>();
    const parts = names.map((n) => (seen.add(n), confirmationBytes(kind, n, seen.size, base64)));
    head = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    parts.reduce((at, p) => (head.set(p, at), at + p.length), 0);
  }
  return mergeEvents(
    head,
    opened.map((o) => o.stream),
    () => closeOnHubs(opened),
  );
}

/** Tells each hub a stream ended (the client left, or another hub's part of it ended). */
function closeOnHubs(opened: { hub: HubStub; id: string }[]): Promise<unknown> {
  return Promise.all(opened.map(({ hub, id }) => hub.close(id).catch(() => {})));
}

/** MONITOR's stream, on hub 0. */
export async function openMonitor(env: Env, limit: string): Promise<ReadableStream<Uint8Array>> {
  const hub = hubStub(env.PUBSUB, 0);
  const { id, stream } = await hub.openMonitor(limit);
  return mergeEvents(new Uint8Array(0), [stream], () => closeOnHubs([{ hub, id }]));
}
