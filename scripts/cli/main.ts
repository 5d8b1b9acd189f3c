// The `durable-redis` operations CLI: integrity checks of RDB and AOF files, and backup, restore,
// export, status and a shell against a deployment's admin and REST APIs. Entry: bin.mjs → main().

import { CONNECTION_OPTIONS, CliError, EXIT, UsageError, connection, integer, parse, seconds } from "./args.js";
import { BACKUP_HELP, runBackup } from "./backup.js";
import { CHECK_AOF_HELP, runCheckAof } from "./check-aof.js";
import { CHECK_RDB_HELP, runCheckRdb } from "./check-rdb.js";
import { EXPORT_HELP, runExport } from "./export.js";
import { type Io, stdio } from "./io.js";
import { CLI_HELP, historyPath, runRepl } from "./repl.js";
import { RESTORE_HELP, parseRestoreTime, runRestore } from "./restore.js";
import { HEALTH_HELP, INFO_HELP, type WatchOptions, runHealth, runInfo } from "./status.js";

const HELP = `Usage: durable-redis <command> [options]

Files (no server needed):
  check-rdb FILE                      check an RDB file as redis-check-rdb does, with a summary
  check-aof [--fix] [--truncate-to-timestamp T] FILE|DIR
                                      check (and repair) an AOF file or appendonlydir as redis-check-aof does

A deployment (--url, --token or DURABLE_REDIS_URL, DURABLE_REDIS_ADMIN_TOKEN):
  export --out dump.rdb               one RDB of the whole dataset, merged from every shard
  backup [--out DIR]                  snapshot every shard into a dated .tar.gz with a manifest
  restore BACKUP.tar.gz               replace the dataset with a backup's
  restore --rdb dump.rdb              replace the dataset with a Redis dump, split by hash slot
  restore --aof appendonlydir         replace the dataset with a Redis AOF, split by hash slot
  restore --to-time TIME              take every shard back to a moment, from the bases and log kept
  info [--watch]                      persistence status of every shard
  health [--watch]                    the health checks; exit status 1 when one fails
  cli [CMD ARG...]                    a redis-cli-like shell over the REST API (DURABLE_REDIS_ADMIN_TOKEN,
                                      else DURABLE_REDIS_TOKEN)

Run 'durable-redis <command> --help' for a command's options.
Exit status: 0 success, 1 failure (a check failed, an error reply), 2 usage error, 3 server unreachable or token refused.`;

const WATCH = { watch: { type: "boolean" }, interval: { type: "string" }, count: { type: "string" } } as const;

function watchOptions(command: string, values: Record<string, unknown>): WatchOptions {
  if (!values.watch && (values.interval !== undefined || values.count !== undefined)) throw new UsageError("--interval and --count go with --watch", command);
  return { watch: values.watch === true, intervalMs: seconds(command, "interval", values.interval, 2) * 1000, count: integer(command, "count", values.count, 0) };
}

type Command = { help: string; run(argv: string[], io: Io): Promise<number> | number };

const COMMANDS: Record<string, Command> = {
  "check-rdb": {
    help: CHECK_RDB_HELP,
    run(argv, io) {
      const { values, positionals } = parse("check-rdb", argv, { "max-version": { type: "string" }, quiet: { type: "boolean", short: "q" } }, { min: 1, max: 1 });
      const maxVersion = integer("check-rdb", "max-version", values["max-version"], 10);
      return runCheckRdb(positionals[0], { maxVersion, quiet: values.quiet === true }, io.out);
    },
  },
  "check-aof": {
    help: CHECK_AOF_HELP,
    async run(argv, io) {
      const { values, positionals } = parse(
        "check-aof",
        argv,
        { fix: { type: "boolean" }, "truncate-to-timestamp": { type: "string" }, yes: { type: "boolean", short: "y" } },
        { min: 1, max: 1 },
      );
      const ts = values["truncate-to-timestamp"] as string | undefined;
      if (values.fix && ts !== undefined) throw new UsageError("--fix and --truncate-to-timestamp do not go together", "check-aof");
      if (ts !== undefined && !/^-?\d+$/.test(ts)) throw new UsageError(`invalid timestamp '${ts}' (Unix seconds)`, "check-aof");
      const confirm = async () => {
        if (values.yes) {
          io.out("y");
          return true;
        }
        const answer = await io.readLine();
        return answer !== null && /^y/i.test(answer);
      };
      return runCheckAof(positionals[0], { fix: values.fix === true, toTimestamp: ts === undefined ? 0 : Number(ts), confirm }, io);
    },
  },
  export: {
    help: EXPORT_HELP,
    run(argv, io) {
      const { values } = parse("export", argv, { ...CONNECTION_OPTIONS, out: { type: "string", short: "o" } }, { min: 0, max: 0 });
      if (!values.out) throw new UsageError("--out FILE is required", "export");
      const conn = connection("export", values, process.env, "admin");
      return runExport(conn, values.out as string, seconds("export", "timeout", values.timeout, 300) * 1000, values.quiet === true, io);
    },
  },
  backup: {
    help: BACKUP_HELP,
    run(argv, io) {
      const { values } = parse("backup", argv, { ...CONNECTION_OPTIONS, out: { type: "string", short: "o" } }, { min: 0, max: 0 });
      const conn = connection("backup", values, process.env, "admin");
      return runBackup(conn, (values.out as string | undefined) ?? ".", seconds("backup", "timeout", values.timeout, 300) * 1000, values.quiet === true, io);
    },
  },
  restore: {
    help: RESTORE_HELP,
    run(argv, io) {
      const { values, positionals } = parse(
        "restore",
        argv,
        {
          ...CONNECTION_OPTIONS,
          rdb: { type: "string" },
          aof: { type: "string" },
          truncate: { type: "boolean" },
          "to-time": { type: "string" },
          db: { type: "string" },
          "skip-unsupported": { type: "boolean" },
          yes: { type: "boolean", short: "y" },
        },
        { min: 0, max: 1 },
      );
      const rdb = values.rdb as string | undefined;
      const aof = values.aof as string | undefined;
      const timeText = values["to-time"] as string | undefined;
      const given = [positionals.length > 0, rdb !== undefined, aof !== undefined, timeText !== undefined].filter(Boolean).length;
      if (given === 0) throw new UsageError("give a backup archive, --rdb FILE, --aof FILE|DIR or --to-time TIME", "restore");
      if (given > 1) throw new UsageError("give one of a backup archive, --rdb FILE, --aof FILE|DIR and --to-time TIME", "restore");
      if (values.truncate && aof === undefined) throw new UsageError("--truncate goes with --aof", "restore");
      const toTime = timeText === undefined ? undefined : parseRestoreTime(timeText);
      if (toTime === null) throw new UsageError(`--to-time takes Unix seconds or a date, not '${timeText}'`, "restore");
      const conn = connection("restore", values, process.env, "admin");
      return runRestore(
        conn,
        {
          backup: positionals[0],
          rdb,
          aof,
          truncate: values.truncate === true,
          toTime,
          db: integer("restore", "db", values.db, 0),
          skipUnsupported: values["skip-unsupported"] === true,
          yes: values.yes === true,
          quiet: values.quiet === true,
        },
        io,
      );
    },
  },
  info: {
    help: INFO_HELP,
    run(argv, io) {
      const { values } = parse("info", argv, { ...CONNECTION_OPTIONS, ...WATCH, json: { type: "boolean" }, raw: { type: "boolean" } }, { min: 0, max: 0 });
      if (values.json && values.raw) throw new UsageError("--json and --raw do not go together", "info");
      const conn = connection("info", values, process.env, "admin");
      return runInfo(conn, { ...watchOptions("info", values), json: values.json === true, raw: values.raw === true }, io);
    },
  },
  health: {
    help: HEALTH_HELP,
    run(argv, io) {
      const { values } = parse("health", argv, { ...CONNECTION_OPTIONS, ...WATCH, json: { type: "boolean" } }, { min: 0, max: 0 });
      const conn = connection("health", values, process.env, "admin");
      return runHealth(conn, { ...watchOptions("health", values), json: values.json === true }, io);
    },
  },
  cli: {
    help: CLI_HELP,
    run(argv, io) {
      // Options come first; everything from the first other word is the command, passed through.
      let i = 0;
      const opts: string[] = [];
      while (i < argv.length && argv[i].startsWith("--")) {
        opts.push(argv[i]);
        if (argv[i] === "--url" || argv[i] === "--token") opts.push(argv[++i] ?? "");
        i++;
      }
      const { values } = parse("cli", opts, { url: { type: "string" }, token: { type: "string" }, raw: { type: "boolean" }, "no-raw": { type: "boolean" } }, { min: 0, max: 0 });
      if (values.help) {
        io.out(CLI_HELP);
        return EXIT.OK;
      }
      if (values.raw && values["no-raw"]) throw new UsageError("--raw and --no-raw do not go together", "cli");
      const conn = connection("cli", values, process.env, "data");
      const raw = values.raw === true || (values["no-raw"] !== true && !process.stdout.isTTY);
      return runRepl(conn, { raw, command: argv.slice(i), interactive: process.stdin.isTTY === true, historyFile: historyPath(process.env) }, io);
    },
  },
};

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`durable-redis: unknown command '${name}'. Run 'durable-redis --help' for the list.`);
    return EXIT.USAGE;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    // `cli` passes everything after the command through; only a leading --help is its own.
    if (name !== "cli" || rest[0] === "--help" || rest[0] === "-h") {
      io.out(command.help);
      return EXIT.OK;
    }
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`durable-redis ${e.command}: ${e.message}. Run 'durable-redis ${e.command} --help' for usage.`);
      return EXIT.USAGE;
    }
    if (e instanceof CliError) {
      io.err(`durable-redis ${name}: ${e.message}`);
      return e.code;
    }
    // A bug, or a failure nothing above expected (a full disk): one line, the stack only on request.
    io.err(`durable-redis ${name}: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.DURABLE_REDIS_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return EXIT.FAILED;
  }
}
