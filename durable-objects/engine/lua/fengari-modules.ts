// fengari's modules that the VM uses (fengari ships CommonJS without types). Everything that
// reaches fengari goes through here and fengari.ts.
import lua from "fengari/src/lua.js";
import lauxlib from "fengari/src/lauxlib.js";
import lobject from "fengari/src/lobject.js";
import ltable from "fengari/src/ltable.js";
import lstring from "fengari/src/lstring.js";
import ldebug from "fengari/src/ldebug.js";
import ltm from "fengari/src/ltm.js";
import lbaselib from "fengari/src/lbaselib.js";
import ltablib from "fengari/src/ltablib.js";
import lstrlib from "fengari/src/lstrlib.js";
import lmathlib from "fengari/src/lmathlib.js";
import lcorolib from "fengari/src/lcorolib.js";

export default { lua, lauxlib, lobject, ltable, lstring, ldebug, ltm, lbaselib, ltablib, lstrlib, lmathlib, lcorolib };
