// MULTI/EXEC/DISCARD/WATCH/UNWATCH as single commands. Over REST there is no connection to hold
// a transaction's state, so, as Upstash does, they are refused; a transaction is one /multi-exec
// request (Engine.executeTransaction), which is atomic and logged as MULTI … EXEC.

import { type CommandContext, type CommandSpec, command } from "../command.js";
import { RedisError } from "../errors.js";
import type { Reply } from "../reply.js";

function notOverRest(_ctx: CommandContext, argv: string[]): Reply {
  throw new RedisError(
    `ERR Command is not available: '${argv[0].toUpperCase()}'. Over REST a transaction is one /multi-exec request`,
  );
}

export const transactionCommands: CommandSpec[] = [
  command("multi", 1, ["fast", "notxn", "noscript"], [0, 0, 0], notOverRest),
  command("exec", 1, ["notxn", "noscript"], [0, 0, 0], notOverRest),
  command("discard", 1, ["fast", "notxn", "noscript"], [0, 0, 0], notOverRest),
  command("watch", -2, ["fast", "notxn", "noscript"], [1, -1, 1], notOverRest),
  command("unwatch", 1, ["fast", "notxn", "noscript"], [0, 0, 0], notOverRest),
];
