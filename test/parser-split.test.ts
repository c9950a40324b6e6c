/**
 * The request parser alone (no server, engine-independent): a pipeline of multibulk commands of
 * 1 to 9 arguments (small, empty and large bulks, mixed-case names, some in the name cache) fed
 * whole, at every split point, and in random chunks, gives the same commands: the same argument
 * bytes and argv[0] as sent. The resolved value is the cache's for a cached name (null for the
 * others) when the command came in one piece; a command split across reads may come unresolved
 * (null: the dispatcher looks the name up), never resolved to anything else.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RequestParser } from '../src/protocol/parser';
import type { RequestHandler } from '../src/protocol/parser';
import { NameCache } from '../src/protocol/name-cache';

function enc(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

const COMMANDS: (string | Buffer)[][] = [
  ['PING'],
  ['pInG', 'hello'],
  ['LPUSH', 'list', 'a'],
  ['lpush', 'list', 'b', 'c'],
  ['LpUsH', 'list', '', 'd', 'e'],
  ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'],
  ['hset', 'h', 'f1', 'v1', 'f2', 'v2', 'f3', 'v3'],
  ['BITFIELD', 'bf', 'INCRBY', 'u8', '#3', '1', 'GET', 'u4', '0'],
  ['MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5'],
  ['NOSUCH', 'x'],
  ['SET', 'k', Buffer.alloc(20000, 0x61)],
  ['set', 'big', Buffer.alloc(40000, 0x62), 'EX', '100'],
  ['HSET', 'hb', 'f1', Buffer.alloc(40000, 0x63), 'f2', 'v2', 'f3', 'v3'],
  ['INCR', 'counter'],
  ['A-NAME-LONGER-THAN-SIXTEEN', '1'],
  ['GETBIT', 'key', '7'],
  ['ECHO', 'x\r\ny'],
];
const STREAM = Buffer.concat(COMMANDS.map(enc));

/** Cached spellings (exact bytes): the others are not in the cache. */
const CACHED = ['PING', 'lpush', 'LPUSH', 'hset', 'SET', 'INCR'];

interface Parsed {
  argv: string[];
  resolved: unknown;
}

/** `got` is `expected`, except that a resolved value may be null. */
function sameCommands(got: Parsed[], msg: string): void {
  assert.equal(got.map((p) => p.argv), expected.map((p) => p.argv), msg);
  for (let i = 0; i < got.length; i++) {
    if (got[i].resolved !== null) assert.is(got[i].resolved, expected[i].resolved, `${msg}: command ${i}`);
  }
}

function run(chunks: Buffer[]): Parsed[] {
  const names = new NameCache<string>();
  for (const n of CACHED) names.put(Buffer.from(n), `cmd:${n}`);
  const p = new RequestParser({ maxBulkLen: 512 * 1024 * 1024, authRequired: () => false });
  p.names = names;
  const out: Parsed[] = [];
  const h: RequestHandler = {
    command(argv: Buffer[], resolved: unknown) {
      // Copies: the views are valid only during the call.
      out.push({ argv: argv.map((a) => a.toString('latin1')), resolved });
    },
    proceed: () => true,
  };
  for (const c of chunks) p.feed(c, h);
  return out;
}

const expected: Parsed[] = COMMANDS.map((args) => {
  const name = typeof args[0] === 'string' ? args[0] : args[0].toString('latin1');
  return {
    argv: args.map((a) => (typeof a === 'string' ? a : a.toString('latin1'))),
    resolved: CACHED.includes(name) ? `cmd:${name}` : null,
  };
});

const t = suite('parser-split');

t('whole stream: every command, argv[0] as sent, the cache value for cached names only', () => {
  assert.equal(run([STREAM]), expected);
});

t('split at every byte boundary into two chunks', () => {
  // (Splits inside the big bulks are sampled: every 97th byte there.)
  for (let i = 1; i < STREAM.length; i += i < 200 || STREAM.length - i < 200 ? 1 : 97) {
    sameCommands(run([STREAM.subarray(0, i), STREAM.subarray(i)]), `split at ${i}`);
  }
});

t('random chunkings, including one-byte chunks', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const chunks: Buffer[] = [];
    let pos = 0;
    const max = round % 4 === 0 ? 3 : round % 4 === 1 ? 40 : 5000;
    while (pos < STREAM.length) {
      const n = 1 + rnd(max);
      chunks.push(STREAM.subarray(pos, pos + n));
      pos += n;
    }
    sameCommands(run(chunks), `round ${round}`);
  }
});

t('a cached name arrives as the cached Buffer; an uncached spelling as its own bytes', () => {
  const names = new NameCache<string>();
  names.put(Buffer.from('GET'), 'get');
  const p = new RequestParser({ maxBulkLen: 1 << 20, authRequired: () => false });
  p.names = names;
  const seen: [Buffer, unknown][] = [];
  const h: RequestHandler = { command: (argv, r) => seen.push([argv[0], r]), proceed: () => true };
  p.feed(Buffer.concat([enc(['GET', 'a']), enc(['get', 'a']), enc(['GET', 'b'])]), h);
  assert.is(seen.length, 3);
  assert.is(seen[0][0].toString(), 'GET');
  assert.is(seen[0][1], 'get');
  assert.is(seen[1][0].toString(), 'get');
  assert.is(seen[1][1], null);
  assert.is(seen[2][0], seen[0][0], 'the same cached Buffer');
});

t.run();
