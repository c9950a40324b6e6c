/**
 * `npm run bench -- scripting`: the scripting group.
 * - In process: what the Lua 5.1 front end costs — translating a chunk (per KB, at compile time
 *   only) and running with every number a float (5.1's doubles) against 5.4's integer literals
 *   (same script compiled with and without the front end).
 * - End to end, Redust (js-map, wasm) and redis-server, interleaved rounds, medians:
 *   EVALSHA of `return redis.call('GET', KEYS[1])` at -P 1 and -P 16 (redis-benchmark -c 50), a
 *   redlock-style acquire/check/release script (SET NX PX, GET, DEL) at -P 1, and BullMQ adding
 *   and processing 20,000 jobs (concurrency 10).
 */
import * as net from 'net';
import { median, ServerKind, startServer, stopServer } from './e2e';
import { Sandbox, newRng } from '../src/scripting/sandbox';
import { translate51 } from '../src/scripting/lua51';
import { RespWriter } from '../src/protocol/reply';
import { benchWithCpu, cpuMicros, cpuTable, ratioTable, freePort } from './lib';

function send(port: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
      if (out.endsWith('\r\n')) {
        s.destroy();
        resolve(out);
      }
    });
    s.on('error', reject);
    s.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
  });
}

const GET_SCRIPT = "return redis.call('GET', KEYS[1])";
const REDLOCK_SCRIPT =
  "if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', 30000) then if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end end return 0";

const LOOP_SCRIPT = 'local t = {} local s = 0 for i = 1, 300000 do t[i] = i * 2 s = s + t[i] % 7 end return s';

function inProcess(): string[] {
  const lines: string[] = [];
  // Front end: translation cost (BullMQ-sized chunk, ~8 KB of typical code)
  const chunk = (LOOP_SCRIPT + '\n' + REDLOCK_SCRIPT + '\n-- comment [[x]]\nlocal s = "a\\tb" .. 0x10 .. 2.5\n').repeat(30);
  let t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < 500) {
    translate51(chunk);
    n++;
  }
  const perKb = ((performance.now() - t0) / n / (chunk.length / 1024)) * 1000;
  lines.push(`- Front end: translating a chunk costs ${perKb.toFixed(1)} µs per KB (compile time only; scripts are cached by SHA1).`);
  // Float literals (5.1's doubles) vs 5.4 integer literals on an arithmetic + table loop
  const sb = new Sandbox(newRng());
  const out = new RespWriter();
  const time = (lua51: boolean) => {
    const ref = sb.compile(Buffer.from(LOOP_SCRIPT), '@bench', lua51) as number;
    const ts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const s = performance.now();
      sb.run(ref, out, 'bench', null, 0);
      out.take();
      ts.push(performance.now() - s);
    }
    return median(ts);
  };
  time(true);
  const asInt = time(false);
  const asFloat = time(true);
  lines.push(`- Every number a float: \`${LOOP_SCRIPT}\` takes ${asFloat.toFixed(1)} ms with the front end (floats) vs ${asInt.toFixed(1)} ms as plain Lua 5.4 (integers): ${(asFloat / asInt).toFixed(2)}×.`);
  // redis.call-free call overhead: string functions wrapped for 5.1's integer truncation
  sb.close();
  return lines;
}

const JOBS = 20_000;

/**
 * BullMQ end to end: add JOBS jobs (addBulk in batches of 500), then one Worker with concurrency
 * 10 and an empty processor takes them all; jobs/s for each phase. Nearly every Redis call BullMQ
 * makes is one of its Lua scripts (addStandardJob, moveToActive, moveToFinished...).
 */
async function bullmqRound(port: number, pid: number, round: number): Promise<{ add: number; process: number; addCpu: number; processCpu: number }> {
  const { Queue, Worker } = await import('bullmq');
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const name = `bench-${round}-${Date.now()}`;
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, async (): Promise<unknown> => null, { connection, concurrency: 10, autorun: false });
  try {
    await queue.waitUntilReady();
    const c0 = cpuMicros(pid);
    const t0 = performance.now();
    for (let i = 0; i < JOBS; i += 500) {
      await queue.addBulk(Array.from({ length: 500 }, (_, j) => ({ name: 'j', data: { i: i + j }, opts: { removeOnComplete: true } })));
    }
    const add = JOBS / ((performance.now() - t0) / 1000);
    const c1 = cpuMicros(pid);
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      worker.on('completed', () => {
        if (++done === JOBS) resolve();
      });
    });
    const t1 = performance.now();
    void worker.run();
    await finished;
    const processed = JOBS / ((performance.now() - t1) / 1000);
    return { add, process: processed, addCpu: (c1 - c0) / JOBS, processCpu: (cpuMicros(pid) - c1) / JOBS };
  } finally {
    await worker.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

export async function runScriptingBench(rounds = 3, n = 100000): Promise<string[]> {
  const lines = ['## Scripting (`npm run bench -- scripting`)', ''];
  lines.push(...inProcess());
  const kinds: ServerKind[] = ['js-map', 'wasm', 'redis'];
  const results: Record<string, Record<string, number[]>> = {};
  const cpu: Record<string, Record<string, number[]>> = {};
  const servers = [];
  for (const k of kinds) servers.push(await startServer(k, await freePort()));
  const CASES = ['EVALSHA GET -P 1', 'EVALSHA GET -P 16', 'redlock script -P 1', 'BullMQ add (jobs/s)', 'BullMQ process, concurrency 10 (jobs/s)'];
  try {
    const shas: Record<string, string[]> = {};
    for (const s of servers) {
      await send(s.port, ['SET', 'key:x', 'v']);
      const a = (await send(s.port, ['SCRIPT', 'LOAD', GET_SCRIPT])).split('\r\n')[1];
      const b = (await send(s.port, ['SCRIPT', 'LOAD', REDLOCK_SCRIPT])).split('\r\n')[1];
      shas[s.kind] = [a, b];
      results[s.kind] = Object.fromEntries(CASES.map((c) => [c, []]));
      cpu[s.kind] = Object.fromEntries(CASES.map((c) => [c, []]));
    }
    for (let r = 0; r < rounds; r++) {
      for (const s of servers) {
        const [a, b] = shas[s.kind];
        const res = results[s.kind];
        const one = async (test: string, args: string[]) => {
          const got = await benchWithCpu(s.port, s.proc.pid!, args, Number(args[args.indexOf('-n') + 1]));
          res[test].push(got.rps);
          cpu[s.kind][test].push(got.cpuUs);
        };
        await one('EVALSHA GET -P 1', ['-c', '50', '-n', String(n), 'evalsha', a, '1', 'key:x']);
        await one('EVALSHA GET -P 16', ['-c', '50', '-P', '16', '-n', String(n * 4), 'evalsha', a, '1', 'key:x']);
        await one('redlock script -P 1', ['-c', '50', '-n', String(n), '-r', '100000', 'evalsha', b, '1', 'lock:__rand_int__', 'token']);
        const q = await bullmqRound(s.port, s.proc.pid!, r);
        res['BullMQ add (jobs/s)'].push(q.add);
        res['BullMQ process, concurrency 10 (jobs/s)'].push(q.process);
        cpu[s.kind]['BullMQ add (jobs/s)'].push(q.addCpu);
        cpu[s.kind]['BullMQ process, concurrency 10 (jobs/s)'].push(q.processCpu);
      }
    }
  } finally {
    for (const s of servers) await stopServer(s);
  }
  lines.push('', `redis-benchmark -c 50 (EVALSHA of \`${GET_SCRIPT}\`, a redlock acquire/check/release script) and BullMQ with ${JOBS} jobs; ${rounds} interleaved rounds, median (ratio to Redis):`, '');
  lines.push(...ratioTable('case', results, CASES));
  lines.push('', 'Server CPU time per request (per job for BullMQ) in the same runs, from /proc (user + system, all threads); in parentheses Redis\'s divided by Redust\'s (above 1.00: less CPU than Redis):', '');
  lines.push(...cpuTable('case', cpu, CASES));
  return lines;
}
