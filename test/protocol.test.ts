/**
 * The RESP layer: inline commands, frames split at any byte, deep pipelines, big values, and
 * malformed input. Protocol errors are compared byte for byte with real Redis, including that
 * the connection is closed and that the server keeps serving everyone else.
 */
import net from 'net';
import * as assert from 'uvu/assert';
import { serverPairSuite } from './helpers/suite';
import { enginesUnderTest, startRedust } from './helpers/servers';
import { encodeCommand, RawConnection, R } from './helpers/raw';


/** Send bytes, collect everything the server sends until it closes or goes quiet. */
function exchange(port: number, bytes: Buffer | string, quietMs = 300): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks).latin1Slice(), closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(false), quietMs);
    };
    s.on('connect', () => {
      s.write(bytes);
      arm();
    });
    s.on('data', (d) => {
      chunks.push(d);
      arm();
    });
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

const MALFORMED: [string, string | Buffer][] = [
  ['non-numeric multibulk count', '*abc\r\n'],
  ['multibulk count with plus sign', '*+1\r\n$4\r\nPING\r\n'],
  ['multibulk count over INT_MAX', '*3000000000\r\n'],
  ['expected $ got +', '*1\r\n+PING\r\n'],
  ['expected $ got a letter', '*2\r\n$4\r\nECHO\r\nhello\r\n'],
  ['negative bulk length', '*1\r\n$-1\r\n'],
  ['bulk length over proto-max-bulk-len', '*1\r\n$536870913\r\n'],
  ['bulk length with leading zero', '*1\r\n$04\r\nPING\r\n'],
  ['unbalanced double quotes inline', 'SET a "b\r\n'],
  ['unbalanced single quotes inline', "SET a 'b\r\n"],
  ['closing quote followed by a char', 'SET a "b"c\r\n'],
  ['mbulk count line too long', Buffer.concat([Buffer.from('*'), Buffer.alloc(70 * 1024, '1')])],
  ['bulk count line too long', Buffer.concat([Buffer.from('*1\r\n$'), Buffer.alloc(70 * 1024, '1')])],
  ['inline request too long', Buffer.alloc(70 * 1024, 'a')],
];

const WELL_FORMED: [string, string][] = [
  ['inline PING', 'PING\r\n'],
  ['inline with LF only', 'PING\n'],
  ['inline with quotes and escapes', 'ECHO "a\\x41\\n\\tb"\r\nECHO \'it\\\'s\'\r\n'],
  ['empty inline lines are skipped', '\r\n\r\nPING\r\n'],
  ['*0 and *-1 are no-ops', '*0\r\n*-1\r\nPING\r\n'],
  ['unknown command', '*2\r\n$3\r\nFOO\r\n$3\r\nbar\r\n'],
  ['unknown command with newline in arg', '*2\r\n$3\r\nFOO\r\n$3\r\nb\nr\r\n'],
  ['arity error', '*1\r\n$3\r\nGET\r\n'],
  ['unknown subcommand', '*2\r\n$6\r\nCONFIG\r\n$4\r\nNOPE\r\n'],
  ['container without subcommand', '*1\r\n$6\r\nCONFIG\r\n'],
  ['case-insensitive command names', '*1\r\n$4\r\nPiNg\r\n'],
  ['long unknown command args are cut at 128 bytes', `*3\r\n$3\r\nFOO\r\n$100\r\n${'x'.repeat(100)}\r\n$100\r\n${'y'.repeat(100)}\r\n`],
];

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('protocol', engine);

  for (const [name, bytes] of MALFORMED) {
    t(`malformed: ${name} -> same error bytes as Redis, connection closed`, async ({ srv, ref }) => {
      const ours = await exchange(srv.port, bytes);
      assert.ok(ours.closed, 'Redust must close the connection after a protocol error');
      assert.match(ours.data, /^-ERR Protocol error: /);
      if (ref) {
        const theirs = await exchange(ref.port, bytes);
        assert.is(ours.data, theirs.data);
        assert.is(ours.closed, theirs.closed);
      }
    });
  }

  for (const [name, bytes] of WELL_FORMED) {
    t(`well-formed: ${name} -> same bytes as Redis`, async ({ srv, ref }) => {
      const ours = await exchange(srv.port, bytes);
      assert.not.ok(ours.closed);
      assert.ok(ours.data.length > 0);
      if (ref) assert.is(ours.data, (await exchange(ref.port, bytes)).data);
    });
  }

  t('a protocol error on one connection does not affect others', async ({ srv }) => {
    const good = await RawConnection.connect(srv.port);
    await good.send('SET', 'survivor', 'yes');
    await exchange(srv.port, '*1\r\n$-5\r\n');
    assert.equal(await good.send('GET', 'survivor'), R.bulk('yes'));
    good.close();
  });

  t('frames split at every byte boundary', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    const bytes = Buffer.concat([encodeCommand(['SET', 'split', 'a\r\nb']), encodeCommand(['GET', 'split']), Buffer.from('PING\r\n')]);
    for (const b of bytes) {
      c.write(Buffer.from([b]));
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await c.next(), R.ok);
    assert.equal(await c.next(), R.bulk('a\r\nb'));
    assert.equal(await c.next(), R.simple('PONG'));
    c.close();
  });

  t("the 'data' event read path (fallback of socket-reader.ts) parses split and pipelined input alike", async ({ srv }) => {
    process.env.REDUST_STREAM_READS = '1';
    let c: RawConnection;
    try {
      c = await RawConnection.connect(srv.port);
      await c.send('PING'); // accepted and switched to reading while the variable is set
    } finally {
      delete process.env.REDUST_STREAM_READS;
    }
    const bytes = Buffer.concat([encodeCommand(['SET', 'split2', 'x\r\ny']), encodeCommand(['GET', 'split2'])]);
    for (let i = 0; i < bytes.length; i += 3) {
      c.write(bytes.subarray(i, i + 3));
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(await c.next(), R.ok);
    assert.equal(await c.next(), R.bulk('x\r\ny'));
    const parts: Buffer[] = [];
    for (let i = 0; i < 500; i++) parts.push(encodeCommand(['INCR', 'pipe2']));
    c.write(Buffer.concat(parts));
    for (let i = 1; i <= 500; i++) assert.equal(await c.next(), R.int(i));
    c.close();
  });

  t('pipelined batches that switch databases and hold binary keys (the engine prefetch hint)', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    const key = (i: number) => Buffer.from([0, 0xff, i & 0xff, 13, 10, (i >> 8) & 0xff]);
    const parts: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 50 === 0) parts.push(encodeCommand(['SELECT', String((i / 50) % 3)]));
      parts.push(encodeCommand(['SET', key(i), `v${i}`]));
    }
    c.write(Buffer.concat(parts));
    for (let i = 0; i < 306; i++) assert.equal(await c.next(), R.ok);
    const gets: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      if (i % 50 === 0) gets.push(encodeCommand(['SELECT', String((i / 50) % 3)]));
      gets.push(encodeCommand(['GET', key(i)]));
    }
    c.write(Buffer.concat(gets));
    for (let i = 0; i < 300; i++) {
      if (i % 50 === 0) assert.equal(await c.next(), R.ok);
      assert.equal(await c.next(), R.bulk(`v${i}`));
    }
    c.close();
  });

  t('deep pipeline: 20k commands in one write, replies in order', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    const n = 20_000;
    const parts: Buffer[] = [];
    for (let i = 0; i < n; i++) parts.push(encodeCommand(['INCR', 'pipe']));
    c.write(Buffer.concat(parts));
    for (let i = 1; i <= n; i++) {
      const r = await c.next();
      if (r.t !== 'int' || r.v !== BigInt(i)) assert.unreachable(`reply ${i} was ${JSON.stringify(r)}`);
    }
    c.close();
  });

  t('large values (8 MB) survive SET/GET across many TCP chunks', async ({ srv }) => {
    const c = await RawConnection.connect(srv.port);
    const big = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    assert.equal(await c.send('SET', 'big', big), R.ok);
    const r = await c.send('GET', 'big');
    assert.is(r.t, 'bulk');
    assert.ok(r.t === 'bulk' && r.v.equals(big));
    c.close();
  });

  t('unauthenticated clients are limited like Redis', async () => {
    const srv = await startRedust(engine, { password: 'secret' });
    const bigCount = await exchange(srv.port, '*11\r\n');
    assert.is(bigCount.data, '-ERR Protocol error: unauthenticated multibulk length\r\n');
    const bigBulk = await exchange(srv.port, '*1\r\n$16385\r\n');
    assert.is(bigBulk.data, '-ERR Protocol error: unauthenticated bulk length\r\n');
    const noauth = await exchange(srv.port, 'GET x\r\n');
    assert.is(noauth.data, '-NOAUTH Authentication required.\r\n');
    await srv.close();
  });

  t.run();
}
