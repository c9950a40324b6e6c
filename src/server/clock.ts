/**
 * The server clock: wall-clock milliseconds read once per command (Redis 7's cached mstime), which
 * the embedding API can move forward so tests expire keys without sleeping.
 */
import type { Clock } from '../engine/types';
import { performance, dateNow } from '../util/real-timers';

/** A clock the embedding API can move forward (tests advance time instead of sleeping). */
export class ServerClock implements Clock {
  offset = 0;
  /**
   * While a command runs (Server.call at depth 0) the time is read once and frozen, like Redis 7's
   * cached `server.mstime` (fixed_time_expire): every key lookup of the command, of an EXEC or of a
   * script sees the same time.
   */
  private frozen = -1;
  /**
   * Wall-clock milliseconds = performance.now() + wallOffset. Clock reads cost ~55 ns each on the
   * bench machine, so a command reads one clock (performance.now(), which also times it for
   * INFO commandstats and SLOWLOG) and derives its wall time from it. The offset starts as
   * performance.timeOrigin (Node takes it from gettimeofday in microseconds); resync() (from the
   * cron) follows the system clock's drift and adjustments.
   */
  private wallOffset = performance.timeOrigin;
  now(): number {
    return this.frozen >= 0 ? this.frozen : Math.floor(performance.now() + this.wallOffset) + this.offset;
  }
  /** now() for a performance.now() reading the caller already made (not frozen). */
  fromPerf(perfNow: number): number {
    return Math.floor(perfNow + this.wallOffset) + this.offset;
  }
  /**
   * Wall-clock microseconds, never frozen: TIME reads it (Redis's timeCommand calls gettimeofday,
   * so a script looping on TIME sees time pass while its keys keep the script's start time).
   */
  nowMicros(): number {
    return Math.floor((performance.now() + this.wallOffset + this.offset) * 1000);
  }
  advance(ms: number): void {
    this.offset += ms;
    if (this.frozen >= 0) this.frozen += ms;
  }
  /** Freeze the time until unfreeze(), given performance.now() read by the caller. */
  freezeAt(perfNow: number): void {
    this.frozen = Math.floor(perfNow + this.wallOffset) + this.offset;
  }
  unfreeze(): void {
    this.frozen = -1;
  }
  get isFrozen(): boolean {
    return this.frozen >= 0;
  }
  /**
   * Follow the system clock. A Date.now() reading d after a performance.now() reading p means the
   * offset is at least d - p: an offset below that (this clock behind the wall clock) moves up to
   * it at once, so drift never leaves this clock behind for long (it used to wait for a whole
   * millisecond of drift: a client's `GETEX k PXAT <its now + 10000>` then read PTTL 10001, in
   * Redis's own test suite, unit/type/string). Ahead by a millisecond or more (the system clock
   * was set back) moves it back. Date.now() itself can trail gettimeofday by a fraction of a
   * millisecond here, which only weakens the bound, so smaller leads are not corrected from it.
   */
  resync(): void {
    const p = performance.now();
    const d = dateNow();
    const lo = d - p;
    const off = this.wallOffset;
    if (off < lo) this.wallOffset = lo;
    else if (off >= lo + 2) this.wallOffset = lo + 1;
  }
}
