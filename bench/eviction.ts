/**
 * Eviction as a cache sees it: one Zipfian key trace (s = 0.99 over 100,000 keys, a read-through
 * cache: GET, and SET of a 100-byte value on a miss) replayed against redis-server and both
 * Redust engines, for each allkeys policy. Reported: the hit rate after warm-up (goal: within 2
 * points of Redis's), and used_memory against the limit (goal: within 5% of maxmemory).
 *
 * Two runs per policy and server:
 * - same limit: every server gets the same maxmemory (--maxmemory, default 4mb), so a server
 *   with a smaller per-key cost keeps more keys (and hits more);
 * - same keys: each server's maxmemory is set so that it holds --keys keys (default 15,000),
 *   from its own used_memory per key measured before the run, so the hit rates compare the
 *   eviction policies themselves.
 *
 *   npm run bench -- eviction [--ops 400000] [--maxmemory 4mb] [--keys 15000]
 */
import { ServerKind, startServer, stopServer, Running } from './e2e';
import { BenchClient, infoField, replyText, rng, serverLabel } from './lib';

const KEYS = 100_000;
const VALUE = Buffer.alloc(100, 'v');
const BATCH = 200;
const POLICIES = ['allkeys-lru', 'allkeys-lfu', 'allkeys-random'];

export interface EvictionRow {
  server: string;
  policy: string;
  mode: 'same limit' | 'same keys';
  hitRate: number;
  keys: number;
  usedMemory: number;
  maxmemory: number;
  evicted: number;
}

/** `ops` key ids drawn from Zipf(s) over KEYS ids (inverse CDF by binary search), ids shuffled. */
function zipfTrace(ops: number, s: number): Uint32Array {
  const cdf = new Float64Array(KEYS);
  let sum = 0;
  for (let i = 0; i < KEYS; i++) {
    sum += 1 / Math.pow(i + 1, s);
    cdf[i] = sum;
  }
  const rand = rng(7);
  // Popular ranks map to scattered ids, so key names carry no hint of popularity.
  const perm = new Uint32Array(KEYS);
  for (let i = 0; i < KEYS; i++) perm[i] = i;
  for (let i = KEYS - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  const out = new Uint32Array(ops);
  for (let k = 0; k < ops; k++) {
    const u = rand() * sum;
    let lo = 0;
    let hi = KEYS - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[k] = perm[lo];
  }
  return out;
}


/** Replay the trace; hits counted after the first quarter (warm-up). */
async function replay(port: number, trace: Uint32Array): Promise<number> {
  const c = new BenchClient(port);
  await c.ready();
  let hits = 0;
  let counted = 0;
  const warm = trace.length >> 2;
  try {
    for (let i = 0; i < trace.length; i += BATCH) {
      const ids = trace.subarray(i, Math.min(trace.length, i + BATCH));
      const replies = await c.pipeline(Array.from(ids, (id) => ['GET', `key:${id}`]));
      const misses: (string | Buffer)[][] = [];
      replies.forEach((r, j) => {
        const hit = r.t === 'bulk' && r.v !== null;
        if (i + j >= warm) {
          counted++;
          if (hit) hits++;
        }
        if (!hit) misses.push(['SET', `key:${ids[j]}`, VALUE]);
      });
      if (misses.length) await c.pipeline(misses);
    }
  } finally {
    c.close();
  }
  return hits / counted;
}

/** used_memory per key of this server: 20,000 keys like the trace's, measured, then flushed. */
async function perKeyCost(c: BenchClient): Promise<{ base: number; perKey: number }> {
  const used = async () => infoField(replyText(await c.cmd('INFO', 'memory')), 'used_memory');
  const base = await used();
  const N = 20_000;
  for (let i = 0; i < N; i += 1000) {
    await c.pipeline(Array.from({ length: 1000 }, (_, j) => ['SET', `key:${i + j}`, VALUE]));
  }
  const perKey = ((await used()) - base) / N;
  await c.cmd('FLUSHALL');
  return { base, perKey };
}

function parseMemory(v: string): number {
  const m = /^(\d+)(kb|mb|gb)?$/i.exec(v);
  if (!m) throw new Error(`bad memory value ${v}`);
  const unit = (m[2] ?? '').toLowerCase();
  return Number(m[1]) * (unit === 'kb' ? 1024 : unit === 'mb' ? 1 << 20 : unit === 'gb' ? 1 << 30 : 1);
}

export async function runEviction(opts: { ops: number; maxmemory: string; keys: number; servers: ServerKind[]; log: (s: string) => void }): Promise<EvictionRow[]> {
  const trace = zipfTrace(opts.ops, 0.99);
  const rows: EvictionRow[] = [];
  for (const mode of ['same limit', 'same keys'] as const) {
    for (const policy of POLICIES) {
      for (const kind of opts.servers) {
        let port = 0;
        while (!port || port === 6379) port = 20000 + Math.floor(Math.random() * 10000);
        const s: Running = await startServer(kind, port);
        try {
          const c = new BenchClient(port);
          await c.ready();
          let limit = parseMemory(opts.maxmemory);
          if (mode === 'same keys') {
            const { base, perKey } = await perKeyCost(c);
            limit = Math.round(base + perKey * opts.keys);
          }
          await c.cmd('CONFIG', 'SET', 'maxmemory', String(limit));
          await c.cmd('CONFIG', 'SET', 'maxmemory-policy', policy);
          opts.log(`  eviction (${mode}): ${policy} on ${kind}`);
          const hitRate = await replay(port, trace);
          const info = replyText(await c.cmd('INFO'));
          rows.push({
            server: kind,
            policy,
            mode,
            hitRate,
            keys: Number(/^db0:keys=(\d+)/m.exec(info)?.[1] ?? 0),
            usedMemory: infoField(info, 'used_memory'),
            maxmemory: infoField(info, 'maxmemory'),
            evicted: infoField(info, 'evicted_keys'),
          });
          c.close();
        } finally {
          await stopServer(s);
        }
      }
    }
  }
  return rows;
}

export function evictionTable(rows: EvictionRow[], ops: number): string[] {
  const lines = [
    `${ops} operations of a read-through cache (GET, SET of 100 bytes on a miss) over 100,000 keys drawn from Zipf(0.99); hit rate counted after the first quarter. "same limit": one maxmemory for every server; "same keys": each server's maxmemory set to hold the same number of keys (from its own used_memory per key), which compares the policies themselves.`,
    '',
    '| mode | policy | server | hit rate | Δ vs Redis (points) | keys held | used_memory / maxmemory | evicted |',
    '|---|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ref = rows.find((x) => x.mode === r.mode && x.policy === r.policy && x.server === 'redis');
    const delta = ref && r.server !== 'redis' ? ((r.hitRate - ref.hitRate) * 100).toFixed(1) : '';
    lines.push(
      `| ${r.mode} | ${r.policy} | ${serverLabel(r.server)} | ${(r.hitRate * 100).toFixed(1)}% | ${delta} | ${r.keys.toLocaleString('en-US')} | ${((r.usedMemory / r.maxmemory) * 100).toFixed(1)}% | ${r.evicted.toLocaleString('en-US')} |`,
    );
  }
  return lines;
}
