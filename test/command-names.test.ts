/**
 * Command names as sent: the request parser resolves a known name from its bytes (the
 * dispatcher's name cache) and hands the cached Buffer as argv[0]. Whatever prints or stores
 * argv[0] must still see the name exactly as this client sent it, in any mix of case, when the
 * same name arrives in other spellings in between, pipelined in one read or split across reads:
 * MONITOR, SLOWLOG GET, the AOF and command errors, compared with real Redis 7.0.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { RawConnection, encodeCommand, text } from './helpers/raw';
import { incrCommands, startAofPair, stopAofPair } from './helpers/aof-pair';
import { renderNode } from '../src/protocol/resp-reader';
import type { RespNode } from '../src/protocol/resp-reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Each name twice so the second meets the cache; spellings of one command alternate. */
const SCRIPT: string[][] = [
  ['lPuSh', 'l', 'a'],
  ['LPUSH', 'l', 'b'],
  ['lpush', 'l', 'c'],
  ['lPuSh', 'l', 'd'],
  ['LPUSH', 'l', 'e'],
  ['Hset', 'h', 'f', 'v'],
  ['hSET', 'h', 'g', 'v'],
  ['Hset', 'h', 'f', 'w'],
  ['incr', 'n'],
  ['INCR', 'n'],
  ['iNcR', 'n'],
  ['iNcR', 'n'],
  ['sAdd', 's', 'm'],
  ['sAdd', 's', 'n'],
  ['LpUsH'],
  ['LpUsH', 'l'],
  ['mUlTi'],
  ['lPuSh', 'l', 'x'],
  ['iNcR', 'n'],
  ['ExEc'],
  ['pInG'],
  ['pInG'],
  ['eChO', 'the-end'],
];

/** The script pipelined in one write, then again one command at a time with the name split across writes. */
async function runScript(c: RawConnection): Promise<string[]> {
  const replies: string[] = [];
  const all = Buffer.concat(SCRIPT.map((a) => encodeCommand(a)));
  c.write(all);
  for (let i = 0; i < SCRIPT.length; i++) replies.push(renderNode(await c.next()));
  for (const a of SCRIPT) {
    const b = encodeCommand(a);
    // Split inside the name ("*n\r\n$k\r\nlP" | "uSh\r\n...").
    const cut = b.indexOf('\n', b.indexOf('\n') + 1) + 3;
    c.write(b.subarray(0, cut));
    await sleep(2);
    c.write(b.subarray(cut));
    replies.push(renderNode(await c.next()));
  }
  return replies;
}

/** MONITOR lines of the script (timestamp and address masked). */
async function monitorLines(port: number): Promise<{ replies: string[]; lines: string[] }> {
  const mon = await RawConnection.connect(port);
  const cl = await RawConnection.connect(port);
  assert.equal(await mon.send('MONITOR'), { t: 'simple', v: 'OK' });
  const replies = await runScript(cl);
  const lines: string[] = [];
  let ends = 0;
  while (ends < 2) {
    const n = await mon.next();
    const s = n.t === 'simple' ? n.v : renderNode(n);
    const m = /^\d+\.\d{6} \[(\d+) [^\]]+\] (.*)$/.exec(s);
    const line = m ? `[${m[1]}] ${m[2]}` : s;
    lines.push(line);
    if (line.endsWith('"eChO" "the-end"')) ends++;
  }
  mon.close();
  cl.close();
  return { replies, lines };
}

/** SLOWLOG GET's argument lists, everything else masked. */
function slowlogArgs(n: RespNode): string[] {
  const entries = (n as { t: 'array'; v: RespNode[] }).v;
  return entries.map((e) => renderNode((e as { v: RespNode[] }).v[3]));
}


for (const engine of enginesUnderTest()) {
  const t = differentialSuite('command-names', engine);

  diffTest(t, 'MONITOR shows each command name as sent (mixed case, pipelined and split)', async ({ srv, ref }) => {
    const a = await monitorLines(srv.port);
    const b = await monitorLines(ref.port);
    assert.equal(a.replies, b.replies);
    assert.equal(a.lines, b.lines);
    assert.ok(a.lines.includes('[0] "iNcR" "n"'));
    assert.ok(a.lines.includes('[0] "LPUSH" "l" "e"'));
  });

  diffTest(t, 'SLOWLOG GET keeps each command name as sent', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const c = await RawConnection.connect(port);
      await c.send('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await c.send('CONFIG', 'SET', 'slowlog-max-len', '1000');
      await c.send('SLOWLOG', 'RESET');
      const replies = await runScript(c);
      const log = slowlogArgs(await c.send('SLOWLOG', 'GET', '-1'));
      await c.send('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
      c.close();
      return { replies, log };
    };
    const a = await run(srv.port);
    const b = await run(ref.port);
    assert.equal(a.replies, b.replies);
    assert.equal(a.log, b.log);
    assert.ok(a.log.some((l) => l.includes('"lPuSh"')));
  });

  diffTest(t, 'the AOF holds each command name as sent', async () => {
    const pair = await startAofPair(engine);
    try {
      const run = async (port: number) => {
        const c = await RawConnection.connect(port);
        const replies = await runScript(c);
        await c.send('SET', 'done', '1');
        c.close();
        return replies;
      };
      assert.equal(await run(pair.srv.port), await run(pair.ref.port));
      const wait = async (dir: string) => {
        for (let i = 0; i < 200; i++) {
          const cmds = incrCommands(dir).map((a) => a.join(' '));
          if (cmds.length > 0 && cmds[cmds.length - 1] === 'SET done 1') return cmds;
          await sleep(10);
        }
        return incrCommands(dir).map((a) => a.join(' '));
      };
      const mine = await wait(pair.mine);
      const theirs = await wait(pair.theirs);
      assert.equal(mine, theirs);
      assert.ok(mine.includes('iNcR n'));
    } finally {
      await stopAofPair(pair);
    }
  });

  t('a name cached in one spelling does not answer for another, nor for a prefix or an extension', async ({ c }) => {
    for (let i = 0; i < 3; i++) {
      assert.equal(await c.send('PiNg'), { t: 'simple', v: 'PONG' });
      assert.match(text(await c.send('PIN')), /^ERR unknown command 'PIN'/);
      assert.match(text(await c.send('PiNgX')), /^ERR unknown command 'PiNgX'/);
      assert.match(text(await c.send('pInG', 'a', 'b')), /^ERR wrong number of arguments for 'ping' command/);
    }
  });
  t.run();
}
