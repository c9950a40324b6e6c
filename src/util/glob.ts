/**
 * Redis's glob matcher (util.c stringmatchlen) in JavaScript: `*`, `?`, `[abc]`, `[a-z]`, `[^...]`,
 * `\` escapes, optional case folding. Operates on bytes (Buffer or latin1 string), so it is
 * binary-safe. The wasm engine has the same matcher in assembly/glob.ts.
 */

type Bytes = Buffer | string;

function at(s: Bytes, i: number): number {
  return typeof s === 'string' ? s.charCodeAt(i) : s[i];
}

function signed(c: number): number {
  return c >= 128 ? c - 256 : c;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/** Returns true when `str` matches `pattern`. */
export function globMatch(pattern: Bytes, str: Bytes, nocase = false): boolean {
  const skipLongerMatches = { v: false };
  return matchImpl(pattern, 0, pattern.length, str, 0, str.length, nocase, skipLongerMatches, 0);
}

function matchImpl(p: Bytes, pi: number, plen: number, s: Bytes, si: number, slen: number, nocase: boolean, skip: { v: boolean }, nesting: number): boolean {
  // Protection against abusive patterns (Redis limits recursion the same way).
  if (nesting > 1000) return false;
  while (pi < plen && si < slen) {
    const pc = at(p, pi);
    switch (pc) {
      case 42: /* '*' */ {
        while (pi + 1 < plen && at(p, pi + 1) === 42) pi++;
        if (pi + 1 === plen) return true;
        while (si < slen) {
          if (matchImpl(p, pi + 1, plen, s, si, slen, nocase, skip, nesting + 1)) return true;
          if (skip.v) return false;
          si++;
        }
        skip.v = true;
        return false;
      }
      case 63: /* '?' */
        si++;
        break;
      case 91: /* '[' */ {
        pi++;
        const not = pi < plen && at(p, pi) === 94; /* '^' */
        if (not) pi++;
        let match = false;
        for (;;) {
          if (pi >= plen) {
            pi--;
            break;
          }
          const c = at(p, pi);
          if (c === 92 /* '\' */ && plen - pi >= 2) {
            pi++;
            if (at(p, pi) === at(s, si)) match = true;
          } else if (c === 93 /* ']' */) {
            break;
          } else if (plen - pi >= 3 && at(p, pi + 1) === 45 /* '-' */) {
            // C compares plain (signed) chars: bytes >= 0x80 order below ASCII in ranges.
            let start = signed(at(p, pi));
            let end = signed(at(p, pi + 2));
            let ch = signed(at(s, si));
            if (start > end) {
              const t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = lower(start);
              end = lower(end);
              ch = lower(ch);
            }
            pi += 2;
            if (ch >= start && ch <= end) match = true;
          } else {
            if (!nocase) {
              if (c === at(s, si)) match = true;
            } else if (lower(c) === lower(at(s, si))) match = true;
          }
          pi++;
        }
        if (not) match = !match;
        if (!match) return false;
        si++;
        break;
      }
      default: {
        // A backslash escapes the next pattern char (when there is one), then it matches literally.
        if (pc === 92 && plen - pi >= 2) pi++;
        const c = at(p, pi);
        if (!nocase) {
          if (c !== at(s, si)) return false;
        } else if (lower(c) !== lower(at(s, si))) return false;
        si++;
        break;
      }
    }
    pi++;
    if (si === slen) {
      while (pi < plen && at(p, pi) === 42) pi++;
      break;
    }
  }
  return pi === plen && si === slen;
}
