/**
 * Engine micro-benchmarks (benny), one engine and one key count per process so RSS deltas and
 * JIT state are not shared between engines:
 *
 *   node --expose-gc dist/bench/micro.js --engine wasm --keys 100000 [--max-time 1]
 *
 * Measures, through the Db / ZSetValue interfaces the command layer uses (keys and members are
 * Buffers, as the protocol layer hands them over, in random order so the hash table is walked the
 * way a real workload does):
 *   SET (overwrite), GET (hit), DEL+SET (delete then re-insert the same key), SCAN (COUNT 10 step),
 *   ZADD (update the score of an existing member), ZRANGEBYSCORE of 100 elements, ZRANK,
 *   KEYS with patterns (forEachKey + engine.globMatch as keys.ts does; for wasm also the in-WASM
 *   glob path forEachKeyMatching).
 * Memory: engine.usedMemory() and process RSS delta per key (16-byte values) and per zset member.
 *
 * Prints one line `RESULT {json}` at the end for bench/run.ts.
 */
import * as b from 'benny';
import type { Db, EngineName, ZSetValue } from '../src/engine/types';
import { createEngine } from '../src/engine';
import { RespWriter } from '../src/protocol/reply';

export interface MicroCase {
  name: string;
  ops: number;
  /** Relative margin of error, percent. */
  rme: number;
}

export interface MicroResult {
  engine: EngineName;
  keys: number;
  zsetMembers: number;
  usedPerKey: number;
  rssPerKey: number;
  usedPerMember: number;
  rssPerMember: number;
  cases: MicroCase[];
}

function argOf(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

/** Deterministic PRNG (xorshift32) so both engines see the same keys and order. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

function rss(): number {
  gc();
  return process.memoryUsage().rss;
}

async function main(): Promise<void> {
  const engineName = argOf('--engine', 'js-map') as EngineName;
  const N = Number(argOf('--keys', '100000'));
  const maxTime = Number(argOf('--max-time', '1'));
  const ZN = Number(argOf('--zset', String(N)));
  const rand = rng(12345);

  // Keys "key:<12 digits>" (16 bytes, like redis-benchmark's) of random ids, in random order.
  const keys: Buffer[] = new Array(N);
  for (let i = 0; i < N; i++) keys[i] = Buffer.from('key:' + String(Math.floor(rand() * 1e12)).padStart(12, '0'), 'latin1');
  const value = Buffer.alloc(16, 0x61);
  const clock = { now: () => Date.now() };

  // Sorted set: ZN members "m:<id>" with scores 0..ZN-1 (100 consecutive scores = 100 elements).
  const members: Buffer[] = new Array(ZN);
  for (let i = 0; i < ZN; i++) members[i] = Buffer.from('member:' + String(i).padStart(9, '0'), 'latin1');
  const order = Array.from({ length: ZN }, (_, i) => i);
  for (let i = ZN - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const rss0 = rss();
  const engine = createEngine(engineName);
  const db: Db = engine.createDb(0, clock, () => undefined);
  for (let i = 0; i < N; i++) db.set(keys[i], value);
  engine.backgroundWork(1000);
  const rss1 = rss();
  const used1 = engine.usedMemory();
  const distinct = db.size();

  const zkey = Buffer.from('zbench');
  const zs: ZSetValue = engine.newZSet();
  db.set(zkey, zs);
  for (const i of order) zs.add(members[i], i);
  engine.backgroundWork(1000);
  const rss2 = rss();
  const used2 = engine.usedMemory();

  const log = (s: string) => process.stderr.write(s + '\n');
  log(`[${engineName} ${N} keys] usedMemory ${(used1 / distinct).toFixed(1)} B/key, RSS delta ${((rss1 - rss0) / distinct).toFixed(1)} B/key; zset ${((used2 - used1) / ZN).toFixed(1)} / ${((rss2 - rss1) / ZN).toFixed(1)} B/member`);

  const cases: MicroCase[] = [];
  const opts = { maxTime, minSamples: 5 };
  let i = 0;
  let sink = 0;
  const collect = (s: { results: { name: string; ops: number; margin: number }[] }) => {
    for (const r of s.results) {
      cases.push({ name: r.name, ops: r.ops, rme: r.margin });
      log(`  ${r.name.padEnd(34)} ${Math.round(r.ops).toLocaleString('en-US').padStart(12)} ops/s ±${r.margin.toFixed(1)}%`);
    }
  };
  const quiet = { name: 'config' as const, entries: { cases: opts } };

  await b.suite(
    `${engineName} keyspace, ${N} keys`,
    quiet,
    b.add('SET', () => {
      db.set(keys[i++ % N], value);
    }),
    b.add('GET', () => {
      sink += (db.get(keys[i++ % N]) as Buffer | string).length;
    }),
    b.add('DEL+SET', () => {
      const k = keys[i++ % N];
      db.delete(k);
      db.set(k, value);
    }),
    b.add('SCAN COUNT 10', () => {
      let cursor = 0;
      return () => {
        cursor = db.scan(cursor, 10, (k) => {
          sink += k.length;
        });
      };
    }),
    b.complete(collect),
  );

  const ZR = 100;
  const out = new RespWriter();
  await b.suite(
    `${engineName} zset, ${ZN} members`,
    quiet,
    b.add('ZADD (update score)', () => {
      const m = i++ % ZN;
      zs.add(members[order[m]], order[m] + (i & 1 ? 0.5 : 0));
    }),
    b.add('ZRANGEBYSCORE 100', () => {
      const min = (i++ * 7919) % Math.max(1, ZN - ZR);
      zs.rangeByScore({ min, minEx: false, max: min + ZR - 1, maxEx: false }, false, 0, -1, (m, s) => {
        sink += m.length + s;
      });
    }),
    // What ZRANGEBYSCORE key min max costs in the command layer: the range plus its RESP reply,
    // through the engine's direct writer when it has one (zsets.ts does the same).
    b.add('ZRANGEBYSCORE 100 → reply', () => {
      const min = (i++ * 7919) % Math.max(1, ZN - ZR);
      const range = { min, minEx: false, max: min + ZR - 1, maxEx: false };
      const d = out.deferred();
      let n = 0;
      if (zs.writingTo) n = zs.writingTo(out, () => zs.rangeByScore(range, false, 0, -1, () => undefined));
      else
        zs.rangeByScore(range, false, 0, -1, (m) => {
          out.bulk(m);
          n++;
        });
      out.setArrayLen(d, n);
      if (out.length > 1 << 20) sink += out.take().length;
    }),
    b.add('ZRANK', () => {
      sink += zs.rank(members[order[i++ % ZN]], false);
    }),
    b.complete(collect),
  );

  const patterns = ['*', 'key:1*', '*99*9', 'nomatch*'];
  const keysCases = patterns.map((p) => {
    const pat = Buffer.from(p, 'latin1');
    const all = p === '*';
    return b.add(`KEYS ${p}`, () => {
      let n = 0;
      db.forEachKey((k) => {
        if (all || engine.globMatch(pat, k, false)) n++;
      });
      sink += n;
    }, { maxTime, minSamples: 3 });
  });
  const wdb = db as Db & { forEachKeyMatching?: (p: Buffer, nocase: boolean, visit: (k: string | Buffer) => void) => void };
  if (typeof wdb.forEachKeyMatching === 'function') {
    for (const p of patterns) {
      if (p === '*') continue;
      const pat = Buffer.from(p, 'latin1');
      keysCases.push(b.add(`KEYS ${p} (glob in engine)`, () => {
        let n = 0;
        wdb.forEachKeyMatching!(pat, false, () => n++);
        sink += n;
      }, { maxTime, minSamples: 3 }));
    }
  }
  await b.suite(`${engineName} KEYS, ${N} keys`, quiet, ...keysCases, b.complete(collect));

  if (sink === -1) log('');
  const result: MicroResult = {
    engine: engineName,
    keys: distinct,
    zsetMembers: ZN,
    usedPerKey: used1 / distinct,
    rssPerKey: (rss1 - rss0) / distinct,
    usedPerMember: (used2 - used1) / ZN,
    rssPerMember: (rss2 - rss1) / ZN,
    cases,
  };
  process.stdout.write('RESULT ' + JSON.stringify(result) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
