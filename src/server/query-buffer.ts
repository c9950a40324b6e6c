/**
 * The query buffer's allocation as Redis 7.0 sizes it, for CLIENT LIST qbuf-free and tot-mem
 * (what client eviction weighs). Redust's parser keeps only the bytes it has not parsed yet; the
 * sds Redis would hold instead is modelled by three numbers on the Client:
 *
 *   qbAlloc   sdsalloc(querybuf): the room for bytes (CLIENT LIST qbuf + qbuf-free)
 *   qbMalloc  sdsZmallocSize(querybuf): the allocation with header and terminator (a jemalloc class)
 *   qbPeak    querybuf_peak: the most bytes the buffer held since the last cron visit
 *
 * and follows Redis's events (networking.c readQueryFromClient and processMultibulkBuffer,
 * server.c clientsCronResizeQueryBuffer):
 *   - a new client has sdsempty() (an 8-byte allocation, 4 bytes of room);
 *   - each read makes room for 16 KB (PROTO_IOBUF_LEN) past the unparsed bytes: exactly that
 *     while the buffer is smaller than 16 KB, doubling past it (sdsMakeRoomFor's greedy growth);
 *   - while a bulk of 32 KB or more (PROTO_MBULK_BIG_ARG) is received, room for exactly that bulk;
 *     once it is complete Redis hands the buffer over as the argument and allocates a fresh one of
 *     the bulk's size, expecting another;
 *   - the cron gives back the free room (when over 4 KB) of a client idle for more than 2 s, or
 *     trims a buffer over 32 KB (PROTO_RESIZE_THRESHOLD) to its recent peak when that is less
 *     than half of it, then restarts the peak.
 * Invariant: qbAlloc >= the bytes the buffer holds, except between a read and the model's update
 * after it (CLIENT LIST clamps qbuf-free at 0).
 */
import type { Client } from './client';
import { jemallocSize, sdsHeader } from './alloc-size';

const PROTO_IOBUF_LEN = 16 * 1024;
const PROTO_RESIZE_THRESHOLD = 32 * 1024;
const SDS_MAX_PREALLOC = 1024 * 1024;

/** sdsTypeMaxSize of the header's type (an sds of type 8 records at most 255 bytes of room). */
function sdsTypeMax(hdr: number): number {
  return hdr === 3 ? 255 : hdr === 5 ? 65535 : 2 ** 32 - 1;
}

/** An allocation for `newlen` bytes, its room as sds records it (s_malloc_usable minus header and NUL). */
function allocUsable(c: Client, newlen: number): void {
  const hdr = sdsHeader(newlen);
  const malloc = jemallocSize(hdr + newlen + 1);
  c.qbMalloc = malloc;
  c.qbAlloc = Math.min(malloc - hdr - 1, sdsTypeMax(hdr));
}

/** sdsMakeRoomFor (greedy) / sdsMakeRoomForNonGreedy for `addlen` bytes past `len`. */
function makeRoom(c: Client, len: number, addlen: number, greedy: boolean): void {
  if (c.qbAlloc - len >= addlen) return;
  let newlen = len + addlen;
  if (greedy) newlen = newlen < SDS_MAX_PREALLOC ? newlen * 2 : newlen + SDS_MAX_PREALLOC;
  allocUsable(c, newlen);
}

/** sdsResize(querybuf, size, 1): room for exactly `size` bytes. */
function resize(c: Client, size: number): void {
  c.qbMalloc = jemallocSize(sdsHeader(size) + size + 1);
  c.qbAlloc = size;
}

/**
 * A read of `n` bytes is about to be parsed: the room readQueryFromClient makes before reading
 * (none while a big bulk is received: that room was made when its header was read).
 */
export function queryBufRead(c: Client, n: number): void {
  const p = c.parser;
  const len = p.pendingBytes();
  if (p.bigArgLength() < 0) makeRoom(c, len, PROTO_IOBUF_LEN, c.qbAlloc >= PROTO_IOBUF_LEN);
  if (len + n > c.qbPeak) c.qbPeak = len + n;
}

/** The read was parsed (and its commands ran); `pending`: the bytes the parser kept. */
export function queryBufParsed(c: Client, pending: number): void {
  const p = c.parser;
  const done = p.takeBigArgDone();
  // The buffer handed over with a big bulk, and a fresh one of its size (sdsnewlen).
  if (done >= 0) allocUsable(c, done + 2);
  const big = p.bigArgLength();
  if (big >= 0) {
    // A big bulk's header was read: room for exactly the bulk and its CRLF.
    if (big + 2 > c.qbPeak) c.qbPeak = big + 2;
    makeRoom(c, 0, big + 2, false);
  } else if (pending > c.qbAlloc) makeRoom(c, c.qbAlloc, pending - c.qbAlloc, true);
}

/** clientsCronResizeQueryBuffer, at `now` (ms). */
export function queryBufCron(c: Client, now: number): void {
  const p = c.parser;
  const len = p.queryBufBytes();
  const bulk = p.bigArgLength();
  if (c.qbAlloc - len > 4096) {
    // (server.unixtime - c->lastinteraction, both in whole seconds)
    if (Math.floor(now / 1000) - Math.floor(c.lastInteraction / 1000) > 2) resize(c, len);
    else if (c.qbAlloc > PROTO_RESIZE_THRESHOLD && c.qbAlloc / 2 > c.qbPeak) resize(c, Math.max(len, c.qbPeak, bulk));
  }
  c.qbPeak = Math.max(len, bulk);
}

/** CLIENT LIST qbuf-free for a buffer holding `qbuf` bytes (sdsavail). */
export function queryBufFree(c: Client, qbuf: number): number {
  return c.qbAlloc > qbuf ? c.qbAlloc - qbuf : 0;
}
