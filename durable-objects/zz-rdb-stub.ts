// Temporary seam until persistence/rdb lands: every use fails loudly, nothing pretends to work.
const missing = () => new Error("the RDB codec is not built yet");
export class RdbWriter {
  constructor(_o: unknown) {
    throw missing();
  }
  header(_a: unknown) {}
  selectDb(_a: number, _b: number, _c: number) {}
  writeKey(_k: string, _v: unknown, _e: unknown) {}
  finish() {}
  takeChunk(): Uint8Array {
    return new Uint8Array();
  }
}
export function loadRdbInto(_db: unknown, _b: Uint8Array, _o: unknown): void {
  throw missing();
}
