// Helpers for workerd tests: requests to the worker with the test tokens (see vitest.config.ts).
import { SELF } from "cloudflare:test";
import { afterAll, beforeAll } from "vitest";

export const TOKEN = "test-token";
export const READONLY_TOKEN = "test-readonly-token";
export const ADMIN_TOKEN = "test-admin-token";

export async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`http://localhost${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

/** Runs one command and returns {status, body}. */
export const cmd = (...argv: unknown[]) => post("/", argv);
/** A unique key prefix per test, since storage is shared within a test file. */
let n = 0;
export const uniq = (name: string) => `${name}:${Date.now().toString(36)}:${n++}`;

/**
 * Points the global fetch, which @upstash/redis calls, at the worker under test for this file's
 * tests, and puts it back afterwards.
 */
export function useWorkerFetch(): void {
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input as string, init)) as typeof fetch;
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });
}
