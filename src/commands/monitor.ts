/**
 * MONITOR (monitorCommand in server.c). The feeding itself is server/monitor.ts.
 */
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { CommandRow } from './table';
import { fail } from './errors';

function monitor(c: Client): void {
  // A client that expects one reply per command (inside EXEC) cannot become a monitor.
  if (c.flags & (ClientFlag.IN_EXEC | ClientFlag.SCRIPT)) fail("ERR MONITOR isn't allowed for DENY BLOCKING client");
  if (c.flags & ClientFlag.MONITOR) return; // already monitoring: no reply, as Redis
  c.server.monitors.add(c);
  c.reply.ok();
}

export const commands: CommandRow[] = [{ name: 'monitor', handler: monitor }];
