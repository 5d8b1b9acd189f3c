// Stands in for Bun's own modules when @upstash/redis's test files run under vitest in Node:
// `bun:test` is vitest's API under Bun's names, and `bun` offers the two helpers those files use
// (`serve`, a small HTTP server over node:http with Web Request/Response, and `sleep`).
import { createServer } from "node:http";
import { Readable } from "node:stream";

import { expect, test as vitestTest } from "vitest";

export { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from "vitest";

// Bun's matchers that vitest lacks.
expect.extend({
  toBeTrue: (received) => ({ pass: received === true, message: () => `expected ${received} to be true` }),
  toBeFalse: (received) => ({ pass: received === false, message: () => `expected ${received} to be false` }),
});

/** Bun takes a test's timeout (or options) after its function; vitest before it. */
function bunOrder(run) {
  return (name, fn, options) => (options === undefined ? run(name, fn) : run(name, typeof options === "number" ? { timeout: options } : options, fn));
}
export const test = Object.assign(bunOrder(vitestTest), {
  skip: bunOrder(vitestTest.skip),
  only: bunOrder(vitestTest.only),
  todo: vitestTest.todo,
  each: vitestTest.each,
  if: (cond) => bunOrder(vitestTest.runIf(cond)),
  skipIf: (cond) => bunOrder(vitestTest.skipIf(cond)),
});
export const it = test;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function serve({ fetch, port }) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const request = new Request(`http://localhost:${port}${req.url}`, {
      method: req.method,
      headers: Object.entries(req.headers).filter(([, v]) => typeof v === "string"),
      body: req.method === "GET" || req.method === "HEAD" ? undefined : body,
    });
    const response = await fetch(request);
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (response.body) Readable.fromWeb(response.body).pipe(res);
    else res.end();
  });
  server.listen(port);
  return { port, stop: () => server.close() };
}
