/**
 * RDB persistence for a Server: SAVE to `dir/dbfilename` (atomically: temp-<pid>.rdb, fsync,
 * rename, fsync of the directory), loading at start, DUMP/RESTORE payloads, and the counters
 * INFO persistence reports. The per-server state lives here (a WeakMap), not on Server.
 *
 * Loading checks the file's CRC64 over the whole buffer before anything is stored, so a
 * corrupted file with a checksum fails without touching the dataset; files written with
 * `rdbchecksum no` are validated structurally while loading. RdbLoad reads in resumable steps:
 * the CLI loads in slices after it listens (loading.ts); DEBUG RELOAD and the embedding API load
 * in one go.
 */
import { debugStateOf, skipChecksum } from '../server/debug-state';
import fs from 'fs';
import path from 'path';
import type { Server } from '../server/server';
import type { BulkValue, Db, RdbFastLoader, RdbSaveSettings, RedisValue } from '../engine/types';
import { encodingLimits } from '../config/config';
import { scriptingOf } from '../scripting/engine';
import { RdbWriter } from './rdb-writer';
import { EmptyKeyError, RdbReader, rdbFileVersion } from './rdb-reader';
import { RdbError } from './errors';
import { rdbCheckReport } from './rdb-check';
import { crc64, crc64EqualsLE, crc64Hex, crc64Update, writeCrc64LE } from './crc64';
import * as F from './format';
import { performance, dateNow } from '../util/real-timers';

/** REDIS_AUTOSYNC_BYTES: the step of rdb-save-incremental-fsync and aof-rewrite-incremental-fsync. */
export const AUTOSYNC_BYTES = 4 * 1024 * 1024;

export interface PersistenceState {
  /** Load at start and save on SHUTDOWN when save points are set. */
  enabled: boolean;
  saves: number;
  lastSaveStatusOk: boolean;
  lastSaveDurationMs: number;
  saveFailures: number;
  keysLoaded: number;
  keysExpiredAtLoad: number;
}

const states = new WeakMap<Server, PersistenceState>();

export function persistenceOf(s: Server): PersistenceState {
  let st = states.get(s);
  if (!st) {
    st = { enabled: false, saves: 0, lastSaveStatusOk: true, lastSaveDurationMs: -1, saveFailures: 0, keysLoaded: 0, keysExpiredAtLoad: 0 };
    states.set(s, st);
  }
  return st;
}

function writeOptions(s: Server) {
  return { compression: s.config.bool('rdbcompression'), limits: encodingLimits(s.config), packedThreshold: debugStateOf(s).packedThreshold };
}

function readOptions(s: Server) {
  return {
    engine: s.engine,
    limits: encodingLimits(s.config),
    now: s.clock.now(),
    streamLimits: { maxBytes: s.config.int('stream-node-max-bytes'), maxEntries: s.config.int('stream-node-max-entries') },
  };
}

function auxField(w: RdbWriter, k: string, v: string | number): void {
  w.u8(F.RDB_OPCODE_AUX);
  w.string(k);
  w.string(String(v));
}

/** Reusable key buffer for engine lookups of keys that come out as latin1 strings. */
let keyScratch = Buffer.allocUnsafe(256);
function keyBuf(k: BulkValue): Buffer {
  if (typeof k !== 'string') return k;
  if (keyScratch.length < k.length) keyScratch = Buffer.allocUnsafe(Math.max(k.length, keyScratch.length * 2));
  const n = keyScratch.latin1Write(k, 0);
  return keyScratch.subarray(0, n);
}

/**
 * rdbSaveRio: the whole file. With `sink`, bytes are handed out as they are produced and the
 * returned Buffer holds only the tail; without, the returned Buffer is the whole file. As
 * rdbSaveRio, every key in the db is written, one whose TTL has passed but that is not deleted yet
 * too (with its expire time: the loader drops it, or keeps it for an AOF preamble), so the walk
 * runs with expiry paused (Server.asIs), which also keeps the walk's lookups from deleting keys.
 */
export function writeRdb(s: Server, sink: ((b: Buffer, len: number) => void) | null = null): Buffer {
  return s.asIs(() => writeRdbAsIs(s, sink));
}

function writeRdbAsIs(s: Server, sink: ((b: Buffer, len: number) => void) | null): Buffer {
  const w = new RdbWriter(writeOptions(s), sink, sink ? STREAMED_WRITER_BYTES : 64 * 1024);
  writeRdbHeader(s, w);
  const { lru, lfu } = lruLfuRecords(s);
  const now = s.clock.now();
  for (const db of s.dbs) {
    const size = db.size();
    if (size === 0) continue;
    w.u8(F.RDB_OPCODE_SELECTDB);
    w.len(db.index);
    w.u8(F.RDB_OPCODE_RESIZEDB);
    w.len(size);
    const withExpires = db.expiresSize() > 0;
    w.len(db.expiresSize());
    if (db.saveRecords) {
      // The engine serializes (wasm); the keys it leaves (streams, big encodings) are written here.
      db.saveRecords(saveSettings(s, now, lru, lfu), {
        record: (src, start, end) => {
          w.raw(src, start, end);
          w.maybeFlush();
        },
        records: (src, start, end) => {
          w.raw(src, start, end);
          w.maybeFlush();
        },
        deferred: (key) => {
          const kb = keyBuf(key);
          const info = db.info(kb);
          const v = db.get(kb, true);
          if (info === undefined || v === undefined) return;
          const idle = lru ? Math.max(0, Math.floor((now - info.lru) / 1000)) : -1;
          const freq = lfu ? Math.max(0, Math.min(255, info.freq | 0)) : -1;
          w.keyValue(key, v, info.expireAt, idle, freq);
          w.maybeFlush();
        },
      });
      continue;
    }
    if (db.forEachEntry) {
      db.forEachEntry((k, v, expireAt, lastAccess, counter) => {
        const idle = lru ? Math.max(0, Math.floor((now - lastAccess) / 1000)) : -1;
        const freq = lfu ? Math.max(0, Math.min(255, counter | 0)) : -1;
        w.keyValue(k, v, expireAt, idle, freq);
        w.maybeFlush();
      });
      continue;
    }
    db.forEachKey((k) => {
      const kb = keyBuf(k);
      const v = db.get(kb, true);
      if (v === undefined) return;
      let idle = -1;
      let freq = -1;
      if (lru || lfu) {
        const info = db.info(kb);
        if (info && lru) idle = Math.max(0, Math.floor((now - info.lru) / 1000));
        if (info && lfu) freq = Math.max(0, Math.min(255, info.freq | 0));
      }
      w.keyValue(k, v, withExpires ? db.getExpire(kb) : -1, idle, freq);
      w.maybeFlush();
    });
  }
  return writeRdbTrailer(s, w, sink !== null);
}

/** What Db.saveRecords needs to serialize as RdbWriter does (IDLE counted from refNow). */
export function saveSettings(s: Server, refNow: number, lru: boolean, lfu: boolean): RdbSaveSettings {
  const o = writeOptions(s);
  return { compression: o.compression, lru, lfu, refNow, listFill: o.limits.listMaxListpackSize, packedThreshold: o.packedThreshold ?? 1 << 30 };
}

/** The signature, AUX fields and function libraries (what comes before the first db). */
export function writeRdbHeader(s: Server, w: RdbWriter, aofBase = false): void {
  w.raw(Buffer.from(`REDIS${String(F.RDB_VERSION).padStart(4, '0')}`, 'latin1'));
  auxField(w, 'redis-ver', s.redisVersion);
  auxField(w, 'redis-bits', 64);
  auxField(w, 'ctime', Math.floor(s.clock.now() / 1000));
  auxField(w, 'used-mem', s.usedMemory());
  auxField(w, 'aof-base', aofBase ? 1 : 0);
  writeFunctions(s, w);
}

/** rdbSaveFunctions: one FUNCTION2 record (the library's code) per library. */
function writeFunctions(s: Server, w: RdbWriter): void {
  for (const lib of scriptingOf(s).libraries.values()) {
    w.u8(F.RDB_OPCODE_FUNCTION2);
    w.bytes(lib.code, 0, lib.code.length);
  }
}

/** Which per-key records the maxmemory-policy asks for (IDLE under LRU, FREQ under LFU). */
export function lruLfuRecords(s: Server): { lru: boolean; lfu: boolean } {
  const policy = s.config.str('maxmemory-policy');
  return { lru: policy.includes('lru'), lfu: policy.includes('lfu') };
}

/**
 * A streaming writer's first buffer: twice what it holds before a flush (rdb-writer FLUSH_AT),
 * grown only for a record bigger than that. Not megabytes: a big off-heap allocation at the start
 * of every BGSAVE made V8 start a full mark-compact, whose pause then landed inside the save.
 */
const STREAMED_WRITER_BYTES = 512 * 1024;
/**
 * The last finished streaming writer's buffer (releaseFileWriter), taken by the next one: a new
 * 512 KB off-heap buffer per save is counted by V8 towards its next full GC, and with a few
 * saves in a row that GC started in the middle of one.
 */
let spareWriterBuf: Buffer | null = null;

export function newFileWriter(s: Server, sink: (b: Buffer, len: number) => void): RdbWriter {
  const w = new RdbWriter(writeOptions(s), sink, spareWriterBuf ?? STREAMED_WRITER_BYTES);
  spareWriterBuf = null;
  return w;
}

/** A streaming writer is done (nothing reads its buffer any more): its buffer serves the next. */
export function releaseFileWriter(w: RdbWriter): void {
  if (w.buf.length === STREAMED_WRITER_BYTES) spareWriterBuf = w.buf;
}

/** EOF and the CRC64 (zeros with rdbchecksum no); with a sink, flushes everything. */
export function writeRdbTrailer(s: Server, w: RdbWriter, streamed: boolean): Buffer {
  const sink = streamed;
  w.u8(F.RDB_OPCODE_EOF);
  w.ensure(8);
  if (s.config.bool('rdbchecksum')) {
    if (sink) {
      const st = { ...w.crc };
      // Fold the unflushed tail into the running CRC.
      const tail = crc64Tail(st, w.buf, w.pos);
      writeCrc64LE(tail, w.buf, w.pos);
    } else writeCrc64LE(crc64(w.buf, 0, w.pos), w.buf, w.pos);
  } else w.buf.fill(0, w.pos, w.pos + 8);
  w.pos += 8;
  if (sink) {
    w.flushRaw();
    return Buffer.alloc(0);
  }
  return w.buf.subarray(0, w.pos);
}

function crc64Tail(st: { hi: number; lo: number }, buf: Buffer, len: number) {
  crc64Update(st, buf, 0, len);
  return st;
}

/** Run `fn` with the server clock frozen (one time for every key lookup), unless already frozen. */
export function withFrozenClock<T>(s: Server, fn: () => T): T {
  if (s.clock.isFrozen) return fn();
  s.clock.freezeAt(performance.now());
  try {
    return fn();
  } finally {
    s.clock.unfreeze();
  }
}

/** SAVE: write dir/dbfilename atomically. Throws on I/O errors (after recording the failure). */
export function saveRdb(s: Server): void {
  const st = persistenceOf(s);
  const dir = s.config.str('dir');
  const file = path.join(dir, s.config.str('dbfilename'));
  const tmp = path.join(dir, `temp-${process.pid}.rdb`);
  const t0 = dateNow();
  let fd = -1;
  try {
    fd = fs.openSync(tmp, 'w');
    const out = fd;
    // rdb-save-incremental-fsync: fdatasync every AUTOSYNC_BYTES written (rioSetAutoSync).
    const autoSync = s.config.bool('rdb-save-incremental-fsync') ? AUTOSYNC_BYTES : 0;
    let unsynced = 0;
    withFrozenClock(s, () =>
      writeRdb(s, (b, len) => {
        let off = 0;
        while (off < len) off += fs.writeSync(out, b, off, len - off);
        if (autoSync > 0 && (unsynced += len) >= autoSync) {
          unsynced = 0;
          fs.fdatasyncSync(out);
        }
      }),
    );
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, file);
    try {
      const dfd = fs.openSync(dir, 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch {
      /* some filesystems refuse fsync on a directory */
    }
  } catch (e) {
    if (fd >= 0) fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* not created */
    }
    st.saveFailures++;
    s.logger.warn(`Failed opening the temp RDB file ${path.basename(tmp)} (in server root dir ${dir}) for saving: ${(e as Error).message}`);
    throw e;
  }
  st.saves++;
  st.lastSaveStatusOk = true;
  st.lastSaveDurationMs = dateNow() - t0;
  s.stats.dirty = 0;
  s.stats.lastSave = Math.floor(s.clock.now() / 1000);
  s.logger.info('DB saved on disk');
}

/**
 * FLUSHALL's save (Redis 7.0 flushAllDataAndResetRDB): with save points set, write the now empty
 * dataset so a restart does not bring the old keys back; then count the flush as one change.
 * Only when persistence is on (the embedding API keeps it off by default).
 */
export function flushallSave(s: Server): void {
  if (!persistenceOf(s).enabled || s.config.str('save').trim() === '') return;
  try {
    saveRdb(s);
  } catch {
    /* logged by saveRdb; Redis ignores the result too */
  }
}

export interface LoadResult {
  keysLoaded: number;
  keysExpired: number;
  /** Where the RDB ended (after EOF and the checksum): an AOF's commands follow its preamble there. */
  bytesRead: number;
}

/** The message Redis logs for a corrupt file. */
export function describeLoadError(e: unknown): string {
  if (e instanceof RdbError) return e.offset >= 0 ? `Internal error in RDB reading offset ${e.offset} -> ${e.message}` : e.message;
  return (e as Error).message;
}

/**
 * rdbLoad from a buffer into the server's dbs (which should be empty). Throws RdbError naming
 * the offset on any problem.
 */
export function loadRdbBuffer(s: Server, buf: Buffer, opts: RdbLoadOptions = {}): LoadResult {
  const load = new RdbLoad(s, buf, opts);
  load.step(Infinity);
  return load.result();
}

/**
 * objectSetLRUOrLFU: under an LFU maxmemory-policy the FREQ value is applied, under any other
 * policy the IDLE time (as Redis 7.0 does for RDB records and RESTORE IDLETIME/FREQ).
 */
export function applyAccess(s: Server, db: Db, key: Buffer, idleSecs: number, freq: number): void {
  if (s.config.str('maxmemory-policy').includes('lfu')) {
    if (freq >= 0) db.setAccess(key, -1, freq);
  } else if (idleSecs >= 0) db.setAccess(key, idleSecs, -1);
}

/** RangeError from a bounds-checked read: the file ends early. */
function asRdbError(e: unknown): unknown {
  return e instanceof RangeError ? new RdbError(`Unexpected end of data (${e.message})`, -1) : e;
}

/** Keys per fast-path call in a sliced load (the slice's time is checked after each call). */
const FAST_SLICE_KEYS = 1024;

export interface RdbLoadOptions {
  /**
   * Keep keys whose TTL already passed (RDBFLAGS_AOF_PREAMBLE): an AOF's RDB base is loaded as it
   * is, since the incr commands after it replay against that exact keyspace.
   */
  keepExpired?: boolean;
  /**
   * RDBFLAGS_ALLOW_DUP (DEBUG RELOAD MERGE): a key already in the dataset is replaced by the
   * file's record, and a library already loaded by the file's; otherwise either is an error.
   */
  allowDup?: boolean;
}

/**
 * One load of an RDB buffer, resumable: `step(budgetMs)` reads records for about that long (so
 * the CLI can serve LOADING replies between slices). Throws RdbError naming the offset.
 */
export class RdbLoad {
  private readonly r: RdbReader;
  private readonly ver: number;
  private readonly now: number;
  private db: Db;
  private expireAt = -1;
  private idle = -1;
  private freq = -1;
  keysLoaded = 0;
  keysExpired = 0;
  private emptyKeysSkipped = 0;
  /** The used-mem AUX field (loading_rdb_used_mem). */
  rdbUsedMem = 0;
  finished = false;
  /** The engine's fast path for common key records (Engine.rdbFastLoader), null without one. */
  private fast: RdbFastLoader | null;
  /** Where the fast path last declined: the JS reader takes that record. */
  private jsAt = -1;
  /** key-load-delay (µs per key, see debugDelay); the fast path is off while it is set. */
  private readonly keyDelay: number;

  constructor(
    private readonly s: Server,
    readonly buf: Buffer,
    private readonly opts: RdbLoadOptions = {},
  ) {
    this.keyDelay = s.config.int('key-load-delay');
    let fast: RdbFastLoader | null = null;
    try {
      const ver = rdbFileVersion(buf);
      this.ver = ver;
      fast = this.keyDelay === 0 ? (s.engine.rdbFastLoader?.(buf) ?? null) : null;
      // With a checksum, verify it before storing anything (a damaged file then changes nothing).
      if (ver >= 5 && buf.length >= 17 && s.config.bool('rdbchecksum') && !skipChecksum(s)) {
        const tail = buf.length - 8;
        const zero = buf.readUInt32LE(tail) === 0 && buf.readUInt32LE(tail + 4) === 0;
        if (!zero && buf[tail - 1] === F.RDB_OPCODE_EOF) {
          // (The engine's own pass when it has one: where it will read the file from.)
          const c = fast?.checksum?.(tail) ?? crc64(buf, 0, tail);
          if (!crc64EqualsLE(c, buf, tail)) {
            throw new RdbError(`Wrong RDB checksum expected: (${buf.readBigUInt64LE(tail).toString(16)}) got: (${crc64Hex(c).replace(/^0+(?=.)/, '')}). RDB CRC error`, tail);
          }
        }
      }
    } catch (e) {
      fast?.done();
      throw asRdbError(e);
    }
    this.fast = fast;
    this.r = new RdbReader(buf, readOptions(s), 9);
    this.now = s.clock.now();
    this.db = s.dbs[0];
  }

  /** Bytes read so far. */
  get pos(): number {
    return this.r.pos;
  }

  /** Read records for about `budgetMs` (Infinity: to the end). Returns true when done. */
  step(budgetMs: number, budgetBytes = Infinity): boolean {
    this.s.rdbStoring = true;
    try {
      const done = this.stepUnchecked(budgetMs, budgetBytes);
      if (done) this.releaseFast();
      return done;
    } catch (e) {
      this.releaseFast();
      throw asRdbError(e);
    } finally {
      this.s.rdbStoring = false;
    }
  }

  private releaseFast(): void {
    this.fast?.done();
    this.fast = null;
  }

  result(): LoadResult {
    return { keysLoaded: this.keysLoaded, keysExpired: this.keysExpired, bytesRead: this.r.pos };
  }

  /** A step reads for about budgetMs, and stops after about budgetBytes of the file. */
  private stepUnchecked(budgetMs: number, budgetBytes: number): boolean {
    if (this.finished) return true;
    const { r, buf, s } = this;
    const sc = scriptingOf(s);
    const start = budgetMs === Infinity ? 0 : performance.now();
    const endPos = r.pos + budgetBytes;
    const fast = this.fast;
    const limits = fast !== null ? encodingLimits(s.config) : null;
    // (With key-load-delay every key costs its delay: the budget is checked at every record.)
    const checkMask = this.keyDelay !== 0 ? 0 : 255;
    let n = 0;
    for (;;) {
      if (budgetMs !== Infinity && (++n & checkMask) === 0 && performance.now() - start >= budgetMs) return false;
      if (r.pos >= endPos) return false;
      if (fast !== null && r.pos !== this.jsAt && this.expireAt === -1 && this.idle === -1 && this.freq === -1) {
        // Many key records in one engine call; what it declines is read below.
        const used = fast.run(this.db, r.pos, this.now, limits!, budgetMs === Infinity ? 0x40000000 : FAST_SLICE_KEYS);
        if (used > 0) {
          r.pos += used;
          this.keysLoaded += fast.keys;
          if (budgetMs !== Infinity && performance.now() - start >= budgetMs) return false;
          continue;
        }
        this.jsAt = r.pos;
      }
      const opAt = r.pos;
      const type = r.u8();
      if (type === F.RDB_OPCODE_EXPIRETIME) {
        r.need(4);
        this.expireAt = buf.readInt32LE(r.pos) * 1000;
        r.pos += 4;
        continue;
      }
      if (type === F.RDB_OPCODE_EXPIRETIME_MS) {
        this.expireAt = r.millis();
        continue;
      }
      if (type === F.RDB_OPCODE_FREQ) {
        this.freq = r.u8();
        continue;
      }
      if (type === F.RDB_OPCODE_IDLE) {
        const v = r.lenU64();
        this.idle = typeof v === 'bigint' ? Number.MAX_SAFE_INTEGER : v;
        continue;
      }
      if (type === F.RDB_OPCODE_EOF) break;
      if (type === F.RDB_OPCODE_SELECTDB) {
        const id = r.len();
        if (id >= s.dbs.length) {
          throw new RdbError(`FATAL: Data file was created with a Redis server configured to handle more than ${s.dbs.length} databases. Exiting`, opAt);
        }
        this.db = s.dbs[id];
        continue;
      }
      if (type === F.RDB_OPCODE_RESIZEDB) {
        const size = r.lenU64();
        r.lenU64();
        // Size the keyspace once, as rdbLoad's dictExpand (at most one key per 3 bytes left).
        if (fast !== null && typeof size === 'number') fast.resize(this.db, Math.min(size, Math.floor((buf.length - r.pos) / 3)));
        continue;
      }
      if (type === F.RDB_OPCODE_AUX) {
        const k = r.string();
        const v = r.string();
        if (k.length === 8 && k.latin1Slice(0, 8) === 'used-mem') this.rdbUsedMem = Number(v.latin1Slice(0, v.length)) || 0;
        continue;
      }
      if (type === F.RDB_OPCODE_MODULE_AUX) {
        const { v } = r.lenOrEnc();
        throw new RdbError(`The RDB file contains AUX module data I can't load: no matching module '${F.moduleNameFromId(BigInt(v))}'`, opAt);
      }
      if (type === F.RDB_OPCODE_FUNCTION_PRE_GA) throw new RdbError('Pre-release function format not supported.', opAt);
      if (type === F.RDB_OPCODE_FUNCTION2) {
        const code = Buffer.from(r.string());
        const res = sc.loadLibrary(code, this.opts.allowDup === true);
        if ('error' in res) throw new RdbError(`Failed loading library: ${res.error}`, opAt);
        continue;
      }
      if (!F.isObjectType(type)) throw new RdbError(`Unknown RDB encoding type ${type}`, opAt);
      const key = r.string();
      let value: RedisValue;
      try {
        value = r.object(type);
      } catch (e) {
        if (e instanceof EmptyKeyError) {
          // Redis skips empty keys, naming the first ten.
          if (this.emptyKeysSkipped++ < 10) s.logger.warn(`rdbLoadObject skipping empty key: ${key.latin1Slice()}`);
          this.expireAt = this.idle = this.freq = -1;
          continue;
        }
        throw e;
      }
      const db = this.db;
      if (this.expireAt !== -1 && this.expireAt < this.now && !this.opts.keepExpired) {
        this.keysExpired++;
      } else {
        const before = db.size();
        db.set(key, value);
        // (MERGE: set() replaced the value and dropped its TTL, as dbSyncDelete + dbAddRDBLoad.)
        if (db.size() !== before + 1 && this.opts.allowDup !== true) throw new RdbError(`RDB has duplicated key '${key.latin1Slice()}' in DB ${db.index}`, opAt);
        if (this.expireAt !== -1) db.setExpire(key, this.expireAt);
        if (this.idle >= 0 || this.freq >= 0) applyAccess(s, db, key, this.idle, this.freq);
        this.keysLoaded++;
      }
      this.expireAt = this.idle = this.freq = -1;
      if (this.keyDelay !== 0) debugDelay(this.keyDelay);
    }
    if (this.ver >= 5) {
      if (r.pos + 8 > buf.length) throw new RdbError('Unexpected EOF reading RDB file', r.pos);
      r.pos += 8;
    }
    const st = persistenceOf(s);
    st.keysLoaded = this.keysLoaded;
    st.keysExpiredAtLoad = this.keysExpired;
    if (this.emptyKeysSkipped) s.logger.warn(`Done loading RDB, keys loaded: ${this.keysLoaded}, keys expired: ${this.keysExpired}, empty keys skipped: ${this.emptyKeysSkipped}.`);
    else s.logger.info(`Done loading RDB, keys loaded: ${this.keysLoaded}, keys expired: ${this.keysExpired}.`);
    this.finished = true;
    return true;
  }
}

const delayCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * debugDelay (Redis's key-load-delay, per key): sleep `usec` microseconds, blocking as Redis's
 * usleep does; a negative value sleeps 1 µs once every -usec calls on average.
 */
function debugDelay(usec: number): void {
  if (usec < 0) usec = Math.floor(Math.random() * -usec) === 0 ? 1 : 0;
  if (usec > 0) Atomics.wait(delayCell, 0, 0, usec / 1000);
}

/**
 * rdbReportError while loading the file at start: redis-check-rdb's report of dir/dbfilename
 * (rdb-check.ts), for an error the file's contents caused; [] for any other.
 */
export function checkRdbFileReport(s: Server, e: unknown): string[] {
  if (!(e instanceof RdbError) || /^(Wrong signature|Can't handle RDB format version)/.test(e.message)) return [];
  const buf = readRdbFile(s);
  return buf === null ? [] : rdbCheckReport(buf, s.config.str('dbfilename'), readOptions(s), s.config.bool('rdbchecksum'), describeLoadError);
}

/** The bytes of dir/dbfilename, or null when there is no such file. */
export function readRdbFile(s: Server): Buffer | null {
  try {
    return fs.readFileSync(path.join(s.config.str('dir'), s.config.str('dbfilename')));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Load dir/dbfilename when it exists. Returns null when there is no file. */
export function loadRdbFile(s: Server, opts: RdbLoadOptions = {}): LoadResult | null {
  const buf = readRdbFile(s);
  if (buf === null) return null;
  const t0 = dateNow();
  const res = withFrozenClock(s, () => loadRdbBuffer(s, buf, opts));
  const secs = (dateNow() - t0) / 1000;
  s.logger.info({ keys: res.keysLoaded, expired: res.keysExpired, mb_per_s: secs > 0 ? +(buf.length / 1048576 / secs).toFixed(1) : null }, `DB loaded from disk: ${secs.toFixed(3)} seconds`);
  s.stats.lastSave = Math.floor(s.clock.now() / 1000);
  return res;
}

// ------------------------------------------------------------------ DUMP / RESTORE payloads

/** createDumpPayload: object + RDB version (u16 LE) + CRC64 (LE). */
export function dumpPayload(s: Server, v: RedisValue): Buffer {
  const w = new RdbWriter(writeOptions(s), null, 256);
  w.value(v);
  return payloadFooter(w);
}

/** A DUMP-style payload's footer after what `w` holds: RDB version (u16 LE), CRC64 (LE). */
function payloadFooter(w: RdbWriter): Buffer {
  w.ensure(10);
  w.buf.writeUInt16LE(F.RDB_VERSION, w.pos);
  w.pos += 2;
  writeCrc64LE(crc64(w.buf, 0, w.pos), w.buf, w.pos);
  w.pos += 8;
  return Buffer.from(w.buf.subarray(0, w.pos));
}

/** verifyDumpPayload: true when the version and checksum are acceptable (the checksum unless DEBUG SET-SKIP-CHECKSUM-VALIDATION). */
export function verifyPayload(s: Server, p: Buffer): boolean {
  if (p.length < 10) return false;
  const footer = p.length - 10;
  const ver = p[footer] | (p[footer + 1] << 8);
  if (ver > F.RDB_VERSION) return false;
  if (skipChecksum(s)) return true;
  return crc64EqualsLE(crc64(p, 0, p.length - 8), p, footer + 2);
}

/**
 * rdbLoadObjectType + rdbLoadObject from a verified payload; null on any format problem, which
 * is logged at verbose level (rdbReportError in a RESTORE context).
 */
export function loadPayload(s: Server, p: Buffer): RedisValue | null {
  try {
    // Redis reads the object from the whole payload (footer included), so do the same.
    const r = new RdbReader(p, readOptions(s), 0, p.length);
    const type = r.u8();
    if (!F.isObjectType(type)) return null;
    return r.object(type);
  } catch (e) {
    if (!(e instanceof RdbError || e instanceof RangeError)) throw e;
    const err = asRdbError(e) as RdbError;
    s.logger.debug(err.detail ? { detail: err.detail } : {}, describeLoadError(err));
    return null;
  }
}

// ------------------------------------------------------------------ FUNCTION DUMP / RESTORE payloads

/** functionDumpCommand: the FUNCTION2 records (as in an RDB file), RDB version (u16 LE), CRC64. */
export function functionsPayload(s: Server): Buffer {
  const w = new RdbWriter(writeOptions(s), null, 256);
  writeFunctions(s, w);
  return payloadFooter(w);
}

/**
 * functionRestoreCommand's reading of a payload: each library's code, or Redis's error text.
 * Pre-GA records (name, engine, optional description, blob) are translated to the shebang form,
 * as rdbFunctionLoad does.
 */
export function readFunctionsPayload(s: Server, p: Buffer): Buffer[] | string {
  if (!verifyPayload(s, p)) return 'ERR DUMP payload version or checksum are wrong';
  const r = new RdbReader(p, readOptions(s), 0, p.length);
  const codes: Buffer[] = [];
  const str = (err: string): Buffer => {
    try {
      return Buffer.from(r.string());
    } catch (e) {
      if (e instanceof RdbError || e instanceof RangeError) throw new RdbError(err, -1);
      throw e;
    }
  };
  try {
    while (p.length - r.pos > 10) {
      const type = r.u8();
      if (type === F.RDB_OPCODE_FUNCTION_PRE_GA) {
        const name = str('Failed loading library name');
        const engine = str('Failed loading engine name');
        let hasDesc: number;
        try {
          hasDesc = r.len();
        } catch {
          throw new RdbError('Failed loading library description indicator', -1);
        }
        if (hasDesc) str('Failed loading library description');
        const blob = str('Failed loading library blob');
        codes.push(Buffer.concat([Buffer.from('#!'), engine, Buffer.from(' name='), name, Buffer.from('\n'), blob]));
      } else if (type === F.RDB_OPCODE_FUNCTION2) {
        codes.push(str('Failed loading library payload'));
      } else return 'ERR given type is not a function';
    }
  } catch (e) {
    if (e instanceof RdbError) return `ERR ${e.message}`;
    throw e;
  }
  return codes;
}
