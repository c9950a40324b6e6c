/**
 * Incremental RESP2/RESP3 *reply* reader: turns server output into a typed tree. Used by the test
 * suite (differential tests compare these trees), the command-metadata generator and tooling.
 * Not on the server's request path.
 */

export type RespNode =
  | { t: 'simple'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: bigint }
  | { t: 'bulk'; v: Buffer }
  | { t: 'nullbulk' }
  | { t: 'nullarray' }
  | { t: 'null' }
  | { t: 'array'; v: RespNode[] }
  | { t: 'set'; v: RespNode[] }
  | { t: 'push'; v: RespNode[] }
  | { t: 'map'; v: RespNode[] } // flat k, v, k, v
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'verbatim'; f: string; v: Buffer }
  | { t: 'bignum'; v: string };

class Incomplete extends Error {}
const INCOMPLETE = new Incomplete();

export class RespReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  feed(chunk: Buffer): RespNode[] {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
    const out: RespNode[] = [];
    for (;;) {
      if (this.pos >= this.buf.length) break;
      const save = this.pos;
      try {
        out.push(this.read());
      } catch (e) {
        if (e === INCOMPLETE) {
          this.pos = save;
          break;
        }
        throw e;
      }
    }
    return out;
  }

  private lineEnd(): number {
    const i = this.buf.indexOf('\r\n', this.pos, 'latin1');
    if (i === -1) throw INCOMPLETE;
    return i;
  }

  private lineText(): string {
    const e = this.lineEnd();
    const s = this.buf.latin1Slice(this.pos + 1, e);
    this.pos = e + 2;
    return s;
  }

  private aggregate(n: number): RespNode[] {
    const items: RespNode[] = [];
    for (let i = 0; i < n; i++) items.push(this.read());
    return items;
  }

  private read(): RespNode {
    const type = String.fromCharCode(this.buf[this.pos]);
    const text = this.lineText();
    switch (type) {
      case '+':
        return { t: 'simple', v: text };
      case '-':
        return { t: 'error', v: text };
      case ':':
        return { t: 'int', v: BigInt(text) };
      case '$':
      case '=': {
        const n = Number(text);
        if (n < 0) return { t: 'nullbulk' };
        if (this.buf.length < this.pos + n + 2) throw INCOMPLETE;
        const v = Buffer.from(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n + 2;
        if (type === '=') return { t: 'verbatim', f: v.latin1Slice(0, 3), v: v.subarray(4) };
        return { t: 'bulk', v };
      }
      case '*': {
        const n = Number(text);
        if (n < 0) return { t: 'nullarray' };
        return { t: 'array', v: this.aggregate(n) };
      }
      case '~':
        return { t: 'set', v: this.aggregate(Number(text)) };
      case '>':
        return { t: 'push', v: this.aggregate(Number(text)) };
      case '%':
        return { t: 'map', v: this.aggregate(Number(text) * 2) };
      case '|': {
        // Attributes are skipped: read and drop, then return the real reply.
        this.aggregate(Number(text) * 2);
        return this.read();
      }
      case '_':
        return { t: 'null' };
      case ',':
        return { t: 'double', v: text };
      case '#':
        return { t: 'bool', v: text === 't' };
      case '(':
        return { t: 'bignum', v: text };
      default:
        throw new Error(`RESP reader: unexpected type byte ${JSON.stringify(type)}`);
    }
  }
}

/** Compact human-readable rendering, used in test failure messages. */
export function renderNode(n: RespNode): string {
  switch (n.t) {
    case 'simple':
      return `+${n.v}`;
    case 'error':
      return `-${n.v}`;
    case 'int':
      return `:${n.v}`;
    case 'bulk':
      return JSON.stringify(n.v.latin1Slice(0, n.v.length));
    case 'verbatim':
      return `=${n.f}:${JSON.stringify(n.v.latin1Slice(0, n.v.length))}`;
    case 'nullbulk':
      return '$-1';
    case 'nullarray':
      return '*-1';
    case 'null':
      return '_';
    case 'double':
      return `,${n.v}`;
    case 'bool':
      return n.v ? '#t' : '#f';
    case 'bignum':
      return `(${n.v}`;
    case 'array':
      return `[${n.v.map(renderNode).join(', ')}]`;
    case 'set':
      return `~{${n.v.map(renderNode).join(', ')}}`;
    case 'push':
      return `>[${n.v.map(renderNode).join(', ')}]`;
    case 'map': {
      const parts: string[] = [];
      for (let i = 0; i < n.v.length; i += 2) parts.push(`${renderNode(n.v[i])}: ${renderNode(n.v[i + 1])}`);
      return `%{${parts.join(', ')}}`;
    }
  }
}
