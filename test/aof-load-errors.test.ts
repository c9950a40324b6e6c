/**
 * Commands of an AOF that reply an error while it loads (afterErrorReply for Redis's
 * AOF-loading client), side by side with real Redis 7.0, both engines: the load goes on, every
 * error counts in INFO (total_error_replies, unexpected_error_replies, errorstats) and is logged
 * as "== CRITICAL == This server is sending an error to its AOF-loading-client: ..." with Redis's
 * text; with propagation-error-behavior panic the server panics (SIGABRT) with Redis's message.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawn } from 'child_process';
import { enginesUnderTest, freePort, haveRedisServer } from './helpers/servers';
import { RawConnection, text } from './helpers/raw';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');

function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** An old-style single appendonly.aof: a string, an INCR and an SADD on it that fail, then more writes. */
const AOF = cmd('SET', 'k', 'abc') + cmd('INCR', 'k') + cmd('SADD', 'k', 'm') + cmd('LPUSH', 'k', 'x') + cmd('SET', 'j', '1');

/** A server (Redust of `engine`, or redis-server) started on a dir holding AOF; its exit code, log and (when it serves) a connection. */
async function startOn(server: string, mode: string): Promise<{ dir: string; port: number; exited: Promise<number | null>; log: () => string; conn: RawConnection | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofload-'));
  fs.writeFileSync(path.join(dir, 'appendonly.aof'), AOF);
  const port = await freePort();
  const logFile = path.join(dir, 'log');
  const common = ['--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--logfile', logFile, '--propagation-error-behavior', mode];
  const child = server === 'redis' ? spawn('redis-server', [...common, '--bind', '127.0.0.1'], { stdio: 'ignore' }) : spawn(process.execPath, [BIN, ...common, '--engine', server], { stdio: 'ignore' });
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(signal === 'SIGABRT' ? 134 : code)));
  let conn: RawConnection | null = null;
  let done = false;
  void exited.then(() => (done = true));
  for (let i = 0; i < 200 && conn === null && !done; i++) {
    await new Promise((r) => setTimeout(r, 25));
    conn = await RawConnection.connect(port).catch(() => null);
  }
  return { dir, port, exited, conn, log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '') };
}

/** The CRITICAL and panic lines of a log, without timestamps or JSON framing. */
function critical(log: string): string[] {
  return [...log.matchAll(/(== CRITICAL == [^"\n]*|Guru Meditation: This server panicked[^#"\n]*)/g)].map((m) => m[1].trimEnd());
}

const fields = (info: string, names: string[]) => names.map((n) => new RegExp(`^${n}:(.*?)\\r?$`, 'm').exec(info)?.[0]?.trim());

const t = suite('AOF load errors');
for (const engine of enginesUnderTest()) {
  (haveRedisServer() ? t : t.skip)(`${engine}: errors replied while loading are counted and logged as Redis does; the load goes on`, async () => {
    const runs = await Promise.all([startOn(engine, 'ignore'), startOn('redis', 'ignore')]);
    try {
      const seen = [];
      for (const r of runs) {
        assert.ok(r.conn, 'serving');
        const c = r.conn!;
        const stats = text(await c.send('INFO', 'stats'));
        const errors = text(await c.send('INFO', 'errorstats'));
        seen.push({
          stats: fields(stats, ['total_error_replies', 'unexpected_error_replies']),
          errorstats: errors.trim().split(/\r?\n/).slice(1).sort(),
          data: [text(await c.send('GET', 'k')), text(await c.send('GET', 'j'))],
          log: critical(r.log()),
        });
      }
      assert.equal(seen[0], seen[1]);
      assert.is(seen[0].log.length, 3);
    } finally {
      // (SHUTDOWN answers nothing: the server closes the connection and exits)
      for (const r of runs) r.conn?.socket.write('SHUTDOWN NOSAVE\r\n');
      for (const r of runs) {
        await r.exited;
        fs.rmSync(r.dir, { recursive: true, force: true });
      }
    }
  });

  (haveRedisServer() ? t : t.skip)(`${engine}: propagation-error-behavior panic ends the load with Redis's panic`, async () => {
    const runs = await Promise.all([startOn(engine, 'panic'), startOn('redis', 'panic')]);
    try {
      const codes = await Promise.all(runs.map((r) => r.exited));
      assert.equal(codes, [134, 134], 'both abort');
      const logs = runs.map((r) => critical(r.log()));
      assert.equal(logs[0], logs[1]);
      assert.match(logs[0].join('\n'), /panicked sending an error to its AOF-loading-client after processing the command 'incr'/);
    } finally {
      for (const r of runs) fs.rmSync(r.dir, { recursive: true, force: true });
    }
  });
}
t.run();
