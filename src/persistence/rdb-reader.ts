/**
 * RDB reader: everything Redis 7.0 loads. RDB versions 1-10; strings raw, int-encoded and LZF;
 * lists (plain, ziplist, quicklist v1 of ziplists, quicklist v2 of listpacks or plain nodes),
 * sets (plain, intset), zsets (string scores, binary scores, ziplist, listpack), hashes (plain,
 * zipmap, ziplist, listpack), streams (types 15 and 19). Module values are refused with Redis's
 * message.
 *
 * Every read is bounds-checked against the buffer; a problem throws RdbError carrying the offset
 * where the object being read started. Declared lengths are checked against the bytes left before
 * anything is allocated, so a corrupt length cannot make the loader allocate gigabytes.
 * Collections are built through the Engine (newList/newHash/newSet/newZSet, JsStream) and then
 * fitted to the configured encoding limits, as Redis converts on load. Duplicate members are
 * refused (Redis: "Duplicate ... detected").
 */
import type { Engine, EncodingLimits, HashValue, ListValue, RedisValue, SetValue, ZSetValue } from '../engine/types';
import { ConsumerGroup, JsStream, Nack, StreamNode, u64, type StreamID, type U64 } from '../engine/containers/stream';
import { RdbError, corrupt } from './errors';
import { lzfDecompress } from './lzf';
import { LpReader } from './listpack';
import { ziplistForEach } from './ziplist';
import { intsetDecode } from './intset';
import { zipmapForEach } from './zipmap';
import * as F from './format';
import { strtodPrefix } from '../util/number';

/** Thrown for a value that decodes to an empty collection (Redis skips such keys in files). */
export class EmptyKeyError extends RdbError {}

/** An RDB file's header: "REDIS" and four digits, a version this reader handles. Returns it. */
export function rdbFileVersion(buf: Buffer): number {
  if (buf.length < 9 || buf.latin1Slice(0, 5) !== 'REDIS') throw new RdbError('Wrong signature trying to load DB from file', 0);
  const verText = buf.latin1Slice(5, 9);
  const ver = /^\d{4}$/.test(verText) ? Number(verText) : -1;
  if (ver < 1 || ver > F.RDB_VERSION) throw new RdbError(`Can't handle RDB format version ${ver < 0 ? verText : ver}`, 5);
  return ver;
}

/** rdbReportCorruptRDB's name of each pairs encoding (hash, zset) in "<name> integrity check failed.". */
const PAIRS_INTEGRITY: Record<number, string> = {
  [F.RDB_TYPE_HASH_ZIPLIST]: 'Hash ziplist',
  [F.RDB_TYPE_ZSET_ZIPLIST]: 'Zset ziplist',
  [F.RDB_TYPE_HASH_LISTPACK]: 'Hash listpack',
  [F.RDB_TYPE_ZSET_LISTPACK]: 'Zset listpack',
};

export interface ReadOptions {
  engine: Engine;
  limits: EncodingLimits;
  /** Server time for consumers/PEL defaults; not used for expiry here. */
  now: number;
  streamLimits: { maxBytes: number; maxEntries: number };
}

const SAFE = 9007199254740991;

export class RdbReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    readonly opts: ReadOptions,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) corrupt(`Unexpected EOF reading RDB file`, this.pos);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  /** rdbLoadLen as a U64 (number, or bigint above 2^53); `encoded` set for special encodings. */
  lenOrEnc(): { v: U64; encoded: boolean } {
    const b = this.u8();
    const type = (b & 0xc0) >> 6;
    if (type === 3) return { v: b & 0x3f, encoded: true };
    if (type === 0) return { v: b & 0x3f, encoded: false };
    if (type === 1) return { v: ((b & 0x3f) << 8) | this.u8(), encoded: false };
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return { v, encoded: false };
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return { v: u64(v), encoded: false };
    }
    corrupt(`Unknown length encoding ${b} in rdbLoadLen()`, this.pos - 1);
  }

  /** A length that must be a plain count (<= 2^53). */
  len(): number {
    const at = this.pos;
    const { v, encoded } = this.lenOrEnc();
    if (encoded) corrupt('Unexpected encoded length', at);
    if (typeof v !== 'number' || v > SAFE) corrupt('Length out of range', at);
    return v;
  }

  /** A u64 length (stream IDs and counters). */
  lenU64(): U64 {
    const at = this.pos;
    const { v, encoded } = this.lenOrEnc();
    if (encoded) corrupt('Unexpected encoded length', at);
    return v;
  }

  /** A count of elements each taking at least `minBytes`: must fit in what is left. */
  count(minBytes = 1): number {
    const at = this.pos;
    const n = this.len();
    if (n * minBytes > this.end - this.pos) corrupt(`Length ${n} exceeds the data left`, at);
    return n;
  }

  /** rdbGenericLoadStringObject: a view into the buffer, or new bytes for int/LZF encodings. */
  string(): Buffer {
    const at = this.pos;
    const { v, encoded } = this.lenOrEnc();
    if (encoded) {
      const b = this.buf;
      switch (v) {
        case F.RDB_ENC_INT8:
          this.need(1);
          return Buffer.from(String(b.readInt8(this.pos++)), 'latin1');
        case F.RDB_ENC_INT16: {
          this.need(2);
          const n = b.readInt16LE(this.pos);
          this.pos += 2;
          return Buffer.from(String(n), 'latin1');
        }
        case F.RDB_ENC_INT32: {
          this.need(4);
          const n = b.readInt32LE(this.pos);
          this.pos += 4;
          return Buffer.from(String(n), 'latin1');
        }
        case F.RDB_ENC_LZF: {
          const clen = this.len();
          const len = this.len();
          this.need(clen);
          if (clen === 0 || len > clen * 300 + 64) corrupt('Invalid LZF compressed string', at);
          const out = Buffer.allocUnsafe(len);
          if (lzfDecompress(b, this.pos, this.pos + clen, out, len) !== len) corrupt('Invalid LZF compressed string', at);
          this.pos += clen;
          return out;
        }
        default:
          corrupt(`Unknown RDB string encoding type ${v}`, at);
      }
    }
    if (typeof v !== 'number') corrupt('String length out of range', at);
    this.need(v);
    const s = this.buf.subarray(this.pos, this.pos + v);
    this.pos += v;
    return s;
  }

  /** rdbLoadDoubleValue: the old string-encoded double (RDB_TYPE_ZSET). */
  stringDouble(): number {
    const l = this.u8();
    if (l === 253) return NaN;
    if (l === 254) return Infinity;
    if (l === 255) return -Infinity;
    this.need(l);
    const s = this.buf.latin1Slice(this.pos, this.pos + l);
    this.pos += l;
    // (sscanf("%lg"): a number at the start of the C string, or nothing.)
    const d = strtodPrefix(s, null);
    if (d === null) corrupt('Bad double value', this.pos - l - 1);
    return d;
  }

  binaryDouble(): number {
    this.need(8);
    const d = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return d;
  }

  millis(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  /**
   * rdbLoadObject for a type byte already read. A packed structure that fails its checks (a
   * ziplist, listpack, intset or zipmap: the decoders' own findings, duplicates, odd counts)
   * fails with rdbReportCorruptRDB's text for that encoding, "<what> integrity check failed.",
   * its finding kept as the error's detail.
   */
  object(type: number): RedisValue {
    const at = this.pos;
    this.integrity = '';
    try {
      return this.objectOf(type);
    } catch (e) {
      if (this.integrity === '' || !(e instanceof RdbError || e instanceof RangeError) || e instanceof EmptyKeyError) throw e;
      const err = new RdbError(`${this.integrity} integrity check failed.`, at);
      err.detail = e.message;
      throw err;
    }
  }

  /** The encoding whose packed bytes are being checked ('' while reading anything else): see object(). */
  private integrity = '';

  private objectOf(type: number): RedisValue {
    const at = this.pos;
    switch (type) {
      case F.RDB_TYPE_STRING:
        return this.string();
      case F.RDB_TYPE_LIST: {
        const n = this.count();
        const l = this.opts.engine.newList();
        for (let i = 0; i < n; i++) l.pushTail(this.string());
        return nonEmpty(l, at);
      }
      case F.RDB_TYPE_SET: {
        const n = this.count();
        const s = this.newSet();
        const batch: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          batch.push(this.string());
          if ((batch.length === LOAD_BATCH || i === n - 1) && !addMembers(s, batch)) corrupt('Duplicate set members detected', at);
        }
        return this.fitSet(s, at);
      }
      case F.RDB_TYPE_ZSET:
      case F.RDB_TYPE_ZSET_2: {
        const n = this.count(2);
        const z = this.opts.engine.newZSet();
        for (let i = 0; i < n; i++) {
          const m = this.string();
          const score = type === F.RDB_TYPE_ZSET ? this.stringDouble() : this.binaryDouble();
          if (Number.isNaN(score)) corrupt('Zset with NAN score detected', at);
          if (z.add(m, score) !== undefined) corrupt('Duplicate zset fields detected', at);
        }
        return this.fitZSet(z, at);
      }
      case F.RDB_TYPE_HASH: {
        const n = this.count(2);
        const h = this.opts.engine.newHash();
        h.reserve?.(n);
        const batch: Buffer[] = [];
        for (let i = 0; i < n; i++) {
          batch.push(this.string(), this.string());
          if (batch.length === 2 * LOAD_BATCH || i === n - 1) {
            if (!setPairs(h, batch, 0, batch.length)) corrupt('Duplicate hash fields detected', at);
            batch.length = 0;
          }
        }
        return this.fitHash(h, at);
      }
      case F.RDB_TYPE_LIST_QUICKLIST:
      case F.RDB_TYPE_LIST_QUICKLIST_2: {
        const n = this.count();
        const l = this.opts.engine.newList();
        for (let i = 0; i < n; i++) {
          let container = F.QUICKLIST_NODE_CONTAINER_PACKED;
          if (type === F.RDB_TYPE_LIST_QUICKLIST_2) {
            container = this.len();
            if (container !== F.QUICKLIST_NODE_CONTAINER_PACKED && container !== F.QUICKLIST_NODE_CONTAINER_PLAIN) corrupt('Quicklist integrity check failed.', at);
          }
          const blob = this.string();
          // (An empty node, plain or packed, is refused: rdbLoadObject's encoded_len == 0.)
          if (blob.length === 0) corrupt('Quicklist node of zero length', at);
          if (container === F.QUICKLIST_NODE_CONTAINER_PLAIN) {
            l.pushTail(blob);
            continue;
          }
          if (type === F.RDB_TYPE_LIST_QUICKLIST) {
            this.integrity = 'Ziplist';
            ziplistForEach(blob, 0, blob.length, (isInt, int, s, len) => l.pushTail(isInt ? intBytes(int) : blob.subarray(s, s + len)));
          } else {
            this.integrity = 'Listpack';
            const r = new LpReader(blob, 0, blob.length);
            if (l.pushAll) {
              // One engine call per node (the wasm list), not one per element.
              const els: Buffer[] = [];
              while (r.next()) els.push(r.bytes());
              l.pushAll(true, els, 0);
            } else while (r.next()) l.pushTail(r.bytes());
          }
          this.integrity = '';
        }
        return nonEmpty(l, at);
      }
      case F.RDB_TYPE_LIST_ZIPLIST: {
        const blob = this.string();
        const l = this.opts.engine.newList();
        this.integrity = 'List ziplist';
        ziplistForEach(blob, 0, blob.length, (isInt, int, s, len) => l.pushTail(isInt ? intBytes(int) : blob.subarray(s, s + len)));
        return nonEmpty(l, at);
      }
      case F.RDB_TYPE_SET_INTSET: {
        const blob = this.string();
        const s = this.newSet();
        this.integrity = 'Intset';
        addMembers(s, intsetDecode(blob, 0, blob.length).map((m) => Buffer.from(m, 'latin1')));
        return this.fitSet(s, at);
      }
      case F.RDB_TYPE_HASH_ZIPMAP: {
        const blob = this.string();
        const h = this.opts.engine.newHash();
        this.integrity = 'Zipmap';
        zipmapForEach(blob, 0, blob.length, (fs, fl, vs, vl) => {
          if (!h.set(blob.subarray(fs, fs + fl), blob.subarray(vs, vs + vl))) corrupt('Duplicate hash fields detected', at);
        });
        return this.fitHash(h, at);
      }
      case F.RDB_TYPE_HASH_ZIPLIST:
      case F.RDB_TYPE_ZSET_ZIPLIST:
      case F.RDB_TYPE_HASH_LISTPACK:
      case F.RDB_TYPE_ZSET_LISTPACK: {
        const blob = this.string();
        const items: Buffer[] = [];
        this.integrity = PAIRS_INTEGRITY[type];
        if (type === F.RDB_TYPE_HASH_ZIPLIST || type === F.RDB_TYPE_ZSET_ZIPLIST) {
          ziplistForEach(blob, 0, blob.length, (isInt, int, s, len) => items.push(isInt ? intBytes(int) : blob.subarray(s, s + len)));
        } else {
          const r = new LpReader(blob, 0, blob.length);
          while (r.next()) items.push(r.bytes());
        }
        if (items.length % 2 !== 0) corrupt('Odd number of elements', at);
        if (type === F.RDB_TYPE_HASH_ZIPLIST || type === F.RDB_TYPE_HASH_LISTPACK) {
          const h = this.opts.engine.newHash();
          if (!setPairs(h, items, 0, items.length)) corrupt('Duplicate hash fields detected', at);
          return this.fitHash(h, at, true);
        }
        const z = this.opts.engine.newZSet();
        const scores: number[] = [];
        for (let i = 0; i < items.length; i += 2) {
          // (zzlStrtod: strtod of the bytes, any rest ignored; NaN is refused, see scoreOf.)
          const score = strtodPrefix(items[i + 1].latin1Slice(0, items[i + 1].length));
          if (Number.isNaN(score)) corrupt('Zset with NAN score detected', at);
          scores.push(score);
        }
        if (z.addMany) {
          // One engine call; a repeated member is added once, so fewer were added than listed.
          // (No member length converts it: see fitZSet.)
          if (z.addMany(items, 0, scores, 0, Infinity)[0] !== scores.length) corrupt('Duplicate zset fields detected', at);
        } else {
          for (let j = 0; j < scores.length; j++) if (z.add(items[2 * j], scores[j]) !== undefined) corrupt('Duplicate zset fields detected', at);
        }
        return this.fitZSet(z, at, true);
      }
      case F.RDB_TYPE_STREAM_LISTPACKS:
      case F.RDB_TYPE_STREAM_LISTPACKS_2:
        return this.stream(type, at);
      case F.RDB_TYPE_MODULE:
      case F.RDB_TYPE_MODULE_2: {
        const { v } = this.lenOrEnc();
        const name = F.moduleNameFromId(BigInt(v));
        corrupt(`The RDB file contains module data I can't load: no matching module type '${name}'`, at);
      }
      // falls through (never reached)
      default:
        corrupt(`Unknown RDB encoding type ${type}`, at);
    }
  }

  private newSet(): SetValue {
    const s = this.opts.engine.newSet();
    s.maxIntset = this.opts.limits.setMaxIntsetEntries;
    return s;
  }

  private fitSet(s: SetValue, at: number): SetValue {
    if (s.size === 0) throw new EmptyKeyError('Empty set', at);
    s.fitEncoding(this.opts.limits);
    return s;
  }

  /**
   * A loaded sorted set's encoding is decided now, by the limits in force at load (rdbLoadObject's
   * zsetConvert), and kept when CONFIG SET changes them later (ZSetValue.settleEncoding: the
   * js-map set; the wasm set converts at once). `packed`: the record was a listpack (or ziplist),
   * which Redis 7.0's loader converts by its number of members only (a member longer than
   * zset-max-listpack-value stays in the listpack); a skiplist record is checked against both.
   */
  private fitZSet(z: ZSetValue, at: number, packed = false): ZSetValue {
    nonEmpty(z, at);
    z.settleEncoding?.(this.opts.limits.zsetMaxListpackEntries, packed ? Number.MAX_SAFE_INTEGER : this.opts.limits.zsetMaxListpackValue, 0);
    return z;
  }

  /**
   * `packed`: the record was a listpack (or ziplist), which Redis 7.0's loader converts by its
   * number of fields only (hash-max-listpack-value is not looked at: a field or value longer than
   * it stays in the listpack); a hash record's fields are checked against both limits.
   */
  private fitHash(h: HashValue, at: number, packed = false): HashValue {
    if (h.size === 0) throw new EmptyKeyError('Empty hash', at);
    h.fitEncoding(packed ? { ...this.opts.limits, hashMaxListpackValue: Number.MAX_SAFE_INTEGER } : this.opts.limits);
    return h;
  }

  private streamIdRaw(): StreamID {
    this.need(16);
    const ms = u64(this.buf.readBigUInt64BE(this.pos));
    const seq = u64(this.buf.readBigUInt64BE(this.pos + 8));
    this.pos += 16;
    return { ms, seq };
  }

  private stream(type: number, at: number): JsStream {
    const s = new JsStream();
    const nodes = this.count(2);
    let prevMaster: StreamID | null = null;
    for (let i = 0; i < nodes; i++) {
      const key = this.string();
      if (key.length !== 16) corrupt('Stream node key entry is not the size of a stream ID', at);
      const master = { ms: u64(key.readBigUInt64BE(0)), seq: u64(key.readBigUInt64BE(8)) };
      if (prevMaster && cmpId(prevMaster, master) >= 0) corrupt('Stream nodes out of order', at);
      prevMaster = master;
      const lp = this.string();
      this.integrity = 'Stream listpack';
      const node = decodeStreamNode(lp, master, at);
      this.integrity = '';
      if (!node) corrupt('Empty listpack inside stream', at);
      s.loadNode(node);
    }
    let live = 0;
    for (const n of s.nodes) live += n.live;
    s.length = this.len();
    if (s.length !== live) corrupt('Stream length does not match its entries', at);
    s.lastId = { ms: this.lenU64(), seq: this.lenU64() };
    const first = firstLive(s);
    if (type === F.RDB_TYPE_STREAM_LISTPACKS_2) {
      s.firstId = { ms: this.lenU64(), seq: this.lenU64() };
      s.maxDeletedId = { ms: this.lenU64(), seq: this.lenU64() };
      const added = this.lenU64();
      s.entriesAdded = typeof added === 'number' ? added : Number(added);
    } else {
      s.firstId = first ?? { ms: 0, seq: 0 };
      s.maxDeletedId = { ms: 0, seq: 0 };
      s.entriesAdded = s.length;
    }
    const lastEntry = lastLive(s);
    if (lastEntry && cmpId(lastEntry, s.lastId) > 0) corrupt('Stream last ID is smaller than an entry ID', at);
    s.checkLoadedOrder();
    const ngroups = this.count();
    for (let g = 0; g < ngroups; g++) {
      const name = this.string().latin1Slice();
      const lastId = { ms: this.lenU64(), seq: this.lenU64() };
      let entriesRead: number;
      if (type === F.RDB_TYPE_STREAM_LISTPACKS_2) {
        const er = this.lenU64();
        entriesRead = typeof er === 'bigint' ? Number(BigInt.asIntN(64, er)) : er;
      } else entriesRead = s.estimateDistance(lastId);
      const cg: ConsumerGroup | null = s.createGroup(name, lastId, entriesRead);
      if (!cg) corrupt('Duplicated consumer group name', at);
      const pelSize = this.count(17);
      for (let j = 0; j < pelSize; j++) {
        const id = this.streamIdRaw();
        const deliveryTime = this.millis();
        const deliveryCount = this.len();
        if (!cg.pel.tryInsert(id, new Nack(deliveryTime, deliveryCount, null))) corrupt('Duplicated global PEL entry loading stream consumer group', at);
        s.pelCounted();
      }
      const nconsumers = this.count(10);
      for (let j = 0; j < nconsumers; j++) {
        const cname = this.string().latin1Slice();
        const seen = this.millis();
        const consumer = s.createConsumer(cg, cname, seen);
        if (!consumer) corrupt('Duplicate stream consumer detected', at);
        const n = this.count(16);
        for (let k = 0; k < n; k++) {
          const id = this.streamIdRaw();
          const nack = cg.pel.get(id);
          if (!nack) corrupt('Consumer entry not found in group global PEL', at);
          if (nack.consumer) corrupt('Duplicated consumer PEL entry loading a stream consumer group', at);
          nack.consumer = consumer;
          consumer.pel.tryInsert(id, nack);
        }
      }
      let orphan = false;
      cg.pel.forEach((_id, nack) => {
        if (!nack.consumer) orphan = true;
      });
      if (orphan) corrupt('Stream CG PEL entry without consumer', at);
    }
    return s;
  }
}

/** Elements per engine call when a loader fills a hash or set (HashValue.setMany, SetValue.addMany). */
const LOAD_BATCH = 1024;

/** h.set of each pair items[from, to), in one engine call where the engine has setMany; false on a repeated field. */
function setPairs(h: HashValue, items: Buffer[], from: number, to: number): boolean {
  if (h.setMany) return h.setMany(items, from, to, Infinity, Infinity) === (to - from) / 2;
  for (let i = from; i < to; i += 2) if (!h.set(items[i], items[i + 1])) return false;
  return true;
}

/** s.add of each member (then the batch is emptied), in one engine call where the engine has addMany; false on a repeated member. */
function addMembers(s: SetValue, batch: Buffer[]): boolean {
  const n = batch.length;
  let added = 0;
  if (s.addMany) added = s.addMany(batch, 0, n);
  else for (const m of batch) if (s.add(m)) added++;
  batch.length = 0;
  return added === n;
}

function cmpId(a: StreamID, b: StreamID): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return 0;
}

function firstLive(s: JsStream): StreamID | null {
  for (const n of s.nodes) for (let i = 0; i < n.count; i++) if (!n.isDeleted(i)) return n.idAt(i);
  return null;
}

function lastLive(s: JsStream): StreamID | null {
  for (let k = s.nodes.length - 1; k >= 0; k--) {
    const n = s.nodes[k];
    for (let i = n.count - 1; i >= 0; i--) if (!n.isDeleted(i)) return n.idAt(i);
  }
  return null;
}

function intBytes(v: number | bigint): Buffer {
  return Buffer.from(String(v), 'latin1');
}

function nonEmpty<T extends ListValue | ZSetValue>(v: T, at: number): T {
  if (v.size === 0) throw new EmptyKeyError('Empty key', at);
  return v;
}

function addU64(a: U64, d: number | bigint): U64 {
  if (typeof a === 'number' && typeof d === 'number') {
    const r = a + d;
    if (r >= 0 && r <= SAFE) return r;
  }
  return u64(BigInt.asUintN(64, BigInt(a) + BigInt(d)));
}

/**
 * One stream listpack into a StreamNode (null when empty), validated as Redis's
 * streamValidateListpackIntegrity does (plus ID order and counters). The node adopts a copy of
 * the bytes as they are (a copy: its own buffer, with the entry index after it); only a listpack whose flags, deltas or counts are not in the integer
 * forms Redis writes (one another writer could produce) is rebuilt entry by entry.
 */
function decodeStreamNode(lp: Buffer, master: StreamID, at: number): StreamNode | null {
  const r = new LpReader(lp, 0, lp.length);
  const next = (): void => {
    if (!r.next()) corrupt('Stream listpack truncated', at);
  };
  const int = (): number => {
    next();
    const v = r.intValue();
    if (typeof v !== 'number') corrupt('Stream listpack integer out of range', at);
    return v;
  };
  if (!r.next()) return null;
  const count = (() => {
    const v = r.intValue();
    if (typeof v !== 'number' || v < 0) corrupt('Stream listpack bad count', at);
    return v;
  })();
  const deleted = int();
  const nmaster = int();
  if (deleted < 0 || nmaster < 0 || nmaster > lp.length) corrupt('Stream listpack bad master entry', at);
  const masterFields: string[] = [];
  for (let i = 0; i < nmaster; i++) {
    next();
    masterFields.push(r.str());
  }
  if (int() !== 0) corrupt('Stream listpack bad master terminator', at);
  let live = 0;
  let dead = 0;
  let prev: StreamID | null = null;
  while (r.next()) {
    const fl = r.intValue();
    if (typeof fl !== 'number' || fl < 0 || fl > 3) corrupt('Stream listpack bad flags', at);
    next();
    const dms = r.intValue();
    next();
    const dseq = r.intValue();
    const id = { ms: addU64(master.ms, dms), seq: addU64(master.seq, dseq) };
    if (prev ? cmpId(prev, id) >= 0 : cmpId(id, master) !== 0) corrupt('Stream listpack IDs out of order', at);
    prev = id;
    if (fl & 2) {
      for (let j = 0; j < nmaster; j++) next();
      if (int() !== nmaster + 3) corrupt('Stream listpack bad lp-count', at);
    } else {
      const nf = int();
      if (nf < 0 || nf > lp.length) corrupt('Stream listpack bad field count', at);
      for (let j = 0; j < 2 * nf; j++) next();
      if (int() !== 2 * nf + 4) corrupt('Stream listpack bad lp-count', at);
    }
    if (fl & 1) dead++;
    else live++;
  }
  if (live !== count || dead !== deleted) corrupt('Stream listpack counters do not match its entries', at);
  if (live === 0) corrupt('Empty listpack inside stream', at);
  return StreamNode.adopt(lp, master.ms, master.seq) ?? rebuildStreamNode(lp, master, masterFields);
}

/** A validated stream listpack in another writer's integer forms, re-encoded entry by entry. */
function rebuildStreamNode(lp: Buffer, master: StreamID, masterFields: string[]): StreamNode {
  const r = new LpReader(lp, 0, lp.length);
  for (let i = 0; i < masterFields.length + 4; i++) r.next();
  const node = new StreamNode(masterFields);
  while (r.next()) {
    const fl = r.intValue() as number;
    r.next();
    const ms = addU64(master.ms, r.intValue());
    r.next();
    const seq = addU64(master.seq, r.intValue());
    let fv: string[];
    if (fl & 2) {
      fv = [];
      for (const f of masterFields) {
        r.next();
        fv.push(f, r.str());
      }
    } else {
      r.next();
      const nf = r.intValue() as number;
      fv = new Array(2 * nf);
      for (let j = 0; j < 2 * nf; j++) {
        r.next();
        fv[j] = r.str();
      }
    }
    r.next();
    node.push(ms, seq, fv, fl, 0);
  }
  node.seal();
  return node;
}
