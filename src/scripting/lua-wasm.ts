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
      compiled = new WA.Module(patchRehashOrder(patchHashSeed(patchNumberFormat(fs.readFileSync(path)))));
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
        emscripten_date_now: () => Date.now(),
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
