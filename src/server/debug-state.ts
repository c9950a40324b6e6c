/**
 * Server-wide knobs that DEBUG subcommands turn (Redis keeps them as globals in server / quicklist
 * state), one record per server so embedded servers in one process stay apart:
 * - packedThreshold: quicklist's packed_threshold (DEBUG QUICKLIST-PACKED-THRESHOLD); a list
 *   element of at least this many bytes is its own PLAIN node in RDB/DUMP and DEBUG OBJECT.
 * - disableDenyScripts: script_disable_deny_script (DEBUG SET-DISABLE-DENY-SCRIPTS): scripts may
 *   call commands flagged noscript.
 * - replyBufferPeakResetMs (-1 = never) and replyBufferResizing (DEBUG REPLYBUFFER).
 * - pauseCron: server.pause_cron (DEBUG PAUSE-CRON): serverCron does nothing while set.
 * - replId: master_replid once DEBUG CHANGE-REPL-ID changed it (null = the run id, as at start).
 * - aofFlushSleepUs: server.aof_flush_sleep (DEBUG AOF-FLUSH-SLEEP): microseconds the AOF write
 *   of a non-empty buffer sleeps first, blocking (0: none).
 * - skipChecksumValidation: server.skip_checksum_validation (DEBUG SET-SKIP-CHECKSUM-VALIDATION):
 *   RESTORE payloads and RDB files are read without checking their CRC64 (the version still is).
 */
import crypto from 'crypto';
import type { Server } from './server';

export const DEFAULT_PACKED_THRESHOLD = 1 << 30;
export const DEFAULT_PEAK_RESET_MS = 5000;

export interface DebugState {
  packedThreshold: number;
  disableDenyScripts: boolean;
  replyBufferPeakResetMs: number;
  replyBufferResizing: boolean;
  replId: string | null;
  pauseCron: boolean;
  aofFlushSleepUs: number;
  skipChecksumValidation: boolean;
}

const states = new WeakMap<Server, DebugState>();

export function debugStateOf(s: Server): DebugState {
  let st = states.get(s);
  if (st === undefined) {
    st = { packedThreshold: DEFAULT_PACKED_THRESHOLD, disableDenyScripts: false, replyBufferPeakResetMs: DEFAULT_PEAK_RESET_MS, replyBufferResizing: true, replId: null, pauseCron: false, aofFlushSleepUs: 0, skipChecksumValidation: false };
    states.set(s, st);
  }
  return st;
}

/** master_replid: the run id until DEBUG CHANGE-REPL-ID (changeReplicationId) picks a new one. */
export function replIdOf(s: Server): string {
  return states.get(s)?.replId ?? s.runId;
}

/** DEBUG SET-SKIP-CHECKSUM-VALIDATION is on: payloads and files are not checked against their CRC64. */
export function skipChecksum(s: Server): boolean {
  return states.get(s)?.skipChecksumValidation ?? false;
}

export function changeReplId(s: Server): void {
  debugStateOf(s).replId = crypto.randomBytes(20).toString('hex');
}
