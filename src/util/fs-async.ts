/**
 * The few asynchronous file operations persistence needs (in libuv's thread pool), on Node's
 * callback API rather than `fs.promises`.
 *
 * Why: the first read of `fs.promises` in a process loads Node's internal fs/promises module and
 * what it imports (readline among others): ~11 ms of compiling on the main thread, measured in a
 * CPU profile of a server's first BGREWRITEAOF (its manifest write) as a stalled PING; BGSAVE's
 * rename used it too. These wrappers load nothing.
 */
import fs from 'fs';

function done(resolve: () => void, reject: (e: Error) => void): (e: NodeJS.ErrnoException | null) => void {
  return (e) => (e ? reject(e) : resolve());
}

/** rename(2) in the thread pool. */
export function renameAsync(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => fs.rename(from, to, done(resolve, reject)));
}

/** unlink(2) in the thread pool. */
export function unlinkAsync(file: string): Promise<void> {
  return new Promise((resolve, reject) => fs.unlink(file, done(resolve, reject)));
}

/** fsync(2) of an open descriptor in the thread pool. */
export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, done(resolve, reject)));
}

/** open(2) in the thread pool. */
function openAsync(file: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(file, flags, (e, fd) => (e ? reject(e) : resolve(fd))));
}

/** close(2) in the thread pool; its error (none on a descriptor we opened) is ignored. */
function closeAsync(fd: number): Promise<void> {
  return new Promise((resolve) => fs.close(fd, () => resolve()));
}

/** Write `text` (latin1) to a new file (truncated if it exists), fsync it, close it. */
export async function writeFileSyncedAsync(file: string, text: string): Promise<void> {
  const fd = await openAsync(file, 'w');
  try {
    const buf = Buffer.from(text, 'latin1');
    let off = 0;
    while (off < buf.length) {
      off += await new Promise<number>((resolve, reject) => fs.write(fd, buf, off, buf.length - off, null, (e, n) => (e ? reject(e) : resolve(n))));
    }
    await fsyncAsync(fd);
  } finally {
    await closeAsync(fd);
  }
}

/** fsync of a directory (after a rename in it); filesystems that refuse it are ignored. */
export async function fsyncDirAsync(dir: string): Promise<void> {
  let fd: number;
  try {
    fd = await openAsync(dir, 'r');
  } catch {
    return;
  }
  try {
    await fsyncAsync(fd);
  } catch {
    /* some filesystems refuse to fsync a directory */
  } finally {
    await closeAsync(fd);
  }
}
