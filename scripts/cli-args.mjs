// The command line of the Node scripts: `--name value` options, `--name` flags, and seed lists.
const args = process.argv.slice(2);

/** Whether `--name` was given. */
export const flag = (name) => args.includes(`--${name}`);

/** The value after `--name`, or `fallback`. */
export function option(name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

/** Seeds written as `7`, `1-20` or `1,5,9` (ranges and single seeds mixed). */
export function parseSeeds(text) {
  const out = [];
  for (const part of text.split(",")) {
    const m = /^(\d+)-(\d+)$/.exec(part);
    if (m) for (let s = Number(m[1]); s <= Number(m[2]); s++) out.push(s);
    else out.push(Number(part));
  }
  return out;
}
