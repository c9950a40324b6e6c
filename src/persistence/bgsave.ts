/**
 * BGSAVE without fork: a point-in-time snapshot (snapshot.ts) serialized in small steps between
 * events and streamed to `dir/temp-bg-<pid>.rdb`, then fsync, rename over dir/dbfilename, fsync
 * of the directory. Also the save points (serverCron's "N changes in M seconds") and BGSAVE
 * SCHEDULE, and the MISCONF gate of stop-writes-on-bgsave-error.
 *
 * Invariants:
 * - At most one background save per server. Its file holds exactly the dataset at its start T:
 *   the header (AUX, functions) is written at T; keys come from the Snapshot, which hands each
 *   key once with its value at T (a command about to change a key not serialized yet makes the
 *   snapshot serialize it first: an "early copy", possibly of another db, so the file may switch
 *   back and forth with SELECTDB records; RDB allows that and Redis loads it).
 * - Memory: the writer's buffer is handed to the file every few MB as a copy queued for an async
 *   positional write; stepping pauses while more than MAX_PENDING bytes wait for the disk, so the
 *   file is never held in memory. Extra memory of the save (rdb_last_cow_size) = the peak of the
 *   snapshot's done sets + the bytes serialized by early copies.
 * - Event loop: each step serializes keys for about STEP_MS, then yields the next turn to the
 *   clients, whose replies are written before the following step (nextStepTurn). A single huge
 *   value (one key) is serialized in one go: the known exception to the bound.
 * - Abort (FLUSHALL, SHUTDOWN, close(), errors): the snapshot detaches from every db, the temp file
 *   is unlinked at once and its descriptor closed when the writes in flight have returned.
 */
import fs from 'fs';
import path from 'path';
import type { Server } from '../server/server';
import type { Command } from '../commands/table';
import { CmdFlag } from '../commands/table';
import type { Client } from '../server/client';
import type { KeyInfo, RedisValue } from '../engine/types';
import { Snapshot } from './snapshot';
import { crc64Warm } from './crc64';
import { fsyncAsync, fsyncDirAsync, renameAsync } from '../util/fs-async';
import { AUTOSYNC_BYTES, lruLfuRecords, newFileWriter, persistenceOf, releaseFileWriter, saveSettings, writeRdbHeader, writeRdbTrailer } from './rdb';
import type { RdbWriter } from './rdb-writer';
import * as F from './format';
import { scriptMayWrite } from '../scripting/engine';
import { setImmediate, setTimeout, performance, dateNow } from '../util/real-timers';

const STEP_MS = 2;
/**
 * The size of every chunk FileOut writes: the writers hand over their buffer once it holds 256 KB
 * (rdb-writer FLUSH_AT, aof-rewrite.ts's sink), plus the record or command that crossed that
 * mark, which the 64 KB of slack hold. A longer hand-over is copied into several chunks.
 */
const CHUNK_BYTES = 320 * 1024;
/** Chunks kept for reuse (3.75 MB). */
const SPARE_CHUNKS = 12;
/**
 * A save's steps pause (until its writes have returned) while more than this many bytes wait for
 * the disk (also the AOF rewrite's bound): well below what the spare chunks hold, leaving room for
 * a step's output, so that a save takes every chunk from the spares and allocates none after the
 * first save. New chunks are off-heap memory that V8 counts towards its next full GC: with 8 MB
 * here and chunks of exactly the 256 KB that a flush usually exceeds by its last record (such a
 * chunk was dropped and replaced), the first 1M-key save of a process allocated ~14 chunks
 * (3.5 MB), now 1-3.
 */
export const MAX_PENDING = 2 * 1024 * 1024;
/** CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long (seconds). */
const RETRY_DELAY = 5;

export const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** Save points parsed from the `save` setting: [seconds, changes] pairs. */
export function parseSavePoints(text: string): [number, number][] {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  const out: [number, number][] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) out.push([Number(parts[i]), Number(parts[i + 1])]);
  return out;
}

/**
 * A snapshot's (BGSAVE, BGREWRITEAOF) wait before its first step: that step runs in a turn of its
 * own, not inside the command that started the save, and the young generation's survivors of the
 * writes before it, when they fill half the young generation, are scavenged in a turn of their own
 * too (HeapTrim.scavengeBeforeSnapshot), not inside the first steps.
 */
export async function beforeFirstStep(s: Server): Promise<void> {
  await nextStepTurn(s);
  if (s.heapTrim !== null && s.heapTrim.scavengeBeforeSnapshot()) await nextStepTurn(s);
}

/**
 * The wait between two steps of a background job (a snapshot, the load at start): the next
 * event-loop turn, where the replies of the commands read meanwhile are written before the step
 * runs (Networking.flushBeforeStep), not after it.
 */
export function nextStepTurn(s: Server): Promise<void> {
  return new Promise((r) =>
    setImmediate(() => {
      s.net.flushBeforeStep();
      r(undefined);
    }),
  );
}

/** A background save or rewrite given up: detach its snapshot, delete its temp file, close the file once idle. */
export function discardSave(snapshot: Snapshot, tmp: string, out: FileOut): void {
  snapshot.abort();
  try {
    fs.unlinkSync(tmp);
  } catch {
    /* already gone */
  }
  out.closeLater();
}

/**
 * Chunk buffers whose writes have returned, reused by FileOut.copy(): no new Buffer per flush,
 * and kept from one save to the next (at most SPARE_CHUNKS), so that a save does not begin
 * with megabytes of new off-heap memory (that makes V8 start a full GC, which then lands in the
 * save). A chunk belongs to one write at a time: taken by copy(), put back when its write returned.
 */
const spareChunks: Buffer[] = [];

/** Positional async writes of chunks into one file, in order of offsets (also the AOF rewrite's). */
export class FileOut {
  private offset = 0;
  private inFlight = 0;
  pending = 0;
  error: Error | null = null;
  private waiters: (() => void)[] = [];
  private closeWhenIdle = false;

  /** Bytes queued since the last incremental fdatasync (see autoSyncBytes). */
  private unsynced = 0;

  /**
   * `autoSyncBytes` > 0: rdb-save-incremental-fsync (or aof-rewrite-incremental-fsync for an
   * AOF base), Redis's rioSetAutoSync: an fdatasync in the thread pool after every that many
   * bytes queued, so the kernel never holds a huge dirty file at the final fsync.
   */
  constructor(
    readonly fd: number,
    private readonly autoSyncBytes = 0,
  ) {}


  /** Queue a copy of src[0, len) for writing, in chunks of CHUNK_BYTES. */
  copy(src: Buffer, len: number): void {
    for (let from = 0; from < len; from += CHUNK_BYTES) {
      const n = Math.min(CHUNK_BYTES, len - from);
      const b = spareChunks.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
      src.copy(b, 0, from, from + n);
      this.write(b, n);
    }
  }

  private write(chunk: Buffer, len: number): void {
    const at = this.offset;
    this.offset += len;
    this.pending += len;
    this.inFlight++;
    this.writeAt(chunk, 0, at, len);
    if (this.autoSyncBytes > 0 && (this.unsynced += len) >= this.autoSyncBytes) {
      this.unsynced = 0;
      fs.fdatasync(this.fd, () => undefined);
    }
  }

  private writeAt(chunk: Buffer, from: number, at: number, len: number): void {
    fs.write(this.fd, chunk, from, len - from, at, (err, n) => {
      if (!err && n < len - from && n > 0) return this.writeAt(chunk, from + n, at + n, len);
      if (err && !this.error) this.error = err;
      else if (!err && n === 0 && !this.error) this.error = new Error('short write');
      this.pending -= len;
      this.inFlight--;
      if (spareChunks.length < SPARE_CHUNKS) spareChunks.push(chunk);
      if (this.inFlight === 0) {
        if (this.closeWhenIdle) fs.close(this.fd, () => undefined);
        const ws = this.waiters;
        this.waiters = [];
        for (const w of ws) w();
      }
    });
  }

  /** Resolves when no write is in flight. */
  drain(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  private closed = false;

  /** Close the descriptor once the writes in flight have returned (once: a closed number may be reused). */
  closeLater(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.inFlight === 0) fs.close(this.fd, () => undefined);
    else this.closeWhenIdle = true;
  }

  /** Close now (no write in flight: after drain()), in the thread pool. */
  close(): Promise<void> {
    this.closed = true;
    return new Promise<void>((res, rej) => fs.close(this.fd, (e) => (e ? rej(e) : res())));
  }
}

export class BgSave {
  readonly snapshot: Snapshot;
  readonly startedAt: number;
  readonly tmp: string;
  private readonly file: string;
  private readonly dir: string;
  private readonly out: FileOut;
  private readonly w: RdbWriter;
  private readonly lru: boolean;
  private readonly lfu: boolean;
  private readonly delayUs: number;
  /** Keys at T (current_save_keys_total). */
  readonly keysTotal: number;
  /** Db sizes at T, for the first SELECTDB + RESIZEDB of each db. */
  private readonly sizes: [number, number][];
  private readonly resized: boolean[];
  private curDb = -1;
  private inStep = false;
  aborted = false;
  /** Bytes serialized by early copies (keys written ahead of the walk). */
  earlyBytes = 0;
  peakDoneBytes = 0;
  /** The longest single step (ms): how long the save held the event loop at once. */
  longestStepMs = 0;
  steps = 0;
  stepsOver10Ms = 0;
  /** Resolves when finished (true: file in place; false: aborted or failed). */
  readonly done: Promise<boolean>;

  /**
   * A snapshot written as RDB to `target.tmp`, renamed to `target.file` when complete (by default
   * dir/temp-bg-<pid>.rdb -> dir/dbfilename; the AOF rewrite passes its base file's names).
   */
  constructor(
    private readonly s: Server,
    target: { dir: string; tmp: string; file: string; aofBase: boolean } = {
      dir: s.config.str('dir'),
      tmp: path.join(s.config.str('dir'), `temp-bg-${process.pid}.rdb`),
      file: path.join(s.config.str('dir'), s.config.str('dbfilename')),
      aofBase: false,
    },
  ) {
    this.dir = target.dir;
    this.file = target.file;
    this.tmp = target.tmp;
    const fd = fs.openSync(this.tmp, 'w'); // (throws: the caller reports the failure)
    this.out = new FileOut(fd, s.config.bool(target.aofBase ? 'aof-rewrite-incremental-fsync' : 'rdb-save-incremental-fsync') ? AUTOSYNC_BYTES : 0);
    this.startedAt = s.clock.now();
    const rec = lruLfuRecords(s);
    this.lru = rec.lru;
    this.lfu = rec.lfu;
    this.delayUs = s.config.int('rdb-key-save-delay');
    crc64Warm(); // (in this turn, not in the first step's budget)
    this.w = newFileWriter(s, (b, len) => this.out.copy(b, len));
    writeRdbHeader(s, this.w, target.aofBase);
    this.sizes = s.dbs.map((db) => [db.size(), db.expiresSize()]);
    this.resized = s.dbs.map(() => false);
    this.keysTotal = this.sizes.reduce((a, x) => a + x[0], 0);
    this.snapshot = new Snapshot(s.dbs, this.startedAt, {
      key: (i, k, v, info) => this.key(i, k, v, info),
      record: (i, src, start, end) => this.record(i, src, start, end),
      records: (i, src, start, end) => this.records(i, src, start, end),
      recordSettings: saveSettings(s, this.startedAt, this.lru, this.lfu),
    }, (f) => s.asIs(f));
    this.done = this.run();
  }

  /** The snapshot's sink for a record the engine serialized (always from the walk, never early). */
  private record(dbIndex: number, src: Uint8Array, start: number, end: number): void {
    this.selectDb(dbIndex);
    this.w.record(src, start, end);
    this.w.maybeFlush();
  }

  /** The same for a whole batch of records (one copy). */
  private records(dbIndex: number, src: Uint8Array, start: number, end: number): void {
    this.selectDb(dbIndex);
    this.w.raw(src, start, end);
    this.w.maybeFlush();
  }

  /** SELECTDB (and the db's RESIZEDB the first time) when the output switches to dbIndex. */
  private selectDb(dbIndex: number): void {
    const w = this.w;
    if (dbIndex !== this.curDb) {
      w.u8(F.RDB_OPCODE_SELECTDB);
      w.len(dbIndex);
      if (!this.resized[dbIndex]) {
        this.resized[dbIndex] = true;
        w.u8(F.RDB_OPCODE_RESIZEDB);
        w.len(this.sizes[dbIndex][0]);
        w.len(this.sizes[dbIndex][1]);
      }
      this.curDb = dbIndex;
    }
  }

  /** The snapshot's sink: serialize one key now (its value may change right after). */
  private key(dbIndex: number, key: Buffer, value: RedisValue, info: KeyInfo): void {
    const w = this.w;
    const before = w.flushed + w.pos;
    this.selectDb(dbIndex);
    const idle = this.lru ? Math.max(0, Math.floor((this.startedAt - info.lru) / 1000)) : -1;
    const freq = this.lfu ? Math.max(0, Math.min(255, info.freq | 0)) : -1;
    w.keyValue(key, value, info.expireAt, idle, freq);
    if (!this.inStep) this.earlyBytes += w.flushed + w.pos - before;
    w.maybeFlush();
  }

  /** Extra memory of this save so far (rdb_last_cow_size / current_cow_size). */
  extraBytes(): number {
    return this.peakDoneBytes + this.earlyBytes;
  }

  private async run(): Promise<boolean> {
    const s = this.s;
    try {
      await beforeFirstStep(s);
      for (;;) {
        if (this.aborted) return false;
        if (this.out.error) throw this.out.error;
        if (this.out.pending > MAX_PENDING) {
          await this.out.drain();
          continue;
        }
        const emitted = this.snapshot.emitted;
        this.inStep = true;
        let finished: boolean;
        const t = performance.now();
        try {
          finished = this.snapshot.step(this.delayUs > 0 ? 0 : STEP_MS);
        } finally {
          this.inStep = false;
        }
        const took = performance.now() - t;
        if (took > this.longestStepMs) this.longestStepMs = took;
        if (took > 10) this.stepsOver10Ms++;
        this.steps++;
        const db = this.snapshot.doneBytes();
        if (db > this.peakDoneBytes) this.peakDoneBytes = db;
        if (finished) break;
        if (this.delayUs > 0) {
          // rdb-key-save-delay: the keys of this step cost delay µs each, without blocking.
          const ms = ((this.snapshot.emitted - emitted) * this.delayUs) / 1000;
          await new Promise((r) => setTimeout(r, Math.max(1, ms)));
          this.w.flush();
        } else await nextStepTurn(s);
      }
      if (this.aborted) return false;
      writeRdbTrailer(s, this.w, true);
      await this.out.drain();
      if (this.aborted) return false;
      if (this.out.error) throw this.out.error;
      await fsyncAsync(this.out.fd);
      if (this.aborted) return false;
      await this.out.close();
      await renameAsync(this.tmp, this.file);
      await fsyncDirAsync(this.dir);
      return true;
    } catch (e) {
      if (!this.aborted) {
        bgFailed.add(this);
        s.logger.warn(`Write error saving DB on disk: ${(e as Error).message}`);
        this.abort();
      }
      return false;
    } finally {
      // (an aborted save stops writing at its next turn: nothing uses the writer after this)
      releaseFileWriter(this.w);
    }
  }

  /** Stop: detach the snapshot, delete the temp file. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    discardSave(this.snapshot, this.tmp, this.out);
  }
}

// ------------------------------------------------------------------ server-level state

interface BgState {
  current: BgSave | null;
  scheduled: boolean;
  /** Unix seconds of the last BGSAVE attempt (lastbgsave_try). */
  lastTry: number;
  /** rdb_last_bgsave_time_sec */
  lastTimeSec: number;
  lastCowSize: number;
  /** Keys the last BGSAVE serialized early (a command was about to change them). */
  lastEarlyCopies: number;
  dirtyAtStart: number;
}

const bgStates = new WeakMap<Server, BgState>();

export function bgStateOf(s: Server): BgState {
  let st = bgStates.get(s);
  if (!st) {
    st = { current: null, scheduled: false, lastTry: 0, lastTimeSec: -1, lastCowSize: 0, lastEarlyCopies: 0, dirtyAtStart: 0 };
    bgStates.set(s, st);
  }
  return st;
}

export function bgsaveInProgress(s: Server): boolean {
  return bgStateOf(s).current !== null;
}

/** rdbSaveBackground: start a background save. Returns false (after logging) when it failed to start. */
export function startBgsave(s: Server): boolean {
  const st = bgStateOf(s);
  const p = persistenceOf(s);
  if (st.current) return false;
  st.lastTry = Math.floor(dateNow() / 1000);
  st.dirtyAtStart = s.stats.dirty;
  let bg: BgSave;
  try {
    bg = new BgSave(s);
  } catch (e) {
    const dir = s.config.str('dir');
    s.logger.warn(`Failed opening the temp RDB file temp-bg-${process.pid}.rdb (in server root dir ${dir}) for saving: ${(e as Error).message}`);
    p.lastSaveStatusOk = false;
    p.saveFailures++;
    st.lastTimeSec = 0;
    updateGate(s);
    return false;
  }
  p.saves++;
  st.current = bg;
  s.logger.info('Background saving started');
  const t0 = dateNow();
  void bg.done.then((ok) => {
    if (st.current === bg) st.current = null;
    st.lastTimeSec = Math.round((dateNow() - t0) / 1000);
    st.lastCowSize = bg.extraBytes();
    st.lastEarlyCopies = bg.snapshot.earlyCopies;
    if (ok) {
      s.stats.dirty -= st.dirtyAtStart;
      s.stats.lastSave = Math.floor(dateNow() / 1000);
      p.lastSaveStatusOk = true;
      p.lastSaveDurationMs = dateNow() - t0;
      s.logger.info({ keys: bg.snapshot.emitted, early_copies: bg.snapshot.earlyCopies, extra_bytes: st.lastCowSize, longest_step_ms: +bg.longestStepMs.toFixed(2), steps: bg.steps, steps_over_10ms: bg.stepsOver10Ms }, 'Background saving terminated with success');
    } else if (bg.aborted && !bgFailed.has(bg)) {
      s.logger.warn('Background saving terminated by signal 10');
    } else {
      p.lastSaveStatusOk = false;
      p.saveFailures++;
      s.logger.warn('Background saving error');
    }
    updateGate(s);
  });
  return true;
}

/**
 * The RDB for a replica's SYNC (`redis-cli --rdb`): a background save to `file` that is not a save
 * of the dataset (as Redis's diskless transfer: LASTSAVE, the dirty counter and the save counters
 * do not move), holding the background-save slot while it runs (BGSAVE answers "already in
 * progress", FLUSHALL and SHUTDOWN abort it). Resolves true when `file` is complete; null when a
 * background save already runs (the caller waits for its end, as a replica waits for the next).
 */
export function startReplicaSnapshot(s: Server, file: string): Promise<boolean> | null {
  const st = bgStateOf(s);
  if (st.current) return null;
  const bg = new BgSave(s, { dir: path.dirname(file), tmp: file, file, aofBase: false });
  st.current = bg;
  return bg.done.then((ok) => {
    if (st.current === bg) st.current = null;
    return ok;
  });
}

/** Saves that ended in an I/O error (as opposed to being killed). */
const bgFailed = new WeakSet<BgSave>();

/** killRDBChild: abort a running background save (FLUSHALL, SHUTDOWN, close). */
export function killBgsave(s: Server): void {
  const st = bgStates.get(s);
  if (!st || !st.current) return;
  s.logger.warn('Killing the background save in progress');
  const bg = st.current;
  st.current = null;
  st.lastCowSize = bg.extraBytes();
  bg.abort();
}

/** BGSAVE inside MULTI/EXEC: Redis 7.0 schedules it (server.in_exec). */
export function scheduleBgsave(s: Server): void {
  bgStateOf(s).scheduled = true;
}

/** serverCron's part: a scheduled BGSAVE, then the save points. */
export function persistenceCron(s: Server): void {
  const st = bgStates.get(s);
  if (st?.current || loadingOf(s) !== null || s.aof.rewriteInProgress) return;
  const p = persistenceOf(s);
  const nowSec = Math.floor(dateNow() / 1000);
  const retryOk = p.lastSaveStatusOk || nowSec - (st?.lastTry ?? 0) > RETRY_DELAY;
  if (st?.scheduled && retryOk) {
    st.scheduled = false;
    startBgsave(s);
    return;
  }
  if (!p.enabled) return;
  const text = s.config.str('save');
  if (text === '') return;
  for (const [secs, changes] of parseSavePoints(text)) {
    if (s.stats.dirty >= changes && nowSec - s.stats.lastSave > secs && retryOk) {
      s.logger.info(`${changes} changes in ${secs} seconds. Saving...`);
      startBgsave(s);
      break;
    }
  }
}

/** writeCommandsDeniedByDiskError for the RDB. */
export function writesDenied(s: Server): boolean {
  return !persistenceOf(s).lastSaveStatusOk && s.config.bool('stop-writes-on-bgsave-error') && s.config.str('save') !== '';
}

/** Install or remove the dispatcher gate that answers MISCONF (and LOADING, see loading.ts). */
export function updateGate(s: Server): void {
  s.commandGate = !persistenceOf(s).lastSaveStatusOk || loadingOf(s) !== null ? gate : null;
}

/** The part of processCommand that refuses commands while loading or after a failed save. */
function gate(c: Client, cmd: Command, argv?: Buffer[]): string | null {
  const s = c.server;
  if (writesDenied(s)) {
    // Scripts with flags are write commands unless they declare no-writes (evalGetCommandFlags).
    const isWrite = (cm: Command, av: Buffer[] | undefined) => cm.has(CmdFlag.WRITE) || (av !== undefined && cm.has(CmdFlag.NOSCRIPT) && scriptMayWrite(s, cm.name, av));
    const write = isWrite(cmd, argv) || cmd.name === 'ping' || (cmd.name === 'exec' && (c.multiQueue ?? []).some((q) => isWrite(q.cmd, q.argv)));
    if (write) return MISCONF;
  }
  if (loadingOf(s) !== null) {
    const denied = !cmd.has(CmdFlag.LOADING) || (cmd.name === 'exec' && (c.multiQueue ?? []).some((q) => !q.cmd.has(CmdFlag.LOADING)));
    if (denied) return 'LOADING Redis is loading the dataset in memory';
  }
  return null;
}

// Loading state lives beside (set by loading.ts); declared here to keep one gate.
const loadingStates = new WeakMap<Server, object>();
export function loadingOf(s: Server): object | null {
  return loadingStates.get(s) ?? null;
}
export function setLoading(s: Server, st: object | null): void {
  if (st) loadingStates.set(s, st);
  else loadingStates.delete(s);
  updateGate(s);
}

/** The loading_* INFO fields; set by loading.ts while a file loads. */
export interface LoadingInfo {
  startTime: number;
  totalBytes: number;
  rdbUsedMem: number;
  loadedBytes: number;
  /** performance.now() at start, for the ETA. */
  startedMs: number;
}

/** INFO persistence, as Redis 7.0 prints it (no AOF: its fields are constant). */
export function persistenceInfo(s: Server): string[] {
  const p = persistenceOf(s);
  const st = bgStateOf(s);
  const bg = st.current;
  const loading = loadingOf(s) as LoadingInfo | null;
  const aof = s.aof;
  const keysTotal = bg ? bg.keysTotal : 0;
  const keysDone = bg ? bg.snapshot.emitted : 0;
  const out = [
    `loading:${loading ? 1 : 0}`,
    'async_loading:0',
    `current_cow_peak:${bg ? bg.extraBytes() : 0}`,
    `current_cow_size:${bg ? bg.extraBytes() : 0}`,
    'current_cow_size_age:0',
    `current_fork_perc:${keysTotal > 0 ? ((keysDone / keysTotal) * 100).toFixed(2) : '0.00'}`,
    `current_save_keys_processed:${keysDone}`,
    `current_save_keys_total:${keysTotal}`,
    `rdb_changes_since_last_save:${s.stats.dirty - (bg ? st.dirtyAtStart : 0)}`,
    `rdb_bgsave_in_progress:${bg ? 1 : 0}`,
    `rdb_last_save_time:${s.stats.lastSave}`,
    `rdb_last_bgsave_status:${p.lastSaveStatusOk ? 'ok' : 'err'}`,
    `rdb_last_bgsave_time_sec:${st.lastTimeSec}`,
    `rdb_current_bgsave_time_sec:${bg ? Math.floor((s.clock.now() - bg.startedAt) / 1000) : -1}`,
    `rdb_saves:${p.saves}`,
    `rdb_last_cow_size:${st.lastCowSize}`,
    `rdb_last_load_keys_expired:${p.keysExpiredAtLoad}`,
    `rdb_last_load_keys_loaded:${p.keysLoaded}`,
    `aof_enabled:${aof.enabled ? 1 : 0}`,
    `aof_rewrite_in_progress:${aof.rewriteInProgress ? 1 : 0}`,
    `aof_rewrite_scheduled:${aof.rewriteScheduled ? 1 : 0}`,
    `aof_last_rewrite_time_sec:${aof.lastRewriteTimeSec}`,
    `aof_current_rewrite_time_sec:${aof.rewriteSeconds()}`,
    `aof_last_bgrewrite_status:${aof.lastRewriteOk ? 'ok' : 'err'}`,
    `aof_rewrites:${aof.rewrites}`,
    `aof_rewrites_consecutive_failures:${aof.lastRewriteOk ? 0 : 1}`,
    `aof_last_write_status:${aof.writeStatusOk ? 'ok' : 'err'}`,
    'aof_last_cow_size:0',
    'module_fork_in_progress:0',
    'module_fork_last_cow_size:0',
  ];
  if (aof.enabled) {
    out.push(
      `aof_current_size:${aof.currentSize}`,
      `aof_base_size:${aof.baseSize}`,
      'aof_pending_rewrite:0',
      `aof_buffer_length:${aof.bufferLength}`,
      'aof_pending_bio_fsync:0',
      `aof_delayed_fsync:${aof.delayedFsync}`,
    );
  }
  if (loading) {
    const elapsed = (performance.now() - loading.startedMs) / 1000;
    const perc = loading.totalBytes > 0 ? (loading.loadedBytes / loading.totalBytes) * 100 : 0;
    const eta = loading.loadedBytes > 0 && elapsed > 0 ? Math.round((loading.totalBytes - loading.loadedBytes) / (loading.loadedBytes / elapsed)) : 1;
    out.push(
      `loading_start_time:${loading.startTime}`,
      `loading_total_bytes:${loading.totalBytes}`,
      `loading_rdb_used_mem:${loading.rdbUsedMem}`,
      `loading_loaded_bytes:${loading.loadedBytes}`,
      `loading_loaded_perc:${perc.toFixed(2)}`,
      `loading_eta_seconds:${eta}`,
    );
  }
  return out;
}
