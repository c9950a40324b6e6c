/**
 * The js-map sorted set's two forms (JsZSet: flat sorted arrays while small, ZSkipList once it
 * outgrows 128 members / 64-byte members): unit tests of both forms and the conversion against a
 * model (order, ranks, score and lex ranges with Redis's listpack lex walk, pops, clone, memory
 * accounting, invariants), and every command family at the 128/129-member and 64/65-byte
 * boundaries compared with real Redis 7.0 on both engines (skipped without redis-server).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import type { Arg } from './helpers/raw';
import { ADD_ADDED, ADD_NONE, ADD_UPDATED, JsZSet, SMALL_MAX_ENTRIES, SMALL_MAX_VALUE } from '../src/engine/containers/zset';
import type { LexRange, PoppedElement, ScoreRange } from '../src/engine/types';

type Pair = [string, number];
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const str = (v: Buffer | string): string => (typeof v === 'string' ? v : v.latin1Slice(0, v.length));
const cmpPair = (x: Pair, y: Pair): number => (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0);
function all(z: JsZSet): Pair[] {
  const out: Pair[] = [];
  z.forEach((m, s) => out.push([str(m), s]));
  return out;
}

/** Redis's lex range walk over an ordered array (zzlFirstInLexRange / zzlLastInLexRange and the loops after them). */
function lexModel(arr: Pair[], r: LexRange, reverse: boolean): string[] {
  const ge = (m: string): boolean => r.minInf === -1 || (r.minInf === 0 && (r.minEx ? m > str(r.min!) : m >= str(r.min!)));
  const le = (m: string): boolean => r.maxInf === 1 || (r.maxInf === 0 && (r.maxEx ? m < str(r.max!) : m <= str(r.max!)));
  if (arr.length === 0 || !ge(arr[arr.length - 1][0]) || !le(arr[0][0])) return [];
  const out: string[] = [];
  if (!reverse) {
    let i = arr.findIndex(([m]) => ge(m));
    if (i < 0 || !le(arr[i][0])) return [];
    for (; i < arr.length && le(arr[i][0]); i++) out.push(arr[i][0]);
  } else {
    let i = arr.length - 1;
    while (i >= 0 && !le(arr[i][0])) i--;
    if (i < 0 || !ge(arr[i][0])) return [];
    for (; i >= 0 && ge(arr[i][0]); i--) out.push(arr[i][0]);
  }
  return out;
}

const unit = suite('JsZSet small and big forms');

function randomRun(seed: number, alphabet: string[], maxLen: number, steps: number, expectSmall: boolean | null): void {
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const z = new JsZSet();
  const account = { bytes: z.memoryUsage() };
  z.attach(account);
  const model = new Map<string, number>();
  const sorted = (): Pair[] => [...model.entries()].sort(cmpPair);
  const randMember = (): string => {
    let s = '';
    const len = rnd(maxLen + 1);
    for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
    return s;
  };
  const popped: PoppedElement = { member: '', score: 0 };
  for (let step = 0; step < steps; step++) {
    const op = rnd(12);
    const m = randMember();
    if (op < 6) {
      const score = [0, -0, 1, 1.5, -2, Infinity, -Infinity, rnd(5)][rnd(8)];
      assert.is(z.add(b(m), score), model.get(m));
      model.set(m, score);
    } else if (op < 9) {
      assert.is(z.delete(b(m)), model.delete(m));
    } else if (op === 9 && model.size > 0) {
      const rev = rnd(2) === 1;
      const arr = sorted();
      const want = rev ? arr[arr.length - 1] : arr[0];
      assert.ok(z.popOne(rev, popped));
      assert.equal([str(popped.member), popped.score], want);
      model.delete(want[0]);
    } else if (op === 10 && model.size > 0) {
      const arr = sorted();
      const s = rnd(arr.length);
      const got: string[] = [];
      z.rangeByRank(s, s + rnd(3), false, (mm) => got.push(str(mm)));
      for (const g of got) {
        assert.ok(z.delete(b(g)));
        model.delete(g);
      }
    }
    assert.is(z.size, model.size);
    if (expectSmall !== null) assert.is(z.isSmall(), expectSmall, `form at step ${step}`);
    if (step % 25 !== 0) continue;
    z.checkInvariants();
    assert.is(account.bytes, z.memoryUsage());
    const arr = sorted();
    assert.equal(all(z), arr);
    arr.forEach(([mm, sc], i) => {
      assert.is(z.rank(b(mm), false), i);
      assert.is(z.rank(b(mm), true), arr.length - 1 - i);
      assert.ok(Object.is(z.score(b(mm)), sc));
    });
    assert.is(z.rank(b('\x01absent'), false), -1);
    assert.is(z.score(b('\x01absent')), undefined);
    const s = rnd(arr.length + 2);
    const e = rnd(arr.length + 2);
    for (const rev of [false, true]) {
      const got: Pair[] = [];
      z.rangeByRank(s, e, rev, (mm, sc) => got.push([str(mm), sc]));
      const src = rev ? [...arr].reverse() : arr;
      assert.equal(got, s <= e ? src.slice(s, Math.min(e, arr.length - 1) + 1) : []);
    }
    const bounds = [-Infinity, -2, 0, 1, 1.5, 3, Infinity];
    const r: ScoreRange = { min: bounds[rnd(7)], minEx: rnd(2) === 1, max: bounds[rnd(7)], maxEx: rnd(2) === 1 };
    const inR = arr.filter(([, sc]) => (r.minEx ? sc > r.min : sc >= r.min) && (r.maxEx ? sc < r.max : sc <= r.max));
    assert.is(z.countByScore(r), inR.length);
    for (const rev of [false, true]) {
      const off = rnd(3);
      const lim = rnd(4) - 1;
      const got: Pair[] = [];
      z.rangeByScore(r, rev, off, lim, (mm, sc) => got.push([str(mm), sc]));
      const src = rev ? [...inR].reverse() : inR;
      assert.equal(got, src.slice(off, lim < 0 ? undefined : off + lim));
    }
    const lr: LexRange = { min: null, minEx: false, minInf: -1, max: null, maxEx: false, maxInf: 1 };
    if (rnd(3)) Object.assign(lr, { min: b(randMember()), minInf: 0, minEx: rnd(2) === 1 });
    if (rnd(3)) Object.assign(lr, { max: b(randMember()), maxInf: 0, maxEx: rnd(2) === 1 });
    // The small form walks as a listpack, so it matches the model even with differing scores;
    // the skip list's descent equals it when the members are in order (equal scores).
    const monotonic = arr.every(([mm], i) => i === 0 || arr[i - 1][0] < mm);
    if (z.isSmall() || monotonic) {
      const fwd = lexModel(arr, lr, false);
      assert.is(z.countByLex(lr), fwd.length, `lexcount ${JSON.stringify(lr)}`);
      for (const rev of [false, true]) {
        const got: string[] = [];
        z.rangeByLex(lr, rev, 0, -1, (mm) => got.push(str(mm)));
        assert.equal(got, lexModel(arr, lr, rev));
      }
    }
    const c = z.clone();
    c.checkInvariants();
    assert.is(c.isSmall(), z.isSmall());
    assert.equal(all(c), arr);
  }
  z.checkInvariants();
}

unit('small form: random ops against the model (never more than 128 members)', () => {
  // 5 letters, length <= 2: at most 31 members.
  randomRun(7, ['a', 'b', '\x00', '\xff', '\x80'], 2, 3000, true);
});

unit('big form: random ops against the model from 129 members on', () => {
  randomRun(11, ['a', 'b', 'c', '\x00', '\xff', '\x80'], 4, 6000, null);
});

unit('big form: members around the skip list blocks\' 16-byte prefix (ties, zero bytes, 14 to 20 bytes)', () => {
  let seed = 23;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 8) % n; // the high bits: an LCG's low bits cycle
  };
  for (const prefix of ['\x00'.repeat(15), 'member:00000\x00\xff', 'p'.repeat(16)]) {
    const z = new JsZSet();
    const model = new Map<string, number>();
    for (let step = 0; step < 3000; step++) {
      let m = prefix;
      for (let len = rnd(6); len > 0; len--) m += ['a', '\x00', '\xff', 'b'][rnd(4)];
      if (rnd(4) === 0) {
        assert.is(z.delete(b(m)), model.delete(m));
      } else {
        const score = rnd(3) - 1;
        z.add(b(m), score);
        model.set(m, score);
      }
      if (step % 100 !== 99) continue;
      z.checkInvariants();
      const arr = [...model.entries()].sort(cmpPair);
      assert.equal(all(z), arr);
      arr.forEach(([mm], i) => assert.is(z.rank(b(mm), false), i));
    }
    assert.not.ok(z.isSmall());
  }
});

unit('addAt from offsets in a larger buffer, and score moves in a 20,000-member set (paired descent), against the model', () => {
  let seed = 77;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 8) % n;
  };
  // Members as redis-benchmark's (one 16-byte prefix, 20 bytes), with binary bytes and lengths 0 to 23.
  const member = (): string => {
    if (rnd(8) === 0) {
      let m = '';
      for (let len = rnd(24); len > 0; len--) m += String.fromCharCode([0, 13, 10, 255, 128, 97][rnd(6)]);
      return m;
    }
    return 'element:' + String(rnd(30000)).padStart(12, '0');
  };
  const z = new JsZSet();
  const account = { bytes: z.memoryUsage() };
  z.attach(account);
  const model = new Map<string, number>();
  const buf = Buffer.alloc(64);
  const codes = { [ADD_NONE]: 0, [ADD_ADDED]: 0, [ADD_UPDATED]: 0 };
  for (let step = 0; step < 120000; step++) {
    const m = member();
    const cur = model.get(m);
    // Many ties, and short moves (one or two places: the new path's predecessor x's successor).
    const pick = rnd(3);
    const score = pick === 0 ? rnd(4) : pick === 1 && cur !== undefined ? cur + rnd(7) - 3 : rnd(60000) - 30000;
    const flags = rnd(6) === 0 ? [1, 2, 4, 8][rnd(4)] : 0;
    const off = rnd(8);
    buf.fill(0xaa);
    buf.write(m, off, 'latin1');
    let want = ADD_NONE;
    if (cur === undefined) want = flags === 2 ? ADD_NONE : ADD_ADDED;
    else if (!(flags === 1 || score === cur || (flags === 8 && score >= cur) || (flags === 4 && score <= cur))) want = ADD_UPDATED;
    const r = z.addAt(buf, off, m.length, score, flags);
    assert.is(r, want, `step ${step}`);
    codes[r as 0 | 1 | 2]++;
    if (r !== ADD_NONE) model.set(m, score);
    if (rnd(10) === 0) {
      const d = member();
      assert.is(z.delete(b(d)), model.delete(d));
    }
    if (step % 20000 !== 19999) continue;
    z.checkInvariants();
    assert.is(account.bytes, z.memoryUsage());
    const arr = [...model.entries()].sort(cmpPair);
    assert.equal(all(z), arr);
    for (let k = 0; k < 300; k++) {
      const i = rnd(arr.length);
      assert.is(z.rank(b(arr[i][0]), false), i);
      assert.is(z.score(b(arr[i][0])), arr[i][1]);
    }
  }
  assert.ok(codes[ADD_UPDATED] > 50000 && codes[ADD_ADDED] > 20000 && codes[ADD_NONE] > 1000);
  assert.not.ok(z.isSmall());
});

unit('conversion at the 129th member and at a 65-byte member; updates never convert; never back', () => {
  const z = new JsZSet();
  const account = { bytes: z.memoryUsage() };
  z.attach(account);
  for (let i = 0; i < SMALL_MAX_ENTRIES; i++) z.add(b('m' + i), i % 7);
  assert.ok(z.isSmall());
  z.add(b('m5'), 1000); // update of an existing member
  z.add(b('m6'), -0);
  assert.ok(z.isSmall());
  z.checkInvariants();
  const before = all(z);
  z.add(b('new'), 3);
  assert.not.ok(z.isSmall());
  z.checkInvariants();
  assert.is(account.bytes, z.memoryUsage());
  assert.equal(all(z), [...before, ['new', 3] as Pair].sort(cmpPair));
  for (let i = 0; i < 126; i++) z.delete(b('m' + i));
  assert.not.ok(z.isSmall());
  z.checkInvariants();
  assert.is(z.size, 3);

  const y = new JsZSet();
  y.add(b('x'.repeat(SMALL_MAX_VALUE)), 1);
  assert.ok(y.isSmall());
  y.add(b('y'.repeat(SMALL_MAX_VALUE + 1)), 0);
  assert.not.ok(y.isSmall());
  y.checkInvariants();
  assert.equal(all(y), [['y'.repeat(65), 0], ['x'.repeat(64), 1]]);
  assert.not.ok(y.clone().isSmall());
});

unit('ties ordered by member bytes, -0 and +0, infinities, binary members', () => {
  for (const big of [false, true]) {
    const z = new JsZSet();
    if (big) for (let i = 0; i < 200; i++) z.add(b('f' + i), 1e9 + i);
    z.add(b('b'), 0);
    z.add(b('a'), 0);
    z.add(b('\xff'), 0);
    z.add(b('\x00'), 0);
    z.add(b(''), 0);
    z.add(b('neg'), -0);
    z.add(b('pinf'), Infinity);
    z.add(b('ninf'), -Infinity);
    assert.is(z.isSmall(), !big);
    const head: Pair[] = [];
    z.rangeByRank(0, 6, false, (m, s) => head.push([str(m), s]));
    assert.equal(head.map((p) => p[0]), ['ninf', '', '\x00', 'a', 'b', 'neg', '\xff']);
    assert.ok(Object.is(z.score(b('neg')), -0));
    assert.ok(Object.is(z.add(b('neg'), 0), -0)); // same place, sign updated
    assert.ok(Object.is(z.score(b('neg')), 0));
    assert.is(z.rank(b('pinf'), true), 0);
    assert.is(z.countByScore({ min: 0, minEx: false, max: 0, maxEx: false }), 6);
    assert.is(z.countByScore({ min: -Infinity, minEx: false, max: -Infinity, maxEx: false }), 1);
    z.checkInvariants();
  }
});

unit('scan: the small form returns everything with cursor 0', () => {
  const z = new JsZSet();
  for (let i = 0; i < 50; i++) z.add(b('m' + i), i);
  const got: string[] = [];
  assert.is(
    z.scan(123, 1, (m) => got.push(str(m))),
    0,
  );
  assert.is(got.length, 50);
});

unit.run();

// ---------------------------------------------------------------------------------------------
// Every command family at the boundaries, against real Redis.

/** ZADD key with members <prefix><i> for i in [0, n), score floor(i / 3) (ties in threes). */
function build(key: string, n: number, pad = '', prefix = 'm'): Arg[] {
  const a: Arg[] = ['ZADD', key];
  for (let i = 0; i < n; i++) a.push(String(Math.floor(i / 3)), prefix + String(i).padStart(3, '0') + pad);
  return a;
}

/** Reads and writes over `k` (writes on COPYs), every family. */
function family(k: string): Arg[][] {
  const t = k + ':t';
  return [
    ['OBJECT', 'ENCODING', k],
    ['ZCARD', k],
    ['ZRANGE', k, '0', '-1', 'WITHSCORES'],
    ['ZRANGE', k, '5', '17', 'REV', 'WITHSCORES'],
    ['ZRANGE', k, '(3', '20', 'BYSCORE', 'LIMIT', '2', '7', 'WITHSCORES'],
    ['ZRANGE', k, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', '1', '4'],
    ['ZRANGEBYSCORE', k, '-inf', '(2'],
    ['ZCOUNT', k, '1', '(30'],
    ['ZCOUNT', k, '(42', '+inf'],
    ['ZRANK', k, 'm010'],
    ['ZREVRANK', k, 'm010'],
    ['ZRANK', k, 'nope'],
    ['ZSCORE', k, 'm004'],
    ['ZMSCORE', k, 'm000', 'nope', 'm042'],
    ['DEBUG', 'DIGEST-VALUE', k],
    ['COPY', k, t],
    ['ZADD', t, '7', 'm001', '99', 'extra'],
    ['OBJECT', 'ENCODING', t],
    ['ZINCRBY', t, '2.5', 'm002'],
    ['ZREM', t, 'm000', 'nope', 'extra'],
    ['ZPOPMIN', t, '3'],
    ['ZPOPMAX', t, '2'],
    ['ZREMRANGEBYRANK', t, '0', '1'],
    ['ZREMRANGEBYSCORE', t, '5', '(9'],
    ['ZRANGE', t, '0', '-1', 'WITHSCORES'],
    ['DEBUG', 'DIGEST-VALUE', t],
    ['ZRANGESTORE', k + ':r', k, '0', '-1'],
    ['OBJECT', 'ENCODING', k + ':r'],
    ['ZUNIONSTORE', k + ':u', '2', k, t, 'WEIGHTS', '1', '2'],
    ['OBJECT', 'ENCODING', k + ':u'],
    ['ZRANGE', k + ':u', '0', '-1', 'WITHSCORES'],
    ['ZINTERSTORE', k + ':i', '2', k, t, 'AGGREGATE', 'MAX'],
    ['ZRANGE', k + ':i', '0', '-1', 'WITHSCORES'],
    ['ZDIFFSTORE', k + ':d', '2', k, t],
    ['ZRANGE', k + ':d', '0', '-1', 'WITHSCORES'],
    ['DUMP', k],
  ];
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('zset forms', engine);

  diffTest(t, 'every family at 127/128/129 members and 64/65-byte members', async ({ d }) => {
    await d.all([build('a127', 127), build('a128', 128), build('a129', 129), build('grow', 128)]);
    for (const k of ['a127', 'a128', 'a129', 'grow']) await d.check(['ZRANDMEMBER', k, '1000'], { unordered: true });
    for (const k of ['a127', 'a128', 'a129']) await d.all(family(k));
    // ZSCAN of a listpack: all in one reply (a skiplist's cursor walk is Redis's dict order).
    for (const k of ['a127', 'a128']) await d.all([['ZSCAN', k, '0', 'MATCH', 'm01*'], ['ZSCAN', k, '0', 'COUNT', '3']]);
    await d.all([['ZADD', 'grow', '1', 'one-more'], ...family('grow')]);
    await d.all([build('v64', 20, 'x'.repeat(60)), build('v65', 20, 'x'.repeat(61))]);
    for (const k of ['v64', 'v65']) await d.all(family(k));
    // The DUMP payload goes back in unchanged on both.
    for (const k of ['a128', 'a129', 'v65']) {
      const dump = await d.redust.send('DUMP', k);
      assert.is(dump.t, 'bulk');
      await d.all([
        ['RESTORE', k + ':back', '0', (dump as { v: Buffer }).v],
        ['ZRANGE', k + ':back', '0', '-1', 'WITHSCORES'],
        ['OBJECT', 'ENCODING', k + ':back'],
      ]);
    }
  });

  diffTest(t, 'ZSCAN of a small set: everything, cursor 0, whatever the cursor and COUNT', async ({ d }) => {
    await d.all([
      ['ZADD', 'z', '1', 'b', '1', 'a', '-0', 'neg', '+inf', 'top', '2', Buffer.from([0, 255, 10]), '2', Buffer.from([0x80])],
      ['ZSCAN', 'z', '0'],
      ['ZSCAN', 'z', '0', 'COUNT', '1'],
      ['ZSCAN', 'z', '17', 'COUNT', '2'],
      ['ZSCAN', 'z', '0', 'MATCH', '*e*'],
      ['ZREM', 'z', 'a'],
      ['ZSCAN', 'z', '0'],
      build('m128', 128),
      ['ZSCAN', 'm128', '0', 'COUNT', '5'],
    ]);
  });

  diffTest(t, 'ties, -0/+0, infinities and binary members in both forms', async ({ d }) => {
    for (const fill of [0, 140]) {
      const k = 'z' + fill;
      await d.all([
        build(k, fill, '', 'f'),
        ['ZADD', k, '0', 'b', '0', 'a', '0', Buffer.from([255]), '0', Buffer.from([0]), '0', '', '-0', 'neg', '+inf', 'pinf', '-inf', 'ninf'],
        ['OBJECT', 'ENCODING', k],
        ['ZRANGE', k, '0', '8', 'WITHSCORES'],
        ['ZSCORE', k, 'neg'],
        ['ZADD', k, '0', 'neg'],
        ['ZSCORE', k, 'neg'],
        ['ZRANGE', k, '0', '8', 'WITHSCORES'],
        ['ZINCRBY', k, '-inf', 'pinf'],
        ['ZINCRBY', k, '1', 'pinf'],
        ['ZRANK', k, 'pinf'],
        ['ZREVRANK', k, 'ninf'],
        ['ZCOUNT', k, '0', '0'],
        // Lex ranges over differing scores: only the listpack walk is deterministic (a skip
        // list's descent depends on its random levels, in Redis too).
        ...(fill === 0
          ? [
              ['ZRANGEBYLEX', k, '-', '+', 'LIMIT', '0', '3'],
              ['ZRANGE', k, '[a', '(b', 'BYLEX'],
              ['ZLEXCOUNT', k, '[\x00', '+'],
            ]
          : []),
        ['ZPOPMIN', k, '2'],
        ['ZPOPMAX', k, '1'],
        ['ZRANGE', k, '0', '4', 'WITHSCORES'],
      ]);
    }
  });

  // Both engines' small forms walk as Redis's listpack does (forward from the head, reverse from the tail).
  diffTest(t, 'lex ranges over differing scores walk the listpack as Redis does', async ({ d }) => {
    await d.all([
      ['ZADD', 'z', '1', 'b', '2', 'a', '3', 'd', '4', 'c', '5', 'e'],
      ['ZRANGEBYLEX', 'z', '[a', '[c'],
      ['ZRANGEBYLEX', 'z', '(a', '+'],
      ['ZREVRANGEBYLEX', 'z', '[d', '[b'],
      ['ZREVRANGEBYLEX', 'z', '+', '(c'],
      ['ZLEXCOUNT', 'z', '[a', '[c'],
      ['ZLEXCOUNT', 'z', '-', '[b'],
      ['ZRANGE', 'z', '[b', '[d', 'BYLEX', 'LIMIT', '1', '2'],
      ['ZRANGE', 'z', '[d', '[b', 'BYLEX', 'REV', 'LIMIT', '0', '1'],
      ['ZRANGESTORE', 'dst', 'z', '[d', '[a', 'BYLEX', 'REV'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZREVRANGEBYLEX', 'z', '[e', '-'],
      ['ZREVRANGEBYLEX', 'z', '(e', '(b'],
      ['ZREMRANGEBYLEX', 'z', '[b', '[c'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ]);
  });

  t.run();
}
