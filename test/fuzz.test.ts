// The fuzzer (scripts/fuzz.ts) in CI: a fixed seed's few thousand hostile requests through the worker, with
// one shard and with four. No HTTP 5xx, no `internal error`, no shard reset or shard over maxmemory, the
// sentinel keys intact and PING answering. `node scripts/fuzz-cli.mjs` runs the big runs.
import { SELF, env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type FuzzRequest, type FuzzResponse, KNOWN_FAILING, clean, formatResult, runFuzz } from "../scripts/fuzz.js";
import { ADMIN_TOKEN, READONLY_TOKEN, TOKEN } from "./helpers.js";

const shards = Number(env.SHARDS) || 1;

async function send(req: FuzzRequest): Promise<FuzzResponse> {
  const res = await SELF.fetch(`http://localhost${req.path}`, { method: req.method, headers: req.headers, body: req.body });
  // As bytes: RESP2 replies are application/octet-stream, which .text() warns about.
  return { status: res.status, text: new TextDecoder().decode(await res.arrayBuffer()) };
}

describe(`the fuzzer with ${shards} shard${shards === 1 ? "" : "s"}`, () => {
  it("seed 1: 3,000 hostile requests leave no 5xx, no internal error, no reset, the sentinels intact and PING answering", async () => {
    const result = await runFuzz(send, {
      seed: 1,
      count: 3_000,
      shards,
      tokens: { data: TOKEN, readonly: READONLY_TOKEN, admin: ADMIN_TOKEN },
      // The test project's record limit (vitest.config.ts): longer strings are refused before any shard.
      maxString: 32768,
      checkEvery: 100,
      exclude: KNOWN_FAILING,
      keepPerKind: 3,
    });
    if (!clean(result)) console.log(formatResult(result));
    expect(formatResult(result).split("\n")[0]).toMatch(/ 0 HTTP 5xx, 0 internal errors, 0 without response, 0 shard resets, 0 over maxmemory, 0 unhealthy, sentinel intact, PING ok/);
    expect(clean(result), formatResult(result)).toBe(true);
  });
});
