/**
 * List commands: replies compared with real Redis 7.0 (RESP2 and RESP3), every option and error,
 * WRONGTYPE on every command, keyspace events, OBJECT ENCODING, binary safety.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, R, eventLog } from './helpers/raw';


/** Run `cmds` differentially in RESP2, then again (fresh data) in RESP3. */


for (const engine of enginesUnderTest()) {
  const t = differentialSuite('lists', engine);

  t('push/pop round-trip binary elements in order', async ({ c }) => {
    const a = Buffer.from([0, 0xff, 0x0d, 0x0a]);
    const b = Buffer.from([0xc3, 0x28]);
    assert.equal(await c.send('RPUSH', 'l', a, b), R.int(2));
    assert.equal(await c.send('LPUSH', 'l', 'x'), R.int(3));
    assert.equal(await c.send('LRANGE', 'l', 0, -1), R.arr(R.bulk('x'), R.bulk(a), R.bulk(b)));
    assert.equal(await c.send('RPOP', 'l'), R.bulk(b));
    assert.equal(await c.send('LPOS', 'l', a), R.int(1));
    assert.equal(await c.send('LREM', 'l', 0, a), R.int(1));
    assert.equal(await c.send('LPOP', 'l'), R.bulk('x'));
    assert.equal(await c.send('EXISTS', 'l'), R.int(0));
  });

  diffTest(t, 'LPUSH/RPUSH/X variants, LPOP/RPOP with count (RESP2+RESP3)', async ({ d }) => {
    await d.bothProtocols([], [
      ['LPUSH', 'l', 'a', 'b', 'c'],
      ['RPUSH', 'l', 'd', 'e'],
      ['LPUSHX', 'l', 'z'],
      ['RPUSHX', 'l', 'y', 'w'],
      ['LPUSHX', 'nokey', 'z'],
      ['RPUSHX', 'nokey', 'z'],
      ['EXISTS', 'nokey'],
      ['LRANGE', 'l', 0, -1],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', 2],
      ['RPOP', 'l', 2],
      ['LPOP', 'l', 0],
      ['RPOP', 'l', 0],
      ['LPOP', 'l', -1],
      ['LPOP', 'l', 'abc'],
      ['LPOP', 'l', 1, 2],
      ['RPOP', 'l', 100],
      ['EXISTS', 'l'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', 0],
      ['LPOP', 'l', 5],
      ['RPOP', 'l', 5],
      ['LPOP', 'l', -5],
      ['LPUSH', 'l'],
      ['RPUSH', 'one', 'x'],
      ['LPOP', 'one', 1],
      ['EXISTS', 'one'],
    ]);
  });

  diffTest(t, 'LLEN, LRANGE, LINDEX edge cases', async ({ d }) => {
    await d.bothProtocols([['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e']], [
      ['LLEN', 'l'],
      ['LLEN', 'nokey'],
      ['LRANGE', 'l', 0, 0],
      ['LRANGE', 'l', -2, -1],
      ['LRANGE', 'l', -100, 100],
      ['LRANGE', 'l', 3, 1],
      ['LRANGE', 'l', 5, 10],
      ['LRANGE', 'l', -1, -2],
      ['LRANGE', 'l', 'x', 1],
      ['LRANGE', 'l', 0, '1.5'],
      ['LRANGE', 'nokey', 'x', 1],
      ['LRANGE', 'nokey', 0, -1],
      ['LRANGE', 'l', '-9223372036854775808', '9223372036854775807'],
      ['LINDEX', 'l', 0],
      ['LINDEX', 'l', -1],
      ['LINDEX', 'l', -5],
      ['LINDEX', 'l', -6],
      ['LINDEX', 'l', 5],
      ['LINDEX', 'l', 'x'],
      ['LINDEX', 'nokey', 'x'],
      ['LINDEX', 'nokey', 0],
    ]);
  });

  diffTest(t, 'LSET, LINSERT, LREM, LTRIM', async ({ d }) => {
    await d.bothProtocols([['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'd']], [
      ['LSET', 'l', 0, 'A'],
      ['LSET', 'l', -1, 'D'],
      ['LSET', 'l', 6, 'x'],
      ['LSET', 'l', -7, 'x'],
      ['LSET', 'l', 'x', 'x'],
      ['LSET', 'nokey', 0, 'x'],
      ['LSET', 'nokey', 'x', 'x'],
      ['LRANGE', 'l', 0, -1],
      ['LINSERT', 'l', 'BEFORE', 'a', 'X'],
      ['LINSERT', 'l', 'after', 'a', 'Y'],
      ['LINSERT', 'l', 'after', 'D', 'Z'],
      ['LINSERT', 'l', 'before', 'A', 'W'],
      ['LINSERT', 'l', 'before', 'nope', 'W'],
      ['LINSERT', 'l', 'middle', 'a', 'W'],
      ['LINSERT', 'nokey', 'before', 'a', 'W'],
      ['LINSERT', 'nokey', 'middle', 'a', 'W'],
      ['LRANGE', 'l', 0, -1],
      ['LREM', 'l', 1, 'a'],
      ['LREM', 'l', -1, 'a'],
      ['LRANGE', 'l', 0, -1],
      ['RPUSH', 'l', 'a', 'a', 'a'],
      ['LREM', 'l', 0, 'a'],
      ['LREM', 'l', 0, 'nope'],
      ['LREM', 'l', 'x', 'a'],
      ['LREM', 'nokey', 'x', 'a'],
      ['LREM', 'nokey', 1, 'a'],
      ['LRANGE', 'l', 0, -1],
      ['LTRIM', 'l', 1, -2],
      ['LRANGE', 'l', 0, -1],
      ['LTRIM', 'l', 'x', 1],
      ['LTRIM', 'nokey', 0, 1],
      ['LTRIM', 'nokey', 'x', 1],
      ['LTRIM', 'l', -100, 100],
      ['LRANGE', 'l', 0, -1],
      ['LTRIM', 'l', 2, 1],
      ['EXISTS', 'l'],
      ['RPUSH', 'l2', 'a', 'b', 'c'],
      ['LTRIM', 'l2', 5, 10],
      ['EXISTS', 'l2'],
      ['RPUSH', 'l3', 'x', 'x'],
      ['LREM', 'l3', 0, 'x'],
      ['EXISTS', 'l3'],
    ]);
  });

  diffTest(t, 'LINSERT in the middle of a long list and near both ends', async ({ d }) => {
    const items: Arg[] = [];
    for (let i = 0; i < 300; i++) items.push(`e${i}`);
    await d.check(['RPUSH', 'l', ...items]);
    await d.all([
      ['LINSERT', 'l', 'before', 'e150', 'm1'],
      ['LINSERT', 'l', 'after', 'e10', 'm2'],
      ['LINSERT', 'l', 'before', 'e290', 'm3'],
      ['LINSERT', 'l', 'after', 'e299', 'm4'],
      ['LINSERT', 'l', 'before', 'e0', 'm5'],
      ['LRANGE', 'l', 0, -1],
      ['LREM', 'l', -2, 'e5'],
      ['LTRIM', 'l', 7, 250],
      ['LRANGE', 'l', 0, -1],
      ['LINDEX', 'l', 100],
    ]);
  });

  diffTest(t, 'LPOS: RANK, COUNT, MAXLEN and their errors', async ({ d }) => {
    await d.bothProtocols([['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'a', 'c', 'a']], [
      ['LPOS', 'l', 'a'],
      ['LPOS', 'l', 'c'],
      ['LPOS', 'l', 'z'],
      ['LPOS', 'l', 'a', 'RANK', 2],
      ['LPOS', 'l', 'a', 'RANK', -1],
      ['LPOS', 'l', 'a', 'RANK', -2],
      ['LPOS', 'l', 'a', 'RANK', 10],
      ['LPOS', 'l', 'a', 'RANK', 0],
      ['LPOS', 'l', 'a', 'RANK', 'x'],
      ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808'],
      ['LPOS', 'l', 'a', 'RANK', '-9223372036854775808', 'COUNT', 2],
      ['LPOS', 'l', 'a', 'RANK', '-9223372036854775807'],
      ['LPOS', 'l', 'a', 'RANK', '9223372036854775807'],
      ['LPOS', 'l', 'a', 'COUNT', 0],
      ['LPOS', 'l', 'a', 'COUNT', 2],
      ['LPOS', 'l', 'a', 'COUNT', 2, 'RANK', 2],
      ['LPOS', 'l', 'a', 'COUNT', 2, 'RANK', -1],
      ['LPOS', 'l', 'a', 'COUNT', 10, 'RANK', -3],
      ['LPOS', 'l', 'z', 'COUNT', 2],
      ['LPOS', 'l', 'a', 'COUNT', -1],
      ['LPOS', 'l', 'a', 'COUNT', 'x'],
      ['LPOS', 'l', 'a', 'MAXLEN', 3],
      ['LPOS', 'l', 'a', 'MAXLEN', 3, 'COUNT', 0],
      ['LPOS', 'l', 'a', 'MAXLEN', 3, 'RANK', -1, 'COUNT', 0],
      ['LPOS', 'l', 'a', 'MAXLEN', 0, 'COUNT', 0],
      ['LPOS', 'l', 'a', 'MAXLEN', -1],
      ['LPOS', 'l', 'a', 'MAXLEN', 'x'],
      ['LPOS', 'l', 'a', 'RANK'],
      ['LPOS', 'l', 'a', 'FOO', 1],
      ['LPOS', 'l', 'a', 'count', 1, 'maxlen', 1, 'rank', 1],
      ['LPOS', 'nokey', 'a'],
      ['LPOS', 'nokey', 'a', 'COUNT', 1],
      ['LPOS', 'nokey', 'a', 'RANK', 0],
    ]);
  });

  diffTest(t, 'LMOVE, RPOPLPUSH and LMPOP', async ({ d }) => {
    await d.bothProtocols([['RPUSH', 'src', 'a', 'b', 'c']], [
      ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
      ['LMOVE', 'src', 'dst', 'right', 'left'],
      ['LMOVE', 'src', 'dst', 'up', 'left'],
      ['LMOVE', 'src', 'dst', 'left', 'down'],
      ['LMOVE', 'nokey', 'dst', 'left', 'down'],
      ['LMOVE', 'nokey', 'dst', 'left', 'left'],
      ['LRANGE', 'dst', 0, -1],
      ['RPOPLPUSH', 'src', 'dst'],
      ['EXISTS', 'src'],
      ['RPOPLPUSH', 'src', 'dst'],
      ['LRANGE', 'dst', 0, -1],
      ['LMOVE', 'dst', 'dst', 'LEFT', 'RIGHT'],
      ['RPOPLPUSH', 'dst', 'dst'],
      ['LRANGE', 'dst', 0, -1],
      ['RPUSH', 'one', 'x'],
      ['LMOVE', 'one', 'one', 'left', 'left'],
      ['LRANGE', 'one', 0, -1],
      ['SET', 'str', 'v'],
      ['LMOVE', 'dst', 'str', 'left', 'left'],
      ['LMOVE', 'str', 'dst', 'left', 'left'],
      ['RPOPLPUSH', 'dst', 'str'],
      ['LRANGE', 'dst', 0, -1],
      ['LMPOP', 1, 'dst', 'LEFT'],
      ['LMPOP', 2, 'nokey', 'dst', 'RIGHT', 'COUNT', 2],
      ['LMPOP', 2, 'nokey', 'nokey2', 'RIGHT'],
      ['LMPOP', 2, 'nokey', 'dst', 'RIGHT', 'COUNT', 100],
      ['EXISTS', 'dst'],
      ['RPUSH', 'a', '1', '2', '3'],
      ['LMPOP', 2, 'a', 'str', 'LEFT'],
      ['LMPOP', 2, 'str', 'a', 'LEFT'],
      ['LMPOP', 2, 'nokey', 'str', 'LEFT'],
      ['LMPOP', 0, 'a', 'LEFT'],
      ['LMPOP', -1, 'a', 'LEFT'],
      ['LMPOP', 'x', 'a', 'LEFT'],
      ['LMPOP', 3, 'a', 'LEFT'],
      ['LMPOP', 1, 'a', 'MIDDLE'],
      ['LMPOP', 1, 'a', 'LEFT', 'COUNT'],
      ['LMPOP', 1, 'a', 'LEFT', 'COUNT', 0],
      ['LMPOP', 1, 'a', 'LEFT', 'COUNT', -1],
      ['LMPOP', 1, 'a', 'LEFT', 'COUNT', 'x'],
      ['LMPOP', 1, 'a', 'LEFT', 'COUNT', 1, 'COUNT', 1],
      ['LMPOP', 1, 'a', 'LEFT', 'FOO'],
      ['LMPOP', 1, 'a', 'right', 'count', 2],
      ['LMPOP', '9223372036854775807', 'a', 'LEFT'],
    ]);
  });

  diffTest(t, 'blocking commands on data, argument errors, and inside MULTI', async ({ d }) => {
    await d.bothProtocols([['RPUSH', 'l', 'a', 'b', 'c', 'd']], [
      ['BLPOP', 'nokey', 'l', 0],
      ['BRPOP', 'nokey', 'l', '0.5'],
      ['BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', 0],
      ['BRPOPLPUSH', 'l', 'dst', 0],
      ['BLMPOP', 0, 2, 'nokey', 'dst', 'LEFT', 'COUNT', 5],
      ['BLPOP', 'l', 'x'],
      ['BLPOP', 'l', '-1'],
      ['BLPOP', 'l', 'nan'],
      ['BLPOP', 'l', 'inf'],
      ['BLPOP', 'l', '-inf'],
      ['BLPOP', 'l', '1e400'],
      ['BLPOP', 'l', '9.3e15'],
      ['BLPOP', 'l', ' 1'],
      ['BLPOP', 'l', '1 '],
      ['BLPOP', 'l', ''],
      ['BRPOPLPUSH', 'l', 'dst', 'x'],
      ['BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', '-0.5'],
      ['BLMOVE', 'l', 'dst', 'UP', 'RIGHT', 'x'],
      ['BLMPOP', 'x', 1, 'l', 'LEFT'],
      ['BLMPOP', 0, 0, 'l', 'LEFT'],
      ['BLMPOP', -1, 1, 'l', 'LEFT'],
      ['BLMPOP', 'x', 0, 'l', 'LEFT'],
      ['BLMPOP', 'x', 1, 'l', 'LEFT', 'COUNT', 0],
      ['BLMPOP', 0, 1, 'l', 'SIDEWAYS'],
      ['MULTI'],
      ['BLPOP', 'nokey', 0],
      ['BRPOP', 'nokey', 0],
      ['BLMOVE', 'nokey', 'dst', 'LEFT', 'LEFT', 0],
      ['BRPOPLPUSH', 'nokey', 'dst', 0],
      ['BLMPOP', 0, 1, 'nokey', 'LEFT'],
      ['BLPOP', 'nokey', 'x'],
      ['EXEC'],
      ['RPUSH', 'l', 'z'],
      ['MULTI'],
      ['BLPOP', 'l', 0],
      ['EXEC'],
    ]);
  });

  diffTest(t, 'blocking commands inside scripts act as non-blocking', async ({ d }) => {
    await d.bothProtocols([['RPUSH', 'l', 'a']], [
      ['EVAL', "return redis.call('BLPOP', KEYS[1], 0)", 1, 'nokey'],
      ['EVAL', "return redis.call('BLMOVE', KEYS[1], 'd', 'LEFT', 'LEFT', 0)", 1, 'nokey'],
      ['EVAL', "return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')", 1, 'nokey'],
      ['EVAL', "return redis.call('BRPOP', KEYS[1], 0)", 1, 'l'],
    ]);
  });

  diffTest(t, 'WRONGTYPE on every list command, and its order relative to syntax errors', async ({ d }) => {
    await d.bothProtocols([['SET', 's', 'v'], ['RPUSH', 'l', 'a']], [
      ['LPUSH', 's', 'a'],
      ['RPUSH', 's', 'a'],
      ['LPUSHX', 's', 'a'],
      ['RPUSHX', 's', 'a'],
      ['LPOP', 's'],
      ['RPOP', 's'],
      ['LPOP', 's', 2],
      ['LPOP', 's', -2],
      ['LPOP', 's', 0],
      ['LLEN', 's'],
      ['LRANGE', 's', 0, -1],
      ['LRANGE', 's', 'x', -1],
      ['LINDEX', 's', 0],
      ['LINDEX', 's', 'x'],
      ['LSET', 's', 0, 'x'],
      ['LSET', 's', 'x', 'x'],
      ['LINSERT', 's', 'before', 'a', 'b'],
      ['LINSERT', 's', 'middle', 'a', 'b'],
      ['LREM', 's', 0, 'a'],
      ['LREM', 's', 'x', 'a'],
      ['LTRIM', 's', 0, 1],
      ['LTRIM', 's', 'x', 1],
      ['LPOS', 's', 'a'],
      ['LPOS', 's', 'a', 'RANK', 0],
      ['LMOVE', 's', 'l', 'left', 'left'],
      ['LMOVE', 'l', 's', 'left', 'left'],
      ['LMOVE', 'nokey', 's', 'left', 'left'],
      ['LMOVE', 's', 'l', 'up', 'left'],
      ['RPOPLPUSH', 's', 'l'],
      ['RPOPLPUSH', 'l', 's'],
      ['LMPOP', 1, 's', 'left'],
      ['LMPOP', 1, 's', 'middle'],
      ['BLPOP', 's', 0],
      ['BLPOP', 'nokey', 's', 0],
      ['BLPOP', 's', 'x'],
      ['BRPOP', 's', 0],
      ['BLMOVE', 's', 'l', 'left', 'left', 0],
      ['BLMOVE', 'l', 's', 'left', 'left', 0],
      ['BRPOPLPUSH', 's', 'l', 0],
      ['BLMPOP', 0, 1, 's', 'left'],
      ['LRANGE', 'l', 0, -1],
    ]);
  });

  diffTest(t, 'OBJECT ENCODING is quicklist for every list (Redis 7.0)', async ({ d }) => {
    const big: Arg[] = [];
    for (let i = 0; i < 200; i++) big.push('x'.repeat(i));
    await d.all([
      ['RPUSH', 'small', 'a'],
      ['OBJECT', 'ENCODING', 'small'],
      ['RPUSH', 'big', ...big],
      ['OBJECT', 'ENCODING', 'big'],
      ['LTRIM', 'big', 0, 0],
      ['OBJECT', 'ENCODING', 'big'],
      ['COPY', 'big', 'big2'],
      ['LRANGE', 'big2', 0, -1],
      ['OBJECT', 'ENCODING', 'big2'],
    ]);
  });

  diffTest(t, 'keyspace events match Redis for every list command', async (ctx) => {
    const { d, srv, ref } = ctx;
    await d.redust.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await d.reference.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const ea = await eventLog(srv.port);
    const eb = await eventLog(ref.port);
    try {
      await d.all([
        ['LPUSH', 'l', 'a', 'b'],
        ['RPUSH', 'l', 'c'],
        ['LPUSHX', 'l', 'd'],
        ['RPUSHX', 'l', 'e'],
        ['LPUSHX', 'nokey', 'd'],
        ['LPOP', 'l'],
        ['RPOP', 'l', 1],
        ['LPOP', 'l', 0],
        ['LSET', 'l', 0, 'z'],
        ['LINSERT', 'l', 'before', 'z', 'y'],
        ['LINSERT', 'l', 'before', 'nope', 'y'],
        ['LREM', 'l', 0, 'y'],
        ['LREM', 'l', 0, 'nope'],
        ['LTRIM', 'l', 0, -1],
        ['LMOVE', 'l', 'm', 'left', 'right'],
        ['RPOPLPUSH', 'l', 'm'],
        ['LMPOP', 1, 'm', 'left', 'count', 10],
        ['RPUSH', 'x', 'a', 'b'],
        ['LTRIM', 'x', 5, 6],
        ['RPUSH', 'x', 'a', 'b'],
        ['BLPOP', 'x', 0],
        ['BRPOPLPUSH', 'x', 'x2', 0],
        ['BLMPOP', 0, 1, 'x2', 'right'],
        ['RPUSH', 'x', 'a'],
        ['LREM', 'x', 1, 'a'],
      ]);
      const got = await ea.messages();
      const want = await eb.messages();
      assert.ok(want.length > 20, `only ${want.length} events`);
      assert.equal(got, want);
    } finally {
      ea.conn.close();
      eb.conn.close();
      await d.redust.send('CONFIG', 'SET', 'notify-keyspace-events', '');
      await d.reference.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  diffTest(t, 'randomized operation sequence matches Redis exactly', async ({ d }) => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const el = () => 'abcde'[rnd(5)] + (rnd(3) === 0 ? 'x'.repeat(rnd(40)) : '');
    const idx = () => rnd(30) - 15;
    const ops: (() => Arg[])[] = [
      () => ['LPUSH', 'k', el(), el(), el()],
      () => ['RPUSH', 'k', el(), el()],
      () => ['LPOP', 'k', rnd(4)],
      () => ['RPOP', 'k'],
      () => ['LINSERT', 'k', rnd(2) ? 'BEFORE' : 'AFTER', el(), el()],
      () => ['LREM', 'k', rnd(7) - 3, el()],
      () => ['LTRIM', 'k', idx(), idx()],
      () => ['LSET', 'k', idx(), el()],
      () => ['LRANGE', 'k', idx(), idx()],
      () => ['LINDEX', 'k', idx()],
      () => ['LPOS', 'k', el(), 'RANK', rnd(2) ? 1 + rnd(3) : -1 - rnd(3), 'COUNT', rnd(3), 'MAXLEN', rnd(10)],
      () => ['LMOVE', 'k', 'k', rnd(2) ? 'LEFT' : 'RIGHT', rnd(2) ? 'LEFT' : 'RIGHT'],
      () => ['LLEN', 'k'],
    ];
    for (let i = 0; i < 3000; i++) {
      const op = ops[rnd(ops.length)]();
      await d.check(op);
      if (i % 100 === 99) await d.check(['LRANGE', 'k', 0, -1]);
    }
  });

  t('a long list keeps O(1) ends and exact contents', async ({ c }) => {
    const n = 50000;
    const batch: Arg[] = [];
    for (let i = 0; i < n; i++) batch.push(String(i));
    assert.equal(await c.send('RPUSH', 'big', ...batch), R.int(n));
    assert.equal(await c.send('LPUSH', 'big', 'h'), R.int(n + 1));
    assert.equal(await c.send('LINDEX', 'big', 25000), R.bulk('24999'));
    assert.equal(await c.send('LPOP', 'big', 2), R.arr(R.bulk('h'), R.bulk('0')));
    assert.equal(await c.send('RPOP', 'big'), R.bulk(String(n - 1)));
    assert.equal(await c.send('LLEN', 'big'), R.int(n - 2));
    assert.equal(await c.send('LPOS', 'big', '40000'), R.int(39999));
    assert.equal(await c.send('LTRIM', 'big', 100, 199), R.ok);
    assert.equal(await c.send('LRANGE', 'big', 0, 1), R.arr(R.bulk('101'), R.bulk('102')));
    assert.equal(await c.send('LLEN', 'big'), R.int(100));
  });

  t.run();
}
