/**
 * The command-format rewrite's string records (persistence/aof-rewrite.ts record() and bulk(),
 * the wasm engine's path; js-map's goes through key()): every length class of the `$<len>`
 * header (1 to 6 digits), int-encoded values, empty values, binary bytes, keys with and without a
 * TTL. After BGREWRITEAOF with aof-use-rdb-preamble no, on both engines: redis-check-aof accepts
 * the directory, Redust restarts from it to the same DEBUG DIGEST, and real Redis 7.0 loads it to
 * that digest too (when redis-server is installed).
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { digest } from './helpers/aof-pair';
import { RawConnection, waitLoaded } from './helpers/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rewriteDone(c: RawConnection): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const info = await c.send('INFO', 'persistence');
    if (/aof_rewrite_in_progress:0/.test((info as { v: Buffer }).v.latin1Slice())) return;
    await sleep(10);
  }
  throw new Error('the rewrite did not end');
}

for (const engine of enginesUnderTest()) {
  const t = suite(`aof rewrite records [${engine}]`);

  t('every bulk length class, ints, empty and binary values, TTLs: the rewritten base loads back the same', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofrec-'));
    const srv = await startRedust(engine, { config: { dir, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
    let again: Awaited<ReturnType<typeof startRedust>> | null = null;
    try {
      const c = await RawConnection.connect(srv.port);
      const far = Date.now() + 3_600_000;
      const writes: Promise<unknown>[] = [];
      for (const len of [0, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 200000]) {
        writes.push(c.send('SET', `len:${len}`, 'v'.repeat(len)));
        writes.push(c.send('SET', `ttl:${len}`, 'w'.repeat(len), 'PXAT', String(far + len)));
        writes.push(c.send('SET', 'k'.repeat(Math.min(len, 5000) + 1), String(len)));
      }
      for (const n of ['0', '7', '-1', '127', '-128', '32767', '-32768', '2147483647', '-2147483648', '4294967296', '12345678901']) writes.push(c.send('SET', `int:${n}`, n));
      writes.push(c.send('SET', Buffer.from([0, 13, 10, 255]), Buffer.from([36, 13, 10, 42, 0])));
      for (let i = 0; i < 3000; i++) writes.push(c.send('SET', `many:${i}`, `value:${i}`));
      writes.push(c.send('RPUSH', 'list', 'a', 'b'));
      await Promise.all(writes);
      const before = await digest(srv.port);
      const r = await c.send('BGREWRITEAOF');
      assert.is(r.t, 'simple');
      await rewriteDone(c);
      c.close();
      await srv.close();
      const adir = path.join(dir, 'appendonlydir');
      assert.ok(fs.readdirSync(adir).some((f) => f.endsWith('.base.aof')), 'a command-format base');
      const check = spawnSync('redis-check-aof', [path.join(adir, 'appendonly.aof.manifest')], { encoding: 'latin1' });
      if (check.status !== null && !check.error) assert.is(check.status, 0, check.stdout + check.stderr);
      again = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      assert.is(await digest(again.port), before, 'Redust restarted from its rewrite');
      await again.close();
      again = null;
      if (haveRedisServer()) {
        const theirs = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofrec-'));
        fs.cpSync(adir, path.join(theirs, 'appendonlydir'), { recursive: true });
        const ref = await startReference(['--dir', theirs, '--appendonly', 'yes']);
        try {
          await waitLoaded(ref.port); // (Redis answers DEBUG DIGEST while it loads)
          assert.is(await digest(ref.port), before, 'real Redis started from the rewrite');
        } finally {
          await ref.stop();
          fs.rmSync(theirs, { recursive: true, force: true });
        }
      }
    } finally {
      await srv.close().catch(() => undefined);
      await again?.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t.run();
}
