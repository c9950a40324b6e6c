/**
 * Bitmap commands (Redis bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
 * BITFIELD_RO. Bit 0 is the most significant bit of the first byte.
 *
 * Reads go through Db.peekString: GETBIT, BITCOUNT, BITPOS and BITFIELD's GETs look at the
 * engine's own bytes (a copy only where the engine keeps JS strings). Writes go through
 * Db.setRange: SETBIT writes one byte in place, BITFIELD writes only the bytes its fields touch.
 */
import { APPEND_MISSING, APPEND_TOO_BIG, APPEND_WRONGTYPE, StrEnc } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, NOT_INT, STRING_TOO_LONG, SYNTAX, WRONGTYPE } from './errors';
import { intArg, isWord } from './args';
import { lookupReadBytes, lookupWriteBytes, written } from './keyspace';
import type { ByteView } from './keyspace';
import { parseInt64, parseInt64Exact } from '../util/number';

const BIT_OFFSET_ERR = 'ERR bit offset is not an integer or out of range';
const BIT_VALUE_ERR = 'ERR bit is not an integer or out of range';
const BITFIELD_TYPE_ERR = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

/** getBitOffsetFromArgument: with `bits` > 0, "#n" means n * bits. */
function bitOffsetArg(c: Client, arg: Buffer, bits: number): number {
  const hash = bits > 0 && arg.length > 0 && arg[0] === 35; /* '#' */
  const text = hash ? arg.subarray(1) : arg;
  const ex = parseInt64Exact(text);
  if (ex === null) fail(BIT_OFFSET_ERR);
  // C multiplies in int64 (wrapping); an offset past the limit is refused either way.
  let off = BigInt(ex);
  if (hash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || off >> 3n >= BigInt(c.server.config.int('proto-max-bulk-len'))) fail(BIT_OFFSET_ERR);
  return Number(off);
}

/**
 * Writes `patch` (byte index -> value) into the string at `key`, growing it zero-filled to
 * `newLen` bytes. The string becomes raw-encoded, its TTL kept. In place where the engine can.
 */
function writeBytes(c: Client, key: Buffer, old: ByteView | null, patch: Map<number, number>, newLen: number): void {
  const db = c.db;
  if (old === null) {
    const b = Buffer.alloc(newLen);
    for (const [i, v] of patch) b[i] = v;
    db.set(key, b, false, StrEnc.Raw);
    return;
  }
  {
    const max = c.server.config.int('proto-max-bulk-len');
    // Grow first (the last byte), so the string is resized once.
    const one = Buffer.alloc(1);
    const last = newLen - 1;
    one[0] = patch.get(last) ?? (last < old.length ? old.bytes[old.start + last] : 0);
    const r = db.setRange(key, last, one, Math.max(max, newLen));
    if (r === APPEND_WRONGTYPE) fail(WRONGTYPE);
    if (r === APPEND_TOO_BIG) fail(STRING_TOO_LONG);
    if (r !== APPEND_MISSING) {
      for (const [i, v] of patch) {
        if (i === last) continue;
        one[0] = v;
        db.setRange(key, i, one, max);
      }
      return;
    }
  }
  const len = Math.max(old.length, newLen);
  const b = Buffer.alloc(len);
  b.set(old.bytes.subarray(old.start, old.start + old.length), 0);
  for (const [i, v] of patch) b[i] = v;
  db.set(key, b, true, StrEnc.Raw);
}

function setbit(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const offset = bitOffsetArg(c, argv[2], 0);
  const on = intArg(argv[3], BIT_VALUE_ERR);
  if (on !== 0 && on !== 1) fail(BIT_VALUE_ERR);
  const byte = Math.floor(offset / 8);
  const shift = 7 - (offset & 7);
  const old = lookupWriteBytes(c, key);
  const oldLen = old === null ? 0 : old.length;
  const byteval = byte < oldLen ? old!.bytes[old!.start + byte] : 0;
  const bitval = (byteval >> shift) & 1;
  const grows = byte >= oldLen;
  const next = (byteval & ~(1 << shift)) | (on << shift);
  // Redis unshares the value (making it raw) even when nothing changes.
  writeBytes(c, key, old, new Map([[byte, next]]), byte + 1);
  if (grows || bitval !== on) written(c, key, 'setbit', '$');
  c.reply.int(bitval);
}

function getbit(c: Client, argv: Buffer[]): void {
  const offset = bitOffsetArg(c, argv[2], 0);
  const v = lookupReadBytes(c, argv[1]);
  const byte = Math.floor(offset / 8);
  if (v === null || byte >= v.length) {
    c.reply.int(0);
    return;
  }
  c.reply.int((v.bytes[v.start + byte] >> (7 - (offset & 7))) & 1);
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Set bits in bytes[from, to). */
export function popcount(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  let i = from;
  // Four bytes at a time through 32-bit words where aligned enough.
  const end4 = to - 3;
  for (; i < end4; i += 4) {
    let w = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) >>> 0;
    w = w - ((w >>> 1) & 0x55555555);
    w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
    n += (Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
  }
  for (; i < to; i++) n += POPCOUNT[bytes[i]];
  return n;
}

/**
 * A range index: exact int64 (values past 2^53 as bigint, so `start > end` compares as in C),
 * then `num()` brings it to a number (anything that large is beyond any string length).
 */
function rangeArg(arg: Buffer): number | bigint {
  const v = parseInt64Exact(arg);
  if (v === null) fail(NOT_INT);
  return v;
}

function num(v: number | bigint): number {
  return typeof v === 'number' ? v : v < 0n ? -(2 ** 60) : 2 ** 60;
}

/** BIT|BYTE unit argument. */
function unitArg(arg: Buffer): boolean {
  if (isWord(arg, 'bit')) return true;
  if (isWord(arg, 'byte')) return false;
  fail(SYNTAX);
}

function bitcount(c: Client, argv: Buffer[]): void {
  let start = 0;
  let end = 0;
  let isbit = false;
  // Redis 7.0 looks the key up before parsing the range: a missing key answers 0 whatever follows.
  const v = lookupReadBytes(c, argv[1]);
  if (v === null) {
    c.reply.int(0);
    return;
  }
  let startX: number | bigint = 0;
  let endX: number | bigint = 0;
  if (argv.length === 4 || argv.length === 5) {
    startX = rangeArg(argv[2]);
    endX = rangeArg(argv[3]);
    start = num(startX);
    end = num(endX);
  } else if (argv.length !== 2) fail(SYNTAX);
  const strlen = v.length;
  let firstMask = 0;
  let lastMask = 0;
  if (argv.length === 2) {
    start = 0;
    end = strlen - 1;
  } else {
    if (startX < 0 && endX < 0 && startX > endX) {
      c.reply.int(0);
      return;
    }
    if (argv.length === 5) isbit = unitArg(argv[4]);
    const totlen = isbit ? strlen * 8 : strlen;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) {
      firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      lastMask = (1 << (7 - (end & 7))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  }
  if (start > end) {
    c.reply.int(0);
    return;
  }
  const b = v.bytes;
  const s = v.start;
  let count = popcount(b, s + start, s + end + 1);
  if (firstMask !== 0) count -= POPCOUNT[b[s + start] & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[b[s + end] & lastMask];
  c.reply.int(count);
}

/** redisBitpos: first bit equal to `bit` in bytes[from, from + count); -1 for a 1 never found, count*8 for a 0 never found. */
function bitposIn(bytes: Uint8Array, from: number, count: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  let i = 0;
  while (i < count && bytes[from + i] === skip) i++;
  if (i === count) return bit ? -1 : count * 8;
  const byte = bytes[from + i];
  for (let j = 0; j < 8; j++) if (((byte >> (7 - j)) & 1) === bit) return i * 8 + j;
  return -1; // unreachable
}

function bitpos(c: Client, argv: Buffer[]): void {
  const bit = intArg(argv[2]);
  if (bit !== 0 && bit !== 1) fail('ERR The bit argument must be 1 or 0.');
  const argc = argv.length;
  let start = 0;
  let end = 0;
  let isbit = false;
  let endGiven = false;
  // Redis 7.0 looks the key up before parsing the range.
  const v = lookupReadBytes(c, argv[1]);
  if (v === null) {
    c.reply.int(bit ? -1 : 0);
    return;
  }
  if (argc === 4 || argc === 5 || argc === 6) {
    start = num(rangeArg(argv[3]));
    if (argc === 6) isbit = unitArg(argv[5]);
    if (argc >= 5) {
      end = num(rangeArg(argv[4]));
      endGiven = true;
    }
  } else if (argc !== 3) fail(SYNTAX);
  const strlen = v.length;
  let firstMask = 0;
  let lastMask = 0;
  if (argc === 3) {
    start = 0;
    end = strlen - 1;
  } else {
    let totlen = strlen;
    if (argc < 5) end = isbit ? totlen * 8 + 7 : totlen - 1;
    if (isbit) totlen *= 8;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) {
      firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      lastMask = (1 << (7 - (end & 7))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  }
  if (start > end) {
    c.reply.int(-1);
    return;
  }
  const p = v.bytes;
  const s = v.start;
  let bytes = end - start + 1;
  let pos: number;
  const tmp = new Uint8Array(1);
  found: {
    if (firstMask) {
      let t = bit ? p[s + start] & ~firstMask : p[s + start] | firstMask;
      if (lastMask && bytes === 1) t = bit ? t & ~lastMask : t | lastMask;
      tmp[0] = t;
      pos = bitposIn(tmp, 0, 1, bit);
      if (bytes === 1 || (pos !== -1 && pos !== 8)) break found;
      start++;
      bytes--;
    }
    const cur = bytes - (lastMask ? 1 : 0);
    if (cur > 0) {
      pos = bitposIn(p, s + start, cur, bit);
      if (bytes === cur || (pos !== -1 && pos !== cur * 8)) break found;
      start += cur;
      bytes -= cur;
    }
    tmp[0] = bit ? p[s + end] & ~lastMask : p[s + end] | lastMask;
    pos = bitposIn(tmp, 0, 1, bit);
  }
  if (endGiven && bit === 0 && pos! === bytes * 8) {
    c.reply.int(-1);
    return;
  }
  if (pos! !== -1) pos! += start * 8;
  c.reply.int(pos!);
}

function bitop(c: Client, argv: Buffer[]): void {
  const opArg = argv[1];
  let op: number;
  if (isWord(opArg, 'and')) op = 0;
  else if (isWord(opArg, 'or')) op = 1;
  else if (isWord(opArg, 'xor')) op = 2;
  else if (isWord(opArg, 'not')) op = 3;
  else fail(SYNTAX);
  if (op === 3 && argv.length !== 4) fail('ERR BITOP NOT must be called with a single source key.');
  const target = argv[2];
  const n = argv.length - 3;
  const src: (Uint8Array | null)[] = [];
  let maxlen = 0;
  for (let j = 0; j < n; j++) {
    const v = lookupReadBytes(c, argv[j + 3]);
    if (v === null) {
      src.push(null);
      continue;
    }
    // A copy: peeked views are only valid until the next engine call.
    const b = Buffer.from(v.bytes.subarray(v.start, v.start + v.length));
    src.push(b);
    if (b.length > maxlen) maxlen = b.length;
  }
  if (maxlen === 0) {
    if (c.db.delete(target)) written(c, target, 'del', 'g');
    c.reply.int(0);
    return;
  }
  const res = Buffer.alloc(maxlen);
  const first = src[0];
  if (first !== null) res.set(first, 0);
  if (op === 3) {
    for (let i = 0; i < maxlen; i++) res[i] = ~res[i];
  } else {
    for (let j = 1; j < n; j++) {
      const b = src[j];
      const len = b === null ? 0 : b.length;
      if (op === 0) {
        for (let i = 0; i < len; i++) res[i] &= b![i];
        res.fill(0, len);
      } else if (op === 1) {
        for (let i = 0; i < len; i++) res[i] |= b![i];
      } else {
        for (let i = 0; i < len; i++) res[i] ^= b![i];
      }
    }
  }
  c.db.set(target, res, false, StrEnc.Raw);
  written(c, target, 'set', '$');
  c.reply.int(maxlen);
}

// ---- BITFIELD ---------------------------------------------------------------------------------

const enum Ow {
  WRAP = 0,
  SAT = 1,
  FAIL = 2,
}
const enum Op {
  GET = 0,
  SET = 1,
  INCRBY = 2,
}

interface FieldOp {
  op: Op;
  offset: number;
  bits: number;
  signed: boolean;
  value: bigint;
  ow: Ow;
}

/** getBitfieldTypeFromArgument: i1..i64, u1..u63 (the prefix letter is case-sensitive). */
function bitfieldType(arg: Buffer): { signed: boolean; bits: number } {
  const signed = arg.length > 0 && arg[0] === 105; /* 'i' */
  if (!signed && !(arg.length > 0 && arg[0] === 117)) fail(BITFIELD_TYPE_ERR); /* 'u' */
  let rest = arg.subarray(1);
  const nul = rest.indexOf(0);
  if (nul >= 0) rest = rest.subarray(0, nul); // C reads it with strlen
  const bits = parseInt64(rest);
  if (Number.isNaN(bits) || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) fail(BITFIELD_TYPE_ERR);
  return { signed, bits };
}

/** Reads/writes bits of a string through a byte overlay, so only touched bytes are read or copied. */
class BitOverlay {
  readonly patch = new Map<number, number>();
  constructor(private readonly base: ByteView | null) {}

  byte(i: number): number {
    const p = this.patch.get(i);
    if (p !== undefined) return p;
    const b = this.base;
    return b !== null && i < b.length ? b.bytes[b.start + i] : 0;
  }

  getUnsigned(offset: number, bits: number): bigint {
    let v = 0n;
    for (let j = 0; j < bits; j++, offset++) {
      const bit = (this.byte(Math.floor(offset / 8)) >> (7 - (offset & 7))) & 1;
      v = (v << 1n) | BigInt(bit);
    }
    return v;
  }

  getSigned(offset: number, bits: number): bigint {
    return BigInt.asIntN(bits, this.getUnsigned(offset, bits));
  }

  setUnsigned(offset: number, bits: number, value: bigint): void {
    for (let j = 0; j < bits; j++, offset++) {
      const bit = Number((value >> BigInt(bits - 1 - j)) & 1n);
      const i = Math.floor(offset / 8);
      const shift = 7 - (offset & 7);
      this.patch.set(i, (this.byte(i) & ~(1 << shift)) | (bit << shift));
    }
  }
}

/**
 * checkUnsignedBitfieldOverflow / checkSignedBitfieldOverflow with BigInt: [overflow, limit],
 * overflow 0 none, 1 over, -1 under; limit the wrapped or saturated value.
 */
function checkOverflow(value: bigint, incr: bigint, bits: number, signed: boolean, ow: Ow): [number, bigint] {
  const b = BigInt(bits);
  const max = signed ? (1n << (b - 1n)) - 1n : (1n << b) - 1n;
  const min = signed ? -max - 1n : 0n;
  const sum = value + incr;
  const wrap = () => (signed ? BigInt.asIntN(bits, sum) : BigInt.asUintN(bits, sum));
  if (sum > max) return [1, ow === Ow.WRAP ? wrap() : max];
  if (sum < min) return [-1, ow === Ow.WRAP ? wrap() : min];
  return [0, sum];
}

function bitfieldGeneric(c: Client, argv: Buffer[], readonlyCmd: boolean): void {
  const key = argv[1];
  const ops: FieldOp[] = [];
  let ow = Ow.WRAP;
  let readonly = true;
  let highestWrite = 0;
  for (let j = 2; j < argv.length; j++) {
    const remargs = argv.length - j - 1;
    const sub = argv[j];
    let op: Op;
    if (isWord(sub, 'get') && remargs >= 2) op = Op.GET;
    else if (isWord(sub, 'set') && remargs >= 3) op = Op.SET;
    else if (isWord(sub, 'incrby') && remargs >= 3) op = Op.INCRBY;
    else if (isWord(sub, 'overflow') && remargs >= 1) {
      const t = argv[++j];
      if (isWord(t, 'wrap')) ow = Ow.WRAP;
      else if (isWord(t, 'sat')) ow = Ow.SAT;
      else if (isWord(t, 'fail')) ow = Ow.FAIL;
      else fail('ERR Invalid OVERFLOW type specified');
      continue;
    } else fail(SYNTAX);
    const { signed, bits } = bitfieldType(argv[j + 1]);
    const offset = bitOffsetArg(c, argv[j + 2], bits);
    let value = 0n;
    if (op !== Op.GET) {
      readonly = false;
      if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
      const v = parseInt64Exact(argv[j + 3]);
      if (v === null) fail(NOT_INT);
      // C passes the value of an unsigned SET as uint64: -1 is 2^64-1 (overflowing every type).
      value = op === Op.SET && !signed ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
    }
    ops.push({ op, offset, bits, signed, value, ow });
    j += op === Op.GET ? 2 : 3;
  }

  let base: ByteView | null;
  let grows = false;
  let newLen = 0;
  if (readonly) {
    base = lookupReadBytes(c, key);
  } else {
    if (readonlyCmd) fail('ERR BITFIELD_RO only supports the GET subcommand');
    base = lookupWriteBytes(c, key);
    const oldLen = base === null ? 0 : base.length;
    newLen = Math.floor(highestWrite / 8) + 1;
    grows = newLen > oldLen;
    if (!grows) newLen = oldLen;
  }
  // All reads of the peeked base happen before any write (the overlay holds the writes).
  const bits = new BitOverlay(base);
  const results: (bigint | null)[] = [];
  let changes = 0;
  for (const o of ops) {
    if (o.op === Op.GET) {
      results.push(o.signed ? bits.getSigned(o.offset, o.bits) : bits.getUnsigned(o.offset, o.bits));
      continue;
    }
    const oldval = o.signed ? bits.getSigned(o.offset, o.bits) : bits.getUnsigned(o.offset, o.bits);
    let newval: bigint;
    let overflow: number;
    let retval: bigint;
    if (o.op === Op.INCRBY) {
      let limit: bigint;
      [overflow, limit] = checkOverflow(oldval, o.value, o.bits, o.signed, o.ow);
      newval = limit;
      retval = newval;
    } else {
      let limit: bigint;
      [overflow, limit] = checkOverflow(o.value, 0n, o.bits, o.signed, o.ow);
      newval = overflow ? limit : o.value;
      retval = oldval;
    }
    if (overflow && o.ow === Ow.FAIL) {
      results.push(null);
      continue;
    }
    results.push(retval);
    bits.setUnsigned(o.offset, o.bits, BigInt.asUintN(o.bits, newval));
    if (grows || oldval !== newval) changes++;
  }
  if (!readonly) writeBytes(c, key, base, bits.patch, newLen);
  c.reply.array(results.length);
  for (const r of results) {
    if (r === null) c.reply.nil();
    else c.reply.int(r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r);
  }
  if (changes > 0) written(c, key, 'setbit', '$', changes);
}

function bitfield(c: Client, argv: Buffer[]): void {
  bitfieldGeneric(c, argv, false);
}

function bitfieldRo(c: Client, argv: Buffer[]): void {
  bitfieldGeneric(c, argv, true);
}

export const commands: CommandRow[] = [
  { name: 'setbit', handler: setbit },
  { name: 'getbit', handler: getbit },
  { name: 'bitcount', handler: bitcount },
  { name: 'bitpos', handler: bitpos },
  { name: 'bitop', handler: bitop },
  { name: 'bitfield', handler: bitfield },
  { name: 'bitfield_ro', handler: bitfieldRo },
];
