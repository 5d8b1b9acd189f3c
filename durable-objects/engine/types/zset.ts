// The sorted set type: member → score in a Map, and the order over (score, member bytewise) in an
// order-statistic B+tree whose leaves are small parallel arrays (members, unboxed double scores).
// Rank, element at rank, bounds, insert and delete are O(log n); leaves are linked for range walks.
//
// Memory, measured in Node 24 (x64) with gc() and heapUsed over 100k members "member:<n>", beyond the
// member strings: 83 bytes a member with random fractional scores (the Map's entry and boxed score
// ~53, the tree ~30), 57 with integer scores (no boxing), 73 inserted in ascending order (appends
// leave leaves full). A Redis-style skiplist node (object, forward and span arrays) measured 197
// bytes alone, before the Map: hence the tree. An empty set is ~320 bytes, then ~100 a member.

import { stringCost } from "./memory.js";

const LEAF_MAX = 128;
const LEAF_MIN = 32;
const INNER_MAX = 32;
const INNER_MIN = 8;

/** Bytes charged per member beyond its string (measured; see the header). */
const ENTRY_COST = 80;
const BASE_COST = 320;

class Leaf {
  readonly leaf = true;
  members: string[];
  scores: number[];
  prev: Leaf | null = null;
  next: Leaf | null = null;
  constructor(members: string[], scores: number[]) {
    this.members = members;
    this.scores = scores;
  }
}

class Inner {
  readonly leaf = false;
  children: Node[];
  /** Elements under each child. */
  counts: number[];
  /** Each child's smallest element, for routing. */
  lowScores: number[];
  lowMembers: string[];
  constructor(children: Node[], counts: number[], lowScores: number[], lowMembers: string[]) {
    this.children = children;
    this.counts = counts;
    this.lowScores = lowScores;
    this.lowMembers = lowMembers;
  }
}

type Node = Leaf | Inner;

const less = (s1: number, m1: string, s2: number, m2: string): boolean => s1 < s2 || (s1 === s2 && m1 < m2);

function nodeSize(n: Node): number {
  if (n.leaf) return n.members.length;
  let total = 0;
  for (const c of n.counts) total += c;
  return total;
}

function lowScore(n: Node): number {
  return n.leaf ? n.scores[0] : n.lowScores[0];
}
function lowMember(n: Node): string {
  return n.leaf ? n.members[0] : n.lowMembers[0];
}

/** First index in the leaf whose element is ≥ (s, m). */
function leafLowerBound(l: Leaf, s: number, m: string): number {
  const scores = l.scores;
  const members = l.members;
  let lo = 0;
  let hi = scores.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (less(scores[mid], members[mid], s, m)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The child whose range holds (s, m): the last one whose smallest element is ≤ it, else the first. */
function childFor(n: Inner, s: number, m: string): number {
  let lo = 1;
  let hi = n.children.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (less(s, m, n.lowScores[mid], n.lowMembers[mid])) hi = mid;
    else lo = mid + 1;
  }
  return lo - 1;
}

/**
 * Elements before a bound: `before` must be true for a prefix of the order and false after it
 * (e.g. "score < 5"); returns the length of that prefix, which is the bound's rank.
 */
function countBefore(root: Node, before: (score: number, member: string) => boolean): number {
  let node = root;
  let rank = 0;
  while (!node.leaf) {
    let lo = 0;
    let hi = node.children.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(node.lowScores[mid], node.lowMembers[mid])) lo = mid + 1;
      else hi = mid;
    }
    const c = lo > 0 ? lo - 1 : 0;
    for (let i = 0; i < c; i++) rank += node.counts[i];
    node = node.children[c];
  }
  let lo = 0;
  let hi = node.members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(node.scores[mid], node.members[mid])) lo = mid + 1;
    else hi = mid;
  }
  return rank + lo;
}

export class RedisZSet {
  /** member → score. */
  readonly scores = new Map<string, number>();
  private root: Node = new Leaf([], []);
  private bytes = BASE_COST;
  /** Set once the collection has outgrown its compact encoding (Redis never converts back). */
  bigEncoding = false;
  /** Longest member ever stored (zset-max-listpack-value is checked against it). */
  maxLen = 0;

  get size(): number {
    return this.scores.size;
  }
  has(member: string): boolean {
    return this.scores.has(member);
  }
  score(member: string): number | undefined {
    return this.scores.get(member);
  }

  /** Adds or updates a member; returns true when it is new. NaN is refused (a bug upstream). */
  add(member: string, score: number): boolean {
    if (Number.isNaN(score)) throw new RangeError("zset score is NaN");
    if (member.length > this.maxLen) this.maxLen = member.length;
    const old = this.scores.get(member);
    if (old !== undefined) {
      if (Object.is(old, score)) return false;
      this.scores.set(member, score);
      // Same place in the order (-0 and 0 compare equal too): update the score in place.
      if (old === score) this.setScoreInPlace(member, old, score);
      else {
        this.removeFromTree(old, member);
        this.insertIntoTree(score, member);
      }
      return false;
    }
    this.scores.set(member, score);
    this.insertIntoTree(score, member);
    this.bytes += ENTRY_COST + stringCost(member);
    return true;
  }

  delete(member: string): boolean {
    const old = this.scores.get(member);
    if (old === undefined) return false;
    this.scores.delete(member);
    this.removeFromTree(old, member);
    this.bytes -= ENTRY_COST + stringCost(member);
    return true;
  }

  /** 0-based rank of a member in ascending order, or undefined when absent. */
  rank(member: string): number | undefined {
    const s = this.scores.get(member);
    if (s === undefined) return undefined;
    let node = this.root;
    let rank = 0;
    while (!node.leaf) {
      const c = childFor(node, s, member);
      for (let i = 0; i < c; i++) rank += node.counts[i];
      node = node.children[c];
    }
    return rank + leafLowerBound(node, s, member);
  }

  /** The element at a 0-based rank, or undefined when out of range. */
  at(rank: number): [member: string, score: number] | undefined {
    const found = this.seek(rank);
    if (found === null) return undefined;
    const [leaf, i] = found;
    return [leaf.members[i], leaf.scores[i]];
  }

  /** Elements with a score below `bound` (or ≤ it when inclusive): the rank where a score range starts. */
  countScoreBelow(bound: number, inclusive: boolean): number {
    return inclusive
      ? countBefore(this.root, (s) => s <= bound)
      : countBefore(this.root, (s) => s < bound);
  }

  /**
   * Elements whose member sorts below `bound` (or ≤ it when inclusive). Meaningful when all scores
   * are equal, as for Redis's lex ranges; otherwise some rank, as unspecified as Redis's answer.
   */
  countLexBelow(bound: string, inclusive: boolean): number {
    return inclusive
      ? countBefore(this.root, (_, m) => m <= bound)
      : countBefore(this.root, (_, m) => m < bound);
  }

  /**
   * Calls fn for the elements from rank `start` on (downwards when reverse, rank counting from
   * the lowest either way) until fn returns false or the set ends.
   */
  walk(start: number, reverse: boolean, fn: (member: string, score: number) => boolean | void): void {
    const found = this.seek(start);
    if (found === null) return;
    let [leaf, i] = found as [Leaf | null, number];
    if (reverse) {
      while (leaf !== null) {
        const { members, scores } = leaf;
        for (; i >= 0; i--) if (fn(members[i], scores[i]) === false) return;
        leaf = leaf.prev;
        if (leaf !== null) i = leaf.members.length - 1;
      }
    } else {
      while (leaf !== null) {
        const { members, scores } = leaf;
        for (; i < members.length; i++) if (fn(members[i], scores[i]) === false) return;
        leaf = leaf.next;
        i = 0;
      }
    }
  }

  /** The elements of ranks start..end (inclusive, clamped), in order or reversed. */
  range(start: number, end: number, reverse = false): [member: string, score: number][] {
    const out: [string, number][] = [];
    if (start < 0) start = 0;
    if (end >= this.size) end = this.size - 1;
    if (start > end) return out;
    let left = end - start + 1;
    if (reverse) this.walk(end, true, (m, s) => (out.push([m, s]), --left > 0));
    else this.walk(start, false, (m, s) => (out.push([m, s]), --left > 0));
    return out;
  }

  /** Members with scores in order. */
  entries(): [string, number][] {
    const out: [string, number][] = new Array(this.size);
    let k = 0;
    this.walk(0, false, (m, s) => {
      out[k++] = [m, s];
    });
    return out;
  }

  memoryUsage(): number {
    return this.bytes;
  }

  /** Checks the tree's invariants (order, counts, routing keys, leaf links, balance); throws if broken. */
  check(): { height: number; leaves: number } {
    const fail = (why: string): never => {
      throw new Error(`zset invariant broken: ${why}`);
    };
    const leaves: Leaf[] = [];
    let height = 0;
    const visit = (n: Node, depth: number, isRoot: boolean): number => {
      if (n.leaf) {
        if (!isRoot && (n.members.length < 1 || n.members.length > LEAF_MAX)) fail(`leaf of ${n.members.length}`);
        if (n.members.length !== n.scores.length) fail("leaf arrays differ");
        if (height === 0) height = depth;
        else if (height !== depth) fail("leaves at different depths");
        leaves.push(n);
        return n.members.length;
      }
      if (n.children.length > INNER_MAX || n.children.length < 2) fail(`inner node of ${n.children.length}`);
      let total = 0;
      n.children.forEach((c, i) => {
        const size = visit(c, depth + 1, false);
        if (size !== n.counts[i]) fail("count differs");
        if (!Object.is(lowScore(c), n.lowScores[i]) || lowMember(c) !== n.lowMembers[i]) fail("routing key differs");
        total += size;
      });
      return total;
    };
    if (visit(this.root, 1, true) !== this.size) fail("tree and map sizes differ");
    let prev: [number, string] | null = null;
    leaves.forEach((leaf, k) => {
      if (leaf.prev !== (leaves[k - 1] ?? null) || leaf.next !== (leaves[k + 1] ?? null)) fail("leaf links");
      for (let i = 0; i < leaf.members.length; i++) {
        const s = leaf.scores[i];
        const m = leaf.members[i];
        if (prev !== null && !less(prev[0], prev[1], s, m)) fail("out of order");
        if (!Object.is(this.scores.get(m), s)) fail("map and tree differ");
        prev = [s, m];
      }
    });
    return { height, leaves: leaves.length };
  }

  private seek(rank: number): [Leaf, number] | null {
    if (rank < 0 || rank >= this.size) return null;
    let node = this.root;
    while (!node.leaf) {
      let c = 0;
      while (rank >= node.counts[c]) rank -= node.counts[c++];
      node = node.children[c];
    }
    return [node, rank];
  }

  private setScoreInPlace(member: string, old: number, score: number): void {
    let node = this.root;
    const path: [Inner, number][] = [];
    while (!node.leaf) {
      const c = childFor(node, old, member);
      path.push([node, c]);
      node = node.children[c];
    }
    const i = leafLowerBound(node, old, member);
    node.scores[i] = score;
    if (i === 0) for (const [p, c] of path) if (p.lowMembers[c] === member) p.lowScores[c] = score;
  }

  private insertIntoTree(score: number, member: string): void {
    const split = this.insertAt(this.root, score, member);
    if (split !== null) {
      const old = this.root;
      this.root = new Inner(
        [old, split],
        [nodeSize(old), nodeSize(split)],
        [lowScore(old), lowScore(split)],
        [lowMember(old), lowMember(split)],
      );
    }
  }

  /** Inserts below node; returns a new right sibling when node split. */
  private insertAt(node: Node, s: number, m: string): Node | null {
    if (node.leaf) {
      const i = leafLowerBound(node, s, m);
      node.members.splice(i, 0, m);
      node.scores.splice(i, 0, s);
      if (node.members.length <= LEAF_MAX) return null;
      // Appends (rising scores, as timestamps) leave the old leaf full rather than half empty.
      const at = i === LEAF_MAX ? LEAF_MAX : i === 0 && node.prev === null ? 1 : (LEAF_MAX + 1) >>> 1;
      return splitLeaf(node, at);
    }
    const c = childFor(node, s, m);
    const child = node.children[c];
    const split = this.insertAt(child, s, m);
    node.counts[c]++;
    node.lowScores[c] = lowScore(child);
    node.lowMembers[c] = lowMember(child);
    if (split === null) return null;
    const moved = nodeSize(split);
    node.counts[c] -= moved;
    node.children.splice(c + 1, 0, split);
    node.counts.splice(c + 1, 0, moved);
    node.lowScores.splice(c + 1, 0, lowScore(split));
    node.lowMembers.splice(c + 1, 0, lowMember(split));
    if (node.children.length <= INNER_MAX) return null;
    // As for leaves, appends keep the old node nearly full (the new one gets two children, never one).
    const half = c + 1 === INNER_MAX ? INNER_MAX - 1 : (INNER_MAX + 1) >>> 1;
    return new Inner(
      node.children.splice(half),
      node.counts.splice(half),
      node.lowScores.splice(half),
      node.lowMembers.splice(half),
    );
  }

  private removeFromTree(score: number, member: string): void {
    this.removeAt(this.root, score, member);
    const root = this.root;
    if (!root.leaf && root.children.length === 1) this.root = root.children[0];
  }

  private removeAt(node: Node, s: number, m: string): void {
    if (node.leaf) {
      const i = leafLowerBound(node, s, m);
      if (node.members[i] !== m) throw new Error("zset tree is missing a member");
      node.members.splice(i, 1);
      node.scores.splice(i, 1);
      return;
    }
    const c = childFor(node, s, m);
    const child = node.children[c];
    this.removeAt(child, s, m);
    node.counts[c]--;
    const small = child.leaf ? child.members.length < LEAF_MIN : child.children.length < INNER_MIN;
    if (small) rebalance(node, c);
    else {
      node.lowScores[c] = lowScore(child);
      node.lowMembers[c] = lowMember(child);
    }
  }
}

/** Moves the elements from index `at` on into a new leaf after this one. */
function splitLeaf(leaf: Leaf, at: number): Leaf {
  const right = new Leaf(leaf.members.splice(at), leaf.scores.splice(at));
  right.next = leaf.next;
  if (right.next) right.next.prev = right;
  right.prev = leaf;
  leaf.next = right;
  return right;
}

/** Child c of node is under-full: merge it with a neighbour, or even the two out. */
function rebalance(node: Inner, c: number): void {
  if (node.children.length < 2) {
    const only = node.children[0];
    if (nodeSize(only) > 0) {
      node.lowScores[0] = lowScore(only);
      node.lowMembers[0] = lowMember(only);
    }
    return;
  }
  const l = c > 0 ? c - 1 : c;
  const r = l + 1;
  const left = node.children[l];
  const right = node.children[r];
  if (left.leaf && right.leaf) {
    const total = left.members.length + right.members.length;
    if (total <= LEAF_MAX) {
      for (let i = 0; i < right.members.length; i++) {
        left.members.push(right.members[i]);
        left.scores.push(right.scores[i]);
      }
      left.next = right.next;
      if (left.next) left.next.prev = left;
      removeChild(node, r);
      node.counts[l] = total;
    } else {
      const want = total >>> 1;
      if (left.members.length < want) {
        const k = want - left.members.length;
        left.members.push(...right.members.splice(0, k));
        left.scores.push(...right.scores.splice(0, k));
      } else {
        const k = left.members.length - want;
        right.members.unshift(...left.members.splice(want, k));
        right.scores.unshift(...left.scores.splice(want, k));
      }
      node.counts[l] = left.members.length;
      node.counts[r] = right.members.length;
    }
  } else {
    const a = left as Inner;
    const b = right as Inner;
    const total = a.children.length + b.children.length;
    if (total <= INNER_MAX) {
      a.children.push(...b.children);
      a.counts.push(...b.counts);
      a.lowScores.push(...b.lowScores);
      a.lowMembers.push(...b.lowMembers);
      removeChild(node, r);
      node.counts[l] = nodeSize(a);
    } else {
      const want = total >>> 1;
      if (a.children.length < want) {
        const k = want - a.children.length;
        a.children.push(...b.children.splice(0, k));
        a.counts.push(...b.counts.splice(0, k));
        a.lowScores.push(...b.lowScores.splice(0, k));
        a.lowMembers.push(...b.lowMembers.splice(0, k));
      } else {
        const k = a.children.length - want;
        b.children.unshift(...a.children.splice(want, k));
        b.counts.unshift(...a.counts.splice(want, k));
        b.lowScores.unshift(...a.lowScores.splice(want, k));
        b.lowMembers.unshift(...a.lowMembers.splice(want, k));
      }
      node.counts[l] = nodeSize(a);
      node.counts[r] = nodeSize(b);
    }
  }
  for (let i = l; i <= r && i < node.children.length; i++) {
    const child = node.children[i];
    if (nodeSize(child) === 0) continue;
    node.lowScores[i] = lowScore(child);
    node.lowMembers[i] = lowMember(child);
  }
}

function removeChild(node: Inner, i: number): void {
  node.children.splice(i, 1);
  node.counts.splice(i, 1);
  node.lowScores.splice(i, 1);
  node.lowMembers.splice(i, 1);
}
