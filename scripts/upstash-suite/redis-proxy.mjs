#!/usr/bin/env node
// A reference for the upstash suite: the Upstash REST protocol in front of a real redis-server, so
// a test file's outcome on Redis 7.0 can be put beside ours ("passes as it does on Redis").
//
//   node scripts/upstash-suite/redis-proxy.mjs --port 8090 --redis 127.0.0.1:6390
//
// It speaks what @upstash/redis sends: POST / (one command), /pipeline, /multi-exec, path commands,
// and Upstash-Encoding: base64. No auth: it listens on loopback only. Not used by the product.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleAndImport } from "../bundle-and-import.mjs";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};
const port = Number(arg("--port", "8090"));
const [redisHost, redisPort] = arg("--redis", "127.0.0.1:6379").split(":");

// The tests' RESP client (durable-objects/persistence/testing/resp-client.ts), bundled with esbuild:
// commands pipelined in order, replies as byte strings, {status}, {error}, numbers (bigints past 2^53).
const build = mkdtempSync(join(tmpdir(), "redis-proxy-"));
const { RespClient } = await bundleAndImport("durable-objects/persistence/testing/resp-client.ts", join(build, "resp-client.mjs"));
rmSync(build, { recursive: true, force: true });

const utf8 = (s) => Buffer.from(s, "latin1").toString("utf8");
function json(r, base64, top = true) {
  if (r === null) return null;
  if (typeof r === "number") return r;
  if (typeof r === "bigint") return Number(r);
  if (Array.isArray(r)) return r.map((x) => json(x, base64, false));
  const s = typeof r === "string" ? r : r.status ?? r.error;
  if (!base64 || (top && s === "OK")) return utf8(s);
  return Buffer.from(s, "latin1").toString("base64");
}
const item = (r, base64) => (r && typeof r === "object" && "error" in r ? { error: utf8(r.error) } : { result: json(r, base64) });
const toArg = (v) => (typeof v === "string" ? Buffer.from(v, "utf8").toString("latin1") : String(v));

createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const url = new URL(req.url, "http://x");
  const base64 = req.headers["upstash-encoding"] === "base64";
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  let conn;
  try {
    conn = await RespClient.connect(Number(redisPort), redisHost);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;
    if (url.pathname === "/pipeline" || url.pathname === "/multi-exec") {
      const cmds = body.map((c) => c.map(toArg));
      if (url.pathname === "/pipeline") {
        const out = await Promise.all(cmds.map((c) => conn.call(...c)));
        return reply(200, out.map((r) => item(r, base64)));
      }
      const sent = [conn.call("MULTI"), ...cmds.map((c) => conn.call(...c)), conn.call("EXEC")];
      const out = await Promise.all(sent);
      const exec = out[out.length - 1];
      if (exec && typeof exec === "object" && "error" in exec) return reply(400, { error: utf8(exec.error) });
      return reply(200, exec.map((r) => item(r, base64)));
    }
    const argv = Array.isArray(body)
      ? body.map(toArg)
      : url.pathname.split("/").filter(Boolean).map((s) => Buffer.from(decodeURIComponent(s), "utf8").toString("latin1"));
    const r = await conn.call(...argv);
    const out = item(r, base64);
    reply("error" in out ? 400 : 200, out);
  } catch (e) {
    reply(500, { error: String(e) });
  } finally {
    conn?.close();
  }
}).listen(port, "127.0.0.1", () => console.log(`upstash REST → redis ${redisHost}:${redisPort} on http://127.0.0.1:${port}`));
