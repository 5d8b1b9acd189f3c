// Streams in RDB files, as rdb.c saves and loads them: the nodes as (16-byte master ID, listpack)
// pairs, then length, last ID, first ID, max deleted ID and entries added (since type 19), then the
// consumer groups with their PELs (ID, delivery time, delivery count) and consumers (name, seen time,
// active time since type 21, their PEL IDs). A node's listpack holds the master entry (count,
// deleted, fields, 0) and each entry as flags, ID deltas from the master, values (or fields and
// values), and its element count: the layout t_stream.c builds, so ours are byte-for-byte Redis's.

import {
  Consumer,
  ConsumerGroup,
  FLAG_DELETED,
  FLAG_SAMEFIELDS,
  RedisStream,
  StreamNode,
  delta,
  idKey,
} from "../../engine/types/stream.js";
import { decodeListpack, encodeListpack } from "./blobs.js";
import { RdbType } from "./constants.js";
import { RdbError } from "./errors.js";
import { type RdbReader, latin1 } from "./reader.js";

const U64_MAX = (1n << 64n) - 1n;

/** A node's listpack, element by element, as Redis holds it. */
export function nodeListpack(node: StreamNode): Uint8Array {
  const els: string[] = [String(node.live), String(node.deleted), String(node.masterFields.length), ...node.masterFields, "0"];
  for (let i = 0; i < node.ids.length; i++) {
    const id = node.ids[i];
    const flags = node.flags[i];
    els.push(String(flags), String(delta(idMsOf(id), node.masterMs)), String(delta(idSeqOf(id), node.masterSeq)));
    const d = node.data[i];
    if (flags & FLAG_SAMEFIELDS) {
      for (const v of d) els.push(v);
      els.push(String(d.length + 3));
    } else {
      els.push(String(d.length / 2));
      for (const v of d) els.push(v);
      els.push(String(d.length + 4));
    }
  }
  return encodeListpack(els);
}

const u64At = (k: string, at: number): bigint => {
  let n = 0n;
  for (let i = 0; i < 8; i++) n = (n << 8n) | BigInt(k.charCodeAt(at + i));
  return n;
};
const idMsOf = (k: string) => u64At(k, 0);
const idSeqOf = (k: string) => u64At(k, 8);

/** What the stream writer needs of the RDB writer. */
export interface StreamSink {
  string(s: string): void;
  blob(b: Uint8Array): void;
  bigLength(n: bigint): void;
  raw(b: Uint8Array): void;
  millis(ms: number): void;
}

const idBytes = (k: string): Uint8Array => {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = k.charCodeAt(i);
  return b;
};

/** The value part of a STREAM_LISTPACKS_2 record (Redis 7.0's rdbSaveObject). */
export function writeStream(w: StreamSink, s: RedisStream): void {
  w.bigLength(BigInt(s.nodes.length));
  for (const node of s.nodes) {
    w.string(node.masterId);
    w.blob(nodeListpack(node));
  }
  w.bigLength(BigInt(s.length));
  for (const id of [s.lastId, s.firstId, s.maxDeletedId]) {
    w.bigLength(idMsOf(id));
    w.bigLength(idSeqOf(id));
  }
  w.bigLength(BigInt(s.entriesAdded));
  const groups = s.sortedGroups();
  w.bigLength(BigInt(groups.length));
  for (const [name, g] of groups) {
    w.string(name);
    w.bigLength(idMsOf(g.lastId));
    w.bigLength(idSeqOf(g.lastId));
    w.bigLength(BigInt.asUintN(64, BigInt(g.entriesRead)));
    w.bigLength(BigInt(g.pel.size));
    for (const id of g.pel.keys) {
      const nack = g.pel.get(id)!;
      w.raw(idBytes(id));
      w.millis(nack.deliveryTime);
      w.bigLength(BigInt(nack.deliveryCount));
    }
    const consumers = g.sortedConsumers();
    w.bigLength(BigInt(consumers.length));
    for (const c of consumers) {
      w.string(c.name);
      w.millis(c.seenTime);
      w.bigLength(BigInt(c.pel.size));
      for (const id of c.pel.keys) w.raw(idBytes(id));
    }
  }
}

const INTEGER = /^-?[0-9]{1,20}$/;

const num = (s: string, at: number): number => {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new RdbError("RDB_BAD_VALUE", "stream listpack: an integer was expected", at);
  return n;
};

/** Rebuilds one node from its listpack, tombstones and master entry included. */
function readNode(masterId: string, lp: Uint8Array, at: number): StreamNode {
  const bad = (why: string) => new RdbError("RDB_BAD_VALUE", `stream listpack: ${why}`, at);
  const e = decodeListpack(lp, at);
  if (e.length === 0) throw new RdbError("RDB_BAD_VALUE", "Empty listpack inside stream", at);
  if (e.length < 4) throw bad("no master entry");
  const live = num(e[0], at);
  const deleted = num(e[1], at);
  const nf = num(e[2], at);
  if (nf < 0 || 3 + nf >= e.length) throw bad("bad master entry");
  const fields = e.slice(3, 3 + nf);
  if (e[3 + nf] !== "0") throw bad("no master entry terminator");
  const node = new StreamNode(masterId, fields);
  let p = 4 + nf;
  let prev = "";
  while (p < e.length) {
    if (p + 3 > e.length) throw bad("truncated entry");
    const flags = num(e[p], at);
    if (!INTEGER.test(e[p + 1]) || !INTEGER.test(e[p + 2])) throw bad("an ID delta is not an integer");
    const ms = BigInt.asUintN(64, node.masterMs + BigInt(e[p + 1]));
    const seq = BigInt.asUintN(64, node.masterSeq + BigInt(e[p + 2]));
    p += 3;
    let data: string[];
    if (flags & FLAG_SAMEFIELDS) {
      data = e.slice(p, p + nf);
      p += nf;
      if (data.length !== nf || num(e[p], at) !== nf + 3) throw bad("bad entry");
    } else {
      const n = num(e[p++], at);
      data = e.slice(p, p + 2 * n);
      p += 2 * n;
      if (data.length !== 2 * n || num(e[p], at) !== 2 * n + 4) throw bad("bad entry");
    }
    p++;
    const id = idKey(ms, seq);
    if (id <= prev) throw bad("entries out of order");
    prev = id;
    node.ids.push(id);
    node.flags.push(flags);
    node.data.push(data);
    if (flags & FLAG_DELETED) node.deleted++;
    else node.live++;
  }
  if (node.live !== live || node.deleted !== deleted) throw bad("master entry counts do not match the entries");
  if (live === 0) throw bad("a node with no live entry");
  return node;
}

const idFromBytes = (b: Uint8Array): string => latin1(b, 0, 16);

/** The value part of a stream record of type 15, 19 or 21 (rdbLoadObject), with Redis's checks. */
export function readStream(r: RdbReader, type: number, at: number): RedisStream {
  const corrupt = (why: string) => new RdbError("RDB_BAD_VALUE", why, at);
  const v2 = type >= RdbType.STREAM_LISTPACKS_2;
  const s = new RedisStream();
  for (let n = r.count(); n > 0; n--) {
    const key = r.stringBytes();
    if (key.length !== 16) throw corrupt("Stream node key entry is not the size of a stream ID");
    const p = r.pos;
    const lp = r.stringBytes();
    const masterId = idFromBytes(key);
    if (s.nodes.length && s.nodes[s.nodes.length - 1].masterId >= masterId) throw corrupt("Listpack re-added with existing key");
    const node = readNode(masterId, lp, p);
    s.loadNode(node, lp.length);
  }
  let live = 0;
  for (const node of s.nodes) live += node.live;
  const length = r.bigLen();
  if (length !== BigInt(live)) throw corrupt("Stream length inconsistent with its entries");
  s.length = live;
  s.lastId = idKey(r.bigLen(), r.bigLen());
  if (v2) {
    s.firstId = idKey(r.bigLen(), r.bigLen());
    s.maxDeletedId = idKey(r.bigLen(), r.bigLen());
    s.entriesAdded = Number(r.bigLen());
  } else {
    s.entriesAdded = s.length;
    s.firstId = s.length ? s.edgeId(true, true) : idKey(U64_MAX, U64_MAX);
  }
  for (let groups = r.count(); groups > 0; groups--) {
    const name = r.string();
    const lastId = idKey(r.bigLen(), r.bigLen());
    let entriesRead: number;
    if (v2) {
      const read = r.bigLen();
      entriesRead = read === U64_MAX ? -1 : Number(read);
    } else entriesRead = s.estimateDistance(lastId);
    if (s.groups.has(name)) throw corrupt(`Duplicated consumer group name ${name}`);
    const g = new ConsumerGroup(lastId, entriesRead);
    s.groups.set(name, g);
    for (let pel = r.count(); pel > 0; pel--) {
      const id = idFromBytes(r.bytes(16));
      r.need(8);
      const time = Number(r.dv.getBigInt64(r.pos, true));
      r.pos += 8;
      const count = Number(r.bigLen());
      if (!g.pel.insert(id, { deliveryTime: time, deliveryCount: count, consumer: null })) {
        throw corrupt("Duplicated global PEL entry loading stream consumer group");
      }
      s.charge(RedisStream.NACK_COST);
    }
    for (let consumers = r.count(); consumers > 0; consumers--) {
      const cname = r.string();
      if (g.consumers.has(cname)) throw corrupt("Duplicate stream consumer detected.");
      r.need(8);
      const seen = Number(r.dv.getBigInt64(r.pos, true));
      r.pos += 8;
      if (type >= RdbType.STREAM_LISTPACKS_3) {
        r.need(8);
        r.pos += 8;
      }
      const c = new Consumer(cname, seen);
      g.consumers.set(cname, c);
      for (let pel = r.count(); pel > 0; pel--) {
        const id = idFromBytes(r.bytes(16));
        const nack = g.pel.get(id);
        if (!nack) throw corrupt("Consumer entry not found in group global PEL");
        nack.consumer = c;
        if (!c.pel.insert(id, nack)) throw corrupt("Duplicated consumer PEL entry  loading a stream consumer group");
      }
    }
    for (const id of g.pel.keys) if (!g.pel.get(id)!.consumer) throw corrupt("Stream CG PEL entry without consumer");
  }
  return s;
}
