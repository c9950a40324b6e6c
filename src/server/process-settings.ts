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
import type { Server } from './server';

/** createPidFile: "<pid>\n" in the pidfile, if one is set. A failure is a warning, as in Redis. */
export function createPidFile(s: Server): void {
  const file = s.config.str('pidfile');
  if (!file) return;
  try {
    fs.writeFileSync(file, `${process.pid}\n`);
  } catch (e) {
    s.logger.warn(`Failed to write PID file: ${(e as Error).message}`);
  }
}

/** prepareForShutdown's unlink of the pid file. */
export function removePidFile(s: Server): void {
  const file = s.config.str('pidfile');
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
