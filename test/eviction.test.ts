/**
 * maxmemory: writes over the limit get Redis's OOM error under noeviction; with an eviction
 * policy keys are evicted instead (INFO evicted_keys, `evicted` keyspace events) and reads keep
 * working. The limit is set relative to the server's own used_memory, as Redis accounts it.
 */
import * as assert from 'uvu/assert';
import { differentialSuite } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, R } from './helpers/raw';
import { renderNode, RespNode } from '../src/protocol/resp-reader';

function infoField(n: RespNode, field: string): number {
  const text = n.t === 'bulk' || n.t === 'verbatim' ? n.v.latin1Slice() : '';
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Lower maxmemory to `headroom` bytes above what the server uses now. */
async function limitFromNow(c: RawConnection, headroom: number): Promise<void> {
  const used = infoField(await c.send('INFO', 'memory'), 'used_memory');
  assert.ok(used > 0);
  assert.equal(await c.send('CONFIG', 'SET', 'maxmemory', String(used + headroom)), R.ok);
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('eviction', engine);

  t.after.each(async ({ c, d }) => {
    for (const conn of [c, d?.reference]) {
      if (!conn) continue;
      await conn.send('CONFIG', 'SET', 'maxmemory', '0');
      await conn.send('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      await conn.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  t('noeviction: writes over maxmemory get the OOM error, reads and deletes still work (as Redis)', async ({ c, d }) => {
    const value = 'x'.repeat(1000);
    const run = async (conn: RawConnection) => {
      await conn.send('SET', 'keep', 'v');
      await limitFromNow(conn, 100_000);
      let oom: RespNode | null = null;
      for (let i = 0; i < 2000 && !oom; i++) {
        const r = await conn.send('SET', `fill:${i}`, value);
        if (r.t === 'error') oom = r;
      }
      const after = {
        oom,
        get: await conn.send('GET', 'keep'),
        del: await conn.send('DEL', 'keep'),
        expireStillAllowed: await conn.send('EXPIRE', 'fill:0', '100'),
      };
      return after;
    };
    const ours = await run(c);
    assert.equal(ours.oom, R.err("OOM command not allowed when used memory > 'maxmemory'."));
    assert.equal(ours.get, R.bulk('v'));
    assert.equal(ours.del, R.int(1));
    if (d) assert.equal(ours, await run(d.reference));
  });

  t('allkeys-random: keys are evicted instead, with evicted events and INFO evicted_keys', async ({ srv, c }) => {
    const sub = await RawConnection.connect(srv.port);
    await c.send('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
    await sub.send('SUBSCRIBE', '__keyevent@0__:evicted');
    await c.send('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random');
    await limitFromNow(c, 200_000);
    const value = 'y'.repeat(1000);
    for (let i = 0; i < 1000; i++) {
      const r = await c.send('SET', `ev:${i}`, value);
      assert.equal(r, R.ok, `SET ev:${i} must succeed by evicting`);
    }
    const dbsize = Number((await c.send('DBSIZE') as { v: bigint }).v);
    assert.ok(dbsize < 1000, `some keys were evicted (dbsize ${dbsize})`);
    const evicted = infoField(await c.send('INFO', 'stats'), 'evicted_keys');
    assert.is(evicted, 1000 - dbsize);
    const msg = await sub.next(2000);
    assert.is(msg.t, 'array');
    assert.match(renderNode(msg), /^\["message", "__keyevent@0__:evicted", "ev:\d+"\]$/);
    sub.close();
  });

  if (engine === 'wasm') {
    t('wasm engine: when linear memory cannot grow, writes get the OOM error and nothing is lost', async ({ srv, c }) => {
      const w = (srv.internal.engine as unknown as { w: { x: { arenaSetMaxPages(p: number): void }; u8: Uint8Array } }).w;
      await c.send('SET', 'before', 'kept');
      w.x.arenaSetMaxPages(Math.ceil(w.u8.length / 65536) + 16); // ~1 MiB of headroom
      const value = 'z'.repeat(4000);
      let err: RespNode | null = null;
      let stored = 0;
      for (let i = 0; i < 5000 && !err; i++) {
        const r = await c.send('SET', `oom:${i}`, value);
        if (r.t === 'error') err = r;
        else stored++;
      }
      assert.equal(err, R.err("OOM command not allowed when used memory > 'maxmemory'."));
      assert.ok(stored > 0);
      assert.equal(await c.send('GET', 'before'), R.bulk('kept'));
      assert.equal(await c.send('GET', 'oom:0'), R.bulk(value));
      assert.equal(await c.send('DBSIZE'), R.int(stored + 1));
      assert.equal(await c.send('PING'), R.simple('PONG'));
      w.x.arenaSetMaxPages(65536);
    });
  }

  t.run();
}
