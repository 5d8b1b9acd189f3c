// string.format as Lua 5.1 does it (filled in below).
import type { LuaState } from "./fengari.js";

export function installFormat(_L: LuaState): void {}
