/**
 * StagedRecords: the js-map engine's RDB records of collections serialized in WASM
 * (assembly/rdbsave.ts rdbSaveStaged), in the helper instance the CRC64 and the RDB scan use.
 *
 * A hash, set, sorted set or list is copied into a stage in linear memory, key first, each string
 * as [u32 length][latin1 bytes] (a sorted-set member then its f64 score), and rdbSaveStaged
 * writes the whole record ([EXPIRETIME_MS] [IDLE] [FREQ] type key value) from there, byte for
 * byte what RdbWriter.keyValue writes: the same listpacks, node splits, integer encodings and
 * LZF. The JS left per element is one copy loop.
 *
 * Why: the first SAVE of a js-map server ran RdbWriter's listpack and LZF code in the interpreter
 * and baseline tiers while TurboFan caught up (100k mixed keys: ~210 ms of CPU for the first save
 * against ~100 ms for the next ones), where the WASM code is compiled before the first record.
 *
 * Declined (the caller writes the record with RdbWriter): strings, streams, values still packed as
 * loaded (containers/packed.ts: RdbWriter re-emits their blob), intsets, collections of more than
 * MAX_ELEMENTS elements or of more than MAX_STAGE bytes, a listpack score dtoa17.ts does not print
 * exactly, and any WASM allocation failure.
 */
import type { BulkValue, HashValue, ListValue, RdbSaveSettings, RedisValue, SetValue, ZSetValue } from '../types';
import type { WasmInstance } from '../wasm/loader';
import { R_PTR } from '../wasm/abi';
import { PackedValue } from '../containers/packed';
import type { RdbWriter } from '../../persistence/rdb-writer';
import * as F from '../../persistence/format';
import { writeLatin1 } from '../../util/latin1';
import type { KeyTable } from './key-table';

/** rdbsave.ts STAGED_* kinds. */
const HASH_LISTPACK = 1;
const HASH = 2;
const SET = 3;
const ZSET_LISTPACK = 4;
const ZSET_2 = 5;
const LIST = 6;

/** Larger collections go to RdbWriter (few keys, their warm-up amortized; the stage stays small). */
const MAX_ELEMENTS = 4096;
/** The stage's largest size (the helper instance's memory never shrinks). */
const MAX_STAGE = 4 << 20;
const FIRST_STAGE = 64 << 10;

export class StagedRecords {
  private stage = 0;
  private cap = 0;
  /** Write position and end of the stage, as byte indexes of u8. */
  private p = 0;
  private end = 0;
  private u8: Buffer;
  /** The element being staged did not fit in MAX_STAGE (or the stage could not grow). */
  private over = false;

  constructor(private readonly w: WasmInstance) {
    this.u8 = w.u8;
  }

  /** Settings for the next records (per batch: the helper instance's walk state is global). */
  begin(st: RdbSaveSettings): void {
    this.w.x.rdbSaveSettings(st.compression ? 1 : 0, 0, 0, 0, st.listFill, st.packedThreshold);
  }

  /**
   * The record of the row at slot s (value v) into rw; false when declined (rw untouched). The key
   * comes from the row's bytes (or its long-key string).
   */
  write(rw: RdbWriter, t: KeyTable, s: number, v: RedisValue, at: number, idle: number, freq: number): boolean {
    if (typeof v === 'string' || v instanceof Uint8Array || (v as unknown) instanceof PackedValue) return false;
    let kind: number;
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
        return false;
    }
    const count = (v as { size: number }).size;
    if (count > MAX_ELEMENTS) return false;
    if (this.stage === 0 && !this.grow(FIRST_STAGE)) return false;
    this.over = false;
    this.p = this.stage;
    // The key.
    const ks = t.inlineKeyStart(s);
    if (ks >= 0) {
      const kl = t.keyLength(s);
      if (!this.room(kl)) return false;
      const u8 = this.u8;
      const rb = t.rowBytes(s);
      let p = this.p;
      u8[p] = kl;
      u8[p + 1] = 0;
      u8[p + 2] = 0;
      u8[p + 3] = 0;
      p += 4;
      for (let i = 0; i < kl; i++) u8[p + i] = rb[ks + i];
      this.p = p + kl;
    } else this.put(t.key(s));
    // The elements.
    switch (kind) {
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
    if (this.over) return false;
    const w = this.w;
    const n = w.x.rdbSaveStaged(this.stage, kind, count, at, idle, freq) >>> 0;
    if (n === 0) return false;
    w.sync();
    this.u8 = w.u8;
    const from = w.i32[(w.res + R_PTR) >> 2] >>> 0;
    rw.record(w.u8, from, from + n);
    return true;
  }

  /** Make room for a string of n bytes (its length word and 8 more for a score). */
  private room(n: number): boolean {
    if (this.p + n + 12 <= this.end) return true;
    if (this.over) return false;
    const need = this.p - this.stage + n + 12;
    if (need > MAX_STAGE || !this.grow(need)) {
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
    if (!this.room(n)) return;
    const u8 = this.u8;
    let p = this.p;
    u8[p] = n;
    u8[p + 1] = n >>> 8;
    u8[p + 2] = n >>> 16;
    u8[p + 3] = n >>> 24;
    p += 4;
    if (typeof e === 'string') writeLatin1(u8, p, e);
    else u8.set(e, p);
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
