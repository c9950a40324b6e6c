/**
 * The js-map engine's view of request bytes for Db.prefetch: where the first key of each pipelined
 * command is. The engine reads these hints itself (it never imports the protocol layer), as the
 * wasm engine does inside linear memory.
 */

/**
 * For a prefetch hint (Db.prefetch): the second argument (the first key of most commands) of up to
 * `max` complete multibulk requests in buf[start..], as offsets and lengths into buf, and in
 * mOffs/mLens the third argument of hash and set commands (a field or member: HSET, HGET, SADD,
 * SISMEMBER...; mLens -1 for other commands or none). Stops at the
 * first incomplete or unusual frame. Returns how many were found. Reads only. (The wasm engine
 * runs the same scan inside linear memory, assembly/keyspace.ts dbPrefetch, over one copy of the
 * batch: cheaper there than this scan plus a copy of every key across the boundary.)
 */
export function firstKeys(buf: Buffer, start: number, max: number, offs: Int32Array, lens: Int32Array, mOffs: Int32Array, mLens: Int32Array): number {
  const end = buf.length;
  let p = start;
  let n = 0;
  while (n < max && p < end && buf[p] === 42 /* '*' */) {
    mLens[n] = -1;
    let member = false;
    let argc = 0;
    let c = 0;
    p++;
    while (p < end && (c = buf[p]) >= 48 && c <= 57 && argc < 1024) {
      argc = argc * 10 + (c - 48);
      p++;
    }
    if (c !== 13 /* CR */ || argc < 2 || argc >= 1024) break;
    p += 2;
    let i = 0;
    for (; i < argc; i++) {
      if (p >= end || buf[p] !== 36 /* '$' */) break;
      let len = 0;
      p++;
      while (p < end && (c = buf[p]) >= 48 && c <= 57 && len < 1e9) {
        len = len * 10 + (c - 48);
        p++;
      }
      if (c !== 13 /* CR */) break;
      p += 2;
      if (p + len + 2 > end) break;
      if (i === 0 && len >= 2 && p + 1 < end) {
        // A hash command (H...) or a set command (S... but not SET...): argument 2 is a field or member
        // (used for big hashes: their KeyTable is prefetched too).
        const c0 = buf[p] | 0x20;
        member = c0 === 104 /* h */ || (c0 === 115 /* s */ && (buf[p + 1] | 0x20) !== 101) /* e */;
      } else if (i === 1) {
        offs[n] = p;
        lens[n] = len;
      } else if (i === 2 && member) {
        mOffs[n] = p;
        mLens[n] = len;
      }
      p += len + 2;
    }
    if (i < argc) break;
    n++;
  }
  return n;
}
