/**
 * Transactions (MULTI/EXEC/DISCARD/WATCH/UNWATCH): two clients per server run the same scenario on
 * Redust and on the reference Redis 7.0, and every reply must be identical (RESP2 and RESP3);
 * plus behavioural checks the reference cannot show (advanceTime expiry, Pub/Sub delivery order).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, haveRedisServer, startRedust, startReference, ReferenceServer } from './helpers/servers';
import { Arg, RawConnection, R, encodeCommand as encode } from './helpers/raw';
import type { RedustServer } from '../src/index';
import { RespNode, renderNode } from '../src/protocol/resp-reader';
import { normalize, CompareOptions } from './helpers/diff';

const HAVE_REF = haveRedisServer();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A step: [client, ...command], or a pause (real time, applies to both servers). */
type Step = [string, ...Arg[]] | { sleep: number } | { opts: CompareOptions; step: [string, ...Arg[]] };

/** Named connections to one server. */
class Side {
  conns = new Map<string, RawConnection>();
  constructor(readonly port: number) {}
  async get(name: string): Promise<RawConnection> {
    let c = this.conns.get(name);
    if (!c) this.conns.set(name, (c = await RawConnection.connect(this.port)));
    return c;
  }
  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}

/** Runs scenarios on both servers with the same client names, comparing each reply. */
class Duo {
  constructor(
    readonly redust: Side,
    readonly reference: Side,
  ) {}

  async run(steps: Step[], label = ''): Promise<void> {
    for (const s of steps) {
      if ('sleep' in s) {
        await sleep(s.sleep);
        continue;
      }
      const [who, ...args] = 'opts' in s ? s.step : s;
      const opts = 'opts' in s ? s.opts : {};
      const [a, b] = await Promise.all([(await this.redust.get(who)).send(...args), (await this.reference.get(who)).send(...args)]);
      const text = `${label}${who}> ${args.map((x) => String(x)).join(' ')}`;
      if (opts.typeOnly) assert.is(a.t, b.t, text);
      else assert.is(renderNode(normalize(a, opts)), renderNode(normalize(b, opts)), text);
    }
  }

  /** Next unsolicited message on a client (Pub/Sub), compared. */
  async nextBoth(who: string, ms = 2000): Promise<RespNode> {
    const [a, b] = await Promise.all([(await this.redust.get(who)).next(ms), (await this.reference.get(who)).next(ms)]);
    assert.is(renderNode(a), renderNode(b), `${who}: pushed message`);
    return a;
  }

  close(): void {
    this.redust.close();
    this.reference.close();
  }
}

for (const engine of enginesUnderTest()) {
  const t = suite<{ srv: RedustServer; ref?: ReferenceServer; duo?: Duo; c: RawConnection }>(`transactions [${engine}]`);

  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine);
    ctx.c = await RawConnection.connect(ctx.srv.port);
    if (HAVE_REF) ctx.ref = await startReference();
  });

  t.after(async (ctx) => {
    ctx.c.close();
    await ctx.srv.close();
    await ctx.ref?.stop();
  });

  t.before.each(async (ctx) => {
    await ctx.c.send('FLUSHALL');
    if (ctx.ref) {
      ctx.duo = new Duo(new Side(ctx.srv.port), new Side(ctx.ref.port));
      await (await ctx.duo.reference.get('a')).send('FLUSHALL');
    }
  });

  t.after.each((ctx) => {
    ctx.duo?.close();
    ctx.duo = undefined;
  });

  t('queuing errors abort EXEC with EXECABORT (unknown command, arity, subcommand)', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['a', 'SET', 'k', 'before'],
      ['a', 'MULTI'],
      ['a', 'SET', 'k', 'v'],
      ['a', 'NOSUCHCMD', 'x', 'y'],
      ['a', 'INCR', 'n'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      ['a', 'GET', 'n'],
      // wrong arity
      ['a', 'MULTI'],
      ['a', 'SET', 'k', 'v'],
      ['a', 'GET'],
      ['a', 'SET', 'k'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      // unknown subcommand / container without subcommand
      ['a', 'MULTI'],
      ['a', 'CONFIG', 'NOSUCH'],
      ['a', 'OBJECT'],
      ['a', 'EXEC'],
      // the state is clean afterwards
      ['a', 'MULTI'],
      ['a', 'SET', 'k', 'after'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      // DISCARD after a queuing error
      ['a', 'MULTI'],
      ['a', 'NOSUCH'],
      ['a', 'DISCARD'],
      ['a', 'EXEC'],
      // an error at queuing time aborts even when WATCH would also have failed
      ['a', 'WATCH', 'k'],
      ['b', 'SET', 'k', 'other'],
      ['a', 'MULTI'],
      ['a', 'NOSUCH'],
      ['a', 'EXEC'],
      // SUBSCRIBE is queued and runs at EXEC (the client is then in subscribed mode)
      ['a', 'MULTI'],
      ['a', 'SET', 'k', 'x'],
      ['a', 'SUBSCRIBE', 'ch'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      ['a', 'PING'],
      ['a', 'RESET'],
      ['a', 'GET', 'k'],
    ]);
  });

  // Redis's rejectCommand answers a rejected EXEC itself with "EXECABORT Transaction discarded
  // because of: <error>" and discards the transaction (execCommandAbort), in or out of MULTI.
  t('a rejected EXEC (arity, Pub/Sub context) answers EXECABORT and discards', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['a', 'EXEC', 'x'],
      ['a', 'WATCH', 'k'],
      ['a', 'MULTI'],
      ['a', 'SET', 'k', 'v'],
      ['a', 'EXEC', 'x'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      ['a', 'MULTI'],
      ['a', 'DISCARD', 'x'],
      ['a', 'EXEC'],
      ['a', 'MULTI'],
      ['a', 'MULTI', 'x'],
      ['a', 'EXEC'],
      ['a', 'MULTI'],
      ['a', 'SUBSCRIBE', 'ch'],
      ['a', 'EXEC'],
      ['a', 'EXEC'],
      ['a', 'DISCARD'],
      ['a', 'PING'],
    ]);
  });

  t('runtime errors inside EXEC are returned per command while the rest run', async ({ duo }) => {
    if (!duo) return;
    for (const proto of ['2', '3']) {
      await duo.run([
        { opts: { typeOnly: true }, step: ['a', 'HELLO', proto] },
        ['a', 'FLUSHALL'],
        ['a', 'MULTI'],
        ['a', 'SET', 's', 'str'],
        ['a', 'LPUSH', 's', 'x'],
        ['a', 'INCR', 's'],
        ['a', 'SET', 'k', 'v', 'BADOPT'],
        ['a', 'EXPIRE', 'k', 'notanint'],
        ['a', 'SET', 'n', '10'],
        ['a', 'INCRBY', 'n', '5'],
        ['a', 'HSET', 'n', 'f', 'v'],
        ['a', 'GET', 'n'],
        ['a', 'EVAL', 'return redis.call("incr", KEYS[1])', '1', 's'],
        ['a', 'EVAL', 'return 1 +', '0'],
        ['a', 'EVAL', 'return {1, "two", {err="ERR inner"}}', '0'],
        ['a', 'EXEC'],
        ['a', 'GET', 's'],
        ['a', 'GET', 'n'],
      ]);
    }
  });

  t('nested MULTI and WATCH inside MULTI are refused without aborting the transaction', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['a', 'MULTI'],
      ['a', 'MULTI'],
      ['a', 'SET', 'k', 'v'],
      ['a', 'WATCH', 'k'],
      ['a', 'UNWATCH'],
      ['a', 'INCR', 'c'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      ['a', 'EXEC'],
      ['a', 'DISCARD'],
      ['a', 'UNWATCH'],
      ['a', 'WATCH'],
      ['a', 'MULTI', 'x'],
      ['a', 'DISCARD', 'x'],
      // an empty transaction
      ['a', 'MULTI'],
      ['a', 'EXEC'],
      ['a', 'MULTI'],
      ['a', 'DISCARD'],
      ['a', 'GET', 'k'],
    ]);
  });

  t('WATCH: invalidated by another client, by the client itself, and by every kind of write', async ({ duo }) => {
    if (!duo) return;
    /** WATCH `key`, run `between` on client b (or a), then a transaction; EXEC must agree. */
    const scenario = (setup: Step[], watch: string[], between: Step[]): Step[] => [
      ['a', 'FLUSHALL'],
      ...setup,
      ['a', 'WATCH', ...watch],
      ...between,
      ['a', 'MULTI'],
      ['a', 'SET', 'result', 'committed'],
      ['a', 'EXEC'],
      ['a', 'GET', 'result'],
      ['a', 'UNWATCH'],
    ];
    const cases: [string, Step[], string[], Step[]][] = [
      ['no change', [['a', 'SET', 'w', '1']], ['w'], []],
      ['other client SET', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SET', 'w', '2']]],
      ['same value SET', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SET', 'w', '1']]],
      ['own SET before MULTI', [['a', 'SET', 'w', '1']], ['w'], [['a', 'SET', 'w', '2']]],
      ['read only', [['a', 'SET', 'w', '1']], ['w'], [['b', 'GET', 'w'], ['b', 'EXISTS', 'w'], ['b', 'TTL', 'w']]],
      ['failed SETNX', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SETNX', 'w', '2']]],
      ['DEL', [['a', 'SET', 'w', '1']], ['w'], [['b', 'DEL', 'w']]],
      ['DEL of a missing key', [], ['w'], [['b', 'DEL', 'w']]],
      ['create missing key', [], ['w'], [['b', 'SET', 'w', '1']]],
      ['create then delete', [], ['w'], [['b', 'SET', 'w', '1'], ['b', 'DEL', 'w']]],
      ['EXPIRE', [['a', 'SET', 'w', '1']], ['w'], [['b', 'EXPIRE', 'w', '100']]],
      ['PERSIST no ttl', [['a', 'SET', 'w', '1']], ['w'], [['b', 'PERSIST', 'w']]],
      ['APPEND', [['a', 'SET', 'w', '1']], ['w'], [['b', 'APPEND', 'w', 'x']]],
      ['INCR', [['a', 'SET', 'w', '1']], ['w'], [['b', 'INCR', 'w']]],
      ['LPUSH', [], ['w'], [['b', 'LPUSH', 'w', 'x']]],
      ['HSET', [['a', 'HSET', 'w', 'f', 'v']], ['w'], [['b', 'HSET', 'w', 'f', 'v2']]],
      ['SADD existing member', [['a', 'SADD', 'w', 'm']], ['w'], [['b', 'SADD', 'w', 'm']]],
      ['RENAME source', [['a', 'SET', 'w', '1']], ['w'], [['b', 'RENAME', 'w', 'z']]],
      ['RENAME destination', [['a', 'SET', 'z', '1']], ['w'], [['b', 'RENAME', 'z', 'w']]],
      ['MOVE', [['a', 'SET', 'w', '1']], ['w'], [['b', 'MOVE', 'w', '1']]],
      ['COPY onto', [['a', 'SET', 'z', '1']], ['w'], [['b', 'COPY', 'z', 'w']]],
      ['one of several keys', [['a', 'SET', 'w', '1']], ['x', 'w', 'y'], [['b', 'SET', 'y', '1']]],
      ['write to another db', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SELECT', '1'], ['b', 'SET', 'w', '2'], ['b', 'DEL', 'w'], ['b', 'SELECT', '0']]],
      ['EVAL write', [['a', 'SET', 'w', '1']], ['w'], [['b', 'EVAL', 'redis.call("set", KEYS[1], "x")', '1', 'w']]],
      ['other MULTI write', [['a', 'SET', 'w', '1']], ['w'], [['b', 'MULTI'], ['b', 'SET', 'w', 'x'], ['b', 'EXEC']]],
      ['FLUSHDB with the key', [['a', 'SET', 'w', '1']], ['w'], [['b', 'FLUSHDB']]],
      ['FLUSHDB without the key', [['a', 'SET', 'other', '1']], ['w'], [['b', 'FLUSHDB']]],
      ['FLUSHALL with the key', [['a', 'SET', 'w', '1']], ['w'], [['b', 'FLUSHALL']]],
      ['FLUSHALL without the key', [['a', 'SET', 'other', '1']], ['w'], [['b', 'FLUSHALL']]],
      ['FLUSHDB of another db', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SELECT', '1'], ['b', 'FLUSHDB'], ['b', 'SELECT', '0']]],
      ['SWAPDB, key only in db 0', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SWAPDB', '0', '1']]],
      ['SWAPDB, key only in db 1', [['b', 'SELECT', '1'], ['b', 'SET', 'w', '1'], ['b', 'SELECT', '0']], ['w'], [['b', 'SWAPDB', '0', '1']]],
      ['SWAPDB, key in neither', [['a', 'SET', 'x', '1']], ['w'], [['b', 'SWAPDB', '0', '1']]],
      ['SWAPDB of other dbs', [['a', 'SET', 'w', '1']], ['w'], [['b', 'SWAPDB', '2', '3']]],
      ['UNWATCH then write', [['a', 'SET', 'w', '1']], ['w'], [['a', 'UNWATCH'], ['b', 'SET', 'w', '2']]],
    ];
    for (const [name, setup, watch, between] of cases) await duo.run(scenario(setup, watch, between), `[${name}] `);
    // the watched key is identified by db: WATCH in db 1, write in db 1
    await duo.run([
      ['a', 'FLUSHALL'],
      ['a', 'SELECT', '1'],
      ['a', 'WATCH', 'w'],
      ['a', 'SELECT', '0'],
      ['b', 'SET', 'w', 'db0'],
      ['a', 'MULTI'],
      ['a', 'PING'],
      ['a', 'EXEC'],
      ['a', 'SELECT', '1'],
      ['a', 'WATCH', 'w'],
      ['a', 'SELECT', '0'],
      ['b', 'SELECT', '1'],
      ['b', 'SET', 'w', 'db1'],
      ['b', 'SELECT', '0'],
      ['a', 'MULTI'],
      ['a', 'PING'],
      ['a', 'EXEC'],
      // DISCARD unwatches
      ['a', 'WATCH', 'w'],
      ['a', 'MULTI'],
      ['a', 'DISCARD'],
      ['b', 'SET', 'w', 'again'],
      ['a', 'MULTI'],
      ['a', 'PING'],
      ['a', 'EXEC'],
      // EXEC unwatches, even when it fails
      ['a', 'WATCH', 'w'],
      ['b', 'SET', 'w', 'x'],
      ['a', 'MULTI'],
      ['a', 'EXEC'],
      ['b', 'SET', 'w', 'y'],
      ['a', 'MULTI'],
      ['a', 'PING'],
      ['a', 'EXEC'],
    ]);
  });

  // Found by the differential fuzzer: WATCH reclaimed a key already expired, and EXEC the watched
  // keys expired since, publishing `expired` (and invalidations) there; Redis only looks at them
  // (watchedKey.expired, isWatchedKeyExpired), so the event comes from whatever touches the key.
  t('WATCH and EXEC publish no expired events for the keys they check', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0'],
      ['a', 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['s', 'PSUBSCRIBE', '__keyevent@*__:*'],
      ['a', 'SET', 'x1', 'v', 'PX', '1'],
      ['a', 'SET', 'x2', 'v', 'PX', '30'],
      { sleep: 10 },
      ['a', 'WATCH', 'x1', 'x2'],
      { sleep: 60 },
      ['a', 'MULTI'],
      ['a', 'PING'],
      ['a', 'EXEC'],
      ['a', 'SET', 'x3', 'v', 'PX', '1'],
      { sleep: 10 },
      ['a', 'WATCH', 'x3'],
      ['a', 'MULTI'],
      ['a', 'GET', 'x3'],
      ['a', 'EXEC'],
      ['a', 'PUBLISH', '__keyevent@0__:end', 'end'],
    ]);
    for (;;) {
      const m = renderNode(await duo.nextBoth('s'));
      if (m.includes('__keyevent@0__:end')) break;
    }
    await duo.run([
      ['a', 'EXISTS', 'x1', 'x2'],
      ['a', 'CONFIG', 'SET', 'notify-keyspace-events', ''],
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
    ]);
  });

  t('WATCH and expiry: a key that expires after WATCH fails EXEC; one already expired at WATCH does not', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['a', 'SET', 'e', 'v', 'PX', '50'],
      ['a', 'WATCH', 'e'],
      { sleep: 120 },
      ['a', 'MULTI'],
      ['a', 'SET', 'r', '1'],
      ['a', 'EXEC'],
      // already logically expired when watched (not yet reclaimed)
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0'],
      ['a', 'SET', 'e2', 'v', 'PX', '20'],
      { sleep: 60 },
      ['a', 'WATCH', 'e2'],
      ['a', 'MULTI'],
      ['a', 'SET', 'r', '2'],
      ['a', 'EXEC'],
      ['a', 'GET', 'r'],
      // ... and reading it (lazy reclaim) in between does not count as a change either
      ['a', 'SET', 'e3', 'v', 'PX', '20'],
      { sleep: 60 },
      ['a', 'WATCH', 'e3'],
      ['b', 'GET', 'e3'],
      ['a', 'MULTI'],
      ['a', 'SET', 'r', '3'],
      ['a', 'EXEC'],
      ['a', 'GET', 'r'],
      // but re-creating it does
      ['a', 'SET', 'e4', 'v', 'PX', '20'],
      { sleep: 60 },
      ['a', 'WATCH', 'e4'],
      ['b', 'SET', 'e4', 'new'],
      ['a', 'MULTI'],
      ['a', 'SET', 'r', '4'],
      ['a', 'EXEC'],
      ['a', 'GET', 'r'],
      // a key with a TTL that has not expired by EXEC is fine
      ['a', 'SET', 'e5', 'v', 'EX', '100'],
      ['a', 'WATCH', 'e5'],
      ['a', 'MULTI'],
      ['a', 'SET', 'r', '5'],
      ['a', 'EXEC'],
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
    ]);
  });

  // Found by the differential fuzzer (WATCH with a second client): FLUSHDB, FLUSHALL and SWAPDB
  // invalidated every watch on a key in the db, and reclaimed expired keys to decide (publishing
  // `expired`). Redis's touchAllWatchedKeysInDb looks without reclaiming, and keeps a watch that
  // saw its key expired: cleared when the key goes, kept when an expired key replaces it.
  t('WATCH of expired keys across FLUSHDB, FLUSHALL and SWAPDB (touchAllWatchedKeysInDb)', async ({ duo }) => {
    if (!duo) return;
    const expired = (db: string, key: string): Step[] => [['b', 'SELECT', db], ['b', 'SET', key, 'v', 'PX', '1']];
    const tx = (n: string): Step[] => [['a', 'MULTI'], ['a', 'SET', 'r', n], ['a', 'EXEC']];
    await duo.run([
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0'],
      ['a', 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['s', 'PSUBSCRIBE', '__keyevent@*__:*'],
      // expired at WATCH, then the db flushed: no change (EXEC runs)
      ...expired('0', 'x1'), { sleep: 5 }, ['a', 'WATCH', 'x1'], ['b', 'FLUSHDB'], ...tx('1'),
      ...expired('0', 'x2'), { sleep: 5 }, ['a', 'WATCH', 'x2'], ['b', 'FLUSHALL'], ...tx('2'),
      // expired at WATCH, swapped with a db without it: no change
      ...expired('0', 'x3'), { sleep: 5 }, ['a', 'WATCH', 'x3'], ['b', 'SWAPDB', '0', '1'], ['b', 'SWAPDB', '0', '1'], ...tx('3'),
      // missing at WATCH, an expired key swapped in: still no change, now or when it goes
      ...expired('1', 'x4'), { sleep: 5 }, ['a', 'WATCH', 'x4'], ['b', 'SWAPDB', '0', '1'], ...tx('4'),
      ...expired('1', 'x5'), { sleep: 5 }, ['a', 'WATCH', 'x5'], ['b', 'SWAPDB', '0', '1'], ['b', 'SELECT', '0'], ['b', 'GET', 'x5'], ...tx('5'),
      // expired at WATCH, replaced by an expired key: no change; by a live key: EXEC fails
      ['b', 'FLUSHALL'], ...expired('0', 'x6'), ...expired('1', 'x6'), { sleep: 5 }, ['a', 'WATCH', 'x6'], ['b', 'SWAPDB', '0', '1'], ...tx('6'),
      ['b', 'FLUSHALL'], ...expired('0', 'x7'), ['b', 'SELECT', '1'], ['b', 'SET', 'x7', 'live'], { sleep: 5 }, ['a', 'WATCH', 'x7'], ['b', 'SWAPDB', '0', '1'], ...tx('7'),
      // live at WATCH, an expired key swapped in: EXEC fails
      ['b', 'FLUSHALL'], ['a', 'SET', 'x8', 'live'], ...expired('1', 'x8'), { sleep: 5 }, ['a', 'WATCH', 'x8'], ['b', 'SWAPDB', '0', '1'], ...tx('8'),
      ['a', 'GET', 'r'],
      ['a', 'PUBLISH', '__keyevent@0__:end', 'end'],
    ]);
    for (;;) {
      const m = renderNode(await duo.nextBoth('s'));
      if (m.includes('__keyevent@0__:end')) break;
    }
    await duo.run([
      ['a', 'CONFIG', 'SET', 'notify-keyspace-events', ''],
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
    ]);
  });

  // Found by the differential fuzzer (WATCH with a second client): RESTORE REPLACE deletes an
  // expired watched key without reclaiming it, then adds the key: Redis's touchWatchedKey finds
  // the key there for a watch that saw it expired and stops (`break`): that client and the ones
  // that watched it after are not flagged, their EXEC runs.
  t('WATCH of an expired key, then RESTORE REPLACE over it: EXEC runs (touchWatchedKey break)', async ({ duo }) => {
    if (!duo) return;
    const restore = ['EVAL', "local p = redis.call('DUMP', KEYS[2]) return redis.pcall('RESTORE', KEYS[1], 0, p, 'REPLACE')", '2'];
    await duo.run([
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '0'],
      ['b', 'SET', 'src', 'payload'],
      ['a', 'SET', 'x', 'v', 'PX', '1'],
      { sleep: 5 },
      ['a', 'WATCH', 'x'],
      ['c', 'SET', 'y', 'live'],
      ['c', 'WATCH', 'x', 'y'],
      ['b', ...restore, 'x', 'src'],
      ['a', 'MULTI'],
      ['a', 'GET', 'x'],
      ['a', 'EXEC'],
      ['c', 'MULTI'],
      ['c', 'GET', 'x'],
      ['c', 'EXEC'],
      // a live watched key restored over fails EXEC as any write
      ['a', 'WATCH', 'x'],
      ['b', ...restore, 'x', 'src'],
      ['a', 'MULTI'],
      ['a', 'GET', 'x'],
      ['a', 'EXEC'],
      ['a', 'DEBUG', 'SET-ACTIVE-EXPIRE', '1'],
    ]);
  });

  t('WATCH and expiry with advanceTime (no sleeping)', async ({ srv, c }) => {
    const other = await RawConnection.connect(srv.port);
    try {
      assert.equal(await c.send('SET', 'e', 'v', 'PX', '1000'), R.ok);
      assert.equal(await c.send('WATCH', 'e'), R.ok);
      srv.advanceTime(2000);
      assert.equal(await c.send('MULTI'), R.ok);
      assert.equal(await c.send('SET', 'r', '1'), R.simple('QUEUED'));
      assert.equal(await c.send('EXEC'), R.nilArray);
      assert.equal(await c.send('GET', 'r'), R.nil);
      // the expiry is noticed even when another client reclaimed the key first
      assert.equal(await c.send('SET', 'e', 'v', 'PX', '1000'), R.ok);
      assert.equal(await c.send('WATCH', 'e'), R.ok);
      srv.advanceTime(2000);
      assert.equal(await other.send('GET', 'e'), R.nil);
      assert.equal(await c.send('MULTI'), R.ok);
      assert.equal(await c.send('SET', 'r', '1'), R.simple('QUEUED'));
      assert.equal(await c.send('EXEC'), R.nilArray);
    } finally {
      other.close();
    }
  });

  t('EVAL and FCALL inside MULTI run atomically at EXEC', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['a', 'FUNCTION', 'FLUSH'],
      ['a', 'FUNCTION', 'LOAD', '#!lua name=tx\nredis.register_function("bump", function(k, a) return redis.call("incrby", k[1], a[1]) end)'],
      ['a', 'MULTI'],
      ['a', 'EVAL', 'redis.call("set", KEYS[1], ARGV[1]) return redis.call("get", KEYS[1])', '1', 'k', '10'],
      ['a', 'FCALL', 'bump', '1', 'k', '5'],
      ['a', 'EVAL', 'return redis.call("incr", "k")', '0'],
      ['a', 'EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['a', 'SCRIPT', 'LOAD', 'return 7'],
      ['a', 'EXEC'],
      ['a', 'GET', 'k'],
      ['a', 'MULTI'],
      ['a', 'EVAL', 'return redis.call("multi")', '0'],
      ['a', 'EVAL', 'return redis.call("exec")', '0'],
      ['a', 'EVAL', 'return redis.call("watch", "k")', '0'],
      ['a', 'EXEC'],
      ['a', 'FUNCTION', 'FLUSH'],
    ]);
  });

  t('blocking commands inside MULTI do not block (nil / data immediately)', async ({ duo }) => {
    if (!duo) return;
    for (const proto of ['2', '3']) {
      await duo.run([
        { opts: { typeOnly: true }, step: ['a', 'HELLO', proto] },
        ['a', 'FLUSHALL'],
        ['a', 'RPUSH', 'full', 'x', 'y'],
        ['a', 'MULTI'],
        ['a', 'BLPOP', 'empty', '0'],
        ['a', 'BRPOP', 'empty', 'full', '0'],
        ['a', 'BLMOVE', 'empty', 'dst', 'LEFT', 'RIGHT', '0'],
        ['a', 'BRPOPLPUSH', 'empty', 'dst', '0'],
        ['a', 'BLMPOP', '0', '1', 'empty', 'LEFT'],
        ['a', 'BLPOP', 'full', '0'],
        ['a', 'XREAD', 'BLOCK', '0', 'STREAMS', 'nostream', '$'],
        ['a', 'XREAD', 'BLOCK', '0', 'STREAMS', 'nostream', '0'],
        ['a', 'EXEC'],
        ['a', 'LRANGE', 'dst', '0', '-1'],
      ]);
    }
  });

  t('blocking sorted-set commands inside MULTI do not block', async ({ duo }) => {
    if (!duo) return;
    for (const proto of ['2', '3']) {
      await duo.run([
        { opts: { typeOnly: true }, step: ['a', 'HELLO', proto] },
        ['a', 'FLUSHALL'],
        ['a', 'ZADD', 'z', '1', 'a', '2', 'b'],
        ['a', 'MULTI'],
        ['a', 'BZPOPMIN', 'empty', '0'],
        ['a', 'BZPOPMAX', 'empty', 'z', '0'],
        ['a', 'BZMPOP', '0', '1', 'empty', 'MIN'],
        ['a', 'EXEC'],
      ]);
    }
  });

  t('a push inside EXEC wakes a client blocked elsewhere once, after EXEC', async ({ duo }) => {
    if (!duo) return;
    const [ra, rb] = [await duo.redust.get('blocked'), await duo.reference.get('blocked')];
    ra.write(encode(['BLPOP', 'q', '5']));
    rb.write(encode(['BLPOP', 'q', '5']));
    await sleep(50);
    await duo.run([
      ['a', 'MULTI'],
      ['a', 'RPUSH', 'q', '1', '2'],
      ['a', 'LPOP', 'q'],
      ['a', 'RPUSH', 'q', '3'],
      ['a', 'EXEC'],
    ]);
    await duo.nextBoth('blocked');
    await duo.run([['a', 'LRANGE', 'q', '0', '-1']]);
  });

  t('PUBLISH inside MULTI is delivered after EXEC', async ({ duo }) => {
    if (!duo) return;
    await duo.run([
      ['sub', 'SUBSCRIBE', 'ch'],
      ['a', 'MULTI'],
      ['a', 'PUBLISH', 'ch', 'one'],
      ['a', 'SET', 'k', 'v'],
      ['a', 'PUBLISH', 'ch', 'two'],
      ['a', 'PUBLISH', 'nobody', 'x'],
    ]);
    // nothing is delivered while queued
    assert.is(await (await duo.redust.get('sub')).hasReplyWithin(100), false, 'redust: no message before EXEC');
    assert.is(await (await duo.reference.get('sub')).hasReplyWithin(1), false, 'redis: no message before EXEC');
    await duo.run([['a', 'EXEC']]);
    await duo.nextBoth('sub');
    await duo.nextBoth('sub');
    // a discarded transaction publishes nothing
    await duo.run([['a', 'MULTI'], ['a', 'PUBLISH', 'ch', 'never'], ['a', 'DISCARD']]);
    assert.is(await (await duo.redust.get('sub')).hasReplyWithin(100), false);
    // RESP3 subscriber in the same connection as the transaction: pushes come after the EXEC reply
    await duo.run([
      { opts: { typeOnly: true }, step: ['r3', 'HELLO', '3'] },
      ['r3', 'SUBSCRIBE', 'self'],
      ['r3', 'MULTI'],
      ['r3', 'PUBLISH', 'self', 'hi'],
      ['r3', 'EXEC'],
    ]);
    await duo.nextBoth('r3');
  });

  t('EXEC reply shapes in RESP3 (maps, sets, doubles, nulls, booleans) and RESP2', async ({ duo }) => {
    if (!duo) return;
    for (const proto of ['3', '2']) {
      await duo.run([
        { opts: { typeOnly: true }, step: ['a', 'HELLO', proto] },
        ['a', 'FLUSHALL'],
        ['a', 'HSET', 'h', 'f', 'v'],
        ['a', 'SADD', 's', 'only'],
        ['a', 'ZADD', 'z', '1.5', 'm'],
        ['a', 'MULTI'],
        ['a', 'HGETALL', 'h'],
        ['a', 'SMEMBERS', 's'],
        ['a', 'ZSCORE', 'z', 'm'],
        ['a', 'ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
        ['a', 'GET', 'missing'],
        ['a', 'LPOP', 'missing', '2'],
        ['a', 'EVAL', 'return true', '0'],
        ['a', 'EVAL', 'return {double=2.5}', '0'],
        ['a', 'EVAL', 'redis.setresp(3) return redis.call("hgetall", "h")', '0'],
        ['a', 'CONFIG', 'GET', 'maxmemory'],
        ['a', 'PING'],
        ['a', 'INCRBYFLOAT', 'f', '1.5'],
        ['a', 'EXEC'],
        // a failed WATCH: RESP3 null vs RESP2 null array
        ['a', 'WATCH', 'h'],
        ['b', 'HSET', 'h', 'f', 'changed'],
        ['a', 'MULTI'],
        ['a', 'HGETALL', 'h'],
        ['a', 'EXEC'],
        ['a', 'MULTI'],
        ['a', 'NOSUCH'],
        ['a', 'EXEC'],
      ]);
    }
  });

  t('MULTI state survives pipelining; RESET and client disconnect clear it', async ({ srv, c }) => {
    // pipelined transaction in one write
    c.write(Buffer.concat([encode(['MULTI']), encode(['SET', 'p', '1']), encode(['INCR', 'p']), encode(['EXEC'])]));
    assert.equal(await c.next(), R.ok);
    assert.equal(await c.next(), R.simple('QUEUED'));
    assert.equal(await c.next(), R.simple('QUEUED'));
    assert.equal(await c.next(), R.arr(R.ok, R.int(2)));
    // RESET discards the transaction and the watches
    assert.equal(await c.send('WATCH', 'p'), R.ok);
    assert.equal(await c.send('MULTI'), R.ok);
    assert.equal(await c.send('SET', 'p', 'x'), R.simple('QUEUED'));
    assert.equal(await c.send('RESET'), R.simple('RESET'));
    assert.equal(await c.send('EXEC'), R.err('ERR EXEC without MULTI'));
    assert.equal(await c.send('GET', 'p'), R.bulk('2'));
    // a client that disconnects mid-transaction leaves nothing behind
    const gone = await RawConnection.connect(srv.port);
    await gone.send('WATCH', 'p');
    await gone.send('MULTI');
    await gone.send('SET', 'p', 'never');
    gone.close();
    await sleep(50);
    assert.equal(await c.send('GET', 'p'), R.bulk('2'));
    assert.equal(await c.send('SET', 'p', '3'), R.ok);
  });

  // processCommand's reject_cmd_on_oom: inside MULTI every command but EXEC (unless it holds a
  // denyoom command), DISCARD, QUIT and RESET is refused over maxmemory, so EXEC aborts.
  if (HAVE_REF) {
    t('over maxmemory (noeviction) MULTI refuses queuing; EXEC aborts; DISCARD works', async (ctx) => {
      const duo = ctx.duo!;
      try {
        await duo.run([
          ['a', 'SET', 'k', 'v'],
          ['a', 'CONFIG', 'SET', 'maxmemory', '1'],
          ['a', 'MULTI'],
          ['a', 'SET', 'a', 'b'],
          ['a', 'GET', 'k'],
          ['a', 'PING'],
          ['a', 'WATCH', 'x'],
          ['a', 'MULTI'],
          ['a', 'EXEC'],
          ['a', 'MULTI'],
          ['a', 'GET', 'k'],
          ['a', 'DISCARD'],
          ['a', 'MULTI'],
          ['a', 'EXEC'],
          ['a', 'CONFIG', 'SET', 'maxmemory', '0'],
          // memory goes over the limit after queuing: EXEC holding a denyoom command is refused
          ['a', 'MULTI'],
          ['a', 'SET', 'x', '1'],
          ['a', 'GET', 'k'],
          ['b', 'CONFIG', 'SET', 'maxmemory', '1'],
          ['a', 'EXEC'],
          ['a', 'GET', 'x'],
          ['b', 'CONFIG', 'SET', 'maxmemory', '0'],
          // ... and one without runs
          ['a', 'MULTI'],
          ['a', 'GET', 'k'],
          ['b', 'CONFIG', 'SET', 'maxmemory', '1'],
          ['a', 'EXEC'],
        ]);
      } finally {
        await ctx.c.send('CONFIG', 'SET', 'maxmemory', '0');
        await (await duo.reference.get('b')).send('CONFIG', 'SET', 'maxmemory', '0');
      }
    });
  }

  t.run();
}
