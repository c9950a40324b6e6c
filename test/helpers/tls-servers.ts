/**
 * TLS test servers: a real redis-server with TLS (same certificates as Redust's), and helpers to
 * open TLS connections and run redis-cli without blocking the event loop (the embedded server
 * lives in the test process).
 */
import { spawn, execFile, ChildProcess } from 'child_process';
import fs from 'fs';
import tls from 'tls';
import type { TestCerts } from './certs';
import { freePort } from './servers';

export interface TlsReference {
  port: number;
  tlsPort: number;
  stop(): Promise<void>;
}

export async function startTlsReference(certs: TestCerts, extra: string[] = []): Promise<TlsReference> {
  const port = await freePort();
  const tlsPort = await freePort();
  const dir = fs.mkdtempSync('/tmp/redust-ref-tls-');
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port', String(port), '--tls-port', String(tlsPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
      '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.caCert,
      '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning', ...extra,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await cli(['-p', String(port), 'PING']);
    if (r.stdout.trim() === 'PONG') break;
    if (Date.now() > deadline) throw new Error('redis-server (TLS) did not start');
    await new Promise((res) => setTimeout(res, 30));
  }
  return {
    port,
    tlsPort,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** redis-cli, asynchronously (never execFileSync: the server under test shares this event loop). */
export function cli(args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile('redis-cli', args, { timeout: 10000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

export function tlsCliArgs(certs: TestCerts, port: number, withCert = true): string[] {
  return ['--tls', '--cacert', certs.caCert, ...(withCert ? ['--cert', certs.clientCert, '--key', certs.clientKey] : []), '-p', String(port)];
}

/** A TLS connection; resolves after the handshake, or rejects with its error. */
export function tlsConnect(port: number, opts: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Connect, send `payload`, and return everything read until the server closes (or `ms`). */
export function tlsExchange(port: number, opts: tls.ConnectionOptions, payload: string, ms = 3000): Promise<{ data: string; error: string }> {
  return new Promise((resolve) => {
    let data = '';
    let error = '';
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...opts }, () => s.write(payload));
    const t = setTimeout(() => s.destroy(), ms);
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', (e) => (error = (e as NodeJS.ErrnoException).code ?? e.message));
    s.on('close', () => {
      clearTimeout(t);
      resolve({ data, error });
    });
  });
}
