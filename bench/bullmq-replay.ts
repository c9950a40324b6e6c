/**
 * BullMQ's server-side work without the network and without BullMQ's client: its traffic is
 * captured from redis-server with MONITOR (JOBS jobs added with addBulk, then taken by one
 * Worker with concurrency 10 and an empty processor, as in bench/scripting.ts), then replayed
 * into a Server that does not listen (processInput, as bench/pipeline.ts), REPS times per engine,
 * each time on a fresh Server in the same process. Prints server CPU per job for the add phase
 * (everything up to the last addStandardJob) and the process phase (the rest), of the main thread
 * and of the whole process (V8's compiler and GC threads), for each repetition: the first is a
 * cold process (V8 compiling what BullMQ's traffic runs), the later ones show the steady state
 * (the engines run one after the other in one process: the second starts with the code the first
 * made hot already compiled).
 * The replies' SHA-1 is printed per engine: it must be the same for every engine and repetition.
 *
 *   node dist/bench/bullmq-replay.js [--jobs 10000] [--reps 4] [--engines js-map,wasm]
 *
 * What the capture leaves out: the client's INFO/CLIENT/PING and the Worker's blocking commands
 * (BZPOPMIN on its marker key: a timeout's reply would depend on time). Method and findings:
 * docs/scripting.md, "Fifth pass".
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import { Config } from '../src/config/config';
import { createEngine } from '../src/engine';
import type { EngineName } from '../src/engine/types';
import { Server } from '../src/server/server';
import { Client } from '../src/server/client';
import { createLogger } from '../src/observability/logger';
import { startServer, stopServer } from './e2e';
import { argOf, freePort } from './lib';

const SKIP = new Set(['info', 'client', 'monitor', 'bzpopmin', 'brpoplpush', 'blmove', 'config', 'ping']);

/** Run BullMQ against a fresh redis-server while MONITOR records; returns the capture and the offset where the process phase starts. */
async function capture(jobs: number): Promise<{ raw: Buffer; mark: number }> {
  const { Queue, Worker } = await import('bullmq');
  const s = await startServer('redis', await freePort());
  const mon = net.connect(s.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let size = 0;
  mon.on('data', (d: Buffer) => {
    chunks.push(d);
    size += d.length;
  });
  mon.write('MONITOR\r\n');
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
  try {
    await settle();
    const connection = { host: '127.0.0.1', port: s.port, maxRetriesPerRequest: null };
    const queue = new Queue('bq', { connection });
    const worker = new Worker('bq', async (): Promise<unknown> => null, { connection, concurrency: 10, autorun: false });
    await queue.waitUntilReady();
    for (let i = 0; i < jobs; i += 500) {
      await queue.addBulk(Array.from({ length: Math.min(500, jobs - i) }, (_, j) => ({ name: 'j', data: { i: i + j }, opts: { removeOnComplete: true } })));
    }
    await settle();
    const mark = size;
    let done = 0;
    const finished = new Promise<void>((resolve) => {
      worker.on('completed', () => {
        if (++done === jobs) resolve();
      });
    });
    void worker.run();
    await finished;
    await settle();
    const raw = Buffer.concat(chunks);
    await worker.close();
    await queue.close();
    return { raw, mark };
  } finally {
    mon.destroy();
    await stopServer(s);
  }
}

/** MONITOR lines in raw[lo, hi) -> the clients' commands (not those scripts ran: "[0 lua]"), unescaped as sdscatrepr wrote them. */
function parseMonitor(raw: Buffer, lo: number, hi: number): Buffer[][] {
  const cmds: Buffer[][] = [];
  let i = lo;
  while (i < hi) {
    let e = raw.indexOf(10, i);
    if (e < 0 || e > hi) e = hi;
    const line = raw.subarray(i, e);
    i = e + 1;
    const b = line.indexOf(93); // ']'
    if (line[0] !== 43 || b < 0 || line.latin1Slice(0, b).includes(' lua')) continue;
    const args: Buffer[] = [];
    let j = b + 2;
    while (j < line.length) {
      if (line[j] !== 34) {
        j++;
        continue;
      }
      j++;
      const out: number[] = [];
      while (j < line.length && line[j] !== 34) {
        let c = line[j++];
        if (c === 92) {
          const d = line[j++];
          if (d === 110) c = 10;
          else if (d === 114) c = 13;
          else if (d === 116) c = 9;
          else if (d === 97) c = 7;
          else if (d === 98) c = 8;
          else if (d === 120) {
            c = parseInt(line.latin1Slice(j, j + 2), 16);
            j += 2;
          } else c = d;
        }
        out.push(c);
      }
      j++;
      args.push(Buffer.from(out));
    }
    if (args.length > 0 && !SKIP.has(args[0].latin1Slice(0, args[0].length).toLowerCase())) cmds.push(args);
  }
  return cmds;
}

/** Commands as RESP, 20 per chunk (BullMQ pipelines; the chunking changes little in process). */
function chunked(cmds: Buffer[][]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < cmds.length; i += 20) {
    const parts: Buffer[] = [];
    for (const a of cmds.slice(i, i + 20)) {
      parts.push(Buffer.from(`*${a.length}\r\n`));
      for (const x of a) parts.push(Buffer.from(`$${x.length}\r\n`), x, Buffer.from('\r\n'));
    }
    out.push(Buffer.concat(parts));
  }
  return out;
}

/** CPU time of this process's main thread (µs), from /proc (Linux); -1 elsewhere. */
function mainThreadMicros(): number {
  try {
    const f = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1e6) / 100;
  } catch {
    return -1;
  }
}

function main(): Promise<void> {
  const jobs = Number(argOf('--jobs', '10000'));
  const reps = Number(argOf('--reps', '4'));
  const engines = argOf('--engines', 'js-map,wasm').split(',') as EngineName[];
  return capture(jobs).then(({ raw, mark }) => {
    const phases: [string, Buffer[]][] = [
      ['add', chunked(parseMonitor(raw, 0, mark))],
      ['process', chunked(parseMonitor(raw, mark, raw.length))],
    ];
    console.log(`BullMQ replay: ${jobs} jobs; server CPU µs per job, main thread / whole process, repetition 1 (cold) .. ${reps}`);
    for (const engine of engines) {
      const rows: Record<string, string[]> = { add: [], process: [] };
      let digest = '';
      for (let r = 0; r < reps; r++) {
        const server = new Server(new Config({ save: '' }), createEngine(engine), { logger: createLogger({ level: 'warning' }) });
        const client = new Client(server, null, server.dbs[0]);
        const h = crypto.createHash('sha1');
        for (const [name, chunks] of phases) {
          const m0 = mainThreadMicros();
          const c0 = process.cpuUsage();
          for (const b of chunks) {
            server.net.processInput(client, b);
            h.update(client.writer.take());
          }
          const c = process.cpuUsage(c0);
          const main = mainThreadMicros() - m0;
          rows[name].push(`${(main / jobs).toFixed(0)} / ${((c.user + c.system) / jobs).toFixed(0)}`);
        }
        const d = h.digest('hex').slice(0, 12);
        digest = digest === '' || digest === d ? d : 'DIFFERS';
      }
      for (const [name, cells] of Object.entries(rows)) console.log(`${engine.padEnd(7)} ${name.padEnd(8)} ${cells.join(' | ')}`);
      console.log(`${engine.padEnd(7)} replies sha1 ${digest}`);
    }
  });
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
