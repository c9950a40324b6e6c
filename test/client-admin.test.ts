/**
 * CLIENT KILL filters and CLIENT LIST / INFO fields, compared with real Redis 7.0 by running the
 * same scenario on both servers.
 */
import * as assert from 'uvu/assert';
import { serverPairSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, RawConnection, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function field(line: string, name: string): string {
  return new RegExp(`(?:^| )${name}=(\\S*)`).exec(line)![1];
}

async function infoOf(c: RawConnection): Promise<string> {
  return text(await c.send('CLIENT', 'INFO'));
}

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('client-admin', engine);

  diffTest(t, 'CLIENT KILL: ID, ADDR, LADDR, USER, TYPE, SKIPME, old form, errors', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const out: string[] = [];
      const self = await RawConnection.connect(port);
      const conns: RawConnection[] = [];
      for (let i = 0; i < 4; i++) conns.push(await RawConnection.connect(port));
      const [a, b, p, d] = conns;
      await p.send('SUBSCRIBE', 'ch');
      const idOf = async (c: RawConnection) => field(await infoOf(c), 'id');
      const addrOf = async (c: RawConnection) => field(await infoOf(c), 'addr');
      const laddr = field(await infoOf(self), 'laddr');
      const cmds: Arg[][] = [
        ['CLIENT', 'KILL', 'ID', await idOf(a)],
        ['CLIENT', 'KILL', 'ID', await idOf(a)],
        ['CLIENT', 'KILL', 'ADDR', await addrOf(b), 'TYPE', 'pubsub'],
        ['CLIENT', 'KILL', 'ADDR', await addrOf(b), 'TYPE', 'normal'],
        ['CLIENT', 'KILL', 'LADDR', laddr, 'TYPE', 'pubsub'],
        ['CLIENT', 'KILL', 'TYPE', 'master'],
        ['CLIENT', 'KILL', 'TYPE', 'replica'],
        ['CLIENT', 'KILL', 'TYPE', 'slave'],
        ['CLIENT', 'KILL', 'USER', 'default', 'ID', await idOf(d)],
        ['CLIENT', 'KILL', 'ID', '0'],
        ['CLIENT', 'KILL', 'ID', 'abc'],
        ['CLIENT', 'KILL', 'ID', '0', 'TYPE'],
        ['CLIENT', 'KILL', 'ID', '1', 'TYPE'],
        ['CLIENT', 'KILL', 'TYPE', 'nosuch'],
        ['CLIENT', 'KILL', 'USER', 'nobody'],
        ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
        ['CLIENT', 'KILL', 'MAXAGE', '10'],
        ['CLIENT', 'KILL', 'BOGUS', '1'],
        ['CLIENT', 'KILL', '1.2.3.4:5'],
        ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5'],
        ['CLIENT', 'KILL', 'LADDR', laddr, 'SKIPME', 'yes'],
      ];
      for (const c of cmds) out.push(renderNode(await self.send(...c)));
      await sleep(50);
      out.push(conns.map((c) => String(c.closed)).join(','));
      // SKIPME no kills the caller too (after its reply); the old form kills itself as well.
      const e = await RawConnection.connect(port);
      out.push(renderNode(await e.send('CLIENT', 'KILL', 'ID', await idOf(e), 'SKIPME', 'no')));
      out.push(String(await e.waitClosed(1000)));
      const f = await RawConnection.connect(port);
      out.push(renderNode(await f.send('CLIENT', 'KILL', await addrOf(f))));
      out.push(String(await f.waitClosed(1000)));
      out.push(renderNode(await self.send('CLIENT', 'KILL', 'USER', 'default')));
      self.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });

  diffTest(t, 'CLIENT LIST ID: the ids in the order given, repeated ones repeated, any integer accepted', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const a = await RawConnection.connect(port);
      const b = await RawConnection.connect(port);
      await a.send('CLIENT', 'SETNAME', 'first');
      await b.send('CLIENT', 'SETNAME', 'second');
      const ida = field(await infoOf(a), 'id');
      const idb = field(await infoOf(b), 'id');
      const names = async (...ids: string[]) => {
        const r = await a.send('CLIENT', 'LIST', 'ID', ...ids);
        return r.t === 'error' ? renderNode(r) : text(r).split('\n').filter(Boolean).map((l) => field(l, 'name')).join(',');
      };
      const out = [await names(idb, ida, idb), await names('0'), await names('-5', ida), await names(ida, 'abc'), await names('999999')];
      a.close();
      b.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });

  diffTest(t, 'CLIENT LIST / INFO fields: flags, multi, multi-mem, argv-mem, sub, obl/oll/omem, tot-mem, events', async ({ srv, ref }) => {
    const run = async (port: number) => {
      const out: string[] = [];
      const a = await RawConnection.connect(port);
      const l = await RawConnection.connect(port);
      await a.send('CLIENT', 'SETNAME', 'mm');
      const show = async () => {
        const line = text(await l.send('CLIENT', 'LIST')).split('\n').find((x) => x.includes('name=mm'))!;
        out.push(['flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'qbuf', 'argv-mem', 'multi-mem', 'obl', 'oll', 'omem', 'tot-mem', 'events', 'cmd', 'user', 'redir', 'resp'].map((n) => `${n}=${field(line, n)}`).join(' '));
      };
      await sleep(250); // after the first clientsCron pass has resized the reply buffer
      await show();
      await a.send('MULTI');
      await show();
      await a.send('SET', 'a', '1');
      await show();
      await a.send('SET', 'abcdef', '1234567890');
      await show();
      await a.send('EXEC');
      await show();
      await a.send('SELECT', '2');
      await a.send('SUBSCRIBE', 'ch', 'ch2');
      await a.next();
      await a.send('PSUBSCRIBE', 'p*');
      await show();
      await a.send('RESET');
      await a.send('CLIENT', 'SETNAME', 'mm');
      a.write('*3\r\n$5\r\nBLPOP\r\n$2\r\nbl\r\n$1\r\n0\r\n');
      await sleep(50);
      await show();
      await l.send('LPUSH', 'bl', 'x');
      await a.next();
      await a.send('HELLO', '3');
      await show();
      a.close();
      l.close();
      return out;
    };
    assert.equal(await run(srv.port), await run(ref.port));
  });

  t('rbs: a new client has 16 KB, shrunk to 1 KB by clientsCron when its replies stay small', async ({ srv }) => {
    const a = await RawConnection.connect(srv.port);
    assert.is(field(await infoOf(a), 'rbs'), '16384');
    await a.send('SET', 'k', 'v');
    await sleep(300);
    const info = await infoOf(a);
    assert.is(field(info, 'rbs'), '1024');
    assert.ok(Number(field(info, 'rbp')) >= 5);
    a.close();
  });
  t.run();
}
