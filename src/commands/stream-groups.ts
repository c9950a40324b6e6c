/**
 * Consumer-group commands of streams (Redis 7.0 t_stream.c): XGROUP, XACK, XPENDING, XCLAIM,
 * XAUTOCLAIM and XINFO. XREADGROUP, which reads through a group, is with XREAD in streams.ts.
 */
import type { Client } from '../server/client';
import type { Reply } from '../protocol/reply';
import type { CommandRow } from './table';
import { fail, NO_SUCH_KEY, SYNTAX } from './errors';
import { intArg, isWord } from './args';
import { checkType, lookupRead, lookupWrite } from './keyspace';
import { replyHelp } from './help';
import { idArg, strictIdArg, rangeStart, rangeEnd, replyId, emitEntry, noGroupError, subcommandSyntax, RWR, replyWithRange, getOrCreateConsumer, propagateXclaim, propagateGroupId } from './stream-args';
import { preventPropagation } from '../server/propagate';
import type { StreamValue } from '../engine/types';
import { latin1, parseInt64 } from '../util/number';
import { Consumer, ConsumerGroup, formatId, idCmp, idIncr, INVALID_ENTRIES_READ, MAX_ID, IdMap, Nack, parseStreamId, StreamID } from '../engine/containers/stream';

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
  const firstId = 5;
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
  let propagateLastId = false;
  if (idCmp(lastId, group.lastId) > 0) {
    group.lastId = lastId;
    propagateLastId = true;
  }
  // Propagated as its effects: one XCLAIM per entry claimed or dropped, or XGROUP SETID.
  preventPropagation(c);
  if (deliverytime !== -1) {
    if (deliverytime < 0 || deliverytime > now) deliverytime = now;
  } else deliverytime = now;
  // The consumer is looked up (or created) on the first entry claimed, as Redis 7.0 does.
  let consumer: Consumer | null = null;
  const r = c.reply;
  const d = r.deferred();
  let n = 0;
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k];
    let nack = group.pel.get(id);
    const f = s.find(id);
    if (!f) {
      if (nack) {
        propagateXclaim(c, argv[1], argv[2], group, argv[firstId + k], nack);
        propagateLastId = false;
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
      if (!consumer) {
        consumer = getOrCreateConsumer(c, s, group, latin1(argv[3]), argv[1]);
        consumer.seenTime = now;
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
      propagateXclaim(c, argv[1], argv[2], group, argv[firstId + k], nack);
      propagateLastId = false;
      c.server.dirty();
    }
  }
  if (propagateLastId) {
    propagateGroupId(c, argv[1], argv[2], group);
    c.server.dirty();
  }
  r.setArrayLen(d, n);
}

function xautoclaim(c: Client, argv: Buffer[]): void {
  // Looked up before the arguments are parsed (a miss publishes `keymiss` even when they are
  // wrong), type-checked after them, as Redis 7.0's xautoclaimCommand.
  const found = lookupRead(c, argv[1]);
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
  const s = checkType(found, 'stream') as StreamValue | undefined;
  const group = s?.group(latin1(argv[2]));
  if (!s || !group) fail(noGroupError(argv[1], argv[2]));
  const now = c.server.clock.now();
  // The consumer is looked up (or created) on the first entry claimed, as Redis 7.0 does: a call
  // that claims nothing neither creates it nor refreshes its seen time.
  let consumer: Consumer | null = null;
  preventPropagation(c); // propagated as one XCLAIM per entry claimed or dropped
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
      propagateXclaim(c, argv[1], argv[2], group, formatId(id), nack);
      s.pelRemove(group, id, nack);
      c.server.dirty();
      deletedIds.push(id);
      count--;
      continue;
    }
    if (minidle && now - nack.deliveryTime < minidle) continue;
    if (!consumer) {
      consumer = getOrCreateConsumer(c, s, group, latin1(argv[3]), argv[1]);
      consumer.seenTime = now;
    }
    if (nack.consumer !== consumer && nack.consumer) nack.consumer.pel.delete(id);
    nack.deliveryTime = now;
    if (!justid) nack.deliveryCount++;
    if (nack.consumer !== consumer) {
      consumer.pel.tryInsert(id, nack);
      nack.consumer = consumer;
    }
    claimed.push(id);
    propagateXclaim(c, argv[1], argv[2], group, formatId(id), nack);
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
