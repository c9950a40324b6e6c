/**
 * What the operating features cost, side by side with Redis (issue 17):
 * - client-side caching: GETs over 10,000 keys from one connection pipelining 16 at a time
 *   (RESP3), with CLIENT TRACKING ON (every key read ends up in the tracking table) and OFF;
 * - MONITOR: redis-benchmark SET and GET at -c 50 -P 16 with one MONITOR client attached and
 *   reading everything, and with none;
 * - /metrics: the time to render and fetch the Prometheus page with 10,000 idle clients
 *   connected (Redust only: Redis serves no such page).
 * Rounds are interleaved across servers; medians.
 *
 *   npm run bench -- operating [--rounds 3] [--n 200000]
 */
import * as http from 'http';
import * as net from 'net';
import { median, ServerKind, startServer, stopServer, Running } from './e2e';
import { BenchClient, ratioTable, runRedisBenchmark, serverLabel } from './lib';

const KEYS = 10_000;
const DEPTH = 16;

/** GETs per second from one pipelining connection, tracking on or off. */
async function trackedGets(port: number, n: number, tracking: boolean): Promise<number> {
  const c = new BenchClient(port);
  await c.ready();
  try {
    await c.cmd('HELLO', '3');
    await c.cmd('CLIENT', 'TRACKING', tracking ? 'ON' : 'OFF');
    const t0 = performance.now();
    for (let i = 0; i < n; i += DEPTH) {
      await c.pipeline(Array.from({ length: DEPTH }, (_, j) => ['GET', `key:${(i + j) % KEYS}`]));
    }
    return n / ((performance.now() - t0) / 1000);
  } finally {
    c.close();
  }
}

/** redis-benchmark SET/GET -P 16 with or without a MONITOR client draining the feed. */
async function withMonitor(port: number, n: number, monitor: boolean): Promise<Record<string, number>> {
  let mon: net.Socket | null = null;
  let seen = 0;
  if (monitor) {
    const sock = net.connect(port, '127.0.0.1');
    mon = sock;
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.on('data', (d) => (seen += d.length));
    sock.write('*1\r\n$7\r\nMONITOR\r\n');
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const r = await runRedisBenchmark(port, ['-c', '50', '-P', '16', '-n', String(n), '-r', '100000', '-t', 'set,get']);
    if (monitor && seen === 0) throw new Error('MONITOR received nothing');
    return r;
  } finally {
    mon?.destroy();
  }
}

/** Milliseconds to fetch /metrics with `clients` idle connections open. */
async function scrapeWith(port: number, metricsPort: number, clients: number): Promise<number> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < clients; i += 500) {
    await Promise.all(
      Array.from({ length: Math.min(500, clients - i) }, () => new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => resolve());
        s.once('error', reject);
        socks.push(s);
      })),
    );
  }
  try {
    const times: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: metricsPort, path: '/metrics' }, (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve());
        }).on('error', reject);
      });
      times.push(performance.now() - t0);
    }
    return median(times);
  } finally {
    for (const s of socks) s.destroy();
  }
}

export interface OperatingResult {
  rps: Record<string, Record<string, number[]>>;
  scrape: { kind: string; idleMs: number; loadedMs: number }[];
  rounds: number;
  n: number;
}

export async function runOperating(opts: { rounds: number; n: number; servers: ServerKind[]; log: (s: string) => void }): Promise<OperatingResult> {
  const result: OperatingResult = { rps: {}, scrape: [], rounds: opts.rounds, n: opts.n };
  const servers: { s: Running; metricsPort: number }[] = [];
  try {
    for (const kind of opts.servers) {
      const port = 20000 + Math.floor(Math.random() * 10000);
      const metricsPort = port + 10000;
      const s = await startServer(kind, port, ['--metrics-addr', `127.0.0.1:${metricsPort}`]);
      servers.push({ s, metricsPort });
      const c = new BenchClient(port);
      await c.ready();
      for (let i = 0; i < KEYS; i += 1000) await c.pipeline(Array.from({ length: 1000 }, (_, j) => ['SET', `key:${i + j}`, 'v']));
      c.close();
    }
    for (let r = 0; r < opts.rounds; r++) {
      for (const { s } of servers) {
        opts.log(`  operating round ${r + 1}/${opts.rounds}: ${s.kind}`);
        const acc = (result.rps[s.kind] ??= {});
        const push = (k: string, v: number) => (acc[k] ??= []).push(v);
        push('GET, tracking off', await trackedGets(s.port, opts.n / 2, false));
        push('GET, tracking on', await trackedGets(s.port, opts.n / 2, true));
        const off = await withMonitor(s.port, opts.n, false);
        const on = await withMonitor(s.port, opts.n, true);
        push('SET -P 16', off.SET);
        push('SET -P 16, MONITOR attached', on.SET);
        push('GET -P 16', off.GET);
        push('GET -P 16, MONITOR attached', on.GET);
      }
    }
    for (const { s, metricsPort } of servers) {
      if (s.kind === 'redis') continue;
      opts.log(`  operating: /metrics with 10,000 clients on ${s.kind}`);
      const idleMs = await scrapeWith(s.port, metricsPort, 0);
      const loadedMs = await scrapeWith(s.port, metricsPort, 10_000);
      result.scrape.push({ kind: s.kind, idleMs, loadedMs });
    }
  } finally {
    for (const { s } of servers) await stopServer(s);
  }
  return result;
}

export function operatingTables(r: OperatingResult): string[] {
  const tests = ['GET, tracking off', 'GET, tracking on', 'SET -P 16', 'SET -P 16, MONITOR attached', 'GET -P 16', 'GET -P 16, MONITOR attached'];
  return [
    `${r.rounds} interleaved rounds, median per second, ratio to Redis in parentheses. The tracking rows are one RESP3 connection pipelining ${DEPTH} GETs over ${KEYS.toLocaleString('en-US')} keys (${(r.n / 2).toLocaleString('en-US')} GETs; the client is part of the measure); the others are redis-benchmark -c 50 -P 16 -n ${r.n}.`,
    '',
    ...ratioTable('test', r.rps, tests),
    '',
    '| server | /metrics, no clients | /metrics, 10,000 idle clients |',
    '|---|---:|---:|',
    ...r.scrape.map((s) => `| ${serverLabel(s.kind)} | ${s.idleMs.toFixed(1)} ms | ${s.loadedMs.toFixed(1)} ms |`),
  ];
}
