/**
 * aof-timestamp-enabled and aof-disable-auto-gc, against real Redis 7.0 on both engines:
 * - the `#TS:<seconds>` annotations sit where Redis writes them (the same commands sent to both
 *   servers within the same seconds leave the same bytes, the seconds masked), the command-format
 *   base of a rewrite starts with one, each server loads the other's files, redis-check-aof
 *   accepts Redust's and its --truncate-to-timestamp cuts them to a point in time Redust loads;
 * - with aof-disable-auto-gc yes, rewrites keep the old files, listed as history in the same
 *   manifest Redis writes; turning it off deletes them, as in Redis.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { digest, startAofPair, stopAofPair } from './helpers/aof-pair';
import { R, RawConnection, waitLoaded } from './helpers/raw';
import { parseAofCommand } from '../src/persistence/aof';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aofts-'));

/** Resolves just after the wall clock enters a new second (so what follows shares one second). */
async function nextSecond(): Promise<void> {
  await sleep(1000 - (Date.now() % 1000) + 5);
}

async function send(conns: RawConnection[], ...argv: string[]): Promise<void> {
  for (const c of conns) await c.send(...argv);
}

async function rewriteDone(conns: RawConnection[]): Promise<void> {
  for (const c of conns) {
    for (let i = 0; i < 300; i++) {
      const info = (await c.send('INFO', 'persistence')) as { v: Buffer };
      if (/aof_rewrite_in_progress:0/.test(info.v.latin1Slice()) && !/aof_rewrite_scheduled:1/.test(info.v.latin1Slice())) break;
      await sleep(10);
    }
  }
  await sleep(100); // (the history deletion after the manifest is written)
}

/** A command-format base: its first line (masked) and its commands as `db: argv`, sorted. */
function baseSummary(bytes: Buffer): string {
  const first = bytes.latin1Slice(0, bytes.indexOf(10) + 1).replace(/^#TS:\d+\r\n$/, '#TS:<s>');
  const cmds: string[] = [];
  let db = 0;
  let pos = 0;
  while (pos < bytes.length) {
    if (bytes[pos] === 35) {
      pos = bytes.indexOf(10, pos) + 1;
      continue;
    }
    const p = parseAofCommand(bytes, pos);
    if (typeof p === 'string') throw new Error(`base: ${p} at ${pos}`);
    const argv = p.argv.map((a) => a.latin1Slice());
    if (argv[0] === 'SELECT') db = Number(argv[1]);
    else cmds.push(`${db}: ${argv.join(' ')}`);
    pos = p.next;
  }
  return [first, ...cmds.sort()].join('\n');
}

/** An appendonlydir's manifest and its files' bytes, `#TS:` seconds masked. */
function layout(dir: string): { manifest: string; files: Record<string, string> } {
  const adir = path.join(dir, 'appendonlydir');
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(adir).sort()) {
    if (f.endsWith('.manifest')) continue;
    const bytes = fs.readFileSync(path.join(adir, f));
    // RDB bases hold times and sizes that differ between servers: compared by name only. A
    // command-format base lists keys in each server's own dict order: its annotation and its
    // commands (with their db) are compared, sorted.
    if (f.endsWith('.rdb')) files[f] = '(rdb)';
    else if (f.includes('.base.')) files[f] = baseSummary(bytes);
    else files[f] = bytes.latin1Slice().replace(/#TS:\d+\r\n/g, '#TS:<s>\r\n');
  }
  return { manifest: fs.readFileSync(path.join(adir, 'appendonly.aof.manifest'), 'latin1'), files };
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`aof annotations [${engine}]`);

    t('#TS annotations: the same files as Redis, loaded both ways, checked and cut to a timestamp by redis-check-aof', async () => {
      const p = await startAofPair(engine, { 'aof-timestamp-enabled': 'yes', 'aof-use-rdb-preamble': 'no' });
      const { srv, ref, mine, theirs } = p;
      try {
        const a = await RawConnection.connect(srv.port);
        const b = await RawConnection.connect(ref.port);
        const both = [a, b];
        // The first base, written at start for the empty dataset, holds only a timestamp
        // (Redis writes its files just after it starts listening: wait for its manifest).
        for (let i = 0; i < 200 && !fs.existsSync(path.join(theirs, 'appendonlydir', 'appendonly.aof.manifest')); i++) await sleep(10);
        assert.equal(layout(mine), layout(theirs));
        assert.match(Object.values(layout(mine).files).join('|'), /^#TS:<s>\|$/);
        await nextSecond();
        await send(both, 'SET', 'a', '1');
        await send(both, 'SET', 'b', '2');
        await nextSecond();
        await send(both, 'SELECT', '2');
        await send(both, 'SET', 'c', '3');
        await send(both, 'MULTI');
        await send(both, 'INCR', 'n');
        await send(both, 'RPUSH', 'l', 'x');
        await send(both, 'EXEC');
        await send(both, 'CONFIG', 'SET', 'aof-timestamp-enabled', 'no');
        await nextSecond();
        await send(both, 'SET', 'd', '4'); // no annotation while off
        await send(both, 'CONFIG', 'SET', 'aof-timestamp-enabled', 'yes');
        await send(both, 'SET', 'e', '5'); // a new second since the last one annotated
        await send(both, 'BGREWRITEAOF');
        await rewriteDone(both);
        await nextSecond();
        await send(both, 'SET', 'f', '6');
        const lm = layout(mine);
        const lt = layout(theirs);
        assert.equal(lm, lt);
        const base = Object.entries(lm.files).find(([f]) => f.endsWith('.base.aof'))!;
        assert.match(base[1], /^#TS:<s>\n/, 'the rewritten base starts with the time of the rewrite');
        assert.ok(Object.values(lm.files).some((x) => (x.match(/#TS:/g) ?? []).length >= 1), 'incr file annotated');
        const mineDigest = await digest(srv.port);
        const theirsDigest = await digest(ref.port);
        assert.is(mineDigest, theirsDigest);
        a.close();
        b.close();
        await srv.close();
        await ref.stop();
        const check = spawnSync('redis-check-aof', [path.join(mine, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'latin1' });
        assert.is(check.status, 0, check.stdout + check.stderr);
        // Each server loads the other's files.
        const redisOnMine = await startReference(['--dir', mine, '--appendonly', 'yes']);
        await waitLoaded(redisOnMine.port);
        assert.is(await digest(redisOnMine.port), mineDigest, "Redis loaded Redust's annotated files");
        await redisOnMine.stop();
        const mineOnTheirs = await startRedust(engine, { config: { dir: theirs, appendonly: 'yes' } });
        assert.is(await digest(mineOnTheirs.port), theirsDigest, "Redust loaded Redis's annotated files");
        await mineOnTheirs.close();
      } finally {
        await stopAofPair(p);
      }
    });

    t('redis-check-aof --truncate-to-timestamp cuts what Redust wrote to a point in time Redust then loads', async () => {
      const dir = tmpDir();
      const srv = await startRedust(engine, { config: { dir, appendonly: 'yes', 'aof-timestamp-enabled': 'yes' } });
      try {
        const c = await RawConnection.connect(srv.port);
        await nextSecond();
        await c.send('SET', 'first', '1');
        await nextSecond();
        await c.send('SET', 'second', '2');
        await nextSecond();
        await c.send('SET', 'third', '3');
        c.close();
        await srv.close();
        const incr = fs.readdirSync(path.join(dir, 'appendonlydir')).find((f) => f.endsWith('.incr.aof'))!;
        const stamps = [...fs.readFileSync(path.join(dir, 'appendonlydir', incr), 'latin1').matchAll(/#TS:(\d+)\r\n/g)].map((m) => m[1]);
        assert.is(stamps.length, 3, stamps.join(','));
        // (what was written after that second is cut)
        const cut = spawnSync('redis-check-aof', ['--truncate-to-timestamp', stamps[1], path.join(dir, 'appendonlydir', 'appendonly.aof.manifest')], { encoding: 'latin1' });
        assert.is(cut.status, 0, cut.stdout + cut.stderr);
        const back = await startRedust(engine, { config: { dir, appendonly: 'yes' } });
        const b = await RawConnection.connect(back.port);
        assert.equal((await b.send('EXISTS', 'first', 'second', 'third')) as unknown, R.int(2));
        assert.equal((await b.send('EXISTS', 'third')) as unknown, R.int(0));
        b.close();
        await back.close();
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    t('aof-disable-auto-gc: rewrites keep their history as Redis lists it; turning it off deletes it', async () => {
      const p = await startAofPair(engine, { 'aof-disable-auto-gc': 'yes' });
      const { srv, ref, mine, theirs } = p;
      try {
        const a = await RawConnection.connect(srv.port);
        const b = await RawConnection.connect(ref.port);
        const both = [a, b];
        for (let i = 0; i < 3; i++) {
          await send(both, 'SET', `k${i}`, 'v');
          await send(both, 'BGREWRITEAOF');
          await rewriteDone(both);
        }
        const kept = layout(mine);
        assert.equal(kept.manifest, layout(theirs).manifest);
        assert.equal(Object.keys(kept.files), Object.keys(layout(theirs).files));
        assert.match(kept.manifest, /type h/);
        await send(both, 'CONFIG', 'SET', 'aof-disable-auto-gc', 'no');
        await sleep(300);
        const after = layout(mine);
        assert.equal(after.manifest, layout(theirs).manifest);
        assert.equal(Object.keys(after.files), Object.keys(layout(theirs).files));
        assert.not.match(after.manifest, /type h/);
        assert.is(await digest(srv.port), await digest(ref.port));
        a.close();
        b.close();
      } finally {
        await stopAofPair(p);
      }
    });

    t.run();
  }
}
