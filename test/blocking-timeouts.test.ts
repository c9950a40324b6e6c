/**
 * Every blocking command gets the same timeouts, alone, inside MULTI and from Lua, on Redust and
 * on real Redis 7.0: the replies must match, and a command that blocks on one server must block
 * on the other (it is then released with CLIENT UNBLOCK and its final reply compared too).
 * Redis parses every timeout with one function (getTimeoutFromObjectOrReply); so must Redust.
 */
import * as assert from 'uvu/assert';
import { serverPairSuite } from './helpers/suite';
import { enginesUnderTest, haveRedisServer } from './helpers/servers';
import { Arg, RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import { encodeCommand } from './helpers/raw';

const TIMEOUTS = ['5e-324', '0.0001', '0', '-1', '1e300', '9.3e15', 'abc', '-0.0001', '0.5e-3', ''];

/** Each blocking command with its keys missing (so it would block), as a function of the timeout. */
const COMMANDS: { name: string; argv: (t: string) => Arg[] }[] = [
  { name: 'BLPOP', argv: (t) => ['BLPOP', 'bt:l1', 'bt:l2', t] },
  { name: 'BRPOP', argv: (t) => ['BRPOP', 'bt:l1', t] },
  { name: 'BLMOVE', argv: (t) => ['BLMOVE', 'bt:l1', 'bt:l2', 'LEFT', 'RIGHT', t] },
  { name: 'BRPOPLPUSH', argv: (t) => ['BRPOPLPUSH', 'bt:l1', 'bt:l2', t] },
  { name: 'BLMPOP', argv: (t) => ['BLMPOP', t, '2', 'bt:l1', 'bt:l2', 'LEFT'] },
  { name: 'BZPOPMIN', argv: (t) => ['BZPOPMIN', 'bt:z1', t] },
  { name: 'BZPOPMAX', argv: (t) => ['BZPOPMAX', 'bt:z1', 'bt:z2', t] },
  { name: 'BZMPOP', argv: (t) => ['BZMPOP', t, '1', 'bt:z1', 'MIN'] },
  { name: 'XREAD', argv: (t) => ['XREAD', 'BLOCK', t, 'STREAMS', 'bt:s1', '$'] },
  { name: 'XREADGROUP', argv: (t) => ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', t, 'STREAMS', 'bt:s2', '>'] },
];

/** What one server does with a command: its reply, or "blocked" then the reply CLIENT UNBLOCK gets. */
async function observe(port: number, argv: Arg[], stream: string): Promise<string> {
  const c = await RawConnection.connect(port);
  const ctl = await RawConnection.connect(port);
  try {
    await c.send('XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM');
    const id = String(((await c.send('CLIENT', 'ID')) as { v: bigint }).v);
    c.write(encodeCommand(argv));
    // 0.0001 s and 5e-324 s are 1 ms: a reply within 300 ms means "did not block for long".
    if (await c.hasReplyWithin(300)) return renderNode(await c.next());
    const unblocked = renderNode(await ctl.send('CLIENT', 'UNBLOCK', id));
    return `blocked; CLIENT UNBLOCK => ${unblocked}; reply ${renderNode(await c.next())}`;
  } finally {
    await ctl.send('DEL', stream);
    c.close();
    ctl.close();
  }
}

/** The same command inside MULTI/EXEC and from a Lua script (where blocking is not allowed). */
async function nested(port: number, argv: Arg[], stream: string): Promise<string> {
  const c = await RawConnection.connect(port);
  try {
    await c.send('XGROUP', 'CREATE', stream, 'g', '$', 'MKSTREAM');
    const out: string[] = [];
    out.push(renderNode(await c.send('MULTI')));
    out.push(renderNode(await c.send(...argv)));
    out.push(renderNode(await c.send('EXEC')));
    const lua = 'return redis.pcall(' + argv.map((_, i) => `ARGV[${i + 1}]`).join(',') + ')';
    out.push(renderNode(await c.send('EVAL', lua, '0', ...argv)));
    await c.send('DEL', stream);
    return out.join(' | ');
  } finally {
    c.close();
  }
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = serverPairSuite('blocking timeouts', engine);
    for (const cmd of COMMANDS) {
      t(`${cmd.name}: every timeout alone, in MULTI and from Lua, as Redis`, async ({ srv, ref }) => {
        // Each timeout runs concurrently on keys of its own (bt<i>:...).
        const work = TIMEOUTS.map(async (to, i) => {
          const argv = cmd.argv(to).map((a) => (typeof a === 'string' ? a.replace(/^bt:/, `bt${i}:`) : a));
          const stream = `bt${i}:s2`;
          const [mine, theirs] = await Promise.all([observe(srv.port, argv, stream), observe(ref!.port, argv, stream)]);
          assert.is(mine, theirs, `${argv.join(' ')} (alone)`);
          const [mineN, theirsN] = [await nested(srv.port, argv, stream), await nested(ref!.port, argv, stream)];
          assert.is(mineN, theirsN, `${argv.join(' ')} (MULTI, Lua)`);
        });
        await Promise.all(work);
      });
    }
    t.run();
  }
} else {
  console.log('blocking-timeouts: redis-server not installed, differential tests skipped');
}
