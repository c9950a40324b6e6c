/**
 * WasmRdbLoader (Engine.rdbFastLoader, types.ts): the RDB file is copied into linear memory in
 * chunks of rdbChunk.initial bytes, and assembly/rdbload.ts stores many key records per call straight from
 * those bytes (the packed small forms are built from the file's listpacks and intsets, with no
 * JS object per key or element). A record it does not take (other types, opcodes, expired or
 * duplicate keys, values past the encoding limits, anything corrupt) is left to the JS reader,
 * which reports errors as before. A record running past the chunk is retried from a new chunk
 * starting at it (doubled up to rdbChunk.max, beyond which the JS reader takes it). The file's
 * checksum, verified before the first record, is computed through the same window (checksum).
 */
import type { Db, EncodingLimits, RdbFastLoader, RdbRecordSink, RdbSaveSettings } from '../types';
import { type WasmInstance, WasmOutOfMemoryError } from './loader';
import { R_LEN, R_MISC, R_PTR } from './abi';
import { type Crc64State, crc64UpdateAt } from '../../persistence/crc64';

/**
 * Chunk sizes (tests make them small to cross chunk ends often). The first chunk is small: every
 * page of it is a fresh page of linear memory, faulted in (about 3 us a page on the shared hosts
 * measured) before the load stores anything, so a 4 MB window cost ~1,000 page faults (~3 ms of a
 * ~80 ms load of 100k mixed keys) where 512 KB costs 128; the extra chunk copies are ~0.05 ms per
 * 512 KB and a record crossing a chunk end is simply retried from a chunk starting at it.
 */
export const rdbChunk = { initial: 512 << 10, max: 64 << 20 };
/** assembly/rdbload.ts STOP_CHUNK. */
const STOP_CHUNK = 1;
const NO_LIMIT = 0xffffffff;
const INTSET_HARD_MAX = 1 << 30;
/** The smallest step of WasmRdbLoader.checksum. */
const CRC_STEP = 64 << 10;

function limit(n: number): number {
  return n >= NO_LIMIT ? NO_LIMIT : n < 0 ? 0 : n;
}

/**
 * A window buf[from, to) of a file copied into a WASM instance's linear memory at ptr (cap bytes
 * allocated, reused while big enough): the chunks the RDB loaders read (this file's, and the
 * js-map engine's scan, src/engine/js-map/rdb-scan.ts).
 */
export class FileWindow {
  ptr = 0;
  cap = 0;
  from = 0;
  to = 0;

  constructor(
    private readonly w: WasmInstance,
    private readonly buf: Buffer,
    /** Who runs out of memory, for the error. */
    private readonly owner: string,
  ) {}

  /** Copy buf[pos, pos + size) (up to the file's end) into the window. */
  copy(pos: number, size: number): void {
    const n = Math.min(size, this.buf.length - pos);
    if (n > this.cap) {
      this.release();
      const p = this.w.x.alloc(n) >>> 0;
      if (p === 0) throw new Error(`${this.owner}: out of memory for the RDB load buffer`);
      this.ptr = p;
      this.cap = n;
    }
    this.w.sync();
    this.w.u8.set(this.buf.subarray(pos, pos + n), this.ptr);
    this.from = pos;
    this.to = pos + n;
  }

  release(): void {
    if (this.ptr !== 0) this.w.x.free(this.ptr, this.cap);
    this.ptr = this.cap = this.from = this.to = 0;
  }
}

export class WasmRdbLoader implements RdbFastLoader {
  keys = 0;
  private readonly win: FileWindow;

  constructor(
    private readonly w: WasmInstance,
    private readonly buf: Buffer,
    /** The db's keyspace pointer, or -1 when the fast path must not be used (see WasmDb.rdbFastPtr). */
    private readonly dbPtr: (db: Db) => number,
  ) {
    this.win = new FileWindow(w, buf, 'wasm engine');
  }

  run(db: Db, pos: number, now: number, limits: EncodingLimits, maxKeys: number): number {
    this.keys = 0;
    const d = this.dbPtr(db);
    if (d < 0 || pos >= this.buf.length) return 0;
    const x = this.w.x;
    const win = this.win;
    for (;;) {
      if (pos < win.from || pos >= win.to) win.copy(pos, rdbChunk.initial);
      const base = win.ptr - win.from;
      const used = x.rdbLoadRun(
        d, base + pos, base + win.to, now,
        limit(limits.hashMaxListpackEntries), limit(limits.hashMaxListpackValue),
        limit(limits.zsetMaxListpackEntries), limit(limits.zsetMaxListpackValue),
        Math.min(Math.max(limits.setMaxIntsetEntries, 0), INTSET_HARD_MAX), maxKeys,
      ) >>> 0;
      this.keys = this.w.resU32(R_MISC);
      if (used > 0 || this.w.resU32(R_LEN) !== STOP_CHUNK || win.to >= this.buf.length) return used;
      // The record at pos runs past the chunk: a chunk starting at it, bigger if it already did.
      const size = win.from === pos ? (win.to - win.from) * 2 : rdbChunk.initial;
      if (size > rdbChunk.max) return 0;
      win.copy(pos, size);
    }
  }

  /**
   * RdbFastLoader.checksum: the file is copied through the load's window (which the load fills
   * again from the start) and folded there, so the check at start makes no second WASM instance
   * and faults in no second buffer. Steps of at least CRC_STEP bytes (tests shrink rdbChunk).
   */
  checksum(end: number): Crc64State {
    const st = { hi: 0, lo: 0 };
    const step = Math.max(rdbChunk.initial, CRC_STEP);
    for (let pos = 0; pos < end; ) {
      const n = Math.min(step, end - pos);
      this.win.copy(pos, n);
      crc64UpdateAt(this.w, st, this.win.ptr, n);
      pos += n;
    }
    return st;
  }

  resize(db: Db, size: number): void {
    const d = this.dbPtr(db);
    if (d >= 0 && size > 0) this.w.x.rdbLoadResize(d, Math.min(size, 0x40000000));
  }

  done(): void {
    this.win.release();
    this.w.x.rdbLoadDone();
  }
}

// ------------------------------------------------------------------ saving (assembly/rdbsave.ts)

/** dbWalkSave's "walk complete" position. */
export const WALK_DONE = 0xffffffff;
/** assembly/rdbsave.ts DEFER. */
const DEFER = 0xffffffff;

/**
 * One dbWalkSave call from `pos` (about `count` keys): each record goes to sink.record as it is
 * decoded (or the whole batch to sink.records when the sink has it: packed output); keys left to the JS writer go to sink.deferred after the batch (that may call into
 * WASM, which reuses the out buffer). Returns the next position, or WALK_DONE.
 */
export function saveBatch(w: WasmInstance, db: number, pos: number, count: number, now: number, st: RdbSaveSettings, sink: RdbRecordSink): number {
  const x = w.x;
  x.rdbSaveSettings(st.compression ? 1 : 0, st.lru ? 1 : 0, st.lfu ? 1 : 0, st.refNow, st.listFill, Math.min(Math.max(st.packedThreshold, 0), 0xffffffff));
  if (sink.records) x.rdbSavePacked();
  const next = x.dbWalkSave(db, pos >>> 0, count, now) >>> 0;
  if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('SAVE output');
  w.sync();
  const u8 = w.u8;
  let off = w.outPtr();
  const end = off + w.outLen();
  if (sink.records) {
    // Packed: the batch's records back to back, then the keys left to the JS writer.
    if (end > off) sink.records(u8, off, end, x.rdbSavePackedCount() >>> 0);
    const dl = x.rdbSaveDeferred() >>> 0;
    if (dl > 0) {
      const keys: string[] = [];
      for (let p = w.resU32(R_PTR), e = p + dl; p < e; ) {
        const kl = u8.readUInt32LE(p);
        keys.push(u8.latin1Slice(p + 4, p + 4 + kl));
        p += 4 + kl;
      }
      for (const k of keys) sink.deferred(k);
    }
    return next;
  }
  let deferred: string[] | null = null;
  const keyAt = { at: 0, len: 0 };
  const key = (): string => u8.latin1Slice(keyAt.at, keyAt.at + keyAt.len);
  while (off < end) {
    const rl = u8.readUInt32LE(off);
    const kl = u8.readUInt32LE(off + 4);
    keyAt.at = off + 8;
    keyAt.len = kl;
    off += 8 + kl;
    if (rl === DEFER) {
      (deferred ??= []).push(key());
      continue;
    }
    sink.record(u8, off, off + rl, key);
    off += rl;
  }
  if (deferred !== null) for (const k of deferred) sink.deferred(k);
  return next;
}
