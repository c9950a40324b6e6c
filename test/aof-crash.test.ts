/**
 * Crashes of the append-only file, on both engines (the long version is `npm run bench --
 * durability`, bench/durability.ts):
 * - kill -9 of the server in the middle of a BGREWRITEAOF (its RDB-preamble base slowed by
 *   rdb-key-save-delay, and INFO saying aof_rewrite_in_progress:1 just before the kill) while
 *   clients write under appendfsync always: the appendonlydir left behind loads, in Redust and in
 *   real Redis with the same DEBUG DIGEST, with every acknowledged write;
 * - writes in db N after a rewrite land in db N after a restart (the new incr file SELECTs);
 * - appendfsync everysec: a kill -9 under load loses no acknowledged write older than 2 s (Redust
 *   writes before it replies, so in practice none: the page cache outlives the process).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn, ChildProcess } from 'child_process';
import net from 'net';
import { RespReader, RespNode } from '../src/protocol/resp-reader';
import { enginesUnderTest, freePort, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { RawConnection, encodeCommand, items, text } from './helpers/raw';
import type { EngineName } from '../src/engine/types';
import { digest } from './helpers/aof-pair';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');

interface Cli {
  child: ChildProcess;
  port: number;
}

async function startCli(engine: EngineName, dir: string, conf: Record<string, string>): Promise<Cli> {
  const port = await freePort();
  const args = [BIN, '--port', String(port), '--engine', engine, '--dir', dir, '--save', '', '--appendonly', 'yes', '--loglevel', 'warning'];
  for (const [k, v] of Object.entries(conf)) args.push(`--${k}`, v);
  const child = spawn(process.execPath, args, { stdio: 'ignore' });
  for (let i = 0; i < 500; i++) {
    try {
      const c = await RawConnection.connect(port);
      const r = await c.send('PING');
      c.close();
      if (text(r) === 'PONG') return { child, port };
    } catch {
      /* not up yet */
    }
    if (child.exitCode !== null) break;
    await sleep(20);
  }
  child.kill('SIGKILL');
  throw new Error('redust did not start');
}

async function kill9(s: Cli): Promise<void> {
  const gone = s.child.exitCode !== null || s.child.signalCode !== null ? Promise.resolve() : new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGKILL');
  await gone;
}

/**
 * A writer on its own keys: INCR n:<tag> and SET s:<tag> <op index>, alternately, one at a time,
 * until the connection dies or stop() is called; acked is the last op index acknowledged.
 */
function writer(port: number, tag: string) {
  const st = { acked: 0, ackAt: [Date.now()] as number[], stopped: false };
  const done = (async () => {
    // Its own socket and reader: a reply, or null once the connection is gone (no timers left behind).
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const so = net.connect(port, '127.0.0.1', () => resolve(so));
      so.once('error', reject);
    });
    sock.setNoDelay(true);
    const reader = new RespReader();
    let wake: ((n: RespNode | null) => void) | null = null;
    sock.on('data', (d) => {
      for (const n of reader.feed(d)) wake?.(n);
    });
    sock.on('error', () => undefined);
    sock.on('close', () => wake?.(null));
    for (let i = 1; !st.stopped && !sock.destroyed; i++) {
      const reply = new Promise<RespNode | null>((r) => (wake = r));
      sock.write(encodeCommand(i % 2 ? ['INCR', `n:${tag}`] : ['SET', `s:${tag}`, String(i)]));
      const r = await reply;
      if (r === null) break; // killed: this op is not acknowledged
      if (r.t === 'error') throw new Error(`${tag}: ${text(r)}`);
      st.ackAt[i] = Date.now();
      st.acked = i;
    }
    sock.destroy();
  })();
  return { st, done, stop: () => (st.stopped = true) };
}

/** The op index the server holds for a writer: max(2·INCR count − 1, last SET index). */
async function persisted(c: RawConnection, tag: string): Promise<number> {
  const n = Number(text(await c.send('GET', `n:${tag}`)) || 0);
  const s = Number(text(await c.send('GET', `s:${tag}`)) || 0);
  return Math.max(n > 0 ? 2 * n - 1 : 0, s);
}

/** Real Redis started on `dir` (appendonly yes), once it answers: its DEBUG DIGEST. */
async function redisDigestOn(dir: string): Promise<string> {
  const ref = await startReference(['--dir', dir, '--appendonly', 'yes']);
  try {
    for (let i = 0; i < 500; i++) {
      const rc = await RawConnection.connect(ref.port);
      const r = await rc.send('PING');
      rc.close();
      if (text(r) === 'PONG') break;
      await sleep(10);
    }
    return await digest(ref.port);
  } finally {
    await ref.stop();
  }
}

for (const engine of enginesUnderTest()) {
  const t = suite(`aof crash [${engine}]`);

  t('kill -9 during BGREWRITEAOF: the appendonlydir loads with every acknowledged write (in Redis too)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofcrash-'));
    const PRELOAD = 2000;
    const tags: { tag: string; acked: number }[] = [];
    try {
      for (let cycle = 0; cycle < 2; cycle++) {
        // 300 µs per key: the base of 2000+ keys takes over half a second to write.
        const s = await startCli(engine, dir, { appendfsync: 'always', 'rdb-key-save-delay': '300', 'aof-use-rdb-preamble': 'yes' });
        const c = await RawConnection.connect(s.port);
        const cmds: Buffer[] = [];
        for (let i = 0; i < PRELOAD; i++) cmds.push(encodeCommand(['SET', `pre:${cycle}:${i}`, `v${i}`]));
        c.write(Buffer.concat(cmds));
        for (let i = 0; i < PRELOAD; i++) assert.is(text(await c.next(5000)), 'OK');
        const ws = [0, 1, 2].map((w) => ({ tag: `${cycle}:${w}`, ...writer(s.port, `${cycle}:${w}`) }));
        await sleep(50);
        assert.is(text(await c.send('BGREWRITEAOF')), 'Background append only file rewriting started');
        await sleep(100 + Math.random() * 300);
        const info = text(await c.send('INFO', 'persistence'));
        assert.match(info, /aof_rewrite_in_progress:1/, 'the kill lands during the rewrite');
        await kill9(s);
        for (const w of ws) w.stop();
        await Promise.all(ws.map((w) => w.done));
        c.close();
        for (const w of ws) tags.push({ tag: w.tag, acked: w.st.acked });
        assert.ok(ws.every((w) => w.st.acked > 0), 'every writer was acknowledged');
      }
      // Redust starts from what the crash left: every preloaded key and every acknowledged op.
      const srv = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      const c = await RawConnection.connect(srv.port);
      for (let cycle = 0; cycle < 2; cycle++) {
        for (let i = 0; i < PRELOAD; i += 500) {
          const keys = Array.from({ length: 500 }, (_, j) => `pre:${cycle}:${i + j}`);
          assert.equal(items(await c.send('MGET', ...keys)).map(text), keys.map((_, j) => `v${i + j}`));
        }
      }
      for (const { tag, acked } of tags) assert.ok((await persisted(c, tag)) >= acked, `writer ${tag}: ${acked} acknowledged`);
      c.close();
      const mine = await digest(srv.port);
      await srv.close();
      // Real Redis reads the same directory to the same data.
      assert.is(await redisDigestOn(dir), mine, 'Redis loads it to the same digest');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t('appendfsync everysec: kill -9 under load loses no acknowledged write older than 2 s', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofcrash-'));
    try {
      const all: { tag: string; acked: number; ackAt: number[]; killAt: number }[] = [];
      for (let cycle = 0; cycle < 2; cycle++) {
        const s = await startCli(engine, dir, { appendfsync: 'everysec' });
        const ws = [0, 1, 2].map((w) => ({ tag: `${cycle}:${w}`, ...writer(s.port, `${cycle}:${w}`) }));
        await sleep(1200 + Math.random() * 800);
        const killAt = Date.now();
        await kill9(s);
        for (const w of ws) w.stop();
        await Promise.all(ws.map((w) => w.done));
        for (const w of ws) all.push({ tag: w.tag, acked: w.st.acked, ackAt: w.st.ackAt, killAt });
      }
      const srv = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      const c = await RawConnection.connect(srv.port);
      let lost = 0;
      for (const w of all) {
        const p = await persisted(c, w.tag);
        assert.ok(p <= w.acked + 1, `${w.tag}: holds op ${p}, only ${w.acked + 1} were sent`);
        for (let i = p + 1; i <= w.acked; i++) {
          lost++;
          assert.ok(w.killAt - w.ackAt[i] <= 2000, `${w.tag}: op ${i}, acknowledged ${w.killAt - w.ackAt[i]} ms before the kill, is lost`);
        }
      }
      assert.ok(all.every((w) => w.acked > 10), 'writes were acknowledged');
      assert.is(lost, 0, 'the page cache outlives the process: nothing acknowledged is lost to a kill -9');
      c.close();
      await srv.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t('writes in another db after BGREWRITEAOF replay into that db (the new incr file starts with SELECT), in Redis too', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofcrash-'));
    try {
      const srv = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      const c = await RawConnection.connect(srv.port);
      await c.send('SELECT', '3');
      await c.send('SET', 'before', '1');
      assert.is(text(await c.send('BGREWRITEAOF')), 'Background append only file rewriting started');
      for (let i = 0; i < 500 && !/aof_rewrite_in_progress:0/.test(text(await c.send('INFO', 'persistence'))); i++) await sleep(10);
      await c.send('SET', 'after', '1');
      const d = await digest(srv.port);
      c.close();
      await srv.close();
      const again = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      const c2 = await RawConnection.connect(again.port);
      await c2.send('SELECT', '3');
      assert.equal(items(await c2.send('KEYS', '*')).map(text).sort(), ['after', 'before']);
      c2.close();
      assert.is(await digest(again.port), d);
      await again.close();
      assert.is(await redisDigestOn(dir), d, 'Redis replays it to the same data');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  if (haveRedisServer()) t.run();
}
if (!haveRedisServer()) console.log('aof-crash: redis-server not installed, tests skipped');
