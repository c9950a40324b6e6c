/**
 * The fast lane (src/server/lane.ts; assembly/lane.ts on wasm, src/engine/js-map/lane.ts on
 * js-map): pipelined commands of the lane (collections, strings, GETBIT, SETBIT, BITFIELD, PFADD) sent in one write to Redust and to real Redis 7.0, every reply compared, in RESP2 and RESP3;
 * the frames it must leave to the general path (missing keys, other types, expired keys, pops
 * that empty a list, encoding conversions, arity errors, odd but valid framing, frames split
 * across reads, pipelines longer than one lane run); and what the commands it runs must still
 * book or trigger (commandstats calls, CLIENT INFO cmd=, keyspace events, WATCH, MONITOR,
 * SLOWLOG). The test also checks that the lane ran (INFO stats redust_lane_commands; both
 * engines' lanes serve the same frames), so a lane that silently never runs fails it. Skipped
 * without redis-server.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { Arg, RawConnection, encodeCommand, items, text } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import type { RespNode } from '../src/protocol/resp-reader';
import { rng } from './helpers/rng';
import { hashOfBytes } from '../src/engine/js-map/key-table';

/** Send `cmds` as one write (or in the pieces cut at `cuts`), return the reply nodes. */
async function pipelineNodes(conn: RawConnection, cmds: Arg[][], cuts: number[] = []): Promise<RespNode[]> {
  const buf = Buffer.concat(cmds.map(encodeCommand));
  let from = 0;
  for (const at of [...cuts, buf.length]) {
    conn.socket.write(buf.subarray(from, at));
    from = at;
    if (at < buf.length) await new Promise((r) => setTimeout(r, 2));
  }
  const out: RespNode[] = [];
  for (let i = 0; i < cmds.length; i++) out.push(await conn.next());
  return out;
}

/** pipelineNodes, the replies rendered. */
async function pipeline(conn: RawConnection, cmds: Arg[][], cuts: number[] = []): Promise<string[]> {
  return (await pipelineNodes(conn, cmds, cuts)).map(renderNode);
}

/** A reply as compared across servers: SMEMBERS and HGETALL of hashtable values in any order. */
function comparable(cmd: Arg[], n: RespNode): string {
  const name = String(cmd[0]).toUpperCase();
  if ((name === 'SMEMBERS' || name === 'HGETALL') && (n.t === 'array' || n.t === 'set' || n.t === 'map')) {
    const xs = items(n).map((x) => renderNode(x));
    const els = name === 'SMEMBERS' ? xs : xs.map((x, i) => (i % 2 === 0 ? `${x}=${xs[i + 1]}` : '')).filter(Boolean);
    return `${n.t}:${els.sort().join(',')}`;
  }
  return renderNode(n);
}

async function infoField(conn: RawConnection, section: string, field: string): Promise<string> {
  const r = await conn.send('INFO', section);
  const line = text(r).split('\r\n').find((l) => l.startsWith(field + ':'));
  return line === undefined ? '' : line.slice(field.length + 1);
}

/** rdb_changes_since_last_save (the dirty count) of each server. */
function changesSinceSave(conns: RawConnection[]): Promise<number[]> {
  return Promise.all(conns.map(async (c) => Number(await infoField(c, 'persistence', 'rdb_changes_since_last_save'))));
}

/** Keyspace hits and misses (INFO stats) of each server. */
async function hitsMisses(c: RawConnection): Promise<string[]> {
  return [await infoField(c, 'stats', 'keyspace_hits'), await infoField(c, 'stats', 'keyspace_misses')];
}

/** INFO commandstats of the commands named in `names` (a regex alternation), timings left out, sorted. */
async function callStats(c: RawConnection, names: string): Promise<string[]> {
  const re = new RegExp(`^cmdstat_(${names}):`);
  const r = text(await c.send('INFO', 'commandstats')).split('\r\n').filter((l) => re.test(l));
  return r.map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
}

/** The db0 keyspace line (keys and expires; avg_ttl is an estimate of each server's expire cycle). */
async function keyspaceLine(c: RawConnection): Promise<string> {
  return (await infoField(c, 'keyspace', 'db0')).replace(/,avg_ttl=\d+/, '');
}

/** What a lane run must leave as Redis leaves it: the commands' stats, hits/misses, the keyspace line. */
async function assertSameStats(a: RawConnection, b: RawConnection, names: string): Promise<void> {
  assert.equal(await callStats(a, names), await callStats(b, names));
  assert.equal(await hitsMisses(a), await hitsMisses(b));
  assert.is(await keyspaceLine(a), await keyspaceLine(b));
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('fast lane', engine);

  /** Pipeline on both servers, compare every reply; returns how many commands the lane ran. */
  async function both(ctx: { d?: { redust: RawConnection; reference: RawConnection } }, cmds: Arg[][], cuts: number[] = [], count = true): Promise<number> {
    const d = ctx.d!;
    if (!count) {
      const [a, b] = await Promise.all([pipeline(d.redust, cmds, cuts), pipeline(d.reference, cmds, cuts)]);
      assert.equal(a, b);
      return 0;
    }
    const before = Number(await infoField(d.redust, 'stats', 'redust_lane_commands'));
    const [a, b] = await Promise.all([pipeline(d.redust, cmds, cuts), pipeline(d.reference, cmds, cuts)]);
    for (let i = 0; i < cmds.length; i++) {
      assert.is(a[i], b[i], `reply ${i} to ${cmds[i].map(String).join(' ').slice(0, 80)}`);
    }
    return Number(await infoField(d.redust, 'stats', 'redust_lane_commands')) - before;
  }

  const listScript = (): Arg[][] => {
    const cmds: Arg[][] = [['RPUSH', 'l', 'a', 'b'], ['SET', 's', 'x'], ['SADD', 'set', 'm'], ['HSET', 'h', 'f', 'v']];
    for (let i = 0; i < 40; i++) {
      cmds.push(['LPUSH', 'l', `x${i}`], ['RPUSH', 'l', `y${i}`, `z${i}`, '']);
      if (i % 3 === 0) cmds.push(['rpop', 'l'], ['LpOp', 'l']);
      if (i % 7 === 0) cmds.push(['LPOP', 'missing'], ['RPOP', 's'], ['LPUSH', 's', 'v'], ['LPUSH', 'l'], ['LPOP', 'l', 'extra', 'args']);
      if (i % 11 === 0) cmds.push(['LRANGE', 'l', 0, -1], ['LLEN', 'l'], ['OBJECT', 'ENCODING', 'l']);
    }
    // Pops down to one element and past it: the last pop deletes the key (general path).
    cmds.push(['DEL', 'l2'], ['RPUSH', 'l2', 1, 2, 3], ['LPOP', 'l2'], ['RPOP', 'l2'], ['LPOP', 'l2'], ['LPOP', 'l2'], ['EXISTS', 'l2']);
    cmds.push(['LPUSH', 'newlist', 'first'], ['LPUSH', 'newlist', 'second'], ['LRANGE', 'newlist', 0, -1]);
    cmds.push(['LPUSH', 'l', Buffer.from([0, 255, 13, 10, 36, 42])], ['RPOP', 'l'], ['LPOP', 'set'], ['SADD', 'l', 'x'], ['HSET', 'l', 'f', 'v']);
    cmds.push(['LRANGE', 'l', 0, -1]);
    return cmds;
  };

  diffTest(t, 'lane names in any case run in the lane; names that only look like one (HGET, GETSET, SELECT, SCRIPT, ZSCORE) cost it nothing', async (ctx) => {
    for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('FLUSHALL');
    // (Made by commands the lane does not run: HSET and ZADD on missing keys would make a run
    // that serves nothing, and this connection skip the lane for the next few commands.)
    await both(ctx, [['HMSET', 'h', 'f', 'v'], ['ZINCRBY', 'z', 1, 'm']], [], false);
    const cmds: Arg[][] = [];
    const lookalikes: Arg[][] = [['HGET', 'h', 'f'], ['GETSET', 'g', 'x'], ['SELECT', 0], ['SCRIPT', 'EXISTS', 'abc'], ['ZSCORE', 'z', 'm'], ['hGeT', 'h', 'f']];
    let laneCmds = 0;
    for (let i = 0; i < 30; i++) {
      cmds.push(['sEt', 'k', `v${i}`], ['Get', 'k'], lookalikes[i % lookalikes.length], ['INCR', 'n'], ['get', 'n']);
      laneCmds += 4;
    }
    // Each lane command runs there: a run that served nothing would make the next ones skip it.
    assert.is(await both(ctx, cmds), laneCmds);
  });

  diffTest(t, 'pipelined list pushes and pops, RESP2 and RESP3, replies and final values equal', async (ctx) => {
    for (const proto of [2, 3]) {
      for (const conn of [ctx.d.redust, ctx.d.reference]) {
        await conn.send('HELLO', proto);
        await conn.send('FLUSHALL');
      }
      const ran = await both(ctx, listScript());
      assert.ok(ran > 50, `lane ran ${ran} commands`);
    }
    for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', 2);
  });

  diffTest(t, 'SADD and HSET across intset, listpack and hashtable conversions', async (ctx) => {
    const cmds: Arg[][] = [
      ['CONFIG', 'SET', 'set-max-intset-entries', '8'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '6'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '10'],
      ['SADD', 'si', 0], ['SADD', 'ss', 'a'], ['HSET', 'h', 'f0', 'v0'],
    ];
    for (let i = 1; i < 20; i++) {
      cmds.push(['SADD', 'si', i, i - 1], ['OBJECT', 'ENCODING', 'si'], ['SADD', 'ss', `m${i}`, 'a', `m${i}`]);
      cmds.push(['HSET', 'h', `f${i}`, `v${i}`, 'f0', i % 4 === 0 ? 'x'.repeat(11) : `w${i}`], ['OBJECT', 'ENCODING', 'h'], ['HLEN', 'h']);
      if (i === 5) cmds.push(['SADD', 'si', '-7', '007', '+8', '9223372036854775808']);
      if (i === 9) cmds.push(['HSET', 'h', 'odd'], ['HSET', 'h', 'f1', 'v', 'f2'], ['SADD', 'h', 'x'], ['HSET', 'si', 'a', 'b']);
    }
    cmds.push(['SCARD', 'si'], ['SCARD', 'ss'], ['SISMEMBER', 'ss', 'm7'], ['HGET', 'h', 'f8'], ['HLEN', 'h']);
    cmds.push(['CONFIG', 'SET', 'set-max-intset-entries', '512'], ['CONFIG', 'SET', 'hash-max-listpack-entries', '128'], ['CONFIG', 'SET', 'hash-max-listpack-value', '64']);
    const ran = await both(ctx, cmds);
    assert.ok(ran > 20, `lane ran ${ran} commands`);
    for (const k of ['si', 'ss', 'h']) {
      const [a, b] = await Promise.all([ctx.d.redust, ctx.d.reference].map(async (c) => items(await c.send(k === 'h' ? 'HGETALL' : 'SMEMBERS', k)).map(renderNode)));
      const pairs = (xs: string[]) => (k === 'h' ? xs.map((x, i) => (i % 2 === 0 ? x + '=' + xs[i + 1] : '')).filter(Boolean) : xs).sort();
      assert.equal(pairs(a), pairs(b));
    }
  });

  diffTest(t, 'GETBIT offsets, types and keyspace hits/misses; SPOP down to the last member', async (ctx) => {
    const d = ctx.d;
    const cmds: Arg[][] = [['SETBIT', 'b', 7, 1], ['SETBIT', 'b', 100, 1], ['SET', 'str', 'hello'], ['RPUSH', 'l', 'x']];
    for (const off of [0, 7, 8, 100, 101, 1000, 4294967295, '4294967296', '-1', '01', '+3', '1.0', '99999999999', 'x']) {
      cmds.push(['GETBIT', 'b', off], ['GETBIT', 'str', off], ['getbit', 'missing', off], ['GETBIT', 'l', off]);
    }
    cmds.push(['GETBIT', 'b'], ['GETBIT', 'b', 1, 2]);
    for (const c of [d.redust, d.reference]) await c.send('CONFIG', 'RESETSTAT');
    const ran = await both(ctx, cmds);
    // (The frames it leaves, on a list or with an odd offset, make it back off for a few commands.)
    assert.ok(ran > 5, `lane ran ${ran} commands`);
    assert.equal(await hitsMisses(d.redust), await hitsMisses(d.reference));
    // SPOP picks at random: each server must pop every member once, then answer nil.
    const members = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? String(i) : `m${i}`));
    for (const [k, ms] of [['si', members.filter((_, i) => i % 2 === 0)], ['ss', members]] as const) {
      const script: Arg[][] = [['SADD', k, ...ms]];
      for (let i = 0; i < ms.length + 2; i++) script.push(['SPOP', k]);
      script.push(['EXISTS', k], ['SPOP', 'l'], ['SPOP', k, 'x', 'y']);
      const [a, b] = await Promise.all([pipeline(d.redust, script), pipeline(d.reference, script)]);
      for (const r of [a, b]) {
        const popped = r.slice(1, 1 + ms.length).map((x) => JSON.parse(x) as string).sort();
        assert.equal(popped, [...ms].sort());
      }
      assert.equal(a.slice(1 + ms.length), b.slice(1 + ms.length));
    }
  });

  diffTest(t, 'PFADD into a dense HyperLogLog: replies, PFCOUNT and the exact bytes', async (ctx) => {
    const d = ctx.d;
    // A dense value: past hll-sparse-max-bytes the sparse form converts (the general path).
    const setup: Arg[][] = [['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'], ['PFADD', 'h', 'seed'], ['PFADD', 'sp', 'x'], ['SET', 'str', 'HYLL-not-really'], ['RPUSH', 'l', 'x']];
    await both(ctx, setup);
    const cmds: Arg[][] = [];
    for (let i = 0; i < 300; i++) {
      const els: Arg[] = [];
      for (let j = 0; j <= i % 5; j++) els.push(`e${i * 7 + j}`, i % 13 === 0 ? Buffer.from([i & 255, 0, 255]) : 'x'.repeat(i % 17));
      cmds.push(['PFADD', 'h', ...els]);
      if (i % 50 === 0) cmds.push(['PFCOUNT', 'h'], ['PFADD', 'h', 'seed'], ['PFADD', 'sp', `s${i}`], ['PFADD', 'str', 'a'], ['PFADD', 'l', 'a'], ['PFADD', 'new', 'a'], ['PFADD', 'h']);
    }
    cmds.push(['PFCOUNT', 'h'], ['GET', 'h'], ['GET', 'sp'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
    const ran = await both(ctx, cmds);
    assert.ok(ran > 200, `lane ran ${ran} commands`);
  });

  diffTest(t, 'PFADD on two keys of the same js-map key hash, one after the other: each into its own registers', async (ctx) => {
    // The js-map lane reuses the row of the PFADD just before on the same key; a key of the same
    // 32-bit hash is another key (found by search: ~2^16 keys make a collision likely).
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const k = `hll:${i}`;
      const h = hashOfBytes(Buffer.from(k));
      const other = seen.get(h);
      if (other !== undefined) pair = [other, k];
      else seen.set(h, k);
    }
    const [a, b] = pair;
    await both(ctx, [['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'], ['PFADD', a, 'seed'], ['PFADD', b, 'seed']]);
    const cmds: Arg[][] = [];
    for (let i = 0; i < 200; i++) {
      cmds.push(['PFADD', i % 3 === 0 ? a : b, `e${i}`]);
      if (i % 40 === 0) cmds.push(['GETBIT', a, 100]);
    }
    cmds.push(['PFCOUNT', a], ['PFCOUNT', b], ['GET', a], ['GET', b], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
    const ran = await both(ctx, cmds);
    assert.ok(ran > 150, `lane ran ${ran} commands`);
  });

  diffTest(t, 'SETBIT and BITFIELD: created keys, growth, every storage size, overflow, stop cases; stats, dirty, keyspace, values read back', async (ctx) => {
    const d = ctx.d;
    const conns = [d.redust, d.reference];
    const setup: Arg[][] = [['RPUSH', 'l', 'x'], ['SET', 'str', 'hello'], ['SET', 'int', 12345], ['SET', 'ttl', 'abc', 'EX', 1000], ['SET', 'gone', 'x', 'PX', 5], ['SET', 'gone2', 'x', 'PX', 5]];
    setup.push(['SET', 'big', Buffer.alloc(5000, 0xa5)], ['SET', 'mid', Buffer.alloc(300, 0x5a)], ['SETRANGE', 'edited', 40, 'x'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'], ['PFADD', 'hll', 'a'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
    // (1 MB values at most: offsets past 8388607 are out of range)
    setup.push(['CONFIG', 'SET', 'proto-max-bulk-len', '1048576']);
    await both(ctx, setup, [], false);
    await new Promise((r) => setTimeout(r, 20));
    for (const c of conns) await c.send('CONFIG', 'RESETSTAT');
    const dirty = () => changesSinceSave(conns);
    const dirty0 = await dirty();
    const cmds: Arg[][] = [];
    const offsets = [0, 1, 7, 8, 15, 100, 255, 256, 511, 4095, 40000, 8388606];
    for (let i = 0; i < offsets.length; i++) {
      const off = offsets[i];
      // A new key, the same bit again (no change), cleared, set on each kind of stored string.
      cmds.push(['SETBIT', `b${i}`, off, 1], ['SETBIT', `b${i}`, off, 1], ['setbit', `b${i}`, off, 0], ['SETBIT', `b${i}`, off + 1, 1], ['GETBIT', `b${i}`, off + 1]);
      for (const k of ['str', 'int', 'ttl', 'big', 'mid', 'edited', 'hll']) cmds.push(['SETBIT', k, off % 64000, (i & 1)]);
      cmds.push(['BITFIELD', `f${i}`, 'INCRBY', 'u8', `#${off % 1000}`, 1], ['bitfield', `f${i}`, 'get', 'u8', `#${off % 1000}`], ['BITFIELD', 'str', 'INCRBY', 'i5', off % 5000, -7]);
    }
    // Every width and sign, plain and '#' offsets, wrap both ways, SET returning the old value.
    for (const ty of ['u1', 'u7', 'u8', 'u9', 'u16', 'u31', 'i1', 'i2', 'i8', 'i13', 'i32', 'u32']) {
      for (const off of ['0', '3', '#0', '#5', '17', '#100']) {
        cmds.push(['BITFIELD', 'w', 'INCRBY', ty, off, 100], ['BITFIELD', 'w', 'INCRBY', ty, off, '-3000000000'], ['BITFIELD', 'w', 'SET', ty, off, '123456789'], ['BITFIELD', 'w', 'GET', ty, off]);
        cmds.push(['BITFIELD', 'w', 'SET', ty, off, ty[0] === 'i' ? '-999999999999999' : '999999999999999'], ['BITFIELD', 'w', 'INCRBY', ty, off, '999999999999999'], ['BITFIELD', 'missing', 'GET', ty, off], ['BITFIELD', 'big', 'GET', ty, off]);
      }
    }
    // Left to the general path: errors, other types, expired keys, other forms (each once).
    cmds.push(['SETBIT', 'l', 1, 1], ['SETBIT', 'gone', 3, 1], ['SETBIT', 'b0', -1, 1], ['SETBIT', 'b0', '8388608', 1], ['SETBIT', 'b0', '4294967296', 1], ['SETBIT', 'b0', '01', 1], ['SETBIT', 'b0', 1, 2], ['SETBIT', 'b0', 1, '01'], ['SETBIT', 'b0', 1], ['SETBIT', 'b0', 1, 1, 1]);
    cmds.push(['BITFIELD', 'l', 'INCRBY', 'u8', 0, 1], ['BITFIELD', 'l', 'GET', 'u8', 0], ['BITFIELD', 'gone2', 'INCRBY', 'u8', 0, 1], ['BITFIELD', 'gone', 'GET', 'u8', 0]);
    cmds.push(['BITFIELD', 'w', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', 0, 300], ['BITFIELD', 'w', 'OVERFLOW', 'SAT', 'INCRBY', 'i8', 0, 300], ['BITFIELD', 'w', 'INCRBY', 'u8', 0, 1, 'GET', 'u8', 0]);
    cmds.push(['BITFIELD', 'w', 'INCRBY', 'u64', 0, 1], ['BITFIELD', 'w', 'INCRBY', 'i64', 0, 1], ['BITFIELD', 'w', 'INCRBY', 'i33', 0, 1], ['BITFIELD', 'w', 'GET', 'U8', 0], ['BITFIELD', 'w', 'GET', 'u08', 0], ['BITFIELD', 'w', 'GET', 'x8', 0], ['BITFIELD', 'w', 'GET', 'u8', -1]);
    cmds.push(['BITFIELD', 'w', 'SET', 'u8', 0, -1], ['BITFIELD', 'w', 'SET', 'u8', '#', 1], ['BITFIELD', 'w', 'INCRBY', 'u8', 0, '1.5'], ['BITFIELD', 'w', 'INCRBY', 'u8', 0, '+1'], ['BITFIELD', 'w', 'INCRBY', 'u8', 0, '9999999999999999'], ['BITFIELD', 'w'], ['BITFIELD', 'w', 'GET', 'u8'], ['BITFIELD_RO', 'w', 'GET', 'u8', 0]);
    cmds.push(['BITFIELD', 'w', 'INCRBY', 'u8', '8388608', 1], ['BITFIELD', 'w', 'GET', 'u8', '#1048576'], ['BITFIELD', 'w', 'INCRBY', 'u8', '#1048575', 1], ['BITFIELD', 'w', 'INCRBY', 'u8', '8388607', 1], ['BITFIELD', 'w', 'GET', 'u16', '8388607']);
    cmds.push(['TTL', 'ttl'], ['TYPE', 'l'], ['EXISTS', 'gone'], ['EXISTS', 'gone2'], ['GET', 'w'], ['GET', 'str'], ['STRLEN', 'big'], ['DBSIZE']);
    for (const proto of [2, 3]) {
      for (const conn of conns) await conn.send('HELLO', proto);
      const ran = await both(ctx, cmds);
      assert.ok(ran > 400, `lane ran ${ran} commands`);
    }
    for (const conn of conns) await conn.send('HELLO', 2);
    await both(ctx, [['CONFIG', 'SET', 'proto-max-bulk-len', '536870912']], [], false);
    const dirty1 = await dirty();
    assert.is(dirty1[0] - dirty0[0], dirty1[1] - dirty0[1], 'rdb_changes_since_last_save');
    await assertSameStats(d.redust, d.reference, 'setbit|getbit|bitfield|bitfield_ro|get|ttl|type|exists');
    for (let i = 0; i < offsets.length; i++) {
      await d.check(['STRLEN', `b${i}`]);
      await d.check(['GET', `f${i}`]);
      await d.check(['OBJECT', 'ENCODING', `b${i}`]);
    }
    for (const k of ['str', 'int', 'ttl', 'mid', 'edited', 'hll', 'w']) {
      await d.check(['GET', k]);
      await d.check(['OBJECT', 'ENCODING', k]);
    }
    await d.check(['BITCOUNT', 'big']);
    await d.check(['PFCOUNT', 'hll']);
    // The last command of a pipeline the lane ran to its end: CLIENT INFO's cmd=.
    const ci = await Promise.all(conns.map(async (c) => (await pipeline(c, [['SETBIT', 'a', 1, 1], ['BITFIELD', 'a', 'INCRBY', 'u4', 0, 1], ['CLIENT', 'INFO']]))[2]));
    assert.is(/cmd=(\S+)/.exec(ci[0])?.[1], /cmd=(\S+)/.exec(ci[1])?.[1]);
  });

  diffTest(t, 'ZADD with integer scores across the listpack/skiplist conversion; other forms left to the general path', async (ctx) => {
    const cmds: Arg[][] = [['CONFIG', 'SET', 'zset-max-listpack-entries', '16'], ['CONFIG', 'SET', 'zset-max-listpack-value', '12'], ['ZADD', 'z', 1, 'a'], ['ZADD', 'big', 1, 'a'], ['SET', 'str', 'x']];
    for (let i = 0; i < 60; i++) {
      cmds.push(['ZADD', 'z', i % 3 === 0 ? `-${i}` : String(i).padStart(i % 7, '0'), `m${i % 25}`]);
      if (i % 10 === 0) cmds.push(['OBJECT', 'ENCODING', 'z'], ['ZRANGE', 'z', 0, -1, 'WITHSCORES']);
      if (i % 9 === 0) {
        cmds.push(['ZADD', 'z', '-0', 'neg0'], ['ZADD', 'z', '+5', 'p'], ['ZADD', 'z', '1e3', 'e'], ['ZADD', 'z', 'inf', 'i'], ['ZADD', 'z', '1.5', 'f']);
        cmds.push(['ZADD', 'z', 'NX', 3, 'm1'], ['ZADD', 'z', 'CH', 9, 'm2'], ['ZADD', 'z', 'INCR', 2, 'm3'], ['ZADD', 'z', 'x', 'm4'], ['ZADD', 'str', 1, 'a'], ['ZADD', 'z', 1]);
        cmds.push(['ZADD', 'z', 5, 'q', 6, 'r', 7, 'q'], ['ZADD', 'z', '9999999999999999', 'wide'], ['ZADD', 'z', '123456789012345', 'w15']);
      }
    }
    cmds.push(['ZADD', 'big', 2, 'b'.repeat(13)], ['OBJECT', 'ENCODING', 'big'], ['ZADD', 'new', 1, 'a'], ['ZADD', 'new', 2, 'b']);
    cmds.push(['ZRANGE', 'z', 0, -1, 'WITHSCORES'], ['ZRANGE', 'big', 0, -1, 'WITHSCORES'], ['ZCARD', 'z']);
    cmds.push(['CONFIG', 'SET', 'zset-max-listpack-entries', '128'], ['CONFIG', 'SET', 'zset-max-listpack-value', '64']);
    for (const proto of [2, 3]) {
      for (const conn of [ctx.d.redust, ctx.d.reference]) {
        await conn.send('HELLO', proto);
        await conn.send('FLUSHALL');
      }
      const ran = await both(ctx, cmds);
      assert.ok(ran > 30, `lane ran ${ran} commands`);
    }
    for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', 2);
  });

  diffTest(t, 'ZPOPMIN and ZPOPMAX of listpack and skiplist sets, every kind of score, RESP2 and RESP3', async (ctx) => {
    const scores: Arg[] = [0, 1, -1, 2.5, -2.5, '0.1', '1e-3', '123456.789', '9007199254740991', '-9007199254740993', '1e20', '-0', 'inf', '-inf', '3.0000000000000004', '0.30000000000000004'];
    const setup: Arg[][] = [['SET', 'str', 'x']];
    const small: Arg[] = ['ZADD', 'small'];
    const big: Arg[] = ['ZADD', 'big'];
    scores.forEach((sc, i) => small.push(sc, `m${i}`));
    for (let i = 0; i < 200; i++) big.push(i % 3 === 0 ? scores[i % scores.length] : i * 1.25, `b${i}`);
    setup.push(small, big);
    const cmds: Arg[][] = [];
    for (let i = 0; i < 24; i++) {
      cmds.push(['ZPOPMIN', 'small'], ['zpopmax', 'big'], ['ZPOPMIN', 'big'], ['ZPOPMAX', 'missing'], ['ZPOPMIN', 'big'], ['ZPOPMAX', 'big']);
      if (i % 6 === 5) cmds.push(['ZPOPMIN', 'str']);
    }
    cmds.push(['ZPOPMIN', 'big', 3], ['ZPOPMAX', 'big', 'x'], ['ZCARD', 'small'], ['EXISTS', 'small'], ['ZRANGE', 'big', 0, 5, 'WITHSCORES']);
    for (const proto of [2, 3]) {
      for (const conn of [ctx.d.redust, ctx.d.reference]) {
        await conn.send('HELLO', proto);
        await conn.send('FLUSHALL');
      }
      await both(ctx, setup);
      const ran = await both(ctx, cmds);
      assert.ok(ran > 20, `lane ran ${ran} commands`);
    }
    for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', 2);
  });

  diffTest(t, 'LRANGE, ZRANGE, SMEMBERS and HGETALL: index forms, empty and missing values, both encodings, keyspace hits', async (ctx) => {
    const d = ctx.d;
    const setup: Arg[][] = [['SET', 'str', 'x'], ['RPUSH', 'l', ...Array.from({ length: 30 }, (_, i) => `e${i}`)], ['SADD', 'si', 3, 1, 2], ['SADD', 'ss', ...Array.from({ length: 40 }, (_, i) => `s${i}`)]];
    setup.push(['ZADD', 'z', ...Array.from({ length: 20 }, (_, i) => [i % 4 === 0 ? i + 0.5 : i, `z${i}`]).flat()]);
    setup.push(['ZADD', 'zb', ...Array.from({ length: 300 }, (_, i) => [i, `zb${i}`]).flat()]);
    setup.push(['HSET', 'h', 'a', 1, 'b', 2, 'c', ''], ['HSET', 'hb', ...Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`]).flat()]);
    await both(ctx, setup);
    const cmds: Arg[][] = [];
    const idx: Arg[] = [0, 1, -1, 5, -5, 29, 30, 31, 100, -100, '-0', '01', '+1', ' 1', '1.0', 'x', '9223372036854775807', '-9223372036854775808', '99999999999999999999'];
    for (const a of idx) {
      for (const b of [0, -1, 3, -31, 1000, a]) {
        cmds.push(['LRANGE', 'l', a, b], ['ZRANGE', 'z', a, b]);
      }
      cmds.push(['lrange', 'missing', a, -1], ['ZRANGE', 'zb', a, 10], ['LRANGE', 'str', 0, a]);
    }
    cmds.push(['ZRANGE', 'z', 0, -1, 'WITHSCORES'], ['ZRANGE', 'z', 0, -1, 'REV'], ['LRANGE', 'l', 0], ['ZRANGE', 'zb', 250, 299]);
    cmds.push(['SMEMBERS', 'si'], ['SMEMBERS', 'missing'], ['SMEMBERS', 'str'], ['HGETALL', 'h'], ['HGETALL', 'missing'], ['HGETALL', 'l'], ['HGETALL', 'h', 'x']);
    for (const proto of [2, 3]) {
      for (const conn of [d.redust, d.reference]) {
        await conn.send('HELLO', proto);
        await conn.send('CONFIG', 'RESETSTAT');
      }
      const ran = await both(ctx, cmds);
      assert.ok(ran > 100, `lane ran ${ran} commands`);
      assert.equal(await hitsMisses(d.redust), await hitsMisses(d.reference));
      // Hashtable-encoded values: the same elements (their order is each server's own), and the
      // lane's reply equal to the general path's (a second read inside MULTI, which it skips).
      for (const [cmd, k] of [['SMEMBERS', 'ss'], ['HGETALL', 'hb']]) {
        const elements = await Promise.all([d.redust, d.reference].map(async (c) => {
          const [lane, , , viaExec] = await pipeline(c, [[cmd, k], ['MULTI'], [cmd, k], ['EXEC']]);
          assert.is(viaExec, `[${lane}]`, `${cmd} through the lane and through EXEC`);
          const r = items(await c.send(cmd, k)).map((n) => text(n));
          return cmd === 'SMEMBERS' ? r.sort() : r.map((x, i) => (i % 2 === 0 ? `${x}=${r[i + 1]}` : '')).filter(Boolean).sort();
        }));
        assert.equal(elements[0], elements[1]);
      }
    }
    for (const conn of [d.redust, d.reference]) await conn.send('HELLO', 2);
  });

  diffTest(t, 'random pipelines of lane and other commands, cut at random points (REDUST_LANE_SEED)', async (ctx) => {
    const seed = Number(process.env.REDUST_LANE_SEED ?? Math.floor(Math.random() * 1e9));
    const r = rng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const keys = { l: ['l1', 'l2'], s: ['s1', 's2'], h: ['h1', 'h2'], z: ['z1', 'z2'], b: ['b1'] };
    const el = () => (r() < 0.1 ? Buffer.from([Math.floor(r() * 256), 0, 13, 10]) : r() < 0.3 ? String(Math.floor(r() * 50)) : `v${Math.floor(r() * 60)}`.repeat(r() < 0.05 ? 20 : 1));
    const score = () => (r() < 0.8 ? String(Math.floor(r() * 200) - 50) : pick(['1.5', '-0', '007', '+3', 'inf']));
    const idx = () => pick(['0', '-1', '1', '-3', '5', '100', '-100', '01']);
    const gen = (): Arg[] => {
      switch (Math.floor(r() * 20)) {
        case 0: return ['LPUSH', pick(keys.l), el(), ...(r() < 0.3 ? [el(), el()] : [])];
        case 1: return ['RPUSH', pick(keys.l), el()];
        case 2: return [pick(['LPOP', 'RPOP']), pick(keys.l)];
        case 3: return ['SADD', pick(keys.s), el(), ...(r() < 0.3 ? [el()] : [])];
        case 4: return ['HSET', pick(keys.h), el(), el(), ...(r() < 0.2 ? [el(), el()] : [])];
        case 5: return ['ZADD', pick(keys.z), score(), el()];
        case 6: return [pick(['ZPOPMIN', 'ZPOPMAX']), pick(keys.z)];
        case 7: return ['LRANGE', pick(keys.l), idx(), idx()];
        case 8: return ['ZRANGE', pick(keys.z), idx(), idx()];
        case 9: return ['HGETALL', pick(keys.h)];
        case 10: return ['SMEMBERS', pick(keys.s)];
        case 11: return ['GETBIT', pick([...keys.b, ...keys.l, 'missing']), pick(['0', '7', '100', '-1'])];
        case 12: return r() < 0.5 ? ['SETBIT', pick([...keys.b, 'b2', 'str', ...keys.l]), String(Math.floor(r() * 64)), pick(['0', '1'])] : r() < 0.5 ? ['GET', pick([...keys.b, 'str', 'missing', ...keys.l])] : ['SET', 'str', el()];
        case 13: return ['DEL', pick([...keys.l, ...keys.s, ...keys.h, ...keys.z])];
        case 14: return ['TYPE', pick([...keys.l, ...keys.s, ...keys.h, ...keys.z])];
        case 15: return r() < 0.5 ? ['LLEN', pick(keys.l)] : [pick(['INCR', 'DECR', 'INCRBY']), pick(['cnt', 'str', ...keys.l]), ...(r() < 0.5 ? [] : [String(Math.floor(r() * 100) - 50)])].filter((x, i, a) => a[0] === 'INCRBY' || i < 2);
        case 16: return ['ZCARD', pick(keys.z)];
        case 17: return ['HLEN', pick(keys.h)];
        case 18: return ['SCARD', pick(keys.s)];
        default: {
          if (r() < 0.5) return ['PFADD', 'hll', el()];
          const sub = pick(['INCRBY', 'SET', 'GET']);
          const f: Arg[] = ['BITFIELD', pick([...keys.b, 'b2', 'str', ...keys.l]), sub, pick(['u8', 'i8', 'u3', 'i16', 'u32']), pick(['0', '5', '#1', '#7'])];
          return sub === 'GET' ? f : [...f, String(Math.floor(r() * 600) - 300)];
        }
      }
    };
    // Small listpack limits so values cross their conversions; dense HLL from the start.
    const config: Arg[][] = [['CONFIG', 'SET', 'hash-max-listpack-entries', '6'], ['CONFIG', 'SET', 'zset-max-listpack-entries', '6'], ['CONFIG', 'SET', 'set-max-intset-entries', '6'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '0']];
    await both(ctx, config, [], false);
    let total = 0;
    for (let batch = 0; batch < 40; batch++) {
      const cmds = Array.from({ length: 10 + Math.floor(r() * 60) }, gen);
      const bytes = Buffer.concat(cmds.map(encodeCommand)).length;
      const cuts = r() < 0.5 ? [] : [Math.floor(r() * bytes)].filter((x) => x > 0);
      const before = Number(await infoField(ctx.d.redust, 'stats', 'redust_lane_commands'));
      const [a, b] = await Promise.all([pipelineNodes(ctx.d.redust, cmds, cuts), pipelineNodes(ctx.d.reference, cmds, cuts)]);
      for (let i = 0; i < cmds.length; i++) {
        assert.is(comparable(cmds[i], a[i]), comparable(cmds[i], b[i]), `seed ${seed}, batch ${batch}, reply ${i} to ${cmds[i].map(String).join(' ')}`);
      }
      total += Number(await infoField(ctx.d.redust, 'stats', 'redust_lane_commands')) - before;
    }
    await both(ctx, [['CONFIG', 'SET', 'hash-max-listpack-entries', '128'], ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'], ['CONFIG', 'SET', 'set-max-intset-entries', '512'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']], [], false);
    assert.ok(total > 100, `lane ran ${total} commands (seed ${seed})`);
  });

  diffTest(t, 'GET of every string size and kind, missing, other types, expired keys; runs past 1 MB of replies', async (ctx) => {
    const setup: Arg[][] = [['RPUSH', 'l', 'x'], ['SET', 'gone', 'v', 'PX', 5]];
    const sizes = [0, 1, 63, 64, 65, 100, 4096, 65536, 65537, 70000];
    for (const n of sizes) setup.push(['SET', `s${n}`, Buffer.alloc(n, n % 251)]);
    setup.push(['SET', 'bin', Buffer.from([0, 13, 10, 36, 255])], ['SET', 'int', 12345], ['APPEND', 'int', '6'], ['SETRANGE', 'bin', 2, 'zz']);
    await both(ctx, setup, [], false);
    await new Promise((r) => setTimeout(r, 20));
    const cmds: Arg[][] = [];
    for (let i = 0; i < 3; i++) {
      for (const n of sizes) cmds.push(['GET', `s${n}`], ['get', 'missing']);
      cmds.push(['GET', 'bin'], ['GET', 'int'], ['GET', 'l'], ['GET', 'gone'], ['GET'], ['GET', 'a', 'b']);
    }
    // 40 replies of 60 KB: more than one run's 1 MB of replies.
    for (let i = 0; i < 40; i++) cmds.push(['GET', 's65536'], ['GET', 's4096']);
    // One reply of 4 MB (LRANGE of 40 elements of 100 KB), then more frames after it.
    await both(ctx, [['RPUSH', 'big', ...Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(100000, 'x'))]], [], false);
    cmds.push(['LRANGE', 'big', 0, -1], ['GET', 's1'], ['LRANGE', 'big', -2, -1], ['GET', 's63']);
    for (const proto of [2, 3]) {
      for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', proto);
      const ran = await both(ctx, cmds);
      assert.ok(ran > 80, `lane ran ${ran} commands`);
    }
    for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', 2);
  });

  diffTest(t, 'plain SET over strings, TTLs, containers and expired keys; encodings and values read back', async (ctx) => {
    const setup: Arg[][] = [['RPUSH', 'l', 'x'], ['SET', 'gone', 'v', 'PX', 5], ['SET', 'ttl', 'v', 'EX', 100], ['SET', 'edited', 'abc'], ['APPEND', 'edited', 'd']];
    await both(ctx, setup, [], false);
    await new Promise((r) => setTimeout(r, 20));
    const cmds: Arg[][] = [];
    const values: Arg[] = ['', '1', '123', '-5', '007', '9223372036854775807', '9223372036854775808', 'x'.repeat(44), 'x'.repeat(45), 'y'.repeat(64), 'y'.repeat(65), 'z'.repeat(5000), Buffer.from([0, 13, 10, 255])];
    for (const v of values) cmds.push(['SET', 'k', v], ['GET', 'k'], ['OBJECT', 'ENCODING', 'k'], ['STRLEN', 'k']);
    cmds.push(['SET', 'ttl', 'new'], ['TTL', 'ttl'], ['SET', 'l', 'replaced'], ['TYPE', 'l'], ['GET', 'l'], ['SET', 'gone', 'back'], ['GET', 'gone']);
    cmds.push(['SET', 'edited', 'e'], ['OBJECT', 'ENCODING', 'edited'], ['set', 'lower', 'v'], ['SET', 'k'], ['SET', 'k', 'v', 'NX'], ['SET', 'k', 'v', 'extra'], ['DBSIZE']);
    for (let i = 0; i < 50; i++) cmds.push(['SET', `n${i % 7}`, String(i)], ['GET', `n${(i * 3) % 7}`]);
    const ran = await both(ctx, cmds);
    assert.ok(ran > 80, `lane ran ${ran} commands`);
    // maxvalue-bytes (Redust's own limit, no reference): a longer value is refused in a pipeline too.
    const r = ctx.d.redust;
    await r.send('CONFIG', 'SET', 'maxvalue-bytes', '4');
    const mv: Arg[][] = [['SET', 'mv', 'abc'], ['SET', 'mv', 'abcde'], ['SET', 'mv2', 'abcdef'], ['SET', 'mv3', 'abcd']];
    for (let i = 0; i < 10; i++) mv.push(['SET', `mv${i % 3}`, 'x'.repeat(i)]);
    const got = await pipeline(r, [...mv, ['GET', 'mv'], ['GET', 'mv2'], ['GET', 'mv3']]);
    await r.send('CONFIG', 'SET', 'maxvalue-bytes', '0');
    assert.equal(got, [...mv.map((c) => (String(c[2]).length > 4 ? '-ERR value exceeds maxvalue-bytes (4)' : '+OK')), '"abc"', '"xx"', '"abcd"']);
  });

  diffTest(t, 'INCR, DECR, INCRBY and DECRBY: new keys, in-place and growing digits, limits, errors, other types, expired keys', async (ctx) => {
    const setup: Arg[][] = [['RPUSH', 'l', 'x'], ['SET', 'gone', '5', 'PX', 5], ['SET', 's', 'abc'], ['SET', 'big', '9007199254740990'], ['SET', 'nearmax', '9223372036854775806'], ['SET', 'ttl', '10', 'EX', 100], ['SET', 'pad', '007']];
    await both(ctx, setup, [], false);
    await new Promise((r) => setTimeout(r, 20));
    const cmds: Arg[][] = [];
    for (let i = 0; i < 30; i++) cmds.push(['INCR', 'c'], ['DECR', 'd'], ['incrby', 'e', i * 37 - 300], ['DECRBY', 'f', 99], ['INCRBY', 'c', 9]);
    cmds.push(['GET', 'c'], ['OBJECT', 'ENCODING', 'c'], ['INCR', 'big'], ['INCR', 'big'], ['INCR', 'big'], ['GET', 'big'], ['INCR', 'nearmax'], ['INCR', 'nearmax']);
    cmds.push(['INCR', 's'], ['INCR', 'l'], ['INCR', 'gone'], ['GET', 'gone'], ['INCR', 'ttl'], ['TTL', 'ttl'], ['INCR', 'pad'], ['INCRBY', 'c', '+1'], ['INCRBY', 'c', '-0'], ['INCRBY', 'c', '1.5']);
    cmds.push(['INCRBY', 'c', '9223372036854775807'], ['DECRBY', 'c', '-9223372036854775808'], ['INCRBY', 'n1', '9007199254740993'], ['INCRBY', 'n2', '-9007199254740991'], ['DECRBY', 'n3', '9007199254740991'], ['INCR'], ['INCR', 'c', 'x']);
    for (const proto of [2, 3]) {
      for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', proto);
      const ran = await both(ctx, cmds);
      assert.ok(ran > 100, `lane ran ${ran} commands`);
    }
    for (const conn of [ctx.d.redust, ctx.d.reference]) await conn.send('HELLO', 2);
  });

  diffTest(t, 'frames split at every byte, odd framing left to the parser, pipelines past one run', async (ctx) => {
    await both(ctx, [['RPUSH', 'l', 'a', 'b', 'c'], ['SADD', 's', 'x'], ['HSET', 'h', 'a', 'b']]);
    const unit: Arg[][] = [['LPUSH', 'l', 'p'], ['SADD', 's', 'y'], ['RPOP', 'l'], ['HSET', 'h', 'c', 'd']];
    const bytes = Buffer.concat(unit.map(encodeCommand)).length;
    for (let cut = 1; cut < bytes; cut++) await both(ctx, unit, [cut]);
    // Valid requests the lane does not take (an element over its 64 KB, more than 64 arguments,
    // an inline command) go through the parser, with the same results.
    const many: Arg[] = ['RPUSH', 'l'];
    for (let i = 0; i < 70; i++) many.push(`m${i}`);
    await both(ctx, [['LPUSH', 'l', 'x'.repeat(70000)], many, ['RPOP', 'l'], ['LLEN', 'l']]);
    for (const conn of [ctx.d.redust, ctx.d.reference]) conn.socket.write('LPUSH l inline\r\n*2\r\n$4\r\nRPOP\r\n$1\r\nl\r\n');
    const got = await Promise.all([ctx.d.redust, ctx.d.reference].map(async (c) => [await c.next(), await c.next()].map(renderNode)));
    assert.equal(got[0], got[1]);
    // 3,000 commands in one write: more than one lane run (8 KB each), replies in order.
    const big: Arg[][] = [];
    for (let i = 0; i < 1500; i++) big.push(['RPUSH', 'l', `e${i}`], ['HSET', 'h', `f${i % 50}`, `${i}`]);
    const ran = await both(ctx, big);
    // (A frame cut by the end of a read is finished by the parser: most, not all, run in the lane.)
    assert.ok(ran > 2500, `lane ran ${ran} of 3000`);
    await ctx.d.check(['LRANGE', 'l', 0, -1]);
    await ctx.d.check(['HLEN', 'h']);
    await ctx.d.check(['HGET', 'h', 'f7']);
  });

  diffTest(t, 'GET, SET, INCR family, GETBIT, PFADD, pushes, pops, SADD, HSET: commandstats calls, keyspace hits and misses, dirty count, CLIENT INFO, TTLs, expired keys', async (ctx) => {
    const d = ctx.d;
    const conns = [d.redust, d.reference];
    const setup: Arg[][] = [['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'], ['PFADD', 'hll', 'a'], ['SETBIT', 'bits', 9, 1], ['SET', 'ttl', 'v', 'EX', 1000], ['SET', 'ttl2', '5', 'EX', 1000]];
    setup.push(['SET', 'gone', '1', 'PX', 5], ['SET', 'gone2', 'x', 'PX', 5], ['SET', 'gone3', 'x', 'PX', 5], ['SET', 'n', 41], ['RPUSH', 'l', 'x'], ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000']);
    setup.push(['RPUSH', 'list', 'a', 'b'], ['SADD', 'set', 1, 'x'], ['HSET', 'hash', 'f', 'v'], ['RPUSH', 'glist', 'a', 'b'], ['PEXPIRE', 'glist', 5]);
    await both(ctx, setup, [], false);
    await new Promise((r) => setTimeout(r, 20));
    for (const c of conns) await c.send('CONFIG', 'RESETSTAT');
    const dirty = () => changesSinceSave(conns);
    const dirty0 = await dirty();
    const cmds: Arg[][] = [];
    for (let i = 0; i < 20; i++) {
      cmds.push(['GET', `k${i % 5}`], ['SET', `k${i % 7}`, `v${i}`], ['INCR', 'n'], ['DECRBY', 'm', i], ['GETBIT', 'bits', i], ['GETBIT', 'nobits', i]);
      cmds.push(['PFADD', 'hll', `e${i % 8}`, 'a'], ['INCRBY', 'n', 0], ['get', 'hll'], ['DECR', 'ttl2']);
      cmds.push(['LPUSH', 'list', `p${i}`, 'q'], ['RPOP', 'list'], ['SADD', 'set', `m${i % 6}`, i % 4], ['HSET', 'hash', `f${i % 5}`, i, 'f', 'v'], ['LPOP', 'nolist'], ['RPUSH', 'list', i]);
    }
    cmds.push(['GET', 'gone'], ['INCR', 'gone2'], ['SET', 'gone3', 'back'], ['SET', 'ttl', 'w'], ['TTL', 'ttl'], ['TTL', 'ttl2'], ['GET', 'l'], ['SET', 'l', 'str'], ['TYPE', 'l'], ['EXISTS', 'gone'], ['PFCOUNT', 'hll'], ['LPUSH', 'glist', 'n'], ['LRANGE', 'glist', 0, -1]);
    for (let i = 0; i < 10; i++) cmds.push(['GET', `k${i}`], ['INCR', `c${i % 3}`], ['GETBIT', 'bits', 9]);
    const ran = await both(ctx, cmds);
    assert.ok(ran > 250, `lane ran ${ran} commands`);
    const dirty1 = await dirty();
    assert.is(dirty1[0] - dirty0[0], dirty1[1] - dirty0[1], 'rdb_changes_since_last_save');
    await assertSameStats(d.redust, d.reference, 'get|set|incr|decr|incrby|decrby|getbit|pfadd|pfcount|ttl|type|exists|lpush|rpush|lpop|rpop|sadd|hset|lrange');
    // The last command of a pipeline the lane ran to its end: CLIENT INFO's cmd=.
    const ci = await Promise.all(conns.map(async (c) => (await pipeline(c, [['SET', 'a', 1], ['INCR', 'a'], ['GETBIT', 'a', 1], ['CLIENT', 'INFO']]))[3]));
    assert.is(/cmd=(\S+)/.exec(ci[0])?.[1], /cmd=(\S+)/.exec(ci[1])?.[1]);
    for (const k of ['hll', 'k1', 'n', 'm', 'l', 'gone3', 'c0']) await d.check(['GET', k]);
    await d.check(['LRANGE', 'list', 0, -1]);
    await d.check(['SMEMBERS', 'set'], { unordered: true });
    await d.check(['HGET', 'hash', 'f3']);
    await d.check(['HLEN', 'hash']);
    for (const k of ['k1', 'n', 'hll', 'ttl2']) await d.check(['OBJECT', 'ENCODING', k]);
  });

  diffTest(t, 'expired keys, WATCH, keyspace events, MONITOR, SLOWLOG, commandstats and CLIENT INFO', async (ctx) => {
    const d = ctx.d;
    const conns = [d.redust, d.reference];
    // An expired list: the push after it creates a new one.
    await both(ctx, [['RPUSH', 'gone', 'a', 'b', 'c'], ['PEXPIRE', 'gone', 5]]);
    await new Promise((r) => setTimeout(r, 30));
    await both(ctx, [['LPUSH', 'gone', 'n'], ['RPOP', 'gone'], ['LPUSH', 'gone', 'm'], ['LRANGE', 'gone', 0, -1]]);
    // commandstats calls (not usec) and CLIENT INFO's last command.
    for (const c of conns) await c.send('CONFIG', 'RESETSTAT');
    await both(ctx, [['RPUSH', 'l', 'a', 'b', 'c'], ['LPUSH', 'l', 'x'], ['LPUSH', 'l', 'y'], ['RPOP', 'l'], ['SADD', 's', 1], ['SADD', 's', 2], ['HSET', 'h', 'a', 1], ['HSET', 'h', 'b', 2, 'c', 3], ['LPUSH', 'l', 'z']]);
    await both(ctx, [['ZADD', 'z', 1, 'a', 2, 'b', 3, 'c'], ['ZADD', 'z', 4, 'd'], ['ZPOPMIN', 'z'], ['ZPOPMAX', 'z'], ['ZRANGE', 'z', 0, -1], ['LRANGE', 'l', 0, 1], ['LPOP', 'l'], ['SMEMBERS', 's'], ['HGETALL', 'h'], ['HGETALL', 'h'], ['GETBIT', 'nokey', 3], ['SCARD', 's']]);
    const names = 'lpush|rpush|lpop|rpop|sadd|hset|zadd|zpopmin|zpopmax|zrange|lrange|smembers|hgetall|getbit|scard';
    assert.equal(await callStats(d.redust, names), await callStats(d.reference, names));
    const cmdOf = async (c: RawConnection) => /cmd=(\S+)/.exec(text(await c.send('CLIENT', 'INFO')))?.[1];
    // (CLIENT INFO itself is the command running when it answers: compare the one before via a pipeline.)
    const ci = await Promise.all(conns.map(async (c) => (await pipeline(c, [['LPUSH', 'l', 'w'], ['CLIENT', 'INFO']]))[1]));
    assert.is(/cmd=(\S+)/.exec(ci[0])?.[1], /cmd=(\S+)/.exec(ci[1])?.[1]);
    assert.ok(await cmdOf(d.redust));
    // Keyspace events for pipelined pushes and pops (the lane stays off while they are on).
    const subs = await Promise.all(conns.map(async (c) => {
      await c.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
      const port = (c.socket.remotePort)!;
      const s = await RawConnection.connect(port);
      await s.send('PSUBSCRIBE', '__key*__:*');
      return s;
    }));
    await both(ctx, [['LPUSH', 'l', 'e1'], ['RPOP', 'l'], ['SADD', 's', 9], ['HSET', 'h', 'z', 1]]);
    for (const c of conns) await c.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    const evs = await Promise.all(subs.map(async (s) => {
      const out: string[] = [];
      for (let i = 0; i < 8; i++) out.push(renderNode(await s.next()));
      s.close();
      return out;
    }));
    assert.equal(evs[0], evs[1]);
    // WATCH by one client, pipelined writes by another: EXEC fails on both.
    const watchers = await Promise.all(conns.map((c) => RawConnection.connect(c.socket.remotePort!)));
    for (const w of watchers) {
      await w.send('WATCH', 'l');
      await w.send('MULTI');
      await w.send('LLEN', 'l');
    }
    await both(ctx, [['LPUSH', 'l', 'w1'], ['SADD', 's', 'w']]);
    const execs = await Promise.all(watchers.map(async (w) => renderNode(await w.send('EXEC'))));
    assert.equal(execs[0], execs[1]);
    for (const w of watchers) w.close();
    // MONITOR sees every pipelined command.
    const mons = await Promise.all(conns.map(async (c) => {
      const m = await RawConnection.connect(c.socket.remotePort!);
      await m.send('MONITOR');
      return m;
    }));
    await both(ctx, [['LPUSH', 'l', 'm1'], ['RPOP', 'l'], ['HSET', 'h', 'm', 1]], [], false);
    const seen = await Promise.all(mons.map(async (m) => {
      const out: string[] = [];
      for (let i = 0; i < 3; i++) out.push(text(await m.next()).replace(/^[\d.]+ \[\d+ [^\]]+\] /, ''));
      m.close();
      return out;
    }));
    assert.equal(seen[0], seen[1]);
    // SLOWLOG logging every command: the pushes are logged one by one, with their arguments.
    for (const c of conns) {
      await c.send('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
      await c.send('SLOWLOG', 'RESET');
    }
    await both(ctx, [['LPUSH', 'l', 's1'], ['SADD', 's', 's2'], ['HSET', 'h', 's3', 's4']], [], false);
    const logs = await Promise.all(conns.map(async (c) => {
      const r = await c.send('SLOWLOG', 'GET', 10);
      await c.send('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
      return items(r).map((e) => renderNode(items(e)[3])).reverse();
    }));
    assert.equal(logs[0], logs[1]);
  });

  t.run();
}
