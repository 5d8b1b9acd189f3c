// fengari (the Lua VM) requires readline-sync at startup for debug.debug, which scripts never get;
// readline-sync calls process.binding("tty_wrap") as it loads, which workerd does not implement.
// The Worker bundle replaces the package with an empty module (wrangler.toml [alias]); the test
// runner's module fallback ignores aliases, so here the one binding it asks for is answered.
const proc = process as unknown as { binding: (name: string) => unknown };
const binding = proc.binding.bind(process);
proc.binding = (name: string) => (name === "tty_wrap" ? { TTY: function TTY() {} } : binding(name));
