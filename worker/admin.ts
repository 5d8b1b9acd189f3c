// The admin API under /admin, behind the admin token only: persistence operations per shard or for
// all shards, persistence status (text or JSON), manifests, snapshot and AOF downloads, restore from
// an RDB or AOF upload, and /admin/health for monitors.

import { Hono } from "hono";
import type { Shard } from "../durable-objects/shard.js";
import { ADMIN_TOKEN_IN_QUERY, bearerToken, tokenEquals } from "./auth.js";
import { restoreAof, uploadedFiles } from "./aof-restore.js";
import { HttpError, errorResponse } from "./http-error.js";
import { shardCount, shardStub } from "./shards.js";

type AppEnv = { Bindings: Env };
type AdminStub = Pick<
  Shard,
  "adminStatus" | "adminBgsave" | "adminBgrewriteaof" | "adminManifest" | "adminAof" | "adminRestore" | "adminRestoreToTime" | "adminSnapshotKey" | "execute"
>;

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const stub = (env: Env, shard: number) => shardStub<AdminStub>(env, shard);

/** Each shard's maxmemory (CONFIG SET reaches every shard, but each keeps its own). */
async function maxmemoryOf(env: Env): Promise<number[]> {
  return Promise.all(
    Array.from({ length: shardCount(env) }, async (_, shard) => {
      const { replies } = await stub(env, shard).execute([["CONFIG", "GET", "maxmemory"]], false, "admin");
      const reply = Array.isArray(replies) ? replies[0] : null;
      return Array.isArray(reply) ? Number(reply[1]) || 0 : 0;
    }),
  );
}

/** The shards a request names: ?shard=N, or all of them. */
function targets(env: Env, url: URL): number[] {
  const n = shardCount(env);
  const s = url.searchParams.get("shard");
  if (s === null || s === "all") return Array.from({ length: n }, (_, i) => i);
  const i = Number(s);
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new HttpError(400, `ERR no such shard '${s}' (there are ${n})`);
  return [i];
}

function oneShard(env: Env, url: URL): number {
  const t = targets(env, url);
  if (t.length !== 1) throw new HttpError(400, "ERR this endpoint needs ?shard=N");
  return t[0];
}

export const admin = new Hono<AppEnv>();

// Its own handler so that the data API's CORS headers stay off admin errors.
admin.onError((err) => errorResponse(err));

admin.use("*", async (c, next) => {
  // Only in the Authorization header: a URL ends up in logs, histories and Referer headers.
  const token = bearerToken(c.req.raw);
  if (!c.env.ADMIN_TOKEN) throw new HttpError(401, "WRONGPASS no admin token is configured (wrangler secret put ADMIN_TOKEN)");
  if (token === null && new URL(c.req.url).searchParams.has("_token")) throw new HttpError(401, ADMIN_TOKEN_IN_QUERY);
  if (token === null || !tokenEquals(token, c.env.ADMIN_TOKEN)) {
    throw new HttpError(401, "WRONGPASS invalid or missing admin token");
  }
  await next();
});

const perShard = <T>(env: Env, url: URL, f: (s: AdminStub, i: number) => Promise<T>) =>
  Promise.all(targets(env, url).map(async (i) => ({ shard: i, ...(await f(stub(env, i), i)) })));

admin.get("/health", async (c) => {
  const url = new URL(c.req.url);
  const shards = await perShard(c.env, url, async (s) => (await s.adminStatus()).health);
  const failing = shards.flatMap((s) => s.failing.map((f: string) => `shard ${s.shard}: ${f}`));
  return json({ ok: failing.length === 0, failing, shards }, failing.length === 0 ? 200 : 503);
});

admin.get("/info", async (c) => {
  const url = new URL(c.req.url);
  const status = await perShard(c.env, url, async (s) => await s.adminStatus());
  if (url.searchParams.get("format") === "json") return json(status.map(({ shard, fields }) => ({ shard, ...fields })));
  const text = status.map((s) => `# Shard ${s.shard}\r\n${s.info}`).join("\r\n");
  return new Response(text, { headers: { "content-type": "text/plain; charset=utf-8" } });
});

admin.get("/lastsave", async (c) => {
  const url = new URL(c.req.url);
  return json(await perShard(c.env, url, async (s) => ({ lastsave: (await s.adminStatus()).fields.rdb_last_save_time })));
});

/** Each shard's reply; 409 when any shard refused (it is loading, or could not load its data). */
const started = (replies: ({ shard: number } & ({ result: string } | { error: string }))[]) =>
  json(replies, replies.some((r) => "error" in r) ? 409 : 200);

admin.post("/bgsave", async (c) => started(await perShard(c.env, new URL(c.req.url), (s) => s.adminBgsave())));

admin.post("/bgrewriteaof", async (c) => started(await perShard(c.env, new URL(c.req.url), (s) => s.adminBgrewriteaof())));

admin.get("/manifest", async (c) => {
  const url = new URL(c.req.url);
  const shard = oneShard(c.env, url);
  const m = await stub(c.env, shard).adminManifest();
  if (url.searchParams.get("format") === "redis") return new Response(m.redis, { headers: { "content-type": "text/plain" } });
  return json({ shard, ...m });
});

/** The newest snapshot (or ?key=), streamed from R2. */
admin.get("/snapshot", async (c) => {
  const url = new URL(c.req.url);
  const shard = oneShard(c.env, url);
  const key = url.searchParams.get("key") ?? (await stub(c.env, shard).adminSnapshotKey());
  if (!key) throw new HttpError(404, "ERR this shard has no snapshot yet");
  const obj = await c.env.SNAPSHOTS.get(key);
  if (!obj) throw new HttpError(404, `ERR snapshot ${key} is missing from R2`);
  return new Response(obj.body, {
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(obj.size),
      "content-disposition": `attachment; filename="${key.split("/").pop()}"`,
    },
  });
});

/** The shard's AOF as one file: its base (RDB preamble or RESP) then the increment. */
admin.get("/aof", async (c) => {
  const shard = oneShard(c.env, new URL(c.req.url));
  const body = await stub(c.env, shard).adminAof();
  return new Response(body, {
    headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="appendonly-${shard}.aof"` },
  });
});

/**
 * Point-in-time restore: the shard's dataset as it was at the end of second `time` (Unix seconds),
 * from a base kept in R2 and the log after it.
 */
admin.post("/restore-to-time", async (c) => {
  const url = new URL(c.req.url);
  const shard = oneShard(c.env, url);
  const time = url.searchParams.get("time") ?? "";
  if (!/^\d{1,12}$/.test(time)) throw new HttpError(400, "ERR time must be a Unix time in seconds");
  try {
    return json({ shard, ...(await stub(c.env, shard).adminRestoreToTime(Number(time))) });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new HttpError(409, message.startsWith("LOADING ") ? message : `ERR ${message}`);
  }
});

/** Replaces the shard's dataset with an uploaded RDB file. */
/**
 * Restore from a Redis AOF (worker/aof-restore.ts): the body is one AOF file, or multipart/form-data
 * with an appendonlydir's manifest and files; every shard is replaced by the keys of its slots.
 * `truncate=yes` cuts a truncated or damaged last file back to its whole records instead of refusing it.
 */
admin.post("/restore-aof", async (c) => {
  const url = new URL(c.req.url);
  const truncate = url.searchParams.get("truncate") ?? "no";
  if (truncate !== "yes" && truncate !== "no") throw new HttpError(400, "ERR truncate must be yes or no");
  const files = await uploadedFiles(c.req.raw, Number(c.env.MAX_REQUEST_BYTES) || 10 * 1024 * 1024);
  const restore = (shard: number, rdb: Uint8Array) => stub(c.env, shard).adminRestore(new Blob([rdb]).stream());
  const maxmemory = await maxmemoryOf(c.env);
  return json(await restoreAof(files, { shards: shardCount(c.env), truncate: truncate === "yes", now: Date.now(), maxmemory }, restore));
});

admin.post("/restore", async (c) => {
  const shard = oneShard(c.env, new URL(c.req.url));
  const body = c.req.raw.body ?? new Blob([]).stream();
  try {
    return json({ shard, ...(await stub(c.env, shard).adminRestore(body)) });
  } catch (e) {
    // The file did not decode, or the shard is still loading: nothing was changed.
    const message = e instanceof Error ? e.message : String(e);
    if (message.startsWith("LOADING ")) throw new HttpError(409, message);
    throw new HttpError(400, `ERR ${message}`);
  }
});

// Anything else under /admin ends here, not in the data API (which now takes the admin token too).
admin.all("*", () => {
  throw new HttpError(404, "ERR not found");
});
