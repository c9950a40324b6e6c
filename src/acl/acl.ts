/**
 * The ACL registry (Redis 7.0's acl.c outside the rule engine): users by name with the default
 * user, authentication, the permission check the dispatcher calls, the ACL LOG, the aclfile
 * (ACL LOAD / SAVE) and `user` lines of the config file, and the clients a change disconnects.
 *
 * Invariants:
 * - `users` always holds `defaultUser`, the same object for the server's life (ACL LOAD copies
 *   the file's default user into it), so clients pointing to it stay valid.
 * - A client's `aclUser` null means the default user.
 * - ACL LOG holds at most acllog-max-len entries, newest first; an entry equal in reason, context,
 *   object and username to one of the 10 newest within 60 s is merged (count++).
 */
import fs from 'fs';
import path from 'path';
import type { Server } from '../server/server';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { Command } from '../commands/table';
import { clientInfoLine } from '../server/client-info';
import { ACL_ERR, AclDenied, AclRuleError, mergeSelectorArgs, User } from './user';
import { dateNow } from '../util/real-timers';
import { strerror } from '../util/errno';

export interface AclLogEntry {
  count: number;
  reason: string;
  context: string;
  object: string;
  username: string;
  ctime: number;
  cinfo: string;
}

const REASONS = ['', 'command', 'key', 'auth', 'channel'];

/** The NOPERM texts of processCommand (7.0) for keys and channels (commands name the command). */
export function nopermText(r: AclDenied): string {
  switch (r) {
    case AclDenied.KEY:
      return 'NOPERM this user has no permissions to access one of the keys used as arguments';
    case AclDenied.CHANNEL:
      return 'NOPERM this user has no permissions to access one of the channels used as arguments';
    default:
      return 'NOPERM no permission';
  }
}

export class Acl {
  readonly users = new Map<string, User>();
  readonly defaultUser: User;
  log: AclLogEntry[] = [];
  private readonly pos = [0];

  constructor(private readonly server: Server) {
    this.defaultUser = this.createDefault();
    this.users.set('default', this.defaultUser);
    const pass = server.config.str('requirepass');
    if (pass !== '') this.setRequirepass(pass);
  }

  pubsubDefaultAll(): boolean {
    return this.server.config.str('acl-pubsub-default') === 'allchannels';
  }

  newUser(name: string): User {
    return new User(name, this.server.table, () => this.pubsubDefaultAll());
  }

  private createDefault(): User {
    const u = this.newUser('default');
    for (const op of ['+@all', '~*', '&*', 'on', 'nopass']) u.apply(op);
    return u;
  }

  userOf(c: Client): User {
    return (c.aclUser as User | null) ?? this.defaultUser;
  }

  /** authRequired for a new client: the default user has a password or is off. */
  authRequiredByDefault(): boolean {
    const d = this.defaultUser;
    return !d.nopass || !d.enabled;
  }

  /** requirepass set: the default user's password ('' = nopass), as ACLUpdateDefaultUserPassword. */
  setRequirepass(pass: string): void {
    this.defaultUser.apply('resetpass');
    this.defaultUser.apply(pass === '' ? 'nopass' : '>' + pass);
  }

  /** ACLAuthenticateUser: on success the client is authenticated as the user; else an auth log entry. */
  authenticate(c: Client, username: Buffer, pass: Buffer): boolean {
    const name = username.latin1Slice(0, username.length);
    const u = this.users.get(name);
    if (u && u.checkPassword(pass)) {
      c.aclUser = u === this.defaultUser ? null : u;
      c.user = u.name;
      c.authenticated = true;
      return true;
    }
    this.addLog(c, AclDenied.AUTH, c.has(ClientFlag.MULTI) ? 'multi' : 'toplevel', c.argv[0] ? c.argv[0].latin1Slice(0, c.argv[0].length) : 'AUTH', name);
    return false;
  }

  /**
   * processCommand's ACL check: null when allowed, else the NOPERM text (after logging the denial).
   * `context` multi while queuing in MULTI.
   */
  checkCommand(c: Client, cmd: Command, argv: Buffer[]): string | null {
    const u = (c.aclUser as User | null) ?? this.defaultUser;
    if (u.allows(cmd, argv)) return null;
    const r = u.checkSelectors(cmd, argv, this.pos);
    if (r === AclDenied.OK) return null;
    this.logDenial(c, r, c.has(ClientFlag.MULTI) ? 'multi' : 'toplevel', cmd, argv, this.pos[0], u);
    return r === AclDenied.CMD ? `NOPERM this user has no permissions to run the '${cmd.fullname}' command` : nopermText(r);
  }

  /** EXEC's re-check of a queued command (rules may have changed since it was queued). */
  checkQueued(c: Client, cmd: Command, argv: Buffer[]): string | null {
    const u = this.userOf(c);
    const r = u.check(cmd, argv, this.pos);
    if (r === AclDenied.OK) return null;
    this.logDenial(c, r, 'multi', cmd, argv, this.pos[0], u);
    const reason =
      r === AclDenied.CMD
        ? 'no permission to execute the command or subcommand'
        : r === AclDenied.KEY
          ? 'no permission to touch the specified keys'
          : r === AclDenied.CHANNEL
            ? 'no permission to access one of the channels used as arguments'
            : 'no permission';
    return `NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`;
  }

  /** scriptVerifyACL: redis.call with the caller's user. Returns the error text or null. */
  checkScript(caller: Client, cmd: Command, argv: Buffer[]): string | null {
    const u = this.userOf(caller);
    if (u.unrestricted) return null;
    const r = u.check(cmd, argv, this.pos);
    if (r === AclDenied.OK) return null;
    this.logDenial(caller, r, 'lua', cmd, argv, this.pos[0], u);
    switch (r) {
      case AclDenied.CMD:
        return "ERR The user executing the script can't run this command or subcommand";
      case AclDenied.KEY:
        return "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments";
      case AclDenied.CHANNEL:
        return "ERR The user executing the script can't publish to the channel mentioned in the command";
      default:
        return 'ERR The user executing the script is lacking the permissions for the command';
    }
  }

  /** ACLUserCheckCmdWithUnrestrictedKeyAccess for SORT BY/GET (scripts run with the caller's user). */
  fullKeyAccess(c: Client, cmd: Command, argv: Buffer[]): boolean {
    // Internal clients (the AOF loader) run as Redis's user-less fake clients: no restriction.
    if (c.socket === null && !c.has(ClientFlag.SCRIPT)) return true;
    return this.userOf(c).fullKeyAccess(cmd, argv);
  }

  private logDenial(c: Client, r: AclDenied, context: string, cmd: Command, argv: Buffer[], pos: number, u: User): void {
    const object = r === AclDenied.CMD ? cmd.fullname : argv[pos].latin1Slice(0, argv[pos].length);
    this.addLog(c, r, context, object, u.name);
  }

  /** addACLLogEntry */
  addLog(c: Client, reason: AclDenied, context: string, object: string, username: string): void {
    const now = dateNow();
    const entry: AclLogEntry = { count: 1, reason: REASONS[reason], context, object, username, ctime: now, cinfo: clientInfoLine(c) };
    const max = this.server.config.int('acllog-max-len');
    for (let i = 0; i < Math.min(10, this.log.length); i++) {
      const e = this.log[i];
      if (e.reason === entry.reason && e.context === entry.context && e.object === entry.object && e.username === entry.username && now - e.ctime < 60000) {
        e.cinfo = entry.cinfo;
        e.ctime = now;
        e.count++;
        if (i !== 0) {
          this.log.splice(i, 1);
          this.log.unshift(e);
        }
        return;
      }
    }
    this.log.unshift(entry);
    if (this.log.length > max) this.log.length = max;
  }

  // ---------------------------------------------------------------- users

  /** ACL SETUSER: apply `ops` atomically; returns the error reply text or null. */
  setUser(name: string, ops: string[]): string | null {
    if (/[ \0]/.test(name)) return "ERR Usernames can't contain spaces or null characters";
    const bad: string[] = [];
    const merged = mergeSelectorArgs(ops, bad);
    if (merged === null) return `ERR Unmatched parenthesis in acl selector starting at '${bad[0]}'.`;
    const existing = this.users.get(name);
    const temp = existing ? existing.clone() : this.newUser(name);
    for (const op of merged) {
      try {
        temp.apply(op);
      } catch (e) {
        if (e instanceof AclRuleError) return `ERR Error in ACL SETUSER modifier '${op}': ${e.reason}`;
        throw e;
      }
    }
    if (existing) {
      this.killPubsubClientsIfNeeded(temp, existing);
      existing.copyFrom(temp);
    } else this.users.set(name, temp);
    return null;
  }

  /** ACL DELUSER of one user: its clients are disconnected. */
  deleteUser(name: string): boolean {
    const u = this.users.get(name);
    if (!u) return false;
    this.users.delete(name);
    this.killClientsOf(u);
    return true;
  }

  private killClientsOf(u: User): void {
    const current = this.server.dispatcher.currentClient;
    for (const c of [...this.server.clients.values()]) {
      if (c.aclUser !== u) continue;
      if (c === current || c === this.server.dispatcher.outerClient) c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
      else this.server.net.freeClient(c);
    }
  }

  /** ACLKillPubsubClientsIfNeeded: subscribers whose channels `next` no longer allows are disconnected. */
  private killPubsubClientsIfNeeded(next: User, original: User): void {
    const ps = this.server.pubsub;
    if (ps.channels.size === 0 && ps.patterns.size === 0 && ps.shardChannels.size === 0) return;
    if (next.selectors.some((s) => s.allChannels)) return;
    const upcoming = next.selectors.flatMap((s) => s.channels);
    const orig = original.selectors.flatMap((s) => s.channels);
    if (!original.selectors.some((s) => s.allChannels) && orig.every((o) => upcoming.some((n) => n.equals(o)))) return;
    const allowed = (ch: string, pattern: boolean): boolean => {
      const b = Buffer.from(ch, 'latin1');
      return next.selectors.some((s) => s.allowsChannel(b, pattern));
    };
    const current = this.server.dispatcher.currentClient;
    for (const c of [...this.server.clients.values()]) {
      if (this.userOf(c) !== original || !c.has(ClientFlag.PUBSUB)) continue;
      let kill = false;
      for (const p of c.patterns ?? []) if (!allowed(p, true)) kill = true;
      for (const ch of c.channels ?? []) if (!allowed(ch, false)) kill = true;
      for (const ch of c.shardChannels ?? []) if (!allowed(ch, false)) kill = true;
      if (!kill) continue;
      if (c === current) c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
      else this.server.net.freeClient(c);
    }
  }

  /** ACL LIST lines, sorted by name as Redis's rax. */
  listLines(): string[] {
    return this.sortedUsers().map((u) => `user ${u.name} ${u.describe()}`);
  }

  sortedUsers(): User[] {
    return [...this.users.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name, 'latin1'), Buffer.from(b.name, 'latin1')));
  }

  // ---------------------------------------------------------------- files

  /**
   * Build a user set from `user ...` lines (ACLLoadFromFile's parser). Returns the users or the
   * error text (without the trailing WARNING sentence). `where` names the file in messages.
   */
  parseUserLines(lines: string[], where: string): Map<string, User> | string {
    const users = new Map<string, User>();
    let errors = '';
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
      const linenum = i + 1;
      if (line === '') continue;
      const argv = line.split(' ').filter((a) => a !== '');
      if (argv.length === 0) continue;
      if (argv[0] !== 'user' || argv.length < 2) {
        errors += `${where}:${linenum} should start with user keyword followed by the username. `;
        continue;
      }
      if (users.has(argv[1])) {
        errors += `WARNING: Duplicate user '${argv[1]}' found on line ${linenum}. `;
        continue;
      }
      const u = this.newUser(argv[1]);
      users.set(argv[1], u);
      const merged = mergeSelectorArgs(argv.slice(2));
      if (merged === null) {
        errors += `${where}:${linenum}: Unmatched parenthesis in selector definition.`;
        continue;
      }
      // Unknown commands are all reported (with the rule); other errors only the first.
      let syntaxError = false;
      for (const raw of merged) {
        const op = raw.replace(/^[\t\r\n]+|[\t\r\n]+$/g, '');
        try {
          u.apply(op);
        } catch (e) {
          if (!(e instanceof AclRuleError)) throw e;
          if (e.reason === ACL_ERR.ENOENT) errors += `${where}:${linenum}: Error in applying operation '${op}': ${e.reason}. `;
          else if (!syntaxError) {
            errors += `${where}:${linenum}: ${e.reason}. `;
            syntaxError = true;
          }
        }
      }
    }
    return errors === '' ? users : errors;
  }

  /** Replace every user with `users` (ACL LOAD): the default user keeps its object; other users' clients are disconnected. */
  private install(users: Map<string, User>): void {
    const old = [...this.users.values()].filter((u) => u !== this.defaultUser);
    const nd = users.get('default') ?? this.createDefault();
    this.defaultUser.copyFrom(nd);
    users.set('default', this.defaultUser);
    this.users.clear();
    for (const [k, v] of users) this.users.set(k, v);
    for (const u of old) this.killClientsOf(u);
  }

  /**
   * Where the aclfile is: a relative path is relative to `dir`, as in Redis, which has chdir'ed to
   * `dir` before it reads or writes the file (messages name the path as configured).
   */
  private filePath(file: string): string {
    return path.resolve(this.server.config.str('dir'), file);
  }

  /** ACLLoadFromFile: null on success, else the error text (no ERR prefix). */
  loadFile(file: string): string | null {
    let text: string;
    try {
      text = fs.readFileSync(this.filePath(file), 'latin1');
    } catch (e) {
      return `Error loading ACLs, opening file '${file}': ${strerror(e)}`;
    }
    const parsed = this.parseUserLines(text.split('\n'), file);
    if (typeof parsed === 'string') return parsed + 'WARNING: ACL errors detected, no change to the previously active ACL rules was performed';
    this.install(parsed);
    return null;
  }

  /** ACLSaveToFile: every user, written to a temp file renamed over the file. */
  saveFile(configured: string): string | null {
    const file = this.filePath(configured);
    const text = this.listLines().map((l) => l + '\n').join('');
    const tmp = path.join(path.dirname(file), `${path.basename(file)}.tmp-${process.pid}-${dateNow()}`);
    try {
      fs.writeFileSync(tmp, text, 'latin1');
      fs.renameSync(tmp, file);
    } catch (e) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* nothing to remove */
      }
      return `Opening temp ACL file for ACL SAVE: ${strerror(e)}`;
    }
    return null;
  }

  /** Startup: `user` lines from the config file, or the aclfile (never both). Throws Error. */
  loadAtStartup(configUsers: string[]): void {
    const file = this.server.config.str('aclfile');
    if (configUsers.length > 0 && file !== '') {
      throw new Error(
        'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
      );
    }
    if (configUsers.length > 0) {
      const parsed = this.parseUserLines(
        configUsers.map((l) => 'user ' + l),
        'redis.conf',
      );
      if (typeof parsed === 'string') throw new Error(parsed.trim());
      if (parsed.has('default')) this.defaultUser.copyFrom(parsed.get('default')!);
      for (const [k, v] of parsed) if (k !== 'default') this.users.set(k, v);
    } else if (file !== '') {
      const err = this.loadFile(file);
      if (err !== null) throw new Error(err);
    }
  }
}

