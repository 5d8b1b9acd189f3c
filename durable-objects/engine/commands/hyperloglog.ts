// HyperLogLog commands (PFADD, PFCOUNT, PFMERGE), byte-compatible with Redis's dense/sparse strings.
// The value is a plain string; types/hyperloglog.ts reads and edits its bytes.

import { type CommandContext, type CommandSpec, command } from "../command.js";
import { RedisError, wrongType } from "../errors.js";
import { OK, type Reply } from "../reply.js";
import { HLL_DENSE, HLL_REGISTERS, Hll, estimate, rawHistogram } from "../types/hyperloglog.js";
import { NOTIFY_STRING } from "../notify.js";

const notHll = () => new RedisError("WRONGTYPE Key is not a valid HyperLogLog string value.");
const corruptHll = () => new RedisError("INVALIDOBJ Corrupted HLL object detected");

/** The HLL at key, undefined when missing; WRONGTYPE for another type or a string that is not one. */
function getHll(ctx: CommandContext, key: string): Hll | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw wrongType();
  const hll = Hll.parse(v);
  if (hll === null) throw notHll();
  return hll;
}

/** Puts an edited HLL back, keeping the key's TTL (Redis edits the string in place). */
function store(ctx: CommandContext, key: string, hll: Hll): void {
  ctx.db.set(key, hll.toString(), true);
  markRaw(ctx, key);
}

/** Stores a new HLL; Redis creates it as a raw string whatever its length. */
function create(ctx: CommandContext, key: string, hll: Hll): void {
  ctx.db.set(key, hll.toString());
  markRaw(ctx, key);
}

/**
 * Redis unshares the string before PFADD, single-key PFCOUNT and PFMERGE (destination) touch it,
 * even when nothing changes, so OBJECT ENCODING says "raw" from then on.
 */
function markRaw(ctx: CommandContext, key: string): void {
  ctx.db.stringEncodings.set(key, "raw");
}

/** Redis replies with the uint64 cardinality as a signed 64-bit integer. */
function cardinalityReply(card: bigint): Reply {
  const signed = BigInt.asIntN(64, card);
  return signed <= BigInt(Number.MAX_SAFE_INTEGER) && signed >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(signed) : signed;
}

const sparseMaxBytes = (ctx: CommandContext) => ctx.config.getNumber("hll-sparse-max-bytes");

/** PFADD key [element …] */
function pfadd(ctx: CommandContext, argv: string[]): Reply {
  const key = argv[1];
  const existing = getHll(ctx, key);
  const hll = existing ?? Hll.empty();
  // Creating the key counts as a change, so PFADD with no elements on a new key replies 1.
  let updated = existing ? 0 : 1;
  if (existing) markRaw(ctx, key);
  const max = sparseMaxBytes(ctx);
  for (let j = 2; j < argv.length; j++) {
    const r = hll.add(argv[j], max);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis has already edited the string in place for the elements before this one; keep
      // those edits, and (unlike Redis) propagate the command so a replay reproduces them.
      if (updated > 0) {
        store(ctx, key, hll);
        ctx.dirty += updated;
      }
      throw corruptHll();
    }
  }
  if (updated === 0) return 0;
  hll.invalidateCache();
  if (existing) store(ctx, key, hll);
  else create(ctx, key, hll);
  ctx.notify(NOTIFY_STRING, "pfadd", key);
  ctx.dirty += updated;
  return 1;
}

/**
 * PFCOUNT key [key …]
 * One key: the cached cardinality, or a fresh one that is then cached — a change to the string,
 * so it is propagated (as PFCOUNT key, like Redis 7). Several keys: the union's cardinality,
 * nothing stored.
 */
function pfcount(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 2) {
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < argv.length; j++) {
      const hll = getHll(ctx, argv[j]);
      if (hll && !hll.mergeInto(max)) throw corruptHll();
    }
    return cardinalityReply(estimate(rawHistogram(max)));
  }
  const key = argv[1];
  const v = ctx.db.get(key);
  if (v === undefined) return 0;
  if (typeof v !== "string") throw wrongType();
  if (!Hll.isHll(v)) throw notHll();
  markRaw(ctx, key);
  // The common read: a fresh cache, answered without copying the value.
  const cached = Hll.freshCardinality(v);
  if (cached !== null) return cardinalityReply(cached);
  const hll = Hll.parse(v)!;
  const { histo, valid } = hll.histogram();
  if (!valid) throw corruptHll();
  const card = estimate(histo);
  hll.setCachedCardinality(card);
  store(ctx, key, hll);
  ctx.dirty++;
  return cardinalityReply(card);
}

/** PFMERGE destkey [sourcekey …] — the destination is a source too. */
function pfmerge(ctx: CommandContext, argv: string[]): Reply {
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const hll = getHll(ctx, argv[j]);
    if (!hll) continue;
    // One dense input makes the destination dense at once, as Redis does.
    if (hll.encoding === HLL_DENSE) useDense = true;
    if (!hll.mergeInto(max)) throw corruptHll();
  }
  const key = argv[1];
  const existing = getHll(ctx, key);
  const dest = existing ?? Hll.empty();
  if (existing) markRaw(ctx, key);
  if (useDense && !dest.toDense()) throw corruptHll();
  const limit = sparseMaxBytes(ctx);
  for (let i = 0; i < HLL_REGISTERS; i++) if (max[i] !== 0) dest.set(i, max[i], limit);
  dest.invalidateCache();
  if (existing) store(ctx, key, dest);
  else create(ctx, key, dest);
  // A PFADD event for PFMERGE, as Redis raises (a mass add of elements).
  ctx.notify(NOTIFY_STRING, "pfadd", key);
  ctx.dirty++;
  return OK;
}

export const hyperloglogCommands: CommandSpec[] = [
  command("pfadd", -2, ["write", "denyoom", "fast"], [1, 1, 1], pfadd),
  command("pfcount", -2, ["readonly"], [1, -1, 1], pfcount),
  command("pfmerge", -2, ["write", "denyoom"], [1, -1, 1], pfmerge),
];
