// Reports of a run: mismatches with the history of their keys, coverage, and summaries by command.

import type { Family } from "./gen.js";
import { clip, quote } from "./replies.js";
import type { Coverage, DiffResult, Mismatch } from "./run.js";
import { FAMILY_FILES } from "./command-stream.js";

const showArgv = (argv: string[]) => argv.map((a) => (/^[\x21-\x7e]+$/.test(a) && !a.includes('"') ? a : quote(a))).map((a) => clip(a, 80)).join(" ");

export function formatMismatch(m: Mismatch): string {
  const where = m.index >= 0 ? `#${m.index}` : m.kind;
  const lines = [`${where} [${m.family}] ${m.kind}: ${clip(showArgv(m.argv), 300)}`];
  if (m.note) lines.push(`    note:  ${m.note}`);
  lines.push(`    ours:  ${clip(m.ours)}`, `    redis: ${clip(m.theirs)}`);
  return lines.join("\n");
}

/** The commands that touched these keys, up to the mismatch (the last `limit` of them). */
export function formatHistory(result: DiffResult, m: Mismatch, limit = 25): string {
  const positions = new Set<number>();
  for (const k of m.keys) for (const p of result.keyHistory.get(k) ?? []) positions.add(p);
  const upto = m.index < 0 ? Infinity : m.index;
  const chosen = [...positions].filter((p) => result.history[p].index <= upto).sort((a, b) => a - b).slice(-limit);
  return chosen
    .map((p) => {
      const h = result.history[p];
      const same = h.ours === h.theirs;
      const tag = h.harness ? "harness" : `#${h.index}`;
      return `      ${tag.padStart(7)} ${clip(showArgv(h.argv), 160)}\n              → ${clip(h.ours, 160)}${same ? "" : `   | redis: ${clip(h.theirs, 160)}`}`;
    })
    .join("\n");
}

export function formatCoverage(result: DiffResult): string {
  const byFamily = new Map<Family, [string, Coverage][]>();
  for (const [name, cov] of result.coverage) {
    const list = byFamily.get(cov.family) ?? [];
    list.push([name, cov]);
    byFamily.set(cov.family, list);
  }
  const lines: string[] = [];
  for (const [family] of FAMILY_FILES) {
    const list = (byFamily.get(family) ?? []).sort((a, b) => a[0].localeCompare(b[0]));
    const runs = list.reduce((s, [, c]) => s + c.runs, 0);
    const missing = result.missing.filter((m) => m.startsWith(family + ":")).map((m) => m.slice(family.length + 1));
    lines.push(
      `${family.padEnd(12)} ${String(list.length).padStart(3)} commands, ${String(runs).padStart(6)} runs: ` +
        list.map(([n, c]) => `${n} ${c.runs}${c.errors ? `/${c.errors}err` : ""}`).join(", ") +
        (missing.length ? `\n${" ".repeat(13)}not in the engine yet: ${missing.join(", ")}` : ""),
    );
  }
  if (result.ungenerated.length) lines.push(`engine commands no generator covers: ${result.ungenerated.join(", ")}`);
  return lines.join("\n");
}

export function formatResult(result: DiffResult, opts: { limit?: number; history?: boolean } = {}): string {
  const limit = opts.limit ?? Infinity;
  const out = [
    `seed ${result.seed}, ${result.count} commands, profile ${result.profile}: ${result.mismatches.length} mismatches in ${(result.millis / 1000).toFixed(1)} s`,
  ];
  const perFamily = new Map<string, number>();
  for (const m of result.mismatches) perFamily.set(`${m.family}/${m.kind}`, (perFamily.get(`${m.family}/${m.kind}`) ?? 0) + 1);
  if (perFamily.size) out.push("by family: " + [...perFamily].map(([f, n]) => `${f} ${n}`).join(", "));
  for (const m of result.mismatches.slice(0, limit)) {
    out.push(formatMismatch(m));
    if (opts.history) out.push("    history of " + m.keys.join(", ") + ":\n" + formatHistory(result, m));
  }
  if (result.mismatches.length > limit && limit > 0) out.push(`… and ${result.mismatches.length - limit} more`);
  return out.join("\n");
}

/** Mismatches of many runs grouped by family, kind and command: a count and the first example of each. */
export function formatSummary(results: DiffResult[], maxGroups = Infinity): string {
  const groups = new Map<string, { n: number; first: Mismatch; seed: number; profile: string }>();
  for (const r of results) {
    for (const m of r.mismatches) {
      const key = `${m.family} ${m.kind} ${m.argv[0].toUpperCase()}`;
      const g = groups.get(key);
      if (g) g.n++;
      else groups.set(key, { n: 1, first: m, seed: r.seed, profile: r.profile });
    }
  }
  const out: string[] = [];
  let family = "";
  const sorted = [...groups].sort((a, b) => a[0].localeCompare(b[0]));
  for (const [key, g] of sorted.slice(0, maxGroups)) {
    if (g.first.family !== family) out.push(`== ${(family = g.first.family)}`);
    out.push(`${key.slice(family.length + 1)} ×${g.n} (first: seed ${g.seed} ${g.profile})\n${formatMismatch(g.first)}`);
  }
  if (sorted.length > maxGroups) out.push(`… and ${sorted.length - maxGroups} more kinds of mismatch`);
  return out.join("\n");
}
