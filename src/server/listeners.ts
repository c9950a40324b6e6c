/**
 * The server's listening sockets (Redis's listenToPort / TLS listener / unix socket): one TCP
 * listener per bind address (IPv4 and IPv6 alike; a "-" prefix makes an address optional, as in
 * Redis: failing to bind it is logged and skipped), the same for TLS on tls-port, and the unix
 * socket. Every accepted connection goes to Networking.accept.
 *
 * Rules (Redis 7.0):
 * - `port 0` with a tls-port: no plain TCP listener, TLS only. Redust keeps its own meaning of
 *   `port 0` (a free port) when no tls-port is set, so embedded and test servers still work.
 * - unixsocket: a stale file at the path is removed before binding (anetUnixServer unlinks it)
 *   and the socket is removed on close; unixsocketperm (octal) is applied with chmod.
 * - With nothing to listen on, start-up fails ("Configured to not listen anywhere").
 */
import fs from 'fs';
import net from 'net';
import type { Server } from './server';
import { TlsListener, tlsServerSettings, configGetter } from './tls';

export interface ListenOptions {
  /** Listen for TLS on a free port even when tls-port is 0 (the embedding API's default). */
  tlsAnyPort?: boolean;
  /** Open the plain TCP listener (default: unless port is 0 and TLS is on). */
  tcp?: boolean;
}

export class Listeners {
  private tcp: net.Server[] = [];
  private tls: TlsListener[] = [];
  private unix: net.Server | null = null;
  private unixPath = '';
  port = 0;
  tlsPort = 0;

  constructor(private readonly server: Server) {}

  private binds(): { host: string; optional: boolean }[] {
    const list = this.server.config.str('bind').split(/\s+/).filter(Boolean);
    return (list.length ? list : ['127.0.0.1']).map((h) => {
      const host = h.replace(/^-/, '');
      // Redis: "*" is every IPv4 address, "::*" every IPv6 one.
      return { host: host === '*' ? '0.0.0.0' : host === '::*' ? '::' : host, optional: h.startsWith('-') };
    });
  }

  private async bindAll(make: () => net.Server, port: number, what: string): Promise<{ servers: net.Server[]; port: number }> {
    const servers: net.Server[] = [];
    let bound = port;
    for (const { host, optional } of this.binds()) {
      const srv = make();
      srv.maxConnections = this.server.config.int('maxclients') + 32;
      try {
        await new Promise<void>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen({ port: bound, host, backlog: this.server.config.int('tcp-backlog'), ipv6Only: host.includes(':') }, () => {
            srv.off('error', reject);
            resolve();
          });
        });
      } catch (e) {
        if (optional) {
          this.server.logger.warn(`Could not create server ${what} listening socket ${host}:${bound}: ${(e as Error).message} (optional address, skipped)`);
          continue;
        }
        for (const s of servers) s.close();
        throw e;
      }
      bound = (srv.address() as net.AddressInfo).port;
      servers.push(srv);
    }
    return { servers, port: bound };
  }

  async open(opts: ListenOptions = {}): Promise<void> {
    const config = this.server.config;
    const server = this.server;
    const port = config.int('port');
    const wantTls = config.int('tls-port') > 0 || opts.tlsAnyPort === true;
    const wantTcp = opts.tcp ?? !(port === 0 && wantTls);
    const unixPath = config.str('unixsocket');
    if (!wantTcp && !wantTls && !unixPath) throw new Error('Configured to not listen anywhere, exiting.');
    // Redis configures TLS when tls-replication or tls-cluster asks for it even with no tls-port:
    // the same files must be there and valid (the context is for outgoing links Redust never makes).
    if (!wantTls && (config.bool('tls-replication') || config.bool('tls-cluster'))) tlsServerSettings(configGetter(config));
    try {
      if (wantTcp) {
        const r = await this.bindAll(() => net.createServer({ noDelay: true, pauseOnConnect: true }, (sock) => server.net.accept(sock)), port, 'TCP');
        this.tcp = r.servers;
        this.port = r.port;
      }
      if (wantTls) {
        const settings = tlsServerSettings(configGetter(config));
        const listeners: TlsListener[] = [];
        const r = await this.bindAll(
          () => {
            const l = new TlsListener(
              settings,
              (sock) => server.net.accept(sock),
              (err, sock) => server.logger.debug({ client: `${sock.remoteAddress}:${sock.remotePort}` }, `Error accepting a client connection: ${err.message}`),
            );
            listeners.push(l);
            return l.server;
          },
          config.int('tls-port'),
          'TLS',
        );
        this.tls = listeners.filter((l) => r.servers.includes(l.server));
        this.tlsPort = r.port;
      }
      if (unixPath) await this.openUnix(unixPath);
    } catch (e) {
      await this.close();
      throw e;
    }
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
   * context, then give it to every TLS listener. Throws when the configuration does not build;
   * without TLS listeners only the validation of complete settings happens (as Redis, which
   * configures TLS whenever a certificate is set).
   */
  reconfigureTls(changes: Map<string, string>): void {
    const get = configGetter(this.server.config, changes);
    if (this.tls.length === 0 && !get('tls-cert-file')) return;
    const settings = tlsServerSettings(get);
    for (const l of this.tls) l.update(settings);
  }

  get tlsActive(): boolean {
    return this.tls.length > 0;
  }

  async close(): Promise<void> {
    const all = [...this.tcp, ...this.tls.map((l) => l.server), ...(this.unix ? [this.unix] : [])];
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
