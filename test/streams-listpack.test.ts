/**
 * Stream nodes stored as Redis's own listpack bytes (src/engine/containers/stream.ts StreamNode):
 * what that layout makes risky, compared with real Redis 7.0 byte for byte — DUMP payloads (the
 * RDB encoding of the node listpacks, so every element encoding, back-length, header count and
 * master counter must be Redis's), DEBUG DIGEST-VALUE, XRANGE/XREVRANGE and XINFO STREAM FULL —
 * across node limits small and large, integer-looking and binary values, deltas past 2^31, IDs
 * past 2^53, XDEL/XTRIM tombstones, master counters changing size (127/128 entries), payloads
 * moved both ways between Redis and Redust (RESTORE adopts a Redis listpack), DEBUG RELOAD, and
 * COPY (a node clone) while both copies keep changing.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest, haveRedisServer, startReference } from './helpers/servers';
import { suite } from 'uvu';
import { startRedust } from './helpers/servers';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import { crc64, writeCrc64LE } from '../src/persistence/crc64';
import type { Differential } from './helpers/diff';
import type { Arg } from './helpers/raw';

const BIN = Buffer.from([0, 1, 0x7f, 0x80, 0xfe, 0xff, 0x0d, 0x0a]);
const VALUES: Arg[] = [
  '-0', '007', '9223372036854775808', '9223372036854775807', '-9223372036854775808', '-9223372036854775809', ' 1', '1 ', '+1', '',
  '0', '127', '128', '-1', '4095', '4096', '-4096', '-4097', '32767', '32768', '8388607', '8388608', '-2147483648', '2147483648', '12345678901234567890',
  BIN, 'x'.repeat(63), 'y'.repeat(64), 'z'.repeat(4095), 'w'.repeat(4096), '1.5', '1e3', '0x10',
];

/** A deterministic script of XADDs (same and different fields) with tricky values and IDs. */
function script(key: string, big: boolean): Arg[][] {
  const out: Arg[][] = [];
  let ms = 1;
  let i = 0;
  for (const v of VALUES) {
    out.push(['XADD', key, `${ms}-${i}`, 'field', v, 'kind', 'click']);
    out.push(['XADD', key, `${ms}-${i + 1}`, 'field', String(i), 'kind', v]);
    out.push(['XADD', key, `${ms + 1}-0`, v === '' ? 'e' : v, 'x', '1', '2']);
    out.push(['XADD', key, `${ms + 1}-1`, 'field', 'a']);
    ms += 2;
    i += 2;
  }
  // ms and seq deltas past 2^31 and past 2^53 (U64), a seq that goes down within a node.
  out.push(['XADD', key, `${ms + 3000000000}-5`, 'field', '1', 'kind', 'click']);
  out.push(['XADD', key, `${ms + 3000000001}-0`, 'field', '2', 'kind', 'click']);
  out.push(['XADD', key, `${ms + 3000000001}-4294967296`, 'field', '3', 'kind', 'click']);
  out.push(['XADD', key, '9007199254740993-0', 'field', '4', 'kind', 'click']);
  out.push(['XADD', key, '9007199254740993-18446744073709551615', 'field', '5', 'kind', 'click']);
  out.push(['XADD', key, '18446744073709551614-1', 'field', '6', 'kind', 'click']);
  if (big) out.push(['XADD', key, '18446744073709551614-2', 'field', 'v'.repeat(70000)]);
  out.push(['XADD', key, '18446744073709551615-0', 'field', '7', 'kind', 'click']);
  return out;
}

/** Payloads whose node listpacks are identical but whose LZF compression differs from Redis's (lzf.ts). */
let lzfDiffers = 0;

/** DUMP payloads of key on both servers, byte for byte (the first difference shown in hex). */
async function sameDump(d: Differential, key: string): Promise<void> {
  const [a, b] = (await Promise.all([d.redust.send('DUMP', key), d.reference.send('DUMP', key)])) as unknown as { v: Buffer }[];
  if (!Buffer.isBuffer(a.v) || !Buffer.isBuffer(b.v)) {
    assert.is(renderNode(a as never), renderNode(b as never), `DUMP ${key}`);
    return;
  }
  if (Buffer.compare(a.v, b.v) === 0) return;
  // Same listpacks, only compressed differently? Redis re-dumps Redust's payload after RESTORE.
  await d.reference.send('RESTORE', '__redust_dump', '0', a.v, 'REPLACE');
  const again = (await d.reference.send('DUMP', '__redust_dump')) as unknown as { v: Buffer };
  await d.reference.send('DEL', '__redust_dump');
  if (Buffer.compare(again.v, b.v) === 0) {
    lzfDiffers++;
    return;
  }
  let i = 0;
  while (a.v[i] === b.v[i]) i++;
  const at = (x: Buffer): string => x.subarray(Math.max(0, i - 16), i + 16).toString('hex');
  assert.unreachable(`DUMP ${key}: ${a.v.length} vs ${b.v.length} bytes, first difference at ${i}: ${at(a.v)} vs ${at(b.v)}`);
}

/** Every view of the stream compared with Redis, DUMP payloads byte for byte. */
async function same(d: Differential, key: string): Promise<void> {
  await d.check(['XLEN', key]);
  await d.check(['XRANGE', key, '-', '+']);
  await d.check(['XREVRANGE', key, '+', '-', 'COUNT', '7']);
  await d.check(['XRANGE', key, '2', '40', 'COUNT', '5']);
  await d.check(['XINFO', 'STREAM', key, 'FULL']);
  await d.check(['DEBUG', 'DIGEST-VALUE', key]);
  await sameDump(d, key);
}

const LIMITS: [string, string][] = [
  ['100', '4096'],
  ['3', '0'],
  ['0', '64'],
  ['1', '0'],
  ['200', '0'],
  ['0', '200000'],
];

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('streams-listpack', engine);

  for (const [entries, bytes] of LIMITS) {
    diffTest(t, `node limits ${entries} entries / ${bytes} bytes: tricky values, deltas, tombstones, DUMP bytes equal Redis's`, async ({ d }) => {
      for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'stream-node-max-entries', entries, 'stream-node-max-bytes', bytes);
      const big = bytes === '200000' || bytes === '0';
      for (const cmd of script('s', big)) await d.check(cmd);
      await same(d, 's');
      // Tombstones: XDEL (first entry of a node, middle, the master's, an unknown ID), XTRIM.
      await d.check(['XDEL', 's', '1-0', '3-3', '4-0', '99-99']);
      await d.check(['XDEL', 's', '9007199254740993-0']);
      await same(d, 's');
      await d.check(['XTRIM', 's', 'MINID', '6']);
      await d.check(['XTRIM', 's', 'MAXLEN', '~', '100']);
      await d.check(['XTRIM', 's', 'MAXLEN', '=', '120', 'LIMIT', '0']);
      await same(d, 's');
      // Redis's payload restored into Redust (the listpacks adopted) and Redust's into Redis.
      const ref = (await d.reference.send('DUMP', 's')) as unknown as { v: Buffer };
      const own = (await d.redust.send('DUMP', 's')) as unknown as { v: Buffer };
      await d.redust.send('RESTORE', 'fromref', '0', ref.v);
      await d.reference.send('RESTORE', 'fromref', '0', ref.v);
      await d.reference.send('RESTORE', 'fromown', '0', own.v);
      await d.redust.send('RESTORE', 'fromown', '0', own.v);
      await same(d, 'fromref');
      await same(d, 'fromown');
      // The adopted nodes keep taking writes: appends to the tail, XDEL in place.
      await d.check(['XADD', 'fromref', '*', 'field', '8', 'kind', 'click'], { typeOnly: true });
      await d.check(['XDEL', 'fromref', '7-0', '2-1', '18446744073709551615-0']);
      await d.check(['XRANGE', 'fromref', '-', '+', 'COUNT', '20']);
      await d.check(['XINFO', 'STREAM', 'fromref']);
    });
  }

  diffTest(t, 'master counters changing size in place (127/128, 4095/4096 entries) keep the bytes Redis has', async ({ d }) => {
    for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'stream-node-max-entries', '5000', 'stream-node-max-bytes', '0');
    for (let i = 1; i <= 4100; i++) {
      const cmd = ['XADD', 'c', `${i}-0`, 'f', String(i)];
      await Promise.all([d.redust.send(...cmd), d.reference.send(...cmd)]);
    }
    await sameDump(d, 'c');
    await d.check(['XTRIM', 'c', 'MAXLEN', '4095']);
    await sameDump(d, 'c');
    for (let i = 10; i < 4000; i++) {
      const cmd = ['XDEL', 'c', `${i}-0`];
      await Promise.all([d.redust.send(...cmd), d.reference.send(...cmd)]);
      if (i === 137 || i === 3976) await sameDump(d, 'c');
    }
    await same(d, 'c');
    await d.check(['XADD', 'c', '5000-0', 'f', 'g']);
    await same(d, 'c');
  });

  diffTest(t, 'DEBUG RELOAD keeps every node byte for byte', async ({ d }) => {
    for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'stream-node-max-entries', '7', 'stream-node-max-bytes', '0');
    for (const cmd of script('r', true)) await d.check(cmd);
    await d.check(['XDEL', 'r', '5-0', '6-0', '7-2']);
    await d.check(['XGROUP', 'CREATE', 'r', 'g', '0']);
    const before = (await d.redust.send('DUMP', 'r')) as unknown as { v: Buffer };
    await d.redust.send('DEBUG', 'RELOAD');
    const after = (await d.redust.send('DUMP', 'r')) as unknown as { v: Buffer };
    assert.ok(Buffer.compare(before.v, after.v) === 0, 'DUMP after DEBUG RELOAD');
    await d.check(['XRANGE', 'r', '-', '+']);
    await d.check(['XADD', 'r', '18446744073709551615-1', 'field', 'after']);
    await d.check(['XRANGE', 'r', '+', '+']);
    await d.check(['XREVRANGE', 'r', '+', '-', 'COUNT', '3']);
  });

  diffTest(t, 'COPY clones nodes: both copies keep changing independently', async ({ d }) => {
    for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'stream-node-max-entries', '10', 'stream-node-max-bytes', '4096');
    for (let i = 1; i <= 25; i++) await d.check(['XADD', 'a', `${i}-0`, 'f', String(i), 'g', 'x'.repeat(i)]);
    await d.check(['COPY', 'a', 'b']);
    for (let i = 26; i <= 40; i++) {
      await d.check(['XADD', 'a', `${i}-0`, 'f', String(i)]);
      await d.check(['XADD', 'b', `${i}-1`, 'h', String(-i)]);
    }
    await d.check(['XDEL', 'a', '3-0', '22-0', '30-0']);
    await d.check(['XDEL', 'b', '21-0', '25-0', '40-1']);
    await d.check(['XTRIM', 'b', 'MAXLEN', '=', '20']);
    await same(d, 'a');
    await same(d, 'b');
    await d.check(['MEMORY', 'USAGE', 'a'], { typeOnly: true });
  });

  diffTest(t, 'random XADD/XDEL/XTRIM/XRANGE/COPY against Redis under random node limits (seeded), DUMP compared', async ({ d }) => {
    let seed = 0x5eed1234;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.floor(((seed >>> 8) / 16777216) * n);
    };
    const pool: Arg[] = [...VALUES.filter((v) => typeof v !== 'string' || v.length < 100), 'a', 'b', 'field', 'kind', '1', '2', '-5'];
    const limits: [string, string][] = [['4', '0'], ['0', '128'], ['100', '4096'], ['50', '300']];
    for (let round = 0; round < 4; round++) {
      const [me, mb] = limits[round];
      for (const conn of [d.redust, d.reference]) {
        await conn.send('FLUSHALL');
        await conn.send('CONFIG', 'SET', 'stream-node-max-entries', me, 'stream-node-max-bytes', mb);
      }
      let ms = BigInt(rnd(3) === 0 ? '9007199254740000' : '1');
      const ids: string[] = [];
      for (let step = 0; step < 400; step++) {
        const op = rnd(20);
        let cmd: Arg[];
        if (op < 11) {
          const gap = [0n, 1n, 2n, 5000000000n, 1n << 40n][rnd(5)];
          ms += gap;
          const id = `${ms}-${rnd(4) === 0 ? rnd(100000) : 0}`;
          const nf = 1 + rnd(3);
          cmd = ['XADD', 's', id];
          const same = rnd(3) > 0;
          for (let j = 0; j < nf; j++) cmd.push(same ? ['field', 'kind', 'x'][j] : pool[rnd(pool.length)], pool[rnd(pool.length)]);
          ids.push(id);
        } else if (op < 15 && ids.length) cmd = ['XDEL', 's', ids[rnd(ids.length)], ids[rnd(ids.length)]];
        else if (op === 15) cmd = ['XTRIM', 's', 'MAXLEN', ...(rnd(2) ? ['~'] : []), String(rnd(200))];
        else if (op === 16 && ids.length) cmd = ['XTRIM', 's', 'MINID', ...(rnd(2) ? ['~'] : []), ids[rnd(ids.length)], ...(rnd(2) ? ['LIMIT', String(rnd(300))] : [])];
        else if (op === 17 && ids.length) cmd = ['XRANGE', 's', ids[rnd(ids.length)], '+', 'COUNT', String(1 + rnd(10))];
        else if (op === 18 && ids.length) cmd = ['XREVRANGE', 's', ids[rnd(ids.length)], '-', 'COUNT', String(1 + rnd(10))];
        else cmd = ['COPY', 's', `c${rnd(3)}`, 'REPLACE'];
        // An XADD below the last ID may fail on both: the same error is part of the comparison.
        await d.check(cmd);
        if (step % 50 === 49) {
          await same(d, 's');
          for (let k = 0; k < 3; k++) await d.check(['XRANGE', `c${k}`, '-', '+']);
        }
      }
      await same(d, 's');
    }
  });

  t.run();

  // Corrupt node listpacks in a RESTORE payload: refused with Redis's reply (Redis under
  // sanitize-dump-payload yes), nothing stored, the server alive; the intact payload is adopted.
  if (haveRedisServer()) {
    const u = suite(`streams-listpack corrupt nodes [${engine}]`);
    u('corrupt stream listpacks are refused as Redis refuses them', async () => {
      const srv = await startRedust(engine);
      const ref = await startReference(['--sanitize-dump-payload', 'yes', '--rdbcompression', 'no']);
      try {
        const a = await RawConnection.connect(srv.port);
        const b = await RawConnection.connect(ref.port);
        for (const [id, x, y] of [['1-1', 'a', 'b'], ['1-2', 'c', 'd'], ['2-1', 'e', 'f']]) await b.send('XADD', 'st', id, 'f', x, 'g', y);
        const good = ((await b.send('DUMP', 'st')) as unknown as { v: Buffer }).v;
        // type, 1 node, the 16-byte key, then the listpack as a string with a 1-byte length.
        assert.is(good[0], 19);
        assert.is(good[2], 16);
        const lp = 20;
        assert.is(good.readUInt32LE(lp), good[19], 'listpack length');
        assert.is(good.subarray(lp + 6, lp + 34).toString('hex'), '03010001020181660281670200010201000100018161028162020501', 'master entry and entry 0');
        const cases: [string, number, number][] = [
          ['lp-count off by one', lp + 32, 0x06],
          ['master terminator not zero', lp + 18, 0x01],
          ['back-length of a value', lp + 28, 0x03],
          ['count larger than the entries', lp + 6, 0x04],
          ['master field count too large', lp + 10, 0x03],
          ['listpack total bytes', lp, good[19] + 1],
          ['a value length past the end', lp + 26, 0xbf],
          ['the terminator', lp + good[19] - 1, 0xfe],
        ];
        for (const [what, at, v] of cases) {
          const p = Buffer.from(good);
          p[at] = v;
          writeCrc64LE(crc64(p, 0, p.length - 8), p, p.length - 8);
          const mine = renderNode(await a.send('RESTORE', 'k', 0, p));
          assert.is(mine, renderNode(await b.send('RESTORE', 'k', 0, p)), what);
          assert.match(mine, /Bad data format/);
          assert.is(renderNode(await a.send('EXISTS', 'k')), ':0');
        }
        // Valid listpacks in forms Redis never writes (a string-encoded delta, a 13-bit flags
        // integer): accepted by both, and Redust's node, rebuilt entry by entry, reads the same.
        const odd = (at: number, del: number, ins: number[]): Buffer => {
          const p = Buffer.concat([good.subarray(0, at), Buffer.from(ins), good.subarray(at + del)]);
          const grow = ins.length - del;
          p[19] += grow;
          p.writeUInt32LE(p.readUInt32LE(lp) + grow, lp);
          writeCrc64LE(crc64(p, 0, p.length - 8), p, p.length - 8);
          return p;
        };
        const forms: [string, Buffer][] = [
          ['ms-delta as the string "0"', odd(lp + 22, 2, [0x81, 0x30, 0x02])],
          ['flags as a 13-bit integer', odd(lp + 20, 2, [0xc0, 0x02, 0x02])],
        ];
        for (const [what, p] of forms) {
          assert.is(renderNode(await a.send('RESTORE', 'o', 0, p, 'REPLACE')), renderNode(await b.send('RESTORE', 'o', 0, p, 'REPLACE')), what);
          for (const cmd of [['XRANGE', 'o', '-', '+'], ['XDEL', 'o', '1-1'], ['XADD', 'o', '3-0', 'f', 'z', 'g', 'y'], ['XRANGE', 'o', '-', '+'], ['XINFO', 'STREAM', 'o', 'FULL']]) {
            assert.is(renderNode(await a.send(...cmd)), renderNode(await b.send(...cmd)), `${what}: ${cmd.join(' ')}`);
          }
        }
        assert.is(renderNode(await a.send('RESTORE', 'k', 0, good)), '+OK');
        assert.is(renderNode(await a.send('XRANGE', 'k', '-', '+')), renderNode(await b.send('XRANGE', 'st', '-', '+')));
        a.close();
        b.close();
      } finally {
        await srv.close();
        await ref.stop();
      }
    });
    u.run();
  }
}
