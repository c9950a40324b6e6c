/**
 * A RESP request fuzzer (issue 15), shared by test/resp-fuzz.test.ts (short, differential with
 * real Redis) and bench/fuzz.ts (long, ≥ 10 M frames per engine).
 *
 * Grammar-based: valid commands as multibulk or inline frames over a small deterministic command
 * set (keys carry a per-stream random tag, so concurrent streams never share keys). Malformations,
 * each a class Redis answers in a known way: multibulk and bulk lengths that are not numbers,
 * negative, huge (over INT_MAX / proto-max-bulk-len) or without CRLF within 64 KB; a non-'$'
 * type inside a multibulk (nested arrays, '+', ':', binary bytes); inline requests with
 * unbalanced quotes or over 64 KB; bulks not followed by CRLF; binary garbage; and random byte
 * mutations (flip, insert, delete, duplicate) of valid frames. Streams are written at random
 * split points.
 */
import { rng as makeRng } from './rng';

export type Rng = () => number;

export const rng = makeRng;

/** Redis 7.0's protocol error texts (networking.c), without the "-ERR " prefix and CRLF. */
export const PROTOCOL_ERRORS = [
  'Protocol error: too big inline request',
  'Protocol error: unbalanced quotes in request',
  'Protocol error: too big mbulk count string',
  'Protocol error: invalid multibulk length',
  'Protocol error: too big bulk count string',
  'Protocol error: invalid bulk length',
  'Protocol error: unauthenticated multibulk length',
  'Protocol error: unauthenticated bulk length',
];

/** True for an error line that is one of Redis's protocol errors (incl. "expected '$', got 'X'"). */
export function isProtocolError(line: string): boolean {
  if (!line.startsWith('ERR Protocol error: ')) return false;
  return PROTOCOL_ERRORS.includes(line.slice(4)) || /^ERR Protocol error: expected '\$', got '[\s\S]'$/.test(line);
}

const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

function word(r: Rng, max = 12): string {
  const n = 1 + int(r, max);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(97 + int(r, 26));
  return s;
}

export function tag(r: Rng): string {
  return word(r, 1) + word(r, 1) + word(r, 1) + word(r, 1) + word(r, 1) + word(r, 1) + word(r, 1) + word(r, 1);
}

/** A valid command (arguments) over keys of `t`. */
/** Probability that a value is big (up to 40 KB, crossing the parser's big-argument path). */
export const fuzzOptions = { bigValue: 0.1 };

export function command(r: Rng, t: string): string[] {
  const k = `fz:${t}:${int(r, 3)}`;
  const v = r() < fuzzOptions.bigValue ? 'x'.repeat(int(r, 40000)) : word(r, 20);
  switch (int(r, 11)) {
    case 0:
      return ['PING'];
    case 1:
      return ['ECHO', v];
    case 2:
      return ['SET', k, v];
    case 3:
      return ['GET', k];
    case 4:
      return ['DEL', k];
    case 5:
      return ['INCR', k + 'n'];
    case 6:
      return ['RPUSH', k + 'l', v];
    case 7:
      return ['LLEN', k + 'l'];
    case 8:
      return ['EXISTS', k, k + 'n'];
    case 9:
      return ['APPEND', k, word(r)];
    default:
      return ['STRLEN', k];
  }
}

export function multibulk(args: string[]): Buffer {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return Buffer.from(s, 'latin1');
}

function inline(args: string[], r: Rng): Buffer {
  const sep = () => pick(r, [' ', ' ', '  ', '\t']);
  const quoted = args.map((a) => (a.length < 100 && r() < 0.2 ? `"${a}"` : a));
  return Buffer.from(quoted.join(sep()) + (r() < 0.8 ? '\r\n' : '\n'), 'latin1');
}

/** One valid frame (multibulk mostly, inline sometimes). */
export function validFrame(r: Rng, t: string): Buffer {
  const args = command(r, t);
  if (r() < 0.15 && args.every((a) => a.length < 1000)) return inline(args, r);
  return multibulk(args);
}

export const MALFORMATION_CLASSES = [
  'mbulk-len-not-a-number',
  'mbulk-len-huge',
  'mbulk-len-negative-or-zero',
  'mbulk-count-no-crlf',
  'bulk-len-not-a-number',
  'bulk-len-negative',
  'bulk-len-huge',
  'bulk-count-no-crlf',
  'expected-dollar',
  'nested-array',
  'inline-unbalanced-quotes',
  'inline-too-big',
  'inline-binary',
  'bulk-without-crlf',
  'mutation',
  'garbage',
] as const;
export type Malformation = (typeof MALFORMATION_CLASSES)[number];

/** A malformed frame of the given class (or a random one). */
export function malformedFrame(r: Rng, t: string, cls: Malformation = pick(r, MALFORMATION_CLASSES)): Buffer {
  switch (cls) {
    case 'mbulk-len-not-a-number':
      return Buffer.from(`*${pick(r, ['abc', '1a', '', ' 2', '+3', '0x10', '1.5', '--1'])}\r\n`);
    case 'mbulk-len-huge':
      return Buffer.from(`*${pick(r, ['2147483648', '9999999999999', '99999999999999999999999', '1048577', '4294967296'])}\r\n`);
    case 'mbulk-len-negative-or-zero':
      return Buffer.from(`*${pick(r, ['-1', '0', '-100', '-9223372036854775808'])}\r\n`);
    case 'mbulk-count-no-crlf':
      return Buffer.from('*' + '1'.repeat(70000));
    case 'bulk-len-not-a-number':
      return Buffer.from(`*2\r\n$3\r\nGET\r\n$${pick(r, ['x', '', '1x', ' 1', '+1', '0x1'])}\r\n`);
    case 'bulk-len-negative':
      return Buffer.from(`*1\r\n$${pick(r, ['-1', '-2', '-9223372036854775808'])}\r\n`);
    case 'bulk-len-huge':
      return Buffer.from(`*2\r\n$3\r\nGET\r\n$${pick(r, ['536870913', '99999999999', '9223372036854775808', '99999999999999999999999'])}\r\n`);
    case 'bulk-count-no-crlf':
      return Buffer.from('*1\r\n$' + '2'.repeat(70000));
    case 'expected-dollar': {
      const c = pick(r, ['+', ':', '-', '#', '%', 'x', ' ', '\x00', '\xff', '\x7f', '\t']);
      return Buffer.from(`*2\r\n$3\r\nGET\r\n${c}3\r\nabc\r\n`, 'latin1');
    }
    case 'nested-array':
      return Buffer.from(`*1\r\n*1\r\n$4\r\nPING\r\n`);
    case 'inline-unbalanced-quotes':
      return Buffer.from(pick(r, ['SET "a b\r\n', "GET 'k\r\n", 'ECHO "x\\"\r\n', 'PING "a"b\r\n', "ECHO 'a'b\r\n"]));
    case 'inline-too-big':
      return Buffer.from('PING ' + 'a'.repeat(70000));
    case 'inline-binary': {
      const n = 1 + int(r, 30);
      const b = Buffer.alloc(n + 2);
      for (let i = 0; i < n; i++) b[i] = 0x80 + int(r, 128);
      b[n] = 13;
      b[n + 1] = 10;
      return b;
    }
    case 'bulk-without-crlf':
      return Buffer.from(`*1\r\n$4\r\nPING${pick(r, ['xx', 'x\n', '\r\r', 'ab'])}`, 'latin1');
    case 'mutation': {
      const b = Buffer.from(validFrame(r, t));
      const op = int(r, 4);
      const at = int(r, b.length);
      if (op === 0) {
        b[at] ^= 1 << int(r, 8);
        return b;
      }
      if (op === 1) return Buffer.concat([b.subarray(0, at), Buffer.from([int(r, 256)]), b.subarray(at)]);
      if (op === 2) return Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      return Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + int(r, 4)), b.subarray(at)]);
    }
    case 'garbage': {
      const b = Buffer.alloc(1 + int(r, 64));
      for (let i = 0; i < b.length; i++) b[i] = int(r, 256);
      return b;
    }
  }
}

/**
 * A stream: some valid frames, then (with probability `pBad`) one malformed frame and maybe more
 * valid frames after it (which Redis never runs when the malformed one closed the connection).
 */
export function stream(r: Rng, t: string, frames: number, pBad: number, cls?: Malformation): { bytes: Buffer; frames: number; malformed: boolean } {
  const parts: Buffer[] = [];
  const bad = cls ?? pick(r, MALFORMATION_CLASSES);
  // A line over 64 KB without its terminator is refused by Redis only if the terminator has not
  // arrived by the read that passes 64 KB (Redis 7.0 reads as much as the socket holds): that
  // depends on timing, so these classes end their stream.
  const unterminated = bad === 'inline-too-big' || bad === 'mbulk-count-no-crlf' || bad === 'bulk-count-no-crlf';
  const badAt = r() < pBad ? (unterminated ? frames - 1 : int(r, frames)) : -1;
  for (let i = 0; i < frames; i++) parts.push(i === badAt ? malformedFrame(r, t, bad) : validFrame(r, t));
  return { bytes: Buffer.concat(parts), frames, malformed: badAt >= 0 };
}

/** Random split points: chunk sizes for writing `n` bytes (1 byte to the whole). */
export function splits(r: Rng, n: number): number[] {
  const out: number[] = [];
  let left = n;
  while (left > 0) {
    const size = r() < 0.3 ? 1 + int(r, 8) : r() < 0.5 ? 1 + int(r, 4096) : left;
    out.push(Math.min(size, left));
    left -= Math.min(size, left);
  }
  return out;
}
