/**
 * The standalone server's idle young-generation trim (src/server/heap-trim.ts): its state machine
 * against a scripted V8 (when it runs, how often, when it stops), and once against the real V8 of
 * this process: after a burst of allocation and a quiet spell, V8's new space is back at its size
 * at start. The real-V8 case takes ~6 s (V8 judges the allocation rate over its last 5 seconds).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { growthFactorFor, HeapTrim, holdYoungForStartup, newSpaceSize } from '../src/server/heap-trim';

const MB = 1 << 20;

test('heap trim: scavenges only once quiet after a busy spell, until the new space is back', () => {
  let size = 1 * MB;
  const calls: string[] = [];
  const trim = new HeapTrim({ gc: (o) => { calls.push(o?.type ?? 'major'); size = Math.max(MB, size / 2); }, newSpaceSize: () => size }, 1000);
  let t = 0;
  // (cron ticks every 100 ms; perTick commands a tick is perTick * 10 per second, 30 bytes each)
  const step = (perTick: number, ms: number) => {
    for (let end = t + ms; t < end; ) {
      t += 100;
      trim.tick(t, perTick * 10, perTick * 300);
    }
  };
  step(0, 5000); // quiet from the start: nothing to give back
  assert.equal(calls, []);
  size = 32 * MB;
  step(1000, 3000); // busy: 10,000 commands/s
  assert.equal(calls, []);
  step(0, 900); // quiet, but not yet for the idle time (1 s here, 10 s in the server)
  assert.equal(calls, []);
  step(0, 300);
  assert.equal(calls, ['minor']); // a scavenge (a full collection only with a small heap: heapUsed)
  step(0, 700);
  assert.equal(calls.length, 1); // at most one a second
  step(0, 10_000);
  assert.equal(calls.length, 5); // 32 -> 16 -> 8 -> 4 -> 2 -> 1 MB, then it stops
  assert.is(size, MB);
  assert.is(trim.trimmedBytes, 31 * MB);
  // A trickle of commands (a health check) counts as quiet; a new burst re-arms it.
  size = 16 * MB;
  step(1000, 2000);
  step(1, 5000);
  assert.equal(calls.length, 5 + 4);
});

test('heap trim: a snapshot scavenges first only a young generation at least half full', () => {
  // 16 MB of young space: used + available = 16 MB.
  let used = 0;
  const calls: string[] = [];
  const trim = new HeapTrim({ gc: (o) => { calls.push(o?.type ?? 'major'); used = 0; }, newSpaceSize: () => 32 * MB, newSpaceUsed: () => used, newSpaceAvailable: () => 16 * MB - used }, 1000);
  used = 0.5 * MB; // under SNAPSHOT_SCAVENGE_MIN
  assert.is(trim.scavengeBeforeSnapshot(), false);
  used = 4.6 * MB; // the AOF bench's case: most of it free, the save would not fill it
  assert.is(trim.scavengeBeforeSnapshot(), false);
  assert.equal(calls, []);
  used = 8 * MB; // half full: the save would likely scavenge in one of its steps
  assert.is(trim.scavengeBeforeSnapshot(), true);
  assert.equal(calls, ['minor']);
  used = 15 * MB;
  assert.is(trim.scavengeBeforeSnapshot(), true);
  assert.equal(calls, ['minor', 'minor']);
});

test('heap trim: start-up counts as a busy spell', () => {
  // A fresh server whose start-up grew the young generation gives it back once quiet, with no
  // burst of commands first (the bench reads a fresh server's RSS as its baseline).
  let size = MB;
  const calls: string[] = [];
  const trim = new HeapTrim({ gc: (o) => { calls.push(o?.type ?? 'major'); size = MB; }, newSpaceSize: () => size }, 1000);
  size = 8 * MB; // grown by start-up after the trim was made
  for (let t = 100; t <= 900; t += 100) trim.tick(5000 + t, 0, 0);
  assert.equal(calls, []);
  for (let t = 1000; t <= 5000; t += 100) trim.tick(5000 + t, 0, 0);
  assert.equal(calls, ['minor']);
  assert.is(trim.trimmedBytes, 7 * MB);
});

test('heap trim: gives up after ten tries when V8 keeps the space', () => {
  const calls: string[] = [];
  const trim = new HeapTrim({ gc: (o) => calls.push(o?.type ?? 'major'), newSpaceSize: () => 16 * MB }, 1000);
  // The baseline is what the space measured at construction: 16 MB here, so nothing to do.
  for (let t = 100; t < 20_000; t += 100) trim.tick(t, t < 3000 ? 10_000 : 0, 0);
  assert.equal(calls, []);
  let size = MB;
  const stubborn = new HeapTrim({ gc: (o) => calls.push(o?.type ?? 'major'), newSpaceSize: () => size }, 1000);
  size = 16 * MB;
  for (let t = 100; t < 30_000; t += 100) stubborn.tick(t, t < 3000 ? 10_000 : 0, 0);
  assert.is(calls.length, 10);
});

test('heap trim: one full collection after the young generation is back, while the heap grew and stays small', () => {
  let size = MB;
  let heap = 0;
  let live = 0;
  const calls: string[] = [];
  const gc = (o?: { type?: string }) => {
    calls.push(o?.type ?? 'major');
    if (o?.type === 'minor') size = MB;
    else heap = live;
  };
  const trim = new HeapTrim({ gc, newSpaceSize: () => size, heapUsed: () => heap }, 1000);
  let t = 0;
  const spell = (heapAfter: number, liveAfter: number) => {
    size = 16 * MB;
    for (let end = t + 2000; t < end; ) trim.tick((t += 100), 10_000, 0);
    heap = heapAfter;
    live = liveAfter;
    for (let end = t + 3000; t < end; ) trim.tick((t += 100), 0, 0);
  };
  spell(40 * MB, 20 * MB);
  assert.equal(calls, ['minor', 'major']);
  spell(24 * MB, 20 * MB); // grew by less than 8 MB since the last full collection
  assert.equal(calls, ['minor', 'major', 'minor']);
  spell(100 * MB, 80 * MB); // the last one left 20 MB alive: this one runs, and leaves 80 MB
  assert.equal(calls, ['minor', 'major', 'minor', 'minor', 'major']);
  spell(200 * MB, 80 * MB); // more than 64 MB alive after the last one: no more
  assert.equal(calls, ['minor', 'major', 'minor', 'minor', 'major', 'minor']);
  assert.is(trim.majorRuns, 2);
  // Without fullCollections (js-map): scavenges only.
  const js: string[] = [];
  const jsTrim = new HeapTrim({ gc: (o) => { js.push(o?.type ?? 'major'); size = MB; }, newSpaceSize: () => size, heapUsed: () => 40 * MB }, 1000, false);
  size = 16 * MB;
  for (let end = t + 2000; t < end; ) jsTrim.tick((t += 100), 10_000, 0);
  for (let end = t + 3000; t < end; ) jsTrim.tick((t += 100), 0, 0);
  assert.equal(js, ['minor']);
});

test('heap trim: real V8 gives the young generation back once the process is quiet', async () => {
  // (earlier suites in this process may have grown the space already: the target is V8's smallest
  // new space, 1 MB, and V8 may stop at 2 MB)
  const trim = new HeapTrim(undefined, 1000, true, MB);
  assert.ok(trim.available, 'V8 gc function available');
  let keep: unknown[] = [];
  const t0 = performance.now();
  while ((newSpaceSize() <= 2 * MB || performance.now() - t0 < 300) && performance.now() - t0 < 3000) {
    for (let i = 0; i < 20_000; i++) keep.push({ i, s: 'x'.repeat(i & 63) });
    if (keep.length > 400_000) keep = [];
    trim.tick(performance.now(), 100_000, 0); // busy
    await new Promise((r) => setImmediate(r));
  }
  keep = [];
  const grown = newSpaceSize();
  assert.ok(grown > 2 * MB, `new space grew (${grown})`);
  const quietFrom = performance.now();
  while (newSpaceSize() > 2 * MB && performance.now() - quietFrom < 12_000) {
    await new Promise((r) => setTimeout(r, 100));
    trim.tick(performance.now(), 0, 0); // quiet
  }
  assert.ok(trim.runs >= 1, 'trim ran');
  assert.ok(newSpaceSize() <= 2 * MB, `new space back to at most 2 MB (now ${newSpaceSize()}) after ${trim.runs} scavenges`);
});

/** A load that grows the young generation when nothing holds it (objects surviving scavenges). */
async function youngLoad(ms: number, perTurn = 20_000): Promise<void> {
  let keep: unknown[] = [];
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (let i = 0; i < perTurn; i++) keep.push({ i, s: 'x'.repeat(i & 63) });
    if (keep.length > 400_000) keep = [];
    await new Promise((r) => setImmediate(r));
  }
  keep = [];
}

/**
 * youngLoad as a server's turns make it (one read's commands per turn: ~200 KB of objects, not
 * youngLoad's ~2 MB), with a busy serverCron tick every 100 ms as the server's cron runs it.
 */
async function busyLoad(trim: HeapTrim, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    trim.tick(performance.now(), 1e6, 0);
    await youngLoad(100, 2_000);
  }
}

/**
 * The most a held young generation of `size` may show after a load: V8's step from 1 MB to 2 MB
 * commits the second semi-space whatever the growth factor, so it is not a growth (both tests of
 * a hold failed about 1 run in 4 without this).
 */
function heldLimit(size: number): number {
  return Math.max(size, 2 * MB);
}

/** Quiet ticks until a trim has brought the young generation to at most 2 MB (V8 shrinks it at low rates). */
async function shrinkYoung(trim: HeapTrim): Promise<void> {
  const quietFrom = performance.now();
  while (newSpaceSize() > 2 * MB && performance.now() - quietFrom < 12_000) {
    await new Promise((r) => setTimeout(r, 100));
    trim.tick(performance.now(), 0, 0);
  }
}

test('heap trim: capYoung holds the real young generation at its size under a load that grows it otherwise', async () => {
  const trim = new HeapTrim(undefined, 1000, true, MB);
  trim.capYoung(true);
  await shrinkYoung(trim);
  const capped = newSpaceSize();
  assert.ok(capped <= 2 * MB, `new space small before the load (${capped})`);
  await youngLoad(600);
  const limit = heldLimit(capped);
  assert.ok(newSpaceSize() <= limit, `capped: new space stayed at ${capped} (now ${newSpaceSize()})`);
  trim.capYoung(false);
  await youngLoad(600);
  assert.ok(newSpaceSize() > limit, `uncapped: the same load grows it (${capped} -> ${newSpaceSize()})`);
});

test("heap trim: the CLI's start-up hold keeps the young generation small through capYoung(false) until released", async () => {
  const trim = new HeapTrim(undefined, 1000, true, MB);
  holdYoungForStartup();
  // serverCron's capYoung with no maxmemory must not end the hold.
  trim.capYoung(true);
  trim.capYoung(false);
  await shrinkYoung(trim);
  const held = newSpaceSize();
  assert.ok(held <= 2 * MB, `new space small before the load (${held})`);
  await youngLoad(600);
  const limit = heldLimit(held);
  assert.ok(newSpaceSize() <= limit, `held: new space stayed at ${held} (now ${newSpaceSize()})`);
  trim.releaseStartupHold();
  await youngLoad(600);
  assert.ok(newSpaceSize() > limit, `released: the same load grows it (${held} -> ${newSpaceSize()})`);
});

test('heap trim: growthFactorFor takes the new space to 8 MB (4 MB semi-spaces) in one growth, then holds it', () => {
  assert.is(growthFactorFor(1 * MB), 4); // a fresh process: its second semi-space is committed first
  assert.is(growthFactorFor(2 * MB), 4);
  assert.is(growthFactorFor(4 * MB), 2);
  assert.is(growthFactorFor(3 * MB), 3); // (ceil: 9 MB)
  assert.is(growthFactorFor(8 * MB), 1);
  assert.is(growthFactorFor(32 * MB), 1);
});

test('heap trim: once serving, the young generation grows to its target at its first growth, and no further', async () => {
  const trim = new HeapTrim(undefined, 1000, true, MB);
  await shrinkYoung(trim);
  const small = newSpaceSize();
  assert.ok(small <= 2 * MB, `new space small before the load (${small})`);
  trim.startServing();
  // Load until V8 grows it once (V8's own factor would double it).
  let keep: unknown[] = [];
  const t0 = performance.now();
  while (newSpaceSize() <= 2 * MB && performance.now() - t0 < 5000) {
    for (let i = 0; i < 20_000; i++) keep.push({ i, s: 'x'.repeat(i & 63) });
    if (keep.length > 400_000) keep = [];
    await new Promise((r) => setImmediate(r));
  }
  keep = [];
  assert.ok(newSpaceSize() >= 4 * small, `one growth: ${small} -> ${newSpaceSize()}`);
  // serverCron's tick sets the factor to 1 at the target: the same load no longer grows it.
  await busyLoad(trim, 1000);
  assert.is(newSpaceSize(), 8 * MB, `held at the target: ${newSpaceSize()}`);
  // capYoung still holds it under maxmemory, and lets it grow to the target again after.
  trim.capYoung(true);
  await shrinkYoung(trim);
  await youngLoad(600);
  const capped = newSpaceSize();
  assert.ok(capped <= 2 * MB, `capped: ${capped}`);
  trim.capYoung(false);
  await busyLoad(trim, 1000);
  // (V8's factor 2 would take it to 4 MB at most from there)
  assert.is(newSpaceSize(), 8 * MB, `uncapped while serving: ${capped} -> ${newSpaceSize()}`);
});

test.run();
