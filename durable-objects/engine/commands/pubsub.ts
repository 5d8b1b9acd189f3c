// Pub/sub commands: PUBLISH, SPUBLISH, PUBSUB. Their rows give arity and flags like any command's, but
// a shard never runs them: they route to the pub/sub hubs (routing tip `pubsub`), which hold the
// subscriptions. What is pure (PUBSUB's arguments and its HELP) is here, shared by the worker.

import { type CommandSpec, command } from "../command.js";
import { RedisError, unknownSubcommand, wrongArity } from "../errors.js";

const HUBS = { request: "pubsub" } as const;

/** A shard runs none of these: the router sends them to the hubs (e.g. not inside /multi-exec, which refuses them). */
const onHubs = (): never => {
  throw new RedisError("ERR pub/sub commands are answered by the pub/sub hubs, not by a shard");
};

/** What a PUBSUB command asks, its arguments checked with Redis 7's error texts. */
export type PubsubQuery =
  | { sub: "channels" | "shardchannels"; pattern: string | null }
  | { sub: "numsub" | "shardnumsub"; channels: string[] }
  | { sub: "numpat" }
  | { sub: "help" };

/** PUBSUB's help, Redis 7.0's text. */
export const PUBSUB_HELP = [
  "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
  "HELP",
  "    Prints this help.",
];

/** PUBSUB <subcommand> [args]: each subcommand's arity as Redis 7 declares it (NUMPAT and HELP take none). */
export function parsePubsub(argv: string[]): PubsubQuery {
  const sub = argv[1].toLowerCase();
  const args = argv.slice(2);
  switch (sub) {
    case "channels":
    case "shardchannels":
      if (args.length > 1) throw new RedisError(`ERR unknown subcommand or wrong number of arguments for '${argv[1]}'. Try PUBSUB HELP.`);
      return { sub, pattern: args[0] ?? null };
    case "numsub":
    case "shardnumsub":
      return { sub, channels: args };
    case "numpat":
    case "help":
      if (args.length > 0) throw wrongArity(`pubsub|${sub}`);
      return { sub };
    default:
      throw unknownSubcommand(argv[1], "pubsub");
  }
}

export const pubsubCommands: CommandSpec[] = [
  /** PUBLISH channel message */
  command("publish", 3, ["noreadonlytoken", "notxn", "loading", "fast"], [0, 0, 0], onHubs, HUBS),
  /** SPUBLISH shardchannel message */
  command("spublish", 3, ["noreadonlytoken", "notxn", "loading", "fast"], [0, 0, 0], onHubs, HUBS),
  /** PUBSUB CHANNELS [pattern] | NUMSUB [channel …] | NUMPAT | SHARDCHANNELS [pattern] | SHARDNUMSUB [channel …] | HELP */
  command("pubsub", -2, ["notxn", "loading"], [0, 0, 0], onHubs, HUBS),
];
