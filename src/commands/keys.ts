/**
 * Generic key commands (Redis db.c / expire.c / object.c): DEL, UNLINK, EXISTS, TYPE, RENAME,
 * RENAMENX, COPY, MOVE, KEYS, SCAN, RANDOMKEY, EXPIRE family, TTL family, PERSIST, TOUCH, OBJECT.
 */
import { lfuDecayed } from '../engine/lfu';
import type { BulkValue, Container, RedisValue } from '../engine/types';
import { EMBSTR_MAX, PEEK_MISSING, StrEnc } from '../engine/types';
import type { Client } from '../server/client';
import type { Config } from '../config/config';
import type { CommandRow } from './table';
import { container } from './table';
import { fail, INVALID_EXPIRE, NO_SUCH_KEY, OUT_OF_RANGE_DB, SYNTAX } from './errors';
import { cursorArg, intArg, isWord, rangeIntArg, scanOptionsArg } from './args';
import { alreadyExpired, countRead, inspectKey, lookupRead, replyScan, written } from './keyspace';
import type { StringHead } from './keyspace';
import { encodingLimits } from '../config/config';
import { INT64_MAX, latin1, parseInt64, parseInt64Exact } from '../util/number';
import { replyHelp } from './help';
import { propagateAs } from '../server/propagate';
import { unlinkedValue } from '../server/lazyfree';

const SAME_OBJECT = 'ERR source and destination objects are the same';

function del(c: Client, argv: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (c.db.delete(argv[i])) {
      written(c, argv[i], 'del', 'g');
      n++;
    }
  }
  c.reply.int(n);
}

/** UNLINK: DEL, with large values counted as lazily freed (server/lazyfree.ts). */
function unlink(c: Client, argv: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const v = c.db.get(argv[i], true);
    if (v !== undefined && c.db.delete(argv[i])) {
      unlinkedValue(c.server, v, () => encodingLimits(c.server.config));
      written(c, argv[i], 'del', 'g');
      n++;
    }
  }
  c.reply.int(n);
}

function exists(c: Client, argv: Buffer[]): void {
  let n = 0;
  // lookupKeyReadWithFlags(LOOKUP_NOTOUCH): hits/misses counted, `keymiss` published.
  for (let i = 1; i < argv.length; i++) {
    const found = c.db.has(argv[i]);
    countRead(c, argv[i], found);
    if (found) n++;
  }
  c.reply.int(n);
}

function touch(c: Client, argv: Buffer[]): void {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    const found = inspectKey(c, argv[i], false) !== undefined;
    countRead(c, argv[i], found); // (lookupKeyRead)
    if (found) n++;
  }
  c.reply.int(n);
}

function type(c: Client, argv: Buffer[]): void {
  const v = inspectKey(c, argv[1], true);
  countRead(c, argv[1], v !== undefined); // (lookupKeyReadWithFlags(LOOKUP_NOTOUCH))
  c.reply.simple(v === undefined ? 'none' : v.type);
}

function renameGeneric(c: Client, argv: Buffer[], nx: boolean): void {
  const src = argv[1];
  const dst = argv[2];
  // lookupKeyWrite: an access of the source (its LFU counter moves with it), without a copy.
  if (c.db.peekString(src, false) === PEEK_MISSING) fail(NO_SUCH_KEY);
  if (src.equals(dst)) {
    if (nx) c.reply.int(0);
    else c.reply.ok();
    return;
  }
  if (c.db.has(dst)) {
    if (nx) {
      c.reply.int(0);
      return;
    }
    c.db.delete(dst);
  }
  // The value moves with its TTL and access time, as Redis moves the same object.
  c.db.renameKey(src, dst);
  const s = c.server;
  s.signalModifiedKey(c.dbIndex, src);
  s.signalModifiedKey(c.dbIndex, dst);
  s.keyspace.notify(c.dbIndex, 'rename_from', src, 'g');
  s.keyspace.notify(c.dbIndex, 'rename_to', dst, 'g');
  s.dirty();
  if (nx) c.reply.int(1);
  else c.reply.ok();
}

function rename(c: Client, argv: Buffer[]): void {
  renameGeneric(c, argv, false);
}

function renamenx(c: Client, argv: Buffer[]): void {
  renameGeneric(c, argv, true);
}

function dbIndexArg(c: Client, arg: Buffer): number {
  const id = rangeIntArg(arg, -2147483648n, 2147483647n);
  if (id < 0 || id >= c.server.dbs.length) fail(OUT_OF_RANGE_DB);
  return id;
}

function isString(v: RedisValue): v is BulkValue {
  return typeof v === 'string' || v instanceof Uint8Array;
}

function copy(c: Client, argv: Buffer[]): void {
  let dst = c.db;
  let replace = false;
  for (let j = 3; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    if (isWord(argv[j], 'replace')) replace = true;
    else if (isWord(argv[j], 'db') && additional >= 1) {
      dst = c.server.dbs[dbIndexArg(c, argv[j + 1])];
      j++;
    } else fail(SYNTAX);
  }
  const key = argv[1];
  const newkey = argv[2];
  if (dst === c.db && key.equals(newkey)) fail(SAME_OBJECT);
  const v = lookupRead(c, key);
  if (v === undefined) {
    c.reply.int(0);
    return;
  }
  const expire = c.db.getExpire(key);
  const strEnc = c.db.info(key)?.strEnc;
  if (dst.has(newkey)) {
    if (!replace) {
      c.reply.int(0);
      return;
    }
    dst.delete(newkey);
  }
  dst.set(newkey, isString(v) ? v : ((v as Container).clone() as RedisValue), false, strEnc);
  if (expire !== -1) dst.setExpire(newkey, expire);
  c.server.signalModifiedKey(dst.index, newkey);
  c.server.keyspace.notify(dst.index, 'copy_to', newkey, 'g');
  c.server.dirty();
  c.reply.int(1);
}

function move(c: Client, argv: Buffer[]): void {
  const dst = c.server.dbs[dbIndexArg(c, argv[2])];
  if (dst === c.db) fail(SAME_OBJECT);
  const key = argv[1];
  if (!c.db.has(key) || dst.has(key)) {
    c.reply.int(0);
    return;
  }
  const moved = c.db.take(key)!;
  dst.set(key, moved.value, false, moved.strEnc);
  if (moved.expireAt !== -1) dst.setExpire(key, moved.expireAt);
  const s = c.server;
  s.signalModifiedKey(c.dbIndex, key);
  s.signalModifiedKey(dst.index, key);
  s.keyspace.notify(c.dbIndex, 'move_from', key, 'g');
  s.keyspace.notify(dst.index, 'move_to', key, 'g');
  s.dirty();
  c.reply.int(1);
}

function keys(c: Client, argv: Buffer[]): void {
  const pattern = argv[1];
  const all = pattern.length === 1 && pattern[0] === 42;
  const d = c.reply.deferred();
  let n = 0;
  const emit = (k: BulkValue) => {
    c.reply.bulk(k);
    n++;
  };
  if (all) c.db.forEachKey(emit);
  else c.db.forEachKeyMatching(pattern, false, emit);
  c.reply.setArrayLen(d, n);
}

function scan(c: Client, argv: Buffer[]): void {
  const cursor = cursorArg(argv[1]);
  const opts = scanOptionsArg(argv, 2, true);
  const found: BulkValue[] = [];
  const next = c.db.scan(cursor, opts.count, (k) => found.push(k), true);
  const engine = c.server.engine;
  const out: BulkValue[] = [];
  // As scanGenericCommand's filter step: the pattern; then the type, read by a lookup (hits and
  // misses counted, a key found expired deleted with `expired` then `keymiss`; a missing key's
  // type is "none"); then expiry, a key whose TTL has passed deleted (`expired`) and left out.
  for (const k of found) {
    if (opts.pattern && !engine.globMatch(opts.pattern, k, false)) continue;
    const key = typeof k === 'string' ? Buffer.from(k, 'latin1') : k;
    if (opts.type) {
      const v = inspectKey(c, key, true);
      countRead(c, key, v !== undefined);
      // (A key found expired reads as "none": with TYPE none Redis keeps it, its expiry check
      // then finding no key.)
      if ((v === undefined ? 'none' : v.type) === opts.type) out.push(k);
    } else if (c.db.has(key)) out.push(k);
  }
  replyScan(c, next, out);
}

function randomkey(c: Client): void {
  const k = c.db.randomKey();
  if (k === null) c.reply.nil();
  else c.reply.bulk(k);
}

const enum ExpireFlag {
  NX = 1,
  XX = 2,
  GT = 4,
  LT = 8,
}

/**
 * expireGenericCommand's overflow checks, on the exact int64 value: a seconds value outside
 * LLONG_MIN/1000..LLONG_MAX/1000, or an absolute time past LLONG_MAX, is an invalid expire time.
 */
function expireInRange(arg: Buffer, seconds: boolean, basetime: number): boolean {
  const v = parseInt64Exact(arg);
  if (v === null) return false;
  // (the usual TTLs: no sum with the base time can come near 2^63, and BigInts cost ~100 ns)
  if (typeof v === 'number' && v > -1e12 && v < 1e12 && basetime < 1e15) return true;
  let when = BigInt(v);
  if (seconds) {
    if (when > 9223372036854775n || when < -9223372036854775n) return false;
    when *= 1000n;
  }
  return when <= INT64_MAX - BigInt(basetime);
}

/** expireGenericCommand: `basetime` ms added to the argument; `seconds` when the unit is seconds. */
function expireGeneric(c: Client, argv: Buffer[], basetime: number, seconds: boolean): void {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const a = argv[j];
    if (isWord(a, 'nx')) flags |= ExpireFlag.NX;
    else if (isWord(a, 'xx')) flags |= ExpireFlag.XX;
    else if (isWord(a, 'gt')) flags |= ExpireFlag.GT;
    else if (isWord(a, 'lt')) flags |= ExpireFlag.LT;
    else fail(`ERR Unsupported option ${latin1(a)}`);
  }
  if (flags & ExpireFlag.NX && flags & (ExpireFlag.XX | ExpireFlag.GT | ExpireFlag.LT)) fail('ERR NX and XX, GT or LT options at the same time are not compatible');
  if (flags & ExpireFlag.GT && flags & ExpireFlag.LT) fail('ERR GT and LT options at the same time are not compatible');
  let when = intArg(argv[2]);
  const name = c.cmd!.fullname;
  // Redis's int64 overflow checks, exact (past 2^53 a double cannot tell 9223372036854775 from ...776).
  if (!expireInRange(argv[2], seconds, basetime)) fail(INVALID_EXPIRE(name));
  if (seconds) when *= 1000;
  when += basetime;
  const key = argv[1];
  if (!c.db.has(key)) {
    c.reply.int(0);
    return;
  }
  if (flags) {
    const current = c.db.getExpire(key);
    if (flags & ExpireFlag.NX && current !== -1) return c.reply.int(0);
    if (flags & ExpireFlag.XX && current === -1) return c.reply.int(0);
    if (flags & ExpireFlag.GT && (when <= current || current === -1)) return c.reply.int(0);
    if (flags & ExpireFlag.LT && current !== -1 && when >= current) return c.reply.int(0);
  }
  if (alreadyExpired(c, when)) {
    c.db.delete(key);
    written(c, key, 'del', 'g');
    propagateAs(c, c.server.config.bool('lazyfree-lazy-expire') ? 'UNLINK' : 'DEL', key);
  } else {
    c.db.setExpire(key, when);
    written(c, key, 'expire', 'g');
    // Replayed as an absolute time (PEXPIREAT with the same options, as Redis rewrites it).
    if (c.cmd!.name !== 'pexpireat') propagateAs(c, 'PEXPIREAT', key, when, ...argv.slice(3));
  }
  c.reply.int(1);
}

function expire(c: Client, argv: Buffer[]): void {
  expireGeneric(c, argv, c.server.clock.now(), true);
}

function pexpire(c: Client, argv: Buffer[]): void {
  expireGeneric(c, argv, c.server.clock.now(), false);
}

function expireat(c: Client, argv: Buffer[]): void {
  expireGeneric(c, argv, 0, true);
}

function pexpireat(c: Client, argv: Buffer[]): void {
  expireGeneric(c, argv, 0, false);
}

/** ttlGenericCommand */
function ttlGeneric(c: Client, key: Buffer, ms: boolean, abs: boolean): void {
  const expire = c.db.getExpire(key);
  countRead(c, key, expire !== -2); // (lookupKeyReadWithFlags(LOOKUP_NOTOUCH))
  if (expire === -2) return c.reply.int(-2);
  if (expire === -1) return c.reply.int(-1);
  let ttl = abs ? expire : expire - c.server.clock.now();
  if (ttl < 0) ttl = 0;
  c.reply.int(ms ? ttl : Math.floor((ttl + 500) / 1000));
}

function ttl(c: Client, argv: Buffer[]): void {
  ttlGeneric(c, argv[1], false, false);
}

function pttl(c: Client, argv: Buffer[]): void {
  ttlGeneric(c, argv[1], true, false);
}

function expiretime(c: Client, argv: Buffer[]): void {
  ttlGeneric(c, argv[1], false, true);
}

function pexpiretime(c: Client, argv: Buffer[]): void {
  ttlGeneric(c, argv[1], true, true);
}

function persist(c: Client, argv: Buffer[]): void {
  if (c.db.persist(argv[1])) {
    written(c, argv[1], 'persist', 'g');
    c.reply.int(1);
  } else c.reply.int(0);
}

/** OBJECT ENCODING for a string: int, embstr (<= 44 bytes) or raw (also when written in place). */
function stringEncoding(v: StringHead, enc: StrEnc | undefined): string {
  if (enc === StrEnc.Raw) return 'raw';
  if (enc !== StrEnc.Plain && v.length <= 20 && !Number.isNaN(parseInt64(v.head))) return 'int';
  return v.length <= EMBSTR_MAX ? 'embstr' : 'raw';
}

function objectEncoding(c: Client, argv: Buffer[]): void {
  const v = inspectKey(c, argv[2], true, 20);
  if (v === undefined) return c.reply.nil();
  if (v.type === 'string') c.reply.bulk(stringEncoding(v as StringHead, c.db.info(argv[2])?.strEnc));
  else c.reply.bulk((v as Container).encoding(encodingLimits(c.server.config)));
}

/**
 * Redis shares its integer objects 0..9999 (refcount INT_MAX) unless maxmemory is on under an LRU
 * or LFU policy (MAXMEMORY_FLAG_NO_SHARED_INTEGERS: each key needs its own access clock). Read
 * when asked, where Redis decides when the value is written.
 */
export function integersShared(config: Config): boolean {
  return config.int('maxmemory') === 0 || !/lru|lfu/.test(config.str('maxmemory-policy'));
}

function objectRefcount(c: Client, argv: Buffer[]): void {
  const v = inspectKey(c, argv[2], true, 20);
  if (v === undefined) return c.reply.nil();
  // A shared integer is a value of the int encoding; the same digits written by SETRANGE or
  // APPEND are a raw string of its own.
  if (v.type === 'string' && integersShared(c.server.config)) {
    const s = v as StringHead;
    const n = parseInt64(s.head);
    if (stringEncoding(s, c.db.info(argv[2])?.strEnc) === 'int' && n >= 0 && n < 10000) return c.reply.int(2147483647);
  }
  c.reply.int(1);
}

function objectIdletime(c: Client, argv: Buffer[]): void {
  const info = c.db.info(argv[2]);
  if (info === undefined) return c.reply.nil();
  if (c.server.config.str('maxmemory-policy').endsWith('lfu')) {
    fail('ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
  }
  c.reply.int(Math.floor((c.server.clock.now() - info.lru) / 1000));
}

function objectFreq(c: Client, argv: Buffer[]): void {
  const info = c.db.info(argv[2]);
  if (info === undefined) return c.reply.nil();
  if (!c.server.config.str('maxmemory-policy').endsWith('lfu')) {
    fail('ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.');
  }
  // LFUDecrAndReturn: the decayed counter, not stored (OBJECT does not touch).
  c.reply.int(lfuDecayed(info.freq, info.lru, c.server.clock.now(), c.server.config.int('lfu-decay-time')));
}

function objectHelp(c: Client): void {
  replyHelp(c, 'object');
}


export const commands: CommandRow[] = [
  { name: 'del', handler: del },
  { name: 'unlink', handler: unlink },
  { name: 'exists', handler: exists },
  { name: 'touch', handler: touch },
  { name: 'type', handler: type },
  { name: 'rename', handler: rename },
  { name: 'renamenx', handler: renamenx },
  { name: 'copy', handler: copy },
  { name: 'move', handler: move },
  { name: 'keys', handler: keys },
  { name: 'scan', handler: scan },
  { name: 'randomkey', handler: randomkey },
  { name: 'expire', handler: expire },
  { name: 'pexpire', handler: pexpire },
  { name: 'expireat', handler: expireat },
  { name: 'pexpireat', handler: pexpireat },
  { name: 'ttl', handler: ttl },
  { name: 'pttl', handler: pttl },
  { name: 'expiretime', handler: expiretime },
  { name: 'pexpiretime', handler: pexpiretime },
  { name: 'persist', handler: persist },
  { name: 'object', handler: container },
  { name: 'object|encoding', handler: objectEncoding },
  { name: 'object|refcount', handler: objectRefcount },
  { name: 'object|idletime', handler: objectIdletime },
  { name: 'object|freq', handler: objectFreq },
  { name: 'object|help', handler: objectHelp },
];
