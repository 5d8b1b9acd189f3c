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
