/**
 * The js-map engine: the JavaScript reference engine.
 *
 * Each Db keeps its keys in a KeyTable (key-table.ts): a chained hash table grown by linear hashing whose
 * 64-byte rows (expire time, access metadata, the key's bytes and a small string value's bytes)
 * live in chunked typed arrays, so one lookup answers value and TTL together from one cache line
 * and a key with a small string value costs no heap object at all (a longer key is a latin1
 * string, a longer value a JS string, Buffer or container). The table also indexes the keys that
 * have a TTL, for active expiry.
 * Lookups hash and compare the key's bytes in place, so GET and overwriting SET build no key string.
 * Why not a ShardedMap of Entry objects (the previous design): every per-key object is something
 * V8's GC must trace and a lookup must chase through a cache miss, a Map hashes the key string a
 * second time after the shard hash, and each lookup first built a key string. Measured at 1M
 * random keys (bench/pipeline.ts): GET 2.0x, SET 1.55x; RSS ~105 instead of ~240 bytes per key;
 * growing to 10M keys with the event loop turning, the longest GC pause fell from ~2.4 s to ~40 ms.
 * String values that do not fit in the row are stored as latin1 strings (compact one-byte V8
 * strings; measured 138 vs 215 bytes/key for Buffers), or as Buffers when big or edited in place.
 *
 * Memory accounting is incremental: key and string bytes plus a per-key overhead estimate, and
 * attached containers report their own deltas into the same account.
 */
import { lfuAccess, LfuParams } from '../lfu';
import { APPEND_MISSING, APPEND_TOO_BIG, APPEND_WRONGTYPE, BitOp, EDIT_OTHER_LENGTH, PEEK_MISSING, PEEK_WRONGTYPE, StrEnc, typeOfValue } from '../types';
import type { EncodingLimits, EngineSettings, LaneParams, RdbFastLoader, RdbRecordSink, RdbSaveSettings, SnapshotHook, BulkSink, BulkValue, Bytes, Clock, Container, Db, Engine, ExpireCycleStats, ExpiredHook, NewKeyHook, KeyInfo, HashValue, HllRegisters, ListValue, MemoryAccount, RedisValue, SetValue, StringEdit, SnapshotWalk, StringPeek, TableStats, ZSetValue } from '../types';
import { ARENA_MAX, KeyTable, NONE, hashOfBytes, latin1Slice, valueRoom } from './key-table';
import { firstKeys } from './request-keys';
import { runLane } from './lane';
import type { LaneDb } from './lane';
import { globMatch } from '../../util/glob';
import { toBuffer } from '../../util/bytes';
import { latin1Of } from '../../util/latin1';
import { bitopInPlace, bitopInto, popcount, popcountString } from '../../util/bitops';
import { JsHllRegisters } from '../../util/hyperloglog';

import { jsContainers } from '../containers';
import { JsZSet } from '../containers/zset';
import { JsHash } from '../containers/hash';
import { PackedValue } from '../containers/packed';
import { JsMapRdbLoader, type FastLoadTarget, type LoadValue } from './rdb-fast';
import type { PackedStore } from './packed-store';
import { JsMapScanLoader, rdbScan } from './rdb-scan';
import { FULL, STAGED, stagedRecords } from './rdb-save';
import { crcInstance } from '../../persistence/crc64';
import { RdbWriter } from '../../persistence/rdb-writer';

const EMPTY = Buffer.alloc(0);

/**
 * Estimated bytes per key beyond key and value bytes (kept from the previous layout, so maxmemory
 * settings keep their meaning): its KeyTable row (64, holding a short key and small value), value
 * pointer (8) and bucket heads (~8); a long key or value adds a string header (16).
 */
const ENTRY_OVERHEAD = 88;
/** Strings longer than this are kept as Buffers (V8's max string length is ~2^29). */
const MAX_STRING_AS_JS = 256 * 1024 * 1024;
/**
 * A value given as bytes and longer than this is stored as a Buffer of its own rather than a
 * latin1 JS string: bitmaps and HyperLogLogs are then read and edited in place (editString).
 * APPEND keeps building JS strings (V8 ropes make repeated APPEND amortized O(appended bytes)).
 */
const BIG_AS_BUFFER = 4096;

/**
 * Zero-filled values created by editString (SETBIT, BITFIELD, SETRANGE on a missing key) of up to
 * SLAB_VALUE_MAX bytes are carved from shared zeroed SLAB_BYTES slabs, as Node's Buffer pool
 * serves allocUnsafe: one typed-array view per key instead of a view, an ArrayBuffer and a
 * malloc'd backing store each, which V8 must also track at every collection (measured: creating
 * 512-byte bitmaps ~1.1 -> ~0.6 µs each). Safe to edit in place: the views never overlap. The
 * price is Node's pool's: a slab's memory goes back once all of its values are gone.
 */
const SLAB_BYTES = 16 * 1024;
const SLAB_VALUE_MAX = 1024;
let slab: Buffer = EMPTY;
let slabAt = 0;

function zeroedValue(n: number): Buffer {
  if (n > SLAB_VALUE_MAX) return Buffer.alloc(n);
  if (slabAt + n > slab.length) {
    slab = Buffer.alloc(SLAB_BYTES);
    slabAt = 0;
  }
  const b = slab.subarray(slabAt, slabAt + n);
  slabAt += (n + 7) & ~7;
  return b;
}

function valueBytes(v: RedisValue): number {
  if (typeof v === 'string') return v.length;
  if (v instanceof Uint8Array) return v.length;
  return (v as Container).memoryUsage();
}

function isContainer(v: RedisValue): v is Exclude<RedisValue, BulkValue> {
  return typeof v !== 'string' && !(v instanceof Uint8Array);
}

/** Copy a string value out of a (possibly shared) input buffer. */
export function storeString(v: BulkValue): BulkValue {
  if (typeof v === 'string') return v;
  const n = v.length;
  if (n > BIG_AS_BUFFER) return Buffer.from(v);
  if (n >= 2 && n <= SHARED_MAX) return sharedString(v, 0, n);
  return latin1Of(v);
}

/** storeString of the bytes b[off, off + n), without a view of them (the fast lane's SET, lane.ts). */
export function storeStringAt(b: Uint8Array, off: number, n: number): BulkValue {
  if (n > BIG_AS_BUFFER) return Buffer.from(b.subarray(off, off + n));
  if (n >= 2 && n <= SHARED_MAX) return sharedString(b, off, n);
  return latin1Slice(b, off, n);
}

/**
 * Shared small values, in the spirit of Redis's shared integers (OBJ_SHARED_INTEGERS) but for any
 * value of 2..SHARED_MAX bytes (V8 already shares one-character strings): a direct-mapped cache
 * of strings by the bytes' hash. A hit stores the string the cache already holds, long since in
 * V8's old generation, so overwriting keys with common small values ("ok", "xxx", flags) leaves
 * nothing for the next scavenge to copy and promote. Stored values survive, which is what makes
 * a scavenge expensive: SET of a 3-byte value over 100k keys spent ~14% of its CPU in 5 ms
 * scavenges every ~40 ms without this. A miss costs the hash and one array store.
 */
const SHARED_MAX = 16;
const SHARED_SLOTS = 4096;
const sharedValues: string[] = new Array<string>(SHARED_SLOTS).fill('');

function sharedString(b: Uint8Array, off: number, n: number): string {
  let h = n;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[off + i], 0x01000193);
  const slot = (h ^ (h >>> 13)) & (SHARED_SLOTS - 1);
  const s = sharedValues[slot];
  if (s.length === n) {
    let i = 0;
    while (i < n && s.charCodeAt(i) === b[off + i]) i++;
    if (i === n) return s;
  }
  const v = off === 0 && n === b.length ? latin1Of(b as Buffer) : latin1Slice(b, off, n);
  sharedValues[slot] = v;
  return v;
}

/**
 * A canonical integer (string2ll: optional '-', no '+', no leading zero) of at most 15 digits,
 * so exact in a double; NaN for anything else (longer integers take the general INCR path).
 */
function smallInt(s: string): number {
  const len = s.length;
  if (len === 0 || len > 16) return NaN;
  const neg = s.charCodeAt(0) === 45;
  let i = neg ? 1 : 0;
  if (len - i > 15 || len === i) return NaN;
  const first = s.charCodeAt(i) - 48;
  if (first < 0 || first > 9 || (first === 0 && len !== 1)) return NaN;
  let n = 0;
  for (; i < len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** smallInt of the latin1 bytes b[at, at + len). */
function smallIntAt(b: Uint8Array, at: number, len: number): number {
  if (len === 0 || len > 16) return NaN;
  const neg = b[at] === 45;
  let i = neg ? 1 : 0;
  if (len - i > 15 || len === i) return NaN;
  const first = b[at + i] - 48;
  if (first < 0 || first > 9 || (first === 0 && len !== 1)) return NaN;
  let n = 0;
  for (; i < len; i++) {
    const d = b[at + i] - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return neg ? -n : n;
}

/** The settings' RdbWriter for stepRecords, with the live encoding limits (useConfig). */
function recordWriter(st: RdbSaveSettings, config: EngineConfig): RdbWriter {
  const c = config.live;
  const limits: EncodingLimits = {
    listMaxListpackSize: st.listFill,
    hashMaxListpackEntries: c ? c.int('hash-max-listpack-entries') : 128,
    hashMaxListpackValue: c ? c.int('hash-max-listpack-value') : 64,
    setMaxIntsetEntries: c ? c.int('set-max-intset-entries') : 512,
    zsetMaxListpackEntries: c ? c.int('zset-max-listpack-entries') : 128,
    zsetMaxListpackValue: c ? c.int('zset-max-listpack-value') : 64,
  };
  return new RdbWriter({ compression: st.compression, limits, packedThreshold: st.packedThreshold }, null, 64 * 1024);
}

/** Engine.useConfig's settings, shared by the engine's dbs (null: defaults). */
interface EngineConfig {
  live: { int(name: string): number } | null;
}

/** Scratch for prefetch(): key positions and hashes of the batch being hinted. */
const PF_MAX = 32;
const pfOffs = new Int32Array(PF_MAX);
const pfLens = new Int32Array(PF_MAX);
const pfHashes = new Int32Array(PF_MAX);
const pfSlots = new Int32Array(PF_MAX);
/** The hash and set commands' fields and members (request-keys.ts), their hashes and their containers' tables. */
const pfMOffs = new Int32Array(PF_MAX);
const pfMLens = new Int32Array(PF_MAX);
const pfMHashes = new Int32Array(PF_MAX);
const pfTables: (KeyTable | null)[] = new Array<KeyTable | null>(PF_MAX).fill(null);
let pfSink = 0;

class JsMapDb implements Db, FastLoadTarget, LaneDb {
  snapshotHook: SnapshotHook | null = null;
  /** The keyspace (the fast lane, lane.ts, reads and writes its rows too). */
  table = new KeyTable();
  /** Position in the table's TTL index where the next active expire cycle samples. */
  private expireCursor = 0;

  /** Bytes held by this db; replaced (not walked) on FLUSHDB. */
  account: MemoryAccount = { bytes: 0 };
  /** lfu-log-factor / lfu-decay-time: the engine's object, shared by its dbs. */
  lfu: LfuParams = { logFactor: 10, decayTime: 1 };
  /** Engine.setExpiryPaused / setExpiredKept: the engine's object, shared by its dbs. */
  expiry = { paused: false, kept: false };
  /** Engine.useConfig: the engine's object, shared by its dbs. */
  config: EngineConfig = { live: null };

  /** Whether a key with expire time `at` (-1: none) is expired at `now`. */
  expired(at: number, now: number): boolean {
    return at !== -1 && now > at && !this.expiry.paused;
  }

  constructor(
    public index: number,
    private readonly clock: Clock,
    private readonly onExpired: ExpiredHook,
    private readonly onNewKey: NewKeyHook | undefined,
  ) {}

  /**
   * Db.prefetch: hash the batch's first keys in place and let the table touch their rows; then,
   * for hash and set commands on a big hash or set (a KeyTable of its own, containers/hash.ts
   * and set.ts), the same for the field or member in that table: HSET or SADD on one 100k-element
   * value otherwise takes a bucket-head and a row cache miss per command, one after the other.
   */
  prefetch(input: Buffer, start: number, maxCommands: number): void {
    const n = firstKeys(input, start, Math.min(maxCommands, PF_MAX), pfOffs, pfLens, pfMOffs, pfMLens);
    for (let i = 0; i < n; i++) pfHashes[i] = hashOfBytes(input, pfOffs[i], pfLens[i]);
    const t = this.table;
    let acc = t.touch(pfHashes, pfSlots, n);
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (pfMLens[i] < 0) continue;
      const s = t.findAt(input, pfOffs[i], pfLens[i], pfHashes[i]);
      if (s === NONE || t.inlineLength(s) >= 0 || t.arenaLength(s) >= 0) continue;
      const v = t.value(s);
      const mt = v instanceof JsHash ? v.bigTable() : null;
      if (mt === null) continue;
      pfTables[m] = mt;
      pfMHashes[m++] = hashOfBytes(input, pfMOffs[i], pfMLens[i]);
    }
    if (m > 0) {
      for (let j = 0; j < m; j++) pfSlots[j] = pfTables[j]!.headOf(pfMHashes[j]);
      for (let j = 0; j < m; j++) {
        acc ^= pfTables[j]!.hashAt(pfSlots[j]);
        pfTables[j] = null;
      }
    }
    pfSink ^= acc;
  }

  size(): number {
    return this.table.size;
  }

  /** Db.laneMaxmemory: lane.ts stops before a frame once this db's bytes pass the headroom. */
  readonly laneMaxmemory = true;
  /** Db.laneVerbatim: lane.ts serves only VERBATIM_IDS while its frames are propagated. */
  readonly laneVerbatim = true;

  /** Db.runLane: see lane.ts. */
  runLane(input: Buffer, start: number, params: LaneParams, out: BulkSink, stats: Uint32Array): number {
    return runLane(this, input, start, params, out, stats, this.clock.now());
  }

  expiresSize(): number {
    return this.table.ttlSize;
  }

  /** ENTRY_OVERHEAD per key, as usedMemory counts it; a TTL lives in the key's row (no extra bytes). */
  keyspaceOverhead(): { main: number; expires: number } {
    return { main: this.table.size * ENTRY_OVERHEAD, expires: 0 };
  }

  keyspaceStats(): TableStats {
    return [this.table.stats()];
  }

  /**
   * Slot of key after lazy expiry, or NONE. `write`: the caller may create the key when missing,
   * so an expired key goes even while expired keys are kept (Engine.setExpiredKept).
   */
  private lookup(key: Bytes, write = false): number {
    const t = this.table;
    const s = t.findBytes(key, hashOfBytes(key));
    if (s === NONE) return NONE;
    const at = t.expireAt(s);
    if (this.expired(at, this.clock.now())) {
      if (this.expiry.kept && !write) return NONE;
      const k = t.key(s);
      this.remove(s);
      this.onExpired(this, k);
      return NONE;
    }
    return s;
  }

  private remove(s: number): void {
    const t = this.table;
    const il = t.inlineLength(s);
    const v = il >= 0 ? null : t.value(s);
    this.account.bytes -= t.keyLength(s) + ENTRY_OVERHEAD + (v === null ? il : valueBytes(v));
    t.remove(s);
    if (v !== null && isContainer(v)) v.attach(null);
  }

  /** Slot of key after lazy expiry (or NONE), its access counted unless noTouch (a read: lookupKeyRead). */
  private access(key: Bytes, noTouch?: boolean): number {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const s = this.lookup(key);
    if (s !== NONE && !noTouch) this.accessSlot(s, this.clock.now());
    return s;
  }

  /** A counted access of the row at slot s (lookupKey's LFU update and LRU stamp; a write's too). */
  accessSlot(s: number, now: number): void {
    const t = this.table;
    t.setFreq(s, lfuAccess(t.freq(s), t.lru(s), now, this.lfu));
    t.setLru(s, now);
  }

  get(key: Bytes, noTouch?: boolean): RedisValue | undefined {
    const s = this.access(key, noTouch);
    if (s === NONE) return undefined;
    const v = this.table.value(s);
    return v instanceof PackedValue ? this.unpack(s, v) : v;
  }

  /** A value loaded packed (containers/packed.ts) becomes its container on first use. */
  private unpack(s: number, p: PackedValue): RedisValue {
    const v = p.unpack();
    const c = v as Container;
    this.table.setValue(s, v);
    this.account.bytes += c.memoryUsage() - p.memoryUsage();
    c.attach(this.account);
    return v;
  }

  /** FastLoadTarget (rdb-fast.ts): RESIZEDB. */
  presize(n: number): void {
    this.table.presize(n);
  }

  /** FastLoadTarget (rdb-fast.ts): the key table's packed descriptors. */
  packedStore(): PackedStore {
    return this.table.packedStore();
  }

  /** FastLoadTarget (rdb-fast.ts): a batch of key records; stops at a key that exists. */
  loadInsertMany(kb: Uint8Array, offs: Int32Array, lens: Int32Array, hashes: Int32Array, values: readonly LoadValue[], valOffs: Int32Array, valLens: Int32Array, sizes: Float64Array, expires: Float64Array, n: number, now: number): number {
    const stored = this.table.insertMany(kb, offs, lens, hashes, values, valOffs, valLens, expires, n, now);
    let bytes = stored * ENTRY_OVERHEAD;
    for (let i = 0; i < stored; i++) bytes += lens[i] + sizes[i];
    this.account.bytes += bytes;
    return stored;
  }

  has(key: Bytes): boolean {
    return this.lookup(key) !== NONE;
  }

  /**
   * Db.writeBulk: an inline value's bytes straight from its row; other values already are JS
   * strings, which the sink writes without a copy.
   */
  writeBulk(key: Bytes, out: BulkSink, noTouch?: boolean): number {
    const s = this.access(key, noTouch);
    if (s === NONE) return 0;
    const t = this.table;
    const il = t.inlineLength(s);
    if (il >= 0) {
      out.bulkBytes(t.rowBytes(s), t.inlineStart(s), il);
      return 1;
    }
    const al = t.arenaLength(s);
    if (al >= 0) {
      out.bulkBytes(t.arenaSlab(s), t.arenaStart(s), al);
      return 1;
    }
    let v = t.value(s);
    if (v instanceof PackedValue) v = this.unpack(s, v);
    if (isContainer(v)) return -1;
    out.bulk(v);
    return 1;
  }

  /** Db.peekString: the stored string itself (a JS string or Buffer), in a reused view object. */
  peekString(key: Bytes, noTouch?: boolean): StringPeek | number {
    const s = this.access(key, noTouch);
    if (s === NONE) return PEEK_MISSING;
    const t = this.table;
    const p = this.peek;
    const al = t.arenaLength(s);
    if (al >= 0) {
      // (in the table's arena: the slab itself, no view made)
      p.bytes = t.arenaSlab(s);
      p.start = t.arenaStart(s);
      p.length = al;
      return p;
    }
    let v = t.value(s);
    if (v instanceof PackedValue) v = this.unpack(s, v);
    if (isContainer(v)) return PEEK_WRONGTYPE;
    p.bytes = v;
    p.start = 0;
    p.length = v.length;
    return p;
  }
  private readonly peek: StringPeek = { bytes: '', start: 0, length: 0 };

  /**
   * Db.append: V8 concatenates latin1 strings as ropes, so repeated APPEND is amortized
   * O(appended bytes) without an in-place buffer.
   */
  append(key: Bytes, suffix: Bytes, maxLen: number): number {
    const old = this.get(key, true); // the write below is the access
    if (old === undefined) return APPEND_MISSING;
    if (isContainer(old)) return APPEND_WRONGTYPE;
    if (old.length + suffix.length > maxLen) return APPEND_TOO_BIG;
    // A value edited in place (a Buffer, see editString) goes back to a JS string: its APPENDs are ropes again.
    const next =
      old.length + suffix.length <= MAX_STRING_AS_JS
        ? (typeof old === 'string' ? old : old.latin1Slice(0, old.length)) + suffix.latin1Slice(0, suffix.length)
        : Buffer.concat([toBuffer(old), suffix]);
    this.set(key, next, true, StrEnc.Raw);
    return next.length;
  }

  /** Db.setRange: the bytes written into the value in place (see editString). */
  setRange(key: Bytes, offset: number, bytes: Bytes, maxLen: number): number {
    const e = this.editString(key, offset + bytes.length, maxLen);
    if (typeof e === 'number') return e;
    e.bytes.set(bytes, e.start + offset);
    return e.length;
  }

  /**
   * Db.editString: a value that fits in its row (valueRoom: a key and value of up to 32 bytes
   * together) is edited there, the view being the row's bytes (KeyTable.growInline), so small
   * bitmaps and BITFIELD counters cost no object; a larger one becomes a Buffer of its own
   * (copied once from the stored JS string, or regrown), and later edits write into it in place.
   * Writing is safe because nothing else ever holds a stored Buffer or a row's bytes past the
   * next engine call: set() copies what it is given, replies copy what they send, and a BGSAVE
   * snapshot serializes the old value in the hook below before it changes.
   */
  editString(key: Bytes, minLen: number, maxLen: number, create?: boolean): StringEdit | number {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const s = this.lookup(key, create === true);
    if (s === NONE) {
      if (create !== true) return APPEND_MISSING;
      if (minLen > maxLen) return APPEND_TOO_BIG;
      return this.createEdited(key, 0, key.length, hashOfBytes(key), minLen, this.clock.now());
    }
    return this.editFound(s, minLen, maxLen, this.clock.now());
  }

  /**
   * editString(key, minLen, minLen, true) for the fast lane (lane.ts: SETBIT, BITFIELD), the key
   * b[kOff, kOff + kLen) (hash h) being at the live row s (not expired), or absent (s NONE); minLen
   * within proto-max-bulk-len, at the lane's `now`. APPEND_WRONGTYPE (nothing changed) on a container.
   */
  editStringAt(s: number, b: Uint8Array, kOff: number, kLen: number, h: number, minLen: number, now: number): StringEdit | number {
    return s === NONE ? this.createEdited(b, kOff, kLen, h, minLen, now) : this.editFound(s, minLen, minLen, now);
  }

  /** editString's work on the live row s, accessed at `now`. */
  private editFound(s: number, minLen: number, maxLen: number, now: number): StringEdit | number {
    const t = this.table;
    const il = t.inlineLength(s);
    if (il >= 0) {
      if (minLen > maxLen) return APPEND_TOO_BIG;
      if (t.growInline(s, minLen)) return this.editInline(s, il, now);
    }
    const al = t.arenaLength(s);
    if (al >= 0) {
      if (minLen > maxLen) return APPEND_TOO_BIG;
      if (t.growArena(s, minLen)) return this.editArena(s, al, now);
    }
    const old = t.value(s);
    if (isContainer(old)) return APPEND_WRONGTYPE;
    if (minLen > maxLen) return APPEND_TOO_BIG;
    // Up to ARENA_MAX bytes: into the table's arena (KeyTable.toArena), else a Buffer of its own.
    if (t.toArena(s, Math.max(old.length, minLen))) return this.editArena(s, old.length, now);
    return this.editRow(s, old, minLen, now);
  }

  /**
   * editString's missing key, created in the one lookup already made: minLen zero bytes, in its
   * row when they fit, else a Buffer of its own (what editString turns a stored string into).
   */
  private createEdited(b: Uint8Array, off: number, len: number, h: number, minLen: number, now: number): StringEdit {
    const t = this.table;
    const inline = minLen <= valueRoom(len);
    const s = t.insert(b, off, len, h, '', now, StrEnc.Raw);
    this.account.bytes += len + ENTRY_OVERHEAD + minLen;
    // (a view of the key's bytes, as add() hands it)
    if (this.onNewKey) this.onNewKey(this, off === 0 && len === b.length ? (b as Bytes) : Buffer.from(b.buffer, b.byteOffset + off, len));
    if (inline) {
      t.growInline(s, minLen);
      return this.editView(t.rowBytes(s), t.inlineStart(s), minLen, 0);
    }
    if (t.toArena(s, minLen)) return this.editView(t.arenaSlab(s), t.arenaStart(s), minLen, 0);
    const buf = zeroedValue(minLen);
    t.setValue(s, buf);
    return this.editView(buf, 0, minLen, 0);
  }

  /** editString's view of a value in the table's arena, `oldLength` bytes before (already grown). */
  private editArena(s: number, oldLength: number, now: number): StringEdit {
    const t = this.table;
    const len = t.arenaLength(s);
    this.account.bytes += len - oldLength;
    this.writeAccess(s, now);
    return this.editView(t.arenaSlab(s), t.arenaStart(s), len, oldLength);
  }

  /** editString's view of an inline value of `oldLength` bytes, already grown in its row. */
  private editInline(s: number, oldLength: number, now: number): StringEdit {
    const t = this.table;
    const len = t.inlineLength(s);
    this.account.bytes += len - oldLength;
    this.writeAccess(s, now);
    return this.editView(t.rowBytes(s), t.inlineStart(s), len, oldLength);
  }

  /** Db.editExact: editString's work on the row found once, when the length matches. */
  editExact(key: Bytes, len: number): StringEdit | number {
    const s = this.lookup(key);
    if (s === NONE) return APPEND_MISSING;
    // An inline value is shorter than any `len` given here (above EMBSTR_MAX): no string built.
    if (this.table.inlineLength(s) >= 0) return EDIT_OTHER_LENGTH;
    const old = this.table.value(s);
    if (isContainer(old)) return APPEND_WRONGTYPE;
    if (old.length !== len) return EDIT_OTHER_LENGTH;
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    return this.editRow(s, old, len, this.clock.now());
  }

  /**
   * editString's work on the live row s holding the string `old` (not inline, not in the arena):
   * the view of its value made at least minLen bytes long, as a Buffer of its own; accessed at `now`.
   */
  editRow(s: number, old: BulkValue, minLen: number, now: number): StringEdit {
    const t = this.table;
    let buf: Buffer;
    if (typeof old !== 'string' && old.length >= minLen) buf = old;
    else {
      buf = Buffer.alloc(Math.max(old.length, minLen));
      if (typeof old === 'string') buf.latin1Write(old, 0);
      else old.copy(buf, 0);
      this.account.bytes += buf.length - old.length;
      t.setValue(s, buf);
    }
    this.writeAccess(s, now);
    return this.editView(buf, 0, buf.length, old.length);
  }

  /** An edited row: its value is raw bytes now, and the write is the access (lookupKeyWrite), counted once as set() counts an overwrite. */
  private writeAccess(s: number, now: number): void {
    this.table.setStrEnc(s, StrEnc.Raw);
    this.accessSlot(s, now);
  }

  /** The StringEdit (one object, reused) of `length` bytes at bytes[start..], `oldLength` of them there before. */
  private editView(bytes: Uint8Array, start: number, length: number, oldLength: number): StringEdit {
    const e = this.edit;
    e.bytes = bytes;
    e.start = start;
    e.length = length;
    e.oldLength = oldLength;
    return e;
  }
  private readonly edit: StringEdit = { bytes: Buffer.alloc(0), start: 0, length: 0, oldLength: 0 };

  /** Db.popcount: over the stored JS string's char codes, or the Buffer. */
  popcount(p: StringPeek, from: number, to: number): number {
    const b = p.bytes;
    return typeof b === 'string' ? popcountString(b, p.start + from, p.start + to) : popcount(b, p.start + from, p.start + to);
  }

  /**
   * Db.bitop: the sources' bytes (stored JS strings read once as latin1), combined word by word
   * (util/bitops.ts) into a Buffer that is stored as it is (never copied): the target's own Buffer
   * when it has the result's length and is not a source, or bitopInPlace allows it (written in
   * place, as editString does), else a new one. Results up to BIG_AS_BUFFER bytes are stored as
   * strings, as set() stores them.
   */
  bitop(op: BitOp, target: Bytes, sources: Bytes[]): number {
    const srcs: Uint8Array[] = [];
    let maxlen = 0;
    for (const key of sources) {
      const s = this.lookup(key);
      const v = s === NONE ? undefined : this.table.value(s);
      const b = v === undefined || isContainer(v) ? EMPTY : toBuffer(v);
      srcs.push(b);
      if (b.length > maxlen) maxlen = b.length;
    }
    if (maxlen === 0) return 0;
    if (maxlen <= BIG_AS_BUFFER) {
      const res = Buffer.alloc(maxlen);
      bitopInto(op, res, srcs);
      this.set(target, res, false, StrEnc.Raw);
      return maxlen;
    }
    const t = this.lookup(target, true);
    const old = t === NONE ? undefined : this.table.value(t);
    let res: Buffer;
    if (old !== undefined && old instanceof Uint8Array && old.length === maxlen && (old.byteOffset & 7) === 0 && (!srcs.includes(old) || bitopInPlace(maxlen, srcs.length))) {
      if (this.snapshotHook !== null) this.snapshotHook.before(this, target);
      res = old as Buffer;
    } else res = Buffer.allocUnsafe(maxlen);
    bitopInto(op, res, srcs);
    this.setStored(target, res, false, StrEnc.Raw);
    return maxlen;
  }

  /** Db.renameKey: the value object moves to the new row with its TTL and encoding. */
  renameKey(src: Bytes, dst: Bytes): void {
    const t = this.table;
    const from = this.lookup(src, true);
    const lru = t.lru(from);
    const freq = t.freq(from);
    const moved = this.take(src)!;
    this.set(dst, moved.value, false, moved.strEnc);
    if (moved.expireAt !== -1) this.setExpire(dst, moved.expireAt);
    // The object moves with its access record, as Redis's rename keeps the robj.
    const to = this.lookup(dst, true);
    t.setLru(to, lru);
    t.setFreq(to, freq);
  }

  set(key: Bytes, value: RedisValue, keepTtl = false, strEnc: StrEnc = StrEnc.Auto): void {
    // Bytes that fit in the row are copied there (setStored's `inline`), with no string built.
    if (value instanceof Uint8Array && value.length <= valueRoom(key.length)) this.setStored(key, value, keepTtl, strEnc, true);
    else this.setStored(key, isContainer(value) ? value : storeString(value), keepTtl, strEnc);
  }

  /**
   * set() of a value already in its stored form (storeString's result, or a container), or with
   * `inline`, bytes that fit in the row (valueRoom), copied there.
   */
  private setStored(key: Bytes, stored: RedisValue, keepTtl: boolean, strEnc: StrEnc, inline = false): void {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const h = hashOfBytes(key);
    const now = this.clock.now();
    const t = this.table;
    const s = t.findBytes(key, h);
    const bytes = inline ? (stored as Uint8Array) : null;
    if (s !== NONE) {
      if (this.expired(t.expireAt(s), now)) {
        // Writing over an expired key: it expires first (event), then the key is created anew.
        const k = t.key(s);
        this.remove(s);
        this.onExpired(this, k);
      } else {
        this.overwrite(s, stored, bytes, 0, bytes === null ? 0 : bytes.length, keepTtl, strEnc, now);
        return;
      }
    }
    this.add(key, 0, key.length, h, stored, bytes, 0, bytes === null ? 0 : bytes.length, strEnc, now);
  }

  /**
   * setStored's overwrite of the live row s: the value becomes `stored`, or when `bytes` is not
   * null the bytes[vOff, vOff + vLen) copied into the row (they fit: valueRoom). The TTL is
   * dropped unless keepTtl.
   */
  private overwrite(s: number, stored: RedisValue, bytes: Uint8Array | null, vOff: number, vLen: number, keepTtl: boolean, strEnc: StrEnc, now: number): void {
    const t = this.table;
    const il = t.inlineLength(s);
    const old = il >= 0 ? null : t.value(s);
    t.setStrEnc(s, strEnc);
    this.account.bytes += (bytes !== null ? vLen : valueBytes(stored)) - (old === null ? il : valueBytes(old));
    if (old !== null && isContainer(old) && old !== stored) old.attach(null);
    if (bytes !== null) t.setValueBytes(s, bytes, vOff, vLen);
    else t.setValue(s, stored);
    // Overwriting is a write access (lookupKeyWrite; dbOverwrite keeps the counter).
    this.accessSlot(s, now);
    if (t.expireAt(s) !== -1 && !keepTtl) t.setExpireAt(s, -1);
    if (isContainer(stored)) stored.attach(this.account);
  }

  /**
   * set(key, value) of the bytes b[vOff, vOff + vLen) as a value (no TTL, encoding Auto), the key
   * b[kOff, kOff + kLen) (hash h) being at the live row s holding a string, or absent (s NONE):
   * the fast lane's SET (lane.ts), which found the row and leaves what is not such to set().
   */
  setBytesAt(s: number, b: Uint8Array, kOff: number, kLen: number, h: number, vOff: number, vLen: number, now: number): void {
    // (set(): bytes that fit in the row are copied there, longer ones stored as storeString makes them)
    const inline = vLen <= valueRoom(kLen);
    const stored = inline ? '' : storeStringAt(b, vOff, vLen);
    const bytes = inline ? b : null;
    if (s === NONE) this.add(b, kOff, kLen, h, stored, bytes, vOff, vLen, StrEnc.Auto, now);
    else this.overwrite(s, stored, bytes, vOff, vLen, false, StrEnc.Auto, now);
  }

  /**
   * setStored's new key b[off, off + len) (hash h, absent), its value as overwrite() takes it;
   * the new-key hook fires (dbAdd). Returns its slot.
   */
  private add(b: Uint8Array, off: number, len: number, h: number, stored: RedisValue, bytes: Uint8Array | null, vOff: number, vLen: number, strEnc: StrEnc, now: number): number {
    const t = this.table;
    const ns = t.insert(b, off, len, h, bytes !== null ? '' : stored, now, strEnc);
    if (bytes !== null) t.setValueBytes(ns, bytes, vOff, vLen);
    this.account.bytes += len + ENTRY_OVERHEAD + (bytes !== null ? vLen : valueBytes(stored));
    if (isContainer(stored)) stored.attach(this.account);
    // (a view of the key's bytes, as the handlers' arguments are views of the input)
    if (this.onNewKey) this.onNewKey(this, off === 0 && len === b.length ? (b as Bytes) : Buffer.from(b.buffer, b.byteOffset + off, len));
    return ns;
  }

  /** Db.listPush (types.ts): the lookup and the pushes the handler would make. */
  listPush(key: Bytes, tail: boolean, args: Bytes[], from: number, _fill: number): number {
    if (this.snapshotHook !== null) return -1;
    const l = this.get(key);
    if (l === undefined || typeOfValue(l) !== 'list') return -1;
    const list = l as ListValue;
    for (let j = from; j < args.length; j++) {
      if (tail) list.pushTail(args[j]);
      else list.pushHead(args[j]);
    }
    return list.size;
  }

  /** Db.listPopOne (types.ts): the lookup and the pop the handler would make. */
  listPopOne(key: Bytes, tail: boolean, out: BulkSink): number {
    if (this.snapshotHook !== null) return -1;
    const l = this.get(key);
    if (l === undefined || typeOfValue(l) !== 'list') return -1;
    const list = l as ListValue;
    const v = tail ? list.popTail() : list.popHead();
    if (v === undefined) return -1;
    out.bulk(v);
    return list.size;
  }

  /** Db.setAdd (types.ts): the lookup and the adds the handler would make. */
  setAdd(key: Bytes, args: Bytes[], from: number, maxIntset: number): number {
    if (this.snapshotHook !== null) return -1;
    const v = this.get(key);
    if (v === undefined || typeOfValue(v) !== 'set') return -1;
    const s = v as SetValue;
    s.maxIntset = maxIntset;
    let added = 0;
    for (let j = from; j < args.length; j++) if (s.add(args[j])) added++;
    return added;
  }

  /** Db.hashSet (types.ts): the lookup and the sets the handler would make. */
  hashSet(key: Bytes, args: Bytes[], from: number, maxValue: number, maxEntries: number): number {
    if (this.snapshotHook !== null) return -1;
    for (let i = from; i < args.length; i++) if (args[i].length > maxValue) return -1;
    const v = this.get(key);
    if (v === undefined || typeOfValue(v) !== 'hash') return -1;
    const h = v as HashValue;
    let created = 0;
    for (let j = from; j < args.length; j += 2) if (h.setField(args[j], args[j + 1], maxValue, maxEntries)) created++;
    return created;
  }

  /**
   * Db.incrBy (types.ts): the stored latin1 digits parsed and replaced in the row found once,
   * where INCR used to look the key up twice and copy the value through a Buffer.
   */
  incrBy(key: Bytes, by: number): number {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    return this.incrByAt(key, 0, key.length, hashOfBytes(key), by, this.clock.now());
  }

  /**
   * incrBy of the key b[off, off + len) (hash h) at `now`, without a view of it (also the fast
   * lane's INCR family, lane.ts): NaN, nothing changed, where the general path decides (an
   * expired key, not a string of a small integer, a result past 2^53).
   */
  incrByAt(b: Uint8Array, off: number, len: number, h: number, by: number, now: number): number {
    const t = this.table;
    const s = t.findAt(b, off, len, h);
    if (s === NONE) {
      // (set()'s new key, found absent already)
      this.add(b, off, len, h, String(by), null, 0, 0, StrEnc.Auto, now);
      return by;
    }
    const at = t.expireAt(s);
    if (at !== -1 && now > at) return NaN; // the general path expires it
    const il = t.inlineLength(s);
    let v: number;
    if (il >= 0) {
      // Digits in the row: parsed and rewritten there, no string built.
      v = smallIntAt(t.rowBytes(s), t.inlineStart(s), il) + by;
      if (!Number.isSafeInteger(v)) return NaN;
      if (!t.setValueInt(s, v)) t.setValue(s, String(v));
      const nl = t.inlineLength(s);
      this.account.bytes += (nl >= 0 ? nl : String(v).length) - il;
    } else {
      const old = t.value(s);
      if (typeof old !== 'string') return NaN;
      v = smallInt(old) + by;
      if (!Number.isSafeInteger(v)) return NaN;
      const next = String(v);
      this.account.bytes += next.length - old.length;
      t.setValue(s, next);
    }
    t.setStrEnc(s, StrEnc.Auto);
    // Overwriting is a write access, as in set().
    this.accessSlot(s, now);
    return v;
  }

  delete(key: Bytes): boolean {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const s = this.lookup(key);
    if (s === NONE) return false;
    this.remove(s);
    return true;
  }

  take(key: Bytes): { value: RedisValue; expireAt: number; strEnc: StrEnc } | undefined {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const s = this.lookup(key);
    if (s === NONE) return undefined;
    const t = this.table;
    // (a value in the table's arena is copied out: its block is freed below)
    const v = t.arenaLength(s) >= 0 ? Buffer.from(t.value(s) as Buffer) : t.value(s);
    const out = { value: v instanceof PackedValue ? this.unpack(s, v) : v, expireAt: t.expireAt(s), strEnc: t.strEnc(s) };
    this.remove(s);
    return out;
  }

  info(key: Bytes): KeyInfo | undefined {
    const s = this.lookup(key);
    if (s === NONE) return undefined;
    const t = this.table;
    return { expireAt: t.expireAt(s), lru: t.lru(s), freq: t.freq(s), strEnc: t.strEnc(s) };
  }

  setAccess(key: Bytes, idleSecs: number, freq: number): boolean {
    const s = this.lookup(key);
    if (s === NONE) return false;
    const t = this.table;
    const now = this.clock.now();
    if (freq >= 0) {
      t.setFreq(s, freq & 255);
      t.setLru(s, now);
    }
    if (idleSecs >= 0) t.setLru(s, now - idleSecs * 1000);
    return true;
  }

  getExpire(key: Bytes): number {
    const s = this.lookup(key);
    return s === NONE ? -2 : this.table.expireAt(s);
  }

  setExpire(key: Bytes, atMs: number): boolean {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const s = this.lookup(key);
    if (s === NONE) return false;
    this.table.setExpireAt(s, atMs);
    return true;
  }

  persist(key: Bytes): boolean {
    if (this.snapshotHook !== null) this.snapshotHook.before(this, key);
    const s = this.lookup(key);
    if (s === NONE || this.table.expireAt(s) === -1) return false;
    this.table.setExpireAt(s, -1);
    return true;
  }

  randomKey(): Buffer | null {
    // Like dbRandomKey: retry a few times if we hit expired keys, reclaiming them.
    const now = this.clock.now();
    for (let tries = 0; tries < 100; tries++) {
      const t = this.table;
      const s = t.randomSlot();
      if (s === NONE) return null;
      const k = t.key(s);
      const at = t.expireAt(s);
      if (this.expired(at, now)) {
        if (this.expiry.kept) continue; // (kept: another pick, as dbRandomKey under a pause)
        if (tries < 99) {
          this.remove(s);
          this.onExpired(this, k);
          continue;
        }
      }
      return Buffer.from(k, 'latin1');
    }
    return null;
  }

  randomVolatileKey(): Buffer | null {
    const s = this.table.randomTtlSlot();
    return s === NONE ? null : Buffer.from(this.table.key(s), 'latin1');
  }

  /**
   * Db.snapshotWalk (types.ts): the KeyTable's rows in slot order, up to the last slot in use at
   * the start. Rows never move and a key created later is written ahead of the walk (so it is in
   * the snapshot's done set), so every key present at the start is visited once and `passed` is
   * a slot comparison. Slot order reads the rows sequentially (bucket order jumped between rows),
   * and nothing needs pausing. stepRecords writes every record itself, with RdbWriter as SAVE
   * does (a value still packed as loaded is not unpacked in the keyspace), in SAVE's order.
   */
  snapshotWalk(): SnapshotWalk {
    const t = this.table;
    const end = t.slotEnd;
    let pos = 0;
    let done = false;
    let w: RdbWriter | null = null;
    // The record's key for sink.record (one function, not a closure per record), built if asked for.
    let cur = 0;
    const curKey = (): string => t.key(cur);
    return {
      step: (count, visit) => {
        if (done) return true;
        const now = this.clock.now();
        pos = t.walkSlots(pos, end, count, (s) => {
          if (!this.expired(t.expireAt(s), now)) visit(t.key(s));
        });
        if (pos >= end) done = true;
        return done;
      },
      stepRecords: (count, settings, sink) => {
        if (done) return true;
        w ??= recordWriter(settings, this.config);
        w.pos = 0;
        const rw = w;
        // A batch sink takes the step's records in one piece; else one call per record, with its key.
        const bulk = sink.records !== undefined;
        let n = 0;
        pos = this.writeSlots(rw, pos, end, count, settings, (from, to, s) => {
          if (bulk) n++;
          else {
            cur = s;
            sink.record(rw.buf, from, to, curKey);
          }
        });
        if (bulk && n > 0) sink.records!(rw.buf, 0, rw.pos, n);
        if (pos >= end) done = true;
        return done;
      },
      passed: (key) => {
        if (done) return true;
        // (no lazy expiry here: the caller is about to change the Db)
        const s = t.findBytes(key, hashOfBytes(key));
        return s !== NONE && s < pos;
      },
      end: () => {
        done = true;
      },
    };
  }

  /**
   * The records of the live rows at slots [pos, end) into rw, in slot order, until `count` rows
   * were visited; `each(from, to, s)` is told where each record is in rw.buf once it is there.
   * Returns the next slot. Inline strings and collections are staged and serialized in WASM a
   * batch at a time (rdb-save.ts); what that declines is written by RdbWriter in its place.
   */
  private writeSlots(rw: RdbWriter, pos: number, end: number, count: number, settings: RdbSaveSettings, each: (from: number, to: number, s: number) => void): number {
    const t = this.table;
    const now = this.clock.now();
    const staged = stagedRecords(crcInstance);
    const fallback = (s: number, at: number): void => {
      const from = rw.pos;
      this.writeRecord(rw, s, at, settings);
      each(from, rw.pos, s);
    };
    if (staged === null) {
      return t.walkSlots(pos, end, count, (s) => {
        const at = t.expireAt(s);
        if (!this.expired(at, now)) fallback(s, at);
      });
    }
    staged.begin(settings);
    const lru = settings.lru;
    const lfu = settings.lfu;
    const next = t.walkSlots(pos, end, count, (s) => {
      const at = t.expireAt(s);
      if (this.expired(at, now)) return;
      const idle = lru ? Math.max(0, Math.floor((settings.refNow - t.lru(s)) / 1000)) : -1;
      const freq = lfu ? Math.max(0, Math.min(255, t.freq(s) | 0)) : -1;
      let r = staged.add(rw, t, s, at, idle, freq);
      if (r === FULL) {
        staged.flush(rw, each, fallback);
        r = staged.add(rw, t, s, at, idle, freq);
      }
      if (r === STAGED) return;
      // Declined: written here, after the records staged before it.
      if (staged.pending > 0) staged.flush(rw, each, fallback);
      fallback(s, at);
    });
    if (staged.pending > 0) staged.flush(rw, each, fallback);
    return next;
  }

  /** The RDB record of the row at slot `s` (expire time `at`) by RdbWriter; a key and value in the row are written from its bytes, no strings built. */
  private writeRecord(rw: RdbWriter, s: number, at: number, settings: RdbSaveSettings): void {
    const t = this.table;
    const idle = settings.lru ? Math.max(0, Math.floor((settings.refNow - t.lru(s)) / 1000)) : -1;
    const freq = settings.lfu ? Math.max(0, Math.min(255, t.freq(s) | 0)) : -1;
    const il = t.inlineLength(s);
    const ks = il >= 0 ? t.inlineKeyStart(s) : -1;
    if (ks >= 0) rw.keyValueBytes(t.rowBytes(s), ks, t.keyLength(s), t.inlineStart(s), il, at, idle, freq);
    else rw.keyValue(t.key(s), t.value(s), at, idle, freq);
  }

  /**
   * Db.saveRecords (types.ts): SAVE's walk, the rows in slot order with their records written
   * here (writeSlots) and handed over a batch at a time, as the snapshot walk's stepRecords.
   */
  saveRecords(settings: RdbSaveSettings, sink: RdbRecordSink): void {
    const t = this.table;
    const rw = recordWriter(settings, this.config);
    const end = t.slotEnd;
    const bulk = sink.records !== undefined;
    let cur = 0;
    const curKey = (): string => t.key(cur);
    let n = 0;
    const each = (from: number, to: number, s: number): void => {
      if (bulk) n++;
      else {
        cur = s;
        sink.record(rw.buf, from, to, curKey);
      }
    };
    let pos = 0;
    while (pos < end) {
      rw.pos = 0;
      n = 0;
      pos = this.writeSlots(rw, pos, end, 1024, settings, each);
      if (n > 0) sink.records!(rw.buf, 0, rw.pos, n);
    }
  }

  scan(cursor: number, count: number, visit: (key: BulkValue) => void, withExpired = false): number {
    const now = this.clock.now();
    const t = this.table;
    return t.scan(cursor, count, (k, s) => {
      if (withExpired || !this.expired(t.expireAt(s), now)) visit(k);
    });
  }

  forEachKeyMatching(pattern: Bytes, nocase: boolean, visit: (key: BulkValue) => void): void {
    this.forEachKey((k) => {
      if (globMatch(pattern, k, nocase)) visit(k);
    });
  }

  forEachEntry(visit: (key: BulkValue, value: RedisValue, expireAt: number, lru: number, freq: number) => void): void {
    const now = this.clock.now();
    const t = this.table;
    t.forEach((k, s) => {
      const at = t.expireAt(s);
      if (!this.expired(at, now)) visit(k, t.value(s), at, t.lru(s), t.freq(s));
    });
  }

  forEachKey(visit: (key: BulkValue) => void): void {
    const now = this.clock.now();
    const t = this.table;
    t.forEach((k, s) => {
      const at = t.expireAt(s);
      if (!this.expired(at, now)) visit(k);
    });
  }

  clear(): void {
    if (this.snapshotHook !== null) this.snapshotHook.beforeClear(this);
    // Dropping the table frees everything; V8's GC reclaims it incrementally (lazy free for free).
    // Containers still attached to the old account only update that discarded counter.
    this.table = new KeyTable();
    this.expireCursor = 0;
    this.account = { bytes: 0 };
  }

  activeExpireCycle(now: number, maxSamples: number): ExpireCycleStats {
    let sampled = 0;
    const dead: number[] = [];
    const t = this.table;
    this.expireCursor = t.sampleTtl(this.expireCursor, maxSamples, (s) => {
      sampled++;
      if (now > t.expireAt(s)) dead.push(s);
    });
    const expired = dead.length;
    for (const s of dead) {
      // Re-check: an earlier onExpired callback may have changed things (the row may even hold
      // another key now, which is then expired too, or be free).
      if (!this.table.inUse(s)) continue;
      const at = this.table.expireAt(s);
      if (at === -1 || !(now > at)) continue;
      const k = this.table.key(s);
      this.remove(s);
      this.onExpired(this, k);
    }
    return { sampled, expired };
  }
}

export class JsMapEngine implements Engine {
  readonly name = 'js-map' as const;
  private readonly dbs: JsMapDb[] = [];

  constructor() {
    // The helper WASM instance (CRC64, the RDB scan and the staged SAVE records) made now, as the
    // wasm engine makes its own at start: compiling the module and instantiating it took ~5 ms
    // (of ~120) inside the load at start, or else inside the first SAVE or DUMP.
    crcInstance();
  }

  createDb(index: number, clock: Clock, onExpired: ExpiredHook, onNewKey?: NewKeyHook): Db {
    const db = new JsMapDb(index, clock, onExpired, onNewKey);
    db.lfu = this.lfu;
    db.expiry = this.expiry;
    db.config = this.config;
    this.dbs.push(db);
    return db;
  }

  private readonly hll = new JsHllRegisters();

  hllRegisters(): HllRegisters {
    return this.hll;
  }

  private readonly lfu: LfuParams = { logFactor: 10, decayTime: 1 };
  private readonly expiry = { paused: false, kept: false };

  private readonly config: EngineConfig = { live: null };

  /** Engine.useConfig: the encoding limits a snapshot walk's records are written with. */
  useConfig(config: EngineSettings): void {
    this.config.live = config;
  }

  setExpiryPaused(paused: boolean): void {
    this.expiry.paused = paused;
  }

  setExpiredKept(kept: boolean): void {
    this.expiry.kept = kept;
  }

  setLfuParams(logFactor: number, decayTime: number): void {
    this.lfu.logFactor = logFactor;
    this.lfu.decayTime = decayTime;
  }

  readonly newList = jsContainers.newList;
  readonly newHash = jsContainers.newHash;
  readonly newSet = jsContainers.newSet;
  readonly newStream = jsContainers.newStream;

  newZSet(): ZSetValue {
    return new JsZSet();
  }

  /** Engine.rdbFastLoader (types.ts): see rdb-fast.ts. */
  rdbFastLoader(buf: Buffer): RdbFastLoader {
    const target = (db: unknown) => (this.dbs.includes(db as JsMapDb) ? (db as JsMapDb) : null);
    // The byte work in WASM when the module is built (rdb-scan.ts), else all in JS.
    const w = rdbScan.useWasm ? crcInstance() : null;
    return w !== null ? new JsMapScanLoader(w, buf, target, this) : new JsMapRdbLoader(buf, target, this);
  }

  globMatch(pattern: Bytes, subject: BulkValue, nocase: boolean): boolean {
    return globMatch(pattern, subject, nocase);
  }

  usedMemory(): number {
    let bytes = 0;
    for (const db of this.dbs) bytes += db.account.bytes;
    return bytes;
  }

  backgroundWork(): boolean {
    return false;
  }

  /** JS containers stop counting when deleted (V8 frees them): nothing is ever pending. */
  reclaimStep(): boolean {
    return false;
  }
}
