// Scripting commands: EVAL/EVALSHA (and _RO), SCRIPT, FUNCTION, FCALL (and _RO). The cache, the
// libraries and the runs are engine/scripting/; this file parses arguments and shapes replies.

import { type CommandContext, type CommandSpec, type RoutingTips, command } from "../command.js";
import { RedisError, noPermission, notInteger, unknownSubcommand } from "../errors.js";
import { globMatch } from "../glob.js";
import { OK, type Reply, errorReply } from "../reply.js";
import { NOSCRIPT } from "../scripting/scripting.js";
import { intArg, opt } from "./args.js";

/** Keys of EVAL/FCALL: numkeys at argv[2], then that many keys (none when numkeys is bad: the handler says why). */
function scriptKeys(argv: string[]): number[] {
  const n = Number(argv[2]);
  if (!Number.isInteger(n) || n < 0 || n > argv.length - 3) return [];
  return Array.from({ length: n }, (_, i) => 3 + i);
}

/** numkeys as Redis checks it; `bad` is the text for a non-integer (EVAL's and FCALL's differ). */
function numkeys(argv: string[], bad: () => RedisError): number {
  const n = intArg(argv[2], bad);
  if (n > argv.length - 3) throw new RedisError("ERR Number of keys can't be greater than number of args");
  if (n < 0) throw new RedisError("ERR Number of keys can't be negative");
  return n;
}

/** EVAL script numkeys [key …] [arg …] / EVALSHA sha1 numkeys … / EVAL_RO / EVALSHA_RO */
function evalGeneric(bySha: boolean, ro: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    // A wrong-length sha cannot match: NOSCRIPT before numkeys is looked at, as in Redis.
    if (bySha && argv[1].length !== 40) return errorReply(NOSCRIPT);
    const n = numkeys(argv, notInteger);
    let sha: string;
    let script;
    if (bySha) {
      sha = argv[1].toLowerCase();
      script = ctx.scripting.scripts.get(sha);
      if (!script) return errorReply(NOSCRIPT);
    } else {
      const loaded = ctx.scripting.load(argv[1]);
      if ("error" in loaded) return loaded;
      ({ sha, script } = loaded);
    }
    return ctx.scripting.eval(script, sha, argv.slice(3, 3 + n), argv.slice(3 + n), ro);
  };
}

/** FCALL function numkeys [key …] [arg …] / FCALL_RO */
function fcallGeneric(ro: boolean) {
  return (ctx: CommandContext, argv: string[]): Reply => {
    if (!ctx.scripting.functions.has(argv[1])) return errorReply("ERR Function not found");
    const n = numkeys(argv, () => new RedisError("ERR Bad number of keys provided"));
    return ctx.scripting.fcall(argv[1], argv.slice(3, 3 + n), argv.slice(3 + n), ro);
  };
}

/** Subcommand arities (Redis's `container|sub` rows). */
const SCRIPT_ARITY: Record<string, number> = { load: 3, exists: -3, flush: -2, kill: 2, help: 2, debug: 3 };
const FUNCTION_ARITY: Record<string, number> = {
  load: -3,
  delete: 3,
  flush: -2,
  list: -2,
  dump: 2,
  restore: -3,
  stats: 2,
  kill: 2,
  help: 2,
};

function subcommand(argv: string[], container: string, arities: Record<string, number>): string {
  const sub = argv[1].toLowerCase();
  const arity = arities[sub];
  if (arity === undefined) throw unknownSubcommand(argv[1], container);
  if (arity >= 0 ? argv.length !== arity : argv.length < -arity) {
    throw new RedisError(`ERR wrong number of arguments for '${container.toLowerCase()}|${sub}' command`);
  }
  return sub;
}

const syntaxFor = (argv: string[], container: string) =>
  new RedisError(`ERR unknown subcommand or wrong number of arguments for '${argv[1].slice(0, 128)}'. Try ${container} HELP.`);

const NOTBUSY = "NOTBUSY No scripts in execution right now.";

const SCRIPT_HELP = [
  "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DEBUG (YES|SYNC|NO)",
  "    Set the debug mode for subsequent scripts executed.",
  "EXISTS <sha1> [<sha1> ...]",
  "    Return information about the existence of the scripts in the script cache.",
  "FLUSH [ASYNC|SYNC]",
  "    Flush the Lua scripts cache. Very dangerous on replicas.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the scripts cache.",
  "    * SYNC: Synchronously flush the scripts cache.",
  "KILL",
  "    Kill the currently executing Lua script.",
  "LOAD <script>",
  "    Load a script into the scripts cache without executing it.",
  "HELP",
  "    Prints this help.",
];

/** SCRIPT LOAD script | EXISTS sha1 … | FLUSH [ASYNC|SYNC] | KILL | HELP */
function script(ctx: CommandContext, argv: string[]): Reply {
  const sub = subcommand(argv, "SCRIPT", SCRIPT_ARITY);
  const s = ctx.scripting;
  switch (sub) {
    case "load": {
      const loaded = s.load(argv[2]);
      return "error" in loaded ? loaded : loaded.sha;
    }
    case "exists":
      return argv.slice(2).map((sha) => (s.exists(sha) ? 1 : 0));
    case "flush":
      if (argv.length > 3 || (argv.length === 3 && !["ASYNC", "SYNC"].includes(opt(argv[2])))) {
        throw new RedisError("ERR SCRIPT FLUSH only support SYNC|ASYNC option");
      }
      s.flushScripts();
      return OK;
    case "kill":
      // Nothing else runs while a script does: a SCRIPT KILL never finds one.
      return errorReply(NOTBUSY);
    case "debug":
      throw new RedisError("ERR SCRIPT DEBUG is not supported over REST: a request cannot hold a debugging session");
    default:
      return SCRIPT_HELP;
  }
}

const FUNCTION_HELP = [
  "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "LOAD [REPLACE] <FUNCTION CODE>",
  "    Create a new library with the given library name and code.",
  "DELETE <LIBRARY NAME>",
  "    Delete the given library.",
  "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
  "    Return general information on all the libraries:",
  "    * Library name",
  "    * The engine used to run the Library",
  "    * Library description",
  "    * Functions list",
  "    * Library code (if WITHCODE is given)",
  "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
  "STATS",
  "    Return information about the current function running:",
  "    * Function name",
  "    * Command used to run the function",
  "    * Duration in MS that the function is running",
  "    If no function is running, return nil",
  "    In addition, returns a list of available engines.",
  "KILL",
  "    Kill the current running function.",
  "FLUSH [ASYNC|SYNC]",
  "    Delete all the libraries.",
  "    When called without the optional mode argument, the behavior is determined by the",
  "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
  "    * ASYNC: Asynchronously flush the libraries.",
  "    * SYNC: Synchronously flush the libraries.",
  "DUMP",
  "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
  "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
  "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
  "    control how to handle existing libraries (default APPEND):",
  "    * FLUSH: delete all existing libraries.",
  "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
  "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
  "      libraries with the new libraries (notice that even on this option there is a chance of failure",
  "      in case of functions name collision with another library).",
  "HELP",
  "    Prints this help.",
];

const FUNCTION_WRITES = new Set(["load", "delete", "flush", "restore"]);

/**
 * FUNCTION LOAD [REPLACE] code | DELETE name | FLUSH [ASYNC|SYNC] | LIST [LIBRARYNAME p] [WITHCODE]
 * | DUMP | RESTORE payload [FLUSH|APPEND|REPLACE] | STATS | KILL | HELP
 */
function functionCmd(ctx: CommandContext, argv: string[]): Reply {
  const sub = subcommand(argv, "FUNCTION", FUNCTION_ARITY);
  const s = ctx.scripting;
  if (FUNCTION_WRITES.has(sub) && s.readonlyToken) throw noPermission(`function|${sub}`);
  switch (sub) {
    case "load": {
      let replace = false;
      let i = 2;
      for (; i < argv.length - 1; i++) {
        if (opt(argv[i]) === "REPLACE") replace = true;
        else throw new RedisError(`ERR Unknown option given: ${argv[i]}`);
      }
      const loaded = s.loadLibrary(argv[i], replace);
      if (typeof loaded !== "string") return loaded;
      ctx.dirty++;
      return loaded;
    }
    case "delete":
      if (!s.deleteLibrary(argv[2])) throw new RedisError("ERR Library not found");
      ctx.dirty++;
      return OK;
    case "flush":
      if (argv.length > 3) throw syntaxFor(argv, "FUNCTION");
      if (argv.length === 3 && !["ASYNC", "SYNC"].includes(opt(argv[2]))) {
        throw new RedisError("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
      }
      s.flushFunctions();
      ctx.dirty++;
      ctx.rewrite(["FUNCTION", "FLUSH"]);
      return OK;
    case "list":
      return functionList(ctx, argv);
    case "dump": {
      const codec = ctx.server.functionPayload;
      if (!codec) throw new RedisError("ERR FUNCTION DUMP is not available in this context");
      return codec.dump(s.libraryCodes());
    }
    case "restore":
      return functionRestore(ctx, argv);
    case "stats":
      return ["running_script", null, "engines", ["LUA", ["libraries_count", s.libraries.size, "functions_count", s.functions.size]]];
    case "kill":
      return errorReply(NOTBUSY);
    default:
      return FUNCTION_HELP;
  }
}

function functionList(ctx: CommandContext, argv: string[]): Reply {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    const a = opt(argv[i]);
    if (!withCode && a === "WITHCODE") withCode = true;
    else if (pattern === null && a === "LIBRARYNAME") {
      if (i >= argv.length - 1) throw new RedisError("ERR library name argument was not given");
      pattern = argv[++i];
    } else throw new RedisError(`ERR Unknown argument ${argv[i]}`);
  }
  const out: Reply[] = [];
  for (const library of ctx.scripting.libraries.values()) {
    if (pattern !== null && !globMatch(pattern, library.name, true)) continue;
    out.push(ctx.scripting.listEntry(library, withCode));
  }
  return out;
}

/** FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE], propagated as its effect (FLUSH, then each library's LOAD REPLACE). */
function functionRestore(ctx: CommandContext, argv: string[]): Reply {
  if (argv.length > 4) throw syntaxFor(argv, "FUNCTION");
  let policy: "FLUSH" | "APPEND" | "REPLACE" = "APPEND";
  if (argv.length === 4) {
    const p = opt(argv[3]);
    if (p !== "FLUSH" && p !== "APPEND" && p !== "REPLACE") {
      throw new RedisError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
    policy = p;
  }
  const codec = ctx.server.functionPayload;
  if (!codec) throw new RedisError("ERR FUNCTION RESTORE is not available in this context");
  const codes = codec.restore(argv[2]);
  if (typeof codes === "string") throw new RedisError(`ERR ${codes}`);
  const failed = ctx.scripting.restoreLibraries(codes, policy);
  if (failed) return failed;
  ctx.dirty++;
  const effects: string[][] = policy === "FLUSH" ? [["FUNCTION", "FLUSH"]] : [];
  for (const code of codes) effects.push(["FUNCTION", "LOAD", "REPLACE", code]);
  ctx.rewrite(...effects);
  return OK;
}

const ALL_SHARDS: RoutingTips = { request: "all_shards", response: "all_succeeded" };
const FIRST_SHARD: RoutingTips = { request: "keyed" };
/** KILL reaches every shard and succeeds where a script runs, as Redis's tips say (a script holds its shard alone, so none is ever found running). */
const KILL: RoutingTips = { request: "all_shards", response: "one_succeeded" };

/** SCRIPT LOAD/FLUSH and FUNCTION's changes run on every shard (each has its own cache and libraries); EXISTS answers for all. */
function scriptTips(argv: string[]): RoutingTips {
  const sub = argv[1]?.toLowerCase();
  if (sub === "exists") return { request: "all_shards", response: "agg_logical_and" };
  if (sub === "kill") return KILL;
  // Redis's tips say all_nodes: every copy of the data gets the script (here, every shard).
  return sub === "load" || sub === "flush" ? { request: "all_nodes", response: "all_succeeded" } : FIRST_SHARD;
}
function functionTips(argv: string[]): RoutingTips {
  const sub = argv[1]?.toLowerCase();
  if (sub === "kill") return KILL;
  return FUNCTION_WRITES.has(sub) ? ALL_SHARDS : FIRST_SHARD;
}

// Write commands inside a script are checked one by one (read-only scripts, OOM); EVAL itself is
// not flagged write. The read-only token may run the _RO forms only.
export const scriptingCommands: CommandSpec[] = [
  command("eval", -3, ["script", "noscript", "noreadonlytoken"], scriptKeys, evalGeneric(false, false)),
  command("evalsha", -3, ["script", "noscript", "noreadonlytoken"], scriptKeys, evalGeneric(true, false)),
  command("eval_ro", -3, ["script", "noscript", "readonly"], scriptKeys, evalGeneric(false, true)),
  command("evalsha_ro", -3, ["script", "noscript", "readonly"], scriptKeys, evalGeneric(true, true)),
  command("fcall", -3, ["script", "noscript", "noreadonlytoken"], scriptKeys, fcallGeneric(false)),
  command("fcall_ro", -3, ["script", "noscript", "readonly"], scriptKeys, fcallGeneric(true)),
  command("script", -2, ["noscript"], [0, 0, 0], script, scriptTips),
  command("function", -2, ["noscript"], [0, 0, 0], functionCmd, functionTips),
];

