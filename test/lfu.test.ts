/**
 * LFU counters as Redis 7.0 keeps them, on both engines: OBJECT FREQ of new keys (LFU_INIT_VAL 5),
 * the increments of reads and writes with lfu-log-factor 0 (always +1, saturating at 255), the
 * first access at the default factor (always +1 from 5), no change from OBJECT/EXISTS/TYPE, the
 * settings and OBJECT FREQ's error outside LFU policies, compared with real Redis; the decay by
 * lfu-decay-time minutes on Redust's clock.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import type { Arg } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('lfu', engine);

  t.after.each(async ({ c, d }) => {
    for (const conn of d ? [c, d.reference] : [c]) {
      await conn.send('CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'lfu-log-factor', '10', 'lfu-decay-time', '1');
    }
  });

  diffTest(t, 'OBJECT FREQ: settings, errors, new keys at 5, the first access always counts', async ({ d }) => {
    await d.all([
      ['CONFIG', 'GET', 'lfu-log-factor'],
      ['CONFIG', 'GET', 'lfu-decay-time'],
      ['CONFIG', 'SET', 'lfu-log-factor', '-1'],
      ['CONFIG', 'SET', 'lfu-decay-time', 'x'],
      ['SET', 'a', '1'],
      ['OBJECT', 'FREQ', 'a'],
      ['OBJECT', 'FREQ', 'nokey'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
      ['SET', 'b', 'x'],
      ['OBJECT', 'FREQ', 'b'],
      ['OBJECT', 'FREQ', 'nokey'],
      ['GET', 'b'],
      ['OBJECT', 'FREQ', 'b'],
      ['OBJECT', 'IDLETIME', 'b'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'volatile-lfu'],
      ['RPUSH', 'l', 'a'],
      ['OBJECT', 'FREQ', 'l'],
    ]);
  });

  diffTest(t, 'lfu-log-factor 0: every access +1 (reads, writes, overwrites), none for OBJECT/EXISTS/TYPE, 255 at most', async ({ d }) => {
    const cmds: Arg[][] = [
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0'],
      ['SET', 'a', 'v'],
      ['GET', 'a'],
      ['GET', 'a'],
      ['OBJECT', 'FREQ', 'a'],
      ['EXISTS', 'a'],
      ['TYPE', 'a'],
      ['OBJECT', 'ENCODING', 'a'],
      ['OBJECT', 'FREQ', 'a'],
      ['SET', 'a', 'w'],
      ['OBJECT', 'FREQ', 'a'],
      ['APPEND', 'a', 'x'],
      ['OBJECT', 'FREQ', 'a'],
      ['STRLEN', 'a'],
      ['TOUCH', 'a'],
      ['OBJECT', 'FREQ', 'a'],
      ['SET', 'n', '100000'],
      ['INCR', 'n'],
      ['OBJECT', 'FREQ', 'n'],
      ['RPUSH', 'l', 'a', 'b'],
      ['LRANGE', 'l', '0', '-1'],
      ['LPUSH', 'l', 'c'],
      ['OBJECT', 'FREQ', 'l'],
      ['HSET', 'h', 'f', 'v'],
      ['HGET', 'h', 'f'],
      ['HSET', 'h', 'g', 'w'],
      ['OBJECT', 'FREQ', 'h'],
      ['SADD', 's', 'a'],
      ['SISMEMBER', 's', 'a'],
      ['OBJECT', 'FREQ', 's'],
      ['ZADD', 'z', '1', 'a'],
      ['ZSCORE', 'z', 'a'],
      ['OBJECT', 'FREQ', 'z'],
      ['RENAME', 'a', 'a2'],
      ['OBJECT', 'FREQ', 'a2'],
    ];
    await d.all(cmds);
    for (let i = 0; i < 300; i++) await d.all([['GET', 'n']]);
    await d.check(['OBJECT', 'FREQ', 'n']);
  });

  t('lfu-decay-time: one step down per period of minutes on the clock; 0 never decays', async ({ c, srv }) => {
    const freq = async (k: string) => renderNode(await c.send('OBJECT', 'FREQ', k));
    await c.send('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu', 'lfu-log-factor', '0');
    await c.send('SET', 'k', 'v');
    for (let i = 0; i < 10; i++) await c.send('GET', 'k');
    assert.is(await freq('k'), ':15');
    srv.advanceTime(3 * 60_000);
    assert.is(await freq('k'), ':12');
    await c.send('CONFIG', 'SET', 'lfu-decay-time', '2');
    assert.is(await freq('k'), ':14');
    await c.send('GET', 'k');
    assert.is(await freq('k'), ':15');
    await c.send('CONFIG', 'SET', 'lfu-decay-time', '0');
    srv.advanceTime(60 * 60_000);
    assert.is(await freq('k'), ':15');
    await c.send('CONFIG', 'SET', 'lfu-decay-time', '1');
    assert.is(await freq('k'), ':0');
  });

  t.run();
}
