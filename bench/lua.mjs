// The Lua VM: EVALSHA of one 5-call script (GET, SET, INCR, EXPIRE, GET) with KEYS/ARGV through an
// Engine's dispatcher (what a shard runs), and the same compiled script run on the VM directly with its
// redis.call going to a real Engine in process. Beside them, the same five commands run straight on an
// Engine (the floor: what the script adds is the VM), and redis-server's EVALSHA of the same script
// measured by redis-benchmark on this machine (over loopback, 50 clients: a different shape, printed
// for scale, with ours ÷ it).
import { execFileSync } from "node:child_process";
import { Engine, createLuaVm, findBinary, sha1hex, startRedis } from "./.build/lib.mjs";

const SCRIPT = `local v = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 60)
return {v, n, redis.call('GET', KEYS[2])}`;

const fmt = (n) => Math.round(n).toLocaleString("en-US");

function rate(n, fn) {
  fn(); // warm
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return n / ((performance.now() - t0) / 1000);
}

export async function luaBench(report) {
  const engine = new Engine();
  const host = {
    call: (argv) => engine.execute(argv),
    setRepl() {},
    setResp() {},
    log() {},
  };
  const vm = createLuaVm();
  const fn = vm.compile(SCRIPT, "user_script");
  if ("error" in fn) throw new Error(fn.error);
  const keys = ["bench:a", "bench:b"];
  const args = ["value-0123456789"];
  const N = 20_000;
  const script = rate(N, () => vm.run(fn, { keys, args, host, onHook: () => null }));
  const direct = rate(N, () => {
    engine.execute(["GET", keys[0]]);
    engine.execute(["SET", keys[0], args[0]]);
    engine.execute(["INCR", keys[1]]);
    engine.execute(["EXPIRE", keys[1], "60"]);
    engine.execute(["GET", keys[1]]);
  });
  // EVALSHA as a shard runs it: the dispatcher, the script cache, the run's checks, the VM.
  const scripted = new Engine({ createLuaVm });
  const sha = scripted.execute(["SCRIPT", "LOAD", SCRIPT]);
  const evalshaArgv = ["EVALSHA", sha, "2", ...keys, ...args];
  const evalsha = rate(N, () => scripted.execute(evalshaArgv));
  const constHost = { call: () => "x", setRepl() {}, setResp() {}, log() {} };
  const vmOnly = rate(N, () => vm.run(fn, { keys, args, host: constHost }));

  let redis = "—";
  let ratio = "—";
  let evalshaRatio = "—";
  const bin = findBinary("redis-server");
  const benchBin = findBinary("redis-benchmark");
  if (bin && benchBin) {
    const r = await startRedis(bin, ["--appendonly", "no"]);
    try {
      await r.client.call("SCRIPT", "LOAD", SCRIPT);
      const out = execFileSync(benchBin, ["-p", String(r.port), "-n", "100000", "-q", "EVALSHA", sha1hex(SCRIPT), "2", ...keys, ...args], {
        encoding: "utf8",
      });
      const m = /([\d.]+) requests per second/.exec(out);
      if (m) {
        redis = fmt(Number(m[1]));
        ratio = (script / Number(m[1])).toFixed(2);
        evalshaRatio = (evalsha / Number(m[1])).toFixed(2);
      }
    } finally {
      await r.stop();
    }
  }
  report.table(
    "Lua: a 5-call script (GET, SET, INCR, EXPIRE, GET) run in the VM (runs/s)",
    ["what", "runs/s", "÷ the 5 commands straight", "÷ redis-server's EVALSHA"],
    [
      ["EVALSHA through an Engine (dispatcher, script cache, VM)", fmt(evalsha), (evalsha / direct).toFixed(2), evalshaRatio],
      ["script in the VM, redis.call → Engine", fmt(script), (script / direct).toFixed(2), ratio],
      ["script in the VM, redis.call → a constant (the VM alone)", fmt(vmOnly), (vmOnly / direct).toFixed(2), ""],
      ["the 5 commands straight on an Engine (floor)", fmt(direct), "1.00", ""],
      ["redis-server 7.0 EVALSHA (redis-benchmark, 50 clients)", redis, "", "1.00"],
    ],
    "fengari interprets Lua in JavaScript; the script's cost beyond its five commands is the VM's (compile once, as EVALSHA).",
  );
}
