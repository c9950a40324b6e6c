/**
 * Cluster commands of a server without cluster mode (cluster-enabled is always no here): every
 * CLUSTER subcommand, ASKING, READONLY and READWRITE answer what Redis answers then, "This
 * instance has cluster support disabled" (after the usual arity and unknown-subcommand checks).
 * Clients probe CLUSTER INFO to tell a cluster from a single server.
 */
import type { Client } from '../server/client';
import { type CommandRow, container } from './table';
import { fail } from './errors';
import meta from './redis-7.0-commands.json';

const DISABLED = 'ERR This instance has cluster support disabled';

function disabled(_c: Client, _argv: Buffer[]): void {
  fail(DISABLED);
}

/** Every cluster|<sub> of the Redis 7.0 snapshot. */
const subcommands = ((meta.info as Record<string, unknown[]>).cluster[9] as unknown[][]).map((s) => s[0] as string);

export const commands: CommandRow[] = [
  { name: 'cluster', handler: container },
  ...subcommands.map((name) => ({ name, handler: disabled })),
  { name: 'asking', handler: disabled },
  { name: 'readonly', handler: disabled },
  { name: 'readwrite', handler: disabled },
];
