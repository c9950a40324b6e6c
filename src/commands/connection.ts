/**
 * Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO and CLIENT.
 */
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { CommandRow } from './table';
import { container } from './table';
import { fail, NOT_INT, OUT_OF_RANGE_DB, SYNTAX, wrongArgs, WRONGPASS } from './errors';
import { intArg, isWord, rangeIntArg } from './args';
import { latin1, parseInt64 } from '../util/number';
import { replyHelp } from './help';
import { clientInfoLine } from '../server/client-info';

function ping(c: Client, argv: Buffer[]): void {
  if (argv.length > 2) fail(wrongArgs('ping'));
  if (c.has(ClientFlag.PUBSUB) && c.resp === 2) {
    c.reply.array(2);
    c.reply.bulk('pong');
    c.reply.bulk(argv.length === 1 ? '' : argv[1]);
  } else if (argv.length === 1) c.reply.simple('PONG');
  else c.reply.bulk(argv[1]);
}

function echo(c: Client, argv: Buffer[]): void {
  c.reply.bulk(argv[1]);
}

function quit(c: Client): void {
  c.reply.ok();
  c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
}

/** clearClientConnectionState, as RESET does it. */
export function resetClientState(c: Client): void {
  const s = c.server;
  c.multiQueue = null;
  c.flags &= ~(ClientFlag.MULTI | ClientFlag.DIRTY_EXEC | ClientFlag.DIRTY_CAS | ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT | ClientFlag.NO_EVICT | ClientFlag.NO_TOUCH);
  s.watches.unwatchAll(c);
  c.selectDb(0);
  c.resp = 2;
  c.name = '';
  s.pubsub.unsubscribeAll(c);
  if (c.flags & ClientFlag.MONITOR) s.monitors.remove(c);
  s.tracking.disable(c);
  c.authenticated = !s.authRequiredByDefault();
  c.user = 'default';
  c.aclUser = null;
}

function reset(c: Client): void {
  resetClientState(c);
  c.reply.simple('RESET');
}

function select(c: Client, argv: Buffer[]): void {
  const id = rangeIntArg(argv[1], -2147483648n, 2147483647n);
  if (id < 0 || id >= c.server.dbs.length) fail(OUT_OF_RANGE_DB);
  c.selectDb(id);
  c.reply.ok();
}

/** ACLAuthenticateUser (src/acl/acl.ts). */
function authenticate(c: Client, user: Buffer, pass: Buffer): boolean {
  return c.server.acl.authenticate(c, user, pass);
}

function auth(c: Client, argv: Buffer[]): void {
  if (argv.length > 3) fail(SYNTAX);
  let user: Buffer;
  let pass: Buffer;
  if (argv.length === 2) {
    if (c.server.acl.defaultUser.nopass) {
      fail('ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?');
    }
    user = DEFAULT_USER;
    pass = argv[1];
  } else {
    user = argv[1];
    pass = argv[2];
  }
  if (authenticate(c, user, pass)) c.reply.ok();
  else fail(WRONGPASS);
}

const DEFAULT_USER = Buffer.from('default');

/** clientSetNameOrReply */
function setName(c: Client, name: Buffer): void {
  for (const b of name) {
    if (b < 33 || b > 126) fail('ERR Client names cannot contain spaces, newlines or special characters.');
  }
  c.name = latin1(name);
}

function hello(c: Client, argv: Buffer[]): void {
  let ver = 0;
  let next = 1;
  if (argv.length >= 2) {
    ver = intArg(argv[next++], 'ERR Protocol version is not an integer or out of range');
    if (ver < 2 || ver > 3) fail('NOPROTO unsupported protocol version');
  }
  for (let j = next; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'auth') && more >= 2) {
      if (!authenticate(c, argv[j + 1], argv[j + 2])) fail(WRONGPASS);
      j += 2;
    } else if (isWord(argv[j], 'setname') && more >= 1) {
      setName(c, argv[j + 1]);
      j++;
    } else fail(`ERR Syntax error in HELLO option '${latin1(argv[j])}'`);
  }
  if (!c.authenticated) {
    fail('NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time');
  }
  if (ver) c.resp = ver as 2 | 3;
  const r = c.reply;
  r.map(7);
  r.bulk('server');
  r.bulk('redis');
  r.bulk('version');
  r.bulk(c.server.redisVersion);
  r.bulk('proto');
  r.int(c.resp);
  r.bulk('id');
  r.int(c.id);
  r.bulk('mode');
  r.bulk('standalone');
  r.bulk('role');
  r.bulk('master');
  r.bulk('modules');
  r.array(0);
}

// ------------------------------------------------------------------ CLIENT

function clientId(c: Client): void {
  c.reply.int(c.id);
}

function clientSetname(c: Client, argv: Buffer[]): void {
  setName(c, argv[2]);
  c.reply.ok();
}

function clientGetname(c: Client): void {
  if (c.name) c.reply.bulk(c.name);
  else c.reply.nil();
}

function clientType(c: Client): string {
  return c.has(ClientFlag.PUBSUB) ? 'pubsub' : 'normal';
}

function clientList(c: Client, argv: Buffer[]): void {
  let filterType: string | null = null;
  let out = '';
  if (argv.length === 4 && isWord(argv[2], 'type')) {
    filterType = latin1(argv[3]).toLowerCase();
    if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(filterType)) fail(`ERR Unknown client type '${latin1(argv[3])}'`);
  } else if (argv.length > 3 && isWord(argv[2], 'id')) {
    // Each id in the order given (a repeated one repeated), any long long accepted, as Redis's
    // lookupClientByID loop: one that is no client adds nothing.
    for (let j = 3; j < argv.length; j++) {
      const id = parseInt64(argv[j]);
      if (Number.isNaN(id)) fail('ERR Invalid client ID');
      const other = c.server.clients.get(id);
      if (other !== undefined) out += clientInfoLine(other) + '\n';
    }
    c.reply.verbatim(out);
    return;
  } else if (argv.length !== 2) fail(SYNTAX);
  for (const other of c.server.clients.values()) {
    if (filterType && clientType(other) !== (filterType === 'slave' ? 'replica' : filterType)) continue;
    out += clientInfoLine(other) + '\n';
  }
  c.reply.verbatim(out);
}

function clientInfo(c: Client): void {
  c.reply.verbatim(clientInfoLine(c) + '\n');
}

function clientKill(c: Client, argv: Buffer[]): void {
  const server = c.server;
  if (argv.length === 3) {
    // Old form: CLIENT KILL addr:port
    const addr = latin1(argv[2]);
    for (const other of server.clients.values()) {
      if (other.addr === addr) {
        killClient(c, other);
        c.reply.ok();
        return;
      }
    }
    fail('ERR No such client');
  }
  let id = 0;
  let type: string | null = null;
  let addr: string | null = null;
  let laddr: string | null = null;
  let user: string | null = null;
  let skipme = true;
  // Options are checked in order: a missing value is a syntax error where it is reached.
  for (let i = 2; i < argv.length; i += 2) {
    if (i + 1 >= argv.length) fail(SYNTAX);
    const v = latin1(argv[i + 1]);
    if (isWord(argv[i], 'id')) {
      id = parseInt64(v);
      if (Number.isNaN(id) || id <= 0) fail('ERR client-id should be greater than 0');
    } else if (isWord(argv[i], 'type')) {
      type = v.toLowerCase();
      if (!['normal', 'master', 'replica', 'slave', 'pubsub'].includes(type)) fail(`ERR Unknown client type '${v}'`);
    } else if (isWord(argv[i], 'addr')) addr = v;
    else if (isWord(argv[i], 'laddr')) laddr = v;
    else if (isWord(argv[i], 'user')) {
      if (!server.acl.users.has(v)) fail(`ERR No such user '${v}'`);
      user = v;
    } else if (isWord(argv[i], 'skipme')) {
      if (v.toLowerCase() === 'yes') skipme = true;
      else if (v.toLowerCase() === 'no') skipme = false;
      else fail(SYNTAX);
    } else fail(SYNTAX);
  }
  let killed = 0;
  for (const other of [...server.clients.values()]) {
    if (id && other.id !== id) continue;
    if (type && clientType(other) !== (type === 'slave' ? 'replica' : type)) continue;
    if (addr && other.addr !== addr) continue;
    if (laddr && other.laddr !== laddr) continue;
    if (user && other.user !== user) continue;
    if (other === c && skipme) continue;
    killClient(c, other);
    killed++;
  }
  c.reply.int(killed);
}

/** Close another client; the caller itself is closed after its reply is written. */
function killClient(self: Client, other: Client): void {
  if (other === self) self.flags |= ClientFlag.CLOSE_AFTER_REPLY;
  else self.server.net.freeClient(other);
}

function clientReply(c: Client, argv: Buffer[]): void {
  if (isWord(argv[2], 'on')) {
    // Clears SKIP too: the ON right after a SKIP is answered (Redis's clientCommand).
    c.flags &= ~(ClientFlag.REPLY_OFF | ClientFlag.REPLY_SKIP | ClientFlag.REPLY_SKIP_NEXT);
    c.reply.ok();
  } else if (isWord(argv[2], 'off')) c.flags |= ClientFlag.REPLY_OFF;
  else if (isWord(argv[2], 'skip')) {
    if (!c.has(ClientFlag.REPLY_OFF)) c.flags |= ClientFlag.REPLY_SKIP_NEXT;
  } else fail(SYNTAX);
}

function clientSetinfo(c: Client, argv: Buffer[]): void {
  const attr = latin1(argv[2]).toLowerCase();
  const value = latin1(argv[3]);
  for (let i = 0; i < value.length; i++) {
    const ch = value.charCodeAt(i);
    if (ch < 33 || ch > 126) fail(`ERR ${attr} cannot contain spaces, newlines or special characters.`);
  }
  if (attr === 'lib-name') c.libName = value;
  else if (attr === 'lib-ver') c.libVer = value;
  else fail(`ERR Unrecognized option '${latin1(argv[2])}'`);
  c.reply.ok();
}

function clientNoEvict(c: Client, argv: Buffer[]): void {
  if (isWord(argv[2], 'on')) c.flags |= ClientFlag.NO_EVICT;
  else if (isWord(argv[2], 'off')) c.flags &= ~ClientFlag.NO_EVICT;
  else fail(SYNTAX);
  // (out of its bucket at once, as removeClientFromMemUsageBucket; `off` puts it back after the command)
  if (c.server.clientEviction.enabled) c.server.clientEviction.update(c);
  c.reply.ok();
}

function clientUnblock(c: Client, argv: Buffer[]): void {
  if (argv.length > 4) fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try CLIENT HELP.`);
  const id = parseInt64(argv[2]);
  if (Number.isNaN(id)) fail(NOT_INT);
  let withError = false;
  if (argv.length === 4) {
    if (isWord(argv[3], 'timeout')) withError = false;
    else if (isWord(argv[3], 'error')) withError = true;
    else fail('ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
  }
  const target = c.server.clients.get(id);
  const done = target !== undefined && c.server.blocking.clientUnblock(target, withError);
  c.reply.int(done ? 1 : 0);
}

function clientHelp(c: Client): void {
  replyHelp(c, 'client');
}


export const commands: CommandRow[] = [
  { name: 'ping', handler: ping },
  { name: 'echo', handler: echo },
  { name: 'quit', handler: quit },
  { name: 'reset', handler: reset },
  { name: 'select', handler: select },
  { name: 'auth', handler: auth },
  { name: 'hello', handler: hello },
  { name: 'client', handler: container },
  { name: 'client|id', handler: clientId },
  { name: 'client|setname', handler: clientSetname },
  { name: 'client|getname', handler: clientGetname },
  { name: 'client|list', handler: clientList },
  { name: 'client|info', handler: clientInfo },
  { name: 'client|kill', handler: clientKill },
  { name: 'client|reply', handler: clientReply },
  { name: 'client|no-evict', handler: clientNoEvict },
  { name: 'client|unblock', handler: clientUnblock },
  { name: 'client|help', handler: clientHelp },
  // CLIENT SETINFO is Redis 7.2's; clients such as node-redis send it on connect.
  { name: 'client|setinfo', handler: clientSetinfo, arity: 4, flags: ['noscript', 'loading', 'stale'], acl: ['slow', 'connection'] },
];
