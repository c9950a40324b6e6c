/**
 * StagedRecords: the js-map engine's RDB records serialized in WASM (assembly/rdbsave.ts
 * rdbSaveStagedBatch), in the helper instance the CRC64 and the RDB scan use, a batch at a time.
 *
 * add() copies a record into a stage in linear memory (the layout is rdbsave.ts's "staged
 * records" comment): an 8-aligned head (kind, element count, TTL, IDLE, FREQ) written through
 * Int32Array and Float64Array views, the key, then a string's value or a collection's elements,
 * each string as its length (one byte below 255) and latin1 bytes, a sorted set's scores after
 * its members. flush() has WASM write the staged records back to back, byte for byte what
 * RdbWriter.keyValue / keyValueBytes write (the same listpacks, node splits, integer encodings
 * and LZF), and copies them into the RdbWriter in one piece, telling the caller where each
 * record is.
 *
 * Why: the first SAVE of a js-map server ran RdbWriter's listpack and LZF code in the interpreter
 * and baseline tiers while TurboFan caught up (100k mixed keys: ~210 ms of CPU for the first save
 * against ~100 ms for the next ones), where the WASM code is compiled before the first record;
 * and batching leaves one WASM call and one copy per batch instead of one per key. What JS is
 * left runs cold in that first SAVE too, so it makes few calls: one KeyTable call for the key's
 * bytes (copyInline), one loop over each record's elements (putRun) reading a list's ring and a
 * small sorted set's arrays in place, and for the Map-held hashes and sets one store-only
 * callback per entry (Map#forEach calls it) before that loop. A visitor chain per element
 * (forEach -> adapter -> putPair -> put -> u32At, writeDoubleLE per score) was most of that
 * save's JS: 100k mixed keys, in process, first SAVE ~140 ms against ~100 ms warm.
 *
 * Declined (add() returns DECLINED; the caller flushes, then writes the record with RdbWriter):
 * strings not held inline in their row (long keys or values), streams, values still packed as
 * loaded (containers/packed.ts) that RdbWriter.packedForm unpacks, intsets, collections of more
 * than MAX_ELEMENTS elements or of more than MAX_STAGE bytes. A packed value whose blob is saved
 * as it is gets staged as that blob (the first SAVE after a load ran RdbWriter's LZF in JS on
 * every blob before, 100k mixed keys: about a quarter of that save). A record WASM leaves (a
 * listpack score dtoa17.ts does not print exactly, a WASM allocation failure) is handed to
 * flush()'s `fallback`, in its place in the order.
 */
import type { BulkValue, HashValue, ListValue, RdbSaveSettings, RedisValue, SetValue, ZSetValue } from '../types';
import type { WasmInstance } from '../wasm/loader';
import { R_PTR } from '../wasm/abi';
import { PackedValue } from '../containers/packed';
import { JsHash } from '../containers/hash';
import { JsList } from '../containers/list';
import { JsSet } from '../containers/set';
import { JsZSet } from '../containers/zset';
import { PACKED_UNPACK, type RdbWriter } from '../../persistence/rdb-writer';
import * as F from '../../persistence/format';
import { SHORT_LATIN1, writeLatin1 } from '../../util/latin1';
import { INLINE_MAX, type KeyTable } from './key-table';

/** rdbsave.ts STAGED_* kinds. */
const HASH_LISTPACK = 1;
const HASH = 2;
const SET = 3;
const ZSET_LISTPACK = 4;
const ZSET_2 = 5;
const LIST = 6;
const STRING = 7;
const PACKED = 8;
/** rdbsave.ts STAGED_HEAD: kind, count, expireAt, idleSecs, freq. */
const HEAD = 24;
/** A staged string's length is one byte below this, else this byte and a u32. */
const LEN_LONG = 255;

/** add()'s results. */
export const STAGED = 1;
/** The caller writes this record itself (after flush(), to keep the order). */
export const DECLINED = 0;
/** The stage is full: flush(), then add() the record again. */
export const FULL = -1;

/** Larger collections go to RdbWriter (few keys, their warm-up amortized; the stage stays small). */
const MAX_ELEMENTS = 4096;
/** The stage's largest size (the helper instance's memory never shrinks). */
const MAX_STAGE = 4 << 20;
const FIRST_STAGE = 64 << 10;
/** Records per batch (one WASM call and one copy each). */
const MAX_BATCH = 256;

/** p rounded up to a multiple of 8 (a record's start, a packed blob's head, scores); -p & 7 is exact for any address. */
function align8(p: number): number {
  return p + (-p & 7);
}

export class StagedRecords {
  /** The stage (its address is a multiple of 8: the WASM allocator aligns large blocks to pages). */
  private stage = 0;
  private cap = 0;
  /** Write position and end of the stage, as byte indexes of u8 (8-aligned between records). */
  private p = 0;
  private end = 0;
  /** Views of the helper instance's memory (the heads and the scores are typed stores). */
  private u8: Buffer;
  private i32: Int32Array;
  private f64: Float64Array;
  /** The record being staged did not fit (in MAX_STAGE, or in the stage beside earlier records). */
  private over = false;
  /** Records staged: their slots, TTLs (for the fallback) and offsets in the stage. */
  private n = 0;
  private readonly slots = new Int32Array(MAX_BATCH);
  private readonly ats = new Float64Array(MAX_BATCH);
  private readonly starts = new Int32Array(MAX_BATCH);
  /** flush()'s copy of rdbSaveStagedBatch's record ends. */
  private readonly recordEnds = new Int32Array(MAX_BATCH);
  /** rdbSaveStagedBatch's record ends (u32 in linear memory). */
  private ends = 0;
  /**
   * What a visitor handed over (a hash's fields and values alternating, a set's members, a big
   * sorted set's members and their scores), staged by one putRun after the visit: the visitors
   * only store, so the string copy is in one loop.
   */
  private readonly taken: BulkValue[] = new Array<BulkValue>(2 * MAX_ELEMENTS).fill('');
  private readonly takenScores: number[] = new Array<number>(MAX_ELEMENTS).fill(0.5);
  private nTaken = 0;

  constructor(private readonly w: WasmInstance) {
    this.u8 = w.u8;
    this.i32 = w.i32;
    this.f64 = w.f64;
  }

  /** Settings for the next records (per batch: the helper instance's walk state is global). */
  begin(st: RdbSaveSettings): void {
    this.w.x.rdbSaveSettings(st.compression ? 1 : 0, 0, 0, 0, st.listFill, st.packedThreshold);
  }

  /** Records staged and not flushed yet. */
  get pending(): number {
    return this.n;
  }

  /**
   * Stage the record of the row at slot s (value v, TTL at, IDLE idle, FREQ freq; < 0: none):
   * STAGED, DECLINED or FULL. The key (and a string's value) come from the row's bytes.
   */
  add(rw: RdbWriter, t: KeyTable, s: number, at: number, idle: number, freq: number): number {
    if (this.n === MAX_BATCH) return FULL;
    if (this.stage === 0 && !this.grow(FIRST_STAGE)) return DECLINED;
    // The helper instance's memory may have grown since the last record (its other users, the
    // CRC64 of what the sink wrote among them, run between records): views of the old memory
    // are detached, and writes through them are silently dropped.
    if (this.i32.length === 0) {
      this.w.sync();
      this.views();
    }
    let kind: number;
    let count = 0;
    let v: RedisValue | null = null;
    let form = PACKED_UNPACK;
    if (t.inlineLength(s) >= 0) kind = STRING;
    else if ((v = t.value(s)) instanceof PackedValue) {
      // (count: the record's type byte)
      count = rw.typeOf(v as unknown as RedisValue);
      form = rw.packedForm(v, count);
      if (form === PACKED_UNPACK || v.len > MAX_STAGE) return DECLINED;
      kind = PACKED;
    } else {
      if (typeof v === 'string' || v instanceof Uint8Array) return DECLINED;
      switch (rw.typeOf(v)) {
        case F.RDB_TYPE_HASH_LISTPACK:
          kind = HASH_LISTPACK;
          break;
        case F.RDB_TYPE_HASH:
          kind = HASH;
          break;
        case F.RDB_TYPE_SET:
          kind = SET;
          break;
        case F.RDB_TYPE_ZSET_LISTPACK:
          kind = ZSET_LISTPACK;
          break;
        case F.RDB_TYPE_ZSET_2:
          kind = ZSET_2;
          break;
        case F.RDB_TYPE_LIST_QUICKLIST_2:
          kind = LIST;
          break;
        default:
          return DECLINED;
      }
      count = (v as { size: number }).size;
      if (count > MAX_ELEMENTS) return DECLINED;
    }
    this.over = false;
    // (an offset: the stage moves when it grows for this record)
    const from = this.p - this.stage;
    // The head, then the row's inline key (and a string's inline value) or a long key's string.
    if (!this.room(HEAD + 2 + INLINE_MAX)) return this.undo(from);
    const h = this.p >>> 2;
    const i32 = this.i32;
    i32[h] = kind;
    i32[h + 1] = count;
    this.f64[(h >>> 1) + 1] = at;
    i32[h + 4] = idle;
    i32[h + 5] = freq;
    const after = t.copyInline(s, this.u8, this.p + HEAD);
    if (after >= 0) this.p = after;
    else if (kind === STRING) {
      // (a string with a long key: RdbWriter's, whatever is staged before it)
      this.p = this.stage + from;
      return DECLINED;
    } else {
      this.p += HEAD;
      this.taken[0] = t.key(s);
      this.nTaken = 1;
      this.putTaken(false);
    }
    // The elements.
    switch (kind) {
      case STRING:
        break;
      case PACKED: {
        const pv = v as unknown as PackedValue;
        const n = pv.len;
        this.p = align8(this.p);
        if (!this.room(8 + n)) return this.undo(from);
        const q = this.p;
        this.i32[q >>> 2] = form;
        this.i32[(q >>> 2) + 1] = n;
        this.u8.set(pv.buf.subarray(pv.off, pv.off + n), q + 8);
        this.p = q + 8 + n;
        break;
      }
      case HASH_LISTPACK:
      case HASH:
        if (v instanceof JsHash) v.forEachEntry(this.takeEntry);
        else (v as HashValue).forEach(this.takePair);
        this.putTaken(false);
        break;
      case SET:
        if (v instanceof JsSet) v.forEachEntry(this.takeMember);
        else (v as SetValue).forEach(this.takeOne);
        this.putTaken(false);
        break;
      case ZSET_LISTPACK:
      case ZSET_2: {
        // ZSET_2 greatest first (loading inserts at the head), as RdbWriter writes it.
        const reverse = kind === ZSET_2;
        const ms = v instanceof JsZSet ? v.smallMembers : null;
        if (ms !== null) this.putRun(ms, 0, -1, count, (v as JsZSet).smallScores, reverse);
        else {
          (v as ZSetValue).rangeByRank(0, count - 1, reverse, this.takeScored);
          this.putTaken(true);
        }
        break;
      }
      default:
        if (v instanceof JsList) {
          const ring = v.ring;
          this.putRun(ring, v.ringHead, ring.length - 1, count, null, false);
        } else {
          (v as ListValue).range(0, count - 1, this.takeOne);
          this.putTaken(false);
        }
    }
    if (this.over) return this.undo(from);
    const i = this.n++;
    this.slots[i] = s;
    this.ats[i] = at;
    this.starts[i] = from;
    this.p = align8(this.p);
    return STAGED;
  }

  /**
   * Write the staged records into rw, in order: WASM's output in one copy, then `each(from, to,
   * slot)` for every record (null: not needed); a record WASM leaves goes to `fallback(slot, at)`,
   * which writes it into rw itself (and reports it).
   */
  flush(rw: RdbWriter, each: ((from: number, to: number, s: number) => void) | null, fallback: (s: number, at: number) => void): void {
    const n = this.n;
    const w = this.w;
    let i = 0;
    while (i < n) {
      const k = w.x.rdbSaveStagedBatch(this.stage + this.starts[i], n - i, this.ends) >>> 0;
      w.sync();
      if (k > 0) {
        const i32 = w.i32;
        const from = i32[(w.res + R_PTR) >> 2] >>> 0;
        const e = this.ends >> 2;
        const base = rw.pos;
        rw.raw(w.u8, from, from + (i32[e + k - 1] >>> 0));
        if (each !== null) {
          // The record ends copied out first: `each` may grow the helper's memory (a sink
          // computing its CRC64 there), which detaches i32.
          const ends = this.recordEnds;
          ends.set(i32.subarray(e, e + k));
          let prev = 0;
          for (let j = 0; j < k; j++) {
            const end = ends[j] >>> 0;
            each(base + prev, base + end, this.slots[i + j]);
            prev = end;
          }
          w.sync();
        }
        i += k;
      }
      if (i < n) {
        fallback(this.slots[i], this.ats[i]);
        i++;
      }
    }
    this.n = 0;
    this.p = this.stage;
    this.views();
  }

  /** Drop the record being staged (from offset `from`): FULL with records before it, else DECLINED. */
  private undo(from: number): number {
    this.p = this.stage + from;
    return this.n > 0 ? FULL : DECLINED;
  }

  /** Make room for n more bytes and 8 more (a score), growing the stage only while it holds one record. */
  private room(n: number): boolean {
    if (this.p + n + 8 <= this.end) return true;
    if (this.over) return false;
    const need = this.p - this.stage + n + 8;
    if (this.n > 0 || need > MAX_STAGE || !this.grow(need)) {
      this.over = true;
      return false;
    }
    return true;
  }

  /** A bigger stage holding what is staged so far. */
  private grow(need: number): boolean {
    let cap = Math.max(this.cap * 2, FIRST_STAGE);
    while (cap < need) cap *= 2;
    const w = this.w;
    if (this.ends === 0) {
      this.ends = w.x.alloc(4 * MAX_BATCH) >>> 0;
      if (this.ends === 0) return false;
    }
    const q = w.x.alloc(cap) >>> 0;
    if (q === 0) return false;
    w.sync();
    this.views();
    const used = this.stage === 0 ? 0 : this.p - this.stage;
    if (used > 0) this.u8.copy(this.u8, q, this.stage, this.stage + used);
    if (this.stage !== 0) w.x.free(this.stage, this.cap);
    this.stage = q;
    this.cap = cap;
    this.p = q + used;
    this.end = q + cap;
    return true;
  }

  /** The helper instance's views, current (after a WASM call that may have grown its memory, and sync()). */
  private views(): void {
    this.u8 = this.w.u8;
    this.i32 = this.w.i32;
    this.f64 = this.w.f64;
  }

  /**
   * Stage n strings a[(head + j) & mask] (mask -1: a[head + j]) for j = 0..n-1 (n-1..0 when
   * `reverse`), then, with `scores`, their scores scores[(head + j) & mask] in the same order,
   * 8-aligned after them. One loop for all of a record's elements with the string copy inline:
   * the first SAVE runs it before TurboFan has compiled it, where a call costs most.
   */
  private putRun(a: readonly (BulkValue | undefined)[], head: number, mask: number, n: number, scores: readonly number[] | null, reverse: boolean): void {
    let p = this.p;
    let u8 = this.u8;
    let end = this.end;
    for (let i = 0; i < n; i++) {
      const e = a[(head + (reverse ? n - 1 - i : i)) & mask] as BulkValue;
      const l = e.length;
      if (p + l + 13 > end) {
        // (room() keeps 8 more bytes: a score's, unused here)
        this.p = p;
        if (!this.room(l + 5)) return;
        p = this.p;
        u8 = this.u8;
        end = this.end;
      }
      if (l < LEN_LONG) u8[p++] = l;
      else {
        u8[p] = LEN_LONG;
        u8[p + 1] = l;
        u8[p + 2] = l >>> 8;
        u8[p + 3] = l >>> 16;
        u8[p + 4] = l >>> 24;
        p += 5;
      }
      if (typeof e !== 'string') u8.set(e, p);
      else if (l > SHORT_LATIN1) writeLatin1(u8, p, e);
      else for (let k = 0; k < l; k++) u8[p + k] = e.charCodeAt(k);
      p += l;
    }
    this.p = p;
    if (scores === null) return;
    this.p = align8(p);
    if (!this.room(8 * n)) return;
    const f64 = this.f64;
    const q = this.p >>> 3;
    for (let i = 0; i < n; i++) f64[q + i] = scores[(head + (reverse ? n - 1 - i : i)) & mask];
    this.p += 8 * n;
  }

  /** putRun over what the visitors took (with their scores when `scored`); the taken strings are let go. */
  private putTaken(scored: boolean): void {
    const n = this.nTaken;
    this.putRun(this.taken, 0, -1, n, scored ? this.takenScores : null, false);
    const taken = this.taken;
    for (let i = 0; i < n; i++) taken[i] = '';
    this.nTaken = 0;
  }

  // The visitors, made once (no closure per record); they only store (putTaken copies).
  private readonly takeOne = (e: BulkValue): void => {
    this.taken[this.nTaken++] = e;
  };
  private readonly takePair = (f: BulkValue, v: BulkValue): void => {
    this.taken[this.nTaken++] = f;
    this.taken[this.nTaken++] = v;
  };
  /** Map#forEach's order: the value first. */
  private readonly takeEntry = (v: BulkValue, f: BulkValue): void => {
    this.taken[this.nTaken++] = f;
    this.taken[this.nTaken++] = v;
  };
  private readonly takeMember = (_: unknown, m: BulkValue): void => {
    this.taken[this.nTaken++] = m;
  };
  private readonly takeScored = (m: BulkValue, score: number): void => {
    this.takenScores[this.nTaken] = score;
    this.taken[this.nTaken++] = m;
  };
}

/** Tests turn the WASM records off to check RdbWriter's own path too. */
export const stagedSave = { useWasm: true };

let shared: StagedRecords | null | undefined;

/** The StagedRecords of the helper instance; null when the module is not built or tests turned it off. */
export function stagedRecords(helper: () => WasmInstance | null): StagedRecords | null {
  if (!stagedSave.useWasm) return null;
  if (shared === undefined) {
    const w = helper();
    shared = w === null ? null : new StagedRecords(w);
  }
  return shared;
}
