// The command table: every family's entries in one map by lower-case name.

import type { CommandSpec } from "../command.js";
import { keyCommands } from "./keys.js";
import { serverCommands, setCommandCounter } from "./server.js";
import { stringCommands } from "./strings.js";
import { transactionCommands } from "./transactions.js";
import { hashCommands } from "./hashes.js";
import { setCommands } from "./sets.js";
import { listCommands } from "./lists.js";
import { zsetCommands } from "./zsets.js";
import { hyperloglogCommands } from "./hyperloglog.js";
import { bitCommands } from "./bits.js";
import { sortCommands } from "./sort.js";
import { geoCommands } from "./geo.js";
import { memoryCommands } from "./memory.js";
import { streamCommands } from "./streams.js";
import { scriptingCommands } from "./scripting.js";
import { pubsubCommands } from "./pubsub.js";
import { REPLY_ESTIMATES, REPLY_WITHIN_KEY } from "../reply-budget.js";

const families: CommandSpec[][] = [
  stringCommands,
  keyCommands,
  serverCommands,
  transactionCommands,
  hashCommands,
  setCommands,
  listCommands,
  zsetCommands,
  hyperloglogCommands,
  bitCommands,
  sortCommands,
  geoCommands,
  memoryCommands,
  streamCommands,
  scriptingCommands,
  pubsubCommands,
];

export const COMMANDS = new Map<string, CommandSpec>();
for (const family of families) {
  for (const spec of family) {
    if (COMMANDS.has(spec.name)) throw new Error(`command ${spec.name} is defined twice`);
    const replyEstimate = REPLY_ESTIMATES.get(spec.name);
    const replyWithinKey = REPLY_WITHIN_KEY.get(spec.name);
    COMMANDS.set(spec.name, replyEstimate === undefined && replyWithinKey === undefined ? spec : { ...spec, replyEstimate, replyWithinKey });
  }
}
setCommandCounter(() => COMMANDS.size);
