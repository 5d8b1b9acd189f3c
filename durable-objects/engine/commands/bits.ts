// Bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD) and LCS.

import type { CommandSpec } from "../command.js";

export const bitCommands: CommandSpec[] = [];
