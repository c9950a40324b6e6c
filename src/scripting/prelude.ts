/**
 * The Lua side of the sandbox, run once in every fresh lua_State (chunk name "=redust"; frames of
 * this chunk are skipped when an error's position is reported, as Redis reports the user's line).
 *
 * It receives the natives (JS functions) and builds:
 * - RG: the globals scripts see (Redis 7.0's allow list: no io/os/package/require/dofile/loadfile/
 *   print/debug), with Lua 5.1 shims (unpack, table.getn/setn/maxn/foreach/foreachi, math.mod/pow/
 *   ldexp/frexp/log10/cosh/sinh/tanh/atan2, string.gfind, loadstring, gcinfo) and Redis's libraries.
 *   A missing global raises "Script attempted to access nonexistent global variable 'x'".
 * - ENV: an empty read-only proxy whose __index is RG; every script chunk is loaded with it as _ENV,
 *   so scripts cannot create globals (not even with rawset: rawset refuses protected tables). The
 *   library tables (string, math, redis, cjson...) are read-only proxies too.
 * - the error handler (Redis's __redis__err__handler) and the redis.* API.
 * Returns ENV, RG, the error handler, the read-only metatable of ENV (whose __index the functions
 * engine swaps between the load-time and run-time globals), and a function to build the FUNCTION
 * load-time `redis` table.
 */
import { LUA_ARGERROR } from './libs';

/**
 * 5.1's table.sort with a comparator (ltablib.c auxsort), written with plain indexing; auxsortRaw
 * gives the same with rawget/rawset (5.1 reads and writes the array raw).
 */
const AUXSORT51 = String.raw`
  local function AUXSORT(t, f, l, u)
    local stack, top = nil, 0
    while true do
      while l < u do
        local al, au = t[l], t[u]
        if f(au, al) then t[l] = au t[u] = al end
        if u - l == 1 then break end
        local i = (l + u) // 2
        local ai, a2 = t[i], t[l]
        if f(ai, a2) then t[i] = a2 t[l] = ai
        else
          a2 = t[u]
          if f(a2, ai) then t[i] = a2 t[u] = ai end
        end
        if u - l == 2 then break end
        local P = t[i]
        t[i] = t[u - 1]
        t[u - 1] = P
        local j = u - 1
        i = l
        while true do
          i = i + 1
          local x = t[i]
          while f(x, P) do
            if i > u then return false end
            i = i + 1
            x = t[i]
          end
          j = j - 1
          local y = t[j]
          while f(P, y) do
            if j < l then return false end
            j = j - 1
            y = t[j]
          end
          if j < i then break end
          t[i] = y
          t[j] = x
        end
        local a = t[u - 1]
        t[u - 1] = t[i]
        t[i] = a
        -- the smaller half first (5.1 recurses into it), then the larger
        if stack == nil then stack = {} end
        if i - l < u - i then
          stack[top + 1], stack[top + 2] = i + 1, u
          u = i - 1
        else
          stack[top + 1], stack[top + 2] = l, i - 1
          l = i + 1
        end
        top = top + 2
      end
      if top == 0 then return true end
      l, u = stack[top - 1], stack[top]
      top = top - 2
    end
  end
`;
function auxsortRaw(src: string): string {
  return src
    .replace(/t\[([^\]]+)\] = t\[([^\]]+)\]/g, 'rawset(t, $1, rawget(t, $2))')
    .replace(/t\[([^\]]+)\] = (\w+)/g, 'rawset(t, $1, $2)')
    .replace(/t\[([^\]]+)\]/g, 'rawget(t, $1)');
}

export const PRELUDE = String.raw`
local N, LIBS, TOP = ... -- TOP: the coroutine top-level runs happen on (sandbox.ts)
local G = _G
local type, tostring, tonumber, select, error, next, rawget, rawequal, setmetatable, getmetatable, pcall =
      type, tostring, tonumber, select, error, next, rawget, rawequal, setmetatable, getmetatable, pcall
local string_format, math_floor, math_ceil, math_type, table_unpack = string.format, math.floor, math.ceil, math.type, table.unpack
local dbg_getinfo = debug.getinfo

local PROT = setmetatable({}, {__mode = 'k'})
local function ro(t)
  local p = setmetatable({}, {
    __index = t, __newindex = N.readonly,
    __pairs = function() return next, t, nil end,
    __metatable = false,
  })
  PROT[p] = t -- the real table behind a read-only proxy (rawget reads it, as on Redis's tables)
  return p
end

local function copy(t) local c = {} for k, v in next, t do c[k] = v end return c end

local strtod_special
-- (5.1's reading of a number or numeric string as a double, defined below)
local num51
local real_tostring = tostring
local dbg_getmetatable, rawget0 = debug.getmetatable, rawget
local function tostring51(v)
  local t = type(v)
  if t == 'number' then
    -- (.. prints a float with %.14g, an integer under 10^14 with the same digits: ~2.5x cheaper
    -- than string.format; NaN and the infinities fail the test)
    if v > -1e14 and v < 1e14 then return v .. '' end
    return (string_format('%.14g', v))
  end
  if t == 'table' or t == 'userdata' then
    -- 5.1's luaL_callmeta: __tostring's result whatever its type
    local mt = dbg_getmetatable(v)
    if mt then
      local f = rawget0(mt, '__tostring')
      if f ~= nil then return (f(v)) end
    end
  end
  return real_tostring(v)
end
local fixmsg, translate = N.fixmsg, N.translate
-- argerror(lvl, n, fname, extra): 5.1's luaL_argerror (libs.ts LUA_ARGERROR).
${LUA_ARGERROR}
-- string.format as 5.1's str_format (lstrlib.c 5.1) on x86-64 with glibc: the format is walked
-- here, 5.1's scanformat checks and messages, each item produced by 5.4's string.format with the
-- flags 5.4 refuses and glibc ignores left out ('#' of %d, '+'/' ' of %x, '0' and precision of
-- %c/%s), the C conversions of 5.1 done first ((long long) for %d/%i, (unsigned long long) for
-- %o/%x/%X/%u, (int) for %c, as x86-64 gives them), %u written here, and what C's sprintf would
-- cut at a '\0' (5.1 takes strlen of the item) cut. No table is made.
local string_find_f, string_sub_f, string_match_f, string_gsub_f, string_byte_f, string_rep_f, string_char_f =
      string.find, string.sub, string.match, string.gsub, string.byte, string.rep, string.char
local INT64_MIN = math.mininteger
-- luaL_error from format: the position of format's caller (none when that is C: pcall(string.format))
-- (d: the frames between the walker and string.format's caller, beyond the one of format51)
local function fmterror(msg, d)
  local caller = dbg_getinfo(3 + d, 'S')
  if caller and caller.what ~= 'C' then error(msg, 3 + d) end
  error(msg, 0)
end
-- luaL_checknumber(arg n), reading strings as 5.1 does (num51)
local function fmtnum(v, n, d)
  local x = num51(v)
  if x == nil then argerror(3 + d, n, 'format', 'number expected, got ' .. type(v)) end
  return x
end
-- (long long)x and (unsigned long long)x on x86-64 (cvttsd2si: NaN and out of range give
-- INT64_MIN; the unsigned one subtracts 2^63 first at and past 2^63), as the int64 of the same bits
local function lld(x)
  if x ~= x or x >= 0x1p63 or x < -0x1p63 then return INT64_MIN end
  if x >= 0 then return math_floor(x) end
  return math_ceil(x)
end
local function llu(x)
  if x >= 0x1p63 then
    x = x - 0x1p63
    if x >= 0x1p63 then return 0 end
    return math_floor(x) ~ INT64_MIN
  end
  return lld(x)
end
-- %u of the int64 v (its unsigned value), with C's precision, width and '-'/'0' flags
local function fmtu(v, flags, width, dot, prec)
  local d
  if v >= 0 then d = string_format('%d', v)
  else
    local q = (v >> 1) // 5
    d = string_format('%d%d', q, v - q * 10)
  end
  if dot ~= '' then
    local p = tonumber(prec) or 0
    if v == 0 and p == 0 then d = '' elseif #d < p then d = string_rep_f('0', p - #d) .. d end
  end
  if width ~= '' then
    local w = tonumber(width)
    if #d < w then
      if string_find_f(flags, '-', 1, true) then d = d .. string_rep_f(' ', w - #d)
      elseif dot == '' and string_find_f(flags, '0', 1, true) then d = string_rep_f('0', w - #d) .. d
      else d = string_rep_f(' ', w - #d) .. d end
    end
  end
  return d
end
-- 5.1's addquoted
local QUOTED = {['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\\n', ['\r'] = '\\r', ['\0'] = '\\000'}
local function cut0(s)
  local z = string_find_f(s, '\0', 1, true)
  if z then return string_sub_f(s, 1, z - 1) end
  return s
end
local function format51_walk(d, ...)
  local fmt = ...
  if type(fmt) ~= 'string' then
    if type(fmt) == 'number' then fmt = tostring51(fmt)
    else argerror(2 + d, 1, 'format', 'string expected, got ' .. (select('#', ...) == 0 and 'no value' or type(fmt))) end
  end
  local p = string_find_f(fmt, '%', 1, true)
  if not p then return fmt end
  local top = select('#', ...)
  local out, arg, pos = '', 1, 1
  while p do
    if string_byte_f(fmt, p + 1) == 37 then -- '%%'
      out = out .. string_sub_f(fmt, pos, p)
      pos = p + 2
    else
      arg = arg + 1
      if arg > top then argerror(2 + d, arg, 'format', 'no value') end
      local flags, width, dot, prec, q = string_match_f(fmt, '^([-+ #0]*)(%d*)(%.?)(%d*)()', p + 1)
      if #flags >= 6 then fmterror('invalid format (repeated flags)', d) end
      if #width > 2 or #prec > 2 then fmterror('invalid format (width or precision too long)', d) end
      local c = string_byte_f(fmt, q)
      local v = select(arg, ...)
      local item
      if c == 100 or c == 105 then -- d i
        if flags ~= '' and string_find_f(flags, '#', 1, true) then flags = string_gsub_f(flags, '#', '') end
        item = string_format('%' .. flags .. width .. dot .. prec .. 'd', lld(fmtnum(v, arg, d)))
      elseif c == 115 then -- s
        if type(v) == 'number' then v = tostring51(v)
        elseif type(v) ~= 'string' then argerror(2 + d, arg, 'format', 'string expected, got ' .. type(v)) end
        if dot == '' and #v >= 100 then item = v
        else
          item = cut0(v)
          if flags ~= '' or width ~= '' or dot ~= '' then
            item = string_format((string_find_f(flags, '-', 1, true) and '%-' or '%') .. width .. dot .. prec .. 's', item)
          end
        end
      elseif c == 102 or c == 103 or c == 101 or c == 71 or c == 69 then -- f g e G E
        item = string_format('%' .. flags .. width .. dot .. prec .. string_char_f(c), fmtnum(v, arg, d))
      elseif c == 120 or c == 88 or c == 111 then -- x X o
        if flags ~= '' then flags = string_gsub_f(flags, '[+ ]', '') end
        item = string_format('%' .. flags .. width .. dot .. prec .. string_char_f(c), llu(fmtnum(v, arg, d)))
      elseif c == 117 then -- u
        item = fmtu(llu(fmtnum(v, arg, d)), flags, width, dot, prec)
      elseif c == 99 then -- c
        local x = fmtnum(v, arg, d)
        local b = 0
        if x == x and x < 0x1p31 and x > -0x1p31 - 1 then b = lld(x) & 255 end
        item = string_format((string_find_f(flags, '-', 1, true) and '%-' or '%') .. width .. 'c', b)
        if b == 0 then item = cut0(item) end
      elseif c == 113 then -- q
        if type(v) == 'number' then v = tostring51(v)
        elseif type(v) ~= 'string' then argerror(2 + d, arg, 'format', 'string expected, got ' .. type(v)) end
        item = '"' .. string_gsub_f(v, '["\\\n\r%z]', QUOTED) .. '"'
      else
        fmterror("invalid option '%" .. ((c == nil or c == 0) and '' or string_char_f(c)) .. "' to 'format'", d)
      end
      out = out .. string_sub_f(fmt, pos, p - 1) .. item
      pos = q + 1
    end
    p = string_find_f(fmt, '%', pos, true)
  end
  if pos <= #fmt then return out .. string_sub_f(fmt, pos) end
  return out
end

-- The hot path: each valid format string is compiled once (FMT_CACHE, bounded) into its literal
-- parts and items, {n, lit0, kind1, form1, lit1, ...}: kind is the conversion (100 d/i, 120
-- x/X/o, 102 e/E/f/g/G, 117 u, 99 c, 113 q, 115 plain %s, 116 %s with width or flags, 118 %s with
-- a precision), form the 5.4 format of the item (for %u: {flags, width, dot, prec}). A call then
-- costs no pattern match. Invalid formats, missing arguments and arguments of the wrong type go
-- to format51_walk, which raises 5.1's errors in 5.1's order.
local FMT_CACHE, FMT_COUNT = {}, 0
local function fmt_compile(fmt)
  local plan, n, pos, lit = {0}, 0, 1, ''
  local p = string_find_f(fmt, '%', 1, true)
  while p do
    if string_byte_f(fmt, p + 1) == 37 then
      lit = lit .. string_sub_f(fmt, pos, p)
      pos = p + 2
    else
      local flags, width, dot, prec, q = string_match_f(fmt, '^([-+ #0]*)(%d*)(%.?)(%d*)()', p + 1)
      if #flags >= 6 or #width > 2 or #prec > 2 then return false end
      local c = string_byte_f(fmt, q)
      local kind, form
      if c == 100 or c == 105 then
        if string_find_f(flags, '#', 1, true) then flags = string_gsub_f(flags, '#', '') end
        kind, form = 100, '%' .. flags .. width .. dot .. prec .. 'd'
      elseif c == 115 then
        if dot ~= '' then kind = 118 elseif flags ~= '' or width ~= '' then kind = 116 else kind = 115 end
        form = (string_find_f(flags, '-', 1, true) and '%-' or '%') .. width .. dot .. prec .. 's'
      elseif c == 102 or c == 103 or c == 101 or c == 71 or c == 69 then
        kind, form = 102, '%' .. flags .. width .. dot .. prec .. string_char_f(c)
      elseif c == 120 or c == 88 or c == 111 then
        kind, form = 120, '%' .. string_gsub_f(flags, '[+ ]', '') .. width .. dot .. prec .. string_char_f(c)
      elseif c == 117 then
        kind, form = 117, {flags, width, dot, prec}
      elseif c == 99 then
        kind, form = 99, (string_find_f(flags, '-', 1, true) and '%-' or '%') .. width .. 'c'
      elseif c == 113 then
        kind, form = 113, ''
      else
        return false
      end
      plan[3 * n + 2] = lit .. string_sub_f(fmt, pos, p - 1)
      n = n + 1
      plan[3 * n], plan[3 * n + 1] = kind, form
      lit, pos = '', q + 1
    end
    p = string_find_f(fmt, '%', pos, true)
  end
  plan[3 * n + 2] = lit .. string_sub_f(fmt, pos)
  plan[1] = n
  return plan
end
-- One item, or nil when the argument needs format51_walk (not a number, nor a string it reads).
local function fmt_item(kind, form, v)
  local tv = type(v)
  if kind == 115 or kind == 116 or kind == 118 then
    if tv == 'number' then v = tostring51(v)
    elseif tv ~= 'string' then return nil end
    if kind ~= 118 and #v >= 100 then return v end
    v = cut0(v)
    if kind == 115 then return v end
    return string_format(form, v)
  elseif kind == 113 then
    if tv == 'number' then v = tostring51(v) elseif tv ~= 'string' then return nil end
    return '"' .. string_gsub_f(v, '["\\\n\r%z]', QUOTED) .. '"'
  end
  if tv ~= 'number' then
    if tv ~= 'string' then return nil end
    v = num51(v)
    if v == nil then return nil end
  end
  if kind == 100 then
    -- (long long)v, truncated with arithmetic (5.4's %d takes a float of integral value)
    if v ~= v or v >= 0x1p63 or v < -0x1p63 then v = INT64_MIN
    elseif v >= 0 then v = v - v % 1
    else v = -(-v - (-v) % 1) end
    return string_format(form, v)
  elseif kind == 102 then
    return string_format(form, v)
  elseif kind == 120 then
    return string_format(form, llu(v))
  elseif kind == 117 then
    return fmtu(llu(v), form[1], form[2], form[3], form[4])
  end
  -- c
  local b = 0
  if v == v and v < 0x1p31 and v > -0x1p31 - 1 then b = lld(v) & 255 end
  if b == 0 then return cut0(string_format(form, 0)) end
  return string_format(form, b)
end
local function format51(...)
  local fmt = ...
  local plan = FMT_CACHE[fmt]
  if plan == nil and type(fmt) == 'string' then
    plan = fmt_compile(fmt)
    if FMT_COUNT >= 512 then FMT_CACHE, FMT_COUNT = {}, 0 end
    FMT_CACHE[fmt], FMT_COUNT = plan, FMT_COUNT + 1
  end
  if plan then
    local n = plan[1]
    if n == 0 then return plan[2] end
    if n == 1 then
      local _, a = ...
      if a ~= nil then
        local r = fmt_item(plan[3], plan[4], a)
        if r then return plan[2] .. r .. plan[5] end
      end
    elseif select('#', ...) > n then
      local out = plan[2]
      for k = 1, n do
        local r = fmt_item(plan[3 * k], plan[3 * k + 1], (select(k + 1, ...)))
        if r == nil then out = nil break end
        out = out .. r .. plan[3 * k + 2]
      end
      if out then return out end
    end
  end
  return (format51_walk(1, ...))
end

-- Redis's math.random: its own lrand48 so every platform gives the same sequence.
-- (the generator state lives in JS, like Redis's C global: SCRIPT FLUSH does not reset it)
local lrand48, srand48 = N.lrand48, N.srand48
local function checkint(v, argn, fname)
  local n = tonumber(v)
  if not n then
    argerror(3, argn, fname, 'number expected, got ' .. (v == nil and 'no value' or type(v)))
  end
  -- luaL_checkint: (int)(lua_Integer)x, cvttsd2si then the low 32 bits (NaN, inf, 2^40 are 0)
  if math_type(n) == 'float' then n = lld(n) end
  return ((n + 0x80000000) & 0xFFFFFFFF) - 0x80000000
end
local function random(...)
  local n = select('#', ...)
  local r = (lrand48() % 2147483647) / 2147483647
  if n == 0 then return r end
  if n == 1 then
    local u = checkint((...), 1, 'random')
    if u < 1 then argerror(2, 1, 'random', 'interval is empty') end
    return math_floor(r * u) + 1.0
  elseif n == 2 then
    local l, u = ...
    l = checkint(l, 1, 'random')
    u = checkint(u, 2, 'random')
    if l > u then argerror(2, 2, 'random', 'interval is empty') end
    return math_floor(r * (u - l + 1)) + l + 0.0
  end
  error('wrong number of arguments', 2)
end
local function randomseed(s)
  s = checkint(s, 1, 'randomseed') & 0xFFFFFFFF
  srand48(((s << 16) | 0x330E) & 0xFFFFFFFFFFFF)
end

-- ---------------------------------------------------------------- libraries
local stringlib = copy(string)
stringlib.pack, stringlib.packsize, stringlib.unpack = nil, nil, nil
do
  -- (the prelude's wrappers and the libraries are C functions in 5.1: not dumped)
  local dump = string.dump
  stringlib.dump = function(...)
    local f = ...
    if type(f) == 'function' then
      local src = dbg_getinfo(f, 'S').source
      if src == '=redust' or src == '=lib' then error('unable to dump given function') end
    end
    return dump(...)
  end
end
-- Lua 5.1's luaL_checkint truncates a float argument (5.4 refuses a non-integral one)
-- (string.sub/byte/find/match: luaL_checkinteger, a ptrdiff_t: (lua_Integer)v, NaN is INT64_MIN;
-- then kept within +-2^31, where positions beyond any string's length act alike: 5.4's size_t is
-- 32 bits in wasm32, so 2^32 + 2 would be position 2)
local function I64(v)
  -- (a numeric string as 5.1's lua_tointeger reads it, through a double)
  if v ~= nil and math_type(v) == nil then v = num51(v) or v end
  if math_type(v) == 'float' then
    v = lld(v)
    if v >= 0x80000000 then return 0x7FFFFFFF end
    if v < -0x80000000 then return -0x80000000 end
  end
  return v
end
-- a position argument 5.4 cannot take as it is (not integral, or past 32 bits, or a string, which
-- I64 reads as 5.1 does: '2.5' is 2)
local function odd(i)
  local mt = math_type(i)
  if mt == 'float' then return i % 1 ~= 0 or i >= 0x1p31 or i < -0x1p31 end
  return mt == nil and i ~= nil
end
-- (the others: luaL_checkint, an int: each wrapper converts a float that is not integral or lies
-- outside the int range, where 5.1's (int) keeps the low 32 bits: select(2^32 + 2, ...) is select(2, ...))
local function I(v)
  -- (a numeric string as 5.1's lua_tointeger reads it, through a double; anything else that is not
  -- a number is left for the C function to refuse)
  if v ~= nil and math_type(v) == nil then v = num51(v) or v end
  if math_type(v) == 'float' then
    if v == v and v > -2147483649 and v < 2147483648 then return v >= 0 and math_floor(v) or math_ceil(v) end
    -- (int)(lua_Integer)v on x86-64: NaN, infinities and out-of-range give INT64_MIN, whose low
    -- 32 bits are 0; others keep their low 32 bits
    local n = lld(v)
    return ((n + 0x80000000) & 0xFFFFFFFF) - 0x80000000
  end
  return v
end
-- Lua 5.1 has only doubles: the integers 5.4's C functions return (lengths, positions, counts,
-- bytes) are handed to the script as floats. F: every integer among the values, in place.
local function F(...)
  local n = select('#', ...)
  if n == 1 then
    local a = ...
    if math_type(a) == 'integer' then return a + 0.0 end
    return a
  end
  local t = {...}
  for k = 1, n do if math_type(t[k]) == 'integer' then t[k] = t[k] + 0.0 end end
  return table_unpack(t, 1, n)
end
-- Each wrapper passes its arguments on as they came (same count, so a missing one is still
-- "no value" in an error) unless one of its integer arguments is a non-integral float (every
-- number is a float here, see lua51.ts), and calls the C function through an upvalue named as
-- 5.1 names it: 5.4's luaL_argerror takes the name from the call ("bad argument #1 to 'sub'"),
-- and errh moves the position from this chunk to the script's line. The non-integral test is
-- spelled out in each wrapper rather than called: a call costs as much as the test, and each C
-- call (math.type, one per checked argument) ~0.1 us in this VM.
-- The integral numbers -1024..1024 as keys (a float key reads the same slot as its integer): one
-- table read tells such a number from any other value without a C call (math_type), for the
-- wrappers' common case, positions and counts that need no conversion.
local SMALLINT = {}
for k = -1024, 1024 do SMALLINT[k] = true end
do
  local sub, rep, byte, char = string.sub, string.rep, string.byte, string.char
  stringlib.sub = function(...)
    local s, i, j = ...
    if SMALLINT[i] and (j == nil or SMALLINT[j]) then return sub(...) end
    -- (odd(i) or odd(j), written out: two Lua calls fewer on every string.sub)
    local mi, mj = math_type(i), math_type(j)
    if (mi == 'float' and (i % 1 ~= 0 or i >= 0x1p31 or i < -0x1p31))
      or (mj == 'float' and (j % 1 ~= 0 or j >= 0x1p31 or j < -0x1p31))
      or (mi == nil and i ~= nil) or (mj == nil and j ~= nil) then return sub(s, I64(i), I64(j)) end
    return sub(...)
  end
  stringlib.rep = function(...)
    local s, n = ...
    -- (5.4's third argument, a separator, is not 5.1's: dropped)
    local mt = math_type(n)
    if (mt == 'float' and (n % 1 ~= 0 or n >= 0x1p31 or n < -0x1p31)) or (mt == nil and n ~= nil) or select('#', ...) > 2 then return rep(s, I(n)) end
    return rep(...)
  end
  stringlib.byte = function(...)
    local s, i, j = ...
    if j ~= nil and type(s) == 'string' and #s > 7996 then
      -- (5.1's luaL_checkstack: at most 8000 slots, the arguments included)
      local l = #s
      local a, b = I64(tonumber(i) or 1), I64(tonumber(j) or 0)
      if a < 0 then a = a + l + 1 end
      if b < 0 then b = b + l + 1 end
      if a < 1 then a = 1 end
      if b > l then b = l end
      if b - a + 1 + select('#', ...) > 8000 then error('stack overflow (string slice too long)') end
    end
    if odd(i) or odd(j) then return F(byte(s, I64(i), I64(j))) end
    if j == nil then
      local b = byte(...)
      if b then return b + 0.0 end
      return
    end
    return F(byte(...))
  end
  local len = string.len
  stringlib.len = function(...) return len(...) + 0.0 end
  stringlib.char = function(...)
    local n = select('#', ...)
    if n == 1 and (math_type((...)) == 'integer' or (math_type((...)) == 'float' and (...) % 1 == 0 and (...) < 0x1p31 and (...) >= -0x1p31)) then return char(...) end
    local t = {...}
    for k = 1, n do t[k] = I(t[k]) end
    return char(table_unpack(t, 1, n))
  end
end
do
  -- init arguments: 5.1's luaL_optint truncates them too
  -- positions are integers; so are the captures of a pattern's '()'
  local find, match, gmatch, gsub = string.find, string.match, string.gmatch, string.gsub
  local function found(a, b, ...)
    if a == nil then return a end
    if ... == nil then return a + 0.0, b + 0.0 end
    return a + 0.0, b + 0.0, F(...)
  end
  -- 5.1's str_find_aux clamps an init past the end to the end, where 5.4 fails: looked at only
  -- when 5.4 found nothing
  local function past(s, init) return math_type(init) ~= nil and type(s) == 'string' and init > #s + 1 end
  local function found_past(s, p, init, plain, a, ...)
    if a == nil and past(s, init) then return found(find(s, p, #s + 1, plain)) end
    return found(a, ...)
  end
  stringlib.find = function(...)
    local s, p, init, plain = ...
    if init == nil then return found(find(...)) end
    if odd(init) then init = I64(init) end
    return found_past(s, p, init, plain, find(s, p, init, plain))
  end
  local function matched(a, ...)
    if ... == nil then
      if math_type(a) == 'integer' then return a + 0.0 end
      return a
    end
    return F(a, ...)
  end
  local function matched_past(s, p, init, a, ...)
    if a == nil and past(s, init) then return matched(match(s, p, #s + 1)) end
    return matched(a, ...)
  end
  stringlib.match = function(...)
    local s, p, init = ...
    if init == nil then return matched(match(...)) end
    if odd(init) then init = I64(init) end
    return matched_past(s, p, init, match(s, p, init))
  end
  local function poscap(p) return type(p) == 'string' and find(p, '()', 1, true) end
  -- 5.1's gsub and gmatch take an empty match right after a non-empty one (lstrlib.c 5.1
  -- str_gsub, gmatch_aux); 5.4's skip it ('b*' over "abc": "-a--c-" with 5.1, "-a-c-" with 5.4).
  -- A pattern that can match the empty string (a quantifier allowing none, a frontier, a position
  -- capture, nothing but anchors) goes through 5.1's walk written over find, which tries the same
  -- positions in the same order; any other pattern cannot tell the two apart and stays 5.4's C.
  local sub, byte, char, concat = string.sub, string.byte, string.char, table.concat
  local function may_match_empty(p)
    return type(p) == 'string' and (find(p, '[%*%-%?]') ~= nil or find(p, '%f', 1, true) ~= nil or find(p, '()', 1, true) ~= nil
      or p == '' or p == '^' or p == '$' or p == '^$')
  end
  local function str51(v) if type(v) == 'number' then return v .. '' end return v end
  -- add_s (5.1): '%0' the match, '%1'..'%9' a capture (%1 the match when there is none), '%' before
  -- another character that character, a final '%' a NUL; r is find's results (a, e, captures...)
  local function add_s51(repl, s, r)
    local ncap = #r - 2
    local out, k, i, rl = {}, 0, 1, #repl
    while i <= rl do
      local pc = find(repl, '%', i, true)
      if pc == nil then k = k + 1 out[k] = sub(repl, i) break end
      if pc > i then k = k + 1 out[k] = sub(repl, i, pc - 1) end
      local c = byte(repl, pc + 1)
      local v
      if c == nil then v = '\0'
      elseif c < 48 or c > 57 then v = char(c)
      elseif c == 48 or (c == 49 and ncap == 0) then v = sub(s, r[1], r[2])
      elseif c - 49 >= ncap then return nil -- (invalid capture index: raised by the caller)
      else v = str51(r[c - 46]) end
      k = k + 1
      out[k] = v
      i = pc + 2
    end
    return concat(out)
  end
  local function gmatch51(s, p)
    s, p = str51(s), str51(p)
    -- (gmatch takes a leading '^' as a character, in 5.1 as in 5.4)
    if byte(p, 1) == 94 then p = '%' .. p end
    local src, len = 1, #s
    return function()
      if src > len + 1 then return nil end
      local r = {find(s, p, src)}
      local a, e = r[1], r[2]
      if a == nil then src = len + 2 return nil end
      if e >= a then src = e + 1 else src = a + 1 end
      if #r == 2 then return sub(s, a, e) end
      return F(table_unpack(r, 3, #r))
    end
  end
  local function str_or_num(v) local t = type(v) return t == 'string' or t == 'number' end
  stringlib.gmatch = function(...)
    local s, p = ...
    if str_or_num(s) and may_match_empty(str51(p)) then return gmatch51(s, p) end
    -- (5.1's gmatch has no init argument)
    local it
    if select('#', ...) > 2 then it = gmatch(s, p) else it = gmatch(...) end
    if poscap(p) then return function() return F(it()) end end
    return it
  end
  stringlib.gfind = stringlib.gmatch
  local function replaced(r, n) return r, n + 0.0 end
  -- 5.1's add_s: in a replacement string '%' before a non-digit stands for that character (a
  -- '%' at the end for '\0'), where 5.4 refuses it: rewritten for 5.4 ('%x' -> 'x', '%%' kept).
  local REPL51 = {[''] = '\0', ['%'] = '%%'}
  for b = 0, 255 do
    local c = string.char(b)
    if REPL51[c] == nil and not (b >= 48 and b <= 57) then REPL51[c] = c end
  end
  stringlib.gsub = function(...)
    local s, p, repl, n = ...
    local mt = math_type(n)
    if (mt == 'float' and (n % 1 ~= 0 or n >= 0x1p31 or n < -0x1p31)) or (mt == nil and n ~= nil) then
      -- (a value that is still no number after I goes on to 5.4's gsub, whose error is 5.1's)
      local m = I(n)
      if math_type(m) ~= nil then return stringlib.gsub(s, p, repl, m) end
    end
    local tr = type(repl)
    if str_or_num(s) and may_match_empty(str51(p)) and (n == nil or math_type(n) ~= nil)
      and (tr == 'string' or tr == 'number' or tr == 'table' or tr == 'function') then
      -- 5.1's str_gsub walk (see may_match_empty). Its errors are raised here, in the wrapper's own
      -- frame, as the C function's are: called from pcall they have no position, as in 5.1.
      s, p = str51(s), str51(p)
      if tr == 'number' then repl = repl .. '' end
      local len = #s
      if n == nil then n = len + 1 end
      local anchor = byte(p, 1) == 94 -- '^'
      local out, k, src, count = {}, 0, 1, 0
      while count < n do
        local r = {find(s, p, src)}
        local a, e = r[1], r[2]
        if a == nil then break end
        if a > src then k = k + 1 out[k] = sub(s, src, a - 1) end
        count = count + 1
        local v
        if tr == 'string' or tr == 'number' then
          v = add_s51(repl, s, r)
          if v == nil then error('invalid capture index') end
        else
          -- (the first capture, or the whole match when there is none)
          if tr == 'table' then v = repl[F(#r > 2 and r[3] or sub(s, a, e))]
          elseif #r > 2 then v = repl(F(table_unpack(r, 3, #r)))
          else v = repl(sub(s, a, e)) end
          if not v then v = sub(s, a, e)
          elseif type(v) ~= 'string' and type(v) ~= 'number' then error('invalid replacement value (a ' .. type(v) .. ')')
          else v = str51(v) end
        end
        k = k + 1
        out[k] = v
        if e >= a then src = e + 1
        else
          -- an empty match: the character at it is kept, and the walk goes on after it
          if a <= len then k = k + 1 out[k] = sub(s, a, a) end
          src = a + 1
        end
        if anchor or src > len + 1 then break end
      end
      if src <= len then k = k + 1 out[k] = sub(s, src) end
      return concat(out), count + 0.0
    end
    if type(repl) == 'string' and find(repl, '%', 1, true) then
      repl = gsub(repl, '%%(.?)', REPL51)
      return replaced(gsub(s, p, repl, n))
    end
    if type(repl) == 'function' and poscap(p) then
      local f = repl
      return replaced(gsub(s, p, function(...) return f(F(...)) end, n))
    end
    return replaced(gsub(...))
  end
end
stringlib.format = format51
local tablelib = copy(table)
do
  local concat, insert, remove = table.concat, table.insert, table.remove
  tablelib.concat = function(...)
    local t, sep, i, j = ...
    -- (5.1's tconcat reads the separator before it checks the table)
    if type(t) ~= 'table' and sep ~= nil and type(sep) ~= 'string' and type(sep) ~= 'number' then argerror(2, 2, 'concat', 'string expected, got ' .. type(sep)) end
    local mi, mj = math_type(i), math_type(j)
    if (mi == 'float' and (i % 1 ~= 0 or i >= 0x1p31 or i < -0x1p31)) or (mj == 'float' and (j % 1 ~= 0 or j >= 0x1p31 or j < -0x1p31))
      or (mi == nil and i ~= nil) or (mj == nil and j ~= nil) then return concat(t, sep, I(i), I(j)) end
    return concat(...)
  end
  -- 5.1's tinsert and tremove accept any position: outside 1..#t+1 (1..#t for remove) insert
  -- shifts from #t+1 (or from pos, when beyond) and remove returns nothing, where 5.4's raise
  -- "position out of bounds". Within bounds, and for the 2-argument append, 5.4's C is 5.1's.
  tablelib.insert = function(...)
    local t, pos, v = ...
    if math_type(pos) == 'float' and type(t) == 'table' and select('#', ...) == 3 then
      pos = I(pos)
      local e = #t + 1
      if pos < 1 or pos > e then
        if pos > e then e = pos end
        for i = e, pos + 1, -1 do t[i] = t[i - 1] end
        t[pos] = v
        return
      end
      return insert(t, pos, v)
    end
    return insert(...)
  end
  tablelib.remove = function(...)
    local t, pos = ...
    if math_type(pos) == 'float' and type(t) == 'table' then
      pos = I(pos)
      if pos < 1 or pos > #t then return end
      return remove(t, pos)
    end
    -- 5.1 removes nothing from an empty array (5.4 reads t[0] and stores nil there, which gives
    -- key 0 a node: Lua VM patch patchNewKeyNil)
    if pos == nil and type(t) == 'table' and #t == 0 then return end
    return remove(...)
  end
end
-- (5.1's luaL_checktype of their arguments)
-- (nargs: how many arguments the library function got, for "no value")
local function checktable(t, n, fname, nargs)
  if type(t) ~= 'table' then argerror(3, n, fname, 'table expected, got ' .. (n > nargs and 'no value' or type(t))) end
end
tablelib.getn = function(...)
  local t = ...
  if type(t) ~= 'table' then checktable(t, 1, 'getn', select('#', ...)) end
  return #t + 0.0
end
tablelib.setn = function(...)
  checktable((...), 1, 'setn', select('#', ...))
  error("'setn' is obsolete", 2)
end
tablelib.maxn = function(...)
  local t = ...
  if type(t) ~= 'table' then checktable(t, 1, 'maxn', select('#', ...)) end
  local m = 0
  for k in next, t do if type(k) == 'number' and k > m then m = k end end
  return m + 0.0
end
tablelib.foreach = function(...)
  local t, f = ...
  local n = select('#', ...)
  checktable(t, 1, 'foreach', n)
  if type(f) ~= 'function' then argerror(2, 2, 'foreach', 'function expected, got ' .. (n < 2 and 'no value' or type(f))) end
  for k, v in next, t do local r = f(k, v) if r ~= nil then return r end end
end
tablelib.foreachi = function(...)
  local t, f = ...
  local n = select('#', ...)
  checktable(t, 1, 'foreachi', n)
  if type(f) ~= 'function' then argerror(2, 2, 'foreachi', 'function expected, got ' .. (n < 2 and 'no value' or type(f))) end
  for i = 1, #t do local r = f(i, t[i]) if r ~= nil then return r end end
end
do
  -- 5.1's sort (ltablib.c auxsort) when a comparator is given: 5.4's picks another pivot in
  -- partitions over 100 elements (ties come out in another order) and checks an invalid order
  -- function differently (5.1 may read past the end and hand nil to the comparator). Without a
  -- comparator, 5.4's C sort: '<' on numbers and strings orders alike whatever the algorithm.
  local sort, rawget, rawset = table.sort, rawget, rawset
  -- (one function, the recursion on the smaller half kept on an explicit stack, so that "invalid
  -- order function" is raised by the frame the script called, as luaL_error names it)
${AUXSORT51.replace(/AUXSORT/, 'auxsort')}
${auxsortRaw(AUXSORT51.replace(/AUXSORT/, 'auxsort_raw'))}
  tablelib.sort = function(...)
    local t, f = ...
    if f == nil then return sort(...) end
    if type(t) ~= 'table' then argerror(2, 1, 'sort', 'table expected, got ' .. (select('#', ...) == 0 and 'no value' or type(t))) end
    if type(f) ~= 'function' then argerror(2, 2, 'sort', 'function expected, got ' .. type(f)) end
    -- (rawget/rawset as 5.1's lua_rawgeti/rawseti when the table has a metatable; plain indexing,
    -- the same without one, is ~3x faster: faster than 5.4's C sort calling the comparator)
    local ok
    if getmetatable(t) == nil then ok = auxsort(t, f, 1, #t) else ok = auxsort_raw(t, f, 1, #t) end
    if not ok then error('invalid order function for sorting') end
  end
end
tablelib.unpack = nil
tablelib.move = nil
tablelib.pack = nil
local mathlib = copy(math)
-- (C's floor/ceil keep the sign of a zero result: math.ceil(-0.5) is -0)
-- (called through upvalues named as 5.1 names the functions: 5.4's luaL_argerror takes the name
-- from the call, "bad argument #1 to 'floor'")
do
  local floor, ceil = math_floor, math_ceil
  mathlib.floor = function(...)
    local x = ...
    local r = floor(...) + 0.0
    if r == 0 then return x * 0.0 end
    return r
  end
  mathlib.ceil = function(...)
    local x = ...
    local r = ceil(...) + 0.0
    if r == 0 then return x * 0.0 end
    return r
  end
end
-- luaL_checknumber for the wrappers below, called straight from the library function: i is the
-- argument's position, nargs how many were passed. The two-argument functions check their second
-- argument first, as GCC evaluates the C call f(luaL_checknumber(L, 1), luaL_checknumber(L, 2)).
local function checknum51(v, i, nargs, fname)
  local x = num51(v)
  if x == nil then argerror(3, i, fname, 'number expected, got ' .. (i > nargs and 'no value' or type(v))) end
  return x
end
mathlib.pow = function(...)
  local x, y = ...
  local n = select('#', ...)
  y = checknum51(y, 2, n, 'pow')
  return checknum51(x, 1, n, 'pow') ^ y
end
do
  local fmod = math.fmod
  -- (math.mod is 5.1's LUA_COMPAT_MOD alias, named as it was called)
  local function wrap(fname)
    return function(...)
      local x, y = ...
      local n = select('#', ...)
      y = checknum51(y, 2, n, fname)
      return fmod(checknum51(x, 1, n, fname), y)
    end
  end
  mathlib.fmod, mathlib.mod = wrap('fmod'), wrap('mod')
end
-- 5.1's math_ldexp: ldexp(luaL_checknumber(1), luaL_checkint(2)). Scaling by a power of two is
-- exact until the result leaves the normal range, so an exponent past what 2^e can hold is
-- applied in steps of 2^1023 / 2^-1022 (clamped first: beyond +-2200 every finite value has
-- overflowed or underflowed already).
mathlib.ldexp = function(...)
  local m, e = ...
  local n = select('#', ...)
  local k = I(checknum51(e, 2, n, 'ldexp'))
  local x = checknum51(m, 1, n, 'ldexp')
  if k > 2200 then k = 2200 elseif k < -2200 then k = -2200 end
  while k > 1023 do x = x * 2.0 ^ 1023; k = k - 1023 end
  while k < -1022 do x = x * 2.0 ^ -1022; k = k + 1022 end
  return x * 2.0 ^ k
end
mathlib.frexp = function(...)
  local x = checknum51((...), 1, select('#', ...), 'frexp')
  if x == 0 or x ~= x or x == 1/0 or x == -1/0 then return x, 0 end
  local e = math_floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2; e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2; e = e - 1 end
  return m, e
end
do
  -- glibc's asin, acos and log10 answer a positive NaN out of their domain (musl's a negative one:
  -- tostring gives "nan" on Redis, "-nan" here); a NaN argument comes back as it is
  local pos_nan = -(0/0)
  local function domain(f, fname)
    return function(...)
      checknum51((...), 1, select('#', ...), fname)
      local r = f(...)
      if r ~= r then
        local x = tonumber((...))
        if x == x then return pos_nan end
      end
      return r
    end
  end
  mathlib.asin, mathlib.acos = domain(math.asin, 'asin'), domain(math.acos, 'acos')
  local log = math.log
  mathlib.log10 = function(...)
    local v = ...
    local x = tonumber(v)
    if not x then argerror(2, 1, 'log10', 'number expected, got ' .. (select('#', ...) == 0 and 'no value' or type(v))) end
    local r = log(x, 10)
    if r ~= r and x == x then return pos_nan end
    return r
  end
end
do
  -- 5.1's math.max/min: every argument through luaL_checknumber (5.4 compares the values as
  -- they are: strings stay strings, "attempt to compare string with number"), the result a number
  local checknum = checknum51
  mathlib.max = function(...)
    local n = select('#', ...)
    local m, b = ...
    if type(m) ~= 'number' then m = checknum(m, 1, n, 'max') end
    if n == 2 then
      if type(b) ~= 'number' then b = checknum(b, 2, n, 'max') end
      if b > m then return b end
      return m
    end
    for i = 2, n do
      local d = select(i, ...)
      if type(d) ~= 'number' then d = checknum(d, i, n, 'max') end
      if d > m then m = d end
    end
    return m
  end
  mathlib.min = function(...)
    local n = select('#', ...)
    local m, b = ...
    if type(m) ~= 'number' then m = checknum(m, 1, n, 'min') end
    if n == 2 then
      if type(b) ~= 'number' then b = checknum(b, 2, n, 'min') end
      if b < m then return b end
      return m
    end
    for i = 2, n do
      local d = select(i, ...)
      if type(d) ~= 'number' then d = checknum(d, i, n, 'min') end
      if d < m then m = d end
    end
    return m
  end
end
do
  local log = math.log
  -- 5.1's math.log has no base argument, its math.atan no second one
  mathlib.log = function(...)
    if select('#', ...) > 1 then return log((...)) end
    return log(...)
  end
  local atan = math.atan
  mathlib.atan = function(...)
    if select('#', ...) > 1 then return atan((...)) end
    return atan(...)
  end
end
mathlib.cosh = function(...) local x = checknum51((...), 1, select('#', ...), 'cosh') return (math.exp(x) + math.exp(-x)) / 2 end
mathlib.sinh = function(...)
  local x = checknum51((...), 1, select('#', ...), 'sinh')
  if x == 0 then return x end -- (keeps -0)
  return (math.exp(x) - math.exp(-x)) / 2
end
mathlib.tanh = function(...)
  local x = checknum51((...), 1, select('#', ...), 'tanh')
  -- (past 22 the double result is +-1, as glibc's tanh returns it, where exp would give inf / inf)
  if x > 22 then return 1.0 elseif x < -22 then return -1.0 elseif x == 0 then return x end -- (keeps -0)
  local a, b = math.exp(x), math.exp(-x)
  return (a - b) / (a + b)
end
mathlib.atan2 = function(...)
  local y, x = ...
  local n = select('#', ...)
  x = checknum51(x, 2, n, 'atan2')
  return math.atan(checknum51(y, 1, n, 'atan2'), x)
end
mathlib.random = random
mathlib.randomseed = randomseed
mathlib.tointeger = nil
mathlib.type = nil
mathlib.ult = nil
mathlib.maxinteger = nil
mathlib.mininteger = nil

-- ---------------------------------------------------------------- globals
-- What 5.1's strtod also reads and 5.4's tonumber does not: inf, infinity, nan (any case, signed,
-- spaces around). nil for anything else.
local string_lower, string_match = string.lower, string.match
function strtod_special(v)
  local sign, w = string_match(string_lower(v), '^%s*([-+]?)(%a+)%s*$')
  if w == 'inf' or w == 'infinity' then return sign == '-' and -1/0 or 1/0 end
  if w == 'nan' then
    local nan = -(0/0)
    if sign == '-' then return -nan end
    return nan
  end
end
-- A number, or a string as 5.1's arithmetic reads it, as a double; else nil.
num51 = function(v)
  local n = tonumber(v)
  if n and n ~= 0 and n == n then return n + 0.0 end
  if n == 0 then
    -- (a zero keeps its sign, which x + 0.0 would drop: -0.0 as it is, and '-0' or '-0x0', which
    -- 5.4 reads as the integer 0, as 5.1's strtod reads it)
    if math_type(n) == 'float' then return n end
    if type(v) == 'string' and string.find(v, '-', 1, true) then return -0.0 end
    return 0.0
  end
  if type(v) == 'string' then
    -- (luaO_str2d reads a C string: '5\0x' is 5)
    local z = string.find(v, '\0', 1, true)
    if z then return num51(string.sub(v, 1, z - 1)) end
    -- (a NaN's sign as glibc's strtod gives it: musl's, behind 5.4's tonumber, drops it)
    return strtod_special(v) or n
  end
  return n
end
local RG = {}
local ENV_MT = {__index = RG, __newindex = N.readonly}
-- getmetatable(_G) is a (read-only) table on Redis too
ENV_MT.__metatable = ro({__index = N.nonexistent})
local ENV = setmetatable({}, ENV_MT)
PROT[ENV] = true
local real_load = load

local function loaded(f, e)
  if f then return f end
  return f, fixmsg(e)
end
-- A 5.1 chunk through the front end. At Lua's 200-local limit the front end's countdown local is
-- one too many: the chunk is compiled again with it as an upvalue (as Sandbox.compile does).
local string_find0, string_sub0 = string.find, string.sub
-- luaO_chunkid of a source string: 5.4's (LUA_IDSIZE 60: at most 44 characters whole, else 45 and
-- "...", cut at the first \n) and 5.1's for the lexer's messages (MAXSRC 80: at most 63 characters,
-- cut at the first \n or \r).
local function chunkid54(src)
  local nl = string_find0(src, '\n', 1, true)
  if #src < 45 and not nl then return '[string "' .. src .. '"]' end
  local l = nl and nl - 1 or #src
  if l > 45 then l = 45 end
  return '[string "' .. string_sub0(src, 1, l) .. '..."]'
end
local function chunkid51_lexer(src)
  local nl = string_find0(src, '[\n\r]')
  local l = nl and nl - 1 or #src
  if l > 63 then l = 63 end
  if l < #src then return '[string "' .. string_sub0(src, 1, l) .. '..."]' end
  return '[string "' .. src .. '"]'
end
local CHUNK_MARK = '\1chunk\1'
local function load_translated(src, name)
  local f, e = real_load(translate(src), name, 't', ENV)
  if f then return f end
  if type(e) == 'string' and string_find0(e, 'main function has more than 200 local variables', 1, true) then
    local f2 = real_load(translate(src, true), name, 't', ENV)
    if f2 then return f2 end
  end
  -- A compile error names the chunk as 5.1's lexer does (longer than 5.4's and runtime errors' names).
  if type(e) == 'string' and name == src then
    local c = chunkid54(src)
    if string_sub0(e, 1, #c) == c then
      e = fixmsg(CHUNK_MARK .. string_sub0(e, #c + 1))
      return nil, chunkid51_lexer(src) .. string_sub0(e, #CHUNK_MARK + 1)
    end
  end
  return loaded(f, e)
end
-- 5.1's load takes a reader function only (luaB_load: luaL_checktype(L, 1, LUA_TFUNCTION)).
-- An error raised by load's reader is caught by 5.1's lua_load (load returns nil and it), after the
-- message handler in force ran on it: Redis's (an {err=...} table) unless a pcall is running.
local load_errh, load_strmsg -- (errh and its string conversion, defined below)
local function in_pcall()
  local lvl = 3
  while true do
    local i = dbg_getinfo(lvl, 'f')
    if i == nil then return false end
    if i.func == RG.pcall or i.func == RG.xpcall then return true end
    lvl = lvl + 1
  end
end
local function load_msgh(e)
  if in_pcall() then return load_strmsg(e) end
  return load_errh(e)
end
local function load51(...)
  local chunk, name = ...
  if type(chunk) ~= 'function' then
    argerror(2, 1, 'load', 'function expected, got ' .. (select('#', ...) == 0 and 'no value' or type(chunk)))
  end
  local parts = {}
  while true do
    local ok, p = xpcall(chunk, load_msgh)
    if not ok then return nil, p end
    if p == nil or p == '' then break end
    -- (generic_reader's luaL_error, caught by lua_load: load returns it)
    if type(p) ~= 'string' and type(p) ~= 'number' then return nil, 'reader function must return a string' end
    parts[#parts + 1] = p
  end
  return load_translated(table.concat(parts), name or '=(load)')
end

RG._G = ENV
RG._VERSION = 'Lua 5.1'
-- 5.1's luaB_assert: the message through luaL_optstring, raised by luaL_error (the caller's position)
RG.assert = function(...)
  local v, m = ...
  if v then return ... end
  if select('#', ...) == 0 then argerror(2, 1, 'assert', 'value expected') end
  if m == nil then m = 'assertion failed!'
  elseif type(m) == 'number' then m = tostring51(m)
  elseif type(m) ~= 'string' then argerror(2, 2, 'assert', 'string expected, got ' .. type(m)) end
  local caller = dbg_getinfo(2, 'S')
  if caller and caller.what ~= 'C' then error(m, 2) end
  error(m, 0)
end
local gcstep51
do
  -- 5.1's options only (no 'incremental', 'generational', 'isrunning')
  local collectgarbage = collectgarbage
  local stepmul51 = 200
  RG.collectgarbage = function(...)
    local o = ...
    if o == 'incremental' or o == 'generational' or o == 'isrunning' then
      argerror(2, 1, 'collectgarbage', "invalid option '" .. o .. "'")
    end
    if o == 'step' then return gcstep51(select(2, ...)) end
    if o == 'setstepmul' then
      -- 5.1's step multiplier starts at 200 (5.4's at 100, with each unit of work twice 5.1's):
      -- the previous 5.1 value is returned, half of the new one goes to 5.4
      local v = select(2, ...)
      if v == nil then v = 0 else v = checkint(v, 2, 'collectgarbage') end
      local prev = stepmul51
      stepmul51 = v
      collectgarbage('setstepmul', v > 0 and math_floor(v / 2) or 0)
      return prev + 0.0
    end
    return collectgarbage(...)
  end
  -- 5.1's 'step': lua_gc(LUA_GCSTEP, n) sets the threshold n KB under the heap's size (0 if n KB
  -- is more than the heap, n taken unsigned) and runs luaC_step until the threshold is passed,
  -- each step doing ~2000 bytes of work: one step for n = 0, about n + 1 steps (at most one per
  -- KB of heap, plus one) otherwise, stopping early when a cycle ends, which is what it returns.
  -- 5.4's basic step does (2^stepsize / 16) * stepmul units of work (8 KB: a whole small heap in
  -- one step, so it returned true every time); during a 5.1 step the step size is 2^4 bytes,
  -- ~100 units, about 5.1's ~2000 bytes (a table of 5.1 counts its bytes, 5.4 its slots). The
  -- heap differs from Redis's (more libraries, the prelude), so the step that ends a cycle is not
  -- the same one: only its order of magnitude is 5.1's.
  function gcstep51(n)
    if n == nil then n = 0 else n = checkint(n, 2, 'collectgarbage') end
    local steps = 1
    if n ~= 0 then
      local heap = math_floor(collectgarbage('count'))
      if n < 0 or n > heap then n = heap end
      steps = n + 1
    end
    collectgarbage('incremental', 0, 0, 4)
    local ended = false
    for _ = 1, steps do
      if collectgarbage('step', 0) then ended = true break end
    end
    collectgarbage('incremental', 0, 0, 13) -- (LUAI_GCSTEPSIZE, never changed otherwise)
    return ended
  end
end
-- Levels count the frames 5.1 would have: the prelude's Lua wrappers (pcall's) are not frames of
-- their own; a level that lands on a C function or past the stack adds no position.
RG.error = function(m, l)
  if type(m) == 'number' then m = tostring51(m) end
  l = l or 1
  if l == 1 then return error(m, 2) end
  -- (luaL_optint)
  if math_type(l) ~= 'float' then
    local x = tonumber(l)
    if x == nil then argerror(2, 2, 'error', 'number expected, got ' .. type(l)) end
    l = x
  end
  l = I(l)
  if l == 1 then return error(m, 2) end
  if l <= 0 then return error(m, 0) end
  local lvl, k = 2, 0
  while true do
    local i = dbg_getinfo(lvl, 'S')
    if not i then return error(m, 0) end
    if i.source ~= '=redust' then
      k = k + 1
      if k == l then
        if i.what == 'C' then return error(m, 0) end
        return error(m, lvl)
      end
    end
    lvl = lvl + 1
  end
end
RG.gcinfo = function() return math_floor(collectgarbage('count')) end
RG.getmetatable = getmetatable
-- 5.1's ipairs/pairs/next: arguments checked as 5.1 does (table expected), no __pairs (except
-- the read-only proxies', which list the protected table), next's keys are doubles. The loops of
-- pairs and ipairs run 5.4's C iterators (a Lua iterator converting each key cost ~125 ns per
-- step): their keys stay 5.4 integers (see docs/compatibility.md).
do
  local ipairs_iter = ipairs({})
  local function inext51(t, i)
    i = i + 1.0
    local v = rawget(t, i)
    if v ~= nil then return i, v end
  end
  RG.ipairs = function(...)
    local t = ...
    if type(t) ~= 'table' then argerror(2, 1, 'ipairs', 'table expected, got ' .. (select('#', ...) == 0 and 'no value' or type(t))) end
    -- 5.1 reads raw: with a metatable, 5.4's lua_geti would go through __index
    if getmetatable(t) ~= nil then return inext51, t, 0.0 end
    return ipairs_iter, t, 0
  end
  -- A key given back to 5.4's next must be the integer it stored (a float 1.0 is an "invalid
  -- key to 'next'" for the array part).
  local function key54(k)
    if math_type(k) == 'float' and k % 1 == 0 and k >= -9.2233720368547758e18 and k < 9.2233720368547758e18 then return k | 0 end
    return k
  end
  local function next51(...)
    local t, k = ...
    -- (5.4's next says "got nil" for a missing table too)
    if t == nil and select('#', ...) == 0 then argerror(2, 1, 'next', 'table expected, got no value') end
    -- (a read-only proxy, _G included, iterates the table behind it as on Redis)
    local real = PROT[t]
    if real then
      if real ~= true then t = real elseif t == ENV then t = ENV_MT.__index end
    end
    local k2, v = next(t, key54(k))
    if math_type(k2) == 'integer' then return k2 + 0.0, v end
    return k2, v
  end
  RG.next = next51
  RG.pairs = function(...)
    local t = ...
    if type(t) ~= 'table' then argerror(2, 1, 'pairs', 'table expected, got ' .. (select('#', ...) == 0 and 'no value' or type(t))) end
    local real = PROT[t] -- (a table, or true for tables protected in place)
    if real and real ~= true then t = real
    elseif t == ENV then t = ENV_MT.__index end -- (the globals behind the script's _ENV proxy)
    return next, t, nil
  end
end
RG.load = load51
-- Redis's message handler is a global too (scripting.c's __redis__err__handler, as written there)
RG.__redis__err__handler = function(err)
  local i
  if dbg_getinfo(1, 't').istailcall then
    -- (tail-called: 5.1 shows a "(tail call)" frame where 5.4 shows the caller's caller)
    i = {source = '=(tail call)', currentline = -1}
  else
    -- (the caller as 5.1 sees it, and its caller if that is C; the prelude's own Lua frames,
    -- e.g. the pcall and xpcall wrappers around the C functions, are no frames of 5.1's)
    local l = 1
    local function nextframe()
      local f
      repeat
        l = l + 1
        f = dbg_getinfo(l, 'nSl')
      until not f or (f.source ~= '=redust' and f.source ~= '=lib')
      return f
    end
    i = nextframe()
    if i and i.what == 'C' then i = nextframe() end
  end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring51(err)} end
  if i then
    err['source'] = i.source
    err['line'] = i.currentline + 0.0
  end
  return err
end
RG.loadstring = function(...)
  local s, name = ...
  -- (5.1's luaL_checklstring and luaL_optstring)
  if type(s) == 'number' then s = tostring51(s)
  elseif type(s) ~= 'string' then argerror(2, 1, 'loadstring', 'string expected, got ' .. (select('#', ...) == 0 and 'no value' or type(s))) end
  if type(name) == 'number' then name = tostring51(name)
  elseif name ~= nil and type(name) ~= 'string' then argerror(2, 2, 'loadstring', 'string expected, got ' .. type(name)) end
  return load_translated(s, name or s)
end
RG.rawequal = rawequal
RG.rawget = function(...)
  local t, k = ...
  if t == nil and select('#', ...) == 0 then argerror(2, 1, 'rawget', 'table expected, got no value') end
  if t == ENV then t = ENV_MT.__index
  else local real = PROT[t] if type(real) == 'table' then t = real end end
  return rawget(t, k)
end
RG.rawset = N.rawset
do
  local select, unpack = select, table_unpack
  RG.select = function(...)
    local n = ...
    if n == '#' then return select('#', ...) - 1.0 end
    local mt = math_type(n)
    if (mt == 'float' and (n % 1 ~= 0 or n >= 0x1p31 or n < -0x1p31)) or (mt == nil and n ~= nil) then return select(I(n), select(2, ...)) end
    return select(...)
  end
  RG.unpack = function(...)
    local t, i, j = ...
    -- (5.1's luaL_checktype; 5.4's unpack takes any value with a length)
    if type(t) ~= 'table' then argerror(2, 1, 'unpack', 'table expected, got ' .. (select('#', ...) == 0 and 'no value' or type(t))) end
    -- unpack(t): 1..#t, within the limit below up to 7996 values (the checks below would pass)
    if i == nil and j == nil and #t <= 7996 then return unpack(t) end
    -- (5.1's lua_checkstack: at most LUAI_MAXCSTACK (8000) slots, the arguments included)
    local a, b = tonumber(i) or 1, tonumber(j) or #t
    if b - a >= 7996 and I(b) - I(a) + 1 + select('#', ...) > 8000 then error('too many results to unpack') end
    local mi, mj = math_type(i), math_type(j)
    if (mi == 'float' and (i % 1 ~= 0 or i >= 0x1p31 or i < -0x1p31)) or (mj == 'float' and (j % 1 ~= 0 or j >= 0x1p31 or j < -0x1p31))
      or (mi == nil and i ~= nil) or (mj == nil and j ~= nil) then return unpack(t, I(i), I(j)) end
    return unpack(...)
  end
end
RG.setmetatable = function(...)
  local t, mt = ...
  if PROT[t] then error('Attempt to modify a readonly table', 0) end
  -- (5.1's luaL_argcheck on lua_type(L, 2): none is not nil)
  local n = select('#', ...)
  if n == 0 then argerror(2, 1, 'setmetatable', 'table expected, got no value') end
  if n == 1 and type(t) == 'table' then argerror(2, 2, 'setmetatable', 'nil or table expected') end
  return setmetatable(t, mt)
end
-- Lua 5.1 has only doubles: tonumber('10') is a float (prints with %.14g, never wraps)
-- (base 10 is the standard conversion in 5.1; with another base a number argument is read as its
-- string; '-0' is -0 as 5.1's strtod reads it)
RG.tonumber = function(...)
  local v, base = ...
  local n
  if base == nil then
    n = tonumber(...)
    -- (the common case without math_type: a number other than 0 and NaN as a double; x + 0.0 is
    -- x for a float, and 0 and NaN keep their sign below)
    if n ~= nil and n ~= 0 and n == n then return n + 0.0 end
  elseif I(base) == 10 then n = tonumber(v)
  else
    if type(v) == 'number' then v = tostring51(v) end
    -- (luaL_optint: the base as 5.1's (int), tonumber('z', 36.9) is base 36)
    n = tonumber(v, I(base))
    -- (5.1's strtoul: a negative number is read as its unsigned long)
    if n and n < 0 then return n + 0x1p64 end
  end
  -- (a nil, false or absent argument: nothing more to check)
  if n == nil and (v == nil or v == false) then return nil end
  if math_type(n) == 'integer' then
    if n == 0 and type(v) == 'string' and (base == nil or base == 10) and string_find0(v, '-', 1, true) then return -0.0 end
    return n + 0.0
  end
  if (n == nil or n ~= n) and type(v) == 'string' then
    -- (5.1 reads the string as a C string: '5\0x' is 5)
    local z = string_find0(v, '\0', 1, true)
    if z then return RG.tonumber(string_sub0(v, 1, z - 1), base) end
    -- (a NaN's sign as glibc's strtod gives it: musl's, behind 5.4's tonumber, drops it)
    if base == nil or base == 10 then return strtod_special(v) or n end
  end
  return n
end
-- (a vararg function, to tell tostring() from tostring(nil) as 5.1's luaL_checkany: ~40 ns per call)
RG.tostring = function(...)
  local v = ...
  if v == nil and select('#', ...) == 0 then argerror(2, 1, 'tostring', 'value expected') end
  return tostring51(v)
end
RG.type = type
do
  -- The script's main body runs on Redust's own coroutine (TOP): 5.1's main thread, which is not
  -- a coroutine (running() is nil) and cannot yield.
  local colib = copy(coroutine)
  local running, yield = coroutine.running, coroutine.yield
  colib.running = function()
    local co, main = running()
    if main or co == TOP then return nil end
    return co
  end
  -- 5.1 cannot yield across a C function (pcall, a library function calling back), a metamethod
  -- or a 'for' iterator: each is a C call boundary there
  local function boundary()
    local lvl = 3
    while true do
      local i = dbg_getinfo(lvl, 'Sn')
      if i == nil then return false end
      if i.what == 'C' or i.namewhat == 'metamethod' or i.namewhat == 'for iterator' then return true end
      -- (a library function written in Lua calling back, as table.sort's comparator: C in 5.1)
      if i.source == '=redust' or i.source == '=lib' then return true end
      lvl = lvl + 1
    end
  end
  colib.yield = function(...)
    local co, main = running()
    if main or co == TOP or boundary() then error('attempt to yield across metamethod/C-call boundary', 0) end
    return yield(...)
  end
  local create, wrap, resume, status = coroutine.create, coroutine.wrap, coroutine.resume, coroutine.status
  local function luafunction(f, fname)
    if type(f) ~= 'function' then argerror(3, 1, fname, 'Lua function expected') end
    -- (the prelude's wrappers and the libraries are C functions in 5.1)
    local i = dbg_getinfo(f, 'S')
    if i.what == 'C' or i.source == '=redust' or i.source == '=lib' then argerror(3, 1, fname, 'Lua function expected') end
  end
  colib.create = function(f) luafunction(f, 'create') return create(f) end
  colib.wrap = function(f) luafunction(f, 'wrap') return wrap(f) end
  colib.resume = function(co, ...)
    if type(co) ~= 'thread' then argerror(2, 1, 'resume', 'coroutine expected') end
    return resume(co, ...)
  end
  colib.status = function(co)
    if type(co) ~= 'thread' then argerror(2, 1, 'status', 'coroutine expected') end
    return status(co)
  end
  colib.isyieldable = nil
  colib.close = nil
  RG.coroutine = ro(colib)
end
RG.string = ro(stringlib)
RG.table = ro(tablelib)
RG.math = ro(mathlib)

local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'table' then
    local m = rawget(e, 'err')
    if type(m) == 'string' or type(m) == 'number' then return false, m end
  end
  if type(e) == 'string' then e = fixmsg(e) end
  return false, e
end

-- Redis's Lua libraries (Lua implementations, see libs.ts).
for name, lib in next, LIBS do RG[name] = ro(lib) end

-- The string metatable stays reachable through getmetatable(''): protect it too.
local smt = getmetatable('')
smt.__index = RG.string
-- Arithmetic on strings (5.4 does it in the string library's metamethods, with 5.4's integers
-- and texts): 5.1's doubles, and 5.1's "attempt to perform arithmetic on a X value" naming the
-- first operand that is not a number (5.1 also names the variable when there is one: not known here).
do
  local function aerr(a, b)
    if num51(a) == nil then b = a end
    error('attempt to perform arithmetic on a ' .. type(b) .. ' value', 3)
  end
  -- (when one operand is not a number, 5.1's call_binTM tries the first operand's metamethod,
  -- then the second's: a string has none in 5.1, so '1' + t calls t's __add)
  local function tm(a, b, ev)
    local mt = type(a) ~= 'string' and dbg_getmetatable(a)
    local h = mt and rawget0(mt, ev)
    if not h then
      mt = type(b) ~= 'string' and dbg_getmetatable(b)
      h = mt and rawget0(mt, ev)
    end
    return h
  end
  -- (first the common case: both operands read by tonumber, neither a zero, a result that is not
  -- NaN (num51 keeps a zero's sign, and a NaN's as glibc reads '-nan'); num51 is the same reading
  -- with 5.1's extras, two Lua calls more)
  smt.__add = function(a, b) local x, y = tonumber(a), tonumber(b) if x and y and x ~= 0 and y ~= 0 then local r = (x + 0.0) + (y + 0.0) if r == r then return r end end x, y = num51(a), num51(b) if x and y then return x + y end local h = tm(a, b, '__add') if h then return h(a, b) end aerr(a, b) end
  smt.__sub = function(a, b) local x, y = tonumber(a), tonumber(b) if x and y and x ~= 0 and y ~= 0 then local r = (x + 0.0) - (y + 0.0) if r == r then return r end end x, y = num51(a), num51(b) if x and y then return x - y end local h = tm(a, b, '__sub') if h then return h(a, b) end aerr(a, b) end
  smt.__mul = function(a, b) local x, y = tonumber(a), tonumber(b) if x and y and x ~= 0 and y ~= 0 then local r = (x + 0.0) * (y + 0.0) if r == r then return r end end x, y = num51(a), num51(b) if x and y then return x * y end local h = tm(a, b, '__mul') if h then return h(a, b) end aerr(a, b) end
  smt.__div = function(a, b) local x, y = tonumber(a), tonumber(b) if x and y and x ~= 0 and y ~= 0 then local r = (x + 0.0) / (y + 0.0) if r == r then return r end end x, y = num51(a), num51(b) if x and y then return x / y end local h = tm(a, b, '__div') if h then return h(a, b) end aerr(a, b) end
  smt.__mod = function(a, b) local x, y = tonumber(a), tonumber(b) if x and y and x ~= 0 and y ~= 0 then local r = (x + 0.0) % (y + 0.0) if r == r then return r end end x, y = num51(a), num51(b) if x and y then return x % y end local h = tm(a, b, '__mod') if h then return h(a, b) end aerr(a, b) end
  smt.__pow = function(a, b) local x, y = tonumber(a), tonumber(b) if x and y and x ~= 0 and y ~= 0 then local r = (x + 0.0) ^ (y + 0.0) if r == r then return r end end x, y = num51(a), num51(b) if x and y then return x ^ y end local h = tm(a, b, '__pow') if h then return h(a, b) end aerr(a, b) end
  smt.__unm = function(a) local x = tonumber(a) if x and x ~= 0 and x == x then return -(x + 0.0) end x = num51(a) if x then return -x end aerr(a, a) end
end
smt.__metatable = ro(copy(smt))


-- ---------------------------------------------------------------- redis.*
local function errtable(msg) return {err = msg} end

local function push_error(e)
  -- luaPushErrorBuff: "-CODE msg" or "msg" -> "CODE msg"
  local code, msg
  if e:sub(1, 1) == '-' then
    local sp = e:find(' ', 1, true)
    if sp then code, msg = e:sub(2, sp - 1), e:sub(sp + 1) else code, msg = 'ERR', e:sub(2) end
  else
    code, msg = 'ERR', e
  end
  msg = msg:gsub('^[\r\n]+', ''):gsub('[\r\n]+$', '')
  return {err = code .. ' ' .. msg}
end

local redis = {}
redis.call = N.call
redis.pcall = N.pcall
redis.sha1hex = N.sha1hex
redis.error_reply = function(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then return errtable('ERR wrong number or type of arguments') end
  if e:sub(1, 1) ~= '-' then e = '-' .. e end
  return push_error(e)
end
redis.status_reply = function(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return errtable('ERR wrong number or type of arguments') end
  return {ok = s}
end
local function log(...)
  local argc = select('#', ...)
  if argc < 2 then error(errtable('ERR redis.log() requires two arguments or more.')) end
  local level = ...
  if type(level) ~= 'number' and not (type(level) == 'string' and tonumber(level)) then
    error(errtable('ERR First argument must be a number (log level).'))
  end
  level = checkint(level, 1, 'log')
  if level < 0 or level > 3 then error(errtable('ERR Invalid debug level.')) end
  local parts = {}
  for i = 2, argc do
    local v = select(i, ...)
    if type(v) == 'string' or type(v) == 'number' then parts[#parts + 1] = tostring51(v) end
  end
  N.log(level, table.concat(parts, ' '))
end
redis.log = log
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.setresp = function(...)
  if select('#', ...) ~= 1 then error(errtable('ERR redis.setresp() requires one argument.')) end
  local v = tonumber((...)) or 0
  v = v >= 0 and math_floor(v) or math_ceil(v) -- (int)lua_tonumber: 2.5 is 2
  if v ~= 2 and v ~= 3 then error(errtable('ERR RESP version must be 2 or 3.')) end
  N.setresp(v)
end
redis.set_repl = function(...)
  if select('#', ...) ~= 1 then error(errtable('ERR redis.set_repl() requires two arguments.')) end
  local v = tonumber((...)) or 0
  v = v >= 0 and math_floor(v) or math_ceil(v)
  if (v & ~3) ~= 0 then
    error(errtable('ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.'))
  end
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = N.acl_check_cmd
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = N.version
redis.REDIS_VERSION_NUM = N.version_num
RG.redis = ro(redis)

-- The load-time globals of FUNCTION LOAD: only a restricted 'redis'.
local function load_globals(register)
  local lr = {register_function = register, log = log, REDIS_VERSION = redis.REDIS_VERSION,
    REDIS_VERSION_NUM = redis.REDIS_VERSION_NUM,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3}
  setmetatable(lr, {__index = N.nonexistent, __newindex = N.readonly, __metatable = false})
  PROT[lr] = true
  local LG = setmetatable({redis = lr}, {__index = N.nonexistent, __newindex = N.readonly, __metatable = false})
  PROT[LG] = true
  return LG
end

-- __redis__err__handler: attach the position of the user's frame (skipping C and prelude frames).
local string_gsub = string.gsub
-- A C function called by a wrapper of this chunk (stringlib.sub...) puts this chunk's position in
-- its message, where 5.1, which calls it straight from the script, puts the script's.
local function userpos(err, i)
  if i then return (string_gsub(err, '^redust:%d+: ', i.short_src .. ':' .. i.currentline .. ': ', 1)) end
  return (string_gsub(err, '^redust:%d+: ', '', 1))
end
-- frame: the user's frame when the caller found it already (sandbox.ts CO_ERRH, on a dead
-- coroutine's stack); as a message handler errh finds it itself.
-- callee: the frame the user's frame called (a wrapper of this chunk, when the error comes from
-- one): called as a method (s:sub()), its argument errors do not count self, as 5.4's and 5.1's
-- luaL_argerror do for a C function called as a method (the wrapper calls it through an upvalue).
-- The user's frame from level lvl up (skipping C, prelude and library frames), the first Lua
-- frame skipped (the wrapper that called the C function which raised the error, if any) and the
-- last one (the function the user's frame called).
local function userframe(lvl)
  local i = dbg_getinfo(lvl, 'Sln')
  local callee, outer
  while i and (i.what == 'C' or i.source == '=redust' or i.source == '=lib') do
    lvl = lvl + 1
    if i.what ~= 'C' then
      if callee == nil then callee = i end
      outer = i
    end
    i = dbg_getinfo(lvl, 'Sln')
  end
  return i, callee, outer
end
local function selfarg(n, name, extra)
  n = tonumber(n) - 1
  if n == 0 then return "calling '" .. name .. "' on bad self (" .. extra .. ")" end
  return "bad argument #" .. n .. " to '" .. name .. "' (" .. extra .. ")"
end
local function userpos_method(err, i, callee, outer)
  -- (a wrapper called from C: 5.1's C function, called from C, has no position either)
  -- (The prelude's wrappers, and the libraries' Lua functions: '=lib'.)
  local wrapper = callee and (callee.source == '=redust' or callee.source == '=lib')
  err = userpos(err, not (wrapper and callee.namewhat == '') and i or nil)
  if wrapper then
    -- (called by the script's own code: named as the call names it, as 5.1's getfuncname does:
    -- local f = string.rep f() is 'f', t[1]() and a metamethod '?', a generic for's iterator '(for generator)')
    local name = callee == outer and callee.name
    if name and callee.namewhat == 'for iterator' then name = '(for generator)'
    elseif name and callee.namewhat == 'metamethod' then name = '?' end -- (no name in 5.1)
    if callee.namewhat == 'method' then
      err = string_gsub(err, "bad argument #(%d+) to '([%w_]+)' %((.*)%)$", function(n, fname, extra) return selfarg(n, name or fname, extra) end, 1)
    elseif name and callee.namewhat ~= '' then
      err = string_gsub(err, "bad argument #(%d+) to '[%w_]+'", function(n) return "bad argument #" .. n .. " to '" .. name .. "'" end, 1)
    elseif callee.namewhat == '' then
      -- called from C (pcall(string.rep)): 5.1's C function has no name there
      err = string_gsub(err, "bad argument #(%d+) to '[%w_]+'", "bad argument #%1 to '?'", 1)
    end
  end
  return err
end
load_strmsg = function(e)
  if type(e) == 'string' then e = fixmsg(userpos_method(e, userframe(4))) end
  return e
end
local function errh(err, frame, callee, outer)
  local i = frame
  if not i then i, callee, outer = userframe(3) end
  if type(err) == 'string' then err = fixmsg(userpos_method(err, i, callee, outer)) end
  if type(err) ~= 'table' then err = {err = 'ERR ' .. tostring51(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end
load_errh = errh

-- An error a C function raises when a wrapper of this chunk called it names this chunk's line
-- ("redust:136: bad argument..."): pcall's message handler gives it the script's line instead,
-- as errh does for uncaught errors (the stack is still there).
local string_find = string.find
local function pcall_msgh(e)
  if type(e) == 'string' and string_find(e, '^redust:%d+: ') then return userpos_method(e, userframe(3)) end
  return e
end
-- A C function of 5.4's libraries called from C (here: by xpcall) is named in its argument errors
-- by where it is loaded ('math.max', 'collectgarbage'); 5.1 has no name for it: '?'. The pattern
-- of that name, for each such function (only rewritten when it is the function pcall called).
local NAME54 = {}
for lname, lib in next, G.package.loaded do
  if type(lib) == 'table' then
    for k, f in next, lib do
      if type(f) == 'function' and type(k) == 'string' then
        local name = lname == '_G' and k or lname .. '.' .. k
        NAME54[f] = "^bad argument #(%d+) to '" .. string_gsub(name, '%.', '%%.') .. "'"
      end
    end
  end
end
local function pcall_named(pat, ok, ...)
  if ok then return ok, ... end
  local e = ...
  if type(e) == 'string' then
    return false, (string_gsub(fixmsg(e), pat, "bad argument #%1 to '?'", 1))
  end
  return pcall_result(ok, ...)
end
-- pcall() with nothing to call: Redis's 5.1 answers false, "attempt to call a boolean value".
RG.pcall = function(...)
  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
  local pat = NAME54[(...)]
  if pat then return pcall_named(pat, xpcall(..., pcall_msgh, select(2, ...))) end
  return pcall_result(xpcall(..., pcall_msgh, select(2, ...)))
end

-- 5.1's xpcall: f called without arguments; the handler (not checked: a non-function fails as
-- "error in error handling") sees 5.1's message
RG.xpcall = function(...)
  local f, h = ...
  if select('#', ...) < 2 then argerror(2, 2, 'xpcall', 'value expected') end
  return xpcall(f, function(e)
    if type(e) == 'string' then e = fixmsg(userpos_method(e, userframe(3))) end
    -- (not a tail call: 5.1 calls the handler right from the error, with no tail call mark)
    return (h(e))
  end)
end

setmetatable(RG, {__index = N.nonexistent, __newindex = N.readonly, __metatable = false})
PROT[RG] = true

return ENV, RG, errh, ENV_MT, load_globals, PROT
`;
