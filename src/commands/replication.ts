/**
 * Replication commands (replication.c) of a server that is always a master without replicas.
 *
 * REPLICAOF/SLAVEOF NO ONE is OK (it is a master already); REPLICAOF <host> <port> checks the port
 * as Redis and is then refused: Redust has no replication yet, and saying OK would claim it
 * follows a master. FAILOVER parses as Redis and answers, as Redis without replicas, "FAILOVER
 * requires connected replicas.". REPLCONF takes the handshake options a replica sends (OK, or
 * nothing for ACK/GETACK, as Redis answers a client that is not a replica); SYNC and PSYNC, which
 * would make the connection a replica, are refused. WAIT is in wait.ts.
 */
import type { Client } from '../server/client';
import type { CommandRow } from './table';
import { fail, SYNTAX } from './errors';
import { intArg, isWord, optName, rangeIntArg } from './args';

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
        rangeIntArg(argv[j + 1], 0n, 1n);
        break;
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

function sync(_c: Client, argv: Buffer[]): void {
  fail(`ERR ${argv[0].latin1Slice().toUpperCase()} is not supported by Redust yet: ${NO_REPLICATION} (this server cannot feed a replica)`);
}

export const commands: CommandRow[] = [
  { name: 'replicaof', handler: replicaof },
  { name: 'slaveof', handler: replicaof },
  { name: 'failover', handler: failover },
  { name: 'replconf', handler: replconf },
  { name: 'sync', handler: sync },
  { name: 'psync', handler: sync },
];
