/**
 * The timer and clock functions the server runs on, captured when Redust is loaded.
 *
 * Test frameworks' fake timers (Vitest's and Jest's `useFakeTimers`, @sinonjs/fake-timers) replace
 * the globals setImmediate, setTimeout, setInterval, Date and performance.now in the test process.
 * A Redust embedded there (RedustServer.start) must keep running on real time, as a separate
 * redis-server would: with faked setImmediate it would never flush a reply, with a faked
 * performance.now its keys would expire on the test's fake clock. Modules of the server import
 * these names instead of using the globals; tests move Redust's clock with
 * RedustServer.advanceTime. (Fake timers installed before Redust is first loaded are what get
 * captured: load Redust first, as a test file's imports do.)
 */
import { performance as perfHooks } from 'perf_hooks';

export const setImmediate = globalThis.setImmediate;
export const clearImmediate = globalThis.clearImmediate;
export const setTimeout = globalThis.setTimeout;
export const clearTimeout = globalThis.clearTimeout;
export const setInterval = globalThis.setInterval;
export const clearInterval = globalThis.clearInterval;

/** Date.now as it was at load. */
export const dateNow: () => number = Date.now.bind(Date);

/**
 * performance.now and timeOrigin as they were at load. (A bound function: calling it costs what
 * performance.now() costs, ~41 ns on the bench machine.)
 */
export const performance: { readonly now: () => number; readonly timeOrigin: number } = {
  now: perfHooks.now.bind(perfHooks),
  timeOrigin: perfHooks.timeOrigin,
};
