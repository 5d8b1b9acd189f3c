// A vitest reporter for scripts/run-tests.mjs: appends one line per file and test as each starts and
// ends to the file named by TEST_PROGRESS_FILE, so that a run which stops making progress can be
// killed and the files and tests still running named.
import { appendFileSync } from "node:fs";

const out = process.env.TEST_PROGRESS_FILE;
const note = (event, file, test) => {
  if (out) appendFileSync(out, JSON.stringify(test === undefined ? { event, file } : { event, file, test }) + "\n");
};

export default class ProgressReporter {
  onTestModuleStart(module) {
    note("file-start", module.relativeModuleId);
  }
  onTestModuleEnd(module) {
    note("file-end", module.relativeModuleId);
  }
  onTestCaseReady(test) {
    note("test-start", test.module.relativeModuleId, test.fullName);
  }
  onTestCaseResult(test) {
    note("test-end", test.module.relativeModuleId, test.fullName);
  }
}
