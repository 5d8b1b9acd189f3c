// `durable-redis cli`: redis-cli over the REST API. Commands are split as redis-cli splits them
// (quotes, \xHH escapes), sent one at a time with raw RESP2 answers (Upstash-Response-Format: resp2),
// and printed as redis-cli prints them: quoted and numbered on a terminal, raw otherwise or with --raw.
// One-shot (`cli SET k v`), from stdin (one command a line), or interactive with a history file.

import { appendFileSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { binaryToText, bytesToBinary, textToBinary } from "../../durable-objects/engine/bytes.js";
import type { Reply } from "../../durable-objects/engine/reply.js";
import { splitArgs } from "../../durable-objects/persistence/aof/manifest.js";
import { RespReplyParser } from "../../durable-objects/persistence/resp.js";
import { CliError, type Connection, EXIT } from "./args.js";
import type { Io } from "./io.js";

export const CLI_HELP = `Usage: durable-redis cli [options] [COMMAND ARG...]

A redis-cli-like shell over the REST API. With a command, runs it and exits; with stdin not a
terminal, runs one command per line of stdin; otherwise an interactive prompt with history
(~/.durable_redis_history, or DURABLE_REDIS_HISTFILE; /dev/null keeps none). Arguments are split as
redis-cli splits them: "double quotes" take \\n \\r \\t \\xHH escapes, 'single quotes' take none.
MULTI/EXEC and blocking or subscribing commands are refused by the REST API, as on Upstash.

Options:
  --raw             print replies raw (the default when stdout is not a terminal)
  --no-raw          print replies as redis-cli does on a terminal, even into a pipe
  --url URL         the deployment (or DURABLE_REDIS_URL)
  --token TOKEN     the admin token (every command), or a data token: read-write (all but
                    CONFIG SET, SAVE, BGSAVE, BGREWRITEAOF) or read-only (or
                    DURABLE_REDIS_ADMIN_TOKEN, else DURABLE_REDIS_TOKEN)
  -h, --help        this help (only as the first argument: 'cli GET --help' sends GET --help)

Exit status: 0 every reply was a success, 1 a reply was an error (redis-cli 7.0 exits 0 there),
2 usage error, 3 server unreachable or token refused.`;

/** redis-cli's quoted form of a bulk string: printable ASCII as is, the rest escaped. */
export function quoted(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) out += "\\\\";
    else if (c === 0x22) out += '\\"';
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (c === 0x07) out += "\\a";
    else if (c === 0x08) out += "\\b";
    else if (c >= 0x20 && c <= 0x7e) out += s[i];
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out + '"';
}

const isError = (r: Reply): r is { error: string } => r !== null && typeof r === "object" && !Array.isArray(r) && "error" in r;
const isStatus = (r: Reply): r is { status: string } => r !== null && typeof r === "object" && !Array.isArray(r) && "status" in r;

/** A reply as redis-cli prints it on a terminal (byte strings; lines joined with \n, no final newline). */
export function formatTty(r: Reply, indent = ""): string {
  if (r === null) return "(nil)";
  if (typeof r === "number" || typeof r === "bigint") return `(integer) ${r}`;
  if (typeof r === "string") return quoted(r);
  if (isError(r)) return `(error) ${r.error}`;
  if (isStatus(r)) return r.status;
  if (r.length === 0) return "(empty array)";
  const width = String(r.length).length;
  const pad = " ".repeat(width + 2);
  return r
    .map((item, i) => {
      const prefix = `${String(i + 1).padStart(width)}) `;
      return (i === 0 ? "" : indent) + prefix + formatTty(item, indent + pad);
    })
    .join("\n");
}

/** A reply as redis-cli prints it with --raw (no final newline; an error brings one of its own). */
export function formatRaw(r: Reply): string {
  if (r === null) return "";
  if (typeof r === "number" || typeof r === "bigint") return String(r);
  if (typeof r === "string") return r;
  if (isError(r)) return r.error + "\n";
  if (isStatus(r)) return r.status;
  return r.map(formatRaw).join("\n");
}

export class RestClient {
  constructor(readonly conn: Connection) {}

  /** Sends one command (byte strings); answers its reply, error replies included. */
  async call(argv: string[]): Promise<Reply> {
    // JSON carries text (sent as UTF-8); arguments that are not UTF-8 go in the path, percent-encoded.
    const utf8 = argv.every((a) => textToBinary(binaryToText(a)) === a);
    let url = this.conn.url + "/";
    let body: string | Uint8Array;
    if (utf8) body = JSON.stringify(argv.map(binaryToText));
    else {
      const head = argv.slice(0, -1);
      if (head.some((a) => a.length === 0)) throw new CliError("an empty argument before a binary one cannot be sent over REST");
      url = this.conn.url + head.map((a) => "/" + [...a].map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join("")).join("");
      body = Uint8Array.from(argv[argv.length - 1], (c) => c.charCodeAt(0));
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${this.conn.token}`, "upstash-response-format": "resp2" },
        body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`cannot reach ${this.conn.url} (${cause?.code ?? cause?.message ?? (e as Error).message})`, EXIT.UNREACHABLE);
    }
    const bytes = bytesToBinary(new Uint8Array(await res.arrayBuffer()));
    if ((res.headers.get("content-type") ?? "").includes("application/json")) {
      // An HTTP-level refusal (token, size, format): {"error": …}.
      let message = bytes;
      try {
        message = (JSON.parse(binaryToText(bytes)) as { error?: string }).error ?? bytes;
      } catch {
        // keep the text
      }
      if (res.status === 401) throw new CliError(`${this.conn.url} refused the token (${message})`, EXIT.UNREACHABLE);
      return { error: textToBinary(message) };
    }
    const parser = new RespReplyParser();
    parser.push(bytes);
    const reply = parser.next();
    if (reply === undefined) throw new CliError(`${this.conn.url} sent an incomplete reply (HTTP ${res.status})`);
    return reply;
  }
}

export interface ReplOptions {
  raw: boolean;
  command: string[];
  /** stdin is a terminal (interactive prompt) */
  interactive: boolean;
  historyFile: string;
}

/** Writes a reply (a byte string) to stdout as bytes. */
function printReply(r: Reply, raw: boolean): void {
  const text = raw ? formatRaw(r) : formatTty(r);
  process.stdout.write(Buffer.from(text + "\n", "latin1"));
}

export function historyPath(env: NodeJS.ProcessEnv): string {
  return env.DURABLE_REDIS_HISTFILE || join(homedir(), ".durable_redis_history");
}

export async function runRepl(conn: Connection, opts: ReplOptions, io: Io): Promise<number> {
  const client = new RestClient(conn);
  if (opts.command.length > 0) {
    // Arguments arrive as text; the server takes their UTF-8 bytes.
    const reply = await client.call(opts.command.map(textToBinary));
    printReply(reply, opts.raw);
    return isError(reply) ? EXIT.FAILED : EXIT.OK;
  }
  let failed = false;
  const runLine = async (line: string): Promise<boolean> => {
    const argv = splitArgs(textToBinary(line));
    if (argv === null) {
      io.out("Invalid argument(s)");
      return true;
    }
    if (argv.length === 0) return true;
    const name = argv[0].toLowerCase();
    if (name === "quit" || name === "exit") return false;
    const reply = await client.call(argv);
    if (isError(reply)) failed = true;
    printReply(reply, opts.raw);
    return true;
  };
  if (!opts.interactive) {
    for (let line = await io.readLine(); line !== null; line = await io.readLine()) {
      if (!(await runLine(line))) break;
    }
    return failed ? EXIT.FAILED : EXIT.OK;
  }

  const { createInterface } = await import("node:readline");
  let history: string[] = [];
  if (opts.historyFile !== "/dev/null") {
    try {
      history = readFileSync(opts.historyFile, "utf8").split("\n").filter(Boolean).slice(-1000).reverse();
    } catch {
      // No history yet.
    }
  }
  const host = new URL(conn.url).host;
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: `${host}> `, history, historySize: 1000, terminal: true });
  // Input that ends while a command is on its way (typed ahead, or pasted with its end) closes the
  // interface; the lines already read still run, but prompting again would throw.
  let closed = false;
  rl.on("close", () => (closed = true));
  rl.prompt();
  for await (const line of rl) {
    if (line.trim() && opts.historyFile !== "/dev/null") {
      try {
        appendFileSync(opts.historyFile, line + "\n", { mode: 0o600 });
      } catch {
        // A history that cannot be written is not worth stopping for.
      }
    }
    try {
      if (!(await runLine(line))) break;
    } catch (e) {
      // At the prompt a lost connection or a refused token is reported and the session goes on.
      if (!(e instanceof CliError)) throw e;
      io.out(`(error) ${e.message}`);
    }
    if (!closed) rl.prompt();
  }
  rl.close();
  // Interactive sessions end with 0, as redis-cli's do.
  return EXIT.OK;
}
