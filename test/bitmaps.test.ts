/**
 * Bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO): replies
 * compared with real Redis 7.0 (RESP2 and RESP3), every error text, keyspace events, OBJECT
 * ENCODING, large offsets, and random sequences. Registered only when redis-server is installed.
 */
import * as assert from 'uvu/assert';
import { differentialSuite } from './helpers/suite';
import { enginesUnderTest, haveRedisServer } from './helpers/servers';
import { Arg, R, eventLog } from './helpers/raw';
import { rng } from './helpers/rng';

const HAVE_REF = haveRedisServer();

for (const engine of enginesUnderTest()) {
  if (!HAVE_REF) {
    console.log(`bitmaps [${engine}]: SKIPPED (no redis-server for the differential tests)`);
    continue;
  }
  const t = differentialSuite('bitmaps', engine);

  t('SETBIT / GETBIT: values, growth, errors, encodings', async ({ d }) => {
    await d!.bothProtocols([], [
      ['SETBIT', 'b', 7, 1],
      ['SETBIT', 'b', 7, 1],
      ['SETBIT', 'b', 7, 0],
      ['SETBIT', 'b', 100, 1],
      ['GET', 'b'],
      ['GETBIT', 'b', 100],
      ['GETBIT', 'b', 101],
      ['GETBIT', 'b', 1000000],
      ['GETBIT', 'nokey', 0],
      ['STRLEN', 'b'],
      ['OBJECT', 'ENCODING', 'b'],
      ['SET', 'n', '12'],
      ['OBJECT', 'ENCODING', 'n'],
      ['GETBIT', 'n', 2],
      ['GETBIT', 'n', 3],
      ['SETBIT', 'n', 2, 1],
      ['OBJECT', 'ENCODING', 'n'],
      ['SET', 'e', 'abc'],
      ['SETBIT', 'e', 0, 0],
      ['OBJECT', 'ENCODING', 'e'],
      ['SETBIT', 'b', -1, 1],
      ['SETBIT', 'b', 'x', 1],
      ['SETBIT', 'b', 4294967296, 1],
      ['SETBIT', 'b', 1, 2],
      ['SETBIT', 'b', 1, -1],
      ['SETBIT', 'b', 1, 'x'],
      ['GETBIT', 'b', -1],
      ['GETBIT', 'b', '1.5'],
      ['GETBIT', 'b', 4294967296],
      ['GETBIT', 'b', 4294967295],
      ['LPUSH', 'l', 'a'],
      ['SETBIT', 'l', 0, 1],
      ['GETBIT', 'l', 0],
      ['SETBIT', 'b'],
      ['GETBIT', 'b'],
    ]);
  });

  t('SETBIT / BITFIELD creating a key: one access (OBJECT FREQ), encoding, events-visible state', async ({ d }) => {
    await d!.all([
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu'],
      ['SETBIT', 'n1', 4095, 1],
      ['OBJECT', 'FREQ', 'n1'],
      ['OBJECT', 'ENCODING', 'n1'],
      ['STRLEN', 'n1'],
      ['BITFIELD', 'n2', 'INCRBY', 'u8', '#3', 1],
      ['OBJECT', 'FREQ', 'n2'],
      ['GET', 'n2'],
      ['SETBIT', 'n3', 0, 0],
      ['GET', 'n3'],
      ['OBJECT', 'ENCODING', 'n3'],
      ['BITFIELD', 'n4', 'GET', 'u8', 0],
      ['EXISTS', 'n4'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]);
  });

  t('SETBIT keeps the TTL', async ({ d }) => {
    await d!.all([
      ['SET', 'k', 'x', 'EX', 1000],
      ['SETBIT', 'k', 100, 1],
      ['TTL', 'k'],
      ['GET', 'k'],
    ]);
  });

  t('BITCOUNT: BYTE and BIT ranges, negative indexes, errors', async ({ d }) => {
    const cmds: Arg[][] = [['BITCOUNT', 'nokey'], ['BITCOUNT', 'nokey', 0, 1], ['BITCOUNT', 'nokey', 'x', 1], ['BITCOUNT', 'nokey', 0], ['BITCOUNT', 'nokey', 0, 1, 'bit', 'x']];
    const idx = [0, 1, 2, 5, 7, 8, 9, 15, 16, 23, 100, -1, -2, -7, -8, -9, -24, -100];
    for (const s of [0, 1, 7, -1, -9, 100, -100]) {
      for (const e of idx) {
        cmds.push(['BITCOUNT', 's', s, e]);
        cmds.push(['BITCOUNT', 's', s, e, 'BIT']);
        cmds.push(['BITCOUNT', 's', s, e, 'byte']);
      }
    }
    cmds.push(['BITCOUNT', 's'], ['BITCOUNT', 's', 0, 1, 'bits'], ['BITCOUNT', 's', 0], ['BITCOUNT', 's', 0, 1, 'bit', 'x'], ['BITCOUNT', 's', 'a', 'b'], ['BITCOUNT', 'l'], ['BITCOUNT', 'l', 0, 1]);
    cmds.push(['BITCOUNT', 's', '-9223372036854775807', '-9223372036854775808'], ['BITCOUNT', 's', '-9223372036854775808', '9223372036854775807', 'BIT'], ['BITCOUNT', 's', '9223372036854775807', '-9223372036854775808']);
    cmds.push(['BITCOUNT', 'n'], ['BITCOUNT', 'n', 0, 3, 'bit'], ['BITCOUNT', 'empty'], ['BITCOUNT', 'empty', 0, -1, 'bit']);
    await d!.all([['SET', 's', 'foobar\xff\x00\x81'], ['LPUSH', 'l', 'a'], ['SET', 'n', '1234'], ['SET', 'empty', '']]);
    await d!.all(cmds);
  });

  t('BITPOS: every range form and error', async ({ d }) => {
    await d!.all([
      ['SET', 'a', Buffer.from([0xff, 0xf0, 0x00])],
      ['SET', 'z', Buffer.from([0x00, 0x00, 0x01])],
      ['SET', 'ones', Buffer.from([0xff, 0xff])],
      ['SET', 'zeros', Buffer.from([0, 0, 0])],
      ['SET', 'empty', ''],
      ['LPUSH', 'l', 'x'],
    ]);
    const cmds: Arg[][] = [];
    const starts = [0, 1, 3, 7, 8, 9, 12, 16, 23, -1, -2, -8, -9, 100, -100];
    for (const key of ['a', 'z', 'ones', 'zeros', 'empty', 'nokey']) {
      for (const bit of [0, 1]) {
        cmds.push(['BITPOS', key, bit]);
        for (const s of starts) {
          cmds.push(['BITPOS', key, bit, s]);
          for (const e of [0, 1, 2, 7, 8, 15, 16, 22, 23, 24, -1, -2, -9, 100]) {
            cmds.push(['BITPOS', key, bit, s, e]);
            cmds.push(['BITPOS', key, bit, s, e, 'BIT']);
            cmds.push(['BITPOS', key, bit, s, e, 'BYTE']);
          }
        }
      }
    }
    cmds.push(['BITPOS', 'a', 2], ['BITPOS', 'a', 'x'], ['BITPOS', 'a', -1], ['BITPOS', 'a', 1, 'x'], ['BITPOS', 'a', 1, 0, 'x'], ['BITPOS', 'a', 1, 0, 1, 'bits']);
    cmds.push(['BITPOS', 'a', 0, '-9223372036854775808', '9223372036854775807', 'BIT'], ['BITPOS', 'z', 1, '-9223372036854775807', '-9223372036854775808']);
    cmds.push(['BITPOS', 'a', 1, 0, 1, 'BIT', 'x'], ['BITPOS', 'l', 1], ['BITPOS', 'nokey', 2], ['BITPOS', 'nokey', 1, 'x'], ['BITPOS', 'a']);
    await d!.all(cmds);
  });

  t('BITOP AND/OR/XOR/NOT: lengths, missing keys, deletes, errors, encoding', async ({ d }) => {
    await d!.bothProtocols(
      [
        ['SET', 'a', 'foobar'],
        ['SET', 'b', 'abcdef\xff\x01'],
        ['SET', 'c', '12'],
        ['SET', 'empty', ''],
        ['LPUSH', 'l', 'x'],
      ],
      [
        ['BITOP', 'AND', 'd', 'a', 'b'],
        ['GET', 'd'],
        ['OBJECT', 'ENCODING', 'd'],
        ['BITOP', 'or', 'd', 'a', 'b', 'c'],
        ['GET', 'd'],
        ['BITOP', 'XOR', 'd', 'a', 'b', 'nokey'],
        ['GET', 'd'],
        ['BITOP', 'AND', 'd', 'a', 'nokey'],
        ['GET', 'd'],
        ['BITOP', 'NOT', 'd', 'b'],
        ['GET', 'd'],
        ['BITOP', 'NOT', 'd', 'c'],
        ['OBJECT', 'ENCODING', 'd'],
        ['BITOP', 'AND', 'd', 'a'],
        ['GET', 'd'],
        ['BITOP', 'NOT', 'd', 'a', 'b'],
        ['BITOP', 'NAND', 'd', 'a', 'b'],
        ['BITOP', 'AND', 'd', 'a', 'l'],
        ['BITOP', 'AND', 'l', 'a'],
        ['TYPE', 'l'],
        ['SET', 'x', 'v', 'EX', 100],
        ['BITOP', 'OR', 'x', 'a'],
        ['TTL', 'x'],
        ['BITOP', 'AND', 'd', 'nokey', 'empty'],
        ['EXISTS', 'd'],
        ['BITOP', 'OR', 'nothere', 'nokey'],
        ['BITOP', 'AND', 'd'],
        ['BITOP', 'NOT', 'd', 'nokey'],
      ],
    );
  });

  t('BITOP word paths: 1..7 equal-length sources, mixed lengths, target reused in place, TTL', async ({ d }) => {
    // js-map combines 64-bit words in passes of up to four arrays and writes into the target's own
    // Buffer when it has the result's length: every grouping, unaligned ends, and the target kept.
    const r = rng(11);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (r() * 256) | 0));
    const setup: Arg[][] = [];
    for (let i = 0; i < 7; i++) setup.push(['SET', `e${i}`, bytes(5003)]);
    for (const [i, n] of [4100, 4103, 4111, 5000, 5005, 9001].entries()) setup.push(['SET', `m${i}`, bytes(n)]);
    await d!.all(setup);
    const cmds: Arg[][] = [];
    for (const op of ['AND', 'OR', 'XOR']) {
      for (let n = 1; n <= 7; n++) {
        const srcs = Array.from({ length: n }, (_, i) => `e${i}`);
        cmds.push(['BITOP', op, 't', ...srcs], ['BITCOUNT', 't'], ['GET', 't']);
      }
      cmds.push(['BITOP', op, 't', 'm0', 'm1', 'm2', 'm3', 'm4', 'm5'], ['GET', 't']);
      cmds.push(['BITOP', op, 't', 'm5', 'm1', 'nokey', 'm4'], ['GET', 't']);
      cmds.push(['BITOP', op, 't', 'm2', 'm0'], ['GET', 't'], ['BITOP', op, 't', 't', 'm3'], ['GET', 't']);
    }
    cmds.push(['BITOP', 'NOT', 't', 'm2'], ['GET', 't'], ['BITOP', 'NOT', 't', 't'], ['GET', 't']);
    // The target same length as the result, with a TTL: overwritten in place, TTL gone.
    cmds.push(['BITOP', 'OR', 't', 'e1'], ['EXPIRE', 't', 1000], ['BITOP', 'AND', 't', 'e2', 'e3'], ['TTL', 't'], ['GET', 't']);
    cmds.push(['SET', 'h', 'x'], ['EXPIRE', 'h', 1000], ['BITOP', 'XOR', 'h', 'e4', 'e5'], ['TTL', 'h'], ['GET', 'h'], ['OBJECT', 'ENCODING', 'h']);
    // BITCOUNT around 32-bit words and the eight-word groups.
    for (const [s, e] of [[0, 31], [1, 32], [3, 64], [4, 67], [5, 4099], [0, -1], [7, -9]]) cmds.push(['BITCOUNT', 'm1', s, e], ['BITCOUNT', 'm1', s * 8 + 3, e * 8 + 5, 'BIT']);
    // js-map's wasm kernel (16 KB and more): chunks of 64 KB, or 1 MB / (sources + 1) with many sources.
    const big: Arg[][] = [];
    for (let i = 0; i < 20; i++) big.push(['SET', `g${i}`, bytes(i === 7 ? 70001 : i === 3 ? 16384 : 140003)]);
    await d!.all(big);
    for (const op of ['AND', 'OR', 'XOR']) {
      cmds.push(['BITOP', op, 't', ...Array.from({ length: 20 }, (_, i) => `g${i}`)], ['BITCOUNT', 't'], ['GET', 't']);
      cmds.push(['BITOP', op, 't', 'g7', 'g3', 'nokey', 'e0'], ['GET', 't'], ['BITOP', op, 't', 'g0', 'g1'], ['BITCOUNT', 't', 70000, -1]);
    }
    cmds.push(['BITOP', 'NOT', 't', 'g7'], ['GET', 't'], ['BITCOUNT', 'g0', 65535, 131073], ['BITCOUNT', 'g0', 3, 139990, 'BIT'], ['BITCOUNT', 'g3']);
    // The target among the sources, written in place through the kernel (js-map) when it has the
    // result's length: first, last, later (past the first four), twice; and shorter than the result.
    for (const op of ['AND', 'OR', 'XOR']) {
      cmds.push(['BITOP', op, 'g1', 'g1', 'g0', 'g2'], ['GET', 'g1']);
      cmds.push(['BITOP', op, 'g2', 'g0', 'g1', 'g5', 'g2'], ['GET', 'g2'], ['BITOP', op, 'g5', 'g6', 'g5'], ['GET', 'g5']);
      cmds.push(['BITOP', op, 'g4', 'g0', 'g2', 'g5', 'g6', 'g4', 'g8', 'g4'], ['GET', 'g4'], ['BITCOUNT', 'g4']);
      cmds.push(['BITOP', op, 'g7', 'g7', 'g9'], ['GET', 'g7'], ['STRLEN', 'g7']);
    }
    cmds.push(['BITOP', 'NOT', 'g2', 'g2'], ['GET', 'g2'], ['BITOP', 'NOT', 'g3', 'g3'], ['GET', 'g3']);
    // BITPOS skips runs of 0x00 / 0xff a 32-bit word at a time: the first differing byte anywhere in a word.
    for (const at of [0, 1, 3, 4, 63, 64, 65, 4098, 4099, 4100, 4101, 4999]) {
      const z = Buffer.alloc(5000);
      z[at] = 0x10;
      const f = Buffer.alloc(5000, 0xff);
      f[at] = 0xfe;
      cmds.push(['SET', 'z', z], ['BITPOS', 'z', 1], ['BITPOS', 'z', 1, 3], ['BITPOS', 'z', 1, 2, -1, 'BYTE'], ['BITPOS', 'z', 1, 17, 39990, 'BIT']);
      cmds.push(['SET', 'f', f], ['BITPOS', 'f', 0], ['BITPOS', 'f', 0, 5], ['BITPOS', 'f', 0, 1, 4200], ['BITPOS', 'f', 0, 9, 39999, 'BIT']);
    }
    cmds.push(['SET', 'z', Buffer.alloc(5000)], ['BITPOS', 'z', 1], ['BITPOS', 'z', 0], ['SET', 'f', Buffer.alloc(5000, 0xff)], ['BITPOS', 'f', 0], ['BITPOS', 'f', 0, 0, -1], ['BITPOS', 'f', 1]);
    await d!.all(cmds);
  });

  t('big values: BITOP word/SIMD/block paths, BITCOUNT, in-place SETBIT and BITFIELD', async ({ d }) => {
    // Lengths around the 16-byte vector step and the 8 KiB block of assembly/bitops.ts, and the
    // js-map engine's 4 KiB Buffer threshold; one target is also a source.
    const r = rng(7);
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => (r() * 256) | 0));
    const lens = [15, 16, 17, 4095, 4097, 8191, 8192, 8193, 100003];
    const setup: Arg[][] = lens.map((n, i) => ['SET', `s${i}`, bytes(n)]);
    await d!.all(setup);
    const cmds: Arg[][] = [];
    for (const op of ['AND', 'OR', 'XOR']) {
      cmds.push(['BITOP', op, 'd', 's0', 's1', 's2'], ['GET', 'd']);
      cmds.push(['BITOP', op, 'd', 's8', 's3', 's7', 'nokey'], ['GET', 'd'], ['BITCOUNT', 'd']);
      cmds.push(['BITOP', op, 'd', 's5', 's6', 's7', 's8'], ['BITCOUNT', 'd'], ['BITCOUNT', 'd', 3, -5], ['BITCOUNT', 'd', 17, 70001, 'BIT']);
    }
    cmds.push(['BITOP', 'NOT', 'd', 's8'], ['GET', 'd'], ['BITOP', 'NOT', 'd', 'd'], ['GET', 'd']);
    cmds.push(['BITOP', 'XOR', 's4', 's4', 's8'], ['GET', 's4'], ['BITOP', 'AND', 's8', 's8', 's7'], ['STRLEN', 's8'], ['BITCOUNT', 's8']);
    for (let i = 0; i < lens.length; i++) cmds.push(['BITCOUNT', `s${i}`], ['BITCOUNT', `s${i}`, 1, -2], ['BITCOUNT', `s${i}`, 5, 40000, 'BIT']);
    // In place: flip bits inside, at the end and past the end of big values.
    for (const off of [0, 7, 65535, 800023, 800024, 1000000]) cmds.push(['SETBIT', 's8', off, 1], ['SETBIT', 's8', off, 0], ['GETBIT', 's8', off]);
    cmds.push(['STRLEN', 's8'], ['BITCOUNT', 's8'], ['GET', 's8']);
    cmds.push(['BITFIELD', 's7', 'INCRBY', 'u8', '#100', 300, 'GET', 'i16', 4000, 'SET', 'i64', 65530, -5, 'INCRBY', 'u63', 80000, 9]);
    cmds.push(['BITFIELD', 's7', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', 90000, 7], ['STRLEN', 's7'], ['GET', 's7'], ['OBJECT', 'ENCODING', 's7']);
    await d!.all(cmds);
  });

  t('BITFIELD: types, # offsets, SET/GET/INCRBY, OVERFLOW, errors, BITFIELD_RO', async ({ d }) => {
    await d!.bothProtocols([['SET', 'n', '1234'], ['LPUSH', 'l', 'x']], [
      ['BITFIELD', 'f', 'SET', 'i8', 0, 100, 'GET', 'i8', 0, 'GET', 'u4', 0, 'GET', 'i4', 4],
      ['BITFIELD', 'f', 'INCRBY', 'i8', 0, 100, 'INCRBY', 'u8', 0, 300],
      ['BITFIELD', 'f', 'OVERFLOW', 'SAT', 'INCRBY', 'i8', 0, 100, 'INCRBY', 'i8', 0, -1000, 'INCRBY', 'u8', 8, 300, 'INCRBY', 'u8', 8, -400],
      ['BITFIELD', 'f', 'OVERFLOW', 'FAIL', 'INCRBY', 'i8', 0, -1000, 'INCRBY', 'u8', 8, 300, 'OVERFLOW', 'WRAP', 'INCRBY', 'u8', 8, 300],
      ['BITFIELD', 'f', 'SET', 'u8', 16, -1, 'OVERFLOW', 'SAT', 'SET', 'u8', 24, -1, 'SET', 'i8', 32, 200, 'OVERFLOW', 'FAIL', 'SET', 'i8', 40, 200, 'SET', 'u2', 48, 4],
      ['GET', 'f'],
      ['BITFIELD', 'f', 'SET', 'i64', 0, '-9223372036854775808', 'GET', 'i64', 0, 'INCRBY', 'i64', 0, -1, 'OVERFLOW', 'SAT', 'INCRBY', 'i64', 0, -1, 'INCRBY', 'i64', 0, '9223372036854775807', 'INCRBY', 'i64', 0, 1, 'INCRBY', 'i64', 0, 1],
      ['BITFIELD', 'f', 'SET', 'u63', 0, '9223372036854775807', 'GET', 'u63', 0, 'INCRBY', 'u63', 0, 1, 'OVERFLOW', 'SAT', 'INCRBY', 'u63', 0, '9223372036854775807'],
      ['BITFIELD', 'f', 'SET', 'i5', '#3', 7, 'GET', 'i5', '#3', 'GET', 'u5', 15, 'INCRBY', 'u3', '#100', 9],
      ['GET', 'f'],
      ['STRLEN', 'f'],
      ['OBJECT', 'ENCODING', 'f'],
      ['BITFIELD', 'f', 'GET', 'i1', 0, 'GET', 'u1', 0, 'GET', 'i64', 3, 'GET', 'u63', 5, 'GET', 'i16', 10000],
      ['BITFIELD', 'n', 'GET', 'u8', 0, 'GET', 'i16', 8],
      ['BITFIELD', 'n', 'INCRBY', 'u8', 0, 1],
      ['GET', 'n'],
      ['BITFIELD', 'nokey', 'GET', 'u8', 0],
      ['EXISTS', 'nokey'],
      ['BITFIELD', 'nokey'],
      ['BITFIELD', 'nokey', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', 100, 10],
      ['GET', 'nokey'],
      ['BITFIELD', 'f', 'GET', 'u64', 0],
      ['BITFIELD', 'f', 'GET', 'i65', 0],
      ['BITFIELD', 'f', 'GET', 'i0', 0],
      ['BITFIELD', 'f', 'GET', 'I8', 0],
      ['BITFIELD', 'f', 'GET', 'x8', 0],
      ['BITFIELD', 'f', 'GET', 'u', 0],
      ['BITFIELD', 'f', 'GET', 'u8x', 0],
      ['BITFIELD', 'f', 'GET', 'u8', -1],
      ['BITFIELD', 'f', 'GET', 'u8', '#-1'],
      ['BITFIELD', 'f', 'GET', 'u8', '#x'],
      ['BITFIELD', 'f', 'GET', 'u8', 4294967296],
      ['BITFIELD', 'f', 'GET', 'u8', '#536870912'],
      ['BITFIELD', 'f', 'GET', 'u8', '#536870911'],
      ['BITFIELD', 'f', 'SET', 'u8', 0, 'x'],
      ['BITFIELD', 'f', 'SET', 'u8', 0],
      ['BITFIELD', 'f', 'GET', 'u8'],
      ['BITFIELD', 'f', 'FOO', 'u8', 0],
      ['BITFIELD', 'f', 'OVERFLOW', 'BAD', 'GET', 'u8', 0],
      ['BITFIELD', 'f', 'OVERFLOW'],
      ['BITFIELD', 'f', 'GET', 'u8', 0, 'SET', 'u8', 0, 1, 'GET', 'x8', 0],
      ['BITFIELD', 'l', 'GET', 'u8', 0],
      ['BITFIELD', 'l', 'SET', 'u8', 0, 1],
      ['BITFIELD_RO', 'f', 'GET', 'u8', 0, 'GET', 'i4', 4],
      ['BITFIELD_RO', 'f', 'SET', 'u8', 0, 1],
      ['BITFIELD_RO', 'f', 'INCRBY', 'u8', 0, 1],
      ['BITFIELD_RO', 'f', 'OVERFLOW', 'SAT', 'GET', 'u8', 0],
      ['BITFIELD_RO', 'l', 'GET', 'u8', 0],
      ['BITFIELD_RO', 'nokey', 'GET', 'u8', 0],
      ['BITFIELD_RO', 'f'],
    ]);
  });

  t('keyspace events match Redis', async (ctx) => {
    const { d, srv, ref } = ctx;
    for (const conn of [d!.redust, d!.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const subs = [await eventLog(srv.port), await eventLog(ref!.port)];
    try {
      await d!.all([
        ['SETBIT', 'b', 3, 1],
        ['SETBIT', 'b', 3, 1],
        ['SETBIT', 'b', 2, 0],
        ['SETBIT', 'b', 30, 0],
        ['BITOP', 'OR', 'd', 'b'],
        ['BITOP', 'OR', 'd', 'nokey'],
        ['BITOP', 'OR', 'd', 'nokey'],
        ['BITFIELD', 'f', 'SET', 'u8', 0, 0],
        ['BITFIELD', 'f', 'SET', 'u8', 0, 0],
        ['BITFIELD', 'f', 'SET', 'u8', 0, 1, 'SET', 'u8', 8, 0, 'INCRBY', 'u8', 0, 2],
        ['BITFIELD', 'g', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', 0, 10],
        ['BITFIELD', 'f', 'GET', 'u8', 0],
        ['GETBIT', 'nokey', 0],
      ]);
      const logs = [await subs[0].messages(), await subs[1].messages()];
      assert.ok(logs[1].length >= 6, logs[1].join('\n'));
      assert.equal(logs[0].join('\n'), logs[1].join('\n'));
    } finally {
      for (const s of subs) s.conn.close();
      for (const conn of [d!.redust, d!.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  t('large offsets: 2^32-1 bits (512 MB) on the wasm path without a full copy; proto-max-bulk-len', async ({ c, d }) => {
    // The last addressable bit of a 512 MB string: both servers allocate it.
    await d!.all([
      ['SETBIT', 'big', 4294967295, 1],
      ['GETBIT', 'big', 4294967295],
      ['GETBIT', 'big', 4294967294],
      ['STRLEN', 'big'],
      ['BITCOUNT', 'big'],
      ['BITCOUNT', 'big', -1, -1],
      ['BITCOUNT', 'big', -3, -1, 'BIT'],
      ['BITPOS', 'big', 1],
      ['BITPOS', 'big', 1, -2],
      ['BITPOS', 'big', 0, -1, -1, 'BIT'],
      ['SETBIT', 'big', 4294967295, 0],
      ['BITCOUNT', 'big'],
      ['BITFIELD', 'big', 'SET', 'u8', 4294967288, 255, 'GET', 'i4', 4294967292],
      ['DEL', 'big'],
    ]);
    await d!.all([
      ['CONFIG', 'SET', 'proto-max-bulk-len', '2mb'],
      ['SETBIT', 'k', 16777215, 1],
      ['SETBIT', 'k', 16777216, 1],
      ['BITFIELD', 'k', 'SET', 'u8', 16777208, 1],
      ['BITFIELD', 'k', 'SET', 'u8', 16777209, 1],
      ['STRLEN', 'k'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '512mb'],
    ]);
    assert.equal(await c.send('PING'), R.simple('PONG'));
  });

  t('random SETBIT/BITFIELD/BITOP/BITCOUNT/BITPOS sequences equal Redis', async ({ d }) => {
    const r = rng(16);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const key = () => pick(['a', 'b', 'c']);
    const types = ['u1', 'u3', 'u8', 'u16', 'u31', 'u63', 'i1', 'i7', 'i8', 'i32', 'i33', 'i64'];
    const nums = ['0', '1', '-1', '127', '-128', '255', '65535', '9223372036854775807', '-9223372036854775808', '4294967296', '-77777'];
    for (let i = 0; i < 1500; i++) {
      const k = r();
      let cmd: Arg[];
      if (k < 0.25) cmd = ['SETBIT', key(), int(0, 300), int(0, 1)];
      else if (k < 0.35) cmd = ['GETBIT', key(), int(0, 300)];
      else if (k < 0.45) cmd = ['BITCOUNT', key(), int(-40, 40), int(-40, 40), pick(['BIT', 'BYTE'])];
      else if (k < 0.55) cmd = ['BITPOS', key(), int(0, 1), int(-300, 300), int(-300, 300), pick(['BIT', 'BYTE'])];
      else if (k < 0.62) cmd = ['BITOP', pick(['AND', 'OR', 'XOR']), key(), key(), key()];
      else if (k < 0.65) cmd = ['BITOP', 'NOT', key(), key()];
      else if (k < 0.95) {
        cmd = ['BITFIELD', key()];
        for (let j = int(1, 4); j > 0; j--) {
          const op = pick(['GET', 'SET', 'INCRBY', 'OVERFLOW']);
          if (op === 'OVERFLOW') cmd.push(op, pick(['WRAP', 'SAT', 'FAIL']));
          else {
            const ty = pick(types);
            cmd.push(op, ty, r() < 0.2 ? `#${int(0, 10)}` : int(0, 200));
            if (op !== 'GET') cmd.push(pick(nums));
          }
        }
      } else cmd = ['GET', key()];
      await d!.check(cmd);
    }
    await d!.all([['GET', 'a'], ['GET', 'b'], ['GET', 'c']]);
  });

  t('random BITFIELD on fields up to 32 bits (the numeric path) equals Redis', async ({ d }) => {
    const r = rng(32);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const nums = ['0', '1', '-1', '2', '-2', '100', '-100', '2147483647', '-2147483648', '2147483648', '4294967295', '4294967296', '-4294967296',
      '4503599627370496', '-4503599627370496', '4503599627370497', '9007199254740993', '-0', '01', '+1', '1x', '', '999999999999999', '-999999999999999'];
    for (let i = 0; i < 1200; i++) {
      const cmd: Arg[] = [i % 7 === 0 ? 'BITFIELD_RO' : 'BITFIELD', pick(['f', 'g'])];
      for (let j = int(1, 5); j > 0; j--) {
        const op = pick(['GET', 'SET', 'INCRBY', 'INCRBY', 'OVERFLOW']);
        if (op === 'OVERFLOW') cmd.push(op, pick(['WRAP', 'SAT', 'FAIL']));
        else {
          cmd.push(op, `${pick(['u', 'i'])}${int(1, 32)}`, r() < 0.3 ? `#${int(0, 20)}` : int(0, 120));
          if (op !== 'GET') cmd.push(r() < 0.5 ? pick(nums) : String(int(-70000, 70000)));
        }
      }
      await d!.check(cmd);
      if (i % 50 === 0) await d!.all([['GET', 'f'], ['GET', 'g']]);
    }
  });

  t('small values edited where they are stored: keys and values around the 32-byte row, many new keys', async ({ d }) => {
    // js-map keeps a key and a string value of up to 32 bytes together in its row and edits
    // them there (SETBIT, BITFIELD, SETRANGE), moving the value out once it grows past the row;
    // new values up to 1 KB share slabs. Each step is compared with Redis.
    for (const klen of [1, 8, 20, 27, 31, 32, 33]) {
      const k = 'k'.repeat(klen);
      const room = Math.max(32 - klen, 0);
      for (const cmd of [
        ['SETBIT', k, 0, 1],
        ['GET', k],
        ['OBJECT', 'ENCODING', k],
        ['SETBIT', k, Math.max(room * 8 - 1, 0), 1],
        ['STRLEN', k],
        ['BITFIELD', k, 'INCRBY', 'u8', '#1', 200, 'GET', 'u16', 0],
        ['SETRANGE', k, Math.max(room - 2, 0), 'xy'],
        ['GET', k],
        ['SETBIT', k, room * 8 + 3, 1],
        ['GET', k],
        ['OBJECT', 'ENCODING', k],
        ['BITFIELD', k, 'SET', 'i16', 80, -5, 'INCRBY', 'u4', 3, 9],
        ['APPEND', k, 'z'],
        ['GET', k],
        ['BITCOUNT', k],
        ['BITFIELD', `${k}:f`, 'INCRBY', 'u8', '#3', 1],
        ['BITFIELD', `${k}:f`, 'INCRBY', 'u8', '#3', 1],
        ['GET', `${k}:f`],
        ['SETRANGE', `${k}:r`, 5, 'abc'],
        ['GET', `${k}:r`],
      ] as Arg[][]) await d!.check(cmd);
    }
    // Many new bitmaps next to each other: each keeps its own bytes.
    for (let i = 0; i < 300; i++) await d!.check(['SETBIT', `bm:${i}`, (i * 37) % 4096, 1]);
    for (let i = 0; i < 300; i += 7) await d!.check(['BITFIELD', `bm:${i}`, 'INCRBY', 'u8', '#0', i]);
    const keys: Arg[] = [];
    for (let i = 0; i < 300; i++) keys.push(`bm:${i}`);
    await d!.check(['MGET', ...keys]);
    await d!.check(['DEL', 'bm:5', 'bm:6']);
    await d!.check(['SETBIT', 'bm:7', 9000, 1]);
    await d!.check(['MGET', ...keys]);
  });

  t('values edited in place up to 1 KB (js-map: the byte arena of its key table): blocks grown, moved, freed and reused', async ({ d }) => {
    // js-map keeps such values in blocks of its KeyTable's slabs (key-table.ts) when the key is
    // at most 20 bytes (or longer than 32): blocks grow in place up to their size class, move to
    // a larger one, become Buffers past 1 KB, and are freed (DEL, SET, RENAME, expiry) and reused
    // zeroed by other keys. Random steps over keys of 3, 20, 21 and 40 bytes, each compared with Redis.
    const r = rng(54);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const keys = ['k:1', 'k:2', 'k:3', 'a'.repeat(17) + ':20', 'b'.repeat(17) + ':20', 'c'.repeat(18) + ':21', 'd'.repeat(37) + ':40'];
    const size = () => (r() < 0.7 ? int(40, 1100) : int(0, 9000));
    for (let i = 0; i < 1500; i++) {
      const k = pick(keys);
      const x = r();
      let cmd: Arg[];
      if (x < 0.3) cmd = ['SETBIT', k, size() * 8 + int(0, 7), int(0, 1)];
      else if (x < 0.4) cmd = ['SETRANGE', k, size(), pick(['abc', 'x', '\x00\xff'])];
      else if (x < 0.48) cmd = ['BITFIELD', k, 'INCRBY', 'u8', `#${int(0, 1100)}`, int(1, 200)];
      else if (x < 0.56) cmd = ['GETRANGE', k, int(-100, 1100), int(-100, 1100)];
      else if (x < 0.62) cmd = ['BITCOUNT', k];
      else if (x < 0.66) cmd = ['STRLEN', k];
      else if (x < 0.72) cmd = ['DEL', k];
      else if (x < 0.76) cmd = ['SET', k, 'v'.repeat(pick([1, 10, 40, 600]))];
      else if (x < 0.8) cmd = ['RENAME', k, pick(keys)];
      else if (x < 0.83) cmd = ['COPY', k, pick(keys), 'REPLACE'];
      else if (x < 0.86) cmd = ['APPEND', k, 'zz'];
      else if (x < 0.88) cmd = ['GETDEL', k];
      else if (x < 0.9) cmd = ['PEXPIRE', k, 1];
      else cmd = ['GET', k];
      await d!.check(cmd);
      if (cmd[0] === 'PEXPIRE') {
        await new Promise((res) => setTimeout(res, 3));
        await d!.check(['EXISTS', k]);
      }
    }
    await d!.check(['MGET', ...keys]);
  });

  t.run();
}
