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

const PROTO_REPLY_CHUNK_BYTES = 16 * 1024;
const PROTO_REPLY_MIN_BYTES = 1024;
/** zmalloc_size(client) + the query buffer's allocation on a 64-bit jemalloc build. */
const CLIENT_STRUCT = 768;
const QUERYBUF_ALLOC = 20480;

/** Reply-buffer state (lives on the Client; created lazily). */
export interface ReplyBufferState {
  size: number;
  peak: number;
  peakResetAt: number;
  /** Most channels ever subscribed at once: Redis's channel dict keeps its slots when emptied. */
  channelsHigh: number;
}

/** (A field of the Client rather than a WeakMap: noteReplyBytes runs on every flush.) */
function stateOf(c: Client): ReplyBufferState {
  return (c.replyBuf ??= { size: PROTO_REPLY_CHUNK_BYTES, peak: 0, peakResetAt: c.createdAt, channelsHigh: 0 });
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
 * clientsCron's per-client work, for a slice of the clients per cron run: clientsCronResizeOutputBuffer
 * and closeClientOnOutputBufferLimitReached (a client over a soft limit while nothing more is
 * written to it is closed once its soft-seconds pass, as in Redis).
 */
let cursor: IterableIterator<Client> | null = null;
export function clientsCron(server: Server, now: number): void {
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
    if (c.closed) continue;
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
  if (shrinkTo >= PROTO_REPLY_MIN_BYTES && s.peak < shrinkTo) next = Math.max(PROTO_REPLY_MIN_BYTES, s.peak + 1);
  else if (expandTo < PROTO_REPLY_CHUNK_BYTES * 2 && s.peak === s.size) next = Math.min(PROTO_REPLY_CHUNK_BYTES, expandTo);
  if (dbg.replyBufferPeakResetMs >= 0 && now - s.peakResetAt >= dbg.replyBufferPeakResetMs) {
    s.peak = 0;
    s.peakResetAt = now;
  }
  // jemalloc size classes: what zmalloc_usable_size reports for the new buffer.
  if (next) s.size = jemallocSize(next);
}

function jemallocSize(n: number): number {
  if (n <= 1024) return n <= 8 ? 8 : 1 << Math.ceil(Math.log2(n));
  // Above 1 KB: four classes per power of two.
  const p = 1 << (Math.ceil(Math.log2(n)) - 1);
  const step = p / 4;
  return Math.ceil(n / step) * step;
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

/** One CLIENT LIST / CLIENT INFO line (catClientInfoString). */
export function clientInfoLine(c: Client): string {
  const now = c.server.clock.now();
  const qbuf = c.parser.queryBufBytes();
  // argv-mem: the running (or blocked) command's arguments (Redis keeps them until the command
  // ends), or those of a command still being received.
  let argvMem = 0;
  let argc = 0;
  if (c.parser.isFeeding() || c.has(ClientFlag.BLOCKED)) {
    for (const a of c.argv) argvMem += a.length;
    argc = c.argv.length;
  } else argvMem = c.parser.partialArgvBytes();
  const channels = c.channels?.size ?? 0;
  let multiMem = 0;
  let multiAlloc = 0;
  if (c.multiQueue !== null) {
    for (const q of c.multiQueue) {
      for (const a of q.argv) multiMem += a.length;
      multiMem += 8 * q.argv.length;
    }
    if (c.multiQueue.length > 0) multiAlloc = 2;
    while (multiAlloc < c.multiQueue.length) multiAlloc *= 2;
  }
  const rb = stateOf(c);
  if (channels > rb.channelsHigh) rb.channelsHigh = channels;
  const pending = c.writer.length;
  const obl = pending < rb.size ? pending : rb.size;
  const listBytes = pending - obl + (c.socket?.writableLength ?? 0);
  const oll = Math.ceil(listBytes / PROTO_REPLY_CHUNK_BYTES);
  const pubsubMem = (c.patterns?.size ?? 0) * 24 + channels * 24 + (rb.channelsHigh > 0 ? dictSlots(rb.channelsHigh) * 8 : 0);
  const totMem = CLIENT_STRUCT + QUERYBUF_ALLOC + rb.size + listBytes + argvMem + 8 * argc + multiMem + multiAlloc * 24 + pubsubMem;
  const cmd = c.lastCmd ? c.lastCmd.fullname : 'NULL';
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${c.listedFd} name=${c.name} ` +
    `age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} flags=${clientFlags(c)} ` +
    `db=${c.dbIndex} sub=${channels} psub=${c.patterns?.size ?? 0} ssub=${c.shardChannels?.size ?? 0} ` +
    `multi=${c.multiQueue ? c.multiQueue.length : -1} qbuf=${qbuf} qbuf-free=${Math.max(0, 20474 - qbuf)} argv-mem=${argvMem} multi-mem=${multiMem} ` +
    `rbs=${rb.size} rbp=${rb.peak} obl=${obl} oll=${oll} omem=${listBytes} tot-mem=${totMem} events=r${listBytes + pending > 0 ? 'w' : ''} cmd=${cmd} user=${c.user} ` +
    `redir=${c.server.tracking.redirOf(c)} resp=${c.resp}` +
    (c.libName || c.libVer ? ` lib-name=${c.libName} lib-ver=${c.libVer}` : '')
  );
}

/** Slots of a dict that has held up to n entries (4, doubled when an insert finds it full). */
function dictSlots(n: number): number {
  let s = 4;
  while (s < n) s *= 2;
  return s;
}
