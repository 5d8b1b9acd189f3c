#!/usr/bin/env node
// Regenerates durable-objects/engine/lua/fixtures/redis-7.0-eval.json: each script of
// durable-objects/engine/lua/fixtures/eval-cases.txt (one per line, `#` comments) sent to a real
// redis-server 7.0 as `EVAL <script> 0`, with the reply it gave. The VM's unit test
// (lua/expectations.test.ts) runs the same scripts and must give the same replies.
//
//   redis-server --port 23456 --save '' --appendonly no &
//   node scripts/lua-expectations.mjs 23456
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundleAndImport } from "./bundle-and-import.mjs";

const port = Number(process.argv[2] ?? 6379);
const dir = new URL("../durable-objects/engine/lua/fixtures/", import.meta.url);
const cases = readFileSync(new URL("eval-cases.txt", dir), "latin1")
  .split("\n")
  .filter((l) => l.trim() !== "" && !l.startsWith("#"));

// The tests' RESP client (durable-objects/persistence/testing/resp-client.ts), bundled with esbuild.
const build = mkdtempSync(join(tmpdir(), "lua-expectations-"));
const { RespClient } = await bundleAndImport("durable-objects/persistence/testing/resp-client.ts", join(build, "resp-client.mjs"));
rmSync(build, { recursive: true, force: true });

const client = await RespClient.connect(port);
const out = [];
for (const script of cases) out.push({ script, reply: await client.call("EVAL", script, "0") });
client.close();
// Integers past ±2^53 are written as "<n>n" (JSON has no bigint), as the VM's test reads them.
const LIMIT = 2n ** 53n;
const json = JSON.stringify(out, (_, v) => (typeof v !== "bigint" ? v : v >= -LIMIT && v <= LIMIT ? Number(v) : `${v}n`), 1);
writeFileSync(new URL("redis-7.0-eval.json", dir), `${json}\n`, "latin1");
console.log(`${out.length} scripts`);
