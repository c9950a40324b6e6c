/**
 * RDB writer: what Redis 7.0.15 writes (RDB version 10), for SAVE, DEBUG RELOAD and DUMP.
 *
 * Values are encoded as Redis 7.0 encodes them, picking the small or big encoding the way OBJECT
 * ENCODING reports it: strings (int-encoded when <= 11 bytes and an int32, LZF when compression
 * is on and the length is > 20 and LZF saves at least 4 bytes), lists as QUICKLIST_2 of listpack
 * nodes split by list-max-listpack-size, sets as intset or hashtable, hashes and zsets as
 * listpack or hashtable/ZSET_2 (binary doubles, greatest first), streams as STREAM_LISTPACKS_2
 * (type 19) with their groups, PELs and consumers.
 *
 * Output goes into one growable Buffer with manual offsets; element strings that are latin1 JS
 * strings are written with latin1Write (no per-element allocation). With a sink, the buffer is
 * flushed (and folded into the running CRC) every few MB, so a save does not hold the whole file.
 */
import type { BulkValue, EncodingLimits, HashValue, ListValue, RedisValue, SetValue, ZSetValue } from '../engine/types';
import { JsStream, type StreamNode, type U64 } from '../engine/containers/stream';
import { PackedValue } from '../engine/containers/packed';
import { crc64Update, type Crc64State } from './crc64';
import { lzfCompress } from './lzf';
import { bytesToInt64, LpWriter } from './listpack';
import { strToInt64 } from '../util/number';
import { writeLatin1 } from '../util/latin1';
import { intsetEncode } from './intset';
import * as F from './format';

export interface WriteOptions {
  compression: boolean;
  limits: EncodingLimits;
  /** quicklist's packed_threshold (DEBUG QUICKLIST-PACKED-THRESHOLD): larger elements are PLAIN nodes. */
  packedThreshold?: number;
}

/**
 * RdbWriter.packedForm: a packed value's blob saved as a string (no integer attempt; LZF when
 * it pays), as its bytes (a hashtable set's payload), as a one-node quicklist of that string,
 * or unpacked. assembly/rdbsave.ts writes the first three for staged records.
 */
export const PACKED_STRING = 0;
export const PACKED_RAW = 1;
export const PACKED_QUICKLIST_NODE = 2;
export const PACKED_UNPACK = -1;

/**
 * Bytes buffered before they go to the sink. Each flush folds them into the CRC64 on the main
 * thread (in WASM, about 0.5-1.5 ms per MB on this machine): 256 KB keeps a BGSAVE step near its 2 ms
 * budget (1 MB steps ran to 7 ms), 4 MB did not.
 */
const FLUSH_AT = 256 * 1024;
/** record() copies up to this many bytes in a loop (no view object); longer ones as raw() does. */
const RECORD_LOOP_MAX = 1024;
/** Quicklist node byte limits for list-max-listpack-size -1..-5 (quicklist.c's optimization_level). */
const NODE_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
/** raw() copies up to this many bytes in a loop (subarray() makes a view object per copy). */
const RAW_LOOP_MAX = 256;

export class RdbWriter {
  buf: Buffer;
  pos = 0;
  /** Running CRC of the bytes already flushed to the sink. */
  readonly crc: Crc64State = { hi: 0, lo: 0 };
  /** Bytes already flushed. */
  flushed = 0;
  private lp = new LpWriter();
  private scratch = Buffer.allocUnsafe(256);
  private lzfOut = Buffer.allocUnsafe(256);
  private sub: RdbWriter | null = null;

  constructor(
    readonly opts: WriteOptions,
    private readonly sink: ((b: Buffer, len: number) => void) | null = null,
    /** The first buffer's size, or the buffer itself (a finished writer's, reused). */
    initial: number | Buffer = 64 * 1024,
  ) {
    this.buf = typeof initial === 'number' ? Buffer.allocUnsafe(initial) : initial;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  /** With a sink: flush when the buffer holds more than a few MB. */
  maybeFlush(): void {
    if (this.sink && this.pos >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (!this.sink || this.pos === 0) return;
    crc64Update(this.crc, this.buf, 0, this.pos);
    this.sink(this.buf, this.pos);
    this.flushed += this.pos;
    this.pos = 0;
  }

  /** Hand the buffered bytes to the sink without folding them into the CRC (the CRC itself). */
  flushRaw(): void {
    if (!this.sink || this.pos === 0) return;
    this.sink(this.buf, this.pos);
    this.flushed += this.pos;
    this.pos = 0;
  }

  u8(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  raw(b: Uint8Array, start = 0, end = b.length): void {
    const n = end - start;
    this.ensure(n);
    if (n <= RAW_LOOP_MAX) {
      // Short ones (the engine's serialized keys, LZF output of small values): no subarray object per copy.
      const d = this.buf;
      let p = this.pos;
      for (let i = start; i < end; i++) d[p++] = b[i];
    } else this.buf.set(n === b.length ? b : b.subarray(start, end), this.pos);
    this.pos += n;
  }

  /**
   * raw() for one record a snapshot's walk hands over (bgsave.ts), up to RECORD_LOOP_MAX bytes
   * copied byte by byte: subarray() or Buffer#copy make a view object per call, 40 MB of garbage
   * per BGSAVE of 1M mixed keys when every record came this way (whole batches go to raw()).
   */
  record(b: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n > RECORD_LOOP_MAX) return this.raw(b, start, end);
    this.ensure(n);
    const d = this.buf;
    let p = this.pos;
    for (let i = start; i < end; i++) d[p++] = b[i];
    this.pos = p;
  }

  /** rdbSaveLen */
  len(n: number | bigint): void {
    this.ensure(9);
    const b = this.buf;
    const p = this.pos;
    if (typeof n === 'number' && n < 64) {
      b[p] = n;
      this.pos = p + 1;
    } else if (typeof n === 'number' && n < 16384) {
      b[p] = 0x40 | (n >> 8);
      b[p + 1] = n & 0xff;
      this.pos = p + 2;
    } else if (typeof n === 'number' && n <= 0xffffffff) {
      b[p] = 0x80;
      b.writeUInt32BE(n, p + 1);
      this.pos = p + 5;
    } else {
      b[p] = 0x81;
      b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(n)), p + 1);
      this.pos = p + 9;
    }
  }

  /** rdbSaveMillisecondTime: int64 little-endian. */
  millis(ms: number): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(BigInt(Math.trunc(ms)), this.pos);
    this.pos += 8;
  }

  /** rdbSaveBinaryDoubleValue */
  binaryDouble(d: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  /** rdbSaveRawString on a JS latin1 string or bytes. */
  string(v: BulkValue): void {
    const len = v.length;
    if (len <= 11) {
      const n = typeof v === 'string' ? strToInt64(v) : bytesToInt64(v, 0, len);
      if (n !== null && typeof n === 'number' && n >= -2147483648 && n <= 2147483647) {
        this.ensure(5);
        const b = this.buf;
        const p = this.pos;
        if (n >= -128 && n <= 127) {
          b[p] = 0xc0 | F.RDB_ENC_INT8;
          b.writeInt8(n, p + 1);
          this.pos = p + 2;
        } else if (n >= -32768 && n <= 32767) {
          b[p] = 0xc0 | F.RDB_ENC_INT16;
          b.writeInt16LE(n, p + 1);
          this.pos = p + 3;
        } else {
          b[p] = 0xc0 | F.RDB_ENC_INT32;
          b.writeInt32LE(n, p + 1);
          this.pos = p + 5;
        }
        return;
      }
    }
    if (typeof v === 'string') this.blobString(v);
    else this.bytes(v, 0, len);
  }

  /**
   * rdbSaveRawString on a latin1 string without the integer attempt (string()'s tail, and a
   * blob kept as a string): LZF when it pays, else the length and the bytes.
   */
  private blobString(v: string): void {
    const len = v.length;
    if (this.opts.compression && len > 20) {
      if (this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, this.scratch.length * 2));
      this.scratch.latin1Write(v, 0, len);
      if (this.lzf(this.scratch, 0, len)) return;
    }
    this.len(len);
    this.ensure(len);
    this.pos += writeLatin1(this.buf, this.pos, v);
  }

  /** rdbSaveRawString on buf[start, end) without the integer attempt (blobs). */
  bytes(b: Uint8Array, start: number, end: number): void {
    const len = end - start;
    if (this.opts.compression && len > 20 && this.lzf(b, start, end)) return;
    this.len(len);
    this.raw(b, start, end);
  }

  private lzf(b: Uint8Array, start: number, end: number): boolean {
    const len = end - start;
    const outLen = len - 4;
    if (this.lzfOut.length < outLen + 1) this.lzfOut = Buffer.allocUnsafe(Math.max(outLen + 1, this.lzfOut.length * 2));
    const clen = lzfCompress(b, start, end, this.lzfOut, 0, outLen);
    if (clen === 0) return false;
    this.u8(0xc0 | F.RDB_ENC_LZF);
    this.len(clen);
    this.len(len);
    this.raw(this.lzfOut, 0, clen);
    return true;
  }

  /** The RDB object type byte of a value, as rdbSaveObjectType picks it. */
  typeOf(v: RedisValue): number {
    if (typeof v === 'string' || v instanceof Uint8Array) return F.RDB_TYPE_STRING;
    const l = this.opts.limits;
    if ((v as unknown) instanceof PackedValue) {
      const p = v as unknown as PackedValue;
      if (p.rdbType !== F.RDB_TYPE_ZSET_LISTPACK) return p.rdbType;
      return p.zsetIsListpack() ? F.RDB_TYPE_ZSET_LISTPACK : F.RDB_TYPE_ZSET_2;
    }
    switch (v.type) {
      case 'list':
        return F.RDB_TYPE_LIST_QUICKLIST_2;
      case 'set':
        return (v as SetValue).isIntset() ? F.RDB_TYPE_SET_INTSET : F.RDB_TYPE_SET;
      case 'hash':
        return v.encoding(l) === 'listpack' ? F.RDB_TYPE_HASH_LISTPACK : F.RDB_TYPE_HASH;
      case 'zset':
        return v.encoding(l) === 'listpack' ? F.RDB_TYPE_ZSET_LISTPACK : F.RDB_TYPE_ZSET_2;
      case 'stream':
        return F.RDB_TYPE_STREAM_LISTPACKS_2;
    }
  }

  /** rdbSaveObjectType + rdbSaveObject. */
  value(v: RedisValue): void {
    const t = this.typeOf(v);
    this.u8(t);
    this.payload(v, t);
  }

  // The element visitors of payload() and list(), made once per writer: no closure per key, and
  // no arrow function in payload() using `this` (that alone allocated a context per call).
  private readonly visitString = (m: BulkValue): void => this.string(m);
  private readonly visitStringPair = (f: BulkValue, val: BulkValue): void => {
    this.string(f);
    this.string(val);
  };
  private readonly visitMemberScore = (m: BulkValue, score: number): void => {
    this.string(m);
    this.binaryDouble(score);
  };
  private readonly visitLpPair = (f: BulkValue, val: BulkValue): void => {
    this.lp.appendString(f);
    this.lp.appendString(val);
  };
  private readonly visitLpScore = (m: BulkValue, score: number): void => {
    const lp = this.lp;
    lp.appendString(m);
    // d2string's integers are canonical integer text, which appendString stores as an integer.
    if (score > -4503599627370495 && score < 4503599627370496 && Number.isInteger(score) && !Object.is(score, -0)) lp.appendInt(score);
    else lp.appendString(F.d2string(score));
  };
  private readonly visitListElem = (e: BulkValue): void => this.listElem(e);
  /** list()'s state between elements. */
  private lNodes = 0;
  private lCount = 0;
  private lFill = 0;
  private lSizeLimit = 0;
  private lPlainAt = 0;

  /** rdbSaveObject for a value whose type byte `t` was already written. */
  payload(v: RedisValue, t: number): void {
    if ((v as unknown) instanceof PackedValue) return this.packed(v as unknown as PackedValue, t);
    switch (t) {
      case F.RDB_TYPE_STRING:
        return this.string(v as BulkValue);
      case F.RDB_TYPE_LIST_QUICKLIST_2:
        return this.list(v as ListValue);
      case F.RDB_TYPE_SET_INTSET: {
        const ints: (number | bigint)[] = [];
        (v as SetValue).forEach((m) => {
          const n = typeof m === 'string' ? strToInt64(m) : bytesToInt64(m, 0, m.length);
          ints.push(n ?? 0);
        });
        const blob = intsetEncode(ints);
        return this.bytes(blob, 0, blob.length);
      }
      case F.RDB_TYPE_SET: {
        const s = v as SetValue;
        this.len(s.size);
        s.forEach(this.visitString);
        return;
      }
      case F.RDB_TYPE_HASH_LISTPACK: {
        const lp = this.lp;
        lp.reset();
        (v as HashValue).forEach(this.visitLpPair);
        const n = lp.finish();
        return this.bytes(lp.buf, 0, n);
      }
      case F.RDB_TYPE_HASH: {
        const h = v as HashValue;
        this.len(h.size);
        h.forEach(this.visitStringPair);
        return;
      }
      case F.RDB_TYPE_ZSET_LISTPACK: {
        const z = v as ZSetValue;
        const lp = this.lp;
        lp.reset();
        z.rangeByRank(0, z.size - 1, false, this.visitLpScore);
        const n = lp.finish();
        return this.bytes(lp.buf, 0, n);
      }
      case F.RDB_TYPE_ZSET_2: {
        const z = v as ZSetValue;
        this.len(z.size);
        // Greatest to smallest, so loading inserts at the head (as Redis writes it).
        z.rangeByRank(0, z.size - 1, true, this.visitMemberScore);
        return;
      }
      case F.RDB_TYPE_STREAM_LISTPACKS_2:
        return this.stream(v as JsStream);
    }
  }

  /**
   * How a collection still in its loaded form (containers/packed.ts) is saved as type `t`: its
   * blob again when `t` is the encoding it was read in and the writer would produce the same
   * bytes from its elements (a list: one node under the current fill), else PACKED_UNPACK (as
   * the container it stands for). One decision for this writer and the js-map engine's staged
   * records (rdb-save.ts), which write the same bytes in WASM.
   */
  packedForm(p: PackedValue, t: number): number {
    if (t !== p.rdbType) return PACKED_UNPACK;
    switch (t) {
      case F.RDB_TYPE_HASH_LISTPACK:
      case F.RDB_TYPE_ZSET_LISTPACK:
      case F.RDB_TYPE_SET_INTSET:
        return PACKED_STRING;
      case F.RDB_TYPE_SET:
        return PACKED_RAW;
      case F.RDB_TYPE_LIST_QUICKLIST_2: {
        const fill = this.opts.limits.listMaxListpackSize;
        const sizeLimit = fill < 0 ? NODE_SIZE_LIMITS[Math.min(-fill, 5) - 1] : 8192;
        const plainAt = this.opts.packedThreshold ?? 1 << 30;
        return p.maxLen < plainAt && p.len + 1 + p.maxLen + 8 <= sizeLimit && (fill < 0 || p.size <= Math.max(fill, 1)) ? PACKED_QUICKLIST_NODE : PACKED_UNPACK;
      }
      default:
        return PACKED_UNPACK;
    }
  }

  /** A packed value's payload as type `t` (packedForm). */
  private packed(p: PackedValue, t: number): void {
    const { buf, off, len } = p;
    switch (this.packedForm(p, t)) {
      case PACKED_STRING:
        return this.bytes(buf, off, off + len);
      case PACKED_RAW:
        return this.raw(buf, off, off + len);
      case PACKED_QUICKLIST_NODE:
        this.len(1);
        this.len(F.QUICKLIST_NODE_CONTAINER_PACKED);
        return this.bytes(buf, off, off + len);
      default:
        return this.payload(p.unpack(), t);
    }
  }

  /** QUICKLIST_2: nodes of listpacks, split as quicklist's _quicklistNodeAllowInsert would. */
  private list(l: ListValue): void {
    const fill = this.opts.limits.listMaxListpackSize;
    this.lFill = fill;
    this.lSizeLimit = fill < 0 ? NODE_SIZE_LIMITS[Math.min(-fill, 5) - 1] : 8192;
    this.lPlainAt = this.opts.packedThreshold ?? 1 << 30;
    const sub = (this.sub ??= new RdbWriter(this.opts, null, 1024));
    sub.pos = 0;
    const lp = this.lp;
    lp.reset();
    this.lNodes = 0;
    this.lCount = 0;
    l.range(0, l.size - 1, this.visitListElem);
    if (this.lCount > 0 && this.lNodes === 0) {
      // One node (most lists): written straight here, without the sub-writer's copy.
      const n = lp.finish();
      this.len(1);
      this.len(F.QUICKLIST_NODE_CONTAINER_PACKED);
      return this.bytes(lp.buf, 0, n);
    }
    if (this.lCount > 0) this.closeNode();
    this.len(this.lNodes);
    this.raw(sub.buf, 0, sub.pos);
  }

  /** list(): one element. */
  private listElem(e: BulkValue): void {
    const sub = this.sub!;
    const sz = e.length;
    if (sz >= this.lPlainAt) {
      // A large element is a node of its own, and no later element joins it (isLargeElement).
      if (this.lCount > 0) this.closeNode();
      sub.len(F.QUICKLIST_NODE_CONTAINER_PLAIN);
      sub.string(e);
      this.lNodes++;
      return;
    }
    if (this.lCount > 0) {
      // Redis 7.0 estimates the entry at its length + SIZE_ESTIMATE_OVERHEAD (8); fill 0 is 1.
      const fill = this.lFill;
      const newSz = this.lp.pos + 1 + sz + 8;
      const ok = fill < 0 ? newSz <= this.lSizeLimit : newSz <= this.lSizeLimit && this.lCount < Math.max(fill, 1);
      if (!ok) this.closeNode();
    }
    this.lp.appendString(e);
    this.lCount++;
  }

  /** list(): the listpack so far becomes a node in the sub-writer. */
  private closeNode(): void {
    const lp = this.lp;
    const sub = this.sub!;
    const n = lp.finish();
    sub.len(F.QUICKLIST_NODE_CONTAINER_PACKED);
    sub.bytes(lp.buf, 0, n);
    this.lNodes++;
    lp.reset();
    this.lCount = 0;
  }

  private streamId(ms: U64, seq: U64): void {
    this.ensure(16);
    this.buf.writeBigUInt64BE(BigInt(ms), this.pos);
    this.buf.writeBigUInt64BE(BigInt(seq), this.pos + 8);
    this.pos += 16;
  }

  /** STREAM_LISTPACKS_2 (Redis 7.0's stream type 19). */
  private stream(s: JsStream): void {
    const nodes = s.nodes.filter((n) => n.live > 0);
    this.len(nodes.length);
    for (const node of nodes) {
      this.scratch16(node);
      // The node is Redis's stream listpack already (counters current): written as it is.
      this.bytes(node.buf, node.at, node.at + node.lpBytes());
    }
    this.len(s.length);
    this.len(s.lastId.ms);
    this.len(s.lastId.seq);
    this.len(s.firstId.ms);
    this.len(s.firstId.seq);
    this.len(s.maxDeletedId.ms);
    this.len(s.maxDeletedId.seq);
    this.len(s.entriesAdded);
    const groups = s.sortedGroups();
    this.len(groups.length);
    for (const g of groups) {
      this.string(g.name);
      this.len(g.lastId.ms);
      this.len(g.lastId.seq);
      this.len(g.entriesRead < 0 ? BigInt.asUintN(64, BigInt(g.entriesRead)) : g.entriesRead);
      this.len(g.pel.size);
      g.pel.forEach((id, nack) => {
        this.streamId(id.ms, id.seq);
        this.millis(nack.deliveryTime);
        this.len(nack.deliveryCount);
      });
      const consumers = g.sortedConsumers();
      this.len(consumers.length);
      for (const c of consumers) {
        this.string(c.name);
        this.millis(c.seenTime);
        this.len(c.pel.size);
        c.pel.forEach((id) => this.streamId(id.ms, id.seq));
      }
    }
  }

  /** The node key: its master ID as 16 big-endian bytes, written as an RDB string. */
  private scratch16(node: StreamNode): void {
    const k = Buffer.allocUnsafe(16);
    k.writeBigUInt64BE(BigInt(node.masterMs), 0);
    k.writeBigUInt64BE(BigInt(node.masterSeq), 8);
    this.bytes(k, 0, 16);
  }

  /**
   * keyValue of a string record given as bytes, key b[ks, ks + kl) and value b[vs, vs + vl)
   * (the js-map KeyTable's rows hold both), with no string built for either.
   */
  keyValueBytes(b: Uint8Array, ks: number, kl: number, vs: number, vl: number, expireAt: number, idleSecs: number, freq: number): void {
    this.recordHead(expireAt, idleSecs, freq);
    this.u8(F.RDB_TYPE_STRING);
    this.stringAt(b, ks, kl);
    this.stringAt(b, vs, vl);
  }

  /** string() of the bytes b[start, start + len). */
  private stringAt(b: Uint8Array, start: number, len: number): void {
    if (len <= 11) {
      const n = bytesToInt64(b, start, len);
      if (n !== null && typeof n === 'number' && n >= -2147483648 && n <= 2147483647) {
        this.ensure(5);
        const o = this.buf;
        const p = this.pos;
        if (n >= -128 && n <= 127) {
          o[p] = 0xc0 | F.RDB_ENC_INT8;
          o.writeInt8(n, p + 1);
          this.pos = p + 2;
        } else if (n >= -32768 && n <= 32767) {
          o[p] = 0xc0 | F.RDB_ENC_INT16;
          o.writeInt16LE(n, p + 1);
          this.pos = p + 3;
        } else {
          o[p] = 0xc0 | F.RDB_ENC_INT32;
          o.writeInt32LE(n, p + 1);
          this.pos = p + 5;
        }
        return;
      }
    }
    this.bytes(b, start, start + len);
  }

  /** rdbSaveKeyValuePair: [EXPIRETIME_MS] [IDLE|FREQ] type key value. */
  keyValue(key: BulkValue, v: RedisValue, expireAt: number, idleSecs: number, freq: number): void {
    this.recordHead(expireAt, idleSecs, freq);
    const t = this.typeOf(v);
    this.u8(t);
    this.string(key);
    this.payload(v, t);
  }

  /** A record's [EXPIRETIME_MS] [IDLE|FREQ] opcodes. */
  private recordHead(expireAt: number, idleSecs: number, freq: number): void {
    if (expireAt !== -1) {
      this.u8(F.RDB_OPCODE_EXPIRETIME_MS);
      this.millis(expireAt);
    }
    if (idleSecs >= 0) {
      this.u8(F.RDB_OPCODE_IDLE);
      this.len(idleSecs);
    }
    if (freq >= 0) {
      this.u8(F.RDB_OPCODE_FREQ);
      this.u8(freq);
    }
  }
}
