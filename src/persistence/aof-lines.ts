/**
 * The RESP array and bulk headers of an AOF's command format (`*<n>\r\n`, `$<n>\r\n`), read in
 * place for the replay (aof.ts) and the SET count that sizes the keyspace first (aof-presize.ts).
 */
export const TRUNCATED = -1;
export const BAD = -2;
/** The number countLine read (a field, so a line costs no allocation). */
export const line = { value: 0 };

/**
 * A `*<digits>\r\n` or `$<digits>\r\n` line at p (the caller checked the mark): sets line.value
 * and returns the index after it, or TRUNCATED (no newline yet) / BAD (not one or more digits then CRLF).
 */
export function countLine(buf: Buffer, p: number): number {
  let v = 0;
  let i = p + 1;
  const end = buf.length;
  for (; i < end; i++) {
    const ch = buf[i];
    if (ch < 48 || ch > 57) break;
    v = v * 10 + (ch - 48);
  }
  if (i >= end) return TRUNCATED;
  if (i === p + 1 || buf[i] !== 13 || i + 1 >= end || buf[i + 1] !== 10) return buf.indexOf(10, i) === -1 ? TRUNCATED : BAD;
  line.value = v;
  return i + 2;
}
