// Differential test of scripting against a real redis-server 7.0: a seeded generator writes Lua scripts
// (conversions both ways, errors and their texts, cjson/cmsgpack/bit/struct, the sandbox, shebang flags,
// EVAL_RO/EVALSHA/EVALSHA_RO, FUNCTION LOAD/DELETE/LIST and FCALL/FCALL_RO with their flags), each runs
// on our Engine (with the Lua VM) and on Redis, and every reply is compared. At the end both datasets
// (keys, types, values, expiries) and both function libraries are compared, and the log our engine
// propagated (which must hold no script) is replayed into a fresh engine that must hold the same keys.
// Used by scripts/differential/scripting.test.ts (short seeded runs) and scripts/differential-scripting-cli.mjs.

import { compareBytes } from "../../durable-objects/engine/bytes.js";
import { Engine } from "../../durable-objects/engine/engine.js";
import { sha1hex as sha1Of } from "../../durable-objects/engine/lua/sha1.js";
import { createLuaVm } from "../../durable-objects/engine/lua/vm.js";
import { type Reply, isErrorReply } from "../../durable-objects/engine/reply.js";
import { seededRandom } from "../../durable-objects/engine/testing.js";
import { type KeyDump, dumpKeyspace, dumpRedis } from "../../durable-objects/persistence/testing/redis.js";
import type { RespClient } from "../../durable-objects/persistence/testing/resp-client.js";
import { Draws } from "./gen.js";
import { normalize, showJson } from "./replies.js";

export interface ScriptDiffOptions {
  seed: number;
  /** Scripts (commands) to generate. */
  count: number;
}

export interface ScriptMismatch {
  index: number;
  command: string[];
  ours: string;
  redis: string;
}

export interface ScriptDiffResult {
  commands: number;
  mismatches: ScriptMismatch[];
  /** Scripts by kind, for coverage. */
  byKind: Map<string, number>;
  errors: number;
  /** Keys in Redis's dataset at the end (the comparison had something to compare). */
  keys: number;
}

/** Every key a script touches (one of these); all in one slot would not matter here: one server. */
const KEYS = ["k1", "k2", "k3", "l1", "h1", "s1", "z1", "n1"];
const VALUES = ["v", "", "0", "1", "-7", "42", "3.5", "1e3", "9223372036854775807", "hello world", "\x00\xff\x80bin", "é", "x".repeat(40), " 12 ", "0x10", "nan"];
/** Far in the future and fixed, so expiries compare exactly. */
const EXPIRE_AT = "4102444800000";

/** A Lua string literal for any bytes (decimal escapes, as Lua 5.1 reads them). */
export function luaString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += s[i];
    else out += `\\${c}`;
  }
  return `${out}"`;
}

/**
 * A Lua function that prints any value as text in one fixed way (type-tagged, arrays in order, the
 * reply fields ok/err), so what a script received from redis.call can be returned and compared.
 * Tables with string keys are not walked with pairs: 5.1's hash order is not fengari's (README).
 */
const SER = `local function ser(v)
  local t = type(v)
  if t == 'table' then
    if v.ok ~= nil then return 'ok:' .. tostring(v.ok) end
    if v.err ~= nil then return 'err:' .. tostring(v.err) end
    local out = {}
    for i = 1, #v do out[#out + 1] = ser(v[i]) end
    return '[' .. table.concat(out, ',') .. ']'
  end
  return t .. ':' .. tostring(v)
end
`;

// ---- the generator ----

export class ScriptGen extends Draws {
  /** Libraries loaded so far (name → its functions and whether each has no-writes), as Redis would have them. */
  readonly libraries = new Map<string, Map<string, boolean>>();
  private libCounter = 0;
  /** Bodies given to SCRIPT LOAD or EVAL, for EVALSHA. */
  private readonly bodies: string[] = [];

  constructor(seed: number) {
    super(seededRandom(seed));
  }
  private key(): string {
    return this.pick(KEYS);
  }
  private value(): string {
    return this.pick(VALUES);
  }

  /** A Lua number literal: whole, fractional, negative, large, tiny. */
  private number(): string {
    const r = this.below(10);
    if (r < 3) return String(this.below(2000) - 1000);
    if (r < 5) return (this.rnd() * 200 - 100).toFixed(this.below(4) + 1);
    if (r < 6) return this.pick(["2^31", "2^32", "2^53", "-2^53", "2^31 - 1", "1e15", "-1e15", "123456789012"]);
    if (r < 7) return this.pick(["0.1", "1/3", "-0.5", "0.5", "1.5", "-1.5", "2.5", "1e-5", "3.99999"]);
    // No -0: 5.1 shares one constant for 0 and -0 in a function (README), which ours does not.
    if (r < 8) return this.pick(["0", "1", "-1"]);
    if (r < 9) return `${this.below(100)} / ${1 + this.below(7)}`;
    return `${this.below(50)} % ${1 + this.below(9)}`;
  }

  /** A Lua value expression that converts to a reply in some way Redis defines. */
  private returnable(depth = 0): string {
    const r = this.below(depth > 1 ? 8 : 13);
    if (r < 3) return this.number();
    if (r < 5) return luaString(this.value());
    if (r < 6) return this.pick(["true", "false", "nil"]);
    if (r < 7) return `{ok=${luaString(this.pick(["OK", "PONG", "fine", "", "a b"]))}}`;
    if (r < 8) return `{err=${luaString(this.pick(["ERR bad thing", "MYERR custom", "oops", "", "-X lead dash", "WRONGTYPE x"]))}}`;
    if (r < 9) return `redis.${this.pick(["status_reply", "error_reply"])}(${luaString(this.pick(["OK", "ERR x", "custom", ""]))})`;
    if (r < 10) return this.pick(["ARGV[1]", "KEYS[1]", "#ARGV", "#KEYS", "ARGV[2]", "ARGV[9]"]);
    const n = this.below(5);
    const items = Array.from({ length: n }, () => this.returnable(depth + 1));
    if (this.chance(0.1)) items.splice(this.below(n + 1), 0, "nil");
    return `{${items.join(", ")}}`;
  }

  /** A redis.call that writes, with arguments that are strings or numbers. */
  private writeCall(): string {
    const k = luaString(this.key());
    const v = this.chance(0.7) ? luaString(this.value()) : this.number();
    const r = this.below(14);
    if (r < 2) return `redis.call('SET', ${k}, ${v})`;
    if (r < 3) return `redis.call('INCRBY', ${k}, ${this.number()})`;
    if (r < 4) return `redis.call('RPUSH', ${k}, ${v}, ${luaString(this.value())})`;
    if (r < 5) return `redis.call('HSET', ${k}, ${luaString(this.pick(["f", "g", "h"]))}, ${v})`;
    if (r < 6) return `redis.call('SADD', ${k}, ${v})`;
    if (r < 7) return `redis.call('ZADD', ${k}, ${this.number()}, ${v})`;
    if (r < 8) return `redis.call('DEL', ${k})`;
    if (r < 9) return `redis.call('APPEND', ${k}, ${v})`;
    if (r < 10) return `redis.call('PEXPIREAT', ${k}, ${EXPIRE_AT})`;
    if (r < 11) return `redis.call('LPOP', ${k})`;
    if (r < 12) return `redis.call('HINCRBYFLOAT', ${k}, 'f', ${this.number()})`;
    if (r < 13) return `redis.call('SETRANGE', ${k}, ${this.below(6)}, ${v})`;
    return `redis.call('INCRBYFLOAT', ${k}, ${this.number()})`;
  }

  /** A redis.call whose reply exercises Redis → Lua conversion (nil bulk, integers, statuses, arrays with nils). */
  private readCall(): string {
    const k = luaString(this.key());
    const r = this.below(16);
    if (r < 2) return `redis.call('GET', ${k})`;
    if (r < 3) return `redis.call('MGET', ${k}, ${luaString(this.key())}, 'missing')`;
    if (r < 4) return `redis.call('LRANGE', ${k}, 0, -1)`;
    if (r < 5) return `redis.call('HGETALL', ${k})`;
    if (r < 6) return `redis.call('ZRANGE', ${k}, 0, -1, 'WITHSCORES')`;
    if (r < 7) return `redis.call('EXISTS', ${k}, ${luaString(this.key())})`;
    if (r < 8) return `redis.call('TYPE', ${k})`;
    if (r < 9) return `redis.call('PING')`;
    if (r < 10) return `redis.call('ECHO', ${luaString(this.value())})`;
    if (r < 11) return `redis.call('TTL', ${k})`;
    if (r < 12) return `redis.call('SCARD', ${k})`;
    if (r < 13) return `redis.call('ZSCORE', ${k}, ${luaString(this.value())})`;
    if (r < 14) return `redis.call('STRLEN', ${k})`;
    if (r < 15) return `redis.call('HMGET', ${k}, 'f', 'nope', 'g')`;
    return `redis.call('SISMEMBER', ${k}, ${luaString(this.value())})`;
  }

  /** A redis.pcall that may fail in one of Redis's ways. */
  private failingCall(): string {
    const k = luaString(this.key());
    return this.pick([
      `redis.pcall('INCR', ${k})`,
      `redis.pcall('LPUSH', ${k}, 'x')`,
      `redis.pcall('HGET', ${k})`,
      `redis.pcall('NOSUCHCMD', ${k})`,
      `redis.pcall()`,
      `redis.pcall('SET', ${k})`,
      `redis.pcall('SET', ${k}, 'v', 'EX', 0)`,
      `redis.pcall('EVAL', 'return 1', 0)`,
      `redis.pcall('SCRIPT', 'FLUSH')`,
      `redis.pcall('FCALL', 'f', 0)`,
      `redis.pcall('SET', ${k}, true)`,
      `redis.pcall('SET', ${k}, {})`,
      `redis.pcall('SET', ${k}, nil)`,
      `redis.pcall('ZADD', ${k}, 'notanumber', 'm')`,
      `redis.pcall('INCRBYFLOAT', ${k}, 'abc')`,
      `redis.pcall('SUBSCRIBE', 'ch')`,
      `redis.pcall('MULTI')`,
      `redis.pcall('WATCH', ${k})`,
    ]);
  }

  private conversionScript(): string {
    const r = this.below(4);
    if (r === 0) return `return ${this.returnable()}`;
    if (r === 1) return `${SER}return ser(${this.readCall()})`;
    if (r === 2) return `${SER}local r = ${this.failingCall()}\nreturn {ser(r), type(r)}`;
    // Writes, then what a read sees.
    const writes = Array.from({ length: 1 + this.below(3) }, () => this.writeCall());
    return `${writes.join("\n")}\nreturn ${this.chance(0.5) ? `{${this.readCall()}}` : this.readCall()}`;
  }

  private errorScript(): string {
    return this.pick([
      `return ${this.writeCall()} .. ${this.failingCall().replace("pcall", "call")}`,
      this.failingCall().replace("pcall", "call"),
      `error(${luaString(this.pick(["plain message", "ERR with code", "", "MYCODE x"]))})`,
      `error({err=${luaString(this.pick(["ERR table error", "CUSTOM t", "x"]))}})`,
      `error(${this.number()})`,
      `error()`,
      `error(nil)`,
      `local t = nil\nreturn t.x`,
      `return nil + 1`,
      `return #nil`,
      `return ('a') < 1`,
      `return undefined_function()`,
      `local x = {} x()`,
      `return 'x' .. {}`,
      `return {} .. 'x'`,
      `${this.writeCall()}\nerror('after a write')`,
      `return redis.call('GET', ${luaString(this.key())}, 'extra')`,
      `return redis.error_reply(${luaString(this.pick(["ERR a", "b", "-C c"]))})`,
      `return assert(false, ${luaString("assertion text")})`,
      `return assert(nil)`,
      `return assert(1 == 1, 'unused')`,
      `local ok, e = pcall(error, 'caught') return e`,
      `local ok, e = pcall(function() return redis.call('INCR', ${luaString(this.key())}) end) return {tostring(ok), type(e), ok and e or e.err}`,
      `return string.rep('x', -1)`,
      `return ('abc'):bad()`,
      `return tostring(nil) .. tostring(true) .. tostring(12) .. tostring(-0.5)`,
      `return unpack({1, 2, 3})`,
      `return select('#', unpack({1, nil, 3}))`,
      `return loadstring('return 1 +')`,
      `local f = loadstring('return ARGV[1]') return f()`,
    ]);
  }

  private compileErrorScript(): string {
    return this.pick([
      "return 1 +",
      "return (",
      "local = 3",
      "if true then return 1",
      "return 'unclosed",
      "x = = 1",
      "for i = 1 do end",
      "return }",
      "function f( return 1 end",
      "return 1 end",
      "local t = {1, 2,, 3}",
      "return 1\nreturn 2",
    ]);
  }

  private libScript(): string {
    const r = this.below(20);
    const n = () => this.number();
    const s = () => luaString(this.value());
    if (r < 4) {
      // cjson: encode of arrays and scalars, decode of texts, round trips.
      const json = this.pick([
        "[1,2,3]",
        '{"a":1}',
        '["x",null,true,false,1.5,-0,1e20]',
        '"str\\u00e9\\n\\t\\"q\\""',
        "12345678901234567890",
        "[[[]]]",
        '{"nested":{"k":[1,{"z":null}]}}',
        "[1,2",
        "nul",
        '{"a":}',
        "0.1",
        "-1e-7",
        "[]",
        "{}",
      ]);
      return this.pick([
        `return cjson.encode({${[n(), s(), this.pick(["true", "false"]), n()].slice(0, 1 + this.below(4)).join(", ")}})`,
        `return cjson.encode(${n()})`,
        `return cjson.encode(${s()})`,
        `${SER}return ser(cjson.decode(${luaString(json)}))`,
        `return cjson.encode(cjson.decode(${luaString(json)}))`,
        `return cjson.encode({[1]=1, [5]=5})`,
        `return cjson.encode({[1]=1, [20]=5})`,
        `return cjson.encode(cjson.null)`,
        `return type(cjson.decode('null'))`,
        `return cjson.encode({a={b={c={}}}})`,
        `return cjson.encode(function() end)`,
        `return cjson.encode({1/0})`,
        `return cjson.decode(${luaString(json)}) == nil`,
      ]);
    }
    if (r < 8) {
      // cmsgpack: packed bytes returned as they are, and round trips.
      const v = this.pick([n(), s(), "true", "false", `{${n()}, ${s()}}`, "{}", `{{1, {2}}, 'x'}`, `{a=${n()}}`, "2^40", "-2^40", "-33", "300", "70000", "0.25", "1/3"]);
      return this.pick([
        `return cmsgpack.pack(${v})`,
        `${SER}return ser(cmsgpack.unpack(cmsgpack.pack(${v})))`,
        `${SER}return {ser(cmsgpack.unpack(cmsgpack.pack(${v}, ${n()}, ${s()})))}`,
        `return cmsgpack.pack(${v}, ${v})`,
        `${SER}return ser(cmsgpack.unpack(${luaString(this.pick(["\x93\x01\x02\x03", "\xc0", "\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00", "\xa3abc", "\x81\xa1k\x05", "\xd1\xff\x00", "\xcf\x00\x00\x00\x01\x00\x00\x00\x00"]))}))`,
        `return select('#', cmsgpack.unpack(cmsgpack.pack(1, 2, 3)))`,
      ]);
    }
    if (r < 12) {
      const a = this.pick(["0", "1", "-1", "7", "255", "0x7fffffff", "0x80000000", "0xffffffff", "2^32 + 5", "-2^31", "12345678", "3.7", "-3.7", "2^52"]);
      const b = this.pick(["0", "1", "3", "4", "31", "32", "-1", "8", "0xff00ff00"]);
      const op = this.pick(["band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror"]);
      return this.pick([
        `return bit.${op}(${a}, ${b})`,
        `return bit.tobit(${a})`,
        `return bit.bnot(${a})`,
        `return bit.bswap(${a})`,
        `return bit.tohex(${a})`,
        `return bit.tohex(${a}, ${this.pick(["2", "-4", "8", "0", "20"])})`,
        `return {bit.${op}(${a}, ${b}), bit.band(${a}, ${b}, ${a})}`,
      ]);
    }
    if (r < 16) {
      const fmt = this.pick([">I4", "<i2", "b", "B", ">h", "<H", ">l", "<L", "i8", ">i3", "<d", ">f", "s", "c5", "<I2>I2", "!4 i1 i4", "bxB", "i0", "c0", "Q"]);
      const vals = this.pick(["1", "-1", "255", "65535", "0x12345678", "3.5", "'hello'", "-129", "2^31"]);
      return this.pick([
        `return struct.pack(${luaString(fmt)}, ${vals}, ${vals})`,
        `${SER}return {ser(struct.unpack(${luaString(fmt)}, struct.pack(${luaString(fmt)}, ${vals}, ${vals})))}`,
        `return struct.size(${luaString(fmt)})`,
        `return {struct.unpack('>I2', ${luaString("\x01\x02\x03")})}`,
        `return {struct.unpack('<i4', ${luaString("\xff\xff\xff\xff")}, 1)}`,
        `return {struct.unpack('>I4', ${luaString("\x01\x02")})}`,
      ]);
    }
    // The Lua 5.1 library as Redis has it.
    return this.pick([
      `return string.format(${luaString(this.pick(["%d", "%5.2f", "%s|%s", "%x", "%q", "%g", "%05d", "%-5s|", "%c", "%e", "%i", "%%"]))}, ${n()}, ${s()})`,
      `return string.format('%s', ${n()})`,
      `return tostring(${n()})`,
      `return ${n()} .. ''`,
      `return tonumber(${luaString(this.pick(["0x10", " 5 ", "1e2", "abc", "5.", ".5", "", "1e", "  0x1p4", "inf", "- 1", "10"]))})`,
      `return tonumber(${luaString(this.pick(["ff", "z", "777", "10"]))}, ${this.pick(["16", "36", "8", "2"])})`,
      `return {string.byte(${s()}, 1, -1)}`,
      `return string.sub(${s()}, ${this.below(7) - 3}, ${this.below(7) - 3})`,
      `return {string.find(${s()}, ${luaString(this.pick(["l", "o w", "%d+", "^h", "x*", "[%a]+"]))})}`,
      `return (string.gsub(${s()}, ${luaString(this.pick(["%s", "o", "(%w+)", "."]))}, ${luaString(this.pick(["_", "%1%1", "", "<%0>"]))}))`,
      `return string.upper(${s()}) .. string.lower(${s()}) .. string.reverse(${s()})`,
      `return string.rep(${s()}, ${this.below(4)})`,
      `return table.concat({${n()}, ${s()}, ${n()}}, ${luaString(this.pick([",", "", " - "]))})`,
      `local t = {${n()}, ${n()}, ${n()}, ${n()}} table.sort(t) return t`,
      `local t = {${s()}, ${s()}, ${s()}} table.sort(t) return t`,
      `local t = {} table.insert(t, ${n()}) table.insert(t, 1, ${s()}) table.remove(t) return t`,
      `return {math.floor(${n()}), math.ceil(${n()}), math.abs(${n()})}`,
      `return {math.fmod(${n()}, 3), math.max(${n()}, ${n()}), math.min(${n()}, ${n()})}`,
      `return tostring(math.huge) .. tostring(-math.huge) .. tostring(math.pi)`,
      `return {math.sqrt(16), math.pow(2, 10), math.log10(1000), math.exp(0)}`,
      `local s = 0 for i = 1, ${this.below(200)} do s = s + i end return s`,
      `local s = '' for i = ${this.below(5)}, 1, -1 do s = s .. i end return s`,
      `return table.getn({1, 2, 3})`,
      `return math.mod(${n()}, 4)`,
      `return ('10' + 1) .. ('3' * '4')`,
      `return 10 / 4`,
      `return tostring(10 / 2)`,
      `return select(2, 'a', 'b', 'c')`,
      `return type(${this.pick(["string", "table", "print", "coroutine", "debug", "os", "io", "loadstring", "newproxy", "gcinfo", "module", "getfenv"])})`,
      `return redis.sha1hex(${s()})`,
      `return redis.REDIS_VERSION`,
      `return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}`,
      `return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}`,
      `redis.log(redis.LOG_DEBUG, 'hello') return 1`,
      `return #KEYS + #ARGV`,
      `return {tostring(math.random()), math.random(${1 + this.below(100)}), math.random(${this.below(5)}, ${5 + this.below(5)})}`,
      `math.randomseed(${this.below(100)}) return {tostring(math.random()), math.random(1000)}`,
      `return math.random(0)`,
      `return math.random(3, 1)`,
      `redis.setresp(${this.pick(["2", "3"])}) return redis.call('PING')`,
      `return redis.setresp(${this.pick(["1", "4", "'x'", ""])})`,
      `return redis.set_repl(${this.pick(["redis.REPL_ALL", "redis.REPL_NONE", "99", ""])})`,
    ]);
  }

  private sandboxScript(): string {
    const g = `g_${this.below(5)}`;
    return this.pick([
      `${g} = 1 return ${g}`,
      `return ${g}`,
      `return os.time()`,
      `return io.write('x')`,
      `return require('os')`,
      `return dofile('/etc/passwd')`,
      `return loadfile('/etc/passwd')`,
      `redis.call = nil return 1`,
      `redis.x = 1 return 1`,
      `cjson.encode = nil return 1`,
      `string.len = nil return 1`,
      `bit.band = nil return 1`,
      `math.huge = 1 return 1`,
      `rawset(_G, '${g}', 1) return 1`,
      `setmetatable(_G, nil) return 1`,
      `return getmetatable(_G) == nil`,
      `_G.${g} = 5 return 1`,
      `local t = {} setmetatable(t, {__index = function() return 7 end}) return t.anything`,
      `return rawget(_G, '${g}')`,
      `return type(_G)`,
      `KEYS = {} return 1`,
      `ARGV[1] = 'x' return ARGV[1]`,
      `return pcall(function() ${g} = 1 end)`,
      `local ok, e = pcall(function() return os end) return {tostring(ok), e}`,
      `function ${g}() return 1 end return 1`,
      `local function f() return 1 end return f()`,
      `return debug.getinfo(1).currentline`,
      `return type(debug.sethook)`,
      `print('x') return 1`,
      `return collectgarbage('step') ~= nil`,
    ]);
  }

  /** EVAL with a shebang: flags as Redis reads them, and what they allow. */
  private shebangScript(): { flags: string; body: string } {
    const flags = this.pick([
      "#!lua",
      "#!lua flags=no-writes",
      "#!lua flags=allow-oom",
      "#!lua flags=no-writes,allow-stale",
      "#!lua flags=allow-cross-slot-keys",
      "#!lua flags=no-cluster",
      "#!lua flags=bad-flag",
      "#!lua flags=",
      "#!lua name=x",
      "#!luax",
      "#!lua  flags=no-writes",
      '#!lua flags="no-writes"',
    ]);
    const body = this.chance(0.5) ? `return ${this.readCall()}` : `return ${this.writeCall()}`;
    return { flags, body: `${flags}\n${body}` };
  }

  private functionLibrary(): { name: string; code: string; fns: Map<string, boolean> } {
    const name = `lib${this.libCounter++ % 6}`;
    const fns = new Map<string, boolean>();
    const parts: string[] = [`#!lua name=${name}`];
    for (let i = 0, n = 1 + this.below(3); i < n; i++) {
      const fname = `${name}_f${i}`;
      const noWrites = this.chance(0.4);
      fns.set(fname, noWrites);
      const body = noWrites
        ? this.pick([`return redis.call('GET', keys[1])`, `return {keys[1], args[1]}`, `return #args`, `return redis.call('SET', keys[1], 'w')`, `return tostring(math.random())`])
        : this.pick([
            `return redis.call('INCRBY', keys[1], 2)`,
            `redis.call('RPUSH', keys[1], args[1] or 'none') return redis.call('LLEN', keys[1])`,
            `return args[1]`,
            `return redis.call('SET', keys[1], args[1] or 'x')`,
            `error('function failed')`,
            `redis.call('SET', keys[1], 'before') return redis.call('NOSUCH')`,
            `return {err='FNERR from a function'}`,
            `return redis.pcall('HSET', keys[1], 'f', 'v')`,
            `undeclared = 1 return 1`,
          ]);
      const cb = `function(keys, args) ${body} end`;
      if (noWrites || this.chance(0.3)) {
        const flags = noWrites ? "{'no-writes'}" : this.pick(["{}", "{'allow-oom'}", "{'allow-stale', 'no-cluster'}", "{'allow-cross-slot-keys'}"]);
        parts.push(`redis.register_function{function_name='${fname}', callback=${cb}, flags=${flags}${this.chance(0.3) ? ", description='d'" : ""}}`);
      } else parts.push(`redis.register_function('${fname}', ${cb})`);
    }
    return { name, code: parts.join("\n"), fns };
  }

  private badLibrary(): string {
    return this.pick([
      "#!lua name=bad\nredis.register_function('f', 'notafunction')",
      "#!lua name=bad\nredis.register_function{function_name='f', callback=function() end, flags={'no-such-flag'}}",
      "#!lua name=bad\nredis.register_function{function_name='f', callback=function() end, extra=1}",
      "#!lua name=bad\nreturn 1",
      "#!lua name=bad\nredis.call('SET', 'x', 1)",
      "#!lua name=bad\nredis.register_function('1bad name', function() end)",
      "#!lua name=bad\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
      "#!lua name=bad!\nredis.register_function('f', function() end)",
      "#!lua\nredis.register_function('f', function() end)",
      "#!js name=bad\nx",
      "no shebang",
      "#!lua name=bad\nreturn 1 +",
      "#!lua name=bad foo=bar\nredis.register_function('f', function() end)",
    ]);
  }

  /** The next command: a kind name (for coverage) and the argv. */
  next(): { kind: string; argv: string[] } {
    const keys = Array.from({ length: this.below(3) }, () => this.key());
    const args = Array.from({ length: this.below(3) }, () => this.value());
    const evalOf = (body: string, cmd = "EVAL") => [cmd, body, String(keys.length), ...keys, ...args];
    const r = this.below(100);
    if (r < 25) return { kind: "conversion", argv: evalOf(this.conversionScript()) };
    if (r < 38) return { kind: "error", argv: evalOf(this.errorScript()) };
    if (r < 41) return { kind: "compile", argv: evalOf(this.compileErrorScript()) };
    if (r < 58) return { kind: "library", argv: evalOf(this.libScript()) };
    if (r < 65) return { kind: "sandbox", argv: evalOf(this.sandboxScript()) };
    if (r < 70) return { kind: "shebang", argv: evalOf(this.shebangScript().body) };
    if (r < 76) {
      const body = this.chance(0.5) ? `return ${this.readCall()}` : `${this.writeCall()} return 1`;
      return { kind: "eval_ro", argv: evalOf(this.chance(0.3) ? `#!lua flags=no-writes\n${body}` : body, "EVAL_RO") };
    }
    if (r < 81) {
      const sub = this.below(6);
      if (sub < 2 || this.bodies.length === 0) {
        const body = this.chance(0.8) ? `return ${this.chance(0.5) ? this.readCall() : this.writeCall()}` : this.compileErrorScript();
        this.bodies.push(body);
        return { kind: "script", argv: ["SCRIPT", "LOAD", body] };
      }
      const body = this.pick(this.bodies);
      if (sub < 4) return { kind: "evalsha", argv: evalOf(sha1Of(body), this.chance(0.7) ? "EVALSHA" : "EVALSHA_RO") };
      if (sub < 5) return { kind: "evalsha", argv: ["EVALSHA", this.pick(["ffffffffffffffffffffffffffffffffffffffff", "abc", sha1Of(body).toUpperCase()]), "0"] };
      return { kind: "script", argv: ["SCRIPT", "EXISTS", sha1Of(body), "ffffffffffffffffffffffffffffffffffffffff", sha1Of(body).toUpperCase()] };
    }
    if (r < 87) {
      if (this.chance(0.2)) return { kind: "function-load", argv: ["FUNCTION", "LOAD", this.badLibrary()] };
      const lib = this.functionLibrary();
      const replace = this.chance(0.6);
      if (replace || !this.libraries.has(lib.name)) this.libraries.set(lib.name, lib.fns);
      return { kind: "function-load", argv: ["FUNCTION", "LOAD", ...(replace ? ["REPLACE"] : []), lib.code] };
    }
    if (r < 96) {
      const fns = [...this.libraries.values()].flatMap((m) => [...m.keys()]);
      const fname = fns.length > 0 && this.chance(0.9) ? this.pick(fns) : "nosuchfunction";
      const cmd = this.chance(0.6) ? "FCALL" : "FCALL_RO";
      const n = this.chance(0.9) ? String(Math.max(1, keys.length)) : this.pick(["-1", "x", "9"]);
      const fkeys = keys.length > 0 ? keys : [this.key()];
      return { kind: "fcall", argv: [cmd, fname, n, ...fkeys, ...args] };
    }
    const names = [...this.libraries.keys()];
    const sub = this.below(5);
    if (sub < 2 && names.length > 0) {
      const name = this.pick(names);
      this.libraries.delete(name);
      return { kind: "function", argv: ["FUNCTION", "DELETE", name] };
    }
    if (sub < 3) return { kind: "function", argv: ["FUNCTION", "DELETE", "nosuchlib"] };
    if (sub < 4 && names.length > 0) return { kind: "function", argv: ["FUNCTION", "LIST", "LIBRARYNAME", this.pick(names), ...(this.chance(0.5) ? ["WITHCODE"] : [])] };
    return { kind: "function", argv: ["FUNCTION", "STATS", "BAD"] };
  }
}

// ---- comparison ----

/**
 * FUNCTION LIST of one side with its libraries, and each library's functions, sorted by name: Redis
 * lists both in its dicts' (hash) order, ours in the order they were made.
 */
function sortedListing(list: Reply): Reply {
  if (!Array.isArray(list)) return normalize(list);
  const libs = (list as Reply[][]).map((l) => {
    const lib = normalize(l) as Reply[];
    const at = lib.indexOf("functions") + 1;
    if (at > 0) lib[at] = [...(lib[at] as Reply[][])].sort((a, b) => compareBytes(String(a[1]), String(b[1])));
    return lib;
  });
  return libs.sort((a, b) => compareBytes(String(a[1]), String(b[1])));
}
const librariesOf = (list: Reply): string => showJson(sortedListing(list));

const showDump = (d: Map<string, KeyDump>): string => showJson([...d].map(([k, v]) => [k, v.type, v.value as Reply, v.expireAt]) as Reply);

/** Runs the differential on a fresh engine and a connected Redis (flushed first, functions too). */
export async function runScriptDifferential(redis: RespClient, opts: ScriptDiffOptions): Promise<ScriptDiffResult> {
  await redis.call("FLUSHALL");
  await redis.call("FUNCTION", "FLUSH");
  await redis.call("SCRIPT", "FLUSH");
  const engine = new Engine({ clock: Date.now, createLuaVm });
  const log: string[][] = [];
  engine.sink = (cmds) => log.push(...cmds);
  // math.random's state is the server's and outlives SCRIPT FLUSH: put Redis's back where a fresh
  // server starts it (seed 0x1234ABCD gives its initial 0x1234ABCD330E), as ours starts.
  const reseed = ["EVAL", "math.randomseed(305441741) return 1", "0"];
  engine.execute(reseed);
  await redis.call(...reseed);
  const gen = new ScriptGen(opts.seed);
  const result: ScriptDiffResult = { commands: 0, mismatches: [], byKind: new Map(), errors: 0, keys: 0 };
  const compare = (index: number, argv: string[], ours: string, theirs: string) => {
    if (ours !== theirs) result.mismatches.push({ index, command: argv, ours, redis: theirs });
  };
  for (let i = 0; i < opts.count; i++) {
    const { kind, argv } = gen.next();
    const ours = engine.execute(argv);
    const theirs = await redis.call(...argv);
    result.commands++;
    result.byKind.set(kind, (result.byKind.get(kind) ?? 0) + 1);
    if (isErrorReply(theirs)) result.errors++;
    const listing = argv[0] === "FUNCTION" && argv[1] === "LIST";
    compare(i, argv, listing ? librariesOf(ours) : showJson(normalize(ours)), listing ? librariesOf(theirs) : showJson(normalize(theirs)));
  }
  // The datasets and the libraries after the run.
  const theirs = await dumpRedis(redis);
  result.keys = theirs.size;
  compare(-1, ["(dataset)"], showDump(dumpKeyspace(engine.db)), showDump(theirs));
  const listing = ["FUNCTION", "LIST", "WITHCODE"];
  compare(-1, listing, librariesOf(engine.execute(listing)), librariesOf(await redis.call(...listing)));
  // The log holds scripts' effects only; replayed (FUNCTION LOAD is data and needs the VM) it rebuilds the same keys.
  const scripted = log.filter((c) => /^(EVAL|EVALSHA|EVAL_RO|EVALSHA_RO|FCALL|FCALL_RO|SCRIPT)$/i.test(c[0]));
  compare(-2, ["(log)"], showJson(scripted as Reply), "[]");
  const replayed = new Engine({ clock: Date.now, createLuaVm });
  replayed.db.loading = true;
  for (const c of log) replayed.replay(c);
  replayed.db.loading = false;
  compare(-2, ["(replayed dataset)"], showDump(dumpKeyspace(replayed.db)), showDump(theirs));
  compare(-2, listing, librariesOf(replayed.execute(listing)), librariesOf(await redis.call(...listing)));
  return result;
}

export function formatScriptResult(r: ScriptDiffResult, limit = 20): string {
  const lines = [`${r.commands} scripts and script commands, ${r.errors} error replies, ${r.keys} keys at the end, ${r.mismatches.length} mismatches`];
  lines.push([...r.byKind].sort().map(([n, c]) => `${n} ${c}`).join(", "));
  for (const m of r.mismatches.slice(0, limit)) {
    lines.push(`#${m.index} ${showJson(m.command)}\n  ours:  ${m.ours}\n  redis: ${m.redis}`);
  }
  return lines.join("\n");
}
