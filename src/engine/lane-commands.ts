/**
 * The fast lane's commands by lane id (src/engine/wasm/abi.ts LANE_*): one table read by the
 * server's lane (src/server/lane.ts: the name look and the stats of each command) and by the
 * engines' lanes that match names in TypeScript (src/engine/js-map/lane.ts). assembly/lane.ts
 * matches the same names on its side.
 */
import { LANE_DECR, LANE_DECRBY, LANE_GET, LANE_GETBIT, LANE_HGETALL, LANE_HSET, LANE_INCR, LANE_INCRBY, LANE_LPOP, LANE_LPUSH, LANE_LRANGE, LANE_PFADD, LANE_RPOP, LANE_RPUSH, LANE_SADD, LANE_SET, LANE_SMEMBERS, LANE_SPOP, LANE_ZADD, LANE_ZPOPMAX, LANE_ZPOPMIN, LANE_ZRANGE, LANE_SETBIT, LANE_BITFIELD } from './wasm/abi';

/**
 * The lane ids a run may serve while its frames are propagated as sent (LaneParams.propagated),
 * as a bit mask: Redis propagates these as the client sent them, and each changes the dataset
 * (adds to the dirty count) whenever a lane serves it (a plain SET; INCR... of an integer within
 * range; a push or HSET on an existing value). Not the reads, pops (a missing key changes
 * nothing), SADD, ZADD, PFADD, SETBIT and BITFIELD (they may change nothing) or SPOP
 * (propagated as SREM).
 */
export const VERBATIM_IDS = [LANE_SET, LANE_INCR, LANE_DECR, LANE_INCRBY, LANE_DECRBY, LANE_LPUSH, LANE_RPUSH, LANE_HSET].reduce((m, id) => m | (1 << id), 0);

/** Lane id -> command name (lower case). */
export const LANE_NAMES: Record<number, string> = {
  [LANE_LPUSH]: 'lpush',
  [LANE_RPUSH]: 'rpush',
  [LANE_LPOP]: 'lpop',
  [LANE_RPOP]: 'rpop',
  [LANE_SADD]: 'sadd',
  [LANE_HSET]: 'hset',
  [LANE_SPOP]: 'spop',
  [LANE_GETBIT]: 'getbit',
  [LANE_PFADD]: 'pfadd',
  [LANE_ZADD]: 'zadd',
  [LANE_ZPOPMIN]: 'zpopmin',
  [LANE_ZPOPMAX]: 'zpopmax',
  [LANE_LRANGE]: 'lrange',
  [LANE_ZRANGE]: 'zrange',
  [LANE_SMEMBERS]: 'smembers',
  [LANE_HGETALL]: 'hgetall',
  [LANE_GET]: 'get',
  [LANE_SET]: 'set',
  [LANE_INCR]: 'incr',
  [LANE_DECR]: 'decr',
  [LANE_INCRBY]: 'incrby',
  [LANE_DECRBY]: 'decrby',
  [LANE_SETBIT]: 'setbit',
  [LANE_BITFIELD]: 'bitfield',
};
