/**
 * redis-check-rdb's report (Redis's redis-check-rdb.c), which Redis prints when an RDB file fails
 * to load at start (rdbReportError runs the checker on the file being loaded): the file's records
 * walked again from the start, each AUX field and SELECTDB named with the offset after it, then at the
 * first problem "--- RDB ERROR DETECTED ---", the error, what the checker was doing and the key
 * and type it was reading, and the counts read so far. The values read are not kept; the caller
 * terminates the server after the report.
 */
import type { ReadOptions } from './rdb-reader';
import { RdbReader, rdbFileVersion } from './rdb-reader';
import { RdbError } from './errors';
import * as F from './format';
import { crc64, crc64EqualsLE } from './crc64';

/** rdb_type_string: the name of each object type (Redis 7.0's table stops before stream-v2). */
const TYPE_NAMES = [
  'string', 'list-linked', 'set-hashtable', 'zset-v1', 'hash-hashtable', 'zset-v2', 'module-value', '', '', 'hash-zipmap', 'list-ziplist',
  'set-intset', 'zset-ziplist', 'hash-ziplist', 'quicklist', 'stream', 'hash-listpack', 'zset-listpack', 'quicklist-v2', 'stream-v2',
];

/** The report's lines for the file `name` held in `buf`; `describe` words an error as the load's log line does. */
export function rdbCheckReport(buf: Buffer, name: string, opts: ReadOptions, checksum: boolean, describe: (e: unknown) => string): string[] {
  const out = [`[offset 0] Checking RDB file ${name}`];
  const r = new RdbReader(buf, opts, 0, buf.length);
  let doing = 'start';
  let key: string | null = null;
  let type = -1;
  let keys = 0;
  let expires = 0;
  let alreadyExpired = 0;
  let expireAt = -1;
  const info = () => [`[info] ${keys} keys read`, `[info] ${expires} expires`, `[info] ${alreadyExpired} already expired`];
  try {
    const ver = rdbFileVersion(buf);
    r.pos = 9;
    for (;;) {
      doing = 'read-type';
      const at = r.pos;
      const t = r.u8();
      if (t === F.RDB_OPCODE_EXPIRETIME || t === F.RDB_OPCODE_EXPIRETIME_MS) {
        doing = 'read-expire';
        if (t === F.RDB_OPCODE_EXPIRETIME) {
          r.need(4);
          expireAt = buf.readInt32LE(r.pos) * 1000;
          r.pos += 4;
        } else expireAt = r.millis();
        continue;
      }
      if (t === F.RDB_OPCODE_FREQ) {
        r.u8();
        continue;
      }
      if (t === F.RDB_OPCODE_IDLE) {
        r.lenU64();
        continue;
      }
      if (t === F.RDB_OPCODE_SELECTDB) {
        doing = 'read-len';
        const id = r.len();
        out.push(`[offset ${r.pos}] Selecting DB ID ${id}`);
        continue;
      }
      if (t === F.RDB_OPCODE_RESIZEDB) {
        doing = 'read-len';
        r.lenU64();
        r.lenU64();
        continue;
      }
      if (t === F.RDB_OPCODE_AUX) {
        doing = 'read-aux';
        const k = r.string().latin1Slice();
        const v = r.string().latin1Slice();
        out.push(`[offset ${r.pos}] AUX FIELD ${k} = '${v}'`);
        continue;
      }
      if (t === F.RDB_OPCODE_MODULE_AUX) {
        doing = 'read-module-aux';
        throw new RdbError("The RDB file contains AUX module data I can't load", at);
      }
      if (t === F.RDB_OPCODE_FUNCTION2 || t === F.RDB_OPCODE_FUNCTION_PRE_GA) {
        doing = 'read-functions';
        if (t === F.RDB_OPCODE_FUNCTION_PRE_GA) throw new RdbError('Pre-release function format not supported.', at);
        r.string();
        continue;
      }
      if (t === F.RDB_OPCODE_EOF) break;
      if (!F.isObjectType(t)) throw new RdbError(`Unknown object type ${t} in RDB file`, at);
      type = t;
      doing = 'read-key';
      key = r.string().latin1Slice();
      keys++;
      doing = 'read-object-value';
      r.object(t);
      if (expireAt !== -1) {
        expires++;
        if (expireAt < opts.now) alreadyExpired++;
      }
      expireAt = -1;
      key = null;
      type = -1;
    }
    if (ver >= 5) {
      doing = 'check-sum';
      const tail = r.pos;
      r.need(8);
      if (!checksum || (buf.readUInt32LE(tail) === 0 && buf.readUInt32LE(tail + 4) === 0)) out.push(`[offset ${tail}] RDB CRC64 checksum is 0`);
      else if (crc64EqualsLE(crc64(buf, 0, tail), buf, tail)) out.push(`[offset ${tail}] Checksum OK`);
      else throw new RdbError('RDB CRC error', tail);
    }
    out.push(`[offset ${r.pos}] \\o/ RDB looks OK! \\o/`, ...info());
  } catch (e) {
    out.push('--- RDB ERROR DETECTED ---', `[offset ${r.pos}] ${describe(e)}`, `[additional info] While doing: ${doing}`);
    if (key !== null) out.push(`[additional info] Reading key '${key}'`);
    if (type !== -1) out.push(`[additional info] Reading type ${type} (${TYPE_NAMES[type]})`);
    out.push(...info());
  }
  return out;
}
