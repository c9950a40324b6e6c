/**
 * Real clients against Redust: ioredis, node-redis (v4) and redis-cli, on every engine.
 */
import { execFile } from 'child_process';
import { promisify } from 'util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { enginesUnderTest, startRedust } from './helpers/servers';
import type { RedustServer } from '../src/index';

const run = promisify(execFile);

async function haveRedisCli(): Promise<boolean> {
  try {
    await run('redis-cli', ['--version']);
    return true;
  } catch {
    return false;
  }
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer }>(`clients [${engine}]`);

  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
  });

  t.after(async (ctx) => {
    await ctx.srv.close();
  });

  t('ioredis: commands, binary buffers, pipeline, MULTI, expiry', async ({ srv }) => {
    const r = new Redis(srv.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    assert.is(await r.ping(), 'PONG');
    assert.is(await r.set('greeting', 'hello'), 'OK');
    assert.is(await r.get('greeting'), 'hello');
    const bin = Buffer.from([0, 1, 2, 0xff, 0xfe]);
    await r.set(Buffer.from([0xff, 0]), bin);
    assert.ok((await r.getBuffer(Buffer.from([0xff, 0])))!.equals(bin));
    const res = await r.pipeline().incr('n').incr('n').incrby('n', 10).get('n').exec();
    assert.equal(res!.map(([e, v]) => [e, v]), [[null, 1], [null, 2], [null, 12], [null, '12']]);
    const tx = await r.multi().set('a', '1').incr('a').exec();
    assert.equal(tx, [[null, 'OK'], [null, 2]]);
    await r.set('temp', 'v', 'PX', 50);
    srv.advanceTime(100);
    assert.is(await r.get('temp'), null);
    const err = await r.incr('greeting').then(
      () => null,
      (e: Error) => e,
    );
    assert.match(String(err), /ERR value is not an integer or out of range/);
    const info = await r.info('server');
    assert.match(info, /redis_version:7\.0\.\d+/);
    r.disconnect();
  });

  t('ioredis: scanStream visits every key exactly as KEYS does', async ({ srv }) => {
    const r = new Redis(srv.url);
    await r.flushall();
    const pipe = r.pipeline();
    for (let i = 0; i < 2000; i++) pipe.set(`scan:${i}`, i);
    await pipe.exec();
    const seen = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const s = r.scanStream({ match: 'scan:*', count: 100 });
      s.on('data', (keys: string[]) => keys.forEach((k) => seen.add(k)));
      s.on('end', resolve);
      s.on('error', reject);
    });
    assert.is(seen.size, 2000);
    r.disconnect();
  });

  t('node-redis v4: commands, RESP2 types, multi, binary', async ({ srv }) => {
    const c = createClient({ url: srv.url });
    c.on('error', () => undefined);
    await c.connect();
    assert.is(await c.ping(), 'PONG');
    await c.set('nr', 'value', { EX: 100 });
    assert.is(await c.get('nr'), 'value');
    assert.ok((await c.ttl('nr')) > 90);
    assert.equal(await c.mGet(['nr', 'missing']), ['value', null]);
    const replies = await c.multi().incr('cnt').incrBy('cnt', 5).exec();
    assert.equal(replies, [1, 6]);
    assert.is(await c.exists('nr'), 1);
    assert.is(await c.del(['nr', 'cnt']), 2);
    assert.is(await c.dbSize(), await c.dbSize());
    await c.quit();
  });

  t('redis-cli: talks to Redust like to Redis', async ({ srv }) => {
    if (!(await haveRedisCli())) return;
    const cli = (...args: string[]) => run('redis-cli', ['-p', String(srv.port), ...args]).then((r) => r.stdout.trim());
    assert.is(await cli('PING'), 'PONG');
    assert.is(await cli('SET', 'cli', 'works'), 'OK');
    assert.is(await cli('GET', 'cli'), 'works');
    assert.is(await cli('INCRBYFLOAT', 'f', '0.1'), '0.1');
    assert.match(await cli('--no-raw', 'GET', 'missing'), /\(nil\)/);
    assert.match(await cli('-3', 'HELLO'), /proto\s*\n?\s*3|3/);
  });

  t.run();
}
