/**
 * Replication commands (replication.c) of a server that is always a master without replicas.
 *
 * REPLICAOF/SLAVEOF NO ONE is OK (it is a master already); REPLICAOF <host> <port> checks the port
 * as Redis and is then refused: Redust has no replication yet, and saying OK would claim it
 * follows a master. FAILOVER parses as Redis and answers, as Redis without replicas, "FAILOVER
 * requires connected replicas.". REPLCONF takes the handshake options a replica sends (OK, or
 * nothing for ACK/GETACK, as Redis answers a client that is not a replica).
 *
 * SYNC after `REPLCONF rdb-only 1` (what `redis-cli --rdb <file>` sends to take a backup) is
 * served as Redis serves it: a background snapshot of the dataset (bgsave.ts
 * startReplicaSnapshot, waiting for a running BGSAVE to end first), sent as `$<length>\r\n` and
 * the RDB bytes, then the connection is closed. A SYNC or PSYNC that would make the connection a
 * replica fed with the command stream is refused, and so is a functions-only RDB
 * (rdb-filter-only). WAIT is in wait.ts.
 */
import fs from 'fs';
import path from 'path';
import type { Client } from '../server/client';
import { ClientFlag } from '../server/client';
import type { CommandRow } from './table';
import { fail, SYNTAX } from './errors';
import { intArg, isWord, optName, rangeIntArg } from './args';
import { startReplicaSnapshot } from '../persistence/bgsave';
import { setTimeout } from '../util/real-timers';

const NO_REPLICATION = 'replication is not implemented';

function replicaof(c: Client, argv: Buffer[]): void {
  if (isWord(argv[1], 'no') && isWord(argv[2], 'one')) return c.reply.ok();
  rangeIntArg(argv[2], 0n, 65535n, 'Invalid master port');
  fail(`ERR ${argv[0].latin1Slice().toUpperCase()} is not supported by Redust yet: ${NO_REPLICATION}`);
}

function failover(c: Client, argv: Buffer[]): void {
  if (argv.length === 2 && isWord(argv[1], 'abort')) fail('ERR No failover in progress.');
  let timeout = 0;
  let force = false;
  let host = false;
  for (let j = 1; j < argv.length; j++) {
    if (isWord(argv[j], 'timeout') && j + 1 < argv.length && timeout === 0) {
      timeout = intArg(argv[j + 1]);
      if (timeout <= 0) fail('ERR FAILOVER timeout must be greater than 0');
      j++;
    } else if (isWord(argv[j], 'to') && j + 2 < argv.length && !host) {
      intArg(argv[j + 2]);
      host = true;
      j += 2;
    } else if (isWord(argv[j], 'force') && !force) {
      force = true;
    } else fail(SYNTAX);
  }
  fail('ERR FAILOVER requires connected replicas.');
}

/** NET_HOST_STR_LEN: the longest ip-address a replica may announce. */
const NET_HOST_STR_LEN = 256;

function replconf(c: Client, argv: Buffer[]): void {
  if (argv.length % 2 === 0) fail(SYNTAX);
  for (let j = 1; j < argv.length; j += 2) {
    const opt = optName(argv[j]);
    switch (opt) {
      case 'listening-port':
        intArg(argv[j + 1]);
        break;
      case 'ip-address':
        if (argv[j + 1].length >= NET_HOST_STR_LEN) fail(`ERR REPLCONF ip-address provided by replica instance is too long: ${argv[j + 1].length} bytes`);
        break;
      case 'capa':
        break;
      case 'rdb-only':
        replicaReq(c).rdbOnly = rangeIntArg(argv[j + 1], 0n, 1n) === 1;
        break;
      case 'rdb-filter-only': {
        const filters = argv[j + 1].latin1Slice().split(/\s+/).filter(Boolean);
        for (const f of filters) if (f.toLowerCase() !== 'functions') fail(`ERR Unsupported rdb-filter-only option: ${f}`);
        replicaReq(c).filtered = true;
        break;
      }
      case 'ack':
      case 'getack':
        // Only a replica (ACK) or a master's link (GETACK) gets an answer: never one here.
        return;
      default:
        fail(`ERR Unrecognized REPLCONF option: ${argv[j].latin1Slice()}`);
    }
  }
  c.reply.ok();
}

/** What a connection asked for with REPLCONF (Redis's slave_req). */
interface ReplicaRequest {
  rdbOnly: boolean;
  /** rdb-filter-only: an RDB without the data (functions only). */
  filtered: boolean;
}
const requests = new WeakMap<Client, ReplicaRequest>();

function replicaReq(c: Client): ReplicaRequest {
  let r = requests.get(c);
  if (r === undefined) requests.set(c, (r = { rdbOnly: false, filtered: false }));
  return r;
}

/** How often a SYNC waiting for a running BGSAVE looks again. */
const WAIT_BGSAVE_MS = 50;

function sync(c: Client, argv: Buffer[]): void {
  const name = argv[0].latin1Slice().toUpperCase();
  const req = requests.get(c);
  if (!req || !req.rdbOnly || name !== 'SYNC') fail(`ERR ${name} is not supported by Redust yet: ${NO_REPLICATION} (this server cannot feed a replica; REPLCONF rdb-only 1 then SYNC gets an RDB snapshot)`);
  if (req.filtered) fail(`ERR ${name} with rdb-filter-only is not supported by Redust yet: a functions-only RDB is not implemented`);
  const s = c.server;
  const addr = c.socket ? `${c.socket.remoteAddress}:${c.socket.remotePort}` : '?';
  s.logger.info(`Replica ${addr} asks for synchronization (RDB only)`);
  const file = path.join(s.config.str('dir'), `temp-sync-${process.pid}-${c.id}.rdb`);
  // The connection now only waits for its RDB (Redis: it is a replica from here).
  s.blocking.block(c, { keys: [], timeoutMs: 0, tryServe: () => false, onTimeout: () => undefined });
  const start = (): void => {
    if (c.closed || s.closing) return;
    let done: Promise<boolean> | null;
    try {
      done = startReplicaSnapshot(s, file);
    } catch (e) {
      s.logger.warn(`Can't start the snapshot for the replica: ${(e as Error).message}`);
      s.net.freeClient(c);
      return;
    }
    if (done === null) {
      setTimeout(start, WAIT_BGSAVE_MS); // a BGSAVE runs: the next snapshot is this replica's
      return;
    }
    void done.then(async (ok) => {
      let data: Buffer | null = null;
      try {
        if (ok && !c.closed) data = await fs.promises.readFile(file);
      } catch (e) {
        s.logger.warn(`Can't read the snapshot for the replica: ${(e as Error).message}`);
      }
      fs.promises.rm(file, { force: true }).catch(() => undefined);
      if (c.closed) return;
      s.blocking.unblock(c, false);
      if (data === null) {
        s.net.freeClient(c); // (Redis drops the replica when its RDB could not be made)
        return;
      }
      c.writer.rawString(`$${data.length}\r\n`);
      c.writer.raw(data);
      c.flags |= ClientFlag.CLOSE_AFTER_REPLY;
      s.net.scheduleFlush(c);
      s.logger.info(`Synchronization with replica ${addr} succeeded (RDB only, ${data.length} bytes)`);
    });
  };
  start();
}

export const commands: CommandRow[] = [
  { name: 'replicaof', handler: replicaof },
  { name: 'slaveof', handler: replicaof },
  { name: 'failover', handler: failover },
  { name: 'replconf', handler: replconf },
  { name: 'sync', handler: sync },
  { name: 'psync', handler: sync },
];
