// A/B: this checkout against an earlier commit, in one run. `BENCH_AB=<commit> npm run bench` builds
// that commit from git into a scratch directory (its worker and its bench bundle), then
//  - starts both workers in Miniflare side by side and runs the HTTP and AOF-policy scenarios on each,
//    the two taking turns within every round;
//  - runs every other bench section both builds have, old and new in turns (old, new, new, old), and
//    sets each figure of each table beside the same figure from the other build.
// A regression then shows as a ratio measured under the same machine load, not as two tables from two
// runs minutes apart.
import { execFileSync, execSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildForBench } from "./build.mjs";
import { ADMIN_TOKEN, TOKEN, call, load, startOurs } from "./http.mjs";

const ROUNDS = 5;

/** `ref`'s checkout from git, with our node_modules, its worker built and its bench bundled. */
function buildAt(ref) {
  const dir = mkdtempSync(join(tmpdir(), `durable-redis-ab-${ref}-`));
  execSync(`git archive --format=tar ${ref} | tar -x -C ${dir}`, { stdio: ["ignore", "ignore", "inherit"] });
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"));
  buildForBench(dir);
  return dir;
}

/**
 * Runs `fn` with the working directory at `dir`: the bench's relative paths (dist/index.js) then name
 * that build's files, and Miniflare loads no script from outside its working directory.
 */
async function inDir(dir, fn) {
  const back = process.cwd();
  process.chdir(dir);
  try {
    return await fn();
  } finally {
    process.chdir(back);
  }
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

/** The HTTP and AOF-policy scenarios on both workers, in turns. */
async function httpAb(report, oldDir, names) {
  const a = await inDir(oldDir, () => startOurs());
  const b = await startOurs();
  try {
    const setBody = (i) => JSON.stringify(["SET", `key:${i % 10000}`, "value-0123456789"]);
    const getBody = (i) => JSON.stringify(["GET", `key:${i % 10000}`]);
    const pipeBody = (i) => JSON.stringify(Array.from({ length: 100 }, (_, j) => ["SET", `key:${(i * 100 + j) % 10000}`, "value-0123456789"]));
    for (const side of [a, b]) await load(side.url, "/", setBody, { inFlight: 8, total: 1000 });

    const everysec = [["appendonly", "yes"], ["appendfsync", "everysec"]];
    const scenarios = [];
    for (const [name, path, body, opsPerRequest, total] of [
      ["SET", "/", setBody, 1, 6000],
      ["GET", "/", getBody, 1, 6000],
      ["pipeline of 100 SET", "/pipeline", pipeBody, 100, 600],
    ]) {
      for (const inFlight of [1, 32]) scenarios.push({ label: `${name}, ${inFlight} in flight`, path, body, opsPerRequest, total, inFlight, settings: everysec });
    }
    for (const [policy, settings] of [
      ["no", [["appendonly", "no"]]],
      ["everysec", everysec],
      ["always", [["appendonly", "yes"], ["appendfsync", "always"]]],
    ]) {
      scenarios.push({ label: `AOF: appendfsync ${policy}, SET, 32 in flight`, path: "/", body: setBody, opsPerRequest: 1, total: 6000, inFlight: 32, settings });
    }

    const rows = [];
    for (const s of scenarios) {
      for (const side of [a, b]) for (const [k, v] of s.settings) await configSet(side.url, k, v);
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
      `A/B over HTTP: ${names.new} (this checkout) against ${names.old}`,
      ["scenario", `${names.old} ops/s`, `${names.new} ops/s`, `${names.new} ÷ ${names.old} (median)`, "range over rounds"],
      rows,
      `Both builds run in this process's Miniflare with the same bindings (one shard, everysec unless the row says otherwise); ` +
        `each row is ${ROUNDS} rounds, the two builds back to back in each with the first alternating; the ratio is the median of the rounds' ratios ` +
        `and the range shows how far single rounds moved. A range that contains 1.00 is within noise.`,
    );
  } finally {
    await a.mf.dispose();
    await b.mf.dispose();
  }
}

/** Engine commands timed in process: the cost per command both builds' engines add, without HTTP. */
const ENGINE_CASES = [
  ["PING", ["PING"]],
  ["GET (16 B)", ["GET", "s"]],
  ["SET (16 B)", ["SET", "s", "value-0123456789"]],
  ["LINDEX middle of 1,000", ["LINDEX", "l", "500"]],
  ["LRANGE 10 of 1,000", ["LRANGE", "l", "500", "509"]],
  ["HGETALL of 10 fields", ["HGETALL", "h"]],
  ["ZRANGE 10 of 1,000", ["ZRANGE", "z", "500", "509"]],
  ["XRANGE 10 of 1,000", ["XRANGE", "x", "501-0", "510-0"]],
];

function engineOf(lib) {
  // No maxmemory in either: the older engine has none by default, and it would only add eviction checks.
  const e = new lib.Engine({ config: { maxmemory: "0" } });
  e.execute(["SET", "s", "value-0123456789"]);
  for (let i = 0; i < 1000; i++) {
    e.execute(["RPUSH", "l", `element-${i}`]);
    e.execute(["ZADD", "z", String(i), `member-${i}`]);
    e.execute(["XADD", "x", `${i + 1}-0`, "f", `v${i}`]);
  }
  for (let i = 0; i < 10; i++) e.execute(["HSET", "h", `field-${i}`, `value-${i}`]);
  return e;
}

/** ns per command, each case 7 rounds of 200,000 calls with the builds taking turns; the median round. */
async function engineAb(report, oldDir, names) {
  const engines = {
    old: engineOf(await import(pathToFileURL(join(oldDir, "bench/.build/lib.mjs")).href)),
    new: engineOf(await import("./.build/lib.mjs")),
  };
  const CALLS = 200_000;
  const time = (e, argv) => {
    const t0 = performance.now();
    for (let i = 0; i < CALLS; i++) e.execute(argv);
    return ((performance.now() - t0) * 1e6) / CALLS;
  };
  const rows = [];
  for (const [label, argv] of ENGINE_CASES) {
    const ns = { old: [], new: [] };
    for (let round = 0; round < 7; round++) {
      for (const side of round % 2 === 0 ? ["old", "new"] : ["new", "old"]) ns[side].push(time(engines[side], argv));
    }
    const o = median(ns.old);
    const n = median(ns.new);
    const ratios = ns.new.map((t, round) => t / ns.old[round]);
    rows.push([label, o.toFixed(0), n.toFixed(0), (n / o).toFixed(2), `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`]);
  }
  report.table(
    `A/B in process: the engine's time per command, ${names.new} against ${names.old} (ns)`,
    ["command", names.old, names.new, `${names.new} ÷ ${names.old} (time)`, "range over rounds"],
    rows,
    "Engine.execute on each build's engine bundle, in one process, the builds taking turns over 7 rounds of 200,000 calls; the median round. " +
      "The range is of the rounds' own ratios (each round's two builds ran back to back): one that contains 1.00 is within noise. " +
      "This is the engine alone: over HTTP a request costs hundreds of microseconds, a pipelined command about ten.",
  );
}

/** A report that keeps the tables a section prints instead of printing them. */
function capture() {
  const tables = new Map();
  return { tables, table: (title, header, rows) => tables.set(title, { header, rows }), note() {} };
}

/** "1,633,349" → 1633349, "2.0×" → 2, "0.612" → 0.612; null for a cell that is not one number. */
function figure(cell) {
  const m = /^(-?[\d,]*\.?\d+)\s*×?$/.exec(String(cell ?? "").trim());
  return m ? Number(m[1].replaceAll(",", "")) : null;
}

/**
 * Every other section both builds have, old, new, new, old; then one row per table row and figure:
 * the figure in each build (the mean of its two runs), new ÷ old, and how far a build's own two runs
 * differed (the larger of the two builds' spreads), which is the noise to read the ratio against.
 */
/**
 * Sections that take the bundle they time (engine, streams): both builds are timed by this checkout's
 * code, so a change to the harness (such as its JIT warm-up) is not read as a change in the engine.
 */
const SAME_HARNESS = new Set(["engine", "streams"]);

async function sectionsAb(report, oldDir, names, sections) {
  const oldLib = await import(pathToFileURL(join(oldDir, "bench/.build/lib.mjs")).href);
  const rows = [];
  for (const [name, newSection] of Object.entries(sections)) {
    const file = join(oldDir, "bench", `${name}.mjs`);
    if (!existsSync(file)) continue;
    const oldSection = (await import(pathToFileURL(file).href))[`${name}Bench`];
    if (!oldSection) continue;
    console.log(`A/B: section ${name}, ${names.old} then ${names.new} then ${names.new} then ${names.old}…`);
    const runs = { old: [], new: [] };
    for (const side of ["old", "new", "new", "old"]) {
      const r = capture();
      if (side === "new") await newSection(r);
      else if (SAME_HARNESS.has(name)) await newSection(r, oldLib);
      else await inDir(oldDir, () => oldSection(r));
      runs[side].push(r.tables);
    }
    for (const [title, { header, rows: newRows }] of runs.new[0]) {
      const oldTable = runs.old[0].get(title);
      if (!oldTable) continue;
      for (const newRow of newRows) {
        const at = (tables) => tables.get(title)?.rows.find((r) => r[0] === newRow[0]);
        const o = [at(runs.old[0]), at(runs.old[1])];
        const n = [at(runs.new[0]), at(runs.new[1])];
        if (o.includes(undefined) || n.includes(undefined)) continue;
        for (let col = 1; col < header.length; col++) {
          if (oldTable.header[col] !== header[col]) continue;
          const [o1, o2, n1, n2] = [o[0][col], o[1][col], n[0][col], n[1][col]].map(figure);
          if ([o1, o2, n1, n2].some((v) => v === null) || o1 + o2 === 0) continue;
          const spread = (x, y) => (Math.max(x, y) === 0 ? 0 : Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)));
          const oldMean = (o1 + o2) / 2;
          const newMean = (n1 + n2) / 2;
          rows.push([name, `${newRow[0]} · ${header[col]}`, +oldMean.toPrecision(4), +newMean.toPrecision(4), (newMean / oldMean).toFixed(2), `±${Math.round(100 * Math.max(spread(o1, o2), spread(n1, n2)))}%`]);
        }
      }
    }
  }
  report.table(
    `A/B of the other sections: ${names.new} (this checkout) against ${names.old}`,
    ["section", "row · figure", names.old, names.new, `${names.new} ÷ ${names.old}`, "same build, run to run"],
    rows,
    `Each section ran four times in this process, ${names.old}, ${names.new}, ${names.new}, ${names.old}; each build's figure is the mean of its two runs. ` +
      `The ${[...SAME_HARNESS].join(" and ")} sections time ${names.old}'s engine with this checkout's code; the others run each build's own. ` +
      `Whether higher or lower is better is the figure's own (ops/s up, seconds and bytes down). The last column is how far one build's two runs ` +
      `differed (the larger of the two builds'): a ratio whose distance from 1.00 is inside it is noise.`,
  );
}

export async function abBench(report, sections) {
  const ref = process.env.BENCH_AB;
  if (!ref) return;
  const names = {
    old: execFileSync("git", ["rev-parse", "--short", ref], { encoding: "utf8" }).trim(),
    new: execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim(),
  };
  console.log(`A/B: building ${names.old}'s worker and bench…`);
  const oldDir = buildAt(names.old);
  try {
    await httpAb(report, oldDir, names);
    await engineAb(report, oldDir, names);
    await sectionsAb(report, oldDir, names, sections);
  } finally {
    rmSync(oldDir, { recursive: true, force: true });
  }
}
