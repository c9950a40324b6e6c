/**
 * Growth: the worst single SET while one db grows to N keys (default 10M), per engine, through
 * the Db interface the commands use. Redis's dict and the wasm dict rehash incrementally; the
 * js-map engine's KeyTable splits one bucket at a time; a plain V8 Map would rehash all at
 * once (the design notes measured 0.36-0.97 s at 4M keys). GC pauses count too: they stall the
 * event loop just the same.
 *
 *   node dist/bench/growth.js --engine wasm [--keys 10000000]   prints RESULT {json}
 */
import { createEngine } from '../src/engine';
import type { EngineName } from '../src/engine/types';

function argOf(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

export interface GrowthResult {
  engine: EngineName;
  keys: number;
  seconds: number;
  worstMs: number;
  worstAt: number;
  over25ms: number;
  /** Longest time away from the loop between two batches (GC pauses land here too). */
  worstGapMs: number;
  usedPerKey: number;
  rssMiB: number;
}

/**
 * The loop yields to the event loop every ~5 ms, as a server does between I/O batches: that is
 * when V8 runs incremental marking tasks, so a loop that never yields would see every full
 * collection as one stop-the-world pause no server meets. A GC pause between batches still
 * counts: `worstGapMs` is the longest time the loop was away between two batches beyond the
 * yield itself.
 */
async function main(): Promise<void> {
  const engineName = argOf('--engine', 'wasm') as EngineName;
  const target = Number(argOf('--keys', '10000000'));
  const engine = createEngine(engineName);
  const db = engine.createDb(0, { now: () => Date.now() }, () => undefined);
  const key = Buffer.alloc(12);
  const value = Buffer.alloc(16, 0x61);
  let worst = 0;
  let worstAt = 0;
  let over = 0;
  let worstGap = 0;
  const t0 = performance.now();
  let lastTick = t0;
  let i = 0;
  while (i < target) {
    const batchStart = performance.now();
    while (i < target) {
      key.writeUInt32LE(i, 0);
      key.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 4);
      const t = performance.now();
      db.set(key, value);
      const end = performance.now();
      const d = end - t;
      if (d > worst) {
        worst = d;
        worstAt = i;
      }
      if (d > 25) over++;
      i++;
      // The server's cron gives the engine a slice of background work 10 times a second.
      if (end - lastTick > 100) {
        engine.backgroundWork(1);
        lastTick = end;
      }
      if ((i & 255) === 0 && end - batchStart > 5) break;
    }
    const before = performance.now();
    await new Promise((r) => setImmediate(r));
    const gap = performance.now() - before;
    if (gap > worstGap) worstGap = gap;
  }
  const r: GrowthResult = {
    engine: engineName,
    keys: target,
    seconds: (performance.now() - t0) / 1000,
    worstMs: worst,
    worstAt,
    over25ms: over,
    worstGapMs: worstGap,
    usedPerKey: engine.usedMemory() / target,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
  };
  console.log(`[growth ${engineName}] ${target} keys in ${r.seconds.toFixed(1)} s, worst SET ${worst.toFixed(2)} ms at key ${worstAt}, ${over} SETs over 25 ms, worst pause between batches ${worstGap.toFixed(1)} ms`);
  console.log('RESULT ' + JSON.stringify(r));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
