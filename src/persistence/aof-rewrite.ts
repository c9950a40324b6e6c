/**
 * The command-format AOF base (aof-use-rdb-preamble no) written by BGREWRITEAOF without fork:
 * rewriteAppendOnlyFileRio's commands for the point-in-time snapshot (snapshot.ts), written in
 * small steps between events, as BgSave (bgsave.ts) writes the RDB.
 *
 * Invariants:
 * - The file holds exactly the dataset at the rewrite's start T (FUNCTION LOAD per library, then
 *   per key SET / RPUSH / SADD / ZADD / HMSET in batches of 64 items, the stream commands of
 *   aof-stream.ts, PEXPIREAT), with SELECT whenever the db changes (early copies may switch dbs).
 * - Event loop: nothing on the main thread waits for the disk. Commands are encoded into one
 *   reused buffer; every CHUNK_BYTES it is copied into a reused chunk and written by the thread
 *   pool (FileOut: positional async writes from reused chunks); stepping pauses while more than
 *   MAX_PENDING bytes (bgsave.ts) wait for the disk. With aof-rewrite-incremental-fsync,
 *   fdatasync every 4 MB runs in the pool too, and so do the final fsync, close and rename. Each step serializes keys for about STEP_MS.
 * - Abort: the snapshot detaches, the temp file is unlinked at once and closed when idle.
 */
import fs from 'fs';
import type { Server } from '../server/server';
import type { HashValue, KeyInfo, ListValue, RedisValue, SetValue, StreamValue, ZSetValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import { type Arg, ByteSink, encodeInto } from '../server/propagate';
import { rewriteStream } from './aof-stream';
import { beforeFirstStep, discardSave, FileOut, MAX_PENDING, nextStepTurn } from './bgsave';
import { Snapshot } from './snapshot';
import { fsyncAsync, renameAsync } from '../util/fs-async';
import { scriptingOf } from '../scripting/engine';
import { formatDouble, writeDigitsBefore } from '../util/number';
import { AUTOSYNC_BYTES, saveSettings } from './rdb';
import * as F from './format';
import { performance } from '../util/real-timers';

const STEP_MS = 2;
const CHUNK_BYTES = 256 * 1024;
const ITEMS_PER_CMD = 64; // AOF_REWRITE_ITEMS_PER_CMD

export class AofCommandBase {
  readonly snapshot: Snapshot;
  readonly done: Promise<boolean>;
  aborted = false;
  /** The longest single step (ms) and how many steps ran. */
  longestStepMs = 0;
  steps = 0;
  private readonly out: FileOut;
  /** The encoded commands (spareSink's, or a new one when another base still holds it). */
  private readonly sink: ByteSink;
  private readonly argv: Arg[] = [];
  private curDb = -1;

  /** Write the base to `tmp` (created now; throws if it cannot be), renamed to `file` when complete. */
  constructor(
    private readonly s: Server,
    readonly tmp: string,
    private readonly file: string,
  ) {
    this.sink = spareSink ?? new ByteSink(CHUNK_BYTES + 64 * 1024);
    spareSink = null;
    this.sink.len = 0;
    // aof-rewrite-incremental-fsync: FileOut fdatasyncs every AUTOSYNC_BYTES in the thread pool
    // (the final fsync before the rename makes the whole file durable).
    this.out = new FileOut(fs.openSync(tmp, 'w'), s.config.bool('aof-rewrite-incremental-fsync') ? AUTOSYNC_BYTES : 0);
    // rewriteAppendOnlyFileRio starts with the time of the rewrite (in Redis's child, so the
    // parent's last annotated second is not moved: the incr file annotates on its own).
    if (s.aof.timestamps) this.sink.appendLatin1(F.timestampAnnotation(Math.floor(s.clock.now() / 1000)));
    for (const lib of scriptingOf(s).libraries.values()) this.cmd(['FUNCTION', 'LOAD', lib.code]);
    const now = s.clock.now();
    this.snapshot = new Snapshot(s.dbs, now, {
      key: (i, k, v, info) => this.key(i, k, v, info),
      // Engines that serialize records (wasm): strings are copied from their record, the rest
      // declined (handed to key()). Plain records: no compression, no IDLE/FREQ.
      record: (i, src, start, end) => this.record(i, src, start, end),
      recordSettings: { ...saveSettings(s, now, false, false), compression: false },
    }, (f) => s.asIs(f));
    this.done = this.run();
  }

  private cmd(argv: Arg[]): void {
    encodeInto(this.sink, argv);
    if (this.sink.len >= CHUNK_BYTES) this.flush();
  }

  /** Hand the encoded bytes to the file (a copy: the sink is reused at once). */
  private flush(): void {
    const sink = this.sink;
    if (sink.len === 0) return;
    this.out.copy(sink.buf, sink.len);
    sink.len = 0;
    sink.release();
  }

  /** The snapshot's sink: this key's commands, now (its value may change right after). */
  private key(dbIndex: number, key: Buffer, v: RedisValue, info: KeyInfo): void {
    if (dbIndex !== this.curDb) {
      this.cmd(['SELECT', dbIndex]);
      this.curDb = dbIndex;
    }
    switch (typeOfValue(v)) {
      case 'string':
        this.cmd3('SET', key, v as Buffer | string);
        break;
      case 'list': {
        const l = v as ListValue;
        this.begin('RPUSH', key);
        if (l.size > 0) l.range(0, l.size - 1, (x) => this.item1(x));
        this.end();
        break;
      }
      case 'set':
        this.begin('SADD', key);
        (v as SetValue).forEach((m) => this.item1(m));
        this.end();
        break;
      case 'zset':
        this.begin('ZADD', key);
        (v as ZSetValue).forEach((m, sc) => this.item2(formatDouble(sc), m));
        this.end();
        break;
      case 'hash':
        this.begin('HMSET', key);
        (v as HashValue).forEach((f, x) => this.item2(f, x));
        this.end();
        break;
      default:
        rewriteStream(key, v as StreamValue, (argv) => this.cmd(argv));
    }
    if (info.expireAt !== -1) this.cmd3('PEXPIREAT', key, info.expireAt);
  }

  /**
   * A string key's SET (and PEXPIREAT) straight from its RDB record ([EXPIRETIME_MS ms] type key
   * value; the strings raw or int-encoded, as compression is off): no key, value or info object.
   * Any other type is declined (false).
   */
  private record(dbIndex: number, src: Uint8Array, start: number, end: number): boolean {
    let p = start;
    let expireAt = -1;
    if (src[p] === F.RDB_OPCODE_EXPIRETIME_MS) {
      expireAt = readU32LE(src, p + 1) + readU32LE(src, p + 5) * 4294967296;
      p += 9;
    }
    if (src[p] !== F.RDB_TYPE_STRING) return false;
    p++;
    const k = rdbString(src, p);
    if (k < 0) return false;
    const kAt = strAt;
    const kLen = strLen;
    const kInt = strInt;
    const v = rdbString(src, k);
    if (v !== end) return false;
    if (dbIndex !== this.curDb) {
      this.cmd(['SELECT', dbIndex]);
      this.curDb = dbIndex;
    }
    const sink = this.sink;
    head(sink, SET_HEAD);
    bulk(sink, src, kAt, kLen, kInt);
    bulk(sink, src, strAt, strLen, strInt);
    if (expireAt !== -1) {
      head(sink, PEXPIREAT_HEAD);
      bulk(sink, src, kAt, kLen, kInt);
      bulk(sink, null, 0, 0, String(expireAt));
    }
    if (sink.len >= CHUNK_BYTES) this.flush();
    return true;
  }

  private cmd3(name: string, a: Arg, b: Arg): void {
    const argv = this.argv;
    argv.length = 0;
    argv.push(name, a, b);
    this.cmd(argv);
  }

  // A collection's items in commands of up to 64 items each, encoded as they come (no array of
  // all items; the items are encoded before the container is touched again).
  private begin(name: string, key: Buffer): void {
    const argv = this.argv;
    argv.length = 0;
    argv.push(name, key);
  }

  private item1(x: Arg): void {
    this.argv.push(x);
    if (this.argv.length === 2 + ITEMS_PER_CMD) this.end();
  }

  private item2(x: Arg, y: Arg): void {
    this.argv.push(x, y);
    if (this.argv.length === 2 + 2 * ITEMS_PER_CMD) this.end();
  }

  /** The batch so far (if any item), then an empty one for the same command and key. */
  private end(): void {
    const argv = this.argv;
    if (argv.length > 2) this.cmd(argv);
    argv.length = 2;
  }

  private async run(): Promise<boolean> {
    try {
      await beforeFirstStep(this.s);
      for (;;) {
        if (this.aborted) return false;
        if (this.out.error) throw this.out.error;
        if (this.out.pending > MAX_PENDING) {
          await this.out.drain();
          continue;
        }
        const t = performance.now();
        const finished = this.snapshot.step(STEP_MS);
        const took = performance.now() - t;
        if (took > this.longestStepMs) this.longestStepMs = took;
        this.steps++;
        if (finished) break;
        await nextStepTurn(this.s);
      }
      this.flush();
      await this.out.drain();
      if (this.aborted) return false;
      if (this.out.error) throw this.out.error;
      const fd = this.out.fd;
      await fsyncAsync(fd);
      if (this.aborted) return false;
      await this.out.close();
      if (this.aborted) return false;
      await renameAsync(this.tmp, this.file);
      return true;
    } catch (e) {
      if (!this.aborted) {
        this.s.logger.warn(`Background AOF rewrite failed: ${(e as Error).message}`);
        this.abort();
      }
      return false;
    } finally {
      // (an aborted base stops encoding at its next turn: nothing uses the sink after this)
      this.sink.len = 0;
      this.sink.release();
      spareSink = this.sink;
    }
  }

  /** Stop: detach the snapshot, delete the temp file. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    discardSave(this.snapshot, this.tmp, this.out);
  }
}

/**
 * The last finished base's sink, taken by the next one: a new 320 KB off-heap buffer per rewrite
 * is counted by V8 towards its next full GC, and with a few rewrites in a row that GC started in
 * the middle of one.
 */
let spareSink: ByteSink | null = null;

// ------------------------------------------------------------------ RDB string records

/** What rdbString read: the bytes at [strAt, strAt + strLen), or an int-encoded value as text. */
let strAt = 0;
let strLen = 0;
let strInt: string | null = null;

function readU32LE(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16)) + b[p + 3] * 16777216;
}

/**
 * An RDB string at p (length-prefixed raw bytes, or INT8/16/32): sets strAt/strLen/strInt and
 * returns the offset after it, or -1 for an encoding this reader does not take (LZF).
 */
function rdbString(b: Uint8Array, p: number): number {
  const first = b[p];
  const kind = first >> 6;
  strInt = null;
  let len: number;
  if (kind === 0) {
    len = first & 0x3f;
    p += 1;
  } else if (kind === 1) {
    len = ((first & 0x3f) << 8) | b[p + 1];
    p += 2;
  } else if (first === 0x80) {
    len = b[p + 1] * 16777216 + ((b[p + 2] << 16) | (b[p + 3] << 8) | b[p + 4]);
    p += 5;
  } else if (kind === 3) {
    const enc = first & 0x3f;
    let n: number;
    if (enc === 0) {
      n = (b[p + 1] << 24) >> 24;
      p += 2;
    } else if (enc === 1) {
      n = ((b[p + 1] | (b[p + 2] << 8)) << 16) >> 16;
      p += 3;
    } else if (enc === 2) {
      n = b[p + 1] | (b[p + 2] << 8) | (b[p + 3] << 16) | (b[p + 4] << 24);
      p += 5;
    } else return -1;
    strInt = String(n);
    strAt = strLen = 0;
    return p;
  } else return -1; // (64-bit lengths: not from a record of a live key this size)
  strAt = p;
  strLen = len;
  return p + len;
}

/** `$<len>\r\n<bytes>\r\n` from src[at, at + len), or of `text` when given. */
function bulk(sink: ByteSink, src: Uint8Array | null, at: number, len: number, text: string | null): void {
  if (text !== null) {
    sink.appendLatin1(`$${text.length}\r\n${text}\r\n`);
    return;
  }
  sink.reserve(len + 16);
  const buf = sink.buf;
  let o = sink.len;
  buf[o++] = 36; // '$'
  // The length's digits in place (no string per bulk: this runs for every key and value).
  const digits = len < 10 ? 1 : len < 100 ? 2 : len < 1000 ? 3 : len < 10000 ? 4 : String(len).length;
  o += digits;
  writeDigitsBefore(buf, o, len);
  buf[o++] = 13;
  buf[o++] = 10;
  if (len < 64) for (let i = 0; i < len; i++) buf[o + i] = src![at + i];
  else buf.set(src!.subarray(at, at + len), o);
  o += len;
  buf[o++] = 13;
  buf[o++] = 10;
  sink.len = o;
}

/** A command's fixed head, e.g. `*3\r\n$3\r\nSET\r\n`, copied byte by byte (shorter than a native call). */
function head(sink: ByteSink, bytes: Uint8Array): void {
  sink.reserve(bytes.length);
  const buf = sink.buf;
  const o = sink.len;
  for (let i = 0; i < bytes.length; i++) buf[o + i] = bytes[i];
  sink.len = o + bytes.length;
}

const SET_HEAD = Buffer.from('*3\r\n$3\r\nSET\r\n', 'latin1');
const PEXPIREAT_HEAD = Buffer.from('*3\r\n$9\r\nPEXPIREAT\r\n', 'latin1');
