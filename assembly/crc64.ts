/*
 * crc64.ts -- CRC-64/Jones as Redis computes it (crc64.c, crcspeed): reflected polynomial
 * 0x95ac9329ac4bc9b5, initial value 0, no final xor; slice-by-8 over eight 256-entry u64 tables
 * (built on first use). The JS side (src/persistence/crc64.ts) hands long inputs here through
 * the scratch region: the state crosses as two u32 halves (no i64 at the boundary), the result
 * comes back in RES ptr (low half) and RES len (high half). O(n).
 *
 * Long inputs are cut into LANES equal lanes folded in one loop: each lane's step depends only on
 * its own state, so the CPU overlaps the lanes' table loads (one lane waits on each step's loads).
 * The lanes are joined as the CRC's linearity allows: folding B from state s gives
 * (s * x^(8|B|) mod P) ^ crc(B), with x^(8n) mod P from a table of x^(2^k) by square-and-multiply
 * (zlib's crc32_combine, multmodp/x2nmodp): a few microseconds per input. Inputs under
 * LANE_MIN_INPUT take the single loop.
 */
import { RES, scratchPtr } from './io';
import { R_PTR, R_LEN } from '../src/engine/wasm/abi';

const T: usize = memory.data(8 * 256 * 8, 8);
let ready = false;

function build(): void {
  const poly = POLY;
  for (let i: u32 = 0; i < 256; i++) {
    let c: u64 = <u64>i;
    for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1;
    store<u64>(T + (<usize>i << 3), c);
  }
  for (let i: u32 = 0; i < 256; i++) {
    let c = load<u64>(T + (<usize>i << 3));
    for (let t: u32 = 1; t < 8; t++) {
      c = load<u64>(T + (<usize>(c & 0xff) << 3)) ^ (c >> 8);
      store<u64>(T + ((<usize>t << 11) + (<usize>i << 3)), c);
    }
  }
  let x: u64 = (<u64>1) << 62; // x^1
  for (let k: usize = 0; k < 64; k++) {
    store<u64>(X2N + (k << 3), x);
    x = multModP(x, x);
  }
  ready = true;
}

// @ts-ignore: decorator
@inline function tab(t: u32, b: u64): u64 {
  return load<u64>(T + (<usize>t << 11) + (<usize>b << 3));
}

/** Eight bytes (a little-endian word) folded into c. */
// @ts-ignore: decorator
@inline function step8(c: u64, w: u64): u64 {
  c ^= w;
  return tab(7, c & 0xff) ^ tab(6, (c >> 8) & 0xff) ^ tab(5, (c >> 16) & 0xff) ^ tab(4, (c >> 24) & 0xff) ^
    tab(3, (c >> 32) & 0xff) ^ tab(2, (c >> 40) & 0xff) ^ tab(1, (c >> 48) & 0xff) ^ tab(0, c >> 56);
}

const LANES: usize = 4;
/** Inputs shorter than this take the single loop. */
const LANE_MIN_INPUT: u32 = 64 << 10;

// Polynomials modulo P in the reflected representation: bit 63 is x^0.
const POLY: u64 = 0x95ac9329ac4bc9b5;
/** X2N[k] = x^(2^k) mod P (k < 64), built with the tables. */
const X2N: usize = memory.data(64 * 8, 8);

/** a * b mod P (zlib's multmodp, 64-bit). */
function multModP(a: u64, b: u64): u64 {
  let m: u64 = (<u64>1) << 63;
  let p: u64 = 0;
  for (;;) {
    if ((a & m) != 0) {
      p ^= b;
      if ((a & (m - 1)) == 0) break;
    }
    m >>= 1;
    b = (b & 1) != 0 ? (b >> 1) ^ POLY : b >> 1;
  }
  return p;
}

/** x^(8n) mod P: what folding n zero bytes multiplies a CRC state by (zlib's x2nmodp(n, 3)). */
function zerosOperator(n: u32): u64 {
  let p: u64 = (<u64>1) << 63;
  let k: usize = 3;
  while (n != 0) {
    if ((n & 1) != 0) p = multModP(load<u64>(X2N + (k << 3)), p);
    n >>= 1;
    k++;
  }
  return p;
}

/** Fold scratch[0, len) into the CRC whose halves are lo/hi; the new CRC goes to RES ptr/len. */
export function crc64Scratch(lo: u32, hi: u32, len: u32): void {
  crc64At(lo, hi, scratchPtr, len);
}

/**
 * Fold [ptr, ptr + len) into the CRC whose halves are lo/hi; the new CRC goes to RES ptr/len
 * (the wasm engine's RDB load checks the file in the window it loads from: src/engine/wasm/rdbload.ts).
 */
export function crc64At(lo: u32, hi: u32, ptr: u32, len: u32): void {
  if (!ready) build();
  let c: u64 = (<u64>hi << 32) | <u64>lo;
  let p: usize = <usize>ptr;
  const end = p + len;
  if (len >= LANE_MIN_INPUT) {
    const lane = (len / <u32>LANES) & ~7; // bytes per lane, whole words
    const z = zerosOperator(lane);
    const l = <usize>lane;
    let c1: u64 = 0;
    let c2: u64 = 0;
    let c3: u64 = 0;
    for (let k: usize = 0; k < l; k += 8) {
      c = step8(c, load<u64>(p + k));
      c1 = step8(c1, load<u64>(p + l + k));
      c2 = step8(c2, load<u64>(p + 2 * l + k));
      c3 = step8(c3, load<u64>(p + 3 * l + k));
    }
    c = multModP(z, c) ^ c1;
    c = multModP(z, c) ^ c2;
    c = multModP(z, c) ^ c3;
    p += LANES * l;
  }
  while (p + 8 <= end) {
    c = step8(c, load<u64>(p));
    p += 8;
  }
  while (p < end) {
    c = tab(0, (c ^ <u64>load<u8>(p)) & 0xff) ^ (c >> 8);
    p++;
  }
  store<u32>(RES, <u32>c, R_PTR);
  store<u32>(RES, <u32>(c >> 32), R_LEN);
}
