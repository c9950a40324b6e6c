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
