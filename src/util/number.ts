/**
 * Number parsing and formatting with Redis's exact rules.
 *
 * - Integers follow string2ll (util.c): optional '-', no '+', no leading zeros, no spaces, and the
 *   value must fit a signed 64-bit integer. JS numbers are exact only up to 2^53, so values past that
 *   are returned as bigint by the `*Big` variants used by counters (INCR, HINCRBY...).
 * - Doubles follow strtod as Redis uses it: no leading space, the whole string consumed, no
 *   overflow/underflow (ERANGE), no NaN; "inf", "+inf", "-inf", "infinity" accepted.
 * - Doubles are formatted as C's "%.17g" (Redis 7.0 addReplyDouble).
 */

const LLONG_MAX_DIGITS = '9223372036854775807';
const LLONG_MIN_DIGITS = '9223372036854775808';

/** Checks the string2ll syntax of `s` and the int64 range. */
function validInt64Text(s: string): boolean {
  const len = s.length;
  if (len === 0 || len > 20) return false;
  if (len === 1 && s === '0') return true;
  let i = 0;
  const neg = s.charCodeAt(0) === 45;
  if (neg) {
    i = 1;
    if (len === 1) return false;
  }
  const first = s.charCodeAt(i);
  if (first < 49 || first > 57) return false;
  for (let j = i + 1; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return false;
  }
  const digits = len - i;
  if (digits < 19) return true;
  if (digits > 19) return false;
  const limit = neg ? LLONG_MIN_DIGITS : LLONG_MAX_DIGITS;
  return (neg ? s.slice(1) : s) <= limit;
}

/** Latin1 view of a byte string (bytes map to chars 1:1). */
export function latin1(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.latin1Slice(0, v.length);
}

/** string2ll: returns the integer, or NaN when not a valid int64. Values past 2^53 are rounded. */
export function parseInt64(v: Buffer | string): number {
  if (v.length > 20 || v.length === 0) return NaN;
  if (typeof v !== 'string') {
    const n = smallUint(v);
    if (n >= 0) return n;
  }
  const s = latin1(v);
  if (!validInt64Text(s)) return NaN;
  return Number(s);
}

/**
 * The fast path of string2ll for the common argument: a non-negative integer of 1 to 15 digits
 * with no sign and no leading zero, read straight from the bytes (no string made). -1 for
 * anything else, which the caller then hands to the general parser.
 */
export function smallUint(v: Buffer): number {
  const len = v.length;
  if (len === 0 || len > 15 || (v[0] === 48 && len > 1)) return -1;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const d = v[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** string2ll returning an exact value: number when safe, bigint past 2^53; null when invalid. */
export function parseInt64Exact(v: Buffer | string): number | bigint | null {
  if (v.length > 20 || v.length === 0) return null;
  const s = latin1(v);
  if (!validInt64Text(s)) return null;
  if (s.length < 16) return Number(s);
  const b = BigInt(s);
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
export const UINT64_MAX = 18446744073709551615n;

/**
 * Add two int64 values exactly. Returns null on overflow (Redis: "increment or decrement would
 * overflow").
 */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (Number.isSafeInteger(r)) return r;
  }
  const r = BigInt(a) + BigInt(b);
  if (r > INT64_MAX || r < INT64_MIN) return null;
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
}

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/;
const HEX_FLOAT_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * parseDouble's fast path for the usual score or coordinate: [+-]digits[.digits] with at most 15
 * digits in all, read from the bytes. The digits form an integer m < 2^53 and the scale 10^k
 * (k <= 22) is exact, so m / 10^k is the one correctly rounded double strtod returns (Clinger's
 * fast path). Undefined for anything else (exponents, more digits, inf, hex...).
 */
function simpleDecimal(v: Buffer): number | undefined {
  const len = v.length;
  let i = 0;
  const neg = v[0] === 45;
  if (neg || v[0] === 43) i = 1;
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < len; i++) {
    const c = v[i];
    if (c === 46) {
      if (frac >= 0) return undefined;
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return undefined;
    m = m * 10 + d;
    digits++;
    if (frac >= 0) frac++;
  }
  // Up to 15 digits, or an integer below 2^53 (e.g. GEOADD's 16-digit scores): exact in m.
  if (digits === 0 || (digits > 15 && (frac >= 0 || !(m < 9007199254740992)))) return undefined;
  const r = frac > 0 ? m / POW10[frac] : m;
  return neg ? -r : r;
}

/**
 * strtod as Redis uses it (getDoubleFromObject / string2d). Returns NaN when invalid,
 * including NaN input, overflow to infinity and underflow.
 */
export function parseDouble(v: Buffer | string): number {
  if (v.length === 0 || v.length > 5000) return NaN;
  if (typeof v !== 'string' && v.length <= 24) {
    const d = simpleDecimal(v);
    if (d !== undefined) return d;
  }
  const s = latin1(v);
  const c0 = s.charCodeAt(0);
  // strtod skips leading whitespace, but Redis rejects it explicitly.
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return NaN;
  if (FLOAT_RE.test(s)) {
    const d = Number(s);
    if (!Number.isFinite(d)) return NaN; // ERANGE overflow
    if (d === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ''))) return NaN; // ERANGE underflow
    return d;
  }
  const lower = s.toLowerCase();
  switch (lower) {
    case 'inf':
    case '+inf':
    case 'infinity':
    case '+infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
  }
  const h = parseHexFloat(s);
  if (h !== undefined) return Number.isFinite(h) ? h : NaN;
  return NaN;
}

/** A C99 hex float ("0x1.8p3") as strtod reads it; undefined when `s` is not one. */
export function parseHexFloat(s: string): number | undefined {
  const m = HEX_FLOAT_RE.exec(s);
  if (!m || (m[2].length === 0 && (m[3] ?? '').length === 0)) return undefined;
  let d = 0;
  for (const ch of m[2]) d = d * 16 + parseInt(ch, 16);
  let scale = 1 / 16;
  for (const ch of m[3] ?? '') {
    d += parseInt(ch, 16) * scale;
    scale /= 16;
  }
  if (m[4]) d *= Math.pow(2, Number(m[4]));
  return m[1] === '-' ? -d : d;
}

const C_FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `strtod(s, &eptr)` followed by Redis's `eptr[0] != '\0'` test (zslParseRange, SORT): the C string
 * ends at the first NUL byte, leading white space is skipped, overflow gives +-inf, underflow 0,
 * and an empty string is 0. Returns null when characters are left over (NaN is returned as NaN).
 */
export function strtodAll(s: string): number | null {
  const nul = s.indexOf('\0');
  if (nul !== -1) s = s.slice(0, nul);
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  const t = s.slice(i);
  if (t.length === 0) return null; // no conversion: eptr points at the white space
  if (C_FLOAT_RE.test(t)) return Number(t);
  const lower = t.toLowerCase();
  const sign = lower[0] === '-' ? -1 : 1;
  const body = lower[0] === '-' || lower[0] === '+' ? lower.slice(1) : lower;
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan' || /^nan\([0-9a-z_]*\)$/.test(body)) return NaN;
  return parseHexFloat(t) ?? null;
}

const C_FLOAT_PREFIX_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const C_SPECIAL_PREFIX_RE = /^([+-]?)(?:(infinity|inf)|nan(?:\([0-9a-z_]*\))?)/i;
const C_HEX_PREFIX_RE = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?\d+)?/;

/**
 * `strtod(s, NULL)` on a C string (it ends at the first NUL byte): leading white space skipped, the
 * longest number at the start read and the rest ignored; `none` when nothing converts (strtod's
 * 0; null for sscanf("%lg"), which then converts nothing).
 */
export function strtodPrefix<T extends number | null = number>(s: string, none: T = 0 as T): number | T {
  const nul = s.indexOf('\0');
  if (nul !== -1) s = s.slice(0, nul);
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  const t = s.slice(i);
  const hex = C_HEX_PREFIX_RE.exec(t);
  if (hex) return parseHexFloat(hex[0]) ?? none;
  const m = C_FLOAT_PREFIX_RE.exec(t);
  if (m) return Number(m[0]);
  const sp = C_SPECIAL_PREFIX_RE.exec(t);
  if (sp) return sp[2] ? (sp[1] === '-' ? -Infinity : Infinity) : NaN;
  return none;
}

/** C's printf("%.17g", d), as Redis 7.0 formats doubles in replies. */
export function formatDouble(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  if (d === 0) return Object.is(d, -0) ? '-0' : '0';
  // An integer below 2^53 prints as its digits under %.17g (exponent < 17), as String() does.
  if (Number.isSafeInteger(d)) return String(d);
  return formatG(d, 17);
}

/**
 * C's printf("%.<digits>f") for a finite double. toFixed agrees except on exact ties (3.125 with 2
 * digits), which it rounds away from zero where glibc rounds the exact binary value half to even.
 */
export function formatFixed(d: number, digits: number): string {
  const s = d.toFixed(digits);
  // Up to 100 digits: the exact decimal expansion of every double above 1e-40 or so.
  const exact = Math.abs(d).toFixed(100);
  const cut = exact.indexOf('.') + 1 + digits;
  if (!/^50*$/.test(exact.slice(cut))) return s;
  const down = exact.slice(0, digits === 0 ? cut - 1 : cut);
  if ((down.charCodeAt(down.length - 1) - 48) % 2 !== 0) return s;
  return d < 0 ? '-' + down : down;
}

/** printf("%.<p>g") for a finite non-zero double. */
export function formatG(d: number, p: number): string {
  const expStr = d.toExponential(p - 1);
  const ePos = expStr.indexOf('e');
  const exp = Number(expStr.slice(ePos + 1));
  if (exp < -4 || exp >= p) {
    let mant = expStr.slice(0, ePos);
    if (mant.indexOf('.') !== -1) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const sign = exp < 0 ? '-' : '+';
    const ae = Math.abs(exp);
    return `${mant}e${sign}${ae < 10 ? '0' : ''}${ae}`;
  }
  let fixed = d.toFixed(Math.max(0, p - 1 - exp));
  if (fixed.indexOf('.') !== -1) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return fixed;
}

/** Integer-valued doubles print without exponent up to 2^53... used for Lua/INCRBYFLOAT helpers. */
export function isIntegral(d: number): boolean {
  return Number.isFinite(d) && Math.floor(d) === d;
}

/**
 * Redis's string2ll on a latin1 JS string: the int64 it spells exactly (canonical form only: no
 * sign on 0, no leading zeros or spaces), as a number when safe, else a bigint; null otherwise.
 */
export function strToInt64(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  const c0 = s.charCodeAt(0);
  if (len === 1) return c0 >= 48 && c0 <= 57 ? c0 - 48 : null;
  let i = 0;
  if (c0 === 45) i = 1;
  const f = s.charCodeAt(i);
  if (f < 49 || f > 57) return null;
  for (let j = i + 1; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  if (len - i < 16) return Number(s);
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/**
 * The decimal digits of a non-negative safe integer written backwards so that they end just
 * before `end`; returns where they start. Below 2^31 by int32 division, which V8 turns into a
 * multiply (a float division and modulo cost ~2.5x as much per digit: 45 -> 17 ns for 7 digits).
 */
export function writeDigitsBefore(buf: Uint8Array, end: number, n: number): number {
  let q = end;
  if (n <= 0x7fffffff) {
    let y = n | 0;
    do {
      const t = (y / 10) | 0;
      buf[--q] = 48 + y - t * 10;
      y = t;
    } while (y !== 0);
  } else {
    do {
      const d = n % 10;
      buf[--q] = 48 + d;
      n = (n - d) / 10;
    } while (n !== 0);
  }
  return q;
}
