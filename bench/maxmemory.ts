/**
 * RSS under maxmemory (issue 14's memory goal): each server gets `maxmemory 100mb` and
 * allkeys-lru, then a write load of new keys of mixed types, three times more than the limit
 * holds, pipelined: per 50 keys, 10 each of SET (100-byte value), HSET (8 fields), SADD (8
 * members), RPUSH (8 elements) and ZADD (8 members), one of which is a 200-field HSET (a hashtable
 * hash). Eviction runs throughout. Reported per server, as growth over its own fresh RSS (Node's
 * runtime is ~55 MB more than redis-server's before any key is written, which no dataset change
 * can move): the peak RSS (VmHWM) during the load, the RSS when the load ends, and the RSS at rest
 * (after the idle trim and MEMORY PURGE, as bench/collections.ts reads it); with used_memory, keys
 * held and evicted keys. Goal: within 10% of Redis's growth.
 *
 *   npm run bench -- maxmemory [--maxmemory 100mb] [--writes 1500000]
 */
import * as fs from 'fs';
import { ServerKind, startServer, stopServer, Running, rssOf } from './e2e';
import { BenchClient, freePort, infoField, replyText, serverLabel } from './lib';
import { rest } from './collections';
import type { RespNode } from '../src/protocol/resp-reader';

export interface MaxmemoryRow {
  server: string;
  rssEmpty: number;
  peakGrowth: number;
  endGrowth: number;
  restGrowth: number;
  usedMemory: number;
  keys: number;
  evicted: number;
  seconds: number;
}

const VALUE = Buffer.alloc(100, 'v');
const BATCH = 1000;

function hwmOf(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}


/** The i-th write of the load. */
function write(i: number): (string | Buffer)[] {
  const eight = (f: (j: number) => string[]) => Array.from({ length: 8 }, (_, j) => f(j)).flat();
  if (i % 50 === 49) return ['HSET', `bighash:${i}`, ...Array.from({ length: 200 }, (_, j) => [`field:${j}`, `value:${j}`]).flat()];
  switch (i % 5) {
    case 0:
      return ['SET', `string:${i}`, VALUE];
    case 1:
      return ['HSET', `hash:${i}`, ...eight((j) => [`field:${j}`, `value:${j}`])];
    case 2:
      return ['SADD', `set:${i}`, ...eight((j) => [`member:${j}`])];
    case 3:
      return ['RPUSH', `list:${i}`, ...eight((j) => [`element:${j}`])];
    default:
      return ['ZADD', `zset:${i}`, ...eight((j) => [String(j), `member:${j}`])];
  }
}

export async function runMaxmemory(opts: { maxmemory: string; writes: number; servers: ServerKind[]; log: (s: string) => void }): Promise<MaxmemoryRow[]> {
  const rows: MaxmemoryRow[] = [];
  for (const kind of opts.servers) {
    const s: Running = await startServer(kind, await freePort());
    try {
      await rest([s]);
      const rssEmpty = rssOf(s.proc.pid!);
      const c = new BenchClient(s.port);
      await c.ready();
      await c.cmd('CONFIG', 'SET', 'maxmemory', opts.maxmemory);
      await c.cmd('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      opts.log(`  maxmemory ${opts.maxmemory}: ${opts.writes} mixed writes on ${kind}`);
      const t0 = performance.now();
      // Two batches in flight, so the server always has the next one to read.
      let pending: Promise<RespNode[]> | null = null;
      for (let i = 0; i < opts.writes; i += BATCH) {
        const next = c.pipeline(Array.from({ length: Math.min(BATCH, opts.writes - i) }, (_, j) => write(i + j)));
        if (pending) await pending;
        pending = next;
      }
      await pending;
      const seconds = (performance.now() - t0) / 1000;
      const endRss = rssOf(s.proc.pid!);
      const peak = hwmOf(s.proc.pid!);
      await rest([s]);
      const restRss = rssOf(s.proc.pid!);
      const info = replyText(await c.cmd('INFO'));
      c.close();
      const row: MaxmemoryRow = {
        server: kind,
        rssEmpty,
        peakGrowth: peak - rssEmpty,
        endGrowth: endRss - rssEmpty,
        restGrowth: restRss - rssEmpty,
        usedMemory: infoField(info, 'used_memory'),
        keys: Number(/^db0:keys=(\d+)/m.exec(info)?.[1] ?? 0),
        evicted: infoField(info, 'evicted_keys'),
        seconds,
      };
      opts.log(`  ${kind}: peak +${(row.peakGrowth / 2 ** 20).toFixed(1)} MB, end +${(row.endGrowth / 2 ** 20).toFixed(1)} MB, rest +${(row.restGrowth / 2 ** 20).toFixed(1)} MB`);
      rows.push(row);
    } finally {
      await stopServer(s);
    }
  }
  return rows;
}

export function maxmemoryTable(rows: MaxmemoryRow[], maxmemory: string, writes: number): string[] {
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
  const ref = rows.find((r) => r.server === 'redis');
  const ratio = (v: number, r: number | undefined) => (ref && r ? ` (${(v / r).toFixed(2)}×)` : '');
  const lines = [
    `maxmemory ${maxmemory}, allkeys-lru; ${writes.toLocaleString('en-US')} pipelined writes of new keys (per 50: 10 each of SET of 100 bytes, HSET of 8 fields, SADD of 8, RPUSH of 8, ZADD of 8, one of them a 200-field HSET), so eviction runs throughout. RSS growth over each server's own fresh RSS (after rest and MEMORY PURGE): peak (VmHWM) during the load, when the load ends, and at rest after it (idle trim, MEMORY PURGE); ratio to Redis. Goal: within 10% of Redis (≤ 1.10×).`,
    '',
    '| server | fresh RSS | peak growth | growth at load end | growth at rest | used_memory | keys held | evicted | load time |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const isRef = r.server === 'redis';
    lines.push(
      `| ${serverLabel(r.server)} | ${mb(r.rssEmpty)} | ${mb(r.peakGrowth)}${isRef ? '' : ratio(r.peakGrowth, ref?.peakGrowth)} | ${mb(r.endGrowth)}${isRef ? '' : ratio(r.endGrowth, ref?.endGrowth)} | ${mb(r.restGrowth)}${isRef ? '' : ratio(r.restGrowth, ref?.restGrowth)} | ${mb(r.usedMemory)} | ${r.keys.toLocaleString('en-US')} | ${r.evicted.toLocaleString('en-US')} | ${r.seconds.toFixed(1)} s |`,
    );
  }
  return lines;
}
