/**
 * Lazy-free accounting (Redis's lazyfree.c): INFO lazyfree_pending_objects / lazyfreed_objects.
 *
 * Redust never frees in a background thread (dropping a value leaves it to the engine: V8's GC or
 * the WASM arena), so what is kept here is Redis's decision and its statistic: UNLINK (and
 * FLUSHALL/FLUSHDB ASYNC) hands a value to the lazy-free thread when its free effort is above
 * LAZYFREE_THRESHOLD, and the thread counts it as lazily freed. Nothing is ever pending.
 *
 * Complexity: O(1) per value, except streams (O(nodes), as XINFO's radix-tree-nodes).
 */
import type { Container, EncodingLimits, RedisValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import type { Server } from './server';

/** LAZYFREE_THRESHOLD: values needing more allocations than this are freed in the background. */
const LAZYFREE_THRESHOLD = 64;
/** Bytes per quicklist node at the default list-max-listpack-size -2 (an estimate of ql->len). */
const QUICKLIST_NODE_BYTES = 8192;

interface StreamShape {
  raxNodes(): number;
  groups: Map<string, { pel: { size: number } }> | null;
}

/** lazyfreeGetFreeEffort: the number of allocations freeing the value takes. */
export function freeEffort(v: RedisValue, limits: () => EncodingLimits): number {
  const type = typeOfValue(v);
  if (type === 'string') return 1;
  const c = v as Container;
  if (type === 'stream') {
    // Every macro node is an allocation; each group is one plus its PEL (the first group's PEL
    // size standing for all, as Redis estimates it).
    const s = v as unknown as StreamShape;
    let effort = s.raxNodes();
    if (s.groups && s.groups.size > 0) effort += s.groups.size * (1 + s.groups.values().next().value!.pel.size);
    return effort;
  }
  const enc = c.encoding(limits());
  if (type === 'list') {
    // (the wasm engine's node count; JS lists have no nodes: their bytes over a node's size)
    const nodes = (c as { nodes?(): number }).nodes?.() ?? Math.ceil(c.memoryUsage() / QUICKLIST_NODE_BYTES);
    return enc === 'quicklist' ? Math.max(1, nodes) : 1;
  }
  if (enc === 'hashtable' || enc === 'skiplist') return c.size;
  return 1;
}

/** freeObjAsync: a value UNLINK removes is freed "in the background" when its effort is large. */
export function unlinkedValue(server: Server, v: RedisValue, limits: () => EncodingLimits): void {
  if (typeOfValue(v) !== 'string' && freeEffort(v, limits) > LAZYFREE_THRESHOLD) server.stats.lazyfreedObjects++;
}
