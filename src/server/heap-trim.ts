/**
 * Idle young-generation trim (the standalone server only; see docs/architecture.md, server rooms).
 *
 * V8 grows its young generation (new space) from 1 MB up to 16 MB per semi-space, about 32 MB of
 * RSS, once enough objects have survived scavenges (a load does it; once the server serves, one
 * growth goes straight to YOUNG_TARGET, 4 MB per semi-space, and no further). It shrinks
 * it back only at a garbage collection that sees a low allocation rate (under ~1 KB/ms over its
 * last 5 seconds). An idle server allocates nothing, so no collection comes and the 32 MB stay
 * resident for as long as the server is quiet: about 150 B per key after loading 200,000 small
 * hashes, the difference between the wasm engine's RSS and Redis's.
 *
 * Invariants: the trim runs only from serverCron, only once the server has been quiet (fewer than
 * QUIET_COMMANDS commands and QUIET_BYTES input bytes per second) for IDLE_MS (10 s) after a busy
 * period (start-up counts as one), and then once a second until V8 has shrunk the new space or
 * MAX_TRIES passed; a busy period re-arms it. Each attempt is one scavenge (minor GC): its cost is the live part of the
 * young generation, 0.4-6 ms measured. Then, on the wasm engine (its data is in linear memory,
 * the JS heap stays small), one full collection gives back the old generation's pages the spell's
 * promoted garbage took (maybeMajor).
 *
 * Under maxmemory the young generation does not grow at all (capYoung): a user who sets a memory
 * limit wants the process bounded, and the 32 MB would sit beside the limit as long as writes
 * come. V8 grows the new space by multiplying it with `--semi-space-growth-factor` whenever more
 * than its size survived scavenges since the last growth, and reads the flag at each growth, so
 * the factor 1, set at run time, keeps it at its start size (V8 raises values below 2 only when it
 * reads its start-up flags). Measured with the maxmemory bench's load (docs/benchmarks.md): peak
 * RSS growth 144 -> 116 MB on the wasm engine (Redis: 102 MB), CPU per command within noise (the
 * wasm engine's young objects are argument views and replies that die at once, so a scavenge
 * copies little). A process started with its own semi-space flags keeps them.
 *
 * The collector is V8's `gc` function, exposed by `--expose-gc`. Setting that flag at run time is
 * safe (it only makes new contexts carry `gc`; jest's leak detector does the same), unlike the GC
 * tuning flags, which must be given before V8 starts (docs/persistence.md). An embedding process
 * keeps its own heap policy: RedustServer.start() does not enable this.
 */
import * as v8 from 'v8';
import { PerformanceObserver } from 'perf_hooks';
import * as vm from 'vm';

/**
 * Quiet this long before the first try. A trimmed young generation starts small again, so the
 * next burst pays more scavenges until it has regrown (the p99 of its first second or so, as on
 * a fresh server); ten seconds keeps that off servers that are only paused between bursts.
 */
const IDLE_MS = 10_000;
const RETRY_MS = 1000;
const MAX_TRIES = 10;
const QUIET_COMMANDS = 200;
const QUIET_BYTES = 256 * 1024;
const MAJOR_MAX_HEAP = 64 * 1024 * 1024;
const MAJOR_MIN_GROWTH = 8 * 1024 * 1024;
/** Young-generation bytes in use below which scavengeBeforeSnapshot does nothing. */
const SNAPSHOT_SCAVENGE_MIN = 1024 * 1024;

/** The process was started with a young-generation policy of its own: capYoung leaves it alone. */
const ownSemiSpaceFlags = /semi[-_]space/.test(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`);

export type GcFunction = (options?: { type?: 'major' | 'minor' }) => void;

/**
 * The young generation's size once the standalone server serves (new_space's space_size, both
 * semi-spaces: 4 MB each), when it is not capped. V8 grows the new space only when more than its
 * size has survived scavenges since the last growth, then multiplies it by
 * `--semi-space-growth-factor` (read at each growth), up to 16 MB per semi-space.
 *
 * Why a target and not V8's own growth: requests that leave little alive (the wasm engine keeps
 * its data in linear memory) rarely meet V8's test, so with V8's factor 2 HSET at -P 1 kept a 1-2
 * MB semi-space for good, a scavenge every ~25 ms (0.2-0.3 ms each, during which every in-flight
 * request waits: redis-benchmark's p95/p99), 247 in a million requests. So the first growth goes
 * straight to the target (growthFactorFor), and the factor is 1 once there.
 *
 * Why not bigger: a big young generation next to a small old one makes V8 follow nearly every
 * scavenge with a full collection: marking the whole heap on a helper thread (the other core of a
 * 2-core host, which the clients need), then a 1-3 ms pause on the main thread.
 * `--trace-incremental-marking` shows V8 starting them from a task right after the scavenge
 * ("Start (task)"), far below the old generation's limit (a fresh wasm server: 11 MB of a 26 MB
 * limit; js-map: 12 of 35). It happened with 16 MB semi-spaces on both engines, with 8 MB on the
 * wasm engine, and not with 4 MB. Measured (redis-benchmark -c 50, fresh servers, alternated
 * runs, 1.6M GETs at -P 16 after a warm-up): wasm 5 full collections and 531-555 ns of server CPU
 * per request with 8 MB semi-spaces, none and 499-504 ns with 4 MB (twice the scavenges, 13
 * against 6, 0.3-0.4 ms each); js-map 603-622 ns either way (its old generation is bigger);
 * with 16 MB semi-spaces (the growth factor of 16 this replaced) 5-6 full collections on js-map,
 * 638-667 ns. HSET at -P 1 on wasm, 200,000 requests: p99 0.535-0.663 ms with 4 MB semi-spaces,
 * 0.639-0.727 with 8 MB (Redis 0.335-0.359), 3 alternated runs.
 */
const YOUNG_TARGET = 8 * 1024 * 1024;

/**
 * The growth factor that takes a new space of `size` bytes to YOUNG_TARGET at its next growth
 * (1 once there). A fresh process's first step, from 1 MB, commits its second semi-space: the
 * factor is counted from 2 MB.
 */
export function growthFactorFor(size: number): number {
  if (size >= YOUNG_TARGET) return 1;
  return Math.max(2, Math.ceil(YOUNG_TARGET / Math.max(size, 2 * 1024 * 1024)));
}

/** The factor last given to V8 (0: V8's own, never set). */
let factorSet = 0;

function setGrowthFactor(f: number): void {
  if (f === factorSet) return;
  factorSet = f;
  v8.setFlagsFromString(`--semi-space-growth-factor=${f}`);
}

/**
 * Start-up hold (the standalone server): from the CLI's first line until the dataset is loaded
 * from disk, the young generation stays at its start size (growth factor 1, as capYoung does).
 * Module loading and the load itself leave survivors in the young generation; once V8 has grown
 * it to 8-16 MB a scavenge copies them all (one took 13.7 ms inside a 100k-key wasm load), where
 * a 1 MB one promotes them early, a little at a time. Measured on the wasm engine with the
 * persistence bench's data (a dump of 1/5 each strings, lists, hashes, sets, zsets; the logged
 * load time, 15 starts each): 100k keys 79 -> 72 ms, 1M keys 640 -> 600 ms; time to "Ready" with
 * no dump unchanged (~240 ms). js-map's loaded objects are the dataset itself, all promoted
 * through the small young generation (1M keys 650 -> 700 ms), and an AOF's replay makes garbage
 * per command that a small young generation collects too often (spawn to first PONG on a 1M-key
 * AOF, commands 872-902 -> 923-1010 ms, RDB preamble 369-375 -> 390-414 ms): the CLI releases the
 * hold before a js-map load and before an AOF's (HeapTrim.releaseStartupHold). Its cost after
 * start-up: a fresh server's young generation is 4 MB at "Ready" instead of 16 MB until traffic
 * grows it again (~1M commands), 2-3% more CPU per request meanwhile (docs/benchmarks.md).
 */
let startupHold = false;

export function holdYoungForStartup(): void {
  if (ownSemiSpaceFlags || startupHold) return;
  startupHold = true;
  setGrowthFactor(1);
}

function exposeGc(): GcFunction | null {
  const existing = (globalThis as { gc?: GcFunction }).gc;
  if (typeof existing === 'function') return existing;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as GcFunction) : null;
  } catch {
    return null;
  }
}

function newSpace(): v8.HeapSpaceInfo | undefined {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
}

function newSpaceUsed(): number {
  return newSpace()?.space_used_size ?? 0;
}

/** Bytes the young generation can still take before V8 scavenges it. */
function newSpaceAvailable(): number {
  return newSpace()?.space_available_size ?? 0;
}

export function newSpaceSize(): number {
  return newSpace()?.space_size ?? 0;
}

export class HeapTrim {
  private readonly gc: GcFunction | null;
  /** Whether the young generation is held at its start size (capYoung). */
  private youngCapped = false;
  /** startServing was called: the young generation grows to YOUNG_TARGET (applyGrowth). */
  private serving = false;
  /** The new space's size when the server started: what a trim brings it back to. */
  private readonly baseline: number;
  private readonly spaceSize: () => number;
  /**
   * When the server last looked busy; 0 = not armed (nothing to trim). -1 = armed by the start
   * itself: the first tick stamps it, since start-up (modules, the command table, a dataset
   * loaded from disk) grows the young generation as a burst of commands would.
   */
  private busyAt = -1;
  private lastTry = 0;
  private tries = 0;
  /** Scavenges run and new-space bytes given back (INFO-style counters for tests and docs). */
  runs = 0;
  trimmedBytes = 0;
  /** Full collections run (maybeMajor). */
  majorRuns = 0;
  /** Heap in use after the last full collection. */
  private heapAfterMajor = 0;
  private readonly heapUsed: () => number;
  private readonly youngUsed: () => number;
  private readonly youngAvailable: () => number;
  /** V8's own heap (not a test's probe): the gc observer may watch it. */
  private readonly real: boolean;

  /** `probe` replaces V8 in the state-machine tests (test/heap-trim.test.ts). */
  constructor(
    probe?: { gc: GcFunction | null; newSpaceSize: () => number; heapUsed?: () => number; newSpaceUsed?: () => number; newSpaceAvailable?: () => number },
    /** Quiet time before the first try (tests shorten it). */
    private readonly idleMs = IDLE_MS,
    /**
     * Whether a full collection may follow: for the wasm engine, whose data is in linear memory
     * (the JS heap stays small); never for js-map, whose dataset is the heap.
     */
    private readonly fullCollections = true,
    /** The new-space size a trim brings it back to (default: its size now, at server start). */
    baseline?: number,
  ) {
    this.real = probe === undefined;
    this.gc = probe ? probe.gc : exposeGc();
    this.spaceSize = probe ? probe.newSpaceSize : newSpaceSize;
    this.heapUsed = probe ? (probe.heapUsed ?? (() => 0)) : () => v8.getHeapStatistics().used_heap_size;
    this.youngUsed = probe ? (probe.newSpaceUsed ?? (() => 0)) : newSpaceUsed;
    this.youngAvailable = probe ? (probe.newSpaceAvailable ?? (() => 0)) : newSpaceAvailable;
    this.baseline = baseline ?? this.spaceSize();
  }

  get available(): boolean {
    return this.gc !== null;
  }

  /**
   * One scavenge now, when the young generation is at least half full; true if it ran.
   * A snapshot (BGSAVE, BGREWRITEAOF) calls it in a turn of its own before its first step: the
   * write burst before a save leaves its survivors in the young generation, and their scavenge
   * (5-10 ms on a 600 MB js-map heap) would otherwise land inside a step and add to it. A young
   * generation less than half full is left alone: the save itself allocates little there (1-2 MB
   * for a 1M-key BGREWRITEAOF with a client polling INFO), so it usually ends before V8 would
   * scavenge, and a scavenge now would be a pause the save otherwise does not have (the 1M-key
   * AOF bench had 0.2-4.6 MB of 16 MB in use at the start, and paid a 0.5-6.5 ms scavenge in
   * every rewrite; scavenges after it also run V8's check that starts a full GC's marking).
   */
  scavengeBeforeSnapshot(): boolean {
    if (this.gc === null) return false;
    const used = this.youngUsed();
    if (used < SNAPSHOT_SCAVENGE_MIN || used < this.youngAvailable()) return false;
    this.gc({ type: 'minor' });
    return true;
  }

  /**
   * Hold the young generation at its start size (on) or let V8 grow it again (off: to
   * YOUNG_TARGET once serving, else by V8's 2). Called from serverCron with "maxmemory is
   * set"; a no-op when the process was started with semi-space flags of its own (NODE_OPTIONS or
   * node's arguments).
   */
  capYoung(on: boolean): void {
    if (on === this.youngCapped || this.gc === null || ownSemiSpaceFlags) return;
    this.youngCapped = on;
    if (startupHold) return;
    if (on) setGrowthFactor(1);
    else if (this.serving) this.applyGrowth();
    else setGrowthFactor(2);
  }

  /**
   * Once serving and not capped: the factor that takes the new space to YOUNG_TARGET at its next
   * growth, or 1 once it is there. startServing, capYoung(false) and every serverCron tick call it,
   * and, while the factor is above 1, every garbage collection (a `gc` performance observer, whose
   * callback comes in the turn after the collection): the factor must be 1 before a second growth,
   * and a load that keeps much alive (a test's 40 MB of live objects, made in a loop) grew the new
   * space twice within one cron period (100 ms). Once at the target the observer is dropped.
   */
  private applyGrowth(): void {
    // (serving implies a gc function and no semi-space flags of the process's own: startServing)
    if (!this.serving || this.youngCapped || startupHold) {
      this.watchGc(false);
      return;
    }
    const f = growthFactorFor(this.spaceSize());
    setGrowthFactor(f);
    this.watchGc(f > 1);
  }

  private gcWatch: PerformanceObserver | null = null;

  private watchGc(on: boolean): void {
    if (on === (this.gcWatch !== null) || !this.real) return;
    if (on) {
      this.gcWatch = new PerformanceObserver(() => this.applyGrowth());
      this.gcWatch.observe({ entryTypes: ['gc'] });
    } else {
      this.gcWatch!.disconnect();
      this.gcWatch = null;
    }
  }

  /**
   * Ends holdYoungForStartup's hold: the young generation grows again, by V8's own factor (2),
   * unless capYoung holds it. A js-map load runs after it: its loaded objects all survive, and a
   * young generation grown straight to 16 MB copies them at every scavenge (the 100k mixed dump's
   * load 68 -> 76 ms median with a growth factor of 16, 8 alternated starts each).
   */
  releaseStartupHold(): void {
    if (!startupHold) return;
    startupHold = false;
    if (!this.youngCapped) setGrowthFactor(2);
  }

  /**
   * The dataset is loaded and the server serves requests (the standalone server, once): the
   * young generation grows to YOUNG_TARGET from now on, unless capYoung holds it.
   */
  startServing(): void {
    this.releaseStartupHold();
    if (this.serving || this.gc === null || ownSemiSpaceFlags) return;
    this.serving = true;
    this.applyGrowth();
  }

  /** MEMORY PURGE: a full collection now (the user asked; jemalloc's purge in Redis). */
  purge(): void {
    if (this.gc !== null) this.gc();
  }

  /**
   * Called from serverCron with its latest instantaneous rates (the samples INFO's
   * instantaneous_ops_per_sec and instantaneous_input_kbps average); `now` in ms.
   */
  tick(now: number, opsPerSec: number, inputBytesPerSec: number): void {
    if (this.gc === null) return;
    this.applyGrowth();
    if (this.busyAt === -1 || opsPerSec >= QUIET_COMMANDS || inputBytesPerSec >= QUIET_BYTES) {
      this.busyAt = now;
      this.tries = 0;
      return;
    }
    if (this.busyAt === 0 || now - this.busyAt < this.idleMs || now - this.lastTry < RETRY_MS) return;
    const before = this.spaceSize();
    if (before <= this.baseline) {
      this.busyAt = 0;
      this.maybeMajor();
      return;
    }
    this.lastTry = now;
    this.gc({ type: 'minor' });
    this.runs++;
    const after = this.spaceSize();
    if (after < before) this.trimmedBytes += before - after;
    if (after <= this.baseline || ++this.tries >= MAX_TRIES) {
      this.busyAt = 0;
      this.maybeMajor();
    }
  }

  /**
   * Once the young generation is back: one full collection, which gives back the old
   * generation's pages that the busy spell's promoted garbage filled (~60 B per key after loading
   * 200,000 small hashes on the wasm engine), when the heap has grown by MAJOR_MIN_GROWTH since the
   * last one and that one left at most MAJOR_MAX_HEAP alive (so it stays short: ~5-15 ms). Only
   * with fullCollections (the wasm engine): a js-map dataset is the heap, collected on V8's own
   * schedule.
   */
  private maybeMajor(): void {
    // (heapUsed counts garbage not yet collected: the bound is on what the last one left alive)
    if (!this.fullCollections || this.heapAfterMajor > MAJOR_MAX_HEAP) return;
    if (this.heapUsed() - this.heapAfterMajor < MAJOR_MIN_GROWTH) return;
    this.gc!();
    this.majorRuns++;
    this.heapAfterMajor = this.heapUsed();
  }
}
