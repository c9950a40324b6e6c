/**
 * sanitize-dump-payload: the setting (values, CONFIG GET/SET as Redis), and crafted corrupt DUMP
 * payloads with a correct CRC64 (duplicate hash fields and zset members in listpacks, unsorted or
 * duplicate intsets, listpack headers and back-lengths that lie, odd hash listpacks, a stream PEL
 * entry without a consumer) that Redis 7.0
 * rejects with "Bad data format" under `yes`: Redust rejects each with the same reply, under every
 * value (its decoders always validate deeply). A corrupt RDB file is refused at load by both.
 * Registered only when redis-server is installed.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { spawnSync } from 'child_process';
import { enginesUnderTest, freePort, haveRedisServer, startRedust, startReference } from './helpers/servers';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import { crc64, writeCrc64LE } from '../src/persistence/crc64';
import { loadRdbBuffer } from '../src/persistence/rdb';

/** A listpack of short strings (or small ints, as numbers); `count` overrides the header count. */
function listpack(entries: (string | number)[], opts: { count?: number; badBacklen?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    let enc: Buffer;
    if (typeof e === 'number') enc = Buffer.from([e & 0x7f]);
    else enc = Buffer.concat([Buffer.from([0x80 | e.length]), Buffer.from(e, 'latin1')]);
    parts.push(enc, Buffer.from([opts.badBacklen ? enc.length + 1 : enc.length]));
  }
  const body = Buffer.concat(parts);
  const out = Buffer.alloc(6 + body.length + 1);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt16LE(opts.count ?? entries.length, 4);
  body.copy(out, 6);
  out[out.length - 1] = 0xff;
  return out;
}

function intset(values: number[]): Buffer {
  const b = Buffer.alloc(8 + values.length * 2);
  b.writeUInt32LE(2, 0);
  b.writeUInt32LE(values.length, 4);
  values.forEach((v, i) => b.writeInt16LE(v, 8 + i * 2));
  return b;
}

/** RDB string (length < 16384). */
function rdbString(b: Buffer): Buffer {
  if (b.length < 64) return Buffer.concat([Buffer.from([b.length]), b]);
  return Buffer.concat([Buffer.from([0x40 | (b.length >> 8), b.length & 0xff]), b]);
}

/** A DUMP payload: type, object, RDB version 10, CRC64. */
function payload(type: number, obj: Buffer): Buffer {
  const b = Buffer.concat([Buffer.from([type]), obj, Buffer.from([10, 0]), Buffer.alloc(8)]);
  writeCrc64LE(crc64(b, 0, b.length - 8), b, b.length - 8);
  return b;
}

const HASH_LISTPACK = 16;
const ZSET_LISTPACK = 17;
const LIST_QUICKLIST_2 = 18;
const SET_INTSET = 11;

const CORRUPT: [string, Buffer][] = [
  ['hash listpack with a duplicate field', payload(HASH_LISTPACK, rdbString(listpack(['f', 'v1', 'f', 'v2'])))],
  ['hash listpack with an odd number of entries', payload(HASH_LISTPACK, rdbString(listpack(['f', 'v1', 'g'])))],
  ['zset listpack with a duplicate member', payload(ZSET_LISTPACK, rdbString(listpack(['m', 1, 'm', 2])))],
  ['intset with a duplicate', payload(SET_INTSET, rdbString(intset([1, 2, 2])))],
  ['intset not sorted', payload(SET_INTSET, rdbString(intset([3, 1, 2])))],
  ['hash listpack whose header count lies', payload(HASH_LISTPACK, rdbString(listpack(['a', 'b', 'c', 'd'], { count: 6 })))],
  ['hash listpack with a wrong back-length', payload(HASH_LISTPACK, rdbString(listpack(['a', 'b'], { badBacklen: true })))],
  ['quicklist node listpack whose header count lies', payload(LIST_QUICKLIST_2, Buffer.concat([Buffer.from([1, 2]), rdbString(listpack(['x', 'y'], { count: 3 }))]))],
];

const GOOD = payload(HASH_LISTPACK, rdbString(listpack(['f', 'v1', 'g', 'v2'])));

/** A ziplist of short strings; `tail` overrides zltail (the last entry's offset). */
function ziplist(entries: string[], tail?: number): Buffer {
  const parts: Buffer[] = [];
  let prev = 0;
  let last = 10;
  for (const e of entries) {
    const entry = Buffer.concat([Buffer.from([prev, e.length]), Buffer.from(e, 'latin1')]);
    last = 10 + parts.reduce((n, p) => n + p.length, 0);
    parts.push(entry);
    prev = entry.length;
  }
  const body = Buffer.concat(parts);
  const out = Buffer.alloc(10 + body.length + 1);
  out.writeUInt32LE(out.length, 0);
  out.writeUInt32LE(tail ?? last, 4);
  out.writeUInt16LE(entries.length, 8);
  body.copy(out, 10);
  out[out.length - 1] = 0xff;
  return out;
}

/** A zipmap of one-byte-length fields and values; `count` overrides the header's count. */
function zipmap(pairs: [string, string][], count = pairs.length): Buffer {
  const parts: Buffer[] = [Buffer.from([count])];
  for (const [f, v] of pairs) parts.push(Buffer.from([f.length]), Buffer.from(f, 'latin1'), Buffer.from([v.length, 0]), Buffer.from(v, 'latin1'));
  parts.push(Buffer.from([0xff]));
  return Buffer.concat(parts);
}

/** A DUMP payload whose CRC64 is zero (for servers under DEBUG SET-SKIP-CHECKSUM-VALIDATION 1). */
function unchecked(type: number, obj: Buffer, version = 10): Buffer {
  const b = Buffer.concat([Buffer.from([type]), obj, Buffer.from([version, 0]), Buffer.alloc(8)]);
  return b;
}

const ZSET_1 = 3;
const HASH_ZIPMAP = 9;
const HASH_ZIPLIST = 13;

/** RDB_TYPE_ZSET's string-encoded double: its length byte, then the text. */
function stringDouble(text: string): Buffer {
  return Buffer.concat([Buffer.from([text.length]), Buffer.from(text, 'latin1')]);
}

/**
 * Payloads read the way Redis 7.0's rdbLoadObject reads them, edge by edge (sent with the CRC
 * check off): each followed by the commands that show what was stored.
 */
const EDGES: [string, Buffer, string[][]][] = [
  ['quicklist plain node of length 0', unchecked(LIST_QUICKLIST_2, Buffer.from([1, 1, 0])), [['LRANGE', 'k', '0', '-1']]],
  ['quicklist packed node of length 0', unchecked(LIST_QUICKLIST_2, Buffer.from([1, 2, 0])), [['LRANGE', 'k', '0', '-1']]],
  ['hash ziplist whose zltail is not its last entry', unchecked(HASH_ZIPLIST, rdbString(ziplist(['f', 'v', 'g', 'w'], 10))), [['HGETALL', 'k']]],
  ['hash ziplist whose zltail is its last entry', unchecked(HASH_ZIPLIST, rdbString(ziplist(['f', 'v', 'g', 'w']))), [['HGET', 'k', 'g']]],
  ['zset-v1 score with text after the number', unchecked(ZSET_1, Buffer.concat([Buffer.from([1]), rdbString(Buffer.from('m')), stringDouble('1.5abc')])), [['ZSCORE', 'k', 'm']]],
  ['zset-v1 score with leading blanks, hex and inf', unchecked(ZSET_1, Buffer.concat([Buffer.from([3]), rdbString(Buffer.from('a')), stringDouble(' 2'), rdbString(Buffer.from('b')), stringDouble('0x10p1'), rdbString(Buffer.from('c')), stringDouble('-Infinity')])), [['ZRANGE', 'k', '0', '-1', 'WITHSCORES']]],
  ['zset-v1 score starting with a NUL byte', unchecked(ZSET_1, Buffer.concat([Buffer.from([1]), rdbString(Buffer.from('m')), stringDouble('\x003')])), [['ZSCORE', 'k', 'm']]],
  ['zset-v1 score that is not a number', unchecked(ZSET_1, Buffer.concat([Buffer.from([1]), rdbString(Buffer.from('m')), stringDouble('x')])), [['ZSCORE', 'k', 'm']]],
  ['zset listpack scores with text after the number, or none', unchecked(ZSET_LISTPACK, rdbString(listpack(['b', 'abc', 'a', '2.5xyz', 'c', ' 7']))), [['ZRANGE', 'k', '0', '-1', 'WITHSCORES']]],
  ['empty zipmap', unchecked(HASH_ZIPMAP, rdbString(zipmap([]))), [['HGETALL', 'k']]],
  ['zipmap whose count lies', unchecked(HASH_ZIPMAP, rdbString(zipmap([['f', 'v']], 2))), [['HGETALL', 'k']]],
  ['zipmap with an unknown count (254)', unchecked(HASH_ZIPMAP, rdbString(zipmap([['f', 'v']], 254))), [['HGETALL', 'k']]],
  ['payload of a later RDB version', unchecked(HASH_LISTPACK, rdbString(listpack(['f', 'v'])), 11), [['HGETALL', 'k']]],
];

/** An RDB file holding `obj` (type `type`) under key "k". */
function rdbFile(type: number, obj: Buffer): Buffer {
  const b = Buffer.concat([Buffer.from('REDIS0010', 'latin1'), Buffer.from([0xfe, 0]), Buffer.from([type]), rdbString(Buffer.from('k')), obj, Buffer.from([0xff]), Buffer.alloc(8)]);
  writeCrc64LE(crc64(b, 0, b.length - 8), b, b.length - 8);
  return b;
}

if (haveRedisServer()) {
  for (const engine of enginesUnderTest()) {
    const t = suite(`sanitize-dump-payload [${engine}]`);

    t('the setting: values and errors as Redis', async () => {
      const srv = await startRedust(engine);
      const ref = await startReference();
      try {
        const a = await RawConnection.connect(srv.port);
        const b = await RawConnection.connect(ref.port);
        for (const cmd of [
          ['CONFIG', 'GET', 'sanitize-dump-payload'],
          ['CONFIG', 'SET', 'sanitize-dump-payload', 'maybe'],
          ['CONFIG', 'SET', 'sanitize-dump-payload', 'clients'],
          ['CONFIG', 'GET', 'sanitize-dump-payload'],
          ['CONFIG', 'SET', 'sanitize-dump-payload', 'YES'],
          ['CONFIG', 'GET', 'sanitize-dump-payload'],
        ]) {
          assert.is(renderNode(await a.send(...cmd)), renderNode(await b.send(...cmd)), cmd.join(' '));
        }
        a.close();
        b.close();
      } finally {
        await srv.close();
        await ref.stop();
      }
    });

    t('corrupt payloads Redis rejects under yes: the same reply, under every value; nothing stored', async () => {
      const srv = await startRedust(engine);
      const ref = await startReference(['--sanitize-dump-payload', 'yes']);
      try {
        const a = await RawConnection.connect(srv.port);
        const b = await RawConnection.connect(ref.port);
        // A stream whose PEL entry has no consumer: Redis's DUMP with the consumer's PEL emptied.
        await b.send('XADD', 'st', '1-1', 'f', 'v');
        await b.send('XGROUP', 'CREATE', 'st', 'g', '0');
        await b.send('XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 'st', '>');
        const sd = (await b.send('DUMP', 'st')) as { v: Buffer };
        await b.send('DEL', 'st');
        const body = sd.v.subarray(0, sd.v.length - 10);
        assert.is(body[body.length - 17], 1, 'the consumer PEL count precedes its one ID');
        const orphan = Buffer.concat([body.subarray(0, body.length - 17), Buffer.from([0]), Buffer.alloc(10)]);
        orphan.writeUInt16LE(10, orphan.length - 10);
        writeCrc64LE(crc64(orphan, 0, orphan.length - 8), orphan, orphan.length - 8);
        const cases: [string, Buffer][] = [...CORRUPT, ['stream PEL entry without a consumer', orphan]];
        for (const mode of ['yes', 'no', 'clients']) {
          await a.send('CONFIG', 'SET', 'sanitize-dump-payload', mode);
          for (const [what, p] of cases) {
            const mine = renderNode(await a.send('RESTORE', 'k', 0, p));
            assert.is(mine, renderNode(await b.send('RESTORE', 'k', 0, p)), `${what} (${mode})`);
            assert.match(mine, /Bad data format/);
            assert.is(renderNode(await a.send('EXISTS', 'k')), renderNode(await b.send('EXISTS', 'k')));
          }
          assert.is(renderNode(await a.send('RESTORE', 'k', 0, GOOD, 'REPLACE')), '+OK');
          assert.is(renderNode(await a.send('HGET', 'k', 'g')), '"v2"');
          await a.send('DEL', 'k');
        }
        assert.is(renderNode(await b.send('RESTORE', 'k', 0, GOOD)), '+OK');
        a.close();
        b.close();
      } finally {
        await srv.close();
        await ref.stop();
      }
    });

    t('payloads read as rdbLoadObject reads them (CRC check off): same replies, same values', async () => {
      const srv = await startRedust(engine);
      const ref = await startReference(['--enable-debug-command', 'yes']);
      try {
        const a = await RawConnection.connect(srv.port);
        const b = await RawConnection.connect(ref.port);
        const both = async (...cmd: (string | Buffer)[]) => {
          const mine = renderNode(await a.send(...cmd));
          assert.is(mine, renderNode(await b.send(...cmd)), cmd.map(String).join(' '));
          return mine;
        };
        // Without DEBUG SET-SKIP-CHECKSUM-VALIDATION a zero CRC is refused; with it, accepted.
        const good = unchecked(HASH_LISTPACK, rdbString(listpack(['f', 'v'])));
        assert.match(await both('RESTORE', 'k', '0', good), /checksum are wrong/);
        await both('DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', '1');
        assert.is(await both('RESTORE', 'k', '0', good), '+OK');
        await both('DEL', 'k');
        for (const mode of ['yes', 'no']) {
          await both('CONFIG', 'SET', 'sanitize-dump-payload', mode);
          for (const [what, p, reads] of EDGES) {
            const reply = await both('RESTORE', 'k', '0', p);
            for (const cmd of reads) await both(...cmd);
            await both('DEL', 'k');
            assert.ok(reply === '+OK' || /Bad data format|checksum are wrong/.test(reply), `${what}: ${reply}`);
          }
        }
        await both('DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', '0');
        assert.match(await both('RESTORE', 'k', '0', good), /checksum are wrong/);
        a.close();
        b.close();
      } finally {
        await srv.close();
        await ref.stop();
      }
    });

    t('an RDB file with a duplicate hash field: Redis (yes) and Redust refuse to load it', async () => {
      const file = rdbFile(HASH_LISTPACK, rdbString(listpack(['f', 'v1', 'f', 'v2'])));
      const srv = await startRedust(engine);
      try {
        let msg = "";
        try {
          loadRdbBuffer((srv as unknown as { server: Parameters<typeof loadRdbBuffer>[0] }).server, file);
        } catch (e) {
          msg = (e as Error).message;
        }
        assert.match(msg, /^Hash listpack integrity check failed\.$/, msg);
      } finally {
        await srv.close();
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redust-sanitize-'));
      try {
        fs.writeFileSync(path.join(dir, 'dump.rdb'), file);
        const port = await freePort();
        const r = spawnSync('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--sanitize-dump-payload', 'yes', '--logfile', '', '--save', ''], { encoding: 'latin1', timeout: 10000 });
        assert.ok(r.status !== 0, 'Redis refuses the file');
        assert.match(r.stdout + r.stderr, /-> Hash listpack integrity check failed\./);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    t.run();
  }
} else {
  console.log('sanitize: redis-server not installed, tests skipped');
}
