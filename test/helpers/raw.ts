/**
 * A raw RESP connection for tests: sends commands (or arbitrary bytes) over real TCP and returns
 * each reply as a typed tree (RespNode), so tests can assert exact reply types and bytes.
 */
import net from 'net';
import { renderNode, RespNode, RespReader } from '../../src/protocol/resp-reader';

export type Arg = string | Buffer | number;

export function encodeCommand(args: Arg[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

export class RawConnection {
  private readonly reader = new RespReader();
  private readonly queue: RespNode[] = [];
  private waiters: ((n: RespNode) => void)[] = [];
  private closedWaiters: (() => void)[] = [];
  closed = false;
  /** Every byte received, for tests that assert exact bytes. */
  received: Buffer[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => {
      this.received.push(d);
      for (const n of this.reader.feed(d)) {
        const w = this.waiters.shift();
        if (w) w(n);
        else this.queue.push(n);
      }
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.closedWaiters) w();
      this.closedWaiters = [];
    });
    socket.on('error', () => {
      /* surfaced through `closed` */
    });
  }

  /** Wrap an already connected socket (e.g. a tls.TLSSocket after its handshake). */
  static over(socket: net.Socket): RawConnection {
    return new RawConnection(socket);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host);
      s.once('connect', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  /** Next reply (waits up to `ms`). */
  next(ms = 5000): Promise<RespNode> {
    const q = this.queue.shift();
    if (q) return Promise.resolve(q);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        reject(new Error(`no reply within ${ms} ms`));
      }, ms);
      const done = (n: RespNode) => {
        clearTimeout(t);
        resolve(n);
      };
      this.waiters.push(done);
    });
  }

  /** True when a reply arrives within `ms` (without consuming it... consumes it; for "no reply" checks). */
  async hasReplyWithin(ms: number): Promise<boolean> {
    try {
      const n = await this.next(ms);
      this.queue.unshift(n);
      return true;
    } catch {
      return false;
    }
  }

  send(...args: Arg[]): Promise<RespNode> {
    this.socket.write(encodeCommand(args));
    return this.next();
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  waitClosed(ms = 5000): Promise<boolean> {
    if (this.closed) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.closedWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Text of a bulk, verbatim, simple or error reply (latin1: one char per byte). */
export function text(n: RespNode): string {
  if (n.t === 'bulk' || n.t === 'verbatim') return n.v.latin1Slice();
  if (n.t === 'simple' || n.t === 'error') return n.v;
  throw new Error(`not a text reply: ${n.t}`);
}

/** Elements of an aggregate reply (array, set, push, or map as flat key/value). */
export function items(n: RespNode): RespNode[] {
  if (n.t === 'array' || n.t === 'set' || n.t === 'push' || n.t === 'map') return n.v;
  throw new Error(`not an aggregate reply: ${n.t}`);
}

/**
 * Wait until something accepts connections on `port` (a server spawned as a process): up to
 * `tries` attempts `everyMs` apart. Returns false if it never did.
 */
export async function waitAccepting(port: number, tries = 200, everyMs = 25): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      (await RawConnection.connect(port)).close();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
  return false;
}

/** Shorthands for building expected nodes. */
export const R = {
  ok: { t: 'simple', v: 'OK' } as RespNode,
  simple: (v: string): RespNode => ({ t: 'simple', v }),
  err: (v: string): RespNode => ({ t: 'error', v }),
  int: (v: number | bigint): RespNode => ({ t: 'int', v: BigInt(v) }),
  bulk: (v: string | Buffer): RespNode => ({ t: 'bulk', v: Buffer.isBuffer(v) ? v : Buffer.from(v, 'latin1') }),
  nil: { t: 'nullbulk' } as RespNode,
  nilArray: { t: 'nullarray' } as RespNode,
  null: { t: 'null' } as RespNode,
  arr: (...v: RespNode[]): RespNode => ({ t: 'array', v }),
};

/** Subscribe to every keyspace event on a server; returns the collected messages. */
export async function eventLog(port: number): Promise<{ conn: RawConnection; messages: () => Promise<string[]> }> {
  const conn = await RawConnection.connect(port);
  await conn.send('PSUBSCRIBE', '__keyevent@*__:*');
  return {
    conn,
    messages: async () => {
      // PING through the subscriber marks the end of the events so far.
      conn.write('*1\r\n$4\r\nPING\r\n');
      const out: string[] = [];
      for (;;) {
        const n = await conn.next();
        const s = renderNode(n);
        if (s.includes('"pong"') || s === '+PONG') break;
        out.push(s);
      }
      return out;
    },
  };
}

/**
 * Wait until the server at `port` has loaded its data (INFO persistence says loading:0): real
 * Redis listens before it has read its AOF or RDB files. Up to about 5 s.
 */
export async function waitLoaded(port: number): Promise<void> {
  const c = await RawConnection.connect(port);
  try {
    for (let i = 0; i < 500; i++) {
      const info = (await c.send('INFO', 'persistence')) as { v: Buffer };
      if (/^loading:0/m.test(info.v.latin1Slice())) return;
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    c.close();
  }
}
