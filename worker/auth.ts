// Token checks: the write token, the read-only token, the admin token. Compared in constant time
// (no early exit, and nothing about the configured token's length shows either); never logged.

import type { TokenAccess } from "../durable-objects/engine/command.js";

export type Access = TokenAccess | null;

/**
 * Whether `given` is the configured `secret` (non-empty). Every character of `given` is compared,
 * against the secret repeated, and the differences are folded together with no early exit and no
 * branch on them: the loop runs once per character the caller sent, whatever those characters are
 * and however long the secret is, so how long a guess takes does not show how close it came, nor the
 * secret's length. This replaced SHA-256 digests compared with timingSafeEqual: the
 * same guarantee, without an asynchronous crypto call on every request. (A CPU profile of single GETs
 * in workerd put about a tenth of the isolate's time in the digest; timed over whole requests, what
 * the change saves is within this machine's noise, about 5%.)
 */
function secretEquals(given: string, secret: string): boolean {
  const n = given.length;
  const m = secret.length;
  let diff = n ^ m;
  for (let i = 0; i < n; i++) diff |= given.charCodeAt(i) ^ secret.charCodeAt(i % m);
  return diff === 0;
}

export function tokenEquals(given: string, expected: string | undefined): boolean {
  return !!expected && secretEquals(given, expected);
}

/** The answer to an admin request that carries its token in `?_token=`. */
export const ADMIN_TOKEN_IN_QUERY = "WRONGPASS the admin token is accepted only in the Authorization header, not in ?_token=";

/** A token as a request carries it: in `Authorization: Bearer …`, or in `?_token=…`. */
export interface GivenToken {
  value: string;
  inHeader: boolean;
}

/** The request's `Authorization: Bearer …` token, or null. */
export function bearerToken(req: Request): string | null {
  const auth = req.headers.get("authorization");
  if (!auth) return null;
  const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
  return m ? m[1] : null;
}

/** The token a request carries: `Authorization: Bearer …`, or else `?_token=…` (as Upstash accepts). */
export function requestToken(req: Request, url: URL): GivenToken | null {
  if (req.headers.get("authorization")) {
    const value = bearerToken(req);
    return value === null ? null : { value, inHeader: true };
  }
  const value = url.searchParams.get("_token");
  return value === null ? null : { value, inHeader: false };
}

export interface Tokens {
  REST_TOKEN?: string;
  READONLY_REST_TOKEN?: string;
  ADMIN_TOKEN?: string;
}

/**
 * What the token grants on the data API: the admin token everything (one token serves the CLI and
 * scripts), the data token all but Redis's @admin commands, the read-only token reads. The admin
 * token counts only in the Authorization header: a URL ends up in logs, histories and Referer headers.
 */
export function dataAccess(given: GivenToken | null, env: Tokens): Access {
  if (given === null) return null;
  // Every comparison always runs, so timing does not tell which token matched.
  const admin = tokenEquals(given.value, env.ADMIN_TOKEN);
  const write = tokenEquals(given.value, env.REST_TOKEN);
  const read = tokenEquals(given.value, env.READONLY_REST_TOKEN);
  return admin && given.inHeader ? "admin" : write ? "write" : read ? "readonly" : null;
}
