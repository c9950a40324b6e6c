/**
 * Connection commands: PING/ECHO/HELLO/AUTH/SELECT/QUIT/RESET, CLIENT, DEBUG, MULTI/EXEC/WATCH —
 * differential where Redis's reply is deterministic. CONFIG, COMMAND, INFO and SLOWLOG are in
 * server.test.ts.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { Differential } from './helpers/diff';
import { RawConnection, R, text, encodeCommand } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
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

  // CLIENT REPLY as Redis's prepareClientToWrite: push data (subscribe confirmations and
  // messages) still arrives under OFF/SKIP, a rejected command's error is dropped too, and the ON
  // right after a SKIP is answered. Byte transcripts compared with Redis.
  if (HAVE_REF) {
    t('CLIENT REPLY OFF/SKIP/ON with pub/sub (RESP2 and RESP3) as Redis', async ({ srv, ref }) => {
      const drain = async (c: RawConnection, ms = 150): Promise<string> => {
        const out: string[] = [];
        for (;;) {
          try {
            out.push(renderNode(await c.next(ms)));
          } catch {
            return out.join(' ');
          }
        }
      };
      const run = async (port: number): Promise<string[]> => {
        const log: string[] = [];
        for (const proto of ['2', '3']) {
          const a = await RawConnection.connect(port);
          const p = await RawConnection.connect(port);
          await a.send('HELLO', proto);
          a.write(encodeCommand(['CLIENT', 'REPLY', 'OFF']));
          a.write(encodeCommand(['SUBSCRIBE', 'ch']));
          a.write(encodeCommand(['PSUBSCRIBE', 'c*']));
          await new Promise((r) => setTimeout(r, 50));
          await p.send('PUBLISH', 'ch', 'hello');
          log.push(`RESP${proto} OFF, SUBSCRIBE, message: ${await drain(a)}`);
          a.write(encodeCommand(['CLIENT', 'REPLY', 'ON']));
          log.push(`RESP${proto} ON: ${await drain(a)}`);
          a.write(encodeCommand(['PUBLISH', 'ch', 'self']));
          a.write(encodeCommand(['UNSUBSCRIBE']));
          log.push(`RESP${proto} self publish: ${await drain(a)}`);
          a.close();
          p.close();
        }
        const b = await RawConnection.connect(port);
        const script: string[][][] = [
          [['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'ON'], ['PING']],
          [['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'OFF'], ['PING'], ['CLIENT', 'REPLY', 'ON']],
          [['CLIENT', 'REPLY', 'SKIP'], ['CLIENT', 'REPLY', 'SKIP'], ['PING', 'a'], ['PING', 'b']],
          [['CLIENT', 'REPLY', 'SKIP'], ['NOSUCHCOMMAND'], ['PING', 'after-rejected']],
          [['CLIENT', 'REPLY', 'OFF'], ['MULTI'], ['SET', 'k', 'v'], ['EXEC'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'k']],
          [['CLIENT', 'REPLY', 'SKIP'], ['SUBSCRIBE', 'y'], ['PING']],
        ];
        for (const cmds of script) {
          if (cmds[1][0] === 'SUBSCRIBE') await b.send('HELLO', '3');
          for (const cmd of cmds) b.write(encodeCommand(cmd));
          log.push(`${cmds.map((x) => x.join(' ')).join(', ')}: ${await drain(b)}`);
        }
        b.close();
        return log;
      };
      const ours = await run(srv.port);
      assert.equal(ours, await run(ref!.port));
    });
  }

  // getKeysFromCommandWithSpecs: key specs first, the command's own getkeys function when a spec
  // cannot answer (SORT's STORE, bad key counts), and an empty array for no_mandatory_keys
  // commands (EVAL/FCALL with 0 keys). Every movable-keys command Redust has, compared with Redis.
  if (HAVE_REF) {
    t('COMMAND GETKEYS / GETKEYSANDFLAGS for movable-keys commands as Redis', async ({ d }) => {
      const calls: string[][] = [
        ['SORT', 'abc', 'STORE', 'def'], ['SORT', 'abc', 'BY', 'x', 'GET', 'y', 'STORE', 'def'], ['SORT', 'abc'], ['SORT', 'abc', 'store'],
        ['SORT', 'abc', 'LIMIT', '0', '1', 'STORE', 'def'], ['SORT', 'abc', 'STORE', 'd1', 'STORE', 'd2'], ['SORT', 'abc', 'LIMIT', '0', 'store', 'x'],
        ['SORT', 'abc', 'GET', 'store', 'x'], ['SORT_RO', 'abc', 'BY', 'x'], ['SORT_RO', 'abc', 'STORE', 'def'],
        ['EVAL', 'return 1', '0'], ['EVAL', 'return 1', '2', 'a', 'b'], ['EVAL', 'return 1', '3', 'a', 'b'], ['EVAL', 'return 1', '-1'],
        ['EVAL', 'return 1', '2abc', 'a', 'b'], ['EVAL', 'return 1', ' 2', 'a', 'b'], ['EVAL', 'return 1', 'x'],
        ['EVAL_RO', 'return 1', '1', 'a'], ['EVALSHA', 'abc', '1', 'k'], ['EVALSHA_RO', 'abc', '0'], ['EVALSHA', 'abc', '0'],
        ['FCALL', 'f', '0'], ['FCALL', 'f', '2', 'a', 'b'], ['FCALL_RO', 'f', '1', 'a'], ['FCALL_RO', 'f', '0'], ['FCALL', 'f', '5', 'a'],
        ['XREAD', 'STREAMS', 'a', 'b', '0', '0'], ['XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 'a', '0'], ['XREAD', 'STREAMS', 'a', 'b', '0'],
        ['XREAD', 'STREAMS', 'STREAMS', 'a', 'b'], ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'a', 'b', '>', '>'],
        ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 'a', '>'],
        ['ZUNIONSTORE', 'd', '2', 'a', 'b'], ['ZUNIONSTORE', 'd', '3', 'a', 'b'], ['ZUNIONSTORE', 'd', '2abc', 'a', 'b'], ['ZINTERSTORE', 'd', '1', 'a', 'WEIGHTS', '1'],
        ['ZDIFFSTORE', 'd', '2', 'a', 'b'], ['ZUNION', '2', 'a', 'b'], ['ZINTER', '2', 'a', 'b'], ['ZINTER', '3', 'a', 'b'], ['ZDIFF', '2', 'a', 'b'],
        ['ZINTERCARD', '2', 'a', 'b'], ['SINTERCARD', '2', 'a', 'b'], ['SINTERCARD', '0', 'a'], ['LMPOP', '2', 'a', 'b', 'LEFT'], ['LMPOP', '2x', 'a', 'b', 'LEFT'],
        ['BLMPOP', '0', '2', 'a', 'b', 'LEFT'], ['ZMPOP', '2', 'a', 'b', 'MIN'], ['BZMPOP', '0', '2', 'a', 'b', 'MIN'], ['BZMPOP', '0', '9', 'a', 'b', 'MIN'],
        ['OBJECT', 'ENCODING', 'k'], ['MEMORY', 'USAGE', 'k'], ['XINFO', 'STREAM', 'k'], ['LCS', 'a', 'b'], ['BLPOP', 'a', 'b', '0'], ['RENAME', 'a', 'b'],
        // VARIABLE_FLAGS specs: the flags come from setGetKeys and bitfieldGetKeys
        ['SET', 'k', 'v'], ['SET', 'k', 'v', 'GET'], ['SET', 'k', 'v', 'EX', '10', 'get'], ['SET', 'k', 'get'], ['BITFIELD', 'k', 'GET', 'u8', '0'],
        ['BITFIELD', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'], ['BITFIELD', 'k', 'INCRBY', 'u8', '0', '1'], ['BITFIELD', 'k', 'GET', 'u8'], ['BITFIELD', 'k'],
      ];
      for (const call of calls) {
        await d!.check(['COMMAND', 'GETKEYS', ...call]);
        await d!.check(['COMMAND', 'GETKEYSANDFLAGS', ...call]);
      }
    });
  }

  // Query-buffer accounting (CLIENT INFO/LIST qbuf, qbuf-free, argv-mem) as Redis 7.0: the running
  // command's read is still in the query buffer, a partly received command keeps its parsed
  // arguments in argv-mem and the rest in qbuf. (tot-mem, rbs, rbp differ: docs/compatibility.md.)
  if (HAVE_REF) {
    t('CLIENT INFO/LIST qbuf, qbuf-free and argv-mem as Redis', async ({ srv, ref }) => {
      const fields = (s: string) => ['qbuf', 'qbuf-free', 'argv-mem'].map((f) => new RegExp(`(?:^| )${f}=\\d+`).exec(s)?.[0].trim()).join(' ');
      const run = async (port: number): Promise<string[]> => {
        const a = await RawConnection.connect(port);
        const b = await RawConnection.connect(port);
        try {
          const out: string[] = [];
          out.push('self: ' + fields(text(await a.send('CLIENT', 'INFO'))));
          const id = /id=(\d+)/.exec(text(await b.send('CLIENT', 'INFO')))![1];
          out.push('idle: ' + fields(text(await a.send('CLIENT', 'LIST', 'ID', id))));
          b.write('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc');
          await new Promise((r) => setTimeout(r, 50));
          out.push('partial: ' + fields(text(await a.send('CLIENT', 'LIST', 'ID', id))));
          // (A query buffer grown past its first 20474 bytes is not compared: Redis's free space
          // then depends on how its reads arrived.)
          return out;
        } finally {
          a.close();
          b.close();
        }
      };
      const ours = await run(srv.port);
      assert.is(ours[0], 'self: qbuf=26 qbuf-free=20448 argv-mem=10');
      assert.equal(ours, await run(ref!.port));
    });
  }

  t.run();
}
