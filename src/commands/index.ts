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
import { commands as scripting } from './scripting';

export const ALL_COMMANDS: CommandRow[] = [...connection, ...keys, ...server, ...strings, ...transactions, ...scripting];
