/**
 * The steps of a differential fuzz run (test/differential-fuzz.test.ts) that go beyond one command
 * on the main connection, shared with the replayer (scripts/fuzz-replay.js) so that a dump replays
 * exactly as it ran:
 *
 * - a command on another client of each server: `b` and `b2` (clients that block, or write under
 *   another client's WATCH) and `c` (control: CLIENT UNBLOCK of b / b2). An argument `{b}` or
 *   `{b2}` stands for that client's CLIENT ID, which differs between the servers;
 * - `bg`: the command is sent and its reply left outstanding; the step ends once the client is
 *   blocked (CLIENT LIST flags b) or has answered, on each server, and its reply is "blocked" or
 *   "answered". A later `collect` step on that client awaits the reply and compares it;
 * - `xrestore` [mode, src, dst, ttl, ...options]: DUMP src on both servers, then RESTORE dst with
 *   the OTHER server's payload (Redis's into Redust and Redust's into Redis);
 * - `fdump`: FUNCTION DUMP on both servers, the payloads kept for the next `xfrestore`;
 * - `xfrestore` [mode, ...policy]: FUNCTION RESTORE on each server of the other's payload kept by
 *   `fdump` (or, without one, of a FUNCTION DUMP taken now).
 *   mode: `cross` (the payload as is), `truncate` (its last 3 bytes cut), `badcrc` (a checksum
 *   byte changed), `badversion` (its RDB version set to 11), `badcode` (functions: a library's
 *   code broken, the checksum right).
 *
 * The reply compared for a cross step is [DUMP's reply, or "(payload)" when it is one, RESTORE's
 * reply]: payloads of equal values may differ in bytes (hash order, list node boundaries).
 *
 * In a dump file a step is a line: a JSON array (a command on the main connection, as before) or a
 * JSON object {on?, bg?, kind?, waitMs?, args} (latin1 strings).
 */
import { renderNode, type RespNode } from '../../src/protocol/resp-reader';
import { RawConnection, type Arg } from './raw';
import { crc64, writeCrc64LE } from '../../src/persistence/crc64';

export type ClientName = 'b' | 'b2' | 'c';
export const CLIENT_NAMES: readonly ClientName[] = ['b', 'b2', 'c'];

export interface Step {
  args: Arg[];
  /** The client that sends it (absent: the main connection). */
  on?: ClientName;
  /** Sent in the background (a blocking command): its reply is compared by a later `collect`. */
  bg?: boolean;
  kind?: 'collect' | 'xrestore' | 'fdump' | 'xfrestore';
  /** The time to let pass after its reply (on both servers' clocks), in ms. */
  waitMs?: number;
}

const latin1 = (a: Arg): string => (Buffer.isBuffer(a) ? a.latin1Slice() : String(a));

/** The step's dump line. */
export function stepToJson(s: Step): string {
  const args = s.args.map(latin1);
  if (s.on === undefined && s.kind === undefined && !s.waitMs) return JSON.stringify(args);
  return JSON.stringify({ on: s.on, bg: s.bg, kind: s.kind, waitMs: s.waitMs || undefined, args });
}

export function stepFromJson(line: string): Step {
  const v = JSON.parse(line) as string[] | Step;
  const buf = (xs: Arg[]) => xs.map((x) => Buffer.from(String(x), 'latin1'));
  if (Array.isArray(v)) return { args: buf(v) };
  return { on: v.on, bg: v.bg, kind: v.kind, waitMs: v.waitMs, args: buf(v.args) };
}

/** The step as the fuzzer's history shows it. */
export function describeStep(s: Step): string {
  const text = s.args.map((a) => (Buffer.isBuffer(a) ? JSON.stringify(a.latin1Slice()) : String(a))).join(' ');
  if (s.kind === 'collect') return `${s.on}: (its reply)`;
  if (s.kind !== undefined) return `${s.kind.toUpperCase()} ${text}`;
  return s.on === undefined ? text : `${s.on}: ${text}${s.bg ? ' (in the background)' : ''}`;
}

/** Whether the step is a plain command on the main connection (MULTI/EXEC tracking applies). */
export function isMainCommand(s: Step): boolean {
  return s.on === undefined && s.kind === undefined;
}

const simple = (v: string): RespNode => ({ t: 'simple', v });

/** One server's extra clients: b, b2, c, and the outstanding background replies of b and b2. */
class Clients {
  private readonly conns = new Map<ClientName, RawConnection>();
  private readonly ids = new Map<ClientName, string>();
  private readonly outstanding = new Map<ClientName, { reply: Promise<RespNode>; done: boolean }>();

  constructor(private readonly port: number) {}

  async conn(name: ClientName): Promise<RawConnection> {
    let c = this.conns.get(name);
    if (c === undefined) {
      c = await RawConnection.connect(this.port);
      this.conns.set(name, c);
      this.ids.set(name, renderNode(await c.send('CLIENT', 'ID')).slice(1));
    }
    return c;
  }

  /** `args` with `{b}` / `{b2}` replaced by those clients' ids. */
  private async resolve(args: Arg[]): Promise<Arg[]> {
    const out: Arg[] = [];
    for (const a of args) {
      const m = /^\{(b2?)\}$/.exec(latin1(a));
      if (m) {
        await this.conn(m[1] as ClientName);
        out.push(this.ids.get(m[1] as ClientName)!);
      } else out.push(a);
    }
    return out;
  }

  async send(name: ClientName, args: Arg[]): Promise<RespNode> {
    const c = await this.conn(name);
    return c.send(...(await this.resolve(args)));
  }

  /** Sends without waiting for the reply (kept for collect). */
  async start(name: ClientName, args: Arg[]): Promise<void> {
    const c = await this.conn(name);
    const entry = { reply: c.send(...(await this.resolve(args))), done: false };
    // (A reply that never comes is reported by collect; no unhandled rejection meanwhile.)
    entry.reply.then(
      () => (entry.done = true),
      () => (entry.done = true),
    );
    this.outstanding.set(name, entry);
  }

  /** Polls (CLIENT LIST ID on c, up to ~2 s) until `name` is blocked or has answered. */
  async settle(name: ClientName): Promise<RespNode> {
    const entry = this.outstanding.get(name)!;
    const ctl = await this.conn('c');
    for (let i = 0; i < 400; i++) {
      if (entry.done) return simple('answered');
      const info = renderNode(await ctl.send('CLIENT', 'LIST', 'ID', this.ids.get(name)!));
      if (/ flags=[^ ]*b/.test(info)) return simple('blocked');
      await new Promise((res) => setTimeout(res, i < 20 ? 1 : 5));
    }
    return simple(entry.done ? 'answered' : 'neither blocked nor answered');
  }

  async collect(name: ClientName): Promise<RespNode> {
    const entry = this.outstanding.get(name);
    if (entry === undefined) return simple('(nothing outstanding)');
    this.outstanding.delete(name);
    return entry.reply;
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
  }
}

/** A payload changed as the cross step's mode says. */
function corrupt(payload: Buffer, mode: string): Buffer {
  const p = Buffer.from(payload);
  if (mode === 'truncate') return p.subarray(0, Math.max(0, p.length - 3));
  if (mode === 'badcrc' && p.length > 0) p[p.length - 1] ^= 0x5a;
  // (The footer: 2 bytes of RDB version, then 8 of CRC64.)
  if (mode === 'badversion' && p.length >= 10) p.writeUInt16LE(11, p.length - 10);
  if (mode === 'badcode' && p.length >= 10) {
    // A library's code made to fail at load (its first register_function misspelt), the
    // checksum recomputed: the payload is read, the library refused.
    const at = p.indexOf('register_function');
    if (at >= 0) p[at + 16] = 0x58; // 'X'
    writeCrc64LE(crc64(p, 0, p.length - 8), p, p.length - 8);
  }
  return p;
}

/**
 * FUNCTION RESTORE's conflict error without the name: Redis names the first library (or function)
 * of the payload that exists already in its dict's iteration order, which its random hash seed
 * makes different in every process.
 */
function maskConflict(n: RespNode): RespNode {
  return n.t === 'error' ? { t: 'error', v: n.v.replace(/^ERR (Library|Function) .* already exists$/s, 'ERR $1 (a name) already exists') } : n;
}

/** The extra clients of both servers (index 0 Redust, 1 Redis), and the steps' execution. */
export class FuzzClients {
  private readonly sides: [Clients, Clients];
  /** The payloads of the last `fdump` (Redust's, Redis's), until an `xfrestore` uses them. */
  private functionDumps: [RespNode, RespNode] | null = null;

  constructor(redustPort: number, referencePort: number) {
    this.sides = [new Clients(redustPort), new Clients(referencePort)];
  }

  /** Runs the step on both servers: their replies (Redust's first). */
  async run(s: Step, mains: [RawConnection, RawConnection]): Promise<[RespNode, RespNode]> {
    const both = <T>(f: (side: Clients, k: 0 | 1) => Promise<T>) => Promise.all([f(this.sides[0], 0), f(this.sides[1], 1)]) as Promise<[T, T]>;
    if (s.kind === 'collect') return both((x) => x.collect(s.on!));
    if (s.kind === 'fdump') {
      const dumps = await both((_, k) => mains[k].send('FUNCTION', 'DUMP'));
      this.functionDumps = dumps;
      return dumps.map((n) => (n.t === 'bulk' ? simple('(payload)') : n)) as [RespNode, RespNode];
    }
    if (s.kind === 'xrestore' || s.kind === 'xfrestore') {
      const [mode, ...rest] = s.args.map((a) => (Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1')));
      const fn = s.kind === 'xfrestore';
      let dumps = fn ? this.functionDumps : null;
      this.functionDumps = null;
      dumps ??= await both((_, k) => mains[k].send(...(fn ? ['FUNCTION', 'DUMP'] : ['DUMP', rest[0]])));
      if (dumps[0].t !== 'bulk' || dumps[1].t !== 'bulk') return dumps;
      const restores = await both((_, k) => {
        const payload = corrupt((dumps[1 - k] as { v: Buffer }).v, mode.latin1Slice());
        return mains[k].send(...(fn ? ['FUNCTION', 'RESTORE', payload, ...rest] : ['RESTORE', rest[1], rest[2], payload, ...rest.slice(3)]));
      });
      const masked = fn ? restores.map(maskConflict) : restores;
      return [{ t: 'array', v: [simple('(payload)'), masked[0]] }, { t: 'array', v: [simple('(payload)'), masked[1]] }];
    }
    if (s.on === undefined) return both((_, k) => mains[k].send(...s.args));
    if (s.bg) {
      await both((x) => x.start(s.on!, s.args));
      return both((x) => x.settle(s.on!));
    }
    return both((x) => x.send(s.on!, s.args));
  }

  close(): void {
    for (const s of this.sides) s.close();
  }
}
