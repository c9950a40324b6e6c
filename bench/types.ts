/**
 * Bitmaps, BITFIELD, HyperLogLog and geo against real Redis, side by side (issue 16's list):
 * SETBIT (bit 4095 of 100,000 random keys), GETBIT, BITCOUNT of a 1 MB value, BITOP AND of four 1 MB values, BITFIELD INCRBY, PFADD,
 * PFCOUNT of three dense HLLs (a union), PFMERGE of three, GEOADD, and GEOSEARCH BYRADIUS 1 km
 * over 100,000 points (about 40 in range).
 *
 * Cheap commands run at -c 50 -P 16; the ones that touch megabytes per call at -c 10 -P 1, so
 * the figure is the command's own cost, not the pipeline's. Every server gets the same data;
 * rounds are interleaved across servers; medians reported.
 *
 *   npm run bench -- types [--rounds 3] [--n 100000]
 */
import { ServerKind, startServer, stopServer, Running } from './e2e';
import { BenchClient, benchWithCpu, cpuTable, interleavedRounds, ratioTable, rng } from './lib';

export interface TypesResult {
  rounds: number;
  n: number;
  /** server -> test -> rps per round */
  rps: Record<string, Record<string, number[]>>;
  /** server -> test -> server CPU µs per request, per round */
  cpu: Record<string, Record<string, number[]>>;
}

const MB = 1 << 20;
const POINTS = 100_000;

async function setup(port: number): Promise<void> {
  const c = new BenchClient(port);
  await c.ready();
  await c.cmd('FLUSHALL');
  const rand = rng(42);
  for (let k = 1; k <= 4; k++) {
    const v = Buffer.alloc(MB);
    for (let i = 0; i < MB; i++) v[i] = (rand() * 256) | 0;
    await c.cmd('SET', `bm:${k}`, v);
  }
  // Three dense HLLs of 100,000 elements each, overlapping by half.
  for (let k = 1; k <= 3; k++) {
    const cmds: (string | number)[][] = [];
    for (let i = 0; i < 100_000; i += 1000) {
      const cmd: (string | number)[] = ['PFADD', `hll:${k}`];
      for (let j = i; j < i + 1000; j++) cmd.push(`e:${j + k * 50_000}`);
      cmds.push(cmd);
    }
    await c.pipeline(cmds);
  }
  // Points spread over a 1° × 1° square around Berlin.
  const cmds: (string | number)[][] = [];
  for (let i = 0; i < POINTS; i += 1000) {
    const cmd: (string | number)[] = ['GEOADD', 'geo:pts'];
    for (let j = i; j < i + 1000; j++) cmd.push((13 + rand()).toFixed(6), (52 + rand()).toFixed(6), `p:${j}`);
    cmds.push(cmd);
  }
  await c.pipeline(cmds);
  c.close();
}

const TESTS = ['SETBIT', 'GETBIT', 'BITFIELD_INCRBY', 'PFADD', 'GEOADD', 'BITCOUNT_1MB', 'BITOP_AND_4x1MB', 'PFCOUNT_3', 'PFMERGE_3', 'GEOSEARCH_1KM'];

/**
 * Every test once at N/10 requests, uncounted, before the rounds (as the e2e and AOF groups warm
 * their servers up): a fresh server's first round otherwise carried V8's compilation of each
 * command's code (js-map GEOSEARCH ~32 µs per request cold against ~25 warm). SETBIT and BITFIELD
 * write other keys than the rounds' (the first round still creates its keys).
 */
async function warmUp(port: number, pid: number, n: number): Promise<void> {
  const cpu: Record<string, number[]> = {};
  await round(port, pid, n / 10, cpu, 'warm:');
}

async function round(port: number, pid: number, n: number, cpu: Record<string, number[]>, writePrefix = ''): Promise<Record<string, number>> {
  // The pipelined tests get 8N requests: at N they lasted 0.1 s, too short for a steady rate and
  // for the CPU clock (10 ms ticks: 0.1 µs per request at N = 100000).
  const fast = ['-c', '50', '-P', '16', '-r', '100000', '-n', String(8 * n)];
  const heavy = (count: number) => ['-c', '10', '-P', '1', '-n', String(count)];
  const one = async (test: string, args: string[]) => {
    const r = await benchWithCpu(port, pid, args, Number(args[args.indexOf('-n') + 1]));
    (cpu[test] ??= []).push(r.cpuUs);
    return r.rps;
  };
  return {
    SETBIT: await one('SETBIT', [...fast, 'setbit', `${writePrefix}bm:__rand_int__`, '4095', '1']),
    GETBIT: await one('GETBIT', [...fast, 'getbit', 'bm:1', '4095']),
    BITFIELD_INCRBY: await one('BITFIELD_INCRBY', [...fast, 'bitfield', `${writePrefix}bf:__rand_int__`, 'incrby', 'u8', '#3', '1']),
    PFADD: await one('PFADD', [...fast, 'pfadd', 'hll:bench', 'e:__rand_int__']),
    GEOADD: await one('GEOADD', [...fast, 'geoadd', 'geo:bench', '13.__rand_int__', '52.5', 'm:__rand_int__']),
    BITCOUNT_1MB: await one('BITCOUNT_1MB', [...heavy(n / 20), 'bitcount', 'bm:1']),
    BITOP_AND_4x1MB: await one('BITOP_AND_4x1MB', [...heavy(n / 50), 'bitop', 'and', 'bm:dst', 'bm:1', 'bm:2', 'bm:3', 'bm:4']),
    PFCOUNT_3: await one('PFCOUNT_3', [...heavy(n / 20), 'pfcount', 'hll:1', 'hll:2', 'hll:3']),
    PFMERGE_3: await one('PFMERGE_3', [...heavy(n / 20), 'pfmerge', 'hll:dst', 'hll:1', 'hll:2', 'hll:3']),
    GEOSEARCH_1KM: await one('GEOSEARCH_1KM', [...heavy(n / 5), 'geosearch', 'geo:pts', 'fromlonlat', '13.5', '52.5', 'byradius', '1', 'km', 'asc']),
  };
}

export async function runTypes(opts: { rounds: number; n: number; servers: ServerKind[]; log: (s: string) => void }): Promise<TypesResult> {
  const result: TypesResult = { rounds: opts.rounds, n: opts.n, rps: {}, cpu: {} };
  const servers: Running[] = [];
  const taken = new Set<number>();
  try {
    for (const kind of opts.servers) {
      let port = 0;
      while (!port || taken.has(port)) port = 20000 + Math.floor(Math.random() * 10000);
      taken.add(port);
      servers.push(await startServer(kind, port));
      opts.log(`  types: loading ${kind}`);
      await setup(port);
      opts.log(`  types: warming ${kind} up`);
      await warmUp(port, servers[servers.length - 1].proc.pid!, opts.n);
    }
    await interleavedRounds('types', servers, opts.rounds, opts.log, result.rps, result.cpu, (s, cpu) => round(s.port, s.proc.pid!, opts.n, cpu));
  } finally {
    for (const s of servers) await stopServer(s);
  }
  return result;
}

export function typesTable(r: TypesResult): string[] {
  return [
    `N = ${r.n}; each server warmed up first (every test at N/10 requests, uncounted; SETBIT and BITFIELD on other keys), then ${r.rounds} interleaved rounds, median rps, ratio to Redis in parentheses. The first five run at -c 50 -P 16 -r 100000 with 8N requests each, the rest at -c 10 -P 1 (N/5 to N/50 requests).`,
    '',
    ...ratioTable('test', r.rps, TESTS),
    '',
    'Server CPU time per request in the same runs (user + system, all threads, from /proc): what each server spends, whatever else the machine runs; in parentheses Redis\'s CPU per request divided by Redust\'s (above 1.00: less CPU than Redis).',
    '',
    ...cpuTable('test', r.cpu, TESTS),
  ];
}
