/**
 * Argument parsing shared by command handlers: option matching and Redis's argument getters
 * (object.c's get*FromObjectOrReply), each once, with Redis's error texts. Nothing here touches
 * the keyspace (see keyspace.ts) or blocks (see blocking.ts).
 */
import { constants as bufferConstants } from 'buffer';
import type { BulkValue } from '../engine/types';
import { fail, INVALID_CURSOR, NOT_FLOAT, NOT_INT, NOT_POSITIVE, SYNTAX } from './errors';
import { latin1, parseDouble, parseInt64, parseInt64Exact } from '../util/number';

export const LONG_MAX_N = 9223372036854775807n;

/**
 * The most elements a reply with repetition (SRANDMEMBER, HRANDFIELD, ZRANDMEMBER with a negative
 * count) can hold: each takes at least 6 bytes and a reply is built in one Buffer, so a larger one
 * can only fail (Redis would stream it, growing its output buffer without bound).
 */
export const MAX_REPLY_ELEMENTS = Math.floor(bufferConstants.MAX_LENGTH / 6);
export const LONG_MIN_N = -9223372036854775808n;

/** True when `arg` equals `word` case-insensitively. `word` must be lowercase ASCII. */
export function isWord(arg: Buffer, word: string): boolean {
  const n = word.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Lowercase latin1 text of an option argument. */
export function optName(arg: Buffer): string {
  return arg.latin1Slice(0, arg.length).toLowerCase();
}

/** getLongLongFromObjectOrReply: integer argument or `msg` ("value is not an integer or out of range"). */
export function intArg(arg: BulkValue, msg = NOT_INT): number {
  const n = parseInt64(arg);
  if (Number.isNaN(n)) fail(msg);
  return n;
}

/**
 * getPositiveLongFromObjectOrReply: an integer >= 0. `msg` (without "ERR ") is the error for a
 * non-integer and a negative value alike; by default "value is out of range, must be positive".
 */
export function positiveIntArg(arg: BulkValue, msg: string | null = null): number {
  return rangeIntArg(arg, 0n, LONG_MAX_N, msg ?? NOT_POSITIVE.slice(4));
}

/**
 * getRangeLongFromObjectOrReply: an integer in [min, max] (compared exactly as int64). `msg`
 * (without "ERR ") replaces both error texts.
 */
export function rangeIntArg(arg: BulkValue, min: bigint, max: bigint, msg: string | null = null): number {
  const r = parseInt64Exact(arg);
  if (r === null) fail(msg ? 'ERR ' + msg : NOT_INT);
  const b = BigInt(r);
  if (b < min || b > max) {
    if (msg) fail('ERR ' + msg);
    fail(`ERR value is out of range, value must between ${min} and ${max}`);
  }
  return Number(r);
}

/** getDoubleFromObjectOrReply: float argument or "value is not a valid float". */
export function floatArg(arg: BulkValue, msg = NOT_FLOAT): number {
  const d = parseDouble(arg);
  if (Number.isNaN(d)) fail(msg);
  return d;
}

/** Resolves LRANGE/GETRANGE-style start/end against a length: [start, end] clamped, or null if empty. */
export function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0 || start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

/**
 * parseScanCursorOrReply: C strtoul rules (optional sign, "-1" wraps to 2^64-1, "" is 0, ERANGE
 * past 2^64-1, no leading space). Redust's cursors use the low 32 bits.
 */
export function cursorArg(arg: Buffer): number {
  const nul = arg.indexOf(0);
  const s = latin1(nul < 0 ? arg : arg.subarray(0, nul)); // strtoul reads the C string
  const m = /^([+-]?)(\d*)$/.exec(s);
  if (!m || (m[1] !== '' && m[2] === '')) fail(INVALID_CURSOR);
  const n = m[2] === '' ? 0n : BigInt(m[2]);
  if (n > 18446744073709551615n) fail(INVALID_CURSOR);
  return Number(BigInt.asUintN(32, m[1] === '-' ? -n : n));
}

export interface ScanOptions {
  count: number;
  pattern: Buffer | null;
  type: string | null;
}

/** The option loop shared by SCAN, SSCAN, HSCAN and ZSCAN (`allowType` only for SCAN). */
export function scanOptionsArg(argv: Buffer[], from: number, allowType: boolean): ScanOptions {
  const opts: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = from; i < argv.length; ) {
    const left = argv.length - i;
    if (isWord(argv[i], 'count') && left >= 2) {
      opts.count = intArg(argv[i + 1]);
      if (opts.count < 1) fail(SYNTAX);
      i += 2;
    } else if (isWord(argv[i], 'match') && left >= 2) {
      const p = argv[i + 1];
      opts.pattern = p.length === 1 && p[0] === 42 ? null : p;
      i += 2;
    } else if (allowType && isWord(argv[i], 'type') && left >= 2) {
      opts.type = latin1(argv[i + 1]).toLowerCase();
      i += 2;
    } else fail(SYNTAX);
  }
  return opts;
}
