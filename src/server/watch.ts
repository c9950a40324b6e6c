/**
 * WATCH (Redis's multi.c watched_keys): which clients watch which keys, and marking them dirty
 * (CLIENT_DIRTY_CAS) when a watched key is modified, so their EXEC fails.
 *
 * Invariants: a key id ("db\0latin1key") is in `byKey` exactly while at least one client watches
 * it, and a client's `watched` set names exactly the ids it is registered under.
 */
import type { BulkValue } from '../engine/types';
import type { Client } from './client';
import { ClientFlag } from './client';
import { latin1 } from '../util/number';

/** A key as WATCH sees it (Server.keyState): absent, present, or present with its TTL passed. */
export type KeyState = 'missing' | 'live' | 'expired';

export class WatchRegistry {
  /** "db\0key" -> clients watching it. */
  private readonly byKey = new Map<string, Set<Client>>();

  /** Keys some client watches (the fast lane runs only while there are none: src/server/lane.ts). */
  get keyCount(): number {
    return this.byKey.size;
  }

  /**
   * touchWatchedKey: every client watching the key will fail its EXEC -- except one that watched
   * it already expired, when the change is its deletion (`exists` false): logically no change, and
   * from then on the key counts as not expired when watched (Redis clears wk->expired). When the
   * key is there again (RESTORE REPLACE deleted the expired key without reclaiming it, then added
   * one), Redis 7.0's loop `break`s at such a client: neither it nor the clients after it (in
   * WATCH order) are flagged. Kept as is: EXEC's answer shows it.
   */
  touchKey(dbIndex: number, key: BulkValue, exists: (dbIndex: number, key: BulkValue) => boolean): void {
    if (this.byKey.size === 0) return;
    const id = dbIndex + '\0' + latin1(key);
    const set = this.byKey.get(id);
    if (!set) return;
    for (const c of set) {
      if (c.watchedExpired?.has(id)) {
        if (exists(dbIndex, key)) break;
        c.watchedExpired.delete(id);
        continue;
      }
      c.flags |= ClientFlag.DIRTY_CAS;
    }
  }

  /**
   * touchAllWatchedKeysInDb (FLUSHDB, FLUSHALL, SWAPDB): db `dbIndex` is emptied (`emptied`: a
   * watched key's state in it) and, for SWAPDB, replaced by another db's contents (`replacedWith`:
   * the key's state there). A watch is invalidated when its key exists in either, except as Redis
   * 7.0 keeps apart the logically expired keys: a watch that saw its key expired is cleared
   * (not invalidated) when the key goes and nothing replaces it, and kept when an expired key
   * replaces it; a watch on a missing key that an expired key replaces becomes such a watch.
   * The states are read without reclaiming anything (Server.keyState).
   */
  touchAllInDb(dbIndex: number, emptied: (key: Buffer) => KeyState, replacedWith?: (key: Buffer) => KeyState): void {
    if (this.byKey.size === 0) return;
    const prefix = dbIndex + '\0';
    for (const [id, set] of this.byKey) {
      if (!id.startsWith(prefix)) continue;
      const key = Buffer.from(id.slice(prefix.length), 'latin1');
      const existsInEmptied = emptied(key) !== 'missing';
      const replaced = replacedWith === undefined ? 'missing' : replacedWith(key);
      if (!existsInEmptied && replaced === 'missing') continue;
      for (const c of set) {
        if (c.watchedExpired?.has(id)) {
          if (replaced === 'missing') {
            c.watchedExpired.delete(id);
            continue;
          }
          if (replaced === 'expired') continue;
        } else if (!existsInEmptied && replaced === 'expired') {
          (c.watchedExpired ??= new Set()).add(id);
          continue;
        }
        c.flags |= ClientFlag.DIRTY_CAS;
      }
    }
  }

  /** watchForKey; `expired`: the key's TTL has passed already (not reclaimed: no event). */
  watch(c: Client, key: Buffer, expired: boolean): void {
    const id = c.dbIndex + '\0' + latin1(key);
    c.watched ??= new Set();
    if (c.watched.has(id)) return;
    c.watched.add(id);
    if (expired) (c.watchedExpired ??= new Set()).add(id);
    let set = this.byKey.get(id);
    if (!set) this.byKey.set(id, (set = new Set()));
    set.add(c);
  }

  unwatchAll(c: Client): void {
    if (!c.watched) return;
    for (const id of c.watched) {
      const set = this.byKey.get(id);
      if (set) {
        set.delete(c);
        if (set.size === 0) this.byKey.delete(id);
      }
    }
    c.watched = null;
    c.watchedExpired = null;
    c.flags &= ~ClientFlag.DIRTY_CAS;
  }
}
