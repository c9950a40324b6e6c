/**
 * Differential testing: the same command goes to Redust and to the reference redis-server, and
 * the replies must be identical (same RESP types, same bytes). Options normalise what Redis
 * itself does not fix (the order of unordered replies, cursors, run-dependent numbers).
 */
import * as assert from 'uvu/assert';
import { RespNode, renderNode } from '../../src/protocol/resp-reader';
import { Arg, RawConnection } from './raw';

export interface CompareOptions {
  /** Sort the elements of the top-level array/set (KEYS, SMEMBERS...). */
  unordered?: boolean;
  /** Sort recursively every aggregate (e.g. nested unordered collections). */
  deepUnordered?: boolean;
  /** Only compare the reply type (e.g. TIME, random replies). */
  typeOnly?: boolean;
  /** Replace error text after the code (when only the error class must match). */
  errorCodeOnly?: boolean;
  /**
   * A remaining time (TTL, PTTL, EXPIRETIME of a relative expiry): integers of 1000 and more match
   * any other of 1000 and more (two servers never read their clocks at the same millisecond);
   * smaller ones (-2, -1, a short TTL) must be equal.
   */
  remainingTime?: boolean;
  /**
   * Compare every string of the reply as a set of space-separated words (ACL LIST / GETUSER:
   * Redis 7.0 lists single-command rules in its command table's hash order, random per process).
   */
  wordsUnordered?: boolean;
  /**
   * Mask the clock readings of stream introspection (XINFO): the value after an 'idle' or
   * 'seen-time' field, and integers of 10^12 and more (Unix times in milliseconds: a pending
   * entry's delivery time), which the two servers never read at the same millisecond.
   */
  maskTimes?: boolean;
}

const TIME_FIELDS = new Set(['idle', 'seen-time']);
const MASKED_TIME: RespNode = { t: 'simple', v: '(a time)' };

function sortKey(n: RespNode): string {
  return renderNode(n);
}

export function normalize(n: RespNode, opts: CompareOptions, depth = 0): RespNode {
  if (opts.typeOnly) return { t: 'simple', v: `(a reply of type ${n.t})` };
  if (opts.errorCodeOnly && n.t === 'error') return { t: 'error', v: n.v.split(' ')[0] };
  if (opts.remainingTime && n.t === 'int' && n.v >= 1000n) return { t: 'int', v: 1000n };
  if (opts.maskTimes && n.t === 'int' && n.v >= 1_000_000_000_000n) return MASKED_TIME;
  if (opts.wordsUnordered && (n.t === 'bulk' || n.t === 'simple')) {
    const words = (n.t === 'bulk' ? n.v.toString('latin1') : n.v).split(' ').sort().join(' ');
    return n.t === 'bulk' ? { t: 'bulk', v: Buffer.from(words, 'latin1') } : { t: 'simple', v: words };
  }
  if (n.t === 'array' || n.t === 'set' || n.t === 'push' || n.t === 'map') {
    let v = n.v.map((x) => normalize(x, opts, depth + 1));
    if (opts.maskTimes) {
      for (let i = 0; i + 1 < v.length; i++) {
        const f = v[i];
        if ((f.t === 'bulk' || f.t === 'simple') && v[i + 1].t === 'int' && TIME_FIELDS.has(f.t === 'bulk' ? f.v.toString('latin1') : f.v)) v[i + 1] = MASKED_TIME;
      }
    }
    if ((opts.unordered && depth === 0) || opts.deepUnordered) {
      if (n.t === 'map') {
        const pairs: [RespNode, RespNode][] = [];
        for (let i = 0; i < v.length; i += 2) pairs.push([v[i], v[i + 1]]);
        pairs.sort((a, b) => (sortKey(a[0]) < sortKey(b[0]) ? -1 : sortKey(a[0]) > sortKey(b[0]) ? 1 : 0));
        v = pairs.flat();
      } else v = [...v].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
    }
    return { ...n, v } as RespNode;
  }
  return n;
}

/**
 * Replies above this many characters are not handed to uvu's assert.is when they differ: its
 * failure report diffs the two strings in quadratic time (4,000 random characters took ~2 s,
 * 16,000 over 20 s), so a wrong 140 KB GET made a test hang instead of failing.
 */
const DIFF_REPORT_MAX = 2000;

/** assert.is(redust, reference) for rendered replies; a long mismatch names its first difference. */
function assertSameReply(redust: string, reference: string, label: string): void {
  if (redust === reference) return;
  const shortLabel = label.length > 300 ? `${label.slice(0, 300)}... (${label.length} chars)` : label;
  if (redust.length + reference.length <= DIFF_REPORT_MAX) {
    assert.is(redust, reference, `reply of: ${shortLabel}`);
    return;
  }
  let i = 0;
  while (i < redust.length && i < reference.length && redust[i] === reference[i]) i++;
  const around = (x: string) => JSON.stringify(x.slice(Math.max(0, i - 40), i + 80));
  assert.unreachable(
    `reply of: ${shortLabel}: the replies (${redust.length} and ${reference.length} characters rendered) first differ at ${i}: redust ${around(redust)}, redis ${around(reference)}`,
  );
}

export class Differential {
  private constructor(
    readonly redust: RawConnection,
    readonly reference: RawConnection,
  ) {}

  static async connect(redustPort: number, referencePort: number): Promise<Differential> {
    return new Differential(await RawConnection.connect(redustPort), await RawConnection.connect(referencePort));
  }

  /** Send to both; assert identical replies; return Redust's reply. */
  async check(args: Arg[], opts: CompareOptions = {}): Promise<RespNode> {
    const [a, b] = await Promise.all([this.redust.send(...args), this.reference.send(...args)]);
    const na = normalize(a, opts);
    const nb = normalize(b, opts);
    const label = args.map((x) => (Buffer.isBuffer(x) ? JSON.stringify(x.latin1Slice(0, x.length)) : String(x))).join(' ');
    if (opts.typeOnly) assert.is(a.t, b.t, `reply type of: ${label}`);
    else assertSameReply(renderNode(na), renderNode(nb), label);
    return a;
  }

  /**
   * Run `setup` then `cmds` from an empty database in RESP2 and again in RESP3, comparing every
   * reply (`opts` apply to `cmds`). Leaves both connections in RESP2.
   */
  async bothProtocols(setup: Arg[][], cmds: Arg[][], opts: CompareOptions = {}): Promise<void> {
    for (const proto of ['2', '3']) {
      for (const conn of [this.redust, this.reference]) {
        await conn.send('HELLO', proto);
        await conn.send('FLUSHALL');
      }
      await this.all(setup);
      await this.all(cmds, opts);
    }
    for (const conn of [this.redust, this.reference]) await conn.send('HELLO', '2');
  }

  /** Run a script of commands, each compared. */
  async all(cmds: Arg[][], opts: CompareOptions = {}): Promise<void> {
    for (const c of cmds) await this.check(c, opts);
  }

  close(): void {
    this.redust.close();
    this.reference.close();
  }
}
