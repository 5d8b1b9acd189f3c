// The HTTP front: Upstash REST protocol on Hono. Auth, decode, route to shards, encode. No data logic.

import { Hono } from "hono";
import { type Reply } from "../durable-objects/engine/reply.js";
import { ADMIN_TOKEN_IN_QUERY, type Access, bearerToken, dataAccess, requestToken, tokenEquals } from "./auth.js";
import type { TokenAccess } from "../durable-objects/engine/command.js";
import { itemJson, jsonCommand, jsonCommands, parseJson, pathCommand, queryArgs } from "./protocol.js";
import { HttpError, errorJson, errorResponse } from "./http-error.js";
import { Router, type ShardCaller, type ShardResult } from "./router.js";
import { shardCount, shardStub } from "./shards.js";
import { admin } from "./admin.js";
import type { Shard } from "../durable-objects/shard.js";
import { binaryToBytes, bytesToBinary } from "../durable-objects/engine/bytes.js";
import { encodeReply } from "../durable-objects/persistence/resp.js";
import { hubCaller, openMonitor, openSubscription, sseResponse } from "./pubsub.js";

import { DEFAULT_PUBSUB_LIMIT, type SubscriptionKind } from "../durable-objects/pubsub/registry.js";

type AppEnv = { Bindings: Env };

const DEFAULT_MAX_REQUEST = 10 * 1024 * 1024;

/** Request bodies are UTF-8 JSON; one decoder serves every request (decode without `stream` keeps no state). */
const utf8 = new TextDecoder();

function limits(env: Env) {
  return {
    request: Number(env.MAX_REQUEST_BYTES) || DEFAULT_MAX_REQUEST,
    record: Number(env.MAX_RECORD_BYTES) || DEFAULT_MAX_REQUEST,
  };
}

const routers = new Map<number, Router>();
function routerFor(env: Env): Router {
  const n = shardCount(env);
  let r = routers.get(n);
  if (!r) routers.set(n, (r = new Router(n)));
  return r;
}

/**
 * `durable`: the request's writes are durable before its reply on every shard it touches. `client` is
 * the caller's address, which MONITOR shows. `textReplies`: the replies go out as JSON text (neither
 * base64 nor RESP), so the shards count their strings' JSON against the reply budget.
 */
function shardCaller(env: Env, durable: boolean, client = "", textReplies = false): ShardCaller {
  return (shard, batch, atomic, access, replyBudget) =>
    shardStub<Pick<Shard, "execute">>(env, shard)
      .execute(batch, atomic, access, durable, client, replyBudget, textReplies)
      .catch((e: unknown) => lostBatch(e, batch, atomic));
}

/**
 * A shard that could not write a batch it had to make durable (appendfsync always) resets itself
 * with Redis's MISCONF error as the reason: the batch answers that error, command by command.
 * Anything else a shard call throws stays a failure of the request.
 */
function lostBatch(e: unknown, batch: string[][], atomic: boolean): ShardResult {
  if (!(e instanceof Error) || !e.message.startsWith("MISCONF ")) throw e;
  const error = { error: e.message };
  return { replies: atomic ? error : batch.map(() => error), token: "reset" };
}

/**
 * `Durable-Redis-Fsync: always` asks for this request's writes to be in committed log rows before
 * the reply, whatever appendfsync says (WAITAOF 1 0 0 for clients that cannot add a command).
 */
export const FSYNC_HEADER = "durable-redis-fsync";
function durableRequest(req: Request): boolean {
  const value = req.headers.get(FSYNC_HEADER);
  if (value === null) return false;
  if (value.trim().toLowerCase() === "always") return true;
  throw new HttpError(400, "ERR invalid Durable-Redis-Fsync header: the only value is 'always'");
}

/** The caller's address as MONITOR prints it (the port is not known behind Cloudflare's edge). */
function clientAddress(req: Request): string {
  return `${req.headers.get("cf-connecting-ip") ?? "127.0.0.1"}:0`;
}

const STREAMS: Record<string, SubscriptionKind> = { subscribe: "channel", psubscribe: "pattern", ssubscribe: "shard" };

/** client-output-buffer-limit as shard 0 has it (CONFIG SET reaches every shard), read when a stream opens. */
async function bufferLimit(env: Env): Promise<string> {
  const { replies } = await shardCaller(env, false)(0, [["CONFIG", "GET", "client-output-buffer-limit"]], false, "admin");
  const reply = Array.isArray(replies) ? replies[0] : null;
  if (Array.isArray(reply) && typeof reply[1] === "string") return reply[1];
  const d = DEFAULT_PUBSUB_LIMIT;
  return `pubsub ${d.hardBytes} ${d.softBytes} ${d.softSeconds}`;
}

const CORS = { "access-control-allow-origin": "*", "access-control-expose-headers": "upstash-sync-token" };
const json = (body: string, status: number, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "content-type": "application/json", ...CORS, ...headers } });
/** Raw RESP2 (Upstash-Response-Format: resp2): the bytes a Redis server would send. */
const resp2Response = (bytes: string, status: number, headers: Record<string, string>) =>
  new Response(binaryToBytes(bytes), { status, headers: { "content-type": "application/octet-stream", ...CORS, ...headers } });
/** The admin API's paths, whose answers carry no CORS headers. */
const adminPath = (path: string) => path === "/admin" || path.startsWith("/admin/") || path === "/monitor";

async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length"));
  if (declared > max) throw new HttpError(413, "ERR max request size exceeded");
  const buf = new Uint8Array(await req.arrayBuffer());
  if (buf.length > max) throw new HttpError(413, "ERR max request size exceeded");
  return buf;
}

function checkRecords(commands: string[][], max: number): void {
  for (const argv of commands) {
    for (const a of argv) if (a.length > max) throw new HttpError(400, "ERR max single record size exceeded");
  }
}

export const app = new Hono<AppEnv>();

// CORS: every origin, as Upstash allows. Set on the responses we build (Hono's cors middleware
// rebuilt each response's headers after the fact, about a tenth of a request's cost in the bench).
const CORS_ALLOW_HEADERS =
  "Authorization, Content-Type, Upstash-Encoding, upstash-sync-token, Upstash-Response-Format, Upstash-Telemetry-Runtime, Upstash-Telemetry-Platform, Upstash-Telemetry-Sdk, Upstash-Telemetry-Retry, Durable-Redis-Fsync";
// No CORS for the admin API (nor MONITOR): a browser page is no place for the admin token.
app.options("/admin", () => errorJson(405, "ERR method not allowed"));
app.options("/admin/*", () => errorJson(405, "ERR method not allowed"));
app.options("/monitor", () => errorJson(405, "ERR method not allowed"));
app.options("*", () =>
  new Response(null, {
    status: 204,
    headers: {
      ...CORS,
      "access-control-allow-methods": "GET, POST, PUT, HEAD, OPTIONS",
      "access-control-allow-headers": CORS_ALLOW_HEADERS,
      "access-control-max-age": "86400",
    },
  }),
);

app.onError((err) => errorResponse(err, CORS));

app.notFound((c) => errorResponse(new HttpError(404, "ERR not found"), adminPath(c.req.path) ? {} : CORS));

app.route("/admin", admin);

// MONITOR: every command the deployment runs, for the admin token only.
app.all("/monitor", async (c) => {
  const req = c.req.raw;
  // Answered here, without the data API's CORS headers (which app.onError adds).
  if (!["GET", "POST"].includes(req.method)) return errorJson(405, "ERR method not allowed");
  const token = bearerToken(req);
  if (token === null && new URL(req.url).searchParams.has("_token")) return errorJson(401, ADMIN_TOKEN_IN_QUERY);
  if (!tokenEquals(token ?? "", c.env.ADMIN_TOKEN)) return errorJson(401, "WRONGPASS invalid or missing auth token");
  return sseResponse(await openMonitor(c.env, await bufferLimit(c.env)), false);
});

app.all("*", async (c) => {
  const req = c.req.raw;
  const method = req.method;
  if (!["GET", "POST", "PUT", "HEAD"].includes(method)) throw new HttpError(405, "ERR method not allowed");
  const url = new URL(req.url);
  const env = c.env;
  if (!env.REST_TOKEN && !env.READONLY_REST_TOKEN) {
    throw new HttpError(401, "WRONGPASS no auth token is configured on this deployment (wrangler secret put REST_TOKEN)");
  }
  const given = requestToken(req, url);
  const access: Access = dataAccess(given, env);
  if (access === null) {
    if (given !== null && !given.inHeader && tokenEquals(given.value, env.ADMIN_TOKEN)) throw new HttpError(401, ADMIN_TOKEN_IN_QUERY);
    throw new HttpError(401, "WRONGPASS invalid or missing auth token");
  }
  // HEAD asks for what GET would answer, without its body: it must not change anything, so it runs
  // as the read-only token does (writes refused).
  const runAs: TokenAccess = method === "HEAD" ? "readonly" : access;
  const lim = limits(env);
  const base64 = (req.headers.get("upstash-encoding") ?? "").toLowerCase() === "base64";
  const resp2 = (req.headers.get("upstash-response-format") ?? "").toLowerCase() === "resp2";
  const router = routerFor(env);
  const call = shardCaller(env, durableRequest(req), clientAddress(req), !base64 && !resp2);
  const hubs = hubCaller(env);
  const path = url.pathname;

  // Event streams: /subscribe/<channel…>, /psubscribe/<pattern…>, /ssubscribe/<channel…>; names in the
  // path, or a JSON array body (the client POSTs `[]` beside the path). Read-only tokens may subscribe.
  const verb = path.split("/")[1]?.toLowerCase() ?? "";
  const kind = STREAMS[verb];
  if (kind !== undefined) {
    if (method !== "GET" && method !== "POST") throw new HttpError(405, "ERR method not allowed");
    const names = pathCommand(path).slice(1);
    if (method === "POST") {
      const body = await readBody(req, lim.request);
      if (body.length > 0) {
        const extra = parseJson(utf8.decode(body));
        if (Array.isArray(extra) && extra.length > 0) names.push(...jsonCommand(extra));
      }
    }
    if (names.length === 0) throw new HttpError(400, `ERR wrong number of arguments for '${verb}' command`);
    checkRecords([names], lim.record);
    // Upstash-Encoding is not read here: @upstash/redis sends it on every request and reads events as text.
    const b64 = url.searchParams.get("encoding") === "base64";
    return sseResponse(await openSubscription(env, kind, names, b64, await bufferLimit(env)));
  }

  if (path === "/pipeline" || path === "/multi-exec") {
    if (method !== "POST" && method !== "PUT") throw new HttpError(405, "ERR method not allowed");
    const body = await readBody(req, lim.request);
    const commands = jsonCommands(parseJson(utf8.decode(body)));
    checkRecords(commands, lim.record);
    let replies: Reply[];
    let tokens: string[];
    if (path === "/pipeline") {
      ({ replies, tokens } = await router.pipeline(commands, runAs, call, hubs));
    } else {
      const shard = router.transactionShard(commands);
      if (typeof shard !== "number") throw new HttpError(400, shard.error);
      const result = await call(shard, commands, true, runAs);
      if (!Array.isArray(result.replies)) throw new HttpError(400, result.replies.error);
      replies = result.replies;
      tokens = [result.token];
    }
    const headers = { "upstash-sync-token": tokens.join(",") };
    if (resp2) return resp2Response(replies.map(encodeReply).join(""), 200, headers);
    const out = "[" + replies.map((r) => itemJson(r, base64)).join(",") + "]";
    return json(out, 200, headers);
  }

  let argv: string[];
  if (path === "/" || path === "") {
    if (method === "GET" || method === "HEAD") return json(`{"result":"durable-redis"}`, 200);
    const body = await readBody(req, lim.request);
    argv = jsonCommand(parseJson(utf8.decode(body)));
  } else {
    argv = pathCommand(path);
    if (method === "POST" || method === "PUT") {
      const body = await readBody(req, lim.request);
      if (body.length > 0) argv.push(bytesToBinary(body));
    }
    argv.push(...queryArgs(url.search));
    // A path of slashes only (`//`), with no body or query, names no command.
    if (argv.length === 0) throw new HttpError(400, "ERR failed to parse command: the path names no command");
  }
  checkRecords([argv], lim.record);
  const { replies, tokens } = await router.pipeline([argv], runAs, call, hubs);
  const reply = replies[0];
  const isError = reply !== null && typeof reply === "object" && !Array.isArray(reply) && "error" in reply;
  const headers: Record<string, string> = isError ? {} : { "upstash-sync-token": tokens.join(",") };
  if (resp2) return resp2Response(encodeReply(reply), isError ? 400 : 200, headers);
  return json(itemJson(reply, base64), isError ? 400 : 200, headers);
});
