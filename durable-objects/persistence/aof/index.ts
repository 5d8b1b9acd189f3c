// The AOF format layer: pure functions over byte strings, for the Durable Object (loading, rewriting,
// the manifest view) and for the scripts' check-aof, import and export. Records are encoded by ../resp.ts.

export * from "./format.js";
export { type AofItem, type AofLoadOptions, type AofLoadResult, AofReader, hasRdbPreamble, loadAof } from "./loader.js";
export { AofRewriter, type AofRewriterOptions, type SnapshotEntry, keyspaceEntries, rewriteAll, rewriteKey } from "./rewrite.js";
export {
  type AofFileInfo,
  type AofFileType,
  type AofManifest,
  type ManifestParseOptions,
  baseFileName,
  incrFileName,
  loadOrder,
  manifestFileName,
  parseManifest,
  serializeManifest,
  splitArgs,
} from "./manifest.js";
export {
  type AofCheckOptions,
  type AofCheckStatus,
  type AofDir,
  type AofDirReport,
  type AofFileReport,
  checkAof,
  checkAofDir,
  describeFileReport,
  fixAof,
  fixAofDir,
  truncateAofDirToTimestamp,
  truncateToTimestamp,
} from "./check.js";
