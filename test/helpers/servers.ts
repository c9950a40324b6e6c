/**
 * Test servers: Redust (embedded, on a free port, per engine) and the reference Redis 7.0
 * (`redis-server` from PATH, on a free port; never 6379). The reference is optional: tests that
 * need it are skipped, and say so, when redis-server is not installed.
 */
import { spawn, spawnSync, ChildProcess } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { RedustServer, RedustOptions } from '../../src/index';
import type { EngineName } from '../../src/engine/types';

/** Engines under test: REDUST_ENGINES=js-map,wasm (default: every engine that is built). */
export function enginesUnderTest(): EngineName[] {
  const env = process.env.REDUST_ENGINES;
  if (env) return env.split(',').map((s) => s.trim()) as EngineName[];
  const wasmBuilt = fs.existsSync(path.join(__dirname, '..', '..', '..', 'build', 'redust.wasm'));
  return wasmBuilt && fs.existsSync(path.join(__dirname, '..', '..', 'src', 'engine', 'wasm', 'engine.js')) ? ['js-map', 'wasm'] : ['js-map'];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

let scratch: string | null = null;

/**
 * A fresh directory for a test server's files when the test names none (DEBUG RELOAD's dump.rdb,
 * an AOF turned on by CONFIG SET...): never the checkout, where a later server started there
 * would load them. All of them go when the test process exits.
 */
export function serverDir(): string {
  if (scratch === null) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-test-'));
    scratch = root;
    process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(scratch, 's-'));
}

export async function startRedust(engine: EngineName, opts: RedustOptions = {}): Promise<RedustServer> {
  return RedustServer.start({ port: 0, engine, logLevel: 'nothing', ...opts, config: { 'enable-debug-command': 'yes', dir: serverDir(), ...(opts.config ?? {}) } });
}

/**
 * Two servers of `engine` for comparing RDB loaders: `fast` loads through the engine's fast
 * loader (Engine.rdbFastLoader), `js` through the JavaScript reader only (its fast loader removed).
 */
export async function startLoaderPair(engine: EngineName): Promise<{ fast: RedustServer; js: RedustServer }> {
  const fast = await startRedust(engine);
  const js = await startRedust(engine);
  (js.internal.engine as { rdbFastLoader?: unknown }).rdbFastLoader = undefined;
  return { fast, js };
}

export function haveRedisServer(): boolean {
  if (process.env.REDUST_NO_REFERENCE) return false;
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface ReferenceServer {
  port: number;
  stop(): Promise<void>;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Start a real redis-server with settings matching Redust's test servers. */
export async function startReference(extra: string[] = []): Promise<ReferenceServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync('/tmp/redust-ref-');
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--enable-debug-command', 'yes', '--daemonize', 'no', '--logfile', '', '--loglevel', 'warning', ...extra],
    { stdio: 'ignore' },
  );
  await waitForPort(port, 5000);
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

/** A standalone `redust` process (bin/redust.js) started by startCli. */
export interface CliServer {
  child: ChildProcess;
  /** Its --dir (a fresh temp dir unless given): the CLI loads dir/dump.rdb at start and saves there. */
  dir: string;
  /** stdout and stderr so far. */
  out: () => string;
  /** Resolves with the exit code, once stdout and stderr are drained (all of out() is in). */
  exited: Promise<number | null>;
  /**
   * Resolves once out() matches `pattern`. The log travels through a pipe, so a line written
   * before a reply can reach this process after the reply: tests wait for it, not assume it.
   */
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

/** Start bin/redust.js with `args` (and --dir); resolves once it logs "Ready to accept connections". */
export async function startCli(args: string[], opts: { env?: NodeJS.ProcessEnv; dir?: string } = {}): Promise<CliServer> {
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'redust-cli-'));
  const bin = path.join(__dirname, '..', '..', '..', 'bin', 'redust.js');
  const child = spawn(process.execPath, [bin, ...args, '--dir', dir], { env: { ...process.env, ...(opts.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  // 'close', not 'exit': 'exit' can come before the last bytes of the pipes are read.
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const detach = () => {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.stderr!.off('data', check);
      };
      const check = () => {
        if (!pattern.test(out)) return false;
        detach();
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        detach();
        reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms: ${out}`));
      }, timeoutMs);
      if (check()) return;
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
    });
  await new Promise<void>((resolve, reject) => {
    void exited.then(() => reject(new Error(`exited early: ${out}`)));
    waitForOutput(/Ready to accept connections/).then(resolve, (e: Error) => reject(new Error(`server did not start: ${e.message}`)));
  });
  return { child, dir, out: () => out, exited, waitForOutput };
}

/**
 * The result of `program` run once against a fresh reference Redis, for client tests that run the
 * same program against Redust on each engine and compare (the first call starts, runs and stops
 * the reference; later calls return the same result).
 */
export function referenceRunOnce<T>(program: (port: number) => Promise<T>): () => Promise<T> {
  let result: Promise<T> | null = null;
  return () => {
    result ??= (async () => {
      const ref = await startReference();
      try {
        return await program(ref.port);
      } finally {
        await ref.stop();
      }
    })();
    return result;
  };
}
