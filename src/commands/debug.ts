/**
 * DEBUG (Redis's debug.c), behind enable-debug-command as in 7.0: SLEEP, SET-ACTIVE-EXPIRE,
 * RELOAD, DIGEST, DIGEST-VALUE and HELP here, the operator subcommands in debug-ops.ts, the
 * inspecting ones and server knobs in debug-inspect.ts.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail } from './errors';
import { floatArg, intArg, isWord } from './args';
import { replyHelp } from './help';
import { debugOps } from './debug-ops';
import { debugInspect } from './debug-inspect';
import { describeLoadError, loadRdbFile, saveRdb } from '../persistence/rdb';
import { datasetDigest, valueDigest } from '../persistence/digest';
import { scriptingOf } from '../scripting/engine';
import type { Server } from '../server/server';
import { latin1 } from '../util/number';

function debugReload(c: Client, argv: Buffer[]): void {
  let doSave = true;
  for (let i = 2; i < argv.length; i++) {
    if (isWord(argv[i], 'nosave')) doSave = false;
    else if (isWord(argv[i], 'merge') || isWord(argv[i], 'noflush')) fail('ERR DEBUG RELOAD MERGE and NOFLUSH are not supported by Redust');
    else fail('ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
  }
  const s = c.server;
  if (doSave) {
    try {
      saveRdb(s);
    } catch {
      fail('ERR');
    }
  }
  reloadFromDisk(s);
  c.reply.ok();
}

/** Empty the dataset and functions, then load dir/dbfilename. Replies an error on failure. */
function reloadFromDisk(s: Server): void {
  const dirty = s.stats.dirty;
  for (const db of s.dbs) s.flushDb(db, false);
  scriptingOf(s).flushFunctions();
  try {
    loadRdbFile(s);
  } catch (e) {
    s.logger.warn(describeLoadError(e));
    fail('ERR Error trying to load the RDB dump, check server logs.');
  }
  s.stats.dirty = dirty;
}

/** DEBUG subcommands handled here; false when `sub` is not one of them. */
function debugPersistence(c: Client, sub: string, argv: Buffer[]): boolean {
  if (sub === 'reload') debugReload(c, argv);
  else if (sub === 'digest' && argv.length === 2) c.reply.simple(datasetDigest(c.server.dbs));
  else if (sub === 'digest-value') {
    c.reply.array(argv.length - 2);
    for (let i = 2; i < argv.length; i++) c.reply.simple(valueDigest(c.db, argv[i]));
  } else return false;
  return true;
}

function debug(c: Client, argv: Buffer[]): void {
  const mode = c.server.config.str('enable-debug-command');
  const local = c.socket?.remoteAddress === '127.0.0.1' || c.socket?.remoteAddress === '::1' || c.socket?.remoteAddress === '::ffff:127.0.0.1';
  if (mode === 'no' || (mode === 'local' && !local)) {
    fail('ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.');
  }
  const sub = latin1(argv[1]).toLowerCase();
  if (sub === 'sleep' && argv.length === 3) {
    const secs = floatArg(argv[2]);
    // DEBUG SLEEP blocks the server, as in Redis (used by tests to simulate a slow command).
    if (secs > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, secs * 1000);
    c.reply.ok();
  } else if (sub === 'set-active-expire' && argv.length === 3) {
    c.server.activeExpireEnabled = intArg(argv[2]) !== 0;
    c.reply.ok();
  } else if (sub === 'help') replyHelp(c, 'debug');
  else if (debugPersistence(c, sub, argv)) return;
  else if (debugOps(c, sub, argv)) return;
  else if (debugInspect(c, sub, argv)) return;
  else fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try DEBUG HELP.`);
}

export const commands: CommandRow[] = [{ name: 'debug', handler: debug }];
