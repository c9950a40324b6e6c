/**
 * SLOWLOG: a bounded ring of commands slower than slowlog-log-slower-than microseconds, with
 * Redis's argument trimming (32 args, 128 bytes per arg).
 */
import type { Client } from '../server/client';
import type { Server } from '../server/server';

const MAX_ARGC = 32;
const MAX_STRING = 128;

export interface SlowLogEntry {
  id: number;
  time: number;
  durationUs: number;
  argv: (Buffer | string)[];
  addr: string;
  name: string;
}

export class SlowLog {
  entries: SlowLogEntry[] = [];
  private nextId = 0;

  constructor(private readonly server: Server) {}

  /** Whether a command that took `usec` is logged (slowlog-log-slower-than; -1 disables). */
  wants(usec: number): boolean {
    const threshold = this.server.config.hot['slowlog-log-slower-than'];
    return threshold >= 0 && usec >= threshold;
  }

  add(c: Client, argv: Buffer[], usec: number): void {
    const max = this.server.config.int('slowlog-max-len');
    if (max === 0) return;
    const args: (Buffer | string)[] = [];
    const argc = Math.min(argv.length, MAX_ARGC);
    for (let i = 0; i < argc; i++) {
      if (argc !== argv.length && i === argc - 1) {
        args.push(`... (${argv.length - argc + 1} more arguments)`);
        break;
      }
      const a = argv[i];
      if (a.length > MAX_STRING) args.push(Buffer.concat([a.subarray(0, MAX_STRING), Buffer.from(`... (${a.length - MAX_STRING} more bytes)`)]));
      else args.push(Buffer.from(a));
    }
    this.entries.unshift({ id: this.nextId++, time: Math.floor(this.server.clock.now() / 1000), durationUs: usec, argv: args, addr: c.addr, name: c.name });
    while (this.entries.length > max) this.entries.pop();
  }

  reset(): void {
    this.entries = [];
  }
}
