/**
 * JsMapScanLoader (Engine.rdbFastLoader of the js-map engine when build/redust.wasm is there):
 * rdb-fast.ts's fast path with its byte work done in WASM (assembly/jsmapscan.ts), in the small
 * helper instance the CRC64 uses. The file is copied into linear memory in chunks; jmScan walks
 * and validates a batch of key records there and describes each (key bytes and hash, value bytes
 * or blob, counts, memory figure, TTL); this file writes the collections' descriptors into the
 * key table's packed store (packed-store.ts: their blobs, gathered by jmScanGather, copied into
 * the load's PackedArena in one piece), makes long strings from those bytes and stores the batch
 * with one loadInsertMany (the keys and short string values as bytes
 * in the scan's memory, which the key table copies), exactly as rdb-fast.ts would have.
 *
 * Why: at start the JS checks of rdb-fast.ts ran in the interpreter and baseline code for the
 * first thousands of keys (~20 us a key for the first thousand) until TurboFan caught up; WASM
 * code is compiled before the first record, so the warm-up left here is the small JS below.
 *
 * jmScan takes a subset of what rdb-fast.ts takes. A record it stops at (a string score, equal
 * scores, other types and opcodes, expired keys, anything that does not check out) goes to
 * rdb-fast.ts for a few records, and what that declines to the JS reader, so every decision
 * keeps one implementation and the loaded values are the same whichever path read them.
 */
import type { EncodingLimits, RdbFastLoader, RedisValue } from '../types';
import type { WasmInstance } from '../wasm/loader';
import { R_LEN } from '../wasm/abi';
import { FileWindow, rdbChunk } from '../wasm/rdbload';
import * as F from '../../persistence/format';
import { PackedValue, type PackedContext, type PackedMakers } from '../containers/packed';
import { JsMapRdbLoader, LoadBatch, sameLimits, type FastLoadTarget } from './rdb-fast';
import { tableHashSeed } from './key-table';
import { PK_BUF, PK_BYTES, PK_LEN, PK_MAXLEN, PK_OFF, PK_SIZE, PK_TYPE, PK_WORDS } from './packed-store';

/** The jsmapscan.ts exports (cast here: the engine's WasmExports does not list them). */
interface ScanExports {
  jmScan(start: number, end: number, now: number, hMaxE: number, hMaxV: number, sMaxI: number, seed: number, maxRecs: number): number;
  jmScanDesc(): number;
  jmScanExp(): number;
  jmScanDecGrow(n: number, max: number): number;
  jmScanGather(n: number): number;
  jmScanDone(): void;
  alloc(n: number): number;
  free(p: number, n: number): void;
}

/** Tests turn the WASM scan off to check the all-JS fast path (rdb-fast.ts) too. */
export const rdbScan = { useWasm: true };

/**
 * The first chunk: at most 1 MB (the helper instance keeps its memory) and at most the wasm
 * engine's rdbChunk.initial (512 KB, smaller in tests); a record past the chunk is retried from a
 * chunk starting at it, doubled up to rdbChunk.max.
 */
const CHUNK_MAX_INITIAL = 1 << 20;
/**
 * The largest chunk and decoded-bytes buffer: a record needing more is rdb-fast.ts's (its memory
 * is the JS heap's, released after the load; the helper instance's memory never shrinks).
 */
const SCAN_MAX_BYTES = 8 << 20;
/** jsmapscan.ts JM_BATCH, DESC_WORDS, STOP_*. */
const BATCH = 256;
const DESC_WORDS = 10;
const STOP_CHUNK = 1;
const STOP_DEC = 3;
/** Records rdb-fast.ts reads when the scan stops at one (then the scan again). */
const JS_RUN = 1;
/** Values above this length are stored as Buffers by the Db (engine.ts BIG_AS_BUFFER). */
const BIG_AS_BUFFER = 4096;
const EMPTY_BYTES = new Uint8Array(0);

export class JsMapScanLoader implements RdbFastLoader {
  keys = 0;
  private readonly x: ScanExports;
  private readonly win: FileWindow;
  private readonly desc: number;
  private readonly exp: number;
  private limits: EncodingLimits | null = null;
  private ctx: PackedContext | null = null;
  private readonly js: JsMapRdbLoader;
  private readonly seed = tableHashSeed();
  /** The described records; their keys are bytes in the scan instance's memory. */
  private readonly batch = new LoadBatch(EMPTY_BYTES, BATCH);

  constructor(
    private readonly w: WasmInstance,
    private readonly buf: Buffer,
    private readonly target: (db: unknown) => FastLoadTarget | null,
    private readonly makers: PackedMakers,
  ) {
    this.x = w.x as unknown as ScanExports;
    this.win = new FileWindow(w, buf, 'js-map RDB scan');
    this.desc = this.x.jmScanDesc() >>> 0;
    this.exp = this.x.jmScanExp() >>> 0;
    this.js = new JsMapRdbLoader(buf, target, makers);
    if (this.x.jmScanDecGrow(4096, SCAN_MAX_BYTES) === 0) throw new Error('js-map RDB scan: out of memory');
  }

  resize(db: unknown, size: number): void {
    this.js.resize(db, size);
  }

  done(): void {
    this.js.done();
    this.win.release();
    this.x.jmScanDone();
  }

  run(db: unknown, pos: number, now: number, limits: EncodingLimits, maxKeys: number): number {
    this.keys = 0;
    const t = this.target(db);
    if (t === null || pos >= this.buf.length) return 0;
    if (this.limits === null || !sameLimits(this.limits, limits)) {
      this.limits = { ...limits };
      this.ctx = { limits: this.limits, makers: this.makers };
    }
    let at = pos;
    while (this.keys < maxKeys && at < this.buf.length) {
      const n = this.scan(t, at, now, maxKeys - this.keys);
      if (n > 0) {
        // (the keys are copied out of the scan's memory by the insert, before anything runs there)
        const stored = this.batch.store(t, n, now);
        if (stored > 0) at = this.batch.end[stored - 1];
        this.keys += stored;
        this.batch.keyBytes = EMPTY_BYTES;
        if (stored < n) break; // a key already there: the JS reader reports it
        continue;
      }
      // The record at `at` is rdb-fast.ts's (or, when that declines too, the JS reader's).
      const used = this.js.run(db, at, now, limits, Math.min(JS_RUN, maxKeys - this.keys));
      if (used === 0) break;
      at += used;
      this.keys += this.js.keys;
    }
    return at - pos;
  }

  /**
   * jmScan from `pos` (chunks copied as needed) into the batch arrays: the number of records
   * described, 0 when the record at pos is not the scan's (or runs past the largest chunk).
   */
  private scan(t: FastLoadTarget, pos: number, now: number, maxRecs: number): number {
    const x = this.x;
    const L = this.limits!;
    const win = this.win;
    for (;;) {
      if (pos < win.from || pos >= win.to) win.copy(pos, Math.min(rdbChunk.initial, CHUNK_MAX_INITIAL));
      // (an int32: passed to describe as a double, it deoptimized describe's TurboFan code)
      const base = (win.ptr - win.from) | 0;
      const n = x.jmScan(base + pos, base + win.to, now, L.hashMaxListpackEntries, L.hashMaxListpackValue, L.setMaxIntsetEntries, this.seed, Math.min(maxRecs, BATCH)) >>> 0;
      if (n > 0) return this.describe(t, n, base);
      const why = this.w.resU32(R_LEN);
      if (why === STOP_DEC) {
        // The decoded bytes of this record need a bigger buffer (it asked for that much).
        if (x.jmScanDecGrow(0, SCAN_MAX_BYTES) === 0) return 0;
        continue;
      }
      if (why !== STOP_CHUNK || win.to >= this.buf.length) return 0;
      const size = win.from === pos ? (win.to - win.from) * 2 : Math.min(rdbChunk.initial, CHUNK_MAX_INITIAL);
      if (size > Math.min(rdbChunk.max, SCAN_MAX_BYTES)) return 0;
      win.copy(pos, size);
    }
  }

  /**
   * The n described records as keys, hashes, values, sizes, TTLs and ends in the file. The
   * collections' blobs are gathered in WASM and copied into the arena in one piece, and their
   * descriptors written into t's packed store here (the batch holds their indexes).
   */
  private describe(t: FastLoadTarget, n: number, base: number): number {
    const w = this.w;
    const gat = this.x.jmScanGather(n) >>> 0;
    const total = w.resU32(R_LEN);
    w.sync();
    const u8 = w.u8;
    const i32 = w.i32;
    const f64 = w.f64;
    const ctx = this.ctx!;
    const arena = this.js.arena;
    // Where the gathered blobs went (when the gather buffer could not grow: each one's own copy).
    let ab: Buffer | null = null;
    let abAt = 0;
    // The packed store's descriptors (written in this loop: no call or object per value).
    let pd: Int32Array | null = null;
    let bi = 0;
    let k = 0;
    if (total > 0 && gat !== 0) {
      ab = arena.take(total);
      abAt = arena.at;
      ab.set(u8.subarray(gat, gat + total), abAt);
      const st = t.packedStore();
      bi = st.bufferIndex(ab, ctx);
      pd = st.reserve(n);
      k = st.top;
    }
    const k0 = k;
    const batch = this.batch;
    batch.keyBytes = u8;
    let d = this.desc >> 2;
    const e = this.exp >> 3;
    for (let i = 0; i < n; i++, d += DESC_WORDS) {
      const type = i32[d];
      const kp = i32[d + 1] >>> 0;
      batch.keyOff[i] = kp;
      batch.keyLen[i] = i32[d + 2];
      batch.hash[i] = i32[d + 3];
      const vp = i32[d + 4] >>> 0;
      const vl = i32[d + 5];
      if (type === F.RDB_TYPE_STRING) {
        // A string as its bytes (next to the keys, in the scan's memory): the table keeps short
        // ones in the key's row, so most string values are never made JS strings here.
        if (vl > BIG_AS_BUFFER) batch.vals[i] = Buffer.from(u8.subarray(vp, vp + vl));
        else {
          batch.vals[i] = null;
          batch.valOff[i] = vp;
          batch.valLen[i] = vl;
        }
        batch.size[i] = vl;
      } else {
        const bytes = i32[d + 8] >>> 0;
        if (pd !== null) {
          const at = k * PK_WORDS;
          pd[at + PK_BUF] = bi;
          pd[at + PK_OFF] = abAt + vp;
          pd[at + PK_LEN] = vl;
          pd[at + PK_TYPE] = type;
          pd[at + PK_SIZE] = i32[d + 6];
          pd[at + PK_MAXLEN] = i32[d + 7];
          pd[at + PK_BYTES] = bytes;
          batch.vals[i] = k++;
        } else {
          // (the gather buffer could not grow: each blob copied on its own)
          const b = arena.put(u8, vp, vl);
          batch.vals[i] = new PackedValue(type, b, arena.at, vl, i32[d + 6], i32[d + 7], bytes, ctx) as unknown as RedisValue;
        }
        batch.size[i] = bytes;
      }
      batch.exp[i] = f64[e + i];
      batch.end[i] = (i32[d + 9] >>> 0) - base;
    }
    if (k > k0) t.packedStore().commit(bi, k);
    return n;
  }
}
