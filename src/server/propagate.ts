/**
 * Command propagation (Redis 7.0's alsoPropagate / propagatePendingCommands in server.c): the
 * stream of effects that the append-only file records and that replicas will receive. It says
 * what changed the dataset, in order, in a form that replays to the same state:
 *
 * - a write command (one that changed the dirty counter) as it was sent, or as its handler
 *   rewrote it (`propagateAs`): EXPIRE -> PEXPIREAT, SET EX -> SET PXAT, INCRBYFLOAT -> SET
 *   KEEPTTL, BLPOP -> LPOP, SPOP -> SREM... so that replaying never depends on time or chance;
 * - the effects of a script or a MULTI/EXEC, never the EVAL or EXEC itself, wrapped in
 *   MULTI/EXEC when there is more than one;
 * - keys deleted by lazy or active expiry and by eviction, as DEL;
 * - SELECT whenever the database differs from the last one propagated.
 *
 * Invariants: nothing is collected while no consumer is attached (`active` false), so a server
 * without an AOF pays one field read per write command. Pending commands are handed to the
 * consumers at the end of the outermost command (Dispatcher.call), before any reply of it can be
 * written, so an AOF with `appendfsync always` can sync before the client hears of the write.
 */
import type { Client } from './client';
import { copyAll, copyRange } from '../util/bytes';

/** What receives the propagated stream (the AOF; later the replication backlog). */
export interface PropagationTarget {
  /** RESP-encoded commands, SELECTs included, in the order they must be replayed. */
  feed(bytes: Buffer): void;
  /**
   * The target's own buffer, when it keeps the stream in one: while it is the only target,
   * commands are encoded straight into it and feed is not called (no copy).
   */
  readonly sink?: ByteSink;
  /**
   * Called before each batch of commands is encoded (the AOF's `#TS:` line when
   * aof-timestamp-enabled, feedAppendOnlyFile's genAofTimestampAnnotationIfNeeded): what it writes
   * to its own stream goes before the batch.
   */
  annotate?(): void;
}

/** A propagated argument: bytes, a latin1 string (1 char = 1 byte) or an integer. */
export type Arg = Buffer | string | number;

interface Pending {
  db: number;
  argv: Arg[];
}

export class Propagator {
  private readonly targets: PropagationTarget[] = [];
  private pending: Pending[] = [];
  /** Database of the last command handed to the targets (-1: none yet, SELECT first). */
  private lastDb = -1;
  /** True while at least one target is attached: only then is anything collected. */
  active = false;
  /** While true, flushPending keeps the pending commands (a busy script suspended mid-run: scripting/engine.ts). */
  hold = false;

  attach(t: PropagationTarget): void {
    this.targets.push(t);
    this.lastDb = -1;
    this.targetsChanged();
  }

  /** The next command handed over starts with a SELECT (a new AOF incr file begins). */
  reselect(): void {
    this.lastDb = -1;
  }

  detach(t: PropagationTarget): void {
    const i = this.targets.indexOf(t);
    if (i !== -1) this.targets.splice(i, 1);
    this.targetsChanged();
  }

  /** What the hot paths read of the target list, derived again after it changed. */
  private targetsChanged(): void {
    const ts = this.targets;
    this.active = ts.length > 0;
    this.annotating = ts.filter((x) => x.annotate !== undefined);
    this.direct = ts.length === 1 ? (ts[0].sink ?? null) : null;
  }

  /** alsoPropagate: queue a command for the end of the current (outermost) command. */
  alsoPropagate(db: number, argv: Arg[]): void {
    if (this.active) this.pending.push({ db, argv });
  }

  /** Hand a command to the targets now, ahead of anything pending (expiry outside scripts, eviction). */
  propagateNow(db: number, argv: Arg[]): void {
    if (!this.active) return;
    this.emit([{ db, argv }], false);
  }

  /**
   * The outermost command's own effect, at its end (call()): alsoPropagate then flushPending,
   * encoded at once when nothing else is pending (the common case: no record, no array).
   */
  propagateOuter(db: number, argv: Arg[]): void {
    if (this.pending.length !== 0 || this.hold) {
      this.pending.push({ db, argv });
      this.flushPending();
      return;
    }
    if (this.annotating.length !== 0) this.annotate();
    const out = this.direct ?? this.out;
    if (db !== this.lastDb) encodeInto(out, ['SELECT', (this.lastDb = db)]);
    encodeInto(out, argv);
    if (out === this.out) this.handOver();
  }

  /**
   * propagateOuter of a fast-path SET (dispatch.ts fastCommand): its 3-byte name as the client
   * sent it (copied from the parser), key and value; no array, no view.
   */
  propagateFastSet(db: number, parser: FastName, key: Buffer, value: Buffer): void {
    if (this.pending.length !== 0 || this.hold || db !== this.lastDb) {
      const n = Buffer.allocUnsafe(3);
      parser.copyFastName(n, 0);
      this.propagateOuter(db, [n, key, value]);
      return;
    }
    if (this.annotating.length !== 0) this.annotate();
    const out = this.direct ?? this.out;
    out.reserve(key.length + value.length + 64);
    const b = out.buf;
    let p = out.len;
    // *3\r\n$3\r\n
    b[p] = 42;
    b[p + 1] = 51;
    b[p + 2] = 13;
    b[p + 3] = 10;
    b[p + 4] = 36;
    b[p + 5] = 51;
    b[p + 6] = 13;
    b[p + 7] = 10;
    parser.copyFastName(b, p + 8);
    b[p + 11] = 13;
    b[p + 12] = 10;
    out.len = p + 13;
    bulkInto(out, key);
    bulkInto(out, value);
    if (out === this.out) this.handOver();
  }

  /** Whether propagateVerbatim may be used now: nothing queued or held before it. */
  get idle(): boolean {
    return this.pending.length === 0 && !this.hold;
  }

  /**
   * The fast lane's commands (server/lane.ts, while `idle`), propagated as the client sent them:
   * bytes[start, end) are whole RESP frames in the form Redis writes them (the lane serves only
   * plain decimal counts and lengths), after a SELECT when db is not the last one propagated.
   */
  propagateVerbatim(db: number, bytes: Uint8Array, start: number, end: number): void {
    if (this.annotating.length !== 0) this.annotate();
    const out = this.direct ?? this.out;
    if (db !== this.lastDb) encodeInto(out, ['SELECT', (this.lastDb = db)]);
    out.reserve(end - start);
    copyRange(out.buf, out.len, bytes, start, end - start);
    out.len += end - start;
    if (out === this.out) this.handOver();
  }

  /** propagatePendingCommands: hand over what the command queued, wrapped when it is several. */
  flushPending(): void {
    if (this.pending.length === 0 || this.hold) return;
    const list = this.pending;
    this.pending = [];
    this.emit(list, list.length > 1);
  }

  /**
   * Encode the commands (SELECTs, and MULTI/EXEC when wrapped) into the reused `out` buffer and
   * hand the bytes to every target, which copies what it keeps: no allocation per command.
   */
  private emit(list: Pending[], wrap: boolean): void {
    if (this.annotating.length !== 0) this.annotate();
    const out = this.direct ?? this.out;
    let db = this.lastDb;
    // The SELECT for a MULTI block goes before MULTI, as Redis writes it.
    if (wrap) {
      if (list[0].db !== db) encodeInto(out, ['SELECT', (db = list[0].db)]);
      encodeInto(out, MULTI);
    }
    for (const p of list) {
      if (p.db !== db) encodeInto(out, ['SELECT', (db = p.db)]);
      encodeInto(out, p.argv);
    }
    if (wrap) encodeInto(out, EXEC);
    this.lastDb = db;
    if (out === this.out) this.handOver();
  }

  private annotate(): void {
    for (const t of this.annotating) t.annotate!();
  }

  /** Give what `out` holds to every target (each copies what it keeps). */
  private handOver(): void {
    const out = this.out;
    const bytes = out.buf.subarray(0, out.len);
    for (const t of this.targets) t.feed(bytes);
    out.len = 0;
    out.release();
  }

  private readonly out = new ByteSink(4096);
  /** The targets with an annotate hook. */
  private annotating: PropagationTarget[] = [];
  /** The only target's own buffer (PropagationTarget.sink), encoded into directly; else null. */
  private direct: ByteSink | null = null;
}

/** Where a fast-path command's name is (protocol/parser.ts RequestParser). */
interface FastName {
  copyFastName(dst: Uint8Array, at: number): void;
}

const MULTI: Arg[] = ['MULTI'];
const EXEC: Arg[] = ['EXEC'];
/** Past this size, an emptied ByteSink drops its buffer for one of its initial size (after a burst). */
const SINK_KEEP = 1 << 20;

/** A growable byte buffer, reused between fills (the propagated stream, the AOF's pending writes). */
export class ByteSink {
  buf: Buffer;
  len = 0;

  constructor(private readonly initial: number) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Room for n more bytes. */
  reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }

  append(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    copyAll(this.buf, this.len, bytes);
    this.len += bytes.length;
  }

  /** A latin1 string's bytes (1 char = 1 byte). */
  appendLatin1(text: string): void {
    this.reserve(text.length);
    this.len += this.buf.latin1Write(text, this.len);
  }

  /** After the contents were consumed and len reset: give back a buffer a burst made big. */
  release(): void {
    if (this.len === 0 && this.buf.length > SINK_KEEP) this.buf = Buffer.allocUnsafe(this.initial);
  }
}

/** `*<n>\r\n` or `$<n>\r\n` at out.len (room reserved by the caller). */
function header(out: ByteSink, mark: number, n: number): void {
  const b = out.buf;
  let p = out.len;
  b[p++] = mark;
  if (n < 10) b[p++] = 48 + n;
  else if (n < 100) {
    b[p++] = 48 + ((n / 10) | 0);
    b[p++] = 48 + (n % 10);
  } else p += b.latin1Write(String(n), p);
  b[p++] = 13;
  b[p++] = 10;
  out.len = p;
}

/** `$<n>\r\n<bytes>\r\n` (room reserved by the caller). */
function bulkInto(out: ByteSink, a: Buffer): void {
  header(out, 36, a.length);
  copyAll(out.buf, out.len, a);
  out.len += a.length;
  out.buf[out.len++] = 13;
  out.buf[out.len++] = 10;
}

/** Append a command as a RESP array of bulk strings. */
export function encodeInto(out: ByteSink, argv: Arg[]): void {
  out.reserve(16);
  header(out, 42, argv.length);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const s = typeof a === 'number' ? String(a) : a;
    out.reserve(s.length + 16);
    header(out, 36, s.length);
    if (typeof s === 'string') out.len += out.buf.latin1Write(s, out.len);
    else {
      copyAll(out.buf, out.len, s);
      out.len += s.length;
    }
    out.buf[out.len++] = 13;
    out.buf[out.len++] = 10;
  }
}

/** A command as a RESP array of bulk strings (a new Buffer). */
export function encode(argv: Arg[]): Buffer {
  let size = 16;
  for (const a of argv) size += (typeof a === 'number' ? 24 : a.length) + 16;
  const out = new ByteSink(size);
  encodeInto(out, argv);
  return out.buf.subarray(0, out.len);
}

/**
 * rewriteClientCommandVector: propagate this command as `argv` instead of what the client sent
 * (only computed when propagation is active; handlers call it after acting).
 */
export function propagateAs(c: Client, ...argv: Arg[]): void {
  if (c.server.propagation.active) c.propagateArgv = argv;
}

/** Propagate nothing for this command even though it changed the dirty counter. */
export function preventPropagation(c: Client): void {
  if (c.server.propagation.active) c.propagateArgv = NO_PROPAGATION;
}

/**
 * forceCommandPropagation: propagate this command as sent even when it changed nothing (FLUSHDB
 * and FLUSHALL reach the AOF on empty dbs, as in Redis).
 */
export function forcePropagation(c: Client): void {
  if (c.server.propagation.active) c.propagateArgv = FORCE_PROPAGATION;
}

/** An additional command to propagate after this one (served blocked clients, SPOP's SREMs...). */
export function alsoPropagate(c: Client, ...argv: Arg[]): void {
  c.server.propagation.alsoPropagate(c.dbIndex, argv);
}

/**
 * What a blocking command did, propagated as its non-blocking form: in place of the command when
 * it was served at once, or after the command that woke it (`served`).
 */
export function propagateEffect(c: Client, served: boolean, ...argv: Arg[]): void {
  if (served) alsoPropagate(c, ...argv);
  else propagateAs(c, ...argv);
}

/** Marker for preventPropagation. */
export const NO_PROPAGATION: Arg[] = [];
/** Marker for forcePropagation. */
export const FORCE_PROPAGATION: Arg[] = [];
