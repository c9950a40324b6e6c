/**
 * loadDataFromDisk (Redis's server.c): at start, the append-only file when appendonly is yes
 * (it is the more complete record), otherwise the RDB file. Throws with the message Redis logs
 * before it exits when a file cannot be loaded.
 */
import type { Server } from '../server/server';
import { describeLoadError, loadRdbFile, persistenceOf } from './rdb';

export function loadDataFromDisk(server: Server): void {
  persistenceOf(server).enabled = true;
  try {
    if (server.config.bool('appendonly')) server.aof.startup();
    else loadRdbFile(server);
  } catch (e) {
    throw new Error(describeLoadError(e));
  }
}
