/**
 * Small pieces the benchmark groups share: a pipelining RESP client for setup and probes,
 * redis-benchmark runs with custom commands, command-line flags, and the side-by-side table
 * (each server's median with its ratio to redis-server).
 */
import { execFile } from 'child_process';
import * as net from 'net';
import { median } from './e2e';
import { RespReader, RespNode } from '../src/protocol/resp-reader';

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
 * redis-benchmark with built-in tests (-t) or one custom command; rps per test, keyed by the
 * test's first word in upper case ("LPUSH", "BITCOUNT").
 */
export function runRedisBenchmark(port: number, args: string[]): Promise<Record<string, number>> {
  const all = ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', all, { maxBuffer: 16 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const out: Record<string, number> = {};
      for (const line of stdout.split('\n')) {
        const m = /^"([^"]+)","([\d.]+)"/.exec(line.trim());
        if (m) out[m[1].split(' ')[0].toUpperCase()] = Number(m[2]);
      }
      resolve(out);
    });
  });
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
