/**
 * Client-side caching (tracking.c): CLIENT TRACKING and its invalidation messages.
 *
 * - Default mode: every key a tracking client reads (a readonly command's keys; for a readonly
 *   command run by a script, the keys the script's EVAL/FCALL declared, as 7.0) is remembered in `table` (key name -> client
 *   ids; key names only, not per db, as Redis). When the key is modified (Server.signalModifiedKey,
 *   which expiry and eviction call too) each remembered client gets one invalidation and the key
 *   is forgotten. OPTIN/OPTOUT with CLIENT CACHING decide per command whether keys are remembered.
 * - BCAST mode: clients subscribe to prefixes (`prefixes`, "" = every key); modified keys are
 *   collected per prefix and sent once per event-loop turn (beforeSleep's
 *   trackingBroadcastInvalidationMessages), minus the client's own changes under NOLOOP.
 * - Delivery (sendTrackingMessage): RESP3 `>2 invalidate [keys]` push; with REDIRECT to a RESP2
 *   client subscribed to anything, a `message` on `__redis__:invalidate`; a redirect target that
 *   is gone flags the client `broken_redirect` (RESP3 clients get `tracking-redir-broken`).
 *   FLUSHDB/FLUSHALL send a null invalidation to every tracking client.
 * - Invalidations for the client whose command is running (a blocked client being served too)
 *   wait until that command's reply has been written (server.tracking_pending_keys).
 * - tracking-table-max-keys: before each command (processCommand, after evictions: the client about
 *   to run it counts as the current one for NOLOOP) and in the cron, keys are invalidated at
 *   random until the table is back under the limit (trackingLimitUsedSlots).
 *
 * Costs: nothing on the command path while no client tracks (one integer test); a read costs one
 * map insert per key; an invalidation is O(clients tracking the key); BCAST collection is
 * O(prefixes) per modified key.
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { CmdFlag, Command } from '../commands/table';
import { commandKeys } from '../commands/getkeys';
import { latin1 } from '../util/number';
import { setImmediate } from '../util/real-timers';

export interface TrackingState {
  /** Client id invalidations go to; 0 = this connection. */
  redirect: number;
  bcast: boolean;
  optin: boolean;
  optout: boolean;
  noloop: boolean;
  /** CLIENT CACHING yes (OPTIN) / no (OPTOUT) given for the next command. */
  caching: boolean;
  brokenRedir: boolean;
  /** BCAST prefixes (latin1). */
  prefixes: Set<string> | null;
}

interface PrefixState {
  clients: Set<Client>;
  /** Keys modified since the last broadcast -> the client that modified it last (null: none). */
  keys: Map<string, Client | null>;
}

const NULL_FLUSH = null;
const INVALIDATE_CHANNEL = Buffer.from('__redis__:invalidate');

export class Tracking {
  /** Clients with tracking on. */
  readonly states = new Map<Client, TrackingState>();
  /** Key (latin1) -> ids of the clients that may have it cached. */
  private table = new Map<string, Set<number>>();
  private totalItems = 0;
  private readonly prefixes = new Map<string, PrefixState>();
  /** Invalidations for the running client, sent after its reply: key, or null for a flush. */
  private pending: (Buffer | null)[] = [];
  private bcastScheduled = false;
  private flushToken: number | null = null;
  private limitEffortRuns = 0;

  constructor(private readonly server: Server) {}

  /** True while some client tracks or invalidations wait: the dispatcher's hooks run only then. */
  get active(): boolean {
    return this.states.size !== 0 || this.pending.length !== 0;
  }

  /** True while a key modification may concern tracking (keys remembered or BCAST prefixes). */
  get watching(): boolean {
    return this.table.size !== 0 || this.prefixes.size !== 0;
  }

  get trackingClients(): number {
    return this.states.size;
  }

  get totalKeys(): number {
    return this.table.size;
  }

  get totalItemsCount(): number {
    return this.totalItems;
  }

  get totalPrefixes(): number {
    return this.prefixes.size;
  }

  /** The BCAST prefixes `c` tracks (0 when it does not track in BCAST mode). */
  prefixCount(c: Client): number {
    if (this.prefixes.size === 0) return 0;
    return this.states.get(c)?.prefixes?.size ?? 0;
  }

  stateOf(c: Client): TrackingState | undefined {
    return this.states.get(c);
  }

  // ------------------------------------------------------------ CLIENT LIST

  /** flags= letters: t (tracking), R (broken redirect), B (BCAST). */
  flagLetters(c: Client): string {
    if (this.states.size === 0) return '';
    const s = this.states.get(c);
    if (s === undefined) return '';
    return 't' + (s.brokenRedir ? 'R' : '') + (s.bcast ? 'B' : '');
  }

  /** redir=: the redirect id while tracking (0 = none), else -1. */
  redirOf(c: Client): number {
    const s = this.states.size === 0 ? undefined : this.states.get(c);
    return s === undefined ? -1 : s.redirect;
  }

  // ------------------------------------------------------------ enable / disable

  /** enableTracking (options already validated by CLIENT TRACKING). */
  enable(c: Client, redirect: number, opts: { bcast: boolean; optin: boolean; optout: boolean; noloop: boolean }, prefixes: Buffer[]): void {
    let s = this.states.get(c);
    if (s === undefined) {
      s = { redirect: 0, bcast: false, optin: false, optout: false, noloop: false, caching: false, brokenRedir: false, prefixes: null };
      this.states.set(c, s);
    }
    s.redirect = redirect;
    s.brokenRedir = s.bcast = s.optin = s.optout = s.noloop = false;
    if (opts.bcast) {
      s.bcast = true;
      if (prefixes.length === 0) this.enableBcastPrefix(c, s, '');
      for (const p of prefixes) this.enableBcastPrefix(c, s, latin1(p));
    }
    s.optin = opts.optin;
    s.optout = opts.optout;
    s.noloop = opts.noloop;
  }

  private enableBcastPrefix(c: Client, s: TrackingState, prefix: string): void {
    let ps = this.prefixes.get(prefix);
    if (ps === undefined) {
      ps = { clients: new Set(), keys: new Map() };
      this.prefixes.set(prefix, ps);
    }
    if (!(s.prefixes ??= new Set()).has(prefix)) {
      s.prefixes.add(prefix);
      ps.clients.add(c);
    }
  }

  /** disableTracking: CLIENT TRACKING off, RESET, disconnect. Remembered keys are dropped lazily. */
  disable(c: Client): void {
    const s = this.states.get(c);
    if (s === undefined) return;
    if (s.prefixes !== null) {
      for (const p of s.prefixes) {
        const ps = this.prefixes.get(p);
        if (ps === undefined) continue;
        ps.clients.delete(c);
        if (ps.clients.size === 0) this.prefixes.delete(p);
      }
    }
    this.states.delete(c);
  }

  /** checkPrefixCollisionsOrReply: the error text, or null when the prefixes do not overlap. */
  prefixCollision(c: Client, prefixes: Buffer[]): string | null {
    const existing = this.states.get(c)?.prefixes;
    for (let i = 0; i < prefixes.length; i++) {
      const p = latin1(prefixes[i]);
      if (existing) {
        for (const e of [...existing].sort()) {
          if (overlaps(e, p)) return `ERR Prefix '${cstr(p)}' overlaps with an existing prefix '${cstr(e)}'. Prefixes for a single client must not overlap.`;
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        const q = latin1(prefixes[j]);
        if (overlaps(p, q)) return `ERR Prefix '${cstr(p)}' overlaps with another provided prefix '${cstr(q)}'. Prefixes for a single client must not overlap.`;
      }
    }
    return null;
  }

  // ------------------------------------------------------------ remembering keys

  /**
   * call()'s hook after a command: remember the keys a readonly command read for its tracking
   * client (the script's caller for commands run by a script).
   */
  afterCall(c: Client, cmd: Command, argv: Buffer[]): void {
    if ((cmd.flags & CmdFlag.READONLY) === 0 || this.states.size === 0) return;
    if (cmd.parent === null && (cmd.name === 'eval_ro' || cmd.name === 'evalsha_ro' || cmd.name === 'fcall_ro')) return;
    const caller = (c.flags & ClientFlag.SCRIPT) !== 0 ? this.server.dispatcher.outerClient : c;
    if (caller === null) return;
    const s = this.states.get(caller);
    if (s === undefined || s.bcast) return;
    if ((s.optin && !s.caching) || (s.optout && s.caching)) return;
    if ((cmd.flags & CmdFlag.PUBSUB) !== 0) return;
    // Redis 7.0 takes the keys from the caller's command: for a script, the keys EVAL/FCALL declared.
    if (caller !== c) {
      if (caller.cmd === null) return;
      cmd = caller.cmd;
      argv = caller.argv;
    }
    const keys = commandKeys(cmd, argv);
    for (let j = 0; j < keys.length; j++) {
      const k = latin1(argv[keys[j].index]);
      let ids = this.table.get(k);
      if (ids === undefined) this.table.set(k, (ids = new Set()));
      if (!ids.has(caller.id)) {
        ids.add(caller.id);
        this.totalItems++;
      }
    }
  }

  /**
   * After the outermost command (and a served blocked one): its client's pending invalidations
   * (after its reply), and
   * resetClient's rule that CLIENT CACHING applies to the next command only (kept inside MULTI,
   * and by CLIENT subcommands).
   */
  afterCommand(c: Client | null): void {
    if (this.pending.length > 0) {
      const list = this.pending;
      this.pending = [];
      if (c !== null && !c.closed) for (const k of list) this.send(c, k);
    }
    if (c === null) return;
    const s = this.states.get(c);
    if (s !== undefined && s.caching && (c.flags & ClientFlag.MULTI) === 0 && c.lastCmd?.parent?.name !== 'client') s.caching = false;
  }

  // ------------------------------------------------------------ invalidation

  /**
   * trackingInvalidateKey, from signalModifiedKey. `current`: Redis's server.current_client, whose
   * own changes NOLOOP leaves out (the client of the running command unless given).
   */
  invalidateKey(key: Buffer | string, bcast = true, current: Client | null = this.server.dispatcher.outerClient): void {
    const k = typeof key === 'string' ? key : latin1(key);
    if (bcast && this.prefixes.size > 0) this.rememberKeyToBroadcast(k, current);
    const ids = this.table.get(k);
    if (ids === undefined) return;
    const executing = this.server.dispatcher.execDepth > 0;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (target === undefined) continue;
      const s = this.states.get(target);
      if (s === undefined || s.bcast) continue;
      if (s.noloop && target === current) continue;
      if (target === current && executing) this.pending.push(Buffer.from(k, 'latin1'));
      else this.send(target, Buffer.from(k, 'latin1'));
    }
    this.totalItems -= ids.size;
    this.table.delete(k);
  }

  /** trackingInvalidateKeysOnFlush: FLUSHDB/FLUSHALL (once per command, however many dbs it empties). */
  onFlush(): void {
    if (this.states.size === 0 && this.table.size === 0) return;
    // One message per command (FLUSHALL empties every db): commands are told apart by the count of
    // commands processed, which each call() increments when it ends.
    const token = this.server.dispatcher.outerClient !== null ? this.server.stats.commandsProcessed : null;
    if (token !== null && token === this.flushToken) return;
    this.flushToken = token;
    const current = this.server.dispatcher.outerClient;
    for (const c of this.states.keys()) {
      if (c === current && this.server.dispatcher.execDepth > 0) this.pending.push(NULL_FLUSH);
      else this.send(c, NULL_FLUSH);
    }
    this.table = new Map();
    this.totalItems = 0;
  }

  private rememberKeyToBroadcast(k: string, modifier: Client | null): void {
    for (const [p, ps] of this.prefixes) {
      if (p.length > k.length || (p.length !== 0 && !k.startsWith(p))) continue;
      ps.keys.set(k, modifier);
    }
    if (!this.bcastScheduled) {
      this.bcastScheduled = true;
      setImmediate(() => this.broadcast());
    }
  }

  /** trackingBroadcastInvalidationMessages (beforeSleep). */
  private broadcast(): void {
    this.bcastScheduled = false;
    // Prefixes in the radix tree's (byte) order.
    for (const p of [...this.prefixes.keys()].sort()) {
      const ps = this.prefixes.get(p)!;
      if (ps.keys.size === 0) continue;
      const keys = [...ps.keys.keys()].sort();
      for (const c of ps.clients) {
        const s = this.states.get(c);
        if (s === undefined || c.closed) continue;
        const mine = s.noloop ? keys.filter((k) => ps.keys.get(k) !== c) : keys;
        if (mine.length > 0) this.send(c, mine.map((k) => Buffer.from(k, 'latin1')));
      }
      ps.keys = new Map();
    }
  }

  /** sendTrackingMessage: keys (one key, several for BCAST) or null (flush). */
  private send(c: Client, keys: Buffer | Buffer[] | null): void {
    const s = this.states.get(c);
    if (s === undefined) return;
    let out = c;
    if (s.redirect !== 0) {
      const redir = this.server.clients.get(s.redirect);
      if (redir === undefined || redir.closed) {
        s.brokenRedir = true;
        if (c.resp === 3) {
          c.beginPush();
          c.writer.rawString(`>2\r\n$21\r\ntracking-redir-broken\r\n:${s.redirect}\r\n`);
          c.endPush();
          this.server.net.scheduleFlush(c);
        }
        return;
      }
      out = redir;
    }
    let head: string;
    if (out.resp === 3) head = '>2\r\n$10\r\ninvalidate\r\n';
    else if (out !== c && (out.flags & ClientFlag.PUBSUB) !== 0) head = `*3\r\n$7\r\nmessage\r\n$${INVALIDATE_CHANNEL.length}\r\n${INVALIDATE_CHANNEL.latin1Slice()}\r\n`;
    else return; // RESP2 without redirection: nothing can be sent
    const w = out.writer;
    out.beginPush();
    w.rawString(head);
    // A flush's null is in the protocol of the tracking client, not of the connection it goes to:
    // Redis 7.0's trackingInvalidateKeysOnFlush writes shared.null[c->resp] raw, so a RESP2
    // redirect target of a RESP3 client receives "_".
    if (keys === null) w.rawString(c.resp === 3 ? '_\r\n' : '$-1\r\n');
    else {
      const list = Array.isArray(keys) ? keys : [keys];
      w.rawString(`*${list.length}\r\n`);
      for (const k of list) {
        w.rawString(`$${k.length}\r\n`);
        w.raw(k);
        w.rawString('\r\n');
      }
    }
    out.endPush();
    this.server.net.scheduleFlush(out);
  }

  // ------------------------------------------------------------ tracking-table-max-keys

  /**
   * trackingLimitUsedSlots: before each command (`current`: its client) and in the cron (null).
   */
  limitUsedSlots(current: Client | null = null): void {
    if (this.table.size === 0) return;
    const max = this.server.config.int('tracking-table-max-keys');
    if (max === 0 || this.table.size <= max) {
      this.limitEffortRuns = 0;
      return;
    }
    let effort = 100 * (this.limitEffortRuns + 1);
    while (effort-- > 0 && this.table.size > 0) {
      // A random key: Map has no random access, so walk a random distance from the start.
      const skip = Math.floor(Math.random() * Math.min(this.table.size, 64));
      let k: string | undefined;
      let i = 0;
      for (const key of this.table.keys()) {
        k = key;
        if (i++ >= skip) break;
      }
      if (k === undefined) break;
      this.invalidateKey(k, false, current);
      if (this.table.size <= max) {
        this.limitEffortRuns = 0;
        return;
      }
    }
    this.limitEffortRuns++;
  }
}

/** stringCheckPrefix: one is a prefix of the other. */
function overlaps(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n) === b.slice(0, n);
}

function cstr(s: string): string {
  const z = s.indexOf('\0');
  return z === -1 ? s : s.slice(0, z);
}
