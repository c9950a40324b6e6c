/**
 * Set commands: replies compared with real Redis 7.0 (RESP2 and RESP3 sets), every option and
 * error, WRONGTYPE on every command, keyspace events, intset/hashtable encoding, SSCAN guarantee,
 * SPOP/SRANDMEMBER counts and distribution.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, R, items, text, eventLog } from './helpers/raw';





for (const engine of enginesUnderTest()) {
  const t = differentialSuite('sets', engine);

  t('binary-safe members', async ({ c }) => {
    const m = Buffer.from([0, 0xff, 13, 10, 0x80]);
    assert.equal(await c.send('SADD', 's', m, 'x'), R.int(2));
    assert.equal(await c.send('SISMEMBER', 's', m), R.int(1));
    assert.equal(await c.send('SREM', 's', 'x'), R.int(1));
    assert.equal(await c.send('SMEMBERS', 's'), R.arr(R.bulk(m)));
  });

  diffTest(t, 'SADD/SREM/SISMEMBER/SMISMEMBER/SCARD/SMEMBERS (intsets compared in order)', async ({ d }) => {
    await d.bothProtocols([], [
      ['SADD', 'i', '3', '1', '2', '-5', '1'],
      ['SMEMBERS', 'i'],
      ['SADD', 'i', '9223372036854775807', '-9223372036854775808', '100'],
      ['SMEMBERS', 'i'],
      ['SREM', 'i', '100', 'nope', '1'],
      ['SMEMBERS', 'i'],
      ['SISMEMBER', 'i', '2'],
      ['SISMEMBER', 'i', '02'],
      ['SISMEMBER', 'nokey', '2'],
      ['SMISMEMBER', 'i', '2', '3', 'x'],
      ['SMISMEMBER', 'nokey', '2', '3'],
      ['SCARD', 'i'],
      ['SCARD', 'nokey'],
      ['SMEMBERS', 'nokey'],
      ['SREM', 'nokey', 'a'],
      ['SREM', 'i', '2', '3', '-5', '9223372036854775807', '-9223372036854775808', 'x'],
      ['EXISTS', 'i'],
      ['SADD', 's', 'a'],
      ['SADD', 's', 'a'],
      ['SMEMBERS', 's'],
    ]);
    await d.bothProtocols([['SADD', 's', 'b', 'a', 'c', '1']], [['SMEMBERS', 's'], ['SUNION', 's', 'nokey'], ['SINTER', 's', 's']], {
      unordered: true,
    });
  });

  diffTest(t, 'SMOVE in every case', async ({ d }) => {
    await d.bothProtocols([['SADD', 'a', '1', '2', 'x'], ['SADD', 'b', '2'], ['SET', 'str', 'v']], [
      ['SMOVE', 'a', 'b', '1'],
      ['SMOVE', 'a', 'b', '2'],
      ['SMOVE', 'a', 'b', 'nope'],
      ['SMOVE', 'a', 'a', 'x'],
      ['SMOVE', 'a', 'a', 'nope'],
      ['SMOVE', 'nokey', 'b', '1'],
      ['SMOVE', 'nokey', 'str', '1'],
      ['SMOVE', 'str', 'b', '1'],
      ['SMOVE', 'a', 'str', 'x'],
      ['SMOVE', 'a', 'c', 'x'],
      ['EXISTS', 'a'],
      ['SMEMBERS', 'b'],
      ['SMEMBERS', 'c'],
      ['OBJECT', 'ENCODING', 'c'],
      ['OBJECT', 'ENCODING', 'b'],
    ]);
  });

  diffTest(t, 'SINTER/SUNION/SDIFF, STORE forms and SINTERCARD', async ({ d }) => {
    const setup: Arg[][] = [
      ['SADD', 'a', '1', '2', '3', '4'],
      ['SADD', 'b', '3', '4', '5'],
      ['SADD', 'c', '4', '6'],
      ['SADD', 'w', 'x', 'y', '4'],
      ['SET', 'str', 'v'],
      ['SET', 'dst', 'old'],
      ['EXPIRE', 'dst', 100],
    ];
    await d.bothProtocols(setup, [
      ['SINTER', 'a', 'b'],
      ['SINTER', 'a', 'b', 'c'],
      ['SINTER', 'a', 'nokey'],
      ['SINTER', 'nokey', 'str'],
      ['SINTER', 'a', 'str'],
      ['SUNION', 'a', 'b', 'c'],
      ['SUNION', 'nokey'],
      ['SUNION', 'a', 'str'],
      ['SDIFF', 'a', 'b'],
      ['SDIFF', 'a', 'b', 'c'],
      ['SDIFF', 'a', 'a'],
      ['SDIFF', 'nokey', 'a'],
      ['SDIFF', 'a', 'nokey'],
      ['SDIFF', 'a', 'str'],
      ['SINTERSTORE', 'dst', 'a', 'b'],
      ['TTL', 'dst'],
      ['SMEMBERS', 'dst'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['SINTERSTORE', 'dst', 'a', 'nokey'],
      ['EXISTS', 'dst'],
      ['SINTERSTORE', 'dst', 'a', 'str'],
      ['SUNIONSTORE', 'dst', 'a', 'w'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['SCARD', 'dst'],
      ['SUNIONSTORE', 'dst', 'nokey'],
      ['EXISTS', 'dst'],
      ['SDIFFSTORE', 'dst', 'a', 'b'],
      ['SMEMBERS', 'dst'],
      ['SDIFFSTORE', 'dst', 'a', 'a'],
      ['EXISTS', 'dst'],
      ['SDIFFSTORE', 'a', 'a', 'c'],
      ['SMEMBERS', 'a'],
      ['SINTERCARD', 2, 'a', 'b'],
      ['SINTERCARD', 1, 'a'],
      ['SINTERCARD', 1, 'a', 'LIMIT', 1],
      ['SINTERCARD', 1, 'a', 'LIMIT', 0],
      ['SINTERCARD', 1, 'a', 'LIMIT', -1],
      ['SINTERCARD', 1, 'a', 'LIMIT', 'x'],
      ['SINTERCARD', 1, 'a', 'LIMIT'],
      ['SINTERCARD', 1, 'a', 'FOO', 1],
      ['SINTERCARD', 2, 'a', 'nokey'],
      ['SINTERCARD', 2, 'a', 'str'],
      ['SINTERCARD', 0, 'a'],
      ['SINTERCARD', -1, 'a'],
      ['SINTERCARD', 'x', 'a'],
      ['SINTERCARD', 3, 'a', 'b'],
    ], { unordered: true });
  });

  diffTest(t, 'SPOP and SRANDMEMBER: deterministic shapes and errors', async ({ d }) => {
    await d.bothProtocols([['SADD', 'i', '1', '2', '3'], ['SADD', 'one', 'm']], [
      ['SRANDMEMBER', 'one'],
      ['SRANDMEMBER', 'one', -3],
      ['SRANDMEMBER', 'one', 1],
      ['SRANDMEMBER', 'i', 10],
      ['SRANDMEMBER', 'i', 0],
      ['SRANDMEMBER', 'nokey'],
      ['SRANDMEMBER', 'nokey', 5],
      ['SRANDMEMBER', 'nokey', 'x'],
      ['SRANDMEMBER', 'i', 'x'],
      ['SRANDMEMBER', 'i', '-9223372036854775808'],
      ['SRANDMEMBER', 'i', 1, 2],
      ['SPOP', 'i', 0],
      ['SPOP', 'i', -1],
      ['SPOP', 'i', 'x'],
      ['SPOP', 'nokey', 'x'],
      ['SPOP', 'nokey'],
      ['SPOP', 'nokey', 3],
      ['SPOP', 'i', 1, 2],
      ['SPOP', 'i', 10],
      ['EXISTS', 'i'],
      ['SPOP', 'one'],
      ['EXISTS', 'one'],
    ]);
    await d.bothProtocols([['SADD', 'i', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'], ['SADD', 's', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']], [
      ['SRANDMEMBER', 'i'],
      ['SRANDMEMBER', 'i', 3],
      ['SRANDMEMBER', 'i', 9],
      ['SRANDMEMBER', 's', -20],
      ['SRANDMEMBER', 's', 5],
      ['SPOP', 'i'],
      ['SPOP', 'i', 1],
      ['SPOP', 'i', 7],
      ['SPOP', 's', 2],
      ['SCARD', 'i'],
      ['SCARD', 's'],
    ], { typeOnly: true });
  });

  t('SPOP/SRANDMEMBER counts: distinct members, set shrinks, fair spread', async ({ c }) => {
    const members: Arg[] = [];
    for (let i = 0; i < 200; i++) members.push(`m${i}`);
    await c.send('SADD', 's', ...members);
    const r = items(await c.send('SRANDMEMBER', 's', 150));
    assert.is(new Set(r.map(text)).size, 150);
    const counts = new Map<string, number>();
    for (const n of items(await c.send('SRANDMEMBER', 's', -20000))) counts.set(text(n), (counts.get(text(n)) ?? 0) + 1);
    assert.is(counts.size, 200);
    for (const v of counts.values()) assert.ok(v > 30 && v < 200, `count ${v}`);
    // SPOP count case 2 (few) and case 3 (most of the set).
    const p1 = items(await c.send('SPOP', 's', 10)).map(text);
    assert.is(new Set(p1).size, 10);
    assert.equal(await c.send('SCARD', 's'), R.int(190));
    const p2 = items(await c.send('SPOP', 's', 185)).map(text);
    assert.is(new Set([...p1, ...p2]).size, 195);
    const rest = items(await c.send('SMEMBERS', 's')).map(text);
    assert.is(rest.length, 5);
    for (const m of rest) assert.not.ok(p1.includes(m) || p2.includes(m));
  });

  diffTest(t, 'OBJECT ENCODING: intset vs hashtable (7.0 has no listpack sets), conversions', async ({ d }) => {
    const ints: Arg[] = [];
    for (let i = 0; i < 513; i++) ints.push(String(i * 7));
    await d.all([
      ['SADD', 's', '1', '2'],
      ['OBJECT', 'ENCODING', 's'],
      ['SADD', 's', 'a'],
      ['OBJECT', 'ENCODING', 's'],
      ['SREM', 's', 'a'],
      ['OBJECT', 'ENCODING', 's'],
      ['SADD', 'z', '01'],
      ['OBJECT', 'ENCODING', 'z'],
      ['SADD', 'z2', '-0'],
      ['OBJECT', 'ENCODING', 'z2'],
      ['SADD', 'z3', '9223372036854775808'],
      ['OBJECT', 'ENCODING', 'z3'],
      ['SADD', 'z4', ' 1'],
      ['OBJECT', 'ENCODING', 'z4'],
      ['SADD', 'big', ...ints.slice(0, 512)],
      ['OBJECT', 'ENCODING', 'big'],
      ['SADD', 'big', ints[512]],
      ['OBJECT', 'ENCODING', 'big'],
    ]);
    // SPOP case 3 rebuilds the set (intset again when it fits); case 2 keeps the encoding.
    await d.check(['SPOP', 'big', 500], { typeOnly: true });
    await d.check(['OBJECT', 'ENCODING', 'big']);
    await d.check(['SADD', 'big2', ...ints]);
    await d.check(['SPOP', 'big2', 5], { typeOnly: true });
    await d.all([
      ['OBJECT', 'ENCODING', 'big2'],
      ['SINTERSTORE', 'd1', 's', 's'],
      ['OBJECT', 'ENCODING', 'd1'],
      ['SUNIONSTORE', 'd2', 'big2'],
      ['OBJECT', 'ENCODING', 'd2'],
      ['COPY', 's', 's2'],
      ['OBJECT', 'ENCODING', 's2'],
      ['SCARD', 's2'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '2'],
      ['SADD', 'c', '1', '2'],
      ['OBJECT', 'ENCODING', 'c'],
      ['SADD', 'c', '3'],
      ['OBJECT', 'ENCODING', 'c'],
      ['SMOVE', 'c', 'c2', '3'],
      ['OBJECT', 'ENCODING', 'c2'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
    ]);
  });

  diffTest(t, 'SSCAN: intset in one sorted call, hashtable cursor visits everything, errors', async ({ d, c }) => {
    await d.bothProtocols([['SADD', 'i', '5', '3', '10', '-1']], [
      ['SSCAN', 'i', 0],
      ['SSCAN', 'i', 0, 'MATCH', '1*'],
      ['SSCAN', 'i', 0, 'COUNT', 1],
      ['SSCAN', 'i', 0, 'COUNT', 0],
      ['SSCAN', 'i', 0, 'MATCH'],
      ['SSCAN', 'i', 0, 'NOVALUES'],
      ['SSCAN', 'i', 'x'],
      ['SSCAN', 'nokey', 0],
      ['SSCAN', 'nokey', 0, 'BAD'],
    ]);
    await d.bothProtocols([['SADD', 's', 'a', 'b', 'c']], [['SSCAN', 's', 0]], { deepUnordered: true });
    const members: Arg[] = [];
    for (let i = 0; i < 2000; i++) members.push(`member:${i}`);
    await c.send('SADD', 'big', ...members);
    const seen = new Set<string>();
    let cursor = '0';
    let calls = 0;
    do {
      const r = items(await c.send('SSCAN', 'big', cursor, 'COUNT', 50, 'MATCH', 'member:*'));
      cursor = text(r[0]);
      for (const m of items(r[1])) seen.add(text(m));
      if (calls === 5) await c.send('SREM', 'big', ...members.slice(1500));
      calls++;
    } while (cursor !== '0' && calls < 10000);
    for (let i = 0; i < 1500; i++) assert.ok(seen.has(`member:${i}`), `member:${i}`);
    assert.ok(calls > 5);
  });

  diffTest(t, 'WRONGTYPE on every set command', async ({ d }) => {
    await d.bothProtocols([['SET', 'str', 'v'], ['SADD', 's', 'a']], [
      ['SADD', 'str', 'a'],
      ['SREM', 'str', 'a'],
      ['SMEMBERS', 'str'],
      ['SISMEMBER', 'str', 'a'],
      ['SMISMEMBER', 'str', 'a'],
      ['SCARD', 'str'],
      ['SPOP', 'str'],
      ['SPOP', 'str', 1],
      ['SPOP', 'str', -1],
      ['SRANDMEMBER', 'str'],
      ['SRANDMEMBER', 'str', 1],
      ['SMOVE', 'str', 's', 'a'],
      ['SMOVE', 's', 'str', 'a'],
      ['SINTER', 'str'],
      ['SINTER', 'nokey', 'str'],
      ['SINTERCARD', 1, 'str'],
      ['SUNION', 'str'],
      ['SDIFF', 'str'],
      ['SDIFF', 's', 'str'],
      ['SINTERSTORE', 'd', 'str'],
      ['SUNIONSTORE', 'd', 'str'],
      ['SDIFFSTORE', 'd', 'str'],
      ['SINTERSTORE', 'str', 's'],
      ['TYPE', 'str'],
      ['SSCAN', 'str', 0],
      ['SSCAN', 'str', 'x'],
    ]);
  });

  diffTest(t, 'keyspace events match Redis for every set command', async (ctx) => {
    const { d, srv, ref } = ctx;
    for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const subs = [await eventLog(srv.port), await eventLog(ref.port)];
    try {
      await d.all([
        ['SADD', 's', 'a', 'b', 'c'],
        ['SADD', 's', 'a'],
        ['SREM', 's', 'nope'],
        ['SREM', 's', 'a'],
        ['SMOVE', 's', 't', 'b'],
        ['SMOVE', 's', 't', 'c'],
        ['SMOVE', 't', 't', 'b'],
        ['SADD', 'u', '1', '2', '3'],
      ]);
      await d.check(['SPOP', 'u'], { typeOnly: true });
      await d.check(['SPOP', 'u', 1], { typeOnly: true });
      await d.check(['SPOP', 'u', 5], { typeOnly: true });
      await d.all([
        ['SPOP', 'u', 0],
        ['SINTERSTORE', 'd', 't', 't'],
        ['SUNIONSTORE', 'd', 't', 'nokey'],
        ['SDIFFSTORE', 'd', 't', 't'],
        ['SDIFFSTORE', 'd', 't', 't'],
        ['SINTERSTORE', 'd', 't', 'nokey'],
        ['SUNIONSTORE', 'e', 't'],
        ['SINTERSTORE', 'e', 't', 'nokey'],
        ['SADD', 'v', 'x'],
        ['SPOP', 'v'],
        ['SADD', 'w', 'x', 'y'],
      ]);
      await d.check(['SPOP', 'w', 1], { typeOnly: true });
      const logs = [await subs[0].messages(), await subs[1].messages()];
      assert.ok(logs[1].length >= 15);
      assert.equal(logs[0], logs[1]);
    } finally {
      for (const s of subs) s.conn.close();
      for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  t.run();
}
