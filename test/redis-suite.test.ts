/**
 * Redis 7.0.15's own test suite (its tests/ directory, from the source release Debian packages),
 * run against Redust in the suite's external-server mode: `tclsh tests/test_helper.tcl --host
 * --port --single <unit>`, one fresh Redust per unit and engine. Each unit listed here passes in
 * full except the tests named beside it, skipped for a reason given there (something Redust does
 * not have, such as replication, or a test of Redis's own process). A unit passes when the suite
 * prints "All tests passed without errors"; otherwise the failing tests' names are reported.
 *
 * Needs tclsh and the source tree: .ci/run installs tcl and unpacks redis_7.0.15.orig.tar.gz
 * (checked against its SHA-256) into .cache/; REDUST_REDIS_SRC points elsewhere. Without them the
 * suite is skipped, saying why.
 */
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import path from 'path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, freePort, startCli } from './helpers/servers';
import type { EngineName } from '../src/engine/types';

const SRC = process.env.REDUST_REDIS_SRC ?? path.join(__dirname, '..', '..', '.cache', 'redis-7.0.15');
const HAVE = fs.existsSync(path.join(SRC, 'tests', 'test_helper.tcl')) && spawnSync('tclsh', [], { input: 'exit 0\n' }).status === 0;

/** Tests that need replication (a replica fed by SYNC): Redust has none. */
const REPLICATION = ['needs:repl'];

/**
 * The units, each with the tests skipped in it (the suite's --skiptest: a test's name, or a
 * regular expression after '/') and why.
 */
const UNITS: { unit: string; skip?: string[] }[] = [
  { unit: 'unit/type/string' },
  { unit: 'unit/type/incr' },
  { unit: 'unit/type/hash' },
  { unit: 'unit/type/zset' },
  { unit: 'unit/type/list-2' },
  { unit: 'unit/keyspace' },
  { unit: 'unit/scan' },
  { unit: 'unit/sort' },
  { unit: 'unit/multi' },
  { unit: 'unit/dump' },
  { unit: 'unit/bitops' },
  { unit: 'unit/bitfield' },
  { unit: 'unit/geo' },
  { unit: 'unit/hyperloglog' },
  { unit: 'unit/protocol' },
  { unit: 'unit/quit' },
  { unit: 'unit/info-command' },
  { unit: 'unit/lazyfree' },
  { unit: 'unit/other' },
  { unit: 'unit/introspection-2' },
  { unit: 'unit/slowlog' },
  { unit: 'unit/pubsub' },
  { unit: 'unit/type/stream' },
  { unit: 'unit/type/stream-cgroups' },
  { unit: 'unit/functions' },
  // These attach to the replication stream (SYNC) without the needs:repl tag.
  { unit: 'unit/expire', skip: ['/Lazy-expire should not be wrapped in MULTI/EXEC'] },
  { unit: 'unit/tracking' },
  { unit: 'unit/pause' },
  { unit: 'unit/replybufsize' },
  { unit: 'unit/violations' },
  // min-replicas-to-write needs replicas.
  { unit: 'unit/scripting', skip: ['not enough good replicas'] },
  // This one kills the fork child of a BGSAVE by its pid (Redust does not fork).
  { unit: 'unit/type/set', skip: ['SRANDMEMBER with a dict containing long chain'] },
  // This one expects expiring a 1M-member set to stall the expire cycle for 20 ms; Redust frees
  // big values in slices (docs/compatibility.md).
  { unit: 'unit/latency-monitor', skip: ['LATENCY of expire events are correctly collected'] },
  // This one changes the port at run time, which Redust refuses (docs/compatibility.md).
  { unit: 'unit/introspection', skip: ['CONFIG SET rollback on apply error'] },
];

function runUnit(port: number, unit: string, skip: string[]): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    void (async () => {
      // The suite's own test server listens just below --baseport.
      const base = (await freePort()) + 40;
      const args = ['tests/test_helper.tcl', '--host', '127.0.0.1', '--port', String(port), '--single', unit, '--clients', '1', '--tags', `-${REPLICATION.join(' -')}`, '--baseport', String(base), '--timeout', '120'];
      for (const s of skip) args.push('--skiptest', s);
      const child = spawn('tclsh', args, { cwd: SRC, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve({ ok: out.includes('All tests passed without errors'), out });
      });
    })();
  });
}

/** The failed tests' lines of the suite's output, without colour codes. */
function failures(out: string): string {
  const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = plain.split('\n').filter((l) => /^\[(err|exception)\]|^\*\*\*|Expected|TIMEOUT/.test(l));
  return (lines.length ? lines : plain.split('\n').slice(-30)).slice(0, 40).join('\n');
}

if (!HAVE) console.log(`redis-suite: skipped (needs tclsh and Redis 7.0.15's source tree at ${SRC}; .ci/run installs both)`);
for (const engine of HAVE ? enginesUnderTest() : []) {
  const t = suite(`redis 7.0 test suite [${engine}]`);
  {
    for (const { unit, skip = [] } of UNITS) {
      t(unit, async () => {
        const port = await freePort();
        const srv = await startCli(['--port', String(port), '--engine', engine as EngineName, '--save', '', '--enable-debug-command', 'yes']);
        try {
          const r = await runUnit(port, unit, skip);
          assert.ok(r.ok, `${unit} on ${engine}:\n${failures(r.out)}`);
        } finally {
          srv.child.kill('SIGKILL');
          await srv.exited;
          fs.rmSync(srv.dir, { recursive: true, force: true });
        }
      });
    }
  }
  t.run();
}
