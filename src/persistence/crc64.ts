/**
 * CRC-64/Jones as Redis computes it (crc64.c): polynomial 0xad93d23594c935a9, reflected input and
 * output, initial value 0, no final xor. Used for the RDB file checksum and the DUMP payload
 * footer. Check value: crc64(0, "123456789") = 0xe9c6d914c4b8d9ca.
 *
 * The 64-bit state is kept as two uint32 halves (no BigInt per byte) and the input is processed
 * slice-by-8 with eight 256-entry tables (aligned words read through a Uint32Array view; this
 * assumes a little-endian host, as Node's supported platforms are): O(n). Inputs of WASM_MIN
 * bytes or more are folded by assembly/crc64.ts (slice-by-8 over u64 tables, about 3x faster)
 * in a small WASM instance of its own when build/redust.wasm exists, in chunks copied into its
 * scratch region.
 */
import { WasmInstance } from '../engine/wasm/loader';
import { R_LEN, R_PTR } from '../engine/wasm/abi';

const WASM_MIN = 512;
/**
 * Bytes per WASM call (the scratch region's size). 256 KB: the scratch's pages are fresh memory
 * faulted in on the first checksum (the load at start), ~270 fewer faults than with 1 MB (~3 us
 * each on the shared hosts measured); the per-call cost (lane joins) is a few microseconds.
 */
const WASM_CHUNK = 1 << 18;
let wasm: WasmInstance | null | undefined;

/**
 * The CRC's WASM instance, null when the module is not built. Also the js-map engine's helper
 * instance (its RDB scan, js-map/rdb-scan.ts), which uses memory it allocates, not the scratch.
 */
export function crcInstance(): WasmInstance | null {
  if (wasm === undefined) {
    try {
      wasm = new WasmInstance();
      wasm.reserveScratch(WASM_CHUNK);
    } catch {
      wasm = null;
    }
  }
  return wasm;
}

// The reflected polynomial 0x95ac9329ac4bc9b5, split into halves.
const POLY_HI = 0x95ac9329;
const POLY_LO = 0xac4bc9b5;

const T_HI: Uint32Array[] = [];
const T_LO: Uint32Array[] = [];
for (let t = 0; t < 8; t++) {
  T_HI.push(new Uint32Array(256));
  T_LO.push(new Uint32Array(256));
}
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let k = 0; k < 8; k++) {
    const bit = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (bit) {
      hi = (hi ^ POLY_HI) >>> 0;
      lo = (lo ^ POLY_LO) >>> 0;
    }
  }
  T_HI[0][i] = hi;
  T_LO[0][i] = lo;
}
for (let i = 0; i < 256; i++) {
  for (let t = 1; t < 8; t++) {
    // T[t][i] = T[0][T[t-1][i] & 0xff] ^ (T[t-1][i] >> 8)
    const ph = T_HI[t - 1][i];
    const pl = T_LO[t - 1][i];
    const b = pl & 0xff;
    T_HI[t][i] = (T_HI[0][b] ^ (ph >>> 8)) >>> 0;
    T_LO[t][i] = (T_LO[0][b] ^ ((pl >>> 8) | ((ph & 0xff) << 24))) >>> 0;
  }
}

/**
 * Make the CRC's WASM instance and run its code once now (about 1-2 ms the first time in a process),
 * so that the first flush of a background save does not pay for it inside a step.
 */
export function crc64Warm(): void {
  // (Long enough for assembly/crc64.ts's four-lane loop too: LANE_MIN_INPUT.)
  if (crcInstance() !== null) crc64Update({ hi: 0, lo: 0 }, new Uint8Array(WARM_BYTES));
}
const WARM_BYTES = 64 << 10;

/** A running CRC-64 value as two uint32 halves. */
export interface Crc64State {
  hi: number;
  lo: number;
}

/** Fold buf[start, end) into `st` (in place). */
export function crc64Update(st: Crc64State, buf: Uint8Array, start = 0, end = buf.length): void {
  const w = end - start >= WASM_MIN ? crcInstance() : null;
  if (w !== null) {
    for (let i = start; i < end; i += WASM_CHUNK) {
      const n = Math.min(WASM_CHUNK, end - i);
      w.sync();
      w.u8.set(buf.subarray(i, i + n), w.scratch);
      w.x.crc64Scratch(st.lo, st.hi, n);
      st.lo = w.resU32(R_PTR);
      st.hi = w.resU32(R_LEN);
    }
    return;
  }
  let hi = st.hi;
  let lo = st.lo;
  let i = start;
  const t0h = T_HI[0], t0l = T_LO[0], t1h = T_HI[1], t1l = T_LO[1], t2h = T_HI[2], t2l = T_LO[2], t3h = T_HI[3], t3l = T_LO[3];
  const t4h = T_HI[4], t4l = T_LO[4], t5h = T_HI[5], t5l = T_LO[5], t6h = T_HI[6], t6l = T_LO[6], t7h = T_HI[7], t7l = T_LO[7];
  // Byte at a time up to a 4-byte aligned address, then 8 bytes per step through a Uint32Array
  // view (two loads instead of eight), then the tail byte at a time.
  while (i < end && ((buf.byteOffset + i) & 3) !== 0) {
    const b = (lo ^ buf[i]) & 0xff;
    lo = (lo >>> 8) | ((hi & 0xff) << 24);
    hi = hi >>> 8;
    hi ^= t0h[b];
    lo ^= t0l[b];
    i++;
  }
  const words = (end - i) >>> 3;
  if (words > 0) {
    const u32 = new Uint32Array(buf.buffer, buf.byteOffset + i, words * 2);
    for (let w = 0; w < words * 2; w += 2) {
      const l = lo ^ u32[w];
      const h = hi ^ u32[w + 1];
      hi =
        t7h[l & 0xff] ^ t6h[(l >>> 8) & 0xff] ^ t5h[(l >>> 16) & 0xff] ^ t4h[l >>> 24] ^
        t3h[h & 0xff] ^ t2h[(h >>> 8) & 0xff] ^ t1h[(h >>> 16) & 0xff] ^ t0h[h >>> 24];
      lo =
        t7l[l & 0xff] ^ t6l[(l >>> 8) & 0xff] ^ t5l[(l >>> 16) & 0xff] ^ t4l[l >>> 24] ^
        t3l[h & 0xff] ^ t2l[(h >>> 8) & 0xff] ^ t1l[(h >>> 16) & 0xff] ^ t0l[h >>> 24];
    }
    i += words * 8;
  }
  for (; i < end; i++) {
    const b = (lo ^ buf[i]) & 0xff;
    lo = (lo >>> 8) | ((hi & 0xff) << 24);
    hi = hi >>> 8;
    hi ^= t0h[b];
    lo ^= t0l[b];
  }
  st.hi = hi >>> 0;
  st.lo = lo >>> 0;
}

/**
 * Fold [ptr, ptr + len) of w's linear memory (bytes the caller copied there, e.g. the wasm engine's
 * RDB load window) into `st` (in place), with w's own copy of the WASM code: no helper instance.
 */
export function crc64UpdateAt(w: WasmInstance, st: Crc64State, ptr: number, len: number): void {
  w.x.crc64At(st.lo, st.hi, ptr, len);
  st.lo = w.resU32(R_PTR);
  st.hi = w.resU32(R_LEN);
}

/** CRC-64 of buf[start, end) from 0, as a state. */
export function crc64(buf: Uint8Array, start = 0, end = buf.length): Crc64State {
  const st = { hi: 0, lo: 0 };
  crc64Update(st, buf, start, end);
  return st;
}

/** Write the CRC as Redis stores it (little-endian uint64) at out[at]. */
export function writeCrc64LE(st: Crc64State, out: Buffer, at: number): void {
  out.writeUInt32LE(st.lo, at);
  out.writeUInt32LE(st.hi, at + 4);
}

/** True when the 8 bytes at buf[at] hold `st` little-endian. */
export function crc64EqualsLE(st: Crc64State, buf: Buffer, at: number): boolean {
  return buf.readUInt32LE(at) === st.lo && buf.readUInt32LE(at + 4) === st.hi;
}

export function crc64Hex(st: Crc64State): string {
  return st.hi.toString(16).padStart(8, '0') + st.lo.toString(16).padStart(8, '0');
}
