// @upstash/ratelimit and @upstash/lock, unchanged, against the worker: their scripts (ratelimit's carry
// Upstash's `#!lua flags=allow-key-locking` shebang) run in the shard's Lua VM through EVALSHA, with the
// EVAL fallback on NOSCRIPT. Ratelimit computes its windows from the client's Date.now(): the test stops
// that clock at chosen instants (only Date is faked; timers run as usual). It runs with one shard and
// with four: identifiers carry a {tag}, so slidingWindow's two keys (this window's and the previous
// one's) share a slot, as they must on Redis Cluster.
import { Lock } from "@upstash/lock";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TOKEN, cmd, uniq, useWorkerFetch } from "./helpers.js";

useWorkerFetch();

const redis = () => new Redis({ url: "http://localhost", token: TOKEN });
/** A minute boundary, so window arithmetic reads plainly: T0 is the start of a 60 s window. */
const T0 = 1_800_000_000_000;
const at = (ms: number) => vi.setSystemTime(T0 + ms);

/** A limiter with no ephemeral cache: every limit() reaches the server (the cache would answer refusals itself). */
const limiter = (limiter: ConstructorParameters<typeof Ratelimit>[0]["limiter"]) =>
  new Ratelimit({ redis: redis(), limiter, prefix: uniq("rl"), ephemeralCache: false });

async function limitN(rl: Ratelimit, id: string, n: number) {
  const out: [boolean, number][] = [];
  for (let i = 0; i < n; i++) {
    const r = await rl.limit(id);
    out.push([r.success, r.remaining]);
  }
  return out;
}

/** Runs `body` with the client's requests recorded: the command names each request body carries. */
async function recordingCommands(body: () => Promise<void>): Promise<string[]> {
  const inner = globalThis.fetch;
  const seen: string[] = [];
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const sent = JSON.parse(String(init?.body)) as unknown[];
    for (const c of Array.isArray(sent[0]) ? (sent as unknown[][]) : [sent]) seen.push(String(c[0]).toUpperCase());
    return inner(input, init);
  }) as typeof fetch;
  try {
    await body();
  } finally {
    globalThis.fetch = inner;
  }
  return seen;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("@upstash/ratelimit 2.2.0 against durable-redis", () => {
  it("fixedWindow allows exactly the limit per window, reports the remaining tokens and resets", async () => {
    const rl = limiter(Ratelimit.fixedWindow(5, "60 s"));
    at(1_000);
    expect(await limitN(rl, "{user}", 7)).toEqual([
      [true, 4],
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
      [false, 0],
    ]);
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 0, reset: T0 + 60_000, limit: 5 });
    // Another identifier has its own window.
    expect((await rl.limit("{other}")).remaining).toBe(4);
    // The next window starts from zero.
    at(60_000);
    expect(await limitN(rl, "{user}", 2)).toEqual([
      [true, 4],
      [true, 3],
    ]);
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 3, reset: T0 + 120_000, limit: 5 });
    await rl.resetUsedTokens("{user}");
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 5, reset: T0 + 120_000, limit: 5 });
    expect(await rl.getRemaining("{other}")).toEqual({ remaining: 5, reset: T0 + 120_000, limit: 5 });
  });

  it("slidingWindow weighs the previous window by the part of it still inside the window", async () => {
    const rl = limiter(Ratelimit.slidingWindow(10, "60 s"));
    at(30_000);
    const first = await limitN(rl, "{user}", 11);
    expect(first.filter(([ok]) => ok)).toHaveLength(10);
    expect(first.map(([, rem]) => rem)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0]);
    // 15 s into the next window: 75% of the previous window's 10 still count (7), so 3 more pass.
    at(75_000);
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 3, reset: T0 + 120_000, limit: 10 });
    expect(await limitN(rl, "{user}", 4)).toEqual([
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    // 45 s in: 25% of 10 (2) plus this window's 3.
    at(105_000);
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 5, reset: T0 + 120_000, limit: 10 });
    await rl.resetUsedTokens("{user}");
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 10, reset: T0 + 120_000, limit: 10 });
  });

  it("tokenBucket spends tokens, refills by interval and resets", async () => {
    const rl = limiter(Ratelimit.tokenBucket(2, "10 s", 5));
    at(0);
    const burst = await limitN(rl, "{user}", 6);
    expect(burst).toEqual([
      [true, 4],
      [true, 3],
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ]);
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 0, reset: T0 + 10_000, limit: 5 });
    // Two whole intervals later: two refills of 2 tokens, counted from the last refill.
    at(21_000);
    const r = await rl.limit("{user}");
    expect([r.success, r.remaining, r.reset, r.limit]).toEqual([true, 3, T0 + 30_000, 5]);
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 3, reset: T0 + 30_000, limit: 5 });
    await rl.resetUsedTokens("{user}");
    expect(await rl.getRemaining("{user}")).toEqual({ remaining: 5, reset: T0 + 31_000, limit: 5 });
  });

  it("runs its scripts by EVALSHA once loaded: EVAL only on the first NOSCRIPT", async () => {
    const rl = limiter(Ratelimit.fixedWindow(3, "60 s"));
    at(0);
    await cmd("SCRIPT", "FLUSH");
    expect(await recordingCommands(async () => void (await rl.limit("a")))).toEqual(["EVALSHA", "EVAL"]);
    expect(await recordingCommands(async () => void (await rl.limit("a")))).toEqual(["EVALSHA"]);
    expect((await rl.getRemaining("a")).remaining).toBe(1);
  });
});

describe("@upstash/lock 0.2.1 against durable-redis", () => {
  it("is exclusive: a second acquire fails, release and extend by a non-owner fail, the owner's succeed", async () => {
    const id = uniq("lock");
    const owner = new Lock({ id, redis: redis(), lease: 10_000 });
    const other = new Lock({ id, redis: redis(), lease: 10_000, retry: { attempts: 2, delay: 1 } });
    expect(await owner.acquire()).toBe(true);
    expect(await other.acquire()).toBe(false);
    expect(await owner.getStatus()).toBe("ACQUIRED");
    expect(await other.getStatus()).toBe("FREE");
    expect(await other.release()).toBe(false);
    expect(await other.extend(5_000)).toBe(false);
    // A stranger who guesses nothing cannot release it with its own uuid either.
    const stranger = new Lock({ id, redis: redis() });
    expect(await stranger.acquire({ uuid: "not-the-owner", retry: { attempts: 1, delay: 1 } })).toBe(false);
    expect(await stranger.release()).toBe(false);

    expect(await owner.extend(5_000)).toBe(true);
    expect((await cmd("TTL", id)).body.result).toBe(15);
    expect(await owner.release()).toBe(true);
    expect((await cmd("EXISTS", id)).body.result).toBe(0);
    expect(await owner.getStatus()).toBe("FREE");
    // Released: the next acquire wins, and the old owner cannot release the new holder's lock.
    expect(await other.acquire()).toBe(true);
    expect(await owner.release()).toBe(false);
    expect(await other.getStatus()).toBe("ACQUIRED");
  });
});
