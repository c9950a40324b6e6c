/**
 * Pub/sub registry: channel and pattern subscriptions, and message delivery as RESP2 arrays or
 * RESP3 push frames into each subscriber's reply buffer. Patterns use the engine's glob matcher.
 */
import type { BulkValue } from '../engine/types';
import { Client, ClientFlag } from './client';
import type { Server } from './server';
import { latin1 } from '../util/number';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  constructor(private readonly server: Server) {}

  /** Deliver to channel subscribers and matching patterns. Returns the receiver count. */
  publish(channel: BulkValue, message: BulkValue): number {
    let receivers = 0;
    const ch = latin1(channel);
    const subs = this.channels.get(ch);
    if (subs) {
      for (const c of subs) {
        this.deliver(c, 'message', null, ch, message);
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      const chBuf = Buffer.from(ch, 'latin1');
      for (const [pat, set] of this.patterns) {
        if (!this.server.engine.globMatch(Buffer.from(pat, 'latin1'), chBuf, false)) continue;
        for (const c of set) {
          this.deliver(c, 'pmessage', pat, ch, message);
          receivers++;
        }
      }
    }
    return receivers;
  }

  /** Shard-channel publish (SPUBLISH): exact channel match only. */
  spublish(channel: BulkValue, message: BulkValue): number {
    const ch = latin1(channel);
    const subs = this.shardChannels.get(ch);
    if (!subs) return 0;
    for (const c of subs) this.deliver(c, 'smessage', null, ch, message);
    return subs.size;
  }

  private deliver(c: Client, kind: string, pattern: string | null, channel: string, message: BulkValue): void {
    if (c.closed) return;
    const w = c.writer;
    w.push(pattern === null ? 3 : 4);
    w.bulk(kind);
    if (pattern !== null) w.bulk(pattern);
    w.bulk(channel);
    w.bulk(message);
    this.server.scheduleFlush(c);
  }

  private registry(kind: 'channel' | 'pattern' | 'shard'): Map<string, Set<Client>> {
    return kind === 'channel' ? this.channels : kind === 'pattern' ? this.patterns : this.shardChannels;
  }

  /** Add a subscription; returns false when it already existed. */
  add(c: Client, kind: 'channel' | 'pattern' | 'shard', name: string): boolean {
    const own = kind === 'channel' ? (c.channels ??= new Set()) : kind === 'pattern' ? (c.patterns ??= new Set()) : (c.shardChannels ??= new Set());
    if (own.has(name)) return false;
    own.add(name);
    const reg = this.registry(kind);
    let set = reg.get(name);
    if (!set) reg.set(name, (set = new Set()));
    set.add(c);
    c.flags |= ClientFlag.PUBSUB;
    return true;
  }

  /** Remove a subscription; returns false when it did not exist. */
  remove(c: Client, kind: 'channel' | 'pattern' | 'shard', name: string): boolean {
    const own = kind === 'channel' ? c.channels : kind === 'pattern' ? c.patterns : c.shardChannels;
    if (!own || !own.delete(name)) return false;
    const reg = this.registry(kind);
    const set = reg.get(name);
    if (set) {
      set.delete(c);
      if (set.size === 0) reg.delete(name);
    }
    if (c.subscriptionCount() === 0) c.flags &= ~ClientFlag.PUBSUB;
    return true;
  }

  unsubscribeAll(c: Client): void {
    for (const ch of c.channels ?? []) this.remove(c, 'channel', ch);
    for (const p of c.patterns ?? []) this.remove(c, 'pattern', p);
    for (const s of c.shardChannels ?? []) this.remove(c, 'shard', s);
  }
}
