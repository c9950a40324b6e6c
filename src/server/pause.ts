/**
 * CLIENT PAUSE / UNPAUSE (pauseClients, unpauseClients and processCommand's check in Redis 7.0).
 *
 * While a pause is in effect, processCommand postpones (blocks, flags=b, counted in
 * blocked_clients) the command of every client that is not a replica (a MONITOR client is one):
 * under ALL every command, CLIENT UNPAUSE included; under WRITE the commands that may replicate:
 * write and may_replicate commands (PUBLISH, PFCOUNT...), EXEC of a transaction holding one, and
 * scripts (EVAL, EVALSHA, FCALL) unless the script or function declares `no-writes`; the _RO
 * variants are read-only. A postponed client's pipelined input waits behind it. When the pause
 * ends (timeout or UNPAUSE) the postponed commands run again in arrival order.
 * While paused the dataset stays static: active expiry and eviction do nothing, and a key read
 * past its TTL answers as missing but stays (Engine.setExpiredKept; expireIfNeeded's
 * checkClientPauseTimeoutAndReturnIfPaused) until the first access after the pause expires it.
 *
 * A new pause keeps the more restrictive type and the later end time (pauseClients).
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { CmdFlag, Command } from '../commands/table';
import { scriptingOf } from '../scripting/engine';
import { setImmediate, setTimeout, clearTimeout } from '../util/real-timers';

export const enum PauseType {
  NONE = 0,
  WRITE = 1,
  ALL = 2,
}

const EMPTY = Buffer.alloc(0);

export class ClientPause {
  type = PauseType.NONE;
  /** End of the pause, server-clock ms. */
  end = 0;
  private postponed: { c: Client; argv: Buffer[] }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly server: Server) {}

  get postponedCount(): number {
    return this.postponed.length;
  }

  /** pauseClients: the more restrictive type and the later end time win. */
  pause(endMs: number, type: PauseType): void {
    // The dataset stays static: keys past their TTL read as missing but stay until the pause ends.
    if (this.type === PauseType.NONE) this.server.engine.setExpiredKept(true);
    if (type > this.type) this.type = type;
    if (endMs > this.end) this.end = endMs;
    this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    const ms = this.end - this.server.clock.now();
    this.timer = setTimeout(() => this.expire(), Math.max(0, Math.min(ms + 1, 2147483647)));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = null;
    if (this.type === PauseType.NONE) return;
    if (this.server.clock.now() >= this.end) this.unpause();
    else this.arm();
  }

  /** unpauseClients: the postponed commands run again (after the current command). */
  unpause(): void {
    if (this.type !== PauseType.NONE) this.server.engine.setExpiredKept(false);
    this.type = PauseType.NONE;
    this.end = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.postponed.length > 0) setImmediate(() => this.resume());
  }

  /** checkClientPauseTimeoutAndReturnIfPaused: expiry and eviction stand still while true. */
  isPaused(): boolean {
    if (this.type === PauseType.NONE) return false;
    if (this.server.clock.now() >= this.end) {
      this.unpause();
      return false;
    }
    return true;
  }

  /** processCommand's check: postpone the command when the pause covers it. Returns true if so. */
  postpones(c: Client, cmd: Command, argv: Buffer[]): boolean {
    if (!this.isPaused() || (c.flags & ClientFlag.MONITOR) !== 0) return false;
    if (this.type === PauseType.WRITE && !mayReplicate(c, cmd, argv)) return false;
    c.flags |= ClientFlag.BLOCKED;
    c.argv = argv.map((a) => Buffer.from(a));
    this.postponed.push({ c, argv: c.argv });
    return true;
  }

  private resume(): void {
    const server = this.server;
    const list = this.postponed;
    this.postponed = [];
    for (let i = 0; i < list.length; i++) {
      const { c, argv } = list[i];
      if (c.closed) continue;
      if (this.type !== PauseType.NONE) {
        // Paused again meanwhile: the rest wait for the next unpause, in order.
        this.postponed.push(...list.slice(i));
        return;
      }
      c.flags &= ~ClientFlag.BLOCKED;
      server.dispatcher.lastCallEnd = -1;
      server.dispatcher.processCommand(c, argv);
      if (!c.has(ClientFlag.BLOCKED) && c.parser.pendingBytes() > 0) server.net.processInput(c, EMPTY);
      server.net.scheduleFlush(c);
    }
  }
}

/** is_may_replicate_command, with the scripts' flags (evalGetCommandFlags / fcallGetCommandFlags). */
function mayReplicate(c: Client, cmd: Command, argv: Buffer[]): boolean {
  if ((cmd.flags & (CmdFlag.WRITE | CmdFlag.MAY_REPLICATE)) !== 0) return true;
  if (cmd.parent !== null) return false;
  switch (cmd.name) {
    case 'publish':
    case 'spublish':
    case 'pfcount':
      return true; // CMD_MAY_REPLICATE, which COMMAND INFO (and so the table snapshot) does not show
    case 'exec':
      return c.multiQueue !== null && c.multiQueue.some((q) => mayReplicate(c, q.cmd, q.argv));
    case 'eval':
      return !declaresNoWrites(argv[1]);
    case 'evalsha': {
      const entry = scriptingOf(c.server).scripts.get(argv[1].latin1Slice(0, argv[1].length).toLowerCase());
      return !(entry !== undefined && entry.flags.shebang && entry.flags.noWrites);
    }
    case 'fcall': {
      const fn = scriptingOf(c.server).functions.get(argv[1].latin1Slice(0, argv[1].length));
      return !(fn !== undefined && fn.flags.includes('no-writes'));
    }
    default:
      return false;
  }
}

/** A "#!lua flags=...,no-writes" shebang on the first line of an EVAL body. */
function declaresNoWrites(body: Buffer): boolean {
  if (body.length < 2 || body[0] !== 0x23 || body[1] !== 0x21) return false;
  let end = body.indexOf(10);
  if (end === -1) end = body.length;
  const first = body.latin1Slice(0, end).split(/[ \t\r]+/);
  if (first[0] !== '#!lua') return false;
  for (const p of first.slice(1)) if (p.startsWith('flags=') && p.slice(6).split(',').includes('no-writes')) return true;
  return false;
}
