/**
 * Argument parsing and keyspace helpers shared by command handlers: case-insensitive option
 * matching, integer/float arguments with Redis's error texts, typed lookups (WRONGTYPE), and the
 * after-write bookkeeping every write command does (WATCH, keyspace events, dirty counter).
 */
import type { BulkValue, Container, HashValue, ListValue, RedisValue, SetValue, StringPeek, TypeName, ZSetValue } from '../engine/types';
import { PEEK_MISSING, PEEK_WRONGTYPE, typeOfValue } from '../engine/types';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { NotifyClass } from '../server/keyspace-events';
import { fail, NOT_FLOAT, NOT_INT, WRONGTYPE } from './errors';
import { parseDouble, parseInt64 } from '../util/number';

/** True when `arg` equals `word` case-insensitively. `word` must be lowercase ASCII. */
export function isWord(arg: Buffer, word: string): boolean {
  const n = word.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    let c = arg[i];
    if (c >= 65 && c <= 90) c += 32;
    if (c !== word.charCodeAt(i)) return false;
  }
  return true;
}

/** Lowercase latin1 text of an option argument. */
export function optName(arg: Buffer): string {
  return arg.latin1Slice(0, arg.length).toLowerCase();
}

/** getLongLongFromObjectOrReply: integer argument or "value is not an integer or out of range". */
export function intArg(arg: BulkValue, msg = NOT_INT): number {
  const n = parseInt64(arg);
  if (Number.isNaN(n)) fail(msg);
  return n;
}

/** getPositiveLongFromObjectOrReply-style: integer >= 0 with a custom error. */
export function nonNegIntArg(arg: BulkValue, msg: string): number {
  const n = parseInt64(arg);
  if (Number.isNaN(n) || n < 0) fail(msg);
  return n;
}

/** getDoubleFromObjectOrReply: float argument or "value is not a valid float". */
export function floatArg(arg: BulkValue, msg = NOT_FLOAT): number {
  const d = parseDouble(arg);
  if (Number.isNaN(d)) fail(msg);
  return d;
}

/** Value at key with a type check: undefined when missing, WRONGTYPE error when another type. */
export function lookupTyped(c: Client, key: Buffer, type: 'string'): BulkValue | undefined;
export function lookupTyped(c: Client, key: Buffer, type: 'list'): ListValue | undefined;
export function lookupTyped(c: Client, key: Buffer, type: 'hash'): HashValue | undefined;
export function lookupTyped(c: Client, key: Buffer, type: 'set'): SetValue | undefined;
export function lookupTyped(c: Client, key: Buffer, type: 'zset'): ZSetValue | undefined;
export function lookupTyped(c: Client, key: Buffer, type: TypeName): RedisValue | undefined;
export function lookupTyped(c: Client, key: Buffer, type: TypeName): RedisValue | undefined {
  const v = lookupRead(c, key);
  if (v !== undefined && typeOfValue(v) !== type) fail(WRONGTYPE);
  return v;
}

/**
 * lookupKeyWrite for a string: value or undefined, WRONGTYPE for other types. Unlike reads it
 * neither counts keyspace hits/misses nor publishes `keymiss` (as Redis's write lookups).
 */
export function lookupStringForWrite(c: Client, key: Buffer): BulkValue | undefined {
  const v = c.db.get(key);
  if (v !== undefined && typeOfValue(v) !== 'string') fail(WRONGTYPE);
  return v as BulkValue | undefined;
}

/** lookupKeyRead: value or undefined, counting keyspace hits/misses. */
export function lookupRead(c: Client, key: Buffer): RedisValue | undefined {
  const v = c.db.get(key, (c.flags & ClientFlag.NO_TOUCH) !== 0);
  countRead(c, key, v !== undefined);
  return v;
}

/**
 * lookupTyped(c, key, 'string') without copying the value, on engines that can (Db.peekString):
 * the view is valid until the next engine call. null when the key is missing; undefined when the
 * engine cannot peek (the caller takes the lookupTyped path).
 */
export function peekStringRead(c: Client, key: Buffer): StringPeek | null | undefined {
  const db = c.db;
  if (!db.peekString) return undefined;
  const r = db.peekString(key, (c.flags & ClientFlag.NO_TOUCH) !== 0);
  countRead(c, key, r !== PEEK_MISSING);
  if (r === PEEK_WRONGTYPE) fail(WRONGTYPE);
  return r === PEEK_MISSING ? null : (r as StringPeek);
}

/**
 * For commands that only look at a value's type or the start of a string (TYPE, TOUCH, SCAN TYPE,
 * OBJECT): the container itself, or for a string its length and first `headMax` bytes. Engines
 * that can peek (wasm) never copy a long string out for this. No keyspace hit/miss counting.
 */
export function inspectKey(c: Client, key: Buffer, noTouch: boolean, headMax = 0): Container | StringHead | undefined {
  const db = c.db;
  if (db.peekString) {
    const r = db.peekString(key, noTouch);
    if (r === PEEK_MISSING) return undefined;
    if (r !== PEEK_WRONGTYPE) {
      const p = r as StringPeek;
      const n = Math.min(p.length, headMax);
      return { type: 'string', length: p.length, head: Buffer.from(p.bytes.subarray(p.start, p.start + n)) };
    }
  }
  const v = db.get(key, noTouch);
  if (v === undefined) return undefined;
  if (typeof v === 'string' || v instanceof Uint8Array) {
    return { type: 'string', length: v.length, head: toBuffer(v.length <= headMax ? v : v.slice(0, headMax)) };
  }
  return v as Container;
}

/** inspectKey's view of a string. */
export interface StringHead {
  type: 'string';
  length: number;
  head: Buffer;
}

/** A read lookup's bookkeeping: keyspace hits/misses and the keymiss event. */
function countRead(c: Client, key: Buffer, hit: boolean): void {
  const s = c.server.stats;
  if (hit) s.keyspaceHits++;
  else {
    s.keyspaceMisses++;
    c.server.keyspace.notify(c.dbIndex, 'keymiss', key, 'm');
  }
}

/**
 * GET's fast path: engines that can (wasm) write the bulk reply straight from their memory into
 * the client's output buffer. Returns false when the caller must take the normal path: no fast
 * path, replies not going to the socket writer (Lua, MULTI sinks), or a non-string value (the
 * normal path then raises WRONGTYPE).
 */
export function tryWriteBulk(c: Client, key: Buffer): boolean {
  const db = c.db;
  if (db.writeBulk === undefined || c.reply !== c.writer) return false;
  const st = db.writeBulk(key, c.writer, (c.flags & ClientFlag.NO_TOUCH) !== 0);
  if (st < 0) return false;
  countRead(c, key, st !== 0);
  if (st === 0) c.writer.nil();
  return true;
}

/** After a write: invalidate WATCH, publish the keyspace event, count a change. */
export function written(c: Client, key: BulkValue, event: string, cls: NotifyClass, changes = 1): void {
  const server = c.server;
  server.signalModifiedKey(c.dbIndex, key);
  server.keyspace.notify(c.dbIndex, event, key, cls);
  server.dirty(changes);
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

/** Byte view of a stored value (strings may be stored as latin1 JS strings). */
export function toBuffer(v: BulkValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
}

/** Resolves LRANGE/GETRANGE-style start/end against a length: [start, end] clamped, or null if empty. */
export function clampRange(start: number, end: number, len: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0 || start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}
