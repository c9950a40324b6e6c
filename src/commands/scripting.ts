/**
 * Scripting commands (eval.c, functions.c): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *,
 * FUNCTION *, FCALL, FCALL_RO. The Lua machinery lives in src/scripting/.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { BUSY_EVAL, fail, NOT_INT } from './errors';
import { isWord } from './args';
import { parseInt64, smallUint } from '../util/number';
import { replyHelp } from './help';
import { scriptingOf, sha1hex } from '../scripting/engine';
import { globMatch } from '../util/glob';
import { functionsPayload, readFunctionsPayload } from '../persistence/rdb';
import { performance } from '../util/real-timers';

function numKeys(argv: Buffer[], notIntMsg = NOT_INT): number {
  const small = smallUint(argv[2]);
  if (small >= 0 && small <= argv.length - 3) return small;
  const n = parseInt64(argv[2]);
  if (Number.isNaN(n)) fail(notIntMsg);
  if (n > argv.length - 3) fail("ERR Number of keys can't be greater than number of args");
  if (n < 0) fail("ERR Number of keys can't be negative");
  return n;
}

function evalGeneric(c: Client, argv: Buffer[], isSha: boolean, ro: boolean): void {
  // evalShaCommand: a SHA that is not 40 characters long cannot match, before numkeys is parsed.
  if (isSha && argv[1].length !== 40) fail('NOSCRIPT No matching script. Please use EVAL.');
  const numkeys = numKeys(argv);
  const eng = scriptingOf(c.server);
  if (isSha) {
    const entry = eng.findScript(argv[1]);
    if (!entry) fail('NOSCRIPT No matching script. Please use EVAL.');
    eng.evalScript(c, entry, entry.sha, argv, numkeys, ro);
    return;
  }
  const r = eng.loadScript(argv[1]);
  if ('error' in r) fail(r.error);
  eng.evalScript(c, r.entry, r.sha, argv, numkeys, ro);
}

function scriptLoad(c: Client, argv: Buffer[]): void {
  const r = scriptingOf(c.server).loadScript(argv[2]);
  if ('error' in r) fail(r.error);
  c.reply.bulk(r.sha);
}

function scriptExists(c: Client, argv: Buffer[]): void {
  const eng = scriptingOf(c.server);
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) c.reply.int(eng.scripts.has(argv[i].latin1Slice(0, argv[i].length).toLowerCase()) ? 1 : 0);
}

/** addReplySubcommandSyntaxError */
function subcommandSyntaxError(argv: Buffer[]): never {
  fail(`ERR unknown subcommand or wrong number of arguments for '${argv[1].latin1Slice(0, Math.min(argv[1].length, 128))}'. Try ${argv[0].latin1Slice(0, argv[0].length).toUpperCase()} HELP.`);
}

function flushMode(argv: Buffer[], msg: string): void {
  if (argv.length > 3) fail(msg);
  if (argv.length === 3 && !isWord(argv[2], 'sync') && !isWord(argv[2], 'async')) fail(msg);
}

function scriptFlush(c: Client, argv: Buffer[]): void {
  flushMode(argv, 'ERR SCRIPT FLUSH only support SYNC|ASYNC option');
  scriptingOf(c.server).flushScripts();
  c.reply.ok();
}

/** SCRIPT KILL / FUNCTION KILL: reachable while a script is busy (Server.processEventsWhileBusy). */
function killScript(c: Client, isEval: boolean): void {
  const err = scriptingOf(c.server).kill(isEval);
  if (err) c.reply.error(err);
  else c.reply.ok();
}

function scriptDebug(c: Client, argv: Buffer[]): void {
  if (isWord(argv[2], 'no')) {
    c.reply.ok();
    return;
  }
  if (isWord(argv[2], 'yes') || isWord(argv[2], 'sync')) fail('ERR SCRIPT DEBUG is not supported by Redust');
  fail('ERR Use SCRIPT DEBUG YES/SYNC/NO');
}

// ---------------------------------------------------------------- functions

function functionLoad(c: Client, argv: Buffer[]): void {
  let replace = false;
  let i = 2;
  for (; i < argv.length - 1; i++) {
    if (isWord(argv[i], 'replace')) replace = true;
    else fail(`ERR Unknown option given: ${argv[i].latin1Slice(0, argv[i].length)}`);
  }
  if (i >= argv.length) fail('ERR Function code is missing');
  const r = scriptingOf(c.server).loadLibrary(argv[i], replace);
  if ('error' in r) fail(r.error);
  // (server.dirty++: the library reaches the AOF and counts as a change for save points.)
  c.server.dirty(1);
  c.reply.bulk(r.name);
}

function functionList(c: Client, argv: Buffer[]): void {
  let withCode = false;
  let pattern: string | null = null;
  for (let i = 2; i < argv.length; i++) {
    if (!withCode && isWord(argv[i], 'withcode')) withCode = true;
    else if (pattern === null && isWord(argv[i], 'libraryname')) {
      if (i + 1 >= argv.length) fail('ERR library name argument was not given');
      pattern = argv[++i].latin1Slice(0, argv[i].length);
    } else fail(`ERR Unknown argument ${argv[i].latin1Slice(0, argv[i].length)}`);
  }
  const eng = scriptingOf(c.server);
  const libs = [...eng.libraries.values()].filter((l) => pattern === null || globMatch(pattern, l.name, true));
  const r = c.reply;
  r.array(libs.length);
  for (const lib of libs) {
    r.map(withCode ? 4 : 3);
    r.bulk('library_name');
    r.bulk(lib.name);
    r.bulk('engine');
    r.bulk('LUA');
    r.bulk('functions');
    r.array(lib.functions.size);
    for (const f of lib.functions.values()) {
      r.map(3);
      r.bulk('name');
      r.bulk(f.name);
      r.bulk('description');
      if (f.description === null) r.nil();
      else r.bulk(f.description); // raw bytes (latin1 string)
      r.bulk('flags');
      r.set(f.flags.length);
      for (const fl of f.flags) r.simple(fl);
    }
    if (withCode) {
      r.bulk('library_code');
      r.bulk(lib.code);
    }
  }
}

function functionDelete(c: Client, argv: Buffer[]): void {
  if (!scriptingOf(c.server).deleteLibrary(argv[2].latin1Slice(0, argv[2].length))) fail('ERR Library not found');
  c.server.dirty(1);
  c.reply.ok();
}

function functionFlush(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) subcommandSyntaxError(argv);
  flushMode(argv, 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option');
  scriptingOf(c.server).flushFunctions();
  c.server.dirty(1);
  c.reply.ok();
}

function functionDump(c: Client): void {
  c.reply.bulk(functionsPayload(c.server));
}

function functionRestore(c: Client, argv: Buffer[]): void {
  let policy: 'flush' | 'append' | 'replace' = 'append';
  if (argv.length > 4) subcommandSyntaxError(argv);
  if (argv.length === 4) {
    if (isWord(argv[3], 'flush')) policy = 'flush';
    else if (isWord(argv[3], 'append')) policy = 'append';
    else if (isWord(argv[3], 'replace')) policy = 'replace';
    else fail('ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
  }
  const codes = readFunctionsPayload(c.server, argv[2]);
  if (typeof codes === 'string') fail(codes);
  const err = scriptingOf(c.server).restoreFunctions(codes, policy);
  if (err) fail(err);
  c.server.dirty(1);
  c.reply.ok();
}

function functionStats(c: Client): void {
  const eng = scriptingOf(c.server);
  const r = c.reply;
  const running = eng.current;
  if (running?.isEval) fail(BUSY_EVAL); // functionStatsCommand: a busy EVAL answers BUSY
  r.map(2);
  r.bulk('running_script');
  if (!running) r.nil();
  else {
    r.map(3);
    r.bulk('name');
    r.bulk(running.name);
    r.bulk('command');
    r.array(running.argv.length);
    for (const a of running.argv) r.bulk(a);
    r.bulk('duration_ms');
    r.int(Math.floor(performance.now() - running.started));
  }
  r.bulk('engines');
  r.map(1);
  r.bulk('LUA');
  r.map(2);
  r.bulk('libraries_count');
  r.int(eng.libraries.size);
  r.bulk('functions_count');
  r.int(eng.functions.size);
}

function fcallGeneric(c: Client, argv: Buffer[], ro: boolean): void {
  const eng = scriptingOf(c.server);
  const fn = eng.functions.get(argv[1].latin1Slice(0, argv[1].length));
  if (!fn) fail('ERR Function not found');
  const numkeys = numKeys(argv, 'ERR Bad number of keys provided');
  eng.callFunction(c, fn, argv, numkeys, ro);
}

const noop = () => {};

export const commands: CommandRow[] = [
  { name: 'eval', handler: (c, a) => evalGeneric(c, a, false, false) },
  { name: 'evalsha', handler: (c, a) => evalGeneric(c, a, true, false) },
  { name: 'eval_ro', handler: (c, a) => evalGeneric(c, a, false, true) },
  { name: 'evalsha_ro', handler: (c, a) => evalGeneric(c, a, true, true) },
  { name: 'script', handler: noop },
  { name: 'script|load', handler: scriptLoad },
  { name: 'script|exists', handler: scriptExists },
  { name: 'script|flush', handler: scriptFlush },
  { name: 'script|kill', handler: (c) => killScript(c, true) },
  { name: 'script|debug', handler: scriptDebug },
  { name: 'script|help', handler: (c) => replyHelp(c, 'script') },
  { name: 'function', handler: noop },
  { name: 'function|load', handler: functionLoad },
  { name: 'function|list', handler: functionList },
  { name: 'function|delete', handler: functionDelete },
  { name: 'function|flush', handler: functionFlush },
  { name: 'function|dump', handler: functionDump },
  { name: 'function|restore', handler: functionRestore },
  { name: 'function|stats', handler: functionStats },
  { name: 'function|kill', handler: (c) => killScript(c, false) },
  { name: 'function|help', handler: (c) => replyHelp(c, 'function') },
  { name: 'fcall', handler: (c, a) => fcallGeneric(c, a, false) },
  { name: 'fcall_ro', handler: (c, a) => fcallGeneric(c, a, true) },
];

export { sha1hex };
