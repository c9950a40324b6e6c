/**
 * maxmemory eviction (Redis's evict.c): before a denyoom command runs over the limit, delete keys
 * chosen by maxmemory-policy until used memory is back under it. Each evicted key is counted,
 * announced (`evicted` keyspace event), invalidates WATCH and is propagated as DEL, as in Redis.
 *
 * The approximation is Redis's: for the LRU, LFU and TTL policies each eviction samples
 * `maxmemory-samples` random keys per database (for volatile-* policies keys with a TTL: Db.randomVolatileKey)
 * into a 16-entry pool of candidates kept across evictions, sorted by "idle" score (time since
 * last access, 255 - LFU counter then time since access, or the nearness of the expire time),
 * and evicts the best entry
 * that still exists (evictionPoolPopulate / performEvictions). The random policies take a random
 * key (with a TTL for volatile-random) of the next db that has one, the dbs taken in turn.
 *
 * Invariants: the pool is sorted ascending by idle, empty slots at the end; an entry may be a
 * ghost (the key was deleted since): it is dropped when reached.
 */
import { lfuDecayed } from '../engine/lfu';
import type { Db } from '../engine/types';
import type { Server } from './server';
import { setImmediate, performance } from '../util/real-timers';

const EVPOOL_SIZE = 16;

interface PoolEntry {
  idle: number;
  key: Buffer;
  db: number;
}

/** One pool per server (Redis's static EvictionPoolLRU). */
const pools = new WeakMap<Server, (PoolEntry | null)[]>();

/** evictionPoolPopulate: insert `candidate` keeping the EVPOOL_SIZE best (highest idle) entries. */
function poolInsert(pool: (PoolEntry | null)[], e: PoolEntry): void {
  let k = 0;
  while (k < EVPOOL_SIZE && pool[k] !== null && pool[k]!.idle < e.idle) k++;
  if (k === 0 && pool[EVPOOL_SIZE - 1] !== null) return; // worse than everything in a full pool
  if (k < EVPOOL_SIZE && pool[k] === null) {
    // empty slot
  } else if (pool[EVPOOL_SIZE - 1] === null) {
    pool.splice(k, 0, e);
    pool.length = EVPOOL_SIZE;
    return;
  } else {
    // No room on the right: drop the smallest (leftmost) and insert at k-1.
    k--;
    pool.splice(0, 1);
    pool.splice(k, 0, e);
    return;
  }
  pool[k] = e;
}

const enum Kind {
  RANDOM,
  LRU,
  LFU,
  TTL,
}

function kindOf(policy: string): Kind {
  if (policy.endsWith('-lru')) return Kind.LRU;
  if (policy.endsWith('-lfu')) return Kind.LFU;
  if (policy === 'volatile-ttl') return Kind.TTL;
  return Kind.RANDOM;
}

/**
 * evictionTimeLimitUs: how long one eviction call may run, from maxmemory-eviction-tenacity:
 * 0-10 a linear 0-500 µs, then 15% more per step (~2 min at 99), 100 unlimited.
 */
export function evictionTimeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity < 100) return (500 * Math.pow(1.15, tenacity - 10)) / 1000;
  return Infinity;
}

/** Servers with an eviction continuing between commands (Redis's evictionTimeProc). */
const continuing = new WeakSet<Server>();

/**
 * evictionTimeProc: the eviction that ran out of time goes on at the next turn of the event
 * loop, until memory is under maxmemory again (or nothing can be evicted).
 */
function continueLater(server: Server): void {
  if (continuing.has(server)) return;
  continuing.add(server);
  const step = () => {
    continuing.delete(server);
    const limit = server.config.hot.maxmemory;
    if (server.closing || limit <= 0 || server.usedMemory() <= limit || server.busyScript !== null) return;
    evictToLimit(server, limit); // (schedules itself again when it runs out of time)
    server.propagation.flushPending();
  };
  setImmediate(step);
}

/**
 * performEvictions: evict until used memory is at most `limit`. Returns false when nothing (more)
 * can be evicted (EVICT_FAIL: the command gets OOM). When the call runs past its time limit
 * (maxmemory-eviction-tenacity) it returns true and the eviction goes on between commands
 * (EVICT_RUNNING: the command runs, as in Redis).
 */
export function evictToLimit(server: Server, limit: number): boolean {
  const policy = server.config.str('maxmemory-policy');
  // isSafeToPerformEvictions: a fake EVICT_OK while paused or while a script is busy
  if (server.pause.isPaused() || server.busyScript !== null) return true;
  if (policy === 'noeviction') {
    // Nothing may be evicted, but what is already deleted still comes back (Engine.reclaimStep).
    const until = performance.now() + evictionTimeLimitMs(server.config.int('maxmemory-eviction-tenacity'));
    while (server.usedMemory() > limit && server.engine.reclaimStep() && performance.now() < until) {
      /* one step of deferred frees */
    }
    return server.usedMemory() <= limit;
  }
  const volatile = policy.startsWith('volatile');
  const kind = kindOf(policy);
  const samples = Math.max(1, server.config.int('maxmemory-samples'));
  const timeLimit = evictionTimeLimitMs(server.config.int('maxmemory-eviction-tenacity'));
  const start = performance.now();
  let keysFreed = 0;
  let steps = 0;
  while (server.usedMemory() > limit && keysFreed < 10000) {
    // (Redis checks the clock every 16 keys)
    if ((++steps & 15) === 0 && performance.now() - start > timeLimit) {
      continueLater(server);
      return true;
    }
    // The memory of values already deleted comes back first (Engine.reclaimStep).
    if (server.engine.reclaimStep()) continue;
    keysFreed++;
    if (kind !== Kind.RANDOM) {
      const picked = poolPick(server, kind, volatile, samples);
      if (picked === null) return false;
      evictKey(server, picked.db, picked.key);
      continue;
    }
    // Random policies: a random key of the first db that has one (with a TTL: volatile-random),
    // as Redis's dictGetRandomKey over the db's dict or its expires dict.
    let best: { db: Db; key: Buffer } | null = null;
    for (let i = 0; i < server.dbs.length; i++) {
      const db = server.dbs[(++nextDb >>> 0) % server.dbs.length];
      if (db.size() === 0 || (volatile && db.expiresSize() === 0)) continue;
      const key = volatile ? db.randomVolatileKey() : db.randomKey();
      if (key !== null) {
        best = { db, key };
        break;
      }
    }
    if (best === null) return false;
    evictKey(server, best.db, best.key);
  }
  return server.usedMemory() <= limit;
}

/** performEvictions' static next_db: where the random policies' next look starts. */
let nextDb = 0;

function evictKey(server: Server, db: Db, key: Buffer): void {
  db.delete(key);
  server.stats.evictedKeys++;
  server.keyspace.notify(db.index, 'evicted', key, 'e');
  server.signalModifiedKey(db.index, key);
  server.propagateDeletion(db.index, key, server.config.bool('lazyfree-lazy-eviction'));
}

/** performEvictions for the pool policies: populate from every db, then take the best live entry. */
function poolPick(server: Server, kind: Kind, volatile: boolean, samples: number): { db: Db; key: Buffer } | null {
  let pool = pools.get(server);
  if (pool === undefined) pools.set(server, (pool = new Array<PoolEntry | null>(EVPOOL_SIZE).fill(null)));
  const now = server.clock.now();
  const decayTime = server.config.int('lfu-decay-time');
  for (let round = 0; round < 1000; round++) {
    let total = 0;
    for (const db of server.dbs) {
      const n = volatile ? db.expiresSize() : db.size();
      if (n === 0) continue;
      total += n;
      // maxmemory-samples keys of the db (volatile-*: of those with a TTL, Redis's sampledict),
      // at most as many as it has (dictGetSomeKeys's count is capped at the dict's size).
      for (let i = 0, take = Math.min(samples, n); i < take; i++) {
        const key = volatile ? db.randomVolatileKey() : db.randomKey();
        if (!key) break;
        const info = db.info(key);
        if (info === undefined) continue;
        // LFU: 255 - the decayed counter as Redis (LFUDecrAndReturn), idle time breaking ties.
        const idle = kind === Kind.LRU ? now - info.lru : kind === Kind.LFU ? (255 - lfuDecayed(info.freq, info.lru, now, decayTime)) * 1e13 + (now - info.lru) : -info.expireAt;
        poolInsert(pool, { idle, key, db: db.index });
      }
    }
    if (total === 0) return null;
    for (let k = EVPOOL_SIZE - 1; k >= 0; k--) {
      const e = pool[k];
      if (e === null) continue;
      pool.splice(k, 1);
      pool.push(null);
      const db = server.dbs[e.db];
      const info = db.info(e.key);
      if (info !== undefined && (!volatile || info.expireAt >= 0)) return { db, key: e.key };
      // a ghost: try the next best
    }
  }
  return null;
}
