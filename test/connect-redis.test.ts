/**
 * connect-redis (v7, the express-session store) over both of its client flavours, ioredis and
 * node-redis, against Redust on every engine and against real Redis 7.0. An HTTP server runs
 * express-session with the store; a cookie-carrying client creates sessions, changes them, lets
 * one expire, destroys one and lists them (SCAN + MGET); the transcript of responses and of what
 * the store keeps (values, TTLs) must be the same on Redust as on Redis.
 */
import http from 'http';
import type { AddressInfo } from 'net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { enginesUnderTest, haveRedisServer, referenceRunOnce, startRedust } from './helpers/servers';

// express-session and connect-redis ship no declarations this project compiles against; the
// shapes used here are these.
type Next = (err?: unknown) => void;
interface Session {
  views?: number;
  cookie: { maxAge: number | null };
  destroy(cb: (err?: unknown) => void): void;
  regenerate(cb: (err?: unknown) => void): void;
}
type Req = http.IncomingMessage & { session: Session; sessionID: string };
interface StoreApi {
  length(cb: (err: unknown, n?: number) => void): void;
  ids(cb: (err: unknown, ids?: string[]) => void): void;
  all(cb: (err: unknown, all?: { id: string; views?: number }[]) => void): void;
  clear(cb: (err?: unknown) => void): void;
}
// eslint-disable-next-line @typescript-eslint/no-var-requires
const session = require('express-session') as (opts: object) => (req: Req, res: http.ServerResponse, next: Next) => void;
// eslint-disable-next-line @typescript-eslint/no-var-requires
const RedisStore = (require('connect-redis') as { default: new (opts: object) => StoreApi }).default;

const HAVE_REF = haveRedisServer();
const MAX_AGE = 60_000;

/** Promisify a store method with a node-style callback. */
function call<T>(fn: (cb: (err: unknown, v?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v as T))));
}

/** A raw ioredis connection for looking at what the store wrote. */
type Flavour = 'ioredis' | 'node-redis';

async function transcript(port: number, flavour: Flavour): Promise<unknown[]> {
  const raw = new Redis(port, '127.0.0.1', { lazyConnect: false });
  await raw.flushall();
  let client: unknown;
  let closeClient: () => Promise<unknown>;
  if (flavour === 'ioredis') {
    const c = new Redis(port, '127.0.0.1');
    client = c;
    closeClient = () => c.quit();
  } else {
    const c = createClient({ socket: { host: '127.0.0.1', port } });
    await c.connect();
    client = c;
    closeClient = () => c.quit();
  }
  const store = new RedisStore({ client, prefix: 'sess:', scanCount: 2 });
  const mw = session({ store, secret: 'test secret', resave: false, saveUninitialized: false, rolling: false, cookie: { maxAge: MAX_AGE } });
  const app = http.createServer((req, res) => {
    mw(req as Req, res, (err) => {
      if (err) {
        res.statusCode = 500;
        res.end(String(err));
        return;
      }
      const r = req as Req;
      if (req.url === '/inc') {
        r.session.views = (r.session.views ?? 0) + 1;
        res.end(String(r.session.views));
      } else if (req.url === '/show') {
        res.end(JSON.stringify(r.session.views ?? null));
      } else if (req.url === '/destroy') {
        r.session.destroy((e) => res.end(e ? `error ${e}` : 'destroyed'));
      } else if (req.url === '/regenerate') {
        r.session.regenerate((e) => {
          r.session.views = 100;
          res.end(e ? `error ${e}` : 'regenerated');
        });
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const httpPort = (app.address() as AddressInfo).port;

  /** One HTTP client with a cookie jar of one cookie. */
  const browser = () => {
    let cookie = '';
    return async (url: string): Promise<string> => {
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port: httpPort, path: url, headers: cookie ? { cookie } : {} }, (res) => {
          const set = res.headers['set-cookie'];
          if (set) cookie = set[0].split(';')[0];
          let b = '';
          res.on('data', (d: Buffer) => (b += d.toString()));
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
      });
      return body;
    };
  };
  /** Session ids are random: the transcript names them by order of appearance. */
  const names = new Map<string, string>();
  const name = (key: string) => {
    if (!names.has(key)) names.set(key, `session${names.size + 1}`);
    return names.get(key)!;
  };
  const stored = async () => {
    const keys = (await raw.keys('sess:*')).sort();
    const out: unknown[] = [];
    for (const k of keys) {
      const v = JSON.parse((await raw.get(k))!) as { views?: number; cookie: { originalMaxAge: number } };
      const ttl = await raw.ttl(k);
      // (originalMaxAge is the cookie's expiry minus the time of the save: a millisecond may pass)
      const age = v.cookie.originalMaxAge;
      out.push([name(k), v.views, age > MAX_AGE - 1000 && age <= MAX_AGE, ttl >= MAX_AGE / 1000 - 2 && ttl <= MAX_AGE / 1000]);
    }
    return out.sort((a, b) => String((a as string[])[0]).localeCompare(String((b as string[])[0])));
  };

  const log: unknown[] = [];
  try {
    const alice = browser();
    const bob = browser();
    log.push(['alice show (no session yet)', await alice('/show'), await stored()]);
    log.push(['alice inc x3', [await alice('/inc'), await alice('/inc'), await alice('/inc')], await stored()]);
    log.push(['bob inc', await bob('/inc'), await stored()]);
    // touch: an unmodified session's request renews the key's TTL (EXPIRE), it is not rewritten
    const aliceKey = (await raw.keys('sess:*')).find((k) => names.get(k) === 'session1')!;
    await raw.expire(aliceKey, 5);
    log.push(['alice show touches', await alice('/show'), await stored()]);
    for (let i = 0; i < 5; i++) await browser()('/inc');
    log.push(['length', await call<number>((cb) => store.length(cb))]);
    log.push(['ids', (await call<string[]>((cb) => store.ids(cb))).map((id) => name(`sess:${id}`)).sort()]);
    log.push(['all', (await call<{ id: string; views?: number }[]>((cb) => store.all(cb))).map((s) => [name(`sess:${s.id}`), s.views]).sort()]);
    // expiry is the server's: bob's key expires, so his next request starts a new session
    const bobKey = (await raw.keys('sess:*')).find((k) => names.get(k) === 'session2')!;
    await raw.pexpire(bobKey, 1);
    await new Promise((r) => setTimeout(r, 20));
    log.push(['bob after expiry', await bob('/show'), await bob('/inc'), (await stored()).length]);
    log.push(['alice regenerate', await alice('/regenerate'), await alice('/show'), (await stored()).length]);
    log.push(['alice destroy', await alice('/destroy'), await alice('/show'), (await stored()).length]);
    await call<void>((cb) => store.clear(cb));
    log.push(['clear', await raw.dbsize()]);
  } finally {
    await new Promise((r) => app.close(r));
    await closeClient();
    raw.disconnect();
  }
  return log;
}

for (const flavour of ['ioredis', 'node-redis'] as Flavour[]) {
  const expected = referenceRunOnce((port) => transcript(port, flavour));
  for (const engine of enginesUnderTest()) {
    const t = suite(`connect-redis with ${flavour} [${engine}]`);
    if (!HAVE_REF) t.skip('session store transcript equals Redis\'s (no redis-server)');
    else {
      t('session store transcript equals Redis\'s', async () => {
        const want = await expected();
        const srv = await startRedust(engine);
        try {
          const got = await transcript(srv.port, flavour);
          if (process.env.SHOW_TRANSCRIPT) console.log(JSON.stringify(got));
          assert.equal(got, want);
          // (the transcript is not empty: sessions were made and seen)
          assert.equal(got[1], ['alice inc x3', ['1', '2', '3'], [['session1', 3, true, true]]]);
        } finally {
          await srv.close();
        }
      });
    }
    t.run();
  }
}
