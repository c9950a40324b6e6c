/**
 * The scripting hot paths that read Lua values from wasm memory (src/scripting/lua-mem.ts):
 * the layout check must pass on the shipped glue.wasm (else every path silently falls back to
 * the C API, slower), and redis.call's arguments, a script's result and the reused KEYS/ARGV
 * tables must give Redis's replies for every kind of value, compared with Redis 7.0.
 */
import * as assert from 'uvu/assert';
import { suite } from 'uvu';
import { Sandbox, newRng } from '../src/scripting/sandbox';
import { enginesUnderTest } from './helpers/servers';
import { differentialSuite, diffTest } from './helpers/suite';

const layout = suite('lua-mem layout');
layout('the layout check passes on the shipped glue.wasm', async () => {
  const sb = new Sandbox(newRng());
  // (a live binding: read after the first Sandbox ran checkLayout)
  const mem = await import('../src/scripting/lua-mem');
  assert.is(mem.memOk, true);
  sb.close();
});
layout.run();

const long = 'L'.repeat(41) + '\0' + 'x'.repeat(200);
const bin = Buffer.from([0, 1, 2, 0xff, 13, 10, 0x80, 0]);

for (const engine of enginesUnderTest()) {
  const t = differentialSuite('lua-mem', engine);

  diffTest(t, "redis.call arguments of every kind (strings short and long, floats, integers from pairs, bad types)", async ({ d }) => {
    const cases = [
      "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])",
      "redis.call('SET', KEYS[1], ARGV[2]) return redis.call('STRLEN', KEYS[1])",
      "redis.call('RPUSH', KEYS[1], 1, 1.5, 1e300, -1e-300, 2^53, 2^63, 1023, 1024, 0.1, 1/0, -1/0) return redis.call('LRANGE', KEYS[1], '0', '-1')",
      // (-0.0 alone: Lua 5.1 files the constants 0 and -0.0 under one key, so a chunk with both has only the first)
      "redis.call('RPUSH', KEYS[1], -0.0) return redis.call('LRANGE', KEYS[1], '0', '-1')",
      "redis.call('RPUSH', KEYS[1], 0/0) return redis.call('LRANGE', KEYS[1], '0', '-1')",
      "for k in pairs({5, 6}) do redis.call('RPUSH', KEYS[1], k) end return redis.call('LRANGE', KEYS[1], '0', '-1')",
      // numbers' texts kept by value (numberArg): equal low bits, repeated values, infinities
      "for i = 1, 3 do redis.call('RPUSH', KEYS[1], 30000, 30256, 0.5, 1/0, -(1/0), 256.5, 512.5, -30000, 30000, 1733424000000, 1733424000000.5) end return redis.call('LRANGE', KEYS[1], '0', '-1')",
      "return redis.call('ECHO', ARGV[1] .. ARGV[1])",
      "return redis.pcall('ECHO', true)",
      "return redis.pcall('ECHO', nil)",
      "return redis.pcall('ECHO', {})",
      "return redis.pcall()",
      "return redis.call('ECHO', '')",
      "return redis.call('HSET', KEYS[1], 'a', 1, 'b', 2.5, 'c', ARGV[1])",
    ];
    for (const s of cases) await d.check(['EVAL', s, '1', 'k:' + s.length, long, bin]);
  });

  diffTest(t, "a script's result of every kind, RESP2 and RESP3", async ({ d }) => {
    const cases = [
      "return ARGV[1]", "return ARGV[2]", "return 'short'", "return ''", "return 3.9", "return -2.5", "return 2^53",
      "return true", "return false", "return nil", "return {ARGV[1], 'x', 1.5, true, false}", "return {err = 'E x'}", "return {ok = 'fine'}",
      "return redis.call('GET', 'nokey')", "for k in pairs({7}) do return k end",
      // arrays read from memory (luaToReply): nil ends them, floats truncate, other kinds and
      // elements outside the array part take the C API path, tables with a hash part are checked
      "return {'a', ARGV[1], nil, 'b'}", "return {ARGV[2], {'n', 2.7, {-3.9, {}}}, 1e300, -1e300, 1/0, -1/0, 2^63, -2^63, 0.5, -0.5, true, false}",
      "local t = {} t[3] = 'c' t[2] = 'b' t[1] = 'a' return t", "local t = {'a', 'b', 'c'} t[3] = nil return t",
      "local t = {'a', 'b'} t.x = 1 return t", "local t = {'a', 'b'} t.ok = 3 t.err = {} return t", "local t = {'a'} t[5] = 'e' t[2] = 'b' return t",
      "local t = {} for i = 1, 100 do t[i] = i .. '' end t[101] = 1.5 return t", "local t = {} for i = 1, 70 do t[#t + 1] = {i, tostring(i)} end return t",
      "return {map = {a = {'x', 2.5}}}", "return {set = {['a'] = true}}", "return {{err = 'E inner'}, {ok = 'fine'}, 'x'}",
    ];
    await d.bothProtocols([], cases.map((s) => ['EVAL', s, '0', long, bin]));
  });

  diffTest(t, 'KEYS/ARGV tables reused with equal and changed values, lengths 0 to 70', async ({ d }) => {
    const show = "local r = {#KEYS, #ARGV} for i = 1, #KEYS do r[#r + 1] = KEYS[i] end for i = 1, #ARGV do r[#r + 1] = ARGV[i] end return r";
    const keys = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`);
    for (const n of [0, 1, 3, 14, 63, 64, 65, 70]) {
      await d.check(['EVAL', show, String(n), ...keys(n, 'k'), 'a', 'b']);
      await d.check(['EVAL', show, String(n), ...keys(n, 'k'), 'a', 'b']); // same values: left in place
      await d.check(['EVAL', show, String(n), ...keys(n, 'j'), 'a', 'c']); // changed
      await d.check(['EVAL', 'KEYS[1] = nil ARGV[2] = 5 return 1', String(n), ...keys(n, 'j'), 'a', 'c']);
      await d.check(['EVAL', show, String(n), ...keys(n, 'j'), 'a', 'c']);
      await d.check(['EVAL', show, String(n), ...keys(n, 'j'), long, bin]);
    }
  });

  t.run();
}
