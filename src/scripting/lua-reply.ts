/**
 * A `Reply` that writes a command's reply straight onto a Lua stack, as redis.call's result
 * (Redis's redisProtocolToLuaType), instead of building a ValueReply tree and converting it.
 *
 * The conversion is the one `Sandbox.pushReply` applies to a ValueReply (same RESP2/RESP3 shaping
 * as ValueReply): bulk -> string, integer -> number (a double, Lua 5.1), RESP2 null -> false,
 * RESP3 null -> nil, status -> {ok=}, nested error -> {err=}, array -> table 1..n, RESP3 map ->
 * {map={k=v}}, set -> {set={m=true}}, double -> {double=}, big number -> {big_number=},
 * verbatim -> {verbatim_string={string=,format=}}, bool -> boolean (RESP2: 1 / nil-less 0).
 *
 * Invariants: open aggregates are tables on the Lua stack, innermost on top (a RESP3 map or set
 * as its wrapper table then the inner table; a map's pending key above its inner table). A
 * completed top-level value stays at `base + 1`; a top-level error is kept as text (redis.call
 * raises it). As with ValueReply, a later top-level reply replaces an earlier one, and an
 * aggregate left open by the handler gives nil. Nothing here raises a Lua error (the dispatcher
 * around the handler would swallow the longjmp): stack growth uses lua_checkstack, a nil map
 * key is dropped. Cost: O(1) wasm calls per value, no JS allocation besides Buffers the handler
 * already made.
 */
import type { Deferred, Reply } from '../protocol/reply';
import type { BulkSink, BulkValue } from '../engine/types';
import { formatDouble } from '../util/number';
import type { LuaWasm } from './lua-wasm';
import { LUA_TNIL } from './lua-wasm';

const enum K {
  ARRAY,
  MAP,
  SET,
}

/** Small lua_Integer indexes without a BigInt allocation each. */
const BIG: bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));
function big(i: number): bigint {
  return i < 4096 ? BIG[i] : BigInt(i);
}

export class LuaReply implements Reply, BulkSink {
  resp: 2 | 3 = 2;
  private L = 0;
  private base = 0;
  /** Open aggregates: kind, elements still expected (-1: deferred), elements added, deferred id. */
  private readonly fKind: number[] = [];
  private readonly fRem: number[] = [];
  private readonly fIdx: number[] = [];
  private readonly fId: number[] = [];
  private depth = 0;
  /** Top level: 0 nothing yet, 1 a value at base + 1, 2 an error (errText). */
  private top = 0;
  private errText = '';
  private overflow = false;
  private deferredSeq = 0;
  /** Called for every error reply (error stats: a command's error counts where it arises). */
  onError: ((msg: string, noStats: boolean) => void) | null = null;

  constructor(private readonly w: LuaWasm) {}

  /** Start a reply on L's stack, whose current height is `base`. */
  begin(L: number, base: number, resp: 2 | 3): void {
    this.L = L;
    this.base = base;
    this.resp = resp;
    this.depth = 0;
    this.top = 0;
    this.overflow = false;
  }

  /**
   * End the reply: leaves exactly one value above `base` and returns null, or returns the text of
   * a top-level error (nothing left on the stack).
   */
  finish(): string | null {
    const ex = this.w.ex;
    const L = this.L;
    if (this.overflow) {
      ex.lua_settop(L, this.base);
      return 'ERR reached lua stack limit';
    }
    if (this.depth > 0) {
      ex.lua_settop(L, this.base + (this.top === 1 ? 1 : 0));
      this.depth = 0;
    }
    if (this.top === 2) return this.errText;
    if (this.top === 0) ex.lua_pushnil(L);
    return null;
  }

  private room(n: number): boolean {
    if (this.overflow) return false;
    if (this.w.ex.lua_checkstack(this.L, n)) return true;
    this.overflow = true;
    return false;
  }

  /** The value just pushed on top of the stack is complete: store it in its parent. */
  private added(): void {
    if (this.overflow) {
      this.w.ex.lua_settop(this.L, -2);
      return;
    }
    const ex = this.w.ex;
    const L = this.L;
    const d = this.depth;
    if (d === 0) {
      if (this.top === 1) {
        ex.lua_rotate(L, -2, -1);
        ex.lua_settop(L, -2);
      }
      this.top = 1;
      return;
    }
    const f = d - 1;
    const kind = this.fKind[f];
    if (kind === K.ARRAY) ex.lua_rawseti(L, -2, big(++this.fIdx[f]));
    else if (kind === K.MAP) {
      if ((this.fIdx[f]++ & 1) === 1) this.setPair();
    } else {
      this.fIdx[f]++;
      ex.lua_pushboolean(L, 1);
      this.setPair();
    }
    if (this.fRem[f] > 0 && --this.fRem[f] === 0) this.close();
  }

  /** t[k] = v for [t, k, v] at the top (pops k and v); a nil key is dropped. */
  private setPair(): void {
    const ex = this.w.ex;
    const L = this.L;
    if (ex.lua_type(L, -2) === LUA_TNIL) ex.lua_settop(L, -3);
    else ex.lua_rawset(L, -3);
  }

  private open(kind: K, n: number, id: number): void {
    // Up to 2 tables here, then at most 4 slots above them (a map's pending key, a value of up
    // to 3 slots): scalars need no check of their own (a C function starts with LUA_MINSTACK).
    if (!this.room(6)) return;
    const ex = this.w.ex;
    const L = this.L;
    // (A RESP3 array may hold nulls, which become holes: it starts empty and grows as Redis's
    // lua_newtable does, so that #t finds the border 5.1 finds. RESP2 arrays have no holes.)
    if (kind === K.ARRAY) ex.lua_createtable(L, n > 0 && this.resp === 2 ? n : 0, 0);
    else {
      ex.lua_createtable(L, 0, 1);
      // (The inner table starts empty and grows, as Redis's lua_newtable: presized, keys that
      // collide land in other nodes, and pairs() lists them in another order than Redis's.)
      ex.lua_createtable(L, 0, 0);
    }
    if (n <= 0 && id === 0) {
      this.closeTable(kind);
      return;
    }
    const d = this.depth++;
    this.fKind[d] = kind;
    this.fRem[d] = id === 0 ? n : -1;
    this.fIdx[d] = 0;
    this.fId[d] = id;
  }

  /** The table(s) of an aggregate at the top are complete (wrapper made) : add as a value. */
  private closeTable(kind: number): void {
    if (kind === K.MAP) this.w.setfield(this.L, -2, 'map');
    else if (kind === K.SET) this.w.setfield(this.L, -2, 'set');
    this.added();
  }

  private close(): void {
    const f = --this.depth;
    const kind = this.fKind[f];
    // A map closed after a key without its value (an under-replying handler): drop the key.
    if (kind === K.MAP && (this.fIdx[f] & 1) === 1) this.w.ex.lua_settop(this.L, -2);
    this.closeTable(kind);
  }

  // ------------------------------------------------------------ Reply

  simple(s: string): void {
    this.table1('ok', s.replace(/[\r\n]/g, ' '));
  }

  ok(): void {
    this.table1('ok', 'OK');
  }

  error(msg: string, noStats = false): void {
    if (this.onError) this.onError(msg, noStats);
    const text = msg.replace(/[\r\n]/g, ' ');
    if (this.depth === 0) {
      if (this.top === 1) this.w.ex.lua_settop(this.L, this.base);
      this.top = 2;
      this.errText = text;
      return;
    }
    this.table1('err', text, true);
  }

  /** {field = text} as a value; `utf8` for error texts (pushErrTable's encoding). */
  private table1(field: string, text: string, utf8 = false): void {
    const w = this.w;
    w.ex.lua_createtable(this.L, 0, 1);
    if (utf8) w.pushUtf8(this.L, text);
    else w.pushLatin1(this.L, text);
    w.setfield(this.L, -2, field);
    this.added();
  }

  int(n: number | bigint): void {
    this.w.ex.lua_pushnumber(this.L, typeof n === 'number' ? n : Number(BigInt.asIntN(64, n)));
    this.added();
  }

  bulk(v: BulkValue): void {
    if (typeof v === 'string') this.w.pushLatin1(this.L, v);
    else this.w.pushBuffer(this.L, v);
    this.added();
  }

  /** A bulk string from src[start, start + len) (Db.writeBulk: GET's value in the engine's memory). */
  bulkBytes(src: Uint8Array, start: number, len: number): void {
    this.w.pushBytes(this.L, src, start, len);
    this.added();
  }

  /** Pre-encoded RESP bulk strings ($len CRLF bytes CRLF, or $-1), as engines write them in batches. */
  rawBytes(src: Uint8Array, start: number, len: number): void {
    const end = start + len;
    let i = start;
    while (i < end) {
      if (src[i] !== 0x24) throw new Error('LuaReply.rawBytes: not a bulk string');
      let j = i + 1;
      let neg = false;
      if (src[j] === 0x2d) {
        neg = true;
        j++;
      }
      let n = 0;
      while (src[j] !== 13) n = n * 10 + (src[j++] - 48);
      j += 2;
      if (neg) {
        this.nil();
        i = j;
      } else {
        this.bulkBytes(src, j, n);
        i = j + n + 2;
      }
    }
  }

  nil(): void {
    if (this.resp === 3) this.w.ex.lua_pushnil(this.L);
    else this.w.ex.lua_pushboolean(this.L, 0);
    this.added();
  }

  nilArray(): void {
    this.nil();
  }

  array(n: number): void {
    this.open(K.ARRAY, n, 0);
  }

  map(pairs: number): void {
    if (this.resp === 3) this.open(K.MAP, pairs * 2, 0);
    else this.open(K.ARRAY, pairs * 2, 0);
  }

  set(n: number): void {
    this.open(this.resp === 3 ? K.SET : K.ARRAY, n, 0);
  }

  push(n: number): void {
    this.open(K.ARRAY, n, 0);
  }

  double(d: number, text?: string): void {
    if (this.resp === 3) {
        const ex = this.w.ex;
      ex.lua_createtable(this.L, 0, 1);
      ex.lua_pushnumber(this.L, d);
      this.w.setfield(this.L, -2, 'double');
      this.added();
    } else this.bulk(text ?? formatDouble(d));
  }

  bool(b: boolean): void {
    if (this.resp === 3) this.w.ex.lua_pushboolean(this.L, b ? 1 : 0);
    else this.w.ex.lua_pushnumber(this.L, b ? 1 : 0);
    this.added();
  }

  verbatim(text: string, format = 'txt'): void {
    if (this.resp !== 3) {
      this.bulk(text);
      return;
    }
    const w = this.w;
    const L = this.L;
    w.ex.lua_createtable(L, 0, 1);
    w.ex.lua_createtable(L, 0, 2);
    w.pushLatin1(L, text);
    w.setfield(L, -2, 'string');
    w.pushLatin1(L, format);
    w.setfield(L, -2, 'format');
    w.setfield(L, -2, 'verbatim_string');
    this.added();
  }

  bigNumber(digits: string): void {
    if (this.resp === 3) this.table1('big_number', digits);
    else this.bulk(digits);
  }

  deferred(): Deferred {
    const id = ++this.deferredSeq;
    this.open(K.ARRAY, 0, id);
    return { pos: this.depth - 1, id };
  }

  private closeDeferred(d: Deferred, kind: K): void {
    if (this.overflow) return;
    // Close any fixed-length frames left open above it (a handler that under-replied).
    while (this.depth > d.pos + 1) this.close();
    if (this.depth !== d.pos + 1 || this.fId[d.pos] !== d.id) return;
    this.depth--;
    if (kind === K.ARRAY) {
      this.added();
      return;
    }
    // RESP3 map or set: the elements were stored as an array; rebuild as {map|set = {...}}.
    if (!this.room(5)) return;
    const ex = this.w.ex;
    const L = this.L;
    const n = this.fIdx[d.pos];
    ex.lua_createtable(L, 0, 1);
    ex.lua_createtable(L, 0, 0); // (grown from empty: see open())
    if (kind === K.MAP) {
      for (let i = 1; i + 1 <= n; i += 2) {
        ex.lua_rawgeti(L, -3, big(i));
        ex.lua_rawgeti(L, -4, big(i + 1));
        this.setPair();
      }
    } else {
      for (let i = 1; i <= n; i++) {
        ex.lua_rawgeti(L, -3, big(i));
        ex.lua_pushboolean(L, 1);
        this.setPair();
      }
    }
    this.w.setfield(L, -2, kind === K.MAP ? 'map' : 'set');
    ex.lua_rotate(L, -2, -1);
    ex.lua_settop(L, -2);
    this.added();
  }

  setArrayLen(d: Deferred, _n: number): void {
    this.closeDeferred(d, K.ARRAY);
  }

  setMapLen(d: Deferred, _pairs: number): void {
    this.closeDeferred(d, this.resp === 3 ? K.MAP : K.ARRAY);
  }

  setSetLen(d: Deferred, _n: number): void {
    this.closeDeferred(d, this.resp === 3 ? K.SET : K.ARRAY);
  }
}
