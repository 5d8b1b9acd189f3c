#!/usr/bin/env node
// A reference for the upstash suite: the Upstash REST protocol in front of a real redis-server, so
// a test file's outcome on Redis 7.0 can be put beside ours ("passes as it does on Redis").
//
//   node scripts/upstash-suite/redis-proxy.mjs --port 8090 --redis 127.0.0.1:6390
//
// It speaks what @upstash/redis sends: POST / (one command), /pipeline, /multi-exec, path commands,
// and Upstash-Encoding: base64. No auth: it listens on loopback only. Not used by the product.
import { createServer } from "node:http";
import { connect } from "node:net";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};
const port = Number(arg("--port", "8090"));
const [redisHost, redisPort] = arg("--redis", "127.0.0.1:6379").split(":");

/** One RESP2 connection; commands go out in order and replies come back in order. */
function respConnection() {
  const socket = connect(Number(redisPort), redisHost);
  const waiting = [];
  let buf = Buffer.alloc(0);
  socket.on("data", (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    for (;;) {
      const parsed = parse(buf, 0);
      if (!parsed) break;
      buf = buf.subarray(parsed[1]);
      waiting.shift()(parsed[0]);
    }
  });
  const send = (argv) =>
    new Promise((resolve) => {
      waiting.push(resolve);
      const parts = [`*${argv.length}\r\n`];
      for (const a of argv) {
        const b = Buffer.from(a, "latin1");
        parts.push(`$${b.length}\r\n`, b, "\r\n");
      }
      socket.write(Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : p))));
    });
  return { send, close: () => socket.end() };
}

/** A reply: null, number, string (bytes as latin1), {status}, {error} or an array; or null when incomplete. */
function parse(b, at) {
  const nl = b.indexOf("\r\n", at);
  if (nl < 0) return null;
  const line = b.toString("latin1", at + 1, nl);
  const next = nl + 2;
  switch (b[at]) {
    case 43: return [{ status: line }, next]; // +
    case 45: return [{ error: line }, next]; // -
    case 58: { // :
      const n = BigInt(line);
      return [n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n, next];
    }
    case 36: { // $
      const len = Number(line);
      if (len < 0) return [null, next];
      if (b.length < next + len + 2) return null;
      return [b.toString("latin1", next, next + len), next + len + 2];
    }
    case 42: { // *
      const len = Number(line);
      if (len < 0) return [null, next];
      const out = [];
      let p = next;
      for (let i = 0; i < len; i++) {
        const item = parse(b, p);
        if (!item) return null;
        out.push(item[0]);
        p = item[1];
      }
      return [out, p];
    }
  }
  throw new Error(`unexpected RESP byte ${b[at]}`);
}

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
  const conn = respConnection();
  try {
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : null;
    if (url.pathname === "/pipeline" || url.pathname === "/multi-exec") {
      const cmds = body.map((c) => c.map(toArg));
      if (url.pathname === "/pipeline") {
        const out = await Promise.all(cmds.map((c) => conn.send(c)));
        return reply(200, out.map((r) => item(r, base64)));
      }
      const sent = [conn.send(["MULTI"]), ...cmds.map((c) => conn.send(c)), conn.send(["EXEC"])];
      const out = await Promise.all(sent);
      const exec = out[out.length - 1];
      if (exec && typeof exec === "object" && "error" in exec) return reply(400, { error: utf8(exec.error) });
      return reply(200, exec.map((r) => item(r, base64)));
    }
    const argv = Array.isArray(body)
      ? body.map(toArg)
      : url.pathname.split("/").filter(Boolean).map((s) => Buffer.from(decodeURIComponent(s), "utf8").toString("latin1"));
    const r = await conn.send(argv);
    const out = item(r, base64);
    reply("error" in out ? 400 : 200, out);
  } catch (e) {
    reply(500, { error: String(e) });
  } finally {
    conn.close();
  }
}).listen(port, "127.0.0.1", () => console.log(`upstash REST → redis ${redisHost}:${redisPort} on http://127.0.0.1:${port}`));
