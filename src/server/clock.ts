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
   * INFO commandstats and SLOWLOG) and derives its wall time from it. resync() (from the cron)
   * follows adjustments of the system clock.
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
  /** Re-align with dateNow() when the two clocks drifted apart by a millisecond or more. */
  resync(): void {
    const drift = dateNow() - (performance.now() + this.wallOffset);
    if (drift >= 1 || drift <= -1) this.wallOffset += drift;
  }
}
