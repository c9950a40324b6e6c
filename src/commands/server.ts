/**
 * Server commands: INFO, CONFIG, COMMAND, DBSIZE, TIME, FLUSHDB/FLUSHALL, SWAPDB, SHUTDOWN,
 * MEMORY, DEBUG, SLOWLOG, LASTSAVE.
 */
import { commandKeys } from './getkeys';
import os from 'os';
import type { Client } from '../server/client';
import type { CommandRow, Command } from './table';
import { CmdFlag } from './table';
import { BUSY_EVAL, BUSY_FUNCTION, fail, NOT_POSITIVE, OUT_OF_RANGE_DB, SYNTAX, wrongArgs } from './errors';
import { floatArg, intArg, isWord } from './args';
import { CONFIG_DEFS, findConfig, formatConfigValue, mergeOutputBufferLimits, parseConfigValue } from '../config/config';
import { checkRuntimeSet, checkSupported } from '../config/unsupported';
import { formatNotifyFlags, parseNotifyFlags } from '../server/keyspace-events';
import { latin1 } from '../util/number';
import { replayMeta, replyHelp } from './help';
import { globMatch } from '../util/glob';
import type { Container, RedisValue } from '../engine/types';
import { setLogLevel, RedisLogLevel } from '../observability/logger';
import { scriptingOf } from '../scripting/engine';
import { debugPersistence } from './persistence';
import { killBgsave, loadingOf, persistenceInfo } from '../persistence/bgsave';
import { debugOps } from './debug-ops';
import { flushallSave, persistenceOf, saveRdb } from '../persistence/rdb';

// ------------------------------------------------------------------ INFO

function fmtBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(2)}K`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)}M`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)}G`;
}

type Section = (c: Client) => string[];

/** Redis's bytesToHuman: B, K, M, G with two decimals. */
function human(n: number): string {
  return fmtBytes(n);
}

function pct(a: number, b: number): string {
  return `${(b > 0 ? (a * 100) / b : 0).toFixed(2)}%`;
}

/** The fields of each section, in Redis 7.0's order. Subsystems Redust does not have (fork,
 *  defrag, replication, tracking) report Redis's idle values. Redust adds redust_* fields. */
const SECTIONS: Record<string, Section> = {
  server(c) {
    const s = c.server;
    const now = s.clock.now();
    const up = Math.floor((now - s.stats.startTime) / 1000);
    return [
      `redis_version:${s.redisVersion}`,
      `redust_version:${s.redustVersion}`,
      'redis_git_sha1:00000000',
      'redis_git_dirty:0',
      'redis_build_id:0',
      'redis_mode:standalone',
      `os:${os.type()} ${os.release()} ${os.arch() === 'x64' ? 'x86_64' : os.arch()}`,
      'arch_bits:64',
      'monotonic_clock:POSIX clock_gettime',
      'multiplexing_api:epoll',
      'atomicvar_api:c11-builtin',
      'gcc_version:0.0.0',
      `process_id:${process.pid}`,
      'process_supervised:no',
      `run_id:${s.runId}`,
      `tcp_port:${s.config.int('port')}`,
      `server_time_usec:${now * 1000}`,
      `uptime_in_seconds:${up}`,
      `uptime_in_days:${Math.floor(up / 86400)}`,
      `hz:${s.config.int('hz')}`,
      `configured_hz:${s.config.int('hz')}`,
      `lru_clock:${Math.floor(now / 1000) & 0xffffff}`,
      `executable:${process.argv[1] ?? ''}`,
      `config_file:${s.configFile}`,
      'io_threads_active:0',
      `redust_engine:${s.engine.name}`,
      `redust_node_version:${process.versions.node}`,
    ];
  },
  clients(c) {
    const s = c.server;
    return [
      `connected_clients:${s.clients.size}`,
      'cluster_connections:0',
      `maxclients:${s.config.int('maxclients')}`,
      'client_recent_max_input_buffer:0',
      'client_recent_max_output_buffer:0',
      `blocked_clients:${s.blocking.blockedCount + s.pause.postponedCount}`,
      `tracking_clients:${s.tracking.trackingClients}`,
      'clients_in_timeout_table:0',
    ];
  },
  memory(c) {
    const s = c.server;
    const used = s.usedMemory();
    const startup = s.startupMemory();
    const dataset = s.engine.usedMemory();
    const overhead = Math.max(0, used - dataset);
    const peak = Math.max(used, s.peakMemory);
    const mu = process.memoryUsage();
    const maxmem = s.config.int('maxmemory');
    const sc = scriptingOf(s);
    const fnCount = sc.functions.size;
    return [
      `used_memory:${used}`,
      `used_memory_human:${human(used)}`,
      `used_memory_rss:${mu.rss}`,
      `used_memory_rss_human:${human(mu.rss)}`,
      `used_memory_peak:${peak}`,
      `used_memory_peak_human:${human(peak)}`,
      `used_memory_peak_perc:${pct(used, peak)}`,
      `used_memory_overhead:${overhead}`,
      `used_memory_startup:${startup}`,
      `used_memory_dataset:${dataset}`,
      `used_memory_dataset_perc:${pct(dataset, used - startup)}`,
      `allocator_allocated:${mu.heapUsed + mu.external}`,
      `allocator_active:${mu.heapTotal + mu.external}`,
      `allocator_resident:${mu.rss}`,
      `total_system_memory:${os.totalmem()}`,
      `total_system_memory_human:${human(os.totalmem())}`,
      'used_memory_lua:32768',
      'used_memory_vm_eval:32768',
      'used_memory_lua_human:32.00K',
      'used_memory_scripts_eval:0',
      `number_of_cached_scripts:${sc.scripts.size}`,
      `number_of_functions:${fnCount}`,
      `number_of_libraries:${sc.libraries.size}`,
      'used_memory_vm_functions:33792',
      'used_memory_vm_total:66560',
      'used_memory_vm_total_human:65.00K',
      'used_memory_functions:200',
      'used_memory_scripts:200',
      'used_memory_scripts_human:200B',
      `maxmemory:${maxmem}`,
      `maxmemory_human:${human(maxmem)}`,
      `maxmemory_policy:${s.config.str('maxmemory-policy')}`,
      'allocator_frag_ratio:1.00',
      'allocator_frag_bytes:0',
      'allocator_rss_ratio:1.00',
      'allocator_rss_bytes:0',
      'rss_overhead_ratio:1.00',
      'rss_overhead_bytes:0',
      `mem_fragmentation_ratio:${used > 0 ? (mu.rss / used).toFixed(2) : '0.00'}`,
      `mem_fragmentation_bytes:${Math.max(0, mu.rss - used)}`,
      'mem_not_counted_for_evict:0',
      'mem_replication_backlog:0',
      'mem_total_replication_buffers:0',
      'mem_clients_slaves:0',
      'mem_clients_normal:0',
      'mem_cluster_links:0',
      'mem_aof_buffer:0',
      `mem_allocator:${s.engine.name === 'wasm' ? 'redust-wasm-arena' : 'v8'}`,
      'active_defrag_running:0',
      'lazyfree_pending_objects:0',
      `lazyfreed_objects:${s.stats.lazyfreedObjects}`,
      `redust_js_heap_used:${mu.heapUsed}`,
    ];
  },
  persistence(c) {
    return persistenceInfo(c.server);
  },
  stats(c) {
    const st = c.server.stats;
    const avg = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
    const pubsub = c.server.pubsub;
    return [
      `total_connections_received:${st.connectionsReceived}`,
      `total_commands_processed:${st.commandsProcessed}`,
      `instantaneous_ops_per_sec:${Math.round(avg(st.opsSamples))}`,
      `total_net_input_bytes:${st.netInputBytes}`,
      `total_net_output_bytes:${st.netOutputBytes}`,
      'total_net_repl_input_bytes:0',
      'total_net_repl_output_bytes:0',
      `instantaneous_input_kbps:${(avg(st.inputKbpsSamples)).toFixed(2)}`,
      `instantaneous_output_kbps:${(avg(st.outputKbpsSamples)).toFixed(2)}`,
      'instantaneous_input_repl_kbps:0.00',
      'instantaneous_output_repl_kbps:0.00',
      `rejected_connections:${st.rejectedConnections}`,
      'sync_full:0',
      'sync_partial_ok:0',
      'sync_partial_err:0',
      `expired_keys:${st.expiredKeys}`,
      `expired_stale_perc:${(st.expiredStalePerc * 100).toFixed(2)}`,
      'expired_time_cap_reached_count:0',
      `expire_cycle_cpu_milliseconds:${Math.round(st.expireCycleCpuMs)}`,
      `evicted_keys:${st.evictedKeys}`,
      'evicted_clients:0',
      'total_eviction_exceeded_time:0',
      'current_eviction_exceeded_time:0',
      `keyspace_hits:${st.keyspaceHits}`,
      `keyspace_misses:${st.keyspaceMisses}`,
      `pubsub_channels:${pubsub.channels.size}`,
      `pubsub_patterns:${pubsub.patterns.size}`,
      `pubsubshard_channels:${pubsub.shardChannels.size}`,
      'latest_fork_usec:0',
      'total_forks:0',
      'migrate_cached_sockets:0',
      'slave_expires_tracked_keys:0',
      'active_defrag_hits:0',
      'active_defrag_misses:0',
      'active_defrag_key_hits:0',
      'active_defrag_key_misses:0',
      'total_active_defrag_time:0',
      'current_active_defrag_time:0',
      `tracking_total_keys:${c.server.tracking.totalKeys}`,
      `tracking_total_items:${c.server.tracking.totalItemsCount}`,
      `tracking_total_prefixes:${c.server.tracking.totalPrefixes}`,
      'unexpected_error_replies:0',
      `total_error_replies:${st.totalErrorReplies}`,
      'dump_payload_sanitizations:0',
      `total_reads_processed:${st.readsProcessed}`,
      `total_writes_processed:${st.writesProcessed}`,
      'io_threaded_reads_processed:0',
      'io_threaded_writes_processed:0',
      'reply_buffer_shrinks:0',
      'reply_buffer_expands:0',
    ];
  },
  replication(c) {
    return [
      'role:master',
      'connected_slaves:0',
      'master_failover_state:no-failover',
      `master_replid:${c.server.runId}`,
      'master_replid2:0000000000000000000000000000000000000000',
      'master_repl_offset:0',
      'second_repl_offset:-1',
      'repl_backlog_active:0',
      'repl_backlog_size:1048576',
      'repl_backlog_first_byte_offset:0',
      'repl_backlog_histlen:0',
    ];
  },
  cpu() {
    const u = process.cpuUsage();
    const sys = (u.system / 1e6).toFixed(6);
    const user = (u.user / 1e6).toFixed(6);
    return [`used_cpu_sys:${sys}`, `used_cpu_user:${user}`, 'used_cpu_sys_children:0.000000', 'used_cpu_user_children:0.000000', `used_cpu_sys_main_thread:${sys}`, `used_cpu_user_main_thread:${user}`];
  },
  modules() {
    return [];
  },
  commandstats(c) {
    const out: string[] = [];
    for (const cmd of c.server.table.allWithSubcommands()) {
      const st = cmd.stats;
      if (st.calls === 0 && st.rejectedCalls === 0 && st.failedCalls === 0) continue;
      const per = st.calls ? (st.usec / st.calls).toFixed(2) : '0.00';
      out.push(`cmdstat_${cmd.fullname}:calls=${st.calls},usec=${st.usec},usec_per_call=${per},rejected_calls=${st.rejectedCalls},failed_calls=${st.failedCalls}`);
    }
    return out;
  },
  errorstats(c) {
    return [...c.server.stats.errorCodes].map(([code, n]) => `errorstat_${code}:count=${n}`);
  },
  latencystats(c) {
    return c.server.latency.infoLines();
  },
  cluster() {
    return ['cluster_enabled:0'];
  },
  keyspace(c) {
    const out: string[] = [];
    for (const db of c.server.dbs) {
      if (db.size() === 0) continue;
      out.push(`db${db.index}:keys=${db.size()},expires=${db.expiresSize()},avg_ttl=0`);
    }
    return out;
  },
};

const DEFAULT_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats', 'cluster', 'keyspace'];
/** INFO all / everything: every section in Redis's order (the empty module list is in both). */
const ALL_SECTIONS = ['server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace'];
const SECTION_TITLES: Record<string, string> = { errorstats: 'Errorstats', commandstats: 'Commandstats', latencystats: 'Latencystats', cpu: 'CPU' };

export function infoString(c: Client, requested: string[]): string {
  let names: string[];
  if (requested.length === 0 || requested.includes('default')) names = [...DEFAULT_SECTIONS];
  else names = [];
  for (const r of requested) {
    if (r === 'all' || r === 'everything') names = [...ALL_SECTIONS];
    else if (r !== 'default' && SECTIONS[r] && !names.includes(r)) names.push(r);
  }
  const parts: string[] = [];
  for (const n of names) {
    const title = SECTION_TITLES[n] ?? n[0].toUpperCase() + n.slice(1);
    parts.push(`# ${title}\r\n` + SECTIONS[n](c).map((l) => l + '\r\n').join(''));
  }
  return parts.join('\r\n');
}

function info(c: Client, argv: Buffer[]): void {
  const requested = argv.slice(1).map((a) => latin1(a).toLowerCase());
  c.reply.verbatim(infoString(c, requested));
}

// ------------------------------------------------------------------ CONFIG

function configGet(c: Client, argv: Buffer[]): void {
  const seen = new Map<string, string>();
  for (let i = 2; i < argv.length; i++) {
    const pat = latin1(argv[i]).toLowerCase();
    const exact = findConfig(pat);
    if (exact && !/[*?[\\]/.test(pat)) {
      seen.set(pat === exact.alias ? exact.alias : exact.name, configText(c, exact.name));
      continue;
    }
    for (const d of CONFIG_DEFS) {
      for (const name of d.alias ? [d.name, d.alias] : [d.name]) {
        if (globMatch(pat, name, true)) seen.set(name, configText(c, d.name));
      }
    }
  }
  c.reply.map(seen.size);
  for (const [k, v] of seen) {
    c.reply.bulk(k);
    c.reply.bulk(v);
  }
}

function configText(c: Client, name: string): string {
  if (name === 'notify-keyspace-events') return formatNotifyFlags(c.server.keyspace.flags);
  return c.server.config.text(name);
}

function configSet(c: Client, argv: Buffer[]): void {
  if (argv.length < 4 || argv.length % 2 !== 0) fail(wrongArgs('config|set'));
  const pairs: [string, string][] = [];
  const seen = new Set<string>();
  for (let i = 2; i < argv.length; i += 2) {
    const name = latin1(argv[i]).toLowerCase();
    const def = findConfig(name);
    if (!def) fail(`ERR Unknown option or number of arguments for CONFIG SET - '${latin1(argv[i])}'`);
    if (!def.mutable) fail(`ERR CONFIG SET failed (possibly related to argument '${latin1(argv[i])}') - can't set immutable config`);
    if (seen.has(def.name)) fail(`ERR CONFIG SET failed (possibly related to argument '${latin1(argv[i])}') - duplicate parameter`);
    seen.add(def.name);
    pairs.push([def.name, latin1(argv[i + 1])]);
  }
  const parsed: [string, unknown][] = [];
  for (const [name, text] of pairs) {
    try {
      const def = findConfig(name)!;
      let v: unknown;
      checkRuntimeSet(name, text, c.server.config.text(name));
      if (name === 'client-output-buffer-limit') {
        v = mergeOutputBufferLimits(c.server.config.str(name), text);
        checkSupported(name, v as string);
      } else if (name === 'notify-keyspace-events') {
        const flags = parseNotifyFlags(text);
        if (flags < 0) throw new Error('Invalid event class character. Use \'Ag$lshzxeKEtmdn\'.');
        v = text;
      } else v = parseConfigValue(def, text);
      parsed.push([name, v]);
    } catch (e) {
      fail(`ERR CONFIG SET failed (possibly related to argument '${name}') - ${(e as Error).message}`);
    }
  }
  // TLS settings: the new context must build before anything is applied (Redis's tlsConfigure).
  const tlsChanges = new Map(parsed.filter(([n]) => n.startsWith('tls-')).map(([n, v]) => [n, formatConfigValue(findConfig(n)!, v)]));
  if (tlsChanges.size > 0) {
    try {
      c.server.listeners.reconfigureTls(tlsChanges);
    } catch (e) {
      c.server.logger.warn((e as Error).message);
      fail(`ERR CONFIG SET failed (possibly related to argument '${[...tlsChanges.keys()][0]}') - Unable to update TLS configuration. Check server logs.`);
    }
  }
  for (const [name, v] of parsed) applyConfig(c, name, v);
  c.reply.ok();
}

/** Apply a validated setting, including its side effects on running components. */
export function applyConfig(c: Client, name: string, v: unknown): void {
  const s = c.server;
  s.config.set(name, v);
  if (name === 'notify-keyspace-events') s.keyspace.flags = parseNotifyFlags(v as string);
  else if (name === 'loglevel') setLogLevel(s.logger, v as RedisLogLevel);
  else if (name === 'appendonly') {
    if (v) s.aof.enableAtRuntime();
    else s.aof.disable();
  }
  else if (name === 'client-output-buffer-limit') s.net.outputLimits.refresh();
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
  fail('ERR Rewriting config file: not supported by Redust yet');
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

function lookupByName(c: Client, name: string): Command | undefined {
  const [top, sub] = name.toLowerCase().split('|');
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
  const now = c.server.clock.now();
  const us = process.hrtime.bigint() / 1000n % 1000n;
  c.reply.array(2);
  c.reply.bulk(String(Math.floor(now / 1000)));
  c.reply.bulk(String((now % 1000) * 1000 + Number(us)));
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
  c.reply.ok();
}

function flushall(c: Client, argv: Buffer[]): void {
  const lazy = flushFlags(argv);
  killBgsave(c.server); // (Redis kills the child saving: its file would be thrown away)
  for (const db of c.server.dbs) c.server.flushDb(db, lazy);
  flushallSave(c.server);
  c.reply.ok();
}

function swapdb(c: Client, argv: Buffer[]): void {
  const a = intArg(argv[1], 'ERR invalid first DB index');
  const b = intArg(argv[2], 'ERR invalid second DB index');
  const n = c.server.dbs.length;
  if (a < 0 || a >= n || b < 0 || b >= n) fail(OUT_OF_RANGE_DB);
  c.server.swapDbs(a, b);
  c.reply.ok();
}

function lastsave(c: Client): void {
  c.reply.int(c.server.stats.lastSave);
}

function shutdown(c: Client, argv: Buffer[]): void {
  let save = false;
  let nosave = false;
  for (let i = 1; i < argv.length; i++) {
    if (!['nosave', 'save', 'now', 'force', 'abort'].some((w) => isWord(argv[i], w))) fail(SYNTAX);
    if (isWord(argv[i], 'abort')) fail('ERR No shutdown in progress.');
    if (isWord(argv[i], 'save')) save = true;
    if (isWord(argv[i], 'nosave')) nosave = true;
  }
  if (save && nosave) fail(SYNTAX);
  const busy = c.server.busyScript;
  if (busy) {
    // While a script is busy only SHUTDOWN NOSAVE is allowed; it stops the script first.
    if (!nosave) fail(busy.isEval ? BUSY_EVAL : BUSY_FUNCTION);
    c.server.logger.warn('SHUTDOWN NOSAVE during a busy script: killing it, then shutting down');
    c.server.shutdownAfterScript = true;
    scriptingOf(c.server).forceKill();
    return;
  }
  killBgsave(c.server); // (prepareForShutdown kills a child saving an .rdb)
  if (loadingOf(c.server) !== null) [save, nosave] = [false, true]; // (never save while loading)
  // Redis saves when asked, or by default when save points are set (Redust: with persistence on).
  if (save || (!nosave && persistenceOf(c.server).enabled && c.server.config.str('save').trim() !== '')) {
    try {
      saveRdb(c.server);
    } catch {
      c.server.logger.warn('Error trying to save the DB, can\'t exit.');
      fail('ERR Errors trying to SHUTDOWN. Check logs.');
    }
  }
  c.server.logger.warn('User requested shutdown...');
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
      if (intArg(argv[i + 1]) < 0) fail(NOT_POSITIVE);
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
  else fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1])}'. Try DEBUG HELP.`);
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

function container(): void {
  /* dispatched to subcommands */
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
  { name: 'shutdown', handler: shutdown },
  { name: 'memory', handler: container },
  { name: 'memory|usage', handler: memoryUsage },
  { name: 'memory|help', handler: memoryHelp },
  { name: 'debug', handler: debug },
  { name: 'slowlog', handler: container },
  { name: 'slowlog|get', handler: slowlogGet },
  { name: 'slowlog|len', handler: slowlogLen },
  { name: 'slowlog|reset', handler: slowlogReset },
  { name: 'slowlog|help', handler: slowlogHelp },
];
