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
 *   Sixteen bytes at a time (wasm SIMD) while every source still has sixteen bytes, then byte by
 *   byte.
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

/** Bytes per block of bitOp's source-by-source loop (a quarter of a typical 32 KiB L1). */
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

export function bitOp(op: i32, dst: u32, srcs: u32, nsrc: u32, maxlen: u32): void {
  // The vector loop runs while every source has 16 more bytes; the rest goes byte by byte.
  let minlen: u32 = maxlen;
  for (let j: u32 = 0; j < nsrc; j++) {
    const l = srcLen(srcs, j);
    if (l < minlen) minlen = l;
  }
  const wide = minlen & ~15;
  if (op == BITOP_NOT) {
    const p = srcPtr(srcs, 0);
    for (let i: u32 = 0; i < wide; i += 16) v128.store(dst + i, v128.not(v128.load(p + i)));
  } else {
    // Source by source over blocks that stay in L1 (one pass per source over the whole result
    // would stream it through the cache nsrc times).
    for (let blk: u32 = 0; blk < wide; blk += BLOCK) {
      const end = blk + BLOCK < wide ? blk + BLOCK : wide;
      memory.copy(dst + blk, srcPtr(srcs, 0) + blk, end - blk);
      for (let j: u32 = 1; j < nsrc; j++) {
        const p = srcPtr(srcs, j);
        if (op == BITOP_AND) {
          for (let i = blk; i < end; i += 16) v128.store(dst + i, v128.and(v128.load(dst + i), v128.load(p + i)));
        } else if (op == BITOP_OR) {
          for (let i = blk; i < end; i += 16) v128.store(dst + i, v128.or(v128.load(dst + i), v128.load(p + i)));
        } else {
          for (let i = blk; i < end; i += 16) v128.store(dst + i, v128.xor(v128.load(dst + i), v128.load(p + i)));
        }
      }
    }
  }
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
