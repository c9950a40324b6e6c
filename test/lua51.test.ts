/**
 * Lua 5.1 behaviour of scripts (issue 18): the same scripts sent to Redust and to Redis 7.0 (whose
 * Lua is 5.1), replies compared byte for byte, both engines, RESP2 and RESP3. Covers number to
 * string conversion, double-only arithmetic, 5.4-only syntax rejected with 5.1's compile errors,
 * 5.1 string escapes, runtime error wording, global protection, cjson/cmsgpack numbers and
 * options, and replies nested past Redis's Lua stack limit (never a JS stack overflow).
 */
import net from 'net';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';

const CORPUS: string[] = [
  "return (10/2)..''",
  "return tostring(3.0)",
  "local t = cjson.decode('[0,-5000,1.5,0]') return table.concat(t, ' ')",
  "return string.format('%s %d %s', 5.0, 3.7, 1e15)",
  "return tostring(2^53+1)",
  "return tostring(9007199254740993)",
  "return tostring(9223372036854775807 + 1)",
  "return tostring(123456789012345)",
  "local x = 1 for i=1,64 do x = x*2 end return tostring(x)",
  "return tostring(0xffffffffffffffff)",
  "return 1 // 2",
  "return 1 & 2",
  "local x = 1 | 2 return x",
  "local x = ~1 return x",
  "return 1 << 2",
  "return 1 >> 2",
  "local x = 1 ~ 2 return x",
  "goto done ::done:: return 1",
  "for i=1,3 do goto continue end",
  "local goto = 5 return goto",
  "local x <const> = 5 return x",
  "return \"\\x41\\z  b\\u{48}\"",
  "return \"\\q\"",
  "return 1 % 0",
  "return tostring(1 % 0)",
  "return tostring(-0.0)",
  "return tostring(0/0)",
  "return tostring(1/0)",
  "return nil .. 'x'",
  "return #nil",
  "local t = nil return t.x",
  "local t = {} return t.x.y",
  "return 1 + {}",
  "return ('x')()",
  "return math.floor(3.5) .. ''",
  "return string.rep('x', 2.5)",
  "return string.sub('hello', 2.5)",
  "return 1 < 'x'",
  "return {} < {}",
  "return tostring(1e100)",
  "return 3 / 2 .. ''",
  "return 7 % 3.5 .. ''",
  "return tostring(2^63)",
  "return tostring(-2^63)",
  "return math.huge .. ''",
  "return tonumber('0x10') .. ''",
  "return tonumber('10') .. '|' .. tonumber(' 10 ') .. '|' .. tostring(tonumber('1e1'))",
  "return string.format('%5.2f', 3)",
  "return string.format('%d', '10')",
  "return string.format('%x', -1)",
  "return select(-1, 1, 2)",
  "return unpack({1,2,3}, 2)",
  "local a = {} a[1] = a return cmsgpack.pack(a)",
  "cjson.encode_invalid_numbers(true) return cjson.encode(0/0)",
  "return cjson.encode(0/0)",
  "return cjson.encode(1/0)",
  "setmetatable(_G, nil) return 1",
  "local g = _G rawset(g, 'x', 1) return 1",
  "redis.call = nil return 1",
  "cjson.encode = nil return 1",
  "cmsgpack.pack = nil return 1",
  "bit.band = nil return 1",
  "redis = nil return 1",
  "return loadfile",
  "return dofile",
  "return print",
  "local f = loadstring('return 1 // 2') return f",
  "return loadstring('return 1 // 2')",
  "return tostring(loadstring('x='))",
  "return string.format('%s', 1/3)",
  "return 1/3 .. ''",
  "return 100000000000000 .. ''",
  "return 1e14 .. ''",
  "local x = nil; return x + 1",
  "return undefinedfn()",
  "local t = {} t.f()",
  "local s = 'a' .. {}",
  "local t = {} return t:nope()",
  "return #5",
  "return -{}",
  "return pcall(function() local x = nil; return x.y end)",
  "return select(2, pcall(function() local t = {} return t.a.b end))",
  "return tostring(select(2, loadstring('x = = 1')))",
  "return tostring(select(2, loadstring('return 1 & 2')))",
  "setmetatable(string, {})",
  "return getmetatable('').__index == string",
  "local g = getmetatable(_G) return type(g)",
  "_G.redis = 1",
  "redis.call = function() end",
  "cjson.encode = 1",
  "string.upper = 1",
  "math.random = 1",
  "local r = rawget(_G, 'redis') return type(r)",
  "return type(_G)",
  "return string.format('%d', 2^31)",
  "return string.format('%5.1f|%-5d|%05d', 3.14159, 42, 7)",
  "return string.format('%i', 3.9)",
  "return math.floor(-3.5) .. ' ' .. math.ceil(-3.5)",
  "return math.max(1, 2.5) .. ' ' .. math.min(3, 1)",
  "return 2^53 .. ''",
  "return 10 % 3 .. ' ' .. -10 % 3 .. ' ' .. 10 % -3 .. ' ' .. 5.5 % 2",
  "return (2^31) .. ' ' .. (2^63) .. ' ' .. -(2^63)",
  "return cjson.encode({1,2,3,{a=1}})",
  "return cjson.encode(cjson.decode('{\"a\":123456789012345678}'))",
  "return cjson.decode('123456789012345678') .. ''",
  "return cmsgpack.unpack(cmsgpack.pack(123456789012345678)) .. ''",
  "return cmsgpack.pack(123456789012345678)",
  "return cmsgpack.pack(-1, 1.5, 2^40)",
  "return bit.band(2^40 + 3, 7)",
  "return struct.pack('>d', 1.5)",
  "return {struct.unpack('>i4', struct.pack('>i4', -5))}",
  "return cjson.encode_invalid_numbers('null')",
  "cjson.encode_invalid_numbers('null') return cjson.encode({0/0, 1/0})",
  "cjson.encode_invalid_numbers(true) return cjson.encode({-1/0, 1/0})",
  "local t = {} for i = 1, 10 do t[i] = i end return table.concat(t, ',')",
  "local t = {} for i = 1, 3 do t[#t + 1] = i / 2 end return table.concat(t, ',')",
  "return string.rep('ab', 3, ',')",
  "return ('%d'):format(3.0)",
  "return string.len('abc') * 1e13 .. ''",
  "return tostring(1e15) .. tostring(-1e15) .. tostring(123456.789e3)",
  "return tostring(0.1) .. ' ' .. tostring(1/3) .. ' ' .. tostring(100)",
  "return loadstring('return 10/2')() .. ''",
  "local f = loadstring('return ...') return f(1, 2)",
  "return \"a\\0b\"",
  "return \"\\65\\066\\0677\"",
  "return '\\300'",
  "return [[\nx]]",
  "return [==[a]]b]==]",
  "return 0x10 .. ' ' .. 0xA .. ' ' .. 1e2 .. ' ' .. .5",
  "return 3 == 3.0",
  "local t = {} t[1] = 'a' t[1.0] = 'b' return t[1]",
  "return math.fmod(7, 3) .. ' ' .. math.fmod(-7, 3)",
  "return math.abs(-3) .. math.sqrt(16) .. math.pow(2, 0.5)",
  "return string.format('%.3f', 1/3)",
  "return tonumber('abc')",
  "return tonumber('  0x1F  ') .. tonumber('1e2') .. tonumber('7', 8) .. tonumber('z', 36)",
  "return tonumber('1e500') .. ''",
  "return 1e500 .. ' ' .. -1e500",
  "local a, b = math.modf(3.7) return a .. ' ' .. b",
  "return string.format('%g', 100000000000000)",
  "return #KEYS .. #ARGV",
  // errors raised inside library functions, called from a non-tail position
  "local s = cjson.encode({-1/0}) return s",
  "local a = {} a[1] = a local s = cjson.encode(a) return s",
  "local x = cjson.encode_invalid_numbers('x') return x",
  "local t = {} t[1] = t local s = cmsgpack.pack(t) return s",
  // 5.4-only syntax inside loadstring
  "local f, e = loadstring('return 1 // 2') return e",
  "local f, e = loadstring('local x <close> = nil') return e",
  "local f, e = loadstring('goto x') return e",
  "return loadstring('local goto = 2 return goto * 3')()",
  // the same inside functions
  "local function f(a) return a // 2 end return f(3)",
  "for i = 1, 2 do if i == 1 then goto continue end ::continue:: end",
  "while true do break end return 1 ~= 2",
  "local t = {1, 2} return t[1] | t[2]",
  "local s = 'x' .. 1 .. 2.5 .. 10/2 return s",
];

/** The raw reply bytes of one EVAL (for replies too deep for the test's RESP parser). */
async function rawEval(port: number, script: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    sock.on('data', (d) => parts.push(d));
    sock.on('error', reject);
    const b = Buffer.from(script);
    sock.write(`*3\r\n$4\r\nEVAL\r\n$${b.length}\r\n${script}\r\n$1\r\n0\r\n*1\r\n$4\r\nPING\r\n`);
    const check = () => {
      const all = Buffer.concat(parts);
      if (all.length >= 7 && all.subarray(all.length - 7).toString() === '+PONG\r\n') {
        sock.destroy();
        resolve(all.subarray(0, all.length - 7));
      } else setTimeout(check, 10);
    };
    check();
  });
}

const DEEP = [
  'local a = {} local b = {a} a[1] = b return a',
  'local a = {} a.map = {x = a} return a',
  'local a = {} a.set = {} a.set[a] = true return a',
  'local t = {} local c = t for i = 1, 7990 do c[1] = {} c = c[1] end return t',
  'local t = {} local c = t for i = 1, 8100 do c[1] = {i} c = c[1] end return t',
];

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('lua51', engine, { flushEach: false });

  diffTest(t, 'scripts give Lua 5.1 results and errors (RESP2, RESP3)', async ({ d }) => {
    for (const proto of ['2', '3']) {
      await d.redust.send('HELLO', proto);
      await d.reference.send('HELLO', proto);
      await d.all([['SCRIPT', 'FLUSH'], ['FLUSHALL']]);
      for (const s of CORPUS) await d.check(['EVAL', s, '0']);
    }
    await d.redust.send('HELLO', '2');
    await d.reference.send('HELLO', '2');
  });

  diffTest(t, 'redis.call integer replies are Lua 5.1 numbers (doubles)', async ({ d }) => {
    await d.all([
      ['SET', 'n', '123456789012345'],
      ['EVAL', "return redis.call('incr', 'n') .. ''", '0'],
      ['EVAL', "return tostring(redis.call('incrby', 'n', '9007199254740993'))", '0'],
      ['EVAL', "return redis.call('incrby', 'n', '1')", '0'],
      ['EVAL', "return redis.call('incrby', 'n', '1') + 1", '0'],
      ['EVAL', "return cjson.encode({redis.call('incr', 'n')})", '0'],
      ['EVAL', "return tonumber(redis.call('get', 'n')) .. ''", '0'],
      ['EVAL', "return math.floor(redis.call('get', 'n') / 3) .. ''", '0'],
    ]);
  });

  diffTest(t, 'FUNCTION LOAD bodies go through the 5.1 front end', async ({ d }) => {
    const lib = (body: string) => ['FUNCTION', 'LOAD', 'REPLACE', `#!lua name=l51\nredis.register_function('f', function(keys, args) ${body} end)`];
    await d.check(lib('return 1 // 2'));
    await d.check(lib('return 1 & 2'));
    await d.check(lib("return (10/2) .. ''"));
    await d.check(['FCALL', 'f', '0']);
    await d.check(lib("local t = nil return t.x"));
    await d.check(['FCALL', 'f', '0']);
    await d.check(['FUNCTION', 'DELETE', 'l51']);
  });

  diffTest(t, 'replies nested past the Lua stack limit end like Redis (no JS stack overflow)', async ({ srv, ref }) => {
    for (const s of DEEP) {
      const [a, b] = await Promise.all([rawEval(srv.port, s), rawEval(ref.port, s)]);
      assert.ok(a.equals(b), `deep reply of: ${s} (${a.length} vs ${b.length} bytes; ends ${JSON.stringify(a.subarray(-40).toString())} vs ${JSON.stringify(b.subarray(-40).toString())})`);
    }
  });

  t.run();
}
