/**
 * A failed background fsync under appendfsync everysec (Redis 7.0's aof_bio_fsync_status), both
 * engines. No filesystem at hand fails fsync on demand, so the server runs in this process and
 * the operating system's answer is replaced: fs.fdatasync fails with EIO, as a dying disk's
 * would. Then, as in Redis: writes, PING and writing scripts get `-MISCONF Errors writing to the
 * AOF file: Input/output error`, reads work, INFO says aof_last_write_status:err; once fsync
 * succeeds again (retried every second), writes work and the status is ok.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { enginesUnderTest, startRedust } from './helpers/servers';
import { R, RawConnection, text } from './helpers/raw';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MISCONF = 'MISCONF Errors writing to the AOF file: Input/output error';

async function until(what: string, test: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await test()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

for (const engine of enginesUnderTest()) {
  const t = suite(`aof fsync errors [${engine}]`);

  t('everysec: a failed fsync denies writes with MISCONF until an fsync succeeds', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-fsyncerr-'));
    const srv = await startRedust(engine, { config: { dir, appendonly: 'yes', appendfsync: 'everysec' } });
    const real = fs.fdatasync;
    const fsm = fs as unknown as { fdatasync: unknown };
    try {
      const c = await RawConnection.connect(srv.port);
      assert.equal(await c.send('SET', 'before', '1'), R.simple('OK'));
      fsm.fdatasync = (_fd: number, cb: (e: NodeJS.ErrnoException | null) => void) =>
        setImmediate(() => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO', errno: -5, syscall: 'fdatasync' })));
      // The write is answered (it is in the file), then the next second's fsync fails.
      assert.equal(await c.send('SET', 'acked', '1'), R.simple('OK'));
      await until('MISCONF', async () => {
        const r = await c.send('SET', 'probe', '1');
        return r.t === 'error';
      });
      assert.equal(await c.send('SET', 'x', '1'), R.err(MISCONF));
      assert.equal(await c.send('PING'), R.err(MISCONF));
      const script = await c.send('EVAL', "return redis.call('SET', 'y', '1')", '0');
      assert.is(script.t, 'error');
      assert.ok(text(script).startsWith(`${MISCONF} script: `), text(script));
      assert.equal(await c.send('GET', 'acked'), R.bulk('1'));
      assert.match(text(await c.send('INFO', 'persistence')), /aof_last_write_status:err/);
      fsm.fdatasync = real;
      await until('writes again', async () => (await c.send('SET', 'after', '1')).t !== 'error');
      assert.match(text(await c.send('INFO', 'persistence')), /aof_last_write_status:ok/);
      assert.equal(await c.send('PING'), R.simple('PONG'));
      c.close();
      // What was acknowledged is in the files.
      await srv.close();
      const back = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
      const b = await RawConnection.connect(back.port);
      assert.equal(await b.send('EXISTS', 'before', 'acked', 'after', 'x', 'y'), R.int(3));
      b.close();
      await back.close();
    } finally {
      fsm.fdatasync = real;
      await srv.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  t.run();
}
