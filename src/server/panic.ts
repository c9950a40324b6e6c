/**
 * serverPanic and serverAssert (Redis's debug.c): the bug report's first lines in the log, then
 * the end of the process. The end is an uncaught exception, thrown on the next tick so that no
 * handler's catch-all turns it into an error reply: the CLI's uncaughtExceptionMonitor ends the
 * process as bugReportEnd does (use-exit-on-panic: exit code 1, or abort). Redust's command
 * handlers never panic on their own (a handler's exception costs one reply, see dispatch.ts):
 * only DEBUG PANIC and DEBUG ASSERT call this.
 *
 * crashedBySignal is sigsegvHandler's report for a fatal signal (SIGABRT sent to the CLI, DEBUG
 * SEGFAULT): "crashed by signal" in the log, then the process ends by that signal.
 */
import type { Server } from './server';

export class PanicError extends Error {}

const BUG_REPORT_START = '=== REDUST BUG REPORT START: Cut & paste starting from here ===';

function bugReport(s: Server, lines: string[]): void {
  s.logger.warn(BUG_REPORT_START);
  for (const l of lines) s.logger.warn(l);
  process.nextTick(() => {
    throw new PanicError(lines[lines.length - 1]);
  });
}

/** _serverPanic: "Guru Meditation: <msg> #<where>". */
export function serverPanic(s: Server, msg: string, where: string): void {
  bugReport(s, ['------------------------------------------------', '!!! Software Failure. Press left mouse button to continue', `Guru Meditation: ${msg} #${where}`]);
}

/** _serverAssert: "==> <where> '<expr>' is not true". */
export function serverAssert(s: Server, expr: string, where: string): void {
  bugReport(s, ['=== ASSERTION FAILED ===', `==> ${where} '${expr}' is not true`]);
}

const SIGNAL_NUMBERS = { SIGABRT: 6, SIGSEGV: 11 } as const;

/** sigsegvHandler then bugReportEnd(1, sig): the report, then the signal's default action. */
export function crashedBySignal(s: Server, signal: keyof typeof SIGNAL_NUMBERS): void {
  s.logger.warn(BUG_REPORT_START);
  s.logger.warn(`Redust ${s.redustVersion} crashed by signal: ${SIGNAL_NUMBERS[signal]} (${signal})`);
  s.logger.warn('=== REDUST BUG REPORT END. Make sure to include from START to END. ===');
  // (Without a listener the signal takes its default action: the process ends by it.)
  process.removeAllListeners(signal);
  if (signal === 'SIGABRT') process.abort();
  process.kill(process.pid, signal);
}
