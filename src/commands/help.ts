/**
 * HELP replies and COMMAND metadata replay, both from the Redis 7.0 snapshot
 * (redis-7.0-commands.json), so the text is Redis's own.
 */
import type { Reply } from '../protocol/reply';
import type { Client } from '../server/client';
import meta from './redis-7.0-commands.json';
import type { MetaNode } from './table';

const HELP = (meta as unknown as { help: Record<string, string[]> }).help;

/**
 * Redis's help lines minus the entries of subcommands Redust does not have: an entry is a line
 * starting at column 0 with the subcommand's name, followed by its indented description lines
 * (a column-0 line not starting with a name, like COMMAND's "(no subcommand)", is always kept).
 */
export function helpLines(command: string, has: (sub: string) => boolean): string[] {
  const all = HELP[command];
  if (!all) return [`${command.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`, 'HELP', '    Prints this help.'];
  return filterHelp(all, has);
}

/** Help text `all` (a header line, then entries as helpLines describes) without the entries `has` rejects. */
export function filterHelp(all: string[], has: (sub: string) => boolean): string[] {
  const out = [all[0]];
  let keep = true;
  for (const line of all.slice(1)) {
    if (!line.startsWith(' ')) keep = !/^[A-Z]/.test(line) || has(line.split(' ')[0].toLowerCase());
    if (keep) out.push(line);
  }
  return out;
}

/** addReplyHelp: the container command's help lines as status replies. */
export function replyHelp(c: Client, command: string): void {
  const subs = c.server.table.get(command)?.subcommands;
  const lines = helpLines(command, (sub) => sub === 'help' || !subs || subs.has(sub));
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
