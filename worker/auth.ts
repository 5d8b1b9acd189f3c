// Token checks: the write token, the read-only token, the admin token. Compared in constant time
// (no early exit, and nothing about the configured token's length shows either); never logged.

export type Access = "write" | "readonly" | "admin" | null;

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

/** The token a request carries: `Authorization: Bearer …` or `?_token=…`. */
export function requestToken(req: Request, url: URL): string | null {
  const auth = req.headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return m ? m[1] : null;
  }
  return url.searchParams.get("_token");
}

export interface Tokens {
  REST_TOKEN?: string;
  READONLY_REST_TOKEN?: string;
  ADMIN_TOKEN?: string;
}

/** What the token grants on the data API (the admin token is not a data token). */
export function dataAccess(token: string | null, env: Tokens): Access {
  if (token === null) return null;
  // Both comparisons always run, so timing does not tell which token matched.
  const write = tokenEquals(token, env.REST_TOKEN);
  const read = tokenEquals(token, env.READONLY_REST_TOKEN);
  return write ? "write" : read ? "readonly" : null;
}
