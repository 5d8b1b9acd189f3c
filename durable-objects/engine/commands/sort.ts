// SORT and SORT_RO over lists, sets and sorted sets.

import type { CommandSpec } from "../command.js";

export const sortCommands: CommandSpec[] = [];
