/**
 * `npm run bench -- collections` (issue 14): hashes, sets and lists on Redis, Redust wasm and
 * Redust js-map, side by side in one run.
 * - Memory: a fresh server per shape is loaded with K keys (default 200,000) of 8 small elements
 *   each, pipelined: a hash of 8 fields (`field:j` -> `value:j`), a set of 8 members (`member:j`),
 *   a set of 8 integers (intset), a list of 8 elements (`element:j`), a sorted set of 8 members
 *   (`j` -> `member:j`); and 400 lists, hashes, sets and sorted sets of 10,000 elements (1,000 per
 *   command) and 100 streams of 10,000 entries. RSS per key =
 *   (RSS after loading − RSS of the fresh server) / K, each RSS (the fresh server's too) read once the
 *   servers have rested 13 s (past Redust's idle trim of V8's young generation,
 *   src/server/heap-trim.ts) and then run MEMORY PURGE; used_memory per key from INFO memory the
 *   same way.
 * - Throughput: redis-benchmark -c 50 -r 100000, the built-in HSET, SADD and SPOP tests, and HGETALL /
 *   SMEMBERS of a 100-element hash / set, the built-in LPUSH, RPUSH, LPOP, RPOP, LRANGE 0 99 of a 600-element list (LRANGE_100)
 *   tests, the built-in ZADD and ZPOPMIN and ZRANGE 0 99 of a 100-member sorted set, at -P 1 and
 *   -P 16, one test per run; interleaved rounds, median rps, server CPU per request, p99 at -P 1.
 * The section it writes in docs/benchmarks.md sits between the collections markers.
 *
 *   node dist/bench/run.js collections [--rounds 3] [--coll-keys 200000] [--coll-n 100000]
 */
import * as fs from 'fs';
import * as net from 'net';
import { median, rssOf, ServerKind, startServer, stopServer, Running } from './e2e';
import { benchWithCpu, cpuTable, freePort } from './lib';

export interface CollectionsOptions {
  rounds: number;
  keys: number;
  n: number;
  servers: ServerKind[];
  /** Only the memory shapes whose name matches (a quick partial run; none: every shape). */
  shapes?: RegExp;
  /** false: skip the throughput rounds. */
  throughput?: boolean;
  log: (s: string) => void;
}

export interface CollectionsResult {
  options: Omit<CollectionsOptions, 'log'>;
  /**
   * server -> shape -> per key: RSS growth over the first K keys (includes the process's one-time
   * growth: V8's young generation, buffers), RSS growth over the next K keys (the marginal cost),
   * used_memory growth over the first K.
   */
  memory: Record<string, Record<string, { rssPerKey: number; rssMarginal: number; usedPerKey: number }>>;
  /** server -> test -> rps per round */
  rps: Record<string, Record<string, number[]>>;
  /** server -> test -> server CPU µs per request, per round */
  cpu: Record<string, Record<string, number[]>>;
  /** server -> test -> p99 latency (ms), per round */
  p99: Record<string, Record<string, number[]>>;
}

const SHAPES: Record<string, (i: number) => string[]> = {
  'hash, 8 fields': (i) => ['HSET', `hash:${i}`, ...Array.from({ length: 8 }, (_, j) => [`field:${j}`, `value:${j}`]).flat()],
  'set, 8 members': (i) => ['SADD', `set:${i}`, ...Array.from({ length: 8 }, (_, j) => `member:${j}`)],
  'set, 8 integers (intset)': (i) => ['SADD', `iset:${i}`, ...Array.from({ length: 8 }, (_, j) => String(i * 8 + j))],
  'list, 8 elements': (i) => ['RPUSH', `list:${i}`, ...Array.from({ length: 8 }, (_, j) => `element:${j}`)],
  'sorted set, 8 members': (i) => ['ZADD', `zset:${i}`, ...Array.from({ length: 8 }, (_, j) => [String(j), `member:${j}`]).flat()],
};

/**
 * Big values: fewer keys (`keys`), each loaded by several commands of 1,000 elements. Enough keys
 * that their growth (~55-350 MB per server) dwarfs how much a fresh Node process's RSS moves
 * between two readings at rest (a few MB: at 100 lists of 10,000 elements, ~14 MB, one reading
 * could move a per-key figure by a third).
 */
const BIG_KEYS = 400;
const BIG_STREAM_KEYS = 100;
const BIG_SHAPES: Record<string, { keys: number; commands: number; make: (key: number, part: number) => string[]; replyLines?: number }> = {
  'list, 10,000 elements': {
    keys: BIG_KEYS,
    commands: 10,
    make: (k, part) => ['RPUSH', `biglist:${k}`, ...Array.from({ length: 1000 }, (_, j) => `element:${part * 1000 + j}`)],
  },
  'hash, 10,000 fields': {
    keys: BIG_KEYS,
    commands: 10,
    make: (k, part) => ['HSET', `bighash:${k}`, ...Array.from({ length: 1000 }, (_, j) => [`field:${part * 1000 + j}`, `value:${j}`]).flat()],
  },
  'set, 10,000 members': {
    keys: BIG_KEYS,
    commands: 10,
    make: (k, part) => ['SADD', `bigset:${k}`, ...Array.from({ length: 1000 }, (_, j) => `member:${part * 1000 + j}`)],
  },
  'sorted set, 10,000 members': {
    keys: BIG_KEYS,
    commands: 10,
    make: (k, part) => ['ZADD', `bigzset:${k}`, ...Array.from({ length: 1000 }, (_, j) => [String(part * 1000 + j), `member:${part * 1000 + j}`]).flat()],
  },
  // One entry per XADD (explicit IDs, two fields as in a typical event stream); replies are bulk IDs.
  'stream, 10,000 entries': {
    keys: BIG_STREAM_KEYS,
    commands: 10000,
    make: (k, part) => ['XADD', `stream:${k}`, `${1700000000000 + part}-0`, 'field', String(part), 'kind', 'click'],
    replyLines: 2,
  },
};

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

/** Send commands pipelined in batches; waits for as many replies (counted by CRLF-ended lines of integer replies). */
async function pipeLoad(port: number, count: number, make: (i: number) => string[], replyLines = 1): Promise<void> {
  const sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  let lines = 0;
  let wake: (() => void) | null = null;
  sock.on('data', (d: Buffer) => {
    for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++;
    if (wake) { const w = wake; wake = null; w(); }
  });
  // Batches of up to 5,000 commands or ~4 MB, each written at once and waited for.
  const BATCH = 5000;
  const BATCH_BYTES = 4 << 20;
  for (let i = 0; i < count; ) {
    let s = '';
    let end = i;
    while (end < count && end - i < BATCH && s.length < BATCH_BYTES) s += encode(make(end++));
    sock.write(s);
    while (lines < end * replyLines) await new Promise<void>((r) => (wake = r));
    i = end;
  }
  sock.destroy();
}

async function command(port: number, ...args: string[]): Promise<string> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
  sock.write(encode(args));
  let buf = '';
  await new Promise<void>((r) => {
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      if (buf.startsWith('$')) {
        const nl = buf.indexOf('\r\n');
        const len = Number(buf.slice(1, nl));
        if (len < 0 || buf.length >= nl + 2 + len + 2) r();
      } else if (buf.endsWith('\r\n')) r();
    });
  });
  sock.destroy();
  return buf;
}

async function usedMemory(port: number): Promise<number> {
  const m = /used_memory:(\d+)/.exec(await command(port, 'INFO', 'memory'));
  return m ? Number(m[1]) : NaN;
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long the servers rest after a load before RSS is read: past the idle trim's 10 s of quiet (heap-trim.ts). */
const REST_MS = 13_000;

/**
 * Before every RSS reading (the fresh server's too): rest past the idle trim, then MEMORY PURGE on
 * every server (Redis: jemalloc's purge of dirty pages; Redust: a full V8 collection), so that no
 * reading depends on when an allocator happens to give pages back.
 */
export async function rest(servers: Running[]): Promise<void> {
  await sleep(REST_MS);
  // V8 gives its young generation back only at a scavenge that sees ~5 s of low allocation, so the
  // idle trim's first tries can fail: wait (up to REST_MAX_EXTRA_MS more) until every Redust server
  // holds no more than NEW_SPACE_AT_REST of it, as MEMORY MALLOC-STATS reports.
  for (let waited = 0; waited < REST_MAX_EXTRA_MS; waited += 1000) {
    const sizes = await Promise.all(servers.filter((s) => s.kind !== 'redis').map((s) => newSpaceResident(s.port)));
    if (sizes.every((b) => b <= NEW_SPACE_AT_REST)) break;
    await sleep(1000);
  }
  for (const s of servers) await command(s.port, 'MEMORY', 'PURGE');
  await sleep(1000);
}

const REST_MAX_EXTRA_MS = 15_000;
const NEW_SPACE_AT_REST = 2 * 1024 * 1024;

/** Resident bytes of V8's new space in a Redust server (the `physical` column of MEMORY MALLOC-STATS). */
async function newSpaceResident(port: number): Promise<number> {
  const line = (await command(port, 'MEMORY', 'MALLOC-STATS')).split('\n').find((l) => l.trim().startsWith('new_space '));
  return line ? Number(line.trim().split(/\s+/)[4]) : 0;
}

/** One round of the throughput tests: rps per test, and the server's CPU µs per request into `cpu`. */
async function throughputRound(port: number, pid: number, n: number, cpu: Record<string, number[]>, p99: Record<string, number[]>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const p of [1, 16]) {
    const P = ['-c', '50', '-P', String(p), '-r', '100000'];
    const np = p === 1 ? n : n * 4;
    // One test per redis-benchmark run, so that the server's CPU time is that test's alone.
    const one = async (name: string, requests: number, args: string[]) => {
      const r = await benchWithCpu(port, pid, [...P, '-n', String(requests), ...args], requests);
      out[`${name} -P ${p}`] = r.rps;
      (cpu[`${name} -P ${p}`] ??= []).push(r.cpuUs);
      (p99[`${name} -P ${p}`] ??= []).push(r.p99);
    };
    await one('HSET', np, ['-t', 'hset']);
    await one('SADD', np, ['-t', 'sadd']);
    await one('SPOP', np, ['-t', 'spop']);
    await one('HGETALL_100', np / 4, ['hgetall', 'bench:h100']);
    await one('SMEMBERS_100', np / 4, ['smembers', 'bench:s100']);
    // LPOP/RPOP pop what LPUSH/RPUSH pushed, as in one `-t lpush,rpush,lpop,rpop` run.
    for (const t of ['LPUSH', 'RPUSH', 'LPOP', 'RPOP']) await one(t, np, ['-t', t.toLowerCase()]);
    // redis-benchmark's LRANGE_100 is `LRANGE mylist 0 99` after an LPUSH run that fills the list;
    // as a custom command on a preloaded 600-element list, the CPU measured is LRANGE's alone.
    await one('LRANGE_100', np / 4, ['lrange', 'bench:l600', '0', '99']);
    await one('ZADD', np, ['-t', 'zadd']);
    await one('ZPOPMIN', np, ['-t', 'zpopmin']);
    await one('ZRANGE_100', np / 4, ['zrange', 'bench:z100', '0', '99']);
  }
  return out;
}

export async function runCollections(opts: CollectionsOptions): Promise<CollectionsResult> {
  const log = opts.log;
  const memory: CollectionsResult['memory'] = {};
  const rps: CollectionsResult['rps'] = {};
  const cpu: CollectionsResult['cpu'] = {};
  const p99: CollectionsResult['p99'] = {};
  // Memory: a fresh server per shape and kind. The servers of one shape run side by side: each is
  // loaded in turn, then all rest together (REST_MS) before RSS is read, so the figure is what a
  // server holds at rest, after Redust's idle trim has given back V8's young generation
  // (src/server/heap-trim.ts), not what it held during the load.
  const measure = async (shape: string, keys: number, load: (port: number, first: number) => Promise<void>) => {
    const servers: Running[] = [];
    try {
      for (const kind of opts.servers) servers.push(await startServer(kind, await freePort()));
      await rest(servers);
      const rss0 = servers.map((s) => rssOf(s.proc.pid!));
      const used0 = await Promise.all(servers.map((s) => usedMemory(s.port)));
      for (const s of servers) await load(s.port, 0);
      await rest(servers);
      const rss1 = servers.map((s) => rssOf(s.proc.pid!));
      const used1 = await Promise.all(servers.map((s) => usedMemory(s.port)));
      for (const s of servers) await load(s.port, keys);
      await rest(servers);
      const rss2 = servers.map((s) => rssOf(s.proc.pid!));
      servers.forEach((s, i) => {
        const r = { rssPerKey: (rss1[i] - rss0[i]) / keys, rssMarginal: (rss2[i] - rss1[i]) / keys, usedPerKey: (used1[i] - used0[i]) / keys };
        (memory[s.kind] ??= {})[shape] = r;
        log(`${s.kind} ${shape}: RSS/key ${r.rssPerKey.toFixed(0)} B (next ${keys}: ${r.rssMarginal.toFixed(0)} B), used_memory/key ${r.usedPerKey.toFixed(0)} B`);
      });
    } finally {
      for (const s of servers) await stopServer(s);
    }
  };
  for (const [shape, make] of Object.entries(SHAPES)) {
    if (opts.shapes && !opts.shapes.test(shape)) continue;
    await measure(shape, opts.keys, (port, first) => pipeLoad(port, opts.keys, (i) => make(i + first)));
  }
  for (const [shape, big] of Object.entries(BIG_SHAPES)) {
    if (opts.shapes && !opts.shapes.test(shape)) continue;
    await measure(shape, big.keys, (port, first) => pipeLoad(port, big.keys * big.commands, (i) => big.make(first + Math.floor(i / big.commands), i % big.commands), big.replyLines));
  }
  // Throughput: the three servers at once, rounds interleaved.
  const running: Running[] = [];
  if (opts.throughput === false) {
    const { log: _l, ...options } = opts;
    return { options, memory, rps, cpu, p99 };
  }
  try {
    for (const kind of opts.servers) running.push(await startServer(kind, await freePort()));
    for (const s of running) {
      await pipeLoad(s.port, 1, () => ['HSET', 'bench:h100', ...Array.from({ length: 100 }, (_, j) => [`field:${j}`, `value:${j}`]).flat()]);
      await pipeLoad(s.port, 1, () => ['SADD', 'bench:s100', ...Array.from({ length: 100 }, (_, j) => `member:${j}`)]);
      await pipeLoad(s.port, 1, () => ['ZADD', 'bench:z100', ...Array.from({ length: 100 }, (_, j) => [String(j), `member:${j}`]).flat()]);
      await pipeLoad(s.port, 1, () => ['RPUSH', 'bench:l600', ...Array.from({ length: 600 }, () => 'xxx')]);
    }
    // Each server warmed up first, uncounted (every test at N/10 requests), as the e2e, AOF,
    // types and TLS groups do: a fresh Node process's first round carries V8's compilation.
    for (const s of running) {
      log(`warming ${s.kind} up`);
      await throughputRound(s.port, s.proc.pid!, Math.round(opts.n / 10), {}, {});
    }
    for (let r = 0; r < opts.rounds; r++) {
      for (const s of running) {
        const got = await throughputRound(s.port, s.proc.pid!, opts.n, (cpu[s.kind] ??= {}), (p99[s.kind] ??= {}));
        for (const [t, v] of Object.entries(got)) ((rps[s.kind] ??= {})[t] ??= []).push(v);
        log(`round ${r + 1} ${s.kind}: ${Object.entries(got).map(([t, v]) => `${t} ${Math.round(v / 1000)}k`).join(', ')}`);
      }
    }
  } finally {
    for (const s of running) await stopServer(s);
  }
  const { log: _log, ...options } = opts;
  return { options, memory, rps, cpu, p99 };
}

export function collectionsTables(r: CollectionsResult): string[] {
  const kinds = r.options.servers.filter((k) => k !== 'redis');
  const out: string[] = [];
  out.push(`| shape | Redis RSS/key | ${kinds.map((k) => `${k} RSS/key`).join(' | ')} | Redis used_memory/key | ${kinds.map((k) => `${k} used_memory/key`).join(' | ')} |`);
  out.push(`|---|---:|${kinds.map(() => '---:').join('|')}|---:|${kinds.map(() => '---:').join('|')}|`);
  const ratio = (x: number, base: number) => (base > 0 ? ` (${(x / base).toFixed(2)}×)` : '');
  for (const shape of [...Object.keys(SHAPES), ...Object.keys(BIG_SHAPES)]) {
    const K = (BIG_SHAPES[shape]?.keys ?? r.options.keys).toLocaleString('en-US');
    for (const marginal of [false, true]) {
      const rss = (m: { rssPerKey: number; rssMarginal: number }) => (marginal ? m.rssMarginal : m.rssPerKey);
      const red = r.memory.redis?.[shape];
      const row = [`${shape}: ${marginal ? `next ${K} keys` : `first ${K} keys`}`, red ? `${rss(red).toFixed(0)} B` : '–'];
      for (const k of kinds) {
        const m = r.memory[k]?.[shape];
        row.push(m ? `${rss(m).toFixed(0)} B${ratio(rss(m), red ? rss(red) : 0)}` : '–');
      }
      row.push(red && !marginal ? `${red.usedPerKey.toFixed(0)} B` : '');
      for (const k of kinds) {
        const m = r.memory[k]?.[shape];
        row.push(m && !marginal ? `${m.usedPerKey.toFixed(0)} B${ratio(m.usedPerKey, red?.usedPerKey ?? 0)}` : '');
      }
      out.push(`| ${row.join(' | ')} |`);
    }
  }
  out.push('');
  out.push(`| test (median rps of ${r.options.rounds}) | Redis | ${kinds.join(' | ')} |`);
  out.push(`|---|---:|${kinds.map(() => '---:').join('|')}|`);
  const tests = Object.keys(r.rps.redis ?? r.rps[kinds[0]] ?? {});
  for (const t of tests) {
    const base = median(r.rps.redis?.[t] ?? []);
    const row = [t, Number.isNaN(base) ? '–' : `${Math.round(base / 1000)}k`];
    for (const k of kinds) {
      const v = median(r.rps[k]?.[t] ?? []);
      row.push(Number.isNaN(v) ? '–' : `${Math.round(v / 1000)}k${ratio(v, base)}`);
    }
    out.push(`| ${row.join(' | ')} |`);
  }
  out.push('', 'Server CPU time per request in the same runs (user + system, all threads, from /proc); in parentheses Redis\'s divided by Redust\'s (above 1.00: less CPU than Redis):', '');
  out.push(...cpuTable(`test (median of ${r.options.rounds})`, r.cpu, tests));
  out.push('', 'p99 latency at -P 1 in the same runs (redis-benchmark\'s p99_latency_ms; issue 14 asks for at most 1.5× Redis); in parentheses Redust\'s divided by Redis\'s:', '');
  out.push(`| test | Redis p99 | ${kinds.map((k) => `${k} p99`).join(' | ')} |`, `|---|---:|${kinds.map(() => '---:').join('|')}|`);
  for (const t of tests.filter((x) => x.endsWith('-P 1'))) {
    const base = median(r.p99.redis?.[t] ?? []);
    const row = [t, Number.isNaN(base) ? '–' : `${base.toFixed(3)} ms`];
    for (const k of kinds) {
      const v = median(r.p99[k]?.[t] ?? []);
      row.push(Number.isNaN(v) ? '–' : `${v.toFixed(3)} ms${Number.isNaN(base) ? '' : ` (${(v / base).toFixed(2)}×)`}`);
    }
    out.push(`| ${row.join(' | ')} |`);
  }
  return out;
}

/** Replace (or append) the collections section of docs/benchmarks.md. */
export function writeCollectionsSection(file: string, r: CollectionsResult, header: string[]): void {
  const BEGIN = '<!-- collections:begin (npm run bench -- collections) -->';
  const END = '<!-- collections:end -->';
  const section = [
    BEGIN,
    '## Hashes, sets, lists and sorted sets (issue 14): memory and throughput',
    '',
    ...header,
    '',
    'bench/collections.ts. Memory: a fresh server process per shape and engine, loaded with pipelined HSET/SADD/RPUSH/ZADD ' +
      '(8 fields `field:j` → `value:j`, 8 members `member:j`, 8 integers, 8 elements `element:j`, or 8 members `member:j` with scores j; and ' + BIG_KEYS + ' lists, hashes, sets and sorted sets of ' +
      '10,000 elements, 1,000 per command, and ' + BIG_STREAM_KEYS + ' streams of 10,000 entries, per key), RSS growth and used_memory growth per key ' +
      'over the first K keys, and RSS growth over the next K keys (the marginal cost per key). RSS is read at rest: the servers of a shape ' +
      'run side by side and rest 13 s before each reading (the fresh server\'s too), past the 10 s of quiet after which Redust\'s standalone server gives back V8\'s young generation ' +
      '(src/server/heap-trim.ts), then each gets MEMORY PURGE (Redis: jemalloc\'s purge; Redust: a full V8 collection) a second before the reading; during and just after a load Redust holds up to ~32 MB more, about 150 B per key at 200,000 keys. ' +
      'Throughput: redis-benchmark `-c 50 -r 100000`, the built-in HSET, SADD, SPOP, ZADD and ZPOPMIN tests, HGETALL / SMEMBERS of a ' +
      '100-element hash / set, ZRANGE 0 99 of a 100-member sorted set, the built-in LPUSH, RPUSH, LPOP and RPOP tests, LRANGE 0 99 of a 600-element list (redis-benchmark\'s LRANGE_100), at -P 1 and -P 16, ' +
      'one test per redis-benchmark run; the three servers run at once, each warmed up first (every test at N/10 requests, uncounted), rounds interleaved, median rps, ratio to Redis; then the servers\' CPU time per ' +
      'request and the p99 latencies of the same runs.',
    '',
    ...collectionsTables(r),
    '',
    'Lists: before the wasm engine kept them in linear memory (assembly/list.ts), both engines used the JS ring buffer the ' +
      'js-map column still shows; issue 14 measured 664 B RSS per 8-element list on wasm (Redis 287 B) and LPUSH 0.73×, ' +
      'LRANGE_100 0.74× Redis at -P 16. For 10,000-element lists the wasm arena holds what used_memory reports (the arena ' +
      'footprint equals used_memory in-process); the RSS above it comes from the JavaScript side of loading 1,000-argument ' +
      'RPUSH commands (V8 heap growth), not from the list.',
    '',
    END,
  ].join('\n');
  let md = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const a = md.indexOf(BEGIN);
  const b = md.indexOf(END);
  if (a >= 0 && b > a) md = md.slice(0, a) + section + md.slice(b + END.length);
  else md = md.trimEnd() + '\n\n' + section + '\n';
  fs.writeFileSync(file, md);
}
