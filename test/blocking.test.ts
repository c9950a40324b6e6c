/**
 * Blocking list commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP) with several connections:
 * each scenario runs against Redust and against real Redis 7.0 and the observed replies (in
 * order, per connection) must be identical. Plus timing asserts for timeouts.
 */
import * as assert from 'uvu/assert';
import { serverPairSuite } from './helpers/suite';
import { enginesUnderTest, ReferenceServer } from './helpers/servers';
import { Arg, RawConnection, R } from './helpers/raw';
import type { RedustServer } from '../src/index';
import { renderNode } from '../src/protocol/resp-reader';
import { encodeCommand } from './helpers/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Observation log of one scenario run. */
class Run {
  readonly log: string[] = [];
  readonly conns: RawConnection[] = [];
  constructor(readonly port: number) {}
  async conn(resp3 = false): Promise<RawConnection> {
    const c = await RawConnection.connect(this.port);
    this.conns.push(c);
    if (resp3) await c.send('HELLO', '3');
    return c;
  }
  /** Send without waiting (a blocking command), then give the server time to register it. */
  async block(c: RawConnection, ...args: Arg[]): Promise<void> {
    c.write(encodeCommand(args));
    await sleep(40);
  }
  async send(c: RawConnection, ...args: Arg[]): Promise<void> {
    this.log.push(`${this.conns.indexOf(c)}> ${args.join(' ')} => ${renderNode(await c.send(...args))}`);
  }
  /** Like send, but the arguments are not logged (they differ between servers, e.g. client ids). */
  async sendQuiet(c: RawConnection, label: string, ...args: Arg[]): Promise<void> {
    this.log.push(`${this.conns.indexOf(c)}> ${label} => ${renderNode(await c.send(...args))}`);
  }
  /** Record the next reply of `c`, or "(none)" if nothing arrives within `ms`. */
  async expect(c: RawConnection, ms = 1000): Promise<void> {
    try {
      this.log.push(`${this.conns.indexOf(c)}< ${renderNode(await c.next(ms))}`);
    } catch {
      this.log.push(`${this.conns.indexOf(c)}< (none)`);
    }
  }
  close(): void {
    for (const c of this.conns) c.close();
  }
}

type Scenario = (r: Run) => Promise<void>;

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('blocking', engine);

  /** Run the scenario on both servers (flushed first) and compare the logs. */
  async function same(ctx: { srv: RedustServer; ref?: ReferenceServer }, sc: Scenario): Promise<string[]> {
    const ports = [ctx.srv.port, ...(ctx.ref ? [ctx.ref.port] : [])];
    const logs: string[][] = [];
    for (const port of ports) {
      const r = new Run(port);
      try {
        const admin = await r.conn();
        await admin.send('FLUSHALL');
        await sc(r);
        logs.push(r.log);
      } finally {
        r.close();
      }
    }
    if (logs.length === 2) assert.equal(logs[0], logs[1]);
    return logs[0];
  }

  t('FIFO: clients blocked on a key are served in arrival order', async (ctx) => {
    const log = await same(ctx, async (r) => {
      const [p, c1, c2, c3] = [r.conns[0], await r.conn(), await r.conn(), await r.conn()];
      await r.block(c1, 'BLPOP', 'q', 0);
      await r.block(c2, 'BRPOP', 'q', 0);
      await r.block(c3, 'BLPOP', 'q', 0);
      await r.send(p, 'RPUSH', 'q', 'a', 'b');
      await r.expect(c1);
      await r.expect(c2);
      await r.expect(c3, 150);
      await r.send(p, 'LPUSH', 'q', 'c', 'd', 'e');
      await r.expect(c3);
      await r.send(p, 'LRANGE', 'q', 0, -1);
    });
    assert.ok(log.includes('1< ["q", "a"]'), log.join('\n'));
    assert.ok(log.includes('3< (none)'));
  });

  t('RENAME onto a key clients block on serves them, as Redis', async (ctx) => {
    const log = await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn()];
      await r.block(c1, 'BLPOP', 'dst', 0);
      await r.block(c2, 'BZPOPMIN', 'zdst', 0);
      await r.send(p, 'RPUSH', 'src', 'a', 'b');
      await r.send(p, 'RENAME', 'src', 'dst');
      await r.expect(c1);
      await r.send(p, 'ZADD', 'zsrc', 1, 'm');
      await r.send(p, 'SET', 'zdst', 'string in the way');
      await r.send(p, 'RENAME', 'zsrc', 'zdst');
      await r.expect(c2);
      await r.send(p, 'LRANGE', 'dst', 0, -1);
      await r.send(p, 'EXISTS', 'src', 'zsrc', 'zdst');
    });
    assert.ok(log.includes('1< ["dst", "a"]'), log.join('\n'));
  });

  // Found by the differential fuzzer (seed 4032): Redis 7.0 wakes clients blocked on a key only
  // when the key is added (dbAdd). A STORE overwriting it (setKey's dbOverwrite: a key of another
  // type, set after the client blocked) serves nobody, nor do later pushes onto the stored list;
  // Redust served the client at once.
  t('a STORE overwriting the key clients block on does not serve them, as Redis 7.0', async (ctx) => {
    const log = await same(ctx, async (r) => {
      const [p, ctl, c1, c2, c3, c4] = [r.conns[0], await r.conn(), await r.conn(), await r.conn(), await r.conn(), await r.conn()];
      const ids: Arg[] = [];
      for (const c of [c1, c2, c3, c4]) ids.push(String(((await c.send('CLIENT', 'ID')) as { t: 'int'; v: bigint }).v));
      await r.send(p, 'RPUSH', 'src', 3, 1, 2);
      await r.send(p, 'ZADD', 'zs', 1, 'a', 2, 'b');
      await r.send(p, 'GEOADD', 'geo', 13, 38, 'm1');
      await r.block(c1, 'BLPOP', 'l', 0);
      await r.block(c2, 'BZPOPMIN', 'z', 0);
      await r.block(c3, 'BZMPOP', 0, 1, 'g', 'MIN');
      await r.block(c4, 'BLPOP', 'new', 0);
      await r.send(p, 'SET', 'l', 'x');
      await r.send(p, 'SORT', 'src', 'STORE', 'l');
      await r.send(p, 'LPUSH', 'l', 'y');
      await r.send(p, 'RPOPLPUSH', 'src', 'l');
      await r.send(p, 'HSET', 'z', 'f', 'v');
      await r.send(p, 'ZUNIONSTORE', 'z', 1, 'zs');
      await r.send(p, 'ZRANGESTORE', 'z', 'zs', 0, 0);
      await r.send(p, 'SET', 'g', 'x');
      await r.send(p, 'GEOSEARCHSTORE', 'g', 'geo', 'FROMLONLAT', 13, 38, 'BYRADIUS', 10, 'km');
      // (a STORE that adds the key serves as any other write that adds it)
      await r.send(p, 'SORT', 'src', 'STORE', 'new');
      await r.expect(c4);
      for (const [i, c] of [c1, c2, c3].entries()) {
        await r.sendQuiet(ctl, `UNBLOCK c${i + 1}`, 'CLIENT', 'UNBLOCK', ids[i]);
        await r.expect(c);
      }
      await r.send(p, 'LRANGE', 'l', 0, -1);
      await r.send(p, 'ZRANGE', 'z', 0, -1);
    });
    assert.ok(log.includes('2< *-1'), log.join('\n'));
  });

  t('several keys ready in one EXEC: served from the key signalled first (BLPOP, BZPOPMIN, XREAD)', async (ctx) => {
    const log = await same(ctx, async (r) => {
      const p = r.conns[0];
      const [c1, c2, c3] = [await r.conn(), await r.conn(), await r.conn()];
      await r.block(c1, 'BLPOP', 'la', 'lb', 0);
      await r.block(c2, 'BZPOPMIN', 'za', 'zb', 0);
      await r.block(c3, 'XREAD', 'BLOCK', 0, 'STREAMS', 'sa', 'sb', '$', '$');
      await r.send(p, 'MULTI');
      await r.send(p, 'RPUSH', 'lb', 'from-b');
      await r.send(p, 'RPUSH', 'la', 'from-a');
      await r.send(p, 'ZADD', 'zb', 2, 'from-b');
      await r.send(p, 'ZADD', 'za', 1, 'from-a');
      await r.send(p, 'XADD', 'sb', '2-0', 'f', 'from-b');
      await r.send(p, 'XADD', 'sa', '1-0', 'f', 'from-a');
      await r.send(p, 'EXEC');
      await r.expect(c1);
      await r.expect(c2);
      await r.expect(c3);
    });
    assert.ok(log.includes('1< ["lb", "from-b"]'), log.join('\n'));
  });

  t('timeouts: fractional seconds, null reply shapes in RESP2 and RESP3', async (ctx) => {
    await same(ctx, async (r) => {
      const c2 = await r.conn();
      const c3 = await r.conn(true);
      for (const c of [c2, c3]) {
        await r.send(c, 'BLPOP', 'q', '0.1');
        await r.send(c, 'BRPOP', 'q', 'q2', '0.05');
        await r.send(c, 'BLMOVE', 'q', 'd', 'LEFT', 'LEFT', '0.05');
        await r.send(c, 'BRPOPLPUSH', 'q', 'd', '0.05');
        await r.send(c, 'BLMPOP', '0.05', 1, 'q', 'LEFT');
      }
    });
    // The wait is real: about 100 ms, not immediate and not forever.
    const c = await RawConnection.connect(ctx.srv.port);
    const start = Date.now();
    assert.equal(await c.send('BLPOP', 'never', '0.2'), R.nilArray);
    const took = Date.now() - start;
    c.close();
    assert.ok(took >= 180 && took < 1500, `took ${took} ms`);
  });

  t('timeouts round up to whole ms (0.0001 waits 1 ms; -0.0001 is 0 = forever)', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1] = [r.conns[0], await r.conn()];
      await r.block(c1, 'BLPOP', 'q', '0.0001');
      await r.expect(c1, 200);
      await r.block(c1, 'BLPOP', 'q', '-0.0001');
      await r.expect(c1, 200);
      await r.send(p, 'RPUSH', 'q', 'x');
      await r.expect(c1);
      // A timeout so large the deadline overflows still just blocks.
      await r.block(c1, 'BLPOP', 'q', '9.2233720368547e15');
      await r.expect(c1, 200);
      await r.send(p, 'RPUSH', 'q', 'x');
      await r.expect(c1);
    });
  });

  t('MULTI/EXEC: waiters are served once, after EXEC, with the final state', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn()];
      await r.block(c1, 'BLPOP', 'q', 0);
      await r.block(c2, 'BLPOP', 'q', 0);
      await r.send(p, 'MULTI');
      await r.send(p, 'RPUSH', 'q', 'a', 'b', 'c');
      await r.send(p, 'LPOP', 'q');
      await r.send(p, 'EXEC');
      await r.expect(c1);
      await r.expect(c2);
      await r.send(p, 'LRANGE', 'q', 0, -1);
      // Pushed and removed inside one transaction: nobody is served.
      await r.block(c1, 'BLPOP', 'k', 0);
      await r.send(p, 'MULTI');
      await r.send(p, 'RPUSH', 'k', 'x');
      await r.send(p, 'DEL', 'k');
      await r.send(p, 'EXEC');
      await r.expect(c1, 150);
      await r.send(p, 'RPUSH', 'k', 'y');
      await r.expect(c1);
    });
  });

  t('key deleted or changing type while clients wait: they keep waiting', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn()];
      await r.block(c1, 'BLPOP', 'q', 0);
      await r.block(c2, 'BLMOVE', 'q', 'dst', 'RIGHT', 'LEFT', 0);
      await r.send(p, 'SET', 'q', 'string');
      await r.expect(c1, 150);
      await r.send(p, 'DEL', 'q');
      await r.send(p, 'SADD', 'q', 'member');
      await r.expect(c1, 150);
      await r.send(p, 'DEL', 'q');
      await r.send(p, 'RPUSH', 'q', 'x', 'y');
      await r.expect(c1);
      await r.expect(c2);
      await r.send(p, 'LRANGE', 'dst', 0, -1);
    });
  });

  // Found by the differential fuzzer (blocking commands that wait): every modification of a stream
  // woke the XREADGROUP clients blocked on it, which then read it (creating their consumer) when
  // its last ID was past their group's -- after XSETID, XGROUP SETID. Redis wakes them only when
  // the stream is deleted or replaced.
  t('XREADGROUP on a stream changed in place keeps waiting; deleted or replaced, it wakes', async (ctx) => {
    const log = await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn()];
      await r.send(p, 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      const sub = await r.conn();
      await r.send(sub, 'PSUBSCRIBE', '__keyevent@0__:xgroup-createconsumer');
      await r.send(p, 'XADD', 's', '4-0', 'f', 'v');
      await r.send(p, 'XADD', 's', '9999-0', 'f', 'v');
      await r.send(p, 'XGROUP', 'CREATE', 's', 'g', '$');
      await r.send(p, 'XSETID', 's', '18446744073709551615-18446744073709551615');
      await r.block(c1, 'XREADGROUP', 'GROUP', 'g', 'c1', 'BLOCK', '0', 'STREAMS', 's', '>');
      await r.send(p, 'XDEL', 's', '9999-0');
      await r.send(p, 'XGROUP', 'SETID', 's', 'g', '0');
      await r.send(p, 'XTRIM', 's', 'MAXLEN', '0');
      await r.send(p, 'XGROUP', 'CREATECONSUMER', 's', 'g', 'other');
      await r.send(p, 'PEXPIRE', 's', '100000');
      await r.expect(c1, 150);
      await r.send(p, 'XADD', 's2', '5-0', 'f', 'new');
      await r.send(p, 'XGROUP', 'CREATE', 's2', 'g', '0');
      await r.send(p, 'RENAME', 's2', 's');
      await r.expect(c1);
      await r.expect(sub);
      await r.block(c2, 'XREADGROUP', 'GROUP', 'g', 'c2', 'BLOCK', '0', 'STREAMS', 's', '>');
      await r.send(p, 'SET', 's', 'no longer a stream');
      await r.expect(c2);
      await r.send(p, 'CONFIG', 'SET', 'notify-keyspace-events', '');
    });
    assert.ok(log.some((l) => l.includes('"new"')), log.join('\n'));
  });

  // Found by the differential fuzzer (blocking commands that wait): XREAD BLOCK naming a stream
  // twice was served by the second ID too; Redis's blockForKeys keeps the first.
  t('XREAD BLOCK naming a stream twice waits with the first ID given', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn()];
      await r.block(c1, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', 's', '9000-0', '$');
      await r.block(c2, 'XREAD', 'BLOCK', '0', 'STREAMS', 's', 's', '$', '9000-0');
      await r.send(p, 'XADD', 's', '1-1', 'f', 'v');
      await r.expect(c1, 150);
      await r.expect(c2);
      await r.send(p, 'XADD', 's', '9001-0', 'f', 'v');
      await r.expect(c1);
    });
  });

  t('CLIENT UNBLOCK (TIMEOUT and ERROR) and disconnect while blocked', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn(true)];
      const id1 = (await c1.send('CLIENT', 'ID')) as { t: 'int'; v: bigint };
      const id2 = (await c2.send('CLIENT', 'ID')) as { t: 'int'; v: bigint };
      await r.block(c1, 'BLPOP', 'q', 0);
      await r.block(c2, 'BLMOVE', 'q', 'd', 'LEFT', 'LEFT', 0);
      await r.sendQuiet(p, 'UNBLOCK c1', 'CLIENT', 'UNBLOCK', String(id1.v));
      await r.expect(c1);
      await r.sendQuiet(p, 'UNBLOCK c2 ERROR', 'CLIENT', 'UNBLOCK', String(id2.v), 'ERROR');
      await r.expect(c2);
      await r.sendQuiet(p, 'UNBLOCK c2 (not blocked)', 'CLIENT', 'UNBLOCK', String(id2.v));
      await r.block(c1, 'BLMPOP', 0, 1, 'q', 'LEFT');
      await r.sendQuiet(p, 'UNBLOCK c1 TIMEOUT', 'CLIENT', 'UNBLOCK', String(id1.v), 'TIMEOUT');
      await r.expect(c1);
      // Disconnected waiter: the element stays in the list.
      await r.block(c1, 'BLPOP', 'q', 0);
      c1.close();
      await sleep(50);
      await r.send(p, 'RPUSH', 'q', 'kept');
      await r.send(p, 'LRANGE', 'q', 0, -1);
      // Commands pipelined behind a blocking one run after it is served.
      c2.write(Buffer.concat([encodeCommand(['BLPOP', 'w', 0]), encodeCommand(['PING'])]));
      await sleep(40);
      await r.expect(c2, 100);
      await r.send(p, 'RPUSH', 'w', 'v');
      await r.expect(c2);
      await r.expect(c2);
    });
  });

  t('BLMOVE/BRPOPLPUSH push wakes clients blocked on the destination', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2, c3] = [r.conns[0], await r.conn(), await r.conn(), await r.conn()];
      await r.block(c1, 'BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', 0);
      await r.block(c2, 'BRPOPLPUSH', 'b', 'c', 0);
      await r.block(c3, 'BLPOP', 'c', 0);
      await r.send(p, 'RPUSH', 'a', 'x');
      await r.expect(c1);
      await r.expect(c2);
      await r.expect(c3);
      await r.send(p, 'EXISTS', 'a', 'b', 'c');
      // Also from a non-blocking LMOVE.
      await r.block(c3, 'BLPOP', 'z', 0);
      await r.send(p, 'RPUSH', 'y', '1');
      await r.send(p, 'LMOVE', 'y', 'z', 'LEFT', 'LEFT');
      await r.expect(c3);
    });
  });

  t('BLMOVE whose destination has the wrong type gets WRONGTYPE when served', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2] = [r.conns[0], await r.conn(), await r.conn()];
      await r.block(c1, 'BLMOVE', 'a', 's', 'LEFT', 'LEFT', 0);
      await r.block(c2, 'BLPOP', 'a', 0);
      await r.send(p, 'SET', 's', 'string');
      await r.send(p, 'RPUSH', 'a', 'x');
      await r.expect(c1);
      await r.expect(c2);
      await r.send(p, 'EXISTS', 'a');
    });
  });

  t('BLMPOP with COUNT, several keys, and RESP3 served shapes', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1, c2, c3] = [r.conns[0], await r.conn(), await r.conn(true), await r.conn(true)];
      await r.block(c1, 'BLMPOP', 0, 2, 'a', 'b', 'RIGHT', 'COUNT', 2);
      await r.block(c2, 'BLPOP', 'b', 'a', 0);
      await r.block(c3, 'BLMPOP', 0, 1, 'b', 'LEFT', 'COUNT', 10);
      await r.send(p, 'RPUSH', 'b', '1', '2', '3', '4', '5');
      await r.expect(c1);
      await r.expect(c2);
      await r.expect(c3);
      await r.send(p, 'EXISTS', 'b');
      await r.block(c2, 'BRPOPLPUSH', 'b', 'b', 0);
      await r.send(p, 'RPUSH', 'b', 'only');
      await r.expect(c2);
      await r.send(p, 'LRANGE', 'b', 0, -1);
    });
  });

  t('clients blocked in other databases are not woken by this db', async (ctx) => {
    await same(ctx, async (r) => {
      const [p, c1] = [r.conns[0], await r.conn()];
      await c1.send('SELECT', 1);
      await r.block(c1, 'BLPOP', 'q', 0);
      await r.send(p, 'RPUSH', 'q', 'db0');
      await r.expect(c1, 150);
      await r.send(p, 'SELECT', 1);
      await r.send(p, 'RPUSH', 'q', 'db1');
      await r.expect(c1);
      await r.send(p, 'SELECT', 0);
    });
  });

  t.run();
}
