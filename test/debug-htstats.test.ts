/**
 * DEBUG HTSTATS / HTSTATS-KEY: errors, empty tables and reply types compared with real Redis 7.0;
 * the figures of non-empty tables (which depend on each server's hash function) checked for what
 * they must say about Redust's own tables: element counts, a distribution that adds up to the
 * table size, and the rehashing target while the wasm keyspace rehashes.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { encodeCommand, text } from './helpers/raw';

interface ParsedTable {
  header: string;
  size: number;
  used: number;
  slots: number;
  maxChain: number;
  dist: Map<number, number>;
}

/** Parse dictGetStats text: one entry per "Hash table N stats" block with figures. */
function parseTables(s: string): ParsedTable[] {
  const out: ParsedTable[] = [];
  const blocks = s.split(/(?=Hash table \d stats)/).filter((b) => b.startsWith('Hash table') && b.includes('table size:'));
  for (const b of blocks) {
    const num = (label: string) => Number(new RegExp(` ${label}: (\\d+)`).exec(b)![1]);
    const dist = new Map<number, number>();
    for (const m of b.matchAll(/^ {3}(\d+): (\d+) \((\d+\.\d\d)%\)$/gm)) dist.set(Number(m[1]), Number(m[2]));
    out.push({ header: b.split('\n')[0], size: num('table size'), used: num('number of elements'), slots: num('different slots'), maxChain: num('max chain length'), dist });
  }
  return out;
}

function assertConsistent(t: ParsedTable): void {
  let buckets = 0;
  let entries = 0;
  for (const [len, n] of t.dist) {
    buckets += n;
    entries += len * n;
  }
  assert.is(buckets, t.size, 'the distribution covers every bucket');
  assert.is(entries, t.used, 'chains hold every element');
  assert.is(t.slots, t.size - (t.dist.get(0) ?? 0), 'different slots = non-empty buckets');
  assert.is(t.maxChain, Math.max(...t.dist.keys()));
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('debug-htstats', engine);

  diffTest(t, 'errors, empty tables and non-hashtable values answer as Redis (RESP2 and RESP3)', async ({ d }) => {
    await d.bothProtocols(
      [
        ['SET', 'str', 'v'],
        ['SET', 'num', '12'],
        ['HSET', 'smallhash', 'f', 'v'],
        ['SADD', 'intset', '1', '2'],
        ['ZADD', 'smallzset', '1', 'a'],
        ['RPUSH', 'list', 'a'],
        ['XADD', 'stream', '1-1', 'f', 'v'],
      ],
      [
        ['DEBUG', 'HTSTATS', '1'],
        ['DEBUG', 'HTSTATS', '15'],
        ['DEBUG', 'HTSTATS', '16'],
        ['DEBUG', 'HTSTATS', '-1'],
        ['DEBUG', 'HTSTATS', 'abc'],
        ['DEBUG', 'HTSTATS', '99999999999999999999'],
        ['DEBUG', 'HTSTATS'],
        ['DEBUG', 'HTSTATS', '0', 'full'],
        ['DEBUG', 'HTSTATS-KEY', 'nokey'],
        ['DEBUG', 'HTSTATS-KEY', 'str'],
        ['DEBUG', 'HTSTATS-KEY', 'num'],
        ['DEBUG', 'HTSTATS-KEY', 'smallhash'],
        ['DEBUG', 'HTSTATS-KEY', 'intset'],
        ['DEBUG', 'HTSTATS-KEY', 'smallzset'],
        ['DEBUG', 'HTSTATS-KEY', 'list'],
        ['DEBUG', 'HTSTATS-KEY', 'stream'],
        ['DEBUG', 'HTSTATS-KEY'],
        ['DEBUG', 'HTSTATS-KEY', 'a', 'b'],
      ],
    );
  });

  diffTest(t, 'a big hash, set and sorted set have hash-table stats on both servers (same element counts)', async ({ d }) => {
    const fields: string[] = [];
    const members: string[] = [];
    const scored: string[] = [];
    for (let i = 0; i < 600; i++) {
      fields.push(`field-${i}`, `v${i}`);
      members.push(`member-${i}`);
      scored.push(String(i), `m-${i}`);
    }
    await d.all([['HSET', 'h', ...fields], ['SADD', 's', ...members], ['ZADD', 'z', ...scored]]);
    for (const key of ['h', 's', 'z']) {
      const [ours, theirs] = await Promise.all([d.redust.send('DEBUG', 'HTSTATS-KEY', key), d.reference.send('DEBUG', 'HTSTATS-KEY', key)]);
      assert.is(ours.t, theirs.t);
      const ref = parseTables(text(theirs));
      assert.is(ref.reduce((n, x) => n + x.used, 0), 600, `${key}: ${text(theirs)}`);
      if (engine === 'wasm') {
        // The wasm engine keeps them in dict.ts dicts: real chain figures, in Redis's layout.
        const tables = parseTables(text(ours));
        assert.ok(tables.length >= 1 && tables[0].header === 'Hash table 0 stats (main hash table):', text(ours));
        assert.is(tables.reduce((n, x) => n + x.used, 0), 600, `${key}: every element counted`);
        for (const x of tables) assertConsistent(x);
        assert.is(tables[0].size & (tables[0].size - 1), 0, 'power-of-two table');
      } else {
        // js-map: the skip list's member index (zset-skiplist.ts), the big hash's and the big
        // set's KeyTable (js-map/key-table.ts): chained buckets, real figures.
        const tables = parseTables(text(ours));
        assert.is(tables.length, 1, text(ours));
        assert.is(tables[0].used, 600, `${key}: every element counted`);
        assertConsistent(tables[0]);
      }
    }
    if (engine !== 'wasm') {
      // A set of up to 128 members stays in a ShardedMap (a KeyTable per small set of strings cost ~4 KB RSS).
      await d.all([['SADD', 'small', ...members.slice(0, 128)]]);
      assert.match(text(await d.redust.send('DEBUG', 'HTSTATS-KEY', 'small')), /^No stats available: the value is a table of small JavaScript Maps/);
      await d.all([['SADD', 'small', 'one-more']]);
      assert.is(parseTables(text(await d.redust.send('DEBUG', 'HTSTATS-KEY', 'small')))[0].used, 129);
    }
  });

  t('the keyspace table: element count, a distribution that adds up, expires named as what they are', async ({ c }) => {
    const args: string[] = [];
    for (let i = 0; i < 700; i++) args.push(`key:${i}`, String(i));
    await c.send('MSET', ...args);
    for (let i = 0; i < 12; i++) await c.send('EXPIRE', `key:${i}`, '1000');
    const reply = await c.send('DEBUG', 'HTSTATS', '0');
    assert.is(reply.t, 'bulk');
    const s = text(reply);
    assert.ok(s.startsWith('[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: '), s);
    const tables = parseTables(s.slice(0, s.indexOf('[Expires HT]')));
    assert.is(tables.reduce((n, x) => n + x.used, 0), 700);
    for (const x of tables) assertConsistent(x);
    assert.match(s, /\[Expires HT\]\nNo stats available: keys with a TTL \(12\) are entries of the keyspace table above/);
    // An empty db reads as Redis's empty dict; RESP3 gets a verbatim txt reply.
    await c.send('HELLO', '3');
    const empty = await c.send('DEBUG', 'HTSTATS', '3');
    assert.is(empty.t, 'verbatim');
    assert.is(text(empty), '[Dictionary HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n[Expires HT]\nHash table 0 stats (main hash table):\nNo stats available for empty dictionaries\n');
    await c.send('HELLO', '2');
  });

  diffTest(t, 'DEBUG HELP: Redis 7.0 entries for the subcommands Redust has, each of which answers', async ({ d, c }) => {
    const lines = (n: Awaited<ReturnType<typeof c.send>>) => (n.t === 'array' ? n.v.map(text) : []);
    const ours = lines(await d.redust.send('DEBUG', 'HELP'));
    const theirs = new Set(lines(await d.reference.send('DEBUG', 'HELP')));
    const redustOnly = new Set(['JMAP', '    Redust: show the V8 heap figures (total, used, per space).', 'STRINGMATCH-LEN', '      conflicting keys make the load fail with an error.']);
    for (const l of ours) if (!redustOnly.has(l)) assert.ok(theirs.has(l), `not in Redis's DEBUG HELP: ${l}`);
    assert.ok(ours.includes('HTSTATS <dbid>') && ours.includes('HTSTATS-KEY <key>'));
    assert.not.ok(ours.some((l) => l.startsWith('RESTART') || l.startsWith('OOM')), 'no entry for what Redust refuses');
    for (const l of ours) {
      // (PANIC, ASSERT and SEGFAULT end the process: test/panic.test.ts.)
      if (!/^[A-Z]/.test(l) || l === 'HELP' || l === 'PANIC' || l === 'ASSERT' || l === 'SEGFAULT') continue;
      const reply = await c.send('DEBUG', l.split(' ')[0]);
      if (reply.t === 'error') assert.match(reply.v, /wrong number of arguments|^ERR (no such key|Out of range|DEBUG LOADAOF: there is no append-only file to load|CONFIG-REWRITE-FORCE-ALL failed: Bad address|maxmemory-clients is disabled\.)/, l);
    }
  });

  if (engine === 'wasm') {
    t('wasm: while the keyspace dict rehashes, the rehashing target is reported too', async ({ c }) => {
      // 1024 keys fill 1024 buckets; the 1025th starts a rehash to 2048 that moves 2 buckets per
      // operation, so the DEBUG sent in the same write finds both tables.
      const args: string[] = [];
      for (let i = 0; i < 1025; i++) args.push(`k${i}`, 'v');
      c.socket.write(Buffer.concat([encodeCommand(['MSET', ...args]), encodeCommand(['DEBUG', 'HTSTATS', '0'])]));
      assert.is(text(await c.next()), 'OK');
      const s = text(await c.next());
      const tables = parseTables(s.slice(0, s.indexOf('[Expires HT]')));
      assert.is(tables.length, 2, s);
      assert.is(tables[1].header, 'Hash table 1 stats (rehashing target):');
      assert.is(tables[1].size, 2 * tables[0].size);
      assert.is(tables[0].used + tables[1].used, 1025);
      for (const x of tables) assertConsistent(x);
    });
  }

  t.run();
}
