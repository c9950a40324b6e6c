/**
 * Prometheus metrics endpoint (setting `metrics-addr`, env REDUST_METRICS_ADDR): GET /metrics
 * returns the text exposition format with the same counters INFO reports.
 */
import http from 'http';
import type { Server } from '../server/server';

export function renderMetrics(s: Server): string {
  const st = s.stats;
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) lines.push(`${name}${labels} ${v}`);
  };
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
