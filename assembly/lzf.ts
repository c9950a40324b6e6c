/*
 * lzf.ts -- LZF (liblzf 3.6, as Redis vendors it): lzfCompress gives lzf_c.c's output byte for byte
 * (the JS writer's src/persistence/lzf.ts too), lzfDecompress checks every length and offset
 * against its input and output bounds. Used by the RDB writer and readers (rdbsave.ts, rdbload.ts,
 * jsmapscan.ts) and by the lists' compressed nodes (list.ts, list-compress-depth).
 *
 * The compressor's hash table (256 KB) is allocated in the arena on first use and kept (a working
 * block: not in used_memory, io.ts serviceAlloc).
 */
import { copyBytes } from './arena';
import { serviceAlloc } from './io';

const HLOG: u32 = 16;
const HSIZE: u32 = 1 << HLOG;
const MAX_LIT: u32 = 1 << 5;
const MAX_OFF: u32 = 1 << 13;
const MAX_REF: u32 = (1 << 8) + (1 << 3);
let htab: u32 = 0;
/** src/persistence/lzf.ts's moving base: a slot holds (position + b); values <= b are from earlier calls ("empty"). */
let hbase: u32 = 0;

// @ts-ignore: decorator
@inline function hslot(tab: u32, hval: u32): u32 {
  return tab + (((((hval ^ (hval << 5)) >> (3 * 8 - HLOG)) - hval * 5) & (HSIZE - 1)) << 2);
}

/**
 * src/persistence/lzf.ts's lzfCompress of [inp, inp + inLen) into [out, out + outLen): bytes written, 0 when it
 * does not fit. The same output as src/persistence/lzf.ts, byte for byte, on absolute addresses: a slot holds
 * the position's offset + b, i.e. its address + bias, and only this call's slots exceed b, each
 * behind the position being read (so src/persistence/lzf.ts's `ref > 0 && ref < ip` always holds for them).
 */
export function lzfCompress(inp: u32, inLen: u32, out: u32, outLen: u32): u32 {
  if (inLen == 0 || outLen == 0) return 0;
  if (htab == 0) {
    htab = serviceAlloc(HSIZE * 4);
    if (htab == 0) return 0;
    memory.fill(htab, 0, HSIZE * 4);
    hbase = 0;
  }
  if (<u64>hbase + <u64>inLen + 2 > 0x7fff0000) {
    memory.fill(htab, 0, HSIZE * 4);
    hbase = 0;
  }
  const b = hbase + 1;
  hbase += inLen + 2;
  const tab = htab;
  // (wraps: an address + bias is its offset + b, modulo 2^32)
  const bias = b - inp;
  const inEnd = inp + inLen;
  const outEnd = out + outLen;
  let ip = inp;
  let op = out;
  let lit: u32 = 0;
  op++; // start run
  let hval: u32 = (<u32>load<u8>(ip) << 8) | <u32>load<u8>(ip, 1);
  while (ip + 2 < inEnd) {
    hval = (hval << 8) | <u32>load<u8>(ip, 2);
    const slot = hslot(tab, hval);
    const stored = load<u32>(slot);
    store<u32>(slot, ip + bias);
    if (stored > b) {
      const ref = stored - bias;
      const off = ip - ref - 1;
      if (off < MAX_OFF && load<u16>(ref) == load<u16>(ip) && load<u8>(ref, 2) == load<u8>(ip, 2)) {
        let len: u32 = 2;
        let maxlen: u32 = inEnd - ip - len;
        if (maxlen > MAX_REF) maxlen = MAX_REF;
        if (op + 3 + 1 >= outEnd) if (op - (lit != 0 ? 0 : 1) + 3 + 1 >= outEnd) return 0;
        store<u8>(op - lit - 1, <u8>(lit - 1)); // stop run
        if (lit == 0) op--; // undo run if length is zero
        // As lzf_c.c (and src/persistence/lzf.ts): 16 bytes compared unrolled, without the maxlen bound, when
        // maxlen > 16, so a match may reach one or two bytes past maxlen near the end.
        let mismatch = false;
        if (maxlen > 16) {
          for (let k = 0; k < 16; k++) {
            len++;
            if (load<u8>(ref + len) != load<u8>(ip + len)) {
              mismatch = true;
              break;
            }
          }
        }
        if (!mismatch) {
          do len++;
          while (len < maxlen && load<u8>(ref + len) == load<u8>(ip + len));
        }
        len -= 2;
        ip++;
        if (len < 7) {
          store<u8>(op++, <u8>((off >> 8) + (len << 5)));
        } else {
          store<u8>(op++, <u8>((off >> 8) + (7 << 5)));
          store<u8>(op++, <u8>(len - 7));
        }
        store<u8>(op++, <u8>(off & 0xff));
        lit = 0;
        op++; // start run
        ip += len + 1;
        if (ip + 2 >= inEnd) break;
        ip -= 2;
        hval = (<u32>load<u8>(ip) << 8) | <u32>load<u8>(ip, 1);
        hval = (hval << 8) | <u32>load<u8>(ip, 2);
        store<u32>(hslot(tab, hval), ip + bias);
        ip++;
        hval = (hval << 8) | <u32>load<u8>(ip, 2);
        store<u32>(hslot(tab, hval), ip + bias);
        ip++;
        continue;
      }
    }
    if (op >= outEnd) return 0;
    lit++;
    store<u8>(op++, load<u8>(ip++));
    if (lit == MAX_LIT) {
      store<u8>(op - lit - 1, <u8>(lit - 1));
      lit = 0;
      op++;
    }
  }
  if (op + 3 > outEnd) return 0;
  while (ip < inEnd) {
    lit++;
    store<u8>(op++, load<u8>(ip++));
    if (lit == MAX_LIT) {
      store<u8>(op - lit - 1, <u8>(lit - 1));
      lit = 0;
      op++;
    }
  }
  store<u8>(op - lit - 1, <u8>(lit - 1)); // end run
  if (lit == 0) op--;
  return op - out;
}

/** lzf_decompress of [ip, inEnd) into out (outLen bytes): bytes produced, -1 when invalid. */
export function lzfDecompress(ip: u32, inEnd: u32, out: u32, outLen: u32): i64 {
  let op: u32 = 0;
  if (ip >= inEnd) return -1;
  do {
    let ctrl = <u32>load<u8>(ip++);
    if (ctrl < 32) {
      ctrl++;
      if (<u64>op + ctrl > <u64>outLen) return -1;
      if (<u64>ip + ctrl > <u64>inEnd) return -1;
      copyBytes(out + op, ip, ctrl);
      op += ctrl;
      ip += ctrl;
    } else {
      let len = ctrl >> 5;
      let ref: i64 = <i64>op - <i64>((ctrl & 0x1f) << 8) - 1;
      if (ip >= inEnd) return -1;
      if (len == 7) {
        len += <u32>load<u8>(ip++);
        if (ip >= inEnd) return -1;
      }
      ref -= <i64>load<u8>(ip++);
      if (<u64>op + len + 2 > <u64>outLen) return -1;
      if (ref < 0) return -1;
      len += 2;
      let r = <u32>ref;
      if (r + len <= op) {
        copyBytes(out + op, out + r, len);
        op += len;
      } else {
        for (let k: u32 = 0; k < len; k++) store<u8>(out + op++, load<u8>(out + r++));
      }
    }
  } while (ip < inEnd);
  return <i64>op;
}
