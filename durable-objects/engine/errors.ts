// Redis's error replies, with their exact texts. Handlers throw a RedisError; the dispatcher turns
// it into an error reply. Anything else thrown is a bug and answers "ERR internal error".

export class RedisError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RedisError";
  }
}

export const wrongType = () =>
  new RedisError("WRONGTYPE Operation against a key holding the wrong kind of value");
export const syntaxError = () => new RedisError("ERR syntax error");
export const notInteger = () => new RedisError("ERR value is not an integer or out of range");
export const notFloat = () => new RedisError("ERR value is not a valid float");
export const minMaxNotFloat = () => new RedisError("ERR min or max is not a float");
export const noSuchKey = () => new RedisError("ERR no such key");
export const outOfRange = () => new RedisError("ERR index out of range");
export const overflow = () => new RedisError("ERR increment or decrement would overflow");
export const nanOrInfinity = () => new RedisError("ERR increment would produce NaN or Infinity");
export const invalidExpire = (cmd: string) =>
  new RedisError(`ERR invalid expire time in '${cmd.toLowerCase()}' command`);
export const bitOffsetError = () => new RedisError("ERR bit offset is not an integer or out of range");
export const stringTooLong = () => new RedisError("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
export const mustBePositive = () => new RedisError("ERR value is out of range, must be positive");
export const crossSlot = () => new RedisError("CROSSSLOT Keys in request don't hash to the same slot");
export const oom = () => new RedisError("OOM command not allowed when used memory > 'maxmemory'.");
export const loading = () => new RedisError("LOADING Redis is loading the dataset in memory");
/** Why writes are refused while persisting fails (Redis's writeCommandsGetDiskErrorMessage). */
export function diskError(error: DiskError): RedisError {
  if (error.kind === "aof") return new RedisError(`MISCONF Errors writing to the AOF file: ${error.reason}`);
  return new RedisError(
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
  );
}
export const rewriteCannotStart = () =>
  new RedisError("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.");
/** A log write that failed (its reason as the store gave it), or a failed snapshot with stop-writes-on-bgsave-error. */
export type DiskError = { kind: "aof"; reason: string } | { kind: "rdb" };
export const noPermission = (cmd: string) =>
  new RedisError(`NOPERM this user has no permissions to run the '${cmd.toLowerCase()}' command`);

export const wrongArity = (cmd: string) =>
  new RedisError(`ERR wrong number of arguments for '${cmd.toLowerCase()}' command`);

/** Redis 7's text: the args list is each argument quoted, cut to 128 chars in all. */
export function unknownCommand(cmd: string, args: string[]): RedisError {
  let argsText = "";
  for (const a of args) {
    if (argsText.length >= 128) break;
    const room = 128 - argsText.length;
    argsText += `'${a.length > room ? a.slice(0, room) : a}' `;
  }
  return new RedisError(`ERR unknown command '${cmd.slice(0, 128)}', with args beginning with: ${argsText}`);
}

export const unknownSubcommand = (sub: string, cmd: string) =>
  new RedisError(
    `ERR unknown subcommand '${sub.slice(0, 128)}'. Try ${cmd.toUpperCase()} HELP.`,
  );
