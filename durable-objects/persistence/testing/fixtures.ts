// Test helper: the AOF files written by real Redis 7.0.15 (persistence/aof/fixtures/, copied from
// the shared fixture corpus) as byte strings, with what Redis and redis-check-aof said about them.

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bytesToBinary, compareBytes, formatDouble } from "../../engine/bytes.js";
import type { KeyDump } from "./redis.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "../aof/fixtures");
const at = (path: string) => join(ROOT, path);

/** A fixture file's bytes as a byte string. */
export function readFixture(path: string): string {
  return bytesToBinary(readFileSync(at(path)));
}

/** A fixture appendonlydir: its manifest's text and every file's bytes by name. */
export function readFixtureDir(path: string): { manifest: string; files: Map<string, string> } {
  const dir = path.endsWith("/") ? path : `${path}/`;
  const files = new Map<string, string>();
  let manifest = "";
  for (const name of readdirSync(at(dir))) {
    const bytes = readFixture(dir + name);
    if (name.endsWith(".manifest")) manifest = bytes;
    else files.set(name, bytes);
  }
  return { manifest, files };
}

/** Bytes as the fixture corpus writes them: a JSON string when printable ASCII, else {b64}. */
export type FixtureBytes = string | { b64: string };

export function fixtureBytes(v: FixtureBytes): string {
  return typeof v === "string" ? v : bytesToBinary(Uint8Array.from(atob(v.b64), (c) => c.charCodeAt(0)));
}

interface FixtureEntry {
  description: string;
  resp_files_decoded?: Record<string, FixtureBytes[][]>;
  truncated_at_offset?: number;
  last_complete_command_ends_at?: number;
  [k: string]: unknown;
}

const expected = JSON.parse(readFileSync(at("expected.json"), "utf8")) as { files: Record<string, FixtureEntry> };

/** What the corpus's manifest.json records about a fixture (keys as there: "aof/resp/appendonlydir"). */
export function fixtureInfo(key: string): FixtureEntry {
  const e = expected.files[key];
  if (!e) throw new Error(`no fixture ${key}`);
  return e;
}

/** The commands Redis logged in one file of a fixture, decoded to byte strings. */
export function decodedRecords(key: string, file: string): string[][] {
  const records = fixtureInfo(key).resp_files_decoded?.[file];
  if (!records) throw new Error(`no decoded records for ${key} ${file}`);
  return records.map((argv) => argv.map(fixtureBytes));
}

/** redis-check-aof's output for a fixture, from check-tool-outputs.txt: the lines of its section. */
export function checkToolOutput(section: string): string[] {
  const text = readFileSync(at("check-tool-outputs.txt"), "utf8");
  const start = text.indexOf(`==== ${section}  [`);
  if (start < 0) throw new Error(`no check output for ${section}`);
  const body = text.slice(text.indexOf("\n", start) + 1);
  const end = body.indexOf("\n==== ");
  return (end < 0 ? body : body.slice(0, end)).split("\n").filter((l) => l.length > 0);
}

/** Length of the RDB at the start of the preamble fixtures (redis-check-rdb: "[offset 337] Checksum OK"). */
export const FIXTURE_RDB_LENGTH = 337;

/**
 * Stands in for the RDB decoder (persistence/rdb/, written separately) on the fixtures: checks the
 * magic and version, and answers the RDB's known length.
 */
export function fixtureRdbPreamble(bytes: string): number {
  if (!bytes.startsWith("REDIS0010")) throw Object.assign(new Error("not an RDB v10"), { offset: 0 });
  if (bytes.charCodeAt(FIXTURE_RDB_LENGTH - 9) !== 0xff) throw Object.assign(new Error("no EOF opcode"), { offset: FIXTURE_RDB_LENGTH - 9 });
  return FIXTURE_RDB_LENGTH;
}

interface FixtureKey {
  key: FixtureBytes;
  type: string;
  expire_at_ms: number | null;
  value: FixtureBytes | FixtureBytes[] | [FixtureBytes, FixtureBytes | number | string][];
}

/**
 * One database of a fixture's dataset as its manifest records it, in dumpRedis's form (KeyDump:
 * sets sorted, zset scores as %.17g text, hash fields sorted, absolute expiries).
 */
export function fixtureDataset(key: string, db = "0"): Map<string, KeyDump> {
  const keys = ((fixtureInfo(key).databases as Record<string, FixtureKey[]> | undefined) ?? {})[db] ?? [];
  const out = new Map<string, KeyDump>();
  const sorted = <T>(a: T[], by: (x: T) => string) => [...a].sort((x, y) => compareBytes(by(x), by(y)));
  for (const k of [...keys].sort((a, b) => compareBytes(fixtureBytes(a.key), fixtureBytes(b.key)))) {
    let value: KeyDump["value"];
    if (k.type === "string") value = fixtureBytes(k.value as FixtureBytes);
    else if (k.type === "list") value = (k.value as FixtureBytes[]).map(fixtureBytes);
    else if (k.type === "set") value = sorted((k.value as FixtureBytes[]).map(fixtureBytes), (x) => x);
    else if (k.type === "zset") {
      value = (k.value as [FixtureBytes, number | string][]).map(
        ([m, s]): [string, string] => [fixtureBytes(m), formatDouble(typeof s === "number" ? s : s === "inf" ? Infinity : -Infinity)],
      );
    } else if (k.type === "hash") value = sorted((k.value as [FixtureBytes, FixtureBytes][]).map(([f, v]) => [fixtureBytes(f), fixtureBytes(v)] as [string, string]), (p) => p[0]);
    else throw new Error(`fixture type ${k.type} not handled`);
    out.set(fixtureBytes(k.key), { type: k.type, value, expireAt: k.expire_at_ms });
  }
  return out;
}
