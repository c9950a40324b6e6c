/**
 * TLS (issue 15): certificates made at test time with openssl; Redust on tls-port with client
 * certificates, compared with a real redis-server over TLS with the same certificates (redis-cli
 * --tls output, CONFIG GET tls-*, CONFIG SET refusals); ioredis and node-redis over rediss://;
 * tls-auth-clients yes/no/optional; tls-key-file-pass; tls-ca-cert-dir; tls-protocols; TLS only
 * (`port 0` with a tls-port); big pipelined frames over TLS. Skipped without openssl; the
 * comparisons are skipped without the reference Redis.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { enginesUnderTest, haveRedisServer, startRedust, freePort } from './helpers/servers';
import { makeTestCerts, TestCerts } from './helpers/certs';
import { cli, tlsCliArgs, startTlsReference, tlsConnect, tlsExchange, TlsReference } from './helpers/tls-servers';
import { RawConnection, R, encodeCommand } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import type { RedustServer } from '../src/index';
import { Config } from '../src/config/config';
import { createEngine } from '../src/engine';
import { Server } from '../src/server/server';
import { createLogger } from '../src/observability/logger';

const certs = makeTestCerts();
const HAVE_REF = haveRedisServer();

function tlsOpts(c: TestCerts, extra: Record<string, unknown> = {}) {
  return { certFile: c.serverCert, keyFile: c.serverKey, caCertFile: c.caCert, ...extra };
}

function clientTls(c: TestCerts, withCert = true) {
  return { ca: fs.readFileSync(c.caCert), ...(withCert ? { cert: fs.readFileSync(c.clientCert), key: fs.readFileSync(c.clientKey) } : {}) };
}

if (!certs) {
  const t = suite('tls (skipped: openssl not installed)');
  t('skipped', () => console.log('  tls: openssl not installed, TLS tests skipped'));
  t.run();
} else {
  for (const engine of enginesUnderTest()) {
    const t = suite<{ srv?: RedustServer; ref?: TlsReference }>(`tls [${engine}]`);
    t.before(async (ctx) => {
      ctx.srv = await startRedust(engine, { tls: tlsOpts(certs) });
      if (HAVE_REF) ctx.ref = await startTlsReference(certs);
    });
    t.after(async (ctx) => {
      await ctx.srv?.close();
      await ctx.ref?.stop();
    });

    t('redis-cli --tls with a client certificate: same output as Redis', async ({ srv, ref }) => {
      const script = 'SET k v\nGET k\nINCR n\nHSET h f 1\nHGETALL h\nSET big ' + 'x'.repeat(70000) + '\nSTRLEN big\nDEL k h n big\n';
      const mine = await cli(tlsCliArgs(certs, srv!.tlsPort), script);
      assert.is(mine.code, 0, mine.stderr);
      assert.is(mine.stdout, 'OK\nv\n1\n1\nf\n1\nOK\n70000\n4\n');
      if (ref) {
        const theirs = await cli(tlsCliArgs(certs, ref.tlsPort), script);
        assert.is(mine.stdout, theirs.stdout);
      }
    });

    t('CLIENT INFO over TLS shows the connection\'s file descriptor, as over TCP', async ({ srv }) => {
      const out = await cli(tlsCliArgs(certs, srv!.tlsPort), 'CLIENT INFO\n');
      assert.is(out.code, 0, out.stderr);
      const fd = Number(/ fd=(-?\d+) /.exec(out.stdout)?.[1]);
      assert.ok(fd > 2, out.stdout);
    });

    t('tls-auth-clients yes: a client without a certificate (or with another CA\'s) is refused, as Redis', async ({ srv, ref }) => {
      const mine = await cli(tlsCliArgs(certs, srv!.tlsPort, false).concat(['PING']));
      assert.not.match(mine.stdout, /PONG/);
      const raw = await tlsExchange(srv!.tlsPort, clientTls(certs, false), 'PING\r\n');
      assert.is(raw.data, '');
      const other = await tlsExchange(srv!.tlsPort, { ca: fs.readFileSync(certs.caCert), cert: fs.readFileSync(certs.otherClientCert), key: fs.readFileSync(certs.otherClientKey) }, 'PING\r\n');
      assert.is(other.data, '');
      if (ref) {
        const theirs = await cli(tlsCliArgs(certs, ref.tlsPort, false).concat(['PING']));
        assert.is(mine.stdout, theirs.stdout);
        assert.is(mine.code, theirs.code);
        const rawRef = await tlsExchange(ref.tlsPort, clientTls(certs, false), 'PING\r\n');
        assert.is(rawRef.data, '');
      }
      // The server keeps serving.
      const ok = await tlsExchange(srv!.tlsPort, clientTls(certs), 'PING\r\nQUIT\r\n');
      assert.is(ok.data, '+PONG\r\n+OK\r\n');
    });

    t('plain TCP still works beside TLS; TLS bytes on the TCP port and plain bytes on the TLS port are not commands', async ({ srv }) => {
      const c = await RawConnection.connect(srv!.port);
      assert.equal(await c.send('PING'), R.simple('PONG'));
      c.close();
      const r = await new Promise<string>((resolve) => {
        const net = require('net') as typeof import('net');
        const s = net.connect(srv!.tlsPort, '127.0.0.1', () => s.write('PING\r\n'));
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.on('error', () => undefined);
        s.on('close', () => resolve(got));
        setTimeout(() => s.destroy(), 2000);
      });
      assert.not.match(r, /PONG/);
    });

    t('ioredis over TLS with a client certificate (pipelines, big values)', async ({ srv }) => {
      const r = new Redis({ host: '127.0.0.1', port: srv!.tlsPort, tls: { ...clientTls(certs), servername: 'localhost' }, lazyConnect: true, maxRetriesPerRequest: 0 });
      await r.connect();
      try {
        const big = Buffer.alloc(300_000, 7);
        const p = r.pipeline();
        for (let i = 0; i < 500; i++) p.set(`k${i}`, `v${i}`);
        p.set('big', big);
        p.getBuffer('big');
        p.mget('k0', 'k499');
        const out = await p.exec();
        assert.equal(out![501][1], big);
        assert.equal(out![502][1], ['v0', 'v499']);
        assert.is(await r.dbsize(), 501);
        await r.flushdb();
      } finally {
        r.disconnect();
      }
    });

    t('node-redis with rediss:// and a client certificate', async ({ srv }) => {
      const c = createClient({ url: `rediss://localhost:${srv!.tlsPort}`, socket: { tls: true, ...clientTls(certs), reconnectStrategy: false } });
      c.on('error', () => undefined);
      await c.connect();
      try {
        assert.is(await c.set('nr', 'yes'), 'OK');
        assert.is(await c.get('nr'), 'yes');
        assert.is(Object.keys(await c.hGetAll('none')).length, 0);
        await c.del('nr');
      } finally {
        await c.quit();
      }
    });

    t('CONFIG GET tls-* and CONFIG SET refusals: same replies as Redis', async ({ srv, ref }) => {
      const names = ['tls-cert-file', 'tls-key-file', 'tls-key-file-pass', 'tls-ca-cert-file', 'tls-ca-cert-dir', 'tls-auth-clients', 'tls-protocols', 'tls-ciphers', 'tls-ciphersuites', 'tls-prefer-server-ciphers', 'tls-session-caching', 'tls-session-cache-size', 'tls-session-cache-timeout', 'tls-dh-params-file'];
      const cmds = [
        ...names.map((n) => ['CONFIG', 'GET', n]),
        ['CONFIG', 'SET', 'tls-auth-clients', 'maybe'],
        ['CONFIG', 'SET', 'tls-cert-file', '/nonexistent/cert.pem'],
        ['CONFIG', 'SET', 'tls-prefer-server-ciphers', 'perhaps'],
        ['CONFIG', 'SET', 'tls-session-cache-timeout', '-1'],
        ['CONFIG', 'GET', 'tls-cert-file'],
      ];
      const run = async (port: number) => {
        const s = await tlsConnect(port, { ...clientTls(certs) });
        const c = RawConnection.over(s);
        const out = [];
        for (const cmd of cmds) out.push(await c.send(...cmd));
        c.close();
        return out;
      };
      const mine = await run(srv!.tlsPort);
      assert.equal(mine[0], R.arr(R.bulk('tls-cert-file'), R.bulk(certs.serverCert)));
      assert.equal(mine[5], R.arr(R.bulk('tls-auth-clients'), R.bulk('yes')));
      if (ref) assert.is(mine.map(renderNode).join('\n'), (await run(ref.tlsPort)).map(renderNode).join('\n'));
    });

    t('CONFIG SET tls-auth-clients no/optional applies to new connections', async ({ srv }) => {
      const admin = RawConnection.over(await tlsConnect(srv!.tlsPort, clientTls(certs)));
      assert.equal(await admin.send('CONFIG', 'SET', 'tls-auth-clients', 'no'), R.ok);
      assert.is((await tlsExchange(srv!.tlsPort, clientTls(certs, false), 'PING\r\nQUIT\r\n')).data, '+PONG\r\n+OK\r\n');
      assert.equal(await admin.send('CONFIG', 'SET', 'tls-auth-clients', 'optional'), R.ok);
      assert.is((await tlsExchange(srv!.tlsPort, clientTls(certs, false), 'PING\r\nQUIT\r\n')).data, '+PONG\r\n+OK\r\n');
      assert.is((await tlsExchange(srv!.tlsPort, clientTls(certs), 'PING\r\nQUIT\r\n')).data, '+PONG\r\n+OK\r\n');
      const bad = await tlsExchange(srv!.tlsPort, { ca: fs.readFileSync(certs.caCert), cert: fs.readFileSync(certs.otherClientCert), key: fs.readFileSync(certs.otherClientKey) }, 'PING\r\n');
      assert.is(bad.data, '');
      assert.equal(await admin.send('CONFIG', 'SET', 'tls-auth-clients', 'yes'), R.ok);
      assert.is((await tlsExchange(srv!.tlsPort, clientTls(certs, false), 'PING\r\n')).data, '');
      admin.close();
    });

    t('a request split at every byte and a 2 MB pipelined batch over TLS', async ({ srv }) => {
      const c = RawConnection.over(await tlsConnect(srv!.tlsPort, clientTls(certs)));
      const frame = encodeCommand(['SET', 'split', 'value']);
      for (const b of frame) {
        c.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(await c.next(), R.ok);
      const parts: Buffer[] = [];
      for (let i = 0; i < 2000; i++) parts.push(encodeCommand(['SET', `p${i}`, 'y'.repeat(1000)]));
      c.write(Buffer.concat(parts));
      for (let i = 0; i < 2000; i++) assert.equal(await c.next(), R.ok);
      assert.equal(await c.send('DBSIZE'), R.int(2001));
      await c.send('FLUSHALL');
      c.close();
    });

    t.run();
  }

  const o = suite('tls options');

  o('tls-key-file-pass, tls-ca-cert-dir, TLS only with port 0 (no TCP listener)', async () => {
    const srv = await startRedust(enginesUnderTest()[0], {
      tls: { certFile: certs.serverCert, keyFile: certs.serverKeyEncrypted, keyFilePass: certs.keyPass, caCertDir: certs.caDir, tcp: false },
    });
    try {
      assert.is(srv.port, 0);
      assert.ok(srv.tlsPort > 0);
      const r = await cli(tlsCliArgs(certs, srv.tlsPort).concat(['PING']));
      assert.is(r.stdout, 'PONG\n');
      assert.ok(srv.tlsUrl.startsWith('rediss://127.0.0.1:'));
    } finally {
      await srv.close();
    }
  });

  o('the CLI config: port 0 with a tls-port listens on TLS only', async () => {
    const tlsPort = await freePort();
    const config = new Config({ port: '0', 'tls-port': String(tlsPort), 'tls-cert-file': certs.serverCert, 'tls-key-file': certs.serverKey, 'tls-ca-cert-file': certs.caCert, loglevel: 'warning' });
    const server = new Server(config, createEngine('js-map'), { logger: createLogger({ level: 'nothing' }) });
    try {
      assert.is(await server.listen(), tlsPort);
      assert.is(server.listeners.port, 0);
      assert.is((await cli(tlsCliArgs(certs, tlsPort).concat(['PING']))).stdout, 'PONG\n');
    } finally {
      await server.close();
    }
  });

  o('wrong passphrase, missing CA with tls-auth-clients yes, bad tls-protocols: start-up fails with the reason', async () => {
    const bad = async (t: Record<string, unknown>, re: RegExp) => {
      try {
        const s = await startRedust('js-map', { tls: { certFile: certs.serverCert, keyFile: certs.serverKey, ...t } as never });
        await s.close();
        assert.unreachable('should not start');
      } catch (e) {
        assert.match((e as Error).message, re);
      }
    };
    await bad({ keyFile: certs.serverKeyEncrypted, keyFilePass: 'wrong', caCertFile: certs.caCert }, /Failed to configure TLS/);
    await bad({}, /Either tls-ca-cert-file or tls-ca-cert-dir must be specified/);
    await bad({ caCertFile: certs.caCert, protocols: 'TLSv9' }, /Invalid tls-protocols/);
    await bad({ caCertFile: '/nonexistent.pem' }, /Failed to load CA certificate/);
  });

  o('tls-protocols TLSv1.3 refuses a TLS 1.2-only client; tls-ciphers restricts TLS 1.2', async () => {
    const srv = await startRedust('js-map', { tls: { ...tlsOpts(certs), protocols: 'TLSv1.3' } });
    try {
      const r = await tlsExchange(srv.tlsPort, { ...clientTls(certs), maxVersion: 'TLSv1.2' }, 'PING\r\n');
      assert.is(r.data, '');
      const ok = await tlsExchange(srv.tlsPort, { ...clientTls(certs), minVersion: 'TLSv1.3' }, 'PING\r\nQUIT\r\n');
      assert.is(ok.data, '+PONG\r\n+OK\r\n');
    } finally {
      await srv.close();
    }
    const s2 = await startRedust('js-map', { tls: { ...tlsOpts(certs), protocols: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256', preferServerCiphers: true, sessionCaching: false } });
    try {
      const sock = await tlsConnect(s2.tlsPort, { ...clientTls(certs) });
      assert.is(sock.getProtocol(), 'TLSv1.2');
      assert.is(sock.getCipher().name, 'ECDHE-RSA-AES128-GCM-SHA256');
      sock.destroy();
      const r = await tlsExchange(s2.tlsPort, { ...clientTls(certs), ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' }, 'PING\r\n');
      assert.is(r.data, '');
    } finally {
      await s2.close();
    }
  });

  o.run();
}
