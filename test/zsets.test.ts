/**
 * Sorted sets: JsZSet invariants against a sorted-array model, and every command, option and error
 * compared with real Redis 7.0 in RESP2 and RESP3 on every engine; blocking pops and keyspace
 * events compared through scenarios run on both servers.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, RawConnection } from './helpers/raw';
import { renderNode, RespNode } from '../src/protocol/resp-reader';
import { JsZSet } from '../src/engine/containers/zset';
import type { LexRange, ScoreRange } from '../src/engine/types';


// ---------------------------------------------------------------------------------------------
// JsZSet unit test: random operations vs a sorted-array model.

const unit = suite('JsZSet invariants');

type Pair = [string, number];
function cmpPair(a: Pair, b: Pair): number {
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}
function b(s: string): Buffer {
  return Buffer.from(s, 'latin1');
}
function str(v: Buffer | string): string {
  return typeof v === 'string' ? v : v.latin1Slice(0, v.length);
}

unit('random ops keep order, spans, ranks and ranges equal to the model', () => {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const z = new JsZSet();
  const model = new Map<string, number>();
  const account = { bytes: 0 };
  z.attach(account);
  const base = z.memoryUsage();
  account.bytes = base;
  const members = (): Pair[] => [...model.entries()].sort(cmpPair);
  const randMember = (): string => {
    const len = rnd(4);
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCharCode([0, 97, 98, 255, 128][rnd(5)]);
    return s;
  };
  for (let step = 0; step < 4000; step++) {
    const op = rnd(10);
    const m = randMember();
    if (op < 5) {
      const score = [0, -0, 1, 1.5, -2, Infinity, -Infinity, rnd(5)][rnd(8)];
      const prev = z.add(b(m), score);
      assert.is(prev, model.get(m));
      model.set(m, score);
    } else if (op < 8) {
      assert.is(z.delete(b(m)), model.delete(m));
    } else if (op === 8 && model.size > 0) {
      // delete a whole rank range through the interface
      const arr = members();
      const s = rnd(arr.length);
      const e = s + rnd(3);
      const got: string[] = [];
      z.rangeByRank(s, e, false, (mm) => got.push(str(mm)));
      for (const g of got) {
        z.delete(b(g));
        model.delete(g);
      }
    }
    assert.is(z.size, model.size);
    if (step % 50 === 0) {
      z.checkInvariants();
      const arr = members();
      // ranks both ways
      arr.forEach(([mm], i) => {
        assert.is(z.rank(b(mm), false), i);
        assert.is(z.rank(b(mm), true), arr.length - 1 - i);
        assert.is(z.score(b(mm)), model.get(mm));
      });
      assert.is(z.rank(b('zz-absent'), false), -1);
      // forEach order
      const seen: Pair[] = [];
      z.forEach((mm, s) => seen.push([str(mm), s]));
      assert.equal(seen, arr);
      // rank ranges
      const s = rnd(arr.length + 2);
      const e = rnd(arr.length + 2);
      for (const rev of [false, true]) {
        const got: Pair[] = [];
        z.rangeByRank(s, e, rev, (mm, sc) => got.push([str(mm), sc]));
        const src = rev ? [...arr].reverse() : arr;
        assert.equal(got, s <= e ? src.slice(s, Math.min(e, arr.length - 1) + 1) : []);
      }
      // score ranges with offset/limit
      const bounds = [-Infinity, -2, 0, 1, 1.5, 3, Infinity];
      const r: ScoreRange = { min: bounds[rnd(7)], minEx: rnd(2) === 1, max: bounds[rnd(7)], maxEx: rnd(2) === 1 };
      const inR = arr.filter(([, sc]) => (r.minEx ? sc > r.min : sc >= r.min) && (r.maxEx ? sc < r.max : sc <= r.max));
      assert.is(z.countByScore(r), inR.length, `count ${JSON.stringify(r)}`);
      for (const rev of [false, true]) {
        const off = rnd(3);
        const lim = rnd(4) - 1;
        const got: Pair[] = [];
        z.rangeByScore(r, rev, off, lim, (mm, sc) => got.push([str(mm), sc]));
        const src = rev ? [...inR].reverse() : inR;
        assert.equal(got, src.slice(off, lim < 0 ? undefined : off + lim));
      }
      // lex ranges (only meaningful with equal scores, but must match the model filter anyway)
      const items = ['', 'a', 'b', '\xff', '\x00'];
      const lr: LexRange = { min: null, minEx: false, minInf: -1, max: null, maxEx: false, maxInf: 1 };
      if (rnd(2)) {
        lr.min = b(items[rnd(5)]);
        lr.minInf = 0;
        lr.minEx = rnd(2) === 1;
      }
      if (rnd(2)) {
        lr.max = b(items[rnd(5)]);
        lr.maxInf = 0;
        lr.maxEx = rnd(2) === 1;
      }
      const same = arr.filter(([, sc]) => sc === 0);
      if (same.length === arr.length) {
        const inL = arr.filter(([mm]) => {
          const okMin = lr.minInf === -1 || (lr.minEx ? mm > str(lr.min!) : mm >= str(lr.min!));
          const okMax = lr.maxInf === 1 || (lr.maxEx ? mm < str(lr.max!) : mm <= str(lr.max!));
          return okMin && okMax;
        });
        assert.is(z.countByLex(lr), inL.length);
      }
    }
  }
  z.checkInvariants();
  // memory accounting: attached deltas track memoryUsage exactly
  assert.is(account.bytes, z.memoryUsage());
  const c = z.clone();
  c.checkInvariants();
  const a1: Pair[] = [];
  const a2: Pair[] = [];
  z.forEach((m, s) => a1.push([str(m), s]));
  c.forEach((m, s) => a2.push([str(m), s]));
  assert.equal(a1, a2);
});

unit('lex ranges on equal scores, bytes compared unsigned', () => {
  const z = new JsZSet();
  for (const m of ['a', 'b', 'c', '\xff', '\x80', 'ab', '']) z.add(b(m), 0);
  const got: string[] = [];
  z.rangeByLex({ min: b('a'), minEx: true, minInf: 0, max: null, maxEx: true, maxInf: 1 }, false, 0, -1, (m) => got.push(str(m)));
  assert.equal(got, ['ab', 'b', 'c', '\x80', '\xff']);
  assert.is(z.countByLex({ min: null, minEx: true, minInf: -1, max: null, maxEx: true, maxInf: 1 }), 7);
  assert.is(z.countByLex({ min: null, minEx: true, minInf: 1, max: null, maxEx: true, maxInf: -1 }), 0);
});

unit('encoding is one-way listpack -> skiplist', () => {
  const limits = { listMaxListpackSize: -2, hashMaxListpackEntries: 128, hashMaxListpackValue: 64, setMaxIntsetEntries: 512, zsetMaxListpackEntries: 3, zsetMaxListpackValue: 4 };
  const z = new JsZSet();
  z.add(b('a'), 1);
  assert.is(z.encoding(limits), 'listpack');
  for (const m of ['b', 'c']) z.add(b(m), 1);
  assert.is(z.encoding(limits), 'listpack');
  z.add(b('d'), 1);
  assert.is(z.encoding(limits), 'skiplist');
  z.delete(b('d'));
  z.delete(b('c'));
  assert.is(z.encoding(limits), 'skiplist');
  assert.is(z.clone().encoding(limits), 'skiplist');
  const y = new JsZSet();
  y.add(b('12345'), 1);
  assert.is(y.encoding(limits), 'skiplist');
});

unit.run();

// ---------------------------------------------------------------------------------------------
// Server tests

/** Run `cmds` in RESP2 and again in RESP3 (after flushing both servers), each reply compared. */

/** Same scenario on both servers; the transcript of rendered replies must be equal. */
async function scenario(redustPort: number, refPort: number, run: (port: number) => Promise<string[]>): Promise<void> {
  const [a, b2] = await Promise.all([run(redustPort), run(refPort)]);
  assert.equal(a, b2);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('zsets', engine);

  diffTest(t, 'ZADD options, flag combinations, errors and ZINCRBY', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'z', 'NX', '10', 'a', '4', 'd'],
      ['ZADD', 'z', 'XX', '10', 'a', '5', 'e'],
      ['ZADD', 'z', 'XX', 'CH', '11', 'a', '5', 'e'],
      ['ZADD', 'z', 'CH', '11', 'a', '2', 'b', '7', 'f'],
      ['ZADD', 'z', 'GT', 'CH', '1', 'a', '20', 'b'],
      ['ZADD', 'z', 'LT', 'CH', '1', 'a', '30', 'b', '9', 'new'],
      ['ZADD', 'z', 'XX', 'GT', '100', 'a', '100', 'zz'],
      ['ZADD', 'z', 'NX', 'XX', '1', 'a'],
      ['ZADD', 'z', 'GT', 'LT', '1', 'a'],
      ['ZADD', 'z', 'GT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'LT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'z', '1', 'a', '2'],
      ['ZADD', 'z', 'NX'],
      ['ZADD', 'z', 'NX', 'XX', '1'],
      ['ZADD', 'z', 'abc', 'a'],
      ['ZADD', 'z', '1', 'a', 'nan', 'b'],
      ['ZADD', 'z', ' 1', 'a'],
      ['ZADD', 'z', '1e400', 'a'],
      ['ZADD', 'z', 'inf', 'inf', '-inf', 'ninf', '+inf', 'pinf', '0x10', 'hex', '1.1', 'f1', '-0', 'negz', '1e-5', 'small'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'z', 'INCR', '5', 'a'],
      ['ZADD', 'z', 'INCR', 'NX', '5', 'a'],
      ['ZADD', 'z', 'INCR', 'XX', '5', 'nope'],
      ['ZADD', 'z', 'INCR', 'GT', '-5', 'a'],
      ['ZADD', 'z', 'INCR', 'LT', '-5', 'a'],
      ['ZADD', 'z', 'INCR', '-inf', 'inf'],
      ['ZINCRBY', 'z', '-inf', 'inf'],
      ['ZSCORE', 'z', 'inf'],
      ['ZINCRBY', 'z', '1.5', 'a'],
      ['ZINCRBY', 'z', 'x', 'a'],
      ['ZINCRBY', 'z', 'nx', 'a'],
      ['ZINCRBY', 'newz', '0.1', 'm'],
      ['ZINCRBY', 'newz', '0.2', 'm'],
      ['ZADD', 'z', 'xx', 'ch', 'incr', '1', 'a'],
      ['ZADD', 'nokey', 'XX', '1', 'a'],
      ['EXISTS', 'nokey'],
      ['ZADD', 'nokey', 'XX', 'INCR', '1', 'a'],
      ['SET', 's', 'x'],
      ['ZADD', 's', '1', 'a'],
      ['ZADD', 's', 'NX', 'XX', '1', 'a'],
      ['ZADD', 's', 'x', 'a'],
      ['ZINCRBY', 's', '1', 'a'],
      ['ZCARD', 'z'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ]);
  });

  diffTest(t, 'ZSCORE/ZMSCORE/ZRANK/ZREVRANK/ZCARD/ZREM, double formatting', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1.1', 'a', '2', 'b', '3.5e20', 'c', '-0.1', 'd', '0.30000000000000004', 'e', '1e-300', 'f'],
      ['ZSCORE', 'z', 'a'],
      ['ZSCORE', 'z', 'c'],
      ['ZSCORE', 'z', 'nope'],
      ['ZSCORE', 'nokey', 'a'],
      ['ZMSCORE', 'z', 'a', 'nope', 'e', 'f'],
      ['ZMSCORE', 'nokey', 'a', 'b'],
      ['ZRANK', 'z', 'a'],
      ['ZRANK', 'z', 'nope'],
      ['ZREVRANK', 'z', 'a'],
      ['ZRANK', 'nokey', 'a'],
      ['ZRANK', 'z', 'a', 'WITHSCORE'],
      ['ZREVRANK', 'z', 'a', 'WITHSCORE'],
      ['ZCARD', 'z'],
      ['ZCARD', 'nokey'],
      ['ZREM', 'z', 'a', 'nope', 'b'],
      ['ZREM', 'nokey', 'a'],
      ['ZREM', 'z', 'c', 'd', 'e', 'f', 'x'],
      ['EXISTS', 'z'],
      ['SET', 's', 'x'],
      ['ZSCORE', 's', 'a'],
      ['ZMSCORE', 's', 'a'],
      ['ZRANK', 's', 'a'],
      ['ZREVRANK', 's', 'a'],
      ['ZCARD', 's'],
      ['ZREM', 's', 'a'],
      ['ZCOUNT', 's', '0', '1'],
      ['ZLEXCOUNT', 's', '-', '+'],
    ]);
  });

  diffTest(t, 'ZPOPMIN/ZPOPMAX one element per engine call: both encodings, long members, integral and other scores', async ({ d }) => {
    const big = 'm'.repeat(9000);
    const many: string[] = [];
    for (let i = 0; i < 200; i++) many.push(String(i % 7 === 0 ? -i : i * 1000), `e${i}`);
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '-2', 'b', '3.5', 'c', '0', 'd', '-0', 'e', '9007199254740993', 'f', '1e300', 'g', 'inf', 'h', '-inf', 'i'],
      ['ZADD', 'z', '12345678901', big],
      ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z'], ['ZPOPMIN', 'z', '3'], ['ZPOPMAX', 'z', '2'], ['ZSCORE', 'z', 'a'], ['ZPOPMIN', 'z', '10'], ['EXISTS', 'z'],
      ['ZADD', 'big', ...many], ['OBJECT', 'ENCODING', 'big'], ['ZADD', 'big', '5', big],
      ['ZPOPMIN', 'big'], ['ZPOPMAX', 'big'], ['ZPOPMIN', 'big', '5'], ['ZPOPMAX', 'big', '5'], ['ZCARD', 'big'], ['ZRANGE', 'big', '0', '3', 'WITHSCORES'],
      ['ZPOPMIN', 'big', '500'], ['EXISTS', 'big'], ['ZPOPMIN', 'nokey'], ['ZPOPMAX', 'nokey', '2'],
    ]);
  });

  diffTest(t, 'ZCOUNT/ZLEXCOUNT and range parsing edge cases', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'],
      ['ZCOUNT', 'z', '-inf', '+inf'],
      ['ZCOUNT', 'z', '(1', '(5'],
      ['ZCOUNT', 'z', '2', '2'],
      ['ZCOUNT', 'z', '(2', '2'],
      ['ZCOUNT', 'z', '5', '1'],
      ['ZCOUNT', 'z', ' 1', '0x3'],
      ['ZCOUNT', 'z', '', '('],
      ['ZCOUNT', 'z', '1e400', '-1e400'],
      ['ZCOUNT', 'z', '-1e400', '1e400'],
      ['ZCOUNT', 'z', 'a', '1'],
      ['ZCOUNT', 'z', '1', 'nan'],
      ['ZCOUNT', 'z', '((1', '2'],
      ['ZCOUNT', 'z', '1 ', '2'],
      ['ZCOUNT', 'nokey', '1', '2'],
      ['ZCOUNT', 'nokey', 'x', '2'],
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'ab'],
      ['ZLEXCOUNT', 'l', '-', '+'],
      ['ZLEXCOUNT', 'l', '[a', '[b'],
      ['ZLEXCOUNT', 'l', '(a', '(c'],
      ['ZLEXCOUNT', 'l', '+', '-'],
      ['ZLEXCOUNT', 'l', '[c', '[a'],
      ['ZLEXCOUNT', 'l', '[a', '(a'],
      ['ZLEXCOUNT', 'l', 'a', '[b'],
      ['ZLEXCOUNT', 'l', '[a', '++'],
      ['ZLEXCOUNT', 'l', '', '+'],
      ['ZLEXCOUNT', 'l', '[', '+'],
      ['ZLEXCOUNT', 'nokey', 'x', '+'],
      ['ZLEXCOUNT', 'nokey', '-', '+'],
    ]);
  });

  diffTest(t, 'ZRANGE family: BYSCORE/BYLEX/REV/LIMIT/WITHSCORES and their errors', async ({ d }) => {
    const setup: Arg[][] = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '5', 'f', '-inf', 'lo', 'inf', 'hi'],
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'ab', '0', '\xff', '0', ''],
    ];
    const cmds: Arg[][] = [];
    for (const [s, e] of [['0', '-1'], ['1', '3'], ['-3', '-1'], ['5', '2'], ['-100', '100'], ['10', '20'], ['0', '0'], ['-1', '-1']]) {
      cmds.push(['ZRANGE', 'z', s, e], ['ZRANGE', 'z', s, e, 'WITHSCORES'], ['ZRANGE', 'z', s, e, 'REV', 'WITHSCORES'], ['ZREVRANGE', 'z', s, e, 'WITHSCORES'], ['ZREVRANGE', 'z', s, e]);
    }
    for (const [mn, mx] of [['-inf', '+inf'], ['2', '4'], ['(2', '(5'], ['5', '5'], ['(5', '5'], ['4', '2'], ['6', '(inf']]) {
      cmds.push(
        ['ZRANGE', 'z', mn, mx, 'BYSCORE'],
        ['ZRANGE', 'z', mx, mn, 'BYSCORE', 'REV', 'WITHSCORES'],
        ['ZRANGEBYSCORE', 'z', mn, mx, 'WITHSCORES'],
        ['ZREVRANGEBYSCORE', 'z', mx, mn, 'WITHSCORES'],
        ['ZRANGEBYSCORE', 'z', mn, mx, 'LIMIT', '1', '2'],
        ['ZREVRANGEBYSCORE', 'z', mx, mn, 'LIMIT', '1', '2', 'WITHSCORES'],
        ['ZRANGE', 'z', mn, mx, 'BYSCORE', 'LIMIT', '0', '-1'],
        ['ZRANGE', 'z', mn, mx, 'BYSCORE', 'LIMIT', '2', '0'],
        ['ZRANGE', 'z', mn, mx, 'BYSCORE', 'LIMIT', '-1', '2'],
        ['ZRANGE', 'z', mn, mx, 'BYSCORE', 'LIMIT', '100', '2'],
      );
    }
    for (const [mn, mx] of [['-', '+'], ['[a', '[c'], ['(a', '(d'], ['[b', '[b'], ['(b', '[b'], ['[c', '[a'], ['+', '-'], ['[', '+'], ['-', '(\xff']]) {
      cmds.push(
        ['ZRANGE', 'l', mn, mx, 'BYLEX'],
        ['ZRANGE', 'l', mx, mn, 'BYLEX', 'REV'],
        ['ZRANGEBYLEX', 'l', mn, mx],
        ['ZREVRANGEBYLEX', 'l', mx, mn],
        ['ZRANGEBYLEX', 'l', mn, mx, 'LIMIT', '1', '2'],
        ['ZREVRANGEBYLEX', 'l', mx, mn, 'LIMIT', '1', '-1'],
        ['ZRANGEBYLEX', 'l', mn, mx, 'LIMIT', '-1', '1'],
      );
    }
    cmds.push(
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '-1'],
      ['ZRANGE', 'l', '-', '+', 'BYLEX', 'WITHSCORES'],
      ['ZRANGEBYLEX', 'l', '-', '+', 'WITHSCORES'],
      ['ZRANGE', 'z', '0', '-1', 'BYSCORE', 'BYLEX'],
      ['ZRANGE', 'z', '0', '-1', 'REV', 'REV'],
      ['ZRANGE', 'z', '0', '-1', 'FOO'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0'],
      ['ZRANGE', 'z', '0', '-1', 'BYSCORE', 'LIMIT', 'x', '1'],
      ['ZRANGE', 'z', 'a', '-1'],
      ['ZRANGE', 'z', 'a', 'b', 'BYSCORE'],
      ['ZRANGE', 'z', 'a', 'b', 'BYLEX'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'BYSCORE'],
      ['ZREVRANGE', 'z', '0', '1', 'REV'],
      ['ZRANGEBYLEX', 'z', 'a', 'b'],
      ['ZRANGE', 'nokey', '0', '-1'],
      ['ZRANGE', 'nokey', 'x', '-1'],
      ['ZRANGEBYSCORE', 'nokey', '0', '1', 'WITHSCORES'],
      ['SET', 's', 'x'],
      ['ZRANGE', 's', '0', '-1'],
      ['ZRANGE', 's', 'x', '-1'],
      ['ZRANGE', 's', '0', '-1', 'FOO'],
      ['ZRANGEBYSCORE', 's', '0', '1'],
      ['ZRANGEBYLEX', 's', '-', '+'],
      ['ZREVRANGE', 's', '0', '1'],
    );
    await d.bothProtocols([], [...setup, ...cmds]);
  });

  diffTest(t, 'ZRANGESTORE and ZREMRANGEBY*', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'],
      ['ZRANGESTORE', 'dst', 'z', '1', '3'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '(1', '4', 'BYSCORE', 'LIMIT', '1', '5'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '4', '(1', 'BYSCORE', 'REV'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '5', '6'],
      ['EXISTS', 'dst'],
      ['ZRANGESTORE', 'dst', 'nokey', '0', '-1'],
      ['SET', 'str', 'x'],
      ['ZRANGESTORE', 'str', 'z', '0', '0'],
      ['TYPE', 'str'],
      ['ZRANGESTORE', 'x', 'str', '0', '0'],
      ['ZRANGESTORE', 'z', 'z', '0', '1'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '0', 'aa', '0', 'bb', '0', 'cc'],
      ['ZREMRANGEBYRANK', 'z', '0', '0'],
      ['ZREMRANGEBYRANK', 'z', '-2', '-1'],
      ['ZREMRANGEBYRANK', 'z', '5', '1'],
      ['ZREMRANGEBYRANK', 'z', 'x', '1'],
      ['ZREMRANGEBYRANK', 'nokey', '0', '1'],
      ['ZREMRANGEBYSCORE', 'z', '(1', '3'],
      ['ZREMRANGEBYSCORE', 'z', 'x', '3'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZREMRANGEBYLEX', 'z', '[bb', '+'],
      ['ZREMRANGEBYLEX', 'z', 'bb', '+'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'],
      ['EXISTS', 'z'],
      ['ZREMRANGEBYRANK', 'str', '0', '1'],
      ['ZREMRANGEBYSCORE', 'str', '0', '1'],
      ['ZREMRANGEBYLEX', 'str', '-', '+'],
      ['ZREMRANGEBYLEX', 'str', 'x', '+'],
    ]);
  });

  diffTest(t, 'ZPOPMIN/ZPOPMAX/ZMPOP reply shapes and errors', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
      ['ZPOPMIN', 'z', '2'],
      ['ZPOPMAX', 'z', '1'],
      ['ZPOPMIN', 'z', '0'],
      ['ZPOPMIN', 'z', '-1'],
      ['ZPOPMIN', 'z', 'x'],
      ['ZPOPMIN', 'z', '1', '2'],
      ['ZPOPMAX', 'z', '10'],
      ['EXISTS', 'z'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMIN', 'z', '3'],
      ['ZPOPMIN', 'z', '0'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '2', 'nokey', 'z', 'MIN'],
      ['ZMPOP', '2', 'nokey', 'z', 'MAX', 'COUNT', '10'],
      ['ZMPOP', '2', 'nokey', 'z', 'MAX'],
      ['ZMPOP', '1', 'z', 'MIN'],
      ['ZMPOP', '0', 'z', 'MIN'],
      ['ZMPOP', 'x', 'z', 'MIN'],
      ['ZMPOP', '2', 'z', 'MIN'],
      ['ZMPOP', '1', 'z', 'FOO'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '0'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', 'x'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '1', 'COUNT', '2'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT'],
      ['ZMPOP', '1', 'z', 'MIN', 'FOO'],
      ['SET', 's', 'x'],
      ['ZPOPMIN', 's'],
      ['ZPOPMAX', 's', '2'],
      ['ZMPOP', '2', 's', 'z', 'MIN'],
      ['ZMPOP', '2', 'nokey', 's', 'MIN'],
      ['ZADD', 'z2', '1', 'a'],
      ['ZMPOP', '2', 'z2', 's', 'MIN'],
      ['BZPOPMIN', 's', '0.01'],
      ['BZPOPMIN', 'nokey', 'x'],
      ['BZPOPMIN', 'nokey', '-1'],
      ['BZPOPMIN', 'nokey', 'inf'],
      ['BZMPOP', 'x', '1', 'z', 'MIN'],
      ['BZMPOP', '0.01', '1', 'z', 'FOO'],
      ['BZMPOP', '-1', '1', 'nokey', 'MIN'],
      ['BZMPOP', '0', '1', 's', 'MIN'],
      ['ZADD', 'z3', '1', 'a', '2', 'b'],
      ['BZPOPMIN', 'nokey', 'z3', '0'],
      ['BZPOPMAX', 'nokey', 'z3', '0'],
      ['ZADD', 'z3', '1', 'a', '2', 'b', '3', 'c'],
      ['BZMPOP', '0', '2', 'nokey', 'z3', 'MIN'],
      ['BZMPOP', '0', '1', 'z3', 'MAX', 'COUNT', '2'],
      ['BZPOPMIN', 'nokey', '0.01'],
      ['BZMPOP', '0.01', '1', 'nokey', 'MIN'],
    ]);
  });

  diffTest(t, 'ZRANDMEMBER shapes, counts and errors', async ({ d }) => {
    const setup: Arg[][] = [['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4.5', 'd', '5', 'e']];
    await d.bothProtocols([], [
      ...setup,
      ['ZRANDMEMBER', 'z', '5'],
      ['ZRANDMEMBER', 'z', '10', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '0'],
      ['ZRANDMEMBER', 'nokey'],
      ['ZRANDMEMBER', 'nokey', '5'],
      ['ZRANDMEMBER', 'nokey', '5', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', 'x'],
      ['ZRANDMEMBER', 'z', '1', 'FOO'],
      ['ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'],
      ['ZRANDMEMBER', 'z', '-9223372036854775808'],
      ['ZRANDMEMBER', 'z', '-9223372036854775807', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '-4611686018427387904', 'WITHSCORES'],
      ['SET', 's', 'x'],
      ['ZRANDMEMBER', 's'],
      ['ZRANDMEMBER', 's', '1'],
    ]);
    // Random replies: shapes only, and membership / uniqueness behaviourally.
    for (const proto of ['2', '3']) {
      await d.check(['HELLO', proto], { typeOnly: true });
      await d.all(setup);
      for (const c of [['ZRANDMEMBER', 'z'], ['ZRANDMEMBER', 'z', '3'], ['ZRANDMEMBER', 'z', '-8', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '2', 'WITHSCORES'], ['ZRANDMEMBER', 'z', '1', 'WITHSCORES']] as Arg[][]) {
        const r = await d.check(c, { typeOnly: true });
        const ref = await d.reference.send(...c);
        if (r.t === 'array' && ref.t === 'array') assert.is(r.v.length, ref.v.length, `length of ${c.join(' ')}`);
      }
    }
    await d.check(['HELLO', '2'], { typeOnly: true });
    const r = await d.redust.send('ZRANDMEMBER', 'z', '3');
    assert.is(r.t, 'array');
    const got = (r as { v: RespNode[] }).v.map((n) => renderNode(n));
    assert.is(new Set(got).size, 3);
    const r2 = await d.redust.send('ZRANDMEMBER', 'z', '-50');
    assert.is((r2 as { v: RespNode[] }).v.length, 50);
    // distribution: every member shows up
    const seen = new Set((r2 as { v: RespNode[] }).v.map((n) => renderNode(n)));
    assert.is(seen.size, 5);
  });

  diffTest(t, 'ZUNION/ZINTER/ZDIFF(+STORE), ZINTERCARD: weights, aggregates, NaN, errors', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'z2', '10', 'b', '20', 'c', '30', 'd'],
      ['ZADD', 'z3', 'inf', 'a', '-inf', 'b', '5', 'c'],
      ['ZUNION', '2', 'z1', 'z2'],
      ['ZUNION', '2', 'z1', 'z2', 'WITHSCORES'],
      ['ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '2', '0.5', 'WITHSCORES'],
      ['ZUNION', '2', 'z1', 'z2', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      ['ZUNION', '2', 'z1', 'z2', 'AGGREGATE', 'max', 'withscores'],
      ['ZUNION', '3', 'z1', 'z2', 'z3', 'WITHSCORES'],
      ['ZUNION', '2', 'z3', 'z3', 'WITHSCORES'],
      ['ZUNION', '2', 'z3', 'z1', 'WEIGHTS', '0', '1', 'WITHSCORES'],
      ['ZUNION', '2', 'z3', 'z1', 'WEIGHTS', '-1', '1', 'WITHSCORES'],
      ['ZINTER', '2', 'z1', 'z2', 'WITHSCORES'],
      ['ZINTER', '3', 'z1', 'z2', 'z3', 'WITHSCORES'],
      ['ZINTER', '2', 'z3', 'z1', 'WEIGHTS', '0', '1', 'WITHSCORES'],
      ['ZINTER', '2', 'z3', 'z1', 'WEIGHTS', '1', '0', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      ['ZINTER', '2', 'z3', 'z3', 'WEIGHTS', '1', '-1', 'WITHSCORES'],
      ['ZINTER', '2', 'z1', 'nokey'],
      ['ZDIFF', '2', 'z1', 'z2', 'WITHSCORES'],
      ['ZDIFF', '1', 'z1'],
      ['ZDIFF', '2', 'z1', 'z1'],
      ['ZDIFF', '2', 'nokey', 'z1'],
      ['ZDIFF', '2', 'z1', 'z2', 'WEIGHTS', '1', '1'],
      ['ZDIFF', '2', 'z1', 'z2', 'AGGREGATE', 'SUM'],
      ['ZINTERCARD', '2', 'z1', 'z2'],
      ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '1'],
      ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '0'],
      ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', '-1'],
      ['ZINTERCARD', '2', 'z1', 'z2', 'LIMIT', 'x'],
      ['ZINTERCARD', '2', 'z1', 'z2', 'WITHSCORES'],
      ['ZINTERCARD', '2', 'z1', 'z2', 'WEIGHTS', '1', '2'],
      ['ZINTERCARD', '0', 'z1'],
      ['ZUNIONSTORE', 'out', '2', 'z1', 'z2'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZUNIONSTORE', 'out', '2', 'z1', 'z2', 'WITHSCORES'],
      ['ZINTERSTORE', 'out', '2', 'z1', 'z2', 'WEIGHTS', '1', '2', 'AGGREGATE', 'MAX'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'out', '2', 'z2', 'z1'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZINTERSTORE', 'out', '2', 'z1', 'nokey'],
      ['EXISTS', 'out'],
      ['ZINTERSTORE', 'out', '2', 'z1', 'nokey'],
      ['ZUNIONSTORE', 'z1', '2', 'z1', 'z2'],
      ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'],
      ['ZUNION', '0', 'z1'],
      ['ZUNION', '-1', 'z1'],
      ['ZUNION', 'x', 'z1'],
      ['ZUNION', '3', 'z1', 'z2'],
      ['ZUNIONSTORE', 'out', '0', 'z1'],
      ['ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '1'],
      ['ZUNION', '2', 'z1', 'z2', 'WEIGHTS', '1', 'x'],
      ['ZUNION', '2', 'z1', 'z2', 'AGGREGATE', 'FOO'],
      ['ZUNION', '2', 'z1', 'z2', 'AGGREGATE'],
      ['ZUNION', '2', 'z1', 'z2', 'FOO'],
      ['SET', 'str', 'x'],
      ['ZUNION', '2', 'z1', 'str'],
      ['ZUNION', '2', 'z1', 'str', 'FOO'],
      ['ZINTER', '2', 'str', 'nokey'],
      ['ZUNIONSTORE', 'out', '2', 'z1', 'str'],
      ['ZINTERCARD', '2', 'z1', 'str'],
      ['ZUNIONSTORE', 'str', '1', 'z2'],
      ['TYPE', 'str'],
    ]);
  });

  diffTest(t, 'sets as ZUNION/ZINTER/ZDIFF inputs (score 1)', async ({ d }) => {
    const probe = await d.redust.send('SADD', 'probe', 'x');
    if (probe.t === 'error') return; // set commands not available yet
    await d.bothProtocols([], [
      ['ZADD', 'z1', '1', 'a', '2', 'b', '3', 'c'],
      ['SADD', 's1', 'a', 'c', 'x'],
      ['SADD', 'si', '1', '2', '3'],
      ['ZUNION', '2', 'z1', 's1', 'WITHSCORES'],
      ['ZINTER', '2', 'z1', 's1', 'WEIGHTS', '2', '3', 'WITHSCORES'],
      ['ZDIFF', '2', 's1', 'z1', 'WITHSCORES'],
      ['ZUNION', '2', 'si', 's1', 'AGGREGATE', 'MAX', 'WITHSCORES'],
      ['ZINTERCARD', '2', 'z1', 's1'],
      ['ZUNIONSTORE', 'out', '1', 'si'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
    ]);
  });

  diffTest(t, 'ZSCAN: listpack (one call), skiplist (cursor), MATCH/COUNT and errors', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2.5', 'b', '1.1', 'c', '-0', 'd', 'inf', 'e', '1e20', 'f'],
      ['ZSCAN', 'z', '0'],
      ['ZSCAN', 'z', '0', 'MATCH', '[ab]*'],
      ['ZSCAN', 'z', '0', 'COUNT', '1'],
      ['ZSCAN', 'z', '0', 'COUNT', '0'],
      ['ZSCAN', 'z', '0', 'FOO'],
      ['ZSCAN', 'z', 'x'],
      ['ZSCAN', 'nokey', '0'],
      ['ZSCAN', 'nokey', '0', 'COUNT', '0'],
      ['SET', 's', 'x'],
      ['ZSCAN', 's', '0'],
    ]);
    // skiplist: iterate to the end and compare the member sets
    const args: Arg[] = ['ZADD', 'big'];
    for (let i = 0; i < 300; i++) args.push(String(i * 1.5), 'm' + i);
    await d.check(args);
    const collect = async (conn: RawConnection): Promise<string[]> => {
      const out: string[] = [];
      let cursor = '0';
      let guard = 0;
      do {
        const r = (await conn.send('ZSCAN', 'big', cursor, 'COUNT', '20')) as { t: 'array'; v: RespNode[] };
        cursor = renderNode(r.v[0]).replace(/^"|"$/g, '');
        const items = (r.v[1] as { v: RespNode[] }).v;
        for (let i = 0; i < items.length; i += 2) out.push(renderNode(items[i]) + '=' + renderNode(items[i + 1]));
        if (++guard > 1000) throw new Error('ZSCAN does not terminate');
      } while (cursor !== '0');
      return [...new Set(out)].sort();
    };
    assert.equal(await collect(d.redust), await collect(d.reference));
    await d.check(['OBJECT', 'ENCODING', 'big']);
  });

  diffTest(t, 'OBJECT ENCODING: listpack/skiplist thresholds, one-way, STORE results', async ({ d }) => {
    const long = 'x'.repeat(65);
    const args: Arg[] = ['ZADD', 'big'];
    for (let i = 0; i < 129; i++) args.push(String(i), 'm' + i);
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a'],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZADD', 'z', '1', long],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZREM', 'z', long],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZADD', 'w', '1', long],
      ['OBJECT', 'ENCODING', 'w'],
      args,
      ['OBJECT', 'ENCODING', 'big'],
      ['ZREMRANGEBYRANK', 'big', '0', '100'],
      ['OBJECT', 'ENCODING', 'big'],
      ['ZUNIONSTORE', 'u', '1', 'big'],
      ['OBJECT', 'ENCODING', 'u'],
      ['ZRANGESTORE', 'r', 'big', '0', '-1'],
      ['OBJECT', 'ENCODING', 'r'],
      ['COPY', 'big', 'bigcopy'],
      ['OBJECT', 'ENCODING', 'bigcopy'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'],
      ['ZADD', 'zero', '1', 'a'],
      ['OBJECT', 'ENCODING', 'zero'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
    ]);
  });

  diffTest(t, 'WATCH is invalidated by writes, not by no-op writes', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a'],
      ['WATCH', 'z'],
      ['ZADD', 'z', 'NX', '5', 'a'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'z'],
      ['ZINCRBY', 'z', '1', 'a'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'z'],
      ['ZREM', 'z', 'nope'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'z'],
      ['ZPOPMIN', 'z'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
    ]);
  });

  diffTest(t, 'keyspace events match t_zset.c', async ({ srv, ref }) => {
    await scenario(srv.port, ref.port, async (port) => {
      const sub = await RawConnection.connect(port);
      const c = await RawConnection.connect(port);
      await c.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      await sub.send('PSUBSCRIBE', '__key*__:*');
      const cmds: Arg[][] = [
        ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
        ['ZADD', 'z', 'NX', '1', 'a'],
        ['ZINCRBY', 'z', '1', 'a'],
        ['ZADD', 'z', 'INCR', '1', 'a'],
        ['ZREM', 'z', 'a', 'nope'],
        ['ZREM', 'z', 'nope'],
        ['ZREMRANGEBYSCORE', 'z', '2', '2'],
        ['ZREMRANGEBYSCORE', 'z', '100', '200'],
        ['ZREMRANGEBYRANK', 'z', '0', '0'],
        ['ZADD', 'z', '0', 'x', '0', 'y'],
        ['ZREMRANGEBYLEX', 'z', '[x', '[x'],
        ['ZPOPMIN', 'z'],
        ['ZPOPMAX', 'z', '5'],
        ['ZADD', 'a', '1', 'a', '2', 'b'],
        ['ZADD', 'b', '1', 'b', '2', 'c'],
        ['ZUNIONSTORE', 'u', '2', 'a', 'b'],
        ['ZINTERSTORE', 'u', '2', 'a', 'b'],
        ['ZDIFFSTORE', 'u', '2', 'a', 'b'],
        ['ZINTERSTORE', 'u', '2', 'a', 'nokey'],
        ['ZRANGESTORE', 'r', 'a', '0', '-1'],
        ['ZRANGESTORE', 'r', 'a', '5', '6'],
        ['ZMPOP', '1', 'a', 'MAX', 'COUNT', '5'],
        ['ZREMRANGEBYRANK', 'b', '0', '-1'],
        ['SET', 'done', '1'],
      ];
      for (const cmd of cmds) await c.send(...cmd);
      const out: string[] = [];
      await sub.next(); // psubscribe confirmation
      for (;;) {
        const msg = await sub.next();
        const s = renderNode(msg);
        out.push(s);
        if (s.includes('__keyevent@0__:set')) break;
      }
      await c.send('CONFIG', 'SET', 'notify-keyspace-events', '');
      sub.close();
      c.close();
      return out;
    });
  });

  diffTest(t, 'blocking pops: FIFO, served on ZADD, timeouts, multiple keys, reply shapes in RESP2/3', async ({ srv, ref }) => {
    await scenario(srv.port, ref.port, async (port) => {
      const out: string[] = [];
      const ctl = await RawConnection.connect(port);
      const a = await RawConnection.connect(port);
      const b1 = await RawConnection.connect(port);
      const c3 = await RawConnection.connect(port);
      await c3.send('HELLO', '3');
      // FIFO: a blocks first, then b1; one element serves a only.
      a.write(encode(['BZPOPMIN', 'k1', 'k2', '0']));
      await sleep(30);
      b1.write(encode(['BZPOPMAX', 'k2', '0']));
      await sleep(30);
      c3.write(encode(['BZMPOP', '0', '1', 'k2', 'MAX', 'COUNT', '2']));
      await sleep(30);
      out.push(renderNode(await ctl.send('ZADD', 'k2', '1', 'x')));
      out.push('a:' + renderNode(await a.next()));
      assert.is(await b1.hasReplyWithin(50), false);
      out.push(renderNode(await ctl.send('ZADD', 'k2', '5', 'y', '6', 'z', '7', 'w')));
      out.push('b:' + renderNode(await b1.next()));
      out.push('c3:' + renderNode(await c3.next()));
      out.push(renderNode(await ctl.send('ZRANGE', 'k2', '0', '-1', 'WITHSCORES')));
      // timeouts (float seconds)
      const t0 = Date.now();
      out.push('to:' + renderNode(await a.send('BZPOPMIN', 'none', '0.1')));
      const el = Date.now() - t0;
      assert.ok(el >= 80 && el < 2000, `timeout took ${el} ms`);
      out.push('to3:' + renderNode(await c3.send('BZMPOP', '0.05', '1', 'none', 'MIN')));
      out.push('to3b:' + renderNode(await c3.send('BZPOPMAX', 'none', '0.05')));
      // inside MULTI: non-blocking
      await a.send('MULTI');
      await a.send('BZPOPMIN', 'none', '0');
      await a.send('BZMPOP', '0', '1', 'none', 'MIN');
      out.push('multi:' + renderNode(await a.send('EXEC')));
      // served by ZUNIONSTORE into a waited key, and by MULTI/EXEC once at the end
      a.write(encode(['BZPOPMIN', 'dst', '0']));
      await sleep(30);
      await ctl.send('ZADD', 'src', '3', 'p', '4', 'q');
      out.push(renderNode(await ctl.send('ZUNIONSTORE', 'dst', '1', 'src')));
      out.push('a2:' + renderNode(await a.next()));
      b1.write(encode(['BZPOPMIN', 'm', '0']));
      await sleep(30);
      await ctl.send('MULTI');
      await ctl.send('ZADD', 'm', '1', 'one');
      await ctl.send('ZADD', 'm', '0', 'zero');
      out.push(renderNode(await ctl.send('EXEC')));
      out.push('b2:' + renderNode(await b1.next()));
      // a key of the wrong type keeps the client blocked; WRONGTYPE when it exists up front
      c3.write(encode(['BZPOPMIN', 'w1', '0.3']));
      await sleep(30);
      await ctl.send('SET', 'w1', 'str');
      out.push('w:' + renderNode(await c3.next()));
      out.push('wt:' + renderNode(await c3.send('BZPOPMIN', 'w1', '0')));
      for (const conn of [ctl, a, b1, c3]) conn.close();
      return out;
    });
  });

  diffTest(t, 'WRONGTYPE for every zset command on a string key', async ({ d }) => {
    await d.check(['SET', 's', 'x']);
    await d.bothProtocols([], [
      ['SET', 's', 'x'],
      ['ZADD', 's', '1', 'a'],
      ['ZINCRBY', 's', '1', 'a'],
      ['ZREM', 's', 'a'],
      ['ZCARD', 's'],
      ['ZSCORE', 's', 'a'],
      ['ZMSCORE', 's', 'a'],
      ['ZRANK', 's', 'a'],
      ['ZREVRANK', 's', 'a'],
      ['ZCOUNT', 's', '0', '1'],
      ['ZLEXCOUNT', 's', '-', '+'],
      ['ZRANGE', 's', '0', '1'],
      ['ZRANGESTORE', 'd', 's', '0', '1'],
      ['ZREVRANGE', 's', '0', '1'],
      ['ZRANGEBYSCORE', 's', '0', '1'],
      ['ZREVRANGEBYSCORE', 's', '0', '1'],
      ['ZRANGEBYLEX', 's', '-', '+'],
      ['ZREVRANGEBYLEX', 's', '+', '-'],
      ['ZREMRANGEBYRANK', 's', '0', '1'],
      ['ZREMRANGEBYSCORE', 's', '0', '1'],
      ['ZREMRANGEBYLEX', 's', '-', '+'],
      ['ZPOPMIN', 's'],
      ['ZPOPMAX', 's'],
      ['BZPOPMIN', 's', '0'],
      ['BZPOPMAX', 's', '0'],
      ['ZMPOP', '1', 's', 'MIN'],
      ['BZMPOP', '0', '1', 's', 'MIN'],
      ['ZRANDMEMBER', 's'],
      ['ZRANDMEMBER', 's', '2'],
      ['ZUNION', '1', 's'],
      ['ZINTER', '1', 's'],
      ['ZDIFF', '1', 's'],
      ['ZUNIONSTORE', 'd', '1', 's'],
      ['ZINTERSTORE', 'd', '1', 's'],
      ['ZDIFFSTORE', 'd', '1', 's'],
      ['ZINTERCARD', '1', 's'],
      ['ZSCAN', 's', '0'],
    ]);
  });

  diffTest(t, 'binary members and big sets stay ordered like Redis', async ({ d }) => {
    const args: Arg[] = ['ZADD', 'z'];
    for (let i = 0; i < 400; i++) args.push(String((i * 7919) % 13), Buffer.from([i & 0xff, (i * 31) & 0xff, 0, 0x80 + (i % 5)]));
    await d.bothProtocols([], [
      args,
      ['ZCARD', 'z'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'z', '100', '150', 'REV'],
      ['ZRANGEBYSCORE', 'z', '(3', '7', 'LIMIT', '10', '20'],
      ['ZCOUNT', 'z', '2', '(9'],
      ['ZRANK', 'z', Buffer.from([5, 155, 0, 0x80])],
      ['ZREVRANK', 'z', Buffer.from([5, 155, 0, 0x80])],
      ['ZREMRANGEBYRANK', 'z', '10', '50'],
      ['ZRANGE', 'z', '0', '30', 'WITHSCORES'],
      ['ZPOPMAX', 'z', '5'],
      ['ZRANGEBYLEX', 'z', '-', '+', 'LIMIT', '0', '5'],
    ]);
  });

  diffTest(t, 'large ranges with binary members of every length match Redis (engine-encoded replies)', async ({ d }) => {
    const zadd: Arg[] = ['ZADD', 'big'];
    for (let i = 0; i < 1500; i++) {
      const len = i % 7 === 0 ? 0 : (i * 37) % 300;
      const m = Buffer.alloc(len + 4);
      m.writeUInt32BE(i, 0);
      for (let k = 0; k < len; k++) m[4 + k] = (i + k * 13) & 0xff;
      zadd.push(String(i % 50), m);
    }
    await d.bothProtocols(
      [zadd],
      [
        ['ZRANGE', 'big', '0', '-1'],
        ['ZRANGE', 'big', '0', '-1', 'REV'],
        ['ZRANGE', 'big', '10', '20', 'BYSCORE', 'LIMIT', '5', '700'],
        ['ZRANGE', 'big', '(10', '+inf', 'BYSCORE', 'REV', 'LIMIT', '0', '3'],
        ['ZRANGEBYSCORE', 'big', '-inf', '+inf', 'LIMIT', '100', '1200'],
        ['ZREVRANGEBYSCORE', 'big', '40', '5'],
        ['ZRANGE', 'big', '-', '+', 'BYLEX', 'LIMIT', '0', '900'],
        ['ZREVRANGE', 'big', '3', '1400'],
        ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'],
      ],
    );
  });

  t.run();
}

function encode(args: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const buf = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${buf.length}\r\n`), buf, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}
