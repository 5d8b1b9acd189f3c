// Differential test of keyspace notifications against a real redis-server 7.0: the seeded command
// streams of the other differentials (every family, streams included) run on our Engine and on Redis
// with the same notify-keyspace-events; a subscriber to `__key*__:*` on Redis collects what Redis
// publishes, our notificationSink what we raise, and the two are compared exactly, command by command.
// Redis runs with active expiry off (DEBUG SET-ACTIVE-EXPIRE 0), so keys set already expired (SET …
// PXAT 1) expire only when touched, on both sides alike; active expiry is compared at the end, as sets.
// Used by scripts/differential/notify.test.ts (short seeded runs) and scripts/differential-notify-cli.mjs.

import { Engine } from "../../durable-objects/engine/engine.js";
import { seededRandom } from "../../durable-objects/engine/testing.js";
import { compareBytes } from "../../durable-objects/engine/bytes.js";
import { type Reply, isErrorReply } from "../../durable-objects/engine/reply.js";
import { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { CommandStream } from "./command-stream.js";
import { mixedLexSource } from "./compare.js";
import { KEY_SPACE } from "./gen.js";
import { show } from "./replies.js";
import { StreamCommandGen } from "./streams.js";

export interface NotifyDiffOptions {
  seed: number;
  count: number;
  /** notify-keyspace-events on both sides (e.g. "KEA"). */
  flags: string;
  /** Share of stream commands among the generated ones (default 0.15). */
  streamShare?: number;
  /** Share of commands preceded by a PEXPIRE key 1 that then runs out (default 0.03). */
  expiryShare?: number;
}

export interface NotifyMismatch {
  index: number;
  argv: string[];
  ours: string[];
  redis: string[];
}

export interface NotifyDiffResult {
  flags: string;
  commands: number;
  /** Notifications compared (Redis's side). */
  events: number;
  /** Event names seen, with counts, for coverage. */
  byEvent: Map<string, number>;
  mismatches: NotifyMismatch[];
}

type Message = [channel: string, message: string];

const MARK = "__differential_mark__";
const PATTERN = "__key*__:*";

/** A connection in subscribe mode: keyspace messages, each batch ended by a marker message. */
class Subscriber {
  private pending: Message[] = [];
  private readonly marks = new Map<string, (m: Message[]) => void>();
  private ready: () => void = () => {};
  private confirmations = 0;

  private constructor(private readonly client: RespClient) {
    // In subscribe mode nothing answers a call: every reply is a push.
    client.onPush = (r) => this.onPush(r);
  }

  static async connect(port: number): Promise<Subscriber> {
    const sub = new Subscriber(await RespClient.connect(port));
    const ready = new Promise<void>((resolve) => (sub.ready = resolve));
    sub.client.send("PSUBSCRIBE", PATTERN);
    sub.client.send("SUBSCRIBE", MARK);
    await ready;
    return sub;
  }

  private onPush(r: Reply): void {
    if (!Array.isArray(r)) return;
    const kind = r[0] as string;
    if (kind === "psubscribe" || kind === "subscribe") {
      if (++this.confirmations === 2) this.ready();
    } else if (kind === "pmessage") this.pending.push([r[2] as string, r[3] as string]);
    else if (kind === "message" && r[1] === MARK) {
      const batch = this.pending;
      this.pending = [];
      this.marks.get(r[2] as string)?.(batch);
      this.marks.delete(r[2] as string);
    }
  }

  /** The messages published before the marker `id` (which the caller publishes after this call). */
  until(id: string): Promise<Message[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no marker ${id} from redis-server within 10 s`)), 10_000);
      this.marks.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * One command on Redis. A stream read with BLOCK goes inside MULTI, where Redis does not block (as we
 * never do over HTTP), as in scripts/differential/streams.ts.
 */
async function callRedis(conn: RespClient, argv: string[]): Promise<Reply> {
  if (!argv.some((a) => a.toUpperCase() === "BLOCK")) return conn.call(...argv);
  void conn.call("MULTI");
  const queued = conn.call(...argv);
  const exec = await conn.call("EXEC");
  if (isErrorReply(await queued)) return queued;
  return (exec as Reply[])[0];
}

const text = ([channel, message]: Message): string => `${show(channel)} ${show(message)}`;

/** Names of keys our engine holds past their expiry (not yet reclaimed). */
function expiredKeys(engine: Engine, now: number): string[] {
  return [...engine.db.expires.keys()].filter((k) => engine.db.isExpired(k, now)).sort(compareBytes);
}

/**
 * Runs `count` generated commands with notify-keyspace-events `flags` on both sides and compares the
 * notifications of each. `conn` and `port` are a redis-server started with --enable-debug-command yes.
 */
export async function runNotifyDifferential(conn: RespClient, port: number, opts: NotifyDiffOptions): Promise<NotifyDiffResult> {
  await conn.call("FLUSHALL");
  for (const argv of [["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["CONFIG", "SET", "notify-keyspace-events", opts.flags]]) {
    const r = await conn.call(...argv);
    if (isErrorReply(r)) throw new Error(`${argv.join(" ")}: ${r.error}`);
  }
  const sub = await Subscriber.connect(port);

  let now = Date.now();
  const engine = new Engine({ clock: () => now, random: seededRandom(opts.seed ^ 0x2545f491), config: { "notify-keyspace-events": opts.flags } });
  let ours: Message[] = [];
  engine.notificationSink = (messages) => ours.push(...messages);

  const stream = new CommandStream(opts.seed, (n) => engine.lookup(n) !== undefined, 0.03);
  const streams = new StreamCommandGen(opts.seed * 7 + 1);
  const pick = seededRandom(opts.seed ^ 0x7f4a7c15);
  const streamShare = opts.streamShare ?? 0.15;
  const expiryShare = opts.expiryShare ?? 0.03;

  const result: NotifyDiffResult = { flags: opts.flags, commands: 0, events: 0, byEvent: new Map(), mismatches: [] };
  let marker = 0;

  /** Runs argv on both sides; the replies and each side's notifications. */
  const both = async (argv: string[]): Promise<{ reply: Reply; theirs: Reply; ours: Message[]; redis: Message[] }> => {
    now = Date.now();
    ours = [];
    const reply = engine.execute(argv);
    const id = String(marker++);
    const redis = sub.until(id);
    const theirs = callRedis(conn, argv);
    await conn.call("PUBLISH", MARK, id);
    try {
      return { reply, theirs: await theirs, ours, redis: await redis };
    } catch (e) {
      throw new Error(`${(e as Error).message} (after ${argv.map((x) => show(x)).join(" ").slice(0, 300)})`);
    }
  };

  const compare = (index: number, argv: string[], a: Message[], b: Message[]) => {
    result.events += b.length;
    for (const [channel, message] of b) {
      const event = channel.startsWith("__keyevent@") ? channel.slice(channel.indexOf(":") + 1) : message;
      result.byEvent.set(event, (result.byEvent.get(event) ?? 0) + 1);
    }
    const x = a.map(text);
    const y = b.map(text);
    if (x.length !== y.length || x.some((t, i) => t !== y[i])) result.mismatches.push({ index, argv, ours: x, redis: y });
  };

  try {
    for (let index = 0; index < opts.count; index++) {
      const argv = pick() < streamShare ? streams.next() : stream.next();
      const name = argv[0].toLowerCase();
      // Now and then a key of any type gets 1 ms to live, and the run waits it out: later commands on
      // it meet it expired (lazy expiry on every command path). Redis's clock is the system's, as ours.
      if (pick() < expiryShare) {
        const key = pick() < 0.8 ? KEY_SPACE[Math.floor(pick() * KEY_SPACE.length)] : `s${Math.floor(pick() * 4)}`;
        const before = await conn.call("DBSIZE");
        const r = await both(["PEXPIRE", key, "1"]);
        // Redis reads its clock twice (the base time, then "already expired?"): when a millisecond
        // passes between them it deletes the key at once. That is Redis's timing, not a difference of
        // ours: follow it, and compare the next time.
        if (r.reply === 1 && (await conn.call("DBSIZE")) !== before) engine.db.delete(key);
        else compare(index, ["PEXPIRE", key, "1"], r.ours, r.redis);
        const until = Date.now() + 3;
        while (Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 1));
      }

      // Commands that walk or sample the keyspace meet expired keys in an order of their own (SCAN's
      // cursor, RANDOMKEY's draw): reclaim those first, on both sides, by touching them in one order.
      if (name === "scan" || name === "randomkey" || name === "dbsize") {
        const expired = expiredKeys(engine, Date.now());
        if (expired.length > 0) {
          const r = await both(["EXISTS", ...expired]);
          compare(index, ["EXISTS", ...expired], r.ours, r.redis);
        }
      }
      // Redis's SORT reads a stale errno (see scripts/differential/compare.ts): clear it, as that differential does.
      if (name === "sort" || name === "sort_ro") await conn.call("ZUNION", "1", "__differential_errno__", "WEIGHTS", "1");

      // A lex range over members of different scores is unspecified in Redis (scripts/differential/compare.ts):
      // what a removal or store by it leaves may differ, so its events are not compared and the key
      // it wrote starts afresh on both sides.
      const mixedLex = name === "zremrangebylex" || name === "zrangestore" ? mixedLexSource(engine, argv, Date.now()) : null;

      const r = await both(argv);
      streams.learn(argv, r.reply);
      result.commands++;
      if (mixedLex === null) compare(index, argv, r.ours, r.redis);
      else await both(["DEL", argv[1]]);

      // SPOP took different members on each side: remove the other side's too (not compared).
      if (name === "spop" && !isErrorReply(r.reply) && !isErrorReply(r.theirs)) {
        const set = (x: Reply) => new Set(Array.isArray(x) ? (x as string[]) : x === null ? [] : [x as string]);
        const a = set(r.reply);
        const b = set(r.theirs);
        const onlyTheirs = [...b].filter((m) => !a.has(m));
        const onlyOurs = [...a].filter((m) => !b.has(m));
        if (onlyTheirs.length > 0) engine.execute(["SREM", argv[1], ...onlyTheirs]);
        if (onlyOurs.length > 0) {
          const id = String(marker++);
          const drained = sub.until(id);
          await conn.call("SREM", argv[1], ...onlyOurs);
          await conn.call("PUBLISH", MARK, id);
          await drained;
        }
      }
    }

    // Active expiry: what both reclaim by themselves, compared as sets (the order is each one's own).
    const pendingExpired = expiredKeys(engine, Date.now());
    if (pendingExpired.length > 0) {
      ours = [];
      now = Date.now();
      while (engine.activeExpireCycle(25) > 0) {
        // Cycles until nothing expired is left.
      }
      const id = String(marker++);
      const redis = sub.until(id);
      await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "1");
      for (let i = 0; i < 200; i++) {
        // KEYS leaves expired keys alone (DBSIZE counts them): equal counts, nothing expired is left.
        const size = (await conn.call("DBSIZE")) as number;
        const keys = (await conn.call("KEYS", "*")) as string[];
        if (size === keys.length) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0");
      await conn.call("PUBLISH", MARK, id);
      const sorted = (m: Message[]) => [...m].sort((x, y) => compareBytes(text(x), text(y)));
      compare(-1, ["(active expiry)", ...pendingExpired], sorted(ours), sorted(await redis));
    }
  } finally {
    sub.close();
    await conn.call("CONFIG", "SET", "notify-keyspace-events", "");
  }
  return result;
}

export function formatNotifyResult(r: NotifyDiffResult, limit = 20): string {
  const lines = [`flags ${r.flags}: ${r.commands} commands, ${r.events} notifications from Redis, ${r.mismatches.length} mismatches`];
  const events = [...r.byEvent].sort((a, b) => b[1] - a[1]).map(([e, n]) => `${e} ${n}`);
  if (events.length > 0) lines.push(`  events: ${events.join(", ")}`);
  for (const m of r.mismatches.slice(0, limit)) {
    lines.push(`#${m.index} ${m.argv.map((a) => show(a)).join(" ").slice(0, 300)}`);
    lines.push(`  ours:  ${m.ours.join(" | ") || "(none)"}`);
    lines.push(`  redis: ${m.redis.join(" | ") || "(none)"}`);
  }
  return lines.join("\n");
}
