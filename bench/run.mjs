// `npm run bench`: builds the worker, runs each section, prints tables, and writes BENCHMARKS.md
// from what it printed. Figures are ratios against references measured in the same run (a floor
// worker, a real redis-server), because the machine is shared and noisy.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { abBench } from "./ab.mjs";
import { buildForBench } from "./build.mjs";
import { httpBench } from "./http.mjs";

const started = Date.now();
const sections = [];
/** A report that prints each table and keeps its text in `into`, for BENCHMARKS.md. */
const reportInto = (into) => ({
  table(title, header, rows, note) {
    const widths = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i] ?? "").length)));
    const line = (cells) => "| " + cells.map((c, i) => String(c ?? "").padEnd(widths[i])).join(" | ") + " |";
    const text = [`### ${title}`, "", line(header), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...rows.map(line)];
    if (note) text.push("", note);
    console.log("\n" + text.join("\n"));
    into.push(text.join("\n"));
  },
  note(title, text) {
    console.log(`\n### ${title}\n\n${text}`);
    into.push(`### ${title}\n\n${text}`);
  },
});
const report = reportInto(sections);
/** The A/B's tables: it runs first, and they go at the end of BENCHMARKS.md. */
const abSections = [];

console.log("building the worker and bundling the engine and persistence for Node…");
buildForBench();

// These import the bundle built just above.
const { engineBench } = await import("./engine.mjs");
const { persistenceBench } = await import("./persistence.mjs");
const { recoveryBench } = await import("./recovery.mjs");
const { streamsBench } = await import("./streams.mjs");
const { evictionBench } = await import("./eviction.mjs");
const { limitsBench } = await import("./limits.mjs");
const { memoryBench } = await import("./memory.mjs");
const { pubsubBench } = await import("./pubsub.mjs");
const { luaBench } = await import("./lua.mjs");
const { scriptingBench } = await import("./scripting.mjs");

// BENCH_ONLY=http,limits runs just those sections (for an A/B of one table) and leaves BENCHMARKS.md alone.
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(",")) : null;
const section = async (name, fn, into = report) => {
  if (!only || only.has(name)) await fn(into);
};
// BENCH_AB=<commit>: this checkout against that commit's build, the two taking turns (bench/ab.mjs).
// First, while neither build's code has run in this process: after the sections below, this
// checkout's functions would come to the A/B shaped by every command those sent, the other's fresh.
await section(
  "ab",
  (r) =>
    abBench(r, { pubsub: pubsubBench, engine: engineBench, streams: streamsBench, eviction: evictionBench, limits: limitsBench, memory: memoryBench, lua: luaBench, scripting: scriptingBench, recovery: recoveryBench, persistence: persistenceBench }),
  reportInto(abSections),
);
await section("http", httpBench);
await section("pubsub", pubsubBench);
await section("engine", engineBench);
await section("streams", streamsBench);
await section("eviction", evictionBench);
await section("limits", limitsBench);
await section("memory", memoryBench);
await section("lua", luaBench);
await section("scripting", scriptingBench);
// Before the persistence section leaves this process with large heaps to collect while the runtime works.
await section("recovery", recoveryBench);
await section("persistence", persistenceBench);

const seconds = ((Date.now() - started) / 1000).toFixed(0);
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
const md = `# Benchmarks

Printed by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}, on ${machine}; the whole run took ${seconds} s.
The machine is shared and noisy, so each figure stands beside a reference measured in the same run:
the **floor** worker (a fetch handler that forwards the body to one Durable Object over RPC and returns a
constant: one Durable Object hop, no logic), or a real **redis-server** from Debian's packages.

${[...sections, ...abSections].join("\n\n")}
`;
if (only) console.log(`\nBENCH_ONLY: BENCHMARKS.md left as it was (${seconds} s)`);
else {
  writeFileSync("BENCHMARKS.md", md);
  console.log(`\nwrote BENCHMARKS.md (${seconds} s)`);
}
