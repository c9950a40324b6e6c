/**
 * Streams and consumer groups in the append-only file, compared with real Redis 7.0 (both engines):
 * - XREADGROUP, XCLAIM and XAUTOCLAIM propagated as Redis 7.0 rewrites them (XCLAIM ... TIME
 *   RETRYCOUNT FORCE JUSTID LASTID, XGROUP SETID ... ENTRIESREAD, XGROUP CREATECONSUMER), served
 *   blocked readers and scripts included: the incr files hold the same commands, and after a
 *   restart the groups, PELs and consumers are as before, with Redis's DEBUG DIGEST.
 * - the command-format base (aof-use-rdb-preamble no) writes streams as rewriteStreamObject does.
 * Registered only when redis-server is installed.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { Arg, RawConnection, encodeCommand, waitLoaded } from './helpers/raw';
import { renderNode, RespNode } from '../src/protocol/resp-reader';
import { parseAofCommand, parseManifest } from '../src/persistence/aof';
import { digest } from './helpers/aof-pair';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofs-'));

function aofCommands(file: string): string[][] {
  const buf = fs.readFileSync(file);
  const out: string[][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const p = parseAofCommand(buf, pos);
    if (typeof p === 'string') throw new Error(`${file}: ${p} at ${pos}`);
    out.push(p.argv.map((a) => a.latin1Slice()));
    pos = p.next;
  }
  return out;
}

function files(dir: string, type: 'b' | 'i'): string[] {
  const adir = path.join(dir, 'appendonlydir');
  const manifest = parseManifest(fs.readFileSync(path.join(adir, 'appendonly.aof.manifest'), 'latin1'));
  return manifest
    .filter((x) => x.type === type)
    .sort((a, b) => a.seq - b.seq)
    .map((e) => path.join(adir, e.name));
}

/** Absolute times differ between two servers: compare them rounded to minutes from now. */
function normalize(cmds: string[][], now: number): string[] {
  return cmds.map((argv) => argv.map((a) => (/^\d{13}$/.test(a) && Math.abs(Number(a) - now) < 86400_000 ? `<t+${Math.round((Number(a) - now) / 60_000)}m>` : a)).join(' '));
}

const WORKLOAD: Arg[][] = [
  ['XADD', 's', '1-0', 'a', '1'],
  ['XADD', 's', '2-0', 'b', '2'],
  ['XADD', 's', '3-0', 'c', '3'],
  ['XGROUP', 'CREATE', 's', 'g', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
  ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'carol', 'NOACK', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'dan', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'zed', 'NOACK', 'STREAMS', 's', '>'],
  ['XCLAIM', 's', 'g', 'erin', '0', '1-0'],
  ['XCLAIM', 's', 'g', 'erin', '0', '2', 'JUSTID'],
  ['XCLAIM', 's', 'g', 'erin', '0', '9-0'],
  ['XCLAIM', 's', 'g', 'newbie', '0', '9-0'],
  ['XADD', 's', '4-0', 'd', '4'],
  ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 's', '>'],
  ['XDEL', 's', '4-0'],
  ['XAUTOCLAIM', 's', 'g', 'frank', '0', '0-0', 'COUNT', '10'],
  ['XAUTOCLAIM', 's', 'g', 'frank', '0', '0-0', 'JUSTID'],
  ['XCLAIM', 's', 'g', 'gina', '0', '1-0', 'IDLE', '5', 'RETRYCOUNT', '7'],
  ['XCLAIM', 's', 'g', 'gina', '0', '2-0', 'LASTID', '10-0'],
  ['XCLAIM', 's', 'g', 'gina', '0', '99-0', 'LASTID', '20-0'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'hank'],
  ['XGROUP', 'SETID', 's', 'g', '2-0', 'ENTRIESREAD', '2'],
  ['XACK', 's', 'g', '1-0'],
  ['XGROUP', 'CREATE', 's', 'g2', '$'],
  ['XADD', 's', '40-0', 'e', '5'],
  ['EVAL', "return redis.call('XREADGROUP','GROUP','g2','kate','STREAMS','s','>')", '0'],
  ['MULTI'],
  ['XADD', 's', '41-0', 'f', '6'],
  ['XREADGROUP', 'GROUP', 'g2', 'kate', 'NOACK', 'STREAMS', 's', '>'],
  ['EXEC'],
  ['XADD', 'empty', '1-1', 'x', 'y'],
  ['XDEL', 'empty', '1-1'],
  ['XGROUP', 'CREATE', 'empty', 'eg', '0'],
];

async function workload(port: number): Promise<void> {
  const c = await RawConnection.connect(port);
  for (const cmd of WORKLOAD) await c.send(...cmd);
  // Blocked readers served by a later XADD (one NOACK with a new consumer).
  const w1 = await RawConnection.connect(port);
  const w2 = await RawConnection.connect(port);
  w1.write(encodeCommand(['XREADGROUP', 'GROUP', 'g2', 'ivan', 'NOACK', 'BLOCK', '0', 'STREAMS', 's', '>']));
  await sleep(30);
  w2.write(encodeCommand(['XREADGROUP', 'GROUP', 'g2', 'judy', 'BLOCK', '0', 'STREAMS', 's', '>']));
  await sleep(30);
  await c.send('XADD', 's', '50-0', 'g', '7');
  await w1.next();
  await c.send('XADD', 's', '51-0', 'h', '8');
  await w2.next();
  w1.close();
  w2.close();
  c.close();
}

/** The groups' state, without times (idle, seen-time, delivery times). */
async function groupState(port: number): Promise<string[]> {
  const c = await RawConnection.connect(port);
  const out: string[] = [];
  const strip = (n: RespNode) => renderNode(n).replace(/\b1\d{12}\b/g, 'T');
  for (const key of ['s', 'empty']) {
    out.push(strip(await c.send('XINFO', 'GROUPS', key)));
    for (const g of key === 's' ? ['g', 'g2'] : ['eg']) {
      out.push(strip(await c.send('XPENDING', key, g)));
      const p = (await c.send('XPENDING', key, g, '-', '+', '100')) as { v: { v: RespNode[] }[] };
      out.push(p.v.map((e) => [renderNode(e.v[0]), renderNode(e.v[1]), renderNode(e.v[3])].join(' ')).join(' | '));
      const cons = (await c.send('XINFO', 'CONSUMERS', key, g)) as { v: { v: RespNode[] }[] };
      out.push(cons.v.map((e) => `${renderNode(e.v[1])}:${renderNode(e.v[3])}`).join(' '));
    }
    out.push(strip(await c.send('XINFO', 'STREAM', key)).replace(/"(first|last)-entry"[^]*$/, ''));
  }
  c.close();
  return out;
}

/** Start real Redis on `dir` (appendonly yes), run fn, stop. */
async function withRedisOn<T>(dir: string, fn: (port: number) => Promise<T>): Promise<T> {
  const ref = await startReference(['--dir', dir, '--appendonly', 'yes']);
  try {
    await waitLoaded(ref.port);
    return await fn(ref.port);
  } finally {
    await ref.stop();
  }
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`aof streams [${engine}]`);

    t('an approximate trim with LIMIT replays to the same length under another stream-node-max-entries (Redis unit/type/stream)', async () => {
      const srv = await startRedust(engine, { config: { appendonly: 'yes', 'stream-node-max-entries': '10' } });
      try {
        const c = await RawConnection.connect(srv.port);
        for (let j = 0; j < 100; j++) await c.send('XADD', 'mystream', '*', 'xitem', 'v');
        await c.send('XADD', 'mystream', 'MAXLEN', '~', '55', 'LIMIT', '30', '*', 'xitem', 'v');
        await c.send('XTRIM', 'mystream', 'MAXLEN', '~', '40', 'LIMIT', '20');
        const before = renderNode(await c.send('XLEN', 'mystream'));
        assert.not.equal(before, ':101', 'the trims trimmed');
        await c.send('CONFIG', 'SET', 'stream-node-max-entries', '1');
        assert.is(renderNode(await c.send('DEBUG', 'LOADAOF')), '+OK');
        assert.is(renderNode(await c.send('XLEN', 'mystream')), before);
        c.close();
      } finally {
        await srv.close();
      }
    });

    t('XREADGROUP / XCLAIM / XAUTOCLAIM are propagated as Redis 7.0 does; state and digest survive a restart', async () => {
      const mine = tmpDir();
      const theirs = tmpDir();
      const srv = await startRedust(engine, { config: { dir: mine, appendonly: 'yes' } });
      const ref = await startReference(['--dir', theirs, '--appendonly', 'yes']);
      try {
        await workload(srv.port);
        await workload(ref.port);
        await sleep(50);
        let now = Date.now();
        const a = normalize(files(mine, 'i').flatMap(aofCommands), now);
        let b = normalize(files(theirs, 'i').flatMap(aofCommands), now);
        // Redis postpones its everysec write while a background fsync still runs (up to 2 s on a
        // slow disk): wait for its file to catch up before comparing.
        for (let i = 0; i < 60 && b.length < a.length; i++) {
          await sleep(50);
          now = Date.now();
          b = normalize(files(theirs, 'i').flatMap(aofCommands), now);
        }
        assert.equal(a, b);
        const state = await groupState(srv.port);
        assert.equal(state, await groupState(ref.port));
        const d = await digest(srv.port);
        assert.is(d, await digest(ref.port));
        await srv.close();
        await ref.stop();
        // A replay is not the live state (XCLAIM's LASTID does not carry entries-read), so compare
        // restarts: Redust on its files, Redis on its own files and on Redust's.
        const back = await startRedust(engine, { config: { dir: mine, appendonly: 'yes' } });
        let restarted: string[];
        try {
          restarted = await groupState(back.port);
          assert.is(await digest(back.port), d);
        } finally {
          await back.close();
        }
        assert.equal(restarted, await withRedisOn(theirs, groupState), 'Redust restarted = Redis restarted');
        assert.equal(await withRedisOn(mine, groupState), restarted, "Redis started from Redust's AOF");
        assert.is(await withRedisOn(mine, digest), d);
      } finally {
        await srv.close();
        await ref.stop();
        fs.rmSync(mine, { recursive: true, force: true });
        fs.rmSync(theirs, { recursive: true, force: true });
      }
    });

    t('aof-use-rdb-preamble no: the base holds streams as Redis writes them; Redis loads it with the same digest and groups', async () => {
      const mine = tmpDir();
      const theirs = tmpDir();
      const srv = await startRedust(engine, { config: { dir: mine, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
      const ref = await startReference(['--dir', theirs, '--appendonly', 'yes', '--aof-use-rdb-preamble', 'no']);
      try {
        for (const port of [srv.port, ref.port]) {
          await workload(port);
          const c = await RawConnection.connect(port);
          await c.send('PEXPIRE', 'empty', '10000000');
          await c.send('XADD', 'bin\x00key', '5-5', 'f\x00', 'v\xff', 'n', '12345');
          await c.send('HSET', 'h', 'a', '1');
          await c.send('BGREWRITEAOF');
          for (let i = 0; i < 500; i++) {
            const info = (await c.send('INFO', 'persistence')) as { v: Buffer };
            if (/aof_rewrite_in_progress:0/.test(info.v.latin1Slice()) && /aof_rewrite_scheduled:0/.test(info.v.latin1Slice())) break;
            await sleep(10);
          }
          c.close();
        }
        await sleep(50);
        const now = Date.now();
        // Keys come in each server's own order: compare each key's commands, in order.
        const byKey = (dir: string) => {
          const m = new Map<string, string[]>();
          const [base] = files(dir, 'b');
          assert.match(base, /\.base\.aof$/);
          for (const line of normalize(aofCommands(base), now)) {
            const argv = line.split(' ');
            const key = argv[0] === 'XGROUP' ? argv[2] : argv[0] === 'SELECT' ? '' : argv[1];
            if (key === '') continue;
            m.set(key, [...(m.get(key) ?? []), line]);
          }
          return [...m.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
        };
        const a = byKey(mine);
        assert.equal(a, byKey(theirs));
        assert.ok(a.some(([k, cmds]) => k === 'empty' && cmds[0] === 'XADD empty MAXLEN 0 0-1 x y'));
        const state = await groupState(srv.port);
        const d = await digest(srv.port);
        assert.is(d, await digest(ref.port));
        await srv.close();
        await ref.stop();
        const check = spawnSync('redis-check-aof', [path.join(mine, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'latin1' });
        assert.is(check.status, 0, check.stdout + check.stderr);
        assert.is(await withRedisOn(mine, digest), d, "Redis loaded Redust's base");
        assert.equal(await withRedisOn(mine, groupState), state);
        const back = await startRedust(engine, { config: { dir: mine, appendonly: 'yes', 'aof-use-rdb-preamble': 'no' } });
        try {
          assert.is(await digest(back.port), d);
          assert.equal(await groupState(back.port), state);
        } finally {
          await back.close();
        }
      } finally {
        await srv.close();
        await ref.stop();
        fs.rmSync(mine, { recursive: true, force: true });
        fs.rmSync(theirs, { recursive: true, force: true });
      }
    });

    t.run();
  }
} else {
  console.log('aof-streams: redis-server not installed, tests skipped');
}

