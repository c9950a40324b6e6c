/**
 * Raw Lua 5.4 C API over wasmoon's emscripten build (node_modules/wasmoon/dist/glue.wasm).
 *
 * wasmoon's high-level API is not binary-safe, crashes on null and is ~10x slower, and even its
 * `LuaWasm.initialize()` wraps every export in an asserting `apply()` shim and instantiates
 * asynchronously. We instead instantiate the very same glue.wasm ourselves, synchronously, with
 * a minimal set of imports (no filesystem: Redis scripts get no io/os), and call the wasm exports
 * directly. Strings cross the boundary as (pointer, length) byte ranges in wasm memory, so every
 * value is binary-safe.
 *
 * Lua errors use emscripten's JS-based setjmp/longjmp: `lua_error` ends in `_emscripten_throw_longjmp`
 * (throws a number), caught by `invoke_vii` around luaD_rawrunprotected. A JS callback registered
 * as a lua_CFunction may therefore call `lua_error` (the throw unwinds the JS frame), but must
 * never let a JS exception escape into Lua: callbacks catch and convert them.
 *
 * One wasm instance per process; each Server creates its own lua_States in it (scripts run
 * synchronously, so states never interleave).
 */
import fs from 'fs';
import { copyAll, copyRange } from '../util/bytes';
import { dateNow } from '../util/real-timers';

/* eslint-disable @typescript-eslint/no-explicit-any */

// The project's tsconfig has no DOM lib, so the WebAssembly namespace is untyped here.
const WA: any = (globalThis as any).WebAssembly;
type WasmMemory = { buffer: ArrayBuffer; grow(pages: number): number };
type WasmTable = { get(i: number): unknown; set(i: number, f: unknown): void; grow(n: number): number };

export const LUA_REGISTRYINDEX = -1000000 - 1000;
export const LUA_MULTRET = -1;
export const LUA_TNONE = -1;
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TLIGHTUSERDATA = 2;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;
export const LUA_TUSERDATA = 7;
export const LUA_TTHREAD = 8;
/** lua_typename of each type (LUA_TNIL .. LUA_TTHREAD); LUA_TNONE is "no value". */
export const LUA_TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_MASKCOUNT = 1 << 3;
export const LUA_MASKLINE = 1 << 2;

export function lua_upvalueindex(i: number): number {
  return LUA_REGISTRYINDEX - i;
}

/** The raw exports we use (pointers and ints are numbers, lua_Integer is a BigInt). */
export interface LuaExports {
  memory: WasmMemory;
  __indirect_function_table: WasmTable;
  malloc(n: number): number;
  free(p: number): void;
  stackSave(): number;
  stackRestore(p: number): void;
  setThrew(a: number, b: number): void;
  emscripten_stack_init(): void;
  __wasm_call_ctors(): void;
  luaL_newstate(): number;
  luaL_openlibs(L: number): void;
  lua_close(L: number): void;
  lua_gettop(L: number): number;
  lua_settop(L: number, i: number): void;
  lua_pushvalue(L: number, i: number): void;
  lua_rotate(L: number, i: number, n: number): void;
  lua_copy(L: number, from: number, to: number): void;
  lua_checkstack(L: number, n: number): number;
  lua_type(L: number, i: number): number;
  lua_isinteger(L: number, i: number): number;
  lua_isnumber(L: number, i: number): number;
  lua_isstring(L: number, i: number): number;
  lua_tonumberx(L: number, i: number, isnum: number): number;
  lua_tointegerx(L: number, i: number, isnum: number): bigint;
  lua_toboolean(L: number, i: number): number;
  lua_touserdata(L: number, i: number): number;
  lua_tolstring(L: number, i: number, lenPtr: number): number;
  lua_rawlen(L: number, i: number): number;
  lua_topointer(L: number, i: number): number;
  lua_pushnil(L: number): void;
  lua_pushnumber(L: number, n: number): void;
  lua_pushinteger(L: number, n: bigint): void;
  lua_pushlstring(L: number, p: number, len: number): number;
  lua_pushstring(L: number, p: number): number;
  lua_pushcclosure(L: number, fn: number, n: number): void;
  lua_pushboolean(L: number, b: number): void;
  lua_pushlightuserdata(L: number, p: number): void;
  lua_getglobal(L: number, name: number): number;
  lua_gettable(L: number, i: number): number;
  lua_getfield(L: number, i: number, k: number): number;
  lua_geti(L: number, i: number, n: bigint): number;
  lua_rawget(L: number, i: number): number;
  lua_rawgeti(L: number, i: number, n: bigint): number;
  lua_createtable(L: number, narr: number, nrec: number): void;
  lua_getmetatable(L: number, i: number): number;
  lua_setglobal(L: number, name: number): void;
  lua_settable(L: number, i: number): void;
  lua_setfield(L: number, i: number, k: number): void;
  lua_rawset(L: number, i: number): void;
  lua_rawseti(L: number, i: number, n: bigint): void;
  lua_setmetatable(L: number, i: number): number;
  lua_pcallk(L: number, nargs: number, nres: number, msgh: number, ctx: number, k: number): number;
  lua_callk(L: number, nargs: number, nres: number, ctx: number, k: number): void;
  lua_error(L: number): number;
  lua_next(L: number, i: number): number;
  lua_concat(L: number, n: number): void;
  lua_sethook(L: number, fn: number, mask: number, count: number): void;
  lua_getstack(L: number, level: number, ar: number): number;
  lua_getinfo(L: number, what: number, ar: number): number;
  luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  luaL_ref(L: number, t: number): number;
  luaL_unref(L: number, t: number, ref: number): void;
  luaL_where(L: number, lvl: number): void;
  luaL_checkstack(L: number, n: number, msg: number): void;
  luaL_traceback(L: number, L1: number, msg: number, level: number): void;
  lua_newthread(L: number): number;
  lua_resume(L: number, from: number, nargs: number, nres: number): number;
  lua_yieldk(L: number, nresults: number, ctx: number, k: number): number;
  lua_isyieldable(L: number): number;
  lua_resetthread(L: number): number;
  lua_xmove(from: number, to: number, n: number): void;
}

let compiled: any = null;

/**
 * Lua 5.1 number formatting: 5.4's tostringbuff (lobject.c) formats a float with "%.14g" (as 5.1)
 * and then appends ".0" when the text looks like an integer, found with
 * `buff[strspn(buff, "-0123456789")] == '\0'`. Emptying that string constant in the data segment
 * (one byte; the string is unique in glue.wasm) makes strspn return 0, so the ".0" is never added:
 * tostring(10/2), `..`, table.concat and %s all give 5.1's "5". Zero cost at run time.
 */
export function patchNumberFormat(bin: Buffer): Buffer {
  const needle = Buffer.from('-0123456789\0', 'latin1');
  const at = bin.indexOf(needle);
  if (at < 0 || bin.indexOf(needle, at + 1) >= 0) throw new Error('Lua wasm: number format constant not found exactly once');
  const out = Buffer.from(bin);
  out[at] = 0;
  return out;
}
/**
 * Lua 5.1's string hash: lua_newstate stores luai_makeseed's value (time and addresses hashed) as
 * the state's seed, and 5.4's luaS_hash starts from `seed ^ len`; 5.1's starts from `len`. With
 * the seed 0 a string hashes as in 5.1 (for strings under 32 bytes, where 5.1 hashes every byte),
 * so tables place string keys in 5.1's nodes and pairs/next, cjson and cmsgpack list them in 5.1's
 * order. The patch replaces `local.get 1` (the computed seed) with `i32.const 0` in lua_newstate's
 * `i32.store offset=192` of it (g->seed), a sequence found exactly once in glue.wasm.
 */
export function patchHashSeed(bin: Buffer): Buffer {
  const needle = Buffer.from([0x20, 0x02, 0x20, 0x01, 0x36, 0x02, 0xc0, 0x01]);
  const at = bin.indexOf(needle);
  if (at < 0 || bin.indexOf(needle, at + 1) >= 0) throw new Error('Lua wasm: seed store not found exactly once');
  const out = Buffer.from(bin);
  out[at + 2] = 0x41; // i32.const
  out[at + 3] = 0x00; // 0
  return out;
}

/**
 * Lua 5.1's rehash order: luaH_resize moves the old hash part's keys into the new one from the
 * last node to the first (5.1's resize), where 5.4's reinsert goes from the first to the last.
 * Keys whose main positions collide take their nodes in insertion order, so the direction decides
 * the layout, and with it pairs/next order, of every table that grew. luaH_resize's reinsert loop
 * (`for (j = 0; j < size; j++)` over 24-byte nodes) is turned around in place, byte for byte the
 * same length: its header `size = max(1, 1 << lsizenode); j = 0` becomes
 * `j = (1 << lsizenode) - 1` (padded with nops) and its latch `j++; while (j != size)` becomes
 * `j--; while (j != -1)`; the body, which reads node j, is unchanged. Both sequences occur once.
 */
export function patchRehashOrder(bin: Buffer): Buffer {
  const edits: [string, string][] = [
    // i32.const 1; i32.const 1; local.get 10; i32.shl; local.tee 2; local.get 2; i32.const 1; i32.le_s; select; local.set 4;
    // i32.const 0; local.set 5; loop; block; local.get 8; local.get 5; i32.const 24; i32.mul; i32.add; local.tee 2
    ['4101410120' + '0a7422022002' + '41014c1b2104' + '41002105' + '03400240' + '2008200541186c6a2202',
      // i32.const 1; local.get 10; i32.shl; i32.const 1; i32.sub; local.set 5; nop x 11; (loop unchanged)
      '4101200a7441016b2105' + '01'.repeat(11) + '03400240' + '2008200541186c6a2202'],
    // (end of the body's last store) local.get 5; i32.const 1; i32.add; local.tee 5; local.get 4; i32.ne; br_if 0 (end, end, if)
    ['3a00080b' + '200541016a22052004470d00' + '0b0b0440',
      // local.get 5; i32.const 1; i32.sub; local.tee 5; i32.const -1; i32.ne; br_if 0
      '3a00080b' + '200541016b2205417f470d00' + '0b0b0440'],
  ];
  let out = Buffer.from(bin);
  for (const [from, to] of edits) {
    const a = Buffer.from(from, 'hex');
    const b = Buffer.from(to, 'hex');
    const at = out.indexOf(a);
    if (a.length !== b.length || at < 0 || out.indexOf(a, at + 1) >= 0) throw new Error('Lua wasm: rehash loop not found exactly once');
    b.copy(out, at);
  }
  return out;
}

/** Replaces `from` (hex) by `to` (hex, padded with nops to the same length) where `from` occurs exactly `count` times. */
function replaceExact(bin: Buffer, from: string, to: string, count: number, what: string): void {
  const a = Buffer.from(from.replace(/\s+/g, ''), 'hex');
  const b = Buffer.from(to.replace(/\s+/g, ''), 'hex');
  if (b.length > a.length) throw new Error(`Lua wasm: ${what}: replacement longer than the original`);
  const padded = Buffer.concat([b, Buffer.alloc(a.length - b.length, 0x01)]);
  const sites: number[] = [];
  for (let at = bin.indexOf(a); at >= 0; at = bin.indexOf(a, at + 1)) sites.push(at);
  if (sites.length !== count) throw new Error(`Lua wasm: ${what} found ${sites.length} times, expected ${count}`);
  for (const at of sites) padded.copy(bin, at);
}

/**
 * Lua 5.1's hash of a number key: 5.1's hashnum adds the two 32-bit words of the double (0 for
 * ±0) and takes that unsigned sum modulo `(sizenode - 1) | 1`. 5.4 hashes an integer key i as
 * `i % ((sizenode - 1) | 1)` (signed 32-bit when 0 <= i <= INT_MAX, unsigned 64-bit otherwise) and a
 * float with l_hashfloat (frexp), so number keys in the hash part (`t[i*7]`, `t[-1]`, `t[1.5]`)
 * took other nodes and pairs/next listed them in another order. Every place that computes the main
 * position of a number is rewritten to 5.1's: with `k` the key's bits as a double (an integer key is
 * converted with f64.convert_i64_s then i64.reinterpret_f64; a float key's 8 bytes are loaded as
 * an i64), `(i32)(k + (k >> 32)) rem_u ((sizenode-1)|1)`, the low word of that i64 sum being the
 * 32-bit sum of both words (0 for the integer 0; -0 is never a key, 5.4 stores it as integer 0).
 * The sites (each sequence, with its local indices, occurs exactly the listed number of times):
 * hashint inlined in luaH_get (twice), luaH_setint-like $500, mainposition, luaH_getint; the float
 * case of mainposition (frexp call and the `u <= INT_MAX ? u : ~u` fold); and in luaH_getn's
 * hash_search / `limit + 1` probe and luaH_resize's move of array items into the hash part, where
 * the compiler specialized hashint for a key known to fit in 32 or 62 bits or for the constant
 * LUA_MAXINTEGER (5.1 hash of 2^63: 0x43e00000). Each replacement is shorter and padded with nops.
 */
export function patchNumberHash(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  const mask = (t: string) => `417f 20${t} 2d0007 74 417f 73 4101 72`; // (sizenode - 1) | 1 of the table in local t
  const hash = (k: string) => `20${k} b9 bd 20${k} b9 bd 4220 88 7c a7`; // lo + hi of (double) local k (i64)
  // hashint: (key on the stack) i64.const INT_MAX; i64.le_u; if; key; wrap; mask; rem_s; br 1; end; key; mask; extend_u; i64.rem_u; wrap
  const hashint = (k: string, t: string) => `42ffffffff07 58 0440 20${k} a7 ${mask(t)} 6f 0c01 0b 20${k} ${mask(t)} ad 82 a7`;
  const fromKeyOnStack = (k: string, t: string) => `b9 bd 20${k} b9 bd 4220 88 7c a7 ${mask(t)} 70`;
  replaceExact(out, hashint('05', '00'), fromKeyOnStack('05', '00'), 2, 'luaH_get hashint');
  replaceExact(out, hashint('02', '01'), fromKeyOnStack('02', '01'), 1, 'luaH_setint hashint');
  replaceExact(out, hashint('08', '00'), fromKeyOnStack('08', '00'), 1, 'mainposition hashint');
  replaceExact(out, hashint('01', '00'), fromKeyOnStack('01', '00'), 1, 'luaH_getint hashint');
  // luaH_getn's hash_search: j * 2 (local 7; tested as j <= INT_MAX / 2 on local 8), (i + j) / 2 (local 8; tested on local 11)
  replaceExact(out, `2008 42ffffffff03 58 0440 2007 a7 ${mask('00')} 6f 0c01 0b 2007 ${mask('00')} ad 82 a7`,
    `${hash('07')} ${mask('00')} 70`, 1, 'hash_search j * 2');
  replaceExact(out, `200b 42ffffffff0f 58 0440 2008 a7 ${mask('00')} 6f 0c01 0b 2008 ${mask('00')} ad 82 a7`,
    `${hash('08')} ${mask('00')} 70`, 1, 'hash_search (i + j) / 2');
  // hash_search: luaH_getint(t, LUA_MAXINTEGER): (double) 2^63 = 0x43e0000000000000, lo + hi = 0x43e00000
  replaceExact(out, `42ffffffffffffffff ff00 ${mask('00')} ad 82 a7`, `41 8080809f04 ${mask('00')} 70`, 1, 'hash_search LUA_MAXINTEGER');
  // luaH_getn: limit + 1 (u32 in local 2, zero-extended in local 8), mask in local 3: key >= 0 ? rem_s : rem_u
  replaceExact(out, '2002 4100 4e 0440 2002 2003 6f 0c01 0b 2002 2003 70', `${hash('08')} 2003 70`, 1, 'luaH_getn limit + 1');
  // luaH_resize: array item i + 1 (local 14) moved to the hash part, mask in local 3; local 7 keeps its value (i32 of the key)
  replaceExact(out, '200e a7 2207 4100 4e 0440 2007 2003 6f 0c01 0b 2007 2003 70', `200e a7 2207 1a ${hash('0e')} 2003 70`, 1, 'luaH_resize array item');
  // mainposition, float key (TValue in local 1): frexp(n, &e) * 2^31 ..., `u <= INT_MAX ? u : ~u` into local 3, then `local 3 rem_s mask`
  replaceExact(out,
    '0240 2001 2b0300 2005 410c 6a 10dd04 44000000000000e041 a2 2207 44000000000000e0c3 66 45 0d00 2007 44000000000000e043 63 45 0d00' +
    ' 2005 28020c 027e 2007 99 44000000000000e043 63 0440 2007 b0 0c01 0b 428080808080808080807f 0b a7 6a 2201 411f 75 2001 73 2103 0b' +
    ` 2003 ${mask('00')} 6f`,
    `2001 290300 2001 290300 4220 88 7c a7 ${mask('00')} 70`, 1, 'mainposition l_hashfloat');
  return out;
}

/**
 * Lua 5.1's `#t` (luaH_getn): 5.1 binary-searches the array part when its last slot is empty, and
 * otherwise probes the hash part at j + 1, 2(j + 1), 4(j + 1)... (unbound_search) then
 * binary-searches. 5.4.6's luaH_getn returns `limit - 1` at once when slot limit-1 is set, keeps the
 * border found as a hint in `alimit` (flag bit 7 of `flags`: the array is then larger than
 * `alimit`) and probes the hash part at 2j, 4j... from j = limit, so tables with holes gave other
 * borders (`local t = {10, 20, 30, nil, 50} t[7] = 70 return #t` is 3 on Redis, 7 in 5.4). Three
 * edits in luaH_getn: the test of slot limit-1 (`i32.load8_u` of its tag `& 15`) masks with 0, so
 * the binary search always runs; the hint store after that search (`t->alimit = border;
 * t->flags |= 128`) becomes nops, so `alimit` stays the real array size (only luaH_getn sets that
 * flag, so the other hint paths are never taken); hash_search starts from `limit + 1` instead of
 * `max(limit, 1)`, which makes its doubling loop 5.1's. (5.1's fallback to a linear search past
 * 2^31 is not reproduced: a table would need a present key at each doubling up to 2^31.)
 */
export function patchLength51(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  // local.get 4; local.get 1; i32.const 4; i32.shl; i32.add; i32.const 24; i32.sub; i32.load8_u; i32.const 15 -> 0; i32.and; if; block
  replaceExact(out, '2004 2001 4104 74 6a 4118 6b 2d0000 410f 71 0440 0240', '2004 2001 4104 74 6a 4118 6b 2d0000 4100 71 0440 0240', 1, 'luaH_getn limit - 1 test');
  // local.get 0; local.get 3; i32.store offset=8 (alimit); local.get 0; local.get 4; i32.const 128; i32.or; i32.store8 offset=6 (flags)
  replaceExact(out, '2000 2003 360208 2000 2004 418001 72 3a0006', '', 1, 'luaH_getn hint store');
  // i32.const 1; local.get 4; local.get 4; i32.const 1; i32.le_u; select; i64.extend_i32_u; local.set 7 -> local.get 4; i32.const 1; i32.add; ...
  replaceExact(out, '4101 2004 2004 4101 4d 1b ad 2107', '2004 4101 6a ad 2107', 1, 'hash_search start');
  return out;
}

/**
 * Lua 5.1 gives a key a node even when the value stored is nil: `t[k] = nil` for an absent k goes
 * through luaH_set, which calls newkey, so the key takes a node (then empty), moves colliding keys and
 * may trigger a rehash, which changes where later keys land and so the pairs/next order. 5.4.6's
 * luaH_newkey returns early for a nil value ("do not insert nil values"). The patch removes that test
 * (`local.get 3; i32.load8_u offset=8; i32.const 15; i32.and; i32.eqz; br_if 3` after the float-key
 * normalization, before the call to mainposition: the sequence with that call occurs once) with
 * nops; a node holding a key and an empty value is also what a deletion leaves in 5.4, so lookups,
 * next and the GC treat it as absent.
 */
export function patchNewKeyNil(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  replaceExact(out, '0b 2003 2d0008 410f 71 45 0d03 2001 2002 109104', '0b 01010101010101010101 01 2001 2002 109104', 1, 'luaH_newkey nil value test');
  return out;
}

/**
 * Lua 5.1's `%` on numbers: `a - floor(a/b)*b` (luai_nummod). 5.4 computes `m = fmod(a, b)` and adds
 * b when m and b have opposite signs, so results differ for a negative exact multiple (5.1: 0,
 * 5.4: -0: `tostring(-6 % 3)`), an infinite divisor (5.1: nan, 5.4: a or b) and inexact operands
 * (`1 % 0.1`: 5.1 0, 5.4 0.1). Each inlined luai_nummod (`call fmod`, then the sign fix-up that
 * adds b) is replaced by `a - floor(a/b)*b` (f64.div, f64.floor, f64.mul, f64.sub) padded with
 * nops: in luaO_rawarith (constant folding and lua_arith, so also string operands) where a and b
 * are in locals 7 and 5 and the result goes to local 6, both blocks of the fix-up included; and
 * twice in luaV_execute (OP_MOD, OP_MODK, identical code) where a and b are on the stack and the
 * result goes to local 20 with the float tag 19 in local 2: the replacement sets both and branches
 * over the `m += b` that follows the inner block. math.fmod (its own call of fmod) is unchanged.
 */
export function patchMod51(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  const zero = '440000000000000000';
  // luaO_rawarith: block; block; local.get 7; local.get 5; call fmod; local.tee 6; (m > 0 ? b < 0 : m < 0 && ...) end; m += b; end
  replaceExact(out,
    `0240 0240 2007 2005 10cf04 2206 ${zero} 64 0440 2005 ${zero} 63 0d01 0c02 0b 2005 ${zero} 64 45 0d01 2006 ${zero} 63 45 0d01 0b 2006 2005 a0 2106 0b`,
    '2007 2007 2005 a3 9c 2005 a2 a1 2106', 1, 'luaO_rawarith mod');
  // luaV_execute OP_MOD/OP_MODK: (a, b on the stack) local.tee 21; call fmod; local.tee 20; fix-up ... up to the inner block's end
  replaceExact(out,
    `2215 10cf04 2214 ${zero} 64 0440 4113 2102 2015 ${zero} 63 0d01 0c02 0b 4113 2102 2015 ${zero} 64 45 0d01 2014 ${zero} 63 45 0d01`,
    // local.set 21 (b); local.tee 20 (a); a; b; f64.div; f64.floor; b; f64.mul; f64.sub; local.set 20; $2 = 19; br 1 (past m += b)
    '2115 2214 2014 2015 a3 9c 2015 a2 a1 2114 4113 2102 0c01', 2, 'luaV_execute OP_MOD');
  return out;
}

/**
 * Lua 5.1's float `for` loop start. 5.1's OP_FORPREP stores `idx = init - step` and jumps to
 * OP_FORLOOP, which adds step and runs the body while `0 < step ? idx <= limit : limit <= idx`: a
 * step of 0 is allowed (no pass when the start is below the limit, forever otherwise), a NaN start,
 * limit or step runs no pass, and the first value is `(init - step) + step` (not always init:
 * `for i = 0.1, 1, 0.7` starts at 0.09999999999999998, and -0 starts at 0). 5.4's forprep raises
 * "'for' step is zero", skips the loop only when `0 < step ? limit < init : init < limit` (so a NaN
 * runs one pass) and starts at init. Redust's loops are float loops (the front end makes every
 * number a double), so the float branch of forprep (init, limit, step in locals 22, 20, 21) is
 * rewritten in its 49 bytes: `local 22 = (init - step) + step`, no zero test, then 5.1's test on
 * it: `step > 0 ? (limit >= init ? run : skip) : (limit <= init ? run : skip)`, padded with nops
 * (the same branch targets: `br_if 1` to run, `br 21` / `br_if 20` to the skip). 5.4's
 * OP_FORLOOP for floats is already 5.1's. The integer branch (start and step both 5.4 integers,
 * e.g. keys from pairs) keeps 5.4's code: without its zero test it would divide by zero.
 */
export function patchForPrep51(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  const zero = '440000000000000000';
  replaceExact(out,
    // step == 0 -> error; block; if step > 0 { if !(limit < init) br 1 (run); br 21 (skip) } if limit > init br 20 (skip); end
    `2015 ${zero} 61 0d11 0240 2015 ${zero} 64 0440 2014 2016 63 45 0d01 0c15 0b 2014 2016 64 0d14 0b`,
    // init = (init - step) + step; block; if step > 0 { if limit >= init br 1; br 21 } if !(limit <= init) br 20; end
    `2016 2015 a1 2015 a0 2116 0240 2015 ${zero} 64 0440 2014 2016 66 0d01 0c15 0b 2014 2016 65 45 0d14 0b`,
    1, 'float forprep');
  return out;
}

/**
 * Lua 5.1 reads a numeric string as a C string: luaO_str2d stops at the first NUL, so `'5\0x'` is 5
 * wherever a string is taken as a number (`math.floor('5\0')` is 5, `string.sub('hello', '2\0')`
 * "ello"). 5.4's l_strton (inlined in luaV_tonumber_, lua_tointegerx and five times in
 * luaV_execute's `for` preparation) accepts the string only when luaO_str2num consumed all of it:
 * `luaO_str2num(s, &v) == tsslen(ts) + 1`, where luaO_str2num also stops at a NUL and returns the
 * bytes read + 1, or 0 for no number. At each site the comparison (`i32.const 1; i32.add; i32.ne`
 * after the block that loads the length) becomes `drop; i32.eqz`: the conversion fails only when
 * no number was read, as in 5.1. (lua_stringtonumber, used by 5.4's tonumber and the lexer, is not
 * changed; tonumber is the prelude's.) The sites differ only in their locals.
 * 5.1's strtod also reads `inf` and `nan` (`math.floor('inf')` is inf on Redis); 5.4's l_str2d
 * refuses a string containing `n` or `N`, found with `strpbrk(s, ".xXnN")`: that constant (unique in
 * the data segment, used only there) loses its `nN`, so such a string goes to strtod as any other
 * (the lexer never hands one over: a numeral starts with a digit or a dot, and a letter after it
 * is refused by the lexer itself).
 */
export function patchStrToNumber51(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  replaceExact(out, '2e78586e4e00', '2e7858000000', 1, 'l_str2d ".xXnN"'); // ".xXnN\0" -> ".xX\0\0\0"
  // call luaO_str2num; block (result i32); local.get s; i32.load; local.tee t; (t->shrlen if short, else t->u.lnglen); end; i32.const 1; i32.add; i32.ne
  const site = (s: string, t: string) => `10ac03 027f 20${s} 280200 22${t} 2d0004 4104 46 0440 20${t} 2d0007 0c01 0b 20${t} 28020c 0b`;
  for (const [s, t, count, what] of [
    ['01', '01', 1, 'lua_tointegerx'], ['00', '00', 1, 'luaV_tonumber_'], ['02', '05', 1, 'luaV_execute'],
    ['02', '08', 2, 'luaV_execute'], ['08', '05', 1, 'luaV_execute'], ['09', '05', 1, 'luaV_execute'],
  ] as const) {
    replaceExact(out, `${site(s, t)} 4101 6a 47`, `${site(s, t)} 1a 45`, count, `l_strton in ${what}`);
  }
  return out;
}

/** An unsigned LEB128 number of a wasm binary at `at`: [value, offset after it]. */
function readU32(bin: Buffer, at: number): [number, number] {
  let v = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bin[at++];
    v += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [v, at];
  }
}
/** A signed LEB128 (i32.const's immediate) as hex. */
function sLeb(v: number): string {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return Buffer.from(out).toString('hex');
    }
    out.push(b | 0x80);
  }
}
function u32Leb(v: number): Buffer {
  const out: number[] = [];
  do {
    const b = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? b | 0x80 : b);
  } while (v > 0);
  return Buffer.from(out);
}

/** A wasm module's sections (id, content), in order. */
function wasmSections(bin: Buffer): { id: number; body: Buffer }[] {
  const sections: { id: number; body: Buffer }[] = [];
  for (let at = 8; at < bin.length;) {
    const id = bin[at];
    const [size, p] = readU32(bin, at + 1);
    sections.push({ id, body: bin.subarray(p, p + size) });
    at = p + size;
  }
  return sections;
}
function sectionOf(sections: { id: number; body: Buffer }[], id: number): { id: number; body: Buffer } {
  const s = sections.find((x) => x.id === id);
  if (!s) throw new Error(`Lua wasm: section ${id} not found`);
  return s;
}

/**
 * The index the next function appended to a wasm module (appendFunction) gets: the imported
 * functions (kind 0 in the import section) come first in the index space, then the module's own.
 */
function nextFunctionIndex(bin: Buffer): number {
  const sections = wasmSections(bin);
  const imports = sectionOf(sections, 2).body;
  let [count, at] = readU32(imports, 0);
  let importedFunctions = 0;
  for (let i = 0; i < count; i++) {
    for (let name = 0; name < 2; name++) {
      const [n, p] = readU32(imports, at);
      at = p + n;
    }
    const kind = imports[at++];
    if (kind === 0) {
      importedFunctions++;
      at = readU32(imports, at)[1];
    } else if (kind === 1 || kind === 2) {
      if (kind === 1) at++; // reftype
      const flags = imports[at++];
      at = readU32(imports, at)[1];
      if (flags & 1) at = readU32(imports, at)[1];
    } else {
      at += 2; // global: valtype, mutability
    }
  }
  [count] = readU32(sectionOf(sections, 3).body, 0);
  return importedFunctions + count;
}

/**
 * Appends a function to a wasm module: its type (an existing one, found by its parameter and
 * result value types, e.g. [0x7f] for i32), its body's code in hex (ends with `0b`), after
 * `i32Locals` locals of type i32. The function section and the code section each get one entry at
 * their end, so no existing function changes its index; the new one's is nextFunctionIndex(bin).
 */
function appendFunction(bin: Buffer, params: number[], results: number[], code: string, i32Locals = 0): Buffer {
  const sections = wasmSections(bin);
  const types = sectionOf(sections, 1).body;
  let [count, at] = readU32(types, 0);
  let typeIndex = -1;
  for (let i = 0; i < count; i++) {
    const [np, pAt] = readU32(types, at + 1); // (0x60 first)
    const ps = [...types.subarray(pAt, pAt + np)];
    const [nr, rAt] = readU32(types, pAt + np);
    const rs = [...types.subarray(rAt, rAt + nr)];
    if (typeIndex < 0 && ps.join() === params.join() && rs.join() === results.join()) typeIndex = i;
    at = rAt + nr;
  }
  if (typeIndex < 0) throw new Error('Lua wasm: no such function type');
  const funcs = sectionOf(sections, 3);
  const [nFuncs, fAt] = readU32(funcs.body, 0);
  funcs.body = Buffer.concat([u32Leb(nFuncs + 1), funcs.body.subarray(fAt), u32Leb(typeIndex)]);
  const codes = sectionOf(sections, 10);
  const [nCodes, cAt] = readU32(codes.body, 0);
  const locals = i32Locals > 0 ? Buffer.from([1, ...u32Leb(i32Locals), 0x7f]) : Buffer.from([0]);
  const body = Buffer.concat([locals, Buffer.from(code.replace(/\s+/g, ''), 'hex')]);
  codes.body = Buffer.concat([u32Leb(nCodes + 1), codes.body.subarray(cAt), u32Leb(body.length), body]);
  const out = [bin.subarray(0, 8)];
  for (const s of sections) out.push(Buffer.from([s.id]), u32Leb(s.body.length), s.body);
  return Buffer.concat(out);
}

/**
 * Lua 5.1's array part for a table constructor: 5.1 stores the constructor's count of array items
 * in OP_NEWTABLE as a "floating point byte" (luaO_int2fb: 4 significant bits, rounded up), so a
 * constructor of more than 15 items gets more slots than items (17 make 18, 31 make 32), where 5.4
 * stores the exact count. The slots decide `#t` once holes are made: `local t = {1, ..., 17}
 * t[17] = nil t[9] = nil return #t` is 8 on Redis (18 slots, slot 18 empty: binary search), 16 in
 * 5.4 (17 slots, t[17] nil ends it). The end of 5.4's parser `constructor`, where
 * luaK_settablesize is inlined (the instruction's address in local 5 as `pc`, ra in local 1, the
 * count in local 0, the hash size's field `rb << 16` in local 4), becomes a call of an appended
 * function that rounds the count as luaO_fb2int(luaO_int2fb(n)) does, then writes both
 * instructions as luaK_settablesize: `ceil(n / 2^e) * 2^e` with e = max(0, bits(n) - 4),
 * computed as `((n - 1) | (0x0FFFFFFF >> clz(n))) + 1` (0 stays 0: the shift count 32 is taken
 * mod 32). The hash size is unchanged (5.1 rounds it to a power of 2 too). Compile time only.
 */
export function patchTableConstructor51(bin: Buffer): Buffer {
  const out = Buffer.from(bin);
  replaceExact(out,
    // local.get 5; i32.const 2; i32.shl; i32.add; local.tee 5; (the two stores of luaK_settablesize)
    '2005 4102 74 6a 2205 2000 418002 6d 4107 74 41d200 72 360204' +
    ' 2005 2001 4107 74 2000 4118 74 72 2000 41ff01 4a 410f 74 72 2004 72 4113 72 360200',
    // local.get 5; i32.const 2; i32.shl; i32.add; local.get 1; local.get 0; local.get 4; call
    `2005 4102 74 6a 2001 2000 2004 10${u32Leb(nextFunctionIndex(bin)).toString('hex')}`,
    1, 'constructor luaK_settablesize');
  return appendFunction(out, [0x7f, 0x7f, 0x7f, 0x7f], [], [
    // n = ((n - 1) | (0x0FFFFFFF >>> clz(n))) + 1
    '2002 4101 6b 41ffffffff00 2002 67 76 72 4101 6a 2102',
    // p[1] = OP_EXTRAARG (82) | (n / 256) << 7
    '2000 2002 4108 76 4107 74 41d200 72 360204',
    // p[0] = OP_NEWTABLE (19) | ra << 7 | k (n > 255) << 15 | rb << 16 | (n % 256) << 24
    '2000 2001 4107 74 2002 4118 74 72 2002 41ff01 4a 410f 74 72 2003 72 4113 72 360200',
    '0b',
  ].join(''));
}

/**
 * Lua 5.1's call depth limit. 5.1 keeps a thread's CallInfos in an array that doubles when full
 * and raises "stack overflow" when it would pass LUAI_MAXCALLS (20000): from 16384 entries to
 * 32768, so a fresh state overflows at 16384 nested calls (`local function f(n) if n == 0 then
 * return 0 end return 1 + f(n - 1) end return f(16383)` fails on Redis, f(16382) runs); the error
 * is raised with the array already grown (the message handler has room), and once the error is
 * caught the array is cut to 20000 entries, so later overflows come at 20000 calls. 5.4 keeps a
 * list of CallInfos that grows by one (luaE_extendCI, counting them in `L->nci`, a u16 at +8)
 * and only limits its value stack (1,000,000 slots: ~100,000 such calls). The two calls of
 * luaE_extendCI (in luaD_precall, when a thread reaches a new depth) go to an appended function
 * that calls it, then raises 5.1's error (luaG_runerror with the data segment's "stack overflow",
 * the tail of "C stack overflow") when the list has just reached 16385 CallInfos, or past 20000 at
 * every 64th (the list is not cut after an error, so a later recursion finds it longer: each 64th
 * keeps such a recursion within 64 calls of 5.1's 20000 and leaves the handler room). A list
 * longer than 16384 is not shrunk (luaE_shrinkCI, inlined at the end of luaD_shrinkstack, which
 * the GC calls, becomes an appended function that returns at once then, its code otherwise
 * copied as it is), so once a thread overflowed its later recursions meet the 20000 limit, as in
 * 5.1, whose array stays 20000 entries. The thread's first CallInfos are Redust's (the
 * coroutine's base, the script's function), as many as Redis's, so a script's recursion
 * overflows at Redis's depth. Calls at depths already reached cost nothing.
 */
export function patchCallDepth51(bin: Buffer): Buffer {
  // (luaE_extendCI is function 471, luaG_runerror 273, "stack overflow" at address 1367)
  const nci = '2000 2f0108'; // local.get 0; i32.load16_u offset=8
  const code = [
    '2000 10d703', // luaE_extendCI(L), its result left for the return
    // nci == 16385 | ((nci - 20001) & 63) == 0 & nci > 20000
    `${nci} 41${sLeb(16385)} 46 ${nci} 41${sLeb(20001)} 6b 413f 71 45 ${nci} 41${sLeb(20000)} 4b 71 72`,
    // if so: luaG_runerror(L, "stack overflow", NULL)
    '0440 2000 41d70a 4100 109102 00 0b',
    '0b',
  ].join('');
  // (the calls are redirected before the function, which calls luaE_extendCI too, is appended)
  const out = Buffer.from(bin);
  replaceExact(out, '2000 10d703', `2000 10${u32Leb(nextFunctionIndex(out)).toString('hex')}`, 2, 'luaE_extendCI calls');
  const out2 = appendFunction(out, [0x7f], [0x7f], code);
  // luaE_shrinkCI as inlined in luaD_shrinkstack (L in local 0, locals 1-4 its own; the loop frees
  // every other CallInfo after L->ci, decrementing L->nci, through the allocator's call_indirect)
  const shrink =
    '0240 2000 2201 280214 28020c 2200 45 0d00 2000 28020c 2203 45 0d00 0340 2000 2003 28020c 2202 36020c' +
    ' 2001 2001 2f0108 4101 6b 3b0108 2001 280210 2204 280204 2003 4124 4100 2004 280200 110100 1a 2004 2004' +
    ' 28020c 4124 6b 36020c 2002 45 0d01 2002 2000 360208 2002 2200 28020c 2203 0d00 0b 0b';
  replaceExact(out2, shrink, `2000 10${u32Leb(nextFunctionIndex(out2)).toString('hex')}`, 1, 'luaE_shrinkCI in luaD_shrinkstack');
  // the appended function: if (L->nci > 16384) return; then the same code (its end ends the function)
  return appendFunction(out2, [0x7f], [], `${nci} 41${sLeb(16384)} 4b 0440 0f 0b ${shrink} 0b`, 4);
}

/** The byte patches applied to glue.wasm when it is compiled, in order. */
const VM_PATCHES: ((bin: Buffer) => Buffer)[] = [
  patchNumberFormat, patchHashSeed, patchRehashOrder, patchNumberHash, patchLength51, patchNewKeyNil, patchMod51, patchForPrep51,
  patchStrToNumber51, patchTableConstructor51, patchCallDepth51,
];

let shared: LuaWasm | null = null;

/** Bytes of a one-function wasm module that re-exports an imported JS function with a C signature. */
function wrapperModuleBytes(params: number, result: boolean): Uint8Array {
  const type = [0x60, params, ...new Array(params).fill(0x7f), result ? 1 : 0, ...(result ? [0x7f] : [])];
  const typeSec = [1, ...type];
  const importSec = [1, 1, 0x65, 1, 0x66, 0, 0];
  const exportSec = [1, 1, 0x66, 0, 0];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    1, typeSec.length, ...typeSec,
    2, importSec.length, ...importSec,
    7, exportSec.length, ...exportSec,
  ]);
}

export class LuaWasm {
  readonly ex: LuaExports;
  private readonly table: WasmTable;
  private readonly fnCache: (((a: number, b: number) => void) | null)[] = [];
  /** Byte view of wasm memory (re-created when memory grows). */
  hb!: Buffer;
  u32!: Uint32Array;
  i32!: Int32Array;
  f64!: Float64Array;
  /** Scratch: a malloc'd area for strings pushed into Lua, and a size_t for lua_tolstring. */
  private scratch = 0;
  private scratchCap = 0;
  readonly lenPtr: number;
  private readonly cstrings = new Map<string, number>();
  private readonly cfnModule: any;
  private readonly hookModule: any;

  static get(): LuaWasm {
    return (shared ??= new LuaWasm());
  }

  private constructor() {
    if (!compiled) {
      const path = require.resolve('wasmoon/dist/glue.wasm');
      compiled = new WA.Module(VM_PATCHES.reduce<Buffer>((bin, patch) => patch(bin), fs.readFileSync(path)));
    }
    let ex: LuaExports | null = null;
    const self = this;
    const nosys = () => -52; // -ENOSYS
    const imports = {
      env: {
        abort: () => {
          throw new Error('Lua wasm aborted');
        },
        invoke_vii(idx: number, a: number, b: number) {
          const sp = ex!.stackSave();
          try {
            let f = self.fnCache[idx];
            if (!f) f = self.fnCache[idx] = self.table.get(idx) as (a: number, b: number) => void;
            f(a, b);
          } catch (e) {
            ex!.stackRestore(sp);
            if (e !== (e as number) + 0) throw e;
            ex!.setThrew(1, 0);
          }
        },
        strftime: () => 0,
        system: () => -1,
        exit: (code: number) => {
          throw new Error(`Lua wasm exit(${code})`);
        },
        emscripten_date_now: () => dateNow(),
        _emscripten_get_now_is_monotonic: () => 1,
        __syscall_openat: nosys,
        __syscall_fcntl64: nosys,
        __syscall_ioctl: nosys,
        __syscall_dup3: nosys,
        __syscall_unlinkat: nosys,
        __syscall_rmdir: nosys,
        __syscall_renameat: nosys,
        __syscall_readlinkat: nosys,
        _mktime_js: () => 0,
        _localtime_js: () => {},
        _gmtime_js: () => {},
        _tzset_js: () => {},
        emscripten_resize_heap: (requested: number) => {
          // (a size_t: an i32 here, negative from 2 GB on; read signed, a 3 GB request passed
          // the limit check and "succeeded" with a smaller heap, and dlmalloc then wrote past
          // the end of memory)
          requested >>>= 0;
          const mem = ex!.memory;
          const old = mem.buffer.byteLength;
          const max = 2 * 1024 * 1024 * 1024;
          if (requested > max) return 0;
          let target = Math.max(requested, Math.min(max, old + (old >>> 1)));
          target = Math.ceil(target / 65536) * 65536;
          try {
            mem.grow((target - old) / 65536);
          } catch {
            return 0;
          }
          self.refreshViews();
          return 1;
        },
        _emscripten_throw_longjmp: () => {
          throw Infinity;
        },
      },
      wasi_snapshot_preview1: {
        fd_write(fd: number, iov: number, iovcnt: number, pnum: number) {
          let n = 0;
          for (let i = 0; i < iovcnt; i++) {
            const p = self.u32[(iov >> 2) + i * 2];
            const l = self.u32[(iov >> 2) + i * 2 + 1];
            if (fd === 1 || fd === 2) process.stderr.write(self.hb.subarray(p, p + l));
            n += l;
          }
          self.u32[pnum >> 2] = n;
          return 0;
        },
        fd_read: (_fd: number, _iov: number, _cnt: number, pnum: number) => {
          self.u32[pnum >> 2] = 0;
          return 0;
        },
        fd_close: () => 0,
        environ_sizes_get: (pc: number, ps: number) => {
          self.u32[pc >> 2] = 0;
          self.u32[ps >> 2] = 0;
          return 0;
        },
        environ_get: () => 0,
        fd_seek: () => 70,
      },
    };
    const inst = new WA.Instance(compiled, imports );
    ex = inst.exports as unknown as LuaExports;
    this.ex = ex;
    this.table = ex.__indirect_function_table;
    this.refreshViews();
    ex.emscripten_stack_init();
    ex.__wasm_call_ctors();
    this.lenPtr = ex.malloc(8);
    this.cfnModule = new WA.Module(wrapperModuleBytes(1, true));
    this.hookModule = new WA.Module(wrapperModuleBytes(2, false));
    this.ensureScratch(4096);
  }

  refreshViews(): void {
    const buf = this.ex.memory.buffer;
    this.hb = Buffer.from(buf);
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  private ensureScratch(n: number): number {
    if (n > this.scratchCap) {
      if (this.scratch) this.ex.free(this.scratch);
      let cap = Math.max(4096, this.scratchCap * 2);
      while (cap < n) cap *= 2;
      this.scratch = this.ex.malloc(cap);
      this.scratchCap = cap;
    }
    return this.scratch;
  }

  /** A NUL-terminated constant string in wasm memory (allocated once, never freed). */
  cstr(s: string): number {
    let p = this.cstrings.get(s);
    if (p === undefined) {
      const b = Buffer.from(s, 'latin1');
      p = this.ex.malloc(b.length + 1);
      this.hb.set(b, p);
      this.hb[p + b.length] = 0;
      this.cstrings.set(s, p);
    }
    return p;
  }

  /** Register a JS function as a lua_CFunction; returns its function-table index. */
  cfunction(fn: (L: number) => number): number {
    const inst = new WA.Instance(this.cfnModule, { e: { f: fn } });
    const idx = this.table.grow(1);
    this.table.set(idx, inst.exports.f as any);
    return idx;
  }

  /** Register a JS function as a lua_Hook (void (lua_State*, lua_Debug*)). */
  hookFunction(fn: (L: number, ar: number) => void): number {
    const inst = new WA.Instance(this.hookModule, { e: { f: fn } });
    const idx = this.table.grow(1);
    this.table.set(idx, inst.exports.f as any);
    return idx;
  }

  // ------------------------------------------------------------ strings

  pushBuffer(L: number, b: Buffer): void {
    const n = b.length;
    const p = this.ensureScratch(n);
    copyAll(this.hb, p, b);
    this.ex.lua_pushlstring(L, p, n);
  }

  /** Push src[start, start + n) (e.g. a value in the engine's linear memory). */
  pushBytes(L: number, src: Uint8Array, start: number, n: number): void {
    const p = this.ensureScratch(n);
    copyRange(this.hb, p, src, start, n);
    this.ex.lua_pushlstring(L, p, n);
  }

  /** Push a latin1 JS string (1 char = 1 byte). */
  pushLatin1(L: number, s: string): void {
    const n = s.length;
    const p = this.ensureScratch(n);
    const hb = this.hb;
    // A loop beats latin1Write's native call for short strings (hash fields, list items...).
    if (n <= 32) for (let i = 0; i < n; i++) hb[p + i] = s.charCodeAt(i);
    else hb.latin1Write(s, p, n);
    this.ex.lua_pushlstring(L, p, n);
  }

  /** Push a JS string as UTF-8 (messages). */
  pushUtf8(L: number, s: string): void {
    this.pushBuffer(L, Buffer.from(s, 'utf8'));
  }

  pushBulk(L: number, v: Buffer | string): void {
    if (typeof v === 'string') this.pushLatin1(L, v);
    else this.pushBuffer(L, v);
  }

  /** Bytes of the string (or number, converted in place) at idx; null when not a string/number. */
  toBuffer(L: number, idx: number): Buffer | null {
    const p = this.ex.lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.u32[this.lenPtr >> 2];
    const out = Buffer.allocUnsafe(n);
    this.hb.copy(out, 0, p, p + n);
    return out;
  }

  /**
   * Copy the string (or number, converted in place) at idx into `into.buf` (grown to at least
   * twice its size when too small), its length into `into.len`: the natives' reused input
   * buffers. False when the value is not a string/number.
   */
  copyString(L: number, idx: number, into: { buf: Buffer; len: number }): boolean {
    const p = this.ex.lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return false;
    const n = this.u32[this.lenPtr >> 2];
    if (n > into.buf.length) into.buf = Buffer.allocUnsafe(Math.max(n, into.buf.length * 2));
    this.hb.copy(into.buf, 0, p, p + n);
    into.len = n;
    return true;
  }

  /** latin1 text of the string at idx; null when not a string/number. */
  toLatin1(L: number, idx: number): string | null {
    const p = this.ex.lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.u32[this.lenPtr >> 2];
    return this.hb.latin1Slice(p, p + n);
  }

  /**
   * The string at idx as Redis reads it with lua_tostring where it wants a C string (an error's
   * or a status reply's text, sdsnew): latin1 up to its first NUL; null when not a string/number.
   */
  toCString(L: number, idx: number): string | null {
    const p = this.ex.lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.u32[this.lenPtr >> 2];
    const z = this.hb.indexOf(0, p); // (found by p + n at the latest: Lua ends every string with a NUL)
    return this.hb.latin1Slice(p, z >= 0 && z < p + n ? z : p + n);
  }

  toUtf8(L: number, idx: number): string | null {
    const p = this.ex.lua_tolstring(L, idx, this.lenPtr);
    if (p === 0) return null;
    const n = this.u32[this.lenPtr >> 2];
    return this.hb.toString('utf8', p, p + n);
  }

  /** Compile a chunk; leaves the function (or the error message) on the stack. */
  load(L: number, code: Buffer, chunkname: string): number {
    const p = this.ex.malloc(code.length + 1);
    this.hb.set(code, p);
    const r = this.ex.luaL_loadbufferx(L, p, code.length, this.cstr(chunkname), this.cstr('t'));
    this.ex.free(p);
    return r;
  }

  getfield(L: number, idx: number, k: string): number {
    return this.ex.lua_getfield(L, idx, this.cstr(k));
  }

  setfield(L: number, idx: number, k: string): void {
    this.ex.lua_setfield(L, idx, this.cstr(k));
  }

  pop(L: number, n: number): void {
    this.ex.lua_settop(L, -n - 1);
  }
}
