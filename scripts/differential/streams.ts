// Differential test of the stream commands against a real redis-server 7.0: a seeded random stream of
// X* commands (explicit IDs where Redis would pick time-based ones; idle thresholds far from any
// boundary), each run on our Engine and on Redis, every reply compared after masking what depends on
// the wall clock (idle times, delivery and seen times). At the end every key's XINFO STREAM FULL is
// compared, and the log our engine propagated is replayed into a fresh engine that must hold the same.
// Used by scripts/differential/streams.test.ts (a short seeded run) and scripts/differential-streams-cli.mjs.

import { Engine } from "../../durable-objects/engine/engine.js";
import { type Reply, isErrorReply } from "../../durable-objects/engine/reply.js";
import { seededRandom } from "../../durable-objects/engine/testing.js";
import type { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { Draws } from "./gen.js";
import { normalize, showJson } from "./replies.js";

export interface StreamDiffOptions {
  seed: number;
  count: number;
  /** stream-node-max-entries on both sides (small values exercise node cuts and approximate trims). */
  nodeMaxEntries?: number;
  nodeMaxBytes?: number;
}

export interface Mismatch {
  index: number;
  command: string[];
  ours: string;
  redis: string;
}

export interface StreamDiffResult {
  commands: number;
  mismatches: Mismatch[];
  /** Commands by name, for coverage. */
  byName: Map<string, number>;
  errors: number;
}

const KEYS = ["s0", "s1", "s2", "s3", "str"];
const GROUPS = ["g1", "g2", "g3"];
const CONSUMERS = ["alice", "bob", "carol"];
const FIELD_SETS = [["f"], ["f"], ["f"], ["a", "b"], ["a", "b"], ["name", "n", "x"], ["f2"], ["1", "2"]];
const VALUES = ["v", "1", "-1", "12345", "9223372036854775807", "hello world", "", "\x00\xff", "x".repeat(70), "y".repeat(300), "0", "3.14"];

/** Time-dependent spots of a reply become "T", so both sides compare equal where only the clock differs. */
function mask(argv: string[], reply: Reply): Reply {
  if (isErrorReply(reply) || reply === null || !Array.isArray(reply)) return reply;
  const name = argv[0].toUpperCase();
  const sub = argv[1]?.toUpperCase();
  const r = structuredClone(reply) as Reply[];
  if (name === "XPENDING" && argv.length > 3) {
    for (const e of r as Reply[][]) e[2] = "T";
  } else if (name === "XINFO" && sub === "CONSUMERS") {
    for (const c of r as Reply[][]) c[5] = "T";
  } else if (name === "XINFO" && sub === "STREAM" && argv.length > 3) {
    const groups = r[r.indexOf("groups") + 1] as Reply[][];
    for (const g of groups) {
      for (const p of g[g.indexOf("pending") + 1] as Reply[][]) p[2] = "T";
      for (const c of g[g.indexOf("consumers") + 1] as Reply[][]) {
        c[c.indexOf("seen-time") + 1] = "T";
        for (const p of c[c.indexOf("pending") + 1] as Reply[][]) p[1] = "T";
      }
    }
  }
  return r;
}

/** The command generator: remembers the IDs it made per key so ranges, deletes and claims hit. */
export class StreamCommandGen extends Draws {
  private readonly nextMs = new Map<string, number>();
  private readonly ids = new Map<string, string[]>();

  constructor(seed: number) {
    super(seededRandom(seed));
  }

  private key(): string {
    return this.chance(0.03) ? "str" : this.pick(KEYS.slice(0, 4));
  }

  /** An ID the key has seen, or one near them, or a special. */
  private someId(key: string): string {
    const known = this.ids.get(key) ?? [];
    const r = this.rnd();
    if (known.length && r < 0.6) return this.pick(known);
    if (r < 0.7) return `${this.below(40)}-${this.below(4)}`;
    if (r < 0.8) return String(this.below(40));
    if (r < 0.83) return this.pick(["0-0", "18446744073709551615-18446744073709551615", "abc", "1-", "-1", "01-2", " 5"]);
    return `${this.nextMs.get(key) ?? 1}-${this.below(3)}`;
  }

  private bound(key: string, start: boolean): string {
    const r = this.rnd();
    if (r < 0.25) return start ? "-" : "+";
    if (r < 0.4) return `(${this.someId(key)}`;
    if (r < 0.43) return this.pick(["(-", "(+", "((1", "(0-0", "(18446744073709551615-18446744073709551615"]);
    return this.someId(key);
  }

  private newId(key: string): string {
    let ms = this.nextMs.get(key) ?? 1;
    const r = this.rnd();
    let id: string;
    if (r < 0.6) {
      ms += this.below(3);
      id = `${ms}-${this.below(3)}`;
    } else if (r < 0.85) {
      ms += this.below(2);
      id = `${ms}-*`;
    } else if (r < 0.9) id = String(ms + this.below(2));
    else if (r < 0.95) id = `${Math.max(0, ms - 2)}-${this.below(2)}`;
    else id = this.pick(["0-0", "0-*", "18446744073709551615-*", "18446744073709551615-18446744073709551615", "bad"]);
    this.nextMs.set(key, Math.max(ms, this.nextMs.get(key) ?? 1));
    return id;
  }

  private fields(): string[] {
    const set = this.pick(FIELD_SETS);
    const out: string[] = [];
    for (const f of set) out.push(f, this.pick(VALUES));
    return out;
  }

  private trimArgs(key: string): string[] {
    const out: string[] = [];
    const minid = this.chance(0.35);
    out.push(minid ? "MINID" : "MAXLEN");
    const approx = this.rnd();
    if (approx < 0.35) out.push("~");
    else if (approx < 0.55) out.push("=");
    out.push(minid ? this.someId(key) : String(this.below(30) - (this.chance(0.02) ? 5 : 0)));
    if (this.chance(0.2)) out.push("LIMIT", String(this.below(12)));
    return out;
  }

  /** Learns IDs from replies (XADD's assigned IDs). */
  learn(argv: string[], reply: Reply): void {
    if (argv[0] === "XADD" && typeof reply === "string") {
      const list = this.ids.get(argv[1]) ?? [];
      list.push(reply);
      if (list.length > 60) list.shift();
      this.ids.set(argv[1], list);
      const ms = Number(reply.split("-")[0]);
      if (ms < 1e15) this.nextMs.set(argv[1], Math.max(this.nextMs.get(argv[1]) ?? 1, ms));
    }
  }

  next(): string[] {
    const key = this.key();
    const group = this.pick(GROUPS);
    const consumer = this.pick(CONSUMERS);
    const r = this.below(100);
    if (r < 22) {
      const argv = ["XADD", key];
      if (this.chance(0.05)) argv.push("NOMKSTREAM");
      if (this.chance(0.25)) argv.push(...this.trimArgs(key));
      argv.push(this.newId(key), ...this.fields());
      if (this.chance(0.01)) argv.pop();
      return argv;
    }
    if (r < 30) {
      const rev = this.chance(0.4);
      const argv = [rev ? "XREVRANGE" : "XRANGE", key, this.bound(key, !rev), this.bound(key, rev)];
      if (this.chance(0.5)) argv.push("COUNT", String(this.below(8) - (this.chance(0.05) ? 2 : 0)));
      return argv;
    }
    if (r < 32) return ["XLEN", key];
    if (r < 37) {
      const argv = ["XDEL", key];
      for (let n = 1 + this.below(3); n > 0; n--) argv.push(this.someId(key));
      return argv;
    }
    if (r < 40) return ["XTRIM", key, ...this.trimArgs(key)];
    if (r < 45) {
      const argv = ["XREAD"];
      if (this.chance(0.5)) argv.push("COUNT", String(this.below(5)));
      if (this.chance(0.2)) argv.push("BLOCK", this.pick(["0", "10", "-1", "x"]));
      const keys = this.chance(0.7) ? [key] : [key, this.key()];
      argv.push("STREAMS", ...keys, ...keys.map((k) => (this.chance(0.2) ? "$" : this.chance(0.3) ? "0" : this.someId(k))));
      return argv;
    }
    if (r < 53) {
      const sub = this.below(10);
      if (sub < 4) {
        const argv = ["XGROUP", "CREATE", key, group, this.chance(0.3) ? "$" : this.chance(0.5) ? "0" : this.someId(key)];
        if (this.chance(0.4)) argv.push("MKSTREAM");
        if (this.chance(0.2)) argv.push("ENTRIESREAD", String(this.below(10) - 1));
        return argv;
      }
      if (sub < 6) {
        const argv = ["XGROUP", "SETID", key, group, this.chance(0.3) ? "$" : this.someId(key)];
        if (this.chance(0.3)) argv.push("ENTRIESREAD", String(this.below(10) - 1));
        return argv;
      }
      if (sub < 7) return ["XGROUP", "DESTROY", key, group];
      if (sub < 8) return ["XGROUP", "CREATECONSUMER", key, group, consumer];
      if (sub < 9) return ["XGROUP", "DELCONSUMER", key, group, consumer];
      return ["XGROUP", this.pick(["HELP", "FOO", "CREATE", "SETID"]), key];
    }
    if (r < 65) {
      const argv = ["XREADGROUP", "GROUP", group, consumer];
      if (this.chance(0.5)) argv.push("COUNT", String(1 + this.below(4)));
      if (this.chance(0.15)) argv.push("NOACK");
      if (this.chance(0.1)) argv.push("BLOCK", "100");
      argv.push("STREAMS", key, this.chance(0.75) ? ">" : this.chance(0.5) ? "0" : this.someId(key));
      return argv;
    }
    if (r < 71) {
      const argv = ["XACK", key, group];
      for (let n = 1 + this.below(3); n > 0; n--) argv.push(this.someId(key));
      return argv;
    }
    if (r < 77) {
      if (this.chance(0.4)) return ["XPENDING", key, group];
      const argv = ["XPENDING", key, group];
      if (this.chance(0.3)) argv.push("IDLE", this.pick(["0", "10000000000000"]));
      argv.push(this.bound(key, true), this.bound(key, false), String(this.below(10)));
      if (this.chance(0.4)) argv.push(consumer);
      return argv;
    }
    if (r < 83) {
      const argv = ["XCLAIM", key, group, consumer, this.pick(["0", "0", "10000000000000", "-5"])];
      for (let n = 1 + this.below(3); n > 0; n--) argv.push(this.someId(key));
      if (this.chance(0.2)) argv.push("IDLE", this.pick(["0", "3600000"]));
      if (this.chance(0.2)) argv.push("TIME", this.pick(["1000", "2000"]));
      if (this.chance(0.2)) argv.push("RETRYCOUNT", String(this.below(5)));
      if (this.chance(0.2)) argv.push("FORCE");
      if (this.chance(0.3)) argv.push("JUSTID");
      if (this.chance(0.1)) argv.push("LASTID", this.someId(key));
      return argv;
    }
    if (r < 87) {
      const argv = ["XAUTOCLAIM", key, group, consumer, this.pick(["0", "10000000000000"]), this.bound(key, true)];
      if (this.chance(0.5)) argv.push("COUNT", this.pick(["1", "2", "3", "0", "25"]));
      if (this.chance(0.3)) argv.push("JUSTID");
      return argv;
    }
    if (r < 94) {
      const sub = this.below(6);
      if (sub < 2) return ["XINFO", "STREAM", key];
      if (sub < 3) return ["XINFO", "STREAM", key, "FULL", ...(this.chance(0.5) ? ["COUNT", String(this.below(4))] : [])];
      if (sub < 4) return ["XINFO", "GROUPS", key];
      if (sub < 5) return ["XINFO", "CONSUMERS", key, group];
      return ["XINFO", this.pick(["HELP", "BAD", "STREAM"]), ...(this.chance(0.5) ? [key] : [])];
    }
    if (r < 97) {
      const argv = ["XSETID", key, this.chance(0.5) ? this.someId(key) : `${(this.nextMs.get(key) ?? 1) + 5}-0`];
      if (this.chance(0.3)) argv.push("ENTRIESADDED", String(this.below(60)));
      if (this.chance(0.3)) argv.push("MAXDELETEDID", this.someId(key));
      return argv;
    }
    const r2 = this.below(5);
    if (r2 === 0) return ["TYPE", key];
    if (r2 === 1) return ["OBJECT", "ENCODING", key];
    if (r2 === 2) return ["DEL", key];
    if (r2 === 3) return ["COPY", key, this.key(), ...(this.chance(0.5) ? ["REPLACE"] : [])];
    return ["SET", "str", "x"];
  }
}

/**
 * One command on Redis. A BLOCK read goes inside MULTI, where Redis does not block (as we never do
 * over HTTP): it answers at once with what it has, or nil.
 */
async function callRedis(redis: RespClient, argv: string[]): Promise<Reply> {
  if (!argv.some((a) => a.toUpperCase() === "BLOCK")) return redis.call(...argv);
  await redis.call("MULTI");
  const queued = await redis.call(...argv);
  const exec = await redis.call("EXEC");
  if (isErrorReply(queued)) return queued;
  return (exec as Reply[])[0];
}

/** Runs the differential on an engine and a connected Redis (flushed first). */
export async function runStreamDifferential(redis: RespClient, opts: StreamDiffOptions): Promise<StreamDiffResult> {
  const config: Record<string, string> = {};
  const nodeEntries = String(opts.nodeMaxEntries ?? 100);
  const nodeBytes = String(opts.nodeMaxBytes ?? 4096);
  config["stream-node-max-entries"] = nodeEntries;
  config["stream-node-max-bytes"] = nodeBytes;
  const engine = new Engine({ clock: Date.now, config });
  const log: string[][] = [];
  engine.sink = (cmds) => log.push(...cmds);
  await redis.call("FLUSHALL");
  await redis.call("CONFIG", "SET", "stream-node-max-entries", nodeEntries);
  await redis.call("CONFIG", "SET", "stream-node-max-bytes", nodeBytes);
  const gen = new StreamCommandGen(opts.seed);
  const result: StreamDiffResult = { commands: 0, mismatches: [], byName: new Map(), errors: 0 };
  const compare = (index: number, argv: string[], ours: Reply, theirs: Reply) => {
    const a = showJson(normalize(mask(argv, ours)));
    const b = showJson(normalize(mask(argv, theirs)));
    if (a !== b) result.mismatches.push({ index, command: argv, ours: a, redis: b });
  };
  for (let i = 0; i < opts.count; i++) {
    const argv = gen.next();
    const ours = engine.execute(argv);
    const theirs = await callRedis(redis, argv);
    gen.learn(argv, theirs);
    result.commands++;
    result.byName.set(argv[0], (result.byName.get(argv[0]) ?? 0) + 1);
    if (isErrorReply(theirs)) result.errors++;
    compare(i, argv, ours, theirs);
  }
  // Final state, and the same state rebuilt from what the engine propagated.
  const replayed = new Engine({ clock: Date.now, config });
  replayed.db.loading = true;
  for (const c of log) replayed.replay(c);
  replayed.db.loading = false;
  const info = (key: string) => ["XINFO", "STREAM", key, "FULL", "COUNT", "0"];
  for (const key of KEYS) compare(-1, info(key), engine.execute(info(key)), await redis.call(...info(key)));
  // Redis reloads its own AOF: both logs must rebuild the same thing (what Redis's propagation leaves
  // out, such as consumers XREADGROUP made without delivering, is left out on both sides).
  const reload = await redis.call("DEBUG", "LOADAOF");
  if (isErrorReply(reload)) throw new Error(`DEBUG LOADAOF: ${reload.error} (start redis-server with --appendonly yes --enable-debug-command yes)`);
  for (const key of KEYS) compare(-2, info(key), replayed.execute(info(key)), await redis.call(...info(key)));
  return result;
}

export function formatStreamResult(r: StreamDiffResult, limit = 20): string {
  const lines = [`${r.commands} stream commands, ${r.errors} error replies, ${r.mismatches.length} mismatches`];
  lines.push([...r.byName].sort().map(([n, c]) => `${n} ${c}`).join(", "));
  for (const m of r.mismatches.slice(0, limit)) {
    lines.push(`#${m.index} ${showJson(m.command)}\n  ours:  ${m.ours}\n  redis: ${m.redis}`);
  }
  return lines.join("\n");
}
