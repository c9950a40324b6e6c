/**
 * One sandboxed lua_State (Redis's lctx.lua or the functions engine's state): the prelude, the
 * natives (redis.call & co. as lua_CFunctions), the script runner and the Lua <-> RESP conversions.
 */
import crypto from 'crypto';
import {
  LuaWasm,
  LUA_MASKCOUNT,
  LUA_MASKLINE,
  LUA_REGISTRYINDEX,
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  LUA_TFUNCTION,
  LUA_TNONE,
  LUA_TYPE_NAMES,
  LUA_OK,
  LUA_YIELD,
} from './lua-wasm';
import { PRELUDE } from './prelude';
import { LIBS } from './libs';
import { cacheFunctions, fixMessage51, hoistFunctions, translate51, TICK_EVERY, TICK_NAME } from './lua51';
import { cjsonDecodeNative } from './json-decode';
import { cjsonEncodeNative } from './json-encode';
import { cmsgpackUnpackNative } from './msgpack-decode';
import { argBase, arrayPart, arraySize, bytesEqual, checkLayout, countTo, memOk, noHashPart, objectAt, plainArray, sameString, strAt, strLen, topSlot, TV_SIZE, TV_TT, VLNGSTR, VNUMFLT, VSHRSTR, vmBytes } from './lua-mem';

const TICK_BIG = BigInt(TICK_EVERY);
let callsToTick = TICK_EVERY;
import type { Reply } from '../protocol/reply';
import type { BulkSink } from '../engine/types';
import {
  BigNumberReply,
  DoubleReply,
  ErrorReply,
  MapReply,
  NULL,
  NULL_ARRAY,
  NULL_BULK,
  ReplyValue,
  SetReply,
  StatusReply,
  VerbatimReply,
} from '../protocol/value-reply';
import { formatDouble } from '../util/number';
import { copyRange } from '../util/bytes';
import { performance } from '../util/real-timers';

const NO_ARGS = 'ERR Please specify at least one argument for this redis lib call';
const BAD_ARG_TYPE = 'ERR Lua redis lib command arguments must be strings or integers';
/** The error of a run stopped by SCRIPT KILL / FUNCTION KILL (or its busy-time limit). */
const KILLED_BY_USER = 'ERR Script killed by user with SCRIPT KILL...';
/** The error of a FUNCTION LOAD whose top-level code ran past its limit (luaEngineLoadHook). */
const LOAD_TIMEOUT = 'ERR FUNCTION LOAD timeout';

/** What the natives need from the running script (set by the engine for each run). */
export interface RunHooks {
  /**
   * redis.call / redis.pcall: run argv on L's stack (empty); push the reply and return null, or
   * return the text of an error reply (nothing pushed).
   */
  call(argv: Buffer[], L: number): string | null;
  setResp(n: 2 | 3): void;
  log(level: number, msg: string): void;
  aclCheck(argv: Buffer[]): boolean | null;
}

export class ScriptKilled extends Error {}

/** What the engine's busy callback (Sandbox.onTimeout) tells tick() to do. */
export const BUSY_CONTINUE = 0;
export const BUSY_KILL = 1;
export const BUSY_YIELD = 2;

/** Natives are created once per wasm instance; they find the active sandbox through this. */
let active: Sandbox | null = null;
let natives: Record<string, number> | null = null;
/** cjson's and cmsgpack's natives (json-decode.ts, json-encode.ts, msgpack-decode.ts), registered once per wasm instance as the natives. */
let cjsonDecode: number | null = null;
let cjsonEncode: number | null = null;
let cmsgpackUnpack: number | null = null;
/** Redis's lrand48 state: one per server (Redis: per process), shared by its Lua states. */
export interface Rng {
  x: bigint;
}
export function newRng(): Rng {
  return { x: 0x1234abcd330en };
}
const fallbackRng = newRng();

const enc = new TextEncoder();

function errTableAndRaise(w: LuaWasm, L: number, msg: string): number {
  pushErrTable(w, L, msg);
  return w.ex.lua_error(L);
}

function pushErrTable(w: LuaWasm, L: number, msg: string): void {
  const ex = w.ex;
  ex.lua_createtable(L, 0, 2);
  w.pushUtf8(L, msg);
  w.setfield(L, -2, 'err');
}

/** luaL_error-like: a string error prefixed with the caller's position. */
function raiseWhere(w: LuaWasm, L: number, msg: string): number {
  w.ex.luaL_where(L, 1);
  w.pushUtf8(L, msg);
  w.ex.lua_concat(L, 2);
  return w.ex.lua_error(L);
}

/** A lua_Debug for argError (5.4's struct on wasm32 is 108 bytes: name at +4, namewhat at +8). */
let debugRecord = 0;
/**
 * 5.1's luaL_argerror for a JS C function: the name is the one the call site gives (`rawset`,
 * a local `r`, a field `t.r`), '?' when there is none (called straight from pcall: a C caller;
 * a metamethod),
 * and a method call does not count self. 5.4's own luaL_argerror would instead look the function
 * up in the loaded libraries and name it 'rawset' where 5.1 says '?'.
 */
function argError(w: LuaWasm, L: number, arg: number, extra: string): number {
  const ex = w.ex;
  if (debugRecord === 0) debugRecord = ex.malloc(128);
  if (ex.lua_getstack(L, 0, debugRecord) === 0) return raiseWhere(w, L, `bad argument #${arg} (${extra})`);
  ex.lua_getinfo(L, w.cstr('n'), debugRecord);
  const cString = (p: number) => (p === 0 ? null : w.hb.toString('latin1', p, w.hb.indexOf(0, p)));
  const namewhat = cString(w.u32[(debugRecord + 8) >>> 2]);
  // (5.4 names a metamethod, 'index'; 5.1 has no name for it)
  const name = namewhat === 'metamethod' ? '?' : cString(w.u32[(debugRecord + 4) >>> 2]) ?? '?';
  if (namewhat === 'method') {
    arg--;
    if (arg === 0) return raiseWhere(w, L, `calling '${name}' on bad self (${extra})`);
  }
  return raiseWhere(w, L, `bad argument #${arg} to '${name}' (${extra})`);
}

/** Small lua_Integer arguments (registry refs, array indexes) without a BigInt allocation each. */
const BIG: bigint[] = Array.from({ length: 4096 }, (_, i) => BigInt(i));
function big(i: number): bigint {
  return i >= 0 && i < 4096 ? BIG[i] : BigInt(i);
}

/**
 * Longest KEYS / ARGV whose table is reused between calls (setKeysAndArgv). With the C API the
 * check costs ~4 wasm calls per element: measured faster than a new table up to 2 elements (0: 120
 * vs 230 ns, 1: 250 vs 370, 2: 370 vs 440), slower from 4 (650 vs 580). Read from memory
 * (lua-mem.ts) it costs no wasm call, so tables up to REUSE_MAX_MEM are reused.
 */
const REUSE_MAX_API = 2;
const REUSE_MAX_MEM = 64;

/**
 * redis.call's short arguments (command names, field names, constant keys...): Buffers kept by the
 * address of the Lua string. Lua interns strings up to 40 bytes, so a script's `'GET'` or `'name'`
 * has one address while it lives; the bytes are compared on a hit (a freed string's address may be
 * reused for another). Nothing writes into argv Buffers (the engines copy what they store), so one
 * Buffer can be an argument of many calls. Direct-mapped, ARG_SLOTS entries of at most 40 bytes.
 */
const ARG_SLOTS = 256;
const argAddr = new Int32Array(ARG_SLOTS).fill(-1);
const argBuf: Buffer[] = new Array(ARG_SLOTS);

function shortArg(w: LuaWasm, p: number, n: number): Buffer {
  const slot = (p >>> 3) & (ARG_SLOTS - 1);
  if (argAddr[slot] === p) {
    const b = argBuf[slot];
    if (b.length === n && bytesEqual(w, p, b, n)) return b;
  }
  const hb = w.hb;
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = hb[p + i];
  argAddr[slot] = p;
  argBuf[slot] = b;
  return b;
}

/** Integral number arguments 0..1023 as text (shared like shortArg's Buffers). */
const SMALL_INT_ARG: Buffer[] = Array.from({ length: 1024 }, (_, i) => Buffer.from(String(i)));

/**
 * %.17g of a NaN as glibc prints it: "-nan" when its sign bit is set (0/0 on x86). JS numbers do not
 * keep a NaN's sign, so the text comes from Lua's own formatting of a copy of the value.
 */
function nanText(w: LuaWasm, L: number, idx: number): string {
  w.ex.lua_pushvalue(L, idx);
  const s = w.toLatin1(L, -1)!;
  w.ex.lua_settop(L, -2);
  return s;
}

/**
 * Read redis.call arguments 1..argc into Buffers. Null when a bad type. Strings up to 40 bytes
 * through shortArg's cache; longer ones one Buffer.allocUnsafe each (from Node's pool: cheaper
 * than a slab and a subarray view per argument).
 */
function bytesArg(w: LuaWasm, p: number, n: number): Buffer {
  if (n <= 40) return shortArg(w, p, n);
  const b = Buffer.allocUnsafe(n);
  w.hb.copy(b, 0, p, p + n);
  return b;
}

function readArgs(w: LuaWasm, L: number, argc: number, base: number): Buffer[] | null {
  const ex = w.ex;
  const argv: Buffer[] = new Array(argc);
  for (let i = 1; i <= argc; i++) {
    let t: number;
    if (base >= 0) {
      // The slot read from memory (lua-mem.ts): a string's bytes without lua_type/lua_tolstring.
      const slot = base + (i - 1) * TV_SIZE;
      const tag = w.hb[slot + TV_TT];
      if (tag === VSHRSTR || tag === VLNGSTR) {
        const p = strAt(w, slot, tag);
        argv[i - 1] = bytesArg(w, p, strLen.n);
        continue;
      }
      if (tag === VNUMFLT) {
        argv[i - 1] = numberArg(w, L, i, w.f64[slot >> 3]);
        continue;
      }
      t = tag & 15;
    } else t = ex.lua_type(L, i);
    if (t === LUA_TSTRING) {
      const p = ex.lua_tolstring(L, i, w.lenPtr);
      argv[i - 1] = bytesArg(w, p, w.u32[w.lenPtr >> 2]);
    } else if (t === LUA_TNUMBER) {
      if (ex.lua_isinteger(L, i)) {
        argv[i - 1] = Buffer.from(ex.lua_tointegerx(L, i, 0).toString(), 'latin1');
        continue;
      }
      argv[i - 1] = numberArg(w, L, i, ex.lua_tonumberx(L, i, 0));
    } else return null;
  }
  return argv;
}

/**
 * Other numbers' texts, kept by value (direct-mapped on the low 32 bits of the integer part): a
 * script passes the same TTLs, limits and timestamps on every call (`'PX', 30000`). Shared like
 * SMALL_INT_ARG's Buffers. Never 0 or -0 (equal as numbers, different texts) nor NaN (its text
 * depends on its sign bit).
 */
const NUM_SLOTS = 256;
const numVal = new Float64Array(NUM_SLOTS);
const numBuf: Buffer[] = new Array(NUM_SLOTS);

/** A float argument (stack index i, value d) as Redis formats it: %.17g. */
function numberArg(w: LuaWasm, L: number, i: number, d: number): Buffer {
  if (d >= 0 && d < 1024 && d === Math.floor(d) && !Object.is(d, -0)) return SMALL_INT_ARG[d];
  const slot = (d | 0) & (NUM_SLOTS - 1);
  if (numVal[slot] === d && d !== 0) return numBuf[slot];
  // Redis formats numbers with %.17g (lua_tolstring would lose precision).
  const s = d === d ? formatDouble(d) : nanText(w, L, i);
  const b = Buffer.allocUnsafe(s.length);
  for (let j = 0; j < s.length; j++) b[j] = s.charCodeAt(j);
  if (d === d && d !== 0) {
    numVal[slot] = d;
    numBuf[slot] = b;
  }
  return b;
}

function makeNatives(w: LuaWasm): Record<string, number> {
  const ex = w.ex;
  const callGeneric = (L: number, raise: boolean): number => {
    const sb = active;
    if (!sb || !sb.hooks) return errTableAndRaise(w, L, 'ERR redis.call/pcall can only be called inside a script invocation');
    // A long straight-line script of redis.calls has no loop check: tick every TICK_EVERY calls.
    if (--callsToTick < 0) {
      callsToTick = TICK_EVERY;
      sb.tick(L, false); // (no yield here: resuming would not run the call)
    }
    const base = memOk ? argBase(w, L) : -1;
    const argc = base >= 0 ? countTo(w, L, base) : ex.lua_gettop(L);
    if (argc === 0) {
      pushErrTable(w, L, NO_ARGS);
      return raise ? ex.lua_error(L) : 1;
    }
    const argv = readArgs(w, L, argc, base);
    ex.lua_settop(L, 0);
    if (!argv) {
      pushErrTable(w, L, BAD_ARG_TYPE);
      return raise ? ex.lua_error(L) : 1;
    }
    let err: string | null;
    try {
      err = sb.hooks.call(argv, L);
    } catch (e) {
      if (typeof e === 'number') throw e; // a Lua error (longjmp) raised while pushing the reply
      ex.lua_settop(L, 0);
      err = `ERR ${(e as Error).message}`;
    }
    if (err !== null) {
      pushErrTable(w, L, err);
      ex.lua_pushboolean(L, 1);
      w.setfield(L, -2, 'ignore_error_stats_update');
      return raise ? ex.lua_error(L) : 1;
    }
    return 1;
  };
  const n: Record<string, number> = {};
  n.call = w.cfunction((L) => callGeneric(L, true));
  n.pcall = w.cfunction((L) => callGeneric(L, false));
  n.sha1hex = w.cfunction((L) => {
    if (ex.lua_gettop(L) !== 1) return errTableAndRaise(w, L, 'ERR wrong number of arguments');
    const b = w.toBuffer(L, 1) ?? Buffer.alloc(0);
    w.pushLatin1(L, crypto.createHash('sha1').update(b).digest('hex'));
    return 1;
  });
  n.log = w.cfunction((L) => {
    const level = Number(ex.lua_tonumberx(L, 1, 0));
    const msg = w.toUtf8(L, 2) ?? '';
    active?.hooks?.log(level, msg);
    return 0;
  });
  n.setresp = w.cfunction((L) => {
    const v = ex.lua_tonumberx(L, 1, 0);
    const sb = active;
    if (!sb || !sb.hooks) return errTableAndRaise(w, L, 'ERR redis.setresp can only be called inside a script invocation');
    sb.hooks.setResp(v === 3 ? 3 : 2);
    return 0;
  });
  n.acl_check_cmd = w.cfunction((L) => {
    const sb = active;
    if (!sb || !sb.hooks) return errTableAndRaise(w, L, 'ERR redis.acl_check_cmd can only be called inside a script invocation');
    const argc = ex.lua_gettop(L);
    if (argc === 0) return errTableAndRaise(w, L, NO_ARGS);
    const argv = readArgs(w, L, argc, -1);
    if (!argv) return errTableAndRaise(w, L, BAD_ARG_TYPE);
    const ok = sb.hooks.aclCheck(argv);
    if (ok === null) return errTableAndRaise(w, L, 'ERR Invalid command passed to redis.acl_check_cmd()');
    ex.lua_pushboolean(L, ok ? 1 : 0);
    return 1;
  });
  // Redis's redisLrand48 (rand.c): one process-wide 48-bit LCG, never reseeded by SCRIPT FLUSH.
  n.lrand48 = w.cfunction((L) => {
    const g = active ? active.rng : fallbackRng;
    g.x = (0x5deece66dn * g.x + 0xbn) & 0xffffffffffffn;
    ex.lua_pushinteger(L, g.x >> 17n);
    return 1;
  });
  n.srand48 = w.cfunction((L) => {
    (active ? active.rng : fallbackRng).x = BigInt.asUintN(48, ex.lua_tointegerx(L, 1, 0));
    return 0;
  });
  // loadstring/load: the 5.1 front end; error handler and pcall: 5.1 wording of messages.
  n.translate = w.cfunction((L) => {
    // (a true second argument: the countdown as an upvalue, for a chunk at the 200-local limit)
    const upvalue = ex.lua_toboolean(L, 2) !== 0;
    ex.lua_settop(L, 1);
    const src = w.toLatin1(L, 1);
    if (src === null) return 1;
    const t = translate51(src, false, upvalue);
    if (t !== src) w.pushLatin1(L, t);
    return 1;
  });
  n.fixmsg = w.cfunction((L) => {
    const m = w.toLatin1(L, 1);
    if (m === null) return 1;
    const f = fixMessage51(m);
    if (f !== m) w.pushLatin1(L, f);
    return 1;
  });
  n.readonly = w.cfunction((L) => raiseWhere(w, L, 'Attempt to modify a readonly table'));
  n.nonexistent = w.cfunction((L) => {
    const name = w.toUtf8(L, 2) ?? '?';
    if (name === TICK_NAME) {
      ex.lua_pushcclosure(L, tick, 0);
      return 1;
    }
    return raiseWhere(w, L, `Script attempted to access nonexistent global variable '${name}'`);
  });
  // The time-limit check the front end puts in loop and function bodies (see lua51.ts).
  // Past busy-reply-threshold it may yield the script's coroutine back to JS (Sandbox.tick): the
  // resume passes the next countdown (Sandbox.resume), which this call then returns.
  const tick = w.cfunction((L) => {
    if (active !== null && active.tick(L)) return ex.lua_yieldk(L, 0, 0, 0);
    ex.lua_pushinteger(L, TICK_BIG);
    return 1;
  });
  n.rawset = w.cfunction((L) => {
    const sb = active;
    // (5.1's luaL_checktype(1, table), luaL_checkany(2), luaL_checkany(3))
    const t1 = ex.lua_type(L, 1);
    if (t1 !== LUA_TTABLE) return argError(w, L, 1, `table expected, got ${LUA_TYPE_NAMES[t1] ?? 'no value'}`);
    if (ex.lua_type(L, 2) === LUA_TNONE) return argError(w, L, 2, 'value expected');
    if (ex.lua_type(L, 3) === LUA_TNONE) return argError(w, L, 3, 'value expected');
    ex.lua_settop(L, 3);
    if (sb) {
      ex.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(sb.protRef));
      ex.lua_pushvalue(L, 1);
      ex.lua_rawget(L, -2);
      const prot = ex.lua_toboolean(L, -1);
      ex.lua_settop(L, 3);
      if (prot) {
        w.pushLatin1(L, 'Attempt to modify a readonly table');
        return ex.lua_error(L);
      }
    }
    ex.lua_rawset(L, 1);
    return 1;
  });
  return n;
}

/** Register a Lua-visible function that calls back into JS with (L) -> nresults. */
export function registerNative(w: LuaWasm, fn: (L: number) => number): number {
  return w.cfunction(fn);
}

export interface RunResult {
  ok: boolean;
}

/** LUAI_MAXCSTACK of Redis's Lua 5.1: the stack height at which luaToReply stops nesting. */
const LUA_STACK_LIMIT = 8000;

/** An aggregate being converted: 0 array (j = next index), 1 map (j = 1: key done), 2 set. */
interface ReplyFrame {
  kind: 0 | 1 | 2;
  /** The header reserved for the count (null: written already, `len` known). */
  d: ReturnType<Reply['deferred']> | null;
  n: number;
  j: number;
  h: number;
  /** An array (kind 0) read from memory: the table's address and its array part's size (0, 0: by lua_rawgeti only). */
  p: number;
  size: number;
  /** An array whose length was known when it started (its header written): its length, else -1. */
  len: number;
}

export class Sandbox {
  readonly w = LuaWasm.get();
  L: number;
  envRef = 0;
  rgRef = 0;
  errhRef = 0;
  envMtRef = 0;
  loadGlobalsRef = 0;
  protRef = 0;
  hooks: RunHooks | null = null;
  /** RESP version redis.call replies are converted with (redis.setresp). */
  resp: 2 | 3 = 2;
  private hookFn = 0;
  /** Time limit state for tick(). */
  private deadline = 0;
  private killed = false;
  /**
   * Called by tick() past the deadline: BUSY_CONTINUE, BUSY_KILL, or BUSY_YIELD (only when
   * `canYield`: the run then returns false and is continued by resume()).
   */
  onTimeout: ((canYield: boolean) => number) | null = null;
  /**
   * The coroutine top-level runs happen on (see run()), kept in the registry and reused: a run
   * that returns leaves it ready for the next one.
   */
  private readonly co: number;
  /** The coroutine (registry ref), CO_ERRH's handler, and lua_resume's result count slot. */
  private readonly coRef: number;
  private coErrhRef = 0;
  private readonly nresPtr: number;
  /** State of the top-level run on `co` (kept while it is suspended). */
  private yieldOk = false;
  private runOut: Reply | null = null;
  private runName = '';
  private prevActive: Sandbox | null = null;
  private closed = false;

  constructor(
    readonly rng: Rng,
    readonly extraNatives: Record<string, number> = {},
  ) {
    const w = this.w;
    const ex = w.ex;
    natives ??= makeNatives(w);
    const L = (this.L = ex.luaL_newstate());
    // Lua 5.1's `#` takes a table's length and ignores a __len metamethod (lvm.c OP_LEN); 5.4
    // calls it. Tables are the only values a script can give a metatable, so the event is
    // switched off: ltm.c finds it under the state's interned "__len" string, compared by address,
    // and that string is renamed in place ("\x01_len"), so the "__len" a script writes is another
    // string and an ordinary field, as in 5.1 (getmetatable(t).__len still reads it back).
    // The same for "__gc": 5.1 runs finalizers for userdata only, which scripts cannot make, where
    // 5.4 also runs a table's (`setmetatable({}, {__gc = f})`): f would run at some later
    // collection, inside another script or none, and could call redis.call there. (Nothing in
    // the state needs a finalizer: no files or C libraries are opened by scripts.)
    for (const event of ['__len', '__gc']) {
      w.pushLatin1(L, event);
      w.hb[ex.lua_tolstring(L, -1, w.lenPtr)] = 1;
      ex.lua_settop(L, -2);
    }
    ex.luaL_openlibs(L);
    // CO_ERRH's factory, given debug.getinfo before the prelude runs.
    if (w.load(L, Buffer.from(CO_ERRH), '=redust') !== 0) throw new Error('Lua coroutine error handler: ' + w.toLatin1(L, -1));
    ex.lua_getglobal(L, w.cstr('debug'));
    w.getfield(L, -1, 'getinfo');
    ex.lua_rotate(L, -2, 1);
    ex.lua_settop(L, -2);
    this.co = ex.lua_newthread(L);
    this.coRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.nresPtr = w.ex.malloc(4);
    // Prelude(natives, libs)
    if (w.load(L, Buffer.from(PRELUDE), '=redust') !== 0) throw new Error('Lua prelude: ' + w.toLatin1(L, -1));
    ex.lua_createtable(L, 0, 16);
    for (const [k, idx] of Object.entries({ ...natives, ...extraNatives })) {
      ex.lua_pushcclosure(L, idx, 0);
      w.setfield(L, -2, k);
    }
    w.pushLatin1(L, '7.0.15');
    w.setfield(L, -2, 'version');
    ex.lua_pushinteger(L, 0x07000fn);
    w.setfield(L, -2, 'version_num');
    // Libraries table: each lib chunk returns its module table.
    ex.lua_createtable(L, 0, 4);
    for (const [name, src] of Object.entries(LIBS)) {
      if (w.load(L, Buffer.from(src), '=lib') !== 0) throw new Error(`Lua lib ${name}: ` + w.toLatin1(L, -1));
      // cjson's chunk takes cjson.null (the light userdata NULL) and its native parser and
      // encoder; cmsgpack's its native decoder.
      let nargs = 0;
      if (name === 'cjson') {
        ex.lua_pushlightuserdata(L, 0);
        ex.lua_pushcclosure(L, (cjsonDecode ??= registerNative(w, cjsonDecodeNative(w))), 0);
        ex.lua_pushcclosure(L, (cjsonEncode ??= registerNative(w, cjsonEncodeNative(w))), 0);
        nargs = 3;
      } else if (name === 'cmsgpack') {
        ex.lua_pushcclosure(L, (cmsgpackUnpack ??= registerNative(w, cmsgpackUnpackNative(w))), 0);
        nargs = 1;
      }
      if (ex.lua_pcallk(L, nargs, 1, 0, 0, 0) !== 0) throw new Error(`Lua lib ${name}: ` + w.toLatin1(L, -1));
      w.setfield(L, -2, name);
    }
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.coRef)); // (the prelude's TOP)
    if (ex.lua_pcallk(L, 3, 6, 0, 0, 0) !== 0) throw new Error('Lua prelude: ' + w.toLatin1(L, -1));
    this.protRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.loadGlobalsRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.envMtRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.errhRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.rgRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.envRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    // stack: CO_ERRH factory, getinfo
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.errhRef));
    if (ex.lua_pcallk(L, 2, 1, 0, 0, 0) !== 0) throw new Error('Lua coroutine error handler: ' + w.toLatin1(L, -1));
    this.coErrhRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    this.hookFn = w.hookFunction((L2) => this.countHook(L2));
    // The global names KEYS and ARGV as Lua strings, kept in the registry: setGlobalArray pushes
    // them with one rawgeti instead of copying the name into wasm memory on every script call.
    w.pushLatin1(L, 'KEYS');
    this.keysNameRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    w.pushLatin1(L, 'ARGV');
    this.argvNameRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    ex.lua_settop(L, 0);
    checkLayout(w, L);
  }
  private readonly keysNameRef: number;
  private readonly argvNameRef: number;

  /** The bytes this Lua state holds (lua-mem.ts vmBytes; 0 if its layout was not confirmed). */
  memoryBytes(): number {
    return vmBytes(this.w, this.L);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (active === this) active = null;
    this.w.ex.lua_close(this.L);
  }

  /**
   * Compile `code` as a chunk whose _ENV is the sandbox. Returns a registry ref of the function,
   * or the Lua error message.
   */
  compile(code: Buffer, chunkname: string, lua51 = true): number | string {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    const src = code.latin1Slice(0, code.length);
    // (lua51 false: bench/scripting.ts measures the front end.) An EVAL script's one result: see translate51.
    const oneResult = lua51 && chunkname === '@user_script';
    const t = lua51 ? translate51(src, oneResult) : src;
    if (w.load(L, t === src ? code : Buffer.from(t, 'latin1'), chunkname) !== 0) {
      let msg = fixMessage51(w.toCString(L, -1) ?? 'unknown error');
      ex.lua_settop(L, 0);
      // At Lua's 200-local limit the front end's counter local is one too many: as an upvalue.
      if (lua51 && msg.includes('main function has more than 200 local variables')) {
        if (w.load(L, Buffer.from(translate51(src, oneResult, true), 'latin1'), chunkname) === 0) return this.chunkRef();
        ex.lua_settop(L, 0);
      }
      if (oneResult) {
        // A syntax error inside a wrapped return would be reported near the ')' we added: the
        // message comes from the chunk as the script wrote it.
        const plain = translate51(src);
        if (w.load(L, plain === src ? code : Buffer.from(plain, 'latin1'), chunkname) !== 0) msg = fixMessage51(w.toCString(L, -1) ?? 'unknown error');
        ex.lua_settop(L, 0);
      }
      return msg;
    }
    const ref = this.chunkRef();
    const hoisted = oneResult ? (hoistFunctions(t) ?? cacheFunctions(t)) : null;
    return hoisted === null ? ref : this.hoistedRef(ref, hoisted, chunkname);
  }

  /**
   * An EVAL script whose local functions are made once (lua51.ts, hoistFunctions and
   * cacheFunctions): the rewritten chunk `hoisted` is compiled and run once, and its result (the
   * body as a function) is what each run calls. `ref` (the chunk as written, already compiled: its compile errors are the
   * script's) is kept when anything fails.
   */
  private hoistedRef(ref: number, hoisted: string, chunkname: string): number {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    if (w.load(L, Buffer.from(hoisted, 'latin1'), chunkname) !== 0) {
      ex.lua_settop(L, 0);
      return ref;
    }
    const outer = this.chunkRef();
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(outer));
    const ok = ex.lua_pcallk(L, 0, 1, 0, 0, 0) === LUA_OK && ex.lua_type(L, -1) === LUA_TFUNCTION;
    this.unref(outer);
    if (!ok) {
      ex.lua_settop(L, 0);
      return ref;
    }
    this.unref(ref);
    return ex.luaL_ref(L, LUA_REGISTRYINDEX);
  }

  /** The loaded chunk on top of the stack: its first upvalue (_ENV) set to the sandbox env, referenced. */
  private chunkRef(): number {
    const ex = this.w.ex;
    ex.lua_rawgeti(this.L, LUA_REGISTRYINDEX, big(this.envRef));
    setUpvalue1(this.w, this.L, -2);
    return ex.luaL_ref(this.L, LUA_REGISTRYINDEX);
  }

  unref(ref: number): void {
    this.w.ex.luaL_unref(this.L, LUA_REGISTRYINDEX, ref);
  }

  /**
   * Set the globals KEYS = argv[from, from + numkeys) and ARGV = the rest (in RG), as Redis does
   * for every call with new tables (a script may modify them).
   *
   * A new table costs a lua_createtable (~90 ns, most of it allocation and GC) per global per call,
   * so the previous call's table is reused when no script can tell: a script cannot keep a
   * reference to it past its call (globals and every table reachable from them are read-only, as in
   * Redis 7.0), so only its contents matter. It is reused when it holds exactly the keys 1..n in
   * order with n the new length, and has no metatable (checked with lua_next; any other key, a
   * missing key or a metatable and a new table is made); the values 1..n are then overwritten. Not
   * when a script runs inside a script (the outer one still sees its tables) or n > REUSE_MAX.
   * The check reads the table in wasm memory (lua-mem.ts plainArray: no metatable, no hash part,
   * array slots 1..n set and the rest empty), with lua_next only when a hash part exists. A reused
   * table is already the global (it was set when made, and nothing else sets KEYS/ARGV but a
   * nested run, which makes the next call make new tables), so only its values are written.
   */
  setKeysAndArgv(argv: Buffer[], from: number, numkeys: number): void {
    this.setGlobalArray(0, this.keysNameRef, argv, from, from + numkeys);
    this.setGlobalArray(1, this.argvNameRef, argv, from + numkeys, argv.length);
  }

  /** Registry refs of the tables the last run got as KEYS (0) and ARGV (1), their addresses and lengths (-1: none). */
  private readonly arrRef = [0, 0];
  private readonly arrPtr = [0, 0];
  private readonly arrLen = [-1, -1];
  /** Nesting of run(): a script run from a script must not reuse the outer one's tables. */
  private running = 0;

  private setGlobalArray(slot: number, nameRef: number, items: Buffer[], from: number, to: number): void {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    const n = to - from;
    if (this.running === 0 && n === this.arrLen[slot]) {
      let plain = memOk ? plainArray(w, this.arrPtr[slot], n) : -1;
      // (1..n are the array part's first slots only when plainArray said so)
      const arr = plain === 1 ? arrayPart(w, this.arrPtr[slot]) : 0;
      if (plain === -1) {
        plain = this.pristine(this.arrRef[slot], n) ? 1 : 0;
        if (plain === 1) ex.lua_settop(L, -2);
      }
      if (plain === 1) {
        // Values already equal to the new ones (the same keys as the last call: a string has no
        // identity in Lua) are left in place (read from memory: the array part cannot move here,
        // rawseti into it never resizes the table).
        let pushed = false;
        for (let i = from, j = 1; i < to; i++, j++) {
          if (arr !== 0 && sameString(w, arr + (j - 1) * TV_SIZE, items[i])) continue;
          if (!pushed) {
            ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.arrRef[slot]));
            pushed = true;
          }
          w.pushBuffer(L, items[i]);
          ex.lua_rawseti(L, -2, BIG[j]);
        }
        if (pushed) ex.lua_settop(L, -2);
        return;
      }
    }
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.rgRef));
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(nameRef));
    this.pushArray(items, from, to);
    if (this.running !== 0 || n > (memOk ? REUSE_MAX_MEM : REUSE_MAX_API)) this.arrLen[slot] = -1;
    else {
      ex.lua_pushvalue(L, -1);
      if (this.arrRef[slot] === 0) this.arrRef[slot] = ex.luaL_ref(L, LUA_REGISTRYINDEX);
      else ex.lua_rawseti(L, LUA_REGISTRYINDEX, big(this.arrRef[slot]));
      this.arrPtr[slot] = ex.lua_topointer(L, -1);
      this.arrLen[slot] = n;
    }
    ex.lua_rawset(L, -3);
    ex.lua_settop(L, -2);
  }

  /**
   * Push the table at registry `ref` and say whether it holds exactly the keys 1..n (in traversal
   * order) and no metatable; when not, nothing is left pushed.
   */
  private pristine(ref: number, n: number): boolean {
    const ex = this.w.ex;
    const L = this.L;
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
    if (ex.lua_getmetatable(L, -1) !== 0) {
      ex.lua_settop(L, -3);
      return false;
    }
    ex.lua_pushnil(L);
    let k = 0;
    while (ex.lua_next(L, -2) !== 0) {
      // stack: t, key, value
      if (k === n || ex.lua_type(L, -2) !== LUA_TNUMBER || ex.lua_tonumberx(L, -2, 0) !== k + 1) {
        ex.lua_settop(L, -4);
        return false;
      }
      k++;
      ex.lua_settop(L, -2);
    }
    if (k !== n) {
      ex.lua_settop(L, -2);
      return false;
    }
    return true;
  }

  pushArray(items: Buffer[], from: number, to: number, L = this.L): void {
    const w = this.w;
    const ex = w.ex;
    ex.lua_createtable(L, to - from, 0);
    for (let i = from, j = 1; i < to; i++, j++) {
      w.pushBuffer(L, items[i]);
      ex.lua_rawseti(L, -2, j < 4096 ? BIG[j] : BigInt(j));
    }
  }

  /**
   * The front end's time-limit check (lua51.ts: every TICK_EVERY loop iterations or function
   * calls). Past the deadline (busy-reply-threshold) `onTimeout` runs on every tick: it serves other
   * clients (BUSY replies, SCRIPT KILL) and returns true to kill the script.
   */
  tick(L: number, mayYield = true): boolean {
    if (!this.killed && this.deadline > 0 && performance.now() > this.deadline) {
      // A yield must land in run()/resume(): only on our coroutine (not one the script made), and
      // not across a C call that cannot be continued (table.sort's comparator...).
      const canYield = mayYield && this.yieldOk && L === this.co && this.w.ex.lua_isyieldable(L) !== 0;
      const r = this.onTimeout ? this.onTimeout(canYield) : BUSY_KILL;
      if (r === BUSY_YIELD) return true;
      if (r === BUSY_KILL) this.requestKill();
    }
    if (this.killed) this.raiseKilled(L);
    return false;
  }

  /** The per-line hook of a killed script: raises until the script ends (pcall cannot swallow it). */
  private countHook(L: number): void {
    if (this.killed) this.raiseKilled(L);
  }

  /** The deadline of the next run (no hook: the front end's checks call tick()). */
  private armDeadline(timeLimitMs: number, now = -1): void {
    this.deadline = timeLimitMs > 0 ? (now >= 0 ? now : performance.now()) + timeLimitMs : 0;
  }
  /** Remove the hooks (after a kill, whose per-line hook must not outlive the script). */
  private disarm(): void {
    this.w.ex.lua_sethook(this.L, 0, 0, 0);
    this.w.ex.lua_sethook(this.co, 0, 0, 0);
  }

  /** SCRIPT KILL / FUNCTION KILL: the running script raises at its next hook call. */
  requestKill(): void {
    if (this.killed) return;
    this.killed = true;
    // Fire on every line from now on so a pcall in the script cannot swallow the kill.
    // (Hooks are per thread: the main state's for nested runs, the coroutine's for the top level.)
    this.w.ex.lua_sethook(this.L, this.hookFn, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    this.w.ex.lua_sethook(this.co, this.hookFn, LUA_MASKLINE | LUA_MASKCOUNT, 1);
  }

  /** The error a killed run raises: SCRIPT KILL's, or the load timeout's while runLoad runs. */
  private killError = KILLED_BY_USER;

  private raiseKilled(L: number): void {
    pushErrTable(this.w, L, this.killError);
    this.w.ex.lua_error(L);
  }

  /**
   * Run the function at registry `ref` with the error handler, optionally passing KEYS/ARGV tables
   * as arguments (function mode). On success writes the converted result into `out`; on error
   * writes the formatted error. `funcname` is what Redis prints after "script: ". Returns true
   * once the run ended; false when a top-level run with `mayYield` yielded past the deadline
   * (tick(): BUSY_YIELD), to be continued with resume().
   */
  run(ref: number, out: Reply, funcname: string, args: { keys: Buffer[]; argv: Buffer[]; numkeys: number } | null, timeLimitMs: number, argsBase = 0, startedAt = -1, mayYield = false): boolean {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    const prevActive = active;
    active = this;
    this.killed = false;
    this.resp = 2;
    this.armDeadline(timeLimitMs, startedAt);
    if (this.running++ === 0) {
      // Top level: resumed on the coroutine, so that a busy script can yield (tick) and be resumed
      // later. No message handler on the hot path: an error leaves the dead coroutine's stack in
      // place, and CO_ERRH reads the position from it (see continueRun).
      const co = this.co;
      this.yieldOk = mayYield;
      this.runOut = out;
      this.runName = funcname;
      this.prevActive = prevActive;
      ex.lua_rawgeti(co, LUA_REGISTRYINDEX, big(ref));
      let nargs = 0;
      if (args) {
        this.pushArray(args.keys, argsBase, argsBase + args.numkeys, co);
        this.pushArray(args.argv, argsBase + args.numkeys, args.argv.length, co);
        nargs = 2;
      }
      return this.continueRun(nargs);
    }
    // A script run from a script (the coroutine is busy): a plain protected call.
    try {
      ex.lua_settop(L, 0);
      ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.errhRef));
      ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
      let nargs = 0;
      if (args) {
        this.pushArray(args.keys, argsBase, argsBase + args.numkeys);
        this.pushArray(args.argv, argsBase + args.numkeys, args.argv.length);
        nargs = 2;
      }
      const err = ex.lua_pcallk(L, nargs, 1, 1, 0, 0);
      if (this.killed) this.disarm();
      if (err !== 0) this.replyError(out, funcname);
      else this.luaToReply(out);
    } finally {
      this.running--;
      ex.lua_settop(L, 0);
      active = prevActive;
      this.deadline = 0;
    }
    return true;
  }

  /** Continue a top-level run that yielded: false when it yielded again, true once it ended (reply written). */
  resume(): boolean {
    this.prevActive = active;
    active = this;
    this.w.ex.lua_pushinteger(this.co, TICK_BIG); // what the yielding tick() call returns
    return this.continueRun(1);
  }

  /** Whether a top-level run is suspended (yielded, not ended). */
  get suspended(): boolean {
    return this.runOut !== null && this.running > 0;
  }

  private continueRun(nargs: number): boolean {
    const w = this.w;
    const ex = w.ex;
    const co = this.co;
    const L = this.L;
    let st: number;
    try {
      st = ex.lua_resume(co, L, nargs, this.nresPtr);
    } catch (e) {
      ex.lua_resetthread(co);
      ex.lua_settop(co, 0);
      this.endRun();
      throw e;
    }
    if (st === LUA_YIELD) {
      active = this.prevActive;
      return false;
    }
    const out = this.runOut!;
    try {
      if (this.killed) this.disarm();
      if (st === LUA_OK) {
        // The script's results are the coroutine's stack: its first (or nil). (L is empty.)
        if (w.u32[this.nresPtr >> 2] !== 1) ex.lua_settop(co, 1);
        ex.lua_xmove(co, L, 1);
        this.luaToReply(out);
      } else {
        // CO_ERRH(co, error) on the main state, then the dead coroutine is reset for reuse.
        ex.lua_settop(L, 0);
        ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.coErrhRef));
        ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.coRef));
        ex.lua_xmove(co, L, 1);
        if (ex.lua_pcallk(L, 2, 1, 0, 0, 0) !== 0) {
          ex.lua_settop(L, 0);
          w.pushLatin1(L, 'error in error handling');
        }
        ex.lua_resetthread(co);
        ex.lua_settop(co, 0); // (5.4.4's reset leaves an error object)
        this.replyError(out, this.runName);
      }
    } finally {
      this.endRun();
    }
    return true;
  }

  /** The end of a top-level run (the coroutine is empty: it returned, or was reset). */
  private endRun(): void {
    this.running--;
    this.w.ex.lua_settop(this.L, 0);
    active = this.prevActive;
    this.prevActive = null;
    this.deadline = 0;
    this.yieldOk = false;
    this.runOut = null;
  }

  /** Call a function ref with no error formatting (FUNCTION LOAD body). Returns error text or null. */
  runLoad(ref: number, timeLimitMs: number): { err: string } | null {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    const prevActive = active;
    active = this;
    this.killed = false;
    this.armDeadline(timeLimitMs);
    // Past the limit the load is stopped (no BUSY state) with luaEngineLoadHook's error.
    const prevTimeout = this.onTimeout;
    this.onTimeout = null;
    this.killError = LOAD_TIMEOUT;
    try {
      ex.lua_settop(L, 0);
      ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(this.errhRef));
      ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
      const err = ex.lua_pcallk(L, 0, 0, 1, 0, 0);
      if (this.killed) this.disarm();
      if (err === 0) return null;
      return { err: this.errorInfo().msg };
    } finally {
      ex.lua_settop(L, 0);
      active = prevActive;
      this.deadline = 0;
      this.onTimeout = prevTimeout;
      this.killError = KILLED_BY_USER;
    }
  }

  isKilled(): boolean {
    return this.killed;
  }

  /** luaExtractErrorInformation on the value at the top of the stack. */
  private errorInfo(): { msg: string; source: string | null; line: string | null; noStats: boolean } {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    if (ex.lua_type(L, -1) !== LUA_TTABLE) {
      const s = ex.lua_isstring(L, -1) ? w.toCString(L, -1) : null;
      return { msg: s !== null ? 'ERR ' + s : 'ERR unknown error', source: null, line: null, noStats: false };
    }
    const field = (k: string): string | null => {
      w.getfield(L, -1, k);
      const v = ex.lua_isstring(L, -1) ? w.toCString(L, -1) : null;
      ex.lua_settop(L, -2);
      return v;
    };
    // ignore_error_stats_update: a redis.call error, counted where it arose (see Reply.error).
    w.getfield(L, -1, 'ignore_error_stats_update');
    const noStats = ex.lua_toboolean(L, -1) !== 0;
    ex.lua_settop(L, -2);
    return { msg: field('err') ?? 'ERR unknown error', source: field('source'), line: field('line'), noStats };
  }

  private replyError(out: Reply, funcname: string): void {
    const ex = this.w.ex;
    const L = this.L;
    if (ex.lua_type(L, -1) !== LUA_TTABLE) {
      const msg = ex.lua_isstring(L, -1) ? (this.w.toCString(L, -1) ?? '') : 'execution failure';
      out.error(`ERR Error running script ${funcname}, ${msg.slice(0, 100)}`);
      return;
    }
    const info = this.errorInfo();
    // (luaCallFunction writes "-" + err: an err of its own starting with '-' keeps it, "--ERR x")
    let msg = info.msg;
    if (info.line !== null && info.source !== null) msg += ` script: ${funcname}, on ${info.source}:${info.line}.`;
    out.error(msg, info.noStats);
  }

  // ------------------------------------------------------------ Lua -> RESP

  /**
   * luaReplyToRedisReply: convert and pop the value at the top of the stack. `h` is the height
   * Redis's Lua 5.1 stack would have here (error handler + result = 2 at the top level, +1 per
   * array level, +3 per map value, +4 per map key, +3 per set member): like Redis, a value that would
   * need more than LUAI_MAXCSTACK (8000) slots ends the nesting with "reached lua stack limit".
   */
  private readonly frames: ReplyFrame[] = [];
  luaToReply(out: Reply, h = 2): void {
    // Iterative (an explicit stack of open aggregates): nesting is bounded by Redis's Lua stack
    // limit (~8000 levels), deeper than the JS stack allows for recursion.
    // One frame stack kept between calls (a conversion writes only to `out`: it cannot start another).
    const frames = this.frames;
    if (frames.length !== 0) frames.length = 0;
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    const sink = (out as Partial<BulkSink>).bulkBytes !== undefined ? (out as unknown as BulkSink) : null;
    this.enter(out, h, frames);
    while (frames.length > 0) {
      const f = frames[frames.length - 1];
      if (f.kind === 0) {
        if (f.j > f.len && f.len >= 0) {
          ex.lua_settop(L, -2);
          frames.pop();
          continue;
        }
        // Elements in the array part read from memory (lua-mem.ts): a string or a float is written
        // straight to `out`, nil ends the array, with no lua_rawgeti/lua_type/lua_settop per element
        // (nothing here runs Lua code or moves the table). Anything else (a table, a boolean), an
        // element past the array part, or one at enter()'s stack limit takes the path below.
        if (f.j <= f.size && f.h + 5 <= LUA_STACK_LIMIT) {
          const slot = arrayPart(w, f.p) + (f.j - 1) * TV_SIZE;
          const tag = w.hb[slot + TV_TT];
          if ((tag & 15) === 0) {
            ex.lua_settop(L, -2);
            out.setArrayLen(f.d!, f.n);
            frames.pop();
            continue;
          }
          if (sink !== null && (tag === VSHRSTR || tag === VLNGSTR)) {
            const p = strAt(w, slot, tag);
            sink.bulkBytes(w.hb, p, strLen.n);
            f.j++;
            f.n++;
            continue;
          }
          if (tag === VNUMFLT) {
            out.int(doubleToLongLong(w.f64[slot >> 3]));
            f.j++;
            f.n++;
            continue;
          }
        }
        ex.lua_rawgeti(L, -1, big(f.j++));
        if (ex.lua_type(L, -1) === LUA_TNIL) {
          ex.lua_settop(L, -3);
          out.setArrayLen(f.d!, f.n);
          frames.pop();
          continue;
        }
        f.n++;
        this.enter(out, f.h + 1, frames);
      } else if (f.kind === 1) {
        if (f.j === 1) {
          f.j = 0;
          this.enter(out, f.h + 3, frames); // the value
        } else if (ex.lua_next(L, -2)) {
          ex.lua_pushvalue(L, -2);
          f.n++;
          f.j = 1;
          this.enter(out, f.h + 4, frames); // the key
        } else {
          out.setMapLen(f.d!, f.n);
          ex.lua_settop(L, -3);
          frames.pop();
        }
      } else if (ex.lua_next(L, -2)) {
        ex.lua_settop(L, -2);
        ex.lua_pushvalue(L, -1);
        f.n++;
        this.enter(out, f.h + 3, frames);
      } else {
        out.setSetLen(f.d!, f.n);
        ex.lua_settop(L, -3);
        frames.pop();
      }
    }
  }

  /** Convert and pop a scalar at the top; for an aggregate, open a frame and leave it on the stack. */
  private enter(out: Reply, h: number, frames: ReplyFrame[]): void {
    const w = this.w;
    const ex = w.ex;
    const L = this.L;
    // The value's tag from memory (lua-mem.ts) saves a lua_type, and for a string a lua_tolstring.
    const slot = memOk ? topSlot(w, L) : 0;
    const tag = memOk ? w.hb[slot + TV_TT] : -1;
    const t = memOk ? tag & 15 : ex.lua_type(L, -1);
    // (Only a table needs stack room: lua_checkstack for scalars too cost a wasm call per value.)
    if (h + 4 > LUA_STACK_LIMIT || (t === LUA_TTABLE && !ex.lua_checkstack(L, 4))) {
      out.error('ERR reached lua stack limit');
      ex.lua_settop(L, -2);
      return;
    }
    switch (t) {
      case LUA_TSTRING:
        if ((out as Partial<BulkSink>).bulkBytes !== undefined) {
          // Straight from wasm memory into the client's output buffer (RespWriter).
          if (tag === VSHRSTR || tag === VLNGSTR) {
            const p = strAt(w, slot, tag);
            (out as unknown as BulkSink).bulkBytes(w.hb, p, strLen.n);
          } else {
            const p = ex.lua_tolstring(L, -1, w.lenPtr);
            (out as unknown as BulkSink).bulkBytes(w.hb, p, w.u32[w.lenPtr >> 2]);
          }
        } else out.bulk(w.toBuffer(L, -1)!);
        break;
      case LUA_TBOOLEAN:
        if (this.resp === 2) {
          if (ex.lua_toboolean(L, -1)) out.int(1);
          else out.nil();
        } else out.bool(ex.lua_toboolean(L, -1) !== 0);
        break;
      case LUA_TNUMBER:
        if (ex.lua_isinteger(L, -1)) out.int(bigToNum(ex.lua_tointegerx(L, -1, 0)));
        else out.int(doubleToLongLong(ex.lua_tonumberx(L, -1, 0)));
        break;
      case LUA_TTABLE: {
        // A table without a hash part has no string key (err, ok, map...): an array, known from
        // memory without the seven field lookups (4 wasm calls each). Its elements are its array
        // part's up to the first nil (no hash part: nothing after it), so its length is known and
        // its header written now (no reserved header to patch, which moves what follows).
        const tp = memOk ? objectAt(w, topSlot(w, L)) : 0;
        if (tp !== 0 && noHashPart(w, tp)) {
          const size = arraySize(w, tp);
          const arr = arrayPart(w, tp);
          let len = 0;
          while (len < size && (w.hb[arr + len * TV_SIZE + TV_TT] & 15) !== 0) len++;
          out.array(len);
          frames.push({ kind: 0, d: null, n: 0, j: 1, h, p: tp, size, len });
          return;
        }
        if (this.tableField('err') === LUA_TSTRING) {
          ex.lua_settop(L, -2);
          const info = this.errorInfo();
          out.error(info.msg, info.noStats); // (as Redis: "-" + err, so an err starting with '-' shows "--")
          break;
        }
        ex.lua_settop(L, -2);
        if (this.tableField('ok') === LUA_TSTRING) {
          out.simple(w.toCString(L, -1)!.replace(/[\r\n]/g, ' '));
          ex.lua_settop(L, -3);
          return;
        }
        ex.lua_settop(L, -2);
        if (this.tableField('double') === LUA_TNUMBER) {
          const d = ex.lua_tonumberx(L, -1, 0);
          if (d === d) out.double(d);
          else out.double(d, nanText(w, L, -1));
          ex.lua_settop(L, -3);
          return;
        }
        ex.lua_settop(L, -2);
        if (this.tableField('big_number') === LUA_TSTRING) {
          out.bigNumber(w.toLatin1(L, -1)!.replace(/[\r\n]/g, ' '));
          ex.lua_settop(L, -3);
          return;
        }
        ex.lua_settop(L, -2);
        if (this.tableField('verbatim_string') === LUA_TTABLE) {
          if (this.tableField('format') === LUA_TSTRING) {
            const format = w.toLatin1(L, -1)!;
            if (this.tableField('string', -2) === LUA_TSTRING) {
              // (addReplyVerbatim: 3 bytes of the C string, spaces after its end)
              const z = format.indexOf('\0');
              out.verbatim(w.toLatin1(L, -1)!, ((z < 0 ? format : format.slice(0, z)) + '   ').slice(0, 3));
              ex.lua_settop(L, -5);
              return;
            }
            ex.lua_settop(L, -2);
          }
          ex.lua_settop(L, -2);
        }
        ex.lua_settop(L, -2);
        if (this.tableField('map') === LUA_TTABLE) {
          frames.push({ kind: 1, d: out.deferred(), n: 0, j: 0, h, p: 0, size: 0, len: -1 });
          ex.lua_pushnil(L);
          return;
        }
        ex.lua_settop(L, -2);
        if (this.tableField('set') === LUA_TTABLE) {
          frames.push({ kind: 2, d: out.deferred(), n: 0, j: 0, h, p: 0, size: 0, len: -1 });
          ex.lua_pushnil(L);
          return;
        }
        ex.lua_settop(L, -2);
        // Array: stop at the first nil.
        frames.push({ kind: 0, d: out.deferred(), n: 0, j: 1, h, p: tp, size: tp !== 0 ? arraySize(w, tp) : 0, len: -1 });
        return;
      }
      default:
        out.nil();
    }
    ex.lua_settop(L, -2);
  }

  /** rawget(table at idx, k) pushed; returns its type. */
  private tableField(k: string, idx = -1): number {
    const ex = this.w.ex;
    const L = this.L;
    // The field names are Lua strings kept in the registry: pushing one is a rawgeti, where
    // pushing the text would hash and intern it again (7 names per table of a script's reply).
    let ref = this.fieldRefs.get(k);
    if (ref === undefined) {
      this.w.pushLatin1(L, k);
      ref = ex.luaL_ref(L, LUA_REGISTRYINDEX);
      this.fieldRefs.set(k, ref);
    }
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, big(ref));
    return ex.lua_rawget(L, idx - 1);
  }
  private readonly fieldRefs = new Map<string, number>();

  // ------------------------------------------------------------ RESP -> Lua

  pushReply(L: number, v: ReplyValue): void {
    const w = this.w;
    const ex = w.ex;
    if (typeof v === 'string') w.pushLatin1(L, v);
    else if (Buffer.isBuffer(v)) w.pushBuffer(L, v);
    else if (typeof v === 'number') ex.lua_pushnumber(L, v); // Lua 5.1: every number is a double
    else if (typeof v === 'bigint') ex.lua_pushnumber(L, Number(BigInt.asIntN(64, v)));
    else if (typeof v === 'boolean') ex.lua_pushboolean(L, v ? 1 : 0);
    else if (v === NULL_BULK || v === NULL_ARRAY) ex.lua_pushboolean(L, 0);
    else if (v === NULL) ex.lua_pushnil(L);
    else if (Array.isArray(v)) {
      ex.luaL_checkstack(L, 3, 0);
      // (grown from empty when it has holes, and maps and sets always, as LuaReply builds them)
      ex.lua_createtable(L, v.includes(NULL) ? 0 : v.length, 0);
      for (let i = 0; i < v.length; i++) {
        this.pushReply(L, v[i]);
        ex.lua_rawseti(L, -2, big(i + 1));
      }
    } else if (v instanceof StatusReply) {
      ex.lua_createtable(L, 0, 1);
      w.pushLatin1(L, v.text);
      w.setfield(L, -2, 'ok');
    } else if (v instanceof ErrorReply) {
      pushErrTable(w, L, v.text);
    } else if (v instanceof MapReply) {
      ex.luaL_checkstack(L, 4, 0);
      ex.lua_createtable(L, 0, 1);
      ex.lua_createtable(L, 0, 0);
      for (let i = 0; i + 1 < v.items.length; i += 2) {
        this.pushReply(L, v.items[i]);
        this.pushReply(L, v.items[i + 1]);
        ex.lua_settable(L, -3);
      }
      w.setfield(L, -2, 'map');
    } else if (v instanceof SetReply) {
      ex.luaL_checkstack(L, 4, 0);
      ex.lua_createtable(L, 0, 1);
      ex.lua_createtable(L, 0, 0);
      for (let i = 0; i < v.items.length; i++) {
        this.pushReply(L, v.items[i]);
        ex.lua_pushboolean(L, 1);
        ex.lua_settable(L, -3);
      }
      w.setfield(L, -2, 'set');
    } else if (v instanceof DoubleReply) {
      ex.lua_createtable(L, 0, 1);
      ex.lua_pushnumber(L, v.value);
      w.setfield(L, -2, 'double');
    } else if (v instanceof BigNumberReply) {
      ex.lua_createtable(L, 0, 1);
      w.pushLatin1(L, v.digits);
      w.setfield(L, -2, 'big_number');
    } else if (v instanceof VerbatimReply) {
      ex.lua_createtable(L, 0, 1);
      ex.lua_createtable(L, 0, 2);
      w.pushLatin1(L, v.text);
      w.setfield(L, -2, 'string');
      w.pushLatin1(L, v.format);
      w.setfield(L, -2, 'format');
      w.setfield(L, -2, 'verbatim_string');
    } else ex.lua_pushnil(L);
  }
}


/**
 * The error handler of top-level runs (on the coroutine): returns function(co, err) doing what the
 * prelude's errh does as a message handler at the point of the error, on the dead coroutine's
 * stack, which lua_resume leaves in place: it finds the first frame of the coroutine that is not
 * C, the prelude or a library, and hands it to errh, which converts the error and attaches that
 * position (errh's own frame search would find nothing from here: this chunk is '=redust', below
 * it is the C caller).
 */
const CO_ERRH = `
local getinfo, errh = ...
return function(co, err)
  local lvl = 0
  local i = getinfo(co, lvl, 'Sln')
  local callee, outer
  while i and (i.what == 'C' or i.source == '=redust' or i.source == '=lib') do
    lvl = lvl + 1
    if i.what ~= 'C' then
      if callee == nil then callee = i end
      outer = i
    end
    i = getinfo(co, lvl, 'Sln')
  end
  return errh(err, i, callee, outer)
end
`;

function setUpvalue1(w: LuaWasm, L: number, fnIdx: number): void {
  // lua_setupvalue(L, funcindex, 1): pops the value into upvalue 1 (_ENV for a main chunk).
  (w.ex as unknown as { lua_setupvalue(L: number, f: number, n: number): number }).lua_setupvalue(L, fnIdx, 1);
}

function bigToNum(b: bigint): number | bigint {
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

/** (long long)double as x86-64 does it: truncation; NaN and out-of-range give INT64_MIN. */
function doubleToLongLong(d: number): number | bigint {
  if (Number.isNaN(d) || d >= 9223372036854775808 || d < -9223372036854775808) return -9223372036854775808n;
  const t = Math.trunc(d);
  return Number.isSafeInteger(t) ? t : BigInt(t);
}

export { enc };
