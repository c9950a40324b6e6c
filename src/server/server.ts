/**
 * The server (Redis's `struct redisServer`): the listeners, the databases, and the parts every
 * layer shares, each in its own file:
 *
 *   networking.ts  accept, read, write, free clients      dispatch.ts  processCommand / call
 *   watch.ts       WATCH registry                          blocking.ts  blocked clients
 *   cron.ts        serverCron (active expiry, sampling)    evict.ts     maxmemory eviction
 *   pubsub.ts      channels and patterns                   keyspace-events.ts  notifications
 *
 * Request path: socket bytes -> RequestParser -> Dispatcher.processCommand (lookup, arity, auth,
 * MULTI, pubsub context...) -> call (handler, stats, slowlog) -> reply into the client's
 * RespWriter -> one socket write per client per event-loop turn (Networking.flushPending).
 */
import type pino from 'pino';
import { applyOomScoreAdj, createPidFile, removePidFile } from './process-settings';
import { Config } from '../config/config';
import { ClientEviction } from './client-eviction';
import { ClientMemory } from './client-memory';
import type { Db, Engine, BulkValue, RedisValue } from '../engine/types';
import { toBuffer } from '../util/bytes';
import { Client, ClientFlag } from './client';
import { CommandTable } from '../commands/table';
import { createLogger, RedisLogLevel } from '../observability/logger';
import { PubSub } from './pubsub';
import { Keyspace } from './keyspace-events';
import { Blocking } from './blocking';
import { SlowLog } from '../observability/slowlog';
import { ALL_COMMANDS } from '../commands';
import { startMetricsServer } from '../observability/metrics';
import type http from 'http';
import { ServerClock } from './clock';
import { Lane } from './lane';
import { Dispatcher } from './dispatch';
import { Networking } from './networking';
import { WatchRegistry, type KeyState } from './watch';
import { Cron } from './cron';
import type { HeapTrim } from './heap-trim';
import { Propagator } from './propagate';
import { Aof } from '../persistence/aof';
import type { Command } from '../commands/table';
import { killBgsave } from '../persistence/bgsave';
import { Monitors } from './monitor';
import { ClientPause } from './pause';
import { Tracking } from './tracking';
import { LatencyMonitor } from '../observability/latency';
import { Listeners, ListenOptions } from './listeners';
import { Acl } from '../acl/acl';
import { setImmediate } from '../util/real-timers';

export { ServerClock } from './clock';

export const REDIS_VERSION = '7.0.15';
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const REDUST_VERSION: string = require('../../../package.json').version;

export interface ServerStats {
  startTime: number;
  connectionsReceived: number;
  commandsProcessed: number;
  /** Of commandsProcessed, those the fast lane ran (lane.ts; INFO stats redust_lane_commands). */
  laneCommands: number;
  rejectedConnections: number;
  expiredKeys: number;
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
  totalErrorReplies: number;
  /** INFO unexpected_error_replies: errors replied to the AOF-loading client (aof.ts). */
  unexpectedErrorReplies: number;
  /** INFO reply_buffer_shrinks / reply_buffer_expands (client-info.ts, the cron's reply-buffer resizing). */
  replyBufferShrinks: number;
  replyBufferExpands: number;
  /** INFO expired_time_cap_reached_count: active expire cycles stopped by their time budget. */
  expiredTimeCapReached: number;
  errorCodes: Map<string, number>;
  expiredStalePerc: number;
  /** INFO lazyfreed_objects (server/lazyfree.ts). */
  lazyfreedObjects: number;
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

/** WatchRegistry.touchKey's answer for a key just reclaimed (expired): not there. */
const KEY_GONE = (): boolean => false;

export class Server {
  readonly config: Config;
  readonly engine: Engine;
  readonly clock: ServerClock;
  readonly dbs: Db[] = [];
  readonly table = new CommandTable();
  readonly clients = new Map<number, Client>();
  /** The clients' buffers, counted in used_memory. */
  readonly clientMemory = new ClientMemory();
  /** maxmemory-clients (client-eviction.ts). */
  readonly clientEviction: ClientEviction;
  readonly logger: pino.Logger;
  readonly pubsub: PubSub;
  readonly keyspace: Keyspace;
  readonly blocking: Blocking;
  readonly slowlog: SlowLog;
  readonly stats: ServerStats;
  readonly watches = new WatchRegistry();
  readonly propagation = new Propagator();
  /** The append-only file (persistence/aof.ts); attached to propagation while appendonly is on. */
  readonly aof: Aof;
  readonly monitors = new Monitors(this);
  readonly pause = new ClientPause(this);
  readonly tracking = new Tracking(this);
  readonly latency = new LatencyMonitor(this);
  readonly dispatcher: Dispatcher;
  /** The fast lane for pipelined collection commands (lane.ts). */
  readonly lane: Lane;
  /** Users, permissions, ACL LOG (src/acl/acl.ts). */
  readonly acl: Acl;
  readonly net: Networking;
  readonly cron: Cron;
  /** The standalone server's idle young-generation trim (heap-trim.ts); null when embedded. */
  heapTrim: HeapTrim | null = null;
  readonly runId: string;
  readonly listeners = new Listeners(this);
  private metricsServer: http.Server | null = null;
  /** True once close() has begun: new connections are refused. */
  closing = false;
  /** True while the AOF replays at start (Redis's server.loading for what commands consult: checkAlreadyExpired). */
  loading = false;
  /**
   * True while an RDB load stores keys (at start, DEBUG RELOAD, a replica's sync): as Redis's
   * dbAddRDBLoad, a loaded key publishes no `new` event and wakes no blocked client.
   */
  rdbStoring = false;
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
  /**
   * A signal's pending shutdown (the CLI's SIGTERM/SIGINT: Redis's shutdown_asap), run by
   * serverCron (Cron.run, so DEBUG PAUSE-CRON holds it) and cancelled by SHUTDOWN ABORT. Under a
   * busy script it runs as soon as the script ends, before its caller's reply is written, which
   * Redis does not send either (serverCron's shutdown_asap exits before the next write).
   */
  shutdownAsap: (() => void) | null = null;
  /**
   * Work that must not run under a busy script that yielded to the event loop (MIGRATE's
   * deletions, blocked clients' timeouts...): run on the turn after it ends (after its reply and
   * propagation).
   */
  readonly afterScript: (() => void)[] = [];
  /**
   * Set while some commands must be refused (loading, MISCONF; src/persistence/bgsave.ts): called
   * by processCommand after the OOM check, returns the error text or null. Null when none applies.
   */
  commandGate: ((c: Client, cmd: Command, argv?: Buffer[]) => string | null) | null = null;

  constructor(config: Config, engine: Engine, opts: { logger?: pino.Logger; clock?: ServerClock } = {}) {
    this.config = config;
    this.engine = engine;
    engine.setLfuParams(config.int('lfu-log-factor'), config.int('lfu-decay-time'));
    engine.setListCompressDepth?.(config.int('list-compress-depth'));
    engine.useConfig?.(config);
    this.clock = opts.clock ?? new ServerClock();
    this.logger = opts.logger ?? createLogger({ level: config.str('loglevel') as RedisLogLevel });
    this.runId = randomHex(40);
    const now = this.clock.now();
    this.stats = {
      startTime: now,
      connectionsReceived: 0,
      commandsProcessed: 0,
      laneCommands: 0,
      rejectedConnections: 0,
      expiredKeys: 0,
      evictedKeys: 0,
      keyspaceHits: 0,
      keyspaceMisses: 0,
      netInputBytes: 0,
      netOutputBytes: 0,
      totalErrorReplies: 0,
      unexpectedErrorReplies: 0,
      replyBufferShrinks: 0,
      replyBufferExpands: 0,
      expiredTimeCapReached: 0,
      errorCodes: new Map(),
      expiredStalePerc: 0,
      lazyfreedObjects: 0,
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
    this.acl = new Acl(this);
    this.dispatcher = new Dispatcher(this);
    this.lane = new Lane(this);
    this.net = new Networking(this);
    this.clientEviction = new ClientEviction(this);
    this.clientEviction.refresh();
    this.cron = new Cron(this);
    this.aof = new Aof(this);
    this.pubsub = new PubSub(this);
    this.keyspace = new Keyspace(this);
    this.blocking = new Blocking(this);
    this.slowlog = new SlowLog(this);
  }

  authRequiredByDefault(): boolean {
    return this.acl.authRequiredByDefault();
  }

  /**
   * Start listening (TCP on each bind address, TLS, unix socket). Resolves with the TCP port (the
   * TLS port when TLS only). `announce` false: the caller logs readiness (after loading).
   */
  async listen(opts: ListenOptions = {}, announce = true): Promise<number> {
    await this.listeners.open(opts);
    const boundPort = this.listeners.port || this.listeners.tlsPort;
    if (this.listeners.port) this.config.set('port', this.listeners.port);
    if (this.listeners.tlsPort) this.config.set('tls-port', this.listeners.tlsPort);
    const metricsAddr = this.config.str('metrics-addr');
    if (metricsAddr) {
      this.metricsServer = await startMetricsServer(this, metricsAddr);
      this.logger.info({ addr: metricsAddr }, 'Prometheus metrics endpoint at /metrics');
    }
    this.cron.start();
    createPidFile(this);
    applyOomScoreAdj(this);
    if (announce) this.logger.info({ port: boundPort, engine: this.engine.name }, 'Ready to accept connections tcp');
    return boundPort;
  }

  /** Close listeners and every client. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.cron.stop();
    this.aof.disable(); // flushed and synced before clients go
    killBgsave(this);
    for (const c of [...this.clients.values()]) this.net.freeClient(c, false);
    await this.listeners.close();
    if (this.metricsServer) await new Promise<void>((r) => this.metricsServer!.close(() => r()));
    this.blocking.clear();
    removePidFile(this);
  }

  /** Count an error reply (INFO errorstats). Called by every client's writer. */
  countError(msg: string): void {
    this.stats.totalErrorReplies++;
    const sp = msg.indexOf(' ');
    const code = sp === -1 ? msg : msg.slice(0, sp);
    this.stats.errorCodes.set(code, (this.stats.errorCodes.get(code) ?? 0) + 1);
  }

  // ---------------------------------------------------------------- keyspace hooks

  /** keyState's "in the db at all" (WatchRegistry.touchKey's question); one function, not one per call. */
  private readonly keyExists = (dbIndex: number, key: BulkValue): boolean => this.keyState(this.dbs[dbIndex], toBuffer(key)) !== 'missing';

  /**
   * Whether `key` is in `db`, and whether its TTL has passed, WITHOUT reclaiming it (no event, no
   * deletion): dictFind + keyIsExpired, for WATCH and EXEC. The lookup runs with expiry paused
   * (Engine.setExpiryPaused). While loading, expiry is paused already and nothing counts as
   * expired (as keyIsExpired), so it must stay paused.
   */
  keyState(db: Db, key: Buffer): KeyState {
    if (this.loading) return db.getExpire(key) === -2 ? 'missing' : 'live';
    const at = this.asIs(() => db.getExpire(key));
    if (at === -2) return 'missing';
    return at >= 0 && this.clock.now() > at ? 'expired' : 'live';
  }

  /** `key`'s value as it is in `db` (dictFind): one whose TTL has passed too, not reclaimed. */
  peekAsIs(db: Db, key: Buffer): RedisValue | undefined {
    return this.asIs(() => db.get(key, true));
  }

  /**
   * Runs `f` with expiry paused (Engine.setExpiryPaused), so that it sees keys as they are and
   * reclaims none. While loading, expiry is paused already and must stay so; so must it inside
   * an outer asIs (a snapshot's early copy runs inside the lookup of a peekAsIs).
   */
  asIs<T>(f: () => T): T {
    if (this.loading || this.asIsDepth > 0) return f();
    this.engine.setExpiryPaused(true);
    this.asIsDepth++;
    try {
      return f();
    } finally {
      this.asIsDepth--;
      this.engine.setExpiryPaused(false);
    }
  }
  private asIsDepth = 0;

  /**
   * dbDelete: remove `key` as it is, one whose TTL has passed too, without reclaiming it first (no
   * `expired` event): what Redis's *STORE commands do to a destination their empty result deletes
   * (they never look the destination up). True when it was in the db.
   */
  dbDelete(db: Db, key: Buffer): boolean {
    return this.asIs(() => db.delete(key));
  }

  /**
   * signalModifiedKey (db.c): a key was modified; invalidate WATCH on it. The modification may
   * have deleted or replaced it: signalDeletedKeyAsReady, for the clients blocked on a stream
   * there (they look whether it was deleted or replaced: BlockSpec.replaced). `reclaimed`: the
   * key expired and was deleted (WATCH then takes it as gone, whatever the db holds by now).
   */
  signalModifiedKey(dbIndex: number, key: BulkValue, reclaimed = false): void {
    this.watches.touchKey(dbIndex, key, reclaimed ? KEY_GONE : this.keyExists);
    if (this.tracking.watching) this.tracking.invalidateKey(key);
    this.blocking.signalDeletedKeyAsReady(dbIndex, key);
  }

  /** dbAdd's side effects: the `new` event and waking clients blocked on the key. */
  private onNewKey(db: Db, key: Buffer): void {
    if (this.rdbStoring) return;
    if (this.keyspace.flags !== 0) this.keyspace.notify(db.index, 'new', key, 'n');
    this.blocking.signalKeyAsReady(db.index, key);
  }

  private onKeyExpired(db: Db, key: BulkValue): void {
    this.stats.expiredKeys++;
    this.propagateDeletion(db.index, key, this.config.bool('lazyfree-lazy-expire'));
    this.keyspace.notify(db.index, 'expired', key, 'x');
    // (The key is gone, as at Redis's touch after deleteExpiredKeyAndPropagate; the wasm engine
    // reports an expired key that a set() replaced once the new value is in.)
    this.signalModifiedKey(db.index, key, true);
  }

  /**
   * propagateDeletion: a key removed by expiry or eviction is propagated as DEL (UNLINK with the
   * lazyfree-lazy-expire / -eviction setting). Inside a script
   * it joins the script's effects (wrapped with them); otherwise it goes out at once, ahead of
   * the command that found it expired, as Redis 7.0 writes it.
   */
  propagateDeletion(dbIndex: number, key: BulkValue, lazy: boolean): void {
    const p = this.propagation;
    if (!p.active) return;
    const argv = [lazy ? 'UNLINK' : 'DEL', key];
    const cur = this.dispatcher.currentClient;
    if (cur !== null && (cur.flags & ClientFlag.SCRIPT) !== 0) p.alsoPropagate(dbIndex, argv);
    else p.propagateNow(dbIndex, argv);
  }

  /** Called by the scripting engine when the outermost script returns. */
  scriptFinished(): void {
    this.busyScript = null;
    if (this.afterScript.length > 0) {
      const jobs = this.afterScript.splice(0);
      setImmediate(() => {
        for (const job of jobs) job();
      });
    }
    if (this.shutdownAfterScript) {
      this.shutdownAfterScript = false;
      this.shutdown();
    } else if (this.shutdownAsap !== null) {
      const shutdown = this.shutdownAsap;
      this.shutdownAsap = null;
      shutdown();
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

  /** The engine was last given a finite memory headroom (maxmemory on). */
  memoryHeadroomSet = false;

  /** Engine.setMemoryHeadroom: maxmemory leaves `headroom` bytes (Infinity: maxmemory off). */
  setMemoryHeadroom(headroom: number): void {
    this.engine.setMemoryHeadroom?.(headroom);
    this.memoryHeadroomSet = headroom !== Infinity;
  }

  /**
   * used_memory: the engine's dataset bytes plus a fixed base, as Redis reports ~850 KB empty,
   * plus the clients' query and output buffers (client-memory.ts), which Redis counts too.
   */
  usedMemory(): number {
    const used = this.engine.usedMemory() + baseOverhead + this.clientMemory.total();
    if (used > this.peakMemory) this.peakMemory = used;
    return used;
  }

  resetStats(): void {
    const s = this.stats;
    s.connectionsReceived = 0;
    s.commandsProcessed = 0;
    s.laneCommands = 0;
    s.rejectedConnections = 0;
    s.expiredKeys = 0;
    s.evictedKeys = 0;
    this.clientEviction.evicted = 0;
    s.keyspaceHits = 0;
    s.keyspaceMisses = 0;
    s.netInputBytes = 0;
    s.netOutputBytes = 0;
    s.totalErrorReplies = 0;
    s.unexpectedErrorReplies = 0;
    s.replyBufferShrinks = 0;
    s.replyBufferExpands = 0;
    s.expiredTimeCapReached = 0;
    s.errorCodes.clear();
    s.expiredStalePerc = 0;
    s.lazyfreedObjects = 0;
    s.expireCycleCpuMs = 0;
    for (const cmd of this.table.allWithSubcommands()) {
      cmd.stats.calls = cmd.stats.usec = cmd.stats.rejectedCalls = cmd.stats.failedCalls = 0;
    }
    this.slowlog.reset();
    this.latency.resetHistograms();
    this.peakMemory = 0;
  }

  /** FLUSHDB of one db: WATCHers of keys that existed are invalidated, then the db is emptied. */
  flushDb(db: Db, lazy: boolean): void {
    this.watches.touchAllInDb(db.index, (k) => this.keyState(db, k));
    this.dirty(db.size());
    this.blocking.signalDeletedKeysInDb(db.index);
    this.tracking.onFlush();
    // emptyDbAsync: the whole table goes to the lazy-free thread, which counts every key.
    if (lazy) this.stats.lazyfreedObjects += db.size();
    db.clear(lazy);
  }

  /** SWAPDB: exchange two databases; clients keep their db number and so see the other data. */
  swapDbs(a: number, b: number): void {
    if (a === b) return;
    const da = this.dbs[a];
    const db = this.dbs[b];
    const inA = (k: Buffer) => this.keyState(da, k);
    const inB = (k: Buffer) => this.keyState(db, k);
    this.watches.touchAllInDb(a, inA, inB);
    this.watches.touchAllInDb(b, inB, inA);
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
}

const baseOverhead = 850_000;

function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}
