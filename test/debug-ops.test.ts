/**
 * DEBUG POPULATE / PROTOCOL / ERROR / LOG compared with real Redis 7.0, and redis-cli's
 * --bigkeys and --memkeys scans against Redust (same keys and counts as against Redis).
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import type { Arg } from './helpers/raw';

const run = promisify(execFile);

const PROTOCOL_TYPES = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'verbatim', 'true', 'false', 'nosuch', 'STRING'];

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('debug-ops', engine);

  diffTest(t, 'DEBUG POPULATE: keys, prefixes, sizes, existing keys kept, errors', async ({ d }) => {
    const cmds: Arg[][] = [
      ['SET', 'key:3', 'mine'],
      ['DEBUG', 'POPULATE', '10'],
      ['DBSIZE'],
      ['GET', 'key:0'],
      ['GET', 'key:3'],
      ['DEBUG', 'POPULATE', '3', 'p'],
      ['GET', 'p:2'],
      ['DEBUG', 'POPULATE', '2', 'z', '12'],
      ['GET', 'z:1'],
      ['DEBUG', 'POPULATE', '2', 'y', '3'],
      ['GET', 'y:1'],
      ['DEBUG', 'POPULATE', '0'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '1', 'a', '-5'],
      ['DEBUG', 'POPULATE', '1', 'a', '1', 'b'],
      ['DBSIZE'],
      ['DEBUG', 'ERROR', 'some text'],
      ['DEBUG', 'ERROR', '-WRONG code'],
      ['DEBUG', 'LOG', 'hello'],
    ];
    await d.all(cmds);
  });

  diffTest(t, 'DEBUG PROTOCOL: every RESP3 type, in RESP2 and RESP3', async ({ d }) => {
    await d.bothProtocols([], PROTOCOL_TYPES.map((p) => ['DEBUG', 'PROTOCOL', p]));
    for (const conn of [d.redust, d.reference]) await conn.send('HELLO', '3');
    const [a, b] = await Promise.all([d.redust.send('DEBUG', 'PROTOCOL', 'push'), d.reference.send('DEBUG', 'PROTOCOL', 'push')]);
    assert.equal(a, b);
    const [a2, b2] = await Promise.all([d.redust.next(), d.reference.next()]);
    assert.equal(a2, b2);
    for (const conn of [d.redust, d.reference]) await conn.send('HELLO', '2');
    await d.check(['DEBUG', 'PROTOCOL', 'push']);
  });

  diffTest(t, 'redis-cli --bigkeys and --memkeys scan Redust like Redis', async ({ srv, ref, d }) => {
    const setup: Arg[][] = [
      ['DEBUG', 'POPULATE', '50'],
      ['RPUSH', 'mylist', 'a', 'b', 'c', 'd'],
      ['HSET', 'h', 'f', 'v'],
      ['SADD', 's', 'a', 'b'],
      ['ZADD', 'z', '1', 'a'],
      ['XADD', 'st', '1-1', 'a', '1'],
    ];
    await d.all(setup);
    const summary = async (port: number, flag: string) => {
      const { stdout } = await run('redis-cli', ['-p', String(port), flag], { timeout: 20000 });
      return stdout
        .split('\n')
        .filter((l) => /^(Sampled|Total key length|\d+ \w+ with)/.test(l) || (flag === '--bigkeys' && /^Biggest .* has \d+ (items|fields|members|entries)/.test(l)))
        .join('\n');
    };
    for (const flag of ['--bigkeys', '--memkeys']) {
      const a = await summary(srv.port, flag);
      const b = await summary(ref.port, flag);
      // --memkeys sizes are MEMORY USAGE figures (engine-specific): compare the key counts only.
      if (flag === '--memkeys') assert.equal(a.split('\n').filter((l) => l.startsWith('Sampled')), b.split('\n').filter((l) => l.startsWith('Sampled')));
      else assert.is(a, b);
    }
  });
  t.run();
}
