/**
 * Loading dir/dbfilename at start in slices (the CLI): the server listens first, then the file
 * is read in steps of about SLICE_MS between events, so other clients are answered meanwhile:
 * `-LOADING Redis is loading the dataset in memory` for commands without the `loading` flag
 * (the dispatcher gate in bgsave.ts), and INFO shows loading:1 and the loading_* fields.
 * Progress (keys, MB/s, %) is logged about every second. The file is checked (CRC64) before
 * the first key is stored, as in loadRdbBuffer; an error stops the load and is thrown.
 */
import type { Server } from '../server/server';
import { type LoadResult, RdbLoad, readRdbFile, withFrozenClock } from './rdb';
import { type LoadingInfo, nextStepTurn, setLoading } from './bgsave';
import { performance, dateNow } from '../util/real-timers';

const SLICE_MS = 5;
const LOG_EVERY_MS = 1000;

/** Load dir/dbfilename in slices. Resolves null when there is no file; rejects with RdbError. */
export async function loadRdbFileInSlices(s: Server): Promise<LoadResult | null> {
  const buf = readRdbFile(s);
  if (buf === null) return null;
  const t0 = performance.now();
  const info: LoadingInfo = { startTime: Math.floor(dateNow() / 1000), totalBytes: buf.length, rdbUsedMem: 0, loadedBytes: 0, startedMs: t0 };
  setLoading(s, info);
  try {
    const load = new RdbLoad(s, buf);
    let lastLog = t0;
    for (;;) {
      if (s.closing) throw new Error('Loading aborted: the server is shutting down');
      // Events are served every SLICE_MS, or sooner after loading-process-events-interval-bytes.
      const done = withFrozenClock(s, () => load.step(SLICE_MS, s.config.int('loading-process-events-interval-bytes')));
      info.loadedBytes = load.pos;
      info.rdbUsedMem = load.rdbUsedMem;
      if (done) break;
      const now = performance.now();
      if (now - lastLog >= LOG_EVERY_MS) {
        lastLog = now;
        const secs = (now - t0) / 1000;
        s.logger.info(
          { keys: load.keysLoaded, mb_per_s: +(load.pos / 1048576 / secs).toFixed(1), percent: +((load.pos / buf.length) * 100).toFixed(1) },
          'Loading RDB: progress',
        );
      }
      await nextStepTurn(s);
    }
    const secs = (performance.now() - t0) / 1000;
    const res = load.result();
    s.logger.info({ keys: res.keysLoaded, expired: res.keysExpired, mb_per_s: secs > 0 ? +(buf.length / 1048576 / secs).toFixed(1) : null }, `DB loaded from disk: ${secs.toFixed(3)} seconds`);
    s.stats.lastSave = Math.floor(s.clock.now() / 1000);
    return res;
  } finally {
    setLoading(s, null);
  }
}
