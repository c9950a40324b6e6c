/**
 * LATENCY (latency.c): LATEST, HISTORY, RESET, GRAPH, DOCTOR, HISTOGRAM, HELP. The samples and
 * histograms are kept by observability/latency.ts; GRAPH draws with util/sparkline.ts.
 */
import fs from 'fs';
import type { Client } from '../server/client';
import type { CommandRow, Command } from './table';
import { container } from './table';
import { latin1 } from '../util/number';
import { replyHelp } from './help';
import type { Histogram, LatencyTimeSeries } from '../observability/latency';
import { LATENCY_TS_LEN } from '../observability/latency';
import { fail } from './errors';
import { SparklineSequence, sparklineRender, SPARKLINE_FILL } from '../util/sparkline';
import { dateNow } from '../util/real-timers';

const LATENCY_GRAPH_COLS = 80;

/** Event names are case-sensitive, as Redis's latency_events dict. */
function eventOf(c: Client, name: Buffer): LatencyTimeSeries | undefined {
  return c.server.latency.events.get(latin1(name));
}

function latest(c: Client): void {
  const events = c.server.latency.events;
  c.reply.array(events.size);
  for (const [name, ts] of events) {
    const last = ts.last();
    c.reply.array(4);
    c.reply.bulk(name);
    c.reply.int(last.time);
    c.reply.int(last.latency);
    c.reply.int(ts.max);
  }
}

function history(c: Client, argv: Buffer[]): void {
  const ts = eventOf(c, argv[2]);
  const samples = ts ? ts.inOrder() : [];
  c.reply.array(samples.length);
  for (const s of samples) {
    c.reply.array(2);
    c.reply.int(s.time);
    c.reply.int(s.latency);
  }
}

function reset(c: Client, argv: Buffer[]): void {
  const events = c.server.latency.events;
  if (argv.length === 2) {
    const n = events.size;
    events.clear();
    c.reply.int(n);
    return;
  }
  let resets = 0;
  for (let j = 2; j < argv.length; j++) if (events.delete(latin1(argv[j]))) resets++;
  c.reply.int(resets);
}

/** latencyCommandGenSparkeline: the samples oldest first, labelled with their age. */
function genSparkline(event: string, ts: LatencyTimeSeries): string {
  const seq = new SparklineSequence();
  let min = 0;
  let max = 0;
  const now = Math.floor(dateNow() / 1000);
  for (let j = 0; j < LATENCY_TS_LEN; j++) {
    const s = ts.samples[(ts.idx + j) % LATENCY_TS_LEN];
    if (s.time === 0) continue;
    if (seq.samples.length === 0) min = max = s.latency;
    else {
      if (s.latency > max) max = s.latency;
      if (s.latency < min) min = s.latency;
    }
    const elapsed = now - s.time;
    const label =
      elapsed < 60 ? `${elapsed}s` : elapsed < 3600 ? `${Math.trunc(elapsed / 60)}m` : elapsed < 86400 ? `${Math.trunc(elapsed / 3600)}h` : `${Math.trunc(elapsed / 86400)}d`;
    seq.add(s.latency, label);
  }
  let graph = `${event} - high ${max} ms, low ${min} ms (all time high ${ts.max} ms)\n`;
  graph += '-'.repeat(LATENCY_GRAPH_COLS) + '\n';
  return graph + sparklineRender(seq, LATENCY_GRAPH_COLS, 4, SPARKLINE_FILL);
}

function graph(c: Client, argv: Buffer[]): void {
  const name = latin1(argv[2]);
  const ts = c.server.latency.events.get(name);
  if (ts === undefined) fail(`ERR No samples available for event '${name}'`);
  c.reply.verbatim(genSparkline(name, ts));
}

/** analyzeLatencyForEvent */
function analyze(ts: LatencyTimeSeries): { samples: number; avg: number; mad: number; period: number } {
  const xs = ts.samples.filter((s) => s.time !== 0);
  if (xs.length === 0) return { samples: 0, avg: 0, mad: 0, period: 0 };
  let sum = 0;
  let oldest = 0;
  for (const s of xs) {
    sum += s.latency;
    if (oldest === 0 || s.time < oldest) oldest = s.time;
  }
  const avg = Math.floor(sum / xs.length);
  let period = Math.floor(dateNow() / 1000) - oldest;
  if (period === 0) period = 1;
  let dev = 0;
  for (const s of xs) dev += Math.abs(avg - s.latency);
  return { samples: xs.length, avg, mad: Math.floor(dev / xs.length), period };
}

function anonHugePages(): number {
  try {
    const smaps = fs.readFileSync('/proc/self/smaps', 'latin1');
    let kb = 0;
    for (const m of smaps.matchAll(/^AnonHugePages:\s+(\d+) kB/gm)) kb += Number(m[1]);
    return kb;
  } catch {
    return 0;
  }
}

/** createLatencyReport */
function doctorReport(c: Client): string {
  const server = c.server;
  const events = server.latency.events;
  const threshold = server.config.int('latency-monitor-threshold');
  if (events.size === 0 && threshold === 0) {
    return 'I\'m sorry, Dave, I can\'t do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep space mission I\'d suggest to take a look at https://redis.io/topics/latency-monitor.\n';
  }
  let report = '';
  let eventnum = 0;
  let advices = 0;
  let slowlogEnabled = false;
  let slowlogTuning = false;
  let slowlogInspect = false;
  let largeObjects = false;
  let scheduler = false;
  let adviseHz = false;
  for (const [name, ts] of events) {
    eventnum++;
    if (eventnum === 1) report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    const ls = analyze(ts);
    report += `${eventnum}. ${name}: ${ls.samples} latency spikes (average ${ls.avg}ms, mean deviation ${ls.mad}ms, period ${(ls.period / ls.samples).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
    if (name === 'command') {
      const slower = server.config.int('slowlog-log-slower-than');
      if (slower < 0 || server.config.int('slowlog-max-len') === 0) {
        slowlogEnabled = true;
        advices++;
      } else if (Math.floor(slower / 1000) > threshold) {
        slowlogTuning = true;
        advices++;
      }
      slowlogInspect = largeObjects = true;
      advices += 2;
    }
    if (name === 'fast-command') {
      scheduler = true;
      advices++;
    }
    if (name === 'expire-cycle') {
      adviseHz = largeObjects = true;
      advices += 2;
    }
    report += '\n';
  }
  const thp = anonHugePages() > 0;
  if (thp) advices++;
  if (eventnum === 0 && advices === 0) {
    report += 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  } else if (eventnum > 0 && advices === 0) {
    report += "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
  } else {
    report += '\nI have a few advices for you:\n\n';
    if (slowlogEnabled) {
      report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${threshold * 1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
    }
    if (slowlogTuning) {
      report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${threshold * 1000}'.\n`;
    }
    if (slowlogInspect) {
      report += '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
    }
    if (scheduler) {
      report +=
        '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
        '  1) Lower the system load.\n' +
        '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
        '  3) Check if you have a "noisy neighbour" problem.\n' +
        "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
        '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
    }
    if (adviseHz && server.config.int('hz') < 100) {
      report += "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
    }
    if (largeObjects) {
      report += '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
    }
    if (thp) {
      report +=
        "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n";
    }
  }
  return report;
}

function doctor(c: Client): void {
  c.reply.verbatim(doctorReport(c));
}

function fillCDF(c: Client, h: Histogram): void {
  c.reply.map(2);
  c.reply.bulk('calls');
  c.reply.int(h.total);
  c.reply.bulk('histogram_usec');
  const cdf = h.cdf();
  c.reply.map(cdf.length);
  for (const [us, n] of cdf) {
    c.reply.int(us);
    c.reply.int(n);
  }
}

function histogram(c: Client, argv: Buffer[]): void {
  const lat = c.server.latency;
  const picked: [string, Histogram][] = [];
  const addAll = (cmds: Iterable<Command>) => {
    for (const cmd of cmds) {
      const h = lat.histograms.get(cmd);
      if (h !== undefined && h.total > 0) picked.push([cmd.fullname, h]);
      if (cmd.subcommands) addAll(cmd.subcommands.values());
    }
  };
  if (argv.length === 2) addAll(c.server.table.all());
  else {
    for (let j = 2; j < argv.length; j++) {
      const name = latin1(argv[j]).toLowerCase();
      const [top, sub] = name.split('|');
      let cmd = c.server.table.get(top);
      if (cmd && sub !== undefined) cmd = cmd.subcommands?.get(sub);
      if (!cmd) continue;
      const h = lat.histograms.get(cmd);
      if (h !== undefined && h.total > 0) picked.push([cmd.fullname, h]);
      if (cmd.subcommands && sub === undefined) addAll(cmd.subcommands.values());
    }
  }
  c.reply.map(picked.length);
  for (const [name, h] of picked) {
    c.reply.bulk(name);
    fillCDF(c, h);
  }
}

function help(c: Client): void {
  replyHelp(c, 'latency');
}


export const commands: CommandRow[] = [
  { name: 'latency', handler: container },
  { name: 'latency|latest', handler: latest },
  { name: 'latency|history', handler: history },
  { name: 'latency|reset', handler: reset },
  { name: 'latency|doctor', handler: doctor },
  { name: 'latency|graph', handler: graph },
  { name: 'latency|histogram', handler: histogram },
  { name: 'latency|help', handler: help },
];
