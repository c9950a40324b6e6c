/**
 * The standard suite of a command-family test file: for one engine, a Redust server with a raw
 * connection `c`, and — when redis-server is installed — a reference Redis 7.0 with a
 * Differential `d` connected to both. Every test starts from FLUSHALL on both servers.
 */
import { suite } from 'uvu';
import type { Test } from 'uvu';
import type { EngineName } from '../../src/engine/types';
import type { RedustOptions, RedustServer } from '../../src/index';
import { Differential } from './diff';
import { RawConnection } from './raw';
import { haveRedisServer, ReferenceServer, startRedust, startReference } from './servers';

export interface DiffContext {
  srv: RedustServer;
  ref?: ReferenceServer;
  d?: Differential;
  c: RawConnection;
}

const HAVE_REF = haveRedisServer();

/**
 * Register a test that compares with the reference Redis. Without redis-server installed (or with
 * REDUST_NO_REFERENCE=1) it is registered as skipped, so the run's "N skipped" counts it instead of
 * reporting it as passed. Inside, `d` and `ref` are always set.
 */
export function diffTest<C>(t: Test<C>, name: string, fn: (ctx: Required<C>) => unknown): void {
  if (HAVE_REF) t(name, (ctx) => fn(ctx as Required<C>) as Promise<void>);
  else t.skip(name);
}

/** A suite with just the two servers (Redust for `engine`, and the reference when installed). */
export function serverPairSuite(name: string, engine: EngineName, opts: { redust?: RedustOptions } = {}) {
  const t = suite<{ srv: RedustServer; ref?: ReferenceServer }>(`${name} [${engine}]`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine, opts.redust);
    if (HAVE_REF) ctx.ref = await startReference();
  });
  t.after(async (ctx) => {
    await ctx.srv.close();
    await ctx.ref?.stop();
  });
  return t;
}

export function differentialSuite(name: string, engine: EngineName, opts: { redust?: RedustOptions; flushEach?: boolean } = {}) {
  const t = suite<DiffContext>(`${name} [${engine}]`);
  t.before(async (ctx) => {
    ctx.srv = await startRedust(engine, opts.redust);
    ctx.c = await RawConnection.connect(ctx.srv.port);
    if (HAVE_REF) {
      ctx.ref = await startReference();
      ctx.d = await Differential.connect(ctx.srv.port, ctx.ref.port);
    }
  });
  t.after(async (ctx) => {
    ctx.c.close();
    ctx.d?.close();
    await ctx.srv.close();
    await ctx.ref?.stop();
  });
  if (opts.flushEach !== false) {
    t.before.each(async (ctx) => {
      await ctx.c.send('FLUSHALL');
      if (ctx.d) await ctx.d.reference.send('FLUSHALL');
    });
  }
  return t;
}
