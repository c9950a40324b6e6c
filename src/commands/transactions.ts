/**
 * Transactions (multi.c): MULTI, EXEC, DISCARD, WATCH, UNWATCH. The dispatcher queues commands
 * while a client is in MULTI (replying QUEUED) and flags the transaction on a queuing error, so
 * EXEC answers EXECABORT; WATCH is invalidated through Server.signalModifiedKey.
 */
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { Command, CommandRow } from './table';
import { fail } from './errors';

function multi(c: Client): void {
  if (c.has(ClientFlag.MULTI)) fail('ERR MULTI calls can not be nested');
  c.flags |= ClientFlag.MULTI;
  c.multiQueue = [];
  c.reply.ok();
}

/** discardTransaction */
export function discardTransaction(c: Client): void {
  c.multiQueue = null;
  c.flags &= ~(ClientFlag.MULTI | ClientFlag.DIRTY_CAS | ClientFlag.DIRTY_EXEC);
  c.server.watches.unwatchAll(c);
}

function discard(c: Client): void {
  if (!c.has(ClientFlag.MULTI)) fail('ERR DISCARD without MULTI');
  discardTransaction(c);
  c.reply.ok();
}

function exec(c: Client): void {
  if (!c.has(ClientFlag.MULTI)) fail('ERR EXEC without MULTI');
  const server = c.server;
  // isWatchedKeyExpired: a watched key whose TTL has passed since WATCH counts as modified. It
  // is only looked at, not reclaimed (no `expired` event here, as in Redis).
  if (c.watched) {
    for (const id of c.watched) {
      if (c.watchedExpired?.has(id)) continue;
      const sep = id.indexOf('\0');
      if (server.keyState(server.dbs[Number(id.slice(0, sep))], Buffer.from(id.slice(sep + 1), 'latin1')) === 'expired') {
        c.flags |= ClientFlag.DIRTY_CAS;
        break;
      }
    }
  }
  if (c.flags & (ClientFlag.DIRTY_CAS | ClientFlag.DIRTY_EXEC)) {
    if (c.flags & ClientFlag.DIRTY_EXEC) c.reply.error('EXECABORT Transaction discarded because of previous errors.');
    else c.reply.nilArray();
    discardTransaction(c);
    return;
  }
  const queue = c.multiQueue!;
  server.watches.unwatchAll(c);
  c.multiQueue = null;
  c.flags &= ~ClientFlag.MULTI;
  c.flags |= ClientFlag.IN_EXEC;
  c.reply.array(queue.length);
  runQueue(c, queue, 0);
}

/**
 * EXEC's loop from queue[from]; then the transaction is over. A script of the queue that runs
 * past busy-reply-threshold may yield to the event loop (scripting/engine.ts suspendRun): EXEC
 * then stops with the rest of its queue deferred (Dispatcher.deferRest), run once the script
 * ends; the client stays IN_EXEC meanwhile. (Not after a shutdown began: the rest is dropped.)
 */
function runQueue(c: Client, queue: { cmd: Command; argv: Buffer[] }[], from: number): void {
  const server = c.server;
  const d = server.dispatcher;
  let deferred = false;
  try {
    for (let i = from; i < queue.length; i++) {
      const q = queue[i];
      c.cmd = q.cmd;
      // ACL rules may have changed since the command was queued (execCommand re-checks).
      const denied = server.acl.checkQueued(c, q.cmd, q.argv);
      if (denied !== null) {
        c.reply.error(denied);
        continue;
      }
      d.call(c, q.cmd, q.argv);
      if (d.suspending) {
        d.deferRest(() => runQueue(c, queue, server.closing ? queue.length : i + 1));
        deferred = true;
        return;
      }
    }
  } finally {
    if (!deferred) {
      c.flags &= ~ClientFlag.IN_EXEC;
      discardTransaction(c);
    }
  }
}

function watch(c: Client, argv: Buffer[]): void {
  if (c.has(ClientFlag.MULTI)) fail('ERR WATCH inside MULTI is not allowed');
  if (c.has(ClientFlag.DIRTY_CAS)) {
    c.reply.ok();
    return;
  }
  for (let i = 1; i < argv.length; i++) {
    // (A key already expired is remembered as such, not reclaimed: watchedKey.expired.)
    c.server.watches.watch(c, argv[i], c.server.keyState(c.db, argv[i]) === 'expired');
  }
  c.reply.ok();
}

function unwatch(c: Client): void {
  c.server.watches.unwatchAll(c);
  c.reply.ok();
}

export const commands: CommandRow[] = [
  { name: 'multi', handler: multi },
  { name: 'exec', handler: exec },
  { name: 'discard', handler: discard },
  { name: 'watch', handler: watch },
  { name: 'unwatch', handler: unwatch },
];
