// Token checks: the write token, the read-only token, the admin token. Compared in constant time
// (over SHA-256 digests, so lengths leak nothing either); never logged.

export type Access = "write" | "readonly" | "admin" | null;

const encoder = new TextEncoder();

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(s));
}

export async function tokenEquals(given: string, expected: string | undefined): Promise<boolean> {
  if (!expected) return false;
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
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
  const [write, read] = await Promise.all([
    tokenEquals(token, env.REST_TOKEN),
    tokenEquals(token, env.READONLY_REST_TOKEN),
  ]);
  return write ? "write" : read ? "readonly" : null;
}
