/**
 * HyperLogLog commands (Redis hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG, PFSELFTEST.
 * Values are plain strings in Redis's own HLL representation (src/util/hyperloglog.ts), so GET,
 * DUMP/RESTORE and RDB files carry them unchanged between Redis and Redust.
 *
 * Like Redis's dbUnshareStringValue, every command that looks at an HLL for writing (PFADD,
 * PFCOUNT, PFMERGE's target, PFDEBUG) leaves it raw-encoded.
 */
import { APPEND_MISSING, APPEND_WRONGTYPE, EMBSTR_MAX, StrEnc } from '../engine/types';
import type { StringEdit, StringPeek } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, WRONGTYPE } from './errors';
import { lookupReadBytes, lookupWriteBytes, peekByte, peekStringRead, written } from './keyspace';
import { canBlock, holdClient, releaseClient } from './blocking';
import type { ByteView } from './keyspace';
import { createHll, denseGet, denseSet, denseSetRaw, estimate, Hll, hllAdd, hllCount, hllSet, lastPatIndex, patLen, HLL_DENSE, HLL_DENSE_SIZE, HLL_HDR_SIZE, HLL_REGISTERS, HLL_REGISTER_MAX, HLL_SPARSE, sparseSet, sparseToDense } from '../util/hyperloglog';
import { setImmediate } from '../util/real-timers';

const INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';
const NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

type View = ByteView;

/** A string value's bytes for reading; null when missing. WRONGTYPE for other types. */
function readView(c: Client, key: Buffer, forWrite: boolean): View | null {
  return forWrite ? lookupWriteBytes(c, key) : lookupReadBytes(c, key);
}

/** isHLLObjectOrReply's checks (the caller checks the type): header, encoding, dense size. */
function checkHll(v: StringPeek): void {
  const len = v.length;
  const enc = len >= HLL_HDR_SIZE ? peekByte(v, 4) : -1;
  const ok = enc >= 0 && peekByte(v, 0) === 72 && peekByte(v, 1) === 89 && peekByte(v, 2) === 76 && peekByte(v, 3) === 76; // HYLL
  if (!ok || enc > HLL_SPARSE || (enc === HLL_DENSE && len !== HLL_DENSE_SIZE)) fail(NOT_HLL);
}

/** A private, mutable copy of a stored HLL (with room for sparse growth). */
function copyHll(v: View): Hll {
  const buf = Buffer.alloc(v.length + 8);
  buf.set(v.bytes.subarray(v.start, v.start + v.length), 0);
  return new Hll(buf, v.length);
}

/** Store the HLL back (TTL kept, raw encoding). */
function store(c: Client, key: Buffer, h: Hll): void {
  c.db.set(key, h.bytes(), true, StrEnc.Raw);
}

/** dbUnshareStringValue's visible effect when the value did not change: the encoding becomes raw. */
function makeRaw(c: Client, key: Buffer, v: View): void {
  if (v.length > EMBSTR_MAX) return; // already reported raw
  // Copied before the next engine call (a peeked view is only valid until then).
  const copy = Buffer.from(v.bytes.subarray(v.start, v.start + v.length));
  if (c.db.info(key)?.strEnc === StrEnc.Raw) return;
  c.db.set(key, copy, true, StrEnc.Raw);
}

function sparseMax(c: Client): number {
  return c.server.config.int('hll-sparse-max-bytes');
}

/**
 * The dense HLL stored at `key` as a writable view (Db.editString: its 12 KB are edited where
 * they are, never copied), or null when the value is sparse (sparse values may grow or turn
 * dense, so they are rebuilt and stored).
 */
function editDense(c: Client, key: Buffer, v: View): StringEdit | null {
  if (v.bytes[v.start + 4] !== HLL_DENSE) return null;
  return c.db.editString(key, 0, v.length) as StringEdit;
}

/** An Hll over an edited value's bytes (no copy). */
function hllOf(e: StringEdit): Hll {
  return new Hll(Buffer.from(e.bytes.buffer, e.bytes.byteOffset + e.start, e.length), e.length);
}

function pfadd(c: Client, argv: Buffer[]): void {
  const key = argv[1];
  // A dense HLL (the one length it can have) is edited where it is, found in one lookup.
  const r = c.db.editExact(key, HLL_DENSE_SIZE);
  let v: View | null;
  if (typeof r !== 'number') v = r;
  else if (r === APPEND_WRONGTYPE) fail(WRONGTYPE);
  else v = r === APPEND_MISSING ? null : readView(c, key, true);
  if (v !== null) checkHll(v);
  if (v !== null && v.bytes[v.start + 4] === HLL_DENSE) {
    // Registers set where the value is (no wrapper): hllAdd's dense case.
    const b = v.bytes;
    const off = v.start + HLL_HDR_SIZE;
    let updated = 0;
    for (let j = 2; j < argv.length; j++) {
      const ele = argv[j];
      const count = patLen(ele, 0, ele.length);
      updated += denseSet(b, off, lastPatIndex(), count);
    }
    if (updated) {
      b[v.start + 15] |= 0x80; // invalidate the cached cardinality
      written(c, key, 'pfadd', '$', updated);
    }
    c.reply.int(updated ? 1 : 0);
    return;
  }
  let h: Hll;
  let updated = 0;
  if (v === null) {
    h = createHll();
    updated++;
  } else h = copyHll(v);
  const max = sparseMax(c);
  for (let j = 2; j < argv.length; j++) {
    const r = hllAdd(h, argv[j], max);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis modified the value in place for the elements before this one.
      if (updated > 0) store(c, key, h);
      fail(INVALID_HLL);
    }
  }
  if (updated) {
    h.invalidateCache();
    store(c, key, h);
    written(c, key, 'pfadd', '$', updated);
  } else if (v !== null) makeRaw(c, key, v);
  c.reply.int(updated ? 1 : 0);
}

function pfcount(c: Client, argv: Buffer[]): void {
  if (argv.length > 2) {
    // The union's registers are merged where the values are (Engine.hllRegisters).
    const regs = c.server.engine.hllRegisters();
    regs.reset();
    for (let j = 1; j < argv.length; j++) {
      const v = peekStringRead(c, argv[j]);
      if (v === null) continue;
      checkHll(v);
      if (!regs.merge(v)) fail(INVALID_HLL);
    }
    c.reply.int(estimate(regs.histogram()));
    return;
  }
  const key = argv[1];
  const v = readView(c, key, false);
  if (v === null) {
    c.reply.int(0);
    return;
  }
  checkHll(v);
  const b = v.bytes;
  if ((b[v.start + 15] & 0x80) === 0) {
    const o = v.start + 8;
    const card = (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 2 ** 24 + (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16)) * 2 ** 32 + b[o + 7] * 2 ** 56;
    makeRaw(c, key, v);
    c.reply.int(card);
    return;
  }
  const card = hllCount(b, v.start, v.length);
  if (card < 0) fail(INVALID_HLL);
  // The cache is written into the stored value in place.
  hllOf(c.db.editString(key, 0, v.length) as StringEdit).setCachedCard(card);
  // A read-only command that updates the cached value: WATCH and the dirty counter see it, no event.
  c.server.signalModifiedKey(c.dbIndex, key);
  c.server.dirty(1);
  c.reply.int(card);
}

function pfmerge(c: Client, argv: Buffer[]): void {
  const regs = c.server.engine.hllRegisters();
  regs.reset();
  let useDense = false;
  for (let j = 1; j < argv.length; j++) {
    const v = peekStringRead(c, argv[j]);
    if (v === null) continue;
    checkHll(v);
    if (peekByte(v, 4) === HLL_DENSE) useDense = true;
    if (!regs.merge(v)) fail(INVALID_HLL);
  }
  const key = argv[1];
  const v = readView(c, key, true);
  if (v !== null) checkHll(v);
  const e = v === null ? null : editDense(c, key, v);
  if (e !== null) {
    // A dense target is raised in place, register by register, where it is stored.
    regs.raiseDense(e);
    hllOf(e).invalidateCache();
  } else {
    const h = v === null ? createHll() : copyHll(v);
    if (useDense && !sparseToDense(h)) fail(INVALID_HLL);
    const sparseMaxBytes = sparseMax(c);
    const max = regs.registers();
    for (let j = 0; j < HLL_REGISTERS; j++) {
      const m = max[j];
      if (m === 0) continue;
      if (h.encoding === HLL_DENSE) {
        if (m > denseGet(h.buf, HLL_HDR_SIZE, j)) denseSetRaw(h.buf, HLL_HDR_SIZE, j, m);
      } else if (h.encoding === HLL_SPARSE) sparseSet(h, j, m, sparseMaxBytes);
    }
    h.invalidateCache();
    store(c, key, h);
  }
  written(c, key, 'pfadd', '$');
  c.reply.ok();
}

function pfdebug(c: Client, argv: Buffer[]): void {
  const sub = argv[1].latin1Slice(0, argv[1].length);
  const key = argv[2];
  const v = readView(c, key, true);
  if (v === null) fail('ERR The specified key does not exist');
  checkHll(v);
  const h = copyHll(v);
  makeRaw(c, key, { bytes: h.buf, start: 0, length: h.len });
  const lower = sub.toLowerCase();
  const arity = () => {
    if (argv.length !== 3) fail(`ERR Wrong number of arguments for the '${sub}' subcommand`);
  };
  if (lower === 'getreg') {
    arity();
    if (h.encoding === HLL_SPARSE) {
      if (!sparseToDense(h)) fail(INVALID_HLL);
      store(c, key, h);
      c.server.dirty(1);
    }
    c.reply.array(HLL_REGISTERS);
    for (let j = 0; j < HLL_REGISTERS; j++) c.reply.int(denseGet(h.buf, HLL_HDR_SIZE, j));
  } else if (lower === 'decode') {
    arity();
    if (h.encoding !== HLL_SPARSE) fail('ERR HLL encoding is not sparse');
    const parts: string[] = [];
    const b = h.buf;
    const end = h.len;
    let p = HLL_HDR_SIZE;
    while (p < end) {
      const op = b[p];
      if ((op & 0xc0) === 0) {
        parts.push(`z:${(op & 0x3f) + 1}`);
        p++;
      } else if ((op & 0xc0) === 0x40) {
        parts.push(`Z:${(((op & 0x3f) << 8) | (p + 1 < end ? b[p + 1] : 0)) + 1}`);
        p += 2;
      } else {
        parts.push(`v:${((op >> 2) & 0x1f) + 1},${(op & 3) + 1}`);
        p++;
      }
    }
    c.reply.bulk(parts.join(' '));
  } else if (lower === 'encoding') {
    arity();
    c.reply.simple(h.encoding === HLL_DENSE ? 'dense' : 'sparse');
  } else if (lower === 'todense') {
    arity();
    let conv = 0;
    if (h.encoding === HLL_SPARSE) {
      if (!sparseToDense(h)) fail(INVALID_HLL);
      store(c, key, h);
      c.server.dirty(1);
      conv = 1;
    }
    c.reply.int(conv);
  } else {
    fail(`ERR Unknown PFDEBUG subcommand '${sub}'`);
  }
}

/**
 * PFSELFTEST (Redis's pfselftestCommand): register access on random values, then dense and sparse
 * HLLs fed the same 10 million elements, their estimates checked against each other and against
 * the true cardinality at every power of ten. The work is a generator that yields every
 * SELFTEST_SLICE elements: a client that can block is held while the slices run between other
 * clients' commands (Redis stops the server for the whole test); inside MULTI or a script it runs
 * to the end at once, as Redis does. The generator returns an error text, or null for OK.
 */
const SELFTEST_ELEMENTS = 10_000_000;
const SELFTEST_SLICE = 20_000;

function* selftest(sparseMaxBytes: number): Generator<void, string | null> {
  const regs = new Uint8Array(HLL_DENSE_SIZE);
  const bytecounters = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 100; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = Math.floor(Math.random() * 256) & HLL_REGISTER_MAX;
      bytecounters[i] = r;
      denseSetRaw(regs, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const val = denseGet(regs, HLL_HDR_SIZE, i);
      if (val !== bytecounters[i]) return `ERR TESTFAILED Register ${i} should be ${bytecounters[i]} but is ${val}`;
    }
    if (j % 20 === 19) yield;
  }
  const dense = createHll();
  sparseToDense(dense);
  const sparse = createHll();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  const ele = Buffer.alloc(8);
  const seedLo = (Math.random() * 4294967296) >>> 0;
  const seedHi = (Math.random() * 4294967296) >>> 0;
  let checkpoint = 1;
  for (let j = 1; j <= SELFTEST_ELEMENTS; j++) {
    ele.writeUInt32LE((j ^ seedLo) >>> 0, 0);
    ele.writeUInt32LE(seedHi, 4);
    // One hash for both (Redis hashes twice: same registers, half the work).
    const count = patLen(ele, 0, 8);
    const index = lastPatIndex();
    hllSet(dense, index, count, sparseMaxBytes);
    hllSet(sparse, index, count, sparseMaxBytes);
    if (j === checkpoint) {
      if (j < sparseMaxBytes / 2 && sparse.encoding !== HLL_SPARSE) return 'ERR TESTFAILED sparse encoding not used';
      const dc = hllCount(dense.buf, 0, dense.len);
      if (dc !== hllCount(sparse.buf, 0, sparse.len)) return 'ERR TESTFAILED dense/sparse disagree';
      let maxerr = Math.ceil(relerr * 6 * checkpoint);
      if (j === 10) maxerr = 1;
      const abserr = Math.abs(checkpoint - dc);
      if (abserr > maxerr) return `ERR TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
      checkpoint *= 10;
    }
    if (j % SELFTEST_SLICE === 0) yield;
  }
  return null;
}

function pfselftest(c: Client): void {
  const steps = selftest(sparseMax(c));
  const answer = (err: string | null) => (err === null ? c.reply.ok() : c.reply.error(err));
  if (!canBlock(c)) {
    let r = steps.next();
    while (!r.done) r = steps.next();
    answer(r.value);
    return;
  }
  holdClient(c);
  const slice = (): void => {
    if (c.closed) return;
    // Not under a busy script (it yields to the event loop): it must not see half of it.
    if (c.server.busyScript !== null) {
      c.server.afterScript.push(slice);
      return;
    }
    const r = steps.next();
    if (r.done) releaseClient(c, () => answer(r.value));
    else setImmediate(slice);
  };
  slice();
}

export const commands: CommandRow[] = [
  { name: 'pfadd', handler: pfadd },
  { name: 'pfcount', handler: pfcount },
  { name: 'pfmerge', handler: pfmerge },
  { name: 'pfdebug', handler: pfdebug },
  { name: 'pfselftest', handler: pfselftest },
];
