/**
 * HELP replies and COMMAND metadata replay, both from the Redis 7.0 snapshot
 * (redis-7.0-commands.json), so the text is Redis's own.
 */
import type { Reply } from '../protocol/reply';
import type { Client } from '../server/client';
import meta from './redis-7.0-commands.json';
import type { MetaNode } from './table';

const HELP = (meta as unknown as { help: Record<string, string[]> }).help;

/** addReplyHelp: the container command's help lines as status replies. */
export function replyHelp(c: Client, command: string): void {
  const lines = HELP[command] ?? [`${command.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`, 'HELP', '    Prints this help.'];
  c.reply.array(lines.length);
  for (const l of lines) c.reply.simple(l);
}

/** Write a snapshot node in the client's protocol (RESP3 types degrade to RESP2 as Redis does). */
export function replayMeta(r: Reply, n: MetaNode): void {
  if (n === null) r.nil();
  else if (typeof n === 'string') r.bulk(n);
  else if (typeof n === 'number') r.int(n);
  else if (Array.isArray(n)) {
    r.array(n.length);
    for (const x of n) replayMeta(r, x);
  } else if ('+' in n) r.simple(n['+']);
  else if ('~' in n) {
    r.set(n['~'].length);
    for (const x of n['~']) replayMeta(r, x);
  } else if ('%' in n) {
    const flat = n['%'];
    r.map(flat.length / 2);
    for (const x of flat) replayMeta(r, x);
  }
}
