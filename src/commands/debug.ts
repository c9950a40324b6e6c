/**
 * DEBUG (Redis's debug.c), behind enable-debug-command as in 7.0: SLEEP, SET-ACTIVE-EXPIRE,
 * RELOAD, DIGEST, DIGEST-VALUE and HELP here, the operator subcommands in debug-ops.ts, the
 * inspecting ones and server knobs in debug-inspect.ts.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail } from './errors';
import { floatArg, intArg, isWord } from './args';
import { filterHelp } from './help';
import { crashedBySignal, serverAssert, serverPanic } from '../server/panic';
import { debugOps } from './debug-ops';
import { debugInspect } from './debug-inspect';
import { debugHtstats } from './debug-htstats';
import { describeLoadError, loadRdbFile, saveRdb } from '../persistence/rdb';
import { datasetDigest, valueDigest } from '../persistence/digest';
import { scriptingOf } from '../scripting/engine';
import { preventPropagation } from '../server/propagate';
import type { Server } from '../server/server';
import { latin1 } from '../util/number';

/** The subcommands Redust implements (handled here, in debug-ops.ts, debug-inspect.ts and debug-htstats.ts). */
const DEBUG_SUBCOMMANDS = new Set([
  'help', 'sleep', 'set-active-expire', 'reload', 'loadaof', 'digest', 'digest-value', 'populate', 'log', 'error', 'protocol', 'object',
  'listpack', 'quicklist-packed-threshold', 'replybuffer', 'change-repl-id', 'jmap', 'stringmatch-len', 'htstats', 'htstats-key', 'pause-cron',
  'aof-flush-sleep', 'config-rewrite-force-all', 'set-skip-checksum-validation', 'panic', 'assert', 'segfault', 'client-eviction',
]);

/**
 * Redis 7.0.15's DEBUG HELP text, kept to DEBUG_SUBCOMMANDS (filterHelp), with Redust's JMAP added
 * and RELOAD NOFLUSH's conflict described as Redust handles it (an error, not a stopped server).
 */
const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'AOF-FLUSH-SLEEP <microsec>',
  '    Server will sleep before flushing the AOF, this is used for testing.',
  'ASSERT',
  '    Crash by assertion failed.',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'CONFIG-REWRITE-FORCE-ALL',
  '    Like CONFIG REWRITE but writes all configuration options, including',
  '    keywords not listed in original configuration file or default values.',
  'CRASH-AND-RECOVER [<milliseconds>]',
  '    Hard crash and restart after a <milliseconds> delay (default 0).',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LEAK <string>',
  '    Create a memory leak of the input string.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'HTSTATS <dbid>',
  '    Return hash table statistics of the specified Redis database.',
  'HTSTATS-KEY <key>',
  "    Like HTSTATS but for the hash table stored at <key>'s value.",
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'REPLICATE <string>',
  '    Replicates the provided string to replicas, allowing data divergence.',
  'MALLCTL <key> [<val>]',
  '    Get or set a malloc tuning integer.',
  'MALLCTL-STR <key> [<val>]',
  '    Get or set a malloc tuning string.',
  'JMAP',
  '    Redust: show the V8 heap figures (total, used, per space).',
  'OBJECT <key>',
  '    Show low level info about `key` and associated value.',
  'DROP-CLUSTER-PACKET-FILTER <packet-type>',
  '    Drop all packets that match the filtered type. Set to -1 allow all packets.',
  'OOM',
  '    Crash the server simulating an out-of-memory error.',
  'PANIC',
  '    Crash the server simulating a panic.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named key:<num>. If <prefix> is specified then',
  "    it is used instead of the 'key' prefix. These are not propagated to",
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys make the load fail with an error.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'RESTART [<milliseconds>]',
  '    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).',
  'SDSLEN <key>',
  '    Show low level SDS string info representing `key` and value.',
  'SEGFAULT',
  '    Crash the server with sigsegv.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'QUICKLIST-PACKED-THRESHOLD <size>',
  '    Sets the threshold for elements to be inserted as plain vs packed nodes',
  '    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
  "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-LEN',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'STRUCTSIZE',
  '    Return the size of different Redis core C structures.',
  'LISTPACK <key>',
  '    Show low level info about the listpack encoding of <key>.',
  'QUICKLIST <key> [<0|1>]',
  '    Show low level info about the quicklist encoding of <key>.',
  '    The optional argument (0 by default) sets the level of detail',
  'CLIENT-EVICTION',
  '    Show low level client eviction pools info (maxmemory-clients).',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>',
  '    Sets the time (in milliseconds) to wait between client reply buffer peak resets.',
  '    In case NEVER is provided the last observed peak will never be reset',
  '    In case RESET is provided the peak reset time will be restored to the default value',
  'REPLYBUFFER RESIZING <0|1>',
  '    Enable or disable the reply buffer resize cron job',
  'CLUSTERLINK KILL <to|from|all> <node-id>',
  '    Kills the link based on the direction to/from (both) with the provided node.',
  'HELP',
  '    Prints this help.',
];

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save (unless NOSAVE), empty the dataset and functions
 * (unless NOFLUSH), and load dir/dbfilename; with MERGE the file's keys and libraries replace
 * those already there. A key or library already there without MERGE fails the load, which
 * replies the error (Redis 7.0 stops the server on a duplicated key: see compatibility.md).
 */
function debugReload(c: Client, argv: Buffer[]): void {
  let doSave = true;
  let flush = true;
  let merge = false;
  for (let i = 2; i < argv.length; i++) {
    if (isWord(argv[i], 'nosave')) doSave = false;
    else if (isWord(argv[i], 'noflush')) flush = false;
    else if (isWord(argv[i], 'merge')) merge = true;
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
  reloadFromDisk(s, flush, merge);
  s.logger.warn('DB reloaded by DEBUG RELOAD');
  c.reply.ok();
}

/** emptyData: every db and the function libraries, before DEBUG RELOAD and DEBUG LOADAOF load. */
function emptyData(s: Server): void {
  for (const db of s.dbs) s.flushDb(db, false);
  scriptingOf(s).flushFunctions();
}

/** Empty the dataset and functions (unless `flush` is false), then load dir/dbfilename. Replies an error on failure. */
function reloadFromDisk(s: Server, flush: boolean, merge: boolean): void {
  const dirty = s.stats.dirty;
  if (flush) emptyData(s);
  try {
    loadRdbFile(s, { allowDup: merge });
  } catch (e) {
    s.logger.warn(describeLoadError(e));
    fail('ERR Error trying to load the RDB dump');
  }
  s.stats.dirty = dirty;
}

/**
 * DEBUG LOADAOF: write the AOF buffer, empty the dataset and functions, and load the AOF
 * directory again. Without an AOF on disk it changes nothing and replies an error (Redis 7.0
 * exits); a file that fails to load replies an error with the dataset as far as it loaded.
 */
function debugLoadAof(c: Client): void {
  const s = c.server;
  if (!s.aof.canLoadAgain()) fail('ERR DEBUG LOADAOF: there is no append-only file to load');
  emptyData(s);
  try {
    s.aof.loadAgain();
  } catch (e) {
    s.logger.warn((e as Error).message);
    fail('ERR Error trying to load the AOF, check server logs.');
  } finally {
    // (Redis: "server.dirty = 0; Prevent AOF / replication": the reset must not read as a write.)
    s.stats.dirty = 0;
    preventPropagation(c);
  }
  s.logger.warn('Append Only File loaded by DEBUG LOADAOF');
  c.reply.ok();
}

/** DEBUG subcommands handled here; false when `sub` is not one of them. */
function debugPersistence(c: Client, sub: string, argv: Buffer[]): boolean {
  if (sub === 'reload') debugReload(c, argv);
  else if (sub === 'loadaof' && argv.length === 2) debugLoadAof(c);
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
  } else if (sub === 'panic') {
    // (No reply: the process ends on the next tick, src/server/panic.ts.)
    serverPanic(c.server, `DEBUG PANIC called at Unix time ${Math.floor(Date.now() / 1000)}`, 'debug.ts');
  } else if (sub === 'segfault') {
    // (No reply: the process ends by SIGSEGV after the report, src/server/panic.ts.)
    crashedBySignal(c.server, 'SIGSEGV');
  } else if (sub === 'assert') {
    serverAssert(c.server, '1 == 2', 'debug.ts');
  } else if (sub === 'set-active-expire' && argv.length === 3) {
    c.server.activeExpireEnabled = intArg(argv[2]) !== 0;
    c.reply.ok();
  } else if (sub === 'client-eviction' && argv.length === 2) {
    const ev = c.server.clientEviction;
    if (!ev.enabled) fail('ERR maxmemory-clients is disabled.');
    c.reply.verbatim(ev.report(), 'txt');
  } else if (sub === 'help') {
    const lines = filterHelp(DEBUG_HELP, (name) => DEBUG_SUBCOMMANDS.has(name));
    c.reply.array(lines.length);
    for (const l of lines) c.reply.simple(l);
  }
  else if (debugPersistence(c, sub, argv)) return;
  else if (debugOps(c, sub, argv)) return;
  else if (debugInspect(c, sub, argv)) return;
  else if (debugHtstats(c, sub, argv)) return;
  else fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try DEBUG HELP.`);
}

export const commands: CommandRow[] = [{ name: 'debug', handler: debug }];
