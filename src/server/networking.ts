/**
 * Connections (Redis's networking.c): accepting sockets, feeding what clients send to their
 * parsers, writing replies, and freeing clients.
 *
 * Invariants:
 * - Replies are written once per client per event-loop turn: handlers append to the client's
 *   RespWriter and `scheduleFlush` queues the client; one `setImmediate` writes every queued
 *   client's buffer with a single socket write (measurements in docs/design-notes.md: with
 *   TCP_NODELAY, this beats a write per reply and cork/uncork by far under pipelining). At -P 1
 *   a plain TCP read shorter than the read buffer is its socket's last of the turn, so its reply
 *   could be written from the read callback without breaking this; measured (no AOF, -c 50):
 *   server CPU per request +0.2-0.5 µs and p50 +0.03-0.15 ms against the end-of-turn write, so
 *   not done (docs/benchmarks.md, "The request path at -P 1").
 * - A client is in `server.clients` from accept until freeClient; a freed client is `closed` and
 *   any pending flush of it does nothing.
 */
import fs from 'fs';
import net from 'net';
import type { Server } from './server';
import { Client, ClientFlag } from './client';
import { ClientInput } from './client-input';
import { startReading } from './socket-reader';
import { ProtocolError } from '../protocol/parser';
import { admitConnection, refuseConnection } from './protected-mode';
import { noteReplyBytes } from './client-info';
import { queryBufParsed, queryBufRead } from './query-buffer';
import { OutputLimits } from './output-limits';
import { setImmediate, performance } from '../util/real-timers';

export class Networking {
  /** Clients with output to write this turn (each once: Client.flushQueued). */
  private pendingFlush: (Client | null)[] = [];
  private pendingCount = 0;
  /** The previous turn's list, cleared, reused as the next one (no array or growth per turn). */
  private spareFlush: (Client | null)[] = [];
  private flushScheduled = false;
  private readonly busyReadBuf = Buffer.allocUnsafe(64 * 1024);
  /** client-output-buffer-limit, normal class (output-limits.ts). */
  readonly outputLimits: OutputLimits;

  constructor(private readonly server: Server) {
    this.outputLimits = new OutputLimits(server);
  }

  accept(sock: net.Socket): void {
    const server = this.server;
    if (server.closing) {
      sock.destroy();
      return;
    }
    // TCP_NODELAY is already set: every TCP and TLS listener is created with `noDelay: true`,
    // which Node applies to the accepted handle (a second setNoDelay on a TLSSocket is one more
    // setsockopt per connection); unix sockets have no Nagle delay.
    const ka = server.config.int('tcp-keepalive');
    if (ka > 0) sock.setKeepAlive(true, ka * 1000);
    server.stats.connectionsReceived++;
    const client = new Client(server, sock, server.dbs[0]);
    client.writer.onError = (msg, noStats) => {
      // (afterErrorReply: an error counted already still fails the command that replies it)
      if (!noStats) server.countError(msg);
      else if (client.cmd !== null) client.cmd.stats.failedCalls++;
    };
    if (server.clients.size >= server.config.int('maxclients')) {
      server.stats.rejectedConnections++;
      refuseConnection(sock, '-ERR max number of clients reached\r\n');
      return;
    }
    if (!admitConnection(server, sock)) return;
    server.clients.set(client.id, client);
    sock.on('error', () => this.freeClient(client));
    sock.on('close', () => this.freeClient(client));
    startReading(sock, (chunk) => this.onData(client, chunk));
  }

  private onData(client: Client, chunk: Buffer): void {
    if (client.closed) return;
    const server = this.server;
    server.stats.netInputBytes += chunk.length;
    server.stats.readsProcessed++;
    // One clock read serves the idle timer and starts the first command's duration (a command
    // then costs one read, the one that ends it: see Dispatcher.lastCallEnd).
    const t = performance.now();
    client.lastInteraction = server.clock.fromPerf(t);
    this.processInput(client, chunk, t);
    this.scheduleFlush(client);
  }

  /**
   * Parse and run what the client sent (or resume buffered input after unblocking). `readAt`:
   * performance.now() when the bytes were read, or -1 (the first command reads the clock).
   */
  processInput(client: Client, chunk: Buffer, readAt = -1): void {
    const server = this.server;
    server.dispatcher.lastCallEnd = readAt;
    if (chunk.length > 0) queryBufRead(client, chunk.length);
    try {
      client.parser.feed(chunk, (client.input ??= new ClientInput(server, client)));
    } catch (e) {
      if (e instanceof ProtocolError) {
        client.writer.error('ERR ' + e.message);
        client.flags |= ClientFlag.CLOSE_AFTER_REPLY;
        server.logger.debug({ client: client.addr }, `Protocol error (${e.message}) from client`);
      } else {
        // A bug outside any handler must cost one connection, never the server: drop the client
        // (its input state is unknown) and keep serving everyone else.
        server.logger.error({ err: e, client: client.addr }, 'unexpected error while processing client input: closing the connection');
        try {
          client.writer.error('ERR internal error while processing the request; closing the connection');
          client.flags |= ClientFlag.CLOSE_AFTER_REPLY;
        } catch {
          // Even the error does not fit (a reply grew past the largest Buffer): drop the client now.
          this.freeClient(client);
          return;
        }
      }
    }
    const pending = client.parser.pendingBytes();
    queryBufParsed(client, pending);
    if (pending > server.config.hot['client-query-buffer-limit']) {
      server.logger.warn({ client: client.addr }, 'Closing client that reached max query buffer length');
      this.freeClient(client);
      return;
    }
    // (A partly received command's arguments are held too: Redis's argv, counted in used_memory.)
    const held = pending + client.parser.partialArgvBytes();
    if (held !== client.queryBytesCounted && !client.closed) server.clientMemory.queryUpdated(client, held);
    // (a partly received command counts for client eviction too; evicted at the end of the turn)
    if (server.clientEviction.enabled) server.clientEviction.update(client);
  }

  scheduleFlush(client: Client): void {
    if (!client.flushQueued) {
      client.flushQueued = true;
      this.pendingFlush[this.pendingCount++] = client;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushTurn);
    }
  }

  /**
   * The end of the turn (setImmediate). With appendfsync always and commands to sync, it first
   * waits one loop iteration (a non-blocking poll): the commands that arrived while this turn's
   * ran join its fdatasync, instead of paying one of their own next turn. Still one write and one
   * fdatasync before the replies, as Redis, over bigger batches.
   */
  private readonly flushTurn = (): void => {
    if (!this.regrouped && this.server.aof.wantsGroupCommit()) {
      this.regrouped = true;
      setImmediate(this.flushTurn); // (flushScheduled stays true)
      return;
    }
    this.regrouped = false;
    this.flushPending();
  };

  /** flushTurn waited its one iteration. */
  private regrouped = false;

  /**
   * A background job (BGSAVE, BGREWRITEAOF, loading) is about to hold the event loop for one of
   * its steps: write the replies of the commands this turn read first. Their flush is an
   * immediate queued after the step's, so each reply waited for a whole step besides the one it
   * arrived during (a PING during a 1M-key js-map BGSAVE: 11-13 ms, a forced scavenge and the
   * first step). Left to flushTurn while it waits to group an fsync (appendfsync always).
   */
  flushBeforeStep(): void {
    if (this.flushScheduled && !this.regrouped && !this.server.aof.wantsGroupCommit()) this.flushPending();
  }

  /** Write every pending client's replies: one socket write per client per turn. */
  flushPending(): void {
    this.flushScheduled = false;
    // The AOF is written (and with appendfsync always, synced) before any reply it covers.
    this.server.aof.beforeReplies();
    // Swap first: a client scheduled while flushing goes to the next turn's list.
    const list = this.pendingFlush;
    const n = this.pendingCount;
    this.pendingFlush = this.spareFlush;
    this.pendingCount = 0;
    for (let i = 0; i < n; i++) {
      const c = list[i]!;
      list[i] = null; // (a freed client is not kept alive by the spare list)
      c.flushQueued = false;
      this.flushClient(c);
    }
    this.spareFlush = list;
    // beforeSleep's evictClients, once the replies are written (and clients over their output
    // limits closed, so they are not counted).
    const ev = this.server.clientEviction;
    if (ev.limit !== 0) ev.evict();
  }

  private flushClient(c: Client): void {
    if (c.closed || !c.socket) return;
    const n = c.writer.length;
    if (n > 0) {
      this.server.stats.netOutputBytes += n;
      this.server.stats.writesProcessed++;
      noteReplyBytes(c, n);
      writeOut(c);
      if (this.outputLimits.active && this.outputLimits.check(c)) return;
      if (this.server.clientEviction.enabled) this.server.clientEviction.update(c);
    }
    if (c.has(ClientFlag.CLOSE_AFTER_REPLY)) {
      c.closed = true;
      // The connection is closed once the reply is out, as Redis closes the fd: a half-close (FIN
      // only) would keep accepting what the peer still sends, so a client streaming garbage after
      // a protocol error would never see the connection end (Redis's unit/protocol desync tests).
      c.socket.destroySoon();
      this.freeClient(c);
    }
  }

  /**
   * Free a client; its pending output is written first unless `flush` is false (a shutdown:
   * Redis exits without writing what the last commands replied, e.g. a script killed while a
   * signal's shutdown waited for it).
   */
  freeClient(c: Client, flush = true): void {
    const server = this.server;
    if (!server.clients.has(c.id)) return;
    server.clients.delete(c.id);
    c.closed = true;
    server.clientMemory.clientFreed(c);
    server.clientEviction.forget(c);
    server.blocking.unblockOnDisconnect(c);
    server.watches.unwatchAll(c);
    server.pubsub.unsubscribeAll(c);
    if (c.flags & ClientFlag.MONITOR) server.monitors.remove(c);
    server.tracking.disable(c);
    if (c.socket && !c.socket.destroyed) {
      if (c.writer.length > 0 && flush) c.socket.end(c.writer.take());
      // Closing after a reply (QUIT, CLIENT KILL of itself) already called destroySoon():
      // destroying now would drop a reply still queued in Node's stream.
      else if (!c.socket.writableEnded) c.socket.destroy();
    }
    // A pending flush of c finds it closed and does nothing.
  }

  /**
   * processEventsWhileBlocked: called from the Lua count hook while a script runs past
   * busy-reply-threshold. The event loop is blocked, so other clients' sockets are read here
   * synchronously (non-blocking fds: EAGAIN means nothing to read); their commands run through the
   * normal dispatcher, which answers BUSY to all but allow-busy commands (SCRIPT KILL, FUNCTION
   * KILL, SHUTDOWN NOSAVE), and replies are written straight to the fd when nothing is queued in
   * Node's stream (otherwise they queue behind it, preserving order).
   */
  processEventsWhileBusy(running: Client | null): void {
    const server = this.server;
    const buf = this.busyReadBuf;
    for (const c of [...server.clients.values()]) {
      if (c === running || c.closed || !c.socket || c.fd < 0) continue;
      for (let i = 0; i < 16; i++) {
        let n: number;
        try {
          n = fs.readSync(c.fd, buf, 0, buf.length, null);
        } catch {
          break; // EAGAIN (nothing pending) or a socket error libuv will report later
        }
        if (n <= 0) break; // EOF: libuv closes it after the script
        server.stats.netInputBytes += n;
        c.lastInteraction = server.clock.now();
        this.processInput(c, Buffer.from(buf.subarray(0, n)));
        if (n < buf.length) break;
      }
      this.flushClientSync(c);
    }
  }

  private flushClientSync(c: Client): void {
    if (c.writer.length === 0 || !c.socket || c.closed) return;
    this.server.aof.beforeReplies();
    this.server.stats.netOutputBytes += c.writer.length;
    writeOut(c);
  }
}

/**
 * Write a client's output (its writer's bytes, which it then forgets): straight from the writer's
 * buffer to the socket's fd when Node's stream has nothing queued. write(2) on the non-blocking
 * socket needs no stream write request, callbacks or copy of the bytes: with them gone the
 * server allocates ~510 bytes per request at -P 1 instead of ~810 (sampled in process), and V8
 * scavenges 26 times per 200,000 SETs instead of 41. Whatever the
 * kernel did not take (EAGAIN, a partial write) and every write of a TLS socket (fd -1) go
 * through the stream, which keeps them in order behind anything queued. Errors (EPIPE,
 * ECONNRESET) are left to the stream's write, which reports them as usual.
 */
function writeOut(c: Client): void {
  const socket = c.socket!;
  const w = c.writer;
  const n = w.length;
  let written = 0;
  // (Not once the socket is destroyed: its fd is closed then, and the number may already belong
  // to a connection accepted since.)
  if (c.fd >= 0 && socket.writableLength === 0 && !socket.destroyed && (socket as unknown as { _handle: unknown })._handle !== null) {
    try {
      written = fs.writeSync(c.fd, w.buf, 0, n);
    } catch {
      written = 0;
    }
    if (written === n) {
      w.sent();
      return;
    }
  }
  const out = w.take();
  socket.write(written === 0 ? out : out.subarray(written));
  c.server.clientMemory.outputQueued(c);
}
