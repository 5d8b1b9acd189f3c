// Scripting's own rules (the cache, the checks on redis.call, effects propagation, the functions'
// registry), with a stand-in VM whose "scripts" are JS functions looked up by their source: the
// real VM is tested with these commands in commands/scripting.test.ts and in workerd.
import { describe, expect, it } from "vitest";
import type { LuaFunctionRef, LuaVm, RunOptions } from "../lua/api.js";
import type { Reply } from "../reply.js";
import { testEngine } from "../testing.js";

type Body = (opts: RunOptions) => Reply;

/** Scripts by source; a library's source names its functions as `fn:<name>` lines. */
function fakeVm(bodies: Record<string, Body>): () => LuaVm {
  return () => {
    let next = 1;
    const fns = new Map<number, Body>();
    return {
      compile(source) {
        const body = bodies[source.trim()];
        if (!body) return { error: "Error compiling script (new function): user_script:1: syntax error" };
        fns.set(next, body);
        return { id: next++ };
      },
      run: (fn: LuaFunctionRef, opts: RunOptions) => fns.get(fn.id)!(opts),
      loadLibrary(source, _name, host) {
        for (const line of source.split("\n")) {
          const m = /^fn:(\S+)(?: (\S+))?/.exec(line);
          if (!m) continue;
          fns.set(next, bodies[m[1]] ?? (() => m[1]));
          const e = host.registerFunction!(m[1], { id: next++ }, m[2] ? m[2].split(",") : []);
          if (e) return { error: `Error registering functions: ${e}` };
        }
        return null;
      },
      callFunction: (fn: LuaFunctionRef, opts: RunOptions) => fns.get(fn.id)!(opts),
      release: (fn) => void fns.delete(fn.id),
      usedMemory: () => 1024,
      reset: () => fns.clear(),
      random: { seed() {}, next: () => 0 },
    };
  };
}

const SET_TWO: Body = ({ keys, args, host }) => {
  host.call(["SET", keys[0], args[0]], true);
  return host.call(["INCR", keys[1]], true);
};

function setup(bodies: Record<string, Body> = {}, config: Record<string, string> = {}) {
  return testEngine({ createLuaVm: fakeVm({ "return 1": () => 1, "return redis.call(KEYS)": SET_TWO, ...bodies }), config });
}

describe("EVAL and the script cache", () => {
  it("EVAL caches the script under the sha1 of its body; EVALSHA finds it in any case; SCRIPT EXISTS and FLUSH", () => {
    const { run } = setup();
    expect(run("EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", 0)).toEqual({ error: "NOSCRIPT No matching script. Please use EVAL." });
    expect(run("EVAL", "return 1", 0)).toBe(1);
    expect(run("EVALSHA", "E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", 0)).toBe(1);
    expect(run("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "ffff")).toEqual([1, 0]);
    expect(run("SCRIPT", "FLUSH")).toEqual({ status: "OK" });
    expect(run("SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")).toEqual([0]);
    expect(run("SCRIPT", "LOAD", "return 1")).toBe("e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  });

  it("answers Redis's texts for numkeys, a short sha, shebangs and SCRIPT's arguments", () => {
    const { run } = setup();
    expect(run("EVALSHA", "abc", "x")).toEqual({ error: "NOSCRIPT No matching script. Please use EVAL." });
    expect(run("EVAL", "return 1", "x")).toEqual({ error: "ERR value is not an integer or out of range" });
    expect(run("EVAL", "return 1", 2, "a")).toEqual({ error: "ERR Number of keys can't be greater than number of args" });
    expect(run("EVAL", "return 1", -1)).toEqual({ error: "ERR Number of keys can't be negative" });
    expect(run("EVAL", "#!lua flags=allow-oom,foo\nreturn 1", 0)).toEqual({ error: "ERR Unexpected flag in script shebang: foo" });
    expect(run("EVAL", "#!lua", 0)).toEqual({ error: "ERR Invalid script shebang" });
    expect(run("EVAL", "#!lua name=x\nreturn 1", 0)).toEqual({ error: "ERR Unknown lua shebang option: name=x" });
    expect(run("EVAL", "#!py\nreturn 1", 0)).toEqual({ error: "ERR Unexpected engine in script shebang: #!py" });
    expect(run("EVAL", "#!lua flags=allow-key-locking,no-writes\nreturn 1", 0)).toBe(1);
    expect(run("SCRIPT", "FLUSH", "LATER")).toEqual({ error: "ERR SCRIPT FLUSH only support SYNC|ASYNC option" });
    expect(run("SCRIPT", "LOAD")).toEqual({ error: "ERR wrong number of arguments for 'script|load' command" });
    expect(run("SCRIPT", "NOPE")).toEqual({ error: "ERR unknown subcommand 'NOPE'. Try SCRIPT HELP." });
    expect(run("SCRIPT", "KILL")).toEqual({ error: "NOTBUSY No scripts in execution right now." });
    expect(run("FUNCTION", "KILL")).toEqual({ error: "NOTBUSY No scripts in execution right now." });
  });

  it("propagates a script's writes as MULTI … EXEC of their effects, never the EVAL", () => {
    const { run, log } = setup();
    expect(run("EVAL", "return redis.call(KEYS)", 2, "k", "n", "v")).toBe(1);
    expect(log).toEqual([["MULTI"], ["SET", "k", "v"], ["INCR", "n"], ["EXEC"]]);
  });

  it("a script that fails after writing keeps its writes, and they are logged", () => {
    const { run, log, engine } = setup({
      fails: ({ host }) => {
        host.call(["SET", "a", "1"], true);
        return { error: "ERR user_script:1: boom" };
      },
    });
    expect(run("EVAL", "fails", 0)).toEqual({ error: "ERR user_script:1: boom" });
    expect(engine.db.has("a")).toBe(true);
    expect(log).toEqual([["SET", "a", "1"]]);
  });

  it("redis.set_repl(REPL_NONE) keeps later writes out of the log", () => {
    const { run, log } = setup({
      quiet: ({ host }) => {
        host.call(["SET", "a", "1"], true);
        host.setRepl(0);
        host.call(["SET", "b", "2"], true);
        host.setRepl(3);
        return host.call(["SET", "c", "3"], true);
      },
    });
    run("EVAL", "quiet", 0);
    expect(log).toEqual([["MULTI"], ["SET", "a", "1"], ["SET", "c", "3"], ["EXEC"]]);
  });

  it("inside /multi-exec, a script's effects sit in the transaction's one MULTI … EXEC", () => {
    const { engine, log } = setup();
    engine.executeTransaction([["SET", "x", "1"], ["EVAL", "return redis.call(KEYS)", "2", "k", "n", "v"]]);
    expect(log).toEqual([["MULTI"], ["SET", "x", "1"], ["SET", "k", "v"], ["INCR", "n"], ["EXEC"]]);
  });
});

describe("redis.call's checks", () => {
  const calls = (argv: string[]): Body => ({ host }) => host.call(argv, true);

  it("refuses unknown commands, bad arities, scripting and blocking commands with Redis's texts", () => {
    const { run } = setup({ a: calls(["nope"]), b: calls(["GET"]), c: calls(["EVAL", "return 1", "0"]), d: calls(["BLPOP", "l", "0"]), e: calls(["XREAD", "BLOCK", "0", "STREAMS", "s", "0"]) });
    expect(run("EVAL", "a", 0)).toEqual({ error: "ERR Unknown Redis command called from script" });
    expect(run("EVAL", "b", 0)).toEqual({ error: "ERR Wrong number of args calling Redis command from script" });
    expect(run("EVAL", "c", 0)).toEqual({ error: "ERR This Redis command is not allowed from script" });
    expect(run("EVAL", "d", 0)).toEqual({ error: "ERR This Redis command is not allowed from script" });
    expect(run("EVAL", "e", 0)).toEqual({ error: "ERR xread command is not allowed with BLOCK option from scripts" });
  });

  it("refuses writes in EVAL_RO and in no-writes scripts; a write-flagged script cannot run as EVAL_RO", () => {
    const { run } = setup({ w: calls(["SET", "a", "1"]), "#!lua flags=no-writes\nw": calls(["SET", "a", "1"]) });
    expect(run("EVAL_RO", "w", 0)).toEqual({ error: "ERR Write commands are not allowed from read-only scripts." });
    expect(run("EVAL", "#!lua flags=no-writes\nw", 0)).toEqual({ error: "ERR Write commands are not allowed from read-only scripts." });
    expect(run("EVAL_RO", "#!lua\nreturn 1", 0)).toEqual({ error: "ERR Can not execute a script with write flag using *_ro command." });
  });

  it("over maxmemory: a shebang script that may write is refused unless allow-oom; an old-style one gets OOM on its first denyoom command", () => {
    const { run } = setup({ w: calls(["SET", "a", "1"]) }, { maxmemory: "1" });
    run("SET", "filler", "x".repeat(100));
    expect(run("EVAL", "#!lua\nreturn 1", 0)).toEqual({ error: "OOM command not allowed when used memory > 'maxmemory'." });
    expect(run("EVAL", "#!lua flags=no-writes\nreturn 1", 0)).toBe(1);
    expect(run("EVAL", "w", 0)).toEqual({ error: "OOM command not allowed when used memory > 'maxmemory'." });
  });

  it("while persisting fails: a shebang script that may write gets MISCONF, a no-writes one runs, an old-style one gets it at its first write only", () => {
    // Writes, then persisting starts failing, then writes again.
    const writeThenWrite: Body = ({ host }) => {
      host.call(["INCR", "n"], true);
      failing = true;
      return host.call(["INCR", "n"], true);
    };
    const { run, engine } = setup({ w: calls(["SET", "a", "1"]), r: calls(["GET", "a"]), ww: writeThenWrite, "#!lua flags=no-writes\nr": calls(["GET", "a"]) });
    let failing = true;
    engine.server.host = {
      save: () => "started",
      bgsave: () => "started",
      bgrewriteaof: () => "started",
      lastsave: () => 0,
      aofEnabled: () => true,
      syncAof: () => 1,
      writesDenied: () => (failing ? { kind: "aof", reason: "disk full" } : null),
    };
    const MISCONF = { error: "MISCONF Errors writing to the AOF file: disk full" };
    expect(run("EVAL", "#!lua\nreturn 1", 0)).toEqual(MISCONF);
    expect(run("EVAL", "#!lua flags=no-writes\nr", 0)).toBe(null);
    expect(run("EVAL", "r", 0)).toBe(null);
    expect(run("EVAL", "w", 0)).toEqual(MISCONF);
    // Refused only before the script's first write: once it has written, it goes on (Redis's SCRIPT_WRITE_DIRTY).
    failing = false;
    expect(run("EVAL", "ww", 0)).toBe(2);
    expect(run("EVAL", "ww", 0)).toEqual(MISCONF);
  });

  it("the read-only token may run EVAL_RO but not EVAL", () => {
    const { engine } = setup();
    expect(engine.execute(["EVAL", "return 1", "0"], { access: "readonly" })).toEqual({ error: "NOPERM this user has no permissions to run the 'eval' command" });
    expect(engine.execute(["EVAL_RO", "return 1", "0"], { access: "readonly" })).toBe(1);
  });
});

describe("functions", () => {
  const LIB = "#!lua name=mylib\nfn:f1\nfn:f2 no-writes";

  it("FUNCTION LOAD registers a library's functions; FCALL runs them; LIST, STATS, DELETE, FLUSH", () => {
    const { run, log } = setup();
    expect(run("FUNCTION", "LOAD", LIB)).toBe("mylib");
    expect(run("FUNCTION", "LOAD", LIB)).toEqual({ error: "ERR Library 'mylib' already exists" });
    expect(run("FUNCTION", "LOAD", "REPLACE", LIB)).toBe("mylib");
    expect(run("FCALL", "f1", 0)).toBe("f1");
    expect(run("FCALL_RO", "f1", 0)).toEqual({ error: "ERR Can not execute a script with write flag using *_ro command." });
    expect(run("FCALL_RO", "f2", 0)).toBe("f2");
    expect(run("FCALL", "nope", 0)).toEqual({ error: "ERR Function not found" });
    expect(run("FCALL", "f1", "x")).toEqual({ error: "ERR Bad number of keys provided" });
    expect(run("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "MY*")).toEqual([
      [
        "library_name", "mylib", "engine", "LUA",
        "functions", [["name", "f1", "description", null, "flags", []], ["name", "f2", "description", null, "flags", [{ status: "no-writes" }]]],
        "library_code", LIB,
      ],
    ]);
    expect(run("FUNCTION", "STATS")).toEqual(["running_script", null, "engines", ["LUA", ["libraries_count", 1, "functions_count", 2]]]);
    expect(run("FUNCTION", "DELETE", "nope")).toEqual({ error: "ERR Library not found" });
    expect(run("FUNCTION", "DELETE", "mylib")).toEqual({ status: "OK" });
    expect(run("FUNCTION", "LOAD", LIB)).toBe("mylib");
    expect(run("FUNCTION", "FLUSH")).toEqual({ status: "OK" });
    expect(run("FUNCTION", "LIST")).toEqual([]);
    expect(log).toEqual([
      ["FUNCTION", "LOAD", LIB],
      ["FUNCTION", "LOAD", "REPLACE", LIB],
      ["FUNCTION", "DELETE", "mylib"],
      ["FUNCTION", "LOAD", LIB],
      ["FUNCTION", "FLUSH"],
    ]);
  });

  it("FUNCTION LOAD's errors: metadata, names, flags, no functions, a function another library has", () => {
    const { run } = setup();
    expect(run("FUNCTION", "LOAD", "fn:f")).toEqual({ error: "ERR Missing library metadata" });
    expect(run("FUNCTION", "LOAD", "#!lua\nfn:f")).toEqual({ error: "ERR Library name was not given" });
    expect(run("FUNCTION", "LOAD", "#!lua name=a-b\nfn:f")).toEqual({
      error: "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long",
    });
    expect(run("FUNCTION", "LOAD", "#!js name=a\nfn:f")).toEqual({ error: "ERR Engine 'js' not found" });
    expect(run("FUNCTION", "LOAD", "#!lua name=a foo=1\nfn:f")).toEqual({ error: "ERR Invalid metadata value given: foo=1" });
    expect(run("FUNCTION", "LOAD", "#!lua name=a\nnothing")).toEqual({ error: "ERR No functions registered" });
    expect(run("FUNCTION", "LOAD", "#!lua name=a\nfn:f bogus")).toEqual({ error: "ERR Error registering functions: unknown flag given" });
    expect(run("FUNCTION", "LOAD", "#!lua name=a\nfn:f")).toBe("a");
    expect(run("FUNCTION", "LOAD", "#!lua name=b\nfn:f")).toEqual({ error: "ERR Function f already exists" });
    expect(run("FUNCTION", "LOAD", "FAST", "#!lua name=b\nfn:f")).toEqual({ error: "ERR Unknown option given: FAST" });
    expect(run("FUNCTION", "FLUSH", "NOW")).toEqual({ error: "ERR FUNCTION FLUSH only supports SYNC|ASYNC option" });
  });

  it("INFO memory reports the cache and the libraries as Redis 7.0 does", () => {
    const { run } = setup();
    run("EVAL", "return 1", 0);
    run("FUNCTION", "LOAD", LIB);
    const info = run("INFO", "memory") as string;
    expect(info).toContain("number_of_cached_scripts:1\r\n");
    expect(info).toContain("number_of_functions:2\r\nnumber_of_libraries:1\r\n");
    expect(info).toContain("used_memory_lua:1024\r\n");
  });
});
