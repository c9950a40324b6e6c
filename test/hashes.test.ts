/**
 * Hash commands: replies compared with real Redis 7.0 (RESP2 and RESP3), every option and error,
 * WRONGTYPE on every command, keyspace events, OBJECT ENCODING conversions, HSCAN guarantees,
 * HRANDFIELD shapes and distribution.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, R, items, text, eventLog } from './helpers/raw';





for (const engine of enginesUnderTest()) {
  const t = differentialSuite('hashes', engine);

  t('binary-safe fields and values', async ({ c }) => {
    const f = Buffer.from([0, 0xff, 13, 10]);
    const v = Buffer.from([0xfe, 0, 0x80]);
    assert.equal(await c.send('HSET', 'h', f, v), R.int(1));
    assert.equal(await c.send('HGET', 'h', f), R.bulk(v));
    assert.equal(await c.send('HSTRLEN', 'h', f), R.int(3));
    assert.equal(await c.send('HGETALL', 'h'), R.arr(R.bulk(f), R.bulk(v)));
  });

  diffTest(t, 'HSET/HMSET/HSETNX/HGET/HMGET/HDEL/HLEN/HSTRLEN/HEXISTS (listpack order)', async ({ d }) => {
    await d.bothProtocols([], [
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
      ['HSET', 'h', 'a', '10', 'd', '4'],
      ['HSET', 'h', 'a'],
      ['HSET', 'h', 'a', '1', 'b'],
      ['HMSET', 'h', 'e', '5', 'f', '6'],
      ['HMSET', 'h', 'e'],
      ['HSETNX', 'h', 'a', 'x'],
      ['HSETNX', 'h', 'g', '7'],
      ['HSETNX', 'new', 'g', '7'],
      ['HGET', 'h', 'a'],
      ['HGET', 'h', 'nope'],
      ['HGET', 'nokey', 'a'],
      ['HMGET', 'h', 'a', 'nope', 'g'],
      ['HMGET', 'nokey', 'a', 'b'],
      ['HLEN', 'h'],
      ['HLEN', 'nokey'],
      ['HSTRLEN', 'h', 'a'],
      ['HSTRLEN', 'h', 'nope'],
      ['HSTRLEN', 'nokey', 'a'],
      ['HEXISTS', 'h', 'a'],
      ['HEXISTS', 'h', 'nope'],
      ['HEXISTS', 'nokey', 'a'],
      ['HGETALL', 'h'],
      ['HKEYS', 'h'],
      ['HVALS', 'h'],
      ['HGETALL', 'nokey'],
      ['HKEYS', 'nokey'],
      ['HVALS', 'nokey'],
      ['HDEL', 'h', 'a', 'a', 'nope', 'b'],
      ['HDEL', 'nokey', 'a'],
      ['HGETALL', 'h'],
      ['HSET', 'h', 'a', 'back'],
      ['HGETALL', 'h'],
      ['HDEL', 'h', 'c', 'd', 'e', 'f', 'g', 'a', 'x'],
      ['EXISTS', 'h'],
      ['HDEL', 'new', 'g'],
      ['EXISTS', 'new'],
    ]);
  });

  diffTest(t, 'HINCRBY and HINCRBYFLOAT: formatting, overflow and every error', async ({ d }) => {
    await d.bothProtocols([['HSET', 'h', 'n', '10', 's', 'abc', 'f', '1.5', 'sp', ' 1', 'big', '9223372036854775806']], [
      ['HINCRBY', 'h', 'n', 5],
      ['HINCRBY', 'h', 'n', -20],
      ['HINCRBY', 'h', 'new', 3],
      ['HINCRBY', 'nokey', 'x', 3],
      ['HINCRBY', 'h', 's', 1],
      ['HINCRBY', 'h', 'f', 1],
      ['HINCRBY', 'h', 'sp', 1],
      ['HINCRBY', 'h', 'n', 'x'],
      ['HINCRBY', 'h', 'n', '1.0'],
      ['HINCRBY', 'nokey2', 'n', 'x'],
      ['EXISTS', 'nokey2'],
      ['HINCRBY', 'h', 'big', 1],
      ['HINCRBY', 'h', 'big', 1],
      ['HINCRBY', 'h', 'big', '-9223372036854775808'],
      ['HINCRBY', 'h', 'big', '-9223372036854775808'],
      ['HSET', 'h', 'min', '-9223372036854775808'],
      ['HINCRBY', 'h', 'min', -1],
      ['HINCRBYFLOAT', 'h', 'f', '0.1'],
      ['HINCRBYFLOAT', 'h', 'f', '-1.6'],
      ['HINCRBYFLOAT', 'h', 'n', '1e3'],
      ['HINCRBYFLOAT', 'h', 'n', '0.1'],
      ['HINCRBYFLOAT', 'h', 'new2', '3.0'],
      ['HINCRBYFLOAT', 'h', 'new3', '1.23e-5'],
      ['HINCRBYFLOAT', 'h', 's', '1'],
      ['HINCRBYFLOAT', 'h', 'sp', '1'],
      ['HINCRBYFLOAT', 'h', 'f', 'x'],
      ['HINCRBYFLOAT', 'h', 'f', 'inf'],
      ['HINCRBYFLOAT', 'h', 'f', '-inf'],
      ['HINCRBYFLOAT', 'h', 'f', 'nan'],
      ['HINCRBYFLOAT', 'h', 'f', ''],
      ['HINCRBYFLOAT', 'h', 'f', '1e4933'],
      ['HSET', 'h', 'huge', '1e4932'],
      ['HINCRBYFLOAT', 'h', 'huge', '1e4932'],
      ['HINCRBYFLOAT', 'h', 'big', '1'],
      ['HINCRBYFLOAT', 'nokey3', 'f', '2.5'],
      ['HGETALL', 'h'],
    ]);
  });

  diffTest(t, 'HRANDFIELD: count forms, WITHVALUES shapes in RESP2/RESP3, errors', async ({ d }) => {
    const setup: Arg[][] = [['HSET', 'h', 'a', '1', 'b', '2', 'c', '3']];
    // Deterministic cases compared exactly (whole hash in listpack order; single field hash).
    await d.bothProtocols([...setup, ['HSET', 'one', 'f', 'v']], [
      ['HRANDFIELD', 'h', 3],
      ['HRANDFIELD', 'h', 10],
      ['HRANDFIELD', 'h', 10, 'WITHVALUES'],
      ['HRANDFIELD', 'h', 0],
      ['HRANDFIELD', 'h', 0, 'WITHVALUES'],
      ['HRANDFIELD', 'one'],
      ['HRANDFIELD', 'one', -3],
      ['HRANDFIELD', 'one', -3, 'withvalues'],
      ['HRANDFIELD', 'one', 1, 'withvalues'],
      ['HRANDFIELD', 'nokey'],
      ['HRANDFIELD', 'nokey', 5],
      ['HRANDFIELD', 'nokey', -5, 'WITHVALUES'],
      ['HRANDFIELD', 'h', 'x'],
      ['HRANDFIELD', 'nokey', 'x'],
      ['HRANDFIELD', 'h', 1, 'FOO'],
      ['HRANDFIELD', 'nokey', 1, 'FOO'],
      ['HRANDFIELD', 'h', 1, 'WITHVALUES', 'x'],
      ['HRANDFIELD', 'h', '-9223372036854775808'],
      ['HRANDFIELD', 'h', '-9223372036854775807', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'],
    ]);
    // Random cases: compare types and lengths only.
    await d.bothProtocols(setup, [
      ['HRANDFIELD', 'h'],
      ['HRANDFIELD', 'h', 2],
      ['HRANDFIELD', 'h', -5],
      ['HRANDFIELD', 'h', -5, 'WITHVALUES'],
      ['HRANDFIELD', 'h', 2, 'WITHVALUES'],
    ], { typeOnly: true });
  });

  t('HRANDFIELD returns distinct fields for positive counts and a fair spread', async ({ c }) => {
    const args: Arg[] = [];
    for (let i = 0; i < 300; i++) args.push(`f${i}`, `v${i}`);
    await c.send('HSET', 'h', ...args);
    const r = items(await c.send('HRANDFIELD', 'h', 100));
    assert.is(r.length, 100);
    assert.is(new Set(r.map(text)).size, 100);
    const wv = items(await c.send('HRANDFIELD', 'h', 5, 'WITHVALUES'));
    assert.is(wv.length, 10);
    for (let i = 0; i < 10; i += 2) assert.is(text(wv[i + 1]), 'v' + text(wv[i]).slice(1));
    const counts = new Map<string, number>();
    for (const n of items(await c.send('HRANDFIELD', 'h', -30000))) counts.set(text(n), (counts.get(text(n)) ?? 0) + 1);
    assert.is(counts.size, 300);
    for (const v of counts.values()) assert.ok(v > 40 && v < 180, `count ${v}`);
  });

  diffTest(t, 'OBJECT ENCODING: listpack -> hashtable by entries and by value length, never back', async ({ d }) => {
    const many: Arg[] = [];
    for (let i = 0; i < 129; i++) many.push(`f${i}`, 'v');
    await d.all([
      ['HSET', 'h', 'a', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'h'],
      ['HSET', 'h', 'b', 'x'.repeat(65)],
      ['OBJECT', 'ENCODING', 'h'],
      ['HDEL', 'h', 'b'],
      ['OBJECT', 'ENCODING', 'h'],
      ['HSET', 'h2', 'y'.repeat(65), '1'],
      ['OBJECT', 'ENCODING', 'h2'],
      ['HSET', 'h3', ...many.slice(0, 256)],
      ['OBJECT', 'ENCODING', 'h3'],
      ['HSET', 'h3', ...many.slice(256)],
      ['OBJECT', 'ENCODING', 'h3'],
      ['HDEL', 'h3', 'f0', 'f1', 'f2'],
      ['OBJECT', 'ENCODING', 'h3'],
      ['HSETNX', 'h4', 'a', '1'],
      ['HSETNX', 'h4', 'a', 'z'.repeat(100)],
      ['OBJECT', 'ENCODING', 'h4'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '4'],
      ['HSET', 'h5', 'a', '1'],
      ['HINCRBYFLOAT', 'h5', 'a', '0.123456'],
      ['OBJECT', 'ENCODING', 'h5'],
      ['HSET', 'h6', 'a', '1'],
      ['HINCRBY', 'h6', 'longfield', '1'],
      ['OBJECT', 'ENCODING', 'h6'],
      ['HSET', 'h7', 'a', '1'],
      ['HINCRBY', 'h7', 'a', '99999'],
      ['OBJECT', 'ENCODING', 'h7'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '2'],
      ['HSET', 'h8', 'a', '1', 'b', '2'],
      ['OBJECT', 'ENCODING', 'h8'],
      ['HSET', 'h8', 'c', '3'],
      ['OBJECT', 'ENCODING', 'h8'],
      ['COPY', 'h8', 'h9'],
      ['OBJECT', 'ENCODING', 'h9'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '128'],
      ['OBJECT', 'ENCODING', 'h8'],
    ]);
    await d.check(['HGETALL', 'h3'], { unordered: true });
    await d.check(['HKEYS', 'h3'], { unordered: true });
    await d.check(['HVALS', 'h3'], { unordered: true });
  });

  diffTest(t, 'HSCAN: listpack in one call; hashtable cursor visits every field; MATCH, COUNT, errors', async ({ d, c }) => {
    await d.bothProtocols([['HSET', 'h', 'a1', '1', 'b1', '2', 'a2', '3']], [
      ['HSCAN', 'h', 0],
      ['HSCAN', 'h', 0, 'MATCH', 'a*'],
      ['HSCAN', 'h', 0, 'COUNT', 1],
      ['HSCAN', 'h', 0, 'MATCH', '*', 'COUNT', 100],
      ['HSCAN', 'h', 0, 'NOVALUES'],
      ['HSCAN', 'h', 0, 'COUNT', 0],
      ['HSCAN', 'h', 0, 'COUNT', 'x'],
      ['HSCAN', 'h', 0, 'MATCH'],
      ['HSCAN', 'h', 0, 'TYPE', 'hash'],
      ['HSCAN', 'h', 'x'],
      ['HSCAN', 'h', '-1'],
      ['HSCAN', 'h', '18446744073709551616'],
      ['HSCAN', 'nokey', 0],
      ['HSCAN', 'nokey', 0, 'BADOPT'],
      ['HSCAN', 'nokey', 'x'],
    ]);
    const args: Arg[] = [];
    for (let i = 0; i < 1000; i++) args.push(`field:${i}`, `${i}`);
    await c.send('HSET', 'big', ...args);
    const seen = new Map<string, string>();
    let cursor = '0';
    let calls = 0;
    do {
      const r = items(await c.send('HSCAN', 'big', cursor, 'COUNT', 20));
      cursor = text(r[0]);
      const kv = items(r[1]);
      for (let i = 0; i < kv.length; i += 2) seen.set(text(kv[i]), text(kv[i + 1]));
      // Fields deleted/added during the scan must not break the guarantee for stable fields.
      if (calls === 3) await c.send('HSET', 'big', ...Array.from({ length: 400 }, (_, i) => [`extra${i}`, 'x']).flat());
      calls++;
    } while (cursor !== '0' && calls < 10000);
    for (let i = 0; i < 1000; i++) assert.is(seen.get(`field:${i}`), `${i}`);
    assert.ok(calls > 5, `calls ${calls}`);
  });

  diffTest(t, 'WRONGTYPE on every hash command (and syntax/arity errors first where Redis checks them first)', async ({ d }) => {
    await d.bothProtocols([['SET', 's', 'v']], [
      ['HSET', 's', 'a', 'b'],
      ['HSET', 's', 'a'],
      ['HMSET', 's', 'a', 'b'],
      ['HSETNX', 's', 'a', 'b'],
      ['HGET', 's', 'a'],
      ['HMGET', 's', 'a'],
      ['HDEL', 's', 'a'],
      ['HLEN', 's'],
      ['HSTRLEN', 's', 'a'],
      ['HEXISTS', 's', 'a'],
      ['HKEYS', 's'],
      ['HVALS', 's'],
      ['HGETALL', 's'],
      ['HINCRBY', 's', 'a', 1],
      ['HINCRBY', 's', 'a', 'x'],
      ['HINCRBYFLOAT', 's', 'a', 1],
      ['HINCRBYFLOAT', 's', 'a', 'x'],
      ['HRANDFIELD', 's'],
      ['HRANDFIELD', 's', 1],
      ['HRANDFIELD', 's', 'x'],
      ['HRANDFIELD', 's', 1, 'FOO'],
      ['HSCAN', 's', 0],
      ['HSCAN', 's', 'x'],
      ['HSCAN', 's', 0, 'FOO'],
    ]);
  });

  diffTest(t, 'keyspace events match Redis for every hash command', async (ctx) => {
    const { d, srv, ref } = ctx;
    for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const subs = [await eventLog(srv.port), await eventLog(ref.port)];
    try {
      await d.all([
        ['HSET', 'h', 'a', '1', 'b', '2'],
        ['HMSET', 'h', 'c', '3'],
        ['HSETNX', 'h', 'c', '3'],
        ['HSETNX', 'h', 'd', '4'],
        ['HINCRBY', 'h', 'a', 1],
        ['HINCRBYFLOAT', 'h', 'a', '1.5'],
        ['HINCRBY', 'h', 'c', 'x'],
        ['HDEL', 'h', 'nope'],
        ['HDEL', 'h', 'a', 'b'],
        ['HDEL', 'h', 'c', 'd'],
        ['HGET', 'h', 'a'],
      ]);
      const logs = [await subs[0].messages(), await subs[1].messages()];
      assert.ok(logs[1].length >= 8);
      assert.equal(logs[0], logs[1]);
    } finally {
      for (const s of subs) s.conn.close();
      for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  t.run();
}
