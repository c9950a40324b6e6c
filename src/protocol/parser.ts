/**
 * Incremental RESP request parser (multibulk and inline), a port of Redis 7.0's
 * processMultibulkBuffer/processInlineBuffer (networking.c).
 *
 * Invariants:
 * - `feed(chunk)` may be called with frames split at any byte; state carries over between calls.
 * - Arguments are Buffer views into the received chunk (zero copy); consumers copy what they keep.
 * - A protocol error produces Redis's exact error text; the caller replies and closes the connection.
 * - Memory: unparsed bytes are kept at most once; a large bulk argument is assembled into a buffer
 *   preallocated to its declared size, so a 512 MB value is not re-concatenated per chunk.
 *
 * Complexity: O(bytes) per feed.
 */

import type { NameCache } from './name-cache';

const CR = 13;
const LF = 10;
/** PROTO_INLINE_MAX_SIZE: longest inline request / count line without a newline. */
export const PROTO_INLINE_MAX_SIZE = 64 * 1024;
/** Bulk arguments at least this large are assembled in their own buffer (PROTO_MBULK_BIG_ARG). */
const BIG_ARG = 32 * 1024;
const INT_MAX = 2147483647;
/**
 * Largest argument the parser's fast path takes: below the unauthenticated bulk limit (16384) and
 * the big-argument threshold, so none of the general path's checks can apply.
 */
const FAST_ARG_MAX = 16384;

export class ProtocolError extends Error {}

export interface ParserLimits {
  /** proto-max-bulk-len */
  maxBulkLen: number;
  /** When true the client is not authenticated: Redis caps counts for such clients. */
  authRequired(): boolean;
}

/**
 * Parses `buf[start, end)` as a Redis string2ll integer: optional '-', no '+', no leading zeros,
 * no spaces, at most 20 chars. Returns NaN when invalid.
 */
export function parseStrictInt(buf: Buffer, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > 20) return NaN;
  let i = start;
  let neg = false;
  if (len === 1 && buf[i] === 48) return 0;
  if (buf[i] === 45) {
    neg = true;
    i++;
    if (i === end) return NaN;
  }
  const first = buf[i];
  if (first < 49 || first > 57) return NaN;
  let v = 0;
  for (; i < end; i++) {
    const c = buf[i];
    if (c < 48 || c > 57) return NaN;
    v = v * 10 + (c - 48);
  }
  // 19 digits may pass the int64 range, and doubles cannot tell: compare the digits themselves.
  if (end - (neg ? start + 1 : start) === 19) {
    const limit = neg ? '9223372036854775808' : '9223372036854775807';
    const digits = buf.latin1Slice(neg ? start + 1 : start, end);
    if (digits > limit) return NaN;
  } else if (v > 9223372036854775807) return NaN;
  return neg ? -v : v;
}

/**
 * Index of the first CR at or after `from`, or -1. Count lines ("*3", "$16") are a few bytes: a
 * JS loop over the first bytes beats Buffer.indexOf's native call (measured ~22 ns per call, once
 * per command and once per argument); long runs fall back to indexOf.
 */
function findCR(buf: Buffer, from: number): number {
  const end = buf.length;
  const stop = from + 24 < end ? from + 24 : end;
  for (let i = from; i < stop; i++) {
    const c = buf[i];
    if (c === CR) return i;
    // Redis finds the CR with strchr(), which stops at a NUL byte: a NUL before the CR means
    // "no CR yet" (the client then waits, up to the 64 KB count-line limit).
    if (c === 0) return -1;
  }
  return stop === end ? -1 : beforeNul(buf, stop, buf.indexOf(CR, stop));
}

/** `at` (an index of CR or LF found from `from`), or -1 when a NUL byte comes first (strchr semantics). */
function beforeNul(buf: Buffer, from: number, at: number): number {
  if (at === -1) return -1;
  const z = buf.indexOf(0, from);
  return z !== -1 && z < at ? -1 : at;
}

/**
 * Argument views. `buf.subarray()` costs ~60 ns (argument normalisation, the `buffer` getter, which
 * is a native call, then the FastBuffer constructor); constructing a view from the chunk's
 * ArrayBuffer and offset, both read once per chunk, costs ~35 ns, and there is one view per
 * argument of every command. The class has Buffer.prototype as its prototype, so the views are
 * Buffers in every respect (Buffer.isBuffer, methods, instanceof), as Node's own FastBuffer is.
 */
export const ArgView = class Buffer extends Uint8Array {};
Object.setPrototypeOf(ArgView.prototype, Buffer.prototype);

/** What the parser calls back into (one object per connection; see RequestParser.feed). */
export interface RequestHandler {
  /**
   * A complete command (argv never empty). Argument views are valid until the call returns.
   * `resolved`: the name cache's value for argv[0] when the parser found the name there (argv[0]
   * is then the entry's Buffer, same bytes), else null.
   */
  command(argv: Buffer[], resolved: unknown): void;
  /**
   * Consulted before parsing a read and after every command: false stops parsing (a command closed
   * or blocked the client); the input stays buffered until a later feed finds it true.
   */
  proceed(): boolean;
  /**
   * Optional: called at a command boundary before every LOOKAHEAD_COMMANDS-th command with the
   * unparsed input (the engine's prefetch hint), when a pipelined batch is left.
   */
  lookahead?(buf: Buffer, pos: number): void;
  /**
   * Optional fast path: a complete `GET key` (FAST_GET, value null) or `SET key value` (FAST_SET)
   * in plain form, recognised from its bytes without building argv. Returns false to have the
   * command parsed and dispatched the normal way instead (nothing is consumed then).
   */
  fast?(kind: number, key: Buffer, value: Buffer | null): boolean;
  /**
   * Optional: at a command boundary (buf[pos] is '*'), run what the engine's fast lane serves
   * from there (src/server/lane.ts); returns the bytes it consumed, 0 when it ran nothing.
   * Not offered one lone small command (see LANE_MIN_BYTES).
   */
  lane?(buf: Buffer, pos: number): number;
}

export const FAST_GET = 1;
export const FAST_SET = 2;

/** Commands between two lookahead calls. */
export const LOOKAHEAD_COMMANDS = 16;
/** No lookahead when less input than this is left (one small command: nothing to overlap). */
const LOOKAHEAD_MIN_BYTES = 96;
/**
 * The lane is offered a read's first command only when at least this much input is left: a lone
 * small command (redis-benchmark -P 1) costs ~0.2-0.3 µs more through the lane's fixed cost per
 * run (its checks, the copy into linear memory, the stats) than through the dispatcher (in
 * process, one command per read: RPUSH 0.91 vs 0.73 µs, GET 0.79 vs 0.47). Later boundaries of
 * the same read always are: more than one command came.
 */
const LANE_MIN_BYTES = 128;

export class RequestParser {
  private buf: Buffer | null = null;
  /** buf.buffer and buf.byteOffset, read once per chunk (see ArgView). */
  private bufAB: ArrayBuffer | null = null;
  private bufBase = 0;
  private pos = 0;
  /** Remaining bulk arguments of the current multibulk; 0 when between commands. */
  private multibulkLen = 0;
  /** Declared length of the bulk being read; -1 when its length line is not read yet. */
  private bulkLen = -1;
  /**
   * The command being read: its arguments so far in argv[0 .. argc). For up to OWN_ARGV_MAX arguments argv
   * is the command's own exact-size array, allocated when the count line is read and handed over
   * as it is; for more it is `scratch`, reused from command to command (a fresh array per command
   * grew its backing store to 17 slots on the first push: ~150 bytes of garbage per command),
   * and the command gets an exact-size copy (takeArgv), the scratch slots being cleared so they
   * pin no read buffer.
   */
  private argv: Buffer[] = [];
  private scratch: Buffer[] = this.argv;
  private argc = 0;
  /** Preallocated target for a big bulk argument, filled as chunks arrive. */
  private bigArg: Buffer | null = null;
  private bigArgFilled = 0;
  /** The length of the last bulk of PROTO_MBULK_BIG_ARG bytes or more completed (takeBigArgDone), or -1. */
  private bigArgDone = -1;
  /** Results of matchFast / smallBulk (fields, so a match allocates only the argument views). */
  private fastKey: Buffer | null = null;
  private fastValue: Buffer | null = null;
  private fastEnd = 0;
  private scanAt = 0;
  /** Chunks received while the handler could not proceed, not parsed yet (see feed). */
  private held: Buffer[] | null = null;
  /** True while feed() runs the commands of a read (see queryBufBytes). */
  private feeding = false;
  /**
   * Command names already resolved (see name-cache.ts), consulted for a multibulk's first
   * argument; null: none. `resolved` is the hit's value for the command being read.
   */
  names: NameCache<unknown> | null = null;
  private resolved: unknown = null;

  constructor(private readonly limits: ParserLimits) {}

  /**
   * CLIENT LIST qbuf, as Redis's sdslen(querybuf): while the commands of a read run, the whole
   * read (Redis trims the query buffer only after the batch); otherwise the unparsed bytes.
   */
  queryBufBytes(): number {
    return this.feeding && this.buf !== null ? this.buf.length + (this.bigArg ? this.bigArgFilled : 0) : this.pendingBytes();
  }

  /**
   * The declared length of a bulk argument being assembled in its own buffer (PROTO_MBULK_BIG_ARG:
   * Redis then sizes the query buffer for that bulk), or -1.
   */
  bigArgLength(): number {
    return this.bigArg !== null ? this.bulkLen : -1;
  }

  /**
   * The length of the last bulk argument of 32 KB or more (PROTO_MBULK_BIG_ARG) completed since
   * the previous call, or -1 (query-buffer.ts: Redis then gives the client a fresh query buffer
   * of that size).
   */
  takeBigArgDone(): number {
    const n = this.bigArgDone;
    this.bigArgDone = -1;
    return n;
  }

  /** True while the commands of a read run (the client is the one executing). */
  isFeeding(): boolean {
    return this.feeding;
  }

  /** CLIENT LIST argv-mem outside a command: the arguments of a partly received command. */
  partialArgvBytes(): number {
    let n = 0;
    for (let i = 0; i < this.argc; i++) n += this.argv[i].length;
    return n;
  }

  /**
   * The arguments of a partly received multibulk command, those parsed and those to come (Redis's
   * argv is allocated for them when the count is read); 0 between commands.
   */
  partialArgCount(): number {
    return this.multibulkLen > 0 ? this.argc + this.multibulkLen : 0;
  }

  /** Bytes buffered but not yet parsed (for client-query-buffer-limit). */
  pendingBytes(): number {
    let n = (this.buf ? this.buf.length - this.pos : 0) + (this.bigArg ? this.bigArgFilled : 0);
    if (this.held !== null) for (const b of this.held) n += b.length;
    return n;
  }

  reset(): void {
    this.buf = null;
    this.pos = 0;
    this.multibulkLen = 0;
    this.bulkLen = -1;
    this.argv = this.scratch = [];
    this.argc = 0;
    this.bigArg = null;
    this.bigArgFilled = 0;
    this.bigArgDone = -1;
    this.held = null;
    this.resolved = null;
  }

  /**
   * Feed received bytes; calls `h.command` for each complete command (or `h.fast` for the plain
   * GET/SET forms it accepts, or `h.lane` for a run of commands at a command boundary),
   * `h.proceed` before the first and after each, `h.lookahead` every LOOKAHEAD_COMMANDS commands
   * of a pipelined batch. Throws ProtocolError on malformed input.
   */
  feed(chunk: Buffer, h: RequestHandler): void {
    // A client that may not proceed (blocked, or closing) keeps what it sends unparsed until it
    // may: Redis does not process a blocked client's input, so a later command's reply can never
    // overtake the blocked command's.
    if (!h.proceed()) {
      if (chunk.length > 0) (this.held ??= []).push(chunk);
      return;
    }
    if (this.held !== null) {
      const held = this.held;
      this.held = null;
      if (chunk.length > 0) held.push(chunk);
      chunk = held.length === 1 ? held[0] : Buffer.concat(held);
    }
    if (this.bigArg) {
      chunk = this.fillBigArg(chunk);
      if (this.bigArg) return;
      // Big argument complete: it may have finished a command.
      if (this.multibulkLen === 0) {
        const argv = this.takeArgv();
        const resolved = this.resolved;
        this.resolved = null;
        h.command(argv, resolved);
        if (!h.proceed()) {
          this.append(chunk);
          return;
        }
      }
    }
    this.append(chunk);
    this.feeding = true;
    let untilLookahead = 0;
    let laneMin = LANE_MIN_BYTES;
    while (this.buf !== null && this.pos < this.buf.length) {
      const buf = this.buf;
      if (this.multibulkLen === 0 && buf[this.pos] === 42 /* '*' */) {
        const offerLane = buf.length - this.pos >= laneMin;
        laneMin = 0;
        if (h.lane !== undefined && offerLane) {
          const used = h.lane(buf, this.pos);
          if (used > 0) {
            this.pos += used;
            if (!h.proceed()) break;
            continue;
          }
        }
        if (h.lookahead !== undefined && --untilLookahead <= 0) {
          untilLookahead = LOOKAHEAD_COMMANDS;
          if (buf.length - this.pos >= LOOKAHEAD_MIN_BYTES) h.lookahead(buf, this.pos);
        }
        if (h.fast !== undefined) {
          const kind = this.matchFast(buf);
          if (kind !== 0 && h.fast(kind, this.fastKey!, this.fastValue)) {
            this.pos = this.fastEnd;
            this.fastKey = this.fastValue = null;
            if (!h.proceed()) break;
            continue;
          }
          this.fastKey = this.fastValue = null;
        }
      }
      let argv: Buffer[] | null;
      if (this.multibulkLen > 0 || buf[this.pos] === 42 /* '*' */) argv = this.parseMultibulk();
      else argv = this.parseInline();
      if (argv === null) {
        if (this.bigArg) {
          this.feeding = false;
          return;
        }
        break;
      }
      if (argv.length > 0) {
        const resolved = this.resolved;
        this.resolved = null;
        h.command(argv, resolved);
        if (!h.proceed()) break;
      }
    }
    this.compact();
  }

  /** Copy the command name's 3 bytes to dst[at] while RequestHandler.fast runs (propagation: no view). */
  copyFastName(dst: Uint8Array, at: number): void {
    const b = this.buf!;
    const p = this.pos + 8;
    dst[at] = b[p];
    dst[at + 1] = b[p + 1];
    dst[at + 2] = b[p + 2];
  }

  /** The command name's view while RequestHandler.fast runs (for SLOWLOG). */
  fastName(): Buffer {
    return new ArgView(this.bufAB!, this.bufBase + this.pos + 8, 3) as Buffer;
  }

  /**
   * Recognise `*2 $3 GET $n key` / `*3 $3 SET $n key $m value` (command name in any case) at pos,
   * complete and with short arguments (see smallBulk). On a match sets fastKey, fastValue and
   * fastEnd and returns FAST_GET / FAST_SET; otherwise 0. Consumes nothing. The LF after each CR
   * is not checked, as Redis does not check it.
   */
  private matchFast(buf: Buffer): number {
    const p = this.pos;
    if (p + 16 > buf.length) return 0;
    const argc = buf[p + 1];
    if ((argc !== 50 && argc !== 51) || buf[p + 2] !== CR || buf[p + 4] !== 36 || buf[p + 5] !== 51 || buf[p + 6] !== CR || buf[p + 11] !== CR) return 0;
    // ASCII letters only: setting bit 5 lower-cases them and no other byte maps onto e, t, g, s.
    if ((buf[p + 9] | 0x20) !== 101 /* e */ || (buf[p + 10] | 0x20) !== 116 /* t */) return 0;
    const c0 = buf[p + 8] | 0x20;
    let kind: number;
    if (c0 === 103 /* g */ && argc === 50) kind = FAST_GET;
    else if (c0 === 115 /* s */ && argc === 51) kind = FAST_SET;
    else return 0;
    const kl = this.smallBulk(buf, p + 13);
    if (kl < 0) return 0;
    const koff = this.scanAt;
    let end = koff + kl + 2;
    let value: Buffer | null = null;
    if (kind === FAST_SET) {
      const vl = this.smallBulk(buf, end);
      if (vl < 0) return 0;
      value = new ArgView(this.bufAB!, this.bufBase + this.scanAt, vl) as Buffer;
      end = this.scanAt + vl + 2;
    }
    this.fastKey = new ArgView(this.bufAB!, this.bufBase + koff, kl) as Buffer;
    this.fastValue = value;
    this.fastEnd = end;
    return kind;
  }

  /**
   * A complete "$<len>\r\n<bytes>\r\n" at p with 1 <= len <= FAST_ARG_MAX and no leading zero:
   * returns len and sets scanAt to the first byte of the argument; -1 for anything else (which the
   * general path then handles, with Redis's errors).
   */
  private smallBulk(buf: Buffer, p: number): number {
    const end = buf.length;
    if (p >= end || buf[p] !== 36 /* '$' */) return -1;
    p++;
    let c = p < end ? buf[p] : 0;
    if (c < 49 || c > 57) return -1;
    let ll = c - 48;
    p++;
    while (p < end && (c = buf[p]) >= 48 && c <= 57 && ll < 100000) {
      ll = ll * 10 + (c - 48);
      p++;
    }
    if (c !== CR || ll > FAST_ARG_MAX || p + 3 + ll >= end) return -1;
    this.scanAt = p + 2;
    return ll;
  }

  private setBuf(b: Buffer): void {
    this.buf = b;
    this.bufAB = b.buffer as ArrayBuffer;
    this.bufBase = b.byteOffset;
    this.pos = 0;
  }

  private append(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.buf === null || this.pos >= this.buf.length) {
      this.setBuf(chunk);
    } else {
      this.setBuf(Buffer.concat([this.buf.subarray(this.pos), chunk]));
    }
  }

  /** Drop consumed bytes so a long-lived connection does not pin old chunks. */
  private compact(): void {
    this.feeding = false;
    if (this.buf === null) return;
    if (this.pos >= this.buf.length) {
      this.buf = null;
      this.pos = 0;
    } else if (this.pos > 0 && this.argc === 0) {
      // Copy the tail so the (possibly large) original chunk can be collected.
      this.setBuf(Buffer.from(this.buf.subarray(this.pos)));
    }
  }

  private fillBigArg(chunk: Buffer): Buffer {
    const target = this.bigArg!;
    const need = this.bulkLen + 2 - this.bigArgFilled;
    const take = Math.min(need, chunk.length);
    // The trailing CRLF is not stored: copy only the payload part.
    const payloadLeft = this.bulkLen - this.bigArgFilled;
    if (payloadLeft > 0) chunk.copy(target, this.bigArgFilled, 0, Math.min(take, payloadLeft));
    this.bigArgFilled += take;
    if (this.bigArgFilled < this.bulkLen + 2) return chunk.subarray(chunk.length);
    this.pushArg(target);
    this.bigArgDone = this.bulkLen;
    this.bigArg = null;
    this.bigArgFilled = 0;
    this.bulkLen = -1;
    this.multibulkLen--;
    return chunk.subarray(take);
  }

  private parseInline(): Buffer[] | null {
    const buf = this.buf!;
    const start = this.pos;
    const nl = beforeNul(buf, start, buf.indexOf(LF, start));
    if (nl === -1) {
      if (buf.length - start > PROTO_INLINE_MAX_SIZE) throw new ProtocolError('Protocol error: too big inline request');
      return null;
    }
    let end = nl;
    if (end !== start && buf[end - 1] === CR) end--;
    const args = splitArgs(buf, start, end);
    if (args === null) throw new ProtocolError('Protocol error: unbalanced quotes in request');
    this.pos = nl + 1;
    return args;
  }

  /**
   * Read a multibulk's count line at pos (general form): false when it is not complete yet;
   * otherwise starts the multibulk (multibulkLen stays 0 for a count <= 0). Throws on a bad one.
   */
  private countLine(buf: Buffer): boolean {
    const cr = findCR(buf, this.pos);
    if (cr === -1) {
      if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError('Protocol error: too big mbulk count string');
      return false;
    }
    if (cr + 1 >= buf.length) return false; // need the \n too
    const ll = parseStrictInt(buf, this.pos + 1, cr);
    if (Number.isNaN(ll) || ll > INT_MAX) throw new ProtocolError('Protocol error: invalid multibulk length');
    if (ll > 10 && this.limits.authRequired()) throw new ProtocolError('Protocol error: unauthenticated multibulk length');
    this.pos = cr + 2;
    if (ll > 0) this.startMultibulk(ll);
    return true;
  }

  /** A multibulk of `ll` (> 0) arguments starts. */
  private startMultibulk(ll: number): void {
    this.multibulkLen = ll;
    this.argc = 0;
    this.resolved = null;
    this.argv = ll <= OWN_ARGV_MAX ? ownArgv(ll) : this.scratch;
  }

  /**
   * A command of n (1 to OWN_ARGV_MAX) arguments, its count line read (pos is after it), parsed in one pass
   * when every argument is a complete small bulk (smallBulk): its array and the position stay
   * local, so nothing is stored into the parser but the new position and the resolved name.
   * Otherwise the arguments read so far become the started multibulk's state and null is
   * returned: parseMultibulk's loop goes on from there.
   */
  private wholeCommand(buf: Buffer, n: number): Buffer[] | null {
    const argv = ownArgv(n);
    let pos = this.pos;
    let resolved: unknown = null;
    let i = 0;
    for (; i < n; i++) {
      const ll = this.smallBulk(buf, pos);
      if (ll < 0) break;
      const at = this.scanAt;
      pos = at + ll + 2;
      if (i === 0 && this.names !== null) {
        // The command name: the cached Buffer of the same bytes when the name is known.
        const e = this.names.get(buf, at, ll);
        if (e !== undefined) {
          argv[0] = e.name;
          resolved = e.value;
          continue;
        }
      }
      argv[i] = new ArgView(this.bufAB!, this.bufBase + at, ll) as Buffer;
    }
    this.pos = pos;
    this.resolved = resolved;
    if (i === n) return argv;
    this.multibulkLen = n - i;
    this.argc = i;
    this.argv = argv;
    return null;
  }

  private parseMultibulk(): Buffer[] | null {
    const buf = this.buf!;
    if (this.multibulkLen === 0) {
      // The usual count line, "*<1-9>\r\n" complete: read its digit directly (what findCR and
      // parseStrictInt below conclude for it; the LF is not checked, as there).
      const p = this.pos;
      const d = buf[p + 1] - 48;
      if (d >= 1 && d <= 9 && p + 3 < buf.length && buf[p + 2] === CR) {
        this.pos = p + 4;
        if (d > OWN_ARGV_MAX) this.startMultibulk(d);
        else {
          const argv = this.wholeCommand(buf, d);
          if (argv !== null) return argv;
        }
      } else if (!this.countLine(buf)) return null;
      else if (this.multibulkLen === 0) return EMPTY;
    }
    while (this.multibulkLen > 0) {
      if (this.bulkLen === -1) {
        // Fast path for the common case (see smallBulk); anything else takes the general path
        // below, which has Redis's errors and limits.
        const ll = this.smallBulk(buf, this.pos);
        if (ll >= 0) {
          // The command name: the cached Buffer of the same bytes when the name is known.
          const e = this.argc === 0 && this.names !== null ? this.names.get(buf, this.scanAt, ll) : undefined;
          if (e !== undefined) {
            this.pushArg(e.name);
            this.resolved = e.value;
          } else this.pushArg(new ArgView(this.bufAB!, this.bufBase + this.scanAt, ll) as Buffer);
          this.pos = this.scanAt + ll + 2;
          this.multibulkLen--;
          continue;
        }
      }
      if (this.bulkLen === -1) {
        const cr = findCR(buf, this.pos);
        if (cr === -1) {
          if (buf.length - this.pos > PROTO_INLINE_MAX_SIZE) throw new ProtocolError('Protocol error: too big bulk count string');
          return null;
        }
        if (cr + 1 >= buf.length) return null;
        if (buf[this.pos] !== 36 /* '$' */) {
          // addReplyErrorFormat turns CR and LF into spaces.
          const got = buf[this.pos] === CR || buf[this.pos] === LF ? ' ' : String.fromCharCode(buf[this.pos]);
          throw new ProtocolError(`Protocol error: expected '$', got '${got}'`);
        }
        const ll = parseStrictInt(buf, this.pos + 1, cr);
        if (Number.isNaN(ll) || ll < 0 || ll > this.limits.maxBulkLen) throw new ProtocolError('Protocol error: invalid bulk length');
        if (ll > 16384 && this.limits.authRequired()) throw new ProtocolError('Protocol error: unauthenticated bulk length');
        this.pos = cr + 2;
        this.bulkLen = ll;
        if (ll >= BIG_ARG && buf.length - this.pos < ll + 2) {
          // Assemble this argument in its own buffer as the rest arrives.
          this.bigArg = Buffer.allocUnsafe(ll);
          this.bigArgFilled = 0;
          const rest = buf.subarray(this.pos);
          this.buf = null;
          this.pos = 0;
          this.fillBigArg(rest);
          return null;
        }
      }
      if (buf.length - this.pos < this.bulkLen + 2) return null;
      if (this.bulkLen >= BIG_ARG) this.bigArgDone = this.bulkLen;
      this.pushArg(new ArgView(this.bufAB!, this.bufBase + this.pos, this.bulkLen) as Buffer);
      this.pos += this.bulkLen + 2;
      this.bulkLen = -1;
      this.multibulkLen--;
    }
    return this.takeArgv();
  }

  private pushArg(a: Buffer): void {
    if (this.argc < this.argv.length) this.argv[this.argc++] = a;
    else this.argc = this.argv.push(a);
  }

  /** The complete command's arguments as an array of its own; the scratch is left empty. */
  private takeArgv(): Buffer[] {
    const n = this.argc;
    const scratch = this.scratch;
    this.argc = 0;
    if (this.argv !== scratch) {
      // The command's own array (up to OWN_ARGV_MAX arguments), full.
      const argv = this.argv;
      this.argv = scratch;
      return argv;
    }
    const argv = scratch.slice(0, n);
    // (a scratch grown by a command of thousands of arguments is not kept for the client's life)
    if (n > 1024) this.argv = this.scratch = [];
    else for (let i = 0; i < n; i++) scratch[i] = EMPTY_ARG;
    return argv;
  }
}

const EMPTY: Buffer[] = [];
/** What a cleared scratch slot holds (a Buffer, so the scratch keeps one elements kind). */
const EMPTY_ARG = Buffer.alloc(0);

/**
 * Commands of up to this many arguments get an array of their own (see RequestParser.argv): every
 * count the one-digit count line read directly can give, so SET with options, HSET of two fields,
 * BITFIELD of one operation or GEOADD of two points skip the scratch and its copy.
 */
const OWN_ARGV_MAX = 9;

/** An array of n (1 to OWN_ARGV_MAX) slots, each literal an inline allocation of a packed array. */
function ownArgv(n: number): Buffer[] {
  const E = EMPTY_ARG;
  return n === 3 ? [E, E, E]
    : n === 2 ? [E, E]
    : n === 4 ? [E, E, E, E]
    : n === 1 ? [E]
    : n === 5 ? [E, E, E, E, E]
    : n === 6 ? [E, E, E, E, E, E]
    : n === 7 ? [E, E, E, E, E, E, E]
    : n === 8 ? [E, E, E, E, E, E, E, E]
    : [E, E, E, E, E, E, E, E, E];
}

function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function hexVal(c: number): number {
  if (c <= 57) return c - 48;
  if (c >= 97) return c - 87;
  return c - 55;
}

function isSpace(c: number): boolean {
  // isspace(): space, \t, \n, \v, \f, \r
  return c === 32 || (c >= 9 && c <= 13);
}

/**
 * sdssplitargs: split an inline request into arguments, honouring "double quotes" with escapes
 * (\n \r \t \b \a \xHH \\ \") and 'single quotes' (only \' escaped). Returns null on unbalanced
 * quotes or a closing quote not followed by a space.
 */
export function splitArgs(buf: Buffer, start: number, end: number): Buffer[] | null {
  const out: Buffer[] = [];
  let p = start;
  for (;;) {
    while (p < end && isSpace(buf[p])) p++;
    if (p >= end) return out;
    let inq = false;
    let insq = false;
    let done = false;
    const cur: number[] = [];
    while (!done) {
      if (inq) {
        if (p >= end) return null;
        const c = buf[p];
        if (c === 92 /* \ */ && p + 3 < end && buf[p + 1] === 120 /* x */ && isHexDigit(buf[p + 2]) && isHexDigit(buf[p + 3])) {
          cur.push(hexVal(buf[p + 2]) * 16 + hexVal(buf[p + 3]));
          p += 3;
        } else if (c === 92 && p + 1 < end) {
          p++;
          const e = buf[p];
          cur.push(e === 110 ? 10 : e === 114 ? 13 : e === 116 ? 9 : e === 98 ? 8 : e === 97 ? 7 : e);
        } else if (c === 34 /* " */) {
          if (p + 1 < end && !isSpace(buf[p + 1])) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else if (insq) {
        if (p >= end) return null;
        const c = buf[p];
        if (c === 92 && p + 1 < end && buf[p + 1] === 39 /* ' */) {
          p++;
          cur.push(39);
        } else if (c === 39) {
          if (p + 1 < end && !isSpace(buf[p + 1])) return null;
          done = true;
        } else {
          cur.push(c);
        }
      } else {
        if (p >= end) {
          done = true;
          break;
        }
        const c = buf[p];
        if (c === 32 || c === 10 || c === 13 || c === 9 || c === 0) {
          done = true;
        } else if (c === 34) {
          inq = true;
        } else if (c === 39) {
          insq = true;
        } else {
          cur.push(c);
        }
      }
      if (p < end) p++;
    }
    out.push(Buffer.from(cur));
  }
}
