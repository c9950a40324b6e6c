/**
 * LZF (liblzf 3.6 as vendored by Redis: lzf_c.c / lzf_d.c with HLOG 16, VERY_FAST), used by RDB
 * for strings longer than 20 bytes when `rdbcompression yes`.
 *
 * Format: a sequence of runs. Control byte < 32: a literal run of ctrl+1 bytes follows. Otherwise
 * a back reference: length (ctrl >> 5) + 2 (7 means one more length byte follows), offset
 * ((ctrl & 31) << 8 | next byte) + 1 back from the output position.
 *
 * Compression uses the same hash (IDX), match rules and run layout as lzf_compress, so its output
 * is valid for Redis's lzf_decompress. The hash table is reused across calls with a moving base,
 * so no 256 KB clear per small string. Both directions are O(n).
 */

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

const htab = new Int32Array(HSIZE);
let base = 0;

/**
 * Compress input[inStart, inEnd) into out[outStart, outStart + outLen). Returns the compressed
 * length, or 0 when it does not fit in outLen bytes (the caller then stores the string raw).
 */
export function lzfCompress(input: Uint8Array, inStart: number, inEnd: number, out: Uint8Array, outStart: number, outLen: number): number {
  const inLen = inEnd - inStart;
  if (!inLen || !outLen) return 0;
  if (base + inLen + 2 > 0x7fff0000) {
    htab.fill(0);
    base = 0;
  }
  // A slot holds (position - inStart) + b; values <= b come from earlier calls and mean "empty".
  const b = base + 1;
  base += inLen + 2;
  let ip = inStart;
  let op = outStart;
  const outEnd = outStart + outLen;
  let lit = 0;
  op++; // start run
  let hval = (input[ip] << 8) | input[ip + 1];
  while (ip < inEnd - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = ((((hval ^ (hval << 5)) >>> (3 * 8 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1));
    const stored = htab[slot];
    htab[slot] = ip - inStart + b;
    const ref = stored > b ? stored - b + inStart : -1; // ref > in_data required
    let off = 0;
    if (ref > inStart && ref < ip && (off = ip - ref - 1) < MAX_OFF && input[ref + 2] === input[ip + 2] && input[ref] === input[ip] && input[ref + 1] === input[ip + 1]) {
      let len = 2;
      let maxlen = inEnd - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      if (op + 3 + 1 >= outEnd) if (op - (lit ? 0 : 1) + 3 + 1 >= outEnd) return 0;
      out[op - lit - 1] = lit - 1; // stop run
      if (!lit) op--; // undo run if length is zero
      // lzf_c.c first compares 16 bytes unrolled when maxlen > 16, without the maxlen bound, so
      // near the end of the input a match may reach one or two bytes past maxlen; the same here,
      // so that the output is byte for byte Redis's.
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // len is now #octets - 1
      ip++;
      if (len < 7) out[op++] = (off >> 8) + (len << 5);
      else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inEnd - 2) break;
      ip -= 2;
      hval = (input[ip] << 8) | input[ip + 1];
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[((((hval ^ (hval << 5)) >>> (3 * 8 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1))] = ip - inStart + b;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      htab[((((hval ^ (hval << 5)) >>> (3 * 8 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1))] = ip - inStart + b;
      ip++;
    } else {
      if (op >= outEnd) return 0;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return 0;
  while (ip < inEnd) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (!lit) op--;
  return op - outStart;
}

/**
 * Decompress input[inStart, inEnd) into out[0, outLen). Returns the number of bytes produced, or
 * -1 when the data is invalid or would overflow outLen (never reads or writes out of bounds).
 */
export function lzfDecompress(input: Uint8Array, inStart: number, inEnd: number, out: Uint8Array, outLen: number): number {
  let ip = inStart;
  let op = 0;
  if (ip >= inEnd) return -1;
  do {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > outLen) return -1;
      if (ip + ctrl > inEnd) return -1;
      for (let k = 0; k < ctrl; k++) out[op++] = input[ip++];
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= inEnd) return -1;
      if (len === 7) {
        len += input[ip++];
        if (ip >= inEnd) return -1;
      }
      ref -= input[ip++];
      if (op + len + 2 > outLen) return -1;
      if (ref < 0) return -1;
      len += 2;
      // copyWithin is a native call: a loop is faster for the few bytes most references copy
      // (and required when the reference overlaps what it writes).
      if (len > 32 && ref + len <= op) out.copyWithin(op, ref, ref + len), (op += len);
      else for (let k = 0; k < len; k++) out[op++] = out[ref++];
    }
  } while (ip < inEnd);
  return op;
}
