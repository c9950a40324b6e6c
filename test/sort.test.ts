/**
 * SORT / SORT_RO over lists, sets and sorted sets, compared with real Redis 7.0 in RESP2 and RESP3
 * on every engine: BY (patterns, hash fields, nosort), LIMIT, GET, ASC/DESC, ALPHA, STORE, errors.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Differential } from './helpers/diff';
import { Arg, RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';



/** True when the family's commands exist on Redust (lists/sets/hashes are written concurrently). */
async function has(d: Differential, cmd: Arg[]): Promise<boolean> {
  const r = await d.redust.send(...cmd);
  return r.t !== 'error' || !/unknown command/.test(renderNode(r));
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('sort', engine);

  diffTest(t, 'sorted sets: numeric, ALPHA, DESC, LIMIT, BY, GET, nosort, errors', async ({ d }) => {
    await d.bothProtocols([], [
      ['ZADD', 'z', '5', 'x', '1', '10', '2', '2', '3', '3.5', '4', '-1', '6', '1e2'],
      ['MSET', 'w_x', '1', 'w_10', '9', 'w_2', '3', 'w_3.5', '4', 'w_-1', '0', 'w_1e2', '7'],
      ['MSET', 'o_x', 'ox', 'o_10', 'o10', 'o_2', 'o2', 'o_3.5', 'o35', 'o_-1', 'om1'],
      ['SORT', 'z', 'BY', 'nosort'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '3'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '3'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '10', '3'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '-5', '2'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '2', '-1'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '2', '0'],
      ['SORT', 'z'],
      ['ZADD', 'n', '1', '3', '2', '1', '3', '2', '4', '10', '5', '-0.5'],
      ['SORT', 'n'],
      ['SORT', 'n', 'DESC'],
      ['SORT', 'n', 'LIMIT', '1', '2'],
      ['SORT', 'n', 'ALPHA'],
      ['SORT', 'n', 'ALPHA', 'DESC', 'LIMIT', '0', '3'],
      ['SORT', 'z', 'ALPHA'],
      ['SORT', 'z', 'BY', 'w_*'],
      ['SORT', 'z', 'BY', 'w_*', 'DESC'],
      ['SORT', 'z', 'BY', 'w_*', 'LIMIT', '1', '2'],
      ['SORT', 'z', 'BY', 'w_*', 'ALPHA'],
      ['SORT', 'z', 'BY', 'o_*', 'ALPHA'],
      ['SORT', 'z', 'BY', 'w_*', 'GET', '#', 'GET', 'o_*', 'GET', 'nostar'],
      ['SORT', 'z', 'BY', 'nosort', 'GET', 'o_*'],
      ['SORT', 'z', 'BY', 'o_*'],
      ['SORT', 'z', 'BY', 'nosort', 'BY', 'w_*'],
      ['SORT', 'z', 'LIMIT', '0'],
      ['SORT', 'z', 'LIMIT', 'x', '1'],
      ['SORT', 'z', 'FOO'],
      ['SORT', 'z', 'GET'],
      ['SORT', 'z', 'STORE'],
      ['SORT_RO', 'z', 'STORE', 'dst'],
      ['SORT_RO', 'n', 'LIMIT', '0', '2', 'DESC'],
      ['SORT', 'nokey'],
      ['SORT', 'nokey', 'ALPHA', 'LIMIT', '0', '10'],
      ['SET', 'str', 'x'],
      ['SORT', 'str'],
      ['SORT', 'str', 'FOO'],
      ['SORT_RO', 'str'],
      ['SORT', 'n', 'STORE', 'dst'],
      ['SORT', 'z', 'BY', 'w_*', 'GET', '#', 'GET', 'o_*', 'STORE', 'dst2'],
      ['SORT', 'nokey', 'STORE', 'dst2'],
      ['EXISTS', 'dst2'],
    ]);
  });

  diffTest(t, 'SORT converts a listpack sorted set to skiplist, as Redis does', async ({ d }) => {
    await d.all([
      ['ZADD', 'enc', '1', 'a', '2', 'b'],
      ['OBJECT', 'ENCODING', 'enc'],
      ['SORT_RO', 'enc'],
      ['OBJECT', 'ENCODING', 'enc'],
      ['COPY', 'enc', 'enc2'],
      ['OBJECT', 'ENCODING', 'enc2'],
    ]);
  });

  diffTest(t, 'scores that are not doubles, hash BY/GET, binary elements', async ({ d }) => {
    const hashes = await has(d, ['HSET', 'probe', 'f', 'v']);
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['SORT', 'z'],
      ['ZADD', 'n', '1', ' 1', '2', '', '3', '0x10', '4', '1e400', '5', '2'],
      ['SORT', 'n'],
      ['ZADD', 'n2', '1', ' 1', '2', '', '3', '0x10', '5', '2', '6', 'inf', '7', '-inf'],
      ['SORT', 'n2'],
      ['SORT', 'n2', 'DESC'],
      ['MSET', 'k_a', '3', 'k_b', 'x', 'k_c', '1'],
      ['SORT', 'z', 'BY', 'k_*'],
      ['SORT', 'z', 'BY', 'nosort', 'GET', 'k_*'],
      ['ZADD', 'bin', '1', Buffer.from([0, 1]), '2', Buffer.from([0xff]), '3', Buffer.from([0x80, 0])],
      ['SORT', 'bin', 'ALPHA'],
      ['SORT', 'bin', 'ALPHA', 'DESC'],
    ]);
    if (!hashes) return;
    await d.bothProtocols([], [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['HSET', 'h_a', 'w', '30', 'name', 'alice'],
      ['HSET', 'h_b', 'w', '10', 'name', 'bob'],
      ['HSET', 'h_c', 'w', '20'],
      ['SORT', 'z', 'BY', 'h_*->w'],
      ['SORT', 'z', 'BY', 'h_*->w', 'GET', 'h_*->name', 'GET', '#'],
      ['SORT', 'z', 'BY', 'h_*->name', 'ALPHA'],
      ['SORT', 'z', 'BY', 'h_*->', 'GET', 'h_*->'],
      ['SORT', 'z', 'BY', 'nosort', 'GET', 'h_*->nofield'],
      ['SET', 's_a', 'str'],
      ['SORT', 'z', 'BY', 'nosort', 'GET', 's_*->w'],
    ]);
  });

  diffTest(t, 'lists and sets (when those families exist)', async ({ d }) => {
    if (await has(d, ['RPUSH', 'probe', 'x'])) {
      await d.bothProtocols([], [
        ['RPUSH', 'l', '3', '1', '2', '10', '-1', '1'],
        ['SORT', 'l'],
        ['SORT', 'l', 'DESC'],
        ['SORT', 'l', 'ALPHA'],
        ['SORT', 'l', 'LIMIT', '1', '3'],
        ['SORT', 'l', 'BY', 'nosort'],
        ['SORT', 'l', 'BY', 'nosort', 'DESC'],
        ['SORT', 'l', 'BY', 'nosort', 'LIMIT', '1', '2'],
        ['SORT', 'l', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
        ['SORT', 'l', 'STORE', 'out'],
        ['LRANGE', 'out', '0', '-1'],
        ['SORT', 'l', 'BY', 'nosort', 'GET', 'nokey_*', 'STORE', 'out'],
        ['LRANGE', 'out', '0', '-1'],
        ['RPUSH', 'bad', '1', 'x'],
        ['SORT', 'bad'],
        ['SORT', 'bad', 'STORE', 'out'],
        ['LRANGE', 'out', '0', '-1'],
        ['SORT', 'bad', 'ALPHA'],
      ]);
    }
    if (await has(d, ['SADD', 'probe2', 'x'])) {
      await d.bothProtocols([], [
        ['SADD', 's', '5', '3', '1', '20', 'x'],
        ['SORT', 's', 'ALPHA'],
        ['SORT', 's', 'ALPHA', 'DESC', 'LIMIT', '1', '2'],
        ['SORT', 's'],
        ['SADD', 'si', '5', '3', '1', '20'],
        ['SORT', 'si'],
        ['SORT', 'si', 'DESC', 'LIMIT', '0', '2'],
        ['SORT', 'si', 'BY', 'nosort', 'STORE', 'out'],
        ['LRANGE', 'out', '0', '-1'],
      ]);
      await d.check(['SADD', 'u', 'a', 'b', 'c']);
      await d.check(['SORT', 'u', 'BY', 'nosort'], { unordered: true });
    }
  });

  diffTest(t, 'SORT STORE: keyspace events and WRONGTYPE order', async ({ srv, ref, d }) => {
    if (!(await has(d, ['RPUSH', 'probe', 'x']))) return;
    const run = async (port: number): Promise<string[]> => {
      const sub = await RawConnection.connect(port);
      const c = await RawConnection.connect(port);
      await c.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      await sub.send('PSUBSCRIBE', '__keyevent*__:*');
      await c.send('ZADD', 'z', '1', 'a', '2', 'b');
      await c.send('SORT', 'z', 'STORE', 'dst');
      await c.send('SORT', 'nokey', 'STORE', 'dst');
      await c.send('SET', 'done', '1');
      const out: string[] = [];
      for (;;) {
        const s = renderNode(await sub.next());
        out.push(s);
        if (s.includes('done')) break;
      }
      await c.send('CONFIG', 'SET', 'notify-keyspace-events', '');
      sub.close();
      c.close();
      return out;
    };
    const [a, b] = await Promise.all([run(srv.port), run(ref.port)]);
    assert.equal(a, b);
  });

  t.run();
}
