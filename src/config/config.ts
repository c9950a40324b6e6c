/**
 * The configuration schema: one table of settings (name, type, default, mutable) read by the CLI,
 * the config file parser, CONFIG GET/SET/RESETSTAT and INFO. Values are kept as typed JS values;
 * `format()` gives what CONFIG GET prints, which matches Redis 7.0's text for each type.
 * Values that ask for a behaviour Redust lacks are refused by unsupported.ts on every path.
 */
import type { EncodingLimits } from '../engine/types';
import { checkSupported } from './unsupported';
import { INACTIVE_DEFS } from './inactive';

export type ConfigType = 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  default: unknown;
  /** CONFIG SET allowed. */
  mutable: boolean;
  alias?: string;
  enumValues?: string[];
  min?: number;
  max?: number;
  /** Parse a setting's text (config file, CLI or CONFIG SET). Throws Error(reason) when invalid. */
  parse?: (args: string[]) => unknown;
  format?: (v: unknown) => string;
  /** Redust-only setting (not in redis.conf). */
  redust?: boolean;
  /** Redis's HIDDEN_CONFIG (debugging settings): CONFIG GET lists it for its exact name only. */
  hidden?: boolean;
  /**
   * Redis's MULTI_ARG_CONFIG: a config-file line may give several arguments (joined by spaces).
   * Every 'special' setting is unless it says false (notify-keyspace-events, maxmemory-clients);
   * any other takes exactly one ("wrong number of arguments").
   */
  multiArg?: boolean;
}

const MEM_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** memtoull: "100mb", "1gb", "5k" (Redis units: k=1000, kb=1024). Returns NaN when invalid. */
export function parseMemory(s: string): number {
  const m = /^(-?\d+)([a-zA-Z]*)$/.exec(s);
  if (!m) return NaN;
  const unit = MEM_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return NaN;
  return Number(m[1]) * unit;
}

const DEFAULT_OUTPUT_BUFFER_LIMITS = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

/** True when a config-file line may give `def` several arguments (MULTI_ARG_CONFIG). */
export function takesSeveralArgs(def: ConfigDef): boolean {
  return def.multiArg ?? def.type === 'special';
}

/**
 * client-output-buffer-limit: "<class> <hard> <soft> <soft-seconds>" groups merged into the
 * current value and printed back in bytes, as Redis does ("replica" is stored as "slave").
 */
export function mergeOutputBufferLimits(current: string, text: string): string {
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length % 4 !== 0) throw new Error('Wrong number of arguments in buffer limit configuration.');
  const classes = new Map<string, number[]>();
  const cur = current.split(/\s+/).filter(Boolean);
  for (let i = 0; i + 3 < cur.length; i += 4) classes.set(cur[i], [parseMemory(cur[i + 1]), parseMemory(cur[i + 2]), Number(cur[i + 3])]);
  const updates: [string, number[]][] = [];
  for (let i = 0; i < parts.length; i += 4) {
    let cls = parts[i].toLowerCase();
    if (cls === 'replica') cls = 'slave';
    if (cls !== 'normal' && cls !== 'slave' && cls !== 'pubsub') throw new Error('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(parts[i + 1]);
    const soft = parseMemory(parts[i + 2]);
    const secs = /^\d+$/.test(parts[i + 3]) ? Number(parts[i + 3]) : NaN;
    if (Number.isNaN(hard) || Number.isNaN(soft) || Number.isNaN(secs) || hard < 0 || soft < 0) {
      throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    updates.push([cls, [hard, soft, secs]]);
  }
  for (const [cls, v] of updates) classes.set(cls, v);
  return ['normal', 'slave', 'pubsub'].map((c) => `${c} ${(classes.get(c) ?? [0, 0, 0]).join(' ')}`).join(' ');
}

/** The `save` setting (setConfigSaveOption): pairs of seconds >= 1 and changes >= 0, or "" (off). */
export function validateSaveParam(text: string): string {
  const parts = text.trim().split(/\s+/).filter(Boolean);
  if (parts.length % 2 !== 0) throw new Error('Invalid save parameters');
  for (let j = 0; j < parts.length; j++) {
    if (!/^-?\d+$/.test(parts[j])) throw new Error('Invalid save parameters');
    const v = Number(parts[j]);
    if ((j % 2 === 0 && v < 1) || (j % 2 === 1 && v < 0)) throw new Error('Invalid save parameters');
  }
  return parts.map((p) => String(Number(p))).join(' ');
}

function boolParse(args: string[]): boolean {
  const v = args[0].toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new Error("argument must be 'yes' or 'no'");
}

const defs: ConfigDef[] = [
  {
    // Redis 7.0's default: every IPv4 address, and every IPv6 one when the host has IPv6 (protected
    // mode keeps non-loopback clients out while no password is set). The embedding API binds
    // 127.0.0.1 unless told otherwise (src/index.ts). "" is no TCP listener at all.
    name: 'bind',
    type: 'string',
    default: '* -::*',
    mutable: true,
    multiArg: true,
    parse: ([text]: string[]) => {
      const addrs = text.split(' ').filter(Boolean);
      if (addrs.length > 16) throw new Error('Too many bind addresses specified.');
      return addrs.join(' ');
    },
  },
  { name: 'port', type: 'int', default: 6379, mutable: true, min: 0, max: 65535 },
  { name: 'unixsocket', type: 'string', default: '', mutable: false },
  {
    name: 'unixsocketperm',
    type: 'int',
    default: 0,
    mutable: false,
    // Octal, as redis.conf writes it (700, 0770) and CONFIG GET prints it.
    parse: (args) => {
      if (!/^[0-7]+$/.test(args[0])) throw new Error("argument couldn't be parsed into an integer");
      const n = parseInt(args[0], 8);
      if (n > 0o777) throw new Error('argument must be between 0 and 511 inclusive');
      return n;
    },
    format: (v) => (v as number).toString(8),
  },
  { name: 'databases', type: 'int', default: 16, mutable: false, min: 1, max: 1 << 30 },
  { name: 'requirepass', type: 'string', default: '', mutable: true },
  { name: 'aclfile', type: 'string', default: '', mutable: false },
  { name: 'acllog-max-len', type: 'int', default: 128, mutable: true, min: 0, max: 9223372036854775807 },
  { name: 'acl-pubsub-default', type: 'enum', default: 'resetchannels', mutable: true, enumValues: ['allchannels', 'resetchannels'] },
  { name: 'dir', type: 'string', default: '.', mutable: true, format: (v) => require('path').resolve(String(v)) },
  { name: 'dbfilename', type: 'string', default: 'dump.rdb', mutable: true },
  { name: 'rdbcompression', type: 'bool', default: true, mutable: true },
  { name: 'rdbchecksum', type: 'bool', default: true, mutable: false },
  { name: 'appendonly', type: 'bool', default: false, mutable: true },
  { name: 'appendfilename', type: 'string', default: 'appendonly.aof', mutable: false },
  { name: 'appendfsync', type: 'enum', default: 'everysec', mutable: true, enumValues: ['everysec', 'always', 'no'] },
  { name: 'appenddirname', type: 'string', default: 'appendonlydir', mutable: false },
  { name: 'aof-use-rdb-preamble', type: 'bool', default: true, mutable: true },
  { name: 'aof-load-truncated', type: 'bool', default: true, mutable: true },
  { name: 'aof-timestamp-enabled', type: 'bool', default: false, mutable: true },
  { name: 'aof-rewrite-incremental-fsync', type: 'bool', default: true, mutable: true },
  { name: 'aof-disable-auto-gc', type: 'bool', default: false, mutable: true },
  { name: 'auto-aof-rewrite-percentage', type: 'int', default: 100, mutable: true, min: 0, max: 2147483647 },
  { name: 'auto-aof-rewrite-min-size', type: 'memory', default: 64 * 1024 * 1024, mutable: true },
  { name: 'save', type: 'special', default: '3600 1 300 100 60 10000', mutable: true, parse: (a) => validateSaveParam(a.join(' ')) },
  { name: 'stop-writes-on-bgsave-error', type: 'bool', default: true, mutable: true },
  { name: 'rdb-key-save-delay', type: 'int', default: 0, mutable: true, min: -2147483648, max: 2147483647, hidden: true },
  { name: 'key-load-delay', type: 'int', default: 0, mutable: true, min: -2147483648, max: 2147483647, hidden: true },
  { name: 'loading-process-events-interval-bytes', type: 'int', default: 2 * 1024 * 1024, mutable: true, min: 1024, max: 2147483647, hidden: true },
  { name: 'rdb-del-sync-files', type: 'bool', default: false, mutable: true },
  // Redust's decoders always validate deeply (what Redis does with `yes`): see docs/persistence.md.
  { name: 'sanitize-dump-payload', type: 'enum', default: 'no', mutable: true, enumValues: ['no', 'yes', 'clients'] },
  { name: 'loglevel', type: 'enum', default: 'notice', mutable: true, enumValues: ['debug', 'verbose', 'notice', 'warning'] },
  { name: 'logfile', type: 'string', default: '', mutable: false },
  { name: 'always-show-logo', type: 'bool', default: false, mutable: false },
  { name: 'maxmemory', type: 'memory', default: 0, mutable: true },
  {
    name: 'maxmemory-policy',
    type: 'enum',
    default: 'noeviction',
    mutable: true,
    enumValues: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
  },
  { name: 'maxmemory-samples', type: 'int', default: 5, mutable: true, min: 1, max: 64 },
  { name: 'lfu-log-factor', type: 'int', default: 10, mutable: true, min: 0, max: 2147483647 },
  { name: 'lfu-decay-time', type: 'int', default: 1, mutable: true, min: 0, max: 2147483647 },
  { name: 'maxclients', type: 'int', default: 10000, mutable: true, min: 1, max: 4294967295 },
  { name: 'timeout', type: 'int', default: 0, mutable: true, min: 0 },
  { name: 'tcp-keepalive', type: 'int', default: 300, mutable: true, min: 0 },
  { name: 'tcp-backlog', type: 'int', default: 511, mutable: false, min: 0 },
  {
    name: 'hz',
    type: 'int',
    default: 10,
    mutable: true,
    // Any int is accepted and capped to 1..500, as Redis's updateHZ (a hint, not a limit).
    parse: ([t]: string[]) => {
      if (!/^-?\d+$/.test(t)) throw new Error("argument couldn't be parsed into an integer");
      const n = Number(t);
      if (n < 0 || n > 2147483647) throw new Error('argument must be between 0 and 2147483647 inclusive');
      return Math.min(500, Math.max(1, n));
    },
  },
  { name: 'proto-max-bulk-len', type: 'memory', default: 512 * 1024 * 1024, mutable: true, min: 1024 * 1024 },
  { name: 'client-query-buffer-limit', type: 'memory', default: 1024 * 1024 * 1024, mutable: true, min: 1024 * 1024 },
  { name: 'notify-keyspace-events', type: 'special', default: '', mutable: true, multiArg: false },
  { name: 'slowlog-log-slower-than', type: 'int', default: 10000, mutable: true, min: -1 },
  { name: 'slowlog-max-len', type: 'int', default: 128, mutable: true, min: 0 },
  { name: 'latency-tracking', type: 'bool', default: true, mutable: true },
  {
    name: 'latency-tracking-info-percentiles',
    multiArg: true,
    type: 'string',
    default: '50 99 99.9',
    mutable: true,
    parse: ([text]: string[]) => {
      const parts = text.split(/\s+/).filter(Boolean);
      for (const p of parts) {
        const v = Number(p);
        if (!/^[0-9.eE+-]+$/.test(p) || Number.isNaN(v) || v < 0 || v > 100) throw new Error('latency-tracking-info-percentiles should be between 0.0 and 100.0');
      }
      return parts.map((p) => Number(p).toFixed(6).replace(/\.?0+$/, '')).join(' ');
    },
  },
  { name: 'tracking-table-max-keys', type: 'int', default: 1000000, mutable: true, min: 0 },
  { name: 'latency-monitor-threshold', type: 'int', default: 0, mutable: true, min: 0 },
  { name: 'busy-reply-threshold', alias: 'lua-time-limit', type: 'int', default: 5000, mutable: true, min: 0 },
  { name: 'enable-debug-command', type: 'enum', default: 'no', mutable: false, enumValues: ['no', 'yes', 'local'] },
  { name: 'enable-protected-configs', type: 'enum', default: 'no', mutable: false, enumValues: ['no', 'yes', 'local'] },
  { name: 'protected-mode', type: 'bool', default: true, mutable: true },
  { name: 'lazyfree-lazy-eviction', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-expire', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-server-del', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-user-del', type: 'bool', default: false, mutable: true },
  { name: 'lazyfree-lazy-user-flush', type: 'bool', default: false, mutable: true },
  { name: 'active-expire-effort', type: 'int', default: 1, mutable: true, min: 1, max: 10 },
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', type: 'int', default: -2, mutable: true },
  { name: 'list-compress-depth', type: 'int', default: 0, mutable: true, min: 0 },
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', type: 'int', default: 512, mutable: true, min: 0 },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', type: 'int', default: 64, mutable: true, min: 0 },
  { name: 'set-max-intset-entries', type: 'int', default: 512, mutable: true, min: 0 },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', type: 'int', default: 128, mutable: true, min: 0 },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', type: 'int', default: 64, mutable: true, min: 0 },
  { name: 'stream-node-max-bytes', type: 'memory', default: 4096, mutable: true },
  { name: 'stream-node-max-entries', type: 'int', default: 100, mutable: true, min: 0 },
  { name: 'hll-sparse-max-bytes', type: 'memory', default: 3000, mutable: true, min: 0 },
  {
    name: 'client-output-buffer-limit',
    type: 'special',
    default: DEFAULT_OUTPUT_BUFFER_LIMITS,
    mutable: true,
    // Groups given at start (config file lines, whose groups add up, or the command line) update
    // the default's classes; CONFIG SET merges into the current value (commands/server.ts).
    parse: ([t]: string[]) => mergeOutputBufferLimits(DEFAULT_OUTPUT_BUFFER_LIMITS, t),
  },
  { name: 'no-appendfsync-on-rewrite', type: 'bool', default: false, mutable: true },
  { name: 'daemonize', type: 'bool', default: false, mutable: false },
  { name: 'tls-port', type: 'int', default: 0, mutable: true, min: 0, max: 65535 },
  // TLS (server/tls.ts). Files are read when the listener starts and on CONFIG SET.
  { name: 'tls-cert-file', type: 'string', default: '', mutable: true },
  { name: 'tls-key-file', type: 'string', default: '', mutable: true },
  { name: 'tls-key-file-pass', type: 'string', default: '', mutable: true },
  { name: 'tls-ca-cert-file', type: 'string', default: '', mutable: true },
  { name: 'tls-ca-cert-dir', type: 'string', default: '', mutable: true },
  { name: 'tls-dh-params-file', type: 'string', default: '', mutable: true },
  { name: 'tls-auth-clients', type: 'enum', default: 'yes', mutable: true, enumValues: ['no', 'yes', 'optional'] },
  { name: 'tls-protocols', type: 'string', default: '', mutable: true },
  { name: 'tls-ciphers', type: 'string', default: '', mutable: true },
  { name: 'tls-ciphersuites', type: 'string', default: '', mutable: true },
  { name: 'tls-prefer-server-ciphers', type: 'bool', default: false, mutable: true },
  { name: 'tls-session-caching', type: 'bool', default: true, mutable: true },
  { name: 'tls-session-cache-size', type: 'int', default: 20480, mutable: true, min: 0, max: 2147483647 },
  { name: 'tls-session-cache-timeout', type: 'int', default: 300, mutable: true, min: 0, max: 2147483647 },
  // Process and server housekeeping (src/server/process-settings.ts, cron.ts, evict.ts).
  { name: 'pidfile', type: 'string', default: '', mutable: false },
  { name: 'set-proc-title', type: 'bool', default: true, mutable: false },
  { name: 'proc-title-template', type: 'string', default: '{title} {listen-addr} {server-mode}', mutable: true, parse: ([t]: string[]) => validateProcTitleTemplate(t) },
  { name: 'oom-score-adj', type: 'enum', default: 'no', mutable: true, enumValues: ['no', 'yes', 'relative', 'absolute'] },
  { name: 'oom-score-adj-values', type: 'special', default: '0 200 800', mutable: true, parse: ([t]: string[]) => validateOomScoreAdjValues(t) },
  // THP cannot be turned off for the process from Node.js (no prctl): the CLI warns when the kernel applies it to every process.
  { name: 'disable-thp', type: 'bool', default: true, mutable: false },
  // Redis built without jemalloc accepts it and does nothing; so does Redust (no jemalloc).
  { name: 'jemalloc-bg-thread', type: 'bool', default: true, mutable: true },
  { name: 'ignore-warnings', type: 'string', default: '', mutable: true },
  { name: 'crash-log-enabled', type: 'bool', default: true, mutable: true },
  { name: 'crash-memcheck-enabled', type: 'bool', default: true, mutable: true },
  { name: 'dynamic-hz', type: 'bool', default: true, mutable: true },
  { name: 'activerehashing', type: 'bool', default: true, mutable: true },
  { name: 'rdb-save-incremental-fsync', type: 'bool', default: true, mutable: true },
  { name: 'shutdown-on-sigint', type: 'special', default: 'default', mutable: true, parse: ([t]: string[]) => parseShutdownFlags(t) },
  { name: 'shutdown-on-sigterm', type: 'special', default: 'default', mutable: true, parse: ([t]: string[]) => parseShutdownFlags(t) },
  { name: 'maxmemory-eviction-tenacity', type: 'int', default: 10, mutable: true, min: 0, max: 100 },
  ...INACTIVE_DEFS,
  // Redust's own settings.
  { name: 'engine', type: 'enum', default: 'wasm', mutable: false, enumValues: ['js-map', 'wasm'], redust: true },
  { name: 'maxvalue-bytes', type: 'memory', default: 0, mutable: true, redust: true },
  // Kill a script after this many ms even without SCRIPT KILL (0 = never, as Redis). The
  // embedding API sets it, since an in-process client cannot send SCRIPT KILL to a blocked loop.
  { name: 'script-hard-time-limit', type: 'int', default: 0, mutable: true, min: 0, redust: true },
  { name: 'metrics-addr', type: 'string', default: '', mutable: false, redust: true },
];

/**
 * validateProcTitleTemplate: the template must expand (known {variables} only, braces balanced)
 * to a non-empty title.
 */
export function validateProcTitleTemplate(t: string): string {
  const bad = () => new Error('template format is invalid or contains unknown variables');
  const expanded = t.replace(/\{([^{}]*)\}/g, (_, v: string) => {
    if (!PROC_TITLE_VARS.has(v)) throw bad();
    return 'x';
  });
  if (/[{}]/.test(expanded) || expanded.trim() === '') throw bad();
  return t;
}
export const PROC_TITLE_VARS = new Set(['title', 'listen-addr', 'server-mode', 'port', 'tls-port', 'unixsocket', 'config-file']);

/** oom-score-adj-values: three integers in -2000..2000 (master, replica, background child). */
export function validateOomScoreAdjValues(t: string): string {
  const parts = t.trim().split(/\s+/).filter(Boolean);
  if (parts.length !== 3) throw new Error('wrong number of arguments');
  for (const p of parts) {
    if (!/^-?\d+$/.test(p) || Number(p) < -2000 || Number(p) > 2000) throw new Error('Invalid oom-score-adj-values, elements must be between -2000 and 2000.');
  }
  return parts.join(' ');
}

/** shutdown-on-sigint/sigterm: 'default', or any of save, nosave, now, force (save and nosave not together). */
export function parseShutdownFlags(t: string): string {
  const words = t.trim().toLowerCase().split(/\s+/).filter(Boolean);
  const allowed = ['default', 'save', 'nosave', 'now', 'force'];
  if (words.length === 0 || words.some((w) => !allowed.includes(w))) throw new Error(`argument(s) must be one of the following: ${allowed.join(', ')}`);
  if (words.includes('save') && words.includes('nosave')) throw new Error("shutdown options SAVE and NOSAVE can't be used simultaneously");
  // (default is no flag: 'default now' is 'now')
  return allowed.filter((w) => w !== 'default' && words.includes(w)).join(' ') || 'default';
}

export const CONFIG_DEFS: readonly ConfigDef[] = defs;
const byName = new Map<string, ConfigDef>();
for (const d of defs) {
  byName.set(d.name, d);
  if (d.alias) byName.set(d.alias, d);
}

export function findConfig(name: string): ConfigDef | undefined {
  return byName.get(name.toLowerCase());
}

/**
 * Parse one setting's value text with Redis's validation and error wording (CONFIG SET reasons),
 * then refuse it when it asks for a behaviour Redust does not have yet.
 */
export function parseConfigValue(def: ConfigDef, text: string): unknown {
  const v = parseValue(def, text);
  checkSupported(def.name, text);
  return v;
}

function parseValue(def: ConfigDef, text: string): unknown {
  if (def.parse) return def.parse([text]);
  switch (def.type) {
    case 'bool':
      return boolParse([text]);
    case 'int': {
      if (!/^-?\d+$/.test(text)) throw new Error("argument couldn't be parsed into an integer");
      const n = Number(text);
      if ((def.min !== undefined && n < def.min) || (def.max !== undefined && n > def.max)) {
        throw new Error(`argument must be between ${def.min ?? '-9223372036854775808'} and ${def.max ?? '9223372036854775807'} inclusive`);
      }
      return n;
    }
    case 'memory': {
      const n = parseMemory(text);
      if (Number.isNaN(n)) throw new Error("argument must be a memory value");
      if (def.min !== undefined && n < def.min) throw new Error(`argument must be between ${def.min} and 9223372036854775807 inclusive`);
      return n;
    }
    case 'enum': {
      const v = text.toLowerCase();
      if (!def.enumValues!.includes(v)) throw new Error(`argument(s) must be one of the following: ${def.enumValues!.join(', ')}`);
      return v;
    }
    case 'string':
    case 'special':
      return text;
  }
}

export function formatConfigValue(def: ConfigDef, v: unknown): string {
  if (def.format) return def.format(v);
  switch (def.type) {
    case 'bool':
      return v ? 'yes' : 'no';
    default:
      return String(v);
  }
}

/**
 * Settings read on every command, mirrored as plain fields (a field load instead of a Map lookup
 * by name): kept equal to the values by Config.set().
 */
export interface HotSettings {
  maxmemory: number;
  'maxvalue-bytes': number;
  'slowlog-log-slower-than': number;
  'client-query-buffer-limit': number;
  'busy-reply-threshold': number;
  'script-hard-time-limit': number;
  'proto-max-bulk-len': number;
  'latency-monitor-threshold': number;
  'latency-tracking': boolean;
  'list-max-listpack-size': number;
  'hash-max-listpack-entries': number;
  'hash-max-listpack-value': number;
  'set-max-intset-entries': number;
  'zset-max-listpack-entries': number;
  'zset-max-listpack-value': number;
  'stream-node-max-bytes': number;
  'stream-node-max-entries': number;
}

/** The live settings of one server. */
export class Config {
  private readonly values = new Map<string, unknown>();
  readonly hot: HotSettings = {
    maxmemory: 0,
    'maxvalue-bytes': 0,
    'slowlog-log-slower-than': 0,
    'client-query-buffer-limit': 0,
    'busy-reply-threshold': 0,
    'script-hard-time-limit': 0,
    'proto-max-bulk-len': 0,
    'latency-monitor-threshold': 0,
    'latency-tracking': false,
    'list-max-listpack-size': -2,
    'hash-max-listpack-entries': 0,
    'hash-max-listpack-value': 0,
    'set-max-intset-entries': 0,
    'zset-max-listpack-entries': 0,
    'zset-max-listpack-value': 0,
    'stream-node-max-bytes': 0,
    'stream-node-max-entries': 0,
  };

  constructor(overrides: Record<string, unknown> = {}) {
    for (const d of defs) this.values.set(d.name, d.default);
    for (const [k, v] of Object.entries(overrides)) {
      const def = findConfig(k);
      if (!def) throw new Error(`Bad directive or wrong number of arguments: ${k}`);
      if (typeof v !== 'string') checkSupported(def.name, formatConfigValue(def, v));
      this.values.set(def.name, typeof v === 'string' ? parseConfigValue(def, v) : v);
    }
    for (const k of Object.keys(this.hot) as (keyof HotSettings)[]) this.hot[k] = this.values.get(k) as never;
  }

  get<T = unknown>(name: string): T {
    // Hot path: commands ask by canonical name; aliases and odd case go through the schema.
    const v = this.values.get(name);
    if (v !== undefined) return v as T;
    const def = findConfig(name);
    if (!def) throw new Error(`unknown config ${name}`);
    return this.values.get(def.name) as T;
  }

  int(name: string): number {
    return this.get<number>(name);
  }

  str(name: string): string {
    return this.get<string>(name);
  }

  bool(name: string): boolean {
    return this.get<boolean>(name);
  }

  set(name: string, value: unknown): void {
    const def = findConfig(name);
    if (!def) throw new Error(`unknown config ${name}`);
    this.values.set(def.name, value);
    if (def.name in this.hot) this.hot[def.name as keyof HotSettings] = value as never;
  }

  /** Text as CONFIG GET shows it. */
  text(name: string): string {
    const def = findConfig(name)!;
    return formatConfigValue(def, this.values.get(def.name));
  }
}

/** The CONFIG thresholds that decide OBJECT ENCODING answers, read live. */
export function encodingLimits(config: Config): EncodingLimits {
  return {
    listMaxListpackSize: config.int('list-max-listpack-size'),
    hashMaxListpackEntries: config.int('hash-max-listpack-entries'),
    hashMaxListpackValue: config.int('hash-max-listpack-value'),
    setMaxIntsetEntries: config.int('set-max-intset-entries'),
    zsetMaxListpackEntries: config.int('zset-max-listpack-entries'),
    zsetMaxListpackValue: config.int('zset-max-listpack-value'),
  };
}
