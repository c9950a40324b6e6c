/**
 * A `Reply` that builds a value tree instead of bytes, so internal callers (Lua's redis.call) can
 * run any command handler and look at its reply. RESP2/RESP3 shaping follows the same rules as
 * `RespWriter` (the protocol is `resp`): in RESP2 a map arrives as a flat array, a double as its
 * "%.17g" bulk string, a bool as an integer, etc., exactly what a RESP2 client would parse.
 *
 * Node shapes (allocation-light: scalars are stored as plain JS values):
 *   bulk string  -> Buffer | string (latin1)     integer -> number | bigint
 *   null bulk    -> NULL_BULK  null array -> NULL_ARRAY   (RESP3 null: both written as `_`)
 *   array        -> ReplyValue[]                   status / error -> StatusReply / ErrorReply
 *   map / set    -> MapReply (flat pairs) / SetReply (RESP3 only)
 *   double, big number, verbatim, bool -> DoubleReply, BigNumberReply, VerbatimReply, boolean (RESP3)
 */
import type { BulkValue } from '../engine/types';
import { formatDouble } from '../util/number';
import type { Deferred, Reply } from './reply';

export class StatusReply {
  constructor(readonly text: string) {}
}
export class ErrorReply {
  constructor(readonly text: string) {}
}
export class MapReply {
  constructor(readonly items: ReplyValue[]) {}
}
export class SetReply {
  constructor(readonly items: ReplyValue[]) {}
}
export class DoubleReply {
  constructor(readonly value: number) {}
}
export class BigNumberReply {
  constructor(readonly digits: string) {}
}
export class VerbatimReply {
  constructor(
    readonly text: string,
    readonly format: string,
  ) {}
}
export const NULL_BULK: unique symbol = Symbol('null-bulk');
export const NULL_ARRAY: unique symbol = Symbol('null-array');
/** RESP3 null (`_`), what nil()/nilArray() produce in RESP3. */
export const NULL: unique symbol = Symbol('null');

export type ReplyValue =
  | BulkValue
  | number
  | bigint
  | boolean
  | typeof NULL_BULK
  | typeof NULL_ARRAY
  | typeof NULL
  | StatusReply
  | ErrorReply
  | ReplyValue[]
  | MapReply
  | SetReply
  | DoubleReply
  | BigNumberReply
  | VerbatimReply;

const enum Kind {
  ARRAY,
  MAP,
  SET,
  PUSH,
}

interface Frame {
  items: ReplyValue[];
  /** Elements still expected, or -1 for a deferred aggregate closed by setXxxLen. */
  remaining: number;
  kind: Kind;
  deferredId: number;
}

const EMPTY: ReplyValue[] = [];

export class ValueReply implements Reply {
  resp: 2 | 3;
  /** The completed top-level value (undefined until something was replied). */
  result: ReplyValue | undefined = undefined;
  private stack: Frame[] = [];
  private deferredSeq = 0;
  /** Called for every error reply (error stats; `noStats`: see Reply.error). */
  onError: ((msg: string, noStats: boolean) => void) | null = null;

  constructor(resp: 2 | 3 = 2) {
    this.resp = resp;
  }

  /** Forget the previous reply (reuse the object for the next command). */
  reset(resp: 2 | 3): void {
    this.resp = resp;
    this.result = undefined;
    if (this.stack.length) this.stack = [];
  }

  /** Take the completed reply. */
  take(): ReplyValue | undefined {
    const r = this.result;
    this.result = undefined;
    return r;
  }

  private add(v: ReplyValue): void {
    const st = this.stack;
    if (st.length === 0) {
      this.result = v;
      return;
    }
    const top = st[st.length - 1];
    top.items.push(v);
    if (top.remaining > 0 && --top.remaining === 0) this.close();
  }

  private close(): void {
    const f = this.stack.pop()!;
    this.add(wrap(f.kind, f.items));
  }

  private open(kind: Kind, n: number): void {
    if (n <= 0) {
      this.add(wrap(kind, n === 0 ? [] : EMPTY));
      return;
    }
    this.stack.push({ items: [], remaining: n, kind, deferredId: 0 });
  }

  simple(s: string): void {
    this.add(new StatusReply(s.replace(/[\r\n]/g, ' ')));
  }

  ok(): void {
    this.add(OK);
  }

  error(msg: string, noStats = false): void {
    if (this.onError) this.onError(msg, noStats);
    this.add(new ErrorReply(msg.replace(/[\r\n]/g, ' ')));
  }

  int(n: number | bigint): void {
    this.add(n);
  }

  bulk(v: BulkValue): void {
    this.add(v);
  }

  nil(): void {
    this.add(this.resp === 3 ? NULL : NULL_BULK);
  }

  nilArray(): void {
    this.add(this.resp === 3 ? NULL : NULL_ARRAY);
  }

  array(n: number): void {
    this.open(Kind.ARRAY, n);
  }

  map(pairs: number): void {
    if (this.resp === 3) this.open(Kind.MAP, pairs * 2);
    else this.open(Kind.ARRAY, pairs * 2);
  }

  set(n: number): void {
    this.open(this.resp === 3 ? Kind.SET : Kind.ARRAY, n);
  }

  push(n: number): void {
    this.open(Kind.ARRAY, n);
  }

  double(d: number, text?: string): void {
    if (this.resp === 3) this.add(new DoubleReply(d));
    else this.add(text ?? formatDouble(d));
  }

  bool(b: boolean): void {
    if (this.resp === 3) this.add(b);
    else this.add(b ? 1 : 0);
  }

  verbatim(text: string, format = 'txt'): void {
    if (this.resp === 3) this.add(new VerbatimReply(text, format));
    else this.add(text);
  }

  bigNumber(digits: string): void {
    if (this.resp === 3) this.add(new BigNumberReply(digits));
    else this.add(digits);
  }

  deferred(): Deferred {
    const id = ++this.deferredSeq;
    this.stack.push({ items: [], remaining: -1, kind: Kind.ARRAY, deferredId: id });
    return { pos: this.stack.length - 1, id };
  }

  private closeDeferred(d: Deferred, kind: Kind): void {
    const st = this.stack;
    // Close any fixed-length frames left open above it (a handler that under-replied).
    while (st.length > d.pos + 1) this.close();
    const f = st[d.pos];
    if (!f || f.deferredId !== d.id) return;
    f.kind = kind;
    this.close();
  }

  setArrayLen(d: Deferred, _n: number): void {
    this.closeDeferred(d, Kind.ARRAY);
  }

  setMapLen(d: Deferred, _pairs: number): void {
    this.closeDeferred(d, this.resp === 3 ? Kind.MAP : Kind.ARRAY);
  }

  setSetLen(d: Deferred, _n: number): void {
    this.closeDeferred(d, this.resp === 3 ? Kind.SET : Kind.ARRAY);
  }
}

const OK = new StatusReply('OK');

function wrap(kind: Kind, items: ReplyValue[]): ReplyValue {
  if (kind === Kind.MAP) return new MapReply(items);
  if (kind === Kind.SET) return new SetReply(items);
  return items;
}
