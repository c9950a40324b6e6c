/**
 * Redis 7.0 settings of features Redust does not have: replication, cluster mode, active
 * defragmentation, I/O threads, CPU affinity, syslog, supervision and modules.
 * They are in the schema so that every redis.conf and every CONFIG GET of
 * Redis 7.0 works (the stock redis.conf sets many of them), with Redis's types, ranges, defaults,
 * aliases and mutability.
 *
 * Two kinds:
 * - Switches that would turn the missing feature on (`replicaof`, `cluster-enabled yes`,
 *   `activedefrag yes`, `io-threads 4`...) carry a rule: any value but the off one is refused on
 *   every path (config file, command line, RedustServer.start, CONFIG SET) with a message naming
 *   what is missing (unsupported.ts). Nothing is accepted and then silently ignored.
 * - Tunables of a feature that is never active here (the replication and cluster timeouts, sizes
 *   and announce addresses, the defrag thresholds, syslog-ident...) take any valid value: with no
 *   replica, no cluster, no defrag they change nothing, exactly as they change nothing in a Redis
 *   that has no replica (the same reasoning as client-output-buffer-limit's replica class).
 */
import { type ConfigDef, parseMemory } from './config';
import { INT64_MAX, UINT64_MAX } from '../util/number';

/** A switch's rule: true when `text` leaves the missing feature off. */
export interface OffRule {
  ok(text: string): boolean;
  /** What is missing, e.g. "replication". */
  why: string;
  /** Accepted values, for the message. */
  accepted: string;
}

const bool = (name: string, def: boolean, mutable = true, alias?: string): ConfigDef => ({ name, type: 'bool', default: def, mutable, alias });
const int = (name: string, def: number, min: number, max: number | bigint, mutable = true, alias?: string): ConfigDef => ({ name, type: 'int', default: def, mutable, min, max, alias });
const str = (name: string, def: string, mutable = true, alias?: string): ConfigDef => ({ name, type: 'string', default: def, mutable, alias });
/** A memory setting: `min`, `max` and `unsigned` as the C type Redis gives it (size_t and unsigned long long are unsigned). */
const mem = (name: string, def: number, min: number, max: bigint, unsigned: boolean): ConfigDef => ({ name, type: 'memory', default: def, mutable: true, min, max, unsigned });
const oneOf = (name: string, def: string, values: string[], mutable = true): ConfigDef => ({ name, type: 'enum', default: def, mutable, enumValues: values });

const INT_MAX = 2147483647;

export const INACTIVE_DEFS: ConfigDef[] = [
  // Replication (Redust is always a master without replicas).
  // setConfigReplicaOfOption's checks, before "not supported" (INACTIVE_RULES): `no one`, or a host and a port.
  {
    name: 'replicaof',
    alias: 'slaveof',
    type: 'special',
    default: '',
    mutable: false,
    parse: ([t]: string[]) => {
      if (t === '') return t; // (the default: no line)
      const w = t.split(' ');
      if (w.length !== 2) throw new Error('wrong number of arguments');
      if (w[0].toLowerCase() === 'no' && w[1].toLowerCase() === 'one') return t;
      if (!/^[+-]?\d+$/.test(w[1]) || Number(w[1]) < 0 || Number(w[1]) > 65535) throw new Error('Invalid master port');
      return t;
    },
  },
  str('masterauth', ''),
  // (The source address of replication and cluster-bus connections; MIGRATE does not bind it in Redis 7.0.)
  str('bind-source-addr', ''),
  str('masteruser', ''),
  mem('repl-backlog-size', 1024 * 1024, 1, INT64_MAX, false),
  int('repl-backlog-ttl', 3600, 0, INT64_MAX),
  bool('repl-disable-tcp-nodelay', false),
  oneOf('repl-diskless-load', 'disabled', ['disabled', 'on-empty-db', 'swapdb']),
  bool('repl-diskless-sync', true),
  int('repl-diskless-sync-delay', 5, 0, INT_MAX),
  int('repl-diskless-sync-max-replicas', 0, 0, INT_MAX),
  int('repl-ping-replica-period', 10, 1, INT_MAX, true, 'repl-ping-slave-period'),
  int('repl-timeout', 60, 1, INT_MAX),
  str('replica-announce-ip', '', true, 'slave-announce-ip'),
  int('replica-announce-port', 0, 0, 65535, true, 'slave-announce-port'),
  bool('replica-announced', true),
  bool('replica-ignore-disk-write-errors', false),
  bool('replica-ignore-maxmemory', true, true, 'slave-ignore-maxmemory'),
  bool('replica-lazy-flush', false, true, 'slave-lazy-flush'),
  int('replica-priority', 100, 0, INT_MAX, true, 'slave-priority'),
  bool('replica-read-only', true, true, 'slave-read-only'),
  bool('replica-serve-stale-data', true, true, 'slave-serve-stale-data'),
  int('min-replicas-to-write', 0, 0, INT_MAX, true, 'min-slaves-to-write'),
  int('min-replicas-max-lag', 10, 0, INT_MAX, true, 'min-slaves-max-lag'),
  // (How long SHUTDOWN waits for replicas to catch up: there are none to wait for.)
  int('shutdown-timeout', 10, 0, INT_MAX),
  bool('tls-replication', false),
  str('tls-client-cert-file', ''),
  str('tls-client-key-file', ''),
  str('tls-client-key-file-pass', ''),
  // Cluster mode.
  bool('cluster-enabled', false, false),
  str('cluster-config-file', 'nodes.conf', false),
  int('cluster-port', 0, 0, 65535, false),
  int('cluster-node-timeout', 15000, 0, INT64_MAX),
  int('cluster-announce-bus-port', 0, 0, 65535),
  str('cluster-announce-hostname', ''),
  str('cluster-announce-ip', ''),
  int('cluster-announce-port', 0, 0, 65535),
  int('cluster-announce-tls-port', 0, 0, 65535),
  bool('cluster-allow-pubsubshard-when-down', true),
  bool('cluster-allow-reads-when-down', false),
  bool('cluster-allow-replica-migration', true),
  mem('cluster-link-sendbuf-limit', 0, 0, UINT64_MAX, true),
  int('cluster-migration-barrier', 1, 0, INT_MAX),
  oneOf('cluster-preferred-endpoint-type', 'ip', ['ip', 'hostname', 'unknown-endpoint']),
  bool('cluster-replica-no-failover', false, true, 'cluster-slave-no-failover'),
  int('cluster-replica-validity-factor', 10, 0, INT_MAX, true, 'cluster-slave-validity-factor'),
  bool('cluster-require-full-coverage', true),
  bool('tls-cluster', false),
  // Active defragmentation (the wasm arena and V8's heap are not defragmented on demand).
  bool('activedefrag', false),
  int('active-defrag-cycle-max', 25, 1, 99),
  int('active-defrag-cycle-min', 1, 1, 99),
  mem('active-defrag-ignore-bytes', 100 * 1024 * 1024, 1, INT64_MAX, true),
  int('active-defrag-max-scan-fields', 1000, 1, INT64_MAX),
  int('active-defrag-threshold-lower', 10, 0, 1000),
  int('active-defrag-threshold-upper', 100, 0, 1000),
  // Threads, CPU affinity, socket marks.
  int('io-threads', 1, 1, 128, false),
  bool('io-threads-do-reads', false, false),
  str('server_cpulist', '', false),
  str('bio_cpulist', '', false),
  str('aof_rewrite_cpulist', '', false),
  str('bgsave_cpulist', '', false),
  { ...int('socket-mark-id', 0, 0, 4294967295, false), unsigned: true },
  // The software watchdog (SIGALRM stack traces of a slow command): a hidden debugging setting.
  { ...int('watchdog-period', 0, 0, INT_MAX), hidden: true },
  // Logging and supervision.
  bool('syslog-enabled', false, false),
  str('syslog-ident', 'redis', false),
  oneOf('syslog-facility', 'local0', ['user', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7'], false),
  oneOf('supervised', 'no', ['upstart', 'systemd', 'auto', 'no'], false),
  // Modules.
  oneOf('enable-module-command', 'no', ['no', 'yes', 'local'], false),
];

const isNo = (v: string) => v.trim().toLowerCase() === 'no';
const isEmpty = (v: string) => v.trim() === '' || v.trim() === '""';
const isZero = (v: string) => /^0+%?$/.test(v.trim()) || /^0+[kKmMgG]?[bB]?$/.test(v.trim());

/** The switches (canonical names) and what turning them on would need. */
export const INACTIVE_RULES: Record<string, OffRule> = {
  replicaof: { ok: (v) => isEmpty(v) || /^no one$/i.test(v.trim()), why: 'replication', accepted: "none (no replicaof line, or 'no one')" },
  'min-replicas-to-write': { ok: isZero, why: 'replication', accepted: '0' },
  'cluster-enabled': { ok: isNo, why: 'cluster mode', accepted: "'no'" },
  activedefrag: { ok: isNo, why: 'active defragmentation', accepted: "'no'" },
  'io-threads': { ok: (v) => v.trim() === '1', why: 'I/O threading', accepted: '1' },
  server_cpulist: { ok: isEmpty, why: 'CPU affinity', accepted: "''" },
  bio_cpulist: { ok: isEmpty, why: 'CPU affinity', accepted: "''" },
  aof_rewrite_cpulist: { ok: isEmpty, why: 'CPU affinity', accepted: "''" },
  bgsave_cpulist: { ok: isEmpty, why: 'CPU affinity', accepted: "''" },
  'socket-mark-id': { ok: isZero, why: 'socket marks (SO_MARK)', accepted: '0' },
  'watchdog-period': { ok: isZero, why: 'the software watchdog', accepted: '0' },
  'syslog-enabled': { ok: isNo, why: 'logging to syslog', accepted: "'no'" },
  supervised: { ok: isNo, why: 'supervision (upstart/systemd readiness notification)', accepted: "'no'" },
  'enable-module-command': { ok: isNo, why: 'modules', accepted: "'no'" },
};
