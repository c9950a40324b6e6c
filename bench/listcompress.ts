/**
 * `npm run bench -- listcompress`: list-compress-depth (the wasm engine's compressed quicklist
 * nodes, assembly/list.ts) against real Redis, side by side.
 *
 * Memory: one list of 500,000 log-like elements (`{"user":…,"event":…,"page":…}`, about 45
 * bytes, repetitive as such lists are), loaded with RPUSH of 1,000 at a time, at depth 0 and at
 * depth 1: used_memory and RSS growth per element.
 * Throughput at depth 1 on that list: LPUSH and LRANGE of the first 100 (-P 16: the raw head
 * nodes), LINDEX and LRANGE of 100 in the middle (-P 1: a compressed node decompressed per call).
 * The js-map engine refuses compression and is left out. Rounds interleaved, medians.
 *
 *   npm run bench -- listcompress [--rounds 3] [--n 100000] [--elements 500000]
 */
import * as fs from 'fs';
import { ServerKind, startServer, stopServer, Running } from './e2e';
import { BenchClient, benchWithCpu, cpuTable, interleavedRounds, ratioTable, serverLabel } from './lib';
import type { RespNode } from '../src/protocol/resp-reader';

const EVENTS = ['view', 'click', 'scroll', 'purchase'];
const TESTS = ['LPUSH', 'LRANGE_HEAD_100', 'LINDEX_MIDDLE', 'LRANGE_MIDDLE_100'];

function element(i: number): string {
  return `{"user":${(i * 7919) % 5000},"event":"${EVENTS[i % 4]}","page":"/p/${i % 300}"}`;
}

const textOf = (n: RespNode) => (n.t === 'bulk' ? n.v.latin1Slice() : n.t === 'simple' ? n.v : '');

async function usedMemory(c: BenchClient): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(textOf(await c.cmd('INFO', 'memory')))![1]);
}

function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Load the list at `depth`; bytes per element of used_memory and RSS growth. */
async function load(s: Running, depth: number, elements: number): Promise<{ used: number; rss: number }> {
  const c = new BenchClient(s.port);
  await c.ready();
  await c.cmd('DEL', 'events');
  await c.cmd('CONFIG', 'SET', 'list-compress-depth', depth);
  await new Promise((r) => setTimeout(r, 200));
  const u0 = await usedMemory(c);
  const r0 = rss(s.proc.pid!);
  for (let i = 0; i < elements; i += 1000) {
    const cmd: string[] = ['RPUSH', 'events'];
    for (let j = i; j < Math.min(i + 1000, elements); j++) cmd.push(element(j));
    await c.cmd(...cmd);
  }
  await new Promise((r) => setTimeout(r, 200));
  const out = { used: (await usedMemory(c) - u0) / elements, rss: (rss(s.proc.pid!) - r0) / elements };
  c.close();
  return out;
}

async function round(port: number, pid: number, n: number, elements: number, cpu: Record<string, number[]>): Promise<Record<string, number>> {
  const fast = ['-c', '50', '-P', '16', '-n', String(4 * n)];
  const slow = ['-c', '10', '-P', '1', '-n', String(n / 4)];
  const mid = Math.floor(elements / 2);
  const one = async (test: string, args: string[]) => {
    const r = await benchWithCpu(port, pid, args, Number(args[args.indexOf('-n') + 1]));
    (cpu[test] ??= []).push(r.cpuUs);
    return r.rps;
  };
  const rps = {
    LRANGE_HEAD_100: await one('LRANGE_HEAD_100', [...fast, 'lrange', 'events', '0', '99']),
    LINDEX_MIDDLE: await one('LINDEX_MIDDLE', [...slow, 'lindex', 'events', String(mid)]),
    LRANGE_MIDDLE_100: await one('LRANGE_MIDDLE_100', [...slow, 'lrange', 'events', String(mid), String(mid + 99)]),
    // (a value without commas or quotes: redis-benchmark's CSV names the test by the command)
    LPUSH: await one('LPUSH', [...fast, 'lpush', 'events', 'user:2919:click:/p/1']),
  };
  // (the pushes are taken back, so every round reads the same list)
  const c = new BenchClient(port);
  await c.ready();
  await c.cmd('LTRIM', 'events', 4 * n, -1);
  c.close();
  return rps;
}

export interface ListCompressResult {
  rounds: number;
  n: number;
  elements: number;
  memory: Record<string, { raw: { used: number; rss: number }; compressed: { used: number; rss: number } }>;
  rps: Record<string, Record<string, number[]>>;
  cpu: Record<string, Record<string, number[]>>;
}

export async function runListCompress(opts: { rounds: number; n: number; elements: number; log: (s: string) => void }): Promise<ListCompressResult> {
  const servers: Running[] = [];
  const result: ListCompressResult = { rounds: opts.rounds, n: opts.n, elements: opts.elements, memory: {}, rps: {}, cpu: {} };
  try {
    for (const kind of ['redis', 'wasm'] as ServerKind[]) {
      let port = 0;
      while (!port || servers.some((s) => s.port === port)) port = 20000 + Math.floor(Math.random() * 10000);
      const s = await startServer(kind, port);
      servers.push(s);
      opts.log(`  listcompress: loading ${kind} at depth 0, then 1`);
      const raw = await load(s, 0, opts.elements);
      const compressed = await load(s, 1, opts.elements);
      result.memory[kind] = { raw, compressed };
      // Warm-up, uncounted.
      await round(s.port, s.proc.pid!, opts.n / 10, opts.elements, {});
    }
    await interleavedRounds('listcompress', servers, opts.rounds, opts.log, result.rps, result.cpu, (s, cpu) => round(s.port, s.proc.pid!, opts.n, opts.elements, cpu));
  } finally {
    for (const s of servers) await stopServer(s);
  }
  return result;
}

export function listCompressTables(r: ListCompressResult): string[] {
  const kinds = Object.keys(r.memory);
  const ratio = (k: string, f: (m: ListCompressResult['memory'][string]) => number) =>
    k === 'redis' ? f(r.memory[k]).toFixed(1) : `${f(r.memory[k]).toFixed(1)} (${(f(r.memory[k]) / f(r.memory.redis)).toFixed(2)}×)`;
  return [
    `One list of ${r.elements.toLocaleString('en-US')} log-like elements (\`${element(1)}\`, RPUSH of 1,000 at a time); bytes per element of used_memory and RSS growth, in parentheses Redust's ÷ Redis's (below 1.00: smaller):`,
    '',
    `| list-compress-depth | ${kinds.map((k) => `${serverLabel(k)} used_memory`).join(' | ')} | ${kinds.map((k) => `${serverLabel(k)} RSS`).join(' | ')} |`,
    `|---|${kinds.map(() => '---:').join('|')}|${kinds.map(() => '---:').join('|')}|`,
    `| 0 | ${kinds.map((k) => ratio(k, (m) => m.raw.used)).join(' | ')} | ${kinds.map((k) => ratio(k, (m) => m.raw.rss)).join(' | ')} |`,
    `| 1 | ${kinds.map((k) => ratio(k, (m) => m.compressed.used)).join(' | ')} | ${kinds.map((k) => ratio(k, (m) => m.compressed.rss)).join(' | ')} |`,
    '',
    `Throughput on that list at depth 1, N = ${r.n}: LPUSH and LRANGE 0 99 at -c 50 -P 16 (4N requests), LINDEX and LRANGE of 100 at the middle at -c 10 -P 1 (N/4); each server warmed up first, ${r.rounds} interleaved rounds, median rps, ratio to Redis in parentheses:`,
    '',
    ...ratioTable('test', r.rps, TESTS),
    '',
    'Server CPU per request in the same runs (in parentheses Redis\'s ÷ Redust\'s: above 1.00, less CPU than Redis):',
    '',
    ...cpuTable('test', r.cpu, TESTS),
  ];
}
