/**
 * CONFIG SET port / bind at run time (Redis 7.0's changeListenPort / changeBindAddr): the same
 * program runs against Redust (each engine) and a real redis-server, and the transcripts of
 * replies and connection attempts must be equal. It moves to a free port (new connections
 * there, the old port closed, the old connection still served), fails on a port in use (Redis's
 * error, the other settings of that CONFIG SET rolled back, the old port still listening), fails
 * on an invalid address, and empties the bind list (no TCP listener) and sets it again; also a
 * failing CONFIG SET port inside MULTI; tls-port the same way over TLS. The default bind ("* -::*" for the command-line server)
 * and CONFIG REWRITE of it are checked on bin/redust.js against redis-server too.
 */
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { spawn } from 'child_process';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, haveRedisServer, startCli, startRedust, startReference } from './helpers/servers';
import { RawConnection, type Arg } from './helpers/raw';
import { makeTestCerts, type TestCerts } from './helpers/certs';
import { startTlsReference, tlsConnect } from './helpers/tls-servers';
import type { RespNode } from '../src/protocol/resp-reader';

const HAVE_REF = haveRedisServer();

/** A reply as a line of the transcript (ports replaced by names, so servers compare). */
function show(n: RespNode, ports: Map<number, string>): string {
  const sub = (s: string) => s.replace(/\d{2,5}/g, (d) => ports.get(Number(d)) ?? d);
  switch (n.t) {
    case 'simple':
    case 'error':
      return `${n.t} ${sub(n.v)}`;
    case 'bulk':
      return `bulk ${sub(n.v.latin1Slice())}`;
    case 'array':
    case 'map':
      return `[${n.v.map((x) => show(x, ports)).join(', ')}]`;
    default:
      return n.t;
  }
}

async function canConnect(port: number): Promise<string> {
  try {
    const c = await RawConnection.connect(port);
    const r = await c.send('PING');
    c.close();
    return r.t === 'simple' ? r.v : 'error';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'failed';
  }
}

/** A plain listener on 127.0.0.1:port that the server cannot take. */
function occupy(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((sock) => sock.destroy());
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** The program: returns its transcript. */
async function program(start: number): Promise<string[]> {
  const out: string[] = [];
  const moved = await freePort();
  const busy = await freePort();
  const ports = new Map([
    [start, 'START'],
    [moved, 'MOVED'],
    [busy, 'BUSY'],
  ]);
  const c = await RawConnection.connect(start);
  const send = async (...args: Arg[]) => out.push(`${args.map((a) => ports.get(Number(a)) ?? String(a)).join(' ')} -> ${show(await c.send(...args), ports)}`);
  const probe = async (name: string, port: number) => out.push(`connect ${name} -> ${await canConnect(port)}`);
  await send('CONFIG', 'SET', 'port', String(moved));
  await probe('START', start);
  await probe('MOVED', moved);
  await send('PING');
  await send('CONFIG', 'GET', 'port');
  const blocker = await occupy(busy);
  try {
    await send('CONFIG', 'SET', 'maxmemory', '10000001', 'port', String(busy), 'client-query-buffer-limit', '10m');
    await send('CONFIG', 'GET', 'maxmemory');
    await send('CONFIG', 'GET', 'port');
    await send('CONFIG', 'GET', 'client-query-buffer-limit');
    await probe('MOVED', moved);
    await send('MULTI');
    await send('CONFIG', 'SET', 'port', String(busy));
    await send('SET', 'k', 'v');
    await send('EXEC');
    await send('CONFIG', 'GET', 'port');
    await probe('MOVED', moved);
  } finally {
    blocker.close();
  }
  await send('CONFIG', 'SET', 'bind', '999.999.999.999');
  await send('CONFIG', 'GET', 'bind');
  await probe('MOVED', moved);
  await send('CONFIG', 'SET', 'bind', '127.0.0.1 999.999.999.999');
  await probe('MOVED', moved);
  // 198.51.100.7 (TEST-NET-2) is no address of this host: EADDRNOTAVAIL, skipped when optional.
  await send('CONFIG', 'SET', 'bind', '127.0.0.1 198.51.100.7');
  await probe('MOVED', moved);
  await send('CONFIG', 'SET', 'bind', '-198.51.100.7 127.0.0.1 ::1');
  await send('CONFIG', 'GET', 'bind');
  await probe('MOVED', moved);
  await send('CONFIG', 'SET', 'bind', '');
  await send('CONFIG', 'GET', 'bind');
  await probe('MOVED', moved);
  await send('PING');
  await send('CONFIG', 'SET', 'bind', '127.0.0.1', 'port', String(start));
  await probe('START', start);
  await probe('MOVED', moved);
  await send('CONFIG', 'GET', 'bind');
  // No certificate: TLS cannot be configured, before any port is bound (Redis's applyTLSPort).
  await send('CONFIG', 'SET', 'tls-port', String(busy));
  await send('CONFIG', 'GET', 'tls-port');
  c.close();
  return out;
}

/** PING over TLS on `port`: PONG, or the connection's error code. */
async function canConnectTls(certs: TestCerts, port: number): Promise<string> {
  try {
    const s = await tlsConnect(port, { ca: fs.readFileSync(certs.caCert), cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey) });
    const reply = await new Promise<string>((resolve) => {
      s.once('data', (d) => resolve(String(d).trim()));
      s.write('PING\r\n');
    });
    s.destroy();
    return reply;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'failed';
  }
}

/** The tls-port program: on a server with TCP on `plain` and TLS on `start`. */
async function tlsProgram(certs: TestCerts, plain: number, start: number): Promise<string[]> {
  const out: string[] = [];
  const moved = await freePort();
  const busy = await freePort();
  const ports = new Map([
    [start, 'START'],
    [moved, 'MOVED'],
    [busy, 'BUSY'],
  ]);
  const c = await RawConnection.connect(plain);
  const send = async (...args: Arg[]) => out.push(`${args.map((a) => ports.get(Number(a)) ?? String(a)).join(' ')} -> ${show(await c.send(...args), ports)}`);
  const probe = async (name: string, port: number) => out.push(`tls ${name} -> ${await canConnectTls(certs, port)}`);
  await send('CONFIG', 'SET', 'tls-port', String(moved));
  await probe('START', start);
  await probe('MOVED', moved);
  const blocker = await occupy(busy);
  try {
    await send('CONFIG', 'SET', 'maxmemory', '10000001', 'tls-port', String(busy));
    await send('CONFIG', 'GET', 'maxmemory');
    await send('CONFIG', 'GET', 'tls-port');
    await probe('MOVED', moved);
  } finally {
    blocker.close();
  }
  await send('CONFIG', 'SET', 'tls-port', '0');
  await probe('MOVED', moved);
  await send('CONFIG', 'SET', 'tls-port', String(moved));
  await probe('MOVED', moved);
  c.close();
  return out;
}

const t = suite('config-listen');

if (HAVE_REF) {
  let expected: string[] | null = null;
  const reference = async () => {
    if (expected) return expected;
    const ref = await startReference();
    try {
      expected = await program(ref.port);
    } finally {
      await ref.stop();
    }
    return expected;
  };
  for (const engine of enginesUnderTest()) {
    t(`CONFIG SET port and bind at run time, as Redis (${engine})`, async () => {
      const want = await reference();
      const srv = await startRedust(engine);
      try {
        assert.equal(await program(srv.port), want);
      } finally {
        await srv.close();
      }
    });
  }

  t('default bind "* -::*" of the command-line server, CONFIG REWRITE of it and of an empty bind, as Redis', async () => {
    const run = async (start: (conf: string, port: number) => Promise<() => Promise<void>>) => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-listen-'));
      const conf = path.join(dir, 'r.conf');
      fs.writeFileSync(conf, 'save ""\n');
      const port = await freePort();
      const stop = await start(conf, port);
      const lines: string[] = [];
      try {
        const c = await RawConnection.connect(port);
        const ports = new Map([[port, 'PORT']]);
        const send = async (...args: Arg[]) => lines.push(show(await c.send(...args), ports));
        await send('CONFIG', 'GET', 'bind');
        await send('CONFIG', 'REWRITE');
        lines.push(`bind lines: ${fs.readFileSync(conf, 'utf8').split('\n').filter((l) => /^bind/.test(l)).join('|')}`);
        await send('CONFIG', 'SET', 'bind', '');
        await send('CONFIG', 'REWRITE');
        lines.push(`bind lines: ${fs.readFileSync(conf, 'utf8').split('\n').filter((l) => /^bind/.test(l)).join('|')}`);
        lines.push(`connect -> ${await canConnect(port)}`);
        await send('CONFIG', 'SET', 'bind', '* -::*');
        lines.push(`connect -> ${await canConnect(port)}`);
        c.close();
      } finally {
        await stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
      return lines;
    };
    const args = (conf: string, port: number) => [conf, '--port', String(port), '--dir', path.dirname(conf)];
    const theirs = await run(async (conf, port) => {
      const child = spawn('redis-server', [...args(conf, port), '--loglevel', 'warning'], { stdio: 'ignore' });
      for (let i = 0; i < 200 && (await canConnect(port)) !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 25));
      return () =>
        new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        });
    });
    const ours = await run(async (conf, port) => {
      const cli = await startCli(args(conf, port).slice(0, 3));
      return async () => {
        cli.child.kill('SIGKILL');
        await cli.exited;
      };
    });
    assert.equal(ours, theirs);
    assert.equal(theirs[0], '[bulk bind, bulk * -::*]');
  });
  /**
   * Start-up binding: what a server started with `bind` on `port` logs about its listeners, and
   * whether it then answers on 127.0.0.1 (or its exit code when it gave up).
   */
  const startUp = async (redis: boolean, bind: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<string[]> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-listen-'));
    const args = ['--port', String(port), '--bind', bind, '--save', '', '--dir', dir];
    const child = redis
      ? spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'redust.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const ready = () => /Ready to accept connections/.test(out);
    const lines: string[] = [];
    try {
      for (let i = 0; i < 400 && !ready() && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 25));
      if (ready()) lines.push(`PING on 127.0.0.1 -> ${await canConnect(port)}`);
      else lines.push(`exit ${await exited}`);
    } finally {
      child.kill('SIGKILL');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The listener lines of the log (Redust's are pino JSON: their msg), the port named.
    const msgs = out
      .split('\n')
      .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { msg: string }).msg : l.replace(/^\d+:[A-Z] [^#*]*[#*] /, '')))
      .filter((m) => /Could not create server|Failed listening/.test(m))
      .map((m) => m.split(String(port)).join('PORT'));
    return [...msgs, ...lines];
  };
  t('start-up bind: a missing optional address skipped, a port in use fatal, as Redis, on both of Redust\'s listen paths', async () => {
    for (const [bind, busy] of [
      ['127.0.0.1 -10.255.255.1', false],
      ['127.0.0.1', true],
    ] as const) {
      const port = await freePort();
      const holder = busy ? await occupy(port) : null;
      try {
        const theirs = await startUp(true, bind, port);
        assert.ok(theirs.length >= 2, theirs.join('\n'));
        // The synchronous bind (tcp-bind.ts) and net.Server.listen (a Node without it).
        assert.equal(await startUp(false, bind, port), theirs, `sync: ${bind}`);
        assert.equal(await startUp(false, bind, port, { REDUST_ASYNC_LISTEN: '1' }), theirs, `async: ${bind}`);
      } finally {
        holder?.close();
      }
    }
  });
  const certs = makeTestCerts();
  if (certs) {
    let expectedTls: string[] | null = null;
    for (const engine of enginesUnderTest()) {
      t(`CONFIG SET tls-port at run time, as Redis (${engine})`, async () => {
        if (!expectedTls) {
          const ref = await startTlsReference(certs);
          try {
            expectedTls = await tlsProgram(certs, ref.port, ref.tlsPort);
          } finally {
            await ref.stop();
          }
        }
        const srv = await startRedust(engine, { tls: { port: await freePort(), certFile: certs.serverCert, keyFile: certs.serverKey, caCertFile: certs.caCert } });
        try {
          assert.equal(await tlsProgram(certs, srv.port, srv.tlsPort), expectedTls);
        } finally {
          await srv.close();
        }
      });
    }
  } else t.skip('CONFIG SET tls-port (no openssl for test certificates)');
} else t.skip('CONFIG SET port and bind compared with Redis (no reference redis-server)');

t.run();
