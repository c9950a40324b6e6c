/**
 * Small pieces the benchmark groups share: a pipelining RESP client for setup and probes,
 * redis-benchmark runs with custom commands, command-line flags, and the side-by-side table
 * (each server's median with its ratio to redis-server).
 */
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import { median, type Running } from './e2e';
import { RespReader, RespNode } from '../src/protocol/resp-reader';

/**
 * `rounds` interleaved rounds over `servers` (each server in turn, round after round): `round`
 * runs one server's tests, recording their CPU per request in the record it is given, and returns
 * their rates, gathered into `rps` per server and test.
 */
export async function interleavedRounds(
  group: string,
  servers: Running[],
  rounds: number,
  log: (s: string) => void,
  rps: Record<string, Record<string, number[]>>,
  cpu: Record<string, Record<string, number[]>>,
  round: (s: Running, cpu: Record<string, number[]>) => Promise<Record<string, number>>,
): Promise<void> {
  for (let r = 0; r < rounds; r++) {
    for (const s of servers) {
      log(`  ${group} round ${r + 1}/${rounds}: ${s.kind}`);
      const got = await round(s, (cpu[s.kind] ??= {}));
      const acc = (rps[s.kind] ??= {});
      for (const [k, v] of Object.entries(got)) (acc[k] ??= []).push(v);
    }
  }
}

/** A minimal pipelining RESP client. Arguments may be strings, numbers or raw bytes. */
export class BenchClient {
  private readonly reader = new RespReader();
  private readonly waiting: ((n: RespNode) => void)[] = [];
  readonly sock: net.Socket;
  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.sock.on('data', (d) => {
      for (const n of this.reader.feed(d)) this.waiting.shift()?.(n);
    });
  }
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sock.once('connect', () => resolve());
      this.sock.once('error', reject);
    });
  }
  /** Send several commands in one write; resolves with all replies. */
  pipeline(cmds: (string | number | Buffer)[][]): Promise<RespNode[]> {
    const parts: Buffer[] = [];
    const replies: Promise<RespNode>[] = [];
    for (const c of cmds) {
      parts.push(Buffer.from(`*${c.length}\r\n`));
      for (const a of c) {
        const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
        parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
      }
      replies.push(new Promise((r) => this.waiting.push(r)));
    }
    this.sock.write(Buffer.concat(parts));
    return Promise.all(replies);
  }
  async cmd(...args: (string | number | Buffer)[]): Promise<RespNode> {
    return (await this.pipeline([args]))[0];
  }
  close(): void {
    this.sock.destroy();
  }
}

/**
 * A free TCP port on 127.0.0.1, chosen by the kernel (listen on 0), never 6379. Every bench
 * starts its servers on one: a random port can be in use (the scripting group once picked one
 * inside the ephemeral range that a client socket held, and its server exited).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => (p === 6379 ? freePort().then(resolve, reject) : resolve(p)));
    });
  });
}

/**
 * redis-benchmark with built-in tests (-t) or one custom command; rps per test, keyed by the
 * test's first word in upper case ("LPUSH", "BITCOUNT").
 */
export async function runRedisBenchmark(port: number, args: string[]): Promise<Record<string, number>> {
  const full = await runRedisBenchmarkFull(port, args);
  return Object.fromEntries(Object.entries(full).map(([t, r]) => [t, r.rps]));
}

/** runRedisBenchmark with each test's p99 latency (ms) from the CSV's p99_latency_ms column. */
export function runRedisBenchmarkFull(port: number, args: string[]): Promise<Record<string, { rps: number; p99: number }>> {
  const all = ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', all, { maxBuffer: 16 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const out: Record<string, { rps: number; p99: number }> = {};
      for (const line of stdout.split('\n')) {
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        const m = /^"([^"]+)","([\d.]+)"(?:,"[\d.]+"){3},"[\d.]+","([\d.]+)"/.exec(line.trim()) ?? /^"([^"]+)","([\d.]+)"/.exec(line.trim());
        if (m) out[m[1].split(' ')[0].toUpperCase()] = { rps: Number(m[2]), p99: m[3] === undefined ? NaN : Number(m[3]) };
      }
      resolve(out);
    });
  });
}

/** Clock ticks per second of /proc's CPU times (getconf CLK_TCK; 100 on Linux). */
let clockTicks = 0;

/**
 * CPU time of process `pid` (user + system, all its threads: V8's GC and libuv's pool count too),
 * in microseconds, from /proc/<pid>/stat; NaN where /proc is missing.
 */
export function cpuMicros(pid: number): number {
  try {
    if (clockTicks === 0) clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // Fields after the parenthesised command name (which may hold spaces): utime is the 14th field.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / clockTicks;
  } catch {
    return NaN;
  }
}

/**
 * One redis-benchmark test (a custom command or a single -t test, `requests` = its -n) with the
 * server's CPU time per request in µs. Throughput on a shared machine moves with the load (other
 * processes take the cores); CPU time per request is what the server itself spends, so the two
 * together show whether a ratio comes from Redust or from the machine.
 */
export async function benchWithCpu(port: number, pid: number, args: string[], requests: number): Promise<{ rps: number; cpuUs: number; p99: number }> {
  const c0 = cpuMicros(pid);
  const all = await runRedisBenchmarkFull(port, args);
  const c1 = cpuMicros(pid);
  // The test asked for: some built-in tests run a preparation first ("LPUSH (needed to benchmark
  // LRANGE)"), listed before them. Such tests are best given as custom commands, whose CPU is theirs.
  const t = args.indexOf('-t');
  const r = t >= 0 ? all[args[t + 1].toUpperCase()] : Object.values(all)[0];
  if (r === undefined) throw new Error(`redis-benchmark ${args.join(' ')}: no result for the test`);
  return { rps: r.rps, cpuUs: (c1 - c0) / requests, p99: r.p99 };
}

/**
 * The CPU companion of ratioTable: per test and server, the median server CPU µs per request,
 * and for Redust Redis's CPU per request divided by Redust's (above 1.00: less CPU than Redis).
 */
export function cpuTable(title: string, cpu: Record<string, Record<string, number[]>>, tests: string[]): string[] {
  const kinds = Object.keys(cpu);
  const redis = cpu['redis'];
  const lines = [`| ${title} | ${kinds.map((k) => `${serverLabel(k)} CPU µs/req`).join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`];
  for (const t of tests) {
    const cells = kinds.map((k) => {
      const v = median(cpu[k][t] ?? []);
      if (Number.isNaN(v)) return '–';
      const ref = redis ? median(redis[t] ?? []) : NaN;
      return k === 'redis' || Number.isNaN(ref) ? v.toFixed(2) : `${v.toFixed(2)} (${(ref / v).toFixed(2)}×)`;
    });
    lines.push(`| ${t} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** The value after a command-line flag, or the default. */
export function argOf(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

export function serverLabel(kind: string): string {
  return kind === 'redis' ? 'redis-server' : `Redust (${kind})`;
}

/**
 * A markdown table: one row per test, one column per server, each cell the median rps over
 * rounds with its ratio to redis-server's median in parentheses.
 */
export function ratioTable(title: string, rps: Record<string, Record<string, number[]>>, tests: string[]): string[] {
  const kinds = Object.keys(rps);
  const redis = rps['redis'];
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const lines = [`| ${title} | ${kinds.map(serverLabel).join(' | ')} |`, `|---|${kinds.map(() => '---:').join('|')}|`];
  for (const t of tests) {
    const cells = kinds.map((k) => {
      const v = median(rps[k][t] ?? []);
      const ref = redis ? median(redis[t] ?? []) : NaN;
      return k === 'redis' || !redis ? fmt(v) : `${fmt(v)} (${(v / ref).toFixed(2)}×)`;
    });
    lines.push(`| ${t} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** Deterministic uniform numbers in [0, 1) (Mulberry32), so every server gets the same data. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A full `npm run bench` regenerates the top-level (`## `) sections it writes; everything else in
 * docs/benchmarks.md (the sections of the groups, hand-written notes between them) stays. The old
 * file is cut into blocks at each `## ` heading and each `<!-- ` marker line; a block whose heading
 * the new output has is replaced in place, new headings go after the last replaced one, and the
 * text before the first heading is the new output's.
 */
export function spliceGenerated(previous: string, generated: string): string {
  const cut = (text: string, at: (line: string) => boolean): string[][] => {
    const blocks: string[][] = [[]];
    for (const line of text.split('\n')) {
      if (at(line)) blocks.push([]);
      blocks[blocks.length - 1].push(line);
    }
    return blocks;
  };
  const fresh = cut(generated.replace(/\n+$/, ''), (l) => l.startsWith('## '));
  const byHeading = new Map(fresh.slice(1).map((b) => [b[0], b]));
  const old = cut(previous, (l) => l.startsWith('## ') || l.startsWith('<!-- '));
  const out: string[][] = [fresh[0]];
  const used = new Set<string>();
  let lastReplaced = 0;
  for (const b of old.slice(1)) {
    const nb = byHeading.get(b[0]);
    if (nb) {
      used.add(b[0]);
      out.push([...nb, '']);
      lastReplaced = out.length;
    } else out.push(b);
  }
  const missing = fresh.slice(1).filter((b) => !used.has(b[0])).map((b) => [...b, '']);
  out.splice(lastReplaced === 0 ? 1 : lastReplaced, 0, ...missing);
  return out.map((b) => b.join('\n')).join('\n').replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n');
}

/** A numeric field of an INFO reply (`name:123` on its own line); NaN when absent. */
export function infoField(info: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : NaN;
}

/** The text of a bulk, simple or verbatim reply ('' for any other). */
export function replyText(n: RespNode): string {
  return n.t === 'bulk' || n.t === 'simple' || n.t === 'verbatim' ? n.v.toString() : '';
}
