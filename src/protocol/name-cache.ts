/**
 * Command-name cache: maps a command name's raw bytes, exactly as a client sent them (any case),
 * to what the dispatcher resolved it to, so a repeated command costs neither building and
 * lowercasing a name string nor a table lookup.
 *
 * The request parser consults it with the chunk's bytes before building the name's argument view:
 * on a hit argv[0] is the entry's `name` (a Buffer with the same bytes, shared by every command
 * that hits the entry: argv[0] is never written to) and the resolved value goes to the
 * dispatcher with the argv, which then does not look the name up again.
 *
 * Invariants:
 * - An entry's `name` bytes are exactly the bytes that hashed to its slot; a hit compares every
 *   byte, so the cache never changes which command a name resolves to, only how fast.
 * - Only names up to MAX_NAME_LEN bytes are cached; 256 direct-mapped slots, a colliding name
 *   replaces the previous entry.
 *
 * Complexity: O(name length) per lookup.
 */

/** Longest name the cache holds (the longest command names are shorter). */
export const MAX_NAME_LEN = 16;

export interface NameEntry<T> {
  /** The name's bytes as sent (a copy owned by the cache; never written to). */
  readonly name: Buffer;
  readonly value: T;
}

function slotOf(b: Uint8Array, off: number, len: number): number {
  let h = len;
  for (let i = off, end = off + len; i < end; i++) h = (Math.imul(h, 31) + b[i]) | 0;
  return (h ^ (h >>> 8)) & 255;
}

/** n equals b[off, off + len). */
function sameBytes(n: Buffer, b: Uint8Array, off: number, len: number): boolean {
  if (n.length !== len) return false;
  for (let i = 0; i < len; i++) if (n[i] !== b[off + i]) return false;
  return true;
}

export class NameCache<T> {
  private readonly slots: (NameEntry<T> | undefined)[] = new Array(256).fill(undefined);

  /**
   * The last entry found: a pipeline usually repeats one command, whose name is then compared
   * with it directly, without hashing.
   */
  private last: NameEntry<T> | undefined = undefined;

  /** The entry for the bytes b[off, off + len), or undefined. */
  get(b: Uint8Array, off: number, len: number): NameEntry<T> | undefined {
    const l = this.last;
    if (l !== undefined && sameBytes(l.name, b, off, len)) return l;
    if (len > MAX_NAME_LEN) return undefined;
    const e = this.slots[slotOf(b, off, len)];
    if (e === undefined || !sameBytes(e.name, b, off, len)) return undefined;
    this.last = e;
    return e;
  }

  /** Remember that `name` (copied) resolves to `value` (names over MAX_NAME_LEN are ignored). */
  put(name: Uint8Array, value: T): void {
    const len = name.length;
    if (len > MAX_NAME_LEN) return;
    this.slots[slotOf(name, 0, len)] = { name: Buffer.from(name), value };
  }

  clear(): void {
    this.slots.fill(undefined);
    this.last = undefined;
  }
}
