/**
 * Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE's data, DUMP, RESTORE. The file
 * formats and payloads live in src/persistence/ (DEBUG RELOAD and DIGEST are in debug.ts).
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, SYNTAX } from './errors';
import { intArg, isWord } from './args';
import { alreadyExpired, lookupRead, written } from './keyspace';
import { applyAccess, dumpPayload, loadPayload, saveRdb, verifyPayload } from '../persistence/rdb';
import { bgsaveInProgress, scheduleBgsave, startBgsave } from '../persistence/bgsave';
import { ClientFlag } from '../server/client';

export const BUSYKEY = 'BUSYKEY Target key name already exists.';
export const BAD_PAYLOAD = 'ERR DUMP payload version or checksum are wrong';
export const BAD_DATA = 'ERR Bad data format';

export const BGSAVE_IN_PROGRESS = 'ERR Background save already in progress';

function save(c: Client): void {
  if (bgsaveInProgress(c.server)) fail(BGSAVE_IN_PROGRESS);
  try {
    saveRdb(c.server);
  } catch {
    fail('ERR');
  }
  c.reply.ok();
}

/** BGSAVE [SCHEDULE] (bgsaveCommand). Without other background jobs, SCHEDULE only matters in EXEC. */
function bgsave(c: Client, argv: Buffer[]): void {
  if (argv.length > 1 && !(argv.length === 2 && isWord(argv[1], 'schedule'))) fail(SYNTAX);
  const s = c.server;
  if (bgsaveInProgress(s)) fail(BGSAVE_IN_PROGRESS);
  const schedule = argv.length === 2;
  if (s.aof.rewriteInProgress || c.flags & ClientFlag.IN_EXEC) {
    // hasActiveChildProcess() (an AOF rewrite) or inside EXEC: later, or refused without SCHEDULE.
    if (!schedule && !(c.flags & ClientFlag.IN_EXEC)) {
      fail("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
    }
    scheduleBgsave(s);
    return c.reply.simple('Background saving scheduled');
  }
  startBgsave(s);
  c.reply.simple('Background saving started');
}

function dump(c: Client, argv: Buffer[]): void {
  const v = lookupRead(c, argv[1]);
  if (v === undefined) return c.reply.nil();
  c.reply.bulk(dumpPayload(c.server, v));
}

function restore(c: Client, argv: Buffer[]): void {
  let replace = false;
  let absttl = false;
  let idle = -1;
  let freq = -1;
  for (let j = 4; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    if (isWord(argv[j], 'replace')) replace = true;
    else if (isWord(argv[j], 'absttl')) absttl = true;
    else if (isWord(argv[j], 'idletime') && additional >= 1 && freq === -1) {
      idle = intArg(argv[++j]);
      if (idle < 0) fail('ERR Invalid IDLETIME value, must be >= 0');
    } else if (isWord(argv[j], 'freq') && additional >= 1 && idle === -1) {
      freq = intArg(argv[++j]);
      if (freq < 0 || freq > 255) fail('ERR Invalid FREQ value, must be >= 0 and <= 255');
    } else fail(SYNTAX);
  }
  const key = argv[1];
  if (!replace && c.db.has(key)) fail(BUSYKEY);
  let ttl = intArg(argv[2]);
  if (ttl < 0) fail('ERR Invalid TTL value, must be >= 0');
  const payload = argv[3];
  if (!verifyPayload(c.server, payload)) fail(BAD_PAYLOAD);
  const obj = loadPayload(c.server, payload);
  if (obj === null) fail(BAD_DATA);
  // (REPLACE deletes the old key as it is, an expired one too, with no `expired` event: Redis's
  // dbDelete, no lookup.)
  let deleted = false;
  if (replace) deleted = c.server.dbDelete(c.db, key);
  const now = c.server.clock.now();
  if (ttl && !absttl) ttl += now;
  if (ttl && alreadyExpired(c, ttl)) {
    // Already expired: the key is (still) deleted, as Redis does.
    if (deleted) written(c, key, 'del', 'g');
    return c.reply.ok();
  }
  c.db.set(key, obj);
  if (ttl) c.db.setExpire(key, ttl);
  if (idle >= 0 || freq >= 0) applyAccess(c.server, c.db, key, idle, freq);
  written(c, key, 'restore', 'g');
  c.reply.ok();
}

/** DEBUG RELOAD: save, empty every db and the functions, load the file again. */
/** BGREWRITEAOF: a rewrite from the point-in-time snapshot, without fork (persistence/aof.ts). */
function bgrewriteaof(c: Client): void {
  const s = c.server;
  if (s.aof.rewriteInProgress) fail('ERR Background append only file rewriting already in progress');
  if (bgsaveInProgress(s) || c.flags & ClientFlag.IN_EXEC) {
    // Redis runs one child at a time: the rewrite starts when the BGSAVE is done.
    s.aof.rewriteScheduled = true;
    return c.reply.simple('Background append only file rewriting scheduled');
  }
  s.aof.startRewrite();
  c.reply.simple('Background append only file rewriting started');
}

export const commands: CommandRow[] = [
  { name: 'save', handler: save },
  { name: 'bgrewriteaof', handler: bgrewriteaof },
  { name: 'bgsave', handler: bgsave },
  { name: 'dump', handler: dump },
  { name: 'restore', handler: restore },
];
