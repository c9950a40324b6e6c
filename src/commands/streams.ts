/**
 * Stream commands (Redis 7.0 t_stream.c): XADD, XLEN, XRANGE/XREVRANGE, XDEL, XTRIM, XREAD,
 * XREADGROUP, XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO, XSETID.
 *
 * The stream value lives in engine/containers/stream.ts. Blocking XREAD/XREADGROUP wait through
 * the server's blocking registry; XADD signals the key as ready and waiters are served (in
 * arrival order) after the outermost command.
 */
import type { Client } from '../server/client';
import { readyOrder } from '../server/blocking';
import type { Reply } from '../protocol/reply';
import type { CommandRow } from './table';
import { fail, NO_SUCH_KEY, SYNTAX, wrongArgs } from './errors';
import { intArg, isWord } from './args';
import { lookupRead, lookupWrite, peekTyped } from './keyspace';
import { blockForKeys, canBlock, timeoutArg, TimeoutUnit } from './blocking';
import { replyHelp } from './help';
import type { BulkValue, StreamValue } from '../engine/types';
import { latin1, parseInt64 } from '../util/number';
import { Consumer, ConsumerGroup, formatId, idCmp, idDecr, idIncr, idIsZero, INVALID_ENTRIES_READ, MAX_ID, IdMap, Nack, parseStreamId, StreamID, StreamNode, U64_MAX_NORM } from '../engine/containers/stream';

const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';
const LISTPACK_MAX_SIZE = 1 << 30;
const XADD_ID_TOO_SMALL = 'ERR The ID specified in XADD is equal or smaller than the target stream top item';
const MAXLEN_AND_MINID = 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible';

// ------------------------------------------------------------------ helpers

function idArg(arg: Buffer, missingSeq: number | bigint = 0): StreamID {
  const p = parseStreamId(arg, missingSeq, false, false);
  if (!p) fail(INVALID_ID);
  return p.id;
}

function strictIdArg(arg: Buffer): StreamID {
  const p = parseStreamId(arg, 0, true, false);
  if (!p) fail(INVALID_ID);
  return p.id;
}

/** streamParseIntervalIDOrReply: `(` prefix marks an exclusive bound. */
function intervalIdArg(arg: Buffer, missingSeq: number | bigint): { id: StreamID; exclusive: boolean } {
  const exclusive = arg.length > 1 && arg[0] === 40;
  if (exclusive) {
    const p = parseStreamId(arg.subarray(1), missingSeq, true, false);
    if (!p) fail(INVALID_ID);
    return { id: p.id, exclusive };
  }
  return { id: idArg(arg, missingSeq), exclusive };
}

function rangeStart(arg: Buffer): StreamID {
  const { id, exclusive } = intervalIdArg(arg, 0);
  if (!exclusive) return id;
  const n = idIncr(id);
  if (!n) fail('ERR invalid start ID for the interval');
  return n;
}

function rangeEnd(arg: Buffer): StreamID {
  const { id, exclusive } = intervalIdArg(arg, U64_MAX_NORM);
  if (!exclusive) return id;
  const n = idDecr(id);
  if (!n) fail('ERR invalid end ID for the interval');
  return n;
}

function replyId(r: Reply, id: StreamID): void {
  r.bulk(formatId(id));
}

function emitEntry(r: Reply, n: StreamNode, i: number): void {
  r.array(2);
  r.bulk(`${n.ms[i]}-${n.seq[i]}`);
  const nf = n.nf[i];
  r.array(nf * 2);
  for (let j = 0; j < nf; j++) {
    r.bulk(n.field(i, j));
    r.bulk(n.value(i, j));
  }
}

function noGroupError(key: Buffer, group: Buffer): string {
  return `NOGROUP No such key '${latin1(key)}' or consumer group '${latin1(group)}'`;
}

function subcommandSyntax(argv: Buffer[]): never {
  fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try ${latin1(argv[0]).toUpperCase()} HELP.`);
}

const enum RWR {
  NOACK = 1,
  RAWENTRIES = 2,
  HISTORY = 4,
}

/**
 * streamReplyWithRange: emit entries in [start, end] (count 0 = all). With a group, deliver
 * through the consumer group (last ID, entries_read, PELs).
 */
function replyWithRange(
  c: Client,
  r: Reply,
  s: StreamValue,
  start: StreamID,
  end: StreamID,
  count: number,
  rev: boolean,
  group: ConsumerGroup | null,
  consumer: Consumer | null,
  flags: number,
): number {
  if (group && flags & RWR.HISTORY) return replyFromConsumerPel(c, r, s, start, end, count, consumer!);
  const d = flags & RWR.RAWENTRIES ? null : r.deferred();
  let n = 0;
  const noack = (flags & RWR.NOACK) !== 0;
  const now = c.server.clock.now();
  s.range(start, end, rev, (node, i) => {
    if (group) {
      const id = node.idAt(i);
      if (idCmp(id, group.lastId) > 0) {
        if (group.entriesRead !== INVALID_ENTRIES_READ && !s.rangeHasTombstones(id, null)) group.entriesRead++;
        else if (s.entriesAdded) group.entriesRead = s.estimateDistance(id);
        group.lastId = id;
      }
      emitEntry(r, node, i);
      if (!noack) {
        const nack = new Nack(now, 1, consumer);
        if (!s.pelAdd(group, consumer!, id, nack)) {
          const old = group.pel.get(id)!;
          old.consumer?.pel.delete(id);
          old.consumer = consumer;
          old.deliveryTime = now;
          old.deliveryCount = 1;
          consumer!.pel.tryInsert(id, old);
        }
      }
    } else emitEntry(r, node, i);
    n++;
    return !(count && n === count);
  });
  if (d) r.setArrayLen(d, n);
  return n;
}

/** streamReplyWithRangeFromConsumerPEL: a consumer's history from its own PEL. */
function replyFromConsumerPel(c: Client, r: Reply, s: StreamValue, start: StreamID, end: StreamID | null, count: number, consumer: Consumer): number {
  const d = r.deferred();
  let n = 0;
  const now = c.server.clock.now();
  const items: [StreamID, Nack][] = [];
  consumer.pel.forEachFrom(start, (id, nack) => {
    if (count && items.length >= count) return false;
    if (end && idCmp(id, end) > 0) return false;
    items.push([id, nack]);
    return true;
  });
  for (const [id, nack] of items) {
    const f = s.find(id);
    if (!f) {
      r.array(2);
      replyId(r, id);
      r.nilArray();
    } else {
      emitEntry(r, f.node, f.index);
      nack.deliveryTime = now;
      nack.deliveryCount++;
    }
    n++;
  }
  r.setArrayLen(d, n);
  return n;
}

function nodeLimits(c: Client): { maxBytes: number; maxEntries: number } {
  return { maxBytes: c.server.config.int('stream-node-max-bytes'), maxEntries: c.server.config.int('stream-node-max-entries') };
}

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
}

/** streamParseAddOrTrimArgsOrReply */
function parseAddTrim(c: Client, argv: Buffer[], xadd: boolean): AddTrimArgs {
  const a: AddTrimArgs = { id: null, seqGiven: true, noMkstream: false, strategy: 'none', approx: false, limit: 0, maxlen: 0, minid: { ms: 0, seq: 0 }, idPos: 0 };
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
  if (limitGiven) {
    if (!a.approx) fail('ERR syntax error, LIMIT cannot be used without the special ~ option');
  } else if (a.approx) a.limit = 100 * c.server.config.int('stream-node-max-entries');
  else a.limit = 0;
  return a;
}

function doTrim(s: StreamValue, a: AddTrimArgs): number {
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
  const fv: string[] = new Array(nargs);
  let tot = 0;
  for (let i = 0; i < nargs; i++) {
    const b = argv[fieldPos + i];
    tot += b.length;
    fv[i] = b.latin1Slice(0, b.length);
  }
  if (tot > LISTPACK_MAX_SIZE) fail('ERR Elements are too large to be stored');
  s.append(id, fv, nodeLimits(c));
  replyId(c.reply, id);
  c.server.keyspace.notify(c.dbIndex, 'xadd', key, 't');
  c.server.dirty();
  if (a.strategy !== 'none' && doTrim(s, a)) c.server.keyspace.notify(c.dbIndex, 'xtrim', key, 't');
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
        fail(`ERR Unbalanced '${name}' list of streams: for each stream key an ID or '${xreadgroup ? '>' : '$'}' must be specified.`);
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
        consumer = getOrCreateConsumer(c, s, group, cname!, keys[i]);
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
      const n = replyWithRange(c, r, s, start, MAX_ID, count, false, group, consumer, flags);
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
      consumer: cname,
      timeout,
    });
    return;
  }
  r.nilArray();
}

function getOrCreateConsumer(c: Client, s: StreamValue, group: ConsumerGroup, name: string, key: BulkValue): Consumer {
  let consumer = group.consumers.get(name);
  if (!consumer) {
    consumer = s.createConsumer(group, name, c.server.clock.now())!;
    c.server.dirty();
    c.server.keyspace.notify(c.dbIndex, 'xgroup-createconsumer', key, 't');
  }
  return consumer;
}

interface BlockedRead {
  keys: Buffer[];
  ids: StreamID[];
  count: number;
  noack: boolean;
  group: string | null;
  consumer: string | null;
  timeout: number;
}

/** blockForKeys(BLOCKED_STREAM) and serveClientsBlockedOnStreamKey. */
function blockOnStreams(c: Client, b: BlockedRead): void {
  const dbIndex = c.dbIndex;
  const readgroup = b.group !== null;
  blockForKeys(c, b.keys, b.timeout, (ready) => {
    if (c.dbIndex !== dbIndex) return false;
    const r = c.writer;
    if (readgroup && ready !== undefined && !peekTyped<StreamValue>(c, ready, 'stream')) {
      // unblockDeletedStreamReadgroupClients: the key was deleted or is no longer a stream.
      r.error('UNBLOCKED the stream key no longer exists');
      return true;
    }
    for (const k of readyOrder(b.keys, ready)) {
      const key = b.keys[k];
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
        }
        consumer.seenTime = c.server.clock.now();
      }
      if (c.resp === 2) {
        r.array(1);
        r.array(2);
      } else r.map(1);
      r.bulk(key);
      const n = replyWithRange(c, r, s, start, MAX_ID, b.count, false, group, consumer, b.noack ? RWR.NOACK : 0);
      if (group && n) c.server.dirty();
      return true;
    }
    return false;
  }, readgroup);
}

// ------------------------------------------------------------------ XGROUP

function xgroupPrelude(c: Client, argv: Buffer[], sub: string): { s: StreamValue | undefined; cg: ConsumerGroup | undefined; mkstream: boolean; entriesRead: number } {
  let mkstream = false;
  let entriesRead = INVALID_ENTRIES_READ;
  const create = sub === 'create';
  const setid = sub === 'setid';
  let i = 5;
  while (i < argv.length) {
    if (create && isWord(argv[i], 'mkstream')) {
      mkstream = true;
      i++;
    } else if ((create || setid) && isWord(argv[i], 'entriesread') && i + 1 < argv.length) {
      entriesRead = intArg(argv[i + 1]);
      if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) fail('ERR value for ENTRIESREAD must be positive or -1');
      i += 2;
    } else subcommandSyntax(argv);
  }
  let s = lookupWrite(c, argv[2], 'stream');
  const grp = latin1(argv[3]);
  let cg: ConsumerGroup | undefined;
  if (!mkstream) {
    if (!s) {
      fail('ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.');
    }
    cg = s.group(grp);
    if (!cg && (sub === 'setid' || sub === 'createconsumer' || sub === 'delconsumer')) {
      fail(`NOGROUP No such consumer group '${grp}' for key name '${latin1(argv[2])}'`);
    }
  }
  return { s, cg, mkstream, entriesRead };
}

function xgroupCreate(c: Client, argv: Buffer[]): void {
  const p = xgroupPrelude(c, argv, 'create');
  if (argv.length > 8) subcommandSyntax(argv);
  let s = p.s;
  let id: StreamID;
  if (argv[4].length === 1 && argv[4][0] === 36) id = s ? s.lastId : { ms: 0, seq: 0 };
  else id = strictIdArg(argv[4]);
  if (!s) {
    s = c.server.engine.newStream();
    c.db.set(argv[2], s); // the engine's new-key hook publishes `new` (dbAdd)
    c.server.signalModifiedKey(c.dbIndex, argv[2]);
  }
  const g = s.createGroup(latin1(argv[3]), id, p.entriesRead);
  if (g) {
    c.reply.ok();
    c.server.dirty();
    c.server.keyspace.notify(c.dbIndex, 'xgroup-create', argv[2], 't');
  } else c.reply.error('BUSYGROUP Consumer Group name already exists');
}

function xgroupSetid(c: Client, argv: Buffer[]): void {
  const p = xgroupPrelude(c, argv, 'setid');
  if (argv.length !== 5 && argv.length !== 7) subcommandSyntax(argv);
  let id: StreamID;
  if (argv[4].length === 1 && argv[4][0] === 36) id = p.s!.lastId;
  else id = idArg(argv[4]);
  p.cg!.lastId = id;
  p.cg!.entriesRead = p.entriesRead;
  c.reply.ok();
  c.server.dirty();
  c.server.keyspace.notify(c.dbIndex, 'xgroup-setid', argv[2], 't');
}

function xgroupDestroy(c: Client, argv: Buffer[]): void {
  const p = xgroupPrelude(c, argv, 'destroy');
  if (p.cg) {
    p.s!.destroyGroup(p.cg.name);
    c.reply.int(1);
    c.server.dirty();
    c.server.keyspace.notify(c.dbIndex, 'xgroup-destroy', argv[2], 't');
    c.server.blocking.signalKeyAsReady(c.dbIndex, argv[2]);
  } else c.reply.int(0);
}

function xgroupCreateconsumer(c: Client, argv: Buffer[]): void {
  const p = xgroupPrelude(c, argv, 'createconsumer');
  const created = p.s!.createConsumer(p.cg!, latin1(argv[4]), c.server.clock.now());
  if (created) {
    c.server.dirty();
    c.server.keyspace.notify(c.dbIndex, 'xgroup-createconsumer', argv[2], 't');
  }
  c.reply.int(created ? 1 : 0);
}

function xgroupDelconsumer(c: Client, argv: Buffer[]): void {
  const p = xgroupPrelude(c, argv, 'delconsumer');
  let pending = 0;
  const consumer = p.cg!.consumers.get(latin1(argv[4]));
  if (consumer) {
    pending = consumer.pel.size;
    p.s!.deleteConsumer(p.cg!, consumer);
    c.server.dirty();
    c.server.keyspace.notify(c.dbIndex, 'xgroup-delconsumer', argv[2], 't');
  }
  c.reply.int(pending);
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
  s.lastId = id;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (!idIsZero(maxXdel)) s.maxDeletedId = maxXdel;
  c.reply.ok();
  c.server.dirty();
  c.server.keyspace.notify(c.dbIndex, 'xsetid', argv[1], 't');
  c.server.signalModifiedKey(c.dbIndex, argv[1]);
}

function xack(c: Client, argv: Buffer[]): void {
  const s = lookupRead(c, argv[1], 'stream');
  const group = s?.group(latin1(argv[2]));
  if (!s || !group) {
    c.reply.int(0);
    return;
  }
  const ids: StreamID[] = [];
  for (let j = 3; j < argv.length; j++) ids.push(strictIdArg(argv[j]));
  let acked = 0;
  for (const id of ids) {
    const nack = group.pel.get(id);
    if (nack) {
      s.pelRemove(group, id, nack);
      acked++;
      c.server.dirty();
    }
  }
  c.reply.int(acked);
}

function xpending(c: Client, argv: Buffer[]): void {
  const argc = argv.length;
  const justinfo = argc === 3;
  let consumerName: Buffer | null = null;
  let start: StreamID = { ms: 0, seq: 0 };
  let end: StreamID = MAX_ID;
  let count = 0;
  let minidle = 0;
  if (argc !== 3 && (argc < 6 || argc > 9)) fail(SYNTAX);
  if (argc >= 6) {
    let startidx = 3;
    if (isWord(argv[3], 'idle')) {
      minidle = intArg(argv[4]);
      if (argc < 8) fail(SYNTAX);
      startidx += 2;
    }
    count = intArg(argv[startidx + 2]);
    if (count < 0) count = 0;
    start = rangeStart(argv[startidx]);
    end = rangeEnd(argv[startidx + 1]);
    if (startidx + 3 < argc) consumerName = argv[startidx + 3];
  }
  const s = lookupRead(c, argv[1], 'stream');
  const group = s?.group(latin1(argv[2]));
  if (!s || !group) fail(noGroupError(argv[1], argv[2]));
  const r = c.reply;
  if (justinfo) {
    r.array(4);
    r.int(group.pel.size);
    if (group.pel.size === 0) {
      r.nil();
      r.nil();
      r.nilArray();
    } else {
      replyId(r, group.pel.first()!);
      replyId(r, group.pel.last()!);
      const list = group.sortedConsumers().filter((x) => x.pel.size > 0);
      r.array(list.length);
      for (const x of list) {
        r.array(2);
        r.bulk(x.name);
        r.bulk(String(x.pel.size));
      }
    }
    return;
  }
  let pel = group.pel;
  if (consumerName) {
    const consumer = group.consumers.get(latin1(consumerName));
    if (!consumer) {
      r.array(0);
      return;
    }
    pel = consumer.pel;
  }
  const now = c.server.clock.now();
  const d = r.deferred();
  let n = 0;
  pel.forEachFrom(start, (id, nack) => {
    if (!count) return false;
    if (idCmp(id, end) > 0) return false;
    if (minidle && now - nack.deliveryTime < minidle) return true;
    n++;
    count--;
    r.array(4);
    replyId(r, id);
    r.bulk(nack.consumer!.name);
    r.int(Math.max(0, now - nack.deliveryTime));
    r.int(nack.deliveryCount);
    return true;
  });
  r.setArrayLen(d, n);
}

// ------------------------------------------------------------------ XCLAIM / XAUTOCLAIM

function xclaim(c: Client, argv: Buffer[]): void {
  const s = lookupRead(c, argv[1], 'stream');
  const group = s?.group(latin1(argv[2]));
  if (!s || !group) fail(noGroupError(argv[1], argv[2]));
  let minidle = intArg(argv[4], 'ERR Invalid min-idle-time argument for XCLAIM');
  if (minidle < 0) minidle = 0;
  const ids: StreamID[] = [];
  let j = 5;
  for (; j < argv.length; j++) {
    const p = parseStreamId(argv[j], 0, true, false);
    if (!p) break;
    ids.push(p.id);
  }
  const now = c.server.clock.now();
  let deliverytime = -1;
  let retrycount = -1;
  let force = false;
  let justid = false;
  let lastId: StreamID = { ms: 0, seq: 0 };
  for (; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    const opt = argv[j];
    if (isWord(opt, 'force')) force = true;
    else if (isWord(opt, 'justid')) justid = true;
    else if (isWord(opt, 'idle') && more) {
      j++;
      deliverytime = now - intArg(argv[j], 'ERR Invalid IDLE option argument for XCLAIM');
    } else if (isWord(opt, 'time') && more) {
      j++;
      deliverytime = intArg(argv[j], 'ERR Invalid TIME option argument for XCLAIM');
    } else if (isWord(opt, 'retrycount') && more) {
      j++;
      retrycount = intArg(argv[j], 'ERR Invalid RETRYCOUNT option argument for XCLAIM');
    } else if (isWord(opt, 'lastid') && more) {
      j++;
      lastId = strictIdArg(argv[j]);
    } else fail(`ERR Unrecognized XCLAIM option '${latin1(opt)}'`);
  }
  if (idCmp(lastId, group.lastId) > 0) group.lastId = lastId;
  if (deliverytime !== -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else deliverytime = now;
  const consumer = getOrCreateConsumer(c, s, group, latin1(argv[3]), argv[1]);
  consumer.seenTime = now;
  const r = c.reply;
  const d = r.deferred();
  let n = 0;
  for (const id of ids) {
    let nack = group.pel.get(id);
    const f = s.find(id);
    if (!f) {
      if (nack) {
        s.pelRemove(group, id, nack);
        c.server.dirty();
      }
      continue;
    }
    if (force && !nack) {
      nack = new Nack(now, 1, null);
      group.pel.tryInsert(id, nack);
      s.pelCounted();
    }
    if (nack) {
      if (nack.consumer && minidle) {
        if (now - nack.deliveryTime < minidle) continue;
      }
      if (nack.consumer !== consumer && nack.consumer) nack.consumer.pel.delete(id);
      nack.deliveryTime = deliverytime;
      if (retrycount >= 0) nack.deliveryCount = retrycount;
      else if (!justid) nack.deliveryCount++;
      if (nack.consumer !== consumer) {
        consumer.pel.tryInsert(id, nack);
        nack.consumer = consumer;
      }
      if (justid) replyId(r, id);
      else emitEntry(r, f.node, f.index);
      n++;
      c.server.dirty();
    }
  }
  r.setArrayLen(d, n);
}

function xautoclaim(c: Client, argv: Buffer[]): void {
  let minidle = intArg(argv[4], 'ERR Invalid min-idle-time argument for XAUTOCLAIM');
  if (minidle < 0) minidle = 0;
  const start = rangeStart(argv[5]);
  let count = 100;
  const attemptsFactor = 10;
  let justid = false;
  let j = 6;
  while (j < argv.length) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'count') && more) {
      const maxCount = Math.floor(9223372036854775807 / 16);
      const v = parseInt64(argv[j + 1]);
      if (Number.isNaN(v) || v < 1 || v > maxCount) fail('ERR COUNT must be > 0');
      count = v;
      j++;
    } else if (isWord(argv[j], 'justid')) justid = true;
    else fail(SYNTAX);
    j++;
  }
  const s = lookupRead(c, argv[1], 'stream');
  const group = s?.group(latin1(argv[2]));
  if (!s || !group) fail(noGroupError(argv[1], argv[2]));
  const consumer = getOrCreateConsumer(c, s, group, latin1(argv[3]), argv[1]);
  const now = c.server.clock.now();
  consumer.seenTime = now;
  let attempts = count * attemptsFactor;
  const r = c.reply;
  r.array(3);
  // Collect the walk first (the PEL changes as we go), then reply.
  const claimed: StreamID[] = [];
  const deletedIds: StreamID[] = [];
  let cursor: StreamID = start;
  let endId: StreamID = { ms: 0, seq: 0 };
  let done = false;
  while (!done) {
    let next: [StreamID, Nack] | null = null;
    if (attempts-- <= 0 || !count) break;
    group.pel.forEachFrom(cursor, (id, nack) => {
      next = [id, nack];
      return false;
    });
    if (!next) {
      done = true;
      break;
    }
    const [id, nack] = next as [StreamID, Nack];
    cursor = idIncr(id) ?? MAX_ID;
    if (!s.exists(id)) {
      s.pelRemove(group, id, nack);
      c.server.dirty();
      deletedIds.push(id);
      count--;
      continue;
    }
    if (minidle && now - nack.deliveryTime < minidle) continue;
    if (nack.consumer !== consumer && nack.consumer) nack.consumer.pel.delete(id);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    if (nack.consumer !== consumer) {
      consumer.pel.tryInsert(id, nack);
      nack.consumer = consumer;
    }
    claimed.push(id);
    count--;
    c.server.dirty();
    if (idCmp(id, MAX_ID) === 0) {
      done = true;
      break;
    }
  }
  if (!done) {
    let nextId: StreamID | null = null;
    group.pel.forEachFrom(cursor, (id) => {
      nextId = id;
      return false;
    });
    if (nextId) endId = nextId;
  }
  replyId(r, endId);
  r.array(claimed.length);
  for (const id of claimed) {
    if (justid) replyId(r, id);
    else {
      const f = s.find(id)!;
      emitEntry(r, f.node, f.index);
    }
  }
  r.array(deletedIds.length);
  for (const id of deletedIds) replyId(r, id);
}

// ------------------------------------------------------------------ XINFO

function streamForInfo(c: Client, key: Buffer): StreamValue {
  const s = lookupRead(c, key, 'stream');
  if (s === undefined) fail(NO_SUCH_KEY);
  return s;
}

function replyLag(r: Reply, s: StreamValue, g: ConsumerGroup): void {
  const lag = s.groupLag(g);
  if (lag === null) r.nil();
  else r.int(lag);
}

function replyEntriesRead(r: Reply, g: ConsumerGroup): void {
  if (g.entriesRead !== INVALID_ENTRIES_READ) r.int(g.entriesRead);
  else r.nil();
}

/**
 * XINFO STREAM FULL's "pending" arrays: [id, (consumer,) delivery time, delivery count] per entry,
 * at most `count` (0 = all). The group's PEL names the consumer; a consumer's own PEL does not.
 */
function replyPel(r: Reply, pel: IdMap<Nack>, count: number, withConsumer: boolean): void {
  const d = r.deferred();
  let n = 0;
  pel.forEachFrom({ ms: 0, seq: 0 }, (id, nack) => {
    if (count && n >= count) return false;
    r.array(withConsumer ? 4 : 3);
    replyId(r, id);
    if (withConsumer) r.bulk(nack.consumer!.name);
    r.int(nack.deliveryTime);
    r.int(nack.deliveryCount);
    n++;
    return true;
  });
  r.setArrayLen(d, n);
}

function xinfoStream(c: Client, argv: Buffer[]): void {
  const s = streamForInfo(c, argv[2]);
  let full = true;
  let count = 10;
  const optc = argv.length - 3;
  if (optc === 0) full = false;
  else {
    if (optc !== 1 && optc !== 3) subcommandSyntax(argv);
    if (!isWord(argv[3], 'full')) subcommandSyntax(argv);
    if (optc === 3) {
      if (!isWord(argv[4], 'count')) subcommandSyntax(argv);
      count = intArg(argv[5]);
      if (count < 0) count = 10;
    }
  }
  const r = c.reply;
  r.map(full ? 9 : 10);
  r.bulk('length');
  r.int(s.length);
  r.bulk('radix-tree-keys');
  r.int(s.nodes.length);
  r.bulk('radix-tree-nodes');
  r.int(s.raxNodes());
  r.bulk('last-generated-id');
  replyId(r, s.lastId);
  r.bulk('max-deleted-entry-id');
  replyId(r, s.maxDeletedId);
  r.bulk('entries-added');
  r.int(s.entriesAdded);
  r.bulk('recorded-first-entry-id');
  replyId(r, s.firstId);
  if (!full) {
    r.bulk('groups');
    r.int(s.groups ? s.groups.size : 0);
    r.bulk('first-entry');
    if (!replyWithRange(c, r, s, { ms: 0, seq: 0 }, MAX_ID, 1, false, null, null, RWR.RAWENTRIES)) r.nil();
    r.bulk('last-entry');
    if (!replyWithRange(c, r, s, { ms: 0, seq: 0 }, MAX_ID, 1, true, null, null, RWR.RAWENTRIES)) r.nil();
    return;
  }
  r.bulk('entries');
  replyWithRange(c, r, s, { ms: 0, seq: 0 }, MAX_ID, count, false, null, null, 0);
  r.bulk('groups');
  const groups = s.sortedGroups();
  r.array(groups.length);
  for (const g of groups) {
    r.map(7);
    r.bulk('name');
    r.bulk(g.name);
    r.bulk('last-delivered-id');
    replyId(r, g.lastId);
    r.bulk('entries-read');
    replyEntriesRead(r, g);
    r.bulk('lag');
    replyLag(r, s, g);
    r.bulk('pel-count');
    r.int(g.pel.size);
    r.bulk('pending');
    replyPel(r, g.pel, count, true);
    r.bulk('consumers');
    const consumers = g.sortedConsumers();
    r.array(consumers.length);
    for (const cons of consumers) {
      r.map(4);
      r.bulk('name');
      r.bulk(cons.name);
      r.bulk('seen-time');
      r.int(cons.seenTime);
      r.bulk('pel-count');
      r.int(cons.pel.size);
      r.bulk('pending');
      replyPel(r, cons.pel, count, false);
    }
  }
}

function xinfoGroups(c: Client, argv: Buffer[]): void {
  const s = streamForInfo(c, argv[2]);
  const r = c.reply;
  const groups = s.sortedGroups();
  r.array(groups.length);
  for (const g of groups) {
    r.map(6);
    r.bulk('name');
    r.bulk(g.name);
    r.bulk('consumers');
    r.int(g.consumers.size);
    r.bulk('pending');
    r.int(g.pel.size);
    r.bulk('last-delivered-id');
    replyId(r, g.lastId);
    r.bulk('entries-read');
    replyEntriesRead(r, g);
    r.bulk('lag');
    replyLag(r, s, g);
  }
}

function xinfoConsumers(c: Client, argv: Buffer[]): void {
  const s = streamForInfo(c, argv[2]);
  const g = s.group(latin1(argv[3]));
  if (!g) fail(`NOGROUP No such consumer group '${latin1(argv[3])}' for key name '${latin1(argv[2])}'`);
  const r = c.reply;
  const now = c.server.clock.now();
  const list = g.sortedConsumers();
  r.array(list.length);
  for (const cons of list) {
    r.map(3);
    r.bulk('name');
    r.bulk(cons.name);
    r.bulk('pending');
    r.int(cons.pel.size);
    r.bulk('idle');
    r.int(Math.max(0, now - cons.seenTime));
  }
}

const noop = (): void => {};

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
  { name: 'xack', handler: xack },
  { name: 'xpending', handler: xpending },
  { name: 'xclaim', handler: xclaim },
  { name: 'xautoclaim', handler: xautoclaim },
  { name: 'xgroup', handler: noop },
  { name: 'xgroup|create', handler: xgroupCreate },
  { name: 'xgroup|setid', handler: xgroupSetid },
  { name: 'xgroup|destroy', handler: xgroupDestroy },
  { name: 'xgroup|createconsumer', handler: xgroupCreateconsumer },
  { name: 'xgroup|delconsumer', handler: xgroupDelconsumer },
  { name: 'xgroup|help', handler: (c) => replyHelp(c, 'xgroup') },
  { name: 'xinfo', handler: noop },
  { name: 'xinfo|stream', handler: xinfoStream },
  { name: 'xinfo|groups', handler: xinfoGroups },
  { name: 'xinfo|consumers', handler: xinfoConsumers },
  { name: 'xinfo|help', handler: (c) => replyHelp(c, 'xinfo') },
];
