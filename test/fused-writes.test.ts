/**
 * The one-call write paths of LPUSH/RPUSH, LPOP/RPOP, SADD and HSET on an existing value
 * (Db.listPush / listPopOne / setAdd / hashSet): every case they hand back to the general path
 * (missing, expired, another type -- including another native collection kind --, a long HSET
 * argument) and the bookkeeping they must keep (WATCH, the length replies, deletion when empty).
 * Checked against fixed expectations, so they run without the reference Redis.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, startRedust } from './helpers/servers';
import { R, RawConnection } from './helpers/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WRONGTYPE = R.err('WRONGTYPE Operation against a key holding the wrong kind of value');

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: Awaited<ReturnType<typeof startRedust>>; c: RawConnection }>(`fused writes [${engine}]`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
    ctx.c = await RawConnection.connect(ctx.srv.port);
  });
  t.after(async (ctx) => {
    ctx.c.close();
    await ctx.srv.close();
  });
  t.before.each(async ({ c }) => {
    await c.send('FLUSHALL');
  });

  t('an expired value is replaced, not written to', async ({ c }) => {
    await c.send('DEBUG', 'SET-ACTIVE-EXPIRE', 0);
    await c.send('RPUSH', 'l', 'a', 'b');
    await c.send('SADD', 's', 'a', 'b');
    await c.send('HSET', 'h', 'a', '1', 'b', '2');
    for (const k of ['l', 's', 'h']) await c.send('PEXPIRE', k, 1);
    await sleep(10);
    assert.equal(await c.send('LPUSH', 'l', 'x'), R.int(1));
    assert.equal(await c.send('SADD', 's', 'x'), R.int(1));
    assert.equal(await c.send('HSET', 'h', 'x', '1'), R.int(1));
    assert.equal(await c.send('TTL', 'l'), R.int(-1));
    assert.equal(await c.send('SCARD', 's'), R.int(1));
    assert.equal(await c.send('HLEN', 'h'), R.int(1));
    await c.send('PEXPIRE', 'l', 1);
    await sleep(10);
    assert.equal(await c.send('LPOP', 'l'), R.nil);
    assert.equal(await c.send('EXISTS', 'l'), R.int(0));
    await c.send('DEBUG', 'SET-ACTIVE-EXPIRE', 1);
  });

  t('another type, native or not, is WRONGTYPE and unchanged', async ({ c }) => {
    await c.send('RPUSH', 'l', 'a');
    await c.send('SADD', 's', 'a');
    await c.send('HSET', 'h', 'a', '1');
    await c.send('ZADD', 'z', 1, 'a');
    await c.send('XADD', 'x', '1-1', 'f', 'v');
    await c.send('SET', 'str', 'v');
    for (const k of ['s', 'h', 'z', 'x', 'str']) {
      assert.equal(await c.send('LPUSH', k, 'a'), WRONGTYPE);
      assert.equal(await c.send('RPOP', k), WRONGTYPE);
    }
    for (const k of ['l', 'h', 'z', 'x', 'str']) assert.equal(await c.send('SADD', k, 'a'), WRONGTYPE);
    for (const k of ['l', 's', 'z', 'x', 'str']) assert.equal(await c.send('HSET', k, 'a', '1'), WRONGTYPE);
    assert.equal(await c.send('LRANGE', 'l', 0, -1), R.arr(R.bulk('a')));
    assert.equal(await c.send('SCARD', 's'), R.int(1));
    assert.equal(await c.send('HGETALL', 'h'), R.arr(R.bulk('a'), R.bulk('1')));
  });

  t('lengths, counts, deletion when emptied, WATCH', async ({ c }) => {
    assert.equal(await c.send('RPUSH', 'l', 'a'), R.int(1));
    assert.equal(await c.send('RPUSH', 'l', 'b', 'c'), R.int(3));
    assert.equal(await c.send('LPUSH', 'l', 'z', 'y'), R.int(5));
    assert.equal(await c.send('LRANGE', 'l', 0, -1), R.arr(R.bulk('y'), R.bulk('z'), R.bulk('a'), R.bulk('b'), R.bulk('c')));
    assert.equal(await c.send('RPOP', 'l'), R.bulk('c'));
    assert.equal(await c.send('LPOP', 'l'), R.bulk('y'));
    assert.equal(await c.send('SADD', 's', '1'), R.int(1));
    assert.equal(await c.send('SADD', 's', '1', '2', 'x'), R.int(2));
    assert.equal(await c.send('OBJECT', 'ENCODING', 's'), R.bulk('hashtable'));
    assert.equal(await c.send('HSET', 'h', 'f', 'v'), R.int(1));
    assert.equal(await c.send('HSET', 'h', 'f', 'w', 'g', 'v'), R.int(1));
    assert.equal(await c.send('HSET', 'h', 'long', 'x'.repeat(100)), R.int(1));
    assert.equal(await c.send('OBJECT', 'ENCODING', 'h'), R.bulk('hashtable'));
    await c.send('WATCH', 'l');
    await c.send('RPUSH', 'l', 'q'); // the watcher itself writes: the transaction must abort
    await c.send('MULTI');
    await c.send('PING');
    assert.equal(await c.send('EXEC'), R.nilArray);
    for (let i = 0; i < 4; i++) await c.send('LPOP', 'l');
    assert.equal(await c.send('EXISTS', 'l'), R.int(0));
  });

  t.run();
}
