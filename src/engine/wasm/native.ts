/**
 * NativeCollection: the JS view of a collection kept in linear memory (assembly/native.ts):
 * WasmHash (hash.ts), WasmSet (set.ts), WasmList (list.ts) and WasmZSet (zset.ts).
 *
 * A view holds only the header address. The keyspace stores the collection itself (a handle with
 * NATIVE_BIT, see nativeHandle), not the view: WasmDb.get() makes a new short-lived view per
 * lookup, so a stored hash or set costs no JS object at all, only its bytes in the arena.
 *
 * Lifetime, all counted in linear memory: the header's refs counts keyspace slots (WasmDb calls
 * ncRef / ncUnref); at 0 the collection is queued and freed in bounded steps by backgroundWork
 * (ncFreeStep), unless stored again first (RENAME, MOVE). A collection made by newHash()/newSet()
 * that is never stored (a temporary) is queued when its view is garbage-collected
 * (FinalizationRegistry; the registration is dropped at the first store). Views are only valid
 * during the command that obtained them, like every value the engine hands out.
 */
import type { WasmInstance } from './loader';
import { STATS_VECTLEN } from './abi';
import type { HashTableStats, TableStats } from '../types';

/** Handle bit marking a native collection (assembly/native.ts NATIVE_BIT). */
export const NATIVE_BIT = 0x40000000;
const NATIVE_MASK = 0x1fffffff;
export const NK_HASH = 1;
export const NK_SET = 2;
export const NK_LIST = 3;
export const NK_ZSET = 4;

/** What a view needs from its engine. */
export interface NativeHost {
  readonly w: WasmInstance;
  /** Queues never-stored collections for freeing when their view is collected. */
  readonly nativeRegistry: FinalizationRegistry<number>;
}

export abstract class NativeCollection {
  /** True while registered as a temporary (never stored). */
  temp: boolean;

  constructor(readonly host: NativeHost, readonly ptr: number, temp: boolean) {
    this.temp = temp;
    if (temp) host.nativeRegistry.register(this, ptr, this);
  }

  /** The keyspace handle of this collection. */
  handle(): number {
    return (NATIVE_BIT | (this.ptr / 8)) | 0;
  }

  /** A keyspace slot now holds it (WasmDb.set). */
  stored(): void {
    this.host.w.x.ncRef(this.ptr);
    if (this.temp) {
      this.temp = false;
      this.host.nativeRegistry.unregister(this);
    }
  }

  /** The element count, read from the header (NC_COUNT) without a call. */
  get size(): number {
    const w = this.host.w;
    w.sync();
    return w.i32[(this.ptr + 8) >> 2] >>> 0;
  }

  /** DEBUG HTSTATS-KEY: the big form's dict (assembly/native.ts ncBigDict). */
  tableStats(): TableStats {
    const d = this.host.w.x.ncBigDict(this.ptr) >>> 0;
    return d === 0 ? 'No stats available: the value is in its packed form' : dictTableStats(this.host.w, d);
  }

  /** The native part is already counted by the arena (used_memory): nothing to attach. */
  attach(): void {}

  /** Read [ptr, ptr + len) as a latin1 string (a Buffer past 256 MiB, V8's string limit). */
  protected str(ptr: number, len: number): string | Buffer {
    const w = this.host.w;
    return len < 1 << 28 ? w.u8.latin1Slice(ptr, ptr + len) : w.copyOut(ptr, len);
  }
}

/** Is this keyspace handle a native collection? */
export function isNativeHandle(h: number): boolean {
  return h >= 0 && (h & NATIVE_BIT) !== 0;
}

/** Header address of a native handle. */
export function nativePtr(h: number): number {
  return (h & NATIVE_MASK) * 8;
}


/** The tables of the dict at `d` (table 0, and table 1 while rehashing), counted in linear memory (dictStats). */
export function dictTableStats(w: WasmInstance, d: number): HashTableStats[] {
  const words = 5 + STATS_VECTLEN;
  const tables: HashTableStats[] = [];
  for (let t = 0; t < 2; t++) {
    w.ensureScratch(words * 4);
    const out = w.scratch;
    if (w.x.dictStats(d, t, out) === 0) break;
    w.sync();
    const at = (i: number): number => w.i32[(out >> 2) + i] >>> 0;
    const chains: number[] = [];
    for (let i = 0; i < STATS_VECTLEN; i++) chains.push(at(5 + i));
    tables.push({ size: at(0), used: at(1), slots: at(2), maxChain: at(3), totalChain: at(4), chains });
  }
  return tables;
}
