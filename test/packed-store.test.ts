/**
 * The js-map engine's packed store (src/engine/js-map/packed-store.ts): collections loaded from
 * an RDB file are kept as descriptors until first used. Checked here: a reloaded dataset reads
 * and saves the same (DEBUG DIGEST), each descriptor is let go when its value is read, replaced
 * or deleted, the store empties (its buffers let go) with the last one, and a load batch that
 * stops at a key already there lets go of the descriptors it did not store.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startRedust } from './helpers/servers';
import { R, RawConnection, text } from './helpers/raw';
import type { RedustServer } from '../src/index';
import type { EncodingLimits } from '../src/engine/types';
import { KeyTable, hashOfBytes } from '../src/engine/js-map/key-table';
import { LoadBatch } from '../src/engine/js-map/rdb-fast';
import type { PackedStore } from '../src/engine/js-map/packed-store';
import { PackedValue, type PackedMakers } from '../src/engine/containers/packed';
import * as F from '../src/persistence/format';

const t = suite<{ srv: RedustServer; c: RawConnection; dir: string }>('packed store [js-map]');
t.before.each(async (ctx) => {
  ctx.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-packed-'));
  ctx.srv = await startRedust('js-map', { persistence: true, config: { dir: ctx.dir, save: '', 'enable-debug-command': 'yes' } });
  ctx.c = await RawConnection.connect(ctx.srv.port);
});
t.after.each(async (ctx) => {
  ctx.c.close();
  await ctx.srv.close();
  fs.rmSync(ctx.dir, { recursive: true, force: true });
});

const N = 300;
const store = (srv: RedustServer): PackedStore => (srv.internal.dbs[0] as unknown as { packedStore(): PackedStore }).packedStore();

t('a reloaded dataset keeps its collections as descriptors until used; reads, writes and deletes let them go', async ({ srv, c, dir }) => {
  const ops: Promise<unknown>[] = [];
  for (let i = 0; i < N; i++) {
    ops.push(c.send('RPUSH', `l${i}`, 'a', `b${i}`, 'c'));
    ops.push(c.send('HSET', `h${i}`, 'f', `v${i}`, 'g', 'w'));
    ops.push(c.send('SADD', `s${i}`, 'x', `y${i}`));
    ops.push(c.send('SADD', `i${i}`, 1, 2, i + 3));
    ops.push(c.send('ZADD', `z${i}`, 1, 'p', i + 2, `q${i}`));
    ops.push(c.send('SET', `k${i}`, `v${i}`));
  }
  await Promise.all(ops);
  const digest = text(await c.send('DEBUG', 'DIGEST'));
  const before = await c.send('HGETALL', 'h7');
  assert.equal(await c.send('DEBUG', 'RELOAD'), R.simple('OK'));
  const st = store(srv);
  assert.is(st.size, 5 * N, 'one descriptor per collection');
  assert.ok(st.buffers >= 1);
  // Read, replaced, written to, deleted: each lets its descriptor go.
  assert.equal(await c.send('HGETALL', 'h7'), before);
  assert.is(st.size, 5 * N - 1);
  for (let i = 0; i < 50; i++) {
    await c.send('LRANGE', `l${i}`, 0, -1);
    await c.send('SET', `s${i}`, 'now a string');
    await c.send('ZADD', `z${i}`, 9, 'r');
    await c.send('DEL', `i${i}`);
  }
  assert.is(st.size, 5 * N - 1 - 200);
  assert.equal(await c.send('ZRANGE', 'z3', 0, -1, 'WITHSCORES'), R.arr(R.bulk('p'), R.bulk('1'), R.bulk('q3'), R.bulk('5'), R.bulk('r'), R.bulk('9')));
  // Saved as it is now (packed blobs and unpacked values side by side), it loads the same.
  assert.equal(await c.send('SAVE'), R.simple('OK'));
  const file = fs.readFileSync(path.join(dir, 'dump.rdb'));
  const digest2 = text(await c.send('DEBUG', 'DIGEST')); // (it reads, so unpacks, every value)
  assert.is.not(digest2, digest);
  fs.writeFileSync(path.join(dir, 'dump.rdb'), file);
  assert.equal(await c.send('DEBUG', 'RELOAD', 'NOSAVE'), R.simple('OK'));
  assert.is(store(srv).size, 5 * N - 100, 'every collection loads packed again (50 sets are strings now, 50 intsets gone)');
  assert.is(text(await c.send('DEBUG', 'DIGEST')), digest2);
  // Reloaded once more: every packed value deleted, the store starts over, holding no buffer.
  assert.equal(await c.send('DEBUG', 'RELOAD'), R.simple('OK'));
  // Every packed value deleted: the store starts over, holding no buffer.
  const st2 = store(srv);
  assert.ok(st2.size > 0);
  for (const p of ['l', 'h', 's', 'i', 'z']) for (let i = 0; i < N; i++) await c.send('DEL', `${p}${i}`);
  assert.is(st2.size, 0);
  assert.is(st2.buffers, 0);
  assert.is(st2.top, 0);
  assert.equal(await c.send('DBSIZE'), R.int(N));
});

t('a load batch that stops at a key already there lets go of the descriptors it did not store', () => {
  const table = new KeyTable();
  const target = {
    loadInsertMany: (kb: Uint8Array, offs: Int32Array, lens: Int32Array, hashes: Int32Array, values: readonly unknown[], valOffs: Int32Array, valLens: Int32Array, _sizes: Float64Array, expires: Float64Array, n: number, now: number) =>
      table.insertMany(kb, offs, lens, hashes, values, valOffs, valLens, expires, n, now),
    presize: (n: number) => table.presize(n),
    packedStore: () => table.packedStore(),
  };
  const keys = Buffer.from('k0k1k2k3', 'latin1');
  table.insert(keys, 4, 2, hashOfBytes(keys, 4, 2), 'there', 0, 0);
  const blob = Buffer.from('0123456789abcdef', 'latin1');
  const ctx = { limits: {} as EncodingLimits, makers: {} as PackedMakers };
  const st = table.packedStore();
  const batch = new LoadBatch(keys);
  for (let i = 0; i < 4; i++) {
    batch.keyOff[i] = 2 * i;
    batch.keyLen[i] = 2;
    batch.hash[i] = hashOfBytes(keys, 2 * i, 2);
    batch.exp[i] = -1;
    batch.vals[i] = st.add(new PackedValue(F.RDB_TYPE_LIST_QUICKLIST_2, blob, 4 * i, 4, i + 1, 2, 100 + i, ctx));
  }
  assert.is(st.size, 4);
  assert.is(batch.store(target, 4, 0), 2, 'stored up to the key already there');
  assert.is(st.size, 2, 'the descriptors of k2 and k3 let go');
  const v = table.value(table.findBytes(Buffer.from('k1'), hashOfBytes(Buffer.from('k1')))) as unknown as PackedValue;
  assert.ok(v instanceof PackedValue);
  assert.equal([v.rdbType, v.buf, v.off, v.len, v.size, v.maxLen, v.memoryUsage(), v.context], [F.RDB_TYPE_LIST_QUICKLIST_2, blob, 4, 4, 2, 2, 101, ctx]);
});

t.run();
