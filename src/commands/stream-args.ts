/**
 * What the stream command families share (streams.ts, stream-groups.ts): stream ID arguments with
 * Redis's error texts, and the replies of entries, ranges and pending entries lists.
 */
import type { Client } from '../server/client';
import type { Reply } from '../protocol/reply';
import { fail } from './errors';
import type { BulkSink, BulkValue, StreamValue } from '../engine/types';
import { latin1, writeDigitsBefore } from '../util/number';
import { alsoPropagate } from '../server/propagate';
import { Consumer, ConsumerGroup, formatId, idCmp, idDecr, idIncr, INVALID_ENTRIES_READ, Nack, NodeLimits, parseStreamId, StreamID, StreamNode, U64_MAX_NORM } from '../engine/containers/stream';

export const INVALID_ID = 'ERR Invalid stream ID specified as stream command argument';

// ------------------------------------------------------------------ helpers

export function idArg(arg: Buffer, missingSeq: number | bigint = 0): StreamID {
  const p = parseStreamId(arg, missingSeq, false, false);
  if (!p) fail(INVALID_ID);
  return p.id;
}

export function strictIdArg(arg: Buffer): StreamID {
  const p = parseStreamId(arg, 0, true, false);
  if (!p) fail(INVALID_ID);
  return p.id;
}

/** streamParseIntervalIDOrReply: `(` prefix marks an exclusive bound. */
export function intervalIdArg(arg: Buffer, missingSeq: number | bigint): { id: StreamID; exclusive: boolean } {
  const exclusive = arg.length > 1 && arg[0] === 40;
  if (exclusive) {
    const p = parseStreamId(arg.subarray(1), missingSeq, true, false);
    if (!p) fail(INVALID_ID);
    return { id: p.id, exclusive };
  }
  return { id: idArg(arg, missingSeq), exclusive };
}

export function rangeStart(arg: Buffer): StreamID {
  const { id, exclusive } = intervalIdArg(arg, 0);
  if (!exclusive) return id;
  const n = idIncr(id);
  if (!n) fail('ERR invalid start ID for the interval');
  return n;
}

export function rangeEnd(arg: Buffer): StreamID {
  const { id, exclusive } = intervalIdArg(arg, U64_MAX_NORM);
  if (!exclusive) return id;
  const n = idDecr(id);
  if (!n) fail('ERR invalid end ID for the interval');
  return n;
}

/**
 * An ID's digits, "ms-seq" written backwards from the end (two 20-digit parts and the dash fit).
 * A plain Uint8Array: bulkBytes copies an ID of more than 16 bytes through subarray(), which
 * is V8's builtin here and Node's slower FastBuffer-making one on a Buffer.
 */
const idDigits = new Uint8Array(48);
/**
 * The digits of the last ms part written (IDs generated in the same millisecond share it): a
 * millisecond time has 13 digits, above 2^31, where writeDigitsBefore divides in floating point.
 */
let lastMs = -1;
const msDigits = new Uint8Array(20);
let msLen = 0;

/** The bulk "ms-seq", written from its digits when `r` takes bytes (no string built: XADD replies one per command). */
export function replyId(r: Reply, id: StreamID): void {
  const ms = id.ms;
  const seq = id.seq;
  const sink = r as Partial<BulkSink>;
  if (typeof ms !== 'number' || typeof seq !== 'number' || sink.bulkBytes === undefined) {
    r.bulk(formatId(id));
    return;
  }
  if (ms !== lastMs) {
    msLen = 20 - writeDigitsBefore(msDigits, 20, ms);
    lastMs = ms;
  }
  let q = writeDigitsBefore(idDigits, idDigits.length, seq);
  idDigits[--q] = 45;
  for (let i = 19; i >= 20 - msLen; i--) idDigits[--q] = msDigits[i];
  sink.bulkBytes(idDigits, q, idDigits.length - q);
}

export function emitEntry(r: Reply, n: StreamNode, i: number): void {
  r.array(2);
  r.bulk(n.idString(i));
  const fv = n.pairs(i);
  r.array(fv.length);
  for (let j = 0; j < fv.length; j++) r.bulk(fv[j]);
}

export function noGroupError(key: Buffer, group: Buffer): string {
  return `NOGROUP No such key '${latin1(key)}' or consumer group '${latin1(group)}'`;
}

export function subcommandSyntax(argv: Buffer[]): never {
  fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try ${latin1(argv[0]).toUpperCase()} HELP.`);
}

export const enum RWR {
  NOACK = 1,
  RAWENTRIES = 2,
  HISTORY = 4,
}

// ------------------------------------------------------------------ propagation (t_stream.c)

/** Key and group name as the client gave them (streamPropInfo), for propagating group reads. */
export interface StreamPropInfo {
  key: Buffer;
  group: Buffer;
}

/**
 * streamPropagateXCLAIM: the state of one PEL entry as an idempotent command,
 * XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n FORCE JUSTID LASTID group-last-id.
 */
export function propagateXclaim(c: Client, key: Buffer, groupName: Buffer, group: ConsumerGroup, id: Buffer | string, nack: Nack): void {
  if (!c.server.propagation.active) return;
  alsoPropagate(c, 'XCLAIM', key, groupName, Buffer.from(nack.consumer!.name, 'latin1'), '0', id, 'TIME', nack.deliveryTime, 'RETRYCOUNT', nack.deliveryCount, 'FORCE', 'JUSTID', 'LASTID', formatId(group.lastId));
}

/** streamPropagateGroupID: XGROUP SETID key group last-id ENTRIESREAD n. */
export function propagateGroupId(c: Client, key: Buffer, groupName: Buffer, group: ConsumerGroup): void {
  if (!c.server.propagation.active) return;
  alsoPropagate(c, 'XGROUP', 'SETID', key, groupName, formatId(group.lastId), 'ENTRIESREAD', group.entriesRead);
}

/** streamPropagateConsumerCreation: XGROUP CREATECONSUMER (a consumer XREADGROUP NOACK created). */
export function propagateConsumerCreation(c: Client, key: Buffer, groupName: Buffer, consumer: string): void {
  if (!c.server.propagation.active) return;
  alsoPropagate(c, 'XGROUP', 'CREATECONSUMER', key, groupName, Buffer.from(consumer, 'latin1'));
}

/**
 * streamReplyWithRange: emit entries in [start, end] (count 0 = all). With a group, deliver
 * through the consumer group (last ID, entries_read, PELs); with `spi`, propagate each delivery
 * as XCLAIM and, under NOACK, a moved last ID as XGROUP SETID.
 */
export function replyWithRange(
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
  spi: StreamPropInfo | null = null,
): number {
  if (group && flags & RWR.HISTORY) return replyFromConsumerPel(c, r, s, start, end, count, consumer!);
  const d = flags & RWR.RAWENTRIES ? null : r.deferred();
  let n = 0;
  const noack = (flags & RWR.NOACK) !== 0;
  const now = c.server.clock.now();
  let propagateLastId = false;
  s.range(start, end, rev, (node, i) => {
    if (group) {
      const id = node.idAt(i);
      if (idCmp(id, group.lastId) > 0) {
        if (group.entriesRead !== INVALID_ENTRIES_READ && !s.rangeHasTombstones(id, null)) group.entriesRead++;
        else if (s.entriesAdded) group.entriesRead = s.estimateDistance(id);
        group.lastId = id;
        // Without NOACK the last ID travels in the XCLAIM's LASTID.
        if (noack) propagateLastId = true;
      }
      emitEntry(r, node, i);
      if (!noack) {
        let nack = new Nack(now, 1, consumer);
        if (!s.pelAdd(group, consumer!, id, nack)) {
          const old = group.pel.get(id)!;
          old.consumer?.pel.delete(id);
          old.consumer = consumer;
          old.deliveryTime = now;
          old.deliveryCount = 1;
          consumer!.pel.tryInsert(id, old);
          nack = old;
        }
        if (spi) propagateXclaim(c, spi.key, spi.group, group, formatId(id), nack);
      }
    } else emitEntry(r, node, i);
    n++;
    return !(count && n === count);
  });
  if (d) r.setArrayLen(d, n);
  if (spi && propagateLastId) propagateGroupId(c, spi.key, spi.group, group!);
  return n;
}

/** streamReplyWithRangeFromConsumerPEL: a consumer's history from its own PEL. */
export function replyFromConsumerPel(c: Client, r: Reply, s: StreamValue, start: StreamID, end: StreamID | null, count: number, consumer: Consumer): number {
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

/** nodeLimits' result, refilled per call (JsStream.append reads it and keeps nothing). */
const limits: NodeLimits = { maxBytes: 0, maxEntries: 0 };

/** stream-node-max-bytes / -entries, for JsStream.append (valid until the next call). */
export function nodeLimits(c: Client): NodeLimits {
  const hot = c.server.config.hot;
  limits.maxBytes = hot['stream-node-max-bytes'];
  limits.maxEntries = hot['stream-node-max-entries'];
  return limits;
}

export function getOrCreateConsumer(c: Client, s: StreamValue, group: ConsumerGroup, name: string, key: BulkValue): Consumer {
  let consumer = group.consumers.get(name);
  if (!consumer) {
    consumer = s.createConsumer(group, name, c.server.clock.now())!;
    c.server.dirty();
    c.server.keyspace.notify(c.dbIndex, 'xgroup-createconsumer', key, 't');
  }
  return consumer;
}

