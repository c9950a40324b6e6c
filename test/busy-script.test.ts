/**
 * Long-running scripts, as Redis 7.0 handles them: past busy-reply-threshold other clients get
 * BUSY, SCRIPT KILL stops a script that has not written, a script that wrote is UNKILLABLE, and
 * SHUTDOWN NOSAVE stops the server. Redust runs as a separate process (bin/redust.js) because a
 * script blocks the server's event loop; the same scenario runs against real Redis and the
 * transcripts must be identical.
 */
import { spawn, ChildProcess } from 'child_process';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, haveRedisServer, serverDir, startReference } from './helpers/servers';
import { encodeCommand, RawConnection, Arg, waitAccepting } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

const BIN = path.join(__dirname, '..', '..', 'bin', 'redust.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  port: number;
  stop(): Promise<void>;
  exited(): boolean;
}

async function startRedustProcess(engine: string): Promise<Target> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [BIN, '--port', String(port), '--engine', engine, '--busy-reply-threshold', '100', '--loglevel', 'warning', '--save', '', '--dir', serverDir()], { stdio: 'ignore' });
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitAccepting(port);
  return {
    port,
    exited: () => exited,
    stop: async () => {
      if (!exited) {
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
      }
    },
  };
}

async function startRedisProcess(): Promise<Target> {
  const ref = await startReference(['--busy-reply-threshold', '100']);
  let exited = false;
  return {
    port: ref.port,
    exited: () => exited,
    stop: async () => {
      exited = true;
      await ref.stop();
    },
  };
}

/** The scenario; returns its transcript. */
async function scenario(t: Target): Promise<string[]> {
  const log: string[] = [];
  const a = await RawConnection.connect(t.port);
  const b = await RawConnection.connect(t.port);
  const rec = async (who: string, c: RawConnection, ...args: Arg[]) => log.push(`${who}> ${args.join(' ')} => ${renderNode(await c.send(...args))}`);
  await rec('b', b, 'SCRIPT', 'KILL');
  // 1. A read-only runaway script: BUSY for others, then SCRIPT KILL.
  await rec('b', b, 'MULTI');
  a.write(encodeCommand(['EVAL', 'local i = 0 while true do i = i + 1 end', '0']));
  await sleep(400);
  // A transaction meeting a busy script: queuing is refused and EXEC names the error.
  await rec('b', b, 'SET', 'x', 'y');
  await rec('b', b, 'EXEC');
  await rec('b', b, 'MULTI');
  await rec('b', b, 'PING');
  await rec('b', b, 'DISCARD');
  await rec('b', b, 'MULTI');
  await rec('b', b, 'EXEC');
  await rec('b', b, 'GET', 'x');
  await rec('b', b, 'FUNCTION', 'KILL');
  await rec('b', b, 'SHUTDOWN');
  await rec('b', b, 'SCRIPT', 'KILL');
  log.push(`a< ${renderNode(await a.next(5000))}`);
  await rec('b', b, 'PING');
  await rec('a', a, 'GET', 'x');
  // 2. A script that wrote cannot be killed; SHUTDOWN NOSAVE stops the server.
  a.write(encodeCommand(['EVAL', "redis.call('set', 'x', '1') while true do end", '0']));
  await sleep(400);
  await rec('b', b, 'SCRIPT', 'KILL');
  b.write(encodeCommand(['SHUTDOWN', 'NOSAVE']));
  log.push(`b closed: ${await b.waitClosed(5000)}`);
  // Redis exits inside SHUTDOWN: from then on a connection is refused (Redis's unit/scripting).
  log.push(`new connection: ${await RawConnection.connect(t.port).then((c) => (c.close(), 'accepted'), (e: NodeJS.ErrnoException) => e.code)}`);
  log.push(`a closed: ${await a.waitClosed(5000)}`);
  return log;
}

const HAVE_REF = haveRedisServer();

for (const engine of enginesUnderTest()) {
  const t = suite(`busy scripts [${engine}]`);

  t('BUSY, SCRIPT KILL, UNKILLABLE and SHUTDOWN NOSAVE behave as in Redis 7.0', async () => {
    const ours = await startRedustProcess(engine);
    let mine: string[];
    try {
      mine = await scenario(ours);
      for (let i = 0; i < 100 && !ours.exited(); i++) await sleep(50);
      assert.ok(ours.exited(), 'SHUTDOWN NOSAVE during a busy script stops the process');
    } finally {
      await ours.stop();
    }
    if (process.env.SHOW_TRANSCRIPT) console.log(mine.join("\n"));
    assert.ok(mine.some((l) => l.startsWith('b> GET x => -BUSY Redis is busy running a script.')), mine.join('\n'));
    if (HAVE_REF) {
      const ref = await startRedisProcess();
      try {
        assert.equal(mine, await scenario(ref));
      } finally {
        await ref.stop();
      }
    }
  });

  t.run();
}
