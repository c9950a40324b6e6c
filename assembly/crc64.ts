/*
 * crc64.ts -- CRC-64/Jones as Redis computes it (crc64.c, crcspeed): reflected polynomial
 * 0x95ac9329ac4bc9b5, initial value 0, no final xor; slice-by-8 over eight 256-entry u64 tables
 * (built on first use). The JS side (src/persistence/crc64.ts) hands long inputs here through
 * the scratch region: the state crosses as two u32 halves (no i64 at the boundary), the result
 * comes back in RES ptr (low half) and RES len (high half). O(n).
 */
import { RES, scratchPtr } from './io';
import { R_PTR, R_LEN } from '../src/engine/wasm/abi';

const T: usize = memory.data(8 * 256 * 8, 8);
let ready = false;

function build(): void {
  const poly: u64 = 0x95ac9329ac4bc9b5;
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
  ready = true;
}

// @ts-ignore: decorator
@inline function tab(t: u32, b: u64): u64 {
  return load<u64>(T + (<usize>t << 11) + (<usize>b << 3));
}

/** Fold scratch[0, len) into the CRC whose halves are lo/hi; the new CRC goes to RES ptr/len. */
export function crc64Scratch(lo: u32, hi: u32, len: u32): void {
  if (!ready) build();
  let c: u64 = (<u64>hi << 32) | <u64>lo;
  let p: usize = scratchPtr;
  const end = p + len;
  while (p + 8 <= end) {
    c ^= load<u64>(p);
    c = tab(7, c & 0xff) ^ tab(6, (c >> 8) & 0xff) ^ tab(5, (c >> 16) & 0xff) ^ tab(4, (c >> 24) & 0xff) ^
      tab(3, (c >> 32) & 0xff) ^ tab(2, (c >> 40) & 0xff) ^ tab(1, (c >> 48) & 0xff) ^ tab(0, c >> 56);
    p += 8;
  }
  while (p < end) {
    c = tab(0, (c ^ <u64>load<u8>(p)) & 0xff) ^ (c >> 8);
    p++;
  }
  store<u32>(RES, <u32>c, R_PTR);
  store<u32>(RES, <u32>(c >> 32), R_LEN);
}
