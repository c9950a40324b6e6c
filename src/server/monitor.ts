/**
 * MONITOR (replicationFeedMonitors in replication.c, monitorCommand in server.c): every command a
 * client runs is shown to the monitoring clients as one status line
 *
 *   +<sec>.<usec> [<db> <addr>|lua] "<arg>" "<arg>"...\r\n
 *
 * with each argument escaped as sdscatrepr does. As in Redis 7.0 a command is fed AFTER it ran
 * (so AUTH/HELLO show their redacted arguments, SELECT shows the new db, EXEC follows the commands
 * it ran, and a failed command is shown but a rejected one is not); admin and skip_monitor
 * commands are not fed there, except EVAL/EVALSHA/FCALL (and _RO), which feed themselves when
 * they start so the commands of the script (`[db lua]`) follow them.
 *
 * Invariants: a client is in `clients` iff it has ClientFlag.MONITOR; it leaves on RESET and
 * when freed. Cost when nobody monitors: one size check per command.
 */
import type { Client } from './client';
import { ClientFlag } from './client';
import type { Server } from './server';
import { CmdFlag, Command } from '../commands/table';
import { performance } from '../util/real-timers';

const REDACTED = Buffer.from('(redacted)');

export class Monitors {
  readonly clients = new Set<Client>();

  constructor(private readonly server: Server) {}

  /** MONITOR: start monitoring (monitorCommand). */
  add(c: Client): void {
    c.flags |= ClientFlag.MONITOR;
    this.clients.add(c);
  }

  /** RESET / freeClient. */
  remove(c: Client): void {
    c.flags &= ~ClientFlag.MONITOR;
    this.clients.delete(c);
  }

  /** Hook in call() before the handler: the script commands feed themselves first (evalCommand). */
  beforeCall(c: Client, cmd: Command, argv: Buffer[]): void {
    if (cmd.has(CmdFlag.SKIP_MONITOR)) this.feed(c, c.dbIndex, argv);
  }

  /** Hook in call() after the handler. */
  afterCall(c: Client, cmd: Command, argv: Buffer[]): void {
    if ((cmd.flags & (CmdFlag.SKIP_MONITOR | CmdFlag.ADMIN)) !== 0) return;
    this.feed(c, c.dbIndex, redact(cmd, argv));
  }

  private feed(c: Client, dbIndex: number, argv: Buffer[]): void {
    const t = performance.timeOrigin + performance.now();
    const sec = Math.floor(t / 1000);
    const usec = Math.floor((t - sec * 1000) * 1000);
    let line = `+${sec}.${String(usec).padStart(6, '0')} [${dbIndex} ${(c.flags & ClientFlag.SCRIPT) !== 0 ? 'lua' : c.addr}]`;
    for (let i = 0; i < argv.length; i++) line += ' ' + repr(argv[i]);
    const out = Buffer.from(line + '\r\n', 'latin1');
    for (const m of this.clients) {
      if (m.closed) continue;
      m.writer.raw(out);
      this.server.net.scheduleFlush(m);
    }
  }
}

/** redactClientCommandArgument as AUTH and HELLO apply it (what runs before their own checks). */
function redact(cmd: Command, argv: Buffer[]): Buffer[] {
  if (cmd.parent !== null) return argv;
  if (cmd.name === 'auth') {
    if (argv.length > 3) return argv; // syntax error before authCommand redacts
    return argv.map((a, i) => (i === 0 ? a : REDACTED));
  }
  if (cmd.name === 'hello' && argv.length >= 2) {
    const ver = Number(argv[1].latin1Slice(0, argv[1].length));
    if (!/^-?\d+$/.test(argv[1].latin1Slice(0, argv[1].length)) || ver < 2 || ver > 3) return argv;
    const out = argv.slice();
    for (let j = 2; j < argv.length; j++) {
      const more = argv.length - 1 - j;
      const opt = argv[j].latin1Slice(0, argv[j].length).toLowerCase();
      if (opt === 'auth' && more >= 2) {
        out[j + 1] = out[j + 2] = REDACTED;
        j += 2;
      } else if (opt === 'setname' && more >= 1) j++;
      else break;
    }
    return out;
  }
  return argv;
}

/** sdscatrepr: a quoted, escaped representation of the bytes. */
export function repr(b: Buffer): string {
  let s = '"';
  for (let i = 0; i < b.length; i++) {
    const ch = b[i];
    switch (ch) {
      case 0x5c:
        s += '\\\\';
        break;
      case 0x22:
        s += '\\"';
        break;
      case 0x0a:
        s += '\\n';
        break;
      case 0x0d:
        s += '\\r';
        break;
      case 0x09:
        s += '\\t';
        break;
      case 0x07:
        s += '\\a';
        break;
      case 0x08:
        s += '\\b';
        break;
      default:
        if (ch >= 0x20 && ch <= 0x7e) s += String.fromCharCode(ch);
        else s += '\\x' + ch.toString(16).padStart(2, '0');
    }
  }
  return s + '"';
}
