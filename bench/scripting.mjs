// Scripting over HTTP: @upstash/ratelimit 2.2.0's sliding-window limit (the script it sends, run by
// EVALSHA as it runs it once cached) beside a plain SET, on the built worker in Miniflare, in the same
// run. The script text is taken from the library itself: one limit() is recorded on its way out.
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { TOKEN, call, load, startOurs } from "./http.mjs";

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2));

/** The sliding-window script @upstash/ratelimit sends: the EVAL of its first limit() (after EVALSHA's NOSCRIPT). */
async function slidingWindowScript(url) {
  const sent = [];
  const realFetch = globalThis.fetch;
  // @upstash/redis calls the global fetch.
  globalThis.fetch = (input, init) => {
    sent.push(JSON.parse(String(init?.body)));
    return realFetch(input, init);
  };
  try {
    const redis = new Redis({ url, token: TOKEN, enableAutoPipelining: false });
    const rl = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(1_000_000, "60 s"), ephemeralCache: false, prefix: "bench-rl" });
    const r = await rl.limit("warm");
    if (!r.success) throw new Error("ratelimit refused its first request");
  } finally {
    globalThis.fetch = realFetch;
  }
  const evalCall = sent.find((c) => String(c[0]).toUpperCase() === "EVAL");
  if (!evalCall) throw new Error(`no EVAL among ${JSON.stringify(sent.map((c) => c[0]))}`);
  return evalCall[1];
}

/** The round whose key is the median (of an odd number of rounds). */
function medianRound(rounds, key) {
  const sorted = [...rounds].sort((a, b) => key(a) - key(b));
  return sorted[(sorted.length - 1) >> 1];
}

export async function scriptingBench(report) {
  const ours = await startOurs();
  try {
    const script = await slidingWindowScript(ours.url);
    const sha = (await call(ours.url, "/", ["SCRIPT", "LOAD", script])).result;
    const windowMs = 60_000;
    // What limit() sends for identifier i at time now: the current and previous windows' keys,
    // then tokens, now, window and the increment (the library's own argument order).
    const limitBody = (i) => {
      const now = Date.now();
      const bucket = Math.floor(now / windowMs);
      const id = `bench-rl:user${i % 1000}`;
      return JSON.stringify(["EVALSHA", sha, "2", `${id}:${bucket}`, `${id}:${bucket - 1}`, "1000000", String(now), String(windowMs), "1"]);
    };
    const setBody = (i) => JSON.stringify(["SET", `key:${i % 10000}`, "value-0123456789"]);
    const check = await call(ours.url, "/", JSON.parse(limitBody(0)));
    if (!Array.isArray(check.result)) throw new Error(`the ratelimit EVALSHA answered ${JSON.stringify(check)}`);
    await load(ours.url, "/", limitBody, { inFlight: 8, total: 500 });
    await load(ours.url, "/", setBody, { inFlight: 8, total: 500 });
    const rows = [];
    for (const inFlight of [1, 32]) {
      const rounds = [];
      for (let round = 0; round < 3; round++) {
        // The side that goes first alternates, so neither always runs after the other.
        const run = (body) => load(ours.url, "/", body, { inFlight, total: 6000 });
        const first = round % 2 === 0 ? await run(limitBody) : null;
        const set = await run(setBody);
        rounds.push({ rl: first ?? (await run(limitBody)), set });
      }
      const { rl, set } = medianRound(rounds, (r) => r.rl.ops / r.set.ops);
      rows.push([`${inFlight} in flight`, fmt(rl.ops), fmt(rl.p50), fmt(rl.p99), fmt(set.ops), fmt(set.p50), fmt(set.p99), (rl.ops / set.ops).toFixed(2)]);
    }
    report.table(
      "Scripting over HTTP: @upstash/ratelimit's sliding window (EVALSHA) vs a plain SET (ops/s, latency ms)",
      ["scenario", "ratelimit ops/s", "p50", "p99", "SET ops/s", "p50", "p99", "ratelimit ÷ SET"],
      rows,
      "The script is the one @upstash/ratelimit 2.2.0 sends for slidingWindow (its allow-key-locking shebang included), run by EVALSHA over 1,000 identifiers; " +
        "each row is the median of three rounds by ratio, both run back to back in each. Goal: ratelimit ÷ SET ≥ 0.8.",
    );
  } finally {
    await ours.mf.dispose();
  }
}
