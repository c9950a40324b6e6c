/**
 * Server commands: INFO, CONFIG, COMMAND, DBSIZE, TIME, FLUSHDB/FLUSHALL, SWAPDB, SHUTDOWN,
 * MEMORY, DEBUG, SLOWLOG, LASTSAVE, ROLE.
 */
import { commandKeys } from './getkeys';
import { saveForShutdown, type ShutdownFlags } from '../persistence/shutdown';
import { applyOomScoreAdj, setProcTitle } from '../server/process-settings';
import os from 'os';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { CommandRow, Command } from './table';
import { container } from './table';
import { CmdFlag } from './table';
import { BUSY_EVAL, BUSY_FUNCTION, fail, OUT_OF_RANGE_DB, SYNTAX, wrongArgs } from './errors';
import { intArg, isWord, rangeIntArg } from './args';
import { CONFIG_DEFS, findConfig, formatConfigValue, mergeOutputBufferLimits, parseConfigValue } from '../config/config';
import { checkEngineSupported, checkRuntimeSet, checkSupported, deniedWhileLoading } from '../config/unsupported';
import { isLoopbackPeer } from '../server/protected-mode';
import { rewriteConfigFile } from '../config/rewrite';
import { formatNotifyFlags, parseNotifyFlags } from '../server/keyspace-events';
import { latin1 } from '../util/number';
import { infoString } from '../observability/info';
import { replayMeta, replyHelp } from './help';
import { globMatch } from '../util/glob';
import type { Container, RedisValue } from '../engine/types';
import { setLogLevel, RedisLogLevel } from '../observability/logger';
import { evictToLimit } from '../server/evict';
import { scriptingOf } from '../scripting/engine';
import { killBgsave, loadingOf } from '../persistence/bgsave';
import { flushallSave } from '../persistence/rdb';
import { forcePropagation } from '../server/propagate';
import { strerror } from '../util/errno';

// ------------------------------------------------------------------ INFO


/** enable-protected-configs: yes, or local for a client on a loopback address or unix socket. */
function protectedConfigsAllowed(c: Client): boolean {
  const mode = c.server.config.str('enable-protected-configs');
  return mode === 'yes' || (mode === 'local' && isLoopbackPeer(c.socket?.remoteAddress));
}
function info(c: Client, argv: Buffer[]): void {
  const requested = argv.slice(1).map((a) => latin1(a).toLowerCase());
  c.reply.verbatim(infoString(c, requested));
}

// ------------------------------------------------------------------ CONFIG

function configGet(c: Client, argv: Buffer[]): void {
  // (keyed by lower-case name, as Redis's reply dict compares names without case; a name without
  // glob characters is replied as typed)
  const seen = new Map<string, [string, string]>();
  for (let i = 2; i < argv.length; i++) {
    const typed = latin1(argv[i]);
    const pat = typed.toLowerCase();
    if (!/[*?[]/.test(pat)) {
      const exact = findConfig(pat);
      if (exact && !seen.has(pat)) seen.set(pat, [typed, configText(c, exact.name)]);
      continue;
    }
    for (const d of CONFIG_DEFS) {
      // A hidden config answers its exact name only, as in Redis; so do Redust's own settings
      // (engine, maxvalue-bytes...), so that a pattern lists exactly what Redis 7.0 lists (tools
      // and Redis's own tests set back every setting CONFIG GET * names).
      if (d.hidden || d.redust) continue;
      for (const name of d.alias ? [d.name, d.alias] : [d.name]) {
        if (!seen.has(name) && globMatch(pat, name, true)) seen.set(name, [name, configText(c, d.name)]);
      }
    }
  }
  c.reply.map(seen.size);
  for (const [k, v] of seen.values()) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function configText(c: Client, name: string): string {
  if (name === 'notify-keyspace-events') return formatNotifyFlags(c.server.keyspace.flags);
  return c.server.config.text(name);
}

function configSet(c: Client, argv: Buffer[]): void {
  if (argv.length < 4) fail(wrongArgs('config|set'));
  if (argv.length % 2 !== 0) fail(SYNTAX);
  // (the setting's canonical name, its value, and the name it was found by, lower case: a value's
  // error names that one, as Redis's alias entries carry their own name)
  const pairs: [string, string, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = latin1(argv[i]).toLowerCase();
    const def = findConfig(name);
    if (!def) fail(`ERR Unknown option or number of arguments for CONFIG SET - '${latin1(argv[i])}'`);
    if (!def.mutable) fail(`ERR CONFIG SET failed (possibly related to argument '${latin1(argv[i])}') - can't set immutable config`);
    if (loadingOf(c.server) !== null && deniedWhileLoading(def.name, protectedConfigsAllowed(c))) fail('LOADING Redis is loading the dataset in memory');
    // (a name and its alias are two entries in Redis's table: the later one wins, no duplicate)
    if (seen.has(name)) fail(`ERR CONFIG SET failed (possibly related to argument '${latin1(argv[i])}') - duplicate parameter`);
    seen.add(name);
    pairs.push([def.name, latin1(argv[i + 1]), name]);
  }
  const parsed: [string, unknown][] = [];
  for (const [name, text, typed] of pairs) {
    try {
      const def = findConfig(name)!;
      let v: unknown;
      checkRuntimeSet(name, protectedConfigsAllowed(c));
      if (name === 'client-output-buffer-limit') {
        v = mergeOutputBufferLimits(c.server.config.str(name), text);
        checkSupported(name, v as string);
      } else if (name === 'notify-keyspace-events') {
        const flags = parseNotifyFlags(text);
        if (flags < 0) throw new Error('Invalid event class character. Use \'Ag$lshzxeKEtmdn\'.');
        v = text;
      } else v = parseConfigValue(def, text);
      checkEngineSupported(c.server.config.str('engine'), name, text);
      parsed.push([name, v]);
    } catch (e) {
      fail(`ERR CONFIG SET failed (possibly related to argument '${typed}') - ${(e as Error).message}`);
    }
  }
  // TLS settings: the new context must build before anything is applied (Redis's tlsConfigure).
  const tlsChanges = new Map(parsed.filter(([n]) => n.startsWith('tls-')).map(([n, v]) => [n, formatConfigValue(findConfig(n)!, v)]));
  let commitTls = () => {};
  if (tlsChanges.size > 0) {
    try {
      commitTls = c.server.listeners.prepareTls(tlsChanges);
    } catch (e) {
      c.server.logger.warn((e as Error).message);
      fail(`ERR CONFIG SET failed (possibly related to argument '${[...tlsChanges.keys()][0]}') - Unable to update TLS configuration. Check server logs.`);
    }
  }
  changeListeners(c, parsed, tlsChanges);
  commitTls();
  for (const [name, v] of parsed) applyConfig(c, name, v);
  if (parsed.some(([n]) => LISTEN_CONFIGS.has(n))) setProcTitle(c.server);
  c.reply.ok();
}

const LISTEN_CONFIGS = new Set(['port', 'tls-port', 'bind']);

/**
 * CONFIG SET port / tls-port / bind (Redis's updatePort, applyTLSPort, applyBind): listen as the
 * new values say before anything is applied, so that a failure leaves every setting of the
 * CONFIG SET as it was (Redis applies, then rolls back). Redis runs the apply function of the
 * first of these settings in the command that changes (bind always runs) and names it in the
 * error; the listeners it binds come from all the new values, so one change here does the same.
 */
function changeListeners(c: Client, parsed: [string, unknown][], tlsChanges: Map<string, string>): void {
  const cfg = c.server.config;
  const value = (name: string) => parsed.find(([n]) => n === name)?.[1];
  const first = parsed.find(([n, v]) => n === 'bind' || ((n === 'port' || n === 'tls-port') && v !== cfg.int(n)))?.[0];
  if (first === undefined) return;
  const next = {
    port: (value('port') as number | undefined) ?? cfg.int('port'),
    tlsPort: (value('tls-port') as number | undefined) ?? cfg.int('tls-port'),
    bind: (value('bind') as string | undefined) ?? cfg.str('bind'),
  };
  try {
    c.server.listeners.change(next, tlsChanges);
  } catch (e) {
    c.server.logger.warn(`Failed applying new configuration. Possibly related to new ${first} setting. Restoring previous settings. (${(e as Error).message})`);
    fail(`ERR CONFIG SET failed (possibly related to argument '${first}') - ${first === 'bind' ? 'Failed to bind to specified addresses.' : 'Unable to listen on this port. Check server logs.'}`);
  }
}

/** Apply a validated setting, including its side effects on running components. */
export function applyConfig(c: Client, name: string, v: unknown): void {
  const s = c.server;
  s.config.set(name, v);
  // (a number past 2^53 comes as a bigint: Config keeps it exactly, the server uses the number)
  if (typeof v === 'bigint') v = Number(v);
  if (name === 'requirepass') s.acl.setRequirepass(v as string);
  else if (name === 'notify-keyspace-events') s.keyspace.flags = parseNotifyFlags(v as string);
  else if (name === 'loglevel') setLogLevel(s.logger, v as RedisLogLevel);
  else if (name === 'appendonly') {
    if (v) s.aof.enableAtRuntime((c.flags & ClientFlag.IN_EXEC) !== 0);
    else s.aof.disable();
  }
  else if (name === 'aof-timestamp-enabled') s.aof.timestamps = v as boolean;
  else if (name === 'aof-disable-auto-gc') s.aof.deleteHistory();
  else if (name === 'client-output-buffer-limit') s.net.outputLimits.refresh();
  else if (name === 'maxmemory-clients') s.clientEviction.refresh();
  else if (name === 'lfu-log-factor' || name === 'lfu-decay-time') s.engine.setLfuParams(s.config.int('lfu-log-factor'), s.config.int('lfu-decay-time'));
  else if (name === 'list-compress-depth') s.engine.setListCompressDepth?.(v as number);
  else if (name === 'oom-score-adj' || name === 'oom-score-adj-values') applyOomScoreAdj(s);
  else if (name === 'proc-title-template') setProcTitle(s);
  else if (name === 'maxmemory') {
    // (a maxmemory-clients percentage follows it)
    s.clientEviction.refresh();
    if ((v as number) > 0) {
      // updateMaxmemory: a limit below what is used is warned about and evicted to at once.
      const used = s.usedMemory();
      if ((v as number) < used) s.logger.warn(`WARNING: the new maxmemory value set via CONFIG SET (${v as number}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`);
      evictToLimit(s, v as number);
    }
  }
  else if (name === 'proto-max-bulk-len') {
    for (const cl of s.clients.values()) (cl.parser as unknown as { limits: { maxBulkLen: number } }).limits.maxBulkLen = v as number;
  }
}

function configResetstat(c: Client): void {
  c.server.resetStats();
  c.reply.ok();
}

function configRewrite(c: Client): void {
  if (!c.server.configFile) fail('ERR The server is running without a config file');
  const err = rewriteConfigNow(c, false);
  if (err !== null) {
    c.server.logger.warn(`CONFIG REWRITE failed: ${err}`);
    fail(`ERR Rewriting config file: ${err}`);
  }
  c.server.logger.info('CONFIG REWRITE executed with success.');
  c.reply.ok();
}

/** rewriteConfig(server.configfile, force): null, or the error's strerror text. */
export function rewriteConfigNow(c: Client, force: boolean): string | null {
  try {
    rewriteConfigFile(c.server.configFile, { config: c.server.config, special: (name) => (name === 'notify-keyspace-events' ? configText(c, name) : undefined) }, force);
    return null;
  } catch (e) {
    return strerror(e);
  }
}

function configHelp(c: Client): void {
  replyHelp(c, 'config');
}

// ------------------------------------------------------------------ COMMAND

function commandInfoReply(c: Client, cmd: Command): void {
  if (!cmd.info) {
    // Redust additions: the classic 10-element layout.
    const r = c.reply;
    r.array(10);
    r.bulk(cmd.fullname);
    r.int(cmd.arity);
    r.set(cmd.flagNames.length);
    for (const f of cmd.flagNames) r.simple(f);
    r.int(cmd.firstKey);
    r.int(cmd.lastKey);
    r.int(cmd.keyStep);
    r.set(cmd.categories.length);
    for (const a of cmd.categories) r.simple('@' + a);
    r.set(0);
    r.set(0);
    r.array(0);
    return;
  }
  const info = cmd.info;
  const r = c.reply;
  r.array(info.length);
  for (let i = 0; i < info.length; i++) {
    if (i === 9 && cmd.subcommands) {
      // Only the subcommands Redust implements, in Redis's order.
      const subs = orderedSubcommands(cmd);
      r.array(subs.length);
      for (const sub of subs) commandInfoReply(c, sub);
    } else replayMeta(r, info[i]);
  }
}

/** Implemented subcommands in the order Redis lists them (then Redust additions). */
function orderedSubcommands(cmd: Command): Command[] {
  if (!cmd.subcommands) return [];
  const order = cmd.info && Array.isArray(cmd.info[9]) ? (cmd.info[9] as unknown[]).map((s) => (s as string[])[0]) : [];
  const subs = [...cmd.subcommands.values()];
  const rank = (s: Command) => {
    const i = order.indexOf(s.fullname);
    return i === -1 ? order.length : i;
  };
  return subs.sort((a, b) => rank(a) - rank(b));
}

function commandAll(c: Client): void {
  const all = [...c.server.table.all()];
  c.reply.array(all.length);
  for (const cmd of all) commandInfoReply(c, cmd);
}

function commandCount(c: Client): void {
  c.reply.int(c.server.table.size);
}

/** lookupCommandBySds: `name` or `container|sub`; more than one '|' names nothing. */
function lookupByName(c: Client, name: string): Command | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const [top, sub] = parts;
  const cmd = c.server.table.get(top);
  if (!cmd || sub === undefined) return cmd;
  return cmd.subcommands?.get(sub);
}

function commandInfo(c: Client, argv: Buffer[]): void {
  if (argv.length === 2) return commandAll(c);
  c.reply.array(argv.length - 2);
  for (let i = 2; i < argv.length; i++) {
    const cmd = lookupByName(c, latin1(argv[i]));
    if (cmd) commandInfoReply(c, cmd);
    else c.reply.nil();
  }
}

function docsReply(c: Client, cmd: Command): void {
  const r = c.reply;
  const docs = cmd.docs;
  if (!docs || typeof docs !== 'object' || !('%' in docs)) {
    r.map(0);
    return;
  }
  const flat = docs['%'];
  const subs = orderedSubcommands(cmd);
  const entries: [string, unknown][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    if (flat[i] === 'subcommands') {
      if (subs.length) entries.push(['subcommands', null]);
    } else entries.push([flat[i] as string, flat[i + 1]]);
  }
  r.map(entries.length);
  for (const [k, v] of entries) {
    r.bulk(k);
    if (k === 'subcommands') {
      r.map(subs.length);
      for (const s of subs) {
        r.bulk(s.fullname);
        docsReply(c, s);
      }
    } else replayMeta(r, v as never);
  }
}

function commandDocs(c: Client, argv: Buffer[]): void {
  const cmds: Command[] = [];
  if (argv.length === 2) cmds.push(...c.server.table.all());
  else {
    for (let i = 2; i < argv.length; i++) {
      const cmd = lookupByName(c, latin1(argv[i]));
      if (cmd) cmds.push(cmd);
    }
  }
  c.reply.map(cmds.length);
  for (const cmd of cmds) {
    c.reply.bulk(cmd.fullname);
    docsReply(c, cmd);
  }
}

function commandGetkeys(c: Client, argv: Buffer[], withFlags: boolean): void {
  const sub = argv.slice(2);
  const cmd = c.server.table.lookup(sub);
  if (!cmd) fail('ERR Invalid command specified');
  if ((cmd.arity > 0 && cmd.arity !== sub.length) || sub.length < -cmd.arity) fail('ERR Invalid number of arguments specified for command');
  const keys = commandKeys(cmd, sub);
  if (keys.length === 0) {
    if (cmd.firstKey === 0 && !cmd.has(CmdFlag.MOVABLE_KEYS)) fail('ERR The command has no key arguments');
    if (cmd.has(CmdFlag.NO_MANDATORY_KEYS)) return c.reply.array(0);
    fail('ERR Invalid arguments specified for command');
  }
  c.reply.array(keys.length);
  for (const k of keys) {
    if (withFlags) {
      c.reply.array(2);
      c.reply.bulk(sub[k.index]);
      c.reply.set(k.flags.length);
      for (const f of k.flags) c.reply.simple(f);
    } else c.reply.bulk(sub[k.index]);
  }
}

function commandList(c: Client, argv: Buffer[]): void {
  let filter: ((cmd: Command) => boolean) | null = null;
  if (argv.length === 5 && isWord(argv[2], 'filterby')) {
    const what = latin1(argv[4]);
    if (isWord(argv[3], 'aclcat')) filter = (cmd) => cmd.categories.includes(what.toLowerCase());
    else if (isWord(argv[3], 'pattern')) filter = (cmd) => globMatch(what, cmd.fullname, true);
    else if (isWord(argv[3], 'module')) filter = () => false;
    else fail(SYNTAX);
  } else if (argv.length !== 2) fail(SYNTAX);
  const names: string[] = [];
  for (const cmd of c.server.table.allWithSubcommands()) if (!filter || filter(cmd)) names.push(cmd.fullname);
  c.reply.array(names.length);
  for (const n of names) c.reply.bulk(n);
}

function command(c: Client, argv: Buffer[]): void {
  if (argv.length === 1) commandAll(c);
}

// ------------------------------------------------------------------ keyspace-wide

function dbsize(c: Client): void {
  c.reply.int(c.db.size());
}

function time(c: Client): void {
  const us = c.server.clock.nowMicros();
  c.reply.array(2);
  c.reply.bulk(String(Math.floor(us / 1e6)));
  c.reply.bulk(String(us % 1e6));
}

function flushFlags(argv: Buffer[]): boolean {
  if (argv.length > 2) fail(SYNTAX);
  if (argv.length === 2) {
    if (isWord(argv[1], 'async')) return true;
    if (isWord(argv[1], 'sync')) return false;
    fail(SYNTAX);
  }
  return false;
}

function flushdb(c: Client, argv: Buffer[]): void {
  const lazy = flushFlags(argv);
  c.server.flushDb(c.db, lazy);
  forcePropagation(c); // (reaches the AOF even when the db was empty)
  c.reply.ok();
}

function flushall(c: Client, argv: Buffer[]): void {
  const lazy = flushFlags(argv);
  killBgsave(c.server); // (Redis kills the child saving: its file would be thrown away)
  for (const db of c.server.dbs) c.server.flushDb(db, lazy);
  flushallSave(c.server);
  forcePropagation(c); // (reaches the AOF even when the dbs were empty)
  c.reply.ok();
}

function swapdb(c: Client, argv: Buffer[]): void {
  const a = rangeIntArg(argv[1], -2147483648n, 2147483647n, 'invalid first DB index');
  const b = rangeIntArg(argv[2], -2147483648n, 2147483647n, 'invalid second DB index');
  const n = c.server.dbs.length;
  if (a < 0 || a >= n || b < 0 || b >= n) fail(OUT_OF_RANGE_DB);
  c.server.swapDbs(a, b);
  c.reply.ok();
}

/** ROLE (roleCommand): a master without replicas, as INFO replication says (offset 0, no backlog). */
function role(c: Client): void {
  c.reply.array(3);
  c.reply.bulk('master');
  c.reply.int(0);
  c.reply.array(0);
}

function lastsave(c: Client): void {
  c.reply.int(c.server.stats.lastSave);
}

function shutdown(c: Client, argv: Buffer[]): void {
  const flags: ShutdownFlags = { save: false, nosave: false, now: false, force: false };
  let abort = false;
  for (let i = 1; i < argv.length; i++) {
    if (!['nosave', 'save', 'now', 'force', 'abort'].some((w) => isWord(argv[i], w))) fail(SYNTAX);
    if (isWord(argv[i], 'abort')) abort = true;
    if (isWord(argv[i], 'save')) flags.save = true;
    if (isWord(argv[i], 'nosave')) flags.nosave = true;
    if (isWord(argv[i], 'now')) flags.now = true;
    if (isWord(argv[i], 'force')) flags.force = true;
  }
  const nosave = flags.nosave;
  if ((abort && (flags.save || nosave || flags.now || flags.force)) || (flags.save && nosave)) fail(SYNTAX);
  if (abort) {
    // abortShutdown: the only shutdown that can be pending is a signal's (Server.shutdownAsap).
    if (c.server.shutdownAsap === null) fail('ERR No shutdown in progress.');
    c.server.shutdownAsap = null;
    c.server.logger.info('Shutdown manually aborted.');
    c.reply.ok();
    return;
  }
  const busy = c.server.busyScript;
  if (busy) {
    // While a script is busy only SHUTDOWN NOSAVE is allowed; it stops the script first.
    if (!nosave) fail(busy.isEval ? BUSY_EVAL : BUSY_FUNCTION);
    c.server.logger.warn('SHUTDOWN NOSAVE during a busy script: killing it, then shutting down');
    // No connection is accepted from now on (Redis exits inside this command): the listeners
    // close now, the clients when the script has unwound.
    void c.server.listeners.close();
    c.server.shutdownAfterScript = true;
    scriptingOf(c.server).forceKill();
    return;
  }
  if (!saveForShutdown(c.server, flags)) fail('ERR Errors trying to SHUTDOWN. Check logs.');
  // The reply is never sent: like Redis, the connection just closes.
  c.server.shutdown();
}

// ------------------------------------------------------------------ MEMORY, DEBUG, SLOWLOG

/** objectComputeSize-like estimate of a value's bytes. */
export function estimateValueBytes(v: RedisValue): number {
  if (typeof v === 'string' || v instanceof Uint8Array) return v.length + 16;
  return (v as Container).memoryUsage() + 16;
}

function memoryUsage(c: Client, argv: Buffer[]): void {
  for (let i = 3; i < argv.length; i += 2) {
    if (isWord(argv[i], 'samples') && i + 1 < argv.length) {
      if (intArg(argv[i + 1]) < 0) fail(SYNTAX);
    } else fail(SYNTAX);
  }
  const v = c.db.get(argv[2], true);
  if (v === undefined) return c.reply.nil();
  // dictEntry (24) + key sds header and bytes + robj (16) + value.
  c.reply.int(24 + argv[2].length + 9 + estimateValueBytes(v));
}

function memoryHelp(c: Client): void {
  replyHelp(c, 'memory');
}

function slowlogGet(c: Client, argv: Buffer[]): void {
  let count = 10;
  if (argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try SLOWLOG HELP.`);
  if (argv.length === 3) {
    // getRangeLongFromObjectOrReply: a non-integer gets the range message too, as in Redis.
    const range = 'ERR count should be greater than or equal to -1';
    try {
      count = intArg(argv[2]);
    } catch {
      fail(range);
    }
    if (count < -1) fail(range);
    if (count === -1) count = Infinity;
  }
  const entries = c.server.slowlog.entries.slice(0, count);
  const r = c.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.array(6);
    r.int(e.id);
    r.int(e.time);
    r.int(e.durationUs);
    r.array(e.argv.length);
    for (const a of e.argv) r.bulk(a);
    r.bulk(e.addr);
    r.bulk(e.name);
  }
}

function slowlogLen(c: Client): void {
  c.reply.int(c.server.slowlog.entries.length);
}

function slowlogReset(c: Client): void {
  c.server.slowlog.reset();
  c.reply.ok();
}

function slowlogHelp(c: Client): void {
  replyHelp(c, 'slowlog');
}


export const commands: CommandRow[] = [
  { name: 'info', handler: info },
  { name: 'config', handler: container },
  { name: 'config|get', handler: configGet },
  { name: 'config|set', handler: configSet },
  { name: 'config|resetstat', handler: configResetstat },
  { name: 'config|rewrite', handler: configRewrite },
  { name: 'config|help', handler: configHelp },
  { name: 'command', handler: command },
  { name: 'command|count', handler: commandCount },
  { name: 'command|info', handler: commandInfo },
  { name: 'command|docs', handler: commandDocs },
  { name: 'command|getkeys', handler: (c, argv) => commandGetkeys(c, argv, false) },
  { name: 'command|getkeysandflags', handler: (c, argv) => commandGetkeys(c, argv, true) },
  { name: 'command|list', handler: commandList },
  { name: 'command|help', handler: (c) => replyHelp(c, 'command') },
  { name: 'dbsize', handler: dbsize },
  { name: 'time', handler: time },
  { name: 'flushdb', handler: flushdb },
  { name: 'flushall', handler: flushall },
  { name: 'swapdb', handler: swapdb },
  { name: 'lastsave', handler: lastsave },
  { name: 'role', handler: role },
  { name: 'shutdown', handler: shutdown },
  { name: 'memory', handler: container },
  { name: 'memory|usage', handler: memoryUsage },
  { name: 'memory|help', handler: memoryHelp },
  { name: 'slowlog', handler: container },
  { name: 'slowlog|get', handler: slowlogGet },
  { name: 'slowlog|len', handler: slowlogLen },
  { name: 'slowlog|reset', handler: slowlogReset },
  { name: 'slowlog|help', handler: slowlogHelp },
];
