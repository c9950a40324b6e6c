/**
 * Blocked clients (blocked.c): BLPOP, BLMOVE, BZPOPMIN, XREAD BLOCK... wait on keys.
 *
 * Invariants:
 * - A blocked client is in `byKey` under every key it waits on, in arrival order (FIFO fairness).
 * - A write that may serve waiters calls `signalKeyAsReady`; the dispatcher calls
 *   `handleReadyKeys` after the outermost command (so MULTI/EXEC and Lua wake clients once, at the end).
 * - A blocked client's further input stays buffered until it is unblocked, then is processed.
 */
import type { BulkValue } from '../engine/types';
import { Client, ClientFlag } from './client';
import type { Server } from './server';
import { latin1 } from '../util/number';
import { setImmediate, setTimeout, clearTimeout, performance } from '../util/real-timers';

export interface BlockSpec {
  /** Keys to wait on (in the client's current db). */
  keys: BulkValue[];
  /** Timeout in ms; 0 waits forever. */
  timeoutMs: number;
  /**
   * Try to serve the client (write its reply). Return true when served. `readyKey` is the key
   * whose signal triggered this attempt (Redis serves from the key signalled first).
   */
  tryServe(readyKey?: Buffer): boolean;
  /** Write the timeout reply (null array for list pops, etc.). */
  onTimeout(): void;
  /**
   * Also try to serve the client when a key it waits on is deleted or replaced (streams: XREADGROUP
   * then answers an error, and both XREAD and XREADGROUP read a stream that replaced theirs:
   * Redis's signalDeletedKeyAsReady).
   */
  wakeOnDelete?: boolean;
  /**
   * With wakeOnDelete: whether the key's value was deleted or replaced since the client last
   * looked. The deletion signal comes with every modification of the key (signalModifiedKey);
   * one that changed the value in place (XDEL, XTRIM, XSETID...) serves nobody, as in Redis,
   * whose signal comes only from a deletion or an overwrite.
   */
  replaced?(key: Buffer): boolean;
}

/**
 * The order in which a client blocked on `keys` tries them when `ready` was signalled: the ready
 * key first (Redis serves a client from the key that became ready), then the others in order.
 */
export function readyOrder(keys: readonly Buffer[], ready?: Buffer): number[] {
  const order = keys.map((_, i) => i);
  if (!ready) return order;
  const i = keys.findIndex((k) => k.equals(ready));
  if (i > 0) {
    order.splice(i, 1);
    order.unshift(i);
  }
  return order;
}

export class Blocking {
  private readonly byKey = new Map<string, Client[]>();
  /**
   * Keys signalled since the last handleReadyKeys, in signal order: true for a key that may hold
   * data now (signalKeyAsReady), false for one only modified, perhaps deleted or replaced
   * (signalDeletedKeyAsReady).
   */
  private ready = new Map<string, boolean>();
  private readonly specs = new Map<Client, { spec: BlockSpec; ids: string[]; timer: NodeJS.Timeout | null; deadline: number }>();
  /** Blocked clients whose spec has wakeOnDelete (deletions are signalled only while there are some). */
  private deleteWaiters = 0;

  constructor(private readonly server: Server) {}

  get blockedCount(): number {
    return this.specs.size;
  }

  /** INFO clients_in_timeout_table: the blocked clients with a timeout (Redis's clients_timeout_table). */
  get withTimeout(): number {
    let n = 0;
    for (const e of this.specs.values()) if (e.deadline > 0) n++;
    return n;
  }

  /** Number of keys with at least one waiter (INFO blocked_keys... not in 7.0, kept for debugging). */
  get keyCount(): number {
    return this.byKey.size;
  }

  block(c: Client, spec: BlockSpec): void {
    const ids = spec.keys.map((k) => c.dbIndex + '\0' + latin1(k));
    for (const id of ids) {
      let list = this.byKey.get(id);
      if (!list) this.byKey.set(id, (list = []));
      if (!list.includes(c)) list.push(c);
    }
    c.flags |= ClientFlag.BLOCKED;
    if (spec.wakeOnDelete) this.deleteWaiters++;
    const deadline = spec.timeoutMs > 0 ? this.server.clock.now() + spec.timeoutMs : 0;
    this.specs.set(c, { spec, ids, timer: null, deadline });
    if (spec.timeoutMs > 0) this.arm(c, spec.timeoutMs);
  }

  /** setTimeout caps at 2^31-1 ms (~24.8 days): longer timeouts re-arm until the deadline. */
  private arm(c: Client, ms: number): void {
    const entry = this.specs.get(c);
    if (!entry) return;
    const MAX = 2147483647;
    entry.timer = setTimeout(() => {
      if (ms > MAX) this.arm(c, ms - MAX);
      else this.timeout(c);
    }, Math.min(ms, MAX));
  }

  isBlocked(c: Client): boolean {
    return this.specs.has(c);
  }

  signalKeyAsReady(dbIndex: number, key: BulkValue): void {
    if (this.byKey.size === 0) return;
    const id = dbIndex + '\0' + latin1(key);
    if (this.byKey.has(id)) this.ready.set(id, true);
  }

  /**
   * signalDeletedKeyAsReady: the key was modified, possibly deleted or replaced. Only clients with
   * wakeOnDelete care, so this costs nothing while there are none.
   */
  signalDeletedKeyAsReady(dbIndex: number, key: BulkValue): void {
    if (this.deleteWaiters === 0) return;
    const id = dbIndex + '\0' + latin1(key);
    if (this.byKey.has(id) && !this.ready.has(id)) this.ready.set(id, false);
  }

  /** FLUSHDB/FLUSHALL (scanDatabaseForDeletedStreams): every key of the db was deleted. */
  signalDeletedKeysInDb(dbIndex: number): void {
    if (this.deleteWaiters > 0) this.signalAllKeysInDbs([dbIndex]);
  }

  /** After SWAPDB: every key someone waits on in these dbs may now hold data. */
  signalAllKeysInDbs(dbs: number[]): void {
    for (const id of this.byKey.keys()) {
      if (dbs.includes(Number(id.slice(0, id.indexOf('\0'))))) this.ready.set(id, true);
    }
  }

  hasReadyKeys(): boolean {
    return this.ready.size > 0;
  }

  /** Serve clients waiting on keys that became ready, FIFO per key, until none can be served. */
  handleReadyKeys(): void {
    let guard = 0;
    while (this.ready.size > 0 && guard++ < 1_000_000) {
      const batch = this.ready;
      this.ready = new Map();
      for (const [id, mayHoldData] of batch) {
        const waiters = this.byKey.get(id);
        if (!waiters) continue;
        const key = Buffer.from(id.slice(id.indexOf('\0') + 1), 'latin1');
        for (const c of [...waiters]) {
          const entry = this.specs.get(c);
          if (!entry) continue;
          if (!mayHoldData && !(entry.spec.wakeOnDelete && (entry.spec.replaced?.(key) ?? true))) continue;
          let served: boolean;
          const errorsBefore = this.server.stats.totalErrorReplies;
          const t0 = performance.now();
          // The served client is the current one while its command completes (Redis sets
          // server.current_client to the receiver): the tracking invalidations its command causes
          // for itself wait until its reply is written (afterCommand(receiver)).
          const dispatcher = this.server.dispatcher;
          const prevOuter = dispatcher.outerClient;
          dispatcher.outerClient = c;
          dispatcher.execDepth++;
          try {
            try {
              served = entry.spec.tryServe(key);
            } finally {
              dispatcher.execDepth--;
            }
            if (served) {
              dispatcher.statsOnUnblock(c, Math.floor((performance.now() - t0) * 1000), this.server.stats.totalErrorReplies !== errorsBefore);
              this.unblock(c, true);
              if (this.server.tracking.active) this.server.tracking.afterCommand(c);
            }
          } finally {
            dispatcher.outerClient = prevOuter;
          }
        }
      }
    }
  }

  /** Remove the client from the registry. With `resume`, process its buffered input. */
  unblock(c: Client, resume: boolean): void {
    const entry = this.specs.get(c);
    if (!entry) return;
    this.specs.delete(c);
    if (entry.spec.wakeOnDelete) this.deleteWaiters--;
    if (entry.timer) clearTimeout(entry.timer);
    for (const id of entry.ids) {
      const list = this.byKey.get(id);
      if (!list) continue;
      const i = list.indexOf(c);
      if (i !== -1) list.splice(i, 1);
      if (list.length === 0) this.byKey.delete(id);
    }
    c.flags &= ~ClientFlag.BLOCKED;
    if (resume && !c.closed) {
      this.server.net.scheduleFlush(c);
      // Commands the client pipelined after the blocking one run now.
      if (c.parser.pendingBytes() > 0) setImmediate(() => {
        if (!c.closed && !c.has(ClientFlag.BLOCKED)) {
          this.server.net.processInput(c, EMPTY);
          this.server.net.scheduleFlush(c);
        }
      });
    }
  }

  private timeout(c: Client): void {
    const entry = this.specs.get(c);
    if (!entry) return;
    // A busy script yielded to the event loop: Redis handles blocked clients' timeouts in
    // beforeSleep, which it skips while processing events during a script, so the timeout
    // is answered once the script is over (unless the client was served or left meanwhile).
    if (this.server.busyScript !== null) {
      this.server.afterScript.push(() => this.timeout(c));
      return;
    }
    entry.spec.onTimeout();
    this.unblock(c, true);
  }

  /** CLIENT UNBLOCK: reply as on timeout, or with an error. */
  clientUnblock(c: Client, withError: boolean): boolean {
    const entry = this.specs.get(c);
    if (!entry) return false;
    if (withError) c.writer.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    else entry.spec.onTimeout();
    this.unblock(c, true);
    // (Redis 7.0 books CLIENT UNBLOCK as a failed call of the blocked command, with or without ERROR.)
    this.server.dispatcher.statsOnUnblock(c, 0, true);
    return true;
  }

  unblockOnDisconnect(c: Client): void {
    this.unblock(c, false);
  }

  clear(): void {
    for (const c of [...this.specs.keys()]) this.unblock(c, false);
  }
}

const EMPTY = Buffer.alloc(0);
