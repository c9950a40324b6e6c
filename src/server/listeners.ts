/**
 * The server's listening sockets (Redis's listenToPort / TLS listener / unix socket): one TCP
 * listener per bind address (IPv4 and IPv6 alike), the same for TLS on tls-port, and the unix
 * socket. Every accepted connection goes to Networking.accept.
 *
 * Rules (Redis 7.0):
 * - bind: "*" is every IPv4 address, "::*" every IPv6 one (IPv6 sockets are IPv6-only, as Redis
 *   sets IPV6_V6ONLY); a "-" prefix makes an address optional: when it is not available
 *   (EADDRNOTAVAIL) it is skipped with a log line. An address family the host lacks is skipped
 *   whether optional or not. An empty bind list means no TCP (nor TLS) listener.
 * - `port 0` with a tls-port: no plain TCP listener, TLS only. At start-up Redust keeps its own
 *   meaning of `port 0` (a free port) when no tls-port is set, so embedded and test servers still
 *   work; CONFIG SET port 0 closes the TCP listeners, as in Redis.
 * - unixsocket: a stale file at the path is removed before binding (anetUnixServer unlinks it)
 *   and the socket is removed on close; unixsocketperm (octal) is applied with chmod.
 * - With nothing to listen on, start-up fails ("Configured to not listen anywhere").
 * - CONFIG SET port / tls-port / bind (change): the listeners that stay the same are kept, the
 *   others closed, the new ones bound synchronously (tcp-bind.ts); when one fails, the new ones
 *   are closed and the old ones bound again, and the change throws (CONFIG SET then fails and
 *   rolls back). Accepted connections never depend on their listener and stay open.
 */
import dns from 'dns';
import fs from 'fs';
import net from 'net';
import type { Server } from './server';
import { TlsListener, tlsServerSettings, configGetter, type TlsServerSettings } from './tls';
import { ListenError, listenSync, syncListenAvailable } from './tcp-bind';
import { strerror } from '../util/errno';

export interface ListenOptions {
  /** Listen for TLS on a free port even when tls-port is 0 (the embedding API's default). */
  tlsAnyPort?: boolean;
  /** Open the plain TCP listener (default: unless port is 0 and TLS is on). */
  tcp?: boolean;
}

/** One bind address: as configured (without "-"), the IP it binds, optional or not. */
interface BindAddr {
  name: string;
  ip: string;
  optional: boolean;
}

/** One listening socket. */
interface Listening {
  addr: BindAddr;
  port: number;
  srv: net.Server;
  tls: TlsListener | null;
}

/** A listener bindSteps asks its driver to bind: ip (a literal) on port. */
interface BindStep {
  srv: net.Server;
  ip: string;
  port: number;
}

/** What the TCP and TLS listeners are made from (CONFIG SET changes it). */
export interface ListenTarget {
  port: number;
  tlsPort: number;
  bind: string;
}

/** Errors that skip an address even when it is not optional (listenToPort). */
const FAMILY_MISSING = new Set(['ENOPROTOOPT', 'EPROTONOSUPPORT', 'ESOCKTNOSUPPORT', 'EPFNOSUPPORT', 'EAFNOSUPPORT']);

/** Parse a bind list: names are kept as they are (resolved at start-up, see resolve). */
export function parseBind(bind: string): BindAddr[] {
  return bind
    .split(/\s+/)
    .filter(Boolean)
    .map((h) => {
      const name = h.replace(/^-/, '');
      return { name, ip: name === '*' ? '0.0.0.0' : name === '::*' ? '::' : name, optional: h.startsWith('-') };
    });
}

export class Listeners {
  private tcp: Listening[] = [];
  private tls: Listening[] = [];
  private unix: net.Server | null = null;
  private unixPath = '';
  port = 0;
  tlsPort = 0;

  constructor(private readonly server: Server) {}

  private makeTcp(): net.Server {
    return net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => this.server.net.accept(sock));
  }

  private makeTls(settings: TlsServerSettings): TlsListener {
    const server = this.server;
    return new TlsListener(
      settings,
      (sock) => server.net.accept(sock),
      (err, sock) => server.logger.debug({ client: `${sock.remoteAddress}:${sock.remotePort}` }, `Error accepting a client connection: ${err.message}`),
    );
  }

  /** Listen on one address through net.Server.listen (start-up on a Node without tcp-bind.ts). */
  private async listenAsync(srv: net.Server, ip: string, port: number): Promise<void> {
    const backlog = this.server.config.int('tcp-backlog');
    await new Promise<void>((resolve, reject) => {
      // Node names every failure here 'listen' (libuv defers bind's EADDRINUSE to listen); as
      // listenSync, they are bind's, as anetListen reports them, but what only listen(2) fails with.
      const failed = (e: NodeJS.ErrnoException) => reject(new ListenError(e.code ?? 'EINVAL', e.code === 'EOPNOTSUPP' ? 'listen' : 'bind'));
      srv.once('error', failed);
      srv.listen({ port, host: ip, backlog, ipv6Only: ip.includes(':') }, () => {
        srv.off('error', failed);
        resolve();
      });
    });
  }

  /**
   * The one loop that binds every address (IP literals) on `port` (0: a free port, the one the
   * first address got for the others). It yields each listener to bind to its driver, which
   * listens synchronously (bindAllSync) or asynchronously (bindAll on a Node without
   * tcp-bind.ts) and resumes it with next() or, on failure, throw(): a failure listenToPort
   * skips is logged and skipped, any other closes what was bound and ends the loop with it.
   */
  private *bindSteps(addrs: BindAddr[], port: number, what: string, make: () => { srv: net.Server; tls: TlsListener | null }): Generator<BindStep, Listening[], void> {
    const out: Listening[] = [];
    let bound = port;
    for (const addr of addrs) {
      const l = make();
      l.srv.maxConnections = this.server.config.int('maxclients') + 32;
      try {
        yield { srv: l.srv, ip: addr.ip, port: bound };
      } catch (e) {
        if (this.skip(e, addr, bound, what)) continue;
        for (const o of out) o.srv.close();
        throw e;
      }
      bound = (l.srv.address() as net.AddressInfo).port;
      out.push({ addr, port: bound, ...l });
    }
    return out;
  }

  /** bindSteps driven synchronously (tcp-bind.ts): CONFIG SET knows the outcome before it replies. Throws on a fatal failure. */
  private bindAllSync(addrs: BindAddr[], port: number, what: string, make: () => { srv: net.Server; tls: TlsListener | null }): Listening[] {
    const steps = this.bindSteps(addrs, port, what, make);
    const backlog = this.server.config.int('tcp-backlog');
    let r = steps.next();
    while (!r.done) {
      let failure: unknown = null;
      try {
        listenSync(r.value.srv, r.value.ip, r.value.port, backlog);
      } catch (e) {
        failure = e;
      }
      r = failure === null ? steps.next() : steps.throw(failure);
    }
    return r.value;
  }

  /** listenToPort's rule for a failed address: logged, then skipped (true) or fatal (false). */
  private skip(e: unknown, addr: BindAddr, port: number, what: string): boolean {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    this.server.logger.warn(`Warning: Could not create server ${what} listening socket ${addr.name}:${port}: ${e instanceof ListenError ? e.message : `${(e as NodeJS.ErrnoException).syscall ?? 'bind'}: ${strerror(e)}`}`);
    return (code === 'EADDRNOTAVAIL' && addr.optional) || FAMILY_MISSING.has(code);
  }

  /**
   * The start-up bind: names resolved first, then bindSteps driven synchronously, or through
   * net.Server.listen on a Node without tcp-bind.ts (REDUST_ASYNC_LISTEN=1 forces that path, so
   * the tests run it).
   */
  private async bindAll(addrs: BindAddr[], port: number, what: string, make: () => { srv: net.Server; tls: TlsListener | null }): Promise<Listening[]> {
    for (const a of addrs) if (net.isIP(a.ip) === 0) a.ip = (await dns.promises.lookup(a.ip)).address;
    if (syncListenAvailable && process.env.REDUST_ASYNC_LISTEN !== '1') return this.bindAllSync(addrs, port, what, make);
    const steps = this.bindSteps(addrs, port, what, make);
    let r = steps.next();
    while (!r.done) {
      let failure: unknown = null;
      try {
        await this.listenAsync(r.value.srv, r.value.ip, r.value.port);
      } catch (e) {
        failure = e;
      }
      r = failure === null ? steps.next() : steps.throw(failure);
    }
    return r.value;
  }

  async open(opts: ListenOptions = {}): Promise<void> {
    const config = this.server.config;
    const port = config.int('port');
    const wantTls = config.int('tls-port') > 0 || opts.tlsAnyPort === true;
    const addrs = parseBind(config.str('bind'));
    const wantTcp = (opts.tcp ?? !(port === 0 && wantTls)) && addrs.length > 0;
    const unixPath = config.str('unixsocket');
    if (!wantTcp && !(wantTls && addrs.length > 0) && !unixPath) throw new Error('Configured to not listen anywhere, exiting.');
    // Redis configures TLS when tls-replication or tls-cluster asks for it even with no tls-port:
    // the same files must be there and valid (the context is for outgoing links Redust never makes).
    if (!wantTls && (config.bool('tls-replication') || config.bool('tls-cluster'))) tlsServerSettings(configGetter(config));
    try {
      if (wantTcp) {
        this.tcp = await this.bindAll(addrs, port, 'TCP', () => ({ srv: this.makeTcp(), tls: null }));
        this.port = this.tcp[0]?.port ?? port;
      }
      if (wantTls) {
        const settings = tlsServerSettings(configGetter(config));
        this.tls = await this.bindAll(addrs, config.int('tls-port'), 'TLS', () => {
          const l = this.makeTls(settings);
          return { srv: l.server, tls: l };
        });
        this.tlsPort = this.tls[0]?.port ?? config.int('tls-port');
      }
      if (unixPath) await this.openUnix(unixPath);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /**
   * CONFIG SET port / tls-port / bind: listen as `next` says (see the header). `tlsChanges` are
   * the tls-* settings of the same CONFIG SET (a new TLS listener uses them). Throws (after
   * logging why) when an address cannot be bound, with every listener as it was.
   */
  change(next: ListenTarget, tlsChanges: Map<string, string>): void {
    const addrs = parseBind(next.bind);
    // No synchronous name resolution: a name binds the address it got at start-up, if it was
    // in the bind list then, else fails (as an invalid address).
    const known = new Map([...this.tcp, ...this.tls].map((l) => [l.addr.name, l.addr.ip]));
    for (const a of addrs) if (net.isIP(a.ip) === 0) a.ip = known.get(a.name) ?? '';
    const key = (a: BindAddr, port: number) => `${a.ip}|${port}`;
    const plan = (cur: Listening[], port: number) => {
      const want = port === 0 ? [] : addrs;
      const wantKeys = new Set(want.map((a) => key(a, port)));
      const keep = cur.filter((l) => wantKeys.has(key(l.addr, l.port)));
      const drop = cur.filter((l) => !keep.includes(l));
      const keptKeys = new Set(keep.map((l) => key(l.addr, l.port)));
      return { keep, drop, add: want.filter((a) => !keptKeys.has(key(a, port))) };
    };
    const tcp = plan(this.tcp, next.port);
    const tls = plan(this.tls, next.tlsPort);
    let settings: TlsServerSettings | null = null;
    if (tls.add.length > 0) settings = tlsServerSettings(configGetter(this.server.config, tlsChanges));
    // Close first: a new address may overlap one that goes (0.0.0.0 and 127.0.0.1 on one port).
    for (const l of [...tcp.drop, ...tls.drop]) l.srv.close();
    let addedTcp: Listening[] = [];
    try {
      addedTcp = this.bindAllSync(tcp.add, next.port, 'TCP', () => ({ srv: this.makeTcp(), tls: null }));
      const addedTls = this.bindAllSync(tls.add, next.tlsPort, 'TLS', () => {
        const l = this.makeTls(settings!);
        return { srv: l.server, tls: l };
      });
      this.tcp = [...tcp.keep, ...addedTcp];
      this.tls = [...tls.keep, ...addedTls];
    } catch (e) {
      for (const l of addedTcp) l.srv.close();
      this.restore(tcp.drop, tls.drop);
      throw e;
    }
    this.port = next.port;
    this.tlsPort = next.tlsPort;
  }

  /** After a failed change: listen again where the closed listeners did (logged when impossible). */
  private restore(tcpDropped: Listening[], tlsDropped: Listening[]): void {
    const again = (l: Listening, make: () => { srv: net.Server; tls: TlsListener | null }): Listening[] => {
      const n = make();
      n.srv.maxConnections = this.server.config.int('maxclients') + 32;
      try {
        listenSync(n.srv, l.addr.ip, l.port, this.server.config.int('tcp-backlog'));
        return [{ addr: l.addr, port: l.port, ...n }];
      } catch (e) {
        this.server.logger.warn(`Failed listening again on ${l.addr.name}:${l.port} after a failed configuration change: ${(e as Error).message}`);
        return [];
      }
    };
    this.tcp = this.tcp.flatMap((l) => (tcpDropped.includes(l) ? again(l, () => ({ srv: this.makeTcp(), tls: null })) : [l]));
    if (tlsDropped.length === 0) return;
    // (the configuration is still the old one: the CONFIG SET failed before applying anything)
    const settings = tlsServerSettings(configGetter(this.server.config));
    this.tls = this.tls.flatMap((l) =>
      tlsDropped.includes(l)
        ? again(l, () => {
            const t = this.makeTls(settings);
            return { srv: t.server, tls: t };
          })
        : [l],
    );
  }

  private async openUnix(file: string): Promise<void> {
    try {
      fs.unlinkSync(file);
    } catch {
      /* no stale socket */
    }
    const srv = net.createServer({ pauseOnConnect: true }, (sock) => this.server.net.accept(sock));
    srv.maxConnections = this.server.config.int('maxclients') + 32;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ path: file, backlog: this.server.config.int('tcp-backlog') }, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    this.unix = srv;
    this.unixPath = file;
    const perm = this.server.config.int('unixsocketperm');
    if (perm !== 0) fs.chmodSync(file, perm);
  }

  /**
   * CONFIG SET of tls-* settings: validate the new values (with `changes` applied) by building a
   * context; returns what gives it to every TLS listener (called once nothing else can fail).
   * Throws when the configuration does not build; without TLS listeners only the validation of
   * complete settings happens (as Redis, which configures TLS whenever a certificate is set).
   */
  prepareTls(changes: Map<string, string>): () => void {
    const get = configGetter(this.server.config, changes);
    // (a tls-port set from 0 needs the context as well: Redis's applyTLSPort configures TLS first)
    if (this.tls.length === 0 && !get('tls-cert-file') && Number(get('tls-port')) === 0) return () => {};
    const settings = tlsServerSettings(get);
    return () => {
      for (const l of this.tls) l.tls!.update(settings);
    };
  }

  /** The TCP (or TLS) addresses listened on, as "host:port" ("[host]:port" for IPv6). */
  addresses(kind: 'tcp' | 'tls'): string[] {
    return (kind === 'tcp' ? this.tcp : this.tls).map(({ addr, port }) => (addr.ip.includes(':') ? `[${addr.ip}]:${port}` : `${addr.ip}:${port}`));
  }

  get tlsActive(): boolean {
    return this.tls.length > 0;
  }

  async close(): Promise<void> {
    const all = [...this.tcp.map((l) => l.srv), ...this.tls.map((l) => l.srv), ...(this.unix ? [this.unix] : [])];
    await Promise.all(all.map((l) => new Promise<void>((r) => l.close(() => r()))));
    if (this.unixPath) {
      try {
        fs.unlinkSync(this.unixPath);
      } catch {
        /* already gone */
      }
    }
    this.tcp = [];
    this.tls = [];
    this.unix = null;
    this.unixPath = '';
  }
}
