/**
 * Sizing the keyspace before a command-format AOF base is replayed (persistence/aof-presize.ts):
 * - countSets reads SETs per db from the framing only, follows SELECT, skips annotations and
 *   stops quietly at a truncated or malformed command;
 * - on both engines, a server started from a hand-made appendonlydir (a base of SETs in two dbs,
 *   repeated keys, other types, TTLs, then an incr file) holds exactly what it held, keeps
 *   working after (writes, deletes down to empty), and has the DEBUG DIGEST that real Redis 7.0
 *   has after loading the same directory (when redis-server is installed).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { digest } from './helpers/aof-pair';
import { Arg, RawConnection, encodeCommand, text, waitLoaded } from './helpers/raw';
import type { RespNode } from '../src/protocol/resp-reader';
import { countSets, PRESIZE_MIN } from '../src/persistence/aof-presize';

/** An integer reply's value. */
const int = (n: RespNode): number => (n.t === 'int' ? Number(n.v) : NaN);
const cmds = (list: Arg[][]) => Buffer.concat(list.map((a) => encodeCommand(a)));

const u = suite('aof presize: countSets');

u('counts SETs per db, following SELECT, any case, skipping annotations', () => {
  const buf = Buffer.concat([
    cmds([['SET', 'a', '1'], ['set', 'b', '2'], ['RPUSH', 'l', 'x'], ['PEXPIREAT', 'a', '99999999999999']]),
    Buffer.from('#TS:1700000000\r\n'),
    cmds([['SELECT', '3'], ['SeT', 'c', '3'], ['SET', 'c', '4'], ['SELECT', '0'], ['SET', 'd', '5'], ['MULTI'], ['SET', 'e', '6'], ['EXEC']]),
  ]);
  assert.equal([...countSets(buf, 0)].sort(), [[0, 4], [3, 2]]);
});

u('stops quietly at a truncated or malformed command', () => {
  const good = cmds([['SET', 'a', '1'], ['SET', 'b', '2']]);
  const next = encodeCommand(['SET', 'c', '3']);
  assert.equal([...countSets(Buffer.concat([good, next.subarray(0, next.length - 3)]), 0)], [[0, 2]]);
  assert.equal([...countSets(Buffer.concat([good, Buffer.from('garbage\r\n'), next]), 0)], [[0, 2]]);
  assert.equal([...countSets(Buffer.concat([good, Buffer.from('*3\r\n$3\r\nSET\r\n$x\r\n')]), 0)], [[0, 2]]);
  assert.equal([...countSets(Buffer.alloc(0), 0)], []);
  // From a position (after an RDB preamble)
  assert.equal([...countSets(Buffer.concat([Buffer.from('REDIS'), good]), 5)], [[0, 2]]);
});

u.run();

/** A command-format appendonlydir: a base with PRESIZE_MIN + 1000 SETs in db 0 and 9 and a few of everything, then an incr file. */
function writeDir(dir: string): void {
  const adir = path.join(dir, 'appendonlydir');
  fs.mkdirSync(adir, { recursive: true });
  const base: Arg[][] = [['SELECT', '0']];
  const n = PRESIZE_MIN + 1000;
  for (let i = 0; i < n; i++) base.push(['SET', `key:${i}`, `value:${i}`]);
  for (let i = 0; i < 100; i++) base.push(['SET', `key:${i}`, `again:${i}`]); // repeated keys
  base.push(['RPUSH', 'list', 'a', 'b', 'c'], ['SADD', 'set', 'x', 'y'], ['HMSET', 'hash', 'f', 'v'], ['ZADD', 'zset', '1', 'm']);
  base.push(['PEXPIREAT', 'key:7', String(Date.now() + 3_600_000)]);
  base.push(['SELECT', '9']);
  for (let i = 0; i < n; i++) base.push(['set', `k9:${i}`, String(i)]);
  base.push(['SELECT', '2'], ['SET', 'few', '1']); // below PRESIZE_MIN: not sized
  const incr: Arg[][] = [['SELECT', '0']];
  for (let i = 0; i < 500; i++) incr.push(['DEL', `key:${i * 3}`]);
  for (let i = 0; i < 200; i++) incr.push(['SET', `new:${i}`, 'n']);
  fs.writeFileSync(path.join(adir, 'appendonly.aof.1.base.aof'), Buffer.concat([Buffer.from('#TS:1700000000\r\n'), cmds(base)]));
  fs.writeFileSync(path.join(adir, 'appendonly.aof.1.incr.aof'), cmds(incr));
  fs.writeFileSync(path.join(adir, 'appendonly.aof.manifest'), 'file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n');
}

const EXPECTED_DB0 = PRESIZE_MIN + 1000 + 4 - 500 + 200;
const EXPECTED_DB9 = PRESIZE_MIN + 1000;

for (const engine of enginesUnderTest()) {
  const t = suite(`aof presize [${engine}]`);

  t('a sized keyspace loads the base and incr files exactly, and keeps working', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofpresize-'));
    writeDir(dir);
    const srv = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
    try {
      const c = await RawConnection.connect(srv.port);
      assert.is(int(await c.send('DBSIZE')), EXPECTED_DB0);
      assert.is(text(await c.send('GET', 'key:1')), 'again:1');
      assert.is(text(await c.send('GET', 'key:4100')), 'value:4100');
      assert.is((await c.send('GET', 'key:3')).t, 'nullbulk');
      assert.ok(int(await c.send('PTTL', 'key:7')) > 3_000_000);
      assert.is(int(await c.send('LLEN', 'list')), 3);
      await c.send('SELECT', '9');
      assert.is(int(await c.send('DBSIZE')), EXPECTED_DB9);
      assert.is(text(await c.send('GET', 'k9:5000')), '5000');
      // The sized table grows, shrinks and empties as usual.
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < EXPECTED_DB9; i++) writes.push(c.send('DEL', `k9:${i}`));
      for (let i = 0; i < 3000; i++) writes.push(c.send('SET', `more:${i}`, 'x'));
      await Promise.all(writes);
      assert.is(int(await c.send('DBSIZE')), 3000);
      assert.is(text(await c.send('GET', 'more:2999')), 'x');
      await c.send('SELECT', '2');
      assert.is(int(await c.send('DBSIZE')), 1);
      c.close();
      if (haveRedisServer()) {
        // Real Redis loads the same directory (a copy: both may write to it) to the same digest.
        const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofpresize-'));
        writeDir(theirs);
        const mine = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofpresize-'));
        writeDir(mine);
        const ref = await startReference(['--dir', theirs, '--appendonly', 'yes']);
        const again = await startRedust(engine, { config: { dir: mine, appendonly: 'yes' } });
        try {
          await waitLoaded(ref.port); // (Redis answers DEBUG DIGEST while it loads)
          assert.is(await digest(again.port), await digest(ref.port));
        } finally {
          await again.close();
          await ref.stop();
          fs.rmSync(theirs, { recursive: true, force: true });
          fs.rmSync(mine, { recursive: true, force: true });
        }
      }
    } finally {
      await srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t.run();
}
