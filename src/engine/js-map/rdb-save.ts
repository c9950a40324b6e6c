/**
 * StagedRecords: the js-map engine's RDB records serialized in WASM (assembly/rdbsave.ts
 * rdbSaveStagedBatch), in the helper instance the CRC64 and the RDB scan use, a batch at a time.
 *
 * add() copies a record into a stage in linear memory: a head (kind, element count, TTL, IDLE,
 * FREQ), the key, then a string's value or a collection's elements, each string as
 * [u32 length][latin1 bytes] (a sorted-set member then its f64 score). flush() has WASM write the
 * staged records back to back, byte for byte what RdbWriter.keyValue / keyValueBytes write (the
 * same listpacks, node splits, integer encodings and LZF), and copies them into the RdbWriter in
 * one piece, telling the caller where each record is. The JS left per element is one copy loop.
 *
 * Why: the first SAVE of a js-map server ran RdbWriter's listpack and LZF code in the interpreter
 * and baseline tiers while TurboFan caught up (100k mixed keys: ~210 ms of CPU for the first save
 * against ~100 ms for the next ones), where the WASM code is compiled before the first record;
 * and batching leaves one WASM call and one copy per batch instead of one per key (a byte loop
 * per record was most of the first save's JS: it ran before TurboFan compiled it).
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
import { PACKED_UNPACK, type RdbWriter } from '../../persistence/rdb-writer';
import * as F from '../../persistence/format';
import { SHORT_LATIN1, writeLatin1 } from '../../util/latin1';
import type { KeyTable } from './key-table';

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

export class StagedRecords {
  private stage = 0;
  private cap = 0;
  /** Write position and end of the stage, as byte indexes of u8. */
  private p = 0;
  private end = 0;
  private u8: Buffer;
  /** The record being staged did not fit (in MAX_STAGE, or in the stage beside earlier records). */
  private over = false;
  /** Records staged: their slots, TTLs (for the fallback) and offsets in the stage. */
  private n = 0;
  private readonly slots = new Int32Array(MAX_BATCH);
  private readonly ats = new Float64Array(MAX_BATCH);
  private readonly starts = new Int32Array(MAX_BATCH);
  /** rdbSaveStagedBatch's record ends (u32 in linear memory). */
  private ends = 0;

  constructor(private readonly w: WasmInstance) {
    this.u8 = w.u8;
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
    const il = t.inlineLength(s);
    const ks = t.inlineKeyStart(s);
    let kind: number;
    let count = 0;
    let v: RedisValue | null = null;
    let form = PACKED_UNPACK;
    if (il >= 0) {
      if (ks < 0) return DECLINED;
      kind = STRING;
    } else if ((v = t.value(s)) instanceof PackedValue) {
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
    // The head, the key and a string's value (from the row's bytes).
    const kl = ks >= 0 ? t.keyLength(s) : 0;
    if (!this.room(HEAD + 4 + kl + (kind === STRING ? 4 + il : 0))) return this.undo(from);
    const u8 = this.u8;
    let p = this.p;
    u32At(u8, p, kind);
    u32At(u8, p + 4, count);
    u8.writeDoubleLE(at, p + 8);
    u32At(u8, p + 16, idle);
    u32At(u8, p + 20, freq);
    p += HEAD;
    if (ks >= 0) {
      const rb = t.rowBytes(s);
      p = putBytes(u8, p, rb, ks, kl);
      if (kind === STRING) p = putBytes(u8, p, rb, t.inlineStart(s), il);
      this.p = p;
    } else {
      this.p = p;
      this.put(t.key(s));
    }
    // The elements.
    switch (kind) {
      case STRING:
        break;
      case PACKED: {
        const pv = v as unknown as PackedValue;
        const n = pv.len;
        if (!this.room(8 + n)) return this.undo(from);
        const u8 = this.u8;
        u32At(u8, this.p, form);
        u32At(u8, this.p + 4, n);
        u8.set(pv.buf.subarray(pv.off, pv.off + n), this.p + 8);
        this.p += 8 + n;
        break;
      }
      case HASH_LISTPACK:
      case HASH:
        (v as HashValue).forEach(this.putPair);
        break;
      case SET:
        (v as SetValue).forEach(this.putOne);
        break;
      case ZSET_LISTPACK:
      case ZSET_2:
        // ZSET_2 greatest first (loading inserts at the head), as RdbWriter writes it.
        (v as ZSetValue).rangeByRank(0, count - 1, kind === ZSET_2, this.putScored);
        break;
      default:
        (v as ListValue).range(0, count - 1, this.putOne);
    }
    if (this.over) return this.undo(from);
    const i = this.n++;
    this.slots[i] = s;
    this.ats[i] = at;
    this.starts[i] = from;
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
          let prev = 0;
          for (let j = 0; j < k; j++) {
            const end = i32[e + j] >>> 0;
            each(base + prev, base + end, this.slots[i + j]);
            prev = end;
          }
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
    this.u8 = w.u8;
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
    this.u8 = w.u8;
    const used = this.stage === 0 ? 0 : this.p - this.stage;
    if (used > 0) this.u8.copy(this.u8, q, this.stage, this.stage + used);
    if (this.stage !== 0) w.x.free(this.stage, this.cap);
    this.stage = q;
    this.cap = cap;
    this.p = q + used;
    this.end = q + cap;
    return true;
  }

  private put(e: BulkValue): void {
    const n = e.length;
    let p = this.p;
    // (room()'s test inline: this runs once per element, much of it before TurboFan has compiled it)
    if (p + n + 12 > this.end) {
      if (!this.room(n + 4)) return;
      p = this.p;
    }
    const u8 = this.u8;
    u32At(u8, p, n);
    p += 4;
    if (typeof e !== 'string') u8.set(e, p);
    else if (n > SHORT_LATIN1) writeLatin1(u8, p, e);
    else for (let i = 0; i < n; i++) u8[p + i] = e.charCodeAt(i);
    this.p = p + n;
  }

  // The visitors, made once (no closure per record).
  private readonly putOne = (e: BulkValue): void => this.put(e);
  private readonly putPair = (f: BulkValue, v: BulkValue): void => {
    this.put(f);
    this.put(v);
  };
  private readonly putScored = (m: BulkValue, score: number): void => {
    this.put(m);
    if (this.over) return;
    // room() left 8 bytes past the member for its score.
    const p = this.p;
    this.u8.writeDoubleLE(score, p);
    this.p = p + 8;
  };
}

/** v's low 32 bits, little-endian, at u8[p] (an i32 as its two's complement). */
function u32At(u8: Buffer, p: number, v: number): void {
  u8[p] = v;
  u8[p + 1] = v >>> 8;
  u8[p + 2] = v >>> 16;
  u8[p + 3] = v >>> 24;
}

/** [u32 length][src[from, from + n)] at u8[p]; returns the position after it. */
function putBytes(u8: Buffer, p: number, src: Uint8Array, from: number, n: number): number {
  u32At(u8, p, n);
  p += 4;
  for (let i = 0; i < n; i++) u8[p + i] = src[from + i];
  return p + n;
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
