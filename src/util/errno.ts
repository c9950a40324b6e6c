/**
 * C's strerror for the errors Node reports by code (err.code 'ENOENT'...): Redis's log lines and
 * error replies name a failed system call's error in glibc's words ("No such file or directory").
 */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  EEXIST: 'File exists',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EIO: 'Input/output error',
  EBADF: 'Bad file descriptor',
  EDQUOT: 'Disk quota exceeded',
  EFBIG: 'File too large',
  EMFILE: 'Too many open files',
  ENAMETOOLONG: 'File name too long',
  EADDRINUSE: 'Address already in use',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  EINVAL: 'Invalid argument',
  EAFNOSUPPORT: 'Address family not supported by protocol',
};

/** strerror(errno) of a Node error: glibc's text for its code, else the error's own message. */
export function strerror(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code ?? '';
  return STRERROR[code] ?? (e as Error)?.message ?? String(e);
}
