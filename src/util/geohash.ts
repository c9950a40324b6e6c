/**
 * Redis 7.0's geohash (geohash.c, geohash_helper.c): the 52-bit interleaved geohash stored as a
 * sorted-set score, the 9-box neighbour search (geohashCalculateAreasByShapeWGS84), the haversine
 * distance with Earth radius 6372797.560856 m, and the exact number formatting of replies.
 *
 * Representation: a geohash box is its two cell indexes (latitude cell, longitude cell) and the
 * step (bits per coordinate); the interleaved integer (latitude bits even, longitude bits odd) is
 * built exactly from two 32-bit halves, so scores round to doubles exactly as Redis's uint64 ->
 * double conversions do. No BigInt on the hot paths (encode, decode, distance).
 */
import type { LongDouble } from './long-double';
import { formatLongDoubleHuman } from './long-double';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
const D_R = Math.PI / 180.0;
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const TWO32 = 4294967296;
/** 2^0..2^63 (exact doubles): `2 ** n` with a variable n is a C++ pow() call (~2% of a GEOADD). */
const POW2: number[] = Array.from({ length: 64 }, (_, i) => 2 ** i);
function pow2(n: number): number {
  return n >= 0 && n < 64 && (n | 0) === n ? POW2[n] : 2 ** n;
}

/** A geohash box: cell indexes at `step` bits each. step 0 = the zeroed ("excluded") box. */
export interface GeoHash {
  lat: number;
  lon: number;
  step: number;
}

export interface GeoArea {
  latMin: number;
  latMax: number;
  lonMin: number;
  lonMax: number;
}

/** Spread the 16 low bits of x to the even bits of a 32-bit word. */
function spread16(x: number): number {
  x &= 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x >>> 0;
}

/**
 * A 26-bit cell index spread to the bits of a 52-bit hash it occupies (the even bits for a
 * latitude, `odd` 0; the odd bits for a longitude, `odd` 1), as a number: masked hashes compare
 * as their cells do.
 */
function hashKey(cell: number, odd: number): number {
  const c = Math.min(Math.max(cell, 0), CELLS - 1); // a band past either end of the range stops there
  return (spread16(c >>> 16) * TWO32 + spread16(c)) * (odd ? 2 : 1);
}

/** Cells per coordinate at GEO_STEP_MAX (26 bits). */
const CELLS = 67108864;

/** Gather the even bits of a 32-bit word into 16 bits. */
function compact16(x: number): number {
  x &= 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

let outHi = 0;
let outLo = 0;

/** interleave64(lat, lon) into (outHi, outLo). lat and lon are uint32. */
function interleave(lat: number, lon: number): void {
  const lo = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  const hi = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
  outHi = hi;
  outLo = lo;
}

/** The interleaved value of a box, shifted left by `shift` bits, as a double (one rounding). */
function bitsToDouble(lat: number, lon: number, shift: number): number {
  interleave(lat, lon);
  return (outHi * TWO32 + outLo) * pow2(shift); // exact product by a power of two
}

/**
 * geohashEncode on the given ranges: false when outside. Cell indexes are the (uint32) truncation
 * of offset * 2^step, as in C.
 */
export function encode(lon: number, lat: number, step: number, out: GeoHash, latMin = GEO_LAT_MIN, latMax = GEO_LAT_MAX, lonMin = GEO_LONG_MIN, lonMax = GEO_LONG_MAX): boolean {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return false;
  out.step = step;
  out.lat = 0;
  out.lon = 0;
  if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return false;
  let latOffset = (lat - latMin) / (latMax - latMin);
  let lonOffset = (lon - lonMin) / (lonMax - lonMin);
  const scale = pow2(step);
  latOffset *= scale;
  lonOffset *= scale;
  out.lat = Math.trunc(latOffset) >>> 0;
  out.lon = Math.trunc(lonOffset) >>> 0;
  return true;
}

/** GEOADD's score: the step-26 hash aligned to 52 bits, as the double ZADD stores. */
const SCORE_HASH: GeoHash = { lat: 0, lon: 0, step: 0 };

export function scoreOf(lon: number, lat: number): number {
  const h = SCORE_HASH;
  encode(lon, lat, GEO_STEP_MAX, h);
  return bitsToDouble(h.lat, h.lon, 0);
}

/** scoresOfGeoHashBox: [min, max) scores of every step-26 point inside the box. */
export function scoreRange(h: GeoHash): [number, number] {
  const shift = pow2(52 - h.step * 2);
  interleave(h.lat, h.lon);
  // hash.bits + 1: add one to the interleaved integer (exact, through the halves: an index at
  // the range's very end can make the value exceed 2^53).
  let lo = outLo + 1;
  let hi = outHi;
  if (lo === TWO32) {
    lo = 0;
    hi += 1; // may reach 2^32: still exact in a double
  }
  return [(outHi * TWO32 + outLo) * shift, (hi * TWO32 + lo) * shift];
}

/** (uint64_t)score as C converts on x86-64, into [hi, lo] halves. */
function scoreToU64(s: number): [number, number] {
  if (s >= 0 && s < 9007199254740992) {
    const t = Math.trunc(s);
    return [Math.floor(t / TWO32), t % TWO32];
  }
  let v: bigint;
  if (s >= 9223372036854775808) v = s < 18446744073709551616 ? BigInt(s) : 0n;
  else if (s >= -9223372036854775808) v = BigInt.asUintN(64, BigInt(Math.trunc(s)));
  else v = 0x8000000000000000n; // includes -inf
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/** geohashDecode: the area of a box (indexes may exceed 2^step for odd scores, as in C). */
export function decodeArea(lat: number, lon: number, step: number, out: GeoArea): void {
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const div = pow2(step);
  out.latMin = GEO_LAT_MIN + ((lat * 1.0) / div) * latScale;
  out.latMax = GEO_LAT_MIN + ((lat + 1) / div) * latScale;
  out.lonMin = GEO_LONG_MIN + ((lon * 1.0) / div) * lonScale;
  out.lonMax = GEO_LONG_MIN + ((lon + 1) / div) * lonScale;
}

/** decodeGeohash: the [longitude, latitude] a score stands for (the cell centre, clamped). */
export function decodeScore(score: number, xy: number[]): void {
  let hi: number;
  let lo: number;
  if (score >= 0 && score < 9007199254740992) {
    // Every GEOADD score: the halves without scoreToU64's array.
    const t = Math.trunc(score);
    hi = Math.floor(t / TWO32);
    lo = t - hi * TWO32;
  } else [hi, lo] = scoreToU64(score);
  xy[0] = decodedLon(hi, lo);
  xy[1] = decodedLat(hi, lo);
}

/**
 * decodeArea at GEO_STEP_MAX, then the cell centre, in the same operations (same rounding): the
 * latitude of the 52-bit hash (hi, lo) (its even bits), clamped.
 */
function decodedLat(hi: number, lo: number): number {
  return latOfCell((compact16(lo) | (compact16(hi) << 16)) >>> 0);
}

/** decodedLat's centre of latitude cell `lat` (the 26 even bits of a 52-bit hash), clamped. */
function latOfCell(lat: number): number {
  const div = 67108864; // 2^26
  const latScale = GEO_LAT_MAX - GEO_LAT_MIN;
  const latMin = GEO_LAT_MIN + ((lat * 1.0) / div) * latScale;
  const latMax = GEO_LAT_MIN + ((lat + 1) / div) * latScale;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return y;
}

/** The longitude the same way (the odd bits). */
function decodedLon(hi: number, lo: number): number {
  return lonOfCell((compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0);
}

/** decodedLon's centre of longitude cell `lon` (the 26 odd bits), clamped. */
function lonOfCell(lon: number): number {
  const div = 67108864; // 2^26
  const lonScale = GEO_LONG_MAX - GEO_LONG_MIN;
  const lonMin = GEO_LONG_MIN + ((lon * 1.0) / div) * lonScale;
  const lonMax = GEO_LONG_MIN + ((lon + 1) / div) * lonScale;
  let x = (lonMin + lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  return x;
}

/** GEOHASH's 11-character standard geohash of a score. */
export function geohashString(score: number): string {
  const xy = [0, 0];
  decodeScore(score, xy);
  const h: GeoHash = { lat: 0, lon: 0, step: 0 };
  encode(xy[0], xy[1], 26, h, -90, 90, -180, 180);
  interleave(h.lat, h.lon);
  const bits = (BigInt(outHi) << 32n) | BigInt(outLo);
  const alphabet = '0123456789bcdefghjkmnpqrstuvwxyz';
  let s = '';
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    s += alphabet[idx];
  }
  return s;
}

// ---- Distances -------------------------------------------------------------------------------------

function degRad(ang: number): number {
  return ang * D_R;
}

function radDeg(ang: number): number {
  return ang / D_R;
}

/** geohashGetDistance: haversine great-circle distance in meters. */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v));
}

// ---- Search areas ----------------------------------------------------------------------------------

/** A search shape: centre, radius or box (in the unit), and the unit's size in meters. */
export interface GeoShape {
  circular: boolean;
  lon: number;
  lat: number;
  radius: number;
  width: number;
  height: number;
  conversion: number;
  bounds: [number, number, number, number];
}

/** geohashEstimateStepsByRadius */
export function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox */
function boundingBox(s: GeoShape): void {
  const height = s.conversion * (s.circular ? s.radius : s.height / 2);
  const width = s.conversion * (s.circular ? s.radius : s.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const lonDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat + latDelta)));
  const lonDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(s.lat - latDelta)));
  const southern = s.lat < 0;
  s.bounds[0] = southern ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop;
  s.bounds[2] = southern ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop;
  s.bounds[1] = s.lat - latDelta;
  s.bounds[3] = s.lat + latDelta;
}

function moved(h: GeoHash, dx: number, dy: number): GeoHash {
  const m = pow2(h.step);
  // geohash_move_x / _y: the index moves by one, modulo 2^step (the masked carry).
  const lon = dx === 0 ? h.lon : (((h.lon + dx) % m) + m) % m;
  const lat = dy === 0 ? h.lat : (((h.lat + dy) % m) + m) % m;
  return { lat, lon, step: h.step };
}

/**
 * geohashCalculateAreasByShapeWGS84 + membersOfAllNeighbors' order: the 9 boxes to scan, in
 * Redis's order (centre, N, S, E, W, NE, NW, SE, SW); excluded boxes have step 0.
 */
export function searchBoxes(s: GeoShape): GeoHash[] {
  boundingBox(s);
  const [minLon, minLat, maxLon, maxLat] = s.bounds;
  let radiusMeters = s.circular ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateSteps(radiusMeters, s.lat);
  let hash: GeoHash = { lat: 0, lon: 0, step: 0 };
  encode(s.lon, s.lat, steps, hash);
  let n = neighbours(hash);
  const area: GeoArea = { latMin: 0, latMax: 0, lonMin: 0, lonMax: 0 };
  decodeArea(hash.lat, hash.lon, hash.step, area);

  let decrease = false;
  {
    const a: GeoArea = { latMin: 0, latMax: 0, lonMin: 0, lonMax: 0 };
    decodeArea(n.north.lat, n.north.lon, n.north.step, a);
    if (a.latMax < maxLat) decrease = true;
    decodeArea(n.south.lat, n.south.lon, n.south.step, a);
    if (a.latMin > minLat) decrease = true;
    decodeArea(n.east.lat, n.east.lon, n.east.step, a);
    if (a.lonMax < maxLon) decrease = true;
    decodeArea(n.west.lat, n.west.lon, n.west.step, a);
    if (a.lonMin > minLon) decrease = true;
  }
  if (steps > 1 && decrease) {
    steps--;
    hash = { lat: 0, lon: 0, step: 0 };
    encode(s.lon, s.lat, steps, hash);
    n = neighbours(hash);
    decodeArea(hash.lat, hash.lon, hash.step, area);
  }
  const zero: GeoHash = { lat: 0, lon: 0, step: 0 };
  if (steps >= 2) {
    if (area.latMin < minLat) n.south = n.southWest = n.southEast = zero;
    if (area.latMax > maxLat) n.north = n.northEast = n.northWest = zero;
    if (area.lonMin < minLon) n.west = n.southWest = n.northWest = zero;
    if (area.lonMax > maxLon) n.east = n.southEast = n.northEast = zero;
  }
  return [hash, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest];
}

function neighbours(h: GeoHash) {
  return {
    east: moved(h, 1, 0),
    west: moved(h, -1, 0),
    south: moved(h, 0, -1),
    north: moved(h, 0, 1),
    northWest: moved(h, -1, 1),
    northEast: moved(h, 1, 1),
    southEast: moved(h, 1, -1),
    southWest: moved(h, -1, -1),
  };
}

/** The distance from the centre when the point is inside the shape, else -1. */
export function distanceIfInShape(s: GeoShape, lon: number, lat: number): number {
  if (s.circular) {
    const d = distance(s.lon, s.lat, lon, lat);
    return d > s.radius * s.conversion ? -1 : d;
  }
  const widthM = s.width * s.conversion;
  const heightM = s.height * s.conversion;
  const lonDistance = distance(lon, lat, s.lon, lat);
  const latDistance = distance(lon, lat, lon, s.lat);
  if (lonDistance > widthM / 2 || latDistance > heightM / 2) return -1;
  return distance(s.lon, s.lat, lon, lat);
}

/**
 * distanceIfInShape for one search's many members (assembly/geo.ts's filter, in JS): the centre's
 * terms of the circle's distance computed once (the same values the formula computes each time),
 * and sure rejects by latitude and longitude before the exact formula. A rejected member is one
 * whose true distance exceeds the radius by far more than any rounding (see assembly/geo.ts), so
 * exactly the same members pass, with the same distances.
 */
export class ShapeFilter {
  private readonly radiusM: number;
  private readonly lat1r: number;
  private readonly lon1r: number;
  private readonly cosLat1: number;
  private readonly reject: number;
  private readonly lonK: number;

  constructor(private readonly s: GeoShape) {
    this.radiusM = s.circular ? s.radius * s.conversion : -1;
    this.lat1r = degRad(s.lat);
    this.lon1r = degRad(s.lon);
    this.cosLat1 = Math.cos(this.lat1r);
    this.reject = this.radiusM * 1.000001 + 0.001;
    const maxLat2 = Math.abs(this.lat1r) + this.reject / EARTH_RADIUS_IN_METERS;
    this.lonK = maxLat2 < 1.5 ? 2.0 * EARTH_RADIUS_IN_METERS * Math.sqrt(this.cosLat1 * Math.cos(maxLat2) * 0.999999) : 0.0;
    if (this.radiusM >= 0) this.cellBands(maxLat2);
  }

  /**
   * Cell bands for testScore (circles only): the latitude and longitude cells (26-bit indexes, as
   * latOfCell / lonOfCell number them) outside which the sure rejects above reject a member, with
   * two cells of margin (~0.5 m, against rounding errors below 1e-9 m). A member outside a band is
   * turned away by comparing two integers, before any floating-point work; one inside takes the
   * path it always took, so the same members pass with the same distances.
   * - Latitude: |lat2 - lat1| * R > reject rejects; a cell centre is monotonic in its index.
   * - Longitude, only when the rejection is monotonic over the band: lonK > 0, the band's half-angle
   *   t1 (where lonK * t1 * (1 - t1^2 / 6) exceeds reject) under 0.5 rad, far from the poles
   *   (maxLat2 < 1.4 rad), and the band not crossing the antimeridian. Members beyond t = sqrt(2),
   *   where that term decreases again, are then farther than the radius anyway.
   */
  private cellBands(maxLat2: number): void {
    const rejectDeg = (this.reject / EARTH_RADIUS_IN_METERS) * (180 / Math.PI);
    const latCell = (GEO_LAT_MAX - GEO_LAT_MIN) / CELLS;
    this.latKeyLo = hashKey(Math.floor((this.s.lat - rejectDeg - GEO_LAT_MIN) / latCell) - 2, 0);
    this.latKeyHi = hashKey(Math.ceil((this.s.lat + rejectDeg - GEO_LAT_MIN) / latCell) + 2, 0);
    if (this.lonK <= 0 || maxLat2 >= 1.4) return;
    const base = this.reject / this.lonK;
    let t1 = base;
    for (let i = 0; i < 4; i++) t1 = base / (1 - (t1 * t1) / 6);
    t1 *= 1.001;
    if (!(t1 < 0.5) || !(this.lonK * t1 * (1.0 - (t1 * t1) / 6.0) > this.reject)) return;
    const halfDeg = 2 * t1 * (180 / Math.PI);
    if (this.s.lon - halfDeg <= GEO_LONG_MIN || this.s.lon + halfDeg >= GEO_LONG_MAX) return;
    const lonCell = (GEO_LONG_MAX - GEO_LONG_MIN) / CELLS;
    this.lonKeyLo = hashKey(Math.floor((this.s.lon - halfDeg - GEO_LONG_MIN) / lonCell) - 2, 1);
    this.lonKeyHi = hashKey(Math.ceil((this.s.lon + halfDeg - GEO_LONG_MIN) / lonCell) + 2, 1);
  }

  /**
   * cellBands' bands as hashKeys (the whole range when there is none): testScore compares them
   * with a member's hash bits masked in place, without extracting its cells.
   */
  private latKeyLo = 0;
  private latKeyHi = hashKey(CELLS - 1, 0);
  private lonKeyLo = 0;
  private lonKeyHi = hashKey(CELLS - 1, 1);

  /**
   * test() of a member's score (decodeScore's position): the cell bands first, then the sure
   * rejects, then the exact formula. Same operations as test() for every member it accepts, so
   * the same members pass with the same distances.
   */
  testScore(score: number): number {
    if (this.radiusM < 0 || !(score >= 0 && score < 9007199254740992)) {
      decodeScore(score, this.xy);
      return this.test(this.xy[0], this.xy[1]);
    }
    const t0 = Math.trunc(score);
    const hi = Math.floor(t0 / TWO32) | 0; // < 2^21
    const lo = (t0 - hi * TWO32) | 0; // the low 32 bits, as an int32
    const latKey = (hi & 0x55555) * TWO32 + ((lo & 0x55555555) >>> 0);
    if (latKey < this.latKeyLo || latKey > this.latKeyHi) return -1;
    const lonKey = (hi & 0xaaaaa) * TWO32 + ((lo & 0xaaaaaaaa) >>> 0);
    if (lonKey < this.lonKeyLo || lonKey > this.lonKeyHi) return -1;
    const latCell = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
    const lonCell = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
    const lat2r = degRad(latOfCell(latCell));
    const dLat = Math.abs(lat2r - this.lat1r);
    if (dLat * EARTH_RADIUS_IN_METERS > this.reject) return -1;
    const lon2r = degRad(lonOfCell(lonCell));
    const t = Math.abs(lon2r - this.lon1r) * 0.5;
    const b = this.lonK * t * (1.0 - (t * t) / 6.0);
    if (b > this.reject) return -1;
    // Both sure rejects at once: with s = dLat / 2, the distance is at least the length of
    // (2R * s * (1 - s^2/6), b), as sin(x) >= x - x^3/6 (x >= 0) and asin(y) >= y; and
    // lonK^2 / 4R^2 <= cos(lat1) * cos(lat2) once the latitude test passed. No trigonometry.
    const sh = dLat * 0.5;
    const a = 2.0 * EARTH_RADIUS_IN_METERS * sh * (1.0 - (sh * sh) / 6.0);
    if (b > 0 && a * a + b * b > this.reject * this.reject) return -1;
    const u = Math.sin((lat2r - this.lat1r) / 2);
    const v = Math.sin((lon2r - this.lon1r) / 2);
    const d = 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + this.cosLat1 * Math.cos(lat2r) * v * v));
    return d > this.radiusM ? -1 : d;
  }
  private readonly xy = [0, 0];

  /** The distance from the centre when (lon, lat) is inside the shape, else -1. */
  test(lon: number, lat: number): number {
    if (this.radiusM < 0) return distanceIfInShape(this.s, lon, lat);
    const lat2r = degRad(lat);
    const lon2r = degRad(lon);
    const t = Math.abs(lon2r - this.lon1r) * 0.5;
    if (Math.abs(lat2r - this.lat1r) * EARTH_RADIUS_IN_METERS > this.reject || this.lonK * t * (1.0 - (t * t) / 6.0) > this.reject) return -1;
    const u = Math.sin((lat2r - this.lat1r) / 2);
    const v = Math.sin((lon2r - this.lon1r) / 2);
    const d = 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(u * u + this.cosLat1 * Math.cos(lat2r) * v * v));
    return d > this.radiusM ? -1 : d;
  }
}

// ---- Number formatting ------------------------------------------------------------------------------

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A finite double as an exact LongDouble (sign, significand, exponent). */
function exact(d: number): LongDouble {
  f64[0] = d;
  const hi = u32[1];
  const lo = u32[0];
  const neg = (hi >>> 31) === 1;
  const bexp = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (bexp === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = bexp - 1075;
  }
  return { neg, m, e };
}

/**
 * printf("%.<digits>f") of a double, exactly as glibc prints it (exact decimal expansion, ties to
 * even). toFixed is exact except for its ties (it rounds them up) and values of 1e21 or more.
 */
export function formatFixed(d: number, digits: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isNaN(d)) return 'nan';
  const tieFree = !Number.isInteger(d * pow2(digits + 1));
  if (Math.abs(d) < 1e21 && tieFree) {
    const s = d.toFixed(digits);
    return Object.is(d, -0) || (d < 0 && !s.startsWith('-')) ? '-' + s : s;
  }
  const v = exact(d);
  const p = 10n ** BigInt(digits);
  let scaled: bigint;
  if (v.e >= 0) scaled = (v.m << BigInt(v.e)) * p;
  else {
    const den = 1n << BigInt(-v.e);
    const n = v.m * p;
    scaled = n / den;
    const twice = (n % den) * 2n;
    if (twice > den || (twice === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const str = scaled.toString().padStart(digits + 1, '0');
  const out = digits > 0 ? str.slice(0, -digits) + '.' + str.slice(-digits) : str;
  return v.neg ? '-' + out : out;
}

/** addReplyHumanLongDouble's text: "%.17Lf" of the value, trailing zeros and '.' removed. */
export function formatHuman(d: number): string {
  if (!Number.isFinite(d)) return d > 0 ? 'inf' : '-inf';
  // Fast path: toFixed(17) is exact unless a tie is possible (d * 2^18 integral) or d >= 1e21.
  if (Math.abs(d) < 1e21 && !Number.isInteger(d * 262144)) {
    let s = Math.abs(d).toFixed(17);
    s = s.replace(/0+$/, '').replace(/\.$/, '');
    return d < 0 && s !== '0' ? '-' + s : s;
  }
  return formatLongDoubleHuman(exact(d));
}
