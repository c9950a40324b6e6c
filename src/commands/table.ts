/**
 * The command table: the single source the dispatcher, COMMAND (COUNT, INFO, DOCS, GETKEYS, LIST),
 * ACL categories and key extraction read from.
 *
 * Each command family file (strings.ts, keys.ts, ...) declares rows `{ name, handler }`; the
 * static facts of each row (arity, flags, first/last/step key positions, ACL categories, tips, key
 * specs, docs) come from `redis-7.0-commands.json`, a snapshot of Redis 7.0's own COMMAND and COMMAND
 * DOCS output (regenerate with scripts/gen-command-meta.js). A row may override them, for commands
 * Redust adds. Only commands with a handler exist: anything else is an unknown command.
 */
import type { Client } from '../server/client';
import type { Histogram } from '../observability/latency';
import meta from './redis-7.0-commands.json';
import { parseInt64 } from '../util/number';

export type Handler = (c: Client, argv: Buffer[]) => void;

/** The handler of a container command's own row (CONFIG, CLIENT...): the dispatcher runs its subcommands. */
export function container(): void {
  /* dispatched to subcommands */
}
/**
 * The dispatcher's shortcut for a command the parser recognised from its bytes (plain `GET key`,
 * `SET key value`): the same handler code without an argv array. `value` is null for GET.
 */
export type FastHandler = (c: Client, key: Buffer, value: Buffer | null) => void;

/** What a command family declares. `name` is lowercase; subcommands are "parent|sub". */
export interface CommandRow {
  name: string;
  handler: Handler;
  /** The parser-recognised fast path of this command (see FastHandler), if it has one. */
  fast?: FastHandler;
  /** Overrides for commands absent from the Redis snapshot. */
  arity?: number;
  flags?: string[];
  keys?: [number, number, number];
  acl?: string[];
}

/** Compact JSON form of a RESP3 node (see scripts/gen-command-meta.js). */
export type MetaNode = string | number | null | MetaNode[] | { '+': string } | { '~': MetaNode[] } | { '%': MetaNode[] };

export const enum CmdFlag {
  WRITE = 1 << 0,
  READONLY = 1 << 1,
  DENYOOM = 1 << 2,
  ADMIN = 1 << 3,
  PUBSUB = 1 << 4,
  NOSCRIPT = 1 << 5,
  BLOCKING = 1 << 6,
  LOADING = 1 << 7,
  STALE = 1 << 8,
  SKIP_MONITOR = 1 << 9,
  SKIP_SLOWLOG = 1 << 10,
  FAST = 1 << 11,
  NO_AUTH = 1 << 12,
  MAY_REPLICATE = 1 << 13,
  NO_MANDATORY_KEYS = 1 << 14,
  NO_ASYNC_LOADING = 1 << 15,
  NO_MULTI = 1 << 16,
  MOVABLE_KEYS = 1 << 17,
  ALLOW_BUSY = 1 << 18,
  /**
   * Redust's own flag (not in Redis's COMMAND output): the command is not propagated itself,
   * only the commands it runs are (EXEC, EVAL, FCALL and their variants).
   */
  PROPAGATES_EFFECTS = 1 << 19,
}

/** Commands that propagate their effects instead of themselves (CmdFlag.PROPAGATES_EFFECTS). */
const PROPAGATES_EFFECTS = new Set(['exec', 'eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

const FLAG_BITS: Record<string, number> = {
  write: CmdFlag.WRITE,
  readonly: CmdFlag.READONLY,
  denyoom: CmdFlag.DENYOOM,
  admin: CmdFlag.ADMIN,
  pubsub: CmdFlag.PUBSUB,
  noscript: CmdFlag.NOSCRIPT,
  blocking: CmdFlag.BLOCKING,
  loading: CmdFlag.LOADING,
  stale: CmdFlag.STALE,
  skip_monitor: CmdFlag.SKIP_MONITOR,
  skip_slowlog: CmdFlag.SKIP_SLOWLOG,
  fast: CmdFlag.FAST,
  no_auth: CmdFlag.NO_AUTH,
  may_replicate: CmdFlag.MAY_REPLICATE,
  no_mandatory_keys: CmdFlag.NO_MANDATORY_KEYS,
  no_async_loading: CmdFlag.NO_ASYNC_LOADING,
  no_multi: CmdFlag.NO_MULTI,
  movablekeys: CmdFlag.MOVABLE_KEYS,
  allow_busy: CmdFlag.ALLOW_BUSY,
};

/** Per-command statistics (INFO commandstats). */
export interface CommandStats {
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

/** A key spec as Redis 7.0 describes it (begin_search + find_keys). */
interface KeySpec {
  flags: string[];
  begin: { type: 'index'; index: number } | { type: 'keyword'; keyword: string; startfrom: number } | { type: 'unknown' };
  find: { type: 'range'; lastkey: number; keystep: number; limit: number } | { type: 'keynum'; keynumidx: number; firstkey: number; keystep: number } | { type: 'unknown' };
}

export class Command {
  /** Lowercase name; for subcommands just the subcommand ("list"). */
  readonly name: string;
  /** "get", or "client|list" for subcommands (used in error messages). */
  readonly fullname: string;
  readonly arity: number;
  readonly flags: number;
  readonly flagNames: string[];
  readonly firstKey: number;
  readonly lastKey: number;
  readonly keyStep: number;
  /** ACL categories without the '@'. */
  readonly categories: string[];
  readonly handler: Handler;
  readonly fast: FastHandler | null;
  readonly parent: Command | null;
  readonly subcommands: Map<string, Command> | null = null;
  readonly keySpecs: KeySpec[];
  /** Redis's own COMMAND INFO entry (null for Redust additions). */
  readonly info: MetaNode[] | null;
  readonly docs: MetaNode | null;
  readonly stats: CommandStats = { calls: 0, usec: 0, rejectedCalls: 0, failedCalls: 0 };
  /**
   * This server's latency histogram of the command (LatencyMonitor makes it, keeps it in its map
   * and resets it), or null before the first call.
   */
  latencyHist: Histogram | null = null;

  constructor(row: CommandRow, parent: Command | null) {
    const full = row.name.toLowerCase();
    this.fullname = full;
    this.name = parent ? full.slice(parent.name.length + 1) : full;
    this.parent = parent;
    this.handler = row.handler;
    this.fast = row.fast ?? null;
    const info = (parent ? findSubInfo(parent.info, full) : (meta.info as Record<string, MetaNode[]>)[full]) ?? null;
    this.info = info;
    this.docs = parent ? subDocs(parent.docs, full) : ((meta.docs as Record<string, MetaNode>)[full] ?? null);
    if (info) {
      this.arity = info[1] as number;
      this.flagNames = setItems(info[2]).map(statusText);
      this.firstKey = info[3] as number;
      this.lastKey = info[4] as number;
      this.keyStep = info[5] as number;
      this.categories = setItems(info[6]).map((s) => statusText(s).slice(1));
      this.keySpecs = setItems(info[8]).map(parseKeySpec);
    } else {
      if (row.arity === undefined) throw new Error(`command ${full}: not in the Redis 7.0 snapshot, needs arity/flags/keys`);
      this.arity = row.arity;
      this.flagNames = row.flags ?? [];
      [this.firstKey, this.lastKey, this.keyStep] = row.keys ?? [0, 0, 0];
      this.categories = row.acl ?? [];
      this.keySpecs = [];
    }
    if (row.flags && info) this.flagNames = row.flags;
    let bits = 0;
    for (const f of this.flagNames) bits |= FLAG_BITS[f] ?? 0;
    if (PROPAGATES_EFFECTS.has(full)) bits |= CmdFlag.PROPAGATES_EFFECTS;
    this.flags = bits;
  }

  has(flag: CmdFlag): boolean {
    return (this.flags & flag) !== 0;
  }

  addSubcommand(sub: Command): void {
    (this as { subcommands: Map<string, Command> | null }).subcommands ??= new Map();
    this.subcommands!.set(sub.name, sub);
  }

  /**
   * Key argument positions for this invocation, from the key specs (movable keys included), as
   * COMMAND GETKEYS reports them. Returns null when the arguments do not parse (invalid).
   */
  keyPositions(argv: Buffer[]): number[] | null {
    const keys = this.keysWithFlags(argv);
    return keys === null ? null : keys.map((k) => k.index);
  }

  /**
   * Key positions with the flags of the key spec that found each (COMMAND GETKEYSANDFLAGS), as
   * Redis 7.0's getKeysUsingKeySpecs: null when a spec is invalid for these arguments (unknown or
   * INCOMPLETE spec, bad or too large key count), where Redis falls back to the command's own
   * getkeys function (commands/getkeys.ts).
   */
  keysWithFlags(argv: Buffer[]): { index: number; flags: string[] }[] | null {
    const out: { index: number; flags: string[] }[] = [];
    const argc = argv.length;
    if (this.keySpecs.length === 0) {
      if (this.firstKey <= 0) return out;
      const last = this.lastKey < 0 ? argc + this.lastKey : this.lastKey;
      for (let i = this.firstKey; i <= last && i < argc; i += this.keyStep) out.push({ index: i, flags: [] });
      return out;
    }
    for (const spec of this.keySpecs) {
      let first: number;
      if (spec.begin.type === 'index') first = spec.begin.index;
      else if (spec.begin.type === 'keyword') {
        const kw = spec.begin.keyword.toLowerCase();
        const from = spec.begin.startfrom;
        // Redis's loop bounds: forward up to (not including) the last argument, backward down to 1.
        const startIdx = from > 0 ? from : argc + from;
        const endIdx = from > 0 ? argc - 1 : 0;
        first = 0;
        for (let i = startIdx; i !== endIdx; i = startIdx <= endIdx ? i + 1 : i - 1) {
          if (i >= argc || i < 1) break;
          if (argv[i].latin1Slice(0, argv[i].length).toLowerCase() === kw) {
            first = i + 1;
            break;
          }
        }
        if (first === 0) continue;
      } else return null;
      const find = spec.find;
      let last: number;
      let step: number;
      if (find.type === 'range') {
        step = find.keystep;
        if (find.lastkey >= 0) last = first + find.lastkey;
        else if (!find.limit) last = argc + find.lastkey;
        else last = first + (Math.trunc((argc - first) / find.limit) + find.lastkey);
      } else if (find.type === 'keynum') {
        step = find.keystep;
        const numIdx = first + find.keynumidx;
        if (numIdx >= argc) return null;
        const n = parseInt64(argv[numIdx]);
        if (Number.isNaN(n) || n < 0) return null;
        first += find.firstkey;
        last = first + n - 1;
      } else return null;
      for (let i = first; i <= last; i += step) {
        if (i >= argc) {
          if (find.type === 'keynum') return null;
          continue;
        }
        out.push({ index: i, flags: spec.flags });
      }
      if (spec.flags.includes('incomplete')) return null;
    }
    return out;
  }
}

function setItems(n: MetaNode | undefined): MetaNode[] {
  if (n && typeof n === 'object' && '~' in n) return (n as { '~': MetaNode[] })['~'];
  if (Array.isArray(n)) return n;
  return [];
}

function statusText(n: MetaNode): string {
  return typeof n === 'object' && n !== null && '+' in n ? (n as { '+': string })['+'] : String(n);
}

/** Reads a RESP3 map node into a plain object (values stay MetaNodes). */
export function metaMap(n: MetaNode): Record<string, MetaNode> {
  const out: Record<string, MetaNode> = {};
  if (n && typeof n === 'object' && '%' in n) {
    const flat = (n as { '%': MetaNode[] })['%'];
    for (let i = 0; i < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  }
  return out;
}

function parseKeySpec(n: MetaNode): KeySpec {
  const m = metaMap(n);
  const flags = setItems(m.flags).map(statusText);
  const bs = metaMap(m.begin_search);
  const bspec = metaMap(bs.spec);
  const fk = metaMap(m.find_keys);
  const fspec = metaMap(fk.spec);
  const begin: KeySpec['begin'] =
    bs.type === 'index'
      ? { type: 'index', index: bspec.index as number }
      : bs.type === 'keyword'
        ? { type: 'keyword', keyword: String(bspec.keyword), startfrom: bspec.startfrom as number }
        : { type: 'unknown' };
  const find: KeySpec['find'] =
    fk.type === 'range'
      ? { type: 'range', lastkey: fspec.lastkey as number, keystep: fspec.keystep as number, limit: fspec.limit as number }
      : fk.type === 'keynum'
        ? { type: 'keynum', keynumidx: fspec.keynumidx as number, firstkey: fspec.firstkey as number, keystep: fspec.keystep as number }
        : { type: 'unknown' };
  return { flags, begin, find };
}

function findSubInfo(parentInfo: MetaNode[] | null, full: string): MetaNode[] | undefined {
  if (!parentInfo) return undefined;
  const subs = parentInfo[9];
  for (const s of setItems(subs)) if (Array.isArray(s) && s[0] === full) return s;
  return undefined;
}

function subDocs(parentDocs: MetaNode | null, full: string): MetaNode | null {
  if (!parentDocs) return null;
  const subs = metaMap(parentDocs).subcommands;
  if (!subs) return null;
  return metaMap(subs)[full] ?? null;
}

/** The registry of commands, built from every family's rows. */
export class CommandTable {
  private readonly top = new Map<string, Command>();
  /**
   * The names clients send, once `rename-command` changed any (null before): lookup() and
   * isContainer() read it; get() keeps the original names for internal callers.
   */
  private external: Map<string, Command> | null = null;

  /**
   * rename-command (config file only, as Redis): `newName` '' removes the command. Errors are
   * Redis's config-file texts.
   */
  rename(oldName: string, newName: string): void {
    const ext = (this.external ??= new Map(this.top));
    const from = oldName.toLowerCase();
    const cmd = ext.get(from);
    if (!cmd) throw new Error('No such command in rename-command');
    ext.delete(from);
    if (newName !== '') {
      const to = newName.toLowerCase();
      if (ext.has(to)) throw new Error('Target command name already exists');
      ext.set(to, cmd);
    }
  }

  /** True once rename-command was applied (the parser's GET/SET fast path is then off). */
  get renamed(): boolean {
    return this.external !== null;
  }

  register(rows: CommandRow[]): void {
    // Containers first so subcommands can attach to them regardless of row order.
    for (const row of rows) {
      if (row.name.includes('|')) continue;
      const cmd = new Command(row, null);
      if (this.top.has(cmd.name)) throw new Error(`duplicate command ${cmd.name}`);
      this.top.set(cmd.name, cmd);
    }
    for (const row of rows) {
      if (!row.name.includes('|')) continue;
      const parentName = row.name.split('|')[0].toLowerCase();
      const parent = this.top.get(parentName);
      if (!parent) throw new Error(`subcommand ${row.name} without container ${parentName}`);
      parent.addSubcommand(new Command(row, parent));
    }
  }

  /** Top-level command by lowercase name. */
  get(name: string): Command | undefined {
    return this.top.get(name);
  }

  /**
   * lookupCommand: resolves container commands to their subcommand. Returns the container itself
   * when argv has no subcommand (its arity then fails), undefined when unknown.
   */
  lookup(argv: Buffer[]): Command | undefined {
    const a0 = argv[0];
    const name = a0.length < 32 ? a0.latin1Slice(0, a0.length).toLowerCase() : '';
    const cmd = (this.external ?? this.top).get(name);
    if (!cmd || !cmd.subcommands || argv.length === 1) return cmd;
    const sub = argv[1].latin1Slice(0, argv[1].length).toLowerCase();
    return cmd.subcommands.get(sub);
  }

  /** True when argv[0] names a container command (for "unknown subcommand" errors). */
  isContainer(name: string): boolean {
    return (this.external ?? this.top).get(name)?.subcommands != null;
  }

  all(): IterableIterator<Command> {
    return this.top.values();
  }

  /** Every command including subcommands. */
  *allWithSubcommands(): Generator<Command> {
    for (const c of this.top.values()) {
      yield c;
      if (c.subcommands) yield* c.subcommands.values();
    }
  }

  get size(): number {
    return this.top.size;
  }
}
