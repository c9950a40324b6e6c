/**
 * node-redis v6 (the `redis-resp3` devDependency, an alias of redis@6) speaking RESP3, against
 * Redust on every engine and against real Redis 7.0. One program runs on each server and records
 * what the client sees step by step; the records must be equal. It covers what RESP3 changes for
 * a client: maps (HGETALL, CONFIG GET, XREAD, XINFO, FUNCTION LIST), sets (SMEMBERS, function
 * flags, CLIENT TRACKINGINFO), doubles (ZSCORE, WITHSCORES, ZINCRBY) next to the bulk strings
 * INCRBYFLOAT keeps, null and booleans (Lua through redis.setresp(3)), big numbers, verbatim
 * strings (CLIENT INFO), HELLO's map, push messages on the command connection (pub/sub, keyspace
 * notifications, tracking invalidations, in the order the client sees them), MULTI/EXEC and
 * pipelines, scripts and functions, errors, and node-redis's client-side cache, whose hit and
 * miss counts depend on the server's invalidation pushes (after writes of every family, from
 * scripts and from another database).
 *
 * Replies are read twice where the type matters: through node-redis's own command methods (the
 * transformed values an application gets) and through `sendCommand` on a view whose type mapping
 * keeps every RESP3 type apart (see TYPED), rendered by `show`.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createClient, RESP_TYPES, VerbatimString, BasicClientSideCache, MultiErrorReply } from 'redis-resp3';
import { enginesUnderTest, haveRedisServer, referenceRunOnce, startRedust } from './helpers/servers';

const HAVE_REF = haveRedisServer();

/**
 * A type mapping under which the RESP3 reply types stay apart once decoded: blob strings are
 * Buffers, simple strings (and doubles, whose text is kept) JS strings, integers numbers, big
 * numbers bigints, maps Maps, sets Sets, verbatim strings VerbatimStrings. Doubles and simple
 * strings share a representation: no server answers one where the other is due, while the
 * swaps that do happen (a bulk string for a double, an array for a map or set) stay visible.
 */
const TYPED = {
  [RESP_TYPES.BLOB_STRING]: Buffer,
  [RESP_TYPES.SIMPLE_STRING]: String,
  [RESP_TYPES.DOUBLE]: String,
  [RESP_TYPES.NUMBER]: Number,
  [RESP_TYPES.BIG_NUMBER]: BigInt,
  [RESP_TYPES.MAP]: Map,
  [RESP_TYPES.SET]: Set,
  [RESP_TYPES.VERBATIM_STRING]: VerbatimString,
} as const;

/**
 * A decoded reply as JSON-able data that names its RESP3 type: a blob string is itself, a simple
 * string or double `+text`, a big number `(digits`, a map `{map: [[k, v]...]}` in reply order, a
 * set `{set: [...]}` sorted (a set's order is the server's hash order, which the protocol does not
 * promise), a verbatim string `{verbatim: [format, text]}`, an error `{error: [class, message]}`.
 * Objects (node-redis's transformed replies) keep their key order.
 */
function show(v: unknown): unknown {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return v ?? null;
  if (Buffer.isBuffer(v)) return v.toString('latin1');
  if (typeof v === 'string') return `+${v}`;
  if (typeof v === 'bigint') return `(${v}`;
  if (v instanceof VerbatimString) return { verbatim: [v.format, String(v)] };
  if (v instanceof Map) return { map: [...v].map(([k, x]) => [show(k), show(x)]) };
  if (v instanceof Set) return { set: [...v].map(show).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) };
  if (v instanceof MultiErrorReply) return { multiError: [v.message, v.errorIndexes, v.replies.map(show)] };
  if (v instanceof Error) return { error: [v.constructor.name, v.message] };
  if (Array.isArray(v)) return v.map(show);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, show(x)]));
  return String(v);
}

/** Like `show` for node-redis's transformed replies, where a JS string is the value itself. */
function plain(v: unknown): unknown {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return show(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Map) && !(v instanceof Set) && !Buffer.isBuffer(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return show(v);
}

/**
 * A client's CLIENT INFO fields that do not depend on ids, addresses, times or buffer sizes, and
 * the names of all of them but lib-name and lib-ver: node-redis sends CLIENT SETINFO on connect,
 * which Redust accepts as Redis 7.2 does and Redis 7.0 refuses (docs/compatibility.md).
 */
const INFO_FIELDS = ['name', 'flags', 'db', 'sub', 'psub', 'ssub', 'multi', 'cmd', 'user', 'redir', 'resp'];
function clientInfo(line: string): unknown {
  const fields = new Map(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
  const names = [...fields.keys()].filter((k) => k !== 'lib-name' && k !== 'lib-ver');
  return { names, ...Object.fromEntries(INFO_FIELDS.map((f) => [f, fields.get(f) ?? '(absent)'])) };
}

/**
 * FUNCTION LIST with each library's functions sorted by name: Redis keeps them in a dict whose
 * hash seed is random per process, so their order changes from one redis-server to the next.
 * Takes the typed reply (Maps) or node-redis's (objects).
 */
function sortedFunctions(libs: unknown): unknown {
  const name = (f: unknown) => String(f instanceof Map ? f.get('name') : (f as { name: string }).name);
  const byName = (fns: unknown[]) => fns.slice().sort((a, b) => name(a).localeCompare(name(b)));
  return (libs as unknown[]).map((lib) => {
    if (lib instanceof Map) return new Map([...lib].map(([k, v]) => [k, String(k) === 'functions' ? byName(v as unknown[]) : v]));
    const o = lib as { functions: unknown[] };
    return { ...o, functions: byName(o.functions) };
  });
}

const LIBRARY = [
  '#!lua name=resp3lib',
  "redis.register_function{function_name='tbl', callback=function(keys, args) return {1, 'two', {3, false}} end, flags={'no-writes'}}",
  "redis.register_function('dbl', function(keys, args) redis.setresp(3) return {double=tonumber(args[1])} end)",
  "redis.register_function('map3', function(keys, args) redis.setresp(3) return redis.call('HGETALL', keys[1]) end)",
  "redis.register_function('map2', function(keys, args) return redis.call('HGETALL', keys[1]) end)",
  "redis.register_function('bool', function(keys, args) redis.setresp(3) return redis.call('EXISTS', keys[1]) == 1 end)",
  "redis.register_function('zscore3', function(keys, args) redis.setresp(3) return redis.call('ZSCORE', keys[1], args[1]) end)",
].join('\n');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Log = [string, unknown][];

async function program(port: number): Promise<Log> {
  const log: Log = [];
  const opts = { RESP: 3 as const, socket: { host: '127.0.0.1', port, reconnectStrategy: false as const } };
  const client = createClient(opts);
  const other = createClient(opts);
  const errors: string[] = [];
  for (const c of [client, other]) c.on('error', (e: Error) => errors.push(e.message));
  await client.connect();
  await other.connect();
  const typed = client.withTypeMapping(TYPED);
  /** Record the outcome of `p` (its value through `fmt`, or its error). */
  const step = async (name: string, p: unknown, fmt: (v: unknown) => unknown = plain) => {
    try {
      log.push([name, fmt(await (typeof p === 'function' ? (p as () => Promise<unknown>)() : p))]);
    } catch (e) {
      log.push([name, show(e)]);
    }
  };
  /** A raw command through the typed view. */
  const raw = (name: string, ...args: string[]) => step(name, typed.sendCommand(args), show);
  const closers: (() => unknown)[] = [() => client.destroy(), () => other.destroy()];
  try {
    await client.flushAll();
    await client.sendCommand(['FUNCTION', 'FLUSH']);
    await client.sendCommand(['SCRIPT', 'FLUSH']);

    // HELLO: a map in RESP3; the client's id and the server version are not the program's.
    await step('HELLO 3', typed.sendCommand(['HELLO', '3']), (v) => {
      const m = v as Map<Buffer | string, unknown>;
      return show(new Map([...m].filter(([k]) => !['id', 'version'].includes(String(k)))));
    });
    await step('HELLO 3 version is 7.0', typed.sendCommand(['HELLO', '3']), (v) => String((v as Map<string, Buffer>).get('version')).startsWith('7.0.'));
    await step('CLIENT INFO is a verbatim string', typed.sendCommand(['CLIENT', 'INFO']), (v) => {
      const vs = v as VerbatimString;
      return [vs instanceof VerbatimString, vs.format, clientInfo(String(vs))];
    });
    await step('clientInfo()', client.clientInfo(), (v) => {
      const o = v as Record<string, unknown>;
      return ['name', 'flags', 'db', 'sub', 'psub', 'multi', 'cmd', 'user', 'resp'].map((f) => [f, o[f] ?? null]);
    });

    await step('hello()', client.hello(), (v) => plain(Object.fromEntries(Object.entries(v as object).filter(([k]) => k !== 'id' && k !== 'version'))));
    const clientId = String(await client.clientId());
    await step('CLIENT LIST ID is a verbatim string', typed.sendCommand(['CLIENT', 'LIST', 'ID', clientId]), (v) => [v instanceof VerbatimString, (v as VerbatimString).format, clientInfo(String(v))]);

    // HELLO 3 with SETNAME and AUTH (node-redis's handshake for `name`, `username` and `password`)
    await client.sendCommand(['ACL', 'SETUSER', 'limited', 'on', '>secret', '~k*', '+get', '+set', '+ping', '+client|info']);
    const limited = createClient({ ...opts, name: 'limited-client', username: 'limited', password: 'secret' });
    limited.on('error', (e: Error) => errors.push(e.message));
    await limited.connect();
    closers.push(() => limited.destroy());
    await step('named client CLIENT INFO', limited.sendCommand(['CLIENT', 'INFO']), (v) => clientInfo(String(v)));
    await step('limited set', limited.set('k1', 'v'));
    await step('limited get', limited.get('k1'));
    await step('limited get of a key it may not read', limited.get('other'));
    await step('limited command it may not run', limited.hGetAll('k1'));
    await step('ACL LOG of the denials', typed.sendCommand(['ACL', 'LOG']), (v) =>
      (v as Map<string, unknown>[])
        .filter((m) => String(m.get('object')) !== 'client|setinfo')
        .map((m) => show(new Map([...m].filter(([k]) => ['count', 'reason', 'context', 'object', 'username'].includes(String(k)))))),
    );
    await step('HELLO 3 AUTH wrong password', typed.sendCommand(['HELLO', '3', 'AUTH', 'limited', 'nope']), show);
    await step('HELLO 3 AUTH unknown user', typed.sendCommand(['HELLO', '3', 'AUTH', 'nobody', 'x']), show);
    await client.sendCommand(['ACL', 'LOG', 'RESET']);

    // strings, null, numbers, INCRBYFLOAT (a bulk string even in RESP3)
    await step('set', client.set('str', 'v1'));
    await raw('SET typed', 'SET', 'str2', 'v2');
    await step('get', client.get('str'));
    await step('get missing', client.get('missing'));
    await raw('GET missing typed', 'GET', 'missing');
    await raw('MGET typed', 'MGET', 'str', 'missing', 'str2');
    await step('incrBy', client.incrBy('n', 5));
    await raw('INCR typed', 'INCR', 'n');
    await step('incrByFloat', client.incrByFloat('f', 1.5));
    await raw('INCRBYFLOAT typed', 'INCRBYFLOAT', 'f', '0.1');
    await raw('INCRBYFLOAT exponent typed', 'INCRBYFLOAT', 'f', '5.0e3');
    await raw('OBJECT ENCODING', 'OBJECT', 'ENCODING', 'n');
    await raw('TYPE is a simple string', 'TYPE', 'str');
    await raw('EXISTS', 'EXISTS', 'str', 'missing', 'str');

    // hashes: maps
    await step('hSet', client.hSet('h', { a: '1', b: '2', c: '3' }));
    await step('hGetAll', client.hGetAll('h'));
    await raw('HGETALL typed', 'HGETALL', 'h');
    await raw('HGETALL missing typed', 'HGETALL', 'nohash');
    await step('hGetAll missing', client.hGetAll('nohash'));
    await raw('HINCRBYFLOAT typed', 'HINCRBYFLOAT', 'h', 'a', '0.5');
    await step('hIncrByFloat', client.hIncrByFloat('h', 'b', 2.25));
    await raw('HMGET typed', 'HMGET', 'h', 'a', 'zz', 'c');
    await raw('HSCAN typed', 'HSCAN', 'h', '0');
    await raw('HRANDFIELD count 0', 'HRANDFIELD', 'h', '0', 'WITHVALUES');
    await raw('HRANDFIELD on missing', 'HRANDFIELD', 'nohash');

    // CONFIG GET: a map (several parameters come in the server's dict order: sorted here)
    await raw('CONFIG GET one', 'CONFIG', 'GET', 'maxmemory-policy');
    await step('configGet', client.configGet('maxmemory-policy'));
    await step('CONFIG GET several', typed.sendCommand(['CONFIG', 'GET', 'hz', 'maxmemory-policy', 'list-max-*']), (v) =>
      show(new Map([...(v as Map<string, Buffer>)].sort(([a], [b]) => String(a).localeCompare(String(b))))),
    );

    // sets: RESP3 sets
    await step('sAdd', client.sAdd('s', ['b', 'a', 'c']));
    await step('sMembers', client.sMembers('s'), (v) => (v as string[]).slice().sort());
    await raw('SMEMBERS typed', 'SMEMBERS', 's');
    await raw('SMEMBERS missing typed', 'SMEMBERS', 'nosuch');
    await step('sAdd ints', client.sAdd('si', ['3', '1', '2']));
    await raw('SMEMBERS intset', 'SMEMBERS', 'si');
    await raw('SINTER', 'SINTER', 's', 'si');
    await raw('SUNION', 'SUNION', 's', 'si');
    await raw('SDIFF', 'SDIFF', 's', 'nosuch');
    await raw('SMISMEMBER', 'SMISMEMBER', 's', 'a', 'z');
    await raw('SISMEMBER', 'SISMEMBER', 's', 'a');
    await raw('SPOP count on missing', 'SPOP', 'nosuch', '2');
    await raw('SRANDMEMBER count 0', 'SRANDMEMBER', 's', '0');

    // sorted sets: doubles
    await step('zAdd', client.zAdd('z', [{ score: 1.5, value: 'a' }, { score: 2, value: 'b' }, { score: -0.25, value: 'c' }, { score: 1e-7, value: 'd' }]));
    await step('zAdd inf', client.zAdd('z', { score: Infinity, value: 'inf' }));
    await step('zScore', client.zScore('z', 'a'));
    await step('zScore inf', client.zScore('z', 'inf'));
    await step('zScore missing', client.zScore('z', 'nope'));
    await raw('ZSCORE typed', 'ZSCORE', 'z', 'a');
    await raw('ZSCORE tiny typed', 'ZSCORE', 'z', 'd');
    await raw('ZSCORE integral typed', 'ZSCORE', 'z', 'b');
    await raw('ZSCORE inf typed', 'ZSCORE', 'z', 'inf');
    await raw('ZSCORE missing typed', 'ZSCORE', 'z', 'nope');
    await raw('ZMSCORE typed', 'ZMSCORE', 'z', 'a', 'nope', 'c');
    await step('zRangeWithScores', client.zRangeWithScores('z', 0, -1));
    await raw('ZRANGE WITHSCORES typed', 'ZRANGE', 'z', '0', '-1', 'WITHSCORES');
    await raw('ZRANGEBYSCORE WITHSCORES typed', 'ZRANGEBYSCORE', 'z', '-inf', '2', 'WITHSCORES', 'LIMIT', '0', '2');
    await raw('ZREVRANGE WITHSCORES typed', 'ZREVRANGE', 'z', '0', '1', 'WITHSCORES');
    await raw('ZRANGE without scores', 'ZRANGE', 'z', '0', '-1');
    await raw('ZINCRBY typed', 'ZINCRBY', 'z', '0.1', 'a');
    await step('zIncrBy', client.zIncrBy('z', 2, 'b'));
    await raw('ZADD INCR typed', 'ZADD', 'z', 'INCR', '1', 'c');
    await raw('ZADD INCR NX on existing (null)', 'ZADD', 'z', 'NX', 'INCR', '1', 'c');
    await raw('ZPOPMIN no count', 'ZPOPMIN', 'z');
    await raw('ZPOPMIN count', 'ZPOPMIN', 'z', '2');
    await raw('ZPOPMAX missing', 'ZPOPMAX', 'nozset');
    await raw('ZUNION WITHSCORES', 'ZUNION', '2', 'z', 'nozset', 'WITHSCORES');
    await raw('ZINTER WITHSCORES', 'ZINTER', '1', 'z', 'WITHSCORES');
    await raw('ZSCAN', 'ZSCAN', 'z', '0');
    await raw('ZRANDMEMBER count 0', 'ZRANDMEMBER', 'z', '0', 'WITHSCORES');
    await raw('BZPOPMIN', 'BZPOPMIN', 'z', '1');
    await raw('BZPOPMIN timeout (null)', 'BZPOPMIN', 'nozset', '0.01');
    await raw('ZMPOP', 'ZMPOP', '1', 'z', 'MIN', 'COUNT', '5');
    await raw('ZMPOP empty (null)', 'ZMPOP', '1', 'z', 'MIN');
    await raw('GEOADD', 'GEOADD', 'geo', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania');
    await raw('GEODIST (bulk)', 'GEODIST', 'geo', 'Palermo', 'Catania', 'km');
    await raw('GEOPOS', 'GEOPOS', 'geo', 'Palermo', 'nowhere');
    await raw('GEOSEARCH WITHDIST', 'GEOSEARCH', 'geo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC', 'WITHDIST', 'WITHCOORD');

    // lists and null arrays
    await raw('RPUSH', 'RPUSH', 'l', 'x', 'y', 'z');
    await raw('BLPOP', 'BLPOP', 'l', '1');
    await raw('BLPOP timeout (null)', 'BLPOP', 'nolist', '0.01');
    await raw('LMPOP', 'LMPOP', '2', 'nolist', 'l', 'LEFT', 'COUNT', '5');
    await raw('LPOS', 'LPOS', 'l', 'q');
    await raw('LPOP count on missing', 'LPOP', 'nolist', '2');

    // DEBUG PROTOCOL: one reply of each type
    for (const type of ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'attrib', 'push', 'verbatim', 'true', 'false']) {
      await raw(`DEBUG PROTOCOL ${type}`, 'DEBUG', 'PROTOCOL', type);
    }

    // single-member collections make the random commands deterministic
    await client.zAdd('z1', { score: 0.5, value: 'only' });
    await client.hSet('h1f', 'f', 'v');
    await client.sAdd('s1m', 'only');
    await raw('ZRANDMEMBER WITHSCORES of one', 'ZRANDMEMBER', 'z1', '1', 'WITHSCORES');
    await raw('ZRANDMEMBER negative count WITHSCORES', 'ZRANDMEMBER', 'z1', '-2', 'WITHSCORES');
    await raw('ZRANDMEMBER no count', 'ZRANDMEMBER', 'z1');
    await raw('HRANDFIELD WITHVALUES of one', 'HRANDFIELD', 'h1f', '1', 'WITHVALUES');
    await raw('HRANDFIELD negative count WITHVALUES', 'HRANDFIELD', 'h1f', '-2', 'WITHVALUES');
    await raw('SRANDMEMBER count of one', 'SRANDMEMBER', 's1m', '3');
    await raw('SPOP count', 'SPOP', 's1m', '3');
    await raw('ZRANGESTORE', 'ZRANGESTORE', 'zdst', 'z1', '0', '-1');
    await raw('ZRANK', 'ZRANK', 'z1', 'only');
    await raw('ZCARD', 'ZCARD', 'z1');
    await raw('LPOS COUNT', 'LPOS', 'nolist', 'x', 'COUNT', '0');
    await raw('COMMAND INFO get (flags and categories as sets)', 'COMMAND', 'INFO', 'get', 'nosuchcommand');
    await raw('COMMAND DOCS get (maps)', 'COMMAND', 'DOCS', 'get');
    await raw('COMMAND GETKEYSANDFLAGS', 'COMMAND', 'GETKEYSANDFLAGS', 'set', 'k', 'v');
    await raw('ACL GETUSER default', 'ACL', 'GETUSER', 'default');
    // (in the order of Redis's command dict, whose hash seed is random per process: sorted)
    await step('ACL CAT (strings)', typed.sendCommand(['ACL', 'CAT', 'pubsub']), (v) => show((v as Buffer[]).slice().sort(Buffer.compare)));
    await raw('MODULE LIST', 'MODULE', 'LIST');
    await raw('PUBSUB SHARDNUMSUB', 'PUBSUB', 'SHARDNUMSUB', 'sch');
    await raw('OBJECT FREQ error', 'OBJECT', 'FREQ', 'z1');
    await raw('LATENCY LATEST', 'LATENCY', 'LATEST');
    await step('INFO is a verbatim string', typed.sendCommand(['INFO', 'server']), (v) => [v instanceof VerbatimString, (v as VerbatimString).format, String(v).split('\r\n')[0]]);
    await step('MEMORY DOCTOR is a verbatim string', typed.sendCommand(['MEMORY', 'DOCTOR']), (v) => [v instanceof VerbatimString, (v as VerbatimString).format]);
    await step('LATENCY DOCTOR is a verbatim string', typed.sendCommand(['LATENCY', 'DOCTOR']), (v) => [v instanceof VerbatimString, (v as VerbatimString).format]);
    await step('MEMORY STATS keys', typed.sendCommand(['MEMORY', 'STATS']), (v) => [...(v as Map<string, unknown>)].map(([k, x]) => [k, x instanceof Map ? 'map' : typeof x]));
    await step('LATENCY HISTOGRAM set (calls; buckets are times)', typed.sendCommand(['LATENCY', 'HISTOGRAM', 'set', 'nosuch']), (v) =>
      [...(v as Map<string, Map<string, unknown>>)].map(([k, m]) => [k, [...m].map(([f, x]) => [f, f === 'calls' ? x : x instanceof Map ? 'map' : typeof x])]),
    );
    await raw('OBJECT HELP (status lines)', 'OBJECT', 'HELP');
    await raw('WAIT', 'WAIT', '0', '0');
    await raw('SINTERCARD', 'SINTERCARD', '2', 's', 'si', 'LIMIT', '0');
    await raw('PUBSUB SHARDCHANNELS', 'PUBSUB', 'SHARDCHANNELS');
    await step('scanIterator', async () => {
      const keys: string[] = [];
      for await (const batch of client.scanIterator({ MATCH: 'z*', COUNT: 100 })) keys.push(...batch);
      return keys.sort();
    });
    await step('hScanIterator', async () => {
      const out: unknown[] = [];
      for await (const batch of client.hScanIterator('h')) out.push(...batch);
      return out;
    });
    await step('zScanIterator', async () => {
      const out: unknown[] = [];
      for await (const batch of client.zScanIterator('z2')) out.push(...batch);
      return out;
    });
    await step('XINFO STREAM FULL (no times)', async () => {
      await client.sendCommand(['XADD', 'sf', '1-1', 'a', '1']);
      await client.sendCommand(['XGROUP', 'CREATE', 'sf', 'g', '0']);
      await client.sendCommand(['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'sf', '>']);
      return typed.sendCommand(['XINFO', 'STREAM', 'sf', 'FULL']);
    }, (v) => {
      // seen-time, active-time and delivery times are the server's clock
      const strip = (x: unknown): unknown =>
        x instanceof Map
          ? new Map([...x].filter(([k]) => !/time$/.test(String(k))).map(([k, y]) => [k, strip(y)]))
          : Array.isArray(x) && x.length === 4 && typeof x[2] === 'number' && typeof x[3] === 'number'
            ? [x[0], x[1], '(time)', x[3]] // a group's PEL entry: id, consumer, delivery time, count
            : Array.isArray(x) && x.length === 3 && Buffer.isBuffer(x[0]) && typeof x[1] === 'number' && typeof x[2] === 'number'
              ? [x[0], '(time)', x[2]] // a consumer's PEL entry: id, delivery time, count
              : Array.isArray(x)
              ? x.map(strip)
              : x;
      return show(strip(v));
    });

    // scripts: RESP3 conversions both ways
    const evals: [string, string, string[], string[]][] = [
      ['true (RESP2 protocol in the script)', 'return true', [], []],
      ['false (RESP2 protocol in the script)', 'return false', [], []],
      ['true', 'redis.setresp(3) return true', [], []],
      ['false', 'redis.setresp(3) return false', [], []],
      ['nil', 'redis.setresp(3) return nil', [], []],
      ['double', "redis.setresp(3) return {double=3.14}", [], []],
      ['double from the call', "redis.setresp(3) return redis.call('ZSCORE', KEYS[1], 'b')", ['z2'], []],
      ['double kept as a Lua table', "redis.setresp(3) local d = redis.call('ZSCORE', KEYS[1], 'b') return {type(d), d.double}", ['z2'], []],
      ['double in RESP2 in the script', "return redis.call('ZSCORE', KEYS[1], 'b')", ['z2'], []],
      ['big number', "redis.setresp(3) return {big_number='1234567890123456789012345678901234567890'}", [], []],
      ['map with one key', "redis.setresp(3) return {map={field='value'}}", [], []],
      ['set with one member', "redis.setresp(3) return {set={member=true}}", [], []],
      ['HGETALL as a map', "redis.setresp(3) return redis.call('HGETALL', KEYS[1])", ['h1'], []],
      ['HGETALL as a Lua table', "redis.setresp(3) local m = redis.call('HGETALL', KEYS[1]) return {type(m.map), m.map.only}", ['h1'], []],
      ['HGETALL in RESP2', "return redis.call('HGETALL', KEYS[1])", ['h1'], []],
      ['SMEMBERS as a set', "redis.setresp(3) return redis.call('SMEMBERS', KEYS[1])", ['s1'], []],
      ['GET missing is nil (null in RESP3)', "redis.setresp(3) local v = redis.call('GET', 'missing') return {v == nil, type(v)}", [], []],
      ['GET missing is false (RESP2)', "local v = redis.call('GET', 'missing') return {v == false, type(v)}", [], []],
      ['EXISTS as a boolean', "redis.setresp(3) return redis.call('EXISTS', KEYS[1]) == 1", ['h1'], []],
      ['table with a nil hole', "return {1, 2, nil, 4}", [], []],
      ['status reply', "return redis.status_reply('FINE')", [], []],
      ['error reply', "return redis.error_reply('MY error')", [], []],
      ['error raised', "return redis.call('LPUSH', KEYS[1], 'x')", ['str'], []],
      ['pcall error as a table', "local ok = redis.pcall('LPUSH', KEYS[1], 'x') return ok.err", ['str'], []],
      ['number truncation', 'return 3.99', [], []],
      ['args and keys', 'return {KEYS[1], ARGV[1], #ARGV}', ['k'], ['a', 'b']],
      // (-0.0 alone: in Lua 5.1 it would share its constant with the 0 of 1/0, docs/compatibility.md)
      ['doubles formatted', 'redis.setresp(3) return {{double=1e300}, {double=1/0}, {double=-1/0}, {double=0.1}, {double=123456789012345678}, {double=5e-324}, {double=100}}', [], []],
      ['negative zero double', 'redis.setresp(3) return {double=-0.0}', [], []],
      ['NaN double', 'redis.setresp(3) return {double=0/0}', [], []],
      ['HGETALL of three as a map', "redis.setresp(3) return redis.call('HGETALL', KEYS[1])", ['h'], []],
      ['map with nested values', "redis.setresp(3) return {map={k={1, {double=0.5}, {map={x=true}}}}}", [], []],
      ['set of numbers', "redis.setresp(3) return {set={[1]=true}}", [], []],
      ['INFO as a verbatim string table', "redis.setresp(3) local v = redis.call('INFO', 'server') return {type(v), type(v.verbatim_string), v.verbatim_string.format, string.sub(v.verbatim_string.string, 1, 8)}", [], []],
      ['big number from a script table back', "redis.setresp(3) local t = {big_number='-123'} return {t, type(t.big_number)}", [], []],
      ['status and error tables', "redis.setresp(3) return {redis.status_reply('S'), {ok='fine'}}", [], []],
      ['setresp out of range', 'redis.setresp(4)', [], []],
    ];
    await client.zAdd('z2', { score: 2.5, value: 'b' });
    await client.hSet('h1', 'only', 'one');
    await client.sAdd('s1', ['m1', 'm2']);
    for (const [name, body, keys, args] of evals) {
      await raw(`EVAL ${name}`, 'EVAL', body, String(keys.length), ...keys, ...args);
      await step(`eval() ${name}`, client.eval(body, { keys, arguments: args }));
    }
    const sha = String(await client.scriptLoad('redis.setresp(3) return {double=tonumber(ARGV[1])}'));
    await step('evalSha double', client.evalSha(sha, { arguments: ['2.5'] }));
    await raw('EVALSHA double typed', 'EVALSHA', sha, '0', '-0.5');
    await step('scriptExists', client.scriptExists([sha, '0'.repeat(40)]));
    await raw('SCRIPT EXISTS typed', 'SCRIPT', 'EXISTS', sha, 'f'.repeat(40));
    await raw('EVALSHA unknown', 'EVALSHA', 'f'.repeat(40), '0');
    await raw('EVAL_RO write', 'EVAL_RO', "return redis.call('SET', KEYS[1], 'x')", '1', 'k');

    // functions
    await step('functionLoad', client.functionLoad(LIBRARY));
    await step('FUNCTION LIST typed', typed.sendCommand(['FUNCTION', 'LIST', 'LIBRARYNAME', 'resp3lib', 'WITHCODE']), (v) => show(sortedFunctions(v)));
    await step('functionList', client.functionList({ LIBRARYNAME: 'resp3lib' }), (v) => plain(sortedFunctions(v)));
    await raw('FCALL tbl', 'FCALL', 'tbl', '0');
    await raw('FCALL_RO tbl', 'FCALL_RO', 'tbl', '0');
    await raw('FCALL dbl', 'FCALL', 'dbl', '0', '1.25');
    await step('fCall dbl', client.fCall('dbl', { arguments: ['-3.5e10'] }));
    await raw('FCALL map3', 'FCALL', 'map3', '1', 'h1');
    await step('fCall map3', client.fCall('map3', { keys: ['h1'] }));
    await raw('FCALL map2', 'FCALL', 'map2', '1', 'h1');
    await raw('FCALL bool true', 'FCALL', 'bool', '1', 'h1');
    await raw('FCALL bool false', 'FCALL', 'bool', '1', 'nokey');
    await raw('FCALL zscore3', 'FCALL', 'zscore3', '1', 'z2', 'b');
    await raw('FCALL zscore3 missing', 'FCALL', 'zscore3', '1', 'z2', 'none');
    await raw('FCALL unknown', 'FCALL', 'nosuchfn', '0');
    await raw('FUNCTION STATS', 'FUNCTION', 'STATS');
    await step('FUNCTION DUMP then RESTORE', async () => {
      const dump = (await typed.sendCommand(['FUNCTION', 'DUMP'])) as Buffer;
      const restored = await typed.sendCommand([Buffer.from('FUNCTION'), Buffer.from('RESTORE'), dump, Buffer.from('REPLACE')]);
      return [dump.toString('hex'), restored];
    }, show);

    // MULTI/EXEC and pipelines: each reply in its RESP3 type, transformed per command
    await step('multi exec', client.multi().set('m', '1').get('m').hGetAll('h1').zScore('z2', 'b').sMembers('s1').incrByFloat('m', 0.5).exists('m').exec(), (v) =>
      plain((v as unknown[]).map((x, i) => (i === 4 ? (x as string[]).slice().sort() : x))),
    );
    await step('multi exec typed', typed.multi().addCommand(['HGETALL', 'h1']).addCommand(['ZSCORE', 'z2', 'b']).addCommand(['SMEMBERS', 's1']).addCommand(['GET', 'missing']).exec(), show);
    await step('multi with a runtime error', client.multi().set('m2', 'x').lPush('str', 'x').get('m2').exec());
    await step('multi with a queueing error', client.multi().set('m3', 'x').addCommand(['NOSUCHCOMMAND']).exec());
    await step('multi with an arity error', client.multi().set('m3', 'x').addCommand(['GET']).exec());
    await step('watch then a write from another client', async () => {
      await client.watch('w');
      await other.set('w', 'changed');
      return client.multi().set('w', 'mine').exec();
    });
    await step('watched key after the aborted exec', client.get('w'));
    await step('watch with no write', async () => {
      await client.watch('w');
      return client.multi().set('w', 'mine').get('w').exec();
    });
    await step('execAsPipeline', client.multi().set('p', '1').incr('p').get('p').hGetAll('h1').execAsPipeline());
    await step('execAsPipeline typed', typed.multi().addCommand(['ZSCORE', 'z2', 'b']).addCommand(['SMEMBERS', 's1']).addCommand(['HGETALL', 'h1']).execAsPipeline(), show);
    await step('pipelined in one tick', Promise.all([client.set('pp', 'a'), client.append('pp', 'b'), client.get('pp'), typed.sendCommand(['HGETALL', 'h1']), client.zScore('z2', 'b')]), show);
    await step('pipeline with an error in the middle', Promise.allSettled([client.incr('pp'), client.get('pp'), client.sendCommand(['GET'])]), (v) =>
      (v as PromiseSettledResult<unknown>[]).map((r) => (r.status === 'fulfilled' ? ['ok', show(r.value)] : ['error', show(r.reason)])),
    );

    // streams (explicit ids: no times in the ids)
    await raw('XADD', 'XADD', 'st', '1-1', 'f', 'v1');
    await raw('XADD 2', 'XADD', 'st', '2-1', 'f', 'v2', 'g', 'w2');
    await step('xAdd', client.xAdd('st', '3-0', { f: 'v3' }));
    await raw('XRANGE', 'XRANGE', 'st', '-', '+');
    await step('xRange', client.xRange('st', '-', '+', { COUNT: 2 }));
    await raw('XREAD typed (a map in RESP3)', 'XREAD', 'COUNT', '2', 'STREAMS', 'st', 'nostream', '0', '0');
    await step('xRead', client.xRead([{ key: 'st', id: '1-1' }]));
    await raw('XREAD nothing (null)', 'XREAD', 'STREAMS', 'st', '3-0');
    await raw('XREAD BLOCK timeout (null)', 'XREAD', 'BLOCK', '10', 'STREAMS', 'st', '$');
    await raw('XGROUP CREATE', 'XGROUP', 'CREATE', 'st', 'g1', '0');
    await raw('XREADGROUP typed', 'XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '2', 'STREAMS', 'st', '>');
    await step('xReadGroup', client.xReadGroup('g1', 'c2', { key: 'st', id: '>' }));
    await raw('XREADGROUP history', 'XREADGROUP', 'GROUP', 'g1', 'c1', 'STREAMS', 'st', '0');
    await raw('XREADGROUP nothing new (null)', 'XREADGROUP', 'GROUP', 'g1', 'c1', 'STREAMS', 'st', '>');
    await raw('XPENDING summary', 'XPENDING', 'st', 'g1');
    await raw('XACK', 'XACK', 'st', 'g1', '1-1');
    await raw('XAUTOCLAIM', 'XAUTOCLAIM', 'st', 'g1', 'c3', '0', '0', 'COUNT', '1', 'JUSTID');
    await raw('XDEL', 'XDEL', 'st', '2-1');
    await step('XINFO STREAM typed (a map)', typed.sendCommand(['XINFO', 'STREAM', 'st']), show);
    await step('xInfoStream', client.xInfoStream('st'));
    await raw('XINFO GROUPS typed', 'XINFO', 'GROUPS', 'st');
    await step('xInfoGroups', client.xInfoGroups('st'));
    await step('XINFO CONSUMERS (no idle times)', typed.sendCommand(['XINFO', 'CONSUMERS', 'st', 'g1']), (v) =>
      (v as Map<string, unknown>[]).map((m) => show(new Map([...m].filter(([k]) => !['idle', 'inactive', 'seen-time'].includes(String(k)))))),
    );
    await raw('XINFO on a missing key', 'XINFO', 'STREAM', 'nostream');

    // errors
    await step('WRONGTYPE', client.lPush('str', 'x'));
    await raw('WRONGTYPE typed', 'HGETALL', 'str');
    await raw('unknown command', 'NOSUCHCOMMAND', 'a', 'b');
    await raw('unknown subcommand', 'CONFIG', 'NOPE');
    await raw('arity', 'GET');
    await raw('arity of a subcommand', 'XINFO', 'STREAM');
    await raw('syntax', 'SET', 'k', 'v', 'XX', 'NX');
    await raw('not an integer', 'INCR', 'str');
    await raw('not a float', 'ZADD', 'z', 'abc', 'm');
    await raw('HELLO 4', 'HELLO', '4');
    await raw('DEBUG PROTOCOL unknown type', 'DEBUG', 'PROTOCOL', 'nosuch');

    // pub/sub on the command connection: RESP3 pushes, in arrival order relative to replies
    const events: unknown[] = [];
    await client.subscribe('ch', (message, channel) => events.push(['message', channel, message]));
    events.push('subscribed ch');
    await client.pSubscribe('p*', (message, channel) => events.push(['pmessage p*', channel, message]));
    events.push('psubscribed p*');
    events.push(['publish from the subscriber itself', await client.publish('ch', 'hello')]);
    // Another client's PUBLISH: its reply and the subscriber's push travel on two sockets, in no
    // promised order; the subscriber's PING reply comes after the push on the same socket.
    const sent = await other.publish('ch', 'world');
    await client.ping();
    events.push(['publish from another client', sent]);
    const sentToPattern = await other.publish('pq', 'pattern message');
    await client.ping();
    events.push(['publish to the pattern', sentToPattern]);
    events.push(['a command while subscribed', await client.get('str'), await client.ping()]);
    // a push while the subscriber is blocked: the message comes before BLPOP's reply
    const blocked = client.blPop('ql', 2).then((r) => events.push(['blPop', r]));
    await sleep(30);
    events.push(['publish while blocked']);
    await other.publish('ch', 'during BLPOP');
    await other.rPush('ql', 'item');
    await blocked;
    await step('CLIENT INFO while subscribed', client.sendCommand(['CLIENT', 'INFO']), (v) => clientInfo(String(v)));
    await raw('PUBSUB NUMSUB', 'PUBSUB', 'NUMSUB', 'ch', 'other');
    await raw('PUBSUB NUMPAT', 'PUBSUB', 'NUMPAT');
    await raw('PING while subscribed (RESP3: a plain PONG)', 'PING');
    await raw('PING with a message while subscribed', 'PING', 'msg');
    await client.sSubscribe('sch', (message, channel) => events.push(['smessage', channel, message]));
    const sentSharded = await other.sPublish('sch', 'sharded');
    await client.ping();
    events.push(['spublish', sentSharded]);
    await client.unsubscribe('ch');
    events.push(['publish after unsubscribe', await other.publish('ch', 'lost')]);
    await client.pUnsubscribe();
    await client.sUnsubscribe();
    events.push(['publish after punsubscribe', await other.publish('pq', 'lost')]);
    await client.ping();
    log.push(['pub/sub events', plain(events)]);
    await step('CLIENT INFO after unsubscribing', client.sendCommand(['CLIENT', 'INFO']), (v) => clientInfo(String(v)));
    await raw('PUBSUB CHANNELS after unsubscribing', 'PUBSUB', 'CHANNELS');

    // keyspace notifications on the same connection
    await client.configSet('notify-keyspace-events', 'KEA');
    const notes: unknown[] = [];
    await client.pSubscribe(['__keyspace@0__:ks*', '__keyevent@0__:*'], (message, channel) => notes.push([channel, message]));
    const note = (s: string, v: unknown) => notes.push(['reply', s, show(v)]);
    note('set', await client.set('ksA', '1'));
    note('incrbyfloat', await client.incrByFloat('ksA', 1.5));
    note('expire', await client.expire('ksA', 100));
    note('hset', await client.hSet('ksH', 'f', 'v'));
    const pushed = await other.lPush('ksL', ['a', 'b']);
    await client.ping(); // (the pushes to `client` came before this reply)
    note('lpush from another client', pushed);
    // (no MULTI here: Redis 7.0 writes the pushes a transaction raises for its own client inside
    // the EXEC array, which node-redis cannot decode; Redust writes the same bytes)
    note('rpop', await client.rPop('ksL'));
    note('del', await client.del('ksA'));
    note('del missing (no event)', await client.del('ksNone'));
    note('rename', await client.rename('ksH', 'ksH2'));
    note('pexpire in the past', await client.pExpire('ksL', 0));
    note('psetex', await client.pSetEx('ksE', 1, 'v'));
    await sleep(20);
    note('get of an expired key', await client.get('ksE'));
    await client.ping();
    await client.pUnsubscribe();
    await client.configSet('notify-keyspace-events', '');
    log.push(['keyspace notifications', notes]);

    // client-side caching (CLIENT TRACKING, invalidation pushes on the same connection)
    const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0, recordStats: true });
    const csc = createClient({ ...opts, clientSideCache: cache });
    csc.on('error', (e: Error) => errors.push(e.message));
    await csc.connect();
    closers.push(() => csc.destroy());
    const stats = () => {
      const s = cache.stats();
      return { hits: s.hitCount, misses: s.missCount, loads: s.loadSuccessCount, failures: s.loadFailureCount, evictions: s.evictionCount, size: cache.size() };
    };
    await other.set('c1', 'v1');
    await other.hSet('ch1', { a: '1', b: '2' });
    await step('csc TRACKINGINFO', csc.withTypeMapping(TYPED).sendCommand(['CLIENT', 'TRACKINGINFO']), show);
    await step('csc CLIENT INFO', csc.sendCommand(['CLIENT', 'INFO']), (v) => clientInfo(String(v)));
    await step('csc get (miss)', csc.get('c1'));
    await step('csc get (hit)', csc.get('c1'));
    await step('csc hGetAll (miss)', csc.hGetAll('ch1'));
    await step('csc hGetAll (hit)', csc.hGetAll('ch1'));
    await step('csc stats after the first reads', stats());
    await other.set('c1', 'v2');
    await csc.ping(); // the invalidation push was sent before this reply
    await step('csc stats after the write', stats());
    await step('csc get after another client wrote', csc.get('c1'));
    await step('csc get (hit again)', csc.get('c1'));
    await other.hSet('ch1', 'c', '3');
    await csc.ping();
    await step('csc hGetAll after HSET', csc.hGetAll('ch1'));
    await step('csc own write invalidates too', csc.set('c1', 'v3'));
    await step('csc get after its own write', csc.get('c1'));
    await other.expire('c1', 100);
    await csc.ping();
    await step('csc get after EXPIRE (metadata only)', csc.get('c1'));
    await other.flushAll();
    await csc.ping();
    await step('csc stats after FLUSHALL (invalidate all)', stats());
    await step('csc get after FLUSHALL', csc.get('c1'));
    await step('csc stats at the end', stats());

    // the cache over several read commands, each key then changed by a different write (one from
    // another database: tracking remembers key names, not databases)
    await other.sendCommand(['SELECT', '0']);
    await other.mSet({ r1: 'abc', r2: '12' });
    await other.hSet('rh', { a: '1', b: '2' });
    await other.sAdd('rs', ['x', 'y']);
    await other.zAdd('rz', [{ score: 1, value: 'm' }, { score: 2.5, value: 'n' }]);
    await other.rPush('rl', ['1', '2', '3']);
    const reads = () =>
      Promise.all([
        csc.get('r1'), csc.strLen('r2'), csc.getRange('r1', 0, 1), csc.hGet('rh', 'a'), csc.hmGet('rh', ['a', 'b']), csc.hLen('rh'),
        csc.sMembers('rs').then((m) => m.slice().sort()), csc.sIsMember('rs', 'x'), csc.zScore('rz', 'n'), csc.zRange('rz', 0, -1), csc.zCard('rz'),
        csc.lRange('rl', 0, -1), csc.lIndex('rl', 1), csc.mGet(['r1', 'r2']), csc.exists('r1'), csc.type('rh'),
      ]);
    await step('csc several reads (misses)', reads());
    await step('csc several reads (hits)', reads());
    await step('csc stats after several reads', stats());
    const other1 = createClient({ ...opts, database: 1 });
    other1.on('error', (e: Error) => errors.push(e.message));
    await other1.connect();
    closers.push(() => other1.destroy());
    await other.append('r1', 'd');
    await other.hDel('rh', 'b');
    await other.sRem('rs', 'y');
    await other.zAdd('rz', { score: 3, value: 'o' });
    await other.lPush('rl', '0');
    await other1.set('r2', 'written in db 1');
    await other.sendCommand(['EVAL', "return redis.call('RENAME', KEYS[1], KEYS[2])", '2', 'rh', 'rh2']);
    await csc.ping();
    await step('csc stats after the writes', stats());
    await step('csc several reads after the writes', reads());
    await step('csc stats at the end of the reads', stats());
    await other1.flushDb(); // FLUSHDB of db 1: a null invalidation, the whole cache
    await csc.ping();
    await step('csc stats after FLUSHDB of another database', stats());

    // emitInvalidate: CLIENT TRACKING ON, the invalidation pushes as 'invalidate' events
    const inval = createClient({ ...opts, emitInvalidate: true });
    inval.on('error', (e: Error) => errors.push(e.message));
    const invalidated: unknown[] = [];
    inval.on('invalidate', (key: unknown) => invalidated.push(key === null ? null : String(key)));
    await inval.connect();
    closers.push(() => inval.destroy());
    await other.mSet({ i1: 'a', i2: 'b' });
    invalidated.push(['read', await inval.mGet(['i1', 'i2', 'i3'])]);
    await other.set('i2', 'changed');
    await other.del('i1');
    await other.set('i1', 'again'); // not read since: no invalidation
    await inval.ping();
    invalidated.push(['read', await inval.get('i1')]);
    const own = await inval.set('i1', 'own');
    await inval.ping();
    invalidated.push(['own write', own]);
    await other.flushDb();
    await inval.ping();
    log.push(['emitInvalidate events', plain(invalidated)]);

    // OPTIN tracking: CLIENT CACHING yes before each read that is to be cached
    const optinCache = new BasicClientSideCache({ trackingMode: 'optin', recordStats: true });
    const optin = createClient({ ...opts, clientSideCache: optinCache });
    optin.on('error', (e: Error) => errors.push(e.message));
    await optin.connect();
    closers.push(() => optin.destroy());
    await other.set('o1', 'a');
    await other.set('o2', 'b');
    await step('optin TRACKINGINFO', optin.withTypeMapping(TYPED).sendCommand(['CLIENT', 'TRACKINGINFO']), show);
    await step('optin cached get', optin.withCommandOptions({ cache: true }).get('o1'));
    await step('optin uncached get', optin.get('o2'));
    await step('optin cached get (hit)', optin.withCommandOptions({ cache: true }).get('o1'));
    await other.set('o1', 'a2');
    await other.set('o2', 'b2');
    await optin.ping();
    await step('optin cached get after the write', optin.withCommandOptions({ cache: true }).get('o1'));
    await step('optin uncached get after the write', optin.get('o2'));
    const os = optinCache.stats();
    await step('optin stats', { hits: os.hitCount, misses: os.missCount, loads: os.loadSuccessCount, size: optinCache.size() });

    // RESET (RESP2, no subscriptions, no tracking afterwards) and node-redis's handshake again
    const afterReset: unknown[] = [];
    await client.subscribe('rch', (m) => afterReset.push(['message', m]));
    await client.multi().set('rx', '1').get('rx').exec(); // (not in a transaction at RESET)
    await step('reset() of a subscribed client', client.reset());
    await step('CLIENT INFO after RESET', client.sendCommand(['CLIENT', 'INFO']), (v) => clientInfo(String(v)));
    await raw('PUBSUB NUMSUB after RESET', 'PUBSUB', 'NUMSUB', 'rch');
    await other.publish('rch', 'nobody listens');
    await client.ping();
    log.push(['messages after RESET', plain(afterReset)]);
    await step('reset() of the caching client', csc.reset());
    await step('csc TRACKINGINFO after reset', csc.withTypeMapping(TYPED).sendCommand(['CLIENT', 'TRACKINGINFO']), show);
    await other.set('c9', 'one');
    await step('csc get after reset', csc.get('c9'));
    await other.set('c9', 'two');
    await csc.ping();
    await step('csc get after reset and a write', csc.get('c9'));
    await step('csc stats after reset', stats());

    await sleep(10);
    log.push(['client errors', errors]);
  } finally {
    for (const close of closers) {
      try {
        await close();
      } catch {
        /* already closed */
      }
    }
  }
  return log;
}

const expected = referenceRunOnce(program);

for (const engine of enginesUnderTest()) {
  const t = suite(`node-redis v6 RESP3 [${engine}]`);
  if (!HAVE_REF) t.skip("node-redis RESP3 program equals Redis's (no redis-server)");
  else {
    t("node-redis RESP3 program equals Redis's, step by step", async () => {
      const want = await expected();
      if (process.env.SHOW_TRANSCRIPT) console.log(JSON.stringify(want, null, 1));
      const srv = await startRedust(engine);
      try {
        const got = await program(srv.port);
        const names = (l: Log) => l.map(([n]) => n);
        assert.equal(names(got), names(want));
        // Every differing step is listed before the first one fails the test.
        const differing = want.filter((w, i) => JSON.stringify(got[i]) !== JSON.stringify(w)).map(([n]) => n);
        if (differing.length > 0) console.log(`[${engine}] steps that differ from Redis: ${differing.join('; ')}`);
        if (process.env.SHOW_DIFF) {
          for (const n of differing) {
            const i = names(want).indexOf(n);
            console.log(`${n}\n  redis:  ${JSON.stringify(want[i][1])}\n  redust: ${JSON.stringify(got[i][1])}`);
          }
        }
        for (let i = 0; i < want.length; i++) assert.equal(got[i], want[i], `step ${want[i][0]}`);
        // (the program exercised what it is about: the cache hit, then saw the invalidation; a
        // push reached the subscriber; no client reported an error)
        const at = (n: string) => got.find(([name]) => name === n)?.[1];
        assert.equal(at('csc stats after the first reads'), { hits: 2, misses: 2, loads: 2, failures: 0, evictions: 0, size: 2 });
        assert.is(at('csc get after another client wrote'), 'v2');
        assert.ok((at('pub/sub events') as unknown[]).some((e) => JSON.stringify(e) === '["message","ch","world"]'));
        assert.equal(at('client errors'), []);
      } finally {
        await srv.close();
      }
    });
  }
  t.run();
}
