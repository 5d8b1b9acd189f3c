#!/usr/bin/env node
// Regenerates durable-objects/engine/lua/fixtures/redis-7.0-eval.json: each script of
// durable-objects/engine/lua/fixtures/eval-cases.txt (one per line, `#` comments) sent to a real
// redis-server 7.0 as `EVAL <script> 0`, with the reply it gave. The VM's unit test
// (lua/expectations.test.ts) runs the same scripts and must give the same replies.
//
//   redis-server --port 23456 --save '' --appendonly no &
//   node scripts/lua-expectations.mjs 23456
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";

const port = Number(process.argv[2] ?? 6379);
const dir = new URL("../durable-objects/engine/lua/fixtures/", import.meta.url);
const cases = readFileSync(new URL("eval-cases.txt", dir), "latin1")
  .split("\n")
  .filter((l) => l.trim() !== "" && !l.startsWith("#"));

/** RESP2 reply → the engine's Reply shape (byte strings; integers beyond 2^53 as "<n>n"). */
function parse(buf, pos) {
  const end = buf.indexOf("\r\n", pos);
  if (end === -1) return null;
  const line = buf.slice(pos + 1, end);
  const next = end + 2;
  switch (buf[pos]) {
    case "+":
      return [{ status: line }, next];
    case "-":
      return [{ error: line }, next];
    case ":": {
      const n = BigInt(line);
      return [n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : `${line}n`, next];
    }
    case "$": {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) return null;
      return [buf.slice(next, next + len), next + len + 2];
    }
    case "*": {
      const len = Number(line);
      if (len < 0) return [null, next];
      const out = [];
      let p = next;
      for (let i = 0; i < len; i++) {
        const r = parse(buf, p);
        if (r === null) return null;
        out.push(r[0]);
        p = r[1];
      }
      return [out, p];
    }
  }
  throw new Error(`bad reply at ${pos}: ${JSON.stringify(buf.slice(pos, pos + 20))}`);
}

const bulk = (s) => `$${Buffer.byteLength(s, "latin1")}\r\n${s}\r\n`;
const sock = connect(port, "127.0.0.1");
let buf = "";
const waiting = [];
sock.on("data", (d) => {
  buf += d.toString("latin1");
  for (;;) {
    const r = buf.length ? parse(buf, 0) : null;
    if (r === null) break;
    buf = buf.slice(r[1]);
    waiting.shift()(r[0]);
  }
});
const send = (argv) =>
  new Promise((resolve) => {
    waiting.push(resolve);
    sock.write(Buffer.from(`*${argv.length}\r\n${argv.map(bulk).join("")}`, "latin1"));
  });

const out = [];
for (const script of cases) out.push({ script, reply: await send(["EVAL", script, "0"]) });
writeFileSync(new URL("redis-7.0-eval.json", dir), `${JSON.stringify(out, null, 1)}\n`, "latin1");
console.log(`${out.length} scripts`);
sock.end();
