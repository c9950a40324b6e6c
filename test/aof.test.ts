/**
 * The append-only file, compared with real Redis 7.0 on both engines:
 * - the propagated stream: the same commands sent to Redust and to Redis (both with appendonly
 *   yes) leave the same commands in their incr files (absolute times compared within a margin);
 * - interop: Redis starts from the appendonlydir Redust wrote (and redis-check-aof accepts it), and
 *   Redust starts from the one Redis wrote, with equal DEBUG DIGEST;
 * - rewrites (BGREWRITEAOF, with and without the RDB preamble) while clients write;
 * - a truncated tail loads with aof-load-truncated yes and is refused with no;
 * - appendfsync always: kill -9 under load loses no acknowledged write.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn, spawnSync, ChildProcess } from 'child_process';
import { enginesUnderTest, freePort, haveRedisServer, startCli, startRedust, startReference } from './helpers/servers';
import { AofPair, digest, incrCommands, startAofPair, stopAofPair } from './helpers/aof-pair';
import { Arg, RawConnection, encodeCommand, text, waitAccepting, waitLoaded } from './helpers/raw';
import type { RedustServer } from '../src/index';
import type { EngineName } from '../src/engine/types';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The promise rejects with a message matching `re`. */
async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`expected a rejection matching ${re}`);
}
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aof-'));


/** Absolute times and generated stream IDs differ between two servers: compare them by shape. */
function normalize(cmds: string[][], now: number): string[] {
  return cmds.map((argv) =>
    argv
      .map((a) => {
        if (/^\d{13}$/.test(a) && Math.abs(Number(a) - now) < 10 * 86400_000) return `<t+${Math.round((Number(a) - now) / 60_000)}m>`;
        if (/^\d{13}-\d+$/.test(a)) return '<id>';
        return a;
      })
      .join(' '),
  );
}

/** Wait (up to 2 s) until INFO says no AOF rewrite is in progress. */
async function rewriteDone(c: RawConnection): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const info = await c.send('INFO', 'persistence');
    if (/aof_rewrite_in_progress:0/.test((info as { v: Buffer }).v.latin1Slice())) return;
    await sleep(10);
  }
}

/** The workload: a command script, with a blocked client served by a later push. */
async function workload(port: number): Promise<void> {
  const c = await RawConnection.connect(port);
  const w = await RawConnection.connect(port);
  const cmds: Arg[][] = [
    ['SET', 'a', '1'],
    ['SET', 'b', '2', 'EX', '1000'],
    ['SET', 'g', '3', 'GET'],
    // 7.0.15 rewrites a SET with any expiry, PXAT included, to `SET k v PXAT ms` (NX and GET dropped).
    ['SET', 'px', '4', 'pxat', '32503680000000', 'NX'],
    ['SET', 'px', '5', 'PXAT', '32503680000001', 'GET'],
    ['SETEX', 'c', '1000', 'v'],
    ['PSETEX', 'd', '1000000', 'v'],
    ['EXPIRE', 'a', '5000'],
    ['PEXPIRE', 'g', '5000000', 'NX'],
    ['EXPIREAT', 'missing', '1'],
    ['SET', 'x', '1'],
    ['EXPIRE', 'x', '-5'],
    ['GETEX', 'b', 'PERSIST'],
    ['GETEX', 'd', 'EX', '2000'],
    ['GETEX', 'd'],
    ['INCRBYFLOAT', 'f', '1.5'],
    ['HINCRBYFLOAT', 'h', 'f', '2.5'],
    ['HSET', 'h', 'x', 'y'],
    ['RPUSH', 'l', 'x', 'y', 'z'],
    ['BLPOP', 'l', '0'],
    ['BRPOPLPUSH', 'l', 'l2', '0'],
    ['BLMOVE', 'l', 'l2', 'LEFT', 'RIGHT', '0'],
    ['LMPOP', '1', 'l2', 'LEFT', 'COUNT', '5'],
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['BZPOPMIN', 'z', '0'],
    ['ZMPOP', '1', 'z', 'MAX', 'COUNT', '5'],
    ['SADD', 's', 'only'],
    ['SPOP', 's'],
    ['SADD', 's2', 'a', 'b'],
    ['SPOP', 's2', '5'],
    ['XADD', 'st', '*', 'f', 'v'],
    ['XADD', 'st', 'MAXLEN', '~', '10', '*', 'f', 'v'],
    ['XADD', 'st', '99999999999999-1', 'f', 'v'],
    ['GETDEL', 'c'],
    ['DEL', 'nothing'],
    ['SELECT', '3'],
    ['SET', 'in3', 'v'],
    ['MULTI'],
    ['SET', 'm1', '1'],
    ['INCR', 'm1'],
    ['EXEC'],
    ['MULTI'],
    ['SET', 'm2', '1'],
    ['EXEC'],
    ['EVAL', "redis.call('set','e1','1'); redis.call('set','e2','2')", '0'],
    ['EVAL', "redis.call('set','e3','1')", '0'],
    ['EVAL', "return redis.call('get','e3')", '0'],
    ['SELECT', '0'],
    ['GEOADD', 'geo', '13.361389', '38.115556', 'Palermo'],
    ['SETRANGE', 'a', '3', 'xyz'],
    ['APPEND', 'a', 'tail'],
    ['FLUSHDB'],
    ['SET', 'last', 'v'],
  ];
  for (const cmd of cmds) await c.send(...cmd);
  // A blocked BLPOP served by a later RPUSH: the push, then the pop it caused.
  w.write(encodeCommand(['BLPOP', 'wl', '0']));
  await sleep(50);
  await c.send('RPUSH', 'wl', 'a', 'b');
  await w.next();
  c.close();
  w.close();
}

/** The pair of aof.test.ts: command-format bases unless told otherwise. */
const startPair = (engine: EngineName, extra: Record<string, string> = {}): Promise<AofPair> => startAofPair(engine, { 'aof-use-rdb-preamble': 'no', ...extra });
const stopPair = stopAofPair;

/** Start real Redis on `dir`'s appendonlydir and return its digest. */
async function redisDigestOf(dir: string): Promise<string> {
  const ref = await startReference(['--dir', dir, '--appendonly', 'yes']);
  try {
    // Redis listens before it has loaded the files (and DEBUG is allowed while loading).
    await waitLoaded(ref.port);
    return await digest(ref.port);
  } finally {
    await ref.stop();
  }
}

/**
 * Stop `srv` (its AOF in `dir`), then check that a new Redust and real Redis both load that
 * directory to the digest `srv` had.
 */
async function assertReplays(engine: EngineName, srv: RedustServer, dir: string): Promise<void> {
  const before = await digest(srv.port);
  await srv.close();
  const again = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
  assert.is(await digest(again.port), before, 'Redust replays its own files');
  await again.close();
  assert.is(await redisDigestOf(dir), before, 'Redis replays them too');
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`aof [${engine}]`);

    t('DEBUG LOADAOF empties the dataset and loads the AOF again: the same data, TTLs and functions as Redis after it', async () => {
      const p = await startPair(engine);
      try {
        const conns = [await RawConnection.connect(p.srv.port), await RawConnection.connect(p.ref.port)];
        const script: Arg[][] = [
          ['SET', 'plain', 'v'],
          ['SET', 'ttl', 'v', 'EX', '1000'],
          ['SET', 'ttl', 'w', 'KEEPTTL'],
          ['SET', 'persisted', 'v', 'EX', '1000'],
          ['GETEX', 'persisted', 'PERSIST'],
          ['RPUSH', 'l', 'a', 'b', 'c'],
          ['HSET', 'h', 'f', '1'],
          ['HINCRBY', 'h', 'f', '41'],
          ['FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function() return 1 end)"],
          ['SELECT', '2'],
          ['SET', 'other-db', 'x'],
          ['SELECT', '0'],
        ];
        const replies: unknown[][] = [[], []];
        for (const [i, c] of conns.entries()) {
          for (const cmd of script) replies[i].push(await c.send(...cmd));
          replies[i].push(await c.send('DEBUG', 'LOADAOF'));
          // The dataset came back from the files, not from memory: a key written after the load is new.
          replies[i].push(await c.send('TTL', 'ttl'), await c.send('TTL', 'persisted'), await c.send('HGET', 'h', 'f'), await c.send('FCALL', 'f', '0'), await c.send('DBSIZE'));
        }
        assert.equal(replies[0], replies[1]);
        assert.is(await digest(p.srv.port), await digest(p.ref.port));
        // DEBUG LOADAOF is not appended (its reset of the dirty counter is no write), and the
        // replay appended nothing: loading again gives the same data.
        await sleep(50);
        assert.equal(incrCommands(p.mine).filter((a) => a[0].toUpperCase() === 'DEBUG'), []);
        await conns[0].send('DEBUG', 'LOADAOF');
        assert.is(await digest(p.srv.port), await digest(p.ref.port));
        for (const c of conns) c.close();
      } finally {
        await stopPair(p);
      }
    });

    t('DEBUG LOADAOF without an append-only file changes nothing and replies an error', async () => {
      const dir = tmpDir();
      const srv = await startRedust(engine, { config: { dir } });
      try {
        const c = await RawConnection.connect(srv.port);
        await c.send('SET', 'k', 'v');
        assert.equal((await c.send('DEBUG', 'LOADAOF')) as unknown, { t: 'error', v: 'ERR DEBUG LOADAOF: there is no append-only file to load' });
        assert.equal((await c.send('GET', 'k')) as unknown, { t: 'bulk', v: Buffer.from('v') });
        c.close();
      } finally {
        await srv.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    // FLUSHALL with save points saves the RDB, which resets the dirty counter inside the command:
    // Redust took that for "nothing written" and left FLUSHALL out of the AOF (the flushed keys came
    // back at the next start); Redis forces FLUSHALL's propagation.
    t('FLUSHALL with save points set reaches the AOF, alone and inside MULTI/EXEC, as in Redis', async () => {
      const p = await startPair(engine, { save: '900 1' });
      try {
        for (const port of [p.srv.port, p.ref.port]) {
          const c = await RawConnection.connect(port);
          await c.send('SET', 'a', '1');
          await c.send('FLUSHALL');
          await c.send('SET', 'b', '2');
          await c.send('MULTI');
          await c.send('SET', 'foo', 'bar');
          await c.send('FLUSHALL');
          await c.send('EXEC');
          c.close();
        }
        await sleep(50);
        const now = Date.now();
        assert.equal(normalize(incrCommands(p.mine), now), normalize(incrCommands(p.theirs), now));
        assert.ok(normalize(incrCommands(p.mine), now).filter((l) => /^flushall/i.test(l)).length === 2);
      } finally {
        await stopPair(p);
      }
    });

    t('appendonly turned on inside MULTI/EXEC: the rewrite is scheduled after the transaction (as Redis), and the AOF replays to the same data', async () => {
      const dir = tmpDir();
      const srv = await startRedust(engine, { config: { dir } });
      try {
        const c = await RawConnection.connect(srv.port);
        await c.send('MULTI');
        await c.send('INCR', 'x');
        await c.send('CONFIG', 'SET', 'appendonly', 'yes');
        await c.send('INCR', 'x');
        await c.send('EXEC');
        const info = (await c.send('INFO', 'persistence')) as { v: Buffer };
        assert.match(info.v.latin1Slice(), /aof_rewrite_scheduled:1/);
        for (let i = 0; i < 300 && !/aof_rewrites:1\r/.test(((await c.send('INFO', 'persistence')) as { v: Buffer }).v.latin1Slice()); i++) await sleep(10);
        await rewriteDone(c);
        await c.send('INCR', 'x');
        assert.equal((await c.send('DEBUG', 'LOADAOF')) as unknown, { t: 'simple', v: 'OK' });
        assert.equal((await c.send('GET', 'x')) as unknown, { t: 'bulk', v: Buffer.from('3') });
        c.close();
      } finally {
        await srv.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    t('the incr file holds the commands Redis 7.0 writes for the same workload', async () => {
      const p = await startPair(engine);
      try {
        await workload(p.srv.port);
        await workload(p.ref.port);
        await sleep(50);
        const now = Date.now();
        assert.equal(normalize(incrCommands(p.mine), now), normalize(incrCommands(p.theirs), now));
      } finally {
        await stopPair(p);
      }
    });

    t('FLUSHDB and FLUSHALL reach the AOF even on empty dbs, and FLUSHALL with save points leaves no change to save (as Redis)', async () => {
      const p = await startPair(engine);
      try {
        const changes: string[] = [];
        for (const port of [p.srv.port, p.ref.port]) {
          const c = await RawConnection.connect(port);
          for (const cmd of [['SET', 'key', 'value'], ['FLUSHDB'], ['FLUSHDB'], ['FLUSHDB'], ['SET', 'key', 'value'], ['FLUSHALL'], ['FLUSHALL']]) await c.send(...cmd);
          await c.send('CONFIG', 'SET', 'save', '3600 1 300 100 60 10000');
          await c.send('SET', 'key', 'value');
          await c.send('FLUSHALL');
          const info = ((await c.send('INFO', 'persistence')) as { v: Buffer }).v.toString();
          changes.push(/rdb_changes_since_last_save:(\d+)/.exec(info)![1]);
          await c.send('CONFIG', 'SET', 'save', '');
          c.close();
        }
        assert.equal(changes, ['0', '0']);
        await sleep(50);
        const now = Date.now();
        const mine = normalize(incrCommands(p.mine), now);
        assert.equal(mine, normalize(incrCommands(p.theirs), now));
        assert.is(mine.filter((l) => /^flush/i.test(l)).length, 6, mine.join(' | '));
      } finally {
        await stopPair(p);
      }
    });

    t("real Redis starts from Redust's appendonlydir, redis-check-aof accepts it, and Redust starts from Redis's", async () => {
      const p = await startPair(engine);
      try {
        const c = await RawConnection.connect(p.srv.port);
        for (let i = 0; i < 200; i++) await c.send('RPUSH', `list:${i % 7}`, `v${i}`);
        await c.send('ZADD', 'z', '1.5', 'a', '-2', '\x00bin');
        await c.send('HSET', 'h', 'f', 'v');
        await c.send('SET', 'ttl', 'v', 'PX', '100000000');
        await workload(p.srv.port);
        await workload(p.ref.port);
        const mineDigest = await digest(p.srv.port);
        const theirsDigest = await digest(p.ref.port);
        c.close();
        await p.srv.close();
        const check = spawnSync('redis-check-aof', [path.join(p.mine, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'latin1' });
        assert.is(check.status, 0, check.stdout + check.stderr);
        assert.is(await redisDigestOf(p.mine), mineDigest, 'Redis loaded what Redust wrote');
        await p.ref.stop();
        const back = await startRedust(engine, { config: { dir: p.theirs, appendonly: 'yes' } });
        assert.is(await digest(back.port), theirsDigest, 'Redust loaded what Redis wrote');
        await back.close();
      } finally {
        await stopPair(p);
      }
    });

    for (const preamble of ['no', 'yes']) {
      t(`BGREWRITEAOF (aof-use-rdb-preamble ${preamble}) while a client writes: the files replay to the same data, in Redis too`, async () => {
        const dir = tmpDir();
        const srv = await startRedust(engine, { config: { dir, appendonly: 'yes', 'aof-use-rdb-preamble': preamble } });
        try {
          const c = await RawConnection.connect(srv.port);
          for (let i = 0; i < 3000; i++) await c.send('SET', `k${i}`, `v${i}`);
          for (let i = 0; i < 50; i++) await c.send('SADD', 'set', String(i), `m${i}`);
          await c.send('ZADD', 'z', '1', 'a', '2', 'b');
          await c.send('HSET', 'h', 'a', '1', 'b', '2');
          await c.send('EXPIRE', 'k1', '100000');
          assert.equal((await c.send('BGREWRITEAOF')) as unknown, { t: 'simple', v: 'Background append only file rewriting started' });
          // Writes during the rewrite: overwrites, deletes, new keys.
          for (let i = 0; i < 500; i++) await c.send('SET', `k${i * 3}`, `new${i}`);
          for (let i = 0; i < 100; i++) await c.send('DEL', `k${i * 7 + 1}`);
          await c.send('RPUSH', 'after', 'x');
          await rewriteDone(c);
          const files = fs.readdirSync(path.join(dir, 'appendonlydir')).sort();
          assert.equal(files, [`appendonly.aof.2.base.${preamble === 'yes' ? 'rdb' : 'aof'}`, 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
          c.close();
          await assertReplays(engine, srv, dir);
        } finally {
          await srv.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    t('BGREWRITEAOF in command format: strings in every record form (int-encoded keys and values, raw, long, TTLs, other dbs) replay to the same data, in Redis too', async () => {
      const dir = tmpDir();
      const srv = await startRedust(engine, { config: { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
      try {
        const c = await RawConnection.connect(srv.port);
        const values = ['0', '-1', '127', '-128', '32767', '-32769', '2147483647', '-2147483648', '2147483648', '99999999999', '007', '1.5', '', 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(20000)];
        for (const [i, v] of values.entries()) {
          await c.send('SET', String(i * 1000 - 3), v); // int-like keys
          await c.send('SET', `k:${i}`, v);
          await c.send('SET', `t:${i}`, v, 'PX', String(3_600_000 + i));
        }
        await c.send('SELECT', '3');
        await c.send('SET', '42', '-42');
        await c.send('RPUSH', 'l', '1', 'two');
        await c.send('SELECT', '0');
        assert.equal((await c.send('BGREWRITEAOF')) as unknown, { t: 'simple', v: 'Background append only file rewriting started' });
        await c.send('SET', 'k:0', 'after');
        await rewriteDone(c);
        c.close();
        await assertReplays(engine, srv, dir);
      } finally {
        await srv.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    t('a truncated tail loads with aof-load-truncated yes (cut at the last whole command) and is refused with no', async () => {
      const dir = tmpDir();
      try {
        const srv = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
        const c = await RawConnection.connect(srv.port);
        await c.send('SET', 'kept', '1');
        c.close();
        await srv.close();
        const incr = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
        const whole = fs.statSync(incr).size;
        fs.appendFileSync(incr, '*3\r\n$3\r\nSET\r\n$4\r\nlost\r\n$1');
        await rejects(startRedust(engine, { config: { dir, appendonly: 'yes', 'aof-load-truncated': 'no' } }), /Unexpected end of file reading the append only file appendonly\.aof\.1\.incr\.aof/);
        const ok = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
        const c2 = await RawConnection.connect(ok.port);
        assert.equal(await c2.send('GET', 'kept'), { t: 'bulk', v: Buffer.from('1') });
        assert.equal(await c2.send('EXISTS', 'lost'), { t: 'int', v: 0n });
        c2.close();
        await ok.close();
        assert.ok(fs.statSync(incr).size >= whole, 'the file was cut back to whole commands, then appended to');
        fs.appendFileSync(incr, 'garbage\r\n');
        await rejects(startRedust(engine, { config: { dir, appendonly: 'yes' } }), /Bad file format reading the append only file/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    t('nothing expires while the AOF loads: a TTL that passed while the server was down does not undo the commands after it (as Redis)', async () => {
      const dir = tmpDir();
      const copy = tmpDir();
      try {
        const srv = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
        const c = await RawConnection.connect(srv.port);
        // In the RDB base (after the rewrite): a key whose TTL will have passed at the next start,
        // PERSISTed by the incr file.
        await c.send('SET', 'based', 'b', 'PX', '700');
        assert.equal((await c.send('BGREWRITEAOF')) as unknown, { t: 'simple', v: 'Background append only file rewriting started' });
        await rewriteDone(c);
        await c.send('PERSIST', 'based');
        for (const cmd of [
          ['SET', 'k', 'v', 'PX', '700'],
          ['PERSIST', 'k'],
          ['SET', 'n', '5', 'PX', '700'],
          ['INCR', 'n'],
          ['PERSIST', 'n'],
          ['HSET', 'h', 'f', 'v'],
          ['PEXPIRE', 'h', '700'],
          ['HSET', 'h', 'g', 'w'],
          ['PERSIST', 'h'],
          ['SET', 'gone', 'x', 'PX', '700'],
        ]) await c.send(...cmd);
        c.close();
        await srv.close();
        await sleep(900);
        fs.cpSync(dir, copy, { recursive: true });
        const check = async (port: number, who: string) => {
          await waitLoaded(port);
          const r = await RawConnection.connect(port);
          assert.equal(await r.send('GET', 'based'), { t: 'bulk', v: Buffer.from('b') }, `${who}: the base's key PERSISTed by the incr file`);
          assert.equal(await r.send('GET', 'k'), { t: 'bulk', v: Buffer.from('v') }, who);
          assert.equal(await r.send('GET', 'n'), { t: 'bulk', v: Buffer.from('6') }, `${who}: INCR applied to the value it found`);
          assert.equal(await r.send('HLEN', 'h'), { t: 'int', v: 2n }, who);
          assert.equal(await r.send('PTTL', 'h'), { t: 'int', v: -1n }, who);
          assert.equal(await r.send('EXISTS', 'gone'), { t: 'int', v: 0n }, `${who}: a TTL nothing removed still expires`);
          // Replayed commands are not calls: no commandstats entry for them (Redis runs cmd->proc).
          const stats = (await r.send('INFO', 'commandstats')) as { v: Buffer };
          assert.not.match(stats.v.latin1Slice(), /cmdstat_(set|persist|incr|hset)/, who);
          r.close();
        };
        const again = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
        await check(again.port, 'Redust');
        await again.close();
        if (haveRedisServer()) {
          const ref = await startReference(['--dir', copy, '--appendonly', 'yes']);
          try {
            await check(ref.port, 'Redis');
          } finally {
            await ref.stop();
          }
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.rmSync(copy, { recursive: true, force: true });
      }
    });

    t('a slow script replayed by DEBUG LOADAOF: other clients get LOADING; DEBUG AOF-FLUSH-SLEEP delays the write (as Redis)', async () => {
      // Separate processes: the script serves other clients while it runs, synchronously (the
      // server's event loop is held, as Redis's processEventsWhileBlocked).
      const settings = ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no', '--lua-time-limit', '1'];
      const program = async (port: number, dir: string): Promise<string[]> => {
        const out: string[] = [];
        const c = await RawConnection.connect(port);
        const w = await RawConnection.connect(port);
        try {
          await waitLoaded(port);
          for (const args of [['AOF-FLUSH-SLEEP', '0'], ['AOF-FLUSH-SLEEP'], ['AOF-FLUSH-SLEEP', 'x']]) out.push(`DEBUG ${args.join(' ')} -> ${JSON.stringify(await c.send('DEBUG', ...args))}`);
          // The write of a non-empty AOF buffer sleeps first (the reply comes after it).
          await c.send('DEBUG', 'AOF-FLUSH-SLEEP', '300000');
          const t0 = Date.now();
          await c.send('SET', 'a', 'b');
          out.push(`SET waited the sleep: ${Date.now() - t0 >= 290}`);
          await c.send('DEBUG', 'AOF-FLUSH-SLEEP', '0');
          // A script in the incr file as EVAL (a hand-made file: 7.0 propagates effects), slow
          // enough to pass busy-reply-threshold (lua-time-limit) while it is replayed.
          const adir = path.join(dir, 'appendonlydir');
          const incr = fs.readFileSync(path.join(adir, 'appendonly.aof.manifest'), 'latin1').match(/file (\S+) seq \d+ type i/)![1];
          fs.appendFileSync(path.join(adir, incr), Buffer.concat([encodeCommand(['SELECT', '9']), encodeCommand(['EVAL', "redis.call('set',KEYS[1],'y'); for i=1,1000000 do redis.call('ping') end return 'ok'", '1', 'x'])]));
          w.write(encodeCommand(['DEBUG', 'LOADAOF']));
          let first = 'no error';
          for (let i = 0; i < 1000; i++) {
            const r = await c.send('PING');
            if (r.t === 'error') {
              first = String(r.v);
              break;
            }
            await sleep(5);
          }
          out.push(`PING during the replay -> ${first}`);
          out.push(`DEBUG LOADAOF -> ${JSON.stringify(await w.next())}`);
          await c.send('SELECT', '9');
          out.push(`GET x -> ${JSON.stringify(await c.send('GET', 'x'))}`);
          return out;
        } finally {
          c.close();
          w.close();
        }
      };
      const refDir = tmpDir();
      const ref = await startReference(['--dir', refDir, ...settings]);
      let want: string[];
      try {
        want = await program(ref.port, refDir);
      } finally {
        await ref.stop();
        fs.rmSync(refDir, { recursive: true, force: true });
      }
      assert.ok(want.includes('PING during the replay -> LOADING Redis is loading the dataset in memory'), want.join('\n'));
      const port = await freePort();
      const srv = await startCli(['--port', String(port), '--engine', engine, '--enable-debug-command', 'yes', '--save', '', ...settings]);
      try {
        assert.equal(await program(port, srv.dir), want);
      } finally {
        srv.child.kill('SIGKILL');
        await srv.exited;
        fs.rmSync(srv.dir, { recursive: true, force: true });
      }
    });

    t.run();
  }

  const k = suite('aof durability');
  k('appendfsync always: kill -9 while clients write loses no acknowledged write', async () => {
    const dir = tmpDir();
    const acked = new Map<string, string>();
    try {
      for (let cycle = 0; cycle < 3; cycle++) {
        const port = await freePort();
        const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'redust.js'), '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--loglevel', 'warning'], { stdio: 'ignore' });
        await waitAccepting(port, 100, 20);
        // Everything acknowledged in earlier cycles is there.
        const check = await RawConnection.connect(port);
        for (const [key, v] of acked) assert.equal(await check.send('GET', key), { t: 'bulk', v: Buffer.from(v) }, `cycle ${cycle}: ${key}`);
        check.close();
        let stop = false;
        const writers = [0, 1, 2].map(async (w) => {
          const c = await RawConnection.connect(port);
          for (let i = 0; !stop; i++) {
            const key = `c${cycle}:w${w}:${i}`;
            try {
              c.write(encodeCommand(['SET', key, `v${i}`]));
              const r = await c.next(1000);
              if (r.t === 'simple') acked.set(key, `v${i}`);
            } catch {
              break; // killed: no reply, so not acknowledged
            }
          }
          c.close();
        });
        await sleep(150 + Math.floor(Math.random() * 150));
        child.kill('SIGKILL');
        stop = true;
        await Promise.all(writers);
        await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
      }
      assert.ok(acked.size > 100, `writes were acknowledged (${acked.size})`);
      // The last cycle's writes are checked by one more start.
      const srv = await startRedust('js-map', { config: { dir, appendonly: 'yes' } });
      const c = await RawConnection.connect(srv.port);
      for (const [key, v] of acked) assert.equal(await c.send('GET', key), { t: 'bulk', v: Buffer.from(v) }, key);
      c.close();
      await srv.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  k.run();

  const m = suite('aof manifest checks');
  m('a bad manifest or a missing file stops the start with the error Redis 7.0 logs (aofLoadManifestFromFile)', async () => {
    const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');
    const base = 'file appendonly.aof.1.base.aof seq 1 type b\n';
    const incr = 'file appendonly.aof.1.incr.aof seq 1 type i\n';
    const cases: [string, string, string[]][] = [
      ['blank line', base + '\n' + incr, ['Invalid AOF manifest file format', "Reading the manifest file, at line 2", ">>> ''"]],
      ['unknown type', base + 'file appendonly.aof.1.incr.aof seq 1 type x\n', ['Unknown AOF file type', ">>> 'file appendonly.aof.1.incr.aof seq 1 type x'"]],
      ['line too long', base.trim() + ' ' + 'x '.repeat(600) + '\n' + incr, ['The AOF manifest file contains too long line']],
      ['odd parameter', 'file appendonly.aof.1.base.aof seq 1 type b extra\n' + incr, ['Invalid AOF manifest file format']],
      ['missing key', 'file appendonly.aof.1.base.aof seq 1 kind b\n', ['Invalid AOF manifest file format']],
      ['empty', '', ['Found an empty AOF manifest']],
      ['no final newline', base + incr.trim(), ['The AOF manifest file contains too long line']],
      ['non-monotonic', 'file appendonly.aof.2.incr.aof seq 2 type i\n' + incr, ['Found a non-monotonic sequence number']],
      ['a path', 'file ../appendonly.aof.1.base.aof seq 1 type b\n', ["File can't be a path, just a filename"]],
      ['missing file', base + incr + 'file appendonly.aof.2.incr.aof seq 2 type i\n', ['Unable to obtain the AOF file appendonly.aof.2.incr.aof length. stat: No such file or directory']],
      ['old file name nowhere', 'file appendonly.aof seq 1 type b\n', ['Unable to obtain the AOF file appendonly.aof length. stat: No such file or directory']],
    ];
    for (const [name, manifest, wants] of cases) {
      const outs: string[] = [];
      for (const who of ['redis', 'redust']) {
        const dir = tmpDir();
        try {
          const adir = path.join(dir, 'appendonlydir');
          fs.mkdirSync(adir);
          fs.writeFileSync(path.join(adir, 'appendonly.aof.manifest'), manifest);
          fs.writeFileSync(path.join(adir, 'appendonly.aof.1.base.aof'), encodeCommand(['SET', 'k1', 'v1']));
          fs.writeFileSync(path.join(adir, 'appendonly.aof.1.incr.aof'), encodeCommand(['SET', 'k2', 'v2']));
          const port = String(await freePort());
          const args = ['--port', port, '--dir', dir, '--appendonly', 'yes', '--save', ''];
          const r = who === 'redis' ? spawnSync('redis-server', args, { encoding: 'utf8', timeout: 10_000 }) : spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
          assert.is(r.status, 1, `${who}, ${name}: exit code\n${r.stdout}${r.stderr}`);
          outs.push(r.stdout + r.stderr);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
      for (const w of wants) {
        assert.ok(outs[0].includes(w), `redis, ${name}: ${w}\n${outs[0]}`);
        assert.ok(outs[1].includes(w), `redust, ${name}: ${w}\n${outs[1]}`);
      }
    }
  });
  m('an upgrade from a single appendonly.aof interrupted before its rename goes on, as in Redis', async () => {
    const results: string[][] = [];
    for (const who of ['redis', 'redust']) {
      const dir = tmpDir();
      try {
        fs.writeFileSync(path.join(dir, 'appendonly.aof'), Buffer.concat([encodeCommand(['SET', 'k1', 'v1']), encodeCommand(['SET', 'k2', 'v2'])]));
        fs.mkdirSync(path.join(dir, 'appendonlydir'));
        fs.writeFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'file appendonly.aof seq 1 type b\n');
        const extra = ['--dir', dir, '--appendonly', 'yes'];
        const srv = who === 'redis' ? await startReference(extra) : await startRedust('wasm', { config: { dir, appendonly: 'yes' } });
        try {
          await waitLoaded(srv.port);
          const c = await RawConnection.connect(srv.port);
          results.push([
            text(await c.send('GET', 'k1')),
            String(fs.existsSync(path.join(dir, 'appendonly.aof'))),
            String(fs.existsSync(path.join(dir, 'appendonlydir', 'appendonly.aof'))),
            fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.manifest'), 'latin1'),
          ]);
          c.close();
        } finally {
          if ('stop' in srv) await srv.stop();
          else await srv.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    assert.equal(results[1], results[0]);
    assert.equal(results[0], ['v1', 'false', 'true', 'file appendonly.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n']);
  });
  m.run();
} else {
  console.log('aof: redis-server not installed, differential and interop tests skipped');
}
