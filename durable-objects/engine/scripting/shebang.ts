// The first line of a script or library: `#!lua flags=…` for EVAL, `#!lua name=…` for FUNCTION LOAD.
// Parsed as Redis 7.0 parses it (sdssplitargs, then each part), with its error texts.

/** A script's flags (Redis's SCRIPT_FLAG_*), plus Upstash's allow-key-locking. */
export interface ScriptFlags {
  /** No shebang: EVAL's pre-7.0 behaviour (writes allowed, OOM checked per command). */
  compat: boolean;
  noWrites: boolean;
  allowOom: boolean;
  allowStale: boolean;
  noCluster: boolean;
  allowCrossSlotKeys: boolean;
  /** Upstash's flag, put on every @upstash/ratelimit script: accepted; the script touches only its declared keys. */
  allowKeyLocking: boolean;
}

type FlagName = Exclude<keyof ScriptFlags, "compat">;

const FLAG_NAMES: Record<string, FlagName> = {
  "no-writes": "noWrites",
  "allow-oom": "allowOom",
  "allow-stale": "allowStale",
  "no-cluster": "noCluster",
  "allow-cross-slot-keys": "allowCrossSlotKeys",
};

export const COMPAT_FLAGS: Readonly<ScriptFlags> = Object.freeze(noFlags(true));

export function noFlags(compat = false): ScriptFlags {
  return { compat, noWrites: false, allowOom: false, allowStale: false, noCluster: false, allowCrossSlotKeys: false, allowKeyLocking: false };
}

/** Sets one flag by its Redis name; false for a name Redis does not know. */
export function setFlag(flags: ScriptFlags, name: string, shebang: boolean): boolean {
  const field = FLAG_NAMES[name] ?? (shebang && name === "allow-key-locking" ? "allowKeyLocking" : undefined);
  if (field === undefined) return false;
  flags[field] = true;
  return true;
}

/** Redis's names of the flags set (FUNCTION LIST's flags), in its order. */
export function flagNames(flags: ScriptFlags): string[] {
  return Object.entries(FLAG_NAMES)
    .filter(([, field]) => flags[field])
    .map(([name]) => name);
}

/**
 * Redis's sdssplitargs: words split on whitespace, with "…" (C escapes) and '…' quoting; null
 * when a quote is not closed or a closing quote is not followed by a space.
 */
export function splitArgs(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const space = (c: string | undefined) => c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\0" || c === "\v" || c === "\f";
  for (;;) {
    while (i < line.length && space(line[i])) i++;
    if (i >= line.length) return out;
    let cur = "";
    let inDq = false;
    let inSq = false;
    for (;;) {
      const c = line[i];
      if (inDq) {
        if (c === undefined) return null;
        if (c === "\\" && line[i + 1] === "x" && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < line.length) {
          i++;
          const e = line[i];
          cur += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "b" ? "\b" : e === "a" ? "\x07" : e;
        } else if (c === '"') {
          if (i + 1 < line.length && !space(line[i + 1])) return null;
          i++;
          break;
        } else cur += c;
      } else if (inSq) {
        if (c === undefined) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < line.length && !space(line[i + 1])) return null;
          i++;
          break;
        } else cur += c;
      } else if (c === undefined || space(c)) {
        break;
      } else if (c === '"') inDq = true;
      else if (c === "'") inSq = true;
      else cur += c;
      i++;
    }
    out.push(cur);
  }
}

export interface ParsedScript {
  flags: ScriptFlags;
  /** The body as the VM compiles it: the shebang line blanked, its line feed kept (line numbers stay the user's). */
  code: string;
}

/** EVAL's shebang (evalExtractShebangFlags); the error text without its "ERR " prefix. */
export function parseScript(body: string): ParsedScript | { error: string } {
  if (!body.startsWith("#!")) return { flags: { ...COMPAT_FLAGS }, code: body };
  const end = body.indexOf("\n");
  if (end < 0) return { error: "Invalid script shebang" };
  const parts = splitArgs(body.slice(0, end));
  if (!parts || parts.length === 0) return { error: "Invalid engine in script shebang" };
  if (parts[0] !== "#!lua") return { error: `Unexpected engine in script shebang: ${parts[0]}` };
  const flags = noFlags();
  for (const part of parts.slice(1)) {
    if (!part.startsWith("flags=")) return { error: `Unknown lua shebang option: ${part}` };
    for (const name of part.slice(6).split(",")) {
      // "flags=" alone declares no flags; an empty name between commas is an error.
      if (name === "" && part.length === 6) continue;
      if (!setFlag(flags, name, true)) return { error: `Unexpected flag in script shebang: ${name}` };
    }
  }
  return { flags, code: body.slice(end) };
}

export interface LibraryMeta {
  engine: string;
  name: string;
  /** The code after the shebang line (its line feed kept), as the engine compiles it. */
  code: string;
}

const LIBRARY_NAME = /^[A-Za-z0-9_]+$/;

/** FUNCTION LOAD's metadata line (functionExtractLibMetaData + the name check); errors without "ERR ". */
export function parseLibrary(payload: string): LibraryMeta | { error: string } {
  if (!payload.startsWith("#!")) return { error: "Missing library metadata" };
  const end = payload.indexOf("\n");
  if (end < 0) return { error: "Invalid library metadata" };
  const parts = splitArgs(payload.slice(0, end));
  if (!parts || parts.length === 0) return { error: "Invalid library metadata" };
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() === "name=") {
      if (name !== null) return { error: "Invalid metadata value, name argument was given multiple times" };
      name = part.slice(5);
      continue;
    }
    return { error: `Invalid metadata value given: ${part}` };
  }
  if (name === null) return { error: "Library name was not given" };
  if (!LIBRARY_NAME.test(name)) {
    return { error: "Library names can only contain letters, numbers, or underscores(_) and must be at least one character long" };
  }
  if (engine.toLowerCase() !== "lua") return { error: `Engine '${engine}' not found` };
  return { engine, name, code: payload.slice(end) };
}
