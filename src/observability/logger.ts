/**
 * Structured logging through pino at Redis's levels. Redis's four levels map onto pino's:
 * debug -> trace, verbose -> debug, notice -> info, warning -> warn; so code logs a Redis
 * "verbose" line with logger.debug() and a Redis "debug" line with logger.trace(). When the
 * destination is stdout and a terminal the lines are formatted like Redis's own log
 * ("pid:M 22 Nov 2026 02:28:28.123 * msg"); otherwise (a pipe, or the `logfile`) they are JSON,
 * one object per line, with `pid` once.
 */
import fs from 'fs';
import pino from 'pino';
import { dateNow } from '../util/real-timers';

/** pino's epoch timestamp, on the real clock (util/real-timers.ts: a test's fake Date is not the log's time). */
const epochTime = (): string => `,"time":${dateNow()}`;

export type RedisLogLevel = 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';

const LEVELS: Record<RedisLogLevel, string> = {
  debug: 'trace',
  verbose: 'debug',
  notice: 'info',
  warning: 'warn',
  nothing: 'silent',
};

const MARK: Record<number, string> = { 10: '.', 20: '-', 30: '*', 40: '#', 50: '#', 60: '#' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function redisStyleLine(obj: { level: number; time: number; msg?: string; pid?: number } & Record<string, unknown>): string {
  const d = new Date(obj.time);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${p(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  const extra = Object.entries(obj)
    .filter(([k]) => !['level', 'time', 'msg', 'pid', 'hostname', 'name'].includes(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${obj.pid ?? process.pid}:M ${ts} ${MARK[obj.level] ?? '-'} ${obj.msg ?? ''}${extra ? ' ' + extra : ''}\n`;
}

export interface LoggerOptions {
  level?: RedisLogLevel;
  /** Force pretty (true) or JSON (false); default: pretty when stdout is a TTY. */
  pretty?: boolean;
  destination?: NodeJS.WritableStream;
  /**
   * The `logfile` setting: append the log to this file ('' = stdout). Opened at once, so a path
   * that cannot be written throws (Redis: "Can't open the log file").
   */
  file?: string;
}

export function createLogger(opts: LoggerOptions = {}): pino.Logger {
  const level = LEVELS[opts.level ?? 'notice'];
  if (opts.file) {
    const fd = fs.openSync(opts.file, 'a');
    return pino({ level, base: { pid: process.pid }, name: 'redust', timestamp: epochTime }, pino.destination({ fd, sync: true }));
  }
  const dest = opts.destination ?? process.stdout;
  const pretty = opts.pretty ?? (dest === process.stdout && process.stdout.isTTY === true);
  if (!pretty) return pino({ level, base: { pid: process.pid }, name: 'redust', timestamp: epochTime }, dest as pino.DestinationStream);
  const stream = {
    write(line: string) {
      try {
        dest.write(redisStyleLine(JSON.parse(line)));
      } catch {
        dest.write(line);
      }
    },
  };
  return pino({ level, base: { pid: process.pid }, timestamp: epochTime }, stream);
}

export function setLogLevel(logger: pino.Logger, level: RedisLogLevel): void {
  logger.level = LEVELS[level];
}
