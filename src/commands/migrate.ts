/**
 * MIGRATE (Redis 7.0 cluster.c migrateCommand) and RESTORE-ASKING.
 *
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
 * [AUTH2 username password] [KEYS key...] sends AUTH, SELECT and one RESTORE per key (DUMP
 * payloads, REPLACE when asked) over a cached connection, reads one reply line for each, deletes
 * the acknowledged keys unless COPY, and propagates them as one DEL (replaceClientCommandVector).
 * Replies and errors are Redis's: +OK, +NOKEY, -IOERR error or timeout connecting to the client,
 * -IOERR error or timeout writing|reading to target instance, ERR Target instance replied with
 * error: ... A failed first attempt on a cached socket (not a timeout) is retried once on a new one.
 *
 * Connections (migrateGetSocket): one per host:port, at most 64 (a random one is dropped when
 * full), closed after 10 s unused (MIGRATE_SOCKET_CACHE_TTL) by a 1 s timer that runs only while
 * the cache is not empty. Each remembers the db it last selected (SELECT only when it changes).
 * Operations on one cached connection run one after another (a per-connection queue).
 *
 * Not blocking the server: Redis's MIGRATE blocks the whole server until the target answers.
 * Here only the calling client waits (flagged blocked, its pipelined input held, as a client
 * postponed by CLIENT PAUSE); other clients are served. The payloads are made when the command
 * runs, so the target receives the values of that moment. Before a key is deleted after the
 * target acknowledged it, its current value is serialized again and compared with what was sent
 * (payload bytes and expire time): if another client changed it meanwhile, the key is kept (the
 * target holds the older copy, as with COPY) and no write is lost; the reply stays OK. A deleted
 * or replaced key is never resurrected either. MIGRATE inside MULTI/EXEC or a script cannot wait
 * for the network in Redust and is refused with an error saying so.
 */
import net from 'net';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { Server } from '../server/server';
import type { CommandRow } from './table';
import { fail, SYNTAX } from './errors';
import { intArg, isWord } from './args';
import { lookupRead, written } from './keyspace';
import { holdClient, releaseClient } from './blocking';
import { dumpPayload } from '../persistence/rdb';
import { encode } from '../server/propagate';
import { setTimeout, clearTimeout, setInterval, clearInterval, dateNow } from '../util/real-timers';

const CACHE_ITEMS = 64;
const CACHE_TTL_SECS = 10;
const CHUNK = 64 * 1024;
const LINE_MAX = 1024;

/** A failed network step: `timeout` ones are never retried (errno == ETIMEDOUT in Redis). */
class NetError extends Error {
  constructor(readonly timeout: boolean) {
    super(timeout ? 'timeout' : 'error');
  }
}

class CachedSocket {
  lastDbid = -1;
  lastUse = 0;
  closed = false;
  private pending = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  /** Serializes MIGRATEs of different clients on this connection. */
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly sock: net.Socket,
  ) {
    sock.setNoDelay(true);
    sock.on('data', (d) => {
      this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
      this.wake();
    });
    const gone = () => {
      this.closed = true;
      this.wake();
    };
    sock.on('close', gone);
    sock.on('error', gone);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  /** connSyncWrite of the whole buffer in 64K chunks, each within `timeout` ms. */
  async write(buf: Buffer, timeout: number): Promise<void> {
    for (let pos = 0; pos < buf.length; pos += CHUNK) {
      if (this.closed) throw new NetError(false);
      const part = buf.subarray(pos, Math.min(buf.length, pos + CHUNK));
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new NetError(true)), timeout);
        this.sock.write(part, (err) => {
          clearTimeout(t);
          if (err) reject(new NetError(false));
          else resolve();
        });
      });
    }
  }

  /** connSyncReadLine: the next line without CRLF (at most 1023 bytes kept), within `timeout` ms. */
  async readLine(timeout: number): Promise<string> {
    const deadline = dateNow() + timeout;
    for (;;) {
      const nl = this.pending.indexOf(10);
      if (nl !== -1) {
        let end = nl;
        if (end > 0 && this.pending[end - 1] === 13) end--;
        const line = this.pending.latin1Slice(0, Math.min(end, LINE_MAX - 1));
        this.pending = this.pending.subarray(nl + 1);
        return line;
      }
      if (this.closed) throw new NetError(false);
      const left = deadline - dateNow();
      if (left <= 0) throw new NetError(true);
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waiter = null;
          resolve();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

interface MigrateState {
  sockets: Map<string, CachedSocket>;
  timer: NodeJS.Timeout | null;
}

const states = new WeakMap<Server, MigrateState>();

function stateOf(s: Server): MigrateState {
  let st = states.get(s);
  if (!st) states.set(s, (st = { sockets: new Map(), timer: null }));
  return st;
}

/** INFO stats migrate_cached_sockets. */
export function migrateCachedSockets(s: Server): number {
  return states.get(s)?.sockets.size ?? 0;
}

function unixtime(): number {
  return Math.floor(dateNow() / 1000);
}

/** migrateCloseTimedoutSockets, run every second while something is cached (and at close). */
function cronTick(s: Server): void {
  const st = stateOf(s);
  const now = unixtime();
  for (const [name, cs] of st.sockets) {
    if (s.closing || cs.closed || now - cs.lastUse > CACHE_TTL_SECS) closeSocket(s, name);
  }
  if (st.sockets.size === 0 && st.timer) {
    clearInterval(st.timer);
    st.timer = null;
  }
}

function closeSocket(s: Server, name: string): void {
  const st = stateOf(s);
  const cs = st.sockets.get(name);
  if (!cs) return;
  cs.close();
  st.sockets.delete(name);
}

/** migrateGetSocket: the cached connection to host:port, or a new one (null: could not connect). */
async function getSocket(s: Server, host: string, port: string, timeout: number): Promise<CachedSocket | null> {
  const st = stateOf(s);
  const name = `${host}:${port}`;
  const cached = st.sockets.get(name);
  if (cached) {
    cached.lastUse = unixtime();
    return cached;
  }
  if (st.sockets.size >= CACHE_ITEMS) {
    const names = [...st.sockets.keys()];
    closeSocket(s, names[Math.floor(Math.random() * names.length)]);
  }
  const portNum = parseInt(port, 10); // atoi
  // connBlockingConnect: a refused connection is found out by the first write (Redis then
  // answers "error or timeout writing"); only a connect that does not finish in time fails here.
  const sock = await new Promise<net.Socket | 'refused' | null>((resolve) => {
    if (!(portNum > 0 && portNum < 65536)) return resolve('refused');
    let sk: net.Socket;
    try {
      sk = net.connect({ host, port: portNum });
    } catch {
      return resolve('refused');
    }
    const t = setTimeout(() => {
      sk.destroy();
      resolve(null);
    }, timeout);
    sk.once('connect', () => {
      clearTimeout(t);
      resolve(sk);
    });
    sk.once('error', () => {
      clearTimeout(t);
      sk.destroy();
      resolve('refused');
    });
  });
  if (!sock) return null;
  // Another MIGRATE may have connected meanwhile: keep one connection per target.
  const again = st.sockets.get(name);
  if (again) {
    if (sock !== 'refused') sock.destroy();
    again.lastUse = unixtime();
    return again;
  }
  let cs: CachedSocket;
  if (sock === 'refused') {
    const dead = new net.Socket();
    cs = new CachedSocket(name, dead);
    cs.close();
  } else {
    sock.unref();
    cs = new CachedSocket(name, sock);
  }
  cs.lastUse = unixtime();
  st.sockets.set(name, cs);
  if (!st.timer) {
    st.timer = setInterval(() => cronTick(s), 1000);
    st.timer.unref();
  }
  return cs;
}

interface Item {
  key: Buffer;
  payload: Buffer;
  /** The absolute expire time when sent (-1: none), for the re-check before deleting. */
  expireAt: number;
  ttl: number;
}

interface Job {
  host: string;
  port: string;
  dbid: number;
  timeout: number;
  copy: boolean;
  replace: boolean;
  username: Buffer | null;
  password: Buffer | null;
  items: Item[];
}

type Outcome = { kind: 'ok' } | { kind: 'error'; text: string };

function migrate(c: Client, argv: Buffer[]): void {
  let copy = false;
  let replace = false;
  let username: Buffer | null = null;
  let password: Buffer | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (isWord(argv[j], 'copy')) copy = true;
    else if (isWord(argv[j], 'replace')) replace = true;
    else if (isWord(argv[j], 'auth')) {
      if (!more) fail(SYNTAX);
      password = Buffer.from(argv[++j]);
    } else if (isWord(argv[j], 'auth2')) {
      if (more < 2) fail(SYNTAX);
      username = Buffer.from(argv[++j]);
      password = Buffer.from(argv[++j]);
    } else if (isWord(argv[j], 'keys')) {
      if (argv[3].length !== 0) fail('ERR When using MIGRATE KEYS option, the key argument must be set to the empty string');
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else fail(SYNTAX);
  }
  let timeout = intArg(argv[5]);
  const dbid = intArg(argv[4]);
  if (timeout <= 0) timeout = 1000;

  const found: { key: Buffer; value: NonNullable<ReturnType<typeof lookupRead>> }[] = [];
  for (let j = 0; j < numKeys; j++) {
    const key = argv[firstKey + j];
    const v = lookupRead(c, key);
    if (v !== undefined) found.push({ key: Buffer.from(key), value: v });
  }
  if (found.length === 0) return c.reply.simple('NOKEY');
  if (c.flags & (ClientFlag.MULTI | ClientFlag.IN_EXEC | ClientFlag.SCRIPT | ClientFlag.DENY_BLOCKING)) {
    fail('ERR MIGRATE inside MULTI/EXEC or a script is not supported by Redust (it cannot wait for the target there)');
  }
  // The payloads of this moment (Redis serializes after connecting; nothing can run in between there).
  const now = c.server.clock.now();
  const items: Item[] = [];
  for (const { key, value } of found) {
    const expireAt = c.db.getExpire(key);
    let ttl = 0;
    if (expireAt !== -1) {
      ttl = expireAt - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    items.push({ key, payload: dumpPayload(c.server, value), expireAt, ttl });
  }
  const job: Job = {
    host: argv[1].latin1Slice(0, argv[1].length),
    port: argv[2].latin1Slice(0, argv[2].length),
    dbid,
    timeout,
    copy,
    replace,
    username,
    password,
    items,
  };
  holdClient(c);
  const dbIndex = c.dbIndex;
  void runJob(c.server, job).then(
    (res) => finish(c, dbIndex, job, res.acked, res.outcome),
    (e) => {
      c.server.logger.error({ err: e }, 'MIGRATE failed unexpectedly');
      finish(c, dbIndex, job, [], { kind: 'error', text: 'IOERR error or timeout reading to target instance' });
    },
  );
}

/** Apply the deletions, propagate them, reply, and let the client's pipelined input run. */
function finish(c: Client, dbIndex: number, job: Job, acked: Item[], outcome: Outcome): void {
  const s = c.server;
  // Not under a busy script (it yields to the event loop): its keys must not change meanwhile.
  if (s.busyScript !== null) {
    s.afterScript.push(() => finish(c, dbIndex, job, acked, outcome));
    return;
  }
  if (!job.copy && acked.length > 0 && !s.closing) {
    const db = s.dbs[dbIndex];
    const deleted: Buffer[] = [];
    for (const it of acked) {
      const v = db.get(it.key, true);
      if (v === undefined) continue;
      // Changed by another client since it was sent: keep it (the newer write must not be lost).
      if (db.getExpire(it.key) !== it.expireAt || !dumpPayload(s, v).equals(it.payload)) {
        s.logger.warn({ key: it.key.latin1Slice() }, 'MIGRATE: key changed while it was migrated; kept on this instance');
        continue;
      }
      db.delete(it.key);
      const saved = c.dbIndex;
      c.dbIndex = dbIndex;
      written(c, it.key, 'del', 'g');
      c.dbIndex = saved;
      deleted.push(it.key);
    }
    if (deleted.length > 0) {
      s.propagation.propagateNow(dbIndex, ['DEL', ...deleted]);
      s.dispatcher.afterCommand();
    }
  }
  releaseClient(c, () => {
    if (outcome.kind === 'ok') c.reply.ok();
    else c.reply.error(outcome.text);
  });
}

/** One MIGRATE on the target's connection, in the connection's queue. */
async function runJob(s: Server, job: Job): Promise<{ acked: Item[]; outcome: Outcome }> {
  let mayRetry = true;
  for (;;) {
    const cs = await getSocket(s, job.host, job.port, job.timeout);
    if (!cs) return { acked: [], outcome: { kind: 'error', text: 'IOERR error or timeout connecting to the client' } };
    let release!: () => void;
    const turn = cs.queue;
    cs.queue = new Promise<void>((r) => (release = r));
    await turn;
    try {
      const res = await attempt(s, cs, job, mayRetry);
      if (res === 'retry') {
        mayRetry = false;
        continue;
      }
      return res;
    } finally {
      release();
    }
  }
}

async function attempt(s: Server, cs: CachedSocket, job: Job, mayRetry: boolean): Promise<{ acked: Item[]; outcome: Outcome } | 'retry'> {
  const parts: Buffer[] = [];
  if (job.password) parts.push(encode(job.username ? ['AUTH', job.username, job.password] : ['AUTH', job.password]));
  const select = cs.lastDbid !== job.dbid;
  if (select) parts.push(encode(['SELECT', job.dbid]));
  for (const it of job.items) {
    parts.push(encode(job.replace ? ['RESTORE', it.key, it.ttl, it.payload, 'REPLACE'] : ['RESTORE', it.key, it.ttl, it.payload]));
  }
  let writeError = false;
  let timedOut = false;
  const acked: Item[] = [];
  let errorFromTarget: string | null = null;
  let socketError = false;
  let j = 0;
  try {
    try {
      await cs.write(Buffer.concat(parts), job.timeout);
    } catch (e) {
      writeError = true;
      throw e;
    }
    const authReply = job.password ? await cs.readLine(job.timeout) : '';
    const selectReply = select ? await cs.readLine(job.timeout) : '';
    for (j = 0; j < job.items.length; j++) {
      let line: string;
      try {
        line = await cs.readLine(job.timeout);
      } catch (e) {
        socketError = true;
        timedOut = e instanceof NetError && e.timeout;
        break;
      }
      if ((job.password && authReply[0] === '-') || (select && selectReply[0] === '-') || line[0] === '-') {
        if (errorFromTarget === null) {
          cs.lastDbid = -1;
          const err = job.password && authReply[0] === '-' ? authReply : select && selectReply[0] === '-' ? selectReply : line;
          errorFromTarget = `ERR Target instance replied with error: ${err.slice(1)}`;
        }
      } else acked.push(job.items[j]);
    }
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    // socket_err: close, retry once unless it was a timeout.
    closeSocket(s, cs.name);
    if (!e.timeout && mayRetry) return 'retry';
    return { acked: [], outcome: { kind: 'error', text: `IOERR error or timeout ${writeError ? 'writing' : 'reading'} to target instance` } };
  }
  if (errorFromTarget === null && socketError && j === 0 && mayRetry && !timedOut) {
    closeSocket(s, cs.name);
    return 'retry';
  }
  if (socketError) closeSocket(s, cs.name);
  if (errorFromTarget === null && socketError) {
    return { acked, outcome: { kind: 'error', text: 'IOERR error or timeout reading to target instance' } };
  }
  if (errorFromTarget === null) {
    cs.lastDbid = job.dbid;
    return { acked, outcome: { kind: 'ok' } };
  }
  return { acked, outcome: { kind: 'error', text: errorFromTarget } };
}

/** RESTORE-ASKING: RESTORE with the ASKING flag (no cluster here: the same command). */
function restoreAsking(c: Client, argv: Buffer[]): void {
  c.server.table.get('restore')!.handler(c, argv);
}

export const commands: CommandRow[] = [
  { name: 'migrate', handler: migrate },
  { name: 'restore-asking', handler: restoreAsking },
];
