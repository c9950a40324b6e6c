/**
 * Reply writers. Command handlers write replies through the `Reply` interface; the protocol
 * (RESP2 or RESP3) decides the bytes. Two implementations:
 * - `RespWriter` encodes into a per-connection output buffer, flushed once per read batch.
 * - `ValueReply` (src/protocol/value-reply.ts) builds a tree of values, used by Lua's redis.call.
 *
 * RESP2 mapping of RESP3 types (as Redis does): map -> flat array of 2n, set/push -> array,
 * double -> bulk string "%.17g", null -> $-1 (or *-1 for null arrays), bool -> :1/:0,
 * verbatim -> bulk string, big number -> bulk string.
 */
import type { BulkSink, BulkValue } from '../engine/types';
import { formatDouble, writeDigitsBefore } from '../util/number';
import { copyAll, copyRange } from '../util/bytes';
import { writeLatin1 } from '../util/latin1';

export interface Reply {
  /** Protocol version in use (2 or 3). */
  readonly resp: 2 | 3;
  simple(s: string): void;
  ok(): void;
  /**
   * An error line; `msg` includes the code, e.g. "ERR syntax error". `noStats`: Redis's
   * ERR_REPLY_FLAG_NO_STATS_UPDATE, for an error already counted where it arose (a script's
   * redis.call): not counted in the error stats again, the running command still counts as failed.
   */
  error(msg: string, noStats?: boolean): void;
  int(n: number | bigint): void;
  bulk(v: BulkValue): void;
  /** Null bulk string (RESP2 $-1, RESP3 _). */
  nil(): void;
  /** Null array (RESP2 *-1, RESP3 _). */
  nilArray(): void;
  array(n: number): void;
  map(pairs: number): void;
  set(n: number): void;
  push(n: number): void;
  /** A double; `text` overrides the default "%.17g" digits (GEOPOS's human long double form). */
  double(d: number, text?: string): void;
  bool(b: boolean): void;
  verbatim(text: string, format?: string): void;
  bigNumber(digits: string): void;
  /** Reserve an aggregate header whose length is known only later. */
  deferred(): Deferred;
  setArrayLen(d: Deferred, n: number): void;
  setMapLen(d: Deferred, pairs: number): void;
  setSetLen(d: Deferred, n: number): void;
}

/** Handle to a reserved aggregate header. */
export type Deferred = { pos: number; id: number };

const CRLF = '\r\n';
const PRE_ENCODED: Record<string, Buffer> = {};
function pre(s: string): Buffer {
  return (PRE_ENCODED[s] ??= Buffer.from(s, 'latin1'));
}

const OK = pre('+OK\r\n');

/** RespWriter.take's placeholder: a writer without a buffer until its next write. */
const NO_BUFFER = Buffer.alloc(0);

/** RespWriter.take: largest buffer capacity carried over to the next batch (4x Redis's 16 KB client buffer). */
const KEEP_CAPACITY = 64 * 1024;

/** RespWriter.simple's encoded lines: statuses up to this long, at most this many kept. */
const SIMPLE_CACHED_LEN = 24;
const SIMPLE_CACHED_MAX = 64;
const simpleCache = new Map<string, Buffer>();
/** RespWriter.simple's last cached status and its line (shared by all writers). */
let lastSimple: string | null = null;
let lastSimpleLine: Buffer = NO_BUFFER;

/** Cached ":n\r\n" and "*n\r\n"-style headers for small n (Redis shares these objects too). */
const SMALL = 512;
const intCache: Buffer[] = [];
/** Decimal digits of a non-negative safe integer (comparisons below 2^31, no division). */
function digitCount(n: number): number {
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  if (n < 10000000000) return n < 1000000 ? 6 : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
  let digits = 11;
  for (let t = n / 1e10; t >= 10; t /= 10) digits++;
  return digits;
}

const bulkHdrCache: Buffer[] = [];
const arrayHdrCache: Buffer[] = [];
for (let i = 0; i < SMALL; i++) {
  intCache.push(Buffer.from(`:${i}\r\n`));
  bulkHdrCache.push(Buffer.from(`$${i}\r\n`));
  arrayHdrCache.push(Buffer.from(`*${i}\r\n`));
}

/**
 * Encodes RESP into a growable buffer. `take()` hands the bytes to the socket layer; the writer
 * then keeps a fresh buffer so handed-off bytes are never overwritten.
 */
export class RespWriter implements Reply, BulkSink {
  resp: 2 | 3 = 2;
  buf: Buffer;
  pos = 0;
  private deferredSeq = 0;
  /** Capacity of the buffer the first write after a big take() allocates (see take). */
  private nextCapacity = 0;
  /** Called for every error reply (error stats; `noStats`: see Reply.error). */
  onError: ((msg: string, noStats: boolean) => void) | null = null;

  constructor(private readonly initialSize = 16 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  /** Remove and return everything written so far. */
  take(): Buffer {
    const n = this.pos;
    this.pos = 0;
    if (n <= 4096) {
      // Small output: copy into a pooled slice and keep reusing our buffer.
      const out = Buffer.allocUnsafe(n);
      this.buf.copy(out, 0, 0, n);
      return out;
    }
    const out = this.buf.subarray(0, n);
    // The next buffer gets the capacity this batch grew to (up to KEEP_CAPACITY): a pipeline of
    // big replies (HGETALL, LRANGE of 100 elements at -P 16) then fills one allocation instead of
    // growing 16 -> 32 -> 64 KB with a copy at each step (measured: HGETALL of 100 fields +10%).
    // It is allocated at the first write (ensure), so an idle client holds no buffer at all.
    const cap = this.buf.length;
    this.nextCapacity = cap <= KEEP_CAPACITY ? cap : this.initialSize;
    this.buf = NO_BUFFER;
    return out;
  }

  /**
   * Everything written so far was sent from `buf` itself (a direct write, see networking.ts
   * writeOut): start over in the same buffer, unless it grew past KEEP_CAPACITY (then, as after a
   * big take(), the next write allocates a buffer of the initial size).
   */
  sent(): void {
    this.pos = 0;
    if (this.buf.length > KEEP_CAPACITY) {
      this.buf = NO_BUFFER;
      this.nextCapacity = this.initialSize;
    }
  }

  /** Drop output written after `mark` (used to discard a partial reply). */
  truncate(mark: number): void {
    this.pos = mark;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    if (size < this.nextCapacity) size = this.nextCapacity; // the first write after take()
    else if (size === 0) size = this.initialSize > 0 ? this.initialSize : 256;
    this.nextCapacity = 0;
    while (size < this.pos + n) size *= 2;
    const nb = Buffer.allocUnsafe(size);
    this.buf.copy(nb, 0, 0, this.pos);
    this.buf = nb;
  }

  raw(b: Buffer): void {
    const n = b.length;
    this.ensure(n);
    copyAll(this.buf, this.pos, b);
    this.pos += n;
  }

  /** Write an ASCII/latin1 string verbatim. */
  rawString(s: string): void {
    this.ensure(s.length);
    this.pos += this.buf.latin1Write(s, this.pos);
  }

  private line(prefix: string, n: number | string | bigint): void {
    this.rawString(prefix + n + CRLF);
  }

  simple(s: string): void {
    // The usual status (PONG, QUEUED...) is one of a few short constants: its encoded line is
    // kept (measured: PING 2.3M -> 2.9M per CPU-second in process), sparing the regex, the
    // concatenation and the string encoding per reply. A pipeline repeats one: the last line
    // is checked first, without the Map lookup.
    if (s === lastSimple) {
      this.raw(lastSimpleLine);
      return;
    }
    let b = simpleCache.get(s);
    if (b === undefined) {
      // Status lines cannot contain CR/LF.
      const line = '+' + s.replace(/[\r\n]/g, ' ') + CRLF;
      if (s.length > SIMPLE_CACHED_LEN || simpleCache.size >= SIMPLE_CACHED_MAX) {
        this.rawString(line);
        return;
      }
      simpleCache.set(s, (b = Buffer.from(line, 'latin1')));
    }
    lastSimple = s;
    lastSimpleLine = b;
    this.raw(b);
  }

  ok(): void {
    this.raw(OK);
  }

  error(msg: string, noStats = false): void {
    if (this.onError) this.onError(msg, noStats);
    this.rawString('-' + msg.replace(/[\r\n]/g, ' ') + CRLF);
  }

  int(n: number | bigint): void {
    if (typeof n === 'number' && Number.isSafeInteger(n)) {
      if (n >= 0 && n < 10) {
        // ":0\r\n", ":1\r\n"...: the most frequent integer replies (EXISTS, SADD, HSET, GETBIT...),
        // four stores.
        this.ensure(4);
        const buf = this.buf;
        const pos = this.pos;
        buf[pos] = 58;
        buf[pos + 1] = 48 + n;
        buf[pos + 2] = 13;
        buf[pos + 3] = 10;
        this.pos = pos + 4;
      } else if (n >= 0 && n < SMALL) this.raw(intCache[n]);
      else this.intLine(58 /* ':' */, n);
    } else this.line(':', typeof n === 'number' ? intString(n) : n);
  }

  /** A bulk string holding a safe integer's digits (`$<len>\r\n<digits>\r\n`), no string built. */
  private intBulk(n: number): void {
    const digits = (n < 0 ? 1 : 0) + digitCount(n < 0 ? -n : n);
    this.ensure(digits + 16);
    const h = bulkHdrCache[digits];
    copyAll(this.buf, this.pos, h);
    this.pos += h.length;
    this.intLine(-1, n);
  }

  /**
   * `<prefix><n>\r\n` for a safe integer (no prefix byte when prefix < 0), its digits written straight into the buffer (INCR's
   * and DBSIZE-like replies: no string built and encoded per reply).
   */
  private intLine(prefix: number, n: number): void {
    this.ensure(20);
    const buf = this.buf;
    let pos = this.pos;
    if (prefix >= 0) buf[pos++] = prefix;
    if (n < 0) {
      buf[pos++] = 45;
      n = -n;
    }
    pos += digitCount(n);
    writeDigitsBefore(buf, pos, n);
    buf[pos++] = 13;
    buf[pos++] = 10;
    this.pos = pos;
  }

  bulk(v: BulkValue): void {
    const len = v.length;
    this.ensure(len + 16);
    const buf = this.buf;
    let pos = this.pos;
    // Header and short values by plain stores: Buffer#copy and latin1Write are native calls of
    // ~50 ns each, which dominated HGETALL/SMEMBERS of small elements on js-map (measured
    // ~17 ns for a 7-byte string by the loop; the loop wins up to ~16 bytes).
    if (len < SMALL) {
      const h = bulkHdrCache[len];
      for (let i = 0; i < h.length; i++) buf[pos++] = h[i];
    } else {
      pos += buf.latin1Write('$' + len + CRLF, pos);
    }
    if (typeof v === 'string') writeLatin1(buf, pos, v);
    else copyAll(buf, pos, v);
    pos += len;
    buf[pos++] = 13;
    buf[pos++] = 10;
    this.pos = pos;
  }

  /** Pre-encoded RESP copied from src[start, start + len) (an engine's batch of bulk strings). */
  rawBytes(src: Uint8Array, start: number, len: number): void {
    this.ensure(len);
    // (copyRange: plain stores for a short reply -- a single popped element -- where subarray
    // and set() are two native calls.)
    copyRange(this.buf, this.pos, src, start, len);
    this.pos += len;
  }

  /** A bulk string copied from src[start, start + len) (Db.writeBulk's sink). */
  bulkBytes(src: Uint8Array, start: number, len: number): void {
    this.ensure(len + 16);
    const buf = this.buf;
    let pos = this.pos;
    if (len < SMALL) {
      const h = bulkHdrCache[len];
      for (let i = 0; i < h.length; i++) buf[pos++] = h[i];
    } else {
      pos += buf.latin1Write('$' + len + CRLF, pos);
    }
    copyRange(buf, pos, src, start, len);
    pos += len;
    buf[pos++] = 13;
    buf[pos++] = 10;
    this.pos = pos;
  }

  nil(): void {
    this.raw(this.resp === 3 ? pre('_\r\n') : pre('$-1\r\n'));
  }

  nilArray(): void {
    this.raw(this.resp === 3 ? pre('_\r\n') : pre('*-1\r\n'));
  }

  array(n: number): void {
    if (n >= 0 && n < SMALL) this.raw(arrayHdrCache[n]);
    else this.line('*', n);
  }

  map(pairs: number): void {
    if (this.resp === 3) this.line('%', pairs);
    else this.array(pairs * 2);
  }

  set(n: number): void {
    if (this.resp === 3) this.line('~', n);
    else this.array(n);
  }

  push(n: number): void {
    if (this.resp === 3) this.line('>', n);
    else this.array(n);
  }

  double(d: number, text?: string): void {
    // An integral score (the usual one) is its digits under %.17g: written as an integer is.
    if (text === undefined && d !== 0 && Number.isSafeInteger(d)) {
      if (this.resp === 3) this.intLine(44 /* ',' */, d);
      else this.intBulk(d);
      return;
    }
    if (this.resp === 3) this.line(',', text ?? formatDouble(d));
    else this.bulk(text ?? formatDouble(d));
  }

  bool(b: boolean): void {
    if (this.resp === 3) this.raw(b ? pre('#t\r\n') : pre('#f\r\n'));
    else this.int(b ? 1 : 0);
  }

  verbatim(text: string, format = 'txt'): void {
    if (this.resp === 3) {
      const len = Buffer.byteLength(text, 'latin1') + 4;
      this.rawString(`=${len}\r\n${format}:`);
      this.rawString(text);
      this.rawString(CRLF);
    } else this.bulk(text);
  }

  bigNumber(digits: string): void {
    if (this.resp === 3) this.line('(', digits);
    else this.bulk(digits);
  }

  /**
   * Reserve space for an aggregate header. The header is inserted later by shifting the bytes
   * written after it (one memmove per deferred reply, as cheap as Redis's separate reply node).
   */
  deferred(): Deferred {
    return { pos: this.pos, id: ++this.deferredSeq };
  }

  private patch(d: Deferred, header: string): void {
    const hlen = header.length;
    this.ensure(hlen);
    this.buf.copyWithin(d.pos + hlen, d.pos, this.pos);
    this.buf.latin1Write(header, d.pos);
    this.pos += hlen;
  }

  setArrayLen(d: Deferred, n: number): void {
    this.patch(d, '*' + n + CRLF);
  }

  setMapLen(d: Deferred, pairs: number): void {
    this.patch(d, this.resp === 3 ? '%' + pairs + CRLF : '*' + pairs * 2 + CRLF);
  }

  setSetLen(d: Deferred, n: number): void {
    this.patch(d, (this.resp === 3 ? '~' : '*') + n + CRLF);
  }
}

/** Integer text for a JS number known to be an integer (avoids "1e+21"). */
export function intString(n: number): string {
  if (Number.isSafeInteger(n)) return String(n);
  return BigInt(Math.trunc(n)).toString();
}
