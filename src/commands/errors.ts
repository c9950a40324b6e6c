/**
 * Redis's error texts that more than one command family or layer says, in one place so they are
 * said identically (a text only one family uses stays beside its command). A handler throws
 * `ReplyError` (through `fail`) for a validation failure; the dispatcher turns it into the reply.
 */

/**
 * An error reply raised by a handler (fail()). It is an answer, not a bug, so it carries no stack
 * trace: capturing one cost ~7 µs per error reply, most of the time of a GEOADD refused for its
 * coordinates (measured in process), so a client whose commands fail paid ~8x a normal reply.
 */
export class ReplyError extends Error {
  readonly reply: string;
  constructor(reply: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(reply);
    Error.stackTraceLimit = limit;
    this.reply = reply;
  }
}

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const SYNTAX = 'ERR syntax error';
export const NOT_INT = 'ERR value is not an integer or out of range';
export const NOT_FLOAT = 'ERR value is not a valid float';
export const OVERFLOW = 'ERR increment or decrement would overflow';
export const NO_SUCH_KEY = 'ERR no such key';
export const INDEX_OUT_OF_RANGE = 'ERR index out of range';
export const OUT_OF_RANGE_DB = 'ERR DB index is out of range';
export const TIMEOUT_NEGATIVE = 'ERR timeout is negative';
export const TIMEOUT_NOT_FLOAT = 'ERR timeout is not a float or out of range';
export const TIMEOUT_NOT_INT = 'ERR timeout is not an integer or out of range';
export const INVALID_EXPIRE = (cmd: string) => `ERR invalid expire time in '${cmd}' command`;
export const STRING_TOO_LONG = 'ERR string exceeds maximum allowed size (proto-max-bulk-len)';
export const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
export const BUSY_EVAL = 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.';
export const BUSY_FUNCTION = 'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.';
export const INVALID_CURSOR = 'ERR invalid cursor';
export const VALUE_OUT_OF_RANGE = 'ERR value is out of range';
export const INCR_NAN = 'ERR increment would produce NaN or Infinity';
export const WRONGPASS = 'WRONGPASS invalid username-password pair or user is disabled.';
export const NOT_POSITIVE = 'ERR value is out of range, must be positive';

export function wrongArgs(fullname: string): string {
  return `ERR wrong number of arguments for '${fullname}' command`;
}

export function fail(reply: string): never {
  throw new ReplyError(reply);
}
