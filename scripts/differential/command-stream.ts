// The differential test's command stream: every family's generators in one weighted list, drawn
// from with a seed, with wrong arguments now and then.

import { bitCommands } from "../../durable-objects/engine/commands/bits.js";
import { geoCommands } from "../../durable-objects/engine/commands/geo.js";
import { hashCommands } from "../../durable-objects/engine/commands/hashes.js";
import { hyperloglogCommands } from "../../durable-objects/engine/commands/hyperloglog.js";
import { keyCommands } from "../../durable-objects/engine/commands/keys.js";
import { listCommands } from "../../durable-objects/engine/commands/lists.js";
import { serverCommands } from "../../durable-objects/engine/commands/server.js";
import { setCommands } from "../../durable-objects/engine/commands/sets.js";
import { sortCommands } from "../../durable-objects/engine/commands/sort.js";
import { stringCommands } from "../../durable-objects/engine/commands/strings.js";
import { zsetCommands } from "../../durable-objects/engine/commands/zsets.js";
import { seededRandom } from "../../durable-objects/engine/testing.js";
import { BIT_GENERATORS } from "./bits.js";
import { type CommandGen, type Family, Gen } from "./gen.js";
import { GEO_GENERATORS } from "./geo.js";
import { HASH_GENERATORS } from "./hashes.js";
import { HYPERLOGLOG_GENERATORS } from "./hyperloglog.js";
import { KEY_GENERATORS, SERVER_GENERATORS } from "./keys.js";
import { LIST_GENERATORS } from "./lists.js";
import { SET_GENERATORS } from "./sets.js";
import { SORT_GENERATORS } from "./sort.js";
import { STRING_GENERATORS } from "./strings.js";
import { ZSET_GENERATORS } from "./zsets.js";

// ---------------------------------------------------------------------------------------------------
// Families: a command belongs to the file that defines it (LCS may land in strings or bits).

export const FAMILY_FILES: [Family, { name: string }[]][] = [
  ["strings", stringCommands],
  ["keys", keyCommands],
  ["server", serverCommands],
  ["hashes", hashCommands],
  ["sets", setCommands],
  ["lists", listCommands],
  ["zsets", zsetCommands],
  ["hyperloglog", hyperloglogCommands],
  ["bits", bitCommands],
  ["sort", sortCommands],
  ["geo", geoCommands],
];

/** The family a command is defined in, or the one its generator names when the engine lacks it. */
export function familyOf(name: string): Family {
  const lower = name.toLowerCase();
  for (const [family, specs] of FAMILY_FILES) if (specs.some((s) => s.name === lower)) return family;
  return GENERATORS.find((g) => g.name === lower)?.family ?? "server";
}

/** Every generator, by family. Weights are per command; families get roughly equal shares. The order is part of what a seed names. */
export const GENERATORS: CommandGen[] = [
  ...STRING_GENERATORS,
  ...KEY_GENERATORS,
  ...SERVER_GENERATORS,
  ...HASH_GENERATORS,
  ...SET_GENERATORS,
  ...LIST_GENERATORS,
  ...ZSET_GENERATORS,
  ...HYPERLOGLOG_GENERATORS,
  ...BIT_GENERATORS,
  ...SORT_GENERATORS,
  ...GEO_GENERATORS,
];

/**
 * Wrong arguments now and then, so error texts are compared too: a word dropped (arity), a junk word
 * appended, or one argument replaced with something that is not a number.
 */
function mutate(g: Gen, argv: string[]): string[] {
  const out = [...argv];
  const r = g.rnd();
  if (r < 0.4 && out.length > 1) out.pop();
  else if (r < 0.7) out.push(g.pick(["junk", "NX", "WITHSCORES", "COUNT"]));
  else if (out.length > 2) out[g.int(2, out.length - 1)] = g.pick(["abc", "-1", "0", "", "1.5", "99999999999999999999"]);
  return out;
}

/** A seeded stream of commands the engine knows. */
export class CommandStream {
  readonly g: Gen;
  readonly available: CommandGen[];
  /** Generators whose command the engine does not have (yet). */
  readonly missing: string[];
  private readonly total: number;

  constructor(seed: number, knows: (name: string) => boolean, readonly mutationRate = 0.03, families?: readonly Family[]) {
    this.g = new Gen(seededRandom(seed));
    this.available = GENERATORS.filter((x) => knows(x.name) && (families === undefined || families.includes(x.family)));
    this.missing = [...new Set(GENERATORS.filter((x) => !knows(x.name)).map((x) => `${x.family}:${x.name}`))];
    this.total = this.available.reduce((s, x) => s + x.weight, 0);
  }

  next(): string[] {
    let pick = this.g.rnd() * this.total;
    let chosen = this.available[this.available.length - 1];
    for (const x of this.available) {
      pick -= x.weight;
      if (pick < 0) {
        chosen = x;
        break;
      }
    }
    const argv = chosen.gen(this.g);
    return !chosen.blocking && this.g.chance(this.mutationRate) ? mutate(this.g, argv) : argv;
  }
}
