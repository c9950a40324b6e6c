/**
 * The fast lane: pipelined LPUSH/RPUSH/LPOP/RPOP/SADD/HSET/SPOP/ZADD/ZPOPMIN/ZPOPMAX/PFADD on existing
 * values, plain SET, INCR/DECR/INCRBY/DECRBY, SETBIT, one-operation BITFIELD, and
 * GET/GETBIT/LRANGE/ZRANGE/SMEMBERS/HGETALL, run inside the
 * engine (Db.runLane: the wasm engine's assembly/lane.ts, the js-map engine's
 * src/engine/js-map/lane.ts, serving the same frames), one call for a run of commands instead
 * of the parser, dispatcher and handler per command. This module decides when a run may happen
 * and books what the commands it ran would have booked through call().
 *
 * A run may happen only when none of what those commands do besides their reply and the data
 * change can matter (what the lane cannot do, the general path does):
 * - the client may skip processCommand's checks (Dispatcher.mayShortcut), its user has no ACL
 *   restriction, no command was renamed, and it writes straight to its socket buffer;
 * - no maxmemory (eviction, OOM rejection) unless the engine stops a run before the first frame
 *   past it (Db.laneMaxmemory: the server evicts before that frame), AOF writable, and no
 *   propagation target (the AOF)
 *   unless the engine can serve for one (Db.laneVerbatim) and nothing is queued before the run:
 *   the engine then serves only commands Redis propagates as sent that always change the
 *   dataset (LaneParams.propagated), and the run's frames go to the AOF as the client sent them
 *   (Propagator.propagateVerbatim);
 * - nobody to tell: no keyspace notifications, no WATCHed key, no client tracking, no client
 *   blocked on a key, no MONITOR;
 * - latency monitoring off and SLOWLOG not logging commands of LANE_SLOWLOG_FLOOR µs or less
 *   (see below).
 * The engine itself stops before any frame it does not serve exactly as the handler would
 * (the engines' lane.ts list them), and leaves a snapshot in progress to the general path.
 *
 * Stats: per command, calls as call() counts them; the run's duration (one clock read per run,
 * chained as call() chains them) is shared equally by its commands in commandstats usec, the
 * per-command latency histograms and SLOWLOG's threshold test. Such commands are O(1) on a few
 * short arguments; a run that is slower than LANE_SLOWLOG_FLOOR per command cannot be logged
 * command by command, so the lane does not run while SLOWLOG would log commands that fast.
 *
 * After a run stops at a frame, that frame goes through the parser and the dispatcher. Other
 * commands cost a look at their name (laneName); when a run serves no frame at all although the
 * name looked like one of the lane's (SREM, RPOPLPUSH, a missing key...), the client's next
 * LANE_BACKOFF command boundaries skip the lane, so such traffic pays its input copy rarely.
 */
import type { Client } from './client';
import type { Server } from './server';
import type { Command } from '../commands/table';
import type { LaneParams } from '../engine/types';
import { LANE_IDS, LANE_STATS_BYTES, LS_CMDS, LS_DIRTY, LS_HITS, LS_LAST, LS_MISSES, LS_OOM } from '../engine/wasm/abi';
import { ClientFlag } from './client';
import { LANE_NAMES } from '../engine/lane-commands';
import { OOM } from '../commands/errors';
import { performance } from '../util/real-timers';

/** SLOWLOG thresholds (µs) at or below which the lane stays off (see the header). */
const LANE_SLOWLOG_FLOOR = 1000;
/** Command boundaries a client skips the lane for after a run that served nothing. */
const LANE_BACKOFF = 4;


/**
 * For each name length 1..9, a bit per first letter (a = bit 0) of the lane's commands of that
 * length, and their names as bytes: derived from LANE_NAMES, so a command added there is looked
 * for here.
 */
const FIRST_LETTERS = new Uint32Array(10);
const NAMES_BY_LENGTH: Uint8Array[][] = Array.from({ length: 10 }, () => []);
for (const name of Object.values(LANE_NAMES)) {
  FIRST_LETTERS[name.length] |= 1 << (name.charCodeAt(0) - 97);
  NAMES_BY_LENGTH[name.length].push(Buffer.from(name, 'latin1'));
}

/**
 * A look at the next frame's command name (`*N CRLF $L CRLF name`): whether it is one the lane
 * runs, in any case, so that other commands cost no input copy and no failed run (a look at
 * the length and first letter alone let HGET, GETSET, SELECT, SCRIPT and ZSCORE through).
 * `| 0x20` lowers a letter and turns no other byte into one.
 */
function laneName(buf: Buffer, pos: number): boolean {
  let p = pos + 1;
  const end = buf.length;
  while (p < end && buf[p] !== 13) p++;
  // p: the count line's CR; then LF, '$', one digit, CR, LF, the name.
  if (p + 7 >= end || buf[p + 2] !== 36 /* '$' */ || buf[p + 4] !== 13) return false;
  const len = buf[p + 3] - 48;
  if (len < 1 || len > 9 || p + 5 + len >= end) return false;
  const at = p + 6;
  const first = (buf[at] | 0x20) - 97;
  if (first < 0 || first >= 26 || ((FIRST_LETTERS[len] >>> first) & 1) === 0) return false;
  const names = NAMES_BY_LENGTH[len];
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    let i = 0;
    while (i < len && (buf[at + i] | 0x20) === name[i]) i++;
    if (i === len) return true;
  }
  return false;
}

export class Lane {
  /** Commands by lane id. */
  private readonly commands: Command[] = [];
  private readonly stats = new Uint32Array(LANE_STATS_BYTES / 4);
  private readonly params: LaneParams = { resp3: false, listFill: -2, maxIntset: 512, hashMaxValue: 64, hashMaxEntries: 128, maxBulkLen: 512 * 1024 * 1024, maxValue: 0, zsetMaxEntries: 128, zsetMaxValue: 64, propagated: false, headroom: Infinity };

  constructor(private readonly server: Server) {
    if (LANE_IDS * 4 > LS_DIRTY) throw new Error('fast lane: the stats block has no room for every id (abi.ts)');
    for (let id = 1; id < LANE_IDS; id++) {
      const cmd = server.table.get(LANE_NAMES[id]);
      if (cmd === undefined) throw new Error(`fast lane: no command ${LANE_NAMES[id]}`);
      this.commands[id] = cmd;
    }
  }

  /** Whether a run may happen for `c` now (see the header). */
  private open(c: Client): boolean {
    const server = this.server;
    const hot = server.config.hot;
    return (
      server.dispatcher.mayShortcut(c) &&
      c.reply === c.writer &&
      (c.flags & ClientFlag.NO_TOUCH) === 0 &&
      (hot.maxmemory === 0 || c.db.laneMaxmemory === true) &&
      (!server.propagation.active || (c.db.laneVerbatim === true && server.propagation.idle)) &&
      server.aof.writeStatusOk &&
      server.keyspace.flags === 0 &&
      server.watches.keyCount === 0 &&
      !server.tracking.active &&
      server.blocking.keyCount === 0 &&
      server.monitors.clients.size === 0 &&
      hot['latency-monitor-threshold'] === 0 &&
      !server.slowlog.wants(LANE_SLOWLOG_FLOOR) &&
      !server.table.renamed &&
      (c.aclUser ?? server.acl.defaultUser).unrestricted
    );
  }

  /**
   * At a command boundary of c's input (buf[pos] is '*'): run what the lane serves from there.
   * Returns the bytes consumed (0: nothing ran; the parser goes on as usual).
   */
  run(c: Client, buf: Buffer, pos: number): number {
    const db = c.db;
    if (db.runLane === undefined || !laneName(buf, pos)) return 0;
    if (c.laneBackoff > 0) {
      c.laneBackoff--;
      return 0;
    }
    if (!this.open(c)) return 0;
    const server = this.server;
    const hot = server.config.hot;
    const p = this.params;
    p.headroom = Infinity;
    if (hot.maxmemory > 0) {
      // Over maxmemory the general path evicts first; under it, the engine stops the run before
      // the first frame past the limit (Db.laneMaxmemory).
      const usedNow = server.usedMemory();
      if (usedNow > hot.maxmemory) return 0;
      p.headroom = hot.maxmemory - usedNow;
      server.setMemoryHeadroom(p.headroom);
    }
    p.resp3 = c.resp === 3;
    p.listFill = hot['list-max-listpack-size'];
    p.maxIntset = hot['set-max-intset-entries'];
    p.hashMaxValue = hot['hash-max-listpack-value'];
    p.hashMaxEntries = hot['hash-max-listpack-entries'];
    p.maxBulkLen = hot['proto-max-bulk-len'];
    p.maxValue = hot['maxvalue-bytes'];
    p.zsetMaxEntries = hot['zset-max-listpack-entries'];
    p.zsetMaxValue = hot['zset-max-listpack-value'];
    p.propagated = server.propagation.active;
    const dispatcher = server.dispatcher;
    const start = dispatcher.lastCallEnd >= 0 ? dispatcher.lastCallEnd : performance.now();
    const st = this.stats;
    const used = db.runLane(buf, pos, p, c.writer, st);
    const ran = st[LS_CMDS >> 2];
    const oom = st[LS_OOM >> 2];
    if (ran === 0 && oom === 0) {
      c.laneBackoff = LANE_BACKOFF;
      return 0;
    }
    // (the served frames are whole and canonical: the AOF gets them as sent, as Redis writes them)
    if (p.propagated && ran > 0) server.propagation.propagateVerbatim(c.dbIndex, buf, pos, pos + used);
    const end = performance.now();
    dispatcher.lastCallEnd = end;
    const total = ran + (oom !== 0 ? 1 : 0);
    const share = Math.floor(((end - start) * 1000) / total);
    for (let id = 1; id < LANE_IDS; id++) {
      const k = st[id];
      if (k === 0) continue;
      const cmd = this.commands[id];
      cmd.stats.calls += k;
      cmd.stats.usec += share * k;
      server.latency.afterCall(cmd, share, false, k);
    }
    server.stats.commandsProcessed += ran;
    server.stats.laneCommands += ran;
    server.dirty(st[LS_DIRTY >> 2]);
    server.stats.keyspaceHits += st[LS_HITS >> 2];
    server.stats.keyspaceMisses += st[LS_MISSES >> 2];
    const last = this.commands[oom !== 0 ? oom : st[LS_LAST >> 2]];
    c.cmd = last;
    c.lastCmd = last;
    if (oom !== 0) {
      // The last frame ran out of memory part-way (assembly/lane.ts): call()'s OOM reply and books.
      server.logger.warn({ command: last.fullname }, 'wasm engine out of memory in the fast lane');
      const errorsBefore = server.stats.totalErrorReplies;
      c.reply.error(OOM);
      last.stats.calls++;
      last.stats.usec += share;
      if (server.stats.totalErrorReplies !== errorsBefore) last.stats.failedCalls++;
      server.latency.afterCall(last, share, false);
      server.stats.commandsProcessed++;
    }
    return used;
  }
}
