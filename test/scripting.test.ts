/**
 * Lua scripting (EVAL family, SCRIPT): replies and error texts compared with real Redis 7.0, in
 * RESP2 and RESP3, plus behaviour the reference cannot show (time limit, atomicity in MULTI).
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { items, R, text } from './helpers/raw';


const E = (script: string, ...rest: string[]) => ['EVAL', script, '0', ...rest];

const VALUE_SCRIPTS = [
  'return 1',
  'return -3.7',
  'return 3.99',
  'return 1e100',
  'return 0/0',
  "return 'hello'",
  'return true',
  'return false',
  'return nil',
  "return {1, 2, {3, 'x'}, false, true}",
  'return {1, 2, nil, 4}',
  "return redis.status_reply('FINE')",
  "return redis.error_reply('FOO bar')",
  "return redis.error_reply('bar')",
  "return redis.error_reply('-bar baz')",
  "return {err='plain'}",
  'return {double=3.5}',
  "return {big_number='12345678901234567890'}",
  "return {map={a=1}}",
  "return {set={b=true}}",
  "return {verbatim_string={format='txt', string='hi'}}",
  "return {redis.error_reply('x'), redis.status_reply('y'), {double=1.5}}",
  'return redis.status_reply()',
  'return redis.error_reply(1)',
];

const ERROR_SCRIPTS = [
  "error('x')",
  'error(nil)',
  'error(12)',
  "error('x', 0)",
  "error({err='MY custom'})",
  "return redis.call('nosuch')",
  "return redis.call('set','k')",
  "return redis.call('eval','return 1','0')",
  "return redis.call('multi')",
  'return redis.call()',
  "return redis.call({})",
  "return redis.call('get', {})",
  "return redis.call('get', nil)",
  'return 1 +',
  'x = 5',
  '_G.x = 1',
  "rawset(_G, 'x', 1)",
  'return y',
  'return os',
  'return io',
  'return require',
  'return dofile',
  'return loadfile',
  'return print',
  'return getfenv',
  'return setfenv',
  'return redis.sha1hex()',
  // (non-tail calls: see docs/compatibility.md, Lua, error positions)
  'redis.setresp(4)',
  'redis.setresp()',
  'redis.log()',
  "redis.log('x','y')",
  "redis.log(99,'y')",
  'redis.set_repl(99)',
  'redis.set_repl()',
  "return redis.acl_check_cmd('nosuch')",
  'local r = math.random(0) return r',
  'local r = math.random(1,2,3) return r',
];

const COMPAT_SCRIPTS = [
  'return tostring(3.0)',
  'return tostring(10/2)',
  "return string.format('%d %s %x', 3.7, 2.0, 255.0)",
  'return unpack({1,2,3})',
  'return table.getn({1,2,3})',
  'return table.maxn({1,2})',
  'return math.pow(2,10)',
  'return math.mod(7,3)',
  'return type(loadstring)',
  "return loadstring('return 1')()",
  'return type(string.gfind)',
  'return type(table.unpack)',
  'return type(math.tointeger)',
  'return _VERSION',
  'return type(gcinfo)',
  "return select('#', unpack({1,nil,3}))",
  'return redis.sha1hex("abc")',
  'return redis.REDIS_VERSION',
  'return {redis.REPL_NONE,redis.REPL_AOF,redis.REPL_SLAVE,redis.REPL_REPLICA,redis.REPL_ALL,redis.LOG_DEBUG,redis.LOG_WARNING}',
  'return redis.replicate_commands()',
  'return redis.set_repl(redis.REPL_ALL)',
  'return redis.breakpoint()',
  "return redis.acl_check_cmd('get','x')",
  "return tostring(math.random()) .. ' ' .. math.random(100) .. ' ' .. math.random(5, 10)",
];

const LIB_SCRIPTS = [
  "return cjson.encode({1, 2, {a='b/c'}, 'x\\n\"y'})",
  "return cjson.encode({})",
  'return cjson.encode(3.5)',
  'return cjson.encode(1e20)',
  "return cjson.encode({[1]=1,[2]=2,[3]=nil,[4]=4})",
  "return cjson.decode('[1,2,3]')",
  "return cjson.decode('{\"a\":[1,2,{\"b\":\"c\"}]}').a[3].b",
  "return cjson.decode('\"\\\\u00e9\"')",
  "local v = cjson.decode('[1,2') return v",
  "local v = cjson.decode('nope') return v",
  'return cjson.encode(cjson.decode(\'[true,false,null,"x"]\'))',
  'return bit.tohex(65535)',
  'return bit.tohex(-1, -4)',
  'return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 3), bit.bnot(0), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.tobit(2^32 + 5)}',
  "return struct.pack('>I2', 258)",
  "return struct.pack('<i4 b', -2, 7)",
  "return {struct.unpack('>I2', struct.pack('>I2', 258))}",
  "return struct.size('>i4hb')",
  "return cmsgpack.pack({1, 2, 3})",
  "return cmsgpack.pack('abc', 300, -5, true)",
  "return cmsgpack.pack(1.5)",
  "return {cmsgpack.unpack(cmsgpack.pack({1, 2, 3}, 'x', 70000))}",
];

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('scripting', engine, { flushEach: false });

  t.before.each(async (ctx) => {
    await ctx.c.send('FLUSHALL');
    if (ctx.d) {
      await ctx.d.reference.send('FLUSHALL');
      await ctx.d.all([['SCRIPT', 'FLUSH']]);
    }
  });

  diffTest(t, 'script return values convert like Redis (RESP2 and RESP3)', async ({ d }) => {
    for (const s of VALUE_SCRIPTS) await d.check(E(s));
    await d.check(['HELLO', '3'], { typeOnly: true });
    for (const s of VALUE_SCRIPTS) await d.check(E(s), { deepUnordered: true });
    for (const s of VALUE_SCRIPTS) await d.check(E('redis.setresp(3) ' + s.replace(/^return /, 'return ')));
    await d.check(['HELLO', '2'], { typeOnly: true });
    for (const s of VALUE_SCRIPTS) await d.check(E('redis.setresp(3) ' + s));
  });

  diffTest(t, 'redis.call reply conversion in both protocols', async ({ d }) => {
    await d.all([
      ['SET', 's', 'v'],
      E("return redis.call('get', 's')"),
      E("return redis.call('get', 'nokey')"),
      E("return type(redis.call('get', 'nokey'))"),
      E("return redis.call('set', 'n', 3.14)"),
      E("return redis.call('get', 'n')"),
      E("return redis.call('incr', 'i')"),
      E("return redis.call('incr', 's')"),
      E("return redis.pcall('incr', 's')"),
      E("local r = redis.pcall('incr', 's') return r.err"),
      E("return pcall(redis.call, 'incr', 's')"),
      E("return redis.call('ping')"),
      E("return redis.call('ping').ok"),
      E("return redis.call('set','a','b')"),
      E("redis.setresp(3) return type(redis.call('get', 'nokey'))"),
      E("redis.setresp(3) return redis.call('get', 'nokey') == nil"),
      E("return redis.call('mget', 'a', 'nokey', 's')"),
      E("return redis.call('GET', 'a')"),
    ]);
  });

  diffTest(t, "a RESP3 map or set reply's Lua table lists its keys in Redis's order (grown from empty)", async ({ d }) => {
    // (Redust presized the table, which places colliding keys elsewhere than Redis's growth does:
    // XINFO GROUPS's consumers and pending came out swapped.)
    const E3 = (body: string, ...keys: string[]) => ['EVAL', `redis.setresp(3) ${body}`, String(keys.length), ...keys];
    await d.all([
      ['DEL', 'xs', 'hm'],
      ['XADD', 'xs', '1-1', 'f', 'v'],
      ['XGROUP', 'CREATE', 'xs', 'g2', '0'],
      ['XGROUP', 'CREATE', 'xs', 'g1', '$', 'ENTRIESREAD', '1'],
      E3("return redis.call('XINFO', 'GROUPS', KEYS[1])", 'xs'),
      E3("return redis.call('XINFO', 'STREAM', KEYS[1])", 'xs'),
      E3("local t = {} for k in pairs(redis.call('XINFO', 'GROUPS', KEYS[1])[2].map) do t[#t + 1] = k end return t", 'xs'),
      ['HSET', 'hm', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '6', 'g', '7'],
      E3("local t = {} for k in pairs(redis.call('HGETALL', KEYS[1]).map) do t[#t + 1] = k end return t", 'hm'),
    ]);
  });

  diffTest(t, 'script errors are formatted like Redis 7.0', async ({ d }) => {
    for (const s of ERROR_SCRIPTS) await d.check(E(s));
  });

  // Redis 7.0's unit/scripting "Consistent eval error reporting": a redis.call rejected before it
  // runs (OOM here) or a command's error counts in errorstats where it arises, even when
  // redis.pcall catches it; the script's error reply carrying it is not counted again, yet fails
  // the script's command (Redust counted nothing for a rejection and the inner errors only when the
  // script raised them).
  diffTest(t, 'errorstats and command stats of errors inside scripts (rejections, command errors, pcall)', async ({ d }) => {
    const digest = async (conn: typeof d.redust) => {
      const info = text(await conn.send('INFO', 'everything'));
      const lines = info.split('\r\n').filter((l) => /^(errorstat_|total_error_replies)/.test(l) || /^cmdstat_(set|eval|eval_ro|select|get):/.test(l));
      // (commandstats lines in name order: Redis lists them in its dict's order)
      return lines.map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort().join('\n');
    };
    const cases: { maxmemory: string; cmd: string[] }[] = [
      { maxmemory: '1', cmd: ['EVAL', "return redis.call('set','x','y')", '1', 'x'] },
      { maxmemory: '1', cmd: ['EVAL', "local t = redis.pcall('set','x','y') return t['err']", '1', 'x'] },
      { maxmemory: '1', cmd: ['EVAL', "return redis.pcall('set','x','y')", '1', 'x'] },
      { maxmemory: '0', cmd: ['EVAL', "return redis.call('select',99)", '0'] },
      { maxmemory: '0', cmd: ['EVAL', "local t = redis.pcall('select',99) return t['err']", '0'] },
      { maxmemory: '0', cmd: ['EVAL_RO', "return redis.call('set','x','y')", '1', 'x'] },
      { maxmemory: '0', cmd: ['EVAL', "return redis.pcall('nosuchcommand')", '0'] },
      { maxmemory: '0', cmd: ['EVAL', "return redis.call('get','x','y')", '0'] },
      { maxmemory: '0', cmd: ['EVAL', "error('plain')", '0'] },
    ];
    for (const { maxmemory, cmd } of cases) {
      for (const conn of [d.redust, d.reference]) {
        await conn.send('CONFIG', 'SET', 'maxmemory', maxmemory);
        await conn.send('CONFIG', 'RESETSTAT');
      }
      await d.check(cmd);
      for (const conn of [d.redust, d.reference]) await conn.send('CONFIG', 'SET', 'maxmemory', '0');
      assert.is(await digest(d.redust), await digest(d.reference), cmd.join(' '));
    }
  });

  diffTest(t, 'numkeys, EVALSHA, NOSCRIPT, SCRIPT subcommands', async ({ d }) => {
    await d.all([
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', '2', 'a'],
      ['EVAL', 'return 1', 'abc'],
      ['EVAL', 'return {KEYS[1], KEYS[2], ARGV[1], #KEYS, #ARGV}', '2', 'k1', 'k2', 'a1'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['EVALSHA', 'fff', '0'],
      ['SCRIPT', 'LOAD', 'return ARGV[1]'],
      ['EVALSHA', '6e4dd6127da8c50ad5cc7c1f2d3a0a9e3e5bd7e9', '0', 'x'],
      ['SCRIPT', 'LOAD', 'return 1 +'],
      ['SCRIPT', 'EXISTS', '6e4dd6127da8c50ad5cc7c1f2d3a0a9e3e5bd7e9', 'ffffffffffffffffffffffffffffffffffffffff'],
      ['SCRIPT', 'FLUSH', 'foo'],
      ['SCRIPT', 'FLUSH', 'ASYNC'],
      ['SCRIPT', 'EXISTS', '6e4dd6127da8c50ad5cc7c1f2d3a0a9e3e5bd7e9'],
      ['SCRIPT', 'KILL'],
      ['FUNCTION', 'KILL'],
      ['SCRIPT', 'HELP'],
      ['EVAL_RO', "return redis.call('set','a','b')", '0'],
      ['EVAL_RO', "return redis.call('get','a')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('set','a','b')", '0'],
      ['EVAL', "#!lua\nreturn redis.call('set','a','b')", '0'],
      ['EVAL', '#!lua flags=foo\nreturn 1', '0'],
      ['EVAL', '#!lua foo=bar\nreturn 1', '0'],
      ['EVAL', '#!js\nreturn 1', '0'],
      ['EVAL', '#!lua\nreturn 1 +', '0'],
    ]);
    // uppercase sha works
    const sha = await d.check(['SCRIPT', 'LOAD', 'return 42']);
    await d.check(['EVALSHA', String((sha as { v: unknown }).v).toUpperCase(), '0']);
  });

  diffTest(t, 'Lua 5.1 compatibility shims', async ({ d }) => {
    for (const s of COMPAT_SCRIPTS) await d.check(E(s));
  });

  diffTest(t, 'cjson, bit, struct, cmsgpack', async ({ d }) => {
    for (const s of LIB_SCRIPTS) await d.check(E(s));
  });

  diffTest(t, 'documented scripts: rate limiter and lock release', async ({ d }) => {
    const release = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
    await d.all([
      ['SET', 'lock', 'token1'],
      ['EVAL', release, '1', 'lock', 'other'],
      ['EVAL', release, '1', 'lock', 'token1'],
      ['EXISTS', 'lock'],
    ]);
    const limiter = [
      'local current = redis.call("incr", KEYS[1])',
      'if current == 1 then redis.call("expire", KEYS[1], ARGV[1]) end',
      'if current > tonumber(ARGV[2]) then return redis.error_reply("rate limited") end',
      'return current',
    ].join('\n');
    for (let i = 0; i < 5; i++) await d.check(['EVAL', limiter, '1', 'rl', '60', '3']);
    await d.check(['TTL', 'rl']);
  });

  diffTest(t, 'scripts inside MULTI/EXEC and globals do not leak between scripts', async ({ d }) => {
    await d.all([
      ['MULTI'],
      ['EVAL', "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", '1', 'm', 'v'],
      ['EVAL', 'return 1 +', '0'],
      ['EVAL', "return redis.call('incr', 'm')", '0'],
      ['EXEC'],
      ['MULTI'],
      ['EVAL', 'return 1 +', '0', 'extra'],
      ['EXEC'],
      ['EVAL', 'local t = {} t.x = 1 return t.x', '0'],
      ['EVAL', "return type(redis.call)", '0'],
      ['EVAL', "redis.call = nil", '0'],
      ['EVAL', "string.foo = 1", '0'],
      ['EVAL', "return redis.call('ping')", '0'],
    ]);
  });

  // Redust reuses the previous call's KEYS/ARGV tables when they were left as made: every way a
  // script can change them must give the next call fresh-looking tables.
  const SHOW = "local n = 0 for k in pairs(KEYS) do n = n + 1 end local m = 0 for k in pairs(ARGV) do m = m + 1 end " +
    "return {#KEYS, n, KEYS[1] or 'nil', KEYS[2] or 'nil', #ARGV, m, ARGV[1] or 'nil', ARGV[2] or 'nil', tostring(getmetatable(KEYS)), tostring(getmetatable(ARGV))}";
  const MUTATORS = [
    "KEYS[1] = 'z' ARGV[1] = 'y'",
    "KEYS[1] = nil ARGV[1] = nil",
    "KEYS[3] = 'x' ARGV[3] = 'w'",
    "KEYS.foo = 1 ARGV.bar = 2",
    "KEYS.foo = 1 KEYS.foo = nil",
    "table.insert(KEYS, 'i') table.remove(ARGV)",
    "setmetatable(KEYS, {__index = function() return 'meta' end}) setmetatable(ARGV, {})",
    "KEYS[1] = {} ARGV[1] = 5",
    "KEYS[1] = nil KEYS[2] = nil KEYS.q = 1 KEYS.q = nil",
    "KEYS[#KEYS] = nil ARGV[#ARGV + 1] = 'q'",
    "KEYS[4] = nil ARGV[2] = nil",
    "for i = 1, 40 do KEYS[i] = i end",
  ];
  // Longer tables (reused up to 64 elements: setKeysAndArgv), every element shown.
  const SHOW_ALL = "local n = 0 for k in pairs(KEYS) do n = n + 1 end local m = 0 for k in pairs(ARGV) do m = m + 1 end " +
    "local r = {#KEYS, n, #ARGV, m} for i = 1, 12 do r[#r + 1] = type(KEYS[i]) == 'string' and KEYS[i] or type(KEYS[i]) " +
    "r[#r + 1] = type(ARGV[i]) == 'string' and ARGV[i] or type(ARGV[i]) end return r";
  diffTest(t, "compile errors quote a stray byte as 5.1 does: char(N) for a control character, the byte itself otherwise", async ({ d }) => {
    // (bytes 1-5 are left out: the front end uses them for 5.4-only operators, docs/compatibility.md)
    for (const byte of [0x06, 0x07, 0x0b, 0x1f, 0x24, 0x40, 0x60, 0x7f, 0x80, 0xa0, 0xc3, 0xff]) {
      for (const pre of ['return ', 'x = 1 ', 'local a = {']) {
        await d.check(['EVAL', Buffer.concat([Buffer.from(pre), Buffer.from([byte])]), '0']);
        await d.check(['FUNCTION', 'LOAD', Buffer.concat([Buffer.from('#!lua name=l\n' + pre), Buffer.from([byte])])]);
      }
    }
  });

  diffTest(t, 'a RESP3 array with nulls is a Lua table with holes whose #t is the border 5.1 finds', async ({ d }) => {
    await d.check(['MSET', 'a', '1', 'b', '2']);
    const script = "redis.setresp(3) local t = redis.call('MGET', unpack(ARGV)) local n = 0 for k in pairs(t) do n = n + 1 end return {#t, n}";
    for (const keys of ['axb', 'abx', 'xabxbxxa', 'axxxxxxb', 'abbxabbax', 'axbxaxbaxbbxxaaax', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxa', 'abababababababababxxxxxxxxxxxx']) {
      await d.check(['EVAL', script, '0', ...keys.split('').map((k) => (k === 'x' ? 'missing' : k))]);
    }
  });

  diffTest(t, 'KEYS and ARGV are fresh tables on every call', async ({ d }) => {
    for (const m of MUTATORS) {
      for (const [nk, args] of [['1', ['a', 'b']], ['2', ['a', 'b', 'c']], ['0', []], ['1', ['a']]] as [string, string[]][]) {
        await d.check(['EVAL', SHOW, nk, ...args]);
        await d.check(['EVAL', m + ' return 1', nk, ...args]);
        await d.check(['EVAL', SHOW, nk, ...args]);
        await d.check(['EVAL', SHOW, '1', 'other']);
      }
      for (const [nk, args] of [['5', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']], ['5', ['a', 'b', 'c', 'd', 'e', 'f']], ['3', ['a', 'b', 'c', 'd', 'e', 'f']]] as [string, string[]][]) {
        await d.check(['EVAL', SHOW_ALL, nk, ...args]);
        await d.check(['EVAL', m + ' return 1', nk, ...args]);
        await d.check(['EVAL', SHOW_ALL, nk, ...args]);
        await d.check(['EVAL', SHOW_ALL, '1', 'other']);
      }
    }
  });

  t('KEYS and ARGV are fresh tables on every call (without the reference)', async ({ c }) => {
    const fresh = (k: string[], a: string[]) => R.arr(R.int(k.length), R.int(k.length), R.bulk(k[0] ?? 'nil'), R.bulk(k[1] ?? 'nil'), R.int(a.length), R.int(a.length), R.bulk(a[0] ?? 'nil'), R.bulk(a[1] ?? 'nil'), R.bulk('nil'), R.bulk('nil'));
    for (const m of MUTATORS) {
      assert.equal(await c.send('EVAL', SHOW, '1', 'a', 'b'), fresh(['a'], ['b']));
      await c.send('EVAL', m + ' return 1', '1', 'a', 'b');
      assert.equal(await c.send('EVAL', SHOW, '1', 'a', 'b'), fresh(['a'], ['b']), m);
      await c.send('EVAL', m + ' return 1', '2', 'a', 'b');
      assert.equal(await c.send('EVAL', SHOW, '2', 'a', 'b'), fresh(['a', 'b'], []), m);
    }
  });

  t('TIME inside a script is the real time (a loop waiting on it ends), while keys keep the start time', async ({ c }) => {
    // Redis's TIME calls gettimeofday; only key expiry uses the script's frozen start time.
    const wait = `local t0 = redis.call('TIME')
      local n = 0
      while true do
        n = n + 1
        local t = redis.call('TIME')
        local us = (t[1] - t0[1]) * 1000000 + (t[2] - t0[2])
        if us >= 30000 then return {1, n} end
        if us < 0 then return {-1, n} end
      end`;
    assert.equal(items(await c.send('EVAL', wait, '0'))[0], R.int(1));
    const [s, us] = items(await c.send('TIME')).map((x) => Number(text(x)));
    assert.ok(Math.abs(s * 1000 + us / 1000 - Date.now()) < 2000, 'TIME is the wall clock');
    assert.ok(us >= 0 && us < 1e6);
  });

  t('binary-safe arguments and replies', async ({ c }) => {
    const bin = Buffer.from([0, 1, 0xff, 13, 10, 0x80]);
    assert.equal(await c.send('EVAL', 'return ARGV[1]', '0', bin), R.bulk(bin));
    assert.equal(await c.send('EVAL', "redis.call('set', KEYS[1], ARGV[1]) return redis.call('get', KEYS[1])", '1', bin, bin), R.bulk(bin));
    assert.equal(await c.send('EVAL', 'return #ARGV[1]', '0', bin), R.int(6));
  });

  t('an allocation past the Lua heap (2 GB) is "not enough memory", never a write past the memory (without the reference)', async ({ c }) => {
    // A request of 2 GB or more reached emscripten_resize_heap as a negative i32: it "grew" the
    // heap by half and reported success, and dlmalloc then wrote past the end ("memory access out
    // of bounds"). (Redis on 64 bits could allocate it, or abort when the allocation fails.)
    for (const script of ["return #string.rep('x', 2^31 - 1)", "return #string.rep('x', 2^31 - 100000)"]) {
      const r = await c.send('EVAL', script, '0');
      assert.is(r.t, 'error', script);
      assert.match(String((r as { v: string }).v), /^ERR not enough memory script: /, script);
    }
    assert.equal(await c.send('EVAL', "local t = {} for i = 1, 1000 do t[i] = tostring(i) end return #table.concat(t)", '0'), R.int(2893));
  });

  t('script-hard-time-limit kills a runaway script (embedded safety net) and the server keeps serving', async ({ c }) => {
    // Redis-compatible BUSY / SCRIPT KILL behaviour is tested in busy-script.test.ts (out of process).
    assert.equal(await c.send('CONFIG', 'SET', 'busy-reply-threshold', '100'), R.ok);
    assert.equal(await c.send('CONFIG', 'SET', 'script-hard-time-limit', '300'), R.ok);
    const start = Date.now();
    const r = await c.send('EVAL', 'local i = 0 while true do i = i + 1 end', '0');
    assert.is(r.t, 'error');
    assert.ok(String((r as { v: string }).v).startsWith('ERR Script killed by user with SCRIPT KILL...'));
    assert.ok(Date.now() - start < 5000);
    // pcall cannot swallow the kill
    const r2 = await c.send('EVAL', 'while true do pcall(function() while true do end end) end', '0');
    assert.is(r2.t, 'error');
    assert.equal(await c.send('EVAL', 'return 7', '0'), R.int(7));
    assert.equal(await c.send('CONFIG', 'SET', 'busy-reply-threshold', '5000'), R.ok);
    assert.equal(await c.send('CONFIG', 'SET', 'script-hard-time-limit', '60000'), R.ok);
  });

  t.run();
}
