/**
 * DEBUG subcommands that inspect values or turn server knobs (debug.c): OBJECT, LISTPACK,
 * QUICKLIST-PACKED-THRESHOLD, REPLYBUFFER, SET-DISABLE-DENY-SCRIPTS, PAUSE-CRON, AOF-FLUSH-SLEEP,
 * CONFIG-REWRITE-FORCE-ALL, CHANGE-REPL-ID, and two that
 * Redis 7.0.15 does not have, kept because operators asked for them: JMAP (V8 heap figures, the
 * JavaScript counterpart of the old jemalloc map) and STRINGMATCH-LEN (Redis 7.2's glob fuzz test).
 *
 * DEBUG OBJECT's figures: serializedlength is the value's RDB encoding length (rdbSavedObjectLen:
 * the DUMP payload minus its type byte and 10-byte footer); the quicklist fields come from the
 * same encoding (nodes split as quicklist does); "Value at" is an identifier of the key, not an
 * address (Redust values move).
 */
import v8 from 'v8';
import type { Client } from '../server/client';
import { fail } from './errors';
import { latin1, parseInt64 } from '../util/number';
import { parseMemory } from '../config/config';
import { dumpPayload } from '../persistence/rdb';
import * as F from '../persistence/format';
import { RdbReader } from '../persistence/rdb-reader';
import { LpReader } from '../persistence/listpack';
import { encodingLimits } from '../config/config';
import { StrEnc } from '../engine/types';
import type { Container, RedisValue } from '../engine/types';
import { changeReplId, DEFAULT_PACKED_THRESHOLD, DEFAULT_PEAK_RESET_MS, debugStateOf } from '../server/debug-state';
import { globMatch } from '../util/glob';
import { intArg } from './args';
import { rewriteConfigNow } from './server';
import { integersShared } from './keys';

const NO_SUCH_KEY = 'ERR no such key';

function lookupNoTouch(c: Client, key: Buffer): RedisValue {
  const v = c.db.get(key, true);
  if (v === undefined) fail(NO_SUCH_KEY);
  return v;
}

function encodingOf(c: Client, key: Buffer, v: RedisValue): string {
  if (typeof v === 'string' || v instanceof Uint8Array) {
    const enc = c.db.info(key)?.strEnc;
    if (enc === StrEnc.Raw) return 'raw';
    const n = parseInt64(Buffer.from(typeof v === 'string' ? Buffer.from(v, 'latin1') : v));
    if (enc !== StrEnc.Plain && v.length <= 20 && !Number.isNaN(n)) return 'int';
    return v.length <= 44 ? 'embstr' : 'raw';
  }
  return (v as Container).encoding(encodingLimits(c.server.config));
}

/** FNV-1a of db and key: a stable identifier for "Value at". */
function identifier(db: number, key: Buffer): string {
  let h = 0xcbf29ce484222325n;
  for (const b of [db, ...key]) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffn;
  return '0x7f' + h.toString(16).padStart(12, '0').slice(2);
}

/** Nodes, elements per node and uncompressed bytes of a QUICKLIST_2 encoding. */
function quicklistFigures(c: Client, payload: Buffer): { nodes: number; size: number } {
  const r = new RdbReader(payload, { engine: c.server.engine, limits: encodingLimits(c.server.config), now: 0, streamLimits: { maxBytes: 0, maxEntries: 0 } }, 1, payload.length - 10);
  const nodes = r.len();
  let size = 0;
  for (let i = 0; i < nodes; i++) {
    r.len(); // container
    size += r.string().length;
  }
  return { nodes, size };
}

/** DEBUG OBJECT looks the key up with dictFind, as Redis: one past its TTL and not reclaimed yet is described. */
function debugObject(c: Client, key: Buffer): void {
  c.reply.simple(c.server.asIs(() => describeObject(c, key)));
}

function describeObject(c: Client, key: Buffer): string {
  const v = lookupNoTouch(c, key);
  const info = c.db.info(key)!;
  const s = c.server;
  const payload = dumpPayload(s, v);
  const enc = encodingOf(c, key, v);
  let refcount = 1;
  if (enc === 'int' && integersShared(s.config)) {
    const n = parseInt64(Buffer.from(typeof v === 'string' ? Buffer.from(v, 'latin1') : (v as Uint8Array)));
    if (n >= 0 && n < 10000) refcount = 2147483647;
  }
  const lfu = s.config.str('maxmemory-policy').endsWith('lfu');
  const lruField = lfu ? (((Math.floor(info.lru / 60000) & 0xffff) << 8) | info.freq) : Math.floor(info.lru / 1000) & 0xffffff;
  const idle = Math.max(0, Math.floor((s.clock.now() - info.lru) / 1000));
  let extra = '';
  if (enc === 'quicklist') {
    const len = (v as Container & { size: number }).size;
    const { nodes, size } = quicklistFigures(c, payload);
    extra = ` ql_nodes:${nodes} ql_avg_node:${(nodes ? len / nodes : 0).toFixed(2)} ql_listpack_max:${s.config.int('list-max-listpack-size')} ql_compressed:${((v as { compressDepth?(): number }).compressDepth?.() ?? 0) !== 0 ? 1 : 0} ql_uncompressed_size:${size}`;
  }
  return `Value at:${identifier(c.dbIndex, key)} refcount:${refcount} encoding:${enc} serializedlength:${payload.length - 11} lru:${lruField} lru_seconds_idle:${idle}${extra}`;
}

/** DEBUG LISTPACK: the listpack's entries to the log (Redis prints lpRepr on stdout). */
function debugListpack(c: Client, key: Buffer): void {
  const v = lookupNoTouch(c, key);
  if (encodingOf(c, key, v) !== 'listpack') fail('ERR Not a listpack encoded object.');
  const payload = dumpPayload(c.server, v);
  const r = new RdbReader(payload, { engine: c.server.engine, limits: encodingLimits(c.server.config), now: 0, streamLimits: { maxBytes: 0, maxEntries: 0 } }, 1, payload.length - 10);
  const lp = Buffer.from(r.string());
  const rd = new LpReader(lp, 0, lp.length);
  const entries: string[] = [];
  while (rd.next()) entries.push(rd.isInt ? String(rd.int) : lp.latin1Slice(rd.sStart, rd.sStart + rd.sLen));
  c.server.logger.info({ key: latin1(key), total_bytes: lp.length, num_elements: rd.headerCount, entries }, 'DEBUG LISTPACK');
  c.reply.simple('Listpack structure printed on stdout');
}

function packedThreshold(c: Client, arg: Buffer): void {
  const n = parseMemory(latin1(arg));
  if (Number.isNaN(n) || n < 0 || n > 2 ** 32 - 2 ** 20) fail('ERR argument must be a memory value bigger than 1 and smaller than 4gb');
  debugStateOf(c.server).packedThreshold = n === 0 ? DEFAULT_PACKED_THRESHOLD : n;
  c.reply.ok();
}

/** C atoi: optional sign and leading digits, 0 otherwise. */
function atoi(b: Buffer): number {
  const m = /^\s*([+-]?\d+)/.exec(latin1(b));
  return m ? Number(m[1]) | 0 : 0;
}

function replyBuffer(c: Client, argv: Buffer[]): void {
  const st = debugStateOf(c.server);
  const what = latin1(argv[2]).toLowerCase();
  const val = latin1(argv[3]).toLowerCase();
  if (what === 'peak-reset-time') {
    if (val === 'never') st.replyBufferPeakResetMs = -1;
    else if (val === 'reset') st.replyBufferPeakResetMs = DEFAULT_PEAK_RESET_MS;
    else st.replyBufferPeakResetMs = intArg(argv[3]);
  } else if (what === 'resizing') st.replyBufferResizing = atoi(argv[3]) !== 0;
  else fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try DEBUG HELP.`);
  c.reply.ok();
}

/** DEBUG JMAP (Redust): the V8 heap's figures, one "name: bytes" line each, then per space. */
function jmap(c: Client): void {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(v8.getHeapStatistics())) lines.push(`${k}:${v}`);
  for (const sp of v8.getHeapSpaceStatistics()) {
    lines.push(`space.${sp.space_name}:size=${sp.space_size},used=${sp.space_used_size},available=${sp.space_available_size},physical=${sp.physical_space_size}`);
  }
  const mu = process.memoryUsage();
  lines.push(`rss:${mu.rss}`, `external:${mu.external}`, `array_buffers:${mu.arrayBuffers}`);
  c.reply.verbatim(lines.join('\n') + '\n');
}

/** DEBUG STRINGMATCH-LEN (Redis 7.2's stringmatchlen_fuzz_test): random patterns must not crash or hang. */
function stringmatchFuzz(c: Client): void {
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const str = Buffer.alloc(32);
  const pat = Buffer.alloc(32);
  let matches = 0;
  for (let cycles = 0; cycles < 100_000; cycles++) {
    const sl = rand() % 32;
    const pl = rand() % 32;
    for (let j = 0; j < sl; j++) str[j] = rand() % 128;
    for (let j = 0; j < pl; j++) pat[j] = rand() % 128;
    if (globMatch(pat.subarray(0, pl), str.subarray(0, sl), false)) matches++;
  }
  c.server.logger.debug(`DEBUG STRINGMATCH-LEN: ${matches} matches`);
  c.reply.simple('Apparently Redis did not crash: test passed');
}

export function debugInspect(c: Client, sub: string, argv: Buffer[]): boolean {
  const n = argv.length;
  if (sub === 'object' && n === 3) debugObject(c, argv[2]);
  else if (sub === 'listpack' && n === 3) debugListpack(c, argv[2]);
  else if (sub === 'quicklist-packed-threshold' && n === 3) packedThreshold(c, argv[2]);
  else if (sub === 'replybuffer' && n === 4) replyBuffer(c, argv);
  else if (sub === 'set-disable-deny-scripts' && n === 3) {
    debugStateOf(c.server).disableDenyScripts = atoi(argv[2]) !== 0;
    c.reply.ok();
  } else if (sub === 'pause-cron' && n === 3) {
    debugStateOf(c.server).pauseCron = atoi(argv[2]) !== 0;
    c.reply.ok();
  } else if (sub === 'config-rewrite-force-all' && n === 2) {
    // (Redis opens a NULL path without a config file: EFAULT.)
    const err = c.server.configFile ? rewriteConfigNow(c, true) : 'Bad address';
    if (err !== null) fail(`ERR CONFIG-REWRITE-FORCE-ALL failed: ${err}`);
    c.reply.ok();
  } else if (sub === 'set-skip-checksum-validation' && n === 3) {
    debugStateOf(c.server).skipChecksumValidation = atoi(argv[2]) !== 0;
    c.reply.ok();
  } else if (sub === 'aof-flush-sleep' && n === 3) {
    debugStateOf(c.server).aofFlushSleepUs = atoi(argv[2]);
    c.reply.ok();
  } else if (sub === 'change-repl-id' && n === 2) {
    changeReplId(c.server);
    c.reply.ok();
  } else if (sub === 'jmap' && n === 2) jmap(c);
  else if (sub === 'stringmatch-len' && n === 2) stringmatchFuzz(c);
  else return false;
  return true;
}
