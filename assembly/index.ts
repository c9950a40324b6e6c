/*
 * index.ts -- the WebAssembly module's exports (bindings: raw, runtime: stub).
 *
 * Only numbers cross the boundary: pointers (u32, seen as i32 by JS: use `>>> 0`), lengths,
 * f64 scores and times. No i64 (it would be a BigInt in JS), no managed objects. Byte strings
 * are passed through the scratch region (JS writes, then calls) and come back through the RES
 * struct and the out buffer (see keyspace.ts). All structures live in the arena (arena.ts).
 */

import { arenaInit } from './arena';
import { setSeeds } from './dict';
import { scratchReserve, outReserve, outReset, RES } from './io';

export { arenaUsed, arenaFootprint, alloc, free, allocSize, arenaSetMaxPages, arenaSetHeadroom } from './arena';
export { hashBytes, dictRehash, dictSize, dictStats, setSeeds, random32 } from './dict';
export { scratchReserve, getScratch, outReset, outShrink, dataUsed } from './io';
export {
  dbCreate, dbSize, dbExpiresSize, dbMainOverhead, dbExpiresOverhead, dbLookup, dbInfo, dbSetAccess, dbSetStr, dbSetHandle, dbWriteAt, dbIncrBy, dbRename, dbDelete,
  dbSetExpire, dbPersist, dbRandom, dbRandomVolatile, dbScan, dbScanEntries, dbWalkEntries, dbWalkKeys, dbWalkPos, dbPauseRehash, dbExpireCycle, dbRehash, dbClear, gcStep, gcPending, dbPrefetch,
  keyspaceValEmbed, dbSetLfuParams, dbSetExpiryPaused, dbSetExpiredKept,
} from './keyspace';
export {
  zsCreate, zsLength, zsMemory, zsScore, zsAdd, zsDelete, zsRank, zsRangeOut, zsRangeResp, zsScoreRange,
  zsLexRange, zsScan, zsClone, zsFreeSome, zsHighWater,
} from './skiplist';
export {
  znCreate, znIsListpack, znConvert, znMemory, znScore, znAdd, znDelete, znRank, znRangeOut, znRangeResp, znScoreRange,
  znLexRange, znScan, znClone, znAddMany, znPopOne,
} from './zsetpack';
export { globMatch } from './glob';
export { znGeoScan, geoDistance } from './geo';
export { rdbLoadRun, rdbLoadDone, rdbLoadResize } from './rdbload';
export { jmScan, jmScanDesc, jmScanExp, jmScanDecGrow, jmScanGather, jmScanDone } from './jsmapscan';
export { crc64Scratch, crc64At } from './crc64';
export { rdbSaveSettings, rdbSavePacked, rdbSaveDeferred, rdbSavePackedCount, rdbSaveStagedBatch } from './rdbsave';
export { scoreText, scoreParse } from './dtoa17';
export { dbWalkSave } from './keyspace';
export { bitCount, bitOp } from './bitops';
export { hllMergeDense, hllMergeSparse, hllHisto, hllDenseRaise } from './hyperloglog';
export { ncRef, ncUnref, ncQueue, ncFreeStep, ncPending } from './lazyfree';
export { ncBigDict } from './native';
export {
  hCreate, hLen, hIsListpack, hMemory, hGet, hConvert, hSet, hSetMany, dbHashSet, hDelete, hOut, hScan, hRandom, hClone, hResp,
} from './hash';
export {
  sCreate, sIsIntset, sMemory, sConvert, sAdd, sAddMany, dbSetAdd, sHas, sDelete, sOut, sScan, sRandom, sClone, sReencode, sResp,
} from './set';
export {
  lCreate, lMemory, lPush, lPop, dbListPush, dbListPop, lIndex, lSet, lRange, lInsert, lRemove, lTrim, lPos, lClone, lNodes, lSetFill,
  lSetCompress, lCompressedNodes, lCompressDepth,
} from './list';

export { laneRun, laneStats } from './lane';

/** Initialise the arena and the I/O regions. Returns the RES struct address, 0 on failure. */
export function init(seedA: u32, seedB: u32): u32 {
  arenaInit();
  setSeeds(seedA, seedB);
  if (scratchReserve(4096) == 0) return 0;
  if (outReserve(65536) == 0) return 0;
  outReset();
  return <u32>RES;
}
