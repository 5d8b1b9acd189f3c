// A vitest reporter for scripts/run-tests.mjs: appends one line per file and test as each starts and
// ends to the file named by TEST_PROGRESS_FILE, so that a run which stops making progress can be
// killed and the files and tests still running named, and the tests that had ended counted.
import { appendFileSync } from "node:fs";

const out = process.env.TEST_PROGRESS_FILE;
const note = (event, file, test, state) => {
  if (out) appendFileSync(out, JSON.stringify(test === undefined ? { event, file } : { event, file, test, state }) + "\n");
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
    // The state lets run-tests.mjs count the tests of a run it had to kill, which writes no report.
    note("test-end", test.module.relativeModuleId, test.fullName, test.result().state);
  }
}
