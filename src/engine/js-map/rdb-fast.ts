/**
 * JsMapRdbLoader (Engine.rdbFastLoader, types.ts): the js-map engine's fast path for the RDB
 * loader (persistence/rdb.ts RdbLoad). It stores many key records per call straight from the
 * file's bytes into the KeyTable:
 *
 * - strings: the key's bytes handed to the KeyTable (which keeps short keys in its rows, so no
 *   key string), the value latin1 string built once from the bytes (no Buffer view per string,
 *   no second copy through Db.set); int-encoded and LZF strings too.
 * - small collections in the encodings Redis 7.0 writes (hash and zset listpacks, one-node
 *   quicklists, intsets, small hashtable sets): validated completely here, then kept as the
 *   file's bytes (containers/packed.ts) until first used. Loading then costs one copy of the
 *   blob per key instead of a container and a string per element.
 *
 * A record may have a TTL (EXPIRETIME_MS) still in the future. Anything else (other types,
 * opcodes, expired or duplicate keys, values past the encoding limits, any
 * record that does not check out) stops the run before that record: the JS reader takes it and
 * reports errors as before. Everything is bounds-checked; a stop is never an error here.
 *
 * With build/redust.wasm, rdb-scan.ts runs first (these checks in WASM, for a subset of these
 * records) and hands this loader the records it stops at.
 */
import type { EncodingLimits, RdbFastLoader, RedisValue } from '../types';
import { bytesToInt64 } from '../../persistence/listpack';
import { strtodAll } from '../../util/number';
import { RdbError } from '../../persistence/errors';
import { lzfDecompress } from '../../persistence/lzf';
import * as F from '../../persistence/format';
import { PackedArena, PackedValue, type PackedContext, type PackedMakers } from '../containers/packed';
import { hashOfBytes } from './key-table';
import type { PackedStore } from './packed-store';

/** What the loader needs from a js-map Db. */
export interface FastLoadTarget {
  /**
   * Insert keys[0, n) (key i: the bytes kb[offs[i], offs[i] + lens[i]); hashes: hashOfBytes of
   * them; expires: absolute ms, -1 none; sizes: each value's memoryUsage, values are strings,
   * Buffers or PackedValues, which attach to no account, the index of a descriptor written in
   * packedStore(), or null for the string of the bytes kb[valOffs[i], valOffs[i] + valLens[i]),
   * not built unless it is too long to be kept in the key's row) until one exists already;
   * returns how many were inserted.
   */
  loadInsertMany(kb: Uint8Array, offs: Int32Array, lens: Int32Array, hashes: Int32Array, values: readonly LoadValue[], valOffs: Int32Array, valLens: Int32Array, sizes: Float64Array, expires: Float64Array, n: number, now: number): number;
  /** RESIZEDB: size an empty keyspace for about `n` keys. */
  presize(n: number): void;
  /** Where a loader writes the descriptors of values kept packed (packed-store.ts). */
  packedStore(): PackedStore;
}

/** A loaded value as a batch holds it (see FastLoadTarget.loadInsertMany). */
export type LoadValue = RedisValue | number | null;

/** Collections of up to this many elements are checked here (else the JS reader). */
const MAX_PACKED_ELEMENTS = 64;
/** Slots of the repeat check's table (at most MAX_PACKED_ELEMENTS entries: a load of 1/4). */
const DUP_SLOTS = 4 * MAX_PACKED_ELEMENTS;
/** Values above this length are stored as Buffers by the Db (engine.ts BIG_AS_BUFFER). */
const BIG_AS_BUFFER = 4096;
const INTSET_HARD_MAX = 1 << 30;

/** Records parsed before one KeyTable call. */
const BATCH = 64;

/**
 * A batch of key records for FastLoadTarget.loadInsertMany, as the js-map loaders build it
 * (this file's and rdb-scan.ts's): the keys as bytes in keyBytes at keyOff/keyLen (the table keeps
 * short keys' bytes in its rows, so no key string is built), their table hashes, values, memory
 * figures, TTLs and where each record ends in the file. A null value is a string value given as
 * bytes in keyBytes at valOff/valLen (rdb-scan.ts: the table copies short ones into the row, so
 * no value string is built either).
 */
export class LoadBatch {
  readonly keyOff: Int32Array;
  readonly keyLen: Int32Array;
  readonly vals: LoadValue[];
  readonly valOff: Int32Array;
  readonly valLen: Int32Array;
  readonly hash: Int32Array;
  readonly end: Float64Array;
  readonly exp: Float64Array;
  readonly size: Float64Array;

  /** Room for `records` records (this file's batches: BATCH). */
  constructor(
    public keyBytes: Uint8Array,
    records = BATCH,
  ) {
    this.keyOff = new Int32Array(records);
    this.keyLen = new Int32Array(records);
    this.vals = new Array<LoadValue>(records).fill('');
    this.valOff = new Int32Array(records);
    this.valLen = new Int32Array(records);
    this.hash = new Int32Array(records);
    this.end = new Float64Array(records);
    this.exp = new Float64Array(records);
    this.size = new Float64Array(records);
  }

  /** Store records 0..n-1; returns how many were (fewer: a key was already there). */
  store(t: FastLoadTarget, n: number, now: number): number {
    const vals = this.vals;
    const stored = t.loadInsertMany(this.keyBytes, this.keyOff, this.keyLen, this.hash, vals, this.valOff, this.valLen, this.size, this.exp, n, now);
    for (let i = 0; i < n; i++) {
      // (the descriptors of the records not stored: the JS reader reads those again)
      const v = vals[i];
      if (i >= stored && typeof v === 'number') t.packedStore().drop(v);
      vals[i] = '';
    }
    return stored;
  }
}

/** Thrown (and caught in run) when a record is for the JS reader. */
const DECLINE = new Error('decline');

const fcc = String.fromCharCode;

/**
 * b[o, o + n) as a latin1 string: up to 12 bytes by String.fromCharCode in JIT code (latin1Slice
 * is a native call, ~100 ns: 1M keys of "key:N" = "value:N" loaded ~25% slower with it alone).
 */
export function latin1At(b: Buffer, o: number, n: number): string {
  switch (n) {
    case 0:
      return '';
    case 1:
      return fcc(b[o]);
    case 2:
      return fcc(b[o], b[o + 1]);
    case 3:
      return fcc(b[o], b[o + 1], b[o + 2]);
    case 4:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3]);
    case 5:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4]);
    case 6:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5]);
    case 7:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6]);
    case 8:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
    case 9:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8]);
    case 10:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8], b[o + 9]);
    case 11:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8], b[o + 9], b[o + 10]);
    case 12:
      return fcc(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8], b[o + 9], b[o + 10], b[o + 11]);
    default:
      return b.latin1Slice(o, o + n);
  }
}

/** Decimal digits of an integer's text (with the sign). */
function intTextLen(v: number): number {
  let n = v < 0 ? 2 : 1;
  let a = Math.abs(v);
  while (a >= 10) {
    a = Math.floor(a / 10);
    n++;
  }
  return n;
}

/**
 * A string element's fingerprint: its length and three of its bytes (first, middle, last), so
 * no loop over the bytes; equal strings have equal fingerprints, and most distinct ones differ.
 */
function strFp(b: Buffer, o: number, n: number): number {
  return n === 0 ? 0x51ed27 : Math.imul(n, 0x9e3779b1) ^ (b[o] | (b[o + (n >> 1)] << 8) | (b[o + n - 1] << 16));
}

/** An integer element's fingerprint (the element is an int32 here). */
function intFp(v: number): number {
  return Math.imul(v | 0, 0x85ebca6b) ^ 0x3c6ef372;
}

/** Same bytes at b[a, a + n) and b[c, c + n). */
function sameRange(b: Buffer, a: number, c: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (b[a + i] !== b[c + i]) return false;
  return true;
}

export class JsMapRdbLoader implements RdbFastLoader {
  keys = 0;
  private pos = 0;
  private end = 0;
  /** The current string (str()): bytes at buf[sOff, sOff + sLen) of sBuf, or an integer's text. */
  private sBuf: Buffer;
  private sOff = 0;
  private sLen = 0;
  private lzfOut = Buffer.allocUnsafe(1024);
  /** Element positions of the collection being checked (start, length, int flag). */
  private readonly eOff = new Int32Array(2 * MAX_PACKED_ELEMENTS + 2);
  private readonly eLen = new Int32Array(2 * MAX_PACKED_ELEMENTS + 2);
  private readonly eInt = new Float64Array(2 * MAX_PACKED_ELEMENTS + 2);
  private readonly eScore = new Float64Array(MAX_PACKED_ELEMENTS + 1);
  /** Each element's fingerprint (fingerprint()): equal elements have equal ones. */
  private readonly eFp = new Int32Array(2 * MAX_PACKED_ELEMENTS + 2);
  /** noRepeats' open-addressing table: element index by fingerprint, live where dupStamp === stamp. */
  private readonly dupIdx = new Int32Array(DUP_SLOTS);
  private readonly dupStamp = new Int32Array(DUP_SLOTS);
  private stamp = 0;
  private limits: EncodingLimits | null = null;
  /** The batch being parsed (its keys' bytes copied to keyBuf, which the batch points at). */
  private keyBuf = Buffer.alloc(BATCH * 32);
  private readonly batch = new LoadBatch(this.keyBuf);
  /** The memoryUsage of the value just parsed (stringValue, collection). */
  private vSize = 0;
  private ctx: PackedContext | null = null;
  /** Where the packed values' blobs go (rdb-scan.ts puts its own there too). */
  readonly arena = new PackedArena();

  constructor(
    private readonly buf: Buffer,
    private readonly target: (db: unknown) => FastLoadTarget | null,
    private readonly makers: PackedMakers,
  ) {
    this.sBuf = buf;
  }

  resize(db: unknown, size: number): void {
    const t = this.target(db);
    if (t !== null && size > 0) t.presize(Math.min(size, 1 << 29));
  }

  done(): void {
    this.lzfOut = Buffer.alloc(0);
  }

  run(db: unknown, pos: number, now: number, limits: EncodingLimits, maxKeys: number): number {
    this.keys = 0;
    const t = this.target(db);
    if (t === null) return 0;
    // One limits object per load (packed values keep it for their unpacking).
    if (this.limits === null || !sameLimits(this.limits, limits)) {
      this.limits = { ...limits };
      this.ctx = { limits: this.limits, makers: this.makers };
    }
    const buf = this.buf;
    this.end = buf.length;
    const batch = this.batch;
    const bVals = batch.vals;
    const bHash = batch.hash;
    const bEnd = batch.end;
    const bExp = batch.exp;
    let at = pos;
    let stop = false;
    while (!stop && this.keys < maxKeys && at < this.end) {
      // A batch of records parsed, then stored in one table call (which overlaps their cache misses).
      let n = 0;
      let p = at;
      let kpos = 0;
      while (n < BATCH && this.keys + n < maxKeys && p < this.end) {
        let q = p;
        let expireAt = -1;
        if (buf[q] === F.RDB_OPCODE_EXPIRETIME_MS) {
          // A TTL still in the future (an expired key is the JS reader's: it counts or keeps it).
          if (q + 10 > this.end) {
            stop = true;
            break;
          }
          expireAt = buf.readUInt32LE(q + 1) + buf.readInt32LE(q + 5) * 4294967296;
          if (expireAt < now) {
            stop = true;
            break;
          }
          q += 9;
        }
        const type = buf[q];
        if (type !== F.RDB_TYPE_STRING && type !== F.RDB_TYPE_SET && type !== F.RDB_TYPE_SET_INTSET && type !== F.RDB_TYPE_HASH_LISTPACK && type !== F.RDB_TYPE_ZSET_LISTPACK && type !== F.RDB_TYPE_LIST_QUICKLIST_2) {
          stop = true;
          break;
        }
        this.pos = q + 1;
        try {
          // The key: its bytes in the file (raw), or its text (int-encoded, LZF).
          this.string();
          kpos = this.keepKey(n, kpos);
          bHash[n] = hashOfBytes(this.sBuf, this.sOff, this.sLen);
          bVals[n] = type === F.RDB_TYPE_STRING ? this.stringValue() : (this.collection(type) as unknown as RedisValue);
        } catch (e) {
          if (e === DECLINE || e instanceof RangeError || e instanceof RdbError) {
            stop = true;
            break;
          }
          throw e;
        }
        bExp[n] = expireAt;
        batch.size[n] = this.vSize;
        p = bEnd[n] = this.pos;
        n++;
      }
      if (n === 0) break;
      const stored = batch.store(t, n, now);
      if (stored > 0) at = bEnd[stored - 1];
      this.keys += stored;
      if (stored < n) stop = true; // a key already there: the JS reader reports it
    }
    return at - pos;
  }

  /** Copy the current string (the batch's key i) to keyBuf at `kpos`; returns the next position. */
  private keepKey(i: number, kpos: number): number {
    const len = this.sLen;
    if (kpos + len > this.keyBuf.length) {
      const grown = Buffer.alloc(Math.max(2 * this.keyBuf.length, kpos + len));
      this.keyBuf.copy(grown, 0, 0, kpos);
      this.keyBuf = this.batch.keyBytes = grown;
    }
    const kb = this.keyBuf;
    const src = this.sBuf;
    const off = this.sOff;
    if (len <= 32) for (let j = 0; j < len; j++) kb[kpos + j] = src[off + j];
    else src.copy(kb, kpos, off, off + len);
    this.batch.keyOff[i] = kpos;
    this.batch.keyLen[i] = len;
    return kpos + len;
  }

  private need(n: number): void {
    if (this.pos + n > this.end) throw DECLINE;
  }

  /** rdbLoadLen of a plain length. */
  private len(): number {
    this.need(1);
    const b = this.buf;
    const c = b[this.pos];
    const type = c >> 6;
    if (type === 0) {
      this.pos++;
      return c & 0x3f;
    }
    if (type === 1) {
      this.need(2);
      this.pos += 2;
      return ((c & 0x3f) << 8) | b[this.pos - 1];
    }
    if (c === 0x80) {
      this.need(5);
      const v = b.readUInt32BE(this.pos + 1);
      this.pos += 5;
      return v;
    }
    throw DECLINE;
  }

  /** An RDB string into (sBuf, sOff, sLen): a view of the file, or decoded bytes. */
  private string(): void {
    this.need(1);
    const b = this.buf;
    const c = b[this.pos];
    if (c >> 6 !== 3) {
      const n = this.len();
      this.need(n);
      this.sBuf = b;
      this.sOff = this.pos;
      this.sLen = n;
      this.pos += n;
      return;
    }
    this.pos++;
    let text: string;
    switch (c & 0x3f) {
      case F.RDB_ENC_INT8:
        this.need(1);
        text = String(b.readInt8(this.pos));
        this.pos += 1;
        break;
      case F.RDB_ENC_INT16:
        this.need(2);
        text = String(b.readInt16LE(this.pos));
        this.pos += 2;
        break;
      case F.RDB_ENC_INT32:
        this.need(4);
        text = String(b.readInt32LE(this.pos));
        this.pos += 4;
        break;
      case F.RDB_ENC_LZF: {
        const clen = this.len();
        const len = this.len();
        this.need(clen);
        if (clen === 0 || len > clen * 300 + 64) throw DECLINE;
        if (this.lzfOut.length < len) this.lzfOut = Buffer.allocUnsafe(Math.max(len, this.lzfOut.length * 2));
        if (lzfDecompress(b, this.pos, this.pos + clen, this.lzfOut, len) !== len) throw DECLINE;
        this.pos += clen;
        this.sBuf = this.lzfOut;
        this.sOff = 0;
        this.sLen = len;
        return;
      }
      default:
        throw DECLINE;
    }
    const n = text.length;
    if (this.lzfOut.length < n) this.lzfOut = Buffer.allocUnsafe(1024);
    this.lzfOut.latin1Write(text, 0, n);
    this.sBuf = this.lzfOut;
    this.sOff = 0;
    this.sLen = n;
  }

  /** A string value as the Db stores it (storeString). */
  private stringValue(): RedisValue {
    this.string();
    const n = this.sLen;
    this.vSize = n;
    if (n > BIG_AS_BUFFER) return Buffer.from(this.sBuf.subarray(this.sOff, this.sOff + n));
    return latin1At(this.sBuf, this.sOff, n);
  }

  private collection(type: number): PackedValue {
    const L = this.limits!;
    switch (type) {
      case F.RDB_TYPE_HASH_LISTPACK: {
        this.string();
        const b = this.sBuf;
        const n = this.listpack(b, this.sOff, this.sOff + this.sLen, false);
        if (n === 0 || n % 2 !== 0) throw DECLINE;
        const fields = n / 2;
        if (fields > L.hashMaxListpackEntries) throw DECLINE;
        let bytes = 48;
        for (let i = 0; i < n; i++) {
          if (this.eLen[i] > L.hashMaxListpackValue) throw DECLINE;
          bytes += this.eLen[i];
        }
        bytes += 16 * fields;
        this.noRepeats(b, n, 2);
        return this.packed(type, this.sBuf, this.sOff, this.sLen, fields, 0, bytes);
      }
      case F.RDB_TYPE_ZSET_LISTPACK: {
        this.string();
        const b = this.sBuf;
        const n = this.listpack(b, this.sOff, this.sOff + this.sLen, true);
        if (n === 0 || n % 2 !== 0) throw DECLINE;
        const members = n / 2;
        let maxLen = 0;
        let bytes = 104 + 96;
        for (let i = 0; i < members; i++) {
          const ml = this.eLen[2 * i];
          if (ml > maxLen) maxLen = ml;
          bytes += ml + 36;
          // Ascending by (score, member bytes), as JsZSet keeps them.
          if (i > 0) {
            const s0 = this.eScore[i - 1];
            const s1 = this.eScore[i];
            if (!(s0 < s1 || (s0 === s1 && this.memberLess(b, 2 * i - 2, 2 * i)))) throw DECLINE;
          }
        }
        return this.packed(type, this.sBuf, this.sOff, this.sLen, members, maxLen, bytes);
      }
      case F.RDB_TYPE_LIST_QUICKLIST_2: {
        if (this.len() !== 1 || this.len() !== F.QUICKLIST_NODE_CONTAINER_PACKED) throw DECLINE;
        this.string();
        const n = this.listpack(this.sBuf, this.sOff, this.sOff + this.sLen, false);
        if (n === 0) throw DECLINE;
        let bytes = 48 + 8 * n;
        let maxLen = 0;
        for (let i = 0; i < n; i++) {
          bytes += this.eLen[i];
          if (this.eLen[i] > maxLen) maxLen = this.eLen[i];
        }
        return this.packed(type, this.sBuf, this.sOff, this.sLen, n, maxLen, bytes);
      }
      case F.RDB_TYPE_SET_INTSET: {
        this.string();
        const b = this.sBuf;
        const o = this.sOff;
        if (this.sLen < 8) throw DECLINE;
        const width = b.readUInt32LE(o);
        const n = b.readUInt32LE(o + 4);
        if ((width !== 2 && width !== 4) || n === 0 || 8 + n * width !== this.sLen) throw DECLINE;
        if (n > Math.min(L.setMaxIntsetEntries, INTSET_HARD_MAX)) throw DECLINE;
        let bytes = 48 + 8 * n;
        let prev = -Infinity;
        for (let i = 0, p = o + 8; i < n; i++, p += width) {
          const v = width === 2 ? b.readInt16LE(p) : b.readInt32LE(p);
          if (!(prev < v)) throw DECLINE;
          prev = v;
          bytes += intTextLen(v);
        }
        return this.packed(type, this.sBuf, this.sOff, this.sLen, n, 0, bytes);
      }
      default:
        return this.smallSet();
    }
  }

  /** The packed value of the blob b[off, off + len) (copied into the arena). */
  private packed(type: number, b: Buffer, off: number, len: number, size: number, maxLen: number, bytes: number): PackedValue {
    this.vSize = bytes;
    const a = this.arena;
    const ab = a.put(b, off, len);
    return new PackedValue(type, ab, a.at, len, size, maxLen, bytes, this.ctx!);
  }

  /**
   * RDB_TYPE_SET of at most MAX_PACKED_ELEMENTS members, each a raw string of at most 20 bytes
   * (so no LZF either way) that is not an int32 Redis would int-encode, or a minimal int-encoded
   * integer; at least one member not an integer (the set is a hashtable); no repeats.
   */
  private smallSet(): PackedValue {
    const b = this.buf;
    const start = this.pos;
    this.need(1);
    if (b[start] >= 0x40) throw DECLINE; // (a count this small has a 1-byte length)
    const n = this.len();
    if (n === 0 || n > MAX_PACKED_ELEMENTS) throw DECLINE;
    let nonInt = false;
    let bytes = 48;
    for (let i = 0; i < n; i++) {
      this.need(1);
      const c = b[this.pos];
      if (c < 0x40) {
        const len = c;
        if (len > 20) throw DECLINE;
        this.need(1 + len);
        const o = this.pos + 1;
        const v = bytesToInt64(b, o, len);
        if (v === null) nonInt = true;
        else if (typeof v === 'number' && v >= -2147483648 && v <= 2147483647) throw DECLINE;
        this.eOff[i] = o;
        this.eLen[i] = len;
        this.eInt[i] = NaN;
        this.eFp[i] = strFp(b, o, len);
        bytes += len + 16;
        this.pos = o + len;
      } else {
        let v: number;
        if (c === 0xc0) {
          this.need(2);
          v = b.readInt8(this.pos + 1);
          this.pos += 2;
        } else if (c === 0xc1) {
          this.need(3);
          v = b.readInt16LE(this.pos + 1);
          if (v >= -128 && v <= 127) throw DECLINE;
          this.pos += 3;
        } else if (c === 0xc2) {
          this.need(5);
          v = b.readInt32LE(this.pos + 1);
          if (v >= -32768 && v <= 32767) throw DECLINE;
          this.pos += 5;
        } else throw DECLINE;
        this.eOff[i] = 0;
        this.eLen[i] = 0;
        this.eInt[i] = v;
        this.eFp[i] = intFp(v);
        bytes += intTextLen(v) + 16;
      }
    }
    if (!nonInt) throw DECLINE;
    this.noRepeats(b, n, 1);
    return this.packed(F.RDB_TYPE_SET, b, start, this.pos - start, n, 0, bytes);
  }

  /**
   * Walk a listpack: every element's position, text length, integer value (NaN for strings)
   * and fingerprint into eOff/eLen/eInt/eFp; with `scores`, every second element parsed as a
   * score into eScore.
   * Checked as LpReader checks (sizes, terminator, count, back-lengths) but stricter, inline:
   * only the encodings of small elements (7/13/16/24/32-bit integers, strings under 64 bytes
   * with one-byte back-lengths); anything else, string entries that are canonical integers and
   * more than 2 * MAX_PACKED_ELEMENTS elements are declined. Returns the count.
   */
  private listpack(b: Buffer, start: number, end: number, scores: boolean): number {
    const size = end - start;
    if (size < 7 || (b[start] | (b[start + 1] << 8) | (b[start + 2] << 16) | (b[start + 3] << 24)) >>> 0 !== size || b[end - 1] !== 0xff) throw DECLINE;
    const header = b[start + 4] | (b[start + 5] << 8);
    const last = end - 1;
    const eOff = this.eOff;
    const eLen = this.eLen;
    const eInt = this.eInt;
    const eFp = this.eFp;
    let p = start + 6;
    let n = 0;
    while (p < last) {
      if (n === 2 * MAX_PACKED_ELEMENTS) throw DECLINE;
      const e = b[p];
      let len: number;
      let v = NaN;
      if (e < 0x80) {
        v = e;
        len = 1;
      } else if ((e & 0xc0) === 0x80) {
        len = 1 + (e & 0x3f);
      } else if ((e & 0xe0) === 0xc0) {
        const u = ((e & 0x1f) << 8) | b[p + 1];
        v = u >= 4096 ? u - 8192 : u;
        len = 2;
      } else if (e === 0xf1) {
        v = ((b[p + 1] | (b[p + 2] << 8)) << 16) >> 16;
        len = 3;
      } else if (e === 0xf2) {
        v = ((b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16)) << 8) >> 8;
        len = 4;
      } else if (e === 0xf3) {
        v = b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24);
        len = 5;
      } else throw DECLINE;
      // The entry and its one-byte back-length, inside the entries.
      if (p + len + 1 > last || b[p + len] !== len) throw DECLINE;
      if (v === v) {
        eOff[n] = 0;
        eLen[n] = intTextLen(v);
        eFp[n] = intFp(v);
      } else {
        const sl = len - 1;
        // (only a '-' or a digit can start an integer's text)
        const c0 = b[p + 1];
        if ((c0 === 45 || (c0 >= 48 && c0 <= 57)) && bytesToInt64(b, p + 1, sl) !== null) throw DECLINE;
        eOff[n] = p + 1;
        eLen[n] = sl;
        eFp[n] = strFp(b, p + 1, sl);
      }
      eInt[n] = v;
      if (scores && (n & 1) === 1) {
        const sc = v === v ? v : strtodAll(b.latin1Slice(p + 1, p + len));
        if (sc === null || Number.isNaN(sc)) throw DECLINE;
        this.eScore[n >> 1] = sc;
      }
      p += len + 1;
      n++;
    }
    if (p !== last || (header !== 65535 && header !== n)) throw DECLINE;
    if (scores) this.noRepeats(b, n, 2);
    return n;
  }

  /**
   * No two of the elements 0, step, 2*step... (fields or members) are equal: each goes into a
   * small open-addressing table by fingerprint; only a fingerprint already there is compared
   * (both integers: by value; both strings: by bytes; an integer and a string never are equal,
   * as string elements that are integers were declined). O(n) expected.
   */
  private noRepeats(blob: Buffer, n: number, step: number): void {
    let stamp = ++this.stamp;
    if (stamp === 0x7fffffff) {
      this.dupStamp.fill(0);
      stamp = this.stamp = 1;
    }
    const fp = this.eFp;
    const eInt = this.eInt;
    const eLen = this.eLen;
    const eOff = this.eOff;
    const idx = this.dupIdx;
    const st = this.dupStamp;
    for (let i = 0; i < n; i += step) {
      const f = fp[i];
      let h = (f ^ (f >>> 11)) & (DUP_SLOTS - 1);
      while (st[h] === stamp) {
        const j = idx[h];
        if (fp[j] === f) {
          const a = eInt[i];
          const c = eInt[j];
          if (a === a ? a === c : c !== c && eLen[i] === eLen[j] && sameRange(blob, eOff[i], eOff[j], eLen[i])) throw DECLINE;
        }
        h = (h + 1) & (DUP_SLOTS - 1);
      }
      st[h] = stamp;
      idx[h] = i;
    }
  }

  /** Member i sorts before member j (as JS compares latin1 strings: unsigned bytes). */
  private memberLess(blob: Buffer, i: number, j: number): boolean {
    const a = this.text(blob, i);
    const c = this.text(blob, j);
    return a < c;
  }

  private text(blob: Buffer, i: number): string {
    return Number.isNaN(this.eInt[i]) ? latin1At(blob, this.eOff[i], this.eLen[i]) : String(this.eInt[i]);
  }
}

export function sameLimits(a: EncodingLimits, b: EncodingLimits): boolean {
  for (const k of Object.keys(b) as (keyof EncodingLimits)[]) if (a[k] !== b[k]) return false;
  return true;
}
