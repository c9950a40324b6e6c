/**
 * MIGRATE between Redust and real Redis 7.0 in every direction (Redust→Redis, Redis→Redust,
 * Redust→Redust), with KEYS, COPY, REPLACE, AUTH and AUTH2 (requirepass on the target), a BUSYKEY
 * error from the target, a port nobody listens on, and a target that never answers (timeout);
 * replies compared with what Redis answers for the same scenario. Also: other clients are served
 * while a MIGRATE waits, a key written meanwhile is kept, the DEL reaches the AOF, and the cached
 * connection shows in INFO. Registered only when redis-server is installed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { enginesUnderTest, freePort, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { RawConnection, encodeCommand, text } from './helpers/raw';
import type { RespNode } from '../src/protocol/resp-reader';
import type { RedustServer } from '../src/index';
import { parseAofCommand, parseManifest } from '../src/persistence/aof';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function show(n: RespNode): string {
  if (n.t === 'simple') return '+' + n.v;
  if (n.t === 'error') return '-' + n.v;
  if (n.t === 'bulk') return n.v.latin1Slice();
  if (n.t === 'nullbulk') return '(nil)';
  if (n.t === 'int') return ':' + n.v;
  if (n.t === 'array') return '[' + n.v.map(show).join(',') + ']';
  return n.t;
}

interface Srv {
  port: number;
  stop(): Promise<void>;
}

type Kind = 'redust' | 'redis';

async function start(kind: Kind, engine: 'js-map' | 'wasm', pass?: string): Promise<Srv> {
  if (kind === 'redis') {
    return startReference(pass ? ['--requirepass', pass] : []);
  }
  const s: RedustServer = await startRedust(engine, pass ? { config: { requirepass: pass } } : {});
  return { port: s.port, stop: () => s.close() };
}

/**
 * One scenario from `src` to `dst`: the replies of the source and what the target holds after.
 * The same function runs with Redis as the source, so the two transcripts must be equal.
 */
async function scenario(srcPort: number, dstPort: number, authPort: number, deadPort: number): Promise<string[]> {
  const out: string[] = [];
  const s = await RawConnection.connect(srcPort);
  const d = await RawConnection.connect(dstPort);
  const a = await RawConnection.connect(authPort);
  await a.send('AUTH', 'secret');
  const log = async (conn: RawConnection, ...args: (string | number)[]) => {
    const label = args.map((x) => (x === dstPort ? 'DST' : x === authPort ? 'AUTHSRV' : x === deadPort ? 'DEAD' : x)).join(' ');
    out.push(`${label} -> ${show(await conn.send(...args))}`);
  };
  const H = '127.0.0.1';
  await s.send('FLUSHALL');
  await d.send('FLUSHALL');
  await a.send('FLUSHALL');
  await s.send('SET', 'k1', 'v1');
  await s.send('RPUSH', 'list', 'a', 'b', 'c');
  await s.send('HSET', 'h', 'f', 'v');
  await s.send('SET', 'ttl', 'x', 'PX', '100000');
  await s.send('ZADD', 'z', '1', 'one');
  await s.send('SADD', 'set', 'x', 'y');
  await log(s, 'MIGRATE', H, dstPort, 'k1', 0, 5000);
  await log(s, 'EXISTS', 'k1');
  await log(d, 'GET', 'k1');
  await log(s, 'MIGRATE', H, dstPort, 'nokey', 0, 5000);
  await log(s, 'MIGRATE', H, dstPort, '', 0, 5000, 'KEYS', 'nokey', 'nokey2');
  await log(s, 'MIGRATE', H, dstPort, '', 0, 5000, 'KEYS', 'list', 'h', 'nokey');
  await log(s, 'EXISTS', 'list', 'h');
  await log(d, 'LRANGE', 'list', 0, -1);
  await log(d, 'HGETALL', 'h');
  await log(s, 'MIGRATE', H, dstPort, 'ttl', 3, 5000, 'COPY');
  await log(s, 'EXISTS', 'ttl');
  await d.send('SELECT', 3);
  await log(d, 'GET', 'ttl');
  const pttl = Number((await d.send('PTTL', 'ttl') as { v: bigint }).v);
  out.push(`pttl in range: ${pttl > 90000 && pttl <= 100000}`);
  await d.send('SELECT', 0);
  // BUSYKEY, then REPLACE.
  await s.send('SET', 'k1', 'second');
  await log(s, 'MIGRATE', H, dstPort, 'k1', 0, 5000);
  await log(s, 'GET', 'k1');
  await log(s, 'MIGRATE', H, dstPort, 'k1', 0, 5000, 'COPY', 'REPLACE');
  await log(d, 'GET', 'k1');
  await log(s, 'GET', 'k1');
  // KEYS with some keys existing on the target: the first error is reported, others are moved.
  await s.send('SET', 'k1', 'third');
  await s.send('SET', 'k2', 'two');
  await log(s, 'MIGRATE', H, dstPort, '', 0, 5000, 'KEYS', 'k1', 'k2');
  await log(s, 'EXISTS', 'k1', 'k2');
  await log(d, 'GET', 'k2');
  // Authentication.
  await log(s, 'MIGRATE', H, authPort, 'z', 0, 5000);
  await log(s, 'MIGRATE', H, authPort, 'z', 0, 5000, 'AUTH', 'wrong');
  await log(s, 'MIGRATE', H, authPort, 'z', 0, 5000, 'AUTH', 'secret');
  await log(a, 'ZRANGE', 'z', 0, -1, 'WITHSCORES');
  await log(s, 'MIGRATE', H, authPort, 'set', 0, 5000, 'AUTH2', 'default', 'bad');
  await log(s, 'MIGRATE', H, authPort, 'set', 0, 5000, 'AUTH2', 'default', 'secret');
  await log(a, 'SMISMEMBER', 'set', 'x', 'y');
  // Errors of the command itself.
  await s.send('SET', 'e', '1');
  await log(s, 'MIGRATE', H, dstPort, 'e', 0, 5000, 'KEYS', 'e');
  await log(s, 'MIGRATE', H, dstPort, 'e', 0, 5000, 'BOGUS');
  await log(s, 'MIGRATE', H, dstPort, 'e', 0, 5000, 'AUTH');
  await log(s, 'MIGRATE', H, dstPort, 'e', 0, 5000, 'AUTH2', 'u');
  await log(s, 'MIGRATE', H, dstPort, 'e', 'x', 5000);
  await log(s, 'MIGRATE', H, dstPort, 'e', 0, 'y');
  await log(s, 'MIGRATE', H, dstPort, 'e', 99, 5000);
  await log(s, 'MIGRATE', H, deadPort, 'e', 0, 1000);
  await log(s, 'MIGRATE', H, dstPort, 'e');
  await log(s, 'EXISTS', 'e');
  s.close();
  d.close();
  a.close();
  return out;
}

function incrCommands(dir: string): string[] {
  const adir = path.join(dir, 'appendonlydir');
  const manifest = parseManifest(fs.readFileSync(path.join(adir, 'appendonly.aof.manifest'), 'latin1'));
  const out: string[] = [];
  for (const e of manifest.filter((x) => x.type === 'i')) {
    const buf = fs.readFileSync(path.join(adir, e.name));
    let pos = 0;
    while (pos < buf.length) {
      const p = parseAofCommand(buf, pos);
      if (typeof p === 'string') throw new Error(p);
      out.push(p.argv.map((x) => x.latin1Slice()).join(' '));
      pos = p.next;
    }
  }
  return out;
}

/** A TCP server that accepts and reads but answers only when told (or never). */
async function silentTarget(): Promise<{ port: number; received: () => Buffer; answer: (s: string) => void; close: () => Promise<void> }> {
  const socks: net.Socket[] = [];
  const chunks: Buffer[] = [];
  const srv = net.createServer((sk) => {
    socks.push(sk);
    sk.on('data', (d) => chunks.push(d));
    sk.on('error', () => {});
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks),
    answer: (s) => socks.forEach((sk) => sk.write(s)),
    close: () =>
      new Promise<void>((r) => {
        socks.forEach((sk) => sk.destroy());
        srv.close(() => r());
      }),
  };
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`migrate [${engine}]`);

    for (const [from, to] of [
      ['redust', 'redis'],
      ['redis', 'redust'],
      ['redust', 'redust'],
    ] as [Kind, Kind][]) {
      t(`${from} -> ${to}: every reply and the target's data as Redis -> Redis gives`, async () => {
        const servers: Srv[] = [];
        try {
          const src = await start(from, engine);
          const dst = await start(to, engine);
          const auth = await start(to, engine, 'secret');
          servers.push(src, dst, auth);
          const rsrc = await start('redis', engine);
          const rdst = await start('redis', engine);
          const rauth = await start('redis', engine, 'secret');
          servers.push(rsrc, rdst, rauth);
          // Chosen once every server listens: a port picked earlier could be handed to one of them.
          const dead = await freePort();
          const mine = await scenario(src.port, dst.port, auth.port, dead);
          const theirs = await scenario(rsrc.port, rdst.port, rauth.port, dead);
          assert.equal(mine, theirs);
        } finally {
          for (const s of servers) await s.stop();
        }
      });
    }

    t('a target that never answers: IOERR after the timeout, as Redis; other clients are served meanwhile', async () => {
      const src = await startRedust(engine);
      const ref = await startReference();
      const tgt = await silentTarget();
      try {
        for (const port of [src.port, ref.port]) {
          const c = await RawConnection.connect(port);
          const other = await RawConnection.connect(port);
          await c.send('SET', 'k', 'v');
          const t0 = Date.now();
          const reply = c.send('MIGRATE', '127.0.0.1', tgt.port, 'k', 0, 300);
          if (port === src.port) {
            // Redust serves others while the MIGRATE waits (Redis blocks the whole server).
            assert.equal(show(await other.send('PING')), '+PONG');
            assert.ok(Date.now() - t0 < 250, 'PING answered during the MIGRATE');
          }
          assert.equal(show(await reply), '-IOERR error or timeout reading to target instance');
          assert.ok(Date.now() - t0 >= 280);
          assert.equal(show(await c.send('GET', 'k')), 'v');
          c.close();
          other.close();
        }
        assert.match(tgt.received().latin1Slice(), /RESTORE/);
      } finally {
        await tgt.close();
        await src.close();
        await ref.stop();
      }
    });

    t('a key written by another client during the MIGRATE is kept; pipelined commands wait for the reply', async () => {
      const src = await startRedust(engine);
      const tgt = await silentTarget();
      try {
        const c = await RawConnection.connect(src.port);
        const other = await RawConnection.connect(src.port);
        await c.send('SET', 'a', '1');
        await c.send('SET', 'b', '1');
        c.write(Buffer.concat([encodeCommand(['MIGRATE', '127.0.0.1', tgt.port, '', 0, 5000, 'KEYS', 'a', 'b']), encodeCommand(['GET', 'b'])]));
        await sleep(100);
        assert.equal(await c.hasReplyWithin(50), false, 'no reply before the target answers');
        assert.equal(show(await other.send('APPEND', 'b', '2')), ':2');
        tgt.answer('+OK\r\n+OK\r\n+OK\r\n'); // SELECT, RESTORE a, RESTORE b
        assert.equal(show(await c.next()), '+OK');
        assert.equal(show(await c.next()), '12', 'the write made meanwhile is still there');
        assert.equal(show(await c.send('EXISTS', 'a')), ':0');
        c.close();
        other.close();
      } finally {
        await tgt.close();
        await src.close();
      }
    });

    t('the moved keys are propagated as DEL; the connection is cached (INFO) and reused', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-migrate-'));
      const src = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      const dst = await startRedust(engine);
      try {
        const c = await RawConnection.connect(src.port);
        await c.send('MSET', 'a', '1', 'b', '2', 'c', '3');
        assert.equal(show(await c.send('MIGRATE', '127.0.0.1', dst.port, '', 0, 1000, 'KEYS', 'a', 'b', 'zz')), '+OK');
        assert.equal(show(await c.send('MIGRATE', '127.0.0.1', dst.port, 'c', 0, 1000, 'COPY')), '+OK');
        assert.match(text(await c.send('INFO', 'stats')), /migrate_cached_sockets:1\r\n/);
        const d = await RawConnection.connect(dst.port);
        assert.match(text(await d.send('CLIENT', 'LIST')), /cmd=restore/);
        assert.equal(show(await d.send('MGET', 'a', 'b', 'c')), '[1,2,3]');
        d.close();
        await sleep(30);
        assert.equal(incrCommands(dir).filter((x) => !x.startsWith('SELECT')), ['MSET a 1 b 2 c 3', 'DEL a b']);
        c.close();
      } finally {
        await src.close();
        await dst.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    t('MIGRATE inside MULTI is refused with an error (Redust cannot wait for the target there); NOKEY still answered', async () => {
      const src = await startRedust(engine);
      try {
        const c = await RawConnection.connect(src.port);
        await c.send('SET', 'k', 'v');
        await c.send('MULTI');
        await c.send('MIGRATE', '127.0.0.1', 1, 'k', 0, 100);
        await c.send('MIGRATE', '127.0.0.1', 1, 'none', 0, 100);
        const r = (await c.send('EXEC')) as { v: RespNode[] };
        assert.match(show(r.v[0]), /^-ERR MIGRATE inside MULTI\/EXEC or a script is not supported by Redust/);
        assert.is(show(r.v[1]), '+NOKEY');
        assert.is(show(await c.send('GET', 'k')), 'v');
        c.close();
      } finally {
        await src.close();
      }
    });

    if (engine === enginesUnderTest()[0]) {
      t('a cached connection unused for 10 s is closed (MIGRATE_SOCKET_CACHE_TTL)', async () => {
        const src = await startRedust(engine);
        const dst = await startRedust(engine);
        try {
          const c = await RawConnection.connect(src.port);
          await c.send('SET', 'k', 'v');
          assert.is(show(await c.send('MIGRATE', '127.0.0.1', dst.port, 'k', 0, 1000)), '+OK');
          assert.match(text(await c.send('INFO', 'stats')), /migrate_cached_sockets:1\r\n/);
          const t0 = Date.now();
          let closed = false;
          while (Date.now() - t0 < 15000) {
            if (/migrate_cached_sockets:0\r\n/.test(text(await c.send('INFO', 'stats')))) {
              closed = true;
              break;
            }
            await sleep(250);
          }
          assert.ok(closed, 'closed within 15 s');
          assert.ok(Date.now() - t0 >= 9000, 'kept for about 10 s');
          const d = await RawConnection.connect(dst.port);
          assert.is(text(await d.send('INFO', 'clients')).match(/connected_clients:(\d+)/)![1], '1', 'the target saw the connection close');
          d.close();
          c.close();
        } finally {
          await src.close();
          await dst.close();
        }
      });
    }

    t('RESTORE-ASKING is RESTORE', async () => {
      const src = await startRedust(engine);
      const ref = await startReference();
      try {
        for (const port of [src.port, ref.port]) {
          const c = await RawConnection.connect(port);
          await c.send('SET', 'k', 'v');
          const payload = (await c.send('DUMP', 'k')) as { v: Buffer };
          assert.equal(show(await c.send('RESTORE-ASKING', 'k', 0, payload.v)), '-BUSYKEY Target key name already exists.');
          assert.equal(show(await c.send('RESTORE-ASKING', 'k2', 0, payload.v)), '+OK');
          assert.equal(show(await c.send('GET', 'k2')), 'v');
          c.close();
        }
      } finally {
        await src.close();
        await ref.stop();
      }
    });

    t.run();
  }
} else {
  console.log('migrate: redis-server not installed, tests skipped');
}
