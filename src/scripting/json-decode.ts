/**
 * cjson.decode as a native (a lua_CFunction written in JS): lua-cjson 2.1.0's decoder as Redis
 * 7.0 builds it (deps/lua/src/lua_cjson.c, decode_invalid_numbers on), ported token for token so
 * that values and error texts are Redis's: the tokenizer (json_next_token: whitespace, single
 * character tokens, strings with their escapes, numbers as strtod reads them, true/false/null
 * by prefix, a NUL byte as the end), the object/array/value contexts, the depth limit and the
 * UTF-16/32 check. The Lua values are built on the Lua stack through the C API. The Lua library
 * (libs.ts) keeps the argument checks and raises the errors at the caller's level.
 *
 * Why native: the former Lua parser walked the text with string.sub/find/match: ~60 µs for a
 * 3-key object against ~1 µs on Redis (BullMQ decodes JSON in most of its scripts).
 * Complexity: O(n) in the text; one Lua table per object or array.
 */
import type { LuaWasm } from './lua-wasm';
import { strtodAll } from '../util/number';

/** The lua_CFunction: (text, max depth) -> value, or a Lua error with lua-cjson's message. */
export function cjsonDecodeNative(w: LuaWasm): (L: number) => number {
  // One parser, reused: a call runs to completion before the next (none nests).
  const p = new JsonToLua(w);
  return (L: number): number => {
    const ex = w.ex;
    const maxDepth = ex.lua_tonumberx(L, 2, 0);
    if (!p.load(L, maxDepth, ex.lua_toboolean(L, 3) !== 0)) return 0; // (the Lua side checked the argument)
    ex.lua_settop(L, 0);
    const err = p.run();
    if (err !== null) {
      ex.lua_settop(L, 0);
      w.pushLatin1(L, err);
      return ex.lua_error(L);
    }
    return 1;
  };
}

// Token types, named as json_token_type_name names them.
const T_OBJ_BEGIN = 0;
const T_OBJ_END = 1;
const T_ARR_BEGIN = 2;
const T_ARR_END = 3;
const T_STRING = 4;
const T_NUMBER = 5;
const T_BOOLEAN = 6;
const T_NULL = 7;
const T_COLON = 8;
const T_COMMA = 9;
const T_END = 10;
const T_WHITESPACE = 11;
const T_ERROR = 12;
const T_UNKNOWN = 13;
const TOKEN_NAME = ['T_OBJ_BEGIN', 'T_OBJ_END', 'T_ARR_BEGIN', 'T_ARR_END', 'T_STRING', 'T_NUMBER', 'T_BOOLEAN', 'T_NULL', 'T_COLON', 'T_COMMA', 'T_END', 'T_WHITESPACE', 'T_ERROR', 'T_UNKNOWN'];

/** json_create_config's ch2token. */
const CH2TOKEN = new Uint8Array(256).fill(T_ERROR);
CH2TOKEN[123] = T_OBJ_BEGIN;
CH2TOKEN[125] = T_OBJ_END;
CH2TOKEN[91] = T_ARR_BEGIN;
CH2TOKEN[93] = T_ARR_END;
CH2TOKEN[44] = T_COMMA;
CH2TOKEN[58] = T_COLON;
CH2TOKEN[0] = T_END;
for (const c of [32, 9, 10, 13]) CH2TOKEN[c] = T_WHITESPACE;
for (const c of 'fiInNt"+-0123456789') CH2TOKEN[c.charCodeAt(0)] = T_UNKNOWN;
/** escape2char ('u' marks a unicode escape; 0 an invalid escape). */
const ESCAPE2CHAR = new Uint8Array(256);
for (const [e, c] of [['"', 34], ['\\', 92], ['/', 47], ['b', 8], ['t', 9], ['n', 10], ['f', 12], ['r', 13], ['u', 117]] as const) ESCAPE2CHAR[e.charCodeAt(0)] = c;

/** Array indexes as the lua_Integer rawseti takes, without a BigInt per element. */
const SMALL_INDEX: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** A parse failure: lua-cjson's luaL_error text (caught in run(), raised as a Lua error). */
class JsonError {
  constructor(readonly message: string) {}
}

class JsonToLua {
  private ptr = 0;
  private depth = 0;
  // The current token (json_token_t): type, index (0-based), and its value.
  private type = T_END;
  private index = 0;
  private num = 0;
  private bool = false;
  /** T_ERROR's text, or the decoded string's length in `tmp`. */
  private errText = '';
  private strLen = 0;
  private L = 0;
  private maxDepth = 0;
  /** cjson.decode_invalid_numbers (on unless a script turned it off). */
  private invalidNumbers = true;
  /** The text, copied out of the Lua heap (pushing values may move it) into a reused buffer. */
  private readonly input = { buf: Buffer.allocUnsafe(256), len: 0 };
  private s: Buffer = this.input.buf;
  private len = 0;
  /** Decoded strings (never longer than the text: json_decode's strbuf sizing). */
  private tmp: Buffer = Buffer.allocUnsafe(256);

  constructor(private readonly w: LuaWasm) {}

  /** Take the text argument of L's call; false when it is not a string. */
  load(L: number, maxDepth: number, invalidNumbers: boolean): boolean {
    if (!this.w.copyString(L, 1, this.input)) return false;
    this.invalidNumbers = invalidNumbers;
    this.s = this.input.buf;
    this.len = this.input.len;
    if (this.tmp.length < this.s.length) this.tmp = Buffer.allocUnsafe(this.s.length);
    this.L = L;
    this.maxDepth = maxDepth;
    this.ptr = 0;
    this.depth = 0;
    return true;
  }

  run(): string | null {
    const s = this.s;
    try {
      if (this.len >= 2 && (s[0] === 0 || s[1] === 0)) throw new JsonError('JSON parser does not support UTF-16 or UTF-32');
      this.next();
      this.value();
      if (this.next() !== T_END) this.parseError('the end');
      return null;
    } catch (e) {
      if (e instanceof JsonError) return e.message;
      throw e;
    }
  }

  /** The byte at i; 0 past the end (the C string's terminator). */
  private at(i: number): number {
    return i < this.len ? this.s[i] : 0;
  }

  private parseError(expected: string): never {
    const found = this.type === T_ERROR ? this.errText : TOKEN_NAME[this.type];
    throw new JsonError(`Expected ${expected} but found ${found} at character ${this.index + 1}`);
  }

  private tokenError(text: string): void {
    this.type = T_ERROR;
    this.index = this.ptr;
    this.errText = text;
  }

  /** json_next_token; returns the new token's type. */
  private next(): number {
    this.nextToken();
    return this.type;
  }

  private nextToken(): void {
    let ch = this.at(this.ptr);
    let type = CH2TOKEN[ch];
    while (type === T_WHITESPACE) {
      ch = this.at(++this.ptr);
      type = CH2TOKEN[ch];
    }
    this.type = type;
    this.index = this.ptr;
    if (type === T_ERROR) {
      this.tokenError('invalid token');
      return;
    }
    if (type === T_END) return;
    if (type !== T_UNKNOWN) {
      this.ptr++;
      return;
    }
    if (ch === 34) return this.stringToken();
    if (ch === 45 || (ch >= 48 && ch <= 57)) {
      if (!this.invalidNumbers && this.isInvalidNumber()) return this.tokenError('invalid number');
      return this.numberToken();
    }
    if (this.startsWith('true')) {
      this.type = T_BOOLEAN;
      this.bool = true;
      this.ptr += 4;
      return;
    }
    if (this.startsWith('false')) {
      this.type = T_BOOLEAN;
      this.bool = false;
      this.ptr += 5;
      return;
    }
    if (this.startsWith('null')) {
      this.type = T_NULL;
      this.ptr += 4;
      return;
    }
    // decode_invalid_numbers (on by default): '+1', inf, nan go to strtod too.
    if (this.invalidNumbers && this.isInvalidNumber()) return this.numberToken();
    this.tokenError('invalid token');
  }

  private startsWith(word: string): boolean {
    for (let k = 0; k < word.length; k++) if (this.at(this.ptr + k) !== word.charCodeAt(k)) return false;
    return true;
  }

  /** json_is_invalid_number: a '+', a hex number or leading zero (after an optional '-'), inf, nan. */
  private isInvalidNumber(): boolean {
    let p = this.ptr;
    if (this.at(p) === 43) return true;
    if (this.at(p) === 45) p++;
    const c = this.at(p);
    if (c === 48) {
      const c2 = this.at(p + 1);
      return (c2 | 0x20) === 120 || (c2 >= 48 && c2 <= 57);
    }
    if (c <= 57) return false;
    const three = String.fromCharCode(this.at(p), this.at(p + 1), this.at(p + 2)).toLowerCase();
    return three === 'inf' || three === 'nan';
  }

  /** json_next_number_token: strtod from ptr. */
  private numberToken(): void {
    const end = strtodEnd(this.s, this.ptr, this.len);
    if (end === this.ptr) {
      this.tokenError('invalid number');
      return;
    }
    this.type = T_NUMBER;
    // (strtodEnd delimited a text strtod reads whole.)
    this.num = strtodAll(this.s.latin1Slice(this.ptr, end)) ?? NaN;
    this.ptr = end;
  }

  /** json_next_string_token (ptr at the opening quote). */
  private stringToken(): void {
    const tmp = this.tmp;
    let n = 0;
    this.ptr++;
    for (;;) {
      let ch = this.at(this.ptr);
      if (ch === 34) break;
      if (ch === 0) {
        this.tokenError('unexpected end of string');
        return;
      }
      if (ch === 92) {
        ch = ESCAPE2CHAR[this.at(this.ptr + 1)];
        if (ch === 117) {
          const len = this.unicodeEscape(n);
          if (len < 0) {
            this.tokenError('invalid unicode escape code');
            return;
          }
          n += len;
          continue;
        }
        if (ch === 0) {
          this.tokenError('invalid escape code');
          return;
        }
        this.ptr++;
      }
      tmp[n++] = ch;
      this.ptr++;
    }
    this.ptr++;
    this.type = T_STRING;
    this.strLen = n;
  }

  /** json_append_unicode_escape: appends UTF-8 at tmp[n], returns its length (ptr advanced) or -1. */
  private unicodeEscape(n: number): number {
    let cp = this.hex4(this.ptr + 2);
    if (cp < 0) return -1;
    let escapeLen = 6;
    if ((cp & 0xf800) === 0xd800) {
      if (cp & 0x400) return -1;
      if (this.at(this.ptr + 6) !== 92 || this.at(this.ptr + 7) !== 117) return -1;
      const lo = this.hex4(this.ptr + 8);
      if (lo < 0 || (lo & 0xfc00) !== 0xdc00) return -1;
      cp = (((cp & 0x3ff) << 10) | (lo & 0x3ff)) + 0x10000;
      escapeLen = 12;
    }
    const t = this.tmp;
    let len: number;
    if (cp <= 0x7f) {
      t[n] = cp;
      len = 1;
    } else if (cp <= 0x7ff) {
      t[n] = 0xc0 | (cp >> 6);
      t[n + 1] = 0x80 | (cp & 0x3f);
      len = 2;
    } else if (cp <= 0xffff) {
      t[n] = 0xe0 | (cp >> 12);
      t[n + 1] = 0x80 | ((cp >> 6) & 0x3f);
      t[n + 2] = 0x80 | (cp & 0x3f);
      len = 3;
    } else {
      t[n] = 0xf0 | (cp >> 18);
      t[n + 1] = 0x80 | ((cp >> 12) & 0x3f);
      t[n + 2] = 0x80 | ((cp >> 6) & 0x3f);
      t[n + 3] = 0x80 | (cp & 0x3f);
      len = 4;
    }
    this.ptr += escapeLen;
    return len;
  }

  /** decode_hex4: four hex digits at j, or -1. */
  private hex4(j: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.at(j + k);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** json_process_value for the current token: pushes the value. */
  private value(): void {
    const { w, L } = this;
    const ex = w.ex;
    switch (this.type) {
      case T_STRING:
        w.pushBytes(L, this.tmp, 0, this.strLen);
        return;
      case T_NUMBER:
        ex.lua_pushnumber(L, this.num);
        return;
      case T_BOOLEAN:
        ex.lua_pushboolean(L, this.bool ? 1 : 0);
        return;
      case T_NULL:
        ex.lua_pushlightuserdata(L, 0); // cjson.null
        return;
      case T_OBJ_BEGIN:
        return this.object();
      case T_ARR_BEGIN:
        return this.array();
      default:
        this.parseError('value');
    }
  }

  /** json_decode_descend. */
  private descend(slots: number): void {
    this.depth++;
    if (this.depth <= this.maxDepth && this.w.ex.lua_checkstack(this.L, slots)) return;
    throw new JsonError(`Found too many nested data structures (${this.depth}) at character ${this.ptr}`);
  }

  private object(): void {
    const { w, L } = this;
    const ex = w.ex;
    this.descend(3);
    ex.lua_createtable(L, 0, 0);
    let t = this.next();
    if (t === T_OBJ_END) {
      this.depth--;
      return;
    }
    for (;;) {
      if (t !== T_STRING) this.parseError('object key string');
      w.pushBytes(L, this.tmp, 0, this.strLen);
      if (this.next() !== T_COLON) this.parseError('colon');
      this.next();
      this.value();
      ex.lua_rawset(L, -3);
      t = this.next();
      if (t === T_OBJ_END) {
        this.depth--;
        return;
      }
      if (t !== T_COMMA) this.parseError('comma or object end');
      t = this.next();
    }
  }

  private array(): void {
    const ex = this.w.ex;
    const L = this.L;
    this.descend(2);
    ex.lua_createtable(L, 0, 0);
    if (this.next() === T_ARR_END) {
      this.depth--;
      return;
    }
    for (let i = 1; ; i++) {
      this.value();
      ex.lua_rawseti(L, -2, i < 1024 ? SMALL_INDEX[i] : BigInt(i));
      const t = this.next();
      if (t === T_ARR_END) {
        this.depth--;
        return;
      }
      if (t !== T_COMMA) this.parseError('comma or array end');
      this.next();
    }
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * Where strtod would stop reading s[0, len) at p (p itself when it reads nothing): an optional sign,
 * then "infinity" or "inf", "nan" (with an optional "(chars)"), a hexadecimal number ("0x",
 * hex digits with an optional point, an optional binary exponent), or a decimal number (digits
 * with an optional point, at least one digit, an optional exponent). An exponent marker without
 * digits after it is not read, as glibc.
 */
function strtodEnd(s: Uint8Array, p: number, len = s.length): number {
  const at = (i: number) => (i < len ? s[i] : 0);
  const start = p;
  if (at(p) === 43 || at(p) === 45) p++;
  const word = (w: string, i: number) => {
    for (let k = 0; k < w.length; k++) if (lower(at(i + k)) !== w.charCodeAt(k)) return false;
    return true;
  };
  if (word('inf', p)) return word('inity', p + 3) ? p + 8 : p + 3;
  if (word('nan', p)) {
    let q = p + 3;
    if (at(q) === 40) {
      let r = q + 1;
      while (isDigit(at(r)) || (lower(at(r)) >= 97 && lower(at(r)) <= 122) || at(r) === 95) r++;
      if (at(r) === 41) q = r + 1;
    }
    return q;
  }
  if (at(p) === 48 && lower(at(p + 1)) === 120) {
    let q = p + 2;
    let digits = 0;
    while (isHex(at(q))) (q++, digits++);
    if (at(q) === 46) {
      q++;
      while (isHex(at(q))) (q++, digits++);
    }
    if (digits === 0) return p + 1; // "0x" without digits: the "0"
    return exponentEnd(at, q, 112);
  }
  let q = p;
  let digits = 0;
  while (isDigit(at(q))) (q++, digits++);
  if (at(q) === 46) {
    q++;
    while (isDigit(at(q))) (q++, digits++);
  }
  if (digits === 0) return start;
  return exponentEnd(at, q, 101);
}

/** After a mantissa ending at q: past an exponent (marker 'e' or 'p', any case) with digits, else q. */
function exponentEnd(at: (i: number) => number, q: number, marker: number): number {
  if (lower(at(q)) !== marker) return q;
  let e = q + 1;
  if (at(e) === 43 || at(e) === 45) e++;
  if (!isDigit(at(e))) return q;
  while (isDigit(at(e))) e++;
  return e;
}
