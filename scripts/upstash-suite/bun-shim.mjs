// Stands in for Bun's own modules when @upstash/redis's test files run under vitest in Node:
// `bun:test` is vitest's API under Bun's names, and `bun` offers the two helpers those files use
// (`serve`, a small HTTP server over node:http with Web Request/Response, and `sleep`).
import { createServer } from "node:http";
import { Readable } from "node:stream";

export { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, it } from "vitest";

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
