/**
 * WasmZSet: a ZSetValue backed by assembly/zsetpack.ts, a native collection (native.ts): a packed
 * small form (Redis's listpack encoding) converted one way, in place, to the skip list of
 * assembly/skiplist.ts at zset-max-listpack-entries / -value, as Redis 7.0's zsetAdd does. The
 * keyspace stores the native handle; a WasmZSet is a short-lived view (WasmEngine.view), so a
 * stored sorted set costs no JS object, and a conversion keeps the header address (and handle).
 * Lifetime: see native.ts.
 *
 * Ranges are output in batches: WASM writes up to BATCH records into the out buffer, JS decodes
 * the whole batch, then calls the visitor. The next batch restarts from a rank (score ranges: from
 * the range's bounds and an offset), never from a node pointer, so a visitor that modifies the set
 * cannot make us follow a freed node. Inside writingTo() WASM writes RESP instead of records and
 * JS copies each batch into the reply with one call.
 */
import type { BulkSink, BulkValue, Bytes, EncodingLimits, GeoHit, LexRange, PoppedElement, ScoreRange, ZSetValue } from '../types';
import { WasmOutOfMemoryError } from './loader';
import { NativeCollection, NativeHost } from './native';
import { R_F64, R_MISC } from './abi';
import { copyAll } from '../../util/bytes';

const BATCH = 4096;
const NO_LIMIT = 0xffffffff;
/** A score's 8 bytes, for addMany's records (the scratch address need not be 8-aligned). */
const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);

/** What a WasmZSet needs from its engine. */
export interface ZSetHost extends NativeHost {
  /** zset-max-listpack-entries and zset-max-listpack-value, read live. */
  zsetMaxEntries(): number;
  zsetMaxValue(): number;
}

export class WasmZSet extends NativeCollection implements ZSetValue {
  readonly type = 'zset' as const;

  constructor(readonly zhost: ZSetHost, ptr: number, temp: boolean) {
    super(zhost, ptr, temp);
  }

  static create(host: ZSetHost): WasmZSet {
    const p = host.w.x.znCreate() >>> 0;
    if (p === 0) throw new WasmOutOfMemoryError('zset create');
    return new WasmZSet(host, p, true);
  }

  private p(): number {
    return this.ptr;
  }

  /** Bytes held in linear memory (already part of the engine's arena count). */
  memoryUsage(): number {
    return this.host.w.x.znMemory(this.ptr);
  }

  clone(): WasmZSet {
    const c = this.host.w.x.znClone(this.ptr) >>> 0;
    if (c === 0) throw new WasmOutOfMemoryError('zset clone');
    return new WasmZSet(this.zhost, c, true);
  }

  /** SORT converts a listpack zset to a skip list (zsetConvert), in place. */
  convertToSkiplist(): void {
    if (this.host.w.x.znConvert(this.ptr) === 0) throw new WasmOutOfMemoryError('zset convert');
  }

  /** OBJECT ENCODING: the representation itself (converted one way at Redis's points). */
  encoding(_limits: EncodingLimits): string {
    return this.host.w.x.znIsListpack(this.ptr) ? 'listpack' : 'skiplist';
  }

  score(member: Bytes): number | undefined {
    const w = this.host.w;
    const n = w.putBytes(member);
    return w.x.znScore(this.p(), n) ? w.resF64(R_F64) : undefined;
  }

  add(member: Bytes, score: number): number | undefined {
    const w = this.host.w;
    const n = w.putBytes(member);
    const st = w.x.znAdd(this.ptr, n, score, limit(this.zhost.zsetMaxEntries()), limit(this.zhost.zsetMaxValue()));
    if (st < 0) throw new WasmOutOfMemoryError('ZADD');
    return st === 0 ? undefined : w.resF64(R_F64);
  }

  /**
   * ZSetValue.addMany: records [f64 score][u32 len][bytes] (8-aligned) at scratch, one call.
   * Written with plain view stores (set() and writeUInt32LE cost a native call or checks each).
   */
  addMany(argv: Bytes[], from: number, scores: number[], flags: number, maxValue?: number): [number, number] {
    const w = this.host.w;
    const n = scores.length;
    let total = 0;
    for (let j = 0; j < n; j++) total += (12 + argv[from + 2 * j].length + 7) & ~7;
    w.ensureScratch(total);
    w.sync();
    const u8 = w.u8;
    const f64 = w.f64;
    // The arena's blocks (scratch among them) are 8-aligned; the byte copy is only a fallback.
    const aligned = (w.scratch & 7) === 0;
    let at = w.scratch;
    for (let j = 0; j < n; j++) {
      const m = argv[from + 2 * j];
      const len = m.length;
      if (aligned) f64[at >> 3] = scores[j];
      else {
        F64[0] = scores[j];
        u8.set(F64_BYTES, at);
      }
      u8[at + 8] = len;
      u8[at + 9] = len >>> 8;
      u8[at + 10] = len >>> 16;
      u8[at + 11] = len >>> 24;
      copyAll(u8, at + 12, m);
      at += (12 + len + 7) & ~7;
    }
    const added = w.x.znAddMany(this.ptr, n, flags, limit(this.zhost.zsetMaxEntries()), limit(maxValue ?? this.zhost.zsetMaxValue()));
    if (added < 0) throw new WasmOutOfMemoryError('ZADD');
    return [added, w.resU32(R_MISC)];
  }

  delete(member: Bytes): boolean {
    const w = this.host.w;
    const n = w.putBytes(member);
    return w.x.znDelete(this.p(), n) === 1;
  }

  /** ZSetValue.popOne: one znPopOne call (assembly/zsetpack.ts). */
  popOne(reverse: boolean, out: PoppedElement): boolean {
    const w = this.host.w;
    const r = w.x.znPopOne(this.ptr, reverse ? 1 : 0);
    if (r < 0) throw new WasmOutOfMemoryError('ZPOP');
    w.resyncScratch();
    if (r === 0) return false;
    const rec = w.outPtr();
    out.score = w.f64[rec >> 3];
    out.member = this.str(rec + 12, w.i32[(rec + 8) >> 2] >>> 0);
    return true;
  }

  /** Set by writingTo() for the duration of one range call. */
  private sink: BulkSink | null = null;
  private sinkCount = 0;

  writingTo(out: BulkSink, run: () => void): number {
    this.sink = out;
    this.sinkCount = 0;
    try {
      run();
    } finally {
      this.sink = null;
    }
    return this.sinkCount;
  }

  rank(member: Bytes, reverse: boolean): number {
    const w = this.host.w;
    const n = w.putBytes(member);
    return w.x.znRank(this.p(), n, reverse ? 1 : 0);
  }

  /**
   * Emit `count` elements starting at forward rank `first`, walking forward or backward, in
   * batches (see the header comment).
   */
  private emitRanks(first: number, count: number, reverse: boolean, visit: (member: BulkValue, score: number) => void): void {
    const w = this.host.w;
    const members: string[] = [];
    const scores: number[] = [];
    while (count > 0) {
      const avail = reverse ? first + 1 : this.size - first;
      if (avail <= 0 || first >= this.size) return; // the visitor shrank the set
      let want = count < BATCH ? count : BATCH;
      if (want > avail) want = avail;
      const sink = this.sink;
      if (sink !== null) {
        // writingTo(): WASM encodes the batch as RESP bulk strings; one copy into the reply.
        const got = w.x.znRangeResp(this.p(), first, want, reverse ? 1 : 0) >>> 0;
        if (got < want) throw new WasmOutOfMemoryError('ZRANGE output');
        this.sinkBatch(sink, got);
        count -= got;
        first = reverse ? first - got : first + got;
        continue;
      }
      const got = w.x.znRangeOut(this.p(), first, want, reverse ? 1 : 0) >>> 0;
      // The list holds `avail` elements from `first`: fewer means the out buffer could not grow.
      if (got < want) throw new WasmOutOfMemoryError('ZRANGE output');
      this.visitBatch(got, members, scores, visit);
      count -= got;
      first = reverse ? first - got : first + got;
    }
  }

  /** Copy a batch of RESP bulk strings (the out buffer) into the writingTo() sink. */
  private sinkBatch(sink: BulkSink, got: number): void {
    const w = this.host.w;
    w.sync();
    sink.rawBytes(w.u8, w.outPtr(), w.outLen());
    this.sinkCount += got;
  }

  /**
   * Decode `got` records from the out buffer, then call the visitor for each (decoding first:
   * the visitor may call into WASM, which resets the out buffer).
   */
  private visitBatch(got: number, members: string[], scores: number[], visit: (member: BulkValue, score: number) => void): void {
    const w = this.host.w;
    w.sync();
    const u8 = w.u8;
    const f64 = w.f64;
    const i32 = w.i32;
    const base = w.outPtr();
    let off = base;
    members.length = 0;
    scores.length = 0;
    // One native latin1Slice for the whole batch, then substring per member (a builtin, no
    // native call): ~2x faster than a latin1Slice per member for 100-element ranges.
    const all = got > 1 ? u8.latin1Slice(base, base + w.outLen()) : '';
    for (let i = 0; i < got; i++) {
      // Records are 8-aligned: [f64 score][u32 len][bytes]; an i32 view read beats readUInt32LE.
      const len = i32[(off + 8) >> 2] >>> 0;
      scores.push(f64[off >> 3]);
      members.push(got > 1 ? all.substring(off - base + 12, off - base + 12 + len) : u8.latin1Slice(off + 12, off + 12 + len));
      off += (12 + len + 7) & ~7;
    }
    for (let i = 0; i < got; i++) visit(members[i], scores[i]);
  }

  rangeByRank(start: number, stop: number, reverse: boolean, visit: (member: BulkValue, score: number) => void): void {
    const len = this.size;
    if (start < 0) start = 0;
    if (stop >= len) stop = len - 1;
    if (start > stop || start >= len) return;
    const count = stop - start + 1;
    this.emitRanks(reverse ? len - 1 - start : start, count, reverse, visit);
  }

  private emitWindow(first: number, cnt: number, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    if (cnt <= 0 || offset < 0 || offset >= cnt) return;
    const avail = cnt - offset;
    const n = limit < 0 || limit > avail ? avail : limit;
    if (n === 0) return;
    this.emitRanks(reverse ? first + cnt - 1 - offset : first + offset, n, reverse, visit);
  }

  private scoreCount(r: ScoreRange): number {
    const w = this.host.w;
    return w.x.znScoreRange(this.p(), r.min, r.minEx ? 1 : 0, r.max, r.maxEx ? 1 : 0, 0, 0, 0, 0) >>> 0;
  }

  /**
   * One WASM call per batch finds the window from the bounds and writes it (no separate count:
   * ascending output stops at the first element above max). A short batch ends the range.
   */
  rangeByScore(range: ScoreRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    // WASM takes the offset as a u32; past the set's size (< 2^32) the range is empty anyway.
    if (offset < 0 || offset > 0xffffffff) return;
    const w = this.host.w;
    const minEx = range.minEx ? 1 : 0;
    const maxEx = range.maxEx ? 1 : 0;
    const rev = reverse ? 1 : 0;
    let remaining = limit < 0 ? Infinity : limit;
    let members: string[] | null = null;
    let scores: number[] | null = null;
    while (remaining > 0) {
      const want = remaining < BATCH ? remaining : BATCH;
      const sink = this.sink;
      const got = w.x.znScoreRange(this.p(), range.min, minEx, range.max, maxEx, sink !== null ? 2 : 1, rev, offset, want) | 0;
      if (got < 0) throw new WasmOutOfMemoryError('ZRANGEBYSCORE output');
      if (got === 0) return;
      if (sink !== null) this.sinkBatch(sink, got);
      else this.visitBatch(got, (members ??= []), (scores ??= []), visit);
      if (got < want) return;
      offset += got;
      remaining -= got;
    }
  }

  private lexCount(r: LexRange, reverse = false): number {
    const w = this.host.w;
    const min = r.minInf === 0 && r.min ? r.min : null;
    const max = r.maxInf === 0 && r.max ? r.max : null;
    const minLen = min ? min.length : 0;
    const maxLen = max ? max.length : 0;
    w.ensureScratch(minLen + maxLen);
    if (min) w.putBytes(min, 0);
    if (max) w.putBytes(max, minLen);
    // A null bound without an inf flag means -inf for min and +inf for max (types.ts).
    const minInf = r.minInf !== 0 ? r.minInf : (r.min ? 0 : -1);
    const maxInf = r.maxInf !== 0 ? r.maxInf : (r.max ? 0 : 1);
    return w.x.znLexRange(this.p(), minLen, r.minEx ? 1 : 0, minInf, maxLen, r.maxEx ? 1 : 0, maxInf, reverse ? 1 : 0) >>> 0;
  }

  rangeByLex(range: LexRange, reverse: boolean, offset: number, limit: number, visit: (member: BulkValue, score: number) => void): void {
    const cnt = this.lexCount(range, reverse);
    if (cnt === 0) return;
    const first = this.host.w.resU32(R_MISC);
    this.emitWindow(first, cnt, reverse, offset, limit, visit);
  }

  countByScore(range: ScoreRange): number {
    return this.scoreCount(range);
  }

  countByLex(range: LexRange): number {
    return this.lexCount(range);
  }

  scan(cursor: number, count: number, visit: (member: BulkValue, score: number) => void): number {
    const w = this.host.w;
    const next = w.x.znScan(this.p(), cursor >>> 0, count > 0 ? count : 10) >>> 0;
    if (w.resU32(R_MISC) === 1) throw new WasmOutOfMemoryError('ZSCAN output');
    const u8 = w.u8;
    const f64 = w.f64;
    const i32 = w.i32;
    let off = w.outPtr();
    const end = off + w.outLen();
    const members: string[] = [];
    const scores: number[] = [];
    while (off < end) {
      const len = i32[(off + 8) >> 2] >>> 0;
      scores.push(f64[off >> 3]);
      members.push(u8.latin1Slice(off + 12, off + 12 + len));
      off += (12 + len + 7) & ~7;
    }
    for (let i = 0; i < members.length; i++) visit(members[i], scores[i]);
    return next;
  }

  forEach(visit: (member: BulkValue, score: number) => void): void {
    this.rangeByRank(0, this.size - 1, false, visit);
  }

  /**
   * ZSetValue.geoScan: assembly/geo.ts filters the box; only the hits cross, as records that the
   * search's boxes append to the out buffer; hits keep their records' offsets (relative to the
   * buffer, which may move while it grows), made absolute by geoMembers.
   */
  geoScan(min: number, max: number, lon: number, lat: number, radiusM: number, widthM: number, heightM: number, limit: number, out: GeoHit[], first: boolean): boolean {
    const w = this.host.w;
    const from = first ? 0 : w.outLen();
    const got = w.x.znGeoScan(this.ptr, min, max, lon, lat, radiusM, widthM, heightM, limit > 0 ? limit - out.length : 0, first ? 0 : 1) | 0;
    if (got === -2) return false;
    if (got < 0) throw new WasmOutOfMemoryError('GEOSEARCH output');
    if (got === 0) return true;
    w.sync();
    const f64 = w.f64;
    const i32 = w.i32;
    const base = w.outPtr();
    let off = from;
    for (let i = 0; i < got; i++) {
      // [f64 score][f64 distance][u32 len][bytes], 8-aligned
      const at = base + off;
      const len = i32[(at + 16) >> 2] >>> 0;
      out.push({ member: null, score: f64[at >> 3], dist: f64[(at + 8) >> 3], at: off + 20, len });
      off += (20 + len + 7) & ~7;
    }
    return true;
  }

  geoMembers(hits: GeoHit[]): Uint8Array {
    const w = this.host.w;
    w.sync();
    const base = w.outPtr();
    for (let i = 0; i < hits.length; i++) hits[i].at += base;
    return w.u8;
  }
}

/** A config limit as the u32 WASM takes (negative never happens: the config's min is 0). */
function limit(n: number): number {
  return n >= NO_LIMIT ? NO_LIMIT : n < 0 ? 0 : n;
}
