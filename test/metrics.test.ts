/**
 * The Prometheus endpoint: a scrape has redis_exporter's names, types and HELP lines, and its
 * values agree with INFO at the same moment; the redust_* runtime figures are present.
 */
import http from 'http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, startRedust } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';
import type { RedustServer } from '../src/index';

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/metrics`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/** name{labels} -> value, and name -> type / help. */
function parse(body: string) {
  const values = new Map<string, number>();
  const types = new Map<string, string>();
  const helps = new Map<string, string>();
  for (const line of body.split('\n')) {
    if (!line) continue;
    let m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m) {
      types.set(m[1], m[2]);
      continue;
    }
    m = /^# HELP (\S+) (.+)$/.exec(line);
    if (m) {
      helps.set(m[1], m[2]);
      continue;
    }
    m = /^(\S+?(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(m, `sample line: ${line}`);
    values.set(m![1], Number(m![2]));
  }
  return { values, types, helps };
}

const EXPORTER_SET: [string, string][] = [
  ['redis_up', 'gauge'],
  ['redis_instance_info', 'gauge'],
  ['redis_uptime_in_seconds', 'gauge'],
  ['redis_connected_clients', 'gauge'],
  ['redis_blocked_clients', 'gauge'],
  ['redis_memory_used_bytes', 'gauge'],
  ['redis_memory_max_bytes', 'gauge'],
  ['redis_commands_total', 'counter'],
  ['redis_commands_duration_seconds_total', 'counter'],
  ['redis_keyspace_hits_total', 'counter'],
  ['redis_keyspace_misses_total', 'counter'],
  ['redis_db_keys', 'gauge'],
  ['redis_db_keys_expiring', 'gauge'],
  ['redis_expired_keys_total', 'counter'],
  ['redis_evicted_keys_total', 'counter'],
  ['redis_net_input_bytes_total', 'counter'],
  ['redis_net_output_bytes_total', 'counter'],
  ['redis_connections_received_total', 'counter'],
  ['redis_commands_processed_total', 'counter'],
  ['redis_errors_total', 'counter'],
  ['redust_engine_info', 'gauge'],
  ['redust_v8_heap_used_bytes', 'gauge'],
  ['redust_event_loop_lag_seconds', 'gauge'],
  ['redust_gc_pause_seconds_total', 'counter'],
];

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer; mport: number }>(`metrics [${engine}]`);
  t.before(async (ctx) => {
    ctx.mport = await freePort();
    ctx.srv = await startRedust(engine, { config: { 'metrics-addr': `127.0.0.1:${ctx.mport}`, maxmemory: '100mb', 'maxmemory-policy': 'allkeys-random' } });
  });
  t.after(async (ctx) => {
    await ctx.srv.close();
  });

  t("redis_exporter's names, types and HELP lines; values equal INFO's", async ({ srv, mport }) => {
    const c = await RawConnection.connect(srv.port);
    await c.send('SET', 'a', '1');
    await c.send('SET', 'b', '1', 'EX', '100');
    await c.send('SELECT', '2');
    await c.send('SET', 'c', '1');
    await c.send('GET', 'c');
    await c.send('GET', 'nope');
    await c.send('SET', 'str', 'x');
    await c.send('INCR', 'str');
    await c.send('HGET', 'c', 'f');
    await c.send('CLIENT', 'ID');
    const info = text(await c.send('INFO', 'everything'));
    const body = await scrape(mport);
    const { values, types, helps } = parse(body);
    for (const [name, type] of EXPORTER_SET) {
      assert.is(types.get(name), type, `TYPE of ${name}`);
      assert.ok(helps.get(name), `HELP of ${name}`);
    }
    const infoNum = (f: string) => Number(new RegExp(`^${f}:(\\d+)`, 'm').exec(info)![1]);
    assert.is(values.get('redis_up'), 1);
    assert.is(values.get('redis_connected_clients'), infoNum('connected_clients'));
    assert.is(values.get('redis_memory_max_bytes'), infoNum('maxmemory'));
    assert.is(values.get('redis_keyspace_hits_total'), infoNum('keyspace_hits'));
    assert.is(values.get('redis_keyspace_misses_total'), infoNum('keyspace_misses'));
    assert.is(values.get('redis_expired_keys_total'), infoNum('expired_keys'));
    assert.is(values.get('redis_evicted_keys_total'), infoNum('evicted_keys'));
    assert.is(values.get('redis_db_keys{db="db0"}'), 2);
    assert.is(values.get('redis_db_keys_expiring{db="db0"}'), 1);
    assert.is(values.get('redis_db_keys{db="db2"}'), 2);
    assert.is(values.get('redis_commands_total{cmd="set"}'), Number(/cmdstat_set:calls=(\d+)/.exec(info)![1]));
    assert.is(values.get('redis_commands_total{cmd="client|id"}'), 1);
    assert.is(values.get('redis_commands_failed_calls_total{cmd="incr"}'), 1);
    assert.is(values.get('redis_errors_total{err="WRONGTYPE"}'), 1);
    assert.is(values.get('redis_errors_total{err="ERR"}'), 1);
    const usec = Number(/cmdstat_set:calls=\d+,usec=(\d+)/.exec(info)![1]);
    assert.ok(Math.abs(values.get('redis_commands_duration_seconds_total{cmd="set"}')! - usec / 1e6) < 0.01);
    assert.ok(values.get('redis_net_input_bytes_total')! >= infoNum('total_net_input_bytes'));
    assert.match(body, new RegExp(`redis_instance_info\\{[^}]*redis_version="7\\.0\\.\\d+"[^}]*\\} 1`));
    assert.match(body, /redis_instance_info\{[^}]*maxmemory_policy="allkeys-random"/);
    assert.is(values.get(`redust_engine_info{engine="${engine}"}`), 1);
    assert.ok(values.get('redust_v8_heap_used_bytes')! > 0);
    assert.ok(values.get('redust_event_loop_lag_seconds{quantile="0.99"}')! >= 0);
    c.close();
  });
  t.run();
}
