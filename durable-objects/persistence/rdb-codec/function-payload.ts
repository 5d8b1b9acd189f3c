// FUNCTION DUMP / RESTORE payloads in Redis's DUMP format: one FUNCTION2 record per library (opcode
// 245, the library's code as an RDB string), then the RDB version (2 bytes, little-endian) and the
// CRC64 of everything before (8 bytes, little-endian), as Redis's createDumpPayload writes them.

import { binaryToBytes, bytesToBinary } from "../../engine/bytes.js";
import type { FunctionPayloadCodec } from "../../engine/command.js";
import { crc64 } from "./checksum.js";
import { Opcode, RDB_MAX_READ_VERSION, RDB_VERSION } from "./constants.js";
import { RdbWriter } from "./encoder.js";
import { RdbReader, type ReadProblem } from "./reader.js";

class PayloadReader extends RdbReader {
  protected problem(_p: ReadProblem): never {
    throw new Error("failed loading the given functions payload");
  }
}

/** The libraries' codes as one payload (LZF-compressed records where it pays, as Redis's rdbcompression yes). */
export function dumpFunctions(codes: string[]): Uint8Array {
  const w = new RdbWriter({ checksum: false });
  for (const code of codes) w.writeFunction(code);
  const body = w.takeChunk();
  const out = new Uint8Array(body.length + 10);
  out.set(body);
  const dv = new DataView(out.buffer);
  dv.setUint16(body.length, RDB_VERSION, true);
  dv.setBigUint64(body.length + 2, crc64(out.subarray(0, body.length + 2)), true);
  return out;
}

/** The codes a payload holds, or Redis's error text. */
export function restoreFunctions(payload: Uint8Array): string[] | string {
  const n = payload.length;
  if (n < 10) return "DUMP payload version or checksum are wrong";
  const dv = new DataView(payload.buffer, payload.byteOffset, n);
  const version = dv.getUint16(n - 10, true);
  if (version > RDB_MAX_READ_VERSION) return "DUMP payload version or checksum are wrong";
  if (dv.getBigUint64(n - 8, true) !== crc64(payload.subarray(0, n - 8))) return "DUMP payload version or checksum are wrong";
  const r = new PayloadReader(payload.subarray(0, n - 10));
  const codes: string[] = [];
  try {
    while (r.pos < n - 10) {
      const type = r.u8();
      if (type === Opcode.FUNCTION_PRE_GA) {
        // A 7.0 release candidate's record: name, engine, optional description, code; the code is the library.
        r.string();
        r.string();
        if (r.count()) r.string();
        codes.push(r.string());
        continue;
      }
      if (type !== Opcode.FUNCTION2) return "given type is not a function";
      codes.push(r.string());
    }
  } catch (e) {
    return e instanceof Error ? e.message : "failed loading the given functions payload";
  }
  return codes;
}

/** The codec FUNCTION DUMP / RESTORE use, over the engine's byte strings. */
export const functionPayloadCodec: FunctionPayloadCodec = {
  dump: (codes) => bytesToBinary(dumpFunctions(codes)),
  restore: (payload) => restoreFunctions(binaryToBytes(payload)),
};
