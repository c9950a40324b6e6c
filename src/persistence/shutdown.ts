/**
 * prepareForShutdown's persistence part (server.c), shared by SHUTDOWN and the standalone
 * server's SIGINT/SIGTERM (with shutdown-on-sigint / shutdown-on-sigterm as the flags): stop a
 * running BGSAVE, then save the RDB file when asked (SAVE), or by default when save points are
 * set and persistence is on, never with NOSAVE or while loading. A failed save stops the
 * shutdown unless FORCE was given, with Redis's log lines.
 */
import type { Server } from '../server/server';
import { killBgsave, loadingOf } from './bgsave';
import { persistenceOf, saveRdb } from './rdb';

export interface ShutdownFlags {
  save: boolean;
  nosave: boolean;
  /** NOW only skips the wait for replicas (there are none): accepted, nothing to skip. */
  now: boolean;
  force: boolean;
}

/** The flags of a shutdown-on-sigint/sigterm value ('default' or words of save, nosave, now, force). */
export function shutdownFlagsOf(text: string): ShutdownFlags {
  const w = text.split(/\s+/);
  return { save: w.includes('save'), nosave: w.includes('nosave'), now: w.includes('now'), force: w.includes('force') };
}

/** Returns false when the shutdown must not go on (the save failed without FORCE). */
export function saveForShutdown(s: Server, flags: ShutdownFlags): boolean {
  s.logger.warn('User requested shutdown...');
  killBgsave(s); // (prepareForShutdown kills a child saving an .rdb)
  let { save, nosave } = flags;
  if (loadingOf(s) !== null) [save, nosave] = [false, true]; // (never save while loading)
  if (save || (!nosave && persistenceOf(s).enabled && s.config.str('save').trim() !== '')) {
    s.logger.info('Saving the final RDB snapshot before exiting.');
    try {
      saveRdb(s);
    } catch {
      if (!flags.force) {
        s.logger.warn("Error trying to save the DB, can't exit.");
        s.logger.warn('Errors trying to shut down the server. Check the logs for more information.');
        return false;
      }
      s.logger.warn('Error trying to save the DB. Exit anyway.');
    }
  }
  return true;
}
