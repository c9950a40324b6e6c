/**
 * The TS <-> WASM interface constants, written once and read by both sides: the AssemblyScript
 * sources import this file (assembly/io.ts, assembly/keyspace.ts) and so does the JS loader, so
 * an offset or status code cannot differ between them.
 *
 * Keep this file in the subset both compilers accept: `export const NAME: <u32|i32> = <literal>;`
 * only (TypeScript sees u32/i32 as number through src/types/as-types.d.ts).
 */

// Offsets in the RES struct (assembly/io.ts), where WASM functions leave results for JS.
export const R_PTR: u32 = 0;
export const R_LEN: u32 = 4;
export const R_HANDLE: u32 = 8;
export const R_MISC: u32 = 12;
export const R_F64: u32 = 16;
export const R_LRU: u32 = 24;
export const R_OUTLEN: u32 = 28;
export const R_OUTPTR: u32 = 32;
export const R_SCRATCH: u32 = 36;
export const R_SCRATCHCAP: u32 = 40;
export const R_F64B: u32 = 48;
/** Size of the RES struct in bytes. */
export const RES_BYTES: u32 = 64;

/**
 * The vlen of a container in the keyspace's entries and in dbScanEntries/dbWalkSave records (a
 * string's vlen is its length, always below this: strings are limited to < 1 GiB on this engine).
 */
export const VLEN_HANDLE: u32 = 0x3fffffff;

// Status codes of the keyspace operations (dbLookup, dbSetStr, dbWriteAt, dbRename...).
export const ST_MISSING: i32 = 0;
export const ST_STRING: i32 = 1;
export const ST_HANDLE: i32 = 2;
export const ST_EXPIRED: i32 = 3;
export const ST_TOOBIG: i32 = 4;
export const ST_OOM: i32 = -1;

/** dbScan's pattern length meaning "no MATCH pattern". */
export const NO_PATTERN: u32 = 0xffffffff;

// BITOP operations (assembly/bitops.ts bitOp; the engine interface's BitOp has the same numbers).
export const BITOP_AND: i32 = 0;
export const BITOP_OR: i32 = 1;
export const BITOP_XOR: i32 = 2;
export const BITOP_NOT: i32 = 3;

// dictStats (assembly/dict.ts) writes 5 u32 figures then this many chain-length counts
// (dict.c's DICT_STATS_VECTLEN: the last class is "that many or more").
export const STATS_VECTLEN: u32 = 50;

// The fast lane (assembly/lane.ts): ids of the commands it runs (the command table's `lane`
// field: src/commands/table.ts), and the offsets of its stats block (u32 each).
export const LANE_LPUSH: u32 = 1;
export const LANE_RPUSH: u32 = 2;
export const LANE_LPOP: u32 = 3;
export const LANE_RPOP: u32 = 4;
export const LANE_SADD: u32 = 5;
export const LANE_HSET: u32 = 6;
export const LANE_SPOP: u32 = 7;
export const LANE_GETBIT: u32 = 8;
export const LANE_PFADD: u32 = 9;
export const LANE_ZADD: u32 = 10;
export const LANE_ZPOPMIN: u32 = 11;
export const LANE_ZPOPMAX: u32 = 12;
export const LANE_LRANGE: u32 = 13;
export const LANE_ZRANGE: u32 = 14;
export const LANE_SMEMBERS: u32 = 15;
export const LANE_HGETALL: u32 = 16;
export const LANE_GET: u32 = 17;
export const LANE_SET: u32 = 18;
export const LANE_INCR: u32 = 19;
export const LANE_DECR: u32 = 20;
export const LANE_INCRBY: u32 = 21;
export const LANE_DECRBY: u32 = 22;
export const LANE_SETBIT: u32 = 23;
export const LANE_BITFIELD: u32 = 24;
/** One more than the highest lane id (the stats block holds a count per id below LS_DIRTY). */
export const LANE_IDS: u32 = 25;
/** Stats block: the count of commands run per lane id at 4 * id (ids below 32), then these. */
export const LS_DIRTY: u32 = 128;
export const LS_LAST: u32 = 132;
export const LS_OOM: u32 = 136;
export const LS_CMDS: u32 = 140;
export const LS_HITS: u32 = 148;
export const LS_MISSES: u32 = 152;
export const LS_INCOMPLETE: u32 = 156;
export const LANE_STATS_BYTES: u32 = 160;
// laneRun flags.
export const LANE_RESP3: u32 = 1;
export const LANE_PREFETCH: u32 = 2;
/** Strings may not be edited in place (the JS side keeps encoding notes: engine.ts rawKeys). */
export const LANE_NO_STRING_EDIT: u32 = 4;
