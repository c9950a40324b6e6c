/*
 * hyperloglog.ts -- the register loops of PFCOUNT and PFMERGE (Redis hyperloglog.c) over HLL
 * values already in linear memory: merging several HLLs into one array of raw registers
 * (one byte each, Redis's HLL_RAW), the register histogram the estimator reads, and the raise of
 * a dense value's registers to a raw array (PFMERGE into a dense target, in place).
 *
 * Dense registers are 6 bits packed LSB first, so every 3 bytes hold 4 whole registers: the loops
 * take 3 bytes at a time instead of locating each register's bits. Sparse values are walked with
 * the bounds checks of the JavaScript version (src/util/hyperloglog.ts hllMerge): a corrupt value
 * returns 0 and never writes outside the 16384 registers.
 *
 * The estimator itself (a few hundred float operations) stays in JavaScript, on the histogram.
 * Complexity: O(16384) per dense value, O(value length + 16384) per sparse one; no allocation.
 */

// @ts-ignore: decorator
@inline const REGISTERS: u32 = 16384;
// @ts-ignore: decorator
@inline const HDR: u32 = 16;

/** max[i] = MAX(max[i], register i) for the dense value at p (header included). */
export function hllMergeDense(max: u32, p: u32): void {
  let r = p + HDR;
  for (let m = max; m < max + REGISTERS; m += 4) {
    const w = <u32>load<u8>(r) | (<u32>load<u8>(r, 1) << 8) | (<u32>load<u8>(r, 2) << 16);
    r += 3;
    let v = w & 63;
    if (v > <u32>load<u8>(m)) store<u8>(m, <u8>v);
    v = (w >> 6) & 63;
    if (v > <u32>load<u8>(m, 1)) store<u8>(m, <u8>v, 1);
    v = (w >> 12) & 63;
    if (v > <u32>load<u8>(m, 2)) store<u8>(m, <u8>v, 2);
    v = w >> 18;
    if (v > <u32>load<u8>(m, 3)) store<u8>(m, <u8>v, 3);
  }
}

/** The same for the sparse value [p, p + len): 1, or 0 when its opcodes are corrupt. */
export function hllMergeSparse(max: u32, p: u32, len: u32): i32 {
  const end = p + len;
  let q = p + HDR;
  let i: u32 = 0;
  while (q < end) {
    const op = <u32>load<u8>(q);
    if ((op & 0xc0) == 0) {
      i += (op & 0x3f) + 1;
      q++;
    } else if ((op & 0xc0) == 0x40) {
      const next: u32 = q + 1 < end ? <u32>load<u8>(q + 1) : 0;
      i += (((op & 0x3f) << 8) | next) + 1;
      q += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >> 2) & 0x1f) + 1;
      if (runlen + i > REGISTERS) return 0;
      while (runlen-- > 0) {
        if (regval > <u32>load<u8>(max + i)) store<u8>(max + i, <u8>regval);
        i++;
      }
      q++;
    }
  }
  return i == REGISTERS ? 1 : 0;
}

/** histo[v] (64 i32) = how many of the raw registers max[0, 16384) hold v. */
export function hllHisto(max: u32, histo: u32): void {
  memory.fill(histo, 0, 64 * 4);
  for (let m = max; m < max + REGISTERS; m += 8) {
    // Mostly-empty HLLs (small PFCOUNT unions) skip eight zero registers at once, as Redis does.
    if (load<u64>(m) == 0) {
      store<i32>(histo, load<i32>(histo) + 8);
      continue;
    }
    for (let k: u32 = 0; k < 8; k++) {
      const a = histo + (<u32>load<u8>(m + k) << 2);
      store<i32>(a, load<i32>(a) + 1);
    }
  }
}

/** Raise every register of the dense value at p to max[i] where max[i] is higher (PFMERGE). */
export function hllDenseRaise(p: u32, max: u32): void {
  let r = p + HDR;
  for (let m = max; m < max + REGISTERS; m += 4) {
    const w = <u32>load<u8>(r) | (<u32>load<u8>(r, 1) << 8) | (<u32>load<u8>(r, 2) << 16);
    let a = w & 63;
    let b = (w >> 6) & 63;
    let c = (w >> 12) & 63;
    let d = w >> 18;
    const ma = <u32>load<u8>(m);
    const mb = <u32>load<u8>(m, 1);
    const mc = <u32>load<u8>(m, 2);
    const md = <u32>load<u8>(m, 3);
    if (ma > a) a = ma;
    if (mb > b) b = mb;
    if (mc > c) c = mc;
    if (md > d) d = md;
    const x = a | (b << 6) | (c << 12) | (d << 18);
    store<u8>(r, <u8>x);
    store<u8>(r, <u8>(x >> 8), 1);
    store<u8>(r, <u8>(x >> 16), 2);
    r += 3;
  }
}

// -- PFADD on a dense value (the fast lane, assembly/lane.ts) ------------------------------------

/** Redis's MurmurHash64A (hyperloglog.c), little-endian loads as on x86. */
function murmurHash64A(p: u32, len: u32, seed: u64): u64 {
  const m: u64 = 0xc6a4a7935bd1e995;
  let h: u64 = seed ^ (<u64>len * m);
  const end = p + (len - (len & 7));
  while (p != end) {
    let k = load<u64>(p);
    k *= m;
    k ^= k >> 47;
    k *= m;
    h ^= k;
    h *= m;
    p += 8;
  }
  const rest = len & 7;
  if (rest != 0) {
    for (let j: i32 = <i32>rest - 1; j >= 0; j--) h ^= <u64>load<u8>(p + <u32>j) << (<u64>j * 8);
    h *= m;
  }
  h ^= h >> 47;
  h *= m;
  h ^= h >> 47;
  return h;
}

/**
 * hllAdd's dense case for the element [p, p + len) on the registers at regs (hllPatLen, then
 * HLL_DENSE_SET_REGISTER if higher): 1 when a register changed, else 0.
 */
export function hllDenseAdd(regs: u32, p: u32, len: u32): u32 {
  const hash = murmurHash64A(p, len, 0xadc83b19);
  const index = <u32>(hash & <u64>(REGISTERS - 1));
  // The run of zeros after the 14 index bits, plus one, at most Q + 1 = 51.
  const count = <u32>ctz((hash >> 14) | (<u64>1 << 50)) + 1;
  const bitpos = index * 6;
  const byte = regs + (bitpos >> 3);
  const fb = bitpos & 7;
  const b0 = <u32>load<u8>(byte);
  // (A register spills into the next byte only when it starts past bit 2.)
  const b1: u32 = fb > 2 ? <u32>load<u8>(byte, 1) : 0;
  const old = ((b0 >> fb) | (b1 << (8 - fb))) & 63;
  if (count <= old) return 0;
  store<u8>(byte, <u8>((b0 & ~(<u32>63 << fb)) | (count << fb)));
  if (fb > 2) store<u8>(byte, <u8>((b1 & ~(<u32>63 >> (8 - fb))) | (count >> (8 - fb))), 1);
  return 1;
}
