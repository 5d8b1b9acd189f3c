// A/B: this checkout's worker against an earlier commit's, in one run. `BENCH_AB=<commit> npm run bench`
// builds that commit from git into a scratch directory, starts both builds in Miniflare side by side
// and runs the HTTP and AOF-policy scenarios on each, the two taking turns within every round, so a
// regression shows as a ratio measured under the same machine load rather than as two tables from two
// runs minutes apart.
import { execFileSync, execSync } from "node:child_process";
import { mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { ADMIN_TOKEN, TOKEN, call, load, startOurs } from "./http.mjs";

const ROUNDS = 5;

/** Builds `ref`'s worker (its own wrangler.toml and sources, our node_modules); the path of its bundle. */
function buildAt(ref) {
  // Inside this checkout: Miniflare will not load a script from outside its working directory.
  const dir = resolve("bench/.build", `ab-${ref}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execSync(`git archive --format=tar ${ref} | tar -x -C ${dir}`, { stdio: ["ignore", "ignore", "inherit"] });
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  execFileSync("npm", ["run", "build", "--silent"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
  return { dir, script: join("bench/.build", `ab-${ref}`, "dist/index.js") };
}

/** CONFIG SET on either build: an older one may not take the admin token on the data API. */
async function configSet(url, key, value) {
  for (const token of [ADMIN_TOKEN, TOKEN]) {
    const r = await call(url, "/", ["CONFIG", "SET", key, value], token);
    if (r.result === "OK") return;
  }
  throw new Error(`CONFIG SET ${key} ${value} refused by ${url}`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[(xs.length - 1) >> 1];
const fmt = (n) => Math.round(n).toLocaleString("en-US");

export async function abBench(report) {
  const ref = process.env.BENCH_AB;
  if (!ref) return;
  const sha = execFileSync("git", ["rev-parse", "--short", ref], { encoding: "utf8" }).trim();
  const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  console.log(`A/B: building ${sha}'s worker…`);
  const old = buildAt(sha);
  const a = await startOurs({}, old.script);
  const b = await startOurs();
  try {
    const setBody = (i) => JSON.stringify(["SET", `key:${i % 10000}`, "value-0123456789"]);
    const getBody = (i) => JSON.stringify(["GET", `key:${i % 10000}`]);
    const pipeBody = (i) => JSON.stringify(Array.from({ length: 100 }, (_, j) => ["SET", `key:${(i * 100 + j) % 10000}`, "value-0123456789"]));
    for (const side of [a, b]) await load(side.url, "/", setBody, { inFlight: 8, total: 1000 });

    const scenarios = [];
    for (const [name, path, body, opsPerRequest, total] of [
      ["SET", "/", setBody, 1, 6000],
      ["GET", "/", getBody, 1, 6000],
      ["pipeline of 100 SET", "/pipeline", pipeBody, 100, 600],
    ]) {
      for (const inFlight of [1, 32]) scenarios.push({ label: `${name}, ${inFlight} in flight`, path, body, opsPerRequest, total, inFlight });
    }
    for (const [policy, settings] of [
      ["no", [["appendonly", "no"]]],
      ["everysec", [["appendonly", "yes"], ["appendfsync", "everysec"]]],
      ["always", [["appendonly", "yes"], ["appendfsync", "always"]]],
    ]) {
      scenarios.push({ label: `AOF: appendfsync ${policy}, SET, 32 in flight`, path: "/", body: setBody, opsPerRequest: 1, total: 6000, inFlight: 32, settings });
    }

    const rows = [];
    for (const s of scenarios) {
      for (const side of [a, b]) for (const [k, v] of s.settings ?? [["appendonly", "yes"], ["appendfsync", "everysec"]]) await configSet(side.url, k, v);
      const ratios = [];
      const opsA = [];
      const opsB = [];
      for (let round = 0; round < ROUNDS; round++) {
        const run = (side) => load(side.url, s.path, s.body, { inFlight: s.inFlight, total: s.total, opsPerRequest: s.opsPerRequest });
        // The side that goes first alternates, so neither always runs after the other.
        const ra = round % 2 === 0 ? await run(a) : null;
        const rb = await run(b);
        const rA = ra ?? (await run(a));
        opsA.push(rA.ops);
        opsB.push(rb.ops);
        ratios.push(rb.ops / rA.ops);
      }
      const sorted = [...ratios].sort((x, y) => x - y);
      rows.push([s.label, fmt(median(opsA)), fmt(median(opsB)), median(ratios).toFixed(2), `${sorted[0].toFixed(2)}–${sorted[sorted.length - 1].toFixed(2)}`]);
      console.log(`  ${rows[rows.length - 1].join("  ")}`);
    }
    report.table(
      `A/B: ${head} (this checkout) against ${sha}, in one run`,
      ["scenario", `${sha} ops/s`, `${head} ops/s`, `${head} ÷ ${sha} (median)`, "range over rounds"],
      rows,
      `Both builds run in this process's Miniflare with the same bindings (one shard, everysec unless the row says otherwise); ` +
        `each row is ${ROUNDS} rounds, the two builds back to back in each with the first alternating; the ratio is the median of the rounds' ratios ` +
        `and the range shows how far single rounds moved. A range that contains 1.00 is within noise.`,
    );
  } finally {
    await a.mf.dispose();
    await b.mf.dispose();
    rmSync(old.dir, { recursive: true, force: true });
  }
}
