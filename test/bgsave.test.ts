/**
 * BGSAVE without fork (src/persistence/bgsave.ts), both engines: Redis 7.0's replies, the file
 * equals the dataset at the moment BGSAVE started while a client keeps writing (checked by loading
 * it into real redis-server and comparing DEBUG DIGEST with a digest taken at the start), FLUSHALL
 * and close() abort it and delete the temp file, save points fire from the cron, MISCONF after a
 * failed save, and kill -9 of the CLI during a BGSAVE leaves the previous dump.rdb loadable.
 * Tests that need the reference redis-server are registered only when it is installed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { enginesUnderTest, freePort, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { R, RawConnection, encodeCommand, text } from './helpers/raw';
import { rng } from './helpers/rng';
import type { RedustServer } from '../src/index';
import { MISCONF, bgStateOf } from '../src/persistence/bgsave';
import { saveRdb } from '../src/persistence/rdb';

const HAVE_REF = haveRedisServer();
if (!HAVE_REF) console.log('bgsave: redis-server not installed, interop tests skipped');

const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'redust-bg-'));

/** dir/dump.rdb of 4000 keys `key:i` -> `value:i`, written by an embedded server filled through the engine. */
async function writeDump(dir: string): Promise<void> {
  const srv = await startRedust('wasm', { config: { dir } });
  const db = srv.internal.dbs[0];
  for (let i = 0; i < 4000; i++) db.set(Buffer.from(`key:${i}`), Buffer.from(`value:${i}`));
  saveRdb(srv.internal);
  await srv.close();
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function info(c: RawConnection, field: string, section = 'persistence'): Promise<string> {
  const t = text(await c.send('INFO', section));
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(t);
  if (!m) throw new Error(`no ${field} in INFO`);
  return m[1].trim();
}

async function waitBgsaveDone(c: RawConnection, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while ((await info(c, 'rdb_bgsave_in_progress')) !== '0') {
    if (Date.now() > end) throw new Error('BGSAVE did not finish');
    await sleep(20);
  }
}

/** Mixed data in dbs 0, 1 and 5: strings, TTLs, lists, hashes, sets, zsets, a stream. */
async function populate(c: RawConnection, n: number): Promise<void> {
  for (const db of [0, 1, 5]) {
    await c.send('SELECT', db);
    const batch: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      const k = `k${i}`;
      switch (i % 6) {
        case 0: batch.push(c.send('SET', k, `v${i}-${db}`)); break;
        case 1: batch.push(c.send('SET', k, String(i)), c.send('PEXPIRE', k, 3_600_000)); break;
        case 2: batch.push(c.send('RPUSH', k, 'a', 'b', String(i))); break;
        case 3: batch.push(c.send('HSET', k, 'f', 'x', 'g', String(i))); break;
        case 4: batch.push(c.send('SADD', k, 1, 2, i)); break;
        default: batch.push(c.send('ZADD', k, 1, 'a', i, 'b'));
      }
    }
    batch.push(c.send('XADD', 'stream', '1-1', 'a', 'b'));
    await Promise.all(batch);
  }
  await c.send('SELECT', 0);
}

function checkRdb(file: string): void {
  const r = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
  assert.is(r.status, 0, `redis-check-rdb failed:\n${r.stdout}\n${r.stderr}`);
  assert.ok(/RDB looks OK/.test(r.stdout), r.stdout);
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer; c: RawConnection; dir: string }>(`bgsave [${engine}]`);
  t.before.each(async (ctx) => {
    ctx.dir = tmpDir();
    ctx.srv = await startRedust(engine, { persistence: true, config: { dir: ctx.dir, save: '' } });
    ctx.c = await RawConnection.connect(ctx.srv.port);
  });
  t.after.each(async (ctx) => {
    ctx.c.close();
    await ctx.srv.close();
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });

  t('replies as Redis 7.0: started, already in progress, SAVE refused, SCHEDULE, syntax, in MULTI', async ({ c, dir }) => {
    await populate(c, 300);
    await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 1000);
    assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
    assert.is(await info(c, 'rdb_bgsave_in_progress'), '1');
    assert.ok(fs.existsSync(path.join(dir, `temp-bg-${process.pid}.rdb`)), 'temp file while saving');
    assert.equal(await c.send('BGSAVE'), R.err('ERR Background save already in progress'));
    assert.equal(await c.send('BGSAVE', 'SCHEDULE'), R.err('ERR Background save already in progress'));
    assert.equal(await c.send('SAVE'), R.err('ERR Background save already in progress'));
    assert.equal(await c.send('BGSAVE', 'NOW'), R.err('ERR syntax error'));
    assert.ok(Number(await info(c, 'current_save_keys_total')) > 0);
    await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 0);
    await waitBgsaveDone(c);
    assert.is(await info(c, 'rdb_last_bgsave_status'), 'ok');
    assert.is(await info(c, 'rdb_saves'), '1');
    assert.ok(!fs.existsSync(path.join(dir, `temp-bg-${process.pid}.rdb`)), 'temp file renamed');
    checkRdb(path.join(dir, 'dump.rdb'));
    // In EXEC, BGSAVE is scheduled and the cron starts it.
    await c.send('MULTI');
    await c.send('BGSAVE');
    assert.equal(await c.send('EXEC'), R.arr(R.simple('Background saving scheduled')));
    const end = Date.now() + 5000;
    while ((await info(c, 'rdb_saves')) !== '2' && Date.now() < end) await sleep(20);
    assert.is(await info(c, 'rdb_saves'), '2');
    await waitBgsaveDone(c);
    const startedSec = Math.floor(Date.now() / 1000);
    assert.equal(await c.send('BGSAVE', 'SCHEDULE'), R.simple('Background saving started'));
    await waitBgsaveDone(c);
    // LASTSAVE is the second the save completed: from when it started to now (a second may tick).
    const last = Number(((await c.send('LASTSAVE')) as { v: bigint }).v);
    assert.ok(last >= startedSec && last <= Math.floor(Date.now() / 1000), `LASTSAVE ${last}`);
  });

  t('pipelined fast-lane commands during BGSAVE: the lane stays off, the file holds the values of its start', async ({ c }) => {
    // (src/server/lane.ts; both engines' lanes leave a snapshot in progress to the general path)
    await c.send('CONFIG', 'SET', 'hll-sparse-max-bytes', '0');
    const setup: string[][] = [['RPUSH', 'list', 'a', 'b', 'c'], ['SADD', 'set', 'x', 'y'], ['HSET', 'hash', 'f', 'v'], ['SET', 'cnt', '10'], ['PFADD', 'hll', 'e']];
    for (let i = 0; i < 200; i++) setup.push(['SET', `k${i}`, 'old']);
    for (const cmd of setup) await c.send(...cmd);
    const hll = text(await c.send('GET', 'hll'));
    await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 2000);
    assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
    const laneBefore = await info(c, 'redust_lane_commands', 'stats');
    const writes: string[][] = [];
    for (let i = 0; i < 200; i++) writes.push(['SET', `k${i}`, 'new'], ['INCR', 'cnt'], ['LPUSH', 'list', `n${i}`], ['SADD', 'set', `m${i}`], ['HSET', 'hash', 'f', `v${i}`], ['PFADD', 'hll', `e${i}`]);
    c.socket.write(Buffer.concat(writes.map(encodeCommand)));
    for (let i = 0; i < writes.length; i++) await c.next();
    assert.is(await info(c, 'rdb_bgsave_in_progress'), '1', 'the writes ran while the snapshot did');
    assert.is(await info(c, 'redust_lane_commands', 'stats'), laneBefore);
    await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 0);
    await waitBgsaveDone(c);
    assert.equal(await c.send('DEBUG', 'RELOAD', 'NOSAVE'), R.ok);
    assert.equal(await c.send('GET', 'k7'), R.bulk('old'));
    assert.equal(await c.send('GET', 'cnt'), R.bulk('10'));
    assert.equal(await c.send('LRANGE', 'list', 0, -1), R.arr(R.bulk('a'), R.bulk('b'), R.bulk('c')));
    assert.equal(await c.send('SCARD', 'set'), R.int(2));
    assert.equal(await c.send('HGET', 'hash', 'f'), R.bulk('v'));
    assert.is(text(await c.send('GET', 'hll')), hll);
    // And after it, the lane runs again.
    c.socket.write(Buffer.concat(writes.map(encodeCommand)));
    for (let i = 0; i < writes.length; i++) await c.next();
    assert.ok(Number(await info(c, 'redust_lane_commands', 'stats')) > Number(laneBefore) + 1000);
    assert.equal(await c.send('GET', 'cnt'), R.bulk('210'));
  });

  t('FLUSHALL during BGSAVE kills it: temp file deleted, previous dump.rdb kept', async ({ c, dir }) => {
    await c.send('SET', 'old', '1');
    assert.equal(await c.send('SAVE'), R.ok);
    const before = fs.readFileSync(path.join(dir, 'dump.rdb'));
    await populate(c, 200);
    await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 2000);
    assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
    await sleep(50);
    assert.equal(await c.send('FLUSHALL'), R.ok);
    assert.is(await info(c, 'rdb_bgsave_in_progress'), '0');
    await sleep(100);
    assert.ok(!fs.existsSync(path.join(dir, `temp-bg-${process.pid}.rdb`)), 'temp file deleted');
    assert.ok(fs.readFileSync(path.join(dir, 'dump.rdb')).equals(before), 'dump.rdb untouched (save "" here)');
    assert.is(await info(c, 'rdb_last_bgsave_status'), 'ok');
  });

  t('close() during BGSAVE aborts it and deletes the temp file', async ({ srv, c, dir }) => {
    await populate(c, 200);
    await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 2000);
    assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
    await sleep(50);
    await srv.close();
    await sleep(100);
    assert.equal(fs.readdirSync(dir), []);
  });

  t('save points fire BGSAVE from the cron; rdb_changes_since_last_save counts from its start', async ({ c, dir }) => {
    assert.equal(await c.send('CONFIG', 'SET', 'save', '1 1'), R.ok);
    assert.equal(await c.send('CONFIG', 'GET', 'save'), R.arr(R.bulk('save'), R.bulk('1 1')));
    assert.equal(await c.send('CONFIG', 'SET', 'save', '1'), R.err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"));
    assert.equal(await c.send('CONFIG', 'SET', 'save', '0 1'), R.err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"));
    // (split at each space, as Redis's sdssplitlen: the empty words make it odd)
    assert.equal(await c.send('CONFIG', 'SET', 'save', ' 100  2 '), R.err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"));
    assert.equal(await c.send('CONFIG', 'SET', 'save', '100 2'), R.ok);
    assert.equal(await c.send('CONFIG', 'GET', 'save'), R.arr(R.bulk('save'), R.bulk('100 2')));
    assert.equal(await c.send('CONFIG', 'SET', 'save', '1 1'), R.ok);
    await c.send('SET', 'a', '1');
    const end = Date.now() + 6000;
    while (!fs.existsSync(path.join(dir, 'dump.rdb')) && Date.now() < end) await sleep(50);
    assert.ok(fs.existsSync(path.join(dir, 'dump.rdb')), 'saved by the save point');
    await waitBgsaveDone(c);
    assert.is(await info(c, 'rdb_changes_since_last_save'), '0');
    assert.equal(await c.send('CONFIG', 'SET', 'save', ''), R.ok);
  });

  t('MISCONF after a failed BGSAVE with stop-writes-on-bgsave-error', async ({ c, dir }) => {
    await c.send('CONFIG', 'SET', 'save', '3600 1');
    await c.send('SET', 'a', '1');
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
    await waitBgsaveDone(c);
    assert.is(await info(c, 'rdb_last_bgsave_status'), 'err');
    assert.equal(await c.send('SET', 'b', '1'), R.err(MISCONF));
    assert.equal(await c.send('PING'), R.err(MISCONF));
    assert.equal(await c.send('GET', 'a'), R.bulk('1'));
    await c.send('MULTI');
    assert.equal(await c.send('SET', 'x', '1'), R.err(MISCONF));
    assert.equal(await c.send('EXEC'), R.err('EXECABORT Transaction discarded because of previous errors.'));
    assert.equal(await c.send('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'no'), R.ok);
    assert.equal(await c.send('SET', 'b', '1'), R.ok);
    await c.send('CONFIG', 'SET', 'stop-writes-on-bgsave-error', 'yes');
    assert.equal(await c.send('SET', 'b', '1'), R.err(MISCONF));
    fs.mkdirSync(dir);
    assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
    await waitBgsaveDone(c);
    assert.equal(await c.send('SET', 'b', '2'), R.ok);
  });

  if (HAVE_REF) {
    t('the file is the dataset at the moment BGSAVE started, while a client writes during the save', async ({ srv, c, dir }) => {
      await populate(c, 2000);
      await c.send('SWAPDB', 1, 5);
      const d0 = text(await c.send('DEBUG', 'DIGEST'));
      await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 100);
      assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
      const w = await RawConnection.connect(srv.port);
      const rnd = rng(12);
      const r = { int: (n: number) => Math.floor(rnd() * n) };
      let writes = 0;
      while ((await info(c, 'rdb_bgsave_in_progress')) === '1') {
        const ops: Promise<unknown>[] = [];
        for (let i = 0; i < 50; i++) {
          const db = [0, 1, 5][r.int(3)];
          const k = `k${r.int(2500)}`;
          ops.push(w.send('SELECT', db));
          switch (r.int(7)) {
            case 0: ops.push(w.send('SET', k, 'new')); break;
            case 1: ops.push(w.send('DEL', k)); break;
            case 2: ops.push(w.send('RPUSH', k, 'z')); break;
            case 3: ops.push(w.send('HSET', k, 'f', 'changed')); break;
            case 4: ops.push(w.send('EXPIRE', k, 100)); break;
            case 5: ops.push(w.send('RENAME', k, `k${r.int(2500)}`)); break;
            default: ops.push(w.send('ZINCRBY', k, 1, 'a'));
          }
          writes++;
        }
        if (writes === 2000) ops.push(w.send('SWAPDB', 0, 1));
        if (writes === 4000) ops.push(w.send('SELECT', 5), w.send('FLUSHDB'));
        await Promise.all(ops);
      }
      w.close();
      assert.ok(writes > 1000, `writes during the save: ${writes}`);
      assert.is.not(text(await c.send('DEBUG', 'DIGEST')), d0, 'the dataset changed meanwhile');
      assert.is(await info(c, 'rdb_last_bgsave_status'), 'ok');
      assert.ok(Number(await info(c, 'rdb_last_cow_size')) > 0);
      assert.ok(bgStateOf(srv.internal).lastEarlyCopies > 100, 'keys written ahead of the walk were copied early (SELECTDB switches)');
      checkRdb(path.join(dir, 'dump.rdb'));
      const ref = await startReference(['--dir', dir, '--dbfilename', 'dump.rdb']);
      const rc = await RawConnection.connect(ref.port);
      try {
        assert.is(text(await rc.send('DEBUG', 'DIGEST')), d0);
      } finally {
        rc.close();
        await ref.stop();
      }
    });
  }

  t('a reply to a command read during BGSAVE is written before the next step of the save', async ({ srv, c }) => {
    // (src/persistence/bgsave.ts nextStepTurn: the end-of-turn flush used to run after the step)
    await populate(c, 40000);
    const net = srv.internal.net;
    const log: string[] = [];
    const read = net.processInput;
    net.processInput = function (this: typeof net, ...a: Parameters<typeof read>) {
      log.push('read');
      return read.apply(this, a);
    };
    const flush = net.flushPending;
    net.flushPending = function (this: typeof net) {
      log.push('flush');
      return flush.call(this);
    };
    try {
      assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
      const bg = bgStateOf(srv.internal).current!;
      const step = bg.snapshot.step;
      bg.snapshot.step = function (this: typeof bg.snapshot, budgetMs: number) {
        log.push('step');
        return step.call(this, budgetMs);
      };
      log.length = 0;
      let pings = 0;
      while (bgStateOf(srv.internal).current === bg) {
        assert.equal(await c.send('PING'), R.simple('PONG'));
        pings++;
      }
      // Every read is followed by its flush before any step (a step between them: the reply waited for it).
      let readsBeforeStep = 0;
      for (let i = 0; i < log.length; i++) {
        if (log[i] !== 'read') continue;
        const next = log.slice(i + 1).find((e) => e !== 'read');
        if (next === undefined) break;
        assert.is(next, 'flush', `event ${i}: a step ran between a read and its reply (${log.slice(Math.max(0, i - 3), i + 4).join(' ')})`);
        if (log.indexOf('step', i) !== -1) readsBeforeStep++;
      }
      const steps = log.filter((e) => e === 'step').length;
      assert.ok(steps >= 3 && readsBeforeStep >= 2, `steps and reads interleaved: ${pings} pings, ${readsBeforeStep} reads before a step, ${steps} steps`);
    } finally {
      net.processInput = read;
      net.flushPending = flush;
    }
  });
  t.run();
}

/** RESTORE IDLETIME/FREQ and RDB IDLE/FREQ records, as OBJECT IDLETIME/FREQ then report them. */
async function accessReport(c: RawConnection): Promise<string[]> {
  const out: string[] = [];
  const show = (n: unknown) => showNode(n as { t: string; v?: unknown });
  const showNode = (n: { t: string; v?: unknown }) => (n.t === 'error' ? String(n.v).slice(0, 30) : String(n.v));
  await c.send('SET', 's', 'hello');
  const p = (await c.send('DUMP', 's')) as unknown as { v: Buffer };
  for (const pol of ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-lfu', 'volatile-lfu']) {
    await c.send('CONFIG', 'SET', 'maxmemory-policy', pol);
    await c.send('RESTORE', 'k', 0, p.v, 'REPLACE', 'IDLETIME', 1000);
    out.push(`${pol} IDLETIME 1000: idletime ${show(await c.send('OBJECT', 'IDLETIME', 'k'))}`);
    await c.send('RESTORE', 'k', 0, p.v, 'REPLACE', 'FREQ', 77);
    out.push(`${pol} FREQ 77: freq ${show(await c.send('OBJECT', 'FREQ', 'k'))}`);
  }
  await c.send('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
  await c.send('RESTORE', 'k', 0, p.v, 'REPLACE', 'IDLETIME', 5000);
  await c.send('DEBUG', 'RELOAD');
  // (The save and load of DEBUG RELOAD take some milliseconds: a second boundary passed meanwhile
  // makes 5001 on either server, whose LRU clocks count seconds.)
  const idle = show(await c.send('OBJECT', 'IDLETIME', 'k'));
  out.push(`after reload (IDLE record): idletime ${idle === '5000' || idle === '5001' ? '5000 or 5001' : idle}`);
  await c.send('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
  await c.send('RESTORE', 'k', 0, p.v, 'REPLACE', 'FREQ', 99);
  await c.send('DEBUG', 'RELOAD');
  out.push(`after reload (FREQ record): freq ${show(await c.send('OBJECT', 'FREQ', 'k'))}`);
  await c.send('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
  return out;
}

if (HAVE_REF) {
  const t = suite('bgsave [idle/freq vs redis]');
  t('RESTORE IDLETIME/FREQ and RDB IDLE/FREQ records give what Redis reports, both engines', async () => {
    const refDir = tmpDir();
    const ref = await startReference(['--dir', refDir]);
    const rc = await RawConnection.connect(ref.port);
    try {
      const expected = await accessReport(rc);
      assert.ok(expected.includes('allkeys-lru IDLETIME 1000: idletime 1000'), expected.join('\n'));
      for (const engine of enginesUnderTest()) {
        const dir = tmpDir();
        const srv = await startRedust(engine, { config: { dir } });
        const c = await RawConnection.connect(srv.port);
        try {
          assert.equal(await accessReport(c), expected, engine);
        } finally {
          c.close();
          await srv.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    } finally {
      rc.close();
      await ref.stop();
      fs.rmSync(refDir, { recursive: true, force: true });
    }
  });
  t.run();
}

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');

function runCli(args: string[], ready = 'Ready to accept connections'): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`CLI did not start: ${out}`)), 15_000);
    const onData = (d: Buffer) => {
      out += d;
      if (out.includes(ready)) {
        clearTimeout(t);
        resolve({ child, out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', () => reject(new Error(`CLI exited: ${out}`)));
  });
}

{
  const t = suite('bgsave [cli]');
  t('kill -9 during a BGSAVE leaves the previous dump.rdb loadable with all its keys', async () => {
    const dir = tmpDir();
    try {
      const port = await freePort();
      const args = ['--port', String(port), '--dir', dir, '--save', '', '--engine', 'js-map'];
      let cli = await runCli(args);
      let c = await RawConnection.connect(port);
      const batch: Promise<unknown>[] = [];
      for (let i = 0; i < 1000; i++) batch.push(c.send('SET', `key${i}`, `v${i}`));
      await Promise.all(batch);
      assert.equal(await c.send('SAVE'), R.ok);
      for (let i = 1000; i < 2000; i++) batch.push(c.send('SET', `key${i}`, `v${i}`));
      await Promise.all(batch);
      await c.send('CONFIG', 'SET', 'rdb-key-save-delay', 1000);
      assert.equal(await c.send('BGSAVE'), R.simple('Background saving started'));
      await sleep(300);
      assert.is(await info(c, 'rdb_bgsave_in_progress'), '1');
      assert.ok(fs.statSync(path.join(dir, `temp-bg-${cli.child.pid}.rdb`)).size > 0, 'the temp file is being written');
      cli.child.removeAllListeners('exit');
      const exited = new Promise((r) => cli.child.once('exit', r));
      cli.child.kill('SIGKILL');
      await exited;
      c.close();
      cli = await runCli(args);
      c = await RawConnection.connect(port);
      assert.equal(await c.send('DBSIZE'), R.int(1000));
      assert.equal(await c.send('GET', 'key999'), R.bulk('v999'));
      c.close();
      cli.child.removeAllListeners('exit');
      const gone = new Promise((r) => cli.child.once('exit', r));
      cli.child.kill('SIGKILL');
      await gone;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t('SIGTERM while the CLI loads: loading stops, no save, exit 0, with the log lines of Redis', async () => {
    const dir = tmpDir();
    try {
      await writeDump(dir);
      const dump = fs.readFileSync(path.join(dir, 'dump.rdb'));
      // Save points on (the defaults): a shutdown while loading must not save anyway.
      const sigtermWhileLoading = async (cmd: string, args: string[], port: number): Promise<{ code: number | null; out: string }> => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout!.on('data', (d) => (out += d));
        child.stderr!.on('data', (d) => (out += d));
        // 'close', not 'exit': `out` is complete once the pipes are drained.
        const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
        try {
          let answer = '';
          for (let i = 0; i < 200 && !answer.startsWith('LOADING'); i++) {
            await sleep(20);
            try {
              const c = await RawConnection.connect(port);
              const r = await c.send('PING');
              answer = r.t === 'error' ? String(r.v) : 'PONG';
              c.close();
            } catch {
              /* not listening yet */
            }
          }
          assert.match(answer, /^LOADING/, `${cmd}: still loading`);
          child.kill('SIGTERM');
          return { code: await exited, out };
        } finally {
          child.kill('SIGKILL');
        }
      };
      const opts = ['--dir', dir, '--key-load-delay', '500', '--loading-process-events-interval-bytes', '1024'];
      const results: { code: number | null; out: string }[] = [];
      if (HAVE_REF) {
        const port = await freePort();
        results.push(await sigtermWhileLoading('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...opts], port));
      }
      const port = await freePort();
      results.push(await sigtermWhileLoading(process.execPath, [BIN, '--port', String(port), ...opts], port));
      for (const r of results) {
        assert.is(r.code, 0, r.out);
        assert.match(r.out, /Received shutdown signal during loading, scheduling shutdown\.[^]*User requested shutdown\.\.\.[^]*is now ready to exit, bye bye\.\.\./);
        assert.not.match(r.out, /Saving the final RDB snapshot|DB saved on disk|Terminating server/);
      }
      assert.ok(fs.readFileSync(path.join(dir, 'dump.rdb')).equals(dump), 'dump.rdb unchanged');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t('the CLI listens first and loads in slices: LOADING replies and loading_* fields meanwhile', async () => {
    const dir = tmpDir();
    try {
      // A file of 4000 keys written by an embedded server filled through the engine directly,
      // loaded at 0.5 ms per key (key-load-delay, Redis's hidden setting for such tests): ~2 s.
      await writeDump(dir);
      const loadingOpts = ['--save', '', '--key-load-delay', '500', '--loading-process-events-interval-bytes', '1024', '--enable-protected-configs', 'yes'];
      // CONFIG SET while loading: the DENY_LOADING_CONFIG settings (dir, appendonly) answer LOADING,
      // others apply; the same replies from real Redis loading the same file.
      const configSets = async (c: RawConnection) => {
        const out: string[] = [];
        for (const args of [['loglevel', 'debug'], ['dir', dir], ['appendonly', 'yes'], ['maxmemory-policy', 'allkeys-lru'], ['dir', dir, 'nosuch', '1'], ['nosuch', '1', 'dir', dir]]) {
          out.push(`CONFIG SET ${args.join(' ')} -> ${JSON.stringify(await c.send('CONFIG', 'SET', ...args))}`);
        }
        out.push(`still loading: ${/^loading:1\r?$/m.test(text(await c.send('INFO', 'persistence')))}`);
        return out;
      };
      let want: string[] = [];
      if (HAVE_REF) {
        const refDir = tmpDir();
        fs.copyFileSync(path.join(dir, 'dump.rdb'), path.join(refDir, 'dump.rdb'));
        const ref = await startReference(['--dir', refDir, '--dbfilename', 'dump.rdb', ...loadingOpts]);
        try {
          const rc = await RawConnection.connect(ref.port);
          want = await configSets(rc);
          rc.close();
        } finally {
          await ref.stop();
          fs.rmSync(refDir, { recursive: true, force: true });
        }
        assert.ok(want.includes(`CONFIG SET dir ${dir} -> {"t":"error","v":"LOADING Redis is loading the dataset in memory"}`), want.join('\n'));
      }
      const port = await freePort();
      const cli = await runCli(['--port', String(port), '--dir', dir, ...loadingOpts], 'Listening on ');
      const c = await RawConnection.connect(port);
      if (HAVE_REF) assert.equal(await configSets(c), want);
      assert.equal(await c.send('GET', 'key:1'), R.err('LOADING Redis is loading the dataset in memory'));
      assert.equal(await c.send('PING'), R.err('LOADING Redis is loading the dataset in memory'));
      const inf = text(await c.send('INFO', 'persistence'));
      assert.match(inf, /^loading:1\r?$/m);
      for (const f of ['loading_start_time', 'loading_total_bytes', 'loading_rdb_used_mem', 'loading_loaded_bytes', 'loading_loaded_perc', 'loading_eta_seconds']) {
        assert.match(inf, new RegExp(`^${f}:\\d`, 'm'), f);
      }
      // Served between slices of at most 1 KB of the file: the loaded bytes move on between replies.
      const loaded = async () => Number(/^loading_loaded_bytes:(\d+)/m.exec(text(await c.send('INFO', 'persistence')))?.[1] ?? -1);
      const first = await loaded();
      await sleep(100);
      const second = await loaded();
      assert.ok(second > first && second - first < 60_000, `loaded ${first} then ${second}`);
      while ((await c.send('PING')).t === 'error') await sleep(20);
      assert.equal(await c.send('DBSIZE'), R.int(4000));
      assert.equal(await c.send('GET', 'key:3999'), R.bulk('value:3999'));
      assert.is(await info(c, 'loading'), '0');
      c.close();
      cli.child.removeAllListeners('exit');
      const gone = new Promise((r) => cli.child.once('exit', r));
      cli.child.kill('SIGKILL');
      await gone;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  t.run();
}
