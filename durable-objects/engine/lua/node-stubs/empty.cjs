// Stands in for fengari's Node-only optional dependencies (readline-sync for debug.debug, tmp for
// os.tmpname) in the Workers bundle and the workerd tests: scripts reach neither library.
module.exports = {};
