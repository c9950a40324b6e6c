/**
 * Client eviction (maxmemory-clients, src/server/client-eviction.ts) and the client memory figures
 * it weighs (CLIENT LIST tot-mem, qbuf, qbuf-free), against real Redis 7.0, both engines. Redis's
 * own unit/client-eviction runs in test/redis-suite.test.ts; these compare the two servers on the
 * same sequences.
 */
import * as assert from 'uvu/assert';
import net from 'net';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, items, text } from './helpers/raw';
import { diffTest, serverPairSuite } from './helpers/suite';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client that names itself and then sends `bytes` (typically part of a command). */
async function clientSending(port: number, name: string, bytes: Buffer | string): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  s.write(`*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$${name.length}\r\n${name}\r\n`);
  await new Promise<void>((r) => s.once('data', () => r()));
  if (bytes.length > 0) s.write(bytes);
  return s;
}

/** A multibulk of one argument whose bulk of n bytes is sent without its CRLF (still being received). */
function partialBulk(n: number): Buffer {
  return Buffer.concat([Buffer.from(`*1\r\n$${n}\r\n`), Buffer.alloc(n, 'v')]);
}

/** CLIENT LIST fields of each client by its `key` field (name: the named clients only). */
async function clientFields(c: RawConnection, key = 'name'): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of text(await c.send('CLIENT', 'LIST')).trim().split('\n')) {
    const f: Record<string, string> = {};
    for (const kv of line.trim().split(' ')) {
      const i = kv.indexOf('=');
      f[kv.slice(0, i)] = kv.slice(i + 1);
    }
    if (f[key]) out.set(f[key], f);
  }
  return out;
}

/** Poll until `done` holds for the named clients (or 3 s). */
async function waitClients(c: RawConnection, done: (m: Map<string, Record<string, string>>) => boolean): Promise<Map<string, Record<string, string>>> {
  let m = await clientFields(c);
  for (let i = 0; i < 150 && !done(m); i++) {
    await sleep(20);
    m = await clientFields(c);
  }
  return m;
}

async function infoField(c: RawConnection, field: string): Promise<string> {
  const m = new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text(await c.send('INFO', 'stats')));
  return m ? m[1] : '';
}

/**
 * One server's run of a sequence: a control connection (CONFIG RESETSTAT, CLIENT NO-EVICT on, so
 * only the test's clients can be evicted), the sockets the sequence opens (closed after it) and
 * what it observed, which the test compares between the two servers.
 */
async function observe(port: number, body: (ctl: RawConnection, socks: net.Socket[], seen: string[]) => Promise<void>): Promise<string[]> {
  const ctl = await RawConnection.connect(port);
  const socks: net.Socket[] = [];
  const seen: string[] = [];
  try {
    await ctl.send('CONFIG', 'RESETSTAT');
    await ctl.send('CLIENT', 'SETNAME', 'control');
    await ctl.send('CLIENT', 'NO-EVICT', 'on');
    await body(ctl, socks, seen);
    await ctl.send('CONFIG', 'SET', 'maxmemory-clients', '0');
    await ctl.send('CONFIG', 'SET', 'maxmemory', '0');
  } finally {
    for (const s of socks) s.destroy();
    ctl.close();
  }
  return seen;
}

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('client eviction', engine);

  diffTest(t, 'CLIENT LIST qbuf, qbuf-free and tot-mem of a partly received argument and of watched keys', async ({ srv, ref }) => {
    const figures = async (port: number) => {
      const ctl = await RawConnection.connect(port);
      const rows: string[] = [];
      try {
        for (const n of [100, 40000, 220200]) {
          const s = await clientSending(port, `b${n}`, partialBulk(n));
          const m = await waitClients(ctl, (x) => x.get(`b${n}`)?.qbuf === String(n));
          const f = m.get(`b${n}`)!;
          // (rbs, the reply buffer, is resized by the cron over time: left out of tot-mem)
          rows.push(`${n}: qbuf=${f.qbuf} qbuf-free=${f['qbuf-free']} argv-mem=${f['argv-mem']} tot-mem-rbs=${Number(f['tot-mem']) - Number(f.rbs)}`);
          s.destroy();
        }
        const w = await RawConnection.connect(port);
        await w.send('CLIENT', 'SETNAME', 'w');
        for (let i = 0; i < 100; i++) await w.send('WATCH', `k${i}`);
        const f = (await clientFields(ctl)).get('w')!;
        rows.push(`watch: tot-mem-rbs=${Number(f['tot-mem']) - Number(f.rbs)}`);
        w.close();
      } finally {
        ctl.close();
      }
      return rows;
    };
    assert.equal(await figures(srv.port), await figures(ref.port));
  });

  diffTest(t, 'the query buffer over time: a new client, a read, big arguments handed over, the cron trimming to the peak and freeing it when idle', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const ctl = await RawConnection.connect(port);
      const s = await RawConnection.connect(port);
      const rows: string[] = [];
      // (the test's client by its address: a new one has no name yet)
      const addr = `127.0.0.1:${s.socket.localPort}`;
      const fields = async () => (await clientFields(ctl, 'addr')).get(addr)!;
      const row = async (label: string) => {
        const f = await fields();
        rows.push(`${label}: qbuf=${f.qbuf} qbuf-free=${f['qbuf-free']} tot-mem-rbs=${Number(f['tot-mem']) - Number(f.rbs)}`);
      };
      try {
        await ctl.send('CONFIG', 'SET', 'hz', '100');
        await row('new');
        await s.send('PING');
        await row('after a read');
        await s.send('SET', 'x', 'A'.repeat(400000));
        await row('after a 400000-byte argument');
        // The cron's next visits: the peak (the big argument) restarts, then the buffer is trimmed to it.
        await sleep(150);
        await row('trimmed');
        await s.send('SET', 'x', 'A'.repeat(40000));
        await row('after a 40000-byte argument');
        // Trimmed to nothing again; then a read makes its 16 KB of room, which no peak trims
        // (the buffer is under 32 KB): only the idle rule gives it back.
        await sleep(150);
        await s.send('PING');
        await row('a read into an empty buffer');
        await ctl.send('CONFIG', 'SET', 'hz', '10');
        // Idle for more than 2 s: the free room is given back.
        for (let i = 0; i < 100; i++) {
          const f = await fields();
          if (Number(f.idle) >= 3 && f['qbuf-free'] === '0') break;
          await sleep(50);
        }
        await row('idle');
      } finally {
        s.close();
        ctl.close();
      }
      return rows;
    };
    const [mine, theirs] = await Promise.all([run(srv.port), run(ref.port)]);
    assert.equal(mine, theirs);
  });

  diffTest(t, 'the largest clients are evicted first; CLIENT NO-EVICT keeps one; INFO evicted_clients', async ({ srv, ref }) => {
    const run = (port: number) =>
      observe(port, async (ctl, socks, seen) => {
        seen.push(text(await ctl.send('DEBUG', 'CLIENT-EVICTION')));
        await ctl.send('CONFIG', 'SET', 'maxmemory-clients', '1mb');
        const present = async () => [...(await clientFields(ctl)).keys()].sort().join(',');
        socks.push(await clientSending(port, 'small', partialBulk(300000)));
        await waitClients(ctl, (m) => m.get('small')?.qbuf === '300000');
        // Over the limit with both: the bigger one goes.
        socks.push(await clientSending(port, 'large', partialBulk(800000)));
        await waitClients(ctl, (m) => !m.has('large'));
        seen.push(await present(), await infoField(ctl, 'evicted_clients'));
        // (the bucket each evictable client is in: the counts, not the exact memory)
        seen.push(text(await ctl.send('DEBUG', 'CLIENT-EVICTION')).replace(/tot-mem: +\d+/g, 'tot-mem'));
        // A client that may not be evicted: the evictable one goes, then nothing more can.
        const keep = await clientSending(port, 'keep', '');
        socks.push(keep);
        keep.write('*3\r\n$6\r\nCLIENT\r\n$8\r\nNO-EVICT\r\n$2\r\non\r\n');
        await new Promise<void>((r) => keep.once('data', () => r()));
        keep.write(partialBulk(900000));
        await waitClients(ctl, (m) => !m.has('small'));
        seen.push(await present(), await infoField(ctl, 'evicted_clients'));
      });
    assert.equal(await run(srv.port), await run(ref.port));
  });

  diffTest(t, 'maxmemory-clients as a percentage of maxmemory', async ({ srv, ref }) => {
    const run = (port: number) =>
      observe(port, async (ctl, socks, seen) => {
        await ctl.send('CONFIG', 'SET', 'maxmemory-clients', '10%');
        seen.push(items(await ctl.send('CONFIG', 'GET', 'maxmemory-clients')).map(text).join(' '));
        // No maxmemory: no limit, nobody is evicted.
        socks.push(await clientSending(port, 'p1', partialBulk(300000)));
        await waitClients(ctl, (m) => m.get('p1')?.qbuf === '300000');
        await ctl.send('PING');
        seen.push(String((await clientFields(ctl)).has('p1')));
        // 10% of 4 MB: 419430 bytes.
        await ctl.send('CONFIG', 'SET', 'maxmemory', '4mb');
        socks.push(await clientSending(port, 'p2', partialBulk(200000)));
        await waitClients(ctl, (m) => !m.has('p1'));
        const m = await clientFields(ctl);
        seen.push(`${m.has('p1')} ${m.has('p2')}`, await infoField(ctl, 'evicted_clients'));
      });
    assert.equal(await run(srv.port), await run(ref.port));
  });

  t.run();
}
