// MONITOR's lines, as Redis prints them: `<sec>.<usec> [<db> <client>] "cmd" "arg" …`, each argument
// quoted and escaped as Redis's sdscatrepr does, so a line is printable ASCII whatever the bytes.

const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\x07": "\\a", "\b": "\\b" };

/** One argument as Redis's sdscatrepr writes it. */
export function repr(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const code = s.charCodeAt(i);
    const esc = ESCAPES[c];
    if (esc !== undefined) out += esc;
    else if (code >= 0x20 && code <= 0x7e) out += c;
    else out += "\\x" + code.toString(16).padStart(2, "0");
  }
  return out + '"';
}

/** One command as MONITOR shows it. Workers' clock has millisecond resolution: the microseconds end in 000. */
export function monitorLine(nowMs: number, client: string, argv: string[]): string {
  const sec = Math.floor(nowMs / 1000);
  const usec = String((nowMs - sec * 1000) * 1000).padStart(6, "0");
  let line = `${sec}.${usec} [0 ${client}]`;
  for (const a of argv) line += " " + repr(a);
  return line;
}
