/**
 * TLS (Redis's tls.c): the tls-* settings turned into a Node `tls` secure context, and the TLS
 * listeners. A TLS connection, once its handshake is done, is handed to the same accept path as a
 * TCP one (Networking.accept): maxclients, protected mode, the parser and the reply writer do not
 * know the difference. TLS sockets are read through socket-reader.ts's `onread` path like TCP
 * ones (Node's TLSWrap handle decrypts into the shared read buffer; REDUST_STREAM_READS=1 falls
 * back to 'data' events). Their handle's fd is the raw TCP socket, whose bytes are encrypted, so
 * the busy-script reader must not read it: Client.fd is -1 for them, and during a busy script
 * they are served after it.
 *
 * Settings (Redis 7.0 meanings):
 *   tls-cert-file, tls-key-file, tls-key-file-pass   server certificate, key, key passphrase
 *   tls-ca-cert-file, tls-ca-cert-dir                CAs that verify client certificates
 *   tls-auth-clients yes|no|optional                 client certificate required / not asked /
 *                                                    asked, and checked when given
 *   tls-protocols "TLSv1.2 TLSv1.3"                  allowed versions (default: both)
 *   tls-ciphers, tls-ciphersuites                    TLS <= 1.2 cipher list, TLS 1.3 suites
 *   tls-prefer-server-ciphers                        server's cipher order wins
 *   tls-session-caching, -cache-timeout              session resumption (tickets) on/off, lifetime
 *   tls-dh-params-file                               DH parameters for DHE ciphers
 *
 * Invariants: a configuration is validated by building a full secure context before it is
 * applied (startup fails, CONFIG SET is refused, and the running context is kept, when it does not
 * build); CONFIG SET of any tls-* file or option replaces the context of every TLS listener, for
 * new connections only, as Redis's tlsConfigure does.
 */
import fs from 'fs';
import path from 'path';
import tls from 'tls';
import crypto from 'crypto';
import type { Config } from '../config/config';

export const TLS_SETTINGS = [
  'tls-cert-file',
  'tls-key-file',
  'tls-key-file-pass',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
  'tls-auth-clients',
  'tls-protocols',
  'tls-ciphers',
  'tls-ciphersuites',
  'tls-prefer-server-ciphers',
  'tls-session-caching',
  'tls-session-cache-size',
  'tls-session-cache-timeout',
  'tls-dh-params-file',
] as const;

export interface TlsServerSettings {
  context: tls.SecureContextOptions;
  requestCert: boolean;
  rejectUnauthorized: boolean;
  /** tls-auth-clients optional: a client that sends a certificate must send a valid one. */
  optional: boolean;
}

/** Read any value as the config file would give it (a setting map for CONFIG SET previews). */
type Get = (name: string) => string;

function readFile(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`Failed to load ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** tls-protocols: "TLSv1.2 TLSv1.3" (any order, case-insensitive) to Node's min/max versions. */
export function protocolRange(text: string): { minVersion: tls.SecureVersion; maxVersion: tls.SecureVersion } {
  const names = text.trim() === '' ? ['tlsv1.2', 'tlsv1.3'] : text.trim().toLowerCase().split(/\s+/);
  const order: tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  const idx: number[] = [];
  for (const n of names) {
    const i = order.findIndex((o) => o.toLowerCase() === n);
    if (i < 0) throw new Error(`Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.`);
    idx.push(i);
  }
  return { minVersion: order[Math.min(...idx)], maxVersion: order[Math.max(...idx)] };
}

/** PEM certificates of every file in tls-ca-cert-dir (OpenSSL's hashed-dir layout or plain .pem/.crt files). */
function caDir(dir: string): Buffer[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw new Error(`Failed to configure CA certificate(s) file/directory: ${dir}: ${(e as NodeJS.ErrnoException).code ?? ''}`);
  }
  const out: Buffer[] = [];
  for (const n of names.sort()) {
    const p = path.join(dir, n);
    try {
      if (!fs.statSync(p).isFile()) continue;
      const b = fs.readFileSync(p);
      if (b.includes('-----BEGIN CERTIFICATE-----')) out.push(b);
    } catch {
      /* unreadable entries are skipped, as OpenSSL's lookup does */
    }
  }
  return out;
}

/** Node's default TLS 1.3 suites (kept when only tls-ciphers is set, so TLS 1.3 stays enabled). */
function defaultSuites(): string {
  return tls.DEFAULT_CIPHERS.split(':')
    .filter((s) => s.startsWith('TLS_'))
    .join(':');
}

/** Build (and validate) the server-side TLS options from the settings. Throws Error(reason). */
export function tlsServerSettings(get: Get): TlsServerSettings {
  const certFile = get('tls-cert-file');
  const keyFile = get('tls-key-file');
  if (!certFile) throw new Error('No tls-cert-file configured!');
  if (!keyFile) throw new Error('No tls-key-file configured!');
  const ctx: tls.SecureContextOptions = {
    cert: readFile(certFile, 'certificate'),
    key: readFile(keyFile, 'private key'),
    ...protocolRange(get('tls-protocols')),
  };
  const pass = get('tls-key-file-pass');
  if (pass) ctx.passphrase = pass;
  const ca: Buffer[] = [];
  if (get('tls-ca-cert-file')) ca.push(readFile(get('tls-ca-cert-file'), 'CA certificate(s) file'));
  if (get('tls-ca-cert-dir')) ca.push(...caDir(get('tls-ca-cert-dir')));
  const auth = get('tls-auth-clients');
  if (ca.length === 0 && auth !== 'no') throw new Error('Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!');
  if (ca.length > 0) ctx.ca = ca;
  const ciphers = get('tls-ciphers');
  const suites = get('tls-ciphersuites');
  if (ciphers || suites) ctx.ciphers = [suites || defaultSuites(), ciphers || tls.DEFAULT_CIPHERS.split(':').filter((s) => !s.startsWith('TLS_')).join(':')].join(':');
  ctx.honorCipherOrder = get('tls-prefer-server-ciphers') === 'yes';
  if (get('tls-session-caching') === 'yes') {
    ctx.sessionTimeout = Number(get('tls-session-cache-timeout'));
  } else {
    ctx.secureOptions = crypto.constants.SSL_OP_NO_TICKET;
  }
  if (get('tls-dh-params-file')) ctx.dhparam = readFile(get('tls-dh-params-file'), 'DH params file');
  // Building the context checks that the key matches the certificate, the passphrase, the cipher
  // names and the protocol range.
  try {
    tls.createSecureContext(ctx);
  } catch (e) {
    throw new Error(`Failed to configure TLS: ${(e as Error).message}`);
  }
  return { context: ctx, requestCert: auth !== 'no', rejectUnauthorized: auth === 'yes', optional: auth === 'optional' };
}

/** The settings of a running Config (text as CONFIG GET prints it). */
export function configGetter(config: Config, overrides: Map<string, string> = new Map()): Get {
  return (name) => overrides.get(name) ?? config.text(name);
}

/**
 * A TLS listener: `onSecure` gets each connection once its handshake succeeded. Handshake
 * failures (no client certificate under tls-auth-clients yes, wrong CA, protocol mismatch) close
 * the connection and are logged at verbose level, as Redis logs "Error accepting a client connection".
 */
export class TlsListener {
  readonly server: tls.Server;
  private settings: TlsServerSettings;

  constructor(settings: TlsServerSettings, onSecure: (sock: tls.TLSSocket) => void, onHandshakeError: (err: Error, sock: tls.TLSSocket) => void) {
    this.settings = settings;
    this.server = tls.createServer({ ...settings.context, requestCert: settings.requestCert, rejectUnauthorized: settings.rejectUnauthorized, noDelay: true }, (sock) => {
      // optional: Node could not fail the handshake on a bad certificate without failing it on
      // a missing one too, so a client that sent an unverifiable certificate is closed here.
      if (this.settings.optional && !sock.authorized && sock.getPeerCertificate() && Object.keys(sock.getPeerCertificate()).length > 0) {
        onHandshakeError(new Error(String(sock.authorizationError)), sock);
        sock.destroy();
        return;
      }
      onSecure(sock);
    });
    this.server.on('tlsClientError', (err, sock) => onHandshakeError(err, sock));
  }

  /** Replace the context for new connections (CONFIG SET tls-*). */
  update(settings: TlsServerSettings): void {
    this.settings = settings;
    this.server.setSecureContext(settings.context);
    const s = this.server as unknown as { requestCert: boolean; rejectUnauthorized: boolean };
    s.requestCert = settings.requestCert;
    s.rejectUnauthorized = settings.rejectUnauthorized;
  }
}
