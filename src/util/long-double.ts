/**
 * x87 80-bit `long double` arithmetic, as Redis uses for INCRBYFLOAT and HINCRBYFLOAT
 * (strtold -> add -> printf("%.17Lf") with trailing zeros removed). JS doubles would print
 * 0.1 + 0.2 as "0.30000000000000004" where Redis prints "0.3", so this emulates the real thing.
 *
 * A value is exact: sign * m * 2^e with m < 2^64 (the 64-bit significand), rounded to nearest,
 * ties to even, after every operation. BigInt keeps every step exact.
 *
 * Fast path (exactDyadic / formatDyadic): when both operands are plain decimals that are exactly
 * doubles with at most 17 fractional bits and magnitude below 2^35 (1.5, 10.25, 3, -7.125...),
 * every long double step is exact (the 64-bit significand holds them and their sum), so is the
 * double sum (multiples of 2^-17 below 2^36 need at most 53 bits), and %.17Lf prints the exact
 * value, which toFixed(17) also does: the same text without BigInt.
 */

export interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
}

const MANT_BITS = 64;
/** Largest finite exponent: LDBL_MAX ~ 1.19e4932 = (2^64-1) * 2^16320. */
const MAX_E = 16320;

function bitLength(n: bigint): number {
  if (n <= 0xffffffffn) return 32 - Math.clz32(Number(n));
  // A quarter of the digits of toString(2); the first hex digit gives the top bits.
  const s = n.toString(16);
  return (s.length - 1) * 4 + (32 - Math.clz32(s.charCodeAt(0) <= 57 ? s.charCodeAt(0) - 48 : s.charCodeAt(0) - 87));
}

/** 10^k as a BigInt, cached (strtold's scaling and the 10^17 of printing). */
const POW10: bigint[] = [];
function pow10(k: number): bigint {
  if (k > 400) return 10n ** BigInt(k);
  let p = POW10[k];
  if (p === undefined) POW10[k] = p = 10n ** BigInt(k);
  return p;
}

/** 2^35: bound on a fast-path operand (the sum stays below 2^36). */
const DYADIC_MAX = 34359738368;

/** 5^0 .. 5^15, exact in doubles. */
const POW5: number[] = Array.from({ length: 16 }, (_, i) => 5 ** i);

/**
 * `s` as a double when it is a plain decimal (-?digits[.digits], no leading zero, at most 15
 * fractional digits) whose value is exactly a multiple of 2^-17 below 2^35 in magnitude; NaN
 * otherwise (the caller takes the exact BigInt path, which also reports invalid input).
 */
export function exactDyadic(s: string): number {
  const n = s.length;
  if (n === 0 || n > 28) return NaN;
  const neg = s.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  if (i === n || (s.charCodeAt(i) === 48 && i + 1 < n && s.charCodeAt(i + 1) !== 46)) return NaN;
  let int = 0;
  let digits = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) break;
    int = int * 10 + d;
    digits++;
  }
  if (digits === 0 || digits > 11) return NaN;
  let frac = 0;
  let f = 0;
  if (i < n) {
    if (s.charCodeAt(i) !== 46 || i + 1 === n || n - i - 1 > 15) return NaN;
    for (i++; i < n; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return NaN;
      frac = frac * 10 + d;
      f++;
    }
  }
  // frac / 10^f is a multiple of 2^-f (f <= 15 <= 17) exactly when 5^f divides frac.
  const k = frac / POW5[f];
  if (!Number.isInteger(k)) return NaN;
  const v = int + k / 2 ** f; // exact: a multiple of 2^-f below 2^35
  if (!(v < DYADIC_MAX) || (v === 0 && neg)) return NaN;
  return neg ? -v : v;
}

/**
 * The text INCRBYFLOAT / HINCRBYFLOAT give for a + b when both are exactDyadic operands (see the
 * header), or null: then the exact path decides (and reports invalid input).
 */
export function addExactly(a: string, b: string): string | null {
  const x = exactDyadic(a);
  if (Number.isNaN(x)) return null;
  const y = exactDyadic(b);
  return Number.isNaN(y) ? null : formatDyadic(x + y);
}

/** %.17Lf of a fast-path sum (a multiple of 2^-17 below 2^36), trailing zeros and '.' removed. */
function formatDyadic(v: number): string {
  const neg = v < 0;
  const a = neg ? -v : v;
  const int = Math.floor(a);
  let f = a - int; // exact, a multiple of 2^-17
  let s = (neg && a !== 0 ? '-' : '') + int;
  if (f !== 0) {
    s += '.';
    // Each step is exact (multiples of 2^-17 below 10 need 21 bits), so are the digits.
    while (f !== 0) {
      f *= 10;
      const d = Math.floor(f);
      s += String.fromCharCode(48 + d);
      f -= d;
    }
  }
  return s;
}

/** Round num/den (positive) to a 64-bit significand: returns m, e with value ~ m * 2^e. */
function roundRational(num: bigint, den: bigint): { m: bigint; e: number } {
  if (num === 0n) return { m: 0n, e: 0 };
  // Choose e so that num / den / 2^e lies in [2^63, 2^64).
  let e = bitLength(num) - bitLength(den) - MANT_BITS;
  let q: bigint, r: bigint, d: bigint;
  for (;;) {
    let n = num;
    d = den;
    if (e >= 0) d = den << BigInt(e);
    else n = num << BigInt(-e);
    q = n / d;
    r = n % d;
    if (q >= 1n << 64n) e++;
    else if (q < 1n << 63n) e--;
    else break;
  }
  // Round half to even.
  const twice = r * 2n;
  if (twice > d || (twice === d && (q & 1n) === 1n)) {
    q += 1n;
    if (q === 1n << 64n) {
      q >>= 1n;
      e++;
    }
  }
  return { m: q, e };
}

/** strtold as Redis's string2ld checks it; returns null when invalid or out of range. */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length > 5000) return null;
  const c0 = s.charCodeAt(0);
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return null;
  const lower = s.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return { neg: lower[0] === '-', m: -1n, e: 0 };
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (hex) return parseHexLongDouble(hex);
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2].length === 0 && (m[3] ?? '').length === 0)) return null;
  const digits = (m[2] + (m[3] ?? '')).replace(/^0+/, '') || '0';
  let exp10 = (m[4] ? Number(m[4]) : 0) - (m[3] ?? '').length;
  if (!Number.isFinite(exp10) || Math.abs(exp10) > 100000) return digits === '0' ? { neg: m[1] === '-', m: 0n, e: 0 } : null;
  let num = BigInt(digits);
  let den = 1n;
  if (exp10 >= 0) num *= pow10(exp10);
  else den = pow10(-exp10);
  const r = roundRational(num, den);
  if (r.m !== 0n && r.e > MAX_E) return null; // ERANGE overflow
  if (r.m !== 0n && underflowsToZero(r)) return null; // ERANGE underflow to 0
  exp10 = 0;
  return { neg: m[1] === '-', m: r.m, e: r.e };
}

/**
 * string2ld refuses an ERANGE underflow only when strtold returned 0: a denormal (down to
 * 2^-16445) is accepted. m * 2^e (m in [2^63, 2^64)) rounds to 0 below 2^-16446 and at it (tie to even).
 */
function underflowsToZero(r: { m: bigint; e: number }): boolean {
  return r.e < -16509 || (r.e === -16509 && r.m === 1n << 63n);
}

/** strtold's hexadecimal form (0x1.8p3): hex digits, an optional fraction, a binary exponent. */
function parseHexLongDouble(h: RegExpExecArray): LongDouble | null {
  const frac = h[3] ?? '';
  if (h[2].length === 0 && frac.length === 0) return null; // "0x" alone: strtold stops after the 0
  const neg = h[1] === '-';
  const num = BigInt('0x' + ((h[2] + frac).replace(/^0+/, '') || '0'));
  if (num === 0n) return { neg, m: 0n, e: 0 };
  const exp2 = (h[4] ? Number(h[4]) : 0) - 4 * frac.length;
  if (!Number.isFinite(exp2) || Math.abs(exp2) > 100000) return null; // ERANGE either way
  const r = exp2 >= 0 ? roundRational(num << BigInt(exp2), 1n) : roundRational(num, 1n << BigInt(-exp2));
  if (r.e > MAX_E || underflowsToZero(r)) return null; // ERANGE overflow / underflow, as the decimal form
  return { neg, m: r.m, e: r.e };
}

export function isInfinite(v: LongDouble): boolean {
  return v.m === -1n;
}

export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (isInfinite(a) || isInfinite(b)) {
    if (isInfinite(a) && isInfinite(b) && a.neg !== b.neg) return { neg: false, m: -2n, e: 0 }; // NaN
    return isInfinite(a) ? a : b;
  }
  const e = Math.min(a.e, b.e);
  const av = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const bv = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = av + bv;
  if (sum === 0n) return { neg: false, m: 0n, e: 0 };
  const neg = sum < 0n;
  const abs = neg ? -sum : sum;
  let r: { m: bigint; e: number };
  if (e >= 0) r = roundRational(abs << BigInt(e), 1n);
  else r = roundRational(abs, 1n << BigInt(-e));
  if (r.e > MAX_E) return { neg, m: -1n, e: 0 };
  return { neg, m: r.m, e: r.e };
}

/** True for NaN or infinite results (Redis: "increment would produce NaN or Infinity"). */
export function isNanOrInf(v: LongDouble): boolean {
  return v.m < 0n;
}

/** printf("%.17Lf") with trailing zeros (and a trailing '.') removed, "-0" -> "0" (LD_STR_HUMAN). */
export function formatLongDoubleHuman(v: LongDouble): string {
  if (v.m === -1n) return v.neg ? '-inf' : 'inf';
  // value * 10^17, rounded half-even to an integer.
  let scaled: bigint;
  const p17 = pow10(17);
  if (v.e >= 0) scaled = (v.m << BigInt(v.e)) * p17;
  else {
    const den = 1n << BigInt(-v.e);
    const n = v.m * p17;
    scaled = n / den;
    const twice = (n % den) * 2n;
    if (twice > den || (twice === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  let digits = scaled.toString().padStart(18, '0');
  let out = digits.slice(0, -17) + '.' + digits.slice(-17);
  out = out.replace(/0+$/, '').replace(/\.$/, '');
  if (v.neg && out !== '0') out = '-' + out;
  digits = '';
  return out;
}
