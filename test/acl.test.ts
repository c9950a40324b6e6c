/**
 * ACL: users, rules, selectors and enforcement, differential against Redis 7.0 with the same users.
 * A matrix of users (command, category, key, channel rules and selectors) × commands (reads,
 * writes, multi-key, SORT BY/GET, PUBLISH, EVAL with redis.call, MULTI/EXEC) × keys: every reply
 * must equal Redis's, so no access Redis denies is allowed. Plus GETUSER/LIST/LOG shapes, aclfile
 * SAVE/LOAD, AUTH/HELLO with ioredis, and the disconnections 7.0 does.
 *
 * Rule strings are compared as token multisets: Redis prints single-command rules in the order of
 * its command dict, which is seeded at random on every start.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import Redis from 'ioredis';
import { enginesUnderTest, haveRedisServer, ReferenceServer, startRedust, startReference } from './helpers/servers';
import { Differential } from './helpers/diff';
import { Arg, RawConnection, text, items } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import type { RespNode } from '../src/protocol/resp-reader';
import type { RedustServer } from '../src/index';
import { ALL_COMMANDS } from '../src/commands';

const HAVE_REF = haveRedisServer();

/** The users of the matrix, created with the same SETUSER on both servers. */
const USERS: Record<string, string[]> = {
  reader: ['on', '>pw', '~r:*', '%R~shared:*', '+@read', '-@dangerous', '+sort', '+multi', '+exec', '+eval', '+publish', '&news:*'],
  writer: ['on', '>pw', '%W~w:*', '~both:*', '+@write', '+@read', '+multi', '+exec', '+eval', '+sort', '+publish', '&chan:*', '-flushall', '-flushdb'],
  keyed: ['on', '>pw', '~k:*', '~both:*', 'allchannels', '+@all', '-@dangerous', '+sort'],
  sel: ['on', '>pw', 'resetkeys', '~a:*', '+get', '+set', '+eval', '+multi', '+exec', '(~b:* +@read)', '(%R~c:* +@all -flushall -flushdb)'],
  firstarg: ['on', '>pw', 'allkeys', '+select|0', '+@string', '+client|setname', '+multi', '+exec'],
  nocmd: ['on', 'nopass', 'allkeys', 'allchannels', '-@all', '+ping'],
};

const KEYS = ['r:1', 'shared:1', 'w:1', 'both:1', 'k:1', 'a:1', 'b:1', 'c:1', 'x:1'];
const OTHER = ['w:2', 'k:2', 'a:2', 'x:2', 'both:2'];

function singleKeyCommands(k: string): Arg[][] {
  return [
    ['GET', k],
    ['SET', k, 'v'],
    ['EXISTS', k],
    ['STRLEN', k],
    ['APPEND', k, 'x'],
    ['TYPE', k],
    ['DEL', k],
    ['LPUSH', k, '3', '1', '2'],
    ['LRANGE', k, '0', '-1'],
    ['SORT', k],
    ['SORT', k, 'BY', 'nosort'],
    ['SORT', k, 'BY', 'w:*'],
    ['SORT', k, 'GET', '#'],
    ['SORT', k, 'STORE', 'w:sorted'],
    ['SORT_RO', k],
    ['EVAL', "return redis.call('lrange', KEYS[1], 0, -1)", '1', k],
    ['EVAL', "return redis.pcall('set', KEYS[1], 'x')", '1', k],
    ['EVAL', "return redis.call('sort', KEYS[1], 'BY', 'zz*')", '1', k],
    ['SADD', k + 's', 'm'],
    ['SMEMBERS', k + 's'],
    // SET and BITFIELD take their key flags from their arguments (read needed only with GET).
    ['SET', k, 'v', 'GET'],
    ['BITFIELD', k, 'GET', 'u8', '0'],
    ['BITFIELD', k, 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', k, 'GET', 'u8', '0'],
    ['EVAL', "return redis.acl_check_cmd('set', KEYS[1], 'x')", '1', k],
    ['EVAL', "return redis.acl_check_cmd('get', KEYS[1])", '1', k],
  ];
}

function multiKeyCommands(k: string, k2: string): Arg[][] {
  return [
    ['MSET', k, '1', k2, '2'],
    ['MGET', k, k2],
    ['RPUSH', k2 + 'l', 'a'],
    ['LMOVE', k2 + 'l', k + 'l', 'LEFT', 'RIGHT'],
    ['SADD', k2 + 's', 'a', 'b'],
    ['SINTERSTORE', k, k2 + 's', k2 + 's'],
    ['COPY', k, k2],
    ['COPY', k2, k, 'REPLACE'],
  ];
}

const OTHER_COMMANDS: Arg[][] = [
  ['PING'],
  ['SELECT', '0'],
  ['SELECT', '1'],
  ['SELECT', '0'],
  ['CLIENT', 'SETNAME', 'x'],
  ['CLIENT', 'GETNAME'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['KEYS', 'nomatch*'],
  ['PUBLISH', 'news:1', 'm'],
  ['PUBLISH', 'chan:1', 'm'],
  ['PUBLISH', 'other', 'm'],
  ['EVAL', "return redis.pcall('publish', 'other', 'm')", '0'],
  ['EVAL', "return redis.pcall('publish', 'news:1', 'm')", '0'],
  ['EVAL', "return redis.pcall('flushall')", '0'],
  ['EVAL', "return redis.call('ping')", '0'],
  ['ACL', 'WHOAMI'],
  ['MULTI'],
  ['GET', 'a:1'],
  ['SET', 'b:1', 'x'],
  ['GET', 'x:1'],
  ['EXEC'],
  ['MULTI'],
  ['GET', 'a:1'],
  ['EXEC'],
];

const ROW_NAMES = new Set(ALL_COMMANDS.map((r) => r.name));
const CONTAINERS = new Set(ALL_COMMANDS.filter((r) => r.name.includes('|')).map((r) => r.name.split('|')[0]));

/** A `+name`/`-name` rule about a command Redust does not implement (absent from its table). */
function unknownCommandRule(tok: string): boolean {
  const m = /^\(?[+-]([^@][^)]*)\)?$/.exec(tok);
  if (!m) return false;
  const name = m[1];
  if (ROW_NAMES.has(name)) return false;
  const top = name.split('|')[0];
  return !(name.includes('|') && ROW_NAMES.has(top) && !CONTAINERS.has(top));
}

/**
 * Tokens of a rule string (or of every line), sorted: Redis's single-command rule order is random.
 * Rules naming commands Redust does not have are dropped.
 */
function ruleTokens(s: string): string {
  return s
    .split(/\s+/)
    .map((t) => t.replace(/^\(|\)$/g, ''))
    .filter((t) => t !== '' && !unknownCommandRule(t))
    .sort()
    .join(' ');
}

/** A reply tree with every bulk string replaced by its sorted tokens (GETUSER, ACL LIST). */
function normRules(n: RespNode): string {
  const walk = (x: RespNode): RespNode => {
    if (x.t === 'bulk' && x.v !== null) return { t: 'bulk', v: Buffer.from(ruleTokens(x.v.latin1Slice(0, x.v.length)), 'latin1') } as RespNode;
    if (x.t === 'array' || x.t === 'set' || x.t === 'map' || x.t === 'push') return { ...x, v: x.v.map(walk) } as RespNode;
    return x;
  };
  return renderNode(walk(n));
}

/** ACL LOG without what differs between servers (age, client id/addr/fd...): every other field, in order. */
function normLog(n: RespNode): string {
  return items(n)
    .map((e) => {
      const kv = items(e).map((x) => (x.t === 'int' ? String(x.v) : text(x)));
      const out: string[] = [];
      for (let i = 0; i < kv.length; i += 2) {
        if (kv[i] === 'age-seconds') out.push('age-seconds=' + (Number(kv[i + 1]) >= 0 ? 'ok' : 'bad'));
        else if (kv[i] === 'client-info') out.push('client-info=' + (/ user=(\S+) /.exec(kv[i + 1])?.[1] ?? '?') + ' cmd=' + (/ cmd=(\S+) /.exec(kv[i + 1])?.[1] ?? '?'));
        else out.push(`${kv[i]}=${kv[i + 1]}`);
      }
      return out.join(' ');
    })
    .join('\n');
}

async function asUser(srvPort: number, refPort: number, user: string): Promise<Differential> {
  const d = await Differential.connect(srvPort, refPort);
  await d.check(['AUTH', user, 'pw']);
  return d;
}

interface Ctx {
  srv: RedustServer;
  ref: ReferenceServer;
  d: Differential;
  dir: string;
  srvFile: string;
  refFile: string;
}

async function createUsers(d: Differential): Promise<void> {
  for (const [name, rules] of Object.entries(USERS)) await d.check(['ACL', 'SETUSER', name, ...rules]);
}

for (const engine of enginesUnderTest()) {
  const t = suite<Ctx>(`acl [${engine}]`);

  t.before(async (ctx) => {
    ctx.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-acl-'));
    ctx.srvFile = path.join(ctx.dir, 'redust.acl');
    ctx.refFile = path.join(ctx.dir, 'redis.acl');
    fs.writeFileSync(ctx.srvFile, '');
    fs.writeFileSync(ctx.refFile, '');
    ctx.srv = await startRedust(engine, { config: { aclfile: ctx.srvFile } });
    if (HAVE_REF) {
      ctx.ref = await startReference(['--aclfile', ctx.refFile]);
      ctx.d = await Differential.connect(ctx.srv.port, ctx.ref.port);
    }
  });
  t.after(async (ctx) => {
    ctx.d?.close();
    await ctx.srv.close();
    await ctx.ref?.stop();
    fs.rmSync(ctx.dir, { recursive: true, force: true });
  });
  t.before.each(async (ctx) => {
    if (!ctx.d) return;
    await ctx.d.check(['ACL', 'LOAD']); // empty files: only the default user
    await ctx.d.check(['FLUSHALL']);
    await ctx.d.check(['ACL', 'LOG', 'RESET']);
  });

  const dt = (name: string, fn: (ctx: Ctx) => Promise<void>) => (HAVE_REF ? t(name, fn) : t.skip(name));

  dt('SETUSER errors, GETUSER/LIST/USERS/DELUSER/CAT/GENPASS/DRYRUN/HELP', async ({ d }) => {
    const bad = ['foo', '+nosuch', '+@nosuch', '-select|0', '+config|nosuch', '+config|get|x', '%X~a', '%~a', '(', '(+get', '+get)', '#abc', '!abc', '<nopass', '(~x +nosuch)', '(on)',
      // ACLSetSelector's '|' forms: the last '|' splits off the first-arg or subcommand.
      '+get|key1|key2', '-get|key1|key2', '+get|', '+config|', '-config|', '+config|get|', '-config|get|x', '+nosuch|x', '-get|x', '+debug|object|x'];
    for (const m of bad) await d.check(['ACL', 'SETUSER', 'u1', m]);
    await d.check(['ACL', 'SETUSER', 'u2', 'allkeys', '~x']);
    await d.check(['ACL', 'SETUSER', 'u2', 'allchannels', '&x']);
    await d.check(['ACL', 'SETUSER', 'u2', 'resetpass', '!0000000000000000000000000000000000000000000000000000000000000000']);
    await d.check(['ACL', 'SETUSER', 'a b']);
    await d.check(['ACL', 'SETUSER', 'emp', '', 'on', '()', '( )', '(+get ~x )', '(+get', '~x)']);
    await d.check(['ACL', 'GETUSER', 'emp']);
    await d.check(['ACL', 'GETUSER', 'u1']); // the failed SETUSERs created nothing
    // MIGRATE's KEYS form: its keys are checked (read-write and deleted) as the plain form's.
    await d.check(['ACL', 'SETUSER', 'mig', 'on', '+@all', '%R~read*', '%W~write*', '%RW~rw*']);
    for (const keys of [['rw'], ['read'], ['write'], ['rw', 'read']]) {
      await d.check(['ACL', 'DRYRUN', 'mig', 'MIGRATE', 'h', '1', '', '0', '5000', 'KEYS', ...keys]);
      await d.check(['ACL', 'DRYRUN', 'mig', 'MIGRATE', 'h', '1', '', '0', '5000', 'AUTH2', 'KEYS', '123', 'KEYS', ...keys]);
    }
    await d.check(['ACL', 'DRYRUN', 'mig', 'MIGRATE', 'h', '1', 'read', '0', '5000']);
    await d.check(['ACL', 'SETUSER', 'v1', '%RW~*', '%R~*', '+get|x', '%R']);
    await d.check(['ACL', 'SETUSER', 'v2', '%R~*', '%W~*', '~a', '%R~a', 'allchannels']);
    await d.check(['ACL', 'SETUSER', 'v3', '>a', '>a', '>b', '<a', 'nopass', 'on']);
    await d.check(['ACL', 'SETUSER', 'v4', '&*', 'allkeys', 'reset']);
    await d.check(['ACL', 'SETUSER', 'v5', '+@all', '-keys', '-@hash', '+hget', '-config|get', 'skip-sanitize-payload']);
    await d.check(['ACL', 'SETUSER', 'v6', '-@all', '+@hash', '+@string', '-@write', '#' + 'a'.repeat(64), '>x']);
    await d.check(['ACL', 'SETUSER', 'v7', '+select|0', '+select|1', '+select', '+config|get', '+config|set', 'allcommands', '-client|kill']);
    await d.check(['ACL', 'SETUSER', 'v8', '+@all', 'nocommands', '+@pubsub', '&a', '&b', '&a', '~x', '(~y +get)', '(&z +publish)', 'clearselectors', '(~q +set)']);
    await createUsers(d);
    for (const proto of ['2', '3']) {
      await d.check(['HELLO', proto], { typeOnly: true });
      for (const u of ['default', 'u1', 'nosuch', 'v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', ...Object.keys(USERS)]) {
        const [a, b] = await Promise.all([d.redust.send('ACL', 'GETUSER', u), d.reference.send('ACL', 'GETUSER', u)]);
        assert.is(normRules(a), normRules(b), `ACL GETUSER ${u} (RESP${proto})`);
      }
    }
    await d.check(['HELLO', '2'], { typeOnly: true });
    const [la, lb] = await Promise.all([d.redust.send('ACL', 'LIST'), d.reference.send('ACL', 'LIST')]);
    assert.is(normRules(la), normRules(lb), 'ACL LIST');
    await d.all([
      ['ACL', 'USERS'],
      ['ACL', 'WHOAMI'],
      ['ACL', 'DELUSER', 'default'],
      ['ACL', 'DELUSER', 'nosuch', 'v1', 'v2'],
      ['ACL', 'USERS'],
      ['ACL', 'CAT'],
      ['ACL', 'CAT', 'nosuch'],
      ['ACL', 'GENPASS', '0'],
      ['ACL', 'GENPASS', '4097'],
      ['ACL', 'GENPASS', 'x'],
      ['ACL', 'LOG', '-1'],
      ['ACL', 'LOG', 'x'],
      ['ACL', 'HELP'],
      ['ACL', 'NOSUCH'],
      ['ACL'],
      ['ACL', 'DRYRUN', 'nosuch', 'get', 'x'],
      ['ACL', 'DRYRUN', 'default', 'nosuchcmd'],
      ['ACL', 'DRYRUN', 'reader', 'get'],
    ]);
    for (const u of Object.keys(USERS)) {
      for (const k of KEYS) {
        await d.check(['ACL', 'DRYRUN', u, 'GET', k]);
        await d.check(['ACL', 'DRYRUN', u, 'SET', k, 'v']);
        await d.check(['ACL', 'DRYRUN', u, 'COPY', k, 'w:1']);
      }
      for (const ch of ['news:1', 'chan:1', 'x']) await d.check(['ACL', 'DRYRUN', u, 'PUBLISH', ch, 'm']);
      await d.check(['ACL', 'DRYRUN', u, 'SELECT', '0']);
      await d.check(['ACL', 'DRYRUN', u, 'SELECT', '1']);
      await d.check(['ACL', 'DRYRUN', u, 'CONFIG', 'SET', 'x', 'y']);
    }
    // ACL CAT <category>: Redust lists the commands it implements, all of which Redis lists too.
    const [ca, cb] = await Promise.all([d.redust.send('ACL', 'CAT', 'hash'), d.reference.send('ACL', 'CAT', 'hash')]);
    const ref = new Set(items(cb).map(text));
    for (const x of items(ca)) assert.ok(ref.has(text(x)), `ACL CAT hash: ${text(x)}`);
    assert.is(text(await d.redust.send('ACL', 'GENPASS')).length, 64);
    assert.is(text(await d.redust.send('ACL', 'GENPASS', '5')).length, 2);
  });

  dt('the matrix: users × commands × keys, every reply as Redis (0 accesses Redis denies)', async ({ srv, ref, d }) => {
    await createUsers(d);
    let denials = 0;
    let checks = 0;
    for (const user of Object.keys(USERS)) {
      const u = await Differential.connect(srv.port, ref.port);
      await u.check(user === 'nocmd' ? ['AUTH', 'nocmd', 'any'] : ['AUTH', user, 'pw']);
      const cmds: Arg[][] = [];
      for (const k of KEYS) cmds.push(...singleKeyCommands(k));
      for (const k of KEYS) for (const k2 of OTHER) if (k !== k2) cmds.push(...multiKeyCommands(k, k2));
      cmds.push(...OTHER_COMMANDS);
      for (const cmd of cmds) {
        const r = await u.check(cmd);
        checks++;
        if (r.t === 'error' && /NOPERM|ACL|can't/.test(text(r))) denials++;
        if (r.t === 'array') for (const x of r.v) if (x.t === 'error' && /NOPERM/.test(text(x))) denials++;
      }
      u.close();
    }
    assert.ok(denials > 300, `denials exercised: ${denials} of ${checks}`);
    // Every denial was logged the same way (merged entries, same objects and contexts).
    const [la, lb] = await Promise.all([d.redust.send('ACL', 'LOG', '128'), d.reference.send('ACL', 'LOG', '128')]);
    assert.is(normLog(la), normLog(lb), 'ACL LOG after the matrix');
  });

  dt('pub/sub channels: SUBSCRIBE, PSUBSCRIBE needs the literal pattern; PUBLISH', async ({ srv, ref, d }) => {
    await d.check(['ACL', 'SETUSER', 'ps', 'on', '>pw', '+@pubsub', '+ping', '&news:*', '&chan:1']);
    const u = await asUser(srv.port, ref.port, 'ps');
    await u.all([
      ['SUBSCRIBE', 'x'],
      ['SUBSCRIBE', 'news:1', 'x'],
      ['PSUBSCRIBE', 'news:1*'],
      ['PSUBSCRIBE', 'news:*'],
      ['PSUBSCRIBE', 'chan:*'],
      ['SUBSCRIBE', 'news:2'],
      ['UNSUBSCRIBE', 'news:2'],
      ['SUBSCRIBE', 'chan:1'],
      ['PING'],
      ['UNSUBSCRIBE', 'nosuch'],
      ['PUNSUBSCRIBE'],
      ['UNSUBSCRIBE'],
      ['PUBLISH', 'chan:1', 'm'],
      ['PUBLISH', 'chan:2', 'm'],
      ['SPUBLISH', 'news:x', 'm'],
      ['SSUBSCRIBE', 'x'],
    ]);
    u.close();
    const [la, lb] = await Promise.all([d.redust.send('ACL', 'LOG'), d.reference.send('ACL', 'LOG')]);
    assert.is(normLog(la), normLog(lb));
  });

  dt('MULTI: denied when queued (EXECABORT), and at EXEC when the rules changed meanwhile', async ({ srv, ref, d }) => {
    await d.check(['ACL', 'SETUSER', 'm', 'on', '>pw', '~k*', '+@all']);
    const u = await asUser(srv.port, ref.port, 'm');
    await u.all([['MULTI'], ['GET', 'x'], ['SET', 'k1', '1'], ['EXEC'], ['MULTI'], ['SET', 'k1', '2'], ['GET', 'k1'], ['PUBLISH', 'c', 'm']]);
    await d.check(['ACL', 'SETUSER', 'm', 'resetkeys', '~j*', '-get']);
    await u.all([['EXEC'], ['GET', 'k1'], ['ACL', 'WHOAMI']]);
    u.close();
    const [la, lb] = await Promise.all([d.redust.send('ACL', 'LOG'), d.reference.send('ACL', 'LOG')]);
    assert.is(normLog(la), normLog(lb));
  });

  dt('AUTH and HELLO AUTH flows; failed AUTH is logged; requirepass is the default user password', async ({ srv, ref, d }) => {
    await createUsers(d);
    await d.check(['ACL', 'SETUSER', 'offuser', 'off', '>pw', '+@all']);
    const u = await Differential.connect(srv.port, ref.port);
    await u.all([
      ['AUTH', 'reader', 'bad'],
      ['AUTH', 'nosuch', 'pw'],
      ['AUTH', 'offuser', 'pw'],
      ['AUTH', 'pw'],
      ['ACL', 'WHOAMI'],
      ['HELLO', '2', 'AUTH', 'reader', 'bad'],
      ['AUTH', 'reader', 'pw'],
      ['ACL', 'WHOAMI'],
      ['GET', 'r:1'],
      ['RESET'],
      ['ACL', 'WHOAMI'],
      ['AUTH', 'default', 'anything'],
    ]);
    await u.check(['HELLO', '3', 'AUTH', 'writer', 'pw', 'SETNAME', 'n'], { typeOnly: true });
    await u.all([['ACL', 'WHOAMI'], ['CLIENT', 'GETNAME']]);
    const list = renderNode(await d.redust.send('CLIENT', 'LIST'));
    assert.match(list, / name=n .* user=writer /);
    u.close();
    const [la, lb] = await Promise.all([d.redust.send('ACL', 'LOG'), d.reference.send('ACL', 'LOG')]);
    assert.is(normLog(la), normLog(lb));
    // requirepass sets the default user's password and back to nopass.
    await d.check(['CONFIG', 'SET', 'requirepass', 'sekret']);
    const [a, b] = await Promise.all([d.redust.send('ACL', 'LIST'), d.reference.send('ACL', 'LIST')]);
    assert.is(normRules(a), normRules(b));
    const v = await Differential.connect(srv.port, ref.port);
    await v.all([['GET', 'x'], ['AUTH', 'bad'], ['AUTH', 'sekret'], ['GET', 'x']]);
    v.close();
    await d.check(['CONFIG', 'SET', 'requirepass', '']);
    const [c1, c2] = await Promise.all([d.redust.send('ACL', 'LIST'), d.reference.send('ACL', 'LIST')]);
    assert.is(normRules(c1), normRules(c2));
  });

  dt('ioredis authenticates with a username; NOPERM reaches the client', async ({ srv, d }) => {
    await createUsers(d);
    const r = new Redis({ port: srv.port, host: '127.0.0.1', username: 'keyed', password: 'pw', lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    assert.is(await r.call('ACL', 'WHOAMI'), 'keyed');
    assert.is(await r.set('k:1', 'v'), 'OK');
    assert.is(await r.get('k:1'), 'v');
    let err = '';
    await r.get('x:1').catch((e: Error) => (err = e.message));
    assert.is(err, 'NOPERM this user has no permissions to access one of the keys used as arguments');
    await r.flushall().catch((e: Error) => (err = e.message));
    assert.is(err, "NOPERM this user has no permissions to run the 'flushall' command");
    r.disconnect();
    const bad = new Redis({ port: srv.port, host: '127.0.0.1', username: 'keyed', password: 'nope', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    let authErr = '';
    bad.on('error', (e: Error) => (authErr = e.message));
    await bad.connect().catch(() => undefined);
    assert.match(authErr, /WRONGPASS/);
    bad.disconnect();
  });

  dt('DELUSER and ACL LOAD disconnect the users’ clients; off does not; lost channels disconnect subscribers', async ({ srv, ref, d }) => {
    await createUsers(d);
    const conns = async (user: string) => Promise.all([RawConnection.connect(srv.port), RawConnection.connect(ref.port)]);
    const closedSoon = async (c: RawConnection) => {
      for (let i = 0; i < 50 && !c.closed; i++) await new Promise((r) => setTimeout(r, 10));
      return c.closed;
    };
    // off: the client stays connected (7.0) but AUTH fails from now on.
    let pair = await conns('keyed');
    for (const c of pair) assert.is(text(await c.send('AUTH', 'keyed', 'pw')), 'OK');
    await d.check(['ACL', 'SETUSER', 'keyed', 'off']);
    const after = await Promise.all(pair.map((c) => c.send('GET', 'k:1')));
    assert.is(renderNode(after[0]), renderNode(after[1]));
    assert.not.ok(pair[0].closed);
    pair.forEach((c) => c.close());
    // DELUSER
    pair = await conns('reader');
    for (const c of pair) assert.is(text(await c.send('AUTH', 'reader', 'pw')), 'OK');
    await d.check(['ACL', 'DELUSER', 'reader']);
    assert.ok(await closedSoon(pair[0]), 'redust closed the deleted user’s client');
    assert.ok(await closedSoon(pair[1]), 'redis closed the deleted user’s client');
    // Channel permission removed: subscribers that lost a channel are disconnected.
    await d.check(['ACL', 'SETUSER', 'subs', 'on', '>pw', '+@all', '&a', '&b']);
    const keep = await conns('subs');
    const lose = await conns('subs');
    for (const c of [...keep, ...lose]) assert.is(text(await c.send('AUTH', 'subs', 'pw')), 'OK');
    for (const c of keep) await c.send('SUBSCRIBE', 'a');
    for (const c of lose) await c.send('SUBSCRIBE', 'b');
    await d.check(['ACL', 'SETUSER', 'subs', 'resetchannels', '&a']);
    assert.ok(await closedSoon(lose[0]), 'redust disconnected the subscriber of b');
    assert.ok(await closedSoon(lose[1]), 'redis disconnected the subscriber of b');
    assert.not.ok(keep[0].closed);
    assert.not.ok(keep[1].closed);
    // From allchannels to a list: subscribers are checked too.
    await d.check(['ACL', 'SETUSER', 'allch', 'on', '>pw', '+@all', 'allchannels']);
    const wide = await conns('allch');
    for (const c of wide) assert.is(text(await c.send('AUTH', 'allch', 'pw')), 'OK');
    for (const c of wide) await c.send('PSUBSCRIBE', 'x*');
    await d.check(['ACL', 'SETUSER', 'allch', 'resetchannels', '&x']);
    assert.ok(await closedSoon(wide[0]), 'redust disconnected the pattern subscriber');
    assert.ok(await closedSoon(wide[1]), 'redis disconnected the pattern subscriber');
    // CLIENT KILL USER
    await d.check(['CLIENT', 'KILL', 'USER', 'nosuch']);
    await d.check(['CLIENT', 'KILL', 'USER', 'subs']);
    assert.ok(await closedSoon(keep[0]));
    // ACL LOAD replaces every user: clients of users other than default are disconnected.
    pair = await conns('writer');
    for (const c of pair) assert.is(text(await c.send('AUTH', 'writer', 'pw')), 'OK');
    await d.check(['ACL', 'LOAD']);
    assert.ok(await closedSoon(pair[0]));
    assert.ok(await closedSoon(pair[1]));
  });

  dt('ACL SAVE writes what Redis writes; ACL LOAD reads it back; LOAD errors', async (ctx) => {
    const { d } = ctx;
    await createUsers(d);
    await d.check(['ACL', 'SETUSER', 'default', '>defpass']);
    await d.check(['ACL', 'SAVE']);
    const mine = fs.readFileSync(ctx.srvFile, 'latin1');
    const theirs = fs.readFileSync(ctx.refFile, 'latin1');
    assert.is(mine.split('\n').map(ruleTokens).join('\n'), theirs.split('\n').map(ruleTokens).join('\n'));
    // Load Redis's file into Redust: the same users.
    fs.writeFileSync(ctx.srvFile, theirs);
    await d.check(['ACL', 'SETUSER', 'extra', 'on']);
    await d.check(['ACL', 'LOAD']);
    const [a, b] = await Promise.all([d.redust.send('ACL', 'LIST'), d.reference.send('ACL', 'LIST')]);
    assert.is(normRules(a), normRules(b));
    const bad = [
      'user x on >p ~* +@all\nuser y blah\n',
      'user x on\nfoo bar\n',
      'user x on\nuser x off\n',
      'user y (~x\n',
      '\n  \n# c\nuser x on\n',
      'user a +nosuch\nuser b ~x allkeys ~y\n',
    ];
    for (const text of bad) {
      fs.writeFileSync(ctx.srvFile, text);
      fs.writeFileSync(ctx.refFile, text);
      const [ra, rb] = await Promise.all([d.redust.send('ACL', 'LOAD'), d.reference.send('ACL', 'LOAD')]);
      assert.is(renderNode(ra).split(ctx.srvFile).join('FILE'), renderNode(rb).split(ctx.refFile).join('FILE'), `ACL LOAD of ${JSON.stringify(text)}`);
    }
    fs.writeFileSync(ctx.srvFile, '');
    fs.writeFileSync(ctx.refFile, '');
    await d.check(['ACL', 'LOAD']);
    await d.check(['ACL', 'LIST']);
  });

  dt('ACL SETUSER arguments are redacted in SLOWLOG', async ({ d }) => {
    await d.check(['CONFIG', 'SET', 'slowlog-log-slower-than', '0']);
    await d.check(['SLOWLOG', 'RESET']);
    await d.check(['ACL', 'SETUSER', 'zz', '>secret', 'on']);
    const [a, b] = await Promise.all([d.redust.send('SLOWLOG', 'GET', '1'), d.reference.send('SLOWLOG', 'GET', '1')]);
    assert.equal(items(items(items(a)[0])[3]).map(text), items(items(items(b)[0])[3]).map(text));
    assert.equal(items(items(items(a)[0])[3]).map(text), ['ACL', 'SETUSER', '(redacted)', '(redacted)', '(redacted)']);
    await d.check(['CONFIG', 'SET', 'slowlog-log-slower-than', '10000']);
  });

  dt('acl-pubsub-default allchannels, acllog-max-len', async ({ d }) => {
    await d.all([
      ['CONFIG', 'GET', 'acllog-max-len'],
      ['CONFIG', 'GET', 'acl-pubsub-default'],
      ['CONFIG', 'SET', 'acl-pubsub-default', 'allchannels'],
      ['ACL', 'SETUSER', 'p1', 'on'],
      ['ACL', 'SETUSER', 'p1', 'reset'],
      ['ACL', 'SETUSER', 'p2', '(+get)'],
      ['CONFIG', 'SET', 'acl-pubsub-default', 'resetchannels'],
      ['CONFIG', 'SET', 'acl-pubsub-default', 'bad'],
      ['CONFIG', 'SET', 'acllog-max-len', '2'],
      ['AUTH', 'a', 'x'],
      ['AUTH', 'b', 'x'],
      ['AUTH', 'c', 'x'],
    ]);
    const [la, lb] = await Promise.all([d.redust.send('ACL', 'LOG'), d.reference.send('ACL', 'LOG')]);
    assert.is(normLog(la), normLog(lb));
    assert.is(items(la).length, 2);
    const [a, b] = await Promise.all([d.redust.send('ACL', 'LIST'), d.reference.send('ACL', 'LIST')]);
    assert.is(normRules(a), normRules(b));
    await d.check(['CONFIG', 'SET', 'acllog-max-len', '128']);
  });

  t.run();
}

// Config file: `user` lines, and refused together with aclfile (as Redis refuses to start).
const cli = suite('acl config file');
cli('user lines in the config file create users; with aclfile the server refuses to start', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aclconf-'));
  const bin = path.join(__dirname, '..', '..', 'bin', 'redust.js');
  const conf = path.join(dir, 'redis.conf');
  fs.writeFileSync(conf, `port 0\nsave ""\nuser alice on >pw ~a* +get\naclfile ${dir}/users.acl\n`);
  fs.writeFileSync(path.join(dir, 'users.acl'), '');
  const r = spawnSync(process.execPath, [bin, conf], { encoding: 'utf8', timeout: 10000 });
  assert.is(r.status, 1);
  assert.match(r.stdout + r.stderr, /users defined in redis.conf and at the same setting an ACL file path is invalid/);
  fs.rmSync(dir, { recursive: true, force: true });
});
cli('user lines: the server starts with them', async () => {
  const { RedustServer } = await import('../src/index');
  void RedustServer;
  const { parseArgs } = await import('../src/cli');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aclconf-'));
  const conf = path.join(dir, 'redis.conf');
  fs.writeFileSync(conf, 'user alice on >pw ~a* +get\nuser default on nopass ~* &* +@all -flushall\n');
  const parsed = parseArgs([conf]);
  assert.equal(parsed.users, ['alice on >pw ~a* +get', 'default on nopass ~* &* +@all -flushall']);
  assert.equal(parseArgs(['--user', 'bob', 'on', '>x', '--port', '0']).users, ['bob on >x']);
  const srv: RedustServer = await startRedust('js-map');
  const acl = (srv as unknown as { server: { acl: { loadAtStartup(u: string[]): void; listLines(): string[] } } }).server.acl;
  acl.loadAtStartup(parsed.users!);
  assert.equal(acl.listLines(), ['user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~a* resetchannels -@all +get', 'user default on nopass ~* &* +@all -flushall']);
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
cli('a relative aclfile and pidfile are relative to dir, as in Redis (chdir to dir)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-aclrel-'));
  fs.writeFileSync(path.join(dir, 'users.acl'), 'user alice on nopass ~a* +get\n');
  const srv: RedustServer = await startRedust('js-map', { config: { dir, aclfile: 'users.acl', pidfile: 'redust.pid' } });
  const c = await RawConnection.connect(srv.port);
  try {
    assert.is(text(await c.send('AUTH', 'alice', 'x')), 'OK');
    assert.is(fs.readFileSync(path.join(dir, 'redust.pid'), 'utf8'), `${process.pid}\n`);
    await c.send('AUTH', 'default', 'x');
    assert.is(text(await c.send('ACL', 'SETUSER', 'bob', 'on')), 'OK');
    assert.is(text(await c.send('ACL', 'SAVE')), 'OK');
    assert.match(fs.readFileSync(path.join(dir, 'users.acl'), 'utf8'), /^user bob on/m);
  } finally {
    c.close();
    await srv.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
cli.run();
