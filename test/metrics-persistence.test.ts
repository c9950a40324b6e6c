/**
 * Prometheus persistence series: redust_rdb_last_save_timestamp (= LASTSAVE),
 * redust_rdb_last_save_duration_seconds, redust_rdb_save_failures_total and the AOF counterparts
 * (rewrite time and duration, rewrite and write failures) move with SAVE, a failed BGSAVE and
 * BGREWRITEAOF, with their types and HELP lines. Both engines.
 */
import http from 'http';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, startRedust } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function scrape(port: number): Promise<Map<string, { v: number; type: string }>> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/metrics`, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => {
          const types = new Map<string, string>();
          const out = new Map<string, { v: number; type: string }>();
          for (const line of body.split('\n')) {
            const t = /^# TYPE (\S+) (\S+)$/.exec(line);
            if (t) types.set(t[1], t[2]);
            const m = /^(redust_(?:rdb|aof)_\w+) (\S+)$/.exec(line);
            if (m) out.set(m[1], { v: Number(m[2]), type: types.get(m[1]) ?? '' });
          }
          resolve(out);
        });
      })
      .on('error', reject);
  });
}

async function waitInfo(c: RawConnection, re: RegExp): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (re.test(text(await c.send('INFO', 'persistence')))) return;
    await sleep(10);
  }
  throw new Error(`INFO never matched ${re}`);
}

for (const engine of enginesUnderTest()) {
  const t = suite(`metrics persistence [${engine}]`);
  t('RDB and AOF series follow saves, failures and rewrites', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-mp-'));
    const mport = await freePort();
    const srv = await startRedust(engine, { config: { 'metrics-addr': `127.0.0.1:${mport}`, dir, save: '3600 1', appendonly: 'yes' } });
    try {
      const c = await RawConnection.connect(srv.port);
      let m = await scrape(mport);
      for (const [name, type] of [
        ['redust_rdb_last_save_timestamp', 'gauge'],
        ['redust_rdb_last_save_duration_seconds', 'gauge'],
        ['redust_rdb_save_failures_total', 'counter'],
        ['redust_aof_last_rewrite_timestamp', 'gauge'],
        ['redust_aof_last_rewrite_duration_seconds', 'gauge'],
        ['redust_aof_rewrite_failures_total', 'counter'],
        ['redust_aof_write_failures_total', 'counter'],
      ]) {
        assert.ok(m.has(name), name);
        assert.is(m.get(name)!.type, type, name);
      }
      assert.is(m.get('redust_rdb_save_failures_total')!.v, 0);
      assert.is(m.get('redust_rdb_last_save_duration_seconds')!.v, -1);
      assert.is(m.get('redust_aof_enabled')!.v, 1);
      for (let i = 0; i < 100; i++) await c.send('SET', `k${i}`, 'v');
      assert.is(text(await c.send('SAVE')), 'OK');
      m = await scrape(mport);
      const lastsave = (await c.send('LASTSAVE')) as { v: bigint };
      assert.is(m.get('redust_rdb_last_save_timestamp')!.v, Number(lastsave.v));
      assert.ok(m.get('redust_rdb_last_save_duration_seconds')!.v >= 0);
      assert.is(m.get('redust_rdb_changes_since_last_save')!.v, 0);
      // A failed BGSAVE (the directory is gone) counts.
      const aofDir = path.join(dir, 'appendonlydir');
      const keep = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-mp-keep-'));
      fs.renameSync(aofDir, path.join(keep, 'appendonlydir'));
      fs.rmSync(dir, { recursive: true, force: true });
      await c.send('BGSAVE');
      await waitInfo(c, /rdb_bgsave_in_progress:0[^]*rdb_last_bgsave_status:err/);
      m = await scrape(mport);
      assert.is(m.get('redust_rdb_save_failures_total')!.v, 1);
      fs.mkdirSync(dir);
      fs.renameSync(path.join(keep, 'appendonlydir'), aofDir);
      fs.rmSync(keep, { recursive: true, force: true });
      // A completed AOF rewrite sets its time and duration.
      assert.is(text(await c.send('BGREWRITEAOF')), 'Background append only file rewriting started');
      await waitInfo(c, /aof_rewrite_in_progress:0/);
      m = await scrape(mport);
      assert.ok(Math.abs(m.get('redust_aof_last_rewrite_timestamp')!.v - Date.now() / 1000) < 30);
      assert.ok(m.get('redust_aof_last_rewrite_duration_seconds')!.v >= 0);
      assert.is(m.get('redust_aof_rewrites_total')!.v, 1);
      assert.is(m.get('redust_aof_rewrite_failures_total')!.v, 0);
      c.close();
    } finally {
      await srv.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
  t.run();
}
