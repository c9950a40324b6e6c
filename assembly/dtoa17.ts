/*
 * dtoa17.ts -- the listpack score texts of the RDB fast paths: d2string (Redis's util.c, as
 * src/persistence/format.ts d2string writes it: "%.17g" for a non-integer) for the doubles where it
 * can be computed exactly with 64x64-bit products, and the reverse (a text is read as the double
 * whose text it is).
 *
 * fmt17 handles a finite non-integer v with 0.001 <= |v| < 2^52: its 17 significant digits are
 * floor(m * 10^j / 2^k) for v = m / 2^k (k <= 61, j <= 19, so m * 10^j < 2^117), rounded by the
 * exact remainder. In that range "%.17g" is always the fixed form (exponent -3..15), trailing
 * zeros removed. An exact tie (the remainder exactly half a unit) is left to the JS writer, whose
 * toFixed/toExponential round ties up where glibc rounds them to even, so both writers agree on
 * every text this file writes. Anything else (integers, other magnitudes, -0, inf, NaN) returns
 * -1: the caller writes it another way or leaves the record to the JS writer.
 *
 * parse17 reads "[-]digits.digits" as the double whose fmt17 text it is, exactly: a candidate
 * from a float division (within an ulp or two), then the candidates around it formatted back and
 * compared byte for byte. A text no double formats to (more digits, another form) is not read:
 * the JS reader takes the record (its strtod then decides).
 *
 * Complexity: O(1) (a few 64-bit multiplies and 17 digits).
 */

import { RES, scratchReserve, getScratch } from './io';
import { R_F64 } from '../src/engine/wasm/abi';

const DIGITS: usize = memory.data(24);
const FMT: usize = memory.data(32);

// 10^0 .. 10^19
const POW10: usize = memory.data<u64>([
  1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000, 10000000000,
  100000000000, 1000000000000, 10000000000000, 100000000000000, 1000000000000000,
  10000000000000000, 100000000000000000, 1000000000000000000, 10000000000000000000,
]);

// @ts-ignore: decorator
@inline function pow10(j: u32): u64 {
  return load<u64>(POW10 + (<usize>j << 3));
}

// The 128-bit product of the last mul128: hi, lo.
let pHi: u64 = 0;
let pLo: u64 = 0;

function mul128(a: u64, b: u64): void {
  const a0 = a & 0xffffffff;
  const a1 = a >> 32;
  const b0 = b & 0xffffffff;
  const b1 = b >> 32;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
  pLo = (mid << 32) | (p00 & 0xffffffff);
  pHi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

// Digits of the last digits17: D (17 digits) and the decimal exponent of its first digit.
let dD: u64 = 0;
let dE: i32 = 0;

/** floor(m * 10^j / 2^k) and the remainder's comparison with half: 1 above, 0 tie, -1 below. */
let rCmp: i32 = 0;
function scaled(m: u64, k: u32, j: u32): u64 {
  mul128(m, pow10(j));
  const d = (pHi << (64 - k)) | (pLo >> k);
  const r = pLo & ((<u64>1 << k) - 1);
  const half = <u64>1 << (k - 1);
  rCmp = r > half ? 1 : r == half ? 0 : -1;
  return d;
}

/** The 17 significant digits of m / 2^k (exact, rounded; false on a tie or out of range). */
function digits17(m: u64, k: u32, a: f64): bool {
  let e = <i32>Math.floor(Math.log10(a));
  for (let tries = 0; tries < 3; tries++) {
    const j = 16 - e;
    if (j < 0 || j > 19) return false;
    const d = scaled(m, k, <u32>j);
    if (pHi >> k != 0 || d >= pow10(17)) { e++; continue; }
    if (d < pow10(16)) { e--; continue; }
    if (rCmp == 0) return false;
    let r = d;
    if (rCmp > 0) r++;
    if (r == pow10(17)) {
      r = pow10(16);
      e++;
    }
    dD = r;
    dE = e;
    return true;
  }
  return false;
}

/** d2string(v) at out for the doubles described above: the text's length, or -1. */
export function fmt17(v: f64, out: usize): i32 {
  const bits = reinterpret<u64>(v);
  const neg = (bits >> 63) != 0;
  const a = Math.abs(v);
  if (!(a >= 0.001 && a < 4503599627370496.0) || Math.floor(a) == a) return -1;
  const be = <i32>((bits >> 52) & 0x7ff);
  const m = (bits & 0xfffffffffffff) | 0x10000000000000;
  const k = <u32>(1075 - be); // a = m / 2^k, 1 <= k <= 61 here
  if (!digits17(m, k, a)) return -1;
  // The 17 digits, then trailing zeros dropped.
  let d = dD;
  for (let i = 16; i >= 0; i--) {
    store<u8>(DIGITS + i, <u8>(48 + <u32>(d % 10)));
    d /= 10;
  }
  let n: i32 = 17;
  while (n > 1 && load<u8>(DIGITS + n - 1) == 48) n--;
  const e = dE;
  let o: usize = out;
  if (neg) store<u8>(o++, 45);
  if (e >= 0) {
    // e + 1 integer digits (e <= 15 < 17), then the rest.
    if (n <= e + 1) return -1; // the rounding made it an integer's text: the JS writer's case
    memory.copy(o, DIGITS, e + 1);
    o += e + 1;
    store<u8>(o++, 46);
    memory.copy(o, DIGITS + e + 1, n - e - 1);
    o += n - e - 1;
  } else {
    store<u8>(o++, 48);
    store<u8>(o++, 46);
    for (let i = 0; i < -e - 1; i++) store<u8>(o++, 48);
    memory.copy(o, DIGITS, n);
    o += n;
  }
  return <i32>(o - out);
}

/** parse17's result when it returns true. */
export let parsedScore: f64 = 0;

/** The double whose fmt17 text is [p, p + len) exactly; false when there is none. */
export function parse17(p: usize, len: u32): bool {
  if (len < 3 || len > 26) return false;
  let i: u32 = 0;
  const neg = load<u8>(p) == 45;
  if (neg) i = 1;
  let w: u64 = 0;
  let nd: u32 = 0;
  let frac: i32 = -1;
  for (; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 46) {
      if (frac >= 0) return false;
      frac = 0;
      continue;
    }
    if (c < 48 || c > 57) return false;
    if (w != 0 || c != 48) nd++;
    if (nd > 19) return false;
    w = w * 10 + <u64>(c - 48);
    if (frac >= 0) frac++;
  }
  if (frac <= 0 || frac > 19 || w == 0) return false;
  let c = <f64>w / <f64>pow10(<u32>frac);
  if (neg) c = -c;
  // The candidates around c: one of them formats to the text, or none does.
  let b = reinterpret<i64>(c);
  for (let d: i64 = -2; d <= 2; d++) {
    const x = reinterpret<f64>(b + d);
    const l = fmt17(x, FMT);
    if (l == <i32>len && memory.compare(FMT, p, len) == 0) {
      parsedScore = x;
      return true;
    }
  }
  return false;
}

/** For tests: fmt17(v) at the scratch region; the length, or -1. */
export function scoreText(v: f64): i32 {
  const p = scratchReserve(64);
  if (p == 0) return -1;
  return fmt17(v, p);
}

/** For tests: parse17 of scratch[0, len): 1 and RES f64 = the double, or 0. */
export function scoreParse(len: u32): i32 {
  if (!parse17(getScratch(), len)) return 0;
  store<f64>(RES, parsedScore, R_F64);
  return 1;
}
