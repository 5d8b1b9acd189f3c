// Token checks: the write token, the read-only token, the admin token. Compared in constant time
// (over SHA-256 digests, so lengths leak nothing either); never logged.

export type Access = "write" | "readonly" | "admin" | null;

const encoder = new TextEncoder();

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(s));
}

/** The configured tokens' digests, computed once per isolate (keyed by the secret, which callers never choose). */
const configuredDigests = new Map<string, Promise<ArrayBuffer>>();
function configuredDigest(token: string): Promise<ArrayBuffer> {
  let d = configuredDigests.get(token);
  if (d === undefined) configuredDigests.set(token, (d = digest(token)));
  return d;
}

async function matches(given: ArrayBuffer, expected: string | undefined): Promise<boolean> {
  if (!expected) return false;
  return crypto.subtle.timingSafeEqual(given, await configuredDigest(expected));
}

export async function tokenEquals(given: string, expected: string | undefined): Promise<boolean> {
  return matches(await digest(given), expected);
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
export async function dataAccess(token: string | null, env: Tokens): Promise<Access> {
  if (token === null) return null;
  // One digest per request: both comparisons always run, so timing does not tell which token matched.
  const given = await digest(token);
  const write = await matches(given, env.REST_TOKEN);
  const read = await matches(given, env.READONLY_REST_TOKEN);
  return write ? "write" : read ? "readonly" : null;
}
