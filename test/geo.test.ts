/**
 * Geo commands: replies compared byte for byte with real Redis 7.0 (RESP2 and RESP3): GEOADD
 * options, GEOPOS/GEOHASH/GEODIST formatting, every GEOSEARCH/GEORADIUS option and error text,
 * STORE/STOREDIST, scores that are not geohashes, keyspace events, and random searches over
 * random points (listpack and skiplist encodings, poles, antimeridian, huge radii).
 * Registered only when redis-server is installed.
 */
import * as assert from 'uvu/assert';
import { differentialSuite } from './helpers/suite';
import { enginesUnderTest, haveRedisServer } from './helpers/servers';
import { Arg, R, eventLog } from './helpers/raw';
import { rng } from './helpers/rng';
import { test } from 'uvu';
import { WasmInstance } from '../src/engine/wasm/loader';
import { type GeoShape, distance, distanceIfInShape, decodeScore, scoreOf, ShapeFilter } from '../src/util/geohash';

const HAVE_REF = haveRedisServer();

const SICILY: Arg[] = ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania', '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'];

for (const engine of enginesUnderTest()) {
  if (!HAVE_REF) {
    console.log(`geo [${engine}]: SKIPPED (no redis-server for the differential tests)`);
    continue;
  }
  const t = differentialSuite('geo', engine);

  t('GEOADD options and errors; GEOPOS / GEOHASH / GEODIST', async ({ d }) => {
    await d!.bothProtocols([['LPUSH', 'l', 'x']], [
      SICILY,
      ['GEOADD', 'Sicily', '13.361389', '38.115556', 'Palermo'],
      ['GEOADD', 'Sicily', 'CH', '13.4', '38.1', 'Palermo', '1', '2', 'new'],
      ['GEOADD', 'Sicily', 'NX', '13.5', '38.1', 'Palermo', '3', '4', 'new2'],
      ['GEOADD', 'Sicily', 'XX', 'CH', '13.361389', '38.115556', 'Palermo', '3', '4', 'nothere'],
      ['GEOADD', 'Sicily', 'xx', 'nx', '1', '2', 'a'],
      ['GEOADD', 'Sicily', '1', '2'],
      ['GEOADD', 'Sicily', 'ch', 'nx', 'xx'],
      ['GEOADD', 'Sicily', 'NX', 'CH'],
      ['GEOADD', 'nokey', 'CH', 'CH', 'CH'],
      ['EXISTS', 'nokey'],
      ['GEOADD', 'Sicily', 'GT', '1', '2', 'a'],
      ['GEOADD', 'Sicily', 'x', '2', 'a'],
      ['GEOADD', 'Sicily', '1', 'nan', 'a'],
      ['GEOADD', 'Sicily', '180.1', '2', 'a'],
      ['GEOADD', 'Sicily', '1', '85.06', 'a'],
      ['GEOADD', 'Sicily', '-1e300', '2', 'a'],
      ['GEOADD', 'Sicily', '0.0078125', '-86', 'a'],
      ['GEOADD', 'Sicily', '-inf', '0', 'a'],
      ['GEOADD', 'Sicily', '1', '2', 'ok', '500', '2', 'bad'],
      ['GEOADD', 'l', '1', '2', 'a'],
      ['GEOADD', 'Sicily', '180', '85.05112878', 'corner1', '-180', '-85.05112878', 'corner2', '0', '0', 'zero', '-0.000001', '-0.000001', 'tiny'],
      ['ZRANGE', 'Sicily', 0, -1, 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'Sicily'],
      ['GEOPOS', 'Sicily', 'Palermo', 'Catania', 'nope', 'corner1', 'corner2', 'zero', 'tiny'],
      ['GEOPOS', 'nokey', 'a', 'b'],
      ['GEOPOS', 'Sicily'],
      ['GEOPOS', 'l', 'a'],
      ['GEOHASH', 'Sicily', 'Palermo', 'Catania', 'nope', 'corner1', 'corner2', 'zero', 'tiny'],
      ['GEOHASH', 'nokey', 'a'],
      ['GEOHASH', 'Sicily'],
      ['GEOHASH', 'l', 'a'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'KM'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'mi'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'ft'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'm'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'yards'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km', 'x'],
      ['GEODIST', 'Sicily', 'Palermo', 'Palermo'],
      ['GEODIST', 'Sicily', 'corner1', 'corner2'],
      ['GEODIST', 'Sicily', 'Palermo', 'nope'],
      ['GEODIST', 'nokey', 'a', 'b'],
      ['GEODIST', 'nokey', 'a', 'b', 'parsecs'],
      ['GEODIST', 'l', 'a', 'b'],
    ]);
  });

  t('scores that are not geohashes (ZADD): GEOPOS / GEOHASH / GEODIST / searches', async ({ d }) => {
    await d!.bothProtocols(
      [['ZADD', 'z', '-1', 'neg', '0', 'zero', '1.5', 'frac', '9007199254740993', 'big', '1e19', 'huge', '1e300', 'vast', 'inf', 'pinf', '-inf', 'ninf', '-1e19', 'nhuge', '4503599627370495', 'max52']],
      [
        ['GEOPOS', 'z', 'neg', 'zero', 'frac', 'big', 'huge', 'vast', 'pinf', 'ninf', 'nhuge', 'max52'],
        ['GEOHASH', 'z', 'neg', 'zero', 'frac', 'big', 'huge', 'vast', 'pinf', 'ninf', 'nhuge', 'max52'],
        ['GEODIST', 'z', 'neg', 'max52'],
        ['GEOSEARCH', 'z', 'FROMMEMBER', 'zero', 'BYRADIUS', '1000', 'km', 'WITHCOORD', 'WITHHASH'],
        ['GEOSEARCH', 'z', 'FROMMEMBER', 'neg', 'BYRADIUS', '100', 'km', 'WITHCOORD', 'WITHHASH', 'WITHDIST'],
      ],
    );
  });

  t('GEOSEARCH / GEORADIUS / GEORADIUSBYMEMBER (and _RO): every option', async ({ d }) => {
    const cmds: Arg[][] = [];
    const shapes = [['BYRADIUS', '200', 'km'], ['BYRADIUS', '100', 'km'], ['BYRADIUS', '0', 'm'], ['BYBOX', '400', '400', 'km'], ['BYBOX', '200', '50', 'mi'], ['BYBOX', '0', '0', 'ft'], ['BYRADIUS', '20000', 'km']];
    const froms = [['FROMLONLAT', '15', '37'], ['FROMMEMBER', 'Palermo'], ['FROMLONLAT', '-179.9', '0'], ['FROMLONLAT', '15', '84']];
    const opts = [[], ['ASC'], ['DESC'], ['WITHDIST'], ['WITHCOORD', 'WITHHASH', 'WITHDIST', 'ASC'], ['COUNT', '1'], ['COUNT', '2', 'DESC', 'WITHDIST'], ['COUNT', '3', 'ANY'], ['COUNT', '1', 'ANY', 'ASC', 'WITHCOORD']];
    for (const f of froms) for (const s of shapes) for (const o of opts) cmds.push(['GEOSEARCH', 'Sicily', ...f, ...s, ...o]);
    for (const o of opts) {
      cmds.push(['GEORADIUS', 'Sicily', '15', '37', '200', 'km', ...o]);
      cmds.push(['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', ...o]);
      cmds.push(['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', ...o]);
      cmds.push(['GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '200', 'km', ...o]);
    }
    await d!.bothProtocols([SICILY], cmds);
  });

  t('search errors, in Redis order', async ({ d }) => {
    await d!.bothProtocols([SICILY, ['LPUSH', 'l', 'x']], [
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37'],
      ['GEOSEARCH', 'Sicily', 'BYRADIUS', '10', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '10', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '15', '37', 'BYRADIUS', '10', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '10', 'km', 'BYBOX', '1', '1', 'km'],
      ['geosearch', 'Sicily', 'BYBOX', '1', '1', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'nope', 'BYRADIUS', '10', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '200', '37', 'BYRADIUS', '10', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', 'x', '37', 'BYRADIUS', '10', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', 'x', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '-1', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'parsec'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', 'x', '1', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', 'x', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '-1', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT', '0'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT', 'x'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'ANY'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STOREDIST'],
      ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'FOO'],
      ['GEOSEARCH', 'l', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'x', 'BYRADIUS', '1', 'km', 'ANY'],
      ['GEOSEARCH', 'nokey', 'FROMLONLAT', '15', '37'],
      ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'WITHDIST'],
      ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
      ['GEOSEARCHSTORE', 'dst', 'l', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'x', 'WITHDIST'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE'],
      ['GEORADIUS_RO', 'Sicily', '15', '37', '200', 'km', 'STORE', 'x'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'FROMLONLAT', '1', '2'],
      ['GEORADIUS', 'Sicily', '200', '37', '200', 'km'],
      ['GEORADIUS', 'Sicily', '15', '37', '-1', 'km'],
      ['GEORADIUS', 'Sicily', '15', '37', '1', 'yd'],
      ['GEORADIUS', 'l', '15', '37', '1', 'km'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'COUNT', '0'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'nope', '200', 'km'],
      ['GEORADIUSBYMEMBER', 'nokey', 'nope', '200', 'km'],
      ['GEORADIUSBYMEMBER', 'nokey', 'nope', 'x', 'km', 'STORE', 'k'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '200', 'km', 'STOREDIST'],
      ['GEORADIUSBYMEMBER_RO', 'Sicily', 'Palermo', '200', 'km', 'STOREDIST', 'x'],
    ]);
  });

  t('STORE / STOREDIST / GEOSEARCHSTORE: stored sets, deletes, TTL, encodings', async ({ d }) => {
    await d!.bothProtocols([SICILY], [
      ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km'],
      ['ZRANGE', 'dst', 0, -1, 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'STOREDIST', 'COUNT', '2', 'DESC'],
      ['ZRANGE', 'dst', 0, -1, 'WITHSCORES'],
      ['EXPIRE', 'dst', '100'],
      ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
      ['EXISTS', 'dst'],
      ['SET', 'dst', 'string'],
      ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
      ['EXISTS', 'dst'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'r1'],
      ['ZRANGE', 'r1', 0, -1, 'WITHSCORES'],
      ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STOREDIST', 'r2', 'COUNT', '1'],
      ['ZRANGE', 'r2', 0, -1, 'WITHSCORES'],
      ['SET', 'r3', 'x', 'EX', '100'],
      ['GEORADIUSBYMEMBER', 'Sicily', 'Palermo', '300', 'km', 'STORE', 'r3', 'STOREDIST', 'r4'],
      ['TTL', 'r3'],
      ['TYPE', 'r3'],
      ['ZRANGE', 'r4', 0, -1, 'WITHSCORES'],
      ['GEORADIUSBYMEMBER', 'nokey', 'Palermo', '300', 'km', 'STORE', 'r4'],
      ['EXISTS', 'r4'],
    ]);
  });

  t('keyspace events match Redis', async (ctx) => {
    const { d, srv, ref } = ctx;
    for (const conn of [d!.redust, d!.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    const subs = [await eventLog(srv.port), await eventLog(ref!.port)];
    try {
      await d!.all([
        SICILY,
        ['GEOADD', 'Sicily', 'NX', '13.361389', '38.115556', 'Palermo'],
        ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
        ['GEOSEARCHSTORE', 'dst', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'm'],
        ['GEORADIUS', 'Sicily', '15', '37', '200', 'km', 'STORE', 'r'],
        ['GEORADIUS', 'nokey', '15', '37', '200', 'km', 'STORE', 'r'],
        ['GEOSEARCH', 'Sicily', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ]);
      const logs = [await subs[0].messages(), await subs[1].messages()];
      assert.ok(logs[1].length >= 5, logs[1].join('\n'));
      assert.equal(logs[0].join('\n'), logs[1].join('\n'));
    } finally {
      for (const s of subs) s.conn.close();
      for (const conn of [d!.redust, d!.reference]) await conn.send('CONFIG', 'SET', 'notify-keyspace-events', '');
    }
  });

  t('random points and random searches equal Redis (listpack and skiplist sets)', async ({ d }) => {
    const r = rng(4242);
    const lon = () => (r() * 360 - 180).toFixed(Math.floor(r() * 8));
    const lat = () => (r() * 170.1 - 85.05).toFixed(Math.floor(r() * 8));
    for (const [key, n] of [['small', 60], ['big', 1500]] as const) {
      const add: Arg[] = ['GEOADD', key];
      for (let i = 0; i < n; i++) {
        // Clusters so that searches find several points.
        if (r() < 0.5) add.push((10 + r() * 2).toFixed(6), (45 + r() * 2).toFixed(6), `p${i}`);
        else add.push(lon(), lat(), `p${i}`);
      }
      await d!.check(add);
      await d!.check(['OBJECT', 'ENCODING', key]);
      for (let q = 0; q < 150; q++) {
        const from = r() < 0.3 ? ['FROMMEMBER', `p${Math.floor(r() * n)}`] : r() < 0.5 ? ['FROMLONLAT', (10 + r() * 2).toFixed(5), (45 + r() * 2).toFixed(5)] : ['FROMLONLAT', lon(), lat()];
        const unit = ['m', 'km', 'mi', 'ft'][Math.floor(r() * 4)];
        const scale = unit === 'm' ? 1000 : unit === 'ft' ? 3000 : 1;
        const by = r() < 0.5 ? ['BYRADIUS', String(Math.floor(r() * 500 * scale)), unit] : ['BYBOX', String(Math.floor(r() * 800 * scale)), String(Math.floor(r() * 800 * scale)), unit];
        const opts: string[] = ['WITHDIST', 'WITHCOORD', 'WITHHASH'].filter(() => r() < 0.4);
        const sort = r();
        if (sort < 0.3) opts.push('ASC');
        else if (sort < 0.5) opts.push('DESC');
        if (r() < 0.2) opts.push('COUNT', String(1 + Math.floor(r() * 5)), 'ANY');
        else if (r() < 0.3) opts.push('COUNT', String(1 + Math.floor(r() * 50)));
        await d!.check(['GEOSEARCH', key, ...from, ...by, ...opts]);
        if (r() < 0.2) await d!.check(['GEORADIUS', key, (10 + r() * 2).toFixed(4), (45 + r() * 2).toFixed(4), String(Math.floor(r() * 300)), 'km', 'WITHDIST', 'ASC']);
      }
      for (let q = 0; q < 40; q++) {
        const a = `p${Math.floor(r() * n)}`;
        const b = `p${Math.floor(r() * n)}`;
        await d!.check(['GEODIST', key, a, b, ['m', 'km', 'mi', 'ft'][q % 4]]);
        await d!.check(['GEOPOS', key, a, b]);
        await d!.check(['GEOHASH', key, a, b]);
      }
    }
  });

  t('equal distances: full sort stable, COUNT partial sort (pqsort) in Redis order', async ({ d }) => {
    const add: Arg[] = ['GEOADD', 'g'];
    for (let i = 0; i < 60; i++) add.push('10', '45', `m${String.fromCharCode(122 - (i % 26))}${i}`);
    for (let i = 0; i < 60; i++) add.push(String(10 + (i % 3) * 0.001), String(45 + (i % 2) * 0.001), `n${i}`);
    await d!.check(add);
    for (const sort of ['ASC', 'DESC'])
      for (const count of ['1', '5', '7', '30', '41', '100', '119', '120', '500'])
        await d!.check(['GEOSEARCH', 'g', 'FROMLONLAT', '10.0005', '45.0005', 'BYRADIUS', '10', 'km', sort, 'COUNT', count, 'WITHDIST']);
    await d!.check(['GEORADIUS', 'g', '10.0005', '45.0005', '10', 'km', 'COUNT', '13']);
    await d!.check(['GEOSEARCHSTORE', 'dst', 'g', 'FROMLONLAT', '10.0005', '45.0005', 'BYRADIUS', '10', 'km', 'COUNT', '9', 'DESC']);
    await d!.check(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
  });

  t('dense skip-list set: box scans in the engine (ties, ASC/DESC, COUNT, ANY, STORE) equal Redis', async ({ d }) => {
    const r = rng(777);
    const add: Arg[] = ['GEOADD', 'dense'];
    // 3000 points in a 0.2 x 0.2 degree square, with exact duplicates (equal distances).
    for (let i = 0; i < 3000; i++) {
      if (i % 10 === 9) add.push(add[add.length - 3], add[add.length - 2], `dup${i}`);
      else add.push((13 + r() * 0.2).toFixed(6), (52 + r() * 0.2).toFixed(6), `p${i}`);
    }
    await d!.check(add);
    await d!.check(['OBJECT', 'ENCODING', 'dense']);
    for (let q = 0; q < 120; q++) {
      const lon = (13 + r() * 0.2).toFixed(5);
      const lat = (52 + r() * 0.2).toFixed(5);
      const by = r() < 0.6 ? ['BYRADIUS', String(100 + Math.floor(r() * 3000)), 'm'] : ['BYBOX', String(Math.floor(r() * 5)), String(Math.floor(r() * 5)), 'km'];
      const opts: string[] = ['WITHDIST', 'WITHCOORD', 'WITHHASH'].filter(() => r() < 0.3);
      const sort = r();
      if (sort < 0.4) opts.push('ASC');
      else if (sort < 0.7) opts.push('DESC');
      if (r() < 0.15) opts.push('COUNT', String(1 + Math.floor(r() * 40)), 'ANY');
      else if (r() < 0.3) opts.push('COUNT', String(1 + Math.floor(r() * 80)));
      await d!.check(['GEOSEARCH', 'dense', 'FROMLONLAT', lon, lat, ...by, ...opts]);
      if (q % 10 === 0) {
        // (Not STOREDIST: its 17 digits show libm's last bit, where V8's and AssemblyScript's
        // fdlibm-style sin/cos/asin and glibc's differ for about 1% of nearby points.)
        await d!.check(['GEOSEARCHSTORE', 'dst', 'dense', 'FROMLONLAT', lon, lat, ...by, 'DESC', 'COUNT', '50']);
        await d!.check(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES']);
        await d!.check(['GEORADIUSBYMEMBER', 'dense', `p${q}`, '1', 'km', 'DESC', 'STORE', 'dense']);
        await d!.check(['ZCARD', 'dense']);
        await d!.check(add);
        await d!.check(['EVAL', "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', ARGV[1], ARGV[2], 'BYRADIUS', 2, 'km', 'ASC', 'WITHDIST')", 1, 'dense', lon, lat]);
        await d!.check(['GEORADIUS_RO', 'dense', lon, lat, '800', 'm', 'WITHCOORD', 'WITHHASH', 'DESC']);
      }
    }
  });

  t('inside Lua (RESP2 and RESP3 doubles) and MULTI', async ({ d }) => {
    await d!.bothProtocols([SICILY], [
      ['EVAL', "return redis.call('GEOPOS', KEYS[1], 'Palermo', 'nope')", 1, 'Sicily'],
      ['EVAL', "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'WITHCOORD', 'WITHDIST', 'WITHHASH')", 1, 'Sicily'],
      ['EVAL', "redis.setresp(3); local r = redis.call('GEOPOS', KEYS[1], 'Palermo'); return tostring(r[1][1]['double'])", 1, 'Sicily'],
      ['MULTI'],
      ['GEOPOS', 'Sicily', 'Catania'],
      ['GEODIST', 'Sicily', 'Palermo', 'Catania', 'km'],
      ['GEOSEARCH', 'Sicily', 'FROMMEMBER', 'Palermo', 'BYBOX', '300', '300', 'km', 'WITHCOORD'],
      ['EXEC'],
    ]);
  });

  t('huge radius and poles: duplicate neighbour boxes skipped like Redis', async ({ d, c }) => {
    const add: Arg[] = ['GEOADD', 'w'];
    for (let i = 0; i < 200; i++) add.push(String(-179 + ((i * 7.3) % 358)), String(-84 + ((i * 13.7) % 168)), `m${i}`);
    await d!.check(add);
    for (const [lo, la, rad] of [['0', '0', '6000'], ['0', '80', '5000'], ['179.9', '-85', '10000'], ['-180', '85.05112878', '1'], ['0', '0', '40000']]) {
      await d!.check(['GEOSEARCH', 'w', 'FROMLONLAT', lo, la, 'BYRADIUS', rad, 'km', 'ASC', 'WITHDIST']);
      await d!.check(['GEOSEARCH', 'w', 'FROMLONLAT', lo, la, 'BYBOX', rad, rad, 'km']);
    }
    assert.equal(await c.send('PING'), R.simple('PONG'));
  });

  t.run();
}

// The engine's box scans (assembly/geo.ts) compute distances with AssemblyScript's Math (musl),
// the JS path with V8's (fdlibm): neither is glibc's bit for bit (each differs from it in the last
// bit for a few percent of far points, ~1% of near ones), so they must agree to within rounding.
test('assembly geoDistance agrees with util/geohash distance to the last bits', () => {
  const w = new WasmInstance();
  const r = rng(99);
  let same = 0;
  for (let i = 0; i < 100000; i++) {
    const lon1 = r() * 360 - 180;
    const lat1 = r() * 170.2 - 85.1;
    // Near points (the usual search) and far ones.
    const near = r() < 0.7;
    const lon2 = near ? lon1 + (r() - 0.5) * 0.05 : r() * 360 - 180;
    const lat2 = near ? lat1 + (r() - 0.5) * 0.05 : r() * 170.2 - 85.1;
    const a = w.x.geoDistance(lon1, lat1, lon2, lat2);
    const b = distance(lon1, lat1, lon2, lat2);
    if (Object.is(a, b)) same++;
    else if (!(Math.abs(a - b) <= Math.abs(b) * 1e-14)) assert.unreachable(`distance(${lon1}, ${lat1}, ${lon2}, ${lat2}): wasm ${a}, js ${b}`);
  }
  assert.ok(same > 98000, `only ${same} of 100000 bit-equal`);
});

// ShapeFilter.testScore (the JS engine's search filter) turns members away by cell bands and sure
// rejects before the exact formula: it must pass exactly the members distanceIfInShape passes,
// with the same distances, around the antimeridian and the poles and for huge radii too.
test('ShapeFilter.testScore: the same members and distances as distanceIfInShape', () => {
  const r = rng(2024);
  let hits = 0;
  let checked = 0;
  for (let c = 0; c < 1400; c++) {
    const lon = c % 5 === 0 ? (r() < 0.5 ? 180 - r() * 0.5 : -180 + r() * 0.5) : r() * 360 - 180;
    const lat = c % 7 === 0 ? (r() < 0.5 ? 1 : -1) * (80 + r() * 5) : r() * 170 - 85;
    const radius = [0.001, 0.05, 1, 10, 100, 1000, 5000][c % 7];
    const shape: GeoShape = { lon, lat, radius, conversion: 1000, circular: true, width: 0, height: 0, bounds: [0, 0, 0, 0] };
    const filter = new ShapeFilter(shape);
    // Points around the centre, up to three radii away (wrapping the antimeridian).
    const dLat = ((radius * 1000) / 111000) * 3;
    const dLon = Math.min(180, dLat / Math.max(0.05, Math.cos((lat * Math.PI) / 180)));
    for (let i = 0; i < 150; i++) {
      let plon = lon + (r() * 2 - 1) * dLon;
      if (plon > 180) plon -= 360;
      if (plon < -180) plon += 360;
      const plat = Math.max(-85.05, Math.min(85.05, lat + (r() * 2 - 1) * dLat));
      const score = scoreOf(plon, plat);
      const xy = [0, 0];
      decodeScore(score, xy);
      const want = distanceIfInShape(shape, xy[0], xy[1]);
      const got = filter.testScore(score);
      if (!Object.is(got, want)) assert.unreachable(`centre (${lon}, ${lat}) radius ${radius} km, point (${plon}, ${plat}): ${got}, want ${want}`);
      if (got >= 0) hits++;
      checked++;
    }
  }
  assert.ok(hits > checked / 20 && hits < checked / 2, `a mix of hits and misses (${hits} of ${checked})`);
});
test.run();
