/**
 * String commands: behaviour on every engine, and replies compared with real Redis 7.0.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, serverPairSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { encodeCommand, items, R, RawConnection, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';


for (const engine of enginesUnderTest()) {
  const t = differentialSuite('strings', engine);

  t('SET/GET round-trips binary values, including \\0 and invalid UTF-8', async ({ c }) => {
    const key = Buffer.from([0, 0xff, 0x80, 10, 13]);
    const val = Buffer.from([0xc3, 0x28, 0, 0xfe, 0xff, 0x0d, 0x0a]);
    assert.equal(await c.send('SET', key, val), R.ok);
    assert.equal(await c.send('GET', key), R.bulk(val));
    assert.equal(await c.send('STRLEN', key), R.int(val.length));
  });

  diffTest(t, 'SET options and every bad combination match Redis', async ({ d }) => {
    await d.all([
      ['SET', 'k', 'v'],
      ['SET', 'k', 'v2', 'NX'],
      ['SET', 'k', 'v3', 'XX'],
      ['SET', 'nokey', 'v', 'XX'],
      ['SET', 'k', 'v4', 'GET'],
      ['SET', 'k', 'v5', 'NX', 'GET'],
      ['SET', 'k', 'v', 'NX', 'XX'],
      ['SET', 'k', 'v', 'EX', '10', 'PX', '100'],
      ['SET', 'k', 'v', 'EX', '0'],
      ['SET', 'k', 'v', 'EX', '-1'],
      ['SET', 'k', 'v', 'EX', 'abc'],
      ['SET', 'k', 'v', 'PX', '9223372036854775807'],
      ['SET', 'k', 'v', 'EX', '9223372036854775'],
      ['SET', 'k', 'v', 'KEEPTTL', 'EX', '10'],
      ['SET', 'k', 'v', 'EX'],
      ['SET', 'k', 'v', 'FOO'],
      ['SET', 'k', 'v', 'persist'],
      ['SET', 'k', 'v', 'ex', '100'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'KEEPTTL'],
      ['TTL', 'k'],
      ['SET', 'k', 'v'],
      ['TTL', 'k'],
      ['SET', 'k'],
      ['RPUSH', 'list', 'a'],
      ['SET', 'list', 'x', 'GET'],
      ['GET', 'list'],
    ]);
  });

  diffTest(t, 'counters: INCR family, overflow, INCRBYFLOAT formatting', async ({ d }) => {
    await d.all([
      ['INCR', 'n'],
      ['INCRBY', 'n', '41'],
      ['DECR', 'n'],
      ['DECRBY', 'n', '-10'],
      ['SET', 'big', '9223372036854775806'],
      ['INCR', 'big'],
      ['INCR', 'big'],
      ['GET', 'big'],
      ['SET', 'small', '-9223372036854775807'],
      ['DECR', 'small'],
      ['DECR', 'small'],
      ['DECRBY', 'n', '-9223372036854775808'],
      ['INCRBY', 'n', '9223372036854775808'],
      ['SET', 's', ' 1'],
      ['INCR', 's'],
      ['SET', 's', '01'],
      ['INCR', 's'],
      ['SET', 's', 'abc'],
      ['INCR', 's'],
      ['INCRBYFLOAT', 'f', '0.1'],
      ['INCRBYFLOAT', 'f', '0.2'],
      ['INCRBYFLOAT', 'f', '10.5'],
      ['INCRBYFLOAT', 'f', '-10.8'],
      ['INCRBYFLOAT', 'f', '1e3'],
      ['INCRBYFLOAT', 'f', '3.0e3'],
      ['INCRBYFLOAT', 'f', 'abc'],
      ['INCRBYFLOAT', 'f', 'inf'],
      ['INCRBYFLOAT', 'f', '1.5e308'],
      ['SET', 'f2', '5.0e3'],
      ['INCRBYFLOAT', 'f2', '2.0e2'],
      ['INCRBYFLOAT', 'g', '-0'],
      ['INCRBYFLOAT', 'h', '17179869184'],
      ['INCRBYFLOAT', 'h', '0.00000000001'],
      ['RPUSH', 'l', 'x'],
      ['INCR', 'l'],
      ['INCRBYFLOAT', 'l', '1'],
    ]);
  });

  diffTest(t, 'INCRBYFLOAT / HINCRBYFLOAT: exact binary fractions (the double fast path) and the rest, mixed', async ({ d }) => {
    // Operands the fast path takes (1.5, 10.25, integers, up to 2^35) and ones it must leave to the
    // exact long double path (0.1, 15+ fraction digits, leading zeros, '+', exponents, 2^35 and up).
    const incrs = [
      '1.5', '0.5', '-0.25', '3', '-7.125', '0.0625', '10.03125', '0.1', '-0.3', '100.7', '0.000030517578125', '0.0000152587890625',
      '1.00000000000000000001', '00.5', '+1.5', '1e2', '5.', '.5', '-0', '34359738367.5', '34359738368', '-34359738367.75',
      '17179869184.25', '99999999999', '0.333333333333333', '1234567.875', '-1234567.875', '2.50', '2.500000000000000',
    ];
    const rnd = ((s) => () => ((s = (s * 1103515245 + 12345) & 0x7fffffff), s / 0x80000000))(7);
    const cmds: string[][] = [];
    for (let i = 0; i < 160; i++) {
      const by = incrs[Math.floor(rnd() * incrs.length)];
      const k = `f${i % 6}`;
      cmds.push(i % 2 === 0 ? ['INCRBYFLOAT', k, by] : ['HINCRBYFLOAT', 'hf', k, by]);
      if (i % 40 === 39) cmds.push(['SET', k, incrs[i % incrs.length]], ['HSET', 'hf', k, incrs[(i * 7) % incrs.length]]);
    }
    // Only binary fractions: sums stay on the fast path, then cross 2^35 (exact path) and come back.
    const dyadic = ['1.5', '-0.25', '0.0625', '17179869184.25', '-17179869184.125', '0.000030517578125', '-3', '8589934592.5'];
    for (let i = 0; i < 120; i++) {
      const by = dyadic[Math.floor(rnd() * dyadic.length)];
      cmds.push(i % 2 === 0 ? ['INCRBYFLOAT', 'd', by] : ['HINCRBYFLOAT', 'hd', 'x', by]);
    }
    cmds.push(['MGET', 'f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'd'], ['HGETALL', 'hf'], ['HGETALL', 'hd']);
    await d.all(cmds);
  });

  diffTest(t, 'counters: the one-call INCR path (lengths changing, TTL kept, encodings, edges of 2^53)', async ({ d }) => {
    await d.all([
      ['SET', 'a', '9'], ['INCR', 'a'], ['GET', 'a'], ['DECR', 'a'], ['GET', 'a'],
      ['SET', 'b', '-1'], ['INCR', 'b'], ['GET', 'b'], ['DECR', 'b'], ['DECR', 'b'], ['DECRBY', 'b', '-20'], ['GET', 'b'],
      ['SET', 'c', '99', 'EX', '1000'], ['INCR', 'c'], ['TTL', 'c'], ['INCRBY', 'c', '-1'], ['TTL', 'c'], ['GET', 'c'],
      ['APPEND', 'r', '12'], ['OBJECT', 'ENCODING', 'r'], ['INCR', 'r'], ['OBJECT', 'ENCODING', 'r'], ['GET', 'r'],
      ['INCRBYFLOAT', 'fl', '3'], ['OBJECT', 'ENCODING', 'fl'], ['INCR', 'fl'], ['OBJECT', 'ENCODING', 'fl'],
      ['SET', 'z', '0'], ['INCR', 'z'], ['SET', 'z', '-0'], ['INCR', 'z'], ['SET', 'z', '+1'], ['INCR', 'z'], ['SET', 'z', '1 '], ['INCR', 'z'],
      ['SET', 'z', ''], ['INCR', 'z'], ['SET', 'z', '-'], ['INCR', 'z'], ['SET', 'z', '1a'], ['INCR', 'z'], ['GET', 'z'],
      ['SET', 's', '9007199254740990'], ['INCR', 's'], ['INCR', 's'], ['INCR', 's'], ['GET', 's'], ['OBJECT', 'ENCODING', 's'],
      ['SET', 's', '-9007199254740990'], ['DECR', 's'], ['DECR', 's'], ['DECR', 's'], ['GET', 's'],
      ['SET', 's', '999999999999999'], ['INCR', 's'], ['INCR', 's'], ['SET', 's', '-999999999999999'], ['DECR', 's'],
      ['INCRBY', 'm', '9007199254740991'], ['INCRBY', 'm', '1'], ['DECRBY', 'm2', '9007199254740991'], ['DECRBY', 'm2', '2'],
      ['INCRBY', 'x', '-5'], ['INCRBY', 'x', '007'], ['INCRBY', 'x', '-0'], ['INCRBY', 'x', ''], ['GET', 'x'],
      ['SET', 'long', 'x'.repeat(70)], ['INCR', 'long'], ['HSET', 'h', 'f', '1'], ['INCR', 'h'], ['DECRBY', 'h', '3'],
      ['SET', 'e', '5', 'PX', '1'],
    ]);
    await new Promise((r) => setTimeout(r, 20));
    await d.all([['INCR', 'e'], ['TTL', 'e'], ['GET', 'e'], ['DBSIZE']]);
  });

  diffTest(t, 'APPEND, GETRANGE, SETRANGE, STRLEN, GETDEL, GETEX, GETSET, MSET family', async ({ d }) => {
    await d.all([
      ['APPEND', 'a', 'hello'],
      ['APPEND', 'a', ' world'],
      ['GETRANGE', 'a', '0', '4'],
      ['GETRANGE', 'a', '-5', '-1'],
      ['GETRANGE', 'a', '5', '2'],
      ['GETRANGE', 'a', '-1', '-5'],
      ['GETRANGE', 'a', '0', '100'],
      ['GETRANGE', 'nokey', '0', '-1'],
      ['SUBSTR', 'a', '0', '2'],
      ['SETRANGE', 'a', '6', 'WORLD'],
      ['GET', 'a'],
      ['SETRANGE', 'b', '5', 'x'],
      ['GET', 'b'],
      ['SETRANGE', 'c', '0', ''],
      ['EXISTS', 'c'],
      ['SETRANGE', 'a', '-1', 'x'],
      ['SETRANGE', 'a', '536870912', 'x'],
      ['STRLEN', 'a'],
      ['STRLEN', 'nokey'],
      ['GETSET', 'a', 'new'],
      ['GETDEL', 'a'],
      ['GETDEL', 'a'],
      ['SET', 'e', 'v'],
      ['GETEX', 'e', 'EX', '100'],
      ['TTL', 'e'],
      ['GETEX', 'e', 'PERSIST'],
      ['TTL', 'e'],
      ['GETEX', 'e', 'EX', '10', 'PX', '100'],
      ['GETEX', 'e', 'KEEPTTL'],
      ['GETEX', 'e', 'PXAT', '1'],
      ['EXISTS', 'e'],
      ['MSET', 'k1', 'v1', 'k2', 'v2'],
      ['MSET', 'k1', 'v1', 'k2'],
      ['MGET', 'k1', 'k2', 'nokey'],
      ['MSETNX', 'k1', 'x', 'k3', 'y'],
      ['MSETNX', 'k3', 'x', 'k4', 'y'],
      ['SETNX', 'k3', 'z'],
      ['SETNX', 'k5', 'z'],
      ['SETEX', 'k6', '0', 'v'],
      ['SETEX', 'k6', '10', 'v'],
      ['PSETEX', 'k7', '-5', 'v'],
      ['PSETEX', 'k7', '5000', 'v'],
    ]);
  });

  diffTest(t, 'APPEND grows a value through every size (embedded, out of line, past 1 MB) and keeps its TTL, as Redis', async ({ d }) => {
    const chunk = (i: number, n: number) => Buffer.alloc(n, 0x41 + (i % 26));
    await d.all([['SET', 'log', 'x'], ['PEXPIRE', 'log', '100000'], ['APPEND', 'emb', ''], ['STRLEN', 'emb']]);
    // 1, 2, 4 ... bytes then 64 KiB pieces: crosses the 64-byte embedding and several block sizes.
    for (let i = 0; i < 16; i++) await d.check(['APPEND', 'log', chunk(i, 1 << i)]);
    for (let i = 0; i < 20; i++) await d.check(['APPEND', 'log', chunk(i, 65536)]);
    await d.all([
      ['STRLEN', 'log'],
      ['GETRANGE', 'log', '0', '70'],
      ['GETRANGE', 'log', '65530', '65545'],
      ['GETRANGE', 'log', '-20', '-1'],
      ['OBJECT', 'ENCODING', 'log'],
      ['EXISTS', 'log'],
    ]);
    const pttl = async (conn: typeof d.redust) => {
      const r = await conn.send('PTTL', 'log');
      return r.t === 'int' ? Number(r.v) : NaN;
    };
    assert.ok((await pttl(d.redust)) > 90000 && (await pttl(d.reference)) > 90000, 'TTL kept');
    const [a, b] = await Promise.all([d.redust.send('GET', 'log'), d.reference.send('GET', 'log')]);
    assert.ok(a.t === 'bulk' && b.t === 'bulk' && a.v.length === 1 + 65535 + 20 * 65536 && a.v.equals(b.v), 'same value');
    await d.all([
      ['CONFIG', 'SET', 'proto-max-bulk-len', '1048576'],
      ['APPEND', 'log', 'more'],
      ['STRLEN', 'log'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '536870912'],
      ['RPUSH', 'list', 'a'],
      ['APPEND', 'list', 'x'],
      ['SET', 'n', '12'],
      ['APPEND', 'n', '34'],
      ['OBJECT', 'ENCODING', 'n'],
      ['INCR', 'n'],
    ]);
  });

  diffTest(t, 'SETRANGE, GETRANGE and STRLEN on growing and large values (also in MULTI and Lua) match Redis', async ({ d }) => {
    await d.all([
      ['SET', 's', 'abc'],
      ['EXPIRE', 's', '1000'],
      ['SETRANGE', 's', '1', 'XY'],
      ['SETRANGE', 's', '10', 'gap'],
      ['GET', 's'],
      ['SETRANGE', 's', '60', 'past the embedding limit'],
      ['STRLEN', 's'],
      ['GETRANGE', 's', '55', '70'],
      ['SETRANGE', 's', '3000000', 'far'],
      ['STRLEN', 's'],
      ['GETRANGE', 's', '2999998', '-1'],
      ['GETRANGE', 's', '0', '12'],
      ['SETRANGE', 's', '2', 'in place'],
      ['GETRANGE', 's', '0', '12'],
      ['SETRANGE', 's', '5', ''],
      ['TTL', 's'],
      ['OBJECT', 'ENCODING', 's'],
      ['SETRANGE', 's', '536870911', 'xy'],
      ['RPUSH', 'l', 'a'],
      ['SETRANGE', 'l', '0', 'x'],
      ['STRLEN', 'l'],
      ['GETRANGE', 'l', '0', '1'],
      ['MULTI'],
      ['SETRANGE', 's', '1', 'tx'],
      ['GETRANGE', 's', '0', '5'],
      ['STRLEN', 's'],
      ['EXEC'],
      ['EVAL', "redis.call('SETRANGE', KEYS[1], 0, 'lua'); return {redis.call('GETRANGE', KEYS[1], 0, 4), redis.call('STRLEN', KEYS[1])}", '1', 's'],
      ['STRLEN', 'missing'],
      ['GETRANGE', 'missing', '0', '-1'],
      // Type and encoding of strings of every size, read without copying them on wasm.
      ['TYPE', 's'],
      ['TOUCH', 's', 'l', 'missing'],
      ['OBJECT', 'REFCOUNT', 's'],
      ['SET', 'i', '12345678901234567890'],
      ['OBJECT', 'ENCODING', 'i'],
      ['SET', 'i', '123456789012345678901'],
      ['OBJECT', 'ENCODING', 'i'],
      ['SET', 'i', '-9223372036854775808'],
      ['OBJECT', 'ENCODING', 'i'],
      ['SET', 'i', '9999'],
      ['OBJECT', 'REFCOUNT', 'i'],
      ['SET', 'e', 'x'.repeat(44)],
      ['OBJECT', 'ENCODING', 'e'],
      ['SET', 'e', 'x'.repeat(45)],
      ['OBJECT', 'ENCODING', 'e'],
      ['TYPE', 'l'],
      ['TYPE', 'missing'],
    ]);
    await d.check(['SCAN', '0', 'TYPE', 'string', 'COUNT', '100'], { deepUnordered: true });
    // RENAME moves the value in place on wasm: value, TTL and encoding follow it.
    await d.all([
      ['RENAME', 's', 's2'],
      ['EXISTS', 's'],
      ['STRLEN', 's2'],
      ['GETRANGE', 's2', '0', '12'],
      ['TTL', 's2'],
      ['OBJECT', 'ENCODING', 's2'],
      ['RENAME', 's2', 'i'],
      ['GET', 'i'],
      ['RENAMENX', 'e', 'i'],
      ['RENAME', 'l', 'l2'],
      ['LRANGE', 'l2', '0', '-1'],
      ['RENAME', 'missing', 'x'],
    ]);
  });

  diffTest(t, 'raw encoding notes: set by in-place writes, kept by moves and TTLs, cleared by new values', async ({ d }) => {
    // On wasm the "raw" note is a bit in the key's entry, the INCRBYFLOAT (embstr) note a JS map.
    await d.all([
      ['SETRANGE', 'a', '0', '5'], ['OBJECT', 'ENCODING', 'a'],
      ['INCR', 'a'], ['OBJECT', 'ENCODING', 'a'],
      ['SETRANGE', 'a', '0', '7'], ['INCRBY', 'a', '10'], ['OBJECT', 'ENCODING', 'a'], ['GET', 'a'],
      ['SETBIT', 'b', '3', '1'], ['OBJECT', 'ENCODING', 'b'], ['EXPIRE', 'b', '100'], ['OBJECT', 'ENCODING', 'b'],
      ['SETBIT', 'b', '4', '1'], ['TTL', 'b'], ['OBJECT', 'ENCODING', 'b'], ['PERSIST', 'b'], ['OBJECT', 'ENCODING', 'b'],
      ['SET', 'b', '12'], ['OBJECT', 'ENCODING', 'b'],
      ['INCRBYFLOAT', 'f', '1.5'], ['OBJECT', 'ENCODING', 'f'], ['INCRBYFLOAT', 'f', '0.5'], ['OBJECT', 'ENCODING', 'f'],
      ['APPEND', 'f', '1'], ['OBJECT', 'ENCODING', 'f'], ['GET', 'f'],
      ['BITFIELD', 'c', 'INCRBY', 'u8', '#1', '7'], ['OBJECT', 'ENCODING', 'c'],
      ['RENAME', 'c', 'c2'], ['OBJECT', 'ENCODING', 'c2'],
      ['COPY', 'c2', 'c3'], ['OBJECT', 'ENCODING', 'c3'],
      ['MOVE', 'c3', '1'], ['SELECT', '1'], ['OBJECT', 'ENCODING', 'c3'], ['SELECT', '0'],
      ['SET', 'c2', 'x', 'KEEPTTL'], ['OBJECT', 'ENCODING', 'c2'],
      ['SETBIT', 'big', '400', '1'], ['OBJECT', 'ENCODING', 'big'], ['SETRANGE', 'big', '0', 'abc'], ['OBJECT', 'ENCODING', 'big'],
      ['SET', 'bo1', 'ab'], ['SET', 'bo2', 'cd'], ['BITOP', 'OR', 'bo3', 'bo1', 'bo2'], ['OBJECT', 'ENCODING', 'bo3'],
      ['GETEX', 'bo3', 'PX', '100000'], ['OBJECT', 'ENCODING', 'bo3'], ['GETDEL', 'bo3'], ['EXISTS', 'bo3'],
      ['SETRANGE', 'bo3', '0', 'x'], ['OBJECT', 'ENCODING', 'bo3'], ['DEL', 'bo3'], ['SET', 'bo3', 'x'], ['OBJECT', 'ENCODING', 'bo3'],
    ]);
  });

  diffTest(t, 'LCS with LEN, IDX, MINMATCHLEN, WITHMATCHLEN', async ({ d }) => {
    await d.all([
      ['MSET', 'key1', 'ohmytext', 'key2', 'mynewtext'],
      ['LCS', 'key1', 'key2'],
      ['LCS', 'key1', 'key2', 'LEN'],
      ['LCS', 'key1', 'key2', 'IDX'],
      ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4'],
      ['LCS', 'key1', 'key2', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
      ['LCS', 'key1', 'key2', 'LEN', 'IDX'],
      ['LCS', 'key1', 'nokey'],
      ['LCS', 'key1', 'key2', 'FOO'],
    ]);
  });

  diffTest(t, 'RESP3 replies for strings are identical too', async ({ d }) => {
    await d.check(['HELLO', '3'], { typeOnly: true });
    await d.all([['SET', 'x', '1'], ['GET', 'x'], ['GET', 'missing'], ['MGET', 'x', 'missing'], ['INCRBYFLOAT', 'x', '1.5']]);
    await d.check(['HELLO', '2'], { typeOnly: true });
  });

  t('TTLs expire through the controllable clock without sleeping', async ({ srv, c }) => {
    await c.send('SET', 'temp', 'v', 'EX', '100');
    assert.equal(await c.send('TTL', 'temp'), R.int(100));
    srv.advanceTime(99_000);
    assert.equal(await c.send('GET', 'temp'), R.bulk('v'));
    srv.advanceTime(1_500);
    assert.equal(await c.send('GET', 'temp'), R.nil, renderNode(await c.send('TTL', 'temp')));
    assert.equal(await c.send('DBSIZE'), R.int(0));
  });

  t.run();
}

/**
 * The dispatcher's fast path for plain GET/SET (Server.fastCommand): the same transcript as Redis
 * for mixed-case names, pipelining, and the client states in which it must step aside (MULTI,
 * CLIENT REPLY SKIP/OFF), plus what it must keep doing: SLOWLOG with the argv as sent, and
 * INFO commandstats.
 */
async function fastPathTranscript(port: number): Promise<{ replies: string[]; slowArgv: string[][]; stats: string[] }> {
  const c = await RawConnection.connect(port);
  const replies: string[] = [];
  const run = async (bytes: string, n: number) => {
    c.write(bytes);
    for (let i = 0; i < n; i++) replies.push(renderNode(await c.next()));
  };
  await c.send('FLUSHALL');
  await c.send('CONFIG', 'RESETSTAT');
  await c.send('SLOWLOG', 'RESET');
  await c.send('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  const cmd = (...a: string[]) => encodeCommand(a).toString('latin1');
  await run(cmd('sEt', 'fk', 'v1') + cmd('GeT', 'fk') + cmd('get', 'missing') + cmd('SET', 'fk', 'v2') + cmd('GET', 'fk'), 5);
  await run(cmd('MULTI') + cmd('SET', 'mk', 'queued') + cmd('GET', 'mk') + cmd('EXEC') + cmd('GET', 'mk'), 5);
  await run(cmd('CLIENT', 'REPLY', 'SKIP') + cmd('SET', 'sk', 'skipped') + cmd('GET', 'sk'), 1);
  await run(cmd('CLIENT', 'REPLY', 'OFF') + cmd('SET', 'ok', 'off') + cmd('CLIENT', 'REPLY', 'ON') + cmd('GET', 'ok'), 2);
  await run(cmd('LPUSH', 'lk', 'x') + cmd('GET', 'lk') + cmd('SET', 'lk', 's') + cmd('GET', 'lk'), 4);
  const log = await c.send('SLOWLOG', 'GET', '100');
  await c.send('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  const slowArgv = items(log).map((e) => items(items(e)[3]).map(text));
  const info = text(await c.send('INFO', 'commandstats'));
  const stats = info.split('\r\n').filter((l) => /^cmdstat_(get|set):/.test(l)).map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort(); // Redis lists them in its dict order
  c.close();
  return { replies, slowArgv, stats };
}

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('strings fast path', engine);

  t('plain GET/SET: mixed case, pipelined, MULTI, CLIENT REPLY, WRONGTYPE, SLOWLOG argv and commandstats as Redis', async ({ srv, ref }) => {
    const ours = await fastPathTranscript(srv.port);
    assert.equal(ours.replies.slice(0, 3), ['+OK', '"v1"', '$-1']);
    const logged = ours.slowArgv.map((a) => a.join(' ')).reverse(); // oldest first
    const at = logged.indexOf('sEt fk v1');
    assert.equal(logged.slice(at, at + 3), ['sEt fk v1', 'GeT fk', 'get missing'], logged.join(' | '));
    assert.ok(ours.stats.some((l) => l.startsWith('cmdstat_get:calls=9,')), ours.stats.join(' '));
    if (ref) assert.equal(ours, await fastPathTranscript(ref.port));
  });

  t.run();
}
