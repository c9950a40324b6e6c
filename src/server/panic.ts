/**
 * serverPanic and serverAssert (Redis's debug.c): the bug report's first lines in the log, then
 * the end of the process. The end is an uncaught exception, thrown on the next tick so that no
 * handler's catch-all turns it into an error reply: the CLI's uncaughtExceptionMonitor ends the
 * process as bugReportEnd does (use-exit-on-panic: exit code 1, or abort). Redust's command
 * handlers never panic on their own (a handler's exception costs one reply, see dispatch.ts):
 * only DEBUG PANIC and DEBUG ASSERT call this.
 */
import type { Server } from './server';

export class PanicError extends Error {}

function bugReport(s: Server, lines: string[]): void {
  s.logger.warn('=== REDUST BUG REPORT START: Cut & paste starting from here ===');
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
