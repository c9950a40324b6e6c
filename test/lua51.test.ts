/**
 * Lua 5.1 behaviour of scripts (issue 18): the same scripts sent to Redust and to Redis 7.0 (whose
 * Lua is 5.1), replies compared byte for byte, both engines, RESP2 and RESP3. Covers number to
 * string conversion, double-only arithmetic, 5.4-only syntax rejected with 5.1's compile errors,
 * 5.1 string escapes, runtime error wording, global protection, cjson/cmsgpack numbers and
 * options, and replies nested past Redis's Lua stack limit (never a JS stack overflow).
 */
import { spawn } from 'child_process';
import net from 'net';
import path from 'path';
import { RawConnection } from './helpers/raw';
import { renderNode } from '../src/protocol/resp-reader';
import * as assert from 'uvu/assert';
import { differentialSuite, diffTest } from './helpers/suite';
import { enginesUnderTest, freePort } from './helpers/servers';

/** `local a1, ..., aN = 1, ..., N` (Lua's 200-local limit). */
const locals = (n: number) => `local ${Array.from({ length: n }, (_, i) => `a${i + 1}`).join(', ')} = ${Array.from({ length: n }, (_, i) => i + 1).join(', ')}`;

const CORPUS: string[] = [
  // loadstring/load of a chunk at the 200-local limit with a loop (the front end's countdown as an upvalue), and past it
  `local f = assert(loadstring('${locals(200)} for i = 1, 2 do end return a200 + a1')) return f()`,
  `local s = '${locals(200)} local function g() return a7 end return g()' local f = assert(load(function() local r = s s = nil return r end)) return f()`,
  "return {pcall(load, 'return 1')}",
  "return {pcall(load)}",
  "local n = 0 return {load(function() n = n + 1 if n == 1 then return 'return ' end if n == 2 then return 42 end return nil end)()}",
  "return {load(function() return {} end)}",
  "local n = 0 return {pcall(load(function() n = n + 1 if n == 1 then return 'error(\\'x\\')' end end, '=mychunk'))}",
  `return {loadstring('${locals(201)} for i = 1, 2 do end return 1')}`,
  `local f = loadstring('${locals(199)} while false do end return a199') return f()`,
  // the chunk names of loadstring chunks in compile and runtime errors (5.1's lengths)
  "return {loadstring('return 1 +')}",
  "return {loadstring('return 1 + -- 0123456789012345678901234567890')}",
  "return {loadstring('return 1 + -- 01234567890123456789012345678901')}",
  "return {loadstring('return 1 + -- 0123456789012345678901234567890123456789012345678901234567890123456789')}",
  "return {loadstring('return 1 +\\n-- 0123456789012345678901234567890123456789')}",
  "return {pcall(loadstring('local x = nil return x.y -- 01234567890123456789012345678901'))}",
  "return {pcall(loadstring('local x = nil return x.y -- 012345678901234567890123456789012'))}",
  "return {pcall(loadstring('local x = nil return x.y -- 0123456789012345678901234567890123'))}",
  "return {pcall(loadstring('local x = nil return x.y -- 0123456789012345678901234567890123456789012345'))}",
  "return {pcall(loadstring('local x = nil return x.y'))}",
  // 5.1 ignores __len on tables; the field stays an ordinary one
  "return #setmetatable({}, {__len = function() return 5 end})",
  "local t = setmetatable({1, 2, 3}, {__len = function() return 5 end}) return {#t, type(getmetatable(t).__len), rawlen == nil}",
  "local mt = {} local t = setmetatable({7}, mt) mt.__len = function() return 9 end return #t",
  "return {#string, #redis, #cjson, #KEYS, #ARGV}",
  "local s = '__len' return {s, #s, ('__len'):len()}",
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
  // goto as a field name is the string key "goto", as in 5.1
  "local t = {goto = 1} return t['goto']",
  "local t = {} t.goto = 5 return t['goto']",
  "local t = {a=1, goto=2, [1]=3} return {t.goto, t['goto'], t[1]}",
  "local function f() local t = {x = function() local a, goto = 1, 2 return goto end} return t.x() end return f()",
  "return {goto == nil}",
  "local t = {goto = 1}; return t.goto + t   .  goto",
  "local t = { ['goto'] = 4 } return t.goto",
  "local t = {goto = {goto = 7}} return t.goto.goto",
  "local t = {[1] = 2; goto\n= 3} return cjson.encode(t)",
  "return goto.x",
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
  // 5.1 truncates float integer arguments; the wrappers keep 5.1's names, positions and "no value"
  "return ('x'):rep(2):sub(1, 1.5) .. table.concat({1,2}, ',', 1.5)",
  "return select(1.5, 'a', 'b')",
  "local t = {} table.insert(t, 1.5, 'x') return t",
  "local t = {1,2,3} local r = table.remove(t, 1.5) return {r, t[1]}",
  "return {string.find('abcabc', 'b', 2.5)}",
  "return string.match('abcabc', 'c', 3.9)",
  "return {unpack({1,2,3}, 1.5)}",
  "return string.char(72.9, 105)",
  "return string.byte('abc', 1.5, 2.7)",
  "return string.sub()",
  "local x = string.sub() return x",
  "local x = string.sub('abc', {}) return x",
  "local x = string.rep('x', 'a') return x",
  "local x = string.char(256) return x",
  "local x = select() return x",
  "local x = unpack() return x",
  "local x = unpack(5) return x",
  "local x = string.format() return x",
  "return string.format('%d %s', 'x', 1)",
  "local x = table.insert({}, 1, 2, 3) return x",
  "local x = table.concat() return x",
  // 5.1's tinsert/tremove outside the array's bounds, string.rep without 5.4's separator
  "return string.rep('ab', 3, ',')",
  "return {table.remove({1,2,3}, 7)}",
  "return {table.remove({}, 0)}",
  "return {table.remove({1,2}, 3)}",
  "return {table.remove({1,2}, 0)}",
  "return {table.remove({1,2}, -1)}",
  "return {table.remove({1,2,3}, 2.7), 'x'}",
  "local t = {1,2,3} local a = table.remove(t) return {a, #t}",
  "local t = {1,2,3} local a = table.remove(t, 1) return {a, t[1], t[2], #t}",
  "local t = {} return {table.remove(t)}",
  "local t = {1,2} table.insert(t, 5, 'x') return {t[1], t[2], t[3], t[4], t[5]}",
  "local t = {1,2} table.insert(t, 0, 'x') return {t[0], t[1], t[2], t[3]}",
  "local t = {1,2} table.insert(t, -1, 'x') return {t[-1], t[0], t[1], t[2], t[3]}",
  "local t = {1,2} table.insert(t, 3, 'x') return t",
  "local t = {1,2} table.insert(t, 1, 'x') return t",
  "local t = {1,2} table.insert(t, 2.5, 'x') return t",
  "local t = {1,2} table.insert(t, 7) return t",
  "local t = {1,2} table.insert(t, 'a', 'x') return t",
  "local x = table.insert(5, 1, 2) return x",
  "local x = table.remove('a', 1) return x",
  "local x = table.insert({}, 1, 2, 3) return x",
  "local x = table.insert({}) return x",
  "local x = table.insert(nil, 1.5, 2) return x",
  "local t = {1,2} table.insert(t, nil) return t",
  "local t = {1,2} table.insert(t, 1, nil) return {#t, t[2], t[3]}",
  // a main-chunk `return f(...)` reports the script's line as 5.1 does (no 5.4 tail call)
  "return cjson.encode({-1/0})",
  "local t = nil\nreturn t.x\n-- trailing comment",
  "local a = 1\nif a then\n  return struct.pack('>i', 'x')\nelse\n  return 2\nend",
  "return 1 +",
  "return f(",
  "return --[[a]] 7 --[[b]]",
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
  // luaL_checkany and argument errors of wrapped functions called from C (pcall(f)): '?', no position
  "return tostring()",
  "return {pcall()}",
  "return {pcall(pcall)}",
  "return {pcall(nil)}",
  "return {select('#', pcall(tostring, nil))}",
  "return {pcall(tostring)}",
  "return {pcall(ipairs)}",
  "return {pcall(pairs, 1)}",
  "return {pcall(unpack)}",
  "return {pcall(math.random, 0)}",
  "return {pcall(math.random, 'x')}",
  "return {pcall(string.rep)}",
  "return math.random('x')",
  "return ipairs()",
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
  // cmsgpack as lua_cmsgpack.c: NaN as a double, argument checks in the C order, 64-bit limit and offset
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(0/0))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(-(0/0)))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(tonumber('nan')))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(1/0, -1/0, 0.1, 1e300, -0.0, 2^31, -2^31, 2^32, -2^33, 2^63, -2^63, 2^64, 127, 128, -32, -33, 255, 256, 65535, 65536))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({1, 2, nil, 4}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({[1]=1, [3]=3}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({[1.5]=1}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(string.rep('a', 31), string.rep('b', 32), string.rep('c', 255), string.rep('d', 256)))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end local t = {} for i = 1, 16 do t[i] = i end return hex(cmsgpack.pack(t))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(true, false, nil))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return hex(cmsgpack.pack(t))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(cjson.null))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(coroutine.create(function() end)))",
  "return {pcall(cmsgpack.pack)}",
  "return cmsgpack.pack()",
  "return {pcall(cmsgpack.unpack_limit, 'x', 'y')}",
  "return {pcall(cmsgpack.unpack_one, 'x', 'y')}",
  "return {pcall(cmsgpack.unpack_one, 'x', 1, 'z')}",
  "return {pcall(cmsgpack.unpack)}",
  "return {pcall(cmsgpack.unpack, 5)}",
  "return {pcall(cmsgpack.unpack, {})}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 1)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 1.7)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), '2')}",
  "return {cmsgpack.unpack_one(cmsgpack.pack(1,2,3), '1')}",
  "return {pcall(cmsgpack.unpack_one, cmsgpack.pack(1,2,3), 10)}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2,3), -1)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 0, 0)}",
  "return {cmsgpack.unpack('')}",
  "return {pcall(cmsgpack.unpack, '\\193')}",
  "return {pcall(cmsgpack.unpack, '\\146\\1')}",
  "return cmsgpack.pack(string.rep('x', 3), 5, {a = {b = {}}})",
  "return {pcall(cmsgpack.pack, 1, 2, 3, function() end)}",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({['1']=1}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({[0]=1}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack({[2^53]=1}))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end local t = {} local c = t for i = 1, 17 do c[1] = {} c = c[1] end return hex(cmsgpack.pack(t))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(setmetatable({}, {__index = function() return 1 end})))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack(-1.5, 3.4028235e38, 1e-45, 16777217))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(cmsgpack.pack('', string.rep('z', 65536)):sub(1, 40))",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2,3), 2, 1, 'extra')}",
  "return {pcall(cmsgpack.unpack_one, cmsgpack.pack(1), 5)}",
  "return {cmsgpack.unpack_one(cmsgpack.pack(1,2), nil)}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2), nil)}",
  "return {cmsgpack.unpack(cmsgpack.pack({a=1}))}",
  "return {cmsgpack.unpack('\\202\\127\\192\\0\\0')}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2), 2^32 + 1)}",
  "return {cmsgpack.unpack_limit(cmsgpack.pack(1,2), 4294967297)}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2,3), 2^31)}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2,3), 2^32+1, 2^32+1)}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2,3), -2^32+1)}",
  "return {pcall(cmsgpack.unpack_one, cmsgpack.pack(1,2,3), 2^31)}",
  "return {pcall(cmsgpack.unpack_limit, cmsgpack.pack(1,2,3), 1e300)}",
  // struct as lua_struct.c on x86-64: alignment, sizes past 8 bytes, out-of-range doubles, C's error texts and argument numbers
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<I8', 2^64))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<I8', 0/0))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<i8', -2^63-5000))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<i8', -1e300))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<i2I2B b', 70000, -1, 1.9, -1.9))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<i9>i10', -1, -2))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<I8', 2^63 + 2048))",
  "local function hex(s) return (s:gsub('.', function(c) return string.format('%02x', string.byte(c)) end)) end return hex(struct.pack('<I8i8', 1e19, 1e19))",
  "return {struct.unpack('<i9', string.rep('\\255', 9))}",
  "return {struct.unpack('<I9', string.rep('\\255', 9))}",
  "return {struct.unpack('<i16', string.rep('\\255', 8) .. string.rep('\\0', 8))}",
  "return {struct.unpack('>i3', '\\255\\255\\254')}",
  "return {struct.unpack('<I8', string.rep('\\255', 8))}",
  "return {struct.unpack('<i8', '\\0\\0\\0\\0\\0\\0\\0\\128')}",
  "return {struct.unpack('!4bi4', struct.pack('!4bi4', 1, 2))}",
  "return {struct.unpack('<d>f', struct.pack('<d>f', 1.5, -2.25))}",
  "return struct.size('!2bhbi3bd')",
  "return struct.size('!bhi8c3')",
  "return struct.size('z')",
  "return {pcall(struct.size, 'c0')}",
  "return {pcall(struct.size)}",
  "return {pcall(struct.pack, 'i33', 1)}",
  "return {pcall(struct.pack, 'i99999999999', 1)}",
  "return {pcall(struct.pack, 'c3', 'ab')}",
  "return {pcall(struct.pack, 's', {})}",
  "return {pcall(struct.pack, 'ic3', 1, 'ab')}",
  "return struct.pack('s c0 c2', 'a\\0b', 'xyz', 'pq')",
  "return {struct.unpack('c1c0', '3abcdef')}",
  "return {pcall(struct.unpack, 'bc0', '\\5abc')}",
  "return {struct.unpack('s', 'ab\\0cd')}",
  "return {pcall(struct.unpack, 's', 'abcd')}",
  "return {pcall(struct.unpack, 'b', 'abc', 0)}",
  "return {pcall(struct.unpack, 'b', 'abc', -1)}",
  "return {struct.unpack('', 'abc', -5)}",
  "return {struct.unpack('b', 'abc', 2.7)}",
  "return {pcall(struct.unpack, 'b', 'abc', 'x')}",
  "return {struct.unpack('b', 'abc', '2')}",
  "return {pcall(struct.unpack, 'b', 'abc', 4)}",
  "return {struct.unpack('x b', 'abc')}",
  "return struct.pack(12, 3)",
  "return {pcall(struct.pack, '<i', '12x')}",
  "return struct.pack('<i', '12')",
  "return {pcall(struct.unpack, 'i', 5)}",
  "return {struct.unpack('c2', 12)}",
  "return {pcall(struct.pack, 'c', nil)}",
  "return {pcall(struct.pack, '!', 1)}",
  "return struct.size('!i2')",
  "return struct.size('!16d')",
  "return {pcall(struct.pack, '!0')}",
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
  // lengths, positions, counts and library results are doubles: no 2^63 wrap, no integer n%0
  "local n = string.len('abc') for i = 1, 62 do n = n * string.len('ab') end return tostring(n)",
  "local t = {1,2,3} local n = #t for i = 1, 40 do n = n * #t end return tostring(n)",
  "local s = 'abc' return tostring(#s * 2^62 * #s) .. ' ' .. tostring(#s % #'')",
  "return tostring(#{1,2,3} % #{})",
  "local t = {} for i = 1, 3 do t[#t + 1] = i * 10 end t[#t] = 'x' return {#t, t[1], t[3], #t .. '', #t - 1, #t == 3}",
  "local t = {a = {b = {1, 2}}} local function f() return t end return tostring(#f().a['b'] * 2^62 * #t.a.b)",
  "local a, b = {1}, {1, 2} local r = {} for i = #a, #b do r[#r + 1] = tostring(i * 2^62 * i) end return r",
  "local t = {1, 2} return tostring(4 % #t * 2^62 * #t) .. tostring(-#t * 2^62 * #t)",
  "return tostring(select('#', 1, 2) * 2^62 * select('#', 1, 2))",
  "return tostring(bit.band(7, 3) * 2^62 * bit.bor(2, 0)) .. ' ' .. tostring(bit.lshift(1, 4) * 2^62 * bit.tobit(4))",
  "return tostring(table.getn({1, 2}) * 2^62 * table.getn({1, 2})) .. ' ' .. tostring(table.maxn({[3] = 1}) * 2^62 * 4)",
  "math.randomseed(7) local a = math.random(10) local b = math.random(3, 9) return tostring(a * 2^62 * b)",
  "local a, b = struct.unpack('>i4', struct.pack('>i4', 2)) return tostring(a * 2^62 * b) .. ' ' .. tostring(struct.size('>i4') * 2^62 * 2)",
  "local v = cmsgpack.unpack(cmsgpack.pack(2)) local n = cmsgpack.unpack_one(cmsgpack.pack(1, 2)) return tostring(v * 2^62 * v) .. tostring(n * 2^62 * 4)",
  "local a, b = string.find('abcabc', 'c', 2) return tostring(a * 2^62 * b)",
  "local a, b, c = string.find('abc', '()b()') return tostring(a * 2^62 * c) .. tostring(b)",
  "local p = string.match('abc', '()c') return tostring(p * 2^62 * p)",
  "local s, n = string.gsub('aaa', 'a', 'b') return tostring(n * 2^62 * n) .. s",
  "local r = {} for p in string.gmatch('abab', '()b') do r[#r + 1] = tostring(p * 2^62 * p) end return r",
  "local r = {} string.gsub('abab', '()b', function(p) r[#r + 1] = tostring(p * 2^62 * p) end) return r",
  "local a, b = string.byte('ab', 1, 2) return tostring(a * 2^62 * b) .. tostring(string.byte('c') * 2^62 * 99)",
  "return {string.byte('abc', 1, -1)}, {string.byte('abc', 5)}",
  "return {string.find('abc', 'x')}",
  "return {string.match('abc', 'x')}",
  "return string.len(), 1",
  "return {math.maxinteger, math.mininteger}",
  "return {next({5, 6}, 1)}",
  "local t = {5, 6, x = 1} local n = 0 for k, v in pairs(t) do n = n + 1 end return n",
  "local t = {} for i = 1, 10 do t[i] = i end for k in pairs(t) do t[k] = nil end return next(t)",
  "local n = 0 for k, v in pairs(redis) do n = n + 1 end return n",
  "local t = setmetatable({1, 2}, {__index = function(t, i) if i < 5 then return i end end}) local n = 0 for i, v in ipairs(t) do n = n + v end return n",
  "for k in pairs(nil) do end",
  "return pairs()",
  "return ipairs()",
  "for i in ipairs(nil) do end",
  "return {ipairs({})}",
  // strings in arithmetic: 5.1's doubles and messages
  "return tostring('4294967296' * '4294967296')",
  "return tostring('7' % '0')",
  "return tostring(-'9223372036854775807' - '2')",
  "return '10' + '5' .. ' ' .. '0x10' + 0 .. ' ' .. ' 10 ' * 2 .. ' ' .. -'2' .. ' ' .. '2' ^ '3' .. ' ' .. '7' / '2' .. ' ' .. '7.5' % '2'",
  "return 'a' + 1",
  "local x = 'a' + 1 return x",
  "return -'a'",
  "return '10' + {}",
  "return {} + '10'",
  "return '' * 2",
  "return 'inf' + 0",
  "return tostring(tonumber('inf')) .. tostring(tonumber(' -Infinity ')) .. tostring(tonumber(' nan ')) .. tostring('-nan' * 1)",
  "return tostring(tonumber('inf', 16))",
  // a method named goto (5.4 refuses the keyword after ':'), and functions defined with that name
  "local t = {} t.goto = function(self, x) return x end return t:goto(5)",
  "local t = {} return t:goto()",
  "local t = {} function t.goto() return 1 end return t.goto()",
  "local t = {} function t:goto(x) return x + 1 end return t:goto(1)",
  "local t = {goto = 5} return t:goto()",
  "local a = {b = {n = 3}} function a.b:goto(x) return self.n + x end return a.b:goto(2)",
  "local a = {b = {n = 3}} function a.b:goto(x) return self end return a.b:goto(2):goto(1).n",
  "local t = {} function t:goto(s) return type(s) == 'table' and s[1] or s end return {t:goto'x', t:goto{7}, t:goto[[y]], t : goto ( 'z' )}",
  "local t = {n = 1} function t:goto(...) return select('#', ...) end return t:goto(1, nil, 3)",
  "local t = {} function t:goto() return 1, 2, 3 end return {t:goto()}",
  "local t = {} function t:goto() error('boom') end t:goto()",
  "local t = {}\nfunction t:goto()\n  return nil + 1\nend\nreturn t:goto()",
  "local t = {} return t:goto(1,\n2)",
  "local goto = {} function goto.goto(x) return x end return goto.goto(3)",
  "local s = setmetatable({}, {__index = {goto = function(self) return 9 end}}) return s:goto()",
  "local t = {goto = {}} function t.goto:m(x) return x end return t.goto:m(4)",
  "return {pcall(function() local t = {} return t:goto() end)}",
  "local t = {x = {}} function t.x:goto() return #self end return #t.x:goto() + (t.x):goto()",
  // errors in library functions called in tail position inside the script's functions name the `return`'s line
  "local function f()\n return cjson.encode({-1/0})\nend\nreturn (f())",
  "local function f(t)\n return unpack(t)\nend\nreturn {f({1,2,3})}",
  "local function f()\n return unpack(5)\nend\nreturn f()",
  "local function f()\n return string.upper()\nend\nreturn (f())",
  "local function f()\n return redis.call('nosuch')\nend\nreturn (f())",
  "local function f()\n return error('boom')\nend\nreturn (f())",
  "local function f()\n return struct.unpack('>i4', 'x')\nend\nreturn f()",
  "local function f()\n return tostring({}, 1) == nil\nend\nreturn f()",
  "local function f(s)\n return s:sub()\nend\nreturn f('abc')",
  "local function f()\n return cjson.decode('{')\nend\nlocal ok, e = pcall(f) return e",
  "local function f(...) return select(2, ...) end return {f(1, 2, 3)}",
  "local function f(t) return next(t) end return {f({5})}",
  "local function f() return cmsgpack.unpack(cmsgpack.pack(1, 2, 3)) end return {f()}",
  "local t = {sub = function(self) return 1, 2 end} local function f(s) return s:sub() end return {f(t)}",
  "local cjson = {encode = function() return 1, 2 end} local function f() return cjson.encode() end return {f()}",
  "local function f(tostring) return tostring() end return {f(function() return 1, 2 end)}",
  "local function f()\n  if true then return bit.band({}) end\nend\nreturn f()",
  "local f = loadstring('return string.rep()') local ok, e = pcall(f) return e",
  "local s = 'abc' local x = s:sub() return x",
  "local s = 'abc' local x = s:rep() return x",
  "local s = 'abc' local x = s:find() return x",
  "return ('%d'):format('x')",
  "local t = setmetatable({}, {__index = string}) local x = t:sub(1) return x",
  "return select(2, pcall(function() local s = 'a' local x = s:rep() return x end))",
  "return select(2, pcall(function() local x = string.rep() return x end))",
  "return select(2, pcall(function() local x = string.sub('a', {}) return x end))",
  "return select(2, pcall(string.rep))",
  "return select(2, pcall(string.rep, 'x', {}))",
  "local ok, e = pcall(nil) return {tostring(ok), e}",
  "return {xpcall()}",
  "return {pcall(function(...) return select('#', ...) end, 1, nil, nil)}",
  "return {pcall(error, {err = 'x'})}",
  "return {pcall(error)}",
  "local x = bit.band({}) return x",
  "local x = bit.bor(1, {}) return x",
  "local x = bit.lshift(1, {}) return x",
  // the front end's own names (time-limit counter, tick, goto) cannot be reached by a script, and the counter takes none of its 200 locals
  "return __redust_tick",
  "return type(__redust_tick)",
  "for i = 1, 2 do end return __redust_c",
  "local goto__lua51 = 1 local goto = 2 return goto__lua51",
  "return x__lua51",
  "local __redust_u = 5 return __redust_u",
  "local t = {__redust_c = 1} return t.__redust_c",
  "local __redust_c = nil return __redust_c.x",
  "return select(2, pcall(function() return __redust_c end))",
  "local a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38, a39, a40, a41, a42, a43, a44, a45, a46, a47, a48, a49, a50, a51, a52, a53, a54, a55, a56, a57, a58, a59, a60, a61, a62, a63, a64, a65, a66, a67, a68, a69, a70, a71, a72, a73, a74, a75, a76, a77, a78, a79, a80, a81, a82, a83, a84, a85, a86, a87, a88, a89, a90, a91, a92, a93, a94, a95, a96, a97, a98, a99, a100, a101, a102, a103, a104, a105, a106, a107, a108, a109, a110, a111, a112, a113, a114, a115, a116, a117, a118, a119, a120, a121, a122, a123, a124, a125, a126, a127, a128, a129, a130, a131, a132, a133, a134, a135, a136, a137, a138, a139, a140, a141, a142, a143, a144, a145, a146, a147, a148, a149, a150, a151, a152, a153, a154, a155, a156, a157, a158, a159, a160, a161, a162, a163, a164, a165, a166, a167, a168, a169, a170, a171, a172, a173, a174, a175, a176, a177, a178, a179, a180, a181, a182, a183, a184, a185, a186, a187, a188, a189, a190, a191, a192, a193, a194, a195, a196, a197, a198, a199\nlocal function f() return 1 end return f() + a1",
  "local a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38, a39, a40, a41, a42, a43, a44, a45, a46, a47, a48, a49, a50, a51, a52, a53, a54, a55, a56, a57, a58, a59, a60, a61, a62, a63, a64, a65, a66, a67, a68, a69, a70, a71, a72, a73, a74, a75, a76, a77, a78, a79, a80, a81, a82, a83, a84, a85, a86, a87, a88, a89, a90, a91, a92, a93, a94, a95, a96, a97, a98, a99, a100, a101, a102, a103, a104, a105, a106, a107, a108, a109, a110, a111, a112, a113, a114, a115, a116, a117, a118, a119, a120, a121, a122, a123, a124, a125, a126, a127, a128, a129, a130, a131, a132, a133, a134, a135, a136, a137, a138, a139, a140, a141, a142, a143, a144, a145, a146, a147, a148, a149, a150, a151, a152, a153, a154, a155, a156, a157, a158, a159, a160, a161, a162, a163, a164, a165, a166, a167, a168, a169, a170, a171, a172, a173, a174, a175, a176, a177, a178, a179, a180, a181, a182, a183, a184, a185, a186, a187, a188, a189, a190, a191, a192, a193, a194, a195, a196, a197, a198, a199, a200\nwhile false do end return 2 -- c",
  "local a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, a21, a22, a23, a24, a25, a26, a27, a28, a29, a30, a31, a32, a33, a34, a35, a36, a37, a38, a39, a40, a41, a42, a43, a44, a45, a46, a47, a48, a49, a50, a51, a52, a53, a54, a55, a56, a57, a58, a59, a60, a61, a62, a63, a64, a65, a66, a67, a68, a69, a70, a71, a72, a73, a74, a75, a76, a77, a78, a79, a80, a81, a82, a83, a84, a85, a86, a87, a88, a89, a90, a91, a92, a93, a94, a95, a96, a97, a98, a99, a100, a101, a102, a103, a104, a105, a106, a107, a108, a109, a110, a111, a112, a113, a114, a115, a116, a117, a118, a119, a120, a121, a122, a123, a124, a125, a126, a127, a128, a129, a130, a131, a132, a133, a134, a135, a136, a137, a138, a139, a140, a141, a142, a143, a144, a145, a146, a147, a148, a149, a150, a151, a152, a153, a154, a155, a156, a157, a158, a159, a160, a161, a162, a163, a164, a165, a166, a167, a168, a169, a170, a171, a172, a173, a174, a175, a176, a177, a178, a179, a180, a181, a182, a183, a184, a185, a186, a187, a188, a189, a190, a191, a192, a193, a194, a195, a196, a197, a198, a199, a200\nlocal b = 1 while false do end return 1",
  // `#` where 5.1 expects a statement stays a syntax error about '#'
  "#x",
  "local a = 1 #x",
  "return #t^2",
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

  diffTest(t, 'FCALL names are case-insensitive; read-only scripts refuse PUBLISH; rejected calls counted', async ({ d }) => {
    await d.all([
      ['FUNCTION', 'FLUSH'],
      ['CONFIG', 'RESETSTAT'],
      ['FUNCTION', 'LOAD', "#!lua name=cs\nredis.register_function('MyFunc', function() return 1 end)\nredis.register_function{function_name='ro', callback=function() return redis.call('publish', 'ch', 'x') end, flags={'no-writes'}}"],
      ['FCALL', 'myfunc', '0'],
      ['FCALL', 'MYFUNC', '0'],
      ['FUNCTION', 'LOAD', "#!lua name=cs2\nredis.register_function('myfunc', function() return 2 end)"],
      ['FCALL_RO', 'ro', '0'],
      ['FCALL', 'ro', '0'],
      ['EVAL_RO', "return redis.call('publish', 'ch', 'x')", '0'],
      ['EVAL', "#!lua flags=no-writes\nreturn redis.call('publish', 'ch', 'x')", '0'],
      ['EVAL', "return redis.pcall('nosuchcmd')", '0'],
      ['EVAL', "return redis.pcall('set', 'a')", '0'],
      ['EVAL_RO', "return redis.pcall('set', 'a', 'b')", '0'],
      ['EVAL', "return redis.pcall('multi')", '0'],
    ]);
    const stats = async (conn: typeof d.redust) => {
      const info = (await conn.send('INFO', 'commandstats')) as { v: Buffer | string };
      return String(info.v).split('\r\n').filter((l) => /^cmdstat_(set|publish|multi|nosuchcmd):/.test(l)).map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
    };
    assert.equal(await stats(d.redust), await stats(d.reference));
    await d.check(['FUNCTION', 'FLUSH']);
  });

  diffTest(t, 'scripts that declare flags without allow-oom/no-writes are refused under maxmemory', async ({ d }) => {
    await d.all([
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'LOAD', "#!lua name=oom\nredis.register_function('w', function() return 1 end)\nredis.register_function{function_name='r', callback=function() return 2 end, flags={'no-writes'}}\nredis.register_function{function_name='a', callback=function() return 3 end, flags={'allow-oom'}}"],
      ['SET', 'x', 'y'],
      ['SCRIPT', 'LOAD', '#!lua\nreturn 4'],
      ['CONFIG', 'RESETSTAT'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['EVAL', '#!lua\nreturn 1', '0'],
      ['EVAL', '#!lua flags=no-writes\nreturn 1', '0'],
      ['EVAL', '#!lua flags=allow-oom\nreturn 1', '0'],
      ['EVAL', 'return 1', '0'],
      ['EVALSHA', '${SHA}', '0'],
      ['EVAL_RO', '#!lua\nreturn 1', '0'],
      ['FCALL', 'w', '0'],
      ['FCALL', 'r', '0'],
      ['FCALL', 'a', '0'],
      ['FCALL_RO', 'w', '0'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
    ].map((a) => a.map((x) => (x === '${SHA}' ? 'f310ce338ecfad1d6e7af5f879fbb55dab148581' : x))));
    const stats = async (conn: typeof d.redust) => {
      const info = (await conn.send('INFO', 'commandstats')) as { v: Buffer | string };
      return String(info.v).split('\r\n').filter((l) => /^cmdstat_(eval|evalsha|eval_ro|fcall|fcall_ro):/.test(l)).map((l) => l.replace(/usec=\d+,usec_per_call=[\d.]+,/, '')).sort();
    };
    assert.equal(await stats(d.redust), await stats(d.reference));
    await d.check(['FUNCTION', 'FLUSH']);
  });

  diffTest(t, 'FUNCTION STATS shows the running function; a busy EVAL answers BUSY', async ({ ref }) => {
    // A busy script blocks its server's event loop: Redust runs as a separate process here.
    const port0 = await freePort();
    const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'bin', 'redust.js'), '--port', String(port0), '--engine', engine, '--loglevel', 'warning'], { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      try {
        (await RawConnection.connect(port0)).close();
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const seen: string[][] = [];
    for (const port of [port0, ref.port]) {
      const a = await RawConnection.connect(port);
      const b = await RawConnection.connect(port);
      const out: string[] = [];
      await b.send('CONFIG', 'SET', 'busy-reply-threshold', '50');
      await b.send('FUNCTION', 'LOAD', 'REPLACE', "#!lua name=busy\nredis.register_function{function_name='spin', callback=function() while true do end end, flags={'no-writes'}}");
      const p = a.send('FCALL', 'SPIN', '0', 'k', 'v');
      await new Promise((r) => setTimeout(r, 200));
      out.push(renderNode(await b.send('FUNCTION', 'STATS')).replace(/"duration_ms", :\d+/, '"duration_ms", N'));
      out.push(renderNode(await b.send('FUNCTION', 'KILL')), renderNode(await p));
      const p2 = a.send('EVAL', 'while true do end', '0');
      await new Promise((r) => setTimeout(r, 200));
      out.push(renderNode(await b.send('FUNCTION', 'STATS')));
      out.push(renderNode(await b.send('SCRIPT', 'KILL')), renderNode(await p2));
      await b.send('FUNCTION', 'DELETE', 'busy');
      await b.send('CONFIG', 'SET', 'busy-reply-threshold', '5000');
      a.close();
      b.close();
      seen.push(out);
    }
    child.kill('SIGKILL');
    assert.equal(seen[0], seen[1]);
  });

  t.run();
}
