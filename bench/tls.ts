/**
 * `npm run bench -- tls`: redis-benchmark over TLS (issue 15) against Redust (both engines, TLS
 * only: `--port 0 --tls-port P`) and real Redis 7.0 over TLS, with the same certificates made by
 * openssl at run time (client certificates required, tls-auth-clients yes). SET and GET at -P 16
 * and at -P 1, 50 clients; rounds interleaved across servers, medians reported.
 */
import { spawn, execFile, ChildProcess } from 'child_process';
import path from 'path';
import fs from 'fs';
import { makeTestCerts, TestCerts } from '../test/helpers/certs';
import { benchWithCpu, freePort } from './lib';

const ROOT = path.resolve(__dirname, '..', '..');


/** One redis-benchmark test over TLS: rps, and the server's CPU µs per request (benchWithCpu). */
function bench(certs: TestCerts, port: number, pid: number, test: string, pipeline: number, n: number): Promise<{ rps: number; cpuUs: number }> {
  const tls = ['--tls', '--cacert', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey];
  return benchWithCpu(port, pid, [...tls, '-c', '50', '-n', String(n), '-r', '100000', '-t', test, '-P', String(pipeline)], n);
}

async function waitTls(certs: TestCerts, port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise<boolean>((resolve) =>
      execFile('redis-cli', ['--tls', '--cacert', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey, '-p', String(port), 'PING'], (e, out) => resolve(!e && out.trim() === 'PONG')),
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`TLS server on ${port} did not start`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export interface TlsBenchRow {
  server: string;
  pipeline: number;
  SET: number;
  GET: number;
  /** Server CPU µs per request */
  SETcpu: number;
  GETcpu: number;
}

export async function runTlsBench(rounds: number, n: number, log: (s: string) => void): Promise<TlsBenchRow[]> {
  const certs = makeTestCerts();
  if (!certs) throw new Error('openssl is not installed');
  const tlsArgs = ['--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.caCert];
  const servers: { name: string; port: number; child: ChildProcess }[] = [];
  const dir = fs.mkdtempSync('/tmp/redust-bench-tls-');
  for (const name of ['redis', 'redust js-map', 'redust wasm']) {
    const port = await freePort();
    const child =
      name === 'redis'
        ? spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning', ...tlsArgs], { stdio: 'ignore' })
        : spawn(process.execPath, [path.join(ROOT, 'bin', 'redust.js'), '--port', '0', '--tls-port', String(port), '--engine', name.split(' ')[1], '--dir', dir, '--loglevel', 'warning', ...tlsArgs], { stdio: 'ignore' });
    servers.push({ name, port, child });
    await waitTls(certs, port);
  }
  const acc = new Map<string, { SET: number[]; GET: number[]; SETcpu: number[]; GETcpu: number[] }>();
  try {
    // Each server warmed up first, uncounted (as the e2e, AOF and types groups do): a fresh
    // Node process's first run carries V8's compilation of the request path.
    for (const s of servers) {
      log(`  warming ${s.name} up`);
      for (const test of ['set', 'get']) for (const pipeline of [16, 1]) await bench(certs, s.port, s.child.pid!, test, pipeline, n / 4);
    }
    for (let round = 0; round < rounds; round++) {
      for (const pipeline of [16, 1]) {
        for (const s of servers) {
          const count = pipeline === 16 ? n * 4 : n;
          const set = await bench(certs, s.port, s.child.pid!, 'set', pipeline, count);
          const get = await bench(certs, s.port, s.child.pid!, 'get', pipeline, count);
          const key = `${s.name}|${pipeline}`;
          const a = acc.get(key) ?? { SET: [], GET: [], SETcpu: [], GETcpu: [] };
          a.SET.push(set.rps);
          a.GET.push(get.rps);
          a.SETcpu.push(set.cpuUs);
          a.GETcpu.push(get.cpuUs);
          acc.set(key, a);
          log(`  round ${round + 1} -P ${pipeline} ${s.name}: SET ${set.rps.toFixed(0)} GET ${get.rps.toFixed(0)}`);
        }
      }
    }
  } finally {
    for (const s of servers) s.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const rows: TlsBenchRow[] = [];
  for (const [key, a] of acc) {
    const [server, p] = key.split('|');
    rows.push({ server, pipeline: Number(p), SET: median(a.SET), GET: median(a.GET), SETcpu: median(a.SETcpu), GETcpu: median(a.GETcpu) });
  }
  return rows;
}

export function tlsTable(rows: TlsBenchRow[]): string[] {
  const md = [
    '| server | -P | SET rps | GET rps | SET vs Redis | GET vs Redis | SET CPU µs/req | GET CPU µs/req | SET CPU, Redis ÷ this | GET CPU, Redis ÷ this |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const ref = rows.find((x) => x.server === 'redis' && x.pipeline === r.pipeline)!;
    md.push(
      `| ${r.server} | ${r.pipeline} | ${r.SET.toFixed(0)} | ${r.GET.toFixed(0)} | ${(r.SET / ref.SET).toFixed(2)}× | ${(r.GET / ref.GET).toFixed(2)}× | ` +
        `${r.SETcpu.toFixed(2)} | ${r.GETcpu.toFixed(2)} | ${(ref.SETcpu / r.SETcpu).toFixed(2)}× | ${(ref.GETcpu / r.GETcpu).toFixed(2)}× |`,
    );
  }
  return md;
}
