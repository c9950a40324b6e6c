/**
 * The server: listeners, connections, the dispatcher (Redis's processCommand/call), and the
 * registries commands share (watched keys, blocked clients, pub/sub, keyspace events, stats).
 *
 * Request path: socket bytes -> RequestParser -> processCommand (lookup, arity, auth, MULTI,
 * pubsub context...) -> call (handler, stats, slowlog) -> reply into the client's RespWriter ->
 * one socket write per client per event-loop turn (flushPending, scheduled with setImmediate).
 */
import fs from 'fs';
import net from 'net';
import type pino from 'pino';
import { Config } from '../config/config';
import type { Clock, Db, Engine, BulkValue } from '../engine/types';
import { FAST_GET, FAST_SET, ProtocolError } from '../protocol/parser';
import { ClientInput } from './client-input';
import { getKey, setKeyValue } from '../commands/strings';
import { Client, ClientFlag } from './client';
import { CmdFlag, Command, CommandTable } from '../commands/table';
import { admitConnection } from './protected-mode';
import { ReplyError, wrongArgs } from '../commands/errors';
import { discardTransaction } from '../commands/transactions';
import { createLogger, RedisLogLevel } from '../observability/logger';
import { PubSub } from './pubsub';
import { startReading } from './socket-reader';
import { Keyspace } from './keyspace-events';
import { Blocking } from './blocking';
import { SlowLog } from '../observability/slowlog';
import { ALL_COMMANDS } from '../commands';
import { latin1 } from '../util/number';
import { startMetricsServer } from '../observability/metrics';
import type http from 'http';

export const REDIS_VERSION = '7.0.15';
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const REDUST_VERSION: string = require('../../../package.json').version;

/** A clock the embedding API can move forward (tests advance time instead of sleeping). */
export class ServerClock implements Clock {
  offset = 0;
  /**
   * While a command runs (Server.call at depth 0) the time is read once and frozen, like Redis 7's
   * cached `server.mstime` (fixed_time_expire): every key lookup of the command, of an EXEC or of a
   * script sees the same time.
   */
  private frozen = -1;
  /**
   * Wall-clock milliseconds = performance.now() + wallOffset. Clock reads cost ~55 ns each on the
   * bench machine, so a command reads one clock (performance.now(), which also times it for
   * INFO commandstats and SLOWLOG) and derives its wall time from it. resync() (from the cron)
   * follows adjustments of the system clock.
   */
  private wallOffset = performance.timeOrigin;
  now(): number {
    return this.frozen >= 0 ? this.frozen : Math.floor(performance.now() + this.wallOffset) + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
    if (this.frozen >= 0) this.frozen += ms;
  }
  /** Freeze the time until unfreeze(), given performance.now() read by the caller. */
  freezeAt(perfNow: number): void {
    this.frozen = Math.floor(perfNow + this.wallOffset) + this.offset;
  }
  unfreeze(): void {
    this.frozen = -1;
  }
  /** Re-align with Date.now() when the two clocks drifted apart by a millisecond or more. */
  resync(): void {
    const drift = Date.now() - (performance.now() + this.wallOffset);
    if (drift >= 1 || drift <= -1) this.wallOffset += drift;
  }
}

export interface ServerStats {
  startTime: number;
  connectionsReceived: number;
  commandsProcessed: number;
  rejectedConnections: number;
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
  totalErrorReplies: number;
  errorCodes: Map<string, number>;
  expiredStalePerc: number;
  expireCycleCpuMs: number;
  /** Instantaneous ops/sec sampling. */
  opsSamples: number[];
  inputKbpsSamples: number[];
  outputKbpsSamples: number[];
  lastOpsSample: { time: number; count: number; input: number; output: number };
  readsProcessed: number;
  writesProcessed: number;
  dirty: number;
  lastSave: number;
}

export class Server {
  readonly config: Config;
  readonly engine: Engine;
  readonly clock: ServerClock;
  readonly dbs: Db[] = [];
  readonly table = new CommandTable();
  readonly clients = new Map<number, Client>();
  readonly logger: pino.Logger;
  readonly pubsub: PubSub;
  readonly keyspace: Keyspace;
  readonly blocking: Blocking;
  readonly slowlog: SlowLog;
  readonly stats: ServerStats;
  /** WATCH registry: "db\0key" -> clients watching it. */
  readonly watchedKeys = new Map<string, Set<Client>>();
  /** Commands added by other modules (e.g. scripting) get the server through this hook. */
  readonly runId: string;
  private listeners: net.Server[] = [];
  private metricsServer: http.Server | null = null;
  /** Clients with output to write this turn (each once: Client.flushQueued). */
  private pendingFlush: Client[] = [];
  /**
   * Command lookup cache by the raw name bytes as sent (any case), for commands without
   * subcommands: saves building and lowercasing a name string per command.
   */
  private readonly cmdCache: ({ name: Buffer; cmd: Command } | undefined)[] = new Array(256).fill(undefined);
  /**
   * End time (performance.now()) of the previous top-level command of the current input batch:
   * the next command's duration starts there, so a command costs one timer read, not two.
   * -1 outside a batch.
   */
  private lastCallEnd = -1;
  /** GET and SET, for the fast path (fastCommand). */
  private readonly getCommand: Command;
  private readonly setCommand: Command;
  /** Arguments of the fast-path command being run. */
  private fastKey: Buffer | null = null;
  private fastValue: Buffer | null = null;
  private flushScheduled = false;
  private cron: NodeJS.Timeout | null = null;
  private closing = false;
  /** Set by SHUTDOWN / close(). */
  onShutdown: (() => void) | null = null;
  readonly redisVersion = REDIS_VERSION;
  readonly redustVersion = REDUST_VERSION;
  /** Path of the config file the server was started with ('' when none). */
  configFile = '';
  peakMemory = 0;
  activeExpireEnabled = true;
  /**
   * Set while a script runs past busy-reply-threshold: other clients' commands are answered with
   * BUSY (except allow-busy ones such as SCRIPT KILL and SHUTDOWN NOSAVE).
   */
  busyScript: { isEval: boolean } | null = null;
  /** SHUTDOWN NOSAVE arrived during a busy script: shut down once it has stopped. */
  shutdownAfterScript = false;
  private readonly busyReadBuf = Buffer.allocUnsafe(64 * 1024);
  /** Depth of nested command execution (EXEC, Lua): notifications and wakeups wait for the outermost. */
  execDepth = 0;

  constructor(config: Config, engine: Engine, opts: { logger?: pino.Logger; clock?: ServerClock } = {}) {
    this.config = config;
    this.engine = engine;
    this.clock = opts.clock ?? new ServerClock();
    this.logger = opts.logger ?? createLogger({ level: config.str('loglevel') as RedisLogLevel });
    this.runId = randomHex(40);
    const now = this.clock.now();
    this.stats = {
      startTime: now,
      connectionsReceived: 0,
      commandsProcessed: 0,
      rejectedConnections: 0,
      expiredKeys: 0,
      evictedKeys: 0,
      keyspaceHits: 0,
      keyspaceMisses: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      totalErrorReplies: 0,
      errorCodes: new Map(),
      expiredStalePerc: 0,
      expireCycleCpuMs: 0,
      opsSamples: [],
      inputKbpsSamples: [],
      outputKbpsSamples: [],
      lastOpsSample: { time: now, count: 0, input: 0, output: 0 },
      readsProcessed: 0,
      writesProcessed: 0,
      dirty: 0,
      lastSave: Math.floor(now / 1000),
    };
    const n = config.int('databases');
    for (let i = 0; i < n; i++) {
      this.dbs.push(engine.createDb(i, this.clock, (db, key) => this.onKeyExpired(db, key), (db, key) => this.onNewKey(db, key)));
    }
    this.table.register(ALL_COMMANDS);
    this.getCommand = this.table.get('get')!;
    this.setCommand = this.table.get('set')!;
    this.pubsub = new PubSub(this);
    this.keyspace = new Keyspace(this);
    this.blocking = new Blocking(this);
    this.slowlog = new SlowLog(this);
  }

  authRequiredByDefault(): boolean {
    return this.config.str('requirepass') !== '';
  }

  /** Start listening. Resolves with the bound port. */
  async listen(): Promise<number> {
    const port = this.config.int('port');
    const binds = this.config.str('bind').split(/\s+/).filter(Boolean);
    let boundPort = port;
    for (const host of binds.length ? binds : ['127.0.0.1']) {
      const srv = net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => this.accept(sock));
      srv.maxConnections = this.config.int('maxclients') + 32;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: boundPort, host: host.replace(/^-/, ''), backlog: this.config.int('tcp-backlog') }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      boundPort = (srv.address() as net.AddressInfo).port;
      this.listeners.push(srv);
    }
    this.config.set('port', boundPort);
    const metricsAddr = this.config.str('metrics-addr');
    if (metricsAddr) {
      this.metricsServer = await startMetricsServer(this, metricsAddr);
      this.logger.info({ addr: metricsAddr }, 'Prometheus metrics endpoint at /metrics');
    }
    this.startCron();
    this.logger.info({ port: boundPort, engine: this.engine.name }, 'Ready to accept connections tcp');
    return boundPort;
  }

  /** Close listeners and every client. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.cron) clearInterval(this.cron);
    this.cron = null;
    for (const c of [...this.clients.values()]) this.freeClient(c);
    await Promise.all(this.listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
    if (this.metricsServer) await new Promise<void>((r) => this.metricsServer!.close(() => r()));
    this.listeners = [];
    this.blocking.clear();
  }

  // ---------------------------------------------------------------- connections

  private accept(sock: net.Socket): void {
    if (this.closing) {
      sock.destroy();
      return;
    }
    sock.setNoDelay(true);
    const ka = this.config.int('tcp-keepalive');
    if (ka > 0) sock.setKeepAlive(true, ka * 1000);
    this.stats.connectionsReceived++;
    const client = new Client(this, sock, this.dbs[0]);
    client.writer.onError = (msg) => this.countError(msg);
    if (this.clients.size >= this.config.int('maxclients')) {
      this.stats.rejectedConnections++;
      sock.end('-ERR max number of clients reached\r\n');
      return;
    }
    if (!admitConnection(this, sock)) return;
    this.clients.set(client.id, client);
    sock.on('error', () => this.freeClient(client));
    sock.on('close', () => this.freeClient(client));
    sock.on('drain', () => {
      /* writes are queued by Node; nothing to do */
    });
    startReading(sock, (chunk) => this.onData(client, chunk));
  }

  private onData(client: Client, chunk: Buffer): void {
    if (client.closed) return;
    this.stats.netInputBytes += chunk.length;
    this.stats.readsProcessed++;
    client.lastInteraction = this.clock.now();
    this.processInput(client, chunk);
    this.scheduleFlush(client);
  }

  /** Parse and run what the client sent (or resume buffered input after unblocking). */
  processInput(client: Client, chunk: Buffer): void {
    this.lastCallEnd = -1;
    try {
      client.parser.feed(chunk, (client.input ??= new ClientInput(this, client)));
    } catch (e) {
      if (e instanceof ProtocolError) {
        client.writer.error('ERR ' + e.message);
        client.flags |= ClientFlag.CLOSE_AFTER_REPLY;
        this.logger.debug({ client: client.addr }, `Protocol error (${e.message}) from client`);
      } else {
        // A bug outside any handler must cost one connection, never the server: drop the client
        // (its input state is unknown) and keep serving everyone else.
        this.logger.error({ err: e, client: client.addr }, 'unexpected error while processing client input: closing the connection');
        client.writer.error('ERR internal error while processing the request; closing the connection');
        client.flags |= ClientFlag.CLOSE_AFTER_REPLY;
      }
    }
    if (client.parser.pendingBytes() > this.config.hot['client-query-buffer-limit']) {
      this.logger.warn({ client: client.addr }, 'Closing client that reached max query buffer length');
      this.freeClient(client);
    }
  }

  scheduleFlush(client: Client): void {
    if (!client.flushQueued) {
      client.flushQueued = true;
      this.pendingFlush.push(client);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushPending());
    }
  }

  /** Write every pending client's replies: one socket write per client per turn. */
  flushPending(): void {
    this.flushScheduled = false;
    // Swap first: a client scheduled while flushing goes to the next turn's list.
    const list = this.pendingFlush;
    this.pendingFlush = [];
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      c.flushQueued = false;
      this.flushClient(c);
    }
  }

  flushClient(c: Client): void {
    if (c.closed || !c.socket) return;
    if (c.writer.length > 0) {
      const out = c.writer.take();
      this.stats.netOutputBytes += out.length;
      this.stats.writesProcessed++;
      c.socket.write(out);
    }
    if (c.has(ClientFlag.CLOSE_AFTER_REPLY)) {
      c.closed = true;
      c.socket.end();
      this.freeClient(c);
    }
  }

  freeClient(c: Client): void {
    if (!this.clients.has(c.id)) return;
    this.clients.delete(c.id);
    c.closed = true;
    this.blocking.unblockOnDisconnect(c);
    this.unwatchAll(c);
    this.pubsub.unsubscribeAll(c);
    if (c.socket && !c.socket.destroyed) {
      if (c.writer.length > 0) c.socket.end(c.writer.take());
      else c.socket.destroy();
    }
    // A pending flush of c finds it closed and does nothing.
  }

  // ---------------------------------------------------------------- dispatch

  /**
   * rejectCommand: error reply, and flag an open MULTI so EXEC aborts. A rejected EXEC itself
   * discards the transaction and answers EXECABORT with the reason (execCommandAbort).
   */
  rejectCommand(c: Client, msg: string): void {
    if (c.cmd) c.cmd.stats.rejectedCalls++;
    if (c.flags & ClientFlag.MULTI) c.flags |= ClientFlag.DIRTY_EXEC;
    if (c.cmd?.name === 'exec' && !c.cmd.parent) {
      discardTransaction(c);
      c.reply.error(`EXECABORT Transaction discarded because of: ${msg.startsWith('ERR ') ? msg.slice(4) : msg}`);
      return;
    }
    c.reply.error(msg);
  }

  /** processCommand: validate and run (or queue) one command. */
  processCommand(c: Client, argv: Buffer[]): void {
    c.argv = argv;
    // The duration chain (lastCallEnd) only continues into a command that goes straight to call().
    const prevCallEnd = this.lastCallEnd;
    this.lastCallEnd = -1;
    const cmd = this.lookupCommand(argv);
    if (!cmd) {
      c.cmd = null;
      const name = latin1(argv[0]);
      const lname = name.toLowerCase();
      if (argv.length > 1 && this.table.isContainer(lname)) {
        this.rejectCommand(c, `ERR unknown subcommand '${trunc(latin1(argv[1]), 128)}'. Try ${lname.toUpperCase()} HELP.`);
      } else {
        let args = '';
        for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${trunc(latin1(argv[i]), 128 - args.length)}' `;
        this.rejectCommand(c, `ERR unknown command '${trunc(name, 128)}', with args beginning with: ${args}`);
      }
      return;
    }
    c.cmd = cmd;
    c.lastCmd = cmd;
    if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
      this.rejectCommand(c, wrongArgs(cmd.fullname));
      return;
    }
    if (!c.authenticated && !cmd.has(CmdFlag.NO_AUTH)) {
      this.rejectCommand(c, 'NOAUTH Authentication required.');
      return;
    }
    const inMulti = (c.flags & ClientFlag.MULTI) !== 0;
    if (inMulti && cmd.has(CmdFlag.NO_MULTI)) {
      this.rejectCommand(c, 'ERR Command not allowed inside a transaction');
      return;
    }
    // (Flags first: maxmemory only matters for denyoom commands.)
    let maxmem = 0;
    if (cmd.has(CmdFlag.DENYOOM) && !inMulti && (maxmem = this.config.hot.maxmemory) > 0 && this.usedMemory() > maxmem && !this.evictToLimit(maxmem)) {
      this.rejectCommand(c, "OOM command not allowed when used memory > 'maxmemory'.");
      return;
    }
    if (c.resp === 2 && (c.flags & ClientFlag.PUBSUB) !== 0 && c.subscriptionCount() > 0) {
      const n = cmd.parent ? cmd.parent.name : cmd.name;
      if (!PUBSUB_ALLOWED.has(n)) {
        this.rejectCommand(c, `ERR Can't execute '${cmd.fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
        return;
      }
    }
    if (this.busyScript && !cmd.has(CmdFlag.ALLOW_BUSY)) {
      this.rejectCommand(c, this.busyScript.isEval ? BUSY_EVAL : BUSY_FUNCTION);
      return;
    }
    if (inMulti && !MULTI_IMMEDIATE.has(cmd.name)) {
      c.multiQueue!.push({ cmd, argv: argv.map((a) => Buffer.from(a)) });
      c.reply.simple('QUEUED');
      return;
    }
    const mark = c.writer.pos;
    this.lastCallEnd = prevCallEnd;
    this.call(c, cmd, argv);
    // CLIENT REPLY OFF/SKIP: drop what this command wrote (resetClient's flag shuffle).
    if (c.flags & (ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP)) c.writer.truncate(mark);
    c.flags &= ~ClientFlag.REPLY_SKIP;
    if (c.flags & ClientFlag.REPLY_SKIP_NEXT) {
      c.flags = (c.flags | ClientFlag.REPLY_SKIP) & ~ClientFlag.REPLY_SKIP_NEXT;
    }
    if (this.execDepth === 0) this.afterCommand();
  }

  /**
   * processCommand's shortcut for a plain `GET key` / `SET key value` recognised from its bytes by
   * the parser (RequestHandler.fast). Taken only when none of processCommand's checks could stop
   * the command or change what it does: authenticated, not in MULTI or a pub/sub context, no busy
   * script, no CLIENT REPLY OFF/SKIP, and for SET no maxmemory limit. It saves the argv array, the
   * command name's view and lookup and the checks; the command itself runs through call() and the
   * same handler code (strings.ts), with the same stats, SLOWLOG and wake-ups. Returns false to
   * have the command dispatched the normal way.
   */
  fastCommand(c: Client, kind: number, key: Buffer, value: Buffer | null): boolean {
    if ((c.flags & FAST_PATH_BLOCKERS) !== 0 || !c.authenticated || this.busyScript !== null || this.execDepth !== 0) return false;
    if (kind === FAST_SET && this.config.hot.maxmemory > 0) return false;
    const cmd = kind === FAST_GET ? this.getCommand : this.setCommand;
    c.cmd = cmd;
    c.lastCmd = cmd;
    this.fastKey = key;
    this.fastValue = value;
    this.call(c, cmd, null);
    this.fastKey = this.fastValue = null;
    this.afterCommand();
    return true;
  }

  /** The argv of the fast-path command being run (for SLOWLOG), built only when needed. */
  private fastArgv(c: Client): Buffer[] {
    const argv = [c.parser.fastName(), this.fastKey!];
    if (this.fastValue !== null) argv.push(this.fastValue);
    return argv;
  }

  /** lookupCommand through cmdCache (see there); falls back to the table. */
  private lookupCommand(argv: Buffer[]): Command | undefined {
    const a0 = argv[0];
    const len = a0.length;
    if (len > 16) return this.table.lookup(argv);
    let h = len;
    for (let i = 0; i < len; i++) h = (Math.imul(h, 31) + a0[i]) | 0;
    const slot = (h ^ (h >>> 8)) & 255;
    const e = this.cmdCache[slot];
    if (e !== undefined && e.name.length === len) {
      const n = e.name;
      let i = 0;
      while (i < len && n[i] === a0[i]) i++;
      if (i === len) return e.cmd;
    }
    const cmd = this.table.lookup(argv);
    if (cmd !== undefined && cmd.subcommands === null && cmd.parent === null) this.cmdCache[slot] = { name: Buffer.from(a0), cmd };
    return cmd;
  }

  /**
   * call(): run the handler with stats, slowlog and error accounting. argv null: the fast-path
   * command in fastKey/fastValue (see fastCommand).
   */
  call(c: Client, cmd: Command, argv: Buffer[] | null): void {
    const outer = this.execDepth === 0;
    const start = outer && this.lastCallEnd >= 0 ? this.lastCallEnd : performance.now();
    const errorsBefore = this.stats.totalErrorReplies;
    if (outer) this.clock.freezeAt(start);
    this.execDepth++;
    try {
      if (argv !== null) cmd.handler(c, argv);
      else if (cmd === this.getCommand) getKey(c, this.fastKey!);
      else setKeyValue(c, this.fastKey!, this.fastValue!);
    } catch (e) {
      if (e instanceof ReplyError) c.reply.error(e.reply);
      else if ((e as Error)?.name === 'WasmOutOfMemoryError') {
        // The engine refused the allocation and left the data unchanged: Redis's OOM reply.
        this.logger.warn({ command: cmd.fullname }, (e as Error).message);
        c.reply.error("OOM command not allowed when used memory > 'maxmemory'.");
      } else {
        this.logger.error({ err: e, command: cmd.fullname }, 'command handler crashed');
        c.reply.error(`ERR internal error in '${cmd.fullname}': ${(e as Error).message}`);
      }
    } finally {
      this.execDepth--;
      if (outer) this.clock.unfreeze();
    }
    const end = performance.now();
    if (outer) this.lastCallEnd = end;
    const usec = Math.floor((end - start) * 1000);
    cmd.stats.calls++;
    cmd.stats.usec += usec;
    if (this.stats.totalErrorReplies !== errorsBefore) cmd.stats.failedCalls++;
    this.stats.commandsProcessed++;
    if (!cmd.has(CmdFlag.SKIP_SLOWLOG) && this.slowlog.wants(usec)) this.slowlog.add(c, argv ?? this.fastArgv(c), usec);
    c.lastCmd = cmd;
  }

  /** Work deferred to the end of the outermost command: wake blocked clients, deliver events. */
  afterCommand(): void {
    if (this.blocking.hasReadyKeys()) {
      this.blocking.handleReadyKeys();
      this.lastCallEnd = -1; // do not bill the wakeups to the next command
    }
  }

  /** Count an error reply (INFO errorstats). Called by every client's writer. */
  countError(msg: string): void {
    this.stats.totalErrorReplies++;
    const sp = msg.indexOf(' ');
    const code = sp === -1 ? msg : msg.slice(0, sp);
    this.stats.errorCodes.set(code, (this.stats.errorCodes.get(code) ?? 0) + 1);
  }

  // ---------------------------------------------------------------- keyspace hooks

  /** signalModifiedKey: invalidate WATCH on the key. */
  signalModifiedKey(dbIndex: number, key: BulkValue): void {
    if (this.watchedKeys.size === 0) return;
    const set = this.watchedKeys.get(dbIndex + '\0' + latin1(key));
    if (set) for (const c of set) c.flags |= ClientFlag.DIRTY_CAS;
  }

  /** Invalidate every WATCH on a database (FLUSHDB, FLUSHALL, SWAPDB). */
  touchAllWatchedKeysInDb(dbIndex: number, onlyExisting?: (key: string) => boolean): void {
    if (this.watchedKeys.size === 0) return;
    const prefix = dbIndex + '\0';
    for (const [k, set] of this.watchedKeys) {
      if (!k.startsWith(prefix)) continue;
      if (onlyExisting && !onlyExisting(k.slice(prefix.length))) continue;
      for (const c of set) c.flags |= ClientFlag.DIRTY_CAS;
    }
  }

  watch(c: Client, key: Buffer): void {
    const id = c.dbIndex + '\0' + latin1(key);
    c.watched ??= new Set();
    if (c.watched.has(id)) return;
    c.watched.add(id);
    let set = this.watchedKeys.get(id);
    if (!set) this.watchedKeys.set(id, (set = new Set()));
    set.add(c);
  }

  unwatchAll(c: Client): void {
    if (!c.watched) return;
    for (const id of c.watched) {
      const set = this.watchedKeys.get(id);
      if (set) {
        set.delete(c);
        if (set.size === 0) this.watchedKeys.delete(id);
      }
    }
    c.watched = null;
    c.flags &= ~ClientFlag.DIRTY_CAS;
  }

  /** dbAdd's side effects: the `new` event and waking clients blocked on the key. */
  private onNewKey(db: Db, key: Buffer): void {
    if (this.keyspace.flags !== 0) this.keyspace.notify(db.index, 'new', key, 'n');
    this.blocking.signalKeyAsReady(db.index, key);
  }

  private onKeyExpired(db: Db, key: BulkValue): void {
    this.stats.expiredKeys++;
    this.keyspace.notify(db.index, 'expired', key, 'x');
    this.signalModifiedKey(db.index, key);
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
    const buf = this.busyReadBuf;
    for (const c of [...this.clients.values()]) {
      if (c === running || c.closed || !c.socket || c.fd < 0) continue;
      for (let i = 0; i < 16; i++) {
        let n: number;
        try {
          n = fs.readSync(c.fd, buf, 0, buf.length, null);
        } catch {
          break; // EAGAIN (nothing pending) or a socket error libuv will report later
        }
        if (n <= 0) break; // EOF: libuv closes it after the script
        this.stats.netInputBytes += n;
        c.lastInteraction = this.clock.now();
        this.processInput(c, Buffer.from(buf.subarray(0, n)));
        if (n < buf.length) break;
      }
      this.flushClientSync(c);
    }
  }

  private flushClientSync(c: Client): void {
    if (c.writer.length === 0 || !c.socket || c.closed) return;
    const out = c.writer.take();
    this.stats.netOutputBytes += out.length;
    let written = 0;
    if (c.socket.writableLength === 0) {
      try {
        written = fs.writeSync(c.fd, out);
      } catch {
        written = 0;
      }
    }
    if (written < out.length) c.socket.write(written === 0 ? out : out.subarray(written));
  }

  /** Called by the scripting engine when the outermost script returns. */
  scriptFinished(): void {
    this.busyScript = null;
    if (this.shutdownAfterScript) {
      this.shutdownAfterScript = false;
      this.shutdown();
    }
  }

  /** Marks the dataset changed (for SAVE points and INFO rdb_changes_since_last_save). */
  dirty(n = 1): void {
    this.stats.dirty += n;
  }

  /** used_memory_startup: what an empty server reports (Redis: ~850 KB). */
  startupMemory(): number {
    return baseOverhead;
  }

  /** used_memory: the engine's dataset bytes plus a fixed base, as Redis reports ~850 KB empty. */
  usedMemory(): number {
    const used = this.engine.usedMemory() + baseOverhead;
    if (used > this.peakMemory) this.peakMemory = used;
    return used;
  }

  resetStats(): void {
    const s = this.stats;
    s.connectionsReceived = 0;
    s.commandsProcessed = 0;
    s.rejectedConnections = 0;
    s.expiredKeys = 0;
    s.evictedKeys = 0;
    s.keyspaceHits = 0;
    s.keyspaceMisses = 0;
    s.netInputBytes = 0;
    s.netOutputBytes = 0;
    s.totalErrorReplies = 0;
    s.errorCodes.clear();
    s.expiredStalePerc = 0;
    s.expireCycleCpuMs = 0;
    for (const cmd of this.table.allWithSubcommands()) {
      cmd.stats.calls = cmd.stats.usec = cmd.stats.rejectedCalls = cmd.stats.failedCalls = 0;
    }
    this.slowlog.reset();
    this.peakMemory = 0;
  }

  /** FLUSHDB of one db: WATCHers of keys that existed are invalidated, then the db is emptied. */
  flushDb(db: Db, lazy: boolean): void {
    this.touchAllWatchedKeysInDb(db.index, (k) => db.has(Buffer.from(k, 'latin1')));
    this.dirty(db.size());
    db.clear(lazy);
  }

  /** SWAPDB: exchange two databases; clients keep their db number and so see the other data. */
  swapDbs(a: number, b: number): void {
    if (a === b) return;
    const da = this.dbs[a];
    const db = this.dbs[b];
    this.touchAllWatchedKeysInDb(a, (k) => da.has(Buffer.from(k, 'latin1')) || db.has(Buffer.from(k, 'latin1')));
    this.touchAllWatchedKeysInDb(b, (k) => da.has(Buffer.from(k, 'latin1')) || db.has(Buffer.from(k, 'latin1')));
    this.dbs[a] = db;
    this.dbs[b] = da;
    db.index = a;
    da.index = b;
    for (const c of this.clients.values()) c.db = this.dbs[c.dbIndex];
    this.blocking.signalAllKeysInDbs([a, b]);
    this.dirty();
  }

  /** SHUTDOWN: stop serving; the embedding owner (CLI or RedustServer) decides what follows. */
  shutdown(): void {
    void this.close().then(() => this.onShutdown?.());
  }

  /** Evict keys per maxmemory-policy until under `limit`. Returns false when nothing can be evicted. */
  evictToLimit(limit: number): boolean {
    const policy = this.config.str('maxmemory-policy');
    if (policy === 'noeviction') return false;
    const volatile = policy.startsWith('volatile');
    let guard = 0;
    while (this.usedMemory() > limit && guard++ < 10000) {
      let evicted = false;
      for (const db of this.dbs) {
        if (db.size() === 0 || (volatile && db.expiresSize() === 0)) continue;
        for (let tries = 0; tries < 16; tries++) {
          const key = db.randomKey();
          if (!key) break;
          if (volatile && db.getExpire(key) < 0) continue;
          db.delete(key);
          this.stats.evictedKeys++;
          this.keyspace.notify(db.index, 'evicted', key, 'e');
          this.signalModifiedKey(db.index, key);
          evicted = true;
          break;
        }
        if (evicted) break;
      }
      if (!evicted) return false;
    }
    return this.usedMemory() <= limit;
  }

  // ---------------------------------------------------------------- cron

  private startCron(): void {
    const hz = this.config.int('hz');
    this.cron = setInterval(() => this.serverCron(), Math.max(1, Math.floor(1000 / hz)));
    this.cron.unref();
  }

  /** serverCron: active expiry, background engine work, client timeouts, ops sampling. */
  serverCron(): void {
    this.clock.resync();
    const now = this.clock.now();
    if (this.activeExpireEnabled) this.activeExpireCycle(now);
    this.engine.backgroundWork(1);
    const timeout = this.config.int('timeout');
    if (timeout > 0) {
      for (const c of this.clients.values()) {
        if (c.has(ClientFlag.BLOCKED) || c.subscriptionCount() > 0) continue;
        if (now - c.lastInteraction > timeout * 1000) this.freeClient(c);
      }
    }
    const s = this.stats;
    const dt = now - s.lastOpsSample.time;
    if (dt >= 100) {
      // Redis's trackInstantaneousMetric: 16 samples of the rate since the previous sample.
      const push = (xs: number[], v: number) => {
        xs.push(v);
        if (xs.length > 16) xs.shift();
      };
      const last = s.lastOpsSample;
      push(s.opsSamples, ((s.commandsProcessed - last.count) * 1000) / dt);
      push(s.inputKbpsSamples, (s.netInputBytes - last.input) / 1024 / (dt / 1000));
      push(s.outputKbpsSamples, (s.netOutputBytes - last.output) / 1024 / (dt / 1000));
      s.lastOpsSample = { time: now, count: s.commandsProcessed, input: s.netInputBytes, output: s.netOutputBytes };
    }
  }

  /**
   * Active expiry (activeExpireCycle): per db, sample keys with a TTL; repeat while more than 25%
   * of a sample had expired, bounded to ~25% of the cron period in time.
   */
  activeExpireCycle(now: number): void {
    const effort = this.config.int('active-expire-effort');
    const perLoop = 20 + 5 * (effort - 1);
    const budgetMs = (1000 / this.config.int('hz')) * 0.25;
    const start = performance.now();
    let sampledTotal = 0;
    let expiredTotal = 0;
    for (const db of this.dbs) {
      if (db.expiresSize() === 0) continue;
      for (;;) {
        const { sampled, expired } = db.activeExpireCycle(now, perLoop);
        sampledTotal += sampled;
        expiredTotal += expired;
        if (sampled === 0 || expired * 4 <= sampled) break;
        if (performance.now() - start > budgetMs) break;
      }
      if (performance.now() - start > budgetMs) break;
    }
    this.stats.expireCycleCpuMs += performance.now() - start;
    if (sampledTotal > 0) this.stats.expiredStalePerc = (expiredTotal / sampledTotal) * 0.05 + this.stats.expiredStalePerc * 0.95;
    if (expiredTotal > 0 && this.execDepth === 0) this.afterCommand();
  }
}

const baseOverhead = 850_000;

const BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
export { BUSY_EVAL, BUSY_FUNCTION };

/** Commands allowed in RESP2 while subscribed. */
const PUBSUB_ALLOWED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);
/** Commands executed immediately inside MULTI instead of being queued. */
/** Client states in which a command must go through processCommand (see fastCommand). */
const FAST_PATH_BLOCKERS =
  ClientFlag.MULTI | ClientFlag.PUBSUB | ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT |
  ClientFlag.CLOSE_AFTER_REPLY | ClientFlag.BLOCKED | ClientFlag.SCRIPT | ClientFlag.IN_EXEC;
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

function trunc(s: string, n: number): string {
  return s.length > n ? s.slice(0, Math.max(0, n)) : s;
}

function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}
