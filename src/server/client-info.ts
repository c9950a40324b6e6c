/**
 * CLIENT LIST / CLIENT INFO lines (catClientInfoString in networking.c) and the per-client figures
 * behind them that Redis 7.0 keeps:
 *
 * - rbs/rbp: the reply buffer's size and peak. Redis starts each client with a 16 KB buffer and
 *   clientsCron resizes it: halves... down to 1 KB when the peak stayed under half of it, doubles
 *   (up to 16 KB) when a reply filled it; the peak resets every reply-buffer-peak-reset-time
 *   (5 s). Redust writes replies to one growable writer, so it keeps the same bookkeeping from
 *   the bytes each flush writes (what Redis's static buffer would have held, capped at its size).
 * - obl/oll/omem: pending reply bytes split as Redis's static buffer (obl) and reply list
 *   (oll 16 KB blocks, omem bytes), with what Node still queues on the socket counted in omem.
 * - multi-mem: the queued commands' argument bytes plus 8 per argument (mstate.argv_len_sums).
 * - tot-mem: getClientMemoryUsage: the client struct and query buffer allocation, the reply
 *   buffer, output lists, arguments, MULTI state (with 24 bytes per allocated queue slot) and the
 *   pub/sub overhead, with Redis's constants.
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { debugStateOf } from './debug-state';
import { queryBufCron, queryBufFree } from './query-buffer';
import { DICT_ENTRY, DICT_SLOT, dictSlots, jemallocSize } from './alloc-size';

const PROTO_REPLY_CHUNK_BYTES = 16 * 1024;
const PROTO_REPLY_MIN_BYTES = 1024;
/** zmalloc_size(client) on a 64-bit jemalloc build. */
const CLIENT_STRUCT = 768;

/** Reply-buffer state (lives on the Client; created lazily). */
export interface ReplyBufferState {
  size: number;
  peak: number;
  peakResetAt: number;
  /** Most channels (and shard channels) ever subscribed at once: Redis's dicts keep their slots when emptied. */
  channelsHigh: number;
  shardHigh: number;
}

/** (A field of the Client rather than a WeakMap: noteReplyBytes runs on every flush.) */
function stateOf(c: Client): ReplyBufferState {
  return (c.replyBuf ??= { size: PROTO_REPLY_CHUNK_BYTES, peak: 0, peakResetAt: c.createdAt, channelsHigh: 0, shardHigh: 0 });
}

/** Networking hook: `n` reply bytes were written in one flush (_addReplyToBuffer's buf_peak). */
export function noteReplyBytes(c: Client, n: number): void {
  const s = stateOf(c);
  const inBuf = n < s.size ? n : s.size;
  if (inBuf > s.peak) s.peak = inBuf;
  const ch = c.channels?.size ?? 0;
  if (ch > s.channelsHigh) s.channelsHigh = ch;
}

/**
 * clientsCron's per-client work, for a slice of the clients per cron run: clientsCronResizeOutputBuffer,
 * clientsCronResizeQueryBuffer (query-buffer.ts) and closeClientOnOutputBufferLimitReached (a client over a soft limit while nothing more is
 * written to it is closed once its soft-seconds pass, as in Redis).
 */
let cursor: IterableIterator<Client> | null = null;

/**
 * clientsCronTrackExpansiveClients: the largest query-side and output-side memory of a client
 * seen in each of the last 8 seconds (CLIENTS_PEAK_MEM_USAGE_SLOTS), for INFO's
 * client_recent_max_input_buffer and client_recent_max_output_buffer.
 */
const PEAK_SLOTS = 8;
const peakInput: number[] = new Array<number>(PEAK_SLOTS).fill(0);
const peakOutput: number[] = new Array<number>(PEAK_SLOTS).fill(0);

/** The largest input and output memory of a client over the last 8 seconds. */
export function recentMaxBuffers(): { input: number; output: number } {
  return { input: Math.max(...peakInput), output: Math.max(...peakOutput) };
}

function trackExpansive(c: Client, slot: number): void {
  // sdsZmallocSize(querybuf) + argv_len_sum + zmalloc_size(argv), argv allocated for the
  // command's arguments (up to 1024) while one is received or runs.
  const argc = holdsArgv(c) ? c.argv.length : c.parser.partialArgCount();
  const input = c.qbMalloc + argvMem(c) + (argc > 0 ? jemallocSize(8 * Math.min(argc, 1024)) : 0);
  const output = outputListBytes(c, stateOf(c));
  if (input > peakInput[slot]) peakInput[slot] = input;
  if (output > peakOutput[slot]) peakOutput[slot] = output;
}

export function clientsCron(server: Server, now: number): void {
  const slot = Math.floor(now / 1000) % PEAK_SLOTS;
  const ahead = (slot + 1) % PEAK_SLOTS;
  peakInput[ahead] = 0;
  peakOutput[ahead] = 0;
  const n = server.clients.size;
  if (n === 0) return;
  let iterations = Math.floor(n / server.config.int('hz'));
  if (iterations < 5) iterations = Math.min(n, 5);
  for (let i = 0; i < iterations; i++) {
    let r = cursor?.next();
    if (!r || r.done) {
      cursor = server.clients.values();
      r = cursor.next();
      if (r.done) return;
    }
    const c = r.value;
    resize(c, now);
    queryBufCron(c, now);
    if (c.closed) continue;
    trackExpansive(c, slot);
    if (server.clientEviction.enabled) server.clientEviction.update(c);
    if (c.flags & ClientFlag.PUBSUB) server.pubsub.cronCheckOutputLimits(c);
    else if (server.net.outputLimits.active) server.net.outputLimits.check(c);
  }
}

function resize(c: Client, now: number): void {
  const dbg = debugStateOf(c.server);
  if (!dbg.replyBufferResizing) return;
  const s = stateOf(c);
  const shrinkTo = s.size / 2;
  const expandTo = s.size * 2;
  let next = 0;
  const stats = c.server.stats;
  if (shrinkTo >= PROTO_REPLY_MIN_BYTES && s.peak < shrinkTo) {
    next = Math.max(PROTO_REPLY_MIN_BYTES, s.peak + 1);
    stats.replyBufferShrinks++;
  } else if (expandTo < PROTO_REPLY_CHUNK_BYTES * 2 && s.peak === s.size) {
    next = Math.min(PROTO_REPLY_CHUNK_BYTES, expandTo);
    stats.replyBufferExpands++;
  }
  if (dbg.replyBufferPeakResetMs >= 0 && now - s.peakResetAt >= dbg.replyBufferPeakResetMs) {
    s.peak = 0;
    s.peakResetAt = now;
  }
  // jemalloc size classes: what zmalloc_usable_size reports for the new buffer.
  if (next) s.size = jemallocSize(next);
}

/** The flags= field, in getClientInfoString's order. */
export function clientFlags(c: Client): string {
  let f = '';
  if (c.has(ClientFlag.MONITOR)) f += 'O';
  if (c.has(ClientFlag.PUBSUB)) f += 'P';
  if (c.has(ClientFlag.MULTI)) f += 'x';
  if (c.has(ClientFlag.BLOCKED)) f += 'b';
  f += c.server.tracking.flagLetters(c);
  if (c.has(ClientFlag.DIRTY_CAS)) f += 'd';
  if (c.has(ClientFlag.CLOSE_AFTER_REPLY)) f += 'c';
  if (c.has(ClientFlag.CLOSE_ASAP)) f += 'A';
  if (c.socket !== null && c.socket.remoteAddress === undefined && !c.socket.destroyed) f += 'U'; // unix socket
  if (c.has(ClientFlag.NO_EVICT)) f += 'e';
  return f || 'N';
}

/** sizeof(listNode) + sizeof(watchedKey): what each WATCHed key adds (multiStateMemOverhead). */
const WATCHED_KEY_BYTES = 24 + 32;
/** sizeof(listNode) per pub/sub pattern (a channel costs a dict entry and its slots: alloc-size.ts). */
const LIST_NODE_BYTES = 24;
/** sizeof(raxNode) * sizeof(raxNode*): getClientMemoryUsage's (under)estimate per tracking-prefix rax node. */
const RAX_NODE_BYTES = 4 * 8;
/** sizeof(multiCmd): each allocated slot of the MULTI queue. */
const MULTI_CMD_BYTES = 24;
/** Whether the client's argv holds its running (or blocked) command: Redis keeps it until the command ends. */
function holdsArgv(c: Client): boolean {
  return c.parser.isFeeding() || c.has(ClientFlag.BLOCKED);
}

/** argv-mem: the running (or blocked) command's arguments, or those of a command still being received. */
function argvMem(c: Client): number {
  if (!holdsArgv(c)) return c.parser.partialArgvBytes();
  let n = 0;
  for (const a of c.argv) n += a.length;
  return n;
}

/** multi-mem: the queued commands' argument bytes plus 8 per argument (mstate.argv_len_sums), counted incrementally. */
function multiMem(c: Client): number {
  const q = c.multiQueue;
  if (q === null) return 0;
  if (c.multiCountedQueue !== q) {
    c.multiCountedQueue = q;
    c.multiCounted = 0;
    c.multiBytes = 0;
  }
  for (let i = c.multiCounted; i < q.length; i++) {
    const argv = q[i].argv;
    for (const a of argv) c.multiBytes += a.length;
    c.multiBytes += 8 * argv.length;
  }
  c.multiCounted = q.length;
  return c.multiBytes;
}

/** The MULTI queue's allocated slots (2, doubled as it fills: mstate.alloc_count). */
function multiAlloc(c: Client): number {
  const n = c.multiQueue?.length ?? 0;
  if (n === 0) return 0;
  let a = 2;
  while (a < n) a *= 2;
  return a;
}

/** Pending reply bytes past the reply buffer (Redis's reply list: omem), with what Node still queues. */
function outputListBytes(c: Client, rb: ReplyBufferState): number {
  const pending = c.writer.length;
  return pending - (pending < rb.size ? pending : rb.size) + (c.socket?.writableLength ?? 0);
}

/** pubsubMemOverhead: patterns' list nodes, and both channel dicts' entries and slots. */
function pubsubMem(c: Client, rb: ReplyBufferState): number {
  const channels = c.channels?.size ?? 0;
  if (channels > rb.channelsHigh) rb.channelsHigh = channels;
  const shard = c.shardChannels?.size ?? 0;
  if (shard > rb.shardHigh) rb.shardHigh = shard;
  return (
    (c.patterns?.size ?? 0) * LIST_NODE_BYTES +
    channels * DICT_ENTRY + dictSlots(rb.channelsHigh) * DICT_SLOT +
    shard * DICT_ENTRY + dictSlots(rb.shardHigh) * DICT_SLOT
  );
}

/**
 * getClientMemoryUsage (CLIENT LIST tot-mem, and what client eviction weighs): the client struct,
 * query buffer and reply buffer allocations, the reply list, the arguments, the MULTI state with
 * its watched keys, the pub/sub overhead and the tracking prefixes' rax nodes (estimated as two
 * per prefix: a leaf and a split), with Redis's constants.
 */
export function clientMemoryUsage(c: Client): number {
  const rb = stateOf(c);
  const prefixes = c.server.tracking.prefixCount(c);
  // (sizeof(robj*) per argument of a command held in argv; a partly received one has no argv yet)
  const argc = holdsArgv(c) ? c.argv.length : 0;
  return (
    CLIENT_STRUCT + c.qbMalloc + rb.size + outputListBytes(c, rb) + argvMem(c) + 8 * argc +
    multiMem(c) + (c.watched?.size ?? 0) * WATCHED_KEY_BYTES + multiAlloc(c) * MULTI_CMD_BYTES +
    pubsubMem(c, rb) + (prefixes > 0 ? (2 * prefixes + 1) * RAX_NODE_BYTES : 0)
  );
}

/** One CLIENT LIST / CLIENT INFO line (catClientInfoString). */
export function clientInfoLine(c: Client): string {
  const now = c.server.clock.now();
  const qbuf = c.parser.queryBufBytes();
  const totMem = clientMemoryUsage(c);
  const argv = argvMem(c);
  const channels = c.channels?.size ?? 0;
  const rb = stateOf(c);
  const pending = c.writer.length;
  const obl = pending < rb.size ? pending : rb.size;
  const listBytes = outputListBytes(c, rb);
  const oll = Math.ceil(listBytes / PROTO_REPLY_CHUNK_BYTES);
  const cmd = c.lastCmd ? c.lastCmd.fullname : 'NULL';
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.listedFd} name=${c.name} ` +
    `age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} flags=${clientFlags(c)} ` +
    `db=${c.dbIndex} sub=${channels} psub=${c.patterns?.size ?? 0} ssub=${c.shardChannels?.size ?? 0} ` +
    `multi=${c.multiQueue ? c.multiQueue.length : -1} qbuf=${qbuf} qbuf-free=${queryBufFree(c, qbuf)} argv-mem=${argv} multi-mem=${multiMem(c)} ` +
    `rbs=${rb.size} rbp=${rb.peak} obl=${obl} oll=${oll} omem=${listBytes} tot-mem=${totMem} events=r${listBytes + pending > 0 ? 'w' : ''} cmd=${cmd} user=${c.user} ` +
    `redir=${c.server.tracking.redirOf(c)} resp=${c.resp}` +
    (c.libName || c.libVer ? ` lib-name=${c.libName} lib-ver=${c.libVer}` : '')
  );
}
