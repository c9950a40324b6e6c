/**
 * The dispatcher (Redis's processCommand and call in server.c): looks a command up in the table,
 * checks it in Redis's order (arity, auth, MULTI, OOM, the RESP2 pub/sub context, a busy script),
 * queues it inside MULTI or runs it, and keeps the per-command statistics and SLOWLOG.
 *
 * Invariants:
 * - The clock is read once per top-level command: that reading times the command and, frozen, is
 *   its wall time for expiry (Redis 7's fixed_time_expire).
 * - `execDepth` counts nested execution (EXEC, Lua, blocked-client wake-ups); work that Redis does
 *   "after the command" (serving blocked clients) waits for depth 0.
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { CmdFlag, Command } from '../commands/table';
import { BUSY_EVAL, BUSY_FUNCTION, OOM, ReplyError, wrongArgs } from '../commands/errors';
import { discardTransaction } from '../commands/transactions';
import { EngineOutOfMemoryError } from '../engine/types';
import { FAST_GET } from '../protocol/parser';
import { NameCache } from '../protocol/name-cache';
import { FORCE_PROPAGATION, NO_PROPAGATION } from './propagate';
import { latin1 } from '../util/number';
import { evictToLimit } from './evict';
import { scriptDeniesOom, scriptMayWrite } from '../scripting/engine';
import { performance } from '../util/real-timers';

/** Commands allowed in RESP2 while subscribed. */
const PUBSUB_ALLOWED = new Set(['ping', 'subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'quit', 'reset']);
/** Commands executed immediately inside MULTI instead of being queued. */
const MULTI_IMMEDIATE = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** CLIENT REPLY states (see processCommand). */
const REPLY_CONTROL = ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT;
/** Client states in which a command must go through processCommand (see fastCommand). */
const FAST_PATH_BLOCKERS =
  ClientFlag.MULTI | ClientFlag.PUBSUB | ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT |
  ClientFlag.CLOSE_AFTER_REPLY | ClientFlag.BLOCKED | ClientFlag.SCRIPT | ClientFlag.IN_EXEC | ClientFlag.MONITOR;

export class Dispatcher {
  /** Depth of nested command execution (EXEC, Lua): notifications and wakeups wait for the outermost. */
  execDepth = 0;
  /**
   * End time (performance.now()) of the previous top-level command of the current input batch:
   * the next command's duration starts there, so a command costs one timer read, not two.
   * -1 outside a batch.
   */
  lastCallEnd = -1;
  /**
   * Command lookup cache by the raw name bytes as sent (any case), for commands without
   * subcommands: saves building and lowercasing a name string per command. The request parser
   * consults it too (RequestParser.names), and hands the command it resolved to processCommand.
   */
  readonly names = new NameCache<Command>();
  /** GET and SET, whose table rows declare the fast path (fastCommand). */
  private readonly getCommand: Command;
  private readonly setCommand: Command;
  /** Arguments of the fast-path command being run. */
  private fastKey: Buffer | null = null;
  private fastValue: Buffer | null = null;
  /**
   * total_error_replies when a command's stats last took its errors (Redis's prev_err_count in
   * incrCommandStatsOnError): a command fails on errors replied after its inner commands' (a
   * script's redis.call) were counted, not on theirs.
   */
  errorMark = 0;
  /** The client whose command is running (innermost), or null between commands. */
  currentClient: Client | null = null;
  /** The client of the outermost running command (Redis's server.current_client), or null. */
  outerClient: Client | null = null;
  /**
   * A top-level command left unfinished by its handler (a busy script that yielded to the event
   * loop: scripting/engine.ts suspendRun), finished by continueSuspended. Null almost always.
   * When the script runs inside EXEC, this is the EXEC (its `rest`: the queued commands after
   * the script, see deferRest) and `suspendedInner` the EVAL/FCALL.
   */
  private suspendedCall: SuspendedFrame | null = null;
  private suspendedInner: SuspendedFrame | null = null;
  private suspendRequested = false;
  /** deferRest's continuation, until the EXEC's own call() takes it into its frame. */
  private pendingRest: (() => void) | null = null;

  constructor(private readonly server: Server) {
    this.getCommand = server.table.get('get')!;
    this.setCommand = server.table.get('set')!;
    if (!this.getCommand.fast || !this.setCommand.fast) throw new Error('GET and SET must declare their fast path');
  }

  /**
   * rejectCommand: error reply, and flag an open MULTI so EXEC aborts. A rejected EXEC itself
   * discards the transaction and answers EXECABORT with the reason (execCommandAbort).
   */
  rejectCommand(c: Client, msg: string): void {
    if (c.cmd) c.cmd.stats.rejectedCalls++;
    if (c.flags & ClientFlag.MULTI) c.flags |= ClientFlag.DIRTY_EXEC;
    if (c.cmd?.name === 'exec' && !c.cmd.parent) {
      discardTransaction(c);
      c.reply.error(`EXECABORT Transaction discarded because of: ${msg.startsWith('ERR ') ? msg.slice(4) : msg}`);
      return;
    }
    c.reply.error(msg);
  }

  /**
   * processCommand: validate and run (or queue) one command, then resetClient's CLIENT REPLY
   * shuffle. Under CLIENT REPLY OFF/SKIP whatever the command wrote, a rejection or QUEUED
   * included, is dropped except push data (Client.beginPush), as Redis's prepareClientToWrite.
   */
  processCommand(c: Client, argv: Buffer[], resolved: Command | null = null): void {
    if ((c.flags & REPLY_CONTROL) === 0) {
      this.processOne(c, argv, resolved);
      // CLIENT REPLY OFF/SKIP wrote nothing: only the flag shuffle is left.
      if ((c.flags & REPLY_CONTROL) !== 0) this.replyControl(c);
      return;
    }
    c.replyMark = c.writer.length;
    this.processOne(c, argv, resolved);
    // A suspended command (a busy script) writes its reply later: the drop waits for it.
    const s = this.suspendedCall;
    if (s !== null && s.c === c) s.replyControl = true;
    else this.replyControl(c);
  }

  /** After a command under CLIENT REPLY: drop what it wrote, and resetClient's flag shuffle. */
  private replyControl(c: Client): void {
    if (c.replyMark >= 0 && (c.flags & (ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP)) !== 0) c.writer.truncate(c.replyMark);
    c.replyMark = -1;
    c.flags &= ~ClientFlag.REPLY_SKIP;
    if (c.flags & ClientFlag.REPLY_SKIP_NEXT) c.flags = (c.flags | ClientFlag.REPLY_SKIP) & ~ClientFlag.REPLY_SKIP_NEXT;
  }

  /** `resolved`: argv[0]'s command when the parser found it in the name cache (see names). */
  private processOne(c: Client, argv: Buffer[], resolved: Command | null): void {
    const server = this.server;
    c.argv = argv;
    // The duration chain (lastCallEnd) only continues into a command that goes straight to call().
    const prevCallEnd = this.lastCallEnd;
    this.lastCallEnd = -1;
    const cmd = resolved ?? this.lookupCommand(argv);
    if (!cmd) {
      c.cmd = null;
      const name = latin1(argv[0]);
      const lname = name.toLowerCase();
      if (argv.length > 1 && server.table.isContainer(lname)) {
        this.rejectCommand(c, `ERR unknown subcommand '${trunc(latin1(argv[1]), 128)}'. Try ${lname.toUpperCase()} HELP.`);
      } else {
        let args = '';
        for (let i = 1; i < argv.length && args.length < 128; i++) args += `'${trunc(latin1(argv[i]), 128 - args.length)}' `;
        this.rejectCommand(c, `ERR unknown command '${trunc(name, 128)}', with args beginning with: ${args}`);
      }
      return;
    }
    c.cmd = cmd;
    c.lastCmd = cmd;
    if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
      this.rejectCommand(c, wrongArgs(cmd.fullname));
      return;
    }
    if (!c.authenticated && !cmd.has(CmdFlag.NO_AUTH)) {
      this.rejectCommand(c, 'NOAUTH Authentication required.');
      return;
    }
    const inMulti = (c.flags & ClientFlag.MULTI) !== 0;
    if (inMulti && cmd.has(CmdFlag.NO_MULTI)) {
      this.rejectCommand(c, 'ERR Command not allowed inside a transaction');
      return;
    }
    if (!(c.aclUser ?? server.acl.defaultUser).unrestricted) {
      const denied = server.acl.checkCommand(c, cmd, argv);
      if (denied !== null) {
        this.rejectCommand(c, denied);
        return;
      }
    }
    // evictClients: the clients' memory within maxmemory-clients; a client that evicted itself
    // does not run its command.
    const ev = server.clientEviction;
    if (ev.limit !== 0 && ev.total >= ev.limit) {
      ev.evict();
      if (c.closed) return;
    }
    // performEvictions before every command over maxmemory (reads too: their evictions, and the
    // tracking invalidations these send, come before their reply); only a command that may grow
    // memory (denyoom, a writing script, anything but EXEC/DISCARD/QUIT/RESET inside MULTI) is
    // refused when evicting could not get under the limit.
    const maxmem = server.config.hot.maxmemory;
    if (maxmem > 0) {
      let used = server.usedMemory();
      if (used > maxmem) {
        if (!evictToLimit(server, maxmem)) {
          const rejects = inMulti ? oomRejectsInMulti(c, cmd) : cmd.has(CmdFlag.DENYOOM) || (cmd.has(CmdFlag.NOSCRIPT) && scriptDeniesOom(server, cmd.name, argv));
          if (rejects) {
            this.rejectCommand(c, OOM);
            return;
          }
        }
        used = server.usedMemory();
      }
      // (The keyspace table's growth within maxmemory: Engine.setMemoryHeadroom.)
      server.setMemoryHeadroom(maxmem - used);
    } else if (server.memoryHeadroomSet) server.setMemoryHeadroom(Infinity);
    // Client-side caching's key table within tracking-table-max-keys (trackingLimitUsedSlots).
    if (server.tracking.trackingClients !== 0) server.tracking.limitUsedSlots(c);
    const gateError = server.commandGate === null ? null : server.commandGate(c, cmd, argv);
    if (gateError !== null) {
      this.rejectCommand(c, gateError);
      return;
    }
    // writeCommandsDeniedByDiskError for the AOF: no writes (nor PING) while it cannot be written.
    if (!server.aof.writeStatusOk && server.aof.enabled && (cmd.has(CmdFlag.WRITE) || cmd.name === 'ping' || (cmd.has(CmdFlag.NOSCRIPT) && scriptMayWrite(server, cmd.name, argv)))) {
      this.rejectCommand(c, server.aof.writeDeniedReason()!);
      return;
    }
    if (c.resp === 2 && (c.flags & ClientFlag.PUBSUB) !== 0 && c.subscriptionCount() > 0) {
      const n = cmd.parent ? cmd.parent.name : cmd.name;
      if (!PUBSUB_ALLOWED.has(n)) {
        this.rejectCommand(c, `ERR Can't execute '${cmd.fullname}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
        return;
      }
    }
    // A MONITOR client is a replica in Redis: it may not touch the keyspace.
    if ((c.flags & ClientFlag.MONITOR) !== 0 && (cmd.flags & (CmdFlag.WRITE | CmdFlag.READONLY | CmdFlag.MAY_REPLICATE)) !== 0) {
      this.rejectCommand(c, "ERR Replica can't interact with the keyspace");
      return;
    }
    if (server.busyScript && !cmd.has(CmdFlag.ALLOW_BUSY)) {
      this.rejectCommand(c, server.busyScript.isEval ? BUSY_EVAL : BUSY_FUNCTION);
      return;
    }
    if (server.pause.type !== 0 && server.pause.postpones(c, cmd, argv)) return;
    if (inMulti && !MULTI_IMMEDIATE.has(cmd.fullname)) {
      c.multiQueue!.push({ cmd, argv: argv.map((a) => Buffer.from(a)) });
      c.reply.simple('QUEUED');
      return;
    }
    this.lastCallEnd = prevCallEnd;
    this.call(c, cmd, argv);
    if (this.execDepth === 0) this.afterCommand();
  }

  /**
   * processCommand's shortcut for a plain `GET key` / `SET key value` recognised from its bytes by
   * the parser (RequestHandler.fast). Taken only when none of processCommand's checks could stop
   * the command or change what it does: authenticated, not in MULTI or a pub/sub context, no busy
   * script, no CLIENT REPLY OFF/SKIP, no maxmemory limit (evictions run before every command). It saves the argv array, the
   * command name's view and lookup and the checks; the command itself runs through call() and the
   * row's fast handler (the same code as its handler), with the same stats, SLOWLOG and wake-ups.
   * Returns false to have the command dispatched the normal way.
   */
  fastCommand(c: Client, kind: number, key: Buffer, value: Buffer | null): boolean {
    const server = this.server;
    if (!this.mayShortcut(c)) return false;
    // (maxmemory: every command may have to evict first, a GET too: see processOne.)
    if (server.config.hot.maxmemory > 0 || (kind !== FAST_GET && !server.aof.writeStatusOk)) return false;
    const cmd = kind === FAST_GET ? this.getCommand : this.setCommand;
    const user = c.aclUser ?? server.acl.defaultUser;
    if (!user.unrestricted && !user.allowsFast(cmd, key, kind === FAST_GET)) return false;
    if (server.tracking.trackingClients !== 0) server.tracking.limitUsedSlots(c);
    c.cmd = cmd;
    c.lastCmd = cmd;
    this.fastKey = key;
    this.fastValue = value;
    this.call(c, cmd, null);
    this.fastKey = this.fastValue = null;
    this.afterCommand();
    return true;
  }

  /**
   * Whether a command of `c` may skip processCommand's checks (fastCommand, src/server/lane.ts):
   * none of them could stop it or change what it does for a client in this state (authenticated,
   * no MULTI or pub/sub context, CLIENT REPLY, busy script, loading/MISCONF gate or pause), as
   * long as it is not a write under maxmemory or an AOF write error (the callers check that).
   */
  mayShortcut(c: Client): boolean {
    const server = this.server;
    return (c.flags & FAST_PATH_BLOCKERS) === 0 && c.authenticated && server.busyScript === null && this.execDepth === 0 && server.commandGate === null && server.pause.type === 0;
  }

  /** The argv of the fast-path command being run (for SLOWLOG), built only when needed. */
  private fastArgv(c: Client): Buffer[] {
    const argv = [c.parser.fastName(), this.fastKey!];
    if (this.fastValue !== null) argv.push(this.fastValue);
    return argv;
  }

  /** lookupCommand through the name cache (see there); falls back to the table. Scripts' redis.call uses it too. */
  lookupCommand(argv: Buffer[]): Command | undefined {
    const a0 = argv[0];
    const e = this.names.get(a0, 0, a0.length);
    if (e !== undefined) return e.value;
    const cmd = this.server.table.lookup(argv);
    if (cmd !== undefined && cmd.subcommands === null && cmd.parent === null) this.names.put(a0, cmd);
    return cmd;
  }

  /**
   * call(): run the handler with stats, slowlog and error accounting. argv null: the fast-path
   * command in fastKey/fastValue (see fastCommand).
   */
  call(c: Client, cmd: Command, argv: Buffer[] | null): void {
    const server = this.server;
    const outer = this.execDepth === 0;
    const start = outer && this.lastCallEnd >= 0 ? this.lastCallEnd : performance.now();
    const stats = server.stats;
    const errorsBefore = stats.totalErrorReplies;
    const dirtyBefore = stats.dirty;
    const prevClient = this.currentClient;
    this.currentClient = c;
    if (outer) {
      server.clock.freezeAt(start);
      this.outerClient = c;
    }
    this.execDepth++;
    if (server.monitors.clients.size !== 0 && argv !== null) server.monitors.beforeCall(c, cmd, argv);
    try {
      if (argv !== null) cmd.handler(c, argv);
      else cmd.fast!(c, this.fastKey!, this.fastValue);
    } catch (e) {
      if (e instanceof ReplyError) c.reply.error(e.reply);
      else if (e instanceof EngineOutOfMemoryError) {
        // The engine refused the allocation and left the data unchanged: Redis's OOM reply.
        server.logger.warn({ command: cmd.fullname }, e.message);
        c.reply.error(OOM);
      } else {
        server.logger.error({ err: e, command: cmd.fullname }, 'command handler crashed');
        c.reply.error(`ERR internal error in '${cmd.fullname}': ${(e as Error).message}`);
      }
    } finally {
      this.execDepth--;
      this.currentClient = prevClient;
      if (outer) server.clock.unfreeze();
    }
    if (this.suspendRequested) {
      // (Only a command with an argv is ever suspended: see suspendCall.)
      const frame: SuspendedFrame = { c, cmd, argv: argv!, start, errorsBefore, dirtyBefore, rest: null, replyControl: false };
      if (!outer) {
        // A script inside EXEC: the flag stays up for EXEC, which defers its rest (deferRest).
        this.suspendedInner = frame;
        return;
      }
      this.suspendRequested = false;
      frame.rest = this.pendingRest;
      this.pendingRest = null;
      this.suspendedCall = frame;
      this.outerClient = null;
      this.lastCallEnd = -1;
      return;
    }
    this.endCall(c, cmd, argv, outer, start, errorsBefore, dirtyBefore);
  }

  /**
   * The running handler suspends its command (called from it at execDepth 1, or at 2 inside
   * EXEC: see maySuspend): call() returns without its epilogue, the client stays held (BLOCKED)
   * and the command is finished by continueSuspended. Meanwhile every other command is answered
   * BUSY (server.busyScript).
   */
  suspendCall(): void {
    this.suspendRequested = true;
  }

  /** Whether the command running now for `c` may suspend: a top-level one, or one run directly by a top-level EXEC. */
  maySuspend(c: Client): boolean {
    if (this.execDepth === 1) return true;
    // (IN_EXEC is set only by EXEC, which runs at depth 1: its queued commands run at 2.)
    return this.execDepth === 2 && this.outerClient === c && (c.flags & ClientFlag.IN_EXEC) !== 0;
  }

  /** The command EXEC just ran was suspended: it must stop and leave the rest of its queue to `rest`. */
  get suspending(): boolean {
    return this.suspendRequested;
  }

  /** EXEC's continuation after a suspended command (see runQueue in commands/transactions.ts). */
  deferRest(rest: () => void): void {
    this.pendingRest = rest;
  }

  /**
   * Run `step` inside the suspended command, as its handler ran (same client, frozen time, depth
   * 1, or 2 for a script inside EXEC). When it returns true the command is over: call()'s
   * epilogue (stats, SLOWLOG, propagation of its effects) and the wake-ups of blocked clients
   * follow; for a script inside EXEC, its epilogue, then the rest of EXEC's queue, which may
   * suspend again at another script (then this returns false). Returns whether the top-level
   * command is over.
   */
  continueSuspended(step: () => boolean): boolean {
    const s = this.suspendedCall!;
    const inner = this.suspendedInner;
    const server = this.server;
    const c = s.c;
    const running = inner ?? s;
    this.currentClient = c;
    this.outerClient = c;
    server.clock.freezeAt(s.start);
    this.execDepth++;
    let done = true;
    try {
      if (inner !== null) this.execDepth++;
      try {
        done = step();
      } catch (e) {
        server.logger.error({ err: e, command: running.cmd.fullname }, 'command handler crashed');
        c.reply.error(`ERR internal error in '${running.cmd.fullname}': ${(e as Error).message}`);
        done = true;
      } finally {
        if (inner !== null) this.execDepth--;
      }
      if (done && inner !== null) {
        this.suspendedInner = null;
        this.endCall(c, inner.cmd, inner.argv, false, inner.start, inner.errorsBefore, inner.dirtyBefore);
        const rest = s.rest!;
        s.rest = null;
        rest();
        if (this.suspendRequested) {
          // Another script of the queue yielded: the EXEC stays suspended, at its new rest.
          this.suspendRequested = false;
          s.rest = this.pendingRest;
          this.pendingRest = null;
          done = false;
        }
      }
    } catch (e) {
      // (The rest of EXEC's queue: its commands' own errors are replies; this is a bug around them.)
      server.logger.error({ err: e, command: s.cmd.fullname }, 'command handler crashed');
      c.reply.error(`ERR internal error in '${s.cmd.fullname}': ${(e as Error).message}`);
    } finally {
      this.execDepth--;
      this.currentClient = null;
      server.clock.unfreeze();
    }
    if (!done) {
      this.outerClient = null;
      return false;
    }
    this.suspendedCall = null;
    this.endCall(c, s.cmd, s.argv, true, s.start, s.errorsBefore, s.dirtyBefore);
    if (s.replyControl) this.replyControl(c);
    this.lastCallEnd = -1;
    this.afterCommand();
    return true;
  }

  /** call()'s epilogue: MONITOR, tracking, propagation, stats, SLOWLOG. */
  private endCall(c: Client, cmd: Command, argv: Buffer[] | null, outer: boolean, start: number, errorsBefore: number, dirtyBefore: number): void {
    const server = this.server;
    const stats = server.stats;
    if (server.monitors.clients.size !== 0) server.monitors.afterCall(c, cmd, argv ?? this.fastArgv(c));
    if (server.tracking.active) server.tracking.afterCall(c, cmd, argv ?? this.fastArgv(c));
    const propagation = server.propagation;
    if (propagation.active) {
      let rewritten = c.propagateArgv;
      c.propagateArgv = null;
      const forced = rewritten === FORCE_PROPAGATION;
      if (forced) rewritten = null;
      // A changed dirty counter means the command wrote: propagate it, as sent or as rewritten, or
      // one that asked for it (forceCommandPropagation: FLUSHALL, whose save resets the counter,
      // and FLUSHDB, both even on empty dbs).
      // EXEC and scripts propagate only the commands they ran (each through this call()).
      if ((forced || stats.dirty !== dirtyBefore) && rewritten !== NO_PROPAGATION && !cmd.has(CmdFlag.PROPAGATES_EFFECTS)) {
        if (!outer) propagation.alsoPropagate(c.dbIndex, rewritten ?? argv ?? this.fastArgv(c));
        else if (rewritten === null && argv === null && this.fastValue !== null) propagation.propagateFastSet(c.dbIndex, c.parser, this.fastKey!, this.fastValue);
        else propagation.propagateOuter(c.dbIndex, rewritten ?? argv ?? this.fastArgv(c));
      } else if (outer) propagation.flushPending();
    }
    const end = performance.now();
    if (outer) this.lastCallEnd = end;
    const usec = Math.floor((end - start) * 1000);
    cmd.stats.calls++;
    if (stats.totalErrorReplies > Math.max(errorsBefore, this.errorMark)) cmd.stats.failedCalls++;
    this.errorMark = stats.totalErrorReplies;
    stats.commandsProcessed++;
    if ((c.flags & ClientFlag.BLOCKED) !== 0) {
      // Its time, histogram and SLOWLOG entry wait until it is served (statsOnUnblock).
      c.blockedUsec = usec;
    } else {
      cmd.stats.usec += usec;
      server.latency.afterCall(cmd, usec, false);
      if (!cmd.has(CmdFlag.SKIP_SLOWLOG) && server.slowlog.wants(usec)) server.slowlog.add(c, argv ?? this.fastArgv(c), usec);
    }
    c.lastCmd = cmd;
    if (outer) {
      if (server.tracking.active) server.tracking.afterCommand(c);
      this.outerClient = null;
    }
  }

  /**
   * updateStatsOnUnblock: a blocked command was served (or CLIENT UNBLOCK ended it) after
   * `replyUsec` of work: its whole duration goes to commandstats, the latency histogram and
   * SLOWLOG (under its own argv, as it was sent), an error to failed_calls, the serving time to
   * the `command-unblocking` latency event. (A timeout books nothing more, as in Redis 7.0.)
   */
  statsOnUnblock(c: Client, replyUsec: number, hadErrors: boolean): void {
    const cmd = c.lastCmd;
    if (cmd === null) return;
    const server = this.server;
    const total = c.blockedUsec + replyUsec;
    c.blockedUsec = 0;
    cmd.stats.usec += total;
    if (hadErrors) cmd.stats.failedCalls++;
    server.latency.afterCall(cmd, total, true);
    if (!cmd.has(CmdFlag.SKIP_SLOWLOG) && server.slowlog.wants(total)) server.slowlog.add(c, c.argv, total);
    server.latency.addSampleIfNeeded('command-unblocking', Math.floor(replyUsec / 1000));
  }

  /** Work deferred to the end of the outermost command: wake blocked clients. */
  afterCommand(): void {
    // (Not while a command is suspended: nobody may see the effects of half a script.)
    if (this.suspendedCall !== null) return;
    const blocking = this.server.blocking;
    if (blocking.hasReadyKeys()) {
      blocking.handleReadyKeys();
      this.server.propagation.flushPending(); // what serving the blocked clients wrote
      this.lastCallEnd = -1; // do not bill the wakeups to the next command
    }
  }
}

/** A command left unfinished by a suspension (see Dispatcher.suspendedCall). */
interface SuspendedFrame {
  c: Client;
  cmd: Command;
  argv: Buffer[];
  start: number;
  errorsBefore: number;
  dirtyBefore: number;
  /** EXEC only: runs the queued commands after the suspended one. */
  rest: (() => void) | null;
  /** The command ran under CLIENT REPLY OFF/SKIP: processCommand's replyControl waits for its end. */
  replyControl: boolean;
}

/**
 * processCommand's reject_cmd_on_oom inside MULTI: queuing may use unbounded memory, so every
 * command is refused over maxmemory except DISCARD, QUIT, RESET, and EXEC unless it holds a
 * denyoom command.
 */
function oomRejectsInMulti(c: Client, cmd: Command): boolean {
  if (cmd.parent !== null) return true;
  switch (cmd.name) {
    case 'exec':
      return c.multiQueue !== null && c.multiQueue.some((q) => q.cmd.has(CmdFlag.DENYOOM));
    case 'discard':
    case 'quit':
    case 'reset':
      return false;
    default:
      return true;
  }
}

function trunc(s: string, n: number): string {
  return s.length > n ? s.slice(0, Math.max(0, n)) : s;
}
