/**
 * The append-only file, proven and measured against real Redis 7.0 (issue 13). Two groups, each
 * writing its own section of docs/benchmarks.md (bench/run.ts SECTION_GROUPS):
 *
 *   npm run bench -- durability [--cycles 50] [--everysec-cycles 10] [--writers 4] [--redis-always-cycles 10]
 *     Several clients write (each its own keys: INCR n:<cycle>:<w> and SET s:<cycle>:<w> <op index>,
 *     alternately, one command at a time, each recording the ops acknowledged and when). The server
 *     is killed with SIGKILL at a random moment, restarted from its appendonlydir, and every
 *     client's persisted prefix is read back: the op index L that the AOF still holds is
 *     max(2·INCR count − 1, last SET index); acknowledged ops above L are lost. Earlier cycles'
 *     keys are checked again at every restart (nothing acknowledged may disappear later).
 *     - appendfsync always: --cycles per engine (and Redis for comparison).
 *     - appendfsync everysec: the same kill -9 measurement, plus the power-loss window: a kill -9
 *       only kills the process (what was write()n is in the kernel's page cache and survives),
 *       so the server runs under `strace -e fdatasync` and, at each kill moment K, the window is
 *       K − start of the last fdatasync completed before K, with the acknowledged writes inside
 *       it: what a power cut at K would lose.
 *
 *   npm run bench -- aof [--rounds 3] [--n 100000] [--keys 1000000]
 *     redis-benchmark SET and INCR at -P 1 and -P 16 (50 clients) with appendonly yes under
 *     appendfsync everysec and always, Redis and both engines, interleaved rounds, medians, after
 *     an uncounted warm-up per server (V8's JIT);
 *     BGREWRITEAOF of --keys keys (RDB preamble, then aof-use-rdb-preamble no): wall time and the
 *     longest PING round trip during it; start-up from those appendonlydirs (spawn to first PONG,
 *     and the same for an empty directory).
 *     To investigate one case: [--servers wasm,js-map] [--large-only yes] [--preamble yes|no]
 *     [--repeat R] (R rewrites per dataset, medians in the table) and --out /tmp/x.md (bench/run.ts)
 *     to leave docs/benchmarks.md alone. Each rewrite's log line also gives the server main
 *     thread's time on a CPU and time waiting for one (Linux schedstat): on a shared machine a
 *     long PING is mostly the second.
 */
import { spawn, spawnSync, ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { RespReader, RespNode } from '../src/protocol/resp-reader';
import { median } from './e2e';
import { benchWithCpu, cpuTable, ratioTable, runRedisBenchmark, serverLabel, freePort } from './lib';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'redust.js');
type Kind = 'redis' | 'js-map' | 'wasm';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Epoch milliseconds with sub-ms precision (the clock strace -ttt prints). */
const nowMs = () => performance.timeOrigin + performance.now();

// ------------------------------------------------------------------ a client that notices a kill

class Client {
  private readonly reader = new RespReader();
  private readonly waiting: { ok: (n: RespNode) => void; fail: (e: Error) => void }[] = [];
  private closed = false;
  private constructor(private readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      for (const n of this.reader.feed(d)) this.waiting.shift()?.ok(n);
    });
    const end = () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w.fail(new Error('connection closed'));
    };
    sock.on('close', end);
    sock.on('error', end);
  }
  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }
  send(...args: (string | number)[]): Promise<RespNode> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((ok, fail) => {
      this.waiting.push({ ok, fail });
      this.sock.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join(''));
    });
  }
  pipeline(cmds: (string | number)[][]): Promise<RespNode[]> {
    return Promise.all(cmds.map((c) => this.send(...c)));
  }
  close(): void {
    this.sock.destroy();
  }
}

const text = (n: RespNode): string => (n.t === 'bulk' ? n.v.toString() : n.t === 'simple' || n.t === 'error' ? n.v : n.t === 'int' ? String(n.v) : '');


// ------------------------------------------------------------------ servers

interface Proc {
  child: ChildProcess;
  /** The server's own pid (under strace, the tracee's). */
  pid: number;
  port: number;
  strace?: string;
}

function serverArgv(kind: Kind, dir: string, port: number, conf: Record<string, string>): string[] {
  const base: Record<string, string> = { port: String(port), dir, save: '', appendonly: 'yes', 'enable-debug-command': 'yes', 'auto-aof-rewrite-percentage': '0', ...conf };
  const args: string[] = [];
  for (const [k, v] of Object.entries(base)) args.push(`--${k}`, v);
  if (kind === 'redis') return ['redis-server', '--bind', '127.0.0.1', '--logfile', '', '--daemonize', 'no', ...args];
  return [process.execPath, '--max-old-space-size=8192', BIN, '--engine', kind, '--loglevel', 'warning', ...args];
}

async function startProc(kind: Kind, dir: string, conf: Record<string, string>, straceOut?: string): Promise<Proc> {
  let port = 0;
  while (!port) port = await freePort();
  const argv = serverArgv(kind, dir, port, conf);
  const child = straceOut
    ? spawn('strace', ['-f', '--seccomp-bpf', '-e', 'trace=fdatasync', '-ttt', '-T', '-o', straceOut, '--', ...argv], { stdio: 'ignore' })
    : spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  let pid = child.pid!;
  if (straceOut) {
    // The tracee is strace's child: kill -9 goes to it (killing strace would only detach it).
    for (let i = 0; i < 500; i++) {
      try {
        const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
        if (kids) {
          pid = Number(kids.split(/\s+/)[0]);
          break;
        }
      } catch {
        /* not yet */
      }
      await sleep(10);
    }
  }
  return { child, pid, port, strace: straceOut };
}

/** Until PING answers PONG (not LOADING): the start-up time in ms, or an error if the server died. */
async function waitPong(p: Proc, timeoutMs = 600_000): Promise<number> {
  const t0 = nowMs();
  for (;;) {
    if (p.child.exitCode !== null) throw new Error(`server exited with ${p.child.exitCode}`);
    try {
      const c = await Client.connect(p.port);
      const r = await c.send('PING');
      c.close();
      if (r.t === 'simple' && r.v === 'PONG') return nowMs() - t0;
    } catch {
      /* not listening or loading */
    }
    if (nowMs() - t0 > timeoutMs) throw new Error('server did not start');
    await sleep(5);
  }
}

async function kill9(p: Proc): Promise<void> {
  const gone = p.child.exitCode !== null || p.child.signalCode !== null ? Promise.resolve() : new Promise((r) => p.child.once('exit', r));
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await gone;
}

// ------------------------------------------------------------------ the kill -9 cycles

interface Record_ {
  cycle: number;
  w: number;
  /** Ops acknowledged (op i is acknowledged only after ops 1..i). */
  acked: number;
  /** ackAt[i]: epoch ms when op i was acknowledged (ackAt[0]: when the writer started). */
  ackAt: number[];
  killAt: number;
  /** The persisted op index read back after the restart (-1 until checked). */
  persisted: number;
}

export interface CycleStats {
  server: Kind;
  fsync: 'always' | 'everysec';
  cycles: number;
  acked: number;
  lost: number;
  /** Per kill: acknowledged ops lost and their span in ms (first lost ack to the last ack). */
  lostPerKill: number[];
  lostMsPerKill: number[];
  /** Keys of earlier cycles that changed after a later restart (must be 0). */
  regressions: number;
  /** everysec under strace: per kill, the unsynced window in ms and the acked ops inside it. */
  windowMs: number[];
  windowOps: number[];
  startMs: number[];
}

const keysOf = (r: Record_) => [`n:${r.cycle}:${r.w}`, `s:${r.cycle}:${r.w}`];

async function readPersisted(port: number, recs: Record_[]): Promise<number[]> {
  const c = await Client.connect(port);
  const replies = await c.pipeline(recs.flatMap((r) => keysOf(r).map((k) => ['GET', k])));
  c.close();
  return recs.map((_, i) => {
    const n = Number(text(replies[2 * i]) || 0);
    const s = Number(text(replies[2 * i + 1]) || 0);
    return Math.max(n > 0 ? 2 * n - 1 : 0, s);
  });
}

/** fdatasync calls as [start, end] epoch ms, from an `strace -f -ttt -T` log. */
function fsyncSpans(file: string): [number, number][] {
  const out: [number, number][] = [];
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\d+\s+(\d+\.\d+)\s+(<\.\.\. )?fdatasync.*= 0 <(\d+\.\d+)>/.exec(line);
    if (!m) continue;
    const ts = Number(m[1]) * 1000;
    const dur = Number(m[3]) * 1000;
    out.push(m[2] ? [ts - dur, ts] : [ts, ts + dur]);
  }
  return out;
}

export async function runCycles(
  server: Kind,
  fsync: 'always' | 'everysec',
  cycles: number,
  writers: number,
  opts: { minMs: number; maxMs: number; strace: boolean; log: (s: string) => void },
): Promise<CycleStats> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redust-durability-${server}-`));
  const all: Record_[] = [];
  const stats: CycleStats = { server, fsync, cycles, acked: 0, lost: 0, lostPerKill: [], lostMsPerKill: [], regressions: 0, windowMs: [], windowOps: [], startMs: [] };
  const seen = new Map<Record_, number>();
  const check = async (p: Proc, fresh: Record_[]) => {
    const olds = all.filter((r) => !fresh.includes(r));
    const got = await readPersisted(p.port, [...fresh, ...olds]);
    let lostNow = 0;
    let lostMs = 0;
    fresh.forEach((r, i) => {
      r.persisted = got[i];
      seen.set(r, got[i]);
      if (r.persisted > r.acked + 1) throw new Error(`${server}: cycle ${r.cycle} writer ${r.w} holds op ${r.persisted} but only ${r.acked + 1} were sent`);
      const lost = Math.max(0, r.acked - r.persisted);
      lostNow += lost;
      if (lost > 0) lostMs = Math.max(lostMs, r.ackAt[r.acked] - r.ackAt[r.persisted]);
      stats.acked += r.acked;
    });
    olds.forEach((r, i) => {
      if (got[fresh.length + i] !== seen.get(r)) stats.regressions++;
    });
    if (fresh.length) {
      stats.lost += lostNow;
      stats.lostPerKill.push(lostNow);
      stats.lostMsPerKill.push(lostMs);
    }
  };
  let fresh: Record_[] = [];
  try {
    for (let cycle = 0; cycle <= cycles; cycle++) {
      const straceOut = opts.strace && cycle < cycles ? path.join(dir, `strace-${cycle}.txt`) : undefined;
      const p = await startProc(server, dir, { appendfsync: fsync }, straceOut);
      stats.startMs.push(await waitPong(p));
      // The pid to kill is the one the server reports (under strace, the tracee's).
      const reported = Number((await info(p.port, 'server')).process_id);
      if (reported !== p.pid) opts.log(`  (${server}: pid ${reported}, not ${p.pid} as /proc said)`);
      p.pid = reported;
      await check(p, fresh);
      all.push(...fresh);
      if (cycle === cycles) {
        await kill9(p);
        break;
      }
      fresh = [];
      let stop = false;
      const runs: Promise<void>[] = [];
      for (let w = 0; w < writers; w++) {
        const r: Record_ = { cycle, w, acked: 0, ackAt: [nowMs()], killAt: 0, persisted: -1 };
        fresh.push(r);
        runs.push(
          (async () => {
            const c = await Client.connect(p.port);
            const [kn, ks] = keysOf(r);
            r.ackAt[0] = nowMs();
            try {
              for (let i = 1; !stop; i++) {
                const rep = await (i % 2 === 1 ? c.send('INCR', kn) : c.send('SET', ks, i));
                if (rep.t === 'error') throw new Error(`${server}: ${rep.v}`);
                r.ackAt[i] = nowMs();
                r.acked = i;
              }
            } catch (e) {
              if (!/connection closed/.test((e as Error).message)) throw e;
            }
            c.close();
          })(),
        );
      }
      // The kill comes from another process (sleep; date; kill -9), so it lands on time however
      // busy this process's event loop is with the writers; `date` gives the kill moment.
      const delay = (opts.minMs + Math.random() * (opts.maxMs - opts.minMs)) / 1000;
      const killer = spawn('/bin/sh', ['-c', `sleep ${delay.toFixed(3)}; date +%s%N; kill -9 ${p.pid}`], { stdio: ['ignore', 'pipe', 'ignore'] });
      let killOut = '';
      killer.stdout!.on('data', (d) => (killOut += d));
      await new Promise((r) => killer.once('exit', r));
      const exited = await Promise.race([kill9(p).then(() => true), sleep(15_000).then(() => false)]);
      if (!exited) throw new Error(`${server}: pid ${p.pid} still running 15 s after kill -9 (killer said ${killOut.trim()})`);
      const killAt = Number(killOut.trim()) / 1e6;
      stop = true;
      await Promise.all(runs);
      for (const r of fresh) r.killAt = killAt;
      if (straceOut) {
        // What a power cut at the kill moment would lose: acknowledged since the last completed fsync began.
        await sleep(50); // strace writes its last lines as the tracee dies
        const done = fsyncSpans(straceOut).filter(([, end]) => end <= killAt);
        const from = done.length ? done[done.length - 1][0] : Math.min(...fresh.map((r) => r.ackAt[0]));
        stats.windowMs.push(killAt - from);
        stats.windowOps.push(fresh.reduce((n, r) => n + r.ackAt.slice(1).filter((t) => t > from).length, 0));
        fs.rmSync(straceOut, { force: true });
      }
      if ((cycle + 1) % 10 === 0 || cycle + 1 === cycles) opts.log(`  ${server} ${fsync}: ${cycle + 1}/${cycles} kills`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return stats;
}

const pct = (xs: number[], q: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] : NaN);
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');

export async function durabilitySection(opt: (name: string, def: string) => string, header: string[], log: (s: string) => void): Promise<string[]> {
  const cycles = Number(opt('--cycles', '50'));
  const everyCycles = Number(opt('--everysec-cycles', '10'));
  const redisAlways = Number(opt('--redis-always-cycles', '10'));
  const writers = Number(opt('--writers', '4'));
  const haveStrace = spawnSync('strace', ['-V']).status === 0;
  const always: CycleStats[] = [];
  const every: CycleStats[] = [];
  for (const k of ['js-map', 'wasm', 'redis'] as Kind[]) {
    const n = k === 'redis' ? redisAlways : cycles;
    if (n <= 0) continue;
    log(`durability: ${k}, appendfsync always, ${n} kills`);
    always.push(await runCycles(k, 'always', n, writers, { minMs: 200, maxMs: 1200, strace: false, log }));
  }
  for (const k of ['js-map', 'wasm', 'redis'] as Kind[]) {
    if (everyCycles <= 0) continue;
    log(`durability: ${k}, appendfsync everysec, ${everyCycles} kills${haveStrace ? ' (under strace -e fdatasync)' : ''}`);
    every.push(await runCycles(k, 'everysec', everyCycles, writers, { minMs: 1500, maxMs: 4000, strace: haveStrace, log }));
  }
  const md = [
    '### Durability: kill -9 under load (`npm run bench -- durability`)',
    '',
    ...header.map((l) => `${l}  `),
    '',
    `${writers} clients write one command at a time (each its own keys: INCR and SET with the op's sequence number, alternately, recording every acknowledgement); the server is killed with SIGKILL at a random moment, restarted from its appendonlydir, and each client's persisted prefix is read back. "Lost" counts acknowledged ops missing after the restart; "regressions" counts keys of earlier cycles that changed at a later restart.`,
    '',
    '| appendfsync always | kills | writes acknowledged | acknowledged writes lost | regressions | start-up (median) |',
    '|---|---:|---:|---:|---:|---:|',
    ...always.map((s) => `| ${serverLabel(s.server)} | ${s.cycles} | ${s.acked.toLocaleString('en-US')} | **${s.lost}** | ${s.regressions} | ${ms(median(s.startMs))} |`),
    '',
    '| appendfsync everysec | kills | writes acknowledged | lost per kill (max) | ms of writes lost per kill (max) | power-cut window at the kill: median / max | acked writes in it: median / max |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...every.map(
      (s) =>
        `| ${serverLabel(s.server)} | ${s.cycles} | ${s.acked.toLocaleString('en-US')} | ${Math.max(0, ...s.lostPerKill)} | ${ms(Math.max(0, ...s.lostMsPerKill))} | ${s.windowMs.length ? `${ms(median(s.windowMs))} / ${ms(Math.max(...s.windowMs))}` : '—'} | ${s.windowOps.length ? `${median(s.windowOps)} / ${Math.max(...s.windowOps)}` : '—'} |`,
    ),
    '',
    'A kill -9 ends the process, not the machine: what the server has write()n is in the page cache and survives. Both servers write the AOF before replying, so under everysec a kill -9 loses an acknowledged write only when a write is postponed (Redis postpones writes for up to 2 s while a background fsync is still running; Redust never postpones). What everysec risks is a power cut or kernel crash; the last two columns measure it: the servers ran under `strace -f -e trace=fdatasync`, and at each kill moment K the window is K minus the start of the last fdatasync that had completed by K, with the acknowledged writes inside that window (what a power cut at K would have lost). strace slows the traced server a little.',
  ];
  return md;
}

// ------------------------------------------------------------------ the aof benchmarks

async function info(port: number, section: string): Promise<Record<string, string>> {
  const c = await Client.connect(port);
  const r = await c.send('INFO', section);
  c.close();
  const out: Record<string, string> = {};
  for (const l of text(r).split('\r\n')) {
    const i = l.indexOf(':');
    if (i > 0) out[l.slice(0, i)] = l.slice(i + 1);
  }
  return out;
}

/**
 * The main thread's [time on a CPU, time runnable but waiting for one] so far, in ms (Linux
 * /proc schedstat; null elsewhere): tells a long PING that the server spent working from one it
 * spent waiting for a CPU the machine's other processes held.
 */
function schedstat(pid: number): [number, number] | null {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'latin1').split(' ').map(Number);
    return [run / 1e6, wait / 1e6];
  } catch {
    return null;
  }
}

interface TimedRewrite {
  secs: number;
  maxPing: number;
  /** PINGs over 10 ms, of how many. */
  slow: number;
  pings: number;
  /** The server's main thread during the rewrite: ms on a CPU and ms waiting for one (-1: unknown). */
  mainCpuMs: number;
  mainWaitMs: number;
}

/** BGREWRITEAOF: wall time to aof_rewrite_in_progress:0, the longest PING round trip meanwhile. */
async function timedRewrite(port: number, pid: number): Promise<TimedRewrite> {
  const probe = await Client.connect(port);
  const c = await Client.connect(port);
  const s0 = schedstat(pid);
  const t0 = nowMs();
  const r = await c.send('BGREWRITEAOF');
  if (r.t === 'error') throw new Error(r.v);
  let maxPing = 0;
  let slow = 0;
  let pings = 0;
  let done = false;
  const pinger = (async () => {
    while (!done) {
      const s = nowMs();
      await probe.send('PING');
      const rtt = nowMs() - s;
      maxPing = Math.max(maxPing, rtt);
      pings++;
      if (rtt > 10) slow++;
      await sleep(5);
    }
  })();
  for (;;) {
    const i = await info(port, 'persistence');
    if (i.aof_rewrite_in_progress === '0' && i.aof_rewrite_scheduled === '0') break;
    await sleep(5);
  }
  const secs = (nowMs() - t0) / 1000;
  const s1 = schedstat(pid);
  done = true;
  await pinger;
  probe.close();
  c.close();
  const [mainCpuMs, mainWaitMs] = s0 && s1 ? [s1[0] - s0[0], s1[1] - s0[1]] : [-1, -1];
  return { secs, maxPing, slow, pings, mainCpuMs, mainWaitMs };
}

interface AofLarge {
  server: Kind;
  rewriteRdb: number;
  pingRdb: number;
  rewriteAof: number;
  pingAof: number;
  startEmpty: number;
  startRdb: number;
  startAof: number;
  mbRdb: number;
  mbAof: number;
}

const dirSize = (d: string) => fs.readdirSync(d).reduce((n, f) => n + fs.statSync(path.join(d, f)).size, 0) / 1048576;

async function largeAof(server: Kind, keys: number, log: (s: string) => void, repeat = 1, preambles = ['yes', 'no']): Promise<AofLarge> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `redust-aofbench-${server}-`));
  const res: AofLarge = { server, rewriteRdb: 0, pingRdb: 0, rewriteAof: 0, pingAof: 0, startEmpty: 0, startRdb: 0, startAof: 0, mbRdb: 0, mbAof: 0 };
  try {
    const dir = (n: string) => {
      const d = path.join(root, n);
      fs.mkdirSync(d, { recursive: true });
      return d;
    };
    const empty = await startProc(server, dir('empty'), {});
    res.startEmpty = await waitPong(empty);
    await kill9(empty);
    for (const preamble of preambles) {
      const d = dir(preamble === 'yes' ? 'rdb' : 'aof');
      const p = await startProc(server, d, { 'aof-use-rdb-preamble': preamble });
      await waitPong(p);
      const c = await Client.connect(p.port);
      const pop = await c.send('DEBUG', 'POPULATE', keys, 'key', 16);
      if (pop.t === 'error') throw new Error(`${server}: DEBUG POPULATE: ${pop.v}`);
      c.close();
      // --repeat: more rewrites of the same dataset (the table takes the medians); the first
      // one runs cold code, as on a server that never rewrote.
      const runs: TimedRewrite[] = [];
      for (let i = 0; i < repeat; i++) {
        const t = await timedRewrite(p.port, p.pid);
        runs.push(t);
        const sched = t.mainCpuMs >= 0 ? `; main thread ${t.mainCpuMs.toFixed(0)} ms on a CPU, ${t.mainWaitMs.toFixed(0)} ms waiting for one` : '';
        log(`  ${server}: BGREWRITEAOF of ${keys} keys (preamble ${preamble}) ${t.secs.toFixed(2)} s, longest PING ${t.maxPing.toFixed(1)} ms (${t.slow}/${t.pings} over 10 ms)${sched}`);
        if (i + 1 < repeat) await sleep(300);
      }
      const r = { secs: median(runs.map((x) => x.secs)), maxPing: median(runs.map((x) => x.maxPing)) };
      const shut = await Client.connect(p.port);
      await shut.send('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      await new Promise((r2) => (p.child.exitCode !== null ? r2(null) : p.child.once('exit', r2)));
      const size = dirSize(path.join(d, 'appendonlydir'));
      const again = await startProc(server, d, { 'aof-use-rdb-preamble': preamble });
      const startMs = await waitPong(again);
      const dbsize = await (await Client.connect(again.port)).send('DBSIZE');
      if (text(dbsize) !== String(keys)) throw new Error(`${server}: ${text(dbsize)} keys after start-up, expected ${keys}`);
      await kill9(again);
      log(`  ${server}: start-up from it (${size.toFixed(1)} MB) ${(startMs / 1000).toFixed(2)} s`);
      if (preamble === 'yes') Object.assign(res, { rewriteRdb: r.secs, pingRdb: r.maxPing, startRdb: startMs, mbRdb: size });
      else Object.assign(res, { rewriteAof: r.secs, pingAof: r.maxPing, startAof: startMs, mbAof: size });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return res;
}

export async function aofSection(opt: (name: string, def: string) => string, header: string[], log: (s: string) => void): Promise<string[]> {
  const rounds = Number(opt('--rounds', '3'));
  const n = Number(opt('--n', '100000'));
  const keys = Number(opt('--keys', '1000000'));
  // --servers redis,wasm,js-map; --large-only yes skips redis-benchmark (rewrite and start-up only);
  // --repeat R rewrites per dataset; --preamble yes|no|both. Shorter runs for investigating.
  const kinds = opt('--servers', 'redis,wasm,js-map').split(',').filter(Boolean) as Kind[];
  const repeat = Math.max(1, Number(opt('--repeat', '1')));
  const pre = opt('--preamble', 'both');
  const preambles = pre === 'both' ? ['yes', 'no'] : [pre];
  const largeOnly = opt('--large-only', 'no') !== 'no';
  const tables: string[] = [];
  for (const fsync of largeOnly ? [] : ['everysec', 'always']) {
    const rps: Record<string, Record<string, number[]>> = {};
    const cpu: Record<string, Record<string, number[]>> = {};
    for (const k of kinds) rps[k] = {};
    for (const k of kinds) cpu[k] = {};
    for (let round = 0; round < rounds; round++) {
      for (const k of kinds) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), `redust-aofbench-${k}-`));
        const p = await startProc(k, dir, { appendfsync: fsync });
        try {
          await waitPong(p);
          // Warm-up, not counted (as bench/e2e.ts): a fresh Node process spends ~0.1 s of CPU
          // compiling the request path, which the first test (SET -P 1, half the requests under
          // always) would otherwise carry: +3.5 to +4.5 µs per request over 25,000 requests,
          // measured 2026-12-06, the "always" premium this table used to show.
          await runRedisBenchmark(p.port, ['-c', '50', '-n', '20000', '-r', '100000', '-P', '1', '-t', 'set,incr']);
          await runRedisBenchmark(p.port, ['-c', '50', '-n', '50000', '-r', '100000', '-P', '16', '-t', 'set,incr']);
          for (const pipeline of [1, 16]) {
            const count = (pipeline === 1 ? n : 4 * n) / (fsync === 'always' ? 2 : 1);
            // One test per run, so that the server's CPU time is that test's alone.
            for (const t of ['SET', 'INCR']) {
              const r = await benchWithCpu(p.port, p.pid, ['-c', '50', '-n', String(count), '-r', '100000', '-P', String(pipeline), '-t', t.toLowerCase()], count);
              (rps[k][`${t} -P ${pipeline}`] ??= []).push(r.rps);
              (cpu[k][`${t} -P ${pipeline}`] ??= []).push(r.cpuUs);
            }
          }
          log(`  aof ${fsync} round ${round + 1}/${rounds} ${k}: ${Object.entries(rps[k]).map(([t, v]) => `${t} ${Math.round(v[v.length - 1])}`).join(', ')}`);
        } finally {
          await kill9(p);
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    }
    tables.push(...ratioTable(`appendfsync ${fsync}, requests/s`, rps, ['SET -P 1', 'INCR -P 1', 'SET -P 16', 'INCR -P 16']), '');
    tables.push(`Server CPU time per request in the same runs (user + system, all threads, from /proc; fsync waits are not CPU); in parentheses Redis's divided by Redust's:`, '');
    tables.push(...cpuTable(`appendfsync ${fsync}, CPU`, cpu, ['SET -P 1', 'INCR -P 1', 'SET -P 16', 'INCR -P 16']), '');
  }
  const large: AofLarge[] = [];
  for (const k of kinds) {
    log(`aof: ${keys} keys on ${k}`);
    large.push(await largeAof(k, keys, log, repeat, preambles));
  }
  const redis = large.find((l) => l.server === 'redis');
  const cell = (v: number, ref: number | undefined, f: (x: number) => string) => (ref === undefined || ref === v ? f(v) : `${f(v)} (${(v / ref).toFixed(2)}×)`);
  const s = (x: number) => `${x.toFixed(2)} s`;
  const m = (x: number) => `${x.toFixed(1)} ms`;
  const row = (label: string, f: (x: number) => string, get: (l: AofLarge) => number) =>
    `| ${label} | ${large.map((l) => cell(get(l), l.server === 'redis' ? undefined : redis && get(redis), f)).join(' | ')} |`;
  return [
    '### Append-only file (`npm run bench -- aof`)',
    '',
    ...header.map((l) => `${l}  `),
    '',
    `redis-benchmark -c 50 -r 100000 -t set,incr with appendonly yes (auto-aof-rewrite off, save ""), -n ${n} at -P 1 and ${4 * n} at -P 16 (half under always), each server started fresh per appendfsync and round and warmed up first (SET and INCR, 20,000 requests at -P 1 and 50,000 at -P 16, not counted); ${rounds} rounds interleaved across servers, medians, ratio to Redis. The AOF is on the same disk for all servers. The machine is shared (2 cores, other engineers' builds and tests running): read the ratios to about ±30%.`,
    '',
    ...tables,
    `${keys.toLocaleString('en-US')} keys (DEBUG POPULATE, 16-byte values). Rewrite: BGREWRITEAOF to aof_rewrite_in_progress:0, with a PING every 5 ms on another connection (Redis forks: its stall is the fork)${repeat > 1 ? `; medians of ${repeat} rewrites of the same dataset` : ''}. Start-up: spawn to the first PONG (the AOF is loaded by then), after SHUTDOWN NOSAVE.`,
    '',
    `| ${keys.toLocaleString('en-US')} keys | ${large.map((l) => serverLabel(l.server)).join(' | ')} |`,
    `|---|${large.map(() => '---:').join('|')}|`,
    row('BGREWRITEAOF, RDB preamble', s, (l) => l.rewriteRdb),
    row('longest PING during it', m, (l) => l.pingRdb),
    row('BGREWRITEAOF, aof-use-rdb-preamble no', s, (l) => l.rewriteAof),
    row('longest PING during it', m, (l) => l.pingAof),
    row('start-up, empty directory', s, (l) => l.startEmpty / 1000),
    row('start-up from the RDB-preamble AOF', s, (l) => l.startRdb / 1000),
    row('start-up from the command-format AOF', s, (l) => l.startAof / 1000),
    `| appendonlydir size (preamble / commands) | ${large.map((l) => `${l.mbRdb.toFixed(1)} / ${l.mbAof.toFixed(1)} MB`).join(' | ')} |`,
  ];
}
