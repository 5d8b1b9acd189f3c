// HyperLogLog commands (PFADD, PFCOUNT, PFMERGE), byte-compatible with Redis's dense/sparse strings.

import type { CommandSpec } from "../command.js";

export const hyperloglogCommands: CommandSpec[] = [];
