/**
 * client-output-buffer-limit for the normal class (Redis's checkClientOutputBufferLimits and
 * closeClientOnOutputBufferLimitReached); the pubsub class is checked by pubsub.ts on delivery.
 *
 * A client's output is what it has not read yet: its reply buffer plus the bytes queued in Node's
 * socket stream (the kernel's socket buffer is not counted, as Redis does not count it). After
 * each command (and each flush) of a client that is not in pub/sub mode:
 * - at or above the hard limit: closed at once;
 * - at or above the soft limit: closed once it has stayed there for more than soft-seconds
 *   (first seen over it starts the clock; dropping below resets it);
 * Closing drops the unsent output, destroys the socket and frees the client: the client gets
 * nothing more, so a client that pipelines big replies without reading costs the server at most
 * about one limit of memory. 0 disables a limit; `normal 0 0 0` (the default) is unlimited.
 *
 * Cost: one boolean test per command while no normal limit is set.
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { parseMemory } from '../config/config';

export class OutputLimits {
  /** True while the normal class has a hard or soft limit. */
  active = false;
  private hard = 0;
  private soft = 0;
  private softSeconds = 0;
  private text = '';
  private readonly softSince = new WeakMap<Client, number>();
  /** Clients closed by these limits. */
  disconnections = 0;

  constructor(private readonly server: Server) {
    this.refresh();
  }

  /** Re-read the setting (after CONFIG SET; cheap when unchanged). */
  refresh(): void {
    const text = this.server.config.str('client-output-buffer-limit');
    if (text === this.text) return;
    this.text = text;
    const parts = text.trim().split(/\s+/);
    this.hard = this.soft = this.softSeconds = 0;
    for (let i = 0; i + 3 < parts.length; i += 4) {
      if (parts[i].toLowerCase() !== 'normal') continue;
      this.hard = parseMemory(parts[i + 1]) || 0;
      this.soft = parseMemory(parts[i + 2]) || 0;
      this.softSeconds = Number(parts[i + 3]) || 0;
    }
    this.active = this.hard > 0 || this.soft > 0;
  }

  /** Check a normal client after output was added; closes it and returns true when over its limits. */
  check(c: Client): boolean {
    if (c.closed || c.socket === null || (c.flags & ClientFlag.PUBSUB) !== 0) return false;
    const used = c.writer.length + c.socket.writableLength;
    let over = this.hard > 0 && used >= this.hard;
    if (this.soft > 0 && used >= this.soft) {
      const now = Math.floor(this.server.clock.now() / 1000);
      const since = this.softSince.get(c);
      if (since === undefined) this.softSince.set(c, now);
      else if (now - since > this.softSeconds) over = true;
    } else if (this.softSince.has(c)) this.softSince.delete(c);
    if (!over) return false;
    this.disconnections++;
    this.server.logger.warn({ client: c.addr }, 'Client scheduled to be closed ASAP for overcoming of output buffer limits.');
    // Its unsent output dropped, and freed now (freeClient without a flush destroys the socket):
    // its command has returned (the callers check after a command, a flush or in the cron), and
    // a command of another client read in the same turn (CLIENT LIST, and client eviction
    // weighing the clients) must not find it. Redis frees it in beforeSleep, before it reads any
    // other command.
    c.writer.truncate(0);
    this.server.net.freeClient(c, false);
    return true;
  }
}
