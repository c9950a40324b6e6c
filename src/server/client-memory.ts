/**
 * Client buffers in used_memory, as Redis's zmalloc counts them, so that maxmemory evicts keys
 * for them too (Redis's freeMemoryGetNotCountedMemory leaves out only replica and AOF buffers):
 * - output queued in a client's socket, what the kernel has not taken yet (Node's writable
 *   queue: Redis's reply list). A client joins `queued` when a write of it is queued (Redust
 *   writes synchronously while the socket takes it, see networking.ts writeOut); the sum is taken
 *   when used_memory is read, and a client whose queue is empty leaves the set then. The set
 *   holds only backed-up clients (and TLS clients for a turn), so reading it is cheap.
 * - query buffers: a running total of each client's unparsed bytes and the arguments of its
 *   partly received command, updated after each read is parsed (queryUpdated).
 */
import type { Client } from './client';

export class ClientMemory {
  private readonly queued = new Set<Client>();
  private queryBytes = 0;

  /** A write of `c` was queued in its socket. */
  outputQueued(c: Client): void {
    this.queued.add(c);
  }

  /** `c`'s query buffer now holds `bytes`. */
  queryUpdated(c: Client, bytes: number): void {
    this.queryBytes += bytes - c.queryBytesCounted;
    c.queryBytesCounted = bytes;
  }

  /** `c` is gone: its buffers no longer count. */
  clientFreed(c: Client): void {
    this.queryBytes -= c.queryBytesCounted;
    c.queryBytesCounted = 0;
    this.queued.delete(c);
  }

  /** Bytes in client buffers now (query buffers and queued output). */
  total(): number {
    let n = this.queryBytes;
    for (const c of this.queued) {
      const q = c.closed ? 0 : (c.socket?.writableLength ?? 0);
      if (q === 0) this.queued.delete(c);
      else n += q;
    }
    return n;
  }
}
