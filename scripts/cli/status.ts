// `durable-redis info` and `durable-redis health`: every shard's persistence status as a table, and
// the health checks with an exit status for monitors; both can repeat (--watch).

import { AdminClient, type ShardInfo } from "./admin-client.js";
import { CliError, type Connection } from "./args.js";
import type { Io } from "./io.js";
import { formatBytes } from "./progress.js";

const WATCH_OPTIONS = `  --watch           repeat until interrupted (Ctrl-C)
  --interval SECS   seconds between repeats (default 2)
  --count N         stop after N repeats (with --watch)`;

const CONNECTION = `  --url URL         the deployment (or DURABLE_REDIS_URL)
  --token TOKEN     the admin token (or DURABLE_REDIS_ADMIN_TOKEN)`;

export const INFO_HELP = `Usage: durable-redis info [options]

Persistence status of every shard, one line each: memory, changes since the last snapshot, the
last snapshot's time and status, AOF state and size, loading. The fields are INFO persistence's and
INFO memory's (GET /admin/info).

Options:
  --json            the fields of every shard as JSON
  --raw             the INFO text of every shard, as redis-cli INFO prints it
${WATCH_OPTIONS}
${CONNECTION}
  -h, --help        this help

Exit status: 0 shown, 1 failed, 2 usage error, 3 server unreachable or token refused.`;

export const HEALTH_HELP = `Usage: durable-redis health [options]

The deployment's health checks (GET /admin/health): a save failing, AOF write errors, AOF rewrites
failing repeatedly, no snapshot within health-snapshot-max-age while changes exist, memory over
health-memory-percent of maxmemory, a shard loading or refusing to serve. Prints "OK" or each
failing check, one per line.

Options:
  --json            the checks as JSON
${WATCH_OPTIONS}
${CONNECTION}
  -h, --help        this help

Exit status: 0 healthy, 1 a check fails (with --watch: the last round's), 2 usage error, 3 server
unreachable or token refused.`;

export interface WatchOptions {
  watch: boolean;
  intervalMs: number;
  /** Rounds before stopping; 0: until interrupted. */
  count: number;
}

function age(seconds: number): string {
  if (seconds < 0) return "-";
  if (seconds < 120) return `${Math.round(seconds)}s ago`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m ago`;
  if (seconds < 172800) return `${Math.round(seconds / 3600)}h ago`;
  return `${Math.round(seconds / 86400)}d ago`;
}

/** The table `info` prints: one row per shard, columns padded to their widest cell. */
export function infoTable(shards: ShardInfo[], nowSec: number): string[] {
  const header = ["shard", "memory", "changes", "last save", "bgsave", "saving", "aof", "aof size", "rewrite", "aof writes", "loading"];
  const rows = shards.map((s) => [
    String(s.shard),
    String(s.used_memory_human ?? "-"),
    String(s.rdb_changes_since_last_save ?? "-"),
    age(nowSec - Number(s.rdb_last_save_time)),
    String(s.rdb_last_bgsave_status ?? "-"),
    Number(s.rdb_bgsave_in_progress) ? "yes" : "no",
    Number(s.aof_enabled) ? "on" : "off",
    Number(s.aof_enabled) ? formatBytes(Number(s.aof_current_size)) : "-",
    Number(s.aof_rewrite_in_progress) ? "running" : String(s.aof_last_bgrewrite_status ?? "-"),
    String(s.aof_last_write_status ?? "-"),
    Number(s.loading) ? `${s.loading_loaded_perc ?? "?"}%` : "no",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** Runs `round` once, or repeatedly with --watch (errors of a round are printed, not fatal). */
async function repeat(io: Io, w: WatchOptions, round: () => Promise<number>): Promise<number> {
  if (!w.watch) return round();
  let status = 0;
  for (let i = 0; w.count === 0 || i < w.count; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, w.intervalMs));
    if (process.stdout.isTTY) io.write("\x1b[H\x1b[2J");
    io.out(`Every ${w.intervalMs / 1000}s — ${new Date().toISOString()}`);
    try {
      status = await round();
    } catch (e) {
      if (!(e instanceof CliError)) throw e;
      io.out(`error: ${e.message}`);
      status = e.code;
    }
  }
  return status;
}

export async function runInfo(conn: Connection, opts: WatchOptions & { json: boolean; raw: boolean }, io: Io): Promise<number> {
  const client = new AdminClient(conn);
  return repeat(io, opts, async () => {
    if (opts.raw) {
      const text = await client.text("/admin/info");
      for (const l of text.split("\r\n")) io.out(l);
      return 0;
    }
    const shards = await client.info();
    if (opts.json) io.out(JSON.stringify(shards, null, 2));
    else for (const l of infoTable(shards, Date.now() / 1000)) io.out(l);
    return 0;
  });
}

export async function runHealth(conn: Connection, opts: WatchOptions & { json: boolean }, io: Io): Promise<number> {
  const client = new AdminClient(conn);
  return repeat(io, opts, async () => {
    const h = await client.health();
    if (opts.json) io.out(JSON.stringify(h, null, 2));
    else if (h.ok) io.out(`OK: ${h.shards.length} shard${h.shards.length === 1 ? "" : "s"} healthy`);
    else for (const f of h.failing) io.out(`FAIL ${f}`);
    return h.ok ? 0 : 1;
  });
}
