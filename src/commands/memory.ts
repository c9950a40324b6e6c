/**
 * MEMORY STATS, DOCTOR, MALLOC-STATS and PURGE (object.c's memoryCommand). MEMORY USAGE and HELP
 * stay in server.ts.
 *
 * Figures come from Redust's own accounting, laid out as Redis 7.0's getMemoryOverheadData:
 * - total.allocated is used_memory (engine dataset bytes + the fixed startup base), peak and
 *   startup as INFO memory reports them;
 * - clients.normal: the reply bytes clients have pending (buffer + socket); lua.caches and
 *   functions.caches: the script and function caches as Redis counts them (evalScriptsMemory,
 *   functionsMemoryOverhead); aof.buffer: 0 (the AOF is written at each command's end, never buffered);
 * - db.N overheads: what the engine itself spends to hold the keys and their TTLs beyond key and
 *   value bytes (Db.keyspaceOverhead: wasm's bucket arrays, entry headers and expires records;
 *   js-map's per-key row estimate), so that overhead.total never exceeds total.allocated and
 *   dataset.bytes is total.allocated minus overhead.total, as Redis's;
 * - allocator.*: V8's heap (heapUsed/heapTotal + external, which holds the WASM memory) and the
 *   process RSS, so allocator-rss and rss-overhead describe the real process.
 * Ratios are single-precision floats, as Redis computes them (float), printed as doubles.
 */
import v8 from 'v8';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import type { Server } from '../server/server';
import { scriptingOf } from '../scripting/engine';
import { DICT_ENTRY, DICT_SLOT, dictSlots, jemallocSize, sdsHeader, sdsNewSize } from '../server/alloc-size';

/**
 * getStringObjectSdsUsedMemory of a command's argument of `len` bytes, as networking.c made it:
 * an embedded string up to 44 bytes, a raw one above, and from 32 KB (PROTO_MBULK_BIG_ARG) the
 * query buffer itself, sized for the bulk and its CRLF.
 */
function argSdsMemory(len: number): number {
  if (len <= 44) return jemallocSize(16 + 3 + len + 1) - 16;
  if (len >= 32 * 1024) return jemallocSize(sdsHeader(len + 2) + len + 2 + 1);
  return sdsNewSize(len);
}

/**
 * evalScriptsMemory (INFO used_memory_scripts_eval, MEMORY STATS lua.caches): per cached script
 * its sha's sds and its body's (the EVAL / SCRIPT LOAD argument), a dict entry and a luaScript
 * (16 bytes), and the dict's slots.
 */
export function evalScriptsMemory(s: Server): number {
  const sc = scriptingOf(s);
  let mem = 0;
  for (const [sha, e] of sc.scripts) mem += sdsNewSize(sha.length) + argSdsMemory(e.body.length);
  return mem + sc.scripts.size * (DICT_ENTRY + 16) + dictSlots(sc.scripts.size) * DICT_SLOT;
}

/**
 * functionsMemoryOverhead (INFO used_memory_functions, MEMORY STATS functions.caches): the engines
 * dict (the Lua engine: one entry, 4 slots), the functions dict (its slots never shrink until a
 * flush), the functionsLibCtx (24 bytes), each library (its 32-byte functionLibInfo, name and code
 * sds) and function (48-byte functionInfo, name and description sds, an 8-byte luaFunctionCtx),
 * and the Lua engine's registration (120 bytes).
 */
export function functionsMemoryOverhead(s: Server): number {
  const sc = scriptingOf(s);
  let mem = DICT_ENTRY + 4 * DICT_SLOT + 24 + 120 + sc.functions.size * DICT_ENTRY + dictSlots(sc.functionsHigh) * DICT_SLOT;
  for (const lib of sc.libraries.values()) {
    mem += 32 + sdsNewSize(Buffer.byteLength(lib.name, 'latin1')) + sdsNewSize(lib.code.length);
    for (const f of lib.functions.values()) {
      mem += 48 + sdsNewSize(Buffer.byteLength(f.name, 'latin1')) + 8;
      if (f.description !== null) mem += sdsNewSize(Buffer.byteLength(f.description, 'latin1'));
    }
  }
  return mem;
}

export interface MemOverhead {
  peakAllocated: number;
  totalAllocated: number;
  startupAllocated: number;
  clientsNormal: number;
  luaCaches: number;
  functionsCaches: number;
  dbs: { id: number; main: number; expires: number }[];
  overheadTotal: number;
  totalKeys: number;
  bytesPerKey: number;
  dataset: number;
  datasetPerc: number;
  peakPerc: number;
  allocated: number;
  active: number;
  resident: number;
  rss: number;
  totalFrag: number;
  totalFragBytes: number;
  numClients: number;
  numScripts: number;
}

/** getMemoryOverheadData; `mu` is the caller's process.memoryUsage() when it has one (INFO memory). */
export function memoryOverhead(s: Server, mu: NodeJS.MemoryUsage = process.memoryUsage()): MemOverhead {
  const used = s.usedMemory();
  const startup = s.startupMemory();
  const peak = Math.max(used, s.peakMemory);
  let clientsNormal = 0;
  for (const c of s.clients.values()) clientsNormal += c.writer.length + (c.socket?.writableLength ?? 0);
  const sc = scriptingOf(s);
  const luaCaches = evalScriptsMemory(s);
  const functionsCaches = functionsMemoryOverhead(s);
  let total = startup + clientsNormal + luaCaches + functionsCaches;
  const dbs: MemOverhead['dbs'] = [];
  let totalKeys = 0;
  for (const db of s.dbs) {
    const keys = db.size();
    if (keys === 0) continue;
    const { main, expires } = db.keyspaceOverhead();
    dbs.push({ id: db.index, main, expires });
    total += main + expires;
    totalKeys += keys;
  }
  const dataset = Math.max(0, used - total);
  const net = used > startup ? used - startup : 1;
  const allocated = mu.heapUsed + mu.external;
  const active = Math.max(allocated, mu.heapTotal + mu.external);
  const resident = Math.max(active, mu.rss);
  return {
    peakAllocated: peak,
    totalAllocated: used,
    startupAllocated: startup,
    clientsNormal,
    luaCaches,
    functionsCaches,
    dbs,
    overheadTotal: total,
    totalKeys,
    bytesPerKey: totalKeys ? Math.floor(dataset / totalKeys) : 0,
    dataset,
    datasetPerc: Math.fround((dataset * 100) / net),
    peakPerc: Math.fround((used * 100) / peak),
    allocated,
    active,
    resident,
    rss: mu.rss,
    totalFrag: Math.fround(mu.rss / used),
    totalFragBytes: mu.rss - used,
    numClients: s.clients.size,
    numScripts: sc.scripts.size,
  };
}

function memoryStats(c: Client): void {
  const mh = memoryOverhead(c.server);
  const r = c.reply;
  r.map(27 + mh.dbs.length);
  const int = (k: string, v: number) => {
    r.bulk(k);
    r.int(v);
  };
  const dbl = (k: string, v: number) => {
    r.bulk(k);
    r.double(v);
  };
  int('peak.allocated', mh.peakAllocated);
  int('total.allocated', mh.totalAllocated);
  int('startup.allocated', mh.startupAllocated);
  int('replication.backlog', 0);
  int('clients.slaves', 0);
  int('clients.normal', mh.clientsNormal);
  int('cluster.links', 0);
  int('aof.buffer', 0);
  int('lua.caches', mh.luaCaches);
  int('functions.caches', mh.functionsCaches);
  for (const db of mh.dbs) {
    r.bulk(`db.${db.id}`);
    r.map(3);
    int('overhead.hashtable.main', db.main);
    int('overhead.hashtable.expires', db.expires);
    int('overhead.hashtable.slot-to-keys', 0);
  }
  int('overhead.total', mh.overheadTotal);
  int('keys.count', mh.totalKeys);
  int('keys.bytes-per-key', mh.bytesPerKey);
  int('dataset.bytes', mh.dataset);
  dbl('dataset.percentage', mh.datasetPerc);
  dbl('peak.percentage', mh.peakPerc);
  int('allocator.allocated', mh.allocated);
  int('allocator.active', mh.active);
  int('allocator.resident', mh.resident);
  dbl('allocator-fragmentation.ratio', Math.fround(mh.active / mh.allocated));
  int('allocator-fragmentation.bytes', mh.active - mh.allocated);
  dbl('allocator-rss.ratio', Math.fround(mh.resident / mh.active));
  int('allocator-rss.bytes', mh.resident - mh.active);
  dbl('rss-overhead.ratio', Math.fround(mh.rss / mh.resident));
  int('rss-overhead.bytes', mh.rss - mh.resident);
  dbl('fragmentation', mh.totalFrag);
  int('fragmentation.bytes', mh.totalFragBytes);
}

const MB = 1024 * 1024;

/**
 * getMemoryDoctorReport, with Redis's texts, for the situations Redust's figures show: an almost
 * empty instance, a past peak, big client output buffers, many cached scripts.
 */
export function memoryDoctorReport(s: Server): string {
  const mh = memoryOverhead(s);
  if (mh.totalAllocated < 5 * MB) {
    return "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";
  }
  const issues: string[] = [];
  if (Math.fround(mh.peakAllocated / mh.totalAllocated) > 1.5) {
    issues.push(
      ' * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.\n\n',
    );
  }
  // Redis's three RSS/allocator checks (high total RSS, allocator fragmentation, allocator RSS
  // overhead) are not run: in Node they would measure the runtime's own baseline (V8's heap
  // reservations, code, the WASM memory's pages), not fragmentation the advice could fix.
  if (mh.numClients > 0 && mh.clientsNormal / mh.numClients > 1024 * 200) {
    issues.push(
      ' * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.\n\n',
    );
  }
  if (mh.numScripts > 1000) {
    issues.push(
      " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.\n\n",
    );
  }
  if (issues.length === 0) return "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";
  return "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + issues.join('') + "I'm here to keep you safe, Sam. I want to help you.\n";
}

function memoryDoctor(c: Client): void {
  c.reply.verbatim(memoryDoctorReport(c.server));
}

/**
 * MEMORY MALLOC-STATS: Redis prints jemalloc's statistics; Redust's allocator is V8's heap (and
 * the WASM linear memory inside `external`), so its statistics are V8's, in the same frame.
 */
function memoryMallocStats(c: Client): void {
  const h = v8.getHeapStatistics();
  const mu = process.memoryUsage();
  const lines = ['___ Begin V8 heap statistics ___', `Version: "node ${process.versions.node}, V8 ${process.versions.v8}"`, 'Heap:'];
  for (const [k, v] of Object.entries(h)) lines.push(`  ${k}: ${v}`);
  lines.push('Spaces:');
  lines.push('  name                              size       used  available   physical');
  for (const sp of v8.getHeapSpaceStatistics()) {
    lines.push(`  ${sp.space_name.padEnd(26)} ${String(sp.space_size).padStart(10)} ${String(sp.space_used_size).padStart(10)} ${String(sp.space_available_size).padStart(10)} ${String(sp.physical_space_size).padStart(10)}`);
  }
  lines.push('Process:');
  for (const [k, v] of Object.entries(mu)) lines.push(`  ${k}: ${v}`);
  lines.push('___ End V8 heap statistics ___');
  c.reply.verbatim(lines.join('\n') + '\n'); // addReplyVerbatim(..., "txt"), as Redis
}

/**
 * MEMORY PURGE: a full V8 collection, as jemalloc's purge: the standalone server's (heap-trim.ts),
 * or an embedding process's own when it runs with --expose-gc.
 */
function memoryPurge(c: Client): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (c.server.heapTrim !== null) c.server.heapTrim.purge();
  else if (typeof gc === 'function') gc();
  c.reply.ok();
}

export const commands: CommandRow[] = [
  { name: 'memory|stats', handler: memoryStats },
  { name: 'memory|doctor', handler: memoryDoctor },
  { name: 'memory|malloc-stats', handler: memoryMallocStats },
  { name: 'memory|purge', handler: memoryPurge },
];
