/**
 * cjson.decode, cjson.encode and cmsgpack.unpack (JS natives: src/scripting/json-decode.ts,
 * json-encode.ts, msgpack-decode.ts) against Redis 7.0's lua-cjson and lua-cmsgpack: the same
 * scripts on both servers, replies compared byte for byte, both engines. Values (numbers as strtod reads them,
 * strings and escapes, nesting), every error text and position, lua-cjson's tokenizer quirks
 * (decode_invalid_numbers on, a NUL byte as the end, control characters allowed in strings),
 * cmsgpack's offsets and limits, uint 64 wrapping, Lua 5.1's C stack limit on deep nesting.
 */
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest } from './helpers/servers';

/** JSON texts: each decoded under pcall, the result encoded back (or the error returned). */
const JSON_TEXTS: string[] = [
  '', ' ', '{', '[1,2', '{"a" 1}', '{"a":1,}', '[01]', '[0x1]', '[0x]', '[-0x10]', '"abc', '"a\\x"', '[1e]', '[1e+]',
  '  [1] x', '"\\u12"', '"\\ud800"', '"\\udc00"', '"\\ud83dx"', '"\\ud83d\\ude00"', '"\\u0041\\u00e9\\u4e2d"', '"\\u0000"',
  '[-]', 'nul', 'nulll', 'truex', 'fals', '[tru]', '{1:2}', '[1,,2]', '[1,]', '[inf]', '[-inf]', '[nan]', '[NaN]', '[Infinity]',
  '[+1]', '[1.]', '[.5]', '[-.5]', '[-0.0]', '[-0]', '[1.5.3]', '[1E400]', '[1e-400]', '[0.1e-2]', '[1e5,2E-3,-0.5e+2]',
  '"tab\tx"', '"nl\nx"', '"\\/\\b\\f\\n\\r\\t"', '[1 2]', '{"a":1 "b":2}', '{"a":1}}', '[[[[[[[[[[1]]]]]]]]]]', '123', '-12.5e3',
  '{"":1}', '{"a":{"b":{"c":[]}}}', '[true,false,null]', '[ 1 , 2 ]', '[9007199254740993]', '[123456789012345678901234567890]',
  '{"a":1,"a":2}', '[1]\u0000trailing', 'a\u0000', '\u0000a', '["x\u0000y"]',
];

/** msgpack inputs as byte lists, each unpacked under pcall (all results). */
const MSGPACK: number[][] = [
  [], [1], [1, 2, 0xa1, 0x41], [0xc0], [0xc2, 0xc3], [0xcc, 200], [0xcd, 1, 2], [0xce, 0xff, 0xff, 0xff, 0xff],
  [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1], [0xd0, 0x80], [0xd1, 0x80, 0],
  [0xd2, 0x80, 0, 0, 0], [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 1], [0xe0], [0xff], [0xca, 0x3f, 0xc0, 0, 0], [0xcb, 0x40, 9, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18],
  [0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1], [0xd9, 2, 0x61, 0x62], [0xda, 0, 1, 0x61], [0xdb, 0, 0, 0, 1, 0x61], [0xc4, 1, 0x41],
  [0xc7, 1, 1, 0], [0xd4, 1, 1], [0xc1], [0x92, 1], [0x93, 0xc0, 2, 3], [0x90], [0x80], [0x81, 0xa1, 0x61, 0x91, 5],
  [0x81, 0xc0, 1], [0x81, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1, 1], [0x81, 1, 0xc0], [0x82, 0xa1, 0x61, 1, 0xa1, 0x61, 0xc0],
  [0xdc, 0, 2, 1, 2], [0xdd, 0, 0, 0, 1, 7], [0xde, 0, 1, 1, 2], [0xdf, 0, 0, 0, 1, 1, 2], [0xdc, 0], [0xa3, 0x61],
  // map keys that are tables ending in nil / NaN (the key is the table), a nil value before the next key
  [0x81, 0x91, 0xc0, 1], [0x81, 0x81, 1, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 1, 2], [0x82, 1, 0xc0, 2, 3], [0x82, 1, 0xc0, 0xc0, 3],
  [0x81, 0x90, 1], [0x81, 0x92, 0x80, 0xc0, 0xc0], [0x92, 0xc0, 0x81, 0x90, 1], [0x92, 0xc0, 0x81, 0x91, 0x80, 1],
  // more items than one stack check covers; strings read in place, short and long
  [0xdc, 0, 150, ...Array.from({ length: 150 }, (_, i) => i & 0x7f)],
  [0xde, 0, 100, ...Array.from({ length: 100 }, (_, i) => [0xa2, 0x61 + (i % 26), 0x61 + Math.floor(i / 26), 0xc3]).flat()],
  [0x93, 0xd9, 50, ...Array(50).fill(0x78), 0xda, 1, 44, ...Array(300).fill(0x79), 0xa0],
  Array(200).fill(0xa1).flatMap((x, i) => [x, 0x30 + (i % 10)]),
];

/** cjson.encode scripts (settings changed are restored in the same script). */
const ENCODE: string[] = [
  'return cjson.encode({1,2,3})',
  'return cjson.encode({})',
  "return cjson.encode('a\"b\\\\c/d\\1\\31\\127\\200x')",
  'return cjson.encode(1.5)',
  'return cjson.encode(-0.0)',
  'return cjson.encode(1e15)',
  'return cjson.encode(123456789012345678)',
  'return cjson.encode(0.1)',
  'return cjson.encode(1/3)',
  'return cjson.encode(true)',
  'return cjson.encode(nil)',
  'return cjson.encode(cjson.null)',
  'return {pcall(cjson.encode, 1/0)}',
  'return {pcall(cjson.encode, 0/0)}',
  'return {pcall(cjson.encode, {1/0})}',
  'return {pcall(cjson.encode, function() end)}',
  'return {pcall(cjson.encode, {[true]=1})}',
  'return {pcall(cjson.encode, {[{}]=1})}',
  'return {pcall(cjson.encode, {a=function() end})}',
  'return {pcall(cjson.encode, {[1]=1,[100]=2})}',
  'return cjson.encode({[1]=1,[3]=2})',
  'return cjson.encode({[1.5]=1})',
  'return cjson.encode({[0]=1})',
  'return cjson.encode({[-1]=1})',
  'return cjson.encode({a={b={c={}}}})',
  'return cjson.encode({{},{{}}})',
  'return cjson.encode({nil, 2})',
  'return cjson.encode({[2]=2})',
  "return cjson.encode(string.rep('x', 100))",
  'local t = {} local c = t for i = 1, 999 do c[1] = {} c = c[1] end return #cjson.encode(t)',
  'local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return {pcall(cjson.encode, t)}',
  'local t = {} t[1] = t return {pcall(cjson.encode, t)}',
  'cjson.encode_invalid_numbers(true) local r = cjson.encode({1/0, -1/0, 0/0}) cjson.encode_invalid_numbers(false) return r',
  "cjson.encode_invalid_numbers('null') local r = cjson.encode({1/0, 0/0}) cjson.encode_invalid_numbers(false) return r",
  'cjson.encode_number_precision(3) local r = cjson.encode({math.pi, 12345}) cjson.encode_number_precision(14) return r',
  'cjson.encode_sparse_array(true) local r = cjson.encode({[1]=1,[100]=2}) cjson.encode_sparse_array(false) return r',
  'cjson.encode_sparse_array(false, 0) local r = cjson.encode({[1]=1,[100]=2}) cjson.encode_sparse_array(false, 2) return r',
  'cjson.encode_max_depth(2) local r = {pcall(cjson.encode, {{{1}}})} cjson.encode_max_depth(1000) return r',
  'return cjson.encode(cjson.decode(\'{"a":[1,2,{"b":null}],"c":"x"}\').a)',
  'return cjson.encode({5e-324, 1.7976931348623157e308, 2^53, -2^63})',
  "return cjson.encode({['\\0k']=1})",
];

const dump = "local function dump(v) if type(v) == 'table' then local ok, s = pcall(cjson.encode, v) return ok and s or 'table' end return type(v) .. ':' .. tostring(v) end ";

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('lua-natives', engine, { flushEach: false });

  diffTest(t, 'cjson.decode: values and lua-cjson error texts', async ({ d }) => {
    const script = `${dump} local ok, v = pcall(cjson.decode, ARGV[1]) if not ok then return 'error: ' .. v end return dump(v)`;
    for (const text of JSON_TEXTS) await d.check(['EVAL', script, '0', Buffer.from(text, 'latin1')]);
    await d.all([
      ['EVAL', 'return cjson.decode()', '0'],
      ['EVAL', 'return cjson.decode(123)', '0'],
      ['EVAL', "return cjson.decode('[1')", '0'],
      ['EVAL', "return cjson.decode({})", '0'],
      ['EVAL', "local t = cjson.decode('[1,null]') return {t[1], t[2] == cjson.null and 'null' or 'other', #t}", '0'],
      ['EVAL', "local s = string.rep('[', 1001) .. string.rep(']', 1001) return {pcall(cjson.decode, s)}", '0'],
      ['EVAL', "local s = string.rep('[', 1000) .. string.rep(']', 1000) return {(pcall(cjson.decode, s))}", '0'],
      ['EVAL', "local s = string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001) return {pcall(cjson.decode, s)}", '0'],
    ]);
  });

  diffTest(t, 'cjson.encode: text, numbers, arrays and objects, settings, errors', async ({ d }) => {
    for (const s of ENCODE) await d.check(['EVAL', s, '0']);
  });

  // lua_cjson.c's configuration functions (json_arg_init, json_integer_option, json_enum_option):
  // argument checks and results, decode_invalid_numbers off refusing json_is_invalid_number's
  // numbers; the settings last as Redis's do (one Lua state), and each is put back at the end.
  diffTest(t, 'cjson configuration functions: arguments, results, decode_invalid_numbers off', async ({ d }) => {
    const scripts = [
      "return cjson.encode_number_precision(20)",
      "return cjson.encode_number_precision(0)",
      "return cjson.encode_number_precision('5')",
      "return cjson.encode_number_precision('x')",
      "return cjson.encode_number_precision(5.7)",
      "return cjson.encode_number_precision(3, 4)",
      "return cjson.encode_keep_buffer(false)",
      "return cjson.encode_keep_buffer('on')",
      "return cjson.encode_keep_buffer('bogus')",
      "return cjson.encode_keep_buffer({})",
      "return cjson.encode_keep_buffer()",
      "return cjson.decode_invalid_numbers(false)",
      "return cjson.decode_invalid_numbers()",
      "return {cjson.encode_sparse_array(true, 3, 4)}",
      "return {cjson.encode_sparse_array('on', -1)}",
      "return {cjson.encode_sparse_array(1)}",
      "return {cjson.encode_sparse_array(nil, nil, 'x')}",
      "return {cjson.encode_sparse_array(1, 2, 3, 4)}",
      "return cjson.encode_max_depth(0)",
      "return cjson.decode_max_depth(2^31)",
      "return cjson.encode_invalid_numbers('null')",
      "return cjson.encode_invalid_numbers(true)",
      "return cjson.encode_invalid_numbers(2)",
      "cjson.decode_invalid_numbers(false) return cjson.decode('0x10')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('01')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('-0x1')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('+1')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('inf')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('-nan')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('[1, 0.5, -0, 0e1]')",
      "cjson.decode_invalid_numbers(false) return cjson.decode('NaN')",
      "cjson.decode_invalid_numbers(false) local x = cjson.decode('[-1.5e3]') return x[1]",
      "cjson.decode_invalid_numbers(true) return cjson.decode('0x10')",
      "return cjson.decode('0x10')",
      "cjson.encode_max_depth(2) return cjson.encode({{{1}}})",
      "cjson.encode_number_precision(3) return cjson.encode(1/3)",
      "cjson.encode_sparse_array(true) return cjson.encode({[1] = 1, [100] = 2})",
      "cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) cjson.encode_number_precision(14) cjson.encode_sparse_array(false, 2, 10) cjson.encode_invalid_numbers(false) cjson.decode_invalid_numbers(true) cjson.encode_keep_buffer(true) return 1",
    ];
    for (const s of scripts) await d.check(['EVAL', s, '0']);
  });

  diffTest(t, 'cmsgpack.unpack / unpack_one / unpack_limit: values, offsets, errors', async ({ d }) => {
    const script = `${dump} local r = {pcall(cmsgpack.unpack, ARGV[1])} if not r[1] then return 'error: ' .. r[2] end local out = {} for i = 2, #r do out[#out + 1] = dump(r[i]) end return out`;
    for (const bytes of MSGPACK) await d.check(['EVAL', script, '0', Buffer.from(bytes)]);
    await d.all([
      ['EVAL', 'return {pcall(cmsgpack.unpack, 5)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_one, string.char(1,2,3), 5)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_one, string.char(1,2,3), -1)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_one, string.char(1,2,3), 1)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_one, string.char(1,2,3), 2)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_one, string.char(1,2,3), 3)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_limit, string.char(1,2,3), 0, 0)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_limit, string.char(1,2,3), 2)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_limit, string.char(1,2,3), 5, 1)}', '0'],
      ['EVAL', 'return {pcall(cmsgpack.unpack_limit, string.char(0x92, 1, 2, 0x81, 0xa1, 0x41, 3, 7), 2)}', '0'],
      ['EVAL', "local m = cmsgpack.pack({1, 2.5, 'x', {a = {true, false}}, -7, 2^40}) local t = cmsgpack.unpack(m) return cjson.encode(t)", '0'],
      // Lua 5.1's C stack limit, counted as lua_cmsgpack uses the stack.
      ['EVAL', 'local s = string.rep(string.char(0x91), 3999) .. string.char(1) return {pcall(cmsgpack.unpack, s)} ~= nil', '0'],
      ['EVAL', 'local s = string.rep(string.char(0x91), 4000) .. string.char(1) return {pcall(cmsgpack.unpack, s)}', '0'],
      ['EVAL', 'local s = string.rep(string.char(0x81, 1), 5000) .. string.char(1) return {pcall(cmsgpack.unpack, s)}', '0'],
      ['EVAL', 'local s = string.rep(string.char(1), 8005) return {pcall(cmsgpack.unpack, s)}', '0'],
      ['EVAL', 'local s = string.rep(string.char(1), 7999) return {(pcall(cmsgpack.unpack, s))}', '0'],
      // Errors raised where the script calls them carry its position, as lua_cmsgpack.c's
      // luaL_error gives it (pcall(cmsgpack.unpack, ...) above has none: its caller is pcall).
      ['EVAL', 'return cmsgpack.unpack(string.char(0xc1))', '0'],
      ['EVAL', 'return cmsgpack.unpack(string.char(0xdc))', '0'],
      ['EVAL', 'return cmsgpack.unpack_one(string.char(0xc1))', '0'],
      ['EVAL', 'return cmsgpack.unpack_limit(string.char(0xc1), 1)', '0'],
      ['EVAL', 'return {cmsgpack.unpack(string.rep(string.char(1), 8005))}', '0'],
      ['EVAL', 'local s = string.rep(string.char(0x91), 4000) .. string.char(1)\nlocal t = cmsgpack.unpack(s)\nreturn t', '0'],
      ['EVAL', "local ok, e = pcall(function()\n local t = cmsgpack.unpack(string.char(0xdc)) end) return e", '0'],
      ['EVAL', 'local function f(s) return cmsgpack.unpack(s) end\nreturn {pcall(f, string.char(0xc1))}', '0'],
      ['EVAL', 'return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}', '0'],
      ['EVAL', 'return select(\'#\', cmsgpack.unpack(cmsgpack.pack(nil, nil)))', '0'],
    ]);
  });

  t.run();
}
