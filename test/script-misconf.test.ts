/**
 * MISCONF inside scripts (Redis 7.0 scriptVerifyWriteCommandAllow and evalGetCommandFlags): after
 * a failed BGSAVE with save points and stop-writes-on-bgsave-error, redis.call of a write command
 * fails with the MISCONF error (unless the script already wrote), redis.pcall returns it, reads
 * still work, and scripts/functions that declare flags without no-writes are refused before
 * they run (also inside MULTI). Every reply compared with real Redis 7.0, both engines.
 * Registered only when redis-server is installed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LIB = "#!lua name=lib\nredis.register_function('fw', function(k, a) return redis.call('set', 'fk', '1') end)\nredis.register_function{function_name='fr', callback=function(k, a) return redis.call('get', 'a') end, flags={'no-writes'}}";

const CMDS: string[][] = [
  ['SET', 'b', '1'],
  ['EVAL', "return redis.call('set','k','v')", '0'],
  ['EVAL', "local ok, e = pcall(redis.call, 'set', 'k', 'v'); return tostring(e and e.err or ok)", '0'],
  ['EVAL', "return redis.pcall('set','k','v')", '0'],
  ['EVAL', "return redis.call('get','a')", '0'],
  ['EVAL', "return redis.call('publish','ch','m')", '0'],
  ['EVAL', "#!lua\nreturn redis.call('get','a')", '0'],
  ['EVAL', "#!lua flags=no-writes\nreturn redis.call('get','a')", '0'],
  ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set','a','2')", '0'],
  ['EVAL_RO', "#!lua\nreturn redis.call('get','a')", '0'],
  ['FCALL', 'fw', '0'],
  ['FCALL', 'fr', '0'],
  ['FCALL_RO', 'fr', '0'],
  ['MULTI'],
  ['EVAL', "#!lua\nreturn 1", '0'],
  ['EXEC'],
  ['MULTI'],
  ['EVAL', "return redis.call('set','m','1')", '0'],
  ['EXEC'],
  ['GET', 'k'],
];

async function failedSave(port: number, dir: string): Promise<RawConnection> {
  const c = await RawConnection.connect(port);
  await c.send('FUNCTION', 'LOAD', LIB);
  await c.send('SET', 'a', '1');
  fs.rmSync(dir, { recursive: true, force: true });
  await c.send('BGSAVE');
  for (let i = 0; i < 500; i++) {
    const info = renderNode(await c.send('INFO', 'persistence'));
    if (/rdb_bgsave_in_progress:0/.test(info) && /rdb_last_bgsave_status:err/.test(info)) break;
    await sleep(10);
  }
  return c;
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`MISCONF in scripts [${engine}]`);
    t('after a failed BGSAVE: script writes get MISCONF as in Redis', async () => {
      const mineDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-misconf-'));
      const theirDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-misconf-ref-'));
      const srv = await startRedust(engine, { config: { dir: mineDir, save: '3600 1' } });
      const ref = await startReference(['--dir', theirDir, '--save', '3600 1']);
      try {
        const a = await failedSave(srv.port, mineDir);
        const b = await failedSave(ref.port, theirDir);
        assert.match(renderNode(await b.send('SET', 'x', '1')), /MISCONF/);
        for (const cmd of CMDS) {
          assert.is(renderNode(await a.send(...cmd)), renderNode(await b.send(...cmd)), cmd.join(' '));
        }
        a.close();
        b.close();
      } finally {
        await srv.close();
        await ref.stop();
        fs.rmSync(mineDir, { recursive: true, force: true });
        fs.rmSync(theirDir, { recursive: true, force: true });
      }
    });
    t.run();
  }
} else {
  console.log('script-misconf: redis-server not installed, tests skipped');
}
