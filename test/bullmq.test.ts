/**
 * BullMQ (5.x, on ioredis) against Redust on every engine. BullMQ is almost entirely Lua scripts
 * (EVALSHA) plus streams (XADD / XREAD BLOCK for QueueEvents) and BZPOPMIN / blocking moves for
 * workers, so it exercises scripting, sorted sets, hashes, lists and streams together. Each
 * scenario also runs against the reference redis-server and the outcomes must match.
 *
 * Every Worker / Queue / QueueEvents / FlowProducer is closed in a finally block (a leaked ioredis
 * client would keep reconnecting and keep the process alive), and every wait is bounded.
 */
import * as assert from 'uvu/assert';
import { serverPairSuite } from './helpers/suite';
import { Queue, Worker, QueueEvents, FlowProducer, Job, ConnectionOptions } from 'bullmq';
import { enginesUnderTest } from './helpers/servers';


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolve when `cond()` holds, or fail after `ms`. */
async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** Reject if `p` does not settle within `ms`. */
function bounded<T>(what: string, p: Promise<T>, ms = 8000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

let seq = 0;
const qname = (base: string) => `${base}-${process.pid}-${++seq}`;

/** Tracks BullMQ objects so a scenario always closes them. */
class Resources {
  private items: { close(): Promise<void> }[] = [];
  readonly errors: string[] = [];
  add<T extends { close(): Promise<void>; on?: unknown }>(x: T): T {
    this.items.push(x);
    const on = (x as unknown as { on?: (ev: string, fn: (e: Error) => void) => void }).on;
    if (typeof on === 'function') on.call(x, 'error', (e: Error) => this.errors.push(e.message));
    return x;
  }
  async closeAll(): Promise<void> {
    // workers first (they hold blocking connections), then the rest
    const items = this.items.reverse();
    this.items = [];
    for (const x of items) {
      try {
        await bounded('close', x.close(), 5000);
      } catch (e) {
        this.errors.push(`close: ${(e as Error).message}`);
      }
    }
  }
}

type Scenario = (connection: ConnectionOptions, res: Resources) => Promise<unknown>;

/** Run a scenario against one server, always closing what it opened; no client errors allowed. */
async function runOn(port: number, scenario: Scenario): Promise<unknown> {
  const connection: ConnectionOptions = { host: '127.0.0.1', port, maxRetriesPerRequest: null, retryStrategy: () => null };
  const res = new Resources();
  try {
    return await scenario(connection, res);
  } finally {
    await res.closeAll();
    assert.equal(res.errors, [], `client errors on port ${port}`);
  }
}

// ------------------------------------------------------------------ scenarios

/** A worker processes jobs and completes them with their return value. */
const processAndComplete: Scenario = async (connection, res) => {
  const name = qname('complete');
  const queue = res.add(new Queue(name, { connection }));
  const worker = res.add(new Worker(name, async (job: Job) => ({ doubled: job.data.x * 2, name: job.name }), { connection }));
  const jobs = await queue.addBulk([
    { name: 'a', data: { x: 1 } },
    { name: 'b', data: { x: 21 } },
    { name: 'c', data: { x: -4 } },
  ]);
  await until('3 completed', async () => (await queue.getJobCounts('completed')).completed === 3);
  const out = [];
  for (const j of jobs) {
    const job = (await queue.getJob(j.id!))!;
    out.push({ id: job.id, state: await job.getState(), returnvalue: job.returnvalue, attemptsMade: job.attemptsMade, finished: job.finishedOn! >= job.processedOn! });
  }
  await worker.close();
  return { out, counts: await queue.getJobCounts() };
};

/** Retries with attempts + fixed / exponential backoff until success, or until failure. */
const retries: Scenario = async (connection, res) => {
  const name = qname('retry');
  const queue = res.add(new Queue(name, { connection }));
  const calls: Record<string, number> = {};
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        calls[job.name] = (calls[job.name] ?? 0) + 1;
        if (job.name === 'flaky' && job.attemptsMade < 2) throw new Error(`flaky attempt ${job.attemptsMade}`);
        if (job.name === 'doomed') throw new Error(`doomed attempt ${job.attemptsMade}`);
        return 'ok after ' + job.attemptsMade;
      },
      { connection },
    ),
  );
  const flaky = await queue.add('flaky', {}, { attempts: 5, backoff: { type: 'fixed', delay: 50 } });
  const doomed = await queue.add('doomed', {}, { attempts: 3, backoff: { type: 'exponential', delay: 30 } });
  const once = await queue.add('once-fail', {}, {});
  await until('2 finished', async () => {
    const c = await queue.getJobCounts('completed', 'failed');
    return c.completed === 2 && c.failed === 1;
  });
  const f = (await queue.getJob(flaky.id!))!;
  const d = (await queue.getJob(doomed.id!))!;
  const o = (await queue.getJob(once.id!))!;
  await until('once-fail done', async () => (await o.getState()) === 'completed');
  return {
    flaky: { state: await f.getState(), attemptsMade: f.attemptsMade, returnvalue: f.returnvalue, failedReason: f.failedReason, stacks: f.stacktrace?.length },
    doomed: { state: await d.getState(), attemptsMade: d.attemptsMade, failedReason: d.failedReason, stacks: d.stacktrace?.length },
    calls: { flaky: calls.flaky, doomed: calls.doomed },
  };
};

/** Delayed jobs wait (real time) before being processed. */
const delayed: Scenario = async (connection, res) => {
  const name = qname('delayed');
  const queue = res.add(new Queue(name, { connection }));
  const started: Record<string, number> = {};
  const t0 = Date.now();
  const d = await queue.add('later', {}, { delay: 300 });
  const n = await queue.add('now', {});
  const countsBefore = await queue.getJobCounts('delayed', 'waiting');
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        started[job.name] = Date.now() - t0;
        return job.name;
      },
      { connection },
    ),
  );
  await until('both completed', async () => (await queue.getJobCounts('completed')).completed === 2);
  const dj = (await queue.getJob(d.id!))!;
  assert.ok(started.later >= 280, `delayed job started after ${started.later} ms`);
  assert.ok(started.later < 5000);
  assert.ok(started.now < started.later);
  return { countsBefore, delayState: await dj.getState(), returnvalue: dj.returnvalue, nj: (await queue.getJob(n.id!))!.returnvalue };
};

/** Priorities: with one worker (concurrency 1) started after enqueueing, lower numbers go first. */
const priorities: Scenario = async (connection, res) => {
  const name = qname('prio');
  const queue = res.add(new Queue(name, { connection }));
  await queue.add('p5', {}, { priority: 5 });
  await queue.add('p1', {}, { priority: 1 });
  await queue.add('p3', {}, { priority: 3 });
  await queue.add('p1b', {}, { priority: 1 });
  await queue.add('plain', {});
  const counts = await queue.getJobCounts('prioritized', 'waiting');
  const order: string[] = [];
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        order.push(job.name);
      },
      { connection, concurrency: 1 },
    ),
  );
  await until('5 completed', async () => (await queue.getJobCounts('completed')).completed === 5);
  return { counts, order };
};

/** QueueEvents (XREAD BLOCK on the events stream) sees completed and failed, waitUntilFinished works. */
const queueEvents: Scenario = async (connection, res) => {
  const name = qname('events');
  const queue = res.add(new Queue(name, { connection }));
  const events = res.add(new QueueEvents(name, { connection }));
  await bounded('QueueEvents ready', events.waitUntilReady());
  const seen: string[] = [];
  events.on('completed', ({ jobId, returnvalue }) => seen.push(`completed ${jobId} ${JSON.stringify(returnvalue)}`));
  events.on('failed', ({ jobId, failedReason }) => seen.push(`failed ${jobId} ${failedReason}`));
  events.on('progress', ({ jobId, data }) => seen.push(`progress ${jobId} ${JSON.stringify(data)}`));
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        if (job.name === 'bad') throw new Error('bad job');
        await job.updateProgress(50);
        return { v: job.data.v };
      },
      { connection, concurrency: 1 },
    ),
  );
  const good = await queue.add('good', { v: 7 });
  const result = await bounded('waitUntilFinished', good.waitUntilFinished(events, 8000));
  const bad = await queue.add('bad', {});
  let err = '';
  try {
    await bounded('waitUntilFinished (failing)', bad.waitUntilFinished(events, 8000));
  } catch (e) {
    err = (e as Error).message;
  }
  await until('events', () => seen.length >= 3);
  return { result, err, seen };
};

/** removeOnComplete / removeOnFail, and getJobCounts for every state. */
const removal: Scenario = async (connection, res) => {
  const name = qname('remove');
  const queue = res.add(new Queue(name, { connection }));
  const a = await queue.add('gone', {}, { removeOnComplete: true });
  const b = await queue.add('kept', {}, { removeOnComplete: false });
  const c = await queue.add('fail-gone', {}, { removeOnFail: true });
  const keepLast: string[] = [];
  for (let i = 0; i < 4; i++) keepLast.push((await queue.add('last2', { i }, { removeOnComplete: { count: 2 } })).id!);
  const countsBefore = await queue.getJobCounts();
  let calls = 0;
  const worker = res.add(
    new Worker(
      name,
      async (job: Job) => {
        calls++;
        if (job.name === 'fail-gone') throw new Error('x');
        return job.name;
      },
      { connection, concurrency: 1 },
    ),
  );
  await until('all processed', () => calls === 7);
  await worker.close(); // lets the last job finish moving to completed
  const survivors = [];
  for (const id of keepLast) survivors.push((await queue.getJob(id)) ? 'kept' : 'removed');
  return {
    countsBefore,
    countsAfter: await queue.getJobCounts(),
    gone: (await queue.getJob(a.id!)) ?? null,
    kept: (await queue.getJob(b.id!))?.returnvalue,
    failGone: (await queue.getJob(c.id!)) ?? null,
    survivors,
  };
};

/** Pause / resume, getJobs, clean, drain and obliterate. */
const admin: Scenario = async (connection, res) => {
  const name = qname('admin');
  const queue = res.add(new Queue(name, { connection }));
  await queue.pause();
  const paused = await queue.isPaused();
  for (let i = 0; i < 3; i++) await queue.add('j', { i });
  const whilePaused = await queue.getJobCounts('paused', 'wait', 'waiting');
  const processed: number[] = [];
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        processed.push(job.data.i);
      },
      { connection, concurrency: 1 },
    ),
  );
  await sleep(150);
  const processedWhilePaused = processed.length;
  await queue.resume();
  await until('3 completed', async () => (await queue.getJobCounts('completed')).completed === 3);
  const listed = (await queue.getJobs(['completed'])).map((j) => j.data.i).sort();
  const cleaned = (await queue.clean(0, 10, 'completed')).length;
  await queue.add('left', {}, { delay: 60_000 });
  await queue.drain(true);
  const afterDrain = await queue.getJobCounts();
  await queue.add('x', {}, { delay: 60_000 });
  await queue.obliterate({ force: true });
  return { paused, whilePaused, processedWhilePaused, processed, listed, cleaned, afterDrain, afterObliterate: await queue.getJobCounts() };
};

/** Flows: a parent job completes after its children and can read their results. */
const flows: Scenario = async (connection, res) => {
  const name = qname('flow');
  const flow = res.add(new FlowProducer({ connection }));
  const queue = res.add(new Queue(name, { connection }));
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        if (job.name === 'parent') {
          const vals = await job.getChildrenValues();
          return Object.values(vals).sort();
        }
        return job.data.n * 10;
      },
      { connection },
    ),
  );
  const tree = await flow.add({ name: 'parent', queueName: name, children: [1, 2, 3].map((n) => ({ name: 'child', queueName: name, data: { n } })) });
  await until('parent completed', async () => (await queue.getJob(tree.job.id!))?.finishedOn !== undefined);
  const parent = (await queue.getJob(tree.job.id!))!;
  return { state: await parent.getState(), returnvalue: parent.returnvalue, counts: await queue.getJobCounts('completed') };
};

/** A rate-limited worker: at most `max` jobs per `duration`. */
const rateLimit: Scenario = async (connection, res) => {
  const name = qname('limit');
  const queue = res.add(new Queue(name, { connection }));
  for (let i = 0; i < 6; i++) await queue.add('r', { i });
  const times: number[] = [];
  const t0 = Date.now();
  res.add(
    new Worker(
      name,
      async () => {
        times.push(Date.now() - t0);
      },
      { connection, limiter: { max: 2, duration: 250 } },
    ),
  );
  await until('6 completed', async () => (await queue.getJobCounts('completed')).completed === 6);
  // 6 jobs at 2 per 250 ms: the last one cannot start before ~500 ms
  assert.ok(times[5] >= 450, `6th job started at ${times[5]} ms`);
  return { processed: times.length };
};

/** Job schedulers (repeatable jobs) produce jobs every N ms up to a limit, and can be removed. */
const schedulers: Scenario = async (connection, res) => {
  const name = qname('sched');
  const queue = res.add(new Queue(name, { connection }));
  const seen: string[] = [];
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        seen.push(job.name);
        return job.data.n;
      },
      { connection },
    ),
  );
  await queue.upsertJobScheduler('every-100', { every: 100, limit: 3 }, { name: 'tick', data: { n: 1 } });
  const listed = (await queue.getJobSchedulers()).map((s) => ({ key: s.key, every: s.every, name: s.name }));
  const count = await queue.getJobSchedulersCount();
  await until('3 ticks', () => seen.length >= 3);
  await sleep(250);
  const removed = await queue.removeJobScheduler('every-100');
  return { listed, count, ticks: seen.length, removed, after: await queue.getJobSchedulersCount() };
};

/** Deduplication: a job with the same deduplication id is ignored while the first one lives. */
const dedup: Scenario = async (connection, res) => {
  const name = qname('dedup');
  const queue = res.add(new Queue(name, { connection }));
  const a = await queue.add('d', { v: 1 }, { deduplication: { id: 'same' } });
  const b = await queue.add('d', { v: 2 }, { deduplication: { id: 'same' } });
  const c = await queue.add('d', { v: 3 }, { deduplication: { id: 'other' } });
  const id = await queue.getDeduplicationJobId('same');
  return { sameId: a.id === b.id, distinct: a.id !== c.id, id: id === a.id, counts: await queue.getJobCounts('waiting') };
};

/**
 * A custom backoff strategy: each job fails once and is retried after 100 ms. The worker (also
 * blocked in BZPOPMIN on the marker while other jobs run, concurrency 2) must be woken by the
 * delayed-job marker, never sit out its 5 s drainDelay block: every retry completes within 2 s.
 */
const customBackoff: Scenario = async (connection, res) => {
  const name = qname('backoff');
  const queue = res.add(new Queue(name, { connection }));
  const failedAt: Record<string, number> = {};
  const gaps: Record<string, number> = {};
  res.add(
    new Worker(
      name,
      async (job: Job) => {
        if (job.attemptsMade === 0) {
          failedAt[job.name] = Date.now();
          throw new Error('first attempt fails');
        }
        gaps[job.name] = Date.now() - failedAt[job.name];
        return 'retried';
      },
      { connection, concurrency: 2, settings: { backoffStrategy: () => 100 } },
    ),
  );
  for (let i = 0; i < 4; i++) {
    await queue.add(`j${i}`, {}, { attempts: 3, backoff: { type: 'custom' } });
    await sleep(150);
  }
  await until('4 completed', async () => (await queue.getJobCounts('completed')).completed === 4, 15000);
  const slow = Object.entries(gaps).filter(([, ms]) => ms > 2000);
  assert.equal(slow, [], 'retries woken by the delayed marker, not by the 5 s drainDelay');
  return { completed: Object.keys(gaps).sort() };
};

const SCENARIOS: [string, Scenario][] = [
  ['a Worker processes jobs and completes them with their return value', processAndComplete],
  ['failing jobs retry with attempts + backoff until they complete or fail', retries],
  ['a custom backoff strategy: the worker is woken for each retry (no 5 s drainDelay wait)', customBackoff],
  ['delayed jobs run after their delay', delayed],
  ['job priorities', priorities],
  ['QueueEvents receives completed / failed / progress (XREAD BLOCK)', queueEvents],
  ['removeOnComplete / removeOnFail and getJobCounts', removal],
  ['pause / resume, getJobs, clean, drain, obliterate', admin],
  ['flows: parent waits for its children', flows],
  ['rate limiter', rateLimit],
  ['job schedulers (repeatable jobs)', schedulers],
  ['deduplication', dedup],
];

for (const engine of enginesUnderTest()) {
  const t = serverPairSuite('bullmq', engine);

  for (const [title, scenario] of SCENARIOS) {
    t(title, async ({ srv, ref }) => {
      const got = await bounded(`${title} on Redust`, runOn(srv.port, scenario), 20000);
      if (ref) {
        const want = await bounded(`${title} on Redis`, runOn(ref.port, scenario), 20000);
        assert.equal(got, want, 'same outcome as on Redis');
      }
    });
  }

  t('sanity of the outcomes (not only equal to Redis)', async ({ srv }) => {
    const r = (await runOn(srv.port, processAndComplete)) as { out: { state: string; returnvalue: unknown; attemptsMade: number }[] };
    assert.equal(
      r.out.map((o) => [o.state, o.returnvalue, o.attemptsMade]),
      [
        ['completed', { doubled: 2, name: 'a' }, 1],
        ['completed', { doubled: 42, name: 'b' }, 1],
        ['completed', { doubled: -8, name: 'c' }, 1],
      ],
    );
    const rt = (await runOn(srv.port, retries)) as { flaky: { state: string; attemptsMade: number; returnvalue: string }; doomed: { state: string; attemptsMade: number; failedReason: string } };
    assert.is(rt.flaky.state, 'completed');
    assert.is(rt.flaky.attemptsMade, 3);
    assert.is(rt.flaky.returnvalue, 'ok after 2');
    assert.is(rt.doomed.state, 'failed');
    assert.is(rt.doomed.attemptsMade, 3);
    assert.is(rt.doomed.failedReason, 'doomed attempt 2');
    const p = (await runOn(srv.port, priorities)) as { order: string[] };
    assert.equal(p.order, ['plain', 'p1', 'p1b', 'p3', 'p5']);
  });

  t.run();
}
