// The Upstash REST wire format: request bodies and paths → commands (byte strings), replies → JSON.

import { binaryToText, textToBinary } from "../durable-objects/engine/bytes.js";
import type { Reply } from "../durable-objects/engine/reply.js";
import { badRequest } from "./http-error.js";

/**
 * A JSON number the parser could not keep exactly: past the double range (1e400 parses as Infinity),
 * or an integer beyond 2^53 - 1 (9007199254740993 parses as ...992). Converting either would store a
 * value the client did not send, so the request is refused; such values go as strings.
 */
export const INEXACT_NUMBER = "ERR failed to parse command: a number is not finite or is an integer beyond 2^53 - 1; send it as a string";

/** One JSON argument → a byte string: strings as UTF-8, numbers as JS prints them, true/false/null as words. */
function jsonArg(v: unknown): string {
  switch (typeof v) {
    case "string":
      return textToBinary(v);
    case "number":
      if (!Number.isFinite(v) || (Number.isInteger(v) && !Number.isSafeInteger(v))) throw badRequest(INEXACT_NUMBER);
      return String(v);
    case "boolean":
      return v ? "true" : "false";
    default:
      if (v === null) return "null";
      throw badRequest("ERR failed to parse command: arguments must be strings, numbers, booleans or null");
  }
}

/** A command as JSON: a non-empty array of scalars. */
export function jsonCommand(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) {
    throw badRequest("ERR failed to parse command: a command is a non-empty JSON array");
  }
  return v.map(jsonArg);
}

/**
 * The most commands one /pipeline or /multi-exec may carry. A shard runs a batch in one synchronous
 * turn (a transaction must), so the count bounds how long one request holds a shard's thread, however
 * small each command is.
 */
export const MAX_COMMANDS_PER_REQUEST = 10_000;

/** A /pipeline or /multi-exec body: a non-empty array of commands, at most MAX_COMMANDS_PER_REQUEST. */
export function jsonCommands(v: unknown): string[][] {
  if (!Array.isArray(v) || v.length === 0) {
    throw badRequest("ERR failed to parse pipeline request: the body is a non-empty JSON array of commands");
  }
  if (v.length > MAX_COMMANDS_PER_REQUEST) throw badRequest(`ERR max commands per request exceeded (${MAX_COMMANDS_PER_REQUEST})`);
  return v.map(jsonCommand);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("ERR failed to parse request body: invalid JSON");
  }
}

const HEX = /^[0-9a-fA-F]{2}$/;

/** Percent-decodes a URL component into bytes (a byte string), so %FF survives as the byte 0xFF. */
export function percentDecode(s: string): string {
  let out = "";
  let plain = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "%" && HEX.test(s.slice(i + 1, i + 3))) {
      if (plain) (out += textToBinary(plain)), (plain = "");
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else plain += c;
  }
  return plain ? out + textToBinary(plain) : out;
}

/** Path style: /set/k/v/EX/100 → ["set","k","v","EX","100"]. */
export function pathCommand(pathname: string): string[] {
  return pathname
    .split("/")
    .filter((seg) => seg.length > 0)
    .map(percentDecode);
}

/** Query pairs after the path command (POST /set/k?EX=100 with a body), minus _token. */
export function queryArgs(search: string): string[] {
  const out: string[] = [];
  for (const pair of search.replace(/^\?/, "").split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const name = percentDecode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, " "));
    if (name === "_token") continue;
    out.push(name);
    if (eq >= 0) out.push(percentDecode(pair.slice(eq + 1).replace(/\+/g, " ")));
  }
  return out;
}

/** A reply as JSON text. Bulk strings are base64 of their bytes when `base64` (all but a top-level "OK"). */
export function replyJson(r: Reply, base64: boolean, top = true): string {
  if (r === null) return "null";
  switch (typeof r) {
    case "number":
      return Number.isFinite(r) ? String(r) : "null";
    case "bigint":
      return r.toString();
    case "string":
      return stringJson(r, base64, top);
  }
  if (Array.isArray(r)) {
    let out = "[";
    for (let i = 0; i < r.length; i++) out += (i ? "," : "") + replyJson(r[i], base64, false);
    return out + "]";
  }
  if ("status" in r) return stringJson(r.status, base64, top);
  return stringJson(r.error, base64, top);
}

function stringJson(s: string, base64: boolean, top: boolean): string {
  if (!base64 || (top && s === "OK")) return JSON.stringify(binaryToText(s));
  return `"${btoa(s)}"`;
}

/** {"result": …} or {"error": …} for one reply. */
export function itemJson(r: Reply, base64: boolean): string {
  if (r !== null && typeof r === "object" && !Array.isArray(r) && "error" in r) {
    return `{"error":${JSON.stringify(binaryToText(r.error))}}`;
  }
  return `{"result":${replyJson(r, base64)}}`;
}
