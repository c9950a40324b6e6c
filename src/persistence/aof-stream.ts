/**
 * A stream in a command-format AOF base (aof-use-rdb-preamble no), as Redis 7.0's
 * rewriteStreamObject writes it:
 * - one XADD key id field value... per entry (an empty stream: XADD key MAXLEN 0 0-1 x y);
 * - XSETID key last-id ENTRIESADDED n MAXDELETEDID id (so XDEL'ed tails and counters survive);
 * - per group, in name order: XGROUP CREATE key group last-id ENTRIESREAD n, then per consumer in
 *   name order either XCLAIM key group consumer 0 id TIME ms RETRYCOUNT n JUSTID FORCE for each
 *   of its pending entries, or XGROUP CREATECONSUMER key group consumer when it has none.
 * O(entries + PEL entries + consumers).
 */
import type { Arg } from '../server/propagate';
import { formatId, MAX_ID, MIN_ID, type JsStream } from '../engine/containers/stream';

export function rewriteStream(key: Buffer, s: JsStream, out: (argv: Arg[]) => void): void {
  if (s.length) {
    s.range(MIN_ID, MAX_ID, false, (node, i) => {
      const argv: Arg[] = ['XADD', key, formatId(node.idAt(i))];
      for (const s of node.pairs(i)) argv.push(s);
      out(argv);
      return true;
    });
  } else {
    out(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  }
  out(['XSETID', key, formatId(s.lastId), 'ENTRIESADDED', s.entriesAdded, 'MAXDELETEDID', formatId(s.maxDeletedId)]);
  for (const g of s.sortedGroups()) {
    const gname = Buffer.from(g.name, 'latin1');
    out(['XGROUP', 'CREATE', key, gname, formatId(g.lastId), 'ENTRIESREAD', g.entriesRead]);
    for (const c of g.sortedConsumers()) {
      const cname = Buffer.from(c.name, 'latin1');
      if (c.pel.size === 0) {
        out(['XGROUP', 'CREATECONSUMER', key, gname, cname]);
        continue;
      }
      c.pel.forEach((id, nack) => {
        out(['XCLAIM', key, gname, cname, '0', formatId(id), 'TIME', nack.deliveryTime, 'RETRYCOUNT', nack.deliveryCount, 'JUSTID', 'FORCE']);
      });
    }
  }
}
