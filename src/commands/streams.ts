/**
 * Stream commands (Redis 7.0 t_stream.c), the log itself: XADD, XTRIM, XLEN, XRANGE/XREVRANGE,
 * XDEL, XREAD, XREADGROUP and XSETID. Consumer groups' own commands are in stream-groups.ts; the
 * ID arguments and entry replies both use are in stream-args.ts.
 *
 * The stream value is the engine's (Engine.newStream()). Blocking XREAD/XREADGROUP wait through
 * commands/blocking.ts; XADD signals the key as ready and waiters are served (in arrival order)
 * after the outermost command.
 */
import { ClientFlag } from '../server/client';
import type { Client } from '../server/client';
import { readyOrder } from '../server/blocking';
import type { Reply } from '../protocol/reply';
import type { CommandRow } from './table';
import { fail, NO_SUCH_KEY, SYNTAX, wrongArgs } from './errors';
import { intArg, isWord } from './args';
import { lookupRead, lookupWrite, peekTyped } from './keyspace';
import { blockForKeys, canBlock, timeoutArg, TimeoutUnit } from './blocking';
import { INVALID_ID, strictIdArg, rangeStart, rangeEnd, replyId, RWR, replyWithRange, nodeLimits, getOrCreateConsumer, propagateConsumerCreation } from './stream-args';
import type { StreamValue } from '../engine/types';
import { latin1 } from '../util/number';
import { preventPropagation, propagateAs } from '../server/propagate';
import type { Arg } from '../server/propagate';
import { Consumer, ConsumerGroup, formatId, idCmp, idIncr, idIsZero, MAX_ID, MIN_ID, parseStreamId, StreamID, U64_MAX_NORM } from '../engine/containers/stream';

const LISTPACK_MAX_SIZE = 1 << 30;
const XADD_ID_TOO_SMALL = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
const MAXLEN_AND_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';

// ------------------------------------------------------------------ XADD / XTRIM

interface AddTrimArgs {
  id: StreamID | null;
  seqGiven: boolean;
  noMkstream: boolean;
  strategy: 'none' | 'maxlen' | 'minid';
  approx: boolean;
  limit: number;
  maxlen: number;
  minid: StreamID;
  idPos: number;
  /** Where the MAXLEN/MINID threshold is in argv (its `~` is just before it when approx). */
  thresholdIdx: number;
}

/**
 * What parseAddTrim returns for `XADD key * ...` (no option, a generated ID): shared, read only,
 * so that the most common XADD allocates no options object.
 */
const PLAIN_XADD: Readonly<AddTrimArgs> = { id: null, seqGiven: true, noMkstream: false, strategy: 'none', approx: false, limit: 0, maxlen: 0, minid: MIN_ID, idPos: 2, thresholdIdx: 0 };

/** streamParseAddOrTrimArgsOrReply */
function parseAddTrim(c: Client, argv: Buffer[], xadd: boolean): Readonly<AddTrimArgs> {
  if (xadd && argv.length > 2 && argv[2].length === 1 && argv[2][0] === 42) return PLAIN_XADD;
  const a: AddTrimArgs = { id: null, seqGiven: true, noMkstream: false, strategy: 'none', approx: false, limit: 0, maxlen: 0, minid: MIN_ID, idPos: 0, thresholdIdx: 0 };
  let i = 2;
  let limitGiven = false;
  for (; i < argv.length; i++) {
    const more = argv.length - 1 - i;
    const opt = argv[i];
    if (xadd && opt.length === 1 && opt[0] === 42) break;
    else if (isWord(opt, 'maxlen') && more) {
      if (a.strategy !== 'none') fail(MAXLEN_AND_MINID);
      a.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next.length === 1 && next[0] === 126) {
        a.approx = true;
        i++;
      } else if (more >= 2 && next.length === 1 && next[0] === 61) i++;
      a.thresholdIdx = i + 1;
      a.maxlen = intArg(argv[i + 1]);
      if (a.maxlen < 0) fail('ERR The MAXLEN argument must be >= 0.');
      i++;
      a.strategy = 'maxlen';
    } else if (isWord(opt, 'minid') && more) {
      if (a.strategy !== 'none') fail(MAXLEN_AND_MINID);
      a.approx = false;
      const next = argv[i + 1];
      if (more >= 2 && next.length === 1 && next[0] === 126) {
        a.approx = true;
        i++;
      } else if (more >= 2 && next.length === 1 && next[0] === 61) i++;
      a.thresholdIdx = i + 1;
      a.minid = strictIdArg(argv[i + 1]);
      i++;
      a.strategy = 'minid';
    } else if (isWord(opt, 'limit') && more) {
      a.limit = intArg(argv[i + 1]);
      if (a.limit < 0) fail('ERR The LIMIT argument must be >= 0.');
      limitGiven = true;
      i++;
    } else if (xadd && isWord(opt, 'nomkstream')) {
      a.noMkstream = true;
    } else if (xadd) {
      const p = parseStreamId(opt, 0, true, true);
      if (!p) fail(INVALID_ID);
      a.id = p.id;
      a.seqGiven = p.seqGiven;
      break;
    } else fail(SYNTAX);
  }
  a.idPos = i;
  if (a.limit && a.strategy === 'none') fail('ERR syntax error, LIMIT cannot be used without specifying a trimming strategy');
  if (!xadd && a.strategy === 'none') fail('ERR syntax error, XTRIM must be called with a trimming strategy');
  // mustObeyClient: a replayed XADD/XTRIM had its trim made exact (replayedAddTrim) and keeps
  // the LIMIT it was sent with, which must neither fail nor bound the exact trim.
  if ((c.flags & ClientFlag.AOF_LOADER) !== 0) a.limit = 0;
  else if (limitGiven) {
    if (!a.approx) fail('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (a.approx) a.limit = 100 * c.server.config.int('stream-node-max-entries');
  else a.limit = 0;
  return a;
}

/**
 * XADD/XTRIM as they replay (Redis 7.0): a generated ID written out, and an approximate trim made
 * exact (`~` becomes `=` and the threshold the length or first ID it left), so that loading the
 * AOF trims exactly as this run did.
 */
function replayedAddTrim(c: Client, argv: Buffer[], a: Readonly<AddTrimArgs>, s: StreamValue, id: StreamID | null): void {
  if (!c.server.propagation.active) return;
  const generated = id !== null && (!a.id || !a.seqGiven);
  if (!generated && !a.approx) return;
  const out: Arg[] = argv.slice();
  if (generated) out[a.idPos] = formatId(id!);
  if (a.approx) {
    out[a.thresholdIdx - 1] = '=';
    out[a.thresholdIdx] = a.strategy === 'maxlen' ? s.length : formatId(s.edgeId(true) ?? { ms: 0, seq: 0 });
  }
  propagateAs(c, ...out);
}

function doTrim(s: StreamValue, a: Readonly<AddTrimArgs>): number {
  if (a.strategy === 'none') return 0;
  return s.trim(a.strategy, a.maxlen, a.minid, a.approx, a.limit);
}

function xadd(c: Client, argv: Buffer[]): void {
  const a = parseAddTrim(c, argv, true);
  const fieldPos = a.idPos + 1;
  const nargs = argv.length - fieldPos;
  if (nargs < 2 || nargs % 2 === 1) fail(wrongArgs('xadd'));
  if (a.id && a.seqGiven && idIsZero(a.id)) fail('ERR The ID specified in XADD must be greater than 0-0');
  const key = argv[1];
  let s = lookupWrite(c, key, 'stream');
  if (!s) {
    if (a.noMkstream) {
      c.reply.nil();
      return;
    }
    s = c.server.engine.newStream();
    c.db.set(key, s); // the engine's new-key hook publishes `new` (dbAdd)
  }
  if (s.lastId.ms === U64_MAX_NORM && s.lastId.seq === U64_MAX_NORM) fail('ERR The stream has exhausted the last possible ID, unable to add more items');
  let id: StreamID;
  const last = s.lastId;
  if (a.id) {
    if (a.seqGiven) id = a.id;
    else if (last.ms === a.id.ms) {
      if (last.seq === U64_MAX_NORM) fail(XADD_ID_TOO_SMALL);
      id = idIncr(last)!;
    } else id = a.id;
  } else {
    const now = c.server.clock.now();
    if (now > last.ms) id = { ms: now, seq: 0 };
    else id = idIncr(last) ?? { ms: 0, seq: 0 };
  }
  if (idCmp(id, last) <= 0) fail(XADD_ID_TOO_SMALL);
  // The arguments themselves, from fieldPos: append copies their bytes into the listpack before it returns.
  let tot = 0;
  for (let i = fieldPos; i < argv.length; i++) tot += argv[i].length;
  if (tot > LISTPACK_MAX_SIZE) fail('ERR Elements are too large to be stored');
  s.append(id, argv, nodeLimits(c), fieldPos);
  replyId(c.reply, id);
  c.server.keyspace.notify(c.dbIndex, 'xadd', key, 't');
  c.server.dirty();
  if (a.strategy !== 'none' && doTrim(s, a)) c.server.keyspace.notify(c.dbIndex, 'xtrim', key, 't');
  replayedAddTrim(c, argv, a, s, id);
  c.server.signalModifiedKey(c.dbIndex, key);
  c.server.blocking.signalKeyAsReady(c.dbIndex, key);
}

function xtrim(c: Client, argv: Buffer[]): void {
  const a = parseAddTrim(c, argv, false);
  const s = lookupWrite(c, argv[1], 'stream');
  if (!s) {
    c.reply.int(0);
    return;
  }
  const deleted = doTrim(s, a);
  if (deleted) {
    c.server.keyspace.notify(c.dbIndex, 'xtrim', argv[1], 't');
    c.server.signalModifiedKey(c.dbIndex, argv[1]);
    c.server.dirty(deleted);
    replayedAddTrim(c, argv, a, s, null);
  }
  c.reply.int(deleted);
}

// ------------------------------------------------------------------ XRANGE / XLEN / XDEL

function xrangeGeneric(c: Client, argv: Buffer[], rev: boolean): void {
  const startArg = rev ? argv[3] : argv[2];
  const endArg = rev ? argv[2] : argv[3];
  const start = rangeStart(startArg);
  const end = rangeEnd(endArg);
  let count = -1;
  for (let j = 4; j < argv.length; j++) {
    const additional = argv.length - j - 1;
    if (isWord(argv[j], 'count') && additional >= 1) {
      count = intArg(argv[j + 1]);
      if (count < 0) count = 0;
      j++;
    } else fail(SYNTAX);
  }
  const s = lookupRead(c, argv[1], 'stream');
  if (!s) {
    c.reply.array(0);
    return;
  }
  if (count === 0) {
    c.reply.nilArray();
    return;
  }
  replyWithRange(c, c.reply, s, start, end, count === -1 ? 0 : count, rev, null, null, 0);
}

function xlen(c: Client, argv: Buffer[]): void {
  const s = lookupRead(c, argv[1], 'stream');
  c.reply.int(s ? s.length : 0);
}

function xdel(c: Client, argv: Buffer[]): void {
  const s = lookupWrite(c, argv[1], 'stream');
  if (!s) {
    c.reply.int(0);
    return;
  }
  const ids: StreamID[] = [];
  for (let j = 2; j < argv.length; j++) ids.push(strictIdArg(argv[j]));
  let deleted = 0;
  let firstEntry = false;
  for (const id of ids) {
    if (s.deleteEntry(id)) {
      if (idCmp(id, s.firstId) === 0) firstEntry = true;
      if (idCmp(id, s.maxDeletedId) > 0) s.maxDeletedId = id;
      deleted++;
    }
  }
  if (deleted) {
    if (s.length === 0) s.firstId = { ms: 0, seq: 0 };
    else if (firstEntry) s.firstId = s.edgeId(true) ?? { ms: 0, seq: 0 };
    c.server.signalModifiedKey(c.dbIndex, argv[1]);
    c.server.keyspace.notify(c.dbIndex, 'xdel', argv[1], 't');
    c.server.dirty(deleted);
  }
  c.reply.int(deleted);
}

// ------------------------------------------------------------------ XREAD / XREADGROUP

function xread(c: Client, argv: Buffer[]): void {
  const xreadgroup = argv[0].length === 10;
  const name = xreadgroup ? 'xreadgroup' : 'xread';
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let streamsCount = 0;
  let noack = false;
  let groupName: Buffer | null = null;
  let consumerName: Buffer | null = null;
  for (let i = 1; i < argv.length; i++) {
    const more = argv.length - i - 1;
    const o = argv[i];
    if (isWord(o, 'block') && more) {
      i++;
      timeout = timeoutArg(argv[i], TimeoutUnit.MILLISECONDS);
    } else if (isWord(o, 'count') && more) {
      i++;
      count = intArg(argv[i]);
      if (count < 0) count = 0;
    } else if (isWord(o, 'streams') && more) {
      streamsArg = i + 1;
      streamsCount = argv.length - streamsArg;
      if (streamsCount % 2 !== 0) {
        fail("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      streamsCount /= 2;
      break;
    } else if (isWord(o, 'group') && more >= 2) {
      if (!xreadgroup) fail('ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      groupName = argv[i + 1];
      consumerName = argv[i + 2];
      i += 2;
    } else if (isWord(o, 'noack')) {
      if (!xreadgroup) fail('ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else fail(SYNTAX);
  }
  if (streamsArg === 0) fail(SYNTAX);
  if (xreadgroup && groupName === null) fail('ERR Missing GROUP option for XREADGROUP');
  // XREADGROUP is never propagated as sent: its effects are (XCLAIM, XGROUP SETID/CREATECONSUMER).
  if (xreadgroup) preventPropagation(c);

  const keys: Buffer[] = [];
  const ids: StreamID[] = [];
  const groups: (ConsumerGroup | null)[] = [];
  const gname = groupName ? latin1(groupName) : null;
  for (let i = streamsArg + streamsCount; i < argv.length; i++) {
    const key = argv[i - streamsCount];
    keys.push(key);
    const s = lookupRead(c, key, 'stream');
    let group: ConsumerGroup | null = null;
    if (gname !== null) {
      group = s?.group(gname) ?? null;
      if (!s || !group) fail(`NOGROUP No such key '${latin1(key)}' or consumer group '${gname}' in XREADGROUP with GROUP option`);
    }
    groups.push(group);
    const a = argv[i];
    if (a.length === 1 && a[0] === 36) {
      if (xreadgroup) {
        fail(
          'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids.push(s ? s.lastId : { ms: 0, seq: 0 });
      continue;
    } else if (a.length === 1 && a[0] === 62) {
      if (!xreadgroup) fail('ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      ids.push(MAX_ID);
      continue;
    }
    ids.push(strictIdArg(a));
  }
  // Count the lookups Redis does (lookupKeyRead per key) for keyspace stats.
  const r = c.reply;
  let arraylen = 0;
  let d: ReturnType<Reply['deferred']> | null = null;
  const cname = consumerName ? latin1(consumerName) : null;
  for (let i = 0; i < streamsCount; i++) {
    const s = lookupRead(c, keys[i]) as StreamValue | undefined;
    if (!s) continue;
    let gt = ids[i];
    let serve = false;
    let history = false;
    let consumer: Consumer | null = null;
    const group = groups[i];
    if (group) {
      if (idCmp(gt, MAX_ID) !== 0) {
        serve = true;
        history = true;
      } else if (s.length) {
        const maxid = s.lastValidId();
        if (idCmp(maxid, group.lastId) > 0) {
          serve = true;
          gt = group.lastId;
        }
      }
    } else if (s.length) {
      const maxid = s.lastValidId();
      if (idCmp(maxid, gt) > 0) serve = true;
    }
    if (serve) {
      if (group) {
        const had = group.consumers.has(cname!);
        consumer = getOrCreateConsumer(c, s, group, cname!, keys[i]);
        if (!had && noack) propagateConsumerCreation(c, keys[i], groupName!, cname!);
        consumer.seenTime = c.server.clock.now();
      }
      arraylen++;
      if (arraylen === 1) d = r.deferred();
      const start = idIncr(gt) ?? { ms: 0, seq: 0 };
      if (c.resp === 2) r.array(2);
      r.bulk(keys[i]);
      let flags = 0;
      if (noack) flags |= RWR.NOACK;
      if (history) flags |= RWR.HISTORY;
      const n = replyWithRange(c, r, s, start, MAX_ID, count, false, group, consumer, flags, group ? { key: keys[i], group: groupName! } : null);
      if (group && n) c.server.dirty();
    }
  }
  if (arraylen) {
    if (c.resp === 2) r.setArrayLen(d!, arraylen);
    else r.setMapLen(d!, arraylen);
    return;
  }
  if (timeout !== -1) {
    if (!canBlock(c)) {
      r.nilArray();
      return;
    }
    blockOnStreams(c, {
      keys: keys.map((k) => Buffer.from(k)),
      ids: ids.slice(),
      count,
      noack,
      group: gname,
      groupArg: groupName ? Buffer.from(groupName) : null,
      consumer: cname,
      timeout,
    });
    return;
  }
  r.nilArray();
}

interface BlockedRead {
  keys: Buffer[];
  ids: StreamID[];
  count: number;
  noack: boolean;
  group: string | null;
  /** The group name as sent (for propagation). */
  groupArg: Buffer | null;
  consumer: string | null;
  timeout: number;
}

/**
 * blockForKeys(BLOCKED_STREAM) and serveClientsBlockedOnStreamKey. A stream deleted or replaced
 * (by RENAME, RESTORE, SET...) wakes the client too; a change in place (XDEL, XSETID...) does not:
 * `seen` holds each key's value as the client last looked (Server.peekAsIs: nothing reclaimed).
 */
function blockOnStreams(c: Client, b: BlockedRead): void {
  const dbIndex = c.dbIndex;
  const readgroup = b.group !== null;
  const server = c.server;
  const seen = new Map(b.keys.map((k) => [latin1(k), server.peekAsIs(server.dbs[dbIndex], k)]));
  const replaced = (key: Buffer): boolean => {
    const now = server.peekAsIs(server.dbs[dbIndex], key);
    const id = latin1(key);
    const was = seen.get(id);
    seen.set(id, now);
    return now !== was;
  };
  blockForKeys(c, b.keys, b.timeout, (ready) => {
    if (c.dbIndex !== dbIndex) return false;
    const r = c.writer;
    if (readgroup && ready !== undefined && !peekTyped<StreamValue>(c, ready, 'stream')) {
      // unblockDeletedStreamReadgroupClients: the key was deleted or is no longer a stream.
      r.error('UNBLOCKED the stream key no longer exists');
      return true;
    }
    // (A key named twice waits with the ID given first: Redis's blockForKeys keeps one entry per key.)
    const done = new Set<string>();
    for (const k of readyOrder(b.keys, ready)) {
      const key = b.keys[k];
      if (done.has(latin1(key))) continue;
      done.add(latin1(key));
      const s = peekTyped<StreamValue>(c, key, 'stream');
      if (!s) continue;
      let gt = b.ids[k];
      let group: ConsumerGroup | null = null;
      if (b.group !== null) {
        group = s.group(b.group) ?? null;
        if (!group) {
          r.error('NOGROUP the consumer group this client was blocked on no longer exists');
          return true;
        }
        gt = group.lastId;
      }
      if (idCmp(s.lastId, gt) <= 0) continue;
      const start = idIncr(gt) ?? { ms: 0, seq: 0 };
      let consumer: Consumer | null = null;
      if (group) {
        consumer = group.consumers.get(b.consumer!) ?? null;
        if (!consumer) {
          consumer = s.createConsumer(group, b.consumer!, c.server.clock.now())!;
          c.server.dirty();
          c.server.keyspace.notify(c.dbIndex, 'xgroup-createconsumer', key, 't');
          if (b.noack) propagateConsumerCreation(c, key, b.groupArg!, b.consumer!);
        }
        consumer.seenTime = c.server.clock.now();
      }
      if (c.resp === 2) {
        r.array(1);
        r.array(2);
      } else r.map(1);
      r.bulk(key);
      const n = replyWithRange(c, r, s, start, MAX_ID, b.count, false, group, consumer, b.noack ? RWR.NOACK : 0, group ? { key, group: b.groupArg! } : null);
      if (group && n) c.server.dirty();
      return true;
    }
    for (const k of b.keys) seen.set(latin1(k), server.peekAsIs(server.dbs[dbIndex], k));
    return false;
  }, replaced);
}

// ------------------------------------------------------------------ XSETID / XACK / XPENDING

function xsetid(c: Client, argv: Buffer[]): void {
  const id = strictIdArg(argv[2]);
  let maxXdel: StreamID = { ms: 0, seq: 0 };
  let entriesAdded = -1;
  let i = 3;
  while (i < argv.length) {
    const more = argv.length - 1 - i;
    if (isWord(argv[i], 'entriesadded') && more) {
      entriesAdded = intArg(argv[i + 1]);
      if (entriesAdded < 0) fail('ERR entries_added must be positive');
      i += 2;
    } else if (isWord(argv[i], 'maxdeletedid') && more) {
      maxXdel = strictIdArg(argv[i + 1]);
      if (idCmp(id, maxXdel) < 0) fail('ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      i += 2;
    } else fail(SYNTAX);
  }
  const s = lookupWrite(c, argv[1], 'stream');
  if (!s) fail(NO_SUCH_KEY);
  if (s.length > 0) {
    const maxid = s.lastValidId();
    if (idCmp(id, maxid) < 0) fail('ERR The ID specified in XSETID is smaller than the target stream top item');
    if (entriesAdded !== -1 && s.length > entriesAdded) fail('ERR The entries_added specified in XSETID is smaller than the target stream length');
  }
  s.setLastId(id);
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (!idIsZero(maxXdel)) s.maxDeletedId = maxXdel;
  c.reply.ok();
  c.server.dirty();
  // (No signalModifiedKey: Redis 7.0's xsetidCommand neither invalidates a WATCH nor sends
  // client-side-caching invalidations.)
  c.server.keyspace.notify(c.dbIndex, 'xsetid', argv[1], 't');
}

export const commands: CommandRow[] = [
  { name: 'xadd', handler: xadd },
  { name: 'xtrim', handler: xtrim },
  { name: 'xlen', handler: xlen },
  { name: 'xrange', handler: (c, argv) => xrangeGeneric(c, argv, false) },
  { name: 'xrevrange', handler: (c, argv) => xrangeGeneric(c, argv, true) },
  { name: 'xdel', handler: xdel },
  { name: 'xread', handler: xread },
  { name: 'xreadgroup', handler: xread },
  { name: 'xsetid', handler: xsetid },
];
