/**
 * Geo commands (Redis geo.c): GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH, GEOSEARCHSTORE,
 * GEORADIUS, GEORADIUSBYMEMBER and their _RO forms. A geo set is a sorted set whose scores are
 * 52-bit geohashes (src/util/geohash.ts); GEOADD is ZADD with encoded scores, as in Redis.
 */
import type { GeoHit, ZSetValue } from '../engine/types';
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, SYNTAX } from './errors';
import { floatArg, intArg, isWord } from './args';
import { deleteDestination, lookupRead, settleStoredEncoding, written } from './keyspace';
import { toBuffer } from '../util/bytes';
import { propagateAs } from '../server/propagate';
import { zsetAddAll, ZADD_CH, ZADD_NX, ZADD_XX } from './zset-add';
import { pqsort } from '../util/pqsort';
import { decodeScore, distance, formatFixed, formatHuman, GeoShape, geohashString, GEO_LAT_MAX, GEO_LAT_MIN, GEO_LONG_MAX, GEO_LONG_MIN, scoreOf, scoreRange, searchBoxes, ShapeFilter } from '../util/geohash';

const UNIT_ERR = 'ERR unsupported unit provided. please use M, KM, FT, MI';

function lookupZsetRead(c: Client, key: Buffer): ZSetValue | undefined {
  return lookupRead(c, key, 'zset');
}

/** extractLongLatOrReply */
function lonLatArgs(argv: Buffer[], at: number): [number, number] {
  const lon = floatArg(argv[at]);
  const lat = floatArg(argv[at + 1]);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    fail(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
  }
  return [lon, lat];
}

/** extractUnitOrReply: meters per unit. */
function unitArg(arg: Buffer): number {
  if (isWord(arg, 'm')) return 1;
  if (isWord(arg, 'km')) return 1000;
  if (isWord(arg, 'ft')) return 0.3048;
  if (isWord(arg, 'mi')) return 1609.34;
  fail(UNIT_ERR);
}

function distanceReply(c: Client, d: number): void {
  c.reply.bulk(formatFixed(d, 4));
}

function coordReply(c: Client, v: number): void {
  c.reply.double(v, formatHuman(v));
}

// ---- GEOADD -------------------------------------------------------------------------------------

const ZADD_NAME = Buffer.from('zadd', 'latin1');

/** The decimal digits of an integer in [0, 2^53) (a geohash score), as String(n) writes them. */
function integerBytes(n: number): Buffer {
  // Two halves below 2^31 (small-integer arithmetic): n = hi * 10^8 + lo.
  const hi = n < 1e8 ? 0 : Math.floor(n / 1e8);
  let lo = n - hi * 1e8;
  let hiLen = 0;
  for (let t = hi; t > 0; t = (t / 10) | 0) hiLen++;
  let loLen = 8;
  if (hi === 0) {
    loLen = 1;
    for (let t = lo; t >= 10; t = (t / 10) | 0) loLen++;
  }
  const b = Buffer.allocUnsafe(hiLen + loLen);
  for (let i = hiLen + loLen - 1; i >= hiLen; i--) {
    const q = (lo / 10) | 0;
    b[i] = 48 + lo - q * 10;
    lo = q;
  }
  let h = hi;
  for (let i = hiLen - 1; i >= 0; i--) {
    const q = (h / 10) | 0;
    b[i] = 48 + h - q * 10;
    h = q;
  }
  return b;
}

function geoadd(c: Client, argv: Buffer[]): void {
  let xx = false;
  let nx = false;
  let ch = false;
  let longidx = 2;
  while (longidx < argv.length) {
    const opt = argv[longidx];
    if (isWord(opt, 'nx')) nx = true;
    else if (isWord(opt, 'xx')) xx = true;
    else if (isWord(opt, 'ch')) ch = true;
    else break;
    longidx++;
  }
  if ((argv.length - longidx) % 3 !== 0 || (xx && nx)) fail(SYNTAX);
  const elements = (argv.length - longidx) / 3;
  if (elements === 0) fail(SYNTAX); // (what the ZADD it becomes answers: zaddGenericCommand)
  const flags = (nx ? ZADD_NX : 0) | (xx ? ZADD_XX : 0) | (ch ? ZADD_CH : 0);
  // Members at even positions, as zsetAddAll reads them (ZADD's member-after-score stride).
  const members: Buffer[] = new Array(elements * 2);
  const scores: number[] = new Array(elements);
  for (let i = 0; i < elements; i++) {
    const [lon, lat] = lonLatArgs(argv, longidx + i * 3);
    scores[i] = scoreOf(lon, lat);
    members[i * 2] = members[i * 2 + 1] = argv[longidx + i * 3 + 2];
  }
  // geoaddCommand: the arguments become a ZADD, run (and propagated) as ZADD.
  zsetAddAll(c, argv[1], members, 0, scores, flags);
  if (c.server.propagation.active) {
    const zargv: Buffer[] = [ZADD_NAME];
    for (let i = 1; i < longidx; i++) zargv.push(argv[i]);
    for (let i = 0; i < elements; i++) zargv.push(integerBytes(scores[i]), members[i * 2]);
    propagateAs(c, ...zargv);
  }
}

// ---- GEOPOS / GEOHASH / GEODIST -------------------------------------------------------------------

function geopos(c: Client, argv: Buffer[]): void {
  const z = lookupZsetRead(c, argv[1]);
  c.reply.array(argv.length - 2);
  const xy = [0, 0];
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) {
      c.reply.nilArray();
      continue;
    }
    decodeScore(score, xy);
    c.reply.array(2);
    coordReply(c, xy[0]);
    coordReply(c, xy[1]);
  }
}

function geohash(c: Client, argv: Buffer[]): void {
  const z = lookupZsetRead(c, argv[1]);
  c.reply.array(argv.length - 2);
  for (let j = 2; j < argv.length; j++) {
    const score = z?.score(argv[j]);
    if (score === undefined) c.reply.nil();
    else c.reply.bulk(geohashString(score));
  }
}

function geodist(c: Client, argv: Buffer[]): void {
  let toMeter = 1;
  if (argv.length === 5) toMeter = unitArg(argv[4]);
  else if (argv.length > 5) fail(SYNTAX);
  const z = lookupZsetRead(c, argv[1]);
  if (z === undefined) {
    c.reply.nil();
    return;
  }
  const s1 = z.score(argv[2]);
  const s2 = z.score(argv[3]);
  if (s1 === undefined || s2 === undefined) {
    c.reply.nil();
    return;
  }
  const a = [0, 0];
  const b = [0, 0];
  decodeScore(s1, a);
  decodeScore(s2, b);
  distanceReply(c, distance(a[0], a[1], b[0], b[1]) / toMeter);
}

// ---- Searches -------------------------------------------------------------------------------------

const enum Flag {
  COORDS = 1,
  MEMBER = 2,
  NOSTORE = 4,
  SEARCH = 8,
  SEARCHSTORE = 16,
}

/** longLatFromMember: false when the member is missing. */
function memberPosition(z: ZSetValue, member: Buffer, shape: GeoShape): boolean {
  const score = z.score(member);
  if (score === undefined) return false;
  const xy = [0, 0];
  decodeScore(score, xy);
  shape.lon = xy[0];
  shape.lat = xy[1];
  return true;
}

/** extractDistanceOrReply */
function radiusArgs(argv: Buffer[], at: number, shape: GeoShape): void {
  const d = floatArg(argv[at], 'ERR need numeric radius');
  if (d < 0) fail('ERR radius cannot be negative');
  shape.radius = d;
  shape.conversion = unitArg(argv[at + 1]);
}

/** extractBoxOrReply */
function boxArgs(argv: Buffer[], at: number, shape: GeoShape): void {
  const w = floatArg(argv[at], 'ERR need numeric width');
  const h = floatArg(argv[at + 1], 'ERR need numeric height');
  if (h < 0 || w < 0) fail('ERR height or width cannot be negative');
  shape.width = w;
  shape.height = h;
  shape.conversion = unitArg(argv[at + 2]);
}

/**
 * Points of `z` in [min, max) scores that are inside the shape, appended to `out` (stops at
 * limit): the engine's one-call scan (ZSetValue.geoScan) when it has one, else a score range.
 */
function pointsInRange(z: ZSetValue, min: number, max: number, shape: GeoShape, filter: ShapeFilter, out: GeoHit[], limit: number, first: boolean): void {
  if (z.geoScan !== undefined) {
    const radiusM = shape.circular ? shape.radius * shape.conversion : -1;
    if (z.geoScan(min, max, shape.lon, shape.lat, radiusM, shape.width * shape.conversion, shape.height * shape.conversion, limit, out, first)) return;
  }
  const range = { min, minEx: false, max, maxEx: true };
  if (!limit) {
    z.rangeByScore(range, false, 0, -1, (member, score) => {
      const d = filter.testScore(score);
      if (d >= 0) out.push({ member, score, dist: d, at: 0, len: 0 });
    });
    return;
  }
  // ANY: stop as soon as `limit` points were found (in chunks: the visitor cannot break).
  const CHUNK = 256;
  let offset = 0;
  for (;;) {
    let seen = 0;
    let full = false;
    z.rangeByScore(range, false, offset, CHUNK, (member, score) => {
      seen++;
      if (full) return;
      const d = filter.testScore(score);
      if (d < 0) return;
      out.push({ member, score, dist: d, at: 0, len: 0 });
      if (limit && out.length >= limit) full = true;
    });
    if (full || seen < CHUNK) return;
    offset += CHUNK;
  }
}

/**
 * Stable sort by distance (ascending, or descending with ties kept in scan order): what glibc's
 * qsort (a merge sort) gives for sort_gp_asc / sort_gp_desc. Sorts positions by keys in typed
 * arrays (distance, negated for DESC: distances are never NaN), insertion sort for small runs,
 * merge sort above, then reorders `a`. Faster than Array.prototype.sort with a comparator.
 */
let sortKeys = new Float64Array(256);
let sortIdx = new Int32Array(256);
let sortTmp = new Int32Array(256);
function sortByDistance(a: GeoHit[], desc: boolean): void {
  const n = a.length;
  if (n < 2) return;
  if (sortKeys.length < n) {
    const cap = Math.max(n, sortKeys.length * 2);
    sortKeys = new Float64Array(cap);
    sortIdx = new Int32Array(cap);
    sortTmp = new Int32Array(cap);
  }
  const keys = sortKeys;
  for (let i = 0; i < n; i++) keys[i] = desc ? -a[i].dist : a[i].dist;
  let src = sortIdx;
  let dst = sortTmp;
  // Insertion sort of runs of RUN, then bottom-up merges (take from the right only when strictly less).
  const RUN = 16;
  for (let lo = 0; lo < n; lo += RUN) {
    const hi = Math.min(lo + RUN, n);
    for (let i = lo; i < hi; i++) {
      const k = keys[i];
      let j = i - 1;
      while (j >= lo && keys[src[j]] > k) {
        src[j + 1] = src[j];
        j--;
      }
      src[j + 1] = i;
    }
  }
  for (let width = RUN; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) dst[k++] = keys[src[j]] < keys[src[i]] ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    const t = src;
    src = dst;
    dst = t;
  }
  const copy = a.slice();
  for (let i = 0; i < n; i++) a[i] = copy[src[i]];
  if (sortKeys.length > 65536) {
    // Do not keep a huge search's scratch arrays.
    sortKeys = new Float64Array(256);
    sortIdx = new Int32Array(256);
    sortTmp = new Int32Array(256);
  }
}

function georadiusGeneric(c: Client, argv: Buffer[], srcKeyIndex: number, flags: number): void {
  let storekey: Buffer | null = null;
  let storedist = false;
  const z = lookupZsetRead(c, argv[srcKeyIndex]);
  const shape: GeoShape = { circular: true, lon: 0, lat: 0, radius: 0, width: 0, height: 0, conversion: 1, bounds: [0, 0, 0, 0] };
  let baseArgs: number;
  if (flags & Flag.COORDS) {
    baseArgs = 6;
    [shape.lon, shape.lat] = lonLatArgs(argv, 2);
    radiusArgs(argv, baseArgs - 2, shape);
  } else if (flags & Flag.MEMBER && z === undefined) {
    baseArgs = 5;
  } else if (flags & Flag.MEMBER) {
    baseArgs = 5;
    if (!memberPosition(z!, argv[2], shape)) fail('ERR could not decode requested zset member');
    radiusArgs(argv, baseArgs - 2, shape);
  } else {
    baseArgs = 2;
    if (flags & Flag.SEARCHSTORE) {
      baseArgs = 3;
      storekey = argv[1];
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = 0; // 0 none, 1 asc, 2 desc
  let any = false;
  let count = 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const arg = argv[baseArgs + i];
    const search = (flags & Flag.SEARCH) !== 0;
    if (isWord(arg, 'withdist')) withdist = true;
    else if (isWord(arg, 'withhash')) withhash = true;
    else if (isWord(arg, 'withcoord')) withcoords = true;
    else if (isWord(arg, 'any')) any = true;
    else if (isWord(arg, 'asc')) sort = 1;
    else if (isWord(arg, 'desc')) sort = 2;
    else if (isWord(arg, 'count') && i + 1 < remaining) {
      count = intArg(argv[baseArgs + i + 1]);
      if (count <= 0) fail('ERR COUNT must be > 0');
      i++;
    } else if (isWord(arg, 'store') && i + 1 < remaining && !(flags & Flag.NOSTORE) && !search) {
      storekey = argv[baseArgs + i + 1];
      storedist = false;
      i++;
    } else if (isWord(arg, 'storedist') && i + 1 < remaining && !(flags & Flag.NOSTORE) && !search) {
      storekey = argv[baseArgs + i + 1];
      storedist = true;
      i++;
    } else if (isWord(arg, 'storedist') && search && flags & Flag.SEARCHSTORE) {
      storedist = true;
    } else if (isWord(arg, 'frommember') && i + 1 < remaining && search && !fromloc) {
      if (z === undefined) {
        frommember = true;
        i++;
        continue;
      }
      if (!memberPosition(z, argv[baseArgs + i + 1], shape)) fail('ERR could not decode requested zset member');
      frommember = true;
      i++;
    } else if (isWord(arg, 'fromlonlat') && i + 2 < remaining && search && !frommember) {
      [shape.lon, shape.lat] = lonLatArgs(argv, baseArgs + i + 1);
      fromloc = true;
      i += 2;
    } else if (isWord(arg, 'byradius') && i + 2 < remaining && search && !bybox) {
      radiusArgs(argv, baseArgs + i + 1, shape);
      shape.circular = true;
      byradius = true;
      i += 2;
    } else if (isWord(arg, 'bybox') && i + 3 < remaining && search && !byradius) {
      boxArgs(argv, baseArgs + i + 1, shape);
      shape.circular = false;
      bybox = true;
      i += 3;
    } else fail(SYNTAX);
  }

  if (storekey && (withdist || withhash || withcoords)) {
    fail(`ERR ${flags & Flag.SEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS'} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  const cmdName = () => argv[0].latin1Slice(0, argv[0].length);
  if (flags & Flag.SEARCH && !(frommember || fromloc)) fail(`ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmdName()}`);
  if (flags & Flag.SEARCH && !(byradius || bybox)) fail(`ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmdName()}`);
  if (any && !count) fail('ERR the ANY argument requires COUNT argument');

  if (z === undefined) {
    if (storekey) {
      deleteDestination(c, storekey);
      c.reply.int(0);
    } else c.reply.array(0);
    return;
  }
  if (count !== 0 && sort === 0 && !any) sort = 1;

  const boxes = searchBoxes(shape);
  const points: GeoHit[] = [];
  const limit = any ? count : 0;
  const filter = new ShapeFilter(shape);
  let last = -1;
  for (let i = 0; i < boxes.length; i++) {
    const b = boxes[i];
    if (b.step === 0) continue;
    if (last >= 0 && b.lat === boxes[last].lat && b.lon === boxes[last].lon && b.step === boxes[last].step) continue;
    if (points.length && limit && points.length >= limit) break;
    const [min, max] = scoreRange(b);
    pointsInRange(z, min, max, shape, filter, points, limit, last < 0);
    last = i;
  }

  if (points.length === 0 && storekey === null) {
    c.reply.array(0);
    return;
  }
  const resultLength = points.length;
  const returned = count === 0 || resultLength < count ? resultLength : count;
  if (sort !== 0) {
    // Full sort: stable, like glibc's qsort (a merge sort). Partial: Redis's own pqsort.
    if (returned === resultLength) sortByDistance(points, sort === 2);
    else {
      const asc = (a: GeoHit, b: GeoHit) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
      pqsort(points, sort === 1 ? asc : (a: GeoHit, b: GeoHit) => -asc(a, b), 0, returned - 1);
    }
  }

  // Members the engine left in place (GeoHit.member null) are copied from its bytes directly.
  const bytes = z.geoMembers !== undefined && points.length > 0 && points[0].member === null ? z.geoMembers(points) : null;
  if (storekey === null) {
    const options = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    c.reply.array(returned);
    const xy = [0, 0];
    // The socket writer takes bytes; other sinks (Lua, MULTI) get copies.
    const direct = c.reply === c.writer;
    for (let i = 0; i < returned; i++) {
      const gp = points[i];
      const dist = gp.dist / shape.conversion;
      if (options) c.reply.array(options + 1);
      if (gp.member !== null) c.reply.bulk(gp.member);
      else if (direct) c.writer.bulkBytes(bytes!, gp.at, gp.len);
      else c.reply.bulk(Buffer.from(bytes!.subarray(gp.at, gp.at + gp.len)));
      if (withdist) distanceReply(c, dist);
      if (withhash) c.reply.int(Math.trunc(gp.score));
      if (withcoords) {
        decodeScore(gp.score, xy);
        c.reply.array(2);
        coordReply(c, xy[0]);
        coordReply(c, xy[1]);
      }
    }
    return;
  }

  if (returned > 0) {
    // Copies first: the engine's bytes are valid only until its next call.
    const members: Buffer[] = new Array(returned);
    for (let i = 0; i < returned; i++) {
      const gp = points[i];
      members[i] = gp.member !== null ? toBuffer(gp.member) : Buffer.from(bytes!.subarray(gp.at, gp.at + gp.len));
    }
    const out = c.server.engine.newZSet();
    for (let i = 0; i < returned; i++) {
      const gp = points[i];
      out.add(members[i], storedist ? gp.dist / shape.conversion : gp.score);
    }
    settleStoredEncoding(c, out);
    // (Wakes blocked clients only as a new key: storeValue.)
    c.db.set(storekey, out);
    written(c, storekey, flags & Flag.SEARCH ? 'geosearchstore' : 'georadiusstore', 'z', returned);
  } else deleteDestination(c, storekey);
  c.reply.int(returned);
}

export const commands: CommandRow[] = [
  { name: 'geoadd', handler: geoadd },
  { name: 'geopos', handler: geopos },
  { name: 'geohash', handler: geohash },
  { name: 'geodist', handler: geodist },
  { name: 'georadius', handler: (c, argv) => georadiusGeneric(c, argv, 1, Flag.COORDS) },
  { name: 'georadiusbymember', handler: (c, argv) => georadiusGeneric(c, argv, 1, Flag.MEMBER) },
  { name: 'georadius_ro', handler: (c, argv) => georadiusGeneric(c, argv, 1, Flag.COORDS | Flag.NOSTORE) },
  { name: 'georadiusbymember_ro', handler: (c, argv) => georadiusGeneric(c, argv, 1, Flag.MEMBER | Flag.NOSTORE) },
  { name: 'geosearch', handler: (c, argv) => georadiusGeneric(c, argv, 1, Flag.SEARCH) },
  { name: 'geosearchstore', handler: (c, argv) => georadiusGeneric(c, argv, 2, Flag.SEARCH | Flag.SEARCHSTORE) },
];
