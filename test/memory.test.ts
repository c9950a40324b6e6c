/**
 * MEMORY STATS / DOCTOR / MALLOC-STATS / PURGE / USAGE ... SAMPLES compared with real Redis 7.0:
 * STATS has the same field names in the same order with the same reply types (values are each
 * server's own), in RESP2 and RESP3; DOCTOR's texts; USAGE's option errors.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import type { RespNode } from '../src/protocol/resp-reader';
import type { RawConnection } from './helpers/raw';

/** Keys (as text) and value types, recursively; bulk strings' bytes are kept only as map keys. */
function shape(n: RespNode, isKey = false): unknown {
  if (n.t === 'map') return { map: n.v.map((x, i) => shape(x, i % 2 === 0)) };
  if (n.t === 'array' || n.t === 'set' || n.t === 'push') return { [n.t]: n.v.map((x) => shape(x, isKey)) };
  if (n.t === 'bulk') return isKey ? n.v.latin1Slice(0, n.v.length) : 'bulk';
  return n.t;
}

/** In RESP2 the map is a flat array: pair it up so keys are recognised. */
function shape2(n: RespNode): unknown {
  if (n.t !== 'array') return shape(n);
  return n.v.map((x, i) => (i % 2 === 0 ? shape(x, true) : x.t === 'array' ? shape2(x) : shape(x)));
}

async function stats(conn: RawConnection, resp: 2 | 3): Promise<unknown> {
  const reply = await conn.send('MEMORY', 'STATS');
  return resp === 3 ? shape(reply) : shape2(reply);
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('memory', engine);

  diffTest(t, 'MEMORY STATS: same fields, order and types as Redis (RESP2 and RESP3), empty and with keys in two dbs', async ({ d }) => {
    for (const resp of [2, 3] as const) {
      for (const conn of [d.redust, d.reference]) await conn.send('HELLO', String(resp));
      assert.equal(await stats(d.redust, resp), await stats(d.reference, resp), `empty, RESP${resp}`);
      await d.all([['DEBUG', 'POPULATE', '100'], ['EXPIRE', 'key:1', '100'], ['SELECT', '3'], ['SET', 'a', 'b'], ['SELECT', '0']]);
      assert.equal(await stats(d.redust, resp), await stats(d.reference, resp), `with keys, RESP${resp}`);
      await d.all([['FLUSHALL']]);
    }
    for (const conn of [d.redust, d.reference]) await conn.send('HELLO', '2');
  });

  diffTest(t, 'MEMORY STATS figures are consistent with INFO memory', async ({ c }) => {
    await c.send('DEBUG', 'POPULATE', '500');
    await c.send('EXPIRE', 'key:7', '100');
    const r = await c.send('MEMORY', 'STATS');
    assert.is(r.t, 'array');
    const v = (r as { v: RespNode[] }).v;
    const get = (k: string): bigint => {
      const i = v.findIndex((x) => x.t === 'bulk' && x.v.latin1Slice(0, x.v.length) === k);
      const n = v[i + 1];
      return n.t === 'int' ? n.v : -1n;
    };
    assert.is(get('keys.count'), 500n);
    assert.ok(get('total.allocated') >= get('startup.allocated'));
    assert.ok(get('peak.allocated') >= get('total.allocated'));
    assert.is(get('overhead.total') + get('dataset.bytes'), get('total.allocated'));
    assert.ok(get('dataset.bytes') > 0n, 'the keys and values are dataset bytes');
    assert.ok(get('allocator.resident') > 0n);
    // INFO memory reports the same figures (getMemoryOverheadData feeds both in Redis).
    const info = await c.send('INFO', 'memory');
    const text = info.t === 'bulk' || info.t === 'verbatim' ? info.v.latin1Slice(0, info.v.length) : '';
    const field = (k: string): bigint => BigInt(new RegExp(`^${k}:(\\d+)`, 'm').exec(text)?.[1] ?? '-1');
    assert.is(field('used_memory'), get('total.allocated'));
    assert.is(field('used_memory_overhead'), get('overhead.total'));
    assert.is(field('used_memory_dataset'), get('dataset.bytes'));
    assert.is(field('used_memory_startup'), get('startup.allocated'));
  });

  diffTest(t, 'MEMORY DOCTOR texts (an almost empty instance), errors, PURGE, MALLOC-STATS type', async ({ d }) => {
    await d.bothProtocols([], [['MEMORY', 'DOCTOR'], ['MEMORY', 'DOCTOR', 'x'], ['MEMORY', 'STATS', 'x'], ['MEMORY', 'PURGE'], ['MEMORY', 'PURGE', 'x']]);
    await d.all([['DEBUG', 'POPULATE', '1000'], ['MEMORY', 'DOCTOR']]);
    await d.check(['MEMORY', 'MALLOC-STATS'], { typeOnly: true });
  });

  t('MEMORY DOCTOR on a loaded instance: no issue, then the peak-memory issue after a big drop', async ({ c }) => {
    const text = (n: RespNode) => (n.t === 'bulk' || n.t === 'verbatim' ? n.v.latin1Slice(0, n.v.length) : '');
    await c.send('DEBUG', 'POPULATE', '120000', 'k', '40');
    assert.is(text(await c.send('MEMORY', 'DOCTOR')), "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n");
    await c.send('SELECT', '1');
    await c.send('DEBUG', 'POPULATE', '400000', 'k', '40');
    await c.send('INFO', 'memory'); // the peak is sampled (serverCron's job), as Redis between commands
    // (The cron's background steps free the flushed db, 1 ms per tick: ten times more ticks.)
    await c.send('CONFIG', 'SET', 'hz', '100');
    await c.send('FLUSHDB');
    await c.send('SELECT', '0');
    // The wasm engine frees a flushed db in background steps: give them time.
    let report = '';
    for (let i = 0; i < 100 && !report.startsWith('Sam'); i++) {
      report = text(await c.send('MEMORY', 'DOCTOR'));
      if (!report.startsWith('Sam')) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(report.startsWith('Sam, I detected a few issues in this Redis instance memory implants:\n\n * Peak memory: In the past this instance used more than 150% the memory'), report);
    assert.ok(report.endsWith("I'm here to keep you safe, Sam. I want to help you.\n"));
    await c.send('CONFIG', 'SET', 'hz', '10');
  });

  diffTest(t, 'MEMORY USAGE ... SAMPLES: options and errors', async ({ d }) => {
    await d.all([
      ['SET', 'foo', 'bar'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['MEMORY', 'USAGE', 'nokey'],
      ['MEMORY', 'USAGE', 'nokey', 'SAMPLES', '5'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES', 'x'],
      ['MEMORY', 'USAGE', 'foo', 'SAMPLES'],
      ['MEMORY', 'USAGE', 'foo', 'foo', '1'],
      ['MEMORY', 'USAGE'],
    ]);
    for (const args of [['MEMORY', 'USAGE', 'foo', 'SAMPLES', '0'], ['MEMORY', 'USAGE', 'l', 'samples', '2', 'SAMPLES', '0']]) await d.check(args, { typeOnly: true });
  });

  t.run();
}
