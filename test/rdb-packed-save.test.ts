/**
 * Values the RDB fast loader keeps as they were in the file (js-map: containers/packed.ts, until
 * first used) are saved exactly as the containers they stand for: a file loaded with the
 * engine's fast path and saved before any key is read gives the same bytes as after every key
 * was read (unpacked), under settings (while loading, or only while saving) that keep the
 * loaded encoding (the blob is copied back) and that change it (the value is written from its
 * elements); the dataset is the JS reader's (DEBUG DIGEST). A BGSAVE right after a load
 * (records serialized by the engine's snapshot walk) writes the same records as SAVE.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, startLoaderPair, startRedust } from './helpers/servers';
import { Arg, RawConnection } from './helpers/raw';
import type { RedustServer } from '../src/index';
import type { Server } from '../src/server/server';
import { RdbLoad, saveSettings, writeRdb, withFrozenClock } from '../src/persistence/rdb';
import { crcInstance } from '../src/persistence/crc64';
import { datasetDigest } from '../src/persistence/digest';
import { BgSave } from '../src/persistence/bgsave';
import { stagedSave } from '../src/engine/js-map/rdb-save';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

function dataset(): Arg[][] {
  const cmds: Arg[][] = [];
  const ten = Array.from({ length: 10 }, (_, i) => i);
  for (let i = 0; i < 30; i++) {
    cmds.push(['SET', `key:${i}`, `value:${i}`], ['SET', String(i * 1000003), 'x'.repeat(i * 3)]);
    cmds.push(['RPUSH', `list:${i}`, ...ten.map((x) => (x % 3 ? `e${x}:${i}` : String(x * i - 40000)))]);
    cmds.push(['HSET', `hash:${i}`, ...ten.flatMap((x) => [x % 4 ? `f${x}` : String(x * 77), x % 3 ? `v${x}` : String(-x * i)])]);
    cmds.push(['SADD', `set:${i}`, ...ten.map((x) => (x % 2 ? `m${x}` : String(x * 1000 * i - 70000)))]);
    cmds.push(['SADD', `iset:${i}`, ...ten.map((x) => x * (i + 1) * 5000 - 20000)]);
    cmds.push(['ZADD', `zset:${i}`, ...ten.flatMap((x) => [x % 3 ? x / 4 - i : x * 1000, x % 2 ? `m${x}` : String(x)])]);
  }
  cmds.push(['ZADD', 'zedge', 'inf', 'a', '-inf', 'b', 0, 'c', '-0', 'd', 1e20, 'e', 5e-324, 'f', 2 ** 53, 'g']);
  cmds.push(['ZADD', 'zties', 1, 'b', 1, 'a', 1, 'ab', 1, '\xff', 1, '']);
  cmds.push(['RPUSH', 'longelems', 'a'.repeat(60), 'b'.repeat(12), 'c']);
  cmds.push(['RPUSH', 'bignode', ...Array.from({ length: 120 }, (_, i) => 'n'.repeat(60) + i)]);
  cmds.push(['SADD', 'set64', ...Array.from({ length: 64 }, (_, i) => `s${i}`)]);
  cmds.push(['SADD', 'set65', ...Array.from({ length: 65 }, (_, i) => `s${i}`)]);
  cmds.push(['SADD', 'setlong', 'x'.repeat(21), 'y', '12345678901234']);
  cmds.push(['SADD', 'setbigints', '12345678901234', 'z']);
  cmds.push(['HSET', 'hlz', 'field', 'abc'.repeat(30)]);
  cmds.push(['ZADD', 'zlongmember', 1, 'q'.repeat(70)]);
  for (const k of ['key:3', 'list:4', 'hash:5', 'set:6', 'iset:7', 'zset:8']) cmds.push(['PEXPIREAT', k, Date.now() + 3600_000 + k.length]);
  return cmds;
}

function load(s: Server, buf: Buffer): void {
  for (const db of s.dbs) db.clear(false);
  const l = new RdbLoad(s, buf);
  withFrozenClock(s, () => l.step(Infinity));
}

/** From db 0's SELECTDB + RESIZEDB (the AUX fields before it hold used-mem, which may differ). */
const body = (b: Buffer) => b.subarray(b.indexOf(Buffer.from([0xfe, 0x00, 0xfb])), b.length - 8);

for (const engine of enginesUnderTest()) {
  const t = suite<{ fast: RedustServer; js: RedustServer; c: RawConnection }>(`rdb packed save [${engine}]`);
  t.before(async (ctx) => {
    ({ fast: ctx.fast, js: ctx.js } = await startLoaderPair(engine));
    ctx.c = await RawConnection.connect(ctx.fast.port);
  });
  t.after(async (ctx) => {
    ctx.c.close();
    await ctx.fast.close();
    await ctx.js.close();
  });

  t('a loaded file saves the same bytes as after the JS reader, before and after its keys are read', async ({ fast, js, c }) => {
    for (const cmd of dataset()) {
      const r = await c.send(...cmd);
      assert.ok(r.t !== 'error', `${cmd.slice(0, 2).join(' ')}: ${String((r as { v?: unknown }).v)}`);
    }
    const both = [fast.internal, js.internal];
    for (const s of both) s.config.set('rdbchecksum', false);
    const file = writeRdb(fast.internal);
    const settings: [string, string][] = [
      ['rdbcompression', 'yes'],
      ['rdbcompression', 'no'],
      ['list-max-listpack-size', '5'],
      ['list-max-listpack-size', '-1'],
      ['list-max-listpack-size', '0'],
      ['list-max-listpack-size', '1'],
      ['zset-max-listpack-entries', '4'],
      ['zset-max-listpack-value', '1'],
      ['hash-max-listpack-entries', '4'],
      ['set-max-intset-entries', '3'],
    ];
    for (const [k, v] of settings) {
      for (const phase of ['load', 'save']) {
        // The setting while loading (the loader decides what stays packed), or only while saving.
        const old = fast.internal.config.str(k);
        if (phase === 'load') for (const s of both) s.config.set(k, v);
        for (const s of both) load(s, file);
        if (phase === 'save') for (const s of both) s.config.set(k, v);
        const a = writeRdb(fast.internal);
        // Read every key (a packed value becomes its container): the same dataset as the JS
        // reader's, and the same file as before the reads.
        assert.is(datasetDigest(fast.internal.dbs), datasetDigest(js.internal.dbs), `${k} ${v} digest`);
        assert.ok(body(writeRdb(fast.internal)).equals(body(a)), `${k} ${v} (${phase}, after reads)`);

        for (const s of both) s.config.set(k, old);
      }
    }
    // BGSAVE right after a load: the snapshot walk writes the same records as SAVE.
    for (const [k, v] of [['zset-max-listpack-entries', '4'], ['list-max-listpack-size', '1'], ['rdbcompression', 'no'], ['rdbcompression', 'yes']]) {
      const s = fast.internal;
      load(s, file);
      const old = s.config.str(k);
      s.config.set(k, v);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-packed-'));
      try {
        const out = path.join(dir, 'bg.rdb');
        const bg = new BgSave(s, { dir, tmp: path.join(dir, 'tmp.rdb'), file: out, aofBase: false });
        assert.ok(await bg.done, 'bgsave');
        // The same records (keys the engine leaves to the JS writer may come in another order).
        const bgFile = fs.readFileSync(out);
        const saved = writeRdb(s);
        assert.is(body(bgFile).length, body(saved).length, `BGSAVE ${k} ${v} length`);
        const digest = datasetDigest(s.dbs);
        load(js.internal, bgFile);
        assert.is(datasetDigest(js.internal.dbs), digest, `BGSAVE ${k} ${v} digest`);
      } finally {
        s.config.set(k, old);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    await c.send('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 10);
    const jc = await RawConnection.connect(js.port);
    await jc.send('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 10);
    jc.close();
    const s = fast.internal;
    load(s, file);
    const a = writeRdb(s);
    datasetDigest(s.dbs);
    assert.ok(body(writeRdb(s)).equals(body(a)), 'packed threshold 10');
  });

  t.run();
}

/**
 * js-map: collections serialized in WASM from a stage (src/engine/js-map/rdb-save.ts) give the
 * bytes RdbWriter gives, under every setting that changes an encoding, with IDLE/FREQ records, TTLs,
 * long and binary keys, and for the values the stage declines (big collections, odd scores).
 */
if (enginesUnderTest().includes('js-map')) {
  const t = suite<{ srv: RedustServer; c: RawConnection }>('rdb staged save [js-map]');
  t.before(async (ctx) => {
    ctx.srv = await startRedust('js-map');
    ctx.c = await RawConnection.connect(ctx.srv.port);
  });
  t.after(async (ctx) => {
    ctx.c.close();
    await ctx.srv.close();
  });

  t('staged records equal RdbWriter records', async ({ srv, c }) => {
    const cmds = dataset();
    cmds.push(['HSET', 'k'.repeat(40), 'f', 'v'], ['RPUSH', Buffer.from([0, 0xff, 0x80, 13, 10]), Buffer.from([0xfe, 0]), 'x']);
    cmds.push(['SADD', 'bigset', ...Array.from({ length: 5000 }, (_, i) => `m${i}`)]);
    cmds.push(['ZADD', 'bigz', ...Array.from({ length: 300 }, (_, i) => [i * 1.5, `z${i}`]).flat()]);
    cmds.push(['ZADD', 'zodd', 1e300, 'huge', 1e-300, 'tiny', '-inf', 'ninf', 0.1, 'tenth']);
    cmds.push(['HSET', 'hbig', ...Array.from({ length: 200 }, (_, i) => [`f${i}`, i % 2 ? String(i) : 'v'.repeat(i)]).flat()]);
    // Around the stage's one-byte string lengths (255 and up: a marker byte and a u32), and empty ones.
    const edge = [0, 1, 254, 255, 256, 300, 70000];
    cmds.push(['RPUSH', 'lenedge', ...edge.map((n) => 'l'.repeat(n))], ['SET', 'empty', '']);
    cmds.push(['HSET', 'hlenedge', '', '', 'a'.repeat(255), 'b'.repeat(254), 'c', 'd'.repeat(256)]);
    cmds.push(['SADD', 'slenedge', '', 's'.repeat(255), 't'.repeat(254)]);
    cmds.push(['ZADD', 'zlenedge', 1, '', 2, 'z'.repeat(255), 3, 'y'.repeat(254)]);
    // More records than a batch holds (256) and more bytes than the first stage (64 KB): the
    // stage fills and is flushed mid-walk, between strings and collections.
    for (let i = 0; i < 600; i++) {
      if (i % 3 === 0) cmds.push(['SET', `many:${i}`, i % 2 ? String(i * 7919) : `value-${i}`]);
      else cmds.push(['HSET', `many:${i}`, ...Array.from({ length: 20 }, (_, j) => [`field${j}`, `value-${i}-${j}-`.padEnd(40, 'x')]).flat()]);
    }
    for (const cmd of cmds) {
      const r = await c.send(...cmd);
      assert.ok(r.t !== 'error', `${cmd.slice(0, 2).join(' ')}: ${String((r as { v?: unknown }).v)}`);
    }
    const s = srv.internal;
    s.config.set('rdbchecksum', false);
    const save = (staged: boolean): Buffer => {
      stagedSave.useWasm = staged;
      try {
        return body(writeRdb(s));
      } finally {
        stagedSave.useWasm = true;
      }
    };
    const settings: [string, string][] = [
      ['rdbcompression', 'no'],
      ['list-max-listpack-size', '5'],
      ['list-max-listpack-size', '-5'],
      ['list-max-listpack-size', '1'],
      ['zset-max-listpack-entries', '4'],
      ['hash-max-listpack-entries', '4'],
      ['maxmemory-policy', 'allkeys-lru'],
      ['maxmemory-policy', 'allkeys-lfu'],
    ];
    assert.ok(save(true).equals(save(false)), 'defaults');
    for (const [k, v] of settings) {
      const old = s.config.str(k);
      s.config.set(k, v);
      assert.ok(save(true).equals(save(false)), `${k} ${v}`);
      s.config.set(k, old);
    }
    await c.send('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 10);
    assert.ok(save(true).equals(save(false)), 'packed threshold 10');
    await c.send('DEBUG', 'QUICKLIST-PACKED-THRESHOLD', 0);
  });

  t('the helper instance growing between and inside batches (another user: the sink\'s CRC64) leaves the records as RdbWriter writes them', async ({ srv, c }) => {
    // (rdb-save.ts: views of the helper's memory taken before it grew are detached, and writes
    // through them are dropped: the staged records were read back as whatever was there before)
    await c.send('FLUSHALL');
    for (let i = 0; i < 3000; i++) {
      if (i % 2 === 0) await c.send('SET', `g:${i}`, `value-${i}`);
      else await c.send('HSET', `g:${i}`, 'a', `x${i}`, 'b', `y${i}`, 'c', String(i));
    }
    const s = srv.internal;
    const helper = crcInstance()!;
    // Grows the helper's memory by a page (what its allocator does when it needs room).
    const grow = (): void => {
      (helper.x.memory as unknown as { grow(pages: number): number }).grow(1);
    };
    const collect = (staged: boolean, growing: boolean): Buffer => {
      stagedSave.useWasm = staged;
      const parts: Buffer[] = [];
      try {
        const settings = saveSettings(s, s.clock.now(), false, false);
        s.dbs[0].saveRecords!(settings, {
          // One call per record (the snapshot's sink while keys were handed over ahead of its walk).
          record: (src, start, end) => {
            parts.push(Buffer.from(src.subarray(start, end)));
            if (growing && parts.length % 97 === 0) grow();
          },
          deferred: () => assert.unreachable('no key is left to the JS writer here'),
        });
        // Whole batches (SAVE's sink).
        s.dbs[0].saveRecords!(settings, {
          record: () => assert.unreachable('batches'),
          records: (src, start, end) => {
            parts.push(Buffer.from(src.subarray(start, end)));
            if (growing) grow();
          },
          deferred: () => assert.unreachable('no key is left to the JS writer here'),
        });
      } finally {
        stagedSave.useWasm = true;
      }
      return Buffer.concat(parts);
    };
    const expected = collect(false, false);
    const bytesBefore = helper.x.memory.buffer.byteLength;
    assert.ok(collect(true, true).equals(expected), 'records while the helper grows');
    assert.ok(helper.x.memory.buffer.byteLength > bytesBefore, 'the helper grew meanwhile');
  });

  t.run();
}
