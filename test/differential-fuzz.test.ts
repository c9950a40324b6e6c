/**
 * Seeded random command generator, differential against real Redis 7.0: thousands of random
 * commands over a small key space (so types collide and WRONGTYPE, overwrites and deletes
 * happen), each reply compared. Generators for a command family are used only when Redust
 * implements it, so the fuzzer grows with the command table. A failure prints the seed and the
 * command history needed to replay it. A second connection per server stays subscribed to every
 * keyspace event (notify-keyspace-events set per mode) and to the PUBLISH generators' channels;
 * the messages it receives must be the same, in the same order. Families named 'command:what'
 * run groups over several clients of each server (test/helpers/fuzz-steps.ts): a second client
 * writing under the main connection's WATCH, clients that block until the main connection serves
 * them, DUMP and FUNCTION DUMP payloads restored on the other server. To reduce a failure, run it
 * with REDUST_FUZZ_DUMP=file and replay the file (filtered by key) with scripts/fuzz-replay.js.
 */
import { appendFileSync, writeFileSync } from 'fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { Differential, normalize, CompareOptions } from './helpers/diff';
import { renderNode, type RespNode } from '../src/protocol/resp-reader';
import { encodeCommand, RawConnection, type Arg } from './helpers/raw';
import { rng } from './helpers/rng';
import { FuzzClients, describeStep, isMainCommand, stepToJson, type Step } from './helpers/fuzz-steps';

const HAVE_REF = haveRedisServer();
const OPS = Number(process.env.REDUST_FUZZ_OPS ?? 3000);
const SEEDS = (process.env.REDUST_FUZZ_SEEDS ?? '1,2,3').split(',').map(Number);
/**
 * Each seed runs twice: with the default settings, and with the smallest encoding thresholds on
 * both servers, so that collections change encoding (listpack/intset to hashtable/skiplist, new
 * quicklist and stream nodes) every few commands. REDUST_FUZZ_MODES=default|small picks one.
 */
const NO_SETTINGS: Record<string, string> = {};
/**
 * notify: the keyspace-event classes (notify-keyspace-events) the mode enables: every class on
 * both channels in one mode, a narrower set with key misses and new-key events in the other.
 */
const MODES: { name: string; config: Record<string, string>; notify: string }[] = [
  { name: 'default settings', config: NO_SETTINGS, notify: 'KEA' },
  {
    name: 'small encodings',
    notify: 'Kgx$lshzmn',
    config: { 'hash-max-listpack-entries': '2', 'hash-max-listpack-value': '4', 'set-max-intset-entries': '2', 'zset-max-listpack-entries': '2', 'zset-max-listpack-value': '4', 'list-max-listpack-size': '2', 'stream-node-max-entries': '2' },
  },
].filter((m) => !process.env.REDUST_FUZZ_MODES || process.env.REDUST_FUZZ_MODES.split(',').some((x) => m.name.startsWith(x)));
/**
 * Pub/sub seen from a second connection per server: a subscriber to every keyspace event and to
 * the channels the PUBLISH generators use. Its messages are compared every SYNC_EVERY commands
 * (REDUST_FUZZ_SYNC; 1 pins a difference to its command), in order: Redis publishes a command's
 * events in a defined order.
 */
const SYNC_EVERY = Number(process.env.REDUST_FUZZ_SYNC ?? 8);
/**
 * REDUST_FUZZ_EVENTS_LOG=file: a pub/sub difference is appended to the file (a JSON line: the
 * commands since the last comparison, both servers' messages) and the run goes on, to survey
 * every command whose events differ in one run (with REDUST_FUZZ_SYNC=1).
 */
const EVENTS_LOG = process.env.REDUST_FUZZ_EVENTS_LOG;
/** REDUST_FUZZ_ONLY=xadd,zadd: only these generator families (keys of GENERATORS). */
const ONLY = process.env.REDUST_FUZZ_ONLY ? new Set(process.env.REDUST_FUZZ_ONLY.split(',')) : null;

/**
 * A generated command; `pre`: commands sent first, as ops of their own (e.g. a push that gives a
 * blocking pop something to serve, so it never waits); `after`: steps sent after it (e.g. other
 * clients' commands, and the transaction, after a WATCH). A script (EVAL) runs `args` alone.
 */
type Gen = (r: Rand) => Op & { pre?: Arg[][]; waitAfterPre?: number; outsideMulti?: boolean; after?: Op[] };
/**
 * A step (test/helpers/fuzz-steps.ts: a command on the main connection by default, or on another
 * client, or a cross-server DUMP/RESTORE).
 * eventsUnordered: the command's keyspace events come in an order Redis does not define.
 * outsideMulti (with pre and after, for the whole group): never generated inside MULTI.
 */
type Op = Step & { opts?: CompareOptions; eventsUnordered?: boolean };

class Rand {
  constructor(readonly next: () => number) {}
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  key(): string {
    return `k${this.int(0, 7)}`;
  }
  value(): Arg {
    return this.pick<Arg>(['', 'a', 'hello', '0', '1', '-1', '42', '3.14', '-0.5', '1e3', 'inf', '9223372036854775807', '-9223372036854775808', 'x'.repeat(70), Buffer.from([0, 255, 13, 10]), 'abc def', '12abc']);
  }
  /**
   * A set member: value(), but the string beginning with a NUL byte has it second. SORT ... ALPHA
   * compares with strcoll, which stops at the first NUL: that string and '' would tie, and ties
   * come out in the input order, a set's hash order, which Redis leaves to its dict
   * (docs/compatibility.md, SORT with ties). (Lists and sorted sets keep it: their order is defined.)
   */
  member(): Arg {
    const v = this.value();
    return Buffer.isBuffer(v) && v[0] === 0 ? Buffer.from([255, 0, 13, 10]) : v;
  }
  index(): string {
    return this.pick(['0', '1', '2', '-1', '-2', '-100', '100', 'x', '3']);
  }
  /** An explicit stream ID (or a partial / auto-sequence one), small so that entries collide. */
  streamId(): string {
    return this.pick(['1-1', '1-2', '2-0', '2-1', '3', '3-*', '4-0', '5-5', '0-1', '0-0', '1', 'x', '18446744073709551615-18446744073709551615']);
  }
  /**
   * A relative TTL in seconds, hours to years: random, so that two expiries set by different
   * commands almost never tie (EXPIRE ... GT over an equal relative time answers by whether a
   * millisecond passed between the two commands, which the two servers do not share).
   */
  ttl(): string {
    return String(this.int(3600, 100_000_000));
  }
  /** ttl() in milliseconds. */
  pttl(): string {
    return this.ttl() + String(this.int(0, 999)).padStart(3, '0');
  }
  score(): string {
    return this.pick(['0', '1', '1.5', '-2', 'inf', '-inf', '+inf', '(1', '(2.5', 'nan', 'abc', '1e308', '3']);
  }
}

/**
 * A blocking command's timeout: never 0 (a pop whose push failed, e.g. NOPERM for the current ACL
 * user, would wait forever), short, or invalid.
 */
function blockTimeout(r: Rand): string {
  return r.pick(['0.01', '0.01', '0.02', 'x', '-1', '1e-3']);
}

/** `prefix` + `v`, binary-safe (weight and hash keys named after an element). */
function withPrefix(prefix: string, v: Arg): Arg {
  return Buffer.isBuffer(v) ? Buffer.concat([Buffer.from(prefix), v]) : prefix + String(v);
}

function sortCommand(r: Rand, name: 'SORT' | 'SORT_RO'): Op {
  const args: Arg[] = [name, r.key()];
  const by = r.next() < 0.5 ? r.pick(['w_*', 'h_*->f', 'nosort', 'w', 'h_*->nof', 'w_*->']) : null;
  if (by !== null) args.push('BY', by);
  const nosort = by === 'nosort' || by === 'w'; // (a BY pattern without '*' means no sorting)
  const alpha = r.next() < 0.4;
  const undefinedOrder = nosort || (alpha && by !== null);
  if (!undefinedOrder && r.next() < 0.3) args.push('LIMIT', r.pick(['0', '1', '-1', '2']), r.pick(['1', '2', '-1', '10', 'x']));
  for (let n = r.pick([0, 0, 1, 2]); n > 0; n--) args.push('GET', r.pick(['#', 'w_*', 'h_*->f', 'nokey_*', 'h_*->', 'w']));
  if (r.next() < 0.3) args.push('DESC');
  if (alpha) args.push('ALPHA');
  const store = name === 'SORT' && !(alpha && by !== null) && r.next() < 0.3;
  if (store) args.push('STORE', r.key());
  // (BY looks its weights up in the input's order, and BY nosort the GET keys: over a set, its
  // hash order, which is then the order of the keymiss events of missing keys.)
  return { args, opts: undefinedOrder && !store ? { unordered: true } : undefined, eventsUnordered: by !== null };
}

/** The lex family's keys: sorted sets whose members all have score 0 (or a string, zl3). */
function lexKey(r: Rand): string {
  return r.pick(['zl0', 'zl1', 'zl2', 'zl3']);
}

function lexMember(r: Rand): Arg {
  return r.pick<Arg>(['a', 'b', 'c', 'aa', 'ab', 'b0', '', 'B', 'e100', Buffer.from([255]), Buffer.from([0, 1])]);
}

/** A lex range bound: inclusive, exclusive, the infinities, or invalid (no '[' or '('). */
function lexBound(r: Rand): Arg {
  return r.pick<Arg>(['[a', '(a', '[b', '(b', '[aa', '(e100', '[e2', '-', '+', '[', '(', 'a', '', '-x', Buffer.from([91, 255])]);
}

/** The fcall family's libraries: valid ones (lib2 in two versions) and erroneous ones. */
const LIBRARIES = [
  `#!lua name=lib1
redis.register_function('get1', function(keys, args) return redis.call('GET', keys[1]) end)
redis.register_function{function_name='ro1', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
redis.register_function('set1', function(keys, args) return redis.call('SET', keys[1], args[1]) end)`,
  `#!lua name=lib2
redis.register_function{function_name='len2', callback=function(keys, args) return redis.pcall('STRLEN', keys[1]) end, flags={'no-writes', 'allow-stale'}}
redis.register_function('incr2', function(keys, args) return redis.call('INCR', keys[1]) end)
redis.register_function('err2', function(keys, args) return redis.error_reply('MYERR bad ' .. tostring(args[1])) end)
redis.register_function{function_name='pwrite2', callback=function(keys, args) return redis.pcall('SET', keys[1], 'x') end, flags={'no-writes'}}`,
  `#!lua name=lib2
redis.register_function('raise2', function(keys, args) return redis.call('LPUSH', keys[1], args[1]) end)
redis.register_function{function_name='tbl2', callback=function(keys, args) return {1, 'two', {3.5, false}, redis.status_reply('OK')} end, flags={'no-writes', 'no-cluster'}}`,
  `#!lua name=lib3
redis.register_function('get1', function(keys, args) return 1 end)`,
  `#!lua name=lib3
redis.register_function{function_name='f3', callback=function() return 1 end, flags={'bogus'}}`,
  `#!lua name=lib3
return 1`,
  `#!js name=lib3
1`,
  `redis.register_function('f3', function() return 1 end)`,
  `#!lua name=lib3 bogus=1
redis.register_function('f3', function() return 1 end)`,
  `#!lua name=lib3
redis.register_function('f-3', function() return 1 end)`,
  `#!lua name=lib3
redis.call('SET', 'k1', 'v')`,
];

/**
 * A command of the second client (b) while the main connection WATCHes `k`: writes that touch it,
 * writes that leave it as it is (a failed SETNX, DEL of a missing key, SREM of a missing member),
 * reads (which reclaim it when expired), whole-database commands and database switches.
 */
function watchWriter(r: Rand, k: string): Arg[] {
  const other = r.key();
  return r.pick<Arg[]>([
    ['SET', k, r.value()], ['SET', k, 'v', 'NX'], ['SET', k, 'v', 'XX'], ['DEL', k], ['DEL', 'nokey'], ['UNLINK', k], ['GET', k], ['EXISTS', k], ['TYPE', k],
    ['EXPIRE', k, '100000'], ['EXPIRE', k, '0'], ['PERSIST', k], ['RENAME', k, other], ['RENAME', other, k], ['COPY', other, k, 'REPLACE'], ['MOVE', k, '1'], ['MOVE', k, '0'],
    ['FLUSHDB'], ['FLUSHALL'], ['SWAPDB', '0', '1'], ['SWAPDB', '1', '0'], ['SELECT', '1'], ['SELECT', '0'], ['LPUSH', k, 'x'], ['LPOP', k], ['SREM', k, 'nomember'], ['HDEL', k, 'nofield'],
    ['INCR', k], ['APPEND', k, ''], ['SETRANGE', k, '0', ''], ['TOUCH', k], ['GETEX', k, 'PERSIST'], ['SET', k, r.value(), 'PX', '1'], ['SET', other, 'o'],
    ['EVAL', "return redis.call('SET', KEYS[1], 'e')", '1', k], ['SORT', other, 'STORE', k], ['ZADD', k, '1', 'm'], ['XADD', k, '5-5', 'f', 'v'], ['OBJECT', 'ENCODING', k],
    ['FLUSHDB', 'ASYNC'], ['FLUSHALL', 'SYNC'], ['DEBUG', 'RELOAD'], ['SWAPDB', '0', '0'],
    // (writes that change nothing, or something, by the value: Redis signals a modified key only
    // when the command changed it, each command by its own rule)
    ['ZADD', k, '1', 'm'], ['ZADD', k, 'NX', '2', 'm'], ['ZADD', k, 'XX', '1', 'nomember'], ['ZREM', k, 'nomember'], ['ZINCRBY', k, '0', 'm'], ['ZPOPMIN', k, '0'], ['ZREMRANGEBYSCORE', k, '5', '1'],
    ['SADD', k, 'a'], ['SMOVE', other, k, 'a'], ['SPOP', k, '0'], ['SINTERSTORE', k, other], ['SMOVE', k, k, 'a'],
    ['HSET', k, 'f', 'v'], ['HSETNX', k, 'f', 'v'], ['HINCRBY', k, 'n', '0'], ['HINCRBYFLOAT', k, 'n', '0'], ['HDEL', k, 'f'],
    ['LPUSHX', k, 'x'], ['LREM', k, '0', 'nomember'], ['LTRIM', k, '0', '-1'], ['LINSERT', k, 'BEFORE', 'nopivot', 'x'], ['LSET', k, '0', 'x'], ['LMOVE', k, k, 'LEFT', 'RIGHT'], ['RPOPLPUSH', other, k],
    ['SETBIT', k, '0', '0'], ['SETRANGE', k, '0', 'a'], ['BITFIELD', k, 'GET', 'u8', '0'], ['BITFIELD', k, 'INCRBY', 'u8', '0', '0'], ['PFADD', k], ['PFADD', k, 'a'], ['BITOP', 'OR', k, other],
    // (EXPIRE ... GT over a random TTL: over the same relative time as the one set just before,
    // GETEX EX 100 or EXPIRE 100 NX, it answers by whether a millisecond passed in between: Rand.ttl.)
    ['INCRBY', k, '0'], ['INCRBYFLOAT', k, '0'], ['GETEX', k], ['GETEX', k, 'EX', '100'], ['PERSIST', k], ['EXPIRE', k, '100', 'NX'], ['EXPIRE', k, r.ttl(), 'GT'], ['PEXPIREAT', k, '4102444800000', 'LT'],
    ['XTRIM', k, 'MAXLEN', '1000'], ['XDEL', k, '1-1'], ['XGROUP', 'CREATE', k, 'g1', '0', 'MKSTREAM'], ['XGROUP', 'SETID', k, 'g1', '0'], ['XGROUP', 'CREATECONSUMER', k, 'g1', 'c9'],
    ['XREADGROUP', 'GROUP', 'g1', 'c1', 'STREAMS', k, '>'], ['XACK', k, 'g1', '1-1'], ['XCLAIM', k, 'g1', 'c2', '0', '1-1'], ['XSETID', k, '99-0'], ['XGROUP', 'DESTROY', k, 'g1'],
    ['RENAME', k, k], ['COPY', k, k], ['EVAL', "local p = redis.call('DUMP', KEYS[2]) if not p then return 0 end return redis.pcall('RESTORE', KEYS[1], 0, p, 'REPLACE')", '2', k, other],
  ]);
}

/**
 * A blocking command over `keys` that waits when they are empty: with a timeout of 2 s (the
 * fuzzer's CLIENT UNBLOCK ends it first), or of 50 ms when `timesOut`.
 */
function blockingCommand(r: Rand, kind: 'list' | 'zset' | 'stream' | 'group', keys: string[], timesOut: boolean): Arg[] {
  const t = timesOut ? '0.05' : '2';
  const ms = timesOut ? '50' : '2000';
  const count = (): string[] => (r.next() < 0.4 ? ['COUNT', r.pick(['1', '2', '5'])] : []);
  if (kind === 'list') {
    return r.pick<() => Arg[]>([
      () => [r.pick(['BLPOP', 'BRPOP']), ...keys, t],
      () => ['BLMOVE', keys[0], r.key(), r.pick(['LEFT', 'RIGHT']), r.pick(['LEFT', 'RIGHT']), t],
      () => ['BRPOPLPUSH', keys[0], r.key(), t],
      () => ['BLMPOP', t, String(keys.length), ...keys, r.pick(['LEFT', 'RIGHT']), ...count()],
    ])();
  }
  if (kind === 'zset') {
    return r.pick<() => Arg[]>([
      () => [r.pick(['BZPOPMIN', 'BZPOPMAX']), ...keys, t],
      () => ['BZMPOP', t, String(keys.length), ...keys, r.pick(['MIN', 'MAX']), ...count()],
    ])();
  }
  if (kind === 'stream') return ['XREAD', ...count(), 'BLOCK', ms, 'STREAMS', ...keys, ...keys.map(() => r.pick(['$', '$', '9000-0', '0']))];
  return ['XREADGROUP', 'GROUP', 'g1', r.pick(['c1', 'c2']), ...count(), ...(r.next() < 0.2 ? ['NOACK'] : []), 'BLOCK', ms, 'STREAMS', ...keys, ...keys.map(() => '>')];
}

/**
 * Main-connection commands over `key` while a client is blocked on keys of `kind`: writes that
 * serve it (pushes, adds, moves and stores into it, a transaction or a script that pushes), that
 * do not (a wrong type, a delete, another key), and database-wide ones (SWAPDB, MOVE, FLUSHDB).
 */
function feeder(r: Rand, kind: 'list' | 'zset' | 'stream' | 'group', key: string): Op[] {
  const other = r.key();
  const generic = (): Arg[] => r.pick<Arg[]>([['DEL', key], ['SET', key, 'x'], ['RENAME', other, key], ['COPY', other, key, 'REPLACE'], ['SWAPDB', '0', '1'], ['MOVE', key, '1'], ['MOVE', key, '0'], ['EXPIRE', key, '0'], ['FLUSHDB'], ['DEBUG', 'RELOAD'], ['EVAL', "local p = redis.call('DUMP', KEYS[2]) if not p then return 0 end return redis.pcall('RESTORE', KEYS[1], 0, p, 'REPLACE')", '2', key, other]]);
  if (r.next() < 0.15) return [{ args: generic() }];
  if (kind === 'list') {
    return r.pick<() => Op[]>([
      () => [{ args: [r.pick(['RPUSH', 'LPUSH']), key, r.value(), ...(r.next() < 0.5 ? [r.value(), r.value()] : [])] }],
      () => [{ args: [r.pick(['LPUSHX', 'RPUSHX']), key, r.value()] }],
      () => [{ args: ['LMOVE', other, key, r.pick(['LEFT', 'RIGHT']), r.pick(['LEFT', 'RIGHT'])] }],
      () => [{ args: ['RPOPLPUSH', other, key] }],
      () => [{ args: ['SORT', other, 'STORE', key] }],
      () => [{ args: ['MULTI'] }, { args: ['RPUSH', key, 'a', 'b'] }, { args: [r.pick(['LPOP', 'DEL']), key] }, { args: ['EXEC'] }],
      () => [{ args: ['EVAL', "redis.call('RPUSH', KEYS[1], 'a', 'b') return redis.call('LPOP', KEYS[1])", '1', key] }],
    ])();
  }
  if (kind === 'zset') {
    return r.pick<() => Op[]>([
      () => [{ args: ['ZADD', key, r.score(), r.pick(['m1', 'm2', 'm3']), ...(r.next() < 0.4 ? ['2', 'm4'] : [])] }],
      () => [{ args: ['ZINCRBY', key, '1', 'm1'] }],
      () => [{ args: ['ZUNIONSTORE', key, '1', other] }],
      () => [{ args: ['ZRANGESTORE', key, other, '0', '-1'] }],
      () => [{ args: ['MULTI'] }, { args: ['ZADD', key, '1', 'a'] }, { args: ['ZREM', key, 'a'] }, { args: ['EXEC'] }],
    ])();
  }
  return r.pick<() => Op[]>([
    () => [{ args: ['XADD', key, ...(r.next() < 0.2 ? ['MAXLEN', '0'] : []), r.pick(['9999-*', '9999-*', '9000-0', '1-1']), 'f', r.value()] }],
    () => [{ args: ['XADD', key, 'NOMKSTREAM', '9999-*', 'f', 'v'] }],
    () => [{ args: ['XGROUP', r.pick(['DESTROY', 'CREATE']), key, 'g1', ...(r.next() < 0.5 ? ['$'] : ['0'])] }],
    () => [{ args: ['XGROUP', 'SETID', key, 'g1', '0'] }],
    () => [{ args: ['XTRIM', key, 'MAXLEN', '0'] }],
    () => [{ args: ['XDEL', key, '9999-0'] }],
    () => [{ args: ['XSETID', key, r.pick(['99999-0', '18446744073709551615-18446744073709551615'])] }],
    () => [{ args: ['XGROUP', 'CREATECONSUMER', key, 'g1', 'c9'] }],
  ])();
}

/**
 * Commands that make `key` a value of one of the big encodings (its old value deleted first): a
 * hashtable hash, a hashtable or big intset set, a skiplist sorted set, a quicklist of many nodes
 * (with elements over a node's size), a stream of several nodes with deleted entries, consumer
 * groups, consumers and pending entries, or a long string.
 */
function bigValue(r: Rand, key: string): Arg[][] {
  const n = r.pick([20, 150, 400]);
  const b = r.int(0, 50);
  const range = (f: (i: number) => Arg[]): Arg[] => Array.from({ length: n }, (_, i) => f(i)).flat();
  const build = r.pick<() => Arg[][]>([
    () => [['HSET', key, ...range((i) => [`f${b + i}`, i % 9 === 0 ? 'v'.repeat(70) : String(i)])]],
    () => [['SADD', key, ...range((i) => [String(b + i * 3)])]],
    () => [['SADD', key, ...range((i) => [i % 7 === 0 ? `s${i}` : String(b + i)])]],
    () => [['ZADD', key, ...range((i) => [String(((b + i * 7) % 211) - 50) + (i % 3 === 0 ? '.5' : ''), `m${b + i}`])]],
    () => [['RPUSH', key, ...range((i) => [i % 50 === 0 ? 'e'.repeat(r.pick([10, 300, 9000])) : i % 5 === 0 ? String(i * 1000) : `e${i % 37}`])]],
    () => [
      ['EVAL', "for i = 1, tonumber(ARGV[1]) do redis.call('XADD', KEYS[1], i .. '-1', 'f', i, 'g', string.rep('x', i % 5)) end return 1", '1', key, String(n)],
      ['XDEL', key, '3-1', '5-1', `${n}-1`],
      ['XGROUP', 'CREATE', key, 'g1', '0'],
      ['XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '7', 'STREAMS', key, '>'],
      ['XREADGROUP', 'GROUP', 'g1', 'c2', 'COUNT', '3', 'STREAMS', key, '>'],
      ['XACK', key, 'g1', '2-1', '4-1'],
      ['XGROUP', 'CREATE', key, 'g2', '$', 'ENTRIESREAD', String(n - 3)],
      ['XGROUP', 'CREATECONSUMER', key, 'g2', 'c9'],
    ],
    () => [['SET', key, 'x'.repeat(n * 10)]],
    () => [['SET', key, String(b * 1_000_000_007)]],
  ]);
  return [['DEL', key], ...build()];
}

/**
 * The dump family's DUMP of KEYS[1] (KEYS[2] a scratch key). A listpack hash is dumped as a copy
 * with its fields sorted: one loaded from a hashtable's record (DEBUG RELOAD, RESTORE of a hash
 * that had been converted and then shrank, or whose limits were raised since) keeps the record's
 * order, the dict's hash order, which Redis leaves to its hash function and Redust does not share.
 */
const DUMP_SCRIPT = `local e = redis.call('OBJECT', 'ENCODING', KEYS[1])
if e == 'hashtable' or e == 'stream' or e == 'quicklist' then return e end
if e == 'listpack' and redis.call('TYPE', KEYS[1])['ok'] == 'hash' then
  local kv = redis.call('HGETALL', KEYS[1])
  local fv = {}
  for i = 1, #kv, 2 do fv[#fv + 1] = {kv[i], kv[i + 1]} end
  table.sort(fv, function(a, b) return a[1] < b[1] end)
  local args = {}
  for _, f in ipairs(fv) do args[#args + 1] = f[1] args[#args + 1] = f[2] end
  redis.call('HSET', KEYS[2], unpack(args))
  e = redis.call('OBJECT', 'ENCODING', KEYS[2])
  local p = e == 'listpack' and redis.call('DUMP', KEYS[2]) or e
  redis.call('DEL', KEYS[2])
  return p
end
return redis.pcall('DUMP', KEYS[1])`;

/**
 * command name -> generators; a family participates when its command exists in Redust. (A name
 * with a suffix, 'watch:2clients', is a family of groups over several clients, not run by scripts.)
 */
const GENERATORS: Record<string, Gen[]> = {
  set: [
    (r) => ({ args: ['SET', r.key(), r.value()] }),
    // (a TTL of 100 s, not 100 ms: a key expiring between the two servers' commands would differ)
    (r) => ({ args: ['SET', r.key(), r.value(), r.pick(['NX', 'XX', 'GET', 'KEEPTTL', 'EX', 'PX'])].concat(r.next() < 0.5 ? ['100000'] : []) }),
    (r) => ({ args: ['GET', r.key()] }),
    (r) => ({ args: ['MGET', r.key(), r.key(), r.key()] }),
    (r) => ({ args: ['MSET', r.key(), r.value(), r.key(), r.value()] }),
    (r) => ({ args: ['MSETNX', r.key(), r.value(), r.key(), r.value()] }),
    (r) => ({ args: ['SETNX', r.key(), r.value()] }),
    (r) => ({ args: ['GETSET', r.key(), r.value()] }),
    (r) => ({ args: ['GETDEL', r.key()] }),
    (r) => ({ args: ['APPEND', r.key(), r.value()] }),
    (r) => ({ args: ['STRLEN', r.key()] }),
    (r) => ({ args: ['GETRANGE', r.key(), r.index(), r.index()] }),
    (r) => ({ args: ['SETRANGE', r.key(), r.pick(['0', '1', '5', '-1', 'x']), r.value()] }),
    (r) => ({ args: ['INCR', r.key()] }),
    (r) => ({ args: ['DECR', r.key()] }),
    (r) => ({ args: ['INCRBY', r.key(), r.pick(['1', '-5', '100', 'x', '9223372036854775807'])] }),
    (r) => ({ args: ['DECRBY', r.key(), r.pick(['1', '-5', '100', 'x'])] }),
    (r) => ({ args: ['INCRBYFLOAT', r.key(), r.pick(['0.1', '-1.5', '1e2', 'x', '3'])] }),
    (r) => ({ args: ['LCS', r.key(), r.key(), ...(r.next() < 0.3 ? ['LEN'] : r.next() < 0.5 ? ['IDX', 'WITHMATCHLEN'] : [])] }),
  ],
  del: [
    (r) => ({ args: ['DEL', r.key(), r.key()] }),
    (r) => ({ args: ['EXISTS', r.key(), r.key()] }),
    (r) => ({ args: ['TYPE', r.key()] }),
    (r) => ({ args: ['RENAME', r.key(), r.key()] }),
    (r) => ({ args: ['RENAMENX', r.key(), r.key()] }),
    (r) => ({ args: ['COPY', r.key(), r.key(), ...(r.next() < 0.5 ? ['REPLACE'] : [])] }),
    (r) => ({ args: ['EXPIRE', r.key(), r.pick([String(r.int(100, 1_000_000)), String(r.int(100, 1_000_000)), '-1', 'x']), ...(r.next() < 0.4 ? [r.pick(['NX', 'XX', 'GT', 'LT'])] : [])] }),
    (r) => ({ args: ['TTL', r.key()], opts: { remainingTime: true } }),
    (r) => ({ args: ['PERSIST', r.key()] }),
    (r) => ({ args: ['KEYS', r.pick(['*', 'k?', 'k[0-3]', 'k[^1]', 'x*'])], opts: { unordered: true } }),
    (r) => ({ args: ['OBJECT', 'ENCODING', r.key()] }),
    (r) => ({ args: ['DBSIZE'] }),
  ],
  lpush: [
    (r) => ({ args: [r.pick(['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']), r.key(), r.value(), r.value()] }),
    (r) => ({ args: [r.pick(['LPOP', 'RPOP']), r.key(), ...(r.next() < 0.5 ? [r.pick(['0', '1', '3', '-1'])] : [])] }),
    (r) => ({ args: ['LRANGE', r.key(), r.index(), r.index()] }),
    (r) => ({ args: ['LINDEX', r.key(), r.index()] }),
    (r) => ({ args: ['LSET', r.key(), r.index(), r.value()] }),
    (r) => ({ args: ['LLEN', r.key()] }),
    (r) => ({ args: ['LREM', r.key(), r.index(), r.value()] }),
    (r) => ({ args: ['LTRIM', r.key(), r.index(), r.index()] }),
    (r) => ({ args: ['LINSERT', r.key(), r.pick(['BEFORE', 'AFTER', 'X']), r.value(), r.value()] }),
    (r) => ({ args: ['LPOS', r.key(), r.value(), ...(r.next() < 0.5 ? ['RANK', r.pick(['1', '-1', '2', '0'])] : [])] }),
    (r) => ({ args: ['LMOVE', r.key(), r.key(), r.pick(['LEFT', 'RIGHT']), r.pick(['LEFT', 'RIGHT'])] }),
  ],
  hset: [
    (r) => ({ args: ['HSET', r.key(), r.pick(['f1', 'f2', 'f3']), r.value()] }),
    (r) => ({ args: ['HGET', r.key(), r.pick(['f1', 'f2', 'f3'])] }),
    (r) => ({ args: ['HDEL', r.key(), r.pick(['f1', 'f2', 'f3'])] }),
    (r) => ({ args: ['HGETALL', r.key()], opts: { unordered: true } }),
    (r) => ({ args: ['HINCRBY', r.key(), r.pick(['f1', 'n']), r.pick(['1', '-3', 'x'])] }),
    (r) => ({ args: ['HINCRBYFLOAT', r.key(), r.pick(['f1', 'n']), r.pick(['0.1', '-3', 'x'])] }),
    (r) => ({ args: ['HLEN', r.key()] }),
    (r) => ({ args: ['HEXISTS', r.key(), r.pick(['f1', 'f2'])] }),
    (r) => ({ args: ['HMGET', r.key(), 'f1', 'f2', 'f3'] }),
    (r) => ({ args: ['HSTRLEN', r.key(), 'f1'] }),
  ],
  sadd: [
    (r) => ({ args: ['SADD', r.key(), r.member(), r.member()] }),
    (r) => ({ args: ['SREM', r.key(), r.member()] }),
    (r) => ({ args: ['SMEMBERS', r.key()], opts: { unordered: true } }),
    (r) => ({ args: ['SISMEMBER', r.key(), r.member()] }),
    (r) => ({ args: ['SCARD', r.key()] }),
    (r) => ({ args: [r.pick(['SINTER', 'SUNION', 'SDIFF']), r.key(), r.key()], opts: { unordered: true } }),
    (r) => ({ args: [r.pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), r.key(), r.key(), r.key()] }),
    (r) => ({ args: ['SMOVE', r.key(), r.key(), r.member()] }),
  ],
  zadd: [
    (r) => ({ args: ['ZADD', r.key(), ...(r.next() < 0.3 ? [r.pick(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'])] : []), r.score(), r.pick(['m1', 'm2', 'm3', 'm4'])] }),
    (r) => ({ args: ['ZSCORE', r.key(), r.pick(['m1', 'm2', 'm3'])] }),
    (r) => ({ args: ['ZINCRBY', r.key(), r.pick(['1', '-2.5', 'x', 'inf']), r.pick(['m1', 'm2'])] }),
    (r) => ({ args: ['ZRANGE', r.key(), r.index(), r.index(), ...(r.next() < 0.5 ? ['WITHSCORES'] : [])] }),
    (r) => ({ args: ['ZRANGEBYSCORE', r.key(), r.score(), r.score()] }),
    (r) => ({ args: ['ZRANK', r.key(), r.pick(['m1', 'm2', 'm3'])] }),
    (r) => ({ args: ['ZREM', r.key(), r.pick(['m1', 'm2', 'm3'])] }),
    (r) => ({ args: ['ZCARD', r.key()] }),
    (r) => ({ args: ['ZCOUNT', r.key(), r.score(), r.score()] }),
    (r) => ({ args: [r.pick(['ZPOPMIN', 'ZPOPMAX']), r.key()] }),
    (r) => ({ args: [r.pick(['ZUNIONSTORE', 'ZINTERSTORE']), r.key(), '2', r.key(), r.key()] }),
  ],
  setbit: [
    (r) => ({ args: ['SETBIT', r.key(), r.pick(['0', '7', '8', '100', '-1', 'x']), r.pick(['0', '1', '2'])] }),
    (r) => ({ args: ['GETBIT', r.key(), r.pick(['0', '1', '7', '100'])] }),
    (r) => ({ args: ['BITCOUNT', r.key(), ...(r.next() < 0.6 ? [r.index(), r.index(), ...(r.next() < 0.5 ? [r.pick(['BIT', 'BYTE'])] : [])] : [])] }),
    (r) => ({ args: ['BITPOS', r.key(), r.pick(['0', '1']), ...(r.next() < 0.6 ? [r.index(), r.index(), r.pick(['BIT', 'BYTE'])] : [])] }),
    (r) => ({ args: ['BITOP', r.pick(['AND', 'OR', 'XOR', 'NOT']), r.key(), r.key(), ...(r.next() < 0.5 ? [r.key()] : [])] }),
    (r) => ({ args: ['BITFIELD', r.key(), r.pick(['GET', 'SET', 'INCRBY']), r.pick(['u8', 'i8', 'i64', 'u63', 'u1', 'x']), r.pick(['0', '#1', '5', '100']), r.pick(['1', '-1', '300', '9223372036854775807'])] }),
  ],
  pfadd: [
    (r) => ({ args: ['PFADD', r.key(), r.value(), r.value(), r.pick(['a', 'b', 'c', 'd'])] }),
    (r) => ({ args: ['PFCOUNT', r.key(), ...(r.next() < 0.4 ? [r.key()] : [])] }),
    (r) => ({ args: ['PFMERGE', r.key(), r.key(), ...(r.next() < 0.5 ? [r.key()] : [])] }),
    (r) => ({ args: ['PFDEBUG', r.pick(['ENCODING', 'DECODE', 'TODENSE']), r.key()] }),
  ],
  geoadd: [
    (r) => ({ args: ['GEOADD', r.key(), ...(r.next() < 0.3 ? [r.pick(['NX', 'XX', 'CH'])] : []), r.pick(['13.36', '15.08', '-180', '200', 'x']), r.pick(['38.11', '37.5', '85.06', '0']), r.pick(['m1', 'm2', 'm3'])] }),
    (r) => ({ args: ['GEOPOS', r.key(), r.pick(['m1', 'm2', 'm3']), 'm4'] }),
    (r) => ({ args: ['GEOHASH', r.key(), r.pick(['m1', 'm2', 'm3'])] }),
    (r) => ({ args: ['GEODIST', r.key(), r.pick(['m1', 'm2']), r.pick(['m2', 'm3']), ...(r.next() < 0.5 ? [r.pick(['km', 'mi', 'x'])] : [])] }),
    (r) => ({ args: ['GEOSEARCH', r.key(), ...(r.next() < 0.5 ? ['FROMMEMBER', r.pick(['m1', 'm2'])] : ['FROMLONLAT', '14', '38']), ...(r.next() < 0.5 ? ['BYRADIUS', r.pick(['100', '300', '-1']), 'km'] : ['BYBOX', '400', '300', 'km']), r.pick(['ASC', 'DESC', 'WITHDIST', 'WITHCOORD'])] }),
    (r) => ({ args: ['GEOSEARCHSTORE', r.key(), r.key(), 'FROMLONLAT', '14', '38', 'BYRADIUS', '300', 'km', ...(r.next() < 0.5 ? ['STOREDIST'] : [])] }),
  ],
  // ACL: users made of random rules, the connection switching between them and the default user,
  // so that every family's commands meet NOPERM (commands, keys, channels, first arguments).
  acl: [
    (r) => ({
      args: ['ACL', 'SETUSER', r.pick(['u1', 'u2']), ...Array.from({ length: r.int(1, 5) }, () => r.pick(['on', 'off', '>pw', '<pw', 'nopass', 'resetpass', '~k[0-3]', '%R~k*', '%W~k[4-7]', 'allkeys', 'resetkeys', '+@all', '-@all', '+@read', '-@write', '+@string', '-@dangerous', '+get', '-set', '+client|id', '-debug', '+acl', 'allchannels', '&ch*', 'resetchannels', 'reset', '(+get ~k1)', 'bogus', '+@nosuchcat', '~', '>', '<nopw'])) ],
    }),
    (r) => ({ args: ['AUTH', r.pick(['u1', 'u2', 'default', 'nobody']), r.pick(['pw', 'x'])] }),
    () => ({ args: ['AUTH', 'default', 'x'] }),
    () => ({ args: ['ACL', 'WHOAMI'] }),
    (r) => ({ args: ['ACL', 'DRYRUN', r.pick(['u1', 'u2', 'default', 'nobody']), ...r.pick<string[]>([['GET', 'k1'], ['SET', 'k5', 'v'], ['HSET', 'k2', 'f', 'v'], ['DEBUG', 'SLEEP', '0'], ['CLIENT', 'ID'], ['PUBLISH', 'ch1', 'm'], ['NOSUCH'], ['GET']])] }),
    (r) => ({ args: ['ACL', 'GETUSER', r.pick(['u1', 'u2', 'default', 'nobody'])], opts: { wordsUnordered: true } }),
    (r) => ({ args: ['ACL', 'DELUSER', r.pick(['u1', 'u2', 'nobody'])] }),
    () => ({ args: ['ACL', 'LIST'], opts: { wordsUnordered: true } }),
    () => ({ args: ['ACL', 'USERS'] }),
  ],
  // Transactions: the other families' commands get queued between MULTI and EXEC (or DISCARD),
  // WATCHed keys get changed, and the state errors (nested MULTI, EXEC without MULTI...) happen.
  multi: [
    () => ({ args: ['MULTI'] }),
    () => ({ args: ['EXEC'] }),
    (r) => ({ args: [r.pick(['EXEC', 'DISCARD'])] }),
    (r) => ({ args: ['WATCH', r.key(), ...(r.next() < 0.3 ? [r.key()] : [])] }),
    () => ({ args: ['UNWATCH'] }),
  ],
  // Expiry: absolute times far ahead (EXAT/PXAT/EXPIREAT: exact), relative ones of hours to years (their
  // remaining time compared as 'some time left', see remainingTime), and the options' errors.
  getex: [
    (r) => ({ args: ['SET', r.key(), r.value(), ...r.pick<string[]>([['EX', r.ttl()], ['PX', r.pttl()], ['EXAT', '4102444800'], ['PXAT', '4102444800123'], ['KEEPTTL'], ['EX', '0'], ['PX', '-5'], ['EXAT', 'x'], ['EX', '9223372036854775807'], ['KEEPTTL', 'EX', '5']]), ...(r.next() < 0.3 ? [r.pick(['NX', 'XX', 'GET'])] : [])] }),
    (r) => ({ args: ['GETEX', r.key(), ...r.pick<string[]>([[], ['PERSIST'], ['EX', r.ttl()], ['PXAT', '4102444800999'], ['EXAT', '4102444801'], ['EX', '-1'], ['PX', 'x'], ['PERSIST', 'EX', '5']])] }),
    (r) => ({ args: [r.pick(['EXPIRE', 'PEXPIRE']), r.key(), r.pick([r.ttl(), r.pttl(), '-1', '0', 'x', '9223372036854775807']), ...(r.next() < 0.4 ? [r.pick(['NX', 'XX', 'GT', 'LT', 'NX XX'])] : [])].flatMap((a) => (a === 'NX XX' ? ['NX', 'XX'] : [a])) }),
    (r) => ({ args: [r.pick(['EXPIREAT', 'PEXPIREAT']), r.key(), r.pick(['4102444800', '4102444800000', '4102444900', '1', '-1', 'x']), ...(r.next() < 0.4 ? [r.pick(['NX', 'XX', 'GT', 'LT'])] : [])] }),
    (r) => ({ args: [r.pick(['TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME']), r.key()], opts: { remainingTime: true } }),
    (r) => ({ args: ['PERSIST', r.key()] }),
    (r) => ({ args: ['GETDEL', r.key()] }),
    (r) => ({ args: ['RENAME', r.key(), r.key()] }),
    (r) => ({ args: ['COPY', r.key(), r.key(), ...(r.next() < 0.5 ? ['REPLACE'] : [])] }),
    (r) => ({ args: ['SETEX', r.key(), r.pick([r.ttl(), '0', '-1', 'x']), r.value()] }),
    (r) => ({ args: ['PSETEX', r.key(), r.pick([r.pttl(), '0', 'x']), r.value()] }),
    (r) => ({ args: ['INCRBYFLOAT', r.key(), r.pick(['1.5', '-0.5', '1e3'])] }),
  ],
  // Collections past their small encodings (listpack/intset -> skiplist/hashtable/quicklist of
  // several nodes): many elements in one command, then ranges, ranks and removals over them. (No
  // lex ranges: over members of different scores Redis's answer depends on its skip list's levels.)
  zremrangebyrank: [
    (r) => { const n = r.pick([20, 130, 300]); const b = r.int(0, 50); return { args: ['ZADD', r.key(), ...Array.from({ length: n }, (_, i) => [String((b + i * 7) % 211 - 50), `m${(b + i) % 400}`]).flat()] }; },
    (r) => { const n = r.pick([20, 130, 300]); const b = r.int(0, 50); return { args: ['HSET', r.key(), ...Array.from({ length: n }, (_, i) => [`f${(b + i) % 400}`, i % 9 === 0 ? 'v'.repeat(70) : String(i)]).flat()] }; },
    (r) => { const n = r.pick([20, 600]); const b = r.int(0, 50); return { args: ['SADD', r.key(), ...Array.from({ length: n }, (_, i) => (r.next() < 0.02 ? `s${i}` : String(b + i)))] }; },
    (r) => { const n = r.pick([50, 700, 2000]); return { args: [r.pick(['RPUSH', 'LPUSH']), r.key(), ...Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 'e'.repeat(r.pick([10, 300, 9000])) : `e${i % 37}`))] }; },
    (r) => ({ args: [r.pick(['ZRANGE', 'ZREVRANGE']), r.key(), r.pick(['0', '10', '-20', '129', '-1']), r.pick(['-1', '20', '200', '-100']), ...(r.next() < 0.3 ? ['WITHSCORES'] : [])] }),
    (r) => ({ args: ['ZRANGE', r.key(), r.pick(['(0', '-10', '-inf', '100']), r.pick(['+inf', '50', '(120']), 'BYSCORE', ...(r.next() < 0.3 ? ['REV'] : []), ...(r.next() < 0.4 ? ['LIMIT', r.pick(['0', '5', '-1']), r.pick(['3', '-1', '10'])] : [])] }),
    (r) => ({ args: [r.pick(['ZRANK', 'ZREVRANK', 'ZSCORE']), r.key(), `m${r.int(0, 420)}`] }),
    (r) => ({ args: ['ZREMRANGEBYRANK', r.key(), r.pick(['0', '5', '-10']), r.pick(['2', '-1', '100'])] }),
    (r) => ({ args: ['ZREMRANGEBYSCORE', r.key(), r.pick(['-inf', '0', '(10']), r.pick(['5', '(60', '+inf'])] }),
    (r) => ({ args: [r.pick(['ZPOPMIN', 'ZPOPMAX']), r.key(), r.pick(['1', '5', '200'])] }),
    (r) => ({ args: ['ZCOUNT', r.key(), r.pick(['-inf', '0', '(10']), r.pick(['5', '(60', '+inf'])] }),
    (r) => ({ args: ['HGETALL', r.key()], opts: { unordered: true } }),
    (r) => ({ args: ['HDEL', r.key(), ...Array.from({ length: r.pick([1, 50, 200]) }, (_, i) => `f${i * 3}`)] }),
    (r) => ({ args: ['HMGET', r.key(), `f${r.int(0, 400)}`, `f${r.int(0, 400)}`] }),
    (r) => ({ args: ['SMISMEMBER', r.key(), String(r.int(0, 700)), `s${r.int(0, 600)}`] }),
    (r) => ({ args: ['SINTERCARD', '2', r.key(), r.key(), ...(r.next() < 0.4 ? ['LIMIT', r.pick(['0', '10'])] : [])] }),
    (r) => ({ args: ['SREM', r.key(), ...Array.from({ length: r.pick([1, 100, 550]) }, (_, i) => String(i))] }),
    (r) => ({ args: ['LRANGE', r.key(), r.pick(['0', '45', '-60', '690']), r.pick(['-1', '60', '1000', '-650'])] }),
    (r) => ({ args: ['LINDEX', r.key(), r.pick(['0', '49', '50', '-1', '700', '-1999'])] }),
    (r) => ({ args: ['LSET', r.key(), r.pick(['0', '50', '-1', '650']), r.pick(['z', 'z'.repeat(9000)])] }),
    (r) => ({ args: ['LINSERT', r.key(), r.pick(['BEFORE', 'AFTER']), r.pick(['e3', 'e36', 'e' + 'e'.repeat(9)]), r.pick(['new', 'n'.repeat(400)])] }),
    (r) => ({ args: ['LREM', r.key(), r.pick(['0', '2', '-3']), r.pick(['e5', 'e36'])] }),
    (r) => ({ args: ['LTRIM', r.key(), r.pick(['0', '10', '-500']), r.pick(['-1', '600', '-5'])] }),
    (r) => ({ args: ['LPOS', r.key(), r.pick(['e5', 'e36', 'z']), ...(r.next() < 0.5 ? ['RANK', r.pick(['1', '-1', '3'])] : []), ...(r.next() < 0.5 ? ['COUNT', r.pick(['0', '2'])] : []), ...(r.next() < 0.3 ? ['MAXLEN', r.pick(['10', '100'])] : [])] }),
    (r) => ({ args: [r.pick(['LPOP', 'RPOP']), r.key(), r.pick(['1', '60', '1000'])] }),
    (r) => ({ args: ['OBJECT', 'ENCODING', r.key()] }),
  ],
  // Blocking commands that never wait: each is preceded by a push to its first key (WRONGTYPE
  // there is an immediate error too), since a timeout costs Redis up to a cron period (100 ms).
  // Scripts (EVAL) and MULTI run them without blocking on empty keys as well.
  blpop: [
    (r) => { const k = r.key(); return { pre: [['RPUSH', k, r.value()]], args: [r.pick(['BLPOP', 'BRPOP']), k, ...(r.next() < 0.4 ? [r.key()] : []), blockTimeout(r)] }; },
    (r) => { const k = r.key(); return { pre: [['LPUSH', k, r.value()]], args: ['BLMOVE', k, r.key(), r.pick(['LEFT', 'RIGHT', 'UP']), r.pick(['LEFT', 'RIGHT']), blockTimeout(r)] }; },
    (r) => { const k = r.key(); return { pre: [['RPUSH', k, r.value()]], args: ['BRPOPLPUSH', k, r.key(), blockTimeout(r)] }; },
    (r) => {
      const k = r.key();
      const keys = r.next() < 0.5 ? [k] : [k, r.key()];
      return { pre: [['RPUSH', k, r.value(), r.value()]], args: ['BLMPOP', blockTimeout(r), r.pick([String(keys.length), String(keys.length), '0', '3']), ...keys, r.pick(['LEFT', 'RIGHT', 'MIN']), ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '2', '5', '0', '-1'])] : [])] };
    },
  ],
  bzpopmin: [
    (r) => { const k = r.key(); return { pre: [['ZADD', k, r.pick(['1', '2.5', '-3', 'inf']), r.pick(['m1', 'm2', 'm3'])]], args: [r.pick(['BZPOPMIN', 'BZPOPMAX']), k, ...(r.next() < 0.4 ? [r.key()] : []), blockTimeout(r)] }; },
    (r) => {
      const k = r.key();
      const keys = r.next() < 0.5 ? [k] : [k, r.key()];
      return { pre: [['ZADD', k, '1', 'm1', '2', r.pick(['m2', 'm3'])]], args: ['BZMPOP', blockTimeout(r), r.pick([String(keys.length), String(keys.length), '0', '3']), ...keys, r.pick(['MIN', 'MAX', 'LEFT']), ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '2', '5', '0', '-1'])] : [])] };
    },
  ],
  // XREAD BLOCK from '0': served at once when the stream has entries (after an XADD that may fail:
  // then a 1 ms block on an empty stream, rare).
  xread: [
    (r) => { const k = r.key(); return { pre: [['XADD', k, '9999-*', 'f', r.value()]], args: ['XREAD', ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '2'])] : []), 'BLOCK', r.pick(['1', '1', 'x', '-1']), 'STREAMS', k, ...(r.next() < 0.3 ? [r.key(), '0-0', '0'] : ['0'])] }; },
  ],
  // SORT over whatever the keys hold (numbers, words, binary), by weight keys w_<element> and hash
  // fields h_<element> f, with GET patterns. Where Redis's order is not defined it is not compared
  // in order: BY nosort over a set (hash order), ALPHA BY <pattern> (equal weights: qsort's order);
  // those take no LIMIT (which elements it keeps is not defined either) and no STORE.
  sort: [
    (r) => ({ args: ['SET', withPrefix('w_', r.value()), r.pick(['1', '2', '-1', '3.5', '10', 'x', 'inf', ''])] }),
    (r) => ({ args: ['HSET', withPrefix('h_', r.value()), 'f', r.pick(['1', '2', '-1', '3.5', 'b', 'a'])] }),
    (r) => sortCommand(r, 'SORT'),
    (r) => sortCommand(r, 'SORT_RO'),
  ],
  // Commands of the families above not generated there (their replies and keyspace events):
  // multi-key pops and stores, keys moved between databases (SELECT switches this connection's),
  // and the random-member commands with a count above any collection's size (then the whole
  // collection, in an undefined order).
  hsetnx: [
    (r) => ({ args: ['HSETNX', r.key(), r.pick(['f1', 'f2']), r.value()] }),
    (r) => ({ args: ['HMSET', r.key(), r.pick(['f1', 'f2', 'f3']), r.value(), ...(r.next() < 0.5 ? ['f3', r.value()] : [])] }),
    (r) => ({ args: [r.pick(['HKEYS', 'HVALS']), r.key()], opts: { unordered: true } }),
    (r) => ({ args: ['SPOP', r.key(), r.pick(['1000', '0', '-1', 'x'])], opts: { unordered: true } }),
    (r) => ({ args: ['SRANDMEMBER', r.key(), r.pick(['1000', '0', 'x'])], opts: { unordered: true } }),
    (r) => ({ args: ['HRANDFIELD', r.key(), r.pick(['1000', '0']), ...(r.next() < 0.5 ? ['WITHVALUES'] : [])], opts: { deepUnordered: true } }),
    (r) => ({ args: ['ZRANDMEMBER', r.key(), r.pick(['1000', '0']), ...(r.next() < 0.5 ? ['WITHSCORES'] : [])], opts: { deepUnordered: true } }),
    (r) => ({ args: ['LMPOP', r.pick(['1', '2', '0']), r.key(), r.key(), r.pick(['LEFT', 'RIGHT']), ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '3', '0'])] : [])] }),
    (r) => ({ args: ['ZMPOP', r.pick(['1', '2']), r.key(), r.key(), r.pick(['MIN', 'MAX']), ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '3', '0'])] : [])] }),
    (r) => ({ args: ['RPOPLPUSH', r.key(), r.key()] }),
    (r) => ({ args: ['ZRANGESTORE', r.key(), r.key(), r.pick(['0', '1', '-inf', '(1']), r.pick(['-1', '2', '+inf']), ...(r.next() < 0.5 ? ['BYSCORE'] : []), ...(r.next() < 0.3 ? ['REV'] : [])] }),
    (r) => ({ args: [r.pick(['ZDIFFSTORE', 'ZUNIONSTORE', 'ZINTERSTORE']), r.key(), '2', r.key(), r.key(), ...(r.next() < 0.3 ? ['AGGREGATE', r.pick(['MIN', 'MAX', 'SUM'])] : [])] }),
    (r) => ({ args: [r.pick(['ZDIFF', 'ZUNION', 'ZINTER']), '2', r.key(), r.key(), ...(r.next() < 0.4 ? ['WITHSCORES'] : [])] }),
    (r) => ({ args: ['ZINTERCARD', '2', r.key(), r.key()] }),
    (r) => ({ args: ['ZMSCORE', r.key(), 'm1', 'm2', 'm4'] }),
    (r) => ({ args: ['ZREVRANGEBYSCORE', r.key(), r.score(), r.score(), ...(r.next() < 0.3 ? ['WITHSCORES'] : [])] }),
    (r) => ({ args: [r.pick(['UNLINK', 'TOUCH']), r.key(), r.key()] }),
    (r) => ({ args: ['MOVE', r.key(), r.pick(['0', '1', '1', '16', 'x'])] }),
    (r) => ({ args: ['COPY', r.key(), r.key(), 'DB', r.pick(['0', '1']), ...(r.next() < 0.5 ? ['REPLACE'] : [])] }),
    (r) => ({ args: ['SWAPDB', r.pick(['0', '1']), r.pick(['0', '1', '16'])] }),
    (r) => ({ args: ['SELECT', r.pick(['0', '0', '1', 'x'])] }),
    (r) => ({ args: [r.next() < 0.1 ? 'FLUSHDB' : 'DBSIZE'] }),
    (r) => ({ args: [r.pick(['SUBSTR', 'GETRANGE']), r.key(), r.index(), r.index()] }),
    (r) => ({ args: ['BITFIELD_RO', r.key(), 'GET', r.pick(['u8', 'i16', 'x']), r.pick(['0', '#1', '3'])] }),
  ],
  // Keys that expire (a TTL of 1 ms, then 3 ms of waiting; active expiry is off on both servers)
  // met by a command: lazy expiry, its `expired` event, and the command on the missing key. (Not
  // inside MULTI: EXEC runs the TTL and the command at once.)
  pexpire: [
    (r) => {
      const k = r.key();
      // (No PEXPIRE k 1: Redis reads its clock twice, and deletes the key at once when a
      // millisecond passed in between.)
      const expiring = r.pick<Arg[]>([['SET', k, r.value(), 'PX', '1'], ['SET', k, r.value(), 'PX', '1', 'GET'], ['GETEX', k, 'PX', '1'], ['PSETEX', k, '1', r.value()]]);
      const meet = r.pick<Arg[]>([
        ['GET', k], ['EXISTS', k], ['TTL', k], ['TYPE', k], ['LPUSH', k, 'x'], ['SADD', k, 'x'], ['INCR', k], ['SET', k, 'v', 'NX'], ['EXPIRE', k, '100'], ['PERSIST', k], ['DEL', k], ['RENAME', k, r.key()], ['APPEND', k, 'x'],
        ['HSET', k, 'f', 'v'], ['OBJECT', 'ENCODING', k], ['XADD', k, '1-1', 'f', 'v'], ['ZADD', k, '1', 'm'], ['GETDEL', k], ['MOVE', k, '1'], ['COPY', k, r.key()], ['KEYS', '*'], ['DBSIZE'], ['LRANGE', k, '0', '-1'], ['SMEMBERS', k],
      ]);
      return { pre: [expiring], waitAfterPre: 3, outsideMulti: true, args: meet, opts: meet[0] === 'KEYS' || meet[0] === 'SMEMBERS' ? { unordered: true } : undefined };
    },
  ],
  // DUMP's payload (the RDB serialization of every type and encoding but hashtables, whose
  // elements come in hash order, streams, whose consumers carry times, and lists, whose node
  // boundaries Redust does not keep: docs/persistence.md), and RESTORE of each server's own payload through a script (its
  // `restore` and `new` events, TTL and REPLACE).
  dump: [
    (r) => ({ args: ['EVAL', DUMP_SCRIPT, '2', r.key(), 'dumpcopy'] }),
    (r) => ({
      args: ['EVAL', `local p = redis.call('DUMP', KEYS[1]) if not p then return 'none' end return redis.pcall('RESTORE', KEYS[2], ARGV[1], p, unpack(ARGV, 2))`, '2', r.key(), r.key(), r.pick(['0', '0', '4102444800000', '-1']), ...r.pick<string[]>([[], ['REPLACE'], ['REPLACE', 'ABSTTL'], ['IDLETIME', '10'], ['FREQ', '5'], ['REPLACE', 'IDLETIME', 'x']])],
    }),
    (r) => ({ args: ['RESTORE', r.key(), '0', r.pick(['garbage', '\x00\x01a\x09\x00'])] }),
  ],
  georadius: [
    (r) => ({ args: [r.pick(['GEORADIUS', 'GEORADIUS_RO']), r.key(), '14', '38', r.pick(['100', '300', '-1']), r.pick(['km', 'm', 'x']), ...r.pick<string[]>([[], ['WITHDIST'], ['WITHCOORD', 'ASC'], ['COUNT', '1'], ['DESC', 'WITHHASH']])] }),
    (r) => ({ args: [r.pick(['GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO']), r.key(), r.pick(['m1', 'm2', 'nom']), '300', 'km', ...r.pick<string[]>([[], ['WITHDIST', 'ASC'], ['COUNT', '2', 'ANY']])] }),
    (r) => ({ args: ['GEORADIUS', r.key(), '14', '38', '300', 'km', r.pick(['STORE', 'STOREDIST']), r.key(), ...(r.next() < 0.3 ? ['WITHDIST'] : [])] }),
  ],
  // Encoding thresholds changed mid-run: collections keep their encoding until their next write,
  // which converts (or not) by the new limits.
  config: [
    (r) => ({ args: ['CONFIG', 'SET', r.pick(['hash-max-listpack-entries', 'set-max-intset-entries', 'zset-max-listpack-entries', 'list-max-listpack-size']), r.pick(['0', '1', '2', '4', '128', '-2', 'x'])] }),
    (r) => ({ args: ['CONFIG', 'SET', r.pick(['hash-max-listpack-value', 'zset-max-listpack-value']), r.pick(['0', '2', '4', '64'])] }),
  ],
  // Introspection with a defined answer: OBJECT's subcommands (IDLETIME counts seconds of a clock
  // the servers do not share: its reply type only), and whole scans (a COUNT above any
  // collection's size: one call, cursor 0, elements in an undefined order; SCAN deletes the
  // expired keys it meets, in hash order). No RANDOMKEY: it deletes the expired keys it picks.
  object: [
    // (No REFCOUNT: Redis's unshared small integers -- a COPY, a value SET inside the running
    // EXEC -- are a difference listed in docs/compatibility.md.)
    (r) => ({ args: ['OBJECT', r.pick(['FREQ', 'NOSUCH']), r.key()] }),
    (r) => ({ args: ['OBJECT', 'IDLETIME', r.key()], opts: { typeOnly: true } }),
    () => ({ args: ['OBJECT', 'HELP'] }),
    (r) => ({ args: ['SCAN', r.pick(['0', '0', 'x']), 'COUNT', '100000', ...(r.next() < 0.4 ? ['MATCH', r.pick(['k*', 'w_*', 'k[0-3]', 'x*'])] : []), ...(r.next() < 0.4 ? ['TYPE', r.pick(['string', 'list', 'set', 'zset', 'hash', 'stream', 'nosuch'])] : [])], opts: { deepUnordered: true }, eventsUnordered: true }),
    (r) => ({ args: [r.pick(['SSCAN', 'HSCAN', 'ZSCAN']), r.key(), r.pick(['0', '0', 'x']), 'COUNT', '100000', ...(r.next() < 0.3 ? ['MATCH', r.pick(['*1*', 'm*', 'f?'])] : [])], opts: { deepUnordered: true } }),
  ],
  // Pub/sub: messages to the subscriber's channels (ch1, ch2 and the pattern ch*; sh1 sharded)
  // and to channels nobody listens to, and the PUBSUB introspection over those subscriptions.
  publish: [
    (r) => ({ args: ['PUBLISH', r.pick(['ch1', 'ch2', 'ch3', 'other', '__keyspace@0__:k1']), r.value()] }),
    (r) => ({ args: ['PUBSUB', 'NUMSUB', ...r.pick<string[]>([[], ['ch1'], ['ch1', 'ch2', 'ch3', 'sh1']])] }),
    () => ({ args: ['PUBSUB', 'NUMPAT'] }),
    (r) => ({ args: ['PUBSUB', 'CHANNELS', ...(r.next() < 0.5 ? [r.pick(['*', 'ch*', 'ch[12]', 'x*', 'sh*'])] : [])], opts: { unordered: true } }),
  ],
  spublish: [
    (r) => ({ args: ['SPUBLISH', r.pick(['sh1', 'sh2', 'ch1']), r.value()] }),
    (r) => ({ args: ['PUBSUB', 'SHARDNUMSUB', ...r.pick<string[]>([[], ['sh1'], ['sh1', 'sh2', 'ch1']])] }),
    (r) => ({ args: ['PUBSUB', 'SHARDCHANNELS', ...(r.next() < 0.5 ? [r.pick(['*', 'sh*', 'ch*'])] : [])], opts: { unordered: true } }),
  ],
  // Streams with explicit IDs only ('*' takes the server's clock, which the two servers do not
  // share); consumer groups without the idle times (XPENDING's summary form, XCLAIM/XAUTOCLAIM
  // with min-idle-time 0).
  xadd: [
    (r) => ({
      args: [
        'XADD', r.key(),
        ...(r.next() < 0.15 ? ['NOMKSTREAM'] : []),
        ...(r.next() < 0.25 ? [r.pick(['MAXLEN', 'MINID']), ...(r.next() < 0.5 ? [r.pick(['=', '~'])] : []), r.pick(['0', '2', '5', '3-0', '-1', 'x']), ...(r.next() < 0.2 ? ['LIMIT', r.pick(['0', '10', '-1'])] : [])] : []),
        r.streamId(), 'f', r.value(), ...(r.next() < 0.3 ? ['g', r.value()] : []),
      ],
    }),
    (r) => ({ args: ['XLEN', r.key()] }),
    (r) => ({ args: [r.pick(['XRANGE', 'XREVRANGE']), r.key(), r.pick(['-', '+', '0', '2-0', '(1-1', '3', 'x']), r.pick(['+', '-', '5', '2-1', '(4-0', '18446744073709551615-18446744073709551615']), ...(r.next() < 0.4 ? ['COUNT', r.pick(['0', '1', '2', '-1', 'x'])] : [])] }),
    (r) => ({ args: ['XDEL', r.key(), r.streamId(), ...(r.next() < 0.4 ? [r.streamId()] : [])] }),
    (r) => ({ args: ['XTRIM', r.key(), r.pick(['MAXLEN', 'MINID', 'X']), ...(r.next() < 0.5 ? [r.pick(['=', '~'])] : []), r.pick(['0', '1', '3', '2-0', '-1'])] }),
    (r) => ({ args: ['XREAD', 'COUNT', r.pick(['1', '2', '10']), 'STREAMS', r.key(), ...(r.next() < 0.3 ? [r.key()] : []), r.pick(['0', '1-0', '3-5', '$'])] }),
    (r) => ({ args: ['XGROUP', 'CREATE', r.key(), r.pick(['g1', 'g2']), r.pick(['0', '$', '2-0', 'x']), ...(r.next() < 0.4 ? ['MKSTREAM'] : []), ...(r.next() < 0.2 ? ['ENTRIESREAD', r.pick(['0', '2', '-1'])] : [])] }),
    (r) => ({ args: ['XGROUP', r.pick(['DESTROY', 'SETID', 'CREATECONSUMER', 'DELCONSUMER']), r.key(), r.pick(['g1', 'g2']), ...(r.next() < 0.9 ? [r.pick(['c1', 'c2', '0', '$', '1-0'])] : [])] }),
    (r) => ({ args: ['XREADGROUP', 'GROUP', r.pick(['g1', 'g2']), r.pick(['c1', 'c2']), ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '2', '5'])] : []), ...(r.next() < 0.2 ? ['NOACK'] : []), 'STREAMS', r.key(), r.pick(['>', '>', '0', '2-0'])] }),
    (r) => ({ args: ['XACK', r.key(), r.pick(['g1', 'g2']), r.streamId(), ...(r.next() < 0.4 ? [r.streamId()] : [])] }),
    (r) => ({ args: ['XPENDING', r.key(), r.pick(['g1', 'g2'])] }),
    (r) => ({ args: ['XCLAIM', r.key(), r.pick(['g1', 'g2']), r.pick(['c1', 'c2', 'c3']), '0', r.streamId(), ...(r.next() < 0.4 ? [r.streamId()] : []), ...(r.next() < 0.4 ? ['JUSTID'] : [])] }),
    (r) => ({ args: ['XAUTOCLAIM', r.key(), r.pick(['g1', 'g2']), r.pick(['c1', 'c2']), '0', r.pick(['0-0', '0', '2-0', 'x']), ...(r.next() < 0.5 ? ['COUNT', r.pick(['1', '3', '0'])] : []), ...(r.next() < 0.3 ? ['JUSTID'] : [])] }),
    (r) => ({ args: ['XSETID', r.key(), r.streamId()] }),
  ],
  // Stream introspection over the xadd family's streams: the clock readings (consumers' idle and
  // seen times, pending entries' delivery times) masked.
  xinfo: [
    (r) => ({ args: ['XINFO', 'STREAM', r.key(), ...r.pick<string[]>([[], [], ['FULL'], ['FULL', 'COUNT', r.pick(['0', '1', '2', '-1', 'x'])], ['FULL', 'COUNT'], ['BOGUS']])], opts: { maskTimes: true } }),
    (r) => ({ args: ['XINFO', 'GROUPS', r.key(), ...(r.next() < 0.1 ? ['x'] : [])], opts: { maskTimes: true } }),
    (r) => ({ args: ['XINFO', 'CONSUMERS', r.key(), r.pick(['g1', 'g2', 'g3']), ...(r.next() < 0.1 ? ['x'] : [])], opts: { maskTimes: true } }),
    (r) => ({ args: ['XINFO', r.pick(['NOSUCH', 'STREAM', 'HELP'])] }),
  ],
  // Lex ranges, over keys of their own (zl0-zl3) whose members all have score 0: over members of
  // different scores Redis's answer depends on its skip list's levels.
  zrangebylex: [
    (r) => ({ args: ['ZADD', lexKey(r), ...Array.from({ length: r.int(1, 3) }, () => ['0', lexMember(r)]).flat()] }),
    (r) => { const n = r.pick([20, 150]); const b = r.int(0, 50); return { args: ['ZADD', lexKey(r), ...Array.from({ length: n }, (_, i) => ['0', `e${String((b + i * 7) % 300).padStart(3, '0')}`]).flat()] }; },
    (r) => ({ args: [r.pick(['ZRANGEBYLEX', 'ZREVRANGEBYLEX']), lexKey(r), lexBound(r), lexBound(r), ...(r.next() < 0.4 ? ['LIMIT', r.pick(['0', '1', '-1', '3']), r.pick(['1', '2', '-1', '0', '100', 'x'])] : [])] }),
    (r) => ({ args: ['ZLEXCOUNT', lexKey(r), lexBound(r), lexBound(r)] }),
    (r) => ({ args: ['ZREMRANGEBYLEX', lexKey(r), lexBound(r), lexBound(r)] }),
    (r) => ({ args: ['ZRANGE', lexKey(r), lexBound(r), lexBound(r), 'BYLEX', ...(r.next() < 0.4 ? ['REV'] : []), ...(r.next() < 0.4 ? ['LIMIT', r.pick(['0', '1', '-1']), r.pick(['1', '3', '-1'])] : []), ...(r.next() < 0.1 ? ['WITHSCORES'] : [])] }),
    (r) => ({ args: ['ZRANGESTORE', lexKey(r), lexKey(r), lexBound(r), lexBound(r), 'BYLEX', ...(r.next() < 0.3 ? ['REV'] : []), ...(r.next() < 0.3 ? ['LIMIT', r.pick(['0', '1', '-1']), r.pick(['1', '3', '-1'])] : [])] }),
    (r) => ({ args: [r.pick(['ZREM', 'ZSCORE', 'ZRANK']), lexKey(r), lexMember(r)] }),
    (r) => ({ args: r.pick([['ZCARD'], ['OBJECT', 'ENCODING']]).concat(lexKey(r)) }),
    (r) => ({ args: r.next() < 0.5 ? ['DEL', lexKey(r)] : ['SET', 'zl3', 'v'] }),
  ],
  // Functions: fixed libraries (lib1 and lib2, lib2's second version replacing the first), their
  // read and write functions through FCALL and FCALL_RO, the flags and the libraries' errors.
  fcall: [
    (r) => ({ args: ['FUNCTION', 'LOAD', ...(r.next() < 0.4 ? ['REPLACE'] : []), r.pick(LIBRARIES)] }),
    (r) => ({ args: [r.pick(['FCALL', 'FCALL', 'FCALL_RO']), r.pick(['get1', 'ro1', 'set1', 'len2', 'incr2', 'err2', 'raise2', 'pwrite2', 'tbl2', 'nosuch']), r.pick(['1', '1', '0', '2', '-1', 'x']), r.key(), r.value()] }),
    (r) => ({ args: ['FUNCTION', 'DELETE', r.pick(['lib1', 'lib2', 'lib3', 'nosuch'])] }),
    (r) => ({ args: ['FUNCTION', 'LIST', ...(r.next() < 0.4 ? ['LIBRARYNAME', r.pick(['lib', 'lib1', 'x', '*'])] : []), ...(r.next() < 0.3 ? ['WITHCODE'] : []), ...(r.next() < 0.05 ? ['BOGUS'] : [])], opts: { deepUnordered: true } }),
    () => ({ args: ['FUNCTION', 'STATS'], opts: { deepUnordered: true } }),
    (r) => ({ args: ['FUNCTION', 'FLUSH', ...(r.next() < 0.5 ? [r.pick(['SYNC', 'ASYNC', 'x'])] : [])] }),
  ],
  // WATCH with a second client: the main connection WATCHes keys (one of them sometimes already
  // expired, or expiring before EXEC), client b changes them or not -- writes, no-op writes,
  // reads that reclaim an expired key, RENAME, MOVE, FLUSHDB, SWAPDB, from its own database --
  // and the main connection's EXEC answers its results or nil.
  'watch:2clients': [
    (r) => {
      const k = r.key();
      const watched = r.next() < 0.4 ? [k, r.key()] : [k];
      // (An expired key met by nothing until WATCH; or, rarely, one that expires after WATCH:
      // 50 ms to WATCH it on both servers even on a loaded machine, then a wait of 55 ms.)
      const p = r.next();
      const expiry = p < 0.04 ? 'expiring' : p < 0.4 ? 'expired' : 'none';
      const pre: Arg[][] = expiry === 'expired' ? [['SET', k, r.value(), 'PX', '1']] : expiry === 'expiring' ? [['SET', k, r.value(), 'PX', '50']] : [];
      const after: Op[] = [];
      // (b's writes sometimes in a transaction of its own, ended in the group.)
      const bMulti = r.next() < 0.1;
      if (bMulti) after.push({ on: 'b', args: ['MULTI'] });
      /** Whether b's transaction holds a SET ... PX 1. */
      let expiringInMulti = false;
      for (let n = r.pick([0, 1, 1, 2, 3]); n > 0; n--) {
        let args = watchWriter(r, k);
        // (No DEBUG RELOAD after it in the transaction: commands in EXEC see the clock stopped at
        // its start, but the RDB load drops the keys expired by the real clock, and whether 1 ms
        // passed during the save -- Redis's fsync -- is up to the machine.)
        while (expiringInMulti && args[0] === 'DEBUG') args = watchWriter(r, k);
        const expiring = args[args.length - 1] === '1' && args[args.length - 2] === 'PX';
        expiringInMulti ||= bMulti && expiring;
        // (A key set to expire in 1 ms is left to expire on both servers before the next command.)
        after.push({ on: 'b', args, waitMs: expiring ? 3 : undefined });
      }
      if (bMulti) after.push({ on: 'b', args: [r.pick(['EXEC', 'EXEC', 'DISCARD'])], waitMs: 3 });
      if (r.next() < 0.1) after.push({ args: ['UNWATCH'] });
      after.push({ args: ['MULTI'] });
      for (let n = r.int(1, 2); n > 0; n--) after.push(r.pick<Op>([{ args: ['GET', k] }, { args: ['INCR', r.key()] }, { args: ['SET', r.key(), 'm'] }, { args: ['LPUSH', r.key(), 'm'] }, { args: ['TTL', k], opts: { remainingTime: true } }]));
      after.push({ args: [r.next() < 0.9 ? 'EXEC' : 'DISCARD'] });
      // (The expiring key's TTL runs out right after WATCH, before b's commands: one of them near
      // the expiry time, a slow DEBUG RELOAD, would race it on the two servers.)
      return { pre, waitAfterPre: expiry === 'expired' ? 3 : undefined, args: ['WATCH', ...watched], waitMs: expiry === 'expiring' ? 55 : undefined, after, outsideMulti: true };
    },
  ],
  // Blocking commands that really wait: client b (and sometimes b2, queued behind it) blocks on
  // keys, the main connection pushes, adds, moves, renames, deletes or swaps databases (or not),
  // then the control client ends a wait still going with CLIENT UNBLOCK (TIMEOUT or ERROR), so
  // nothing waits for a timeout; what each blocked client received is compared, then the keys.
  // Rarely a short timeout (50 ms) runs out on its own, with nothing sent meanwhile.
  'blmpop:waiting': [
    (r) => {
      const kind = r.pick(['list', 'list', 'zset', 'stream', 'group'] as const);
      const keys = r.next() < 0.3 ? [r.key(), r.key()] : [r.key()];
      const k = keys[0];
      const timesOut = r.next() < 0.02;
      const pre: Arg[][] = kind === 'group' ? [['XGROUP', 'CREATE', k, 'g1', '$', 'MKSTREAM']] : [];
      // (Whether a 50 ms wait was still going when the fuzzer looked depends on the machine's load:
      // only its reply is compared.)
      const blocker = (): Op => ({ on: 'b', bg: true, args: blockingCommand(r, kind, keys, timesOut), opts: timesOut ? { typeOnly: true } : undefined });
      const after: Op[] = [];
      if (r.next() < 0.15) after.push({ on: 'b', args: ['SELECT', r.pick(['0', '1'])] });
      after.push(blocker());
      const second = !timesOut && r.next() < 0.3;
      if (second) after.push({ ...blocker(), on: 'b2' });
      if (!timesOut) {
        for (let n = r.pick([0, 1, 1, 2, 3]); n > 0; n--) after.push(...feeder(r, kind, r.next() < 0.8 ? r.pick(keys) : r.key()));
        after.push({ on: 'c', args: ['CLIENT', 'UNBLOCK', '{b}', ...(r.next() < 0.3 ? [r.pick(['TIMEOUT', 'ERROR'])] : [])] });
      }
      after.push({ on: 'b', kind: 'collect', args: [] });
      if (second) after.push({ on: 'c', args: ['CLIENT', 'UNBLOCK', '{b2}'] }, { on: 'b2', kind: 'collect', args: [] });
      for (const key of keys) after.push({ args: kind === 'list' ? ['LRANGE', key, '0', '-1'] : kind === 'zset' ? ['ZRANGE', key, '0', '-1', 'WITHSCORES'] : r.pick<Arg[]>([['XRANGE', key, '-', '+'], ['XPENDING', key, 'g1']]) });
      return { pre, args: ['TYPE', k], after, outsideMulti: true };
    },
  ],
  // DUMP on one server, RESTORE of its payload on the other (Redis's into Redust, Redust's into
  // Redis), of every type and encoding: the big ones built first (hashtable hashes and sets,
  // skiplist sorted sets, quicklists of many nodes, streams of several nodes with consumer groups,
  // pending entries and deleted entries); payloads damaged on the way are refused the same. The
  // restored value is then read back whole, with its encoding and TTL.
  'restore:cross': [
    (r) => {
      const src = r.key();
      const dst = r.next() < 0.3 ? src : r.key();
      const pre = r.next() < 0.6 ? bigValue(r, src) : [];
      const mode = r.pick(['cross', 'cross', 'cross', 'cross', 'cross', 'truncate', 'badcrc', 'badversion']);
      const ttl = r.pick(['0', '0', '0', '4102444800000', '100000000']);
      const options = r.pick<string[]>([[], ['REPLACE'], ['REPLACE'], ['REPLACE', 'ABSTTL'], ['REPLACE', 'IDLETIME', '10'], ['REPLACE', 'FREQ', '3']]);
      if (ttl === '4102444800000' && !options.includes('ABSTTL')) options.push('ABSTTL');
      const after: Op[] = [
        { args: ['OBJECT', 'ENCODING', dst] },
        { args: ['PTTL', dst], opts: { remainingTime: true } },
        { args: ['GET', dst] },
        { args: ['HGETALL', dst], opts: { unordered: true } },
        { args: ['SMEMBERS', dst], opts: { unordered: true } },
        { args: ['ZRANGE', dst, '0', '-1', 'WITHSCORES'] },
        { args: ['LRANGE', dst, '0', '-1'] },
        { args: ['XINFO', 'STREAM', dst, 'FULL'], opts: { maskTimes: true } },
      ];
      return { pre, kind: 'xrestore', args: [mode, src, dst, ttl, ...options], after, outsideMulti: true };
    },
  ],
  // FUNCTION DUMP on one server, FUNCTION RESTORE of its payload on the other, after the libraries
  // changed in between (or not), with each policy (APPEND: a library that exists is an error;
  // REPLACE; FLUSH), damaged payloads and bad arguments; then the libraries and their functions.
  'function:dump': [
    (r) => {
      const pre: Arg[][] = [];
      for (let n = r.pick([0, 1, 2]); n > 0; n--) pre.push(['FUNCTION', 'LOAD', ...(r.next() < 0.5 ? ['REPLACE'] : []), r.pick(LIBRARIES)]);
      const between: Op[] = [];
      for (let n = r.pick([0, 1, 1, 2]); n > 0; n--) {
        between.push({ args: r.pick<Arg[]>([['FUNCTION', 'FLUSH'], ['FUNCTION', 'DELETE', r.pick(['lib1', 'lib2', 'lib3'])], ['FUNCTION', 'LOAD', 'REPLACE', r.pick(LIBRARIES)], ['FUNCTION', 'LOAD', r.pick(LIBRARIES)]]) });
      }
      const mode = r.pick(['cross', 'cross', 'cross', 'cross', 'cross', 'cross', 'truncate', 'badcrc', 'badversion', 'badcode', 'badcode']);
      const policy = r.pick<string[]>([[], [], ['APPEND'], ['REPLACE'], ['REPLACE'], ['FLUSH'], ['flush'], ['BOGUS'], ['APPEND', 'REPLACE']]);
      const after: Op[] = [
        ...between,
        { kind: 'xfrestore', args: [mode, ...policy] },
        { args: ['FUNCTION', 'LIST', 'WITHCODE'], opts: { deepUnordered: true } },
        { args: [r.pick(['FCALL', 'FCALL_RO']), r.pick(['get1', 'ro1', 'len2', 'tbl2', 'err2']), '1', r.key(), 'a'] },
      ];
      return { pre, kind: 'fdump', args: [], after, outsideMulti: true };
    },
    (r) => ({ args: ['FUNCTION', 'RESTORE', ...r.pick<Arg[]>([[], ['garbage'], ['\xf5\x00', 'APPEND'], [Buffer.from([0xf5, 0xc3, 0x40, 0x00, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]), 'FLUSH']])] }),
    () => ({ args: ['FUNCTION', 'DUMP', 'x'] }),
  ],
};

/**
 * Scripts: a command of another family run through redis.pcall (its reply converted to Lua and
 * back, RESP3's types too after redis.setresp(3)), with the same comparison options.
 */
const SCRIPTED = Object.entries(GENERATORS).filter(([family]) => family !== 'multi' && !family.includes(':')).flatMap(([, list]) => list);
GENERATORS.eval = [
  (r) => {
    const { args, opts, eventsUnordered, outsideMulti } = r.pick(SCRIPTED)(r);
    const body = r.next() < 0.4 ? 'redis.setresp(3) return redis.pcall(unpack(ARGV))' : 'return redis.pcall(unpack(ARGV))';
    return { args: ['EVAL', body, '0', ...args], opts, eventsUnordered, outsideMulti };
  },
];

/** A subscribed connection; drain() returns the messages received since its last call. */
class Subscriber {
  private constructor(
    private readonly conn: RawConnection,
    /** Its CLIENT ID: the REDIRECT target of the command connection's tracking. */
    readonly id: string,
  ) {}

  static async open(port: number, sharded: boolean): Promise<Subscriber> {
    const conn = await RawConnection.connect(port);
    const id = renderNode(await conn.send('CLIENT', 'ID')).slice(1);
    await conn.send('SUBSCRIBE', '__redis__:invalidate');
    await conn.send('PSUBSCRIBE', '__key*__:*');
    await conn.send('SUBSCRIBE', 'ch1', 'ch2');
    await conn.next(); // (one reply per channel)
    await conn.send('PSUBSCRIBE', 'ch*');
    if (sharded) {
      await conn.send('SSUBSCRIBE', 'sh1');
    }
    return new Subscriber(conn, id);
  }

  /** Every message since the last call, rendered: a PING's reply (["pong", ""]) ends them. */
  async drain(): Promise<string[]> {
    this.conn.write(encodeCommand(['PING']));
    const out: string[] = [];
    for (;;) {
      const m = renderNode(await this.conn.next());
      if (m === '["pong", ""]') return out;
      out.push(m);
    }
  }

  close(): void {
    this.conn.close();
  }
}

async function implemented(d: Differential, name: string): Promise<boolean> {
  const r = await d.redust.send('COMMAND', 'INFO', name);
  return r.t === 'array' && r.v[0].t === 'array';
}

for (const engine of enginesUnderTest()) {
  const t = suite(`differential fuzz [${engine}]`);

  for (const seed of SEEDS) for (const mode of MODES) {
    if (!HAVE_REF) {
      t.skip(`seed ${seed}: no reference redis-server`);
      continue;
    }
    t(`seed ${seed}, ${mode.name}: ${OPS} random commands, every reply identical to Redis 7.0`, async () => {
      const srv = await startRedust(engine, { config: mode.config });
      const ref = await startReference(Object.entries(mode.config).flatMap(([k, v]) => [`--${k}`, v]));
      let d = await Differential.connect(srv.port, ref.port);
      /** The other clients of each server (a second writer, blocked clients, a control client). */
      const clients = new FuzzClients(srv.port, ref.port);
      /**
       * Client-side caching in BCAST mode, redirected to the subscriber: every key a command
       * modifies (or expires) comes as an invalidation message, once per event-loop turn.
       */
      const track = async () => {
        const [ta, tb] = await Promise.all([d.redust.send('CLIENT', 'TRACKING', 'ON', 'REDIRECT', subs[0].id, 'BCAST'), d.reference.send('CLIENT', 'TRACKING', 'ON', 'REDIRECT', subs[1].id, 'BCAST')]);
        assert.is(renderNode(ta), renderNode(tb));
      };
      let subs: Subscriber[] = [];
      try {
        const history: string[] = [];
        /** The commands sent, one JSON array of latin1 strings a line (REDUST_FUZZ_DUMP's format; "(reconnected)" for a new connection). */
        const sent: string[] = [];
        const dump = () => {
          if (process.env.REDUST_FUZZ_DUMP) writeFileSync(process.env.REDUST_FUZZ_DUMP, sent.join('\n') + '\n');
        };
        await d.check(['CONFIG', 'SET', 'notify-keyspace-events', mode.notify]);
        // Keys expire only when a command meets them (lazily), as the expiry family needs.
        await d.check(['DEBUG', 'SET-ACTIVE-EXPIRE', '0']);
        const sharded = await implemented(d, 'ssubscribe');
        subs = await Promise.all([Subscriber.open(srv.port, sharded), Subscriber.open(ref.port, sharded)]);
        await track();
        /** Index in `history` of the first command whose events are not compared yet. */
        let eventsFrom = 0;
        /** Whether a command since then publishes its events in an undefined order: compared as a multiset. */
        let eventsUnordered = false;
        const compareEvents = async (i: number) => {
          const [ea, eb] = await Promise.all(subs.map((s) => s.drain()));
          if (eventsUnordered) {
            ea.sort();
            eb.sort();
          }
          // (Kept within MULTI: the queued commands publish at EXEC.)
          eventsUnordered &&= queued !== null;
          if (ea.join('\n') !== eb.join('\n')) {
            if (EVENTS_LOG) {
              appendFileSync(EVENTS_LOG, JSON.stringify({ seed, mode: mode.name, op: i, commands: history.slice(eventsFrom), redust: ea, redis: eb }) + '\n');
              eventsFrom = history.length;
              return;
            }
            dump();
            const show = (xs: string[]) => xs.slice(0, 30).join('\n    ') + (xs.length > 30 ? `\n    ... (${xs.length})` : '');
            assert.unreachable(`seed ${seed} (${mode.name}), op ${i}: pub/sub messages differ after:\n    ${history.slice(eventsFrom).join('\n    ')}\n  redust:\n    ${show(ea)}\n  redis:\n    ${show(eb)}\n  (REDUST_FUZZ_SYNC=1 compares after every command)`);
          }
          eventsFrom = history.length;
        };
        const gens: Gen[] = [];
        for (const [first, list] of Object.entries(GENERATORS)) if ((ONLY === null || ONLY.has(first)) && (await implemented(d, first.split(':')[0]))) gens.push(...list);
        const r = new Rand(rng(seed));
        /** Options of the commands queued since MULTI (null outside MULTI). */
        let queued: CompareOptions[] | null = null;
        /** The commands queued since MULTI, as in `history`. */
        let queuedCmds: string[] = [];
        /** Commands generated together (a generator's `pre` and its command), not sent yet. */
        const pending: Op[] = [];
        /** Whether the connections switched to RESP3 (halfway, between two generated groups). */
        let resp3 = false;
        // (A group begun before OPS is finished: no client is left blocked, no reply outstanding.)
        for (let i = 0; i < OPS || pending.length > 0; i++) {
          if (!resp3 && i >= Math.floor(OPS / 2) && pending.length === 0) {
            resp3 = true;
            if (queued !== null) {
              await d.check(['DISCARD']);
              history.push('DISCARD');
              sent.push('["DISCARD"]');
              queued = null;
            }
            for (const on of [undefined, 'b', 'b2'] as const) {
              const step: Step = { on, args: ['HELLO', '3'] };
              const [ha, hb] = await clients.run(step, [d.redust, d.reference]);
              assert.is(ha.t, hb.t, `HELLO 3 on ${on ?? 'the main connection'}`);
              history.push(describeStep(step));
              sent.push(stepToJson(step));
            }
          }
          let op = pending.shift();
          if (op === undefined) {
            let g = r.pick(gens)(r);
            while (g.outsideMulti && queued !== null) g = r.pick(gens)(r);
            pending.push(...(g.pre ?? []).map((args, k, all) => ({ args, waitMs: k === all.length - 1 ? g.waitAfterPre : undefined })), g, ...(g.after ?? []));
            op = pending.shift()!;
          }
          if (op.eventsUnordered) eventsUnordered = true;
          const { args, opts = {} } = op;
          const main = isMainCommand(op);
          history.push(describeStep(op));
          sent.push(stepToJson(op));
          const [a, b] = await clients.run(op, [d.redust, d.reference]).catch((e) => {
            dump();
            throw new Error(`seed ${seed} (${mode.name}), op ${i}: ${history[history.length - 1]}: ${(e as Error).message}\n  last commands:\n    ${history.slice(-15).join('\n    ')}`);
          });
          // Inside MULTI each queued command's comparison options apply to its element of EXEC's reply.
          const name = main ? String(args[0]).toUpperCase() : '';
          let norm = (n: RespNode) => normalize(n, opts);
          if (queued !== null && name === 'EXEC') {
            const each = queued;
            norm = (n) => (n.t === 'array' ? { ...n, v: n.v.map((x, k) => normalize(x, each[k] ?? {})) } : n);
          }
          const ra = renderNode(norm(a));
          const rb = renderNode(norm(b));
          if (name === 'ACL' && String(args[1]).toUpperCase() === 'DELUSER') {
            // Deleting the user the connection is authenticated as closes it (Redis's
            // freeClientAsync): both servers must do it; the run goes on over new connections.
            await new Promise((res) => setTimeout(res, 30));
            if (d.redust.closed !== d.reference.closed) assert.unreachable(`seed ${seed} (${mode.name}), op ${i}: ${history[history.length - 1]}: connection closed by ${d.redust.closed ? 'Redust' : 'Redis'} only`);
            if (d.redust.closed) {
              d.close();
              d = await Differential.connect(srv.port, ref.port);
              await track();
              if (resp3) {
                await d.check(['HELLO', '3'], { typeOnly: true });
                sent.push('["HELLO", "3"]');
              }
              queued = null;
              history.push('(reconnected)');
              sent.push('"(reconnected)"');
            }
          }
          /** For a failing EXEC: the first queued command whose reply differs. */
          let inExec = '';
          if (ra !== rb && queued !== null && name === 'EXEC' && a.t === 'array' && b.t === 'array') {
            const k = a.v.findIndex((x, j) => j >= b.v.length || renderNode(normalize(x, queued![j] ?? {})) !== renderNode(normalize(b.v[j], queued![j] ?? {})));
            if (k >= 0) inExec = `\n  first difference: reply ${k} of EXEC, to ${queuedCmds[k]}: redust ${renderNode(a.v[k])}, redis ${renderNode(b.v[k] ?? { t: 'null' })}`;
          }
          if (name === 'MULTI' && b.t === 'simple') {
            queued = [];
            queuedCmds = [];
          } else if (name === 'EXEC' || name === 'DISCARD') {
            if (b.t !== 'error' || !/without MULTI/.test(b.v)) queued = null;
          } else if (main && queued !== null && b.t === 'simple' && b.v === 'QUEUED') {
            queued.push(opts);
            queuedCmds.push(history[history.length - 1]);
          }
          if (op.waitMs) await new Promise((res) => setTimeout(res, op!.waitMs));
          if (ra === rb && (i + 1) % SYNC_EVERY === 0) await compareEvents(i);
          if (ra !== rb) {
            // REDUST_FUZZ_DUMP=file: every command sent, to replay or reduce the failure
            dump();
            const cut = (x: string) => (x.length > 2000 ? `${x.slice(0, 2000)}... (${x.length} characters)` : x);
            assert.unreachable(`seed ${seed} (${mode.name}), op ${i}: ${history[history.length - 1]}\n  redust: ${cut(ra)}\n  redis:  ${cut(rb)}${inExec}\n  last commands:\n    ${history.slice(-15).join('\n    ')}`);
          }
        }
        await compareEvents(OPS);
      } finally {
        for (const s of subs) s.close();
        clients.close();
        d.close();
        await srv.close();
        await ref.stop();
      }
    });
  }

  t.run();
}
