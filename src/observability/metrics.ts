/**
 * Prometheus metrics endpoint (setting `metrics-addr`, env REDUST_METRICS_ADDR): GET /metrics
 * returns the text exposition format with the same figures INFO reports:
 *
 * - redis_* series named and labelled as the widely used oliver006/redis_exporter exports them
 *   (redis_up, redis_commands_total{cmd}, redis_db_keys{db="db0"}...), so its Grafana dashboards
 *   work unchanged;
 * - redust_* series only Redust has: engine, WASM memory, V8 heap, event-loop lag percentiles,
 *   GC pauses (and the older redust_* names of the INFO figures, kept for existing scrapes).
 */
import http from 'http';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'perf_hooks';
import v8 from 'v8';
import os from 'os';
import type { Server } from '../server/server';
import { persistenceOf } from '../persistence/rdb';

/** Process-wide event-loop delay histogram and GC pause totals, started with the first endpoint. */
let loopDelay: IntervalHistogram | null = null;
const gc = { count: 0, seconds: 0 };
function startRuntimeSampling(): void {
  if (loopDelay !== null) return;
  loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gc.count++;
      gc.seconds += e.duration / 1000;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
}

export function renderMetrics(s: Server): string {
  const st = s.stats;
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
  const one = (name: string, type: 'counter' | 'gauge', help: string, v: number) => metric(name, type, help, [['', v]]);
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const used = s.usedMemory();
  const mem = process.memoryUsage();
  // ---- redis_exporter's names
  one('redis_up', 'gauge', 'Information about the Redis instance', 1);
  metric('redis_instance_info', 'gauge', 'Information about the Redis instance', [
    [
      `{maxmemory_policy="${esc(s.config.str('maxmemory-policy'))}",os="${esc(`${os.type()} ${os.release()} ${os.arch()}`)}",process_id="${process.pid}",redis_build_id="",redis_mode="standalone",redis_version="${s.redisVersion}",role="master",run_id="${s.runId}",tcp_port="${s.config.int('port')}"}`,
      1,
    ],
  ]);
  one('redis_start_time_seconds', 'gauge', 'Start time of the Redis instance since unix epoch in seconds.', Math.floor(st.startTime / 1000));
  one('redis_uptime_in_seconds', 'gauge', 'uptime_in_seconds metric', Math.floor((s.clock.now() - st.startTime) / 1000));
  one('redis_connected_clients', 'gauge', 'connected_clients metric', s.clients.size);
  one('redis_blocked_clients', 'gauge', 'blocked_clients metric', s.blocking.blockedCount + s.pause.postponedCount);
  one('redis_tracking_clients', 'gauge', 'tracking_clients metric', s.tracking.trackingClients);
  one('redis_config_maxclients', 'gauge', 'config_maxclients metric', s.config.int('maxclients'));
  one('redis_connected_slaves', 'gauge', 'connected_slaves metric', 0);
  one('redis_memory_used_bytes', 'gauge', 'memory_used_bytes metric', used);
  one('redis_memory_used_peak_bytes', 'gauge', 'memory_used_peak_bytes metric', s.peakMemory);
  one('redis_memory_used_rss_bytes', 'gauge', 'memory_used_rss_bytes metric', mem.rss);
  one('redis_memory_used_startup_bytes', 'gauge', 'memory_used_startup_bytes metric', s.startupMemory());
  one('redis_memory_max_bytes', 'gauge', 'memory_max_bytes metric', s.config.int('maxmemory'));
  one('redis_connections_received_total', 'counter', 'connections_received_total metric', st.connectionsReceived);
  one('redis_rejected_connections_total', 'counter', 'rejected_connections_total metric', st.rejectedConnections);
  one('redis_commands_processed_total', 'counter', 'commands_processed_total metric', st.commandsProcessed);
  one('redis_net_input_bytes_total', 'counter', 'net_input_bytes_total metric', st.netInputBytes);
  one('redis_net_output_bytes_total', 'counter', 'net_output_bytes_total metric', st.netOutputBytes);
  one('redis_expired_keys_total', 'counter', 'expired_keys_total metric', st.expiredKeys);
  one('redis_evicted_keys_total', 'counter', 'evicted_keys_total metric', st.evictedKeys);
  one('redis_keyspace_hits_total', 'counter', 'keyspace_hits_total metric', st.keyspaceHits);
  one('redis_keyspace_misses_total', 'counter', 'keyspace_misses_total metric', st.keyspaceMisses);
  one('redis_pubsub_channels', 'gauge', 'pubsub_channels metric', s.pubsub.channels.size);
  one('redis_pubsub_patterns', 'gauge', 'pubsub_patterns metric', s.pubsub.patterns.size);
  one('redis_rdb_changes_since_last_save', 'gauge', 'rdb_changes_since_last_save metric', st.dirty);
  one('redis_rdb_last_save_timestamp_seconds', 'gauge', 'rdb_last_save_timestamp_seconds metric', st.lastSave);
  one('redis_total_error_replies', 'counter', 'total_error_replies metric', st.totalErrorReplies);
  metric('redis_errors_total', 'counter', 'Total number of errors per error type', [...st.errorCodes].map(([code, n]) => [`{err="${esc(code)}"}`, n]));
  const dbs = s.dbs.filter((d) => d.size() > 0);
  metric('redis_db_keys', 'gauge', 'Total number of keys by DB', dbs.map((d) => [`{db="db${d.index}"}`, d.size()]));
  metric('redis_db_keys_expiring', 'gauge', 'Total number of expiring keys by DB', dbs.map((d) => [`{db="db${d.index}"}`, d.expiresSize()]));
  metric('redis_db_avg_ttl_seconds', 'gauge', 'Avg TTL in seconds', dbs.map((d) => [`{db="db${d.index}"}`, 0]));
  const rcalls: [string, number][] = [];
  const rdur: [string, number][] = [];
  const rfailed: [string, number][] = [];
  const rrejected: [string, number][] = [];
  for (const cmd of s.table.allWithSubcommands()) {
    const cs = cmd.stats;
    if (cs.calls === 0 && cs.rejectedCalls === 0 && cs.failedCalls === 0) continue;
    const l = `{cmd="${cmd.fullname}"}`;
    rcalls.push([l, cs.calls]);
    rdur.push([l, cs.usec / 1e6]);
    rfailed.push([l, cs.failedCalls]);
    rrejected.push([l, cs.rejectedCalls]);
  }
  metric('redis_commands_total', 'counter', 'Total number of calls per command', rcalls);
  metric('redis_commands_duration_seconds_total', 'counter', 'Total amount of time in seconds spent per command', rdur);
  metric('redis_commands_failed_calls_total', 'counter', 'Total number of errors within command execution per command', rfailed);
  metric('redis_commands_rejected_calls_total', 'counter', 'Total number of errors prior command execution per command', rrejected);
  // ---- Redust's own figures
  metric('redust_engine_info', 'gauge', 'The storage engine in use.', [[`{engine="${s.engine.name}"}`, 1]]);
  one('redust_engine_memory_bytes', 'gauge', "The engine's dataset bytes (WASM linear memory in use for the wasm engine).", s.engine.usedMemory());
  one('redust_v8_heap_used_bytes', 'gauge', 'V8 heap in use.', mem.heapUsed);
  one('redust_v8_heap_total_bytes', 'gauge', 'V8 heap reserved.', mem.heapTotal);
  one('redust_v8_heap_limit_bytes', 'gauge', 'V8 heap size limit.', v8.getHeapStatistics().heap_size_limit);
  one('redust_array_buffers_bytes', 'gauge', 'Memory of ArrayBuffers (WASM memories, Buffers).', mem.arrayBuffers);
  if (loopDelay !== null) {
    const q = (p: number) => loopDelay!.percentile(p) / 1e9;
    metric('redust_event_loop_lag_seconds', 'gauge', 'Event-loop delay percentiles since start.', [
      ['{quantile="0.5"}', q(50)],
      ['{quantile="0.99"}', q(99)],
      ['{quantile="0.999"}', q(99.9)],
    ]);
    one('redust_event_loop_lag_max_seconds', 'gauge', 'Largest event-loop delay since start.', loopDelay.max / 1e9);
  }
  one('redust_gc_pauses_total', 'counter', 'Garbage collections.', gc.count);
  one('redust_gc_pause_seconds_total', 'counter', 'Time spent in garbage collection.', gc.seconds);
  // ---- Persistence (RDB saves: SAVE and BGSAVE; the AOF)
  const ps = persistenceOf(s);
  one('redust_rdb_last_save_timestamp', 'gauge', 'Unix time of the last successful RDB save (or load at start), as LASTSAVE.', s.stats.lastSave);
  one('redust_rdb_last_save_duration_seconds', 'gauge', 'Duration of the last successful RDB save (-1: none yet).', ps.lastSaveDurationMs < 0 ? -1 : ps.lastSaveDurationMs / 1000);
  one('redust_rdb_save_failures_total', 'counter', 'RDB saves (SAVE, BGSAVE) that failed.', ps.saveFailures);
  one('redust_rdb_saves_total', 'counter', 'RDB saves started (INFO rdb_saves).', ps.saves);
  one('redust_rdb_changes_since_last_save', 'gauge', 'Changes since the last successful save.', s.stats.dirty);
  const aof = s.aof;
  one('redust_aof_enabled', 'gauge', 'Whether the append-only file is on.', aof.enabled ? 1 : 0);
  one('redust_aof_last_rewrite_timestamp', 'gauge', 'Unix time of the last completed AOF rewrite (0: none yet).', Math.floor(aof.lastRewriteAtMs / 1000));
  one('redust_aof_last_rewrite_duration_seconds', 'gauge', 'Duration of the last completed AOF rewrite (-1: none yet).', aof.lastRewriteDurationMs < 0 ? -1 : aof.lastRewriteDurationMs / 1000);
  one('redust_aof_rewrite_failures_total', 'counter', 'AOF rewrites that failed.', aof.rewriteFailures);
  one('redust_aof_rewrites_total', 'counter', 'AOF rewrites completed.', aof.rewrites);
  one('redust_aof_write_failures_total', 'counter', 'Failed attempts to write the AOF.', aof.writeFailures);
  one('redust_aof_current_size_bytes', 'gauge', 'Size of the AOF (base and incr files).', aof.enabled ? aof.currentSize : 0);
  // ---- Older redust_* names of INFO figures (kept for existing scrapes)
  metric('redust_up', 'gauge', 'Whether the server is serving.', [['', 1]]);
  metric('redust_uptime_seconds', 'gauge', 'Seconds since start.', [['', Math.floor((s.clock.now() - st.startTime) / 1000)]]);
  metric('redust_connected_clients', 'gauge', 'Open client connections.', [['', s.clients.size]]);
  metric('redust_blocked_clients', 'gauge', 'Clients in a blocking command.', [['', s.blocking.blockedCount]]);
  metric('redust_used_memory_bytes', 'gauge', 'Memory used by the dataset (INFO used_memory).', [['', s.usedMemory()]]);
  metric('redust_process_resident_memory_bytes', 'gauge', 'Process RSS.', [['', process.memoryUsage().rss]]);
  metric('redust_connections_received_total', 'counter', 'Connections accepted.', [['', st.connectionsReceived]]);
  metric('redust_commands_processed_total', 'counter', 'Commands executed.', [['', st.commandsProcessed]]);
  metric('redust_net_input_bytes_total', 'counter', 'Bytes read from clients.', [['', st.netInputBytes]]);
  metric('redust_net_output_bytes_total', 'counter', 'Bytes written to clients.', [['', st.netOutputBytes]]);
  metric('redust_expired_keys_total', 'counter', 'Keys reclaimed by expiry.', [['', st.expiredKeys]]);
  metric('redust_evicted_keys_total', 'counter', 'Keys evicted by maxmemory.', [['', st.evictedKeys]]);
  metric('redust_keyspace_hits_total', 'counter', 'Successful key lookups.', [['', st.keyspaceHits]]);
  metric('redust_keyspace_misses_total', 'counter', 'Failed key lookups.', [['', st.keyspaceMisses]]);
  metric('redust_error_replies_total', 'counter', 'Error replies sent.', [['', st.totalErrorReplies]]);
  metric('redust_db_keys', 'gauge', 'Keys per database.', s.dbs.filter((d) => d.size() > 0).map((d) => [`{db="${d.index}"}`, d.size()]));
  metric('redust_db_keys_expiring', 'gauge', 'Keys with a TTL per database.', s.dbs.filter((d) => d.size() > 0).map((d) => [`{db="${d.index}"}`, d.expiresSize()]));
  const calls: [string, number][] = [];
  const usec: [string, number][] = [];
  for (const cmd of s.table.allWithSubcommands()) {
    if (cmd.stats.calls === 0) continue;
    calls.push([`{cmd="${cmd.fullname}"}`, cmd.stats.calls]);
    usec.push([`{cmd="${cmd.fullname}"}`, cmd.stats.usec / 1e6]);
  }
  metric('redust_command_calls_total', 'counter', 'Calls per command.', calls);
  metric('redust_command_duration_seconds_total', 'counter', 'Time spent per command.', usec);
  return lines.join('\n') + '\n';
}

/** Start the endpoint on "host:port" (or ":port"). Resolves with the HTTP server. */
export function startMetricsServer(s: Server, addr: string): Promise<http.Server> {
  startRuntimeSampling();
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(addr);
  if (!m) throw new Error(`metrics-addr must be host:port, got '${addr}'`);
  const srv = http.createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(renderMetrics(s));
    } else {
      res.writeHead(404).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(Number(m[2]), m[1] || '127.0.0.1', () => resolve(srv));
  });
}
