/*
 * geo.ts -- GEOSEARCH / GEORADIUS's scan of one geohash box in linear memory (Redis geo.c
 * geoGetPointsInRange + geoWithinShape, geohash.c geohashDecode, geohash_helper.c
 * geohashGetDistance), so a search costs one JS -> WASM crossing per box, not one per member.
 *
 * The math is src/util/geohash.ts's (decodeScore, distance, distanceIfInShape) operation for
 * operation, in the same order, so results are the same doubles (AssemblyScript's Math is musl's,
 * which, like V8's, is fdlibm: test/geo checks the two agree).
 *
 * Output (out buffer), one 8-aligned record per member inside the shape, in score order:
 *   [f64 score][f64 distance in meters][u32 member length][member bytes]
 * Complexity: O(log n + m) for m members in the box.
 */
import { NC_P, ncIsBig } from './native';
import { outReset, outReserve, outCommit } from './io';
import { zsFirstGte, zsNodeNext, zsNodeScore, zsNodeLen, zsNodeMember } from './skiplist';

const GEO_LAT_MIN: f64 = -85.05112878;
const GEO_LAT_MAX: f64 = 85.05112878;
const GEO_LONG_MIN: f64 = -180;
const GEO_LONG_MAX: f64 = 180;
const D_R: f64 = Math.PI / 180.0;
const EARTH_RADIUS_IN_METERS: f64 = 6372797.560856;

/** Gather the even bits of x into 32 bits. */
// @ts-ignore: decorator
@inline function evenBits(x: u64): u32 {
  x &= 0x5555555555555555;
  x = (x | (x >> 1)) & 0x3333333333333333;
  x = (x | (x >> 2)) & 0x0f0f0f0f0f0f0f0f;
  x = (x | (x >> 4)) & 0x00ff00ff00ff00ff;
  x = (x | (x >> 8)) & 0x0000ffff0000ffff;
  x = (x | (x >> 16)) & 0x00000000ffffffff;
  return <u32>x;
}

/** geohashGetDistance */
function distance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64): f64 {
  const lat1r = lat1d * D_R;
  const lon1r = lon1d * D_R;
  const lat2r = lat2d * D_R;
  const lon2r = lon2d * D_R;
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

/** For JS's check that this distance is src/util/geohash.ts's, bit for bit. */
export function geoDistance(lon1d: f64, lat1d: f64, lon2d: f64, lat2d: f64): f64 {
  return distance(lon1d, lat1d, lon2d, lat2d);
}

/**
 * The members of sorted set c (a native collection) with a score in [min, max) whose point is
 * inside the shape around (lon, lat): a circle of radiusM meters when radiusM >= 0, else a
 * widthM x heightM box. Writes their records (see the header), stopping after `limit` (0: no
 * limit), after the out buffer's records when `append` (a search's later boxes), else from its
 * start. Returns how many, -1 on out-buffer OOM, -2 when c is in its small (listpack) form.
 */
export function znGeoScan(c: u32, min: f64, max: f64, lon: f64, lat: f64, radiusM: f64, widthM: f64, heightM: f64, limit: u32, append: i32): i32 {
  if (append == 0) outReset();
  if (!ncIsBig(c)) return -2;
  const zs = load<u32>(c, NC_P);
  const div: f64 = 67108864; // 2^26
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  // The circle's centre terms of geohashGetDistance(lon, lat, px, py), computed once: the same
  // values the formula computes per member (same operations), so distances are unchanged.
  const lat1r = lat * D_R;
  const lon1r = lon * D_R;
  const cosLat1 = Math.cos(lat1r);
  // A cheap sure reject: the great-circle distance is at least R * |latitude difference| (in
  // radians), so a member whose latitude alone puts it beyond the radius (with a margin far
  // above any rounding) is outside; the rest get the exact formula.
  const latReject = radiusM * 1.000001 + 0.001;
  // Likewise for the longitude: with t = |lon difference| / 2 (radians, t <= pi),
  // d >= 2R asin(sqrt(cos lat1 cos lat2) sin t) >= 2R sqrt(cos lat1 cos lat2) (t - t^3/6), and a
  // member that passed the latitude test has |lat2| <= |lat1| + latReject / R, so cos lat2 is at
  // least the cosine of that (when below pi/2; else no longitude test: lonK = 0).
  const maxLat2 = Math.abs(lat1r) + latReject / EARTH_RADIUS_IN_METERS;
  const lonK = maxLat2 < 1.5 ? 2.0 * EARTH_RADIUS_IN_METERS * Math.sqrt(cosLat1 * Math.cos(maxLat2) * 0.999999) : 0.0;
  let n: u32 = 0;
  let x = zsFirstGte(zs, min);
  while (x != 0) {
    const score = zsNodeScore(x);
    if (!(score < max)) break;
    // decodeGeohash: the step-26 cell's centre, clamped.
    const bits = <u64>score;
    const la = <f64>evenBits(bits);
    const lo = <f64>evenBits(bits >> 1);
    const lonMin = GEO_LONG_MIN + ((lo * 1.0) / div) * lonScale;
    const lonMax = GEO_LONG_MIN + ((lo + 1) / div) * lonScale;
    const latMin = GEO_LAT_MIN + ((la * 1.0) / div) * latScale;
    const latMax = GEO_LAT_MIN + ((la + 1) / div) * latScale;
    let px = (lonMin + lonMax) / 2;
    if (px > GEO_LONG_MAX) px = GEO_LONG_MAX;
    if (px < GEO_LONG_MIN) px = GEO_LONG_MIN;
    let py = (latMin + latMax) / 2;
    if (py > GEO_LAT_MAX) py = GEO_LAT_MAX;
    if (py < GEO_LAT_MIN) py = GEO_LAT_MIN;
    // geoWithinShape
    let d: f64 = -1;
    if (radiusM >= 0) {
      const lat2r = py * D_R;
      const lon2r = px * D_R;
      const t = Math.abs(lon2r - lon1r) * 0.5;
      if (Math.abs(lat2r - lat1r) * EARTH_RADIUS_IN_METERS <= latReject && lonK * t * (1.0 - t * t / 6.0) <= latReject) {
        const u = Math.sin((lat2r - lat1r) / 2);
        const v = Math.sin((lon2r - lon1r) / 2);
        const dc = 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + cosLat1 * Math.cos(lat2r) * v * v));
        if (!(dc > radiusM)) d = dc;
      }
    } else {
      const lonDistance = distance(px, py, lon, py);
      const latDistance = distance(px, py, px, lat);
      if (!(lonDistance > widthM / 2 || latDistance > heightM / 2)) d = distance(lon, lat, px, py);
    }
    if (d >= 0) {
      const ml = zsNodeLen(x);
      const size = (20 + ml + 7) & ~7;
      const p = outReserve(size);
      if (p == 0) return -1;
      store<f64>(p, score);
      store<f64>(p, d, 8);
      store<u32>(p, ml, 16);
      memory.copy(p + 20, zsNodeMember(x), ml);
      outCommit(size);
      n++;
      if (limit != 0 && n >= limit) break;
    }
    x = zsNodeNext(x);
  }
  return <i32>n;
}
