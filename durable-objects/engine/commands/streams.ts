// Stream commands (XADD, XRANGE, XREAD, XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO,
// XSETID, …) with Redis 7.0's replies and error texts. What they propagate is what Redis 7.0
// propagates, so the log replays to the same stream: XADD with the ID it assigned (and `=` with the
// length or first ID an approximate trim left), XREADGROUP and XAUTOCLAIM as XCLAIM … JUSTID LASTID
// per entry delivered or dropped (plus XGROUP SETID after NOACK reads), XCLAIM as the same. BLOCK
// answers at once, as the other blocking commands do over HTTP.

import { type CommandContext, type CommandSpec, command } from "../command.js";
import { RedisError, syntaxError, unknownSubcommand, wrongArity, wrongType } from "../errors.js";
import { OK, type Reply, status } from "../reply.js";
import {
  Consumer,
  ConsumerGroup,
  MAX_ID,
  MIN_ID,
  type Nack,
  RedisStream,
  type TrimArgs,
  idDecr,
  idIncr,
  idKey,
  idKeyFromNumbers,
  idMs,
  idSeq,
  idText,
} from "../types/stream.js";
import { int64Arg, opt, rangeArg } from "./args.js";
import { NOTIFY_STREAM } from "../notify.js";
import { ELEMENT_BYTES, ensureReplyRoom, roomToSize, stringsBytes } from "../reply-budget.js";

// ── arguments ──────────────────────────────────────────────────────────────────────────────────

const U64_MAX = (1n << 64n) - 1n;
const invalidId = () => new RedisError("ERR Invalid stream ID specified as stream command argument");
const noGroup = (key: string, group: string) => new RedisError(`NOGROUP No such key '${key}' or consumer group '${group}'`);
const noGroupForKey = (key: string, group: string) =>
  new RedisError(`NOGROUP No such consumer group '${group}' for key name '${key}'`);
const subcommandSyntax = (argv: string[]) =>
  new RedisError(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${argv[0].toUpperCase()} HELP.`);

const CANONICAL = /^(?:0|-?[1-9][0-9]{0,19})$/;
const STRTOULL = /^[\t\n\v\f\r ]*([+-]?)([0-9]+)$/;

/** Redis's string2ull: a canonical int64 that is not negative, else what strtoull accepts whole. */
function parseU64(s: string): bigint | null {
  if (CANONICAL.test(s)) {
    const n = BigInt(s);
    if (n >= -(1n << 63n) && n < 1n << 63n) return n < 0n ? null : n;
  }
  const m = STRTOULL.exec(s);
  if (!m) return null;
  const n = BigInt(m[2]);
  if (n > U64_MAX) return null;
  return m[1] === "-" ? (U64_MAX + 1n - n) & U64_MAX : n;
}

interface ParsedId {
  id: string;
  ms: bigint;
  seq: bigint;
  /** False for the `ms-*` form (XADD picks the sequence). */
  seqGiven: boolean;
}

/**
 * An ID argument as streamGenericParseIDOrReply reads it: `-`, `+` (unless strict), `ms`, `ms-seq`,
 * and `ms-*` where allowed. The text is read as a C string (up to a NUL), at most 127 bytes.
 */
function parseIdFull(arg: string, missingSeq: bigint, strict: boolean, allowSeqStar = false): ParsedId {
  if (arg.length > 127) throw invalidId();
  const nul = arg.indexOf("\0");
  const s = nul >= 0 ? arg.slice(0, nul) : arg;
  if (strict && (s === "-" || s === "+")) throw invalidId();
  if (s === "-") return { id: MIN_ID, ms: 0n, seq: 0n, seqGiven: true };
  if (s === "+") return { id: MAX_ID, ms: U64_MAX, seq: U64_MAX, seqGiven: true };
  const dash = s.indexOf("-");
  const ms = parseU64(dash >= 0 ? s.slice(0, dash) : s);
  if (ms === null) throw invalidId();
  let seq = missingSeq;
  let seqGiven = true;
  if (dash >= 0) {
    const rest = s.slice(dash + 1);
    if (allowSeqStar && rest === "*") {
      seq = 0n;
      seqGiven = false;
    } else {
      const n = parseU64(rest);
      if (n === null) throw invalidId();
      seq = n;
    }
  }
  return { id: idKey(ms, seq), ms, seq, seqGiven };
}

const parseId = (arg: string, missingSeq = 0n): string => parseIdFull(arg, missingSeq, false).id;
const parseStrictId = (arg: string): string => parseIdFull(arg, 0n, true).id;

/** An interval bound (XRANGE, XPENDING, XAUTOCLAIM): `(` makes it exclusive. */
function parseBound(arg: string, start: boolean): string {
  const missing = start ? 0n : U64_MAX;
  if (arg.length > 1 && arg[0] === "(") {
    const id = parseIdFull(arg.slice(1), missing, true).id;
    const moved = start ? idIncr(id) : idDecr(id);
    if (moved === null) throw new RedisError(`ERR invalid ${start ? "start" : "end"} ID for the interval`);
    return moved;
  }
  return parseIdFull(arg, missing, false).id;
}

/** A long long argument (getLongLongFromObjectOrReply), with an optional error text. */
function longArg(s: string, message?: string): number {
  try {
    return Number(int64Arg(s));
  } catch (e) {
    if (message) throw new RedisError(`ERR ${message}`);
    throw e;
  }
}

/** A stream at key, undefined when missing; WRONGTYPE for another type. */
function getStream(ctx: CommandContext, key: string): RedisStream | undefined {
  const v = ctx.db.get(key);
  if (v === undefined || v instanceof RedisStream) return v;
  throw wrongType();
}

const entryReply = ([id, pairs]: [string, string[]]): [string, string[]] => [idText(id), pairs];

// ── XADD / XTRIM ───────────────────────────────────────────────────────────────────────────────

interface AddTrimArgs {
  trim: TrimArgs | null;
  /** Index of the MAXLEN count or MINID id (the `~` is just before it when approximate). */
  trimArgAt: number;
  noMkStream: boolean;
  id: ParsedId | null;
  /** Where the ID is (XADD) or argv.length (XTRIM). */
  idAt: number;
}

/** streamParseAddOrTrimArgsOrReply: XADD's and XTRIM's options, with Redis's checks in its order. */
function parseAddTrim(ctx: CommandContext, argv: string[], xadd: boolean): AddTrimArgs {
  const out: AddTrimArgs = { trim: null, trimArgAt: 0, noMkStream: false, id: null, idAt: argv.length };
  let limit = 0;
  let limitGiven = false;
  let approx = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const o = opt(argv[i]);
    if (xadd && argv[i] === "*") break;
    if ((o === "MAXLEN" || o === "MINID") && more) {
      if (out.trim) throw new RedisError("ERR syntax error, MAXLEN and MINID options at the same time are not compatible");
      approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next === "~") {
        approx = true;
        i++;
      } else if (more >= 2 && next === "=") i++;
      if (o === "MAXLEN") {
        const maxlen = longArg(argv[i + 1]);
        if (maxlen < 0) throw new RedisError("ERR The MAXLEN argument must be >= 0.");
        out.trim = { strategy: "maxlen", maxlen, minid: MIN_ID, approx, limit: 0 };
      } else {
        out.trim = { strategy: "minid", maxlen: 0, minid: parseStrictId(argv[i + 1]), approx, limit: 0 };
      }
      i++;
      out.trimArgAt = i;
    } else if (o === "LIMIT" && more) {
      limit = longArg(argv[i + 1]);
      if (limit < 0) throw new RedisError("ERR The LIMIT argument must be >= 0.");
      limitGiven = true;
      i++;
    } else if (xadd && o === "NOMKSTREAM") {
      out.noMkStream = true;
    } else if (xadd) {
      out.id = parseIdFull(argv[i], 0n, true, true);
      break;
    } else {
      throw syntaxError();
    }
  }
  out.idAt = i;
  if (limit && !out.trim) throw new RedisError("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy");
  if (!xadd && !out.trim) throw new RedisError("ERR syntax error, XTRIM must be called with a trimming strategy");
  if (out.trim) {
    if (ctx.loading) {
      // What the log holds was already limited where it ran (Redis: mustObeyClient).
      out.trim.limit = 0;
    } else if (limitGiven) {
      if (!approx) throw new RedisError("ERR syntax error, LIMIT cannot be used without the special ~ option");
      out.trim.limit = limit;
    } else if (approx) {
      let l = 100 * ctx.config.getNumber("stream-node-max-entries");
      if (l <= 0) l = 10000;
      if (l > 1000000) l = 1000000;
      out.trim.limit = l;
    }
  }
  return out;
}

/** After an approximate trim, the argv to propagate says exactly where it stopped (`=` and the length or first ID). */
function rewriteTrim(argv: string[], s: RedisStream, a: AddTrimArgs): void {
  argv[a.trimArgAt - 1] = "=";
  argv[a.trimArgAt] = a.trim!.strategy === "maxlen" ? String(s.length) : idText(s.edgeId(true, false));
}

function nodeLimits(ctx: CommandContext): [number, number] {
  return [ctx.config.getNumber("stream-node-max-bytes"), ctx.config.getNumber("stream-node-max-entries")];
}

/** XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value …] */
function xadd(ctx: CommandContext, argv: string[]): Reply {
  const a = parseAddTrim(ctx, argv, true);
  const fieldAt = a.idAt + 1;
  if (argv.length - fieldAt < 2 || (argv.length - fieldAt) % 2 === 1) throw wrongArity("xadd");
  if (a.id && a.id.seqGiven && a.id.id === MIN_ID) throw new RedisError("ERR The ID specified in XADD must be greater than 0-0");
  const key = argv[1];
  let s = getStream(ctx, key);
  const isNew = s === undefined;
  if (!s) {
    if (a.noMkStream) return null;
    s = new RedisStream();
  }
  if (s.lastId === MAX_ID) throw new RedisError("ERR The stream has exhausted the last possible ID, unable to add more items");
  let id: string;
  let ms: bigint;
  let seq: bigint;
  if (a.id) {
    ({ id, ms, seq } = a.id);
    if (!a.id.seqGiven && ms === idMs(s.lastId)) {
      seq = idSeq(s.lastId);
      if (seq === U64_MAX) throw new RedisError("ERR The ID specified in XADD is equal or smaller than the target stream top item");
      seq++;
      id = idKey(ms, seq);
    }
  } else {
    const lastMs = idMs(s.lastId);
    if (BigInt(ctx.now) > lastMs) {
      ms = BigInt(ctx.now);
      seq = 0n;
      id = idKeyFromNumbers(ctx.now, 0);
    } else {
      id = idIncr(s.lastId)!;
      ms = idMs(id);
      seq = idSeq(id);
    }
  }
  if (id <= s.lastId) throw new RedisError("ERR The ID specified in XADD is equal or smaller than the target stream top item");
  const [maxBytes, maxEntries] = nodeLimits(ctx);
  s.append(id, ms, seq, argv.slice(fieldAt), maxBytes, maxEntries);
  if (isNew) ctx.db.set(key, s);
  ctx.notify(NOTIFY_STREAM, "xadd", key);
  ctx.dirty++;
  const text = idText(id);
  const out = argv.slice();
  let rewritten = false;
  if (a.trim) {
    if (s.trim(a.trim)) ctx.notify(NOTIFY_STREAM, "xtrim", key);
    if (a.trim.approx) {
      rewriteTrim(out, s, a);
      rewritten = true;
    }
  }
  if (!a.id || !a.id.seqGiven) {
    out[a.idAt] = text;
    rewritten = true;
  }
  if (rewritten) ctx.rewrite(out);
  return text;
}

/** XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count] */
function xtrim(ctx: CommandContext, argv: string[]): Reply {
  const a = parseAddTrim(ctx, argv, false);
  const s = getStream(ctx, argv[1]);
  if (!s) return 0;
  const deleted = s.trim(a.trim!);
  if (deleted) {
    ctx.notify(NOTIFY_STREAM, "xtrim", argv[1]);
    if (a.trim!.approx) {
      const out = argv.slice();
      rewriteTrim(out, s, a);
      ctx.rewrite(out);
    }
    ctx.dirty += deleted;
  }
  return deleted;
}

// ── reading ────────────────────────────────────────────────────────────────────────────────────

/** XRANGE key start end [COUNT count] / XREVRANGE key end start [COUNT count] */
function xrange(ctx: CommandContext, argv: string[]): Reply {
  const rev = argv[0].toLowerCase() === "xrevrange";
  const start = parseBound(rev ? argv[3] : argv[2], true);
  const end = parseBound(rev ? argv[2] : argv[3], false);
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    if (opt(argv[j]) === "COUNT" && j + 1 < argv.length) {
      count = longArg(argv[++j]);
      if (count < 0) count = 0;
    } else throw syntaxError();
  }
  const s = getStream(ctx, argv[1]);
  if (!s) return [];
  if (count === 0) return null;
  if (start === MIN_ID && end === MAX_ID) {
    // The whole stream: each entry is at least its ID and one field and value (5 elements).
    const entries = count === -1 ? s.length : Math.min(count, s.length);
    ensureReplyRoom(entries * 5 * ELEMENT_BYTES, roomToSize(entries, ctx));
  }
  // Counted as built (CommandContext.replyBytes): walking nested entries after costs more than the range.
  const entries = s.range(start, end, count === -1 ? 0 : count, rev);
  const out: Reply[] = new Array(entries.length);
  let bytes = ELEMENT_BYTES;
  for (let i = 0; i < entries.length; i++) {
    const entry = entryReply(entries[i]);
    out[i] = entry;
    bytes += ELEMENT_BYTES + entry[0].length + ELEMENT_BYTES + stringsBytes(entry[1]);
  }
  ctx.replyBytes = bytes;
  return out;
}

/** XLEN key */
function xlen(ctx: CommandContext, argv: string[]): Reply {
  return getStream(ctx, argv[1])?.length ?? 0;
}

/** The key positions of XREAD / XREADGROUP (xreadGetKeys): the first half of what follows STREAMS. */
function xreadKeys(argv: string[]): number[] {
  let at = -1;
  for (let i = 1; i < argv.length; i++) {
    const o = opt(argv[i]);
    if (o === "BLOCK" || o === "COUNT") i++;
    else if (o === "GROUP") i += 2;
    else if (o === "NOACK") continue;
    else if (o === "STREAMS") {
      at = i;
      break;
    } else break;
  }
  const num = at === -1 ? 0 : argv.length - at - 1;
  if (num === 0 || num % 2 !== 0) return [];
  const out: number[] = [];
  for (let i = at + 1; i < argv.length - num / 2; i++) out.push(i);
  return out;
}

const xclaimRecord = (key: string, groupName: string, group: ConsumerGroup, id: string, nack: Nack): string[] => [
  "XCLAIM", key, groupName, nack.consumer!.name, "0", id, "TIME", String(nack.deliveryTime), "RETRYCOUNT",
  String(nack.deliveryCount), "FORCE", "JUSTID", "LASTID", idText(group.lastId),
];

const setIdRecord = (key: string, groupName: string, group: ConsumerGroup): string[] => [
  "XGROUP", "SETID", key, groupName, idText(group.lastId), "ENTRIESREAD", String(group.entriesRead),
];

/** A consumer by name, its seen-time refreshed (streamLookupConsumer), or undefined. */
function lookupConsumer(ctx: CommandContext, group: ConsumerGroup, name: string, refresh = true): Consumer | undefined {
  const c = group.consumers.get(name);
  if (c && refresh) c.seenTime = ctx.now;
  return c;
}

const CONSUMER_COST = 120;

function createConsumer(ctx: CommandContext, key: string, s: RedisStream, group: ConsumerGroup, name: string): Consumer {
  const c = new Consumer(name, ctx.now);
  group.consumers.set(name, c);
  s.charge(CONSUMER_COST + name.length);
  ctx.dirty++;
  ctx.notify(NOTIFY_STREAM, "xgroup-createconsumer", key);
  return c;
}

/** Adds (or moves to `consumer`) a PEL entry for id, as a delivery by XREADGROUP does. */
function deliver(ctx: CommandContext, s: RedisStream, group: ConsumerGroup, consumer: Consumer, id: string): Nack {
  let nack = group.pel.get(id);
  if (!nack) {
    nack = { deliveryTime: ctx.now, deliveryCount: 1, consumer };
    group.pel.insert(id, nack);
    consumer.pel.insert(id, nack);
    s.charge(RedisStream.NACK_COST);
  } else {
    nack.consumer?.pel.delete(id);
    nack.consumer = consumer;
    nack.deliveryTime = ctx.now;
    nack.deliveryCount = 1;
    consumer.pel.insert(id, nack);
  }
  return nack;
}

function dropNack(s: RedisStream, group: ConsumerGroup, id: string, nack: Nack): void {
  group.pel.delete(id);
  nack.consumer?.pel.delete(id);
  s.charge(-RedisStream.NACK_COST);
}

/**
 * XREAD [COUNT count] [BLOCK ms] STREAMS key … id …
 * XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key … id …
 */
function xread(ctx: CommandContext, argv: string[]): Reply {
  const isGroup = argv[0].length === 10;
  let count = 0;
  let streamsAt = 0;
  let nStreams = 0;
  let noack = false;
  let groupName: string | null = null;
  let consumerName = "";
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = opt(argv[i]);
    if (o === "BLOCK" && more) {
      i++;
      const t = longArg(argv[i], "timeout is not an integer or out of range");
      if (t < 0) throw new RedisError("ERR timeout is negative");
    } else if (o === "COUNT" && more) {
      count = longArg(argv[++i]);
      if (count < 0) count = 0;
    } else if (o === "STREAMS" && more) {
      streamsAt = i + 1;
      nStreams = argv.length - streamsAt;
      if (nStreams % 2 !== 0) {
        throw new RedisError("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      nStreams /= 2;
      break;
    } else if (o === "GROUP" && more >= 2) {
      if (!isGroup) throw new RedisError("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (o === "NOACK") {
      if (!isGroup) throw new RedisError("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.");
      noack = true;
    } else throw syntaxError();
  }
  if (streamsAt === 0) throw syntaxError();
  if (isGroup && groupName === null) throw new RedisError("ERR Missing GROUP option for XREADGROUP");

  const ids: (string | ">")[] = new Array(nStreams);
  const groups: (ConsumerGroup | null)[] = new Array(nStreams).fill(null);
  for (let n = 0; n < nStreams; n++) {
    const key = argv[streamsAt + n];
    const arg = argv[streamsAt + nStreams + n];
    const s = getStream(ctx, key);
    if (groupName !== null) {
      const g = s?.groups.get(groupName);
      if (!g) throw new RedisError(`NOGROUP No such key '${key}' or consumer group '${groupName}' in XREADGROUP with GROUP option`);
      groups[n] = g;
    }
    if (arg === "$") {
      if (isGroup) {
        throw new RedisError(
          "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
        );
      }
      ids[n] = s ? s.lastId : MIN_ID;
    } else if (arg === ">") {
      if (!isGroup) {
        throw new RedisError("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.");
      }
      ids[n] = ">";
    } else {
      // Redis marks ">" with the largest ID: that ID given explicitly reads as ">".
      const id = parseStrictId(arg);
      ids[n] = isGroup && id === MAX_ID ? ">" : id;
    }
  }

  const out: Reply[] = [];
  const records: string[][] = [];
  for (let n = 0; n < nStreams; n++) {
    const key = argv[streamsAt + n];
    const s = getStream(ctx, key);
    if (!s) continue;
    const group = groups[n];
    let after = ids[n];
    let history = false;
    let serve = false;
    if (group) {
      if (after !== ">") serve = history = true;
      else if (s.length && s.edgeId(false, true) > group.lastId) {
        serve = true;
        after = group.lastId;
      }
    } else if (s.length && s.edgeId(false, true) > (after as string)) serve = true;
    if (!serve) continue;
    const start = idIncr(after as string) ?? MIN_ID;
    let entries: Reply;
    if (group) {
      let consumer = lookupConsumer(ctx, group, consumerName);
      if (!consumer) {
        consumer = createConsumer(ctx, key, s, group, consumerName);
        if (noack) records.push(["XGROUP", "CREATECONSUMER", key, groupName!, consumerName]);
      }
      entries = history ? readHistory(ctx, s, consumer, start, count) : readNew(ctx, s, key, groupName!, group, consumer, start, count, noack, records);
      ctx.dirty++;
    } else {
      entries = s.range(start, MAX_ID, count).map(entryReply);
    }
    out.push([key, entries]);
  }
  if (isGroup) ctx.rewrite(...records);
  return out.length ? out : null;
}

/** New entries for a group (streamReplyWithRange with a group): moves last_id, fills the PELs. */
function readNew(
  ctx: CommandContext, s: RedisStream, key: string, groupName: string, group: ConsumerGroup, consumer: Consumer,
  start: string, count: number, noack: boolean, records: string[][],
): Reply {
  const entries = s.range(start, MAX_ID, count);
  let propagateLastId = false;
  for (const [id] of entries) {
    if (id > group.lastId) {
      if (group.entriesRead !== -1 && !s.rangeHasTombstones(id, null)) group.entriesRead++;
      else if (s.entriesAdded) group.entriesRead = s.estimateDistance(id);
      group.lastId = id;
      if (noack) propagateLastId = true;
    }
    if (!noack) {
      const nack = deliver(ctx, s, group, consumer, id);
      records.push(xclaimRecord(key, groupName, group, idText(id), nack));
    }
  }
  if (propagateLastId) records.push(setIdRecord(key, groupName, group));
  return entries.map(entryReply);
}

/** A consumer's own pending entries from start on (a deleted entry comes back as [id, nil]). */
function readHistory(ctx: CommandContext, s: RedisStream, consumer: Consumer, start: string, count: number): Reply {
  const out: Reply[] = [];
  const keys = consumer.pel.keys;
  for (let i = consumer.pel.seek(start); i < keys.length && (!count || out.length < count); i++) {
    const id = keys[i];
    const at = s.find(id);
    if (!at) out.push([idText(id), null]);
    else {
      out.push([idText(id), s.nodes[at.node].pairs(at.index)]);
      const nack = consumer.pel.get(id)!;
      nack.deliveryTime = ctx.now;
      nack.deliveryCount++;
    }
  }
  return out;
}

// ── groups ─────────────────────────────────────────────────────────────────────────────────────

const XGROUP_SUBCOMMANDS = new Map([
  ["create", -5],
  ["setid", -5],
  ["destroy", 4],
  ["createconsumer", 5],
  ["delconsumer", 5],
  ["help", 2],
]);

const HELP_TAIL = ["HELP", "    Prints this help."];

const XGROUP_HELP = [
  "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CREATE <key> <groupname> <id|$> [option]",
  "    Create a new consumer group. Options are:",
  "    * MKSTREAM",
  "      Create the empty stream if it does not exist.",
  "    * ENTRIESREAD entries_read",
  "      Set the group's entries_read counter (internal use).",
  "CREATECONSUMER <key> <groupname> <consumer>",
  "    Create a new consumer in the specified group.",
  "DELCONSUMER <key> <groupname> <consumer>",
  "    Remove the specified consumer.",
  "DESTROY <key> <groupname>",
  "    Remove the specified group.",
  "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
  "    Set the current group ID and entries_read counter.",
  ...HELP_TAIL,
];

/** Checks a container command's subcommand and its arity as Redis's command table does. */
function subcommand(argv: string[], table: Map<string, number>, container: string): string {
  const sub = argv[1].toLowerCase();
  const arity = table.get(sub);
  if (arity === undefined) throw unknownSubcommand(argv[1], container);
  if (arity >= 0 ? argv.length !== arity : argv.length < -arity) throw wrongArity(`${container.toLowerCase()}|${sub}`);
  return sub;
}

const GROUP_COST = 200;

/** XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP … */
function xgroup(ctx: CommandContext, argv: string[]): Reply {
  const sub = subcommand(argv, XGROUP_SUBCOMMANDS, "XGROUP");
  if (sub === "help") return XGROUP_HELP.map(status);
  let mkstream = false;
  let entriesRead = -1;
  for (let i = 5; i < argv.length; ) {
    const o = opt(argv[i]);
    if (sub === "create" && o === "MKSTREAM") {
      mkstream = true;
      i++;
    } else if ((sub === "create" || sub === "setid") && o === "ENTRIESREAD" && i + 1 < argv.length) {
      entriesRead = longArg(argv[i + 1]);
      if (entriesRead < 0 && entriesRead !== -1) throw new RedisError("ERR value for ENTRIESREAD must be positive or -1");
      i += 2;
    } else throw subcommandSyntax(argv);
  }
  const key = argv[2];
  const name = argv[3];
  let s = getStream(ctx, key);
  let group = s?.groups.get(name);
  if (!mkstream) {
    if (!s) {
      throw new RedisError(
        "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      );
    }
    if (!group && (sub === "setid" || sub === "createconsumer" || sub === "delconsumer")) throw noGroupForKey(key, name);
  }
  if (sub === "create" && argv.length >= 5 && argv.length <= 8) {
    const id = argv[4] === "$" ? (s ? s.lastId : MIN_ID) : parseStrictId(argv[4]);
    const created = !s;
    s ??= new RedisStream();
    if (s.groups.has(name)) throw new RedisError("BUSYGROUP Consumer Group name already exists");
    s.groups.set(name, new ConsumerGroup(id, entriesRead));
    s.charge(GROUP_COST + name.length);
    if (created) ctx.db.set(key, s);
    ctx.dirty++;
    ctx.notify(NOTIFY_STREAM, "xgroup-create", key);
    return OK;
  }
  if (sub === "setid" && (argv.length === 5 || argv.length === 7)) {
    const id = argv[4] === "$" ? s!.lastId : parseId(argv[4]);
    group!.lastId = id;
    group!.entriesRead = entriesRead;
    ctx.dirty++;
    ctx.notify(NOTIFY_STREAM, "xgroup-setid", key);
    return OK;
  }
  if (sub === "destroy" && argv.length === 4) {
    if (!group) return 0;
    s!.charge(-(GROUP_COST + name.length + group.pel.size * RedisStream.NACK_COST));
    for (const c of group.consumers.values()) s!.charge(-(CONSUMER_COST + c.name.length));
    s!.groups.delete(name);
    ctx.dirty++;
    ctx.notify(NOTIFY_STREAM, "xgroup-destroy", key);
    return 1;
  }
  if (sub === "createconsumer" && argv.length === 5) {
    if (group!.consumers.has(argv[4])) return 0;
    createConsumer(ctx, key, s!, group!, argv[4]);
    return 1;
  }
  if (sub === "delconsumer" && argv.length === 5) {
    const consumer = lookupConsumer(ctx, group!, argv[4], false);
    if (!consumer) return 0;
    const pending = consumer.pel.size;
    for (const id of consumer.pel.keys.slice()) dropNack(s!, group!, id, consumer.pel.get(id)!);
    group!.consumers.delete(argv[4]);
    s!.charge(-(CONSUMER_COST + argv[4].length));
    ctx.dirty++;
    ctx.notify(NOTIFY_STREAM, "xgroup-delconsumer", key);
    return pending;
  }
  throw subcommandSyntax(argv);
}

/** XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id] */
function xsetid(ctx: CommandContext, argv: string[]): Reply {
  const id = parseStrictId(argv[2]);
  let entriesAdded = -1;
  let maxDeleted = MIN_ID;
  for (let i = 3; i < argv.length; i += 2) {
    const more = argv.length - 1 - i;
    const o = opt(argv[i]);
    if (o === "ENTRIESADDED" && more) {
      entriesAdded = longArg(argv[i + 1]);
      if (entriesAdded < 0) throw new RedisError("ERR entries_added must be positive");
    } else if (o === "MAXDELETEDID" && more) {
      maxDeleted = parseStrictId(argv[i + 1]);
      if (id < maxDeleted) throw new RedisError("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id");
    } else throw syntaxError();
  }
  const s = getStream(ctx, argv[1]);
  if (!s) throw new RedisError("ERR no such key");
  if (s.length > 0) {
    if (id < s.edgeId(false, true)) throw new RedisError("ERR The ID specified in XSETID is smaller than the target stream top item");
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      throw new RedisError("ERR The entries_added specified in XSETID is smaller than the target stream length");
    }
  }
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (maxDeleted !== MIN_ID) s.maxDeletedId = maxDeleted;
  ctx.notify(NOTIFY_STREAM, "xsetid", argv[1]);
  ctx.dirty++;
  return OK;
}

/** XACK key group id [id …] */
function xack(ctx: CommandContext, argv: string[]): Reply {
  const s = getStream(ctx, argv[1]);
  const group = s?.groups.get(argv[2]);
  if (!s || !group) return 0;
  const ids = argv.slice(3).map(parseStrictId);
  let acked = 0;
  for (const id of ids) {
    const nack = group.pel.get(id);
    if (nack) {
      dropNack(s, group, id, nack);
      acked++;
    }
  }
  ctx.dirty += acked;
  return acked;
}

/** XDEL key id [id …] */
function xdel(ctx: CommandContext, argv: string[]): Reply {
  const s = getStream(ctx, argv[1]);
  if (!s) return 0;
  const ids = argv.slice(2).map(parseStrictId);
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (s.deleteEntry(id)) {
      if (id === s.firstId) firstEntry = true;
      if (id > s.maxDeletedId) s.maxDeletedId = id;
      deleted++;
    }
  }
  if (deleted) {
    ctx.notify(NOTIFY_STREAM, "xdel", argv[1]);
    if (s.length === 0) s.firstId = MIN_ID;
    else if (firstEntry) s.firstId = s.edgeId(true, true);
  }
  ctx.dirty += deleted;
  return deleted;
}

/** XPENDING key group [[IDLE min-idle-time] start end count [consumer]] */
function xpending(ctx: CommandContext, argv: string[]): Reply {
  const summary = argv.length === 3;
  if (argv.length !== 3 && (argv.length < 6 || argv.length > 9)) throw syntaxError();
  let start = MIN_ID;
  let end = MAX_ID;
  let count = 0;
  let minIdle = 0;
  let consumerName: string | null = null;
  if (argv.length >= 6) {
    let at = 3;
    if (opt(argv[3]) === "IDLE") {
      minIdle = longArg(argv[4]);
      if (argv.length < 8) throw syntaxError();
      at += 2;
    }
    count = longArg(argv[at + 2]);
    if (count < 0) count = 0;
    start = parseBound(argv[at], true);
    end = parseBound(argv[at + 1], false);
    if (at + 3 < argv.length) consumerName = argv[at + 3];
  }
  const s = getStream(ctx, argv[1]);
  const group = s?.groups.get(argv[2]);
  if (!s || !group) throw noGroup(argv[1], argv[2]);
  if (summary) {
    const pel = group.pel;
    if (pel.size === 0) return [0, null, null, null];
    const consumers: Reply[] = [];
    for (const c of group.sortedConsumers()) if (c.pel.size) consumers.push([c.name, String(c.pel.size)]);
    return [pel.size, idText(pel.keys[0]), idText(pel.keys[pel.keys.length - 1]), consumers];
  }
  let pel = group.pel;
  if (consumerName !== null) {
    const c = group.consumers.get(consumerName);
    if (!c) return [];
    pel = c.pel;
  }
  const out: Reply[] = [];
  const now = ctx.now;
  for (let i = pel.seek(start); count && i < pel.keys.length && pel.keys[i] <= end; i++) {
    const nack = pel.get(pel.keys[i])!;
    if (minIdle && now - nack.deliveryTime < minIdle) continue;
    count--;
    out.push([idText(pel.keys[i]), nack.consumer!.name, Math.max(0, now - nack.deliveryTime), nack.deliveryCount]);
  }
  return out;
}

/** Gives a PEL entry to a consumer (XCLAIM, XAUTOCLAIM). */
function claimTo(group: ConsumerGroup, consumer: Consumer, id: string, nack: Nack): void {
  if (nack.consumer !== consumer) {
    nack.consumer?.pel.delete(id);
    consumer.pel.insert(id, nack);
    nack.consumer = consumer;
  }
}

/**
 * XCLAIM key group consumer min-idle-time id [id …] [IDLE ms] [TIME unix-time-milliseconds]
 * [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]
 */
function xclaim(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const groupName = argv[2];
  const s = getStream(ctx, key);
  const group = s?.groups.get(groupName);
  if (!s || !group) throw noGroup(key, groupName);
  let minIdle = longArg(argv[4], "Invalid min-idle-time argument for XCLAIM");
  if (minIdle < 0) minIdle = 0;
  const ids: [string, string][] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    let id: string;
    try {
      id = parseStrictId(argv[j]);
    } catch {
      break;
    }
    ids.push([id, argv[j]]);
  }
  const now = ctx.now;
  let retryCount = -1;
  let deliveryTime = -1;
  let force = false;
  let justId = false;
  let lastId = MIN_ID;
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const o = opt(argv[j]);
    if (o === "FORCE") force = true;
    else if (o === "JUSTID") justId = true;
    else if (o === "IDLE" && more) deliveryTime = now - longArg(argv[++j], "Invalid IDLE option argument for XCLAIM");
    else if (o === "TIME" && more) deliveryTime = longArg(argv[++j], "Invalid TIME option argument for XCLAIM");
    else if (o === "RETRYCOUNT" && more) retryCount = longArg(argv[++j], "Invalid RETRYCOUNT option argument for XCLAIM");
    else if (o === "LASTID" && more) lastId = parseStrictId(argv[++j]);
    else throw new RedisError(`ERR Unrecognized XCLAIM option '${argv[j]}'`);
  }
  let propagateLastId = false;
  if (lastId > group.lastId) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  if (deliveryTime !== -1) {
    if (deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  } else deliveryTime = now;

  const records: string[][] = [];
  const out: Reply[] = [];
  let consumer: Consumer | undefined;
  for (const [id, arg] of ids) {
    let nack = group.pel.get(id);
    const at = s.find(id);
    if (!at) {
      if (nack) {
        records.push(xclaimRecord(key, groupName, group, arg, nack));
        propagateLastId = false;
        ctx.dirty++;
        dropNack(s, group, id, nack);
      }
      continue;
    }
    if (force && !nack) {
      nack = { deliveryTime: now, deliveryCount: 1, consumer: null };
      group.pel.insert(id, nack);
      s.charge(RedisStream.NACK_COST);
    }
    if (!nack) continue;
    if (nack.consumer && minIdle && now - nack.deliveryTime < minIdle) continue;
    consumer ??= lookupConsumer(ctx, group, argv[3]) ?? createConsumer(ctx, argv[1], s, group, argv[3]);
    nack.deliveryTime = deliveryTime;
    if (retryCount >= 0) nack.deliveryCount = retryCount;
    else if (!justId) nack.deliveryCount++;
    claimTo(group, consumer, id, nack);
    out.push(justId ? idText(id) : [idText(id), s.nodes[at.node].pairs(at.index)]);
    records.push(xclaimRecord(key, groupName, group, arg, nack));
    propagateLastId = false;
    ctx.dirty++;
  }
  if (propagateLastId) {
    records.push(setIdRecord(key, groupName, group));
    ctx.dirty++;
  }
  ctx.rewrite(...records);
  return out;
}

const XAUTOCLAIM_MAX_COUNT = 576460752303423487n; // LONG_MAX / 16

/** XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID] */
function xautoclaim(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const groupName = argv[2];
  let minIdle = longArg(argv[4], "Invalid min-idle-time argument for XAUTOCLAIM");
  if (minIdle < 0) minIdle = 0;
  const start = parseBound(argv[5], true);
  let count = 100;
  let justId = false;
  for (let j = 6; j < argv.length; j++) {
    const o = opt(argv[j]);
    if (o === "COUNT" && argv.length - 1 - j > 0) {
      count = Number(rangeArg(argv[j + 1], 1n, XAUTOCLAIM_MAX_COUNT, "ERR COUNT must be > 0"));
      j++;
    } else if (o === "JUSTID") justId = true;
    else throw syntaxError();
  }
  const s = getStream(ctx, key);
  const group = s?.groups.get(groupName);
  if (!s || !group) throw noGroup(key, groupName);
  let attempts = count * 10;
  const now = ctx.now;
  const pel = group.pel;
  const claimed: Reply[] = [];
  const deleted: Reply[] = [];
  const records: string[][] = [];
  let consumer: Consumer | undefined;
  let i = pel.seek(start);
  while (attempts > 0 && count > 0 && i < pel.keys.length) {
    attempts--;
    const id = pel.keys[i];
    const nack = pel.get(id)!;
    const at = s.find(id);
    if (!at) {
      records.push(xclaimRecord(key, groupName, group, idText(id), nack));
      ctx.dirty++;
      dropNack(s, group, id, nack);
      deleted.push(idText(id));
      count--;
      continue;
    }
    i++;
    if (minIdle && now - nack.deliveryTime < minIdle) continue;
    consumer ??= lookupConsumer(ctx, group, argv[3]) ?? createConsumer(ctx, argv[1], s, group, argv[3]);
    nack.deliveryTime = now;
    if (!justId) nack.deliveryCount++;
    claimTo(group, consumer, id, nack);
    claimed.push(justId ? idText(id) : [idText(id), s.nodes[at.node].pairs(at.index)]);
    count--;
    records.push(xclaimRecord(key, groupName, group, idText(id), nack));
    ctx.dirty++;
  }
  ctx.rewrite(...records);
  return [i < pel.keys.length ? idText(pel.keys[i]) : "0-0", claimed, deleted];
}

// ── XINFO ──────────────────────────────────────────────────────────────────────────────────────

const XINFO_SUBCOMMANDS = new Map([
  ["stream", -3],
  ["groups", 3],
  ["consumers", 4],
  ["help", 2],
]);

const XINFO_HELP = [
  "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CONSUMERS <key> <groupname>",
  "    Show consumers of <groupname>.",
  "GROUPS <key>",
  "    Show the stream consumer groups.",
  "STREAM <key> [FULL [COUNT <count>]",
  "    Show information about the stream.",
  ...HELP_TAIL,
];

/** XINFO STREAM key [FULL [COUNT count]] | GROUPS key | CONSUMERS key group | HELP */
function xinfo(ctx: CommandContext, argv: string[]): Reply {
  const sub = subcommand(argv, XINFO_SUBCOMMANDS, "XINFO");
  if (sub === "help") return XINFO_HELP.map(status);
  const s = getStream(ctx, argv[2]);
  if (!s) throw new RedisError("ERR no such key");
  if (sub === "consumers") {
    const group = s.groups.get(argv[3]);
    if (!group) throw noGroupForKey(argv[2], argv[3]);
    return group.sortedConsumers().map((c) => ["name", c.name, "pending", c.pel.size, "idle", Math.max(0, ctx.now - c.seenTime)]);
  }
  if (sub === "groups") {
    return s.sortedGroups().map(([name, g]) => [
      "name", name, "consumers", g.consumers.size, "pending", g.pel.size, "last-delivered-id", idText(g.lastId),
      "entries-read", g.entriesRead === -1 ? null : g.entriesRead, "lag", s.lag(g),
    ]);
  }
  return streamInfo(s, argv);
}

function streamInfo(s: RedisStream, argv: string[]): Reply {
  const opts = argv.slice(3);
  let full = false;
  let count = 10;
  if (opts.length > 0) {
    if ((opts.length !== 1 && opts.length !== 3) || opt(opts[0]) !== "FULL") throw subcommandSyntax(argv);
    if (opts.length === 3) {
      if (opt(opts[1]) !== "COUNT") throw subcommandSyntax(argv);
      count = longArg(opts[2]);
      if (count < 0) count = 10;
    }
    full = true;
  }
  return full ? streamFullInfo(s, count) : streamSummary(s);
}

function infoHead(s: RedisStream): Reply[] {
  return [
    "length", s.length, "radix-tree-keys", s.nodes.length, "radix-tree-nodes", s.radixTreeNodes(),
    "last-generated-id", idText(s.lastId), "max-deleted-entry-id", idText(s.maxDeletedId), "entries-added", s.entriesAdded,
    "recorded-first-entry-id", idText(s.firstId),
  ];
}

function streamSummary(s: RedisStream): Reply {
  const first = s.range(MIN_ID, MAX_ID, 1);
  const last = s.range(MIN_ID, MAX_ID, 1, true);
  return [
    ...infoHead(s), "groups", s.groups.size, "first-entry", first.length ? entryReply(first[0]) : null,
    "last-entry", last.length ? entryReply(last[0]) : null,
  ];
}

/** XINFO STREAM key FULL COUNT count (0: everything), as Redis 7.0 answers it. */
export function streamFullInfo(s: RedisStream, count: number): Reply {
  const groups = s.sortedGroups().map(([name, g]) => {
    const pending: Reply[] = [];
    for (const id of g.pel.keys) {
      if (count && pending.length >= count) break;
      const nack = g.pel.get(id)!;
      pending.push([idText(id), nack.consumer!.name, nack.deliveryTime, nack.deliveryCount]);
    }
    const consumers = g.sortedConsumers().map((c) => {
      const own: Reply[] = [];
      for (const id of c.pel.keys) {
        if (count && own.length >= count) break;
        const nack = c.pel.get(id)!;
        own.push([idText(id), nack.deliveryTime, nack.deliveryCount]);
      }
      return ["name", c.name, "seen-time", c.seenTime, "pel-count", c.pel.size, "pending", own];
    });
    return [
      "name", name, "last-delivered-id", idText(g.lastId), "entries-read", g.entriesRead === -1 ? null : g.entriesRead,
      "lag", s.lag(g), "pel-count", g.pel.size, "pending", pending, "consumers", consumers,
    ];
  });
  return [...infoHead(s), "entries", s.range(MIN_ID, MAX_ID, count).map(entryReply), "groups", groups];
}

// ── the table ──────────────────────────────────────────────────────────────────────────────────

/** XGROUP's and XINFO's key: argv[2] for every subcommand but HELP. */
const subcommandKey = (argv: string[]): number[] => (argv.length >= 3 && argv[1].toLowerCase() !== "help" ? [2] : []);

export const streamCommands: CommandSpec[] = [
  command("xadd", -5, ["write", "denyoom", "fast"], [1, 1, 1], xadd),
  command("xrange", -4, ["readonly"], [1, 1, 1], xrange),
  command("xrevrange", -4, ["readonly"], [1, 1, 1], xrange),
  command("xlen", 2, ["readonly", "fast"], [1, 1, 1], xlen),
  command("xdel", -3, ["write", "fast"], [1, 1, 1], xdel),
  command("xtrim", -4, ["write"], [1, 1, 1], xtrim),
  command("xread", -4, ["readonly"], xreadKeys, xread),
  command("xreadgroup", -7, ["write"], xreadKeys, xread),
  command("xgroup", -2, ["write", "denyoom"], subcommandKey, xgroup),
  command("xsetid", -3, ["write", "denyoom", "fast"], [1, 1, 1], xsetid),
  command("xack", -4, ["write", "fast"], [1, 1, 1], xack),
  command("xpending", -3, ["readonly"], [1, 1, 1], xpending),
  command("xclaim", -6, ["write", "fast"], [1, 1, 1], xclaim),
  command("xautoclaim", -6, ["write", "fast"], [1, 1, 1], xautoclaim),
  command("xinfo", -2, ["readonly"], subcommandKey, xinfo),
];
