/**
 * maxmemory eviction (Redis's evict.c): before a denyoom command runs over the limit, delete keys
 * chosen by maxmemory-policy until used memory is back under it. Each evicted key is counted,
 * announced (`evicted` keyspace event), invalidates WATCH and is propagated as DEL, as in Redis.
 *
 * The approximation is Redis's sampling one: each eviction looks at `maxmemory-samples` random
 * keys (per database; for volatile-* policies only keys with a TTL) and evicts the best candidate
 * among them: the least recently used (LRU clock), the least frequently used (LFU counter, then
 * LRU), or the one closest to expiring (TTL). Redis 3.0+ also keeps a 16-entry pool of good
 * candidates across evictions, which makes its choices a little closer to exact LRU; Redust does
 * not have the pool yet (docs/compatibility.md).
 */
import type { Db } from '../engine/types';
import type { Server } from './server';

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

/** Evict until used memory is at most `limit`. Returns false when nothing (more) can be evicted. */
export function evictToLimit(server: Server, limit: number): boolean {
  const policy = server.config.str('maxmemory-policy');
  if (server.pause.isPaused()) return true; // isSafeToPerformEvictions: a fake EVICT_OK while paused
  if (policy === 'noeviction') return false;
  const volatile = policy.startsWith('volatile');
  const kind = kindOf(policy);
  const samples = Math.max(1, server.config.int('maxmemory-samples'));
  let guard = 0;
  while (server.usedMemory() > limit && guard++ < 10000) {
    let best: { db: Db; key: Buffer; score: number } | null = null;
    for (const db of server.dbs) {
      if (db.size() === 0 || (volatile && db.expiresSize() === 0)) continue;
      // Random: the first eligible key; otherwise the best of `samples` (up to 16 tries each).
      const want = kind === Kind.RANDOM ? 1 : samples;
      let found = 0;
      for (let tries = 0; found < want && tries < want * 16; tries++) {
        const key = db.randomKey();
        if (!key) break;
        const info = db.info(key);
        if (info === undefined || (volatile && info.expireAt < 0)) continue;
        found++;
        // Lower is evicted first.
        const score = kind === Kind.LRU ? info.lru : kind === Kind.LFU ? info.freq * 1e15 + info.lru : kind === Kind.TTL ? info.expireAt : 0;
        if (best === null || score < best.score) best = { db, key, score };
      }
      if (kind === Kind.RANDOM && best !== null) break;
    }
    if (best === null) return false;
    const { db, key } = best;
    db.delete(key);
    server.stats.evictedKeys++;
    server.keyspace.notify(db.index, 'evicted', key, 'e');
    server.signalModifiedKey(db.index, key);
    server.propagateDeletion(db.index, key);
  }
  return server.usedMemory() <= limit;
}
