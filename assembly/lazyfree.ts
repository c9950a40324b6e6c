/*
 * lazyfree.ts -- frees the collections queued by native.ts (refs dropped to 0) in bounded steps,
 * as Redis's lazyfree thread would, but on the event loop: the JS side calls ncFreeStep from the
 * engine's backgroundWork with a budget of elements, so deleting a 1M-field hash never stalls.
 *
 * State: the free queue (native.ts) and `current`, the collection being freed (its own header
 * keeps the bucket cursor). A queued collection stored again meanwhile (refs > 0) is only
 * unqueued. Complexity: O(budget) per call.
 */
import { NC_INFO, NK_MASK, NK_HASH, NK_LIST, NK_ZSET, ncDequeue, ncQueueEmpty, ncQueue, ncRef, ncUnref, ncRefs } from './native';
import { hFreeSome } from './hash';
import { sFreeSome } from './set';
import { lFreeSome } from './list';
import { znFreeSome } from './zsetpack';
import { RES } from './io';
import { R_MISC } from '../src/engine/wasm/abi';

let current: u32 = 0;

/** Free up to about `budget` elements. Returns 1 while queued work remains. */
export function ncFreeStep(budget: u32): i32 {
  while (budget > 0) {
    if (current == 0) {
      const c = ncDequeue();
      if (c == 0) break;
      if (ncRefs(c) != 0) continue;
      current = c;
    }
    const kind = load<u32>(current, NC_INFO) & NK_MASK;
    const n =
      kind == NK_HASH ? hFreeSome(current, budget) : kind == NK_LIST ? lFreeSome(current, budget) : kind == NK_ZSET ? znFreeSome(current, budget) : sFreeSome(current, budget);
    budget = n >= budget ? 0 : budget - n;
    if (load<u32>(RES, R_MISC) == 1) current = 0;
    if (budget > 0) budget--;
  }
  return current != 0 || !ncQueueEmpty() ? 1 : 0;
}

export function ncPending(): i32 {
  return current != 0 || !ncQueueEmpty() ? 1 : 0;
}

export { ncQueue, ncRef, ncUnref };
