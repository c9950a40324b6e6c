/**
 * MONITOR: the same commands sent to Redust and real Redis 7.0, the monitor lines compared after
 * masking the timestamp and the client's port (checked separately against CLIENT INFO).
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, RawConnection, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

/** Run `cmds` on a fresh connection while a monitor watches; returns the masked monitor lines and raw replies. */
async function monitored(port: number, cmds: Arg[][], monitorCmds: Arg[][] = []): Promise<{ lines: string[]; replies: string[] }> {
  const mon = await RawConnection.connect(port);
  const cl = await RawConnection.connect(port);
  const info = text(await cl.send('CLIENT', 'INFO'));
  const addr = /addr=(\S+)/.exec(info)![1];
  const monInfo = text(await mon.send('CLIENT', 'INFO'));
  const monAddr = /addr=(\S+)/.exec(monInfo)![1];
  assert.equal(await mon.send('MONITOR'), { t: 'simple', v: 'OK' });
  const replies: string[] = [];
  for (const c of cmds) replies.push(renderNode(await cl.send(...c)).replace(/"id", :\d+/, '"id", :ID'));
  for (const c of monitorCmds) {
    mon.write(Buffer.from(c.map(String).join(' ') + '\r\n'));
  }
  await cl.send('ECHO', 'the-end');
  const lines: string[] = [];
  for (;;) {
    const n = await mon.next();
    const s = n.t === 'simple' ? n.v : renderNode(n);
    const m = /^(\d+)\.(\d{6}) \[(\d+) ([^\]]+)\] (.*)$/.exec(s);
    if (m) {
      const who = m[4] === addr ? 'CLIENT' : m[4] === monAddr ? 'MONITOR' : m[4];
      assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 10, 'timestamp is the wall clock');
      lines.push(`[${m[3]} ${who}] ${m[5]}`);
      if (m[5] === '"ECHO" "the-end"') break;
    } else lines.push(s);
  }
  mon.close();
  cl.close();
  return { lines, replies };
}

const SCRIPT: Arg[][] = [
  ['SET', 'a', '1'],
  ['EVAL', "redis.call('set',KEYS[1],ARGV[1]); return redis.pcall('incr','x')", '1', 'foo', 'bar'],
  ['EVAL', 'return 1', 'notanumber'],
  ['AUTH', 'foo'],
  ['AUTH', 'a', 'b', 'c'],
  ['HELLO', '2', 'AUTH', 'default', 'secret', 'SETNAME', 'me'],
  ['HELLO', '9', 'AUTH', 'default', 'secret'],
  ['HELLO', '2', 'SETNAME', 'x', 'AUTH', 'u'],
  ['MULTI'],
  ['SET', 'k', 'v'],
  ['NOSUCHCOMMAND'],
  ['EXEC'],
  ['MULTI'],
  ['SET', 'k', '2'],
  ['INCR', 'k'],
  ['EXEC'],
  ['SELECT', '3'],
  ['SET', 'q', '1'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['CLIENT', 'NO-EVICT', 'off'],
  ['CLIENT', 'GETNAME'],
  ['DEBUG', 'SLEEP', '0'],
  ['BLPOP', 'l', '0.01'],
  ['GET'],
  ['INCRBY', 'x', '12345678901'],
  ['SET', Buffer.from('a b\x00\xff"\\\t\x07\x08\r', 'latin1'), '\n'],
  ['SELECT', '0'],
  ['FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function(k,a) return redis.call('get', k[1]) end)"],
  ['FCALL', 'f', '1', 'a'],
  ['FCALL_RO', 'f', '1', 'a'],
  ['FUNCTION', 'DELETE', 'lib'],
  ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
  ['SET', 'x', '1', 'XX', 'GET'],
];

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('monitor', engine);

  diffTest(t, 'monitor lines: db, address, Lua, MULTI, redaction, escaping, admin commands hidden', async ({ srv, ref }) => {
    const a = await monitored(srv.port, SCRIPT);
    const b = await monitored(ref.port, SCRIPT);
    assert.equal(a.replies, b.replies);
    assert.equal(a.lines, b.lines);
    assert.ok(a.lines.includes('[0 lua] "set" "foo" "bar"'));
  });

  diffTest(t, 'the monitoring client: its own commands, keyspace refused, MONITOR twice, RESET', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const mon = await RawConnection.connect(port);
      const out: string[] = [];
      out.push(renderNode(await mon.send('MONITOR')));
      out.push(renderNode(await mon.send('PING')));
      out.push(renderNode(await mon.next()).replace(/\d+\.\d{6} \[0 [^\]]+\]/, 'T'));
      out.push(renderNode(await mon.send('GET', 'a')));
      mon.write('*1\r\n$7\r\nMONITOR\r\n');
      const info = text(await mon.send('CLIENT', 'INFO'));
      out.push(/flags=(\S+)/.exec(info)![1]);
      out.push(renderNode(await mon.next()).replace(/\d+\.\d{6} \[0 [^\]]+\]/, 'T'));
      out.push(renderNode(await mon.send('RESET')));
      out.push(renderNode(await mon.send('PING')));
      out.push(String(await mon.hasReplyWithin(100)));
      const other = await RawConnection.connect(port);
      out.push(renderNode(await other.send('MULTI')));
      out.push(renderNode(await other.send('MONITOR')));
      out.push(renderNode(await other.send('EXEC')));
      out.push(renderNode(await other.send('EVAL', "return redis.call('monitor')", '0')).replace(/script: \w+/, 'script'));
      mon.close();
      other.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });

  t('monitor client leaves the list when it disconnects; RESP3 monitor lines', async ({ srv }) => {
    const mon = await RawConnection.connect(srv.port);
    await mon.send('HELLO', '3');
    await mon.send('MONITOR');
    const cl = await RawConnection.connect(srv.port);
    await cl.send('SET', 'k', 'v');
    const n = await mon.next();
    assert.is(n.t, 'simple');
    mon.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await cl.send('SET', 'k', 'w'), { t: 'simple', v: 'OK' });
    cl.close();
  });
  t.run();
}
