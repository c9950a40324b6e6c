/**
 * DEBUG subcommands for operators and tests (debug.c): POPULATE, LOG, ERROR, PROTOCOL. Called by
 * DEBUG (server.ts) after its enable-debug-command check; returns false for other subcommands.
 */
import type { Client } from '../server/client';
import { fail, NOT_POSITIVE } from './errors';
import { latin1, parseInt64 } from '../util/number';

/** getPositiveLongFromObjectOrReply: a non-integer gets the range message too. */
function positive(arg: Buffer): number {
  const n = parseInt64(arg);
  if (Number.isNaN(n) || n < 0) fail(NOT_POSITIVE);
  return n;
}

/** DEBUG POPULATE count [prefix] [size]: keys prefix:N with "value:N" (zero padded to size). */
function populate(c: Client, argv: Buffer[]): void {
  const valsize = argv.length === 5 ? positive(argv[4]) : 0;
  const keys = positive(argv[2]);
  const prefix = argv.length >= 4 ? latin1(argv[3]) : 'key';
  const db = c.db;
  // One value buffer for every key (the engines copy a value they store): a Buffer.alloc per key
  // made a million off-heap buffers for 1M keys, garbage whose full GC the next BGSAVE or
  // BGREWRITEAOF then paid for in the middle of its steps.
  const scratch = valsize !== 0 ? Buffer.alloc(valsize) : null;
  for (let j = 0; j < keys; j++) {
    const key = Buffer.from(`${prefix}:${j}`, 'latin1');
    if (db.has(key)) continue;
    let val: Buffer;
    if (scratch !== null) {
      // (ASCII: its latin1 bytes are its UTF-8 bytes; cut at valsize)
      const n = scratch.latin1Write(`value:${j}`, 0, valsize);
      scratch.fill(0, n);
      val = scratch;
    } else val = Buffer.from(`value:${j}`);
    db.set(key, val);
    c.server.signalModifiedKey(c.dbIndex, key);
  }
  c.reply.ok();
}

/** DEBUG PROTOCOL <type>: one reply of each RESP3 type (degraded to RESP2 as Redis does). */
function protocol(c: Client, name: string): void {
  const r = c.reply;
  switch (name) {
    case 'string':
      return r.bulk('Hello World');
    case 'integer':
      return r.int(12345);
    case 'double':
      return r.double(3.141);
    case 'bignum':
      return r.bigNumber('1234567999999999999999999999999999999');
    case 'null':
      return r.nil();
    case 'array':
    case 'set':
      if (name === 'array') r.array(3);
      else r.set(3);
      for (let j = 0; j < 3; j++) r.int(j);
      return;
    case 'map':
      r.map(3);
      for (let j = 0; j < 3; j++) {
        r.int(j);
        r.bool(j === 1);
      }
      return;
    case 'attrib':
      if (c.resp === 3) {
        c.writer.rawString('|1\r\n');
        r.bulk('key-popularity');
        r.array(2);
        r.bulk('key:123');
        r.int(90);
      }
      return r.bulk('Some real reply following the attribute');
    case 'push':
      if (c.resp < 3) fail('ERR RESP2 is not supported by this command');
      r.push(2);
      r.bulk('server-cpu-usage');
      r.int(42);
      return r.bulk('Some real reply following the push reply');
    case 'true':
      return r.bool(true);
    case 'false':
      return r.bool(false);
    case 'verbatim':
      return r.verbatim('This is a verbatim\nstring');
    default:
      fail('ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false');
  }
}

export function debugOps(c: Client, sub: string, argv: Buffer[]): boolean {
  if (sub === 'populate' && argv.length >= 3 && argv.length <= 5) populate(c, argv);
  else if (sub === 'log' && argv.length === 3) {
    c.server.logger.warn(`DEBUG LOG: ${latin1(argv[2])}`);
    c.reply.ok();
  } else if (sub === 'error' && argv.length === 3) {
    // The text as the whole error line, as Redis writes it ("-" + text).
    c.reply.error(latin1(argv[2]));
  }
  else if (sub === 'protocol' && argv.length === 3) protocol(c, latin1(argv[2]).toLowerCase());
  else return false;
  return true;
}
