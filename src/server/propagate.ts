/**
 * Command propagation (Redis 7.0's alsoPropagate / propagatePendingCommands in server.c): the
 * stream of effects that the append-only file records and that replicas will receive. It says
 * what changed the dataset, in order, in a form that replays to the same state:
 *
 * - a write command (one that changed the dirty counter) as it was sent, or as its handler
 *   rewrote it (`propagateAs`): EXPIRE -> PEXPIREAT, SET EX -> SET PXAT, INCRBYFLOAT -> SET
 *   KEEPTTL, BLPOP -> LPOP, SPOP -> SREM... so that replaying never depends on time or chance;
 * - the effects of a script or a MULTI/EXEC, never the EVAL or EXEC itself, wrapped in
 *   MULTI/EXEC when there is more than one;
 * - keys deleted by lazy or active expiry and by eviction, as DEL;
 * - SELECT whenever the database differs from the last one propagated.
 *
 * Invariants: nothing is collected while no consumer is attached (`active` false), so a server
 * without an AOF pays one field read per write command. Pending commands are handed to the
 * consumers at the end of the outermost command (Dispatcher.call), before any reply of it can be
 * written, so an AOF with `appendfsync always` can sync before the client hears of the write.
 */
import type { Client } from './client';

/** What receives the propagated stream (the AOF; later the replication backlog). */
export interface PropagationTarget {
  /** RESP-encoded commands, SELECTs included, in the order they must be replayed. */
  feed(bytes: Buffer): void;
}

/** A propagated argument: bytes, a latin1 string (1 char = 1 byte) or an integer. */
export type Arg = Buffer | string | number;

interface Pending {
  db: number;
  argv: Arg[];
}

export class Propagator {
  private readonly targets: PropagationTarget[] = [];
  private pending: Pending[] = [];
  /** Database of the last command handed to the targets (-1: none yet, SELECT first). */
  private lastDb = -1;
  /** True while at least one target is attached: only then is anything collected. */
  active = false;

  attach(t: PropagationTarget): void {
    this.targets.push(t);
    this.active = true;
    this.lastDb = -1;
  }

  /** The next command handed over starts with a SELECT (a new AOF incr file begins). */
  reselect(): void {
    this.lastDb = -1;
  }

  detach(t: PropagationTarget): void {
    const i = this.targets.indexOf(t);
    if (i !== -1) this.targets.splice(i, 1);
    this.active = this.targets.length > 0;
  }

  /** alsoPropagate: queue a command for the end of the current (outermost) command. */
  alsoPropagate(db: number, argv: Arg[]): void {
    if (this.active) this.pending.push({ db, argv });
  }

  /** Hand a command to the targets now, ahead of anything pending (expiry outside scripts, eviction). */
  propagateNow(db: number, argv: Arg[]): void {
    if (!this.active) return;
    this.emit([{ db, argv }], false);
  }

  /** propagatePendingCommands: hand over what the command queued, wrapped when it is several. */
  flushPending(): void {
    if (this.pending.length === 0) return;
    const list = this.pending;
    this.pending = [];
    this.emit(list, list.length > 1);
  }

  private emit(list: Pending[], wrap: boolean): void {
    const parts: Buffer[] = [];
    let db = this.lastDb;
    const select = (to: number) => {
      if (to !== db) {
        parts.push(encode(['SELECT', to]));
        db = to;
      }
    };
    // The SELECT for a MULTI block goes before MULTI, as Redis writes it.
    if (wrap) {
      select(list[0].db);
      parts.push(MULTI);
    }
    for (const p of list) {
      select(p.db);
      parts.push(encode(p.argv));
    }
    if (wrap) parts.push(EXEC);
    this.lastDb = db;
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    for (const t of this.targets) t.feed(bytes);
  }
}

/** A command as a RESP array of bulk strings. */
export function encode(argv: Arg[]): Buffer {
  let size = 16;
  const bufs: Buffer[] = argv.map((a) => (typeof a === 'number' ? Buffer.from(String(a)) : typeof a === 'string' ? Buffer.from(a, 'latin1') : a));
  for (const b of bufs) size += b.length + 16;
  const out = Buffer.allocUnsafe(size);
  let p = out.write(`*${bufs.length}\r\n`, 0, 'latin1');
  for (const b of bufs) {
    p += out.write(`$${b.length}\r\n`, p, 'latin1');
    p += b.copy(out, p);
    out[p++] = 13;
    out[p++] = 10;
  }
  return out.subarray(0, p);
}

const MULTI = encode(['MULTI']);
const EXEC = encode(['EXEC']);

/**
 * rewriteClientCommandVector: propagate this command as `argv` instead of what the client sent
 * (only computed when propagation is active; handlers call it after acting).
 */
export function propagateAs(c: Client, ...argv: Arg[]): void {
  if (c.server.propagation.active) c.propagateArgv = argv;
}

/** Propagate nothing for this command even though it changed the dirty counter. */
export function preventPropagation(c: Client): void {
  if (c.server.propagation.active) c.propagateArgv = NO_PROPAGATION;
}

/** An additional command to propagate after this one (served blocked clients, SPOP's SREMs...). */
export function alsoPropagate(c: Client, ...argv: Arg[]): void {
  c.server.propagation.alsoPropagate(c.dbIndex, argv);
}

/**
 * What a blocking command did, propagated as its non-blocking form: in place of the command when
 * it was served at once, or after the command that woke it (`served`).
 */
export function propagateEffect(c: Client, served: boolean, ...argv: Arg[]): void {
  if (served) alsoPropagate(c, ...argv);
  else propagateAs(c, ...argv);
}

/** Marker for preventPropagation. */
export const NO_PROPAGATION: Arg[] = [];
