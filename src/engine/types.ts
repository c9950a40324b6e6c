/**
 * The engine interface: the only layer that touches stored bytes.
 *
 * Command handlers see a keyspace per database (`Db`) and typed containers (list, hash, set, zset,
 * stream). Two engines implement it: `js-map` (JavaScript structures) and `wasm` (AssemblyScript
 * structures in WebAssembly linear memory). The command layer cannot tell which one it runs on.
 *
 * Conventions, chosen from the measurements in docs/design-notes.md:
 * - Keys and values cross the boundary as bytes: `Buffer` going in. Engines copy what they keep, so
 *   callers may pass views into a socket read buffer.
 * - Bytes coming out are `BulkValue`: a Buffer the caller may keep, or a JS string whose char codes
 *   are the bytes (latin1, one byte per char). Reply writers accept both without conversion.
 * - Many-element reads take a visitor callback instead of building arrays.
 * - Times are absolute Unix milliseconds from the server clock (`Clock.now()`), so a test clock can
 *   move time without sleeping.
 */
import type { JsStream } from './containers/stream';

/**
 * Thrown by an engine that cannot allocate (e.g. the wasm engine at its 4 GiB linear-memory cap).
 * The operation changed nothing; the dispatcher answers Redis's OOM error.
 */
export class EngineOutOfMemoryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineOutOfMemoryError';
  }
}

/** Binary-safe byte string as passed into the engine. */
export type Bytes = Buffer;
/** Binary-safe byte string as returned by the engine: Buffer, or latin1 JS string (1 char = 1 byte). */
export type BulkValue = Buffer | string;

/** The names TYPE replies with. */
export type TypeName = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

/** A stored value. Strings are plain byte strings; containers are objects tagged with their type. */
export type RedisValue = StringValue | ListValue | HashValue | SetValue | ZSetValue | StreamValue;
export type StringValue = BulkValue;

export function typeOfValue(v: RedisValue): TypeName {
  if (typeof v === 'string') return 'string';
  // Containers by their own `type` field (byte strings have none): `instanceof Uint8Array`
  // walked a container's whole prototype chain before failing, on every typed lookup.
  const t = (v as Container).type;
  return t !== undefined ? t : 'string';
}

/** Something whose size the keyspace can ask about (for lazy free and memory accounting). */
export interface Container {
  readonly type: Exclude<TypeName, 'string'>;
  /** Number of elements (entries, fields, members). */
  readonly size: number;
  /** Approximate bytes held, maintained incrementally (O(1)). */
  memoryUsage(): number;
  /** Deep copy, for COPY. */
  clone(): Container;
  /** OBJECT ENCODING answer for this value under the given size thresholds (config values). */
  encoding(limits: EncodingLimits): string;
  /**
   * Called by the keyspace when the container is stored (account) or removed (null). While
   * attached, the container adds its size changes to `account.bytes`, so used_memory stays O(1).
   */
  attach(account: MemoryAccount | null): void;
}

/** The CONFIG thresholds that decide OBJECT ENCODING answers, as Redis 7.0 applies them. */
export interface EncodingLimits {
  listMaxListpackSize: number;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
}

/** Engine-wide byte counter that attached containers keep current. */
export interface MemoryAccount {
  bytes: number;
}

/** Milliseconds clock; the embedding API can substitute a controllable one for tests. */
export interface Clock {
  now(): number;
}

/** Per-key metadata the keyspace keeps beside the value. */
export interface KeyInfo {
  /** Absolute expire time in ms, or -1 when the key has no TTL. */
  expireAt: number;
  /** Last access time in ms (OBJECT IDLETIME). */
  lru: number;
  /** Approximate LFU counter (OBJECT FREQ). */
  freq: number;
  /** How the string value was produced, for OBJECT ENCODING (see StrEnc). */
  strEnc?: StrEnc;
}

/**
 * Redis encodes a string by how it was written: SET-like commands try int/embstr/raw by content
 * (Auto); INCRBYFLOAT creates a plain string object, embstr or raw by length, never int (Plain);
 * APPEND and SETRANGE modify an sds in place, always raw (Raw).
 */
/**
 * OBJ_ENCODING_EMBSTR_SIZE_LIMIT: a longer string is raw-encoded however it was written, so an
 * engine need not remember StrEnc for it.
 */
export const EMBSTR_MAX = 44;

export const enum StrEnc {
  Auto = 0,
  Plain = 1,
  Raw = 2,
}

/** Result of one active-expire cycle, for INFO stats and the adaptive loop. */
export interface ExpireCycleStats {
  sampled: number;
  expired: number;
}

/**
 * One logical database (SELECT n). All lookups perform lazy expiry: an expired key behaves as
 * missing and is deleted (the `onExpired` hook of the engine fires for it).
 */
/** One table of a chained hash table, counted as dict.c's _dictGetStatsHt does (DEBUG HTSTATS). */
export interface HashTableStats {
  /** Buckets. */
  size: number;
  /** Entries. */
  used: number;
  /** Non-empty buckets. */
  slots: number;
  maxChain: number;
  totalChain: number;
  /** chains[i]: buckets whose chain has i entries (the last index: that many or more). */
  chains: number[];
}

/**
 * What DEBUG HTSTATS reports for one table: its chained hash tables (the main one, then the
 * rehashing target while a rehash runs), or, for a structure that is not a chained hash table,
 * a sentence saying what it is instead (never made-up chain figures).
 */
export type TableStats = HashTableStats[] | string;

export interface Db {
  /** Database number; SWAPDB exchanges Db objects and renumbers them. */
  index: number;
  /**
   * Set while a point-in-time snapshot of this Db is being taken (persistence/snapshot.ts), null
   * otherwise. The Db calls `before(this, key)` before every method that changes a key or hands
   * out a value that may be changed in place (get, set, delete, take, setExpire, persist, append,
   * setRange, renameKey for both keys), and `beforeClear(this)` before clear().
   */
  snapshotHook: SnapshotHook | null;
  /**
   * Optional (both engines have it: wasm's dict, js-map's KeyTable): a snapshot's walk over the
   * keys in an order that stays fixed until end() (wasm: buckets, rehashing paused; js-map: rows
   * in slot order, rows never move), so every key present when it began is visited exactly once and the
   * snapshot need remember only the keys written ahead of the walk (not every key it hands over).
   */
  snapshotWalk?(): SnapshotWalk;
  /** Number of keys, O(1). Expired-but-not-yet-reclaimed keys are counted, as in Redis. */
  size(): number;
  /** Number of keys with a TTL, O(1). */
  expiresSize(): number;
  /**
   * MEMORY STATS' db.N figures, O(1): bytes this engine spends to hold the keys (table slots and
   * per-key headers) and their TTLs, beyond key and value bytes. Part of usedMemory().
   */
  keyspaceOverhead(): { main: number; expires: number };
  /** DEBUG HTSTATS: the keyspace table's figures (O(buckets)). */
  keyspaceStats(): TableStats;

  /** The value at `key`, or undefined. Updates the access time unless `noTouch`. */
  get(key: Bytes, noTouch?: boolean): RedisValue | undefined;
  /** True when the key exists (after lazy expiry). Does not update the access time. */
  has(key: Bytes): boolean;
  /**
   * GET's reply straight from the engine's storage: when `key` holds a string, append its RESP
   * bulk reply to `out` (the wasm engine copies the bytes from linear memory; js-map hands over
   * its JS string) and return 1. Return 0 when the key is missing (lazy expiry done, as get())
   * and -1 when it holds a non-string; nothing is written in those cases. Access time as
   * get(key, noTouch).
   */
  writeBulk(key: Bytes, out: BulkSink, noTouch?: boolean): number;
  /**
   * A hint before a pipelined batch runs: `input[start..]` holds RESP requests about to be
   * executed on this Db. The engine may touch the memory their first keys will need so the
   * lookups that follow do not each wait for it. Must not change anything observable.
   */
  prefetch(input: Buffer, start: number, maxCommands: number): void;
  /**
   * The fast lane (optional: assembly/lane.ts for the wasm engine, js-map/lane.ts; the server decides when it
   * may run, src/server/lane.ts): run the simple commands at the start of input[start..] inside
   * the engine, append their replies to `out`, fill `stats` (LANE_STATS_BYTES / 4 counters, laid
   * out as src/engine/wasm/abi.ts's LS_* offsets) and return the input bytes consumed (0: none).
   */
  runLane?(input: Buffer, start: number, params: LaneParams, out: BulkSink, stats: Uint32Array): number;
  /**
   * runLane honours LaneParams.propagated, so the server may run the lane while commands are
   * propagated (the js-map engine). The wasm engine's lane stays closed then: a frame it gives up
   * on for lack of memory may have changed the dataset part-way, which a verbatim copy of the
   * frames could not tell.
   */
  readonly laneVerbatim?: boolean;
  /**
   * runLane stops before a frame once used memory has grown past LaneParams.headroom (the wasm
   * engine: past Engine.setMemoryHeadroom's), so the server may run the lane under maxmemory:
   * that frame goes through the general path, which evicts first.
   */
  readonly laneMaxmemory?: boolean;
  /**
   * APPEND: appends `suffix` to the string at `key`, keeping its TTL and making its encoding raw,
   * and returns the new length; or, changing nothing, APPEND_MISSING (no such key after lazy
   * expiry, as get(): the caller creates it), APPEND_WRONGTYPE, or APPEND_TOO_BIG (the result
   * would exceed maxLen bytes). Must be amortized O(appended bytes).
   */
  append(key: Bytes, suffix: Bytes, maxLen: number): number;
  /**
   * SETRANGE (non-empty `bytes`), same results as append(). The string grows to
   * offset + bytes.length if shorter, zero-filled; APPEND_TOO_BIG when offset + bytes.length
   * exceeds maxLen (Redis's checkStringLength).
   */
  setRange(key: Bytes, offset: number, bytes: Bytes, maxLen: number): number;
  /**
   * A writable view of the string at `key` for commands that change a few bytes of a possibly
   * large value (SETBIT, BITFIELD, SETRANGE, PFADD): the value is made at least `minLen` bytes
   * long (a gap zero-filled) and raw-encoded, TTL kept, and the caller writes into
   * bytes[start, start + length) before its next call into the engine. The value is never
   * copied to JavaScript (wasm) or copied at most once (js-map). APPEND_MISSING, APPEND_WRONGTYPE,
   * or APPEND_TOO_BIG when minLen exceeds maxLen (nothing changed). With `create`, a missing key
   * is created in the same call as minLen zero bytes, raw-encoded, no TTL (the new-key hook
   * fires; its access is the creation's, as dbAdd's), and its view returned (oldLength 0).
   */
  editString(key: Bytes, minLen: number, maxLen: number, create?: boolean): StringEdit | number;
  /**
   * editString(key, len, len) in one lookup for a value of exactly `len` bytes (len above
   * EMBSTR_MAX, so the value already reports raw: PFADD's dense HyperLogLog). A string of another
   * length is left as it is and EDIT_OTHER_LENGTH returned (the caller then peeks it); else
   * APPEND_MISSING or APPEND_WRONGTYPE as editString.
   */
  editExact(key: Bytes, len: number): StringEdit | number;
  /** Set bits in bytes [from, to) of the view peekString just returned (BITCOUNT). */
  popcount(p: StringPeek, from: number, to: number): number;
  /**
   * BITOP: the strings at `sources` (a missing key reads as empty; the caller has checked the
   * types) combined by `op` into a new raw string at `target`, replacing its value and TTL.
   * Returns the result's length; 0 when every source is empty, and then nothing is stored.
   */
  bitop(op: BitOp, target: Bytes, sources: Bytes[]): number;
  /**
   * RENAME inside this Db: `src` (which must exist) moves with its value, TTL, access time and
   * encoding to `dst` (which must not exist; the new-key hook fires), without copying the value.
   */
  renameKey(src: Bytes, dst: Bytes): void;
  /**
   * Zero-copy read of a string (STRLEN, GETRANGE, TYPE, OBJECT): a view of the engine's own
   * bytes, valid only until the next call into the engine (the object is reused). PEEK_MISSING
   * when the key does not exist (lazy expiry as get()), PEEK_WRONGTYPE when it is not a string.
   * Access time as get(key, noTouch).
   */
  peekString(key: Bytes, noTouch?: boolean): StringPeek | number;
  /**
   * Store `value` at `key`, replacing any previous value. The TTL is removed unless `keepTtl`.
   * String values are copied by the engine; containers are stored by reference. `strEnc` says how
   * a string was produced (see StrEnc).
   */
  set(key: Bytes, value: RedisValue, keepTtl?: boolean, strEnc?: StrEnc): void;
  /**
   * INCRBY's fast path, in one call: when the key holds a canonical integer (string2ll) and the
   * sum with `by` (a safe integer) is a safe integer, store the sum's digits (TTL kept, default
   * encoding, one write access, as set(key, digits, true)); when the key is missing, create it
   * holding `by` (the new-key hook fires). Returns the new value, or NaN having changed nothing
   * (but lazily expiring the key) when the caller must take the general path: wrong type, not
   * an integer, a value past 2^53, an expired key.
   */
  incrBy(key: Bytes, by: number): number;
  /**
   * LPUSH/RPUSH's fast path, one lookup: when `key` holds a list, push args[from..] at the head
   * or the tail (list-max-listpack-size `fill`), with the access of a write lookup, and return
   * the new length. -1, having changed nothing, when the caller must take the general path (the
   * key is missing, expired, of another type, or a snapshot is being taken).
   */
  listPush(key: Bytes, tail: boolean, args: Bytes[], from: number, fill: number): number;
  /**
   * LPOP/RPOP's fast path for one element, one lookup: when `key` holds a list, pop its head or
   * tail, append it to `out` as a RESP bulk string and return the elements left (the caller
   * deletes the key at 0). -1 as listPush (nothing written).
   */
  listPopOne(key: Bytes, tail: boolean, out: BulkSink): number;
  /**
   * SADD's fast path, one lookup: when `key` holds a set, add args[from..] (converting at
   * set-max-intset-entries `maxIntset`) and return how many were added. -1 as listPush.
   */
  setAdd(key: Bytes, args: Bytes[], from: number, maxIntset: number): number;
  /**
   * HSET's fast path, one lookup: when `key` holds a hash and no argument is longer than
   * `maxValue`, set the field/value pairs args[from..] (hashTypeSet with hash-max-listpack-value
   * and -entries) and return how many fields were new. -1 as listPush (also when an argument is
   * longer: the general path converts before setting, as hashTypeTryConversion).
   */
  hashSet(key: Bytes, args: Bytes[], from: number, maxValue: number, maxEntries: number): number;
  /** Remove a key. Returns true when it existed. Large containers are freed incrementally. */
  delete(key: Bytes): boolean;
  /**
   * Remove a key WITHOUT freeing its value and return it with its expire time (-1 none), for
   * RENAME/MOVE, which store the same value under another key or db. Undefined when missing.
   */
  take(key: Bytes): { value: RedisValue; expireAt: number; strEnc?: StrEnc } | undefined;

  /** Metadata of an existing key (after lazy expiry), or undefined. */
  info(key: Bytes): KeyInfo | undefined;
  /**
   * Set an existing key's access stamp: idleSecs >= 0 makes its LRU idle time that many seconds,
   * freq >= 0 sets its LFU counter (-1: leave as is). Returns false when the key is missing.
   */
  setAccess(key: Bytes, idleSecs: number, freq: number): boolean;
  /** Absolute expire time of `key` in ms; -1 no TTL; -2 missing. */
  getExpire(key: Bytes): number;
  /** Set the absolute expire time of an existing key. Returns false if missing. */
  setExpire(key: Bytes, atMs: number): boolean;
  /** Remove the TTL. Returns true when a TTL was removed. */
  persist(key: Bytes): boolean;

  /** A random existing key, or null when empty. May return a key whose TTL has passed (as Redis). */
  randomKey(): Buffer | null;
  /**
   * A random key among those with a TTL (the volatile-* eviction draw: Redis draws from its
   * expires dict), or null when none has one. May return a key whose TTL has passed (as Redis's
   * eviction does; the caller evicts it like any other).
   */
  randomVolatileKey(): Buffer | null;
  /**
   * Stateless cursor iteration with Redis's SCAN guarantee: every key present for the whole
   * iteration is visited at least once, across resizes. Visits at least about `count` keys unless
   * the iteration ends. Returns the next cursor; 0 when done. Keys whose TTL has passed are not
   * visited unless `withExpired` (the SCAN command: Redis's dictScan meets them and the command
   * expires them, publishing `expired`).
   */
  scan(cursor: number, count: number, visit: (key: BulkValue) => void, withExpired?: boolean): number;
  /**
   * Optional one-pass walk for SAVE: every live key with its value, absolute expire time (-1
   * none), last access (ms) and LFU counter, without a lookup per key. Read-only: the callback
   * must not change the db. Engines without it are walked with forEachKey + get.
   */
  forEachEntry?(visit: (key: BulkValue, value: RedisValue, expireAt: number, lru: number, freq: number) => void): void;
  /**
   * Optional: SAVE's walk with the records serialized by the engine (wasm: assembly/rdbsave.ts),
   * each exactly as persistence/rdb-writer.ts would write it; keys whose values it does not
   * serialize go to sink.deferred. The callbacks may not change the db.
   */
  saveRecords?(settings: RdbSaveSettings, sink: RdbRecordSink): void;
  /** Visit every key (KEYS). Expired keys are skipped. */
  forEachKey(visit: (key: BulkValue) => void): void;
  /**
   * Visit the keys matching a glob pattern (KEYS), matched inside the engine: the wasm engine runs
   * its glob over keys already in linear memory instead of copying each key out.
   */
  forEachKeyMatching(pattern: Bytes, nocase: boolean, visit: (key: BulkValue) => void): void;

  /** Remove every key. Must not walk the keys on the event loop (free incrementally or let GC do it). */
  clear(lazy?: boolean): void;
  /** Sample keys with a TTL and delete those expired. Deletes go through the expired hook. */
  activeExpireCycle(now: number, maxSamples: number): ExpireCycleStats;
}

/** Db.snapshotWalk's walk. */
export interface SnapshotWalk {
  /** Visit the keys of the next buckets (about `count` keys). True once every bucket was walked. */
  step(count: number, visit: (key: BulkValue) => void): boolean;
  /** Optional: step() with the records serialized by the engine (see Db.saveRecords). */
  stepRecords?(count: number, settings: RdbSaveSettings, sink: RdbRecordSink): boolean;
  /** True when `key` is in the Db and the walk has passed its bucket. */
  passed(key: Bytes): boolean;
  /** Resume rehashing (the walk is over or abandoned). */
  end(): void;
}

/** How Db.saveRecords serializes (RdbWriter's options and the IDLE/FREQ records). */
export interface RdbSaveSettings {
  compression: boolean;
  /** Write IDLE (an LRU maxmemory-policy), counted from refNow (ms). */
  lru: boolean;
  /** Write FREQ (an LFU policy). */
  lfu: boolean;
  refNow: number;
  /** list-max-listpack-size and quicklist's packed threshold. */
  listFill: number;
  packedThreshold: number;
}

/** Where an engine's serializing walk hands each live key. */
export interface RdbRecordSink {
  /** The key's whole record is src[start, end); key() gives the key (call it before anything else). */
  record(src: Uint8Array, start: number, end: number, key: () => string): void;
  /**
   * Optional (SAVE, and a snapshot's walk while no key was handed over ahead of it): `count`
   * whole records back to back, src[start, end), without their keys; when the sink has it, the
   * engine hands a batch over in one call instead of record by record.
   */
  records?(src: Uint8Array, start: number, end: number, count: number): void;
  /** The engine left this key to the JS writer (called after the batch's records were handed out). */
  deferred(key: string): void;
}

/** What a running snapshot needs to hear from a Db before data changes (Db.snapshotHook). */
export interface SnapshotHook {
  before(db: Db, key: Bytes): void;
  beforeClear(db: Db): void;
}

/** Where Db.writeBulk writes: the RespWriter's bulk methods. */
/** The settings a fast-lane run reads (Db.runLane), refreshed by the server per run. */
export interface LaneParams {
  resp3: boolean;
  listFill: number;
  maxIntset: number;
  hashMaxValue: number;
  hashMaxEntries: number;
  /** proto-max-bulk-len (GETBIT's offset limit). */
  maxBulkLen: number;
  /** maxvalue-bytes (0: no limit): SET of a longer value is the general path's (its error). */
  maxValue: number;
  zsetMaxEntries: number;
  zsetMaxValue: number;
  /**
   * The run's frames are propagated as the client sent them (the AOF is on: server/lane.ts):
   * serve only the commands Redis propagates as sent that change the dataset whenever the lane
   * serves them (SET, INCR, DECR, INCRBY, DECRBY, LPUSH, RPUSH, HSET: lane-commands.ts
   * VERBATIM_IDS), and stop before any other.
   */
  propagated: boolean;
  /**
   * The bytes maxmemory leaves now (Infinity: maxmemory off). An engine whose lane honours it
   * (Db.laneMaxmemory) stops the run before the first frame once its data has grown past it.
   */
  headroom: number;
}

export interface BulkSink {
  /** Append a RESP bulk string of a value as the engine returns values. */
  bulk(v: BulkValue): void;
  /** Append a RESP bulk string whose bytes are src[start, start + len). */
  bulkBytes(src: Uint8Array, start: number, len: number): void;
  /** Append bytes that are already RESP (e.g. a batch of bulk strings encoded by the engine). */
  rawBytes(src: Uint8Array, start: number, len: number): void;
}

/** Callback set by the server: a key was reclaimed by lazy or active expiry. */
export type ExpiredHook = (db: Db, key: BulkValue) => void;
/**
 * Callback set by the server: `set` created a key (Redis's dbAdd), including over an expired key.
 * The server publishes the `new` keyspace event and wakes clients blocked on the key.
 */
export type NewKeyHook = (db: Db, key: Bytes) => void;

/** A list: O(1) push/pop at both ends, O(n) by index (like a quicklist). */
export interface ListValue extends Container {
  readonly type: 'list';
  pushHead(v: Bytes): void;
  pushTail(v: Bytes): void;
  popHead(): BulkValue | undefined;
  popTail(): BulkValue | undefined;
  /** Element at index (negative counts from the tail), or undefined. */
  at(index: number): BulkValue | undefined;
  /** Replace the element at a valid non-negative index. */
  setAt(index: number, v: Bytes): void;
  /** Visit elements [start, stop] (non-negative, inclusive, already clamped). */
  range(start: number, stop: number, visit: (v: BulkValue, index: number) => void): void;
  /** Insert before/after the first element equal to pivot. Returns new length, or -1 if no pivot. */
  insert(pivot: Bytes, v: Bytes, after: boolean): number;
  /** LREM semantics: count > 0 from head, < 0 from tail, 0 all. Returns removed count. */
  remove(v: Bytes, count: number): number;
  /** Keep only [start, stop] (non-negative, inclusive; start > stop empties the list). */
  trim(start: number, stop: number): void;
  /** Index of elements equal to v (LPOS), scanning with the given options. */
  positions(v: Bytes, rank: number, count: number, maxlen: number): number[];
  /** list-max-listpack-size for the node splits of the pushes and inserts that follow (wasm). */
  fill?: number;
  /** Optional fast path (wasm): push args[from..] at the head or tail in one call; new length. */
  pushAll?(tail: boolean, args: Bytes[], from: number): number;
  /** Optional fast path (wasm): pop up to `count` from one end straight into `out` as RESP bulks. */
  popResp?(out: BulkSink, tail: boolean, count: number): number;
  /** Optional fast path (wasm): elements [start, stop] (valid) into `out` as RESP bulks (LRANGE). */
  writeRange?(out: BulkSink, start: number, stop: number): void;
}

/** A hash: field -> value. */
export interface HashValue extends Container {
  readonly type: 'hash';
  /** Optional: a loader announces n fields (RDB hashtable encoding), so the table is sized once. */
  reserve?(n: number): void;
  /** DEBUG HTSTATS-KEY, asked only while the encoding is hashtable (skiplist for a sorted set): its table's figures. */
  tableStats(): TableStats;
  get(field: Bytes): BulkValue | undefined;
  /** Returns true when the field is new. */
  set(field: Bytes, value: Bytes): boolean;
  delete(field: Bytes): boolean;
  has(field: Bytes): boolean;
  forEach(visit: (field: BulkValue, value: BulkValue) => void): void;
  /** Stateless cursor scan with the SCAN guarantee. */
  scan(cursor: number, count: number, visit: (field: BulkValue, value: BulkValue) => void): number;
  /** A uniformly random field, or undefined when empty. */
  randomField(): BulkValue | undefined;
  /** A uniformly random (field, value) pair, or undefined when empty. */
  randomEntry(): [BulkValue, BulkValue] | undefined;
  /** Every (field, value) pair, in a new array (HRANDFIELD's sampling without replacement). */
  entries(): [BulkValue, BulkValue][];
  /**
   * hashTypeSet: set a field, converting to the big encoding (one way) when the field or value is
   * longer than maxValue or the hash grows past maxEntries fields. True when the field is new.
   */
  setField(field: Bytes, value: Bytes, maxValue: number, maxEntries: number): boolean;
  /** Optional fast path (wasm): setField of each pair args[from, to) in one call; fields added. */
  setMany?(args: readonly Bytes[], from: number, to: number, maxValue: number, maxEntries: number): number;
  /** hashTypeTryConversion: convert when any of args[from..to] is longer than maxValue. */
  convertIfLonger(maxValue: number, args: Bytes[], from?: number, to?: number): void;
  /** Whole-content encoding check against the limits, for loaders (RDB, RESTORE). */
  fitEncoding(limits: EncodingLimits): void;
  /**
   * Optional fast path (wasm): write every field and/or value, in forEach's order, as RESP bulk
   * strings straight into `out` (HGETALL/HKEYS/HVALS without a JS string per element).
   */
  writeAll?(out: BulkSink, fields: boolean, values: boolean): void;
  /**
   * Optional fast path (wasm): a field's value written as a bulk string straight into `out`
   * (HGET/HMGET without a JS string); false when the field is absent (nothing written).
   */
  writeGet?(field: Bytes, out: BulkSink): boolean;
}

/** A set of byte strings. */
export interface SetValue extends Container {
  readonly type: 'set';
  /** DEBUG HTSTATS-KEY, asked only while the encoding is hashtable (skiplist for a sorted set): its table's figures. */
  tableStats(): TableStats;
  add(member: Bytes): boolean;
  delete(member: Bytes): boolean;
  has(member: Bytes): boolean;
  forEach(visit: (member: BulkValue) => void): void;
  scan(cursor: number, count: number, visit: (member: BulkValue) => void): number;
  randomMember(): BulkValue | undefined;
  /** True when every member is an integer that fits the intset encoding. */
  isIntset(): boolean;
  /** set-max-intset-entries in force: add() converts an intset past it (commands set it live). */
  maxIntset: number;
  /** Re-pick the encoding for the current content (a result set built as intset, as Redis's). */
  reencode(maxIntset: number): void;
  /** Every member, in a new array. */
  toArray(): BulkValue[];
  /** Whole-content encoding check against the limits, for loaders (RDB, RESTORE). */
  fitEncoding(limits: EncodingLimits): void;
  /** Optional fast path (wasm): every member, in forEach's order, as RESP bulk strings into `out` (SMEMBERS). */
  writeMembers?(out: BulkSink): void;
  /** Optional fast path (wasm): add() of each of args[from, to) in one call; how many were added. */
  addMany?(args: readonly Bytes[], from: number, to: number): number;
}

/** Score range bound: value and whether it is exclusive. */
export interface ScoreRange {
  min: number;
  minEx: boolean;
  max: number;
  maxEx: boolean;
}

/** Lexicographic range bound; `null` member means -inf (for min) or +inf (for max). */
export interface LexRange {
  min: Buffer | null;
  minEx: boolean;
  minInf: -1 | 0 | 1;
  max: Buffer | null;
  maxEx: boolean;
  maxInf: -1 | 0 | 1;
}

/**
 * A sorted set: a skip list ordered by (score, member bytes) plus a member -> score map.
 * Ranks are 0-based from the lowest score. Ranked operations are O(log n).
 */
export interface ZSetValue extends Container {
  readonly type: 'zset';
  /** DEBUG HTSTATS-KEY, asked only while the encoding is hashtable (skiplist for a sorted set): its table's figures. */
  tableStats(): TableStats;
  score(member: Bytes): number | undefined;
  /** Insert or update. Returns the previous score, or undefined when the member is new. */
  add(member: Bytes, score: number): number | undefined;
  delete(member: Bytes): boolean;
  /** 0-based rank (reverse: from the highest score), or -1 when absent. */
  rank(member: Bytes, reverse: boolean): number;
  /** Visit ranks [start, stop] (non-negative, clamped, inclusive) in order or reverse. */
  rangeByRank(start: number, stop: number, reverse: boolean, visit: (member: BulkValue, score: number) => void): void;
  /** Visit members in a score range, skipping `offset`, at most `limit` (-1 = all). */
  rangeByScore(range: ScoreRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void;
  rangeByLex(range: LexRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void;
  countByScore(range: ScoreRange): number;
  countByLex(range: LexRange): number;
  scan(cursor: number, count: number, visit: (member: BulkValue, score: number) => void): number;
  forEach(visit: (member: BulkValue, score: number) => void): void;
  /** From now on report the skiplist encoding (SORT converts a listpack zset, as Redis does). */
  convertToSkiplist(): void;
  /**
   * After members were inserted (or the set was built by a STORE): decide the encoding by the
   * limits in force now, as Redis converts only then, and keep that decision when the limits
   * change later (CONFIG SET): zset-max-listpack-entries and -value. `insertedMaxLen`: the longest
   * member just inserted. Engines whose sets hold their encoding need not implement it.
   */
  settleEncoding?(maxEntries: number, maxValue: number, insertedMaxLen: number): void;
  /**
   * Optional fast path (wasm): while `run` executes, range calls (rangeByRank/Score/Lex) write each
   * member straight into `out` as a bulk string instead of calling their visitor, so no JS string
   * is built per member. Scores are not written. Returns the number of members written.
   */
  writingTo?(out: BulkSink, run: () => void): number;
  /**
   * Optional fast path (wasm): ZADD's loop without INCR in one engine call, over the members
   * argv[from], argv[from + 2]... with `scores`, flags 1 NX, 2 XX, 4 GT, 8 LT (as zsetAdd).
   * `maxValue`: the member length past which a listpack converts, instead of the live
   * zset-max-listpack-value (the RDB loader passes Infinity for a listpack record, which Redis
   * converts by its length only). Returns [added, updated].
   */
  addMany?(argv: Bytes[], from: number, scores: number[], flags: number, maxValue?: number): [number, number];
  /**
   * Optional fast path (wasm): GEOSEARCH's scan of one geohash box in one engine call. Appends to
   * `out`, in score order, the members with a score in [min, max) whose point is inside the shape
   * around (lon, lat) -- a circle of radiusM meters when radiusM >= 0, else a widthM x heightM box
   * -- with their distance in meters, stopping once `out` holds `limit` (0: no limit). Returns
   * false (and appends nothing) when this representation has no fast path. The hits' members are
   * left in the engine (member null): after the last box, geoMembers(out) gives the bytes they
   * point into, valid until the next call into the engine. `first` is true for a search's first box.
   */
  geoScan?(min: number, max: number, lon: number, lat: number, radiusM: number, widthM: number, heightM: number, limit: number, out: GeoHit[], first: boolean): boolean;
  /** With geoScan: resolve the member-less hits of `hits` (sets at to absolute offsets); the bytes. */
  geoMembers?(hits: GeoHit[]): Uint8Array;
  /**
   * Optional fast path (wasm): remove the lowest (reverse: highest) element and put it in `out`
   * (a holder the caller reuses); false when empty. ZPOPMIN/ZPOPMAX's loop body in one call.
   */
  popOne?(reverse: boolean, out: PoppedElement): boolean;
}

/**
 * A GEOSEARCH candidate inside the search shape: member, score (its geohash), distance in meters.
 * member null: the member is the bytes [at, at + len) of ZSetValue.geoMembers' array.
 */
export interface GeoHit {
  member: BulkValue | null;
  score: number;
  dist: number;
  at: number;
  len: number;
}

/** ZSetValue.popOne's result holder. */
export interface PoppedElement {
  member: BulkValue;
  score: number;
}

/**
 * A stream: a radix-ordered log of entries in listpack-like nodes, with consumer groups and their
 * pending entries lists. Both engines use the JavaScript container (containers/stream.ts), whose
 * class is the interface; a WASM stream would extract one from it.
 */
export type StreamValue = JsStream;

/** An engine: creates databases and containers, and accounts memory. */
export interface Engine {
  readonly name: EngineName;
  /** Create database number `index`. */
  createDb(index: number, clock: Clock, onExpired: ExpiredHook, onNewKey?: NewKeyHook): Db;
  newList(): ListValue;
  newHash(): HashValue;
  newSet(): SetValue;
  newZSet(): ZSetValue;
  newStream(): StreamValue;
  /** Redis glob match (stringmatchlen). */
  globMatch(pattern: Bytes, subject: BulkValue, nocase: boolean): boolean;
  /** The register array PFCOUNT and PFMERGE merge HLL values into (one per engine, reused). */
  hllRegisters(): HllRegisters;
  /** Bytes in use by stored data (used_memory's dataset part), maintained in O(1). */
  usedMemory(): number;
  /**
   * maxmemory leaves `headroom` bytes now (Infinity: no maxmemory). An engine whose keyspace grows
   * its table in steps puts off a growth that would pass it (Redis's dictExpandAllowed), and its
   * lane stops before a frame once past it (Db.laneMaxmemory).
   */
  setMemoryHeadroom?(headroom: number): void;
  /**
   * Run background work (incremental rehash, lazy free) for about `budgetMs`. Returns true if more
   * is pending. `activeRehash` false (activerehashing no): no rehash steps here; a rehash then
   * advances only with the operations on the table, as in Redis.
   */
  backgroundWork(budgetMs: number, activeRehash?: boolean): boolean;
  /**
   * One bounded step of freeing what is already deleted but whose memory the engine frees later
   * (the wasm engine's containers, freed in steps between commands). True if there was something
   * to free. Eviction calls it before it evicts another key: used memory counts those bytes until
   * they are freed, and evicting more instead would empty the keyspace while the frees lag (Redis
   * likewise waits for its lazyfree thread rather than evict more).
   */
  reclaimStep(): boolean;
  /** lfu-log-factor and lfu-decay-time (minutes) for the LFU counters of every db. */
  setLfuParams(logFactor: number, decayTime: number): void;
  /** Optional (wasm): list-compress-depth for the lists' nodes as they change (assembly/list.ts); the js-map engine refuses a depth above 0 (config/unsupported.ts). */
  setListCompressDepth?(depth: number): void;
  /**
   * While paused no key of any db counts as expired (lookups, scans, overwrites): Redis's
   * keyIsExpired answers 0 while loading, so an AOF replays to the state it recorded (a key
   * PERSISTed before its TTL passed keeps living when the server restarts after that time).
   */
  setExpiryPaused(paused: boolean): void;
  /**
   * While set (clients are paused: no command writes), a read lookup of a key past its TTL answers
   * "missing" but leaves the key in place, without the expired hook (Redis's expireIfNeeded under
   * CLIENT PAUSE keeps the dataset static); it expires on the first access after the pause.
   * Write lookups still expire it.
   */
  setExpiredKept(kept: boolean): void;
  /** Optional: the server's live settings, for structures that convert at CONFIG thresholds. */
  useConfig?(config: EngineSettings): void;
  /** Optional: the RDB loader's fast path over `buf` (wasm: assembly/rdbload.ts). */
  rdbFastLoader?(buf: Buffer): RdbFastLoader;
}

/**
 * Key records stored by the engine straight from an RDB file's bytes (persistence/rdb.ts RdbLoad):
 * the common types and encodings; anything else is left to the JS reader.
 */
export interface RdbFastLoader {
  /**
   * Store the key records of buf from `pos` into db, at most maxKeys. Returns the bytes consumed;
   * 0 when the record at pos is for the JS reader. `keys` is then the number of keys stored.
   */
  run(db: Db, pos: number, now: number, limits: EncodingLimits, maxKeys: number): number;
  keys: number;
  /** RESIZEDB: db will hold about `size` keys (an empty keyspace is sized once, as rdbLoad's dictExpand). */
  resize(db: Db, size: number): void;
  /** The load is over: release the engine memory it holds. */
  done(): void;
  /**
   * Optional: the CRC-64 of buf[0, end) (persistence/crc64.ts), computed where the engine reads
   * the file from (wasm: in its own memory, through the load's window, instead of a helper
   * instance's). Called before any record is stored.
   */
  checksum?(end: number): { hi: number; lo: number };
}

export type EngineName = 'js-map' | 'wasm';

/**
 * Db.peekString's view: bytes[start, start + length). `bytes` is the engine's memory, or a
 * stored latin1 JS string (js-map), whose char codes are the bytes.
 */
export interface StringPeek {
  bytes: Uint8Array | string;
  start: number;
  length: number;
}
/**
 * Db.editString's view: bytes[start, start + length) is the stored value, writable; oldLength is
 * its length before the call (0 for a value just created).
 */
export interface StringEdit {
  bytes: Uint8Array;
  start: number;
  length: number;
  oldLength: number;
}

/**
 * PFCOUNT's and PFMERGE's register work over HLL values this engine returned (peekString and
 * editString views, whose HYLL header the caller has checked): 16384 raw registers (one byte
 * each, Redis's HLL_RAW) merged into, counted and written back. The wasm engine keeps them in
 * linear memory and runs assembly/hyperloglog.ts where the values are.
 */
export interface HllRegisters {
  /** Every register to 0. */
  reset(): void;
  /** register[i] = MAX(register[i], the value's register i); false when a sparse value is corrupt. */
  merge(v: StringPeek): boolean;
  /** How many registers hold each value 0..63 (the estimator's input). */
  histogram(): Int32Array;
  /** The registers, valid until the next call into the engine. */
  registers(): Uint8Array;
  /** Raise the registers of the dense value being edited to these (PFMERGE into a dense target). */
  raiseDense(v: StringEdit): void;
}

/** BITOP's operations (the wasm engine's BITOP_* in engine/wasm/abi.ts have the same numbers). */
export const enum BitOp {
  AND = 0,
  OR = 1,
  XOR = 2,
  NOT = 3,
}
export const PEEK_MISSING = -1;
export const PEEK_WRONGTYPE = -2;

/** Db.append / Db.setRange results other than a length. */
export const APPEND_MISSING = -1;
export const APPEND_WRONGTYPE = -2;
export const APPEND_TOO_BIG = -3;
/** Db.editExact: the string has another length (nothing changed). */
export const EDIT_OTHER_LENGTH = -4;

/**
 * What an engine reads of the live settings (Config satisfies it): any setting by name, and the
 * ones read on every write as plain fields (Config.hot).
 */
export interface EngineSettings {
  int(name: string): number;
  readonly hot: { readonly 'zset-max-listpack-entries': number; readonly 'zset-max-listpack-value': number };
}
