/**
 * Stream node storage (src/engine/containers/stream.ts): sealed nodes packed into shared segments,
 * entry offsets in a bounded cache rather than in each node. A seeded random mix of XADD (same and
 * different fields, big values), XDEL, exact and approximate trims, and COPY runs on a JsStream and
 * on a plain array model, with small and default node limits, more nodes than the index cache has
 * slots (1024), and master counters crossing 127/128 (which grows a node in a segment). After every step:
 * the entries and IDs match the model (forward, reverse, seeks), every node's listpack header is
 * its length, the segments hold exactly their nodes without overlap, and memoryUsage() equals the
 * storage recomputed from scratch (used_memory counts what is held, holes included).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JsStream, MAX_ID, MIN_ID, type Segment, type StreamID } from '../src/engine/containers/stream';
import { rng } from './helpers/rng';

type Entry = { id: number; fv: string[] };

function check(s: JsStream, model: Entry[], what: string): void {
  const got: Entry[] = [];
  s.range(MIN_ID, MAX_ID, false, (n, i) => {
    got.push({ id: Number(n.idAt(i).ms), fv: n.pairs(i) });
    return true;
  });
  assert.equal(got, model, `${what}: forward`);
  const rev: number[] = [];
  s.range(MIN_ID, MAX_ID, true, (n, i) => {
    rev.push(Number(n.idAt(i).ms));
    return true;
  });
  assert.equal(rev, model.map((e) => e.id).reverse(), `${what}: reverse`);
  assert.is(s.length, model.length, `${what}: length`);
  const segs = new Set<Segment>();
  for (const n of s.nodes) {
    assert.is(n.buf.readUInt32LE(n.at), n.len, `${what}: listpack header`);
    assert.is(n.buf[n.at + n.len - 1], 0xff, `${what}: listpack end`);
    if (n.seg) {
      segs.add(n.seg);
      assert.ok(n.buf === n.seg.buf && n.seg.nodes.includes(n), `${what}: node in its segment`);
    }
  }
  for (const g of segs) {
    const spans = g.nodes.map((n) => [n.at, n.at + n.len]).sort((a, b) => a[0] - b[0]);
    for (let i = 0; i < spans.length; i++) {
      assert.ok(spans[i][1] <= (i + 1 < spans.length ? spans[i + 1][0] : g.buf.length), `${what}: segment spans`);
    }
    for (const n of g.nodes) assert.ok(s.nodes.includes(n), `${what}: segment node in the stream`);
  }
  assert.is(s.memoryUsage(), s.storageBytes(), `${what}: accounted bytes`);
}

for (const [maxBytes, maxEntries] of [
  [4096, 100],
  [300, 5],
  [0, 200],
] as const) {
  test(`random operations keep entries, segments and accounting (node limits ${maxBytes}/${maxEntries})`, () => {
    const rand = rng(maxBytes * 7 + maxEntries);
    const limits = { maxBytes, maxEntries };
    let s = new JsStream();
    let model: Entry[] = [];
    let next = 1;
    const add = (k: number): void => {
      for (let j = 0; j < k; j++) {
        const r = rand();
        const fv =
          r < 0.7
            ? ['field', String(next), 'kind', 'click']
            : r < 0.95
              ? ['other', 'x'.repeat((rand() * 40) | 0)]
              : ['big', 'y'.repeat(500 + ((rand() * 3000) | 0))];
        const id: StreamID = { ms: next, seq: 0 };
        s.append(id, fv, limits);
        model.push({ id: next, fv });
        next++;
      }
    };
    add(maxEntries === 5 ? 7000 : 3000);
    check(s, model, 'loaded');
    for (let step = 0; step < 300; step++) {
      const r = rand();
      if (r < 0.35) add(1 + ((rand() * 300) | 0));
      else if (r < 0.75 && model.length) {
        // XDEL: runs of neighbours too, so whole nodes go and segments get holes.
        const at = (rand() * model.length) | 0;
        const k = rand() < 0.5 ? 1 : (rand() * 150) | 0;
        for (const e of model.splice(at, k)) assert.ok(s.deleteEntry({ ms: e.id, seq: 0 }), 'deleted');
      } else if (r < 0.85) {
        const keep = (rand() * model.length) | 0;
        const approx = rand() < 0.5;
        const n = s.trim('maxlen', keep, MIN_ID, approx, 0);
        model.splice(0, n);
        if (!approx) assert.is(model.length, Math.min(keep, model.length), 'exact trim');
      } else if (r < 0.9) {
        s = s.clone();
      } else if (model.length) {
        const e = model[(rand() * model.length) | 0];
        const f = s.find({ ms: e.id, seq: 0 });
        assert.ok(f, 'find');
        assert.equal(f!.node.pairs(f!.index), e.fv, 'seek');
        assert.not.ok(s.exists({ ms: e.id, seq: 1 }), 'missing ID');
      }
      check(s, model, `step ${step}`);
    }
    while (model.length) for (const e of model.splice(0, 97)) s.deleteEntry({ ms: e.id, seq: 0 });
    check(s, model, 'emptied');
    assert.is(s.nodes.length, 0);
  });
}

test('a node in a segment whose deleted counter passes 127 leaves it (and stays Redis-shaped)', () => {
  const s = new JsStream();
  const limits = { maxBytes: 0, maxEntries: 300 };
  for (let i = 1; i <= 3000; i++) s.append({ ms: i, seq: 0 }, ['f', String(i)], limits);
  const first = s.nodes[0];
  assert.ok(first.seg, 'sealed node packed');
  for (let i = 1; i <= 200; i++) s.deleteEntry({ ms: i, seq: 0 });
  assert.is(first.deleted, 200);
  assert.is(first.seg, null, 'moved to its own buffer when the counter grew');
  const ids: number[] = [];
  s.range(MIN_ID, MAX_ID, false, (n, i) => (ids.push(Number(n.idAt(i).ms)), ids.length < 3));
  assert.equal(ids, [201, 202, 203]);
  assert.is(s.memoryUsage(), s.storageBytes());
});

test.run();
