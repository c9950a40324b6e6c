/**
 * Streams: every command and error compared with real Redis 7.0 (RESP2 and RESP3, explicit IDs so
 * replies are deterministic), node layout (radix-tree-keys/nodes, approximate trimming), and
 * blocking XREAD / XREADGROUP behaviour with several clients.
 */
import fs from 'fs';
import path from 'path';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest, haveRedisServer } from './helpers/servers';
import { Differential } from './helpers/diff';
import { Arg, RawConnection, R, encodeCommand } from './helpers/raw';
import { RespNode, renderNode } from '../src/protocol/resp-reader';


/** Replace every integer that looks like a time or an idle time by a placeholder. */
function timeless(n: RespNode): RespNode {
  if (n.t === 'int') return { t: 'int', v: 0n };
  if (n.t === 'array' || n.t === 'map' || n.t === 'set' || n.t === 'push') return { ...n, v: n.v.map(timeless) } as RespNode;
  return n;
}

async function checkTimeless(d: Differential, args: Arg[]): Promise<void> {
  const [a, b] = await Promise.all([d.redust.send(...args), d.reference.send(...args)]);
  assert.is(renderNode(timeless(a)), renderNode(timeless(b)), `reply of: ${args.join(' ')}`);
}

const BASIC: Arg[][] = [
  ['XADD', 's', '1-1', 'f', 'v'], ['XADD', 's', '1-1', 'f', 'v'], ['XADD', 's', '0-0', 'f', 'v'], ['XADD', 's2', '0-0', 'f', 'v'], ['EXISTS', 's2'],
  ['XADD', 's', '1-*', 'a', '1', 'b', '2'], ['XADD', 's', '2-*', 'a', '1'], ['XADD', 's', '2-*', 'a', 'x', 'b', 'y'], ['XADD', 's', 'abc', 'f', 'v'], ['XADD', 's', '1-2-3', 'f', 'v'],
  ['XADD', 's', '5', 'f'], ['XADD', 's', '5'], ['XADD', 's', 'NOMKSTREAM', '5-0', 'f', 'v'], ['XADD', 'nos', 'NOMKSTREAM', '5-0', 'f', 'v'], ['EXISTS', 'nos'],
  ['XADD', 's', 'MAXLEN', '~', 'abc', '6-0', 'f', 'v'], ['XADD', 's', 'MAXLEN', '-1', '6-0', 'f', 'v'], ['XADD', 's', 'MAXLEN', '1', 'MINID', '1', '6-0', 'f', 'v'],
  ['XADD', 's', 'LIMIT', '10', '6-0', 'f', 'v'], ['XADD', 's', 'MAXLEN', '5', 'LIMIT', '10', '6-0', 'f', 'v'], ['XADD', 's', 'MAXLEN', '~', '5', 'LIMIT', '-1', '6-0', 'f', 'v'],
  ['XLEN', 's'], ['XRANGE', 's', '-', '+'], ['XREVRANGE', 's', '+', '-'], ['XRANGE', 's', '-', '+', 'COUNT', '2'], ['XRANGE', 's', '-', '+', 'COUNT', '0'], ['XRANGE', 's', '-', '+', 'COUNT', '-5'],
  ['XRANGE', 's', '(1-1', '+'], ['XRANGE', 's', '(1', '+'], ['XRANGE', 's', '1', '(2-1'], ['XRANGE', 's', '(-', '+'], ['XRANGE', 's', '-', '(+'], ['XRANGE', 's', '2', '2'],
  ['XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'], ['XRANGE', 's', '-', '(0-0'], ['XRANGE', 's', '-', '+', 'COUNT'], ['XRANGE', 's', '-', '+', 'FOO', '1'],
  ['XRANGE', 'nokey', '-', '+'], ['XRANGE', 'nokey', 'x', '+'], ['XREVRANGE', 's', '(2-1', '-', 'COUNT', '1'],
  ['XADD', 's', '18446744073709551615-18446744073709551615', 'f', 'v'], ['XADD', 's', '*', 'f', 'v'], ['XADD', 's', '18446744073709551615-*', 'f', 'v'],
  ['XADD', 't', '18446744073709551615-*', 'f', 'v'], ['XADD', 't', '18446744073709551615-*', 'f', 'v'],
  // XADD's reply is written from the ID's digits (the ms part's kept for the next ID): ms parts of
  // different lengths in a row, around 2^31 and 10^9, up to 2^53 - 1 and past it (a bigint).
  ['XADD', 'w', '5-1', 'f', 'v'], ['XADD', 'w', '999999999-1000000000', 'f', 'v'], ['XADD', 'w', '1000000000-7', 'f', 'v'], ['XADD', 'w', '2147483647-*', 'f', 'v'],
  ['XADD', 'w', '2147483648-2147483648', 'f', 'v'], ['XADD', 'w', '1700000000000-0', 'f', 'v'], ['XADD', 'w', '1700000000000-*', 'f', 'v'], ['XADD', 'w', '1700000000001-99', 'f', 'v'],
  ['XADD', 'w', '9007199254740991-9007199254740990', 'f', 'v'], ['XADD', 'w', '9007199254740991-*', 'f', 'v'], ['XADD', 'w', '9007199254740991-*', 'f', 'v'], ['XADD', 'w', '9007199254740992-*', 'f', 'v'],
  ['XRANGE', 'w', '-', '+'],
  ['XADD', 'u', '007-1', 'f', 'v'], ['XADD', 'u', ' 9-1', 'f', 'v'], ['XADD', 'u', '+10-1', 'f', 'v'], ['XADD', 'u', '-05', 'f', 'v'], ['XADD', 'u', '11-+1', 'f', 'v'], ['XADD', 'u', '18446744073709551616-1', 'f', 'v'],
  ['XRANGE', 'u', '-', '+'], ['XDEL', 'u', '9-1'], ['XDEL', 'u', '9-1', '100'], ['XDEL', 'u', 'x'], ['XLEN', 'u'], ['XINFO', 'STREAM', 'u'],
  ['SET', 'str', 'x'], ['XADD', 'str', '*', 'a', 'b'], ['XLEN', 'str'], ['XRANGE', 'str', '-', '+'], ['XRANGE', 'str', 'x', '+'], ['XREAD', 'STREAMS', 'str', '0'],
  ['XGROUP', 'CREATE', 'str', 'g', '0'], ['XINFO', 'STREAM', 'str'], ['XDEL', 'str', '1-0'], ['XTRIM', 'str', 'MAXLEN', '0'], ['XSETID', 'str', '1-0'], ['XACK', 'str', 'g', '1-0'],
  ['XTRIM', 's'], ['XTRIM', 's', 'MAXLEN'], ['XTRIM', 's', 'MAXLEN', '2'], ['XTRIM', 's', 'FOO'], ['XTRIM', 'nokey', 'MAXLEN', '1'], ['XTRIM', 's', 'MINID', '2-1'], ['XTRIM', 's', 'MAXLEN', '=', '1', 'LIMIT', '3'],
  ['XRANGE', 's', '-', '+'], ['XINFO', 'STREAM', 's'], ['XINFO', 'STREAM', 's', 'FULL'], ['XINFO', 'STREAM', 'nokey'], ['XINFO', 'STREAM', 's', 'FOO'], ['XINFO', 'STREAM', 's', 'FULL', 'COUNT'],
  ['XINFO', 'FOO', 's'], ['XINFO', 'HELP'], ['XGROUP', 'HELP'], ['XGROUP', 'FOO'], ['XADD', 'big', '1', 'n', '12345678901234567890'], ['XRANGE', 'big', '-', '+'], ['TYPE', 's'], ['OBJECT', 'ENCODING', 's'],
];

/** Group commands; the ones with times/idle are compared with times masked. */
const GROUPS: Arg[][] = [
  ['XADD', 's', '1-0', 'a', '1'], ['XADD', 's', '2-0', 'b', '2'], ['XADD', 's', '3-0', 'c', '3'], ['XADD', 's', '4-0', 'd', '4'],
  ['XGROUP', 'CREATE', 's', 'g', '0'], ['XGROUP', 'CREATE', 's', 'g', '0'], ['XGROUP', 'CREATE', 'nokey', 'g', '0'], ['XGROUP', 'CREATE', 'nokey', 'g', '$', 'MKSTREAM'], ['XINFO', 'STREAM', 'nokey'],
  ['XGROUP', 'CREATE', 's', 'g2', '$', 'ENTRIESREAD', '3'], ['XGROUP', 'CREATE', 's', 'g3', '$', 'ENTRIESREAD', '-2'], ['XGROUP', 'CREATE', 's', 'g3', '$', 'FOO'], ['XGROUP', 'CREATE', 's', 'g3', 'x'],
  ['XGROUP', 'SETID', 's', 'nog', '0'], ['XGROUP', 'SETID', 's', 'g2', '0', 'ENTRIESREAD', '0'], ['XGROUP', 'SETID', 's', 'g2', '0', 'MKSTREAM'], ['XGROUP', 'FOO', 's', 'g'],
  ['XINFO', 'GROUPS', 's'], ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'], ['XINFO', 'GROUPS', 's'], ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'bob', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'], ['XREADGROUP', 'GROUP', 'nog', 'alice', 'STREAMS', 's', '>'], ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'nokey2', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '$'], ['XREAD', 'STREAMS', 's', '>'], ['XREAD', 'GROUP', 'g', 'a', 'STREAMS', 's', '0'], ['XREAD', 'NOACK', 'STREAMS', 's', '0'], ['XREADGROUP', 'STREAMS', 's', '>'],
  ['XREAD', 'STREAMS', 's'], ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 's'], ['XREAD', 'COUNT', '2', 'STREAMS', 's', 'nokey', '0', '0'], ['XREAD', 'STREAMS', 's', '$'], ['XREAD', 'STREAMS', 's', '2'], ['XREAD', 'STREAMS', 's', '+'],
  ['XREAD', 'BLOCK', '-1', 'STREAMS', 's', '0'], ['XREAD', 'BLOCK', 'abc', 'STREAMS', 's', '0'], ['XREAD', 'FOO', 'STREAMS', 's', '0'],
  ['XPENDING', 's', 'g'], ['XPENDING', 's', 'g', '-', '+', '10'], ['XPENDING', 's', 'g', '-', '+', '10', 'alice'], ['XPENDING', 's', 'g', '-', '+', '10', 'nobody'], ['XPENDING', 's', 'g', 'IDLE', '0', '-', '+', '10'],
  ['XPENDING', 's', 'nog'], ['XPENDING', 's', 'g', '-', '+'], ['XPENDING', 's', 'g', '-', '+', 'x'], ['XPENDING', 's', 'g', 'IDLE', 'x', '-', '+', '10'], ['XPENDING', 's', 'g', 'IDLE', '0', '-'],
  ['XPENDING', 's', 'g', 'IDLE', '100000', '-', '+', '10'], ['XPENDING', 's', 'g', '(1-0', '(4-0', '10'],
  ['XACK', 's', 'g', '1-0', '9-0'], ['XACK', 's', 'g', 'x'], ['XACK', 's', 'nog', '1-0'], ['XPENDING', 's', 'g'],
  ['XCLAIM', 's', 'g', 'carol', '0', '2-0', 'JUSTID'], ['XCLAIM', 's', 'g', 'carol', '0', '3-0', '4-0', 'RETRYCOUNT', '5'], ['XPENDING', 's', 'g', '-', '+', '10'], ['XCLAIM', 's', 'g', 'carol', '0', '2-0', 'FOO'],
  ['XCLAIM', 's', 'g', 'carol', 'x', '2-0'], ['XCLAIM', 's', 'nog', 'carol', '0', '2-0'], ['XCLAIM', 's', 'g', 'carol', '0', '1-0', 'FORCE', 'JUSTID'], ['XCLAIM', 's', 'g', 'carol', '0', '9-0', 'FORCE'],
  ['XCLAIM', 's', 'g', 'dave', '0', '3-0', 'LASTID', '10-0', 'JUSTID'], ['XCLAIM', 's', 'g', 'dave', '3600000', '2-0'], ['XCLAIM', 's', 'g', 'dave', '0', '2-0', 'IDLE', '5000', 'TIME', 'x'],
  ['XINFO', 'GROUPS', 's'], ['XDEL', 's', '3-0'], ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0'], ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '1'], ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'COUNT', '0'],
  ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'JUSTID'], ['XAUTOCLAIM', 's', 'nog', 'erin', '0', '0'], ['XAUTOCLAIM', 's', 'g', 'erin', 'x', '0'], ['XAUTOCLAIM', 's', 'g', 'erin', '0', 'x'], ['XAUTOCLAIM', 's', 'g', 'erin', '0', '0', 'FOO'],
  ['XINFO', 'CONSUMERS', 's', 'g'], ['XINFO', 'CONSUMERS', 's', 'nog'],
  ['XGROUP', 'CREATECONSUMER', 's', 'g', 'zed'], ['XGROUP', 'CREATECONSUMER', 's', 'g', 'zed'], ['XGROUP', 'DELCONSUMER', 's', 'g', 'erin'], ['XGROUP', 'DELCONSUMER', 's', 'g', 'nobody'], ['XGROUP', 'DESTROY', 's', 'g2'], ['XGROUP', 'DESTROY', 's', 'g2'],
  ['XINFO', 'GROUPS', 's'], ['XSETID', 's', '1-0'], ['XSETID', 's', '100-0'], ['XSETID', 's', '100-0', 'ENTRIESADDED', '1'], ['XSETID', 's', '100-0', 'ENTRIESADDED', '-1'], ['XSETID', 's', '100-0', 'MAXDELETEDID', '200-0'], ['XSETID', 's', '100-0', 'MAXDELETEDID', '2-0'],
  ['XSETID', 's', '2-0'], ['XSETID', 'nokey3', '1-0'], ['XSETID', 's', '+'], ['XSETID', 's', '100-0', 'FOO'], ['XINFO', 'STREAM', 's'], ['XSETID', 's', '100-0', 'ENTRIESADDED', '100'], ['XINFO', 'GROUPS', 's'],
  ['XINFO', 'STREAM', 's', 'FULL'],
];

/** entries-read / lag bookkeeping across XDEL, XTRIM, SETID (Redis 7.0 counters). */
const COUNTERS: Arg[][] = [
  ['XADD', 's', '1-0', 'a', '1'], ['XADD', 's', '5-0', 'a', '1'], ['XDEL', 's', '5-0'], ['XSETID', 's', '3-0'], ['XDEL', 's', '1-0'], ['XSETID', 's', '3-0'], ['XSETID', 's', '6-0', 'MAXDELETEDID', '5-0', 'ENTRIESADDED', '1'], ['XSETID', 's', '6-0', 'ENTRIESADDED', '0'], ['XINFO', 'STREAM', 's'], ['EXISTS', 's'],
  ['XADD', 'e', '1-0', 'a', '1'], ['XADD', 'e', '2-0', 'a', '1'], ['XADD', 'e', '3-0', 'a', '1'], ['XADD', 'e', '4-0', 'a', '1'], ['XGROUP', 'CREATE', 'e', 'g1', '0'], ['XGROUP', 'CREATE', 'e', 'g2', '2-0'], ['XDEL', 'e', '3-0'], ['XINFO', 'GROUPS', 'e'],
  ['XREADGROUP', 'GROUP', 'g1', 'c', 'COUNT', '1', 'STREAMS', 'e', '>'], ['XINFO', 'GROUPS', 'e'], ['XREADGROUP', 'GROUP', 'g2', 'c', 'COUNT', '1', 'STREAMS', 'e', '>'], ['XINFO', 'GROUPS', 'e'], ['XREADGROUP', 'GROUP', 'g2', 'c', 'STREAMS', 'e', '>'], ['XINFO', 'GROUPS', 'e'],
  ['XADD', 'e', '5-0', 'a', '1'], ['XINFO', 'GROUPS', 'e'], ['XREADGROUP', 'GROUP', 'g1', 'c', 'STREAMS', 'e', '>'], ['XINFO', 'GROUPS', 'e'], ['XTRIM', 'e', 'MAXLEN', '1'], ['XINFO', 'GROUPS', 'e'], ['XINFO', 'STREAM', 'e'],
  ['XGROUP', 'CREATE', 'e', 'g3', '0'], ['XINFO', 'GROUPS', 'e'], ['XGROUP', 'SETID', 'e', 'g3', '1-0'], ['XINFO', 'GROUPS', 'e'], ['XGROUP', 'SETID', 'e', 'g3', '$'], ['XINFO', 'GROUPS', 'e'], ['XREADGROUP', 'GROUP', 'g3', 'c', 'STREAMS', 'e', '>'],
  ['XADD', 'e', '6-0', 'a', '1'], ['XADD', 'e', '7-0', 'a', '1'], ['XDEL', 'e', '5-0'], ['XINFO', 'STREAM', 'e'], ['XINFO', 'GROUPS', 'e'], ['XREADGROUP', 'GROUP', 'g3', 'c', 'STREAMS', 'e', '>'], ['XINFO', 'GROUPS', 'e'],
  ['XREADGROUP', 'GROUP', 'g3', 'c', 'NOACK', 'STREAMS', 'e', '0'], ['XADD', 'e', '8-0', 'a', '1'], ['XREADGROUP', 'GROUP', 'g3', 'c', 'NOACK', 'STREAMS', 'e', '>'], ['XPENDING', 'e', 'g3'], ['XINFO', 'STREAM', 'e', 'FULL', 'COUNT', '0'],
];

const TIMED = new Set(['XPENDING', 'XINFO', 'XCLAIM', 'XAUTOCLAIM']);

async function runScript(d: Differential, cmds: Arg[][]): Promise<void> {
  for (const cmd of cmds) {
    const name = String(cmd[0]).toUpperCase();
    const timed = TIMED.has(name) && (name !== 'XPENDING' || cmd.length > 3) && !(name === 'XINFO' && String(cmd[1]).toUpperCase() === 'GROUPS');
    if (timed) await checkTimeless(d, cmd);
    else await d.check(cmd);
  }
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('streams', engine, { flushEach: false });

  t.before.each(async (ctx) => {
    await ctx.c.send('FLUSHALL');
    await ctx.c.send('CONFIG', 'SET', 'stream-node-max-entries', '100', 'stream-node-max-bytes', '4096');
    if (ctx.d) {
      await ctx.d.reference.send('FLUSHALL');
      await ctx.d.reference.send('CONFIG', 'SET', 'stream-node-max-entries', '100', 'stream-node-max-bytes', '4096');
      await ctx.d.redust.send('HELLO', '2');
      await ctx.d.reference.send('HELLO', '2');
    }
  });

  diffTest(t, 'XADD/XRANGE/XDEL/XTRIM/XINFO STREAM and every error match Redis (RESP2)', async ({ d }) => {
    await runScript(d, BASIC);
  });

  // Found by the differential fuzzer (its tracking invalidations): Redust's XSETID signalled the
  // key as modified; Redis 7.0's does not, so a WATCH on the stream survives it.
  diffTest(t, 'XSETID does not invalidate a WATCH', async ({ d }) => {
    await d.all([['XADD', 'ws', '1-0', 'f', 'v'], ['WATCH', 'ws'], ['XSETID', 'ws', '5-0'], ['MULTI'], ['XLEN', 'ws'], ['EXEC'], ['XINFO', 'STREAM', 'ws']]);
  });

  // XSETID may move the last ID below a deleted entry's ID (only live entries bound it): later
  // entries then follow tombstones of higher IDs in the same node, or start a node that sorts
  // before the last one (found by test/differential-fuzz.test.ts).
  diffTest(t, 'after XSETID below a deleted entry: XRANGE, XDEL, XTRIM and node order as Redis', async ({ d }) => {
    const M = '18446744073709551615-18446744073709551615';
    await runScript(d, [
      ['XADD', 'r1', '1-2', 'f', '42'], ['XADD', 'r1', M, 'f', '1'], ['XDEL', 'r1', M], ['XTRIM', 'r1', 'MINID', '=', '2-0'], ['XSETID', 'r1', '1-1'],
      ['XADD', 'r1', '4-0', 'f', 'x'], ['XRANGE', 'r1', '5-0', '+'], ['XRANGE', 'r1', '+', M], ['XREVRANGE', 'r1', '+', '4-1'], ['XRANGE', 'r1', '-', '+'], ['XLEN', 'r1'],
      ['XADD', 'r2', '3', 'f', '0'], ['XADD', 'r2', M, 'f', '1'], ['XDEL', 'r2', M], ['XSETID', 'r2', '3'], ['XADD', 'r2', M, 'f', '2'], ['XDEL', 'r2', M], ['XLEN', 'r2'],
      ['XADD', 'r3', 'MAXLEN', '5', '4-0', 'f', '1'], ['XDEL', 'r3', '4-0'], ['XSETID', 'r3', '1'], ['XADD', 'r3', '2-0', 'f', '2'], ['XADD', 'r3', '4-0', 'f', '3'],
      ['XDEL', 'r3', '4-0'], ['XTRIM', 'r3', 'MINID', '3'], ['XSETID', 'r3', '1'], ['XADD', 'r3', '1-1', 'f', '4'], ['XDEL', 'r3', '1-1', '2-1'], ['XRANGE', 'r3', '-', '+'],
      ['CONFIG', 'SET', 'stream-node-max-entries', '2'],
      ['XADD', 'r4', '1-2', 'f', '1'], ['XADD', 'r4', '5-5', 'f', '2'], ['XDEL', 'r4', '5-5'], ['XSETID', 'r4', M], ['XTRIM', 'r4', 'MINID', '3'], ['XSETID', 'r4', '0-0'],
      ['XADD', 'r4', '1-2', 'f', '3'], ['XTRIM', 'r4', 'MINID', '~', '3'], ['XLEN', 'r4'],
      ['XADD', 'r5', '1-2', 'f', '1'], ['XADD', 'r5', '5-5', 'f', '2'], ['XDEL', 'r5', '5-5'], ['XSETID', 'r5', '4-0'], ['XADD', 'r5', '5-5', 'f', '3'], ['XTRIM', 'r5', 'MINID', '3'],
      ['XDEL', 'r5', '5-5'], ['XSETID', 'r5', '0-1'], ['XADD', 'r5', '1', 'f', '4'], ['XTRIM', 'r5', 'MINID', '=', '2-0'], ['XRANGE', 'r5', '-', '+'],
      ['CONFIG', 'SET', 'stream-node-max-entries', '100'],
    ]);
  });

  diffTest(t, 'the same script in RESP3', async ({ d }) => {
    await d.check(['HELLO', '3'], { typeOnly: true });
    await runScript(d, BASIC);
  });

  diffTest(t, 'consumer groups: XGROUP, XREADGROUP, XPENDING, XACK, XCLAIM, XAUTOCLAIM, XINFO, XSETID (RESP2 and RESP3)', async ({ d }) => {
    await runScript(d, GROUPS);
    await d.check(['FLUSHALL']);
    await d.check(['HELLO', '3'], { typeOnly: true });
    await runScript(d, GROUPS);
  });

  diffTest(t, 'entries-read, lag, max-deleted-entry-id, recorded-first-entry-id follow Redis 7.0', async ({ d }) => {
    await runScript(d, COUNTERS);
  });

  diffTest(t, 'node layout: radix-tree-keys/nodes, approximate trimming and LIMIT match Redis exactly', async ({ d }) => {
    const script = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'streams-nodes-script.json'), 'utf8')) as Arg[][];
    // An auto ID ('*') comes from each server's clock: compare its reply type, not its value.
    for (const cmd of script) await d.check(cmd, { typeOnly: cmd[0] === 'XADD' && cmd.includes('*') });
  });

  diffTest(t, 'nodes past their first entries (typed storage) and IDs past 2^53 in a full node match Redis', async ({ d }) => {
    const cmds: Arg[][] = [];
    // 60 entries in one node (small IDs, then IDs past 2^53 arriving after the node grew), mixed
    // same-fields and other-fields entries, deletions, then reads, DUMP/RESTORE, COPY and trims.
    for (let i = 1; i <= 30; i++) cmds.push(['XADD', 's', `${i}-1`, 'a', String(i), 'b', i % 3 === 0 ? 'x'.repeat(i) : 'y']);
    for (let i = 0; i < 30; i++) cmds.push(i % 4 === 0 ? ['XADD', 's', `9007199254741${String(i).padStart(3, '0')}-${i}`, 'other', `v${i}`] : ['XADD', 's', `9007199254741${String(i).padStart(3, '0')}-${i}`, 'a', '', 'b', `é${i}`]);
    cmds.push(['XDEL', 's', '5-1', '9007199254741004-4', '31-1']);
    cmds.push(['XRANGE', 's', '-', '+'], ['XREVRANGE', 's', '+', '-', 'COUNT', '7'], ['XRANGE', 's', '20', '9007199254741010'], ['XLEN', 's']);
    cmds.push(['DUMP', 's'], ['COPY', 's', 's2'], ['XRANGE', 's2', '-', '+', 'COUNT', '40'], ['XTRIM', 's2', 'MAXLEN', '10'], ['XRANGE', 's2', '-', '+']);
    for (let i = 1; i <= 40; i++) cmds.push(['XADD', 'big', `${i * 1000}-0`, 'f', String(i)]);
    cmds.push(['XADD', 'big', '9007199254740993-7', 'f', 'past 2^53'], ['XRANGE', 'big', '39000', '+'], ['XINFO', 'STREAM', 'big']);
    for (const cmd of cmds) await d.check(cmd);
  });

  t('XADD with auto IDs is monotonic and XREAD $ / + behave', async ({ c }) => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await c.send('XADD', 'auto', '*', 'i', String(i));
      assert.is(r.t, 'bulk');
      ids.push((r as { v: Buffer }).v.toString());
    }
    for (let i = 1; i < ids.length; i++) {
      const [am, as] = ids[i - 1].split('-').map(BigInt);
      const [bm, bs] = ids[i].split('-').map(BigInt);
      assert.ok(bm > am || (bm === am && bs > as), `${ids[i]} > ${ids[i - 1]}`);
    }
    assert.equal(await c.send('XREAD', 'STREAMS', 'auto', '$'), R.nilArray);
    // "+" for XREAD arrived in Redis 7.4; 7.0 rejects it as an invalid ID.
    assert.equal(await c.send('XREAD', 'STREAMS', 'auto', '+'), R.err('ERR Invalid stream ID specified as stream command argument'));
    assert.is(renderNode(await c.send('XREAD', 'COUNT', '1', 'STREAMS', 'auto', ids[ids.length - 2])), `[["auto", [["${ids[ids.length - 1]}", ["i", "49"]]]]]`);
  });

  t('XREAD BLOCK: several clients wake on XADD from another client, in arrival order', async ({ srv }) => {
    const readers = await Promise.all([0, 1, 2].map(() => RawConnection.connect(srv.port)));
    const w = await RawConnection.connect(srv.port);
    await w.send('XADD', 'bs', '1-0', 'a', '1');
    const pending = readers.map((r) => r.send('XREAD', 'BLOCK', '0', 'STREAMS', 'bs', 'other', '$', '0'));
    await new Promise((res) => setTimeout(res, 50));
    for (const r of readers) assert.not.ok(await r.hasReplyWithin(10));
    assert.equal(await w.send('XADD', 'bs', '2-0', 'b', '2'), R.bulk('2-0'));
    const replies = await Promise.all(pending);
    for (const rep of replies) assert.is(renderNode(rep), '[["bs", [["2-0", ["b", "2"]]]]]');
    // Timeout: RESP2 null array, RESP3 null.
    const t0 = Date.now();
    assert.equal(await readers[0].send('XREAD', 'BLOCK', '100', 'STREAMS', 'bs', '$'), R.nilArray);
    assert.ok(Date.now() - t0 >= 90);
    await readers[1].send('HELLO', '3');
    assert.equal(await readers[1].send('XREAD', 'BLOCK', '50', 'STREAMS', 'bs', '$'), R.null);
    // RESP3 reply is a map.
    const p = readers[1].send('XREAD', 'BLOCK', '0', 'COUNT', '5', 'STREAMS', 'bs', '$');
    await new Promise((res) => setTimeout(res, 30));
    await w.send('XADD', 'bs', '3-0', 'c', '3');
    assert.is(renderNode(await p), '%{"bs": [["3-0", ["c", "3"]]]}');
    for (const r of [...readers, w]) r.close();
  });

  t('XREADGROUP BLOCK: consumers share new entries, one each, FIFO', async ({ srv }) => {
    const cons = await Promise.all([0, 1, 2].map(() => RawConnection.connect(srv.port)));
    const w = await RawConnection.connect(srv.port);
    await w.send('XGROUP', 'CREATE', 'q', 'g', '$', 'MKSTREAM');
    const pending = cons.map((c, i) => c.send('XREADGROUP', 'GROUP', 'g', `c${i}`, 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 'q', '>'));
    await new Promise((res) => setTimeout(res, 50));
    // Three entries in one MULTI: all waiters are served once EXEC completes.
    await w.send('MULTI');
    for (let i = 1; i <= 3; i++) await w.send('XADD', 'q', `${i}-0`, 'n', String(i));
    await w.send('EXEC');
    const replies = await Promise.all(pending);
    assert.equal(replies.map(renderNode), [0, 1, 2].map((i) => `[["q", [["${i + 1}-0", ["n", "${i + 1}"]]]]]`));
    const summary = renderNode(await w.send('XPENDING', 'q', 'g'));
    assert.is(summary, '[:3, "1-0", "3-0", [["c0", "1"], ["c1", "1"], ["c2", "1"]]]');
    // A blocked group reader gets NOGROUP when the group is destroyed.
    const p = cons[0].send('XREADGROUP', 'GROUP', 'g', 'c0', 'BLOCK', '0', 'STREAMS', 'q', '>');
    await new Promise((res) => setTimeout(res, 30));
    await w.send('XGROUP', 'DESTROY', 'q', 'g');
    assert.equal(await p, R.err('NOGROUP the consumer group this client was blocked on no longer exists'));
    for (const c of [...cons, w]) c.close();
  });

  t('blocking reads inside MULTI act as non-blocking', async ({ c }) => {
    await c.send('XGROUP', 'CREATE', 'm', 'g', '$', 'MKSTREAM');
    await c.send('MULTI');
    await c.send('XREAD', 'BLOCK', '0', 'STREAMS', 'm', '$');
    await c.send('XREADGROUP', 'GROUP', 'g', 'x', 'BLOCK', '0', 'STREAMS', 'm', '>');
    assert.equal(await c.send('EXEC'), R.arr(R.nilArray, R.nilArray));
  });

  t('big streams: range reads and trimming stay correct', async ({ c }) => {
    const n = 3000;
    const pipeline: Buffer[] = [];
    for (let i = 1; i <= n; i++) pipeline.push(Buffer.from(`*5\r\n$4\r\nXADD\r\n$3\r\nbig\r\n$${String(i).length}\r\n${i}\r\n$1\r\nf\r\n$${String(i * 7).length}\r\n${i * 7}\r\n`));
    c.write(Buffer.concat(pipeline));
    for (let i = 0; i < n; i++) await c.next();
    assert.equal(await c.send('XLEN', 'big'), R.int(n));
    const r = await c.send('XRANGE', 'big', '1500', '(1503-0');
    assert.is(renderNode(r), '[["1500-0", ["f", "10500"]], ["1501-0", ["f", "10507"]], ["1502-0", ["f", "10514"]]]');
    const rr = await c.send('XREVRANGE', 'big', '+', '-', 'COUNT', '2');
    assert.is(renderNode(rr), `[["${n}-0", ["f", "${n * 7}"]], ["${n - 1}-0", ["f", "${(n - 1) * 7}"]]]`);
    const trimmed = await c.send('XTRIM', 'big', 'MAXLEN', '~', '1000');
    assert.is(trimmed.t, 'int');
    const len = Number((await c.send('XLEN', 'big') as { v: bigint }).v);
    assert.ok(len >= 1000 && len < 1100, `len ${len}`);
    assert.equal(await c.send('XTRIM', 'big', 'MINID', '2990'), R.int(len - 11));
    assert.equal(await c.send('XLEN', 'big'), R.int(11));
  });

  // signalDeletedKeyAsReady / scanDatabaseForDeletedStreams: a client blocked in XREADGROUP is
  // answered when its stream is deleted or replaced (UNBLOCKED) or its group is gone (NOGROUP);
  // XREAD keeps waiting. Every case runs on both servers and the transcripts must be equal.
  if (haveRedisServer()) {
    t('blocked XREADGROUP when the stream is deleted, replaced, flushed, or loses its group', async ({ srv, ref }) => {
      const cases: [string, Arg[][], boolean?][] = [
        ['DEL', [['DEL', 's']]],
        ['UNLINK', [['UNLINK', 's']]],
        ['SET', [['SET', 's', 'x']]],
        ['MULTI SET', [['MULTI'], ['SET', 's', 'x'], ['EXEC']]],
        ['MULTI DEL XADD', [['MULTI'], ['DEL', 's'], ['XADD', 's', '5-0', 'f', 'v'], ['EXEC']]],
        ['FLUSHALL', [['FLUSHALL']]],
        ['FLUSHALL ASYNC', [['FLUSHALL', 'ASYNC']]],
        ['FLUSHDB', [['FLUSHDB']]],
        ['XGROUP DESTROY', [['XGROUP', 'DESTROY', 's', 'g']]],
        ['RENAME string onto', [['SET', 'o', 'x'], ['RENAME', 'o', 's']]],
        ['RENAME stream onto', [['XADD', 'o', '5-0', 'f', 'v'], ['RENAME', 'o', 's']]],
        ['RENAME away', [['RENAME', 's', 'o']]],
        ['MOVE', [['MOVE', 's', '1']]],
        ['SWAPDB', [['SWAPDB', '0', '1']]],
        ['COPY onto', [['SET', 'o', 'x'], ['COPY', 'o', 's', 'REPLACE']]],
        ['EVAL DEL', [['EVAL', "redis.call('del', 's') return 1", '0']]],
        ['expiry', [['PEXPIRE', 's', '1']]],
        ['XREAD, DEL', [['DEL', 's']], true],
        ['XREAD, SET', [['SET', 's', 'x']], true],
      ];
      const run = async (port: number): Promise<string[]> => {
        const log: string[] = [];
        for (const [label, actions, xread] of cases) {
          const a = await RawConnection.connect(port);
          const b = await RawConnection.connect(port);
          try {
            await a.send('FLUSHALL');
            await a.send('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
            b.write(encodeCommand(xread ? ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'] : ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>']));
            await new Promise((res) => setTimeout(res, 30));
            const out: string[] = [];
            for (const cmd of actions) out.push(renderNode(await a.send(...cmd)));
            let got: string;
            try {
              got = renderNode(await b.next(label === 'expiry' ? 1000 : 300));
            } catch {
              got = '(still blocked)';
            }
            log.push(`${label}: ${out.join(' ')} -> ${got}`);
          } finally {
            a.close();
            b.close();
          }
        }
        return log;
      };
      const ours = await run(srv.port);
      assert.ok(ours[0].endsWith('-UNBLOCKED the stream key no longer exists'), ours[0]);
      assert.equal(ours, await run(ref!.port));
    });
  }

  t.run();
}
