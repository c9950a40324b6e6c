/**
 * AOF write errors, side by side with real Redis 7.0 (both engines). The suite runs as root, so a
 * read-only directory is no test; instead the next incr file is made a symlink to /dev/full
 * (writes fail with ENOSPC) before BGREWRITEAOF opens it, in Redust's directory and in Redis's:
 * - appendfsync everysec: the write that fails was already answered (as in Redis), then writes,
 *   PING and scripts that write get `-MISCONF Errors writing to the AOF file: No space left on
 *   device`, reads work, INFO says aof_last_write_status:err; a BGREWRITEAOF opens a writable incr
 *   file, the kept buffer goes there and writes work again. Same transcript as Redis, and both
 *   restart to the same data (the write acknowledged before the error included).
 * - appendfsync always: the server exits (status 1) without answering the write, logging Redis's
 *   two lines; a restart from that directory (its incr file still /dev/full) loads, as Redis's.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn, ChildProcess } from 'child_process';
import { enginesUnderTest, freePort, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { RawConnection, items, text } from './helpers/raw';
import type { EngineName } from '../src/engine/types';
import type { RespNode } from '../src/protocol/resp-reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aoferr-'));

const show = (n: RespNode): string => (n.t === 'error' ? `-${n.v}` : n.t === 'array' ? `[${n.v.map(show).join(',')}]` : n.t === 'int' ? `:${n.v}` : text(n));

async function waitRewriteDone(c: RawConnection): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const info = text(await c.send('INFO', 'persistence'));
    if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) return;
    await sleep(10);
  }
  throw new Error('rewrite did not finish');
}

const field = (info: string, name: string) => new RegExp(`^${name}:(.*?)\\r?$`, 'm').exec(info)?.[1];

/** The everysec scenario on a server whose AOF directory is `adir`; the replies as text. */
async function everysecScenario(port: number, adir: string): Promise<string[]> {
  const c = await RawConnection.connect(port);
  const out: string[] = [];
  const run = async (...args: string[]) => out.push(`${args.join(' ')} -> ${show(await c.send(...args))}`);
  await run('SET', 'a', '1');
  fs.symlinkSync('/dev/full', path.join(adir, 'appendonly.aof.2.incr.aof'));
  await run('BGREWRITEAOF');
  await waitRewriteDone(c);
  await run('SET', 'b', '1'); // written after its reply is decided: OK, and the error is noticed
  await run('SET', 'c', '1');
  await run('INCR', 'n');
  await run('PING');
  await run('GET', 'a');
  await run('EVAL', "return redis.call('set','x','1')", '0');
  await run('EVAL', "return redis.call('get','a')", '0');
  let info = text(await c.send('INFO', 'persistence'));
  out.push(`aof_last_write_status:${field(info, 'aof_last_write_status')}`);
  await sleep(1200); // the once-a-second retry fails too
  await run('SET', 'd', '1');
  await run('BGREWRITEAOF');
  await waitRewriteDone(c);
  await sleep(1100); // the retry (serverCron's, the everysec timer's) writes the kept buffer
  info = text(await c.send('INFO', 'persistence'));
  out.push(`aof_last_write_status:${field(info, 'aof_last_write_status')}`);
  await run('SET', 'e', '1');
  out.push(`keys: ${items(await c.send('KEYS', '*')).map(text).sort().join(',')}`);
  c.close();
  return out;
}

async function digestOf(port: number): Promise<string> {
  const c = await RawConnection.connect(port);
  for (let i = 0; i < 500; i++) {
    if (text(await c.send('PING')) === 'PONG') break;
    await sleep(10);
  }
  const d = text(await c.send('DEBUG', 'DIGEST'));
  c.close();
  return d;
}

interface Proc {
  child: ChildProcess;
  port: number;
  log: () => string;
  exited: Promise<number | null>;
}

async function spawnServer(kind: EngineName | 'redis', dir: string, fsync: string): Promise<Proc> {
  const port = await freePort();
  let log = '';
  const logfile = path.join(dir, 'redis.log');
  const child =
    kind === 'redis'
      ? spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', fsync, '--logfile', logfile], { stdio: 'ignore' })
      : spawn(process.execPath, [BIN, '--port', String(port), '--engine', kind, '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', fsync], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d) => (log += d));
  child.stderr?.on('data', (d) => (log += d));
  // 'close', not 'exit': the log pipes are drained by then.
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  for (let i = 0; i < 500; i++) {
    try {
      const c = await RawConnection.connect(port);
      const r = await c.send('PING');
      c.close();
      if (text(r) === 'PONG') break;
    } catch {
      /* not up */
    }
    await sleep(20);
  }
  return { child, port, exited, log: () => (kind === 'redis' ? (fs.existsSync(logfile) ? fs.readFileSync(logfile, 'utf8') : '') : log) };
}

/** The messages of a log: Redis's text lines, or the msg fields of Redust's JSON lines. */
function messages(log: string): string[] {
  return log
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      try {
        return String(JSON.parse(l).msg);
      } catch {
        return l.replace(/^\d+:[A-Z] \d+ \w+ \d+ [\d:.]+ [*#.-] /, '');
      }
    });
}

/** The always scenario: a write that cannot be persisted is never answered; the server exits. */
async function alwaysScenario(kind: EngineName | 'redis', dir: string): Promise<{ reply: string; code: number | null; errors: string[] }> {
  const s = await spawnServer(kind, dir, 'always');
  const c = await RawConnection.connect(s.port);
  assert.is(text(await c.send('SET', 'a', '1')), 'OK');
  fs.symlinkSync('/dev/full', path.join(dir, 'appendonlydir', 'appendonly.aof.2.incr.aof'));
  assert.is(text(await c.send('BGREWRITEAOF')), 'Background append only file rewriting started');
  await waitRewriteDone(c);
  c.write('*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n1\r\n');
  const reply = (await c.hasReplyWithin(3000)) ? show(await c.next()) : '(none)';
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([s.exited, new Promise<number>((r) => (timer = setTimeout(() => r(-1), 5000)))]);
  clearTimeout(timer);
  c.close();
  if (code === -1) s.child.kill('SIGKILL');
  const errors = messages(s.log()).filter((m) => /AOF/.test(m) && /(Error|Can't)/.test(m));
  return { reply, code, errors };
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`aof write errors [${engine}]`);

    t('appendfsync everysec: MISCONF until a writable incr file, INFO err, the same transcript and data as Redis', async () => {
      const mine = tmpDir();
      const theirs = tmpDir();
      const srv = await startRedust(engine, { config: { dir: mine, appendonly: 'yes', appendfsync: 'everysec' } });
      const ref = await startReference(['--dir', theirs, '--appendonly', 'yes', '--appendfsync', 'everysec']);
      try {
        const [a, b] = await Promise.all([everysecScenario(srv.port, path.join(mine, 'appendonlydir')), everysecScenario(ref.port, path.join(theirs, 'appendonlydir'))]);
        assert.equal(a, b);
        assert.ok(a.includes('SET c 1 -> -MISCONF Errors writing to the AOF file: No space left on device'), a.join('\n'));
        assert.ok(a.includes('aof_last_write_status:err') && a.includes('aof_last_write_status:ok'));
        await srv.close();
        await ref.stop();
        // Both restart with a, b (acknowledged before the error was known) and e.
        const again = await startRedust(engine, { config: { dir: mine, appendonly: 'yes' } });
        const c = await RawConnection.connect(again.port);
        assert.equal(items(await c.send('KEYS', '*')).map(text).sort(), ['a', 'b', 'e']);
        c.close();
        const d = await digestOf(again.port);
        await again.close();
        const ref2 = await startReference(['--dir', theirs, '--appendonly', 'yes']);
        assert.is(await digestOf(ref2.port), d, 'Redis restarts to the same data');
        await ref2.stop();
      } finally {
        await srv.close();
        await ref.stop();
        fs.rmSync(mine, { recursive: true, force: true });
        fs.rmSync(theirs, { recursive: true, force: true });
      }
    });

    t('appendfsync always: the write is not answered and the server exits with status 1, as Redis; the directory loads again', async () => {
      const mine = tmpDir();
      const theirs = tmpDir();
      try {
        const [a, b] = await Promise.all([alwaysScenario(engine, mine), alwaysScenario('redis', theirs)]);
        assert.equal(a, b);
        assert.equal(a, {
          reply: '(none)',
          code: 1,
          errors: ['Error writing to the AOF file: No space left on device', "Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting..."],
        });
        // The manifest still names the /dev/full incr file: it reads as empty, in both servers.
        const again = await startRedust(engine, { config: { dir: mine, appendonly: 'yes' } });
        const c = await RawConnection.connect(again.port);
        assert.is(text(await c.send('GET', 'a')), '1');
        c.close();
        await again.close();
        const ref = await startReference(['--dir', theirs, '--appendonly', 'yes']);
        await digestOf(ref.port); // PONG: loaded
        const rc = await RawConnection.connect(ref.port);
        assert.is(text(await rc.send('GET', 'a')), '1');
        rc.close();
        await ref.stop();
      } finally {
        fs.rmSync(mine, { recursive: true, force: true });
        fs.rmSync(theirs, { recursive: true, force: true });
      }
    });

    t.run();
  }
} else {
  console.log('aof-errors: redis-server not installed, tests skipped');
}
