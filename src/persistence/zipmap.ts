/**
 * Zipmap (Redis zipmap.c, decode only): the small-hash encoding of RDB files written by Redis
 * 2.x, still loaded by Redis 7.0. Layout: zmlen (1 byte) | entries | 0xFF. Entry: key length,
 * key, value length, free (1 byte), value, `free` unused bytes. Lengths are 1 byte (< 254) or
 * 0xFE + u32 little-endian. Bounds-checked, O(n).
 */
import { corrupt } from './errors';

/** Visit each field/value pair as buf ranges. */
export function zipmapForEach(buf: Buffer, start: number, end: number, visit: (fs: number, fl: number, vs: number, vl: number) => void): number {
  if (end - start < 2) corrupt('zipmap too short');
  let p = start + 1;
  let count = 0;
  const readLen = (): number => {
    if (p >= end) corrupt('zipmap entry overflows');
    const b = buf[p];
    if (b < 254) {
      p++;
      return b;
    }
    if (b === 254) {
      if (p + 5 > end) corrupt('zipmap entry overflows');
      const l = buf.readUInt32LE(p + 1);
      p += 5;
      return l;
    }
    return -1;
  };
  for (;;) {
    const kl = readLen();
    if (kl === -1) break;
    const ks = p;
    p += kl;
    const vl = readLen();
    if (vl === -1) corrupt('zipmap value missing');
    if (p >= end) corrupt('zipmap entry overflows');
    const free = buf[p++];
    const vs = p;
    p += vl + free;
    if (p > end) corrupt('zipmap entry overflows');
    visit(ks, kl, vs, vl);
    count++;
  }
  if (p !== end - 1) corrupt('zipmap trailing bytes');
  // (zipmapValidateIntegrity: an empty zipmap is corrupt, and a header count below 254 is exact.)
  if (count === 0) corrupt('zipmap empty');
  if (buf[start] !== 254 && buf[start] !== count) corrupt('zipmap count mismatch');
  return count;
}
