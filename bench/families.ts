/**
 * End-to-end benchmarks of the data-type families against real Redis, side by side:
 * - redis-benchmark's LPUSH, LPOP, SADD, HSET, SPOP, ZADD, ZPOPMIN (-P 16), ZRANGE 0 99 of a
 *   1000-member sorted set, EVALSHA of a cached script, XADD, and XREADGROUP COUNT 10;
 * - PUBLISH fan-out: publishes/s to a channel with 100 subscribers that read everything;
 * - big deletes: the longest PING round trip seen while DEL removes a 1M-element list, hash,
 *   set and sorted set (how long the server stops answering), and the DEL itself.
 * Servers run as separate processes; rounds are interleaved across servers; medians reported.
 *
 *   node dist/bench/families.js [--rounds 3] [--n 100000] [--servers js-map,wasm,redis] [--no-big-del]
 */
import * as net from 'net';
import { median, ServerKind, startServer, stopServer, Running } from './e2e';
import { argOf, BenchClient as Client, ratioTable, runRedisBenchmark as rb, serverLabel } from './lib';

export interface FamiliesOptions {
  rounds: number;
  n: number;
  servers: ServerKind[];
  bigDelete: boolean;
  log: (s: string) => void;
}

export interface FamiliesResult {
  options: Omit<FamiliesOptions, 'log'>;
  /** server -> test -> rps per round */
  rps: Record<string, Record<string, number[]>>;
  /** server -> type -> { maxPingMs, delMs } */
  bigDelete: Record<string, Record<string, { maxPingMs: number; delMs: number }>>;
}

const SCRIPT = "return redis.call('GET', KEYS[1])";

async function setup(port: number, sha: { v: string }): Promise<void> {
  const c = new Client(port);
  await c.ready();
  await c.cmd('FLUSHALL');
  const r = await c.cmd('SCRIPT', 'LOAD', SCRIPT);
  if (r.t === 'bulk') sha.v = r.v.toString();
  const zadd: (string | number)[] = ['ZADD', 'bench:zset'];
  for (let i = 0; i < 1000; i++) zadd.push(i, `member:${i}`);
  await c.cmd(...zadd);
  await c.cmd('XGROUP', 'CREATE', 'bench:stream', 'g', '$', 'MKSTREAM');
  c.close();
}

/** One round of every test against one server. */
async function round(port: number, n: number, sha: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const P = ['-c', '50', '-P', '16', '-r', '100000'];
  Object.assign(out, await rb(port, [...P, '-n', String(n), '-t', 'lpush,lpop,sadd,hset,spop,zadd,zpopmin']));
  out.ZRANGE_100 = (await rb(port, [...P, '-n', String(n / 10), 'zrange', 'bench:zset', '0', '99']))['ZRANGE'];
  out.EVALSHA = (await rb(port, [...P, '-n', String(n), 'evalsha', sha, '1', 'key:__rand_int__']))['EVALSHA'];
  out.XADD = (await rb(port, [...P, '-n', String(n), 'xadd', 'bench:stream', '*', 'f', 'v']))['XADD'];
  // Each call consumes 10 of the entries XADD just appended.
  out.XREADGROUP_10 = (await rb(port, [...P, '-n', String(n / 10), 'xreadgroup', 'GROUP', 'g', 'c', 'COUNT', '10', 'STREAMS', 'bench:stream', '>']))['XREADGROUP'];
  out.PUBLISH_FANOUT_100 = await publishFanout(port, n / 10);
  return out;
}

/** 100 subscribers that consume everything; publishes per second from redis-benchmark. */
async function publishFanout(port: number, n: number): Promise<number> {
  const subs: net.Socket[] = [];
  let received = 0;
  for (let i = 0; i < 100; i++) {
    const s = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => s.once('connect', () => r()));
    s.on('data', (d) => (received += d.length));
    s.write('*2\r\n$9\r\nSUBSCRIBE\r\n$8\r\nbench:ch\r\n');
    subs.push(s);
  }
  await new Promise((r) => setTimeout(r, 200));
  const res = await rb(port, ['-c', '10', '-P', '16', '-n', String(n), 'publish', 'bench:ch', 'hello-subscribers']);
  for (const s of subs) s.destroy();
  if (received === 0) throw new Error('subscribers received nothing');
  return res['PUBLISH'];
}

/** Longest PING round trip while a DEL of a 1M-element collection runs, and the DEL's own time. */
async function bigDelete(port: number, type: string): Promise<{ maxPingMs: number; delMs: number }> {
  const c = new Client(port);
  const probe = new Client(port);
  await Promise.all([c.ready(), probe.ready()]);
  const N = 1_000_000;
  const BATCH = 1000;
  for (let i = 0; i < N; i += BATCH * 10) {
    const cmds: (string | number)[][] = [];
    for (let j = i; j < Math.min(N, i + BATCH * 10); j += BATCH) {
      const cmd: (string | number)[] = type === 'list' ? ['RPUSH', 'big'] : type === 'hash' ? ['HSET', 'big'] : type === 'set' ? ['SADD', 'big'] : ['ZADD', 'big'];
      for (let k = j; k < j + BATCH; k++) {
        if (type === 'hash') cmd.push(`f${k}`, 'v');
        else if (type === 'zset') cmd.push(k, `m${k}`);
        else cmd.push(`m${k}`);
      }
      cmds.push(cmd);
    }
    await c.pipeline(cmds);
  }
  let maxPing = 0;
  let stop = false;
  const pinger = (async () => {
    while (!stop) {
      const t = performance.now();
      await probe.cmd('PING');
      maxPing = Math.max(maxPing, performance.now() - t);
    }
  })();
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  await c.cmd('DEL', 'big');
  const delMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 300)); // background freeing, if any, shows up here
  stop = true;
  await pinger;
  c.close();
  probe.close();
  return { maxPingMs: maxPing, delMs };
}

export async function runFamilies(opts: FamiliesOptions): Promise<FamiliesResult> {
  const taken = new Set<number>();
  const servers: Running[] = [];
  const result: FamiliesResult = { options: { rounds: opts.rounds, n: opts.n, servers: opts.servers, bigDelete: opts.bigDelete }, rps: {}, bigDelete: {} };
  try {
    for (const kind of opts.servers) {
      let port = 0;
      while (!port || taken.has(port) || port === 6379) port = 20000 + Math.floor(Math.random() * 10000);
      taken.add(port);
      servers.push(await startServer(kind, port));
    }
    const shas = servers.map(() => ({ v: '' }));
    for (let i = 0; i < servers.length; i++) await setup(servers[i].port, shas[i]);
    for (let r = 0; r < opts.rounds; r++) {
      for (let i = 0; i < servers.length; i++) {
        opts.log(`  families round ${r + 1}/${opts.rounds}: ${servers[i].kind}`);
        const rps = await round(servers[i].port, opts.n, shas[i].v);
        const acc = (result.rps[servers[i].kind] ??= {});
        for (const [k, v] of Object.entries(rps)) (acc[k] ??= []).push(v);
      }
    }
    if (opts.bigDelete) {
      for (const type of ['list', 'hash', 'set', 'zset']) {
        for (const s of servers) {
          opts.log(`  big DEL of a 1M-element ${type}: ${s.kind}`);
          (result.bigDelete[s.kind] ??= {})[type] = await bigDelete(s.port, type);
        }
      }
    }
  } finally {
    for (const s of servers) await stopServer(s);
  }
  return result;
}

const ORDER = ['LPUSH', 'LPOP', 'SADD', 'HSET', 'SPOP', 'ZADD', 'ZPOPMIN', 'ZRANGE_100', 'EVALSHA', 'XADD', 'XREADGROUP_10', 'PUBLISH_FANOUT_100'];

export function familiesTables(r: FamiliesResult): string[] {
  const kinds = Object.keys(r.rps);
  const lines = ratioTable('test (-c 50 -P 16)', r.rps, ORDER);
  if (Object.keys(r.bigDelete).length) {
    lines.push('', `| DEL of a 1M-element value: longest PING round trip / DEL time (ms) | ${kinds.map(serverLabel).join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`);
    for (const type of ['list', 'hash', 'set', 'zset']) {
      lines.push(`| ${type} | ${kinds.map((k) => {
        const b = r.bigDelete[k]?.[type];
        return b ? `${b.maxPingMs.toFixed(1)} / ${b.delMs.toFixed(1)}` : '';
      }).join(' | ')} |`);
    }
  }
  return lines;
}

if (require.main === module) {
  runFamilies({
    rounds: Number(argOf('--rounds', '3')),
    n: Number(argOf('--n', '100000')),
    servers: argOf('--servers', 'js-map,wasm,redis').split(',') as ServerKind[],
    bigDelete: !process.argv.includes('--no-big-del'),
    log: (s) => console.error(s),
  })
    .then((r) => console.log(familiesTables(r).join('\n')))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
