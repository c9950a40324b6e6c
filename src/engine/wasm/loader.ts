/**
 * Loads build/redust.wasm (compiled from assembly/ by scripts/build-wasm.js) and wraps one
 * instance with typed bindings and memory views.
 *
 * Boundary rules (docs/design-notes.md): only numbers cross; byte strings go through the
 * scratch region (JS copies in, then calls) and come back through the RES struct or the out
 * buffer (JS copies out). u32 pointers arrive as i32 in JS, hence the `>>> 0`. Any call that may
 * allocate can grow memory, which detaches `memory.buffer`: `sync()` re-creates the views when the
 * buffer changed, and every read of memory after a call goes through it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { EngineOutOfMemoryError } from '../types';
import { copyAll } from '../../util/bytes';

/*
 * The project compiles with lib ES2022 and @types/node 20, neither of which declares the
 * WebAssembly namespace; these are the few shapes we use (no global declaration, so nothing can
 * clash if a lib adds them later).
 */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
type WasmModuleObject = object;
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModuleObject;
  Instance: new (module: WasmModuleObject, imports: object) => { exports: object };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Raw exports of the module (see assembly/index.ts). */
export interface WasmExports {
  memory: WasmMemory;
  init(seedA: number, seedB: number): number;
  arenaUsed(): number;
  arenaFootprint(): number;
  arenaSetMaxPages(pages: number): void;
  arenaSetHeadroom(headroom: number): void;
  alloc(size: number): number;
  free(ptr: number, size: number): void;
  allocSize(size: number): number;
  hashBytes(ptr: number, len: number): number;
  dictRehash(d: number, n: number): number;
  dictSize(d: number): number;
  dictStats(d: number, t: number, out: number): number;
  dbSetExpiryPaused(paused: number): void;
  dbSetExpiredKept(kept: number): void;
  ncBigDict(c: number): number;
  random32(): number;
  scratchReserve(n: number): number;
  getScratch(): number;
  outReset(): void;
  outShrink(): void;
  dataUsed(): number;
  dbCreate(): number;
  dbSize(db: number): number;
  dbExpiresSize(db: number): number;
  dbMainOverhead(db: number): number;
  dbExpiresOverhead(db: number): number;
  dbLookup(db: number, klen: number, now: number, touch: number): number;
  dbPrefetch(db: number, len: number, max: number): number;
  dbInfo(db: number, klen: number, now: number): number;
  dbSetAccess(db: number, klen: number, now: number, idle: number, freq: number): number;
  dbSetStr(db: number, klen: number, vlen: number, keepTtl: number, now: number): number;
  dbSetHandle(db: number, klen: number, handle: number, keepTtl: number, now: number): number;
  dbWriteAt(db: number, klen: number, offset: number, len: number, maxLen: number, now: number): number;
  dbIncrBy(db: number, klen: number, by: number, now: number): number;
  dbRename(db: number, klen: number, nklen: number, now: number): number;
  keyspaceValEmbed(): number;
  dbSetLfuParams(logFactor: number, decayTime: number): void;
  dbDelete(db: number, klen: number, now: number): number;
  dbSetExpire(db: number, klen: number, at: number, now: number): number;
  dbPersist(db: number, klen: number, now: number): number;
  dbRandom(db: number, now: number): number;
  dbRandomVolatile(db: number, now: number): number;
  dbScan(db: number, cursor: number, count: number, now: number, patLen: number, nocase: number): number;
  dbScanEntries(db: number, cursor: number, count: number, now: number): number;
  dbWalkEntries(db: number, pos: number, count: number, now: number): number;
  dbWalkKeys(db: number, pos: number, count: number, now: number): number;
  dbWalkPos(db: number, klen: number): number;
  dbPauseRehash(db: number, on: number): void;
  dbExpireCycle(db: number, now: number, maxSamples: number): number;
  dbRehash(db: number, n: number): number;
  dbClear(db: number): void;
  gcStep(maxBuckets: number): number;
  gcPending(): number;
  zsCreate(): number;
  zsLength(zs: number): number;
  zsMemory(zs: number): number;
  zsScore(zs: number, mlen: number): number;
  zsAdd(zs: number, mlen: number, score: number): number;
  zsDelete(zs: number, mlen: number): number;
  zsRank(zs: number, mlen: number, reverse: number): number;
  zsRangeOut(zs: number, start: number, count: number, reverse: number): number;
  zsRangeResp(zs: number, start: number, count: number, reverse: number): number;
  /** write 0: count (RES misc = first rank); 1 / 2: write records / RESP, returns count or -1 (OOM). */
  zsScoreRange(
    zs: number, min: number, minEx: number, max: number, maxEx: number,
    write: number, reverse: number, offset: number, count: number,
  ): number;
  zsLexRange(zs: number, minLen: number, minEx: number, minInf: number, maxLen: number, maxEx: number, maxInf: number): number;
  zsScan(zs: number, cursor: number, count: number): number;
  zsClone(zs: number): number;
  zsFreeSome(zs: number, maxNodes: number): number;
  zsHighWater(zs: number): number;
  // Sorted sets as native collections (assembly/zsetpack.ts): packed small form, then skip list.
  znCreate(): number;
  znIsListpack(c: number): number;
  znConvert(c: number): number;
  znMemory(c: number): number;
  znScore(c: number, ml: number): number;
  znAdd(c: number, ml: number, score: number, maxEntries: number, maxValue: number): number;
  znDelete(c: number, ml: number): number;
  znRank(c: number, ml: number, reverse: number): number;
  znRangeOut(c: number, start: number, count: number, reverse: number): number;
  znRangeResp(c: number, start: number, count: number, reverse: number): number;
  znScoreRange(
    c: number, min: number, minEx: number, max: number, maxEx: number,
    write: number, reverse: number, offset: number, count: number,
  ): number;
  znLexRange(c: number, minLen: number, minEx: number, minInf: number, maxLen: number, maxEx: number, maxInf: number, reverse: number): number;
  znScan(c: number, cursor: number, count: number): number;
  znClone(c: number): number;
  znAddMany(c: number, n: number, flags: number, maxEntries: number, maxValue: number): number;
  znGeoScan(c: number, min: number, max: number, lon: number, lat: number, radiusM: number, widthM: number, heightM: number, limit: number, append: number): number;
  geoDistance(lon1: number, lat1: number, lon2: number, lat2: number): number;
  znPopOne(c: number, reverse: number): number;
  globMatch(pp: number, plen: number, sp: number, slen: number, nocase: number): number;
  rdbLoadRun(db: number, start: number, end: number, now: number, hMaxE: number, hMaxV: number, zMaxE: number, zMaxV: number, sMaxI: number, maxKeys: number): number;
  rdbLoadDone(): void;
  rdbLoadResize(db: number, size: number): void;
  crc64Scratch(lo: number, hi: number, len: number): void;
  crc64At(lo: number, hi: number, ptr: number, len: number): void;
  rdbSaveSettings(comp: number, lru: number, lfu: number, refNow: number, fill: number, packedThreshold: number): void;
  dbWalkSave(db: number, pos: number, count: number, now: number): number;
  rdbSavePacked(): void;
  rdbSaveDeferred(): number;
  rdbSavePackedCount(): number;
  rdbSaveStagedBatch(st: number, n: number, ends: number): number;
  /** For tests (assembly/dtoa17.ts): d2string of a non-integer score at the scratch region, and back. */
  scoreText(v: number): number;
  scoreParse(len: number): number;
  bitCount(p: number, n: number): number;
  bitOp(op: number, dst: number, srcs: number, nsrc: number, maxlen: number): void;
  hllMergeDense(max: number, p: number): void;
  hllMergeSparse(max: number, p: number, len: number): number;
  hllHisto(max: number, histo: number): void;
  hllDenseRaise(p: number, max: number): void;
  // Collections in linear memory (assembly/native.ts, hash.ts, set.ts, lazyfree.ts).
  ncRef(c: number): void;
  ncUnref(c: number): void;
  ncQueue(c: number): void;
  ncFreeStep(budget: number): number;
  ncPending(): number;
  hCreate(): number;
  hLen(c: number): number;
  hIsListpack(c: number): number;
  hMemory(c: number): number;
  hGet(c: number, fl: number): number;
  hConvert(c: number): number;
  hSet(c: number, fl: number, vl: number, maxValue: number, maxEntries: number): number;
  hSetMany(c: number, n: number, maxValue: number, maxEntries: number): number;
  hDelete(c: number, fl: number): number;
  hOut(c: number): number;
  hScan(c: number, cursor: number, count: number): number;
  hRandom(c: number): number;
  hClone(c: number): number;
  sCreate(): number;
  sIsIntset(c: number): number;
  sMemory(c: number): number;
  sConvert(c: number): number;
  sAdd(c: number, ml: number, maxIntset: number): number;
  sAddMany(c: number, n: number, maxIntset: number): number;
  sHas(c: number, ml: number): number;
  sDelete(c: number, ml: number): number;
  sOut(c: number): number;
  sScan(c: number, cursor: number, count: number): number;
  sRandom(c: number): number;
  sClone(c: number): number;
  sReencode(c: number, maxIntset: number): number;
  hResp(c: number, what: number): number;
  sResp(c: number): number;
  // Lists (assembly/list.ts).
  lCreate(): number;
  lMemory(c: number): number;
  lPush(c: number, where: number, n: number): number;
  lPop(c: number, where: number, count: number, resp: number): number;
  dbListPush(db: number, klen: number, now: number, where: number, n: number): number;
  dbSetAdd(db: number, klen: number, now: number, n: number, maxIntset: number): number;
  dbHashSet(db: number, klen: number, now: number, n: number, maxValue: number, maxEntries: number): number;
  dbListPop(db: number, klen: number, now: number, where: number): number;
  lIndex(c: number, index: number): number;
  lSet(c: number, index: number, len: number): number;
  lRange(c: number, start: number, stop: number, resp: number): number;
  lInsert(c: number, plen: number, vlen: number, after: number): number;
  lRemove(c: number, len: number, count: number): number;
  lTrim(c: number, start: number, stop: number): number;
  lPos(c: number, len: number, rank: number, count: number, maxlen: number): number;
  lClone(c: number): number;
  lNodes(c: number): number;
  lSetFill(fill: number): void;
  lSetCompress(depth: number): void;
  lCompressedNodes(c: number): number;
  lCompressDepth(c: number): number;
  laneRun(db: number, base: number, len: number, now: number, flags: number, maxIntset: number, hashMaxValue: number, hashMaxEntries: number, maxBulkLen: number, zsetMaxEntries: number, zsetMaxValue: number, maxValue: number): number;
  laneStats(): number;
}

/**
 * Each export's parameter count. Typed by WasmExports (a name missing here or there does not
 * compile); checked against the loaded module, so a stale build/redust.wasm fails at load with a
 * clear message instead of misbehaving.
 */
const EXPORT_ARITY: Record<Exclude<keyof WasmExports, 'memory'>, number> = {
  init: 2,
  arenaUsed: 0,
  arenaFootprint: 0,
  arenaSetMaxPages: 1,
  arenaSetHeadroom: 1,
  alloc: 1,
  free: 2,
  allocSize: 1,
  hashBytes: 2,
  dictRehash: 2,
  dictSize: 1,
  dictStats: 3,
  dbSetExpiryPaused: 1,
  dbSetExpiredKept: 1,
  ncBigDict: 1,
  random32: 0,
  scratchReserve: 1,
  getScratch: 0,
  outReset: 0,
  outShrink: 0,
  dataUsed: 0,
  dbCreate: 0,
  dbSize: 1,
  dbExpiresSize: 1,
  dbMainOverhead: 1,
  dbExpiresOverhead: 1,
  dbLookup: 4,
  dbPrefetch: 3,
  dbInfo: 3,
  dbSetAccess: 5,
  dbSetStr: 5,
  dbSetHandle: 5,
  dbWriteAt: 6,
  dbIncrBy: 4,
  dbRename: 4,
  keyspaceValEmbed: 0,
  dbSetLfuParams: 2,
  dbDelete: 3,
  dbSetExpire: 4,
  dbPersist: 3,
  dbRandom: 2,
  dbRandomVolatile: 2,
  dbScan: 6,
  dbScanEntries: 4,
  dbWalkEntries: 4,
  dbWalkKeys: 4,
  dbWalkPos: 2,
  dbPauseRehash: 2,
  dbExpireCycle: 3,
  dbRehash: 2,
  dbClear: 1,
  gcStep: 1,
  gcPending: 0,
  zsCreate: 0,
  zsLength: 1,
  zsMemory: 1,
  zsScore: 2,
  zsAdd: 3,
  zsDelete: 2,
  zsRank: 3,
  zsRangeOut: 4,
  zsRangeResp: 4,
  zsScoreRange: 9,
  zsLexRange: 7,
  zsScan: 3,
  zsClone: 1,
  zsFreeSome: 2,
  zsHighWater: 1,
  znCreate: 0,
  znIsListpack: 1,
  znConvert: 1,
  znMemory: 1,
  znScore: 2,
  znAdd: 5,
  znDelete: 2,
  znRank: 3,
  znRangeOut: 4,
  znRangeResp: 4,
  znScoreRange: 9,
  znLexRange: 8,
  znScan: 3,
  znClone: 1,
  znAddMany: 5,
  znGeoScan: 10,
  geoDistance: 4,
  znPopOne: 2,
  globMatch: 5,
  rdbLoadRun: 10,
  rdbLoadDone: 0,
  rdbLoadResize: 2,
  crc64Scratch: 3,
  crc64At: 4,
  rdbSaveSettings: 6,
  dbWalkSave: 4,
  rdbSavePacked: 0,
  rdbSaveDeferred: 0,
  rdbSavePackedCount: 0,
  rdbSaveStagedBatch: 3,
  scoreText: 1,
  scoreParse: 1,
  bitCount: 2,
  bitOp: 5,
  hllMergeDense: 2,
  hllMergeSparse: 3,
  hllHisto: 2,
  hllDenseRaise: 2,
  ncRef: 1,
  ncUnref: 1,
  ncQueue: 1,
  ncFreeStep: 1,
  ncPending: 0,
  hCreate: 0,
  hLen: 1,
  hIsListpack: 1,
  hMemory: 1,
  hGet: 2,
  hConvert: 1,
  hSet: 5,
  hSetMany: 4,
  hDelete: 2,
  hOut: 1,
  hScan: 3,
  hRandom: 1,
  hClone: 1,
  sCreate: 0,
  sIsIntset: 1,
  sMemory: 1,
  sConvert: 1,
  sAdd: 3,
  sAddMany: 3,
  sHas: 2,
  sDelete: 2,
  sOut: 1,
  sScan: 3,
  sRandom: 1,
  sClone: 1,
  sReencode: 2,
  hResp: 2,
  sResp: 1,
  lCreate: 0,
  lMemory: 1,
  lPush: 3,
  lPop: 4,
  dbListPush: 5,
  dbSetAdd: 5,
  dbHashSet: 6,
  dbListPop: 4,
  lIndex: 2,
  lSet: 3,
  lRange: 4,
  lInsert: 4,
  lRemove: 3,
  lTrim: 3,
  lPos: 5,
  lClone: 1,
  lNodes: 1,
  lSetFill: 1,
  lSetCompress: 1,
  lCompressedNodes: 1,
  lCompressDepth: 1,
  laneRun: 12,
  laneStats: 0,
};

/** Throws when the module's exports differ from what this build of the loader calls. */
export function checkExports(exports: Record<string, unknown>, file: string): void {
  const problems: string[] = [];
  for (const [name, arity] of Object.entries(EXPORT_ARITY)) {
    const f = exports[name];
    if (typeof f !== 'function') problems.push(`${name} is missing`);
    else if (f.length !== arity) problems.push(`${name} takes ${f.length} arguments, expected ${arity}`);
  }
  if (!(exports.memory instanceof Object)) problems.push('memory is missing');
  if (problems.length > 0) {
    throw new Error(`wasm engine: ${file} does not match this version of Redust (${problems.join('; ')}); rebuild it with \`npm run build:wasm\``);
  }
}

import { R_OUTLEN, R_OUTPTR, R_SCRATCH, R_SCRATCHCAP } from './abi';

/** Thrown when linear memory cannot grow (4 GiB wasm32 cap or host refusal). Nothing was changed. */
export class WasmOutOfMemoryError extends EngineOutOfMemoryError {
  constructor(what = 'operation') {
    super(`wasm engine out of memory during ${what} (linear memory cap of 4 GiB reached or the host refused to grow it)`);
  }
}

/** Find the package root (the directory holding package.json) from this file, src/ or dist/src/. */
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'redust') return dir;
      } catch {
        // keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return path.resolve(__dirname, '..', '..', '..', '..');
}

let compiled: WasmModuleObject | undefined;

function wasmFile(): string {
  return process.env.REDUST_WASM ?? path.join(packageRoot(), 'build', 'redust.wasm');
}

/** The compiled module (compiled once per process, synchronously). */
export function wasmModule(): WasmModuleObject {
  if (compiled) return compiled;
  const file = wasmFile();
  if (!fs.existsSync(file)) {
    throw new Error(`wasm engine: ${file} not found; run \`npm run build:wasm\``);
  }
  compiled = new WA.Module(fs.readFileSync(file));
  return compiled;
}

/** One instance: exports plus views over its memory, kept current by sync(). */
export class WasmInstance {
  readonly x: WasmExports;
  private readonly memory: WasmMemory;
  private buffer: ArrayBuffer;
  /** Byte view (a Buffer, for latin1Slice / copy). */
  u8!: Buffer;
  i32!: Int32Array;
  f64!: Float64Array;
  /** Address of the RES struct. */
  readonly res: number;
  scratch = 0;
  scratchCap = 0;

  constructor() {
    const inst = new WA.Instance(wasmModule(), {
      env: {
        abort(_msg: number, _file: number, line: number, col: number) {
          throw new Error(`wasm engine: abort at ${line}:${col}`);
        },
      },
    });
    checkExports(inst.exports as Record<string, unknown>, wasmFile());
    this.x = inst.exports as unknown as WasmExports;
    this.memory = this.x.memory;
    const seed = new Uint32Array(2);
    require('crypto').randomFillSync(seed);
    this.res = this.x.init(seed[0], seed[1]) >>> 0;
    if (this.res === 0) throw new WasmOutOfMemoryError('init');
    this.buffer = this.memory.buffer;
    this.makeViews();
    this.readScratch();
  }

  private makeViews(): void {
    this.buffer = this.memory.buffer;
    this.u8 = Buffer.from(this.buffer);
    this.i32 = new Int32Array(this.buffer);
    this.f64 = new Float64Array(this.buffer);
  }

  /**
   * Re-create the views if memory grew since the last call. memory.grow detaches the old
   * ArrayBuffer, which makes every view over it report length 0 (memory is never empty): testing
   * that is a field read, where the `memory.buffer` getter is a native call (~2% of a GET).
   */
  sync(): void {
    if (this.i32.length === 0) this.makeViews();
  }

  private readScratch(): void {
    this.sync();
    this.scratch = this.i32[(this.res + R_SCRATCH) >> 2] >>> 0;
    this.scratchCap = this.i32[(this.res + R_SCRATCHCAP) >> 2] >>> 0;
  }

  /** Make the scratch region hold n bytes (views synced on return). */
  reserveScratch(n: number): void {
    if (n > 0xffffffff || this.x.scratchReserve(n) === 0) throw new WasmOutOfMemoryError('scratch reserve');
    this.readScratch();
  }

  /** Re-read the scratch region after a call that may have grown it from inside WASM. */
  resyncScratch(): void {
    this.sync();
    if (this.i32[(this.res + R_SCRATCH) >> 2] >>> 0 !== this.scratch) this.readScratch();
  }

  /** Make sure scratch holds n bytes before writing several pieces (growing loses the contents). */
  ensureScratch(n: number): void {
    if (n > this.scratchCap) this.reserveScratch(n);
  }

  /**
   * args[from, to) into scratch as [u32 len][bytes] records, after `key`'s bytes when one is given,
   * for the calls that take many elements in one crossing (LPUSH/SADD/HSET, the one-call writes
   * on a key, RDB loads). Returns the record count. Plain stores and copyAll: writeUInt32LE's
   * checks and set()'s native call cost more than the few bytes of a usual element.
   */
  putRecords(args: readonly Uint8Array[], from: number, to: number, key: Uint8Array | null = null): number {
    let total = key === null ? 0 : key.length;
    for (let i = from; i < to; i++) total += 4 + args[i].length;
    this.ensureScratch(total);
    this.sync();
    const u8 = this.u8;
    let p = this.scratch;
    if (key !== null) {
      copyAll(u8, p, key);
      p += key.length;
    }
    for (let i = from; i < to; i++) {
      const a = args[i];
      const n = a.length;
      u8[p] = n;
      u8[p + 1] = n >>> 8;
      u8[p + 2] = n >>> 16;
      u8[p + 3] = n >>> 24;
      copyAll(u8, p + 4, a);
      p += 4 + n;
    }
    return to - from;
  }

  /** Copy bytes to scratch at offset `at` (views synced on return). Returns the length. */
  putBytes(b: Buffer | string, at = 0): number {
    const len = b.length;
    if (at + len > this.scratchCap) {
      if (at !== 0) throw new Error('wasm engine: ensureScratch() before writing at an offset');
      this.reserveScratch(len);
    }
    this.sync();
    const dst = this.scratch + at;
    if (typeof b === 'string') {
      this.u8.latin1Write(b, dst, len);
    } else {
      copyAll(this.u8, dst, b);
    }
    return len;
  }

  resI32(off: number): number {
    this.sync();
    return this.i32[(this.res + off) >> 2];
  }

  resU32(off: number): number {
    this.sync();
    return this.i32[(this.res + off) >> 2] >>> 0;
  }

  resF64(off: number): number {
    this.sync();
    return this.f64[(this.res + off) >> 3];
  }

  /** Copy [ptr, ptr+len) out into a new Buffer. */
  copyOut(ptr: number, len: number): Buffer {
    this.sync();
    const b = Buffer.allocUnsafe(len);
    this.u8.copy(b, 0, ptr, ptr + len);
    return b;
  }

  outPtr(): number {
    return this.resU32(R_OUTPTR);
  }

  outLen(): number {
    return this.resU32(R_OUTLEN);
  }
}
