/*
 * io.ts -- the regions JS and WASM exchange bytes through.
 *
 * - RES: a small struct of results (pointers, lengths, scores) that a call leaves for JS to read.
 * - scratch: JS copies keys, values and patterns here, then calls with lengths.
 * - out: WASM writes replies (RESP or length-prefixed records) here; JS copies them out once.
 *
 * Invariants: RES's R_SCRATCH/R_SCRATCHCAP and R_OUTPTR/R_OUTLEN always describe the current
 * regions (JS re-reads them after any call that may grow them); both regions live in the arena
 * and are excluded from dataUsed(), the dataset bytes reported as used_memory, as are the working
 * blocks of serviceAlloc.
 */
import { alloc, free, allocSize, arenaUsed } from './arena';
import { RES_BYTES, R_OUTLEN, R_OUTPTR, R_SCRATCH, R_SCRATCHCAP } from '../src/engine/wasm/abi';

/** RES struct, read by JS through typed-array views (offsets in src/engine/wasm/abi.ts). */
export const RES: usize = memory.data(RES_BYTES, 8);

/** The scratch region: JS writes keys, values and patterns here before a call. */
export let scratchPtr: u32 = 0;
let scratchCap: u32 = 0;
let outPtr: u32 = 0;
let outCap: u32 = 0;
let outLen: u32 = 0;

/** Make the scratch region at least n bytes. Returns its pointer, 0 on OOM (old one kept). */
export function scratchReserve(n: u32): u32 {
  if (n <= scratchCap && scratchPtr != 0) return scratchPtr;
  let cap: u32 = scratchCap < 4096 ? 4096 : scratchCap;
  while (cap < n) {
    if (cap >= 0x80000000) { cap = n; break; }
    cap <<= 1;
  }
  const p = alloc(cap);
  if (p == 0) return 0;
  if (scratchPtr != 0) free(scratchPtr, scratchCap);
  scratchPtr = p;
  scratchCap = cap;
  store<u32>(RES, scratchPtr, R_SCRATCH);
  store<u32>(RES, scratchCap, R_SCRATCHCAP);
  return p;
}

export function getScratch(): u32 {
  return scratchPtr;
}

/**
 * While set (a fast-lane run, lane.ts), outReset keeps what the out buffer holds: the reply
 * writers the lane calls (lRange, sResp, hResp, the zset range writers) start with outReset and
 * then append, so several commands' replies accumulate.
 */
let outKeep: bool = false;

export function outKeepReplies(on: bool): void {
  outKeep = on;
}

/** Bytes in the out buffer. */
export function outLength(): u32 {
  return outLen;
}

/** Drop what was written past the first n bytes (a reply the lane did not finish). */
export function outTruncate(n: u32): void {
  if (n < outLen) {
    outLen = n;
    store<u32>(RES, outLen, R_OUTLEN);
  }
}

/** Reset the out buffer. */
export function outReset(): void {
  if (outKeep) return;
  outLen = 0;
  store<u32>(RES, 0, R_OUTLEN);
  store<u32>(RES, outPtr, R_OUTPTR);
}

/** Ensure room for n more bytes in the out buffer; returns the write pointer or 0 on OOM. */
export function outReserve(n: u32): u32 {
  const need: u64 = <u64>outLen + <u64>n;
  if (need > <u64>outCap) {
    if (need > 0x7fffffff) return 0;
    let cap: u32 = outCap < 65536 ? 65536 : outCap;
    while (<u64>cap < need) cap <<= 1;
    const p = alloc(cap);
    if (p == 0) return 0;
    if (outPtr != 0) {
      memory.copy(p, outPtr, outLen);
      free(outPtr, outCap);
    }
    outPtr = p;
    outCap = cap;
    store<u32>(RES, outPtr, R_OUTPTR);
  }
  return outPtr + outLen;
}

/** Commit n bytes written at the pointer outReserve returned. */
// @ts-ignore: decorator
@inline export function outCommit(n: u32): void {
  outLen += n;
  store<u32>(RES, outLen, R_OUTLEN);
}

/** Drop the out buffer if it grew large (called by the JS side after big replies). */
export function outShrink(): void {
  if (outCap > 1 << 20) {
    free(outPtr, outCap);
    outPtr = 0;
    outCap = 0;
    outLen = 0;
    outReserve(65536);
    outReset();
  }
}

/** Bytes used by stored data: the arena's count minus the I/O regions. */
export function dataUsed(): f64 {
  let io: u32 = 0;
  if (scratchPtr != 0) io += allocSize(scratchCap);
  if (outPtr != 0) io += allocSize(outCap);
  return arenaUsed() - <f64>io - serviceBytes;
}

/**
 * Arena bytes of the working blocks other modules keep between calls (lzf.ts's hash table,
 * list.ts's decompressed node copy and compressor output): excluded from dataUsed, as the
 * regions above.
 */
let serviceBytes: f64 = 0;

/** alloc() of a working block (counted out of dataUsed). 0 on OOM. */
export function serviceAlloc(size: u32): u32 {
  const p = alloc(size);
  if (p != 0) serviceBytes += <f64>allocSize(size);
  return p;
}

export function serviceFree(p: u32, size: u32): void {
  free(p, size);
  serviceBytes -= <f64>allocSize(size);
}
