/**
 * LATENCY and latency tracking: compared with real Redis 7.0 where the figures do not depend on
 * timing (shapes, event names, counts, texts with the numbers masked), and the HDR histogram
 * arithmetic checked against values Redis reports for known durations.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import { Histogram } from '../src/observability/latency';

const mask = (s: string) => s.replace(/\d+(\.\d+)?/g, 'N');

async function run(c: RawConnection): Promise<string[]> {
  const out: string[] = [];
  const r = async (...a: string[]) => renderNode(await c.send(...a));
  await c.send('LATENCY', 'RESET');
  await c.send('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  out.push(await r('LATENCY', 'DOCTOR'));
  out.push(await r('LATENCY', 'LATEST'));
  await c.send('CONFIG', 'SET', 'latency-monitor-threshold', '40');
  out.push(await r('LATENCY', 'DOCTOR'));
  await c.send('DEBUG', 'SLEEP', '0.05');
  const latest = await c.send('LATENCY', 'LATEST');
  out.push(mask(renderNode(latest)));
  const ms = Number(/"command", :\d+, :(\d+)/.exec(renderNode(latest))![1]);
  // (The upper bound allows for a loaded host: DEBUG SLEEP 0.05 measured 160 ms under a full test run.)
  assert.ok(ms >= 50 && ms < 1000, `latency ${ms}`);
  out.push(mask(await r('LATENCY', 'HISTORY', 'command')));
  out.push(mask(await r('LATENCY', 'HISTORY', 'COMMAND')));
  out.push(await r('LATENCY', 'HISTORY', 'nosuch'));
  out.push(mask(await r('LATENCY', 'DOCTOR')));
  out.push(await r('LATENCY', 'RESET', 'nosuch'));
  out.push(await r('LATENCY', 'RESET', 'Command', 'command'));
  out.push(await r('LATENCY', 'RESET'));
  out.push(await r('LATENCY', 'HISTORY'));
  out.push(await r('LATENCY', 'NOSUCH'));
  await c.send('CONFIG', 'SET', 'latency-monitor-threshold', '0');
  await c.send('CONFIG', 'RESETSTAT');
  await c.send('SET', 'x', '1');
  await c.send('GET', 'x');
  await c.send('GET', 'x');
  await c.send('CLIENT', 'ID');
  const h = await c.send('LATENCY', 'HISTOGRAM', 'set', 'GET', 'nosuch', 'client');
  out.push(renderNode(h).replace(/"histogram_usec": \{[^}]*\}/g, 'H').replace(/"histogram_usec", \[[^\]]*\]/g, 'H'));
  out.push(String(/calls", :2/.test(renderNode(h))));
  // Redis lists commands in its dict's hash order: compare the sorted lines.
  const sorted = (s: string) => s.split('\r\n').sort().join('\r\n');
  const info = text(await c.send('INFO', 'latencystats'));
  out.push(sorted(mask(info)));
  out.push(String(/^latency_percentiles_usec_get:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r$/m.test(info)));
  await c.send('CONFIG', 'SET', 'latency-tracking-info-percentiles', '0 50.5 100');
  out.push(renderNode(await c.send('CONFIG', 'GET', 'latency-tracking-info-percentiles')));
  out.push(sorted(mask(text(await c.send('INFO', 'latencystats')))));
  await c.send('CONFIG', 'SET', 'latency-tracking-info-percentiles', '50 99 99.9');
  await c.send('CONFIG', 'SET', 'latency-tracking', 'no');
  await c.send('CONFIG', 'RESETSTAT');
  await c.send('GET', 'x');
  out.push(renderNode(await c.send('LATENCY', 'HISTOGRAM')));
  await c.send('CONFIG', 'SET', 'latency-tracking', 'yes');
  return out;
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('latency', engine);

  diffTest(t, 'LATENCY LATEST/HISTORY/RESET/DOCTOR/HISTOGRAM and INFO latencystats, as Redis', async ({ c, d }) => {
    const a = await run(c);
    const b = await run(d.reference);
    assert.equal(a, b);
  });

  diffTest(t, 'LATENCY GRAPH: the same sparkline as Redis for two recorded spikes (numbers masked), errors', async ({ c, d }) => {
    const graphOf = async (conn: RawConnection) => {
      await conn.send('LATENCY', 'RESET');
      // Spikes well above the threshold, and a threshold no ordinary command reaches under load.
      await conn.send('CONFIG', 'SET', 'latency-monitor-threshold', '50');
      await conn.send('DEBUG', 'SLEEP', '0.06');
      return conn;
    };
    await Promise.all([graphOf(c), graphOf(d.reference)]);
    await new Promise((r) => setTimeout(r, 1100));
    for (const conn of [c, d.reference]) await conn.send('DEBUG', 'SLEEP', '0.2');
    const [a, b] = await Promise.all([c.send('LATENCY', 'GRAPH', 'command'), d.reference.send('LATENCY', 'GRAPH', 'command')]);
    assert.is(a.t, 'bulk');
    assert.is(mask(text(a)), mask(text(b)));
    assert.ok(text(a).includes('\n' + '-'.repeat(80) + '\n'));
    await d.all([['LATENCY', 'GRAPH', 'nosuch'], ['LATENCY', 'GRAPH', 'COMMAND'], ['LATENCY', 'GRAPH'], ['LATENCY', 'GRAPH', 'a', 'b']]);
    for (const conn of [c, d.reference]) await conn.send('HELLO', '3');
    const [a3, b3] = await Promise.all([c.send('LATENCY', 'GRAPH', 'command'), d.reference.send('LATENCY', 'GRAPH', 'command')]);
    assert.is(a3.t, b3.t);
    for (const conn of [c, d.reference]) {
      await conn.send('HELLO', '2');
      await conn.send('CONFIG', 'SET', 'latency-monitor-threshold', '0');
      await conn.send('LATENCY', 'RESET');
    }
  });

  t('HDR histogram arithmetic: the values Redis reports for known durations', () => {
    const h = new Histogram();
    h.record(1000);
    assert.is((h.valueAtPercentile(50) / 1000).toFixed(3), '1.003');
    h.record(3000);
    h.record(250_000);
    assert.equal(h.cdf(), [
      [1, 1],
      [4, 2],
      [264, 3],
    ]);
    assert.is((h.valueAtPercentile(99.9) / 1000).toFixed(3), '250.879');
    const one = new Histogram();
    one.record(0);
    assert.is((one.valueAtPercentile(50) / 1000).toFixed(3), '0.001');
  });
  t.run();
}
