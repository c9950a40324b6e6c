/**
 * x87 80-bit `long double` arithmetic, as Redis uses for INCRBYFLOAT and HINCRBYFLOAT
 * (strtold -> add -> printf("%.17Lf") with trailing zeros removed). JS doubles would print
 * 0.1 + 0.2 as "0.30000000000000004" where Redis prints "0.3", so this emulates the real thing.
 *
 * A value is exact: sign * m * 2^e with m < 2^64 (the 64-bit significand), rounded to nearest,
 * ties to even, after every operation. BigInt keeps every step exact; these commands are not hot.
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
  return n === 0n ? 0 : n.toString(2).length;
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
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
  if (!m || (m[2].length === 0 && (m[3] ?? '').length === 0)) return null;
  const digits = (m[2] + (m[3] ?? '')).replace(/^0+/, '') || '0';
  let exp10 = (m[4] ? Number(m[4]) : 0) - (m[3] ?? '').length;
  if (!Number.isFinite(exp10) || Math.abs(exp10) > 100000) return digits === '0' ? { neg: m[1] === '-', m: 0n, e: 0 } : null;
  let num = BigInt(digits);
  let den = 1n;
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den = 10n ** BigInt(-exp10);
  const r = roundRational(num, den);
  if (r.m !== 0n && r.e > MAX_E) return null; // ERANGE overflow
  if (r.m !== 0n && r.e < -16445) return null; // ERANGE underflow
  exp10 = 0;
  return { neg: m[1] === '-', m: r.m, e: r.e };
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
  const p17 = 10n ** 17n;
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
