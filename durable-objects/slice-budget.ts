// How long a piece of background work (a snapshot, a rewrite, a replay) may hold the Durable Object
// before it yields to requests. Deployed Workers advance Date.now() only after I/O, so a loop that
// watches the clock never sees its own CPU time pass there: each slice is bounded by work done (keys,
// bytes) as well, with limits sized from `npm run bench` (Node runs the same V8), and by the clock
// wherever it does move (local workerd, Node).

export class SliceBudget {
  private startedMs = 0;
  private units = 0;

  /**
   * @param maxMs the slice's length where the clock moves
   * @param maxUnits the work that takes about maxMs (bytes, keys, … as the caller counts them)
   */
  constructor(
    readonly maxMs: number,
    readonly maxUnits: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a slice. */
  start(): void {
    this.startedMs = this.now();
    this.units = 0;
  }

  /** Counts work done; true once the slice has used its budget. */
  spend(units: number): boolean {
    this.units += units;
    return this.units >= this.maxUnits || this.now() - this.startedMs >= this.maxMs;
  }
}

/** Anything that counts work and says when a slice is over (a SliceBudget, a start-up budget). */
export interface Spender {
  spend(units: number): boolean;
}

/**
 * One step of a sliced job: does a little work and returns how much (in the budget's units), or
 * null once the job is complete.
 */
export type SliceStep = () => number | null;

/**
 * Runs steps until the job is complete (true) or the budget is spent (false). The budget is not
 * restarted here: a start-up budget spans more than one loop.
 */
export function runSlice(budget: Spender, step: SliceStep): boolean {
  for (;;) {
    const units = step();
    if (units === null) return true;
    if (budget.spend(units)) return false;
  }
}

/**
 * Background work between requests (a replay, a rewrite): each slice runs steps until its budget is
 * spent, then the next slice is scheduled, so requests run between them. `afterSlice` runs after
 * every slice (a rewrite stores what the slice wrote); `end` once, when the job completes or throws.
 */
export class SlicedJob {
  private ended = false;

  constructor(
    private readonly budget: SliceBudget,
    private readonly step: SliceStep,
    private readonly schedule: (fn: () => void) => void,
    private readonly end: (error: unknown | null) => void,
    private readonly afterSlice: (done: boolean) => void = () => {},
  ) {}

  /** Schedules the first slice. */
  start(): void {
    this.schedule(() => this.slice());
  }

  /** Runs one slice now, then schedules the next (or ends the job). */
  slice(): void {
    if (this.ended) return;
    let done: boolean;
    try {
      this.budget.start();
      done = runSlice(this.budget, this.step);
      this.afterSlice(done);
    } catch (e) {
      this.ended = true;
      return this.end(e);
    }
    if (!done) return this.start();
    this.ended = true;
    this.end(null);
  }
}
