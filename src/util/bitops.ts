/**
 * BITCOUNT's and BITOP's byte loops in JavaScript, for the js-map engine (the wasm engine runs
 * the same loops in AssemblyScript over linear memory: assembly/bitops.ts).
 */
import { BitOp } from '../engine/types';

export const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Set bits in bytes[from, to). */
export function popcount(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  let i = from;
  // Bytes up to a 4-byte boundary, then whole 32-bit words through a Uint32Array view (SWAR).
  while (i < to && ((bytes.byteOffset + i) & 3) !== 0) n += POPCOUNT[bytes[i++]];
  const words = (to - i) >>> 2;
  if (words > 0) {
    const w32 = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let k = 0; k < words; k++) {
      let w = w32[k];
      w = w - ((w >>> 1) & 0x55555555);
      w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
      n += Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
    }
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

/**
 * res[0, res.length) = src0 OP src1 OP ... (or NOT src0), a source shorter than res reading as
 * zero bytes past its end (Redis's bitopCommand).
 */
export function bitopInto(op: BitOp, res: Uint8Array, srcs: Uint8Array[]): void {
  const first = srcs[0];
  res.set(first.length > res.length ? first.subarray(0, res.length) : first, 0);
  if (op === BitOp.NOT) {
    for (let i = 0; i < res.length; i++) res[i] = ~res[i];
    return;
  }
  for (let j = 1; j < srcs.length; j++) {
    const b = srcs[j];
    const len = Math.min(b.length, res.length);
    if (op === BitOp.AND) {
      for (let i = 0; i < len; i++) res[i] &= b[i];
      res.fill(0, len);
    } else if (op === BitOp.OR) {
      for (let i = 0; i < len; i++) res[i] |= b[i];
    } else {
      for (let i = 0; i < len; i++) res[i] ^= b[i];
    }
  }
}
