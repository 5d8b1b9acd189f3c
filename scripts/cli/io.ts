// Where a command's output goes: stdout lines (reports, data), stderr lines (progress, errors),
// and the first line of stdin (redis-check-aof's "Continue? [y/N]"). Tests and the REPL swap it.

export interface Io {
  /** A line of the command's result (stdout). */
  out(line: string): void;
  /** Text without a newline (a prompt). */
  write(text: string): void;
  /** A line of progress or an error (stderr). */
  err(line: string): void;
  /** Text on stderr without a newline (a progress bar redrawn in place). */
  errWrite(text: string): void;
  /** True when stderr is a terminal: progress may redraw one line. */
  errIsTty: boolean;
  /** The next line of stdin, or null at its end. */
  readLine(): Promise<string | null>;
}

let stdinLines: AsyncIterator<string> | null = null;

export const stdio: Io = {
  out: (l) => void process.stdout.write(l + "\n"),
  write: (t) => void process.stdout.write(t),
  err: (l) => void process.stderr.write(l + "\n"),
  errWrite: (t) => void process.stderr.write(t),
  errIsTty: process.stderr.isTTY === true,
  async readLine() {
    if (!stdinLines) {
      const { createInterface } = await import("node:readline");
      stdinLines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
    }
    const r = await stdinLines.next();
    return r.done ? null : r.value;
  },
};
