// The run: each generated command on our Engine and on Redis, replies and touched keys compared,
// the final state and a replay of our propagated log checked at the end.

import { keyPositions } from "../../durable-objects/engine/command.js";
import { Engine } from "../../durable-objects/engine/engine.js";
import { isErrorReply, type Reply } from "../../durable-objects/engine/reply.js";
import { seededRandom } from "../../durable-objects/engine/testing.js";
import { RedisHash, RedisSet, RedisZSet } from "../../durable-objects/engine/types/index.js";
import type { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { asInt, compareSort, exact, HASH_LISTINGS, mixedLexSource, RANDOM, randomShape, SCANS, sortOptions, STALE_ERRNO_SORT, TTLS, universeOf, UNORDERED, type Verdict } from "./compare.js";
import { type Family, KEY_SPACE } from "./gen.js";
import { byBytes, show, sortGroups, sortStrings } from "./replies.js";
import { type KeyState, ourKeyState, peek, redisKeyStates, sameExpiry, sameWithinUlps, showState, storesDistances } from "./state.js";
import { CommandStream, FAMILY_FILES, familyOf, GENERATORS } from "./command-stream.js";

/** Encoding thresholds for a run: Redis's defaults, or small ones so transitions happen often. */
export const PROFILES: Record<string, Record<string, string>> = {
  default: {
    "hash-max-listpack-entries": "128",
    "hash-max-listpack-value": "64",
    "set-max-intset-entries": "512",
    "zset-max-listpack-entries": "128",
    "zset-max-listpack-value": "64",
  },
  small: {
    "hash-max-listpack-entries": "4",
    "hash-max-listpack-value": "8",
    "set-max-intset-entries": "6",
    "zset-max-listpack-entries": "4",
    "zset-max-listpack-value": "8",
  },
};

export interface DiffOptions {
  seed: number;
  count: number;
  profile?: keyof typeof PROFILES;
  /** Share of commands given wrong arguments. */
  mutationRate?: number;
  /** Also replay our propagated log into a fresh engine and compare (default true). */
  replay?: boolean;
  /** Compare lex ranges over mixed scores too (Redis documents them as unspecified). */
  strictLex?: boolean;
  /** Generate only these families' commands (e.g. a geo-only run). */
  families?: Family[];
}

export type MismatchKind = "reply" | "state" | "encoding" | "final" | "replay";

export interface Mismatch {
  kind: MismatchKind;
  /** Index of the command in the run (-1 for the final and replay comparisons). */
  index: number;
  argv: string[];
  family: Family;
  ours: string;
  theirs: string;
  note?: string;
  /** Keys whose history explains it. */
  keys: string[];
}

export interface HistoryEntry {
  index: number;
  argv: string[];
  ours: string;
  theirs: string;
  /** Harness commands (resyncs, reclaiming expired keys) are not part of the generated stream. */
  harness?: boolean;
}

export interface Coverage {
  family: Family;
  runs: number;
  /** Runs whose reply (ours) was an error. */
  errors: number;
}

export interface DiffResult {
  seed: number;
  count: number;
  profile: string;
  mismatches: Mismatch[];
  coverage: Map<string, Coverage>;
  /** family:name of generators whose command the engine does not have. */
  missing: string[];
  /** Engine commands no generator covers. */
  ungenerated: string[];
  history: HistoryEntry[];
  keyHistory: Map<string, number[]>;
  millis: number;
}

/** Keys an argv names, by the engine's key positions and by name (SORT patterns, STORE targets). */
function keysOf(engine: Engine, argv: string[]): string[] {
  const out = new Set<string>();
  const spec = engine.lookup(argv[0]);
  if (spec) {
    try {
      for (const p of keyPositions(spec, argv)) if (p < argv.length) out.add(argv[p]);
    } catch {
      // A malformed argv may confuse a key-position function; the names below still count.
    }
  }
  for (let i = 1; i < argv.length; i++) if (KEY_SPACE.includes(argv[i])) out.add(argv[i]);
  if (argv[0].toLowerCase() === "flushdb") for (const k of KEY_SPACE) out.add(k);
  return [...out];
}

export async function runDifferential(conn: RespClient, opts: DiffOptions): Promise<DiffResult> {
  const started = Date.now();
  const profile = opts.profile ?? "default";
  const config = PROFILES[profile];
  await conn.call("FLUSHALL");
  for (const [k, v] of Object.entries(config)) {
    const r = await conn.call("CONFIG", "SET", k, v);
    if (isErrorReply(r)) throw new Error(`CONFIG SET ${k} ${v}: ${r.error}`);
  }

  // The engine's clock is fixed while a command runs and moved to real time before each one, so
  // relative expiries land where Redis puts them (within EXPIRE_TOLERANCE_MS).
  let now = Date.now();
  const clock = () => now;
  const engine = new Engine({ clock, random: seededRandom(opts.seed ^ 0x5bd1e995), config });
  const log: string[][] = [];
  engine.sink = (cmds) => log.push(...cmds);

  const stream = new CommandStream(opts.seed, (n) => engine.lookup(n) !== undefined, opts.mutationRate, opts.families);
  const generated = new Set(GENERATORS.map((x) => x.name));
  const ungenerated = FAMILY_FILES.flatMap(([f, specs]) => specs.filter((s) => !generated.has(s.name)).map((s) => `${f}:${s.name}`));

  const mismatches: Mismatch[] = [];
  const coverage = new Map<string, Coverage>();
  const history: HistoryEntry[] = [];
  const keyHistory = new Map<string, number[]>();
  /** Keys whose encodings differ (reported once until they agree again). */
  const encodingDiverged = new Map<string, string>();

  const internal: string[] = [];
  const runOurs = (argv: string[]): Reply => {
    now = Date.now();
    const original = console.error;
    console.error = (...a: unknown[]) => internal.push(a.map(String).join(" "));
    try {
      return engine.execute(argv);
    } finally {
      console.error = original;
    }
  };
  const note = (index: number, argv: string[], ours: string, theirs: string, harness = false) => {
    const at = history.length;
    history.push({ index, argv, ours, theirs, harness });
    for (const k of keysOf(engine, argv)) {
      let list = keyHistory.get(k);
      if (!list) keyHistory.set(k, (list = []));
      list.push(at);
    }
  };
  /** Runs a bookkeeping command on both sides (not compared beyond recording it). */
  const both = async (index: number, argv: string[]) => {
    const ours = runOurs(argv);
    const theirs = await conn.call(...argv);
    note(index, argv, show(ours), show(theirs), true);
  };

  const liveKeys = () => [...engine.db.data.keys()].filter((k) => !engine.db.isExpired(k, Date.now()));

  /** Runs a SCAN-family command to the end on one side; the items found, deduplicated and sorted. */
  const fullScan = async (argv: string[], call: (a: string[]) => Reply | Promise<Reply>): Promise<Reply> => {
    const pos = SCANS.get(argv[0].toLowerCase())!;
    const pairs = argv[0].toLowerCase() === "hscan" || argv[0].toLowerCase() === "zscan";
    const a = [...argv];
    const seen = new Set<string>();
    for (let pages = 0; pages < 100_000; pages++) {
      const r = await call(a);
      if (!Array.isArray(r) || r.length !== 2 || !Array.isArray(r[1])) return r;
      const items = r[1] as string[];
      if (pairs) for (let i = 0; i < items.length; i += 2) seen.add(show([items[i], items[i + 1]]));
      else for (const x of items) seen.add(show(x));
      if (r[0] === "0") return ["(full iteration)", [...seen].sort(byBytes)];
      a[pos] = r[0] as string;
    }
    return { error: "scan did not finish" };
  };

  const compareKeys = async (index: number, argv: string[], keys: string[], kind: MismatchKind): Promise<void> => {
    if (keys.length === 0) return;
    const theirs = await redisKeyStates(conn, keys);
    const t = Date.now();
    const resync: string[] = [];
    keys.forEach((key, i) => {
      const a = ourKeyState(engine, key, t);
      const b = theirs[i];
      const family = familyOf(argv[0]);
      if (a.type === "zset" && b.type === "zset" && a.value !== b.value && storesDistances(argv) && sameWithinUlps(a.value, b.value)) {
        // Stored distances come from sin/cos/asin: V8's (fdlibm) and glibc's differ in the last bit
        // now and then. Equal up to that: start the key afresh on both sides rather than diverge.
        resync.push(key);
        return;
      }
      if (a.type !== b.type || a.value !== b.value || !sameExpiry(a.expireAt, b.expireAt)) {
        mismatches.push({ kind, index, argv, family, ours: showState(a), theirs: showState(b), keys: [key], note: `key ${key} differs` });
        resync.push(key);
        encodingDiverged.delete(key);
        return;
      }
      const pair = `${a.encoding} vs ${b.encoding}`;
      if (a.encoding === b.encoding) encodingDiverged.delete(key);
      else if (encodingDiverged.get(key) !== pair) {
        encodingDiverged.set(key, pair);
        mismatches.push({
          kind: kind === "state" ? "encoding" : kind,
          index,
          argv,
          family: familyOf(argv[0]),
          ours: a.encoding,
          theirs: b.encoding,
          keys: [key],
          note: `OBJECT ENCODING ${key} (${a.type}) differs`,
        });
      }
    });
    // A diverged key would make every later command on it differ too: delete it on both sides.
    if (resync.length > 0 && (kind === "state" || storesDistances(argv))) await both(index, ["DEL", ...resync]);
  };

  for (let index = 0; index < opts.count; index++) {
    const argv = stream.next();
    const name = argv[0].toLowerCase();
    const family = familyOf(name);

    // Redis reclaims keys past their expiry in the background (active expiry), we on access; DBSIZE
    // counts keys not yet reclaimed, so reclaim them on both sides first, by touching them.
    if (name === "dbsize") {
      const expired = [...engine.db.expires.keys()].filter((k) => engine.db.isExpired(k, Date.now()));
      if (expired.length > 0) await both(index, ["EXISTS", ...expired]);
    }
    // Redis's SORT tests errno after strtod without clearing it first (sort.c), so an ERANGE left by
    // any earlier command on this connection (ZADD … -1e-400) fails it spuriously. A float parsed by
    // getDoubleFromObject (which clears errno) resets it; nothing else is touched.
    if (name === "sort" || name === "sort_ro") await conn.call("ZUNION", "1", "__differential_errno__", "WEIGHTS", "1");
    const t0 = Date.now();
    const pre = argv.length > 1 ? peek(engine, argv[1], t0) : undefined;
    const preKeys = name === "randomkey" ? liveKeys() : [];
    const mixedLex = opts.strictLex ? null : mixedLexSource(engine, argv, t0);
    // Taken before the command: SPOP changes the very object `pre` refers to (SORT its encoding).
    const universe = RANDOM.has(name) ? universeOf(pre) : new Map<string, string>();
    const preBig = pre instanceof RedisHash || pre instanceof RedisSet || pre instanceof RedisZSet ? pre.bigEncoding : false;
    const internalBefore = internal.length;

    let ours: Reply;
    let theirs: Reply;
    if (SCANS.has(name) && argv.length > SCANS.get(name)!) {
      ours = await fullScan(argv, runOurs);
      theirs = await fullScan(argv, (a) => conn.call(...a));
    } else {
      ours = runOurs(argv);
      theirs = await conn.call(...argv);
    }

    let v: Verdict;
    if (UNORDERED.has(name)) v = exact(ours, theirs, sortStrings, "unordered reply: compared sorted");
    else if (HASH_LISTINGS.has(name) && pre instanceof RedisHash && preBig) {
      v = exact(ours, theirs, name === "hgetall" ? (r) => sortGroups(r, 2) : sortStrings, "hashtable-encoded hash: compared sorted");
    } else if (SCANS.has(name) && !isErrorReply(ours) && !isErrorReply(theirs) && !/^[+-]?0*$/.test(argv[SCANS.get(name)!])) {
      // A cursor no call returned is "undefined behavior" in Redis's documentation (small encodings ignore it).
      v = { equal: true, ours: show(ours), theirs: show(theirs), note: "SCAN from a cursor never returned: unspecified" };
    } else if (SCANS.has(name)) v = exact(ours, theirs, (r) => r, "SCAN family: full iterations compared as sets");
    else if (RANDOM.has(name)) {
      const a = randomShape(name, argv, ours, pre, universe, preKeys);
      const b = randomShape(name, argv, theirs, pre, universe, preKeys);
      v = { equal: a === b && !a.startsWith("invalid"), ours: `${show(ours)} → ${a}`, theirs: `${show(theirs)} → ${b}`, note: "random reply: validity compared" };
    } else if (name === "object" && argv[1]?.toLowerCase() === "idletime" && typeof ours === "number" && typeof theirs === "number") {
      // Seconds since the last access: Redis reads a clock cached 10 times a second, we read the time.
      v = { equal: Math.abs(ours - theirs) <= 1, ours: show(ours), theirs: show(theirs), note: "OBJECT IDLETIME compared within 1 s" };
    } else if (TTLS.has(name)) {
      const x = asInt(ours);
      const y = asInt(theirs);
      const tol = TTLS.get(name)!;
      const equal = x !== null && y !== null ? (x < 0 || y < 0 ? x === y : Math.abs(x - y) <= tol) : show(ours) === show(theirs);
      v = { equal, ours: show(ours), theirs: show(theirs), note: `TTL replies compared within ${tol}` };
    } else if (name === "sort" || name === "sort_ro") v = compareSort(argv, ours, theirs, pre, preBig);
    else if (mixedLex !== null && !isErrorReply(ours) && !isErrorReply(theirs)) {
      v = { equal: true, ours: show(ours), theirs: show(theirs), note: `lex range over ${mixedLex}, whose scores differ: unspecified` };
    } else v = exact(ours, theirs);

    if (internal.length > internalBefore) {
      v = { ...v, equal: false, note: `internal error: ${internal.slice(internalBefore).join("; ").slice(0, 500)}` };
    }
    const keys = keysOf(engine, argv);
    note(index, argv, v.ours, v.theirs);
    if (!v.equal) mismatches.push({ kind: "reply", index, argv, family, ours: v.ours, theirs: v.theirs, note: v.note, keys });
    const cov = coverage.get(name) ?? { family, runs: 0, errors: 0 };
    cov.runs++;
    if (isErrorReply(ours)) cov.errors++;
    coverage.set(name, cov);

    // SPOP removed different members on each side: remove the other side's too, so both hold the rest.
    if (name === "spop" && !isErrorReply(ours) && !isErrorReply(theirs)) {
      const a = new Set(Array.isArray(ours) ? (ours as string[]) : ours === null ? [] : [ours as string]);
      const b = new Set(Array.isArray(theirs) ? (theirs as string[]) : theirs === null ? [] : [theirs as string]);
      const onlyTheirs = [...b].filter((m) => !a.has(m));
      const onlyOurs = [...a].filter((m) => !b.has(m));
      if (onlyTheirs.length > 0) runOurs(["SREM", argv[1], ...onlyTheirs]);
      if (onlyOurs.length > 0) await conn.call("SREM", argv[1], ...onlyOurs);
      if (onlyTheirs.length + onlyOurs.length > 0) {
        note(index, ["SREM (resync)", argv[1], ...onlyTheirs, "|", ...onlyOurs], "", "", true);
      }
    }

    // What an unspecified lex removal or store left differs by design: start that key afresh on both sides.
    if (mixedLex !== null && (name === "zremrangebylex" || name === "zrangestore") && !isErrorReply(ours)) await both(index, ["DEL", argv[1]]);
    // Redis's stale-errno failure (see compareSort) left a STORE destination as it was, while ours
    // was written: start that key afresh on both sides too.
    if (v.note === STALE_ERRNO_SORT) {
      const dest = sortOptions(argv).storeKey;
      if (dest !== undefined) await both(index, ["DEL", dest]);
    }

    await compareKeys(index, argv, keys, "state");
  }

  // The whole dataset at the end: every key either side has.
  const redisKeys = (await conn.call("KEYS", "*")) as string[];
  const all = [...new Set([...KEY_SPACE, ...redisKeys, ...liveKeys()])].sort(byBytes);
  await compareKeys(-1, ["(final dataset)"], all, "final");

  // Replaying what we propagated must rebuild our dataset exactly (AOF correctness).
  if (opts.replay ?? true) {
    const replayed = new Engine({ clock, config });
    replayed.db.loading = true;
    for (const argv of log) {
      const r = replayed.replay(argv);
      if (isErrorReply(r)) {
        mismatches.push({ kind: "replay", index: -1, argv, family: familyOf(argv[0]), ours: "(logged)", theirs: show(r), keys: keysOf(engine, argv), note: "a logged command fails on replay" });
      }
    }
    replayed.db.loading = false;
    const t = Date.now();
    for (const key of [...new Set([...engine.db.data.keys(), ...replayed.db.data.keys()])].sort(byBytes)) {
      const a = ourKeyState(engine, key, t);
      const b = ourKeyState(replayed, key, t);
      // Encodings are not compared: a string's records how it was made (APPEND: raw), which the log's
      // rewrites (INCRBYFLOAT → SET) do not keep, and SORT converts a listpack zset in place without
      // propagating anything. Redis's own AOF behaves the same.
      // For the same reason a zset score of -0 (kept only by the skiplist encoding) may come back as 0.
      const value = (x: KeyState) => (x.type === "zset" ? x.value.replaceAll('"-0"', '"0"') : x.value);
      if (a.type !== b.type || value(a) !== value(b) || a.expireAt !== b.expireAt) {
        mismatches.push({ kind: "replay", index: -1, argv: ["(replay of our log)"], family: "keys", ours: showState(a), theirs: showState(b), keys: [key], note: `key ${key}: live vs replayed from the log` });
      }
    }
  }

  return { seed: opts.seed, count: opts.count, profile, mismatches, coverage, missing: stream.missing, ungenerated, history, keyHistory, millis: Date.now() - started };
}
