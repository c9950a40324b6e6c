/**
 * serverCron and its jobs (Redis's server.c): active expiry, the engine's background work
 * (incremental rehash, lazy free), idle-client timeouts, the instantaneous ops/s samples and,
 * in the standalone server, the idle young-generation trim (heap-trim.ts).
 * Every job is bounded in time so the event loop stays free.
 */
import type { Server } from './server';
import { ClientFlag } from './client';
import { persistenceCron } from '../persistence/bgsave';
import { clientsCron } from './client-info';
import { debugStateOf } from './debug-state';
import { setTimeout, clearTimeout, performance } from '../util/real-timers';

/** MAX_CLIENTS_PER_CLOCK_TICK and CONFIG_MAX_HZ (server.h). */
const MAX_CLIENTS_PER_CLOCK_TICK = 200;
const MAX_HZ = 500;

export class Cron {
  private timer: NodeJS.Timeout | null = null;
  /**
   * server.hz: the frequency serverCron runs at (INFO's hz), from the hz setting; with dynamic-hz
   * doubled while the clients outnumber 200 per tick, up to 500 (re-read at every run, so CONFIG
   * SET hz / dynamic-hz apply from the next tick).
   */
  hz = 10;

  constructor(private readonly server: Server) {}

  start(): void {
    this.updateHz();
    this.schedule();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = setTimeout(this.tick, Math.max(1, Math.floor(1000 / this.hz)));
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = null;
    try {
      this.run();
    } finally {
      this.updateHz();
      if (!this.server.closing) this.schedule();
    }
  };

  /** serverCron's hz adaptation (dynamic-hz). */
  updateHz(): void {
    const config = this.server.config;
    let hz = config.int('hz');
    if (config.bool('dynamic-hz')) {
      const clients = this.server.clients.size;
      while (clients / hz > MAX_CLIENTS_PER_CLOCK_TICK) {
        hz *= 2;
        if (hz > MAX_HZ) {
          hz = MAX_HZ;
          break;
        }
      }
    }
    this.hz = hz;
  }

  /** serverCron: active expiry, background engine work, client timeouts, ops sampling. */
  run(): void {
    const server = this.server;
    // A busy script is suspended (scripting/engine.ts): Redis runs no serverCron then (only
    // whileBlockedCron, which changes no data); nothing may touch the dataset under the script.
    if (server.busyScript !== null) return;
    // DEBUG PAUSE-CRON: serverCron skips its work.
    if (debugStateOf(server).pauseCron) return;
    // A signal's shutdown (shutdown_asap) happens here, as in serverCron; if it fails (a failed
    // save) the server goes on and the signal is forgotten (cancelShutdown).
    if (server.shutdownAsap !== null) {
      const shutdown = server.shutdownAsap;
      server.shutdownAsap = null;
      shutdown();
      if (server.closing) return;
    }
    server.clock.resync();
    const now = server.clock.now();
    if (server.activeExpireEnabled && !server.pause.isPaused()) this.activeExpireCycle(now);
    server.engine.backgroundWork(1, server.config.bool('activerehashing'));
    persistenceCron(server);
    server.aof.maybeAutoRewrite();
    server.aof.beforeReplies(); // what active expiry propagated
    clientsCron(server, now);
    if (server.tracking.trackingClients !== 0) server.tracking.limitUsedSlots();
    const timeout = server.config.int('timeout');
    if (timeout > 0) {
      for (const c of server.clients.values()) {
        if (c.has(ClientFlag.BLOCKED) || c.subscriptionCount() > 0) continue;
        if (now - c.lastInteraction > timeout * 1000) server.net.freeClient(c);
      }
    }
    const s = server.stats;
    const dt = now - s.lastOpsSample.time;
    if (dt >= 100) {
      // Redis's trackInstantaneousMetric: 16 samples of the rate since the previous sample.
      const push = (xs: number[], v: number) => {
        xs.push(v);
        if (xs.length > 16) xs.shift();
      };
      const last = s.lastOpsSample;
      push(s.opsSamples, ((s.commandsProcessed - last.count) * 1000) / dt);
      push(s.inputKbpsSamples, (s.netInputBytes - last.input) / 1024 / (dt / 1000));
      push(s.outputKbpsSamples, (s.netOutputBytes - last.output) / 1024 / (dt / 1000));
      s.lastOpsSample = { time: now, count: s.commandsProcessed, input: s.netInputBytes, output: s.netOutputBytes };
    }
    if (server.heapTrim) {
      server.heapTrim.capYoung(server.config.hot.maxmemory > 0);
      server.heapTrim.tick(now, s.opsSamples[s.opsSamples.length - 1] ?? 0, (s.inputKbpsSamples[s.inputKbpsSamples.length - 1] ?? 0) * 1024);
    }
  }

  /**
   * Active expiry (activeExpireCycle): per db, sample keys with a TTL; repeat while more than 25%
   * of a sample had expired, bounded to ~25% of the cron period in time.
   */
  activeExpireCycle(now: number): void {
    const server = this.server;
    const effort = server.config.int('active-expire-effort');
    const perLoop = 20 + 5 * (effort - 1);
    const budgetMs = (1000 / this.hz) * 0.25;
    const start = performance.now();
    let sampledTotal = 0;
    let expiredTotal = 0;
    let timeLimitExit = false;
    for (const db of server.dbs) {
      if (db.expiresSize() === 0) continue;
      for (;;) {
        const { sampled, expired } = db.activeExpireCycle(now, perLoop);
        sampledTotal += sampled;
        expiredTotal += expired;
        if (sampled === 0 || expired * 4 <= sampled) break;
        if (performance.now() - start > budgetMs) {
          timeLimitExit = true;
          break;
        }
      }
      if (timeLimitExit || performance.now() - start > budgetMs) {
        timeLimitExit = true;
        break;
      }
    }
    const stats = server.stats;
    if (timeLimitExit) stats.expiredTimeCapReached++;
    stats.expireCycleCpuMs += performance.now() - start;
    server.latency.addSampleIfNeeded('expire-cycle', Math.floor(performance.now() - start));
    if (sampledTotal > 0) stats.expiredStalePerc = (expiredTotal / sampledTotal) * 0.05 + stats.expiredStalePerc * 0.95;
    if (expiredTotal > 0 && server.dispatcher.execDepth === 0) server.dispatcher.afterCommand();
  }
}
