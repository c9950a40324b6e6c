/**
 * BITCOUNT's and BITOP's loops in JavaScript, for the js-map engine (the wasm engine runs the
 * same loops in AssemblyScript over linear memory: assembly/bitops.ts).
 *
 * popcount: 32-bit words through an Int32Array view, eight at a time with a Harley-Seal
 * carry-save adder (one SWAR popcount per eight words), bytes at the unaligned ends.
 * bitopInto: 64-bit words through BigUint64Array views (V8 compiles their & | ^ to machine
 * words), up to four arrays per pass so the result is written once per four sources; NOT through
 * Int32Array (~ on a BigInt is not lowered). Views need 8-byte aligned buffers (stored values
 * longer than 4 KB own their ArrayBuffer; Node's pool aligns to 8): anything else goes byte by byte.
 * Results are bit-exact with Redis's bitopCommand (a short source reads as zero bytes).
 *
 * Long inputs (KERNEL_MIN bytes and more) go through a private instance of the wasm module
 * instead, as persistence/crc64.ts does: chunks are copied into its scratch region (a memcpy,
 * ~20 us per MB) and counted with i64.popcnt or combined with SIMD (assembly/bitops.ts), two to
 * three times faster than the best JavaScript loops above. Without the built module the
 * JavaScript loops run.
 */
import { BitOp } from '../engine/types';
import { WasmInstance } from '../engine/wasm/loader';

/** Inputs from this many bytes on use the wasm kernel. */
const KERNEL_MIN = 16384;
/** The kernel's scratch region: one chunk per array of a BITOP chunk (result and sources). */
const KERNEL_SCRATCH = 1 << 20;
/** BITOPs with more sources than this run in JavaScript (the (ptr, len) table must fit). */
const MAX_KERNEL_SOURCES = 4096;
let kernel: WasmInstance | null | undefined;

function kernelInstance(): WasmInstance | null {
  if (kernel === undefined) {
    try {
      kernel = new WasmInstance();
      kernel.reserveScratch(KERNEL_SCRATCH + 8 * MAX_KERNEL_SOURCES + 4096 + 64);
    } catch {
      kernel = null;
    }
  }
  return kernel;
}

const COPY_PHASE = 2048 + 16;

/**
 * Where in scratch to copy a chunk to or from, at or after `at`: an address 2064 bytes past a
 * 4 KiB boundary. glibc's memcpy (what TypedArray#set calls) uses `rep movsb` for copies from
 * ~2 KB up, and on AMD Zen hosts that runs 10-13x slower when the destination is 1 to 31 bytes
 * past the source modulo 4 KiB (measured: 64 KiB chunks of a 1 MB copy, ~35 us against ~450 us).
 * Linear memory is page-aligned, and a Buffer of more than ~128 KB is its own mmap'd malloc
 * block, 16 bytes past a page: scratch at 0 mod 4096 copied out to such a Buffer is that case.
 * 2048 + 16 keeps both directions half a page away from it.
 */
function copyFriendly(at: number): number {
  return at + ((COPY_PHASE - (at & 4095)) & 4095);
}

/** Set bits in bytes[from, to) through the kernel, a scratch-sized chunk at a time. */
function popcountKernel(w: WasmInstance, bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i += KERNEL_SCRATCH) {
    const len = Math.min(KERNEL_SCRATCH, to - i);
    w.sync();
    const at = copyFriendly(w.scratch);
    w.u8.set(bytes.subarray(i, i + len), at);
    n += w.x.bitCount(at, len) >>> 0;
  }
  return n;
}

/**
 * bitopInto through the kernel: for each chunk of the result, every source's bytes of that chunk
 * (as many as it has) copied into scratch behind the result's chunk, the (ptr, len) table after
 * them, assembly/bitops.ts bitOp run, the chunk copied out.
 */
function bitopKernel(w: WasmInstance, op: BitOp, res: Uint8Array, srcs: Uint8Array[]): void {
  const ns = srcs.length;
  // At most 64 KiB per array, so a chunk's arrays stay in cache between the copies and the op.
  const chunk = Math.min(65536, Math.max(16, Math.floor(KERNEL_SCRATCH / (ns + 1)) & ~15));
  const maxlen = res.length;
  for (let i = 0; i < maxlen; i += chunk) {
    const n = Math.min(chunk, maxlen - i);
    w.sync();
    const u8 = w.u8;
    const dst = copyFriendly(w.scratch); // 16-byte aligned: the table's words are i32 slots
    const table = dst + chunk * (ns + 1);
    for (let j = 0; j < ns; j++) {
      const s = srcs[j];
      const have = Math.max(0, Math.min(n, s.length - i));
      const at = dst + chunk * (j + 1);
      if (have > 0) u8.set(s.subarray(i, i + have), at);
      w.i32[(table >> 2) + 2 * j] = at;
      w.i32[(table >> 2) + 2 * j + 1] = have;
    }
    w.x.bitOp(op, dst, table, ns, n);
    w.sync();
    res.set(w.u8.subarray(dst, dst + n), i);
  }
}

export const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

function pc32(w: number): number {
  w = w - ((w >>> 1) & 0x55555555);
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Set bits in the n words w[k, k + n): Harley-Seal over groups of eight, then word by word. */
function popcountWords(w: Int32Array, k: number, n: number): number {
  let total = 0;
  let ones = 0;
  let twos = 0;
  let fours = 0;
  const end8 = k + n - (n & 7);
  for (; k < end8; k += 8) {
    let a = w[k];
    let b = w[k + 1];
    let u = ones ^ a;
    let twosA = (ones & a) | (u & b);
    ones = u ^ b;
    a = w[k + 2];
    b = w[k + 3];
    u = ones ^ a;
    let twosB = (ones & a) | (u & b);
    ones = u ^ b;
    u = twos ^ twosA;
    const foursA = (twos & twosA) | (u & twosB);
    twos = u ^ twosB;
    a = w[k + 4];
    b = w[k + 5];
    u = ones ^ a;
    twosA = (ones & a) | (u & b);
    ones = u ^ b;
    a = w[k + 6];
    b = w[k + 7];
    u = ones ^ a;
    twosB = (ones & a) | (u & b);
    ones = u ^ b;
    u = twos ^ twosA;
    const foursB = (twos & twosA) | (u & twosB);
    twos = u ^ twosB;
    u = fours ^ foursA;
    const eights = (fours & foursA) | (u & foursB);
    fours = u ^ foursB;
    total += pc32(eights);
  }
  let rest = 0;
  for (const end = k + (n & 7); k < end; k++) rest += pc32(w[k]);
  return 8 * total + 4 * pc32(fours) + 2 * pc32(twos) + pc32(ones) + rest;
}

/** Set bits in bytes[from, to). */
export function popcount(bytes: Uint8Array, from: number, to: number): number {
  if (to - from >= KERNEL_MIN) {
    const w = kernelInstance();
    if (w !== null) return popcountKernel(w, bytes, from, to);
  }
  let n = 0;
  let i = from;
  // Bytes up to a 4-byte boundary, then whole 32-bit words, then the tail.
  while (i < to && ((bytes.byteOffset + i) & 3) !== 0) n += POPCOUNT[bytes[i++]];
  const words = (to - i) >>> 2;
  if (words >= 16) {
    n += popcountWords(new Int32Array(bytes.buffer, bytes.byteOffset + i, words), 0, words);
    i += words * 4;
  }
  for (; i < to; i++) n += POPCOUNT[bytes[i]];
  return n;
}

/** Set bits in the latin1 string s[from, to) (its char codes are the bytes). */
export function popcountString(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += POPCOUNT[s.charCodeAt(i)];
  return n;
}

function words64(b: Uint8Array, n: number): BigUint64Array {
  return new BigUint64Array(b.buffer, b.byteOffset, n);
}

/**
 * r[0, n) = a OP b [OP c [OP d]] word by word (c, d null when absent): one pass over up to four
 * arrays. r may be a.
 */
function pass(op: BitOp, r: BigUint64Array, a: BigUint64Array, b: BigUint64Array, c: BigUint64Array | null, d: BigUint64Array | null, n: number): void {
  if (d !== null && c !== null) {
    if (op === BitOp.AND) for (let i = 0; i < n; i++) r[i] = a[i] & b[i] & c[i] & d[i];
    else if (op === BitOp.OR) for (let i = 0; i < n; i++) r[i] = a[i] | b[i] | c[i] | d[i];
    else for (let i = 0; i < n; i++) r[i] = a[i] ^ b[i] ^ c[i] ^ d[i];
  } else if (c !== null) {
    if (op === BitOp.AND) for (let i = 0; i < n; i++) r[i] = a[i] & b[i] & c[i];
    else if (op === BitOp.OR) for (let i = 0; i < n; i++) r[i] = a[i] | b[i] | c[i];
    else for (let i = 0; i < n; i++) r[i] = a[i] ^ b[i] ^ c[i];
  } else {
    if (op === BitOp.AND) for (let i = 0; i < n; i++) r[i] = a[i] & b[i];
    else if (op === BitOp.OR) for (let i = 0; i < n; i++) r[i] = a[i] | b[i];
    else for (let i = 0; i < n; i++) r[i] = a[i] ^ b[i];
  }
}

/** r[0, n) = srcs[0] OP srcs[1] OP ... over n words every source has (two or more sources). */
function combineWords(op: BitOp, r: BigUint64Array, srcs: BigUint64Array[], n: number): void {
  const ns = srcs.length;
  let j = Math.min(ns, 4);
  pass(op, r, srcs[0], srcs[1], j > 2 ? srcs[2] : null, j > 3 ? srcs[3] : null, n);
  while (j < ns) {
    const k = Math.min(ns - j, 3);
    pass(op, r, r, srcs[j], k > 1 ? srcs[j + 1] : null, k > 2 ? srcs[j + 2] : null, n);
    j += k;
  }
}

/** res[from, to) OP= b[from, to) byte by byte. */
function combineBytes(op: BitOp, res: Uint8Array, b: Uint8Array, from: number, to: number): void {
  if (op === BitOp.AND) for (let i = from; i < to; i++) res[i] &= b[i];
  else if (op === BitOp.OR) for (let i = from; i < to; i++) res[i] |= b[i];
  else for (let i = from; i < to; i++) res[i] ^= b[i];
}

/**
 * Whether bitopInto may write a result of maxlen bytes over a source of that length (BITOP's
 * target among its sources): it runs through the kernel, which copies every source's chunk in
 * before it writes the result's chunk at the same offset (the JavaScript loops would read
 * overwritten bytes).
 */
export function bitopInPlace(maxlen: number, nsrc: number): boolean {
  return maxlen >= KERNEL_MIN && nsrc <= MAX_KERNEL_SOURCES && kernelInstance() !== null;
}

/**
 * res[0, res.length) = src0 OP src1 OP ... (or NOT src0), a source shorter than res reading as
 * zero bytes past its end (Redis's bitopCommand). res must not be one of the sources, unless
 * bitopInPlace(res.length, srcs.length).
 */
export function bitopInto(op: BitOp, res: Uint8Array, srcs: Uint8Array[]): void {
  const maxlen = res.length;
  if (maxlen >= KERNEL_MIN && srcs.length <= MAX_KERNEL_SOURCES) {
    const w = kernelInstance();
    if (w !== null) return bitopKernel(w, op, res, srcs);
  }
  let minlen = maxlen;
  let aligned = (res.byteOffset & 7) === 0;
  for (const s of srcs) {
    if (s.length < minlen) minlen = s.length;
    if ((s.byteOffset & 7) !== 0) aligned = false;
  }
  const first = srcs[0];
  if (op === BitOp.NOT) {
    // One source: maxlen is its length.
    let i = 0;
    if (aligned) {
      const n = maxlen >>> 2;
      const r = new Int32Array(res.buffer, res.byteOffset, n);
      const a = new Int32Array(first.buffer, first.byteOffset, n);
      for (let k = 0; k < n; k++) r[k] = ~a[k];
      i = n * 4;
    }
    for (; i < maxlen; i++) res[i] = ~first[i];
    return;
  }
  if (srcs.length === 1) {
    res.set(first, 0);
    res.fill(0, first.length);
    return;
  }
  // [0, minlen): every source has these bytes; whole words first, in fused passes.
  const words = aligned ? minlen >>> 3 : 0;
  if (words > 0) {
    combineWords(op, words64(res, words), srcs.map((s) => words64(s, words)), words);
  }
  let i = words * 8;
  if (i < minlen) {
    res.set(first.subarray(i, minlen), i);
    for (let j = 1; j < srcs.length; j++) combineBytes(op, res, srcs[j], i, minlen);
  }
  if (minlen === maxlen) return;
  // [minlen, maxlen): AND is zero there; OR / XOR combine each source over its own length.
  res.fill(0, minlen);
  if (op === BitOp.AND) return;
  for (const s of srcs) {
    if (s.length <= minlen) continue;
    let from = minlen;
    if (aligned) {
      const lo = (minlen + 7) >>> 3;
      const hi = s.length >>> 3;
      if (hi > lo) {
        combineBytes(op, res, s, minlen, lo * 8);
        const r = new BigUint64Array(res.buffer, res.byteOffset + lo * 8, hi - lo);
        pass(op, r, r, new BigUint64Array(s.buffer, s.byteOffset + lo * 8, hi - lo), null, null, hi - lo);
        from = hi * 8;
      }
    }
    combineBytes(op, res, s, from, s.length);
  }
}

/** 2^0 .. 2^64 (a table: `2 ** n` of a variable n is a call to Math.pow). */
export const POW2 = Float64Array.from({ length: 65 }, (_, i) => 2 ** i);

/**
 * BITFIELD's getUnsignedBitfield for a field of 1 to 32 bits (a number holds it exactly): the
 * bits [offset, offset + bits) of the len bytes at v[at..] (a latin1 JS string or bytes; bytes past
 * len read as zero), a byte at a time.
 */
export function fieldGet(v: Uint8Array | string, at: number, len: number, offset: number, bits: number): number {
  let n = 0;
  let i = Math.floor(offset / 8);
  let skip = offset & 7;
  while (bits > 0) {
    const avail = 8 - skip;
    const take = avail < bits ? avail : bits;
    const byte = i < len ? (typeof v === 'string' ? v.charCodeAt(at + i) : v[at + i]) : 0;
    n = n * (1 << take) + ((byte >> (avail - take)) & ((1 << take) - 1));
    bits -= take;
    i++;
    skip = 0;
  }
  return n;
}

/**
 * BITFIELD's setUnsignedBitfield for a field of 1 to 32 bits: `value` (0 <= value < 2^bits) into
 * the bits [offset, offset + bits) of the bytes at b[at..] (long enough), a byte at a time.
 */
export function fieldSet(b: Uint8Array, at: number, offset: number, bits: number, value: number): void {
  let i = at + Math.floor(offset / 8);
  let skip = offset & 7;
  let left = bits; // bits of value still to write (its low `left` bits)
  while (left > 0) {
    const avail = 8 - skip;
    const take = avail < left ? avail : left;
    const chunk = Math.floor(value / POW2[left - take]) & ((1 << take) - 1);
    const shift = avail - take;
    const mask = ((1 << take) - 1) << shift;
    b[i] = (b[i] & ~mask) | (chunk << shift);
    left -= take;
    i++;
    skip = 0;
  }
}
