// Keyspace notifications as Redis's notify.c raises them: the notify-keyspace-events flags, their
// parsing and canonical form, and the collector that turns (class, event, key) into pub/sub messages
// (`__keyspace@0__:<key>` → event, `__keyevent@0__:<event>` → key) for the dispatcher to hand on.

/** Redis's NOTIFY_* bits (server.h); the letters are notify-keyspace-events' characters. */
export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m (not in A)
export const NOTIFY_MODULE = 1 << 12; // d (no modules here: accepted, never raised)
export const NOTIFY_NEW = 1 << 13; // n (not in A)
/** `A`: every class but m and n. */
export const NOTIFY_ALL =
  NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const LETTERS: [string, number][] = [
  ["g", NOTIFY_GENERIC], ["$", NOTIFY_STRING], ["l", NOTIFY_LIST], ["s", NOTIFY_SET], ["h", NOTIFY_HASH],
  ["z", NOTIFY_ZSET], ["x", NOTIFY_EXPIRED], ["e", NOTIFY_EVICTED], ["t", NOTIFY_STREAM], ["m", NOTIFY_KEY_MISS],
  ["d", NOTIFY_MODULE], ["n", NOTIFY_NEW], ["K", NOTIFY_KEYSPACE], ["E", NOTIFY_KEYEVENT],
];
const BY_LETTER = new Map(LETTERS);

/** Redis's keyspaceEventsStringToFlags; null for a character it does not know. */
export function parseNotifyFlags(text: string): number | null {
  let flags = 0;
  for (const ch of text) {
    if (ch === "A") flags |= NOTIFY_ALL;
    else {
      const bit = BY_LETTER.get(ch);
      if (bit === undefined) return null;
      flags |= bit;
    }
  }
  return flags;
}

export const INVALID_NOTIFY_FLAGS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/**
 * Every flag spelled out (no `A`), the form the config keeps: CONFIG GET's form drops `n` beside `A`
 * (as Redis 7.0 prints it), so storing that would lose it on a reload.
 */
export function storedNotifyFlags(flags: number): string {
  let out = "";
  for (const [letter, bit] of LETTERS) if (flags & bit) out += letter;
  return out;
}

/** Redis's keyspaceEventsFlagsToString: CONFIG GET's form ("KEA" → "AKE"; with A, n is not shown). */
export function notifyFlagsText(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out = "A";
  else for (const letter of "g$lshzxetdn") if (flags & BY_LETTER.get(letter)!) out += letter;
  if (flags & NOTIFY_KEYSPACE) out += "K";
  if (flags & NOTIFY_KEYEVENT) out += "E";
  if (flags & NOTIFY_KEY_MISS) out += "m";
  return out;
}

export type Notification = [channel: string, message: string];

/** Collects a batch's notifications; the engine keeps `flags` in step with the config. */
export class Notifier {
  /** The parsed notify-keyspace-events; 0 (the default) raises nothing. */
  flags = 0;
  /** Off while a dataset loads: Redis replays its AOF with notifications off. */
  muted = false;
  pending: Notification[] = [];

  /** Redis's notifyKeyspaceEvent: raised only for an enabled class, on the enabled channel kinds. */
  notify(type: number, event: string, key: string): void {
    const flags = this.flags;
    if ((flags & type) === 0 || this.muted) return;
    if (flags & NOTIFY_KEYSPACE) this.pending.push([`__keyspace@0__:${key}`, event]);
    if (flags & NOTIFY_KEYEVENT) this.pending.push([`__keyevent@0__:${event}`, key]);
  }

  /** The notifications since the last take, in the order raised. */
  take(): Notification[] {
    const out = this.pending;
    this.pending = [];
    return out;
  }
}
