/**
 * maxmemory eviction (Redis's evict.c, simplified): before a denyoom command runs over the limit,
 * delete keys chosen by maxmemory-policy until used memory is back under it. Each evicted key is
 * counted, announced (`evicted` keyspace event) and invalidates WATCH, as in Redis.
 *
 * Today every policy samples keys at random (volatile-* only among keys with a TTL); Redis's
 * approximated LRU/LFU with the eviction pool is not implemented yet (docs/compatibility.md).
 */
import type { Server } from './server';

/** Evict until used memory is at most `limit`. Returns false when nothing (more) can be evicted. */
export function evictToLimit(server: Server, limit: number): boolean {
  const policy = server.config.str('maxmemory-policy');
  if (policy === 'noeviction') return false;
  const volatile = policy.startsWith('volatile');
  let guard = 0;
  while (server.usedMemory() > limit && guard++ < 10000) {
    let evicted = false;
    for (const db of server.dbs) {
      if (db.size() === 0 || (volatile && db.expiresSize() === 0)) continue;
      for (let tries = 0; tries < 16; tries++) {
        const key = db.randomKey();
        if (!key) break;
        if (volatile && db.getExpire(key) < 0) continue;
        db.delete(key);
        server.stats.evictedKeys++;
        server.keyspace.notify(db.index, 'evicted', key, 'e');
        server.signalModifiedKey(db.index, key);
        server.propagateDeletion(db.index, key);
        evicted = true;
        break;
      }
      if (evicted) break;
    }
    if (!evicted) return false;
  }
  return server.usedMemory() <= limit;
}
