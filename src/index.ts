/**
 * Redust's public API: start a private Redis 7.0-compatible server inside a Node process.
 *
 *   import { RedustServer } from 'redust';
 *   const srv = await RedustServer.start({ port: 0 });
 *   // ... connect any Redis client to srv.url ...
 *   srv.advanceTime(60_000); // TTLs move without sleeping
 *   await srv.close();
 */
import { Config } from './config/config';
import { createEngine } from './engine';
import type { EngineName } from './engine/types';
import { Server, ServerClock } from './server/server';
import { createLogger, RedisLogLevel } from './observability/logger';
import { loadDataFromDisk } from './persistence/load';

export interface RedustOptions {
  /** TCP port; 0 picks a free one (default 0). */
  port?: number;
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Storage engine (default wasm). */
  engine?: EngineName;
  /** requirepass for the default user. */
  password?: string;
  /** Number of databases (default 16). */
  databases?: number;
  /** Log level; default 'warning' for embedded servers so test output stays quiet. */
  logLevel?: RedisLogLevel;
  /**
   * Persistence as the redust CLI has it (default false): load `dir/dbfilename` at start (or the
   * AOF with appendonly yes) and save on SHUTDOWN when save points are set. SAVE, DUMP and
   * RESTORE work either way, and `config: { appendonly: 'yes' }` starts the AOF by itself.
   */
  persistence?: boolean;
  /** Any other redis.conf setting by name, e.g. { 'notify-keyspace-events': 'KEA' }. */
  config?: Record<string, string | number | boolean>;
  /** rename-command as in redis.conf: { config: '' } removes CONFIG, { flushall: 'wipe' } renames it. */
  renameCommands?: Record<string, string>;
  /** Listen for TLS too (the tls-* settings of redis.conf; files are PEM paths). */
  tls?: RedustTlsOptions;
}

export interface RedustTlsOptions {
  /** TLS port; 0 (default) picks a free one. */
  port?: number;
  /** Also listen for plain TCP on `port` (default true). */
  tcp?: boolean;
  /** tls-cert-file, tls-key-file, tls-key-file-pass. */
  certFile: string;
  keyFile: string;
  keyFilePass?: string;
  /** tls-ca-cert-file / tls-ca-cert-dir: CAs that verify client certificates. */
  caCertFile?: string;
  caCertDir?: string;
  /** tls-auth-clients (default 'yes': a client certificate signed by the CA is required). */
  authClients?: 'yes' | 'no' | 'optional';
  /** tls-protocols, e.g. 'TLSv1.2 TLSv1.3'. */
  protocols?: string;
  /** tls-ciphers (TLS <= 1.2) and tls-ciphersuites (TLS 1.3). */
  ciphers?: string;
  ciphersuites?: string;
  preferServerCiphers?: boolean;
  sessionCaching?: boolean;
}

export class RedustServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly host: string,
    /** The TLS port (0 without TLS). */
    readonly tlsPort: number = 0,
  ) {}

  /** Start a server; resolves once it accepts connections. */
  static async start(opts: RedustOptions = {}): Promise<RedustServer> {
    // A runaway script in an embedded server would block the test process that owns it (its own
    // clients cannot send SCRIPT KILL through a blocked event loop): stop scripts after 60 s.
    // (An embedded server does not rename the process that owns it.)
    const overrides: Record<string, unknown> = { 'script-hard-time-limit': '60000', 'set-proc-title': 'no', ...(opts.config ?? {}) };
    overrides.port = opts.port ?? 0;
    overrides.bind = opts.host ?? '127.0.0.1';
    if (opts.engine) overrides.engine = opts.engine;
    if (opts.password !== undefined) overrides.requirepass = opts.password;
    if (opts.databases !== undefined) overrides.databases = opts.databases;
    const t = opts.tls;
    if (t) {
      const tlsSettings: Record<string, string | number | boolean | undefined> = {
        'tls-port': t.port,
        'tls-cert-file': t.certFile,
        'tls-key-file': t.keyFile,
        'tls-key-file-pass': t.keyFilePass,
        'tls-ca-cert-file': t.caCertFile,
        'tls-ca-cert-dir': t.caCertDir,
        'tls-auth-clients': t.authClients,
        'tls-protocols': t.protocols,
        'tls-ciphers': t.ciphers,
        'tls-ciphersuites': t.ciphersuites,
        'tls-prefer-server-ciphers': t.preferServerCiphers,
        'tls-session-caching': t.sessionCaching,
      };
      for (const [k, v] of Object.entries(tlsSettings)) if (v !== undefined) overrides[k] = v;
    }
    const level = opts.logLevel ?? 'warning';
    // 'nothing' (silence) is a logger level only: Redis 7.0's loglevel setting has no such value.
    overrides.loglevel = level === 'nothing' ? 'warning' : level;
    for (const [k, v] of Object.entries(overrides)) if (typeof v === 'number' || typeof v === 'boolean') overrides[k] = typeof v === 'boolean' ? v : String(v);
    const config = new Config(overrides);
    // (the redust command daemonizes; a server embedded in a process stays in it)
    if (config.bool('daemonize')) throw new Error("daemonize 'yes' is not supported by RedustServer.start: an embedded server runs in its host's process (the redust command daemonizes)");
    const engine = createEngine(config.str('engine') as EngineName);
    const server = new Server(config, engine, { logger: createLogger({ level, file: config.str('logfile') }), clock: new ServerClock() });
    for (const [from, to] of Object.entries(opts.renameCommands ?? {})) server.table.rename(from, to);
    server.acl.loadAtStartup([]);
    if (opts.persistence || config.bool('appendonly')) {
      try {
        loadDataFromDisk(server);
      } catch (e) {
        throw new Error(`Failed loading data at start: ${(e as Error).message}`);
      }
    }
    await server.listen(t ? { tlsAnyPort: true, tcp: t.tcp ?? true } : {});
    return new RedustServer(server, server.listeners.port, config.str('bind').split(/\s+/)[0], server.listeners.tlsPort);
  }

  /** rediss://host:tlsPort (with the password when one is set); '' without TLS. */
  get tlsUrl(): string {
    if (!this.tlsPort) return '';
    const pass = this.server.config.str('requirepass');
    return `rediss://${pass ? `:${encodeURIComponent(pass)}@` : ''}${this.host}:${this.tlsPort}`;
  }

  /** redis://host:port (with the password when one is set). */
  get url(): string {
    const pass = this.server.config.str('requirepass');
    return `redis://${pass ? `:${encodeURIComponent(pass)}@` : ''}${this.host}:${this.port}`;
  }

  /** The engine in use. */
  get engine(): EngineName {
    return this.server.engine.name;
  }

  /** The server's current time in ms (the wall clock plus any advanceTime offset). */
  now(): number {
    return this.server.clock.now();
  }

  /**
   * Move the server clock forward by `ms` milliseconds: keys whose TTL passes are expired
   * (lazily on access, and actively right now), TTL/PTTL and TIME reflect the new time.
   */
  advanceTime(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('advanceTime: ms must be a non-negative number');
    this.server.clock.advance(ms);
    // Expire everything now due, as repeated active-expire cycles would.
    const now = this.server.clock.now();
    for (const db of this.server.dbs) {
      // One full pass of the expires cursor; lazy expiry covers anything a pass misses.
      const rounds = Math.ceil(db.expiresSize() / 1000) + 1;
      for (let i = 0; i < rounds && db.expiresSize() > 0; i++) db.activeExpireCycle(now, 1000);
    }
    this.server.dispatcher.afterCommand();
    this.server.net.flushPending();
  }

  /** Stop listening and disconnect every client. */
  async close(): Promise<void> {
    await this.server.close();
  }

  /** The internal server (unstable API, for tools and tests). */
  get internal(): Server {
    return this.server;
  }
}

export type { EngineName } from './engine/types';

