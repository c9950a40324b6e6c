/**
 * DEBUG DIGEST and DEBUG DIGEST-VALUE computed as Redis 7.0's debug.c does, so two servers holding
 * the same data report the same digest:
 *   xorDigest(d, bytes): d ^= SHA1(bytes);  mixDigest(d, bytes): xorDigest, then d = SHA1(d).
 * Per key: mix(key), mix(type as big-endian u32), then the value (strings mixed; list elements
 * mixed in order; set members xored; hash fields and zset members each digested into their own
 * 20 bytes and xored; zset scores as "%.17g"; stream IDs as "ms.seq" then fields and values),
 * then "!!expire!!" xored when the key has a TTL. The dataset digest mixes each non-empty db's
 * number (big-endian u32) and xors every key's digest. Order-independent where Redis's is.
 */
import { createHash } from 'crypto';
import type { BulkValue, Db, HashValue, ListValue, RedisValue, SetValue, ZSetValue } from '../engine/types';
import type { JsStream } from '../engine/containers/stream';
import { g17 } from './format';
import { sha1Into } from '../util/sha1';

/** Inputs from this length on go to OpenSSL (faster per byte); shorter ones to sha1Into (no per-call cost). */
const CRYPTO_MIN = 4096;
/** A stored JS string's bytes, for sha1Into. */
let scratch = Buffer.alloc(256);
/** The SHA-1 of the last sha1() call. */
const H20 = Buffer.alloc(20);

/** SHA1(data) into H20. */
function sha1(data: BulkValue | Uint8Array): Buffer {
  const len = data.length;
  if (len >= CRYPTO_MIN) {
    const h = createHash('sha1');
    if (typeof data === 'string') h.update(data, 'latin1');
    else h.update(data);
    h.digest().copy(H20);
  } else if (typeof data === 'string') {
    if (scratch.length < len) scratch = Buffer.alloc(Math.max(len, scratch.length * 2));
    scratch.latin1Write(data, 0, len);
    sha1Into(scratch, 0, len, H20, 0);
  } else sha1Into(data, 0, len, H20, 0);
  return H20;
}

function xorDigest(d: Buffer, data: BulkValue | Uint8Array): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) d[i] ^= h[i];
}

function mixDigest(d: Buffer, data: BulkValue | Uint8Array): void {
  xorDigest(d, data);
  sha1(d).copy(d);
}

const TYPE_CODE: Record<string, number> = { string: 0, list: 1, set: 2, zset: 3, hash: 4, stream: 6 };

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** xorObjectDigest into `d`. */
export function objectDigest(d: Buffer, v: RedisValue, hasExpire: boolean): void {
  const isString = typeof v === 'string' || v instanceof Uint8Array;
  mixDigest(d, u32be(isString ? 0 : TYPE_CODE[v.type]));
  if (isString) mixDigest(d, v as BulkValue);
  else {
    switch (v.type) {
      case 'list': {
        const l = v as ListValue;
        l.range(0, l.size - 1, (e) => mixDigest(d, e));
        break;
      }
      case 'set':
        (v as SetValue).forEach((m) => xorDigest(d, m));
        break;
      case 'zset':
        (v as ZSetValue).forEach((m, score) => {
          const e = Buffer.alloc(20);
          mixDigest(e, m);
          mixDigest(e, g17(score));
          xorDigest(d, e);
        });
        break;
      case 'hash':
        (v as HashValue).forEach((f, val) => {
          const e = Buffer.alloc(20);
          mixDigest(e, f);
          mixDigest(e, val);
          xorDigest(d, e);
        });
        break;
      case 'stream': {
        const s = v as unknown as JsStream;
        for (const n of s.nodes) {
          for (let i = 0; i < n.count; i++) {
            if (n.isDeleted(i)) continue;
            const id = n.idAt(i);
            mixDigest(d, `${id.ms}.${id.seq}`);
            for (const s of n.pairs(i)) mixDigest(d, s);
          }
        }
        break;
      }
    }
  }
  if (hasExpire) xorDigest(d, '!!expire!!');
}

function keyBytes(k: BulkValue): Buffer {
  return typeof k === 'string' ? Buffer.from(k, 'latin1') : k;
}

/** DEBUG DIGEST-VALUE for one key (zeros when missing). */
export function valueDigest(db: Db, key: Buffer): string {
  const d = Buffer.alloc(20);
  const v = db.get(key, true);
  if (v !== undefined) objectDigest(d, v, db.getExpire(key) >= 0);
  return d.toString('hex');
}

/** DEBUG DIGEST: computeDatasetDigest. */
export function datasetDigest(dbs: Db[]): string {
  const final = Buffer.alloc(20);
  for (const db of dbs) {
    if (db.size() === 0) continue;
    mixDigest(final, u32be(db.index));
    const keys: Buffer[] = [];
    db.forEachKey((k) => keys.push(keyBytes(k)));
    for (const k of keys) {
      const v = db.get(k, true);
      if (v === undefined) continue;
      const d = Buffer.alloc(20);
      mixDigest(d, k);
      objectDigest(d, v, db.getExpire(k) >= 0);
      xorDigest(final, d);
    }
  }
  return final.toString('hex');
}
