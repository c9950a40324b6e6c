/**
 * A point-in-time snapshot of the keyspace without fork and without stopping the server: what
 * BGSAVE (and later BGREWRITEAOF) serialize while clients keep reading and writing.
 *
 * The snapshot begins at time T and walks every database with the engine's SCAN cursor in small
 * steps between events. Each key is handed to the sink exactly once, with its value as it was at
 * T. That works because every Db calls `before(db, key)` (Db.snapshotHook) before it changes a
 * key or hands out a value that may be changed in place:
 *
 * - `before` on a key not handed over yet serializes its current value first (it is still the
 *   value at T: nothing changed it since, or the hook would have run) and marks it done. A key
 *   that does not exist at that moment did not exist at T either (or a hook would have copied
 *   it before it was deleted), so it is only marked done: keys created after T are never emitted.
 * - the walk skips keys already done; SCAN's guarantee (every key present for the whole walk is
 *   returned at least once, across rehashing) covers the rest, and `done` removes its repeats.
 * - `beforeClear` (FLUSHDB/FLUSHALL) hands over the rest of that db at once before it is emptied.
 * - SWAPDB moves Db objects between numbers; the snapshot keeps each Db with its number at T.
 * - keys are read as they are (`asIs`: Server.asIs, expiry paused, around each walk step and early
 *   copy), so a key whose TTL has passed is handed over like any other while it is in the db, as
 *   Redis's fork child writes every key of its dict (the loader drops it). A lazy expiry by a
 *   value lookup or a write copies it first (before() runs ahead of those); one reclaimed
 *   without before() (the active expire cycle, a TTL or EXISTS lookup) before the walk gets
 *   there is left out, as it would be dropped when the file is loaded anyway.
 *
 * Cost: one Set entry per key of a db until that db's walk ends (the analogue of fork's
 * copy-on-write memory, reported as `earlyCopies` and `doneBytes`); a key written ahead of the walk
 * is serialized by the writing command, so that command pays for it once.
 *
 * Engines with Db.snapshotWalk walk in a fixed order instead (wasm: bucket order with rehashing
 * paused; js-map: KeyTable rows in slot order): the walk visits each key present at T exactly
 * once and `passed(key)` says whether a key is behind it, so the done set holds only the keys
 * handed over or created ahead of the walk.
 */
import type { Db, KeyInfo, RdbRecordSink, RdbSaveSettings, RedisValue, SnapshotHook, SnapshotWalk } from '../engine/types';
import { toBuffer } from '../util/bytes';
import { performance } from '../util/real-timers';

/** Where the snapshot hands keys. It must serialize at once: the value may change right after. */
export interface SnapshotSink {
  key(dbIndex: number, key: Buffer, value: RedisValue, info: KeyInfo): void;
  /**
   * Optional: a key's whole RDB record serialized by the engine (SnapshotWalk.stepRecords), with
   * these settings; copy src[start, end) at once. Returning false declines it: the key is then
   * handed to key() instead, after the engine's batch.
   */
  record?(dbIndex: number, src: Uint8Array, start: number, end: number): boolean | void;
  /**
   * Optional, with record(): a batch of whole records back to back, src[start, end), copied at
   * once (never declined). Used while no key of the db was handed over ahead of the walk, so no
   * record has to be filtered out by key: one copy and no callback per key.
   */
  records?(dbIndex: number, src: Uint8Array, start: number, end: number): void;
  recordSettings?: RdbSaveSettings;
}

interface DbWalk {
  db: Db;
  /** The db's number at T. */
  index: number;
  cursor: number;
  finished: boolean;
  /**
   * latin1 keys already handed over (or created after T). With an engine walk (Db.snapshotWalk)
   * only the keys written ahead of it: the walk itself visits each key once.
   */
  done: DoneSet;
  /** The engine's bucket-order walk, once this db's walk has begun (engines that have one). */
  walk: SnapshotWalk | null;
}

/**
 * A set of latin1 strings split over many small Sets by a hash of the string: one Set of
 * millions of entries stalls the event loop for tens of ms each time it grows (V8 rehashes it
 * at once); shards of a few thousand entries grow in well under a millisecond.
 */
class DoneSet {
  private readonly shards: Set<string>[] = [];
  private readonly mask: number;
  size = 0;

  /** `expected`: about how many keys will be added (the db's size at T). */
  constructor(expected: number) {
    let n = 1;
    while (n < MAX_SHARDS && n * 2048 < expected) n *= 2;
    for (let i = 0; i < n; i++) this.shards.push(new Set<string>());
    this.mask = n - 1;
  }

  private shard(k: string): Set<string> {
    // The last 8 characters and the length (keys usually differ by a trailing id): cheap, and a
    // skewed spread only makes some shards bigger (slower to grow), never wrong.
    const n = k.length;
    let h = n;
    for (let i = n > 8 ? n - 8 : 0; i < n; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193);
    return this.shards[(h ^ (h >>> 15)) & this.mask];
  }

  has(k: string): boolean {
    return this.shard(k).has(k);
  }

  /** Add `k`; false when it was there already (one hash lookup for both). */
  add(k: string): boolean {
    const sh = this.shard(k);
    const before = sh.size;
    sh.add(k);
    if (sh.size === before) return false;
    this.size++;
    return true;
  }
}

const MAX_SHARDS = 4096;
/** Bounds of the keys per walk step (step() adapts it to stay well inside its time budget). */
const MIN_BATCH = 8;
const MAX_BATCH = 512;
/** Keys per step(0). */
const FIXED_BATCH = 100;


const EMPTY_DONE = new DoneSet(0);

export class Snapshot implements SnapshotHook {
  private readonly walks: DbWalk[];
  private readonly byDb = new Map<Db, DbWalk>();
  private next = 0;
  private active = true;
  /** Keys serialized because a command was about to change them before the walk got there. */
  earlyCopies = 0;
  /** Keys handed to the sink. */
  emitted = 0;
  /** Inside emit(): before() calls are about the key being handed over. */
  private emitting = false;
  /** Keys whose record the sink declined in the current walk step. */
  private readonly declined: string[] = [];
  /** Keys (SCAN count) per walk step, adapted to their cost by step(). */
  private batch = MIN_BATCH;
  /** The db of the engine walk step in progress (read by the two sinks below). */
  private cur: DbWalk | null = null;
  /** The engine's sink, record by record (made once: no closures per walk step). */
  private readonly recordSink: RdbRecordSink = {
    record: (src, start, end, key) => {
      const w = this.cur!;
      // A key in the done set was handed over (or created) ahead of the walk.
      if (w.done.size > 0 && w.done.has(key())) return;
      if (this.sink.record!(w.index, src, start, end) === false) this.declined.push(key());
      else this.emitted++;
    },
    deferred: (key) => {
      const w = this.cur!;
      if (w.done.size > 0 && w.done.has(key)) return;
      this.emit(w, Buffer.from(key, 'latin1'));
    },
  };
  /** The engine's sink, whole batches (the done set is empty: nothing to filter out). */
  private readonly batchSink: RdbRecordSink = {
    record: this.recordSink.record,
    records: (src, start, end, count) => {
      this.sink.records!(this.cur!.index, src, start, end);
      this.emitted += count;
    },
    deferred: this.recordSink.deferred,
  };

  /**
   * Start a snapshot of `dbs` (in their current numbering) at time `startedAt`. `asIs` runs its
   * function with expiry paused (Server.asIs; see the header).
   */
  constructor(
    dbs: readonly Db[],
    readonly startedAt: number,
    private readonly sink: SnapshotSink,
    private readonly asIs: <T>(f: () => T) => T = (f) => f(),
  ) {
    this.walks = dbs.map((db, index) => {
      const size = db.size();
      // With an engine walk the done set holds only the keys written ahead of it: start small.
      const expected = db.snapshotWalk ? Math.min(size, 4096) : size;
      return { db, index, cursor: 0, finished: size === 0, done: size === 0 ? EMPTY_DONE : new DoneSet(expected), walk: null };
    });
    for (const w of this.walks) {
      if (w.db.snapshotHook !== null) throw new Error('a snapshot is already running on this db');
      this.byDb.set(w.db, w);
      if (!w.finished) w.db.snapshotHook = this;
    }
  }

  /** True once every key has been handed over (or the snapshot was aborted). */
  get finished(): boolean {
    return !this.active;
  }

  /** Approximate bytes held by the done sets (reported as the save's extra memory). */
  doneBytes(): number {
    let n = 0;
    for (const w of this.walks) if (!w.finished) n += w.done.size * 64;
    return n;
  }

  before(db: Db, key: Buffer): void {
    const w = this.byDb.get(db);
    if (w === undefined || w.finished) return;
    if (this.emitting) return; // (the key being handed over: already marked)
    if (w.walk !== null && w.walk.passed(key)) return; // handed over by the walk already
    if (!w.done.add(key.latin1Slice(0, key.length))) return;
    if (this.emit(w, key)) this.earlyCopies++;
  }

  beforeClear(db: Db): void {
    const w = this.byDb.get(db);
    if (w === undefined || w.finished) return;
    while (!w.finished) this.walkStep(w, 1024);
  }

  /**
   * Walk on for about `budgetMs` milliseconds (at least one walk step; 0: one step of 100 keys).
   * Returns true when the snapshot is complete. Bounded by elapsed time, not by a key count: a
   * walk step's keys adapt to what they cost, so one step overshoots the budget by at most about a quarter of it (a single
   * huge value, serialized in one go, is the exception).
   */
  step(budgetMs: number): boolean {
    const start = performance.now();
    let t = start;
    while (this.active) {
      const w = this.walks[this.next];
      if (w === undefined) {
        this.finish();
        break;
      }
      if (w.finished) {
        this.next++;
        continue;
      }
      if (budgetMs <= 0) {
        // One walk step of a fixed size (rdb-key-save-delay paces by keys, not by time).
        this.walkStep(w, FIXED_BATCH);
        break;
      }
      this.walkStep(w, this.batch);
      const now = performance.now();
      // Keys per walk step follow their cost, so that one walk step stays near a quarter of the
      // budget: few while the code is cold or the values are big, more for small strings.
      const took = now - t;
      if (took > budgetMs / 4) this.batch = Math.max(MIN_BATCH, this.batch >> 1);
      else if (took < budgetMs / 16) this.batch = Math.min(MAX_BATCH, this.batch << 1);
      t = now;
      if (now - start >= budgetMs) break;
    }
    return !this.active;
  }

  /** Stop without completing (FLUSHALL during BGSAVE, errors): detach from every db. */
  abort(): void {
    this.finish();
  }

  private walkStep(w: DbWalk, count: number): void {
    this.asIs(() => this.walkStepAsIs(w, count));
  }

  private walkStepAsIs(w: DbWalk, count: number): void {
    if (w.db.snapshotWalk) {
      w.walk ??= w.db.snapshotWalk();
      const settings = this.sink.recordSettings;
      if (w.walk.stepRecords && this.sink.record && settings) {
        // The engine serializes each key's record: no value or key object per key here.
        const declined = this.declined;
        declined.length = 0;
        this.cur = w;
        const whole = w.done.size === 0 && this.sink.records !== undefined;
        const complete = w.walk.stepRecords(count, settings, whole ? this.batchSink : this.recordSink);
        this.cur = null;
        // After the batch (the engine's output buffer is read until then); in the same turn, so
        // these keys still hold their value at T.
        for (let i = 0; i < declined.length; i++) this.emit(w, Buffer.from(declined[i], 'latin1'));
        declined.length = 0;
        if (complete) this.endWalk(w);
        return;
      }
      const found: (Buffer | string)[] = [];
      const complete = w.walk.step(count, (k) => found.push(k));
      for (const k of found) {
        // A key in the done set was handed over (or created) ahead of the walk.
        if (w.done.size > 0 && w.done.has(typeof k === 'string' ? k : k.latin1Slice(0, k.length))) continue;
        this.emit(w, toBuffer(k));
      }
      if (complete) this.endWalk(w);
      return;
    }
    const found: (Buffer | string)[] = [];
    w.cursor = w.db.scan(w.cursor, count, (k) => found.push(k));
    for (const k of found) {
      const s = typeof k === 'string' ? k : k.latin1Slice(0, k.length);
      if (!w.done.add(s)) continue;
      this.emit(w, toBuffer(k));
    }
    if (w.cursor === 0) this.endWalk(w);
  }

  /** Hand one key to the sink if it exists. Returns true if it was handed. */
  private emit(w: DbWalk, key: Buffer): boolean {
    return this.asIs(() => this.emitAsIs(w, key));
  }

  private emitAsIs(w: DbWalk, key: Buffer): boolean {
    // The lookups below may call before() on this same key (a value handed out for writing, lazy
    // expiry): it is marked done already, so that call returns at once.
    this.emitting = true;
    try {
      const info = w.db.info(key);
      if (info === undefined) return false;
      const value = w.db.get(key, true);
      if (value === undefined) return false;
      this.emitted++;
      this.sink.key(w.index, key, value, info);
      return true;
    } finally {
      this.emitting = false;
    }
  }

  private endWalk(w: DbWalk): void {
    w.finished = true;
    w.done = EMPTY_DONE;
    w.walk?.end();
    w.walk = null;
    if (w.db.snapshotHook === this) w.db.snapshotHook = null;
  }

  private finish(): void {
    if (!this.active) return;
    this.active = false;
    for (const w of this.walks) this.endWalk(w);
  }
}
