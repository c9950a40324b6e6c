/**
 * Direct reads of Lua 5.4 values in wasm memory, for the per-call hot paths (redis.call's
 * arguments, a script's scalar result, the KEYS/ARGV reuse check), where each C API call is a
 * JS→wasm crossing (~6-15 ns) and a value needs two or three of them (lua_type, lua_tolstring...).
 *
 * What is read (Lua 5.4's lobject.h / lstate.h / ltable.h, wasm32: 4-byte pointers and size_t):
 * - a stack slot (StackValue/TValue, 16 bytes): the value at +0 (a GC object's pointer, or the
 *   double), the type tag `tt_` at +8 (LUA_VSHRSTR 0x44, LUA_VLNGSTR 0x54 with the collectable
 *   bit; `tt & 15` is the basic type, 0 for every nil/empty variant);
 * - lua_State: `top` at +12, `ci` at +20; CallInfo: `func` at +0 (a C function's arguments are
 *   func+1 .. top-1);
 * - TString: `shrlen` at +7 (short strings), `u.lnglen` at +12 (long strings), bytes at +16;
 * - Table: `lsizenode` at +7, `alimit` at +8 (the real array size: patchLength51 keeps it so),
 *   `array` at +12, `node` at +16, `metatable` at +24.
 *
 * Nothing is written, and nothing is read across a call that could run the GC or move the stack.
 * The layout is checked once against the C API (checkLayout: strings short and long, numbers,
 * the stack's top, tables with and without a hash part or metatable); when any answer differs
 * `memOk` stays false and the callers keep their API paths. Reads are always bounded by the
 * wasm memory (typed arrays), so a wrong layout could give a wrong answer but never corrupt.
 */
import type { LuaWasm } from './lua-wasm';
import { LUA_REGISTRYINDEX } from './lua-wasm';

export const TV_SIZE = 16;
export const TV_TT = 8;
export const VSHRSTR = 0x44;
export const VLNGSTR = 0x54;
export const VNUMFLT = 0x13;
const L_TOP = 12;
const L_G = 16;
const L_CI = 20;
/** global_State: totalbytes and GCdebt (l_mem, 4 bytes on wasm32); gettotalbytes is their sum. */
const G_TOTALBYTES = 8;
const G_GCDEBT = 12;
const TS_SHRLEN = 7;
const TS_LNGLEN = 12;
export const TS_CONTENTS = 16;
const T_LSIZENODE = 7;
const T_ALIMIT = 8;
const T_ARRAY = 12;
const T_NODE = 16;
const T_META = 24;

/** True once checkLayout found the layout above in this glue.wasm. */
export let memOk = false;
/** Address of Lua's dummynode (the node part of a table without a hash part). */
let dummyNode = -1;

/**
 * The bytes Lua has allocated for L's state (gettotalbytes: what collectgarbage('count') reports
 * in KB), read from its global_State; 0 (unknown) when checkLayout did not confirm the layout.
 */
export function vmBytes(w: LuaWasm, L: number): number {
  if (!memOk) return 0;
  const u32 = w.u32;
  const g = u32[(L + L_G) >> 2];
  // (signed: GCdebt is negative while the collector is ahead)
  return (u32[(g + G_TOTALBYTES) >> 2] | 0) + (u32[(g + G_GCDEBT) >> 2] | 0);
}

/** Address of the first argument slot of the C function running on L (func + 1). */
export function argBase(w: LuaWasm, L: number): number {
  const u32 = w.u32;
  return u32[u32[(L + L_CI) >> 2] >> 2] + TV_SIZE;
}

/** Number of values from `base` to L's top (lua_gettop inside a C function when base = argBase). */
export function countTo(w: LuaWasm, L: number, base: number): number {
  return (w.u32[(L + L_TOP) >> 2] - base) / TV_SIZE;
}

/** Address of the slot at L's top - 1 (stack index -1). */
export function topSlot(w: LuaWasm, L: number): number {
  return w.u32[(L + L_TOP) >> 2] - TV_SIZE;
}

/** The tag byte of the slot. */
export function tagAt(w: LuaWasm, slot: number): number {
  return w.hb[slot + TV_TT];
}

/**
 * For a slot holding a string (tag VSHRSTR / VLNGSTR): the address of its bytes; its length is
 * left in `strLen.n`.
 */
export const strLen = { n: 0 };
export function strAt(w: LuaWasm, slot: number, tag: number): number {
  const u32 = w.u32;
  const ts = u32[slot >> 2];
  strLen.n = tag === VSHRSTR ? w.hb[ts + TS_SHRLEN] : u32[(ts + TS_LNGLEN) >> 2];
  return ts + TS_CONTENTS;
}

/**
 * Whether the table at `t` (its address, lua_topointer) holds exactly the keys 1..n and nothing
 * else, with no metatable: -1 when the memory view cannot tell (a hash part exists: the caller
 * asks the C API), 1 yes, 0 no.
 */
export function plainArray(w: LuaWasm, t: number, n: number): number {
  const u32 = w.u32;
  const hb = w.hb;
  if (u32[(t + T_META) >> 2] !== 0) return 0;
  if (hb[t + T_LSIZENODE] !== 0 || u32[(t + T_NODE) >> 2] !== dummyNode) return -1;
  const size = u32[(t + T_ALIMIT) >> 2];
  if (size < n) return 0;
  const arr = u32[(t + T_ARRAY) >> 2];
  for (let i = 0; i < size; i++) {
    const present = (hb[arr + i * TV_SIZE + TV_TT] & 15) !== 0;
    if (present !== i < n) return 0;
  }
  return 1;
}

/**
 * Whether the table at `t` has no hash part (its node part is the dummy node): then it has no
 * string keys, and its keys are the integers 1..arraySize(t) whose slots are set.
 */
export function noHashPart(w: LuaWasm, t: number): boolean {
  return w.hb[t + T_LSIZENODE] === 0 && w.u32[(t + T_NODE) >> 2] === dummyNode;
}

/** Size of the array part of the table at `t` (alimit: the real size, see the header). */
export function arraySize(w: LuaWasm, t: number): number {
  return w.u32[(t + T_ALIMIT) >> 2];
}

/** The GC object (a table's address for a table) held in a stack or array slot. */
export function objectAt(w: LuaWasm, slot: number): number {
  return w.u32[slot >> 2];
}

/** Address of the array part of the table at `t` (its slot i + 1 at + i * TV_SIZE). */
export function arrayPart(w: LuaWasm, t: number): number {
  return w.u32[(t + T_ARRAY) >> 2];
}

/** Whether the slot holds a string with exactly the bytes of `b`. */
export function sameString(w: LuaWasm, slot: number, b: Uint8Array): boolean {
  const tag = w.hb[slot + TV_TT];
  if (tag !== VSHRSTR && tag !== VLNGSTR) return false;
  const p = strAt(w, slot, tag);
  return strLen.n === b.length && bytesEqual(w, p, b, b.length);
}

/**
 * Whether the n bytes at p in wasm memory are b[0, n). A string's bytes (p from strAt) start 16
 * bytes into its object, which Lua's allocator aligns to 8: they are read 4 at a time (little
 * endian, as wasm is), about twice as fast as byte by byte; any other p is read by bytes.
 */
export function bytesEqual(w: LuaWasm, p: number, b: Uint8Array, n: number): boolean {
  const hb = w.hb;
  let i = 0;
  if ((p & 3) === 0) {
    const i32 = w.i32;
    for (let q = p >> 2; i + 4 <= n; i += 4, q++) {
      if (i32[q] !== (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24))) return false;
    }
  }
  for (; i < n; i++) if (hb[p + i] !== b[i]) return false;
  return true;
}

/**
 * Compare the memory reads above with the C API on values made for the purpose; sets memOk.
 * Runs once (the first Sandbox), on an empty stack of L, which it leaves empty.
 */
export function checkLayout(w: LuaWasm, L: number): boolean {
  if (memOk || dummyNode === -2) return memOk;
  const ex = w.ex;
  let ok = false;
  try {
    ok = probe(w, L);
  } catch {
    ok = false;
  }
  ex.lua_settop(L, 0);
  if (!ok) dummyNode = -2;
  memOk = ok;
  return ok;
}

function probe(w: LuaWasm, L: number): boolean {
  const ex = w.ex;
  ex.lua_settop(L, 0);
  // The stack: top - 1 is index -1, and the base of L's current frame is top - gettop.
  const long = 'x'.repeat(57);
  w.pushLatin1(L, 'abc');
  w.pushLatin1(L, long);
  ex.lua_pushnumber(L, 1.5);
  ex.lua_pushinteger(L, 7n);
  ex.lua_pushboolean(L, 1);
  const n = ex.lua_gettop(L);
  const top = topSlot(w, L);
  const base = top - (n - 1) * TV_SIZE;
  const expect: [number, number, number][] = [[1, VSHRSTR, 3], [2, VLNGSTR, 57]];
  for (const [i, tag, len] of expect) {
    const slot = base + (i - 1) * TV_SIZE;
    if (tagAt(w, slot) !== tag || ex.lua_type(L, i) !== (tag & 15)) return false;
    const p = strAt(w, slot, tag);
    if (ex.lua_tolstring(L, i, w.lenPtr) !== p || w.u32[w.lenPtr >> 2] !== len || strLen.n !== len) return false;
  }
  if (tagAt(w, base + 2 * TV_SIZE) !== VNUMFLT || w.f64[(base + 2 * TV_SIZE) >> 3] !== 1.5) return false;
  if (tagAt(w, base + 3 * TV_SIZE) !== 0x03) return false;
  if ((tagAt(w, base + 4 * TV_SIZE) & 15) !== 1) return false;
  ex.lua_settop(L, 0);
  // Tables: the dummy node of an empty table, then each shape plainArray must tell apart.
  ex.lua_createtable(L, 0, 0);
  const empty = ex.lua_topointer(L, -1);
  dummyNode = w.u32[(empty + T_NODE) >> 2];
  if (w.hb[empty + T_LSIZENODE] !== 0 || w.u32[(empty + T_ALIMIT) >> 2] !== 0 || w.u32[(empty + T_META) >> 2] !== 0) return false;
  ex.lua_createtable(L, 2, 0);
  const t = ex.lua_topointer(L, -1);
  if (plainArray(w, t, 0) !== 1) return false; // {nil, nil} (array part of 2, empty)
  w.pushLatin1(L, 'a');
  ex.lua_rawseti(L, -2, 1n);
  if (plainArray(w, t, 1) !== 1 || plainArray(w, t, 2) !== 0 || plainArray(w, t, 0) !== 0) return false;
  w.pushLatin1(L, 'b');
  ex.lua_rawseti(L, -2, 2n);
  if (plainArray(w, t, 2) !== 1 || plainArray(w, t, 1) !== 0) return false;
  if (objectAt(w, topSlot(w, L)) !== t || !noHashPart(w, t) || arraySize(w, t) !== 2) return false;
  const arr = arrayPart(w, t);
  if (!sameString(w, arr, Buffer.from('a')) || !sameString(w, arr + TV_SIZE, Buffer.from('b')) || sameString(w, arr, Buffer.from('b')) || sameString(w, arr, Buffer.from('ab'))) return false;
  w.pushLatin1(L, 'c');
  ex.lua_rawseti(L, -2, 5n); // into the hash part
  if (plainArray(w, t, 2) !== -1 || noHashPart(w, t)) return false;
  ex.lua_createtable(L, 1, 0);
  const m = ex.lua_topointer(L, -1);
  w.pushLatin1(L, 'a');
  ex.lua_rawseti(L, -2, 1n);
  if (plainArray(w, m, 1) !== 1) return false;
  ex.lua_createtable(L, 0, 0);
  ex.lua_setmetatable(L, -2);
  if (plainArray(w, m, 1) !== 0) return false;
  // The registry is a table with a hash part: never plain.
  ex.lua_pushvalue(L, LUA_REGISTRYINDEX);
  return plainArray(w, ex.lua_topointer(L, -1), 0) !== 1;
}
