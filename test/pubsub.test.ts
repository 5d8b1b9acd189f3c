// Pub/sub over server-sent events: PUBLISH and PUBSUB on the hubs, /subscribe, /psubscribe and
// /ssubscribe streams, MONITOR, and the per-stream buffer limit.
import { SELF, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Redis } from "@upstash/redis/cloudflare";
import { ADMIN_TOKEN, adminCmd, cmd, post, READONLY_TOKEN, TOKEN, uniq, useWorkerFetch } from "./helpers.js";
import type { PubSubHub } from "../durable-objects/pubsub-hub.js";
import type { Shard } from "../durable-objects/shard.js";

/** An open event stream: its `data:` payloads, read as they come. */
class Events {
  private buffer = "";
  private readonly decoder = new TextDecoder();
  constructor(
    readonly res: Response,
    private readonly reader = res.body!.getReader(),
  ) {}

  /** The next `n` events' data (multi-line data joined with "\n"). */
  async take(n: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < n) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const event = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        out.push(event.split("\n").map((l) => l.replace(/^data: /, "")).join("\n"));
        continue;
      }
      const { done, value } = await this.reader.read();
      if (done) throw new Error(`stream ended after ${out.length} of ${n} events`);
      this.buffer += this.decoder.decode(value, { stream: true });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.reader.cancel();
  }
}

async function open(path: string, token = TOKEN, init: RequestInit = {}): Promise<Events> {
  const res = await SELF.fetch(`http://localhost${path}`, { method: "POST", body: "[]", ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  return new Events(res);
}

const hub = () => env.PUBSUB.get(env.PUBSUB.idFromName("pubsub-0"));

/** Waits (yielding, no timers) until a hub's count is what is expected: a cancelled stream reaches the hub asynchronously. */
async function eventually<T>(read: () => Promise<T>, want: T): Promise<T> {
  let got = await read();
  for (let i = 0; i < 2000 && JSON.stringify(got) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 0));
    got = await read();
  }
  return got;
}

describe("PUBLISH and /subscribe", () => {
  it("a subscriber gets its confirmation, then each message published to its channel", async () => {
    const ch = uniq("ch");
    const s = await open(`/subscribe/${ch}`);
    expect(await s.take(1)).toEqual([`subscribe,${ch},1`]);
    expect((await cmd("PUBLISH", ch, "hello")).body).toEqual({ result: 1 });
    expect((await cmd("PUBLISH", `${ch}-other`, "nobody")).body).toEqual({ result: 0 });
    expect((await cmd("PUBLISH", ch, '{"a":1}')).body).toEqual({ result: 1 });
    expect(await s.take(2)).toEqual([`message,${ch},hello`, `message,${ch},{"a":1}`]);
    await s.close();
  });

  it("PUBSUB NUMSUB counts streams and drops a closed one", async () => {
    const ch = uniq("ch");
    const a = await open(`/subscribe/${ch}`);
    const b = await open(`/subscribe/${ch}`);
    await a.take(1);
    await b.take(1);
    expect((await cmd("PUBSUB", "NUMSUB", ch, "none")).body).toEqual({ result: [ch, 2, "none", 0] });
    expect((await cmd("PUBSUB", "CHANNELS", `${ch}*`)).body).toEqual({ result: [ch] });
    await a.close();
    const numsub = async () => (await cmd("PUBSUB", "NUMSUB", ch)).body.result;
    expect(await eventually(numsub, [ch, 1])).toEqual([ch, 1]);
    expect((await cmd("PUBLISH", ch, "x")).body).toEqual({ result: 1 });
    await b.close();
    expect(await eventually(numsub, [ch, 0])).toEqual([ch, 0]);
    expect((await cmd("PUBSUB", "CHANNELS", `${ch}*`)).body).toEqual({ result: [] });
  });

  it("several channels on one stream confirm with a running count, in path order", async () => {
    const [c1, c2] = [uniq("a"), uniq("b")];
    const s = await open(`/subscribe/${c1}/${c2}`);
    expect(await s.take(2)).toEqual([`subscribe,${c1},1`, `subscribe,${c2},2`]);
    await cmd("PUBLISH", c2, "two");
    await cmd("PUBLISH", c1, "one");
    expect(await s.take(2)).toEqual([`message,${c2},two`, `message,${c1},one`]);
    await s.close();
  });
});

describe("PUBSUB replies", () => {
  it("answer Redis 7's errors and HELP", async () => {
    expect((await cmd("PUBSUB", "NUMPAT", "x")).body).toEqual({ error: "ERR wrong number of arguments for 'pubsub|numpat' command" });
    expect((await cmd("PUBSUB", "FOO")).body).toEqual({ error: "ERR unknown subcommand 'FOO'. Try PUBSUB HELP." });
    expect((await cmd("PUBSUB", "CHANNELS", "a", "b")).body).toEqual({ error: "ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP." });
    expect((await cmd("PUBSUB")).body).toEqual({ error: "ERR wrong number of arguments for 'pubsub' command" });
    expect((await cmd("PUBLISH", "a")).body).toEqual({ error: "ERR wrong number of arguments for 'publish' command" });
    expect((await cmd("PUBSUB", "NUMSUB")).body).toEqual({ result: [] });
    expect((await cmd("PUBSUB", "HELP")).body.result[0]).toBe("PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  });

  it("PUBLISH needs the data token; the read-only token may count", async () => {
    const ro = { authorization: `Bearer ${READONLY_TOKEN}` };
    expect((await post("/", ["PUBLISH", "c", "m"], ro)).body).toEqual({ error: "NOPERM this user has no permissions to run the 'publish' command" });
    expect((await post("/", ["PUBSUB", "NUMSUB", "c"], ro)).body).toEqual({ result: ["c", 0] });
  });

  it("PUBLISH inside /multi-exec is refused as a whole, as commands not allowed in a transaction are", async () => {
    const r = await post("/multi-exec", [["SET", "k", "v"], ["PUBLISH", "c", "m"]]);
    expect(r.body).toEqual({ error: "EXECABORT Transaction discarded because of previous errors. ERR Command not allowed inside a transaction" });
  });

  it("a pipeline's PUBLISHes reach the subscriber in order, beside other commands", async () => {
    const ch = uniq("ch");
    const s = await open(`/subscribe/${ch}`);
    await s.take(1);
    const r = await post("/pipeline", [["PUBLISH", ch, "1"], ["SET", ch, "v"], ["PUBLISH", ch, "2"], ["GET", ch]]);
    expect(r.body).toEqual([{ result: 1 }, { result: "OK" }, { result: 1 }, { result: "v" }]);
    expect(await s.take(2)).toEqual([`message,${ch},1`, `message,${ch},2`]);
    await s.close();
  });
});

describe("Stream auth", () => {
  it("subscribing needs the data or read-only token; MONITOR the admin token", async () => {
    const bad = await SELF.fetch("http://localhost/subscribe/c", { method: "POST", body: "[]", headers: { authorization: "Bearer nope" } });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: "WRONGPASS invalid or missing auth token" });
    const ro = await open("/subscribe/ro-chan", READONLY_TOKEN);
    expect(await ro.take(1)).toEqual(["subscribe,ro-chan,1"]);
    await ro.close();
    const notAdmin = await SELF.fetch("http://localhost/monitor", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(notAdmin.status).toBe(401);
    await notAdmin.text();
  });
});

describe("Patterns and many subscribers", () => {
  it("one publisher, 100 subscribers over two channels and a pattern: each gets every message once, in publish order", async () => {
    const numpat = async () => (await cmd("PUBSUB", "NUMPAT")).body.result;
    expect(await eventually(numpat, 0)).toBe(0);
    const base = uniq("fan");
    const [c1, c2, pattern] = [`${base}:one`, `${base}:two`, `${base}:*`];
    const subs: { events: Events; path: string }[] = [];
    for (let i = 0; i < 100; i++) {
      const path = i < 40 ? `/subscribe/${c1}` : i < 80 ? `/subscribe/${c2}` : `/psubscribe/${pattern}`;
      subs.push({ events: await open(path), path });
    }
    for (const { events, path } of subs) {
      const [, name] = path.slice(1).split("/");
      expect(await events.take(1)).toEqual([`${path.startsWith("/psub") ? "psubscribe" : "subscribe"},${name},1`]);
    }
    expect((await cmd("PUBSUB", "NUMSUB", c1, c2, pattern)).body).toEqual({ result: [c1, 40, c2, 40, pattern, 0] });
    expect(await numpat()).toBe(1);
    const sent: [string, string][] = [];
    for (let i = 0; i < 30; i++) {
      const ch = i % 3 === 2 ? c2 : c1;
      const msg = `m${i}`;
      expect((await cmd("PUBLISH", ch, msg)).body).toEqual({ result: 60 });
      sent.push([ch, msg]);
    }
    const expected = (path: string) =>
      path.startsWith("/psub")
        ? sent.map(([ch, m]) => `pmessage,${pattern},${ch},${m}`)
        : sent.filter(([ch]) => path.endsWith(ch)).map(([ch, m]) => `message,${ch},${m}`);
    for (const { events, path } of subs) {
      const want = expected(path);
      expect(await events.take(want.length)).toEqual(want);
    }
    // Nothing more arrives: one more message is the next event on every stream.
    await cmd("PUBLISH", c1, "last");
    await cmd("PUBLISH", c2, "last");
    for (const { events, path } of subs) {
      const next = path.startsWith("/psub") ? `pmessage,${pattern},${c1},last` : `message,${path.endsWith(c1) ? c1 : c2},last`;
      expect(await events.take(1)).toEqual([next]);
    }
    for (const { events } of subs.slice(0, 10)) await events.close();
    for (const { events } of subs.slice(80, 90)) await events.close();
    const counts = async () => (await cmd("PUBSUB", "NUMSUB", c1, c2)).body.result;
    expect(await eventually(counts, [c1, 30, c2, 40])).toEqual([c1, 30, c2, 40]);
    expect((await cmd("PUBLISH", c1, "after")).body).toEqual({ result: 40 });
    expect(await numpat()).toBe(1);
    for (const { events } of [...subs.slice(10, 80), ...subs.slice(90)]) await events.close();
    expect(await eventually(numpat, 0)).toBe(0);
    expect(await eventually(counts, [c1, 0, c2, 0])).toEqual([c1, 0, c2, 0]);
  });

  it("a stream subscribed to two matching patterns gets the message under each, and counts twice", async () => {
    const base = uniq("pp");
    const s = await open(`/psubscribe/${base}:*/${base}:%3F`);
    expect(await s.take(2)).toEqual([`psubscribe,${base}:*,1`, `psubscribe,${base}:?,2`]);
    expect((await cmd("PUBLISH", `${base}:x`, "hi")).body).toEqual({ result: 2 });
    expect(await s.take(2)).toEqual([`pmessage,${base}:*,${base}:x,hi`, `pmessage,${base}:?,${base}:x,hi`]);
    await s.close();
  });

  it("SPUBLISH reaches /ssubscribe streams only, and PUBSUB SHARD* count them", async () => {
    const ch = uniq("sh");
    const shard = await open(`/ssubscribe/${ch}`);
    const plain = await open(`/subscribe/${ch}`);
    expect(await shard.take(1)).toEqual([`ssubscribe,${ch},1`]);
    await plain.take(1);
    expect((await cmd("SPUBLISH", ch, "s")).body).toEqual({ result: 1 });
    expect((await cmd("PUBLISH", ch, "p")).body).toEqual({ result: 1 });
    expect(await shard.take(1)).toEqual([`smessage,${ch},s`]);
    expect(await plain.take(1)).toEqual([`message,${ch},p`]);
    expect((await cmd("PUBSUB", "SHARDNUMSUB", ch)).body).toEqual({ result: [ch, 1] });
    expect((await cmd("PUBSUB", "SHARDCHANNELS", ch)).body).toEqual({ result: [ch] });
    await shard.close();
    await plain.close();
  });
});

describe("Encoding", () => {
  it("?encoding=base64 sends channel and message as base64 of their bytes; text breaks a line break into data lines", async () => {
    const ch = uniq("bin");
    const b64 = await open(`/subscribe/${ch}?encoding=base64`);
    const text = await open(`/subscribe/${ch}`);
    expect(await b64.take(1)).toEqual([`subscribe,${btoa(ch)},1`]);
    await text.take(1);
    // Bytes 0xff 0x00 and a line break, sent as a raw body (the last argument of a path-style command).
    const res = await SELF.fetch(`http://localhost/publish/${ch}`, { method: "POST", body: new Uint8Array([0xff, 0x00, 0x0a, 0x41]), headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ result: 2 });
    expect(await b64.take(1)).toEqual([`message,${btoa(ch)},${btoa("\xff\x00\nA")}`]);
    expect(await text.take(1)).toEqual([`message,${ch},\ufffd\u0000\nA`]);
    await b64.close();
    await text.close();
  });
});

describe("Back-pressure", () => {
  it("a subscriber that does not read is cut off at client-output-buffer-limit pubsub while the others keep receiving", async () => {
    expect((await adminCmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 64kb 0 0")).body).toEqual({ result: "OK" });
    try {
      const ch = uniq("slow");
      const slow = await open(`/subscribe/${ch}`);
      const fast = await open(`/subscribe/${ch}`);
      await slow.take(1);
      await fast.take(1);
      const payload = "x".repeat(8192);
      const counts: number[] = [];
      for (let i = 0; i < 200; i++) {
        counts.push((await cmd("PUBLISH", ch, `${i}:${payload}`)).body.result);
        expect(await fast.take(1)).toEqual([`message,${ch},${i}:${payload}`]);
      }
      // The slow stream counted until it was cut off, then never again; the fast one throughout.
      const cut = counts.indexOf(1);
      expect(cut).toBeGreaterThan(0);
      expect(counts.slice(0, cut).every((n) => n === 2)).toBe(true);
      expect(counts.slice(cut).every((n) => n === 1)).toBe(true);
      expect((await cmd("PUBSUB", "NUMSUB", ch)).body).toEqual({ result: [ch, 1] });
      expect((await hub().stats()).cutOff).toBeGreaterThanOrEqual(1);
      // The cut stream ends in an error once what reached the worker is read.
      await expect(slow.take(1000)).rejects.toThrow();
      await fast.close();
    } finally {
      await adminCmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
    }
  });
});

describe("MONITOR", () => {
  it("streams the commands every shard runs, as Redis prints them, to the admin token", async () => {
    const m = await open("/monitor", ADMIN_TOKEN, { method: "GET", body: undefined });
    expect(await m.take(1)).toEqual(["OK"]);
    const k = uniq("mon");
    // The hub asks the shards for lines; a command before the lease reaches them is not shown.
    let line = "";
    for (let i = 0; i < 100 && !line.includes(`"get" "${k}"`); i++) {
      await cmd("get", k);
      line = (await m.take(1))[0];
    }
    expect(line).toMatch(new RegExp(`^\\d+\\.\\d{6} \\[0 127\\.0\\.0\\.1:0\\] "get" "${k}"$`));
    await post("/multi-exec", [["SET", k, "a\"b\n"], ["CONFIG", "GET", "maxmemory"]]);
    const lines = await m.take(3);
    expect(lines.map((l) => l.replace(/^\S+ \[0 [^\]]+\] /, ""))).toEqual(['"multi"', `"SET" "${k}" "a\\"b\\n"`, '"exec"']);
    await m.close();
  });
});

describe("@upstash/redis", () => {
  useWorkerFetch();
  it("subscribe() receives what publish() sends", async () => {
    const redis = new Redis({ url: "http://localhost", token: TOKEN });
    const ch = uniq("client");
    const sub = redis.subscribe<{ n: number }>([ch]);
    const subscribed = new Promise<number>((resolve) => sub.on("subscribe", resolve));
    const got: { n: number }[] = [];
    const two = new Promise<void>((resolve) =>
      sub.on("message", ({ message }) => {
        got.push(message);
        if (got.length === 2) resolve();
      }),
    );
    expect(await subscribed).toBe(1);
    expect(await redis.publish(ch, { n: 1 })).toBe(1);
    expect(await redis.publish(ch, { n: 2 })).toBe(1);
    await two;
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    await sub.unsubscribe();
  });
});

describe("Keyspace notifications and hub restarts", () => {
  it("what a shard's engine hands its notification sink reaches pattern subscribers through the hub", async () => {
    const s = await open("/psubscribe/__key*__:*");
    expect(await s.take(1)).toEqual(["psubscribe,__key*__:*,1"]);
    const k = uniq("nk");
    const shard = env.SHARD.get(env.SHARD.idFromName("shard-0"));
    await runInDurableObject(shard, async (i: Shard) => {
      i.engine.notificationSink([
        [`__keyspace@0__:${k}`, "set"],
        ["__keyevent@0__:set", k],
      ]);
    });
    expect(await s.take(2)).toEqual([`pmessage,__key*__:*,__keyspace@0__:${k},set`, `pmessage,__key*__:*,__keyevent@0__:set,${k}`]);
    await s.close();
  });

  it("with notify-keyspace-events set, a SET on the shard reaches a __key*__:* subscriber as Redis names it", async () => {
    expect((await adminCmd("CONFIG", "SET", "notify-keyspace-events", "KEA")).body).toEqual({ result: "OK" });
    try {
      const s = await open("/psubscribe/__key*__:*");
      await s.take(1);
      const k = uniq("live");
      await cmd("SET", k, "v");
      expect(await s.take(2)).toEqual([`pmessage,__key*__:*,__keyspace@0__:${k},set`, `pmessage,__key*__:*,__keyevent@0__:set,${k}`]);
      await s.close();
    } finally {
      await adminCmd("CONFIG", "SET", "notify-keyspace-events", "");
    }
  });

  it("when a hub restarts its open streams end; a new subscription counts from zero", async () => {
    const ch = uniq("restart");
    const s = await open(`/subscribe/${ch}`);
    await s.take(1);
    await runInDurableObject(hub(), async (_i: PubSubHub, state) => {
      state.abort("redeployed");
    }).catch(() => {});
    await expect(s.take(1)).rejects.toThrow();
    expect((await cmd("PUBSUB", "NUMSUB", ch)).body).toEqual({ result: [ch, 0] });
    const again = await open(`/subscribe/${ch}`);
    expect(await again.take(1)).toEqual([`subscribe,${ch},1`]);
    expect((await cmd("PUBLISH", ch, "back")).body).toEqual({ result: 1 });
    expect(await again.take(1)).toEqual([`message,${ch},back`]);
    await again.close();
  });
});
