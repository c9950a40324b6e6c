/*
 * list.ts -- Redis lists in linear memory (t_list.c / quicklist.c): a doubly linked list of
 * packed nodes.
 *
 * Header: the common 24-byte collection header (native.ts), kind NK_LIST:
 *   count = elements, p = head node, cap = sum of the nodes' block sizes, aux = tail node.
 *
 * Node (one arena block of N_CAP bytes, N_CAP = allocSize of what was asked, so free() gets it):
 *   +0 prev u32, +4 next u32, +8 cap u32, +12 start u32, +16 end u32, +20 count u32, then data.
 *   The entries live in [start, end) (offsets from the node), listpack-like, each
 *     [len, LEB128 varint][bytes][len again, varint written backwards]
 *   so a node is walked forwards and backwards (the backwards length plays listpack's backlen).
 *   Free room may sit before `start` (head pushes and head pops are O(1) amortized, no memmove)
 *   and after `end` (tail pushes). Integers are not packed: for the short elements lists hold,
 *   the saving is a byte or two per element and every read would pay a conversion.
 *
 * Invariants
 *   - Every node holds >= 1 entry; count and the header's count are exact; head.prev = 0,
 *     tail.next = 0; cap (header) = sum of node caps, so lMemory is O(1) and exact.
 *   - Node size is bounded as quicklist's _quicklistNodeAllowInsert decides it for push and
 *     insert, on the node's own bytes: list-max-listpack-size (`fill`, lSetFill) < 0 bounds the
 *     node's bytes by 4/8/16/32/64 KiB, fill >= 0 bounds the entry count by fill (0 counts as 1)
 *     and the bytes by 8 KiB; an element larger than the bound gets a node of its own. LSET rewrites in place (only the node's size changes).
 *     Redis 7.0 reports OBJECT ENCODING "quicklist" for every list (listpack lists are 7.2), so
 *     node boundaries are not observable; the RDB writer re-splits nodes with the live config.
 *   - A node's block is reallocated to the next size class when it grows and halved when its
 *     data drops below a quarter of a block larger than 256 bytes (checked by splice; a push into
 *     free room at a node's edge writes in place and keeps the block).
 *
 * Compression (list-compress-depth, quicklist.c's __quicklistCompress): with depth d > 0, after
 * every operation the d nodes at each end are raw and the nodes between them are LZF-compressed
 * (lzf.ts) when they hold at least 48 bytes and compression saves more than 8 (a node that does
 * not compress is marked N_TRIED in its cap word until its data changes). A compressed node is
 * its own block: the header with start = 0 (the mark: a raw node's start is >= N_HDR), end =
 * N_HDR + 4 + compressed length, the same count, then the raw data length (u32) and the LZF
 * bytes; node counts stay exact, so walks by count never decompress. Read-only walks (LINDEX,
 * LRANGE, LPOS, LREM's search, the RDB writer) read a compressed node through a decompressed copy
 * (readable: dBuf); writes decompress the node in place (ensureRaw) and settle() compresses what
 * left the ends again. Every function here accepts a compressed node anywhere (a lowered depth
 * leaves compressed nodes, decompressed as operations reach them). Each list keeps the depth in
 * force when it was created, as Redis's quicklistCreate.
 *
 * Calls take their bytes at the scratch region; results go to RES (R_PTR/R_LEN: an element) or
 * to the out buffer (records [u32 len][bytes], or RESP bulk strings for replies).
 *
 * Complexity: push/pop O(1) amortized (plus the element copy); index, LSET, LINSERT O(n / node
 * entries + node entries); LRANGE O(start / node entries + returned); LREM, LPOS O(n);
 * LTRIM O(removed nodes + node entries); free O(nodes) in bounded steps (lazyfree.ts). With
 * compression: + O(depth) and one node's LZF when a push, pop or LTRIM links or drops a node, +
 * O(nodes) headers and the LZF of what they decompressed for LSET, LINSERT and LREM; reads pay
 * the decompression of each compressed node they cross.
 */
import { alloc, free, allocSize } from './arena';
import { lzfCompress, lzfDecompress } from './lzf';
import { bytesEq } from './dict';
import { dbFindNative } from './keyspace';
import { RES, outReserve, outCommit, outReset, getScratch, serviceAlloc, serviceFree } from './io';
import { NC_BYTES, NC_INFO, NC_COUNT, NC_P, NC_CAP, NC_AUX, NK_LIST, ncAllocHeader, outBulk } from './native';
import { R_PTR, R_LEN, R_MISC } from '../src/engine/wasm/abi';

const N_PREV: u32 = 0;
const N_NEXT: u32 = 4;
const N_CAP: u32 = 8;
const N_START: u32 = 12;
const N_END: u32 = 16;
const N_COUNT: u32 = 20;
const N_HDR: u32 = 24;
const SAFETY_LIMIT: u32 = 8192;
/** The cap word's top bit: compression was tried and did not pay (cleared when the data changes). */
const N_TRIED: u32 = 0x80000000;

// @ts-ignore: decorator
@inline function capOf(n: u32): u32 { return load<u32>(n, N_CAP) & ~N_TRIED; }

// @ts-ignore: decorator
@inline function isCompressed(n: u32): bool { return load<u32>(n, N_START) == 0; }

/** Node n's data changed: compression may pay again. */
// @ts-ignore: decorator
@inline function untried(n: u32): void { store<u32>(n, load<u32>(n, N_CAP) & ~N_TRIED, N_CAP); }

/** list-max-listpack-size in force (lSetFill). */
let listFill: i32 = -2;

export function lSetFill(fill: i32): void {
  listFill = fill < -5 ? -5 : fill > 32768 ? 32768 : fill;
}

// -- entries --------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function varLen(n: u32): u32 {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

// @ts-ignore: decorator
@inline function entrySize(l: u32): u32 {
  return l + 2 * varLen(l);
}

/** Write the entry for `len` bytes at p (forward length, bytes from src, backward length). */
function putEntry(p: u32, src: u32, len: u32): void {
  const k = varLen(len);
  let n = len;
  for (let i: u32 = 0; i < k; i++) {
    store<u8>(p + i, <u8>((n & 0x7f) | (i + 1 < k ? 0x80 : 0)));
    n >>= 7;
  }
  memory.copy(p + k, src, len);
  // Backwards: the low group at the last byte, continuation bits on the bytes read before others.
  const q = p + k + len;
  n = len;
  for (let i: u32 = 0; i < k; i++) {
    store<u8>(q + k - 1 - i, <u8>((n & 0x7f) | (i + 1 < k ? 0x80 : 0)));
    n >>= 7;
  }
}

/** Set by fwd / back: element length and the address of its bytes. */
let eLen: u32 = 0;
let eData: u32 = 0;

/** Read the entry starting at address p; returns its total size. */
function fwd(p: u32): u32 {
  let b = <u32>load<u8>(p);
  if (b < 0x80) {
    eLen = b;
    eData = p + 1;
    return b + 2;
  }
  let n: u32 = b & 0x7f;
  let s: u32 = 7;
  let k: u32 = 1;
  do {
    b = <u32>load<u8>(p + k);
    n |= (b & 0x7f) << s;
    s += 7;
    k++;
  } while (b >= 0x80);
  eLen = n;
  eData = p + k;
  return n + 2 * k;
}

/** Read the entry ending at address e (exclusive); returns its total size. */
function back(e: u32): u32 {
  let b = <u32>load<u8>(e - 1);
  if (b < 0x80) {
    eLen = b;
    eData = e - 1 - b;
    return b + 2;
  }
  let n: u32 = b & 0x7f;
  let s: u32 = 7;
  let k: u32 = 1;
  do {
    b = <u32>load<u8>(e - 1 - k);
    n |= (b & 0x7f) << s;
    s += 7;
    k++;
  } while (b >= 0x80);
  eLen = n;
  eData = e - k - n;
  return n + 2 * k;
}

// -- nodes ----------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function nUsed(n: u32): u32 { return load<u32>(n, N_END) - load<u32>(n, N_START); }

/**
 * _quicklistNodeAllowInsert for an element of `len` bytes, on this node's own bytes (header and
 * entries, whose 2-byte overhead for short elements is a listpack entry's): a node at the size
 * limit then fills its arena class exactly (8 KiB is a class) instead of spilling into the next.
 */
function allowInsert(n: u32, len: u32): bool {
  const newSz = N_HDR + rawUsed(n) + entrySize(len);
  if (listFill < 0) return newSz <= (<u32>4096 << <u32>(-listFill - 1));
  return newSz <= SAFETY_LIMIT && <i32>load<u32>(n, N_COUNT) < (listFill == 0 ? 1 : listFill);
}

// @ts-ignore: decorator
@inline function addCap(c: u32, d: i32): void {
  store<u32>(c, <u32>(<i32>load<u32>(c, NC_CAP) + d), NC_CAP);
}

/** Link node m in place of node n (same neighbours). */
function relink(c: u32, n: u32, m: u32): void {
  const prev = load<u32>(n, N_PREV);
  const next = load<u32>(n, N_NEXT);
  store<u32>(m, prev, N_PREV);
  store<u32>(m, next, N_NEXT);
  if (prev != 0) store<u32>(prev, m, N_NEXT); else store<u32>(c, m, NC_P);
  if (next != 0) store<u32>(next, m, N_PREV); else store<u32>(c, m, NC_AUX);
}

/** A new empty node with room for `bytes`, data region at its start (or at its end: atEnd). 0 on OOM. */
function nodeNew(c: u32, bytes: u32, atEnd: bool): u32 {
  const cap = allocSize(N_HDR + bytes);
  const n = alloc(cap);
  if (n == 0) return 0;
  store<u32>(n, 0, N_PREV);
  store<u32>(n, 0, N_NEXT);
  store<u32>(n, cap, N_CAP);
  const at = atEnd ? cap : N_HDR;
  store<u32>(n, at, N_START);
  store<u32>(n, at, N_END);
  store<u32>(n, 0, N_COUNT);
  addCap(c, <i32>cap);
  return n;
}

/** Link n after `after` (0: as the new head). */
function linkAfter(c: u32, after: u32, n: u32): void {
  linksChanged = true;
  const next = after != 0 ? load<u32>(after, N_NEXT) : load<u32>(c, NC_P);
  store<u32>(n, after, N_PREV);
  store<u32>(n, next, N_NEXT);
  if (after != 0) store<u32>(after, n, N_NEXT); else store<u32>(c, n, NC_P);
  if (next != 0) store<u32>(next, n, N_PREV); else store<u32>(c, n, NC_AUX);
}

/** Unlink and free node n. */
function nodeDrop(c: u32, n: u32): void {
  linksChanged = true;
  const prev = load<u32>(n, N_PREV);
  const next = load<u32>(n, N_NEXT);
  if (prev != 0) store<u32>(prev, next, N_NEXT); else store<u32>(c, next, NC_P);
  if (next != 0) store<u32>(next, prev, N_PREV); else store<u32>(c, prev, NC_AUX);
  const cap = capOf(n);
  addCap(c, -<i32>cap);
  free(n, cap);
}

// -- compression (list-compress-depth) ------------------------------------------------------

/**
 * list-compress-depth in force (lSetCompress), given to the lists created from now on: as in
 * Redis (quicklistCreate), each list keeps the depth it was created with, in its info word's top
 * byte (native.ts; a depth of 255 or more is kept as 255).
 */
let compressDepth: u32 = 0;
const DEPTH_SHIFT: u32 = 24;

/** The list's own compress depth: the nodes this far from either end stay raw. */
// @ts-ignore: decorator
@inline function depthOf(c: u32): u32 { return load<u32>(c, NC_INFO) >>> DEPTH_SHIFT; }

/** Export of depthOf (DEBUG OBJECT's ql_compressed). */
export function lCompressDepth(c: u32): u32 {
  return depthOf(c);
}
/** Some node was compressed in this process: the operations at the ends check their node. */
let anyCompressed: bool = false;
/** Since the last settle: a node was linked or dropped; a node was decompressed in place. */
let linksChanged: bool = false;
let decompressed: bool = false;
/** quicklist.c's MIN_COMPRESS_BYTES and MIN_COMPRESS_IMPROVE. */
const MIN_COMPRESS_BYTES: u32 = 48;
const MIN_COMPRESS_IMPROVE: u32 = 8;
/** Scratch blocks past this size are given back once a smaller one does. */
const SCRATCH_KEEP: u32 = 1 << 20;

export function lSetCompress(depth: u32): void {
  compressDepth = depth;
}

/** A node's data bytes, decompressed. */
function rawUsed(n: u32): u32 {
  return isCompressed(n) ? load<u32>(n, N_HDR) : load<u32>(n, N_END) - load<u32>(n, N_START);
}

/** The compressor's output block (cBuf) and the read-only decompressed copy of a node (dBuf): working blocks (io.ts serviceAlloc). */
let cBuf: u32 = 0;
let cBufCap: u32 = 0;
let dBuf: u32 = 0;
let dBufCap: u32 = 0;

/** workBlock's size of the block it returned. */
let blockCap: u32 = 0;

/**
 * A working block of at least `bytes`: the block at p (cap bytes) when it is big enough and not
 * an oversized one kept past its use, else a new one (p freed). 0 on OOM; its size in blockCap.
 */
function workBlock(p: u32, cap: u32, bytes: u32): u32 {
  if (p != 0 && cap >= bytes && (cap <= SCRATCH_KEEP || bytes > SCRATCH_KEEP)) {
    blockCap = cap;
    return p;
  }
  if (p != 0) serviceFree(p, cap);
  blockCap = allocSize(bytes);
  const q = serviceAlloc(blockCap);
  if (q == 0) blockCap = 0;
  return q;
}

function cBufFor(bytes: u32): bool {
  cBuf = workBlock(cBuf, cBufCap, bytes);
  cBufCap = blockCap;
  return cBuf != 0;
}

function dBufFor(bytes: u32): u32 {
  dBuf = workBlock(dBuf, dBufCap, bytes);
  dBufCap = blockCap;
  return dBuf;
}

/** Compressed node n's data, decompressed to [dst, dst + raw length). */
function inflate(n: u32, dst: u32): void {
  const raw = load<u32>(n, N_HDR);
  // (compressNode wrote these bytes: they decompress to exactly raw bytes)
  lzfDecompress(n + N_HDR + 4, n + load<u32>(n, N_END), dst, raw);
}

/**
 * Node n as the read-only walks see it: n itself when raw, else a copy in dBuf with n's links
 * and count and its data decompressed at N_HDR (the offsets n will have once made raw), valid
 * until the next call. 0 on OOM.
 */
function readable(n: u32): u32 {
  if (!isCompressed(n)) return n;
  const raw = load<u32>(n, N_HDR);
  const d = dBufFor(N_HDR + raw);
  if (d == 0) return 0;
  store<u32>(d, load<u32>(n, N_PREV), N_PREV);
  store<u32>(d, load<u32>(n, N_NEXT), N_NEXT);
  store<u32>(d, dBufCap, N_CAP);
  store<u32>(d, N_HDR, N_START);
  store<u32>(d, N_HDR + raw, N_END);
  store<u32>(d, load<u32>(n, N_COUNT), N_COUNT);
  inflate(n, d + N_HDR);
  return d;
}

/** lNodeView for the RDB writer (rdbsave.ts): readable(n). */
export function lNodeView(n: u32): u32 {
  return readable(n);
}

/** Node n made raw: a new block, decompressed, linked in its stead (n itself when raw). 0 on OOM, n unchanged. */
function ensureRaw(c: u32, n: u32): u32 {
  if (!isCompressed(n)) return n;
  const raw = load<u32>(n, N_HDR);
  const cap = allocSize(N_HDR + raw);
  const m = alloc(cap);
  if (m == 0) return 0;
  inflate(n, m + N_HDR);
  store<u32>(m, cap, N_CAP);
  store<u32>(m, N_HDR, N_START);
  store<u32>(m, N_HDR + raw, N_END);
  store<u32>(m, load<u32>(n, N_COUNT), N_COUNT);
  const ocap = capOf(n);
  relink(c, n, m);
  addCap(c, <i32>cap - <i32>ocap);
  free(n, ocap);
  decompressed = true;
  return m;
}

/**
 * __quicklistCompressNode: raw node n replaced by its compressed block when it holds at least
 * 48 bytes and LZF saves more than 8; otherwise it stays raw, marked N_TRIED.
 */
function compressNode(c: u32, n: u32): void {
  const word = load<u32>(n, N_CAP);
  if (isCompressed(n) || (word & N_TRIED) != 0) return;
  const start = load<u32>(n, N_START);
  const raw = load<u32>(n, N_END) - start;
  if (raw < MIN_COMPRESS_BYTES) {
    store<u32>(n, word | N_TRIED, N_CAP);
    return;
  }
  if (!cBufFor(raw)) return; // (OOM: the node stays raw, only an economy lost)
  const clen = lzfCompress(n + start, raw, cBuf, raw);
  if (clen == 0 || clen + MIN_COMPRESS_IMPROVE >= raw) {
    store<u32>(n, word | N_TRIED, N_CAP);
    return;
  }
  const cap = allocSize(N_HDR + 4 + clen);
  const m = alloc(cap);
  if (m == 0) return;
  store<u32>(m, cap, N_CAP);
  store<u32>(m, 0, N_START);
  store<u32>(m, N_HDR + 4 + clen, N_END);
  store<u32>(m, load<u32>(n, N_COUNT), N_COUNT);
  store<u32>(m, raw, N_HDR);
  memory.copy(m + N_HDR + 4, cBuf, clen);
  relink(c, n, m);
  addCap(c, <i32>cap - <i32>word);
  free(n, word);
  anyCompressed = true;
}

/**
 * After an operation (quicklistCompress): the list's depth of nodes at each end raw, the node
 * after them on each side compressed. `interior`: the operation may have decompressed or linked
 * nodes anywhere (LSET, LINSERT, LREM): every node is put right (O(nodes), as the operation's
 * own walk).
 */
function settle(c: u32, interior: bool): void {
  const depth = depthOf(c);
  if (depth != 0 && (linksChanged || decompressed)) {
    if (interior) settleAll(c, depth);
    else settleEnds(c, depth);
  }
  linksChanged = false;
  decompressed = false;
}

function settleEnds(c: u32, compressDepth: u32): void {
  let f = load<u32>(c, NC_P);
  let r = load<u32>(c, NC_AUX);
  if (f == 0) return;
  for (let depth: u32 = 0; depth < compressDepth; depth++) {
    const same = f == r;
    f = ensureRaw(c, f);
    if (f == 0) return; // (OOM: the ends make their node raw when they need it)
    if (same) return;
    r = ensureRaw(c, r);
    if (r == 0 || load<u32>(f, N_NEXT) == r) return;
    f = load<u32>(f, N_NEXT);
    r = load<u32>(r, N_PREV);
  }
  // (f and r: the first nodes past the depth on each side, the same node in the middle of an odd count)
  const same = f == r;
  compressNode(c, f);
  if (!same) compressNode(c, r);
}

function settleAll(c: u32, compressDepth: u32): void {
  let len: u32 = 0;
  let n = load<u32>(c, NC_P);
  while (n != 0) {
    len++;
    n = load<u32>(n, N_NEXT);
  }
  let i: u32 = 0;
  n = load<u32>(c, NC_P);
  while (n != 0) {
    const next = load<u32>(n, N_NEXT);
    if (i < compressDepth || i >= len - (len < compressDepth ? len : compressDepth)) {
      if (ensureRaw(c, n) == 0) return;
    } else compressNode(c, n);
    i++;
    n = next;
  }
}

/** The head (where 0) or tail node, made raw if a lowered depth left it compressed; 0 when the list is empty or on OOM. */
function endNode(c: u32, where: u32): u32 {
  const n = where == 0 ? load<u32>(c, NC_P) : load<u32>(c, NC_AUX);
  if (n == 0 || !anyCompressed) return n;
  return ensureRaw(c, n);
}

/** Where splice left the hole (offset in the node it returned). */
let spliceAt: u32 = 0;

/**
 * Replace node bytes [off, off + del) by a hole of `ins` bytes (offsets from the node). Returns
 * the node (moved when its block was reallocated; 0 on OOM, nothing changed) with the hole at
 * spliceAt. Entry counts are the caller's.
 */
function splice(c: u32, n: u32, off: u32, del: u32, ins: u32): u32 {
  untried(n);
  const start = load<u32>(n, N_START);
  const end = load<u32>(n, N_END);
  const cap = capOf(n);
  const nu = end - start - del + ins;
  const left = off - start;
  const right = end - off - del;
  const fits = N_HDR + nu <= cap;
  const ncap = allocSize(N_HDR + nu);
  let m: u32 = 0;
  if (!fits || (cap > 256 && ncap <= (cap >> 1))) {
    m = alloc(ncap);
    if (m == 0 && !fits) return 0; // (a failed shrink is only a lost economy: splice in place)
  }
  if (m == 0) {
    if (ins <= del) {
      // Shrinking in place: move the smaller side.
      const d = del - ins;
      if (left <= right) {
        memory.copy(n + start + d, n + start, left);
        store<u32>(n, start + d, N_START);
        spliceAt = off + d;
      } else {
        memory.copy(n + off + ins, n + off + del, right);
        store<u32>(n, end - d, N_END);
        spliceAt = off;
      }
      return n;
    }
    const g = ins - del;
    const roomL = start - N_HDR;
    const roomR = cap - end;
    if (roomL >= g && (roomR < g || left <= right)) {
      memory.copy(n + start - g, n + start, left);
      store<u32>(n, start - g, N_START);
      spliceAt = off - g;
      return n;
    }
    if (roomR >= g) {
      memory.copy(n + off + ins, n + off + del, right);
      store<u32>(n, end + g, N_END);
      spliceAt = off;
      return n;
    }
    // Room on neither side alone: recentre the data.
    const ns = N_HDR + ((cap - N_HDR - nu) >> 1);
    if (ns < start) {
      memory.copy(n + ns, n + start, left);
      memory.copy(n + ns + left + ins, n + off + del, right);
    } else {
      memory.copy(n + ns + left + ins, n + off + del, right);
      memory.copy(n + ns, n + start, left);
    }
    store<u32>(n, ns, N_START);
    store<u32>(n, ns + nu, N_END);
    spliceAt = ns + left;
    return n;
  }
  // A head operation leaves the slack in front, anything else behind.
  const ns = off == start ? ncap - nu : N_HDR;
  memory.copy(m + ns, n + start, left);
  memory.copy(m + ns + left + ins, n + off + del, right);
  store<u32>(m, ncap, N_CAP);
  store<u32>(m, ns, N_START);
  store<u32>(m, ns + nu, N_END);
  store<u32>(m, load<u32>(n, N_COUNT), N_COUNT);
  relink(c, n, m);
  addCap(c, <i32>ncap - <i32>cap);
  free(n, cap);
  spliceAt = ns + left;
  return m;
}

/** Delete the entry at node offset off (size sz); drops the node when it empties. */
function delEntry(c: u32, n: u32, off: u32, sz: u32): void {
  const cnt = load<u32>(n, N_COUNT) - 1;
  store<u32>(c, load<u32>(c, NC_COUNT) - 1, NC_COUNT);
  if (cnt == 0) {
    nodeDrop(c, n);
    return;
  }
  store<u32>(n, cnt, N_COUNT);
  splice(c, n, off, sz, 0); // a pure removal never fails (it falls back to in place)
}

/**
 * Add the element [src, src+len) as a new entry at offset off of node n (n may be 0 with
 * off ignored, for an empty list). `where`: 0 the entry goes before node n's data at off,
 * used to choose neighbours at the node's edges. Returns false on OOM (nothing changed).
 */
function insertAt(c: u32, n: u32, off: u32, src: u32, len: u32): bool {
  const sz = entrySize(len);
  if (n == 0) {
    // The room lReserve asked for, when this push starts a reserved run (at the end for head pushes).
    const room = firstNodeBytes > sz ? firstNodeBytes : sz;
    const atEnd = firstNodeBytes > sz && firstNodeAtEnd;
    firstNodeBytes = 0;
    const m = nodeNew(c, room, atEnd);
    if (m == 0) return false;
    const at = atEnd ? capOf(m) - sz : N_HDR;
    putEntry(m + at, src, len);
    store<u32>(m, at, N_START);
    store<u32>(m, at + sz, N_END);
    store<u32>(m, 1, N_COUNT);
    linkAfter(c, 0, m);
    store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
    return true;
  }
  let target = n;
  let at = off;
  const allowed = allowInsert(n, len);
  if (allowed) {
    // A push into free room at the node's edge (the usual LPUSH/RPUSH): no splice, no move.
    const start = load<u32>(n, N_START);
    const end = load<u32>(n, N_END);
    let e: u32 = 0;
    if (off == start && start - N_HDR >= sz) {
      e = start - sz;
      store<u32>(n, e, N_START);
    } else if (off == end && capOf(n) - end >= sz) {
      e = end;
      store<u32>(n, end + sz, N_END);
    }
    if (e != 0) {
      untried(n);
      putEntry(n + e, src, len);
      store<u32>(n, load<u32>(n, N_COUNT) + 1, N_COUNT);
      store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
      return true;
    }
  }
  if (!allowed) {
    const start = load<u32>(n, N_START);
    const end = load<u32>(n, N_END);
    if (off == start) {
      // Before the node: the previous node's tail, or a new node.
      const prev = load<u32>(n, N_PREV);
      if (prev != 0 && allowInsert(prev, len)) {
        target = ensureRaw(c, prev);
        if (target == 0) return false;
        at = load<u32>(target, N_END);
      } else {
        const m = nodeNew(c, sz, true);
        if (m == 0) return false;
        linkAfter(c, prev, m);
        target = m;
        at = load<u32>(m, N_START);
      }
    } else if (off == end) {
      const next = load<u32>(n, N_NEXT);
      if (next != 0 && allowInsert(next, len)) {
        target = ensureRaw(c, next);
        if (target == 0) return false;
        at = load<u32>(target, N_START);
      } else {
        const m = nodeNew(c, sz, false);
        if (m == 0) return false;
        linkAfter(c, n, m);
        target = m;
        at = N_HDR;
      }
    } else {
      // Split n at off: [off, end) moves to a new node after n; the element goes at n's end.
      const tailBytes = end - off;
      const m = nodeNew(c, tailBytes, false);
      if (m == 0) return false;
      memory.copy(m + N_HDR, n + off, tailBytes);
      store<u32>(m, N_HDR + tailBytes, N_END);
      let moved: u32 = 0;
      let p = off;
      while (p < end) { p += fwd(n + p); moved++; }
      store<u32>(m, moved, N_COUNT);
      store<u32>(n, load<u32>(n, N_COUNT) - moved, N_COUNT);
      store<u32>(n, off, N_END);
      linkAfter(c, n, m);
      return insertAt(c, n, off, src, len);
    }
  }
  const t = splice(c, target, at, 0, sz);
  if (t == 0) return false;
  putEntry(t + spliceAt, src, len);
  store<u32>(t, load<u32>(t, N_COUNT) + 1, N_COUNT);
  store<u32>(c, load<u32>(c, NC_COUNT) + 1, NC_COUNT);
  return true;
}

/**
 * Set by locate: the node holding an index as the read-only walks see it (readable: 0 on OOM), its
 * entry offset (the same in the node once made raw), and the node itself.
 */
let locNode: u32 = 0;
let locOff: u32 = 0;
let locReal: u32 = 0;

/** Find element `index` (0 <= index < count), from the nearer end. */
function locate(c: u32, index: u32): void {
  const count = load<u32>(c, NC_COUNT);
  if (index < (count >> 1)) {
    let n = load<u32>(c, NC_P);
    let i = index;
    while (i >= load<u32>(n, N_COUNT)) {
      i -= load<u32>(n, N_COUNT);
      n = load<u32>(n, N_NEXT);
    }
    locReal = n;
    n = readable(n);
    locNode = n;
    if (n == 0) return;
    let off = load<u32>(n, N_START);
    while (i > 0) { off += fwd(n + off); i--; }
    locOff = off;
    return;
  }
  let n = load<u32>(c, NC_AUX);
  let i = count - 1 - index; // from the tail
  while (i >= load<u32>(n, N_COUNT)) {
    i -= load<u32>(n, N_COUNT);
    n = load<u32>(n, N_PREV);
  }
  locReal = n;
  n = readable(n);
  locNode = n;
  if (n == 0) return;
  let e = load<u32>(n, N_END);
  e -= back(n + e);
  while (i > 0) { e -= back(n + e); i--; }
  locOff = e;
}

// -- output ---------------------------------------------------------------------------------

let outOom: bool = false;

function emit(p: u32, len: u32, resp: u32): void {
  if (resp != 0) {
    if (!outBulk(p, len)) outOom = true;
    return;
  }
  const w = outReserve(4 + len);
  if (w == 0) { outOom = true; return; }
  store<u32>(w, len);
  memory.copy(w + 4, p, len);
  outCommit(4 + len);
}

// -- exports --------------------------------------------------------------------------------

export function lCreate(): u32 {
  const c = ncAllocHeader(NK_LIST);
  if (c != 0) store<u32>(c, load<u32>(c, NC_INFO) | (min(compressDepth, 255) << DEPTH_SHIFT), NC_INFO);
  return c;
}

/** Bytes held in linear memory (header and nodes). */
export function lMemory(c: u32): f64 {
  return <f64>allocSize(NC_BYTES) + <f64>load<u32>(c, NC_CAP);
}

/**
 * LPUSH (where 0) / RPUSH (where 1) of `n` elements given as records [u32 len][bytes] at the
 * scratch region, in order. Returns the new length, -1 on OOM (nothing pushed: the elements this
 * call had pushed are removed again).
 */
export function lPush(c: u32, where: u32, n: u32): i32 {
  return pushRecords(c, where, getScratch(), n);
}

/**
 * LPUSH/RPUSH in one crossing with the key's lookup: the key (klen bytes) at the scratch region,
 * then `n` records as lPush takes them. Returns the new length, -1 on OOM (as lPush), or -2 with
 * nothing changed when the key does not hold a list in linear memory (keyspace.ts dbFindNative:
 * the caller takes the general path).
 */
export function dbListPush(db: u32, klen: u32, now: f64, where: u32, n: u32): i32 {
  const c = dbFindNative(db, klen, now, NK_LIST);
  if (c == 0) return -2;
  return pushRecords(c, where, getScratch() + klen, n);
}

/**
 * LPOP/RPOP of one element in one crossing with the key's lookup (key at the scratch region): the
 * element goes to the out buffer as a RESP bulk string. Returns the elements left (the caller
 * deletes the key at 0), -1 on out-buffer OOM (as lPop), or -2 with nothing changed when the key
 * does not hold a non-empty list in linear memory.
 */
export function dbListPop(db: u32, klen: u32, now: f64, where: u32): i32 {
  const c = dbFindNative(db, klen, now, NK_LIST);
  if (c == 0 || load<u32>(c, NC_COUNT) == 0) return -2;
  if (lPop(c, where, 1, 1) < 0) return -1;
  return <i32>load<u32>(c, NC_COUNT);
}

function pushRecords(c: u32, where: u32, p: u32, n: u32): i32 {
  if (n > 1) {
    let bytes: u32 = 0;
    let q = p;
    for (let i: u32 = 0; i < n; i++) {
      const len = load<u32>(q);
      bytes += entrySize(len);
      q += 4 + len;
    }
    if (!lReserve(c, where, bytes)) return -1;
  }
  const r = pushRecordsEach(c, where, p, n);
  lReserveDone();
  return r;
}

function pushRecordsEach(c: u32, where: u32, p: u32, n: u32): i32 {
  for (let i: u32 = 0; i < n; i++) {
    const len = load<u32>(p);
    const src = p + 4;
    p = src + len;
    if (!lPushAt(c, where, src, len)) {
      lUnpush(c, where, i);
      return -1;
    }
  }
  return <i32>load<u32>(c, NC_COUNT);
}

/** Push [src, src + len) at the head (where 0) or tail (1): false on OOM (nothing pushed). */
export function lPushAt(c: u32, where: u32, src: u32, len: u32): bool {
  const n = endNode(c, where);
  if (n == 0 && load<u32>(c, NC_P) != 0) return false;
  const ok = insertAt(c, n, n == 0 ? 0 : where == 0 ? load<u32>(n, N_START) : load<u32>(n, N_END), src, len);
  // (a push that linked a node moves one past the depth: quicklistCompress)
  if (linksChanged || decompressed) settle(c, false);
  return ok;
}

/**
 * Take back the last k pushes at that end (a multi-element push is all or nothing: after an OOM
 * part-way, the elements it pushed are removed; removals cannot fail).
 */
export function lUnpush(c: u32, where: u32, k: u32): void {
  // (the nodes it pushed into are raw: the ends)
  for (let j: u32 = 0; j < k; j++) {
    if (where == 0) {
      const h = load<u32>(c, NC_P);
      const off = load<u32>(h, N_START);
      delEntry(c, h, off, fwd(h + off));
    } else {
      const t = load<u32>(c, NC_AUX);
      const end = load<u32>(t, N_END);
      const sz = back(t + end);
      delEntry(c, t, end - sz, sz);
    }
  }
  settle(c, false);
}

/**
 * Pop up to `count` elements from the head (where 0) or tail (1) into the out buffer, as records
 * (resp 0) or RESP bulk strings (resp 1). Returns the number popped; -1 on out-buffer OOM (the
 * popped elements up to then are gone, as written).
 */
export function lPop(c: u32, where: u32, count: u32, resp: u32): i32 {
  outReset();
  return lPopAppend(c, where, count, resp);
}

/** lPop appending to what the out buffer holds (the fast lane's replies, assembly/lane.ts). */
export function lPopAppend(c: u32, where: u32, count: u32, resp: u32): i32 {
  outOom = false;
  let k: u32 = 0;
  while (k < count && load<u32>(c, NC_COUNT) > 0) {
    const n = endNode(c, where);
    if (n == 0) {
      settle(c, false);
      return -1;
    }
    if (where == 0) {
      const off = load<u32>(n, N_START);
      const sz = fwd(n + off);
      emit(eData, eLen, resp);
      if (outOom) break;
      delEntry(c, n, off, sz);
    } else {
      const end = load<u32>(n, N_END);
      const sz = back(n + end);
      emit(eData, eLen, resp);
      if (outOom) break;
      delEntry(c, n, end - sz, sz);
    }
    k++;
  }
  settle(c, false);
  return outOom ? -1 : <i32>k;
}

/** LINDEX: element `index` (negative from the tail) in RES ptr/len; 0 when out of range, -1 on OOM. */
export function lIndex(c: u32, index: f64): i32 {
  const count = <f64>load<u32>(c, NC_COUNT);
  if (index < 0) index += count;
  if (index < 0 || index >= count) return 0;
  locate(c, <u32>index);
  if (locNode == 0) return -1;
  fwd(locNode + locOff);
  store<u32>(RES, eData, R_PTR);
  store<u32>(RES, eLen, R_LEN);
  return 1;
}

/** LSET of a valid index to scratch[0, len). 1 done, -1 OOM (unchanged). */
export function lSet(c: u32, index: u32, len: u32): i32 {
  locate(c, index);
  const n = locNode == 0 ? 0 : ensureRaw(c, locReal);
  if (n == 0) return -1;
  const osz = fwd(n + locOff);
  const nsz = entrySize(len);
  const t = splice(c, n, locOff, osz, nsz);
  if (t != 0) putEntry(t + spliceAt, getScratch(), len);
  settle(c, true);
  return t == 0 ? -1 : 1;
}

/**
 * Elements [start, stop] (valid, inclusive) into the out buffer as records (resp 0) or RESP bulk
 * strings (resp 1). Returns the number written, -1 on out-buffer OOM.
 */
export function lRange(c: u32, start: u32, stop: u32, resp: u32): i32 {
  outReset();
  outOom = false;
  const count = load<u32>(c, NC_COUNT);
  if (count == 0 || start > stop || start >= count) return 0;
  if (stop >= count) stop = count - 1;
  locate(c, start);
  let n = locNode;
  if (n == 0) return -1;
  let off = locOff;
  let k: u32 = 0;
  const want = stop - start + 1;
  while (k < want) {
    if (off >= load<u32>(n, N_END)) {
      n = readable(load<u32>(n, N_NEXT));
      if (n == 0) return -1;
      off = load<u32>(n, N_START);
    }
    off += fwd(n + off);
    emit(eData, eLen, resp);
    if (outOom) return -1;
    k++;
  }
  return <i32>k;
}

/**
 * LINSERT: scratch holds pivot [0, plen) then the element [plen, plen + vlen). Inserts before
 * (after = 0) or after the first element equal to the pivot. New length; -1 no pivot; -2 OOM.
 */
export function lInsert(c: u32, plen: u32, vlen: u32, after: u32): i32 {
  const pv = getScratch();
  let n = load<u32>(c, NC_P);
  while (n != 0) {
    const v = readable(n);
    if (v == 0) return -2;
    let off = load<u32>(v, N_START);
    const end = load<u32>(v, N_END);
    while (off < end) {
      const sz = fwd(v + off);
      if (eLen == plen && bytesEq(eData, pv, plen)) {
        const t = ensureRaw(c, n);
        const ok = t != 0 && insertAt(c, t, after != 0 ? off + sz : off, pv + plen, vlen);
        settle(c, true);
        return ok ? <i32>load<u32>(c, NC_COUNT) : -2;
      }
      off += sz;
    }
    n = load<u32>(v, N_NEXT);
  }
  return -1;
}

/**
 * LREM of scratch[0, len): count > 0 removes the first `count` matches, < 0 the last -count,
 * 0 all. Each node is compacted in one pass (a compressed one only when it holds a match).
 * Returns the number removed, -1 on OOM (the nodes before it done).
 */
export function lRemove(c: u32, len: u32, count: f64): f64 {
  const v = getScratch();
  let skip: f64 = 0; // matches to keep before removing
  let quota: f64 = count == 0 ? Infinity : Math.abs(count);
  if (count < 0) {
    let total: f64 = 0;
    let n = load<u32>(c, NC_P);
    while (n != 0) {
      const r = readable(n);
      if (r == 0) return -1;
      let off = load<u32>(r, N_START);
      const end = load<u32>(r, N_END);
      while (off < end) {
        off += fwd(r + off);
        if (eLen == len && bytesEq(eData, v, len)) total++;
      }
      n = load<u32>(r, N_NEXT);
    }
    if (total > quota) skip = total - quota;
  }
  let removed: f64 = 0;
  let n = load<u32>(c, NC_P);
  while (n != 0 && quota > 0) {
    const next = load<u32>(n, N_NEXT);
    if (isCompressed(n)) {
      if (!holds(n, v, len)) {
        n = next;
        continue;
      }
      n = ensureRaw(c, n);
      if (n == 0) {
        settle(c, true);
        return -1;
      }
    }
    const start = load<u32>(n, N_START);
    const end = load<u32>(n, N_END);
    let r = start;
    let w = start;
    let gone: u32 = 0;
    while (r < end) {
      const sz = fwd(n + r);
      let drop = false;
      if (quota > 0 && eLen == len && bytesEq(eData, v, len)) {
        if (skip > 0) skip--;
        else { drop = true; quota--; }
      }
      if (drop) gone++;
      else {
        if (w != r) memory.copy(n + w, n + r, sz);
        w += sz;
      }
      r += sz;
    }
    if (gone > 0) {
      removed += <f64>gone;
      store<u32>(c, load<u32>(c, NC_COUNT) - gone, NC_COUNT);
      const cnt = load<u32>(n, N_COUNT) - gone;
      if (cnt == 0) nodeDrop(c, n);
      else {
        store<u32>(n, cnt, N_COUNT);
        // Close the gap at the end through splice (which also shrinks the block if it pays).
        splice(c, n, w, end - w, 0);
      }
    }
    n = next;
  }
  settle(c, true);
  return removed;
}

/** Whether node n (through readable) holds the element [v, v + len); true on OOM (the caller then makes it raw and finds out). */
function holds(n: u32, v: u32, len: u32): bool {
  const r = readable(n);
  if (r == 0) return true;
  let off = load<u32>(r, N_START);
  const end = load<u32>(r, N_END);
  while (off < end) {
    off += fwd(r + off);
    if (eLen == len && bytesEq(eData, v, len)) return true;
  }
  return false;
}

/**
 * LTRIM to [start, stop] (start > stop or start >= count empties the list, leaving the header).
 * 0, or -1 on OOM (a compressed boundary node could not be decompressed; whole nodes dropped before).
 */
export function lTrim(c: u32, start: u32, stop: u32): i32 {
  let count = load<u32>(c, NC_COUNT);
  let dropHead: u32;
  let dropTail: u32;
  if (start > stop || start >= count) {
    dropHead = count;
    dropTail = 0;
  } else {
    if (stop >= count) stop = count - 1;
    dropHead = start;
    dropTail = count - 1 - stop;
  }
  // Whole nodes first, then entries of the boundary node.
  while (dropTail > 0) {
    let n = load<u32>(c, NC_AUX);
    const nc = load<u32>(n, N_COUNT);
    if (nc <= dropTail) {
      dropTail -= nc;
      store<u32>(c, load<u32>(c, NC_COUNT) - nc, NC_COUNT);
      nodeDrop(c, n);
      continue;
    }
    n = ensureRaw(c, n);
    if (n == 0) {
      settle(c, false);
      return -1;
    }
    let e = load<u32>(n, N_END);
    for (let i: u32 = 0; i < dropTail; i++) e -= back(n + e);
    store<u32>(n, nc - dropTail, N_COUNT);
    store<u32>(c, load<u32>(c, NC_COUNT) - dropTail, NC_COUNT);
    splice(c, n, e, load<u32>(n, N_END) - e, 0);
    dropTail = 0;
  }
  while (dropHead > 0) {
    let n = load<u32>(c, NC_P);
    const nc = load<u32>(n, N_COUNT);
    if (nc <= dropHead) {
      dropHead -= nc;
      store<u32>(c, load<u32>(c, NC_COUNT) - nc, NC_COUNT);
      nodeDrop(c, n);
      continue;
    }
    n = ensureRaw(c, n);
    if (n == 0) {
      settle(c, false);
      return -1;
    }
    const s = load<u32>(n, N_START);
    let off = s;
    for (let i: u32 = 0; i < dropHead; i++) off += fwd(n + off);
    store<u32>(n, nc - dropHead, N_COUNT);
    store<u32>(c, load<u32>(c, NC_COUNT) - dropHead, NC_COUNT);
    splice(c, n, s, off - s, 0);
    dropHead = 0;
  }
  // (only the ends changed: the nodes left keep their places, LTRIM stays O(dropped nodes))
  settle(c, false);
  return 0;
}

/**
 * LPOS of scratch[0, len): rank > 0 scans from the head, < 0 from the tail (|rank| = the match
 * to start from; -Infinity is LONG_MIN, which Redis negates with overflow: first match from the
 * tail and COUNT never stops it); count 0 = all; maxlen 0 = no limit. Indexes (from the head) go
 * to the out buffer as u32. Returns how many.
 */
export function lPos(c: u32, len: u32, rank: f64, count: f64, maxlen: f64): i32 {
  outReset();
  const v = getScratch();
  const fromTail = rank < 0;
  const longMin = rank == -Infinity;
  const r: f64 = longMin ? 1 : Math.abs(rank);
  const total = load<u32>(c, NC_COUNT);
  let matches: f64 = 0;
  let found: i32 = 0;
  let k: u32 = 0;
  let n = fromTail ? load<u32>(c, NC_AUX) : load<u32>(c, NC_P);
  while (n != 0) {
    n = readable(n);
    if (n == 0) return -1;
    if (fromTail) {
      const s = load<u32>(n, N_START);
      let e = load<u32>(n, N_END);
      while (e > s) {
        if (maxlen != 0 && <f64>k >= maxlen) return found;
        e -= back(n + e);
        if (eLen == len && bytesEq(eData, v, len)) {
          matches++;
          if (matches >= r) {
            const w = outReserve(4);
            if (w == 0) return -1;
            store<u32>(w, total - 1 - k);
            outCommit(4);
            found++;
            if (!longMin && count > 0 && matches - r + 1 >= count) return found;
          }
        }
        k++;
      }
      n = load<u32>(n, N_PREV);
    } else {
      let off = load<u32>(n, N_START);
      const end = load<u32>(n, N_END);
      while (off < end) {
        if (maxlen != 0 && <f64>k >= maxlen) return found;
        off += fwd(n + off);
        if (eLen == len && bytesEq(eData, v, len)) {
          matches++;
          if (matches >= r) {
            const w = outReserve(4);
            if (w == 0) return -1;
            store<u32>(w, k);
            outCommit(4);
            found++;
            if (!longMin && count > 0 && matches - r + 1 >= count) return found;
          }
        }
        k++;
      }
      n = load<u32>(n, N_NEXT);
    }
  }
  return found;
}

/** Deep copy (COPY, snapshots), node by node. 0 on OOM (nothing leaked). */
export function lClone(c: u32): u32 {
  const d = ncAllocHeader(NK_LIST);
  if (d == 0) return 0;
  // (quicklistDup: the copy keeps the list's compress depth)
  store<u32>(d, NK_LIST | (depthOf(c) << DEPTH_SHIFT), NC_INFO);
  let n = load<u32>(c, NC_P);
  while (n != 0) {
    const cap = capOf(n);
    const m = alloc(cap);
    if (m == 0) {
      lFreeAll(d);
      return 0;
    }
    memory.copy(m, n, cap);
    addCap(d, <i32>cap);
    linkAfter(d, load<u32>(d, NC_AUX), m);
    n = load<u32>(n, N_NEXT);
  }
  store<u32>(d, load<u32>(c, NC_COUNT), NC_COUNT);
  return d;
}

function lFreeAll(c: u32): void {
  let n = load<u32>(c, NC_P);
  while (n != 0) {
    const next = load<u32>(n, N_NEXT);
    free(n, capOf(n));
    n = next;
  }
  free(c, NC_BYTES);
}

/**
 * Free up to `budget` nodes of an unreferenced list (lazyfree.ts), from the head. Returns the
 * nodes freed, with the header freed too when done (RES misc = 1 done).
 */
export function lFreeSome(c: u32, budget: u32): u32 {
  let n = load<u32>(c, NC_P);
  let k: u32 = 0;
  while (n != 0 && k < budget) {
    const next = load<u32>(n, N_NEXT);
    free(n, capOf(n));
    n = next;
    k++;
  }
  store<u32>(c, n, NC_P);
  if (n != 0) {
    store<u32>(RES, 0, R_MISC);
    return k;
  }
  free(c, NC_BYTES);
  store<u32>(RES, 1, R_MISC);
  return k + 1;
}

/** Nodes of the list (MEMORY USAGE / lazyfree effort, tests). */
export function lNodes(c: u32): u32 {
  let k: u32 = 0;
  let n = load<u32>(c, NC_P);
  while (n != 0) { k++; n = load<u32>(n, N_NEXT); }
  return k;
}

/** Compressed nodes of the list (tests). */
export function lCompressedNodes(c: u32): u32 {
  let k: u32 = 0;
  let n = load<u32>(c, NC_P);
  while (n != 0) {
    if (isCompressed(n)) k++;
    n = load<u32>(n, N_NEXT);
  }
  return k;
}

/** lReserve on an empty list: the size and side of the first node insertAt makes (0: none asked). */
let firstNodeBytes: u32 = 0;
let firstNodeAtEnd: bool = false;

/** The bytes an element of `len` bytes takes in a node (for lReserve). */
export function lEntrySize(len: u32): u32 {
  return entrySize(len);
}

/**
 * Room for `bytes` more entry bytes at the head (where 0) or tail (1) node, so the pushes that
 * follow (a multi-element LPUSH/RPUSH, a node of a dump being loaded) do not reallocate the node
 * at every size class on the way (a 10-element RPUSH into a new list went through ~8 blocks).
 * The node's block grows once, or, for an empty list, the first push makes its node that big
 * (insertAt), up to the node size limit: past it the pushes split nodes as usual. The caller ends
 * the run with lReserveDone. false on OOM, with nothing changed.
 */
export function lReserve(c: u32, where: u32, bytes: u32): bool {
  const limit = listFill < 0 ? <u32>4096 << <u32>(-listFill - 1) : SAFETY_LIMIT;
  const n = endNode(c, where);
  if (n == 0 && load<u32>(c, NC_P) != 0) return false;
  if (n == 0) {
    // (No empty node is linked: the first push makes the node this big, see insertAt.)
    firstNodeBytes = N_HDR + bytes <= limit ? bytes : limit - N_HDR;
    firstNodeAtEnd = where == 0;
    return true;
  }
  const used = nUsed(n);
  if (N_HDR + used + bytes > limit) return true;
  const start = load<u32>(n, N_START);
  const end = load<u32>(n, N_END);
  if (where == 0 ? start - N_HDR >= bytes : capOf(n) - end >= bytes) return true;
  // A hole of `bytes` at that edge, then given back as free room on that side.
  const m = splice(c, n, where == 0 ? start : end, 0, bytes);
  if (m == 0) return false;
  if (where == 0) store<u32>(m, spliceAt + bytes, N_START);
  else store<u32>(m, spliceAt, N_END);
  return true;
}

/** End of the pushes an lReserve was for (drops a first-node size no push used). */
export function lReserveDone(): void {
  firstNodeBytes = 0;
}

/** RPUSH of [src, src + len) (RDB load, assembly/rdbload.ts): false on OOM (nothing pushed). */
export function lPushTailAt(c: u32, src: u32, len: u32): bool {
  return lPushAt(c, 1, src, len);
}
