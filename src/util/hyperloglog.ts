/**
 * HyperLogLog in Redis 7.0's exact byte representation (hyperloglog.c), so a value written here
 * is byte-for-byte the one Redis writes after the same commands, and values move between the two.
 *
 * Layout: 16-byte header "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, 8-byte cached
 * cardinality (little endian; MSB of the last byte set = cache invalid). Then either
 * - dense: 16384 6-bit registers packed LSB first, 12288 bytes (total 12304), or
 * - sparse: run-length opcodes ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
 *   (1..16384 zero registers), VAL 1vvvvvxx (value 1..32 repeated 1..4 times).
 *
 * Invariants: a valid sparse value's opcodes cover exactly 16384 registers; every function that
 * walks a sparse value bounds-checks against the value's length and register count, so corrupt
 * input yields "invalid" (INVALIDOBJ), never an out-of-range write.
 * Complexity: add O(1) dense, O(sparse length) sparse; count/merge O(16384).
 * Hashing is MurmurHash64A (seed 0xadc83b19) on two 32-bit halves: no BigInt in the hot path.
 */

import type { HllRegisters, StringEdit, StringPeek } from '../engine/types';

// Module-local constants: TypeScript compiles a module's own `export const` uses to `exports.X`
// property loads, which cost more than the hash itself in the hot loops below.
const P = 14;
const Q = 64 - P;
const REGISTERS = 1 << P;
const BITS = 6;
const REGISTER_MAX = (1 << BITS) - 1;
const HDR_SIZE = 16;
const DENSE_SIZE = HDR_SIZE + ((REGISTERS * BITS + 7) >> 3);
const DENSE = 0;
const SPARSE = 1;
export const HLL_P = P;
export const HLL_Q = Q;
export const HLL_REGISTERS = REGISTERS;
export const HLL_BITS = BITS;
export const HLL_REGISTER_MAX = REGISTER_MAX;
export const HLL_HDR_SIZE = HDR_SIZE;
export const HLL_DENSE_SIZE = DENSE_SIZE;
export const HLL_DENSE = DENSE;
export const HLL_SPARSE = SPARSE;
const HLL_SPARSE_VAL_MAX_VALUE = 32;
const HLL_SPARSE_VAL_MAX_LEN = 4;
const HLL_SPARSE_ZERO_MAX_LEN = 64;
const HLL_SPARSE_XZERO_MAX_LEN = 16384;
const HLL_ALPHA_INF = 0.721347520444481703680;

/** A mutable HLL value: bytes buf[0, len); buf may have spare capacity (sparse growth). */
export class Hll {
  constructor(
    public buf: Buffer,
    public len: number,
  ) {}

  get encoding(): number {
    return this.buf[4];
  }

  /** The value's bytes (a view). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  invalidateCache(): void {
    this.buf[15] |= 0x80;
  }

  cacheValid(): boolean {
    return (this.buf[15] & 0x80) === 0;
  }

  cachedCard(): number {
    const b = this.buf;
    return b.readUInt32LE(8) + b.readUInt32LE(12) * 4294967296;
  }

  setCachedCard(card: number): void {
    this.buf.writeUInt32LE(card % 4294967296, 8);
    this.buf.writeUInt32LE(Math.floor(card / 4294967296), 12);
  }

  /** Room for `extra` more bytes past len. */
  reserve(extra: number): void {
    if (this.len + extra < this.buf.length) return;
    // One more byte for the terminator; the bytes past len are kept (see afterBuf).
    const next = Buffer.alloc(Math.max(this.len + extra + 1, this.len * 2));
    this.buf.copy(next, 0);
    this.buf = next;
  }
}

/** createHLLObject: an empty sparse HLL (one XZERO:16384). */
export function createHll(): Hll {
  const b = Buffer.alloc(HDR_SIZE + 2);
  b.write('HYLL', 0, 'latin1');
  b[4] = SPARSE;
  b[16] = 0x40 | ((REGISTERS - 1) >> 8);
  b[17] = (REGISTERS - 1) & 0xff;
  return new Hll(b, b.length);
}

// ---- MurmurHash64A on 32-bit halves -------------------------------------------------------------

/**
 * mulM's result [lo, hi]: a typed array, because a module-level `let` holding a 32-bit value past
 * 2^30 is a boxed heap number in V8, allocated anew on every store (5 per hash).
 */
const H = new Uint32Array(2);

// m = 0xc6a4a7935bd1e995: its 32-bit halves, and the low half's 16-bit limbs.
const M_LO = 0x5bd1e995;
const M_HI = 0xc6a4a793;
const M_LO0 = M_LO & 0xffff;
const M_LO1 = M_LO >>> 16;

/**
 * [H[0], H[1]] = (aHi,aLo) * m mod 2^64 (low, high): the low word is Math.imul's exact low 32
 * bits; the high word is the high 32 bits of aLo * m_lo (16-bit limbs, every partial product
 * below 2^32) plus the two cross products' low words.
 */
function mulM(aHi: number, aLo: number): void {
  const a0 = aLo & 0xffff;
  const a1 = aLo >>> 16;
  const w0 = a0 * M_LO0;
  const t = a1 * M_LO0 + (w0 >>> 16);
  const w1 = a0 * M_LO1 + (t & 0xffff);
  const mulhi = a1 * M_LO1 + (t >>> 16) + (w1 >>> 16);
  H[0] = Math.imul(aLo, M_LO);
  H[1] = mulhi + Math.imul(aHi, M_LO) + Math.imul(aLo, M_HI);
}

/**
 * hllPatLen: hashes bytes[start, start + len) and returns the run length of the 0..01 pattern
 * (1..51); the register index is left in `patIndex`.
 */
let patIndex = 0;
/** The register index of the last patLen() call. */
export function lastPatIndex(): number {
  return patIndex;
}
export function patLen(bytes: Uint8Array, start: number, len: number): number {
  // h = seed ^ (len * m)
  mulM(0, len);
  let hi = H[1];
  let lo = (H[0] ^ 0xadc83b19) >>> 0;
  const end8 = start + (len - (len & 7));
  let i = start;
  for (; i < end8; i += 8) {
    const kLo = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
    const kHi = (bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24)) >>> 0;
    mulM(kHi, kLo);
    let k1Hi = H[1];
    let k1Lo = (H[0] ^ (H[1] >>> 15)) >>> 0; // k ^= k >> 47
    mulM(k1Hi, k1Lo);
    k1Hi = H[1];
    k1Lo = H[0];
    mulM((hi ^ k1Hi) >>> 0, (lo ^ k1Lo) >>> 0);
    hi = H[1];
    lo = H[0];
  }
  const rest = len & 7;
  if (rest > 0) {
    let tLo = 0;
    let tHi = 0;
    for (let j = rest - 1; j >= 0; j--) {
      const v = bytes[i + j];
      if (j >= 4) tHi |= v << ((j - 4) * 8);
      else tLo |= v << (j * 8);
    }
    mulM((hi ^ tHi) >>> 0, (lo ^ tLo) >>> 0);
    hi = H[1];
    lo = H[0];
  }
  lo = (lo ^ (hi >>> 15)) >>> 0;
  mulM(hi, lo);
  hi = H[1];
  lo = (H[0] ^ (H[1] >>> 15)) >>> 0;
  patIndex = lo & (REGISTERS - 1);
  const rest18 = lo >>> P;
  if (rest18 !== 0) return 31 - Math.clz32(rest18 & -rest18) + 1;
  if (hi !== 0) return 18 + (31 - Math.clz32(hi & -hi)) + 1;
  return Q + 1;
}

/** The raw 64-bit hash, for tests: [hi, lo]. */
export function murmurHash64A(bytes: Uint8Array): [number, number] {
  patLen(bytes, 0, bytes.length);
  return [H[1], (H[0] ^ (H[1] >>> 15)) >>> 0];
}

// ---- Dense registers ------------------------------------------------------------------------------

/** HLL_DENSE_GET_REGISTER on registers starting at b[off]. */
export function denseGet(b: Uint8Array, off: number, regnum: number): number {
  const bitpos = regnum * BITS;
  const byte = off + (bitpos >>> 3);
  const fb = bitpos & 7;
  const b0 = b[byte];
  const b1 = fb > 2 ? b[byte + 1] : 0; // the register spills into the next byte only when fb > 2
  return ((b0 >> fb) | (b1 << (8 - fb))) & REGISTER_MAX;
}

/** HLL_DENSE_SET_REGISTER. */
export function denseSetRaw(b: Uint8Array, off: number, regnum: number, val: number): void {
  const bitpos = regnum * BITS;
  const byte = off + (bitpos >>> 3);
  const fb = bitpos & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte] & ~(REGISTER_MAX << fb)) | ((val << fb) & 0xff);
  if (fb > 2) b[byte + 1] = (b[byte + 1] & ~(REGISTER_MAX >> fb8)) | (val >> fb8);
}

/** hllDenseSet: raise the register to `count` if lower; 1 when changed. */
export function denseSet(b: Uint8Array, off: number, index: number, count: number): number {
  if (count > denseGet(b, off, index)) {
    denseSetRaw(b, off, index, count);
    return 1;
  }
  return 0;
}

// ---- Sparse ---------------------------------------------------------------------------------------

/** hllSparseToDense: false when the sparse value is corrupt (h unchanged). */
export function sparseToDense(h: Hll): boolean {
  if (h.encoding === DENSE) return true;
  const src = h.buf;
  const end = h.len;
  const dense = Buffer.alloc(DENSE_SIZE);
  src.copy(dense, 0, 0, HDR_SIZE);
  dense[4] = DENSE;
  let idx = 0;
  let p = HDR_SIZE;
  while (p < end) {
    const op = src[p];
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      idx += (((op & 0x3f) << 8) | afterBuf(src, p)) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >> 2) & 0x1f) + 1;
      if (runlen + idx > REGISTERS) return false; // Redis 7.0.15: overflow is corruption
      while (runlen--) denseSetRaw(dense, HDR_SIZE, idx++, regval);
      p++;
    }
  }
  if (idx !== REGISTERS) return false;
  h.buf = dense;
  h.len = DENSE_SIZE;
  return true;
}

/** The byte after opcode p of a stored value: past the end it is the sds terminator, 0. */
function after(b: Uint8Array, p: number, end: number): number {
  return p + 1 < end ? b[p + 1] : 0;
}

/**
 * The same inside an Hll being modified: Redis reads an XZERO's second byte even at the end of
 * the value, and within one command that byte may be a leftover of an earlier split (sparseSet
 * keeps the bytes past `len` as the sds would). Never reads past the buffer.
 */
function afterBuf(b: Uint8Array, p: number): number {
  return p + 1 < b.length ? b[p + 1] : 0;
}

function valByte(val: number, len: number): number {
  return 0x80 | ((val - 1) << 2) | (len - 1);
}

/**
 * hllSparseSet: 1 when a register changed, 0 when not, -1 when the value is corrupt. May promote
 * to dense (count > 32, or growth past `sparseMaxBytes`).
 */
export function sparseSet(h: Hll, index: number, count: number, sparseMaxBytes: number): number {
  if (count > HLL_SPARSE_VAL_MAX_VALUE) return promote(h, index, count);
  h.reserve(4); // XZERO -> XZERO VAL XZERO grows by 3 (4 when the XZERO was cut short by the end)
  const b = h.buf;
  const sparse = HDR_SIZE;
  let end = h.len;
  let p = sparse;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
    else if (op & 0x80) span = (op & 3) + 1;
    else {
      span = (((op & 0x3f) << 8) | afterBuf(b, p)) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p];
  const isXzero = (op & 0xc0) === 0x40;
  let next = isXzero ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const isZero = (op & 0xc0) === 0;
  const isVal = (op & 0x80) !== 0;
  const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | afterBuf(b, p)) + 1 : (op & 3) + 1;

  updated: {
    if (isVal) {
      const oldcount = ((op >> 2) & 0x1f) + 1;
      if (oldcount >= count) return 0;
      if (runlen === 1) {
        b[p] = valByte(count, 1);
        break updated;
      }
    }
    if (isZero && runlen === 1) {
      b[p] = valByte(count, 1);
      break updated;
    }
    const seq: number[] = [];
    const last = first + span - 1;
    if (isZero || isXzero) {
      if (index !== first) pushZeros(seq, index - first);
      seq.push(valByte(count, 1));
      if (index !== last) pushZeros(seq, last - index);
    } else {
      const curval = ((op >> 2) & 0x1f) + 1;
      if (index !== first) seq.push(valByte(curval, index - first));
      seq.push(valByte(count, 1));
      if (index !== last) seq.push(valByte(curval, last - index));
    }
    const seqlen = seq.length;
    const oldlen = isXzero ? 2 : 1;
    const deltalen = seqlen - oldlen;
    if (deltalen > 0 && h.len + deltalen > sparseMaxBytes) return promote(h, index, count);
    if (deltalen !== 0 && next !== -1) b.copyWithin(next + deltalen, next, end);
    h.len += deltalen;
    b[h.len] = 0; // sdsIncrLen's terminator, which the copy below may overwrite (as in Redis)
    for (let j = 0; j < seqlen; j++) b[p + j] = seq[j];
    end += deltalen;
  }

  // Step 4: merge adjacent VAL opcodes with equal values, scanning up to 5 opcodes from prev.
  p = prev >= 0 ? prev : sparse;
  let scanlen = 5;
  while (p < end && scanlen--) {
    const o = b[p];
    if ((o & 0xc0) === 0x40) {
      p += 2;
      continue;
    } else if ((o & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && b[p + 1] & 0x80) {
      const v1 = ((o >> 2) & 0x1f) + 1;
      const v2 = ((b[p + 1] >> 2) & 0x1f) + 1;
      if (v1 === v2) {
        const len = (o & 3) + 1 + (b[p + 1] & 3) + 1;
        if (len <= HLL_SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valByte(v1, len);
          b.copyWithin(p, p + 1, end);
          h.len--;
          end--;
          b[end] = 0;
          continue;
        }
      }
    }
    p++;
  }
  h.invalidateCache();
  return 1;
}

function pushZeros(seq: number[], len: number): void {
  if (len > HLL_SPARSE_ZERO_MAX_LEN) {
    const l = len - 1;
    seq.push((l >> 8) | 0x40, l & 0xff);
  } else seq.push(len - 1);
}

function promote(h: Hll, index: number, count: number): number {
  if (!sparseToDense(h)) return -1;
  // The register must change: a sparse value cannot hold this count at this position.
  return denseSet(h.buf, HDR_SIZE, index, count);
}

/** hllAdd: 1 changed, 0 not, -1 corrupt. */
export function hllAdd(h: Hll, ele: Uint8Array, sparseMaxBytes: number): number {
  const count = patLen(ele, 0, ele.length);
  return hllSet(h, patIndex, count, sparseMaxBytes);
}

/** hllAdd's second half, for an element already hashed (patLen, lastPatIndex): 1 changed, 0 not, -1 corrupt. */
export function hllSet(h: Hll, index: number, count: number, sparseMaxBytes: number): number {
  switch (h.encoding) {
    case DENSE:
      return denseSet(h.buf, HDR_SIZE, index, count);
    case SPARSE:
      return sparseSet(h, index, count, sparseMaxBytes);
    default:
      return -1;
  }
}

/** hllMerge: max[i] = MAX(max[i], register i). False when a sparse value is corrupt. */
export function hllMerge(max: Uint8Array, b: Uint8Array, start: number, len: number): boolean {
  if (b[start + 4] === DENSE) {
    if (denseWords(max, b, start, true)) return true;
    // Every 3 bytes hold 4 whole registers (6 bits each, LSB first).
    for (let j = 0, r = start + HDR_SIZE; j < REGISTERS; j += 4, r += 3) {
      const w = b[r] | (b[r + 1] << 8) | (b[r + 2] << 16);
      let v = w & 63;
      if (v > max[j]) max[j] = v;
      v = (w >> 6) & 63;
      if (v > max[j + 1]) max[j + 1] = v;
      v = (w >> 12) & 63;
      if (v > max[j + 2]) max[j + 2] = v;
      v = w >>> 18;
      if (v > max[j + 3]) max[j + 3] = v;
    }
    return true;
  }
  const end = start + len;
  let p = start + HDR_SIZE;
  let i = 0;
  while (p < end) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0xc0) === 0x40) {
      i += (((op & 0x3f) << 8) | after(b, p, end)) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const regval = ((op >> 2) & 0x1f) + 1;
      if (runlen + i > REGISTERS) return false; // Redis 7.0.15: overflow is corruption here
      while (runlen--) {
        if (regval > max[i]) max[i] = regval;
        i++;
      }
      p++;
    }
  }
  return i === REGISTERS;
}

// ---- Estimation -------------------------------------------------------------------------------------

function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The estimator of hllCount (Ertl's improved estimator) over a register histogram. */
export function estimate(reghisto: Int32Array): number {
  const m = REGISTERS;
  let z = m * hllTau((m - reghisto[Q + 1]) / m);
  for (let j = Q; j >= 1; --j) {
    z += reghisto[j];
    z *= 0.5;
  }
  z += m * hllSigma(reghisto[0] / m);
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}

const histo = new Int32Array(64);

/** hllCount of a stored value; -1 when a sparse value is corrupt. */
export function hllCount(b: Uint8Array, start: number, len: number): number {
  histo.fill(0);
  if (b[start + 4] === DENSE) {
    const off = start + HDR_SIZE;
    for (let j = 0, r = off; j < REGISTERS; j += 4, r += 3) {
      const r0 = b[r];
      const r1 = b[r + 1];
      const r2 = b[r + 2];
      histo[r0 & 63]++;
      histo[((r0 >> 6) | (r1 << 2)) & 63]++;
      histo[((r1 >> 4) | (r2 << 4)) & 63]++;
      histo[(r2 >> 2) & 63]++;
    }
  } else {
    const end = start + len;
    let p = start + HDR_SIZE;
    let idx = 0;
    while (p < end) {
      const op = b[p];
      if ((op & 0xc0) === 0) {
        const runlen = (op & 0x3f) + 1;
        idx += runlen;
        histo[0] += runlen;
        p++;
      } else if ((op & 0xc0) === 0x40) {
        const runlen = (((op & 0x3f) << 8) | after(b, p, end)) + 1;
        idx += runlen;
        histo[0] += runlen;
        p += 2;
      } else {
        const runlen = (op & 3) + 1;
        idx += runlen;
        histo[((op >> 2) & 0x1f) + 1] += runlen;
        p++;
      }
    }
    if (idx !== REGISTERS) return -1;
  }
  return estimate(histo);
}

/**
 * The histogram of raw one-byte-per-register registers. Four partial histograms, summed at the
 * end: consecutive registers mostly hold the same few values, and one array's increments of the
 * same slot would each wait for the previous one.
 */
export function rawHistogram(max: Uint8Array, out: Int32Array): Int32Array {
  const h = HISTO4;
  h.fill(0);
  for (let i = 0; i < REGISTERS; i += 4) {
    h[max[i]]++;
    h[64 + max[i + 1]]++;
    h[128 + max[i + 2]]++;
    h[192 + max[i + 3]]++;
  }
  for (let v = 0; v < 64; v++) out[v] = h[v] + h[64 + v] + h[128 + v] + h[192 + v];
  return out;
}
const HISTO4 = new Int32Array(256);

/**
 * Engine.hllRegisters for the js-map engine: the loops above over JavaScript arrays. After
 * reset() the first dense value is unpacked into the registers rather than max-merged.
 */
export class JsHllRegisters implements HllRegisters {
  private readonly max = new Uint8Array(REGISTERS);
  private readonly histo = new Int32Array(64);
  /** Every register is 0 (reset() not followed by a merge yet): fill(0) deferred. */
  private empty = false;

  reset(): void {
    this.empty = true;
  }

  merge(v: StringPeek): boolean {
    const b = typeof v.bytes === 'string' ? Buffer.from(v.bytes.slice(v.start, v.start + v.length), 'latin1') : v.bytes;
    const start = typeof v.bytes === 'string' ? 0 : v.start;
    if (this.empty) {
      this.empty = false;
      if (b[start + 4] === DENSE) {
        unpackDense(this.max, b, start);
        return true;
      }
      this.max.fill(0);
    }
    return hllMerge(this.max, b, start, v.length);
  }

  histogram(): Int32Array {
    if (this.empty) {
      this.histo.fill(0);
      this.histo[0] = REGISTERS;
      return this.histo;
    }
    return rawHistogram(this.max, this.histo);
  }

  registers(): Uint8Array {
    if (this.empty) {
      this.empty = false;
      this.max.fill(0);
    }
    return this.max;
  }

  raiseDense(v: StringEdit): void {
    if (this.empty) return;
    const off = v.start + HDR_SIZE;
    const max = this.max;
    const b = v.bytes;
    // Four registers per 3 bytes, as hllMerge reads them.
    for (let j = 0, r = off; j < REGISTERS; j += 4, r += 3) {
      const w = b[r] | (b[r + 1] << 8) | (b[r + 2] << 16);
      let a = w & 63;
      let x = (w >> 6) & 63;
      let y = (w >> 12) & 63;
      let z = w >>> 18;
      const ma = max[j];
      const mx = max[j + 1];
      const my = max[j + 2];
      const mz = max[j + 3];
      if (ma > a) a = ma;
      if (mx > x) x = mx;
      if (my > y) y = my;
      if (mz > z) z = mz;
      const n = a | (x << 6) | (y << 12) | (z << 18);
      b[r] = n;
      b[r + 1] = n >> 8;
      b[r + 2] = n >> 16;
    }
  }
}

/** max[i] = register i of the dense value at b[start] (header included). */
function unpackDense(max: Uint8Array, b: Uint8Array, start: number): void {
  if (denseWords(max, b, start, false)) return;
  for (let j = 0, r = start + HDR_SIZE; j < REGISTERS; j += 4, r += 3) {
    const w = b[r] | (b[r + 1] << 8) | (b[r + 2] << 16);
    max[j] = w & 63;
    max[j + 1] = (w >> 6) & 63;
    max[j + 2] = (w >> 12) & 63;
    max[j + 3] = w >>> 18;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** 24 bits (four 6-bit registers) spread into the four bytes of a 32-bit word. */
function spread(w: number): number {
  return (w & 0x3f) | ((w & 0xfc0) << 2) | ((w & 0x3f000) << 4) | ((w & 0xfc0000) << 6);
}

/**
 * The dense value's registers into max (merge: max[i] = MAX(max[i], register i); else a plain
 * unpack), sixteen registers per three 32-bit loads and four 32-bit stores, the byte-wise MAX by
 * SWAR (registers are below 128, so (a | 0x80) - b never borrows across bytes). False, having
 * done nothing, where the words are unaligned (or the machine big-endian): the byte loops run.
 */
function denseWords(max: Uint8Array, b: Uint8Array, start: number, merge: boolean): boolean {
  const at = b.byteOffset + start + HDR_SIZE;
  if (!LITTLE_ENDIAN || (at & 3) !== 0 || (max.byteOffset & 3) !== 0) return false;
  const src = new Int32Array(b.buffer, at, (REGISTERS * BITS) >>> 5);
  const dst = new Int32Array(max.buffer, max.byteOffset, REGISTERS >>> 2);
  for (let k = 0, d = 0; d < REGISTERS >>> 2; k += 3, d += 4) {
    const A = src[k];
    const B = src[k + 1];
    const C = src[k + 2];
    let r0 = spread(A & 0xffffff);
    let r1 = spread((A >>> 24) | ((B & 0xffff) << 8));
    let r2 = spread((B >>> 16) | ((C & 0xff) << 16));
    let r3 = spread(C >>> 8);
    if (merge) {
      let m = dst[d];
      // 0xff in each byte where m >= r0.
      let ge = Math.imul((((m | 0x80808080) - r0) & 0x80808080) >>> 7, 0xff);
      r0 = (m & ge) | (r0 & ~ge);
      m = dst[d + 1];
      ge = Math.imul((((m | 0x80808080) - r1) & 0x80808080) >>> 7, 0xff);
      r1 = (m & ge) | (r1 & ~ge);
      m = dst[d + 2];
      ge = Math.imul((((m | 0x80808080) - r2) & 0x80808080) >>> 7, 0xff);
      r2 = (m & ge) | (r2 & ~ge);
      m = dst[d + 3];
      ge = Math.imul((((m | 0x80808080) - r3) & 0x80808080) >>> 7, 0xff);
      r3 = (m & ge) | (r3 & ~ge);
    }
    dst[d] = r0;
    dst[d + 1] = r1;
    dst[d + 2] = r2;
    dst[d + 3] = r3;
  }
  return true;
}
