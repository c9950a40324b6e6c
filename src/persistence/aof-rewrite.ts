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
 *   pool (FileOut: positional async writes); stepping pauses while more than MAX_PENDING bytes
 *   wait for the disk. With aof-rewrite-incremental-fsync, fdatasync every 4 MB runs in the pool
 *   too, and so do the final fsync, close and rename. Each step serializes keys for about STEP_MS.
 * - Abort: the snapshot detaches, the temp file is unlinked at once and closed when idle.
 */
import fs from 'fs';
import type { Server } from '../server/server';
import type { HashValue, KeyInfo, ListValue, RedisValue, SetValue, StreamValue, ZSetValue } from '../engine/types';
import { typeOfValue } from '../engine/types';
import { type Arg, ByteSink, encodeInto } from '../server/propagate';
import { rewriteStream } from './aof-stream';
import { FileOut } from './bgsave';
import { Snapshot } from './snapshot';
import { scriptingOf } from '../scripting/engine';
import { formatDouble } from '../util/number';

const STEP_MS = 2;
const CHUNK_BYTES = 256 * 1024;
const MAX_PENDING = 8 * 1024 * 1024;
const FSYNC_EVERY = 4 * 1024 * 1024; // REDIS_AUTOSYNC_BYTES
const ITEMS_PER_CMD = 64; // AOF_REWRITE_ITEMS_PER_CMD

export class AofCommandBase {
  readonly snapshot: Snapshot;
  readonly done: Promise<boolean>;
  aborted = false;
  /** The longest single step (ms) and how many steps ran. */
  longestStepMs = 0;
  steps = 0;
  private readonly out: FileOut;
  private readonly sink = new ByteSink(CHUNK_BYTES + 64 * 1024);
  private readonly argv: Arg[] = [];
  private curDb = -1;
  private unsynced = 0;
  private readonly incrementalFsync: boolean;

  /** Write the base to `tmp` (created now; throws if it cannot be), renamed to `file` when complete. */
  constructor(
    private readonly s: Server,
    readonly tmp: string,
    private readonly file: string,
  ) {
    this.out = new FileOut(fs.openSync(tmp, 'w'));
    this.incrementalFsync = s.config.bool('aof-rewrite-incremental-fsync');
    for (const lib of scriptingOf(s).libraries.values()) this.cmd(['FUNCTION', 'LOAD', lib.code]);
    this.snapshot = new Snapshot(s.dbs, s.clock.now(), { key: (i, k, v, info) => this.key(i, k, v, info) });
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
    this.unsynced += sink.len;
    sink.len = 0;
    sink.release();
    if (this.incrementalFsync && this.unsynced >= FSYNC_EVERY) {
      // In the thread pool: syncs what the writes queued so far have put in the file. The final
      // fsync before the rename makes the whole file durable.
      this.unsynced = 0;
      fs.fdatasync(this.out.fd, () => undefined);
    }
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
      // The first step runs in a turn of its own, not inside the command that started the save.
      await new Promise((r) => setImmediate(r));
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
        await new Promise((r) => setImmediate(r));
      }
      this.flush();
      await this.out.drain();
      if (this.aborted) return false;
      if (this.out.error) throw this.out.error;
      const fd = this.out.fd;
      await new Promise<void>((res, rej) => fs.fsync(fd, (e) => (e ? rej(e) : res())));
      if (this.aborted) return false;
      await this.out.close();
      if (this.aborted) return false;
      await fs.promises.rename(this.tmp, this.file);
      return true;
    } catch (e) {
      if (!this.aborted) {
        this.s.logger.warn(`Background AOF rewrite failed: ${(e as Error).message}`);
        this.abort();
      }
      return false;
    }
  }

  /** Stop: detach the snapshot, delete the temp file. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.snapshot.abort();
    try {
      fs.unlinkSync(this.tmp);
    } catch {
      /* already gone */
    }
    this.out.closeLater();
  }
}
