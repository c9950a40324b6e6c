/**
 * SORT and SORT_RO (Redis sort.c) over lists, sets and sorted sets: BY patterns (with '*' and
 * hash "->field" dereference, or a constant pattern for "nosort"), LIMIT, GET (# and patterns),
 * ASC/DESC, ALPHA and STORE (SORT only). Uses only the ListValue/SetValue/ZSetValue interfaces.
 *
 * Comparison follows sortCompare: numeric scores with a binary tie-break on the element, or
 * ALPHA, where STORE compares binary (compareStringObjects) and replies compare like strcoll in
 * the C locale (bytes up to the first NUL). Array.prototype.sort is stable, like glibc's merge
 * sort behind qsort, so equal ALPHA/BY keys keep the input order.
 */
import type { BulkValue, HashValue, ListValue, SetValue, ZSetValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { CommandRow } from './table';
import { fail, NOT_INT, SYNTAX, WRONGTYPE } from './errors';
import { isWord } from './args';
import { deleteDestination, lookupRead } from './keyspace';
import { toBuffer } from '../util/bytes';
import { parseInt64, strtodAll } from '../util/number';

interface SortItem {
  obj: Buffer;
  score: number;
  cmp: Buffer | null;
}

/** strchr-style search for a byte before the first NUL. */
function cIndexOf(b: Buffer, byte: number, from = 0): number {
  for (let i = from; i < b.length; i++) {
    if (b[i] === 0) return -1;
    if (b[i] === byte) return i;
  }
  return -1;
}

/** lookupKeyByPattern: '#' is the element itself; "pre*post" a string key; "pre*post->field" a hash field. */
function lookupByPattern(c: Client, pattern: Buffer, subst: Buffer): Buffer | null {
  if (pattern.length >= 1 && pattern[0] === 35 && (pattern.length === 1 || pattern[1] === 0)) return subst;
  const p = cIndexOf(pattern, 42);
  if (p === -1) return null;
  // strstr(p+1, "->") with a non-empty field after it
  let f = -1;
  for (let i = p + 1; i + 1 < pattern.length; i++) {
    if (pattern[i] === 0) break;
    if (pattern[i] === 45 && pattern[i + 1] === 62) {
      f = i;
      break;
    }
  }
  let fieldLen = 0;
  let field: Buffer | null = null;
  if (f !== -1 && f + 2 < pattern.length && pattern[f + 2] !== 0) {
    fieldLen = pattern.length - f - 2;
    field = pattern.subarray(f + 2);
  }
  const prefixLen = p;
  const postfixLen = pattern.length - (prefixLen + 1) - (fieldLen ? fieldLen + 2 : 0);
  const key = Buffer.concat([pattern.subarray(0, prefixLen), subst, pattern.subarray(p + 1, p + 1 + postfixLen)]);
  const v = lookupRead(c, key);
  if (v === undefined) return null;
  const t = typeOfValue(v);
  if (!field) return t === 'string' ? toBuffer(v as BulkValue) : null;
  if (t !== 'hash') return null;
  const fv = (v as HashValue).get(field);
  return fv === undefined ? null : toBuffer(fv);
}

/** compareStringObjects (binary): memcmp, then length. */
function binaryCmp(a: Buffer, b: Buffer): number {
  return Buffer.compare(a, b);
}

/** strcoll in the C locale: bytes up to the first NUL. */
function collCmp(a: Buffer, b: Buffer): number {
  const za = a.indexOf(0);
  const zb = b.indexOf(0);
  return Buffer.compare(za === -1 ? a : a.subarray(0, za), zb === -1 ? b : b.subarray(0, zb));
}

function sortGeneric(c: Client, argv: Buffer[], readonly: boolean): void {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: Buffer | null = null;
  let storekey: Buffer | null = null;
  const gets: Buffer[] = [];
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (isWord(a, 'asc')) desc = false;
    else if (isWord(a, 'desc')) desc = true;
    else if (isWord(a, 'alpha')) alpha = true;
    else if (isWord(a, 'limit') && left >= 2) {
      const s = parseInt64(argv[j + 1]);
      if (Number.isNaN(s)) fail(NOT_INT);
      const n = parseInt64(argv[j + 2]);
      if (Number.isNaN(n)) fail(NOT_INT);
      limitStart = s;
      limitCount = n;
      j += 2;
    } else if (!readonly && isWord(a, 'store') && left >= 1) {
      storekey = argv[++j];
    } else if (isWord(a, 'by') && left >= 1) {
      sortby = argv[++j];
      if (cIndexOf(sortby, 42) === -1) dontsort = true;
      else if (!c.server.acl.fullKeyAccess(c, c.cmd!, argv)) fail('ERR BY option of SORT denied due to insufficient ACL permissions.');
    } else if (isWord(a, 'get') && left >= 1) {
      if (!c.server.acl.fullKeyAccess(c, c.cmd!, argv)) fail('ERR GET option of SORT denied due to insufficient ACL permissions.');
      gets.push(argv[++j]);
    } else fail(SYNTAX);
  }

  const v = lookupRead(c, argv[1]);
  const type = v === undefined ? 'list' : typeOfValue(v);
  if (type !== 'list' && type !== 'set' && type !== 'zset') fail(WRONGTYPE);

  if (dontsort && type === 'set' && (storekey || c.flags & ClientFlag.SCRIPT)) {
    // Sets have no order of their own: force ALPHA so replication and scripts are deterministic.
    dontsort = false;
    alpha = true;
    sortby = null;
  }

  // sortCommand destructively converts sorted sets to the skiplist encoding.
  if (type === 'zset') (v as ZSetValue).convertToSkiplist();

  let vectorlen = v === undefined ? 0 : (v as ListValue | SetValue | ZSetValue).size;
  let start = limitStart < 0 ? 0 : limitStart;
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  const vector: SortItem[] = [];
  const push = (m: BulkValue): void => void vector.push({ obj: toBuffer(m), score: 0, cmp: null });
  if (v !== undefined) {
    if ((type === 'list' || type === 'zset') && dontsort) {
      // Native order, LIMIT applied while loading.
      if (end >= start) {
        if (type === 'list') {
          const l = v as ListValue;
          if (desc) l.range(l.size - end - 1, l.size - start - 1, push);
          else l.range(start, end, push);
          if (desc) vector.reverse();
        } else (v as ZSetValue).rangeByRank(start, end, desc, push);
        end -= start;
        start = 0;
      }
    } else if (type === 'list') {
      const l = v as ListValue;
      if (l.size > 0) l.range(0, l.size - 1, push);
    } else if (type === 'set') (v as SetValue).forEach(push);
    else {
      const z = v as ZSetValue;
      if (z.size > 0) z.rangeByRank(0, z.size - 1, false, push);
    }
  }

  let conversionError = false;
  if (!dontsort) {
    for (const it of vector) {
      let byval: Buffer | null;
      if (sortby) {
        byval = lookupByPattern(c, sortby, it.obj);
        if (byval === null) continue;
      } else byval = it.obj;
      if (alpha) {
        if (sortby) it.cmp = byval;
      } else {
        const s = byval.latin1Slice(0, byval.length);
        const d = strtodAll(s);
        if (d === null || Number.isNaN(d) || overflowOrUnderflow(s, d)) conversionError = true;
        else it.score = d;
      }
    }
    const store = storekey !== null;
    const cmp = (a: SortItem, b: SortItem): number => {
      let r: number;
      if (!alpha) {
        r = a.score > b.score ? 1 : a.score < b.score ? -1 : binaryCmp(a.obj, b.obj);
      } else if (sortby) {
        if (!a.cmp || !b.cmp) r = a.cmp === b.cmp ? 0 : a.cmp === null ? -1 : 1;
        else r = store ? binaryCmp(a.cmp, b.cmp) : collCmp(a.cmp, b.cmp);
      } else r = store ? binaryCmp(a.obj, b.obj) : collCmp(a.obj, b.obj);
      return desc ? -r : r;
    };
    vector.sort(cmp);
  }

  const count = end - start + 1;
  const outputlen = gets.length ? gets.length * count : count;
  if (conversionError) fail("ERR One or more scores can't be converted into double");
  if (storekey === null) {
    c.reply.array(Math.max(0, outputlen));
    for (let j = start; j <= end; j++) {
      const obj = vector[j].obj;
      if (!gets.length) c.reply.bulk(obj);
      for (const g of gets) {
        const val = lookupByPattern(c, g, obj);
        if (val === null) c.reply.nil();
        else c.reply.bulk(val);
      }
    }
    return;
  }
  const list = c.server.engine.newList();
  for (let j = start; j <= end; j++) {
    const obj = vector[j].obj;
    if (!gets.length) list.pushTail(obj);
    else for (const g of gets) list.pushTail(lookupByPattern(c, g, obj) ?? EMPTY);
  }
  if (outputlen > 0) {
    // (Wakes blocked clients only as a new key: storeValue.)
    c.db.set(storekey, list);
    c.server.signalModifiedKey(c.dbIndex, storekey);
    c.server.keyspace.notify(c.dbIndex, 'sortstore', storekey, 'l');
    c.server.dirty(outputlen);
  } else deleteDestination(c, storekey);
  c.reply.int(Math.max(0, outputlen));
}

const EMPTY = Buffer.alloc(0);

/** strtod's ERANGE: finite text overflowing to inf, or non-zero digits underflowing to 0. */
function overflowOrUnderflow(s: string, d: number): boolean {
  if (!Number.isFinite(d)) return !/inf/i.test(s);
  if (d === 0) return /[1-9]/.test(s.replace(/[eEpP].*$/, ''));
  return false;
}

function sort(c: Client, argv: Buffer[]): void {
  sortGeneric(c, argv, false);
}

function sortRo(c: Client, argv: Buffer[]): void {
  sortGeneric(c, argv, true);
}

export const commands: CommandRow[] = [
  { name: 'sort', handler: sort },
  { name: 'sort_ro', handler: sortRo },
];
