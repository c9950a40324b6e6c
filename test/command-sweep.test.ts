/**
 * Probes from a systematic sweep of every implemented command against real Redis 7.0 (no
 * arguments, one too few / too many, wrong types, bad numbers, unknown options): the replies
 * that differed, compared byte for byte (RESP2 and RESP3). Skipped without redis-server.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { R } from './helpers/raw';
import type { Arg } from './helpers/raw';

const FIXTURE: Arg[][] = [
  ['SET', 's', 'hello'],
  ['RPUSH', 'l', 'a', 'b', 'c'],
  ['HSET', 'h', 'f', 'v'],
  ['SADD', 'st', 'a', 'b'],
  ['ZADD', 'z', '1', 'a', '2', 'b'],
  ['XADD', 'x', '1-1', 'f', 'v'],
  ['XGROUP', 'CREATE', 'x', 'g', '0'],
  ['SET', 'n', '10'],
];

const BIG = ['9223372036854775807', '-9223372036854775808', '2147483648', '-2147483649', '2147483647', '-2147483648', '99999999999999999999', 'abc', '1.5', '-1', '16'];

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('command-sweep', engine);

  diffTest(t, 'DB index arguments: int32 range (getIntFromObjectOrReply) before the DB range', async ({ d }) => {
    const cmds: Arg[][] = [];
    for (const v of BIG) {
      cmds.push(['SELECT', v], ['MOVE', 's', v], ['COPY', 's', 's2', 'DB', v], ['SWAPDB', v, '1'], ['SWAPDB', '1', v], ['SWAPDB', v, v]);
    }
    cmds.push(['SELECT', '0']);
    await d.bothProtocols(FIXTURE, cmds);
  });

  diffTest(t, 'ACL CAT / GENPASS / LOG with more than one argument', async ({ d }) => {
    await d.bothProtocols(FIXTURE, [
      ['ACL', 'CAT', 'string', 'extra'],
      ['ACL', 'CAT', 'BOGUS', '1'],
      ['ACL', 'CAT', 'BOGUS'],
      ['ACL', 'GENPASS', '8', 'extra'],
      ['ACL', 'GENPASS', 'BOGUS', '1'],
      ['ACL', 'GENPASS', 'abc'],
      ['ACL', 'GENPASS', '0'],
      ['ACL', 'LOG', 'RESET', 'extra'],
      ['ACL', 'LOG', '1', '2'],
      ['ACL', 'log', 'x', 'y', 'z'],
      ['ACL', 'LOG', 'abc'],
    ]);
  });

  diffTest(t, 'CLIENT UNBLOCK with too many arguments', async ({ d }) => {
    await d.bothProtocols(FIXTURE, [
      ['CLIENT', 'UNBLOCK', '1', 'TIMEOUT', 'extra'],
      ['CLIENT', 'unblock', '1', 'BOGUS', '1'],
      ['CLIENT', 'UNBLOCK', '1', 'BOGUS'],
      ['CLIENT', 'UNBLOCK', 'abc'],
      ['CLIENT', 'UNBLOCK', '999999', 'ERROR'],
    ]);
  });

  diffTest(t, 'EVALSHA / EVALSHA_RO: a SHA that is not 40 characters long is NOSCRIPT before numkeys', async ({ d }) => {
    const cmds: Arg[][] = [];
    for (const cmd of ['EVALSHA', 'EVALSHA_RO']) {
      for (const nk of ['1', 'abc', '-1', '1.5', '99999999999999999999', '']) cmds.push([cmd, 'a', nk], [cmd, 'f'.repeat(41), nk], [cmd, 'f'.repeat(40), nk]);
      cmds.push([cmd, 'a', '0'], [cmd, 'f'.repeat(40), '0']);
    }
    await d.bothProtocols(FIXTURE, cmds);
  });

  diffTest(t, 'XREAD / XREADGROUP unbalanced STREAMS text', async ({ d }) => {
    await d.bothProtocols(FIXTURE, [
      ['XREAD', 'STREAMS', 'x', '1-1', 'extra'],
      ['XREAD', 'COUNT', '1', 'STREAMS', 'x'],
      ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'x', '1-1', 'extra'],
      ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'x', '>', 'NOACK'],
      ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'nokey'],
      ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 's', '>', 'x'],
    ]);
  });

  diffTest(t, 'MEMORY MALLOC-STATS is a verbatim string in RESP3', async ({ d }) => {
    await d.bothProtocols([], [['MEMORY', 'MALLOC-STATS']], { typeOnly: true });
  });

  diffTest(t, 'MULTI queues LATENCY RESET and SLOWLOG RESET (subcommands named like RESET)', async ({ d }) => {
    await d.bothProtocols(FIXTURE, [
      ['MULTI'],
      ['LATENCY', 'RESET'],
      ['SLOWLOG', 'RESET'],
      ['latency', 'reset', 'command'],
      ['GET', 's'],
      ['EXEC'],
      ['MULTI'],
      ['SLOWLOG', 'RESET'],
      ['DISCARD'],
    ]);
  });

  diffTest(t, 'INCRBYFLOAT / HINCRBYFLOAT: strtold hex floats and denormals (string2ld)', async ({ d }) => {
    const incrs = ['0x10', '-0x10', '+0x1', '0x1p3', '0x1.8p1', '0X.8P-1', '0x', '0x.', '0xg', '0x1p', '0x1p99999', '0x1p-99999', '0x1p16383', '0x1p16384',
      '0x1p-16382', '0x1p-16400', '0x1p-16445', '0x1p-16446', '0x1.000001p-16446', '0x1p-16447', '0x0p99999999999', '0xffffffffffffffffffff', '0x1.fffffffffffffffffp0',
      '1e-4940', '-1e-4940', '3e-4951', '1.8e-4951', '1.9e-4951', '1e-4960', '1e-5000'];
    const cmds: Arg[][] = [];
    for (const v of incrs) cmds.push(['INCRBYFLOAT', 'f', v], ['HINCRBYFLOAT', 'h', 'f', v], ['INCRBYFLOAT', 'n', v], ['HINCRBYFLOAT', 'h', 'g', v]);
    cmds.push(['SET', 'sx', '0x10'], ['INCRBYFLOAT', 'sx', '1'], ['SET', 'sy', '0x1p4'], ['INCRBYFLOAT', 'sy', '0.5'], ['HSET', 'h', 'hx', '0x1.8p1'], ['HINCRBYFLOAT', 'h', 'hx', '0x1p-2']);
    cmds.push(['BLPOP', 'nokey', '0x0.1'], ['BLPOP', 'nokey', '0xg'], ['BLPOP', 'nokey', '-0x1']);
    await d.bothProtocols([...FIXTURE, ['HSET', 'h', 'g', '2']], cmds);
  });

  diffTest(t, 'SCAN family cursors end at a NUL byte (strtoul on the C string)', async ({ d }) => {
    const cursors = ['0\x00', '1\x00', '0\x00abc', '\x00', '18446744073709551615\x00x', '18446744073709551616\x00'];
    const cmds: Arg[][] = [];
    for (const cur of cursors) cmds.push(['SSCAN', 'si', cur], ['HSCAN', 'h', cur], ['ZSCAN', 'z', cur], ['SCAN', cur, 'MATCH', 'nomatch*']);
    await d.bothProtocols([...FIXTURE, ['SADD', 'si', '1', '2', '3']], cmds); // (an intset: the same order in both)
  });

  diffTest(t, 'ROLE: a master without replicas', async ({ d }) => {
    await d.bothProtocols([], [['ROLE'], ['ROLE', 'extra'], ['role'], ['MULTI'], ['ROLE'], ['EXEC']]);
  });

  // Redis 7.0 streams such a reply without bound (it never finishes); Redust builds a reply in one
  // Buffer, so a count whose reply cannot fit is refused instead of taking the server down.
  t('SRANDMEMBER / HRANDFIELD / ZRANDMEMBER: a negative count too large for any reply is refused', async ({ c }) => {
    for (const cmd of FIXTURE) await c.send(...cmd);
    const oor = R.err('ERR value is out of range');
    for (const n of ['-4294967297', '-9223372036854775807']) {
      assert.equal(await c.send('SRANDMEMBER', 'st', n), oor);
      assert.equal(await c.send('HRANDFIELD', 'h', n), oor);
      assert.equal(await c.send('HRANDFIELD', 'h', n, 'WITHVALUES'), oor);
      assert.equal(await c.send('ZRANDMEMBER', 'z', n), oor);
      assert.equal(await c.send('ZRANDMEMBER', 'z', n, 'WITHSCORES'), oor);
      assert.equal(await c.send('SRANDMEMBER', 'nokey', n), R.arr());
    }
    assert.equal(await c.send('SRANDMEMBER', 'st', '-9223372036854775808'), R.err('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807'));
    assert.equal(await c.send('SRANDMEMBER', 'st', '-3').then((r) => (r.t === 'array' ? r.v.length : -1)), 3);
    assert.equal(await c.send('PING'), R.simple('PONG'));
  });

  t.run();
}
