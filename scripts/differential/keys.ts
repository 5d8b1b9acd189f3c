// The differential test's generators for keyspace commands (DEL, RENAME, COPY, expiry, KEYS, SCAN, OBJECT)
// and the few server commands that touch data (DBSIZE, PING, ECHO, FLUSHDB).

import { ABS_MS, ABS_SECONDS, c, type CommandGen, PAST_ABS, PAST_REL, PATTERNS, REL_MS, REL_SECONDS, scanOptions } from "./gen.js";

export const KEY_GENERATORS: CommandGen[] = [
  c("keys", "del", 5, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "unlink", 1, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "exists", 2, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "touch", 0.5, (g, n) => [n, ...g.keys(1, 3)]),
  c("keys", "type", 2, (g, n) => [n, g.key()]),
  c("keys", "rename", 1, (g, n) => [n, g.key(), g.chance(0.1) ? "k0" : g.key()]),
  c("keys", "renamenx", 0.5, (g, n) => [n, g.key(), g.key()]),
  c("keys", "copy", 1, (g, n) => {
    const out = [n, g.key(), g.key()];
    if (g.chance(0.4)) out.push(g.word("REPLACE"));
    if (g.chance(0.1)) out.push(g.word("DB"), g.pick(["0", "abc"]));
    if (g.chance(0.02)) out.push("BOGUS");
    return out;
  }),
  c("keys", "expire", 1.5, (g, n) => {
    const r = g.rnd();
    const t = r < 0.7 ? g.pick(REL_SECONDS) : r < 0.85 ? g.pick(PAST_REL) : g.pick(["abc", "9223372036854775807", "-9223372036854775808", "1.5"]);
    return [n, g.key(), t, ...(g.chance(0.3) ? [g.word(g.pick(["NX", "XX"]))] : g.chance(0.03) ? ["GT", "LT"] : [])];
  }),
  c("keys", "pexpire", 1, (g, n) => [n, g.key(), g.chance(0.8) ? g.pick(REL_MS) : g.pick(PAST_REL), ...(g.chance(0.3) ? [g.word(g.pick(["NX", "XX"]))] : [])]),
  c("keys", "expireat", 1, (g, n) => {
    const t = g.chance(0.85) ? g.pick(ABS_SECONDS) : g.pick(PAST_ABS);
    const o = g.chance(0.5) ? [g.word(g.pick(["NX", "XX", "GT", "LT"]))] : g.chance(0.05) ? [g.pick(["NX", "GT"]), g.pick(["XX", "LT", "BOGUS"])] : [];
    return [n, g.key(), t, ...o];
  }),
  c("keys", "pexpireat", 1, (g, n) => [n, g.key(), g.chance(0.85) ? g.pick(ABS_MS) : g.pick(PAST_ABS), ...(g.chance(0.5) ? [g.word(g.pick(["NX", "XX", "GT", "LT"]))] : [])]),
  c("keys", "ttl", 1, (g, n) => [n, g.key()]),
  c("keys", "pttl", 1, (g, n) => [n, g.key()]),
  c("keys", "expiretime", 1, (g, n) => [n, g.key()]),
  c("keys", "pexpiretime", 1, (g, n) => [n, g.key()]),
  c("keys", "persist", 1, (g, n) => [n, g.key()]),
  c("keys", "keys", 1, (g, n) => [n, g.pick(PATTERNS)]),
  c("keys", "scan", 1, (g, n) => [n, g.chance(0.04) ? g.pick(["abc", "-", " 0"]) : "0", ...scanOptions(g, PATTERNS, true)]),
  c("keys", "randomkey", 0.5, (g, n) => [n]),
  c("keys", "object", 4, (g, n) => {
    const r = g.rnd();
    if (r < 0.75) return [n, g.word("ENCODING"), g.key()];
    if (r < 0.82) return [n, g.word("REFCOUNT"), g.key()];
    if (r < 0.9) return [n, g.word("IDLETIME"), g.key()];
    if (r < 0.95) return [n, g.word("FREQ"), g.key()];
    return [n, g.pick(["NOSUCH", "encoding"]), ...(g.chance(0.5) ? [] : [g.key(), "x"])];
  }),
];

export const SERVER_GENERATORS: CommandGen[] = [
  c("server", "dbsize", 0.5, (g, n) => [n]),
  c("server", "ping", 0.3, (g, n) => (g.chance(0.5) ? [n] : [n, g.value()])),
  c("server", "echo", 0.3, (g, n) => [n, g.value()]),
  c("server", "flushdb", 0.02, (g, n) => [n]),
];
