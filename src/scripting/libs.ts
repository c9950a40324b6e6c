/**
 * Redis's bundled Lua libraries, re-implemented in Lua 5.4 (each chunk returns its module table):
 * bit (LuaBitOp 1.0), cjson (lua-cjson 2.1 as Redis configures it), cmsgpack (lua-cmsgpack 0.4),
 * struct (Roberto Ierusalimschy's struct library). Behaviour follows the C libraries: 32-bit
 * signed results for bit, %.14g numbers and "\/" escaping in cjson, smallest encodings in
 * cmsgpack, struct as lua_struct.c computes it on x86-64. cjson's encoder and decoder and cmsgpack's
 * decoder are JS natives passed to their chunks (json-encode.ts, json-decode.ts,
 * msgpack-decode.ts). Differences are listed in docs/compatibility.md.
 */
/**
 * 5.1's luaL_argerror, shared by the prelude (prelude.ts) and the library chunks below (each gets
 * its own copy of this source): `argerror(lvl, n, fname, extra)` raises what `error(msg, lvl)`
 * would raise from its caller, lvl being the level that blames the library function's caller
 * (2 from the library function itself). Called from C (pcall(f, ...)), 5.1's function has no
 * name there and no position: "bad argument #1 to '?' (...)"; called as a method (s:f()), self
 * is not counted. Called by the script's own code, the function is named as the call names it
 * (5.1's getfuncname, which 5.4's getinfo 'n' computes alike): `local f = string.rep f()` names
 * 'f', `t[1]()` and a metamethod '?', a generic for's iterator '(for generator)'; called from the prelude or a
 * library, or where 5.4 has no name (a tail call, whose caller's frame is gone), `fname`.
 */
export const LUA_ARGERROR = String.raw`
local argerror
do
  local getinfo, format = debug.getinfo, string.format
  argerror = function(lvl, n, fname, extra)
    local caller = getinfo(lvl + 1, 'S')
    if caller and caller.what == 'C' then fname = '?'
    else
      local i = getinfo(lvl, 'n')
      if i.name and caller and caller.source ~= '=redust' and caller.source ~= '=lib' then
        -- (a metamethod has no name in 5.1)
        fname = i.namewhat == 'for iterator' and '(for generator)' or i.namewhat == 'metamethod' and '?' or i.name
      end
      if i.namewhat == 'method' then
        n = n - 1
        if n == 0 then error(format("calling '%s' on bad self (%s)", fname, extra), lvl + 1) end
      end
    end
    error(format("bad argument #%d to '%s' (%s)", n, fname, extra), lvl + 1)
  end
end
`;

export const LIBS: Record<string, string> = {
  bit: String.raw`${LUA_ARGERROR}
local floor, type, tonumber, error, select, string_format = math.floor, type, tonumber, error, select, string.format
-- (present: whether the argument was passed at all, "nil" or "no value" in the error; the callers
-- ask select('#', ...) only when the value is nil)
local function tobit(x, argn, fname, present)
  if type(x) ~= 'number' then
    local n = tonumber(x)
    if not n then argerror(3, argn or 1, fname or 'tobit', 'number expected, got ' .. ((x == nil and not present) and 'no value' or type(x))) end
    x = n
  end
  if math.type(x) == 'float' then
    if x ~= x or x == 1/0 or x == -1/0 then return 0 end
    x = floor(x + 0.5)
    x = math.tointeger(x) or floor(math.fmod(x, 4294967296))
    x = math.tointeger(x) or 0
  end
  x = x & 0xFFFFFFFF
  if x >= 0x80000000 then x = x - 0x100000000 end
  return x
end
local bit = {}
bit.tobit = function(...) local x = ... return 0.0 + tobit(x, 1, 'tobit', x ~= nil or select('#', ...) > 0) end
bit.bnot = function(...) local x = ... return 0.0 + tobit(~tobit(x, 1, 'bnot', x ~= nil or select('#', ...) > 0)) end
bit.band = function(...) local x = ... local r = tobit(x, 1, 'band', x ~= nil or select('#', ...) > 0) for i = 2, select('#', ...) do r = r & tobit((select(i, ...)), i, 'band', true) end return 0.0 + tobit(r) end
bit.bor = function(...) local x = ... local r = tobit(x, 1, 'bor', x ~= nil or select('#', ...) > 0) for i = 2, select('#', ...) do r = r | tobit((select(i, ...)), i, 'bor', true) end return 0.0 + tobit(r) end
bit.bxor = function(...) local x = ... local r = tobit(x, 1, 'bxor', x ~= nil or select('#', ...) > 0) for i = 2, select('#', ...) do r = r ~ tobit((select(i, ...)), i, 'bxor', true) end return 0.0 + tobit(r) end
-- (the shifts and rotations convert the first argument, then the second, as LuaBitOp's barg calls)
bit.lshift = function(...) local x, n = ... return 0.0 + tobit((tobit(x, 1, 'lshift', x ~= nil or select('#', ...) > 0) & 0xFFFFFFFF) << (tobit(n, 2, 'lshift', n ~= nil or select('#', ...) > 1) & 31)) end
bit.rshift = function(...) local x, n = ... return 0.0 + tobit((tobit(x, 1, 'rshift', x ~= nil or select('#', ...) > 0) & 0xFFFFFFFF) >> (tobit(n, 2, 'rshift', n ~= nil or select('#', ...) > 1) & 31)) end
bit.arshift = function(...)
  local x, n = ...
  x = tobit(x, 1, 'arshift', x ~= nil or select('#', ...) > 0)
  n = tobit(n, 2, 'arshift', n ~= nil or select('#', ...) > 1) & 31
  return 0.0 + tobit(x >> n | (x < 0 and ~(0xFFFFFFFF >> n) or 0))
end
bit.rol = function(...)
  local x, n = ...
  x = tobit(x, 1, 'rol', x ~= nil or select('#', ...) > 0) & 0xFFFFFFFF
  n = tobit(n, 2, 'rol', n ~= nil or select('#', ...) > 1) & 31
  return 0.0 + tobit((x << n) | (x >> (32 - n)))
end
bit.ror = function(...)
  local x, n = ...
  x = tobit(x, 1, 'ror', x ~= nil or select('#', ...) > 0) & 0xFFFFFFFF
  n = tobit(n, 2, 'ror', n ~= nil or select('#', ...) > 1) & 31
  return 0.0 + tobit((x >> n) | (x << (32 - n)))
end
bit.bswap = function(...)
  local x = ...
  x = tobit(x, 1, 'bswap', x ~= nil or select('#', ...) > 0) & 0xFFFFFFFF
  return 0.0 + tobit(((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24))
end
bit.tohex = function(...)
  local x, n = ...
  x = tobit(x, 1, 'tohex', x ~= nil or select('#', ...) > 0) & 0xFFFFFFFF
  -- (8 digits only when the second argument is absent: an explicit nil is refused, lua_isnone)
  if n == nil and select('#', ...) < 2 then n = 8 else n = tobit(n, 2, 'tohex', true) end
  local upper = false
  if n < 0 then n = -n upper = true end
  if n > 8 then n = 8 end
  local s = string_format(upper and '%08X' or '%08x', x)
  return s:sub(9 - n)
end
return bit
`,

  cjson: String.raw`${LUA_ARGERROR}
local NULL, decode_native, encode_native = ...
local type, tostring, error, select, tonumber, floor = type, tostring, error, select, tonumber, math.floor
local cjson = {null = NULL, _NAME = 'cjson', _VERSION = '2.1.0'}
local max_depth, decode_max_depth, precision = 1000, 1000, 14
local sparse_convert, sparse_ratio, sparse_safe = false, 2, 10
local enc_invalid = 0 -- cjson's encode_invalid_numbers: 0 off, 1 on, 2 null
local keep_buffer, dec_invalid = 1, 1 -- encode_keep_buffer and decode_invalid_numbers: 0 off, 1 on

-- The encoder is native: src/scripting/json-encode.ts (the chunk's third argument), given the
-- settings above with each call.
cjson.encode = function(...)
  if select('#', ...) ~= 1 then argerror(2, 1, 'encode', 'expected 1 argument') end
  local ok, e = pcall(encode_native, (...), max_depth, precision, sparse_convert, sparse_ratio, sparse_safe, enc_invalid)
  if not ok then error(e, 2) end
  return e
end

-- ---------------------------------------------------------------- decode
-- The parser is native: src/scripting/json-decode.ts (the chunk's second argument).

cjson.decode = function(...)
  if select('#', ...) ~= 1 then argerror(2, 1, 'decode', 'expected 1 argument') end
  local s = ...
  if type(s) ~= 'string' then
    if type(s) == 'number' then s = tostring(s) else argerror(2, 1, 'decode', 'string expected, got ' .. type(s)) end
  end
  local ok, v = pcall(decode_native, s, decode_max_depth, dec_invalid == 1)
  if not ok then error(v, 2) end
  return v
end

-- The configuration functions as lua_cjson.c's: json_arg_init (at most n arguments),
-- json_integer_option (luaL_checkinteger, then the range checked as argument 1 whatever the
-- option's position) and json_enum_option (a boolean, or one of the option names; the result a
-- boolean for the settings 0 and 1, else the option's name). Errors name the function at level 3:
-- the configuration function that called these.
local function cfg_args(fname, n, count)
  if count > n then argerror(3, n + 1, fname, 'found too many arguments') end
end
local function cfg_int(fname, idx, v, cur, min, max)
  if v == nil then return cur end
  local n = tonumber(v)
  if n == nil then argerror(3, idx, fname, 'number expected, got ' .. type(v)) end
  n = n >= 0 and floor(n) or -floor(-n)
  if n < min or n > max then argerror(3, 1, fname, 'expected integer between ' .. min .. ' and ' .. max) end
  return n
end
local BOOL_OPTIONS = {'off', 'on'}
local function cfg_enum(fname, idx, v, cur, names)
  if v == nil then return cur end
  if type(v) == 'boolean' then return v and 1 or 0 end
  if type(v) ~= 'string' and type(v) ~= 'number' then argerror(3, idx, fname, 'string expected, got ' .. type(v)) end
  v = v .. ''
  for k = 1, #names do if names[k] == v then return k - 1 end end
  argerror(3, idx, fname, "invalid option '" .. v .. "'")
end
local function enum_result(setting, names)
  if setting == 0 or setting == 1 then return setting == 1 end
  return names[setting + 1]
end
cjson.encode_keep_buffer = function(...)
  cfg_args('encode_keep_buffer', 1, select('#', ...))
  keep_buffer = cfg_enum('encode_keep_buffer', 1, (...), keep_buffer, BOOL_OPTIONS)
  return enum_result(keep_buffer)
end
cjson.encode_max_depth = function(...)
  cfg_args('encode_max_depth', 1, select('#', ...))
  max_depth = cfg_int('encode_max_depth', 1, (...), max_depth, 1, 2147483647)
  return max_depth
end
cjson.decode_max_depth = function(...)
  cfg_args('decode_max_depth', 1, select('#', ...))
  decode_max_depth = cfg_int('decode_max_depth', 1, (...), decode_max_depth, 1, 2147483647)
  return decode_max_depth
end
cjson.encode_number_precision = function(...)
  cfg_args('encode_number_precision', 1, select('#', ...))
  precision = cfg_int('encode_number_precision', 1, (...), precision, 1, 14)
  return precision
end
cjson.encode_sparse_array = function(...)
  cfg_args('encode_sparse_array', 3, select('#', ...))
  local c, r, sf = ...
  sparse_convert = cfg_enum('encode_sparse_array', 1, c, sparse_convert and 1 or 0, BOOL_OPTIONS) == 1
  sparse_ratio = cfg_int('encode_sparse_array', 2, r, sparse_ratio, 0, 2147483647)
  sparse_safe = cfg_int('encode_sparse_array', 3, sf, sparse_safe, 0, 2147483647)
  return sparse_convert, sparse_ratio, sparse_safe
end
local INVALID_OPTIONS = {'off', 'on', 'null'}
cjson.encode_invalid_numbers = function(...)
  cfg_args('encode_invalid_numbers', 1, select('#', ...))
  enc_invalid = cfg_enum('encode_invalid_numbers', 1, (...), enc_invalid, INVALID_OPTIONS)
  return enum_result(enc_invalid, INVALID_OPTIONS)
end
-- (off: the decoder refuses what json_is_invalid_number finds: '+', leading zeros, hex, inf, nan)
cjson.decode_invalid_numbers = function(...)
  cfg_args('decode_invalid_numbers', 1, select('#', ...))
  dec_invalid = cfg_enum('decode_invalid_numbers', 1, (...), dec_invalid, BOOL_OPTIONS)
  return enum_result(dec_invalid)
end
cjson.new = function() return cjson end
return cjson
`,

  cmsgpack: String.raw`${LUA_ARGERROR}
local unpack_native = ...
local type, next, error, select, string_pack, string_unpack, string_char, concat, math_type, floor, pcall =
      type, next, error, select, string.pack, string.unpack, string.char, table.concat, math.type, math.floor, pcall
local MAX_NESTING = 16
local cmsgpack = {_NAME = 'cmsgpack', _VERSION = 'lua-cmsgpack 0.4.0',
  _COPYRIGHT = 'Copyright (C) 2012, Salvatore Sanfilippo', _DESCRIPTION = 'MessagePack C implementation for Lua'}

local pack_value
local function is_array(t)
  local count, max = 0, 0
  for k in next, t do
    if type(k) ~= 'number' or k < 1 or floor(k) ~= k then return false end
    if k > max then max = k end
    count = count + 1
  end
  return max == count
end

local function pack_int(n, buf)
  if n >= 0 then
    if n <= 127 then buf[#buf + 1] = string_char(n)
    elseif n <= 0xff then buf[#buf + 1] = string_pack('>BI1', 0xcc, n)
    elseif n <= 0xffff then buf[#buf + 1] = string_pack('>BI2', 0xcd, n)
    elseif n <= 0xffffffff then buf[#buf + 1] = string_pack('>BI4', 0xce, n)
    else buf[#buf + 1] = string_pack('>Bi8', 0xcf, n) end
  else
    if n >= -32 then buf[#buf + 1] = string_char(n & 0xff)
    elseif n >= -128 then buf[#buf + 1] = string_pack('>Bi1', 0xd0, n)
    elseif n >= -32768 then buf[#buf + 1] = string_pack('>Bi2', 0xd1, n)
    elseif n >= -2147483648 then buf[#buf + 1] = string_pack('>Bi4', 0xd2, n)
    else buf[#buf + 1] = string_pack('>Bi8', 0xd3, n) end
  end
end

pack_value = function(v, buf, level)
  local t = type(v)
  if t == 'nil' then buf[#buf + 1] = '\xc0'
  elseif t == 'boolean' then buf[#buf + 1] = v and '\xc3' or '\xc2'
  elseif t == 'number' then
    local i = math_type(v) == 'integer' and v or (v == floor(v) and v >= -9.2233720368547758e18 and v < 9.2233720368547758e18 and math.tointeger(v))
    if i then pack_int(i, buf)
    else
      -- (mp_encode_double: a float when (double)(float)d == d, so never for NaN)
      local f = string_pack('>f', v)
      if string_unpack('>f', f) == v then buf[#buf + 1] = '\xca' .. f
      else buf[#buf + 1] = '\xcb' .. string_pack('>d', v) end
    end
  elseif t == 'string' then
    local n = #v
    if n < 32 then buf[#buf + 1] = string_char(0xa0 | n)
    elseif n <= 0xff then buf[#buf + 1] = string_pack('>BI1', 0xd9, n)
    elseif n <= 0xffff then buf[#buf + 1] = string_pack('>BI2', 0xda, n)
    else buf[#buf + 1] = string_pack('>BI4', 0xdb, n) end
    buf[#buf + 1] = v
  elseif t == 'table' and level < MAX_NESTING then
    if is_array(v) then
      local n = #v
      if n < 16 then buf[#buf + 1] = string_char(0x90 | n)
      elseif n <= 0xffff then buf[#buf + 1] = string_pack('>BI2', 0xdc, n)
      else buf[#buf + 1] = string_pack('>BI4', 0xdd, n) end
      for i = 1, n do pack_value(v[i], buf, level + 1) end
    else
      local n = 0
      for _ in next, v do n = n + 1 end
      if n < 16 then buf[#buf + 1] = string_char(0x80 | n)
      elseif n <= 0xffff then buf[#buf + 1] = string_pack('>BI2', 0xde, n)
      else buf[#buf + 1] = string_pack('>BI4', 0xdf, n) end
      for k, val in next, v do
        pack_value(k, buf, level + 1)
        pack_value(val, buf, level + 1)
      end
    end
  else
    buf[#buf + 1] = '\xc0'
  end
end

local dbg_getinfo, string_format, tonumber, tostring = debug.getinfo, string.format, tonumber, tostring
-- luaL_argerror called from the public function: the caller of that function is blamed.
local function libargerror(fname, n, msg) argerror(3, n, fname, msg) end
-- luaL_checkinteger / luaL_optinteger (lua_Integer, 64 bits: a number or a numeric string,
-- truncated; out of range, x86's 0x8000000000000000); nil and an error text when not one.
local function intarg(v, present)
  local d = type(v) == 'number' and v or (type(v) == 'string' and tonumber(v)) or nil
  if d == nil then return nil, 'number expected, got ' .. (present and type(v) or 'no value') end
  return math.tointeger(d >= 0 and d - d % 1 or d - d % -1) or math.mininteger
end
-- luaL_checklstring: a string, or a number as 5.1 prints it
local function strarg(v, present)
  if type(v) == 'string' then return v end
  if type(v) == 'number' then return string_format('%.14g', v) end
  return nil, 'string expected, got ' .. (present and type(v) or 'no value')
end

cmsgpack.pack = function(...)
  local n = select('#', ...)
  if n == 0 then libargerror('pack', 0, 'MessagePack pack needs input.') end
  local buf = {}
  for i = 1, n do pack_value((select(i, ...)), buf, 0) end
  return concat(buf)
end

-- The decoder is native: src/scripting/msgpack-decode.ts (the chunk's argument), as
-- mp_unpack_full(s, limit, offset). Arguments are checked in the C library's order.
-- Its errors are raised again at level 2, the position lua_cmsgpack.c's luaL_error gives them
-- (its caller's line: "user_script:1: Missing bytes in input."). unpacked is tail-called, so
-- it takes the unpack function's frame and level 2 is that function's caller.
local function unpacked(ok, ...)
  if ok then return ... end
  error((...), 2)
end
cmsgpack.unpack = function(...)
  local s = ...
  if type(s) == 'string' then return unpacked(pcall(unpack_native, s, 0, 0)) end
  local e
  s, e = strarg((...), select('#', ...) >= 1)
  if not s then libargerror('unpack', 1, e) end
  return unpacked(pcall(unpack_native, s, 0, 0))
end
cmsgpack.unpack_one = function(...)
  local n = select('#', ...)
  local v, o = ...
  local offset, e = 0, nil
  if n >= 2 and o ~= nil then
    offset, e = intarg(o, true)
    if not offset then libargerror('unpack_one', 2, e) end
  end
  local s, e2 = strarg(v, n >= 1)
  if not s then libargerror('unpack_one', 1, e2) end
  return unpacked(pcall(unpack_native, s, 1, offset))
end
cmsgpack.unpack_limit = function(...)
  local n = select('#', ...)
  local v, l, o = ...
  local limit, e = intarg(l, n >= 2)
  if not limit then libargerror('unpack_limit', 2, e) end
  local offset = 0
  if n >= 3 and o ~= nil then
    offset, e = intarg(o, true)
    if not offset then libargerror('unpack_limit', 3, e) end
  end
  local s, e2 = strarg(v, n >= 1)
  if not s then libargerror('unpack_limit', 1, e2) end
  return unpacked(pcall(unpack_native, s, limit, offset))
end
return cmsgpack
`,

  struct: String.raw`${LUA_ARGERROR}
local luaL_argerror = argerror
-- A port of Redis 7.0's deps/lua/src/lua_struct.c (struct.c 1.4 with Redis's getnum overflow
-- check), as compiled for x86-64: char 1, short 2, int 4, long 8, size_t 8, float 4, double 8
-- bytes, native little-endian, MAXALIGN 8, MAXINTSIZE 32. Integers travel in a 64-bit value
-- (wider fields get zero bytes, as its Uinttype does); a double that does not fit converts as x86
-- does it (0x8000000000000000). Errors as the C library raises them: luaL_argerror names the
-- function, or '?' when called from C (pcall(struct.pack, ...)); luaL_error adds the caller's
-- position.
local type, error, tonumber, select, pcall, setmetatable, getmetatable = type, error, tonumber, select, pcall, setmetatable, getmetatable
local byte, char, sub, find, format, concat = string.byte, string.char, string.sub, string.find, string.format, table.concat
local string_pack, string_unpack, math_type, mininteger = string.pack, string.unpack, math.type, math.mininteger
local dbg_getinfo = debug.getinfo
local struct = {}

local ERR = {}
local function luaerror(msg) error(setmetatable({msg = msg}, ERR), 0) end
local function argerror(n, msg) error(setmetatable({msg = msg, arg = n}, ERR), 0) end
-- The public function is level 4 from luaL_argerror (rethrow <- results <- public function), its
-- caller level 4 from rethrow.
local function rethrow(name, e)
  if getmetatable(e) ~= ERR then error(e, 0) end
  if e.arg then luaL_argerror(4, e.arg, name, e.msg) end
  error(e.msg, 4)
end

local function tostr51(v) return type(v) == 'number' and format('%.14g', v) or v end
local function typename(args, n, i) return i > n and 'no value' or type(args[i]) end
-- luaL_checklstring: a string, or a number converted with %.14g
local function checkstring(args, n, i)
  local v = args[i]
  local t = type(v)
  if t == 'string' then return v end
  if t == 'number' then return tostr51(v) end
  argerror(i, 'string expected, got ' .. typename(args, n, i))
end
-- luaL_checknumber: a number, or a string that reads as one
local function checknumber(args, n, i)
  local v = args[i]
  if type(v) == 'number' then return v + 0.0 end
  local d = type(v) == 'string' and tonumber(v) or nil
  if d == nil then argerror(i, 'number expected, got ' .. typename(args, n, i)) end
  return d + 0.0
end

local function isdigit(c) return c ~= nil and c >= 48 and c <= 57 end
-- getnum: the digits at fmt[p], or df; returns the number and the position after it.
local function getnum(fmt, p, df)
  local c = byte(fmt, p)
  if not isdigit(c) then return df, p end
  local a = 0
  repeat
    local d = c - 48
    if a > 214748364 or a * 10 > 2147483647 - d then luaerror('integral size overflow') end
    a = a * 10 + d
    p = p + 1
    c = byte(fmt, p)
  until not isdigit(c)
  return a, p
end

local SIZES = {[66] = 1, [98] = 1, [72] = 2, [104] = 2, [76] = 8, [108] = 8, [84] = 8, [102] = 4, [100] = 8, [120] = 1}
-- optsize: the option's size (0 for the rest), and the position after its digits.
local function optsize(opt, fmt, p)
  local sz = SIZES[opt]
  if sz then return sz, p end
  if opt == 99 then return getnum(fmt, p, 1) end -- c
  if opt == 105 or opt == 73 then -- i I
    sz, p = getnum(fmt, p, 4)
    if sz > 32 then luaerror(format('integral size %d is larger than limit of %d', sz, 32)) end
    return sz, p
  end
  return 0, p
end

local function gettoalign(len, align, opt, size)
  if size == 0 or opt == 99 then return 0 end
  if size > align then size = align end
  return (size - (len & (size - 1))) & (size - 1)
end

-- controloptions: endianness and alignment; returns little, align and the position after.
local function controloptions(opt, fmt, p, little, align)
  if opt == 32 then return little, align, p end
  if opt == 62 then return false, align, p end
  if opt == 60 then return true, align, p end
  if opt == 33 then
    local a
    a, p = getnum(fmt, p, 8)
    if not (a > 0 and (a & (a - 1)) == 0) then luaerror(format('alignment %d is not a power of 2', a)) end
    return little, a, p
  end
  argerror(1, format("invalid format option '%s'", char(opt)))
end

-- A double to the 64-bit value C's casts give on x86-64: (unsigned long)(long)n below 0, else
-- (unsigned long)n (cvttsd2si, its "integer indefinite" 0x8000000000000000 when out of range).
local function tovalue(n)
  if n < 0 then
    if n < -9223372036854775808.0 then return mininteger end
    return math.tointeger(n - n % -1) or mininteger -- (toward zero)
  end
  if n < 9223372036854775808.0 then return math.tointeger(n - n % 1) end
  if n < 18446744073709551616.0 then return math.tointeger(n - 9223372036854775808.0) ~ mininteger end
  if n == n then return 0 end
  return mininteger
end

local ZEROS = string.rep('\0', 32)
local function putinteger(out, n, little, size)
  local value = tovalue(n)
  -- the value's 8 bytes (two's complement), then as many of them as the field holds, zeros above
  if little then
    local b = string_pack('<i8', value)
    out[#out + 1] = size <= 8 and sub(b, 1, size) or b .. sub(ZEROS, 1, size - 8)
  else
    local b = string_pack('>i8', value)
    out[#out + 1] = size <= 8 and sub(b, 9 - size) or sub(ZEROS, 1, size - 8) .. b
  end
end

local function pack_impl(n, args)
  local fmt = checkstring(args, n, 1)
  -- (b_pack then pushes a nil to mark the end of its arguments: a missing argument right after
  -- them is "got nil", one past it "got no value")
  n = n + 1
  local little, align = true, 1
  local arg = 2
  local total = 0
  local out = {}
  local p = 1
  local len = #fmt
  while p <= len do
    local opt = byte(fmt, p)
    p = p + 1
    local size
    size, p = optsize(opt, fmt, p)
    local toalign = gettoalign(total, align, opt, size)
    total = total + toalign
    if toalign > 0 then out[#out + 1] = string.rep('\0', toalign) end
    if opt == 98 or opt == 66 or opt == 104 or opt == 72 or opt == 108 or opt == 76 or opt == 84 or opt == 105 or opt == 73 then
      putinteger(out, checknumber(args, n, arg), little, size)
      arg = arg + 1
    elseif opt == 120 then out[#out + 1] = '\0'
    elseif opt == 102 then
      out[#out + 1] = string_pack(little and '<f' or '>f', checknumber(args, n, arg))
      arg = arg + 1
    elseif opt == 100 then
      out[#out + 1] = string_pack(little and '<d' or '>d', checknumber(args, n, arg))
      arg = arg + 1
    elseif opt == 99 or opt == 115 then
      local str = checkstring(args, n, arg)
      arg = arg + 1
      local l = #str
      if size == 0 then size = l end
      -- (luaL_argcheck names the argument after the string: arg was incremented)
      if l < size then argerror(arg, 'string too short') end
      out[#out + 1] = sub(str, 1, size)
      if opt == 115 then
        out[#out + 1] = '\0'
        size = size + 1
      end
    else little, align, p = controloptions(opt, fmt, p, little, align) end
    total = total + size
  end
  return concat(out)
end

-- getinteger: the 64-bit value of size bytes at data[pos] (wider fields keep their low 64 bits;
-- the sign mask's shift count is taken mod 64, as x86's shl does), as a double.
local UFMT_LE, UFMT_BE = {}, {}
for i = 1, 8 do UFMT_LE[i] = '<I' .. i UFMT_BE[i] = '>I' .. i end
local function getinteger(data, pos, little, signed, size)
  local l = 0
  if size >= 1 and size <= 8 then
    l = string_unpack(little and UFMT_LE[size] or UFMT_BE[size], data, pos)
  elseif little then
    for i = size - 1, 0, -1 do l = (l << 8) | byte(data, pos + i) end
  else
    for i = 0, size - 1 do l = (l << 8) | byte(data, pos + i) end
  end
  if not signed then
    return ((l >> 32) & 0xffffffff) * 4294967296.0 + (l & 0xffffffff)
  end
  local mask = -1 << ((size * 8 - 1) & 63)
  if l & mask ~= 0 then l = l | mask end
  return l + 0.0
end

local function unpack_impl(n, args)
  local fmt = checkstring(args, n, 1)
  local data = checkstring(args, n, 2)
  local ld = #data
  local pos = 1
  if n >= 3 and args[3] ~= nil then
    local v = args[3]
    local d = type(v) == 'number' and v or (type(v) == 'string' and tonumber(v)) or nil
    if d == nil then argerror(3, 'number expected, got ' .. type(v)) end
    pos = math.tointeger(d >= 0 and d - d % 1 or d - d % -1) or 0
  end
  -- (size_t pos: a negative offset wraps to a huge one, which passes this check)
  if pos == 0 then argerror(3, 'offset must be 1 or greater') end
  pos = pos - 1
  local little, align = true, 1
  local res = {}
  local nres = 0
  local p = 1
  local len = #fmt
  while p <= len do
    local opt = byte(fmt, p)
    p = p + 1
    local size
    size, p = optsize(opt, fmt, p)
    pos = pos + gettoalign(pos, align, opt, size)
    if not (size <= ld and math.ult(pos, ld - size + 1)) then argerror(2, 'data string too short') end
    if n + nres + 2 > 8000 then luaerror('stack overflow (too many results)') end
    if opt == 98 or opt == 66 or opt == 104 or opt == 72 or opt == 108 or opt == 76 or opt == 84 or opt == 105 or opt == 73 then
      nres = nres + 1
      res[nres] = getinteger(data, pos + 1, little, opt >= 97, size)
    elseif opt == 120 then
    elseif opt == 102 then
      nres = nres + 1
      res[nres] = string_unpack(little and '<f' or '>f', data, pos + 1) + 0.0
    elseif opt == 100 then
      nres = nres + 1
      res[nres] = string_unpack(little and '<d' or '>d', data, pos + 1) + 0.0
    elseif opt == 99 then
      if size == 0 then
        local last = res[nres]
        local d = nres > 0 and (type(last) == 'number' and last or (type(last) == 'string' and tonumber(last))) or nil
        if not d then luaerror("format 'c0' needs a previous size") end
        -- (size_t: a negative or fractional count truncates, a negative one wraps)
        size = math.tointeger(d >= 0 and d - d % 1 or d - d % -1) or -1
        res[nres] = nil
        nres = nres - 1
        if not (math.ult(size, ld + 1) and math.ult(pos, ld - size + 1)) then argerror(2, 'data string too short') end
      end
      nres = nres + 1
      res[nres] = sub(data, pos + 1, pos + size)
    elseif opt == 115 then
      local e = find(data, '\0', pos + 1, true)
      if not e then luaerror('unfinished string in data') end
      size = e - pos
      nres = nres + 1
      res[nres] = sub(data, pos + 1, e - 1)
    else little, align, p = controloptions(opt, fmt, p, little, align) end
    pos = pos + size
  end
  nres = nres + 1
  res[nres] = pos + 1.0
  return table.unpack(res, 1, nres)
end

local function size_impl(n, args)
  local fmt = checkstring(args, n, 1)
  local little, align = true, 1
  local pos = 0
  local p = 1
  local len = #fmt
  while p <= len do
    local opt = byte(fmt, p)
    p = p + 1
    local size
    size, p = optsize(opt, fmt, p)
    pos = pos + gettoalign(pos, align, opt, size)
    if opt == 115 then argerror(1, "option 's' has no fixed size")
    elseif opt == 99 and size == 0 then argerror(1, "option 'c0' has no fixed size") end
    -- (isalnum: letters and digits are never control options; an unknown letter counts 0)
    if not ((opt >= 48 and opt <= 57) or (opt >= 65 and opt <= 90) or (opt >= 97 and opt <= 122)) then
      little, align, p = controloptions(opt, fmt, p, little, align)
    end
    pos = pos + size
  end
  return pos + 0.0
end

local function results(name, ok, ...)
  if ok then return ... end
  rethrow(name, (...))
end
-- (results is not tail-called: the public function's frame stays, so an argument error names the
-- function as the script's call names it, a local alias included)
struct.pack = function(...) return (results('pack', pcall(pack_impl, select('#', ...), {...}))) end
struct.unpack = function(...) return select(1, results('unpack', pcall(unpack_impl, select('#', ...), {...}))) end
struct.size = function(...) return (results('size', pcall(size_impl, select('#', ...), {...}))) end
return struct
`,
};
