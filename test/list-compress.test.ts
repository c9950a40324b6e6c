/**
 * list-compress-depth (assembly/list.ts): the wasm engine keeps a list's interior quicklist nodes
 * LZF-compressed. Replies, DEBUG DIGEST, DEBUG OBJECT's ql_compressed, DUMP payloads and RDB files
 * are compared with real Redis 7.0 under the same settings, and the memory saved is checked. The
 * js-map engine (lists as ring buffers of strings) refuses a depth above 0.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import path from 'path';
import { spawnSync } from 'child_process';
import { RedustServer } from '../src';
import { RawConnection, items, text, type Arg } from './helpers/raw';
import type { RespNode } from '../src/protocol/resp-reader';
import { diffTest, serverPairSuite } from './helpers/suite';
import { startRedust, startReference } from './helpers/servers';
import { rng } from './helpers/rng';

/** A compressible element: a few distinct values (LREM, LPOS and LINSERT find them), long runs. */
function element(r: () => number): string {
  const x = r();
  if (x < 0.4) return `e${Math.floor(r() * 8)}`;
  if (x < 0.9) return `v${Math.floor(r() * 5)}:` + 'x'.repeat(Math.floor(r() * 300));
  return 'L'.repeat(9000 + Math.floor(r() * 3000)); // a node of its own
}

/** A seeded random list command on keys l0..l2. */
function listCommand(r: () => number): Arg[] {
  const k = `l${Math.floor(r() * 3)}`;
  const i = () => Math.floor((r() - 0.3) * 120);
  const x = r();
  if (x < 0.3) return [r() < 0.5 ? 'RPUSH' : 'LPUSH', k, ...Array.from({ length: 1 + Math.floor(r() * 12) }, () => element(r))];
  if (x < 0.4) return [r() < 0.5 ? 'LPOP' : 'RPOP', k, 1 + Math.floor(r() * 4)];
  if (x < 0.5) return ['LRANGE', k, i(), i()];
  if (x < 0.56) return ['LINDEX', k, i()];
  if (x < 0.62) return ['LSET', k, i(), element(r)];
  if (x < 0.68) return ['LINSERT', k, r() < 0.5 ? 'BEFORE' : 'AFTER', element(r), element(r)];
  if (x < 0.74) return ['LREM', k, Math.floor((r() - 0.5) * 6), element(r)];
  if (x < 0.78) return ['LTRIM', k, Math.floor(r() * 5), -1 - Math.floor(r() * 5)];
  if (x < 0.86) return ['LPOS', k, element(r), 'RANK', r() < 0.5 ? 1 : -1, 'COUNT', Math.floor(r() * 3)];
  if (x < 0.92) return ['LMOVE', k, `l${Math.floor(r() * 3)}`, r() < 0.5 ? 'LEFT' : 'RIGHT', r() < 0.5 ? 'LEFT' : 'RIGHT'];
  return ['LLEN', k];
}

const num = (n: RespNode) => (n.t === 'int' ? Number(n.v) : NaN);
const bytes = (n: RespNode) => (n.t === 'bulk' ? n.v : Buffer.alloc(0));
const field = (reply: string, name: string) => new RegExp(`${name}:(\\S+)`).exec(reply)?.[1];

const t = serverPairSuite('list-compress-depth', 'wasm');

diffTest(t, 'random list commands under depths 1 and 2 (and back to 0): replies, DEBUG DIGEST and each list\'s ql_compressed as Redis', async ({ srv, ref }) => {
  const a = await RawConnection.connect(srv.port);
  const b = await RawConnection.connect(ref.port);
  const both = async (...args: Arg[]) => {
    const [x, y] = await Promise.all([a.send(...args), b.send(...args)]);
    assert.equal(x, y, args.map((v) => String(v).slice(0, 40)).join(' '));
    return x;
  };
  try {
    await both('FLUSHALL');
    await both('CONFIG', 'SET', 'list-max-listpack-size', '4');
    const r = rng(7);
    for (const depth of [1, 2, 0, 1]) {
      await both('CONFIG', 'SET', 'list-compress-depth', depth);
      for (let i = 0; i < 400; i++) await both(...listCommand(r));
      await both('DEBUG', 'DIGEST');
      await both('DEBUG', 'DIGEST-VALUE', 'l0', 'l1', 'l2');
      // (each list keeps the depth it was created with: lists made in earlier phases too)
      await both('DEL', 'q');
      await both('RPUSH', 'q', ...Array.from({ length: 50 }, () => element(r)));
      for (const k of ['q', 'l0', 'l1', 'l2']) {
        const [x, y] = await Promise.all([a.send('DEBUG', 'OBJECT', k), b.send('DEBUG', 'OBJECT', k)]);
        if (x.t === 'error' || y.t === 'error') assert.equal(x, y);
        else assert.is(field(text(x), 'ql_compressed'), field(text(y), 'ql_compressed'), `ql_compressed of ${k} at depth ${depth}`);
      }
    }
    // The lists survive a reload of Redust's own RDB file.
    const digest = text(await a.send('DEBUG', 'DIGEST'));
    assert.is(text(await a.send('DEBUG', 'RELOAD')), 'OK');
    assert.is(text(await a.send('DEBUG', 'DIGEST')), digest);
  } finally {
    for (const c of [a, b]) await c.send('CONFIG', 'SET', 'list-compress-depth', 0, 'list-max-listpack-size', -2);
    a.close();
    b.close();
  }
});

diffTest(t, 'DUMP and RDB files of compressed lists load in Redis, and the other way round', async ({ srv, ref }) => {
  const a = await RawConnection.connect(srv.port);
  const b = await RawConnection.connect(ref.port);
  const other = await startReference(['--list-compress-depth', '1']);
  try {
    for (const c of [a, b]) {
      await c.send('FLUSHALL');
      await c.send('CONFIG', 'SET', 'list-compress-depth', 1);
    }
    const els = Array.from({ length: 3000 }, (_, i) => `item:${i % 50}:` + 'y'.repeat(i % 200));
    for (const c of [a, b]) await c.send('RPUSH', 'big', ...els);
    const digestOf = async (c: RawConnection, k: string) => text(items(await c.send('DEBUG', 'DIGEST-VALUE', k))[0]);
    const digest = await digestOf(b, 'big');
    assert.is(await digestOf(a, 'big'), digest);
    // DUMP both ways.
    const fromRedust = await a.send('DUMP', 'big');
    const fromRedis = await b.send('DUMP', 'big');
    // (the same nodes, LZF-compressed the same way: the same bytes)
    assert.ok(bytes(fromRedust).equals(bytes(fromRedis)), 'DUMP payloads equal');
    assert.is(text(await b.send('RESTORE', 'from-redust', 0, bytes(fromRedust))), 'OK');
    assert.is(text(await a.send('RESTORE', 'from-redis', 0, bytes(fromRedis))), 'OK');
    assert.is(await digestOf(b, 'from-redust'), digest);
    assert.is(await digestOf(a, 'from-redis'), digest);
    // Redust's dump.rdb: redis-check-rdb accepts it and Redis loads it with the same digest.
    assert.is(text(await a.send('SAVE')), 'OK');
    const file = path.join(srv.internal.config.str('dir'), 'dump.rdb');
    const check = spawnSync('redis-check-rdb', [file], { encoding: 'utf8' });
    assert.is(check.status, 0, check.stdout);
    const o = await RawConnection.connect(other.port);
    const target = text(items(await o.send('CONFIG', 'GET', 'dir'))[1]);
    fs.copyFileSync(file, path.join(target, 'dump.rdb'));
    assert.is(text(await o.send('DEBUG', 'RELOAD', 'NOSAVE')), 'OK');
    assert.is(text(await o.send('DEBUG', 'DIGEST')), text(await a.send('DEBUG', 'DIGEST')));
    // Redis's dump.rdb of compressed lists, loaded by Redust.
    assert.is(text(await o.send('SAVE')), 'OK');
    fs.copyFileSync(path.join(target, 'dump.rdb'), file);
    assert.is(text(await a.send('DEBUG', 'RELOAD', 'NOSAVE')), 'OK');
    assert.is(text(await a.send('DEBUG', 'DIGEST')), text(await o.send('DEBUG', 'DIGEST')));
    assert.is(text(await a.send('LINDEX', 'big', 1777)), els[1777]);
    o.close();
  } finally {
    await other.stop();
    await a.send('CONFIG', 'SET', 'list-compress-depth', 0);
    await b.send('CONFIG', 'SET', 'list-compress-depth', 0);
    a.close();
    b.close();
  }
});

t('interior nodes are held compressed: MEMORY USAGE drops, the data stays; a list keeps its own depth', async ({ srv }) => {
  const c = await RawConnection.connect(srv.port);
  try {
    await c.send('FLUSHALL');
    await c.send('CONFIG', 'SET', 'list-max-listpack-size', -2);
    const els = Array.from({ length: 20000 }, (_, i) => `element:${i % 100}:` + 'x'.repeat(24));
    const usage = async (depth: number) => {
      await c.send('DEL', 'l');
      await c.send('CONFIG', 'SET', 'list-compress-depth', depth);
      for (let i = 0; i < els.length; i += 1000) await c.send('RPUSH', 'l', ...els.slice(i, i + 1000));
      return num(await c.send('MEMORY', 'USAGE', 'l'));
    };
    const raw = await usage(0);
    const compressed = await usage(1);
    assert.ok(compressed * 4 < raw, `MEMORY USAGE ${compressed} with depth 1, ${raw} without`);
    assert.is(text(await c.send('LINDEX', 'l', 12345)), els[12345]);
    assert.is(text(items(await c.send('LRANGE', 'l', 9999, 9999))[0]), els[9999]);
    // Depth back to 0: the list keeps its own depth (Redis's quicklist does), a new one has none.
    await c.send('CONFIG', 'SET', 'list-compress-depth', 0);
    assert.is(num(await c.send('LREM', 'l', 0, els[5])), 200);
    assert.is(num(await c.send('LLEN', 'l')), 19800);
    assert.ok(num(await c.send('MEMORY', 'USAGE', 'l')) * 4 < raw, 'still compressed');
    assert.is(field(text(await c.send('DEBUG', 'OBJECT', 'l')), 'ql_compressed'), '1');
    await c.send('RPUSH', 'l2', ...els.slice(0, 1000));
    assert.is(field(text(await c.send('DEBUG', 'OBJECT', 'l2')), 'ql_compressed'), '0');
    // COPY keeps the source's depth.
    await c.send('COPY', 'l', 'l3');
    assert.is(field(text(await c.send('DEBUG', 'OBJECT', 'l3')), 'ql_compressed'), '1');
    assert.ok(num(await c.send('MEMORY', 'USAGE', 'l3')) * 4 < raw, 'the copy compressed');
  } finally {
    await c.send('CONFIG', 'SET', 'list-compress-depth', 0);
    c.close();
  }
});

t.run();

const j = suite('list-compress-depth [js-map]');

j('the js-map engine refuses a depth above 0 (CONFIG SET and at start), accepts 0', async () => {
  const srv = await startRedust('js-map');
  const c = await RawConnection.connect(srv.port);
  try {
    const e = text(await c.send('CONFIG', 'SET', 'list-compress-depth', 1));
    assert.is(e, "ERR CONFIG SET failed (possibly related to argument 'list-compress-depth') - list-compress-depth '1' is not supported by the js-map engine: list compression is implemented by the wasm engine (--engine wasm; accepted with js-map: 0)");
    assert.is(text(await c.send('CONFIG', 'SET', 'list-compress-depth', 0)), 'OK');
  } finally {
    c.close();
    await srv.close();
  }
  let refused = '';
  try {
    const s = await RedustServer.start({ port: 0, engine: 'js-map', logLevel: 'nothing', config: { 'list-compress-depth': '2' } });
    await s.close();
  } catch (err) {
    refused = (err as Error).message;
  }
  assert.match(refused, "list-compress-depth '2' is not supported by the js-map engine");
});

j.run();
