/**
 * Listpack (Redis listpack.c), the compact encoding RDB v10 stores for small hashes, zsets, list
 * nodes and stream nodes.
 *
 * Layout: total bytes (u32 LE) | element count (u16 LE, 65535 = unknown) | entries | 0xFF.
 * Entry: encoding + data, then its "backlen" (the encoding+data size, 1-5 bytes, 7 bits each,
 * readable backwards). Integers take the smallest of 7-bit, 13-bit, 16, 24, 32 or 64-bit forms;
 * strings have a 6-bit, 12-bit or 32-bit length. A string that parses as an int64 (string2ll
 * rules) is stored as an integer, as lpAppend does.
 *
 * LpWriter builds one listpack into a reusable growable buffer (no allocation per element);
 * LpReader walks one with full bounds checks (a corrupt blob throws RdbError, never reads out of
 * range). Both O(n).
 */
import { corrupt } from './errors';
import { strToInt64 } from '../util/number';
import { writeLatin1 } from '../util/latin1';
import { copyRange } from '../util/bytes';

/** string2ll on bytes: the int64 value, or null when the bytes are not its canonical form. */
export function bytesToInt64(b: Uint8Array, start: number, len: number): number | bigint | null {
  if (len === 0 || len > 20) return null;
  const c0 = b[start];
  if (len === 1) return c0 >= 48 && c0 <= 57 ? c0 - 48 : null;
  let i = start;
  let neg = false;
  if (c0 === 45) {
    neg = true;
    i++;
    if (len === 1) return null;
  }
  const f = b[i];
  if (f < 49 || f > 57) return null;
  let v = 0;
  const end = start + len;
  for (let j = i; j < end; j++) {
    const c = b[j];
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
  }
  if (end - i < 16) return neg ? -v : v;
  let big = 0n;
  for (let j = i; j < end; j++) big = big * 10n + BigInt(b[j] - 48);
  if (neg) big = -big;
  if (big > 9223372036854775807n || big < -9223372036854775808n) return null;
  return big >= -9007199254740991n && big <= 9007199254740991n ? Number(big) : big;
}

/** Builds listpacks into one reusable buffer. */
export class LpWriter {
  buf: Buffer = Buffer.allocUnsafe(1024);
  pos = 6;
  count = 0;

  reset(): void {
    this.pos = 6;
    this.count = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  appendInt(v: number | bigint): void {
    this.ensure(16);
    this.pos = putLpInt(this.buf, this.pos, v);
    this.count++;
  }

  /** Append a string element (stored as an integer when it is one), as lpAppend. */
  appendString(v: Buffer | string): void {
    this.ensure(v.length + 16);
    this.pos = putLpString(this.buf, this.pos, v);
    this.count++;
  }

  /** Close the listpack; its bytes are buf[0, returned length). */
  finish(): number {
    this.ensure(1);
    this.buf[this.pos++] = 0xff;
    this.buf.writeUInt32LE(this.pos, 0);
    this.buf.writeUInt16LE(this.count < 65535 ? this.count : 65535, 4);
    return this.pos;
  }
}

/** Walks the entries of one listpack held in buf[start, end). */
export class LpReader {
  private p: number;
  private readonly end: number;
  /** Header element count (65535 = unknown). */
  readonly headerCount: number;
  seen = 0;
  /** Current element: an integer, or a string at buf[sStart, sStart + sLen). */
  isInt = false;
  int: number | bigint = 0;
  sStart = 0;
  sLen = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    end: number,
  ) {
    if (end - start < 7) corrupt('listpack too short');
    if (buf.readUInt32LE(start) !== end - start) corrupt('listpack size mismatch');
    if (buf[end - 1] !== 0xff) corrupt('listpack terminator missing');
    this.headerCount = buf.readUInt16LE(start + 4);
    this.p = start + 6;
    this.end = end - 1;
  }

  /** Advance to the next element; false at the end (after checking the element count). */
  next(): boolean {
    const b = this.buf;
    const p = this.p;
    if (p >= this.end) {
      if (b[p] !== 0xff || p !== this.end) corrupt('listpack entry overflows');
      if (this.headerCount !== 65535 && this.headerCount !== this.seen) corrupt('listpack count mismatch');
      return false;
    }
    const e = b[p];
    let n: number; // encoding + data size
    this.isInt = true;
    if (e < 0x80) {
      this.int = e;
      n = 1;
    } else if ((e & 0xc0) === 0x80) {
      this.isInt = false;
      this.sLen = e & 0x3f;
      this.sStart = p + 1;
      n = 1 + this.sLen;
    } else if ((e & 0xe0) === 0xc0) {
      this.need(p, 2);
      const u = ((e & 0x1f) << 8) | b[p + 1];
      this.int = u >= 1 << 12 ? u - (1 << 13) : u;
      n = 2;
    } else if ((e & 0xf0) === 0xe0) {
      this.need(p, 2);
      this.isInt = false;
      this.sLen = ((e & 0x0f) << 8) | b[p + 1];
      this.sStart = p + 2;
      n = 2 + this.sLen;
    } else if (e === 0xf0) {
      this.need(p, 5);
      this.isInt = false;
      this.sLen = b.readUInt32LE(p + 1);
      this.sStart = p + 5;
      n = 5 + this.sLen;
    } else if (e === 0xf1) {
      this.need(p, 3);
      this.int = b.readInt16LE(p + 1);
      n = 3;
    } else if (e === 0xf2) {
      this.need(p, 4);
      this.int = b.readIntLE(p + 1, 3);
      n = 4;
    } else if (e === 0xf3) {
      this.need(p, 5);
      this.int = b.readInt32LE(p + 1);
      n = 5;
    } else if (e === 0xf4) {
      this.need(p, 9);
      const v = b.readBigInt64LE(p + 1);
      this.int = v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
      n = 9;
    } else corrupt('listpack bad entry encoding');
    this.need(p, n);
    // Check the back-length.
    const bl = n <= 127 ? 1 : n < 16383 ? 2 : n < 2097151 ? 3 : n < 268435455 ? 4 : 5;
    this.need(p, n + bl);
    let q = p + n + bl - 1;
    let v = 0;
    let shift = 1;
    for (let k = 0; k < bl; k++, q--) {
      v += (b[q] & 127) * shift;
      shift *= 128;
    }
    if (v !== n) corrupt('listpack bad back-length');
    this.p = p + n + bl;
    this.seen++;
    return true;
  }

  private need(p: number, n: number): void {
    if (p + n > this.end) corrupt('listpack entry overflows');
  }

  /** The current element as bytes (a view for strings, new bytes for integers). */
  bytes(): Buffer {
    return this.isInt ? Buffer.from(String(this.int), 'latin1') : this.buf.subarray(this.sStart, this.sStart + this.sLen);
  }

  /** The current element as a latin1 string. */
  str(): string {
    return this.isInt ? String(this.int) : this.buf.latin1Slice(this.sStart, this.sStart + this.sLen);
  }

  /** The current element as a signed integer (stream fields); corrupt if it is a string. */
  intValue(): number | bigint {
    if (this.isInt) return this.int;
    const v = bytesToInt64(this.buf, this.sStart, this.sLen);
    if (v === null) corrupt('listpack element is not an integer');
    return v;
  }
}

/** lpEncodeBacklen: write the back-length of an `l`-byte element at b[p]; returns the next position. */
export function putBacklen(b: Uint8Array, p: number, l: number): number {
  if (l <= 127) b[p++] = l;
  else if (l < 16383) {
    b[p++] = l >>> 7;
    b[p++] = (l & 127) | 128;
  } else if (l < 2097151) {
    b[p++] = l >>> 14;
    b[p++] = ((l >>> 7) & 127) | 128;
    b[p++] = (l & 127) | 128;
  } else if (l < 268435455) {
    b[p++] = l >>> 21;
    b[p++] = ((l >>> 14) & 127) | 128;
    b[p++] = ((l >>> 7) & 127) | 128;
    b[p++] = (l & 127) | 128;
  } else {
    b[p++] = Math.floor(l / 268435456);
    b[p++] = ((l >>> 21) & 127) | 128;
    b[p++] = ((l >>> 14) & 127) | 128;
    b[p++] = ((l >>> 7) & 127) | 128;
    b[p++] = (l & 127) | 128;
  }
  return p;
}

/**
 * An integer element in its smallest encoding (lpEncodeIntegerGetType) with its back-length, at
 * b[p] (room for 10 bytes); returns the next position.
 */
export function putLpInt(b: Buffer, p: number, v: number | bigint): number {
  let n: number;
  if (typeof v === 'bigint') {
    b[p] = 0xf4;
    b.writeBigInt64LE(v, p + 1);
    n = 9;
  } else if (v >= 0 && v <= 127) {
    b[p] = v;
    n = 1;
  } else if (v >= -4096 && v <= 4095) {
    const u = v < 0 ? (1 << 13) + v : v;
    b[p] = (u >> 8) | 0xc0;
    b[p + 1] = u & 0xff;
    n = 2;
  } else if (v >= -32768 && v <= 32767) {
    b[p] = 0xf1;
    b.writeInt16LE(v, p + 1);
    n = 3;
  } else if (v >= -8388608 && v <= 8388607) {
    b[p] = 0xf2;
    b.writeIntLE(v, p + 1, 3);
    n = 4;
  } else if (v >= -2147483648 && v <= 2147483647) {
    b[p] = 0xf3;
    b.writeInt32LE(v, p + 1);
    n = 5;
  } else {
    b[p] = 0xf4;
    b.writeBigInt64LE(BigInt(v), p + 1);
    n = 9;
  }
  return putBacklen(b, p + n, n);
}

/**
 * A string element (an integer when it parses as one, as lpAppend does) with its back-length, at
 * b[p] (room for its length + 10 bytes); returns the next position.
 */
export function putLpString(b: Buffer, p: number, v: Buffer | string): number {
  const len = v.length;
  if (len <= 20) {
    const n = typeof v === 'string' ? strToInt64(v) : bytesToInt64(v, 0, len);
    if (n !== null) return putLpInt(b, p, n);
  }
  let hdr: number;
  if (len < 64) {
    b[p] = 0x80 | len;
    hdr = 1;
  } else if (len < 4096) {
    b[p] = 0xe0 | (len >> 8);
    b[p + 1] = len & 0xff;
    hdr = 2;
  } else {
    b[p] = 0xf0;
    b.writeUInt32LE(len, p + 1);
    hdr = 5;
  }
  if (typeof v === 'string') writeLatin1(b, p + hdr, v);
  else copyRange(b, p + hdr, v, 0, len);
  return putBacklen(b, p + hdr + len, hdr + len);
}
