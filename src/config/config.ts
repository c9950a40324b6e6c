/**
 * The configuration schema: one table of settings (name, type, default, mutable) read by the CLI,
 * the config file parser, CONFIG GET/SET/RESETSTAT and INFO. Values are kept as typed JS values;
 * `format()` gives what CONFIG GET prints, which matches Redis 7.0's text for each type.
 * Values that ask for a behaviour Redust lacks are refused by unsupported.ts on every path.
 */
import type { EncodingLimits } from '../engine/types';
import { checkEngineSupported, checkSupported } from './unsupported';
import { INACTIVE_DEFS } from './inactive';
import { INT64_MAX, INT64_MIN, UINT64_MAX, parseInt64Exact, strtodAll } from '../util/number';

export type ConfigType = 'bool' | 'int' | 'memory' | 'string' | 'enum' | 'special';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  default: unknown;
  /** CONFIG SET allowed. */
  mutable: boolean;
  alias?: string;
  enumValues?: string[];
  /** Numeric bounds, inclusive (Redis's lower_bound, upper_bound; LLONG_MIN / LLONG_MAX when absent). */
  min?: number | bigint;
  max?: number | bigint;
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
  /**
   * Redis's unsigned numeric types (unsigned int, unsigned long long, size_t): the bounds are
   * compared as unsigned 64-bit numbers, so "-1" is 18446744073709551615 and out of range.
   */
  unsigned?: boolean;
  /** Redis's OCTAL_CONFIG: read with strtoll(text, 8), printed in octal. */
  octal?: boolean;
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

/**
 * memtoull (util.c): digits, then a unit or nothing ("100mb", "1gb", "5k"; k=1000, kb=1024, any
 * case). Null when invalid, as memtoull's err: a sign, another suffix, 128 digits or more. As
 * there, no digit at all reads as 0 ("" and "mb" are 0), a number past 2^64-1 saturates (strtoull's
 * ERANGE is not checked) and the product with the unit wraps modulo 2^64.
 */
export function memtoull(s: string): bigint | null {
  if (s.charCodeAt(0) === 45 /* '-' */) return null;
  let i = 0;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  const unit = MEM_UNITS[s.slice(i).toLowerCase()];
  if (unit === undefined || i >= 128) return null;
  let v = i === 0 ? 0n : BigInt(s.slice(0, i));
  if (v > UINT64_MAX) v = UINT64_MAX;
  return BigInt.asUintN(64, v * BigInt(unit));
}

/** memtoull as a JS number (exact below 2^53): NaN when invalid. */
export function parseMemory(s: string): number {
  const v = memtoull(s);
  return v === null ? NaN : Number(v);
}

/**
 * string2d (util.c): strtod over the whole text, refusing an empty text, a leading space, NaN and
 * ERANGE's results (an overflow to +-inf from a finite numeral, an underflow to 0 of a non-zero
 * one); "inf" itself is a number.
 */
function string2d(s: string): number | null {
  if (s.length === 0 || /^[ \t\n\v\f\r]/.test(s)) return null;
  const d = strtodAll(s);
  if (d === null || Number.isNaN(d)) return null;
  if (!Number.isFinite(d) && !/^[+-]?inf/i.test(s)) return null;
  // (an underflow: a non-zero digit before the exponent, which starts at p in a hex numeral)
  const hex = /^[+-]?0x/i.test(s);
  const mantissa = s.replace(/^[+-]?(0x)?/i, '').replace(hex ? /p.*$/i : /e.*$/i, '');
  if (d === 0 && /[1-9a-f]/i.test(mantissa)) return null;
  return d;
}

/**
 * strtoll(s, &end, radix) accepted only when nothing is left (`*end == '\0'`): leading white
 * space and a sign allowed; no digit leaves `end` at the start, so only "" is accepted (as 0);
 * `saturate`: an overflow gives LLONG_MAX / LLONG_MIN (errno unchecked), else null.
 */
function strtollAll(s: string, radix: 8 | 10, saturate = true): bigint | null {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || (s.charCodeAt(i) >= 9 && s.charCodeAt(i) <= 13))) i++;
  const neg = s[i] === '-';
  if (s[i] === '-' || s[i] === '+') i++;
  const start = i;
  const top = radix === 8 ? 55 : 57;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= top) i++;
  if (i === start) return s.length === 0 ? 0n : null;
  if (i < s.length) return null;
  const digits = (radix === 8 ? '0o' : '') + s.slice(start, i);
  const v = neg ? -BigInt(digits) : BigInt(digits);
  if (v > INT64_MAX) return saturate ? INT64_MAX : null;
  if (v < INT64_MIN) return saturate ? INT64_MIN : null;
  return v;
}

/**
 * A numeric setting's text as Redis 7.0 reads it (config.c numericParseString, then
 * numericBoundaryCheck), with its error texts: memory settings through memtoull (its unsigned
 * result taken as a long long, so past LLONG_MAX it is negative for the signed types), octal ones
 * through strtoll base 8, the others through string2ll; the unsigned types compare their bounds as
 * unsigned 64-bit numbers. Returns the value a Redis field of that type holds: a number, or a
 * bigint when it is not a safe integer (Config keeps those exactly for CONFIG GET).
 */
export function parseNumeric(def: ConfigDef, text: string): number | bigint {
  const memory = def.type === 'memory';
  let ll: bigint | null;
  if (memory) {
    const u = memtoull(text);
    ll = u === null ? null : BigInt.asIntN(64, u);
  } else if (def.octal) ll = strtollAll(text, 8, false);
  else {
    // (string2ll: parseInt64Exact reads its grammar, no sign but '-', no leading zero)
    const n = parseInt64Exact(text);
    ll = n === null ? null : BigInt(n);
  }
  if (ll === null) {
    throw new Error(memory ? 'argument must be a memory value' : def.octal ? "argument couldn't be parsed as an octal number" : "argument couldn't be parsed into an integer");
  }
  const lower = def.min === undefined ? (def.unsigned ? 0n : INT64_MIN) : BigInt(def.min);
  const upper = def.max === undefined ? INT64_MAX : BigInt(def.max);
  const v = def.unsigned ? BigInt.asUintN(64, ll) : ll;
  if (v < lower || v > upper) {
    const radix = def.octal ? 8 : 10;
    throw new Error(`argument must be between ${lower.toString(radix)} and ${upper.toString(radix)} inclusive`);
  }
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
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

/**
 * The `save` setting (setConfigSaveOption): pairs of seconds >= 1 and changes >= 0, or "" (off).
 * The value is split at each space (CONFIG SET's sdssplitlen: "3600  1" has an empty word, which
 * makes it odd), each word read by strtoll (leading white space and a sign allowed, nothing left
 * over; an empty word is 0; overflow saturates). The changes are kept as an int, as saveparam does.
 */
export function validateSaveParam(text: string): string {
  const parts = text === '' ? [] : text.split(' ');
  if (parts.length % 2 !== 0) throw new Error('Invalid save parameters');
  return parts
    .map((p, j) => {
      const v = strtollAll(p, 10);
      if (v === null || (j % 2 === 0 && v < 1n) || (j % 2 === 1 && v < 0n)) throw new Error('Invalid save parameters');
      return j % 2 === 0 ? v : BigInt.asIntN(32, v);
    })
    .join(' ');
}

function boolParse(args: string[]): boolean {
  const v = args[0].toLowerCase();
  if (v === 'yes') return true;
  if (v === 'no') return false;
  throw new Error("argument must be 'yes' or 'no'");
}

/** hz: an int of its range, then capped to 1..500 as Redis's updateHZ caps config_hz (a hint, not a limit). */
const HZ: ConfigDef = {
  name: 'hz',
  type: 'int',
  default: 10,
  mutable: true,
  min: 0,
  max: 2147483647,
  parse: ([t]: string[]) => Math.min(500, Math.max(1, parseNumeric(HZ, t) as number)),
};

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
  // Octal, as redis.conf writes it (700, 0770) and CONFIG GET prints it.
  { name: 'unixsocketperm', type: 'int', default: 0, mutable: false, min: 0, max: 0o777, unsigned: true, octal: true },
  { name: 'databases', type: 'int', default: 16, mutable: false, min: 1, max: 1 << 30 },
  { name: 'requirepass', type: 'string', default: '', mutable: true },
  { name: 'aclfile', type: 'string', default: '', mutable: false },
  { name: 'acllog-max-len', type: 'int', default: 128, mutable: true, min: 0 },
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
  // An error replied to the AOF-loading client: panic (or not: panic-on-replicas is about a replica's master link).
  { name: 'propagation-error-behavior', type: 'enum', default: 'ignore', mutable: true, enumValues: ['ignore', 'panic', 'panic-on-replicas'] },
  { name: 'aof-timestamp-enabled', type: 'bool', default: false, mutable: true },
  { name: 'aof-rewrite-incremental-fsync', type: 'bool', default: true, mutable: true },
  { name: 'aof-disable-auto-gc', type: 'bool', default: false, mutable: true },
  { name: 'auto-aof-rewrite-percentage', type: 'int', default: 100, mutable: true, min: 0, max: 2147483647 },
  { name: 'auto-aof-rewrite-min-size', type: 'memory', default: 64 * 1024 * 1024, mutable: true, min: 0 },
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
  { name: 'maxmemory', type: 'memory', default: 0, mutable: true, min: 0, max: UINT64_MAX, unsigned: true },
  {
    name: 'maxmemory-policy',
    type: 'enum',
    default: 'noeviction',
    mutable: true,
    enumValues: ['volatile-lru', 'volatile-lfu', 'volatile-random', 'volatile-ttl', 'allkeys-lru', 'allkeys-lfu', 'allkeys-random', 'noeviction'],
  },
  { name: 'maxmemory-samples', type: 'int', default: 5, mutable: true, min: 1, max: 2147483647 },
  {
    name: 'maxmemory-clients',
    type: 'special',
    default: '0',
    mutable: true,
    multiArg: false,
    // A memory value or a percentage of maxmemory (Redis's PERCENT_CONFIG); client eviction
    // (server/client-eviction.ts).
    parse: ([t]: string[]) => {
      const m = /^(\d+)%$/.exec(t);
      if (m) {
        if (Number(m[1]) > 100) throw new Error('percentage argument must be less or equal to 100');
        return Number(m[1]) === 0 ? '0' : `${Number(m[1])}%`;
      }
      const n = parseMemory(t);
      if (Number.isNaN(n)) throw new Error('argument must be a memory or percent value');
      return String(n);
    },
  },
  { name: 'lfu-log-factor', type: 'int', default: 10, mutable: true, min: 0, max: 2147483647 },
  { name: 'lfu-decay-time', type: 'int', default: 1, mutable: true, min: 0, max: 2147483647 },
  { name: 'maxclients', type: 'int', default: 10000, mutable: true, min: 1, max: 4294967295, unsigned: true },
  { name: 'timeout', type: 'int', default: 0, mutable: true, min: 0, max: 2147483647 },
  { name: 'tcp-keepalive', type: 'int', default: 300, mutable: true, min: 0, max: 2147483647 },
  { name: 'tcp-backlog', type: 'int', default: 511, mutable: false, min: 0, max: 2147483647 },
  HZ,
  { name: 'proto-max-bulk-len', type: 'memory', default: 512 * 1024 * 1024, mutable: true, min: 1024 * 1024 },
  { name: 'client-query-buffer-limit', type: 'memory', default: 1024 * 1024 * 1024, mutable: true, min: 1024 * 1024, unsigned: true },
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
    // setConfigLatencyTrackingInfoPercentilesOutputOption: each word a string2d double in [0, 100].
    parse: ([text]: string[]) => {
      const parts = text.split(/\s+/).filter(Boolean);
      const values = parts.map((p) => {
        const v = string2d(p);
        if (v === null) throw new Error('Invalid latency-tracking-info-percentiles parameters');
        if (v > 100 || v < 0) throw new Error('latency-tracking-info-percentiles parameters should sit between [0.0,100.0]');
        return v;
      });
      return values.map((v) => v.toFixed(6).replace(/\.?0+$/, '')).join(' ');
    },
  },
  { name: 'tracking-table-max-keys', type: 'int', default: 1000000, mutable: true, min: 0, unsigned: true },
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
  { name: 'list-max-listpack-size', alias: 'list-max-ziplist-size', type: 'int', default: -2, mutable: true, min: -2147483648, max: 2147483647 },
  { name: 'list-compress-depth', type: 'int', default: 0, mutable: true, min: 0, max: 2147483647 },
  { name: 'hash-max-listpack-entries', alias: 'hash-max-ziplist-entries', type: 'int', default: 512, mutable: true, min: 0, unsigned: true },
  { name: 'hash-max-listpack-value', alias: 'hash-max-ziplist-value', type: 'memory', default: 64, mutable: true, min: 0, unsigned: true },
  { name: 'set-max-intset-entries', type: 'int', default: 512, mutable: true, min: 0, unsigned: true },
  { name: 'zset-max-listpack-entries', alias: 'zset-max-ziplist-entries', type: 'int', default: 128, mutable: true, min: 0, unsigned: true },
  { name: 'zset-max-listpack-value', alias: 'zset-max-ziplist-value', type: 'memory', default: 64, mutable: true, min: 0, unsigned: true },
  { name: 'stream-node-max-bytes', type: 'memory', default: 4096, mutable: true, min: 0, unsigned: true },
  { name: 'stream-node-max-entries', type: 'int', default: 100, mutable: true, min: 0 },
  { name: 'hll-sparse-max-bytes', type: 'memory', default: 3000, mutable: true, min: 0, unsigned: true },
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
  { name: 'use-exit-on-panic', type: 'bool', default: false, mutable: true, hidden: true },
  { name: 'dynamic-hz', type: 'bool', default: true, mutable: true },
  { name: 'activerehashing', type: 'bool', default: true, mutable: true },
  { name: 'rdb-save-incremental-fsync', type: 'bool', default: true, mutable: true },
  { name: 'shutdown-on-sigint', type: 'special', default: 'default', mutable: true, parse: ([t]: string[]) => parseShutdownFlags(t) },
  { name: 'shutdown-on-sigterm', type: 'special', default: 'default', mutable: true, parse: ([t]: string[]) => parseShutdownFlags(t) },
  { name: 'maxmemory-eviction-tenacity', type: 'int', default: 10, mutable: true, min: 0, max: 100 },
  ...INACTIVE_DEFS,
  // Redust's own settings.
  { name: 'engine', type: 'enum', default: 'wasm', mutable: false, enumValues: ['js-map', 'wasm'], redust: true },
  { name: 'maxvalue-bytes', type: 'memory', default: 0, mutable: true, min: 0, redust: true },
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
    case 'int':
    case 'memory':
      return parseNumeric(def, text);
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
      return def.octal ? (v as number | bigint).toString(8) : String(v);
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
  /**
   * Numeric values past 2^53 exactly as set (parseNumeric's bigints), for CONFIG GET and REWRITE;
   * `values` holds them as numbers, which is what the server computes with.
   */
  private readonly exactValues = new Map<string, bigint>();
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
      this.store(def.name, typeof v === 'string' ? parseConfigValue(def, v) : v);
    }
    for (const k of Object.keys(this.hot) as (keyof HotSettings)[]) this.hot[k] = this.values.get(k) as never;
    checkEngineSupported(this.str('engine'), 'list-compress-depth', String(this.int('list-compress-depth')));
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
    const v = this.store(def.name, value);
    if (def.name in this.hot) this.hot[def.name as keyof HotSettings] = v as never;
  }

  /** Keep a value (a bigint as a number, and exactly aside); returns what was kept in `values`. */
  private store(name: string, value: unknown): unknown {
    if (typeof value === 'bigint') {
      this.exactValues.set(name, value);
      value = Number(value);
    } else this.exactValues.delete(name);
    this.values.set(name, value);
    return value;
  }

  /** A numeric value past 2^53 exactly as it was set, else undefined. */
  exact(name: string): bigint | undefined {
    return this.exactValues.get(findConfig(name)?.name ?? name);
  }

  /** Text as CONFIG GET shows it. */
  text(name: string): string {
    const def = findConfig(name)!;
    const exact = this.exactValues.get(def.name);
    return formatConfigValue(def, exact ?? this.values.get(def.name));
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
