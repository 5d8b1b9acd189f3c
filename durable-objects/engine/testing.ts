// Test helpers for the engine: a fake clock, a seeded PRNG, and an engine that records propagation.

import { Engine, type EngineOptions } from "./engine.js";

export class FakeClock {
  constructor(public ms = 1_700_000_000_000) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** mulberry32: small, fast, seeded; good enough for tests and simulations. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface TestEngine {
  engine: Engine;
  clock: FakeClock;
  /** Every propagated command, in order. */
  log: string[][];
  /** Runs a command given as words. */
  run(...argv: (string | number)[]): ReturnType<Engine["execute"]>;
}

export function testEngine(opts: EngineOptions = {}): TestEngine {
  const clock = new FakeClock();
  const engine = new Engine({ clock: clock.now, random: seededRandom(1), ...opts });
  const log: string[][] = [];
  engine.sink = (cmds) => log.push(...cmds);
  return { engine, clock, log, run: (...argv) => engine.execute(argv.map(String)) };
}
