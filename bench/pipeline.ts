/**
 * The server's command path without the network: parser -> processCommand -> call -> handler ->
 * RespWriter -> take(), fed with pre-built chunks of 16 pipelined commands (like -P 16) for random
 * keys, on a Server that is not listening. This isolates the JavaScript per-command cost that
 * redis-benchmark cannot separate from syscalls and machine noise.
 *
 *   node dist/bench/pipeline.js --engine wasm [--keys 1000000] [--seconds 2] [--rounds 3]
 *
 * Prints `RESULT {json}` (commands per CPU-second per test, median of rounds).
 */
import { Config } from '../src/config/config';
import { createEngine } from '../src/engine';
import type { EngineName } from '../src/engine/types';
import { Server } from '../src/server/server';
import { Client } from '../src/server/client';
import { createLogger } from '../src/observability/logger';

function argOf(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

function key(id: number): string {
  return 'key:' + String(id).padStart(12, '0');
}

function chunks(cmd: 'SET' | 'GET', keys: number, count: number, pipeline: number): Buffer[] {
  const out: Buffer[] = [];
  for (let c = 0; c < count; c++) {
    let s = '';
    for (let i = 0; i < pipeline; i++) {
      const k = key(Math.floor(Math.random() * keys));
      s += cmd === 'SET' ? `*3\r\n$3\r\nSET\r\n$16\r\n${k}\r\n$3\r\nxxx\r\n` : `*2\r\n$3\r\nGET\r\n$16\r\n${k}\r\n`;
    }
    out.push(Buffer.from(s, 'latin1'));
  }
  return out;
}

function main(): void {
  const engineName = argOf('--engine', 'js-map') as EngineName;
  const keys = Number(argOf('--keys', '1000000'));
  const seconds = Number(argOf('--seconds', '2'));
  const rounds = Number(argOf('--rounds', '3'));
  const pipeline = Number(argOf('--pipeline', '16'));
  const server = new Server(new Config({ save: '' }), createEngine(engineName), { logger: createLogger({ level: 'warning' }) });
  const client = new Client(server, null, server.dbs[0]);
  // Load every key once.
  const BATCH = 1000;
  for (let i = 0; i < keys; i += BATCH) {
    let s = '';
    for (let j = i; j < Math.min(keys, i + BATCH); j++) s += `*3\r\n$3\r\nSET\r\n$16\r\n${key(j)}\r\n$3\r\nxxx\r\n`;
    server.net.processInput(client, Buffer.from(s, 'latin1'));
    client.writer.take();
  }
  server.engine.backgroundWork(5000);
  const tests: Record<string, Buffer[]> = { SET: chunks('SET', keys, 4096, pipeline), GET: chunks('GET', keys, 4096, pipeline) };
  const results: Record<string, number[]> = { SET: [], GET: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, cs] of Object.entries(tests)) {
      let n = 0;
      let i = 0;
      // Rate per second of this process's CPU time (user + system), not wall time: a process
      // descheduled by other load on the machine does not count as slow.
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < seconds * 1000) {
        for (let b = 0; b < 256; b++) {
          server.net.processInput(client, cs[i++ & 4095]);
          client.writer.take();
        }
        n += 256 * pipeline;
        server.engine.backgroundWork(0);
        t = performance.now();
      }
      const cpu = process.cpuUsage(c0);
      results[name].push((n * 1e6) / (cpu.user + cpu.system));
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const out = { engine: engineName, keys, pipeline, SET: med(results.SET), GET: med(results.GET), rounds: results };
  process.stderr.write(`[pipeline ${engineName} ${keys} keys P${pipeline}] SET ${Math.round(out.SET)}/s GET ${Math.round(out.GET)}/s\n`);
  process.stdout.write('RESULT ' + JSON.stringify(out) + '\n');
}

main();
