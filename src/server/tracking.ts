/**
 * Client-side caching (tracking.c).
 */
import type { Client } from './client';
import type { Server } from './server';

export class Tracking {
  constructor(private readonly server: Server) {}

  /** CLIENT LIST flags letters: t (tracking), R (broken redirect), B (BCAST). */
  flagLetters(c: Client): string {
    void c;
    return '';
  }

  /** CLIENT LIST redir=. */
  redirOf(c: Client): number {
    void c;
    return -1;
  }
}
