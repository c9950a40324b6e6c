/**
 * The latency monitor (latency.c) and per-command latency tracking (server.c's
 * latency_histogram, hdr_histogram with 2 significant digits, in nanoseconds).
 *
 * - Events: a sample (ms) is kept when latency-monitor-threshold > 0 and the duration reaches it:
 *   "command" / "fast-command" from call(), "expire-cycle" from active expiry. Each event keeps a
 *   ring of 160 samples, at most one per second (the larger wins), and its all-time maximum.
 * - Histograms (latency-tracking yes): every call's duration (µs × 1000 ns, clamped to
 *   [1 ns, 1 s]) is counted in an HDR histogram of Redis's geometry (256 sub-buckets, so values
 *   are exact up to 255 ns and within 1% above), which gives INFO latencystats percentiles and
 *   LATENCY HISTOGRAM's cumulative power-of-two buckets with the same values Redis computes
 *   for the same durations.
 *
 * Costs: a call() adds one Map lookup and one array increment (tracking on), nothing else while
 * the threshold is 0.
 */
import type { Server } from '../server/server';
import type { Command } from '../commands/table';
import { CmdFlag } from '../commands/table';
import { dateNow } from '../util/real-timers';

export const LATENCY_TS_LEN = 160;

export interface LatencySample {
  time: number;
  latency: number;
}

export class LatencyTimeSeries {
  idx = 0;
  max = 0;
  readonly samples: LatencySample[] = Array.from({ length: LATENCY_TS_LEN }, () => ({ time: 0, latency: 0 }));

  /** latencyAddSample */
  add(now: number, latency: number): void {
    if (latency > this.max) this.max = latency;
    const prev = (this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN;
    if (this.samples[prev].time === now) {
      if (latency > this.samples[prev].latency) this.samples[prev].latency = latency;
      return;
    }
    this.samples[this.idx] = { time: now, latency };
    this.idx = (this.idx + 1) % LATENCY_TS_LEN;
  }

  last(): LatencySample {
    return this.samples[(this.idx + LATENCY_TS_LEN - 1) % LATENCY_TS_LEN];
  }

  /** Samples oldest first (time 0 = unused slot). */
  inOrder(): LatencySample[] {
    const out: LatencySample[] = [];
    for (let j = 0; j < LATENCY_TS_LEN; j++) {
      const s = this.samples[(this.idx + j) % LATENCY_TS_LEN];
      if (s.time !== 0) out.push(s);
    }
    return out;
  }
}

// hdr_histogram geometry for lowest 1, highest 1e9, 2 significant figures.
const SUB_BUCKET_HALF_MAG = 7;
const SUB_BUCKET_HALF = 128;
const HIST_MIN = 1;
const HIST_MAX = 1_000_000_000;
const COUNTS_LEN = (bucketIndex(HIST_MAX) + 2) * SUB_BUCKET_HALF;

function bucketIndex(v: number): number {
  return 32 - Math.clz32(v | 255) - (SUB_BUCKET_HALF_MAG + 1);
}

function countsIndex(v: number): number {
  const b = bucketIndex(v);
  const sb = v >>> b;
  return ((b + 1) << SUB_BUCKET_HALF_MAG) + (sb - SUB_BUCKET_HALF);
}

function valueFromIndex(i: number): number {
  let b = (i >> SUB_BUCKET_HALF_MAG) - 1;
  let sb = (i & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (b < 0) {
    sb -= SUB_BUCKET_HALF;
    b = 0;
  }
  return sb * 2 ** b;
}

function lowestEquivalent(v: number): number {
  const b = bucketIndex(v);
  return (v >>> b) * 2 ** b;
}

function highestEquivalent(v: number): number {
  const b = bucketIndex(v);
  return lowestEquivalent(v) + 2 ** b - 1;
}

export class Histogram {
  readonly counts = new Float64Array(COUNTS_LEN);
  total = 0;
  maxValue = 0;

  /** `times` calls of ns each (the fast lane records a batch's calls at their equal share). */
  record(ns: number, times = 1): void {
    if (ns < HIST_MIN) ns = HIST_MIN;
    else if (ns > HIST_MAX) ns = HIST_MAX;
    this.counts[countsIndex(ns)] += times;
    this.total += times;
    if (ns > this.maxValue) this.maxValue = ns;
  }

  /** hdr_value_at_percentile */
  valueAtPercentile(p: number): number {
    const req = p < 100 ? p : 100;
    let countAt = Math.floor((req / 100) * this.total + 0.5);
    if (countAt < 1) countAt = 1;
    let acc = 0;
    let v = 0;
    for (let i = 0; i < COUNTS_LEN; i++) {
      acc += this.counts[i];
      if (acc >= countAt) {
        v = valueFromIndex(i);
        break;
      }
    }
    return p === 0 ? lowestEquivalent(v) : highestEquivalent(v);
  }

  /** fillCommandCDF: [µs, cumulative count] at 1024 ns × 2^k reporting levels, where the count grows. */
  cdf(): [number, number][] {
    const out: [number, number][] = [];
    let level = 1024;
    let prev = 0;
    let idx = 0;
    let acc = 0;
    for (;;) {
      const hi = highestEquivalent(Math.min(level, HIST_MAX));
      while (idx < COUNTS_LEN && valueFromIndex(idx) <= hi) acc += this.counts[idx++];
      if (acc > prev) out.push([Math.floor(hi / 1000), acc]);
      prev = acc;
      if (acc >= this.total || level >= HIST_MAX) break;
      level *= 2;
    }
    return out;
  }
}

export class LatencyMonitor {
  readonly events = new Map<string, LatencyTimeSeries>();
  /** Each command's histogram; the command keeps a reference too (Command.latencyHist) for afterCall. */
  readonly histograms = new Map<Command, Histogram>();
  /** latency-tracking, mirrored for the hot path (Config.set calls no hook: read per call). */
  constructor(private readonly server: Server) {}

  /** call()'s hook: the command's duration in µs. */
  afterCall(cmd: Command, usec: number, blocked: boolean, times = 1): void {
    const server = this.server;
    if (server.config.hot['latency-tracking']) {
      // Read from the command (no Map lookup per call: a script's redis.calls alternate commands).
      let h = cmd.latencyHist;
      if (h === null) this.histograms.set(cmd, (h = cmd.latencyHist = new Histogram()));
      h.record(usec * 1000, times);
    }
    if (!blocked) this.addSampleIfNeeded((cmd.flags & CmdFlag.FAST) !== 0 ? 'fast-command' : 'command', Math.floor(usec / 1000));
  }

  /** latencyAddSampleIfNeeded */
  addSampleIfNeeded(event: string, ms: number): void {
    const threshold = this.server.config.hot['latency-monitor-threshold'];
    if (threshold === 0 || ms < threshold) return;
    let ts = this.events.get(event);
    if (ts === undefined) this.events.set(event, (ts = new LatencyTimeSeries()));
    ts.add(Math.floor(dateNow() / 1000), ms);
  }

  /** CONFIG RESETSTAT: the per-command histograms go. */
  resetHistograms(): void {
    for (const cmd of this.histograms.keys()) cmd.latencyHist = null;
    this.histograms.clear();
  }

  /** INFO latencystats lines, in INFO commandstats' command order. */
  infoLines(): string[] {
    const pcts = percentiles(this.server.config.str('latency-tracking-info-percentiles'));
    const out: string[] = [];
    for (const cmd of this.server.table.allWithSubcommands()) {
      const h = this.histograms.get(cmd);
      if (h === undefined || h.total === 0) continue;
      out.push(`latency_percentiles_usec_${cmd.fullname}:` + pcts.map((p) => `p${trimDouble(p)}=${(h.valueAtPercentile(p) / 1000).toFixed(3)}`).join(','));
    }
    return out;
  }
}

export function percentiles(text: string): number[] {
  return text.split(/\s+/).filter(Boolean).map(Number);
}

/** "%f" then trimDoubleString: 50 -> "50", 99.9 -> "99.9". */
export function trimDouble(p: number): string {
  return p.toFixed(6).replace(/\.?0+$/, '');
}
