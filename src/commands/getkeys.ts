/**
 * Key extraction for COMMAND GETKEYS / GETKEYSANDFLAGS, ACL key checks and tracking, as Redis 7.0's
 * getKeysFromCommandWithSpecs: the key specs first (Command.keysWithFlags); when a spec cannot
 * answer for these arguments (SORT's BY/GET/STORE, MIGRATE's KEYS, a key count that does not parse or
 * runs past the arguments), the command's own getkeys function, which Redis keeps for exactly those
 * cases (sortGetKeys, migrateGetKeys, genericGetKeys). A command whose specs say VARIABLE_FLAGS (SET, BITFIELD) goes to
 * its getkeys function directly, whose flags depend on the arguments (setGetKeys, bitfieldGetKeys).
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
  const name = cmd.parent ? cmd.fullname : cmd.name;
  if (name === 'set') return setGetKeys(argv);
  if (name === 'bitfield') return bitfieldGetKeys(argv);
  const bySpecs = cmd.keysWithFlags(argv);
  if (bySpecs !== null) return bySpecs;
  if (name === 'sort') return sortGetKeys(argv);
  if (name === 'sort_ro') return [{ index: 1, flags: ['RO', 'access'] }]; // sortROGetKeys
  if (name === 'migrate') return migrateGetKeys(argv);
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

const SET_FLAGS = ['OW', 'update'];
const SET_FLAGS_GET = ['RW', 'access', 'update'];
const BITFIELD_RO = ['RO', 'access'];
const BITFIELD_RW = ['RW', 'access', 'update'];

/** setGetKeys: the key overwritten (OW), or read and written when a GET argument follows the value. */
function setGetKeys(argv: Buffer[]): KeyRef[] {
  for (let i = 3; i < argv.length; i++) if (argIs(argv[i], 'get')) return [{ index: 1, flags: SET_FLAGS_GET }];
  return [{ index: 1, flags: SET_FLAGS }];
}

/**
 * bitfieldGetKeys: read-only while the arguments are GET and OVERFLOW with their operands; a SET or
 * INCRBY, or anything that does not parse, makes the key read and written.
 */
function bitfieldGetKeys(argv: Buffer[]): KeyRef[] {
  let readonly = true;
  for (let i = 2; i < argv.length; i++) {
    const rem = argv.length - i - 1;
    if (argIs(argv[i], 'get') && rem >= 2) i += 2;
    else if ((argIs(argv[i], 'set') || argIs(argv[i], 'incrby')) && rem >= 3) {
      readonly = false;
      break;
    } else if (argIs(argv[i], 'overflow') && rem >= 1) i += 1;
    else {
      readonly = false;
      break;
    }
  }
  return [{ index: 1, flags: readonly ? BITFIELD_RO : BITFIELD_RW }];
}

function argIs(a: Buffer, w: string): boolean {
  return a.length === w.length && a.latin1Slice(0, a.length).toLowerCase() === w;
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

const MIGRATE_FLAGS = ['RW', 'access', 'delete'];
/** MIGRATE's options and how many arguments each takes (migrateGetKeys' skip_keywords). */
const MIGRATE_SKIP = new Map<string, number>([
  ['copy', 0],
  ['replace', 0],
  ['auth', 1],
  ['auth2', 2],
]);

/**
 * migrateGetKeys: the key at 3, or with an empty key name and KEYS (looked for from the 7th
 * argument, skipping the options' arguments) every argument after KEYS; none when KEYS comes with
 * a key name (the syntax error MIGRATE itself answers).
 */
function migrateGetKeys(argv: Buffer[]): KeyRef[] {
  let first = 3;
  let num = 1;
  for (let i = 6; i < argv.length; i++) {
    const a = argv[i].latin1Slice(0, argv[i].length).toLowerCase();
    if (a === 'keys') {
      if (argv[3].length > 0) num = 0;
      else {
        first = i + 1;
        num = argv.length - first;
      }
      break;
    }
    i += MIGRATE_SKIP.get(a) ?? 0;
  }
  const out: KeyRef[] = [];
  for (let i = 0; i < num; i++) out.push({ index: first + i, flags: MIGRATE_FLAGS });
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
