/**
 * Client eviction (maxmemory-clients, Redis 7.0's evictClients and client memory-usage buckets in
 * server.c / networking.c): when the clients together use at least the limit, the biggest are
 * disconnected until they use less.
 *
 * - The limit: maxmemory-clients in bytes, or a percentage of maxmemory ("5%"; none while
 *   maxmemory is 0); 0 turns eviction off; a limit below 128 KB is raised to 128 KB so that an
 *   administrator can still connect (getClientEvictionLimit).
 * - A client's figure is tot-mem (client-info.ts clientMemoryUsage), counted again when something
 *   changes its buffers: after each of its commands and reads, after its output is written, when
 *   it gets CLIENT NO-EVICT, and for every client from the cron (updateClientMemUsageAndBucket).
 *   `total` is the sum over all clients, those that may not be evicted included, as Redis's
 *   stat_clients_type_memory for normal and pub/sub clients.
 * - Buckets: an evictable client sits in bucket log2(tot-mem), clamped to 2^15..2^33 bytes (an
 *   entered-at sequence number stands for its place in the bucket's list); CLIENT NO-EVICT clients
 *   are in none. Eviction takes the bucket of the largest clients first and, within it, the client
 *   that entered it first, as Redis's list walk does, and logs it as Redis does.
 * - When: before each command runs (processCommand: a client that evicted itself does not run
 *   its command) and at the end of each event-loop turn after the replies are written (beforeSleep),
 *   so a client closed by its output-buffer limit is gone first and is not counted.
 *
 * Cost: while maxmemory-clients is 0, one field test per command and per flush. With a limit, a figure
 * per command (O(1): the MULTI queue is counted incrementally) and, when over the limit, a scan
 * of the clients per evicted client.
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { clientInfoLine, clientMemoryUsage } from './client-info';
import { parseMemory } from '../config/config';

const BUCKET_MIN_LOG = 15;
const BUCKET_MAX_LOG = 33;
/** CLIENT_MEM_USAGE_BUCKETS. */
export const CLIENT_MEM_USAGE_BUCKETS = 1 + BUCKET_MAX_LOG - BUCKET_MIN_LOG;
/** The smallest limit getClientEvictionLimit allows. */
const MIN_LIMIT = 128 * 1024;

/** getMemUsageBucket: the bits of mem, clamped, as a bucket index. */
function bucketOf(mem: number): number {
  const bits = mem > 0 ? Math.floor(Math.log2(mem)) + 1 : 0;
  return Math.min(Math.max(bits, BUCKET_MIN_LOG), BUCKET_MAX_LOG) - BUCKET_MIN_LOG;
}

export class ClientEviction {
  /**
   * maxmemory-clients is not 0: clients are counted and bucketed (a percentage while maxmemory is
   * 0 counts them too, but sets no limit).
   */
  enabled = false;
  /** The limit in bytes (0: no eviction). */
  limit = 0;
  /** tot-mem of every client, as last counted. */
  total = 0;
  /** INFO evicted_clients. */
  evicted = 0;
  private seq = 0;

  constructor(private readonly server: Server) {}

  /**
   * Re-read maxmemory-clients and maxmemory (start-up, CONFIG SET of either). Turning eviction on
   * counts every client; turning it off forgets the figures. Eviction itself waits for the next
   * command or the end of the turn, as in Redis.
   */
  refresh(): void {
    const v = this.server.config.str('maxmemory-clients');
    const enabled = !/^0+%?$/.test(v);
    this.limit = enabled ? this.limitOf(v) : 0;
    if (enabled === this.enabled) return;
    this.enabled = enabled;
    for (const c of this.server.clients.values()) {
      if (enabled) this.update(c);
      else this.forget(c);
    }
  }

  /** getClientEvictionLimit. */
  private limitOf(v: string): number {
    let limit: number;
    if (v.endsWith('%')) {
      const maxmemory = this.server.config.hot.maxmemory;
      if (maxmemory <= 0) return 0;
      limit = Math.floor((maxmemory * Number(v.slice(0, -1))) / 100);
    } else limit = parseMemory(v) || 0;
    if (limit <= 0) return 0;
    return Math.max(limit, MIN_LIMIT);
  }

  /** updateClientMemUsageAndBucket: count `c` again (a closed client is forgotten). */
  update(c: Client): void {
    if (c.closed) {
      this.forget(c);
      return;
    }
    const mem = clientMemoryUsage(c);
    this.total += mem - c.memUsage;
    c.memUsage = mem;
    const bucket = (c.flags & ClientFlag.NO_EVICT) !== 0 ? -1 : bucketOf(mem);
    if (bucket !== c.memBucket) {
      c.memBucket = bucket;
      c.memBucketSeq = ++this.seq;
    }
  }

  /** `c` is gone (or eviction is off): its figure no longer counts. */
  forget(c: Client): void {
    this.total -= c.memUsage;
    c.memUsage = 0;
    c.memBucket = -1;
  }

  /** evictClients: disconnect the largest clients while the clients use at least the limit. */
  evict(): void {
    if (this.limit === 0 || this.total < this.limit) return;
    const server = this.server;
    while (this.total >= this.limit) {
      let victim: Client | null = null;
      for (const c of server.clients.values()) {
        if (c.memBucket < 0 || c.closed) continue;
        if (victim === null || c.memBucket > victim.memBucket || (c.memBucket === victim.memBucket && c.memBucketSeq < victim.memBucketSeq)) victim = c;
      }
      if (victim === null) {
        server.logger.warn('Over client maxmemory after evicting all evictable clients');
        return;
      }
      server.logger.info(`Evicting client: ${clientInfoLine(victim)}`);
      this.evicted++;
      server.net.freeClient(victim, false);
    }
  }

  /** DEBUG CLIENT-EVICTION: each bucket's range, clients and their memory. */
  report(): string {
    const sums = new Array<number>(CLIENT_MEM_USAGE_BUCKETS).fill(0);
    const counts = new Array<number>(CLIENT_MEM_USAGE_BUCKETS).fill(0);
    for (const c of this.server.clients.values()) {
      if (c.memBucket < 0) continue;
      sums[c.memBucket] += c.memUsage;
      counts[c.memBucket]++;
    }
    let out = '';
    for (let j = 0; j < CLIENT_MEM_USAGE_BUCKETS; j++) {
      out += j === 0 ? 'bucket          0' : `bucket ${String(2 ** (j - 1 + BUCKET_MIN_LOG)).padStart(10)}`;
      out += j === CLIENT_MEM_USAGE_BUCKETS - 1 ? '+            : ' : ` - ${String(2 ** (j + BUCKET_MIN_LOG) - 1).padStart(10)}: `;
      out += `tot-mem: ${String(sums[j]).padStart(10)}, clients: ${counts[j]}\n`;
    }
    return out;
  }
}
