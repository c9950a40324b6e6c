/**
 * Byte copies on the hot paths (keys into WASM scratch, values, reply pieces, Lua arguments).
 * Short copies use a plain loop: measured faster than TypedArray#set / Buffer#copy, whose native
 * call and argument checks dominate for a few bytes. Longer ones use TypedArray#set.
 */
const SHORT = 16;

/** Copy all of `src` into `dst` at `at`. */
export function copyAll(dst: Uint8Array, at: number, src: Uint8Array): void {
  const n = src.length;
  if (n <= SHORT) for (let i = 0; i < n; i++) dst[at + i] = src[i];
  else dst.set(src, at);
}

/** Copy src[start, start + n) into `dst` at `at`. */
export function copyRange(dst: Uint8Array, at: number, src: Uint8Array, start: number, n: number): void {
  if (n <= SHORT) for (let i = 0; i < n; i++) dst[at + i] = src[start + i];
  else dst.set(src.subarray(start, start + n), at);
}

/** Byte view of a value the engine returned (strings may be latin1 JS strings, 1 char = 1 byte). */
export function toBuffer(v: Buffer | string): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v;
}
