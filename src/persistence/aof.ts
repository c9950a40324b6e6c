/**
 * The append-only file as Redis 7.0 keeps it (aof.c): a directory (`appenddirname`) holding a
 * manifest, one base file and the incremental files written since, with the same names and
 * formats Redis uses, so either server starts from the other's directory.
 *
 *   appendonlydir/appendonly.aof.manifest      file <name> seq <n> type b|i|h, one per line
 *   appendonlydir/appendonly.aof.1.base.rdb    the dataset at the last rewrite (RDB preamble,
 *                                              or .base.aof in commands with aof-use-rdb-preamble no)
 *   appendonlydir/appendonly.aof.1.incr.aof    every write since, as propagated (server/propagate.ts)
 *
 * Durability: propagated commands collect in a buffer that is written to the current incr file
 * before any reply of the event-loop turn goes out (Networking.flushPending calls
 * `beforeReplies`): one write per turn for every client's commands, encoded straight into this
 * buffer (propagate.ts `sink`). With `appendfsync always` the write is followed by fdatasync in
 * the same step, on the main thread as Redis's "fsync always barrier", so no client hears of a
 * write the disk may lose; the turn first waits one loop iteration so that commands arriving
 * meanwhile share its fdatasync (Networking.flushTurn: -15 to -25% fdatasyncs per request).
 * Per request at redis-benchmark -c 50 -P 1 this makes the same system calls as Redis (one read,
 * one reply write; per group one AOF write and one fdatasync), with bigger groups (29-36 requests
 * per fdatasync against Redis's 25-29); what `always` adds to the CPU per request is the
 * fdatasync's kernel time (~70-95 µs a call on a virtio disk), the same in both servers
 * (docs/benchmarks.md, AOF notes of 14:50). Measured and rejected: waiting more iterations while
 * commands keep arriving (groups of ~36 became ~40 at no lower CPU per request); the fdatasync
 * in the thread pool with the replies held until it returns and the main thread running the next
 * commands meanwhile (a pipelined group commit): on 2 shared cores it cost more fdatasyncs
 * (smaller batches, ~60 µs of CPU each), futex wake-ups and up to two fsync latencies per reply
 * (SET -P 16: 210k vs 353k rps). `everysec` syncs in the background once a second; `no` leaves it
 * to the kernel.
 *
 * Rewrites (BGREWRITEAOF, and turning appendonly on with data) never fork and never stall: a new
 * incr file is opened at once and takes the writes from then on, while the point-in-time snapshot
 * (snapshot.ts) writes the new base in small steps; when the base is complete the manifest names
 * the new base and the new incr file, and the old files are deleted. A crash at any point leaves a
 * manifest whose files replay to every acknowledged write.
 */
import fs from 'fs';
import path from 'path';
import type { Server } from '../server/server';
import type { PropagationTarget } from '../server/propagate';
import { ByteSink } from '../server/propagate';
import { Client, ClientFlag } from '../server/client';
import { AofCommandBase } from './aof-rewrite';
import { presizeForBase } from './aof-presize';
import { ArgView, LOOKAHEAD_COMMANDS, splitArgs } from '../protocol/parser';
import { repr } from '../config/rewrite';
import { strerror } from '../util/errno';
import { fsyncDirAsync, renameAsync, unlinkAsync, writeFileSyncedAsync } from '../util/fs-async';
import { loadRdbBuffer, writeRdb } from './rdb';
import { BgSave, bgsaveInProgress, setLoading } from './bgsave';
import { ReplyError } from '../commands/errors';
import { PanicError, serverPanic } from '../server/panic';
import { BAD, TRUNCATED, countLine, line } from './aof-lines';
import * as F from './format';
import { debugStateOf } from '../server/debug-state';
import { setInterval, clearInterval, performance, dateNow } from '../util/real-timers';

export type ManifestType = 'b' | 'i' | 'h';
export interface ManifestEntry {
  name: string;
  seq: number;
  type: ManifestType;
}

/**
 * A manifest Redis 7.0 would refuse to load (aofLoadManifestFromFile's loaderr): `message` is its
 * error, `lines` what it logs before it (the FATAL banner, and the line number and text of the
 * line at fault when there is one).
 */
export class AofManifestError extends Error {
  constructor(message: string, readonly lines: string[]) {
    super(message);
  }
}

/** aofLoadManifestFromFile's line buffer: a line of more bytes (its newline included) is refused. */
const MANIFEST_MAX_LINE = 1024;

/**
 * aofLoadManifestFromFile: the manifest's entries in file order, with its checks and error texts
 * (AofManifestError). Lines are read as its fgets reads them (at most MANIFEST_MAX_LINE bytes, so
 * a longer line, or a last line without a newline, is "too long"); '#' lines are comments; each
 * other line, trimmed, is split as sdssplitargs splits (quoted names), and must hold an even
 * number of at least 6 words, the keys `file` (a base name), `seq` (atoll, not 0) and `type`
 * (its first letter: b, h or i) in any case, unknown keys ignored. One base at most; incr
 * sequence numbers increasing. An empty manifest is refused too.
 */
export function parseManifest(text: string): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  const buf = Buffer.from(text, 'latin1');
  let bases = 0;
  let maxSeq = 0;
  let lineNum = 0;
  let pos = 0;
  const fail = (err: string, at?: string): never => {
    const lines = ['*** FATAL AOF MANIFEST FILE ERROR ***'];
    if (at !== undefined) lines.push(`Reading the manifest file, at line ${lineNum}`, `>>> '${at}'`);
    throw new AofManifestError(err, lines);
  };
  for (;;) {
    if (pos >= buf.length) {
      if (lineNum === 0) fail('Found an empty AOF manifest');
      break;
    }
    // fgets(buf, MANIFEST_MAX_LINE + 1): up to the newline, at most MANIFEST_MAX_LINE bytes.
    const nl = buf.indexOf(10, pos);
    const end = Math.min(nl < 0 ? buf.length : nl + 1, pos + MANIFEST_MAX_LINE);
    const chunk = buf.subarray(pos, end);
    pos = end;
    lineNum++;
    if (chunk[0] === 35 /* '#' */) continue;
    if (chunk[chunk.length - 1] !== 10) fail('The AOF manifest file contains too long line');
    // sdstrim(" \t\r\n")
    let a = 0;
    let z = chunk.length;
    const trimmed = (c: number) => c === 32 || c === 9 || c === 13 || c === 10;
    while (a < z && trimmed(chunk[a])) a++;
    while (z > a && trimmed(chunk[z - 1])) z--;
    const line = chunk.latin1Slice(a, z);
    if (a === z) fail('Invalid AOF manifest file format', line);
    const argv = splitArgs(chunk, a, z);
    if (argv === null || argv.length < 6 || argv.length % 2 !== 0) fail('Invalid AOF manifest file format', line);
    let name: string | undefined;
    let seq = 0;
    let type = 0;
    for (let i = 0; i < argv!.length; i += 2) {
      const key = argv![i].latin1Slice(0, argv![i].length).toLowerCase();
      const v = argv![i + 1];
      if (key === 'file') {
        name = v.latin1Slice(0, v.length);
        if (name.includes('/') || name.includes('\\')) fail("File can't be a path, just a filename", line);
      } else if (key === 'seq') seq = atoll(v);
      else if (key === 'type') type = v.length > 0 ? v[0] : 0;
    }
    if (!name || seq === 0 || type === 0) fail('Invalid AOF manifest file format', line);
    if (type === 98 /* 'b' */) {
      if (++bases > 1) fail('Found duplicate base file information', line);
    } else if (type === 105 /* 'i' */) {
      if (seq <= maxSeq) fail('Found a non-monotonic sequence number', line);
      maxSeq = seq;
    } else if (type !== 104 /* 'h' */) fail('Unknown AOF file type', line);
    out.push({ name: name!, seq, type: String.fromCharCode(type) as ManifestType });
  }
  return out;
}

/** atoll: optional spaces and sign, then digits up to the first other byte; 0 when there are none. */
function atoll(b: Buffer): number {
  let i = 0;
  while (i < b.length && (b[i] === 32 || (b[i] >= 9 && b[i] <= 13))) i++;
  let neg = false;
  if (b[i] === 43 || b[i] === 45) neg = b[i++] === 45;
  let v = 0;
  while (i < b.length && b[i] >= 48 && b[i] <= 57) v = v * 10 + (b[i++] - 48);
  return neg ? -v : v;
}

/** dirExists: whether `dir` is a directory. */
function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** getAofManifestAsString: the base, then history, then incr entries; a name with spaces or odd bytes quoted (sdscatrepr). */
export function formatManifest(entries: ManifestEntry[]): string {
  const order = { b: 0, h: 1, i: 2 };
  return [...entries]
    .sort((x, y) => order[x.type] - order[y.type])
    .map((e) => `file ${needsRepr(e.name) ? repr(e.name) : e.name} seq ${e.seq} type ${e.type}\n`)
    .join('');
}

/** sdsneedsrepr: a backslash, quote, space or unprintable byte. */
function needsRepr(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c === 34 || c <= 32 || c >= 127) return true;
  }
  return false;
}

/** Result of reading one command from AOF bytes. */
type Parsed = { argv: Buffer[]; next: number } | 'truncated' | 'bad';

/** The file buffer parseAofCommand last read, with its ArrayBuffer and offset (read once per file). */
let viewOf: Buffer | null = null;
let viewAB: ArrayBuffer | null = null;
let viewBase = 0;

/**
 * One `*N $len ...` command at `pos` (the only form an AOF holds). The arguments are views of the
 * file's buffer made as the request parser makes them (ArgView: ~35 ns against ~60 for subarray,
 * measured as 15% of replaying a 1M-key command-format AOF).
 */
export function parseAofCommand(buf: Buffer, pos: number): Parsed {
  if (buf[pos] !== 42 /* '*' */) return 'bad';
  if (buf !== viewOf) {
    viewOf = buf;
    viewAB = buf.buffer as ArrayBuffer;
    viewBase = buf.byteOffset;
  }
  const n = countLine(buf, pos);
  if (n < 0) return n === TRUNCATED ? 'truncated' : 'bad';
  if (line.value < 1) return 'bad';
  const argc = line.value;
  let p = n;
  const argv: Buffer[] = [];
  for (let i = 0; i < argc; i++) {
    if (p >= buf.length) return 'truncated';
    if (buf[p] !== 36 /* '$' */) return 'bad';
    const next = countLine(buf, p);
    if (next < 0) return next === TRUNCATED ? 'truncated' : 'bad';
    const len = line.value;
    if (next + len + 2 > buf.length) return 'truncated';
    if (buf[next + len] !== 13 || buf[next + len + 1] !== 10) return 'bad';
    argv.push(new ArgView(viewAB!, viewBase + next, len) as Buffer);
    p = next + len + 2;
  }
  return { argv, next: p };
}

/**
 * An annotation line at pos (it starts with '#'): the index after it. Redis reads the AOF with
 * fgets into a 1024-byte buffer and skips a read that starts with '#': a line longer than 1023
 * bytes is skipped only up to there, and what follows is read as the next line (a format error
 * unless it is a command or another annotation); at the end of the file a line needs no newline.
 */
function skipAnnotation(buf: Buffer, pos: number): number {
  const nl = buf.indexOf(10, pos);
  const end = nl === -1 ? buf.length : nl + 1;
  return Math.min(end, pos + 1023);
}

/** True when `a` is `word` (lowercase ASCII) in any case. */
function isName(a: Buffer, word: string): boolean {
  if (a.length !== word.length) return false;
  for (let i = 0; i < a.length; i++) if ((a[i] | 0x20) !== word.charCodeAt(i)) return false;
  return true;
}

export class AofLoadError extends Error {}

/** Redis's shared error objects (createSharedObjects) that commands reply: afterErrorReply logs them with their "-CODE". */
const SHARED_ERRORS = new Set([
  'WRONGTYPE Operation against a key holding the wrong kind of value',
  'ERR no such key',
  'ERR syntax error',
  'ERR source and destination objects are the same',
  'ERR index out of range',
  'NOSCRIPT No matching script. Please use EVAL.',
  'BUSYKEY Target key name already exists.',
  "OOM command not allowed when used memory > 'maxmemory'.",
]);

/**
 * The error as afterErrorReply logs it: Redis's addReplyError gets most texts without their
 * "ERR " and logs them so; the shared error objects and errors of other codes keep "-CODE".
 */
function loggedError(msg: string): string {
  return msg.startsWith('ERR ') && !SHARED_ERRORS.has(msg) ? msg.slice(4) : `-${msg}`;
}

/**
 * afterErrorReply for the AOF-loading client: the error counts (errorstats, total_error_replies
 * and unexpected_error_replies), is logged as CRITICAL, and with propagation-error-behavior panic
 * the server panics (the load stops: PanicError).
 */
function aofLoaderErrorReply(s: Server, c: Client, msg: string, noStats: boolean): void {
  if (!noStats) s.countError(msg);
  s.stats.unexpectedErrorReplies++;
  const name = c.cmd?.fullname ?? '<unknown>';
  s.logger.warn(`== CRITICAL == This server is sending an error to its AOF-loading-client: '${loggedError(msg).slice(0, 4096)}' after processing the command '${name}'`);
  if (s.config.str('propagation-error-behavior') === 'panic') {
    const why = `This server panicked sending an error to its AOF-loading-client after processing the command '${name}'`;
    serverPanic(s, why, 'aof.ts');
    throw new PanicError(why);
  }
}

interface RewriteState {
  /**
   * The base's writer: RDB preamble (BgSave) or commands (AofCommandBase); renames the base itself.
   * null while the new incr file is being opened.
   */
  writer: BgSave | AofCommandBase | null;
  startedAt: number;
  baseSeq: number;
  format: 'rdb' | 'aof';
  /** The base is complete and the manifest naming it is being persisted: no longer abortable. */
  finishing: boolean;
}

export class Aof implements PropagationTarget {
  /** on: appending; off: not attached. */
  enabled = false;
  private fd = -1;
  private manifest: ManifestEntry[] = [];
  /**
   * Propagated bytes not yet written (aof_buf): flushed before the turn's replies. The propagator
   * encodes into it directly while the AOF is its only target (PropagationTarget.sink).
   */
  readonly sink = new ByteSink(16 * 1024);
  private readonly pending = this.sink;
  /** Bytes written but not yet fsynced (everysec). */
  private unsynced = false;
  private fsyncInFlight = false;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private rewriting: RewriteState | null = null;
  // INFO persistence figures
  currentSize = 0;
  baseSize = 0;
  lastWriteOk = true;
  lastWriteError = '';
  lastRewriteOk = true;
  lastRewriteTimeSec = -1;
  rewrites = 0;
  delayedFsync = 0;
  // Prometheus figures (observability/metrics.ts)
  /** Unix ms when the last rewrite completed (0: none yet), and how long it took. */
  lastRewriteAtMs = 0;
  lastRewriteDurationMs = -1;
  rewriteFailures = 0;
  /** Failed attempts to write the AOF buffer. */
  writeFailures = 0;
  /** BGREWRITEAOF arrived while a BGSAVE ran (aof_rewrite_scheduled): the cron starts it after. */
  rewriteScheduled = false;
  /** The manifest writes in the thread pool, chained (persistManifestAsync). */
  private manifestWrites: Promise<void> = Promise.resolve();
  /** Counts the synchronous manifest writes. */
  private manifestGen = 0;
  /** The size when the last rewrite ended (auto-aof-rewrite-percentage grows from it). */
  private rewriteBaseSize = 0;

  constructor(private readonly server: Server) {
    this.timestamps = server.config.bool('aof-timestamp-enabled');
  }

  private get dir(): string {
    return path.join(this.server.config.str('dir'), this.server.config.str('appenddirname'));
  }

  private get prefix(): string {
    return this.server.config.str('appendfilename');
  }

  /** Bytes propagated but not yet written (INFO aof_buffer_length). */
  get bufferLength(): number {
    return this.pending.len;
  }

  get rewriteInProgress(): boolean {
    return this.rewriting !== null;
  }

  rewriteSeconds(): number {
    return this.rewriting ? Math.floor((dateNow() - this.rewriting.startedAt) / 1000) : -1;
  }

  // ------------------------------------------------------------------ start and stop

  /**
   * At start with appendonly yes (aofLoadManifestFromDisk, then loadAppendOnlyFiles): read the
   * manifest if the directory has one, upgrade a Redis 6 single appendonly.aof in `dir` when
   * Redis 7.0 would (below), load the base and incr files, then append. With nothing on disk,
   * create the base as Redis does.
   */
  startup(): void {
    const manifestFile = path.join(this.dir, `${this.prefix}.manifest`);
    const legacy = path.join(this.server.config.str('dir'), this.prefix);
    const dirExists = isDirectory(this.dir);
    this.manifest = dirExists && fs.existsSync(manifestFile) ? parseManifest(fs.readFileSync(manifestFile, 'latin1')) : [];
    const base = this.manifest.find((e) => e.type === 'b');
    const incrs = this.manifest.filter((e) => e.type === 'i');
    // An old-style file in `dir` is upgraded when there is no AOF directory, or no base or incr
    // file in its manifest, or a manifest naming only it as the base while the directory does
    // not hold it: an upgrade interrupted between the manifest's write and the file's move.
    if (
      isFile(legacy) &&
      (!dirExists || (!base && incrs.length === 0) || (base?.name === this.prefix && incrs.length === 0 && !fs.existsSync(path.join(this.dir, this.prefix))))
    ) {
      this.upgradePrepare(legacy);
    }
    if (this.manifest.some((e) => e.type === 'b' || e.type === 'i')) {
      this.whileLoading(() => this.load());
    } else {
      fs.mkdirSync(this.dir, { recursive: true });
      this.writeBaseNow();
    }
    // aofOpenIfNeededOnServerStart: append to the last incr file, or start the first one.
    const last = this.manifest.filter((e) => e.type === 'i').sort((a, b) => b.seq - a.seq)[0];
    if (last) this.fd = fs.openSync(path.join(this.dir, last.name), 'a');
    else this.openNewIncr();
    this.attach();
  }

  /**
   * aofUpgradePrepare: the old file becomes the base (seq 1) of the directory's manifest, which is
   * written first; then the file moves into the directory, under its own name.
   */
  private upgradePrepare(legacy: string): void {
    fs.mkdirSync(this.dir, { recursive: true });
    this.manifest = [{ name: this.prefix, seq: 1, type: 'b' }, ...this.manifest.filter((e) => e.type === 'h')];
    this.persistManifest();
    fs.renameSync(legacy, path.join(this.dir, this.prefix));
    this.server.logger.info(`Successfully migrated an old-style AOF file (${this.prefix}) into the AOF directory (${path.basename(this.dir)}).`);
  }

  /**
   * DEBUG LOADAOF (the caller empties the dataset after this says yes): write what is buffered,
   * then load the directory's base and incr files again, as at start, with appending (if on)
   * held meanwhile so the replay is not appended to itself. Returns false, changing nothing,
   * when there is no manifest to load (Redis 7.0 exits then).
   */
  canLoadAgain(): boolean {
    if (this.enabled) this.beforeReplies();
    return fs.existsSync(path.join(this.dir, `${this.prefix}.manifest`));
  }

  /** DEBUG LOADAOF's load, after canLoadAgain and the emptying of the dataset. Throws AofLoadError. */
  loadAgain(): void {
    this.manifest = parseManifest(fs.readFileSync(path.join(this.dir, `${this.prefix}.manifest`), 'latin1'));
    const attached = this.enabled;
    if (attached) this.server.propagation.detach(this);
    try {
      this.whileLoading(() => this.load());
    } finally {
      if (attached) this.server.propagation.attach(this);
    }
  }

  /**
   * CONFIG SET appendonly yes at runtime: a rewrite makes the base, then appending starts
   * (startAppendOnly). During a BGSAVE, or inside MULTI/EXEC (`inExec`: the snapshot would fall in
   * the middle of the transaction), the rewrite is scheduled for the cron, as Redis schedules it;
   * writes go to a new incr file meanwhile, which the rewrite's own incr file then supersedes.
   */
  enableAtRuntime(inExec = false): void {
    if (this.enabled) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const manifestFile = path.join(this.dir, `${this.prefix}.manifest`);
    this.manifest = fs.existsSync(manifestFile) ? parseManifest(fs.readFileSync(manifestFile, 'latin1')) : [];
    this.attach();
    const bgsave = bgsaveInProgress(this.server);
    if (bgsave || inExec) {
      this.server.logger.warn(
        bgsave
          ? 'AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.'
          : 'AOF was enabled during a transaction. An AOF background was scheduled to start when possible.',
      );
      this.openNewIncr();
      this.rewriteScheduled = true;
    } else this.startRewrite(); // opens the incr file the writes from now on go to
  }

  /** appendonly no, SHUTDOWN, close(): flush, sync and stop appending. */
  disable(): void {
    if (!this.enabled) return;
    this.abortRewrite();
    this.beforeReplies();
    if (this.fd >= 0) {
      try {
        fs.fdatasyncSync(this.fd);
      } catch {
        /* the write path reported errors already */
      }
      fs.closeSync(this.fd);
    }
    this.fd = -1;
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    this.fsyncTimer = null;
    this.server.propagation.detach(this);
    this.enabled = false;
  }

  private attach(): void {
    this.enabled = true;
    this.server.propagation.attach(this);
    this.fsyncTimer = setInterval(() => this.everysec(), 1000);
    this.fsyncTimer.unref();
  }

  // ------------------------------------------------------------------ appending

  feed(bytes: Buffer): void {
    this.pending.append(bytes);
  }

  /** aof-timestamp-enabled (kept in step by CONFIG SET: config apply). */
  timestamps = false;
  /** The second of the last `#TS:` line written (Redis's aof_cur_timestamp). */
  private lastTimestamp = 0;

  /**
   * genAofTimestampAnnotationIfNeeded: with aof-timestamp-enabled, a `#TS:<unix seconds>` line
   * before the first command of each new second (the command's own time, the frozen clock).
   * Loading skips such lines; redis-check-aof --truncate-to-timestamp cuts the file at one.
   */
  annotate(): void {
    if (!this.timestamps) return;
    const now = Math.floor(this.server.clock.now() / 1000);
    if (now <= this.lastTimestamp) return;
    this.lastTimestamp = now;
    this.pending.appendLatin1(F.timestampAnnotation(now));
  }

  /**
   * flushAppendOnlyFile, called before the turn's replies are written: write the buffer to the
   * incr file, and with appendfsync always sync it before returning.
   */
  beforeReplies(): void {
    const pending = this.pending;
    if (pending.len === 0 || this.fd < 0) return;
    const data = pending.buf.subarray(0, pending.len);
    const always = this.server.config.str('appendfsync') === 'always';
    // DEBUG AOF-FLUSH-SLEEP: the write waits first, blocking the server, as Redis's usleep there.
    const sleepUs = debugStateOf(this.server).aofFlushSleepUs;
    if (sleepUs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sleepUs / 1000);
    let off = 0;
    try {
      while (off < data.length) off += fs.writeSync(this.fd, data, off, data.length - off);
    } catch (e) {
      const msg = strerror(e as NodeJS.ErrnoException);
      this.currentSize += off;
      if (this.lastWriteOk || always) this.server.logger.warn(`Error writing to the AOF file: ${msg}`);
      if (always) {
        // Redis: acknowledging writes that may be lost is not an option.
        this.server.logger.fatal("Can't recover from AOF write error when the AOF fsync policy is 'always'. Exiting...");
        process.exit(1);
      }
      this.lastWriteOk = false;
      this.writeFailures++;
      this.lastWriteError = msg;
      // What was not written is kept (a partial write keeps only its rest, so nothing is written
      // twice): the everysec timer and the next turn retry it; writes get MISCONF meanwhile.
      pending.buf.copyWithin(0, off, pending.len);
      pending.len -= off;
      return;
    }
    this.currentSize += data.length;
    pending.len = 0;
    pending.release();
    if (always && !this.fsyncPaused()) {
      try {
        fs.fdatasyncSync(this.fd);
      } catch (e) {
        this.server.logger.fatal(`Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(e as NodeJS.ErrnoException)}. Exiting...`);
        process.exit(1);
      }
    } else this.unsynced = true;
    if (!this.lastWriteOk) this.server.logger.warn('AOF write error looks solved, Redis can write again.');
    this.lastWriteOk = true;
    this.lastWriteError = '';
  }

  /** appendfsync always has commands to write and sync (Networking.flushTurn groups them). */
  wantsGroupCommit(): boolean {
    return this.pending.len > 0 && this.fd >= 0 && this.server.config.str('appendfsync') === 'always' && !this.fsyncPaused();
  }

  /** The everysec sync, in the background (libuv's pool), one at a time. */
  private everysec(): void {
    // serverCron's retry of a failed write (the buffer waits while writes are refused).
    if (!this.lastWriteOk && this.pending.len > 0) this.beforeReplies();
    if (this.fd < 0 || !this.unsynced || this.server.config.str('appendfsync') === 'no' || this.fsyncPaused()) return;
    if (this.fsyncInFlight) {
      this.delayedFsync++;
      return;
    }
    this.fsyncInFlight = true;
    this.unsynced = false;
    const fd = this.fd;
    fs.fdatasync(fd, (e) => {
      this.fsyncInFlight = false;
      // bio's BIO_AOF_FSYNC: EBADF/EINVAL are not failures (the fd was closed meanwhile, or is a
      // device that cannot sync); any other error denies writes until an fsync succeeds.
      if (e && e.code !== 'EBADF' && e.code !== 'EINVAL') {
        const msg = strerror(e);
        if (this.fsyncError === '') this.server.logger.warn(`Fail to fsync the AOF file: ${msg}`);
        this.fsyncError = msg;
        if (fd === this.fd) this.unsynced = true; // retried next second (Redis retries only with new writes)
      } else if (fd === this.fd || e === null) {
        if (this.fsyncError !== '') this.server.logger.warn('AOF fsync error looks solved, Redis can write again.');
        this.fsyncError = '';
      }
    });
  }

  /**
   * The last background fsync's error, '' when it succeeded (aof_bio_fsync_status): while set,
   * writes get MISCONF and INFO shows aof_last_write_status:err, as in Redis 7.0.
   */
  fsyncError = '';

  /** aof_last_write_status: the last write and the last background fsync both succeeded. */
  get writeStatusOk(): boolean {
    return this.lastWriteOk && this.fsyncError === '';
  }

  /** no-appendfsync-on-rewrite: no fsync while a rewrite writes its base. */
  private fsyncPaused(): boolean {
    return this.rewriting !== null && this.server.config.bool('no-appendfsync-on-rewrite');
  }

  /** MISCONF for write commands while the AOF cannot be written (Redis's writeCommandsDeniedByDiskError). */
  writeDeniedReason(): string | null {
    if (this.enabled && !this.lastWriteOk) return `MISCONF Errors writing to the AOF file: ${this.lastWriteError}`;
    if (this.enabled && this.fsyncError !== '') return `MISCONF Errors writing to the AOF file: ${this.fsyncError}`;
    return null;
  }

  // ------------------------------------------------------------------ files and manifest

  private fileName(seq: number, kind: 'base.rdb' | 'base.aof' | 'incr.aof'): string {
    return `${this.prefix}.${seq}.${kind}`;
  }

  /** Persist the manifest atomically (temp file, fsync, rename, fsync the directory). */
  private persistManifest(): void {
    this.manifestGen++;
    const file = path.join(this.dir, `${this.prefix}.manifest`);
    const tmp = path.join(this.dir, `temp-${this.prefix}.manifest`);
    const fd = fs.openSync(tmp, 'w');
    fs.writeSync(fd, formatManifest(this.manifest));
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, file);
    fsyncDir(this.dir);
  }

  /**
   * aofDelHistoryFiles, when aof-disable-auto-gc is turned off: the history files (type h) are
   * dropped from the manifest, then deleted, in the thread pool. Not while a rewrite finishes
   * (it lists and deletes the history itself).
   */
  deleteHistory(): void {
    if (this.server.config.bool('aof-disable-auto-gc') || this.rewriting?.finishing) return;
    const history = this.manifest.filter((e) => e.type === 'h');
    if (history.length === 0) return;
    const entries = this.manifest.filter((e) => e.type !== 'h');
    this.manifest = entries;
    const dir = this.dir;
    this.persistManifestAsync(entries)
      .then(() => Promise.all(history.map((h) => unlinkAsync(path.join(dir, h.name)).catch(() => undefined))))
      .catch((e) => this.server.logger.warn(`Can't persist the AOF manifest: ${(e as Error).message}`));
  }

  /**
   * persistManifest in the thread pool (temp file, fsync, rename, fsync of the directory: 7 to 35 ms
   * on the main thread while the disk is busy). One at a time, in call order.
   */
  private persistManifestAsync(entries: ManifestEntry[]): Promise<void> {
    const dir = this.dir;
    const file = path.join(dir, `${this.prefix}.manifest`);
    const tmp = path.join(dir, `temp-${this.prefix}.manifest`);
    const text = formatManifest(entries);
    const run = async (): Promise<void> => {
      await writeFileSyncedAsync(tmp, text);
      await renameAsync(tmp, file);
      await fsyncDirAsync(dir);
    };
    const gen = this.manifestGen;
    const p = this.manifestWrites.then(run).then(() => {
      // A synchronous persist (appendonly turned off and on meanwhile) wrote a newer manifest
      // that this one may have replaced: write that one again.
      if (this.manifestGen !== gen) this.persistManifest();
    });
    this.manifestWrites = p.catch(() => undefined);
    return p;
  }

  /** Open a new incr file and make it the one appended to (the previous one is synced and kept). */
  private openNewIncr(): void {
    const seq = Math.max(0, ...this.manifest.filter((e) => e.type === 'i').map((e) => e.seq)) + 1;
    const name = this.fileName(seq, 'incr.aof');
    const fd = fs.openSync(path.join(this.dir, name), 'a');
    this.switchIncr(fd, [...this.manifest, { name, seq, type: 'i' }]);
    this.persistManifest();
  }

  /**
   * openNewIncr for a rewrite, with the file's creation and the manifest's persistence in the
   * thread pool. Writes keep going to the current incr file until the new manifest is durable
   * (that file is in both manifests); then, in one turn, the new file takes over. Resolves false
   * when appending stopped meanwhile.
   */
  private async openNewIncrAsync(): Promise<boolean> {
    const seq = Math.max(0, ...this.manifest.filter((e) => e.type === 'i').map((e) => e.seq)) + 1;
    const name = this.fileName(seq, 'incr.aof');
    const fd = await new Promise<number>((res, rej) => fs.open(path.join(this.dir, name), 'a', (e, n) => (e ? rej(e) : res(n))));
    const entries = [...this.manifest, { name, seq, type: 'i' as const }];
    try {
      await this.persistManifestAsync(entries);
    } catch (e) {
      fs.close(fd, () => undefined);
      throw e;
    }
    if (!this.enabled || this.fd < 0) {
      fs.close(fd, () => undefined);
      return false;
    }
    this.switchIncr(fd, entries);
    return true;
  }

  /** Append to `fd` from now on; `entries` is the manifest that names it. */
  private switchIncr(fd: number, entries: ManifestEntry[]): void {
    // What is buffered belongs to the old file; after a write error it goes to the new one.
    if (this.lastWriteOk) this.beforeReplies();
    if (this.fd >= 0) {
      // Synced and closed off the main thread, as Redis's bio close job does: under everysec the
      // old file may hold a second of writes (a 40 MB fdatasync stopped the server for 200 ms).
      // An error is ignored as before (a write error was reported already, or the file is a device).
      const old = this.fd;
      fs.fdatasync(old, () => fs.close(old, () => undefined));
    }
    this.fd = fd;
    // A new file replays from db 0: its first command must SELECT (Redis: aof_selected_db = -1).
    this.server.propagation.reselect();
    this.manifest = entries;
  }

  /** A base written synchronously: only when the dataset is empty (start-up with no files). */
  private writeBaseNow(): void {
    const format = this.server.config.bool('aof-use-rdb-preamble') ? 'rdb' : 'aof';
    const seq = 1;
    const name = this.fileName(seq, format === 'rdb' ? 'base.rdb' : 'base.aof');
    // (a command-format base of the empty dataset: only rewriteAppendOnlyFileRio's timestamp)
    const data = format === 'rdb' ? writeRdb(this.server) : Buffer.from(this.timestamps ? F.timestampAnnotation(Math.floor(dateNow() / 1000)) : '', 'latin1');
    const file = path.join(this.dir, name);
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    this.manifest = [{ name, seq, type: 'b' }];
    this.baseSize = data.length;
    this.currentSize = data.length;
    this.rewriteBaseSize = data.length;
    this.persistManifest();
  }

  // ------------------------------------------------------------------ loading

  /**
   * Nothing expires while the files load (Redis's keyIsExpired while loading): they replay to the
   * state they recorded, and the keys whose TTL passed meanwhile expire afterwards. The server is
   * loading for the rest too (startLoading): a replayed script that runs past busy-reply-threshold
   * serves the other clients, who get LOADING (the dispatcher's gate), and INFO shows loading:1.
   */
  private whileLoading(load: () => void): void {
    const s = this.server;
    s.engine.setExpiryPaused(true);
    s.loading = true;
    setLoading(s, { startTime: Math.floor(dateNow() / 1000), totalBytes: 0, rdbUsedMem: 0, loadedBytes: 0, startedMs: performance.now() });
    try {
      load();
    } finally {
      setLoading(s, null);
      s.engine.setExpiryPaused(false);
      s.loading = false;
    }
  }

  /** loadAppendOnlyFiles: the base, then every incr file in order. */
  private load(): void {
    const base = this.manifest.find((e) => e.type === 'b');
    const incrs = this.manifest.filter((e) => e.type === 'i').sort((a, b) => a.seq - b.seq);
    const files = [...(base ? [base] : []), ...incrs];
    // getBaseAndIncrAppendOnlyFilesSize first: a file the manifest names must be there.
    for (const e of files) {
      try {
        fs.statSync(path.join(this.dir, e.name));
      } catch (err) {
        throw new AofLoadError(`Unable to obtain the AOF file ${e.name} length. stat: ${strerror(err)}`);
      }
    }
    let total = 0;
    files.forEach((e, i) => {
      const file = path.join(this.dir, e.name);
      const size = this.loadFile(file, i === files.length - 1, e.type === 'b');
      if (e.type === 'b') this.baseSize = size;
      total += size;
    });
    this.currentSize = total;
    this.rewriteBaseSize = total;
  }

  /**
   * loadSingleAppendOnlyFile: an RDB preamble (if the file starts with REDIS), then commands,
   * replayed through the dispatcher by a client that nothing can reach. A truncated last file is
   * cut at the last complete command when aof-load-truncated is yes. Returns the size kept.
   */
  private loadFile(file: string, last: boolean, base = false): number {
    // Redis's fstat check: a size of 0 is an empty file (also a device such as /dev/full, which
    // would otherwise be read forever).
    if (fs.statSync(file).size === 0) return 0;
    const buf = fs.readFileSync(file);
    const name = path.basename(file);
    if (buf.length === 0) return 0;
    let pos = 0;
    if (buf.length >= 5 && buf.latin1Slice(0, 5) === 'REDIS') {
      const r = loadRdbBuffer(this.server, buf, { keepExpired: true });
      pos = r.bytesRead;
      this.server.logger.info(`Reading RDB base file on AOF loading...`);
    }
    // A command-format base: the keyspace sized for its SETs first (aof-presize.ts).
    if (base && pos < buf.length) presizeForBase(this.server, buf, pos);
    const c = new Client(this.server, null, this.server.dbs[0]);
    c.authenticated = true;
    c.flags |= ClientFlag.NO_TOUCH | ClientFlag.DENY_BLOCKING | ClientFlag.AOF_LOADER;
    c.writer.onError = (msg, noStats) => aofLoaderErrorReply(this.server, c, msg, noStats);
    const dispatcher = this.server.dispatcher;
    const clock = this.server.clock;
    let multi: Buffer[][] | null = null;
    let validBeforeMulti = pos;
    // After the last complete command (loadSingleAppendOnlyFile's valid_up_to): an annotation
    // does not move it, so a truncated tail is cut before the annotations that precede it.
    let valid = pos;
    const run = (argv: Buffer[]) => {
      const cmd = dispatcher.lookupCommand(argv);
      if (!cmd) throw new AofLoadError(`Unknown command '${argv[0].latin1Slice(0, Math.min(128, argv[0].length))}' reading the append only file ${name}`);
      c.cmd = cmd;
      c.argv = argv;
      // loadSingleAppendOnlyFile runs cmd->proc on its fake client, not call(): the replayed
      // commands count in no statistics, SLOWLOG or latency sample.
      clock.freezeAt(performance.now());
      dispatcher.execDepth++;
      dispatcher.currentClient = dispatcher.outerClient = c;
      try {
        cmd.handler(c, argv);
      } catch (e) {
        // An error reply is dropped with the other replies, as Redis's fake client drops them,
        // once counted and logged (aofLoaderErrorReply).
        if (e instanceof PanicError) throw e;
        if (e instanceof ReplyError) c.writer.error(e.reply);
        else this.server.logger.warn({ err: e, command: cmd.fullname }, 'command failed while loading the append only file');
      } finally {
        dispatcher.execDepth--;
        dispatcher.currentClient = dispatcher.outerClient = null;
        clock.unfreeze();
      }
      c.writer.truncate(0); // replies are dropped
    };
    let hinted = 0;
    while (pos < buf.length) {
      // The engine's prefetch hint over the next commands, as for a pipelined batch (their
      // first keys' memory is loaded together instead of one cache miss per command).
      if (--hinted <= 0) {
        hinted = LOOKAHEAD_COMMANDS;
        c.db.prefetch(buf, pos, LOOKAHEAD_COMMANDS);
      }
      if (buf[pos] === 35 /* '#' */) {
        pos = skipAnnotation(buf, pos);
        continue;
      }
      const p = parseAofCommand(buf, pos);
      if (p === 'bad') throw new AofLoadError(`Bad file format reading the append only file ${name}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>`);
      if (p === 'truncated') return this.truncated(file, name, last, multi !== null ? validBeforeMulti : valid);
      const a0 = p.argv[0];
      if (isName(a0, 'multi')) {
        validBeforeMulti = valid;
        multi = [];
      } else if (multi !== null && isName(a0, 'exec')) {
        for (const argv of multi) run(argv);
        multi = null;
      } else if (multi !== null) multi.push(p.argv);
      else run(p.argv);
      pos = valid = p.next;
    }
    if (multi !== null) {
      this.server.logger.warn('Revert incomplete MULTI/EXEC transaction in AOF file');
      return this.truncated(file, name, last, validBeforeMulti);
    }
    return buf.length;
  }

  private truncated(file: string, name: string, last: boolean, validUpTo: number): number {
    if (!last || !this.server.config.bool('aof-load-truncated')) {
      throw new AofLoadError(
        `Unexpected end of file reading the append only file ${name}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.`,
      );
    }
    this.server.logger.warn(`!!! Warning: short read while loading the AOF file ${name}!!!`);
    this.server.logger.warn(`!!! Truncating the AOF ${name} at offset ${validUpTo} !!!`);
    fs.truncateSync(file, validUpTo);
    this.server.logger.warn(`AOF ${name} loaded anyway because aof-load-truncated is enabled`);
    return validUpTo;
  }

  // ------------------------------------------------------------------ rewriting

  /**
   * BGREWRITEAOF. Returns false when one is already running. With appendonly yes, the new incr
   * file is opened first (in the thread pool, openNewIncrAsync); the snapshot starts in the turn
   * that switches to it, so the new base and the new incr file meet at one point.
   */
  startRewrite(): boolean {
    if (this.rewriting) return false;
    const state: RewriteState = { writer: null, startedAt: dateNow(), baseSeq: 0, format: 'aof', finishing: false };
    this.rewriting = state;
    if (!this.enabled) {
      // Redis rewrites even with appendonly no (creating the directory); Redust does the same.
      fs.mkdirSync(this.dir, { recursive: true });
      const manifestFile = path.join(this.dir, `${this.prefix}.manifest`);
      this.manifest = fs.existsSync(manifestFile) ? parseManifest(fs.readFileSync(manifestFile, 'latin1')) : [];
      this.startBaseWriter(state);
      return true;
    }
    if (this.fd < 0) {
      // appendonly just turned on (enableAtRuntime): the first incr file, now, before any write
      // is acknowledged.
      this.openNewIncr();
      this.startBaseWriter(state);
      return true;
    }
    // New writes go to a fresh incr file from then on: the new base covers everything before it.
    this.openNewIncrAsync().then(
      (ok) => {
        if (this.rewriting !== state) return;
        if (ok) this.startBaseWriter(state);
        else this.abortRewrite();
      },
      (e: Error) => {
        if (this.rewriting !== state) return;
        this.server.logger.warn(`Background AOF rewrite failed: ${e.message}`);
        this.abortRewrite(false);
      },
    );
    return true;
  }

  /** The snapshot and the base's writer, now. */
  private startBaseWriter(state: RewriteState): void {
    const format = this.server.config.bool('aof-use-rdb-preamble') ? 'rdb' : 'aof';
    const baseSeq = Math.max(0, ...this.manifest.filter((e) => e.type === 'b').map((e) => e.seq)) + 1;
    const tmp = path.join(this.dir, `temp-rewriteaof-bg-${process.pid}.aof`);
    const base = path.join(this.dir, this.fileName(baseSeq, format === 'rdb' ? 'base.rdb' : 'base.aof'));
    state.format = format;
    state.baseSeq = baseSeq;
    try {
      // Both writers step between events, write in the thread pool and rename the base themselves:
      // the RDB preamble is BGSAVE's writer; the command format is aof-rewrite.ts.
      state.writer = format === 'rdb' ? new BgSave(this.server, { dir: this.dir, tmp, file: base, aofBase: true }) : new AofCommandBase(this.server, tmp, base);
    } catch (e) {
      this.server.logger.warn(`Background AOF rewrite failed: ${(e as Error).message}`);
      this.abortRewrite(false);
      return;
    }
    void state.writer.done.then((ok) => {
      if (this.rewriting !== state) return;
      if (ok) void this.finishRewrite(state);
      else this.abortRewrite(false);
    });
  }

  /**
   * The new base is complete: it replaces the old base and incr files in the manifest (persisted
   * in the thread pool), then the history files are deleted; the rewrite ends when that is done.
   */
  private async finishRewrite(state: RewriteState): Promise<void> {
    state.finishing = true;
    const name = this.fileName(state.baseSeq, state.format === 'rdb' ? 'base.rdb' : 'base.aof');
    // History: the old base and every incr file but the one being appended to now.
    const current = this.enabled ? this.manifest.filter((e) => e.type === 'i').sort((a, b) => b.seq - a.seq)[0] : undefined;
    const history = this.manifest.filter((e) => e !== current && e.name !== name);
    // With aof-disable-auto-gc the history stays, listed as Redis lists it (type h, the newest
    // first: the rewritten incr files, newest first, then the old base, then older history).
    const kept = this.server.config.bool('aof-disable-auto-gc')
      ? [
          ...history.filter((e) => e.type === 'i').sort((a, b) => b.seq - a.seq),
          ...history.filter((e) => e.type === 'b'),
          ...history.filter((e) => e.type === 'h'),
        ].map((e) => ({ ...e, type: 'h' as const }))
      : [];
    const entries: ManifestEntry[] = [{ name, seq: state.baseSeq, type: 'b' }, ...kept, ...(current ? [current] : [])];
    try {
      await this.persistManifestAsync(entries);
    } catch (e) {
      this.server.logger.warn(`Background AOF rewrite failed: ${(e as Error).message}`);
      state.finishing = false;
      this.abortRewrite(false);
      return;
    }
    this.manifest = entries;
    // Deleted in the thread pool too (unlinking a big file frees its extents).
    if (kept.length === 0) await Promise.all(history.map((h) => unlinkAsync(path.join(this.dir, h.name)).catch(() => undefined)));
    void fsyncDirAsync(this.dir);
    const size = fs.statSync(path.join(this.dir, name)).size;
    this.rewriting = null;
    this.baseSize = size;
    this.currentSize = size + (current && this.enabled ? fs.statSync(path.join(this.dir, current.name)).size : 0);
    this.rewriteBaseSize = this.currentSize;
    this.lastRewriteOk = true;
    this.lastRewriteTimeSec = Math.floor((dateNow() - state.startedAt) / 1000);
    this.lastRewriteAtMs = dateNow();
    this.lastRewriteDurationMs = this.lastRewriteAtMs - state.startedAt;
    this.rewrites++;
    const w = state.writer;
    this.server.logger.info(w ? { longest_step_ms: +w.longestStepMs.toFixed(2), steps: w.steps } : {}, 'Background AOF rewrite finished successfully');
  }

  /** Stop a rewrite in progress (appendonly no, shutdown, errors): its temp file is removed. */
  abortRewrite(asRequested = true): void {
    const state = this.rewriting;
    if (!state || state.finishing) return; // (a finishing rewrite is complete: its manifest is on its way)
    this.rewriting = null;
    state.writer?.abort(); // (detaches the snapshot, unlinks the temp file)
    if (!asRequested) {
      this.lastRewriteOk = false;
      this.rewriteFailures++;
    }
  }

  /** A scheduled BGREWRITEAOF, then auto-aof-rewrite-percentage / -min-size, checked by the cron. */
  maybeAutoRewrite(): void {
    if (this.rewriting || bgsaveInProgress(this.server)) return;
    if (this.rewriteScheduled) {
      this.rewriteScheduled = false;
      this.startRewrite();
      return;
    }
    if (!this.enabled) return;
    const pct = this.server.config.int('auto-aof-rewrite-percentage');
    const min = this.server.config.int('auto-aof-rewrite-min-size');
    if (pct <= 0 || this.currentSize < min) return;
    const base = this.rewriteBaseSize > 0 ? this.rewriteBaseSize : 1;
    if (((this.currentSize - base) * 100) / base >= pct) {
      this.server.logger.info(`Starting automatic rewriting of AOF on ${Math.floor(((this.currentSize - base) * 100) / base)}% growth`);
      this.startRewrite();
    }
  }
}



function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    /* some filesystems refuse to fsync a directory */
  }
}

/** fileExist (server.c): a regular file at `p`. */
function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}
