/**
 * INFO's sections (Redis's genRedisInfoString): each section's fields in Redis 7.0's order, for
 * the INFO command (commands/server.ts) and anything else that reports them.
 */
import { replIdOf } from '../server/debug-state';
import os from 'os';
import type { Client } from '../server/client';
import { scriptingOf } from '../scripting/engine';
import { persistenceInfo } from '../persistence/bgsave';
import { migrateCachedSockets } from '../commands/migrate';
import { memoryOverhead } from '../commands/memory';
import { recentMaxBuffers } from '../server/client-info';

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
      `hz:${s.cron.hz}`,
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
    const recent = recentMaxBuffers();
    return [
      `connected_clients:${s.clients.size}`,
      'cluster_connections:0',
      `maxclients:${s.config.int('maxclients')}`,
      `client_recent_max_input_buffer:${recent.input}`,
      `client_recent_max_output_buffer:${recent.output}`,
      `blocked_clients:${s.blocking.blockedCount + s.pause.postponedCount}`,
      `tracking_clients:${s.tracking.trackingClients}`,
      `clients_in_timeout_table:${s.blocking.withTimeout}`,
    ];
  },
  memory(c) {
    const s = c.server;
    const startup = s.startupMemory();
    const mu = process.memoryUsage();
    const mh = memoryOverhead(s, mu);
    const used = mh.totalAllocated;
    const peak = mh.peakAllocated;
    const maxmem = s.config.int('maxmemory');
    const sc = scriptingOf(s);
    const fnCount = sc.functions.size;
    // (the Lua VMs' own bytes; 0 for one not made yet, or whose layout could not be read)
    const { eval: vmEval, functions: vmFunctions } = sc.vmMemory();
    return [
      `used_memory:${used}`,
      `used_memory_human:${human(used)}`,
      `used_memory_rss:${mu.rss}`,
      `used_memory_rss_human:${human(mu.rss)}`,
      `used_memory_peak:${peak}`,
      `used_memory_peak_human:${human(peak)}`,
      `used_memory_peak_perc:${pct(used, peak)}`,
      `used_memory_overhead:${mh.overheadTotal}`,
      `used_memory_startup:${startup}`,
      `used_memory_dataset:${mh.dataset}`,
      `used_memory_dataset_perc:${mh.datasetPerc.toFixed(2)}%`,
      `allocator_allocated:${mu.heapUsed + mu.external}`,
      `allocator_active:${mu.heapTotal + mu.external}`,
      `allocator_resident:${mu.rss}`,
      `total_system_memory:${os.totalmem()}`,
      `total_system_memory_human:${human(os.totalmem())}`,
      `used_memory_lua:${vmEval}`,
      `used_memory_vm_eval:${vmEval}`,
      `used_memory_lua_human:${human(vmEval)}`,
      `used_memory_scripts_eval:${mh.luaCaches}`,
      `number_of_cached_scripts:${sc.scripts.size}`,
      `number_of_functions:${fnCount}`,
      `number_of_libraries:${sc.libraries.size}`,
      `used_memory_vm_functions:${vmFunctions}`,
      `used_memory_vm_total:${vmEval + vmFunctions}`,
      `used_memory_vm_total_human:${human(vmEval + vmFunctions)}`,
      `used_memory_functions:${mh.functionsCaches}`,
      `used_memory_scripts:${mh.luaCaches + mh.functionsCaches}`,
      `used_memory_scripts_human:${human(mh.luaCaches + mh.functionsCaches)}`,
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
      `mem_clients_normal:${mh.clientsNormal}`,
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
      `expired_time_cap_reached_count:${st.expiredTimeCapReached}`,
      `expire_cycle_cpu_milliseconds:${Math.round(st.expireCycleCpuMs)}`,
      `evicted_keys:${st.evictedKeys}`,
      `evicted_clients:${c.server.clientEviction.evicted}`,
      'total_eviction_exceeded_time:0',
      'current_eviction_exceeded_time:0',
      `keyspace_hits:${st.keyspaceHits}`,
      `keyspace_misses:${st.keyspaceMisses}`,
      `pubsub_channels:${pubsub.channels.size}`,
      `pubsub_patterns:${pubsub.patterns.size}`,
      `pubsubshard_channels:${pubsub.shardChannels.size}`,
      'latest_fork_usec:0',
      'total_forks:0',
      `migrate_cached_sockets:${migrateCachedSockets(c.server)}`,
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
      `unexpected_error_replies:${st.unexpectedErrorReplies}`,
      `total_error_replies:${st.totalErrorReplies}`,
      'dump_payload_sanitizations:0',
      `total_reads_processed:${st.readsProcessed}`,
      `total_writes_processed:${st.writesProcessed}`,
      'io_threaded_reads_processed:0',
      'io_threaded_writes_processed:0',
      `reply_buffer_shrinks:${st.replyBufferShrinks}`,
      `reply_buffer_expands:${st.replyBufferExpands}`,
      `redust_lane_commands:${st.laneCommands}`,
    ];
  },
  replication(c) {
    return [
      'role:master',
      'connected_slaves:0',
      'master_failover_state:no-failover',
      `master_replid:${replIdOf(c.server)}`,
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
