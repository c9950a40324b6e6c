/**
 * Keyspace notifications (notify.c): `notify-keyspace-events` flags and the publishing of
 * __keyspace@<db>__:<key> / __keyevent@<db>__:<event> messages.
 */
import type { BulkValue } from '../engine/types';
import type { Server } from './server';
import { latin1 } from '../util/number';

export const NOTIFY = {
  K: 1 << 0, // keyspace
  E: 1 << 1, // keyevent
  g: 1 << 2,
  $: 1 << 3,
  l: 1 << 4,
  s: 1 << 5,
  h: 1 << 6,
  z: 1 << 7,
  x: 1 << 8,
  e: 1 << 9,
  t: 1 << 10,
  m: 1 << 11, // key miss
  d: 1 << 12, // module
  n: 1 << 13, // new key
} as const;
export type NotifyClass = keyof typeof NOTIFY;
const ALL = NOTIFY.g | NOTIFY.$ | NOTIFY.l | NOTIFY.s | NOTIFY.h | NOTIFY.z | NOTIFY.x | NOTIFY.e | NOTIFY.t | NOTIFY.d;

/** keyspaceEventsStringToFlags; returns -1 for an invalid character. */
export function parseNotifyFlags(s: string): number {
  let flags = 0;
  for (const ch of s) {
    if (ch === 'A') flags |= ALL;
    else if (ch in NOTIFY) flags |= NOTIFY[ch as NotifyClass];
    else return -1;
  }
  return flags;
}

/** keyspaceEventsFlagsToString */
export function formatNotifyFlags(flags: number): string {
  let res = '';
  // As keyspaceEventsFlagsToString: with every class set, "A" alone stands for them (and, as in
  // Redis 7.0, the 'n' flag is then not printed).
  if ((flags & ALL) === ALL) res += 'A';
  else for (const ch of 'g$lshzxetdn') if (flags & NOTIFY[ch as NotifyClass]) res += ch;
  if (flags & NOTIFY.K) res += 'K';
  if (flags & NOTIFY.E) res += 'E';
  if (flags & NOTIFY.m) res += 'm';
  return res;
}

export class Keyspace {
  flags = 0;

  constructor(private readonly server: Server) {
    this.flags = Math.max(0, parseNotifyFlags(server.config.str('notify-keyspace-events')));
  }

  /** notifyKeyspaceEvent(type, event, key, dbid). */
  notify(dbIndex: number, event: string, key: BulkValue, cls: NotifyClass): void {
    const flags = this.flags;
    if (flags === 0 || !(flags & NOTIFY[cls])) return;
    if (flags & NOTIFY.K) this.server.pubsub.publish(`__keyspace@${dbIndex}__:${latin1(key)}`, event);
    if (flags & NOTIFY.E) this.server.pubsub.publish(`__keyevent@${dbIndex}__:${event}`, key);
  }
}
