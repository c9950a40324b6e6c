/**
 * Redis Functions (FUNCTION *, FCALL, FCALL_RO): replies and error texts compared with real Redis
 * 7.0 in RESP2 and RESP3, plus FUNCTION DUMP/RESTORE in Redis's payload format (FUNCTION2 records,
 * RDB version, CRC64): a Redis dump restores in Redust and the other way round, and crafted
 * payloads get Redis's errors.
 */
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';
import { normalize } from './helpers/diff';
import { RawConnection, R } from './helpers/raw';
import { RespNode, renderNode } from '../src/protocol/resp-reader';


/** A library source: shebang line + body lines. */
const lib = (shebang: string, ...body: string[]) => [shebang, ...body].join('\n');

const MAIN_LIB = lib(
  '#!lua name=mainlib',
  'redis.register_function("echo", function(keys, args) return {keys, args, #keys, #args} end)',
  'redis.register_function("globals", function(keys, args) return KEYS end)',
  'redis.register_function("boom", function(keys, args) error("boom") end)',
  'redis.register_function("incr", function(keys, args) return redis.call("incr", keys[1]) end)',
  'redis.register_function("myerr", function(keys, args) return redis.error_reply("MY err") end)',
  'redis.register_function("nocmd", function(keys, args) return redis.call("nosuch") end)',
  'redis.register_function("setglobal", function(keys, args) x = 1 end)',
  'redis.register_function("set", function(keys, args) return redis.call("set", keys[1], args[1]) end)',
  'redis.register_function{function_name="ro_set", callback=function(keys, args) return redis.call("set", keys[1], args[1]) end, flags={"no-writes"}}',
  'redis.register_function{function_name="ro_pset", callback=function(keys, args) return redis.pcall("set", keys[1], args[1]) end, flags={"no-writes"}}',
  'redis.register_function{function_name="ro_get", callback=function(keys, args) return redis.call("get", keys[1]) end, flags={"no-writes"}, description="reads a key"}',
  'redis.register_function("nested", function(keys, args) return redis.call("fcall", "echo", 0) end)',
  'redis.register_function("loadfn", function(keys, args) return redis.call("function", "flush") end)',
  'redis.register_function("types", function(keys, args) return {1, 2.5, "s", true, false, {ok="fine"}, {err="E x"}} end)',
  'redis.register_function("dbl", function(keys, args) return {double=1.5} end)',
  'redis.register_function("rnd", function(keys, args) return math.random(10) >= 1 end)',
  'redis.register_function("hgetall3", function(keys, args) redis.setresp(3) return redis.call("hgetall", keys[1]) end)',
  'redis.register_function("binary", function(keys, args) return args[1] .. keys[1] end)',
);

/** Library sources whose FUNCTION LOAD reply (name or error) must match Redis. */
const LOAD_CASES: string[] = [
  // metadata
  'return 1',
  '',
  '#!lua name=l1',
  '#!lua\nreturn 1',
  '#!\nreturn 1',
  '#! lua name=l1\nreturn 1',
  '#!lua name=l1 name=l2\nreturn 1',
  '#!lua name=l1 foo=bar\nreturn 1',
  '#!lua name=l-1\nreturn 1',
  '#!lua name=\nreturn 1',
  '#!lua name=l1\x00x\nreturn 1',
  '#!foo name=l1\nreturn 1',
  '#!foo\nreturn 1',
  '#!foo name=bad-name\nreturn 1',
  '#!lua name="l1\nreturn 1',
  "#!lua name='l1'x\nreturn 1",
  // accepted shebang spellings
  "#!LUA name=l1\nredis.register_function('a', function() return 1 end)",
  "#!lua NAME=l1\nredis.register_function('a', function() return 1 end)",
  "#!lua  name=l1 \nredis.register_function('a', function() return 1 end)",
  "#!lua name=l1\r\nredis.register_function('a', function() return 1 end)",
  "#!lua\tname=l1\nredis.register_function('a', function() return 1 end)",
  "#!lua name=\"l1\"\nredis.register_function('a', function() return 1 end)",
  "#!lua name=l1\nredis.register_function(1, function() return 1 end)",
  "#!lua name=l1\nredis.register_function('a', function() return 1 end) redis.register_function('A', function() return 1 end)",
  "#!lua name=l1\nredis.log(redis.LOG_WARNING, 'loading') redis.register_function('a', function() return 1 end)",
  "#!lua name=l1\nlocal v = redis.REDIS_VERSION redis.register_function('a', function() return v end)",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() return 1 end, flags={'no-writes','allow-oom','allow-stale','no-cluster','allow-cross-slot-keys'}}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() return 1 end, flags={}}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() return 1 end, description=5}",
  // body errors
  '#!lua name=l1\nreturn 1',
  '#!lua name=l1\nreturn 1 +',
  '#!lua name=l1\nx = 1',
  "#!lua name=l1\nerror('boom')",
  "#!lua name=l1\nerror({err='MY boom'})",
  '#!lua name=l1\nlocal t = os.time()',
  '#!lua name=l1\nlocal t = math.random()',
  "#!lua name=l1\nlocal t = redis.sha1hex('a')",
  "#!lua name=l1\nlocal t = cjson.encode({1})",
  "#!lua name=l1\nredis.call('ping')",
  "#!lua name=l1\nredis.pcall('ping')",
  '#!lua name=l1\nreturn redis.setresp(3)',
  "#!lua name=l1\nredis.register_function('a', function() return 1 end) redis.register_function('b', function() return 1 end) error('late')",
  // register_function argument errors
  '#!lua name=l1\nredis.register_function()',
  "#!lua name=l1\nredis.register_function('a')",
  "#!lua name=l1\nredis.register_function('a', 'b')",
  '#!lua name=l1\nredis.register_function({}, function() end)',
  "#!lua name=l1\nredis.register_function('a', function() end, 3)",
  "#!lua name=l1\nredis.register_function('a b', function() end)",
  "#!lua name=l1\nredis.register_function('', function() end)",
  "#!lua name=l1\nredis.register_function('a', function() end) redis.register_function('a', function() end)",
  '#!lua name=l1\nredis.register_function(5)',
  '#!lua name=l1\nredis.register_function{}',
  "#!lua name=l1\nredis.register_function{function_name='a'}",
  '#!lua name=l1\nredis.register_function{callback=function() end}',
  "#!lua name=l1\nredis.register_function{function_name='a', callback=5}",
  '#!lua name=l1\nredis.register_function{function_name={}, callback=function() end}',
  "#!lua name=l1\nredis.register_function{function_name='a-b', callback=function() end}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() end, flags='x'}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() end, flags={'x'}}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() end, flags={1}}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() end, description={}}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() end, foo=1}",
  "#!lua name=l1\nredis.register_function{function_name='a', callback=function() end, [1]=1}",
];

function bulkOf(n: RespNode): Buffer {
  assert.is(n.t, 'bulk', `expected a bulk reply, got ${renderNode(n)}`);
  return (n as { v: Buffer }).v;
}

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('functions', engine, { flushEach: false });

  t.before.each(async (ctx) => {
    await ctx.c.send('FLUSHALL');
    await ctx.c.send('FUNCTION', 'FLUSH');
    if (ctx.d) {
      await ctx.d.all([['HELLO', '2']], { typeOnly: true });
      await ctx.d.reference.send('FLUSHALL');
      await ctx.d.reference.send('FUNCTION', 'FLUSH');
    }
  });

  diffTest(t, 'DEBUG RELOAD NOFLUSH refuses a library already loaded; with MERGE the file replaces it and keys merge (Redis unit/functions)', async ({ d }) => {
    await d.all([
      ['FUNCTION', 'LOAD', "#!lua name=test\nredis.register_function('test', function() return 'v1' end)"],
      ['DEBUG', 'RELOAD', 'NOFLUSH'],
      ['DEBUG', 'RELOAD', 'NOFLUSH', 'MERGE'],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'DELETE', 'test'],
      ['SET', 'x', '1'],
      ['SET', 'y', '1', 'EX', '1000'],
      ['FUNCTION', 'LOAD', "#!lua name=test1\nredis.register_function('test1', function() return 'hello' end)"],
      ['DEBUG', 'RELOAD'],
      ['FUNCTION', 'LOAD', "#!lua name=test2\nredis.register_function('test2', function() return 'hello' end)"],
      ['SET', 'x', '2'],
      ['PERSIST', 'y'],
      ['SET', 'z', '3'],
      ['DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'],
      ['FCALL', 'test1', '0'],
      ['FCALL', 'test2', '0'],
      ['MGET', 'x', 'y', 'z'],
      ['TTL', 'y'],
      ['DEBUG', 'RELOAD', 'NOPE'],
    ]);
  });

  diffTest(t, "FUNCTION LOAD whose code runs past 500 ms stops with Redis's load timeout error (Redis unit/functions)", async ({ d }) => {
    await d.all([
      ['FUNCTION', 'LOAD', '#!lua name=lib\nlocal a = 1\nwhile 1 do a = a + 1 end'],
      ['FUNCTION', 'LIST'],
      ['PING'],
    ]);
  });

  diffTest(t, 'FUNCTION LOAD: metadata, body and register_function errors match Redis', async ({ d }) => {
    for (const code of LOAD_CASES) {
      await d.check(['FUNCTION', 'LOAD', code]);
      await d.check(['FUNCTION', 'FLUSH']);
    }
  });

  diffTest(t, 'EVAL shebang lines are split like Redis (sdssplitargs), as FUNCTION LOAD metadata is', async ({ d }) => {
    const shebangs = [
      '#!lua\r\nreturn 1',
      '#!lua\tflags=no-writes\nreturn 1',
      '#!lua  flags=no-writes \nreturn 1',
      '#!lua flags="no-writes"\nreturn 1',
      '#!lua flags="no-writes\nreturn 1',
      "#!lua 'flags=no-writes'x\nreturn 1",
      '#! lua\nreturn 1',
      '#!\nreturn 1',
      '#!lua',
      '#!lua\x00\nreturn 1',
      '#!lua flags=no-writes,,allow-oom\nreturn 1',
      '#!lua flags=\nreturn 1',
      '#!lua flags=no-writes flags=allow-oom\nreturn 1',
      '#!lua "flags=no-writes"\nreturn redis.call("set", "x", "y")',
      '#!lua flags=No-Writes\nreturn 1',
      '#!LUA\nreturn 1',
      '#!lua name=x\nreturn 1',
    ];
    for (const s of shebangs) {
      await d.check(['EVAL', s, '0']);
      await d.check(['SCRIPT', 'LOAD', s]);
    }
  });

  diffTest(t, 'FUNCTION LOAD: REPLACE, option errors, name clashes between libraries', async ({ d }) => {
    const v1 = lib('#!lua name=lib1', "redis.register_function('f1', function() return 1 end)");
    const v2 = lib('#!lua name=lib1', "redis.register_function('f1', function() return 2 end)", "redis.register_function('f1b', function() return 22 end)");
    const v3 = lib('#!lua name=lib1', "redis.register_function('g', function() return 3 end)");
    const other = lib('#!lua name=lib2', "redis.register_function('f1', function() return 'other' end)");
    await d.all([
      ['FUNCTION', 'LOAD'],
      ['FUNCTION', 'LOAD', 'REPLACE'],
      ['FUNCTION', 'LOAD', v1],
      ['FCALL', 'f1', '0'],
      ['FUNCTION', 'LOAD', v2],
      ['FUNCTION', 'LOAD', 'FOO', v2],
      ['FUNCTION', 'LOAD', v2, 'REPLACE'],
      ['FUNCTION', 'LOAD', 'REPLACE', v2],
      ['FCALL', 'f1', '0'],
      ['FCALL', 'f1b', '0'],
      ['FUNCTION', 'LOAD', 'replace', 'REPLACE', v3],
      ['FCALL', 'f1', '0'],
      ['FCALL', 'f1b', '0'],
      ['FCALL', 'g', '0'],
      ['FUNCTION', 'LOAD', 'REPLACE', v1],
      // a function name used by another library: refused, and lib1 is left as it was
      ['FUNCTION', 'LOAD', other],
      ['FUNCTION', 'LOAD', 'REPLACE', other],
      ['FCALL', 'f1', '0'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'lib2'],
      ['FUNCTION', 'LOAD', 'REPLACE', lib('#!lua name=lib1', 'return 1 +')],
      ['FCALL', 'f1', '0'],
    ]);
  });

  diffTest(t, 'FCALL / FCALL_RO: numkeys, keys and args, flags, errors (RESP2 and RESP3)', async ({ d }) => {
    await d.check(['FUNCTION', 'LOAD', MAIN_LIB]);
    const calls: string[][] = [
      ['echo', '2', 'k1', 'k2', 'a1', 'a2', 'a3'],
      ['echo', '0'],
      ['echo', '0', 'a'],
      ['echo', '1', 'k'],
      ['echo', '2', 'k'],
      ['echo', '-1', 'k'],
      ['echo', 'x', 'k'],
      ['echo', '1.5', 'k'],
      ['echo', '99999999999999999999'],
      ['nosuch', '0'],
      ['nosuch', 'x'],
      ['globals', '0'],
      ['boom', '0'],
      ['incr', '1', 'counter'],
      ['set', '1', 'str', 'v'],
      ['incr', '1', 'str'],
      ['myerr', '0'],
      ['nocmd', '0'],
      ['setglobal', '0'],
      ['ro_set', '1', 'str', 'w'],
      ['ro_pset', '1', 'str', 'w'],
      ['ro_get', '1', 'str'],
      ['ro_get', 'x', 'str'],
      ['nested', '0'],
      ['loadfn', '0'],
      ['types', '0'],
      ['dbl', '0'],
      ['rnd', '0'],
      ['hgetall3', '1', 'nohash'],
      ['binary', '1', 'k', 'a'],
    ];
    for (const proto of ['2', '3']) {
      await d.check(['HELLO', proto], { typeOnly: true });
      await d.check(['HSET', 'h', 'f', 'v']);
      for (const c of calls) {
        await d.check(['FCALL', ...c]);
        await d.check(['FCALL_RO', ...c]);
      }
      await d.check(['FCALL', 'hgetall3', '1', 'h']);
      await d.check(['FCALL_RO', 'ro_get', '1', 'str']);
      await d.check(['GET', 'str']);
      await d.check(['FCALL'], {});
      await d.check(['FCALL', 'echo']);
      await d.check(['FCALL_RO', 'echo']);
    }
  });

  t('FCALL: binary-safe keys and arguments; functions see no KEYS/ARGV globals', async ({ c }) => {
    assert.is(bulkOf(await c.send('FUNCTION', 'LOAD', MAIN_LIB)).toString(), 'mainlib');
    const bin = Buffer.from([0, 0xff, 13, 10, 0x80]);
    assert.equal(await c.send('FCALL', 'binary', '1', bin, bin), R.bulk(Buffer.concat([bin, bin])));
    assert.equal(await c.send('FCALL', 'set', '1', bin, bin), R.ok);
    assert.equal(await c.send('GET', bin), R.bulk(bin));
    assert.equal(await c.send('FCALL_RO', 'ro_get', '1', bin), R.bulk(bin));
    const r = await c.send('FCALL', 'globals', '0');
    assert.is(r.t, 'error');
  });

  diffTest(t, 'error and status replies made from binary strings: raw bytes up to the first NUL, CR/LF as spaces', async ({ d }) => {
    // (Redis reads their text as a C string; Redust decoded it as UTF-8, 0xff becoming 0xfd.)
    await d.check(['FUNCTION', 'LOAD', 'REPLACE', lib(
      '#!lua name=errtext',
      "redis.register_function('err', function(keys, args) return redis.error_reply('MYERR bad ' .. args[1]) end)",
      "redis.register_function('errtable', function(keys, args) return {err = args[1]} end)",
      "redis.register_function('raise', function(keys, args) error(args[1]) end)",
      "redis.register_function('raisetable', function(keys, args) error({err = args[1], source = args[1], line = 1}) end)",
      "redis.register_function('status', function(keys, args) return redis.status_reply(args[1]) end)",
    )]);
    for (const arg of [Buffer.from([0, 0xff, 13, 10]), Buffer.from('a\xffb\x00c', 'latin1'), Buffer.from('a\xe9\r\nb\x80', 'latin1'), Buffer.from([0xc3, 0xa9, 0xff])]) {
      for (const f of ['err', 'errtable', 'raise', 'raisetable', 'status']) await d.check(['FCALL', f, '0', arg]);
      await d.check(['EVAL', 'return redis.error_reply(ARGV[1])', '0', arg]);
      await d.check(['EVAL', 'return {ok = ARGV[1]}', '0', arg]);
    }
  });

  diffTest(t, 'FCALL inside MULTI, EVAL and FUNCTION from scripts', async ({ d }) => {
    await d.check(['FUNCTION', 'LOAD', MAIN_LIB]);
    await d.all([
      ['MULTI'],
      ['FCALL', 'set', '1', 'k', 'v1'],
      ['FCALL_RO', 'ro_get', '1', 'k'],
      ['FCALL', 'boom', '0'],
      ['FCALL', 'nosuch', '0'],
      ['EXEC'],
      ['MULTI'],
      ['FCALL'],
      ['EXEC'],
      ['EVAL', "return redis.call('fcall', 'echo', '0')", '0'],
      ['EVAL', "return redis.call('fcall_ro', 'ro_get', '1', 'k')", '0'],
      ['EVAL', "return redis.call('function', 'list')", '0'],
      ['EVAL', "return redis.call('function', 'load', 'x')", '0'],
      ['EVAL', "return redis.call('function', 'stats')", '0'],
      ['EVAL', "return redis.pcall('function', 'flush')", '0'],
    ]);
  });

  diffTest(t, 'FUNCTION LIST: WITHCODE, LIBRARYNAME (glob, case-insensitive), errors, RESP3', async ({ d }) => {
    const libA = lib('#!lua name=alpha', "redis.register_function{function_name='a1', callback=function() return 1 end, flags={'no-writes', 'allow-stale'}, description='first \u00e9'}", "redis.register_function('a2', function() return 2 end)");
    const libB = lib('#!lua name=Beta_2', "redis.register_function('b1', function() return 1 end)");
    await d.all([['FUNCTION', 'LIST'], ['FUNCTION', 'LOAD', libA], ['FUNCTION', 'LOAD', libB]]);
    for (const proto of ['2', '3']) {
      await d.check(['HELLO', proto], { typeOnly: true });
      await d.all(
        [
          ['FUNCTION', 'LIST'],
          ['FUNCTION', 'LIST', 'WITHCODE'],
          ['FUNCTION', 'LIST', 'withcode', 'LIBRARYNAME', 'alpha'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', 'alpha', 'WITHCODE'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', 'ALPHA'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', 'beta*'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', '*a*'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', '?eta_[0-9]'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', ''],
          ['FUNCTION', 'LIST', 'LIBRARYNAME'],
          ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME'],
          ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
          ['FUNCTION', 'LIST', 'LIBRARYNAME', 'a', 'LIBRARYNAME', 'b'],
          ['FUNCTION', 'LIST', 'foo'],
        ],
        { deepUnordered: true },
      );
    }
  });

  diffTest(t, 'FUNCTION DELETE, FLUSH [ASYNC|SYNC], STATS, KILL, HELP', async ({ d }) => {
    const l1 = lib('#!lua name=l1', "redis.register_function('f1', function() return 1 end)", "redis.register_function('f2', function() return 2 end)");
    const l2 = lib('#!lua name=l2', "redis.register_function('g1', function() return 1 end)");
    for (const proto of ['2', '3']) {
      await d.check(['HELLO', proto], { typeOnly: true });
      await d.all([
        ['FUNCTION', 'STATS'],
        ['FUNCTION', 'LOAD', l1],
        ['FUNCTION', 'LOAD', l2],
        ['FUNCTION', 'STATS'],
        ['FUNCTION', 'DELETE', 'nosuch'],
        ['FUNCTION', 'DELETE', 'L1'],
        ['FUNCTION', 'DELETE', 'l1'],
        ['FUNCTION', 'DELETE', 'l1'],
        ['FCALL', 'f1', '0'],
        ['FCALL', 'g1', '0'],
        ['FUNCTION', 'STATS'],
        ['FUNCTION', 'DELETE'],
        ['FUNCTION', 'DELETE', 'a', 'b'],
        ['FUNCTION', 'FLUSH', 'foo'],
        ['FUNCTION', 'FLUSH', 'sync', 'async'],
        ['FUNCTION', 'FLUSH', 'ASYNC'],
        ['FUNCTION', 'STATS'],
        ['FUNCTION', 'LOAD', l1],
        ['FUNCTION', 'FLUSH', 'sync'],
        ['FCALL', 'f1', '0'],
        ['FUNCTION', 'LOAD', l1],
        ['FUNCTION', 'FLUSH'],
        ['FUNCTION', 'LIST'],
        ['FUNCTION', 'STATS', 'x'],
        ['FUNCTION', 'KILL'],
        ['FUNCTION', 'KILL', 'x'],
        ['FUNCTION', 'HELP'],
        ['FUNCTION', 'HELP', 'x'],
        ['FUNCTION', 'NOSUCH'],
        ['FUNCTION'],
        ['FUNCTION', 'DUMP', 'x'],
        ['FUNCTION', 'RESTORE'],
        ['FUNCTION', 'RESTORE', 'abc'],
        ['FUNCTION', 'RESTORE', 'abc', 'FOO'],
        ['FUNCTION', 'RESTORE', 'abc', 'APPEND', 'x'],
        ['FUNCTION', 'RESTORE', ''],
      ]);
    }
  });

  /**
   * DUMP/RESTORE: both servers run the same scenario, each restoring its own payload (Redust's
   * payload format is its own), and must answer alike at every step.
   */
  diffTest(t, 'FUNCTION DUMP + RESTORE: APPEND / REPLACE / FLUSH policies behave like Redis', async ({ d }) => {
    const l1 = lib('#!lua name=l1', "redis.register_function('f1', function() return 'l1' end)");
    const l2 = lib('#!lua name=l2', "redis.register_function('f2', function() return 'l2' end)");
    const l3f1 = lib('#!lua name=l3', "redis.register_function('f1', function() return 'l3' end)");
    const l3 = lib('#!lua name=l3', "redis.register_function('f3', function() return 'l3' end)");
    const both = async (args: (string | Buffer)[], dumps?: [Buffer, Buffer], opts = {}) => {
      const a = dumps ? args.map((x) => (x === '$DUMP' ? dumps[0] : x)) : args;
      const b = dumps ? args.map((x) => (x === '$DUMP' ? dumps[1] : x)) : args;
      const [ra, rb] = await Promise.all([d.redust.send(...a), d.reference.send(...b)]);
      if (!('deepUnordered' in opts)) assert.is(renderNode(ra), renderNode(rb), `reply of ${args.join(' ')}`);
      else assert.is(renderNode(normalize(ra, { deepUnordered: true })), renderNode(normalize(rb, { deepUnordered: true })), `reply of ${args.join(' ')}`);
      return ra;
    };
    const dumpBoth = async (): Promise<[Buffer, Buffer]> => [bulkOf(await d.redust.send('FUNCTION', 'DUMP')), bulkOf(await d.reference.send('FUNCTION', 'DUMP'))];
    const list = () => both(['FUNCTION', 'LIST'], undefined, { deepUnordered: true });
    // (a payload with one library: which clash Redis reports first among several is dict order)
    await d.all([['FUNCTION', 'LOAD', l1]]);
    const one = await dumpBoth();
    // default policy is APPEND: clashes with the existing library
    await both(['FUNCTION', 'RESTORE', '$DUMP'], one);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'append'], one);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'REPLACE'], one);
    await both(['FUNCTION', 'LOAD', l2]);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'APPEND'], one);
    await list();
    const dumps = await dumpBoth();
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'REPLACE'], dumps);
    await list();
    // APPEND into an empty set of libraries
    await both(['FUNCTION', 'FLUSH']);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'APPEND'], dumps);
    await list();
    await both(['FCALL', 'f1', '0']);
    await both(['FCALL', 'f2', '0']);
    // REPLACE is refused when a function name belongs to another library (and nothing changes)
    await both(['FUNCTION', 'DELETE', 'l1']);
    await both(['FUNCTION', 'DELETE', 'l2']);
    await both(['FUNCTION', 'LOAD', l3f1]);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'REPLACE'], dumps);
    await list();
    await both(['FCALL', 'f1', '0']);
    // FLUSH drops everything else first, so no clash is possible
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'FLUSH'], dumps);
    await list();
    await both(['FCALL', 'f1', '0']);
    await both(['FUNCTION', 'DELETE', 'l2']);
    await both(['FUNCTION', 'LOAD', l3]);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'flush'], dumps);
    await both(['FUNCTION', 'LIST', 'LIBRARYNAME', 'l3']);
    await both(['FCALL', 'f3', '0']);
    // REPLACE swaps same-named libraries, keeps the others
    await both(['FUNCTION', 'LOAD', l3]);
    await both(['FUNCTION', 'LOAD', 'REPLACE', lib('#!lua name=l1', "redis.register_function('f1', function() return 'new' end)")]);
    await both(['FCALL', 'f1', '0']);
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'REPLACE'], dumps);
    await both(['FCALL', 'f1', '0']);
    await both(['FCALL', 'f3', '0']);
    await list();
    // corrupt payloads
    await both(['FUNCTION', 'RESTORE', '$DUMP'], [dumps[0].subarray(0, dumps[0].length - 1), dumps[1].subarray(0, dumps[1].length - 1)]);
    const flip = (b: Buffer) => {
      const x = Buffer.from(b);
      x[Math.floor(x.length / 2)] ^= 0x55;
      return x;
    };
    await both(['FUNCTION', 'RESTORE', '$DUMP'], [flip(dumps[0]), flip(dumps[1])]);
    // an empty dump restores to nothing
    await both(['FUNCTION', 'FLUSH']);
    const empty = await dumpBoth();
    await both(['FUNCTION', 'RESTORE', '$DUMP', 'FLUSH'], empty);
    await both(['FUNCTION', 'LIST']);
  });

  t('FUNCTION DUMP payloads move between Redis and Redust both ways; Redust round trip is exact', async ({ c, ref }) => {
    const l1 = lib('#!lua name=l1', "redis.register_function{function_name='f1', callback=function(k, a) return a[1] end, flags={'no-writes'}, description='d'}");
    const l2 = lib('#!lua name=l2', "redis.register_function('f2', function() return 2 end)");
    assert.equal(await c.send('FUNCTION', 'LOAD', l1), R.bulk('l1'));
    assert.equal(await c.send('FUNCTION', 'LOAD', l2), R.bulk('l2'));
    const before = renderNode(await c.send('FUNCTION', 'LIST', 'WITHCODE'));
    const dump = bulkOf(await c.send('FUNCTION', 'DUMP'));
    assert.equal(dump[0], 245, 'starts with an RDB_OPCODE_FUNCTION2 record');
    assert.equal(await c.send('FUNCTION', 'FLUSH'), R.ok);
    assert.equal(await c.send('FUNCTION', 'RESTORE', dump), R.ok);
    assert.is(renderNode(await c.send('FUNCTION', 'LIST', 'WITHCODE')), before);
    assert.equal(await c.send('FCALL_RO', 'f1', '0', 'x'), R.bulk('x'));
    assert.equal(await c.send('FCALL', 'f2', '0'), R.int(2));
    if (ref) {
      const rc = await RawConnection.connect(ref.port);
      try {
        // Redis restores Redust's payload (two libraries) and lists the same libraries.
        assert.equal(await rc.send('FUNCTION', 'RESTORE', dump, 'FLUSH'), R.ok);
        assert.equal(await rc.send('FCALL', 'f2', '0'), R.int(2));
        const norm = (n: RespNode) => renderNode(normalize(n, { deepUnordered: true }));
        assert.is(norm(await rc.send('FUNCTION', 'LIST', 'WITHCODE')), norm(await c.send('FUNCTION', 'LIST', 'WITHCODE')));
        // One library: the two payloads are the same bytes; Redis's restores in Redust.
        await rc.send('FUNCTION', 'FLUSH');
        await rc.send('FUNCTION', 'LOAD', l1);
        const redisDump = bulkOf(await rc.send('FUNCTION', 'DUMP'));
        await c.send('FUNCTION', 'FLUSH');
        await c.send('FUNCTION', 'LOAD', l1);
        assert.ok(bulkOf(await c.send('FUNCTION', 'DUMP')).equals(redisDump), 'same payload bytes');
        assert.equal(await c.send('FUNCTION', 'RESTORE', redisDump), R.err('ERR Library l1 already exists'));
        assert.equal(await c.send('FUNCTION', 'RESTORE', redisDump, 'FLUSH'), R.ok);
        assert.equal(await c.send('FCALL_RO', 'f1', '0', 'y'), R.bulk('y'));
        // Crafted payloads (valid version and CRC64) get Redis's errors.
        const { crc64, writeCrc64LE } = await import('../src/persistence/crc64');
        const payload = (body: number[] | Buffer) => {
          const b = Buffer.concat([Buffer.from(body), Buffer.from([10, 0]), Buffer.alloc(8)]);
          writeCrc64LE(crc64(b, 0, b.length - 8), b, b.length - 8);
          return b;
        };
        await rc.send('SET', 'k', 'v');
        const stringDump = bulkOf(await rc.send('DUMP', 'k'));
        const cases: Buffer[] = [
          stringDump,
          payload([0xf5, 0x40, 100, 65, 66]),
          payload([0xf5, 3, 0x61, 0x62, 0x63]),
          payload(Buffer.concat([Buffer.from([0xf5, 31]), Buffer.from('#!lua name=x\nreturn 1 + + end')])),
          payload(Buffer.concat([Buffer.from([0xf6, 2]), Buffer.from('pg'), Buffer.from([3]), Buffer.from('LUA'), Buffer.from([0, 56]), Buffer.from("redis.register_function('pgf', function() return 7 end)")])),
          payload([0xf6, 1, 65]),
          payload([]),
          Buffer.from([245, 1, 2]),
        ];
        for (const p of cases) {
          await c.send('FUNCTION', 'FLUSH');
          await rc.send('FUNCTION', 'FLUSH');
          assert.is(renderNode(await c.send('FUNCTION', 'RESTORE', p)), renderNode(await rc.send('FUNCTION', 'RESTORE', p)), p.toString('hex'));
          assert.is(norm(await c.send('FUNCTION', 'LIST', 'WITHCODE')), norm(await rc.send('FUNCTION', 'LIST', 'WITHCODE')));
        }
      } finally {
        rc.close();
      }
    }
  });

  t('functions survive SCRIPT FLUSH; EVAL scripts survive FUNCTION FLUSH', async ({ c }) => {
    assert.equal(await c.send('FUNCTION', 'LOAD', lib('#!lua name=l1', "redis.register_function('f1', function() return 1 end)")), R.bulk('l1'));
    const sha = bulkOf(await c.send('SCRIPT', 'LOAD', 'return 5')).toString();
    assert.equal(await c.send('SCRIPT', 'FLUSH'), R.ok);
    assert.equal(await c.send('FCALL', 'f1', '0'), R.int(1));
    assert.equal(await c.send('SCRIPT', 'LOAD', 'return 5'), R.bulk(sha));
    assert.equal(await c.send('FUNCTION', 'FLUSH'), R.ok);
    assert.equal(await c.send('EVALSHA', sha, '0'), R.int(5));
    assert.equal(await c.send('FCALL', 'f1', '0'), R.err('ERR Function not found'));
  });

  t('a function whose load loops forever is aborted; the server keeps serving', async ({ c }) => {
    const start = Date.now();
    const r = await c.send('FUNCTION', 'LOAD', lib('#!lua name=loop', 'while true do end'));
    assert.is(r.t, 'error');
    assert.ok(String((r as { v: string }).v).startsWith('ERR Error registering functions: '), renderNode(r));
    assert.ok(Date.now() - start < 5000);
    assert.equal(await c.send('FUNCTION', 'LIST'), R.arr());
    assert.equal(await c.send('PING'), R.simple('PONG'));
  });

  t.run();
}
