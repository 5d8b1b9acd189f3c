// Hash commands (HSET, HGET, …).

import type { CommandSpec } from "../command.js";

export const hashCommands: CommandSpec[] = [];
