/**
 * cjson.encode as a native (a lua_CFunction written in JS): lua-cjson 2.1.0's encoder as Redis
 * 7.0 builds it (json_append_data and its helpers), walking the Lua value through the C API
 * (lua_next, lua_rawgeti) and writing the text into a reused buffer. Same output and errors as
 * Redis: strings escaped with char2escape, numbers with "%.<precision>g" and the
 * encode_invalid_numbers modes, lua_array_length's array test and the sparse-array settings, the
 * depth limit, "Cannot serialise <type>: <reason>" for keys and values it cannot encode. Object
 * keys come in lua_next's order (5.1's: lua-wasm.ts patchHashSeed/patchRehashOrder/patchNumberHash).
 * The settings live in the Lua library (libs.ts), which passes them with each call.
 * Why native: the Lua encoder built the text from many small strings, ~10x Redis's time.
 * Complexity: O(size of the value).
 */
import { LUA_TBOOLEAN, LUA_TLIGHTUSERDATA, LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, LUA_TYPE_NAMES, type LuaWasm } from './lua-wasm';
import { formatG } from '../util/number';


/** char2escape: the JSON text of each byte that needs escaping (undefined: the byte itself). */
const ESCAPE: (Buffer | undefined)[] = new Array(256);
for (let c = 0; c < 32; c++) ESCAPE[c] = Buffer.from(`\\u${c.toString(16).padStart(4, '0')}`, 'latin1');
for (const [c, e] of [[8, '\\b'], [9, '\\t'], [10, '\\n'], [12, '\\f'], [13, '\\r'], [34, '\\"'], [47, '\\/'], [92, '\\\\'], [127, '\\u007f']] as const) ESCAPE[c] = Buffer.from(e, 'latin1');

const INDEX: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** The encoder's settings (cjson.encode_* in libs.ts), passed as arguments 2..7. */
interface EncodeConfig {
  maxDepth: number;
  precision: number;
  sparseConvert: boolean;
  sparseRatio: number;
  sparseSafe: number;
  /** encode_invalid_numbers: 0 off (error), 1 on ("inf", "nan"), 2 null. */
  invalid: number;
}

class EncodeError {
  constructor(readonly message: string) {}
}

/** The lua_CFunction: (value, maxDepth, precision, sparseConvert, sparseRatio, sparseSafe, invalid) -> text. */
export function cjsonEncodeNative(w: LuaWasm): (L: number) => number {
  const e = new JsonEncoder(w);
  return (L: number): number => {
    const ex = w.ex;
    const cfg = e.cfg;
    cfg.maxDepth = ex.lua_tonumberx(L, 2, 0);
    cfg.precision = ex.lua_tonumberx(L, 3, 0);
    cfg.sparseConvert = ex.lua_toboolean(L, 4) !== 0;
    cfg.sparseRatio = ex.lua_tonumberx(L, 5, 0);
    cfg.sparseSafe = ex.lua_tonumberx(L, 6, 0);
    cfg.invalid = ex.lua_tonumberx(L, 7, 0);
    ex.lua_settop(L, 1);
    const err = e.encode(L);
    if (err !== null) {
      ex.lua_settop(L, 0);
      w.pushLatin1(L, err);
      return ex.lua_error(L);
    }
    ex.lua_settop(L, 0);
    w.pushBytes(L, e.out, 0, e.len);
    return 1;
  };
}

class JsonEncoder {
  readonly cfg: EncodeConfig = { maxDepth: 1000, precision: 14, sparseConvert: false, sparseRatio: 2, sparseSafe: 10, invalid: 0 };
  out: Buffer = Buffer.allocUnsafe(1024);
  len = 0;
  private L = 0;

  constructor(private readonly w: LuaWasm) {}

  /** Encode the value at index 1 into out[0, len); null, or an error text. */
  encode(L: number): string | null {
    this.L = L;
    this.len = 0;
    try {
      this.data(0);
      return null;
    } catch (e) {
      if (e instanceof EncodeError) return e.message;
      // A nesting deeper than the JS stack allows (only with encode_max_depth raised far past
      // its default): refused as too deep, never a crash.
      if (e instanceof RangeError) return 'Cannot serialise, excessive nesting';
      throw e;
    }
  }

  private ensure(n: number): void {
    if (this.len + n <= this.out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.len + n, this.out.length * 2));
    this.out.copy(bigger, 0, 0, this.len);
    this.out = bigger;
  }

  private byte(c: number): void {
    this.ensure(1);
    this.out[this.len++] = c;
  }

  private ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.out[this.len++] = s.charCodeAt(i);
  }

  /** json_encode_exception for the value at `idx`. */
  private fail(idx: number, reason: string): never {
    throw new EncodeError(`Cannot serialise ${LUA_TYPE_NAMES[this.w.ex.lua_type(this.L, idx)] ?? 'no value'}: ${reason}`);
  }

  /** json_append_data: the value on top of the stack. */
  private data(depth: number): void {
    const ex = this.w.ex;
    const L = this.L;
    switch (ex.lua_type(L, -1)) {
      case LUA_TSTRING:
        return this.string(-1);
      case LUA_TNUMBER:
        return this.number(-1);
      case LUA_TBOOLEAN:
        return this.ascii(ex.lua_toboolean(L, -1) !== 0 ? 'true' : 'false');
      case LUA_TTABLE: {
        depth++;
        if (depth > this.cfg.maxDepth || !ex.lua_checkstack(L, 3)) throw new EncodeError(`Cannot serialise, excessive nesting (${depth})`);
        const len = this.arrayLength();
        if (len > 0) this.array(depth, len);
        else this.object(depth);
        return;
      }
      case LUA_TNIL:
        return this.ascii('null');
      case LUA_TLIGHTUSERDATA:
        // cjson.null (NULL); any other light userdata cannot be encoded.
        if (ex.lua_touserdata(L, -1) === 0) return this.ascii('null');
        return this.fail(-1, 'type not supported');
      default:
        this.fail(-1, 'type not supported');
    }
  }

  /** json_append_string. */
  private string(idx: number): void {
    const w = this.w;
    const p = w.ex.lua_tolstring(this.L, idx, w.lenPtr);
    const n = w.u32[w.lenPtr >> 2];
    // At most 6 bytes per input byte, and the quotes.
    this.ensure(n * 6 + 2);
    const out = this.out;
    const hb = w.hb;
    let o = this.len;
    out[o++] = 34;
    for (let i = p, end = p + n; i < end; i++) {
      const c = hb[i];
      const e = ESCAPE[c];
      if (e === undefined) out[o++] = c;
      else for (let k = 0; k < e.length; k++) out[o++] = e[k];
    }
    out[o++] = 34;
    this.len = o;
  }

  /** json_append_number: "%.<precision>g", or the encode_invalid_numbers handling. */
  private number(idx: number): void {
    const d = this.w.ex.lua_tonumberx(this.L, idx, 0);
    const invalid = this.cfg.invalid;
    if (!Number.isFinite(d)) {
      if (invalid === 0) this.fail(idx, 'must not be NaN or Inf');
      if (invalid === 2) return this.ascii('null');
      if (Number.isNaN(d)) return this.ascii('nan');
      return this.ascii(d > 0 ? 'inf' : '-inf');
    }
    this.ascii(d === 0 ? (Object.is(d, -0) ? '-0' : '0') : formatG(d, this.cfg.precision));
  }

  /** lua_array_length: the array's length, or -1 when the table is not an array (0: empty). */
  private arrayLength(): number {
    const ex = this.w.ex;
    const L = this.L;
    let max = 0;
    let items = 0;
    ex.lua_pushnil(L);
    while (ex.lua_next(L, -2) !== 0) {
      if (ex.lua_type(L, -2) === LUA_TNUMBER) {
        const k = ex.lua_tonumberx(L, -2, 0);
        if (k !== 0 && Math.floor(k) === k && k >= 1) {
          if (k > max) max = k;
          items++;
          ex.lua_settop(L, -2);
          continue;
        }
      }
      ex.lua_settop(L, -3);
      return -1;
    }
    const cfg = this.cfg;
    if (cfg.sparseRatio > 0 && max > items * cfg.sparseRatio && max > cfg.sparseSafe) {
      if (!cfg.sparseConvert) this.fail(-1, 'excessively sparse array');
      return -1;
    }
    return max;
  }

  /** json_append_array: t[1..len] with rawgeti. */
  private array(depth: number, len: number): void {
    const ex = this.w.ex;
    const L = this.L;
    this.byte(91);
    for (let i = 1; i <= len; i++) {
      if (i > 1) this.byte(44);
      ex.lua_rawgeti(L, -1, i < 1024 ? INDEX[i] : BigInt(i));
      this.data(depth);
      ex.lua_settop(L, -2);
    }
    this.byte(93);
  }

  /** json_append_object: lua_next order; number keys quoted, string keys escaped. */
  private object(depth: number): void {
    const ex = this.w.ex;
    const L = this.L;
    this.byte(123);
    let comma = false;
    ex.lua_pushnil(L);
    while (ex.lua_next(L, -2) !== 0) {
      if (comma) this.byte(44);
      comma = true;
      const kt = ex.lua_type(L, -2);
      if (kt === LUA_TNUMBER) {
        this.byte(34);
        this.number(-2);
        this.byte(34);
        this.byte(58);
      } else if (kt === LUA_TSTRING) {
        this.string(-2);
        this.byte(58);
      } else this.fail(-2, 'table key must be a number or string');
      this.data(depth);
      ex.lua_settop(L, -2);
    }
    this.byte(125);
  }
}
