/**
 * The `wasm` engine: keyspaces, lists, hashes, sets and sorted sets in WebAssembly linear memory
 * (assembly/), streams as the shared JS container.
 *
 * Per Db: a keyspace in WASM (assembly/keyspace.ts) whose entries hold either the string bytes or
 * a handle: an index into this Db's `handles` array of container objects. Handles are recycled
 * through a free list. JS containers are attached to the Db's MemoryAccount (replaced on clear,
 * as in js-map). Lists, hashes, sets and sorted sets are stored as native handles (no JS object
 * per key; refs counted in linear memory, see native.ts).
 *
 * Background work (Engine.backgroundWork): incremental rehash of every Db, freeing of cleared
 * keyspace tables (gcStep) and of unreferenced native collections in bounded steps (ncFreeStep).
 *
 * Semantics notes (see types.ts):
 * - Lazy expiry on every lookup: expired when now > expireAt (Redis's keyIsExpired), the expired
 *   hook fires with the key as a latin1 string.
 * - Overwriting an expired key with set() also fires the hook for the old key (Redis's setKey
 *   goes through lookupKeyWrite, which expires it first).
 * - lru has one-second resolution (Redis's LRU clock too); freq is Redis's logarithmic LFU counter
 *   (initial 5, lfu-log-factor 10, lfu-decay-time 1 minute).
 */
import { APPEND_MISSING, APPEND_TOO_BIG, APPEND_WRONGTYPE, BitOp, EDIT_OTHER_LENGTH, EMBSTR_MAX, PEEK_MISSING, PEEK_WRONGTYPE, StrEnc } from '../types';
import type {
  EngineSettings, LaneParams,
  SnapshotHook, BulkSink, BulkValue, Bytes, Clock, Container, Db, Engine, ExpireCycleStats, ExpiredHook, NewKeyHook, KeyInfo,
  HashValue, HllRegisters, ListValue, MemoryAccount, RdbFastLoader, RdbRecordSink, RdbSaveSettings, RedisValue, SetValue, SnapshotWalk, StringEdit, StringPeek, TableStats, ZSetValue,
} from '../types';
import { jsContainers } from '../containers';
import { WasmInstance, WasmOutOfMemoryError } from './loader';
import { LANE_IDS, LANE_NO_STRING_EDIT, LANE_PREFETCH, LANE_RESP3, LS_CMDS, LS_DIRTY, LS_HITS, LS_INCOMPLETE, LS_LAST, LS_MISSES, LS_OOM, NO_PATTERN, R_F64, R_HANDLE, R_LEN, R_LRU, R_MISC, R_PTR, ST_EXPIRED, ST_HANDLE, ST_MISSING, ST_OOM, ST_STRING, ST_TOOBIG, VLEN_HANDLE } from './abi';
import { WasmZSet, ZSetHost } from './zset';
import { NativeCollection, NativeHost, NK_HASH, NK_LIST, NK_ZSET, dictTableStats, isNativeHandle, nativePtr } from './native';
import { WasmHash, NO_LIMIT } from './hash';
import { WasmSet, INTSET_HARD_MAX } from './set';
import { WasmHllRegisters } from './hll';
import { WasmList, setListFill } from './list';
import { WasmRdbLoader, saveBatch, WALK_DONE } from './rdbload';
import { copyAll } from '../../util/bytes';
import { performance } from '../../util/real-timers';

/** TypedArray#fill (Buffer#fill validates its arguments first: ~4% of a BITFIELD that creates its key). */
const U8_FILL = Uint8Array.prototype.fill;

const NO_BYTES = Buffer.alloc(0);

export { WasmOutOfMemoryError } from './loader';
export { WasmZSet } from './zset';

/** Values up to this size are returned from get() as latin1 strings, longer ones as Buffers. */
const STRING_OUT_MAX = 4096;
/** Bytes of a pipelined batch handed to dbPrefetch (fits the initial scratch region). */
const PREFETCH_BYTES = 4096;
/**
 * Input bytes one laneRun call gets (Db.runLane): a few hundred commands; the first call of a
 * runLane gets LANE_FIRST_INPUT, so a run that stops at its first frames copies little (the server
 * also backs off: see src/server/lane.ts).
 */
const LANE_INPUT_MAX = 8192;
const LANE_FIRST_INPUT = 1024;
/** Stats block fields (u32 indexes, abi.ts LS_*) summed over a runLane's windows; the others are the last run's. */
const LANE_SUMS = [LS_DIRTY >> 2, LS_CMDS >> 2, LS_HITS >> 2, LS_MISSES >> 2];
const LAST_AT = LS_LAST >> 2;
const OOM_AT = LS_OOM >> 2;
const INCOMPLETE_AT = LS_INCOMPLETE >> 2;
/** Keys below which a Db skips the prefetch (see prefetch). */
const PREFETCH_MIN_KEYS = 65536;

/** Buckets moved per Db per background step (Redis's databasesCron uses 100). */
const REHASH_BATCH = 100;
const GC_BATCH = 1024;
/** Elements of unreferenced native collections freed per background step. */
const NATIVE_FREE_BATCH = 4096;
/** Slots of the native view cache (WasmEngine.view). */
const VIEW_SLOTS = 256;

function isString(v: RedisValue): v is BulkValue {
  return typeof v === 'string' || v instanceof Uint8Array;
}

class WasmDb implements Db {
  snapshotHook: SnapshotHook | null = null;
  /** Db.laneMaxmemory: laneRun stops before a frame once the arena is past arenaLimit. */
  readonly laneMaxmemory = true;
  /**
   * Keys whose string is StrEnc.Plain (INCRBYFLOAT's results: never int-encoded). StrEnc.Raw,
   * the common note (APPEND, SETRANGE, SETBIT, BITFIELD, PFADD write in place), is a bit in the
   * key's entry instead (F_RAWENC in assembly/keyspace.ts): no JS string or map entry per write.
   */
  private readonly rawKeys = new Map<string, StrEnc>();
  private ptr: number;
  private handles: (Container | undefined)[] = [];
  private freeHandles: number[] = [];
  /** Bytes of attached JS containers; replaced by clear(). */
  account: MemoryAccount = { bytes: 0 };

  constructor(
    private readonly engine: WasmEngine,
    public index: number,
    private readonly clock: Clock,
    private readonly onExpired: ExpiredHook,
    private readonly onNewKey?: NewKeyHook,
  ) {
    this.ptr = engine.w.x.dbCreate() >>> 0;
    if (this.ptr === 0) throw new WasmOutOfMemoryError('createDb');
  }

  /** Native pointer (for tests and the engine's background work). */
  get nativePtr(): number {
    return this.ptr;
  }

  /** The keyspace for the RDB fast path (rdbload.ts), or -1 while a snapshot or OBJECT ENCODING notes need set(). */
  rdbFastPtr(): number {
    return this.snapshotHook === null && this.rawKeys.size === 0 ? this.ptr : -1;
  }

  size(): number {
    return this.engine.w.x.dbSize(this.ptr) >>> 0;
  }

  expiresSize(): number {
    return this.engine.w.x.dbExpiresSize(this.ptr) >>> 0;
  }

  keyspaceOverhead(): { main: number; expires: number } {
    const x = this.engine.w.x;
    return { main: x.dbMainOverhead(this.ptr), expires: x.dbExpiresOverhead(this.ptr) };
  }

  /** The keyspace is a dict.ts dict at the head of the db header (assembly/keyspace.ts). */
  keyspaceStats(): TableStats {
    return dictTableStats(this.engine.w, this.ptr);
  }

  // -- handles ------------------------------------------------------------------------------

  private newHandle(v: Container): number {
    const h = this.freeHandles.length > 0 ? this.freeHandles.pop()! : this.handles.length;
    this.handles[h] = v;
    return h;
  }

  /** The slot `h` no longer holds its container (removed, overwritten or expired). */
  private dropHandle(h: number, keep?: Container): void {
    if (h < 0) return;
    if (isNativeHandle(h)) {
      this.engine.w.x.ncUnref(nativePtr(h));
      return;
    }
    const c = this.handles[h];
    this.handles[h] = undefined;
    this.freeHandles.push(h);
    if (c === undefined) return;
    if (c !== keep) {
      // JS containers are counted in the db account while stored.
      this.account.bytes -= c.memoryUsage();
      c.attach(null);
    }
  }

  /** A native call found `key` expired and unlinked it: drop its container handle, fire the hook. */
  private reclaimExpired(key: Bytes): void {
    this.dropHandle(this.engine.w.resI32(R_HANDLE));
    this.forgetEncoding(key);
    this.expired(key);
  }

  /**
   * Drop the key's Plain note (rawKeys), if any: the key is gone (so the map cannot grow without
   * bound) or its value was replaced or written in place.
   */
  private forgetEncoding(key: Bytes | string): void {
    if (this.rawKeys.size > 0) this.rawKeys.delete(typeof key === 'string' ? key : key.latin1Slice(0, key.length));
  }

  private expired(key: Bytes | string): void {
    const k = typeof key === 'string' ? key : key.latin1Slice(0, key.length);
    this.onExpired(this, k);
  }

  // -- lookups ------------------------------------------------------------------------------

  get(key: Bytes, noTouch?: boolean): RedisValue | undefined {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbLookup(this.ptr, n, this.clock.now(), noTouch ? 0 : 1);
    if (st === ST_STRING) {
      w.sync();
      const r = w.res >> 2;
      const p = w.i32[r] >>> 0;
      const len = w.i32[r + 1] >>> 0;
      // Short values as latin1 strings (measured ~1.6x faster to make than a Buffer copy, and
      // what js-map returns); long ones as a Buffer copy.
      return len <= STRING_OUT_MAX ? w.u8.latin1Slice(p, p + len) : w.copyOut(p, len);
    }
    if (st === ST_HANDLE) return this.container(w.resI32(R_HANDLE));
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
    }
    return undefined;
  }

  /** The container of a handle: a JS container, or a view of a native collection. */
  private container(h: number): RedisValue {
    return isNativeHandle(h) ? this.engine.view(nativePtr(h)) : this.handles[h] as RedisValue;
  }

  /** Db.writeBulk (types.ts): GET's reply written from linear memory into `out`. */
  writeBulk(key: Bytes, out: BulkSink, noTouch?: boolean): number {
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbLookup(this.ptr, n, this.clock.now(), noTouch ? 0 : 1);
    if (st === ST_STRING) {
      w.sync();
      const r = w.res >> 2;
      out.bulkBytes(w.u8, w.i32[r] >>> 0, w.i32[r + 1] >>> 0);
      return 1;
    }
    if (st === ST_HANDLE) return -1;
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
    }
    return 0;
  }

  /** Keys below which prefetch() does nothing (tests set 0 to exercise dbPrefetch on small dbs). */
  prefetchMinKeys = PREFETCH_MIN_KEYS;

  /**
   * Db.prefetch: copy (a bounded part of) the batch into scratch and let dbPrefetch touch it.
   * Not for a keyspace small enough to stay in the caches (below PREFETCH_MIN_KEYS), where there
   * are no misses to overlap: the copy and the parse then only cost (~5% of an LPUSH or SADD on
   * one key; GET of random keys measured no better with it up to 40,000 keys, 1.2x at 100,000).
   */
  prefetch(input: Buffer, start: number, maxCommands: number): void {
    const w = this.engine.w;
    if (w.x.dbSize(this.ptr) >>> 0 < this.prefetchMinKeys) return;
    const len = Math.min(input.length - start, PREFETCH_BYTES);
    if (len <= 0 || len > w.scratchCap) return;
    w.sync();
    w.u8.set(input.subarray(start, start + len), w.scratch);
    w.x.dbPrefetch(this.ptr, len, maxCommands);
  }

  /**
   * Db.runLane: copy the input to scratch a window at a time and let laneRun (assembly/lane.ts)
   * run the simple commands at its start; each window's replies are copied out once, the stats
   * of its block summed.
   */
  runLane(input: Buffer, start: number, p: LaneParams, out: BulkSink, stats: Uint32Array): number {
    if (this.snapshotHook !== null) return 0;
    const engine = this.engine;
    const w = engine.w;
    setListFill(engine, p.listFill);
    let flags = p.resp3 ? LANE_RESP3 : 0;
    if (w.x.dbSize(this.ptr) >>> 0 >= this.prefetchMinKeys) flags |= LANE_PREFETCH;
    if (this.rawKeys.size > 0) flags |= LANE_NO_STRING_EDIT;
    const maxIntset = Math.min(Math.max(p.maxIntset, 0), INTSET_HARD_MAX);
    const at = engine.laneStatsAt >> 2;
    stats.fill(0);
    let pos = start;
    // A first window of LANE_FIRST_INPUT bytes: a run that stops at its first frames (the next
    // command is not the lane's) copies little. When a frame is cut by the window's end, the
    // rest follows in windows of LANE_INPUT_MAX.
    let window = LANE_FIRST_INPUT;
    for (;;) {
      const len = Math.min(input.length - pos, window);
      if (len < 8) break;
      w.ensureScratch(len);
      w.sync();
      input.copy(w.u8, w.scratch, pos, pos + len);
      const used = w.x.laneRun(this.ptr, w.scratch, len, this.clock.now(), flags, maxIntset, Math.min(p.hashMaxValue, NO_LIMIT), Math.min(p.hashMaxEntries, NO_LIMIT), p.maxBulkLen, Math.min(p.zsetMaxEntries, NO_LIMIT), Math.min(p.zsetMaxValue, NO_LIMIT), Math.min(p.maxValue, NO_LIMIT)) >>> 0;
      w.sync();
      const i32 = w.i32;
      for (let i = 0; i < LANE_IDS; i++) stats[i] += i32[at + i];
      for (const f of LANE_SUMS) stats[f] += i32[at + f];
      if (i32[at + LAST_AT] !== 0) stats[LAST_AT] = i32[at + LAST_AT];
      stats[OOM_AT] = i32[at + OOM_AT];
      const n = w.outLen();
      if (n > 0) out.rawBytes(w.u8, w.outPtr(), n);
      pos += used;
      if (stats[OOM_AT] !== 0 || i32[at + INCOMPLETE_AT] === 0 || pos + len - used >= input.length || (used === 0 && window === LANE_INPUT_MAX)) break;
      window = LANE_INPUT_MAX;
    }
    return pos - start;
  }

  has(key: Bytes): boolean {
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbLookup(this.ptr, n, this.clock.now(), 0);
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
      return false;
    }
    return st !== ST_MISSING;
  }

  set(key: Bytes, value: RedisValue, keepTtl = false, strEnc: StrEnc = StrEnc.Auto): void {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    // A Plain note lives in rawKeys (a stale name left by expiry is reset here); Raw is the
    // entry's F_RAWENC bit, which every new value clears unless set again.
    if (strEnc === StrEnc.Plain) this.rawKeys.set(key.latin1Slice(0, key.length), strEnc);
    else this.forgetEncoding(key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const now = this.clock.now();
    if (isString(value)) {
      this.setString(key, n, value.length, keepTtl, now, value, 0, strEnc === StrEnc.Raw);
      return;
    }
    if (value instanceof NativeCollection) return this.setNative(key, n, value, keepTtl, now);
    const c = value as Container;
    const h = this.newHandle(c);
    const st = w.x.dbSetHandle(this.ptr, n, h, keepTtl ? 1 : 0, now);
    if (st < 0) {
      this.handles[h] = undefined;
      this.freeHandles.push(h);
      throw new WasmOutOfMemoryError('SET');
    }
    const old = w.resI32(R_HANDLE);
    const misc = w.resU32(R_MISC);
    const wasExpired = misc === 2;
    const prev = old >= 0 ? this.handles[old] : undefined;
    this.dropHandle(old, c);
    if (prev !== c) this.account.bytes += c.memoryUsage();
    c.attach(this.account);
    if (wasExpired) this.expired(key);
    if (misc !== 1 && this.onNewKey) this.onNewKey(this, key);
  }

  /**
   * set() of a string of vlen bytes (the key already in scratch, klen bytes): from `value`, or,
   * when value is null, copied inside linear memory from address `from` (BITOP's result), or left
   * for the caller to fill when `from` is -1; `raw` marks it raw-encoded. Returns the address of
   * the new value's bytes (valid until the next allocation).
   */
  private setString(key: Bytes, klen: number, vlen: number, keepTtl: boolean, now: number, value: BulkValue | null, from: number, raw: boolean): number {
    const w = this.engine.w;
    if (vlen > 0xffffffff) throw new WasmOutOfMemoryError('SET');
    const st = w.x.dbSetStr(this.ptr, klen, vlen, (keepTtl ? 1 : 0) | (raw ? 2 : 0), now);
    if (st < 0) throw new WasmOutOfMemoryError('SET');
    w.sync();
    const vp = vlen > 0 ? w.resU32(R_PTR) : 0;
    if (vlen > 0) {
      if (value === null) {
        if (from >= 0) w.u8.copyWithin(vp, from, from + vlen);
      } else if (typeof value === 'string') w.u8.latin1Write(value, vp, vlen);
      else copyAll(w.u8, vp, value);
    }
    const old = w.resI32(R_HANDLE);
    const misc = w.resU32(R_MISC);
    this.dropHandle(old);
    if (misc === 2) this.expired(key);
    if (misc !== 1 && this.onNewKey) this.onNewKey(this, key);
    return vp;
  }

  /** Db.incrBy (types.ts): one dbIncrBy call (assembly/keyspace.ts), no value copied out or in. */
  incrBy(key: Bytes, by: number): number {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbIncrBy(this.ptr, n, by, this.clock.now());
    if (st === ST_STRING || st === ST_MISSING) {
      // As set() of a default-encoded string: the key's OBJECT ENCODING note (if any) goes.
      this.forgetEncoding(key);
      if (st === ST_MISSING && this.onNewKey) this.onNewKey(this, key);
      return w.resF64(R_F64);
    }
    if (st === ST_EXPIRED) this.reclaimExpired(key);
    else if (st === ST_OOM) throw new WasmOutOfMemoryError('INCRBY');
    return NaN;
  }

  /**
   * Db.listPush (types.ts): the key and the elements written to scratch together, one
   * dbListPush call (assembly/list.ts) looks the list up and pushes; no view, no second crossing.
   */
  listPush(key: Bytes, tail: boolean, args: Bytes[], from: number, fill: number): number {
    if (this.snapshotHook !== null) return -1;
    const engine = this.engine;
    setListFill(engine, fill);
    const klen = this.putKeyRecords(key, args, from, args.length);
    const r = engine.w.x.dbListPush(this.ptr, klen, this.clock.now(), tail ? 1 : 0, args.length - from);
    if (r === -2) return -1;
    if (r < 0) throw new WasmOutOfMemoryError(tail ? 'RPUSH' : 'LPUSH');
    return r >>> 0;
  }

  /** Db.setAdd (types.ts): dbSetAdd (assembly/set.ts) looks the set up and adds, one crossing. */
  setAdd(key: Bytes, args: Bytes[], from: number, maxIntset: number): number {
    if (this.snapshotHook !== null) return -1;
    const klen = this.putKeyRecords(key, args, from, args.length);
    const r = this.engine.w.x.dbSetAdd(this.ptr, klen, this.clock.now(), args.length - from, Math.min(Math.max(maxIntset, 0), INTSET_HARD_MAX));
    if (r === -2) return -1;
    if (r < 0) throw new WasmOutOfMemoryError('SADD');
    return r;
  }

  /** Db.hashSet (types.ts): dbHashSet (assembly/hash.ts) looks the hash up and sets, one crossing. */
  hashSet(key: Bytes, args: Bytes[], from: number, maxValue: number, maxEntries: number): number {
    if (this.snapshotHook !== null) return -1;
    // hashTypeTryConversion converts before any pair is set: that case takes the general path.
    for (let i = from; i < args.length; i++) if (args[i].length > maxValue) return -1;
    const klen = this.putKeyRecords(key, args, from, args.length);
    const r = this.engine.w.x.dbHashSet(this.ptr, klen, this.clock.now(), (args.length - from) / 2, Math.min(maxValue, NO_LIMIT), Math.min(maxEntries, NO_LIMIT));
    if (r === -2) return -1;
    if (r < 0) throw new WasmOutOfMemoryError('HSET');
    return r;
  }

  /** The key, then args[from, to) as records, into scratch (the one-call writes' input). Returns the key's length. */
  private putKeyRecords(key: Bytes, args: Bytes[], from: number, to: number): number {
    this.engine.w.putRecords(args, from, to, key);
    return key.length;
  }

  /** Db.listPopOne (types.ts): one dbListPop call; the RESP bulk copied from the out buffer. */
  listPopOne(key: Bytes, tail: boolean, out: BulkSink): number {
    if (this.snapshotHook !== null) return -1;
    const w = this.engine.w;
    const n = w.putBytes(key);
    const r = w.x.dbListPop(this.ptr, n, this.clock.now(), tail ? 1 : 0);
    if (r === -2) return -1;
    if (r < 0) throw new WasmOutOfMemoryError('list pop output');
    w.sync();
    out.rawBytes(w.u8, w.outPtr(), w.outLen());
    return r >>> 0;
  }

  /** Db.popcount (types.ts): i64.popcnt over linear memory (assembly/bitops.ts). */
  popcount(p: StringPeek, from: number, to: number): number {
    return to > from ? this.engine.w.x.bitCount(p.start + from, to - from) >>> 0 : 0;
  }

  /**
   * Db.bitop (types.ts): the sources are read where they are. When the target is none of them,
   * its new value is allocated first (freeing its old value frees no source) and the result is
   * computed straight into it; otherwise into a temporary block that is then copied into the
   * target's new value (storing it frees the source's bytes), all inside linear memory.
   */
  bitop(op: BitOp, target: Bytes, sources: Bytes[]): number {
    const w = this.engine.w;
    const now = this.clock.now();
    const ptrs: number[] = [];
    const lens: number[] = [];
    let maxlen = 0;
    for (const key of sources) {
      const n = w.putBytes(key);
      const st = w.x.dbLookup(this.ptr, n, now, 0);
      const len = st === ST_STRING ? w.resU32(R_LEN) : 0;
      if (st === ST_EXPIRED) this.reclaimExpired(key);
      ptrs.push(st === ST_STRING ? w.resU32(R_PTR) : 0);
      lens.push(len);
      if (len > maxlen) maxlen = len;
    }
    if (maxlen === 0) return 0;
    // Lookups free nothing but expired keys, whose lengths are 0: the pointers stay valid.
    const direct = !sources.some((k) => k.equals(target));
    const size = (direct ? 0 : maxlen) + 8 * sources.length;
    const tmp = w.x.alloc(size) >>> 0;
    if (tmp === 0) throw new WasmOutOfMemoryError('BITOP');
    try {
      w.sync();
      const srcs = tmp + size - 8 * sources.length;
      const dv = new DataView(w.u8.buffer);
      for (let j = 0; j < sources.length; j++) {
        dv.setUint32(srcs + 8 * j, ptrs[j], true);
        dv.setUint32(srcs + 8 * j + 4, lens[j], true);
      }
      if (!direct) w.x.bitOp(op, tmp, srcs, sources.length, maxlen);
      if (this.snapshotHook !== null) this.snapshotHook.before(this, target);
      this.forgetEncoding(target);
      // Allocating the new value moves no other value: the sources' pointers stay valid.
      const vp = this.setString(target, w.putBytes(target), maxlen, false, now, null, direct ? -1 : tmp, true);
      if (direct) w.x.bitOp(op, vp, srcs, sources.length, maxlen);
    } finally {
      w.x.free(tmp, size);
    }
    return maxlen;
  }

  /** set() of a hash or set in linear memory: the keyspace holds its native handle. */
  private setNative(key: Bytes, n: number, c: NativeCollection, keepTtl: boolean | undefined, now: number): void {
    const w = this.engine.w;
    const st = w.x.dbSetHandle(this.ptr, n, c.handle(), keepTtl ? 1 : 0, now);
    if (st < 0) throw new WasmOutOfMemoryError('SET');
    const old = w.resI32(R_HANDLE);
    const misc = w.resU32(R_MISC);
    // Count the new slot first: re-storing a collection at its own key goes 1 -> 2 -> 1.
    c.stored();
    this.engine.rememberView(c);
    this.dropHandle(old);
    if (misc === 2) this.expired(key);
    if (misc !== 1 && this.onNewKey) this.onNewKey(this, key);
  }

  /** Db.append (types.ts): dbWriteAt grows the value inside linear memory. */
  append(key: Bytes, suffix: Bytes, maxLen: number): number {
    return this.writeAt(key, -1, suffix, maxLen, 'APPEND');
  }

  /** Db.setRange (types.ts). */
  setRange(key: Bytes, offset: number, bytes: Bytes, maxLen: number): number {
    return this.writeAt(key, offset, bytes, maxLen, 'SETRANGE');
  }

  /**
   * Db.editString (types.ts): dbWriteAt of zero bytes at offset minLen grows the value (zero
   * fill) and points RES ptr at value + minLen, so the value starts minLen bytes before it.
   */
  editString(key: Bytes, minLen: number, maxLen: number, create?: boolean): StringEdit | number {
    const n = this.writeAt(key, minLen, NO_BYTES, maxLen, 'SETBIT');
    if (n < 0) return n === APPEND_MISSING && create === true ? this.createZeroed(key, minLen, maxLen) : n;
    const w = this.engine.w;
    const e = this.edit;
    e.start = w.resU32(R_PTR) - minLen;
    e.length = n;
    e.oldLength = w.resU32(R_MISC);
    e.bytes = w.u8;
    return e;
  }
  private readonly edit: StringEdit = { bytes: new Uint8Array(0), start: 0, length: 0, oldLength: 0 };

  /** editString's create: one dbSetStr of len zero bytes, raw-encoded (set()'s work, zero-filled). */
  private createZeroed(key: Bytes, len: number, maxLen: number): StringEdit | number {
    if (len > maxLen) return APPEND_TOO_BIG;
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    this.forgetEncoding(key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbSetStr(this.ptr, n, len, 2, this.clock.now());
    if (st < 0) throw new WasmOutOfMemoryError('SETBIT');
    const vp = w.resU32(R_PTR); // syncs the views
    U8_FILL.call(w.u8, 0, vp, vp + len);
    const old = w.resI32(R_HANDLE);
    const misc = w.resU32(R_MISC);
    this.dropHandle(old);
    if (misc === 2) this.expired(key);
    if (misc !== 1 && this.onNewKey) this.onNewKey(this, key);
    // The hooks above call into the engine: the value stays where it is, the views may not.
    w.sync();
    const e = this.edit;
    e.start = vp;
    e.length = len;
    e.oldLength = 0;
    e.bytes = w.u8;
    return e;
  }

  /**
   * Db.editExact (types.ts): one dbLookup (touching, as dbWriteAt does). A value longer than
   * VAL_EMBED lives out of line and is written where it is; dbWriteAt would only have set its
   * F_RAWENC bit, which a string above EMBSTR_MAX bytes reports anyway. Shorter ones go through
   * editString.
   */
  editExact(key: Bytes, len: number): StringEdit | number {
    // (A snapshot hears of the key first, as editString tells it, even when nothing changes.)
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbLookup(this.ptr, n, this.clock.now(), 1);
    if (st === ST_STRING) {
      const ptr = w.resU32(R_PTR); // syncs the views
      if (w.resU32(R_LEN) !== len) return EDIT_OTHER_LENGTH;
      if (len <= this.engine.valEmbed || len <= EMBSTR_MAX) return this.editString(key, len, len);
      this.forgetEncoding(key);
      const e = this.edit;
      e.start = ptr;
      e.length = len;
      e.oldLength = len;
      e.bytes = w.u8;
      return e;
    }
    if (st === ST_HANDLE) return APPEND_WRONGTYPE;
    if (st === ST_EXPIRED) this.reclaimExpired(key);
    return APPEND_MISSING;
  }

  private writeAt(key: Bytes, offset: number, bytes: Bytes, maxLen: number, what: string): number {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    // dbWriteAt rewrites an embedded value through scratch, after the key.
    w.ensureScratch(key.length + this.engine.valEmbed);
    const n = w.putBytes(key);
    const st = w.x.dbWriteAt(this.ptr, n, offset, bytes.length, maxLen, this.clock.now());
    if (st === 1) {
      const dst = w.resU32(R_PTR); // syncs the views
      copyAll(w.u8, dst, bytes);
      // dbWriteAt marked the entry raw-encoded (F_RAWENC); a Plain note, if any, is replaced.
      this.forgetEncoding(key);
      return w.resU32(R_LEN);
    }
    if (st === ST_HANDLE) return APPEND_WRONGTYPE;
    if (st === ST_TOOBIG) return APPEND_TOO_BIG;
    if (st < 0) throw new WasmOutOfMemoryError(what);
    if (st === ST_EXPIRED) this.reclaimExpired(key);
    return APPEND_MISSING;
  }

  /** Db.renameKey (types.ts): dbRename moves the entry's value, TTL and stamp to the new key. */
  renameKey(src: Bytes, dst: Bytes): void {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, dst);
    if (this.snapshotHook !== null) this.snapshotHook.before(this, src);
    const w = this.engine.w;
    w.ensureScratch(src.length + dst.length);
    const n = w.putBytes(src);
    const m = w.putBytes(dst, n);
    const st = w.x.dbRename(this.ptr, n, m, this.clock.now());
    if (st < 0) throw new WasmOutOfMemoryError('RENAME');
    if (st !== 1) throw new Error(`renameKey: status ${st} (the source must exist and the destination must not)`);
    if (this.rawKeys.size > 0) {
      const from = src.latin1Slice(0, src.length);
      const to = dst.latin1Slice(0, dst.length);
      const enc = this.rawKeys.get(from);
      this.rawKeys.delete(from);
      if (enc !== undefined) this.rawKeys.set(to, enc);
      else this.rawKeys.delete(to);
    }
    if (this.onNewKey) this.onNewKey(this, dst);
  }

  private readonly peek: StringPeek = { bytes: new Uint8Array(0), start: 0, length: 0 };

  /** Db.peekString (types.ts): the RES ptr/len of dbLookup, over the current memory view. */
  peekString(key: Bytes, noTouch?: boolean): StringPeek | number {
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbLookup(this.ptr, n, this.clock.now(), noTouch ? 0 : 1);
    if (st === ST_STRING) {
      const p = this.peek;
      p.start = w.resU32(R_PTR); // syncs the views
      p.length = w.resU32(R_LEN);
      p.bytes = w.u8;
      return p;
    }
    if (st === ST_HANDLE) return PEEK_WRONGTYPE;
    if (st === ST_EXPIRED) this.reclaimExpired(key);
    return PEEK_MISSING;
  }

  delete(key: Bytes): boolean {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbDelete(this.ptr, n, this.clock.now());
    if (st === ST_MISSING) return false;
    this.dropHandle(w.resI32(R_HANDLE));
    this.forgetEncoding(key);
    if (st === ST_EXPIRED) {
      this.expired(key);
      return false;
    }
    return true;
  }

  take(key: Bytes): { value: RedisValue; expireAt: number; strEnc?: StrEnc } | undefined {
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbInfo(this.ptr, n, this.clock.now());
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
      return undefined;
    }
    if (st === ST_MISSING) return undefined;
    const expireAt = w.resF64(R_F64);
    const rawEnc = w.resU32(R_LEN) === 1;
    const value = this.get(key, true);
    if (value === undefined) return undefined;
    // The container keeps its refs until the caller stores it again (refs 1 -> 0 -> 1 within the
    // same command: the free queue re-checks refs before freeing, so nothing is freed).
    const strEnc = this.encodingNote(key, rawEnc);
    this.delete(key);
    return { value, expireAt, strEnc };
  }

  /** The key's StrEnc from dbInfo's raw flag (F_RAWENC) and the Plain notes. */
  private encodingNote(key: Bytes, rawEnc: boolean): StrEnc | undefined {
    if (rawEnc) return StrEnc.Raw;
    return this.rawKeys.size > 0 ? this.rawKeys.get(key.latin1Slice(0, key.length)) : undefined;
  }

  setAccess(key: Bytes, idleSecs: number, freq: number): boolean {
    const w = this.engine.w;
    const n = w.putBytes(key);
    return w.x.dbSetAccess(this.ptr, n, this.clock.now(), Math.min(idleSecs, 0x7fffffff), freq) === 1;
  }

  info(key: Bytes): KeyInfo | undefined {
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbInfo(this.ptr, n, this.clock.now());
    if (st === ST_STRING || st === ST_HANDLE) {
      const strEnc = this.encodingNote(key, w.resU32(R_LEN) === 1);
      return { expireAt: w.resF64(R_F64), lru: w.resU32(R_LRU) * 1000, freq: w.resU32(R_MISC), strEnc };
    }
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
    }
    return undefined;
  }

  getExpire(key: Bytes): number {
    const i = this.info(key);
    return i === undefined ? -2 : i.expireAt;
  }

  setExpire(key: Bytes, atMs: number): boolean {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbSetExpire(this.ptr, n, atMs, this.clock.now());
    if (st < 0) throw new WasmOutOfMemoryError('EXPIRE');
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
      return false;
    }
    return st === 1;
  }

  persist(key: Bytes): boolean {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const w = this.engine.w;
    const n = w.putBytes(key);
    const st = w.x.dbPersist(this.ptr, n, this.clock.now());
    if (st === ST_EXPIRED) {
      this.reclaimExpired(key);
      return false;
    }
    return st === 1;
  }

  randomKey(): Buffer | null {
    const w = this.engine.w;
    // Like dbRandomKey: an expired pick is reclaimed (hook fires) and we try again; after 100
    // tries the expired key is returned, as the interface allows.
    for (let tries = 0; ; tries++) {
      const st = w.x.dbRandom(this.ptr, this.clock.now());
      if (st === 0) return null;
      const key = w.copyOut(w.resU32(R_PTR), w.resU32(R_LEN));
      if (st === ST_EXPIRED && this.engine.expiredKept) {
        // (kept while clients are paused: another pick, as dbRandomKey then)
        if (tries >= 99) return null;
        continue;
      }
      if (st !== ST_EXPIRED || tries >= 99) return key;
      this.delete(key);
    }
  }

  randomVolatileKey(): Buffer | null {
    const w = this.engine.w;
    if (w.x.dbRandomVolatile(this.ptr, this.clock.now()) === 0) return null;
    return w.copyOut(w.resU32(R_PTR), w.resU32(R_LEN));
  }

  // -- iteration ----------------------------------------------------------------------------

  /** Decode the [u32 len][bytes] records of the out buffer into latin1 strings. */
  private readKeys(): string[] {
    const w = this.engine.w;
    w.sync();
    const u8 = w.u8;
    const base = w.outPtr();
    const end = base + w.outLen();
    const keys: string[] = [];
    if (end === base) return keys;
    // One native latin1Slice for the batch, then substring per key (a builtin, no native call
    // per key): KEYS/SCAN iterate ~2x faster than with a latin1Slice per key.
    const all = u8.latin1Slice(base, end);
    let off = base;
    while (off < end) {
      const len = (u8[off] | (u8[off + 1] << 8) | (u8[off + 2] << 16) | (u8[off + 3] << 24)) >>> 0;
      const at = off - base + 4;
      keys.push(all.substring(at, at + len));
      off += 4 + len;
    }
    return keys;
  }

  /** (With `withExpired`, the walk's time is -1: no TTL has passed then.) */
  private scanRaw(cursor: number, count: number, pattern: Bytes | null, nocase: boolean, withExpired = false): [number, string[]] {
    const w = this.engine.w;
    const plen = pattern ? w.putBytes(pattern) : NO_PATTERN;
    const next = w.x.dbScan(this.ptr, cursor >>> 0, count > 0 ? count : 10, withExpired ? -1 : this.clock.now(), plen, nocase ? 1 : 0) >>> 0;
    if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('SCAN output');
    return [next, this.readKeys()];
  }

  scan(cursor: number, count: number, visit: (key: BulkValue) => void, withExpired = false): number {
    const [next, keys] = this.scanRaw(cursor, count, null, false, withExpired);
    for (const k of keys) visit(k);
    return next;
  }

  /**
   * SCAN with MATCH evaluated inside WASM (no copy per non-matching key). Not part of the Db
   * interface; the command layer may use it when present. `count` counts keys before filtering.
   */
  scanMatch(cursor: number, count: number, pattern: Bytes, nocase: boolean, visit: (key: BulkValue) => void): number {
    const [next, keys] = this.scanRaw(cursor, count, pattern, nocase);
    for (const k of keys) visit(k);
    return next;
  }

  /** Db.snapshotWalk (types.ts): dbWalkKeys positions over the paused dict (assembly/keyspace.ts). */
  snapshotWalk(): SnapshotWalk {
    const w = this.engine.w;
    const DONE = 0xffffffff;
    w.x.dbPauseRehash(this.ptr, 1);
    let pos = 0;
    let done = false;
    return {
      step: (count, visit) => {
        if (done) return true;
        const next = w.x.dbWalkKeys(this.ptr, pos >>> 0, count, this.clock.now()) >>> 0;
        if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('SCAN output');
        const keys = this.readKeys();
        if (next === DONE) done = true;
        else pos = next;
        for (const k of keys) visit(k);
        return done;
      },
      stepRecords: (count, settings, sink) => {
        if (done) return true;
        const next = saveBatch(w, this.ptr, pos, count, this.clock.now(), settings, sink);
        if (next === DONE) done = true;
        else pos = next;
        return done;
      },
      passed: (key) => {
        if (done) return true;
        const at = w.x.dbWalkPos(this.ptr, w.putBytes(key)) >>> 0;
        return at !== DONE && at < pos;
      },
      end: () => w.x.dbPauseRehash(this.ptr, 0),
    };
  }

  /**
   * Db.forEachEntry (types.ts): SAVE's one-pass walk. The callback may not change the db, so the
   * keyspace dict cannot change during the walk: any rehash in progress is finished first, then
   * dbWalkEntries reads the buckets in order (much faster than the scan cursor's order).
   */
  forEachEntry(visit: (key: BulkValue, value: RedisValue, expireAt: number, lru: number, freq: number) => void): void {
    const w = this.engine.w;
    const now = this.clock.now();
    const nowSec = Math.floor(now / 1000);
    while (w.x.dbRehash(this.ptr, 1 << 16) === 1);
    const DONE = 0xffffffff;
    let cursor = 0;
    const keys: string[] = [];
    const vals: RedisValue[] = [];
    const meta: number[] = [];
    do {
      cursor = w.x.dbWalkEntries(this.ptr, cursor >>> 0, 1024, now) >>> 0;
      if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('SCAN output');
      w.sync();
      const u8 = w.u8;
      const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
      const base = w.outPtr();
      const end = base + w.outLen();
      // Decode the whole batch first: visiting a container may call into WASM (and reuse the
      // out buffer).
      keys.length = vals.length = meta.length = 0;
      // One native latin1Slice per batch, substrings per key and short value (as readKeys).
      const all = end > base ? u8.latin1Slice(base, end) : '';
      let off = base;
      while (off < end) {
        const klen = dv.getUint32(off, true);
        const vl = dv.getUint32(off + 4, true);
        const handle = dv.getInt32(off + 8, true);
        const m = dv.getUint32(off + 12, true);
        const exp = dv.getFloat64(off + 16, true);
        const kAt = off + 24;
        keys.push(all.substring(kAt - base, kAt - base + klen));
        if (vl === VLEN_HANDLE) {
          vals.push(this.container(handle));
          off = kAt + klen;
        } else {
          const vAt = kAt + klen;
          vals.push(vl <= STRING_OUT_MAX ? all.substring(vAt - base, vAt - base + vl) : w.copyOut(vAt, vl));
          off = vAt + vl;
        }
        meta.push(m, exp);
      }
      for (let i = 0; i < keys.length; i++) {
        const m = meta[2 * i];
        const idle = (nowSec - (m & 0xffffff)) & 0xffffff; // (the 24-bit LRU clock, as idleSeconds)
        visit(keys[i], vals[i], meta[2 * i + 1], (nowSec - idle) * 1000, m >>> 24);
      }
    } while (cursor !== DONE);
  }

  /** Db.saveRecords (types.ts): dbWalkSave over the whole dict (rehash finished first, as forEachEntry). */
  saveRecords(settings: RdbSaveSettings, sink: RdbRecordSink): void {
    const w = this.engine.w;
    while (w.x.dbRehash(this.ptr, 1 << 16) === 1);
    let pos = 0;
    do pos = saveBatch(w, this.ptr, pos, 1024, this.clock.now(), settings, sink);
    while (pos !== WALK_DONE);
  }

  forEachKey(visit: (key: BulkValue) => void): void {
    let cursor = 0;
    do {
      const [next, keys] = this.scanRaw(cursor, 1024, null, false);
      for (const k of keys) visit(k);
      cursor = next;
    } while (cursor !== 0);
  }

  /** Db.forEachKeyMatching (types.ts): KEYS with the glob evaluated in WASM over keys in linear memory. */
  forEachKeyMatching(pattern: Bytes, nocase: boolean, visit: (key: BulkValue) => void): void {
    let cursor = 0;
    do {
      const [next, keys] = this.scanRaw(cursor, 1024, pattern, nocase);
      for (const k of keys) visit(k);
      cursor = next;
    } while (cursor !== 0);
  }

  clear(_lazy?: boolean): void {
    if (this.snapshotHook !== null) this.snapshotHook.beforeClear(this);
    this.rawKeys.clear();
    // O(1) here: the tables are detached and freed by backgroundWork (gcStep), which drops the
    // native collections they hold. Always lazy: types.ts forbids walking the keys on the event loop.
    this.engine.w.x.dbClear(this.ptr);
    this.handles = [];
    this.freeHandles = [];
    this.account = { bytes: 0 };
  }

  activeExpireCycle(now: number, maxSamples: number): ExpireCycleStats {
    const w = this.engine.w;
    const expired = w.x.dbExpireCycle(this.ptr, now, maxSamples) >>> 0;
    const sampled = w.resU32(R_MISC);
    if (expired === 0) return { sampled, expired };
    const u8 = w.u8;
    let off = w.outPtr();
    const end = off + w.outLen();
    const keys: string[] = [];
    const handles: number[] = [];
    while (off < end) {
      const len = u8.readUInt32LE(off);
      handles.push(u8.readInt32LE(off + 4));
      keys.push(u8.latin1Slice(off + 8, off + 8 + len));
      off += 8 + len;
    }
    for (const h of handles) this.dropHandle(h);
    for (const k of keys) {
      this.forgetEncoding(k);
      this.onExpired(this, k);
    }
    return { sampled, expired };
  }

  /** Incremental rehash step; true while rehashing. */
  rehashStep(n: number): boolean {
    return this.engine.w.x.dbRehash(this.ptr, n) === 1;
  }
}

export class WasmEngine implements Engine, ZSetHost {
  readonly name = 'wasm' as const;
  readonly w: WasmInstance;
  private readonly dbs: WasmDb[] = [];
  /** The live config (useConfig), for the zset conversion limits; defaults without one. */
  private config: EngineSettings | null = null;
  readonly nativeRegistry: FinalizationRegistry<number>;
  /** Longest string a keyspace entry embeds (VAL_EMBED in assembly/keyspace.ts). */
  readonly valEmbed: number;
  /** Address of the fast lane's stats block (assembly/lane.ts laneStats). */
  readonly laneStatsAt: number;

  private readonly hll: WasmHllRegisters;

  constructor() {
    this.w = new WasmInstance();
    this.valEmbed = this.w.x.keyspaceValEmbed();
    this.laneStatsAt = this.w.x.laneStats() >>> 0;
    this.hll = new WasmHllRegisters(this.w);
    // A never-stored hash, set or sorted set was garbage-collected: queue it (freed by ncFreeStep).
    this.nativeRegistry = new FinalizationRegistry<number>((ptr) => {
      this.w.x.ncQueue(ptr);
    });
  }

  setExpiryPaused(paused: boolean): void {
    this.w.x.dbSetExpiryPaused(paused ? 1 : 0);
  }

  /** Engine.setExpiredKept (assembly/keyspace.ts dbSetExpiredKept for the lookups, randomKey here). */
  expiredKept = false;

  setExpiredKept(kept: boolean): void {
    this.expiredKept = kept;
    this.w.x.dbSetExpiredKept(kept ? 1 : 0);
  }

  setListCompressDepth(depth: number): void {
    this.w.x.lSetCompress(Math.min(Math.max(depth, 0), 0xffffffff));
  }

  setLfuParams(logFactor: number, decayTime: number): void {
    this.w.x.dbSetLfuParams(logFactor, decayTime);
  }

  createDb(index: number, clock: Clock, onExpired: ExpiredHook, onNewKey?: NewKeyHook): Db {
    const db = new WasmDb(this, index, clock, onExpired, onNewKey);
    this.dbs.push(db);
    return db;
  }

  newList(): ListValue {
    return WasmList.create(this);
  }

  /**
   * Views of native collections, direct-mapped by address: two lookups of the same key close
   * together (SMOVE src == dst) get the same object, as with JS containers. Cleared before any
   * native collection is freed (backgroundWork), so an entry never outlives its collection.
   */
  private readonly views: (NativeCollection | undefined)[] = new Array(VIEW_SLOTS).fill(undefined);

  view(p: number): WasmHash | WasmSet | WasmList | WasmZSet {
    const slot = (p >>> 3) & (VIEW_SLOTS - 1);
    const v = this.views[slot];
    if (v !== undefined && v.ptr === p) return v as WasmHash | WasmSet | WasmList | WasmZSet;
    const w = this.w;
    w.sync();
    const kind = w.i32[p >> 2] & 15;
    const nv =
      kind === NK_HASH
        ? new WasmHash(this, p, false)
        : kind === NK_LIST
          ? new WasmList(this, p, false)
          : kind === NK_ZSET
            ? new WasmZSet(this, p, false)
            : new WasmSet(this, p, false);
    this.views[slot] = nv;
    return nv;
  }

  /** A stored collection's view is what the next lookups of it return (same object). */
  rememberView(c: NativeCollection): void {
    this.views[(c.ptr >>> 3) & (VIEW_SLOTS - 1)] = c;
  }

  newHash(): HashValue {
    return WasmHash.create(this);
  }

  newSet(): SetValue {
    return WasmSet.create(this);
  }
  readonly newStream = jsContainers.newStream;

  newZSet(): ZSetValue {
    return WasmZSet.create(this);
  }

  /** Engine.useConfig: the live settings some structures read (the zset conversion limits). */
  useConfig(config: EngineSettings): void {
    this.config = config;
  }

  zsetMaxEntries(): number {
    return this.config !== null ? this.config.hot['zset-max-listpack-entries'] : 128;
  }

  zsetMaxValue(): number {
    return this.config !== null ? this.config.hot['zset-max-listpack-value'] : 64;
  }

  hllRegisters(): HllRegisters {
    return this.hll;
  }

  /** Engine.rdbFastLoader (types.ts): see rdbload.ts. */
  rdbFastLoader(buf: Buffer): RdbFastLoader {
    return new WasmRdbLoader(this.w, buf, (db) => (this.dbs.includes(db as WasmDb) ? (db as WasmDb).rdbFastPtr() : -1));
  }

  globMatch(pattern: Bytes, subject: BulkValue, nocase: boolean): boolean {
    const w = this.w;
    w.ensureScratch(pattern.length + subject.length);
    const plen = w.putBytes(pattern, 0);
    const slen = w.putBytes(subject, plen);
    return w.x.globMatch(w.scratch, plen, w.scratch + plen, slen, nocase ? 1 : 0) === 1;
  }

  usedMemory(): number {
    let bytes = this.w.x.dataUsed();
    for (const db of this.dbs) bytes += db.account.bytes;
    return bytes;
  }

  setMemoryHeadroom(headroom: number): void {
    this.w.x.arenaSetHeadroom(headroom);
  }

  /** Bytes of linear memory reserved by the arena (>= usedMemory's WASM part; never shrinks). */
  wasmFootprint(): number {
    return this.w.x.arenaFootprint();
  }

  private pending(): boolean {
    if (this.w.x.gcPending() === 1) return true;
    if (this.w.x.ncPending() === 1) return true;
    return false;
  }

  /** One batch of deferred frees (old tables, then deleted containers); true while more remain. */
  private freeStep(): boolean {
    const x = this.w.x;
    let more = x.gcStep(GC_BATCH) === 1;
    if (x.ncPending() === 1) {
      this.views.fill(undefined);
      if (x.ncFreeStep(NATIVE_FREE_BATCH) === 1) more = true;
    }
    return more;
  }

  reclaimStep(): boolean {
    if (!this.pending()) return false;
    this.freeStep();
    return true;
  }

  backgroundWork(budgetMs: number, activeRehash = true): boolean {
    const x = this.w.x;
    const deadline = performance.now() + Math.max(0, budgetMs);
    let more = true;
    do {
      more = false;
      if (activeRehash) for (const db of this.dbs) if (db.rehashStep(REHASH_BATCH)) more = true;
      if (this.freeStep()) more = true;
      if (!more) more = this.pending();
    } while (more && performance.now() < deadline);
    x.outShrink(); // a huge SCAN COUNT may have grown the out buffer: give it back
    return more || this.pending();
  }
}
