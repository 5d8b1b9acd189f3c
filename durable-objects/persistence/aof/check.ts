// The logic of redis-check-aof, without files: check one AOF or a multi-part directory (manifest
// plus files), say how far each file is made of whole records, cut the last file back to that
// (--fix), or cut it before the first `#TS:` annotation later than a time (--truncate-to-timestamp).
// A CLI only has to read the files and print the reports.

import { AofError, isTruncation } from "./format.js";
import { AofReader, hasRdbPreamble, loadAof } from "./loader.js";
import { type AofFileInfo, type AofManifest, loadOrder, parseManifest } from "./manifest.js";

export type AofCheckStatus = "ok" | "empty" | "truncated" | "bad";

export interface AofFileReport {
  name: string;
  size: number;
  status: AofCheckStatus;
  /** End of the whole-record prefix: what --fix keeps. */
  okUpTo: number;
  /** redis-check-aof's ok_up_to_line: 1 + the lines read, counted across a directory's files. */
  okUpToLine: number;
  /** Bytes --fix would remove. */
  diff: number;
  error: AofError | null;
  rdbPreamble: boolean;
}

export interface AofCheckOptions {
  /** The file's name in reports and errors. */
  name?: string;
  /**
   * Checks an RDB preamble (redis-check-rdb's part): given the file, returns the RDB's length in
   * bytes and throws if it is bad. Without it, a file with a preamble is reported as not checkable.
   */
  rdbCheck?: (bytes: string) => number;
}

/** A multi-part AOF directory: the manifest's text and each file's bytes by name. */
export interface AofDir {
  manifest: string;
  files: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}

export interface AofDirReport {
  /** Manifest and every listed file valid. */
  ok: boolean;
  manifest: AofManifest | null;
  /** Files checked, in load order; checking stops at the first file that is not valid. */
  files: AofFileReport[];
  /** The manifest's error, a missing file, or the first invalid file's error. */
  error: AofError | null;
}

const fileOf = (files: AofDir["files"], name: string): string | undefined =>
  files instanceof Map ? files.get(name) : (files as Record<string, string>)[name];

/** Checks one AOF file (the old single-file layout, or one file of a directory). */
export function checkAof(bytes: string, opts: AofCheckOptions & { firstLine?: number } = {}): AofFileReport {
  const name = opts.name ?? "appendonly.aof";
  const firstLine = opts.firstLine ?? 1;
  const r = loadAof(bytes, { rdbPreamble: opts.rdbCheck });
  const error = r.error?.inFile(name) ?? null;
  let status: AofCheckStatus;
  if (r.status === "EMPTY") status = "empty";
  else if (r.status === "OK") status = "ok";
  else status = error && isTruncation(error) ? "truncated" : "bad";
  const okUpTo = status === "ok" || status === "empty" ? bytes.length : r.validUpTo;
  return {
    name,
    size: bytes.length,
    status,
    okUpTo,
    okUpToLine: firstLine + r.lines,
    diff: bytes.length - okUpTo,
    error,
    rdbPreamble: r.rdbPreamble,
  };
}

/** Checks a directory as redis-check-aof does with a manifest: the manifest, the base, then each incremental file. */
export function checkAofDir(dir: AofDir, opts: Omit<AofCheckOptions, "name"> = {}): AofDirReport {
  let manifest: AofManifest;
  try {
    manifest = parseManifest(dir.manifest);
  } catch (e) {
    if (e instanceof AofError) return { ok: false, manifest: null, files: [], error: e };
    throw e;
  }
  const order = loadOrder(manifest);
  for (const f of order) {
    if (fileOf(dir.files, f.name) === undefined) {
      const error = new AofError("AOF_MISSING_FILE", `AOF file ${f.name} listed in the manifest does not exist`, 0, { file: f.name });
      return { ok: false, manifest, files: [], error };
    }
  }
  const files: AofFileReport[] = [];
  let line = 1;
  for (const f of order) {
    const report = checkAof(fileOf(dir.files, f.name)!, { ...opts, name: f.name, firstLine: line });
    files.push(report);
    if (report.status === "truncated" || report.status === "bad") return { ok: false, manifest, files, error: report.error };
    // redis-check-aof keeps one line counter for the whole directory.
    line = report.okUpToLine;
  }
  return { ok: true, manifest, files, error: null };
}

/** --fix on one file: its whole-record prefix (the file itself when it is valid). */
export function fixAof(bytes: string, opts: AofCheckOptions = {}): { bytes: string; report: AofFileReport } {
  const report = checkAof(bytes, opts);
  const code = report.error?.code;
  if (code === "AOF_RDB_PREAMBLE" || code === "AOF_BAD_PREAMBLE") {
    // A preamble that cannot be checked or is corrupt is not something truncation can fix.
    throw report.error!;
  }
  return { bytes: report.diff > 0 ? bytes.slice(0, report.okUpTo) : bytes, report };
}

/**
 * --fix on a directory: the last file cut to its whole-record prefix. Refused (AOF_CANNOT_TRUNCATE)
 * when the invalid file is not the last one, and the manifest's own errors are thrown as they are.
 */
export function fixAofDir(dir: AofDir, opts: Omit<AofCheckOptions, "name"> = {}): { files: Map<string, string>; report: AofDirReport } {
  const report = checkAofDir(dir, opts);
  const files = new Map(dir.files instanceof Map ? dir.files : Object.entries(dir.files));
  if (report.ok) return { files, report };
  if (!report.manifest || report.files.length === 0) throw report.error!;
  const bad = report.files[report.files.length - 1];
  const order = loadOrder(report.manifest);
  if (order[order.length - 1].name !== bad.name) {
    throw new AofError("AOF_CANNOT_TRUNCATE", `Failed to truncate AOF ${bad.name} because it is not the last file`, bad.okUpTo, {
      file: bad.name,
      cause: report.error,
    });
  }
  files.set(bad.name, fixAof(files.get(bad.name)!, { ...opts, name: bad.name }).bytes);
  return { files, report };
}

/**
 * --truncate-to-timestamp on one file: the bytes before the first `#TS:` annotation later than
 * `seconds` (`cutAt` null: no such annotation, nothing cut). A cut inside MULTI … EXEC moves back to
 * the MULTI, so the result is whole records. Throws AOF_BAD_TIMESTAMP for a `#TS:` that is not a
 * number, AOF_CANNOT_TRUNCATE when nothing would be left, and the file's own format errors.
 */
export function truncateToTimestamp(bytes: string, seconds: number, opts: AofCheckOptions = {}): { bytes: string; cutAt: number | null } {
  const cutAt = findTimestampCut(bytes, seconds, opts);
  return { bytes: cutAt === null ? bytes : bytes.slice(0, cutAt), cutAt };
}

/** --truncate-to-timestamp on a directory: only the last file may be cut, as redis-check-aof insists. */
export function truncateAofDirToTimestamp(
  dir: AofDir,
  seconds: number,
  opts: Omit<AofCheckOptions, "name"> = {},
): { files: Map<string, string>; cut: { file: string; offset: number } | null } {
  const manifest = parseManifest(dir.manifest);
  const order: AofFileInfo[] = loadOrder(manifest);
  const files = new Map(dir.files instanceof Map ? dir.files : Object.entries(dir.files));
  for (let i = 0; i < order.length; i++) {
    const name = order[i].name;
    const bytes = files.get(name);
    if (bytes === undefined) {
      throw new AofError("AOF_MISSING_FILE", `AOF file ${name} listed in the manifest does not exist`, 0, { file: name });
    }
    const cutAt = findTimestampCut(bytes, seconds, { ...opts, name });
    if (cutAt === null) continue;
    if (i !== order.length - 1) {
      throw new AofError(
        "AOF_CANNOT_TRUNCATE",
        `Failed to truncate AOF ${name} to timestamp ${seconds} to offset ${cutAt} because it is not the last file`,
        cutAt,
        { file: name },
      );
    }
    files.set(name, bytes.slice(0, cutAt));
    return { files, cut: { file: name, offset: cutAt } };
  }
  return { files, cut: null };
}

function findTimestampCut(bytes: string, seconds: number, opts: AofCheckOptions): number | null {
  const name = opts.name ?? "appendonly.aof";
  let start = 0;
  if (hasRdbPreamble(bytes)) {
    if (!opts.rdbCheck) throw new AofError("AOF_RDB_PREAMBLE", "The AOF starts with an RDB preamble and no RDB checker was given", 0, { file: name });
    start = opts.rdbCheck(bytes);
  }
  const reader = new AofReader(start);
  reader.push(start > 0 ? bytes.slice(start) : bytes);
  for (;;) {
    let item;
    try {
      item = reader.next();
    } catch (e) {
      throw e instanceof AofError ? e.inFile(name) : e;
    }
    // The end of the file, whole or cut: nothing later than the time, so nothing to truncate.
    if (item === null) return null;
    if (item.kind !== "annotation" || !item.text.startsWith("TS:")) continue;
    if (item.timestamp === null) throw new AofError("AOF_BAD_TIMESTAMP", "Invalid timestamp annotation", item.start, { file: name });
    if (item.timestamp <= seconds) continue;
    const cut = reader.openMulti ?? item.start;
    if (cut === 0) {
      throw new AofError("AOF_CANNOT_TRUNCATE", `AOF ${name} has nothing before timestamp ${seconds}, aborting...`, 0, { file: name });
    }
    return cut;
  }
}

/** A file's report in redis-check-aof's words (for a CLI): the error, the analysis line, the verdict. */
export function describeFileReport(r: AofFileReport, label = "AOF"): string[] {
  if (r.status === "empty") return [`${label} ${r.name} is empty`];
  const out: string[] = [];
  if (r.error) {
    out.push(
      r.error.reason.startsWith("AOF format error")
        ? `AOF ${r.name} format error`
        : `0x${r.error.offset.toString(16).padStart(16, " ")}: ${r.error.reason}`,
    );
  }
  out.push(`AOF analyzed: filename=${r.name}, size=${r.size}, ok_up_to=${r.okUpTo}, ok_up_to_line=${r.okUpToLine}, diff=${r.diff}`);
  out.push(r.diff > 0 || r.error ? `AOF ${r.name} is not valid. Use the --fix option to try fixing it.` : `${label} ${r.name} is valid`);
  return out;
}
