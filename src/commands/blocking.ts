/**
 * What blocking commands share (Redis's blocked.c and getTimeoutFromObjectOrReply): one timeout
 * parser, one rule for whether a client may block, and one way to block on keys. BLPOP, BRPOP,
 * BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, XREAD and XREADGROUP all use them, so
 * they agree on every timeout and on MULTI/Lua behaviour.
 */
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import { fail, TIMEOUT_NEGATIVE, TIMEOUT_NOT_FLOAT, TIMEOUT_NOT_INT } from './errors';
import { latin1, parseDouble, parseInt64 } from '../util/number';
import { isInfinite, parseLongDouble } from '../util/long-double';
import { setImmediate } from '../util/real-timers';

export const enum TimeoutUnit {
  SECONDS,
  MILLISECONDS,
}

/**
 * getTimeoutFromObjectOrReply, Redis 7.0.15: seconds are parsed as a long double (strtold) and
 * converted with (long long)ceill(t * 1000), so 0.0001 and even 5e-324 wait 1 ms and -0.0001
 * waits forever; milliseconds are a long long. A value whose millisecond count does not fit a
 * long long converts to LLONG_MIN on x86, hence "timeout is negative" for 1e300. Returns the
 * relative timeout in ms, 0 meaning forever.
 */
export function timeoutArg(arg: Buffer, unit: TimeoutUnit): number {
  let ms: number;
  if (unit === TimeoutUnit.SECONDS) {
    const s = latin1(arg);
    let v: number;
    const ld = s.length > 0 && s.length < 5120 ? parseLongDouble(s) : null;
    if (ld) {
      if (isInfinite(ld)) v = ld.neg ? -Infinity : Infinity;
      else v = (ld.neg ? -1 : 1) * Number(ld.m) * Math.pow(2, ld.e);
      // Below double's range (5e-324 is a long double, not a double 0): ceill of a value in
      // (0, 1) ms is 1, of one in (-1, 0) is 0.
      if (v === 0 && ld.m !== 0n) v = ld.neg ? -Number.MIN_VALUE : Number.MIN_VALUE;
    } else {
      v = parseDouble(arg);
      if (Number.isNaN(v)) fail(TIMEOUT_NOT_FLOAT);
    }
    const t = v * 1000;
    ms = !Number.isFinite(t) || Math.abs(t) >= 9223372036854775808 ? -1 : Math.ceil(t) + 0;
  } else {
    ms = parseInt64(arg);
    if (Number.isNaN(ms)) fail(TIMEOUT_NOT_INT);
  }
  if (ms < 0) fail(TIMEOUT_NEGATIVE);
  return ms;
}

/**
 * CLIENT_DENY_BLOCKING: inside EXEC or a script (and for the AOF loader) a blocking command acts
 * as its non-blocking form and answers as on timeout, even with timeout 0.
 */
export function canBlock(c: Client): boolean {
  return (c.flags & (ClientFlag.IN_EXEC | ClientFlag.SCRIPT | ClientFlag.MULTI | ClientFlag.DENY_BLOCKING)) === 0;
}

/**
 * blockForKeys: wait until a key becomes ready or the timeout passes (then the reply is a null
 * array, as Redis's replyToBlockedClientTimedOut). `tryServe` is called with the key that was
 * signalled and returns true once it has written the client's reply. With `replaced` it is also
 * called when a key is deleted or replaced, as `replaced` tells (BlockSpec.replaced: streams).
 * Keys are copied (the arguments are views into the client's input buffer).
 */
export function blockForKeys(c: Client, keys: readonly Buffer[], timeoutMs: number, tryServe: (readyKey?: Buffer) => boolean, replaced?: (key: Buffer) => boolean): void {
  c.server.blocking.block(c, {
    keys: keys.map((k) => Buffer.from(k)),
    timeoutMs,
    tryServe,
    onTimeout: () => c.reply.nilArray(),
    wakeOnDelete: replaced !== undefined,
    replaced,
  });
}

const NO_INPUT = Buffer.alloc(0);

/**
 * Hold a client while its command finishes later (MIGRATE waiting for the target, PFSELFTEST
 * running in slices): flagged blocked, its pipelined input waits, the server keeps serving others.
 * Redis runs these commands to the end before serving anyone; Redust keeps the event loop free.
 * Only where canBlock(c) (not in MULTI or a script).
 */
export function holdClient(c: Client): void {
  c.flags |= ClientFlag.BLOCKED;
}

/** End holdClient: `reply` writes the command's reply, then the client's pipelined input runs. */
export function releaseClient(c: Client, reply: () => void): void {
  c.flags &= ~ClientFlag.BLOCKED;
  if (c.closed) return;
  const s = c.server;
  reply();
  s.net.scheduleFlush(c);
  if (c.parser.pendingBytes() > 0) {
    setImmediate(() => {
      if (!c.closed && !c.has(ClientFlag.BLOCKED)) {
        s.net.processInput(c, NO_INPUT);
        s.net.scheduleFlush(c);
      }
    });
  }
}
