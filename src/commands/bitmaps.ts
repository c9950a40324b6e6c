/**
 * Bitmap commands (Redis bitops.c): SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD and
 * BITFIELD_RO. Bit 0 is the most significant bit of the first byte.
 *
 * Reads go through Db.peekString: GETBIT, BITCOUNT, BITPOS and BITFIELD's GETs look at the
 * engine's own bytes (a copy only where the engine keeps JS strings); BITCOUNT's and BITOP's
 * loops run in the engine (Db.popcount, Db.bitop: AssemblyScript over linear memory on the wasm
 * engine). Writes go through Db.editString (Redis's lookupStringForBitCommand): SETBIT and
 * BITFIELD change the bytes they touch in place, never copying the value.
 */
import { APPEND_TOO_BIG, APPEND_WRONGTYPE, BitOp } from '../engine/types';
import type { StringEdit, StringPeek } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, NOT_INT, STRING_TOO_LONG, SYNTAX, WRONGTYPE } from './errors';
import { intArg, isWord } from './args';
import { deleteDestination, lookupReadBytes, peekByte, peekStringRead, written } from './keyspace';
import { POPCOUNT, POW2, fieldGet, fieldSet } from '../util/bitops';
import { parseInt64, parseInt64Exact, smallUint } from '../util/number';

const BIT_OFFSET_ERR = 'ERR bit offset is not an integer or out of range';
const BIT_VALUE_ERR = 'ERR bit is not an integer or out of range';
const BITFIELD_TYPE_ERR = 'ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.';

/** smallUint of arg[1..] (the digits after '#'), without a subarray. */
function smallUintAfterHash(arg: Buffer): number {
  const len = arg.length;
  if (len < 2 || len > 16 || (arg[1] === 48 && len > 2)) return -1;
  let n = 0;
  for (let i = 1; i < len; i++) {
    const d = arg[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** getBitOffsetFromArgument: with `bits` > 0, "#n" means n * bits. */
function bitOffsetArg(c: Client, arg: Buffer, bits: number): number {
  const hash = bits > 0 && arg.length > 0 && arg[0] === 35; /* '#' */
  // The usual offsets in numbers: n (up to 15 digits), or #n below 2^40 (times at most 64: exact).
  const n = hash ? smallUintAfterHash(arg) : smallUint(arg);
  if (n >= 0 && (!hash || n < 2 ** 40)) {
    const off = hash ? n * bits : n;
    if (Math.floor(off / 8) >= c.server.config.hot['proto-max-bulk-len']) fail(BIT_OFFSET_ERR);
    return off;
  }
  const text = hash ? arg.subarray(1) : arg;
  const ex = parseInt64Exact(text);
  if (ex === null) fail(BIT_OFFSET_ERR);
  // C multiplies in int64 (wrapping); an offset past the limit is refused either way.
  let off = BigInt(ex);
  if (hash) off = BigInt.asIntN(64, off * BigInt(bits));
  if (off < 0n || off >> 3n >= BigInt(c.server.config.hot['proto-max-bulk-len'])) fail(BIT_OFFSET_ERR);
  return Number(off);
}

/**
 * lookupStringForBitCommand: the string at `key` as a writable view, created or grown
 * (zero-filled) to at least minLen bytes, raw-encoded, TTL kept. Sets `editGrew` when the value
 * was created or made longer (Redis's `dirty`).
 */
let editGrew = false;
function editBits(c: Client, key: Buffer, minLen: number, maxLen: number): StringEdit {
  // Created empty and grown in the same engine call when missing (zero-filled where it lives).
  const r = c.db.editString(key, minLen, maxLen > minLen ? maxLen : minLen, true);
  if (r === APPEND_WRONGTYPE) fail(WRONGTYPE);
  if (r === APPEND_TOO_BIG) fail(STRING_TOO_LONG);
  const view = r as StringEdit;
  editGrew = view.oldLength < view.length;
  return view;
}

function setbit(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  const offset = bitOffsetArg(c, argv[2], 0);
  const bitArg = argv[3];
  // "0" and "1" without the integer parse.
  const on = bitArg.length === 1 && (bitArg[0] === 48 || bitArg[0] === 49) ? bitArg[0] - 48 : intArg(bitArg, BIT_VALUE_ERR);
  if (on !== 0 && on !== 1) fail(BIT_VALUE_ERR);
  const byte = Math.floor(offset / 8);
  const shift = 7 - (offset & 7);
  // Redis unshares the value (making it raw) even when nothing changes.
  const view = editBits(c, key, byte + 1, c.server.config.hot['proto-max-bulk-len']);
  const at = view.start + byte;
  const byteval = view.bytes[at];
  const bitval = (byteval >> shift) & 1;
  if (editGrew || bitval !== on) {
    view.bytes[at] = (byteval & ~(1 << shift)) | (on << shift);
    written(c, key, 'setbit', '$');
  }
  c.reply.int(bitval);
}

function getbit(c: Client, argv: Buffer[]): void {
  const offset = bitOffsetArg(c, argv[2], 0);
  const p = peekStringRead(c, argv[1]);
  const byte = Math.floor(offset / 8);
  if (p === null || byte >= p.length) {
    c.reply.int(0);
    return;
  }
  c.reply.int((peekByte(p, byte) >> (7 - (offset & 7))) & 1);
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

/**
 * BITCOUNT's and BITPOS's range: negative indexes from the end of `totlen` (bytes, or bits with
 * BIT), clamped; a BIT range becomes bytes plus the masks of the bits outside it in its first
 * and last byte (0: none).
 */
function bitRange(start: number, end: number, totlen: number, isbit: boolean): { start: number; end: number; firstMask: number; lastMask: number } {
  if (start < 0) start = totlen + start;
  if (end < 0) end = totlen + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= totlen) end = totlen - 1;
  let firstMask = 0;
  let lastMask = 0;
  if (isbit && start <= end) {
    firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
    lastMask = (1 << (7 - (end & 7))) - 1;
    start = Math.floor(start / 8);
    end = Math.floor(end / 8);
  }
  return { start, end, firstMask, lastMask };
}

function bitcount(c: Client, argv: Buffer[]): void {
  let start = 0;
  let end = 0;
  let isbit = false;
  // Redis 7.0 looks the key up before parsing the range: a missing key answers 0 whatever follows.
  const v = peekStringRead(c, argv[1]);
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
    ({ start, end, firstMask, lastMask } = bitRange(start, end, isbit ? strlen * 8 : strlen, isbit));
  }
  if (start > end) {
    c.reply.int(0);
    return;
  }
  // The masks' bytes are read before Db.popcount (the view is valid until the next engine call).
  let count = 0;
  if (firstMask !== 0) count -= POPCOUNT[peekByte(v, start) & firstMask];
  if (lastMask !== 0) count -= POPCOUNT[peekByte(v, end) & lastMask];
  count += c.db.popcount(v, start, end + 1);
  c.reply.int(count);
}

/** redisBitpos: first bit equal to `bit` in bytes[from, from + count); -1 for a 1 never found, count*8 for a 0 never found. */
function bitposIn(bytes: Uint8Array, from: number, count: number, bit: number): number {
  const skip = bit ? 0 : 0xff;
  let i = 0;
  while (i < count && ((bytes.byteOffset + from + i) & 3) !== 0 && bytes[from + i] === skip) i++;
  if (i < count && bytes[from + i] === skip && count - i >= 64) {
    // Whole 32-bit words of skip bytes at a time, then the bytes of the word that differs.
    const at = bytes.byteOffset + from + i;
    const words = new Int32Array(bytes.buffer, at, (count - i) >>> 2);
    const w = bit ? 0 : -1;
    let k = 0;
    while (k < words.length && words[k] === w) k++;
    i += k * 4;
  }
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
    ({ start, end, firstMask, lastMask } = bitRange(start, end, totlen, isbit));
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
  let op: BitOp;
  if (isWord(opArg, 'and')) op = BitOp.AND;
  else if (isWord(opArg, 'or')) op = BitOp.OR;
  else if (isWord(opArg, 'xor')) op = BitOp.XOR;
  else if (isWord(opArg, 'not')) op = BitOp.NOT;
  else fail(SYNTAX);
  if (op === BitOp.NOT && argv.length !== 4) fail('ERR BITOP NOT must be called with a single source key.');
  const target = argv[2];
  // lookupKeyRead of each source first (types, keyspace hits), then the engine combines them.
  for (let j = 3; j < argv.length; j++) peekStringRead(c, argv[j]);
  const len = c.db.bitop(op, target, argv.slice(3));
  if (len === 0) {
    deleteDestination(c, target);
  } else written(c, target, 'set', '$');
  c.reply.int(len);
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

/**
 * The fields of the BITFIELD call being run, parsed into parallel arrays that every call reuses
 * (a handler runs to completion, so there is one call at a time): no object per field. fNum holds
 * the SET/INCRBY value when it fits a number (see bitfieldGeneric), fBig otherwise.
 */
let nFields = 0;
const fOp: Op[] = [];
const fOffset: number[] = [];
const fBits: number[] = [];
const fSigned: boolean[] = [];
const fOw: Ow[] = [];
const fNum: number[] = [];
const fBig: bigint[] = [];

/** getBitfieldTypeFromArgument: i1..i64, u1..u63 (the prefix letter is case-sensitive). */
/** The width of an "i16" / "u8" type argument, negated for a signed type. */
function bitfieldType(arg: Buffer): number {
  const signed = arg.length > 0 && arg[0] === 105; /* 'i' */
  if (!signed && !(arg.length > 0 && arg[0] === 117)) fail(BITFIELD_TYPE_ERR); /* 'u' */
  // The usual "u8", "i16": one or two digits, no leading zero.
  if ((arg.length === 2 || arg.length === 3) && arg[1] >= 49 && arg[1] <= 57 && (arg.length === 2 || (arg[2] >= 48 && arg[2] <= 57))) {
    const bits = arg.length === 2 ? arg[1] - 48 : (arg[1] - 48) * 10 + arg[2] - 48;
    if (bits <= (signed ? 64 : 63)) return signed ? -bits : bits;
    fail(BITFIELD_TYPE_ERR);
  }
  let rest = arg.subarray(1);
  const nul = rest.indexOf(0);
  if (nul >= 0) rest = rest.subarray(0, nul); // C reads it with strlen
  const bits = parseInt64(rest);
  if (Number.isNaN(bits) || bits < 1 || (signed && bits > 64) || (!signed && bits > 63)) fail(BITFIELD_TYPE_ERR);
  return signed ? -bits : bits;
}

/**
 * Reads and writes bits of a string directly: a peeked value for BITFIELD_RO / GET-only calls, a
 * Db.editString view (already grown to the highest bit written) otherwise; bytes past the end
 * read as zero.
 */
class BitView {
  /** The value read or written (one BitView serves every BITFIELD call: see bitfieldGeneric). */
  v: StringPeek | null = null;

  byte(i: number): number {
    const v = this.v;
    return v !== null && i < v.length ? peekByte(v, i) : 0;
  }

  getUnsigned(offset: number, bits: number): bigint {
    if (bits <= 32) {
      // Up to 32 bits in a number (exact), one BigInt at the end.
      let n = 0;
      for (let j = 0; j < bits; j++, offset++) n = n * 2 + ((this.byte(Math.floor(offset / 8)) >> (7 - (offset & 7))) & 1);
      return BigInt(n);
    }
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

  /** getUnsigned for bits <= 32, as a number (exact). */
  getUnsignedNum(offset: number, bits: number): number {
    const v = this.v;
    return v === null ? 0 : fieldGet(v.bytes, v.start, v.length, offset, bits);
  }

  getSignedNum(offset: number, bits: number): number {
    const u = this.getUnsignedNum(offset, bits);
    return u >= POW2[bits - 1] ? u - POW2[bits] : u;
  }

  /** setUnsigned for bits <= 32 and 0 <= value < 2^bits. */
  setUnsignedNum(offset: number, bits: number, value: number): void {
    const v = this.v as StringEdit;
    fieldSet(v.bytes, v.start, offset, bits, value);
  }

  /** Only on an editString view, within its length. */
  setUnsigned(offset: number, bits: number, value: bigint): void {
    const v = this.v as StringEdit;
    const small = bits <= 32 ? Number(value) : 0; // value < 2^bits: exact, and >>> works below 2^32
    for (let j = 0; j < bits; j++, offset++) {
      const bit = bits <= 32 ? (small >>> (bits - 1 - j)) & 1 : Number((value >> BigInt(bits - 1 - j)) & 1n);
      const i = v.start + Math.floor(offset / 8);
      const shift = 7 - (offset & 7);
      v.bytes[i] = (v.bytes[i] & ~(1 << shift)) | (bit << shift);
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

/** checkOverflow for bits <= 32 and |value|, |incr| <= 2^52 (sums exact): the limit in ovLimit. */
let ovLimit = 0;
function checkOverflowNum(value: number, incr: number, bits: number, signed: boolean, ow: Ow): number {
  const span = POW2[bits];
  const max = signed ? span / 2 - 1 : span - 1;
  const min = signed ? -span / 2 : 0;
  const sum = value + incr;
  if (sum >= min && sum <= max) {
    ovLimit = sum;
    return 0;
  }
  if (ow === Ow.WRAP) {
    // BigInt.asUintN / asIntN of the exact sum.
    let u = sum % span;
    if (u < 0) u += span;
    ovLimit = signed && u > max ? u - span : u;
  } else ovLimit = sum > max ? max : min;
  return sum > max ? 1 : -1;
}

/** A small integer argument without the text parse (none of string2ll's edge cases: those fall back). */
function quickInt(arg: Buffer): number | bigint | null {
  const len = arg.length;
  const neg = len > 1 && arg[0] === 45;
  let i = neg ? 1 : 0;
  if (len > 15 || len === 0 || arg[i] < 49 || arg[i] > 57) return parseInt64Exact(arg);
  let n = 0;
  for (; i < len; i++) {
    const d = arg[i] - 48;
    if (d < 0 || d > 9) return null;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

const bitView = new BitView();

/**
 * BITFIELD's operations when every one is at most 32 bits wide with a value within 2^52 (the
 * usual counters): numbers instead of BigInt, same results, written straight to the reply.
 */
function runNumeric(c: Client, bits: BitView, grows: boolean): number {
  let changes = 0;
  for (let k = 0; k < nFields; k++) {
    const width = fBits[k];
    const signed = fSigned[k];
    const offset = fOffset[k];
    const oldval = signed ? bits.getSignedNum(offset, width) : bits.getUnsignedNum(offset, width);
    const op = fOp[k];
    if (op === Op.GET) {
      c.reply.int(oldval);
      continue;
    }
    let newval: number;
    let overflow: number;
    let retval: number;
    if (op === Op.INCRBY) {
      overflow = checkOverflowNum(oldval, fNum[k], width, signed, fOw[k]);
      newval = ovLimit;
      retval = newval;
    } else {
      overflow = checkOverflowNum(fNum[k], 0, width, signed, fOw[k]);
      newval = overflow ? ovLimit : fNum[k];
      retval = oldval;
    }
    if (overflow && fOw[k] === Ow.FAIL) {
      c.reply.nil();
      continue;
    }
    c.reply.int(retval);
    bits.setUnsignedNum(offset, width, newval < 0 ? newval + POW2[width] : newval);
    if (grows || oldval !== newval) changes++;
  }
  return changes;
}

/** The BigInt form of runNumeric: any width up to 64 bits, any int64 value. */
function runBig(c: Client, bits: BitView, grows: boolean): number {
  let changes = 0;
  for (let k = 0; k < nFields; k++) {
    const width = fBits[k];
    const signed = fSigned[k];
    const offset = fOffset[k];
    const op = fOp[k];
    const ow = fOw[k];
    if (op === Op.GET) {
      replyBigInt(c, signed ? bits.getSigned(offset, width) : bits.getUnsigned(offset, width));
      continue;
    }
    // Values that stayed numbers on the parse (mixed with wide fields): as BigInt here.
    const value = fNum[k] !== 0 ? BigInt(fNum[k]) : fBig[k];
    const oldval = signed ? bits.getSigned(offset, width) : bits.getUnsigned(offset, width);
    let newval: bigint;
    let overflow: number;
    let retval: bigint;
    if (op === Op.INCRBY) {
      let limit: bigint;
      [overflow, limit] = checkOverflow(oldval, value, width, signed, ow);
      newval = limit;
      retval = newval;
    } else {
      let limit: bigint;
      [overflow, limit] = checkOverflow(value, 0n, width, signed, ow);
      newval = overflow ? limit : value;
      retval = oldval;
    }
    if (overflow && ow === Ow.FAIL) {
      c.reply.nil();
      continue;
    }
    replyBigInt(c, retval);
    bits.setUnsigned(offset, width, BigInt.asUintN(width, newval));
    if (grows || oldval !== newval) changes++;
  }
  return changes;
}

function replyBigInt(c: Client, r: bigint): void {
  c.reply.int(r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r);
}

function bitfieldGeneric(c: Client, argv: Buffer[], readonlyCmd: boolean): void {
  const key = argv[1];
  nFields = 0;
  let numeric = true;
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
    const type = bitfieldType(argv[j + 1]);
    const signed = type < 0;
    const bits = signed ? -type : type;
    const offset = bitOffsetArg(c, argv[j + 2], bits);
    let big = 0n;
    let num = 0;
    if (bits > 32) numeric = false;
    if (op !== Op.GET) {
      readonly = false;
      if (highestWrite < offset + bits - 1) highestWrite = offset + bits - 1;
      const v = quickInt(argv[j + 3]);
      if (v === null) fail(NOT_INT);
      // C passes the value of an unsigned SET as uint64: -1 is 2^64-1 (overflowing every type).
      if (typeof v === 'number' && Math.abs(v) <= 2 ** 52 && !(op === Op.SET && !signed && v < 0)) num = v;
      else {
        numeric = false;
        big = op === Op.SET && !signed ? BigInt.asUintN(64, BigInt(v)) : BigInt(v);
      }
    }
    const k = nFields++;
    fOp[k] = op;
    fOffset[k] = offset;
    fBits[k] = bits;
    fSigned[k] = signed;
    fOw[k] = ow;
    fNum[k] = num;
    fBig[k] = big;
    j += op === Op.GET ? 2 : 3;
  }

  const view = bitView;
  let grows = false;
  if (readonly) {
    view.v = peekStringRead(c, key);
  } else {
    if (readonlyCmd) fail('ERR BITFIELD_RO only supports the GET subcommand');
    view.v = editBits(c, key, Math.floor(highestWrite / 8) + 1, c.server.config.hot['proto-max-bulk-len']);
    grows = editGrew;
  }
  // Nothing can fail from here on: the fields' results go straight to the reply.
  c.reply.array(nFields);
  const changes = numeric ? runNumeric(c, view, grows) : runBig(c, view, grows);
  view.v = null;
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
