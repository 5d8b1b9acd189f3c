// Command-line parsing shared by the commands: node:util's parseArgs with usage errors in our words,
// and the connection options (--url, --token, or their environment variables).

import { parseArgs } from "node:util";

/** A mistake in how the command was called: printed with a pointer to --help, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure a command reports in one line (no stack): exit status `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Exit statuses every command keeps to. */
export const EXIT = {
  OK: 0,
  /** A check found a problem, a command failed, a health check failed, a reply was an error. */
  FAILED: 1,
  USAGE: 2,
  /** The server could not be reached, or refused the token. */
  UNREACHABLE: 3,
} as const;

type Spec = Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], options: Spec, positionals: { min: number; max: number }): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (e) {
    // parseArgs's messages carry a hint meant for code; keep the first sentence.
    throw new UsageError((e as Error).message.split(/\. |\n/)[0].replace(/\.$/, ""), command);
  }
  if (parsed.values.help) return parsed;
  const n = parsed.positionals.length;
  if (n < positionals.min) throw new UsageError(n === 0 ? "missing argument" : "too few arguments", command);
  if (n > positionals.max) throw new UsageError(`unexpected argument '${parsed.positionals[positionals.max]}'`, command);
  return parsed;
}

export const CONNECTION_OPTIONS: Spec = {
  url: { type: "string" },
  token: { type: "string" },
  timeout: { type: "string" },
  quiet: { type: "boolean", short: "q" },
};

export interface Connection {
  url: string;
  token: string;
}

/**
 * The server and token: --url/--token, else the environment. The admin token is read from
 * DURABLE_REDIS_ADMIN_TOKEN. `cli` takes it too (the admin token runs every command on the REST API,
 * CONFIG SET and SAVE included), else a data token from DURABLE_REDIS_TOKEN.
 */
export function connection(command: string, values: Parsed["values"], env: NodeJS.ProcessEnv, kind: "admin" | "data"): Connection {
  const url = (values.url as string | undefined) ?? env.DURABLE_REDIS_URL;
  const tokenVar = kind === "admin" || env.DURABLE_REDIS_ADMIN_TOKEN ? "DURABLE_REDIS_ADMIN_TOKEN" : "DURABLE_REDIS_TOKEN";
  const token = (values.token as string | undefined) ?? env[tokenVar];
  if (!url) throw new UsageError("no server: give --url or set DURABLE_REDIS_URL", command);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--url is not a URL: '${url}'`, command);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError("--url must be http:// or https://", command);
  if (parsed.search || parsed.username || parsed.password) throw new UsageError("--url must not carry a query or credentials; use --token", command);
  if (!token) throw new UsageError(`no ${kind} token: give --token or set ${tokenVar}`, command);
  return { url: parsed.toString().replace(/\/$/, ""), token };
}

/** A positive number of seconds from an option, or the default. */
export function seconds(command: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number of seconds, not '${v}'`, command);
  return n;
}

export function integer(command: string, name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, not '${v}'`, command);
  return n;
}
