/**
 * Sizing the keyspace before a command-format AOF base is replayed: the AOF's counterpart of the
 * RDB's RESIZEDB (rdbLoad's dictExpand), so that replaying a base of a million SETs does not grow
 * the key table one split (or one rehash step) per insert, each reading a random chain.
 *
 * Invariants:
 * - Only an estimate, never a change of what loads: countSets reads the commands' framing only
 *   (no argument is copied), follows SELECT, and stops quietly at the first thing it does not
 *   understand (the replay that follows reports it). A db is sized only while it is empty, and
 *   only when the estimate is at least PRESIZE_MIN keys.
 * - The estimate is the number of top-level SET commands per db: a rewritten base (Redis's or
 *   Redust's rewriteAppendOnlyFileRio) has exactly one SET per string key; other types are left
 *   to the table's own growth. Callers use it for base files only: an incr file may SET the same
 *   key many times.
 *
 * Complexity: O(commands) reading a few bytes per argument (no allocation per command).
 */
import type { Server } from '../server/server';
import { BAD, countLine, line } from './aof-lines';

/** Below this many keys growing as usual costs little: no sizing. */
export const PRESIZE_MIN = 4096;

/** Whether buf[at, at + len) is `word` (lowercase ASCII) in any case. */
function isWord(buf: Buffer, at: number, len: number, word: string): boolean {
  if (len !== word.length) return false;
  for (let i = 0; i < len; i++) if ((buf[at + i] | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

/** SET commands per db number in buf from pos (db 0 first, as a replay starts). */
export function countSets(buf: Buffer, pos: number): Map<number, number> {
  const counts = new Map<number, number>();
  let db = 0;
  let sets = 0;
  let p = pos;
  const end = buf.length;
  while (p < end) {
    if (buf[p] === 35 /* '#' annotation */) {
      const nl = buf.indexOf(10, p);
      if (nl < 0) break;
      p = nl + 1;
      continue;
    }
    const afterArgc = buf[p] === 42 /* '*' */ ? countLine(buf, p) : BAD;
    if (afterArgc < 0 || line.value < 1) break;
    const argc = line.value;
    p = afterArgc;
    let kind = 0; // 1: SET, 2: SELECT
    let selected = -1;
    let ok = true;
    for (let i = 0; i < argc; i++) {
      const at = buf[p] === 36 /* '$' */ ? countLine(buf, p) : BAD;
      const len = line.value;
      if (at < 0 || at + len + 2 > end) {
        ok = false;
        break;
      }
      if (i === 0) kind = isWord(buf, at, len, 'set') ? 1 : isWord(buf, at, len, 'select') ? 2 : 0;
      else if (i === 1 && kind === 2) selected = len > 0 && len < 10 ? Number(buf.latin1Slice(at, at + len)) : -1;
      p = at + len + 2;
    }
    if (!ok) break;
    if (kind === 1) sets++;
    else if (kind === 2 && Number.isInteger(selected) && selected >= 0) {
      if (sets > 0) counts.set(db, (counts.get(db) ?? 0) + sets);
      sets = 0;
      db = selected;
    }
  }
  if (sets > 0) counts.set(db, (counts.get(db) ?? 0) + sets);
  return counts;
}

/**
 * Size each empty db of the server for the SETs the base in buf (from pos) holds, through the
 * engine's RESIZEDB (Engine.rdbFastLoader's resize). Engines without one are left as they are.
 */
export function presizeForBase(s: Server, buf: Buffer, pos: number): void {
  if (s.engine.rdbFastLoader === undefined) return;
  const counts = countSets(buf, pos);
  let loader: ReturnType<NonNullable<typeof s.engine.rdbFastLoader>> | null = null;
  for (const [db, n] of counts) {
    if (n < PRESIZE_MIN || db >= s.dbs.length || s.dbs[db].size() !== 0) continue;
    loader ??= s.engine.rdbFastLoader(buf);
    loader.resize(s.dbs[db], n);
  }
  loader?.done();
}
