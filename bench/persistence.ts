/**
 * `npm run bench -- persistence`: RDB persistence side by side with Redis in one run, for 1M
 * strings, for 100k mixed collections (lists, hashes, sets, zsets of 10 elements, and strings)
 * and for 1M of those mixed keys (the issue's stall goal: 1M keys of mixed types):
 * SAVE time, BGSAVE time, the longest PING round trip during BGSAVE, extra memory during BGSAVE
 * (server RSS peak minus before for Redust; Redis: rdb_last_cow_size of its child, plus its fork
 * stall latest_fork_usec), and the load time at start (the server's own "DB loaded from disk"
 * figure). Servers: redis-server, `bin/redust.js --engine wasm` and `--engine js-map`, each in
 * its own temp dir on a free port with `save ""`. Writes docs/benchmarks-persistence.md.
 */
import { spawn, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { freePort } from './lib';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redust.js');
type Kind = 'redis' | 'wasm' | 'js-map';
/** Starts over the saved file per server and case; the load time reported is their median. */
const LOAD_STARTS = 3;

/** A minimal RESP client: one command at a time, replies as strings (errors prefixed '-'). */
class Conn {
  private buf = '';
  private waiters: ((v: string) => void)[] = [];
  constructor(private readonly s: net.Socket) {
    s.setNoDelay(true);
    s.on('data', (d) => {
      this.buf += d.toString('latin1');
      this.drain();
    });
  }
  static connect(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Conn(s)));
      s.once('error', reject);
    });
  }
  private drain(): void {
    while (this.waiters.length) {
      const m = /^([+\-:][^\r]*\r\n|\$(-?\d+)\r\n)/.exec(this.buf);
      if (!m) return;
      if (m[2] !== undefined) {
        const n = Number(m[2]);
        const hl = m[0].length;
        if (n < 0) {
          this.buf = this.buf.slice(hl);
          this.waiters.shift()!('');
          continue;
        }
        if (this.buf.length < hl + n + 2) return;
        const v = this.buf.slice(hl, hl + n);
        this.buf = this.buf.slice(hl + n + 2);
        this.waiters.shift()!(v);
      } else {
        this.buf = this.buf.slice(m[0].length);
        this.waiters.shift()!(m[0].slice(0, -2).replace(/^[+:]/, ''));
      }
    }
  }
  send(...a: (string | number)[]): Promise<string> {
    return new Promise((r) => {
      this.waiters.push(r);
      this.s.write(`*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join(''));
    });
  }
  close(): void {
    this.s.destroy();
  }
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Running {
  child: ChildProcess;
  port: number;
  log: () => string;
}

async function start(kind: Kind, dir: string, port: number): Promise<Running> {
  let out = '';
  const child =
    kind === 'redis'
      ? spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', '', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, ['--max-old-space-size=8192', BIN, '--port', String(port), '--engine', kind, '--dir', dir, '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + 120_000;
  while (!/Ready to accept connections/.test(out)) {
    if (child.exitCode !== null || Date.now() > end) throw new Error(`${kind} did not start: ${out}`);
    await sleep(10);
  }
  return { child, port, log: () => out };
}

async function stop(r: Running): Promise<void> {
  if (r.child.exitCode !== null) return;
  const gone = new Promise((res) => r.child.once('exit', res));
  r.child.kill('SIGKILL');
  await gone;
}

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function cmd(args: (string | number)[]): string {
  return `*${args.length}\r\n` + args.map((x) => `$${Buffer.byteLength(String(x))}\r\n${x}\r\n`).join('');
}

/** Fill a server through `redis-cli --pipe`. */
function populate(port: number, data: 'strings' | 'mixed', n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const cli = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'ignore', 'inherit'] });
    cli.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-cli --pipe exit ${code}`))));
    let i = 0;
    const ten = Array.from({ length: 10 }, (_, j) => j);
    const write = () => {
      while (i < n) {
        let chunk = '';
        for (let j = 0; j < 1000 && i < n; j++, i++) {
          if (data === 'strings' || i % 5 === 0) chunk += cmd(['SET', `key:${i}`, `value:${i}`]);
          else if (i % 5 === 1) chunk += cmd(['RPUSH', `list:${i}`, ...ten.map((x) => `e${x}`)]);
          else if (i % 5 === 2) chunk += cmd(['HSET', `hash:${i}`, ...ten.flatMap((x) => [`f${x}`, `v${x}`])]);
          else if (i % 5 === 3) chunk += cmd(['SADD', `set:${i}`, ...ten.map((x) => `m${x}`)]);
          else chunk += cmd(['ZADD', `zset:${i}`, ...ten.flatMap((x) => [x, `m${x}`])]);
        }
        if (!cli.stdin!.write(chunk)) {
          cli.stdin!.once('drain', write);
          return;
        }
      }
      cli.stdin!.end();
    };
    write();
  });
}

function field(info: string, name: string): string {
  return new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1].trim() ?? '';
}

export interface PersistenceRow {
  kind: Kind;
  /** The case: 'strings', 'mixed' or 'mixed-big' (the same data as 'mixed', more keys). */
  data: string;
  keys: number;
  fileBytes: number;
  saveMs: number;
  bgsaveMs: number;
  maxPingMs: number;
  extraBytes: number;
  cowBytes: number;
  forkUs: number;
  loadMs: number;
}

async function measure(kind: Kind, data: 'strings' | 'mixed', n: number, label: string = data): Promise<PersistenceRow> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redust-pbench-${kind}-`));
  const port = await freePort();
  let srv = await start(kind, dir, port);
  try {
    await populate(port, data, n);
    const c = await Conn.connect(port);
    const keys = Number(await c.send('DBSIZE'));
    let t = performance.now();
    const saveReply = await c.send('SAVE');
    const saveMs = performance.now() - t;
    if (saveReply !== 'OK') throw new Error(`SAVE: ${saveReply}`);
    const fileBytes = fs.statSync(path.join(dir, 'dump.rdb')).size;
    // BGSAVE with a PING loop on one connection and INFO polling on another.
    const p = await Conn.connect(port);
    const rss0 = rssOf(srv.child.pid!);
    let rssPeak = rss0;
    t = performance.now();
    const r = await c.send('BGSAVE');
    if (!/started/.test(r)) throw new Error(`BGSAVE: ${r}`);
    let done = false;
    let maxPing = 0;
    const pinger = (async () => {
      while (!done) {
        const a = performance.now();
        await p.send('PING');
        maxPing = Math.max(maxPing, performance.now() - a);
      }
    })();
    let info = '';
    for (;;) {
      info = await c.send('INFO', 'persistence');
      rssPeak = Math.max(rssPeak, rssOf(srv.child.pid!));
      if (field(info, 'rdb_bgsave_in_progress') === '0') break;
      await sleep(5);
    }
    const bgsaveMs = performance.now() - t;
    done = true;
    await pinger;
    if (field(info, 'rdb_last_bgsave_status') !== 'ok') throw new Error('BGSAVE failed');
    const cowBytes = Number(field(info, 'rdb_last_cow_size'));
    const forkUs = kind === 'redis' ? Number(field(await c.send('INFO', 'stats'), 'latest_fork_usec')) : 0;
    c.close();
    p.close();
    await stop(srv);
    // Load at start: the server's own figure, the median of LOAD_STARTS starts (one start's
    // figure moves by ±20% on a shared host).
    const loads: number[] = [];
    for (let i = 0; i < LOAD_STARTS; i++) {
      if (i > 0) await stop(srv);
      srv = await start(kind, dir, port);
      const m = /DB loaded from disk: ([\d.]+) seconds/.exec(srv.log());
      loads.push(m ? Number(m[1]) * 1000 : NaN);
    }
    loads.sort((a, b) => a - b);
    const loadMs = loads[LOAD_STARTS >> 1];
    return { kind, data: label, keys, fileBytes, saveMs, bgsaveMs, maxPingMs: maxPing, extraBytes: kind === 'redis' ? cowBytes : rssPeak - rss0, cowBytes, forkUs, loadMs };
  } finally {
    await stop(srv);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `mixedBig`: keys of the 1M mixed-types case (0 skips it); `bigEngines`: the Redust engines run
 * for it (js-map takes about 3x Redis's time to load and save it, so it can be left out).
 */
export async function runPersistence(opts: { strings: number; mixed: number; mixedBig: number; bigEngines?: Kind[]; out: string }): Promise<PersistenceRow[]> {
  const rows: PersistenceRow[] = [];
  const cases = [
    { label: 'strings', data: 'strings', n: opts.strings, kinds: ['redis', 'wasm', 'js-map'] },
    { label: 'mixed', data: 'mixed', n: opts.mixed, kinds: ['redis', 'wasm', 'js-map'] },
    { label: 'mixed-big', data: 'mixed', n: opts.mixedBig, kinds: ['redis', ...(opts.bigEngines ?? ['wasm', 'js-map'])] },
  ] as const;
  for (const { label, data, n, kinds } of cases) {
    if (n <= 0) continue;
    for (const kind of kinds as readonly Kind[]) {
      console.log(`persistence: ${kind}, ${n} ${data}`);
      const row = await measure(kind, data, n, label);
      console.log(JSON.stringify(row));
      rows.push(row);
    }
  }
  const md = persistenceReport(rows);
  fs.writeFileSync(opts.out, md.join('\n') + '\n');
  console.log(md.join('\n'));
  return rows;
}

function persistenceReport(rows: PersistenceRow[]): string[] {
  const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;
  const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
  const md = [
    '# Persistence benchmarks',
    '',
    `Generated by \`npm run bench -- persistence\` (bench/persistence.ts) on ${new Date().toISOString()}; ` +
      `${os.availableParallelism?.() ?? os.cpus().length} cores, load average at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}. ` +
      'The machine is shared: read ratios, to about ±20%.',
    '',
    'SAVE and BGSAVE are timed from the client (BGSAVE until INFO shows it finished, polled every 5 ms); ' +
      'the longest PING is one connection pinging back to back during BGSAVE; extra memory is the server RSS peak ' +
      "minus before for Redust (sampled with each poll) and Redis's rdb_last_cow_size (its child's copy-on-write); " +
      'load is the "DB loaded from disk" time each server logs at start (median of 3 starts).',
    '',
  ];
  for (const data of ['strings', 'mixed', 'mixed-big']) {
    const rs = rows.filter((r) => r.data === data);
    if (!rs.length) continue;
    const redis = rs.find((r) => r.kind === 'redis');
    md.push(`## ${rs[0].keys.toLocaleString('en-US')} keys: ${data === 'strings' ? 'strings' : 'mixed types (1/5 each: strings, 10-element lists, hashes, sets, zsets)'}`, '');
    if (data === 'mixed-big') {
      md.push(
        [
          "The issue's stall goal: no event-loop stall over 10 ms while saving 1M keys of mixed types (the data of the mixed case above, more keys; `--mixed-big N`).",
          ...(rs.some((r) => r.kind === 'js-map') ? [] : ['Redust js-map is left out of this case (`--mixed-big-engines wasm`).']),
        ].join(' '),
        '',
      );
    }
    md.push('| server | file | SAVE | BGSAVE | longest PING during BGSAVE | extra memory during BGSAVE | fork stall | load at start |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rs) {
      const ratio = (a: number, b: number | undefined) => (r.kind !== 'redis' && b ? ` (${(a / b).toFixed(2)}×)` : '');
      md.push(
        `| ${r.kind === 'redis' ? 'Redis 7.0' : `Redust ${r.kind}`} | ${mb(r.fileBytes)} | ${ms(r.saveMs)}${ratio(r.saveMs, redis?.saveMs)} | ${ms(r.bgsaveMs)}${ratio(r.bgsaveMs, redis?.bgsaveMs)} | ${r.maxPingMs.toFixed(1)} ms | ${mb(r.extraBytes)} | ${r.kind === 'redis' ? `${(r.forkUs / 1000).toFixed(1)} ms` : 'none (no fork)'} | ${ms(r.loadMs)}${ratio(r.loadMs, redis?.loadMs)} |`,
      );
    }
    md.push('');
  }
  return md;
}
