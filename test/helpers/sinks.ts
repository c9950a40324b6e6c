/**
 * Small pieces the engine fuzzers share: capturing what a writer-to-sink call (the wasm fast
 * paths that write RESP straight from linear memory) appends, and binding methods of proxied
 * containers (planted-bug mutants).
 */
import type { BulkSink } from '../../src/engine/types';

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
