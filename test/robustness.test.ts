/**
 * Bad input never crashes or hangs the server: random invocations of every implemented command
 * with random arguments (no handler may fail with an internal error), and random bytes on raw
 * connections. After each batch the server must still answer and keep earlier data intact.
 */
import net from 'net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { enginesUnderTest, startRedust } from './helpers/servers';
import { RawConnection, R, Arg } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import { rng } from './helpers/rng';

const OPS = Number(process.env.REDUST_ROBUST_OPS ?? 4000);

/** Commands that would end the session, block it, or run for seconds (PFSELFTEST): not fuzzed here (tested elsewhere). */
const SKIP = /^(shutdown|debug|pfselftest|quit|reset|monitor|subscribe|psubscribe|ssubscribe|unsubscribe|punsubscribe|sunsubscribe|sync|psync|replicaof|slaveof|wait|blpop|brpop|blmove|brpoplpush|blmpop|bzpopmin|bzpopmax|bzmpop|xread|xreadgroup|client\|kill|client\|pause|client\|reply|function\|kill|script\|kill|multi|exec|hello|auth|select|swapdb|flushall|flushdb|config\|set|config\|resetstat)$/;

const ATOMS: Arg[] = ['', '0', '1', '-1', '2', '10', '-100', '9223372036854775807', '-9223372036854775808', '99999999999999999999', '1.5', 'inf', '-inf', 'nan', '(1', '[a', '-', '+', '*', '$', '>', 'k1', 'k2', 'k3', 'f', 'v', 'NX', 'XX', 'GT', 'LT', 'CH', 'INCR', 'EX', 'PX', 'KEEPTTL', 'GET', 'COUNT', 'MATCH', 'TYPE', 'LIMIT', 'WITHSCORES', 'BYSCORE', 'BYLEX', 'REV', 'STORE', 'BY', 'ALPHA', 'LEFT', 'RIGHT', 'BEFORE', 'AFTER', 'MAXLEN', 'MINID', '~', '=', 'GROUP', 'g', 'STREAMS', 'ID', 'IDLE', 'FORCE', 'JUSTID', 'WEIGHTS', 'AGGREGATE', 'SUM', 'REPLACE', 'DB', 'return 1', "return redis.call('get', KEYS[1])", Buffer.from([0, 255, 13, 10]), 'x'.repeat(300)];

for (const engine of enginesUnderTest()) {
  const t = suite(`robustness [${engine}]`);

  t('random invocations of every command: no internal errors, server keeps serving', async () => {
    const srv = await startRedust(engine);
    const c = await RawConnection.connect(srv.port);
    try {
      const list = await c.send('COMMAND', 'LIST');
      assert.is(list.t, 'array');
      const names = (list as { v: { v: Buffer }[] }).v.map((n) => n.v.latin1Slice()).filter((n) => !SKIP.test(n) && !SKIP.test(n.split('|')[0]));
      await c.send('SET', 'canary', 'alive');
      const r = rng(42);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
      for (let i = 0; i < OPS; i++) {
        const name = pick(names);
        const args: Arg[] = name.includes('|') ? name.split('|') : [name];
        const n = Math.floor(r() * 7);
        for (let j = 0; j < n; j++) args.push(pick(ATOMS));
        const reply = await c.send(...args);
        if (reply.t === 'error' && /internal error/.test(reply.v)) {
          assert.unreachable(`${args.map(String).join(' ')} -> ${renderNode(reply)}`);
        }
        // A script or MULTI state left behind must not derail later commands.
        if (i % 500 === 499) assert.equal(await c.send('PING'), R.simple('PONG'));
      }
      assert.equal(await c.send('GET', 'canary'), R.bulk('alive'));
    } finally {
      c.close();
      await srv.close();
    }
  });

  t('random bytes on many connections: errors or silence, never a crash or a hang', async () => {
    const srv = await startRedust(engine);
    try {
      const r = rng(7);
      const prefixes = ['*', '$', '*1\r\n$', '*2\r\n$3\r\nGET\r\n$', '*-', '*9999999999\r\n', 'GET "', '\r\n', ''];
      await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const s = net.connect(srv.port, '127.0.0.1');
          s.on('error', () => undefined);
          await new Promise<void>((res) => s.once('connect', () => res()));
          const len = Math.floor(r() * 2000);
          const bytes = Buffer.alloc(len);
          for (let k = 0; k < len; k++) bytes[k] = Math.floor(r() * 256);
          s.write(Buffer.concat([Buffer.from(prefixes[i % prefixes.length]), bytes]));
          await new Promise((res) => setTimeout(res, 20));
          s.destroy();
        }),
      );
      const c = await RawConnection.connect(srv.port);
      assert.equal(await c.send('SET', 'after', 'ok'), R.ok);
      assert.equal(await c.send('GET', 'after'), R.bulk('ok'));
      c.close();
    } finally {
      await srv.close();
    }
  });

  t.run();
}
