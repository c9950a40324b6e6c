/**
 * HyperLogLog (PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST): replies AND the raw value bytes
 * (GET) compared with real Redis 7.0 after the same commands: sparse -> dense promotion at several
 * hll-sparse-max-bytes, merges of sparse and dense values, cached cardinality, corrupted and
 * random values (INVALIDOBJ / WRONGTYPE, never a crash), keyspace events, OBJECT ENCODING.
 * Registered only when redis-server is installed.
 */
import * as assert from 'uvu/assert';
import { differentialSuite } from './helpers/suite';
import { enginesUnderTest, haveRedisServer } from './helpers/servers';
import { Arg, R, eventLog } from './helpers/raw';
import { rng } from './helpers/rng';

const HAVE_REF = haveRedisServer();

function header(enc: number, card = [0, 0, 0, 0, 0, 0, 0, 0x80]): number[] {
  return [72, 89, 76, 76, enc, 0, 0, 0, ...card];
}

for (const engine of enginesUnderTest()) {
  if (!HAVE_REF) {
    console.log(`hyperloglog [${engine}]: SKIPPED (no redis-server for the differential tests)`);
    continue;
  }
  const t = differentialSuite('hyperloglog', engine);

  t('PFADD / PFCOUNT / GET bytes / OBJECT ENCODING, RESP2 and RESP3', async ({ d }) => {
    await d!.bothProtocols([], [
      ['PFADD', 'h'],
      ['PFADD', 'h'],
      ['GET', 'h'],
      ['OBJECT', 'ENCODING', 'h'],
      ['PFADD', 'h', 'a', 'b', 'c', 'a'],
      ['PFADD', 'h', 'a'],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'nokey'],
      ['PFCOUNT', 'h', 'nokey'],
      ['PFADD', 'h', Buffer.alloc(0), Buffer.from([0, 255, 13, 10]), 'x'.repeat(1000)],
      ['GET', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['PFDEBUG', 'GETREG', 'h'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['GET', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFADD', 'h2', 'z'],
      ['PFDEBUG', 'TODENSE', 'h2'],
      ['PFDEBUG', 'TODENSE', 'h2'],
      ['GET', 'h2'],
      ['PFDEBUG', 'FOO', 'h2'],
      ['PFDEBUG', 'encoding', 'h2', 'x'],
      ['PFDEBUG', 'GETREG', 'nokey'],
      ['PFDEBUG', 'GETREG'],
      ['PFADD'],
      ['PFCOUNT'],
      ['PFMERGE'],
      ['PFSELFTEST', 'x'],
    ]);
  });

  t('sparse -> dense promotion at several hll-sparse-max-bytes; cached cardinality; bytes equal', async ({ d }) => {
    for (const max of ['3000', '0', '100', '700', '12000']) {
      const cmds: Arg[][] = [['CONFIG', 'SET', 'hll-sparse-max-bytes', max], ['DEL', 'h']];
      for (let i = 0; i < 1200; i++) {
        cmds.push(['PFADD', 'h', `e${i}`, `f${i * 13}`]);
        if (i % 50 === 0) cmds.push(['GET', 'h'], ['PFCOUNT', 'h'], ['PFDEBUG', 'ENCODING', 'h'], ['GET', 'h']);
      }
      cmds.push(['GET', 'h'], ['PFCOUNT', 'h']);
      await d!.all(cmds);
    }
    await d!.all([['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'], ['CONFIG', 'GET', 'hll-sparse-max-bytes']]);
  });

  t('large cardinalities (estimator) and multi-key PFCOUNT', async ({ d }) => {
    for (const [key, n] of [['a', 20000], ['b', 100000], ['c', 3]] as const) {
      const batch = 1000;
      for (let i = 0; i < n; i += batch) {
        const els: string[] = [];
        for (let j = i; j < Math.min(n, i + batch); j++) els.push(`${key}:${j}`);
        await d!.check(['PFADD', key, ...els]);
      }
      await d!.check(['PFCOUNT', key]);
      await d!.check(['GET', key]);
    }
    await d!.all([
      ['PFCOUNT', 'a', 'b'],
      ['PFCOUNT', 'a', 'b', 'c', 'nokey'],
      ['PFCOUNT', 'c', 'c'],
      // Dense first (js-map unpacks the first dense value instead of merging it), sparse first,
      // a missing key first, and PFMERGE into a dense target from an empty union or dense sources.
      ['PFCOUNT', 'b', 'a'],
      ['PFCOUNT', 'c', 'a', 'b'],
      ['PFCOUNT', 'nokey', 'b', 'c'],
      ['PFCOUNT', 'b', 'b', 'b'],
      ['PFMERGE', 'u', 'b', 'a', 'c'],
      ['GET', 'u'],
      ['PFMERGE', 'a', 'nokey'],
      ['GET', 'a'],
      ['PFMERGE', 'a', 'b'],
      ['GET', 'a'],
      ['PFCOUNT', 'a'],
      ['PFMERGE', 'c', 'b'],
      ['GET', 'c'],
      ['PFMERGE', 'v'],
      ['PFCOUNT', 'v', 'nokey'],
    ]);
  });

  t('PFMERGE: sparse and dense sources, existing target, bytes equal, TTL kept', async ({ d }) => {
    const setup: Arg[][] = [];
    for (let i = 0; i < 300; i++) setup.push(['PFADD', 's1', `a${i}`], ['PFADD', 's2', `b${i}`]);
    for (let i = 0; i < 5000; i += 100) setup.push(['PFADD', 'dn', ...Array.from({ length: 100 }, (_, j) => `d${i + j}`)]);
    await d!.bothProtocols(setup, [
      ['PFMERGE', 'm', 's1', 's2'],
      ['GET', 'm'],
      ['PFCOUNT', 'm'],
      ['PFMERGE', 'm', 's1', 'dn'],
      ['GET', 'm'],
      ['PFDEBUG', 'ENCODING', 'm'],
      ['PFMERGE', 'x'],
      ['GET', 'x'],
      ['PFMERGE', 'x', 'nokey'],
      ['GET', 'x'],
      ['SET', 't', 'foo'],
      ['PFMERGE', 't', 's1'],
      ['PFMERGE', 'm', 't'],
      ['LPUSH', 'l', 'v'],
      ['PFMERGE', 'm', 'l'],
      ['PFMERGE', 'l', 's1'],
      ['PFADD', 'ttl', 'a'],
      ['EXPIRE', 'ttl', 1000],
      ['PFMERGE', 'ttl', 's2'],
      ['TTL', 'ttl'],
      ['PFADD', 'ttl', 'zzz'],
      ['TTL', 'ttl'],
      ['PFCOUNT', 'ttl'],
      ['TTL', 'ttl'],
    ]);
  });

  t('PFADD on values of the dense length (12304 bytes): dense, sparse, not an HLL, TTL, encoding', async ({ d }) => {
    // PFADD finds a value of exactly the dense size in one lookup and edits it in place; anything
    // else of that length must still be checked and handled as Redis does.
    const dense = Buffer.alloc(12304);
    Buffer.from(header(0)).copy(dense);
    for (let i = 16; i < dense.length; i++) dense[i] = (i * 37) & 0xff;
    // A valid sparse value of the same length: 12286 one-register VALs (1, 2, 1...) and an XZERO.
    const ops: number[] = [];
    for (let i = 0; i < 12286; i++) ops.push(0x80 | ((i & 1) << 2));
    const rest = 16384 - 12286 - 1;
    ops.push(0x40 | (rest >> 8), rest & 0xff);
    const sparse = Buffer.from([...header(1), ...ops]);
    const junk = Buffer.alloc(12304, 120);
    const notHll = Buffer.from(dense);
    notHll[0] = 90;
    await d!.all([
      ['SET', 'dn', dense],
      ['EXPIRE', 'dn', 1000],
      ['PFADD', 'dn', 'a', 'b', 'c'],
      ['TTL', 'dn'],
      ['PFADD', 'dn', 'a'],
      ['GET', 'dn'],
      ['PFCOUNT', 'dn'],
      ['OBJECT', 'ENCODING', 'dn'],
      ['SET', 'sp', sparse],
      ['PFCOUNT', 'sp'],
      ['PFADD', 'sp', 'x', 'y'],
      ['GET', 'sp'],
      ['STRLEN', 'sp'],
      ['SET', 'junk', junk],
      ['PFADD', 'junk', 'x'],
      ['GET', 'junk'],
      ['SET', 'nh', notHll],
      ['PFADD', 'nh', 'x'],
      ['SET', 'short', 'HYLL'],
      ['PFADD', 'short', 'x'],
      ['OBJECT', 'ENCODING', 'short'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '20000'],
      ['SET', 'sp2', sparse],
      ['PFADD', 'sp2', 'x', 'y', 'z'],
      ['GET', 'sp2'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'],
    ]);
  });

  t('WRONGTYPE and invalid HLL strings', async ({ d }) => {
    const dense = Buffer.from([...header(0), ...new Array(12288).fill(0)]);
    await d!.bothProtocols(
      [
        ['SET', 'str', 'hello world, not an HLL'],
        ['SET', 'int', '12345'],
        ['SET', 'short', 'HYLL'],
        ['SET', 'badmagic', Buffer.from([...header(1)].map((x, i) => (i === 0 ? 0x68 : x)).concat([0x7f, 0xff]))],
        ['SET', 'badenc', Buffer.from([...header(2), 0x7f, 0xff])],
        ['SET', 'shortdense', Buffer.from([...header(0), 1, 2, 3])],
        ['SET', 'dense', dense],
        ['LPUSH', 'list', 'a'],
      ],
      [
        ['PFADD', 'str', 'a'],
        ['PFCOUNT', 'str'],
        ['PFCOUNT', 'int'],
        ['PFADD', 'short', 'a'],
        ['PFADD', 'badmagic', 'a'],
        ['PFADD', 'badenc', 'a'],
        ['PFCOUNT', 'shortdense'],
        ['PFADD', 'dense', 'a'],
        ['PFCOUNT', 'dense'],
        ['GET', 'dense'],
        ['PFADD', 'list', 'a'],
        ['PFCOUNT', 'list'],
        ['PFCOUNT', 'list', 'dense'],
        ['PFCOUNT', 'dense', 'str'],
        ['PFMERGE', 'dense', 'str'],
        ['PFDEBUG', 'GETREG', 'str'],
        ['PFDEBUG', 'GETREG', 'list'],
      ],
    );
  });

  t('corrupted sparse values: INVALIDOBJ exactly where Redis says it, bytes equal after', async ({ d, c }) => {
    const bodies: number[][] = [
      [0x7f, 0xfe], // covers 16383 registers
      [0x7f, 0xff, 0x00], // 16385
      [0x7f, 0xfb, 0x80 | (31 << 2) | 3, 0x80], // VAL runs past the end
      [0x00, 0x00, 0x00, 0x7f], // truncated XZERO (Redis reads the terminator)
      [0x3f, 0x3f, 0x3f, 0x3e, 0x7f], // 255 zeros + truncated XZERO 16129: valid in Redis
      [0xff, 0xff, 0xff, 0xff],
      [],
      [0x80, 0x7f, 0xfe],
      [0x7f, 0xff, 0x7f, 0xff],
    ];
    const cmds: Arg[][] = [];
    bodies.forEach((body, i) => {
      const v = Buffer.from([...header(1), ...body]);
      for (const op of [['PFADD', 'k', 'a', 'b', 'c'], ['PFCOUNT', 'k'], ['PFCOUNT', 'k', 'k'], ['PFMERGE', 'm', 'k'], ['PFMERGE', 'k'], ['PFDEBUG', 'GETREG', 'k'], ['PFDEBUG', 'DECODE', 'k'], ['PFDEBUG', 'TODENSE', 'k']]) {
        cmds.push(['SET', 'k', v], ['DEL', 'm'], op, ['GET', 'k'], ['GET', 'm']);
      }
      void i;
    });
    await d!.all(cmds);
    assert.equal(await c.send('PING'), R.simple('PONG'));
  });

  t('random corrupt and random valid values: same replies and bytes, never a crash', async ({ d, c }) => {
    const r = rng(1616);
    const byte = () => Math.floor(r() * 256);
    for (let round = 0; round < 300; round++) {
      let v: Buffer;
      const kind = r();
      if (kind < 0.5) {
        // Random sparse opcodes.
        const body: number[] = [];
        const n = Math.floor(r() * 12);
        for (let i = 0; i < n; i++) body.push(r() < 0.3 ? 0x40 | Math.floor(r() * 64) : byte());
        v = Buffer.from([...header(1, r() < 0.5 ? [1, 2, 3, 0, 0, 0, 0, 0] : undefined), ...body]);
      } else if (kind < 0.8) {
        // Dense with random register bytes (values up to 63).
        const body = Array.from({ length: 12288 }, () => (r() < 0.9 ? 0 : byte()));
        v = Buffer.from([...header(0), ...body]);
      } else {
        // A well-formed sparse value with mixed runs summing to 16384.
        const body: number[] = [];
        let left = 16384;
        while (left > 0) {
          const x = r();
          if (x < 0.4) {
            const n = Math.min(left, 1 + Math.floor(r() * 64));
            body.push(n - 1);
            left -= n;
          } else if (x < 0.6) {
            const n = Math.min(left, 1 + Math.floor(r() * 2000));
            body.push(0x40 | ((n - 1) >> 8), (n - 1) & 0xff);
            left -= n;
          } else {
            const n = Math.min(left, 1 + Math.floor(r() * 4));
            body.push(0x80 | (Math.floor(r() * 32) << 2) | (n - 1));
            left -= n;
          }
        }
        v = Buffer.from([...header(1), ...body]);
      }
      const op = Math.floor(r() * 5);
      const cmd: Arg[] = op === 0 ? ['PFADD', 'k', `x${round}`, `y${round}`, 'z'] : op === 1 ? ['PFCOUNT', 'k'] : op === 2 ? ['PFCOUNT', 'k', 'other'] : op === 3 ? ['PFMERGE', 'other', 'k'] : ['PFDEBUG', 'DECODE', 'k'];
      await d!.all([['SET', 'k', v], ['PFADD', 'other', `o${round}`], cmd, ['GET', 'k'], ['GET', 'other']]);
    }
    assert.equal(await c.send('PING'), R.simple('PONG'));
  });

  t('PFSELFTEST answers OK', async ({ d }) => {
    await d!.check(['PFSELFTEST']);
  });

  t('keyspace events, WATCH and encodings match Redis', async (ctx) => {
    const { d, srv, ref } = ctx;
    for (const conn of [d!.redust, d!.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const subs = [await eventLog(srv.port), await eventLog(ref!.port)];
    try {
      await d!.all([
        ['PFADD', 'h', 'a'],
        ['PFADD', 'h', 'a'],
        ['PFADD', 'h'],
        ['PFCOUNT', 'h'],
        ['PFMERGE', 'm', 'h'],
        ['PFMERGE', 'm'],
        ['PFDEBUG', 'TODENSE', 'm'],
        ['SET', 'e', Buffer.from([...header(1), 0x7f, 0xff])],
        ['OBJECT', 'ENCODING', 'e'],
        ['PFCOUNT', 'e'],
        ['OBJECT', 'ENCODING', 'e'],
        ['SET', 'e2', Buffer.from([...header(1, [5, 0, 0, 0, 0, 0, 0, 0]), 0x7f, 0xff])],
        ['PFCOUNT', 'e2'],
        ['OBJECT', 'ENCODING', 'e2'],
        ['SET', 'e3', Buffer.from([...header(1), 0x7f, 0xff])],
        ['PFDEBUG', 'ENCODING', 'e3'],
        ['OBJECT', 'ENCODING', 'e3'],
        ['SET', 'e4', Buffer.from([...header(1), 0x7f, 0xff])],
        ['PFADD', 'e4'],
        ['OBJECT', 'ENCODING', 'e4'],
      ]);
      const logs = [await subs[0].messages(), await subs[1].messages()];
      assert.ok(logs[1].length >= 6, logs[1].join('\n'));
      assert.equal(logs[0].join('\n'), logs[1].join('\n'));
    } finally {
      for (const s of subs) s.conn.close();
      for (const conn of [d!.redust, d!.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
    // PFCOUNT refreshing the cache touches the key for WATCH, like Redis.
    for (const conn of [d!.redust, d!.reference]) {
      await conn.send('PFADD', 'w', 'a');
      await conn.send('WATCH', 'w');
    }
    await d!.all([['PFCOUNT', 'w'], ['MULTI'], ['PING'], ['EXEC']]);
  });

  t('random PFADD/PFCOUNT/PFMERGE sequences: replies and bytes equal', async ({ d }) => {
    const r = rng(77);
    const keys = ['a', 'b', 'c'];
    for (const max of ['3000', '200']) {
      await d!.check(['CONFIG', 'SET', 'hll-sparse-max-bytes', max]);
      for (let i = 0; i < 800; i++) {
        const k = keys[Math.floor(r() * 3)];
        const x = r();
        let cmd: Arg[];
        if (x < 0.6) cmd = ['PFADD', k, ...Array.from({ length: 1 + Math.floor(r() * 8) }, () => `v${Math.floor(r() * 5000)}`)];
        else if (x < 0.75) cmd = ['PFCOUNT', k];
        else if (x < 0.85) cmd = ['PFCOUNT', k, keys[Math.floor(r() * 3)]];
        else if (x < 0.95) cmd = ['PFMERGE', k, keys[Math.floor(r() * 3)]];
        else cmd = ['GET', k];
        await d!.check(cmd);
      }
      await d!.all([['GET', 'a'], ['GET', 'b'], ['GET', 'c'], ['FLUSHALL']]);
    }
    await d!.check(['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
  });

  t.run();
}
