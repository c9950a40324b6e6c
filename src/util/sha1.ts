/**
 * SHA-1 (FIPS 180-4) in plain JavaScript, for the many short inputs of DEBUG DIGEST (seven hashes
 * of a few bytes per string key, as Redis's debug.c computes them). Node's createHash costs ~2.5
 * µs per hash in object creation and native calls, against ~0.2 µs here for a one-block message;
 * long inputs run at ~300 MB/s, below OpenSSL's speed, so callers with big data may prefer
 * crypto. Not for security: a digest to compare datasets.
 *
 * State: the five 32-bit words in H, the 80-word schedule in W, the last partial block padded in
 * TAIL (module scratch, so a hash allocates nothing).
 */
const H = new Int32Array(5);
const W = new Int32Array(80);
const TAIL = new Uint8Array(128);

/** One 64-byte block at b[p]: the compression function on H. */
function block(b: Uint8Array, p: number): void {
  for (let t = 0; t < 16; t++, p += 4) W[t] = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  for (let t = 16; t < 80; t++) {
    const x = W[t - 3] ^ W[t - 8] ^ W[t - 14] ^ W[t - 16];
    W[t] = (x << 1) | (x >>> 31);
  }
  let a = H[0];
  let bb = H[1];
  let c = H[2];
  let d = H[3];
  let e = H[4];
  // The four 20-round stages, each its own loop (a per-round choice of f and k cost 2x).
  let t = 0;
  for (; t < 20; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((bb & c) | (~bb & d)) + e + 0x5a827999 + W[t]) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = tmp;
  }
  for (; t < 40; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + 0x6ed9eba1 + W[t]) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = tmp;
  }
  for (; t < 60; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + ((bb & c) | (bb & d) | (c & d)) + e + 0x8f1bbcdc + W[t]) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = tmp;
  }
  for (; t < 80; t++) {
    const tmp = (((a << 5) | (a >>> 27)) + (bb ^ c ^ d) + e + 0xca62c1d6 + W[t]) | 0;
    e = d;
    d = c;
    c = (bb << 30) | (bb >>> 2);
    bb = a;
    a = tmp;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + bb) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
}

/** SHA-1 of b[start, start + len) written to out[outOff, outOff + 20). */
export function sha1Into(b: Uint8Array, start: number, len: number, out: Uint8Array, outOff: number): void {
  H[0] = 0x67452301;
  H[1] = 0xefcdab89 | 0;
  H[2] = 0x98badcfe | 0;
  H[3] = 0x10325476;
  H[4] = 0xc3d2e1f0 | 0;
  const full = len - (len & 63);
  for (let p = 0; p < full; p += 64) block(b, start + p);
  // The tail, 0x80, zeros, and the length in bits (big-endian 64-bit): one block or two.
  const rest = len - full;
  for (let i = 0; i < rest; i++) TAIL[i] = b[start + full + i];
  TAIL[rest] = 0x80;
  const end = rest < 56 ? 64 : 128;
  TAIL.fill(0, rest + 1, end - 8);
  const hi = Math.floor(len / 0x20000000);
  const lo = (len << 3) >>> 0;
  TAIL[end - 8] = hi >>> 24;
  TAIL[end - 7] = hi >>> 16;
  TAIL[end - 6] = hi >>> 8;
  TAIL[end - 5] = hi;
  TAIL[end - 4] = lo >>> 24;
  TAIL[end - 3] = lo >>> 16;
  TAIL[end - 2] = lo >>> 8;
  TAIL[end - 1] = lo;
  block(TAIL, 0);
  if (end === 128) block(TAIL, 64);
  for (let i = 0; i < 5; i++) {
    const h = H[i];
    out[outOff + i * 4] = h >>> 24;
    out[outOff + i * 4 + 1] = h >>> 16;
    out[outOff + i * 4 + 2] = h >>> 8;
    out[outOff + i * 4 + 3] = h;
  }
}
