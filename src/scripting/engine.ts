/**
 * Per-server scripting state: the EVAL Lua state and script cache (scriptingInit / evalGenericCommand),
 * the functions engine (function_lua.c / functions.c), and the script client redis.call runs
 * commands with (its `reply` is a ValueReply).
 *
 * Time limit: the front end's checks in loop and function bodies (lua51.ts, Sandbox.tick) check the
 * elapsed time; past `busy-reply-threshold` ms (0 = never) the script yields to the event loop
 * (suspendRun / resumeStep: other clients, new ones included, get BUSY and may SCRIPT KILL) or,
 * where it cannot yield, serves the connected clients synchronously (onBusy). See
 * docs/scripting.md ("Busy scripts") and docs/compatibility.md ("Time limit").
 */
import { debugStateOf } from '../server/debug-state';
import crypto from 'crypto';
import type { Server } from '../server/server';
import { Client, ClientFlag } from '../server/client';
import { CmdFlag } from '../commands/table';
import { BUSY_EVAL, BUSY_FUNCTION, OOM } from '../commands/errors';
import { MISCONF, writesDenied } from '../persistence/bgsave';
import { evictToLimit } from '../server/evict';
import type { Reply } from '../protocol/reply';
import { ErrorReply, NULL, ValueReply } from '../protocol/value-reply';
import { Sandbox, RunHooks, newRng, BUSY_CONTINUE, BUSY_KILL, BUSY_YIELD } from './sandbox';
import { LuaReply } from './lua-reply';
import { splitArgs } from '../protocol/parser';
import meta from '../commands/redis-7.0-commands.json';
import { LuaWasm, LUA_REGISTRYINDEX, LUA_TFUNCTION, LUA_TSTRING, LUA_TTABLE, LUA_TNUMBER } from './lua-wasm';
import { setImmediate, performance } from '../util/real-timers';

const BAD_LIBRARY_NAME = 'ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
const BAD_LIBRARY_METADATA = 'ERR Invalid library metadata';

export interface ScriptEntry {
  sha: string;
  /** RunOptions for EVAL / EVAL_RO (evalOptions). */
  opts: (RunOptions | undefined)[];
  ref: number;
  body: Buffer;
  flags: ScriptFlags;
}

export interface ScriptFlags {
  /** Script has a shebang (flags declared explicitly). */
  shebang: boolean;
  noWrites: boolean;
  allowOom: boolean;
}

export interface RunOptions {
  readOnly: boolean;
  allowOom: boolean;
  name: string;
}

const engines = new WeakMap<Server, ScriptingEngine>();

/** Redis 7.0's may_replicate commands that scripts can call (COMMAND INFO does not list the flag). */
const MAY_REPLICATE = new Set(['publish', 'spublish', 'pfcount']);

export function scriptingOf(server: Server): ScriptingEngine {
  let e = engines.get(server);
  if (!e) engines.set(server, (e = new ScriptingEngine(server)));
  return e;
}

/**
 * evalGetCommandFlags / fcallGetCommandFlags: a script or function that declares flags (#!lua,
 * FUNCTION) without allow-oom or no-writes makes its EVAL/FCALL a denyoom command, refused by
 * processCommand under maxmemory before it runs. Called by the dispatcher only when maxmemory is set.
 */
export function scriptDeniesOom(server: Server, name: string, argv: Buffer[]): boolean {
  let flags: { allowOom: boolean; noWrites: boolean } | null = null;
  if (name === 'fcall' || name === 'fcall_ro') {
    const fn = argv.length > 1 ? scriptingOf(server).functions.get(argv[1].latin1Slice(0, argv[1].length)) : undefined;
    if (!fn) return false;
    flags = { allowOom: fn.flags.includes('allow-oom'), noWrites: fn.flags.includes('no-writes') };
  } else if (name === 'eval' || name === 'eval_ro') {
    const body = argv[1];
    if (!body || body.length < 2 || body[0] !== 0x23 || body[1] !== 0x21) return false;
    const parsed = parseEvalShebang(body);
    if ('error' in parsed) return false;
    flags = parsed.flags;
  } else if (name === 'evalsha' || name === 'evalsha_ro') {
    const entry = argv.length > 1 ? scriptingOf(server).findScript(argv[1]) : undefined;
    if (!entry || !entry.flags.shebang) return false;
    flags = entry.flags;
  } else return false;
  return !flags.allowOom && !flags.noWrites;
}

/**
 * evalGetCommandFlags / fcallGetCommandFlags: true when a script with declared flags (a function,
 * or an EVAL script with a shebang) may write, i.e. lacks no-writes (then it is a write command
 * for MISCONF). Scripts without flags are not write commands before they run.
 */
export function scriptMayWrite(server: Server, name: string, argv: Buffer[]): boolean {
  if (name === 'fcall' || name === 'fcall_ro') {
    const fn = argv.length > 1 ? scriptingOf(server).functions.get(argv[1].latin1Slice(0, argv[1].length)) : undefined;
    return fn !== undefined && !fn.flags.includes('no-writes');
  }
  if (name === 'eval' || name === 'eval_ro') {
    const body = argv[1];
    if (!body || body.length < 2 || body[0] !== 0x23 || body[1] !== 0x21) return false;
    const parsed = parseEvalShebang(body);
    return !('error' in parsed) && !parsed.flags.noWrites;
  }
  if (name === 'evalsha' || name === 'evalsha_ro') {
    const entry = argv.length > 1 ? scriptingOf(server).findScript(argv[1]) : undefined;
    return entry !== undefined && entry.flags.shebang && !entry.flags.noWrites;
  }
  return false;
}

export function sha1hex(b: Buffer): string {
  return crypto.createHash('sha1').update(b).digest('hex');
}

export interface FunctionInfo {
  name: string;
  ref: number;
  flags: string[];
  description: string | null;
  lib: LibraryInfo;
}

export interface LibraryInfo {
  name: string;
  code: Buffer;
  functions: Map<string, FunctionInfo>;
}

const FUNCTION_FLAGS = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

export class ScriptingEngine {
  private evalBox: Sandbox | null = null;
  private fnBox: Sandbox | null = null;
  readonly scripts = new Map<string, ScriptEntry>();
  /** The outermost script or function running now (FUNCTION STATS running_script). */
  current: { name: string; argv: Buffer[]; started: number; isEval: boolean } | null = null;
  /** What `current` points to (one object, refilled for each top-level run). */
  private readonly currentRun: { name: string; argv: Buffer[]; started: number; isEval: boolean } = { name: '', argv: [], started: 0, isEval: true };
  readonly libraries = new Map<string, LibraryInfo>();
  /** Every library's functions by name: case-insensitive, as Redis's functions dict. */
  readonly functions: Map<string, FunctionInfo> = new CaseInsensitiveMap<FunctionInfo>();
  readonly scriptClient: Client;
  private readonly vr = new ValueReply();
  /** Per-run state. */
  private caller: Client | null = null;
  private opts: RunOptions = { readOnly: false, allowOom: false, name: '' };
  private wrote = false;
  private depth = 0;
  private readonly hooks: RunHooks;
  /** Library being loaded by FUNCTION LOAD (register_function target). */
  private loading: LibraryInfo | null = null;
  private registerNative = 0;

  constructor(readonly server: Server) {
    this.scriptClient = new Client(server, null, server.dbs[0]);
    this.scriptClient.flags |= ClientFlag.SCRIPT;
    this.scriptClient.reply = this.vr;
    this.hooks = {
      call: (argv, L) => this.call(argv, L),
      setResp: (n) => {
        if (this.activeBox) this.activeBox.resp = n;
      },
      log: (level, msg) => this.log(level, msg),
      aclCheck: (argv) => {
        const cmd = this.server.table.lookup(argv);
        if (!cmd) return null;
        return this.caller === null || this.server.acl.userOf(this.caller).check(cmd, argv, [0]) === 0;
      },
    };
  }

  private activeBox: Sandbox | null = null;
  private readonly rng = newRng();

  get running(): boolean {
    return this.depth > 0;
  }

  /**
   * SCRIPT KILL (isEval) / FUNCTION KILL (scriptKill in script.c): only a script that has not
   * written can be killed, and each command kills only its own kind of script.
   */
  kill(isEval: boolean): string | null {
    const busy = this.server.busyScript;
    if (!busy || !this.activeBox) return 'NOTBUSY No scripts in execution right now.';
    if (this.wrote) return 'UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.';
    if (isEval && !busy.isEval) return BUSY_FUNCTION;
    if (!isEval && busy.isEval) return BUSY_EVAL;
    this.activeBox.requestKill();
    return null;
  }

  /** SHUTDOWN NOSAVE during a busy script: stop it whatever it did. */
  forceKill(): void {
    this.activeBox?.requestKill();
  }

  /**
   * Create both Lua states now instead of at the first EVAL / FUNCTION LOAD, so that the first
   * script does not stop the server while a VM is made (~35 ms for the first of a process, ~10 ms
   * the next), as Redis's scriptingInit and functionsInit make theirs at start. The standalone
   * server does it right after loading its data (src/cli.ts), one VM per event-loop turn: made
   * before the load, the VMs' start-up made V8 tier their hot WASM functions up on the other
   * threads (~100-150 ms of compile CPU in the next ~150 ms), which took the cores from the load
   * (a 100k-key RDB at start loaded ~25% slower on 2 cores). No script can run during the load
   * (EVAL and FUNCTION answer -LOADING); a file's function libraries make the function VM when
   * they are read.
   */
  async prepare(): Promise<void> {
    const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
    this.evalSandbox();
    await turn();
    this.functionSandbox();
  }

  private evalSandbox(): Sandbox {
    if (!this.evalBox) {
      this.evalBox = new Sandbox(this.rng);
      this.evalBox.hooks = this.hooks;
    }
    return this.evalBox;
  }

  // ------------------------------------------------------------ EVAL

  /** Compile and cache a script body. Returns the sha or an error reply text. */
  loadScript(body: Buffer): { sha: string; entry: ScriptEntry } | { error: string } {
    const sha = sha1hex(body);
    const cached = this.scripts.get(sha);
    if (cached) return { sha, entry: cached };
    let flags: ScriptFlags = { shebang: false, noWrites: false, allowOom: false };
    let code = body;
    if (body.length >= 2 && body[0] === 0x23 && body[1] === 0x21) {
      const parsed = parseEvalShebang(body);
      if ('error' in parsed) return { error: parsed.error };
      flags = parsed.flags;
      // Keep line numbers: blank the shebang line.
      code = Buffer.concat([Buffer.alloc(0), body.subarray(parsed.end)]);
    }
    const box = this.evalSandbox();
    const ref = box.compile(code, '@user_script');
    if (typeof ref === 'string') return { error: `ERR Error compiling script (new function): ${ref}` };
    const entry: ScriptEntry = { sha, ref, body: Buffer.from(body), flags, opts: [] };
    this.scripts.set(sha, entry);
    return { sha, entry };
  }

  /**
   * EVALSHA's lookup by the sha as sent (any case). A direct-mapped cache of 64 slots keyed by the
   * exact bytes saves making and hashing a 40-char string per call; entries leave `scripts` only
   * on SCRIPT FLUSH, which empties it.
   */
  findScript(b: Buffer): ScriptEntry | undefined {
    const len = b.length;
    const slot = len === 40 ? (b[0] * 31 + b[1] * 7 + b[39]) & 63 : -1;
    if (slot >= 0) {
      const k = this.shaKeys[slot];
      if (k !== undefined) {
        let i = 0;
        while (i < 40 && k[i] === b[i]) i++;
        if (i === 40) return this.shaEntries[slot];
      }
    }
    const entry = this.scripts.get(b.latin1Slice(0, len).toLowerCase());
    if (entry !== undefined && slot >= 0) {
      this.shaKeys[slot] = Buffer.from(b);
      this.shaEntries[slot] = entry;
    }
    return entry;
  }
  private shaKeys: (Buffer | undefined)[] = new Array(64);
  private shaEntries: (ScriptEntry | undefined)[] = new Array(64);

  /** SCRIPT FLUSH: drop the cache and the Lua state (scriptingReset). */
  flushScripts(): void {
    this.scripts.clear();
    this.shaKeys = new Array(64);
    this.shaEntries = new Array(64);
    if (this.evalBox) {
      this.evalBox.close();
      this.evalBox = null;
    }
  }

  evalScript(c: Client, entry: ScriptEntry, sha: string, argv: Buffer[], numkeys: number, readOnlyCmd: boolean): void {
    const box = this.evalSandbox();
    box.setKeysAndArgv(argv, 3, numkeys);
    this.runIn(box, c, entry.ref, evalOptions(entry, sha, readOnlyCmd), null);
  }

  private runIn(box: Sandbox, c: Client, ref: number, opts: RunOptions, fargs: { keys: Buffer[]; argv: Buffer[]; numkeys: number } | null, base = 0): void {
    // Saved in locals, not an object: this runs for every EVAL/FCALL.
    const prevCaller = this.caller;
    const prevOpts = this.opts;
    const prevWrote = this.wrote;
    const prevBox = this.activeBox;
    const prevStarted = this.started;
    this.caller = c;
    this.opts = opts;
    this.wrote = false;
    this.activeBox = box;
    this.depth++;
    const sc = this.scriptClient;
    sc.db = c.db;
    sc.dbIndex = c.dbIndex;
    sc.user = c.user;
    sc.aclUser = c.aclUser;
    const server = this.server;
    // The command's start as the dispatcher took it (the previous command's end in a pipeline),
    // saving a clock read; a fresh read when the dispatcher read one itself or inside EXEC.
    const d = server.dispatcher;
    const started = (this.started = d.execDepth === 1 && d.lastCallEnd >= 0 ? d.lastCallEnd : performance.now());
    if (this.depth === 1) {
      const cur = this.currentRun;
      cur.name = opts.name;
      cur.argv = c.argv;
      cur.started = started;
      cur.isEval = fargs === null;
      this.current = cur;
    }
    box.onTimeout = this.onBusy;
    let ended = true;
    try {
      // (Only a script of a connected client run by a top-level command, or by a top-level EXEC,
      // may yield: see mayYield and Dispatcher.maySuspend.)
      ended = box.run(ref, c.reply, opts.name, fargs, server.config.hot['busy-reply-threshold'], base, started, this.depth === 1 && d.maySuspend(c) && mayYield(server, c));
    } finally {
      if (ended) this.endRun(prevCaller, prevOpts, prevWrote, prevBox, prevStarted);
      else this.suspendRun(c, box, { prevCaller, prevOpts, prevWrote, prevBox, prevStarted });
    }
  }

  /** runIn's epilogue, once the script has ended (at once, or after it was suspended). */
  private endRun(prevCaller: Client | null, prevOpts: RunOptions, prevWrote: boolean, prevBox: Sandbox | null, prevStarted: number): void {
    this.depth--;
    if (this.depth === 0) {
      this.current = null;
      this.currentRun.argv = NO_ARGV;
    }
    if (this.depth === 0 && this.server.busyScript) this.server.scriptFinished();
    this.caller = prevCaller;
    this.opts = prevOpts;
    this.wrote = prevWrote;
    this.activeBox = prevBox;
    this.started = prevStarted;
  }

  // ------------------------------------------------------------ busy scripts that yield

  /**
   * A top-level script yielded past busy-reply-threshold (Sandbox.tick). Its run state stays in
   * place (caller, opts, wrote, activeBox, current: SCRIPT KILL and FUNCTION STATS see it); its
   * client is held like a blocked client (its pipelined input waits); the dispatcher leaves the
   * EVAL/FCALL unfinished (stats, SLOWLOG, propagation: continueSuspended); what the script
   * propagated so far is held back, so that its effects are still handed over together, wrapped
   * in MULTI/EXEC. The event loop runs meanwhile: new connections are accepted, other clients get
   * BUSY (dispatcher), signals are handled; the serverCron jobs that could change the dataset
   * stand still while `server.busyScript` is set. The script is resumed on the next turn.
   */
  private suspendRun(c: Client, box: Sandbox, prev: SuspendedRun['prev']): void {
    const server = this.server;
    this.suspended = { c, box, prev };
    c.flags |= ClientFlag.BLOCKED;
    server.propagation.hold = true;
    server.dispatcher.suspendCall();
    setImmediate(this.resumeStep);
  }
  private suspended: SuspendedRun | null = null;
  /** Earliest time of the next yield (performance.now()): a script runs at least YIELD_EVERY_MS per turn. */
  private nextYieldAt = 0;

  private readonly resumeStep = (): void => {
    const s = this.suspended;
    if (s === null) return;
    const server = this.server;
    // Never leave a script behind a server that stopped serving (close(), SHUTDOWN).
    if (server.closing) s.box.requestKill();
    // What other clients were answered meanwhile goes out first, as processEventsWhileBlocked
    // writes it (a shutdown waiting for this script may happen as soon as it ends).
    server.net.flushPending();
    this.nextYieldAt = performance.now() + YIELD_EVERY_MS;
    const ended = server.dispatcher.continueSuspended(() => {
      let done = true;
      try {
        done = s.box.resume();
      } finally {
        if (done) {
          this.suspended = null;
          s.c.flags &= ~ClientFlag.BLOCKED;
          server.propagation.hold = false;
          const p = s.prev;
          this.endRun(p.prevCaller, p.prevOpts, p.prevWrote, p.prevBox, p.prevStarted);
        }
      }
      return done;
    });
    if (!ended) {
      // Still this script; or it ended and a later script of the same EXEC yielded, whose
      // suspendRun scheduled its own step.
      if (this.suspended === s) setImmediate(this.resumeStep);
      return;
    }
    // The reply is written: send it, then run what the client pipelined meanwhile.
    const c = s.c;
    if (c.closed) return;
    server.net.scheduleFlush(c);
    if (c.parser.pendingBytes() > 0) {
      setImmediate(() => {
        if (!c.closed && !c.has(ClientFlag.BLOCKED)) {
          server.net.processInput(c, NO_INPUT);
          server.net.scheduleFlush(c);
        }
      });
    }
  };

  /** When the running script started (performance.now()). */
  private started = 0;

  /**
   * The sandbox's timeout callback, past busy-reply-threshold: like Redis, keep running and serve
   * other clients, who get BUSY until SCRIPT KILL / FUNCTION KILL / SHUTDOWN NOSAVE (see
   * Server.processEventsWhileBusy), or when the script can yield, let the event loop do it
   * (BUSY_YIELD, at most every YIELD_EVERY_MS). BUSY_KILL past script-hard-time-limit.
   */
  private readonly onBusy = (canYield: boolean): number => {
    const server = this.server;
    const name = this.opts!.name;
    const isEval = this.current?.isEval ?? true;
    if (!server.busyScript) {
      server.busyScript = { isEval };
      server.logger.warn(`Slow script detected: still in execution after ${Math.round(performance.now() - this.started)} milliseconds. You can try killing the script using the ${isEval ? 'SCRIPT' : 'FUNCTION'} KILL command. Script name is: ${name}.`);
    }
    const hardLimit = server.config.hot['script-hard-time-limit'];
    if (hardLimit > 0 && performance.now() - this.started > hardLimit) {
      server.logger.warn(`Script ${name} exceeded script-hard-time-limit (${hardLimit} ms): killed${this.wrote ? ' (its writes were kept)' : ''}`);
      return BUSY_KILL;
    }
    if (canYield) return performance.now() >= this.nextYieldAt ? BUSY_YIELD : BUSY_CONTINUE;
    server.net.processEventsWhileBusy(this.caller!);
    return BUSY_CONTINUE;
  };

  // ------------------------------------------------------------ redis.call

  private call(argv: Buffer[], L: number): string | null {
    const server = this.server;
    const cmd = server.dispatcher.lookupCommand(argv);
    if (!cmd) return countedError(server, unimplementedInScript(argv));
    // scriptCall's rejections count in the command's rejected_calls (incrCommandStatsOnError)
    if ((cmd.arity > 0 && cmd.arity !== argv.length) || argv.length < -cmd.arity) {
      return rejected(server, cmd, 'ERR Wrong number of args calling Redis command from script');
    }
    if (cmd.has(CmdFlag.NOSCRIPT) && !debugStateOf(server).disableDenyScripts) return rejected(server, cmd, 'ERR This Redis command is not allowed from script');
    const aclDenied = this.caller === null ? null : server.acl.checkScript(this.caller, cmd, argv);
    if (aclDenied !== null) return rejected(server, cmd, aclDenied);
    if (cmd.name === 'xread' || cmd.name === 'xreadgroup') {
      for (let i = 1; i < argv.length; i++) {
        const a = argv[i];
        if (a.length === 5 && a.latin1Slice(0, 5).toLowerCase() === 'block') {
          return `ERR ${argv[0].latin1Slice(0, argv[0].length)} command is not allowed with BLOCK option from scripts`; // as typed, like Redis
        }
        if (a.length === 7 && a.latin1Slice(0, 7).toLowerCase() === 'streams') break;
      }
    }
    // Read-only scripts refuse may-replicate commands (PUBLISH...) as writes (scriptVerifyWriteCommandAllow)
    if (this.opts.readOnly && (cmd.has(CmdFlag.WRITE | CmdFlag.MAY_REPLICATE) || MAY_REPLICATE.has(cmd.name))) {
      return rejected(server, cmd, 'ERR Write commands are not allowed from read-only scripts.');
    }
    if (cmd.has(CmdFlag.WRITE)) {
      // scriptVerifyWriteCommandAllow: MISCONF (failed RDB save or AOF write), unless the script
      // already wrote (it cannot be failed halfway then).
      if (!this.wrote) {
        const denied = writesDenied(server) ? MISCONF : server.aof.writeDeniedReason();
        if (denied !== null) return rejected(server, cmd, denied);
      }
      const maxmem = server.config.hot.maxmemory;
      if (maxmem > 0 && !this.opts.allowOom && !this.wrote && cmd.has(CmdFlag.DENYOOM) && server.usedMemory() > maxmem && !evictToLimit(server, maxmem)) {
        return rejected(server, cmd, OOM);
      }
      this.wrote = true;
    }
    const sc = this.scriptClient;
    const resp = this.activeBox ? this.activeBox.resp : 2;
    sc.resp = resp;
    sc.argv = argv;
    sc.cmd = cmd;
    if (this.inCall) {
      // A script run from redis.call (DEBUG set-disable-deny-scripts): the reply goes through a
      // ValueReply, as the outer call's LuaReply is in use.
      const vr = new ValueReply(resp);
      vr.onError = this.countInnerError;
      const prev = sc.reply;
      sc.reply = vr;
      try {
        server.dispatcher.call(sc, cmd, argv);
      } finally {
        sc.reply = prev;
      }
      const r = vr.take();
      if (r instanceof ErrorReply) return r.text;
      this.activeBox!.pushReply(L, r === undefined ? NULL : r);
      return null;
    }
    // The reply is written straight onto the Lua stack (LuaReply).
    if (this.lr === null) {
      this.lr = new LuaReply(LuaWasm.get());
      this.lr.onError = this.countInnerError;
    }
    const lr = this.lr;
    lr.begin(L, 0, resp);
    sc.reply = lr;
    this.inCall = true;
    try {
      server.dispatcher.call(sc, cmd, argv);
    } finally {
      this.inCall = false;
    }
    return lr.finish();
  }
  private inCall = false;
  private lr: LuaReply | null = null;
  /** A redis.call's command replied an error: counted there, as by afterErrorReply. */
  private readonly countInnerError = (msg: string, noStats: boolean): void => {
    if (!noStats) this.server.countError(msg);
  };

  private log(level: number, msg: string): void {
    const lg = this.server.logger;
    if (level <= 0) lg.debug(msg);
    else if (level === 1) lg.debug(msg);
    else if (level === 2) lg.info(msg);
    else lg.warn(msg);
  }

  // ------------------------------------------------------------ functions

  private functionSandbox(): Sandbox {
    if (!this.fnBox) {
      const w = LuaWasm.get();
      this.registerNative ||= w.cfunction((L) => this.registerFunction(L));
      this.fnBox = new Sandbox(this.rng, { register_function: this.registerNative });
      this.fnBox.hooks = this.hooks;
    }
    return this.fnBox;
  }

  /** redis.register_function (load time only). */
  private registerFunction(L: number): number {
    const w = LuaWasm.get();
    const ex = w.ex;
    const lib = this.loading;
    const raise = (msg: string): number => {
      ex.lua_createtable(L, 0, 1);
      w.pushUtf8(L, msg);
      w.setfield(L, -2, 'err');
      return ex.lua_error(L);
    };
    if (!lib) return raise('ERR redis.register_function can only be called on FUNCTION LOAD command');
    const argc = ex.lua_gettop(L);
    let name: string | null = null;
    let desc: string | null = null;
    let flags: string[] = [];
    let haveCallback = false;
    if (argc === 1) {
      if (ex.lua_type(L, 1) !== LUA_TTABLE) {
        return raise('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      }
      ex.lua_pushnil(L);
      while (ex.lua_next(L, 1)) {
        // stack: t, key, value
        const key = ex.lua_type(L, -2) === LUA_TSTRING ? w.toLatin1(L, -2) : null;
        if (key === 'function_name') {
          if (!ex.lua_isstring(L, -1)) return raise('ERR function_name argument given to redis.register_function must be a string');
          ex.lua_pushvalue(L, -1);
          name = w.toLatin1(L, -1);
          ex.lua_settop(L, -2);
        } else if (key === 'description') {
          if (!ex.lua_isstring(L, -1)) return raise('ERR description argument given to redis.register_function must be a string');
          ex.lua_pushvalue(L, -1);
          desc = w.toLatin1(L, -1);
          ex.lua_settop(L, -2);
        } else if (key === 'callback') {
          if (ex.lua_type(L, -1) !== LUA_TFUNCTION) return raise('ERR callback argument given to redis.register_function must be a function');
          haveCallback = true;
        } else if (key === 'flags') {
          if (ex.lua_type(L, -1) !== LUA_TTABLE) return raise('ERR flags argument to redis.register_function must be a table representing function flags');
          const fl: string[] = [];
          ex.lua_pushnil(L);
          while (ex.lua_next(L, -2)) {
            const f = ex.lua_type(L, -1) === LUA_TSTRING ? w.toLatin1(L, -1) : null;
            if (f === null || !FUNCTION_FLAGS.has(f)) return raise('ERR unknown flag given');
            if (!fl.includes(f)) fl.push(f);
            ex.lua_settop(L, -2);
          }
          flags = fl;
        } else {
          return raise('ERR unknown argument given to redis.register_function');
        }
        ex.lua_settop(L, -2);
      }
      if (name === null) return raise('ERR redis.register_function must get a function name argument');
      if (!haveCallback) return raise('ERR redis.register_function must get a callback argument');
      w.getfield(L, 1, 'callback');
    } else if (argc === 2) {
      if (!ex.lua_isstring(L, 1)) return raise('ERR first argument to redis.register_function must be a string');
      ex.lua_pushvalue(L, 1);
      name = w.toLatin1(L, -1);
      ex.lua_settop(L, -2);
      if (ex.lua_type(L, 2) !== LUA_TFUNCTION) return raise('ERR second argument to redis.register_function must be a function');
      ex.lua_pushvalue(L, 2);
    } else {
      return raise('ERR wrong number of arguments to redis.register_function');
    }
    if (!isValidName(name!)) return raise(BAD_LIBRARY_NAME);
    if (lib.functions.has(name!)) return raise('ERR Function already exists in the library');
    const ref = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    lib.functions.set(name!, { name: name!, ref, flags, description: desc, lib });
    return 0;
  }

  /**
   * FUNCTION LOAD (functionsCreateWithLibraryCtx): returns the library name or an error text.
   * `replace` allows replacing a library of the same name.
   */
  loadLibrary(code: Buffer, replace: boolean): { name: string } | { error: string } {
    const md = parseLibraryShebang(code);
    if ('error' in md) return md;
    const existing = this.libraries.get(md.name);
    if (existing && !replace) return { error: `ERR Library '${md.name}' already exists` };
    const lib = this.compileLibrary(code, md);
    if ('error' in lib) return lib;
    for (const fname of lib.functions.keys()) {
      const other = this.functions.get(fname);
      if (other && other.lib.name !== md.name) {
        this.releaseLibrary(lib);
        return { error: `ERR Function ${fname} already exists` };
      }
    }
    if (existing) this.deleteLibrary(md.name);
    this.linkLibrary(lib);
    return { name: md.name };
  }

  /** Run a library's code at load time and collect its registered functions (not linked yet). */
  private compileLibrary(code: Buffer, md: { name: string; end: number }): LibraryInfo | { error: string } {
    const box = this.functionSandbox();
    const body = Buffer.concat([Buffer.alloc(0), code.subarray(md.end)]);
    const ref = box.compile(body, '@user_function');
    if (typeof ref === 'string') return { error: `ERR Error compiling function: ${ref}` };
    const lib: LibraryInfo = { name: md.name, code: Buffer.from(code), functions: new Map() };
    // Swap the env's __index to the load-time globals (only a restricted `redis`).
    this.setEnvIndex(box, true);
    this.loading = lib;
    let res: { err: string } | null;
    try {
      res = box.runLoad(ref, 500);
    } finally {
      this.loading = null;
      this.setEnvIndex(box, false);
      box.unref(ref);
    }
    if (res) {
      this.releaseLibrary(lib);
      return { error: `ERR Error registering functions: ${res.err}` };
    }
    if (lib.functions.size === 0) return { error: 'ERR No functions registered' };
    return lib;
  }

  /** The most functions linked at once since the last flush: the slots of Redis's functions dict, which never shrinks. */
  functionsHigh = 0;

  private linkLibrary(lib: LibraryInfo): void {
    this.libraries.set(lib.name, lib);
    for (const f of lib.functions.values()) this.functions.set(f.name, f);
    if (this.functions.size > this.functionsHigh) this.functionsHigh = this.functions.size;
  }

  /** Bytes the eval and the function Lua VMs hold (0 for one not made yet, or whose bytes cannot be read). */
  vmMemory(): { eval: number; functions: number } {
    return { eval: this.evalBox ? this.evalBox.memoryBytes() : 0, functions: this.fnBox ? this.fnBox.memoryBytes() : 0 };
  }

  private unlinkLibrary(lib: LibraryInfo): void {
    for (const f of lib.functions.values()) this.functions.delete(f.name);
    this.libraries.delete(lib.name);
  }

  /** Free a library's Lua references (it must not be linked). */
  private releaseLibrary(lib: LibraryInfo): void {
    for (const f of lib.functions.values()) this.fnBox?.unref(f.ref);
  }

  private loadGlobalsRef = 0;

  private setEnvIndex(box: Sandbox, loadTime: boolean): void {
    const w = box.w;
    const ex = w.ex;
    const L = box.L;
    if (loadTime && !this.loadGlobalsRef) {
      ex.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(box.loadGlobalsRef));
      ex.lua_pushcclosure(L, this.registerNative, 0);
      ex.lua_pcallk(L, 1, 1, 0, 0, 0);
      this.loadGlobalsRef = ex.luaL_ref(L, LUA_REGISTRYINDEX);
    }
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(box.envMtRef));
    ex.lua_rawgeti(L, LUA_REGISTRYINDEX, BigInt(loadTime ? this.loadGlobalsRef : box.rgRef));
    w.setfield(L, -2, '__index');
    ex.lua_settop(L, -2);
  }

  deleteLibrary(name: string): boolean {
    const lib = this.libraries.get(name);
    if (!lib) return false;
    this.unlinkLibrary(lib);
    this.releaseLibrary(lib);
    return true;
  }

  flushFunctions(): void {
    this.libraries.clear();
    this.functions.clear();
    this.functionsHigh = 0;
    if (this.fnBox) {
      this.fnBox.close();
      this.fnBox = null;
      this.loadGlobalsRef = 0;
    }
  }

  callFunction(c: Client, fn: FunctionInfo, argv: Buffer[], numkeys: number, readOnlyCmd: boolean): void {
    const box = this.functionSandbox();
    const noWrites = fn.flags.includes('no-writes');
    if (readOnlyCmd && !noWrites) {
      c.reply.error('ERR Can not execute a script with write flag using *_ro command.');
      return;
    }
    this.runIn(box, c, fn.ref, { readOnly: readOnlyCmd || noWrites, allowOom: fn.flags.includes('allow-oom'), name: fn.name }, { keys: argv, argv, numkeys }, 3);
  }

  /**
   * FUNCTION RESTORE (functionRestoreCommand): the payload's libraries are first loaded on their
   * own (as into Redis's temporary functionsLibCtx), then FLUSH swaps them in, and APPEND/REPLACE
   * join them (libraryJoin: library name clashes first, then function name clashes; all or nothing).
   */
  restoreFunctions(codes: Buffer[], policy: 'flush' | 'append' | 'replace'): string | null {
    const incoming = new Map<string, LibraryInfo>();
    const incomingFns = new Set<string>();
    const dropAll = () => {
      for (const l of incoming.values()) this.releaseLibrary(l);
    };
    for (const code of codes) {
      const md = parseLibraryShebang(code);
      if ('error' in md) {
        dropAll();
        return md.error;
      }
      if (incoming.has(md.name)) {
        dropAll();
        return `ERR Library '${md.name}' already exists`;
      }
      const lib = this.compileLibrary(code, md);
      if ('error' in lib) {
        dropAll();
        return lib.error;
      }
      for (const fname of lib.functions.keys()) {
        if (incomingFns.has(fname)) {
          this.releaseLibrary(lib);
          dropAll();
          return `ERR Function ${fname} already exists`;
        }
      }
      for (const fname of lib.functions.keys()) incomingFns.add(fname);
      incoming.set(md.name, lib);
    }
    if (policy === 'flush') {
      for (const lib of [...this.libraries.values()]) this.deleteLibrary(lib.name);
      for (const lib of incoming.values()) this.linkLibrary(lib);
      return null;
    }
    const replaced: LibraryInfo[] = [];
    const rollback = (err: string): string => {
      for (const lib of replaced) this.linkLibrary(lib);
      dropAll();
      return err;
    };
    for (const lib of incoming.values()) {
      const old = this.libraries.get(lib.name);
      if (!old) continue;
      if (policy === 'append') return rollback(`ERR Library ${lib.name} already exists`);
      this.unlinkLibrary(old);
      replaced.push(old);
    }
    for (const fname of incomingFns) if (this.functions.has(fname)) return rollback(`ERR Function ${fname} already exists`);
    for (const lib of replaced) this.releaseLibrary(lib);
    for (const lib of incoming.values()) this.linkLibrary(lib);
    return null;
  }
}

/** EVAL's RunOptions, made once per script and read-only flag (not per call). */
const NO_ARGV: Buffer[] = [];
const NO_INPUT = Buffer.alloc(0);

/** A busy script suspended at a yield, and runIn's saved state to restore when it ends. */
interface SuspendedRun {
  c: Client;
  box: Sandbox;
  prev: { prevCaller: Client | null; prevOpts: RunOptions; prevWrote: boolean; prevBox: Sandbox | null; prevStarted: number };
}

/** A yielding busy script runs at least this long between two turns of the event loop. */
const YIELD_EVERY_MS = 2;

/**
 * Client states in which a script may not yield (it then serves other clients synchronously, as
 * processEventsWhileBusy): a client about to close, a MONITOR or script client, the AOF loader
 * (DENY_BLOCKING). (EXEC's scripts may yield: Dispatcher.maySuspend; under CLIENT REPLY OFF/SKIP
 * the reply is dropped when the script ends: Dispatcher.processCommand.)
 */
const NO_YIELD = ClientFlag.MULTI | ClientFlag.CLOSE_AFTER_REPLY | ClientFlag.SCRIPT | ClientFlag.MONITOR | ClientFlag.DENY_BLOCKING;

/** Whether a top-level script of `c` may yield to the event loop (see NO_YIELD): a connected client, not while loading. */
function mayYield(server: Server, c: Client): boolean {
  return c.socket !== null && (c.flags & NO_YIELD) === 0 && !c.closed && !server.loading && !server.closing;
}

function evalOptions(entry: ScriptEntry, sha: string, readOnlyCmd: boolean): RunOptions {
  const slot = readOnlyCmd ? 1 : 0;
  let o = entry.opts[slot];
  if (o === undefined || o.name !== sha) o = entry.opts[slot] = { readOnly: readOnlyCmd || entry.flags.noWrites, allowOom: entry.flags.allowOom, name: sha };
  return o;
}

/**
 * A redis.call rejected before running (scriptCall's error path): an error counted in INFO
 * errorstats and total_error_replies at once (afterErrorReply), even when redis.pcall catches it;
 * the error the script may raise with it is marked ignore_error_stats_update, so the caller's
 * reply does not count it again.
 */
function countedError(server: Server, msg: string): string {
  server.countError(msg);
  // (incrCommandStatsOnError's prev_err_count: the script's command is not failed by this error)
  server.dispatcher.errorMark = server.stats.totalErrorReplies;
  return msg;
}

/** A rejected redis.call of a known command: countedError, and the command's rejected_calls. */
function rejected(server: Server, cmd: { stats: { rejectedCalls: number } }, msg: string): string {
  cmd.stats.rejectedCalls++;
  return countedError(server, msg);
}

function isValidName(s: string): boolean {
  return /^[A-Za-z0-9_]+$/.test(s);
}

/** End of the shebang line as Redis's strchr(body, '\n') sees it (-1 when a NUL or the end comes first). */
function shebangEnd(b: Buffer): number {
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 10) return i;
    if (b[i] === 0) return -1;
  }
  return -1;
}

const SCRIPT_FLAG_NAMES = new Set(['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys']);

/** EVAL's "#!lua flags=..." shebang (evalExtractShebangFlags: sdssplitargs, then sdssplitlen on ','). */
function parseEvalShebang(body: Buffer): { flags: ScriptFlags; end: number } | { error: string } {
  const end = shebangEnd(body);
  if (end === -1) return { error: 'ERR Invalid script shebang' };
  const parts = splitArgs(body, 0, end);
  if (!parts || parts.length === 0) return { error: 'ERR Invalid engine in script shebang' };
  const flags: ScriptFlags = { shebang: true, noWrites: false, allowOom: false };
  const engine = parts[0].latin1Slice(0, parts[0].length);
  if (engine !== '#!lua') return { error: `ERR Unexpected engine in script shebang: ${cstr(engine)}` };
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i].latin1Slice(0, parts[i].length);
    if (p.startsWith('flags=')) {
      const list = p.slice(6);
      if (list.length === 0) continue; // sdssplitlen of an empty string: no elements
      for (const f of list.split(',')) {
        if (!SCRIPT_FLAG_NAMES.has(f)) return { error: `ERR Unexpected flag in script shebang: ${cstr(f)}` };
        if (f === 'no-writes') flags.noWrites = true;
        else if (f === 'allow-oom') flags.allowOom = true;
      }
    } else return { error: `ERR Unknown lua shebang option: ${cstr(p)}` };
  }
  return { flags, end };
}

/** A C string's view of a JS string (what %s prints: up to the first NUL). */
function cstr(s: string): string {
  const z = s.indexOf('\0');
  return z === -1 ? s : s.slice(0, z);
}

/** FUNCTION LOAD's "#!lua name=<lib>" metadata (functionExtractLibMetaData + functionsCreateWithLibraryCtx checks). */
function parseLibraryShebang(code: Buffer): { name: string; end: number } | { error: string } {
  if (code.length < 2 || code[0] !== 0x23 || code[1] !== 0x21) return { error: 'ERR Missing library metadata' };
  const nl = shebangEnd(code);
  if (nl === -1) return { error: BAD_LIBRARY_METADATA };
  const parts = splitArgs(code, 0, nl);
  if (!parts || parts.length === 0) return { error: BAD_LIBRARY_METADATA };
  const engine = parts[0].latin1Slice(2, parts[0].length);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i].latin1Slice(0, parts[i].length);
    if (p.slice(0, 5).toLowerCase() === 'name=') {
      if (name !== null) return { error: 'ERR Invalid metadata value, name argument was given multiple times' };
      name = p.slice(5);
    } else return { error: `ERR Invalid metadata value given: ${cstr(p)}` };
  }
  if (name === null) return { error: 'ERR Library name was not given' };
  if (!isValidName(name)) return { error: BAD_LIBRARY_NAME };
  if (cstr(engine).toLowerCase() !== 'lua') return { error: `ERR Engine '${engine}' not found` };
  return { name, end: nl };
}

export type { Reply, LUA_TNUMBER };

/** A Map whose string keys compare case-insensitively (Redis's dictSdsKeyCaseCompare). */
class CaseInsensitiveMap<V> extends Map<string, V> {
  override get(k: string): V | undefined {
    return super.get(k.toLowerCase());
  }
  override set(k: string, v: V): this {
    return super.set(k.toLowerCase(), v);
  }
  override has(k: string): boolean {
    return super.has(k.toLowerCase());
  }
  override delete(k: string): boolean {
    return super.delete(k.toLowerCase());
  }
}

/**
 * redis.call of a command Redust does not implement: Redis 7.0 knows it, so a no-script one (PSYNC,
 * REPLICAOF, SYNC...) is refused as Redis refuses it (arity first); anything else is unknown.
 */
function unimplementedInScript(argv: Buffer[]): string {
  const info = (meta.info as Record<string, unknown[]>)[argv[0].toString('latin1').toLowerCase()];
  const flags = info ? JSON.stringify(info[2]) : '';
  if (!flags.includes('"noscript"')) return 'ERR Unknown Redis command called from script';
  const arity = info[1] as number;
  if ((arity > 0 && arity !== argv.length) || argv.length < -arity) return 'ERR Wrong number of args calling Redis command from script';
  return 'ERR This Redis command is not allowed from script';
}
