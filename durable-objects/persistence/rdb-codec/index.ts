// The RDB codec: decoder, encoder, and the pieces they share.
export { RdbDecoder, RdbLoader, decodeRdb, loadRdbInto, type OnKey, type DecodeResult, type LoadOptions } from "./decoder.js";
export { RdbWriter, encodeRdb, scoreText } from "./encoder.js";
export { RdbError, type RdbErrorCode } from "./errors.js";
export { Crc64, crc64, crcHex } from "./checksum.js";
export { dumpFunctions, restoreFunctions, functionPayloadCodec } from "./function-payload.js";
