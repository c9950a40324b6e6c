/*
 * glob.ts -- Redis glob matching, exactly stringmatchlen() of Redis 7.0 src/util.c.
 *
 * Semantics reproduced, including the quirks of the C code:
 *   - `*` any run (possibly empty) of bytes, `?` exactly one byte, `\x` the literal x, a trailing
 *     `\` is a literal backslash.
 *   - `[...]` one byte from the class; `[^...]` negated; `\` escapes inside the class (compared
 *     case-sensitively even with nocase, as in C); `a-z` ranges, reversed ranges `[z-a]` are
 *     swapped; range bounds and the subject byte are compared as *signed* chars (x86 `char`), so
 *     bytes >= 0x80 sort below ASCII inside ranges; an unterminated class ends at the end of the
 *     pattern; "[a-]" takes `]` as the range end and so runs to the end of the pattern too.
 *   - nocase lowercases ASCII A-Z only (C locale tolower).
 *   - Matching stops when the subject is exhausted: trailing `*`s are then skipped and the pattern
 *     must be finished. So "*" does not match the empty string (KEYS/SCAN special-case a lone "*"
 *     before calling the matcher).
 *   - The C code reads pattern[patternLen] (the sds NUL terminator); pc() returns 0 there.
 *
 * Algorithm: the C function recurses at each `*` and, with its skipLongerMatches flag, never
 * retries an earlier `*` once a later one has been reached (a longer match for the earlier star
 * could only move the rest of the pattern later in the string, and the later star already failed
 * from every later position). That is exactly the classic single-backtrack-point loop below:
 * remember the last star and the subject position it was tried at; on failure retry from the next
 * position; when a new star is reached it replaces the backtrack point. Same results, O(plen*slen)
 * worst case, no recursion (so no stack overflow on patterns with many stars).
 */

let gP: u32 = 0;
let gPlen: u32 = 0;

// @ts-ignore: decorator
@inline function pc(i: u32): i32 {
  return i < gPlen ? <i32>load<u8>(gP + i) : 0;
}

// @ts-ignore: decorator
@inline function lower(c: i32): i32 {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

// @ts-ignore: decorator
@inline function sx(c: i32): i32 {
  return (c << 24) >> 24; // as a signed char
}

/** 1 when the subject [sp, sp+slen) matches the pattern [pp, pp+plen), else 0. */
export function globMatch(pp: u32, plen: u32, sp: u32, slen: u32, nocase: i32): i32 {
  gP = pp;
  gPlen = plen;
  const nc = nocase != 0;
  let p: u32 = 0;
  let s: u32 = 0;
  let haveStar = false;
  let bp: u32 = 0; // pattern index after the last star
  let bs: u32 = 0; // subject index the last star's continuation was tried at
  while (true) {
    let ok = false;
    // One run of the C while loop from (p, s).
    while (true) {
      if (p >= plen || s >= slen) {
        ok = p >= plen && s >= slen;
        break;
      }
      const c = pc(p);
      if (c == 42) { // '*'
        while (pc(p + 1) == 42) p++;
        if (plen - p == 1) return 1;
        haveStar = true;
        bp = p + 1;
        bs = s;
        p = bp;
        continue;
      }
      const sc = <i32>load<u8>(sp + s);
      if (c == 63) { // '?'
        s++;
      } else if (c == 91) { // '['
        p++;
        const not = pc(p) == 94; // '^'
        if (not) p++;
        let match = false;
        while (true) {
          const rem = plen - p;
          const pch = pc(p);
          if (pch == 92 && rem >= 2) { // '\\'
            p++;
            if (pc(p) == sc) match = true;
          } else if (pch == 93) { // ']'
            break;
          } else if (rem == 0) {
            p--;
            break;
          } else if (rem >= 3 && pc(p + 1) == 45) { // '-'
            let start = sx(pch);
            let end = sx(pc(p + 2));
            let cc = sx(sc);
            if (start > end) {
              const t = start; start = end; end = t;
            }
            if (nc) {
              start = lower(start);
              end = lower(end);
              cc = lower(cc);
            }
            p += 2;
            if (cc >= start && cc <= end) match = true;
          } else {
            if (nc ? lower(pch) == lower(sc) : pch == sc) match = true;
          }
          p++;
        }
        if (not) match = !match;
        if (!match) break; // ok = false
        s++;
      } else {
        if (c == 92 && plen - p >= 2) p++; // '\\' escapes the next byte
        const lit = pc(p);
        if (nc ? lower(lit) != lower(sc) : lit != sc) break;
        s++;
      }
      p++;
      if (s >= slen) {
        while (pc(p) == 42) p++;
        ok = p >= plen;
        break;
      }
    }
    if (ok) return 1;
    if (!haveStar) return 0;
    bs++;
    if (bs >= slen) return 0;
    p = bp;
    s = bs;
  }
  return 0;
}
