/**
 * The settings that act on the server process rather than on the dataset (Redis's server.c):
 * pidfile, the process title (set-proc-title, proc-title-template), oom-score-adj and the THP
 * check behind disable-thp.
 *
 * The pid file and oom-score-adj apply to any server that sets them (CLI or embedded); the title
 * only to the standalone server (an embedded server does not rename the process that owns it:
 * RedustServer.start sets set-proc-title to no).
 */
import fs from 'fs';
import path from 'path';
import type { Server } from './server';
import { REDIS_VERSION, REDUST_VERSION } from './server';

/** The pidfile's path: relative to `dir`, where Redis has chdir'ed before it writes the file. */
function pidFilePath(s: Server): string {
  const file = s.config.str('pidfile');
  return file && path.resolve(s.config.str('dir'), file);
}

/** createPidFile: "<pid>\n" in the pidfile, if one is set. A failure is a warning, as in Redis. */
export function createPidFile(s: Server): void {
  const file = pidFilePath(s);
  if (!file) return;
  try {
    fs.writeFileSync(file, `${process.pid}\n`);
  } catch (e) {
    s.logger.warn(`Failed to write PID file: ${(e as Error).message}`);
  }
}

/** prepareForShutdown's unlink of the pid file. */
export function removePidFile(s: Server): void {
  const file = pidFilePath(s);
  if (!file) return;
  try {
    fs.unlinkSync(file);
  } catch {
    /* already gone */
  }
}

/**
 * redisSetProcTitle: the template with {title} (the program name), {listen-addr} (bind:port, or
 * the TLS port, or the unix socket), {server-mode} (empty: no cluster, no sentinel), {port},
 * {tls-port}, {unixsocket}, {config-file}, trimmed.
 */
export function expandProcTitle(s: Server, template: string, title: string): string {
  const c = s.config;
  const bind = c.str('bind').split(/\s+/).filter(Boolean)[0] ?? '*';
  const port = c.int('port');
  const tlsPort = c.int('tls-port');
  const listen = port ? `${bind.replace(/^-/, '')}:${port}` : tlsPort ? `${bind.replace(/^-/, '')}:${tlsPort}` : `unixsocket:${c.str('unixsocket')}`;
  const vars: Record<string, string> = {
    title,
    'listen-addr': listen,
    'server-mode': '',
    port: String(port),
    'tls-port': String(tlsPort),
    unixsocket: c.str('unixsocket'),
    'config-file': s.configFile ?? '',
  };
  return template.replace(/\{([^{}]*)\}/g, (_, v: string) => vars[v] ?? '').trim();
}

/** Set the process title from the template when set-proc-title is yes (the standalone server). */
export function setProcTitle(s: Server, title = 'redust'): void {
  if (!s.config.bool('set-proc-title')) return;
  process.title = expandProcTitle(s, s.config.str('proc-title-template'), title);
}

/**
 * redisAsciiArt: at start, after the listeners are open, the logo with the version, the mode, the
 * port (the TLS port when only TLS listens) and the pid when `always-show-logo` is yes or the log
 * goes to a terminal (no logfile, stdout a TTY), as Redis decides it; otherwise Redis's one line
 * "Running mode=standalone, port=N.". Redust's own logo, Redis's lines beside it (Redis's test
 * suite finds a spawned server's " PID: <pid>" there).
 */
export function logStartBanner(s: Server): void {
  const port = s.config.int('port') || s.config.int('tls-port');
  const show = s.config.bool('always-show-logo') || (s.config.str('logfile') === '' && process.stdout.isTTY === true);
  if (!show) {
    s.logger.info(`Running mode=standalone, port=${port}.`);
    return;
  }
  const info = [`Redust ${REDUST_VERSION} (Redis ${REDIS_VERSION} compatible) ${process.arch.includes('64') ? 64 : 32} bit`, '', 'Running in standalone mode', `Port: ${port}`, `PID: ${process.pid}`];
  // (five lines of art, five of information beside them)
  const art = [
    String.raw`  ____          _           _   `,
    String.raw` |  _ \ ___  __| |_   _ ___| |_ `,
    String.raw` | |_) / _ \/ _' | | | / __| __|`,
    String.raw` |  _ <  __/ (_| | |_| \__ \ |_ `,
    String.raw` |_| \_\___|\__,_|\__,_|___/\__|`,
  ];
  s.logger.info('\n' + art.map((line, i) => `${line}     ${info[i]}`.trimEnd()).join('\n') + '\n');
}

/** The process's oom_score_adj when the server started (what `oom-score-adj no` restores). */
let baseOomScoreAdj: number | null = null;
const OOM_FILE = '/proc/self/oom_score_adj';

/**
 * setOOMScoreAdj for the master class: `no` leaves (or puts back) the value the process started
 * with, `yes`/`relative` sets that base plus the first of oom-score-adj-values, `absolute` the
 * first value itself. Returns false when the value could not be written (logged, as Redis).
 */
export function applyOomScoreAdj(s: Server): boolean {
  const mode = s.config.str('oom-score-adj');
  if (mode === 'no' && baseOomScoreAdj === null) return true; // never changed: nothing to put back
  try {
    if (baseOomScoreAdj === null) baseOomScoreAdj = Number(fs.readFileSync(OOM_FILE, 'utf8').trim());
    const first = Number(s.config.str('oom-score-adj-values').split(/\s+/)[0]);
    let v = mode === 'no' ? baseOomScoreAdj : mode === 'absolute' ? first : baseOomScoreAdj + first;
    v = Math.max(-1000, Math.min(1000, v));
    fs.writeFileSync(OOM_FILE, String(v));
    return true;
  } catch (e) {
    s.logger.warn(`Unable to write oom_score_adj: ${(e as Error).message}`);
    return false;
  }
}

/**
 * disable-thp: Redis turns transparent huge pages off for its own process (prctl), and warns when
 * it cannot while the kernel applies them to every process. Node.js has no prctl, so Redust can
 * only check: with THP in "always" mode it logs Redis's warning; in "madvise" or "never" mode
 * nothing asks for huge pages here, which is what the setting wants.
 */
export function checkTransparentHugePages(s: Server): void {
  if (!s.config.bool('disable-thp')) return;
  let mode = '';
  try {
    mode = fs.readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  } catch {
    return; // not Linux, or no THP
  }
  if (mode.includes('[always]')) {
    s.logger.warn(
      "WARNING you have Transparent Huge Pages (THP) support enabled in your kernel and Redust cannot turn it off for its own process (disable-thp needs prctl, which Node.js does not offer). This will create latency and memory usage issues. To fix this issue run the command 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' as root.",
    );
  }
}
