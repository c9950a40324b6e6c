/**
 * MODULE (module.c) of a server that loads no modules: LIST is empty, HELP is Redis's, and LOAD,
 * LOADEX and UNLOAD get the error Redis gives while enable-module-command is no (Redust accepts
 * no other value: it cannot load Redis modules).
 */
import type { Client } from '../server/client';
import { type CommandRow, container } from './table';
import { fail } from './errors';
import { replyHelp } from './help';

const NOT_ALLOWED =
  'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

function moduleList(c: Client): void {
  c.reply.array(0);
}

function moduleProtected(): void {
  fail(NOT_ALLOWED);
}

export const commands: CommandRow[] = [
  { name: 'module', handler: container },
  { name: 'module|list', handler: moduleList },
  { name: 'module|load', handler: moduleProtected },
  { name: 'module|loadex', handler: moduleProtected },
  { name: 'module|unload', handler: moduleProtected },
  { name: 'module|help', handler: (c) => replyHelp(c, 'module') },
];
