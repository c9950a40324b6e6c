/**
 * CLIENT subcommands for operating a server (networking.c): PAUSE, UNPAUSE. The connection-level
 * CLIENT subcommands (ID, LIST, KILL, SETNAME...) are in connection.ts.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail } from './errors';
import { isWord } from './args';
import { latin1 } from '../util/number';
import { timeoutArg, TimeoutUnit } from './blocking';
import { PauseType } from '../server/pause';

/** CLIENT PAUSE timeout [WRITE|ALL] */
function clientPause(c: Client, argv: Buffer[]): void {
  if (argv.length > 4) fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try CLIENT HELP.`);
  let type = PauseType.ALL;
  if (argv.length === 4) {
    if (isWord(argv[3], 'write')) type = PauseType.WRITE;
    else if (isWord(argv[3], 'all')) type = PauseType.ALL;
    else fail('ERR CLIENT PAUSE mode must be WRITE or ALL');
  }
  const ms = timeoutArg(argv[2], TimeoutUnit.MILLISECONDS);
  const end = ms > 0 ? c.server.clock.now() + ms : 0;
  c.server.pause.pause(end, type);
  c.reply.ok();
}

function clientUnpause(c: Client): void {
  c.server.pause.unpause();
  c.reply.ok();
}

export const commands: CommandRow[] = [
  { name: 'client|pause', handler: clientPause },
  { name: 'client|unpause', handler: clientUnpause },
];
