/**
 * redis-cli's operator modes against Redust: --stat (its table, rows every interval), --latency
 * (non-interactive: one "min max avg samples" line), --hotkeys (under an LFU policy: the hottest
 * key by OBJECT FREQ; without one: the same error as Redis). --bigkeys and --memkeys are in
 * debug-ops.test.ts.
 */
import { execFile, spawn, spawnSync } from 'child_process';
import { promisify } from 'util';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';

const run = promisify(execFile);
const HAVE_STDBUF = spawnSync('stdbuf', ['--version'], { stdio: 'ignore' }).status === 0;

/** Run a redis-cli that never ends by itself for `ms`, unbuffered, and return what it printed. */
function runFor(args: string[], ms: number): Promise<string> {
  return new Promise((resolve) => {
    const child = HAVE_STDBUF ? spawn('stdbuf', ['-o0', 'redis-cli', ...args]) : spawn('redis-cli', args);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('redis-cli ops', engine);

  diffTest(t, 'redis-cli --stat prints its table with a row per interval', async ({ srv }) => {
    if (!HAVE_STDBUF) return;
    await run('redis-cli', ['-p', String(srv.port), 'DEBUG', 'POPULATE', '7']);
    const out = await runFor(['-p', String(srv.port), '--stat', '-i', '0.2'], 1500);
    const lines = out.split('\n');
    assert.match(lines[0], /^------- data ------ -+ load -+ - child -/);
    assert.match(lines[1], /^keys\s+mem\s+clients\s+blocked\s+requests\s+connections/);
    const rows = lines.filter((l) => /^7\s+\S+\s+\d+\s+0\s+\d+ \(\+\d+\)\s+\d+/.test(l));
    assert.ok(rows.length >= 2, out);
  });

  diffTest(t, 'redis-cli --latency prints min, max, avg and samples', async ({ srv }) => {
    const { stdout } = await run('redis-cli', ['-p', String(srv.port), '--latency', '-i', '0.3'], { timeout: 10_000 });
    assert.match(stdout, /^\d+ \d+ \d+\.\d{2} \d+\n$/);
  });

  diffTest(t, 'redis-cli --hotkeys: the hottest key under allkeys-lfu; Redis\'s error otherwise', async ({ srv, ref }) => {
    // redis-cli exits 1 after an error reply: keep what it printed.
    const cli = (port: number, ...a: string[]) =>
      run('redis-cli', ['-p', String(port), ...a], { timeout: 20_000 }).catch((e: { stdout: string; stderr: string }) => ({ stdout: e.stdout, stderr: e.stderr }));
    await Promise.all([cli(srv.port, 'DEBUG', 'POPULATE', '20'), cli(ref.port, 'DEBUG', 'POPULATE', '20')]);
    const [a, b] = await Promise.all([cli(srv.port, '--hotkeys'), cli(ref.port, '--hotkeys')]);
    const err = (s: string) => s.split('\n').find((l) => l.startsWith('Error:'));
    assert.ok(err(a.stdout + a.stderr));
    assert.is(err(a.stdout + a.stderr), err(b.stdout + b.stderr));
    await cli(srv.port, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    try {
      for (let i = 0; i < 3; i++) await cli(srv.port, 'GET', 'key:4');
      const { stdout } = await cli(srv.port, '--hotkeys');
      assert.match(stdout, /Sampled 20 keys in the keyspace!/);
      assert.match(stdout, /hot key found with counter: \d+\tkeyname: "key:4"/);
    } finally {
      await cli(srv.port, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
  });

  t.run();
}
