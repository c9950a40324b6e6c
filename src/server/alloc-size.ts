/**
 * The sizes Redis's allocator and structures give to what it allocates, for the figures Redust
 * reports as Redis computes them (CLIENT LIST, client eviction, INFO memory, MEMORY STATS):
 * jemalloc's size classes, sds headers and dict slot counts on a 64-bit build.
 */

/**
 * zmalloc_size of an n-byte allocation on a 64-bit jemalloc build: 8, then multiples of 16 up to
 * 128, then four size classes per power of two.
 */
export function jemallocSize(n: number): number {
  if (n <= 8) return 8;
  if (n <= 128) return (n + 15) & ~15;
  const p = 2 ** (Math.ceil(Math.log2(n)) - 1);
  const step = p / 4;
  return Math.ceil(n / step) * step;
}

/**
 * sdsHdrSize(sdsReqType(len)): 3, 5, 9 or 17 bytes; with `type5`, the 1-byte header sdsnewlen
 * gives a string under 32 bytes (sds that are grown, such as query buffers, never have it).
 */
export function sdsHeader(len: number, type5 = false): number {
  return type5 && len < 32 ? 1 : len < 256 ? 3 : len < 65536 ? 5 : len < 2 ** 32 ? 9 : 17;
}

/** sdsZmallocSize of sdsnewlen(len): header, bytes and terminator in a jemalloc class. */
export function sdsNewSize(len: number): number {
  return jemallocSize(sdsHeader(len, true) + len + 1);
}

/** sizeof(dictEntry) and sizeof(dictEntry*) (one slot of a dict's table). */
export const DICT_ENTRY = 24;
export const DICT_SLOT = 8;

/** The slots of a dict grown by dictAdd to hold n entries: none while empty, else a power of two, 4 at least. */
export function dictSlots(n: number): number {
  if (n === 0) return 0;
  let s = 4;
  while (s < n) s *= 2;
  return s;
}
