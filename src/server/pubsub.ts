/**
 * Pub/sub registry: channel and pattern subscriptions, and message delivery as RESP2 arrays or
 * RESP3 push frames into each subscriber's reply buffer. Patterns use the engine's glob matcher.
 *
 * Output buffer limits (client-output-buffer-limit, class "pubsub"): after each delivery the
 * subscriber's pending output (reply buffer + bytes queued on the socket) is checked against the
 * hard limit (disconnect at once) and the soft limit (disconnect when exceeded for longer than
 * the soft seconds), as checkClientOutputBufferLimits does.
 */
import type { BulkValue } from '../engine/types';
import { Client, ClientFlag } from './client';
import type { Server } from './server';
import { latin1 } from '../util/number';
import { RespWriter } from '../protocol/reply';
import { setImmediate } from '../util/real-timers';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();
  /** Pattern bytes, kept beside the latin1 names so publishing does not re-encode them. */
  private readonly patternBytes = new Map<string, Buffer>();
  /** When each client first went over the soft limit (unix seconds). */
  private readonly softSince = new WeakMap<Client, number>();
  private limitsText = '';
  private limits = { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 };
  /** Clients disconnected for exceeding the limits (stats). */
  limitDisconnections = 0;
  private readonly frames = new MessageFrames();

  constructor(private readonly server: Server) {}

  /** Update this.limits from the current client-output-buffer-limit setting. */
  private refreshLimits(): void {
    const text = this.server.config.str('client-output-buffer-limit');
    if (text !== this.limitsText) {
      this.limitsText = text;
      const parsed = parsePubsubLimits(text);
      if (parsed) this.limits = parsed;
    }
  }

  /** Deliver to channel subscribers and matching patterns. Returns the receiver count. */
  publish(channel: BulkValue, message: BulkValue): number {
    this.refreshLimits(); // once per message, not per receiver
    let receivers = 0;
    const ch = latin1(channel);
    const subs = this.channels.get(ch);
    if (subs) {
      this.frames.reset('message', null, ch, message);
      for (const c of subs) {
        this.deliver(c);
        receivers++;
      }
    }
    if (this.patterns.size > 0) {
      const chBuf = typeof channel === 'string' ? Buffer.from(ch, 'latin1') : channel;
      for (const [pat, set] of this.patterns) {
        let pb = this.patternBytes.get(pat);
        if (!pb) this.patternBytes.set(pat, (pb = Buffer.from(pat, 'latin1')));
        if (!this.server.engine.globMatch(pb, chBuf, false)) continue;
        this.frames.reset('pmessage', pat, ch, message);
        for (const c of set) {
          this.deliver(c);
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
    this.refreshLimits();
    this.frames.reset('smessage', null, ch, message);
    for (const c of subs) this.deliver(c);
    return subs.size;
  }

  /** Append the current message frame (see MessageFrames) to a subscriber's output. */
  private deliver(c: Client): void {
    if (c.closed) return;
    c.beginPush();
    c.writer.raw(this.frames.get(c.writer.resp));
    c.endPush();
    this.server.net.scheduleFlush(c);
    this.checkOutputLimits(c);
  }

  /**
   * The clients cron's check of a pub/sub client (clientsCron's closeClientOnOutputBufferLimitReached):
   * one left over its soft limit with no more messages coming is closed once soft-seconds pass.
   */
  cronCheckOutputLimits(c: Client): void {
    this.refreshLimits();
    if (!c.closed) this.checkOutputLimits(c);
  }

  /**
   * checkClientOutputBufferLimits + closeClientOnOutputBufferLimitReached for pubsub clients,
   * against this.limits (refreshed by the caller).
   */
  private checkOutputLimits(c: Client): void {
    if (!(c.flags & ClientFlag.PUBSUB) || !c.socket) return;
    const { hard, soft, softSeconds } = this.limits;
    if (hard === 0 && soft === 0) return;
    const used = c.writer.length + c.socket.writableLength;
    let over = hard > 0 && used >= hard;
    if (soft > 0 && used >= soft) {
      const now = Math.floor(this.server.clock.now() / 1000);
      const since = this.softSince.get(c);
      if (since === undefined) this.softSince.set(c, now);
      else if (now - since > softSeconds) over = true;
    } else if (this.softSince.has(c)) this.softSince.delete(c);
    if (!over) return;
    this.limitDisconnections++;
    this.server.logger.warn({ client: c.addr }, 'Client scheduled to be closed ASAP for overcoming of output buffer limits.');
    // freeClientAsync: stop delivering now, drop the unsent output, free outside the publish loop.
    c.closed = true;
    c.writer.truncate(0);
    c.socket.destroy();
    setImmediate(() => this.server.net.freeClient(c));
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
      if (set.size === 0) {
        reg.delete(name);
        if (kind === 'pattern') this.patternBytes.delete(name);
      }
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

/**
 * The pubsub class of a client-output-buffer-limit value ("<class> <hard> <soft> <seconds>"...),
 * or null when absent or malformed. Sizes accept Redis memory units (1mb, 512kb...).
 */
export function parsePubsubLimits(text: string): { hard: number; soft: number; softSeconds: number } | null {
  const parts = text.trim().split(/\s+/);
  let found: { hard: number; soft: number; softSeconds: number } | null = null;
  for (let i = 0; i + 3 < parts.length; i += 4) {
    if (parts[i].toLowerCase() !== 'pubsub') continue;
    const hard = memToBytes(parts[i + 1]);
    const soft = memToBytes(parts[i + 2]);
    const secs = Number(parts[i + 3]);
    if (hard === null || soft === null || !Number.isInteger(secs) || secs < 0) return null;
    found = { hard, soft, softSeconds: secs };
  }
  return found;
}

function memToBytes(s: string): number | null {
  const m = /^(\d+)([a-zA-Z]*)$/.exec(s);
  if (!m) return null;
  const unit = ({ '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: 1024 * 1024, g: 1e9, gb: 1024 * 1024 * 1024 } as Record<string, number>)[m[2].toLowerCase()];
  return unit === undefined ? null : Number(m[1]) * unit;
}

/**
 * The frame of the message being delivered, encoded once per protocol and copied into each
 * subscriber's output (Redis shares one reply object among the receivers for the same reason):
 * with many subscribers, encoding per receiver was most of PUBLISH's cost. Valid until the next
 * reset().
 */
class MessageFrames {
  private w2 = new RespWriter(256);
  private w3 = new RespWriter(256);
  private frame2: Buffer | null = null;
  private frame3: Buffer | null = null;
  private kind = '';
  private pattern: string | null = null;
  private channel = '';
  private message: BulkValue = '';

  reset(kind: string, pattern: string | null, channel: string, message: BulkValue): void {
    this.kind = kind;
    this.pattern = pattern;
    this.channel = channel;
    this.message = message;
    this.frame2 = this.frame3 = null;
    // Do not keep the buffer of one huge message for the life of the server.
    if (this.w2.buf.length > 65536) this.w2 = new RespWriter(256);
    if (this.w3.buf.length > 65536) this.w3 = new RespWriter(256);
  }

  get(resp: 2 | 3): Buffer {
    const f = resp === 3 ? this.frame3 : this.frame2;
    return f ?? this.encode(resp);
  }

  private encode(resp: 2 | 3): Buffer {
    const w = resp === 3 ? this.w3 : this.w2;
    w.resp = resp;
    w.truncate(0);
    w.push(this.pattern === null ? 3 : 4);
    w.bulk(this.kind);
    if (this.pattern !== null) w.bulk(this.pattern);
    w.bulk(this.channel);
    w.bulk(this.message);
    const f = w.buf.subarray(0, w.pos);
    if (resp === 3) this.frame3 = f;
    else this.frame2 = f;
    return f;
  }
}
