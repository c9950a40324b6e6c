/**
 * Key extraction for COMMAND GETKEYS / GETKEYSANDFLAGS, as Redis 7.0's getKeysFromCommandWithSpecs:
 * the key specs first (Command.keysWithFlags); when a spec cannot answer for these arguments
 * (SORT's BY/GET/STORE, a key count that does not parse or runs past the arguments), the command's own
 * getkeys function, which Redis keeps for exactly those cases (sortGetKeys, genericGetKeys).
 *
 * Complexity: O(argc).
 */
import type { Command } from './table';

export interface KeyRef {
  index: number;
  flags: string[];
}

/** Keys of `argv` (argv[0] is the command name), or [] when none can be found. */
export function commandKeys(cmd: Command, argv: Buffer[]): KeyRef[] {
  const bySpecs = cmd.keysWithFlags(argv);
  if (bySpecs !== null) return bySpecs;
  const name = cmd.parent ? cmd.fullname : cmd.name;
  if (name === 'sort') return sortGetKeys(argv);
  if (name === 'sort_ro') return [{ index: 1, flags: ['RO', 'access'] }]; // sortROGetKeys
  const spec = cmd.keySpecs.find((s) => s.find.type === 'keynum');
  if (spec && spec.begin.type === 'index' && spec.find.type === 'keynum') {
    const countIdx = spec.begin.index + spec.find.keynumidx;
    const firstIdx = spec.begin.index + spec.find.firstkey;
    // ZUNIONSTORE and friends: the destination (an index spec) comes last in the native result.
    const store = cmd.keySpecs.find((s) => s !== spec && s.begin.type === 'index');
    return genericGetKeys(store && store.begin.type === 'index' ? store.begin.index : 0, countIdx, firstIdx, spec.find.keystep, argv);
  }
  return [];
}

/** sortGetKeys: the sorted key, and the last STORE's argument (LIMIT skips 2, GET and BY 1). */
function sortGetKeys(argv: Buffer[]): KeyRef[] {
  const out: KeyRef[] = [{ index: 1, flags: ['RO', 'access'] }];
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i].latin1Slice(0, argv[i].length).toLowerCase();
    if (a === 'limit') i += 2;
    else if (a === 'get' || a === 'by') i += 1;
    else if (a === 'store' && i + 1 < argv.length) store = i + 1;
  }
  if (store !== -1) out.push({ index: store, flags: ['OW', 'update'] });
  return out;
}

/** genericGetKeys: the count read with atoi; nothing when it is < 1 or larger than the arguments. */
function genericGetKeys(storeIdx: number, countIdx: number, firstIdx: number, step: number, argv: Buffer[]): KeyRef[] {
  if (countIdx >= argv.length) return [];
  const num = atoi(argv[countIdx].latin1Slice(0, argv[countIdx].length));
  if (num < 1 || num > Math.trunc((argv.length - firstIdx) / step)) return [];
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ index: firstIdx + i * step, flags: [] });
  if (storeIdx) out.push({ index: storeIdx, flags: [] });
  return out;
}

/** C atoi: leading whitespace, an optional sign, then digits up to the first non-digit. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m ? Math.max(-2147483648, Math.min(2147483647, Number(m[1]))) : 0;
}
