// Stands in for Bun's own modules when @upstash/redis's test files run under vitest in Node:
// `bun:test` is vitest's API under Bun's names, and `bun` offers the two helpers those files use
// (`serve`, a small HTTP server over node:http with Web Request/Response, and `sleep`).
import { createServer } from "node:http";
import { Readable } from "node:stream";

import { expect, test as vitestTest } from "vitest";

export { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from "vitest";

/** Checks of async functions given to toThrow, settled before the test that made them ends. */
let pendingThrows = [];

/** Whether an error matches toThrow's argument: none, a text it contains, a RegExp, an Error, or a class. */
function matchesThrown(error, expected) {
  if (expected === undefined) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof expected === "string") return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (expected instanceof Error) return message === expected.message;
  if (typeof expected === "function") return error instanceof expected;
  return false;
}

// Bun's matchers that vitest lacks, and Bun's toThrow, which also takes an async function and
// checks the promise it returns (vitest's sees only a synchronous throw).
expect.extend({
  toBeTrue: (received) => ({ pass: received === true, message: () => `expected ${received} to be true` }),
  toBeFalse: (received) => ({ pass: received === false, message: () => `expected ${received} to be false` }),
  toThrow(received, expected) {
    const isNot = this.isNot;
    // .rejects.toThrow(…) hands over the rejection itself.
    if (typeof received !== "function") {
      return { pass: matchesThrown(received, expected), message: () => `expected ${received} ${isNot ? "not " : ""}to match ${expected ?? ""}` };
    }
    let result;
    try {
      result = received();
    } catch (e) {
      return { pass: matchesThrown(e, expected), message: () => `expected ${received} ${isNot ? "not " : ""}to throw ${expected ?? ""}: threw ${e}` };
    }
    if (result && typeof result.then === "function") {
      pendingThrows.push(
        result.then(
          () => {
            if (!isNot) throw new Error(`expected the async function to throw ${expected ?? ""}, it resolved`);
          },
          (e) => {
            if (matchesThrown(e, expected) === !isNot) return;
            throw new Error(`expected the async function ${isNot ? "not " : ""}to throw ${expected ?? ""}: it threw ${e}`);
          },
        ),
      );
      return { pass: !isNot, message: () => "checked when the test ends" };
    }
    return { pass: false, message: () => `expected ${received} to throw ${expected ?? ""}` };
  },
});

/** Runs a test's function, then the async toThrow checks it made. */
const settlingThrows = (fn) => async () => {
  pendingThrows = [];
  await fn();
  const checks = pendingThrows;
  pendingThrows = [];
  await Promise.all(checks);
};

/** Bun takes a test's timeout (or options) after its function; vitest before it. */
function bunOrder(run) {
  return (name, fn, options) => {
    const body = typeof fn === "function" && fn.length === 0 ? settlingThrows(fn) : fn;
    return options === undefined ? run(name, body) : run(name, typeof options === "number" ? { timeout: options } : options, body);
  };
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
