// The worker's one error type. Handlers (the data API, the admin API, uploads) throw an HttpError;
// errorResponse, installed as both apps' onError, is the one place it becomes a response (as Hono's
// HTTPException). Anything else thrown is a bug: logged, and answered without its details.

/** A refusal at the HTTP level: the status, and the Upstash-style `{"error": message}` body's text. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new HttpError(400, message);

/** The JSON body `{"error": message}` with this status; `headers` are added (the data API's CORS). */
export function errorJson(status: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error: message }), { status, headers: { "content-type": "application/json", ...headers } });
}

/** The response for anything a handler threw. */
export function errorResponse(err: unknown, headers: Record<string, string> = {}): Response {
  if (err instanceof HttpError) return errorJson(err.status, err.message, headers);
  console.error("request failed:", err instanceof Error ? err.stack : err);
  return errorJson(500, "ERR internal error", headers);
}
