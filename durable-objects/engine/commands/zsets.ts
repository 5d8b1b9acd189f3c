// Sorted set commands (ZADD, ZRANGE, …).

import type { CommandSpec } from "../command.js";

export const zsetCommands: CommandSpec[] = [];
