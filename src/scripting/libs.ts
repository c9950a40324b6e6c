/**
 * Redis's bundled Lua libraries, re-implemented in Lua 5.4 (each chunk returns its module table):
 * bit (LuaBitOp 1.0), cjson (lua-cjson 2.1 as Redis configures it), cmsgpack (lua-cmsgpack 0.4),
 * struct (Roberto Ierusalimschy's struct library). Behaviour follows the C libraries: 32-bit
 * signed results for bit, %.14g numbers and "\/" escaping in cjson, smallest encodings in
 * cmsgpack, struct formats translated to string.pack. cjson's encoder and decoder and cmsgpack's
 * decoder are JS natives passed to their chunks (json-encode.ts, json-decode.ts,
 * msgpack-decode.ts). Differences are listed in docs/compatibility.md.
 */
export const LIBS: Record<string, string> = {
  bit: String.raw`
local floor, type, tonumber, error, select, string_format = math.floor, type, tonumber, error, select, string.format
local function tobit(x, argn, fname)
  if type(x) ~= 'number' then
    local n = tonumber(x)
    if not n then error("bad argument #" .. (argn or 1) .. " to '" .. (fname or 'tobit') .. "' (number expected, got " .. (x == nil and 'no value' or type(x)) .. ")", 3) end
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
bit.tobit = function(x) return 0.0 + tobit(x, 1, 'tobit') end
bit.bnot = function(x) return 0.0 + tobit(~tobit(x, 1, 'bnot')) end
bit.band = function(x, ...) local r = tobit(x, 1, 'band') for i = 1, select('#', ...) do r = r & tobit((select(i, ...)), i + 1, 'band') end return 0.0 + tobit(r) end
bit.bor = function(x, ...) local r = tobit(x, 1, 'bor') for i = 1, select('#', ...) do r = r | tobit((select(i, ...)), i + 1, 'bor') end return 0.0 + tobit(r) end
bit.bxor = function(x, ...) local r = tobit(x, 1, 'bxor') for i = 1, select('#', ...) do r = r ~ tobit((select(i, ...)), i + 1, 'bxor') end return 0.0 + tobit(r) end
bit.lshift = function(x, n) return 0.0 + tobit((tobit(x, 1, 'lshift') & 0xFFFFFFFF) << (tobit(n, 2, 'lshift') & 31)) end
bit.rshift = function(x, n) return 0.0 + tobit((tobit(x, 1, 'rshift') & 0xFFFFFFFF) >> (tobit(n, 2, 'rshift') & 31)) end
bit.arshift = function(x, n) return 0.0 + tobit(tobit(x, 1, 'arshift') >> (tobit(n, 2, 'arshift') & 31) | (tobit(x, 1, 'arshift') < 0 and ~(0xFFFFFFFF >> (tobit(n, 2, 'arshift') & 31)) or 0)) end
bit.rol = function(x, n) x = tobit(x, 1, 'rol') & 0xFFFFFFFF n = tobit(n, 2, 'rol') & 31 return 0.0 + tobit((x << n) | (x >> (32 - n))) end
bit.ror = function(x, n) x = tobit(x, 1, 'ror') & 0xFFFFFFFF n = tobit(n, 2, 'ror') & 31 return 0.0 + tobit((x >> n) | (x << (32 - n))) end
bit.bswap = function(x)
  x = tobit(x, 1, 'bswap') & 0xFFFFFFFF
  return 0.0 + tobit(((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24))
end
bit.tohex = function(x, n)
  x = tobit(x, 1, 'tohex') & 0xFFFFFFFF
  n = n == nil and 8 or tobit(n, 2, 'tohex')
  local upper = false
  if n < 0 then n = -n upper = true end
  if n > 8 then n = 8 end
  local s = string_format(upper and '%08X' or '%08x', x)
  return s:sub(9 - n)
end
return bit
`,

  cjson: String.raw`
local NULL, decode_native, encode_native = ...
local type, tostring, error, select = type, tostring, error, select
local cjson = {null = NULL, _NAME = 'cjson', _VERSION = '2.1.0'}
local max_depth, decode_max_depth, precision = 1000, 1000, 14
local sparse_convert, sparse_ratio, sparse_safe = false, 2, 10
local enc_invalid = 0 -- cjson's encode_invalid_numbers: 0 off, 1 on, 2 null

-- The encoder is native: src/scripting/json-encode.ts (the chunk's third argument), given the
-- settings above with each call.
cjson.encode = function(...)
  if select('#', ...) ~= 1 then error("bad argument #1 to 'encode' (expected 1 argument)", 2) end
  local ok, e = pcall(encode_native, (...), max_depth, precision, sparse_convert, sparse_ratio, sparse_safe, enc_invalid)
  if not ok then error(e, 2) end
  return e
end

-- ---------------------------------------------------------------- decode
-- The parser is native: src/scripting/json-decode.ts (the chunk's second argument).

cjson.decode = function(...)
  if select('#', ...) ~= 1 then error("bad argument #1 to 'decode' (expected 1 argument)", 2) end
  local s = ...
  if type(s) ~= 'string' then
    if type(s) == 'number' then s = tostring(s) else error("bad argument #1 to 'decode' (string expected, got " .. type(s) .. ")", 2) end
  end
  local ok, v = pcall(decode_native, s, decode_max_depth)
  if not ok then error(v, 2) end
  return v
end

cjson.encode_keep_buffer = function(v) return true end
cjson.encode_max_depth = function(v) if v then max_depth = v end return max_depth end
cjson.decode_max_depth = function(v) if v then decode_max_depth = v end return decode_max_depth end
cjson.encode_number_precision = function(v) if v then precision = v end return precision end
cjson.encode_sparse_array = function(c, r, s)
  if c ~= nil then sparse_convert = c end
  if r then sparse_ratio = r end
  if s then sparse_safe = s end
  return sparse_convert, sparse_ratio, sparse_safe
end
local invalid_options = {off = 0, on = 1, null = 2}
cjson.encode_invalid_numbers = function(...)
  local v = ...
  if v ~= nil then
    if type(v) == 'boolean' then enc_invalid = v and 1 or 0
    elseif invalid_options[v] then enc_invalid = invalid_options[v]
    else error("bad argument #1 to 'encode_invalid_numbers' (invalid option '" .. tostring(v) .. "')", 2) end
  end
  if enc_invalid == 2 then return 'null' end
  return enc_invalid == 1
end
cjson.decode_invalid_numbers = function() return true end
cjson.new = function() return cjson end
return cjson
`,

  cmsgpack: String.raw`
local unpack_native = ...
local type, next, error, select, string_pack, string_unpack, string_char, concat, math_type, floor =
      type, next, error, select, string.pack, string.unpack, string.char, table.concat, math.type, math.floor
local MAX_NESTING = 16
local cmsgpack = {_NAME = 'cmsgpack', _VERSION = 'lua-cmsgpack 0.4.0'}

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
      local f = string_pack('>f', v)
      if string_unpack('>f', f) == v or v ~= v then buf[#buf + 1] = '\xca' .. f
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

cmsgpack.pack = function(...)
  local n = select('#', ...)
  if n == 0 then error('MessagePack pack needs input.', 2) end
  local buf = {}
  for i = 1, n do pack_value((select(i, ...)), buf, 0) end
  return concat(buf)
end

-- The decoder is native: src/scripting/msgpack-decode.ts (the chunk's argument), as
-- mp_unpack_full(s, limit, offset).
local function unpack_full(fname, s, limit, offset)
  if type(s) == 'number' then s = tostring(s)
  elseif type(s) ~= 'string' then error("bad argument #1 to '" .. fname .. "' (string expected, got " .. type(s) .. ")", 3) end
  return unpack_native(s, limit, offset)
end

cmsgpack.unpack = function(s)
  return unpack_full('unpack', s, 0, 0)
end
cmsgpack.unpack_one = function(s, offset)
  return unpack_full('unpack_one', s, 1, offset or 0)
end
cmsgpack.unpack_limit = function(s, limit, offset)
  return unpack_full('unpack_limit', s, limit or 0, offset or 0)
end
return cmsgpack
`,

  struct: String.raw`
local type, error, tonumber, math_type, floor, ceil, string_pack, string_unpack, string_packsize =
      type, error, tonumber, math.type, math.floor, math.ceil, string.pack, string.unpack, string.packsize
local struct = {}

-- Translate a struct format into string.pack items: returns a list of {op, pack_fmt}.
local function translate(fmt)
  local items = {}
  local endian = '<'
  local i = 1
  local n = #fmt
  while i <= n do
    local c = fmt:sub(i, i)
    i = i + 1
    local num = fmt:match('^%d+', i)
    if num then i = i + #num num = tonumber(num) end
    if c == '<' or c == '>' or c == '=' then endian = (c == '=') and '<' or c
    elseif c == '!' then items[#items + 1] = {'opt', '!' .. (num or 8)}
    elseif c == ' ' then
    elseif c == 'x' then items[#items + 1] = {'pad', 'x'}
    elseif c == 'b' or c == 'B' or c == 'h' or c == 'H' then items[#items + 1] = {'int', endian .. c}
    elseif c == 'l' then items[#items + 1] = {'int', endian .. 'i8'}
    elseif c == 'L' or c == 'T' then items[#items + 1] = {'int', endian .. 'I8'}
    elseif c == 'i' then items[#items + 1] = {'int', endian .. 'i' .. (num or 4)}
    elseif c == 'I' then items[#items + 1] = {'int', endian .. 'I' .. (num or 4)}
    elseif c == 'f' or c == 'd' then items[#items + 1] = {'float', endian .. c}
    elseif c == 's' then items[#items + 1] = {'zstr', 'z'}
    elseif c == 'c' then items[#items + 1] = {'chars', num or 1}
    else error("invalid format option '" .. c .. "'", 3) end
  end
  return items
end

local function toint(v, argn)
  local n = tonumber(v)
  if not n then error("bad argument #" .. argn .. " to 'pack' (number expected, got " .. type(v) .. ")", 3) end
  if math_type(n) == 'float' then
    n = n >= 0 and floor(n) or ceil(n)
    n = math.tointeger(n) or 0
  end
  return n
end

struct.pack = function(fmt, ...)
  if type(fmt) ~= 'string' then error("bad argument #1 to 'pack' (string expected, got " .. type(fmt) .. ")", 2) end
  local items = translate(fmt)
  local args = {...}
  local out = {}
  local a = 1
  local opt = ''
  for _, it in ipairs(items) do
    local op, f = it[1], it[2]
    if op == 'opt' then opt = f
    elseif op == 'pad' then out[#out + 1] = '\0'
    elseif op == 'int' then
      local v = toint(args[a], a + 1)
      local size = string_packsize(f:sub(2):gsub('^[bB]$', '%0'))
      -- struct truncates to the field size instead of failing on overflow
      if size < 8 then
        local bits = size * 8
        v = v & ((1 << bits) - 1)
        if f:find('[bhi]') and v >= (1 << (bits - 1)) then v = v - (1 << bits) end
      end
      out[#out + 1] = string_pack(f, v)
      a = a + 1
    elseif op == 'float' then
      local v = tonumber(args[a])
      if not v then error("bad argument #" .. (a + 1) .. " to 'pack' (number expected, got " .. type(args[a]) .. ")", 2) end
      out[#out + 1] = string_pack(f, v)
      a = a + 1
    elseif op == 'zstr' then
      local s = args[a]
      if type(s) ~= 'string' then s = tostring(s) end
      out[#out + 1] = s .. '\0'
      a = a + 1
    elseif op == 'chars' then
      local s = args[a]
      if type(s) == 'number' then s = tostring(s) end
      if type(s) ~= 'string' then error("bad argument #" .. (a + 1) .. " to 'pack' (string expected, got " .. type(s) .. ")", 2) end
      local size = f
      if size == 0 then size = #s end
      if #s < size then error("bad argument #" .. (a + 1) .. " to 'pack' (string too short)", 2) end
      out[#out + 1] = s:sub(1, size)
      a = a + 1
    end
  end
  return table.concat(out)
end

struct.unpack = function(fmt, data, pos)
  if type(fmt) ~= 'string' then error("bad argument #1 to 'unpack' (string expected, got " .. type(fmt) .. ")", 2) end
  if type(data) ~= 'string' then error("bad argument #2 to 'unpack' (string expected, got " .. type(data) .. ")", 2) end
  pos = pos and toint(pos, 3) or 1
  local items = translate(fmt)
  local res = {}
  local last
  for _, it in ipairs(items) do
    local op, f = it[1], it[2]
    if op == 'opt' then
    elseif op == 'pad' then pos = pos + 1
    elseif op == 'int' or op == 'float' then
      local size = string_packsize(f)
      if pos + size - 1 > #data then error("bad argument #2 to 'unpack' (data string too short)", 2) end
      local v
      v, pos = string_unpack(f, data, pos)
      res[#res + 1] = v + 0.0
      last = v
    elseif op == 'zstr' then
      local e = data:find('\0', pos, true)
      if not e then error("bad argument #2 to 'unpack' (unfinished string in data)", 2) end
      res[#res + 1] = data:sub(pos, e - 1)
      pos = e + 1
    elseif op == 'chars' then
      local size = f
      if size == 0 then
        if type(last) ~= 'number' then error("bad argument #1 to 'unpack' (format 'c0' needs a previous size)", 2) end
        size = last
        res[#res] = nil
      end
      if pos + size - 1 > #data then error("bad argument #2 to 'unpack' (data string too short)", 2) end
      res[#res + 1] = data:sub(pos, pos + size - 1)
      pos = pos + size
    end
  end
  res[#res + 1] = pos + 0.0
  return table.unpack(res)
end

struct.size = function(fmt)
  local items = translate(fmt)
  local n = 0
  for _, it in ipairs(items) do
    local op, f = it[1], it[2]
    if op == 'pad' then n = n + 1
    elseif op == 'int' or op == 'float' then n = n + string_packsize(f)
    elseif op == 'chars' then n = n + f
    elseif op == 'zstr' then error("options 's' has no fixed size", 2) end
  end
  return n + 0.0
end
return struct
`,
};
