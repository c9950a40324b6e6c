/**
 * Pub/sub: SUBSCRIBE family and PUBSUB introspection compared with real Redis 7.0, real clients
 * (ioredis subscriber + publisher), RESP3 push frames interleaved with replies, many subscribers
 * and patterns, and the pubsub client-output-buffer-limit disconnecting a slow consumer.
 */
import * as assert from 'uvu/assert';
import { serverPairSuite, diffTest } from './helpers/suite';
import Redis from 'ioredis';
import { enginesUnderTest } from './helpers/servers';
import { Differential } from './helpers/diff';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('pubsub', engine);

  diffTest(t, 'subscribe/unsubscribe confirmations, subscribed-mode errors and PUBSUB replies match Redis (RESP2)', async ({ srv, ref }) => {
    const d = await Differential.connect(srv.port, ref.port);
    const one = async (cmd: string[], n = 1) => {
      await d.check(cmd);
      for (let i = 1; i < n; i++) {
        const [a, b] = await Promise.all([d.redust.next(), d.reference.next()]);
        assert.is(renderNode(a), renderNode(b), cmd.join(' '));
      }
    };
    await one(['UNSUBSCRIBE']);
    await one(['PUNSUBSCRIBE']);
    await one(['SUNSUBSCRIBE']);
    await one(['UNSUBSCRIBE', 'never']);
    await one(['SUBSCRIBE', 'a', 'b', 'a'], 3);
    await one(['PSUBSCRIBE', 'x*', 'y?'], 2);
    await one(['SSUBSCRIBE', 's1'], 1);
    await one(['PING']);
    await one(['PING', 'hi']);
    await one(['GET', 'k']);
    await one(['PUBSUB', 'NUMPAT']);
    await one(['UNSUBSCRIBE', 'b'], 1);
    await one(['PUNSUBSCRIBE', 'y?', 'nope'], 2);
    await one(['SUNSUBSCRIBE'], 1);
    await one(['PUNSUBSCRIBE'], 1);
    await one(['UNSUBSCRIBE'], 1);
    await one(['PING']);
    await one(['PUBSUB', 'HELP']);
    await one(['PUBSUB', 'FOO']);
    await one(['PUBSUB', 'NUMPAT', 'x']);
    await one(['PUBSUB', 'CHANNELS', '*', 'x']);
    await one(['PUBSUB', 'NUMSUB']);
    await one(['PUBLISH', 'nobody', 'm']);
    await one(['SPUBLISH', 'nobody', 'm']);
    await one(['MULTI']);
    await one(['SSUBSCRIBE', 'z']);
    await one(['EXEC']);
    d.close();
  });

  diffTest(t, 'PUBSUB CHANNELS/NUMSUB/NUMPAT/SHARD* with several subscribers match Redis', async ({ srv, ref }) => {
    const subs: RawConnection[] = [];
    for (const port of [srv.port, ref.port]) {
      for (let i = 0; i < 3; i++) {
        const s = await RawConnection.connect(port);
        await s.send('SUBSCRIBE', `ch${i}`, 'common');
        await s.next();
        await s.send('PSUBSCRIBE', 'news.*');
        await s.send('SSUBSCRIBE', `sh${i}`);
        subs.push(s);
      }
    }
    const d = await Differential.connect(srv.port, ref.port);
    await d.check(['PUBSUB', 'CHANNELS'], { unordered: true });
    await d.check(['PUBSUB', 'CHANNELS', 'ch*'], { unordered: true });
    await d.check(['PUBSUB', 'CHANNELS', 'com[m]on']);
    await d.check(['PUBSUB', 'NUMSUB', 'common', 'ch1', 'none']);
    await d.check(['PUBSUB', 'NUMPAT']);
    await d.check(['PUBSUB', 'SHARDCHANNELS'], { unordered: true });
    await d.check(['PUBSUB', 'SHARDCHANNELS', 'sh1']);
    await d.check(['PUBSUB', 'SHARDNUMSUB', 'sh0', 'sh9']);
    await d.check(['PUBLISH', 'common', 'x']);
    await d.check(['PUBLISH', 'news.today', 'x']);
    await d.check(['SPUBLISH', 'sh2', 'x']);
    await d.check(['HELLO', '3'], { typeOnly: true });
    await d.check(['PUBSUB', 'NUMSUB', 'common']);
    for (const s of subs) s.close();
    await sleep(50);
    await d.check(['PUBSUB', 'NUMPAT']);
    await d.check(['PUBSUB', 'CHANNELS']);
    d.close();
  });

  t('ioredis: many subscribers and patterns receive every message in order', async ({ srv }) => {
    const pub = new Redis({ port: srv.port, lazyConnect: true, retryStrategy: () => null });
    await pub.connect();
    const subs: Redis[] = [];
    try {
    const got: string[][] = [];
    for (let i = 0; i < 10; i++) {
      const s = new Redis({ port: srv.port, lazyConnect: true, retryStrategy: () => null });
      await s.connect();
      const mine: string[] = [];
      got.push(mine);
      s.on('message', (ch: string, m: string) => mine.push(`m:${ch}:${m}`));
      s.on('pmessage', (p: string, ch: string, m: string) => mine.push(`p:${p}:${ch}:${m}`));
      await s.subscribe('orders', `private${i}`);
      if (i % 2 === 0) await s.psubscribe('ord*', 'pri?ate*');
      subs.push(s);
    }
    let total = 0;
    for (let k = 0; k < 20; k++) total += await pub.publish('orders', `o${k}`);
    assert.is(total, 20 * 15);
    // private<i> has one channel subscriber; "pri?ate*" matches for the 5 pattern subscribers.
    assert.is(await pub.publish('private3', 'secret'), 6);
    assert.is(await pub.publish('private4', 'secret'), 6);
    await sleep(100);
    for (let i = 0; i < 10; i++) {
      const orders = got[i].filter((x) => x.startsWith('m:orders'));
      assert.equal(orders, Array.from({ length: 20 }, (_, k) => `m:orders:o${k}`));
      const pats = got[i].filter((x) => x.startsWith('p:ord*'));
      assert.is(pats.length, i % 2 === 0 ? 20 : 0);
    }
    assert.ok(got[4].includes('p:pri?ate*:private4:secret'));
    assert.ok(got[3].includes('m:private3:secret'));
    assert.is(await pub.pubsub('NUMPAT') as unknown as number, 2);
    } finally {
      for (const s of subs) s.disconnect();
      pub.disconnect();
    }
  });

  t('RESP3: confirmations and messages are push frames interleaved with normal replies', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    const p = await RawConnection.connect(srv.port);
    await c.send('HELLO', '3');
    assert.is(renderNode(await c.send('SUBSCRIBE', 'r3')), '>["subscribe", "r3", :1]');
    // Any command is allowed in RESP3 while subscribed.
    assert.is(renderNode(await c.send('SET', 'k', 'v')), '+OK');
    await p.send('PUBLISH', 'r3', 'hello');
    assert.is(renderNode(await c.next()), '>["message", "r3", "hello"]');
    assert.is(renderNode(await c.send('GET', 'k')), '"v"');
    assert.is(renderNode(await c.send('PSUBSCRIBE', 'r*')), '>["psubscribe", "r*", :2]');
    await p.send('PUBLISH', 'r3', 'again');
    assert.is(renderNode(await c.next()), '>["message", "r3", "again"]');
    assert.is(renderNode(await c.next()), '>["pmessage", "r*", "r3", "again"]');
    assert.is(renderNode(await c.send('PING')), '+PONG');
    assert.is(renderNode(await c.send('UNSUBSCRIBE')), '>["unsubscribe", "r3", :1]');
    assert.is(renderNode(await c.send('PUNSUBSCRIBE')), '>["punsubscribe", "r*", :0]');
    assert.is(renderNode(await c.send('UNSUBSCRIBE')), '>["unsubscribe", _, :0]');
    c.close();
    p.close();
  });

  t('one PUBLISH reaches RESP2 and RESP3 subscribers, by channel and by pattern, with a binary message (as Redis)', async ({ srv, ref }) => {
    const frames = async (port: number): Promise<string[]> => {
      const c2 = await RawConnection.connect(port);
      const c3 = await RawConnection.connect(port);
      const p = await RawConnection.connect(port);
      try {
        await c3.send('HELLO', '3');
        for (const c of [c2, c3]) {
          await c.send('SUBSCRIBE', 'bin');
          await c.send('PSUBSCRIBE', 'b*');
        }
        const out = [renderNode(await p.send('PUBLISH', 'bin', Buffer.from([0, 0x61, 13, 10, 0x62, 0xff])))];
        await p.send('PUBLISH', 'bin', 'second');
        for (const c of [c2, c3]) for (let i = 0; i < 4; i++) out.push(renderNode(await c.next()));
        return out;
      } finally {
        c2.close();
        c3.close();
        p.close();
      }
    };
    const got = await frames(srv.port);
    const bin = '"\\u0000a\\r\\nb\u00ff"';
    assert.equal(got, [
      ':4',
      `["message", "bin", ${bin}]`, `["pmessage", "b*", "bin", ${bin}]`,
      '["message", "bin", "second"]', '["pmessage", "b*", "bin", "second"]',
      `>["message", "bin", ${bin}]`, `>["pmessage", "b*", "bin", ${bin}]`,
      '>["message", "bin", "second"]', '>["pmessage", "b*", "bin", "second"]',
    ]);
    if (ref) assert.equal(got, await frames(ref.port));
  });

  t('a 1 MB message then a short one reach RESP2 and RESP3 subscribers intact', async ({ srv }) => {
    const c2 = await RawConnection.connect(srv.port);
    const c3 = await RawConnection.connect(srv.port);
    const p = await RawConnection.connect(srv.port);
    try {
      await c3.send('HELLO', '3');
      await c2.send('SUBSCRIBE', 'big');
      await c3.send('SUBSCRIBE', 'big');
      const big = Buffer.alloc(1 << 20, 'm');
      big[0] = 0;
      big[big.length - 1] = 0xff;
      assert.is(renderNode(await p.send('PUBLISH', 'big', big)), ':2');
      assert.is(renderNode(await p.send('PUBLISH', 'big', 'small')), ':2');
      for (const c of [c2, c3]) {
        const m1 = await c.next();
        const m2 = await c.next();
        assert.ok((m1.t === 'array' || m1.t === 'push') && m1.v[2].t === 'bulk' && m1.v[2].v.equals(big), 'the big message');
        assert.is(renderNode(m2).replace(/^>/, ''), '["message", "big", "small"]');
      }
    } finally {
      c2.close();
      c3.close();
      p.close();
    }
  });

  t('PUBLISH inside MULTI is delivered after EXEC, in order', async ({ srv }) => {
    const sub = await RawConnection.connect(srv.port);
    const c = await RawConnection.connect(srv.port);
    await sub.send('SUBSCRIBE', 'tx');
    await c.send('MULTI');
    for (let i = 0; i < 5; i++) await c.send('PUBLISH', 'tx', String(i));
    assert.not.ok(await sub.hasReplyWithin(30));
    assert.is(renderNode(await c.send('EXEC')), '[:1, :1, :1, :1, :1]');
    for (let i = 0; i < 5; i++) assert.is(renderNode(await sub.next()), `["message", "tx", "${i}"]`);
    sub.close();
    c.close();
  });

  t('slow consumer: a subscriber that never reads is disconnected over the pubsub output buffer limit', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    assert.is(renderNode(await c.send('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 1mb 512kb 1')), '+OK');
    const slow = await RawConnection.connect(srv.port);
    await slow.send('SUBSCRIBE', 'firehose');
    slow.socket.pause();
    const fast = await RawConnection.connect(srv.port);
    await fast.send('SUBSCRIBE', 'firehose');
    const payload = 'x'.repeat(16 * 1024);
    let disconnected = false;
    slow.socket.on('close', () => (disconnected = true));
    const before = Number((await c.send('PUBSUB', 'NUMSUB', 'firehose') as { v: { v: bigint }[] }).v[1].v);
    assert.is(before, 2);
    let fastGot = 0;
    for (let i = 0; i < 400 && !disconnected; i++) {
      const r = await c.send('PUBLISH', 'firehose', payload);
      assert.is(r.t, 'int');
      while (await fast.hasReplyWithin(0)) {
        await fast.next();
        fastGot++;
      }
      if (i % 20 === 0) await sleep(5);
    }
    await sleep(100);
    const after = renderNode(await c.send('PUBSUB', 'NUMSUB', 'firehose'));
    assert.is(after, '["firehose", :1]', 'the slow subscriber was dropped');
    // Once it reads again, the slow client finds its connection closed by the server.
    slow.socket.resume();
    assert.ok(disconnected || (await slow.waitClosed(3000)), 'slow socket closed');
    // The reading subscriber kept receiving.
    while (await fast.hasReplyWithin(50)) {
      await fast.next();
      fastGot++;
    }
    assert.ok(fastGot > 64, `fast subscriber got ${fastGot}`);
    await c.send('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
    c.close();
    fast.close();
    slow.close();
  });

  t('soft limit with no more traffic: the clients cron closes a subscriber left over it once soft-seconds pass', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    assert.is(renderNode(await c.send('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 0 100000 1')), '+OK');
    const slow = await RawConnection.connect(srv.port);
    await slow.send('CLIENT', 'SETNAME', 'idle_slow');
    await slow.send('SUBSCRIBE', 'quiet');
    slow.socket.pause();
    const omem = async () => {
      const list = ((await c.send('CLIENT', 'LIST')) as { v: Buffer }).v.toString('latin1');
      const line = list.split('\n').find((l) => l.includes('name=idle_slow'));
      return line === undefined ? -1 : Number(/omem=(\d+)/.exec(line)![1]);
    };
    // Fill its output past the soft limit (the kernel's socket buffer takes the first bytes).
    const payload = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 2000 && (await omem()) < 100000; i++) await c.send('PUBLISH', 'quiet', payload);
    assert.ok((await omem()) >= 100000, 'over the soft limit');
    // No more messages: only the cron can see it stay over the limit.
    let closed = false;
    for (let i = 0; i < 40 && !closed; i++) {
      await sleep(100);
      closed = (await omem()) === -1;
    }
    assert.ok(closed, 'closed within 4 s of going idle over a 1 s soft limit');
    await c.send('CONFIG', 'SET', 'client-output-buffer-limit', 'pubsub 32mb 8mb 60');
    c.close();
    slow.close();
  });

  t('RESET and disconnect drop subscriptions', async ({ srv }) => {
    const a = await RawConnection.connect(srv.port);
    const c = await RawConnection.connect(srv.port);
    await a.send('SUBSCRIBE', 'gone');
    await a.send('PSUBSCRIBE', 'gone*');
    assert.is(renderNode(await c.send('PUBLISH', 'gone', 'x')), ':2');
    await a.next();
    await a.next();
    assert.is(renderNode(await a.send('RESET')), '+RESET');
    assert.is(renderNode(await c.send('PUBLISH', 'gone', 'x')), ':0');
    await a.send('SUBSCRIBE', 'gone');
    a.close();
    await sleep(50);
    assert.is(renderNode(await c.send('PUBLISH', 'gone', 'x')), ':0');
    c.close();
  });

  t.run();
}
