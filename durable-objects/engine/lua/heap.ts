// The VM's heap bound. fengari's objects live in the isolate's JavaScript heap, which no API
// measures, so the VM estimates: what scripts allocate is counted as it happens (new table
// entries, strings from concatenation and string.rep), and when that count passes a step the live
// heap is measured by walking everything reachable from the registry and the running stacks.
// A script whose live heap passes the limit stops with "not enough memory" (Lua's own text for an
// allocation failure); the shard and its keyspace are untouched.



/** Bytes counted per table entry, per string (beyond its bytes), per table, per closure. */
const ENTRY_BYTES = 80;
const STRING_OVERHEAD = 40;
const OBJECT_BYTES = 96;

/** Estimated bytes allocated since the last measure. */
export const allocation = { bytes: 0 };

/** Walks what is reachable from the given TValues; returns an estimate of its bytes. */
export function measureReachable(roots: any[]): number {
  const seen = new Set<unknown>();
  const stack: any[] = [...roots];
  let bytes = 0;
  const push = (tv: any) => {
    if (tv !== undefined && tv !== null) stack.push(tv);
  };
  while (stack.length > 0) {
    const tv = stack.pop();
    if (tv === undefined || tv === null || typeof tv.ttisstring !== "function") continue;
    const v = tv.value;
    if (tv.ttisstring()) {
      if (seen.has(v)) continue;
      seen.add(v);
      bytes += v.realstring.length + STRING_OVERHEAD;
    } else if (tv.ttistable()) {
      if (seen.has(v)) continue;
      seen.add(v);
      bytes += OBJECT_BYTES + v.strong.size * ENTRY_BYTES;
      for (const e of v.strong.values()) {
        push(e.key);
        push(e.value);
      }
      if (v.metatable) stack.push({ ttisstring: () => false, ttistable: () => true, value: v.metatable });
    } else if (tv.ttisLclosure()) {
      if (seen.has(v)) continue;
      seen.add(v);
      bytes += OBJECT_BYTES + v.upvals.length * 16;
      for (const u of v.upvals) push(u);
      const p = v.p;
      if (p && !seen.has(p)) {
        seen.add(p);
        bytes += OBJECT_BYTES + p.code.length * 16;
        for (const k of p.k) push(k);
      }
    } else if (tv.ttisCclosure()) {
      if (seen.has(v)) continue;
      seen.add(v);
      bytes += OBJECT_BYTES;
      for (const u of v.upvalue) push(u);
    } else if (tv.ttisthread()) {
      if (seen.has(v)) continue;
      seen.add(v);
      bytes += OBJECT_BYTES + v.top * 16;
      for (let i = 0; i < v.top; i++) push(v.stack[i]);
    } else if (tv.ttisfulluserdata()) {
      if (seen.has(v)) continue;
      seen.add(v);
      bytes += OBJECT_BYTES;
      if (v.metatable) stack.push({ ttisstring: () => false, ttistable: () => true, value: v.metatable });
    }
  }
  return bytes;
}

/** The roots of a state: its registry (globals, compiled scripts, libraries) and its stack. */
export function stateRoots(L: any): any[] {
  const roots: any[] = [L.l_G.l_registry];
  for (let i = 0; i < L.top; i++) roots.push(L.stack[i]);
  return roots;
}


