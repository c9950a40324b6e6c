/**
 * The ACL command family (aclCommand in acl.c): SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI,
 * CAT, GENPASS, LOG, DRYRUN, LOAD, SAVE, HELP. The rules and the registry live in src/acl/.
 */
import { randomBytes } from 'crypto';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, NOT_INT, wrongArgs } from './errors';
import { isWord } from './args';
import { latin1, parseInt64 } from '../util/number';
import { replyHelp } from './help';
import { AclDenied, CATEGORIES } from '../acl/user';
import type { Acl } from '../acl/acl';
import { dateNow } from '../util/real-timers';

function acl(c: Client): Acl {
  return c.server.acl;
}

const NO_ACLFILE =
  'ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.';

const REDACTED = Buffer.from('(redacted)');

function setuser(c: Client, argv: Buffer[]): void {
  const name = latin1(argv[2]);
  const ops = argv.slice(3).map(latin1);
  // redactClientCommandArgument: SLOWLOG and MONITOR see "(redacted)" for every argument.
  for (let j = 2; j < argv.length; j++) argv[j] = REDACTED;
  const err = acl(c).setUser(name, ops);
  if (err !== null) fail(err);
  c.reply.ok();
}

function getuser(c: Client, argv: Buffer[]): void {
  const u = acl(c).users.get(latin1(argv[2]));
  const r = c.reply;
  if (!u) {
    r.nil();
    return;
  }
  r.map(6);
  r.bulk('flags');
  const flags = u.flagNames();
  r.set(flags.length);
  for (const f of flags) r.bulk(f);
  r.bulk('passwords');
  r.array(u.passwords.length);
  for (const p of u.passwords) r.bulk(p);
  const root = u.root;
  r.bulk('commands');
  r.bulk(root.describeCommands());
  r.bulk('keys');
  r.bulk(root.describeKeys());
  r.bulk('channels');
  r.bulk(root.describeChannels());
  r.bulk('selectors');
  r.array(u.selectors.length - 1);
  for (const s of u.selectors.slice(1)) {
    r.map(3);
    r.bulk('commands');
    r.bulk(s.describeCommands());
    r.bulk('keys');
    r.bulk(s.describeKeys());
    r.bulk('channels');
    r.bulk(s.describeChannels());
  }
}

function deluser(c: Client, argv: Buffer[]): void {
  let n = 0;
  for (let i = 2; i < argv.length; i++) {
    if (latin1(argv[i]) === 'default') fail("ERR The 'default' user cannot be removed");
  }
  for (let i = 2; i < argv.length; i++) if (acl(c).deleteUser(latin1(argv[i]))) n++;
  c.reply.int(n);
}

function list(c: Client): void {
  const lines = acl(c).listLines();
  c.reply.array(lines.length);
  for (const l of lines) c.reply.bulk(l);
}

function users(c: Client): void {
  const all = acl(c).sortedUsers();
  c.reply.array(all.length);
  for (const u of all) c.reply.bulk(u.name);
}

function whoami(c: Client): void {
  c.reply.bulk(acl(c).userOf(c).name);
}

/** aclCommand's last branch (addReplySubcommandSyntaxError) for CAT, GENPASS and LOG with more than one argument. */
function atMostOneArg(argv: Buffer[]): void {
  if (argv.length > 3) fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try ACL HELP.`);
}

function cat(c: Client, argv: Buffer[]): void {
  atMostOneArg(argv);
  if (argv.length === 2) {
    c.reply.array(CATEGORIES.length);
    for (const x of CATEGORIES) c.reply.bulk(x);
    return;
  }
  const name = latin1(argv[2]).toLowerCase();
  if (!CATEGORIES.includes(name)) fail(`ERR Unknown category '${latin1(argv[2])}'`);
  const out: string[] = [];
  for (const cmd of c.server.table.allWithSubcommands()) if (cmd.categories.includes(name)) out.push(cmd.fullname);
  c.reply.array(out.length);
  for (const x of out) c.reply.bulk(x);
}

function genpass(c: Client, argv: Buffer[]): void {
  atMostOneArg(argv);
  let bits = 256;
  if (argv.length > 2) {
    bits = parseInt64(argv[2]);
    if (Number.isNaN(bits)) fail(NOT_INT);
    if (bits <= 0 || bits > 4096) fail('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
  }
  const chars = Math.floor((bits + 3) / 4);
  c.reply.bulk(randomBytes(Math.ceil(chars / 2)).toString('hex').slice(0, chars));
}

function log(c: Client, argv: Buffer[]): void {
  atMostOneArg(argv);
  const a = acl(c);
  let count = 10;
  if (argv.length > 2) {
    if (isWord(argv[2], 'reset')) {
      a.log = [];
      c.reply.ok();
      return;
    }
    count = parseInt64(argv[2]);
    if (Number.isNaN(count)) fail(NOT_INT);
    if (count < 0) count = 0;
  }
  const entries = a.log.slice(0, count);
  const now = dateNow();
  const r = c.reply;
  r.array(entries.length);
  for (const e of entries) {
    r.map(7);
    r.bulk('count');
    r.int(e.count);
    r.bulk('reason');
    r.bulk(e.reason);
    r.bulk('context');
    r.bulk(e.context);
    r.bulk('object');
    r.bulk(e.object);
    r.bulk('username');
    r.bulk(e.username);
    r.bulk('age-seconds');
    r.double((now - e.ctime) / 1000);
    r.bulk('client-info');
    r.bulk(e.cinfo);
  }
}

function dryrun(c: Client, argv: Buffer[]): void {
  const name = latin1(argv[2]);
  const u = acl(c).users.get(name);
  if (!u) fail(`ERR User '${name}' not found`);
  const args = argv.slice(3);
  const cmd = c.server.table.lookup(args);
  if (!cmd) fail(`ERR Command '${latin1(args[0])}' not found`);
  if ((cmd.arity > 0 && cmd.arity !== args.length) || args.length < -cmd.arity) fail(wrongArgs(cmd.fullname));
  const pos = [0];
  const res = u.check(cmd, args, pos);
  if (res === AclDenied.OK) {
    c.reply.ok();
    return;
  }
  const obj = res === AclDenied.CMD ? '' : latin1(args[pos[0]]);
  if (res === AclDenied.CMD) c.reply.bulk(`This user has no permissions to run the '${cmd.fullname}' command`);
  else if (res === AclDenied.KEY) c.reply.bulk(`This user has no permissions to access the '${obj}' key`);
  else c.reply.bulk(`This user has no permissions to access the '${obj}' channel`);
}

function load(c: Client): void {
  const file = c.server.config.str('aclfile');
  if (file === '') fail(NO_ACLFILE);
  const err = acl(c).loadFile(file);
  if (err !== null) fail('ERR ' + err);
  c.reply.ok();
}

function save(c: Client): void {
  const file = c.server.config.str('aclfile');
  if (file === '') fail(NO_ACLFILE);
  if (acl(c).saveFile(file) !== null) fail('ERR There was an error trying to save the ACLs. Please check the server logs for more information');
  c.reply.ok();
}

function help(c: Client): void {
  replyHelp(c, 'acl');
}

export const commands: CommandRow[] = [
  { name: 'acl', handler: () => fail('ERR unknown subcommand') },
  { name: 'acl|setuser', handler: setuser },
  { name: 'acl|getuser', handler: getuser },
  { name: 'acl|deluser', handler: deluser },
  { name: 'acl|list', handler: list },
  { name: 'acl|users', handler: users },
  { name: 'acl|whoami', handler: whoami },
  { name: 'acl|cat', handler: cat },
  { name: 'acl|genpass', handler: genpass },
  { name: 'acl|log', handler: log },
  { name: 'acl|dryrun', handler: dryrun },
  { name: 'acl|load', handler: load },
  { name: 'acl|save', handler: save },
  { name: 'acl|help', handler: help },
];
