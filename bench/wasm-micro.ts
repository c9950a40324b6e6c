/**
 * Micro benchmark: WASM keyspace SET/GET vs a JS Map, 100k keys, 16-byte values (benny).
 *
 *   node dist/bench/wasm-micro.js               benny suites (a few seconds each)
 *   node dist/bench/wasm-micro.js --growth 10e6 worst single SET while growing to N keys
 *
 * Keys are Buffers (as the protocol layer hands them over); the Map variant converts them to
 * latin1 strings, the way the js-map engine does.
 */
import * as b from 'benny';
import { WasmEngine } from '../src/engine/wasm/engine';

const N = 100_000;
const keys: Buffer[] = [];
for (let i = 0; i < N; i++) keys.push(Buffer.from('key:' + (i * 7919).toString(36).padStart(8, '0')));
const value = Buffer.alloc(16, 0x61);
const clock = { now: () => Date.now() };

function growth(target: number): void {
  const engine = new WasmEngine();
  const db = engine.createDb(0, clock, () => undefined);
  const key = Buffer.alloc(12);
  let worst = 0;
  let worstAt = 0;
  const t0 = performance.now();
  for (let i = 0; i < target; i++) {
    key.writeUInt32LE(i, 0);
    key.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 4);
    const t = performance.now();
    db.set(key, value);
    const d = performance.now() - t;
    if (d > worst) {
      worst = d;
      worstAt = i;
    }
  }
  const secs = (performance.now() - t0) / 1000;
  console.log(`${target} keys in ${secs.toFixed(1)} s (${(target / secs / 1e6).toFixed(2)}M SET/s incl. timing), worst SET ${worst.toFixed(2)} ms at key ${worstAt}`);
  console.log(`usedMemory ${(engine.usedMemory() / target).toFixed(1)} B/key, wasm footprint ${(engine.wasmFootprint() / 2 ** 20).toFixed(0)} MiB, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
}

async function main(): Promise<void> {
  const gi = process.argv.indexOf('--growth');
  if (gi >= 0) {
    growth(Number(process.argv[gi + 1] ?? 10e6));
    return;
  }
  const engine = new WasmEngine();
  const db = engine.createDb(0, clock, () => undefined);
  const map = new Map<string, string>();
  for (const k of keys) {
    db.set(k, value);
    map.set(k.latin1Slice(0, k.length), value.latin1Slice(0, 16));
  }
  let i = 0;
  await b.suite(
    `SET, ${N} keys`,
    b.add('wasm db.set', () => {
      db.set(keys[i++ % N], value);
    }),
    b.add('Map<string,string>.set', () => {
      const k = keys[i++ % N];
      map.set(k.latin1Slice(0, k.length), value.latin1Slice(0, 16));
    }),
    b.cycle(),
    b.complete(),
  );
  let sink = 0;
  await b.suite(
    `GET, ${N} keys`,
    b.add('wasm db.get (Buffer copy out)', () => {
      sink += (db.get(keys[i++ % N]) as Buffer).length;
    }),
    b.add('Map<string,string>.get', () => {
      const k = keys[i++ % N];
      sink += map.get(k.latin1Slice(0, k.length))!.length;
    }),
    b.cycle(),
    b.complete(),
  );
  if (sink < 0) console.log(sink);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
