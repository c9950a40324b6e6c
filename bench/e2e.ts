/**
 * End-to-end comparison with redis-benchmark: Redust (js-map), Redust (wasm) and a real
 * redis-server, each a separate process on a free port (never 6379).
 *
 * Method (the machine is small and shared, so noise is large):
 * - Every server is preloaded with the same ~1M keys redis-benchmark's `-r 1000000` draws from
 *   (key:000000000000 .. key:000000999999, 3-byte values as with its default -d 3), so GETs hit
 *   and SETs overwrite, then its RSS is read from /proc.
 * - A short warm-up run per server (V8's JIT) is not counted.
 * - Runs are INTERLEAVED: round r runs every (server, pipeline) in turn, so a burst of load from
 *   elsewhere hits all servers alike; the reported figure is the median over rounds.
 *
 *   node dist/bench/e2e.js [--keys 1000000] [--rounds 3] [--n 200000] [--servers js-map,wasm,redis]
 *   (a server may be given as js-map@/path/to/other/checkout to compare before/after builds)
 */
import { spawn, execFile, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

/** 'js-map', 'wasm', 'redis', or 'js-map@/other/checkout' to run Redust from another tree (before/after). */
export type ServerKind = 'js-map' | 'wasm' | 'redis' | `${'js-map' | 'wasm'}@${string}`;

export interface E2EOptions {
  keys: number;
  rounds: number;
  /** Requests per redis-benchmark run at -P 1 (-P 16 runs use 4x). */
  n: number;
  servers: ServerKind[];
  clients: number;
  log: (s: string) => void;
}

export interface E2EServerResult {
  kind: ServerKind;
  /** Process RSS before and after loading the keys, bytes. */
  rssEmpty: number;
  rssLoaded: number;
  /** RSS after the benchmark runs (client buffers, allocator high-water marks). */
  rssEnd: number;
  /** INFO used_memory after loading. */
  usedMemory: number;
  loadSeconds: number;
  /** test name ("SET P1") -> rps per round. */
  rps: Record<string, number[]>;
}

export interface E2EResult {
  options: Omit<E2EOptions, 'log'>;
  servers: E2EServerResult[];
}

const ROOT = path.resolve(__dirname, '..', '..');

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const p = 20000 + Math.floor(Math.random() * 10000);
    if (p === 6379 || taken.has(p)) continue;
    if (await portFree(p)) {
      taken.add(p);
      return p;
    }
  }
}

export function rssOf(pid: number): number {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(s);
  return m ? Number(m[1]) * 1024 : NaN;
}

/** One RESP round trip helper over a plain socket (no client library in the measurement path). */
class Conn {
  private sock: net.Socket;
  private chunks: Buffer[] = [];
  private waiters: (() => void)[] = [];
  private received = 0;

  constructor(port: number) {
    this.sock = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.received += d.length;
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  async ready(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.sock.once('connect', () => resolve());
      this.sock.once('error', reject);
    });
  }

  /** Send bytes and wait until `replyBytes` bytes of reply arrived. */
  async send(data: Buffer, replyBytes: number): Promise<Buffer> {
    this.chunks = [];
    this.received = 0;
    this.sock.write(data);
    while (this.received < replyBytes) await new Promise<void>((r) => this.waiters.push(r));
    return Buffer.concat(this.chunks);
  }

  /** One command whose reply ends with CRLF after the given marker (good enough for INFO). */
  async command(...args: string[]): Promise<string> {
    let s = `*${args.length}\r\n`;
    for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.chunks = [];
    this.received = 0;
    this.sock.write(s);
    for (;;) {
      const buf = Buffer.concat(this.chunks).toString('latin1');
      if (buf.startsWith('$')) {
        const nl = buf.indexOf('\r\n');
        const len = Number(buf.slice(1, nl));
        if (len < 0 || buf.length >= nl + 2 + len + 2) return buf.slice(nl + 2, nl + 2 + Math.max(0, len));
      } else if (buf.endsWith('\r\n')) return buf;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  close(): void {
    this.sock.destroy();
  }
}

/** SET key:%012d xxx for ids [0, keys), pipelined in batches. */
async function load(port: number, keys: number): Promise<void> {
  const c = new Conn(port);
  await c.ready();
  const BATCH = 20000;
  for (let i = 0; i < keys; i += BATCH) {
    const end = Math.min(keys, i + BATCH);
    const parts: string[] = [];
    for (let j = i; j < end; j++) parts.push(`*3\r\n$3\r\nSET\r\n$16\r\nkey:${String(j).padStart(12, '0')}\r\n$3\r\nxxx\r\n`);
    await c.send(Buffer.from(parts.join(''), 'latin1'), (end - i) * 5);
  }
  c.close();
}

export interface Running {
  kind: ServerKind;
  port: number;
  proc: ChildProcess;
  dir: string;
}

async function waitPing(port: number, proc: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server on port ${port} exited with ${proc.exitCode}`);
    try {
      const c = new Conn(port);
      await c.ready();
      const r = await c.command('PING');
      c.close();
      if (r.startsWith('+PONG')) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Start one server on `port`; `redustArgs` are extra command-line options for Redust only. */
export async function startServer(kind: ServerKind, port: number, redustArgs: string[] = []): Promise<Running> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redust-bench-${kind.replace(/[^a-z-]/g, '_')}-`));
  let proc: ChildProcess;
  if (kind === 'redis') {
    proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  } else {
    const [engine, root] = kind.split('@');
    proc = spawn(process.execPath, [path.join(root ?? ROOT, 'bin', 'redust.js'), '--port', String(port), '--engine', engine, '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...redustArgs], {
      stdio: 'ignore',
      cwd: dir,
    });
  }
  await waitPing(port, proc);
  return { kind, port, proc, dir };
}

export async function stopServer(s: Running): Promise<void> {
  if (s.proc.exitCode === null) {
    const exited = new Promise<void>((r) => s.proc.once('exit', () => r()));
    s.proc.kill('SIGKILL');
    await exited;
  }
  fs.rmSync(s.dir, { recursive: true, force: true });
}

/** Run redis-benchmark once; returns rps per test ("SET", "GET"). */
export function redisBenchmark(port: number, clients: number, n: number, pipeline: number, tests = 'set,get'): Promise<Record<string, number>> {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-c', String(clients), '-n', String(n), '-r', '1000000', '-t', tests, '-P', String(pipeline), '--csv'];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { maxBuffer: 16 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const out: Record<string, number> = {};
      for (const line of stdout.split('\n')) {
        const m = /^"([A-Z]+)[^"]*","([\d.]+)"/.exec(line.trim());
        if (m) out[m[1]] = Number(m[2]);
      }
      resolve(out);
    });
  });
}

async function infoUsedMemory(port: number): Promise<number> {
  const c = new Conn(port);
  await c.ready();
  const info = await c.command('INFO', 'memory');
  c.close();
  const m = /used_memory:(\d+)/.exec(info);
  return m ? Number(m[1]) : NaN;
}

export async function runE2E(opts: E2EOptions): Promise<E2EResult> {
  const log = opts.log;
  const taken = new Set<number>();
  const running: Running[] = [];
  const results: E2EServerResult[] = [];
  try {
    for (const kind of opts.servers) {
      const port = await freePort(taken);
      const s = await startServer(kind, port);
      running.push(s);
      await new Promise((r) => setTimeout(r, 300));
      const rssEmpty = rssOf(s.proc.pid!);
      const t0 = performance.now();
      await load(port, opts.keys);
      const loadSeconds = (performance.now() - t0) / 1000;
      // Let the server finish background work (incremental rehash) before reading RSS.
      await new Promise((r) => setTimeout(r, 1500));
      const r: E2EServerResult = {
        kind,
        rssEmpty,
        rssLoaded: rssOf(s.proc.pid!),
        rssEnd: 0,
        usedMemory: await infoUsedMemory(port),
        loadSeconds,
        rps: {},
      };
      log(`  ${kind.padEnd(6)} port ${port}: loaded ${opts.keys} keys in ${loadSeconds.toFixed(1)} s, RSS ${(r.rssLoaded / 2 ** 20).toFixed(0)} MiB (${((r.rssLoaded - rssEmpty) / opts.keys).toFixed(0)} B/key)`);
      results.push(r);
    }
    // Warm-up (JIT), not counted.
    for (const s of running) {
      await redisBenchmark(s.port, opts.clients, Math.max(20000, opts.n / 4), 1);
      await redisBenchmark(s.port, opts.clients, Math.max(50000, opts.n), 16);
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const pipeline of [1, 16]) {
        for (let i = 0; i < running.length; i++) {
          const s = running[i];
          const n = pipeline === 1 ? opts.n : opts.n * 4;
          const rps = await redisBenchmark(s.port, opts.clients, n, pipeline);
          for (const [test, v] of Object.entries(rps)) (results[i].rps[`${test} P${pipeline}`] ??= []).push(v);
          log(`  round ${round} P${pipeline} ${s.kind.padEnd(6)} ${Object.entries(rps).map(([t, v]) => `${t} ${Math.round(v)}`).join('  ')}`);
        }
      }
    }
    for (let i = 0; i < running.length; i++) results[i].rssEnd = rssOf(running[i].proc.pid!);
  } finally {
    for (const s of running) await stopServer(s);
  }
  const { log: _l, ...rest } = opts;
  return { options: rest, servers: results };
}

/** Table rows: median rps per test and the ratio to redis. */
export function e2eTable(r: E2EResult): string[] {
  const tests = ['SET P1', 'GET P1', 'SET P16', 'GET P16'];
  const redis = r.servers.find((s) => s.kind === 'redis');
  const lines: string[] = [];
  lines.push(`| server | ${tests.map((t) => `${t} (rps, ×Redis)`).join(' | ')} | RSS loaded | RSS/key | used_memory/key | RSS after runs |`);
  lines.push(`|---|${tests.map(() => '---:').join('|')}|---:|---:|---:|---:|`);
  for (const s of r.servers) {
    const cells = tests.map((t) => {
      const m = median(s.rps[t] ?? []);
      const base = redis ? median(redis.rps[t] ?? []) : NaN;
      const ratio = Number.isFinite(base) ? ` (${(m / base).toFixed(2)}×)` : '';
      return `${Math.round(m).toLocaleString('en-US')}${ratio}`;
    });
    const perKey = (s.rssLoaded - s.rssEmpty) / r.options.keys;
    lines.push(`| ${s.kind === 'redis' ? 'redis-server' : `Redust (${s.kind})`} | ${cells.join(' | ')} | ${(s.rssLoaded / 2 ** 20).toFixed(0)} MiB | ${perKey.toFixed(0)} B | ${(s.usedMemory / r.options.keys).toFixed(0)} B | ${(s.rssEnd / 2 ** 20).toFixed(0)} MiB |`);
  }
  return lines;
}

function argOf(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

if (require.main === module) {
  const opts: E2EOptions = {
    keys: Number(argOf('--keys', '1000000')),
    rounds: Number(argOf('--rounds', '3')),
    n: Number(argOf('--n', '200000')),
    clients: Number(argOf('--clients', '50')),
    servers: argOf('--servers', 'js-map,wasm,redis').split(',') as ServerKind[],
    log: (s) => console.log(s),
  };
  runE2E(opts)
    .then((r) => {
      for (const l of e2eTable(r)) console.log(l);
      const raw = argOf('--json', '');
      if (raw) fs.writeFileSync(raw, JSON.stringify(r, null, 2));
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
