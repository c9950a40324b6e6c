/**
 * PackedValue: a js-map collection loaded from an RDB file and kept as the file's bytes until it
 * is first used (as Redis keeps a listpack as it was read). The js-map RDB fast loader
 * (js-map/rdb-fast.ts) makes one only for records it validated completely, so unpacking cannot
 * fail and gives exactly the container the JS reader (persistence/rdb-reader.ts) would have built:
 *
 * - HASH_LISTPACK: a hash that stays "listpack" under the load's limits; fields in file order.
 * - ZSET_LISTPACK: members strictly ascending by (score, member), no NaN, no integer past 2^53.
 * - LIST_QUICKLIST_2: exactly one packed node.
 * - SET_INTSET: at most set-max-intset-entries members (ascending, checked by the loader).
 * - SET (hashtable): at most 64 members, at least one not an integer; `blob` is the record's
 *   payload (count, then the RDB strings). Unpacked, it iterates in file order (the set's
 *   KeyTable visits rows in insertion order while none was removed), as the blob is saved.
 *
 * Invariants: listpack blobs hold no string entry that is a canonical integer and no repeated
 * field or member; the blob is buf[off, off + len), bytes a PackedArena copied there, never
 * written again. Nothing but the js-map Db (which unpacks on every read that hands the value out)
 * and the RDB writer (which copies the blob back when the saved encoding is the same, see
 * rdb-writer.ts) ever sees one.
 *
 * memoryUsage() is the unpacked container's figure where it is simple to know (lists, hashes,
 * sets) and an estimate for zsets; the Db adjusts its account by the difference when it unpacks.
 */
import type { BulkValue, EncodingLimits, HashValue, ListValue, MemoryAccount, RedisValue, SetValue, ZSetValue } from '../types';
import { LpReader } from '../../persistence/listpack';
import { intsetDecode } from '../../persistence/intset';
import { strtodAll } from '../../util/number';
import * as F from '../../persistence/format';

export interface PackedMakers {
  newList(): ListValue;
  newHash(): HashValue;
  newSet(): SetValue;
  newZSet(): ZSetValue;
}

/** What every packed value of one load shares: the load's limits and the engine's constructors. */
export interface PackedContext {
  limits: EncodingLimits;
  makers: PackedMakers;
}

/** A PackedArena's first buffer; each next one is twice as large, up to ARENA_MAX. */
const ARENA_FIRST = 4096;
/**
 * The largest arena buffer. It stays alive while any value packed in it does (see PackedArena),
 * so it is kept small: ~1,000 blobs of the persistence bench's 10-element collections.
 */
const ARENA_MAX = 64 * 1024;
/** Takes longer than this get a buffer of their own (an arena buffer's unused end stays under it). */
const ARENA_OWN = ARENA_MAX / 4;

/**
 * Where one load copies its packed values' blobs: back to back in buffers outside the JS heap
 * (Buffer.allocUnsafeSlow), so a loaded collection costs its PackedValue and no string. The
 * blobs were latin1 strings before: one more young object per key, built by a native call, that
 * the load's scavenges copied until it was promoted.
 *
 * A buffer is freed when no PackedValue in it is left: a value unpacked or deleted leaves its
 * blob's bytes unused until then. So the arena never holds more than the blobs loaded, and a
 * value still packed keeps at most its buffer alive (ARENA_MAX, or a take of its own: one
 * batch of rdb-scan.ts's blobs over ARENA_OWN together); a blob is a small part of what its
 * unpacked container takes. MEMORY USAGE and used_memory count a packed value's estimate of its
 * container (memoryUsage), never the arena.
 */
export class PackedArena {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private nextSize = ARENA_FIRST;
  /** Where the last take() or put() reserved its bytes in the buffer it returned. */
  at = 0;

  /** Reserve n bytes: returns the buffer, the offset is `at` (the caller writes them). */
  take(n: number): Buffer {
    if (n > ARENA_OWN) {
      this.at = 0;
      return Buffer.allocUnsafeSlow(n);
    }
    if (this.pos + n > this.buf.length) {
      // (a take of up to ARENA_OWN may be larger than the next size while sizes are small)
      while (this.nextSize < n) this.nextSize *= 2;
      this.buf = Buffer.allocUnsafeSlow(this.nextSize);
      this.pos = 0;
      if (this.nextSize < ARENA_MAX) this.nextSize *= 2;
    }
    this.at = this.pos;
    this.pos += n;
    return this.buf;
  }

  /** Copy src[start, start + len) into the arena: returns the buffer, the offset is `at`. */
  put(src: Uint8Array, start: number, len: number): Buffer {
    const b = this.take(len);
    b.set(src.subarray(start, start + len), this.at);
    return b;
  }
}

export class PackedValue {
  constructor(
    /** The RDB object type the blob was read as (and is written back as). */
    readonly rdbType: number,
    /** The record's listpack or intset (the SET payload): buf[off, off + len) (a PackedArena's). */
    readonly buf: Buffer,
    readonly off: number,
    readonly len: number,
    /** Elements (hash: fields; zset: members). */
    readonly size: number,
    /** The longest member or element (zsets: JsZSet's maxMemberLen; lists: for the node split). */
    readonly maxLen: number,
    private readonly bytes: number,
    /** The load's limits and constructors (shared by its values). */
    readonly context: PackedContext,
  ) {}

  memoryUsage(): number {
    return this.bytes;
  }

  /**
   * A ZSET_LISTPACK record's encoding: decided by the limits of its load (as unpack settles the
   * container it becomes), whatever CONFIG SET changed since: by its number of members only, as
   * Redis 7.0's loader (a member longer than zset-max-listpack-value stays in the listpack).
   */
  zsetIsListpack(): boolean {
    return this.size <= this.context.limits.zsetMaxListpackEntries;
  }

  attach(_a: MemoryAccount | null): void {
    /* the Db accounts for packed values; the container it becomes is attached then */
  }

  /** The container the JS reader would have built from the same record. */
  unpack(): RedisValue {
    // (the containers copy what they keep: storeElem, latin1Slice; nothing points into buf after)
    const b = this.buf;
    const o = this.off;
    const end = o + this.len;
    const { limits, makers } = this.context;
    switch (this.rdbType) {
      case F.RDB_TYPE_HASH_LISTPACK: {
        const h = makers.newHash();
        const r = new LpReader(b, o, end);
        while (r.next()) {
          const f = r.bytes();
          r.next();
          h.set(f, r.bytes());
        }
        h.fitEncoding(limits);
        return h;
      }
      case F.RDB_TYPE_ZSET_LISTPACK: {
        const z = makers.newZSet();
        const r = new LpReader(b, o, end);
        while (r.next()) {
          const m = r.bytes();
          r.next();
          z.add(m, r.isInt ? (r.int as number) : strtodAll(r.str())!);
        }
        // (its encoding decided by the load's limits, as the JS reader's fitZSet does for a
        // listpack record: by the number of members only)
        z.settleEncoding?.(limits.zsetMaxListpackEntries, Number.MAX_SAFE_INTEGER, 0);
        return z;
      }
      case F.RDB_TYPE_LIST_QUICKLIST_2: {
        const l = makers.newList();
        const r = new LpReader(b, o, end);
        while (r.next()) l.pushTail(r.bytes());
        return l;
      }
      case F.RDB_TYPE_SET_INTSET: {
        const s = makers.newSet();
        s.maxIntset = limits.setMaxIntsetEntries;
        for (const m of intsetDecode(b, o, end)) s.add(Buffer.from(m, 'latin1'));
        s.fitEncoding(limits);
        return s;
      }
      default: {
        // RDB_TYPE_SET: count, then raw (1-byte length) or int-encoded strings.
        const s = makers.newSet();
        s.maxIntset = limits.setMaxIntsetEntries;
        let p = o + (b[o] < 0x40 ? 1 : 2);
        for (let i = 0; i < this.size; i++) {
          const e = b[p];
          let m: BulkValue;
          if (e < 0x40) {
            m = b.latin1Slice(p + 1, p + 1 + e);
            p += 1 + e;
          } else if (e === 0xc0) {
            m = String(b.readInt8(p + 1));
            p += 2;
          } else if (e === 0xc1) {
            m = String(b.readInt16LE(p + 1));
            p += 3;
          } else {
            m = String(b.readInt32LE(p + 1));
            p += 5;
          }
          s.add(Buffer.from(m, 'latin1'));
        }
        s.fitEncoding(limits);
        return s;
      }
    }
  }
}
