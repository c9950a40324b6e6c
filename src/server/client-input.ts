/**
 * The request parser's callbacks for one client (protocol/parser.ts RequestHandler): commands go
 * to the dispatcher, pipelined batches get the engine's prefetch hint, and plain GET/SET go to
 * the dispatcher's fast path, runs of simple collection commands to the fast lane (lane.ts). One object per client, so parsing a read allocates no closures.
 */
import type { RequestHandler } from '../protocol/parser';
import { LOOKAHEAD_COMMANDS } from '../protocol/parser';
import { ClientFlag } from './client';
import type { Client } from './client';
import type { Server } from './server';
import type { Command } from '../commands/table';

export class ClientInput implements RequestHandler {
  constructor(
    private readonly server: Server,
    private readonly c: Client,
  ) {
    c.parser.names = server.dispatcher.names;
  }

  command(argv: Buffer[], resolved: unknown): void {
    this.server.dispatcher.processCommand(this.c, argv, resolved as Command | null);
    this.afterCommand();
  }

  /** The client's output limits, and its memory figure for client eviction, after its command(s). */
  private afterCommand(): void {
    const server = this.server;
    const limits = server.net.outputLimits;
    if (limits.active) limits.check(this.c);
    if (server.clientEviction.enabled) server.clientEviction.update(this.c);
  }

  /** Client eviction is due: the command goes through processCommand, which evicts first. */
  private evictionDue(): boolean {
    const ev = this.server.clientEviction;
    return ev.limit !== 0 && ev.total >= ev.limit;
  }

  proceed(): boolean {
    const c = this.c;
    return !c.closed && (c.flags & (ClientFlag.BLOCKED | ClientFlag.CLOSE_AFTER_REPLY)) === 0;
  }

  lookahead(buf: Buffer, pos: number): void {
    const db = this.c.db;
    if (db.prefetch !== undefined) db.prefetch(buf, pos, LOOKAHEAD_COMMANDS);
  }

  lane(buf: Buffer, pos: number): number {
    if (this.evictionDue()) return 0;
    const used = this.server.lane.run(this.c, buf, pos);
    if (used > 0) this.afterCommand();
    return used;
  }

  fast(kind: number, key: Buffer, value: Buffer | null): boolean {
    // The parser recognises GET/SET by their bytes: not once rename-command changed names.
    if (this.server.table.renamed || this.evictionDue()) return false;
    if (!this.server.dispatcher.fastCommand(this.c, kind, key, value)) return false;
    this.afterCommand();
    return true;
  }
}
