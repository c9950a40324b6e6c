/**
 * Connection hygiene (issue 15), over real TCP, both engines, compared with real Redis 7.0 where a
 * reply is involved: maxclients, timeout (idle clients closed; blocked and subscribed ones kept),
 * tcp-keepalive, client-output-buffer-limit for the normal class (hard and soft; the server's RSS
 * stays bounded under a client that never reads), client-query-buffer-limit, proto-max-bulk-len,
 * rename-command, unixsocket/unixsocketperm (redis-cli -s), several bind addresses with IPv6.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFile } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { enginesUnderTest, haveRedisServer, startRedust, startReference, freePort, ReferenceServer } from './helpers/servers';
import { RawConnection, R, text } from './helpers/raw';
import { parseArgs, parseConfigFile } from '../src/cli';
import type { RedustServer } from '../src/index';

const HAVE_REF = haveRedisServer();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Connect, send `bytes`, and collect everything until the server closes (or `ms`). */
function exchange(port: number, bytes: Buffer | string, ms = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    let data = '';
    // Closed by the server: an orderly end, or a reset (closed with our bytes still unread).
    let closed = false;
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    const t = setTimeout(() => {
      s.destroy();
    }, ms);
    s.on('data', (d) => (data += d.toString('latin1')));
    s.on('error', (e) => (closed ||= (e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE'));
    s.on('end', () => (closed = true));
    s.on('close', () => {
      clearTimeout(t);
      resolve({ data, closed });
    });
  });
}

/** Both servers' answers to the same raw bytes (Redis's first when available). */
async function both(ports: number[], bytes: Buffer | string): Promise<{ data: string; closed: boolean }[]> {
  return Promise.all(ports.map((p) => exchange(p, bytes)));
}

function cli(args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('redis-cli', args, { timeout: 10000 }, (_e, out) => resolve(String(out))));
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv?: RedustServer; ref?: ReferenceServer }>(`hygiene [${engine}]`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
    if (HAVE_REF) ctx.ref = await startReference();
  });
  t.after(async (ctx) => {
    await ctx.srv?.close();
    await ctx.ref?.stop();
  });
  const ports = (ctx: { srv?: RedustServer; ref?: ReferenceServer }) => [ctx.srv!.port, ...(ctx.ref ? [ctx.ref.port] : [])];
  const configAll = async (ctx: { srv?: RedustServer; ref?: ReferenceServer }, ...args: string[]) => {
    for (const p of ports(ctx)) {
      const c = await RawConnection.connect(p);
      assert.equal(await c.send('CONFIG', 'SET', ...args), R.ok, `CONFIG SET ${args.join(' ')} on ${p}`);
      c.close();
    }
  };

  t('maxclients: the connection over the limit gets Redis\'s error and is closed', async (ctx) => {
    const held: RawConnection[] = [];
    const results: { data: string; closed: boolean }[] = [];
    for (const p of ports(ctx)) {
      const admin = await RawConnection.connect(p);
      assert.equal(await admin.send('CONFIG', 'SET', 'maxclients', '3'), R.ok);
      held.push(admin);
      for (let i = 0; i < 2; i++) {
        const c = await RawConnection.connect(p);
        assert.equal(await c.send('PING'), R.simple('PONG'));
        held.push(c);
      }
      results.push(await exchange(p, 'PING\r\n'));
      assert.equal(await admin.send('CONFIG', 'SET', 'maxclients', '10000'), R.ok);
      const info = text(await admin.send('INFO', 'stats'));
      assert.match(info, /rejected_connections:1\r\n/);
    }
    for (const c of held) c.close();
    assert.equal(results[0], { data: '-ERR max number of clients reached\r\n', closed: true });
    if (results.length > 1) assert.equal(results[0], results[1]);
  });

  t('maxclients: connections over the limit that the peer resets at once cost nothing (no uncaught ECONNRESET)', async (ctx) => {
    // (This test's process hosts the server: an 'error' event without a listener would end it.)
    const admin = await RawConnection.connect(ctx.srv!.port);
    const rejectedOf = (info: string) => Number(/rejected_connections:(\d+)/.exec(info)![1]);
    const before = rejectedOf(text(await admin.send('INFO', 'stats')));
    assert.equal(await admin.send('CONFIG', 'SET', 'maxclients', '1'), R.ok);
    for (let i = 0; i < 40; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(ctx.srv!.port, '127.0.0.1', () => {
          // An RST, not a FIN: the server's reply write or read then fails with ECONNRESET/EPIPE.
          if (i % 2) s.resetAndDestroy();
          else setImmediate(() => s.resetAndDestroy());
        });
        s.on('error', () => undefined);
        s.on('close', () => resolve());
      });
    }
    await sleep(100);
    const info = text(await admin.send('INFO', 'stats'));
    assert.equal(await admin.send('CONFIG', 'SET', 'maxclients', '10000'), R.ok);
    admin.close();
    // (A connection reset while still in the listen backlog is never accepted, hence "most".)
    const rejected = rejectedOf(info) - before;
    assert.ok(rejected >= 20 && rejected <= 40, info);
  });

  t('timeout: idle clients are closed; blocked and subscribed clients are not', async (ctx) => {
    const states: boolean[][] = [];
    await Promise.all(
      ports(ctx).map(async (p) => {
        const admin = await RawConnection.connect(p);
        assert.equal(await admin.send('CONFIG', 'SET', 'timeout', '1'), R.ok);
        const idle = await RawConnection.connect(p);
        await idle.send('PING');
        const busy = await RawConnection.connect(p);
        const blocked = await RawConnection.connect(p);
        blocked.write('*3\r\n$5\r\nBLPOP\r\n$5\r\nnokey\r\n$1\r\n0\r\n');
        const sub = await RawConnection.connect(p);
        await sub.send('SUBSCRIBE', 'ch');
        for (let i = 0; i < 14; i++) {
          await sleep(250);
          await busy.send('PING');
          await admin.send('PING');
        }
        states.push([idle.closed, busy.closed, blocked.closed, sub.closed]);
        assert.equal(await admin.send('CONFIG', 'SET', 'timeout', '0'), R.ok);
        for (const c of [admin, idle, busy, blocked, sub]) c.close();
      }),
    );
    assert.equal(states[0], [true, false, false, false]);
    if (states.length > 1) assert.equal(states[0], states[1]);
  });

  t('tcp-keepalive: accepted sockets have the keepalive timer', async ({ srv }) => {
    const c = await RawConnection.connect(srv!.port);
    await c.send('PING');
    const out = await new Promise<string>((resolve) => execFile('ss', ['-tno', 'state', 'established', `( sport = :${srv!.port} )`], (_e, o) => resolve(String(o))));
    if (out) assert.match(out, /timer:\(keepalive/);
    c.close();
  });

  t('proto-max-bulk-len and an oversized multibulk: Redis\'s protocol errors, connection closed', async (ctx) => {
    await configAll(ctx, 'proto-max-bulk-len', '1048576');
    const r = await both(ports(ctx), '*2\r\n$3\r\nGET\r\n$2000000\r\n');
    assert.equal(r[0], { data: '-ERR Protocol error: invalid bulk length\r\n', closed: true });
    if (r.length > 1) assert.equal(r[0], r[1]);
    await configAll(ctx, 'proto-max-bulk-len', '536870912');
  });

  t('client-query-buffer-limit: a client whose query buffer passes it is closed without a reply', async (ctx) => {
    await configAll(ctx, 'client-query-buffer-limit', '1048576');
    const big = Buffer.concat([Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n'), Buffer.alloc(1_500_000, 120)]);
    const r = await both(ports(ctx), big);
    assert.equal(r[0], { data: '', closed: true });
    if (r.length > 1) assert.equal(r[0], r[1]);
    await configAll(ctx, 'client-query-buffer-limit', '1073741824');
  });

  t('client-output-buffer-limit normal (hard): a client pipelining big replies without reading is disconnected', async (ctx) => {
    await configAll(ctx, 'client-output-buffer-limit', 'normal 4mb 0 0');
    const value = 'v'.repeat(256 * 1024);
    const outcomes: boolean[] = [];
    for (const p of ports(ctx)) {
      const admin = await RawConnection.connect(p);
      await admin.send('SET', 'big', value);
      const s = net.connect(p, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.pause(); // never read
      s.on('error', () => undefined);
      const closed = new Promise<boolean>((resolve) => {
        s.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 8000).unref();
      });
      // 2000 x 256 KB = 500 MB of replies requested. A paused socket does not see the close:
      // read after a while (what arrives is at most the limit plus the kernel buffers).
      const req = Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(2000));
      s.write(req);
      await sleep(1500);
      let got = 0;
      s.on('data', (d) => (got += d.length));
      s.resume();
      outcomes.push(await closed);
      assert.ok(got < 64 * 1024 * 1024, `read ${got} bytes`);
      s.destroy();
      const list = text(await admin.send('CLIENT', 'LIST'));
      assert.is(list.trim().split('\n').length, 1, list);
      await admin.send('DEL', 'big');
      admin.close();
    }
    assert.equal(outcomes, outcomes.map(() => true));
    await configAll(ctx, 'client-output-buffer-limit', 'normal 0 0 0');
  });

  t('client-output-buffer-limit normal (soft): over the soft limit for longer than its seconds', async (ctx) => {
    await configAll(ctx, 'client-output-buffer-limit', 'normal 0 1mb 1');
    const outcomes: [boolean, boolean][] = [];
    await Promise.all(
      ports(ctx).map(async (p) => {
        const admin = await RawConnection.connect(p);
        await admin.send('SET', 'big', 'v'.repeat(256 * 1024));
        const s = net.connect(p, '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        s.pause();
        s.on('error', () => undefined);
        let closed = false;
        s.once('close', () => (closed = true));
        const serverSide = async () => text(await admin.send('CLIENT', 'LIST')).trim().split('\n').length === 1;
        // Get well over 1 MB unread (beyond the kernel buffers), then keep adding a little.
        s.write(Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(64)));
        await sleep(300);
        const early = await serverSide();
        let gone = false;
        for (let i = 0; i < 12 && !gone; i++) {
          await sleep(250);
          if (!closed) s.write('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n');
          gone = await serverSide();
        }
        outcomes.push([early, gone]);
        s.destroy();
        await admin.send('DEL', 'big');
        admin.close();
      }),
    );
    for (const o of outcomes) assert.equal(o, [false, true]);
    await configAll(ctx, 'client-output-buffer-limit', 'normal 0 0 0');
  });

  t.run();
}

const o = suite('hygiene: listeners, rename-command, server RSS');

o('rename-command: renamed and removed commands answer as in Redis (embedding API and config file)', async () => {
  const srv = await startRedust(enginesUnderTest()[0], { renameCommands: { config: '', flushall: 'wipe', get: 'fetch' } });
  const ref = HAVE_REF ? await startReference(['--rename-command', 'config', '', '--rename-command', 'flushall', 'wipe', '--rename-command', 'get', 'fetch']) : null;
  const cmds = [['SET', 'a', '1'], ['GET', 'a'], ['FETCH', 'a'], ['CONFIG', 'GET', 'port'], ['FLUSHALL'], ['WIPE'], ['DBSIZE'], ['fetch', 'a']];
  const run = async (port: number) => {
    const c = await RawConnection.connect(port);
    const out = [];
    for (const cmd of cmds) out.push(await c.send(...cmd));
    c.close();
    return out;
  };
  try {
    const mine = await run(srv.port);
    assert.equal(mine[2], R.bulk('1'));
    assert.equal(mine[1], R.err("ERR unknown command 'GET', with args beginning with: 'a' "));
    if (ref) assert.equal(mine, await run(ref.port));
  } finally {
    await srv.close();
    await ref?.stop();
  }
  const renames: [string, string][] = [];
  parseConfigFile('rename-command CONFIG ""\nrename-command flushall wipe\n', 'x.conf', renames);
  assert.equal(renames, [['CONFIG', ''], ['flushall', 'wipe']]);
  assert.throws(() => parseConfigFile('rename-command nosuch x\n', 'x.conf'), /No such command in rename-command/);
  assert.throws(() => parseConfigFile('rename-command get set\n', 'x.conf'), /Target command name already exists/);
  assert.equal(parseArgs(['--rename-command', 'keys', ''], {}).renames, [['keys', '']]);
});

o('unixsocket and unixsocketperm: redis-cli -s works, the mode is applied, CLIENT LIST shows the path', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-unix-'));
  const sock = path.join(dir, 'redust.sock');
  fs.writeFileSync(sock, 'stale'); // removed before binding, as Redis does
  const srv = await startRedust(enginesUnderTest()[0], { config: { unixsocket: sock, unixsocketperm: '700' } });
  try {
    assert.is(fs.statSync(sock).mode & 0o777, 0o700);
    assert.is(await cli(['-s', sock, 'PING']), 'PONG\n');
    const list = await cli(['-s', sock, 'CLIENT', 'LIST']);
    assert.match(list, new RegExp(`addr=${sock}:0 laddr=${sock}:0 fd=\\d+ name= age=\\d+ idle=\\d+ flags=U `));
    assert.is(await cli(['-s', sock, 'CONFIG', 'GET', 'unixsocketperm']), 'unixsocketperm\n700\n');
  } finally {
    await srv.close();
  }
  assert.not.ok(fs.existsSync(sock), 'socket removed on close');
  fs.rmSync(dir, { recursive: true, force: true });
});

o('several bind addresses including IPv6 ::1; an optional (-) address that cannot be bound is skipped', async () => {
  const srv = await startRedust(enginesUnderTest()[0], { host: '127.0.0.1 ::1 -10.255.255.254' });
  try {
    for (const host of ['127.0.0.1', '::1']) {
      const c = await RawConnection.connect(srv.port, host);
      assert.equal(await c.send('PING'), R.simple('PONG'));
      const info = text(await c.send('CLIENT', 'INFO'));
      assert.match(info, host === '::1' ? /addr=::1:\d+ laddr=::1:/ : /addr=127\.0\.0\.1:\d+ /);
      c.close();
    }
  } finally {
    await srv.close();
  }
});

o('server RSS stays bounded while a client that never reads requests 1 GB of replies', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'redust.js'), '--port', String(port), '--dir', os.tmpdir(), '--dbfilename', `redust-hygiene-${process.pid}.rdb`, '--loglevel', 'warning', '--client-output-buffer-limit', 'normal 8mb 4mb 10'], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100; i++) {
      if ((await exchange(port, 'PING\r\n', 300)).data === '+PONG\r\n') break;
      await sleep(50);
    }
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;
    const admin = await RawConnection.connect(port);
    await admin.send('SET', 'big', 'v'.repeat(1024 * 1024));
    const before = rss();
    let peak = before;
    for (let round = 0; round < 4; round++) {
      const s = net.connect(port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      s.pause();
      s.on('error', () => undefined);
      const closed = new Promise<boolean>((resolve) => {
        s.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 10000).unref();
      });
      s.write(Buffer.from('*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n'.repeat(256))); // 256 MB of replies
      const timer = setInterval(() => (peak = Math.max(peak, rss())), 20);
      await sleep(1000);
      s.on('data', () => undefined);
      s.resume(); // a paused socket does not see the close
      const ok = await closed;
      clearInterval(timer);
      s.destroy();
      assert.ok(ok, 'the non-reading client was disconnected');
    }
    assert.equal(await admin.send('DBSIZE'), R.int(1));
    admin.close();
    // 4 x 256 MB requested; the server's memory grew by far less than one request.
    assert.ok(peak - before < 150 * 1024 * 1024, `RSS grew by ${((peak - before) / 1048576).toFixed(0)} MB`);
  } finally {
    child.kill('SIGKILL');
  }
});

o.run();
