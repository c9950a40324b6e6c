/**
 * Small pieces the engine fuzzers share: capturing what a writer-to-sink call (the wasm fast
 * paths that write RESP straight from linear memory) appends, binding methods of proxied
 * containers (planted-bug mutants), and timing a big delete's steps.
 */
import type { BulkSink, Db, Engine } from '../../src/engine/types';

/** What a writer-to-sink call appends, as latin1 text. */
export function rawOf(write: (out: BulkSink) => void): string {
  let raw = '';
  write({
    bulk() {
      throw new Error('unexpected bulk()');
    },
    bulkBytes() {
      throw new Error('unexpected bulkBytes()');
    },
    rawBytes(src: Uint8Array, start: number, len: number) {
      raw += Buffer.from(src.subarray(start, start + len)).latin1Slice();
    },
  });
  return raw;
}

/** A property of `t`, methods bound to `t` (for Proxy get traps). */
export function bind(t: object, p: string | symbol): unknown {
  const v = (t as Record<string | symbol, unknown>)[p];
  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
}

/**
 * DEL of `key`, then the background work until nothing is pending: the CPU time of each step (ms).
 * CPU time, not wall time: on a loaded machine the scheduler can hold the process between any two
 * instructions, which is no work of the step's; what the step itself costs is its CPU time.
 */
export function deleteStalls(engine: Engine, db: Db, key: Buffer): number[] {
  const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  let t = process.cpuUsage();
  db.delete(key);
  const stalls = [cpuMs(process.cpuUsage(t))];
  for (;;) {
    t = process.cpuUsage();
    const more = engine.backgroundWork(1);
    stalls.push(cpuMs(process.cpuUsage(t)));
    if (!more) break;
  }
  return stalls;
}
