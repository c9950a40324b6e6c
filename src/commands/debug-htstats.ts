/**
 * DEBUG HTSTATS and HTSTATS-KEY (Redis 7.0's debug.c, text from dict.c's dictGetStats): chain
 * statistics of the keyspace table of a db and of a hash, set or sorted set in its hash-table
 * encoding, counted on Redust's own tables (engine `keyspaceStats` / value `tableStats`).
 *
 * What is not a chained hash table says so instead of printing made-up figures (docs/compatibility.md):
 * Redust keeps expire times in a dense array beside the keyspace table, not in a second dict, and
 * the js-map engine keeps big hashes, sets and sorted-set dicts in tables of JavaScript Maps.
 */
import type { Client } from '../server/client';
import type { Container, HashTableStats, HashValue, SetValue, TableStats, ZSetValue } from '../engine/types';
import { fail, NO_SUCH_KEY } from './errors';
import { intArg } from './args';
import { encodingLimits } from '../config/config';
import { formatFixed } from '../util/number';

const EMPTY = 'No stats available for empty dictionaries\n';

/** C's `(float)a / b` (dict.c computes its averages and percentages in single precision). */
function f32div(a: number, b: number): number {
  return Math.fround(Math.fround(a) / Math.fround(b));
}

/** _dictGetStatsHt for table `t` (0 main, 1 rehashing target). */
function tableText(st: HashTableStats, t: number): string {
  let out = `Hash table ${t} stats (${t === 0 ? 'main hash table' : 'rehashing target'}):\n`;
  if (st.used === 0) return out + EMPTY;
  out +=
    ` table size: ${st.size}\n number of elements: ${st.used}\n different slots: ${st.slots}\n max chain length: ${st.maxChain}\n` +
    ` avg chain length (counted): ${formatFixed(f32div(st.totalChain, st.slots), 2)}\n` +
    ` avg chain length (computed): ${formatFixed(f32div(st.used, st.slots), 2)}\n Chain length distribution:\n`;
  // The last class (49 or more) is counted but, as in dict.c, not printed.
  for (let i = 0; i < st.chains.length - 1; i++) {
    if (st.chains[i] === 0) continue;
    out += `   ${i}: ${st.chains[i]} (${formatFixed(Math.fround(f32div(st.chains[i], st.size) * 100), 2)}%)\n`;
  }
  return out;
}

/** dictGetStats: every table, or the structure's own sentence. */
export function statsText(st: TableStats): string {
  if (typeof st === 'string') return st + '\n';
  if (st.length === 0) return tableText({ size: 0, used: 0, slots: 0, maxChain: 0, totalChain: 0, chains: [] }, 0);
  return st.map(tableText).join('');
}

function htstats(c: Client, arg: Buffer): void {
  const id = intArg(arg);
  const s = c.server;
  if (id < 0 || id >= s.dbs.length) fail('ERR Out of range database');
  const db = s.dbs[id];
  const volatile = db.expiresSize();
  const expires =
    volatile === 0
      ? statsText([])
      : `No stats available: keys with a TTL (${volatile}) are entries of the keyspace table above; their expire times are kept in a dense array, not in a second hash table\n`;
  c.reply.verbatim(`[Dictionary HT]\n${statsText(db.keyspaceStats())}[Expires HT]\n${expires}`);
}

function htstatsKey(c: Client, key: Buffer): void {
  const v = c.db.get(key, true);
  if (v === undefined) fail(NO_SUCH_KEY);
  const enc = typeof v === 'string' || v instanceof Uint8Array ? '' : (v as Container).encoding(encodingLimits(c.server.config));
  const type = typeof v === 'string' || v instanceof Uint8Array ? 'string' : (v as Container).type;
  const isTable = ((type === 'hash' || type === 'set') && enc === 'hashtable') || (type === 'zset' && enc === 'skiplist');
  if (!isTable) fail('ERR The value stored at the specified key is not represented using an hash table');
  c.reply.verbatim(statsText((v as HashValue | SetValue | ZSetValue).tableStats()));
}

/** DEBUG subcommands handled here; false when `sub` is not one of them (or has the wrong arity). */
export function debugHtstats(c: Client, sub: string, argv: Buffer[]): boolean {
  if (argv.length !== 3) return false;
  if (sub === 'htstats') htstats(c, argv[2]);
  else if (sub === 'htstats-key') htstatsKey(c, argv[2]);
  else return false;
  return true;
}
