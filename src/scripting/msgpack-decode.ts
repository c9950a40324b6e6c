/**
 * cmsgpack's decoder as a native (a lua_CFunction written in JS): lua-cmsgpack 0.4 as Redis 7.0
 * builds it (deps/lua/src/lua_cmsgpack.c: mp_unpack_full, mp_decode_to_lua_type and the
 * array/hash decoders), ported so that values and errors are Redis's:
 * - every number is a Lua number (a double): uint 64 goes through lua_pushinteger as on Redis,
 *   so values past 2^63 wrap to negative; float 32 is widened;
 * - str 8/16/32 and fixstr are strings; bin and ext types are "Bad data format in input.";
 *   a map entry with a nil or NaN key is Lua 5.1's "table index is nil" / "is NaN";
 * - Lua 5.1's C stack limit (LUAI_MAXCSTACK, 8000 slots) is counted as the C code uses the stack,
 *   so deep nesting or many results fail with the same "stack overflow (...)" messages;
 * - unpack_one / unpack_limit return the next offset first (-1 at the end), unless both limit and
 *   offset are 0; offsets past the input or negative are refused with Redis's texts.
 * The Lua library (libs.ts) keeps the argument checks. Why native: the Lua decoder took ~22 µs
 * for an 8-field map (Redis: ~1 µs), and BullMQ unpacks its options in every add and move.
 * Complexity: O(n) in the input.
 */
import type { LuaWasm } from './lua-wasm';

/** Lua 5.1's LUAI_MAXCSTACK: lua_checkstack fails past it. */
const MAX_C_STACK = 8000;

/** The lua_CFunction: (s, limit, offset) -> [next offset,] values..., or a Lua error. */
export function cmsgpackUnpackNative(w: LuaWasm): (L: number) => number {
  // One decoder, reused: a call runs to completion before the next (none nests).
  const d = new MsgpackToLua(w);
  return (L: number): number => {
    const ex = w.ex;
    const limit = Math.trunc(ex.lua_tonumberx(L, 2, 0));
    const offset = Math.trunc(ex.lua_tonumberx(L, 3, 0));
    if (!d.load(L)) return 0; // (the Lua side checked the argument)
    ex.lua_settop(L, 1); // (the input stays at 1: its bytes are read in place, see load)
    const r = d.unpackFull(limit, offset);
    if (typeof r === 'string') {
      ex.lua_settop(L, 0);
      w.pushLatin1(L, r);
      return ex.lua_error(L);
    }
    return r;
  };
}

class MpError {
  constructor(readonly message: string) {}
}
const EOF = new MpError('Missing bytes in input.');
const BADFMT = new MpError('Bad data format in input.');

/** Pushes asked of lua_checkstack at once (MsgpackToLua.checkStack). */
const CHECK_BATCH = 64;
/** What a decoded value is, for a map key's checks (lua_settable's "table index is nil / NaN"). */
const KEY_OK = 0;
const KEY_NIL = 1;
const KEY_NAN = 2;

const INDEX: bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));
const ARRAY = 0;
const HASH = 1;

class MsgpackToLua {
  /** Offset of the next byte in the input. */
  private p = 0;
  /** Slots this C function would have on Lua 5.1's stack (its argument counts). */
  private top = 1;
  /**
   * Pushes left before lua_checkstack must be called again (see checkStack): the real stack has
   * at least this many free slots.
   */
  private room = 0;
  private L = 0;
  /**
   * The input is read where it is, in the Lua heap: the string stays at stack index 1 for the
   * whole call (anchored: the GC cannot free it, and Lua never moves an object), so only the
   * views change when a push grows the wasm memory (refreshed by view()). base: its address.
   */
  private base = 0;
  private len = 0;
  private s: Buffer;
  private dv: DataView;

  constructor(private readonly w: LuaWasm) {
    this.s = w.hb;
    this.dv = new DataView(w.hb.buffer);
  }

  /** Take the string argument of L's call; false when it is not a string. */
  load(L: number): boolean {
    const w = this.w;
    const p = w.ex.lua_tolstring(L, 1, w.lenPtr);
    if (p === 0) return false;
    this.base = p;
    this.len = w.u32[w.lenPtr >> 2];
    this.L = L;
    this.top = 1;
    this.room = 0;
    return true;
  }

  /** The wasm memory's current views (a push may have grown it). */
  private view(): Buffer {
    const hb = this.w.hb;
    if (hb !== this.s) {
      this.s = hb;
      this.dv = new DataView(hb.buffer);
    }
    return hb;
  }

  /** mp_unpack_full: the number of results, or an error text. */
  unpackFull(limit: number, offset: number): number | string {
    const len = this.len;
    const decodeAll = limit === 0 && offset === 0;
    // (the C code formats its 64-bit values with %d: their low 32 bits, signed)
    if (offset < 0 || limit < 0) return `Invalid request to unpack with offset of ${offset | 0} and limit of ${len}.`;
    if (offset > len) return `Start offset ${offset | 0} greater than input length ${len}.`;
    if (decodeAll) limit = 0x7fffffff;
    this.p = offset;
    let cnt = 0;
    try {
      for (; this.p < len && cnt < limit; cnt++) this.value();
    } catch (e) {
      if (e instanceof MpError) return e.message;
      throw e;
    }
    if (decodeAll) return cnt;
    if (!this.w.ex.lua_checkstack(this.L, 1) || this.top + 1 > MAX_C_STACK) return 'stack overflow (in function mp_unpack_full)';
    const ex = this.w.ex;
    ex.lua_pushnumber(this.L, this.p === len ? -1 : this.p);
    ex.lua_rotate(this.L, 2, 1); // (lua_insert at the first result, above the input)
    return cnt + 1;
  }

  private need(n: number): void {
    if (this.len - this.p < n) throw EOF;
  }

  /** luaL_checkstack(L, 1, msg) as Lua 5.1 counts, on the real stack too. */
  private checkStack(msg: string): void {
    if (this.top + 1 > MAX_C_STACK) throw new MpError(`stack overflow (${msg})`);
    // The real stack: room for CHECK_BATCH pushes asked at once, not 2 on every item (5.4's
    // lua_checkstack fails only past LUAI_MAXSTACK, 1,000,000 slots: MAX_C_STACK fails first).
    if (this.room < 2) {
      if (!this.w.ex.lua_checkstack(this.L, CHECK_BATCH)) throw new MpError(`stack overflow (${msg})`);
      this.room = CHECK_BATCH;
    }
  }

  /**
   * mp_decode_to_lua_type for one top-level object, with its nesting on an explicit stack (Redis
   * nests ~4000 deep before its C stack check fails; that many JS frames could overflow).
   * Frame f: kind[f] (ARRAY or HASH), left[f] children still to decode, idx[f] the next array
   * index or, for a hash, 1 while its key is decoded and its value not yet.
   */
  private value(): void {
    const ex = this.w.ex;
    const L = this.L;
    let sp = 0;
    for (;;) {
      // Before an array element: the index Redis pushes first.
      if (sp > 0 && this.kind[sp - 1] === ARRAY) this.top++;
      let n = this.item();
      if (n >= 0) {
        // A container opened (its table pushed): decode its children first.
        if (sp === this.kind.length) this.growFrames();
        this.kind[sp] = this.opened;
        this.left[sp] = n;
        this.idx[sp] = 0;
        sp++;
        if (n > 0) continue;
      }
      // A value is complete on the stack: store it into its parents while they complete too.
      for (;;) {
        if (sp === 0) return;
        const f = sp - 1;
        if (n >= 0) {
          // (The value is the container of frame f itself, just opened empty or completed.)
          n = -1;
          this.last = KEY_OK;
          sp--;
          continue;
        }
        if (this.kind[f] === ARRAY) {
          const i = ++this.idx[f];
          // lua_settable: a nil value sets nothing.
          ex.lua_rawseti(L, -2, i < 1024 ? INDEX[i] : BigInt(i));
          this.top -= 2;
        } else {
          if (this.idx[f] === 0) {
            this.idx[f] = 1; // the key is done: now its value
            this.key[f] = this.last;
            break;
          }
          this.idx[f] = 0;
          if (this.key[f] === KEY_NIL) throw new MpError('table index is nil');
          if (this.key[f] === KEY_NAN) throw new MpError('table index is NaN');
          ex.lua_rawset(L, -3);
          this.top -= 2;
        }
        if (--this.left[f] > 0) break;
        // Frame f is complete: its table is the value to store into f's parent.
        this.last = KEY_OK;
        sp--;
      }
    }
  }

  private kind = new Uint8Array(16);
  /** Of a hash frame whose key is decoded: what the key is (KEY_OK, KEY_NIL, KEY_NAN). */
  private key = new Uint8Array(16);
  /** What the value completed last is (as `key`), set by item() and by a completed table. */
  private last = KEY_OK;
  private left = new Float64Array(16);
  private idx = new Float64Array(16);
  /** What item() opened (ARRAY or HASH) when it returned a count. */
  private opened = ARRAY;

  private growFrames(): void {
    const n = this.kind.length * 2;
    const k = new Uint8Array(n);
    k.set(this.kind);
    const ky = new Uint8Array(n);
    ky.set(this.key);
    this.key = ky;
    const l = new Float64Array(n);
    l.set(this.left);
    const i = new Float64Array(n);
    i.set(this.idx);
    this.kind = k;
    this.left = l;
    this.idx = i;
  }

  /**
   * One msgpack item at p: a scalar is pushed (returns -1); an array or map gets its table pushed
   * and returns its element count (the kind in `opened`).
   */
  private item(): number {
    this.need(1);
    this.checkStack('too many return values at once; use unpack_one or unpack_limit instead.');
    const s = this.view();
    const { dv, w, L } = this;
    const ex = w.ex;
    const p = this.base + this.p;
    const c = s[p];
    switch (c) {
      case 0xcc: this.need(2); return this.num(s[p + 1], 2);
      case 0xcd: this.need(3); return this.num(dv.getUint16(p + 1), 3);
      case 0xce: this.need(5); return this.num(dv.getUint32(p + 1), 5);
      // (lua_pushinteger of a uint64_t: past 2^63 it wraps, as on Redis.)
      case 0xcf: this.need(9); return this.num(Number(dv.getBigInt64(p + 1)), 9);
      case 0xd0: this.need(2); return this.num(dv.getInt8(p + 1), 2);
      case 0xd1: this.need(3); return this.num(dv.getInt16(p + 1), 3);
      case 0xd2: this.need(5); return this.num(dv.getInt32(p + 1), 5);
      case 0xd3: this.need(9); return this.num(Number(dv.getBigInt64(p + 1)), 9);
      case 0xc0:
        ex.lua_pushnil(L);
        this.last = KEY_NIL;
        return this.pushed(1);
      case 0xc3:
      case 0xc2:
        ex.lua_pushboolean(L, c === 0xc3 ? 1 : 0);
        this.last = KEY_OK;
        return this.pushed(1);
      case 0xca: this.need(5); return this.num(dv.getFloat32(p + 1), 5);
      case 0xcb: this.need(9); return this.num(dv.getFloat64(p + 1), 9);
      case 0xd9: this.need(2); return this.str(2, s[p + 1]);
      case 0xda: this.need(3); return this.str(3, dv.getUint16(p + 1));
      case 0xdb: this.need(5); return this.str(5, dv.getUint32(p + 1));
      case 0xdc: this.need(3); this.p += 3; return this.open(ARRAY, dv.getUint16(p + 1));
      case 0xdd: this.need(5); this.p += 5; return this.open(ARRAY, dv.getUint32(p + 1));
      case 0xde: this.need(3); this.p += 3; return this.open(HASH, dv.getUint16(p + 1));
      case 0xdf: this.need(5); this.p += 5; return this.open(HASH, dv.getUint32(p + 1));
    }
    if ((c & 0x80) === 0) return this.num(c, 1);
    if ((c & 0xe0) === 0xe0) return this.num(c - 256, 1);
    if ((c & 0xe0) === 0xa0) return this.str(1, c & 0x1f);
    if ((c & 0xf0) === 0x90) {
      this.p++;
      return this.open(ARRAY, c & 0xf);
    }
    if ((c & 0xf0) === 0x80) {
      this.p++;
      return this.open(HASH, c & 0xf);
    }
    throw BADFMT;
  }

  private pushed(consumed: number): number {
    this.top++;
    this.room--;
    this.p += consumed;
    return -1;
  }

  private num(v: number, consumed: number): number {
    this.w.ex.lua_pushnumber(this.L, v);
    this.last = v === v ? KEY_OK : KEY_NAN;
    return this.pushed(consumed);
  }

  /** A string: pushed from the input's bytes where they are (lua_pushlstring copies them). */
  private str(hdr: number, n: number): number {
    this.need(hdr + n);
    this.w.ex.lua_pushlstring(this.L, this.base + this.p + hdr, n);
    this.last = KEY_OK;
    return this.pushed(hdr + n);
  }

  /** mp_decode_to_lua_array / _hash's start: the table (an array checks the stack once more). */
  private open(kind: number, n: number): number {
    this.w.ex.lua_createtable(this.L, 0, 0);
    this.top++;
    this.room--;
    if (kind === ARRAY) this.checkStack('in function mp_decode_to_lua_array');
    this.opened = kind;
    return n;
  }
}
