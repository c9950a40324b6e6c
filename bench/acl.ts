/**
 * `npm run bench -- acl`: what ACL checks cost (issue 15's goal: a user with key patterns and
 * categories costs ≤ 5% throughput against the default user). redis-benchmark SET and GET, 50
 * clients, at -P 16 and -P 1, against one Redust server per engine, once as the default user
 * (unrestricted: the check is one field load) and once as a user with key patterns, a read-only
 * pattern and categories; rounds interleaved, medians reported.
 */
import { spawn, execFile, ChildProcess } from 'child_process';
import path from 'path';
import fs from 'fs';
import { Config } from '../src/config/config';
import { createEngine } from '../src/engine';
import type { EngineName } from '../src/engine/types';
import { Server } from '../src/server/server';
import { Client } from '../src/server/client';
import { createLogger } from '../src/observability/logger';
import { freePort } from './lib';

const ROOT = path.resolve(__dirname, '..', '..');

/** The restricted user: redis-benchmark's keys are key:__rand_int__. */
export const BENCH_USER = ['bench', 'on', '>benchpw', '~key:*', '%R~other:*', '~counter:*', '+@read', '+@write', '-@dangerous', '+ping', '+config|get', '&news'];


function cli(port: number, args: string[]): Promise<string> {
  return new Promise((resolve) => execFile('redis-cli', ['-p', String(port), ...args], (e, out) => resolve(e ? '' : out.trim())));
}

function bench(port: number, pipeline: number, n: number, user: boolean): Promise<Record<string, number>> {
  const auth = user ? ['--user', 'bench', '-a', 'benchpw'] : [];
  const args = ['-h', '127.0.0.1', '-p', String(port), ...auth, '-c', '50', '-n', String(n), '-r', '100000', '-t', 'set,get', '-P', String(pipeline), '--csv'];
  return new Promise((resolve, reject) => {
    execFile('redis-benchmark', args, { maxBuffer: 16 << 20 }, (err, stdout) => {
      if (err) return reject(err);
      const out: Record<string, number> = {};
      for (const line of stdout.split('\n')) {
        const m = /^"(\w+)","([\d.]+)"/.exec(line);
        if (m) out[m[1]] = Number(m[2]);
      }
      resolve(out);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface AclBenchRow {
  engine: string;
  pipeline: number;
  user: string;
  SET: number;
  GET: number;
}

export async function runAclBench(rounds: number, n: number, log: (s: string) => void): Promise<AclBenchRow[]> {
  const dir = fs.mkdtempSync('/tmp/redust-bench-acl-');
  const servers: { engine: string; port: number; child: ChildProcess }[] = [];
  const acc = new Map<string, { SET: number[]; GET: number[] }>();
  try {
    for (const engine of ['js-map', 'wasm']) {
      const port = await freePort();
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'redust.js'), '--port', String(port), '--engine', engine, '--dir', dir, '--save', '', '--loglevel', 'warning'], { stdio: 'ignore' });
      servers.push({ engine, port, child });
      for (let i = 0; i < 200 && (await cli(port, ['PING'])) !== 'PONG'; i++) await new Promise((r) => setTimeout(r, 50));
      if ((await cli(port, ['ACL', 'SETUSER', ...BENCH_USER])) !== 'OK') throw new Error('ACL SETUSER failed');
    }
    for (let round = 0; round < rounds; round++) {
      for (const pipeline of [16, 1]) {
        for (const s of servers) {
          for (const user of [false, true]) {
            const r = await bench(s.port, pipeline, pipeline === 16 ? n * 4 : n, user);
            const key = `${s.engine}|${pipeline}|${user ? 'bench' : 'default'}`;
            const a = acc.get(key) ?? { SET: [], GET: [] };
            a.SET.push(r.SET);
            a.GET.push(r.GET);
            acc.set(key, a);
            log(`  round ${round + 1} -P ${pipeline} ${s.engine} ${user ? 'bench' : 'default'}: SET ${r.SET.toFixed(0)} GET ${r.GET.toFixed(0)}`);
          }
        }
      }
    }
  } finally {
    for (const s of servers) s.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows: AclBenchRow[] = [];
  for (const [key, a] of acc) {
    const [engine, p, user] = key.split('|');
    rows.push({ engine, pipeline: Number(p), user, SET: median(a.SET), GET: median(a.GET) });
  }
  return rows;
}

export interface AclPathRow {
  engine: string;
  cmd: string;
  /** Default user's commands per CPU-second (median of its slices). */
  base: number;
  /** base × the median ratio. */
  restricted: number;
  /** Quartiles of the per-pair ratios (restricted ÷ default). */
  low: number;
  high: number;
}

/**
 * The same comparison on the server's command path without the network (as bench/pipeline.ts:
 * parser -> processCommand -> call -> reply, 16 pipelined commands per chunk), which isolates the
 * check from syscalls and the load of a shared machine. Two clients, the default user and the
 * restricted one, run the same commands in short alternating slices (`sliceChunks` chunks each,
 * a few milliseconds; which client goes first alternates too). Each pair of slices gives a ratio
 * of their CPU time, so drift (JIT, GC, other processes) cancels within the pair; the reported
 * ratio is the median over `pairs` pairs, with the middle half of the ratios as its spread.
 */
export function runAclCommandPath(engine: string, keys: number, pairs: number, sliceChunks = 256): AclPathRow[] {
  const server = new Server(new Config({ save: '' }), createEngine(engine as EngineName), { logger: createLogger({ level: 'warning' }) });
  if (server.acl.setUser('bench', BENCH_USER.slice(1)) !== null) throw new Error('ACL SETUSER failed');
  const base = new Client(server, null, server.dbs[0]);
  const restricted = new Client(server, null, server.dbs[0]);
  restricted.aclUser = server.acl.users.get('bench')!;
  restricted.user = 'bench';
  const key = (id: number) => 'key:' + String(id).padStart(12, '0');
  let load = '';
  for (let j = 0; j < keys; j++) load += `*3\r\n$3\r\nSET\r\n$16\r\n${key(j)}\r\n$3\r\nxxx\r\n`;
  server.net.processInput(base, Buffer.from(load, 'latin1'));
  base.writer.take();
  const chunks = (cmd: string): Buffer[] => {
    const out: Buffer[] = [];
    for (let c = 0; c < 4096; c++) {
      let s = '';
      for (let i = 0; i < 16; i++) {
        const k = key(Math.floor(Math.random() * keys));
        s += cmd === 'SET' ? `*3\r\n$3\r\nSET\r\n$16\r\n${k}\r\n$3\r\nxxx\r\n` : cmd === 'GET' ? `*2\r\n$3\r\nGET\r\n$16\r\n${k}\r\n` : `*2\r\n$4\r\nINCR\r\n$16\r\ncounter:${String(Math.floor(Math.random() * keys)).padStart(8, '0')}\r\n`;
      }
      out.push(Buffer.from(s, 'latin1'));
    }
    return out;
  };
  let at = 0;
  /** CPU microseconds for one slice of `client`. */
  const slice = (client: Client, cs: Buffer[]): number => {
    const c0 = process.cpuUsage();
    for (let b = 0; b < sliceChunks; b++) {
      server.net.processInput(client, cs[at++ & 4095]);
      client.writer.take();
    }
    server.engine.backgroundWork(0);
    const cpu = process.cpuUsage(c0);
    return cpu.user + cpu.system;
  };
  const rows: AclPathRow[] = [];
  for (const cmd of ['SET', 'GET', 'INCR']) {
    const cs = chunks(cmd);
    for (let w = 0; w < 20; w++) slice(w & 1 ? base : restricted, cs); // warm both paths up
    const ratios: number[] = [];
    const baseRates: number[] = [];
    for (let r = 0; r < pairs; r++) {
      let tb: number, tr: number;
      if (r & 1) {
        tr = slice(restricted, cs);
        tb = slice(base, cs);
      } else {
        tb = slice(base, cs);
        tr = slice(restricted, cs);
      }
      if (tb <= 0 || tr <= 0) continue;
      ratios.push(tb / tr); // restricted rate / default rate
      baseRates.push((sliceChunks * 16 * 1e6) / tb);
    }
    const sorted = [...ratios].sort((a, b) => a - b);
    const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * f))];
    const b = median(baseRates);
    rows.push({ engine, cmd, base: b, restricted: b * q(0.5), low: q(0.25), high: q(0.75) });
  }
  return rows;
}

export function aclPathTable(rows: AclPathRow[]): string[] {
  const md = ['| engine | command | default user (cmds/CPU-s) | restricted user | ratio (median of pairs) | middle half of the pairs |', '|---|---|---:|---:|---:|---:|'];
  for (const r of rows) md.push(`| ${r.engine} | ${r.cmd} | ${r.base.toFixed(0)} | ${r.restricted.toFixed(0)} | ${(r.restricted / r.base).toFixed(3)}× | ${r.low.toFixed(3)}–${r.high.toFixed(3)}× |`);
  return md;
}

export function aclTable(rows: AclBenchRow[]): string[] {
  const md = ['| engine | -P | user | SET rps | GET rps | SET vs default | GET vs default |', '|---|---:|---|---:|---:|---:|---:|'];
  for (const r of rows) {
    const base = rows.find((x) => x.engine === r.engine && x.pipeline === r.pipeline && x.user === 'default')!;
    md.push(`| ${r.engine} | ${r.pipeline} | ${r.user} | ${r.SET.toFixed(0)} | ${r.GET.toFixed(0)} | ${(r.SET / base.SET).toFixed(2)}× | ${(r.GET / base.GET).toFixed(2)}× |`);
  }
  return md;
}
