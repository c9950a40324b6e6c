/**
 * Intset (Redis intset.c): the RDB blob of a set whose members are all integers.
 * Layout: encoding (u32 LE: 2, 4 or 8 bytes per member) | length (u32 LE) | members, sorted
 * ascending, little-endian, no duplicates. Encode O(n log n) (sort), decode O(n) with checks.
 */
import { corrupt } from './errors';

/** Encode integer members (any order) into a new intset blob. */
export function intsetEncode(members: (number | bigint)[]): Buffer {
  let width = 2;
  for (const m of members) {
    if (typeof m === 'bigint' || m < -2147483648 || m > 2147483647) {
      width = 8;
      break;
    }
    if (m < -32768 || m > 32767) width = 4;
  }
  const sorted = members.slice().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = Buffer.allocUnsafe(8 + width * sorted.length);
  out.writeUInt32LE(width, 0);
  out.writeUInt32LE(sorted.length, 4);
  let p = 8;
  for (const m of sorted) {
    if (width === 2) out.writeInt16LE(m as number, p);
    else if (width === 4) out.writeInt32LE(m as number, p);
    else out.writeBigInt64LE(BigInt(m), p);
    p += width;
  }
  return out;
}

/** Decode an intset blob into its members' decimal texts (validated: size, order, uniqueness). */
export function intsetDecode(buf: Buffer, start: number, end: number): string[] {
  if (end - start < 8) corrupt('intset too short');
  const width = buf.readUInt32LE(start);
  if (width !== 2 && width !== 4 && width !== 8) corrupt('intset bad encoding');
  const n = buf.readUInt32LE(start + 4);
  if (8 + n * width !== end - start) corrupt('intset size mismatch');
  if (n === 0) corrupt('intset empty');
  const out: string[] = new Array(n);
  let prev: number | bigint | null = null;
  for (let i = 0, p = start + 8; i < n; i++, p += width) {
    const v: number | bigint = width === 2 ? buf.readInt16LE(p) : width === 4 ? buf.readInt32LE(p) : buf.readBigInt64LE(p);
    if (prev !== null && !(prev < v)) corrupt('intset not sorted');
    prev = v;
    out[i] = String(v);
  }
  return out;
}
