/**
 * ACL users and selectors (Redis 7.0's acl.c: ACLSetUser, ACLSetSelector, ACLDescribeUser,
 * ACLCheckAllUserCommandPerm). A user holds flags, SHA-256 password hashes and a list of selectors,
 * the first being the root selector; a command is allowed when any selector allows it.
 *
 * Invariants:
 * - A selector's `allowed` set is the bitmap of Redis: every command (subcommands included) the
 *   selector may run; `future` is Redis's reserved bit (set by +@all, cleared by -@all only), and
 *   `allCommands` the SELECTOR_FLAG_ALLCOMMANDS shortcut (cleared by any '-' rule).
 * - `User.unrestricted` is true when the root selector allows every command, key and channel: the
 *   per-command check is then a single field load. Otherwise it is one Set lookup per selector,
 *   then the command's keys (key specs) against the patterns, then its channels.
 * - Rules are applied to a copy (SETUSER is atomic); the copy replaces the user's content in place,
 *   so clients authenticated as the user see the change at once.
 */
import { createHash } from 'crypto';
import type { Command, CommandTable } from '../commands/table';
import { CmdFlag } from '../commands/table';
import { commandKeys } from '../commands/getkeys';
import { globMatch } from '../util/glob';
import meta from '../commands/redis-7.0-commands.json';

/**
 * A command of Redis 7.0 that Redust does not implement: rules naming it are accepted and change
 * nothing (it answers "unknown command" anyway), so ACL files written by Redis load.
 */
function absentRedisCommand(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(meta.info, name);
}

/** ACL categories in Redis's order (ACL CAT). */
export const CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
  'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
];

function absentRedisSubcommand(parent: string, sub: string): boolean {
  const info = (meta.info as Record<string, unknown[]>)[parent];
  return JSON.stringify(info?.[9] ?? '').includes(JSON.stringify(`${parent}|${sub}`));
}

export const enum AclDenied {
  OK = 0,
  CMD = 1,
  KEY = 2,
  AUTH = 3,
  CHANNEL = 4,
}

const READ = 1;
const WRITE = 2;
const ALL_PERMS = 3;

/** The ACLSetUser errno texts (ACLSetUserStringError). */
export const ACL_ERR = {
  EINVAL: 'Syntax error',
  ENOENT: 'Unknown command or category name in ACL',
  EEXIST: "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
  EISDIR: "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
  ENODEV: 'The password you are trying to remove from the user does not exist',
  EBADMSG: 'The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters',
  ECHILD: 'Allowing first-arg of a subcommand is not supported',
};

/** A rule that could not be applied: `reason` is one of ACL_ERR. */
export class AclRuleError extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

class KeyPattern {
  constructor(
    readonly pattern: Buffer,
    public flags: number,
    /** How it matches, decided once: glob, literal prefix + '*', exact literal, or '*'. */
    readonly kind: number,
    readonly lit: Buffer,
  ) {}
}

const GLOB = 0;
const PREFIX = 1;
const EXACT = 2;
const ANY = 3;

function compilePattern(pattern: Buffer, flags: number): KeyPattern {
  let special = -1;
  for (let i = 0; i < pattern.length; i++) {
    const b = pattern[i];
    if (b === 0x2a || b === 0x3f || b === 0x5b || b === 0x5c) {
      special = i;
      break;
    }
  }
  let kind = GLOB;
  let lit = pattern;
  if (special < 0) kind = EXACT;
  else if (special === pattern.length - 1 && pattern[special] === 0x2a) {
    kind = special === 0 ? ANY : PREFIX;
    lit = pattern.subarray(0, special);
  }
  return new KeyPattern(pattern, flags, kind, lit);
}

function patternMatches(p: KeyPattern, key: Buffer): boolean {
  switch (p.kind) {
    case ANY:
      return true;
    case PREFIX: {
      const lit = p.lit;
      const n = lit.length;
      if (key.length < n) return false;
      for (let i = 0; i < n; i++) if (key[i] !== lit[i]) return false;
      return true;
    }
    case EXACT: {
      const lit = p.lit;
      const n = lit.length;
      if (key.length !== n) return false;
      if (n > 64) return key.equals(lit);
      for (let i = 0; i < n; i++) if (key[i] !== lit[i]) return false;
      return true;
    }
    default:
      return globMatch(p.pattern, key);
  }
}

/** Literals up to this length are compared inline by compileKeyList. */
const INLINE_LITERAL_MAX = 64;

/** A permission no key pattern gives. */
const NO_KEYS = (_key: Buffer): boolean => false;

/**
 * A list of key patterns compiled to one function (User.keyAllowed). Prefix (`abc*`) and exact
 * literals become inline comparisons of the key's bytes against constants, which V8 turns into a
 * few instructions per byte: ~5 ns for the bench user's two prefixes, against 20-30 ns for a loop
 * over pattern objects (a restricted INCR paid 6-8% for it). The generated source holds only
 * numbers (lengths, byte values, indices into `ps`), never pattern text; glob patterns and long
 * literals call patternMatches.
 */
function compileKeyList(list: KeyPattern[]): (key: Buffer) => boolean {
  const body = ['const n = key.length;'];
  for (let j = 0; j < list.length; j++) {
    const p = list[j];
    if (p.kind === ANY) {
      body.push('return true;');
      break;
    }
    if ((p.kind === PREFIX || p.kind === EXACT) && p.lit.length <= INLINE_LITERAL_MAX) {
      const conds = [p.kind === PREFIX ? `n >= ${p.lit.length}` : `n === ${p.lit.length}`];
      for (let i = 0; i < p.lit.length; i++) conds.push(`key[${i}] === ${p.lit[i]}`);
      body.push(`if (${conds.join(' && ')}) return true;`);
    } else body.push(`if (match(ps[${j}], key)) return true;`);
  }
  body.push('return false;');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('ps', 'match', `return function keyAllowed(key) {\n${body.join('\n')}\n};`)(list, patternMatches) as (key: Buffer) => boolean;
}

export function sha256hex(s: Buffer | string): string {
  return createHash('sha256').update(s).digest('hex');
}

function hasSpaces(s: string): boolean {
  return /[ \t\r\n\v\f]/.test(s) || s.includes('\0');
}

export class Selector {
  allKeys = false;
  allChannels = false;
  allCommands = false;
  future = false;
  allowed = new Set<Command>();
  firstArgs: Map<Command, string[]> | null = null;
  keys: KeyPattern[] = [];
  channels: Buffer[] = [];

  constructor(readonly table: CommandTable, pubsubAll: boolean) {
    this.allChannels = pubsubAll;
  }

  clone(): Selector {
    const s = new Selector(this.table, this.allChannels);
    s.allKeys = this.allKeys;
    s.allCommands = this.allCommands;
    s.future = this.future;
    s.allowed = new Set(this.allowed);
    if (this.firstArgs) s.firstArgs = new Map([...this.firstArgs].map(([k, v]) => [k, [...v]]));
    s.keys = this.keys.map((k) => compilePattern(k.pattern, k.flags));
    s.channels = [...this.channels];
    return s;
  }

  private memoCmd: Command | null = null;
  private memoOk = false;

  /** ACLChangeSelectorPerm: the command and its subcommands. */
  private changePerm(cmd: Command, allow: boolean): void {
    this.memoCmd = null;
    if (allow) this.allowed.add(cmd);
    else this.allowed.delete(cmd);
    this.firstArgs?.delete(cmd);
    if (cmd.subcommands) {
      for (const sub of cmd.subcommands.values()) {
        if (allow) this.allowed.add(sub);
        else this.allowed.delete(sub);
      }
    }
  }

  private setCategory(cat: string, allow: boolean): void {
    for (const cmd of this.table.allWithSubcommands()) if (cmd.categories.includes(cat)) this.changePerm(cmd, allow);
  }

  /** ACLSetSelector: one rule. Throws AclRuleError. */
  apply(op: string): void {
    this.memoCmd = null;
    const lower = op.toLowerCase();
    if (lower === 'allkeys' || op === '~*') {
      this.allKeys = true;
      this.keys = [];
    } else if (lower === 'resetkeys') {
      this.allKeys = false;
      this.keys = [];
    } else if (lower === 'allchannels' || op === '&*') {
      this.allChannels = true;
      this.channels = [];
    } else if (lower === 'resetchannels') {
      this.allChannels = false;
      this.channels = [];
    } else if (lower === 'allcommands' || lower === '+@all') {
      this.allCommands = true;
      this.future = true;
      for (const cmd of this.table.allWithSubcommands()) this.allowed.add(cmd);
      this.firstArgs = null;
    } else if (lower === 'nocommands' || lower === '-@all') {
      this.allCommands = false;
      this.future = false;
      this.allowed.clear();
      this.firstArgs = null;
    } else if (op[0] === '~' || op[0] === '%') {
      if (this.allKeys) throw new AclRuleError(ACL_ERR.EEXIST);
      let flags = 0;
      let offset = 1;
      if (op[0] === '%') {
        for (; offset < op.length; offset++) {
          const ch = op[offset].toUpperCase();
          if (ch === 'R' && !(flags & READ)) flags |= READ;
          else if (ch === 'W' && !(flags & WRITE)) flags |= WRITE;
          else if (op[offset] === '~') {
            offset++;
            break;
          } else throw new AclRuleError(ACL_ERR.EINVAL);
        }
      } else flags = ALL_PERMS;
      if (flags === 0) throw new AclRuleError(ACL_ERR.EINVAL);
      const pat = op.slice(offset);
      if (hasSpaces(pat)) throw new AclRuleError(ACL_ERR.EINVAL);
      const bytes = Buffer.from(pat, 'latin1');
      const existing = this.keys.find((k) => k.pattern.equals(bytes));
      if (existing) existing.flags |= flags;
      else this.keys.push(compilePattern(bytes, flags));
    } else if (op[0] === '&') {
      if (this.allChannels) throw new AclRuleError(ACL_ERR.EISDIR);
      const pat = op.slice(1);
      if (hasSpaces(pat)) throw new AclRuleError(ACL_ERR.EINVAL);
      const bytes = Buffer.from(pat, 'latin1');
      if (!this.channels.some((c) => c.equals(bytes))) this.channels.push(bytes);
    } else if ((op[0] === '+' || op[0] === '-') && op[1] === '@') {
      const cat = lower.slice(2);
      if (!CATEGORIES.includes(cat)) throw new AclRuleError(ACL_ERR.ENOENT);
      this.setCategory(cat, op[0] === '+');
      if (op[0] === '-') this.allCommands = false;
    } else if (op[0] === '+' || op[0] === '-') {
      const allow = op[0] === '+';
      const body = lower.slice(1);
      const bar = body.indexOf('|');
      const name = bar < 0 ? body : body.slice(0, bar);
      const cmd = this.table.get(name);
      if (!cmd) {
        if (absentRedisCommand(name)) return;
        throw new AclRuleError(ACL_ERR.ENOENT);
      }
      if (bar < 0) this.changePerm(cmd, allow);
      else {
        const rest = body.slice(bar + 1);
        const subOf = (name: string) => (cmd.subcommands && !name.includes('|') ? cmd.subcommands.get(name) : undefined);
        const absentSub = (name: string) => cmd.subcommands !== undefined && !name.includes('|') && absentRedisSubcommand(cmd.name, name);
        if (allow) {
          // ACLSetSelector's '+': the part after the LAST '|' is the subcommand or first-arg, the
          // part before it must name a command (a subcommand there: ECHILD).
          const last = rest.lastIndexOf('|');
          if (last >= 0) {
            const mid = rest.slice(0, last);
            throw new AclRuleError(subOf(mid) || absentSub(mid) ? ACL_ERR.ECHILD : ACL_ERR.ENOENT);
          }
          if (rest === '') throw new AclRuleError(ACL_ERR.EINVAL);
        }
        if (!allow || cmd.subcommands) {
          // ACLLookupCommand(op+1): a container's subcommand, nothing deeper ('-' takes nothing else).
          const sub = subOf(rest);
          if (!sub) {
            if (absentSub(rest)) return;
            throw new AclRuleError(ACL_ERR.ENOENT);
          }
          this.changePerm(sub, allow);
        } else {
          const arg = op.slice(1).slice(bar + 1);
          this.firstArgs ??= new Map();
          const list = this.firstArgs.get(cmd) ?? [];
          if (!list.some((a) => a.toLowerCase() === arg.toLowerCase())) list.push(arg);
          this.firstArgs.set(cmd, list);
        }
      }
      if (!allow) this.allCommands = false;
    } else throw new AclRuleError(ACL_ERR.EINVAL);
  }

  /** ACLSelectorCheckCmd's command part. */
  allowsCommand(cmd: Command, argv: Buffer[]): boolean {
    if (this.allCommands) return true;
    // A pipeline mostly repeats one command: remember the last answer (reset by every change).
    if (cmd !== this.memoCmd) {
      this.memoCmd = cmd;
      this.memoOk = (cmd.flags & CmdFlag.NO_AUTH) !== 0 || this.allowed.has(cmd);
    }
    if (this.memoOk) return true;
    const fa = this.firstArgs?.get(cmd);
    if (!fa || argv.length < 2) return false;
    const a = argv[1].latin1Slice(0, argv[1].length).toLowerCase();
    return fa.some((x) => x.toLowerCase() === a);
  }

  /** ACLSelectorCheckKey: key-spec flags (ACCESS → read; INSERT/DELETE/UPDATE → write). */
  allowsKey(key: Buffer, specFlags: string[]): boolean {
    return this.allowsKeyWith(key, permsOf(specFlags));
  }

  /** allowsKey with the permissions already derived from the key spec (READ 1, WRITE 2). */
  allowsKeyWith(key: Buffer, need: number): boolean {
    if (this.allKeys) return true;
    const keys = this.keys;
    for (let i = 0; i < keys.length; i++) {
      const p = keys[i];
      if ((p.flags & need) === need && patternMatches(p, key)) return true;
    }
    return false;
  }

  /** ACLCheckChannelAgainstList: a pattern subscription must be listed literally. */
  allowsChannel(channel: Buffer, isPattern: boolean): boolean {
    if (this.allChannels) return true;
    for (const p of this.channels) {
      if (isPattern ? p.equals(channel) : globMatch(p, channel)) return true;
    }
    return false;
  }

  /** Full key access for `flags` (SORT BY/GET): allkeys or a `*` pattern with those permissions. */
  unrestrictedKeys(flags: number): boolean {
    return this.allKeys || this.keys.some((p) => (p.flags & flags) === flags && p.pattern.length === 1 && p.pattern[0] === 0x2a);
  }

  /** ACLSelectorCheckCmd: 0 or the denial, with the offending argument's index in `pos[0]`. */
  check(cmd: Command, argv: Buffer[], pos: number[]): AclDenied {
    if (!this.allowsCommand(cmd, argv)) return AclDenied.CMD;
    if (!this.allKeys && (cmd.keySpecs.length > 0 || cmd.firstKey > 0)) {
      const simple = simpleKey(cmd);
      if (simple !== null) {
        if (simple.index < argv.length && !this.allowsKeyWith(argv[simple.index], simple.need)) {
          pos[0] = simple.index;
          return AclDenied.KEY;
        }
      } else for (const k of aclKeys(cmd, argv)) {
        if (!this.allowsKey(argv[k.index], k.flags)) {
          pos[0] = k.index;
          return AclDenied.KEY;
        }
      }
    }
    if (!this.allChannels && (cmd.flags & CmdFlag.PUBSUB) !== 0) {
      const chans = commandChannels(cmd, argv);
      if (chans !== null) {
        for (let i = chans.from; i < chans.to; i++) {
          if (!this.allowsChannel(argv[i], chans.pattern)) {
            pos[0] = i;
            return AclDenied.CHANNEL;
          }
        }
      }
    }
    return AclDenied.OK;
  }

  // ---------------------------------------------------------------- describe

  /** ACLDescribeSelectorCommandRules: +@all/-@all, categories that mostly apply, then single commands. */
  describeCommands(): string {
    const rules: string[] = [this.future ? '+@all' : '-@all'];
    const fake = new Selector(this.table, false);
    fake.apply(this.future ? '+@all' : '-@all');
    const additive = !this.future;
    // Greedy best fit: the category with more commands in common than different, fewest
    // differences first (then most in common); `temp` loses each applied category.
    const temp = this.clone();
    const applied = new Set<string>();
    for (;;) {
      let best: string | null = null;
      let minDiff = Infinity;
      let maxSame = 0;
      for (const cat of CATEGORIES) {
        if (applied.has(cat)) continue;
        let on = 0;
        let off = 0;
        for (const cmd of this.table.allWithSubcommands()) {
          if (!cmd.categories.includes(cat)) continue;
          if (temp.allowed.has(cmd)) on++;
          else off++;
        }
        const diff = additive ? off : on;
        const same = additive ? on : off;
        if (same > diff && (diff < minDiff || (diff === minDiff && same > maxSame))) {
          best = cat;
          minDiff = diff;
          maxSame = same;
        }
      }
      if (best === null) break;
      const op = (additive ? '+@' : '-@') + best;
      fake.apply(op);
      temp.apply((additive ? '-@' : '+@') + best);
      rules.push(op);
      applied.add(best);
    }
    const single = (cmd: Command): void => {
      const userBit = this.allowed.has(cmd);
      if (userBit !== fake.allowed.has(cmd)) {
        rules.push((userBit ? '+' : '-') + cmd.fullname);
        fake.changePerm(cmd, userBit);
      }
      if (cmd.subcommands) for (const sub of cmd.subcommands.values()) single(sub);
      const fa = this.firstArgs?.get(cmd);
      if (!userBit && fa) for (const a of fa) rules.push(`+${cmd.fullname}|${a}`);
    };
    for (const cmd of this.table.all()) single(cmd);
    return rules.join(' ');
  }

  describeKeys(): string {
    if (this.allKeys) return '~*';
    return this.keys.map((k) => (k.flags === ALL_PERMS ? '~' : `%${k.flags & READ ? 'R' : ''}${k.flags & WRITE ? 'W' : ''}~`) + k.pattern.latin1Slice(0, k.pattern.length)).join(' ');
  }

  describeChannels(): string {
    if (this.allChannels) return '&*';
    return this.channels.map((c) => '&' + c.latin1Slice(0, c.length)).join(' ');
  }

  /** ACLDescribeSelector: keys, channels (with resetchannels), command rules. */
  describe(): string {
    const parts: string[] = [];
    const keys = this.describeKeys();
    if (keys) parts.push(keys);
    if (this.allChannels) parts.push('&*');
    else {
      parts.push('resetchannels');
      const ch = this.describeChannels();
      if (ch) parts.push(ch);
    }
    parts.push(this.describeCommands());
    return parts.join(' ');
  }
}

const permsCache = new WeakMap<string[], number>();

/** The permissions a key spec's flags need (ACCESS → read; INSERT/DELETE/UPDATE → write). */
function permsOf(specFlags: string[]): number {
  let need = permsCache.get(specFlags);
  if (need === undefined) {
    need = 0;
    for (const f of specFlags) {
      if (f === 'access') need |= READ;
      else if (f === 'insert' || f === 'delete' || f === 'update') need |= WRITE;
    }
    permsCache.set(specFlags, need);
  }
  return need;
}

const NO_ARGS: Buffer[] = [];
const simpleKeys = new WeakMap<Command, { index: number; need: number } | null>();

/** A command with one key at a fixed position (one index spec, range 0): no key extraction needed. */
let lastSimpleCmd: Command | null = null;
let lastSimple: { index: number; need: number } | null = null;

function simpleKey(cmd: Command): { index: number; need: number } | null {
  if (cmd === lastSimpleCmd) return lastSimple;
  lastSimpleCmd = cmd;
  lastSimple = simpleKeyOf(cmd);
  return lastSimple;
}

function simpleKeyOf(cmd: Command): { index: number; need: number } | null {
  let s = simpleKeys.get(cmd);
  if (s === undefined) {
    s = null;
    const spec = cmd.keySpecs.length === 1 ? cmd.keySpecs[0] : null;
    if (spec && spec.begin.type === 'index' && spec.find.type === 'range' && spec.find.lastkey === 0 && !spec.flags.includes('variable_flags') && !spec.flags.includes('incomplete') && !spec.flags.includes('not_key')) {
      s = { index: spec.begin.index, need: permsOf(spec.flags) };
    }
    simpleKeys.set(cmd, s);
  }
  return s;
}

/**
 * getKeysFromCommandWithSpecs(GET_KEYSPEC_DEFAULT) as ACL uses it (commands/getkeys.ts, SET's
 * and BITFIELD's flags from their getkeys functions included), without the NOT_KEY keys (shard
 * channels).
 */
export function aclKeys(cmd: Command, argv: Buffer[]): { index: number; flags: string[] }[] {
  const keys = commandKeys(cmd, argv);
  return keys.some((k) => k.flags.includes('not_key')) ? keys.filter((k) => !k.flags.includes('not_key')) : keys;
}

/** getChannelsFromCommand for the publish/subscribe commands: argument range and pattern flag. */
function commandChannels(cmd: Command, argv: Buffer[]): { from: number; to: number; pattern: boolean } | null {
  switch (cmd.parent ? '' : cmd.name) {
    case 'publish':
    case 'spublish':
      return { from: 1, to: 2, pattern: false };
    case 'subscribe':
    case 'ssubscribe':
      return { from: 1, to: argv.length, pattern: false };
    case 'psubscribe':
      return { from: 1, to: argv.length, pattern: true };
    default:
      return null;
  }
}

const LOCAL = [0];

/**
 * What a one-selector user's check of one command comes down to, decided once per (user, command)
 * (User.planOf) and dropped on every change to the user (User.refresh). The fast check only ever
 * answers "allowed"; anything else (a denial, first-arg rules, channels, several selectors, key
 * specs it does not model) goes to the full check, which then finds and logs the denial.
 */
const P_SLOW = 0;
/** The command is allowed and has no key to check (allkeys, or a command without keys). */
const P_ALLOW = 1;
/** One key at a fixed index (a single index/range-0 key spec). */
const P_KEY1 = 2;
/** One index spec with a range of keys (MSET, DEL, MGET, EXISTS...): first..last by step. */
const P_RANGE = 3;
/** SET: write, read and write with a GET argument (setGetKeys). */
const P_SET = 4;

class AclPlan {
  constructor(
    readonly kind: number,
    readonly index: number,
    readonly need: number,
    /** P_RANGE: spec lastkey (>= 0 relative to index, < 0 from the end) and keystep. */
    readonly lastKey: number,
    readonly step: number,
  ) {}
}

const PLAN_SLOW = new AclPlan(P_SLOW, 0, 0, 0, 0);
const PLAN_ALLOW = new AclPlan(P_ALLOW, 0, 0, 0, 0);

/** An argument equal to "get" in any case, without building a string. */
function isGetArg(a: Buffer): boolean {
  return a.length === 3 && (a[0] | 0x20) === 0x67 && (a[1] | 0x20) === 0x65 && (a[2] | 0x20) === 0x74;
}

export class User {
  enabled = false;
  nopass = false;
  /** 0: neither flag, 1: sanitize-payload, 2: skip-sanitize-payload. */
  sanitize = 0;
  passwords: string[] = [];
  selectors: Selector[];
  /** Root selector allows every command, key and channel, and there is no other selector. */
  unrestricted = false;

  constructor(
    readonly name: string,
    readonly table: CommandTable,
    private readonly pubsubDefault: () => boolean,
  ) {
    this.selectors = [new Selector(table, pubsubDefault())];
    this.refresh();
  }

  get root(): Selector {
    return this.selectors[0];
  }

  clone(): User {
    const u = new User(this.name, this.table, this.pubsubDefault);
    u.copyFrom(this);
    return u;
  }

  /** ACLCopyUser: take `src`'s rules (this object stays the one clients point to). */
  copyFrom(src: User): void {
    this.enabled = src.enabled;
    this.nopass = src.nopass;
    this.sanitize = src.sanitize;
    this.passwords = [...src.passwords];
    this.selectors = src.selectors.map((s) => s.clone());
    this.refresh();
  }

  refresh(): void {
    const r = this.selectors[0];
    this.unrestricted = this.selectors.length === 1 && r.allCommands && r.allKeys && r.allChannels;
    this.planCmd = null;
    this.plan = PLAN_SLOW;
    this.plans = this.selectors.length === 1 ? new Map() : null;
    // Key patterns by the permissions a key needs (index: READ 1 | WRITE 2; 0 = any pattern),
    // a '*' pattern standing alone in its list.
    const lists: KeyPattern[][] = [[], [], [], []];
    for (let need = 0; need < 4; need++) {
      for (const p of r.keys) {
        if ((p.flags & need) !== need) continue;
        const q = compilePattern(p.pattern, p.flags);
        if (q.kind === ANY) {
          lists[need] = [q];
          break;
        }
        lists[need].push(q);
      }
    }
    this.keyMatchers = lists.map(compileKeyList);
  }

  /** The last command's plan (a pipeline mostly repeats one command), then the per-command map. */
  private planCmd: Command | null = null;
  private plan: AclPlan = PLAN_SLOW;
  private plans: Map<Command, AclPlan> | null = null;
  /** By the permissions a key needs (see refresh): does some key pattern allow the key. */
  private keyMatchers: ((key: Buffer) => boolean)[] = [NO_KEYS, NO_KEYS, NO_KEYS, NO_KEYS];

  private planOf(cmd: Command): AclPlan {
    if (cmd === this.planCmd) return this.plan;
    const plans = this.plans;
    if (plans === null) return PLAN_SLOW;
    let p = plans.get(cmd);
    if (p === undefined) {
      p = this.makePlan(cmd);
      plans.set(cmd, p);
    }
    this.planCmd = cmd;
    this.plan = p;
    return p;
  }

  /** Selector.check's decisions that do not depend on the arguments, for the root selector alone. */
  private makePlan(cmd: Command): AclPlan {
    const r = this.selectors[0];
    if (!r.allowsCommand(cmd, NO_ARGS)) return PLAN_SLOW; // denied, or first-arg rules
    if ((cmd.flags & CmdFlag.PUBSUB) !== 0 && !r.allChannels) return PLAN_SLOW;
    if (r.allKeys || (cmd.keySpecs.length === 0 && cmd.firstKey <= 0)) return PLAN_ALLOW;
    if (cmd.parent === null && cmd.name === 'set') return new AclPlan(P_SET, 1, WRITE, 0, 0);
    const simple = simpleKeyOf(cmd);
    if (simple !== null) return new AclPlan(P_KEY1, simple.index, simple.need, 0, 0);
    const spec = cmd.keySpecs.length === 1 ? cmd.keySpecs[0] : null;
    if (
      spec &&
      spec.begin.type === 'index' &&
      spec.find.type === 'range' &&
      !spec.find.limit &&
      spec.find.keystep > 0 &&
      !spec.flags.includes('variable_flags') &&
      !spec.flags.includes('incomplete') &&
      !spec.flags.includes('not_key')
    ) {
      return new AclPlan(P_RANGE, spec.begin.index, permsOf(spec.flags), spec.find.lastkey, spec.find.keystep);
    }
    return PLAN_SLOW;
  }

  /** The key against the patterns giving `need` (compiled by compileKeyList). */
  private keyAllowed(key: Buffer, need: number): boolean {
    return this.keyMatchers[need](key);
  }

  /** The fast check: true when the command is allowed; false means "take the full check". */
  private fastAllows(cmd: Command, argv: Buffer[]): boolean {
    const p = this.planOf(cmd);
    switch (p.kind) {
      case P_ALLOW:
        return true;
      case P_KEY1:
        return p.index >= argv.length || this.keyAllowed(argv[p.index], p.need);
      case P_SET: {
        let need = WRITE;
        for (let i = 3; i < argv.length; i++) {
          if (isGetArg(argv[i])) {
            need = READ | WRITE;
            break;
          }
        }
        return argv.length < 2 || this.keyAllowed(argv[1], need);
      }
      case P_RANGE: {
        const argc = argv.length;
        const last = p.lastKey >= 0 ? p.index + p.lastKey : argc + p.lastKey;
        for (let i = p.index; i <= last && i < argc; i += p.step) if (!this.keyAllowed(argv[i], p.need)) return false;
        return true;
      }
      default:
        return false;
    }
  }

  /** ACLSetUser: one rule (a selector rule goes to the root selector). Throws AclRuleError. */
  apply(op: string): void {
    if (op === '') return; // an empty rule changes nothing (ACLSetUser)
    const lower = op.toLowerCase();
    if (lower === 'on') this.enabled = true;
    else if (lower === 'off') this.enabled = false;
    else if (lower === 'skip-sanitize-payload') this.sanitize = 2;
    else if (lower === 'sanitize-payload') this.sanitize = 1;
    else if (lower === 'nopass') {
      this.nopass = true;
      this.passwords = [];
    } else if (lower === 'resetpass') {
      this.nopass = false;
      this.passwords = [];
    } else if (op[0] === '>' || op[0] === '#') {
      let hash: string;
      if (op[0] === '>') hash = sha256hex(Buffer.from(op.slice(1), 'latin1'));
      else {
        hash = op.slice(1);
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(ACL_ERR.EBADMSG);
      }
      if (!this.passwords.includes(hash)) this.passwords.push(hash);
      this.nopass = false;
    } else if (op[0] === '<' || op[0] === '!') {
      let hash: string;
      if (op[0] === '<') hash = sha256hex(Buffer.from(op.slice(1), 'latin1'));
      else {
        hash = op.slice(1);
        if (!/^[0-9a-f]{64}$/.test(hash)) throw new AclRuleError(ACL_ERR.EBADMSG);
      }
      const i = this.passwords.indexOf(hash);
      if (i < 0) throw new AclRuleError(ACL_ERR.ENODEV);
      this.passwords.splice(i, 1);
    } else if (op[0] === '(' && op[op.length - 1] === ')') {
      const s = new Selector(this.table, this.pubsubDefault());
      for (const part of op.slice(1, -1).split(/[ \t]+/).filter(Boolean)) s.apply(part);
      this.selectors.push(s);
    } else if (lower === 'clearselectors') {
      this.selectors.length = 1;
    } else if (lower === 'reset') {
      for (const o of ['resetpass', 'resetkeys', 'resetchannels']) this.apply(o);
      if (this.pubsubDefault()) this.apply('allchannels');
      this.apply('off');
      this.apply('sanitize-payload');
      this.apply('clearselectors');
      this.apply('-@all');
    } else this.root.apply(op);
    this.refresh();
  }

  /** ACLCheckUserCredentials */
  checkPassword(pass: Buffer): boolean {
    if (!this.enabled) return false;
    if (this.nopass) return true;
    return this.passwords.includes(sha256hex(pass));
  }

  /**
   * ACLCheckAllUserCommandPerm: OK when any selector allows the command; else the most relevant
   * denial (a key or channel over the command, the later argument first), its index in pos[0].
   */
  check(cmd: Command, argv: Buffer[], pos: number[]): AclDenied {
    if (this.unrestricted || this.fastAllows(cmd, argv)) return AclDenied.OK;
    return this.checkSelectors(cmd, argv, pos);
  }

  /**
   * processCommand's check: true when allowed, false to take the full check (checkSelectors).
   * The common case (the pipeline's command again, with one key) repeats fastAllows's P_KEY1
   * case first so that this stays small enough to inline; anything else goes on to fastAllows.
   */
  allows(cmd: Command, argv: Buffer[]): boolean {
    if (cmd === this.planCmd) {
      const p = this.plan;
      if (p.kind === P_KEY1) return p.index >= argv.length || this.keyMatchers[p.need](argv[p.index]);
    }
    return this.unrestricted || this.fastAllows(cmd, argv);
  }

  /** check's slow part: each selector in turn, and the most relevant denial. */
  checkSelectors(cmd: Command, argv: Buffer[], pos: number[]): AclDenied {
    let relevant = AclDenied.CMD;
    let lastIdx = 0;
    const local = LOCAL;
    for (const s of this.selectors) {
      local[0] = 0;
      const r = s.check(cmd, argv, local);
      if (r === AclDenied.OK) return r;
      if (r > relevant || (r === relevant && local[0] > lastIdx)) {
        relevant = r;
        lastIdx = local[0];
      }
    }
    pos[0] = lastIdx;
    return relevant;
  }

  /** The dispatcher's GET/SET fast path: allowed with its one key (false: take the full check). */
  allowsFast(cmd: Command, key: Buffer, isGet: boolean): boolean {
    // GET's key spec is RO+ACCESS (read); a plain SET key value is OW+UPDATE (setGetKeys: write).
    const need = isGet ? READ : WRITE;
    const p = this.planOf(cmd);
    if (p.kind === P_ALLOW) return true;
    if (p.kind !== P_SLOW) return this.keyAllowed(key, need);
    return this.allowsFastBySelectors(cmd, key, need);
  }

  /** allowsFast without a plan (several selectors, or a denial): each selector in turn. */
  private allowsFastBySelectors(cmd: Command, key: Buffer, need: number): boolean {
    const sels = this.selectors;
    for (let i = 0; i < sels.length; i++) if (sels[i].allowsCommand(cmd, NO_ARGS) && sels[i].allowsKeyWith(key, need)) return true;
    return false;
  }

  /** ACLUserCheckCmdWithUnrestrictedKeyAccess (SORT BY/GET): read access to every key. */
  fullKeyAccess(cmd: Command, argv: Buffer[]): boolean {
    if (this.unrestricted) return true;
    return this.selectors.some((s) => s.allowsCommand(cmd, argv) && s.unrestrictedKeys(READ));
  }

  flagNames(): string[] {
    const out = [this.enabled ? 'on' : 'off'];
    if (this.nopass) out.push('nopass');
    if (this.sanitize === 2) out.push('skip-sanitize-payload');
    if (this.sanitize === 1) out.push('sanitize-payload');
    return out;
  }

  /** ACLDescribeUser (without the "user <name>" prefix). */
  describe(): string {
    const parts = this.flagNames();
    for (const p of this.passwords) parts.push('#' + p);
    parts.push(this.root.describe());
    for (let i = 1; i < this.selectors.length; i++) parts.push(`(${this.selectors[i].describe()})`);
    return parts.join(' ');
  }
}

/**
 * ACLMergeSelectorArguments: join arguments between '(' and ')' into one selector argument.
 * Returns null on an unmatched parenthesis, with the opening argument in `bad[0]`.
 */
export function mergeSelectorArgs(args: string[], bad: string[] = []): string[] | null {
  const out: string[] = [];
  let acc: string | null = null;
  for (const a of args) {
    if (acc !== null) {
      acc += ' ' + a;
      if (a.endsWith(')')) {
        out.push(acc);
        acc = null;
      }
    } else if (a.startsWith('(') && !a.endsWith(')')) {
      acc = a;
      bad[0] = a;
    } else out.push(a);
  }
  if (acc !== null) return null;
  return out;
}
