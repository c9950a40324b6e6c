/**
 * zsetAdd's command half (t_zset.c zaddGenericCommand after its argument parsing): ZADD and
 * ZINCRBY (commands/zsets.ts) and GEOADD (commands/geo.ts), which Redis runs through the same
 * code, call it with scores already parsed, so GEOADD adds its encoded geohashes as numbers
 * instead of writing them as digits for ZADD to parse back.
 */
import type { Bytes, ZSetValue } from '../engine/types';
import type { Client } from '../server/client';
import { fail } from './errors';
import { lookupWrite } from './keyspace';
import { encodingLimits } from '../config/config';

/** ZADD's flags (the low four bits are ZSetValue.addMany's, as zsetAdd's). */
export const ZADD_NX = 1;
export const ZADD_XX = 2;
export const ZADD_GT = 4;
export const ZADD_LT = 8;
export const ZADD_INCR = 16;
export const ZADD_CH = 32;

const NAN_ERR = 'ERR resulting score is not a number (NaN)';

/**
 * Add to a zset like zsetAdd: a listpack stores scores as text, and "-0" is read back as the
 * integer 0, so -0 survives only in skiplist-encoded sets.
 */
export function addScore(c: Client, z: ZSetValue, member: Bytes, score: number): void {
  z.add(member, score);
  if (score === 0 && Object.is(score, -0) && z.encoding(encodingLimits(c.server.config)) === 'listpack') {
    // Re-insert rather than update: an engine may treat 0 and -0 as the same score.
    z.delete(member);
    z.add(member, 0);
  }
}

/**
 * Add members[from], members[from + 2]... with `scores` to the sorted set at `key` (created
 * unless XX), with ZADD's flags, notifications and reply (the count, CH's count, or INCR's score).
 * The caller has validated the options (NX with XX, GT with LT...).
 */
export function zsetAddAll(c: Client, key: Bytes, members: Bytes[], from: number, scores: number[], flags: number): void {
  const nx = (flags & ZADD_NX) !== 0;
  const xx = (flags & ZADD_XX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  const incr = (flags & ZADD_INCR) !== 0;
  const elements = scores.length;
  let z = lookupWrite(c, key as Buffer, 'zset');
  let added = 0,
    updated = 0,
    processed = 0;
  let newscore = 0;
  let error: string | null = null;
  // The longest member this command inserts, when longer than zset-max-listpack-value (else 0):
  // only an insert converts a listpack (an updated or skipped member does not), so a long member
  // is looked up first, to know whether it is new. (Short members cannot convert: not looked up.)
  // (Engines whose sets hold their encoding, without settleEncoding, need not know.)
  let longInserted = 0;
  if (!xx && (z === undefined || z.settleEncoding !== undefined)) {
    const maxValue = c.server.config.hot['zset-max-listpack-value'];
    for (let j = 0; j < elements; j++) {
      const m = members[from + j * 2];
      if (m.length > maxValue && m.length > longInserted && (z === undefined || z.score(m) === undefined)) longInserted = m.length;
    }
  }
  if (z !== undefined || !xx) {
    if (z === undefined) {
      z = c.server.engine.newZSet();
      c.db.set(key, z);
      c.server.blocking.signalKeyAsReady(c.dbIndex, key);
    }
    // One engine call for the whole loop where the engine has it (-0 keeps addScore's rule).
    if (z.addMany !== undefined && !incr && !hasNegativeZero(scores)) {
      [added, updated] = z.addMany(members, from, scores, flags & (ZADD_NX | ZADD_XX | ZADD_GT | ZADD_LT));
    } else for (let j = 0; j < elements; j++) {
      const ele = members[from + j * 2];
      let score = scores[j];
      const cur = z.score(ele);
      if (cur !== undefined) {
        if (nx) continue;
        if (incr) {
          score += cur;
          if (Number.isNaN(score)) {
            error = NAN_ERR;
            break;
          }
        }
        if ((lt && score >= cur) || (gt && score <= cur)) continue;
        processed++;
        newscore = score;
        if (score !== cur) {
          addScore(c, z, ele, score);
          updated++;
        }
      } else if (!xx) {
        addScore(c, z, ele, score);
        added++;
        processed++;
        newscore = score;
      }
    }
    c.server.dirty(added + updated);
    if (added > 0 && z.settleEncoding !== undefined) {
      const hot = c.server.config.hot;
      z.settleEncoding(hot['zset-max-listpack-entries'], hot['zset-max-listpack-value'], longInserted);
    }
  }
  if (added || updated) {
    c.server.signalModifiedKey(c.dbIndex, key);
    c.server.keyspace.notify(c.dbIndex, incr ? 'zincr' : 'zadd', key, 'z');
  }
  if (error) fail(error);
  if (incr) {
    if (processed) c.reply.double(newscore);
    else c.reply.nil();
  } else c.reply.int((flags & ZADD_CH) !== 0 ? added + updated : added);
}

function hasNegativeZero(scores: number[]): boolean {
  for (let j = 0; j < scores.length; j++) if (scores[j] === 0 && Object.is(scores[j], -0)) return true;
  return false;
}
