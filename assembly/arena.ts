/*
 * arena.ts -- the allocator of every byte Redust keeps in WebAssembly linear memory.
 *
 * Why not AssemblyScript's managed heap: measured 2x the memory and no faster than a JS Map
 * (docs/design-notes.md). This is a small C-style allocator on top of `memory.grow`.
 *
 * Layout
 *   [0, heapStart)        static data of the module (AS data segments, memory.data regions)
 *   [heapStart, top)      blocks handed out by this arena, free blocks, bump chunks
 *   [top, memory.size)    not yet used; always zero when fresh from memory.grow
 *
 * Two kinds of blocks:
 *   - small (size <= SMALL_MAX = 32 KiB): rounded up to one of NUM_CLASSES size classes
 *     (multiples of 8 up to 256 B, then 4 classes per power of two). Each class has a LIFO free
 *     list threaded through the first 4 bytes of the free blocks. A class with an empty free list
 *     carves from the current bump chunk: CHUNK bytes taken like a large block, so a freed large
 *     block (e.g. the old table after a rehash) is reused before `top` grows.
 *   - large (> SMALL_MAX): rounded up to LARGE_ALIGN (4 KiB), carved from `top`. Freed large blocks
 *     go to an address-ordered list and are coalesced with their neighbours; a free block ending
 *     at `top` is given back to `top`. Allocation is first fit with splitting.
 *
 * Invariants
 *   - Callers pass the same `size` to free() they passed to alloc() (no per-block header: the
 *     keyspace and the skip list always know their entry sizes). A wrong size corrupts memory; the
 *     differential fuzzer is the safety net.
 *   - Every pointer returned is 8-byte aligned (large blocks 4 KiB aligned) and never 0.
 *   - `used` is the exact sum of rounded sizes of live blocks: O(1) used_memory.
 *   - Failure (the 4 GiB wasm32 cap, or the host refusing memory.grow) returns 0 and changes
 *     nothing; callers propagate 0 so the JS side can throw an OOM error. Nothing is half-done.
 *   - Memory is never returned to the host (wasm memory cannot shrink).
 *
 * Complexity: small alloc/free O(1). Large alloc/free O(number of free large blocks), which stays
 * small in practice (large blocks are hash tables, big strings and out-buffers).
 *
 * allocZeroed() returns zeroed memory and only pays for memory.fill when the block is reused:
 * fresh pages from memory.grow are zero already. This is what keeps the hash table's growth
 * step cheap (no O(n) fill of a 64 MiB bucket array).
 */

// @ts-ignore: decorator
@inline export const SMALL_MAX: u32 = 32768;
// @ts-ignore: decorator
@inline const NUM_CLASSES: u32 = 60;
// @ts-ignore: decorator
@inline const CHUNK: u32 = 1 << 20;
// @ts-ignore: decorator
@inline const LARGE_ALIGN: u32 = 4096;
// @ts-ignore: decorator
@inline const PAGE: u64 = 65536;

/** Heads of the small free lists, one u32 per class. */
const FREE_HEADS: usize = memory.data(NUM_CLASSES * 4, 8);

let heapStart: u32 = 0;
let top: u32 = 0;
let bumpPtr: u32 = 0;
let bumpEnd: u32 = 0;
/** Address-ordered singly linked list of free large blocks: [size u32][next u32] at block start. */
let largeFree: u32 = 0;
/** Bytes in live blocks (rounded sizes). */
let used: u64 = 0;
/** Everything at or above this address has never been handed out, so it is still zero. */
let zeroFrom: u32 = 0;
/** Set by alloc*: 1 when the last block came straight from never-used memory (known zero). */
let lastFresh: bool = false;
/** Whether the current bump chunk came from the top (zero) or from a freed large block. */
let bumpFresh: bool = false;

export function arenaInit(): void {
  heapStart = <u32>((__heap_base + 4095) & ~(<usize>4095));
  top = heapStart;
  bumpPtr = 0;
  bumpEnd = 0;
  bumpFresh = false;
  largeFree = 0;
  used = 0;
  zeroFrom = heapStart;
  memory.fill(FREE_HEADS, 0, NUM_CLASSES * 4);
}

/** Bytes in live blocks. f64 because it crosses the boundary (no i64 / BigInt). */
export function arenaUsed(): f64 {
  return <f64>used;
}

/**
 * The arena bytes at which used_memory reaches maxmemory (Infinity without maxmemory), set by
 * arenaSetHeadroom before each command and lane run. The keyspace table puts off a growth past it
 * (dict.ts), and a lane run stops at the first frame past it (lane.ts): that frame goes through
 * the server, which evicts first.
 */
let memLimit: f64 = Infinity;

/** maxmemory leaves `headroom` bytes now (Infinity: no maxmemory). */
export function arenaSetHeadroom(headroom: f64): void {
  memLimit = <f64>used + headroom;
}

export function arenaLimit(): f64 {
  return memLimit;
}

/** Bytes of linear memory currently reserved by the arena (heap region size). */
export function arenaFootprint(): f64 {
  return <f64>(top - heapStart);
}

// @ts-ignore: decorator
@inline function classOf(size: u32): u32 {
  if (size <= 256) return size == 0 ? 0 : ((size + 7) >> 3) - 1;
  const pow: u32 = 31 - clz(size - 1);          // 2^pow < size <= 2^(pow+1)
  const q: u32 = ((size - 1) >> (pow - 2)) & 3; // quarter of that power of two
  return 32 + (pow - 8) * 4 + q;
}

// @ts-ignore: decorator
@inline function classSize(c: u32): u32 {
  if (c < 32) return (c + 1) << 3;
  const k = c - 32;
  const pow = (k >> 2) + 8;
  return (<u32>1 << pow) + ((k & 3) + 1) * (<u32>1 << (pow - 2));
}

/** Rounded size that alloc(size) really consumes (what `used` counts). */
export function allocSize(size: u32): u32 {
  if (size <= SMALL_MAX) return classSize(classOf(size));
  return (size + LARGE_ALIGN - 1) & ~(LARGE_ALIGN - 1);
}

/** Page limit (65536 pages = the 4 GiB wasm32 cap); lowered by tests to exercise OOM paths. */
let maxPagesLimit: u32 = 65536;

/** Set the page limit (1..65536); used by tests to make OOM reachable. */
export function arenaSetMaxPages(pages: u32): void {
  maxPagesLimit = pages > 65536 ? 65536 : pages;
}

/** Make sure linear memory covers [0, end). Returns false when it cannot grow. */
function ensureMemory(end: u64): bool {
  const have: u64 = (<u64>memory.size()) * PAGE;
  if (end <= have) return true;
  if (end > (<u64>maxPagesLimit) * PAGE) return false;
  let need: u64 = (end - have + PAGE - 1) / PAGE;
  // Grow by at least 1/8 of the current size (>= 1 MiB) so views are not detached too often.
  let want: u64 = (<u64>memory.size()) >> 3;
  if (want < 16) want = 16;
  if (want < need) want = need;
  const maxPages: u64 = <u64>maxPagesLimit - <u64>memory.size();
  if (want > maxPages) want = maxPages;
  if (memory.grow(<i32>want) >= 0) return true;
  return memory.grow(<i32>need) >= 0;
}

/**
 * Take `size` bytes (multiple of LARGE_ALIGN) from the top, zeroed. 0 on failure.
 * Memory below `zeroFrom` may have been used and given back to the top: only that part is filled.
 */
function takeTop(size: u32): u32 {
  const end: u64 = <u64>top + <u64>size;
  if (!ensureMemory(end)) return 0;
  const p = top;
  top = <u32>end;
  if (p < zeroFrom) memory.fill(p, 0, (top < zeroFrom ? top : zeroFrom) - p);
  if (top > zeroFrom) zeroFrom = top;
  return p;
}

function largeAlloc(size: u32): u32 {
  // First fit in the address-ordered free list.
  let prev: u32 = 0;
  let b = largeFree;
  while (b != 0) {
    const bs = load<u32>(b);
    const next = load<u32>(b, 4);
    if (bs >= size) {
      if (bs == size) {
        if (prev == 0) largeFree = next; else store<u32>(prev, next, 4);
      } else {
        // Split: keep the tail free, hand out the head.
        const rest = b + size;
        store<u32>(rest, bs - size);
        store<u32>(rest, next, 4);
        if (prev == 0) largeFree = rest; else store<u32>(prev, rest, 4);
      }
      lastFresh = false;
      return b;
    }
    prev = b;
    b = next;
  }
  const p = takeTop(size);
  lastFresh = true;
  return p;
}

function largeFreeBlock(p: u32, size: u32): void {
  // Insert in address order, then coalesce with the next and previous neighbours.
  let prev: u32 = 0;
  let b = largeFree;
  while (b != 0 && b < p) {
    prev = b;
    b = load<u32>(b, 4);
  }
  let start = p;
  let sz = size;
  // Coalesce with next.
  if (b != 0 && p + size == b) {
    sz += load<u32>(b);
    b = load<u32>(b, 4);
  }
  // Coalesce with previous.
  if (prev != 0 && prev + load<u32>(prev) == start) {
    start = prev;
    sz += load<u32>(prev);
    // prev stays linked; find its predecessor only if we must unlink it (top case below).
    if (start + sz == top) {
      // Unlink prev: walk again from the head (rare path).
      let pp: u32 = 0;
      let x = largeFree;
      while (x != prev) { pp = x; x = load<u32>(x, 4); }
      if (pp == 0) largeFree = b; else store<u32>(pp, b, 4);
      top = start;
      return;
    }
    store<u32>(prev, sz);
    store<u32>(prev, b, 4);
    return;
  }
  if (start + sz == top) {
    // Give the block back to the top (it will be handed out again as fresh-by-fill memory).
    if (prev == 0) largeFree = b; else store<u32>(prev, b, 4);
    top = start; // takeTop re-zeroes it lazily (see zeroFrom)
    return;
  }
  store<u32>(start, sz);
  store<u32>(start, b, 4);
  if (prev == 0) largeFree = start; else store<u32>(prev, start, 4);
}

/** Allocate `size` bytes. Returns 0 when memory is exhausted. */
export function alloc(size: u32): u32 {
  if (size > SMALL_MAX) {
    const rs = (size + LARGE_ALIGN - 1) & ~(LARGE_ALIGN - 1);
    if (rs < size) return 0; // u32 overflow: size close to 4 GiB
    const p = largeAlloc(rs);
    if (p != 0) used += rs;
    return p;
  }
  const c = classOf(size);
  const cs = classSize(c);
  const headAddr = FREE_HEADS + (c << 2);
  const head = load<u32>(headAddr);
  if (head != 0) {
    store<u32>(headAddr, load<u32>(head));
    used += cs;
    lastFresh = false;
    return head;
  }
  if (bumpEnd - bumpPtr < cs) {
    // Give the unused tail of the old chunk to the free lists (largest class that fits, repeat).
    let rest = bumpEnd - bumpPtr;
    while (rest >= 8) {
      let k = classOf(rest);
      if (classSize(k) > rest) k--;
      const ks = classSize(k);
      const ha = FREE_HEADS + (k << 2);
      store<u32>(bumpPtr, load<u32>(ha));
      store<u32>(ha, bumpPtr);
      bumpPtr += ks;
      rest -= ks;
    }
    // A freed large block (an old hash table after a rehash, a big string) is reused before
    // the top grows; only a chunk from the top is known to be zero.
    const chunk = largeAlloc(CHUNK);
    if (chunk == 0) return 0;
    bumpFresh = lastFresh;
    bumpPtr = chunk;
    bumpEnd = chunk + CHUNK;
  }
  const p = bumpPtr;
  bumpPtr += cs;
  used += cs;
  lastFresh = bumpFresh;
  return p;
}

/** Allocate `size` zeroed bytes; fills only when the block is reused. 0 on failure. */
export function allocZeroed(size: u32): u32 {
  const p = alloc(size);
  if (p != 0 && !lastFresh) memory.fill(p, 0, size);
  return p;
}

/** Free a block returned by alloc(size) / allocZeroed(size), with the same size. */
export function free(p: u32, size: u32): void {
  if (p == 0) return;
  if (size > SMALL_MAX) {
    const rs = (size + LARGE_ALIGN - 1) & ~(LARGE_ALIGN - 1);
    used -= rs;
    largeFreeBlock(p, rs);
    return;
  }
  const c = classOf(size);
  used -= classSize(c);
  const headAddr = FREE_HEADS + (c << 2);
  store<u32>(p, load<u32>(headAddr));
  store<u32>(headAddr, p);
}

/**
 * memory.copy of a few bytes ([src, src + n) and [dst, dst + n) do not overlap) without its call
 * into the runtime (~15 ns, as much as the rest of writing a 16-byte skip-list member, or an LZF
 * run): 8 bytes at a time, then the tail. Reads and writes stay in range.
 */
// @ts-ignore: decorator
@inline export function copyBytes(dst: u32, src: u32, n: u32): void {
  if (n > 64) {
    memory.copy(dst, src, n);
    return;
  }
  while (n >= 8) {
    store<u64>(dst, load<u64>(src));
    dst += 8;
    src += 8;
    n -= 8;
  }
  while (n != 0) {
    store<u8>(dst, load<u8>(src));
    dst++;
    src++;
    n--;
  }
}
