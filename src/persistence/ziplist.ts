/**
 * Ziplist (Redis ziplist.c, decode only): the small-collection encoding of RDB versions before
 * 10, still loaded by Redis 7.0 (lists, hashes and zsets saved by Redis 3.2-6.2).
 *
 * Layout: zlbytes (u32 LE) | zltail (u32 LE) | zllen (u16 LE, 65535 = unknown) | entries | 0xFF.
 * Entry: prevlen (1 byte, or 0xFE + u32 LE) | encoding | data. Encodings: 00llllll, 01llllll
 * llllllll (BE), 0x80 + u32 BE string lengths; 0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24,
 * 0xFE int8, 0xF1-0xFD immediate 0-12. Every read is bounds-checked: O(n).
 */
import { corrupt } from './errors';

/** Visit each element: an integer (isInt) or the string buf[s, s + len). Returns the count. */
export function ziplistForEach(buf: Buffer, start: number, end: number, visit: (isInt: boolean, int: number | bigint, s: number, len: number) => void): number {
  if (end - start < 11) corrupt('ziplist too short');
  if (buf.readUInt32LE(start) !== end - start) corrupt('ziplist size mismatch');
  if (buf[end - 1] !== 0xff) corrupt('ziplist terminator missing');
  const tail = buf.readUInt32LE(start + 4);
  if (tail > end - start - 1) corrupt('ziplist bad tail offset');
  const header = buf.readUInt16LE(start + 8);
  let p = start + 10;
  const last = end - 1;
  let count = 0;
  let prevSize = 0;
  let entryStart = -1;
  while (p < last) {
    entryStart = p;
    let prevlen: number;
    if (buf[p] < 254) {
      prevlen = buf[p];
      p += 1;
    } else if (buf[p] === 254) {
      if (p + 5 > last) corrupt('ziplist entry overflows');
      prevlen = buf.readUInt32LE(p + 1);
      p += 5;
    } else corrupt('ziplist bad prevlen');
    if (prevlen !== prevSize) corrupt('ziplist prevlen mismatch');
    if (p >= last) corrupt('ziplist entry overflows');
    const e = buf[p];
    let isInt = true;
    let int: number | bigint = 0;
    let s = 0;
    let len = 0;
    const top = e & 0xc0;
    if (top === 0x00) {
      isInt = false;
      len = e & 0x3f;
      s = p + 1;
    } else if (top === 0x40) {
      if (p + 2 > last) corrupt('ziplist entry overflows');
      isInt = false;
      len = ((e & 0x3f) << 8) | buf[p + 1];
      s = p + 2;
    } else if (e === 0x80) {
      if (p + 5 > last) corrupt('ziplist entry overflows');
      isInt = false;
      len = buf.readUInt32BE(p + 1);
      s = p + 5;
    } else {
      s = p + 1;
      if (e === 0xc0) len = 2;
      else if (e === 0xd0) len = 4;
      else if (e === 0xe0) len = 8;
      else if (e === 0xf0) len = 3;
      else if (e === 0xfe) len = 1;
      else if (e >= 0xf1 && e <= 0xfd) len = 0;
      else corrupt('ziplist bad entry encoding');
      if (s + len > last) corrupt('ziplist entry overflows');
      if (e === 0xc0) int = buf.readInt16LE(s);
      else if (e === 0xd0) int = buf.readInt32LE(s);
      else if (e === 0xe0) {
        const v = buf.readBigInt64LE(s);
        int = v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      } else if (e === 0xf0) int = buf.readIntLE(s, 3);
      else if (e === 0xfe) int = buf.readInt8(s);
      else int = (e & 0x0f) - 1;
    }
    if (s + len > last) corrupt('ziplist entry overflows');
    visit(isInt, int, s, len);
    p = s + len;
    prevSize = p - entryStart;
    count++;
  }
  if (p !== last) corrupt('ziplist entry overflows');
  // (zltail must point at the last entry's start.)
  if (entryStart !== -1 && entryStart !== start + tail) corrupt('ziplist bad tail offset');
  if (header !== 65535 && header !== count) corrupt('ziplist count mismatch');
  return count;
}
