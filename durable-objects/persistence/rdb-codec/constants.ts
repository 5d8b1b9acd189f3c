// RDB format constants (Redis 7.0, RDB version 10). The on-disk numbers never change.

export const RDB_VERSION = 10;
/** The newest version we can read (7.4 writes 12). */
export const RDB_MAX_READ_VERSION = 12;

export const enum Opcode {
  /** 7.4+ cluster slot info: LEN slot, LEN size, LEN expires size. */
  SLOT_INFO = 0xf4,
  /** A function library's source (7.0+). */
  FUNCTION2 = 0xf5,
  /** Pre-GA function record (7.0 release candidates). */
  FUNCTION_PRE_GA = 0xf6,
  MODULE_AUX = 0xf7,
  /** LRU idle seconds of the next key. */
  IDLE = 0xf8,
  /** LFU counter of the next key. */
  FREQ = 0xf9,
  AUX = 0xfa,
  RESIZEDB = 0xfb,
  EXPIRETIME_MS = 0xfc,
  EXPIRETIME = 0xfd,
  SELECTDB = 0xfe,
  EOF = 0xff,
}

export const enum RdbType {
  STRING = 0,
  LIST = 1,
  SET = 2,
  ZSET = 3,
  HASH = 4,
  ZSET_2 = 5,
  MODULE_PRE_GA = 6,
  MODULE_2 = 7,
  HASH_ZIPMAP = 9,
  LIST_ZIPLIST = 10,
  SET_INTSET = 11,
  ZSET_ZIPLIST = 12,
  HASH_ZIPLIST = 13,
  LIST_QUICKLIST = 14,
  STREAM_LISTPACKS = 15,
  HASH_LISTPACK = 16,
  ZSET_LISTPACK = 17,
  LIST_QUICKLIST_2 = 18,
  STREAM_LISTPACKS_2 = 19,
  SET_LISTPACK = 20,
  STREAM_LISTPACKS_3 = 21,
}

/** Special string encodings (first byte 11xxxxxx of a LEN). */
export const enum StringEncoding {
  INT8 = 0,
  INT16 = 1,
  INT32 = 2,
  LZF = 3,
}

/** Quicklist 2 node containers. */
export const enum Container {
  PLAIN = 1,
  PACKED = 2,
}

/** Redis 7.0's list-max-listpack-size -2: listpack nodes of at most 8 KB. */
export const LIST_NODE_BYTES = 8192;
