// Progress of data moves, on stderr: a bar redrawn in place on a terminal, one line per finished
// step otherwise (logs stay readable), nothing with --quiet.

import type { Io } from "./io.js";

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

export class Progress {
  private drawn = false;
  private lastDraw = 0;

  constructor(
    private readonly io: Io,
    private readonly quiet: boolean,
  ) {}

  /** A finished step. */
  step(text: string): void {
    if (this.quiet) return;
    this.clear();
    this.io.err(text);
  }

  /** Bytes moved so far of a transfer (total 0: unknown). */
  bytes(label: string, done: number, total: number): void {
    if (this.quiet || !this.io.errIsTty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done !== total) return;
    this.lastDraw = now;
    const width = 30;
    const bar = total ? "#".repeat(Math.round((done / total) * width)).padEnd(width, ".") : "";
    const pct = total ? ` ${Math.floor((done / total) * 100)}%` : "";
    this.io.errWrite(`\r${label} [${bar}]${pct} ${formatBytes(done)}${total ? ` of ${formatBytes(total)}` : ""}\x1b[K`);
    this.drawn = true;
  }

  /** A transfer finished. */
  done(label: string, size: number): void {
    this.step(`${label}: ${formatBytes(size)}`);
  }

  private clear(): void {
    if (!this.drawn) return;
    this.io.errWrite("\r\x1b[K");
    this.drawn = false;
  }
}
