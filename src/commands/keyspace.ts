/**
 * What Redis's db.c gives command handlers: typed lookups for reading and for writing, the
 * bookkeeping after a write (WATCH, keyspace events, the dirty counter), storing a new value, the
 * SCAN-family reply, and the read-only inspections of a key (TYPE, OBJECT, STRLEN...).
 *
 * Reads (lookupRead) count keyspace hits/misses and publish `keymiss`; writes (lookupWrite) do
 * neither, as Redis's lookupKeyWrite. Every write path goes through lookupWrite or storeValue, so
 * a hook that must see a key before it changes has one place to live -- except the Db's one-call
 * writes on an existing value (Db.listPush, listPopOne, setAdd, hashSet: LPUSH/RPUSH, LPOP/RPOP,
 * SADD, HSET), which look the key up inside the engine; such a hook must also make them return -1
 * (the general path), as a running snapshot does.
 */
import type { BulkValue, Container, HashValue, ListValue, RedisValue, SetValue, StreamValue, StringEdit, StringPeek, TypeName, ZSetValue } from '../engine/types';
import { PEEK_MISSING, PEEK_WRONGTYPE, typeOfValue } from '../engine/types';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { NotifyClass } from '../server/keyspace-events';
import { fail, WRONGTYPE } from './errors';
import { toBuffer } from '../util/bytes';
import type { BulkSink } from '../engine/types';
import type { Reply } from '../protocol/reply';

/** lookupKeyRead(+checkType): the value or undefined, counting keyspace hits/misses; WRONGTYPE when `type` differs. */
export function lookupRead(c: Client, key: Buffer): RedisValue | undefined;
export function lookupRead(c: Client, key: Buffer, type: 'string'): BulkValue | undefined;
export function lookupRead(c: Client, key: Buffer, type: 'list'): ListValue | undefined;
export function lookupRead(c: Client, key: Buffer, type: 'hash'): HashValue | undefined;
export function lookupRead(c: Client, key: Buffer, type: 'set'): SetValue | undefined;
export function lookupRead(c: Client, key: Buffer, type: 'zset'): ZSetValue | undefined;
export function lookupRead(c: Client, key: Buffer, type: 'stream'): StreamValue | undefined;
export function lookupRead(c: Client, key: Buffer, type?: TypeName): RedisValue | undefined;
export function lookupRead(c: Client, key: Buffer, type?: TypeName): RedisValue | undefined {
  const v = c.db.get(key, (c.flags & ClientFlag.NO_TOUCH) !== 0);
  countRead(c, key, v !== undefined);
  return type === undefined ? v : checkType(v, type);
}

/** lookupKeyWrite(+checkType): the value or undefined, no hit/miss statistics; WRONGTYPE when `type` differs. */
export function lookupWrite(c: Client, key: Buffer): RedisValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type: 'string'): BulkValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type: 'list'): ListValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type: 'hash'): HashValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type: 'set'): SetValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type: 'zset'): ZSetValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type: 'stream'): StreamValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type?: TypeName): RedisValue | undefined;
export function lookupWrite(c: Client, key: Buffer, type?: TypeName): RedisValue | undefined {
  const v = c.db.get(key);
  return type === undefined ? v : checkType(v, type);
}

/** checkType: the value as `type`, WRONGTYPE when it holds another type (undefined passes). */
export function checkType(v: RedisValue | undefined, type: 'set'): SetValue | undefined;
export function checkType(v: RedisValue | undefined, type: TypeName): RedisValue | undefined;
export function checkType(v: RedisValue | undefined, type: TypeName): RedisValue | undefined {
  if (v !== undefined && typeOfValue(v) !== type) fail(WRONGTYPE);
  return v;
}

/**
 * The value at `key` for a blocked client's wake-up: no statistics, no access-time update.
 * undefined when missing, null when it holds another type than `type`.
 */
export function peekTyped<T extends RedisValue>(c: Client, key: BulkValue, type: TypeName): T | undefined | null {
  const v = c.db.get(toBuffer(key), true);
  if (v === undefined) return undefined;
  return typeOfValue(v) === type ? (v as T) : null;
}

/**
 * setKey for a value built by the command (a *STORE destination, a new container): store it
 * (dropping any TTL) and invalidate WATCH. Clients blocked on the key wake only when it is new
 * (db.set's new-key hook, Redis's dbAdd): Redis 7.0's setKey overwrites an existing key (of
 * another type, as a client blocks only on a missing key) with dbOverwrite, which signals nothing.
 */
export function storeValue(c: Client, key: Buffer, value: RedisValue): void {
  settleStoredEncoding(c, value);
  c.db.set(key, value);
  c.server.signalModifiedKey(c.dbIndex, key);
}

/**
 * A sorted set built by a STORE takes its encoding by the limits in force now, as Redis's
 * zsetConvertToListpackIfNeeded decides it once (ZSetValue.settleEncoding).
 */
export function settleStoredEncoding(c: Client, value: RedisValue): void {
  const z = value as ZSetValue;
  if (z.type === 'zset' && z.settleEncoding !== undefined) {
    const hot = c.server.config.hot;
    z.settleEncoding(hot['zset-max-listpack-entries'], hot['zset-max-listpack-value'], 0);
  }
}

/** After a write: invalidate WATCH, publish the keyspace event, count `changes` changes. */
export function written(c: Client, key: BulkValue, event: string, cls: NotifyClass, changes = 1): void {
  const server = c.server;
  server.signalModifiedKey(c.dbIndex, key);
  server.keyspace.notify(c.dbIndex, event, key, cls);
  server.dirty(changes);
}

/**
 * A *STORE whose result is empty: delete the destination (`del` event) when it existed -- an
 * expired one too, with no `expired` event (Server.dbDelete).
 */
export function deleteDestination(c: Client, key: Buffer): void {
  if (c.server.dbDelete(c.db, key)) written(c, key, 'del', 'g');
}

/**
 * HDEL/SREM/ZREM: delete argv[from..] with `del`; when the container empties, delete the key and
 * stop (as Redis does). Publishes `event` for any removal, then `del` when the key went away.
 * Returns the number of members removed.
 */
export function removeMembers(c: Client, key: Buffer, container: { readonly size: number }, argv: Buffer[], from: number, del: (member: Buffer) => boolean, event: string, cls: NotifyClass): number {
  let deleted = 0;
  let emptied = false;
  for (let j = from; j < argv.length; j++) {
    if (del(argv[j])) deleted++;
    if (container.size === 0) {
      c.db.delete(key);
      emptied = true;
      break;
    }
  }
  if (deleted > 0) {
    written(c, key, event, cls, deleted);
    if (emptied) c.server.keyspace.notify(c.dbIndex, 'del', key, 'g');
  }
  return deleted;
}

/** The SCAN family's reply: [cursor as a bulk string, [elements...]]. */
export function replyScan(c: Client, next: number, items: readonly BulkValue[]): void {
  c.reply.array(2);
  c.reply.bulk(String(next));
  c.reply.array(items.length);
  for (const x of items) c.reply.bulk(x);
}

/**
 * lookupRead(c, key, 'string') without copying the value out of the engine (Db.peekString): the
 * view is valid until the next engine call. null when the key is missing.
 */
export function peekStringRead(c: Client, key: Buffer): StringPeek | null {
  const r = c.db.peekString(key, (c.flags & ClientFlag.NO_TOUCH) !== 0);
  countRead(c, key, r !== PEEK_MISSING);
  if (r === PEEK_WRONGTYPE) fail(WRONGTYPE);
  return r === PEEK_MISSING ? null : (r as StringPeek);
}

/** A string's bytes for commands that index into them (bitmaps, HyperLogLog): bytes[start, start + length). */
export type ByteView = Pick<StringEdit, 'bytes' | 'start' | 'length'>;

/** A peeked string as bytes: the engine's own memory, or a latin1 copy of a stored JS string. */
export function peekBytes(p: StringPeek): ByteView {
  if (typeof p.bytes !== 'string') return p as ByteView;
  const b = Buffer.from(p.bytes.slice(p.start, p.start + p.length), 'latin1');
  return { bytes: b, start: 0, length: b.length };
}

/** lookupRead(c, key, 'string') as bytes, copy-free where the engine allows; null when missing. */
export function lookupReadBytes(c: Client, key: Buffer): ByteView | null {
  const p = peekStringRead(c, key);
  return p === null ? null : peekBytes(p);
}

/** lookupWrite(c, key, 'string') as bytes, copy-free where the engine allows; null when missing. */
export function lookupWriteBytes(c: Client, key: Buffer): ByteView | null {
  const r = c.db.peekString(key);
  if (r === PEEK_WRONGTYPE) fail(WRONGTYPE);
  return r === PEEK_MISSING ? null : peekBytes(r as StringPeek);
}

/** Byte i of a peeked string. */
export function peekByte(p: StringPeek, i: number): number {
  const b = p.bytes;
  return typeof b === 'string' ? b.charCodeAt(p.start + i) : b[p.start + i];
}

/** A copy of bytes [from, to) of a peeked string. */
export function peekCopy(p: StringPeek, from: number, to: number): Buffer {
  const b = p.bytes;
  return typeof b === 'string' ? Buffer.from(b.slice(p.start + from, p.start + to), 'latin1') : Buffer.from(b.subarray(p.start + from, p.start + to));
}

/**
 * For commands that only look at a value's type or the start of a string (TYPE, TOUCH, SCAN TYPE,
 * OBJECT): the container itself, or for a string its length and first `headMax` bytes, never
 * copying a long string. No keyspace hit/miss counting.
 */
export function inspectKey(c: Client, key: Buffer, noTouch: boolean, headMax = 0): Container | StringHead | undefined {
  const db = c.db;
  const r = db.peekString(key, noTouch);
  if (r === PEEK_MISSING) return undefined;
  if (r !== PEEK_WRONGTYPE) {
    const p = r as StringPeek;
    return { type: 'string', length: p.length, head: peekCopy(p, 0, Math.min(p.length, headMax)) };
  }
  return db.get(key, noTouch) as Container;
}

/** inspectKey's view of a string. */
export interface StringHead {
  type: 'string';
  length: number;
  head: Buffer;
}

/** A read lookup's bookkeeping: keyspace hits/misses and the keymiss event. */
export function countRead(c: Client, key: Buffer, hit: boolean): void {
  const s = c.server.stats;
  if (hit) s.keyspaceHits++;
  else {
    s.keyspaceMisses++;
    c.server.keyspace.notify(c.dbIndex, 'keymiss', key, 'm');
  }
}

/**
 * Where an engine may write reply bytes itself (BulkSink): the socket writer, or a reply that also
 * takes bytes (Lua's redis.call: LuaReply); null for the other sinks (MULTI, ValueReply).
 */
export function bulkSinkOf(c: Client): (Reply & BulkSink) | null {
  if (c.reply === c.writer) return c.writer;
  return (c.reply as Partial<BulkSink>).bulkBytes !== undefined ? (c.reply as Reply & BulkSink) : null;
}

/**
 * GET's reply written by the engine straight into the client's output buffer (Db.writeBulk).
 * Returns false when the caller must take the normal path: replies not going to the socket writer
 * (Lua, MULTI sinks), or a non-string value (the normal path then raises WRONGTYPE).
 */
export function tryWriteBulk(c: Client, key: Buffer): boolean {
  const out = bulkSinkOf(c);
  if (out === null) return false;
  const st = c.db.writeBulk(key, out, (c.flags & ClientFlag.NO_TOUCH) !== 0);
  if (st < 0) return false;
  countRead(c, key, st !== 0);
  if (st === 0) out.nil();
  return true;
}

/**
 * checkAlreadyExpired: a TTL at or before now deletes the key at once, except while loading: the
 * AOF replays a TTL as it was written, and the key expires after the load if nothing removed it.
 */
export function alreadyExpired(c: Client, when: number): boolean {
  return when <= c.server.clock.now() && !c.server.loading;
}
