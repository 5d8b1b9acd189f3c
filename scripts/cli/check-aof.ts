// `durable-redis check-aof [--fix] [--truncate-to-timestamp T] FILE|DIR`: redis-check-aof's checks,
// repairs, report lines and exit statuses, over the shared AOF logic (persistence/aof/check.ts) and
// our RDB checker for preambles. A directory is checked through the manifest inside it.

import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { binaryToBytes, bytesToBinary } from "../../durable-objects/engine/bytes.js";
import { type AofFileReport, checkAof, describeFileReport, truncateToTimestamp } from "../../durable-objects/persistence/aof/check.js";
import { AofError } from "../../durable-objects/persistence/aof/format.js";
import { loadOrder, parseManifest } from "../../durable-objects/persistence/aof/manifest.js";
import { checkRdb } from "./check-rdb.js";
import type { Io } from "./io.js";

export const CHECK_AOF_HELP = `Usage: durable-redis check-aof [--fix | --truncate-to-timestamp T] FILE|DIR

Checks an AOF as redis-check-aof does, with its report lines and verdicts: an old-style file (RESP,
or an RDB preamble then RESP), a Redis 7 manifest, or an appendonlydir (the manifest inside it).

Options:
  --fix                        cut the last file back to its whole records (asks first, as redis-check-aof does)
  --truncate-to-timestamp T    cut the last file before the first #TS: annotation later than T (Unix seconds)
  -y, --yes                    answer yes to the --fix question
  -h, --help                   this help

Exit status: 0 valid (or repaired), 1 not valid (the offset of the first problem is printed) or the
repair was refused, 2 usage error.`;

/** Thrown to end the check the way redis-check-aof exits: its last line already printed. */
class Stop extends Error {
  constructor(readonly code: number) {
    super("stop");
  }
}

interface Ctx {
  io: Io;
  fix: boolean;
  toTimestamp: number;
  confirm: () => Promise<boolean>;
  /** redis-check-aof's line counter (1 + lines read so far). */
  line: number;
}

const readBinary = (path: string) => bytesToBinary(readFileSync(path));

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "No such file or directory";
  if (code === "EACCES") return "Permission denied";
  if (code === "EISDIR") return "Is a directory";
  return (e as Error).message;
}

/** redis-check-aof's manifest detection: a line that starts with "file" outside comments. */
export function isManifest(text: string): boolean {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    return line.startsWith("file");
  }
  return false;
}

/**
 * Checks one file as redis-check-aof's checkSingleAof does, writing the repair in place. Returns
 * "valid" | "empty" | "truncated" | "ts-truncated"; a verdict that ends the run throws Stop.
 */
async function checkOne(ctx: Ctx, name: string, path: string, lastFile: boolean, rdbName: string): Promise<string> {
  const firstLine = ctx.line;
  const { io } = ctx;
  let bytes: string;
  try {
    bytes = readBinary(path);
  } catch (e) {
    io.out(`Cannot open file ${path}: ${errnoText(e)}, aborting...`);
    throw new Stop(1);
  }
  if (bytes.length === 0) return "empty";
  let rdbEnd: number | null = null;
  // The preamble is checked (and its report printed) once, before the RESP tail.
  const rdbCheck = (whole: string): number => {
    if (rdbEnd !== null) return rdbEnd;
    const r = checkRdb(binaryToBytes(whole), rdbName);
    for (const l of r.lines) io.out(l);
    if (!r.ok) {
      io.out("RDB preamble of AOF file is not sane, aborting.");
      throw new Stop(1);
    }
    io.out("RDB preamble is OK, proceeding with AOF tail...");
    rdbEnd = r.end;
    return r.end;
  };
  const preamble = bytes.length >= 8 && bytes.startsWith("REDIS");
  if (preamble) rdbCheck(bytes);

  if (ctx.toTimestamp) {
    let cutAt: number | null = null;
    try {
      cutAt = truncateToTimestamp(bytes, ctx.toTimestamp, { name: path, rdbCheck }).cutAt;
    } catch (e) {
      if (!(e instanceof AofError)) throw e;
      if (e.code === "AOF_BAD_TIMESTAMP") {
        io.out("Invalid timestamp annotation");
        throw new Stop(1);
      }
      if (e.code === "AOF_CANNOT_TRUNCATE") {
        io.out(`AOF ${path} has nothing before timestamp ${ctx.toTimestamp}, aborting...`);
        throw new Stop(1);
      }
      // A format error before any later timestamp: the check below reports it.
    }
    if (cutAt !== null) {
      if (!lastFile) {
        io.out(`Failed to truncate AOF ${path} to timestamp ${ctx.toTimestamp} to offset ${cutAt} because it is not the last file.`);
        io.out(
          "If you insist, please delete all files after this file according to the manifest file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.",
        );
        throw new Stop(1);
      }
      writeFileSync(path, binaryToBytes(bytes.slice(0, cutAt)));
      return "ts-truncated";
    }
  }

  const report: AofFileReport = checkAof(bytes, { name, rdbCheck, firstLine });
  // redis-check-aof counts lines across a directory's files.
  ctx.line = report.okUpToLine;
  const lines = describeFileReport(report);
  if (report.diff === 0 && !report.error) {
    if (ctx.toTimestamp) {
      io.out(`Truncate nothing in AOF ${name} to timestamp ${ctx.toTimestamp}`);
      return "valid";
    }
    io.out(lines[0]);
    return "valid";
  }
  // The error line (if any) and "AOF analyzed: …".
  for (const l of lines.slice(0, -1)) io.out(l);
  if (!ctx.fix) {
    io.out(lines[lines.length - 1]);
    throw new Stop(1);
  }
  if (!lastFile) {
    io.out(`Failed to truncate AOF ${name} because it is not the last file`);
    throw new Stop(1);
  }
  io.out(`This will shrink the AOF ${name} from ${report.size} bytes, with ${report.diff} bytes, to ${report.okUpTo} bytes`);
  io.write("Continue? [y/N]: ");
  if (!(await ctx.confirm())) {
    io.out("Aborting...");
    throw new Stop(1);
  }
  writeFileSync(path, binaryToBytes(bytes.slice(0, report.okUpTo)));
  return "truncated";
}

function printStyle(io: Io, result: string, name: string, label: string, toTimestamp: number): void {
  if (result === "valid") io.out(`${label} ${name} is valid`);
  else if (result === "empty") io.out(`${label} ${name} is empty`);
  else if (result === "ts-truncated") io.out(`Successfully truncated AOF ${name} to timestamp ${toTimestamp}`);
  else if (result === "truncated") io.out(`Successfully truncated AOF ${name}`);
}

async function checkMultiPart(ctx: Ctx, manifestPath: string): Promise<void> {
  const { io } = ctx;
  io.out("Start checking Multi Part AOF");
  let order;
  try {
    order = loadOrder(parseManifest(readBinary(manifestPath)));
  } catch (e) {
    if (!(e instanceof AofError)) throw e;
    io.out(e.reason);
    throw new Stop(1);
  }
  const dir = dirname(manifestPath);
  for (let i = 0; i < order.length; i++) {
    const f = order[i];
    // As redis-check-aof joins them ("./name" for a manifest in the current directory).
    const path = `${dir}/${f.name}`;
    const last = i === order.length - 1;
    const isBase = f.type === "b";
    if (isBase) {
      let rdb = false;
      try {
        const b = readFileSync(path);
        rdb = b.length >= 8 && bytesToBinary(b.subarray(0, 5)) === "REDIS";
      } catch (e) {
        io.out(`Cannot open file ${path}: ${errnoText(e)}`);
        throw new Stop(1);
      }
      io.out(`Start to check BASE AOF (${rdb ? "RDB" : "RESP"} format).`);
    } else if (i === 0 || order[i - 1].type === "b") io.out("Start to check INCR files.");
    const result = await checkOne(ctx, f.name, path, last, f.name);
    printStyle(io, result, f.name, isBase ? "BASE AOF" : "INCR AOF", ctx.toTimestamp);
  }
  io.out("All AOF files and manifest are valid");
}

export interface CheckAofOptions {
  fix: boolean;
  /** 0: no truncation (as redis-check-aof treats 0). */
  toTimestamp: number;
  confirm: () => Promise<boolean>;
}

export async function runCheckAof(target: string, opts: CheckAofOptions, io: Io): Promise<number> {
  const ctx: Ctx = { io, ...opts, line: 1 };
  let path = target;
  try {
    if (statSync(target).isDirectory()) {
      const manifests = readdirSync(target).filter((n) => n.endsWith(".manifest"));
      if (manifests.length !== 1) {
        io.out(manifests.length === 0 ? `No AOF manifest in directory ${target}` : `More than one AOF manifest in directory ${target}: ${manifests.join(", ")}`);
        return 1;
      }
      path = join(target, manifests[0]);
    }
  } catch (e) {
    io.out(`Cannot open file ${target}: ${errnoText(e)}`);
    return 1;
  }
  try {
    const text = readBinary(path);
    if (isManifest(text)) await checkMultiPart(ctx, path);
    else {
      io.out("Start checking Old-Style AOF");
      const result = await checkOne(ctx, path, path, true, path);
      printStyle(io, result, path, "AOF", ctx.toTimestamp);
    }
    return 0;
  } catch (e) {
    if (e instanceof Stop) return e.code;
    throw e;
  }
}
