/**
 * lzfCompress (lzf.ts) run in WASM when the module is built: assembly/rdbsave.ts lzfScratch in
 * the CRC's helper instance (crc64.ts), which writes the same bytes for every input (the same
 * liblzf steps; test/lzf-wasm.test.ts compares them). The RDB writer compresses every string
 * longer than 20 bytes, ~80,000 small listpacks for 100,000 mixed keys; in JS that loop ran in
 * the interpreter for the first thousands of them in a process's first SAVE.
 *
 * Inputs up to MAX_INPUT bytes (input and output then fit the helper's 1 MB scratch region);
 * longer ones, and everything without build/redust.wasm, go to lzfCompress. O(n).
 */
import { crcInstance } from './crc64';
import { lzfCompress } from './lzf';

const MAX_INPUT = 256 * 1024;
/** Copies up to this many bytes by a loop (subarray() makes a view object per copy). */
const LOOP_COPY = 128;

/** Tests turn the WASM path off to compare it with lzfCompress. */
export const lzfWasm = { enabled: true };

/** lzfCompress's contract: the compressed length in out[outStart, ...), 0 when it does not fit in outLen bytes. */
export function lzfCompressFast(input: Uint8Array, inStart: number, inEnd: number, out: Uint8Array, outStart: number, outLen: number): number {
  const n = inEnd - inStart;
  const w = lzfWasm.enabled && n <= MAX_INPUT && outLen <= MAX_INPUT ? crcInstance() : null;
  if (w === null || n === 0 || outLen === 0) return lzfCompress(input, inStart, inEnd, out, outStart, outLen);
  w.sync();
  let u8 = w.u8;
  const s = w.scratch;
  if (n <= LOOP_COPY) for (let i = 0; i < n; i++) u8[s + i] = input[inStart + i];
  else u8.set(input.subarray(inStart, inEnd), s);
  const c = (w.x as unknown as { lzfScratch(inLen: number, outLen: number): number }).lzfScratch(n, outLen) >>> 0;
  if (c === 0) return 0;
  w.sync(); // (the first call allocates the hash table)
  u8 = w.u8;
  const from = s + n;
  if (c <= LOOP_COPY) for (let i = 0; i < c; i++) out[outStart + i] = u8[from + i];
  else out.set(u8.subarray(from, from + c), outStart);
  return c;
}
