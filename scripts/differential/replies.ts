// Replies in one comparable, printable form (redis-cli-like), and the orderings used to compare them.

import { compareBytes } from "../../durable-objects/engine/bytes.js";
import { isErrorReply, isStatusReply, type Reply } from "../../durable-objects/engine/reply.js";

export function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 0x22 || ch === 0x5c) out += "\\" + s[i];
    else if (ch >= 0x20 && ch < 0x7f) out += s[i];
    else out += "\\x" + ch.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** A reply as text: redis-cli-like, unambiguous, so two replies are equal when their texts are. */
export function show(r: Reply): string {
  if (r === null) return "(nil)";
  if (typeof r === "number" || typeof r === "bigint") return `(integer) ${r}`;
  if (typeof r === "string") return quote(r);
  if (Array.isArray(r)) return "[" + r.map(show).join(", ") + "]";
  if (isErrorReply(r)) return `(error) ${r.error}`;
  if (isStatusReply(r)) return `+${r.status}`;
  return JSON.stringify(r);
}

/**
 * A reply as JSON, bigints as `5n` and chars past ASCII escaped: the stream and script differentials'
 * form (apply `normalize` first so either side's reply prints alike).
 */
export const showJson = (r: Reply): string =>
  JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)).replace(/[\u0080-\uffff]/g, (c) => `\\x${c.charCodeAt(0).toString(16)}`);

/** A reply from either side made comparable: bigints as numbers, RESP's status and ours alike. */
export function normalize(r: Reply): Reply {
  if (typeof r === "bigint") return Number(r);
  if (Array.isArray(r)) return r.map(normalize);
  if (isStatusReply(r)) return { status: r.status };
  return r;
}

export const clip = (s: string, n = 400): string => (s.length > n ? s.slice(0, n) + `… (${s.length} chars)` : s);
export const byBytes = (a: string, b: string) => compareBytes(a, b);
export const sortStrings = (r: Reply): Reply => (Array.isArray(r) ? [...(r as string[])].sort(byBytes) : r);
/** A flat reply cut into groups of n (field/value pairs, SORT's GET tuples), the groups sorted. */
export function sortGroups(r: Reply, n: number): Reply {
  if (!Array.isArray(r)) return r;
  const groups: Reply[][] = [];
  for (let i = 0; i < r.length; i += n) groups.push(r.slice(i, i + n));
  return groups.sort((a, b) => compareBytes(show(a), show(b))).flat();
}
