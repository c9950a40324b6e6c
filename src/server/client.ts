/**
 * One connection's state (Redis's `client` struct): protocol version, selected db, auth, name,
 * transaction and blocking state, and the reply buffer. Replies are appended to `writer` and
 * flushed once per read batch by the server (never one socket write per reply).
 */
import type { Socket } from 'net';
import type { Db } from '../engine/types';
import { RequestParser } from '../protocol/parser';
import type { RequestHandler } from '../protocol/parser';
import { Reply, RespWriter } from '../protocol/reply';
import type { Command } from '../commands/table';
import type { Server } from './server';
import type { Arg } from './propagate';
import type { User } from '../acl/user';
import type { ReplyBufferState } from './client-info';

export const enum ClientFlag {
  MULTI = 1 << 0,
  DIRTY_CAS = 1 << 1,
  DIRTY_EXEC = 1 << 2,
  CLOSE_AFTER_REPLY = 1 << 3,
  CLOSE_ASAP = 1 << 4,
  BLOCKED = 1 << 5,
  PUBSUB = 1 << 6,
  SCRIPT = 1 << 7,
  /** CLIENT REPLY OFF / SKIP */
  REPLY_OFF = 1 << 8,
  REPLY_SKIP_NEXT = 1 << 9,
  REPLY_SKIP = 1 << 10,
  NO_EVICT = 1 << 11,
  NO_TOUCH = 1 << 12,
  /** Executing inside EXEC (blocking commands act as non-blocking). */
  IN_EXEC = 1 << 13,
  /** MONITOR (server/monitor.ts). */
  MONITOR = 1 << 14,
  /** CLIENT_DENY_BLOCKING: blocking commands act as their non-blocking form (the AOF loader). */
  DENY_BLOCKING = 1 << 15,
  /** The AOF loader's client (Redis's CLIENT_ID_AOF, mustObeyClient): what it replays was recorded exact. */
  AOF_LOADER = 1 << 16,
}

/** A queued MULTI command. */
export interface QueuedCommand {
  cmd: Command;
  argv: Buffer[];
}

let nextClientId = 1;

export class Client {
  readonly id = nextClientId++;
  readonly createdAt: number;
  readonly writer = new RespWriter();
  /** Where handlers write. Normally `writer`; Lua and internal callers swap in other sinks. */
  reply: Reply;
  parser: RequestParser;
  db: Db;
  dbIndex = 0;
  name = '';
  libName = '';
  libVer = '';
  user = 'default';
  /** The ACL user (src/acl/); null is the default user. `user` holds its name. */
  aclUser: User | null = null;
  authenticated: boolean;
  flags = 0;
  lastInteraction: number;
  /** Current command (for CLIENT LIST cmd=, SLOWLOG, errors). */
  cmd: Command | null = null;
  lastCmd: Command | null = null;
  /** Command boundaries left before this client tries the fast lane again (lane.ts). */
  laneBackoff = 0;
  /** The blocked command's own duration (µs, Redis's c->duration), booked when it is served. */
  blockedUsec = 0;
  argv: Buffer[] = [];
  /** What the current command propagates instead of argv (propagate.ts propagateAs), or null. */
  propagateArgv: Arg[] | null = null;
  multiQueue: QueuedCommand[] | null = null;
  /** The parser's callbacks for this client (created on first input). */
  input: RequestHandler | null = null;
  /** WATCHed keys: "db:latin1key" -> true */
  watched: Set<string> | null = null;
  /** The watched keys that were already expired when watched (watchedKey.expired). */
  watchedExpired: Set<string> | null = null;
  /** Channels and patterns (latin1). */
  channels: Set<string> | null = null;
  patterns: Set<string> | null = null;
  shardChannels: Set<string> | null = null;
  closed = false;
  /** The query buffer Redis would hold: its room, allocation and recent peak (query-buffer.ts); sdsempty() at first. */
  qbAlloc = 4;
  qbMalloc = 8;
  qbPeak = 0;
  /** This client's query buffer bytes as counted in used_memory (client-memory.ts). */
  queryBytesCounted = 0;
  /**
   * Client eviction (client-eviction.ts): tot-mem as last counted, the memory-usage bucket the
   * client is in (-1: none, it cannot be evicted) and when it entered that bucket.
   */
  memUsage = 0;
  memBucket = -1;
  memBucketSeq = 0;
  /** multi-mem counted so far (client-info.ts multiMem): of which queue, and how many of its commands. */
  multiCountedQueue: unknown[] | null = null;
  multiCounted = 0;
  multiBytes = 0;
  /** In the server's pending-flush list (Server.scheduleFlush). */
  flushQueued = false;
  /** Reply-buffer bookkeeping for CLIENT LIST (client-info.ts), created on the first flush. */
  replyBuf: ReplyBufferState | null = null;
  /**
   * Under CLIENT REPLY OFF/SKIP, while a command of this client runs: the writer position from
   * which its output is dropped when it ends (Dispatcher.processCommand); -1 otherwise.
   */
  replyMark = -1;
  readonly addr: string;
  readonly laddr: string;
  /** The socket's descriptor for plaintext reads and writes: -1 for TLS (see the constructor). */
  readonly fd: number;
  /** The connection's descriptor as CLIENT LIST shows it (TLS included); -1 without a socket. */
  readonly listedFd: number;

  constructor(
    readonly server: Server,
    readonly socket: Socket | null,
    db: Db,
  ) {
    this.reply = this.writer;
    this.db = db;
    this.createdAt = server.clock.now();
    this.lastInteraction = this.createdAt;
    this.authenticated = !server.authRequiredByDefault();
    this.parser = new RequestParser({
      maxBulkLen: server.config.int('proto-max-bulk-len'),
      authRequired: () => !this.authenticated,
    });
    // A unix socket peer has no address: Redis shows the socket path with port 0.
    const unix = socket !== null && socket.remoteAddress === undefined ? `${server.config.str('unixsocket')}:0` : '';
    this.addr = socket ? unix || `${socket.remoteAddress}:${socket.remotePort}` : '';
    this.laddr = socket ? unix || `${socket.localAddress}:${socket.localPort}` : '';
    this.listedFd = socket ? ((socket as unknown as { _handle?: { fd?: number } })._handle?.fd ?? -1) : -1;
    // TLS sockets have no fd to read plaintext from (the busy-script reader skips fd -1).
    this.fd = socket && !(socket as { encrypted?: boolean }).encrypted ? this.listedFd : -1;
  }

  get resp(): 2 | 3 {
    return this.writer.resp;
  }

  set resp(v: 2 | 3) {
    this.writer.resp = v;
  }

  /**
   * Before writing push data (pub/sub confirmations and messages) to this client: push data is
   * delivered even under CLIENT REPLY OFF/SKIP (Redis's CLIENT_PUSHING), so drop the suppressed
   * output of the running command written so far, and after the push (endPush) move the mark past it.
   */
  beginPush(): void {
    if (this.replyMark >= 0 && (this.flags & (ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP)) !== 0) this.writer.truncate(this.replyMark);
  }

  endPush(): void {
    if (this.replyMark >= 0) this.replyMark = this.writer.length;
  }

  has(flag: ClientFlag): boolean {
    return (this.flags & flag) !== 0;
  }

  /** Subscription count (channels + patterns + shard channels). */
  subscriptionCount(): number {
    return (this.channels?.size ?? 0) + (this.patterns?.size ?? 0) + (this.shardChannels?.size ?? 0);
  }

  selectDb(index: number): void {
    this.db = this.server.dbs[index];
    this.dbIndex = index;
  }
}
