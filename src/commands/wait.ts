/**
 * WAIT (replication.c's waitCommand) for a server without replicas.
 *
 * WAIT: no replica ever acknowledges, so the answer is always 0: at once when numreplicas <= 0 or
 * the client cannot block (MULTI, scripts), otherwise after the timeout (0 = until CLIENT
 * UNBLOCK), as a blocked client (flags=b, blocked_clients).
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, NOT_INT } from './errors';
import { parseInt64 } from '../util/number';
import { canBlock, timeoutArg, TimeoutUnit } from './blocking';

function wait(c: Client, argv: Buffer[]): void {
  const numreplicas = parseInt64(argv[1]);
  if (Number.isNaN(numreplicas)) fail(NOT_INT);
  const timeout = timeoutArg(argv[2], TimeoutUnit.MILLISECONDS);
  const acked = 0;
  if (acked >= numreplicas || !canBlock(c)) {
    c.reply.int(acked);
    return;
  }
  c.server.blocking.block(c, {
    keys: [],
    timeoutMs: timeout,
    tryServe: () => false,
    onTimeout: () => c.reply.int(0),
  });
}

export const commands: CommandRow[] = [
  { name: 'wait', handler: wait },
];
