/**
 * Short latin1 strings to and from bytes without a native call. Buffer#latin1Slice and
 * Buffer#latin1Write cross into C++ (~70 ns each on this machine, whatever the length); for a
 * few bytes, String.fromCharCode with the bytes as arguments and a charCodeAt loop do the same in
 * JIT code (measured 15-30 ns for 3-16 bytes). One byte is one char (0-255) both ways, as latin1.
 * The js-map engine stores keys and string values as latin1 strings, so every SET builds one or two
 * and every GET writes one into the reply.
 */
const fcc = String.fromCharCode;

/** Strings up to this length take the JS path. */
export const SHORT_LATIN1 = 16;

/** b as a latin1 string (b.latin1Slice(0, b.length)). */
export function latin1Of(b: Buffer): string {
  switch (b.length) {
    case 0:
      return '';
    case 1:
      return fcc(b[0]);
    case 2:
      return fcc(b[0], b[1]);
    case 3:
      return fcc(b[0], b[1], b[2]);
    case 4:
      return fcc(b[0], b[1], b[2], b[3]);
    case 5:
      return fcc(b[0], b[1], b[2], b[3], b[4]);
    case 6:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5]);
    case 7:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
    case 8:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
    case 9:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8]);
    case 10:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9]);
    case 11:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10]);
    case 12:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11]);
    case 13:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12]);
    case 14:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13]);
    case 15:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14]);
    case 16:
      return fcc(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    default:
      return b.latin1Slice(0, b.length);
  }
}

/** Write s (latin1, one byte per char) into dst at `at`; returns the bytes written (s.length). */
export function writeLatin1(dst: Buffer, at: number, s: string): number {
  const n = s.length;
  if (n > SHORT_LATIN1) return dst.latin1Write(s, at);
  for (let i = 0; i < n; i++) dst[at + i] = s.charCodeAt(i);
  return n;
}
