/**
 * redis-py, the Python client (Debian's python3-redis, which .ci/run installs), against Redust on
 * every engine and against real Redis 7.0: test/clients/redis_py_flow.py runs the same program
 * (reply callbacks, pipelines, WATCH transactions, Script objects, locks, pub/sub, scan_iter,
 * streams, errors) against each server and prints its results; the documents must be equal.
 */
import { spawn, spawnSync } from 'child_process';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, haveRedisServer, referenceRunOnce, startRedust } from './helpers/servers';

const SCRIPT = path.join(__dirname, '..', '..', 'test', 'clients', 'redis_py_flow.py');

/** A Python 3 that can `import redis` (Debian's /usr/bin/python3 first: a pyenv shim may lack it). */
function findPython(): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(exe, ['-c', 'import redis'], { stdio: 'ignore' }).status === 0) return exe;
  }
  return null;
}

const PYTHON = findPython();
const HAVE_REF = haveRedisServer();

/** Run the flow against `port` (asynchronously: an embedded server must keep answering). */
function runFlow(port: number): Promise<[string, unknown][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON!, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`redis_py_flow.py exited ${code}: ${err}`));
      else resolve(JSON.parse(out) as [string, unknown][]);
    });
  });
}

const referenceResults = referenceRunOnce(runFlow);

for (const engine of enginesUnderTest()) {
  const t = suite(`redis-py [${engine}]`);
  if (PYTHON === null || !HAVE_REF) {
    // (named in the run's output: the skip says which of the two is missing)
    t.skip(`redis-py flow equals Redis's (${PYTHON === null ? 'no python3 with the redis module' : 'no redis-server'})`);
  } else {
    t('redis-py flow equals Redis\'s, result by result', async () => {
      const expected = await referenceResults();
      const srv = await startRedust(engine);
      try {
        const got = await runFlow(srv.port);
        assert.is(got.length, expected.length);
        for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i], `step ${expected[i][0]}`);
      } finally {
        await srv.close();
      }
    });
  }
  t.run();
}
