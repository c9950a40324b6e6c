/**
 * DEBUG PANIC and DEBUG ASSERT end the process as Redis 7.0's do: the bug report's first lines in
 * the log, then abort (SIGABRT) by default, or exit code 1 under the hidden setting
 * use-exit-on-panic yes. DEBUG SEGFAULT and a SIGABRT sent to the process: "crashed by signal" in
 * the log, then the process ends by that signal. Redust's CLI and redis-server get the same commands; the way each process
 * ends must be the same. Registered only when redis-server is installed.
 */
import { spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, haveRedisServer } from './helpers/servers';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

type Ending = { code: number | null; signal: NodeJS.Signals | null; log: string; config: string[] };

/** Start `cmd args` on a free port, read the setting, send DEBUG `sub`, and wait for the process to end. */
async function crash(cmd: string, args: string[], sub: string): Promise<Ending> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-panic-'));
  const child = spawn(cmd, [...args, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--enable-debug-command', 'yes', '--dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  try {
    let conn: RawConnection | null = null;
    for (let i = 0; i < 100 && conn === null; i++) {
      conn = await RawConnection.connect(port).catch(() => null);
      if (conn === null) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(conn, `${cmd} did not start: ${log}`);
    const config = [renderNode(await conn.send('CONFIG', 'GET', 'use-exit-on-panic')), renderNode(await conn.send('CONFIG', 'GET', '*exit-on*'))];
    if (sub === 'SIGABRT') child.kill('SIGABRT');
    else conn.send('DEBUG', sub).catch(() => undefined);
    const end = await ended;
    conn.close();
    return { ...end, log, config };
  } finally {
    child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const redust = path.join(__dirname, '..', '..', 'bin', 'redust.js');

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`panic [${engine}]`);
    for (const sub of ['PANIC', 'ASSERT', 'SEGFAULT', 'SIGABRT']) {
      for (const exitOnPanic of [[], ['--use-exit-on-panic', 'yes']]) {
        t(`${sub === 'SIGABRT' ? 'SIGABRT sent to the process' : `DEBUG ${sub}`}${exitOnPanic.length ? ' under use-exit-on-panic yes' : ''}: the process ends as Redis's`, async () => {
          const ref = await crash('redis-server', exitOnPanic, sub);
          const mine = await crash(process.execPath, [redust, '--engine', engine, ...exitOnPanic], sub);
          assert.equal(mine.config, ref.config, 'the hidden setting');
          assert.is(mine.signal, ref.signal, `signal (log: ${mine.log.slice(-500)})`);
          assert.is(mine.code, ref.code, 'exit code');
          // (A signal ends the process by that signal whatever use-exit-on-panic says.)
          const byPanic = sub === 'PANIC' || sub === 'ASSERT';
          assert.is(mine.signal ?? String(mine.code), !byPanic ? (sub === 'SEGFAULT' ? 'SIGSEGV' : 'SIGABRT') : exitOnPanic.length ? '1' : 'SIGABRT');
          const line =
            sub === 'PANIC'
              ? /Guru Meditation: DEBUG PANIC called at Unix time \d+ #/
              : sub === 'ASSERT'
                ? /=== ASSERTION FAILED ===[\s\S]*==> debug\.\w+\S* '1 == 2' is not true/
                : new RegExp(`crashed by signal: ${sub === 'SEGFAULT' ? 11 : 6}\\b`);
          assert.match(ref.log, line);
          assert.match(mine.log, line);
          assert.match(mine.log, /BUG REPORT START/);
        });
      }
    }
    t.run();
  }
} else {
  console.log('panic: redis-server not installed, tests skipped');
}
