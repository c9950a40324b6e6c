/**
 * Every command family's rows, registered into the command table by the server.
 * Adding a family: write `commands/<family>.ts` exporting `commands: CommandRow[]`, list it here.
 */
import type { CommandRow } from './table';
import { commands as connection } from './connection';
import { commands as keys } from './keys';
import { commands as server } from './server';
import { commands as strings } from './strings';
import { commands as transactions } from './transactions';
import { commands as streams } from './streams';
import { commands as streamGroups } from './stream-groups';
import { commands as pubsub } from './pubsub';
import { commands as scripting } from './scripting';
import { commands as lists } from './lists';
import { commands as hashes } from './hashes';
import { commands as sets } from './sets';
import { commands as zsets } from './zsets';
import { commands as sort } from './sort';
import { commands as persistence } from './persistence';
import { commands as debug } from './debug';
import { commands as bitmaps } from './bitmaps';
import { commands as hyperloglog } from './hyperloglog';
import { commands as geo } from './geo';
import { commands as monitor } from './monitor';
import { commands as clientAdmin } from './client-admin';
import { commands as latency } from './latency';
import { commands as wait } from './wait';
import { commands as migrate } from './migrate';
import { commands as memory } from './memory';
import { commands as acl } from './acl';
import { commands as replication } from './replication';
import { commands as cluster } from './cluster';
import { commands as moduleCommands } from './module';
import { commands as lolwut } from './lolwut';

export const ALL_COMMANDS: CommandRow[] = [
  ...connection, ...keys, ...server, ...strings, ...transactions, ...streams, ...streamGroups, ...pubsub, ...scripting, ...lists, ...hashes,
  ...sets, ...zsets, ...sort, ...persistence, ...debug, ...bitmaps, ...hyperloglog, ...geo, ...monitor, ...clientAdmin, ...latency, ...wait,
  ...migrate,
  ...memory,
  ...acl,
  ...replication,
  ...cluster,
  ...moduleCommands,
  ...lolwut,
];
