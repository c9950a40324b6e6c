/**
 * Pub/sub commands (Redis 7.0 pubsub.c): SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
 * PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and PUBSUB CHANNELS / NUMSUB / NUMPAT /
 * SHARDCHANNELS / SHARDNUMSUB / HELP.
 *
 * Confirmations are push frames in RESP3 and 3-element arrays in RESP2 (the writer's push()).
 * The RESP2 "subscribed context" restrictions are enforced by the dispatcher.
 */
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { CommandRow } from './table';
import { fail } from './errors';
import { replyHelp } from './help';
import { latin1 } from '../util/number';

type Kind = 'channel' | 'pattern' | 'shard';

function subCount(c: Client, kind: Kind): number {
  if (kind === 'shard') return c.shardChannels?.size ?? 0;
  return (c.channels?.size ?? 0) + (c.patterns?.size ?? 0);
}

function confirm(c: Client, msg: string, name: string | null, kind: Kind): void {
  const r = c.reply;
  c.beginPush(); // delivered even under CLIENT REPLY OFF/SKIP
  r.push(3);
  r.bulk(msg);
  if (name === null) r.nil();
  else r.bulk(name);
  r.int(subCount(c, kind));
  c.endPush();
}

function subscribeGeneric(c: Client, argv: Buffer[], kind: Kind, msg: string): void {
  const ps = c.server.pubsub;
  for (let j = 1; j < argv.length; j++) {
    const name = latin1(argv[j]);
    ps.add(c, kind, name);
    confirm(c, msg, name, kind);
  }
  c.flags |= ClientFlag.PUBSUB;
}

function unsubscribeGeneric(c: Client, argv: Buffer[], kind: Kind, msg: string): void {
  const ps = c.server.pubsub;
  if (argv.length === 1) {
    const own = kind === 'channel' ? c.channels : kind === 'pattern' ? c.patterns : c.shardChannels;
    const names = own ? [...own] : [];
    for (const name of names) {
      ps.remove(c, kind, name);
      confirm(c, msg, name, kind);
    }
    if (names.length === 0) confirm(c, msg, null, kind);
  } else {
    for (let j = 1; j < argv.length; j++) {
      const name = latin1(argv[j]);
      ps.remove(c, kind, name);
      confirm(c, msg, name, kind);
    }
  }
  if (c.subscriptionCount() === 0) c.flags &= ~ClientFlag.PUBSUB;
}

function subscribe(c: Client, argv: Buffer[]): void {
  if (c.flags & ClientFlag.SCRIPT) fail("ERR SUBSCRIBE isn't allowed for a DENY BLOCKING client");
  subscribeGeneric(c, argv, 'channel', 'subscribe');
}

function psubscribe(c: Client, argv: Buffer[]): void {
  if (c.flags & ClientFlag.SCRIPT) fail("ERR PSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  subscribeGeneric(c, argv, 'pattern', 'psubscribe');
}

function ssubscribe(c: Client, argv: Buffer[]): void {
  if (c.flags & (ClientFlag.SCRIPT | ClientFlag.IN_EXEC)) fail("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  subscribeGeneric(c, argv, 'shard', 'ssubscribe');
}

function publish(c: Client, argv: Buffer[]): void {
  c.reply.int(c.server.pubsub.publish(argv[1], argv[2]));
}

function spublish(c: Client, argv: Buffer[]): void {
  c.reply.int(c.server.pubsub.spublish(argv[1], argv[2]));
}

function channelList(c: Client, argv: Buffer[], reg: Map<string, Set<Client>>): void {
  if (argv.length > 3) subSyntax(argv);
  const pat = argv.length === 3 ? argv[2] : null;
  const out: string[] = [];
  for (const [name, set] of reg) {
    if (set.size === 0) continue;
    if (pat && !c.server.engine.globMatch(pat, name, false)) continue;
    out.push(name);
  }
  c.reply.array(out.length);
  for (const n of out) c.reply.bulk(n);
}

function numsub(c: Client, argv: Buffer[], reg: Map<string, Set<Client>>): void {
  c.reply.array((argv.length - 2) * 2);
  for (let j = 2; j < argv.length; j++) {
    c.reply.bulk(argv[j]);
    c.reply.int(reg.get(latin1(argv[j]))?.size ?? 0);
  }
}

function subSyntax(argv: Buffer[]): never {
  fail(`ERR unknown subcommand or wrong number of arguments for '${latin1(argv[1]).slice(0, 128)}'. Try PUBSUB HELP.`);
}

export const commands: CommandRow[] = [
  { name: 'subscribe', handler: subscribe },
  { name: 'unsubscribe', handler: (c, argv) => unsubscribeGeneric(c, argv, 'channel', 'unsubscribe') },
  { name: 'psubscribe', handler: psubscribe },
  { name: 'punsubscribe', handler: (c, argv) => unsubscribeGeneric(c, argv, 'pattern', 'punsubscribe') },
  { name: 'ssubscribe', handler: ssubscribe },
  { name: 'sunsubscribe', handler: (c, argv) => unsubscribeGeneric(c, argv, 'shard', 'sunsubscribe') },
  { name: 'publish', handler: publish },
  { name: 'spublish', handler: spublish },
  { name: 'pubsub', handler: () => {} },
  { name: 'pubsub|channels', handler: (c, argv) => channelList(c, argv, c.server.pubsub.channels) },
  { name: 'pubsub|shardchannels', handler: (c, argv) => channelList(c, argv, c.server.pubsub.shardChannels) },
  { name: 'pubsub|numsub', handler: (c, argv) => numsub(c, argv, c.server.pubsub.channels) },
  { name: 'pubsub|shardnumsub', handler: (c, argv) => numsub(c, argv, c.server.pubsub.shardChannels) },
  {
    name: 'pubsub|numpat',
    handler: (c, argv) => {
      if (argv.length !== 2) subSyntax(argv);
      c.reply.int(c.server.pubsub.patterns.size);
    },
  },
  { name: 'pubsub|help', handler: (c) => replyHelp(c, 'pubsub') },
];
