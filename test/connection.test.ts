/**
 * Connection commands: PING/ECHO/HELLO/AUTH/SELECT/QUIT/RESET, CLIENT, DEBUG, MULTI/EXEC/WATCH —
 * differential where Redis's reply is deterministic. CONFIG, COMMAND, INFO and SLOWLOG are in
 * server.test.ts.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { Differential } from './helpers/diff';
import { RawConnection, R, text } from './helpers/raw';
import type { RespNode } from '../src/protocol/resp-reader';

const HAVE_REF = haveRedisServer();


for (const engine of enginesUnderTest()) {
  const t = differentialSuite('connection', engine);

  diffTest(t, 'PING, ECHO, SELECT, HELLO errors, AUTH without password', async ({ d }) => {
    await d.all([
      ['PING'],
      ['PING', 'hi'],
      ['PING', 'a', 'b'],
      ['ECHO', Buffer.from([0, 1, 2, 255])],
      ['ECHO'],
      ['SELECT', '15'],
      ['SELECT', '0'],
      ['HELLO', '4'],
      ['HELLO', 'abc'],
      ['HELLO', '2', 'FOO'],
      ['HELLO', '2', 'AUTH', 'default'],
      ['HELLO', '2', 'SETNAME', 'bad name'],
      ['AUTH', 'pass'],
      ['AUTH', 'default', 'pass'],
      ['AUTH', 'nouser', 'pass'],
      ['AUTH', 'a', 'b', 'c'],
    ]);
  });

  t('HELLO 3 switches to RESP3 and reports Redis 7.0', async ({ c }) => {
    const r = await c.send('HELLO', '3');
    assert.is(r.t, 'map');
    if (r.t !== 'map') return;
    const m = new Map<string, RespNode>();
    for (let i = 0; i < r.v.length; i += 2) m.set(text(r.v[i]), r.v[i + 1]);
    assert.equal(m.get('server'), R.bulk('redis'));
    assert.match(text(m.get('version')!), /^7\.0\.\d+$/);
    assert.equal(m.get('proto'), R.int(3));
    assert.equal(await c.send('GET', 'missing'), R.null);
    await c.send('HELLO', '2');
    assert.equal(await c.send('GET', 'missing'), R.nil);
  });

  t('CLIENT SETNAME/GETNAME/ID/INFO/LIST/KILL/REPLY', async ({ srv, c, d }) => {
    if (d) {
      await d.all([
        ['CLIENT', 'GETNAME'],
        ['CLIENT', 'SETNAME', 'bad name'],
        ['CLIENT', 'SETNAME', 'good-name'],
        ['CLIENT', 'GETNAME'],
        ['CLIENT', 'SETNAME', ''],
        ['CLIENT', 'GETNAME'],
        ['CLIENT', 'KILL', '1.2.3.4:5'],
        ['CLIENT', 'KILL', 'ID', 'abc'],
        ['CLIENT', 'KILL', 'TYPE', 'bogus'],
        ['CLIENT', 'KILL', 'ID', '999999'],
        ['CLIENT', 'LIST', 'TYPE', 'bogus'],
        ['CLIENT', 'NO-EVICT', 'maybe'],
        ['CLIENT', 'NO-EVICT', 'on'],
        ['CLIENT', 'UNBLOCK', '999999'],
        ['CLIENT', 'UNBLOCK', 'abc'],
        ['CLIENT', 'BOGUS'],
      ]);
    }
    const other = await RawConnection.connect(srv.port);
    await other.send('CLIENT', 'SETNAME', 'victim');
    const id = (await other.send('CLIENT', 'ID')) as { v: bigint };
    const list = text(await c.send('CLIENT', 'LIST'));
    assert.match(list, new RegExp(`id=${id.v} addr=127\\.0\\.0\\.1:\\d+ laddr=127\\.0\\.0\\.1:${srv.port} fd=\\d+ name=victim age=\\d+ idle=\\d+ flags=N db=0 `));
    assert.match(text(await c.send('CLIENT', 'INFO')), /cmd=client\|info user=default/);
    assert.equal(await c.send('CLIENT', 'KILL', 'ID', String(id.v)), R.int(1));
    assert.ok(await other.waitClosed(), 'killed client is disconnected');
    // REPLY OFF suppresses replies until ON; SKIP suppresses exactly one.
    c.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n');
    c.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n');
    assert.equal(await c.next(), R.ok);
    c.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n');
    assert.equal(await c.next(), R.bulk('c'));
  });

  t('QUIT replies OK and closes; RESET restores the connection state', async ({ srv }) => {
    const q = await RawConnection.connect(srv.port);
    assert.equal(await q.send('QUIT'), R.ok);
    assert.ok(await q.waitClosed());
    const r = await RawConnection.connect(srv.port);
    await r.send('SELECT', '3');
    await r.send('CLIENT', 'SETNAME', 'n');
    await r.send('HELLO', '3');
    assert.equal(await r.send('RESET'), R.simple('RESET'));
    assert.equal(await r.send('CLIENT', 'GETNAME'), R.nil);
    await r.send('SET', 'indb0', 'x');
    assert.equal(await r.send('DBSIZE'), R.int(1));
    r.close();
  });

  t('requirepass: NOAUTH, AUTH, HELLO AUTH, WRONGPASS — same as Redis', async () => {
    const ours = await startRedust(engine, { password: 'sekret' });
    const ref = HAVE_REF ? await startReference(['--requirepass', 'sekret']) : null;
    const c = await RawConnection.connect(ours.port);
    assert.equal(await c.send('GET', 'x'), R.err('NOAUTH Authentication required.'));
    if (ref) {
      const d = await Differential.connect(ours.port, ref.port);
      await d.all([
        ['GET', 'x'],
        ['PING'],
        ['HELLO', '3'],
        ['AUTH', 'wrong'],
        ['AUTH', 'default', 'wrong'],
        ['HELLO', '2', 'AUTH', 'default', 'wrong'],
        ['AUTH', 'sekret'],
        ['GET', 'x'],
      ]);
      await d.check(['HELLO', '2', 'AUTH', 'default', 'sekret'], { typeOnly: true });
      d.close();
      await ref.stop();
    }
    c.close();
    await ours.close();
  });

  diffTest(t, 'MULTI/EXEC/DISCARD/WATCH semantics match Redis', async ({ d, srv }) => {
    await d.all([
      ['MULTI'],
      ['SET', 'a', '1'],
      ['INCR', 'a'],
      ['GET', 'a'],
      ['EXEC'],
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['MULTI'],
      ['WATCH', 'a'],
      ['SET', 'a', '5'],
      ['GET'],
      ['EXEC'],
      ['MULTI'],
      ['SET', 'a', 'x'],
      ['INCR', 'a'],
      ['GET', 'a'],
      ['EXEC'],
      ['MULTI'],
      ['SET', 'a', '9'],
      ['DISCARD'],
      ['GET', 'a'],
    ]);
    // WATCH invalidated by another client's write.
    const other = await RawConnection.connect(srv.port);
    const me = d.redust;
    await me.send('WATCH', 'w');
    await other.send('SET', 'w', 'changed');
    await me.send('MULTI');
    await me.send('SET', 'w', 'mine');
    assert.equal(await me.send('EXEC'), R.nilArray);
    assert.equal(await me.send('GET', 'w'), R.bulk('changed'));
    // ...and by expiry of the watched key.
    await me.send('SET', 'e', 'v', 'PX', '100');
    await me.send('WATCH', 'e');
    srv.advanceTime(200);
    await me.send('MULTI');
    await me.send('SET', 'e', 'new');
    assert.equal(await me.send('EXEC'), R.nilArray);
    // ...and by FLUSHALL.
    await me.send('SET', 'f', 'v');
    await me.send('WATCH', 'f');
    await other.send('FLUSHALL');
    await me.send('MULTI');
    await me.send('PING');
    assert.equal(await me.send('EXEC'), R.nilArray);
    other.close();
  });

  t.run();
}
