/*
 * bitops.ts -- the byte-crunching halves of BITCOUNT and BITOP (Redis bitops.c), run over strings
 * already in linear memory, so a megabyte bitmap is never copied to JavaScript to be counted.
 *
 * bitCount(p, n): set bits in [p, p + n). Eight bytes at a time with i64.popcnt (one wasm
 *   instruction, where Redis uses a lookup table and 28-byte unrolled SWAR), then the tail.
 * bitOp(op, dst, srcs, nsrc, maxlen): dst[0, maxlen) = src0 OP src1 OP ... (AND, OR, XOR) or
 *   NOT src0, a source shorter than maxlen reading as zero bytes past its end, as in Redis.
 *   `srcs` holds nsrc (ptr u32, len u32) pairs. dst must not overlap a source (the JS side
 *   computes into a temporary block, then stores it: BITOP's target may be one of its sources).
 *   Sixteen bytes at a time (wasm SIMD) while every source still has sixteen bytes, up to four
 *   sources per pass (see combine), then byte by byte.
 *
 * Complexity: O(n) and O(maxlen * nsrc); no allocation, so nothing can fail.
 */

import { BITOP_AND, BITOP_OR, BITOP_NOT } from '../src/engine/wasm/abi';

export function bitCount(p: u32, n: u32): u32 {
  let count: u64 = 0;
  const end = p + n;
  const end8 = p + (n & ~7);
  while (p < end8) {
    count += popcnt<u64>(load<u64>(p));
    p += 8;
  }
  while (p < end) {
    count += popcnt<u32>(<u32>load<u8>(p));
    p++;
  }
  return <u32>count;
}

/** Bytes per block of bitOp's loops (a quarter of a typical 32 KiB L1): see combine. */
// @ts-ignore: decorator
@inline const BLOCK: u32 = 8192;

// @ts-ignore: decorator
@inline function srcPtr(srcs: u32, j: u32): u32 {
  return load<u32>(srcs + (j << 3));
}

// @ts-ignore: decorator
@inline function srcLen(srcs: u32, j: u32): u32 {
  return load<u32>(srcs + (j << 3), 4);
}

/**
 * dst[from, to) = a OP b [OP c [OP d]] sixteen bytes at a time over k = 2..4 arrays (a may be
 * dst): one pass reading each array once and writing dst once. One loop per operation and k, so
 * the loop bodies hold no branch.
 */
function pass(op: i32, k: u32, dst: u32, a: u32, b: u32, c: u32, d: u32, from: u32, to: u32): void {
  if (op == BITOP_AND) {
    if (k == 4) for (let i = from; i < to; i += 16) v128.store(dst + i, v128.and(v128.and(v128.load(a + i), v128.load(b + i)), v128.and(v128.load(c + i), v128.load(d + i))));
    else if (k == 3) for (let i = from; i < to; i += 16) v128.store(dst + i, v128.and(v128.and(v128.load(a + i), v128.load(b + i)), v128.load(c + i)));
    else for (let i = from; i < to; i += 16) v128.store(dst + i, v128.and(v128.load(a + i), v128.load(b + i)));
  } else if (op == BITOP_OR) {
    if (k == 4) for (let i = from; i < to; i += 16) v128.store(dst + i, v128.or(v128.or(v128.load(a + i), v128.load(b + i)), v128.or(v128.load(c + i), v128.load(d + i))));
    else if (k == 3) for (let i = from; i < to; i += 16) v128.store(dst + i, v128.or(v128.or(v128.load(a + i), v128.load(b + i)), v128.load(c + i)));
    else for (let i = from; i < to; i += 16) v128.store(dst + i, v128.or(v128.load(a + i), v128.load(b + i)));
  } else {
    if (k == 4) for (let i = from; i < to; i += 16) v128.store(dst + i, v128.xor(v128.xor(v128.load(a + i), v128.load(b + i)), v128.xor(v128.load(c + i), v128.load(d + i))));
    else if (k == 3) for (let i = from; i < to; i += 16) v128.store(dst + i, v128.xor(v128.xor(v128.load(a + i), v128.load(b + i)), v128.load(c + i)));
    else for (let i = from; i < to; i += 16) v128.store(dst + i, v128.xor(v128.load(a + i), v128.load(b + i)));
  }
}

/**
 * dst[0, wide) = src0 OP src1 OP ... (every source has `wide` bytes, a multiple of 16), block by
 * block: the first four sources in one fused pass, then three more at a time into the block of
 * dst while it is still in L1 (a pass per source over the whole result would stream it through
 * the cache nsrc times, and a pass per source over a block reads and writes dst nsrc times).
 */
function combine(op: i32, dst: u32, srcs: u32, nsrc: u32, wide: u32): void {
  const first: u32 = nsrc < 4 ? nsrc : 4;
  const p0 = srcPtr(srcs, 0);
  const p1 = nsrc > 1 ? srcPtr(srcs, 1) : 0;
  const p2 = nsrc > 2 ? srcPtr(srcs, 2) : 0;
  const p3 = nsrc > 3 ? srcPtr(srcs, 3) : 0;
  for (let blk: u32 = 0; blk < wide; blk += BLOCK) {
    const end = blk + BLOCK < wide ? blk + BLOCK : wide;
    if (first == 1) memory.copy(dst + blk, p0 + blk, end - blk);
    else pass(op, first, dst, p0, p1, p2, p3, blk, end);
    for (let j: u32 = first; j < nsrc; j += 3) {
      const k: u32 = nsrc - j < 3 ? nsrc - j + 1 : 4;
      const b = srcPtr(srcs, j);
      const c = k > 2 ? srcPtr(srcs, j + 1) : 0;
      const d = k > 3 ? srcPtr(srcs, j + 2) : 0;
      pass(op, k, dst, dst, b, c, d, blk, end);
    }
  }
}

export function bitOp(op: i32, dst: u32, srcs: u32, nsrc: u32, maxlen: u32): void {
  // The vector loops run while every source has 16 more bytes; the rest goes byte by byte.
  let minlen: u32 = maxlen;
  for (let j: u32 = 0; j < nsrc; j++) {
    const l = srcLen(srcs, j);
    if (l < minlen) minlen = l;
  }
  const wide = minlen & ~15;
  if (op == BITOP_NOT) {
    const p = srcPtr(srcs, 0);
    for (let i: u32 = 0; i < wide; i += 16) v128.store(dst + i, v128.not(v128.load(p + i)));
  } else combine(op, dst, srcs, nsrc, wide);
  for (let i = wide; i < maxlen; i++) {
    let b: u32 = i < srcLen(srcs, 0) ? <u32>load<u8>(srcPtr(srcs, 0) + i) : 0;
    if (op == BITOP_NOT) b = ~b;
    else {
      for (let j: u32 = 1; j < nsrc; j++) {
        const v: u32 = i < srcLen(srcs, j) ? <u32>load<u8>(srcPtr(srcs, j) + i) : 0;
        if (op == BITOP_AND) b &= v;
        else if (op == BITOP_OR) b |= v;
        else b ^= v;
      }
    }
    store<u8>(dst + i, <u8>b);
  }
}
